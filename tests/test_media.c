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
#include <unistd.h>

#include <rte_eal.h>
#include <rte_eth_ring.h>
#include <rte_ethdev.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_ring.h>
#include <rte_udp.h>

#include "hl_test.h"
#include "hotline/common.h"
#include "hotline/config.h"
#include "hotline/counters.h"
#include "hotline/engine.h"
#include "hotline/media.h"
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
			       "[port t]\ndevice = %s\nipv4 = 10.0.0.1/24\n"
			       "[rtp]\nports = 20000-20999\n";

#define CUST "10.0.0.2"
#define AGENT "10.0.0.3"

static struct hl_media_event events[64];
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

/* What a frame the engine sent says: addresses, ports, RTP payload (SRTP undone). */
struct seen {
	char dst[16], src[16];
	uint16_t sport, dport;
	uint8_t pt;
	uint16_t seq;
	uint32_t ssrc;
	uint8_t payload[256];
	size_t plen;
	int csum_ok;
};

static int
parse_out(struct rte_mbuf *m, struct seen *s, struct hl_srtp_ctx *srtp)
{
	uint8_t buf[1600];
	const uint8_t *f = rte_pktmbuf_read(m, 0, rte_pktmbuf_pkt_len(m), buf);
	struct rte_ipv4_hdr ip;
	struct rte_udp_hdr u;
	uint8_t rtp[512];
	int n;

	memset(s, 0, sizeof(*s));
	if (f == NULL || rte_pktmbuf_pkt_len(m) < 42 || f[12] != 0x08 || f[13] != 0x00)
		return -1;
	memcpy(&ip, f + 14, sizeof(ip));
	memcpy(&u, f + 34, sizeof(u));
	inet_ntop(AF_INET, &ip.dst_addr, s->dst, sizeof(s->dst));
	inet_ntop(AF_INET, &ip.src_addr, s->src, sizeof(s->src));
	s->sport = rte_be_to_cpu_16(u.src_port);
	s->dport = rte_be_to_cpu_16(u.dst_port);
	s->csum_ok = rte_ipv4_cksum((const struct rte_ipv4_hdr *)(f + 14)) == 0 ||
		     ip.hdr_checksum == rte_ipv4_cksum(&ip);
	{
		/* Verify the UDP checksum over a copy laid out contiguously. */
		uint8_t tmp[1600];
		memcpy(tmp, f + 14, rte_pktmbuf_pkt_len(m) - 14);
		struct rte_ipv4_hdr *ipc = (struct rte_ipv4_hdr *)tmp;
		s->csum_ok = s->csum_ok &&
			     rte_ipv4_udptcp_cksum_verify(ipc, (struct rte_udp_hdr *)(ipc + 1)) == 0;
	}
	n = rte_be_to_cpu_16(u.dgram_len) - 8;
	if (n < 12 || n > (int)sizeof(rtp))
		return -1;
	memcpy(rtp, f + 42, (size_t)n);
	if (srtp != NULL && (n = hl_srtp_unprotect_rtp(srtp, rtp, (size_t)n)) < 0)
		return -2;
	s->pt = rtp[1] & 0x7f;
	s->seq = (uint16_t)(rtp[2] << 8 | rtp[3]);
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
teach_arp(const char *ip)
{
	uint8_t f[64];
	uint8_t *a = f + 14;

	memcpy(f, bcast, 6);
	memcpy(f + 6, pmac, 6);
	f[12] = 0x08;
	f[13] = 0x06;
	memset(a, 0, 28);
	a[1] = 1;
	a[2] = 0x08;
	a[4] = 6;
	a[5] = 4;
	a[7] = 1;
	memcpy(a + 8, pmac, 6);
	inet_pton(AF_INET, ip, a + 14);
	inet_pton(AF_INET, "10.0.0.1", a + 24);
	inject(f, 42);
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
}
