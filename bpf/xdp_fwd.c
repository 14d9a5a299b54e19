// SPDX-License-Identifier: Apache-2.0
/*
 * routed's XDP forwarder. For every IPv4/IPv6 packet: longest-prefix match in the family's trie →
 * next hop (or an ECMP group, member chosen by a hash of the flow) → rewrite the Ethernet header
 * (MACs, VLAN tag), decrement TTL / hop limit, redirect through the tx_ports devmap.
 *
 * It never drops what it does not understand: every case the kernel must see (no route, TTL
 * expiry, local delivery, unresolved neighbour, too big, options a router acts on, link-local,
 * non-IP) is XDP_PASS, so the kernel's own routing and ICMP behave as without XDP. The only drop
 * is a blackhole route. Every outcome is counted in the per-CPU stats array by reason.
 *
 * Local destinations: the router's own addresses are installed by the FIB manager as /32 and
 * /128 routes to a next hop with ROUTED_NH_LOCAL, which the program passes. Routes the FIB does
 * not know (a miss) are passed too, so connected and kernel-only routes keep working.
 */
#include <linux/types.h>
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/in.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include "routed_maps.h"

struct vlan_hdr {
	__be16 tci;
	__be16 encap_proto;
};

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, ROUTED_V4_ROUTES_MAX);
	__type(key, struct routed_v4_key);
	__type(value, struct routed_route);
	__uint(map_flags, BPF_F_NO_PREALLOC);
} routes_v4 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, ROUTED_V6_ROUTES_MAX);
	__type(key, struct routed_v6_key);
	__type(value, struct routed_route);
	__uint(map_flags, BPF_F_NO_PREALLOC);
} routes_v6 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, ROUTED_NEXTHOPS_MAX);
	__type(key, __u32);
	__type(value, struct routed_next_hop);
} next_hops SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, ROUTED_ECMP_GROUPS_MAX);
	__type(key, __u32);
	__type(value, struct routed_ecmp_group);
} ecmp_groups SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_DEVMAP_HASH);
	__uint(max_entries, ROUTED_TX_PORTS_MAX);
	__type(key, __u32);
	__type(value, struct routed_tx_port);
} tx_ports SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, ROUTED_STAT_MAX);
	__type(key, __u32);
	__type(value, struct routed_counter);
} stats SEC(".maps");

/* What parsing found, carried from the L3 parsers to the common rewrite. */
struct pkt {
	__u32 l2_len;   /* Ethernet + VLAN tags on ingress */
	__u32 l3_len;   /* IP total length, for the MTU check */
	__u32 l4_off;   /* offset of the TCP/UDP ports, 0 when they must not be hashed */
	__be16 proto;   /* L3 ethertype */
};

/* The EtherType (or a tag's encapsulated type) at off: one 16-bit load, not two byte loads
 * (struct ethhdr is packed). Unaligned packet loads are fine for XDP. */
#define ETHERTYPE_AT(data, off) (*(__be16 *)((void *)(data) + (off)))

static __always_inline int count(__u32 stat, __u64 bytes, int action)
{
	struct routed_counter *c = bpf_map_lookup_elem(&stats, &stat);

	if (c) {
		c->packets++;
		c->bytes += bytes;
	}
	return action;
}

/*
 * Flow hash by vector multiply-shift (Dietzfelbinger): the sum of each 32-bit word times its own
 * odd 64-bit constant, top 32 bits kept. The products are independent (no multiply chain), and
 * every bit of the top half depends on every bit of every word. Computed only for ECMP routes;
 * the member is then taken from the top bits again (multiply by the member count, shift).
 */
#define HASH_K(i) (0x9e3779b97f4a7c15ULL + 0x5851f42d4c957f2eULL * (i) + 2 * (i))

static __always_inline __u64 mul_word(__u32 v, int i)
{
	return (__u64)v * HASH_K(i);
}

/* Offset of the TCP or UDP ports if they are to be hashed, else 0. */
static __always_inline __u32 ports_off(__u32 l4_off, __u8 proto)
{
	return proto == IPPROTO_TCP || proto == IPPROTO_UDP ? l4_off : 0;
}

