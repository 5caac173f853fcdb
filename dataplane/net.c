/* L2-L4 receive and output paths of a worker: see include/hotline/net.h. */
#include <errno.h>
#include <string.h>

#include <rte_arp.h>
#include <rte_byteorder.h>
#include <rte_cycles.h>
#include <rte_ether.h>
#include <rte_icmp.h>
#include <rte_ip.h>
#include <rte_ip_frag.h>
#include <rte_log.h>
#include <rte_mbuf.h>
#include <rte_prefetch.h>
#include <rte_ring.h>
#include <rte_udp.h>

#include "dataplane/engine_priv.h"
#include "hotline/csum.h"
#include "hotline/engine.h"
#include "hotline/neigh.h"
#include "hotline/media.h"
#include "hotline/net.h"
#include "hotline/sip.h"

/* ICMPv6 (RFC 4443 §2.1, RFC 4861 §4). */
#define ICMP6_ECHO_REQUEST 128
#define ICMP6_ECHO_REPLY 129
#define ND_ROUTER_SOLICIT 133
#define ND_NEIGHBOR_SOLICIT 135
#define ND_NEIGHBOR_ADVERT 136
#define ND_OPT_SLLA 1
#define ND_OPT_TLLA 2
#define ND_NA_FLAG_SOLICITED 0x40
#define ND_NA_FLAG_OVERRIDE 0x20
#define ND_HDR_LEN 24 /* type, code, cksum, flags/reserved, target */

#define IPPROTO_HOPOPTS_ 0
#define IPPROTO_ROUTING_ 43
#define IPPROTO_FRAGMENT_ 44
#define IPPROTO_ICMPV6_ 58
#define IPPROTO_DSTOPTS_ 60
/* Extension headers walked before the upper layer; more is an attack, not a call. */
#define IPV6_MAX_EXT 4

#define PREFETCH_OFFSET 4

static inline void
drop(struct hl_worker *w, struct rte_mbuf *m, enum hl_drop reason)
{
	w->st->drop[reason]++;
	rte_pktmbuf_free(m);
}

static inline void
count(struct hl_worker *w, enum hl_ctr c)
{
	w->st->ctr[c]++;
}

/* The NIC verified the L4 checksum (RX offload enabled where the PMD offers it). */
static inline bool
l4_cksum_good(const struct rte_mbuf *m)
{
	return (m->ol_flags & RTE_MBUF_F_RX_L4_CKSUM_MASK) == RTE_MBUF_F_RX_L4_CKSUM_GOOD;
}

void
hl_net_port_init(struct hl_port *p)
{
	const struct hl_config_port *c = p->cfg;

	p->has_ip4 = c->has_ip4;
	if (c->has_ip4) {
		memcpy(&p->ip4, c->ip4, 4);
		p->mask4 = rte_cpu_to_be_32(c->ip4_prefix == 0 ? 0 : ~0u << (32 - c->ip4_prefix));
		p->bcast4 = p->ip4 | ~p->mask4;
	}
	p->has_gw4 = c->has_gw4;
	if (c->has_gw4)
		memcpy(&p->gw4, c->gw4, 4);
	p->has_ip6 = c->has_ip6;
	if (c->has_ip6) {
		memcpy(p->ip6, c->ip6, 16);
		p->ip6_prefix = c->ip6_prefix;
	}
	p->has_gw6 = c->has_gw6;
	if (c->has_gw6)
		memcpy(p->gw6, c->gw6, 16);
	/* RFC 4291 §2.5.1 / Appendix A: modified EUI-64 interface identifier. */
	memset(p->ll6, 0, 16);
	p->ll6[0] = 0xfe;
	p->ll6[1] = 0x80;
	p->ll6[8] = p->mac.addr_bytes[0] ^ 0x02;
	p->ll6[9] = p->mac.addr_bytes[1];
	p->ll6[10] = p->mac.addr_bytes[2];
	p->ll6[11] = 0xff;
	p->ll6[12] = 0xfe;
	p->ll6[13] = p->mac.addr_bytes[3];
	p->ll6[14] = p->mac.addr_bytes[4];
	p->ll6[15] = p->mac.addr_bytes[5];
	p->vlan = c->vlan;
	p->mtu = c->mtu;
}

/* ---- helpers ---------------------------------------------------------------- */

static inline bool
ip6_is_multicast(const uint8_t *a)
{
	return a[0] == 0xff;
}

static inline bool
ip6_is_unspecified(const uint8_t *a)
{
	static const uint8_t zero[16];
	return memcmp(a, zero, 16) == 0;
}

static inline bool
ip6_is_linklocal(const uint8_t *a)
{
	return a[0] == 0xfe && (a[1] & 0xc0) == 0x80;
}

static bool
ip6_same_prefix(const uint8_t *a, const uint8_t *b, unsigned int bits)
{
	unsigned int bytes = bits / 8, rem = bits % 8;

	if (memcmp(a, b, bytes) != 0)
		return false;
	return rem == 0 || ((a[bytes] ^ b[bytes]) & (uint8_t)(0xff << (8 - rem))) == 0;
}

/* RFC 4291 §2.7.1: ff02::1:ffXX:XXXX from the low 24 bits of addr. */
static void
ip6_solicited_node(uint8_t out[16], const uint8_t addr[16])
{
	static const uint8_t pfx[13] = {0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01, 0xff};

	memcpy(out, pfx, 13);
	memcpy(out + 13, addr + 13, 3);
}

static const uint8_t all_nodes6[16] = {0xff, 0x02, [15] = 0x01};

/* RFC 2464 §7: 33:33 followed by the last four bytes of the group. */
static void
ip6_mcast_mac(struct rte_ether_addr *mac, const uint8_t addr[16])
{
	mac->addr_bytes[0] = 0x33;
	mac->addr_bytes[1] = 0x33;
	memcpy(&mac->addr_bytes[2], addr + 12, 4);
}

/* Is dst one of the port's IPv6 unicast addresses or a group it listens to? */
static bool
ip6_is_ours(const struct hl_port *p, const uint8_t *dst)
{
	uint8_t sn[16];

	if (memcmp(dst, p->ip6, 16) == 0 || memcmp(dst, p->ll6, 16) == 0)
		return true;
	if (!ip6_is_multicast(dst))
		return false;
	if (memcmp(dst, all_nodes6, 16) == 0)
		return true;
	ip6_solicited_node(sn, p->ip6);
	if (memcmp(dst, sn, 16) == 0)
		return true;
	ip6_solicited_node(sn, p->ll6);
	return memcmp(dst, sn, 16) == 0;
}

/* Upper-layer checksum over the IPv6 pseudo-header (RFC 8200 §8.1), any length. */
static uint16_t
l4_cksum6(const struct rte_ipv6_hdr *ip, const void *l4, uint32_t len, uint8_t proto)
{
	uint32_t plen = rte_cpu_to_be_32(len);
	uint32_t nh = rte_cpu_to_be_32(proto);
	uint64_t sum = hl_csum_partial(ip->src_addr, 32, 0);

	sum = hl_csum_partial(&plen, 4, sum);
	sum = hl_csum_partial(&nh, 4, sum);
	sum = hl_csum_partial(l4, len, sum);
	return (uint16_t)~hl_csum_fold(sum);
}

/* ---- output ----------------------------------------------------------------- */

/* Prepends Ethernet (and the port's VLAN tag) to an IP packet and queues it. */
static void
send_l2(struct hl_worker *w, unsigned int pi, struct rte_mbuf *m,
	const struct rte_ether_addr *dst, uint16_t ethertype)
{
	const struct hl_port *p = &w->eng->ports[pi];
	uint16_t l2 = p->vlan ? RTE_ETHER_HDR_LEN + sizeof(struct rte_vlan_hdr) : RTE_ETHER_HDR_LEN;
	struct rte_ether_hdr *eth = (struct rte_ether_hdr *)rte_pktmbuf_prepend(m, l2);

	if (unlikely(eth == NULL)) {
		drop(w, m, HL_DROP_NO_MBUF);
		return;
	}
	rte_ether_addr_copy(dst, &eth->dst_addr);
	rte_ether_addr_copy(&p->mac, &eth->src_addr);
	if (p->vlan) {
		struct rte_vlan_hdr *vh = (struct rte_vlan_hdr *)(eth + 1);

		eth->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_VLAN);
		vh->vlan_tci = rte_cpu_to_be_16(p->vlan);
		vh->eth_proto = rte_cpu_to_be_16(ethertype);
	} else {
		eth->ether_type = rte_cpu_to_be_16(ethertype);
	}
	m->l2_len = l2;
	hl_worker_tx(w, pi, m);
}

