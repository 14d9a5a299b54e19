#!/usr/bin/env python3
"""Writes the golden wire corpus (test/golden/wire/*.json) and the malformed corpus
(test/malformed/*.json).

Every byte here is laid out by hand from the RFC figures (RFC 4271 §4, RFC 4760 §3-4, RFC 5492,
RFC 6793, RFC 7911, RFC 9072, ...), independently of src/bgp/wire, so that the tests compare the
codec with the specification and not with itself. Run: python3 test/golden/wire/generate.py
"""
import json
import os
import struct
import sys

ROOT = os.path.dirname(os.path.abspath(__file__))
GOLDEN = ROOT
MALFORMED = os.path.join(ROOT, '..', '..', 'malformed')

MARKER = b'\xff' * 16


def u8(v): return struct.pack('!B', v)
def u16(v): return struct.pack('!H', v)
def u32(v): return struct.pack('!I', v)
def ip4(t): return bytes(int(x) for x in t.split('.'))


def ip6(t):
    import ipaddress
    return ipaddress.IPv6Address(t).packed


def msg(mtype, body, length=None):
    """RFC 4271 §4.1 header: 16-octet marker, 2-octet length, 1-octet type."""
    n = 19 + len(body) if length is None else length
    return MARKER + u16(n) + u8(mtype) + body


def attr(flags, code, value):
    """RFC 4271 §4.3: flags, type code, 1- or 2-octet length (Extended Length bit 0x10)."""
    if flags & 0x10:
        return u8(flags) + u8(code) + u16(len(value)) + value
    assert len(value) < 256
    return u8(flags) + u8(code) + u8(len(value)) + value


