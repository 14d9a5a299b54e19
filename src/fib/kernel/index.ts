// The kernel FIB backend (rtnetlink) and its socket, for the FIB manager and the neighbour table.
export { KernelFib } from './backend.js';
export type { KernelFibOptions, KernelFibStats } from './backend.js';
export { NlSocket, NetlinkError, inNetns } from './socket.js';
export type { NlSocketOptions } from './socket.js';
