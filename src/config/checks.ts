// Checks across keys and sections, run on the document as loaded (before or without a complete
// schema pass, so that one bad neighbour does not hide a problem in another): names referenced but
// not defined, duplicates, and the checks that need a neighbour merged with its group.

import type { ConfigPath, Problem } from './errors.js';
import { suggestion, validateLenient } from './locate.js';
import { parseAddress, parsePrefix } from './net.js';
import { DEFAULTS, mergeWithGroup } from './resolve.js';
import type { MergedNeighbor } from './resolve.js';
import { groupSchema, neighborSchema } from './schema.js';
import type { RawGroup } from './schema.js';

type Pattern = readonly string[];

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Every value at a path pattern; "*" stands for any index of a list or key of a mapping. */
function* matches(data: unknown, pattern: Pattern, path: ConfigPath = []): Generator<[ConfigPath, unknown]> {
  if (pattern.length === 0) {
    yield [path, data];
    return;
  }
  const [head, ...rest] = pattern;
  if (head === '*' && Array.isArray(data)) {
    for (let i = 0; i < data.length; i++) yield* matches(data[i], rest, [...path, i]);
  } else if (head === '*' && isRecord(data)) {
    for (const key of Object.keys(data)) yield* matches(data[key], rest, [...path, key]);
  } else if (head !== undefined && isRecord(data) && head in data) {
    yield* matches(data[head], rest, [...path, head]);
  }
}

/** Names: a string, or each string of a list (policy lists). */
function* names(path: ConfigPath, value: unknown): Generator<[ConfigPath, string]> {
  if (typeof value === 'string') yield [path, value];
  else if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const item: unknown = value[i];
      if (typeof item === 'string') yield [[...path, i], item];
    }
  }
}

/** Where names are used, and the section that must define them. */
const references: { at: Pattern; section: string; what: string }[] = [
  { at: ['neighbors', '*', 'group'], section: 'neighbor-groups', what: 'neighbor group' },
  { at: ['neighbors', '*', 'import'], section: 'policies', what: 'policy' },
  { at: ['neighbors', '*', 'export'], section: 'policies', what: 'policy' },
  { at: ['neighbor-groups', '*', 'import'], section: 'policies', what: 'policy' },
  { at: ['neighbor-groups', '*', 'export'], section: 'policies', what: 'policy' },
  { at: ['policies', '*', 'terms', '*', 'match', 'prefix-list'], section: 'prefix-lists', what: 'prefix list' },
];

export function checkReferences(data: unknown): Problem[] {
  const problems: Problem[] = [];
  for (const ref of references) {
    const section = isRecord(data) ? data[ref.section] : undefined;
    const defined = isRecord(section) ? Object.keys(section) : [];
    for (const [path, value] of matches(data, ref.at)) {
      for (const [at, name] of names(path, value)) {
        if (defined.includes(name)) continue;
        const where = defined.length === 0 ? ` (${ref.section} is empty)` : suggestion(name, defined);
        problems.push({ path: at, message: `unknown ${ref.what} "${name}"${where}` });
      }
    }
  }
  return problems;
}

const canonicalAddress = (text: string) => parseAddress(text)?.text;
const canonicalPrefix = (text: string) => {
  const parsed = parsePrefix(text);
  return typeof parsed === 'string' ? undefined : parsed.text;
};

/** Keys that must be unique within a scope, compared in canonical form. */
const uniques: { scope: Pattern; items: Pattern; what: string; key: (text: string) => string | undefined }[] = [
  { scope: [], items: ['neighbors', '*', 'address'], what: 'neighbor', key: canonicalAddress },
  { scope: [], items: ['static-routes', '*', 'prefix'], what: 'static route', key: canonicalPrefix },
  { scope: ['policies', '*'], items: ['terms', '*', 'name'], what: 'term', key: (name) => name },
];

