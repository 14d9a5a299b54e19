// Secrets out of a configuration before it is shown (routectl show config) or logged.

import type { Config } from './types.js';

export const MASK = '********';

/** A copy of the configuration with every TCP-MD5 password replaced by MASK. */
export function maskSecrets(config: Config): Config {
  const copy = structuredClone(config);
  for (const neighbor of copy.neighbors) {
    if (neighbor.password !== undefined) neighbor.password = MASK;
  }
  return copy;
}
