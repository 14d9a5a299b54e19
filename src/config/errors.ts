// Configuration errors: every one names the file, line and column of the YAML node it is about,
// so editors and CI logs can jump to it ("file:line:col: message", as compilers print).

/** A path into the YAML document: mapping keys and sequence indexes, as zod reports them. */
export type ConfigPath = readonly (string | number)[];

export class ConfigError {
  constructor(
    readonly file: string,
    /** 1-based. */
    readonly line: number,
    /** 1-based. */
    readonly col: number,
    readonly message: string,
  ) {}

  toString(): string {
    return `${this.file}:${this.line}:${this.col}: ${this.message}`;
  }
}

/** What a check found, before it is placed in the file. */
export interface Problem {
  path: ConfigPath;
  message: string;
  /** Point at the key of the last path element instead of its value (unknown keys). */
  atKey?: boolean;
  /** An earlier node the problem relates to (the first of two duplicates): its line is cited. */
  seeAlso?: ConfigPath;
}

/** Readable path for messages: neighbors[0].hold-time */
export function pathText(path: ConfigPath): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else out += out === '' ? seg : `.${seg}`;
  }
  return out === '' ? '(top level)' : out;
}

/** Errors in file order; one line per distinct error. */
export function sortErrors(errors: readonly ConfigError[]): ConfigError[] {
  const seen = new Set<string>();
  return [...errors]
    .sort((a, b) => a.line - b.line || a.col - b.col)
    .filter((e) => {
      const key = e.toString();
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    });
}