static struct rte_mbuf *
alloc_pkt(struct hl_worker *w)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(w->pool);
	if (m == NULL)
		w->st->drop[HL_DROP_NO_MBUF]++;
	return m;
}

/* ARP request (RFC 826) or Neighbor Solicitation (RFC 4861 §7.2.2) for ip. */
static void
send_probe(struct hl_worker *w, unsigned int pi, const uint8_t ip[16])
{
	const struct hl_port *p = &w->eng->ports[pi];
	struct rte_mbuf *m = alloc_pkt(w);
	static const uint8_t v4mapped[12] = {[10] = 0xff, [11] = 0xff};

	if (m == NULL)
		return;
	if (memcmp(ip, v4mapped, 12) == 0) {
		struct rte_arp_hdr *a = (struct rte_arp_hdr *)rte_pktmbuf_append(m, sizeof(*a));
		struct rte_ether_addr bcast;

		memset(&bcast, 0xff, sizeof(bcast));
		a->arp_hardware = rte_cpu_to_be_16(RTE_ARP_HRD_ETHER);
		a->arp_protocol = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
		a->arp_hlen = RTE_ETHER_ADDR_LEN;
		a->arp_plen = 4;
		a->arp_opcode = rte_cpu_to_be_16(RTE_ARP_OP_REQUEST);
		rte_ether_addr_copy(&p->mac, &a->arp_data.arp_sha);
		a->arp_data.arp_sip = p->ip4;
		memset(&a->arp_data.arp_tha, 0, sizeof(a->arp_data.arp_tha));
		memcpy(&a->arp_data.arp_tip, ip + 12, 4);
		count(w, HL_CTR_ARP_REQUEST_OUT);
		send_l2(w, pi, m, &bcast, RTE_ETHER_TYPE_ARP);
		return;
	}

	uint16_t icmp_len = ND_HDR_LEN + 8;
	struct rte_ipv6_hdr *ip6 =
		(struct rte_ipv6_hdr *)rte_pktmbuf_append(m, sizeof(*ip6) + icmp_len);
	uint8_t *icmp = (uint8_t *)(ip6 + 1);
	struct rte_ether_addr dmac;

	ip6->vtc_flow = rte_cpu_to_be_32(6u << 28);
	ip6->payload_len = rte_cpu_to_be_16(icmp_len);
	ip6->proto = IPPROTO_ICMPV6_;
	ip6->hop_limits = 255;
	memcpy(ip6->src_addr, ip6_is_linklocal(ip) ? p->ll6 : p->ip6, 16);
	ip6_solicited_node(ip6->dst_addr, ip);
	memset(icmp, 0, icmp_len);
	icmp[0] = ND_NEIGHBOR_SOLICIT;
	memcpy(icmp + 8, ip, 16);
	icmp[24] = ND_OPT_SLLA;
	icmp[25] = 1;
	memcpy(icmp + 26, &p->mac, 6);
	uint16_t ck = l4_cksum6(ip6, icmp, icmp_len, IPPROTO_ICMPV6_);
	memcpy(icmp + 2, &ck, 2);
	ip6_mcast_mac(&dmac, ip6->dst_addr);
	count(w, HL_CTR_ND_NS_OUT);
	send_l2(w, pi, m, &dmac, RTE_ETHER_TYPE_IPV6);
}

/* Sends what waited for a resolution that just completed. */
static void
flush_pending(struct hl_worker *w, unsigned int pi, struct rte_mbuf **pend, int n,
	const struct rte_ether_addr *mac)
{
	for (int i = 0; i < n; i++) {
		const uint8_t v = *rte_pktmbuf_mtod(pend[i], uint8_t *) >> 4;

		count(w, HL_CTR_NEIGH_FLUSHED);
		send_l2(w, pi, pend[i], mac, v == 4 ? RTE_ETHER_TYPE_IPV4 : RTE_ETHER_TYPE_IPV6);
	}
}

static void net_output(struct hl_worker *w, unsigned int pi, struct rte_mbuf *m,
	struct hl_neigh_hint *hint);

void
hl_net_output(struct hl_worker *w, unsigned int pi, struct rte_mbuf *m)
{
	net_output(w, pi, m, NULL);
}

void
hl_net_output_hint(struct hl_worker *w, unsigned int pi, struct rte_mbuf *m,
	struct hl_neigh_hint *hint)
{
	if (likely(hl_neigh_hint_valid(hint))) {
		const uint8_t v = *rte_pktmbuf_mtod(m, uint8_t *) >> 4;

		send_l2(w, pi, m, &hint->mac, v == 4 ? RTE_ETHER_TYPE_IPV4 : RTE_ETHER_TYPE_IPV6);
		return;
	}
	hint->seq_at = NULL;
	net_output(w, pi, m, hint);
}

static void
net_output(struct hl_worker *w, unsigned int pi, struct rte_mbuf *m, struct hl_neigh_hint *hint)
{
	const struct hl_port *p = &w->eng->ports[pi];
	const uint8_t v = *rte_pktmbuf_mtod(m, uint8_t *) >> 4;
	struct rte_ether_addr mac;
	uint8_t key[16];
	uint16_t etype;
	int rc;

	if (v == 4) {
		const struct rte_ipv4_hdr *ip = rte_pktmbuf_mtod(m, struct rte_ipv4_hdr *);
		rte_be32_t dst = ip->dst_addr, nh;

		etype = RTE_ETHER_TYPE_IPV4;
		if (!p->has_ip4) {
			drop(w, m, HL_DROP_NO_ROUTE);
			return;
		}
		if (dst == p->bcast4 || dst == RTE_BE32(0xffffffff)) {
			memset(&mac, 0xff, sizeof(mac));
			send_l2(w, pi, m, &mac, etype);
			return;
		}
		if (((dst ^ p->ip4) & p->mask4) == 0)
			nh = dst;
		else if (p->has_gw4)
			nh = p->gw4;
		else {
			drop(w, m, HL_DROP_NO_ROUTE);
			return;
		}
		hl_neigh_key4(key, nh);
	} else {
		const struct rte_ipv6_hdr *ip6 = rte_pktmbuf_mtod(m, struct rte_ipv6_hdr *);

		etype = RTE_ETHER_TYPE_IPV6;
		if (!p->has_ip6) {
			drop(w, m, HL_DROP_NO_ROUTE);
			return;
		}
		if (ip6_is_multicast(ip6->dst_addr)) {
			ip6_mcast_mac(&mac, ip6->dst_addr);
			send_l2(w, pi, m, &mac, etype);
			return;
		}
		if (ip6_is_linklocal(ip6->dst_addr) ||
			ip6_same_prefix(ip6->dst_addr, p->ip6, p->ip6_prefix))
			memcpy(key, ip6->dst_addr, 16);
		else if (p->has_gw6)
			memcpy(key, p->gw6, 16);
		else {
			drop(w, m, HL_DROP_NO_ROUTE);
			return;
		}
	}

	rc = hl_neigh_lookup_hint(w->eng->neigh, (uint16_t)pi, key, &mac, hint);
	if (likely(rc == 0)) {
		send_l2(w, pi, m, &mac, etype);
		return;
	}
	if (rc == 1) {
		send_l2(w, pi, m, &mac, etype);
		if (hl_neigh_refresh(w->eng->neigh, (uint16_t)pi, key, w->now))
			send_probe(w, pi, key);
		return;
	}
	if (rc == -EHOSTUNREACH) {
		drop(w, m, HL_DROP_NEIGH_FAILED);
		return;
	}
	bool probe;
	rc = hl_neigh_queue(w->eng->neigh, (uint16_t)pi, key, m, w->now, &probe, &mac);
	switch (rc) {
	case 0:
		count(w, HL_CTR_NEIGH_QUEUED);
		if (probe)
			send_probe(w, pi, key);
		return;
	case 1:
		send_l2(w, pi, m, &mac, etype);
		return;
	case -ENOSPC:
		drop(w, m, HL_DROP_NEIGH_QUEUE_FULL);
		return;
	case -EHOSTUNREACH:
		drop(w, m, HL_DROP_NEIGH_FAILED);
		return;
	default:
		drop(w, m, HL_DROP_NEIGH_TABLE_FULL);
		return;
	}
}

