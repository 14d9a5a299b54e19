// The YAML file's schema (zod): kebab-case keys exactly as written in the file, every mapping
// strict so that a misspelt key is an error rather than a silently ignored setting. Checks that
// need one value only (address syntax, ranges) live here, next to the key; checks across keys and
// sections (references, duplicates, inheritance) are in checks.ts. Addresses and prefixes come
// out in canonical text. config/routed.example.yaml documents every key.

import { z } from 'zod';
import { compileAsPathRegex } from '../policy/aspath.js';
import { isWildcardLarge, isWildcardStandard, parseExtended, parseLarge, parseStandard } from '../policy/community.js';
import type { Parsed } from '../policy/community.js';
import { parseAddress, parsePrefix, familyMaxLength } from './net.js';

type Check = (value: string) => string | undefined;

/** A string that passes `check` (which returns a message when it does not). */
function text(check: Check): z.ZodString {
  return z.string().superRefine((value, ctx) => {
    const message = check(value);
    if (message !== undefined) ctx.addIssue({ code: 'custom', message, input: value });
  });
}

/** Accept one value where a list is expected: `import: peer-in` = `import: [peer-in]`. */
function oneOrMany<T extends z.ZodType>(item: T, min = 0) {
  return z.preprocess((v) => (v === undefined || v === null || Array.isArray(v) ? v : [v]), z.array(item).min(min));
}

const uint = (max: number) => z.number().int().min(0).max(max);
const UINT32_MAX = 4294967295;

const checkAddress: Check = (v) => {
  if (parseAddress(v)) return undefined;
  const hint = /(^|\.)0\d/.test(v) && !v.includes(':') ? ' (no leading zeros: they read as octal elsewhere)' : '';
  return `"${v}" is not an IPv4 or IPv6 address${hint}`;
};
const canonicalAddress = (v: string) => parseAddress(v)?.text ?? v;

/** HOST:PORT with an IPv4 host, or [IPV6]:PORT; port 1..65535. */
const checkHostPort: Check = (v) => {
  const m = /^\[([^\]]+)\]:(\d+)$/.exec(v) ?? /^([^:[\]]+):(\d+)$/.exec(v);
  const port = m ? Number(m[2]) : NaN;
  if (!m || port < 1 || port > 65535) return `"${v}" is not ADDRESS:PORT (an IPv6 address in brackets: [::1]:9179)`;
  if (!parseAddress(m[1]!)) return `"${m[1]}" is not an IPv4 or IPv6 address`;
  if (v.startsWith('[') !== m[1]!.includes(':')) return `"${v}": write an IPv6 address in brackets, an IPv4 address without`;
  return undefined;
};
const address = text(checkAddress).transform(canonicalAddress);

/**
 * RFC 6286 §2.1: "The BGP Identifier is a 4-octet, unsigned, non-zero integer that should be
 * unique within an AS." Written as an IPv4 address.
 */
const bgpIdentifier = text((v) => {
  const parsed = parseAddress(v);
  if (parsed?.family !== 'ipv4') return `"${v}" is not an IPv4 address (a BGP identifier is 32 bits, RFC 6286)`;
  return parsed.text === '0.0.0.0' ? 'must not be 0.0.0.0 (RFC 6286 §2.1: the BGP Identifier is non-zero)' : undefined;
}).transform(canonicalAddress);

const prefixText = text((v) => {
  const parsed = parsePrefix(v);
  return typeof parsed === 'string' ? parsed : undefined;
}).transform((v) => {
  const parsed = parsePrefix(v);
  return typeof parsed === 'string' ? v : parsed.text;
});

/** RFC 6793: four-octet AS numbers; RFC 7607: AS 0 is reserved and never configured. */
const asn = z
  .number()
  .int()
  .min(1, { error: 'AS numbers are 1..4294967295 (AS 0 is reserved, RFC 7607)' })
  .max(UINT32_MAX, { error: 'AS numbers are 1..4294967295 (RFC 6793)' });

