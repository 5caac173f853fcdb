/*
 * bench_relay.h: what bench_relay (net_ring) and bench_memif (net_memif) share about the
 * relay's test network, so both feed and check the engine the same way.
 *
 * Four engine ports, each with its own IPv4 /16 and 16 remote hosts; leg L belongs to call
 * L/2, and the two legs of a call sit at local ports p and p+2 of one port (leg_geo). The
 * frames are G.711 20 ms RTP (12-octet header + 160 octets, 214-byte frames), built from a
 * per-host Ethernet + IPv4 template; a frame hotline relays out of leg L goes from L's
 * local port to L's remote with L's SSRC (relayed_leg checks exactly that). Neighbours
 * are taught with ARP requests from the hosts (arp_request) and hotline's refresh probes
 * answered in place (arp_reply). Legs are made through the control API (leg_fill +
 * hl_media_set), the worker loop counts busy and idle cycles as the engine's own lcore
 * loop does (turn_account), and the worker's counters are sampled in WIN_MS windows
 * (struct wins). Everything here is static inline: each bench takes what it needs.
 */
#ifndef HL_BENCH_RELAY_H
#define HL_BENCH_RELAY_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_udp.h>

#include "hotline/common.h"
#include "hotline/csum.h"
#include "hotline/counters.h"
#include "hotline/media.h"

#define NPORTS	     4	  /* engine ports */
#define NHOSTS	     16	  /* remote hosts per port */
#define RTP_MIN	     6000 /* [rtp] ports = 6000-65535 */
#define RTP_MAX	     65535
#define RPORT0	     16000 /* remote hosts' first RTP port */
#define GBURST	     32
#define PAYLOAD	     160
#define RTP_LEN	     (12 + PAYLOAD)
#define HDRS	     42 /* Ethernet + IPv4 + UDP */
#define VERIFY_LEGS  16 /* output legs whose packets are fully checked */
#define WORKER_LCORE 1
#define MAX_STREAMS  (2u * NPORTS * ((RTP_MAX - 3 - RTP_MIN) / 4 + 1))
#define MAX_WIN	     256
#define WIN_MS	     250

/* ---- addresses ------------------------------------------------------------------ */

/*
 * Hugepages, as a DPDK deployment runs: at 100k legs the legs and the flow table span
 * about 100 MB, which 4 KiB pages cover with some 25 000 TLB entries and 2 MiB pages
 * with 50. HL_BENCH_HUGE=1 or 0 forces the choice; by default hugepages are used when
 * mb of them are free. A caller that starts other processes sets HL_BENCH_HUGE to its
 * choice first, so they all run on the same memory. EAL then runs --in-memory (memfd, no
 * hugetlbfs mount needed), else --no-huge; -m gives the heap either way.
 */
static inline bool
bench_hugepages(unsigned long mb)
{
	const char *e = getenv("HL_BENCH_HUGE");
	unsigned long free_pages = 0, rsvd = 0, kb = 0;
	char line[128];
	FILE *f;

	if (e != NULL && *e != '\0')
		return strcmp(e, "0") != 0;
	f = fopen("/proc/meminfo", "r");
	if (f == NULL)
		return false;
	while (fgets(line, sizeof(line), f) != NULL) {
		(void)sscanf(line, "HugePages_Free: %lu", &free_pages);
		(void)sscanf(line, "HugePages_Rsvd: %lu", &rsvd);
		(void)sscanf(line, "Hugepagesize: %lu kB", &kb);
	}
	fclose(f);
	/* Free counts pages promised to mappings but not yet touched (Rsvd). */
	return free_pages > rsvd && (free_pages - rsvd) * kb >= mb * 1024ul;
}

static inline uint32_t
our_ip(unsigned int pi)
{
	return 0x0a000000u | (10u + pi) << 16 | 1u; /* 10.(10+pi).0.1/16 */
}

static inline uint32_t
host_ip(unsigned int pi, unsigned int h)
{
	return 0x0a000000u | (10u + pi) << 16 | 1u << 8 | (1u + h); /* 10.(10+pi).1.(1+h) */
}

static inline void
host_mac(unsigned int pi, unsigned int h, uint8_t mac[6])
{
	const uint8_t m[6] = {0x02, 0x00, 0x5e, 0x10, (uint8_t)pi, (uint8_t)h};
	memcpy(mac, m, 6);
}

/* Where leg L lives: call c = L/2 on port c % NPORTS, block c / NPORTS of four local
 * ports (A RTP, A RTCP, B RTP, B RTCP); its remote is one of the port's hosts. */
struct geo {
	unsigned int pi, host;
	uint16_t lport, rport;
};

