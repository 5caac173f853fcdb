/*
 * Unit tests for the media legs (dataplane/media.c) on crafted RTP/RTCP frames.
 *
 * As in test_net: EAL in --no-huge mode, one ethdev made of two rings named in the
 * engine's config. Legs are created through the control API (hl_media_set, the
 * command ring), frames are pushed into the RX ring, worker loop turns run, and what
 * the engine transmitted is read from the TX ring and checked byte by byte: headers of
 * the peer leg, one continuous stream (SSRC, sequence), payload unchanged, checksums
 * valid; SRTP bridged in both directions with libsrtp on the test side; one event per
 * key press; a media timeout; final figures at the end. Exits 77 when EAL cannot start.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_eth_ring.h>
#include <rte_ethdev.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_ring.h>
#include <rte_udp.h>

#include <opus.h>
#include <spandsp.h>

#include "dataplane/engine_priv.h"
#include "hl_test.h"
#include "hotline/common.h"
#include "hotline/config.h"
#include "hotline/counters.h"
#include "hotline/dtmf.h"
#include "hotline/engine.h"
#include "hotline/media.h"
#include "hotline/net.h"
#include "hotline/srtp.h"

static struct rte_ring *rxr, *txr;
static struct rte_mempool *pool;
static struct hl_engine *eng;
static struct hl_worker *wk;
static struct hl_config cfg;
static struct rte_ether_addr emac;
static const uint8_t pmac[6] = {0x02, 0x11, 0x22, 0x33, 0x44, 0x55};
static const uint8_t bcast[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};

static const char conf_fmt[] = "[lcores]\ncontrol = 0\nworkers = 0\n"
			       "[port t]\ndevice = %s\nipv4 = 10.0.0.1/24\nipv6 = fd00::1/64\n"
			       "[rtp]\nports = 20000-20999\ndtmf_inband_slots = 4\n";

#define CUST "10.0.0.2"
#define AGENT "10.0.0.3"
#define OUR6 "fd00::1"

static struct hl_media_event events[128];
static unsigned int n_events;
static struct hl_media_stats finals[8];
static unsigned int n_finals;

static void
on_event(void *ctx, const struct hl_media_event *ev)
{
	(void)ctx;
	if (n_events < HL_ARRAY_SIZE(events))
		events[n_events++] = *ev;
}

static void
on_final(void *ctx, const struct hl_media_stats *st)
{
	(void)ctx;
	if (n_finals < HL_ARRAY_SIZE(finals))
		finals[n_finals++] = *st;
}

static const struct hl_media_sink sink = {on_event, on_final, NULL};

static uint64_t
drop_of(enum hl_drop d)
{
	struct hl_lcore_stats s;
	hl_stats_sum(&s);
	return s.drop[d];
}

static uint64_t
ctr(enum hl_ctr c)
{
	struct hl_lcore_stats s;
	hl_stats_sum(&s);
	return s.ctr[c];
}

/* ---- frames ---- */

static void
inject(const uint8_t *f, size_t n)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(pool);

	HL_CHECK(m != NULL);
	memcpy(rte_pktmbuf_append(m, (uint16_t)n), f, n);
	HL_CHECK(rte_ring_enqueue(rxr, m) == 0);
}

/* Loop turns (commands, packets, tick), then the control side's poll. */
static unsigned int
run(struct rte_mbuf **out, unsigned int max)
{
	for (int i = 0; i < 8; i++) {
		hl_worker_poll(wk);
		hl_media_poll(eng, &sink);
	}
	hl_worker_flush(wk);
	return out ? rte_ring_dequeue_burst(txr, (void **)out, max, NULL) : 0;
}

static void
free_all(struct rte_mbuf **m, unsigned int n)
{
	for (unsigned int i = 0; i < n; i++)
		rte_pktmbuf_free(m[i]);
}

static void
drain(void)
{
	struct rte_mbuf *out[64];
	unsigned int n;

	while ((n = run(out, 64)) != 0)
		free_all(out, n);
}

/* Ethernet + IPv4 + UDP around payload pl from src:sport to 10.0.0.1:dport. */
static size_t
udp_frame(uint8_t *f, const char *src, uint16_t sport, uint16_t dport, const uint8_t *pl,
	size_t n)
{
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(f + 14);
	struct rte_udp_hdr *u = (struct rte_udp_hdr *)(ip + 1);

	memcpy(f, emac.addr_bytes, 6);
	memcpy(f + 6, pmac, 6);
	f[12] = 0x08;
	f[13] = 0x00;
	memset(ip, 0, sizeof(*ip));
	ip->version_ihl = 0x45;
	ip->total_length = rte_cpu_to_be_16((uint16_t)(28 + n));
	ip->time_to_live = 64;
	ip->next_proto_id = IPPROTO_UDP;
	inet_pton(AF_INET, src, &ip->src_addr);
	inet_pton(AF_INET, "10.0.0.1", &ip->dst_addr);
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	u->src_port = rte_cpu_to_be_16(sport);
	u->dst_port = rte_cpu_to_be_16(dport);
	u->dgram_len = rte_cpu_to_be_16((uint16_t)(8 + n));
	u->dgram_cksum = 0;
	memcpy(u + 1, pl, n);
	u->dgram_cksum = rte_ipv4_udptcp_cksum(ip, u);
	return 14 + 28 + n;
}

static size_t
rtp_pkt(uint8_t *p, uint8_t pt, int marker, uint16_t seq, uint32_t ts, uint32_t ssrc,
	const uint8_t *pl, size_t n)
{
	p[0] = 0x80;
	p[1] = (uint8_t)(pt | (marker ? 0x80 : 0));
	p[2] = (uint8_t)(seq >> 8);
	p[3] = (uint8_t)seq;
	for (int i = 0; i < 4; i++) {
		p[4 + i] = (uint8_t)(ts >> (24 - 8 * i));
		p[8 + i] = (uint8_t)(ssrc >> (24 - 8 * i));
	}
	memcpy(p + 12, pl, n);
	return 12 + n;
}

static void
send_rtp(const char *src, uint16_t sport, uint16_t dport, uint8_t pt, uint16_t seq, uint32_t ssrc,
	uint8_t fill, struct hl_srtp_ctx *srtp)
{
	uint8_t pl[160], rtp[256], f[512];
	size_t n;

	memset(pl, fill, sizeof(pl));
	n = rtp_pkt(rtp, pt, 0, seq, (uint32_t)seq * 160, ssrc, pl, sizeof(pl));
	if (srtp != NULL) {
		int k = hl_srtp_protect_rtp(srtp, rtp, n, sizeof(rtp));
		HL_CHECK(k > 0);
		n = (size_t)k;
	}
	inject(f, udp_frame(f, src, sport, dport, rtp, n));
}

/*
 * Checksums written here rather than taken from the engine or DPDK, so that the engine
 * is not checked against itself: RFC 1071 sums of big-endian 16-bit words, with the
 * pseudo-headers of RFC 768 (IPv4) and RFC 8200 §8.1 (IPv6: source, destination,
 * upper-layer length as 32 bits, three zero octets, next header).
 */
static uint32_t
sum_be16(const uint8_t *p, size_t n, uint32_t s)
{
	for (size_t i = 0; i + 1 < n; i += 2)
		s += (uint32_t)p[i] << 8 | p[i + 1];
	if (n & 1)
		s += (uint32_t)p[n - 1] << 8;
	return s;
}

static uint16_t
fold16(uint32_t s)
{
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)s;
}

static uint16_t
get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static void
put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static uint32_t
pseudo6(const uint8_t *ip6, uint32_t len, uint8_t nh)
{
	uint8_t ph[40];

	memcpy(ph, ip6 + 8, 32);
	for (int i = 0; i < 4; i++)
		ph[32 + i] = (uint8_t)(len >> (24 - 8 * i));
	ph[36] = ph[37] = ph[38] = 0;
	ph[39] = nh;
	return sum_be16(ph, sizeof(ph), 0);
}

/* The UDP datagram after the IPv6 header at ip6 (len octets from there) sums right
 * over its pseudo-header. RFC 8200 §8.1: the UDP length is the upper-layer length, and
 * a zero checksum is never valid. */
static int
udp6_valid(const uint8_t *ip6, size_t len)
{
	const uint8_t *u = ip6 + 40;
	uint16_t ulen;

	if (len < 48)
		return 0;
	ulen = get16(u + 4);
	if (ulen < 8 || 40u + ulen > len || get16(u + 6) == 0)
		return 0;
	return fold16(sum_be16(u, ulen, pseudo6(ip6, ulen, IPPROTO_UDP))) == 0xffff;
}

/* The same after an IPv4 header (RFC 768). Zero ("no checksum") counts as invalid:
 * the engine always computes one for what it sends. */
static int
udp4_valid(const uint8_t *ip, size_t len)
{
	size_t ihl = (size_t)(ip[0] & 0x0f) * 4;
	const uint8_t *u = ip + ihl;
	uint8_t ph[4] = {0, IPPROTO_UDP, 0, 0};
	uint16_t ulen;

	if (len < ihl + 8)
		return 0;
	ulen = get16(u + 4);
	if (ulen < 8 || ihl + ulen > len || get16(u + 6) == 0)
		return 0;
	put16(ph + 2, ulen);
	return fold16(sum_be16(u, ulen, sum_be16(ph, 4, sum_be16(ip + 12, 8, 0)))) == 0xffff;
}

/* What a frame the engine sent says: addresses, ports, RTP payload (SRTP undone). */
struct seen {
	char dst[INET6_ADDRSTRLEN], src[INET6_ADDRSTRLEN];
	int family;  /* of its IP header */
	int l2_ok;   /* Ethernet from our MAC to the neighbour's */
	int ip_ok;   /* IPv4: header checksum; IPv6: version, next header, length */
	uint8_t hop; /* TTL or hop limit */
	uint8_t tc;  /* type of service or traffic class */
	uint16_t sport, dport;
	uint16_t udp_csum;
	uint8_t pt;
	uint8_t marker;
	uint16_t seq;
	uint32_t ts;
	uint32_t ssrc;
	uint8_t payload[256];
	size_t plen;
	int csum_ok; /* IPv4: header and UDP (DPDK's verifier); IPv6: udp_ok */
	int udp_ok;  /* udp4_valid() / udp6_valid() */
};

static int
parse_out(struct rte_mbuf *m, struct seen *s, struct hl_srtp_ctx *srtp)
{
	uint8_t buf[1600];
	uint32_t len = rte_pktmbuf_pkt_len(m);
	const uint8_t *f = len <= sizeof(buf) ? rte_pktmbuf_read(m, 0, len, buf) : NULL;
	const uint8_t *ul;
	uint8_t rtp[512];
	int n;

	memset(s, 0, sizeof(*s));
	if (f == NULL || len < 14)
		return -1;
	s->l2_ok = memcmp(f, pmac, 6) == 0 && memcmp(f + 6, emac.addr_bytes, 6) == 0;
	if (f[12] == 0x08 && f[13] == 0x00 && len >= 42) {
		struct rte_ipv4_hdr ip;

		memcpy(&ip, f + 14, sizeof(ip));
		s->family = 4;
		s->hop = ip.time_to_live;
		s->tc = ip.type_of_service;
		inet_ntop(AF_INET, &ip.dst_addr, s->dst, sizeof(s->dst));
		inet_ntop(AF_INET, &ip.src_addr, s->src, sizeof(s->src));
		s->ip_ok = ip.version_ihl == 0x45 && fold16(sum_be16(f + 14, 20, 0)) == 0xffff &&
			   ip.next_proto_id == IPPROTO_UDP &&
			   rte_be_to_cpu_16(ip.total_length) == len - 14;
		s->csum_ok = rte_ipv4_cksum((const struct rte_ipv4_hdr *)(f + 14)) == 0 ||
			     ip.hdr_checksum == rte_ipv4_cksum(&ip);
		{
			/* Verify the UDP checksum over a copy laid out contiguously. */
			uint8_t tmp[1600];
			memcpy(tmp, f + 14, len - 14);
			struct rte_ipv4_hdr *ipc = (struct rte_ipv4_hdr *)tmp;
			s->csum_ok = s->csum_ok && rte_ipv4_udptcp_cksum_verify(ipc,
							   (struct rte_udp_hdr *)(ipc + 1)) == 0;
		}
		s->udp_ok = udp4_valid(f + 14, len - 14);
		ul = f + 34;
	} else if (f[12] == 0x86 && f[13] == 0xdd && len >= 62) {
		const uint8_t *ip6 = f + 14;

		s->family = 6;
		s->hop = ip6[7];
		s->tc = (uint8_t)((ip6[0] & 0x0f) << 4 | ip6[1] >> 4);
		inet_ntop(AF_INET6, ip6 + 24, s->dst, sizeof(s->dst));
		inet_ntop(AF_INET6, ip6 + 8, s->src, sizeof(s->src));
		s->ip_ok =
			(ip6[0] >> 4) == 6 && ip6[6] == IPPROTO_UDP && get16(ip6 + 4) == len - 54;
		s->udp_ok = s->csum_ok = udp6_valid(ip6, len - 14);
		ul = f + 54;
	} else {
		return -1;
	}
	s->sport = get16(ul);
	s->dport = get16(ul + 2);
	s->udp_csum = get16(ul + 6);
	n = get16(ul + 4) - 8;
	if (n < 12 || n > (int)sizeof(rtp) || ul + 8 + n > f + len)
		return -1;
	memcpy(rtp, ul + 8, (size_t)n);
	if (srtp != NULL && (n = hl_srtp_unprotect_rtp(srtp, rtp, (size_t)n)) < 0)
		return -2;
	s->pt = rtp[1] & 0x7f;
	s->marker = rtp[1] >> 7;
	s->seq = (uint16_t)(rtp[2] << 8 | rtp[3]);
	s->ts = (uint32_t)rtp[4] << 24 | (uint32_t)rtp[5] << 16 | (uint32_t)rtp[6] << 8 | rtp[7];
	s->ssrc = (uint32_t)rtp[8] << 24 | (uint32_t)rtp[9] << 16 | (uint32_t)rtp[10] << 8 | rtp[11];
	s->plen = (size_t)n - 12;
	memcpy(s->payload, rtp + 12, s->plen);
	return 0;
}

static void
leg(struct hl_media_leg *l, uint32_t call, uint8_t side, uint16_t port, uint16_t peer,
	const char *remote, uint16_t rport, uint8_t pt, int16_t te)
{
	memset(l, 0, sizeof(*l));
	l->call = call;
	l->side = side;
	l->family = 4;
	l->port_index = 0;
	l->peer_port_index = 0;
	l->local_port = port;
	l->peer_port = peer;
	l->remote_port = rport;
	l->codec_pt = pt;
	l->te_pt = te;
	l->clock_rate = 8000;
	l->ssrc = 0x10000000u + port;
	inet_pton(AF_INET, "10.0.0.1", l->local_ip);
	inet_pton(AF_INET, remote, l->remote_ip);
}

static void
teach_arp_from(const char *ip, const uint8_t mac[6])
{
	uint8_t f[64];
	uint8_t *a = f + 14;

	memcpy(f, bcast, 6);
	memcpy(f + 6, mac, 6);
	f[12] = 0x08;
	f[13] = 0x06;
	memset(a, 0, 28);
	a[1] = 1;
	a[2] = 0x08;
	a[4] = 6;
	a[5] = 4;
	a[7] = 1;
	memcpy(a + 8, mac, 6);
	inet_pton(AF_INET, ip, a + 14);
	inet_pton(AF_INET, "10.0.0.1", a + 24);
	inject(f, 42);
}

static void
teach_arp(const char *ip)
{
	teach_arp_from(ip, pmac);
}

/* ---- IPv6 ---- */

/* Ethernet + IPv6 + UDP around payload pl from [src]:sport to [fd00::1]:dport, checksum
 * over the RFC 8200 §8.1 pseudo-header (0xffff where the sum comes out zero). */
static size_t
udp6_frame(uint8_t *f, const char *src, uint16_t sport, uint16_t dport, const uint8_t *pl,
	size_t n)
{
	uint8_t *ip6 = f + 14, *u = ip6 + 40;
	uint16_t ulen = (uint16_t)(8 + n), c;

	memcpy(f, emac.addr_bytes, 6);
	memcpy(f + 6, pmac, 6);
	f[12] = 0x86;
	f[13] = 0xdd;
	memset(ip6, 0, 40);
	ip6[0] = 0x60;
	put16(ip6 + 4, ulen);
	ip6[6] = IPPROTO_UDP;
	ip6[7] = 64;
	HL_CHECK(inet_pton(AF_INET6, src, ip6 + 8) == 1);
	inet_pton(AF_INET6, OUR6, ip6 + 24);
	put16(u, sport);
	put16(u + 2, dport);
	put16(u + 4, ulen);
	put16(u + 6, 0);
	memcpy(u + 8, pl, n);
	c = (uint16_t)~fold16(sum_be16(u, ulen, pseudo6(ip6, ulen, IPPROTO_UDP)));
	put16(u + 6, c == 0 ? 0xffff : c);
	return 54 + ulen;
}

enum send_how {
	SEND_INTACT,
	SEND_FLIPPED, /* one payload octet flipped after summing */
	SEND_NO_CSUM, /* zero: allowed over IPv4 only */
};

/* send_rtp() over IPv6; a telephone-event (PT 101) carries 4 octets, as in
 * send_rtp_damaged(). */
static void
send_rtp6(const char *src, uint16_t sport, uint16_t dport, uint8_t pt, uint16_t seq, uint32_t ssrc,
	uint8_t fill, struct hl_srtp_ctx *srtp, enum send_how how)
{
	uint8_t pl[160], rtp[256], f[512];
	size_t n, len;

	memset(pl, fill, sizeof(pl));
	n = rtp_pkt(rtp, pt, 0, seq, (uint32_t)seq * 160, ssrc, pl, pt == 101 ? 4 : sizeof(pl));
	if (srtp != NULL) {
		int k = hl_srtp_protect_rtp(srtp, rtp, n, sizeof(rtp));
		HL_CHECK(k > 0);
		n = (size_t)k;
	}
	len = udp6_frame(f, src, sport, dport, rtp, n);
	if (how == SEND_FLIPPED)
		f[len - 1] ^= 0x10;
	else if (how == SEND_NO_CSUM)
		put16(f + 60, 0);
	inject(f, len);
}

static void
leg6(struct hl_media_leg *l, uint32_t call, uint8_t side, uint16_t port, uint16_t peer,
	const char *remote, uint16_t rport, uint8_t pt, int16_t te)
{
	leg(l, call, side, port, peer, CUST, rport, pt, te);
	l->family = 6;
	memset(l->local_ip, 0, sizeof(l->local_ip));
	memset(l->remote_ip, 0, sizeof(l->remote_ip));
	inet_pton(AF_INET6, OUR6, l->local_ip);
	HL_CHECK(inet_pton(AF_INET6, remote, l->remote_ip) == 1);
}

/*
 * A Neighbor Solicitation from ip (MAC pmac) for our address, to its solicited-node
 * group, with a source link-layer address option (RFC 4861 §4.3). It is what net.c
 * creates a neighbour entry from (§7.2.3); an advertisement only updates one. With
 * bad_csum the ICMPv6 checksum (RFC 4443 §2.3) is off by one.
 */
static void
nd_solicit(const char *ip, int bad_csum)
{
	static const uint8_t snmac[6] = {0x33, 0x33, 0xff, 0x00, 0x00, 0x01};
	uint8_t f[128], *ip6 = f + 14, *ns = ip6 + 40;

	memcpy(f, snmac, 6);
	memcpy(f + 6, pmac, 6);
	f[12] = 0x86;
	f[13] = 0xdd;
	memset(ip6, 0, 40);
	ip6[0] = 0x60;
	put16(ip6 + 4, 32);
	ip6[6] = 58;
	ip6[7] = 255; /* §7.1.1: anything less is off-link */
	HL_CHECK(inet_pton(AF_INET6, ip, ip6 + 8) == 1);
	inet_pton(AF_INET6, "ff02::1:ff00:1", ip6 + 24);
	memset(ns, 0, 32);
	ns[0] = 135;
	inet_pton(AF_INET6, OUR6, ns + 8);
	ns[24] = 1; /* source link-layer address, 1 x 8 octets */
	ns[25] = 1;
	memcpy(ns + 26, pmac, 6);
	put16(ns + 2, (uint16_t)(~fold16(sum_be16(ns, 32, pseudo6(ip6, 32, 58))) ^ !!bad_csum));
	inject(f, 14 + 40 + 32);
}

/* teach_arp() for IPv6: the engine answers (an advertisement, drained) and knows ip. */
static void
teach_nd(const char *ip)
{
	uint64_t na = ctr(HL_CTR_ND_NA_OUT), bad = drop_of(HL_DROP_ICMP6_BAD_CSUM);

	nd_solicit(ip, 0);
	drain();
	HL_CHECK_MSG(ctr(HL_CTR_ND_NA_OUT) == na + 1, "no advertisement answered %s", ip);
	HL_CHECK(drop_of(HL_DROP_ICMP6_BAD_CSUM) == bad);
}

static int
all_are(const uint8_t *p, size_t n, uint8_t v)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] != v)
			return 0;
	return n > 0;
}

/* One relayed frame as it must leave: IP and UDP headers of the leg (from our address
 * and port to its remote), next hop known, DSCP EF, a valid checksum of its family. */
static void
check_headers(const struct seen *s, int family, const char *dst, uint16_t sport, uint16_t dport,
	unsigned int i)
{
	HL_CHECK_MSG(s->family == family, "frame %u: IPv%d, not IPv%d", i, s->family, family);
	HL_CHECK_MSG(s->l2_ok, "frame %u: Ethernet addresses", i);
	HL_CHECK_MSG(s->ip_ok, "frame %u: IP header (version, protocol, length)", i);
	HL_CHECK_MSG(s->hop == 64, "frame %u: hop limit %u", i, s->hop);
	HL_CHECK_MSG(s->tc == 0xb8, "frame %u: traffic class %#x", i, s->tc);
	HL_CHECK_STR(s->src, family == 6 ? OUR6 : "10.0.0.1");
	HL_CHECK_STR(s->dst, dst);
	HL_CHECK_MSG(s->sport == sport && s->dport == dport, "frame %u: ports %u -> %u", i,
		s->sport, s->dport);
	HL_CHECK_MSG(
		s->udp_ok && s->csum_ok, "frame %u: UDP checksum 0x%04x invalid", i, s->udp_csum);
}

/* ---- cases ---- */

HL_TEST(plain_relay_rewrites_headers_keeps_payload)
{
	struct hl_media_leg a, b;
	struct rte_mbuf *out[16];
	struct seen s;

	teach_arp(CUST);
	teach_arp(AGENT);
	drain();
	/* Same codec, different numbers: PCMU is 0 on both; opus-like 111 <-> 96 is the
	 * next case's. */
	leg(&a, 1, 0, 20000, 20002, CUST, 4000, 0, 101);
	leg(&b, 1, 1, 20002, 20000, AGENT, 5000, 0, 100);
	HL_CHECK(hl_media_set(eng, &a) == 0);
	HL_CHECK(hl_media_set(eng, &b) == 0);
	drain();
	HL_CHECK(hl_media_pending(eng) == 0);
	HL_CHECK(hl_media_legs(eng) == 2);

	uint64_t prob = drop_of(HL_DROP_RTP_PROBATION);
	for (uint16_t i = 0; i < 5; i++)
		send_rtp(CUST, 4000, 20000, 0, (uint16_t)(100 + i), 0xabcdef01, (uint8_t)(0x40 + i),
			NULL);
	unsigned int n = run(out, 16);
	/* RFC 3550 A.1: the first packet of a new source is on probation. */
	HL_CHECK(drop_of(HL_DROP_RTP_PROBATION) == prob + 1);
	HL_CHECK_MSG(n == 4, "relayed %u", n);
	uint16_t prev = 0;
	for (unsigned int i = 0; i < n; i++) {
		HL_CHECK(parse_out(out[i], &s, NULL) == 0);
		HL_CHECK(strcmp(s.dst, AGENT) == 0 && strcmp(s.src, "10.0.0.1") == 0);
		HL_CHECK(s.sport == 20002 && s.dport == 5000);
		HL_CHECK(s.ssrc == b.ssrc || s.ssrc == 0x10000000u + 20002);
		HL_CHECK(s.pt == 0 && s.plen == 160);
		HL_CHECK(s.payload[0] == 0x41 + i && s.payload[159] == 0x41 + i);
		HL_CHECK(s.csum_ok);
		if (i)
			HL_CHECK(s.seq == (uint16_t)(prev + 1));
		prev = s.seq;
	}
	free_all(out, n);
	HL_CHECK(ctr(HL_CTR_RTP_LATCHED) >= 1);

	/* The other way: the agent's stream reaches the customer from our A port. */
	for (uint16_t i = 0; i < 3; i++)
		send_rtp(AGENT, 5000, 20002, 0, (uint16_t)(7 + i), 0x55, 0x11, NULL);
	n = run(out, 16);
	HL_CHECK(n == 2);
	for (unsigned int i = 0; i < n; i++) {
		HL_CHECK(parse_out(out[i], &s, NULL) == 0);
		HL_CHECK(strcmp(s.dst, CUST) == 0 && s.sport == 20000 && s.dport == 4000);
	}
	free_all(out, n);

	/* After latching nobody else gets in. */
	uint64_t ws = drop_of(HL_DROP_RTP_WRONG_SOURCE);
	send_rtp("10.0.0.9", 4000, 20000, 0, 105, 0xabcdef01, 0, NULL);
	send_rtp(CUST, 4001, 20000, 0, 106, 0xabcdef01, 0, NULL);
	HL_CHECK(run(out, 16) == 0);
	HL_CHECK(drop_of(HL_DROP_RTP_WRONG_SOURCE) == ws + 2);

	/* A PT nobody negotiated is not relayed. */
	uint64_t un = drop_of(HL_DROP_RTP_PT_UNMAPPED);
	send_rtp(CUST, 4000, 20000, 18, 107, 0xabcdef01, 0, NULL);
	HL_CHECK(run(out, 16) == 0);
	HL_CHECK(drop_of(HL_DROP_RTP_PT_UNMAPPED) == un + 1);
}

/* The relay writes the Ethernet header itself while the next hop's hint holds; a
 * neighbour that moves to another MAC invalidates it, and the very next frame goes
 * to the new address (through the general output, which takes a fresh hint). */
HL_TEST(relay_follows_a_neighbour_to_its_new_mac)
{
	static const uint8_t moved[6] = {0x02, 0x00, 0x00, 0x00, 0x77, 0x01};
	struct hl_media_leg a, b;
	struct rte_mbuf *out[16];
	struct seen s;

	teach_arp(CUST);
	teach_arp(AGENT);
	drain();
	leg(&a, 1, 0, 20100, 20102, CUST, 4100, 0, 101);
	leg(&b, 1, 1, 20102, 20100, AGENT, 5100, 0, 100);
	HL_CHECK(hl_media_set(eng, &a) == 0);
	HL_CHECK(hl_media_set(eng, &b) == 0);
	drain();
	uint16_t seq = 300;
	for (int i = 0; i < 4; i++)
		send_rtp(CUST, 4100, 20100, 0, seq++, 0x0badcafe, 0x21, NULL);
	unsigned int n = run(out, 16);
	HL_CHECK_MSG(n == 3, "relayed %u", n);
	for (unsigned int i = 0; i < n; i++) {
		HL_CHECK(parse_out(out[i], &s, NULL) == 0);
		check_headers(&s, 4, AGENT, 20102, 5100, i);
	}
	free_all(out, n);

	teach_arp_from(AGENT, moved);
	drain();
	for (int i = 0; i < 3; i++)
		send_rtp(CUST, 4100, 20100, 0, seq++, 0x0badcafe, 0x22, NULL);
	n = run(out, 16);
	HL_CHECK_MSG(n == 3, "relayed %u", n);
	for (unsigned int i = 0; i < n; i++) {
		const uint8_t *f = rte_pktmbuf_mtod(out[i], const uint8_t *);

		HL_CHECK_MSG(memcmp(f, moved, 6) == 0, "frame %u: to the old MAC", i);
		HL_CHECK_MSG(memcmp(f + 6, emac.addr_bytes, 6) == 0, "frame %u: from us", i);
		HL_CHECK(parse_out(out[i], &s, NULL) == 0);
		HL_CHECK(s.ip_ok && s.udp_ok && s.csum_ok && s.payload[0] == 0x22);
	}
	free_all(out, n);
	teach_arp(AGENT);
	drain();
	HL_CHECK(hl_media_del(eng, 0, 20100) == 0);
	HL_CHECK(hl_media_del(eng, 0, 20102) == 0);
	drain();
}

/* The poll loop gathers a turn's RTP (hl_net_rx_gather()) and relays it at
 * hl_net_rtp_flush(): nothing leaves before, a burst that would overflow the media
 * burst relays what waits first, and every packet leaves once, in order. */
