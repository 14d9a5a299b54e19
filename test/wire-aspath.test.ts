import test from 'ava';
import { mergeAsPath, asPathLength, AS_TRANS } from '../src/bgp/wire/index.js';
import type { AsPathSegment } from '../src/bgp/wire/index.js';

const seq = (...asns: number[]): AsPathSegment => ({ type: 'AS_SEQUENCE', asns });
const set = (...asns: number[]): AsPathSegment => ({ type: 'AS_SET', asns });
const confed = (...asns: number[]): AsPathSegment => ({ type: 'AS_CONFED_SEQUENCE', asns });

// RFC 6793 §4.2.3 cases.
test('no AS4_PATH: AS_PATH as it is', (t) => {
  t.deepEqual(mergeAsPath([seq(1, 2, AS_TRANS)], undefined), [seq(1, 2, AS_TRANS)]);
});

test('AS4_PATH replaces the tail it covers; the leading 2-octet ASNs stay in front', (t) => {
  // A 2-octet speaker prepended 65001 and 65002 in front of a path whose 4-octet part it carried in AS4_PATH.
  const asPath = [seq(65001, 65002, AS_TRANS, 174, AS_TRANS)];
  const as4Path = [seq(4200000000, 174, 4200000001)];
  t.deepEqual(mergeAsPath(asPath, as4Path), [seq(65001, 65002, 4200000000, 174, 4200000001)]);
});

test('AS4_PATH longer than AS_PATH is ignored', (t) => {
  t.deepEqual(mergeAsPath([seq(1, AS_TRANS)], [seq(4200000000, 5, 6)]), [seq(1, AS_TRANS)]);
});

test('an AS_SET counts as one, and the kept head may end in a set', (t) => {
  const asPath = [seq(10), set(20, 30), seq(AS_TRANS, 40)];
  const as4Path = [seq(4200000000, 40)];
  t.deepEqual(mergeAsPath(asPath, as4Path), [seq(10), set(20, 30), seq(4200000000, 40)]);
  t.is(asPathLength(asPath), 4);
});

test('confederation segments in AS4_PATH are ignored (RFC 6793 §6), and count 0 in AS_PATH', (t) => {
  const asPath = [confed(64512, 64513), seq(1, AS_TRANS)];
  const as4Path = [confed(64512), seq(4200000000)];
  t.deepEqual(mergeAsPath(asPath, as4Path), [confed(64512, 64513), seq(1, 4200000000)]);
});

test('inputs are not modified', (t) => {
  const asPath = [seq(1, 2, AS_TRANS)];
  const as4Path = [seq(4200000000)];
  mergeAsPath(asPath, as4Path);
  t.deepEqual(asPath, [seq(1, 2, AS_TRANS)]);
  t.deepEqual(as4Path, [seq(4200000000)]);
});