export function checkDuplicates(data: unknown): Problem[] {
  const problems: Problem[] = [];
  for (const unique of uniques) {
    for (const [scopePath, scope] of matches(data, unique.scope)) {
      const first = new Map<string, ConfigPath>();
      for (const [path, value] of matches(scope, unique.items)) {
        const key = typeof value === 'string' ? unique.key(value) : undefined;
        if (key === undefined) continue;
        const seen = first.get(key);
        const at = [...scopePath, ...path];
        if (seen === undefined) first.set(key, at);
        else problems.push({ path: at, message: `duplicate ${unique.what} ${key}`, seeAlso: seen });
      }
    }
  }
  return problems;
}

interface NeighborContext {
  localAs?: number;
  /** The group a neighbour names, when it is defined. */
  groupName?: string;
}

type Setting = keyof RawGroup;
type Found = { errors?: Problem[]; warnings?: Problem[] };

/**
 * Checks on a neighbour merged with its group (so on the settings that will be used). `uses`
 * lists the settings a check reads: it is skipped when one of them had an error of its own.
 */
const neighborChecks: { uses: Setting[]; run: (n: MergedNeighbor, ctx: NeighborContext) => Found }[] = [
  { uses: ['remote-as'], run: remoteAsSet },
  { uses: ['hold-time', 'keepalive'], run: keepaliveBelowHold },
  { uses: ['families', 'add-path'], run: addPathWithinFamilies },
  { uses: ['local-address'], run: localAddressFamily },
  { uses: ['max-prefix'], run: maxPrefixComplete },
  { uses: ['route-reflector-client', 'remote-as'], run: reflectorClientIsInternal },
  { uses: ['families'], run: familiesOverSession },
];

function remoteAsSet(n: MergedNeighbor, ctx: NeighborContext): Found {
  if (n.settings['remote-as'] !== undefined) return {};
  const where = ctx.groupName === undefined ? '' : ` (nor in its group "${ctx.groupName}")`;
  return { errors: [{ path: n.originOf('remote-as').slice(0, -1), message: `neighbor ${n.settings.address}: remote-as is not set${where}` }] };
}

// RFC 4271 §4.4: keepalives are sent at a fraction of the hold time (one third suggested); a hold
// time of zero means none are sent at all.
function keepaliveBelowHold(n: MergedNeighbor): Found {
  const keepalive = n.settings.keepalive;
  if (keepalive === undefined) return {};
  const hold = n.settings['hold-time'] ?? DEFAULTS.holdTime;
  let bad: string | undefined;
  if (hold === 0 && keepalive !== 0) bad = `keepalive ${keepalive} with hold-time 0: a hold time of 0 means no keepalives`;
  else if (hold !== 0 && keepalive === 0) bad = `keepalive 0 with hold-time ${hold}: the peer would expire the session`;
  else if (hold !== 0 && keepalive >= hold) bad = `keepalive ${keepalive} must be less than hold-time ${hold}`;
  if (bad === undefined) return {};
  return { errors: [{ path: n.originOf('keepalive'), message: `neighbor ${n.settings.address}: ${bad} (RFC 4271 §4.4)` }] };
}

function addPathWithinFamilies(n: MergedNeighbor): Found {
  const families = n.settings.families ?? [parseAddress(n.settings.address)?.family];
  const errors: Problem[] = [];
  for (const direction of ['receive', 'send'] as const) {
    for (const family of n.settings['add-path']?.[direction] ?? []) {
      if (families.includes(family)) continue;
      errors.push({
        path: [...n.originOf('add-path'), direction],
        message: `neighbor ${n.settings.address}: add-path ${direction} ${family} is not one of its families (${families.join(', ')})`,
      });
    }
  }
  return { errors };
}

function localAddressFamily(n: MergedNeighbor): Found {
  const local = n.settings['local-address'];
  if (local === undefined || parseAddress(local)?.family === parseAddress(n.settings.address)?.family) return {};
  const message = `neighbor ${n.settings.address}: local-address ${local} is not of the neighbour's address family`;
  return { errors: [{ path: n.originOf('local-address'), message }] };
}