/* Learns ip -> mac (HL_NEIGH_F_* flags; mac NULL: none in the packet) and sends what
 * waited for it, which only a known mac releases. */
static void
learn(struct hl_worker *w, unsigned int pi, const uint8_t key[16],
	const struct rte_ether_addr *mac, unsigned int flags)
{
	struct rte_mbuf *pend[HL_NEIGH_PENDING];
	bool created;
	int n = hl_neigh_update(w->eng->neigh, (uint16_t)pi, key, mac, flags, w->now, pend,
		&created);

	if (n == -ENOMEM) {
		w->st->drop[HL_DROP_NEIGH_TABLE_FULL]++;
		return;
	}
	if (created)
		count(w, HL_CTR_NEIGH_LEARNED);
	if (n > 0)
		flush_pending(w, pi, pend, n, mac);
}

/* ---- ARP -------------------------------------------------------------------- */

static void
arp_input(struct hl_worker *w, unsigned int pi, struct rte_mbuf *m, uint16_t off)
{
	const struct hl_port *p = &w->eng->ports[pi];
	struct rte_ether_hdr *eth = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
	struct rte_arp_hdr *a;
	uint8_t key[16];

	count(w, HL_CTR_ETH_ARP);
	if (rte_pktmbuf_data_len(m) < off + sizeof(*a)) {
		drop(w, m, HL_DROP_ARP_MALFORMED);
		return;
	}
	a = rte_pktmbuf_mtod_offset(m, struct rte_arp_hdr *, off);
	uint16_t op = rte_be_to_cpu_16(a->arp_opcode);
	if (a->arp_hardware != RTE_BE16(RTE_ARP_HRD_ETHER) ||
		a->arp_protocol != RTE_BE16(RTE_ETHER_TYPE_IPV4) || a->arp_hlen != 6 ||
		a->arp_plen != 4 || (op != RTE_ARP_OP_REQUEST && op != RTE_ARP_OP_REPLY) ||
		!rte_is_unicast_ether_addr(&a->arp_data.arp_sha) ||
		rte_is_zero_ether_addr(&a->arp_data.arp_sha) ||
		rte_is_same_ether_addr(&a->arp_data.arp_sha, &p->mac)) {
		drop(w, m, HL_DROP_ARP_MALFORMED);
		return;
	}
	count(w, op == RTE_ARP_OP_REQUEST ? HL_CTR_ARP_REQUEST_IN : HL_CTR_ARP_REPLY_IN);
	if (!p->has_ip4) {
		count(w, HL_CTR_ARP_IGNORED);
		rte_pktmbuf_free(m);
		return;
	}
	bool for_us = a->arp_data.arp_tip == p->ip4;
	rte_be32_t sip = a->arp_data.arp_sip;

	/* RFC 826 "merge": update what we know; create only when we are the target. */
	if (sip != 0 && sip != p->ip4 && ((sip ^ p->ip4) & p->mask4) == 0) {
		hl_neigh_key4(key, sip);
		learn(w, pi, key, &a->arp_data.arp_sha,
			HL_NEIGH_F_CONFIRM | HL_NEIGH_F_OVERRIDE | (for_us ? HL_NEIGH_F_CREATE : 0));
	}
	if (op != RTE_ARP_OP_REQUEST || !for_us) {
		if (!for_us)
			count(w, HL_CTR_ARP_IGNORED);
		rte_pktmbuf_free(m);
		return;
	}
	/* Reply in place (an ARP probe with sender 0.0.0.0 gets one too, RFC 5227 §2.1.1). */
	a->arp_opcode = rte_cpu_to_be_16(RTE_ARP_OP_REPLY);
	a->arp_data.arp_tha = a->arp_data.arp_sha;
	a->arp_data.arp_tip = sip;
	rte_ether_addr_copy(&p->mac, &a->arp_data.arp_sha);
	a->arp_data.arp_sip = p->ip4;
	rte_ether_addr_copy(&a->arp_data.arp_tha, &eth->dst_addr);
	rte_ether_addr_copy(&p->mac, &eth->src_addr);
	count(w, HL_CTR_ARP_REPLY_OUT);
	hl_worker_tx(w, pi, m);
}

/* ---- UDP -------------------------------------------------------------------- */

/* l4 is the UDP header at offset l4off; ulen_max is what the IP layer carries. */
/* ---- SIP on the worker: flood limit, parse, validate ------------------------------- */

static struct rte_mbuf *sip_udp_build(const struct hl_engine *e, struct rte_mempool *pool,
	unsigned int pi, int family, const uint8_t *dst, uint16_t dport, const void *payload,
	size_t len);

/* Token bucket of the datagram's source; false when it is over [sip] flood_pps. */
static bool
flood_ok(struct hl_worker *w, const uint8_t *src, unsigned int alen)
{
	uint8_t key[16] = {0};
	uint32_t h = 2166136261u;
	struct hl_flood_slot *f;

	memcpy(key, src, alen);
	for (unsigned int i = 0; i < 16; i++)
		h = (h ^ key[i]) * 16777619u;
	f = &w->flood[h & (HL_FLOOD_SLOTS - 1)];
	if (memcmp(f->addr, key, 16) != 0 || f->stamp == 0) {
		memcpy(f->addr, key, 16);
		f->stamp = w->now;
		f->tokens = w->flood_burst;
	} else {
		uint64_t add = (w->now - f->stamp) / w->flood_tsc_per_token;
		if (add) {
			uint64_t t = f->tokens + add;
			f->tokens = (uint32_t)(t > w->flood_burst ? w->flood_burst : t);
			f->stamp += add * w->flood_tsc_per_token;
		}
	}
	if (f->tokens < 1024)
		return false;
	f->tokens -= 1024;
	return true;
}

/*
 * Every SIP datagram is parsed and validated here, before it costs the control
 * lcore anything (ARCHITECTURE.md, data flow 1). Over the source's rate: dropped,
 * counted. Malformed: answered statelessly (400, 505, 416, 513 as
 * hl_sip_error_status() says) straight from this worker, or dropped and counted
 * when it cannot be answered (a response, no request line, no Via). Returns 0
 * when m goes on to control. A reassembled datagram in several segments is
 * passed on whole: control validates it again on a flat copy.
 */
static int
sip_guard(struct hl_worker *w, unsigned int pi, struct rte_mbuf *m, const void *iph, bool v6,
	const struct rte_udp_hdr *u, uint16_t ulen)
{
	const uint8_t *src = v6 ? ((const struct rte_ipv6_hdr *)iph)->src_addr :
				  (const uint8_t *)&((const struct rte_ipv4_hdr *)iph)->src_addr;
	const uint8_t *body = (const uint8_t *)(u + 1);
	size_t blen = ulen - sizeof(*u);
	struct hl_sip_msg msg;
	const char *reason;
	char out[2048];
	int r, code, n;

	if (w->flood != NULL && !flood_ok(w, src, v6 ? 16 : 4)) {
		drop(w, m, HL_DROP_SIP_FLOOD);
		return -1;
	}
	if (m->nb_segs != 1)
		return 0;
	r = hl_sip_parse(body, blen, &msg);
	if (r >= 0 && hl_sip_validate(body, &msg) != 0)
		r = HL_E_PARSE;
	if (likely(r >= 0))
		return 0;
	code = hl_sip_error_status(r, &msg, &reason);
	n = code > 0 ? hl_sip_build_error_response(body, &msg, code, "hl-stateless", out,
		sizeof(out)) : -1;
	if (n <= 0) {
		drop(w, m, HL_DROP_SIP_MALFORMED);
		return -1;
	}
	/* RFC 3261 §18.2.2 / RFC 3581: back to the source address; the source port
	 * with rport, the Via's sent-by port otherwise. */
	uint16_t dport = rte_be_to_cpu_16(u->src_port);
	const struct hl_sip_hdr_field *vh = hl_sip_hdr_first(&msg, HL_SIP_HDR_VIA);
	struct hl_sip_via via;
	if (vh != NULL && hl_sip_parse_via(body, vh->value, &via) > 0 && via.rport < 0)
		dport = via.port ? via.port : 5060;
	struct rte_mbuf *rm = sip_udp_build(w->eng, w->pool, pi, v6 ? 6 : 4, src, dport, out,
		(size_t)n);
	rte_pktmbuf_free(m);
	if (rm == NULL) {
		w->st->drop[HL_DROP_NO_MBUF]++;
		return -1;
	}
	count(w, HL_CTR_SIP_ERR_OUT);
	hl_net_output(w, pi, rm);
	return -1;
}

