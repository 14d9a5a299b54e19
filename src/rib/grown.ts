// The one way the RIB's typed arrays grow: per prefix id, record, attribute-set id or queue slot,
// each table doubles as it fills: one of n entries has been copied about log2(n) times.

/** Any of the typed arrays the RIB keeps its tables in. */
export type TypedTable = Int32Array | Uint32Array | Uint16Array | Uint8Array | Float64Array;

/**
 * `a` when it holds `size` entries already, else a copy of it at least `size` long: its length
 * doubled (from 16 when empty) until it is, the new entries `fill`.
 */
export function grown<T extends TypedTable>(a: T, size: number, fill = 0): T {
  if (a.length >= size) return a;
  let n = a.length || 16;
  while (n < size) n *= 2;
  const b = new (a.constructor as new (n: number) => T)(n);
  b.set(a);
  if (fill !== 0) b.fill(fill, a.length);
  return b;
}
