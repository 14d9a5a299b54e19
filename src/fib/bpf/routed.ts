// routed's XDP forwarder as one object: the program, its typed maps, attach/detach. The FIB
// manager owns one of these; tests and benches load their own with smaller maps and no pins.

import { fileURLToPath } from 'node:url';
import { endianness } from 'node:os';
import { BpfObject, XdpProgram, type AttachOptions, type XdpMode } from './object.js';
import { LpmMap, NextHopMap, EcmpMap, TxPorts, Counters } from './maps.js';
import { ensurePinDir } from './netns.js';

/** dist/bpf/<name>.o, built by tools/build-bpf. */
export function bpfObjectPath(name: 'xdp_fwd' | 'xdp_ref_fib' | 'xdp_gen'): string {
  return fileURLToPath(new URL(`../../../bpf/${name}.o`, import.meta.url));
}

export const ROUTED_MAPS = ['routes_v4', 'routes_v6', 'next_hops', 'ecmp_groups', 'tx_ports', 'stats'] as const;
export type RoutedMapName = (typeof ROUTED_MAPS)[number];
/**
 * The maps pinned (and adopted on restart). Not tx_ports: the kernel adds BPF_F_RDONLY_PROG to
 * every devmap, so libbpf 1.1's exact flag comparison refuses to reuse a pinned one (and the
 * flag cannot be asked for at creation); its content, the attached interfaces, is rebuilt.
 */
export const PINNED_MAPS = ROUTED_MAPS.filter((m) => m !== 'tx_ports');

export interface RoutedXdpOptions {
  /** Object file (default: bpfObjectPath('xdp_fwd')). */
  objectPath?: string;
  /** Pin (and reuse) every map under this bpffs directory, e.g. /sys/fs/bpf/routed. */
  pinDir?: string;
  maxEntries?: Partial<Record<RoutedMapName, number>>;
}

export class RoutedXdp {
  readonly program: XdpProgram;
  readonly v4: LpmMap;
  readonly v6: LpmMap;
  readonly nextHops: NextHopMap;
  readonly ecmp: EcmpMap;
  readonly txPorts: TxPorts;
  readonly counters: Counters;
  private readonly attached = new Map<number, XdpMode>();

  private constructor(readonly object: BpfObject) {
    this.program = object.program('xdp_fwd');
    this.v4 = new LpmMap(object.map('routes_v4'), 4);
    this.v6 = new LpmMap(object.map('routes_v6'), 6);
    this.nextHops = new NextHopMap(object.map('next_hops'));
    this.ecmp = new EcmpMap(object.map('ecmp_groups'));
    this.txPorts = new TxPorts(object.map('tx_ports'));
    this.counters = new Counters(object.map('stats'));
  }

  static load(opts: RoutedXdpOptions = {}): RoutedXdp {
    if (endianness() !== 'LE') throw new Error('routed XDP maps are laid out little-endian; this host is big-endian');
    if (opts.pinDir !== undefined) ensurePinDir(opts.pinDir);
    const object = BpfObject.load(opts.objectPath ?? bpfObjectPath('xdp_fwd'), {
      ...(opts.pinDir !== undefined ? { pinDir: opts.pinDir, pinMaps: PINNED_MAPS } : {}),
      ...(opts.maxEntries ? { maxEntries: opts.maxEntries as Record<string, number> } : {}),
    });
    return new RoutedXdp(object);
  }

  /** Attach to an interface (current namespace) and add it to tx_ports; returns the mode used. */
  attach(ifindex: number, opts: AttachOptions = {}): XdpMode {
    const mode = this.program.attach(ifindex, opts);
    this.attached.set(ifindex, mode);
    this.txPorts.add(ifindex);
    return mode;
  }

  /** The interfaces attached to (by ifindex) and the mode of each. */
  modes(): ReadonlyMap<number, XdpMode> {
    return this.attached;
  }

  detach(ifindex: number): void {
    const mode = this.attached.get(ifindex);
    if (mode === undefined) return;
    XdpProgram.detach(ifindex, mode);
    this.attached.delete(ifindex);
  }

  /** Detach from every interface this object attached to, then close the object. */
  close(): void {
    for (const ifindex of [...this.attached.keys()]) this.detach(ifindex);
    this.object.close();
  }
}
