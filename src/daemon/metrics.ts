// The Prometheus endpoint (`metrics.listen`): GET /metrics in the text exposition format.
// Everything but the FIB install-latency histogram is read at scrape time from what the daemon
// already keeps (peer views, RIB counts, FIB manager stats, the XDP counter map), through each
// metric's collect(): the route path does no metrics work at all, and a scrape costs a few
// lookups per neighbour. Labels carry addresses, states and counter names only; no password or
// other configuration text ever reaches a label.

import http from 'node:http';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { FibStats } from '../fib/manager.js';
import type { XdpView } from '../mgmt/views.js';

/** The RFC 4271 §8 states, one series each (1 for the current one), as exporters usually do. */
const STATES = ['Idle', 'Connect', 'Active', 'OpenSent', 'OpenConfirm', 'Established'] as const;

/** What metrics reads from one neighbour. */
export interface PeerMetrics {
  address: string;
  state: string;
  received: number;
  accepted: number;
  advertised: number;
  updatesIn: number;
  updatesOut: number;
}

/** What the daemon gives the metrics module: functions called at scrape time. */
export interface MetricsSource {
  peers(): Iterable<PeerMetrics>;
  ribPrefixes(family: 'ipv4' | 'ipv6'): number;
  fib(): FibStats | undefined;
  xdpCounters(): XdpView['counters'];
}

/** "127.0.0.1:9179", "[::1]:9179" → host and port (the schema has checked the syntax). */
export function parseListen(text: string): { host: string; port: number } {
  const m = /^\[([^\]]+)\]:(\d+)$/.exec(text) ?? /^([^:]+):(\d+)$/.exec(text);
  if (!m) throw new RangeError(`metrics listen address "${text}" is not HOST:PORT or [IPV6]:PORT`);
  return { host: m[1]!, port: Number(m[2]) };
}

type Setter = (labels: Record<string, string>, value: number) => void;

/** A gauge whose series are rebuilt at each scrape (series of vanished neighbours go away). */
function lazyGauge(registry: Registry, name: string, help: string, labelNames: string[], fill: (set: Setter) => void): void {
  new Gauge({
    name,
    help,
    labelNames,
    registers: [registry],
    collect() {
      this.reset();
      fill((labels, value) => this.set(labels, value));
    },
  });
}

/** The same for counters: the daemon holds the totals, the scrape copies them. */
function lazyCounter(registry: Registry, name: string, help: string, labelNames: string[], fill: (set: Setter) => void): void {
  new Counter({
    name,
    help,
    labelNames,
    registers: [registry],
    collect() {
      this.reset();
      fill((labels, value) => this.inc(labels, value));
    },
  });
}

export class Metrics {
  readonly registry = new Registry();
  private server: http.Server | undefined;
  /** Best-path change handed to the FIB → written (kernel and maps), per batch. */
  private readonly fibInstall: Histogram;