def pfx(text, path_id=None):
    """RFC 4271 §4.3 NLRI encoding: length in bits, then ceil(len/8) octets; RFC 7911 path id."""
    addr, ln = text.split('/')
    ln = int(ln)
    raw = ip6(addr) if ':' in addr else ip4(addr)
    b = u8(ln) + raw[:(ln + 7) // 8]
    return (u32(path_id) if path_id is not None else b'') + b


def nlri_json(text, path_id=None):
    return {'prefix': text} if path_id is None else {'prefix': text, 'pathId': path_id}


def update(withdrawn=b'', attrs=b'', nlri=b''):
    """RFC 4271 §4.3: withdrawn length, withdrawn, total path attribute length, attributes, NLRI."""
    return msg(2, u16(len(withdrawn)) + withdrawn + u16(len(attrs)) + attrs + nlri)


def open_msg(my_as, hold, bgp_id, params, version=4):
    """RFC 4271 §4.2; params is the raw optional parameter bytes (each: type, length, value)."""
    assert len(params) < 256
    return msg(1, u8(version) + u16(my_as) + u16(hold) + ip4(bgp_id) + u8(len(params)) + params)


def open_ext(my_as, hold, bgp_id, params):
    """RFC 9072 §2: Non-Ext OP Len 255, Non-Ext OP Type 255, 2-octet Extended Opt. Parm. Length,
    and each parameter with a 2-octet length."""
    return msg(1, u8(4) + u16(my_as) + u16(hold) + ip4(bgp_id) + u8(255) + u8(255) + u16(len(params)) + params)


def param(ptype, value):
    return u8(ptype) + u8(len(value)) + value


def param_ext(ptype, value):
    return u8(ptype) + u16(len(value)) + value


def cap(code, value=b''):
    """RFC 5492 §4: capability code, capability length, value."""
    return u8(code) + u8(len(value)) + value


def seg(stype, asns, as4):
    """RFC 4271 §4.3 AS_PATH segment: type, count of ASNs, ASNs (2 or 4 octets, RFC 6793)."""
    return u8(stype) + u8(len(asns)) + b''.join(u32(a) if as4 else u16(a) for a in asns)


SEG_TYPE = {'AS_SET': 1, 'AS_SEQUENCE': 2, 'AS_CONFED_SEQUENCE': 3, 'AS_CONFED_SET': 4}


def aspath(segs, as4):
    return b''.join(seg(SEG_TYPE[t], a, as4) for t, a in segs)


def segs_json(segs):
    return [{'type': t, 'asns': a} for t, a in segs]


def ctx(as4=False, add_path=(), ext=False):
    return {'as4': as4, 'addPath': list(add_path), 'extendedMessage': ext}


written = {'golden': [], 'malformed': []}


def golden(name, description, context, raw, js):
    path = os.path.join(GOLDEN, name + '.json')
    with open(path, 'w') as f:
        json.dump({'description': description, 'context': context, 'hex': raw.hex(), 'json': js}, f, indent=2)
        f.write('\n')
    written['golden'].append(name)


def malformed(name, description, rfc, context, raw, expect):
    path = os.path.join(MALFORMED, name + '.json')
    with open(path, 'w') as f:
        json.dump({'description': description, 'rfc': rfc, 'context': context, 'hex': raw.hex(),
                   'expect': expect}, f, indent=2)
        f.write('\n')
    written['malformed'].append(name)


def reset(code, subcode, data=b''):
    return {'action': 'session-reset', 'code': code, 'subcode': subcode, 'data': data.hex()}


TWA = {'action': 'treat-as-withdraw'}


def discard(code, keep=0, kept_value=None):
    e = {'action': 'attribute-discard', 'attrCode': code}
    if keep:
        e['keep'] = keep
    if kept_value is not None:
        e['keptValue'] = kept_value
    return e


# ---------------------------------------------------------------- common attribute pieces
ORIGIN_IGP = attr(0x40, 1, u8(0))
J_ORIGIN_IGP = {'code': 1, 'name': 'ORIGIN', 'flags': 0x40, 'value': 'IGP'}
ASP2 = attr(0x40, 2, aspath([('AS_SEQUENCE', [65001])], False))
J_ASP2 = {'code': 2, 'name': 'AS_PATH', 'flags': 0x40, 'value': segs_json([('AS_SEQUENCE', [65001])])}
ASP4 = attr(0x40, 2, aspath([('AS_SEQUENCE', [4200000001])], True))
J_ASP4 = {'code': 2, 'name': 'AS_PATH', 'flags': 0x40, 'value': segs_json([('AS_SEQUENCE', [4200000001])])}
NH = attr(0x40, 3, ip4('192.0.2.1'))
J_NH = {'code': 3, 'name': 'NEXT_HOP', 'flags': 0x40, 'value': '192.0.2.1'}
BASE2 = ORIGIN_IGP + ASP2 + NH
J_BASE2 = [J_ORIGIN_IGP, J_ASP2, J_NH]
NLRI1 = pfx('198.51.100.0/24')
J_NLRI1 = [nlri_json('198.51.100.0/24')]


def upd_json(withdrawn, attributes, nlri):
    return {'type': 'UPDATE', 'withdrawn': withdrawn, 'attributes': attributes, 'nlri': nlri}


def open_json(my_as, hold, bgp_id, params, ext=False):
    j = {'type': 'OPEN', 'version': 4, 'myAs': my_as, 'holdTime': hold, 'bgpId': bgp_id}
    if ext:
        j['extendedParams'] = True
    j['params'] = params
    return j


def gen_golden():
    # ------------------------------------------------------------ KEEPALIVE (RFC 4271 §4.4)
    golden('keepalive', 'KEEPALIVE: header only, length 19 (RFC 4271 §4.4)', ctx(), msg(4, b''), {'type': 'KEEPALIVE'})

    # ------------------------------------------------------------ OPEN
    caps = [
        (cap(1, u16(1) + u8(0) + u8(1)), {'code': 1, 'name': 'MULTIPROTOCOL', 'value': {'afi': 1, 'safi': 1}}),
        (cap(1, u16(2) + u8(0) + u8(1)), {'code': 1, 'name': 'MULTIPROTOCOL', 'value': {'afi': 2, 'safi': 1}}),
        (cap(2), {'code': 2, 'name': 'ROUTE_REFRESH', 'value': None}),
        (cap(128), {'code': 128, 'name': 'ROUTE_REFRESH_OLD', 'value': None}),
        (cap(70), {'code': 70, 'name': 'ENHANCED_ROUTE_REFRESH', 'value': None}),
        (cap(65, u32(4200000001)), {'code': 65, 'name': 'FOUR_OCTET_AS', 'value': 4200000001}),
        (cap(6), {'code': 6, 'name': 'EXTENDED_MESSAGE', 'value': None}),
        (cap(9, u8(3)), {'code': 9, 'name': 'BGP_ROLE', 'value': 3}),
        (cap(69, u16(1) + u8(1) + u8(3) + u16(2) + u8(1) + u8(1)),
         {'code': 69, 'name': 'ADD_PATH', 'value': [{'afi': 1, 'safi': 1, 'sendReceive': 3},
                                                     {'afi': 2, 'safi': 1, 'sendReceive': 1}]}),
    ]
    golden('open-capabilities',
           'OPEN, AS_TRANS in My AS, one Capabilities parameter holding several capabilities (RFC 4271 §4.2, RFC 5492, RFC 6793 §4)',
           ctx(), open_msg(23456, 90, '192.0.2.1', param(2, b''.join(c for c, _ in caps))),
           open_json(23456, 90, '192.0.2.1', [{'type': 2, 'capabilities': [j for _, j in caps]}]))
    golden('open-params-per-capability',
           'OPEN with one Capabilities optional parameter per capability (RFC 5492 §4 allows either form)',
           ctx(), open_msg(65001, 180, '10.0.0.1', b''.join(param(2, c) for c, _ in caps[:3])),
           open_json(65001, 180, '10.0.0.1', [{'type': 2, 'capabilities': [j]} for _, j in caps[:3]]))
    golden('open-no-params', 'OPEN without optional parameters, hold time 0 (RFC 4271 §4.2)', ctx(),
           open_msg(64512, 0, '203.0.113.9', b''), open_json(64512, 0, '203.0.113.9', []))
    golden('open-extended-params',
           'OPEN with RFC 9072 extended optional parameters: 255, 255, 2-octet length, 2-octet parameter lengths',
           ctx(), open_ext(65001, 90, '192.0.2.1', param_ext(2, b''.join(c for c, _ in caps[:6]))),
           open_json(65001, 90, '192.0.2.1', [{'type': 2, 'capabilities': [j for _, j in caps[:6]]}], ext=True))

    # one OPEN per capability kind
    percap = {
        'multiprotocol': caps[0],
        'route-refresh': caps[2],
        'route-refresh-old': caps[3],
        'enhanced-route-refresh': caps[4],
        'four-octet-as': caps[5],
        'extended-message': caps[6],
        'bgp-role': caps[7],
        'add-path': caps[8],
        # RFC 8950 §3: NLRI AFI (2), NLRI SAFI (2), Nexthop AFI (2)
        'extended-next-hop': (cap(5, u16(1) + u16(1) + u16(2) + u16(1) + u16(128) + u16(2)),
                              {'code': 5, 'name': 'EXTENDED_NEXT_HOP',
                               'value': [{'afi': 1, 'safi': 1, 'nextHopAfi': 2}, {'afi': 1, 'safi': 128, 'nextHopAfi': 2}]}),
        # RFC 4724 §3 + RFC 8538: R bit 0x8000, N bit 0x4000, 12-bit restart time; per AF: AFI, SAFI, flags (F 0x80)
        'graceful-restart': (cap(64, u16(0x8000 | 0x4000 | 120) + u16(1) + u8(1) + u8(0x80) + u16(2) + u8(1) + u8(0)),
                             {'code': 64, 'name': 'GRACEFUL_RESTART',
                              'value': {'restarting': True, 'notification': True, 'restartTime': 120,
                                        'families': [{'afi': 1, 'safi': 1, 'forwardingPreserved': True},
                                                     {'afi': 2, 'safi': 1, 'forwardingPreserved': False}]}}),
        'graceful-restart-helper': (cap(64, u16(4095)),
                                    {'code': 64, 'name': 'GRACEFUL_RESTART',
                                     'value': {'restarting': False, 'notification': False, 'restartTime': 4095, 'families': []}}),
        # RFC 9494 §2: AFI (2), SAFI (1), Flags (1, F = 0x80), Long-lived Stale Time (3)
        'long-lived-gr': (cap(71, u16(1) + u8(1) + u8(0x80) + bytes([0x01, 0x51, 0x80]) + u16(2) + u8(1) + u8(0) + bytes([0xff, 0xff, 0xff])),
                          {'code': 71, 'name': 'LONG_LIVED_GR',
                           'value': [{'afi': 1, 'safi': 1, 'flags': 0x80, 'staleTime': 86400},
                                     {'afi': 2, 'safi': 1, 'flags': 0, 'staleTime': 16777215}]}),
        # draft-walton-bgp-hostname §3: hostname length, hostname, domain length, domain
        'fqdn': (cap(73, u8(7) + b'router1' + u8(11) + b'example.net'),
                 {'code': 73, 'name': 'FQDN', 'value': {'hostname': 'router1', 'domain': 'example.net'}}),
        'fqdn-empty-domain': (cap(73, u8(2) + b'r2' + u8(0)),
                              {'code': 73, 'name': 'FQDN', 'value': {'hostname': 'r2', 'domain': ''}}),
        'unknown': (cap(200, bytes([0xde, 0xad, 0xbe, 0xef])), {'code': 200, 'name': 'UNKNOWN', 'value': 'deadbeef'}),
        'unknown-empty': (cap(131), {'code': 131, 'name': 'UNKNOWN', 'value': ''}),
    }
    for name, (c, j) in percap.items():
        golden('cap-' + name, f'OPEN carrying the {j["name"]} capability (code {j["code"]})', ctx(),
               open_msg(65001, 90, '192.0.2.1', param(2, c)),
               open_json(65001, 90, '192.0.2.1', [{'type': 2, 'capabilities': [j]}]))

    # ------------------------------------------------------------ UPDATE IPv4
    golden('update-ipv4',
           'UPDATE with withdrawn routes, ORIGIN, AS_PATH, NEXT_HOP, MED, LOCAL_PREF and three NLRI (RFC 4271 §4.3)',
           ctx(),
           update(pfx('10.1.0.0/16') + pfx('0.0.0.0/0'),
                  BASE2 + attr(0x80, 4, u32(100)) + attr(0x40, 5, u32(200)),
                  pfx('198.51.100.0/24') + pfx('203.0.113.128/25') + pfx('192.0.2.1/32') + pfx('10.0.0.0/8')),
           upd_json([nlri_json('10.1.0.0/16'), nlri_json('0.0.0.0/0')],
                    J_BASE2 + [{'code': 4, 'name': 'MULTI_EXIT_DISC', 'flags': 0x80, 'value': 100},
                               {'code': 5, 'name': 'LOCAL_PREF', 'flags': 0x40, 'value': 200}],
                    [nlri_json('198.51.100.0/24'), nlri_json('203.0.113.128/25'), nlri_json('192.0.2.1/32'),
                     nlri_json('10.0.0.0/8')]))
    golden('update-withdraw-only', 'UPDATE with withdrawn routes only (no attributes needed)', ctx(),
           update(pfx('198.51.100.0/24') + pfx('172.16.0.0/12')),
           upd_json([nlri_json('198.51.100.0/24'), nlri_json('172.16.0.0/12')], [], []))
    golden('eor-ipv4', 'End-of-RIB for IPv4 unicast: an UPDATE with no withdrawn routes, no attributes, no NLRI (RFC 4724 §2)',
           ctx(), update(), upd_json([], [], []))

    # ------------------------------------------------------------ MP_REACH / MP_UNREACH (RFC 4760)
    def mp_reach(afi, safi, nh, nlri, flags=0x90, reserved=0):
        return attr(flags, 14, u16(afi) + u8(safi) + u8(len(nh)) + nh + u8(reserved) + nlri)

    def mp_unreach(afi, safi, wd, flags=0x90):
        return attr(flags, 15, u16(afi) + u8(safi) + wd)

    nh6 = ip6('2001:db8::1') + ip6('fe80::1:2ff:fe03:405')
    golden('update-mp-reach-ipv6-link-local',
           'UPDATE with MP_REACH_NLRI IPv6 unicast, 32-octet next hop (global + link-local, RFC 2545 §3), extended-length flag',
           ctx(),
           update(attrs=mp_reach(2, 1, nh6, pfx('2001:db8:1::/48') + pfx('2001:db8:2:3::/64') + pfx('::/0') + pfx('2001:db8::1/128'))
                  + ORIGIN_IGP + ASP2),
           upd_json([], [{'code': 14, 'name': 'MP_REACH_NLRI', 'flags': 0x90,
                          'value': {'afi': 2, 'safi': 1, 'nextHops': ['2001:db8::1', 'fe80::1:2ff:fe03:405'],
                                    'nlri': [nlri_json('2001:db8:1::/48'), nlri_json('2001:db8:2:3::/64'), nlri_json('::/0'),
                                             nlri_json('2001:db8::1/128')]}},
                         J_ORIGIN_IGP, J_ASP2], []))
    golden('update-mp-reach-ipv6-global',
           'UPDATE with MP_REACH_NLRI IPv6 unicast, 16-octet next hop, 1-octet attribute length',
           ctx(),
           update(attrs=ORIGIN_IGP + ASP2 + mp_reach(2, 1, ip6('2001:db8::fe'), pfx('2001:db8:ab00::/40'), flags=0x80)),
           upd_json([], [J_ORIGIN_IGP, J_ASP2,
                         {'code': 14, 'name': 'MP_REACH_NLRI', 'flags': 0x80,
                          'value': {'afi': 2, 'safi': 1, 'nextHops': ['2001:db8::fe'], 'nlri': [nlri_json('2001:db8:ab00::/40')]}}],
                    []))
    golden('update-mp-reach-ipv4-ipv6-nexthop',
           'UPDATE with MP_REACH_NLRI IPv4 unicast and an IPv6 next hop (RFC 8950 §3)',
           ctx(),
           update(attrs=mp_reach(1, 1, ip6('2001:db8::1'), pfx('192.0.2.0/24')) + ORIGIN_IGP + ASP2),
           upd_json([], [{'code': 14, 'name': 'MP_REACH_NLRI', 'flags': 0x90,
                          'value': {'afi': 1, 'safi': 1, 'nextHops': ['2001:db8::1'], 'nlri': [nlri_json('192.0.2.0/24')]}},
                         J_ORIGIN_IGP, J_ASP2], []))
    golden('update-mp-reach-ipv4',
           'UPDATE with MP_REACH_NLRI IPv4 unicast, 4-octet next hop, no NEXT_HOP attribute (RFC 4760 §3)',
           ctx(),
           update(attrs=mp_reach(1, 1, ip4('192.0.2.254'), pfx('10.2.0.0/15') + pfx('10.4.4.0/22')) + ORIGIN_IGP + ASP2),
           upd_json([], [{'code': 14, 'name': 'MP_REACH_NLRI', 'flags': 0x90,
                          'value': {'afi': 1, 'safi': 1, 'nextHops': ['192.0.2.254'],
                                    'nlri': [nlri_json('10.2.0.0/15'), nlri_json('10.4.4.0/22')]}},
                         J_ORIGIN_IGP, J_ASP2], []))
    golden('update-mp-reach-reserved-nonzero',
           'MP_REACH_NLRI whose Reserved octet is not 0 (RFC 4760 §3: ignored on receipt; kept for re-encoding)',
           ctx(),
           update(attrs=mp_reach(2, 1, ip6('2001:db8::2'), pfx('2001:db8:5::/48'), reserved=7) + ORIGIN_IGP + ASP2),
           upd_json([], [{'code': 14, 'name': 'MP_REACH_NLRI', 'flags': 0x90,
                          'value': {'afi': 2, 'safi': 1, 'nextHops': ['2001:db8::2'], 'reserved': 7,
                                    'nlri': [nlri_json('2001:db8:5::/48')]}},
                         J_ORIGIN_IGP, J_ASP2], []))
    # VPNv4 (AFI 1, SAFI 128): next hop is RD (8 zero octets) + IPv4 (RFC 4364 §4.3.2); the codec keeps it raw
    vpn_nh = bytes(8) + ip4('192.0.2.1')
    vpn_nlri = bytes([88 + 24]) + bytes([0x00, 0x3e, 0x81]) + bytes([0, 0, 0xfd, 0xe9, 0, 0, 0, 1]) + bytes([10, 1, 2])
    golden('update-mp-reach-unknown-family',
           'MP_REACH_NLRI for a family the codec does not interpret (VPNv4): next hop and NLRI kept as raw hex',
           ctx(),
           update(attrs=mp_reach(1, 128, vpn_nh, vpn_nlri) + ORIGIN_IGP + ASP2),
           upd_json([], [{'code': 14, 'name': 'MP_REACH_NLRI', 'flags': 0x90,
                          'value': {'afi': 1, 'safi': 128, 'nextHops': [], 'nextHopHex': vpn_nh.hex(), 'nlri': [],
                                    'nlriHex': vpn_nlri.hex()}},
                         J_ORIGIN_IGP, J_ASP2], []))
    golden('update-mp-unreach-ipv6',
           'UPDATE with MP_UNREACH_NLRI IPv6 unicast withdrawing two prefixes (RFC 4760 §4)',
           ctx(), update(attrs=mp_unreach(2, 1, pfx('2001:db8:1::/48') + pfx('2001:db8:ffff:ff00::/56'))),
           upd_json([], [{'code': 15, 'name': 'MP_UNREACH_NLRI', 'flags': 0x90,
                          'value': {'afi': 2, 'safi': 1,
                                    'withdrawn': [nlri_json('2001:db8:1::/48'), nlri_json('2001:db8:ffff:ff00::/56')]}}], []))
    golden('update-mp-unreach-unknown-family',
           'MP_UNREACH_NLRI for a family the codec does not interpret (VPNv4): withdrawn NLRI kept raw',
           ctx(), update(attrs=mp_unreach(1, 128, vpn_nlri, flags=0x80)),
           upd_json([], [{'code': 15, 'name': 'MP_UNREACH_NLRI', 'flags': 0x80,
                          'value': {'afi': 1, 'safi': 128, 'withdrawn': [], 'nlriHex': vpn_nlri.hex()}}], []))
    golden('eor-ipv6',
           'End-of-RIB for IPv6 unicast: an UPDATE whose only attribute is an empty MP_UNREACH_NLRI (RFC 4724 §2)',
           ctx(), update(attrs=attr(0x80, 15, u16(2) + u8(1))),
           upd_json([], [{'code': 15, 'name': 'MP_UNREACH_NLRI', 'flags': 0x80,
                          'value': {'afi': 2, 'safi': 1, 'withdrawn': []}}], []))
    golden('update-nlri-and-mp-reach',
           'UPDATE with both an NLRI field and MP_REACH_NLRI: RFC 7606 §5.1 says a receiver MUST still accept any combination',
           ctx(),
           update(attrs=mp_reach(2, 1, ip6('2001:db8::1'), pfx('2001:db8:7::/48')) + BASE2, nlri=NLRI1),
           upd_json([], [{'code': 14, 'name': 'MP_REACH_NLRI', 'flags': 0x90,
                          'value': {'afi': 2, 'safi': 1, 'nextHops': ['2001:db8::1'], 'nlri': [nlri_json('2001:db8:7::/48')]}}]
                    + J_BASE2, J_NLRI1))

    golden('update-nlri-and-mp-reach-ipv4',
           'IPv4 unicast NLRI both in the NLRI field and in MP_REACH_NLRI (1/1): RFC 7606 §5.1, a receiver MUST be prepared to receive these fields in any combination',
           ctx(),
           update(attrs=mp_reach(1, 1, ip4('192.0.2.2'), pfx('10.7.0.0/16')) + BASE2, nlri=NLRI1),
           upd_json([], [{'code': 14, 'name': 'MP_REACH_NLRI', 'flags': 0x90,
                          'value': {'afi': 1, 'safi': 1, 'nextHops': ['192.0.2.2'], 'nlri': [nlri_json('10.7.0.0/16')]}}]
                    + J_BASE2, J_NLRI1))

    # ------------------------------------------------------------ ADD-PATH (RFC 7911 §3)
    golden('update-addpath-ipv4',
           'UPDATE with ADD-PATH negotiated for 1/1: 4-octet Path Identifier before each withdrawn route and NLRI',
           ctx(add_path=['1/1']),
           update(pfx('10.9.0.0/16', 7), BASE2, pfx('198.51.100.0/24', 1) + pfx('198.51.100.0/24', 2) + pfx('0.0.0.0/0', 4294967295)),
           upd_json([nlri_json('10.9.0.0/16', 7)], J_BASE2,
                    [nlri_json('198.51.100.0/24', 1), nlri_json('198.51.100.0/24', 2), nlri_json('0.0.0.0/0', 4294967295)]))
    golden('update-addpath-ipv6',
           'UPDATE with ADD-PATH negotiated for 2/1 only: path ids inside MP_REACH_NLRI and MP_UNREACH_NLRI',
           ctx(add_path=['2/1']),
           update(attrs=mp_unreach(2, 1, pfx('2001:db8:9::/48', 3)) + mp_reach(2, 1, ip6('2001:db8::1'), pfx('2001:db8:1::/48', 10) + pfx('2001:db8:1::/48', 11))
                  + ORIGIN_IGP + ASP2),
           upd_json([], [{'code': 15, 'name': 'MP_UNREACH_NLRI', 'flags': 0x90,
                          'value': {'afi': 2, 'safi': 1, 'withdrawn': [nlri_json('2001:db8:9::/48', 3)]}},
                         {'code': 14, 'name': 'MP_REACH_NLRI', 'flags': 0x90,
                          'value': {'afi': 2, 'safi': 1, 'nextHops': ['2001:db8::1'],
                                    'nlri': [nlri_json('2001:db8:1::/48', 10), nlri_json('2001:db8:1::/48', 11)]}},
                         J_ORIGIN_IGP, J_ASP2], []))
    golden('update-addpath-other-family',
           'ADD-PATH negotiated for 2/1 only: the IPv4 NLRI field carries no path ids',
           ctx(add_path=['2/1']), update(attrs=BASE2, nlri=NLRI1), upd_json([], J_BASE2, J_NLRI1))

    # ------------------------------------------------------------ one UPDATE per attribute kind
    def attr_case(name, desc, a, j, context=None, base=BASE2, jbase=None):
        golden('attr-' + name, desc, context or ctx(), update(attrs=base + a, nlri=NLRI1),
               upd_json([], (J_BASE2 if jbase is None else jbase) + [j], J_NLRI1))

    golden('attr-origin-egp', 'ORIGIN EGP (value 1)', ctx(),
           update(attrs=attr(0x40, 1, u8(1)) + ASP2 + NH, nlri=NLRI1),
           upd_json([], [{'code': 1, 'name': 'ORIGIN', 'flags': 0x40, 'value': 'EGP'}, J_ASP2, J_NH], J_NLRI1))
    golden('attr-origin-incomplete', 'ORIGIN INCOMPLETE (value 2)', ctx(),
           update(attrs=attr(0x40, 1, u8(2)) + ASP2 + NH, nlri=NLRI1),
           upd_json([], [{'code': 1, 'name': 'ORIGIN', 'flags': 0x40, 'value': 'INCOMPLETE'}, J_ASP2, J_NH], J_NLRI1))
    golden('attr-extended-length-short',
           'ORIGIN sent with the Extended Length bit (0x50) and a 2-octet length of 1: legal (RFC 4271 §4.3), flags kept',
           ctx(), update(attrs=attr(0x50, 1, u8(0)) + ASP2 + NH, nlri=NLRI1),
           upd_json([], [{'code': 1, 'name': 'ORIGIN', 'flags': 0x50, 'value': 'IGP'}, J_ASP2, J_NH], J_NLRI1))
    all_segs2 = [('AS_SEQUENCE', [65001, 65002, 1]), ('AS_SET', [64512, 64513]), ('AS_CONFED_SEQUENCE', [65100]),
                 ('AS_CONFED_SET', [65200, 65535])]
    golden('attr-as-path-2-octet', 'AS_PATH with 2-octet ASNs and all four segment types (RFC 4271 §4.3, RFC 5065 §3)', ctx(),
           update(attrs=ORIGIN_IGP + attr(0x40, 2, aspath(all_segs2, False)) + NH, nlri=NLRI1),
           upd_json([], [J_ORIGIN_IGP, {'code': 2, 'name': 'AS_PATH', 'flags': 0x40, 'value': segs_json(all_segs2)}, J_NH], J_NLRI1))
    all_segs4 = [('AS_CONFED_SEQUENCE', [4200000000]), ('AS_CONFED_SET', [65536, 1]),
                 ('AS_SEQUENCE', [4200000001, 4294967295, 23456]), ('AS_SET', [131072, 65550])]
    golden('attr-as-path-4-octet', 'AS_PATH with 4-octet ASNs (RFC 6793 §3) and all four segment types', ctx(as4=True),
           update(attrs=ORIGIN_IGP + attr(0x40, 2, aspath(all_segs4, True)) + NH, nlri=NLRI1),
           upd_json([], [J_ORIGIN_IGP, {'code': 2, 'name': 'AS_PATH', 'flags': 0x40, 'value': segs_json(all_segs4)}, J_NH], J_NLRI1))
    golden('attr-as-path-empty', 'Empty AS_PATH (length 0), as sent to iBGP peers (RFC 4271 §5.1.2)', ctx(),
           update(attrs=ORIGIN_IGP + attr(0x40, 2, b'') + NH, nlri=NLRI1),
           upd_json([], [J_ORIGIN_IGP, {'code': 2, 'name': 'AS_PATH', 'flags': 0x40, 'value': []}, J_NH], J_NLRI1))
    golden('attr-as-path-long-segment', 'AS_SEQUENCE of 255 ASNs (the most one segment holds)', ctx(as4=True),
           update(attrs=ORIGIN_IGP + attr(0x50, 2, aspath([('AS_SEQUENCE', list(range(70000, 70255)))], True)) + NH, nlri=NLRI1),
           upd_json([], [J_ORIGIN_IGP, {'code': 2, 'name': 'AS_PATH', 'flags': 0x50,
                                        'value': segs_json([('AS_SEQUENCE', list(range(70000, 70255)))])}, J_NH], J_NLRI1))
    attr_case('med', 'MULTI_EXIT_DISC (optional non-transitive, 4 octets)', attr(0x80, 4, u32(4294967295)),
              {'code': 4, 'name': 'MULTI_EXIT_DISC', 'flags': 0x80, 'value': 4294967295})
    attr_case('local-pref', 'LOCAL_PREF (well-known, 4 octets)', attr(0x40, 5, u32(0)),
              {'code': 5, 'name': 'LOCAL_PREF', 'flags': 0x40, 'value': 0})
    attr_case('atomic-aggregate', 'ATOMIC_AGGREGATE (well-known discretionary, length 0)', attr(0x40, 6, b''),
              {'code': 6, 'name': 'ATOMIC_AGGREGATE', 'flags': 0x40, 'value': True})
    attr_case('aggregator-2-octet', 'AGGREGATOR with a 2-octet AS (length 6, RFC 4271 §5.1.7)',
              attr(0xC0, 7, u16(65010) + ip4('192.0.2.77')),
              {'code': 7, 'name': 'AGGREGATOR', 'flags': 0xC0, 'value': {'asn': 65010, 'address': '192.0.2.77'}})
    attr_case('aggregator-4-octet', 'AGGREGATOR with a 4-octet AS (length 8, RFC 6793 §3)',
              attr(0xC0, 7, u32(4200000077) + ip4('192.0.2.77')),
              {'code': 7, 'name': 'AGGREGATOR', 'flags': 0xC0, 'value': {'asn': 4200000077, 'address': '192.0.2.77'}},
              context=ctx(as4=True), base=ORIGIN_IGP + ASP4 + NH, jbase=[J_ORIGIN_IGP, J_ASP4, J_NH])
    attr_case('communities', 'COMMUNITIES (RFC 1997): 32-bit values incl. NO_EXPORT and NO_ADVERTISE',
              attr(0xC0, 8, u32(0xFDE90064) + u32(0xFFFFFF01) + u32(0xFFFFFF02) + u32(0)),
              {'code': 8, 'name': 'COMMUNITIES', 'flags': 0xC0, 'value': [0xFDE90064, 0xFFFFFF01, 0xFFFFFF02, 0]})
    attr_case('originator-id', 'ORIGINATOR_ID (RFC 4456 §8, optional non-transitive)', attr(0x80, 9, ip4('10.255.0.1')),
              {'code': 9, 'name': 'ORIGINATOR_ID', 'flags': 0x80, 'value': '10.255.0.1'})
    attr_case('cluster-list', 'CLUSTER_LIST (RFC 4456 §8) of three cluster ids',
              attr(0x80, 10, ip4('10.0.0.1') + ip4('10.0.0.2') + ip4('0.0.0.3')),
              {'code': 10, 'name': 'CLUSTER_LIST', 'flags': 0x80, 'value': ['10.0.0.1', '10.0.0.2', '0.0.0.3']})
    ec = [bytes([0x00, 0x02, 0xfd, 0xe9, 0, 0, 0, 100]), bytes([0x01, 0x03, 192, 0, 2, 1, 0, 7]), bytes([0x43, 0x00, 0, 0, 0, 0, 0, 1])]
    attr_case('ext-communities', 'EXTENDED_COMMUNITIES (RFC 4360 §2): route target, route origin, opaque',
              attr(0xC0, 16, b''.join(ec)),
              {'code': 16, 'name': 'EXTENDED_COMMUNITIES', 'flags': 0xC0, 'value': [e.hex() for e in ec]})
    attr_case('as4-path', 'AS4_PATH (RFC 6793 §3) from a 2-octet-AS session, beside an AS_PATH holding AS_TRANS',
              attr(0xC0, 17, aspath([('AS_SEQUENCE', [4200000001, 65001]), ('AS_SET', [4200000002])], True)),
              {'code': 17, 'name': 'AS4_PATH', 'flags': 0xC0,
               'value': segs_json([('AS_SEQUENCE', [4200000001, 65001]), ('AS_SET', [4200000002])])},
              base=ORIGIN_IGP + attr(0x40, 2, aspath([('AS_SEQUENCE', [23456, 65001]), ('AS_SET', [23456])], False)) + NH,
              jbase=[J_ORIGIN_IGP, {'code': 2, 'name': 'AS_PATH', 'flags': 0x40,
                                    'value': segs_json([('AS_SEQUENCE', [23456, 65001]), ('AS_SET', [23456])])}, J_NH])
    attr_case('as4-aggregator', 'AS4_AGGREGATOR (RFC 6793 §3) beside an AGGREGATOR holding AS_TRANS',
              attr(0xC0, 18, u32(4200000077) + ip4('192.0.2.77')),
              {'code': 18, 'name': 'AS4_AGGREGATOR', 'flags': 0xC0, 'value': {'asn': 4200000077, 'address': '192.0.2.77'}},
              base=BASE2 + attr(0xC0, 7, u16(23456) + ip4('192.0.2.77')),
              jbase=J_BASE2 + [{'code': 7, 'name': 'AGGREGATOR', 'flags': 0xC0, 'value': {'asn': 23456, 'address': '192.0.2.77'}}])
    attr_case('large-community', 'LARGE_COMMUNITY (RFC 8092 §3): two 12-octet communities',
              attr(0xC0, 32, u32(4200000001) + u32(0) + u32(4294967295) + u32(65001) + u32(1) + u32(2)),
              {'code': 32, 'name': 'LARGE_COMMUNITY', 'flags': 0xC0, 'value': [[4200000001, 0, 4294967295], [65001, 1, 2]]})
    attr_case('otc', 'ONLY_TO_CUSTOMER (RFC 9234 §5): optional transitive, 4-octet AS', attr(0xC0, 35, u32(4200000001)),
              {'code': 35, 'name': 'ONLY_TO_CUSTOMER', 'flags': 0xC0, 'value': 4200000001})
    attr_case('unknown-optional-transitive',
              'Unknown optional transitive attribute (code 250) with the Partial bit: kept raw, flags as received',
              attr(0xE0, 250, bytes([1, 2, 3, 4, 5])),
              {'code': 250, 'name': 'UNKNOWN', 'flags': 0xE0, 'value': '0102030405'})
    attr_case('unknown-optional-transitive-no-partial',
              'Unknown optional transitive attribute (code 99), Partial bit clear on receipt: kept as received (setting Partial is the exporter\'s job, RFC 4271 §5)',
              attr(0xC0, 99, bytes([0xab])),
              {'code': 99, 'name': 'UNKNOWN', 'flags': 0xC0, 'value': 'ab'})
    attr_case('unknown-optional-transitive-extended',
              'Unknown optional transitive attribute with the Extended Length bit and an empty value',
              attr(0xD0, 241, b''),
              {'code': 241, 'name': 'UNKNOWN', 'flags': 0xD0, 'value': ''})
    golden('update-all-attributes',
           'UPDATE carrying every attribute kind at once (2-octet session)', ctx(),
           update(attrs=BASE2 + attr(0x80, 4, u32(5)) + attr(0x40, 5, u32(100)) + attr(0x40, 6, b'')
                  + attr(0xC0, 7, u16(23456) + ip4('192.0.2.77')) + attr(0xC0, 8, u32(0xFDE90001))
                  + attr(0x80, 9, ip4('10.255.0.1')) + attr(0x80, 10, ip4('10.0.0.1'))
                  + attr(0xC0, 16, ec[0]) + attr(0xC0, 17, aspath([('AS_SEQUENCE', [4200000001])], True))
                  + attr(0xC0, 18, u32(4200000077) + ip4('192.0.2.77')) + attr(0xC0, 32, u32(1) + u32(2) + u32(3))
                  + attr(0xC0, 35, u32(65001)) + attr(0xC0, 200, b'\x00'), nlri=NLRI1),
           upd_json([], J_BASE2 + [
               {'code': 4, 'name': 'MULTI_EXIT_DISC', 'flags': 0x80, 'value': 5},
               {'code': 5, 'name': 'LOCAL_PREF', 'flags': 0x40, 'value': 100},
               {'code': 6, 'name': 'ATOMIC_AGGREGATE', 'flags': 0x40, 'value': True},
               {'code': 7, 'name': 'AGGREGATOR', 'flags': 0xC0, 'value': {'asn': 23456, 'address': '192.0.2.77'}},
               {'code': 8, 'name': 'COMMUNITIES', 'flags': 0xC0, 'value': [0xFDE90001]},
               {'code': 9, 'name': 'ORIGINATOR_ID', 'flags': 0x80, 'value': '10.255.0.1'},
               {'code': 10, 'name': 'CLUSTER_LIST', 'flags': 0x80, 'value': ['10.0.0.1']},
               {'code': 16, 'name': 'EXTENDED_COMMUNITIES', 'flags': 0xC0, 'value': [ec[0].hex()]},
               {'code': 17, 'name': 'AS4_PATH', 'flags': 0xC0, 'value': segs_json([('AS_SEQUENCE', [4200000001])])},
               {'code': 18, 'name': 'AS4_AGGREGATOR', 'flags': 0xC0, 'value': {'asn': 4200000077, 'address': '192.0.2.77'}},
               {'code': 32, 'name': 'LARGE_COMMUNITY', 'flags': 0xC0, 'value': [[1, 2, 3]]},
               {'code': 35, 'name': 'ONLY_TO_CUSTOMER', 'flags': 0xC0, 'value': 65001},
               {'code': 200, 'name': 'UNKNOWN', 'flags': 0xC0, 'value': '00'},
           ], J_NLRI1))

    # ------------------------------------------------------------ NOTIFICATION (RFC 4271 §4.5)
    golden('notification-plain', 'NOTIFICATION OPEN Message Error / Bad Peer AS with 2 octets of data', ctx(),
           msg(3, u8(2) + u8(2) + u16(65001)), {'type': 'NOTIFICATION', 'code': 2, 'subcode': 2, 'data': 'fde9'})
    golden('notification-no-data', 'NOTIFICATION Hold Timer Expired, no data (minimum length 21)', ctx(),
           msg(3, u8(4) + u8(0)), {'type': 'NOTIFICATION', 'code': 4, 'subcode': 0, 'data': ''})
    text = 'Wartung: zurück um 10:00 – NOC'
    tb = text.encode('utf-8')
    golden('notification-shutdown',
           'NOTIFICATION Cease / Administrative Shutdown with an RFC 9003 shutdown communication (length octet + UTF-8)', ctx(),
           msg(3, u8(6) + u8(2) + u8(len(tb)) + tb),
           {'type': 'NOTIFICATION', 'code': 6, 'subcode': 2, 'data': (u8(len(tb)) + tb).hex(), 'shutdownMessage': text})
    tb2 = b'upgrade'
    golden('notification-reset',
           'NOTIFICATION Cease / Administrative Reset with an RFC 9003 shutdown communication', ctx(),
           msg(3, u8(6) + u8(4) + u8(len(tb2)) + tb2),
           {'type': 'NOTIFICATION', 'code': 6, 'subcode': 4, 'data': (u8(len(tb2)) + tb2).hex(), 'shutdownMessage': 'upgrade'})

    # ------------------------------------------------------------ ROUTE-REFRESH (RFC 2918 §3, RFC 7313 §3.2)
    for name, afi, st, safi in [('normal', 1, 0, 1), ('borr', 2, 1, 1), ('eorr', 2, 2, 1)]:
        golden('route-refresh-' + name, f'ROUTE-REFRESH subtype {st} for AFI {afi} SAFI {safi} (RFC 7313 §3.2)', ctx(),
               msg(5, u16(afi) + u8(st) + u8(safi)), {'type': 'ROUTE_REFRESH', 'afi': afi, 'subtype': st, 'safi': safi})

    # ------------------------------------------------------------ extended message (RFC 8654)
    n = 1100
    prefixes = [f'10.{i // 256}.{i % 256}.0/24' for i in range(n)]
    raw = update(attrs=BASE2, nlri=b''.join(pfx(p) for p in prefixes))
    assert len(raw) > 4096
    golden('update-extended-message',
           f'UPDATE of {len(raw)} octets (> 4096), legal only once RFC 8654 extended messages were negotiated', ctx(ext=True), raw,
           upd_json([], J_BASE2, [nlri_json(p) for p in prefixes]))
    return raw


def gen_malformed(big_update):
    H = 'RFC 4271 §6.1'
    # ------------------------------------------------------------ header errors
    malformed('header-bad-marker', 'Marker not all ones', H + ' (Connection Not Synchronized)', ctx(),
              b'\xff' * 15 + b'\xfe' + u16(19) + u8(4), reset(1, 1))
    malformed('header-length-below-19', 'Length field 18 (< 19)', H + ' (Bad Message Length, data = the Length field)', ctx(),
              MARKER + u16(18) + u8(4), reset(1, 2, u16(18)))
    big = msg(2, u16(0) + u16(0) + bytes(4097 - 23))
    malformed('header-length-above-4096', 'UPDATE of length 4097 without extended messages', H + ', RFC 8654 §4', ctx(),
              big, reset(1, 2, u16(4097)))
    malformed('header-extended-message-not-negotiated',
              'The golden extended-message UPDATE (> 4096 octets) on a session without RFC 8654 extended messages',
              H + ', RFC 8654 §4', ctx(), big_update, reset(1, 2, big_update[16:18]))
    # RFC 8654 §4: the capability applies to all messages except OPEN and KEEPALIVE
    many = b''.join(cap(200, bytes([i]) * 240) for i in range(18))
    big_open = open_ext(65001, 90, '192.0.2.1', param_ext(2, many))
    assert len(big_open) > 4096
    malformed('header-open-above-4096-extended',
              'OPEN longer than 4096 octets (RFC 9072 parameters) even with extended messages negotiated',
              'RFC 8654 §4 (OPEN and KEEPALIVE excepted), ' + H, ctx(ext=True), big_open, reset(1, 2, u16(len(big_open))))
    malformed('header-keepalive-length-20', 'KEEPALIVE of length 20', H + ' (KEEPALIVE length must be 19)', ctx(),
              MARKER + u16(20) + u8(4) + b'\x00', reset(1, 2, u16(20)))
    malformed('header-open-length-28', 'OPEN shorter than the 29-octet minimum', H, ctx(),
              msg(1, u8(4) + u16(65001) + u16(90) + ip4('192.0.2.1')), reset(1, 2, u16(28)))
    malformed('header-update-length-22', 'UPDATE shorter than the 23-octet minimum', H, ctx(),
              msg(2, u16(0) + u8(0)), reset(1, 2, u16(22)))
    malformed('header-notification-length-20', 'NOTIFICATION of 20 octets (minimum 21)', H, ctx(),
              msg(3, u8(6)), reset(1, 2, u16(20)))
    malformed('header-bad-type', 'Message type 7 (not defined)', H + ' (Bad Message Type, data = the Type field)', ctx(),
              msg(7, b''), reset(1, 3, u8(7)))
    malformed('header-bad-type-0', 'Message type 0', H + ' (Bad Message Type)', ctx(), msg(0, b''), reset(1, 3, u8(0)))
    malformed('header-truncated-buffer',
              'Length field says 23 but only 21 octets are given (a message cut short); judged as a bad Length field',
              H + ' (Bad Message Length): our reading, the RFC only frames a TCP stream', ctx(),
              MARKER + u16(23) + u8(2) + b'\x00\x00', reset(1, 2, u16(23)))
    rr_bad = msg(5, u16(1) + u8(1) + u8(1) + b'\x00')
    malformed('route-refresh-borr-length-24', 'BoRR ROUTE-REFRESH of 24 octets',
              'RFC 7313 §5 (ROUTE-REFRESH Message Error / Invalid Message Length, data = the whole message)', ctx(),
              rr_bad, reset(7, 1, rr_bad))
    rr_short = msg(5, u16(1) + u8(2))
    malformed('route-refresh-eorr-length-22', 'EoRR ROUTE-REFRESH of 22 octets (SAFI missing)',
              'RFC 7313 §5 (ROUTE-REFRESH Message Error / Invalid Message Length, data = the whole message)', ctx(),
              rr_short, reset(7, 1, rr_short))

    # ------------------------------------------------------------ OPEN errors (RFC 4271 §6.2)
    O = 'RFC 4271 §6.2'
    malformed('open-bad-version', 'OPEN version 3', O + ' (Unsupported Version Number, data = 2-octet version 4)', ctx(),
              open_msg(65001, 90, '192.0.2.1', b'', version=3), reset(2, 1, u16(4)))
    malformed('open-version-5', 'OPEN version 5', O + ' (Unsupported Version Number, data = largest supported below 5)', ctx(),
              open_msg(65001, 90, '192.0.2.1', b'', version=5), reset(2, 1, u16(4)))
    malformed('open-hold-time-1', 'OPEN hold time 1', O + ' (Unacceptable Hold Time: 1 and 2 MUST be rejected)', ctx(),
              open_msg(65001, 1, '192.0.2.1', b''), reset(2, 6))
    malformed('open-hold-time-2', 'OPEN hold time 2', O + ' (Unacceptable Hold Time)', ctx(),
              open_msg(65001, 2, '192.0.2.1', b''), reset(2, 6))
    malformed('open-peer-as-zero', 'OPEN with My Autonomous System 0', 'RFC 7607 §2 (Bad Peer AS)', ctx(),
              open_msg(0, 90, '192.0.2.1', b''), reset(2, 2))
    malformed('open-bgp-id-zero', 'OPEN BGP Identifier 0.0.0.0', 'RFC 6286 §2.2, ' + O + ' (Bad BGP Identifier)', ctx(),
              open_msg(65001, 90, '0.0.0.0', b''), reset(2, 3))
    malformed('open-unsupported-optional-parameter', 'OPEN with an optional parameter of type 1 (Authentication, deprecated)',
              O + ' (Unsupported Optional Parameter, subcode 4), RFC 5492 §3', ctx(),
              open_msg(65001, 90, '192.0.2.1', param(1, b'\x00')), reset(2, 4))
    good_params = param(2, cap(1, u16(1) + u8(0) + u8(1)))
    body = u8(4) + u16(65001) + u16(90) + ip4('192.0.2.1') + u8(len(good_params) + 4) + good_params
    malformed('open-opt-params-length-overrun',
              'OPEN Optional Parameters Length (12) larger than the 8 octets that follow',
              O + ' (malformed optional parameters: Unspecific subcode 0)', ctx(), msg(1, body), reset(2, 0))
    bad_param = u8(2) + u8(10) + cap(1, u16(1) + u8(0) + u8(1))
    malformed('open-param-length-overrun', 'OPEN optional parameter whose length (10) runs past the parameters (6 left)',
              O + ' (malformed optional parameter: Unspecific subcode 0)', ctx(),
              open_msg(65001, 90, '192.0.2.1', bad_param), reset(2, 0))
    bad_cap = param(2, u8(65) + u8(4) + u16(1))
    malformed('open-capability-length-overrun', 'Capability whose length (4) runs past its optional parameter (2 left)',
              O + ' (malformed optional parameter: Unspecific subcode 0), RFC 5492 §4', ctx(),
              open_msg(65001, 90, '192.0.2.1', bad_cap), reset(2, 0))

    # ------------------------------------------------------------ UPDATE framing (RFC 4271 §6.3)
    U = 'RFC 4271 §6.3'
    malformed('update-withdrawn-length-overrun', 'Withdrawn Routes Length 10 with 4 octets left in the message',
              U + ' (Malformed Attribute List)', ctx(), msg(2, u16(10) + u16(0)), reset(3, 1))
    malformed('update-total-attr-length-overrun', 'Total Path Attribute Length 40 with only the base attributes (18 octets) present',
              U + ' (Malformed Attribute List)', ctx(), msg(2, u16(0) + u16(40) + BASE2), reset(3, 1))
    overrun = ORIGIN_IGP + ASP2 + NH[:2] + u8(20) + NH[3:]
    malformed('update-attribute-length-overrun',
              'Last attribute (NEXT_HOP) claims 20 octets but the Total Path Attribute Length ends after 4',
              'RFC 7606 §4 (treat-as-withdraw; the Total Attribute Length locates the NLRI)', ctx(),
              update(attrs=overrun, nlri=NLRI1), TWA)
    malformed('update-attribute-trailing-octets', 'Two octets after the last attribute, too few for an attribute header',
              'RFC 7606 §4 (fewer than three octets remain: treat-as-withdraw)', ctx(),
              update(attrs=BASE2 + b'\x40\x05', nlri=NLRI1), TWA)
    malformed('update-nlri-prefix-length-33', 'NLRI prefix length 33', U + ' (Invalid Network Field), RFC 7606 §5.3', ctx(),
              update(attrs=BASE2, nlri=u8(33) + bytes(5)), reset(3, 10))
    malformed('update-nlri-prefix-overrun', 'NLRI prefix /24 with only 2 octets left in the message',
              U + ' (Invalid Network Field), RFC 7606 §5.3', ctx(), update(attrs=BASE2, nlri=NLRI1 + u8(24) + b'\x0a\x01'),
              reset(3, 10))
    malformed('update-nlri-addpath-truncated', 'ADD-PATH NLRI with a path id cut short', U + ' (Invalid Network Field), RFC 7911 §3',
              ctx(add_path=['1/1']), update(attrs=BASE2, nlri=b'\x00\x00\x01'), reset(3, 10))
    mp129 = attr(0x90, 14, u16(2) + u8(1) + u8(16) + ip6('2001:db8::1') + u8(0) + u8(129) + bytes(17))
    malformed('update-mp-reach-prefix-length-129', 'MP_REACH_NLRI IPv6 prefix length 129',
              'RFC 7606 §5.3 (session reset), RFC 4760 §7 (Optional Attribute Error, data = the attribute)', ctx(),
              update(attrs=mp129 + ORIGIN_IGP + ASP2), reset(3, 9, mp129))
    mp_ov = attr(0x90, 14, u16(2) + u8(1) + u8(16) + ip6('2001:db8::1') + u8(0) + u8(64) + bytes(4))
    malformed('update-mp-reach-prefix-overrun', 'MP_REACH_NLRI /64 with only 4 octets of prefix left',
              'RFC 7606 §5.3, RFC 4760 §7 (Optional Attribute Error)', ctx(), update(attrs=mp_ov + ORIGIN_IGP + ASP2),
              reset(3, 9, mp_ov))
    mp_nh = attr(0x90, 14, u16(2) + u8(1) + u8(5) + bytes(5) + u8(0) + pfx('2001:db8::/32'))
    malformed('update-mp-reach-bad-next-hop-length', 'MP_REACH_NLRI IPv6 with a 5-octet next hop',
              'RFC 7606 §7.11 (session reset), RFC 4760 §7 (Optional Attribute Error)', ctx(),
              update(attrs=mp_nh + ORIGIN_IGP + ASP2), reset(3, 9, mp_nh))
    mp_nh4 = attr(0x90, 14, u16(1) + u8(1) + u8(3) + bytes(3) + u8(0) + pfx('10.0.0.0/8'))
    malformed('update-mp-reach-ipv4-next-hop-length-3', 'MP_REACH_NLRI IPv4 unicast with a 3-octet next hop',
              'RFC 7606 §7.11, RFC 4760 §7 (Optional Attribute Error)', ctx(),
              update(attrs=mp_nh4 + ORIGIN_IGP + ASP2), reset(3, 9, mp_nh4))
    mp_nh_ov = attr(0x80, 14, u16(2) + u8(1) + u8(200) + bytes(16))
    malformed('update-mp-reach-next-hop-overrun', 'MP_REACH_NLRI next-hop length 200 beyond the attribute',
              'RFC 7606 §7.11, RFC 4760 §7 (Optional Attribute Error)', ctx(),
              update(attrs=mp_nh_ov + ORIGIN_IGP + ASP2), reset(3, 9, mp_nh_ov))
    mp_short = attr(0x80, 14, u16(2) + u8(1))
    malformed('update-mp-reach-too-short', 'MP_REACH_NLRI of 3 octets (no next-hop length)',
              'RFC 7606 §7.11, RFC 4760 §7 (Optional Attribute Error)', ctx(),
              update(attrs=mp_short + ORIGIN_IGP + ASP2), reset(3, 9, mp_short))
    mpu_ov = attr(0x80, 15, u16(2) + u8(1) + u8(48) + b'\x20\x01')
    malformed('update-mp-unreach-prefix-overrun', 'MP_UNREACH_NLRI /48 with 2 octets of prefix',
              'RFC 7606 §5.3, RFC 4760 §7 (Optional Attribute Error)', ctx(), update(attrs=mpu_ov), reset(3, 9, mpu_ov))
    mpu_short = attr(0x80, 15, u16(2))
    malformed('update-mp-unreach-too-short', 'MP_UNREACH_NLRI of 2 octets (no SAFI)',
              'RFC 7606 §7.12 / §5.3, RFC 4760 §7 (Optional Attribute Error)', ctx(), update(attrs=mpu_short),
              reset(3, 9, mpu_short))
    mpu_129 = attr(0x80, 15, u16(2) + u8(1) + u8(130) + bytes(17))
    malformed('update-mp-unreach-prefix-length-130', 'MP_UNREACH_NLRI IPv6 prefix length 130',
              'RFC 7606 §5.3, RFC 4760 §7 (Optional Attribute Error)', ctx(), update(attrs=mpu_129), reset(3, 9, mpu_129))
    mp_ok = attr(0x90, 14, u16(2) + u8(1) + u8(16) + ip6('2001:db8::1') + u8(0) + pfx('2001:db8::/32'))
    malformed('update-duplicate-mp-reach', 'MP_REACH_NLRI twice', 'RFC 7606 §3(g) (Malformed Attribute List)', ctx(),
              update(attrs=mp_ok + ORIGIN_IGP + ASP2 + mp_ok), reset(3, 1))
    mpu_ok = attr(0x80, 15, u16(2) + u8(1) + pfx('2001:db8::/32'))
    malformed('update-duplicate-mp-unreach', 'MP_UNREACH_NLRI twice', 'RFC 7606 §3(g) (Malformed Attribute List)', ctx(),
              update(attrs=mpu_ok + mpu_ok), reset(3, 1))
    malformed('update-duplicate-origin',
              'ORIGIN twice (IGP then EGP): all occurrences but the first are discarded and processing continues',
              'RFC 7606 §3(g)', ctx(), update(attrs=BASE2 + attr(0x40, 1, u8(1)), nlri=NLRI1), discard(1, keep=1, kept_value='IGP'))
    malformed('update-duplicate-med', 'MULTI_EXIT_DISC twice: the second is discarded',
              'RFC 7606 §3(g)', ctx(), update(attrs=BASE2 + attr(0x80, 4, u32(1)) + attr(0x80, 4, u32(2)), nlri=NLRI1),
              discard(4, keep=1, kept_value=1))
    malformed('update-missing-origin', 'NLRI present, ORIGIN missing', 'RFC 7606 §3(d) (treat-as-withdraw)', ctx(),
              update(attrs=ASP2 + NH, nlri=NLRI1), TWA)
    malformed('update-missing-as-path', 'NLRI present, AS_PATH missing', 'RFC 7606 §3(d) (treat-as-withdraw)', ctx(),
              update(attrs=ORIGIN_IGP + NH, nlri=NLRI1), TWA)
    malformed('update-missing-next-hop', 'NLRI field present, NEXT_HOP missing', 'RFC 7606 §3(d), RFC 4760 §3 (treat-as-withdraw)',
              ctx(), update(attrs=ORIGIN_IGP + ASP2, nlri=NLRI1), TWA)
    malformed('update-mp-reach-missing-origin', 'MP_REACH_NLRI with NLRI but no ORIGIN', 'RFC 7606 §3(d) (treat-as-withdraw)',
              ctx(), update(attrs=mp_ok + ASP2), TWA)
    malformed('update-unrecognized-well-known', 'Well-known (non-optional) attribute with unknown code 99',
              U + ' (Unrecognized Well-known Attribute, data = the attribute)', ctx(),
              update(attrs=BASE2 + attr(0x40, 99, b'\x01\x02'), nlri=NLRI1), reset(3, 2, attr(0x40, 99, b'\x01\x02')))

    # ------------------------------------------------------------ per-attribute errors
    def bad(name, desc, rfc, a, expect, context=None, base=None, nlri=NLRI1):
        attrs = (BASE2 if base is None else base) + a
        malformed('attr-' + name, desc, rfc, context or ctx(), update(attrs=attrs, nlri=nlri), expect)

    # RFC 7606 §3(c): wrong Optional/Transitive bits -> malformed, treat-as-withdraw unless the
    # attribute's specification mandates otherwise for bad flags (none of these does).
    F = 'RFC 7606 §3(c) (Optional/Transitive bits in conflict: treat-as-withdraw)'
    malformed('attr-flags-origin-optional', 'ORIGIN with flags 0xC0 (Optional set)', F, ctx(),
              update(attrs=attr(0xC0, 1, u8(0)) + ASP2 + NH, nlri=NLRI1), TWA)
    malformed('attr-flags-origin-non-transitive', 'ORIGIN with flags 0x00 (Transitive clear)', F, ctx(),
              update(attrs=attr(0x00, 1, u8(0)) + ASP2 + NH, nlri=NLRI1), TWA)
    malformed('attr-flags-as-path', 'AS_PATH with flags 0x80', F, ctx(),
              update(attrs=ORIGIN_IGP + attr(0x80, 2, aspath([('AS_SEQUENCE', [65001])], False)) + NH, nlri=NLRI1), TWA)
    malformed('attr-flags-next-hop', 'NEXT_HOP with flags 0xC0', F, ctx(),
              update(attrs=ORIGIN_IGP + ASP2 + attr(0xC0, 3, ip4('192.0.2.1')), nlri=NLRI1), TWA)
    bad('flags-local-pref', 'LOCAL_PREF with flags 0x80', F, attr(0x80, 5, u32(100)), TWA)
    bad('flags-atomic-aggregate', 'ATOMIC_AGGREGATE with flags 0xC0',
        F + '; RFC 7606 §7.6 mandates attribute-discard only for a bad length, not for bad flags',
        attr(0xC0, 6, b''), TWA)
    bad('flags-med', 'MULTI_EXIT_DISC with flags 0x40 (well-known)', F + ', RFC 7606 §7.4', attr(0x40, 4, u32(1)), TWA)
    bad('flags-communities', 'COMMUNITIES with flags 0x80 (non-transitive)', F + ', RFC 7606 §7.8', attr(0x80, 8, u32(1)), TWA)

    bad('origin-value-3', 'ORIGIN value 3', 'RFC 7606 §7.1 (undefined value: treat-as-withdraw)', b'',
        TWA, base=attr(0x40, 1, u8(3)) + ASP2 + NH)
    bad('origin-length-2', 'ORIGIN of length 2', 'RFC 7606 §7.1 (length not 1: treat-as-withdraw)', b'',
        TWA, base=attr(0x40, 1, b'\x00\x00') + ASP2 + NH)
    A = 'RFC 7606 §7.2 (malformed AS_PATH: treat-as-withdraw)'
    bad('as-path-segment-overrun', 'AS_PATH segment claiming 3 ASNs with 2 present', A, b'', TWA,
        base=ORIGIN_IGP + attr(0x40, 2, u8(2) + u8(3) + u16(1) + u16(2)) + NH)
    bad('as-path-bad-segment-type', 'AS_PATH segment type 5', A, b'', TWA,
        base=ORIGIN_IGP + attr(0x40, 2, u8(5) + u8(1) + u16(1)) + NH)
    bad('as-path-bad-segment-type-0', 'AS_PATH segment type 0', A, b'', TWA,
        base=ORIGIN_IGP + attr(0x40, 2, u8(0) + u8(1) + u16(1)) + NH)
    bad('as-path-zero-length-segment', 'AS_PATH segment of length 0', A, b'', TWA,
        base=ORIGIN_IGP + attr(0x40, 2, u8(2) + u8(0)) + NH)
    bad('as-path-trailing-octet', 'AS_PATH with one octet after its last segment', A, b'', TWA,
        base=ORIGIN_IGP + attr(0x40, 2, seg(2, [65001], False) + b'\x02') + NH)
    bad('as-path-4-octet-odd', 'AS_PATH on a 4-octet session with 2-octet ASNs (overrun)', A, b'', TWA,
        context=ctx(as4=True), base=ORIGIN_IGP + attr(0x40, 2, u8(2) + u8(2) + u16(1) + u16(2)) + NH)
    Z = 'RFC 7607 §2: AS number 0 makes the attribute malformed, handled as '
    bad('as-path-asn-zero', 'AS_PATH containing AS 0', Z + 'RFC 7606 §7.2 (treat-as-withdraw)', b'', TWA,
        base=ORIGIN_IGP + attr(0x40, 2, seg(2, [65001, 0], False)) + NH)
    bad('aggregator-asn-zero', 'AGGREGATOR with AS 0', Z + 'RFC 7606 §7.7 (attribute discard)',
        attr(0xC0, 7, u16(0) + ip4('192.0.2.1')), discard(7))
    bad('as4-path-asn-zero', 'AS4_PATH containing AS 0', Z + 'RFC 6793 §6 (attribute discard)',
        attr(0xC0, 17, seg(2, [4200000001, 0], True)), discard(17))
    bad('as4-aggregator-asn-zero', 'AS4_AGGREGATOR with AS 0', Z + 'RFC 6793 §6 (attribute discard)',
        attr(0xC0, 18, u32(0) + ip4('192.0.2.1')), discard(18))
    bad('next-hop-length-5', 'NEXT_HOP of length 5', 'RFC 7606 §7.3 (treat-as-withdraw)', b'', TWA,
        base=ORIGIN_IGP + ASP2 + attr(0x40, 3, bytes([192, 0, 2, 1, 0])))
    bad('med-length-3', 'MULTI_EXIT_DISC of length 3', 'RFC 7606 §7.4 (treat-as-withdraw)', attr(0x80, 4, bytes(3)), TWA)
    bad('local-pref-length-5', 'LOCAL_PREF of length 5', 'RFC 7606 §7.5 (treat-as-withdraw)', attr(0x40, 5, bytes(5)), TWA)
    bad('atomic-aggregate-length-1', 'ATOMIC_AGGREGATE of length 1', 'RFC 7606 §7.6 (attribute discard)',
        attr(0x40, 6, b'\x00'), discard(6))
    bad('aggregator-length-7', 'AGGREGATOR of length 7 on a 2-octet session', 'RFC 7606 §7.7 (attribute discard)',
        attr(0xC0, 7, bytes(7)), discard(7))
    bad('aggregator-length-6-as4', 'AGGREGATOR of length 6 on a 4-octet session', 'RFC 7606 §7.7, RFC 6793 §3 (attribute discard)',
        attr(0xC0, 7, u16(1) + ip4('192.0.2.1')), discard(7), context=ctx(as4=True), base=ORIGIN_IGP + ASP4 + NH)
    bad('communities-length-5', 'COMMUNITIES of length 5', 'RFC 7606 §7.8 (treat-as-withdraw)', attr(0xC0, 8, bytes(5)), TWA)
    bad('communities-length-0', 'COMMUNITIES of length 0', 'RFC 7606 §7.8 (not a non-zero multiple of 4: treat-as-withdraw)',
        attr(0xC0, 8, b''), TWA)
    bad('originator-id-length-3', 'ORIGINATOR_ID of length 3', 'RFC 7606 §7.9 (treat-as-withdraw)', attr(0x80, 9, bytes(3)), TWA)
    bad('cluster-list-length-6', 'CLUSTER_LIST of length 6', 'RFC 7606 §7.10 (treat-as-withdraw)', attr(0x80, 10, bytes(6)), TWA)
    bad('cluster-list-length-0', 'CLUSTER_LIST of length 0', 'RFC 7606 §7.10 (not a non-zero multiple of 4: treat-as-withdraw)',
        attr(0x80, 10, b''), TWA)
    bad('ext-communities-length-7', 'EXTENDED_COMMUNITIES of length 7', 'RFC 7606 §7.14 (treat-as-withdraw)',
        attr(0xC0, 16, bytes(7)), TWA)
    bad('ext-communities-length-0', 'EXTENDED_COMMUNITIES of length 0',
        'RFC 7606 §7.14 (not a non-zero multiple of 8: treat-as-withdraw)', attr(0xC0, 16, b''), TWA)
    bad('large-community-length-13', 'LARGE_COMMUNITY of length 13', 'RFC 8092 §6 (treat-as-withdraw)',
        attr(0xC0, 32, bytes(13)), TWA)
    bad('large-community-length-0', 'LARGE_COMMUNITY of length 0', 'RFC 8092 §6 (treat-as-withdraw)', attr(0xC0, 32, b''), TWA)
    bad('otc-length-3', 'ONLY_TO_CUSTOMER of length 3', 'RFC 9234 §5 (treat-as-withdraw)', attr(0xC0, 35, bytes(3)), TWA)
    bad('otc-length-5', 'ONLY_TO_CUSTOMER of length 5', 'RFC 9234 §5 (treat-as-withdraw)', attr(0xC0, 35, bytes(5)), TWA)
    bad('as4-path-overrun', 'AS4_PATH segment claiming 2 ASNs with 6 octets', 'RFC 6793 §6 (attribute discard)',
        attr(0xC0, 17, u8(2) + u8(2) + u32(4200000001) + u16(1)), discard(17))
    bad('as4-path-bad-segment-type', 'AS4_PATH segment type 9', 'RFC 6793 §6 (attribute discard)',
        attr(0xC0, 17, u8(9) + u8(1) + u32(4200000001)), discard(17))
    bad('as4-path-zero-length-segment', 'AS4_PATH with a zero-length segment', 'RFC 6793 §6, RFC 7606 §7.2 (attribute discard)',
        attr(0xC0, 17, u8(2) + u8(0)), discard(17))
    bad('as4-aggregator-length-6', 'AS4_AGGREGATOR of length 6', 'RFC 6793 §6 (attribute discard)',
        attr(0xC0, 18, u16(1) + ip4('192.0.2.1')), discard(18))


gen_golden_raw = None
if __name__ == '__main__':
    os.makedirs(MALFORMED, exist_ok=True)
    for d in (GOLDEN, MALFORMED):
        for f in os.listdir(d):
            if f.endswith('.json'):
                os.remove(os.path.join(d, f))
    raw = gen_golden()
    gen_malformed(raw)
    print(f"{len(written['golden'])} golden, {len(written['malformed'])} malformed", file=sys.stderr)
