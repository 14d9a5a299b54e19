// ASN and community lists are made in one V8 elements kind (doubles) whatever their values
// (src/bgp/wire/number-list.ts): values from 2^31 up are no small integers on this Node, and code
// reading lists of both kinds converted every small-integer list it read. Checked with V8's own
// %HasDoubleElements on the lists of every producer: the decoder, the attribute store's unpacker
// and the eBGP prepend.
import test from 'ava';
import { setFlagsFromString } from 'node:v8';
import { decodeMessage, encodeMessage, makeContext } from '../src/bgp/wire/index.js';
import type { AsPathSegment, PathAttribute } from '../src/bgp/wire/index.js';
import { AttrStore, attrsFromWire, prependAs } from '../src/rib/index.js';
import type { PathAttrs } from '../src/rib/index.js';

setFlagsFromString('--allow-natives-syntax');
const hasDoubleElements = new Function('a', 'return %HasDoubleElements(a)') as (list: readonly number[]) => boolean;

const ctx = makeContext({ as4: true });

/** A set decoded from the wire: small values only, or a value from 2^31 up in each list. */
function decoded(large: boolean): PathAttrs {
  const attributes: PathAttribute[] = [
    { code: 1, name: 'ORIGIN', flags: 0x40, value: 'IGP' },
    { code: 2, name: 'AS_PATH', flags: 0x40, value: [{ type: 'AS_SEQUENCE', asns: large ? [65001, 4200000001] : [65001, 65002] }] },
    { code: 3, name: 'NEXT_HOP', flags: 0x40, value: '198.18.0.1' },
    { code: 8, name: 'COMMUNITIES', flags: 0xc0, value: large ? [(65001 << 16) | 1, 0xffff029a] : [(65001 << 16) | 1] },
  ];
  const r = decodeMessage(encodeMessage({ type: 'UPDATE', withdrawn: [], attributes, nlri: [{ prefix: '198.18.1.0/24' }] }, ctx), ctx);
  if (!r.ok || r.msg.type !== 'UPDATE') throw new Error('the UPDATE does not decode');
  return attrsFromWire(r.msg.attributes, true);
}

const lists = (a: PathAttrs): readonly (readonly number[])[] => [...a.asPath.map((s: AsPathSegment) => s.asns), a.communities];

test('decoded AS paths and communities are lists of doubles, small values or not', (t) => {
  for (const large of [false, true]) for (const list of lists(decoded(large))) t.true(hasDoubleElements(list), `${JSON.stringify(list)}`);
});

test('sets unpacked from the store and paths prepended for eBGP are too', (t) => {
  const store = new AttrStore();
  for (const large of [false, true]) {
    const set = decoded(large);
    // Interned without handing the object over: attrs() unpacks the set from its bytes.
    const id = store.internId({ ...set });
    const unpacked = store.attrs(id);
    t.not(unpacked.asPath, set.asPath, 'unpacked, not the object interned');
    for (const list of lists(unpacked)) t.true(hasDoubleElements(list), `unpacked ${JSON.stringify(list)}`);
    for (const seg of prependAs(set.asPath, 65000)) t.true(hasDoubleElements(seg.asns), `prepended ${JSON.stringify(seg.asns)}`);
    for (const seg of prependAs([], large ? 4200000002 : 65000)) t.true(hasDoubleElements(seg.asns), `prepended to nothing ${JSON.stringify(seg.asns)}`);
  }
});
