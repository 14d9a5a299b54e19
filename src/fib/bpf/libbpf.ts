// koffi bindings to the system libbpf.so.1 (Debian 12: libbpf 1.1). libbpf >= 1.0 returns -errno
// from int functions and NULL with errno set from pointer functions; check() and checkPtr() turn
// both into BpfError. Loaded lazily, once per process.

import koffi from 'koffi';
import { constants as osConstants } from 'node:os';

export class BpfError extends Error {
  readonly errno: number;
  readonly code: string;
  constructor(call: string, errno: number) {
    const code = Object.entries(osConstants.errno).find(([, v]) => v === errno)?.[0] ?? (errno === 524 ? 'ENOTSUPP' : `errno ${errno}`);
    super(`${call}: ${code}`);
    this.errno = errno;
    this.code = code;
  }
}

/** struct bpf_test_run_opts (libbpf 1.x, 80 bytes). */
export interface TestRunOpts {
  sz: number;
  data_in: Buffer | null;
  data_out: Buffer | null;
  data_size_in: number;
  data_size_out: number;
  ctx_in: Buffer | null;
  ctx_out: Buffer | null;
  ctx_size_in: number;
  ctx_size_out: number;
  retval: number;
  repeat: number;
  duration: number;
  flags: number;
  cpu: number;
  batch_size: number;
}

type Ptr = unknown;

/** A koffi function that can also run on a libuv worker thread (`.async(...args, callback)`). */
type WithAsync<A extends unknown[], R> = ((...args: A) => R) & { async: (...args: [...A, (err: unknown, result: R) => void]) => void };

export interface Libbpf {
  objectOpenFile(path: string, opts: null): Ptr | null;
  objectLoad(obj: Ptr): number;
  objectClose(obj: Ptr): void;
  findProgram(obj: Ptr, name: string): Ptr | null;
  programFd(prog: Ptr): number;
  findMap(obj: Ptr, name: string): Ptr | null;
  mapFd(map: Ptr): number;
  mapKeySize(map: Ptr): number;
  mapValueSize(map: Ptr): number;
  mapSetPinPath(map: Ptr, path: string | null): number;
  mapSetMaxEntries(map: Ptr, n: number): number;
  mapUnpin(map: Ptr, path: string | null): number;
  objGet(path: string): number;
  objPin(fd: number, path: string): number;
  xdpAttach(ifindex: number, progFd: number, flags: number, opts: null): number;
  xdpDetach(ifindex: number, flags: number, opts: null): number;
  xdpQueryId(ifindex: number, flags: number, id: Uint32Array): number;
  update(fd: number, key: Buffer, value: Buffer, flags: number): number;
  lookup(fd: number, key: Buffer, value: Buffer): number;
  delete(fd: number, key: Buffer): number;
  getNextKey(fd: number, key: Buffer | null, next: Buffer): number;
  updateBatch: WithAsync<[fd: number, keys: Buffer, values: Buffer, count: Uint32Array, opts: null], number>;
  deleteBatch(fd: number, keys: Buffer, count: Uint32Array, opts: null): number;
  lookupBatch(fd: number, inBatch: Buffer | null, outBatch: Buffer, keys: Buffer, values: Buffer, count: Uint32Array, opts: null): number;
  testRun(progFd: number, opts: TestRunOpts): number;
  numPossibleCpus(): number;
  close(fd: number): number;
}

let bound: Libbpf | undefined;

export function libbpf(): Libbpf {
  if (bound) return bound;
  const so = koffi.load('libbpf.so.1');
  const libc = koffi.load('libc.so.6');
  koffi.opaque('bpf_object');
  koffi.opaque('bpf_program');
  koffi.opaque('bpf_map');
  koffi.struct('bpf_test_run_opts', {
    sz: 'size_t',
    data_in: 'const void *',
    data_out: 'void *',
    data_size_in: 'uint32_t',
    data_size_out: 'uint32_t',
    ctx_in: 'const void *',
    ctx_out: 'void *',
    ctx_size_in: 'uint32_t',
    ctx_size_out: 'uint32_t',
    retval: 'uint32_t',
    repeat: 'int',
    duration: 'uint32_t',
    flags: 'uint32_t',
    cpu: 'uint32_t',
    batch_size: 'uint32_t',
  });
  bound = {
    objectOpenFile: so.func('bpf_object *bpf_object__open_file(const char *path, const void *opts)'),
    objectLoad: so.func('int bpf_object__load(bpf_object *obj)'),
    objectClose: so.func('void bpf_object__close(bpf_object *obj)'),
    findProgram: so.func('bpf_program *bpf_object__find_program_by_name(bpf_object *obj, const char *name)'),
    programFd: so.func('int bpf_program__fd(bpf_program *prog)'),
    findMap: so.func('bpf_map *bpf_object__find_map_by_name(bpf_object *obj, const char *name)'),
    mapFd: so.func('int bpf_map__fd(bpf_map *map)'),
    mapKeySize: so.func('uint32_t bpf_map__key_size(bpf_map *map)'),
    mapValueSize: so.func('uint32_t bpf_map__value_size(bpf_map *map)'),
    mapSetPinPath: so.func('int bpf_map__set_pin_path(bpf_map *map, const char *path)'),
    mapSetMaxEntries: so.func('int bpf_map__set_max_entries(bpf_map *map, uint32_t n)'),
    mapUnpin: so.func('int bpf_map__unpin(bpf_map *map, const char *path)'),
    objGet: so.func('int bpf_obj_get(const char *path)'),
    objPin: so.func('int bpf_obj_pin(int fd, const char *path)'),
    xdpAttach: so.func('int bpf_xdp_attach(int ifindex, int prog_fd, uint32_t flags, const void *opts)'),
    xdpDetach: so.func('int bpf_xdp_detach(int ifindex, uint32_t flags, const void *opts)'),
    xdpQueryId: so.func('int bpf_xdp_query_id(int ifindex, int flags, uint32_t *id)'),
    update: so.func('int bpf_map_update_elem(int fd, const void *key, const void *value, uint64_t flags)'),
    lookup: so.func('int bpf_map_lookup_elem(int fd, const void *key, void *value)'),
    delete: so.func('int bpf_map_delete_elem(int fd, const void *key)'),
    getNextKey: so.func('int bpf_map_get_next_key(int fd, const void *key, void *next)'),
    updateBatch: so.func('int bpf_map_update_batch(int fd, const void *keys, const void *values, uint32_t *count, const void *opts)'),
    deleteBatch: so.func('int bpf_map_delete_batch(int fd, const void *keys, uint32_t *count, const void *opts)'),
    lookupBatch: so.func('int bpf_map_lookup_batch(int fd, void *in_batch, void *out_batch, void *keys, void *values, uint32_t *count, const void *opts)'),
    testRun: so.func('int bpf_prog_test_run_opts(int prog_fd, _Inout_ bpf_test_run_opts *opts)'),
    numPossibleCpus: so.func('int libbpf_num_possible_cpus(void)'),
    close: libc.func('int close(int fd)'),
  };
  return bound;
}

/** The errno of the last failed libc/libbpf call on this thread. */
export function lastErrno(): number {
  return koffi.errno();
}

/** Throw BpfError for a negative libbpf return (-errno), else return the value. */
export function check(ret: number, call: string): number {
  if (ret < 0) throw new BpfError(call, -ret);
  return ret;
}

/** Throw BpfError (errno) for a NULL pointer return. */
export function checkPtr<T>(ptr: T | null, call: string): T {
  if (ptr === null) throw new BpfError(call, koffi.errno() || 2);
  return ptr;
}