HL_TEST(gathered_rtp_relayed_at_flush_in_order)
{
	struct hl_media_leg a, b;
	struct rte_mbuf *in[32], *out[256];
	unsigned int n = 0, got;
	struct seen s;

	teach_arp(CUST);
	teach_arp(AGENT);
	drain();
	leg(&a, 14, 0, 20140, 20142, CUST, 4140, 0, -1);
	leg(&b, 14, 1, 20142, 20140, AGENT, 5140, 0, -1);
	HL_CHECK(hl_media_set(eng, &a) == 0);
	HL_CHECK(hl_media_set(eng, &b) == 0);
	drain();
	uint64_t relayed = ctr(HL_CTR_RTP_RELAYED);
	/* Five bursts of 32: four fill the media burst, the fifth relays them first. */
	for (uint16_t i = 0; i < 160; i++)
		send_rtp(CUST, 4140, 20140, 0, (uint16_t)(1000 + i), 0x140, (uint8_t)i, NULL);
	for (int k = 0; k < 5; k++) {
		HL_CHECK(rte_ring_dequeue_bulk(rxr, (void **)in, 32, NULL) == 32);
		hl_net_rx_gather(wk, 0, in, 32);
		if (k < 4)
			HL_CHECK_MSG(ctr(HL_CTR_RTP_RELAYED) == relayed, "burst %d relayed early", k);
	}
	/* The first is on probation (RFC 3550 A.1). */
	HL_CHECK_MSG(ctr(HL_CTR_RTP_RELAYED) == relayed + 127, "relayed %" PRIu64,
		ctr(HL_CTR_RTP_RELAYED) - relayed);
	hl_net_rtp_flush(wk);
	HL_CHECK(ctr(HL_CTR_RTP_RELAYED) == relayed + 159);
	hl_worker_flush(wk);
	while ((got = rte_ring_dequeue_burst(txr, (void **)out + n, 256 - n, NULL)) != 0)
		n += got;
	HL_CHECK_MSG(n == 159, "%u frames out", n);
	uint16_t prev = 0;
	for (unsigned int i = 0; i < n; i++) {
		HL_CHECK(parse_out(out[i], &s, NULL) == 0);
		HL_CHECK(s.sport == 20142 && s.dport == 5140);
		HL_CHECK_MSG(s.payload[0] == (uint8_t)(i + 1), "frame %u: payload %u", i,
			s.payload[0]);
		if (i)
			HL_CHECK(s.seq == (uint16_t)(prev + 1));
		prev = s.seq;
	}
	free_all(out, n);
	HL_CHECK(hl_media_del(eng, 0, 20140) == 0);
	HL_CHECK(hl_media_del(eng, 0, 20142) == 0);
	drain();
}

HL_TEST(dtmf_press_reported_once_and_relayed_with_pt_map)
{
	struct rte_mbuf *out[16];
	struct seen s;
	uint8_t ev[4], rtp[64], f[256];

	n_events = 0;
	/* Event 5, three end packets with the same sequence (RFC 4733 §2.5.1.3). */
	for (int i = 0; i < 6; i++) {
		int end = i >= 3;
		uint16_t dur = (uint16_t)(160 * (i + 1 > 4 ? 4 : i + 1));
		ev[0] = 5;
		ev[1] = (uint8_t)((end ? 0x80 : 0) | 10);
		ev[2] = (uint8_t)(dur >> 8);
		ev[3] = (uint8_t)dur;
		uint16_t seq = (uint16_t)(108 + (i < 3 ? i : 3));
		size_t n = rtp_pkt(rtp, 101, i == 0, seq, 107 * 160, 0xabcdef01, ev, 4);
		inject(f, udp_frame(f, CUST, 4000, 20000, rtp, n));
	}
	unsigned int n = run(out, 16);
	HL_CHECK_MSG(n_events == 1, "events %u", n_events);
	HL_CHECK(events[0].type == HL_MEDIA_EV_DTMF && events[0].digit == '5');
	HL_CHECK(events[0].call == 1 && events[0].side == 0);
	HL_CHECK(events[0].duration_ms == 80);
	/* Relayed: telephone-event 101 on A is 100 on B; the end packets' duplicates
	 * are the sender's business and pass as sent. */
	HL_CHECK(n >= 4);
	for (unsigned int i = 0; i < n; i++) {
		HL_CHECK(parse_out(out[i], &s, NULL) == 0);
		HL_CHECK(s.pt == 100 && s.plen == 4 && s.payload[0] == 5);
	}
	free_all(out, n);
}

/*
 * The packets of one press all carry its start's timestamp (RFC 4733 §2.5.1.3), 20 ms
 * apart on the wire: as A.8 samples each would add 160 units of jitter. They count for
 * sequence and loss only, so a press alone leaves the leg's jitter at nothing.
 */
HL_TEST(dtmf_events_leave_jitter_alone)
{
	struct hl_media_leg a, b;
	struct rte_mbuf *out[16];
	uint8_t ev[4], rtp[64], f[256];
	unsigned int n;

	leg(&a, 80, 0, 20410, 20412, CUST, 4410, 0, 101);
	leg(&b, 80, 1, 20412, 20410, AGENT, 5410, 0, 100);
	HL_CHECK(hl_media_set(eng, &a) == 0);
	HL_CHECK(hl_media_set(eng, &b) == 0);
	drain();
	n_events = 0;
	for (int i = 0; i < 10; i++) {
		uint16_t dur = (uint16_t)(160 * (i + 1));
		ev[0] = 7;
		ev[1] = (uint8_t)((i == 9 ? 0x80 : 0) | 10);
		ev[2] = (uint8_t)(dur >> 8);
		ev[3] = (uint8_t)dur;
		size_t len =
			rtp_pkt(rtp, 101, i == 0, (uint16_t)(300 + i), 48000, 0x7e7e7e7e, ev, 4);
		inject(f, udp_frame(f, CUST, 4410, 20410, rtp, len));
		n = run(out, 16);
		free_all(out, n);
		usleep(20 * 1000);
	}
	HL_CHECK_MSG(n_events == 1 && events[0].digit == '7', "events %u", n_events);
	n_finals = 0;
	HL_CHECK(hl_media_del(eng, 0, 20410) == 0);
	HL_CHECK(hl_media_del(eng, 0, 20412) == 0);
	drain();
	HL_CHECK_INT(n_finals, 2);
	for (unsigned int i = 0; i < n_finals; i++) {
		if (finals[i].side != 0)
			continue;
		HL_CHECK_INT(finals[i].rx_packets, 9); /* the first was the source's probation */
		HL_CHECK_INT(finals[i].lost, 0);
		HL_CHECK_MSG(finals[i].jitter_ms == 0.0, "jitter %.2f ms from one press",
			finals[i].jitter_ms);
	}
}

HL_TEST(srtp_bridged_both_ways_and_forgery_dropped)
{
	struct hl_media_leg a, b;
	struct hl_srtp_key kc, kh;
	struct hl_srtp_ctx c_out, c_in;
	struct rte_mbuf *out[16];
	struct seen s;

	/* Customer SRTP on call 2 (ports 20004/20006), agent plain. kc: the customer's
	 * key (it protects with it, we unprotect); kh: ours. */
	HL_CHECK(hl_srtp_key_generate(&kc, HL_SRTP_AES_CM_128_HMAC_SHA1_80) == 0);
	HL_CHECK(hl_srtp_key_generate(&kh, HL_SRTP_AES_CM_128_HMAC_SHA1_80) == 0);
	HL_CHECK(hl_srtp_ctx_init(&c_out, &kc, HL_SRTP_OUTBOUND, NULL) == 0);
	HL_CHECK(hl_srtp_ctx_init(&c_in, &kh, HL_SRTP_INBOUND, NULL) == 0);
	leg(&a, 2, 0, 20004, 20006, CUST, 4100, 0, -1);
	leg(&b, 2, 1, 20006, 20004, AGENT, 5100, 0, -1);
	a.srtp_rx = a.srtp_tx = 1;
	a.rx_key = kc;
	a.tx_key = kh;
	HL_CHECK(hl_media_set(eng, &a) == 0);
	HL_CHECK(a.rx_key.key[0] == 0 && a.tx_key.key[1] == 0); /* wiped */
	HL_CHECK(hl_media_set(eng, &b) == 0);
	drain();

	for (uint16_t i = 0; i < 4; i++)
		send_rtp(CUST, 4100, 20004, 0, (uint16_t)(1000 + i), 0x77, (uint8_t)(0x60 + i),
			&c_out);
	unsigned int n = run(out, 16);
	HL_CHECK_MSG(n == 3, "srtp->rtp relayed %u", n);
	for (unsigned int i = 0; i < n; i++) {
		HL_CHECK(parse_out(out[i], &s, NULL) == 0);
		HL_CHECK(strcmp(s.dst, AGENT) == 0 && s.dport == 5100 && s.plen == 160);
		HL_CHECK(s.payload[0] == 0x61 + i && s.csum_ok);
	}
	free_all(out, n);

	/* RTP from the agent leaves as SRTP that the customer's libsrtp accepts. */
	for (uint16_t i = 0; i < 4; i++)
		send_rtp(AGENT, 5100, 20006, 0, (uint16_t)(50 + i), 0x88, (uint8_t)(0x20 + i), NULL);
	n = run(out, 16);
	HL_CHECK(n == 3);
	for (unsigned int i = 0; i < n; i++) {
		HL_CHECK(parse_out(out[i], &s, &c_in) == 0);
		HL_CHECK(strcmp(s.dst, CUST) == 0 && s.dport == 4100 && s.plen == 160);
		HL_CHECK(s.payload[0] == 0x21 + i && s.csum_ok);
	}
	free_all(out, n);

	/* A forged packet (right source, wrong key) is counted and never relayed. */
	struct hl_srtp_key kx;
	struct hl_srtp_ctx x_out;
	HL_CHECK(hl_srtp_key_generate(&kx, HL_SRTP_AES_CM_128_HMAC_SHA1_80) == 0);
	HL_CHECK(hl_srtp_ctx_init(&x_out, &kx, HL_SRTP_OUTBOUND, NULL) == 0);
	uint64_t af = drop_of(HL_DROP_SRTP_AUTH);
	send_rtp(CUST, 4100, 20004, 0, 1010, 0x77, 0, &x_out);
	HL_CHECK(run(out, 16) == 0);
	HL_CHECK(drop_of(HL_DROP_SRTP_AUTH) == af + 1);
	/* And a replay of an accepted one too. */
	hl_srtp_ctx_fini(&x_out);
	hl_srtp_ctx_fini(&c_out);
	hl_srtp_ctx_fini(&c_in);
	hl_srtp_key_wipe(&kc);
	hl_srtp_key_wipe(&kh);
	hl_srtp_key_wipe(&kx);
}

/* A remote key with a lifetime (RFC 4568 §6.1) carries that many packets, then its
 * packets are dropped as srtp_key_expired and nothing of them is relayed. */
HL_TEST(srtp_key_lifetime_spent_drops)
{
	struct hl_media_leg a, b;
	struct hl_srtp_key kc, kh;
	struct hl_srtp_ctx c_out;
	struct rte_mbuf *out[16];
	struct seen s;

	HL_CHECK(hl_srtp_key_generate(&kc, HL_SRTP_AES_CM_128_HMAC_SHA1_80) == 0);
	HL_CHECK(hl_srtp_key_generate(&kh, HL_SRTP_AES_CM_128_HMAC_SHA1_80) == 0);
	HL_CHECK(hl_srtp_ctx_init(&c_out, &kc, HL_SRTP_OUTBOUND, NULL) == 0);
	leg(&a, 70, 0, 20400, 20402, CUST, 4700, 0, -1);
	leg(&b, 70, 1, 20402, 20400, AGENT, 5700, 0, -1);
	a.srtp_rx = a.srtp_tx = 1;
	a.rx_key = kc;
	a.rx_key.lifetime = 5;
	a.tx_key = kh;
	HL_CHECK(hl_media_set(eng, &a) == 0);
	HL_CHECK(hl_media_set(eng, &b) == 0);
	drain();

	uint64_t exp = drop_of(HL_DROP_SRTP_KEY_EXPIRED), af = drop_of(HL_DROP_SRTP_AUTH);
	/* five under the key: the first is probation, four relayed */
	for (uint16_t i = 0; i < 5; i++)
		send_rtp(CUST, 4700, 20400, 0, (uint16_t)(300 + i), 0x79, (uint8_t)(0x40 + i),
			&c_out);
	unsigned int n = run(out, 16);
	HL_CHECK_MSG(n == 4, "relayed %u", n);
	for (unsigned int i = 0; i < n; i++) {
		HL_CHECK(parse_out(out[i], &s, NULL) == 0);
		HL_CHECK(strcmp(s.dst, AGENT) == 0 && s.payload[0] == 0x41 + i);
	}
	free_all(out, n);
	HL_CHECK(drop_of(HL_DROP_SRTP_KEY_EXPIRED) == exp);
	/* then the key is spent */
	for (uint16_t i = 5; i < 8; i++)
		send_rtp(CUST, 4700, 20400, 0, (uint16_t)(300 + i), 0x79, (uint8_t)(0x40 + i),
			&c_out);
	HL_CHECK(run(out, 16) == 0);
	HL_CHECK_MSG(drop_of(HL_DROP_SRTP_KEY_EXPIRED) == exp + 3, "expired %llu",
		(unsigned long long)(drop_of(HL_DROP_SRTP_KEY_EXPIRED) - exp));
	HL_CHECK(drop_of(HL_DROP_SRTP_AUTH) == af);
	HL_CHECK(hl_media_del(eng, 0, 20400) == 0);
	HL_CHECK(hl_media_del(eng, 0, 20402) == 0);
	drain();
	hl_srtp_ctx_fini(&c_out);
	hl_srtp_key_wipe(&kc);
	hl_srtp_key_wipe(&kh);
}

/* A frame like send_rtp()'s whose UDP checksum no longer matches (one payload octet
 * flipped after summing) or is absent (zero, allowed over IPv4). */
static void
send_rtp_damaged(const char *src, uint16_t sport, uint16_t dport, uint8_t pt, uint16_t seq,
	uint32_t ssrc, uint8_t fill, int zero_csum)
{
	uint8_t pl[160], rtp[256], f[512];
	size_t n, len;

	memset(pl, fill, sizeof(pl));
	n = rtp_pkt(rtp, pt, 0, seq, (uint32_t)seq * 160, ssrc, pl, pt == 101 ? 4 : sizeof(pl));
	len = udp_frame(f, src, sport, dport, rtp, n);
	if (zero_csum)
		memset(f + 40, 0, 2);
	else
		f[len - 1] ^= 0x10;
	inject(f, len);
}

HL_TEST(udp_checksum_carried_through_or_checked)
{
	struct rte_mbuf *out[16];
	struct seen s;
	uint64_t bad = drop_of(HL_DROP_UDP_BAD_CSUM);

	/* Plain to plain: the checksum is updated, not recomputed, so damage done
	 * before us still shows at the far end (the payload is relayed as it came). */
	send_rtp(CUST, 4000, 20000, 0, 112, 0xabcdef01, 0x33, NULL);
	send_rtp_damaged(CUST, 4000, 20000, 0, 113, 0xabcdef01, 0x33, 0);
	unsigned int n = run(out, 16);
	HL_CHECK_MSG(n == 2, "relayed %u", n);
	HL_CHECK(parse_out(out[0], &s, NULL) == 0 && s.csum_ok);
	HL_CHECK(parse_out(out[1], &s, NULL) == 0);
	HL_CHECK_MSG(!s.csum_ok, "a damaged datagram left with a valid checksum");
	HL_CHECK(s.payload[159] == (0x33 ^ 0x10) && s.payload[0] == 0x33);
	free_all(out, n);

	/* No checksum in (IPv4): one is computed for what we send. */
	send_rtp_damaged(CUST, 4000, 20000, 0, 114, 0xabcdef01, 0x34, 1);
	n = run(out, 16);
	HL_CHECK(n == 1 && parse_out(out[0], &s, NULL) == 0 && s.csum_ok && s.payload[7] == 0x34);
	free_all(out, n);
	HL_CHECK(drop_of(HL_DROP_UDP_BAD_CSUM) == bad);

	/* A damaged telephone-event is consumed here: verified, dropped, not reported. */
	n_events = 0;
	send_rtp_damaged(CUST, 4000, 20000, 101, 115, 0xabcdef01, 0x07, 0);
	HL_CHECK(run(out, 16) == 0);
	HL_CHECK(n_events == 0);
	HL_CHECK(drop_of(HL_DROP_UDP_BAD_CSUM) == bad + 1);

	/* Plain RTCP is consumed too. */
	uint8_t rr[8] = {0x80, 201, 0, 1, 0xab, 0xcd, 0xef, 0x01}, f[128];
	size_t len = udp_frame(f, CUST, 4001, 20001, rr, sizeof(rr));
	f[len - 1] ^= 1;
	inject(f, len);
	HL_CHECK(run(out, 16) == 0);
	HL_CHECK(drop_of(HL_DROP_UDP_BAD_CSUM) == bad + 2);

	/* Plain to SRTP (call 2, agent to customer): encryption would hide the damage
	 * behind a valid tag, so the datagram is checked before it is protected. */
	send_rtp_damaged(AGENT, 5100, 20006, 0, 60, 0x88, 0x22, 0);
	HL_CHECK(run(out, 16) == 0);
	HL_CHECK(drop_of(HL_DROP_UDP_BAD_CSUM) == bad + 3);
}

/* RFC 4568 §6.1 through the worker: a customer leg whose crypto line had two keys told
 * apart by MKI takes packets under either, the sender switching back and forth on one
 * stream; an MKI that is neither key's is an authentication failure, counted, never
 * relayed. */
HL_TEST(srtp_two_keys_picked_by_mki)
{
	static const uint8_t zero[sizeof(struct hl_srtp_key)];
	static const uint8_t by[] = {0, 1, 0, 1, 1, 0, 0, 1}; /* the key of each packet */
	struct hl_media_leg a, b;
	struct hl_srtp_key k[2], kh, stray;
	struct hl_srtp_ctx c[2], cs;
	struct rte_mbuf *out[16];
	struct seen s;
	unsigned int n;

	/* Call 34: an SRTP customer (ports 20060/20062), AEAD_AES_128_GCM, 2-octet MKIs. */
	for (unsigned int i = 0; i < 2; i++) {
		HL_CHECK(hl_srtp_key_generate(&k[i], HL_SRTP_AEAD_AES_128_GCM) == 0);
		k[i].mki_len = 2;
		k[i].mki = 0x100 + i;
		HL_CHECK(hl_srtp_ctx_init(&c[i], &k[i], HL_SRTP_OUTBOUND, NULL) == 0);
	}
	stray = k[0];
	stray.mki = 0x1ff;
	HL_CHECK(hl_srtp_ctx_init(&cs, &stray, HL_SRTP_OUTBOUND, NULL) == 0);
	HL_CHECK(hl_srtp_key_generate(&kh, HL_SRTP_AES_CM_128_HMAC_SHA1_80) == 0);
	leg(&a, 34, 0, 20060, 20062, CUST, 4600, 0, -1);
	leg(&b, 34, 1, 20062, 20060, AGENT, 5600, 0, -1);
	a.srtp_rx = a.srtp_tx = 1;
	a.tx_key = kh;
	/* more keys than a session holds: refused, nothing built */
	a.rx_key = k[0];
	a.rx_nmore = HL_SRTP_MAX_KEYS;
	HL_CHECK(hl_media_set(eng, &a) == -EINVAL);
	a.rx_key = k[0];
	a.rx_more[0] = k[1];
	a.rx_nmore = 1;
	a.tx_key = kh;
	HL_CHECK(hl_media_set(eng, &a) == 0);
	HL_CHECK(memcmp(&a.rx_more[0], zero, sizeof(zero)) == 0); /* wiped */
	HL_CHECK(hl_media_set(eng, &b) == 0);
	drain();
	uint64_t auth = drop_of(HL_DROP_SRTP_AUTH);
	for (uint16_t i = 0; i < sizeof(by); i++)
		send_rtp(CUST, 4600, 20060, 0, (uint16_t)(600 + i), 0x77, (uint8_t)(0x40 + i),
			&c[by[i]]);
	n = run(out, 16);
	/* the first is on probation; the rest, under either key, in order */
	HL_CHECK_MSG(n == sizeof(by) - 1, "relayed %u", n);
	for (unsigned int i = 0; i < n; i++) {
		HL_CHECK(parse_out(out[i], &s, NULL) == 0);
		HL_CHECK(s.payload[0] == 0x41 + i && s.dport == 5600);
	}
	free_all(out, n);
	HL_CHECK(drop_of(HL_DROP_SRTP_AUTH) == auth);
	send_rtp(CUST, 4600, 20060, 0, 608, 0x77, 0x48, &cs);
	HL_CHECK(run(out, 16) == 0);
	HL_CHECK(drop_of(HL_DROP_SRTP_AUTH) == auth + 1);
	send_rtp(CUST, 4600, 20060, 0, 609, 0x77, 0x49, &c[1]);
	n = run(out, 16);
	HL_CHECK(n == 1 && parse_out(out[0], &s, NULL) == 0 && s.payload[0] == 0x49);
	free_all(out, n);
	HL_CHECK(hl_media_del(eng, 0, 20060) == 0);
	HL_CHECK(hl_media_del(eng, 0, 20062) == 0);
	drain();
	for (unsigned int i = 0; i < 2; i++) {
		hl_srtp_ctx_fini(&c[i]);
		hl_srtp_key_wipe(&k[i]);
	}
	hl_srtp_ctx_fini(&cs);
	hl_srtp_key_wipe(&stray);
	hl_srtp_key_wipe(&kh);
}

HL_TEST(srtp_rekey_accepts_old_key_during_grace_then_not)
{
	struct hl_media_leg a, b;
	struct hl_srtp_key k1, k2, kh;
	struct hl_srtp_ctx c1, c2;
	struct rte_mbuf *out[16];
	struct seen s;
	unsigned int n;

	/* Call 30: an SRTP customer (ports 20040/20042) that re-offers a new key. */
	HL_CHECK(hl_srtp_key_generate(&k1, HL_SRTP_AES_CM_128_HMAC_SHA1_80) == 0);
	HL_CHECK(hl_srtp_key_generate(&k2, HL_SRTP_AES_CM_128_HMAC_SHA1_80) == 0);
	HL_CHECK(hl_srtp_key_generate(&kh, HL_SRTP_AES_CM_128_HMAC_SHA1_80) == 0);
	HL_CHECK(hl_srtp_ctx_init(&c1, &k1, HL_SRTP_OUTBOUND, NULL) == 0);
	HL_CHECK(hl_srtp_ctx_init(&c2, &k2, HL_SRTP_OUTBOUND, NULL) == 0);
	leg(&a, 30, 0, 20040, 20042, CUST, 4500, 0, -1);
	leg(&b, 30, 1, 20042, 20040, AGENT, 5500, 0, -1);
	a.srtp_rx = a.srtp_tx = 1;
	a.rx_key = k1;
	a.tx_key = kh;
	HL_CHECK(hl_media_set(eng, &a) == 0);
	HL_CHECK(hl_media_set(eng, &b) == 0);
	drain();
	for (uint16_t i = 0; i < 3; i++)
		send_rtp(CUST, 4500, 20040, 0, (uint16_t)(500 + i), 0x99, 0x10, &c1);
	n = run(out, 16);
	HL_CHECK_MSG(n == 2, "relayed %u", n);
	free_all(out, n);

	/* The re-key: new inbound key k2, ours unchanged, same remote. */
	leg(&a, 30, 0, 20040, 20042, CUST, 4500, 0, -1);
	a.srtp_rx = a.srtp_tx = 1;
	a.rx_key = k2;
	a.tx_key = kh;
	HL_CHECK(hl_media_set(eng, &a) == 0);
	drain();
	uint64_t auth = drop_of(HL_DROP_SRTP_AUTH), lat = ctr(HL_CTR_RTP_LATCHED);
	/* Old-key packets still in flight, then the new key: all relayed, in order,
	 * with no new latch and one continuous stream towards the agent. */
	send_rtp(CUST, 4500, 20040, 0, 503, 0x99, 0x21, &c1);
	send_rtp(CUST, 4500, 20040, 0, 504, 0x99, 0x22, &c2);
	send_rtp(CUST, 4500, 20040, 0, 505, 0x99, 0x23, &c1); /* reordered, late */
	send_rtp(CUST, 4500, 20040, 0, 506, 0x99, 0x24, &c2);
	n = run(out, 16);
	HL_CHECK_MSG(n == 4, "relayed %u across the re-key", n);
	uint16_t prev = 0;
	for (unsigned int i = 0; i < n; i++) {
		HL_CHECK(parse_out(out[i], &s, NULL) == 0);
		HL_CHECK(s.payload[0] == 0x21 + i && s.csum_ok);
		if (i)
			HL_CHECK(s.seq == (uint16_t)(prev + 1));
		prev = s.seq;
	}
	free_all(out, n);
	HL_CHECK(drop_of(HL_DROP_SRTP_AUTH) == auth);
	HL_CHECK(ctr(HL_CTR_RTP_LATCHED) == lat);

	/* After the grace the old key is a forgery like any other. */
	usleep(2100 * 1000);
	send_rtp(CUST, 4500, 20040, 0, 507, 0x99, 0x25, &c1);
	send_rtp(CUST, 4500, 20040, 0, 508, 0x99, 0x26, &c2);
	n = run(out, 16);
	HL_CHECK(n == 1 && parse_out(out[0], &s, NULL) == 0 && s.payload[0] == 0x26);
	free_all(out, n);
	HL_CHECK(drop_of(HL_DROP_SRTP_AUTH) == auth + 1);

	/* A re-key of our key only (the customer's stays, srtp_rx_keep): the inbound
	 * session and its replay window stay, so a packet seen before is still a replay;
	 * the agent's media reaches the customer under our new key. */
	uint8_t pl[160], rtp[256], f[512];
	size_t len;
	int k;
	memset(pl, 0x27, sizeof(pl));
	len = rtp_pkt(rtp, 0, 0, 509, 509 * 160, 0x99, pl, sizeof(pl));
	k = hl_srtp_protect_rtp(&c2, rtp, len, sizeof(rtp));
	HL_CHECK(k > 0);
	len = udp_frame(f, CUST, 4500, 20040, rtp, (size_t)k);
	inject(f, len);
	n = run(out, 16);
	HL_CHECK(n == 1);
	free_all(out, n);
	struct hl_srtp_key kh2;
	struct hl_srtp_ctx c_in;
	HL_CHECK(hl_srtp_key_generate(&kh2, HL_SRTP_AES_CM_128_HMAC_SHA1_80) == 0);
	HL_CHECK(hl_srtp_ctx_init(&c_in, &kh2, HL_SRTP_INBOUND, NULL) == 0);
	leg(&a, 30, 0, 20040, 20042, CUST, 4500, 0, -1);
	a.srtp_rx = a.srtp_tx = 1;
	a.srtp_rx_keep = 1;
	a.tx_key = kh2;
	HL_CHECK(hl_media_set(eng, &a) == 0);
	drain();
	uint64_t rep = drop_of(HL_DROP_SRTP_REPLAY);
	inject(f, len);
	HL_CHECK(run(out, 16) == 0);
	HL_CHECK(drop_of(HL_DROP_SRTP_REPLAY) == rep + 1);
	for (uint16_t i = 0; i < 3; i++)
		send_rtp(AGENT, 5500, 20042, 0, (uint16_t)(700 + i), 0x98, (uint8_t)(0x50 + i), NULL);
	n = run(out, 16);
	HL_CHECK_MSG(n == 2, "agent to customer %u", n);
	for (unsigned int i = 0; i < n; i++) {
		HL_CHECK(parse_out(out[i], &s, &c_in) == 0);
		HL_CHECK(s.payload[0] == 0x51 + i && s.dport == 4500);
	}
	free_all(out, n);
	hl_srtp_ctx_fini(&c_in);
	hl_srtp_key_wipe(&kh2);

	n_finals = 0;
	HL_CHECK(hl_media_del(eng, 0, 20040) == 0);
	HL_CHECK(hl_media_del(eng, 0, 20042) == 0);
	drain();
	HL_CHECK(n_finals == 2);
	for (unsigned int i = 0; i < n_finals; i++)
		if (finals[i].side == 0)
			HL_CHECK_MSG(finals[i].srtp_auth_fail == 1, "auth_fail %llu",
				(unsigned long long)finals[i].srtp_auth_fail);
	hl_srtp_ctx_fini(&c1);
	hl_srtp_ctx_fini(&c2);
	hl_srtp_key_wipe(&k1);
	hl_srtp_key_wipe(&k2);
	hl_srtp_key_wipe(&kh);
}

/* The customer's leg of call 81 re-keyed to k (our key kh stays). */
static void
rekey_81(const struct hl_srtp_key *k, const struct hl_srtp_key *kh)
{
	struct hl_media_leg a;

	leg(&a, 81, 0, 20420, 20422, CUST, 4420, 0, -1);
	a.srtp_rx = a.srtp_tx = 1;
	a.rx_key = *k;
	a.tx_key = *kh;
	HL_CHECK(hl_media_set(eng, &a) == 0);
	drain();
}

/* Sends seq from..to of SSRC 0x81 under c and returns how many were relayed, in order
 * (their payloads the sequence's low octet). */
static unsigned int
send_81(uint16_t from, uint16_t to, struct hl_srtp_ctx *c)
{
	struct rte_mbuf *out[16];
	struct seen s;
	unsigned int n, ok = 0;

	for (uint16_t q = from; q != (uint16_t)(to + 1); q++)
		send_rtp(CUST, 4420, 20420, 0, q, 0x81, (uint8_t)q, c);
	n = run(out, 16);
	uint8_t first = 0;
	for (unsigned int i = 0; i < n; i++) {
		if (parse_out(out[i], &s, NULL) != 0)
			continue;
		if (i == 0)
			first = s.payload[0]; /* from, or after a probation drop */
		ok += s.payload[0] == (uint8_t)(first + i);
	}
	free_all(out, n);
	return ok;
}

/*
 * RFC 3711 §3.3.1: a new master key does not reset the ROC, so a remote past a
 * sequence wrap sends its new key's packets at its ROC; many senders start a new key's
 * stream afresh at ROC 0 instead. Both are taken across a re-key, and neither is a
 * failure in the call's figures.
 */