  constructor(src: MetricsSource) {
    const r = this.registry;
    // process_resident_memory_bytes, nodejs_eventloop_lag_seconds (and its percentiles), heap, GC.
    collectDefaultMetrics({ register: r });
    const peers = (each: (p: PeerMetrics, set: Setter) => void) => (set: Setter) => {
      for (const p of src.peers()) each(p, set);
    };
    lazyGauge(r, 'routed_bgp_neighbor_state', 'BGP session state per neighbor: 1 for the current state', ['neighbor', 'state'], peers((p, set) => {
      for (const s of STATES) set({ neighbor: p.address, state: s }, p.state === s ? 1 : 0);
    }));
    lazyGauge(r, 'routed_bgp_neighbor_up', '1 when the session is Established', ['neighbor'], peers((p, set) => set({ neighbor: p.address }, p.state === 'Established' ? 1 : 0)));
    lazyGauge(r, 'routed_bgp_prefixes_received', 'Prefixes in the Adj-RIB-In', ['neighbor'], peers((p, set) => set({ neighbor: p.address }, p.received)));
    lazyGauge(r, 'routed_bgp_prefixes_accepted', 'Prefixes accepted by import policy', ['neighbor'], peers((p, set) => set({ neighbor: p.address }, p.accepted)));
    lazyGauge(r, 'routed_bgp_prefixes_advertised', 'Prefixes advertised (Adj-RIB-Out)', ['neighbor'], peers((p, set) => set({ neighbor: p.address }, p.advertised)));
    lazyCounter(r, 'routed_bgp_updates_received_total', 'UPDATE messages received', ['neighbor'], peers((p, set) => set({ neighbor: p.address }, p.updatesIn)));
    lazyCounter(r, 'routed_bgp_updates_sent_total', 'UPDATE messages sent', ['neighbor'], peers((p, set) => set({ neighbor: p.address }, p.updatesOut)));
    lazyGauge(r, 'routed_rib_prefixes', 'Prefixes in the Loc-RIB', ['family'], (set) => {
      for (const f of ['ipv4', 'ipv6'] as const) set({ family: f }, src.ribPrefixes(f));
    });
    this.registerFib(src);
    this.fibInstall = new Histogram({
      name: 'routed_fib_install_seconds',
      help: 'Time from a best-path change reaching the FIB to its batch being written (kernel and XDP), per batch',
      buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30],
      registers: [r],
    });
  }

  private registerFib(src: MetricsSource): void {
    const r = this.registry;
    lazyGauge(r, 'routed_fib_entries', 'Forwarding entries routed installed, per backend', ['backend'], (set) => {
      const s = src.fib();
      if (!s) return;
      if (s.kernel) set({ backend: 'kernel' }, s.kernelRoutes);
      if (s.xdp) set({ backend: 'xdp' }, s.xdpEntries);
    });
    lazyGauge(r, 'routed_fib_next_hops', 'XDP next-hop slots in use', [], (set) => {
      const s = src.fib();
      if (s) set({}, s.nextHops);
    });
    lazyCounter(r, 'routed_fib_errors_total', 'FIB writes the kernel or the maps refused', [], (set) => {
      const s = src.fib();
      if (s) set({}, s.errors);
    });
    lazyCounter(r, 'routed_fib_repaired_total', 'Entries the periodic reconcile found different from the RIB and rewrote', [], (set) => {
      const s = src.fib();
      if (s) set({}, s.repaired);
    });
    lazyCounter(r, 'routed_xdp_packets_total', 'Packets seen by the XDP forwarder, per outcome and reason', ['outcome', 'reason'], (set) => {
      for (const c of src.xdpCounters()) set({ outcome: c.outcome, reason: c.reason }, Number(c.packets));
    });
    lazyCounter(r, 'routed_xdp_bytes_total', 'Bytes seen by the XDP forwarder, per outcome and reason', ['outcome', 'reason'], (set) => {
      for (const c of src.xdpCounters()) set({ outcome: c.outcome, reason: c.reason }, Number(c.bytes));
    });
  }

  /** One FIB batch written: `seconds` since its oldest change was submitted. */
  fibBatch(seconds: number): void {
    this.fibInstall.observe(seconds);
  }

  /** Serve GET /metrics on host:port; resolves once listening. */
  async listen(address: string): Promise<void> {
    const { host, port } = parseListen(address);
    const server = http.createServer((req, res) => void this.serve(req, res));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    this.server = server;
  }

  private async serve(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    if (req.method !== 'GET' || (req.url ?? '').split('?')[0] !== '/metrics') {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('routed: GET /metrics\n');
      return;
    }
    try {
      const body = await this.registry.metrics();
      res.writeHead(200, { 'content-type': this.registry.contentType }).end(body);
    } catch (e) {
      res.writeHead(500, { 'content-type': 'text/plain' }).end(`routed: ${(e as Error).message}\n`);
    }
  }

  /** The address actually bound (port 0 in tests picks a free one). */
  get port(): number {
    const a = this.server?.address();
    return a && typeof a === 'object' ? a.port : 0;
  }

  async close(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