const family = z.enum(['ipv4', 'ipv6']);
const name = z.string().min(1);

/** RFC 4271 §4.2: "Hold Time MUST be either zero or at least three seconds." */
const holdTime = uint(65535).refine((v) => v === 0 || v >= 3, {
  error: 'must be 0 or at least 3 seconds (RFC 4271 §4.2)',
});

/** Linux TCP-MD5 keys are at most 80 bytes (TCP_MD5SIG_MAXKEYLEN). */
const password = text((v) => {
  const bytes = new TextEncoder().encode(v).length;
  if (bytes === 0) return 'must not be empty';
  return bytes > 80 ? `is ${bytes} bytes; TCP-MD5 keys are at most 80 (RFC 2385, Linux)` : undefined;
});

/** Everything a neighbour may set, and so everything a group may give it. */
const neighborSettings = {
  'remote-as': asn.optional(),
  description: z.string().optional(),
  'local-address': address.optional(),
  passive: z.boolean().optional(),
  'hold-time': holdTime.optional(),
  keepalive: uint(65535).optional(),
  'connect-retry': z.number().int().min(1).max(65535).optional(),
  'startup-hold-time': z.number().int().min(1).max(65535).optional(),
  families: oneOrMany(family, 1).optional(),
  'add-path': z.strictObject({ receive: oneOrMany(family).optional(), send: oneOrMany(family).optional() }).optional(),
  'graceful-restart': z
    .strictObject({
      enabled: z.boolean().optional(),
      // RFC 4724 §3: Restart Time is a 12-bit field.
      'restart-time': uint(4095).optional(),
    })
    .optional(),
  'route-reflector-client': z.boolean().optional(),
  'next-hop-self': z.boolean().optional(),
  import: oneOrMany(name).optional(),
  export: oneOrMany(name).optional(),
  'max-prefix': z
    .strictObject({
      limit: z.number().int().min(1).max(UINT32_MAX).optional(),
      action: z.enum(['warn', 'reset', 'drop']).optional(),
      'restart-after': z.number().int().min(1).max(UINT32_MAX).optional(),
    })
    .optional(),
  // Longest prefix accepted per family (FRR's and BIRD's filters of over-specific routes); longer
  // ones are filtered on import like a policy reject.
  'max-prefix-length': z.strictObject({ ipv4: uint(32).optional(), ipv6: uint(128).optional() }).optional(),
  password: password.optional(),
  // RFC 5082 §3: the TTL sent is 255; hops 1..254 gives a minimum accepted TTL of 255..2.
  'ttl-security': z.number().int().min(1).max(254).optional(),
  shutdown: z.boolean().optional(),
};

export const groupSchema = z.strictObject(neighborSettings);
export const neighborSchema = z.strictObject({ address, group: name.optional(), ...neighborSettings });

/** A prefix-list entry: "10.0.0.0/8" (exact) or {prefix, ge, le}. */
export const prefixEntrySchema = z.preprocess(
  (v) => (typeof v === 'string' ? { prefix: v } : v),
  z
    .strictObject({ prefix: prefixText, ge: uint(128).optional(), le: uint(128).optional() })
    .superRefine((entry, ctx) => {
      for (const problem of geLeProblems(entry)) ctx.addIssue({ code: 'custom', ...problem, input: entry });
    }),
);

/** ge/le must lie between the prefix length and the family's maximum, ge before le. */
function geLeProblems(entry: { prefix: string; ge?: number; le?: number }): { message: string; path: string[] }[] {
  const parsed = parsePrefix(entry.prefix);
  if (typeof parsed === 'string') return [];
  const max = familyMaxLength(parsed.family);
  const out: { message: string; path: string[] }[] = [];
  for (const key of ['ge', 'le'] as const) {
    const value = entry[key];
    if (value === undefined) continue;
    if (value < parsed.length) out.push({ path: [key], message: `${key} ${value} is shorter than the prefix length ${parsed.length}` });
    else if (value > max) out.push({ path: [key], message: `${key} ${value} is longer than ${max}, the longest ${parsed.family} prefix` });
  }
  if (entry.ge !== undefined && entry.le !== undefined && entry.ge > entry.le) {
    out.push({ path: ['le'], message: `le ${entry.le} is less than ge ${entry.ge}` });
  }
  return out;
}