static inline void
leg_geo(uint32_t leg, struct geo *g)
{
	uint32_t c = leg >> 1, side = leg & 1, b = c / NPORTS, li = 2 * b + side;

	g->pi = c % NPORTS;
	g->lport = (uint16_t)(RTP_MIN + 4 * b + 2 * side);
	g->host = li % NHOSTS;
	g->rport = (uint16_t)(RPORT0 + 2 * (li / NHOSTS));
}

/* The leg a frame hotline sent from local port sport of port pi belongs to. */
static inline uint32_t
leg_of(unsigned int pi, uint16_t sport)
{
	uint32_t o = (uint32_t)(sport - RTP_MIN);
	return 2 * ((o >> 2) * NPORTS + pi) + ((o >> 1) & 1);
}

static inline uint32_t
remote_ssrc(uint32_t leg)
{
	return 0x10000000u | leg;
}

static inline uint32_t
our_ssrc(uint32_t leg)
{
	return 0x20000000u | leg;
}

/* ---- frames --------------------------------------------------------------------- */

/* Ethernet + IPv4 of a frame from host h of port pi to the port (MAC dst), rtp_len
 * octets of RTP/SRTP in UDP. */
static inline void
tmpl_build(uint8_t t[34], const struct rte_ether_addr *dst, unsigned int pi, unsigned int h,
	unsigned int rtp_len)
{
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(t + 14);

	memcpy(t, dst->addr_bytes, 6);
	host_mac(pi, h, t + 6);
	hl_wr16(t + 12, RTE_ETHER_TYPE_IPV4);
	memset(ip, 0, sizeof(*ip));
	ip->version_ihl = 0x45;
	ip->type_of_service = 0xb8;
	ip->total_length = rte_cpu_to_be_16((uint16_t)(20 + 8 + rtp_len));
	ip->fragment_offset = RTE_BE16(RTE_IPV4_HDR_DF_FLAG);
	ip->time_to_live = 64;
	ip->next_proto_id = IPPROTO_UDP;
	ip->src_addr = rte_cpu_to_be_32(host_ip(pi, h));
	ip->dst_addr = rte_cpu_to_be_32(our_ip(pi));
	ip->hdr_checksum = rte_ipv4_cksum(ip);
}

static inline void
rtp_hdr(uint8_t *p, uint16_t seq, uint32_t ts, uint32_t ssrc)
{
	p[0] = 0x80;
	p[1] = 0; /* PCMU */
	hl_wr16(p + 2, seq);
	hl_wr32(p + 4, ts);
	hl_wr32(p + 8, ssrc);
}

/* The input frame's headers for leg q (template t): remote port -> local port, the UDP
 * checksum zero ("none", RFC 768, IPv4; frame_udp_csum() fills it for plain frames),
 * then the RTP header. */
static inline void
frame_hdrs(uint8_t *p, const uint8_t t[34], const struct geo *q, unsigned int rtp_len, uint16_t seq,
	uint32_t ts, uint32_t ssrc)
{
	memcpy(p, t, 34);
	hl_wr16(p + 34, q->rport);
	hl_wr16(p + 36, q->lport);
	hl_wr16(p + 38, (uint16_t)(8 + rtp_len));
	p[40] = p[41] = 0;
	rtp_hdr(p + HDRS, seq, ts, ssrc);
}

/*
 * The UDP checksum of a plain input frame (RFC 768) whose payload after the RTP header
 * sums to psum (hl_csum_partial): what a sender that checksums puts there, so the relay
 * takes the path it takes for such senders (the checksum updated for what it rewrites,
 * RFC 1624) rather than the one for "no checksum" (a full sum over the payload).
 */
static inline void
frame_udp_csum(uint8_t *p, unsigned int rtp_len, uint64_t psum)
{
	const uint8_t ph[4] = {0, IPPROTO_UDP, (uint8_t)((8 + rtp_len) >> 8),
		(uint8_t)(8 + rtp_len)};
	uint64_t sum = hl_csum_partial(p + 26, 8, 0); /* IPv4 addresses */
	uint16_t c;

	sum = hl_csum_partial(ph, 4, sum);
	p[40] = p[41] = 0;
	sum = hl_csum_partial(p + 34, 8 + 12, sum) + psum; /* UDP and RTP headers */
	c = (uint16_t)~hl_csum_fold(sum + (sum < psum));
	if (c == 0)
		c = 0xffff;
	memcpy(p + 40, &c, 2);
}

/* A frame hotline sent out of port pi: the leg it left from, or UINT32_MAX unless it
 * went from that leg's local port to the leg's remote with the leg's SSRC, len octets. */