HL_TEST(srtp_rekey_after_wrap_roc_kept_or_restarted)
{
	struct hl_media_leg b;
	struct hl_srtp_key k1, k2, k3, kh;
	struct hl_srtp_ctx c1, c2, c3;
	struct hl_srtp_opts roc1 = {.ssrc = 0x81, .ssrc_specific = 1, .roc = 1};
	uint64_t auth = drop_of(HL_DROP_SRTP_AUTH);

	HL_CHECK(hl_srtp_key_generate(&k1, HL_SRTP_AES_CM_128_HMAC_SHA1_80) == 0);
	HL_CHECK(hl_srtp_key_generate(&k2, HL_SRTP_AES_CM_128_HMAC_SHA1_80) == 0);
	HL_CHECK(hl_srtp_key_generate(&k3, HL_SRTP_AES_CM_128_HMAC_SHA1_80) == 0);
	HL_CHECK(hl_srtp_key_generate(&kh, HL_SRTP_AES_CM_128_HMAC_SHA1_80) == 0);
	HL_CHECK(hl_srtp_ctx_init(&c1, &k1, HL_SRTP_OUTBOUND, NULL) == 0);
	/* the remote keeps its ROC (1) under k2; restarts at 0 under k3 */
	HL_CHECK(hl_srtp_ctx_init(&c2, &k2, HL_SRTP_OUTBOUND, &roc1) == 0);
	HL_CHECK(hl_srtp_ctx_init(&c3, &k3, HL_SRTP_OUTBOUND, NULL) == 0);
	rekey_81(&k1, &kh);
	leg(&b, 81, 1, 20422, 20420, AGENT, 5420, 0, -1);
	HL_CHECK(hl_media_set(eng, &b) == 0);
	drain();
	/* 65533 is the new source's probation; the stream wraps to ROC 1 */
	HL_CHECK_INT(send_81(65533, 65533, &c1), 0);
	HL_CHECK_INT(send_81(65534, 2, &c1), 5);

	rekey_81(&k2, &kh);
	HL_CHECK_INT(send_81(3, 3, &c1), 1); /* the old key's, in flight */
	HL_CHECK_INT(send_81(4, 8, &c2), 5); /* the new key at ROC 1 */
	HL_CHECK(drop_of(HL_DROP_SRTP_AUTH) == auth);
	/* the session kept takes another SSRC of the remote's too (its probation first) */
	struct hl_srtp_ctx c2b;
	struct rte_mbuf *out[16];
	HL_CHECK(hl_srtp_ctx_init(&c2b, &k2, HL_SRTP_OUTBOUND, NULL) == 0);
	send_rtp(CUST, 4420, 20420, 0, 100, 0x82, 0x64, &c2b);
	send_rtp(CUST, 4420, 20420, 0, 101, 0x82, 0x65, &c2b);
	unsigned int n = run(out, 16);
	HL_CHECK_INT(n, 1);
	free_all(out, n);
	HL_CHECK(drop_of(HL_DROP_SRTP_AUTH) == auth);
	hl_srtp_ctx_fini(&c2b);

	rekey_81(&k3, &kh);
	HL_CHECK_INT(send_81(9, 12, &c3), 3); /* the next key from ROC 0 (9: probation) */
	HL_CHECK(drop_of(HL_DROP_SRTP_AUTH) == auth);
	/* a forgery is still one: k1 is two keys ago */
	HL_CHECK_INT(send_81(13, 13, &c1), 0);
	HL_CHECK(drop_of(HL_DROP_SRTP_AUTH) == auth + 1);

	n_finals = 0;
	HL_CHECK(hl_media_del(eng, 0, 20420) == 0);
	HL_CHECK(hl_media_del(eng, 0, 20422) == 0);
	drain();
	HL_CHECK_INT(n_finals, 2);
	for (unsigned int i = 0; i < n_finals; i++)
		if (finals[i].side == 0) {
			HL_CHECK_INT(finals[i].rx_packets, 15);
			HL_CHECK_INT(finals[i].srtp_auth_fail, 1);
		}
	hl_srtp_ctx_fini(&c1);
	hl_srtp_ctx_fini(&c2);
	hl_srtp_ctx_fini(&c3);
}

HL_TEST(one_way_link_to_a_deleted_leg_is_no_link)
{
	struct hl_media_leg x, y, z, v;
	struct rte_mbuf *out[16];
	unsigned int n;

	/* Y <-> Z bridged (call 31); X (call 32) names Y, one way. */
	leg(&y, 31, 0, 20050, 20052, CUST, 4600, 0, -1);
	leg(&z, 31, 1, 20052, 20050, AGENT, 5600, 0, -1);
	leg(&x, 32, 0, 20054, 20050, CUST, 4602, 0, -1);
	HL_CHECK(hl_media_set(eng, &y) == 0);
	HL_CHECK(hl_media_set(eng, &z) == 0);
	HL_CHECK(hl_media_set(eng, &x) == 0);
	drain();
	for (uint16_t i = 0; i < 3; i++)
		send_rtp(CUST, 4602, 20054, 0, (uint16_t)(900 + i), 0x31, 0x40, NULL);
	n = run(out, 16);
	HL_CHECK_MSG(n == 2, "x via y: %u", n); /* out of Y's port to Y's remote */
	free_all(out, n);

	/* Y goes; X's link to it must not outlive it, nor follow its slot to V. */
	HL_CHECK(hl_media_del(eng, 0, 20050) == 0);
	drain();
	uint64_t nb = drop_of(HL_DROP_RTP_NOT_BRIDGED);
	send_rtp(CUST, 4602, 20054, 0, 903, 0x31, 0x41, NULL);
	HL_CHECK(run(out, 16) == 0);
	HL_CHECK(drop_of(HL_DROP_RTP_NOT_BRIDGED) == nb + 1);
	leg(&v, 33, 0, 20056, 0, CUST, 4604, 0, -1);
	HL_CHECK(hl_media_set(eng, &v) == 0);
	drain();
	send_rtp(CUST, 4602, 20054, 0, 904, 0x31, 0x42, NULL);
	HL_CHECK(run(out, 16) == 0);
	HL_CHECK(drop_of(HL_DROP_RTP_NOT_BRIDGED) == nb + 2);

	n_finals = 0;
	HL_CHECK(hl_media_del(eng, 0, 20052) == 0);
	HL_CHECK(hl_media_del(eng, 0, 20054) == 0);
	HL_CHECK(hl_media_del(eng, 0, 20056) == 0);
	drain();
	HL_CHECK(n_finals == 3);
}

HL_TEST(rtcp_terminated_and_our_reports_sent)
{
	struct rte_mbuf *out[16];
	uint8_t rr[8] = {0x80, 201, 0, 1, 0xab, 0xcd, 0xef, 0x01}, f[128];
	uint64_t in = ctr(HL_CTR_RTCP_IN);

	inject(f, udp_frame(f, CUST, 4001, 20001, rr, sizeof(rr)));
	unsigned int n = run(out, 16);
	HL_CHECK(n == 0);
	HL_CHECK(ctr(HL_CTR_RTCP_IN) == in + 1);
	free_all(out, n);
	/* Our reports leave every 2.5-7.5 s from the tick (not waited for here). */
}

HL_TEST(media_timeout_event_then_final_stats)
{
	struct hl_media_leg a;
	struct rte_mbuf *out[64];
	unsigned int n;

	leg(&a, 3, 0, 20008, 0, CUST, 4200, 0, -1);
	a.timeout_ms = 60;
	HL_CHECK(hl_media_set(eng, &a) == 0);
	drain();
	n_events = 0;
	for (int i = 0; i < 40 && n_events == 0; i++) {
		usleep(10000);
		n = run(out, 64);
		free_all(out, n);
	}
	HL_CHECK_MSG(n_events == 1, "events %u", n_events);
	HL_CHECK(events[0].type == HL_MEDIA_EV_TIMEOUT && events[0].call == 3);
	HL_CHECK(ctr(HL_CTR_MEDIA_TIMEOUTS) >= 1);

	/* Ending legs returns their figures: call 1's A leg got 4 + 6 valid packets. */
	n_finals = 0;
	HL_CHECK(hl_media_del(eng, 0, 20008) == 0);
	HL_CHECK(hl_media_del(eng, 0, 20000) == 0);
	HL_CHECK(hl_media_del(eng, 0, 20002) == 0);
	HL_CHECK(hl_media_del(eng, 0, 20004) == 0);
	HL_CHECK(hl_media_del(eng, 0, 20006) == 0);
	HL_CHECK(hl_media_del(eng, 0, 20010) == 0); /* no such leg: returned, no figures */
	drain();
	HL_CHECK(hl_media_pending(eng) == 0);
	HL_CHECK(hl_media_legs(eng) == 0);
	HL_CHECK_MSG(n_finals == 5, "finals %u", n_finals);
	for (unsigned int i = 0; i < n_finals; i++) {
		if (finals[i].call == 1 && finals[i].side == 0) {
			HL_CHECK(finals[i].latched);
			HL_CHECK_MSG(finals[i].rx_packets >= 8, "rx %llu",
				(unsigned long long)finals[i].rx_packets);
			HL_CHECK(finals[i].wrong_source == 2);
			HL_CHECK(finals[i].mos > 4.0);
			HL_CHECK(finals[i].dtmf == 1);
		}
		if (finals[i].call == 2 && finals[i].side == 1)
			HL_CHECK(finals[i].tx_packets == 3);
	}
	/* Nothing left for the port: a late packet is an orphan. */
	uint64_t nl = drop_of(HL_DROP_RTP_NO_LEG);
	send_rtp(CUST, 4000, 20000, 0, 200, 0xabcdef01, 0, NULL);
	HL_CHECK(run(out, 16) == 0);
	HL_CHECK(drop_of(HL_DROP_RTP_NO_LEG) == nl + 1);
}

/*
 * The flow table covers the worker's whole slice (here all of 20000-20999): legs on its
 * first and last even port relay, their RTCP port reaches them, a port of the range
 * with no leg and a deleted leg's port are rtp_no_leg, and a slot is reused.
 */
HL_TEST(flow_table_edges_of_the_slice)
{
	struct hl_media_leg a, b;
	struct rte_mbuf *out[16];
	struct seen s;

	teach_arp(CUST);
	teach_arp(AGENT);
	drain();
	leg(&a, 7, 0, 20000, 20998, CUST, 4100, 0, -1);
	leg(&b, 7, 1, 20998, 20000, AGENT, 5100, 0, -1);
	HL_CHECK(hl_media_set(eng, &a) == 0 && hl_media_set(eng, &b) == 0);
	drain();
	for (uint16_t i = 0; i < 3; i++)
		send_rtp(CUST, 4100, 20000, 0, (uint16_t)(7 + i), 0x7a7a0001, 0x11, NULL);
	for (uint16_t i = 0; i < 3; i++)
		send_rtp(AGENT, 5100, 20998, 0, (uint16_t)(70 + i), 0x7a7a0002, 0x22, NULL);
	unsigned int n = run(out, 16);
	HL_CHECK_MSG(n == 4, "relayed %u", n);
	unsigned int to_agent = 0, to_cust = 0;
	for (unsigned int i = 0; i < n; i++) {
		HL_CHECK(parse_out(out[i], &s, NULL) == 0);
		if (strcmp(s.dst, AGENT) == 0 && s.sport == 20998 && s.dport == 5100)
			to_agent++;
		if (strcmp(s.dst, CUST) == 0 && s.sport == 20000 && s.dport == 4100)
			to_cust++;
	}
	HL_CHECK(to_agent == 2 && to_cust == 2);
	free_all(out, n);

	/* RTCP on the last port of the range belongs to the leg on 20998. */
	uint8_t rr[8] = {0x80, 201, 0, 1, 0x7a, 0x7a, 0, 2}, f[128];
	uint64_t rtcp = ctr(HL_CTR_RTCP_IN), none = drop_of(HL_DROP_RTP_NO_LEG);
	inject(f, udp_frame(f, AGENT, 5101, 20999, rr, sizeof(rr)));
	free_all(out, run(out, 16));
	HL_CHECK_INT(ctr(HL_CTR_RTCP_IN), rtcp + 1);
	HL_CHECK_INT(drop_of(HL_DROP_RTP_NO_LEG), none);

	/* A port of the range without a leg. */
	send_rtp(CUST, 4100, 20500, 0, 1, 0x7a7a0003, 0, NULL);
	free_all(out, run(out, 16));
	HL_CHECK_INT(drop_of(HL_DROP_RTP_NO_LEG), none + 1);

	/* Deleted: its port is no leg's; set again, the slot works as new. */
	HL_CHECK(hl_media_del(eng, 0, 20998) == 0);
	drain();
	send_rtp(AGENT, 5100, 20998, 0, 73, 0x7a7a0002, 0x22, NULL);
	free_all(out, run(out, 16));
	HL_CHECK_INT(drop_of(HL_DROP_RTP_NO_LEG), none + 2);
	HL_CHECK(hl_media_set(eng, &b) == 0);
	drain();
	for (uint16_t i = 0; i < 3; i++)
		send_rtp(AGENT, 5100, 20998, 0, (uint16_t)(80 + i), 0x7a7a0004, 0x33, NULL);
	n = run(out, 16);
	HL_CHECK_MSG(n == 2, "relayed %u after the leg was set again", n);
	free_all(out, n);
	HL_CHECK(hl_media_del(eng, 0, 20000) == 0 && hl_media_del(eng, 0, 20998) == 0);
	drain();
	HL_CHECK(hl_media_legs(eng) == 0);
}

HL_TEST(bad_commands_refused)
{
	struct hl_media_leg a;

	leg(&a, 9, 0, 20001, 0, CUST, 4000, 0, -1); /* odd port */
	HL_CHECK(hl_media_set(eng, &a) == -EINVAL);
	leg(&a, 9, 0, 30000, 0, CUST, 4000, 0, -1); /* outside [rtp] ports */
	HL_CHECK(hl_media_set(eng, &a) == -EINVAL);
	leg(&a, 9, 0, 20010, 0, CUST, 4000, 0, -1);
	a.port_index = 3;
	HL_CHECK(hl_media_set(eng, &a) == -EINVAL);
	/* A malformed RTP packet for a live leg is a counted drop. */
	leg(&a, 9, 0, 20010, 0, CUST, 4300, 0, -1);
	HL_CHECK(hl_media_set(eng, &a) == 0);
	drain();
	uint8_t junk[10] = {0x80, 0, 1, 2, 3, 4, 5, 6, 7, 8}, f[128];
	uint64_t mal = drop_of(HL_DROP_RTP_MALFORMED);
	inject(f, udp_frame(f, CUST, 4300, 20010, junk, sizeof(junk)));
	drain();
	HL_CHECK(drop_of(HL_DROP_RTP_MALFORMED) == mal + 1);
	HL_CHECK(hl_media_del(eng, 0, 20010) == 0);
	drain();

	/* A full command ring refuses with -ENOBUFS and leaves the leg, keys too, for a
	 * retry; the worker did not run meanwhile. */
	unsigned int queued = 0;
	while (hl_media_del(eng, 0, 20012) == 0)
		queued++;
	HL_CHECK(queued > 0);
	leg(&a, 9, 0, 20012, 0, CUST, 4400, 0, -1);
	a.srtp_rx = 1;
	HL_CHECK(hl_srtp_key_generate(&a.rx_key, HL_SRTP_AES_CM_128_HMAC_SHA1_80) == 0);
	uint8_t k0 = a.rx_key.key[0], k1 = a.rx_key.key[1];
	HL_CHECK(hl_media_set(eng, &a) == -ENOBUFS);
	HL_CHECK(a.rx_key.key[0] == k0 && a.rx_key.key[1] == k1 &&
		 a.rx_key.suite == HL_SRTP_AES_CM_128_HMAC_SHA1_80);
	for (int i = 0; i < 1000 && hl_media_pending(eng) != 0; i++)
		drain();
	HL_CHECK(hl_media_pending(eng) == 0);
	HL_CHECK(hl_media_set(eng, &a) == 0);
	HL_CHECK(a.rx_key.key[0] == 0 && a.rx_key.key[1] == 0);
	drain();
	HL_CHECK(hl_media_legs(eng) == 1);
	HL_CHECK(hl_media_del(eng, 0, 20012) == 0);
	drain();
	HL_CHECK(hl_media_legs(eng) == 0 && hl_media_pending(eng) == 0);

	/* Keeping SRTP sessions of a leg the worker does not have (its first set refused,
	 * the refusal not yet seen by control): refused as well, never a plain leg. */
	const char *what[3] = {"srtp_keep", "srtp_rx_keep", "srtp_tx_keep"};
	for (int k = 0; k < 3; k++) {
		leg(&a, 9, 0, 20012, 0, CUST, 4400, 0, -1);
		a.srtp_rx = a.srtp_tx = 1;
		HL_CHECK(hl_srtp_key_generate(&a.rx_key, HL_SRTP_AES_CM_128_HMAC_SHA1_80) == 0);
		HL_CHECK(hl_srtp_key_generate(&a.tx_key, HL_SRTP_AES_CM_128_HMAC_SHA1_80) == 0);
		a.srtp_keep = k == 0;
		a.srtp_rx_keep = k == 1;
		a.srtp_tx_keep = k == 2;
		n_events = 0;
		HL_CHECK(hl_media_set(eng, &a) == 0);
		drain();
		HL_CHECK_MSG(hl_media_legs(eng) == 0, "%s: a leg without the sessions", what[k]);
		HL_CHECK_MSG(n_events == 1 && events[0].type == HL_MEDIA_EV_REFUSED &&
				     events[0].local_port == 20012,
			"%s: events %u", what[k], n_events);
		HL_CHECK(hl_media_pending(eng) == 0);
	}
	/* A plain leg told to keep its inbound SRTP session it never had: refused too. */
	leg(&a, 9, 0, 20012, 0, CUST, 4400, 0, -1);
	HL_CHECK(hl_media_set(eng, &a) == 0);
	drain();
	HL_CHECK(hl_media_legs(eng) == 1);
	leg(&a, 9, 0, 20012, 0, CUST, 4400, 0, -1);
	a.srtp_rx = 1;
	a.srtp_rx_keep = 1;
	n_events = 0;
	HL_CHECK(hl_media_set(eng, &a) == 0);
	drain();
	HL_CHECK(n_events == 1 && events[0].type == HL_MEDIA_EV_REFUSED);
	HL_CHECK(hl_media_del(eng, 0, 20012) == 0);
	drain();
	HL_CHECK(hl_media_legs(eng) == 0 && hl_media_pending(eng) == 0);
}

/* ---- IPv6: calls 20-22 on ports 20020-20031, each ended again by its case ---- */

#define CUST6 "fd00::12"
#define AGENT6 "fd00::13"
#define CUST4 "10.0.0.4"
#define AGENT6X "fd00::14"
#define CUST6S "fd00::15"
#define AGENT6S "fd00::16"

/* The verifiers can say no: a relayed frame with one payload octet, one octet of either
 * address (pseudo-header) or its checksum zeroed does not pass. */
static void
check_verifier_rejects(struct rte_mbuf *m)
{
	uint8_t buf[1600], f[1600];
	uint32_t len = rte_pktmbuf_pkt_len(m);
	const uint8_t *p = len <= sizeof(buf) ? rte_pktmbuf_read(m, 0, len, buf) : NULL;

	HL_CHECK(p != NULL && len > 62);
	if (p == NULL || len <= 62)
		return;
	memcpy(f, p, len);
	int v6 = f[12] == 0x86;
	int (*valid)(const uint8_t *, size_t) = v6 ? udp6_valid : udp4_valid;
	size_t src = v6 ? 8 : 12, dst = v6 ? 24 : 16, ck = v6 ? 46 : 26;
	const size_t at[3] = {len - 15, src + 3, dst + (v6 ? 15 : 3)};

	HL_CHECK(valid(f + 14, len - 14));
	for (int i = 0; i < 3; i++) {
		f[14 + at[i]] ^= 0x01;
		HL_CHECK_MSG(!valid(f + 14, len - 14), "IPv%d: octet %zu not covered", v6 ? 6 : 4,
			at[i]);
		f[14 + at[i]] ^= 0x01;
	}
	put16(f + 14 + ck, 0);
	HL_CHECK(!valid(f + 14, len - 14));
}

/* Deletes a call's two legs: their figures come back and the table is as it was. */
static void
end_call(uint32_t call, uint16_t pa, uint16_t pb, uint64_t legs0, uint64_t tx_a, uint64_t tx_b)
{
	n_finals = 0;
	HL_CHECK(hl_media_del(eng, 0, pa) == 0);
	HL_CHECK(hl_media_del(eng, 0, pb) == 0);
	drain();
	HL_CHECK(hl_media_pending(eng) == 0);
	HL_CHECK_INT(hl_media_legs(eng), legs0);
	HL_CHECK_INT(n_finals, 2);
	for (unsigned int i = 0; i < n_finals; i++) {
		HL_CHECK(finals[i].call == call && finals[i].latched);
		HL_CHECK_INT(finals[i].tx_packets, finals[i].side == 0 ? tx_a : tx_b);
	}
}

HL_TEST(ipv6_neighbour_learnt_from_solicitation)
{
	uint64_t bad = drop_of(HL_DROP_ICMP6_BAD_CSUM), na = ctr(HL_CTR_ND_NA_OUT);
	uint64_t learnt = ctr(HL_CTR_NEIGH_LEARNED);

	/* teach_nd()'s checksum is the one the engine checks: one off, no answer. */
	nd_solicit(CUST6, 1);
	drain();
	HL_CHECK(drop_of(HL_DROP_ICMP6_BAD_CSUM) == bad + 1);
	HL_CHECK(ctr(HL_CTR_ND_NA_OUT) == na);
	HL_CHECK(ctr(HL_CTR_NEIGH_LEARNED) == learnt);
	teach_nd(CUST6);
	HL_CHECK(ctr(HL_CTR_NEIGH_LEARNED) == learnt + 1);
	teach_nd(CUST6); /* known, same address: left as it was, not created again */
	HL_CHECK(ctr(HL_CTR_NEIGH_LEARNED) == learnt + 1);
}

HL_TEST(ipv6_relay_rewrites_headers_carries_checksum)
{
	struct hl_media_leg a, b;
	struct rte_mbuf *out[16];
	struct seen s;
	uint64_t legs0 = hl_media_legs(eng);
	uint16_t prev = 0, prev_a = 0;
	unsigned int n;

	teach_nd(CUST6);
	teach_nd(AGENT6);
	leg6(&a, 20, 0, 20020, 20022, CUST6, 6000, 0, 101);
	leg6(&b, 20, 1, 20022, 20020, AGENT6, 7000, 0, 100);
	HL_CHECK(hl_media_set(eng, &a) == 0);
	HL_CHECK(hl_media_set(eng, &b) == 0);
	drain();
	HL_CHECK(hl_media_pending(eng) == 0);
	HL_CHECK_INT(hl_media_legs(eng), legs0 + 2);

	uint64_t queued = ctr(HL_CTR_NEIGH_QUEUED), ns = ctr(HL_CTR_ND_NS_OUT);
	for (uint16_t i = 0; i < 5; i++)
		send_rtp6(CUST6, 6000, 20020, 0, (uint16_t)(300 + i), 0x6001, (uint8_t)(0x50 + i),
			NULL, SEND_INTACT);
	n = run(out, 16);
	HL_CHECK_MSG(n == 4, "relayed %u", n); /* the first on probation */
	for (unsigned int i = 0; i < n; i++) {
		HL_CHECK(parse_out(out[i], &s, NULL) == 0);
		check_headers(&s, 6, AGENT6, 20022, 7000, i);
		HL_CHECK(s.ssrc == b.ssrc && s.pt == 0 && s.plen == 160);
		HL_CHECK_MSG(
			all_are(s.payload, s.plen, (uint8_t)(0x51 + i)), "frame %u: payload", i);
		if (i)
			HL_CHECK(s.seq == (uint16_t)(prev + 1));
		prev = s.seq;
	}
	if (n > 0)
		check_verifier_rejects(out[0]);
	free_all(out, n);

	for (uint16_t i = 0; i < 3; i++)
		send_rtp6(AGENT6, 7000, 20022, 0, (uint16_t)(40 + i), 0x7001, (uint8_t)(0x70 + i),
			NULL, SEND_INTACT);
	n = run(out, 16);
	HL_CHECK_MSG(n == 2, "relayed back %u", n);
	for (unsigned int i = 0; i < n; i++) {
		HL_CHECK(parse_out(out[i], &s, NULL) == 0);
		check_headers(&s, 6, CUST6, 20020, 6000, i);
		HL_CHECK(s.ssrc == a.ssrc && s.pt == 0 && s.plen == 160);
		HL_CHECK_MSG(
			all_are(s.payload, s.plen, (uint8_t)(0x71 + i)), "frame %u: payload", i);
		if (i)
			HL_CHECK(s.seq == (uint16_t)(prev_a + 1));
		prev_a = s.seq;
	}
	free_all(out, n);
	/* Resolved beforehand: nothing waited behind a solicitation. */
	HL_CHECK(ctr(HL_CTR_NEIGH_QUEUED) == queued && ctr(HL_CTR_ND_NS_OUT) == ns);

	/* Damage done before us still shows at the far end. */
	send_rtp6(CUST6, 6000, 20020, 0, 305, 0x6001, 0x33, NULL, SEND_INTACT);
	send_rtp6(CUST6, 6000, 20020, 0, 306, 0x6001, 0x33, NULL, SEND_FLIPPED);
	n = run(out, 16);
	HL_CHECK_MSG(n == 2, "relayed %u", n);
	if (n == 2) {
		HL_CHECK(parse_out(out[0], &s, NULL) == 0 && s.udp_ok);
		HL_CHECK(s.seq == (uint16_t)(prev + 1));
		HL_CHECK(parse_out(out[1], &s, NULL) == 0 && s.seq == (uint16_t)(prev + 2));
		HL_CHECK_MSG(!s.udp_ok, "a damaged datagram left with a valid checksum");
		HL_CHECK(s.udp_csum != 0);
		HL_CHECK(s.payload[159] == (0x33 ^ 0x10) && s.payload[0] == 0x33);
	}
	free_all(out, n);

	/* RFC 8200 §8.1: over IPv6 a datagram without a checksum is dropped. */
	uint64_t bad = drop_of(HL_DROP_UDP_BAD_CSUM);
	send_rtp6(CUST6, 6000, 20020, 0, 307, 0x6001, 0x34, NULL, SEND_NO_CSUM);
	HL_CHECK(run(out, 16) == 0);
	HL_CHECK(drop_of(HL_DROP_UDP_BAD_CSUM) == bad + 1);
	/* A telephone-event is consumed, so it is verified, over the IPv6 pseudo-header. */
	n_events = 0;
	send_rtp6(CUST6, 6000, 20020, 101, 308, 0x6001, 0x07, NULL, SEND_FLIPPED);
	HL_CHECK(run(out, 16) == 0);
	HL_CHECK(n_events == 0 && drop_of(HL_DROP_UDP_BAD_CSUM) == bad + 2);
	/* IPv4 for the IPv6 leg's port is nobody the leg knows. */
	uint64_t ws = drop_of(HL_DROP_RTP_WRONG_SOURCE);
	send_rtp(CUST, 6000, 20020, 0, 309, 0x6001, 0, NULL);
	HL_CHECK(run(out, 16) == 0);
	HL_CHECK(drop_of(HL_DROP_RTP_WRONG_SOURCE) == ws + 1);

	end_call(20, 20020, 20022, legs0, 2, 6);
	/* ... and the leg's own figure counts it, as any other wrong source. */
	for (unsigned int i = 0; i < n_finals; i++)
		HL_CHECK_INT(finals[i].wrong_source, finals[i].side == 0 ? 1 : 0);
}

/*
 * The last payload word that makes the relayed frame after prev (IPv6, same source,
 * next sequence) carry a checksum that sums to zero, which must leave as 0xffff
 * (RFC 768; zero over IPv6 is forbidden, RFC 8200 §8.1). The rewriter adds constant
 * offsets, so that frame is prev with sequence + 1, timestamp + 160, the new payload.
 */
static uint16_t
word_for_zero_csum(struct rte_mbuf *prev, uint8_t fill)
{
	uint8_t buf[1600], f[1600];
	uint32_t len = rte_pktmbuf_pkt_len(prev);
	const uint8_t *p = len <= sizeof(buf) ? rte_pktmbuf_read(prev, 0, len, buf) : NULL;

	if (p == NULL || len != 54 + 8 + 12 + 160)
		return 0;
	memcpy(f, p, len);
	uint8_t *ip6 = f + 14, *u = ip6 + 40, *rtp = u + 8;
	uint32_t ts =
		(uint32_t)rtp[4] << 24 | (uint32_t)rtp[5] << 16 | (uint32_t)rtp[6] << 8 | rtp[7];

	put16(rtp + 2, (uint16_t)(get16(rtp + 2) + 1));
	ts += 160;
	for (int i = 0; i < 4; i++)
		rtp[4 + i] = (uint8_t)(ts >> (24 - 8 * i));
	memset(rtp + 12, fill, 160);
	put16(rtp + 12 + 158, 0);
	put16(u + 6, 0);
	return (uint16_t)(0xffff - fold16(sum_be16(u, 180, pseudo6(ip6, 180, IPPROTO_UDP))));
}