/* A datagram to the RTP range, to its slice's worker: ours to the media burst, another's
 * through its handoff ring (flush_sinks()). Inline in both callers: out of line it was
 * a dozen instructions a packet of call and spills. */
static inline __attribute__((always_inline)) void
rtp_queue(struct hl_worker *w, unsigned int pi, struct rte_mbuf *m, uint16_t dport)
{
	unsigned int o = hl_engine_rtp_owner(w->eng, dport);

	/* The leg key names the port it arrived on, and the local port: the media burst
	 * finds the leg from the mbuf alone (hl_media_rtp_key()). */
	m->hash.usr = hl_media_rtp_key(pi, dport);
	if (o == w->index)
		w->rtp_buf[w->n_rtp++] = m;
	else
		w->ho_buf[o][w->ho_n[o]++] = m;
}

static void
udp_input(struct hl_worker *w, unsigned int pi, struct rte_mbuf *m, uint16_t l4off,
	uint32_t ulen_max, const void *iph, bool v6)
{
	const struct hl_engine *e = w->eng;
	struct rte_udp_hdr *u;
	uint16_t ulen, dport;

	if (ulen_max < sizeof(*u) || rte_pktmbuf_data_len(m) < l4off + sizeof(*u)) {
		drop(w, m, HL_DROP_UDP_TRUNCATED);
		return;
	}
	u = rte_pktmbuf_mtod_offset(m, struct rte_udp_hdr *, l4off);
	ulen = rte_be_to_cpu_16(u->dgram_len);
	if (ulen < sizeof(*u) || ulen > ulen_max) {
		drop(w, m, HL_DROP_UDP_BAD_LEN);
		return;
	}
	if (unlikely((m->ol_flags & RTE_MBUF_F_RX_L4_CKSUM_MASK) == RTE_MBUF_F_RX_L4_CKSUM_BAD)) {
		drop(w, m, HL_DROP_UDP_BAD_CSUM);
		return;
	}
	m->l4_len = sizeof(*u);
	m->packet_type = (v6 ? RTE_PTYPE_L3_IPV6_EXT_UNKNOWN : RTE_PTYPE_L3_IPV4_EXT_UNKNOWN) |
			 RTE_PTYPE_L4_UDP;
	dport = rte_be_to_cpu_16(u->dst_port);
	/* RFC 8200 §8.1: a zero UDP checksum is never valid over IPv6. */
	if (v6 && u->dgram_cksum == 0) {
		drop(w, m, HL_DROP_UDP_BAD_CSUM);
		return;
	}
	if (dport >= e->cfg->rtp_port_min && dport <= e->cfg->rtp_port_max) {
		/*
		 * Media is not checksummed here. The relay updates the UDP checksum
		 * incrementally (RFC 1624; dataplane/media.c), so a datagram damaged
		 * on the way in still fails at the far end, as through a NAT, and
		 * verifies what it consumes or encrypts itself; SRTP authenticates
		 * what it protects; and the NIC's verdict, where it gives one, was
		 * honoured above. This keeps 180 bytes of summing per packet off the
		 * hottest path (bench/bench_l2l4).
		 */
		rtp_queue(w, pi, m, dport);
		return;
	}
	if (dport != e->cfg->sip_port) {
		drop(w, m, HL_DROP_UDP_CLOSED_PORT);
		return;
	}
	/* Datagrams we consume are verified: RFC 768 (zero means none on IPv4). */
	if (u->dgram_cksum != 0 && !l4_cksum_good(m)) {
		bool bad;

		if (v6) {
			bad = m->nb_segs == 1 ? l4_cksum6(iph, u, ulen, IPPROTO_UDP) != 0 :
						rte_ipv6_udptcp_cksum_mbuf_verify(m, iph, l4off) != 0;
		} else if (likely(m->nb_segs == 1)) {
			const struct rte_ipv4_hdr *ip = iph;
			/* RFC 768 pseudo-header: source, destination, zero, protocol, length. */
			const uint8_t ph[4] = {0, IPPROTO_UDP, (uint8_t)(ulen >> 8), (uint8_t)ulen};
			uint64_t sum = hl_csum_partial(&ip->src_addr, 8, 0);

			sum = hl_csum_partial(ph, 4, sum);
			bad = hl_csum_fold(hl_csum_partial(u, ulen, sum)) != 0xffff;
		} else {
			bad = rte_ipv4_udptcp_cksum_mbuf_verify(m, iph, l4off) != 0;
		}
		if (bad) {
			drop(w, m, HL_DROP_UDP_BAD_CSUM);
			return;
		}
	}
	count(w, HL_CTR_UDP_SIP);
	w->st->ctr[HL_CTR_UDP_SIP_BYTES] += ulen - sizeof(*u);
	if (sip_guard(w, pi, m, iph, v6, u, ulen) != 0)
		return;
	w->sip_buf[w->n_sip++] = m;
}

/* ---- IPv4 ------------------------------------------------------------------- */

static void
icmp4_input(struct hl_worker *w, unsigned int pi, struct rte_mbuf *m, uint16_t off,
	struct rte_ipv4_hdr *ip, uint16_t ihl, uint16_t tot)
{
	const struct hl_port *p = &w->eng->ports[pi];
	uint16_t l4len = tot - ihl;
	struct rte_icmp_hdr *ic;

	if (l4len < sizeof(*ic)) {
		drop(w, m, HL_DROP_ICMP_TRUNCATED);
		return;
	}
	/* Echo is answered up to the MTU; a reassembled multi-segment ping is not. */
	if (m->nb_segs != 1) {
		drop(w, m, HL_DROP_ICMP_UNHANDLED);
		return;
	}
	ic = (struct rte_icmp_hdr *)((uint8_t *)ip + ihl);
	if (hl_csum(ic, l4len) != 0xffff) {
		drop(w, m, HL_DROP_ICMP_BAD_CSUM);
		return;
	}
	if (ic->icmp_type != RTE_IP_ICMP_ECHO_REQUEST || ic->icmp_code != 0) {
		drop(w, m, HL_DROP_ICMP_UNHANDLED);
		return;
	}
	count(w, HL_CTR_ICMP_ECHO_IN);
	/* RFC 792: same identifier, sequence and data; type 0. */
	ic->icmp_type = RTE_IP_ICMP_ECHO_REPLY;
	ic->icmp_cksum = 0;
	ic->icmp_cksum = (uint16_t)~hl_csum(ic, l4len);
	ip->dst_addr = ip->src_addr;
	ip->src_addr = p->ip4;
	ip->time_to_live = 64;
	ip->fragment_offset = 0;
	ip->hdr_checksum = 0;
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	rte_pktmbuf_adj(m, off);
	count(w, HL_CTR_ICMP_ECHO_REPLY_OUT);
	hl_net_output(w, pi, m);
}

