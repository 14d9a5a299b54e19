// BPF objects, maps and XDP programs over libbpf: open and load an ELF object (maps optionally
// pinned under a directory and reused from there on the next load), raw map operations on
// caller-owned Buffers (no allocation per call), XDP attach/detach and BPF_PROG_TEST_RUN.

import { libbpf, check, checkPtr, BpfError, type TestRunOpts } from './libbpf.js';

export interface OpenOptions {
  /**
   * Pin every map listed in pinMaps as `<pinDir>/<map name>`. A map already pinned there (from a
   * previous run) is reused with its contents, so a restarted daemon keeps forwarding.
   */
  pinDir?: string;
  pinMaps?: readonly string[];
  /** Override max_entries of some maps before loading (tests and benches size them down). */
  maxEntries?: Readonly<Record<string, number>>;
}

export class BpfObject {
  private obj: unknown;
  private readonly maps = new Map<string, BpfMap>();

  private constructor(obj: unknown) {
    this.obj = obj;
  }

  /** Open and load the object file; closes it again if loading fails. */
  static load(path: string, opts: OpenOptions = {}): BpfObject {
    const lib = libbpf();
    const obj = checkPtr(lib.objectOpenFile(path, null), `bpf_object__open_file(${path})`);
    try {
      for (const [name, n] of Object.entries(opts.maxEntries ?? {})) {
        check(lib.mapSetMaxEntries(checkPtr(lib.findMap(obj, name), `map ${name}`), n), `bpf_map__set_max_entries(${name})`);
      }
      if (opts.pinDir !== undefined) {
        for (const name of opts.pinMaps ?? []) {
          const map = checkPtr(lib.findMap(obj, name), `map ${name}`);
          check(lib.mapSetPinPath(map, `${opts.pinDir}/${name}`), `bpf_map__set_pin_path(${name})`);
        }
      }
      check(lib.objectLoad(obj), `bpf_object__load(${path})`);
    } catch (e) {
      lib.objectClose(obj);
      throw e;
    }
    return new BpfObject(obj);
  }

  private handle(): unknown {
    if (this.obj === null) throw new Error('BPF object is closed');
    return this.obj;
  }

  program(name: string): XdpProgram {
    const lib = libbpf();
    const prog = checkPtr(lib.findProgram(this.handle(), name), `program ${name}`);
    return new XdpProgram(name, check(lib.programFd(prog), `bpf_program__fd(${name})`));
  }

  map(name: string): BpfMap {
    const known = this.maps.get(name);
    if (known) return known;
    const lib = libbpf();
    const map = checkPtr(lib.findMap(this.handle(), name), `map ${name}`);
    const m = new BpfMap(name, check(lib.mapFd(map), `bpf_map__fd(${name})`), lib.mapKeySize(map), lib.mapValueSize(map));
    this.maps.set(name, m);
    return m;
  }

  /** Remove a map's pin (the map lives on while something holds it). */
  unpin(name: string, path: string): void {
    const lib = libbpf();
    check(lib.mapUnpin(checkPtr(lib.findMap(this.handle(), name), `map ${name}`), path), `bpf_map__unpin(${name})`);
  }

  /** Close the object: its fds go; attached programs and pinned maps stay in the kernel. */
  close(): void {
    if (this.obj === null) return;
    libbpf().objectClose(this.obj);
    this.obj = null;
  }
}

export const BPF_ANY = 0;
export const BPF_NOEXIST = 1;
export const BPF_EXIST = 2;

/** One map by fd. Keys and values are Buffers the caller owns and reuses. */
export class BpfMap {
  readonly countBuf = new Uint32Array(1);
  constructor(
    readonly name: string,
    readonly fd: number,
    readonly keySize: number,
    readonly valueSize: number,
  ) {}

  update(key: Buffer, value: Buffer, flags = BPF_ANY): void {
    check(libbpf().update(this.fd, key, value, flags), `update ${this.name}`);
  }

  /** Fill value; false when the key is absent. */
  lookup(key: Buffer, value: Buffer): boolean {
    const r = libbpf().lookup(this.fd, key, value);
    if (r === -2) return false;
    check(r, `lookup ${this.name}`);
    return true;
  }

