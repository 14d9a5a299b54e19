// parseConfig: YAML text → resolved Config, or every error found, each at its file:line:col.
// Pure: the text comes in, the result goes out (load.ts does the reading).
//
// Order: YAML syntax first (a document that does not parse has no structure to check, so only
// its syntax errors are reported); then the schema and the cross-section checks, all of them, so
// one run shows every problem in the file. Last, the policy engine compiles the resolved policies
// (it is the authority on what it runs); its errors come only for a file that passed the rest.

import { LineCounter, parseDocument } from 'yaml';
import type { Document } from 'yaml';
import { checkDuplicates, checkNeighbors, checkReferences } from './checks.js';
import { compilePolicies } from '../policy/engine.js';
import { ConfigError, pathText, sortErrors } from './errors.js';
import type { Problem } from './errors.js';
import { locate, unresolvedAliases, validate } from './locate.js';
import { filePath, resolveConfig } from './resolve.js';
import { configSchema } from './schema.js';
import type { Config } from './types.js';

export type ConfigResult =
  | { ok: true; config: Config; warnings: ConfigError[] }
  | { ok: false; errors: ConfigError[]; warnings: ConfigError[] };

/** Aliases may not expand a small file into a huge one (YAML "billion laughs"). */
const MAX_ALIAS_COUNT = 100;

export function parseConfig(text: string, file: string): ConfigResult {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const at = (offset: number, message: string) => {
    const { line, col } = lineCounter.linePos(offset);
    return new ConfigError(file, line, col, message);
  };
  const yamlWarnings = doc.warnings.map((w) => at(w.pos[0], w.message));
  const syntax = doc.errors.map((e) => at(e.pos[0], e.message));
  if (syntax.length > 0) return { ok: false, errors: sortErrors(syntax), warnings: yamlWarnings };

  const data = documentData(doc);
  if ('failures' in data) {
    return { ok: false, errors: sortErrors(data.failures.map((f) => at(f.offset, f.message))), warnings: yamlWarnings };
  }

  const place = (p: Problem) => {
    const seeAlso = p.seeAlso && ` (first at line ${lineCounter.linePos(locate(doc, p.seeAlso)).line})`;
    return at(locate(doc, p.path, p.atKey), p.message + (seeAlso ?? ''));
  };
  const schema = validate(configSchema, data.value);
  const neighbors = checkNeighbors(data.value);
  const problems = [...schema.problems, ...checkReferences(data.value), ...checkDuplicates(data.value), ...neighbors.errors];
  const warnings = sortErrors([...yamlWarnings, ...neighbors.warnings.map(place)]);
  if (problems.length > 0 || schema.value === undefined) {
    return { ok: false, errors: sortErrors(problems.map(place)), warnings };
  }
  const config = resolveConfig(schema.value);
  // The policy engine compiles what it will run: anything it refuses is an error in the file too.
  const compiled = compilePolicies(config);
  if (Array.isArray(compiled)) {
    const policyProblems = compiled.map((e) => ({ path: filePath(e.path), message: `${pathText(filePath(e.path))}: ${e.message}` }));
    return { ok: false, errors: sortErrors(policyProblems.map(place)), warnings };
  }
  return { ok: true, config, warnings };
}

/** The document as plain data; an empty file is an empty mapping (then: missing router-id…). */
function documentData(doc: Document): { value: unknown } | { failures: { offset: number; message: string }[] } {
  try {
    return { value: doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT }) ?? {} };
  } catch (e) {
    const unresolved = unresolvedAliases(doc);
    if (unresolved.length > 0) return { failures: unresolved };
    return { failures: [{ offset: 0, message: (e as Error).message }] };
  }
}