HL_TEST(ipv4_ipv6_bridge_checksum_valid_across_families)
{
	struct hl_media_leg a, b;
	struct rte_mbuf *out[16];
	struct seen s;
	uint64_t legs0 = hl_media_legs(eng);
	uint16_t prev = 0, prev_a = 0, zw = 0;
	unsigned int n;

	teach_arp(CUST4);
	teach_nd(AGENT6X);
	drain();
	leg(&a, 21, 0, 20024, 20026, CUST4, 6100, 0, -1);
	leg6(&b, 21, 1, 20026, 20024, AGENT6X, 7100, 0, -1);
	HL_CHECK(hl_media_set(eng, &a) == 0);
	HL_CHECK(hl_media_set(eng, &b) == 0);
	drain();
	HL_CHECK_INT(hl_media_legs(eng), legs0 + 2);

	/* IPv4 in, IPv6 out: the carried sum leaves RFC 768's pseudo-header for RFC 8200's. */
	for (uint16_t i = 0; i < 5; i++)
		send_rtp(CUST4, 6100, 20024, 0, (uint16_t)(500 + i), 0x4001, (uint8_t)(0x80 + i),
			NULL);
	n = run(out, 16);
	HL_CHECK_MSG(n == 4, "v4->v6 relayed %u", n);
	for (unsigned int i = 0; i < n; i++) {
		HL_CHECK(parse_out(out[i], &s, NULL) == 0);
		check_headers(&s, 6, AGENT6X, 20026, 7100, i);
		HL_CHECK(s.ssrc == b.ssrc && s.plen == 160);
		HL_CHECK_MSG(
			all_are(s.payload, s.plen, (uint8_t)(0x81 + i)), "frame %u: payload", i);
		if (i)
			HL_CHECK(s.seq == (uint16_t)(prev + 1));
		prev = s.seq;
	}
	if (n > 0)
		zw = word_for_zero_csum(out[n - 1], 0x3a);
	free_all(out, n);

	/* A carried sum that comes out zero leaves as 0xffff. */
	{
		uint8_t pl[160], rtp[256], f[512];

		memset(pl, 0x3a, sizeof(pl));
		put16(pl + 158, zw);
		size_t k = rtp_pkt(rtp, 0, 0, 505, 505 * 160, 0x4001, pl, sizeof(pl));
		inject(f, udp_frame(f, CUST4, 6100, 20024, rtp, k));
		n = run(out, 16);
		HL_CHECK_MSG(n == 1, "relayed %u", n);
		HL_CHECK(n == 1 && parse_out(out[0], &s, NULL) == 0);
		check_headers(&s, 6, AGENT6X, 20026, 7100, 0);
		HL_CHECK(s.seq == (uint16_t)(prev + 1));
		HL_CHECK_MSG(s.udp_csum == 0xffff, "checksum 0x%04x, not the zero sum's 0xffff",
			s.udp_csum);
		prev = s.seq;
		free_all(out, n);
	}

	/* IPv6 in, IPv4 out. */
	for (uint16_t i = 0; i < 3; i++)
		send_rtp6(AGENT6X, 7100, 20026, 0, (uint16_t)(60 + i), 0x6002, (uint8_t)(0x90 + i),
			NULL, SEND_INTACT);
	n = run(out, 16);
	HL_CHECK_MSG(n == 2, "v6->v4 relayed %u", n);
	for (unsigned int i = 0; i < n; i++) {
		HL_CHECK(parse_out(out[i], &s, NULL) == 0);
		check_headers(&s, 4, CUST4, 20024, 6100, i);
		HL_CHECK(s.ssrc == a.ssrc && s.plen == 160);
		HL_CHECK_MSG(
			all_are(s.payload, s.plen, (uint8_t)(0x91 + i)), "frame %u: payload", i);
		if (i)
			HL_CHECK(s.seq == (uint16_t)(prev_a + 1));
		prev_a = s.seq;
	}
	if (n > 0)
		check_verifier_rejects(out[0]);
	free_all(out, n);

	/* No checksum is allowed over IPv4, not over IPv6: one is computed. */
	send_rtp_damaged(CUST4, 6100, 20024, 0, 506, 0x4001, 0x35, 1);
	n = run(out, 16);
	HL_CHECK_MSG(n == 1, "relayed %u", n);
	HL_CHECK(n == 1 && parse_out(out[0], &s, NULL) == 0);
	check_headers(&s, 6, AGENT6X, 20026, 7100, 0);
	HL_CHECK(s.udp_csum != 0 && all_are(s.payload, s.plen, 0x35));
	HL_CHECK(s.seq == (uint16_t)(prev + 1));
	free_all(out, n);

	/* Damage crosses the change of family, both ways. */
	send_rtp_damaged(CUST4, 6100, 20024, 0, 507, 0x4001, 0x36, 0);
	n = run(out, 16);
	HL_CHECK(n == 1 && parse_out(out[0], &s, NULL) == 0 && s.family == 6);
	HL_CHECK_MSG(!s.udp_ok, "v4->v6: a damaged datagram left with a valid checksum");
	HL_CHECK(s.payload[159] == (0x36 ^ 0x10) && s.payload[0] == 0x36);
	free_all(out, n);
	send_rtp6(AGENT6X, 7100, 20026, 0, 63, 0x6002, 0x37, NULL, SEND_FLIPPED);
	n = run(out, 16);
	HL_CHECK(n == 1 && parse_out(out[0], &s, NULL) == 0 && s.family == 4);
	HL_CHECK_MSG(!s.udp_ok && !s.csum_ok, "v6->v4: a damaged datagram left with a valid "
					      "checksum");
	HL_CHECK(s.payload[159] == (0x37 ^ 0x10) && s.payload[0] == 0x37);
	free_all(out, n);

	/* A sender's sum of zero arrives as 0xffff (RFC 768): carried, it still holds. */
	{
		uint8_t pl[160], rtp[256], f[512], *ip = f + 14, *u = ip + 20;
		uint8_t ph[4] = {0, IPPROTO_UDP, 0, 180};

		memset(pl, 0x3b, sizeof(pl));
		put16(pl + 158, 0);
		size_t k = rtp_pkt(rtp, 0, 0, 508, 508 * 160, 0x4001, pl, sizeof(pl));
		size_t len = udp_frame(f, CUST4, 6100, 20024, rtp, k);
		put16(u + 6, 0);
		uint32_t sum = sum_be16(u, 180, sum_be16(ph, 4, sum_be16(ip + 12, 8, 0)));
		put16(u + 178, (uint16_t)(0xffff - fold16(sum)));
		put16(u + 6, 0xffff);
		HL_CHECK(udp4_valid(ip, len - 14));
		inject(f, len);
		n = run(out, 16);
		HL_CHECK(n == 1 && parse_out(out[0], &s, NULL) == 0);
		check_headers(&s, 6, AGENT6X, 20026, 7100, 0);
		HL_CHECK(s.seq == (uint16_t)(prev + 3) && s.payload[0] == 0x3b);
		free_all(out, n);
	}

	end_call(21, 20024, 20026, legs0, 3, 8);
}

HL_TEST(srtp_on_ipv6_leg_checksum_computed)
{
	struct hl_media_leg a, b;
	struct hl_srtp_key kc, kh;
	struct hl_srtp_ctx c_out, c_in;
	struct rte_mbuf *out[16];
	struct seen s;
	uint64_t legs0 = hl_media_legs(eng);
	unsigned int n;

	/* Customer SRTP over IPv6, agent plain over IPv6 (call 22); keys as in
	 * srtp_bridged_both_ways_and_forgery_dropped. */
	teach_nd(CUST6S);
	teach_nd(AGENT6S);
	HL_CHECK(hl_srtp_key_generate(&kc, HL_SRTP_AES_CM_128_HMAC_SHA1_80) == 0);
	HL_CHECK(hl_srtp_key_generate(&kh, HL_SRTP_AES_CM_128_HMAC_SHA1_80) == 0);
	HL_CHECK(hl_srtp_ctx_init(&c_out, &kc, HL_SRTP_OUTBOUND, NULL) == 0);
	HL_CHECK(hl_srtp_ctx_init(&c_in, &kh, HL_SRTP_INBOUND, NULL) == 0);
	leg6(&a, 22, 0, 20028, 20030, CUST6S, 6200, 0, -1);
	leg6(&b, 22, 1, 20030, 20028, AGENT6S, 7200, 0, -1);
	a.srtp_rx = a.srtp_tx = 1;
	a.rx_key = kc;
	a.tx_key = kh;
	HL_CHECK(hl_media_set(eng, &a) == 0);
	HL_CHECK(hl_media_set(eng, &b) == 0);
	drain();
	HL_CHECK_INT(hl_media_legs(eng), legs0 + 2);

	/* SRTP in, plain out: the payload lost its tag, so the sum is computed afresh. */
	for (uint16_t i = 0; i < 4; i++)
		send_rtp6(CUST6S, 6200, 20028, 0, (uint16_t)(2000 + i), 0x99, (uint8_t)(0xa0 + i),
			&c_out, SEND_INTACT);
	n = run(out, 16);
	HL_CHECK_MSG(n == 3, "srtp->rtp relayed %u", n);
	for (unsigned int i = 0; i < n; i++) {
		HL_CHECK(parse_out(out[i], &s, NULL) == 0);
		check_headers(&s, 6, AGENT6S, 20030, 7200, i);
		HL_CHECK(s.ssrc == b.ssrc && s.plen == 160);
		HL_CHECK_MSG(
			all_are(s.payload, s.plen, (uint8_t)(0xa1 + i)), "frame %u: payload", i);
	}
	free_all(out, n);

	/* Plain in, SRTP out: checked over the IPv6 pseudo-header, protected, summed. */
	for (uint16_t i = 0; i < 4; i++)
		send_rtp6(AGENT6S, 7200, 20030, 0, (uint16_t)(80 + i), 0xaa, (uint8_t)(0xb0 + i),
			NULL, SEND_INTACT);
	n = run(out, 16);
	HL_CHECK_MSG(n == 3, "rtp->srtp relayed %u", n);
	for (unsigned int i = 0; i < n; i++) {
		HL_CHECK(parse_out(out[i], &s, &c_in) == 0);
		check_headers(&s, 6, CUST6S, 20028, 6200, i);
		HL_CHECK(s.ssrc == a.ssrc && s.plen == 160);
		HL_CHECK_MSG(
			all_are(s.payload, s.plen, (uint8_t)(0xb1 + i)), "frame %u: payload", i);
	}
	free_all(out, n);

	/* Encryption would hide damage behind a valid tag: dropped before it. */
	uint64_t bad = drop_of(HL_DROP_UDP_BAD_CSUM), af = drop_of(HL_DROP_SRTP_AUTH);
	send_rtp6(AGENT6S, 7200, 20030, 0, 84, 0xaa, 0x22, NULL, SEND_FLIPPED);
	HL_CHECK(run(out, 16) == 0);
	HL_CHECK(drop_of(HL_DROP_UDP_BAD_CSUM) == bad + 1);
	/* Damaged SRTP is the authentication's to catch. */
	send_rtp6(CUST6S, 6200, 20028, 0, 2004, 0x99, 0x23, &c_out, SEND_FLIPPED);
	HL_CHECK(run(out, 16) == 0);
	HL_CHECK(drop_of(HL_DROP_SRTP_AUTH) == af + 1);
	HL_CHECK(drop_of(HL_DROP_UDP_BAD_CSUM) == bad + 1);

	hl_srtp_ctx_fini(&c_out);
	hl_srtp_ctx_fini(&c_in);
	hl_srtp_key_wipe(&kc);
	hl_srtp_key_wipe(&kh);
	end_call(22, 20028, 20030, legs0, 3, 3);
}

/* ---- in-band DTMF ---- */

/*
 * G.711 audio (law PT 0 or 8) of digits as SpanDSP's generator makes them: lead_ms of
 * silence, each digit on_ms with off_ms after it, then tail_ms of silence, to the
 * sample. Returns the octets written.
 */
static size_t
tone_audio(uint8_t *out, size_t max, uint8_t pt, const char *digits, int on_ms, int off_ms,
	int lead_ms, int tail_ms)
{
	dtmf_tx_state_t *tx = dtmf_tx_init(NULL);
	int16_t lin[160];
	size_t n = (size_t)lead_ms * 8;

	HL_CHECK(tx != NULL && n <= max);
	memset(out, pt == 8 ? 0xd5 : 0xff, n); /* G.711 zero */
	dtmf_tx_set_timing(tx, on_ms, off_ms);
	HL_CHECK_INT(dtmf_tx_put(tx, digits, -1), 0);
	for (;;) {
		int k = dtmf_tx(tx, lin, 160);
		if (k <= 0)
			break;
		for (int i = 0; i < k && n < max; i++)
			out[n++] = pt == 8 ? linear_to_alaw(lin[i]) : linear_to_ulaw(lin[i]);
	}
	dtmf_tx_free(tx);
	for (int i = 0; i < tail_ms * 8 && n < max; i++)
		out[n++] = pt == 8 ? 0xd5 : 0xff;
	return n;
}

/* Something like speech: a voiced sound with three formants and a drifting pitch,
 * syllables of 200 ms with 50 ms pauses, and some noise. */
static size_t
speech_audio(uint8_t *out, size_t max, uint8_t pt, int ms)
{
	uint32_t r = 777;
	double ph = 0;
	size_t n = (size_t)ms * 8;

	HL_CHECK(n <= max);
	for (size_t i = 0; i < n; i++) {
		double f0 = 120 + 40 * sin(2 * M_PI * 1.3 * i / 8000.0), v = 0;
		ph += 2 * M_PI * f0 / 8000.0;
		for (int h = 1; h * f0 < 3400; h++) {
			double f = h * f0;
			v += (exp(-(f - 650) * (f - 650) / 80000.0) +
			      0.7 * exp(-(f - 1100) * (f - 1100) / 120000.0) +
			      0.4 * exp(-(f - 2400) * (f - 2400) / 180000.0)) * sin(h * ph) / h;
		}
		r = r * 1103515245u + 12345u;
		v = (i % 2000) < 1600 ? 7000 * v + (int)(r >> 20) % 400 - 200 : 0;
		out[i] = pt == 8 ? linear_to_alaw((int)v) : linear_to_ulaw((int)v);
	}
	return n;
}

/* An RTP stream from a remote to one of our ports. */
struct stream {
	const char *src;
	uint16_t sport, dport;
	uint8_t pt;
	uint16_t seq;
	uint32_t ts, ssrc;
};

/*
 * Sends n octets of audio on st in packets of size octets (the last may be shorter),
 * losing every lose_every-th packet on the way (0: none), the worker running every 32.
 * Relayed packets are checked to carry the audio unchanged (when a batch had no loss or
 * probation drop: then the k-th out is the k-th sent) and counted into the return value.
 */
static unsigned int
send_audio(struct stream *st, const uint8_t *audio, size_t n, size_t size, unsigned int lose_every)
{
	struct rte_mbuf *out[64];
	size_t offs[32];
	unsigned int relayed = 0, idx = 0, batch = 0;

	for (size_t off = 0; off < n || batch; ) {
		if (off < n && batch < 32) {
			uint8_t rtp[1600], f[1700];
			size_t c = n - off < size ? n - off : size;
			size_t k = rtp_pkt(rtp, st->pt, 0, st->seq++, st->ts, st->ssrc, audio + off, c);

			st->ts += (uint32_t)c;
			if (lose_every == 0 || ++idx % lose_every != 0) {
				inject(f, udp_frame(f, st->src, st->sport, st->dport, rtp, k));
				offs[batch++] = off;
			}
			off += c;
			continue;
		}
		unsigned int m = run(out, 64);
		for (unsigned int i = 0; i < m; i++) {
			struct seen sn;
			size_t o = offs[batch - m + i];
			size_t c = n - o < size ? n - o : size;
			HL_CHECK(parse_out(out[i], &sn, NULL) == 0);
			HL_CHECK(sn.plen == c && c <= sizeof(sn.payload) &&
				 memcmp(sn.payload, audio + o, c) == 0);
		}
		free_all(out, m);
		relayed += m;
		batch = 0;
	}
	return relayed;
}

/* The digits of the DTMF events since n_events was zeroed; each must be in-band, of
 * call and side. */
static const char *
inband_digits(uint32_t call, uint8_t side)
{
	static char got[HL_ARRAY_SIZE(events) + 1];
	unsigned int k = 0;

	for (unsigned int i = 0; i < n_events; i++) {
		HL_CHECK(events[i].type == HL_MEDIA_EV_DTMF);
		HL_CHECK(events[i].how == HL_DTMF_END_TONE);
		HL_CHECK(events[i].call == call && events[i].side == side);
		got[k++] = events[i].digit;
	}
	got[k] = '\0';
	return got;
}

static uint8_t tone_buf[8000 * 8], speech_buf[8000 * 4];

/*
 * A customer on PCMU without telephone-events keys in through the trunk's audio: one
 * event per key, in order, marked in-band, counted on the leg and the worker; the audio
 * reaches the agent unchanged. Then what must not give a key: silence, speech-like
 * audio, and tones in packets of another PT (comfort noise, PT 13). Loss (every fifth
 * packet gone), an SSRC change and PCMA in odd-sized packets still give each key once.
 */
HL_TEST(inband_dtmf_reported_once_audio_relayed)
{
	static const char digits[] = "159*#0";
	struct hl_media_leg a, b;
	struct stream st = {CUST, 4300, 20200, 0, 1000, 0, 0x1b1b1b1b};
	uint64_t ib0 = ctr(HL_CTR_DTMF_INBAND), te0 = ctr(HL_CTR_DTMF_4733);
	uint64_t legs0 = hl_media_legs(eng), ibl0 = hl_media_inband_legs(eng);
	size_t n;

	teach_arp(CUST);
	teach_arp(AGENT);
	drain();
	leg(&a, 40, 0, 20200, 20202, CUST, 4300, 0, -1);
	a.dtmf_inband = 1;
	leg(&b, 40, 1, 20202, 20200, AGENT, 5300, 0, 101);
	b.dtmf_inband = 1; /* ignored: the agent has telephone-events */
	HL_CHECK(hl_media_set(eng, &a) == 0);
	HL_CHECK(hl_media_set(eng, &b) == 0);
	drain();
	HL_CHECK_INT(hl_media_inband_legs(eng), ibl0 + 1);

	n_events = 0;
	n = tone_audio(tone_buf, sizeof(tone_buf), 0, digits, 100, 100, 200, 400);
	unsigned int sent = (unsigned int)((n + 159) / 160);
	unsigned int relayed = send_audio(&st, tone_buf, n, 160, 0);
	HL_CHECK_MSG(relayed == sent - 1, "relayed %u of %u", relayed, sent); /* probation */
	HL_CHECK_STR(inband_digits(40, 0), digits);
	HL_CHECK_INT(ctr(HL_CTR_DTMF_INBAND), ib0 + 6);
	HL_CHECK_INT(ctr(HL_CTR_DTMF_4733), te0);
	for (unsigned int i = 0; i < n_events; i++)
		HL_CHECK_MSG(events[i].duration_ms >= 60 && events[i].duration_ms <= 130, "%c %u ms",
			events[i].digit, events[i].duration_ms);

	/* Silence and speech-like audio: nothing. */
	n_events = 0;
	memset(tone_buf, 0xff, 8000);
	send_audio(&st, tone_buf, 8000, 160, 0);
	n = speech_audio(speech_buf, sizeof(speech_buf), 0, 3000);
	send_audio(&st, speech_buf, n, 160, 0);
	HL_CHECK_MSG(n_events == 0, "keys '%s' from speech", inband_digits(40, 0));

	/* Tones in comfort-noise packets (PT 13) are not audio of the leg: not fed. */
	n = tone_audio(tone_buf, sizeof(tone_buf), 0, "9", 200, 0, 0, 200);
	st.pt = 13;
	send_audio(&st, tone_buf, n, 160, 0);
	st.pt = 0;
	HL_CHECK_MSG(n_events == 0, "keys '%s' from PT 13", inband_digits(40, 0));

	/* Every fifth packet lost: what arrives is fed as it is, each key still once. */
	n = tone_audio(tone_buf, sizeof(tone_buf), 0, "2468", 120, 100, 100, 400);
	send_audio(&st, tone_buf, n, 160, 5);
	HL_CHECK_STR(inband_digits(40, 0), "2468");

	/* A new SSRC (a transfer upstream): its first packet is on probation, then on. */
	n_events = 0;
	st.ssrc = 0x2c2c2c2c;
	st.seq = 9000;
	n = tone_audio(tone_buf, sizeof(tone_buf), 0, "37", 100, 100, 100, 400);
	send_audio(&st, tone_buf, n, 160, 0);
	HL_CHECK_STR(inband_digits(40, 0), "37");

	/* The same leg re-set to PCMA keeps its detector; odd-sized packets. */
	n_events = 0;
	a.codec_pt = 8;
	b.codec_pt = 8;
	HL_CHECK(hl_media_set(eng, &a) == 0);
	HL_CHECK(hl_media_set(eng, &b) == 0);
	drain();
	HL_CHECK_INT(hl_media_inband_legs(eng), ibl0 + 1);
	st.pt = 8;
	n = tone_audio(tone_buf, sizeof(tone_buf), 8, "AD", 100, 100, 100, 400);
	send_audio(&st, tone_buf, n, 123, 0);
	HL_CHECK_STR(inband_digits(40, 0), "AD");

	/* The agent holds: not relayed, but the keys still count (as RFC 4733 ones do). */
	n_events = 0;
	b.recv_only = 1;
	HL_CHECK(hl_media_set(eng, &b) == 0);
	drain();
	uint64_t held = drop_of(HL_DROP_RTP_HELD);
	n = tone_audio(tone_buf, sizeof(tone_buf), 8, "6", 100, 0, 100, 400);
	HL_CHECK_INT(send_audio(&st, tone_buf, n, 160, 0), 0);
	HL_CHECK(drop_of(HL_DROP_RTP_HELD) >= held + n / 160);
	HL_CHECK_STR(inband_digits(40, 0), "6");

	/* The figures at hang-up count every key; the detector goes back to the pool. */
	n_finals = 0;
	HL_CHECK(hl_media_del(eng, 0, 20200) == 0);
	HL_CHECK(hl_media_del(eng, 0, 20202) == 0);
	drain();
	HL_CHECK_INT(hl_media_legs(eng), legs0);
	HL_CHECK_INT(hl_media_inband_legs(eng), ibl0);
	HL_CHECK_INT(n_finals, 2);
	for (unsigned int i = 0; i < n_finals; i++)
		HL_CHECK_INT(finals[i].dtmf, finals[i].side == 0 ? 6 + 4 + 2 + 2 + 1 : 0);
}

/* A key down when the audio stops (the sender suppresses silence): the tick ends the
 * tone once no audio came for 200 ms, one event; audio after it gives no second. */
HL_TEST(inband_tone_cut_short_ended_by_tick)
{
	struct hl_media_leg a;
	struct stream st = {CUST, 4310, 20210, 0, 1, 0, 0x3d3d3d3d};
	struct rte_mbuf *out[16];
	size_t n;

	leg(&a, 41, 0, 20210, 0, CUST, 4310, 0, -1);
	a.dtmf_inband = 1;
	HL_CHECK(hl_media_set(eng, &a) == 0);
	drain();
	n_events = 0;
	n = tone_audio(tone_buf, sizeof(tone_buf), 0, "8", 300, 0, 100, 0);
	send_audio(&st, tone_buf, n, 160, 0);
	HL_CHECK_INT(n_events, 0);
	for (int i = 0; i < 50 && n_events == 0; i++) {
		usleep(10000);
		free_all(out, run(out, 16));
	}
	HL_CHECK_STR(inband_digits(41, 0), "8");
	memset(tone_buf, 0xff, 4000);
	send_audio(&st, tone_buf, 4000, 160, 0);
	usleep(250000);
	free_all(out, run(out, 16));
	HL_CHECK_INT(n_events, 1);
	HL_CHECK(hl_media_del(eng, 0, 20210) == 0);
	drain();
}

/*
 * The pool has 4 detectors (dtmf_inband_slots in the test's config): a fifth in-band
 * leg runs without one, counted, and reports nothing; a leg changed to one that needs
 * none (telephone-events, another codec) gives its detector back, and so does a
 * delete; a thousand calls set up and torn down leave the pool as it was.
 */
HL_TEST(inband_pool_exhausted_counted_and_slots_returned)
{
	struct hl_media_leg l[5];
	struct stream st = {CUST, 4320, 20228, 0, 1, 0, 0x4e4e4e4e};
	uint64_t ibl0 = hl_media_inband_legs(eng), legs0 = hl_media_legs(eng);
	uint64_t none0 = ctr(HL_CTR_DTMF_INBAND_NO_SLOT);
	size_t n;

	HL_CHECK_INT(ibl0, 0);
	for (unsigned int i = 0; i < 5; i++) {
		leg(&l[i], 50 + i, 0, (uint16_t)(20220 + 2 * i), 0, CUST, (uint16_t)(4320 + i), 0, -1);
		l[i].dtmf_inband = 1;
		HL_CHECK(hl_media_set(eng, &l[i]) == 0);
	}
	drain();
	HL_CHECK_INT(hl_media_inband_legs(eng), 4);
	HL_CHECK_INT(ctr(HL_CTR_DTMF_INBAND_NO_SLOT), none0 + 1);
	/* the fifth (port 20228) has none: its keys go unseen */
	n_events = 0;
	n = tone_audio(tone_buf, sizeof(tone_buf), 0, "12", 100, 100, 100, 300);
	send_audio(&st, tone_buf, n, 160, 0);
	HL_CHECK_INT(n_events, 0);

	/* telephone-events now, then G.729: no detector either way; set again: one */
	l[0].te_pt = 101;
	HL_CHECK(hl_media_set(eng, &l[0]) == 0);
	drain();
	HL_CHECK_INT(hl_media_inband_legs(eng), 3);
	l[0].te_pt = -1;
	l[0].codec_pt = 18;
	HL_CHECK(hl_media_set(eng, &l[0]) == 0);
	drain();
	HL_CHECK_INT(hl_media_inband_legs(eng), 3);
	/* the fifth, set again (a re-INVITE), finds the one now free */
	HL_CHECK(hl_media_set(eng, &l[4]) == 0);
	drain();
	HL_CHECK_INT(hl_media_inband_legs(eng), 4);
	n_events = 0;
	st.seq += 100;
	send_audio(&st, tone_buf, n, 160, 0);
	HL_CHECK_STR(inband_digits(54, 0), "12");
	for (unsigned int i = 0; i < 5; i++)
		HL_CHECK(hl_media_del(eng, 0, (uint16_t)(20220 + 2 * i)) == 0);
	drain();
	HL_CHECK_INT(hl_media_inband_legs(eng), 0);
	HL_CHECK_INT(hl_media_legs(eng), legs0);

	/* set-up and tear-down over and over: never short of a detector */
	none0 = ctr(HL_CTR_DTMF_INBAND_NO_SLOT);
	for (unsigned int r = 0; r < 1000; r++) {
		for (unsigned int i = 0; i < 4; i++) {
			l[i].codec_pt = (r + i) % 2 ? 8 : 0;
			l[i].te_pt = -1;
			HL_CHECK(hl_media_set(eng, &l[i]) == 0);
		}
		drain();
		if (hl_media_inband_legs(eng) != 4)
			HL_CHECK_INT(hl_media_inband_legs(eng), 4);
		for (unsigned int i = 0; i < 4; i++)
			HL_CHECK(hl_media_del(eng, 0, (uint16_t)(20220 + 2 * i)) == 0);
		drain();
	}
	HL_CHECK_INT(hl_media_inband_legs(eng), 0);
	HL_CHECK_INT(hl_media_legs(eng), legs0);
	HL_CHECK_INT(ctr(HL_CTR_DTMF_INBAND_NO_SLOT), none0);
}

/* ---- PCI: in-band DTMF muted toward the peer ---- */

/* SpanDSP's detector over G.711 audio, as the agent's side (or a recorder) might run it:
 * the keys it finds. */
static const char *
far_end_digits(const uint8_t *audio, size_t n, uint8_t pt)
{
	static char got[64];
	dtmf_rx_state_t *rx = dtmf_rx_init(NULL, NULL, NULL);
	int16_t lin[160];
	int k;

	HL_CHECK(rx != NULL);
	for (size_t off = 0; off < n; off += 160) {
		size_t c = n - off < 160 ? n - off : 160;
		for (size_t i = 0; i < c; i++)
			lin[i] = pt == 8 ? alaw_to_linear(audio[off + i])
					 : ulaw_to_linear(audio[off + i]);
		dtmf_rx(rx, lin, (int)c);
	}
	k = dtmf_rx_get(rx, got, (int)sizeof(got) - 1);
	got[k > 0 ? k : 0] = '\0';
	dtmf_rx_free(rx);
	return got;
}

/* What left for the agent from relay_collect(). */
struct relayed {
	uint8_t audio[8000 * 8]; /* the payloads, in order */
	size_t n;
	unsigned int packets, muted, unchanged;
	unsigned int events;	    /* keyed_collect(): telephone-events relayed (not in audio) */
	unsigned int silent;	    /* relayed packets sent as silence already: muted or not */
	unsigned int leaked;	    /* octets other than silence relayed unchanged */
	unsigned int run, leak_max; /* of those, since the last muted packet; the most */
};

/*
 * Sends n octets of audio on st in 160-octet packets (SRTP-protected with tx when not
 * NULL; packet number damage, counting from 0, with one payload octet flipped after the
 * UDP checksum, -1: none) and collects what the engine relays (unprotected with rx). Each
 * relayed packet must have a valid UDP checksum, the next sequence number and a payload
 * of the length sent that is either the one sent or G.711 silence of the leg's law
 * throughout (muted: counted when that changed it).
 */
static void
relay_collect(struct stream *st, const uint8_t *audio, size_t n, struct hl_srtp_ctx *tx,
	struct hl_srtp_ctx *rx, long damage, struct relayed *r)
{
	struct rte_mbuf *out[64];
	size_t offs[32];
	unsigned int batch = 0;
	long idx = 0;
	uint8_t z = st->pt == 8 ? 0xd5 : 0xff;
	static int have_seq;
	static uint16_t next_seq;