  /** False when the key was absent. */
  delete(key: Buffer): boolean {
    const r = libbpf().delete(this.fd, key);
    if (r === -2) return false;
    check(r, `delete ${this.name}`);
    return true;
  }

  /** Write count keys/values packed back to back. Throws with `done` set to how many went in. */
  updateBatch(keys: Buffer, values: Buffer, count: number, flags = BPF_ANY): void {
    if (flags !== BPF_ANY) throw new Error('updateBatch: only BPF_ANY');
    this.countBuf[0] = count;
    const r = libbpf().updateBatch(this.fd, keys, values, this.countBuf, null);
    if (r < 0) throw Object.assign(new BpfError(`update_batch ${this.name}`, -r), { done: this.countBuf[0] });
  }

  /**
   * updateBatch on a libuv worker thread (koffi async): the kernel inserts while this thread goes
   * on (encoding the next family, serving the event loop). The buffers must stay untouched until
   * the promise settles; a rejection carries `done` as updateBatch's does.
   */
  updateBatchAsync(keys: Buffer, values: Buffer, count: number): Promise<void> {
    const n = new Uint32Array([count]);
    return new Promise((resolve, reject) => {
      libbpf().updateBatch.async(this.fd, keys, values, n, null, (err: unknown, r: number) => {
        if (err) reject(err instanceof Error ? err : new Error(String(err)));
        else if (r < 0) reject(Object.assign(new BpfError(`update_batch ${this.name}`, -r), { done: n[0] }));
        else resolve();
      });
    });
  }

  /** Delete count packed keys; returns how many were deleted before an absent key stopped it. */
  deleteBatch(keys: Buffer, count: number): number {
    this.countBuf[0] = count;
    const r = libbpf().deleteBatch(this.fd, keys, this.countBuf, null);
    if (r < 0 && r !== -2) throw Object.assign(new BpfError(`delete_batch ${this.name}`, -r), { done: this.countBuf[0] });
    return this.countBuf[0]!;
  }

  /**
   * One step of a batched dump: fills up to `max` entries into keys/values, continuing from the
   * opaque cursor (a Buffer of keySize bytes; pass first=true on the first call). Returns the
   * number read and whether the dump is complete.
   */
  lookupBatch(cursor: Buffer, first: boolean, keys: Buffer, values: Buffer, max: number): { count: number; done: boolean } {
    this.countBuf[0] = max;
    const r = libbpf().lookupBatch(this.fd, first ? null : cursor, cursor, keys, values, this.countBuf, null);
    if (r === -2) return { count: this.countBuf[0]!, done: true };
    check(r, `lookup_batch ${this.name}`);
    return { count: this.countBuf[0]!, done: false };
  }

  /** The key after `key` (null: the first); false at the end. */
  nextKey(key: Buffer | null, next: Buffer): boolean {
    const r = libbpf().getNextKey(this.fd, key, next);
    if (r === -2) return false;
    check(r, `get_next_key ${this.name}`);
    return true;
  }
}

export const XDP_ABORTED = 0;
export const XDP_DROP = 1;
export const XDP_PASS = 2;
export const XDP_TX = 3;
export const XDP_REDIRECT = 4;

const XDP_FLAGS_UPDATE_IF_NOEXIST = 1;
const XDP_FLAGS_SKB_MODE = 2;
const XDP_FLAGS_DRV_MODE = 4;
/** BPF_F_TEST_XDP_LIVE_FRAMES: frames are really transmitted/redirected (traffic generation). */
export const BPF_F_TEST_XDP_LIVE_FRAMES = 2;

export type XdpMode = 'native' | 'generic';

export interface AttachOptions {
  /** 'auto' (default): native, falling back to generic with a warning. */
  mode?: XdpMode | 'auto';
  /** Fail if a program is already attached instead of replacing it. */
  noReplace?: boolean;
  warn?: (msg: string) => void;
}