static void
ipv4_input(struct hl_worker *w, unsigned int pi, struct rte_mbuf *m, uint16_t off)
{
	const struct hl_port *p = &w->eng->ports[pi];
	struct rte_ipv4_hdr *ip;
	uint16_t ihl, tot;

	count(w, HL_CTR_ETH_IPV4);
	if (rte_pktmbuf_data_len(m) < off + sizeof(*ip)) {
		drop(w, m, HL_DROP_IPV4_TRUNCATED);
		return;
	}
	ip = rte_pktmbuf_mtod_offset(m, struct rte_ipv4_hdr *, off);
	if ((ip->version_ihl >> 4) != 4) {
		drop(w, m, HL_DROP_IPV4_BAD_VERSION);
		return;
	}
	ihl = (uint16_t)((ip->version_ihl & 0xf) * 4);
	if (ihl < sizeof(*ip)) {
		drop(w, m, HL_DROP_IPV4_BAD_IHL);
		return;
	}
	if (rte_pktmbuf_data_len(m) < off + ihl) {
		drop(w, m, HL_DROP_IPV4_TRUNCATED);
		return;
	}
	tot = rte_be_to_cpu_16(ip->total_length);
	if (tot < ihl) {
		drop(w, m, HL_DROP_IPV4_BAD_LEN);
		return;
	}
	if (rte_pktmbuf_pkt_len(m) < (uint32_t)off + tot) {
		drop(w, m, HL_DROP_IPV4_TRUNCATED);
		return;
	}
	/* The NIC's verdict when it gives one (RX offload enabled where offered). */
	uint64_t ipck = m->ol_flags & RTE_MBUF_F_RX_IP_CKSUM_MASK;
	if (ipck == RTE_MBUF_F_RX_IP_CKSUM_BAD ||
		(ipck != RTE_MBUF_F_RX_IP_CKSUM_GOOD && hl_csum_ip4hdr(ip, ihl) != 0xffff)) {
		drop(w, m, HL_DROP_IPV4_BAD_CSUM);
		return;
	}
	/* Ethernet pads short frames to 60 bytes: drop what follows the datagram. */
	if (rte_pktmbuf_pkt_len(m) > (uint32_t)off + tot)
		rte_pktmbuf_trim(m, (uint16_t)(rte_pktmbuf_pkt_len(m) - off - tot));

	uint32_t src = rte_be_to_cpu_32(ip->src_addr);
	/* RFC 1122 §3.2.1.3: never accept 0/8, 127/8, multicast, limited broadcast. */
	if ((src >> 24) == 0 || (src >> 24) == 127 || (src >> 28) == 0xe || src == 0xffffffffu ||
		(p->has_ip4 && (ip->src_addr == p->ip4 || ip->src_addr == p->bcast4))) {
		drop(w, m, HL_DROP_IPV4_BAD_SRC);
		return;
	}
	if (!p->has_ip4 || ip->dst_addr != p->ip4) {
		drop(w, m, HL_DROP_IPV4_NOT_OURS);
		return;
	}
	m->l2_len = off;
	m->l3_len = ihl;

	if (rte_ipv4_frag_pkt_is_fragmented(ip)) {
		uint16_t fo = rte_be_to_cpu_16(ip->fragment_offset);
		uint32_t start = (uint32_t)(fo & RTE_IPV4_HDR_OFFSET_MASK) * RTE_IPV4_HDR_OFFSET_UNITS;
		uint32_t plen = (uint32_t)tot - ihl;

		count(w, HL_CTR_IPV4_FRAGMENT_IN);
		/* RFC 791: every fragment but the last carries a multiple of 8 bytes,
		 * and no datagram ends past 65535. */
		if (plen == 0 || start + plen + ihl > 65535 ||
			((fo & RTE_IPV4_HDR_MF_FLAG) && (plen % 8) != 0)) {
			drop(w, m, HL_DROP_IPV4_FRAG_BAD);
			return;
		}
		uint32_t before = w->death_row.cnt;
		struct rte_mbuf *r =
			rte_ipv4_frag_reassemble_packet(w->frag, &w->death_row, m, w->now, ip);
		w->st->drop[HL_DROP_FRAG_DROPPED] += w->death_row.cnt - before;
		if (r == NULL)
			return;
		m = r;
		count(w, HL_CTR_IPV4_REASSEMBLED);
		ip = rte_pktmbuf_mtod_offset(m, struct rte_ipv4_hdr *, off);
		tot = rte_be_to_cpu_16(ip->total_length);
	}

	switch (ip->next_proto_id) {
	case IPPROTO_UDP:
		udp_input(w, pi, m, (uint16_t)(off + ihl), (uint32_t)tot - ihl, ip, false);
		return;
	case IPPROTO_ICMP:
		icmp4_input(w, pi, m, off, ip, ihl, tot);
		return;
	default:
		drop(w, m, HL_DROP_L4_PROTO);
		return;
	}
}

/* ---- IPv6 ------------------------------------------------------------------- */

/*
 * Finds an option of type t in ND options [opt, opt+len). Returns its body (6
 * bytes for link-layer address options), NULL when absent; *bad is set when the
 * option list is malformed (RFC 4861 §4.6: a zero length is invalid).
 */
static const uint8_t *
nd_find_lla(const uint8_t *opt, uint32_t len, uint8_t t, bool *bad)
{
	const uint8_t *found = NULL;

	*bad = false;
	while (len > 0) {
		if (len < 2 || opt[1] == 0 || (uint32_t)opt[1] * 8 > len) {
			*bad = true;
			return NULL;
		}
		if (opt[0] == t && opt[1] == 1 && found == NULL)
			found = opt + 2;
		len -= (uint32_t)opt[1] * 8;
		opt += opt[1] * 8;
	}
	return found;
}

static void
nd_ns_input(struct hl_worker *w, unsigned int pi, struct rte_mbuf *m, struct rte_ipv6_hdr *ip6,
	uint8_t *icmp, uint32_t len)
{
	const struct hl_port *p = &w->eng->ports[pi];
	const uint8_t *target = icmp + 8;
	bool dad = ip6_is_unspecified(ip6->src_addr);
	bool bad;
	const uint8_t *slla;
	uint8_t sn[16];

	count(w, HL_CTR_ND_NS_IN);
	/* RFC 4861 §7.1.1 validity checks. */
	if (ip6->hop_limits != 255 || icmp[1] != 0 || len < ND_HDR_LEN || ip6_is_multicast(target)) {
		drop(w, m, HL_DROP_ND_INVALID);
		return;
	}
	slla = nd_find_lla(icmp + ND_HDR_LEN, len - ND_HDR_LEN, ND_OPT_SLLA, &bad);
	ip6_solicited_node(sn, target);
	if (bad || (dad && (slla != NULL || memcmp(ip6->dst_addr, sn, 16) != 0))) {
		drop(w, m, HL_DROP_ND_INVALID);
		return;
	}
	if (memcmp(target, p->ip6, 16) != 0 && memcmp(target, p->ll6, 16) != 0) {
		rte_pktmbuf_free(m); /* someone else's address: not an error */
		return;
	}
	struct rte_ether_addr dmac;
	uint8_t dst[16], tgt[16];

	memcpy(tgt, target, 16);
	if (dad) {
		memcpy(dst, all_nodes6, 16);
		ip6_mcast_mac(&dmac, dst);
	} else {
		memcpy(dst, ip6->src_addr, 16);
		if (slla != NULL) {
			/* §7.2.3: created or changed STALE, else as it was; the NS proves
			 * nothing of our packets reaching it. */
			memcpy(&dmac, slla, 6);
			learn(w, pi, dst, &dmac, HL_NEIGH_F_CREATE | HL_NEIGH_F_OVERRIDE);
		} else {
			dmac = rte_pktmbuf_mtod(m, struct rte_ether_hdr *)->src_addr;
		}
	}

	/* RFC 4861 §7.2.4: NA from the target, solicited unless answering DAD, with
	 * our link-layer address. Rebuilt in the same mbuf. */
	uint16_t icmp_len = ND_HDR_LEN + 8;
	rte_pktmbuf_reset(m);
	struct rte_ipv6_hdr *o = (struct rte_ipv6_hdr *)rte_pktmbuf_append(m,
		sizeof(*o) + icmp_len);
	uint8_t *na = (uint8_t *)(o + 1);

	o->vtc_flow = rte_cpu_to_be_32(6u << 28);
	o->payload_len = rte_cpu_to_be_16(icmp_len);
	o->proto = IPPROTO_ICMPV6_;
	o->hop_limits = 255;
	memcpy(o->src_addr, tgt, 16);
	memcpy(o->dst_addr, dst, 16);
	memset(na, 0, icmp_len);
	na[0] = ND_NEIGHBOR_ADVERT;
	na[4] = (uint8_t)((dad ? 0 : ND_NA_FLAG_SOLICITED) | ND_NA_FLAG_OVERRIDE);
	memcpy(na + 8, tgt, 16);
	na[24] = ND_OPT_TLLA;
	na[25] = 1;
	memcpy(na + 26, &p->mac, 6);
	uint16_t ck = l4_cksum6(o, na, icmp_len, IPPROTO_ICMPV6_);
	memcpy(na + 2, &ck, 2);
	count(w, HL_CTR_ND_NA_OUT);
	send_l2(w, pi, m, &dmac, RTE_ETHER_TYPE_IPV6);
}