	memset(r, 0, sizeof(*r));
	have_seq = 0;
	for (size_t off = 0; off < n || batch;) {
		if (off < n && batch < 32) {
			uint8_t rtp[1600], f[1700];
			size_t c = n - off < 160 ? n - off : 160;
			size_t k = rtp_pkt(
				rtp, st->pt, 0, st->seq++, st->ts, st->ssrc, audio + off, c);
			size_t fl;

			if (tx != NULL) {
				int e = hl_srtp_protect_rtp(tx, rtp, k, sizeof(rtp));
				HL_CHECK(e > 0);
				k = (size_t)e;
			}
			st->ts += (uint32_t)c;
			fl = udp_frame(f, st->src, st->sport, st->dport, rtp, k);
			if (idx++ == damage)
				f[fl - 20] ^= 0x10; /* inside the audio, after the checksum */
			inject(f, fl);
			offs[batch++] = off;
			off += c;
			continue;
		}
		unsigned int m = run(out, 64);
		for (unsigned int i = 0; i < m; i++) {
			struct seen sn;
			size_t o = offs[batch - m + i];
			size_t c = n - o < 160 ? n - o : 160;

			HL_CHECK(parse_out(out[i], &sn, rx) == 0);
			HL_CHECK_MSG(
				sn.udp_ok && sn.csum_ok, "packet %u: UDP checksum", r->packets);
			HL_CHECK_MSG(!have_seq || sn.seq == next_seq, "packet %u: seq %u, want %u",
				r->packets, sn.seq, next_seq);
			have_seq = 1;
			next_seq = (uint16_t)(sn.seq + 1);
			HL_CHECK_MSG(sn.plen == c, "packet %u: %zu octets, sent %zu", r->packets,
				sn.plen, c);
			if (all_are(audio + o, c, z))
				r->silent++;
			if (sn.plen == c && memcmp(sn.payload, audio + o, c) == 0) {
				r->unchanged++;
				for (size_t q = 0; q < c; q++) {
					r->leaked += audio[o + q] != z;
					r->run += audio[o + q] != z;
				}
				r->leak_max = r->run > r->leak_max ? r->run : r->leak_max;
			} else if (all_are(sn.payload, sn.plen, z)) {
				r->muted++;
				r->run = 0;
			} else {
				HL_CHECK_MSG(0, "packet %u: payload neither sent nor silence",
					r->packets);
			}
			if (r->n + sn.plen <= sizeof(r->audio)) {
				memcpy(r->audio + r->n, sn.payload, sn.plen);
				r->n += sn.plen;
			}
			r->packets++;
		}
		free_all(out, m);
		batch = 0;
	}
}

/* rtp_dtmf_muted grew by what relay_collect() saw muted, give or take packets that were
 * silence already, and by at most max. */
static void
check_muted(uint64_t before, const struct relayed *r, unsigned int max)
{
	uint64_t d = ctr(HL_CTR_RTP_DTMF_MUTED) - before;

	HL_CHECK_MSG(d >= r->muted && d <= r->muted + r->silent && d <= max,
		"rtp_dtmf_muted +%llu: %u changed to silence, %u silent, at most %u",
		(unsigned long long)d, r->muted, r->silent, max);
}

/* Deletes a call whose agent sent nothing: the customer's figures count its keys, the
 * agent's what was relayed to it. */
static void
end_pci_call(
	uint32_t call, uint16_t pa, uint16_t pb, uint64_t legs0, uint64_t keys, uint64_t to_agent)
{
	n_finals = 0;
	HL_CHECK(hl_media_del(eng, 0, pa) == 0);
	HL_CHECK(hl_media_del(eng, 0, pb) == 0);
	drain();
	HL_CHECK_INT(hl_media_legs(eng), legs0);
	HL_CHECK_INT(hl_media_inband_legs(eng), 0);
	HL_CHECK_INT(n_finals, 2);
	for (unsigned int i = 0; i < n_finals; i++) {
		HL_CHECK(finals[i].call == call);
		HL_CHECK_INT(finals[i].dtmf, finals[i].side == 0 ? keys : 0);
		HL_CHECK_INT(finals[i].tx_packets, finals[i].side == 0 ? 0 : to_agent);
	}
}

/*
 * dtmf_suppress on a customer leg that listens in-band (PCI: a tenant with dtmf_to_agent
 * = suppress). Without it, the keys reach the agent as tones: SpanDSP finds them in what
 * was relayed. With it, each key is still reported once, but every packet that carries
 * a tone leaves with G.711 silence of the same length, in sequence, so SpanDSP at the
 * agent finds none; the rest of the audio (speech included) is untouched, and
 * rtp_dtmf_muted counts the muted packets. The same at PCMA (0xD5), for a datagram
 * damaged inside a tone (muted all the same, its checksum summed afresh), and with SRTP
 * on both legs (muted before the agent's leg protects it).
 */
HL_TEST(inband_dtmf_suppressed_muted_toward_agent)
{
	static struct relayed r;
	struct hl_media_leg a, b;
	struct stream st = {CUST, 4340, 20240, 0, 7000, 0, 0x5f5f5f5f};
	uint64_t mu0 = ctr(HL_CTR_RTP_DTMF_MUTED), legs0 = hl_media_legs(eng), tot = 0;
	size_t n;

	teach_arp(CUST);
	teach_arp(AGENT);
	drain();
	leg(&a, 60, 0, 20240, 20242, CUST, 4340, 0, -1);
	a.dtmf_inband = 1;
	leg(&b, 60, 1, 20242, 20240, AGENT, 5340, 0, 101);
	HL_CHECK(hl_media_set(eng, &a) == 0);
	HL_CHECK(hl_media_set(eng, &b) == 0);
	drain();

	/* Relay: the tones reach the agent; nothing muted. */
	n_events = 0;
	n = tone_audio(tone_buf, sizeof(tone_buf), 0, "1590", 100, 100, 200, 400);
	relay_collect(&st, tone_buf, n, NULL, NULL, -1, &r);
	tot += r.packets;
	HL_CHECK_STR(inband_digits(60, 0), "1590");
	HL_CHECK_INT(r.packets, (n + 159) / 160 - 1); /* the first on probation */
	HL_CHECK_INT(r.muted, 0);
	HL_CHECK_STR(far_end_digits(r.audio, r.n, 0), "1590");
	HL_CHECK_INT(ctr(HL_CTR_RTP_DTMF_MUTED), mu0);

	/* Suppress: reported once each, none at the agent, the stream unbroken. */
	a.dtmf_suppress = 1;
	HL_CHECK(hl_media_set(eng, &a) == 0);
	drain();
	n_events = 0;
	n = tone_audio(tone_buf, sizeof(tone_buf), 0, "2468*#", 100, 100, 200, 400);
	relay_collect(&st, tone_buf, n, NULL, NULL, -1, &r);
	tot += r.packets;
	HL_CHECK_STR(inband_digits(60, 0), "2468*#");
	HL_CHECK_INT(r.packets, (n + 159) / 160);
	HL_CHECK_STR(far_end_digits(tone_buf, n, 0), "2468*#"); /* what was sent */
	HL_CHECK_MSG(far_end_digits(r.audio, r.n, 0)[0] == '\0', "agent hears '%s'",
		far_end_digits(r.audio, r.n, 0));
	/* 100 ms a key is five or six packets: all but the first changed (it may leak up
	 * to 23 ms, docs/media.md), and two more muted after it, silent already */
	HL_CHECK_MSG(r.muted >= 6 * 4 && r.muted <= 6 * 6, "%u packets muted", r.muted);
	/* before each key was heard: at most 203 samples of its tone (docs/media.md) */
	HL_CHECK_MSG(r.leak_max <= 203, "%u samples of a tone relayed", r.leak_max);
	check_muted(mu0, &r, 6 * 8);
	/* Keys starting anywhere in a packet (and anywhere in the detector's blocks): each
	 * leaks at most 203 samples before it is heard. */
	for (unsigned int off = 0; off < 160; off += 9) {
		const char key[2] = {"0123456789*#ABCD"[off % 16], '\0'};

		n_events = 0;
		memset(tone_buf, 0xff, 100 + off);
		n = 100 + off +
		    tone_audio(
			    tone_buf + 100 + off, sizeof(tone_buf) - 200, 0, key, 100, 0, 0, 200);
		relay_collect(&st, tone_buf, n, NULL, NULL, -1, &r);
		tot += r.packets;
		HL_CHECK_STR(inband_digits(60, 0), key);
		HL_CHECK_MSG(r.leak_max <= 203, "key at %u: %u samples relayed", off, r.leak_max);
		HL_CHECK_MSG(far_end_digits(r.audio, r.n, 0)[0] == '\0',
			"key at %u: agent hears '%s'", off, far_end_digits(r.audio, r.n, 0));
	}
	/* speech goes through as it is */
	n_events = 0;
	n = speech_audio(speech_buf, sizeof(speech_buf), 0, 2000);
	relay_collect(&st, speech_buf, n, NULL, NULL, -1, &r);
	tot += r.packets;
	HL_CHECK_INT(n_events, 0);
	HL_CHECK_INT(r.muted, 0);
	HL_CHECK_INT(r.unchanged, n / 160);

	/* A datagram damaged in the middle of a key (its fourth packet): not fed, but muted
	 * and relayed with a checksum of its own. */
	n_events = 0;
	n = tone_audio(tone_buf, sizeof(tone_buf), 0, "7", 200, 0, 100, 300);
	uint64_t mu1 = ctr(HL_CTR_RTP_DTMF_MUTED);
	relay_collect(&st, tone_buf, n, NULL, NULL, 5 + 4, &r);
	tot += r.packets;
	HL_CHECK_STR(inband_digits(60, 0), "7");
	HL_CHECK_INT(r.packets, (n + 159) / 160);
	HL_CHECK(r.muted >= 9);
	HL_CHECK_STR(far_end_digits(r.audio, r.n, 0), "");
	check_muted(mu1, &r, 10 + 3);

	/* PCMA: silence is 0xD5. */
	a.codec_pt = b.codec_pt = 8;
	HL_CHECK(hl_media_set(eng, &a) == 0);
	HL_CHECK(hl_media_set(eng, &b) == 0);
	drain();
	st.pt = 8;
	n_events = 0;
	n = tone_audio(tone_buf, sizeof(tone_buf), 8, "3C", 120, 100, 200, 400);
	relay_collect(&st, tone_buf, n, NULL, NULL, -1, &r);
	tot += r.packets;
	HL_CHECK_STR(inband_digits(60, 0), "3C");
	HL_CHECK(r.muted >= 2 * 5);
	HL_CHECK_STR(far_end_digits(tone_buf, n, 8), "3C");
	HL_CHECK_STR(far_end_digits(r.audio, r.n, 8), "");
	HL_CHECK_MSG(r.leak_max <= 203, "%u samples of a tone relayed", r.leak_max);
	end_pci_call(60, 20240, 20242, legs0, 4 + 6 + 18 + 1 + 2, tot);

	/* SRTP in from the customer, SRTP out to the agent under another key: the audio is
	 * muted as plaintext, then protected; the agent decrypts silence. */
	struct hl_srtp_key kc, kh, kb;
	struct hl_srtp_ctx c_out, b_in;
	HL_CHECK(hl_srtp_key_generate(&kc, HL_SRTP_AES_CM_128_HMAC_SHA1_80) == 0);
	HL_CHECK(hl_srtp_key_generate(&kh, HL_SRTP_AES_CM_128_HMAC_SHA1_80) == 0);
	HL_CHECK(hl_srtp_key_generate(&kb, HL_SRTP_AEAD_AES_128_GCM) == 0);
	HL_CHECK(hl_srtp_ctx_init(&c_out, &kc, HL_SRTP_OUTBOUND, NULL) == 0);
	HL_CHECK(hl_srtp_ctx_init(&b_in, &kb, HL_SRTP_INBOUND, NULL) == 0);
	leg(&a, 61, 0, 20244, 20246, CUST, 4344, 0, -1);
	a.dtmf_inband = a.dtmf_suppress = 1;
	a.srtp_rx = a.srtp_tx = 1;
	a.rx_key = kc;
	a.tx_key = kh;
	leg(&b, 61, 1, 20246, 20244, AGENT, 5344, 0, 101);
	b.srtp_rx = b.srtp_tx = 1;
	b.rx_key = kh;
	b.tx_key = kb;
	HL_CHECK(hl_media_set(eng, &a) == 0);
	HL_CHECK(hl_media_set(eng, &b) == 0);
	drain();
	struct stream ss = {CUST, 4344, 20244, 0, 100, 0, 0x6a6a6a6a};
	n_events = 0;
	mu0 = ctr(HL_CTR_RTP_DTMF_MUTED);
	n = tone_audio(tone_buf, sizeof(tone_buf), 0, "908", 100, 100, 200, 400);
	relay_collect(&ss, tone_buf, n, &c_out, &b_in, -1, &r);
	HL_CHECK_STR(inband_digits(61, 0), "908");
	HL_CHECK_INT(r.packets, (n + 159) / 160 - 1);
	HL_CHECK(r.muted >= 3 * 4);
	HL_CHECK_MSG(r.leak_max <= 203, "%u samples of a tone relayed", r.leak_max);
	check_muted(mu0, &r, 3 * 8);
	HL_CHECK_STR(far_end_digits(r.audio, r.n, 0), "");
	end_pci_call(61, 20244, 20246, legs0, 3, r.packets);
	hl_srtp_ctx_fini(&c_out);
	hl_srtp_ctx_fini(&b_in);
	hl_srtp_key_wipe(&kc);
	hl_srtp_key_wipe(&kh);
	hl_srtp_key_wipe(&kb);
}

/* ---- PCI on a leg with telephone-events: tones muted, each press reported once ---- */

/* What keyed_send() sends with the audio of a press: RFC 4733 events of it, or none. */
enum keyed_events {
	KEYED_NONE,	/* tones only */
	KEYED_EVENTS,	/* events with the tone, the end packet three times */
	KEYED_LOST_END, /* the same, every end packet lost */
};

/* One key press as keyed_send() sends it: both ways, or one. */
struct keyed_press {
	char key;		 /* the key of its RFC 4733 events, sent per how */
	enum keyed_events how;	 /* its events: none, all, or all but the end */
	char tone;		 /* the key of its tone in the audio; 0: none (silence) */
	int on_ms, off_ms;	 /* the press, then the pause after it */
	int drop_at_ms, drop_ms; /* a gap of drop_ms in the tone, drop_at_ms in; 0: none */
};

/* Lets the tick end what waits for a timeout (an RFC 4733 press without its end). */
static void
settle(void)
{
	struct rte_mbuf *out[16];

	for (int i = 0; i < 30; i++) {
		usleep(10000);
		free_all(out, run(out, 16));
	}
}

/* An RFC 4733 event packet of keyed_send(): the audio packet whose end its duration
 * reaches, its payload, and the copies sent (the end three times, or none when lost). */
struct keyed_event {
	unsigned int pkt;
	uint32_t ts;
	uint8_t ev[4];
	int marker, copies;
};

/* Queues e on st, PT te; returns the packets queued. */
static unsigned int
keyed_event_send(struct stream *st, uint8_t te, const struct keyed_event *e)
{
	uint8_t rtp[64], f[256];

	for (int c = 0; c < e->copies; c++) {
		size_t k = rtp_pkt(rtp, te, e->marker, st->seq, e->ts, st->ssrc, e->ev, 4);
		inject(f, udp_frame(f, st->src, st->sport, st->dport, rtp, k));
	}
	if (e->copies)
		st->seq++;
	return (unsigned int)e->copies;
}

/* Runs the worker over what keyed_send() queued and collects what it relayed into r. */
static void
keyed_run(const struct stream *st, uint8_t te, struct relayed *r)
{
	struct rte_mbuf *out[64];
	uint8_t z = st->pt == 8 ? 0xd5 : 0xff;
	unsigned int m = run(out, 64);

	for (unsigned int q = 0; q < m; q++) {
		struct seen sn;

		HL_CHECK(parse_out(out[q], &sn, NULL) == 0);
		HL_CHECK_MSG(sn.udp_ok && sn.csum_ok, "packet %u: UDP checksum", r->packets);
		if (sn.pt == te && te != st->pt) {
			r->events++;
			continue;
		}
		HL_CHECK_MSG(sn.pt == st->pt, "packet %u: PT %u relayed", r->packets, sn.pt);
		if (all_are(sn.payload, sn.plen, z))
			r->muted++;
		else
			r->unchanged++;
		if (r->n + sn.plen <= sizeof(r->audio)) {
			memcpy(r->audio + r->n, sn.payload, sn.plen);
			r->n += sn.plen;
		}
		r->packets++;
	}
	free_all(out, m);
}

/*
 * Sends n_ps presses on st as a sender that negotiated telephone-event (PT te) and keys
 * in both ways, as phones and gateways do: SpanDSP's tones in the audio (lead_ms of
 * silence first, tail_ms after the last press's pause), and per press RFC 4733 events of
 * it in the same stream (one per 20 ms of the press, lag packets after the audio they
 * describe, the press's timestamp and a growing duration, RFC 4733 §2.5.1). lag < 0:
 * every event first, then settle(), then the audio (audio later than the lost-end
 * timeout). Collects the audio relayed into r (payloads the ones sent or silence, valid
 * checksums); telephone-events relayed (PT te at the peer too) are counted in r->events,
 * any other PT fails. Returns the audio packets sent.
 */
static unsigned int
keyed_send(struct stream *st, uint8_t te, const struct keyed_press *ps, unsigned int n_ps,
	int lead_ms, int tail_ms, int lag, struct relayed *r)
{
	static uint8_t audio[8000 * 8];
	static struct keyed_event evs[256];
	static const char codes[] = "0123456789*#ABCD";
	size_t n = tone_audio(audio, sizeof(audio), st->pt, "", 0, 0, lead_ms, 0);
	unsigned int after = lag > 0 ? (unsigned int)lag : 0;
	unsigned int np, last, queued = 0, n_evs = 0, e = 0;
	uint32_t ts0 = st->ts;

	for (unsigned int k = 0; k < n_ps; k++) {
		const struct keyed_press *p = &ps[k];
		size_t start = n, len = (size_t)p->on_ms * 8;
		char d[2] = {p->tone, '\0'};
		int a = p->drop_ms ? p->drop_at_ms : p->on_ms;

		if (p->tone == 0) {
			n += tone_audio(
				audio + n, sizeof(audio) - n, st->pt, "", 0, 0, p->on_ms, 0);
		} else {
			n += tone_audio(
				audio + n, sizeof(audio) - n, st->pt, d, a, 0, 0, p->drop_ms);
			if (p->drop_ms)
				n += tone_audio(audio + n, sizeof(audio) - n, st->pt, d,
					p->on_ms - a - p->drop_ms, 0, 0, 0);
		}
		HL_CHECK_INT(n - start, len);
		n += tone_audio(audio + n, sizeof(audio) - n, st->pt, "", 0, 0, p->off_ms, 0);
		for (size_t pos = 0; p->how != KEYED_NONE && pos < len; pos += 160) {
			size_t dur = pos + 160 < len ? pos + 160 : len;
			int end = dur == len;
			struct keyed_event *ev = &evs[n_evs++];

			HL_CHECK(n_evs <= HL_ARRAY_SIZE(evs));
			ev->pkt = (unsigned int)((start + dur - 1) / 160);
			ev->ts = ts0 + (uint32_t)start;
			ev->ev[0] = (uint8_t)(strchr(codes, p->key) - codes);
			ev->ev[1] = (uint8_t)((end ? 0x80 : 0) | 10);
			ev->ev[2] = (uint8_t)(dur >> 8);
			ev->ev[3] = (uint8_t)dur;
			ev->marker = pos == 0;
			ev->copies = end ? (p->how == KEYED_LOST_END ? 0 : 3) : 1;
		}
	}
	n += tone_audio(audio + n, sizeof(audio) - n, st->pt, "", 0, 0, tail_ms, 0);
	np = (unsigned int)((n + 159) / 160);

	memset(r, 0, sizeof(*r));
	if (lag < 0) {
		/* every event ahead of its audio, and time for a lost end to run out */
		for (; e < n_evs; e++) {
			queued += keyed_event_send(st, te, &evs[e]);
			if (queued >= 24 || e + 1 == n_evs) {
				keyed_run(st, te, r);
				queued = 0;
			}
		}
		settle();
	}
	last = np + after;
	for (unsigned int i = 0; i <= last; i++) {
		if (i < np) {
			uint8_t rtp[256], f[512];
			size_t c = n - i * 160 < 160 ? n - i * 160 : 160;
			size_t k = rtp_pkt(
				rtp, st->pt, 0, st->seq++, st->ts, st->ssrc, audio + i * 160, c);

			st->ts += (uint32_t)c;
			inject(f, udp_frame(f, st->src, st->sport, st->dport, rtp, k));
			queued++;
		}
		for (; e < n_evs && evs[e].pkt + after <= i; e++)
			queued += keyed_event_send(st, te, &evs[e]);
		if (queued < 24 && i < last)
			continue;
		keyed_run(st, te, r);
		queued = 0;
	}
	return np;
}

/*
 * keyed_send() of digits the way most senders key: each both ways (the events per how),
 * 100 ms a key, 100 ms between, 200 ms before and 400 ms after.
 */
static unsigned int
keyed_collect(struct stream *st, uint8_t te, const char *digits, enum keyed_events how,
	unsigned int lag, struct relayed *r)
{
	struct keyed_press ps[16];
	unsigned int n = (unsigned int)strlen(digits);

	HL_CHECK(n <= HL_ARRAY_SIZE(ps));
	for (unsigned int k = 0; k < n && k < HL_ARRAY_SIZE(ps); k++)
		ps[k] = (struct keyed_press){digits[k], how, digits[k], 100, 100, 0, 0};
	return keyed_send(st, te, ps, n, 200, 400, (int)lag, r);
}

/* The digits of the DTMF events since n_events was zeroed, of call and side; *tones
 * counts those reported from in-band tones. */
static const char *
any_digits(uint32_t call, uint8_t side, unsigned int *tones)
{
	static char got[HL_ARRAY_SIZE(events) + 1];
	unsigned int k = 0;

	*tones = 0;
	for (unsigned int i = 0; i < n_events; i++) {
		HL_CHECK(events[i].type == HL_MEDIA_EV_DTMF);
		HL_CHECK(events[i].call == call && events[i].side == side);
		*tones += events[i].how == HL_DTMF_END_TONE;
		got[k++] = events[i].digit;
	}
	got[k] = '\0';
	return got;
}

/*
 * A suppress tenant's customer leg that negotiated telephone-event: it takes a detector
 * (a relay tenant's does not), and whatever way the keys come they are kept from the
 * agent and each reported once. Tones alone (a card number, keys repeated): each key
 * once, from the tone, muted. Events with the tones: each key once, from the events
 * that end first, the tone muted and swallowed (dtmf_dup_presses). Events that lag the
 * audio by 160 ms: the tone ends first and is reported, the events swallowed. Events
 * whose end packets are all lost: the tone ends while the RFC 4733 press still runs
 * and is swallowed; the press ends at the next key or by the tick. The same at PCMA.
 */
HL_TEST(inband_dtmf_suppressed_on_leg_with_telephone_events)
{
	static struct relayed r;
	struct hl_media_leg a, b;
	struct stream st = {CUST, 4350, 20250, 0, 3000, 0, 0x7a7a7a7a};
	uint64_t mu0 = ctr(HL_CTR_RTP_DTMF_MUTED), legs0 = hl_media_legs(eng);
	uint64_t dup0 = ctr(HL_CTR_DTMF_DUP), ib0 = ctr(HL_CTR_DTMF_INBAND);
	uint64_t te0 = ctr(HL_CTR_DTMF_4733), sup0 = drop_of(HL_DROP_RTP_DTMF_SUPPRESSED);
	unsigned int tones, keys = 0;
	size_t n;

	teach_arp(CUST);
	teach_arp(AGENT);
	drain();
	HL_CHECK_INT(hl_media_inband_legs(eng), 0);
	leg(&a, 62, 0, 20250, 20252, CUST, 4350, 0, 101);
	a.dtmf_inband = a.dtmf_suppress = 1;
	leg(&b, 62, 1, 20252, 20250, AGENT, 5350, 0, 101);
	b.dtmf_inband = 1; /* the agent's leg: telephone-events, keys not suppressed */
	HL_CHECK(hl_media_set(eng, &a) == 0);
	HL_CHECK(hl_media_set(eng, &b) == 0);
	drain();
	HL_CHECK_INT(hl_media_inband_legs(eng), 1);

	/* Tones only, keys repeated: each once, from the tone; none at the agent. */
	n_events = 0;
	n = tone_audio(tone_buf, sizeof(tone_buf), 0, "4111", 100, 100, 200, 400);
	relay_collect(&st, tone_buf, n, NULL, NULL, -1, &r);
	HL_CHECK_STR(inband_digits(62, 0), "4111");
	keys += 4;
	HL_CHECK_INT(r.packets, (n + 159) / 160 - 1); /* the first on probation */
	HL_CHECK_STR(far_end_digits(tone_buf, n, 0), "4111");
	HL_CHECK_MSG(far_end_digits(r.audio, r.n, 0)[0] == '\0', "agent hears '%s'",
		far_end_digits(r.audio, r.n, 0));
	HL_CHECK_MSG(r.muted >= 4 * 4 && r.muted <= 4 * 6, "%u packets muted", r.muted);
	HL_CHECK_MSG(r.leak_max <= 203, "%u samples of a tone relayed", r.leak_max);
	check_muted(mu0, &r, 4 * 8);
	HL_CHECK_INT(ctr(HL_CTR_DTMF_DUP), dup0);

	/* Events with the tones: once each, from the events; tones muted, swallowed. */
	static const char both[] = "5500#";
	n_events = 0;
	uint64_t mu1 = ctr(HL_CTR_RTP_DTMF_MUTED);
	unsigned int np = keyed_collect(&st, 101, both, KEYED_EVENTS, 0, &r);
	HL_CHECK_INT(r.events, 0);
	HL_CHECK_STR(any_digits(62, 0, &tones), both);
	HL_CHECK_INT(tones, 0);
	keys += 5;
	HL_CHECK_INT(ctr(HL_CTR_DTMF_DUP), dup0 + 5);
	HL_CHECK_INT(r.packets, np);
	HL_CHECK_MSG(far_end_digits(r.audio, r.n, 0)[0] == '\0', "agent hears '%s'",
		far_end_digits(r.audio, r.n, 0));
	HL_CHECK_MSG(r.muted >= 5 * 4, "%u packets muted", r.muted);
	HL_CHECK(ctr(HL_CTR_RTP_DTMF_MUTED) - mu1 >= 5 * 4);
	HL_CHECK(drop_of(HL_DROP_RTP_DTMF_SUPPRESSED) >= sup0 + 5 * 7);

	/* Events 160 ms behind the audio (100 ms start the press while the tone still
	 * runs, which pairs it as above): the tone ends first, the events are swallowed. */
	n_events = 0;
	keyed_collect(&st, 101, "3663", KEYED_EVENTS, 8, &r);
	HL_CHECK_INT(r.events, 0);
	HL_CHECK_STR(any_digits(62, 0, &tones), "3663");
	HL_CHECK_INT(tones, 4);
	keys += 4;
	HL_CHECK_INT(ctr(HL_CTR_DTMF_DUP), dup0 + 9);
	HL_CHECK_STR(far_end_digits(r.audio, r.n, 0), "");

	/* No end packet: the tone pairs with the press still running, which ends at the
	 * next key's first event or, for the last, by the tick. */
	n_events = 0;
	keyed_collect(&st, 101, "7789", KEYED_LOST_END, 0, &r);
	HL_CHECK_INT(r.events, 0);
	settle();
	HL_CHECK_STR(any_digits(62, 0, &tones), "7789");
	HL_CHECK_INT(tones, 0);
	keys += 4;
	HL_CHECK_INT(ctr(HL_CTR_DTMF_DUP), dup0 + 13);
	HL_CHECK_STR(far_end_digits(r.audio, r.n, 0), "");

	/* PCMA, events with the tones. */
	a.codec_pt = b.codec_pt = 8;
	HL_CHECK(hl_media_set(eng, &a) == 0);
	HL_CHECK(hl_media_set(eng, &b) == 0);
	drain();
	HL_CHECK_INT(hl_media_inband_legs(eng), 1);
	st.pt = 8;
	n_events = 0;
	keyed_collect(&st, 101, "*D", KEYED_EVENTS, 0, &r);
	HL_CHECK_INT(r.events, 0);
	HL_CHECK_STR(any_digits(62, 0, &tones), "*D");
	HL_CHECK_INT(tones, 0);
	keys += 2;
	HL_CHECK_INT(ctr(HL_CTR_DTMF_DUP), dup0 + 15);
	HL_CHECK_STR(far_end_digits(r.audio, r.n, 8), "");
	HL_CHECK_INT(ctr(HL_CTR_DTMF_INBAND) - ib0 + ctr(HL_CTR_DTMF_4733) - te0, keys);

	/* A relay tenant's leg like it: no detector, the tones reach the agent. */
	a.dtmf_suppress = 0;
	HL_CHECK(hl_media_set(eng, &a) == 0);
	drain();
	HL_CHECK_INT(hl_media_inband_legs(eng), 0);
	n_events = 0;
	mu1 = ctr(HL_CTR_RTP_DTMF_MUTED);
	n = tone_audio(tone_buf, sizeof(tone_buf), 8, "258", 100, 100, 200, 400);
	relay_collect(&st, tone_buf, n, NULL, NULL, -1, &r);
	HL_CHECK_INT(n_events, 0);
	HL_CHECK_INT(r.muted, 0);
	HL_CHECK_INT(r.unchanged, (n + 159) / 160);
	HL_CHECK_STR(far_end_digits(r.audio, r.n, 8), "258");
	HL_CHECK_INT(ctr(HL_CTR_RTP_DTMF_MUTED), mu1);

	n_finals = 0;
	HL_CHECK(hl_media_del(eng, 0, 20250) == 0);
	HL_CHECK(hl_media_del(eng, 0, 20252) == 0);
	drain();
	HL_CHECK_INT(hl_media_legs(eng), legs0);
	HL_CHECK_INT(hl_media_inband_legs(eng), 0);
	HL_CHECK_INT(n_finals, 2);
	for (unsigned int i = 0; i < n_finals; i++)
		HL_CHECK_INT(finals[i].dtmf, finals[i].side == 0 ? keys : 0);
}

/*
 * dtmf_inband = HL_MEDIA_INBAND_ALWAYS (a relay tenant under [rtp] dtmf_inband =
 * always): both legs negotiated telephone-event and both take a detector (AUTO gives
 * them none). A customer that keys in by tones alone is heard: each key once, from the
 * tone, nothing muted, the audio relayed unchanged (the agent's own detector still
 * finds every key). Tones with events: each key once, from the events that end first,
 * the tones swallowed (dtmf_dup_presses), the events and the audio relayed unchanged.
 * Events 160 ms behind the audio: from the tones, the events swallowed. The agent's
 * leg listens too. Back to AUTO: the detectors go back to the pool.
 */