export interface TestRunResult {
  retval: number;
  data: Buffer;
  /** Average per repeat, in ns (kernel-measured). */
  durationNs: number;
}

export class XdpProgram {
  private readonly opts: TestRunOpts = {
    sz: 80, data_in: null, data_out: null, data_size_in: 0, data_size_out: 0, ctx_in: null, ctx_out: null,
    ctx_size_in: 0, ctx_size_out: 0, retval: 0, repeat: 0, duration: 0, flags: 0, cpu: 0, batch_size: 0,
  };
  private readonly out = Buffer.alloc(4096);

  constructor(
    readonly name: string,
    readonly fd: number,
  ) {}

  /** Attach to an interface of the current network namespace; returns the mode used. */
  attach(ifindex: number, o: AttachOptions = {}): XdpMode {
    const lib = libbpf();
    const base = o.noReplace ? XDP_FLAGS_UPDATE_IF_NOEXIST : 0;
    const mode = o.mode ?? 'auto';
    if (mode !== 'generic') {
      const r = lib.xdpAttach(ifindex, this.fd, base | XDP_FLAGS_DRV_MODE, null);
      if (r === 0) return 'native';
      if (mode === 'native') check(r, `bpf_xdp_attach(${ifindex}, native)`);
      (o.warn ?? console.warn)(`XDP ${this.name}: native attach to ifindex ${ifindex} failed (${new BpfError('', -r).code}); using generic (skb) mode, which is much slower`);
    }
    check(lib.xdpAttach(ifindex, this.fd, base | XDP_FLAGS_SKB_MODE, null), `bpf_xdp_attach(${ifindex}, generic)`);
    return 'generic';
  }

  /** Detach whatever XDP program the mode holds on the interface. */
  static detach(ifindex: number, mode: XdpMode): void {
    check(libbpf().xdpDetach(ifindex, mode === 'native' ? XDP_FLAGS_DRV_MODE : XDP_FLAGS_SKB_MODE, null), `bpf_xdp_detach(${ifindex})`);
  }

  /** The id of the program attached to ifindex (0: none). */
  static attachedId(ifindex: number): number {
    const id = new Uint32Array(1);
    check(libbpf().xdpQueryId(ifindex, 0, id), `bpf_xdp_query_id(${ifindex})`);
    return id[0]!;
  }

  /**
   * BPF_PROG_TEST_RUN. The packet is not restored between repeats, and with repeat > 1 a program
   * attached nowhere costs a synchronize_rcu per call: attach it to a spare interface first.
   */
  testRun(packet: Buffer, o: { repeat?: number; flags?: number; batchSize?: number; ctx?: Buffer } = {}): TestRunResult {
    const opts = this.opts;
    opts.ctx_in = o.ctx ?? null;
    opts.ctx_size_in = o.ctx?.length ?? 0;
    opts.data_in = packet;
    opts.data_size_in = packet.length;
    const live = ((o.flags ?? 0) & BPF_F_TEST_XDP_LIVE_FRAMES) !== 0;
    opts.data_out = live ? null : this.out;
    opts.data_size_out = live ? 0 : this.out.length;
    opts.repeat = o.repeat ?? 1;
    opts.flags = o.flags ?? 0;
    opts.batch_size = o.batchSize ?? 0;
    opts.retval = 0;
    opts.duration = 0;
    check(libbpf().testRun(this.fd, opts), `bpf_prog_test_run_opts(${this.name})`);
    return { retval: opts.retval, data: Buffer.from(this.out.subarray(0, live ? 0 : opts.data_size_out)), durationNs: opts.duration };
  }
}

/** struct xdp_md for testRun's ctx: the interface (current namespace) a live frame comes in on. */
export function xdpContext(ingressIfindex: number, packetLength: number): Buffer {
  const ctx = Buffer.alloc(24);
  ctx.writeUInt32LE(packetLength, 4); // data_end (offsets relative to data)
  ctx.writeUInt32LE(ingressIfindex, 12);
  return ctx;
}

/** Close a raw fd (from bpf_obj_get). */
export function closeFd(fd: number): void {
  libbpf().close(fd);
}
