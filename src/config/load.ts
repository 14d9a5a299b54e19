// The configuration's one I/O edge: read the file, hand the text to the pure parser.

import { readFile } from 'node:fs/promises';
import { ConfigError } from './errors.js';
import { parseConfig } from './parse.js';
import type { ConfigResult } from './parse.js';

/** Read and parse a configuration file; a file that cannot be read is an error at 1:1. */
export async function loadConfig(path: string): Promise<ConfigResult> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    const reason = (e as NodeJS.ErrnoException).code ?? (e as Error).message;
    return { ok: false, errors: [new ConfigError(path, 1, 1, `cannot read the file: ${reason}`)], warnings: [] };
  }
  return parseConfig(text, path);
}