/* The 5-tuple hash (addresses, protocol, ports where parsing allowed them), read again from the
 * packet: only an ECMP route needs it. */
static __always_inline __u32 flow_hash(struct xdp_md *ctx, struct pkt *pk)
{
	void *data = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;
	void *l3 = data + (pk->l2_len & 0x3f);
	__u32 off = pk->l4_off & 0xff;
	__u64 h;

	if (pk->proto == bpf_htons(ETH_P_IP)) {
		struct iphdr *ip = l3;
		if ((void *)(ip + 1) > end)
			return 0;
		h = mul_word(ip->protocol, 0) + mul_word(ip->saddr, 1) + mul_word(ip->daddr, 2);
	} else {
		struct ipv6hdr *ip6 = l3;
		if ((void *)(ip6 + 1) > end)
			return 0;
		h = mul_word(ip6->nexthdr, 0);
		for (int i = 0; i < 4; i++)
			h += mul_word(ip6->saddr.in6_u.u6_addr32[i], 1 + i) + mul_word(ip6->daddr.in6_u.u6_addr32[i], 5 + i);
	}
	if (off && data + off + 4 <= end)
		h += mul_word(*(__u32 *)(data + off), 9);
	return h >> 32;
}

/*
 * IPv4 options a router must act on go to the kernel: record route (7), timestamp (68), loose and
 * strict source route (131, 137), router alert (148, RFC 2113). Others (NOP, EOL, security...)
 * are forwarded unchanged, as Linux does. Returns 1 to pass, 0 to forward, -1 if malformed.
 *
 * A global (not inlined) function: the verifier checks it once on its own, instead of once per
 * parsing path of the caller, and the options are copied to the stack so the walk is over a
 * fixed buffer rather than packet pointers.
 */
__noinline int v4_options_need_kernel(struct xdp_md *ctx, __u32 off, __u32 len)
{
	__u8 opt[64];
	__u32 i = 0;

	if (len == 0 || len > 40)
		return -1;
	asm volatile("" : "+r"(len)); /* keep the bound visible to the verifier (see select_nh) */
	len &= 63;
	if (len == 0)
		return -1;
	if (bpf_xdp_load_bytes(ctx, off, opt, len))
		return -1;
	for (int n = 0; n < 40; n++) {
		if (i >= len)
			return 0;
		__u8 type = opt[i & 63];
		if (type == 0) /* end of option list */
			return 0;
		if (type == 1) { /* no-operation */
			i++;
			continue;
		}
		if (type == 7 || type == 68 || type == 131 || type == 137 || type == 148)
			return 1;
		__u8 olen = opt[(i + 1) & 63];
		if (i + 1 >= len || olen < 2)
			return -1;
		i += olen;
	}
	return 0;
}

static __always_inline int parse_v4(struct xdp_md *ctx, struct pkt *pk, __u32 *nh_id, __u64 bytes)
{
	void *data = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;
	struct iphdr *ip = data + pk->l2_len;
	struct routed_v4_key key = { .prefixlen = 32 };
	struct routed_route *rt;

	if ((void *)(ip + 1) > end)
		return count(ROUTED_STAT_PASS_MALFORMED, bytes, XDP_PASS);
	__u32 ihl = ip->ihl * 4;
	if (ip->version != 4 || ihl < sizeof(*ip) || data + pk->l2_len + ihl > end)
		return count(ROUTED_STAT_PASS_MALFORMED, bytes, XDP_PASS);
	pk->l3_len = bpf_ntohs(ip->tot_len);
	if (pk->l3_len < ihl)
		return count(ROUTED_STAT_PASS_MALFORMED, bytes, XDP_PASS);

	__u32 daddr = bpf_ntohl(ip->daddr), saddr = bpf_ntohl(ip->saddr);
	if ((daddr >> 16) == 0xa9fe || (saddr >> 16) == 0xa9fe) /* RFC 3927 §7: not forwarded */
		return count(ROUTED_STAT_PASS_LINK_LOCAL, bytes, XDP_PASS);
	if ((daddr >> 28) == 0xe || daddr == 0xffffffff || (daddr >> 24) == 127 || (daddr >> 24) == 0)
		return count(ROUTED_STAT_PASS_NOT_UNICAST, bytes, XDP_PASS);
	if (ihl > sizeof(*ip)) {
		int o = v4_options_need_kernel(ctx, pk->l2_len + sizeof(*ip), ihl - sizeof(*ip));
		if (o)
			return count(o > 0 ? ROUTED_STAT_PASS_OPTIONS : ROUTED_STAT_PASS_MALFORMED, bytes, XDP_PASS);
	}

	__builtin_memcpy(key.addr, &ip->daddr, 4);
	rt = bpf_map_lookup_elem(&routes_v4, &key);
	if (!rt)
		return count(ROUTED_STAT_PASS_MISS, bytes, XDP_PASS);
	*nh_id = rt->nh_id;

	/* Ports only from an unfragmented datagram: a fragment has no (or a partial) L4 header. */
	if (!(ip->frag_off & bpf_htons(0x3fff)))
		pk->l4_off = ports_off(pk->l2_len + ihl, ip->protocol);
	return -1;
}

