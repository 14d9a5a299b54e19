/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The one definition of every map layout shared between the XDP program (bpf/xdp_fwd.c) and the
 * TypeScript side. tools/gen-bpf-layout.ts parses this file and writes
 * src/fib/bpf/layout.generated.ts (sizes, offsets, encode/decode, enum values); CI regenerates it
 * and fails on a difference.
 *
 * The generator reads a restricted subset of C, so keep to it:
 *   - `#define NAME <integer literal>` (decimal or 0x hex, optional U/UL suffix), one per line;
 *   - `enum name { A = <int or NAME>, B, ... };` (implicit values count up from the previous one);
 *   - `struct name { <type> field; <type> field[<int or NAME>]; ... };` with types
 *     __u8 __u16 __u32 __u64 (host byte order unless the field is a __u8 array);
 *   - comments of both kinds; nothing else (no nested types, no bit fields, no typedefs).
 * Every struct must have no implicit padding: the generator checks natural alignment and fails on
 * a gap, so padding is always an explicit `_pad` field. Integers are host order (little-endian on
 * every machine routed supports; the loader refuses a big-endian host); addresses and MACs are
 * __u8 arrays in network order.
 */
#ifndef ROUTED_MAPS_H
#define ROUTED_MAPS_H

/* Map sizes. The tries are BPF_F_NO_PREALLOC, so a large max_entries costs nothing while empty. */
#define ROUTED_V4_ROUTES_MAX 4194304
#define ROUTED_V6_ROUTES_MAX 1048576
#define ROUTED_NEXTHOPS_MAX 65536
#define ROUTED_ECMP_GROUPS_MAX 4096
#define ROUTED_ECMP_MEMBERS_MAX 16
#define ROUTED_TX_PORTS_MAX 1024

/* Next-hop id 0 is never written: an array slot that was never set reads as all zeroes, which
 * the program treats as "not resolved" and passes to the kernel. */
#define ROUTED_NEXTHOP_NONE 0

/* The most VLAN tags (802.1Q / 802.1ad) parsed on ingress; more goes to the kernel. */
#define ROUTED_VLAN_DEPTH_MAX 2

/* next_hop.flags. A next hop is exactly one kind: forward (RESOLVED, or not yet resolved when
 * the flag is clear), BLACKHOLE, UNREACHABLE, LOCAL or ECMP. */
enum routed_nh_flag {
	ROUTED_NH_RESOLVED = 1,    /* dst_mac is valid: rewrite and redirect */
	ROUTED_NH_BLACKHOLE = 2,   /* XDP_DROP */
	ROUTED_NH_UNREACHABLE = 4, /* XDP_PASS: the kernel's unreachable route answers with ICMP */
	ROUTED_NH_ECMP = 8,        /* ecmp_group names the group; members are plain next hops */
	ROUTED_NH_LOCAL = 16,      /* the router's own address (a /32 or /128 route): XDP_PASS */
};

/* Index into the per-CPU counters: one per outcome, and per reason for XDP_PASS. */
enum routed_stat {
	ROUTED_STAT_FORWARDED = 0,      /* rewritten and redirected */
	ROUTED_STAT_PASS_MISS,          /* no route in the trie */
	ROUTED_STAT_PASS_TTL,           /* TTL or hop limit <= 1: the kernel sends time exceeded */
	ROUTED_STAT_PASS_LOCAL,         /* route to a LOCAL next hop */
	ROUTED_STAT_PASS_UNRESOLVED,    /* next hop without a MAC yet (or an unset id) */
	ROUTED_STAT_PASS_MTU,           /* larger than the egress MTU: the kernel fragments or sends PTB */
	ROUTED_STAT_PASS_NON_IP,        /* neither IPv4 nor IPv6 (ARP, LLDP, ...) */
	ROUTED_STAT_PASS_LINK_LOCAL,    /* 169.254/16 or fe80::/10 source or destination */
	ROUTED_STAT_PASS_OPTIONS,       /* IPv4 options a router acts on, or an IPv6 hop-by-hop header */
	ROUTED_STAT_PASS_NOT_UNICAST,   /* multicast, broadcast, loopback, unspecified destination */
	ROUTED_STAT_PASS_UNREACHABLE,   /* UNREACHABLE next hop */
	ROUTED_STAT_PASS_MALFORMED,     /* truncated or inconsistent headers */
	ROUTED_STAT_PASS_VLAN_DEPTH,    /* more VLAN tags than ROUTED_VLAN_DEPTH_MAX */
	ROUTED_STAT_PASS_NO_PORT,       /* egress ifindex not in the tx_ports devmap */
	ROUTED_STAT_PASS_BAD_ECMP,      /* empty group, or a member that is itself not plain */
	ROUTED_STAT_DROP_BLACKHOLE,     /* BLACKHOLE next hop */
	ROUTED_STAT_ABORTED,            /* bpf_xdp_adjust_head failed */
	ROUTED_STAT_MAX,
};

/* routes_v4 key (BPF_MAP_TYPE_LPM_TRIE): prefixlen then the address, network order. */
struct routed_v4_key {
	__u32 prefixlen;
	__u8 addr[4];
};

/* routes_v6 key. */
struct routed_v6_key {
	__u32 prefixlen;
	__u8 addr[16];
};

/* Value of both tries: the next-hop id (index into next_hops). */
struct routed_route {
	__u32 nh_id;
};

/* next_hops (BPF_MAP_TYPE_ARRAY) value. */
struct routed_next_hop {
	__u32 ifindex;    /* egress interface (must be in tx_ports) */
	__u32 flags;      /* enum routed_nh_flag */
	__u8 dst_mac[6];  /* the neighbour's MAC */
	__u8 src_mac[6];  /* the egress interface's MAC */
	__u16 vlan_id;    /* 802.1Q tag to send with, 0 = untagged */
	__u16 mtu;        /* egress L3 MTU, 0 = do not check */
	__u32 ecmp_group; /* with ROUTED_NH_ECMP: index into ecmp_groups */
};

/* ecmp_groups (BPF_MAP_TYPE_ARRAY) value: members[hash % count]. */
struct routed_ecmp_group {
	__u32 count;
	__u32 members[ROUTED_ECMP_MEMBERS_MAX];
};

/* tx_ports (BPF_MAP_TYPE_DEVMAP_HASH): key ifindex, value ifindex. */
struct routed_tx_port {
	__u32 ifindex;
};

/* stats (BPF_MAP_TYPE_PERCPU_ARRAY, ROUTED_STAT_MAX entries) value. */
struct routed_counter {
	__u64 packets;
	__u64 bytes;
};

#endif /* ROUTED_MAPS_H */
