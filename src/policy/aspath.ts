// AS_PATH as operators read and match it: the text form of `show ip bgp` (FRR's aspath_str),
// regular expressions with Cisco/FRR's '_' boundary, origin AS and "contains AS".

import type { AsPathSegment, AsPathSegmentType } from '../bgp/wire/index.js';

/** Brackets and separators per segment type, as FRR prints them: "1 2 {3,4} (5 6) [7,8]". */
const SEGMENT_TEXT: Readonly<Record<AsPathSegmentType, { open: string; close: string; sep: string }>> = {
  AS_SEQUENCE: { open: '', close: '', sep: ' ' },
  AS_SET: { open: '{', close: '}', sep: ',' },
  AS_CONFED_SEQUENCE: { open: '(', close: ')', sep: ' ' },
  AS_CONFED_SET: { open: '[', close: ']', sep: ',' },
};

// Attribute sets are interned, so one path array is shared by many routes: render it once.
const textCache = new WeakMap<readonly AsPathSegment[], string>();

export function asPathText(path: readonly AsPathSegment[]): string {
  let text = textCache.get(path);
  if (text === undefined) {
    text = path
      .map((seg) => {
        const t = SEGMENT_TEXT[seg.type];
        return t.open + seg.asns.join(t.sep) + t.close;
      })
      .join(' ');
    textCache.set(path, text);
  }
  return text;
}

/**
 * What '_' stands for: the start or end of the path, or a separator or bracket between ASNs
 * (FRR bgp_regcomp: "(^|[,{}() ]|$)"; '[' and ']' added for our confederation-set text).
 */
const BOUNDARY = '(?:^|[,{}()\\[\\] ]|$)';

/** Translate an operator's AS path regex ('_' boundaries) to a JavaScript RegExp source. */
export function translateAsPathRegex(pattern: string): string {
  let out = '';
  let inClass = false;
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '\\' && i + 1 < pattern.length) {
      out += c + pattern[++i]!;
    } else if (inClass) {
      if (c === ']') inClass = false;
      out += c;
    } else if (c === '[') {
      inClass = true;
      out += c;
    } else {
      out += c === '_' ? BOUNDARY : c;
    }
  }
  return out;
}

/** Compile an AS path regex; a string says why it is not one. */
export function compileAsPathRegex(pattern: string): RegExp | string {
  try {
    return new RegExp(translateAsPathRegex(pattern));
  } catch (e) {
    return `bad AS path regex "${pattern}": ${(e as Error).message}`;
  }
}

/**
 * RFC 6811 §2: "the rightmost AS in the final segment of the AS_PATH attribute in the route if
 * that segment is of type AS_SEQUENCE, or the BGP speaker's own AS number if that segment is of
 * type AS_CONFED_SEQUENCE or AS_CONFED_SET or if the AS_PATH is empty. If the final segment is
 * of type AS_SET, the origin AS is considered NONE" (an aggregate has no single origin).
 */
export function originAs(path: readonly AsPathSegment[], localAs: number): number | undefined {
  const last = path[path.length - 1];
  if (!last || last.type === 'AS_CONFED_SEQUENCE' || last.type === 'AS_CONFED_SET') return localAs;
  if (last.type === 'AS_SET') return undefined;
  return last.asns[last.asns.length - 1];
}

/** Does any segment (sequence, set or confederation) hold one of the ASNs? */
export function containsAnyAs(path: readonly AsPathSegment[], asns: ReadonlySet<number>): boolean {
  for (const seg of path) {
    for (const asn of seg.asns) if (asns.has(asn)) return true;
  }
  return false;
}

/** The path with `asn` prepended `count` times (into the first AS_SEQUENCE, or a new one in front). */
export function prependAs(path: readonly AsPathSegment[], asn: number, count: number): AsPathSegment[] {
  const added = new Array<number>(count).fill(asn);
  const first = path[0];
  if (first && first.type === 'AS_SEQUENCE') return [{ type: 'AS_SEQUENCE', asns: [...added, ...first.asns] }, ...path.slice(1)];
  return [{ type: 'AS_SEQUENCE', asns: added }, ...path];
}