/**
 * Community, extended and large community and AS path regex syntax is the policy engine's: its
 * own parsers check the text here, so the file is refused for exactly what the engine refuses.
 * '*' fields are patterns: allowed where communities are matched or removed, not where added.
 */
function policyText(parse: (v: string) => Parsed<unknown> | RegExp | string): z.ZodString {
  return text((v) => {
    const parsed = parse(v);
    if (typeof parsed === 'string') return parsed;
    return parsed instanceof RegExp || 'value' in parsed ? undefined : parsed.error;
  });
}

const communityPattern = policyText((v) => parseStandard(v, true));
const community = policyText((v) => concrete(parseStandard(v, true), isWildcardStandard, v));
const largeCommunityPattern = policyText((v) => parseLarge(v, true));
const largeCommunity = policyText((v) => concrete(parseLarge(v, true), isWildcardLarge, v));
const extCommunity = policyText(parseExtended);
const asPathRegex = policyText(compileAsPathRegex);

function concrete<T>(parsed: Parsed<T>, isWildcard: (v: T) => boolean, v: string): Parsed<T> {
  return 'value' in parsed && isWildcard(parsed.value) ? { error: `"${v}": '*' matches communities, it cannot be added` } : parsed;
}

const matchSchema = z.strictObject({
  'prefix-list': name.optional(),
  prefix: oneOrMany(prefixEntrySchema).optional(),
  'as-path-regex': asPathRegex.optional(),
  'origin-as': oneOrMany(asn).optional(),
  'contains-as': oneOrMany(asn).optional(),
  'as-path-length': z.strictObject({ min: uint(65535).optional(), max: uint(65535).optional() }).optional(),
  community: oneOrMany(communityPattern).optional(),
  'ext-community': oneOrMany(extCommunity).optional(),
  'large-community': oneOrMany(largeCommunityPattern).optional(),
  'next-hop': oneOrMany(address).optional(),
  neighbor: oneOrMany(address).optional(),
  family: family.optional(),
});

const setSchema = z.strictObject({
  'local-pref': uint(UINT32_MAX).optional(),
  med: uint(UINT32_MAX).optional(),
  prepend: z.strictObject({ asn: asn.optional(), count: z.number().int().min(1).max(64) }).optional(),
  'community-add': oneOrMany(community).optional(),
  'community-remove': oneOrMany(communityPattern).optional(),
  'community-replace': oneOrMany(community).optional(),
  'large-community-add': oneOrMany(largeCommunity).optional(),
  'large-community-remove': oneOrMany(largeCommunityPattern).optional(),
  'ext-community-add': oneOrMany(extCommunity).optional(),
  'ext-community-remove': oneOrMany(extCommunity).optional(),
  'next-hop': text((v) => (v === 'self' ? undefined : checkAddress(v)))
    .transform((v) => (v === 'self' ? v : canonicalAddress(v)))
    .optional(),
});

const termSchema = z.strictObject({
  name: name.optional(),
  match: matchSchema.optional(),
  set: setSchema.optional(),
  action: z.enum(['accept', 'reject', 'next']).optional(),
});

export const policySchema = z.strictObject({
  terms: z.array(termSchema).optional(),
  'default-action': z.enum(['accept', 'reject']).optional(),
});

const staticKinds = ['via', 'interface', 'blackhole', 'unreachable'] as const;

