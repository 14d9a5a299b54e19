// Lists of 32-bit unsigned values (ASNs, communities) in one V8 elements kind.
//
// On this Node (no pointer compression) a small integer is 32-bit signed: ASNs and communities
// from 2^31 up (4200000000, 65535:666) are doubles, so a list made by `new Array(n)` and filled
// took the small-integer kind or the double kind by its contents (the store of a large value
// converting it at run time). Code reading lists of both kinds, such as the attribute store's
// packer, then had V8 convert each small-integer list it read to doubles (TransitionElementsKind
// and a copy per AS path: ~1.2 % of the daemon's main thread at 250k IPv6 prefixes in perf).
// Every list starts as doubles instead: one kind for every reader, no conversion.

/** An empty list of V8's packed-double kind; fill it by push. */
export function numberList(): number[] {
  // -0 is no small integer: the literal is of the double kind, and a list keeps its kind when emptied.
  const list = [-0];
  list.pop();
  return list;
}