static __always_inline int parse_v6(struct xdp_md *ctx, struct pkt *pk, __u32 *nh_id, __u64 bytes)
{
	void *data = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;
	struct ipv6hdr *ip6 = data + pk->l2_len;
	struct routed_v6_key key = { .prefixlen = 128 };
	struct routed_route *rt;

	if ((void *)(ip6 + 1) > end || ip6->version != 6)
		return count(ROUTED_STAT_PASS_MALFORMED, bytes, XDP_PASS);
	pk->l3_len = bpf_ntohs(ip6->payload_len) + sizeof(*ip6);

	__u8 d0 = ip6->daddr.s6_addr[0], d1 = ip6->daddr.s6_addr[1];
	__u8 s0 = ip6->saddr.s6_addr[0], s1 = ip6->saddr.s6_addr[1];
	/* RFC 4291 §2.5.6: link-local addresses must not be forwarded. */
	if ((d0 == 0xfe && (d1 & 0xc0) == 0x80) || (s0 == 0xfe && (s1 & 0xc0) == 0x80))
		return count(ROUTED_STAT_PASS_LINK_LOCAL, bytes, XDP_PASS);
	if (d0 == 0xff)
		return count(ROUTED_STAT_PASS_NOT_UNICAST, bytes, XDP_PASS);
	/* RFC 8200 §4.3: the hop-by-hop header is examined by every node on the path. */
	if (ip6->nexthdr == 0)
		return count(ROUTED_STAT_PASS_OPTIONS, bytes, XDP_PASS);

	__builtin_memcpy(key.addr, &ip6->daddr, 16);
	rt = bpf_map_lookup_elem(&routes_v6, &key);
	if (!rt)
		return count(ROUTED_STAT_PASS_MISS, bytes, XDP_PASS);
	*nh_id = rt->nh_id;

	/* Extension headers are not walked: behind one, the flow is hashed without ports. */
	pk->l4_off = ports_off(pk->l2_len + sizeof(*ip6), ip6->nexthdr);
	return -1;
}

/* The next hop to use: nh_id itself, or the ECMP member the flow hash picks. */
static __always_inline struct routed_next_hop *select_nh(struct xdp_md *ctx, struct pkt *pk, __u32 nh_id,
							 __u32 *stat)
{
	struct routed_next_hop *nh = bpf_map_lookup_elem(&next_hops, &nh_id);

	*stat = ROUTED_STAT_PASS_UNRESOLVED;
	if (!nh || !(nh->flags & ROUTED_NH_ECMP))
		return nh;
	*stat = ROUTED_STAT_PASS_BAD_ECMP;
	__u32 gid = nh->ecmp_group;
	struct routed_ecmp_group *g = bpf_map_lookup_elem(&ecmp_groups, &gid);
	if (!g)
		return NULL;
	__u32 n = g->count;
	if (n == 0 || n > ROUTED_ECMP_MEMBERS_MAX)
		return NULL;
	/* Multiply-shift instead of hash % n: the same spread over the high bits, no division. */
	__u32 idx = ((__u64)flow_hash(ctx, pk) * n) >> 32;
	/* idx < count <= MAX already, but the compiler drops a bounds check it can prove, and the
	 * verifier cannot prove it: hide the value, then mask (MAX is a power of two). */
	asm volatile("" : "+r"(idx));
	idx &= ROUTED_ECMP_MEMBERS_MAX - 1;
	__u32 member = g->members[idx];
	nh = bpf_map_lookup_elem(&next_hops, &member);
	if (nh && (nh->flags & ROUTED_NH_ECMP))
		return NULL;
	*stat = ROUTED_STAT_PASS_UNRESOLVED;
	return nh;
}

