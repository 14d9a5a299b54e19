// Network namespaces and bpffs for the BPF loader.
//
// XDP attach (netlink) and devmap updates resolve ifindexes in the calling thread's network
// namespace: withNetns() runs them there (src/os/netns.ts).

import { existsSync, mkdirSync, statfsSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { inNetns } from '../../os/netns.js';

const BPF_FS_MAGIC = 0xcafe4a11;
export const BPFFS = '/sys/fs/bpf';
export const DEFAULT_PIN_DIR = `${BPFFS}/routed`;

/** Run fn inside the named namespace (/run/netns/NAME) and come back, even if fn throws. */
export function withNetns<T>(name: string, fn: () => T): T {
  return inNetns(name, fn);
}

/** True when path is on a bpf filesystem. */
export function isBpffs(path: string): boolean {
  try {
    return statfsSync(path).type === BPF_FS_MAGIC;
  } catch {
    return false;
  }
}

/**
 * Make sure dir (a direct child of /sys/fs/bpf) exists on bpffs, mounting bpffs at /sys/fs/bpf
 * first when it is missing. Never mkdir -p there: on a non-bpffs /sys/fs/bpf, Node's recursive
 * mkdir loops forever.
 */
export function ensurePinDir(dir = DEFAULT_PIN_DIR): void {
  if (!dir.startsWith(`${BPFFS}/`) || dir.slice(BPFFS.length + 1).includes('/')) {
    throw new Error(`pin directory must be a direct child of ${BPFFS}: ${dir}`);
  }
  // Already there (systemd's unit bind-mounts it, made by root, into a service that runs as
  // the routed user and may not even look into a mode-0700 /sys/fs/bpf): nothing to mount or make.
  if (isBpffs(dir)) return;
  if (!isBpffs(BPFFS)) execFileSync('mount', ['-t', 'bpf', 'bpf', BPFFS], { stdio: 'pipe' });
  if (!isBpffs(BPFFS)) throw new Error(`${BPFFS} is not a bpf filesystem and mounting one failed`);
  if (!existsSync(dir)) mkdirSync(dir, { mode: 0o700 });
}