export const staticRouteSchema = z
  .strictObject({
    prefix: prefixText,
    via: oneOrMany(address).optional(),
    interface: name.optional(),
    blackhole: z.literal(true).optional(),
    unreachable: z.literal(true).optional(),
  })
  .superRefine((route, ctx) => {
    const given = staticKinds.filter((kind) => route[kind] !== undefined);
    if (given.length !== 1) {
      const what = given.length === 0 ? 'none is set' : `${given.join(' and ')} are set`;
      ctx.addIssue({ code: 'custom', message: `a static route needs exactly one of via, interface, blackhole, unreachable; ${what}`, input: route });
    }
    const prefixFamily = parseAddress(route.prefix.split('/')[0] ?? '')?.family;
    // An IPv4 prefix may use an IPv6 next hop (RFC 8950, Linux "via inet6"); the reverse cannot work.
    route.via?.forEach((hop, i) => {
      if (prefixFamily === 'ipv6' && parseAddress(hop)?.family === 'ipv4') {
        ctx.addIssue({ code: 'custom', path: ['via', i], message: `IPv6 prefix ${route.prefix} cannot use the IPv4 next hop ${hop}`, input: hop });
      }
    });
  });

const preference = uint(255);

export const configSchema = z.strictObject({
  'router-id': bgpIdentifier,
  'local-as': asn,
  'cluster-id': bgpIdentifier.optional(),
  listen: z.strictObject({ addresses: oneOrMany(address).optional(), port: z.number().int().min(1).max(65535).optional() }).optional(),
  'control-socket': text((v) => (v.startsWith('/') ? undefined : `"${v}" is not an absolute path`)).optional(),
  'warm-up': z.boolean().optional(),
  log: z.strictObject({ level: z.enum(['error', 'warn', 'info', 'debug']).optional() }).optional(),
  metrics: z.strictObject({ listen: text(checkHostPort).optional() }).optional(),
  'best-path': z
    .strictObject({
      'always-compare-med': z.boolean().optional(),
      'deterministic-med': z.boolean().optional(),
      'max-paths': z.number().int().min(1).max(256).optional(),
      'max-paths-ibgp': z.number().int().min(1).max(256).optional(),
    })
    .optional(),
  preference: z
    .strictObject({
      connected: preference.optional(),
      static: preference.optional(),
      ebgp: preference.optional(),
      ibgp: preference.optional(),
      kernel: preference.optional(),
    })
    .optional(),
  'neighbor-groups': z.record(z.string(), groupSchema).optional(),
  neighbors: z.array(neighborSchema).optional(),
  'prefix-lists': z.record(z.string(), oneOrMany(prefixEntrySchema)).optional(),
  policies: z.record(z.string(), policySchema).optional(),
  'static-routes': z.array(staticRouteSchema).optional(),
  fib: z
    .strictObject({
      mode: z.enum(['xdp+kernel', 'kernel', 'xdp', 'off']).optional(),
      'xdp-interfaces': oneOrMany(name).optional(),
      'keep-forwarding-on-stop': z.boolean().optional(),
      // ensurePinDir() refuses anything deeper: Node's recursive mkdir loops on a non-bpffs /sys/fs/bpf.
      'pin-dir': text((v) => (/^\/sys\/fs\/bpf\/[^/]+$/.test(v) ? undefined : `"${v}" is not a directory directly under /sys/fs/bpf`)).optional(),
      // Seconds between periodic reconciliations of the forwarding plane against the RIB; 0: never.
      'reconcile-interval': uint(86_400).optional(),
    })
    .optional(),
});

export type RawConfig = z.output<typeof configSchema>;
export type RawGroup = z.output<typeof groupSchema>;
export type RawNeighbor = z.output<typeof neighborSchema>;
export type RawPolicy = z.output<typeof policySchema>;
export type RawPrefixEntry = z.output<typeof prefixEntrySchema>;
export type RawStaticRoute = z.output<typeof staticRouteSchema>;