/*
 * RFC 1624 eqn. 3: HC' = ~(~HC + ~m + m'), on the 16-bit word m holding TTL and protocol. The TTL
 * is at least 2 here, so m' = m - 0x0100 in network order and ~m + m' = 0xfeff whatever m is:
 * HC' = ~(~HC + 0xfeff). The sum is done on the words as loaded (byte order does not change a
 * ones' complement sum, RFC 1071 §2(B)), so the constant goes through htons too. One fold is
 * enough: ~HC + 0xfeff <= 0x1fefe. Same result as the general form, bit for bit.
 */
static __always_inline void v4_decrement_ttl(struct iphdr *ip)
{
	__u32 sum = (__u16)~ip->check + (__u32)bpf_htons(0xfeff);

	ip->ttl--;
	sum = (sum & 0xffff) + (sum >> 16);
	ip->check = (__u16)~sum;
}

/* Decrement TTL/hop limit, or return the pass reason. Pointers are re-derived from ctx. */
static __always_inline int decrement_ttl(struct xdp_md *ctx, struct pkt *pk)
{
	void *data = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;

	if (pk->proto == bpf_htons(ETH_P_IP)) {
		struct iphdr *ip = data + pk->l2_len;
		if ((void *)(ip + 1) > end)
			return ROUTED_STAT_PASS_MALFORMED;
		if (ip->ttl <= 1)
			return ROUTED_STAT_PASS_TTL;
		v4_decrement_ttl(ip);
		return -1;
	}
	struct ipv6hdr *ip6 = data + pk->l2_len;
	if ((void *)(ip6 + 1) > end)
		return ROUTED_STAT_PASS_MALFORMED;
	if (ip6->hop_limit <= 1)
		return ROUTED_STAT_PASS_TTL;
	ip6->hop_limit--;
	return -1;
}

/* Replace the ingress L2 header (Ethernet + 0..2 tags) with the next hop's (Ethernet + 0..1 tag). */
static __always_inline int rewrite_l2(struct xdp_md *ctx, struct pkt *pk, struct routed_next_hop *nh)
{
	__u16 vid = nh->vlan_id & 0x0fff;
	__u32 out_len = vid ? sizeof(struct ethhdr) + sizeof(struct vlan_hdr) : sizeof(struct ethhdr);
	int delta = (int)pk->l2_len - (int)out_len;

	if (delta && bpf_xdp_adjust_head(ctx, delta))
		return -1;
	void *data = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	if (data + sizeof(struct ethhdr) + sizeof(struct vlan_hdr) > end)
		return -1;
	/* Both MACs as 4+2+2+4 bytes, not 12 byte copies (struct ethhdr is packed, so memcpy goes
	 * byte by byte). dst_mac is 4-aligned in the value, src_mac 2-aligned. */
	__u8 *d = data;
	*(__u32 *)d = *(__u32 *)nh->dst_mac;
	*(__u16 *)(d + 4) = *(__u16 *)(nh->dst_mac + 4);
	*(__u16 *)(d + 6) = *(__u16 *)nh->src_mac;
	*(__u32 *)(d + 8) = *(__u32 *)(nh->src_mac + 2);
	if (vid) {
		struct vlan_hdr *vh = (void *)(eth + 1);
		eth->h_proto = bpf_htons(ETH_P_8021Q);
		vh->tci = bpf_htons(vid);
		vh->encap_proto = pk->proto;
	} else {
		eth->h_proto = pk->proto;
	}
	return 0;
}