static inline uint32_t
relayed_leg(unsigned int pi, const uint8_t *p, uint16_t len, uint32_t n, unsigned int want)
{
	uint16_t sport = hl_rd16(p + 34);
	uint32_t leg = leg_of(pi, sport);
	struct geo q;

	if (unlikely(sport < RTP_MIN || leg >= n))
		return UINT32_MAX;
	leg_geo(leg, &q);
	if (unlikely(hl_rd32(p + 30) != host_ip(pi, q.host) || hl_rd16(p + 36) != q.rport ||
		     hl_rd32(p + 26) != our_ip(pi) || hl_rd32(p + HDRS + 8) != our_ssrc(leg) ||
		     len != want))
		return UINT32_MAX;
	return leg;
}

/* IPv4 header and UDP checksums of a frame both verify. */
static inline int
sums_ok(const uint8_t *p)
{
	const struct rte_ipv4_hdr *ip = (const struct rte_ipv4_hdr *)(p + 14);

	return rte_raw_cksum(ip, 20) == 0xffff && rte_ipv4_udptcp_cksum_verify(ip, p + 34) == 0;
}

/* An ARP request from host h of port pi for the port's address: 60 octets at p. */
static inline void
arp_request(uint8_t *p, unsigned int pi, unsigned int h)
{
	uint8_t *a = p + 14;

	memset(p, 0, 60);
	memset(p, 0xff, 6);
	host_mac(pi, h, p + 6);
	hl_wr16(p + 12, RTE_ETHER_TYPE_ARP);
	hl_wr16(a, 1);
	hl_wr16(a + 2, RTE_ETHER_TYPE_IPV4);
	a[4] = 6;
	a[5] = 4;
	hl_wr16(a + 6, 1);
	host_mac(pi, h, a + 8);
	hl_wr32(a + 14, host_ip(pi, h));
	hl_wr32(a + 24, our_ip(pi));
}

/* hotline's ARP request for one of port pi's hosts, answered in place; 1 when p (len
 * octets) is now the reply, 0 when it was not such a request. */
static inline int
arp_reply(unsigned int pi, uint8_t *p, uint16_t len)
{
	uint8_t *a = p + 14;
	uint32_t tip;
	unsigned int h;

	if (len < 14 + 28 || hl_rd16(a + 6) != 1)
		return 0;
	tip = hl_rd32(a + 24);
	h = (tip & 0xff) - 1;
	if (h >= NHOSTS || tip != host_ip(pi, h))
		return 0;
	a[7] = 2;
	memcpy(a + 18, a + 8, 10); /* target = the asker (its MAC and IP) */
	host_mac(pi, h, a + 8);
	hl_wr32(a + 14, tip);
	memcpy(p, a + 18, 6);
	host_mac(pi, h, p + 6);
	return 1;
}

/* The next stream of a round robin over n; *passes counts the completed rounds. */
static inline uint32_t
rr_next(uint32_t *cursor, uint32_t n, uint32_t *passes)
{
	uint32_t l = *cursor;

	if (++*cursor == n) {
		*cursor = 0;
		++*passes;
	}
	return l;
}

/* k new mbufs for input frames, the payload already written (a recycled buffer may hold
 * an earlier run's ciphertext). 0, or -1 when the pool is short. */
static inline int
fresh_frames(struct rte_mempool *mp, struct rte_mbuf **ms, unsigned int k, const uint8_t *pay)
{
	if (rte_pktmbuf_alloc_bulk(mp, ms, k) != 0)
		return -1;
	for (unsigned int i = 0; i < k; i++)
		memcpy(rte_pktmbuf_mtod_offset(ms[i], uint8_t *, HDRS + 12), pay, PAYLOAD);
	return 0;
}

/* Appends to a run's notes (buf of size octets, NUL-terminated). */
static inline void
notes_vadd(char *buf, size_t size, const char *fmt, va_list ap)
{
	size_t l = strlen(buf);

	vsnprintf(buf + l, size - l, fmt, ap);
}

/* ---- the engine ----------------------------------------------------------------- */

/* The engine's configuration: control on lcore 0, one worker on WORKER_LCORE, the four
 * ports on devices dev[] (ethdevs made before hl_engine_create). Length, or -1. */
static inline int
engine_conf(char *conf, size_t size, const char *const dev[NPORTS])
{
	int n = snprintf(conf, size, "[lcores]\ncontrol = 0\nworkers = %u\n", WORKER_LCORE);

	for (unsigned int pi = 0; pi < NPORTS && n > 0 && (size_t)n < size; pi++) {
		uint32_t ip = our_ip(pi);

		n += snprintf(conf + n, size - (size_t)n,
			"[port p%u]\ndevice = %s\nipv4 = %u.%u.%u.%u/16\n", pi, dev[pi], ip >> 24,
			(ip >> 16) & 0xff, (ip >> 8) & 0xff, ip & 0xff);
	}
	if (n > 0 && (size_t)n < size)
		n += snprintf(conf + n, size - (size_t)n,
			"[sip]\nport = 5060\n[rtp]\nports = %u-%u\ntimeout_s = 0\n"
			"hold_timeout_s = 0\nmax_legs = %u\n",
			RTP_MIN, RTP_MAX, MAX_STREAMS);
	return n > 0 && (size_t)n < size ? n : -1;
}

