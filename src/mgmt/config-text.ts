// show config as people read it: the running configuration (the resolved Config the daemon
// sends, secrets already masked) as YAML with the configuration file's kebab-case keys.

import { stringify } from 'yaml';
import type { Config } from '../config/types.js';

/** Mappings whose keys are names the operator chose (policy and prefix-list names): kept as written. */
const NAMED_MAPS = new Set(['policies', 'prefixLists']);

const kebab = (key: string): string => key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);

/** The resolved Config's camelCase keys in kebab-case, except operator-chosen names. */
function kebabKeys(value: unknown, named = false): unknown {
  if (Array.isArray(value)) return value.map((v) => kebabKeys(v));
  if (typeof value !== 'object' || value === null) return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    if (v === undefined) continue;
    out[named ? k : kebab(k)] = kebabKeys(v, !named && NAMED_MAPS.has(k));
  }
  return out;
}

/**
 * The YAML text of show config. It is the resolved configuration (neighbour groups merged,
 * defaults filled in, names as in src/config/types.ts), not the file as written.
 */
export function configYaml(cfg: Config): string[] {
  const header = '# routed running configuration: resolved (neighbor groups merged, defaults filled in), secrets masked';
  return [header, ...stringify(kebabKeys(cfg), { lineWidth: 0 }).trimEnd().split('\n')];
}
