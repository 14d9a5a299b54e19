// The configuration module: parse and check the YAML file, resolve it, compare two versions.
// loadConfig (the file reader) is in load.ts so that importing this index stays free of I/O.

export type * from './types.js';
export { ConfigError, pathText } from './errors.js';
export type { ConfigPath } from './errors.js';
export { parseConfig } from './parse.js';
export type { ConfigResult } from './parse.js';
export { DEFAULTS, shapedNeighbor } from './resolve.js';
export { diffConfig } from './diff.js';
export type { ConfigDiff, NeighborChange, NamedChanges, Change } from './diff.js';
export { RELOAD_EFFECTS, reloadEffectsMarkdown } from './effects.js';
export type { KeyEffect, ReloadEffect, RouterKey } from './effects.js';
export { maskSecrets, MASK } from './mask.js';