static void
nd_na_input(struct hl_worker *w, unsigned int pi, struct rte_mbuf *m, struct rte_ipv6_hdr *ip6,
	uint8_t *icmp, uint32_t len)
{
	bool bad;
	const uint8_t *tlla;
	struct rte_ether_addr mac;

	count(w, HL_CTR_ND_NA_IN);
	/* RFC 4861 §7.1.2 validity checks. */
	if (ip6->hop_limits != 255 || icmp[1] != 0 || len < ND_HDR_LEN ||
		ip6_is_multicast(icmp + 8) ||
		(ip6_is_multicast(ip6->dst_addr) && (icmp[4] & ND_NA_FLAG_SOLICITED))) {
		drop(w, m, HL_DROP_ND_INVALID);
		return;
	}
	tlla = nd_find_lla(icmp + ND_HDR_LEN, len - ND_HDR_LEN, ND_OPT_TLLA, &bad);
	if (bad) {
		drop(w, m, HL_DROP_ND_INVALID);
		return;
	}
	if (tlla != NULL)
		memcpy(&mac, tlla, 6);
	/* §7.2.5: advertisements create nothing; Solicited confirms, Override may
	 * replace the known address; without a target address option (allowed in
	 * answer to a unicast NS, §7.2.4) only the state can change. */
	learn(w, pi, icmp + 8, tlla != NULL ? &mac : NULL,
		(icmp[4] & ND_NA_FLAG_SOLICITED ? HL_NEIGH_F_CONFIRM : 0) |
			(icmp[4] & ND_NA_FLAG_OVERRIDE ? HL_NEIGH_F_OVERRIDE : 0));
	rte_pktmbuf_free(m);
}

static void
icmp6_input(struct hl_worker *w, unsigned int pi, struct rte_mbuf *m, uint16_t off,
	struct rte_ipv6_hdr *ip6, uint16_t l4off, uint32_t len)
{
	const struct hl_port *p = &w->eng->ports[pi];
	uint8_t *icmp;

	if (len < 4 || m->nb_segs != 1) {
		drop(w, m, len < 4 ? HL_DROP_ICMP6_TRUNCATED : HL_DROP_ICMP6_UNHANDLED);
		return;
	}
	icmp = rte_pktmbuf_mtod_offset(m, uint8_t *, l4off);
	if (l4_cksum6(ip6, icmp, len, IPPROTO_ICMPV6_) != 0) {
		drop(w, m, HL_DROP_ICMP6_BAD_CSUM);
		return;
	}
	switch (icmp[0]) {
	case ND_NEIGHBOR_SOLICIT:
		nd_ns_input(w, pi, m, ip6, icmp, len);
		return;
	case ND_NEIGHBOR_ADVERT:
		nd_na_input(w, pi, m, ip6, icmp, len);
		return;
	case ICMP6_ECHO_REQUEST:
		break;
	default:
		drop(w, m, HL_DROP_ICMP6_UNHANDLED);
		return;
	}
	if (len < 8) {
		drop(w, m, HL_DROP_ICMP6_TRUNCATED);
		return;
	}
	/* Echo with extension headers in front is not answered (nothing needs it). */
	if (icmp[1] != 0 || l4off != off + sizeof(*ip6)) {
		drop(w, m, HL_DROP_ICMP6_UNHANDLED);
		return;
	}
	count(w, HL_CTR_ICMP6_ECHO_IN);
	/* RFC 4443 §4.2: reply from the address the request was sent to; to a
	 * multicast request from our unicast address of matching scope. */
	uint8_t src[16];
	if (ip6_is_multicast(ip6->dst_addr))
		memcpy(src, ip6_is_linklocal(ip6->src_addr) ? p->ll6 : p->ip6, 16);
	else
		memcpy(src, ip6->dst_addr, 16);
	memcpy(ip6->dst_addr, ip6->src_addr, 16);
	memcpy(ip6->src_addr, src, 16);
	ip6->hop_limits = 64;
	icmp[0] = ICMP6_ECHO_REPLY;
	icmp[2] = icmp[3] = 0;
	uint16_t ck = l4_cksum6(ip6, icmp, len, IPPROTO_ICMPV6_);
	memcpy(icmp + 2, &ck, 2);
	rte_pktmbuf_adj(m, off);
	count(w, HL_CTR_ICMP6_ECHO_REPLY_OUT);
	hl_net_output(w, pi, m);
}

static void
ipv6_input(struct hl_worker *w, unsigned int pi, struct rte_mbuf *m, uint16_t off)
{
	const struct hl_port *p = &w->eng->ports[pi];
	struct rte_ipv6_hdr *ip6;
	uint32_t plen;

	count(w, HL_CTR_ETH_IPV6);
	if (rte_pktmbuf_data_len(m) < off + sizeof(*ip6)) {
		drop(w, m, HL_DROP_IPV6_TRUNCATED);
		return;
	}
	ip6 = rte_pktmbuf_mtod_offset(m, struct rte_ipv6_hdr *, off);
	if ((rte_be_to_cpu_32(ip6->vtc_flow) >> 28) != 6) {
		drop(w, m, HL_DROP_IPV6_BAD_VERSION);
		return;
	}
	plen = rte_be_to_cpu_16(ip6->payload_len);
	if (rte_pktmbuf_pkt_len(m) < off + sizeof(*ip6) + plen) {
		drop(w, m, plen == 0 ? HL_DROP_IPV6_BAD_LEN : HL_DROP_IPV6_TRUNCATED);
		return;
	}
	if (rte_pktmbuf_pkt_len(m) > off + sizeof(*ip6) + plen)
		rte_pktmbuf_trim(m, (uint16_t)(rte_pktmbuf_pkt_len(m) - off - sizeof(*ip6) - plen));
	/* RFC 4291 §2.7: a multicast source is never valid; nor is our own address. */
	if (ip6_is_multicast(ip6->src_addr) ||
		(p->has_ip6 && (memcmp(ip6->src_addr, p->ip6, 16) == 0 ||
				       memcmp(ip6->src_addr, p->ll6, 16) == 0))) {
		drop(w, m, HL_DROP_IPV6_BAD_SRC);
		return;
	}
	if (!p->has_ip6 || !ip6_is_ours(p, ip6->dst_addr)) {
		drop(w, m, HL_DROP_IPV6_NOT_OURS);
		return;
	}
	m->l2_len = off;

	uint8_t nh = ip6->proto;
	uint16_t l4off = (uint16_t)(off + sizeof(*ip6));
	uint32_t left = plen;

	if (nh == IPPROTO_FRAGMENT_) {
		struct rte_ipv6_fragment_ext *fh = rte_ipv6_frag_get_ipv6_fragment_header(ip6);

		count(w, HL_CTR_IPV6_FRAGMENT_IN);
		if (fh == NULL || rte_pktmbuf_data_len(m) < l4off + sizeof(*fh) ||
			plen <= sizeof(*fh)) {
			drop(w, m, HL_DROP_IPV6_TRUNCATED);
			return;
		}
		uint16_t fo = rte_be_to_cpu_16(fh->frag_data);
		uint32_t fplen = plen - sizeof(*fh);
		/* RFC 8200 §4.5: non-final fragments are multiples of 8 bytes. */
		if ((RTE_IPV6_GET_MF(fo) && (fplen % 8) != 0) ||
			RTE_IPV6_GET_FO(fo) * 8u + fplen > 65535) {
			drop(w, m, HL_DROP_IPV4_FRAG_BAD);
			return;
		}
		m->l3_len = sizeof(*ip6) + sizeof(*fh);
		uint32_t before = w->death_row.cnt;
		struct rte_mbuf *r = rte_ipv6_frag_reassemble_packet(w->frag, &w->death_row, m,
			w->now, ip6, fh);
		w->st->drop[HL_DROP_FRAG_DROPPED] += w->death_row.cnt - before;
		if (r == NULL)
			return;
		m = r;
		count(w, HL_CTR_IPV6_REASSEMBLED);
		ip6 = rte_pktmbuf_mtod_offset(m, struct rte_ipv6_hdr *, off);
		plen = rte_be_to_cpu_16(ip6->payload_len);
		nh = ip6->proto;
		left = plen;
	}

	/* RFC 8200 §4.1: walk a bounded chain of extension headers. */
	for (unsigned int i = 0; i < IPV6_MAX_EXT; i++) {
		if (nh != IPPROTO_HOPOPTS_ && nh != IPPROTO_DSTOPTS_ && nh != IPPROTO_ROUTING_)
			break;
		const uint8_t *x;
		if (left < 8 || rte_pktmbuf_data_len(m) < l4off + 8u) {
			drop(w, m, HL_DROP_IPV6_TRUNCATED);
			return;
		}
		x = rte_pktmbuf_mtod_offset(m, const uint8_t *, l4off);
		uint32_t xl = ((uint32_t)x[1] + 1) * 8;
		/* We are never an intermediate hop of a routing header. */
		if (xl > left || rte_pktmbuf_data_len(m) < l4off + xl ||
			(nh == IPPROTO_ROUTING_ && x[3] != 0)) {
			drop(w, m, HL_DROP_IPV6_EXT_HDR);
			return;
		}
		nh = x[0];
		l4off = (uint16_t)(l4off + xl);
		left -= xl;
	}
	m->l3_len = (uint16_t)(l4off - off);
	switch (nh) {
	case IPPROTO_UDP:
		udp_input(w, pi, m, l4off, left, ip6, true);
		return;
	case IPPROTO_ICMPV6_:
		icmp6_input(w, pi, m, off, ip6, l4off, left);
		return;
	case IPPROTO_HOPOPTS_:
	case IPPROTO_DSTOPTS_:
	case IPPROTO_ROUTING_:
	case IPPROTO_FRAGMENT_:
		drop(w, m, HL_DROP_IPV6_EXT_HDR);
		return;
	default:
		drop(w, m, HL_DROP_L4_PROTO);
		return;
	}
}

