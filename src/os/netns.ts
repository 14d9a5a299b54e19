// Network namespaces for the calling thread. Sockets (netlink, BPF links) and ifindex lookups
// belong to the namespace of the thread that makes them: to work in another namespace, the
// thread joins it with setns(2) for one synchronous call and comes back, so no other JavaScript
// runs inside it. (`ip netns exec` is no substitute: it mounts a fresh sysfs that hides bpffs.)

import { closeSync, openSync } from 'node:fs';

import { errnoError, libc } from './libc.js';

const CLONE_NEWNET = 0x40000000;

function setns(fd: number, what: string): void {
  if (libc().setns(fd, CLONE_NEWNET) !== 0) throw errnoError(`setns(${what})`);
}

/** Run fn with this thread in the named network namespace (/run/netns/NAME, or a path), or in place. */
export function inNetns<T>(netns: string | undefined, fn: () => T): T {
  if (netns === undefined) return fn();
  const home = openSync('/proc/thread-self/ns/net', 'r');
  let target: number | undefined;
  try {
    target = openSync(netns.includes('/') ? netns : `/run/netns/${netns}`, 'r');
    setns(target, netns);
    try {
      return fn();
    } finally {
      // Failing to return would leave every later socket of this thread in the wrong namespace.
      setns(home, `back from ${netns}`);
    }
  } finally {
    if (target !== undefined) closeSync(target);
    closeSync(home);
  }
}