HL_TEST(inband_always_on_relay_leg_with_telephone_events)
{
	static struct relayed r;
	static uint8_t want[8000 * 8];
	struct hl_media_leg a, b;
	struct stream st = {CUST, 4370, 20270, 0, 5000, 0, 0x5c5c5c5c};
	struct stream sb = {AGENT, 5370, 20272, 0, 7000, 0, 0x6d6d6d6d};
	uint64_t mu0 = ctr(HL_CTR_RTP_DTMF_MUTED), legs0 = hl_media_legs(eng);
	uint64_t dup0 = ctr(HL_CTR_DTMF_DUP), ib0 = ctr(HL_CTR_DTMF_INBAND);
	uint64_t te0 = ctr(HL_CTR_DTMF_4733), sup0 = drop_of(HL_DROP_RTP_DTMF_SUPPRESSED);
	unsigned int tones, keys = 0;
	size_t n;

	teach_arp(CUST);
	teach_arp(AGENT);
	drain();
	HL_CHECK_INT(hl_media_inband_legs(eng), 0);
	leg(&a, 63, 0, 20270, 20272, CUST, 4370, 0, 101);
	leg(&b, 63, 1, 20272, 20270, AGENT, 5370, 0, 101);
	a.dtmf_inband = b.dtmf_inband = HL_MEDIA_INBAND_AUTO;
	HL_CHECK(hl_media_set(eng, &a) == 0);
	HL_CHECK(hl_media_set(eng, &b) == 0);
	drain();
	HL_CHECK_INT(hl_media_inband_legs(eng), 0);
	a.dtmf_inband = b.dtmf_inband = HL_MEDIA_INBAND_ALWAYS;
	HL_CHECK(hl_media_set(eng, &a) == 0);
	HL_CHECK(hl_media_set(eng, &b) == 0);
	drain();
	HL_CHECK_INT(hl_media_inband_legs(eng), 2);

	/* Tones only, keys repeated: each once, from the tone; relayed as sent. */
	n_events = 0;
	n = tone_audio(tone_buf, sizeof(tone_buf), 0, "4111", 100, 100, 200, 400);
	relay_collect(&st, tone_buf, n, NULL, NULL, -1, &r);
	HL_CHECK_STR(inband_digits(63, 0), "4111");
	keys += 4;
	HL_CHECK_INT(r.packets, (n + 159) / 160 - 1); /* the first on probation */
	HL_CHECK_INT(r.unchanged, r.packets);
	HL_CHECK_INT(r.muted, 0);
	HL_CHECK_STR(far_end_digits(r.audio, r.n, 0), "4111");
	HL_CHECK_INT(ctr(HL_CTR_DTMF_DUP), dup0);

	/* Events with the tones: once each, from the events; both relayed as sent. */
	static const char both[] = "5500#";
	n_events = 0;
	unsigned int np = keyed_collect(&st, 101, both, KEYED_EVENTS, 0, &r);
	HL_CHECK_STR(any_digits(63, 0, &tones), both);
	HL_CHECK_INT(tones, 0);
	keys += 5;
	HL_CHECK_INT(ctr(HL_CTR_DTMF_DUP), dup0 + 5);
	HL_CHECK_INT(r.packets, np);
	HL_CHECK_MSG(r.events >= 5 * 7, "%u telephone-events relayed", r.events);
	n = tone_audio(want, sizeof(want), 0, both, 100, 100, 200, 400);
	HL_CHECK_INT(r.n, n);
	HL_CHECK(r.n == n && memcmp(r.audio, want, n) == 0);
	HL_CHECK_STR(far_end_digits(r.audio, r.n, 0), both);

	/* Events 160 ms behind the audio: the tone ends first, the events are swallowed. */
	n_events = 0;
	keyed_collect(&st, 101, "3663", KEYED_EVENTS, 8, &r);
	HL_CHECK_STR(any_digits(63, 0, &tones), "3663");
	HL_CHECK_INT(tones, 4);
	keys += 4;
	HL_CHECK_INT(ctr(HL_CTR_DTMF_DUP), dup0 + 9);
	n = tone_audio(want, sizeof(want), 0, "3663", 100, 100, 200, 400);
	HL_CHECK(r.n == n && memcmp(r.audio, want, n) == 0);
	HL_CHECK_STR(far_end_digits(r.audio, r.n, 0), "3663");
	HL_CHECK_INT(ctr(HL_CTR_RTP_DTMF_MUTED), mu0);
	HL_CHECK_INT(drop_of(HL_DROP_RTP_DTMF_SUPPRESSED), sup0);
	HL_CHECK_INT(ctr(HL_CTR_DTMF_INBAND) - ib0 + ctr(HL_CTR_DTMF_4733) - te0, keys);

	/* The agent keys in by tone: its leg hears it. */
	n_events = 0;
	n = tone_audio(tone_buf, sizeof(tone_buf), 0, "9", 100, 0, 200, 400);
	relay_collect(&sb, tone_buf, n, NULL, NULL, -1, &r);
	HL_CHECK_STR(inband_digits(63, 1), "9");
	HL_CHECK_INT(r.muted, 0);

	/* AUTO again: neither leg listens, the tones go on unheard. */
	a.dtmf_inband = b.dtmf_inband = HL_MEDIA_INBAND_AUTO;
	HL_CHECK(hl_media_set(eng, &a) == 0);
	HL_CHECK(hl_media_set(eng, &b) == 0);
	drain();
	HL_CHECK_INT(hl_media_inband_legs(eng), 0);
	n_events = 0;
	n = tone_audio(tone_buf, sizeof(tone_buf), 0, "28", 100, 100, 200, 400);
	relay_collect(&st, tone_buf, n, NULL, NULL, -1, &r);
	HL_CHECK_INT(n_events, 0);
	HL_CHECK_STR(far_end_digits(r.audio, r.n, 0), "28");

	n_finals = 0;
	HL_CHECK(hl_media_del(eng, 0, 20270) == 0);
	HL_CHECK(hl_media_del(eng, 0, 20272) == 0);
	drain();
	HL_CHECK_INT(hl_media_legs(eng), legs0);
	HL_CHECK_INT(hl_media_inband_legs(eng), 0);
	HL_CHECK_INT(n_finals, 2);
	for (unsigned int i = 0; i < n_finals; i++)
		HL_CHECK_INT(finals[i].dtmf, finals[i].side == 0 ? keys : 1);
}

/*
 * Pairing the two reports of a press on the edges of real senders (a suppress tenant's
 * leg with telephone-events; dedup_report() in dataplane/media.c), each case a run of
 * presses given both ways or one, with the events on time, late, or all ahead of the
 * audio. A carrier expects each real press once, in order, with its key, and a press
 * heard both ways counted once in dtmf_dup_presses: a press one source missed does not
 * swallow the next press of the same key; auto-dialers at ITU-T Q.24's minimum timing
 * (40 ms on, 40 ms off) keep every press; a tone the detector hears in two pieces is one
 * press with its events; an RFC 4733 press that lost its end pairs with its tone even
 * when the audio comes after the lost-end timeout; events of one key with the tone of
 * another (a broken sender) are both reported; RTP timestamps across 2^32 pair as any.
 */
HL_TEST(inband_dtmf_pairing_edges)
{
	static struct relayed r;
	static const struct {
		const char *name;
		struct keyed_press ps[5];
		unsigned int n;
		int lag;
		uint32_t ts;	  /* the stream's timestamp from here, 0: where it was */
		const char *want; /* in this order; with a '?' first, in any */
		unsigned int dups;
	} cases[] = {
		{"tone only, then the same key both ways 50 ms later",
			{{'5', KEYED_NONE, '5', 50, 50}, {'5', KEYED_EVENTS, '5', 50, 50}}, 2, 0, 0,
			"55", 1},
		{"events only (tone missed), then the same key both ways",
			{{'5', KEYED_EVENTS, 0, 50, 50}, {'5', KEYED_EVENTS, '5', 50, 50}}, 2, 0, 0,
			"55", 1},
		{"tone only, then events only, of one key",
			{{'5', KEYED_NONE, '5', 50, 50}, {'5', KEYED_EVENTS, 0, 50, 50}}, 2, 0, 0,
			"55", 0},
		{"events only, then tone only, of one key",
			{{'5', KEYED_EVENTS, 0, 50, 50}, {'5', KEYED_NONE, '5', 50, 50}}, 2, 0, 0,
			"55", 0},
		{"tone only, events only, tone only, at 40 ms on / 40 ms off",
			{{'1', KEYED_NONE, '1', 40, 40}, {'1', KEYED_EVENTS, 0, 40, 40},
				{'1', KEYED_NONE, '1', 40, 40}},
			3, 0, 0, "111", 0},
		{"tone only, events only, at 40/40, events 60 ms late",
			{{'1', KEYED_NONE, '1', 40, 40}, {'1', KEYED_EVENTS, 0, 40, 40},
				{'1', KEYED_NONE, '1', 40, 40}},
			3, 3, 0, "111", 0},
		{"both, tone only, both, at 40 ms on / 40 ms off",
			{{'9', KEYED_EVENTS, '9', 40, 40}, {'9', KEYED_NONE, '9', 40, 40},
				{'9', KEYED_EVENTS, '9', 40, 40}},
			3, 0, 0, "999", 2},
		{"auto-dialer 555 at 50 ms on / 50 ms off, both ways",
			{{'5', KEYED_EVENTS, '5', 50, 50}, {'5', KEYED_EVENTS, '5', 50, 50},
				{'5', KEYED_EVENTS, '5', 50, 50}},
			3, 0, 0, "555", 3},
		{"auto-dialer 5555 at Q.24's 40 ms on / 40 ms off, both ways",
			{{'5', KEYED_EVENTS, '5', 40, 40}, {'5', KEYED_EVENTS, '5', 40, 40},
				{'5', KEYED_EVENTS, '5', 40, 40}, {'5', KEYED_EVENTS, '5', 40, 40}},
			4, 0, 0, "5555", 4},
		{"auto-dialer 555 at 50/50, events 40 ms late",
			{{'5', KEYED_EVENTS, '5', 50, 50}, {'5', KEYED_EVENTS, '5', 50, 50},
				{'5', KEYED_EVENTS, '5', 50, 50}},
			3, 2, 0, "555", 3},
		{"auto-dialer 5555 at 40/40, events 20 ms late",
			{{'5', KEYED_EVENTS, '5', 40, 40}, {'5', KEYED_EVENTS, '5', 40, 40},
				{'5', KEYED_EVENTS, '5', 40, 40}, {'5', KEYED_EVENTS, '5', 40, 40}},
			4, 1, 0, "5555", 4},
		{"auto-dialer 555 at 50/50, events 100 ms late",
			{{'5', KEYED_EVENTS, '5', 50, 50}, {'5', KEYED_EVENTS, '5', 50, 50},
				{'5', KEYED_EVENTS, '5', 50, 50}},
			3, 5, 0, "555", 3},
		{"one press, its tone in two pieces (40 ms gap)",
			{{'4', KEYED_EVENTS, '4', 240, 100, 100, 40}}, 1, 0, 0, "4", 2},
		{"one press, its tone in two pieces, its end packets lost",
			{{'4', KEYED_LOST_END, '4', 240, 100, 100, 40}}, 1, 0, 0, "4", 2},
		{"one press, its tone in two pieces, events 160 ms late",
			{{'4', KEYED_EVENTS, '4', 240, 100, 100, 40}}, 1, 8, 0, "4", 2},
		{"end packets lost, tones normal, same key twice at 50/50",
			{{'7', KEYED_LOST_END, '7', 50, 50}, {'7', KEYED_LOST_END, '7', 50, 50}}, 2,
			0, 0, "77", 2},
		{"end packets lost, the audio after the lost-end timeout",
			{{'8', KEYED_LOST_END, '8', 100, 100}}, 1, -1, 0, "8", 1},
		{"events of one key, the tone of another", {{'5', KEYED_EVENTS, '6', 100, 100}}, 1,
			0, 0, "?56", 0},
		{"timestamps across 2^32: tone only, events only, both",
			{{'3', KEYED_NONE, '3', 50, 50}, {'3', KEYED_EVENTS, 0, 50, 50},
				{'3', KEYED_EVENTS, '3', 50, 50}},
			3, 0, 0xffffffffu - 200 * 8 - 100 * 8 + 1, "333", 1},
	};
	struct hl_media_leg a, b;
	struct stream st = {CUST, 4390, 20290, 0, 9000, 0, 0x3e3e3e3e};
	uint64_t legs0 = hl_media_legs(eng), dup0, keys = 0;
	unsigned int tones;

	teach_arp(CUST);
	teach_arp(AGENT);
	drain();
	leg(&a, 64, 0, 20290, 20292, CUST, 4390, 0, 101);
	a.dtmf_inband = a.dtmf_suppress = 1;
	leg(&b, 64, 1, 20292, 20290, AGENT, 5390, 0, 101);
	HL_CHECK(hl_media_set(eng, &a) == 0);
	HL_CHECK(hl_media_set(eng, &b) == 0);
	drain();

	/* The split tone is two presses to a detector alone. */
	{
		static uint8_t split[8000];
		size_t n = tone_audio(split, sizeof(split), 0, "4", 100, 0, 100, 40);

		n += tone_audio(split + n, sizeof(split) - n, 0, "4", 100, 0, 0, 200);
		HL_CHECK_STR(far_end_digits(split, n, 0), "44");
	}
	for (unsigned int c = 0; c < HL_ARRAY_SIZE(cases); c++) {
		if (cases[c].ts)
			st.ts = cases[c].ts;
		n_events = 0;
		dup0 = ctr(HL_CTR_DTMF_DUP);
		keyed_send(&st, 101, cases[c].ps, cases[c].n, 200, 400, cases[c].lag, &r);
		settle();
		HL_CHECK_INT(r.events, 0);
		char got[16];
		const char *want = cases[c].want + (cases[c].want[0] == '?');

		snprintf(got, sizeof(got), "%s", any_digits(64, 0, &tones));
		if (want != cases[c].want && strlen(got) == 2 && got[0] > got[1]) {
			char x = got[0];

			got[0] = got[1];
			got[1] = x;
		}
		HL_CHECK_MSG(strcmp(got, want) == 0, "%s: '%s' reported, want '%s'", cases[c].name,
			any_digits(64, 0, &tones), cases[c].want);
		HL_CHECK_MSG(ctr(HL_CTR_DTMF_DUP) - dup0 == cases[c].dups,
			"%s: %" PRIu64 " duplicates, want %u", cases[c].name,
			ctr(HL_CTR_DTMF_DUP) - dup0, cases[c].dups);
		HL_CHECK_MSG(far_end_digits(r.audio, r.n, 0)[0] == '\0', "%s: agent hears '%s'",
			cases[c].name, far_end_digits(r.audio, r.n, 0));
		keys += strlen(want);
	}

	/* Every press once on the leg's record. Then a press at the leg's start: its first
	 * packets carry it both ways. */
	n_finals = 0;
	HL_CHECK(hl_media_del(eng, 0, 20290) == 0);
	drain();
	HL_CHECK_INT(n_finals, 1);
	HL_CHECK_INT(finals[0].dtmf, keys);
	HL_CHECK(hl_media_set(eng, &a) == 0);
	drain();
	{
		static const struct keyed_press first = {'2', KEYED_EVENTS, '2', 100, 100};

		n_events = 0;
		dup0 = ctr(HL_CTR_DTMF_DUP);
		st.seq += 1000; /* a new sender's stream */
		st.ts += 123456;
		keyed_send(&st, 101, &first, 1, 0, 400, 0, &r);
		settle();
		HL_CHECK_STR(any_digits(64, 0, &tones), "2");
		HL_CHECK_INT(ctr(HL_CTR_DTMF_DUP) - dup0, 1);
	}

	n_finals = 0;
	HL_CHECK(hl_media_del(eng, 0, 20290) == 0);
	HL_CHECK(hl_media_del(eng, 0, 20292) == 0);
	drain();
	HL_CHECK_INT(hl_media_legs(eng), legs0);
	HL_CHECK_INT(hl_media_inband_legs(eng), 0);
	HL_CHECK_INT(n_finals, 2);
	for (unsigned int i = 0; i < n_finals; i++)
		HL_CHECK_INT(finals[i].dtmf, finals[i].side == 0 ? 1 : 0);
}

/* ---- telephone-events of our own (hl_media_dtmf) ---- */

/* The timestamp step of the agent's audio in collect(): 160 a 20 ms packet is real
 * time; less is a sender whose clock runs slow. */
static uint32_t audio_ts_step = 160;
/* The agent's audio PT in collect(), and the audio check_press() lets between events. */
static uint8_t audio_pt = 0;

/*
 * What one leg sent while a press of ours went out on it: loop turns every 10 ms for
 * ms, the agent's audio (seq from *aseq, to agent port aport) fed every other turn
 * while feed, every frame to the customer collected into got (parsed with srtp).
 */
static unsigned int
collect(struct seen *got, unsigned int max, int ms, uint16_t aport, uint16_t *aseq, int feed,
	struct hl_srtp_ctx *srtp)
{
	struct rte_mbuf *out[64];
	unsigned int k = 0;

	for (int t = 0; t < ms / 10; t++) {
		if (feed && t % 2 == 0) {
			uint8_t pl[160], rtp[256], f[512];

			memset(pl, 0x5a, sizeof(pl));
			size_t len = rtp_pkt(
				rtp, audio_pt, 0, *aseq, *aseq * audio_ts_step, 0x4242, pl, 160);
			inject(f, udp_frame(f, AGENT, (uint16_t)(aport + 3000), aport, rtp, len));
			(*aseq)++;
		}
		usleep(10000);
		unsigned int n = run(out, 64);
		for (unsigned int i = 0; i < n; i++) {
			if (k < max) {
				HL_CHECK(parse_out(out[i], &got[k], srtp) == 0);
				HL_CHECK(got[k].udp_ok);
				k++;
			}
		}
		free_all(out, n);
	}
	return k;
}

/*
 * Checks the frames a press went out in: one stream (ssrc, seq + 1 each, relayed audio
 * and events alike), the events PT te, key ev, one timestamp not behind the audio sent
 * before, the marker on the first alone, durations rising to dur units, the end bit on
 * the last three, which carry dur. Returns the events seen.
 */
static unsigned int
check_press(const struct seen *got, unsigned int n, uint32_t ssrc, uint8_t te, uint8_t ev,
	uint32_t dur, uint16_t first_seq, uint32_t ts_before)
{
	unsigned int nev = 0, ends = 0;
	uint32_t ts = 0, last_dur = 0;

	for (unsigned int i = 0; i < n; i++) {
		const struct seen *s = &got[i];

		HL_CHECK_MSG(s->ssrc == ssrc, "frame %u: ssrc %#x", i, s->ssrc);
		HL_CHECK_MSG(s->seq == (uint16_t)(first_seq + i), "frame %u: seq %u, want %u", i,
			s->seq, (uint16_t)(first_seq + i));
		if (s->pt != te) {
			HL_CHECK_MSG(s->pt == audio_pt && s->plen == 160, "frame %u: pt %u", i,
				s->pt);
			continue;
		}
		HL_CHECK_MSG(s->plen == 4 && s->payload[0] == ev, "frame %u: event %u", i,
			s->payload[0]);
		uint32_t d = (uint32_t)s->payload[2] << 8 | s->payload[3];
		int end = s->payload[1] >> 7;
		HL_CHECK_MSG(s->marker == (nev == 0), "frame %u: marker %u", i, s->marker);
		HL_CHECK_MSG((s->payload[1] & 0x3f) == 10, "frame %u: volume", i);
		if (nev == 0) {
			ts = s->ts;
			/* the stream's timeline: not before the audio before it (at it when
			 * that left in the loop turn the press started in), by under 1 s */
			HL_CHECK_MSG((int32_t)(ts - ts_before) >= 0 && ts - ts_before < 8000,
				"event ts %u, audio before %u", ts, ts_before);
		}
		HL_CHECK_MSG(s->ts == ts, "frame %u: ts %u, want %u", i, s->ts, ts);
		HL_CHECK_MSG(d >= last_dur && d <= dur, "frame %u: duration %u after %u", i, d,
			last_dur);
		HL_CHECK_MSG(!ends || end, "frame %u: an update after the end", i);
		if (end) {
			HL_CHECK_MSG(d == dur, "frame %u: end duration %u", i, d);
			ends++;
		}
		last_dur = d;
		nev++;
	}
	HL_CHECK_MSG(ends == 3, "%u end packets", ends);
	/* start, updates every 50 ms, three ends */
	HL_CHECK_MSG(nev >= 3 + 1 + (dur - 1) / 400, "%u events for %u units", nev, dur);
	return nev;
}

/*
 * A press by INFO for a leg whose remote takes telephone-events: the worker sends it
 * in the leg's outgoing stream, between the agent's relayed audio, sequence numbers
 * continuous through both, and a late audio packet that would reuse a number is
 * dropped. A press queued behind another goes after it, later on the timeline.
 */
HL_TEST(dtmf_sent_as_telephone_events_in_the_stream)
{
	struct hl_media_leg a, b;
	static struct seen got[256];
	uint16_t aseq = 300;
	unsigned int n;

	/* The customer (trunk) negotiated telephone-event 101, the agent none. */
	leg(&a, 40, 0, 20300, 20302, CUST, 4300, 0, 101);
	leg(&b, 40, 1, 20302, 20300, AGENT, 23302, 0, -1);
	HL_CHECK(hl_media_set(eng, &a) == 0);
	HL_CHECK(hl_media_set(eng, &b) == 0);
	drain();
	/* The customer's own events: reported once (control sends the agent an INFO),
	 * never relayed to a leg that has no telephone-event PT to map them to. */
	struct rte_mbuf *out[16];
	uint64_t sup = drop_of(HL_DROP_RTP_DTMF_SUPPRESSED);
	n_events = 0;
	for (uint16_t i = 0; i < 4; i++)
		send_rtp(CUST, 4300, 20300, 0, (uint16_t)(50 + i), 0x77aa, 0x33, NULL);
	for (int i = 0; i < 6; i++) {
		uint16_t dur = (uint16_t)(160 * (i < 3 ? i + 1 : 3));
		uint8_t ev[4] = {3, (uint8_t)((i >= 3 ? 0x80 : 0) | 10), (uint8_t)(dur >> 8),
			(uint8_t)dur};
		uint8_t rtp[64], f[256];
		size_t k = rtp_pkt(rtp, 101, i == 0, (uint16_t)(54 + i), 54 * 160, 0x77aa, ev, 4);
		inject(f, udp_frame(f, CUST, 4300, 20300, rtp, k));
	}
	n = run(out, 16);
	for (unsigned int i = 0; i < n; i++) {
		struct seen sn;
		HL_CHECK(parse_out(out[i], &sn, NULL) == 0 && sn.pt == 0);
	}
	free_all(out, n);
	HL_CHECK_MSG(n == 3, "the audio relayed, %u", n);
	HL_CHECK_INT(drop_of(HL_DROP_RTP_DTMF_SUPPRESSED), sup + 6);
	HL_CHECK(n_events == 1 && events[0].digit == '3' && events[0].call == 40 &&
		 events[0].local_port == 20300);

	/* the agent's audio reaches the customer: the stream has started */
	n = collect(got, HL_ARRAY_SIZE(got), 100, 20302, &aseq, 1, NULL);
	HL_CHECK_MSG(n >= 3, "audio relayed %u", n);
	if (n < 3)
		return;
	uint16_t seq0 = got[n - 1].seq, before = (uint16_t)(aseq - 1);
	uint32_t ts0 = got[n - 1].ts;
	uint64_t inj = ctr(HL_CTR_DTMF_INJECTED), dropped = ctr(HL_CTR_DTMF_INJECT_DROPPED);

	/* '7' for 120 ms (960 units), then '#' with no duration (100 ms, 800) */
	HL_CHECK(hl_media_dtmf(eng, 0, 20300, '7', 120) == 0);
	HL_CHECK(hl_media_dtmf(eng, 0, 20300, '#', 0) == 0);
	HL_CHECK(hl_media_dtmf(eng, 0, 20300, 'x', 0) == -EINVAL);
	HL_CHECK(hl_media_dtmf(eng, 0, 19000, '1', 0) == -EINVAL);
	n = collect(got, HL_ARRAY_SIZE(got), 700, 20302, &aseq, 1, NULL);
	HL_CHECK_INT(ctr(HL_CTR_DTMF_INJECTED), inj + 2);
	HL_CHECK_INT(ctr(HL_CTR_DTMF_INJECT_DROPPED), dropped);
	/* the two presses: split where the second's first packet is */
	unsigned int cut = 0;
	for (unsigned int i = 0; i < n && !cut; i++)
		if (got[i].pt == 101 && got[i].payload[0] == 11)
			cut = i;
	HL_CHECK_MSG(cut > 0, "no second press in %u frames", n);
	if (cut == 0)
		return;
	HL_CHECK(check_press(got, cut, a.ssrc, 101, 7, 960, (uint16_t)(seq0 + 1), ts0) > 0);
	uint32_t ts7 = 0;
	for (unsigned int i = 0; i < cut && ts7 == 0; i++)
		if (got[i].pt == 101)
			ts7 = got[i].ts;
	/* the second starts after the first's end on the timeline */
	unsigned int last_audio = 0;
	for (unsigned int i = 0; i < cut; i++)
		if (got[i].pt == 0)
			last_audio = i;
	HL_CHECK(check_press(got + cut, n - cut, a.ssrc, 101, 11, 800, (uint16_t)(seq0 + 1 + cut),
			 ts7 + 960) > 0);
	/* (equal when audio left in the loop turn the press started in) */
	HL_CHECK(last_audio > 0 && (int32_t)(got[cut].ts - got[last_audio].ts) >= 0);
	/* audio relayed while the presses went: the agent's stream went on through them */
	unsigned int audio = 0;
	for (unsigned int i = 0; i < n; i++)
		audio += got[i].pt == 0;
	HL_CHECK_MSG(audio >= 20, "audio during the presses %u", audio);

	/* a late packet of the agent from before the presses, whose number now would be
	 * one the events took: dropped */
	uint64_t late = drop_of(HL_DROP_RTP_LATE);
	send_rtp(AGENT, 23302, 20302, 0, before, 0x4242, 0x5a, NULL);
	unsigned int k = run(out, 16);
	free_all(out, k);
	HL_CHECK_INT(k, 0);
	HL_CHECK_INT(drop_of(HL_DROP_RTP_LATE), late + 1);
	/* and the next one continues the stream */
	uint16_t last = got[n - 1].seq;
	n = collect(got, HL_ARRAY_SIZE(got), 40, 20302, &aseq, 1, NULL);
	HL_CHECK(n >= 1 && got[0].seq == (uint16_t)(last + 1) && got[0].pt == 0);

	/* The agent's leg has no telephone-event: a press for it is dropped, counted. */
	dropped = ctr(HL_CTR_DTMF_INJECT_DROPPED);
	HL_CHECK(hl_media_dtmf(eng, 0, 20302, '1', 100) == 0);
	n = collect(got, HL_ARRAY_SIZE(got), 60, 20302, &aseq, 0, NULL);
	HL_CHECK_INT(ctr(HL_CTR_DTMF_INJECT_DROPPED), dropped + 1);
	for (unsigned int i = 0; i < n; i++)
		HL_CHECK(got[i].pt != 101);

	/* A full queue drops what does not fit; a leg deleted drops what waits for it. */
	inj = ctr(HL_CTR_DTMF_INJECTED);
	for (unsigned int i = 0; i < HL_MEDIA_DTMF_QUEUE + 2; i++)
		HL_CHECK(hl_media_dtmf(eng, 0, 20300, '5', 100) == 0);
	run(NULL, 0);
	HL_CHECK_INT(ctr(HL_CTR_DTMF_INJECT_DROPPED), dropped + 3);
	HL_CHECK(hl_media_del(eng, 0, 20300) == 0);
	HL_CHECK(hl_media_del(eng, 0, 20302) == 0);
	n = collect(got, HL_ARRAY_SIZE(got), 60, 20302, &aseq, 0, NULL);
	HL_CHECK_INT(ctr(HL_CTR_DTMF_INJECT_DROPPED), dropped + 3 + HL_MEDIA_DTMF_QUEUE);
	HL_CHECK_INT(ctr(HL_CTR_DTMF_INJECTED), inj);
	drain();
	HL_CHECK(hl_media_pending(eng) == 0);
}

/* A sender whose audio is stamped slower than real time: the next press is still
 * placed after the end of the one before on the leg's timeline, never into it. */
HL_TEST(dtmf_sent_as_telephone_events_not_overlapping)
{
	struct hl_media_leg a, b;
	static struct seen got[256];
	uint16_t aseq = 600;
	unsigned int n, starts = 0;
	uint32_t ts[2] = {0, 0};

	leg(&a, 42, 0, 20320, 20322, CUST, 4320, 0, 101);
	leg(&b, 42, 1, 20322, 20320, AGENT, 23322, 0, -1);
	HL_CHECK(hl_media_set(eng, &a) == 0);
	HL_CHECK(hl_media_set(eng, &b) == 0);
	drain();
	audio_ts_step = 40; /* a quarter of real time */
	n = collect(got, HL_ARRAY_SIZE(got), 60, 20322, &aseq, 1, NULL);
	HL_CHECK(hl_media_dtmf(eng, 0, 20320, '1', 100) == 0);
	HL_CHECK(hl_media_dtmf(eng, 0, 20320, '2', 100) == 0);
	n = collect(got, HL_ARRAY_SIZE(got), 600, 20322, &aseq, 1, NULL);
	audio_ts_step = 160;
	for (unsigned int i = 0; i < n; i++)
		if (got[i].pt == 101 && got[i].marker && starts < 2)
			ts[starts++] = got[i].ts;
	HL_CHECK_INT(starts, 2);
	/* the second at the first's end (800 units), where the slow audio put it before */
	HL_CHECK_MSG(ts[1] - ts[0] == 800, "second press %d units after the first",
		(int32_t)(ts[1] - ts[0]));
	HL_CHECK(hl_media_del(eng, 0, 20320) == 0);
	HL_CHECK(hl_media_del(eng, 0, 20322) == 0);
	drain();
}

