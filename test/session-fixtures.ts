// Shared fixtures of the session tests: a neighbour configuration and OPEN messages.
import type { PeerConfig } from '../src/bgp/session/types.js';
import type { Capability, OpenMessage } from '../src/bgp/wire/index.js';

export function peerConfig(p: Partial<PeerConfig> = {}): PeerConfig {
  return {
    address: '192.0.2.2',
    remoteAs: 65002,
    description: '',
    passive: false,
    holdTime: 90,
    keepalive: 0,
    connectRetry: 5,
    families: ['ipv4', 'ipv6'],
    addPath: { receive: [], send: [] },
    gracefulRestart: { enabled: false, restartTime: 120 },
    routeReflectorClient: false,
    nextHopSelf: false,
    shutdown: false,
    localAs: 65001,
    routerId: '192.0.2.1',
    ...p,
  };
}

/** A peer's OPEN with the given capabilities (none: an old speaker with no optional parameters). */
export function remoteOpen(caps: Capability[] | undefined, p: Partial<OpenMessage> = {}): OpenMessage {
  return {
    type: 'OPEN',
    version: 4,
    myAs: 65002,
    holdTime: 90,
    bgpId: '192.0.2.2',
    params: caps ? [{ type: 2, capabilities: caps }] : [],
    ...p,
  };
}

export const mp = (afi: number, safi = 1): Capability => ({ code: 1, name: 'MULTIPROTOCOL', value: { afi, safi } });
export const as4cap = (asn: number): Capability => ({ code: 65, name: 'FOUR_OCTET_AS', value: asn });