function maxPrefixComplete(n: MergedNeighbor): Found {
  const maxPrefix = n.settings['max-prefix'];
  if (maxPrefix === undefined) return {};
  const path = n.originOf('max-prefix');
  const errors: Problem[] = [];
  if (maxPrefix.limit === undefined) errors.push({ path, message: `neighbor ${n.settings.address}: max-prefix needs a limit` });
  if (maxPrefix['restart-after'] !== undefined && (maxPrefix.action ?? DEFAULTS.maxPrefixAction) !== 'reset') {
    errors.push({ path, message: `neighbor ${n.settings.address}: max-prefix restart-after applies to action reset only` });
  }
  return { errors };
}

// RFC 4456 §6: route reflection is between iBGP peers; an eBGP neighbour cannot be a client.
function reflectorClientIsInternal(n: MergedNeighbor, ctx: NeighborContext): Found {
  const remoteAs = n.settings['remote-as'];
  if (!n.settings['route-reflector-client'] || remoteAs === undefined || ctx.localAs === undefined || remoteAs === ctx.localAs) return {};
  const message = `neighbor ${n.settings.address}: route-reflector-client needs an iBGP neighbour (remote-as ${remoteAs} is not local-as ${ctx.localAs})`;
  return { errors: [{ path: n.originOf('route-reflector-client'), message }] };
}

// A session of one family carrying the other needs next hops of the other family: RFC 8950
// (extended next hop) for IPv4 over IPv6, IPv4-mapped IPv6 next hops for IPv6 over IPv4.
function familiesOverSession(n: MergedNeighbor): Found {
  const sessionFamily = parseAddress(n.settings.address)?.family;
  const warnings: Problem[] = [];
  for (const family of n.settings.families ?? []) {
    if (family === sessionFamily) continue;
    const message = `neighbor ${n.settings.address}: ${family} routes over an ${sessionFamily} session need next hops of the other family (RFC 8950 extended next hop for IPv4 over IPv6)`;
    warnings.push({ path: n.originOf('families'), message });
  }
  return { warnings };
}

interface LenientGroup {
  settings: RawGroup;
  path: ConfigPath;
  /** Settings dropped for errors of their own. */
  dropped: string[];
}

/**
 * Run the neighbour checks on every neighbour whose address is valid and whose group (if any) is
 * defined. Settings with errors of their own are left out, and the checks that read them skipped.
 */
export function checkNeighbors(data: unknown): { errors: Problem[]; warnings: Problem[] } {
  const errors: Problem[] = [];
  const warnings: Problem[] = [];
  if (!isRecord(data)) return { errors, warnings };
  const groups = lenientGroups(data['neighbor-groups']);
  const ctx: NeighborContext = {};
  if (typeof data['local-as'] === 'number') ctx.localAs = data['local-as'];
  for (const [path, raw] of matches(data, ['neighbors', '*'])) {
    const { value: neighbor, dropped } = validateLenient(neighborSchema, raw);
    if (neighbor === undefined) continue;
    const group = neighbor.group === undefined ? undefined : groups.get(neighbor.group);
    // A neighbour whose group is unknown or broken has unknown settings: that error is reported
    // where it is; checking without the group would only add noise.
    if (group === undefined && (neighbor.group !== undefined || dropped.includes('group'))) continue;
    const unknown = new Set([...dropped, ...(group?.dropped ?? []).filter((key) => !(key in neighbor))]);
    const merged = mergeWithGroup(neighbor, path, group);
    const neighborCtx = { ...ctx, groupName: neighbor.group };
    for (const check of neighborChecks) {
      if (check.uses.some((key) => unknown.has(key))) continue;
      const found = check.run(merged, neighborCtx);
      errors.push(...(found.errors ?? []));
      warnings.push(...(found.warnings ?? []));
    }
  }
  return { errors, warnings };
}

function lenientGroups(section: unknown): Map<string, LenientGroup> {
  const groups = new Map<string, LenientGroup>();
  for (const [path, raw] of matches(section, ['*'])) {
    const { value: settings, dropped } = validateLenient(groupSchema, raw);
    const name = String(path[0]);
    if (settings !== undefined) groups.set(name, { settings, path: ['neighbor-groups', name], dropped });
  }
  return groups;
}