/* The same on an SRTP leg: the events leave protected with the leg's key, in the
 * sequence of the audio around them, so the customer's libsrtp takes every one (a
 * number used twice would fail its replay check). */
HL_TEST(dtmf_sent_as_telephone_events_srtp)
{
	struct hl_media_leg a, b;
	struct hl_srtp_key kc, kh;
	struct hl_srtp_ctx c_in;
	static struct seen got[256];
	uint16_t aseq = 900;
	unsigned int n;

	HL_CHECK(hl_srtp_key_generate(&kc, HL_SRTP_AES_CM_128_HMAC_SHA1_80) == 0);
	HL_CHECK(hl_srtp_key_generate(&kh, HL_SRTP_AES_CM_128_HMAC_SHA1_80) == 0);
	HL_CHECK(hl_srtp_ctx_init(&c_in, &kh, HL_SRTP_INBOUND, NULL) == 0);
	leg(&a, 41, 0, 20310, 20312, CUST, 4310, 0, 101);
	leg(&b, 41, 1, 20312, 20310, AGENT, 23312, 0, -1);
	a.srtp_rx = a.srtp_tx = 1;
	a.rx_key = kc;
	a.tx_key = kh;
	HL_CHECK(hl_media_set(eng, &a) == 0);
	HL_CHECK(hl_media_set(eng, &b) == 0);
	drain();
	n = collect(got, HL_ARRAY_SIZE(got), 100, 20312, &aseq, 1, &c_in);
	HL_CHECK_MSG(n >= 3, "audio relayed %u", n);
	if (n < 3)
		goto out;
	uint16_t seq0 = got[n - 1].seq;
	uint32_t ts0 = got[n - 1].ts;
	uint64_t inj = ctr(HL_CTR_DTMF_INJECTED);
	uint64_t srtp_err = drop_of(HL_DROP_SRTP_ERROR);
	HL_CHECK(hl_media_dtmf(eng, 0, 20310, 'D', 80) == 0);
	n = collect(got, HL_ARRAY_SIZE(got), 400, 20312, &aseq, 1, &c_in);
	HL_CHECK_INT(ctr(HL_CTR_DTMF_INJECTED), inj + 1);
	HL_CHECK_INT(drop_of(HL_DROP_SRTP_ERROR), srtp_err);
	HL_CHECK(check_press(got, n, a.ssrc, 101, 15, 640, (uint16_t)(seq0 + 1), ts0) > 0);
	HL_CHECK(hl_media_del(eng, 0, 20310) == 0);
	HL_CHECK(hl_media_del(eng, 0, 20312) == 0);
	drain();
out:
	hl_srtp_ctx_fini(&c_in);
	hl_srtp_key_wipe(&kc);
	hl_srtp_key_wipe(&kh);
}

/*
 * A press is counted injected only when its packets went out. The customer's outbound
 * key has a lifetime of one packet (RFC 4568 §6.1): the first press's start takes it and
 * its later packets cannot be protected, a press with a packet missing is dropped; the
 * next press's start cannot go at all: tried on ten ticks, dropped too, nothing of it
 * sent.
 */
HL_TEST(dtmf_injected_only_when_sent)
{
	struct hl_media_leg a, b;
	struct hl_srtp_key kc, kh;
	struct hl_srtp_ctx c_in;
	static struct seen got[64];
	uint16_t aseq = 1200;
	unsigned int n, te = 0;

	HL_CHECK(hl_srtp_key_generate(&kc, HL_SRTP_AES_CM_128_HMAC_SHA1_80) == 0);
	HL_CHECK(hl_srtp_key_generate(&kh, HL_SRTP_AES_CM_128_HMAC_SHA1_80) == 0);
	HL_CHECK(hl_srtp_ctx_init(&c_in, &kh, HL_SRTP_INBOUND, NULL) == 0);
	leg(&a, 43, 0, 20330, 20332, CUST, 4330, 0, 101);
	leg(&b, 43, 1, 20332, 20330, AGENT, 23332, 0, -1);
	a.srtp_rx = a.srtp_tx = 1;
	a.rx_key = kc;
	a.tx_key = kh;
	a.tx_key.lifetime = 1;
	HL_CHECK(hl_media_set(eng, &a) == 0);
	HL_CHECK(hl_media_set(eng, &b) == 0);
	drain();
	uint64_t inj = ctr(HL_CTR_DTMF_INJECTED), dropped = ctr(HL_CTR_DTMF_INJECT_DROPPED);
	uint64_t expired = drop_of(HL_DROP_SRTP_KEY_EXPIRED);

	HL_CHECK(hl_media_dtmf(eng, 0, 20330, '4', 100) == 0);
	n = collect(got, HL_ARRAY_SIZE(got), 400, 20332, &aseq, 0, &c_in);
	for (unsigned int i = 0; i < n; i++)
		te += got[i].pt == 101;
	HL_CHECK_MSG(n == 1 && te == 1 && got[0].marker && got[0].payload[0] == 4,
		"%u frames, %u events", n, te);
	HL_CHECK(drop_of(HL_DROP_SRTP_KEY_EXPIRED) > expired);
	HL_CHECK_INT(ctr(HL_CTR_DTMF_INJECTED), inj);
	HL_CHECK_INT(ctr(HL_CTR_DTMF_INJECT_DROPPED), dropped + 1);

	expired = drop_of(HL_DROP_SRTP_KEY_EXPIRED);
	HL_CHECK(hl_media_dtmf(eng, 0, 20330, '5', 100) == 0);
	n = collect(got, HL_ARRAY_SIZE(got), 400, 20332, &aseq, 0, &c_in);
	HL_CHECK_MSG(n == 0, "%u frames of a press that could not start", n);
	HL_CHECK(drop_of(HL_DROP_SRTP_KEY_EXPIRED) > expired);
	HL_CHECK_INT(ctr(HL_CTR_DTMF_INJECTED), inj);
	HL_CHECK_INT(ctr(HL_CTR_DTMF_INJECT_DROPPED), dropped + 2);
	HL_CHECK(hl_media_del(eng, 0, 20330) == 0);
	HL_CHECK(hl_media_del(eng, 0, 20332) == 0);
	drain();
	hl_srtp_ctx_fini(&c_in);
	hl_srtp_key_wipe(&kc);
	hl_srtp_key_wipe(&kh);
}

/* Every mbuf of the worker's pool, taken (chained through next) and given back: the
 * worker's own packets (ours, its RTCP) find none meanwhile; relayed ones need none. */
static struct rte_mbuf *hoard;

static void
pool_exhaust(void)
{
	struct rte_mbuf *m;

	while ((m = rte_pktmbuf_alloc(wk->pool)) != NULL) {
		m->next = hoard;
		hoard = m;
	}
}

static void
pool_release(void)
{
	while (hoard != NULL) {
		struct rte_mbuf *next = hoard->next;

		hoard->next = NULL;
		rte_pktmbuf_free(hoard);
		hoard = next;
	}
}

/*
 * A press cut short: its start went out, then the worker ran out of mbufs for a while,
 * so its first update could not go. It ends once mbufs are back, three end packets with
 * the duration of the start (what the far end last heard), not left with its key down
 * nor resumed; counted dropped. End packets that find no mbufs are tried again.
 */
HL_TEST(dtmf_inject_cut_short_still_ends)
{
	struct hl_media_leg a, b;
	static struct seen got[64];
	uint16_t aseq = 1300;
	unsigned int n, ends = 0;

	leg(&a, 44, 0, 20340, 20342, CUST, 4340, 0, 101);
	leg(&b, 44, 1, 20342, 20340, AGENT, 23342, 0, -1);
	HL_CHECK(hl_media_set(eng, &a) == 0);
	HL_CHECK(hl_media_set(eng, &b) == 0);
	drain();
	uint64_t inj = ctr(HL_CTR_DTMF_INJECTED), dropped = ctr(HL_CTR_DTMF_INJECT_DROPPED);
	uint64_t nombuf = drop_of(HL_DROP_NO_MBUF);

	HL_CHECK(hl_media_dtmf(eng, 0, 20340, '6', 100) == 0);
	n = 0;
	for (int t = 0; t < 5 && n == 0; t++) /* the tick's turn, then the start */
		n = collect(got, HL_ARRAY_SIZE(got), 10, 20342, &aseq, 0, NULL);
	HL_CHECK_MSG(n == 1 && got[0].pt == 101 && got[0].marker && !(got[0].payload[1] & 0x80),
		"%u frames for the start", n);
	if (n != 1)
		goto out;
	uint32_t first = (uint32_t)got[0].payload[2] << 8 | got[0].payload[3];
	uint16_t seq = got[0].seq;
	uint32_t ts = got[0].ts;
	/* past the first update (50 ms on) */
	pool_exhaust();
	n = collect(got, HL_ARRAY_SIZE(got), 80, 20342, &aseq, 0, NULL);
	pool_release();
	HL_CHECK_MSG(n == 0, "%u frames without mbufs", n);
	HL_CHECK(drop_of(HL_DROP_NO_MBUF) > nombuf);
	n = collect(got, HL_ARRAY_SIZE(got), 300, 20342, &aseq, 0, NULL);
	for (unsigned int i = 0; i < n; i++) {
		uint32_t d = (uint32_t)got[i].payload[2] << 8 | got[i].payload[3];

		HL_CHECK_MSG(got[i].pt == 101 && got[i].ts == ts && got[i].payload[0] == 6 &&
				     !got[i].marker && got[i].seq == (uint16_t)(seq + 1 + i),
			"frame %u: pt %u ts %u seq %u", i, got[i].pt, got[i].ts, got[i].seq);
		HL_CHECK_MSG((got[i].payload[1] & 0x80) && d == first,
			"frame %u: end %u, duration %u (start's %u)", i, got[i].payload[1] >> 7, d,
			first);
		ends += got[i].payload[1] >> 7;
	}
	HL_CHECK_MSG(n == 3 && ends == 3, "%u frames, %u ends", n, ends);
	HL_CHECK_INT(ctr(HL_CTR_DTMF_INJECTED), inj);
	HL_CHECK_INT(ctr(HL_CTR_DTMF_INJECT_DROPPED), dropped + 1);

	/* A 40 ms press whose end packets find no mbufs when due (40, 60, 80 ms on): they
	 * go once mbufs are back, all three, and the press counts as sent. */
	n = 0;
	HL_CHECK(hl_media_dtmf(eng, 0, 20340, '9', 40) == 0);
	for (int t = 0; t < 5 && n == 0; t++)
		n = collect(got, HL_ARRAY_SIZE(got), 10, 20342, &aseq, 0, NULL);
	HL_CHECK_MSG(n == 1 && got[0].marker && got[0].payload[0] == 9, "%u frames", n);
	pool_exhaust();
	n = collect(got, HL_ARRAY_SIZE(got), 80, 20342, &aseq, 0, NULL);
	pool_release();
	HL_CHECK_MSG(n == 0, "%u frames without mbufs", n);
	n = collect(got, HL_ARRAY_SIZE(got), 300, 20342, &aseq, 0, NULL);
	ends = 0;
	for (unsigned int i = 0; i < n; i++) {
		uint32_t d = (uint32_t)got[i].payload[2] << 8 | got[i].payload[3];

		HL_CHECK_MSG(got[i].pt == 101 && (got[i].payload[1] & 0x80) && d == 320,
			"frame %u: pt %u end %u duration %u", i, got[i].pt, got[i].payload[1] >> 7,
			d);
		ends += got[i].payload[1] >> 7;
	}
	HL_CHECK_MSG(n == 3 && ends == 3, "%u frames, %u ends", n, ends);
	HL_CHECK_INT(ctr(HL_CTR_DTMF_INJECTED), inj + 1);
	HL_CHECK_INT(ctr(HL_CTR_DTMF_INJECT_DROPPED), dropped + 1);
out:
	pool_release();
	HL_CHECK(hl_media_del(eng, 0, 20340) == 0);
	HL_CHECK(hl_media_del(eng, 0, 20342) == 0);
	drain();
}

/*
 * A press whose start finds no mbufs: tried again on the next ticks, it goes once mbufs
 * are back, whole (marker, updates, three ends), stamped where the stream is when it
 * went (not behind the audio relayed meanwhile), and counts as sent. A second press of
 * the leg queued behind it waits its turn. With no mbufs for longer than the tries last
 * (200 ms) the press is dropped, nothing of it sent.
 */
HL_TEST(dtmf_inject_start_retried)
{
	struct hl_media_leg a, b;
	static struct seen got[64];
	uint16_t aseq = 1400;
	unsigned int n, nev = 0, ends = 0;

	leg(&a, 45, 0, 20344, 20346, CUST, 4344, 0, 101);
	leg(&b, 45, 1, 20346, 20344, AGENT, 23346, 0, -1);
	HL_CHECK(hl_media_set(eng, &a) == 0);
	HL_CHECK(hl_media_set(eng, &b) == 0);
	drain();
	/* audio relayed towards the customer first, so its stream has started */
	n = collect(got, HL_ARRAY_SIZE(got), 60, 20346, &aseq, 1, NULL);
	HL_CHECK_MSG(n >= 2, "%u audio frames", n);
	uint32_t audio_ts = n > 0 ? got[n - 1].ts : 0;
	uint16_t audio_seq = n > 0 ? got[n - 1].seq : 0;
	uint64_t inj = ctr(HL_CTR_DTMF_INJECTED), dropped = ctr(HL_CTR_DTMF_INJECT_DROPPED);
	uint64_t nombuf = drop_of(HL_DROP_NO_MBUF);

	pool_exhaust();
	HL_CHECK(hl_media_dtmf(eng, 0, 20344, '7', 100) == 0);
	HL_CHECK(hl_media_dtmf(eng, 0, 20344, '8', 60) == 0);
	n = collect(got, HL_ARRAY_SIZE(got), 80, 20346, &aseq, 0, NULL);
	pool_release();
	HL_CHECK_MSG(n == 0, "%u frames without mbufs", n);
	HL_CHECK(drop_of(HL_DROP_NO_MBUF) > nombuf);
	HL_CHECK_INT(ctr(HL_CTR_DTMF_INJECT_DROPPED), dropped);
	n = collect(got, HL_ARRAY_SIZE(got), 500, 20346, &aseq, 0, NULL);
	uint32_t ts7 = 0, ts8 = 0;
	for (unsigned int i = 0; i < n; i++) {
		const struct seen *g = &got[i];

		if (g->pt != 101)
			continue;
		HL_CHECK_MSG(g->seq == (uint16_t)(audio_seq + 1 + i), "frame %u: seq %u", i, g->seq);
		if (g->payload[0] == 7) {
			HL_CHECK_MSG(nev > 0 || g->marker, "the first of 7 without the marker");
			HL_CHECK_MSG(ts8 == 0, "7 after 8 began");
			ts7 = g->ts;
			nev++;
			ends += g->payload[1] >> 7;
		} else if (g->payload[0] == 8 && ts8 == 0) {
			ts8 = g->ts;
		}
	}
	HL_CHECK_MSG(nev >= 5 && ends == 3, "key 7: %u events, %u ends", nev, ends);
	/* stamped at its send, 80 ms and more past the last audio, not at its first try */
	HL_CHECK_MSG((int32_t)(ts7 - audio_ts) >= 8 * 80, "7 at %u, audio at %u", ts7, audio_ts);
	HL_CHECK_MSG(ts8 != 0 && (int32_t)(ts8 - (ts7 + 800)) >= 0, "8 at %u, 7 at %u", ts8, ts7);
	HL_CHECK_INT(ctr(HL_CTR_DTMF_INJECTED), inj + 2);
	HL_CHECK_INT(ctr(HL_CTR_DTMF_INJECT_DROPPED), dropped);

	/* no mbufs for 300 ms: ten tries, then dropped */
	pool_exhaust();
	HL_CHECK(hl_media_dtmf(eng, 0, 20344, '3', 100) == 0);
	n = collect(got, HL_ARRAY_SIZE(got), 300, 20346, &aseq, 0, NULL);
	pool_release();
	HL_CHECK_MSG(n == 0, "%u frames without mbufs", n);
	n = collect(got, HL_ARRAY_SIZE(got), 200, 20346, &aseq, 0, NULL);
	HL_CHECK_MSG(n == 0, "%u frames of a press given up on", n);
	HL_CHECK_INT(ctr(HL_CTR_DTMF_INJECTED), inj + 2);
	HL_CHECK_INT(ctr(HL_CTR_DTMF_INJECT_DROPPED), dropped + 1);
	pool_release();
	HL_CHECK(hl_media_del(eng, 0, 20344) == 0);
	HL_CHECK(hl_media_del(eng, 0, 20346) == 0);
	drain();
}

/*
 * The agent's telephone-events relayed towards the customer while a press of ours runs
 * there: not interleaved with ours in the customer's one stream. The agent's press
 * that starts during ours is dropped (rtp_dtmf_during_ours) to its end, past ours; the
 * agent's next press is relayed.
 */
HL_TEST(dtmf_relayed_events_held_during_ours)
{
	struct hl_media_leg a, b;
	static struct seen got[256];
	struct rte_mbuf *out[64];
	uint16_t aseq = 1400;
	unsigned int n = 0, ours = 0, our_ends = 0, theirs = 0, first3 = 0;

	leg(&a, 45, 0, 20350, 20352, CUST, 4350, 0, 101);
	leg(&b, 45, 1, 20352, 20350, AGENT, 23352, 0, 101);
	HL_CHECK(hl_media_set(eng, &a) == 0);
	HL_CHECK(hl_media_set(eng, &b) == 0);
	drain();
	/* the agent's audio: its source passes probation, the stream to the customer starts */
	n = collect(got, HL_ARRAY_SIZE(got), 100, 20352, &aseq, 1, NULL);
	HL_CHECK_MSG(n >= 3, "audio relayed %u", n);
	uint64_t held = drop_of(HL_DROP_RTP_DTMF_HELD);

	HL_CHECK(hl_media_dtmf(eng, 0, 20350, '1', 200) == 0);
	n = 0;
	for (int t = 0; t < 5 && n == 0; t++)
		n = collect(got, HL_ARRAY_SIZE(got), 10, 20352, &aseq, 0, NULL);
	HL_CHECK_MSG(n == 1 && got[0].pt == 101 && got[0].marker && got[0].payload[0] == 1,
		"%u frames for our start", n);
	if (n != 1)
		goto out;
	uint32_t our_ts = got[0].ts;
	n = 0;
	/* The agent presses '2' for 400 ms (ours ends at 200 ms, its ends by 260 ms), then
	 * '3' for 60 ms: a packet every 20 ms, and the end three times. */
	uint32_t ts2 = (uint32_t)aseq * 160, ts3 = ts2 + 8000;
	unsigned int sent2 = 0;
	for (int t = 0; t < 2 * (20 + 2 + 3 + 3) + 30; t++) {
		int k = t / 2, ev = -1, end = 0;
		uint16_t dur = 0;

		if (t % 2 == 0 && k < 23) {
			ev = 2;
			end = k >= 20;
			dur = (uint16_t)(160 * (k < 20 ? k + 1 : 20));
			sent2++;
		} else if (t % 2 == 0 && k >= 25 && k < 31) {
			ev = 3;
			end = k >= 28;
			dur = (uint16_t)(160 * (k < 28 ? k - 24 : 3));
		}
		if (ev >= 0) {
			uint8_t pl[4] = {(uint8_t)ev, (uint8_t)((end ? 0x80 : 0) | 10),
				(uint8_t)(dur >> 8), (uint8_t)dur};
			uint8_t rtp[64], f[256];
			size_t len = rtp_pkt(rtp, 101, k == 0 || k == 25, aseq++, ev == 2 ? ts2 : ts3,
				0x4242, pl, 4);
			inject(f, udp_frame(f, AGENT, 23352, 20352, rtp, len));
		}
		usleep(10000);
		unsigned int m = run(out, 64);
		for (unsigned int i = 0; i < m; i++) {
			if (n < HL_ARRAY_SIZE(got) && parse_out(out[i], &got[n], NULL) == 0)
				n++;
		}
		free_all(out, m);
	}
	for (unsigned int i = 0; i < n; i++) {
		HL_CHECK_MSG(got[i].pt == 101, "frame %u: pt %u", i, got[i].pt);
		if (got[i].payload[0] == 1) {
			HL_CHECK_MSG(got[i].ts == our_ts && theirs == 0,
				"frame %u: ours at ts %u after %u of the agent's", i, got[i].ts,
				theirs);
			ours++;
			our_ends += got[i].payload[1] >> 7;
		} else {
			HL_CHECK_MSG(got[i].payload[0] == 3, "frame %u: the agent's key %u relayed", i,
				got[i].payload[0]);
			if (theirs++ == 0)
				first3 = i;
		}
	}
	/* ours: the start already seen, updates at 50, 100, 150 ms and three ends */
	HL_CHECK_MSG(our_ends == 3 && ours <= 3 + 3, "%u of ours after the start, %u ends", ours,
		our_ends);
	HL_CHECK_MSG(theirs == 6 && got[first3].marker, "%u of the agent's '3' relayed", theirs);
	HL_CHECK_INT(drop_of(HL_DROP_RTP_DTMF_HELD), held + sent2);
out:
	HL_CHECK(hl_media_del(eng, 0, 20350) == 0);
	HL_CHECK(hl_media_del(eng, 0, 20352) == 0);
	drain();
}

/* ---- in-band DTMF on G.722 ---- */

/* The customer's G.722 encoder and the agent's decoder: one each for the whole call, as
 * a terminal's (ADPCM: each follows the stream from its start). */
static g722_encode_state_t *cust_enc;
static g722_decode_state_t *agent_dec;

/*
 * G.711 audio (PCMU) as a wideband terminal would send it in G.722 (PT 9, RFC 3551
 * §4.5.2), through cust_enc: taken to 16 kHz (a sample between each pair, their mean)
 * and encoded at 64 kbit/s with both bands, one octet per 8 kHz sample, so n octets in,
 * n out.
 */
static void
g722_of_pcmu(const uint8_t *pcmu, size_t n, uint8_t *out)
{
	static int16_t wide[2 * 8000 * 8];
	g722_encode_state_t *enc = cust_enc;

	HL_CHECK(enc != NULL && 2 * n <= HL_ARRAY_SIZE(wide));
	for (size_t i = 0; i < n; i++) {
		int16_t a = ulaw_to_linear(pcmu[i]);
		int16_t b = i + 1 < n ? ulaw_to_linear(pcmu[i + 1]) : a;
		wide[2 * i] = a;
		wide[2 * i + 1] = (int16_t)((a + b) / 2);
	}
	HL_CHECK_INT(g722_encode(enc, out, wide, (int)(2 * n)), (int)n);
}

/* The keys a wideband far end (both bands decoded to 16 kHz by dec, pairs averaged to
 * 8 kHz for SpanDSP's detector) hears in a G.722 stream. dec NULL: a decoder of its own,
 * from the stream's start. */
static const char *
far_end_digits_g722(g722_decode_state_t *dec, const uint8_t *pl, size_t n)
{
	static char got[64];
	static int16_t wide[2 * 8000 * 8];
	int16_t lin[160];
	g722_decode_state_t *own = dec == NULL ? g722_decode_init(NULL, 64000, 0) : NULL;
	dtmf_rx_state_t *rx = dtmf_rx_init(NULL, NULL, NULL);

	if (dec == NULL)
		dec = own;
	int k;

	HL_CHECK(dec != NULL && rx != NULL && 2 * n <= HL_ARRAY_SIZE(wide));
	HL_CHECK_INT(g722_decode(dec, wide, pl, (int)n), (int)(2 * n));
	for (size_t off = 0; off < n; off += 160) {
		size_t c = n - off < 160 ? n - off : 160;
		for (size_t i = 0; i < c; i++)
			lin[i] = (int16_t)((wide[2 * (off + i)] + wide[2 * (off + i) + 1]) / 2);
		dtmf_rx(rx, lin, (int)c);
	}
	k = dtmf_rx_get(rx, got, (int)sizeof(got) - 1);
	got[k > 0 ? k : 0] = '\0';
	dtmf_rx_free(rx);
	if (own != NULL)
		g722_decode_free(own);
	return got;
}

/*
 * Sends n octets of G.722 on st in 160-octet packets and collects what reaches the agent
 * into relayed (in order, each the size it was sent, checksums good); counts the
 * packets that left as they came in *unchanged. Returns the packets relayed.
 */
static unsigned int
g722_relay(struct stream *st, const uint8_t *pl, size_t n, uint8_t *relayed, size_t *rn,
	unsigned int *unchanged)
{
	struct rte_mbuf *out[64];
	size_t offs[32];
	unsigned int batch = 0, packets = 0;

	*rn = 0;
	*unchanged = 0;
	for (size_t off = 0; off < n || batch;) {
		if (off < n && batch < 32) {
			uint8_t rtp[1600], f[1700];
			size_t c = n - off < 160 ? n - off : 160;
			size_t k = rtp_pkt(
				rtp, st->pt, 0, st->seq++, st->ts, st->ssrc, pl + off, c);

			st->ts += (uint32_t)c; /* RTP clock 8000 for G.722 (RFC 3551 §4.5.2) */
			inject(f, udp_frame(f, st->src, st->sport, st->dport, rtp, k));
			offs[batch++] = off;
			off += c;
			continue;
		}
		unsigned int m = run(out, 64);
		for (unsigned int i = 0; i < m; i++) {
			struct seen sn;
			size_t o = offs[batch - m + i];
			size_t c = n - o < 160 ? n - o : 160;

			HL_CHECK(parse_out(out[i], &sn, NULL) == 0);
			HL_CHECK(sn.udp_ok && sn.csum_ok && sn.pt == 9);
			HL_CHECK_MSG(sn.plen == c, "%zu octets, sent %zu", sn.plen, c);
			*unchanged += memcmp(sn.payload, pl + o, c) == 0;
			memcpy(relayed + *rn, sn.payload, sn.plen);
			*rn += sn.plen;
			packets++;
		}
		free_all(out, m);
		batch = 0;
	}
	return packets;
}

/*
 * A customer on G.722 keys in by tones: the leg takes a detector as it would on G.711,
 * and each key is reported once, in-band, the audio relayed unchanged. With
 * dtmf_suppress (PCI) each key is still reported once, but what reaches the agent holds
 * none (a wideband far end's detector finds nothing in it, though it finds every key
 * in what was sent), the packets muted counted; speech goes through untouched.
 */
HL_TEST(inband_dtmf_g722_reported_and_suppressed)
{
	static const char digits[] = "159*#0";
	static uint8_t pl[8000 * 8], got[8000 * 8];
	struct hl_media_leg a, b;
	struct stream st = {CUST, 4960, 20960, 9, 3000, 0, 0x7e7e7e7e};
	uint64_t ib0 = ctr(HL_CTR_DTMF_INBAND), mu0, mu, legs0 = hl_media_legs(eng);
	uint64_t ibl0 = hl_media_inband_legs(eng);
	unsigned int unchanged, sent, relayed;
	const char *heard;
	size_t n, rn;

	HL_CHECK((cust_enc = g722_encode_init(NULL, 64000, 0)) != NULL);
	HL_CHECK((agent_dec = g722_decode_init(NULL, 64000, 0)) != NULL);
	teach_arp(CUST);
	teach_arp(AGENT);
	drain();
	leg(&a, 66, 0, 20960, 20962, CUST, 4960, 9, -1);
	a.dtmf_inband = 1;
	leg(&b, 66, 1, 20962, 20960, AGENT, 5960, 9, 101);
	HL_CHECK(hl_media_set(eng, &a) == 0);
	HL_CHECK(hl_media_set(eng, &b) == 0);
	drain();
	HL_CHECK_INT(hl_media_inband_legs(eng), ibl0 + 1);

	/* relay: reported once each, the tones reach the agent as sent */
	n_events = 0;
	n = tone_audio(tone_buf, sizeof(tone_buf), 0, digits, 100, 100, 200, 400);
	g722_of_pcmu(tone_buf, n, pl);
	HL_CHECK_STR(far_end_digits_g722(NULL, pl, n), digits); /* the far end's ears work */
	sent = (unsigned int)((n + 159) / 160);
	relayed = g722_relay(&st, pl, n, got, &rn, &unchanged);
	HL_CHECK_STR(far_end_digits_g722(agent_dec, got, rn), digits);
	HL_CHECK_MSG(relayed == sent - 1, "relayed %u of %u", relayed, sent); /* probation */
	HL_CHECK_INT(unchanged, relayed);
	HL_CHECK_STR(inband_digits(66, 0), digits);
	HL_CHECK_INT(ctr(HL_CTR_DTMF_INBAND), ib0 + 6);

	/* suppress: reported once each, none reaches the agent */
	a.dtmf_suppress = 1;
	HL_CHECK(hl_media_set(eng, &a) == 0);
	drain();
	n_events = 0;
	mu0 = ctr(HL_CTR_RTP_DTMF_MUTED);
	n = tone_audio(tone_buf, sizeof(tone_buf), 0, "2468*#", 100, 100, 200, 400);
	g722_of_pcmu(tone_buf, n, pl);
	relayed = g722_relay(&st, pl, n, got, &rn, &unchanged);
	HL_CHECK_INT(relayed, (n + 159) / 160);
	HL_CHECK_STR(inband_digits(66, 0), "2468*#");
	HL_CHECK_STR(far_end_digits_g722(agent_dec, got, rn), "");
	/* 100 ms a key is five or six packets: all but the first, and two after it */
	mu = ctr(HL_CTR_RTP_DTMF_MUTED) - mu0;
	HL_CHECK_MSG(mu >= 6 * 4 && mu <= 6 * 8, "%llu packets muted", (unsigned long long)mu);
	HL_CHECK_INT(relayed - unchanged, mu);
	/* a key starting anywhere in a packet */
	for (unsigned int off = 0; off < 160; off += 23) {
		const char key[2] = {"0123456789*#ABCD"[off % 16], '\0'};

		n_events = 0;
		memset(tone_buf, 0xff, 100 + off);
		n = 100 + off +
		    tone_audio(
			    tone_buf + 100 + off, sizeof(tone_buf) - 200, 0, key, 100, 0, 0, 200);
		g722_of_pcmu(tone_buf, n, pl);
		g722_relay(&st, pl, n, got, &rn, &unchanged);
		HL_CHECK_STR(inband_digits(66, 0), key);
		heard = far_end_digits_g722(agent_dec, got, rn);
		HL_CHECK_MSG(heard[0] == '\0', "key at %u: agent hears '%s'", off, heard);
	}
	/* speech goes through as it is */
	n_events = 0;
	mu0 = ctr(HL_CTR_RTP_DTMF_MUTED);
	n = speech_audio(speech_buf, sizeof(speech_buf), 0, 2000);
	g722_of_pcmu(speech_buf, n, pl);
	relayed = g722_relay(&st, pl, n, got, &rn, &unchanged);
	HL_CHECK_INT(n_events, 0);
	HL_CHECK_INT(unchanged, relayed);
	HL_CHECK_INT(relayed, n / 160);
	HL_CHECK_INT(ctr(HL_CTR_RTP_DTMF_MUTED), mu0);

	HL_CHECK(hl_media_del(eng, 0, 20960) == 0);
	HL_CHECK(hl_media_del(eng, 0, 20962) == 0);
	drain();
	HL_CHECK_INT(hl_media_legs(eng), legs0);
	HL_CHECK_INT(hl_media_inband_legs(eng), ibl0);
	g722_encode_free(cust_enc);
	g722_decode_free(agent_dec);
	cust_enc = NULL;
	agent_dec = NULL;
}