/* Leg l as hl_media_set takes it, plain RTP: its call's other leg is its peer. */
static inline void
leg_fill(struct hl_media_leg *leg, uint32_t l)
{
	struct geo q, peer;
	uint32_t ip;

	leg_geo(l, &q);
	leg_geo(l ^ 1, &peer);
	memset(leg, 0, sizeof(*leg));
	leg->call = l >> 1;
	leg->side = l & 1;
	leg->port_index = (uint8_t)q.pi;
	leg->peer_port_index = (uint8_t)peer.pi;
	leg->family = 4;
	leg->codec_pt = 0;
	leg->te_pt = -1;
	leg->local_port = q.lport;
	leg->peer_port = peer.lport;
	leg->remote_port = q.rport;
	leg->clock_rate = 8000;
	leg->ssrc = our_ssrc(l);
	ip = rte_cpu_to_be_32(our_ip(q.pi));
	memcpy(leg->local_ip, &ip, 4);
	ip = rte_cpu_to_be_32(host_ip(q.pi, q.host));
	memcpy(leg->remote_ip, &ip, 4);
}

/* The engine's lcore loop accounting (no idle back-off: a dedicated core busy-polls). A
 * turn that took turn_max TSC or more counts as idle whatever it did: only a stop of
 * the whole process makes one (UINT64_MAX: none is expected). */
static inline void
turn_account(struct hl_lcore_stats *st, unsigned int work, uint64_t *t0, uint64_t turn_max)
{
	uint64_t t1 = rte_rdtsc();

	st->loops++;
	if (work && t1 - *t0 < turn_max)
		st->busy_tsc += t1 - *t0;
	else
		st->idle_tsc += t1 - *t0;
	*t0 = t1;
}

/* ---- windows -------------------------------------------------------------------- */

/* One sample of the worker lcore's counters. */
struct snap {
	uint64_t tsc, relayed, rtp_in, busy, idle;
};

static inline void
take(struct snap *s)
{
	const struct hl_lcore_stats *w = &hl_stats[WORKER_LCORE];

	s->tsc = rte_rdtsc();
	s->relayed = w->ctr[HL_CTR_RTP_RELAYED];
	s->rtp_in = w->ctr[HL_CTR_UDP_RTP];
	s->busy = w->busy_tsc;
	s->idle = w->idle_tsc;
}

static inline int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

/* Sorts v. */
static inline double
median(double *v, unsigned int n)
{
	if (n == 0)
		return 0;
	qsort(v, n, sizeof(v[0]), cmp_double);
	return v[n / 2];
}

/* Worker windows: relayed packets per second, busy cycles per relayed packet, busy share. */
struct wins {
	unsigned int n;
	double rate[MAX_WIN], cpp[MAX_WIN], busy[MAX_WIN];
};

static inline void
wins_add(struct wins *w, const struct snap *a, const struct snap *b, double hz)
{
	uint64_t dp = b->relayed - a->relayed, dt = b->tsc - a->tsc, db = b->busy - a->busy;

	if (dp == 0 || w->n >= MAX_WIN)
		return;
	w->rate[w->n] = (double)dp * hz / (double)dt;
	w->cpp[w->n] = (double)db / (double)dp;
	w->busy[w->n] = (double)db / (double)(db + (b->idle - a->idle));
	w->n++;
}

/* Best and median (Mpps; cycles per packet, best the lowest); sorts the windows. */
static inline void
wins_sum(struct wins *w, double *mpps_best, double *mpps_med, double *cpp_best, double *cpp_med,
	double *busy_med)
{
	*busy_med = median(w->busy, w->n);
	*mpps_med = median(w->rate, w->n) / 1e6;
	*mpps_best = w->n ? w->rate[w->n - 1] / 1e6 : 0;
	*cpp_med = median(w->cpp, w->n);
	*cpp_best = w->n ? w->cpp[0] : 0;
}

/* What the legs of a run reported at deletion (hl_media_sink.final), summed. */
struct final_sum {
	uint64_t legs, latched, rx, tx, auth_fail, replay, wrong_source, ssrc_changes;
	int64_t lost;
};

static void
on_final(void *ctx, const struct hl_media_stats *st)
{
	struct final_sum *f = ctx;

	f->legs++;
	f->latched += st->latched;
	f->rx += st->rx_packets;
	f->tx += st->tx_packets;
	f->lost += st->lost;
	f->auth_fail += st->srtp_auth_fail;
	f->replay += st->srtp_replay;
	f->wrong_source += st->wrong_source;
	f->ssrc_changes += st->ssrc_changes;
}

#endif
