// Who is on the other end of a control-socket connection: the kernel's SO_PEERCRED (socket(7)),
// the credentials the client had when it connected, which it cannot forge. Node exposes no
// getsockopt, so it is called through libc (koffi) on the descriptor Node keeps in
// `socket._handle.fd` (the same undocumented field src/bgp/session/socket.ts reads).
//
// Access rule: the socket file is 0660 for the routed group, so only root, the routed user and
// the group's members can connect at all (the file system is the gate for reading); commands
// that change state are further limited to uid 0 and the daemon's own uid.

import type net from 'node:net';

import { libc, SOL_SOCKET } from '../os/libc.js';

const SO_PEERCRED = 17;
/** struct ucred: pid_t pid, uid_t uid, gid_t gid. */
const UCRED_SIZE = 12;

export interface PeerCred {
  pid: number;
  uid: number;
  gid: number;
}

/** The connecting process's credentials, or undefined when the kernel does not give them. */
export function peerCred(sock: net.Socket): PeerCred | undefined {
  const fd = (sock as unknown as { _handle?: { fd?: number } })._handle?.fd;
  if (typeof fd !== 'number' || fd < 0) return undefined;
  const cred = Buffer.alloc(UCRED_SIZE);
  const len = new Uint32Array([UCRED_SIZE]);
  if (libc().getsockopt(fd, SOL_SOCKET, SO_PEERCRED, cred, len) !== 0 || len[0]! < UCRED_SIZE) return undefined;
  return { pid: cred.readInt32LE(0), uid: cred.readUInt32LE(4), gid: cred.readUInt32LE(8) };
}

/** May this peer run commands that change state? Root and the user routed runs as. */
export function mayChange(cred: PeerCred | undefined, selfUid: number = process.getuid?.() ?? 0): boolean {
  return cred !== undefined && (cred.uid === 0 || cred.uid === selfUid);
}