/* n octets of a loud hum (hz, near full scale) as PCMU: a G.722 encoder fed it ends with
 * its lower band's step size and predictor far from where a new one starts. */
static void
loud_hum(uint8_t *out, size_t n, int hz)
{
	for (size_t i = 0; i < n; i++)
		out[i] = linear_to_ulaw((int)(30000 * sin(2 * M_PI * hz * (double)i / 8000)));
}

/*
 * A G.722 customer's terminal that starts its stream again, a new SSRC and its encoder
 * afresh (or the leg moved to another remote, whose encoder is new): the detector's
 * decoder starts afresh with it. A decoder that went on from the loud audio before would
 * decode the new encoder's first codes with the loud hum's step size and predictor, and
 * the key that opens the new stream would be lost until it caught up.
 */
HL_TEST(inband_g722_new_source_decoded_afresh)
{
	static uint8_t hum[8000], pl[8000 * 2], got[8000 * 2];
	struct hl_media_leg a, b;
	struct stream st = {CUST, 4970, 20970, 9, 5000, 0, 0x51515151};
	unsigned int unchanged;
	size_t n, rn;

	HL_CHECK((cust_enc = g722_encode_init(NULL, 64000, 0)) != NULL);
	leg(&a, 67, 0, 20970, 20972, CUST, 4970, 9, -1);
	a.dtmf_inband = 1;
	leg(&b, 67, 1, 20972, 20970, AGENT, 5970, 9, 101);
	HL_CHECK(hl_media_set(eng, &a) == 0);
	HL_CHECK(hl_media_set(eng, &b) == 0);
	drain();
	for (int round = 0; round < 2; round++) {
		loud_hum(hum, sizeof(hum), 300);
		g722_of_pcmu(hum, sizeof(hum), pl);
		g722_relay(&st, pl, sizeof(hum), got, &rn, &unchanged);
		HL_CHECK(rn > 0);
		g722_encode_free(cust_enc);
		HL_CHECK((cust_enc = g722_encode_init(NULL, 64000, 0)) != NULL);
		if (round == 0) {
			/* the same remote, a new SSRC */
			st.ssrc = 0x52525252;
			st.seq = 9000;
			st.ts = 123456;
		} else {
			/* another remote (a transfer), its stream in the same SSRC and sequence */
			a.remote_port = st.sport = 4971;
			HL_CHECK(hl_media_set(eng, &a) == 0);
			drain();
		}
		n_events = 0;
		/* a new SSRC's first packet is its probation: the key in the third */
		n = tone_audio(tone_buf, sizeof(tone_buf), 0, "7", 50, 0, round == 0 ? 40 : 0, 200);
		g722_of_pcmu(tone_buf, n, pl);
		g722_relay(&st, pl, n, got, &rn, &unchanged);
		HL_CHECK_MSG(strcmp(inband_digits(67, 0), "7") == 0, "round %d: heard '%s'", round,
			inband_digits(67, 0));
	}
	HL_CHECK(hl_media_del(eng, 0, 20970) == 0);
	HL_CHECK(hl_media_del(eng, 0, 20972) == 0);
	drain();
	g722_encode_free(cust_enc);
	cust_enc = NULL;
}

/*
 * The largest |sample| a wideband far end decodes (dec, both bands, 16 kHz) in the muted
 * packets of relayed (the 160-octet packets that differ from sent), from 5 ms into the
 * first muted one; the others are decoded too, as the far end decodes them all.
 */
static int
far_end_muted_peak(g722_decode_state_t *dec, const uint8_t *sent, const uint8_t *relayed,
	size_t n, unsigned int *muted)
{
	int16_t wide[320];
	int peak = 0;

	*muted = 0;
	for (size_t off = 0; off + 160 <= n; off += 160) {
		bool m = memcmp(sent + off, relayed + off, 160) != 0;

		HL_CHECK_INT(g722_decode(dec, wide, relayed + off, 160), 320);
		for (int i = m && *muted == 0 ? 80 : 0; m && i < 320; i++)
			if (abs(wide[i]) > peak)
				peak = abs(wide[i]);
		*muted += m;
	}
	return peak;
}

/*
 * A PCI customer on G.722 moved to another agent after a loud 2 kHz whistle: the new
 * agent's decoder starts afresh, so the muting encoder starts from a fresh state too,
 * not from the first agent's. A key pressed right after the move is muted to silence at
 * the new agent (no sample above 100 after the first 5 ms; 3 here) and the new agent
 * hears no key; from the first agent's state the silence came out there at over 800.
 */
HL_TEST(inband_g722_muting_follows_a_new_agent)
{
	static uint8_t hum[8000], pl[8000 * 2], got[8000 * 2];
	struct hl_media_leg a, b, c;
	struct stream st = {CUST, 4980, 20980, 9, 7000, 0, 0x53535353};
	g722_decode_state_t *agent2;
	unsigned int unchanged, muted;
	size_t n, rn;

	HL_CHECK((cust_enc = g722_encode_init(NULL, 64000, 0)) != NULL);
	HL_CHECK((agent2 = g722_decode_init(NULL, 64000, 0)) != NULL);
	leg(&a, 68, 0, 20980, 20982, CUST, 4980, 9, -1);
	a.dtmf_inband = 1;
	a.dtmf_suppress = 1;
	leg(&b, 68, 1, 20982, 20980, AGENT, 5980, 9, 101);
	leg(&c, 68, 1, 20984, 20980, AGENT, 5984, 9, 101);
	HL_CHECK(hl_media_set(eng, &a) == 0);
	HL_CHECK(hl_media_set(eng, &b) == 0);
	drain();
	loud_hum(hum, sizeof(hum), 2000);
	g722_of_pcmu(hum, sizeof(hum), pl);
	g722_relay(&st, pl, sizeof(hum), got, &rn, &unchanged);
	HL_CHECK(rn > 0 && unchanged > 0);
	/* the move: the customer's leg bridged to the second agent's */
	a.peer_port = 20984;
	HL_CHECK(hl_media_set(eng, &c) == 0);
	HL_CHECK(hl_media_set(eng, &a) == 0);
	HL_CHECK(hl_media_del(eng, 0, 20982) == 0);
	drain();
	n_events = 0;
	n = tone_audio(tone_buf, sizeof(tone_buf), 0, "8", 200, 0, 0, 200);
	g722_of_pcmu(tone_buf, n, pl);
	HL_CHECK_INT(g722_relay(&st, pl, n, got, &rn, &unchanged), (n + 159) / 160);
	HL_CHECK_STR(inband_digits(68, 0), "8");
	int peak = far_end_muted_peak(agent2, pl, got, rn, &muted);
	HL_CHECK_MSG(muted >= 8, "%u packets muted", muted);
	HL_CHECK_MSG(peak <= 100, "the new agent decodes the muted packets at up to %d", peak);
	HL_CHECK_STR(far_end_digits_g722(NULL, got, rn), ""); /* its decoder from the move */
	HL_CHECK(hl_media_del(eng, 0, 20980) == 0);
	HL_CHECK(hl_media_del(eng, 0, 20984) == 0);
	drain();
	g722_decode_free(agent2);
	g722_encode_free(cust_enc);
	cust_enc = NULL;
}

int
main(int argc, char **argv)
{
	char err[HL_CONFIG_ERR_MAX];
	char *eal[] = {argv[0], "-l", "0", "--no-huge", "-m", "256", "--no-pci", "--no-shconf",
		"--no-telemetry", "--file-prefix=hl-test-media", "--log-level=*:error"};

	if (rte_eal_init(HL_ARRAY_SIZE(eal), eal) < 0)
		HL_SKIP("EAL cannot start here");
	if (hl_srtp_global_init() != 0) {
		fprintf(stderr, "libsrtp init failed\n");
		return 1;
	}
	pool = rte_pktmbuf_pool_create("test_pool", 4095, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE, 0);
	rxr = rte_ring_create("test_rx", 1024, 0, 0);
	txr = rte_ring_create("test_tx", 1024, 0, 0);
	int pid = pool && rxr && txr ? rte_eth_from_rings("net_ring_m", &rxr, 1, &txr, 1, 0) : -1;
	char name[RTE_ETH_NAME_MAX_LEN], conf[512];
	if (pid < 0 || rte_eth_dev_get_name_by_port((uint16_t)pid, name) != 0) {
		fprintf(stderr, "test setup failed\n");
		return 1;
	}
	int cl = snprintf(conf, sizeof(conf), conf_fmt, name);
	if (hl_config_parse(&cfg, "test.conf", conf, (size_t)cl, err, sizeof(err)) != 0) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	eng = hl_engine_create(&cfg, err, sizeof(err));
	if (eng == NULL) {
		fprintf(stderr, "engine: %s\n", err);
		return 1;
	}
	wk = hl_engine_worker(eng, 0);
	rte_eth_macaddr_get(hl_engine_port_id(eng, 0), &emac);
	/* Cases build on each other (legs and latching carry over), in order. */
	(void)argc;
	int rc = hl_test_run(1, argv);
	hl_engine_free(eng);
	rte_eal_cleanup();
	return rc;
} /* ---- Opus ---- */

/* One Opus packet as sent, 20 ms of 8 kHz audio encoded. */
struct opus_pkt {
	uint8_t b[256];
	uint16_t len;
};

/* n samples of 8 kHz audio (lin) as 20 ms Opus packets from enc; returns the count. */
static unsigned int
opus_of_lin(OpusEncoder *enc, const int16_t *lin, size_t n, struct opus_pkt *out, unsigned int max)
{
	unsigned int k = 0;

	for (size_t off = 0; off + 160 <= n && k < max; off += 160, k++) {
		int r = opus_encode(enc, lin + off, 160, out[k].b, (opus_int32)sizeof(out[k].b));
		HL_CHECK(r > 2);
		out[k].len = (uint16_t)(r > 0 ? r : 0);
	}
	return k;
}

/* G.711 octets (PCMU) to 8 kHz linear, for the tone and speech generators above. */
static void
lin_of_pcmu(const uint8_t *in, size_t n, int16_t *lin)
{
	for (size_t i = 0; i < n; i++)
		lin[i] = ulaw_to_linear(in[i]);
}

/*
 * Sends np Opus packets on st (RTP clock 48000: 960 units a 20 ms packet, RFC 7587
 * §4.1) and collects what reaches the agent: relayed[i] is the packet that left for
 * sent packet i (len 0: none, the first of a new source is on probation). Returns the
 * packets relayed.
 */
static unsigned int
opus_relay(struct stream *st, const struct opus_pkt *pk, unsigned int np, struct opus_pkt *relayed)
{
	struct rte_mbuf *out[64];
	unsigned int idx[32], batch = 0, packets = 0;

	for (unsigned int i = 0; i < np; i++)
		relayed[i].len = 0;
	for (unsigned int i = 0; i < np || batch;) {
		if (i < np && batch < 32) {
			uint8_t rtp[1600], f[1700];
			size_t k = rtp_pkt(
				rtp, st->pt, 0, st->seq++, st->ts, st->ssrc, pk[i].b, pk[i].len);

			st->ts += 960;
			inject(f, udp_frame(f, st->src, st->sport, st->dport, rtp, k));
			idx[batch++] = i++;
			continue;
		}
		unsigned int m = run(out, 64);
		for (unsigned int j = 0; j < m; j++) {
			struct seen sn;
			unsigned int o = idx[batch - m + j];

			HL_CHECK(parse_out(out[j], &sn, NULL) == 0);
			HL_CHECK(sn.udp_ok && sn.csum_ok && sn.pt == st->pt);
			HL_CHECK_MSG(
				sn.plen == pk[o].len, "%zu octets, sent %u", sn.plen, pk[o].len);
			memcpy(relayed[o].b, sn.payload, sn.plen);
			relayed[o].len = (uint16_t)sn.plen;
			packets++;
		}
		free_all(out, m);
		batch = 0;
	}
	return packets;
}

/* The keys a far end hears in Opus packets decoded by dec at 8 kHz (packets of len 0
 * skipped, as lost); peak, when not NULL, gets each packet's largest decoded sample. */
static const char *
far_end_digits_opus(OpusDecoder *dec, const struct opus_pkt *pk, unsigned int np, int *peak)
{
	static char got[64];
	dtmf_rx_state_t *rx = dtmf_rx_init(NULL, NULL, NULL);
	int16_t lin[960];
	int k;

	HL_CHECK(rx != NULL);
	for (unsigned int i = 0; i < np; i++) {
		if (peak != NULL)
			peak[i] = 0;
		if (pk[i].len == 0)
			continue;
		k = opus_decode(dec, pk[i].b, pk[i].len, lin, 960, 0);
		HL_CHECK_MSG(k == 160, "packet %u: %d samples", i, k);
		for (int j = 0; j < k && peak != NULL; j++)
			peak[i] = abs(lin[j]) > peak[i] ? abs(lin[j]) : peak[i];
		dtmf_rx(rx, lin, k > 0 ? k : 0);
	}
	k = dtmf_rx_get(rx, got, (int)sizeof(got) - 1);
	got[k > 0 ? k : 0] = '\0';
	dtmf_rx_free(rx);
	return got;
}

/*
 * A customer on Opus (a dynamic PT at 48000, RFC 7587) keys in by tones: the leg takes a
 * detector and an Opus decoder, and each key is reported once, in-band, the audio
 * relayed unchanged. With dtmf_suppress each key is still reported once and what
 * reaches the agent holds none: the packets the tones were in leave as Opus silence of
 * the same length and duration (the agent's decoder plays near-silence there, past the
 * first few milliseconds of the first muted packet), the others unchanged; speech goes
 * through untouched. A second Opus leg finds the pool's one Opus decoder taken and runs
 * without a detector (dtmf_inband_no_slot).
 */
HL_TEST(inband_dtmf_opus_reported_and_suppressed)
{
	static const char digits[] = "159*#0";
	static int16_t lin[8000 * 8];
	static struct opus_pkt pk[400], got[400];
	static int peak[400];
	struct hl_media_leg a, b, c;
	struct stream st = {CUST, 4990, 20990, 111, 9000, 0, 0x0b0b0b0b};
	uint64_t ib0 = ctr(HL_CTR_DTMF_INBAND), ns0, mu0, mu;
	uint64_t ibl0 = hl_media_inband_legs(eng);
	unsigned int np, relayed, unchanged = 0;
	int err;
	size_t n;
	OpusEncoder *enc = opus_encoder_create(8000, 1, OPUS_APPLICATION_VOIP, &err);
	OpusDecoder *adec = opus_decoder_create(8000, 1, &err);

	HL_CHECK(enc != NULL && adec != NULL);
	if (enc == NULL || adec == NULL)
		goto out;
	HL_CHECK(opus_encoder_ctl(enc, OPUS_SET_BITRATE(24000)) == OPUS_OK);
	teach_arp(CUST);
	teach_arp(AGENT);
	drain();
	leg(&a, 71, 0, 20990, 20992, CUST, 4990, 111, -1);
	a.clock_rate = 48000;
	a.dtmf_inband = 1;
	leg(&b, 71, 1, 20992, 20990, AGENT, 5990, 111, 101);
	b.clock_rate = 48000;
	HL_CHECK(hl_media_set(eng, &a) == 0);
	HL_CHECK(hl_media_set(eng, &b) == 0);
	drain();
	HL_CHECK_INT(hl_media_inband_legs(eng), ibl0 + 1);

	/* relay: reported once each, the tones reach the agent as sent */
	n_events = 0;
	n = tone_audio(tone_buf, sizeof(tone_buf), 0, digits, 100, 100, 200, 400);
	lin_of_pcmu(tone_buf, n, lin);
	np = opus_of_lin(enc, lin, n, pk, HL_ARRAY_SIZE(pk));
	relayed = opus_relay(&st, pk, np, got);
	HL_CHECK_MSG(relayed == np - 1, "relayed %u of %u", relayed, np); /* probation */
	for (unsigned int i = 1; i < np; i++)
		unchanged += got[i].len == pk[i].len && memcmp(got[i].b, pk[i].b, pk[i].len) == 0;
	HL_CHECK_INT(unchanged, relayed);
	HL_CHECK_STR(far_end_digits_opus(adec, got, np, NULL), digits);
	HL_CHECK_STR(inband_digits(71, 0), digits);
	HL_CHECK_INT(ctr(HL_CTR_DTMF_INBAND), ib0 + 6);

	/* suppress: reported once each, none reaches the agent */
	a.dtmf_suppress = 1;
	HL_CHECK(hl_media_set(eng, &a) == 0);
	drain();
	n_events = 0;
	mu0 = ctr(HL_CTR_RTP_DTMF_MUTED);
	n = tone_audio(tone_buf, sizeof(tone_buf), 0, "2468*#", 100, 100, 200, 400);
	lin_of_pcmu(tone_buf, n, lin);
	np = opus_of_lin(enc, lin, n, pk, HL_ARRAY_SIZE(pk));
	relayed = opus_relay(&st, pk, np, got);
	HL_CHECK_INT(relayed, np);
	HL_CHECK_STR(inband_digits(71, 0), "2468*#");
	HL_CHECK_STR(far_end_digits_opus(adec, got, np, peak), "");
	unchanged = 0;
	for (unsigned int i = 0; i < np; i++) {
		bool same = memcmp(got[i].b, pk[i].b, pk[i].len) == 0;

		unchanged += same;
		HL_CHECK_INT(opus_packet_get_nb_samples(got[i].b, got[i].len, 48000), 960);
		/* muted, after the first muted packet of a run (the far end's decoder
		 * fading out of the tone): near-silence, below -40 dBov */
		if (!same && i > 0 && memcmp(got[i - 1].b, pk[i - 1].b, pk[i - 1].len) != 0)
			HL_CHECK_MSG(peak[i] < 330, "packet %u: muted, peak %d", i, peak[i]);
	}
	/* 100 ms a key is five packets: all but the first, and two after it */
	mu = ctr(HL_CTR_RTP_DTMF_MUTED) - mu0;
	HL_CHECK_MSG(mu >= 6 * 4 && mu <= 6 * 8, "%llu packets muted", (unsigned long long)mu);
	HL_CHECK_INT(relayed - unchanged, mu);

	/* speech goes through as it is */
	n_events = 0;
	mu0 = ctr(HL_CTR_RTP_DTMF_MUTED);
	n = speech_audio(speech_buf, sizeof(speech_buf), 0, 2000);
	lin_of_pcmu(speech_buf, n, lin);
	np = opus_of_lin(enc, lin, n, pk, HL_ARRAY_SIZE(pk));
	relayed = opus_relay(&st, pk, np, got);
	unchanged = 0;
	for (unsigned int i = 0; i < np; i++)
		unchanged += got[i].len == pk[i].len && memcmp(got[i].b, pk[i].b, pk[i].len) == 0;
	HL_CHECK_INT(n_events, 0);
	HL_CHECK_INT(relayed, np);
	HL_CHECK_INT(unchanged, relayed);
	HL_CHECK_INT(ctr(HL_CTR_RTP_DTMF_MUTED), mu0);

	/* the pool's one Opus decoder is taken: another Opus leg runs without */
	ns0 = ctr(HL_CTR_DTMF_INBAND_NO_SLOT);
	leg(&c, 72, 0, 20994, 0, CUST, 4994, 111, -1);
	c.clock_rate = 48000;
	c.dtmf_inband = 1;
	HL_CHECK(hl_media_set(eng, &c) == 0);
	drain();
	HL_CHECK_INT(ctr(HL_CTR_DTMF_INBAND_NO_SLOT), ns0 + 1);
	HL_CHECK_INT(hl_media_inband_legs(eng), ibl0 + 1);
	HL_CHECK(hl_media_del(eng, 0, 20994) == 0);

	HL_CHECK(hl_media_del(eng, 0, 20990) == 0);
	HL_CHECK(hl_media_del(eng, 0, 20992) == 0);
	drain();
	HL_CHECK_INT(hl_media_inband_legs(eng), ibl0);
out:
	opus_encoder_destroy(enc);
	opus_decoder_destroy(adec);
}/* Telephone-event 101 of press key (5 updates of 20 ms, the end three times) from the
 * customer at port 4994 to 20994, durations in units of te_clock, stamped ts. */
static void
send_press_at(uint8_t key, uint32_t te_clock, uint16_t *seq, uint32_t ts)
{
	for (unsigned int i = 1; i <= 5; i++) {
		uint8_t ev[4], rtp[64], f[256];
		unsigned int dur = te_clock / 50 * i;

		ev[0] = key;
		ev[1] = (uint8_t)((i == 5 ? 0x80 : 0) | 10);
		ev[2] = (uint8_t)(dur >> 8);
		ev[3] = (uint8_t)dur;
		for (unsigned int c = 0; c < (i == 5 ? 3u : 1u); c++) {
			int mark = i == 1 && c == 0;
			size_t k = rtp_pkt(rtp, 101, mark, (*seq)++, ts, 0x0d0d0d0d, ev, 4);
			inject(f, udp_frame(f, CUST, 4994, 20994, rtp, k));
		}
	}
}

/*
 * An Opus leg (RTP clock 48000) whose telephone-events run at 8000 (its rtpmap says
 * telephone-event/8000, as many senders offer with Opus; te_clock): their durations
 * are 8 kHz units on the 48 kHz audio's timeline. A 100 ms press (800 units) is
 * reported as 100 ms and relayed to a peer of the same event clock; a press of ours on
 * the leg goes with 8 kHz durations (100 ms: 800). To a peer whose events run at the
 * codec's clock the events are not relayed (rtp_dtmf_suppressed; control sends the
 * press on in the peer's units), and still reported.
 */
HL_TEST(dtmf_opus_events_at_8000)
{
	static struct seen got[256];
	struct hl_media_leg a, b;
	struct rte_mbuf *out[32];
	uint16_t seq = 300, aseq = 900;
	unsigned int n, relayed = 0;

	teach_arp(CUST);
	teach_arp(AGENT);
	drain();
	leg(&a, 74, 0, 20994, 20996, CUST, 4994, 111, 101);
	a.clock_rate = 48000;
	a.te_clock = 8000;
	leg(&b, 74, 1, 20996, 20994, AGENT, 23996, 111, 101);
	b.clock_rate = 48000;
	b.te_clock = 8000;
	HL_CHECK(hl_media_set(eng, &a) == 0);
	HL_CHECK(hl_media_set(eng, &b) == 0);
	drain();
	n_events = 0;
	send_press_at(5, 8000, &seq, 48000 * 3);
	n = run(out, 32);
	for (unsigned int i = 0; i < n; i++) {
		struct seen s;
		HL_CHECK(parse_out(out[i], &s, NULL) == 0);
		relayed += s.pt == 101;
	}
	free_all(out, n);
	HL_CHECK_INT(relayed, 6); /* the first held on probation (RFC 3550 A.1) */
	HL_CHECK_INT(n_events, 1);
	HL_CHECK(n_events == 1 && events[0].digit == '5' && events[0].call == 74);
	HL_CHECK_MSG(n_events == 1 && events[0].duration_ms == 100, "press of %u ms",
		n_events ? events[0].duration_ms : 0);

	/* ours on the customer's leg: the agent's audio starts the stream first */
	audio_pt = 111;
	audio_ts_step = 960;
	n = collect(got, HL_ARRAY_SIZE(got), 100, 20996, &aseq, 1, NULL);
	HL_CHECK_MSG(n >= 3, "audio relayed %u", n);
	if (n >= 3) {
		uint16_t seq0 = got[n - 1].seq;
		uint32_t ts0 = got[n - 1].ts;
		uint64_t inj = ctr(HL_CTR_DTMF_INJECTED);

		HL_CHECK(hl_media_dtmf(eng, 0, 20994, '7', 100) == 0);
		n = collect(got, HL_ARRAY_SIZE(got), 400, 20996, &aseq, 1, NULL);
		HL_CHECK_INT(ctr(HL_CTR_DTMF_INJECTED), inj + 1);
		HL_CHECK(check_press(got, n, a.ssrc, 101, 7, 800, (uint16_t)(seq0 + 1), ts0) > 0);
	}
	audio_pt = 0;
	audio_ts_step = 160;

	/* the agent's events at the codec's clock now: not relayed, still reported */
	b.te_clock = 0;
	HL_CHECK(hl_media_set(eng, &b) == 0);
	drain();
	n_events = 0;
	uint64_t sup = drop_of(HL_DROP_RTP_DTMF_SUPPRESSED);
	send_press_at(8, 8000, &seq, 48000 * 5);
	n = run(out, 32);
	free_all(out, n);
	HL_CHECK_INT(n, 0);
	HL_CHECK_INT(drop_of(HL_DROP_RTP_DTMF_SUPPRESSED), sup + 7);
	HL_CHECK(n_events == 1 && events[0].digit == '8' && events[0].duration_ms == 100);
	HL_CHECK(hl_media_del(eng, 0, 20994) == 0);
	HL_CHECK(hl_media_del(eng, 0, 20996) == 0);
	drain();
}

/*
 * An Opus suppress leg with telephone-events (at the codec's clock, 48000) whose sender
 * keys both ways: each key is reported once, from the events, which end first, and its
 * tone is swallowed (dtmf_dup_presses): both are placed on the 48 kHz timeline, the
 * tone's 8 kHz detector samples at six units each.
 */
HL_TEST(inband_dtmf_opus_one_report_with_telephone_events)
{
	static const char keys[] = "58";
	static int16_t lin[8000 * 4];
	static struct opus_pkt pk[200];
	struct hl_media_leg a, b;
	struct rte_mbuf *out[64];
	uint16_t seq = 100;
	uint32_t ts0 = 48000, ssrc = 0x0c0c0c0c;
	uint64_t dup0 = ctr(HL_CTR_DTMF_DUP);
	unsigned int np, tones, batch = 0;
	int err;
	OpusEncoder *enc = opus_encoder_create(8000, 1, OPUS_APPLICATION_VOIP, &err);

	HL_CHECK(enc != NULL);
	if (enc == NULL)
		return;
	teach_arp(CUST);
	teach_arp(AGENT);
	drain();
	leg(&a, 73, 0, 20996, 20998, CUST, 4996, 111, 101);
	a.clock_rate = 48000;
	a.dtmf_inband = a.dtmf_suppress = 1;
	leg(&b, 73, 1, 20998, 20996, AGENT, 5996, 111, 101);
	b.clock_rate = 48000;
	HL_CHECK(hl_media_set(eng, &a) == 0);
	HL_CHECK(hl_media_set(eng, &b) == 0);
	drain();
	n_events = 0;
	/* keys 100 ms on (five packets), 100 ms off, after 200 ms */
	size_t n = tone_audio(tone_buf, sizeof(tone_buf), 0, keys, 100, 100, 200, 400);
	lin_of_pcmu(tone_buf, n, lin);
	np = opus_of_lin(enc, lin, n, pk, HL_ARRAY_SIZE(pk));
	for (unsigned int i = 0; i < np; i++) {
		uint8_t rtp[1600], f[1700];
		uint32_t ts = ts0 + 960 * i;
		size_t k = rtp_pkt(rtp, 111, 0, seq++, ts, ssrc, pk[i].b, pk[i].len);

		inject(f, udp_frame(f, CUST, 4996, 20996, rtp, k));
		/* packets 10-14 hold the first key, 20-24 the second: events on them, the
		 * end sent three times with the last */
		unsigned int first = i >= 20 ? 20 : 10;
		if (i >= first && i < first + 5) {
			uint8_t ev[4];
			unsigned int dur = 960 * (i - first + 1), end = i == first + 4;
			ev[0] = (uint8_t)(keys[first == 20] - '0');
			ev[1] = (uint8_t)((end ? 0x80 : 0) | 10);
			ev[2] = (uint8_t)(dur >> 8);
			ev[3] = (uint8_t)dur;
			for (unsigned int c = 0; c < (end ? 3u : 1u); c++) {
				k = rtp_pkt(rtp, 101, i == first && c == 0, seq++, ts0 + 960 * first,
					ssrc, ev, sizeof(ev));
				inject(f, udp_frame(f, CUST, 4996, 20996, rtp, k));
			}
		}
		if (++batch == 8 || i + 1 == np) {
			free_all(out, run(out, 64));
			batch = 0;
		}
	}
	HL_CHECK_STR(any_digits(73, 0, &tones), keys);
	HL_CHECK_INT(tones, 0);
	HL_CHECK_INT(ctr(HL_CTR_DTMF_DUP), dup0 + 2);
	HL_CHECK(hl_media_del(eng, 0, 20996) == 0);
	HL_CHECK(hl_media_del(eng, 0, 20998) == 0);
	drain();
	opus_encoder_destroy(enc);
}


