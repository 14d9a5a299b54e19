// nextBytes() writes every batch into one scratch buffer and hands out a copy: the batches it
// gave stay as they were while later ones are written, and together they are the bytes
// nextBatch() gives for the same table (its buffer a batch's own).
import test from 'ava';
import { ribWithAdjOut, SOURCE } from './helpers/adjout.js';
import { makeContext } from '../src/bgp/wire/index.js';
import { baseAttrs } from '../src/rib/index.js';
import type { AdjRibOut, Family, Rib } from '../src/rib/index.js';

const codec = makeContext({ as4: true });

/** 3,000 IPv4 and 1,000 IPv6 prefixes over 40 attribute sets: several batches of 4 KiB. */
function loaded(): { rib: Rib; out: AdjRibOut } {
  const { rib, out } = ribWithAdjOut(codec);
  for (const [family, n] of [['ipv4', 3000], ['ipv6', 1000]] as const) {
    for (let i = 0; i < n; i++) {
      const prefix = family === 'ipv4' ? `10.${i >> 8}.${i & 255}.0/24` : `2001:db8:${i.toString(16)}::/48`;
      const hop = family === 'ipv4' ? SOURCE.address : '2001:db8::1';
      rib.announce(SOURCE.address, family as Family, { prefix }, { ...baseAttrs(hop), asPath: [{ type: 'AS_SEQUENCE', asns: [SOURCE.asn, 64500 + (i % 40)] }] });
    }
  }
  out.enqueueBatch(rib.drainBatch());
  return { rib, out };
}

test('the batches nextBytes gives keep their bytes, and are nextBatch’s bytes', (t) => {
  const a = loaded().out;
  const given: Buffer[] = [];
  const copies: Buffer[] = [];
  for (let b = a.nextBytes(4096); b; b = a.nextBytes(4096)) {
    given.push(b.bytes);
    copies.push(Buffer.from(b.bytes));
  }
  t.true(given.length > 5, `${given.length} batches`);
  // Each as it was when given, after all the others were written.
  given.forEach((bytes, i) => t.true(bytes.equals(copies[i]!), `batch ${i} changed`));
  const b = loaded().out;
  const views: Buffer[] = [];
  for (let batch = b.nextBatch(4096); batch.length > 0; batch = b.nextBatch(4096)) views.push(...batch);
  t.true(Buffer.concat(given).equals(Buffer.concat(views)));
});