/* ---- Ethernet and the burst loop ------------------------------------------- */

static inline void
eth_input(struct hl_worker *w, unsigned int pi, struct rte_mbuf *m)
{
	const struct hl_port *p = &w->eng->ports[pi];
	struct rte_ether_hdr *eth;
	uint16_t etype, off = RTE_ETHER_HDR_LEN;
	bool tagged = false;
	uint16_t vid = 0;

	/* A PMD that stripped the tag: put it back so every frame looks the same. */
	if (unlikely(m->ol_flags & RTE_MBUF_F_RX_VLAN_STRIPPED)) {
		m->ol_flags &= ~(RTE_MBUF_F_RX_VLAN_STRIPPED | RTE_MBUF_F_RX_VLAN);
		if (rte_vlan_insert(&m) != 0) {
			drop(w, m, HL_DROP_NO_MBUF);
			return;
		}
	}
	if (unlikely(rte_pktmbuf_data_len(m) < RTE_ETHER_HDR_LEN)) {
		drop(w, m, HL_DROP_RUNT);
		return;
	}
	eth = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
	etype = rte_be_to_cpu_16(eth->ether_type);
	if (etype == RTE_ETHER_TYPE_VLAN) {
		const struct rte_vlan_hdr *vh;

		if (rte_pktmbuf_data_len(m) < RTE_ETHER_HDR_LEN + sizeof(*vh)) {
			drop(w, m, HL_DROP_RUNT);
			return;
		}
		vh = (const struct rte_vlan_hdr *)(eth + 1);
		vid = rte_be_to_cpu_16(vh->vlan_tci) & 0xfff;
		etype = rte_be_to_cpu_16(vh->eth_proto);
		off += sizeof(*vh);
		tagged = true;
		count(w, HL_CTR_ETH_VLAN);
	}
	if (tagged != (p->vlan != 0) || vid != p->vlan) {
		drop(w, m, HL_DROP_VLAN_MISMATCH);
		return;
	}
	if (!rte_is_same_ether_addr(&eth->dst_addr, &p->mac) &&
		!rte_is_broadcast_ether_addr(&eth->dst_addr) &&
		!(etype == RTE_ETHER_TYPE_IPV6 && rte_is_multicast_ether_addr(&eth->dst_addr))) {
		drop(w, m, HL_DROP_DST_MAC);
		return;
	}
	switch (etype) {
	case RTE_ETHER_TYPE_IPV4:
		ipv4_input(w, pi, m, off);
		return;
	case RTE_ETHER_TYPE_IPV6:
		ipv6_input(w, pi, m, off);
		return;
	case RTE_ETHER_TYPE_ARP:
		arp_input(w, pi, m, off);
		return;
	default:
		drop(w, m, HL_DROP_ETHERTYPE);
		return;
	}
}

void
hl_net_rtp_burst(struct hl_worker *w, struct rte_mbuf **pkts, uint16_t n)
{
	hl_media_rx_burst(w, pkts, n);
}

static void
flush_sinks(struct hl_worker *w)
{
	struct hl_engine *e = w->eng;

	if (w->n_sip) {
		unsigned int q = rte_ring_mp_enqueue_burst(e->sip_ring, (void **)w->sip_buf,
			w->n_sip, NULL);
		if (unlikely(q < w->n_sip)) {
			w->st->drop[HL_DROP_SIP_RING_FULL] += w->n_sip - q;
			rte_pktmbuf_free_bulk(&w->sip_buf[q], w->n_sip - q);
		}
		w->n_sip = 0;
	}
	for (unsigned int o = 0; o < e->n_workers; o++) {
		uint16_t k = w->ho_n[o];

		if (k == 0)
			continue;
		unsigned int q = rte_ring_mp_enqueue_burst(e->workers[o]->handoff,
			(void **)w->ho_buf[o], k, NULL);
		w->st->ctr[HL_CTR_HANDOFF_OUT] += q;
		if (unlikely(q < k)) {
			w->st->drop[HL_DROP_HANDOFF_FULL] += k - q;
			rte_pktmbuf_free_bulk(&w->ho_buf[o][q], k - q);
		}
		w->ho_n[o] = 0;
	}
	if (w->death_row.cnt)
		rte_ip_frag_free_death_row(&w->death_row, PREFETCH_OFFSET);
}

/*
 * The media fast path. An untagged IPv4 frame to the port's MAC and address, with a
 * 20-octet header, no fragment and no padding, carrying UDP to the RTP range, is what
 * nearly every packet of a trunk is. It is checked here in one straight line, with the
 * checks eth_input(), ipv4_input() and udp_input() make for it, and queued for its
 * worker as udp_input() would. Anything else, including everything those would drop,
 * returns false and takes the general path, which counts why: the fast path never
 * drops, so no verdict differs between the two. The IPv4 counter is the caller's, once
 * a burst. It saves about a fifth of the relay's instructions (bench/README.md).
 */
static inline bool
rtp4_fast(struct hl_worker *w, unsigned int pi, const struct hl_port *p, struct rte_mbuf *m)
{
	const struct hl_engine *e = w->eng;
	const uint8_t *d = rte_pktmbuf_mtod(m, const uint8_t *);
	const struct rte_ether_hdr *eth = (const struct rte_ether_hdr *)d;
	const struct rte_ipv4_hdr *ip = (const struct rte_ipv4_hdr *)(d + RTE_ETHER_HDR_LEN);
	const struct rte_udp_hdr *u = (const struct rte_udp_hdr *)(ip + 1);
	uint64_t ipck = m->ol_flags & RTE_MBUF_F_RX_IP_CKSUM_MASK;
	uint32_t src;
	uint16_t tot, ulen, dport;

	if (unlikely(m->data_len < RTE_ETHER_HDR_LEN + sizeof(*ip) + sizeof(*u) ||
		     (m->ol_flags & RTE_MBUF_F_RX_VLAN_STRIPPED) ||
		     ipck == RTE_MBUF_F_RX_IP_CKSUM_BAD ||
		     (m->ol_flags & RTE_MBUF_F_RX_L4_CKSUM_MASK) == RTE_MBUF_F_RX_L4_CKSUM_BAD))
		return false;
	if (eth->ether_type != RTE_BE16(RTE_ETHER_TYPE_IPV4) || p->vlan != 0 ||
		!rte_is_same_ether_addr(&eth->dst_addr, &p->mac))
		return false;
	tot = hl_bswap16(ip->total_length);
	if (ip->version_ihl != 0x45 || tot < sizeof(*ip) + sizeof(*u) ||
		rte_pktmbuf_pkt_len(m) != (uint32_t)RTE_ETHER_HDR_LEN + tot ||
		ip->next_proto_id != IPPROTO_UDP ||
		(ip->fragment_offset & RTE_BE16(RTE_IPV4_HDR_MF_FLAG | RTE_IPV4_HDR_OFFSET_MASK)))
		return false;
	/* RFC 1071 over the 20-octet header, as ipv4_input() does it */
	if (ipck != RTE_MBUF_F_RX_IP_CKSUM_GOOD && hl_csum_ip4hdr(ip, sizeof(*ip)) != 0xffff)
		return false;
	/* RFC 1122 §3.2.1.3 sources, and ours only (ipv4_input). */
	src = rte_be_to_cpu_32(ip->src_addr);
	if ((src >> 24) == 0 || (src >> 24) == 127 || (src >> 28) == 0xe || src == 0xffffffffu ||
		!p->has_ip4 || ip->src_addr == p->ip4 || ip->src_addr == p->bcast4 ||
		ip->dst_addr != p->ip4)
		return false;
	ulen = hl_bswap16(u->dgram_len);
	dport = hl_bswap16(u->dst_port);
	if (ulen < sizeof(*u) || ulen > tot - sizeof(*ip) || dport < e->cfg->rtp_port_min ||
		dport > e->cfg->rtp_port_max)
		return false;
	m->l2_len = RTE_ETHER_HDR_LEN;
	m->l3_len = sizeof(*ip);
	m->l4_len = sizeof(*u);
	m->packet_type = RTE_PTYPE_L3_IPV4_EXT_UNKNOWN | RTE_PTYPE_L4_UDP;
	rtp_queue(w, pi, m, dport);
	return true;
}

