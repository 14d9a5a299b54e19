// The policy engine: pure functions from configuration to a compiled per-route filter.

export { compilePolicies } from './engine.js';
export { defaultPolicyFor, defaultPolicyMessage, wellKnownExportBlocked, type DefaultPolicy } from './defaults.js';
export { formatPolicyError, type EvalContext, type PolicyEngine, type PolicyError, type PolicyResult, type ConfigPath } from './types.js';
export {
  WELL_KNOWN_COMMUNITIES, NO_EXPORT, NO_ADVERTISE, NO_EXPORT_SUBCONFED, parseStandard, parseExtended, parseLarge,
  standardValue, isWildcardStandard, isWildcardLarge, type Parsed, type StandardPattern, type LargePattern, type LargeCommunity,
} from './community.js';
export { asPathText, originAs, compileAsPathRegex } from './aspath.js';
export { PrefixSet, compilePrefixEntries, parsePrefix } from './prefix-trie.js';
