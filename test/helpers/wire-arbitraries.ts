// fast-check generators of VALID BGP messages in the shapes of src/bgp/wire/types.ts: canonical
// prefix text (host bits zero), flags consistent with each attribute kind, sizes that fit in 4096
// octets, no RFC 7606 findings expected on decode. Address text is produced here (RFC 5952),
// independently of the codec's own formatter.
import fc from 'fast-check';
import type {
  AsPathSegment,
  BgpMessage,
  Capability,
  CodecContext,
  KeepaliveMessage,
  MpReach,
  MpUnreach,
  Nlri,
  NotificationMessage,
  OpenMessage,
  PathAttribute,
  RouteRefreshMessage,
  UpdateMessage,
} from '../../src/bgp/wire/types.js';

// ---------------------------------------------------------------- addresses and prefixes

export function v4Text(b: ArrayLike<number>): string {
  return `${b[0]}.${b[1]}.${b[2]}.${b[3]}`;
}

/** RFC 5952 text: lower case, no leading zeros, longest (first on tie) run of >= 2 zero words as "::". */
export function v6Text(b: ArrayLike<number>): string {
  const w: number[] = [];
  for (let i = 0; i < 8; i++) w.push(((b[2 * i] ?? 0) << 8) | (b[2 * i + 1] ?? 0));
  if (w.slice(0, 5).every((x) => x === 0) && w[5] === 0xffff) {
    return `::ffff:${b[12]}.${b[13]}.${b[14]}.${b[15]}`;
  }
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (w[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && w[j] === 0) j++;
    if (j - i > bestLen) {
      best = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = w.map((x) => x.toString(16));
  if (best < 0) return hex.join(':');
  return `${hex.slice(0, best).join(':')}::${hex.slice(best + bestLen).join(':')}`;
}

export const ipv4Arb = fc.uint8Array({ minLength: 4, maxLength: 4 }).map(v4Text);
export const ipv4NonZeroArb = fc
  .uint8Array({ minLength: 4, maxLength: 4 })
  .filter((b) => b.some((x) => x !== 0))
  .map(v4Text);
export const ipv6Arb = fc.uint8Array({ minLength: 16, maxLength: 16 }).map(v6Text);

function masked(bytes: Uint8Array, len: number): Uint8Array {
  const out = Uint8Array.from(bytes);
  for (let i = 0; i < out.length; i++) {
    const keep = Math.max(0, Math.min(8, len - 8 * i));
    out[i] = out[i]! & ((0xff00 >> keep) & 0xff);
  }
  return out;
}

export const prefix4Arb = fc
  .tuple(fc.uint8Array({ minLength: 4, maxLength: 4 }), fc.integer({ min: 0, max: 32 }))
  .map(([b, len]) => `${v4Text(masked(b, len))}/${len}`);

/** IPv6 prefixes, biased towards the lengths seen in practice. */
export const prefix6Arb = fc
  .tuple(
    fc.uint8Array({ minLength: 16, maxLength: 16 }),
    fc.oneof(fc.integer({ min: 0, max: 128 }), fc.constantFrom(32, 48, 56, 64, 128)),
  )
  .map(([b, len]) => `${v6Text(masked(b, len))}/${len}`);

function nlriArb(afi: number, addPath: boolean): fc.Arbitrary<Nlri> {
  const p = afi === 1 ? prefix4Arb : prefix6Arb;
  if (!addPath) return p.map((prefix) => ({ prefix }));
  return fc.tuple(p, fc.nat({ max: 0xffffffff })).map(([prefix, pathId]) => ({ prefix, pathId }));
}

function nlriListArb(ctx: CodecContext, afi: number, min: number, max: number): fc.Arbitrary<Nlri[]> {
  return fc.array(nlriArb(afi, ctx.addPath.has(`${afi}/1`)), { minLength: min, maxLength: max });
}

// ---------------------------------------------------------------- context

export const contextArb: fc.Arbitrary<CodecContext> = fc
  .record({
    as4: fc.boolean(),
    addPath: fc.subarray(['1/1', '2/1']),
    extendedMessage: fc.boolean(),
  })
  .map((c) => ({ as4: c.as4, addPath: new Set(c.addPath), extendedMessage: c.extendedMessage }));

// ---------------------------------------------------------------- attributes

const u32 = fc.nat({ max: 0xffffffff });
const hexArb = (min: number, max: number): fc.Arbitrary<string> =>
  fc.uint8Array({ minLength: min, maxLength: max }).map((b) => Buffer.from(b).toString('hex'));

/** Well-known: 0x40; the Extended Length bit may be set on any attribute (RFC 4271 §4.3). */
const wellKnownFlags = fc.constantFrom(0x40, 0x50);
const optNonTransFlags = fc.constantFrom(0x80, 0x90);
/** Optional transitive, with or without Partial (RFC 4271 §5). */
const optTransFlags = fc.constantFrom(0xc0, 0xd0, 0xe0, 0xf0);

/** ASNs are never 0 (RFC 7607). */
function asnArb(as4: boolean): fc.Arbitrary<number> {
  return as4 ? fc.integer({ min: 1, max: 0xffffffff }) : fc.integer({ min: 1, max: 0xffff });
}

function segmentsArb(as4: boolean, types: AsPathSegment['type'][], min: number): fc.Arbitrary<AsPathSegment[]> {
  return fc.array(
    fc.record({ type: fc.constantFrom(...types), asns: fc.array(asnArb(as4), { minLength: 1, maxLength: 10 }) }),
    { minLength: min, maxLength: 4 },
  );
}

const ALL_SEGMENTS: AsPathSegment['type'][] = ['AS_SEQUENCE', 'AS_SET', 'AS_CONFED_SEQUENCE', 'AS_CONFED_SET'];

function mpReachArb(ctx: CodecContext): fc.Arbitrary<MpReach> {
  const reserved = fc.oneof({ weight: 4, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.integer({ min: 1, max: 255 }) });
  const withReserved = (m: MpReach, r: number): MpReach => (r === 0 ? m : { ...m, reserved: r });
  const v4 = fc
    .tuple(fc.oneof(ipv4Arb.map((a) => [a]), ipv6Arb.map((a) => [a])), nlriListArb(ctx, 1, 1, 20), reserved)
    .map(([nextHops, nlri, r]) => withReserved({ afi: 1, safi: 1, nextHops, nlri }, r));
  const v6 = fc
    .tuple(fc.oneof(fc.tuple(ipv6Arb).map((a) => [...a]), fc.tuple(ipv6Arb, ipv6Arb).map((a) => [...a])), nlriListArb(ctx, 2, 1, 20), reserved)
    .map(([nextHops, nlri, r]) => withReserved({ afi: 2, safi: 1, nextHops, nlri }, r));
  // Families the codec keeps raw: L2VPN EVPN (25/70) and VPNv4 (1/128).
  const raw = fc
    .tuple(fc.constantFrom([25, 70], [1, 128]), hexArb(0, 24), hexArb(1, 64), reserved)
    .map(([[afi, safi], nh, nl, r]) =>
      withReserved({ afi: afi!, safi: safi!, nextHops: [], nextHopHex: nh, nlri: [], nlriHex: nl }, r),
    );
  return fc.oneof({ weight: 3, arbitrary: v4 }, { weight: 3, arbitrary: v6 }, { weight: 1, arbitrary: raw });
}

function mpUnreachArb(ctx: CodecContext): fc.Arbitrary<MpUnreach> {
  return fc.oneof(
    nlriListArb(ctx, 1, 0, 20).map((withdrawn) => ({ afi: 1, safi: 1, withdrawn })),
    nlriListArb(ctx, 2, 0, 20).map((withdrawn) => ({ afi: 2, safi: 1, withdrawn })),
    fc.tuple(fc.constantFrom([25, 70], [1, 128]), hexArb(1, 64)).map(([[afi, safi], h]) => ({
      afi: afi!,
      safi: safi!,
      withdrawn: [],
      nlriHex: h,
    })),
  );
}

/** Codes no variant of PathAttribute names, so they decode as UNKNOWN. */
const unknownCodeArb = fc.integer({ min: 200, max: 254 });

/** Optional attributes (all but ORIGIN, AS_PATH, NEXT_HOP, MP_*), each at most once. */
function optionalAttrsArb(ctx: CodecContext): fc.Arbitrary<PathAttribute>[] {
  const as4 = ctx.as4;
  const list: fc.Arbitrary<PathAttribute>[] = [
    fc.record({ code: fc.constant(4 as const), name: fc.constant('MULTI_EXIT_DISC' as const), flags: optNonTransFlags, value: u32 }),
    fc.record({ code: fc.constant(5 as const), name: fc.constant('LOCAL_PREF' as const), flags: wellKnownFlags, value: u32 }),
    fc.record({
      code: fc.constant(6 as const),
      name: fc.constant('ATOMIC_AGGREGATE' as const),
      flags: wellKnownFlags,
      value: fc.constant(true as const),
    }),
    fc.record({
      code: fc.constant(7 as const),
      name: fc.constant('AGGREGATOR' as const),
      flags: optTransFlags,
      value: fc.record({ asn: asnArb(as4), address: ipv4Arb }),
    }),
    fc.record({
      code: fc.constant(8 as const),
      name: fc.constant('COMMUNITIES' as const),
      flags: optTransFlags,
      value: fc.array(u32, { minLength: 1, maxLength: 20 }),
    }),
    fc.record({ code: fc.constant(9 as const), name: fc.constant('ORIGINATOR_ID' as const), flags: optNonTransFlags, value: ipv4Arb }),
    fc.record({
      code: fc.constant(10 as const),
      name: fc.constant('CLUSTER_LIST' as const),
      flags: optNonTransFlags,
      value: fc.array(ipv4Arb, { minLength: 1, maxLength: 10 }),
    }),
    fc.record({
      code: fc.constant(16 as const),
      name: fc.constant('EXTENDED_COMMUNITIES' as const),
      flags: optTransFlags,
      value: fc.array(hexArb(8, 8), { minLength: 1, maxLength: 10 }),
    }),
    fc.record({
      code: fc.constant(32 as const),
      name: fc.constant('LARGE_COMMUNITY' as const),
      flags: optTransFlags,
      value: fc.array(fc.tuple(u32, u32, u32), { minLength: 1, maxLength: 10 }),
    }),
    fc.record({ code: fc.constant(35 as const), name: fc.constant('ONLY_TO_CUSTOMER' as const), flags: optTransFlags, value: asnArb(true) }),
  ];
  if (!as4) {
    // RFC 6793 §4.2.2: AS4_PATH / AS4_AGGREGATOR travel only between 2-octet-AS sessions; no confed segments.
    list.push(
      fc.record({
        code: fc.constant(17 as const),
        name: fc.constant('AS4_PATH' as const),
        flags: optTransFlags,
        value: segmentsArb(true, ['AS_SEQUENCE', 'AS_SET'], 1),
      }),
      fc.record({
        code: fc.constant(18 as const),
        name: fc.constant('AS4_AGGREGATOR' as const),
        flags: optTransFlags,
        value: fc.record({ asn: asnArb(true), address: ipv4Arb }),
      }),
    );
  }
  return list;
}

export function updateArb(ctx: CodecContext): fc.Arbitrary<UpdateMessage> {
  const origin = fc.record({
    code: fc.constant(1 as const),
    name: fc.constant('ORIGIN' as const),
    flags: wellKnownFlags,
    value: fc.constantFrom('IGP' as const, 'EGP' as const, 'INCOMPLETE' as const),
  });
  const asPath = fc.record({
    code: fc.constant(2 as const),
    name: fc.constant('AS_PATH' as const),
    flags: wellKnownFlags,
    value: segmentsArb(ctx.as4, ALL_SEGMENTS, 0),
  });
  const nextHop = fc.record({ code: fc.constant(3 as const), name: fc.constant('NEXT_HOP' as const), flags: wellKnownFlags, value: ipv4Arb });
  const mpReach = fc.record({ code: fc.constant(14 as const), name: fc.constant('MP_REACH_NLRI' as const), flags: optNonTransFlags, value: mpReachArb(ctx) });
  const mpUnreach = fc.record({
    code: fc.constant(15 as const),
    name: fc.constant('MP_UNREACH_NLRI' as const),
    flags: optNonTransFlags,
    value: mpUnreachArb(ctx),
  });
  const unknown = fc
    .uniqueArray(
      fc.record({ code: unknownCodeArb, flags: fc.constantFrom(0xc0, 0xe0, 0xd0), value: hexArb(0, 64) }),
      { maxLength: 3, selector: (a) => a.code },
    )
    .map((xs) => xs.map((x): PathAttribute => ({ code: x.code, name: 'UNKNOWN', flags: x.flags, value: x.value })));

  return fc
    .record({
      withdrawn: nlriListArb(ctx, 1, 0, 30),
      nlri: nlriListArb(ctx, 1, 0, 30),
      origin,
      asPath,
      nextHop,
      withNextHop: fc.boolean(),
      mpReach: fc.option(mpReach, { nil: undefined }),
      mpUnreach: fc.option(mpUnreach, { nil: undefined }),
      optional: fc.tuple(...optionalAttrsArb(ctx).map((a) => fc.option(a, { nil: undefined }))),
      unknown,
      withPath: fc.boolean(),
      order: fc.array(fc.nat(), { minLength: 24, maxLength: 24 }),
    })
    .map((r): UpdateMessage => {
      const attrs: PathAttribute[] = [];
      const announces = r.nlri.length > 0 || r.mpReach !== undefined;
      // ORIGIN and AS_PATH are mandatory when anything is announced (RFC 4271 §5, RFC 7606 §3(d)),
      // NEXT_HOP when the NLRI field is not empty (RFC 4760 §3); a pure withdrawal may carry none.
      if (announces || r.withPath) attrs.push(r.origin, r.asPath);
      if (r.nlri.length > 0 || r.withNextHop) attrs.push(r.nextHop);
      // RFC 7606 §5.1 lets IPv4 unicast NLRI be both in the NLRI field and in MP_REACH_NLRI; the
      // golden file update-nlri-and-mp-reach-ipv4 checks that case, the round trip avoids it.
      if (r.mpReach && !(r.nlri.length > 0 && r.mpReach.value.afi === 1 && r.mpReach.value.safi === 1)) attrs.push(r.mpReach);
      if (r.mpUnreach) attrs.push(r.mpUnreach);
      for (const a of r.optional) if (a) attrs.push(a);
      attrs.push(...r.unknown);
      // Wire order is free (RFC 4271 §5): a deterministic shuffle from the generated keys.
      const keyed = attrs.map((a, i) => ({ a, k: r.order[i % r.order.length]! * 64 + i }));
      keyed.sort((x, y) => x.k - y.k);
      return { type: 'UPDATE', withdrawn: r.withdrawn, attributes: keyed.map((x) => x.a), nlri: r.nlri };
    });
}

// ---------------------------------------------------------------- OPEN

const afiSafi = fc.record({ afi: fc.nat({ max: 0xffff }), safi: fc.nat({ max: 0xff }) });
const printable = (max: number): fc.Arbitrary<string> =>
  fc.string({ unit: fc.integer({ min: 0x21, max: 0x7e }).map((c) => String.fromCharCode(c)), maxLength: max });

export const capabilityArb: fc.Arbitrary<Capability> = fc.oneof(
  afiSafi.map((value): Capability => ({ code: 1, name: 'MULTIPROTOCOL', value })),
  fc.constant<Capability>({ code: 2, name: 'ROUTE_REFRESH', value: null }),
  fc
    .array(fc.record({ afi: fc.nat({ max: 0xffff }), safi: fc.nat({ max: 0xffff }), nextHopAfi: fc.nat({ max: 0xffff }) }), {
      minLength: 1,
      maxLength: 5,
    })
    .map((value): Capability => ({ code: 5, name: 'EXTENDED_NEXT_HOP', value })),
  fc.constant<Capability>({ code: 6, name: 'EXTENDED_MESSAGE', value: null }),
  fc.nat({ max: 255 }).map((value): Capability => ({ code: 9, name: 'BGP_ROLE', value })),
  fc
    .record({
      restarting: fc.boolean(),
      notification: fc.boolean(),
      restartTime: fc.nat({ max: 4095 }),
      families: fc.array(fc.record({ afi: fc.nat({ max: 0xffff }), safi: fc.nat({ max: 0xff }), forwardingPreserved: fc.boolean() }), {
        maxLength: 5,
      }),
    })
    .map((value): Capability => ({ code: 64, name: 'GRACEFUL_RESTART', value })),
  asnArb(true).map((value): Capability => ({ code: 65, name: 'FOUR_OCTET_AS', value })),
  fc
    .array(fc.record({ afi: fc.nat({ max: 0xffff }), safi: fc.nat({ max: 0xff }), sendReceive: fc.integer({ min: 1, max: 3 }) }), {
      minLength: 1,
      maxLength: 5,
    })
    .map((value): Capability => ({ code: 69, name: 'ADD_PATH', value })),
  fc.constant<Capability>({ code: 70, name: 'ENHANCED_ROUTE_REFRESH', value: null }),
  fc
    .array(
      fc.record({
        afi: fc.nat({ max: 0xffff }),
        safi: fc.nat({ max: 0xff }),
        flags: fc.nat({ max: 0xff }),
        staleTime: fc.nat({ max: 0xffffff }),
      }),
      { minLength: 1, maxLength: 5 },
    )
    .map((value): Capability => ({ code: 71, name: 'LONG_LIVED_GR', value })),
  fc
    .record({ hostname: printable(60), domain: printable(60) })
    .map((value): Capability => ({ code: 73, name: 'FQDN', value })),
  fc.constant<Capability>({ code: 128, name: 'ROUTE_REFRESH_OLD', value: null }),
  fc
    .tuple(fc.oneof(fc.integer({ min: 74, max: 127 }), fc.integer({ min: 129, max: 254 })), hexArb(0, 40))
    .map(([code, value]): Capability => ({ code, name: 'UNKNOWN', value })),
);

/** Encoded size of a capability (code, length, value), from RFC 5492 and each capability's RFC. */
export function capabilitySize(c: Capability): number {
  switch (c.name) {
    case 'MULTIPROTOCOL':
      return 2 + 4;
    case 'EXTENDED_NEXT_HOP':
      return 2 + 6 * c.value.length;
    case 'BGP_ROLE':
      return 2 + 1;
    case 'GRACEFUL_RESTART':
      return 2 + 2 + 4 * c.value.families.length;
    case 'FOUR_OCTET_AS':
      return 2 + 4;
    case 'ADD_PATH':
      return 2 + 4 * c.value.length;
    case 'LONG_LIVED_GR':
      return 2 + 7 * c.value.length;
    case 'FQDN':
      return 2 + 2 + c.value.hostname.length + c.value.domain.length;
    case 'UNKNOWN':
      return 2 + c.value.length / 2;
    default:
      return 2;
  }
}

export const openArb: fc.Arbitrary<OpenMessage> = fc
  .record({
    myAs: fc.integer({ min: 1, max: 0xffff }),
    holdTime: fc.oneof(fc.constant(0), fc.integer({ min: 3, max: 0xffff })),
    bgpId: ipv4NonZeroArb,
    extended: fc.boolean(),
    params: fc.array(fc.array(capabilityArb, { minLength: 1, maxLength: 6 }), { maxLength: 4 }),
  })
  .filter((r) => {
    if (r.extended) return true;
    // Without RFC 9072 each parameter and the whole parameter list must fit one length octet.
    const sizes = r.params.map((caps) => caps.reduce((n, c) => n + capabilitySize(c), 0));
    return sizes.every((s) => s <= 255) && sizes.reduce((n, s) => n + s + 2, 0) <= 255;
  })
  .map((r): OpenMessage => {
    const m: OpenMessage = {
      type: 'OPEN',
      version: 4,
      myAs: r.myAs,
      holdTime: r.holdTime,
      bgpId: r.bgpId,
      params: r.params.map((capabilities) => ({ type: 2, capabilities })),
    };
    if (r.extended) m.extendedParams = true;
    return m;
  });

// ---------------------------------------------------------------- NOTIFICATION, KEEPALIVE, ROUTE-REFRESH

export const notificationArb: fc.Arbitrary<NotificationMessage> = fc.oneof(
  fc
    .record({ code: fc.nat({ max: 255 }), subcode: fc.nat({ max: 255 }), data: hexArb(0, 64) })
    // Cease/2 and Cease/4 carry an RFC 9003 communication: generated separately below.
    .filter((n) => !(n.code === 6 && (n.subcode === 2 || n.subcode === 4)))
    .map((n): NotificationMessage => ({ type: 'NOTIFICATION', ...n })),
  fc
    .tuple(fc.constantFrom(2, 4), fc.string({ unit: 'grapheme', minLength: 1, maxLength: 40 }))
    .filter(([, s]) => Buffer.byteLength(s, 'utf8') <= 128)
    .map(([subcode, s]): NotificationMessage => {
      const b = Buffer.from(s, 'utf8');
      return {
        type: 'NOTIFICATION',
        code: 6,
        subcode,
        data: Buffer.concat([Buffer.from([b.length]), b]).toString('hex'),
        shutdownMessage: s,
      };
    }),
);

export const keepaliveArb: fc.Arbitrary<KeepaliveMessage> = fc.constant({ type: 'KEEPALIVE' });

export const routeRefreshArb: fc.Arbitrary<RouteRefreshMessage> = fc.record({
  type: fc.constant('ROUTE_REFRESH' as const),
  afi: fc.nat({ max: 0xffff }),
  subtype: fc.constantFrom(0, 1, 2),
  safi: fc.nat({ max: 0xff }),
});

/** A context and a valid message of any kind for it. */
export const messageWithContextArb: fc.Arbitrary<{ ctx: CodecContext; msg: BgpMessage }> = contextArb.chain((ctx) =>
  fc
    .oneof(
      { weight: 6, arbitrary: updateArb(ctx) as fc.Arbitrary<BgpMessage> },
      { weight: 2, arbitrary: openArb as fc.Arbitrary<BgpMessage> },
      { weight: 1, arbitrary: notificationArb as fc.Arbitrary<BgpMessage> },
      { weight: 1, arbitrary: keepaliveArb as fc.Arbitrary<BgpMessage> },
      { weight: 1, arbitrary: routeRefreshArb as fc.Arbitrary<BgpMessage> },
    )
    .map((msg) => ({ ctx, msg })),
);
