// From the parsed YAML document and zod's issues to positioned problems: zod reports a path of
// keys and indexes; the YAML document (parsed with a LineCounter) knows where each node starts.

import { isAlias, isMap, isNode, isScalar, isSeq, visit } from 'yaml';
import type { Document } from 'yaml';
import type { z } from 'zod';
import { pathText } from './errors.js';
import type { ConfigPath, Problem } from './errors.js';

/**
 * Offset of the node at `path`, or of the deepest node on the way to it when the path leaves the
 * document (a missing key: its parent mapping; a key inside a string shorthand: the string).
 */
export function locate(doc: Document, path: ConfigPath, atKey = false): number {
  let node: unknown = doc.contents;
  let offset = startOf(node) ?? 0;
  for (let i = 0; i < path.length; i++) {
    const seg = path[i]!;
    if (isAlias(node)) node = node.resolve(doc);
    if (isMap(node)) {
      const pair = node.items.find((p) => keyText(p.key) === String(seg));
      if (pair === undefined) return offset;
      const keyStart = startOf(pair.key);
      if (atKey && i === path.length - 1 && keyStart !== undefined) return keyStart;
      node = pair.value;
      // `key:` with no value: the key is the place to point at.
      offset = startOf(node) ?? keyStart ?? offset;
    } else if (isSeq(node) && typeof seg === 'number') {
      node = node.items[seg];
      offset = startOf(node) ?? offset;
    } else {
      return offset;
    }
  }
  return offset;
}

function startOf(node: unknown): number | undefined {
  return isNode(node) && node.range ? node.range[0] : undefined;
}

function keyText(key: unknown): string {
  return isScalar(key) ? String(key.value) : String(key);
}

/** Aliases whose anchor is missing: toJS throws on them, and the parser does not report them. */
export function unresolvedAliases(doc: Document): { offset: number; message: string }[] {
  const out: { offset: number; message: string }[] = [];
  visit(doc, {
    Alias(_key, alias) {
      if (alias.resolve(doc) === undefined) {
        out.push({ offset: alias.range?.[0] ?? 0, message: `unknown alias *${alias.source} (its anchor must come before it)` });
      }
    },
  });
  return out;
}

// ---- zod issues -------------------------------------------------------------------------------

type Issue = z.core.$ZodIssue;
type RawIssue = z.core.$ZodRawIssue;

const typeNames: Record<string, string> = {
  int: 'an integer',
  number: 'a number',
  string: 'a string',
  boolean: 'true or false',
  array: 'a list',
  object: 'a mapping',
  record: 'a mapping',
};

function describeValue(value: unknown): string {
  if (value === null) return 'nothing';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  if (typeof value === 'string') return `the string "${value}"`;
  return String(value);
}

/** Messages for zod's issue codes (the text after "path: "). */
function issueText(iss: RawIssue): string | undefined {
  switch (iss.code) {
    case 'invalid_type':
      return `expected ${typeNames[iss.expected] ?? iss.expected}, got ${describeValue(iss.input)}`;
    case 'too_small':
      if (iss.origin === 'array') return `needs at least ${iss.minimum} item${iss.minimum === 1 ? '' : 's'}`;
      if (iss.origin === 'string') return 'must not be empty';
      return `must be at least ${iss.minimum}`;
    case 'too_big':
      if (iss.origin === 'array') return `may have at most ${iss.maximum} items`;
      return `must be at most ${iss.maximum}`;
    case 'invalid_value':
      if (iss.values.length === 1 && iss.values[0] === true) return 'must be true (or leave the key out)';
      return `must be one of ${iss.values.join(', ')}; got ${describeValue(iss.input)}`;
    default:
      return undefined;
  }
}

/** Validate with zod and return the value, or every problem with a path into the document. */
export function validate<T extends z.ZodType>(schema: T, data: unknown): { value?: z.output<T>; problems: Problem[] } {
  const knownKeys = new Map<string, string[]>();
  const result = schema.safeParse(data, {
    reportInput: true,
    error: (iss) => {
      if (iss.code === 'unrecognized_keys' && iss.path && iss.inst && 'shape' in iss.inst) {
        knownKeys.set(JSON.stringify(iss.path), Object.keys(iss.inst.shape as object));
      }
      return issueText(iss);
    },
  });
  if (result.success) return { value: result.data, problems: [] };
  return { problems: result.error.issues.flatMap((iss) => issueProblems(iss, knownKeys)) };
}

/**
 * Validate a mapping, dropping the keys that fail: the rest can still be checked against other
 * sections. `dropped` names them; undefined value when the mapping as a whole is wrong.
 */
export function validateLenient<T extends z.ZodType>(schema: T, data: unknown): { value?: z.output<T>; dropped: string[] } {
  const first = validate(schema, data);
  if (first.value !== undefined || typeof data !== 'object' || data === null) return { value: first.value, dropped: [] };
  const dropped = [...new Set(first.problems.map((p) => p.path[0]))];
  if (dropped.some((key) => typeof key !== 'string')) return { dropped: [] };
  const rest = Object.fromEntries(Object.entries(data).filter(([key]) => !dropped.includes(key)));
  return { value: validate(schema, rest).value, dropped: dropped as string[] };
}

function issueProblems(iss: Issue, knownKeys: Map<string, string[]>): Problem[] {
  const path = iss.path as (string | number)[];
  if (iss.code === 'unrecognized_keys') {
    const known = knownKeys.get(JSON.stringify(path)) ?? [];
    return iss.keys.map((key) => ({
      path: [...path, key],
      atKey: true,
      message: `unknown key "${key}" in ${pathText(path)}${suggestion(key, known)}`,
    }));
  }
  if (iss.code === 'invalid_type' && iss.input === undefined && path.length > 0) {
    return [{ path, message: `${pathText(path.slice(0, -1))}: missing required key "${String(path.at(-1))}"` }];
  }
  return [{ path, message: `${pathText(path)}: ${iss.message}` }];
}

/** ' (did you mean "x"?)' for the closest name a typo away (a third of its letters), or nothing. */
export function suggestion(word: string, candidates: readonly string[]): string {
  let best: string | undefined;
  let bestDistance = Math.max(1, Math.floor(word.length / 3)) + 1;
  for (const candidate of candidates) {
    const d = editDistance(word, candidate);
    if (d < bestDistance && d < word.length) {
      best = candidate;
      bestDistance = d;
    }
  }
  return best === undefined ? '' : ` (did you mean "${best}"?)`;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitute = previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1);
      current.push(Math.min(previous[j]! + 1, current[j - 1]! + 1, substitute));
    }
    previous = current;
  }
  return previous[b.length]!;
}