SEC("xdp")
int xdp_fwd(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;
	__u64 bytes = end - data;
	struct ethhdr *eth = data;
	struct pkt pk = { .l2_len = sizeof(*eth) };
	__u32 nh_id = 0, stat;
	int r;

	if ((void *)(eth + 1) > end)
		return count(ROUTED_STAT_PASS_MALFORMED, bytes, XDP_PASS);
	pk.proto = ETHERTYPE_AT(data, 12);
	for (int i = 0; i < ROUTED_VLAN_DEPTH_MAX; i++) {
		if (pk.proto != bpf_htons(ETH_P_8021Q) && pk.proto != bpf_htons(ETH_P_8021AD))
			break;
		struct vlan_hdr *vh = data + pk.l2_len;
		if ((void *)(vh + 1) > end)
			return count(ROUTED_STAT_PASS_MALFORMED, bytes, XDP_PASS);
		pk.proto = vh->encap_proto;
		pk.l2_len += sizeof(*vh);
	}
	if (pk.proto == bpf_htons(ETH_P_8021Q) || pk.proto == bpf_htons(ETH_P_8021AD))
		return count(ROUTED_STAT_PASS_VLAN_DEPTH, bytes, XDP_PASS);

	if (pk.proto == bpf_htons(ETH_P_IP))
		r = parse_v4(ctx, &pk, &nh_id, bytes);
	else if (pk.proto == bpf_htons(ETH_P_IPV6))
		r = parse_v6(ctx, &pk, &nh_id, bytes);
	else
		return count(ROUTED_STAT_PASS_NON_IP, bytes, XDP_PASS);
	if (r >= 0)
		return r;

	struct routed_next_hop *nh = select_nh(ctx, &pk, nh_id, &stat);
	if (!nh)
		return count(stat, bytes, XDP_PASS);
	__u32 flags = nh->flags;
	/* A plain resolved next hop is the common case: one test instead of four. */
	if (__builtin_expect(flags != ROUTED_NH_RESOLVED, 0)) {
		if (flags & ROUTED_NH_LOCAL)
			return count(ROUTED_STAT_PASS_LOCAL, bytes, XDP_PASS);
		if (flags & ROUTED_NH_BLACKHOLE)
			return count(ROUTED_STAT_DROP_BLACKHOLE, bytes, XDP_DROP);
		if (flags & ROUTED_NH_UNREACHABLE)
			return count(ROUTED_STAT_PASS_UNREACHABLE, bytes, XDP_PASS);
		if (!(flags & ROUTED_NH_RESOLVED))
			return count(ROUTED_STAT_PASS_UNRESOLVED, bytes, XDP_PASS);
	}
	if (nh->mtu && pk.l3_len > nh->mtu)
		return count(ROUTED_STAT_PASS_MTU, bytes, XDP_PASS);
	/*
	 * The devmap lookup and the redirect in one: bpf_redirect_map returns its flags' low bits
	 * (XDP_PASS) when ifindex is not in tx_ports, and otherwise records the target, which only an
	 * XDP_REDIRECT return acts on, so the TTL pass below may still return XDP_PASS.
	 */
	__u32 ifindex = nh->ifindex;
	long act = bpf_redirect_map(&tx_ports, ifindex, XDP_PASS);
	if (act != XDP_REDIRECT)
		return count(ROUTED_STAT_PASS_NO_PORT, bytes, XDP_PASS);

	/* TTL last among the checks: the kernel routes (blackhole, unreachable) before it checks TTL. */
	r = decrement_ttl(ctx, &pk);
	if (r >= 0)
		return count(r, bytes, XDP_PASS);
	if (rewrite_l2(ctx, &pk, nh))
		return count(ROUTED_STAT_ABORTED, bytes, XDP_ABORTED);
	return count(ROUTED_STAT_FORWARDED, bytes, XDP_REDIRECT);
}

char _license[] SEC("license") = "Apache-2.0";