/* The general path, out of line so the fast one stays small where it is inlined. */
static __attribute__((noinline)) void
frame_slow(struct hl_worker *w, unsigned int pi, struct rte_mbuf *m)
{
	eth_input(w, pi, m);
}

/* One frame: the media fast path, else the general one. 1 when the fast path took it. */
static inline __attribute__((always_inline)) unsigned int
frame_input(struct hl_worker *w, unsigned int pi, const struct hl_port *p, struct rte_mbuf *m)
{
	if (likely(rtp4_fast(w, pi, p, m)))
		return 1;
	frame_slow(w, pi, m);
	return 0;
}

void
hl_net_rtp_flush(struct hl_worker *w)
{
	if (w->n_rtp) {
		hl_net_rtp_burst(w, w->rtp_buf, w->n_rtp);
		w->n_rtp = 0;
	}
}

void
hl_net_rx_burst(struct hl_worker *w, unsigned int pi, struct rte_mbuf **pkts, uint16_t n)
{
	hl_net_rx_gather(w, pi, pkts, n);
	hl_net_rtp_flush(w);
}

void
hl_net_rx_gather(struct hl_worker *w, unsigned int pi, struct rte_mbuf **pkts, uint16_t n)
{
	const struct hl_port *p = &w->eng->ports[pi];
	uint16_t i = 0;
	uint64_t bytes = 0;
	unsigned int fast = 0;

	/* Each frame queues at most one datagram for the media burst. */
	if (unlikely(w->n_rtp + n > HL_RTP_BATCH))
		hl_net_rtp_flush(w);

	for (uint16_t j = 0; j < n; j++)
		bytes += rte_pktmbuf_pkt_len(pkts[j]);
	w->st->ctr[HL_CTR_RX_PACKETS] += n;
	w->st->ctr[HL_CTR_RX_BYTES] += bytes;
	/* STYLE.md rule 8 (l3fwd): prefetch ahead, handle in fours, then the rest. */
	for (uint16_t j = 0; j < PREFETCH_OFFSET && j < n; j++)
		rte_prefetch0(rte_pktmbuf_mtod(pkts[j], void *));
	for (; i + 4 <= n; i += 4) {
		for (uint16_t j = i + PREFETCH_OFFSET; j < i + PREFETCH_OFFSET + 4 && j < n; j++)
			rte_prefetch0(rte_pktmbuf_mtod(pkts[j], void *));
		fast += frame_input(w, pi, p, pkts[i]);
		fast += frame_input(w, pi, p, pkts[i + 1]);
		fast += frame_input(w, pi, p, pkts[i + 2]);
		fast += frame_input(w, pi, p, pkts[i + 3]);
	}
	for (; i < n; i++)
		fast += frame_input(w, pi, p, pkts[i]);
	w->st->ctr[HL_CTR_ETH_IPV4] += fast;
	flush_sinks(w);
}

void
hl_net_maintain(struct hl_worker *w, uint64_t now)
{
	/* Bounded: 64 neighbour entries and 8 probes per call, every 10 ms. */
	enum { BUDGET = 64, MAX_PROBES = 8, MAX_DROPPED = 8 * HL_NEIGH_PENDING };
	uint32_t before = w->death_row.cnt;

	rte_ip_frag_table_del_expired_entries(w->frag, &w->death_row, now);
	w->st->drop[HL_DROP_FRAG_DROPPED] += w->death_row.cnt - before;
	if (w->death_row.cnt)
		rte_ip_frag_free_death_row(&w->death_row, PREFETCH_OFFSET);

	if (w->index != 0)
		return;
	struct hl_neigh_probe probes[MAX_PROBES];
	struct rte_mbuf *dropped[MAX_DROPPED];
	unsigned int nd;
	unsigned int np = hl_neigh_maintain(w->eng->neigh, now, BUDGET, probes, MAX_PROBES,
		dropped, MAX_DROPPED, &nd);

	for (unsigned int i = 0; i < np; i++)
		send_probe(w, probes[i].port, probes[i].ip);
	if (nd) {
		w->st->drop[HL_DROP_NEIGH_FAILED] += nd;
		rte_pktmbuf_free_bulk(dropped, nd);
	}
}

/* ---- UDP from our SIP port ------------------------------------------------------ */

/* An IP + UDP datagram from our SIP port to dst, data starting at the IP header,
 * checksums computed; NULL when the pool is empty or it does not fit one segment. */
static struct rte_mbuf *
sip_udp_build(const struct hl_engine *e, struct rte_mempool *pool, unsigned int pi, int family,
	const uint8_t *dst, uint16_t dport, const void *payload, size_t len)
{
	const struct hl_port *p = &e->ports[pi];
	uint16_t l3 = family == 6 ? sizeof(struct rte_ipv6_hdr) : sizeof(struct rte_ipv4_hdr);
	struct rte_udp_hdr *u;
	struct rte_mbuf *m;
	uint8_t *d;

	/* One segment: fragmentation on output is the port MTU's business. */
	if (len + l3 + sizeof(*u) + HL_L2_ROOM >
		(size_t)rte_pktmbuf_data_room_size(pool) - RTE_PKTMBUF_HEADROOM)
		return NULL;
	m = rte_pktmbuf_alloc(pool);
	if (m == NULL)
		return NULL;
	d = (uint8_t *)rte_pktmbuf_append(m, (uint16_t)(l3 + sizeof(*u) + len));
	u = (struct rte_udp_hdr *)(d + l3);
	u->src_port = rte_cpu_to_be_16(e->cfg->sip_port);
	u->dst_port = rte_cpu_to_be_16(dport);
	u->dgram_len = rte_cpu_to_be_16((uint16_t)(sizeof(*u) + len));
	u->dgram_cksum = 0;
	memcpy(u + 1, payload, len);
	if (family == 4) {
		struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)d;

		memset(ip, 0, sizeof(*ip));
		ip->version_ihl = 0x45;
		ip->total_length = rte_cpu_to_be_16((uint16_t)(l3 + sizeof(*u) + len));
		ip->packet_id = rte_cpu_to_be_16((uint16_t)rte_rdtsc());
		ip->time_to_live = 64;
		ip->next_proto_id = IPPROTO_UDP;
		ip->src_addr = p->ip4;
		memcpy(&ip->dst_addr, dst, 4);
		ip->hdr_checksum = rte_ipv4_cksum(ip);
		u->dgram_cksum = rte_ipv4_udptcp_cksum(ip, u);
	} else {
		struct rte_ipv6_hdr *ip6 = (struct rte_ipv6_hdr *)d;

		memset(ip6, 0, sizeof(*ip6));
		ip6->vtc_flow = rte_cpu_to_be_32(6u << 28);
		ip6->payload_len = rte_cpu_to_be_16((uint16_t)(sizeof(*u) + len));
		ip6->proto = IPPROTO_UDP;
		ip6->hop_limits = 64;
		memcpy(ip6->src_addr, p->ip6, 16);
		memcpy(ip6->dst_addr, dst, 16);
		u->dgram_cksum = rte_ipv6_udptcp_cksum(ip6, u);
	}
	m->port = (uint16_t)pi;
	return m;
}

int
hl_engine_sip_send(struct hl_engine *e, unsigned int pi, int family, const uint8_t *dst,
	uint16_t dport, const void *payload, size_t len)
{
	const struct hl_port *p;
	struct rte_mbuf *m;

	if (pi >= e->n_ports)
		return -ENETUNREACH;
	p = &e->ports[pi];
	if ((family == 4 && !p->has_ip4) || (family == 6 && !p->has_ip6))
		return -ENETUNREACH;
	m = sip_udp_build(e, e->pool[0], pi, family, dst, dport, payload, len);
	if (m == NULL)
		return -ENOBUFS;
	if (rte_ring_mp_enqueue(e->ctl_tx, m) != 0) {
		rte_pktmbuf_free(m);
		return -ENOBUFS;
	}
	return 0;
}
