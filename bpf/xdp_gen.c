// SPDX-License-Identifier: Apache-2.0
/*
 * Benchmark only: a traffic generator and a counting sink for tools/bench/xdp.
 *
 * xdp_gen runs under BPF_PROG_TEST_RUN with BPF_F_TEST_XDP_LIVE_FRAMES: every frame it returns
 * XDP_TX for is really sent out of the ingress_ifindex given in the context. Live frames recycle
 * their pages, and the router downstream rewrites them in place, so every byte is rewritten from
 * the template each time. The destination walks dst_count hosts from dst_base.
 *
 * xdp_sink counts and drops what arrives at the receiving veth.
 */
#include <linux/types.h>
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#define GEN_FRAME 60

struct gen_cfg {
	__u8 frame[64];   /* Ethernet + IPv4 + UDP template, GEN_FRAME bytes used */
	__u32 dst_base;   /* host order */
	__u32 dst_count;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct gen_cfg);
} gen_cfg SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 2);
	__type(key, __u32);
	__type(value, __u64);
} gen_stats SEC(".maps"); /* 0: generated sequence, 1: sink count */

SEC("xdp")
int xdp_gen(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;
	__u32 zero = 0;
	struct gen_cfg *cfg = bpf_map_lookup_elem(&gen_cfg, &zero);
	__u64 *seq = bpf_map_lookup_elem(&gen_stats, &zero);

	if (!cfg || !seq || data + GEN_FRAME > end || cfg->dst_count == 0)
		return XDP_ABORTED;
	__builtin_memcpy(data, cfg->frame, GEN_FRAME);
	struct iphdr *ip = data + sizeof(struct ethhdr);
	ip->daddr = bpf_htonl(cfg->dst_base + (__u32)(*seq % cfg->dst_count));
	(*seq)++;
	ip->check = 0;
	__u32 sum = 0;
	__u16 *w = (__u16 *)ip;
	for (int i = 0; i < 10; i++)
		sum += w[i];
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	ip->check = (__u16)~sum;
	return XDP_TX;
}

SEC("xdp")
int xdp_sink(struct xdp_md *ctx)
{
	__u32 one = 1;
	__u64 *n = bpf_map_lookup_elem(&gen_stats, &one);

	if (n)
		(*n)++;
	return XDP_DROP;
}

char _license[] SEC("license") = "Apache-2.0";
