/*
 * bench_relay: hotline's RTP relay on one worker core, plain RTP, SRTP<->SRTP and RTP<->SRTP, with
 * 1k, 10k and 100k concurrent streams, side by side with dpdk-testpmd io-forwarding on
 * net_ring vdevs (the ceiling) and bare libsrtp (unprotect + protect), in one run.
 * (bench_memif holds the plain relay against testpmd over net_memif in copy mode, a
 * ceiling that moves packet bytes; the test network both use is bench_relay.h.)
 *
 *   bench_relay [seconds] [streams list]     (defaults: 3 s, "1000,10000,100000")
 *
 * The engine is the real one (hl_engine_create, hl_worker_poll) with one worker on
 * lcore 1 (CPU 1) and four ports, each an ethdev made from two rte_rings
 * (rte_eth_from_rings) with its own IPv4 /16. Legs are created through the control API
 * (hl_media_set, hl_media_poll) in calls of two: leg A at local port p and leg B at p+2
 * of one port, each naming the other as its peer, so what a remote sends to A is relayed
 * out of B to B's remote and vice versa. N streams = N legs = N/2 calls, spread over the
 * four ports; every leg receives one stream (G.711: 12-byte RTP header + 160 octets,
 * 214-byte frames; SRTP adds the 10-octet tag). Each port's legs talk to 16 remote hosts
 * (one ARP entry each, learnt from an ARP request before the run and kept fresh by
 * answering hotline's refresh probes), many UDP ports per host as a trunk or an SBC has.
 *
 * The generator is our own DPDK code on lcore 0 (CPU 0) over the same rings. It dequeues
 * what hotline transmitted, checks that each relayed frame left from the right leg to
 * that leg's remote (addresses, ports, SSRC, length; and on the first 16 legs the IPv4
 * and UDP checksums and the payload, after SRTP authentication and decryption with the
 * leg's outbound key), and rewrites the same mbuf into the next stream's input frame:
 * round robin over all N streams, so every leg is as hot as every other (the 100k case
 * really touches 100k legs); template Ethernet/IPv4 header, UDP ports, RTP header with
 * that stream's next sequence number and timestamp (+1, +160: RFC 3550 A.1 keeps
 * accepting it). A fixed number of packets is kept in flight (HL_RELAY_WINDOW, default
 * 2048; 256 for SRTP); mbufs are allocated only to top the window up after drops (e.g.
 * each stream's first packet, which RFC 3550 probation discards).
 *
 * SRTP<->SRTP: each leg has its own outbound key (hotline's, checked by the generator on
 * the first 16 legs) and an inbound key, the remote's. The remote side here is one trunk
 * with one master key for all its streams (RFC 3711 lets one master key serve many
 * SSRCs, the SSRC being part of the IV); hotline still builds one inbound libsrtp session
 * per leg, as it does for any offer. The generator protects every packet itself
 * (replay protection forbids resending), with its own AES-CM + HMAC-SHA1-80 on OpenSSL
 * (RFC 3711 4.1.1, 4.2.1, 4.3.1; cross-checked against libsrtp at start-up), not with
 * libsrtp: libsrtp's Debian build runs on NSS, whose cost grows with every live session
 * in the process and which serialises threads, so a generator on libsrtp would both add
 * sessions and slow the worker it measures.
 *
 * What is measured: the worker lcore's counters (rtp_relayed, and busy TSC cycles, i.e.
 * loop turns that did work, counted as the engine's own lcore loop counts them) sampled
 * every 250 ms after a warm-up of three passes over all streams: relayed packets per
 * second on the wall clock, busy cycles per relayed packet, and the worker's busy share.
 * When the worker was busy less than ~95% of the time the generator (or the other core's
 * neighbours) was the limit, and cycles/pkt is the figure that counts; "capacity" is TSC
 * Hz / cycles per packet. Every drop the engine counts during a run is printed (each
 * stream's first packet in rtp_probation is expected).
 *
 * Ceilings: dpdk-testpmd io-forwarding between net_ring0 and net_ring1 (each port's RX
 * and TX are one ring, so packets circulate after "start tx_first") on one forwarding
 * lcore on CPU 1, as the issue asks; on rings that moves pointers only (no byte of a
 * packet is read), so it is also run in 5tswap mode (Ethernet, IP and UDP addresses of
 * each packet swapped: a relay's header writes, without lookups or checksums). The
 * harness ceiling: this generator against a reflector on lcore 1 that only rewrites each
 * frame's headers the way hotline would send it (no lookup, no state, no checksum), on
 * the same ring ethdevs: what the two-core harness itself can carry. bare libsrtp:
 * srtp_unprotect (leg A key) + srtp_protect (leg B key) of the same 172-octet packet on
 * CPU 1 (bench_srtp's "bare" loop) with no other session in the process; after each
 * complete SRTP run (up to BARE_ROT_MAX legs), the same work round robin over as many
 * legs with their own 2N sessions (on CPU 0, hotline's sessions freed): like for like,
 * since at thousands of legs libsrtp's own per-session state (contexts, key schedules,
 * HMAC states behind several pointers) misses the caches for any relay, and that is
 * the figure the <= 1.15x verdict uses; and after every SRTP run one leg's worth while
 * that run's sessions are still alive, since the cost of libsrtp on NSS (-Dsrtp_backend
 * =system) depends on how many sessions the process holds.
 *
 * RTP<->SRTP bridge: the same, with every call's A leg plain and its B leg SRTP (the
 * customer on a plain trunk, the agent's phone on SRTP, or the reverse): half the packets
 * are unprotected and leave plain, half arrive plain and are protected. Compared with bare
 * libsrtp doing that mix round robin on as many legs, and with the plain relay of as many
 * streams plus that: what the bridge costs beyond the sum of its parts. No target of its
 * own (the is SRTP<->SRTP); it shows the RTP->SRTP direction's prefetching.
 *
 * SRTP set-up is bounded (HL_RELAY_SRTP_BUDGET_S, default 20 s for set-up and warm-up):
 * with libsrtp on NSS, creating and freeing sessions gets slower as sessions accumulate.
 * A run that hits the budget is measured with the legs it has, its teardown is timed on
 * a sample and the rest left to process exit, and the larger SRTP runs are skipped.
 * Other knobs: HL_RELAY_TESTPMD=0 skips testpmd, HL_RELAY_SRTP=0 the SRTP<->SRTP runs,
 * HL_RELAY_BRIDGE=0 the bridge runs,
 * HL_BENCH_HUGE=0/1 forces 4 KiB pages or hugepages (bench_hugepages() in bench_relay.h).
 */
#define OPENSSL_API_COMPAT 0x10100000L /* SHA1_* and plain SHA_CTX copies */

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/sha.h>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_eth_ring.h>
#include <rte_ethdev.h>
#include <rte_ip.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>
#include <rte_ring.h>
#include <rte_udp.h>

#include <srtp2/srtp.h>

#include "hotline/common.h"
#include "hotline/config.h"
#include "hotline/counters.h"
#include "hotline/engine.h"
#include "hotline/media.h"
#include "hotline/srtp.h"

#include "bench_relay.h"

#define RING_SZ 4096
#define TAG_LEN 10        /* AES_CM_128_HMAC_SHA1_80 */
#define SRTP_LEN (RTP_LEN + TAG_LEN)
#define SRTP_WINDOW 256
#define RELAY_MB 2048   /* EAL heap: -m, on hugepages when this much is free */
#define DEL_SAMPLE 200

static struct hl_engine *eng;
static struct hl_worker *wk;
static struct rte_ring *rxr[NPORTS], *txr[NPORTS];
static struct rte_ether_addr port_mac[NPORTS];
static struct rte_mempool *gpool;
static uint8_t tmpl[NPORTS][NHOSTS][2][34]; /* [plain, srtp]: Ethernet + IPv4 */
static uint8_t pattern[PAYLOAD];
static uint64_t pattern_sum; /* hl_csum_partial() of it */
static volatile int wk_run = 1;
static volatile int wk_reflect; /* 1: the harness reflector instead of hotline */
static volatile int wk_mode;    /* the mode of the worker's last complete loop turn */
static uint16_t port_id[NPORTS];
static double hz;
static unsigned int window = 2048;
static int srtp_leaked; /* sessions left to process exit (teardown too slow) */

static void
build_templates(void)
{
	for (unsigned int pi = 0; pi < NPORTS; pi++)
		for (unsigned int h = 0; h < NHOSTS; h++) {
			tmpl_build(tmpl[pi][h][0], &port_mac[pi], pi, h, RTP_LEN);
			tmpl_build(tmpl[pi][h][1], &port_mac[pi], pi, h, SRTP_LEN);
		}
}

/* ---- the remote's SRTP: AES_CM_128_HMAC_SHA1_80 on OpenSSL (RFC 3711) ---------------- */

struct cm_key {
	EVP_CIPHER_CTX *ecb; /* AES-128 with the session encryption key */
	uint8_t salt[14];    /* session salt */
	SHA_CTX ipad, opad;  /* HMAC-SHA1 with the session authentication key, pads absorbed */
};

/* RFC 3711 4.3.1 with KDR 0: AES-CM keystream of the master key from master salt ^ label. */
static int
cm_prf(const uint8_t mkey[16], const uint8_t msalt[14], uint8_t label, uint8_t *out, size_t n)
{
	EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
	uint8_t iv[16], ks[16];
	int ol, rc = -1;

	if (c == NULL || EVP_EncryptInit_ex(c, EVP_aes_128_ecb(), NULL, mkey, NULL) != 1)
		goto out;
	EVP_CIPHER_CTX_set_padding(c, 0);
	memcpy(iv, msalt, 14);
	iv[7] ^= label;
	for (size_t off = 0, blk = 0; off < n; blk++, off += 16) {
		iv[14] = (uint8_t)(blk >> 8);
		iv[15] = (uint8_t)blk;
		if (EVP_EncryptUpdate(c, ks, &ol, iv, 16) != 1)
			goto out;
		memcpy(out + off, ks, n - off < 16 ? n - off : 16);
	}
	rc = 0;
out:
	EVP_CIPHER_CTX_free(c);
	return rc;
}

static void
cm_key_fini(struct cm_key *k)
{
	EVP_CIPHER_CTX_free(k->ecb);
	memset(k, 0, sizeof(*k));
}

static int
cm_key_init(struct cm_key *k, const struct hl_srtp_key *mk)
{
	uint8_t ek[16], ak[20], pad[64];

	memset(k, 0, sizeof(*k));
	if (mk->suite != HL_SRTP_AES_CM_128_HMAC_SHA1_80 || mk->key_salt_len != 30 ||
	    cm_prf(mk->key, mk->key + 16, 0, ek, 16) != 0 ||
	    cm_prf(mk->key, mk->key + 16, 1, ak, 20) != 0 ||
	    cm_prf(mk->key, mk->key + 16, 2, k->salt, 14) != 0)
		return -1;
	k->ecb = EVP_CIPHER_CTX_new();
	if (k->ecb == NULL || EVP_EncryptInit_ex(k->ecb, EVP_aes_128_ecb(), NULL, ek, NULL) != 1) {
		cm_key_fini(k);
		return -1;
	}
	EVP_CIPHER_CTX_set_padding(k->ecb, 0);
	memset(pad, 0x36, sizeof(pad));
	for (int i = 0; i < 20; i++)
		pad[i] ^= ak[i];
	SHA1_Init(&k->ipad);
	SHA1_Update(&k->ipad, pad, 64);
	memset(pad, 0x5c, sizeof(pad));
	for (int i = 0; i < 20; i++)
		pad[i] ^= ak[i];
	SHA1_Init(&k->opad);
	SHA1_Update(&k->opad, pad, 64);
	memset(ek, 0, sizeof(ek));
	memset(ak, 0, sizeof(ak));
	return 0;
}

/* 4.1.1: IV = salt * 2^16 ^ SSRC * 2^64 ^ index * 2^16; counter mode over the payload. */
static void
cm_xor(struct cm_key *k, uint32_t ssrc, uint64_t idx, uint8_t *p, size_t n)
{
	uint8_t ctr[16 * 16], ks[16 * 16];
	size_t blocks = (n + 15) / 16;
	int ol;

	memcpy(ctr, k->salt, 14);
	ctr[14] = ctr[15] = 0;
	for (int i = 0; i < 4; i++)
		ctr[4 + i] ^= (uint8_t)(ssrc >> (24 - 8 * i));
	for (int i = 0; i < 6; i++)
		ctr[8 + i] ^= (uint8_t)(idx >> (40 - 8 * i));
	for (size_t b = 1; b < blocks; b++) {
		memcpy(ctr + 16 * b, ctr, 14);
		ctr[16 * b + 14] = (uint8_t)(b >> 8);
		ctr[16 * b + 15] = (uint8_t)b;
	}
	EVP_EncryptUpdate(k->ecb, ks, &ol, ctr, (int)(blocks * 16));
	for (size_t i = 0; i < n; i++)
		p[i] ^= ks[i];
}

/* 4.2.1: HMAC-SHA1 over the authenticated portion and the ROC. */
static void
cm_tag(const struct cm_key *k, const uint8_t *p, size_t n, uint32_t roc, uint8_t out[20])
{
	SHA_CTX c = k->ipad;
	uint8_t r[4];

	hl_wr32(r, roc);
	SHA1_Update(&c, p, n);
	SHA1_Update(&c, r, 4);
	SHA1_Final(out, &c);
	c = k->opad;
	SHA1_Update(&c, out, 20);
	SHA1_Final(out, &c);
}

/* RTP packet pkt[0..RTP_LEN) (12-octet header) -> SRTP, SRTP_LEN octets. */
static void
cm_protect(struct cm_key *k, uint8_t *pkt, uint32_t roc)
{
	uint8_t tag[20];

	cm_xor(k, hl_rd32(pkt + 8), (uint64_t)roc << 16 | hl_rd16(pkt + 2), pkt + 12, PAYLOAD);
	cm_tag(k, pkt, RTP_LEN, roc, tag);
	memcpy(pkt + RTP_LEN, tag, TAG_LEN);
}

/* SRTP_LEN octets -> RTP in place; 0, or -1 when authentication fails. */
static int
cm_unprotect(struct cm_key *k, uint8_t *pkt, uint32_t roc)
{
	uint8_t tag[20];

	cm_tag(k, pkt, RTP_LEN, roc, tag);
	if (memcmp(tag, pkt + RTP_LEN, TAG_LEN) != 0)
		return -1;
	cm_xor(k, hl_rd32(pkt + 8), (uint64_t)roc << 16 | hl_rd16(pkt + 2), pkt + 12, PAYLOAD);
	return 0;
}

/* Our AES-CM/HMAC against libsrtp, both ways, before any figure depends on it. */
static int
cm_selftest(void)
{
	struct hl_srtp_key key, kcopy;
	struct hl_srtp_ctx in, out;
	struct cm_key k;
	uint8_t a[256], b[256];
	int ok = 1;

	if (hl_srtp_key_generate(&key, HL_SRTP_AES_CM_128_HMAC_SHA1_80) != 0 ||
	    cm_key_init(&k, &key) != 0)
		return -1;
	kcopy = key;
	if (hl_srtp_ctx_init(&in, &key, HL_SRTP_INBOUND, NULL) != 0 ||
	    hl_srtp_ctx_init(&out, &kcopy, HL_SRTP_OUTBOUND, NULL) != 0)
		return -1;
	for (unsigned int i = 0; i < 4 && ok; i++) {
		uint16_t seq = (uint16_t)(65534 + i); /* across a wrap: ROC 0 then 1 */
		uint32_t roc = i < 2 ? 0 : 1;

		rtp_hdr(a, seq, 1000 + 160 * i, 0x12345678);
		memcpy(a + 12, pattern, PAYLOAD);
		memcpy(b, a, RTP_LEN);
		cm_protect(&k, a, roc);
		ok = hl_srtp_unprotect_rtp(&in, a, SRTP_LEN) == RTP_LEN &&
		     memcmp(a, b, RTP_LEN) == 0 &&
		     hl_srtp_protect_rtp(&out, b, RTP_LEN, sizeof(b)) == SRTP_LEN &&
		     cm_unprotect(&k, b, roc) == 0 && memcmp(a, b, RTP_LEN) == 0;
	}
	hl_srtp_ctx_fini(&in);
	hl_srtp_ctx_fini(&out);
	cm_key_fini(&k);
	hl_srtp_key_wipe(&key);
	hl_srtp_key_wipe(&kcopy);
	return ok ? 0 : -1;
}

/* ---- the worker lcore ------------------------------------------------------------ */

/*
 * The harness ceiling: what a relay that does nothing but rewrite the headers costs on
 * this harness. Each frame to leg L goes out of leg L^1 as hotline would send it
 * (Ethernet, IPv4 addresses, UDP ports, SSRC), with no lookup, no state, no checksum.
 */
static unsigned int
reflect(struct hl_lcore_stats *st)
{
	struct rte_mbuf *pk[GBURST];
	unsigned int work = 0;

	for (unsigned int pi = 0; pi < NPORTS; pi++) {
		uint16_t n = rte_eth_rx_burst(port_id[pi], 0, pk, GBURST), k;

		for (uint16_t i = 0; i < n; i++) {
			uint8_t *p = rte_pktmbuf_mtod(pk[i], uint8_t *);
			uint32_t out = leg_of(pi, hl_rd16(p + 36)) ^ 1;
			struct geo q;

			if (i + 1 < n)
				rte_prefetch0(rte_pktmbuf_mtod(pk[i + 1], void *));
			leg_geo(out, &q);
			host_mac(pi, q.host, p);
			memcpy(p + 6, port_mac[pi].addr_bytes, 6);
			hl_wr32(p + 26, our_ip(pi));
			hl_wr32(p + 30, host_ip(pi, q.host));
			hl_wr16(p + 34, q.lport);
			hl_wr16(p + 36, q.rport);
			hl_wr32(p + HDRS + 8, our_ssrc(out));
		}
		k = n ? rte_eth_tx_burst(port_id[pi], 0, pk, n) : 0;
		if (k < n) {
			st->drop[HL_DROP_TX_FULL] += n - k;
			rte_pktmbuf_free_bulk(&pk[k], n - k);
		}
		st->ctr[HL_CTR_RTP_RELAYED] += k;
		work += n;
	}
	return work;
}

/* The engine's lcore loop without idle back-off (a dedicated core busy-polls): busy
 * and idle cycles counted the same way. */
static int
worker_main(void *arg)
{
	struct hl_lcore_stats *st = &hl_stats[rte_lcore_id()];
	uint64_t t0 = rte_rdtsc();

	(void)arg;
	while (__atomic_load_n(&wk_run, __ATOMIC_RELAXED)) {
		int mode = __atomic_load_n(&wk_reflect, __ATOMIC_ACQUIRE);
		unsigned int work = mode ? reflect(st) : hl_worker_poll(wk);

		turn_account(st, work, &t0, UINT64_MAX);
		__atomic_store_n(&wk_mode, mode, __ATOMIC_RELEASE);
	}
	hl_worker_flush(wk);
	return 0;
}

/* Switches the worker between hotline and the reflector and waits for a whole turn in
 * the new mode: a turn begun in the old one (the vCPU may be preempted in it) would
 * otherwise take the next run's first frames. */
static void
set_mode(int reflect_on)
{
	__atomic_store_n(&wk_reflect, reflect_on, __ATOMIC_RELEASE);
	while (__atomic_load_n(&wk_mode, __ATOMIC_ACQUIRE) != reflect_on)
		rte_pause();
}

static uint64_t
worker_drops(void)
{
	const struct hl_lcore_stats *s = &hl_stats[WORKER_LCORE];
	uint64_t n = 0;

	for (unsigned int i = 0; i < HL_DROP_MAX; i++)
		n += s->drop[i];
	return n;
}

/* ---- the generator ---------------------------------------------------------------- */

struct stream {
	uint32_t ts;
	uint32_t roc;
	uint16_t seq;
	uint16_t pad_;
};

/* A leg whose output is decrypted and checked: its outbound key and index guess. */
struct vleg {
	struct cm_key k;
	uint32_t roc;
	uint16_t last;
	uint8_t started;
};

/* What a run's legs carry: g->srtp and result.srtp. */
enum { RUN_PLAIN = 0, RUN_SRTP = 1, RUN_BRIDGE = 2 };

struct gen {
	uint32_t n;
	int srtp;             /* RUN_*: RUN_BRIDGE, the B leg (odd) of every call is SRTP */
	int recycle;          /* 0: drain (free what comes back) */
	int harness;          /* the reflector answers, not hotline: no checksums to check */
	unsigned int win;     /* packets in flight */
	struct stream *s;
	struct cm_key rk;     /* the remote trunk's key: every leg's inbound key */
	struct vleg v[VERIFY_LEGS];
	uint32_t *out_cnt;    /* relayed frames seen per output leg */
	uint32_t cursor;
	uint32_t passes;
	uint64_t injected, relayed, rtcp, arp, other, bad, ring_full;
	uint64_t verify_ok, verify_fail;
	uint64_t drop_base;
	uint16_t rxn[NPORTS];
	struct rte_mbuf *rxb[NPORTS][GBURST];
};

/* Whether leg receives and sends SRTP in this run. */
static inline int
leg_srtp(const struct gen *g, uint32_t leg)
{
	return g->srtp == RUN_SRTP || (g->srtp == RUN_BRIDGE && (leg & 1));
}

static void
flush_rx(struct gen *g, unsigned int pi)
{
	unsigned int n = g->rxn[pi], k;

	if (n == 0)
		return;
	k = rte_ring_sp_enqueue_burst(rxr[pi], (void **)g->rxb[pi], n, NULL);
	if (k < n) {
		g->ring_full += n - k;
		g->injected -= n - k;
		rte_pktmbuf_free_bulk(&g->rxb[pi][k], n - k);
	}
	g->rxn[pi] = 0;
}

/* Rewrites m into the next input frame of stream leg; queues it for its RX ring. */
static inline void
build(struct gen *g, struct rte_mbuf *m, uint32_t leg)
{
	struct geo q;
	struct stream *s = &g->s[leg];
	int sin = leg_srtp(g, leg);
	uint8_t *p;

	leg_geo(leg, &q);
	m->data_off = RTE_PKTMBUF_HEADROOM;
	p = rte_pktmbuf_mtod(m, uint8_t *);
	frame_hdrs(p, tmpl[q.pi][q.host][sin], &q, sin ? SRTP_LEN : RTP_LEN, s->seq, s->ts,
		remote_ssrc(leg));
	if (g->srtp != RUN_PLAIN) /* hotline may have left ciphertext here */
		memcpy(p + HDRS + 12, pattern, PAYLOAD);
	if (sin)
		cm_protect(&g->rk, p + HDRS, s->roc);
	else
		frame_udp_csum(p, RTP_LEN, pattern_sum);
	if (++s->seq == 0)
		s->roc++;
	s->ts += PAYLOAD;
	m->data_len = (uint16_t)(HDRS + (sin ? SRTP_LEN : RTP_LEN));
	m->pkt_len = m->data_len;
	m->ol_flags = 0;
	m->nb_segs = 1;
	m->next = NULL;
	g->injected++;
	g->rxb[q.pi][g->rxn[q.pi]++] = m;
	if (g->rxn[q.pi] == GBURST)
		flush_rx(g, q.pi);
}

static inline uint32_t
next_leg(struct gen *g)
{
	return rr_next(&g->cursor, g->n, &g->passes);
}

/* The first VERIFY_LEGS legs: checksums, SRTP authentication, the payload itself. */
static int
verify(struct gen *g, uint32_t leg, uint8_t *p)
{
	uint8_t *rtp = p + HDRS;

	if (!sums_ok(p))
		return 0;
	if (leg_srtp(g, leg)) {
		struct vleg *v = &g->v[leg];
		uint16_t seq = hl_rd16(rtp + 2);
		uint32_t roc = v->roc;

		/* RFC 3711 3.3.1, in order: a sequence number far below the last is a wrap. */
		if (v->started && seq < v->last && (uint16_t)(v->last - seq) > 0x8000)
			roc++;
		if (cm_unprotect(&v->k, rtp, roc) != 0)
			return 0;
		v->roc = roc;
		v->last = seq;
		v->started = 1;
	}
	return memcmp(rtp + 12, pattern, PAYLOAD) == 0;
}

/* A relayed frame: from the output leg's local port to its remote, the leg's SSRC. */
static inline void
check(struct gen *g, unsigned int pi, uint8_t *p, uint16_t len)
{
	unsigned int want = HDRS + RTP_LEN;
	uint32_t leg;

	/* relayed_leg() checks that leg_of() is in range; here it only picks a length */
	if (g->srtp != RUN_PLAIN && leg_srtp(g, leg_of(pi, hl_rd16(p + 34))))
		want = HDRS + SRTP_LEN;
	leg = relayed_leg(pi, p, len, g->n, want);

	if (unlikely(leg == UINT32_MAX)) {
		g->bad++;
		return;
	}
	g->out_cnt[leg]++;
	if (unlikely(leg < VERIFY_LEGS) && !g->harness) {
		if (verify(g, leg, p))
			g->verify_ok++;
		else
			g->verify_fail++;
	}
}

/* ARP request from hotline for one of our hosts: answer it in place. 1: sent back. */
static int
arp_answer(unsigned int pi, struct rte_mbuf *m)
{
	return arp_reply(pi, rte_pktmbuf_mtod(m, uint8_t *), rte_pktmbuf_data_len(m)) &&
	       rte_ring_sp_enqueue(rxr[pi], m) == 0;
}

/* One pass over every TX ring (g NULL: between runs, everything is freed). */
static unsigned int
service(struct gen *g)
{
	struct rte_mbuf *pk[GBURST], *fr[GBURST * NPORTS];
	unsigned int nf = 0, tot = 0;

	for (unsigned int pi = 0; pi < NPORTS; pi++) {
		unsigned int n = rte_ring_sc_dequeue_burst(txr[pi], (void **)pk, GBURST, NULL);

		tot += n;
		for (unsigned int i = 0; i < n; i++) {
			struct rte_mbuf *m = pk[i];
			uint8_t *p = rte_pktmbuf_mtod(m, uint8_t *);
			uint16_t et = hl_rd16(p + 12);

			if (i + 1 < n)
				rte_prefetch0(rte_pktmbuf_mtod(pk[i + 1], void *));
			if (likely(et == RTE_ETHER_TYPE_IPV4 && p[23] == IPPROTO_UDP)) {
				if (likely((hl_rd16(p + 36) & 1) == 0) && g != NULL) {
					g->relayed++;
					check(g, pi, p, rte_pktmbuf_data_len(m));
					if (g->recycle) {
						build(g, m, next_leg(g));
						continue;
					}
				} else if (g != NULL) {
					g->rtcp++;
				}
			} else if (et == RTE_ETHER_TYPE_ARP) {
				if (g != NULL)
					g->arp++;
				if (arp_answer(pi, m))
					continue;
			} else if (g != NULL) {
				g->other++;
			}
			fr[nf++] = m;
		}
	}
	if (nf)
		rte_pktmbuf_free_bulk(fr, nf);
	return tot;
}

static inline int64_t
inflight(const struct gen *g)
{
	return (int64_t)(g->injected - g->relayed) - (int64_t)(worker_drops() - g->drop_base);
}

static void
top_up(struct gen *g)
{
	struct rte_mbuf *ms[GBURST];
	int64_t f = inflight(g);

	while (f < (int64_t)g->win) {
		int64_t room = (int64_t)g->win - f;
		unsigned int k = room < GBURST ? (unsigned int)room : GBURST;

		if (fresh_frames(gpool, ms, k, pattern) != 0)
			break;
		for (unsigned int i = 0; i < k; i++)
			build(g, ms[i], next_leg(g));
		f += k;
	}
}

static void
flush_all(struct gen *g)
{
	for (unsigned int pi = 0; pi < NPORTS; pi++)
		flush_rx(g, pi);
}

struct result {
	const char *path;
	uint32_t streams, requested;
	int srtp, partial, skipped, harness;
	unsigned int nwin;
	double mpps_best, mpps_med, cpp_best, cpp_med, busy_med, mpps_avg, cpp_avg;
	double cpp_in;        /* busy cycles per RTP packet handled (udp_rtp), whole window */
	double bare_live;     /* bare libsrtp cycles with this run's sessions alive */
	double bare_rot;      /* bare libsrtp on as many legs, round robin */
	uint64_t sessions;    /* libsrtp sessions alive in the process during the run */
	uint64_t relayed;
	int ok;
	char notes[1024];
};

/*
 * Runs the generator for at least dur TSC and min_passes passes over the streams, at most
 * max_dur; samples the worker every WIN_MS when r != NULL.
 */
static void
gen_run(struct gen *g, uint64_t dur, uint32_t min_passes, uint64_t max_dur, struct result *r)
{
	uint64_t t0 = rte_rdtsc(), end = t0 + dur, hard = t0 + max_dur;
	uint64_t win = (uint64_t)(hz * WIN_MS / 1000), next = t0 + win;
	static struct wins w;
	struct snap a, b, first;

	w.n = 0;
	take(&a);
	first = a;
	for (;;) {
		service(g);
		if (g->recycle)
			top_up(g);
		flush_all(g);
		uint64_t now = rte_rdtsc();
		if (r != NULL && now >= next) {
			take(&b);
			wins_add(&w, &a, &b, hz);
			a = b;
			next += win;
		}
		if (now >= hard || (now >= end && g->passes >= min_passes))
			break;
	}
	if (r != NULL) {
		take(&b);
		r->relayed = b.relayed - first.relayed;
		r->mpps_avg = (double)r->relayed * hz / (double)(b.tsc - first.tsc) / 1e6;
		r->cpp_avg = r->relayed ? (double)(b.busy - first.busy) / (double)r->relayed : 0;
		r->cpp_in = b.rtp_in > first.rtp_in ?
			    (double)(b.busy - first.busy) / (double)(b.rtp_in - first.rtp_in) : 0;
		r->nwin = w.n;
		wins_sum(&w, &r->mpps_best, &r->mpps_med, &r->cpp_best, &r->cpp_med, &r->busy_med);
	}
}

/* ---- legs through the control API -------------------------------------------------- */

/* Control's turn: collect done commands, and keep the TX rings drained meanwhile. */
static void
control_turn(const struct hl_media_sink *sink)
{
	hl_media_poll(eng, sink);
	service(NULL);
}

static void
wait_pending(const struct hl_media_sink *sink, uint64_t below)
{
	while (hl_media_pending(eng) > below)
		control_turn(sink);
}

/*
 * Sets up g->n legs (calls of two), SRTP ones with the trunk key rkey inbound and a key of
 * their own outbound. Stops after a whole call once deadline (TSC) has passed. Returns the
 * number of legs set up, -1 on error; *last_ms: ms per leg over the last 1000.
 */
static int64_t
legs_set(struct gen *g, const struct hl_srtp_key *rkey, uint64_t deadline, double *last_ms)
{
	uint64_t mark = rte_rdtsc();
	uint32_t mark_l = 0;

	*last_ms = 0;
	for (uint32_t l = 0; l < g->n; l++) {
		struct hl_media_leg leg;
		int rc;

		if ((l & 1) == 0 && rte_rdtsc() > deadline) {
			wait_pending(NULL, 0);
			return l;
		}
		if (l - mark_l == 1000) {
			*last_ms = (double)(rte_rdtsc() - mark) * 1e3 / hz / 1000;
			mark = rte_rdtsc();
			mark_l = l;
		}
		leg_fill(&leg, l);
		if (leg_srtp(g, l)) {
			leg.srtp_rx = leg.srtp_tx = 1;
			leg.rx_key = *rkey;
			if (hl_srtp_key_generate(&leg.tx_key, HL_SRTP_AES_CM_128_HMAC_SHA1_80) != 0 ||
			    (l < VERIFY_LEGS && cm_key_init(&g->v[l].k, &leg.tx_key) != 0)) {
				fprintf(stderr, "bench_relay: SRTP key for leg %u failed\n", l);
				return -1;
			}
		}
		/* Never more than half the command ring outstanding: hl_media_set wipes the
		 * keys even when it fails, so there is no retrying a -ENOBUFS. */
		wait_pending(NULL, 511);
		rc = hl_media_set(eng, &leg);
		if (rc != 0) {
			fprintf(stderr, "bench_relay: hl_media_set(leg %u): %d\n", l, rc);
			return -1;
		}
	}
	wait_pending(NULL, 0);
	if (g->n - mark_l >= 100)
		*last_ms = (double)(rte_rdtsc() - mark) * 1e3 / hz / (g->n - mark_l);
	return g->n;
}

/* Ends legs [0, n); returns seconds taken. */
static double
legs_del(uint32_t n, struct final_sum *f)
{
	struct hl_media_sink sink = {.final = on_final, .ctx = f};
	uint64_t t0 = rte_rdtsc();

	for (uint32_t l = 0; l < n; l++) {
		struct geo q;

		leg_geo(l, &q);
		wait_pending(&sink, 511);
		int rc = hl_media_del(eng, (uint8_t)q.pi, q.lport);
		if (rc != 0) {
			fprintf(stderr, "bench_relay: hl_media_del(leg %u): %d\n", l, rc);
			return -1;
		}
	}
	wait_pending(&sink, 0);
	return (double)(rte_rdtsc() - t0) / hz;
}

/* ---- bare libsrtp ------------------------------------------------------------------------ */

#define SLOT 256

/* Legs up to which the like-for-like bare run (2n sessions round robin) is made. */
#define BARE_ROT_MAX 100000

struct bare {
	unsigned int pkts, rounds;
	double cycles; /* best round, per packet: unprotect (A) + protect (B) */
	int err;
};

static srtp_t
bare_session(const struct hl_srtp_key *k, int inbound)
{
	srtp_policy_t pol;
	srtp_t s;

	memset(&pol, 0, sizeof(pol));
	srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&pol.rtp);
	srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&pol.rtcp);
	pol.ssrc.type = inbound ? ssrc_any_inbound : ssrc_any_outbound;
	pol.key = (unsigned char *)k->key;
	pol.window_size = 128;
	if (srtp_create(&s, &pol) != srtp_err_status_ok)
		return NULL;
	return s;
}

/* bench_srtp's bare loop: packets protected beforehand by a far end, then each timed
 * round takes every packet through srtp_unprotect (leg A) + srtp_protect (leg B). */
static int
bare_main(void *arg)
{
	struct bare *b = arg;
	struct hl_srtp_key ka, kb;
	struct hl_srtp_ctx far;
	uint8_t *pkts = malloc((size_t)b->pkts * SLOT), *work = malloc((size_t)b->pkts * SLOT);
	int *lens = malloc(b->pkts * sizeof(int));

	b->cycles = 1e18;
	b->err = 0;
	if (pkts == NULL || work == NULL || lens == NULL ||
	    hl_srtp_key_generate(&ka, HL_SRTP_AES_CM_128_HMAC_SHA1_80) ||
	    hl_srtp_key_generate(&kb, HL_SRTP_AES_CM_128_HMAC_SHA1_80) ||
	    hl_srtp_ctx_init(&far, &ka, HL_SRTP_OUTBOUND, NULL) != 0) {
		b->err = 1;
		goto out;
	}
	for (unsigned int i = 0; i < b->pkts; i++) {
		uint8_t *p = pkts + (size_t)i * SLOT;

		rtp_hdr(p, (uint16_t)(1000 + i), 160000u + i * 160u, 0x0a0a0a0a);
		memcpy(p + 12, pattern, PAYLOAD);
		lens[i] = hl_srtp_protect_rtp(&far, p, RTP_LEN, SLOT);
		if (lens[i] < 0)
			b->err = 1;
	}
	hl_srtp_ctx_fini(&far);
	for (unsigned int r = 0; r < b->rounds && !b->err; r++) {
		srtp_t a_in = bare_session(&ka, 1), b_out = bare_session(&kb, 0);
		if (a_in == NULL || b_out == NULL) {
			b->err = 1;
			break;
		}
		memcpy(work, pkts, (size_t)b->pkts * SLOT);
		uint64_t t0 = rte_rdtsc();
		for (unsigned int i = 0; i < b->pkts; i++) {
			uint8_t *p = work + (size_t)i * SLOT;
			int len = lens[i];
			if (srtp_unprotect(a_in, p, &len) != srtp_err_status_ok ||
			    srtp_protect(b_out, p, &len) != srtp_err_status_ok) {
				b->err = 1;
				break;
			}
		}
		double c = (double)(rte_rdtsc() - t0) / b->pkts;
		if (c < b->cycles)
			b->cycles = c;
		srtp_dealloc(a_in);
		srtp_dealloc(b_out);
	}
out:
	hl_srtp_key_wipe(&ka);
	hl_srtp_key_wipe(&kb);
	free(pkts);
	free(work);
	free(lens);
	return 0;
}

/*
 * bare libsrtp doing hotline's SRTP job on as many legs: packet j goes to leg L = j % n,
 * srtp_unprotect with L's inbound session (the trunk key, as hotline's), srtp_protect
 * with its peer's outbound session; the first pass (stream set-up) is not timed. Runs
 * on the calling lcore with its 2n sessions the only ones alive. bridge: only the odd
 * (B) legs have sessions, as in a RUN_BRIDGE run: a packet to B is only unprotected, one
 * to A (plain) only protected with B's outbound session. Cycles per packet, or 0 on
 * failure.
 */
static double
bare_rotating(uint32_t n, uint32_t timed, int bridge)
{
	uint32_t total = n + timed;
	srtp_t *in = calloc(n, sizeof(*in)), *out = calloc(n, sizeof(*out));
	uint8_t *pk = malloc((size_t)total * SLOT);
	int *lens = malloc(total * sizeof(int));
	uint16_t *seq = calloc(n, sizeof(*seq));
	struct hl_srtp_key kt, ko;
	struct hl_srtp_ctx far;
	double res = 0;
	int ok = in && out && pk && lens && seq &&
		 hl_srtp_key_generate(&kt, HL_SRTP_AES_CM_128_HMAC_SHA1_80) == 0 &&
		 hl_srtp_ctx_init(&far, &kt, HL_SRTP_OUTBOUND, NULL) == 0;

	for (uint32_t l = 0; ok && l < n; l++) {
		if (bridge && (l & 1) == 0)
			continue;
		ok = hl_srtp_key_generate(&ko, HL_SRTP_AES_CM_128_HMAC_SHA1_80) == 0 &&
		     (in[l] = bare_session(&kt, 1)) != NULL && (out[l] = bare_session(&ko, 0)) != NULL;
		hl_srtp_key_wipe(&ko);
	}
	for (uint32_t j = 0; ok && j < total; j++) {
		uint8_t *p = pk + (size_t)j * SLOT;
		uint32_t l = j % n;

		rtp_hdr(p, seq[l]++, j * 160u, remote_ssrc(l));
		memcpy(p + 12, pattern, PAYLOAD);
		if (bridge && (l & 1) == 0)
			lens[j] = RTP_LEN;
		else
			ok = (lens[j] = hl_srtp_protect_rtp(&far, p, RTP_LEN, SLOT)) == SRTP_LEN;
	}
	uint64_t t0 = 0;
	for (uint32_t j = 0; ok && j < total; j++) {
		uint8_t *p = pk + (size_t)j * SLOT;
		uint32_t l = j % n;
		int len = lens[j];

		if (j == n)
			t0 = rte_rdtsc();
		if (!bridge)
			ok = srtp_unprotect(in[l], p, &len) == srtp_err_status_ok &&
			     srtp_protect(out[l ^ 1], p, &len) == srtp_err_status_ok;
		else if (l & 1)
			ok = srtp_unprotect(in[l], p, &len) == srtp_err_status_ok;
		else
			ok = srtp_protect(out[l ^ 1], p, &len) == srtp_err_status_ok;
	}
	if (ok)
		res = (double)(rte_rdtsc() - t0) / timed;
	if (in != NULL && out != NULL)
		for (uint32_t l = 0; l < n; l++) {
			if (in[l] != NULL)
				srtp_dealloc(in[l]);
			if (out[l] != NULL)
				srtp_dealloc(out[l]);
		}
	hl_srtp_ctx_fini(&far);
	hl_srtp_key_wipe(&kt);
	free(in);
	free(out);
	free(pk);
	free(lens);
	free(seq);
	return res;
}

/* ---- one measurement ----------------------------------------------------------------- */

static void note(struct result *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
note(struct result *r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	notes_vadd(r->notes, sizeof(r->notes), fmt, ap);
	va_end(ap);
}

static uint64_t live_sessions; /* libsrtp sessions hotline holds (2 per SRTP leg) */

static int
measure(uint32_t n, int srtp, int harness, unsigned int secs, double budget_s,
	struct result *r)
{
	static struct gen g;
	struct hl_srtp_key rkey;
	struct final_sum fs;
	uint64_t d0[HL_DROP_MAX], t0, deadline;
	double last_ms;
	int64_t k;
	int rc = -1;

	memset(&g, 0, sizeof(g));
	memset(&fs, 0, sizeof(fs));
	memset(&rkey, 0, sizeof(rkey));
	memset(r, 0, sizeof(*r));
	r->streams = r->requested = n;
	r->srtp = srtp;
	r->harness = harness;
	r->path = harness ? "harness ceiling: generator + header-rewrite reflector" :
		  srtp == RUN_BRIDGE ? "RTP<->SRTP bridge AES_CM_128_HMAC_SHA1_80" :
		  srtp ? "SRTP<->SRTP AES_CM_128_HMAC_SHA1_80" : "RTP relay (plain)";
	g.n = n;
	g.srtp = srtp;
	g.harness = harness;
	g.win = srtp && window > SRTP_WINDOW ? SRTP_WINDOW : window;
	g.s = calloc(n, sizeof(*g.s));
	g.out_cnt = calloc(n, sizeof(*g.out_cnt));
	if (g.s == NULL || g.out_cnt == NULL) {
		fprintf(stderr, "bench_relay: out of memory\n");
		goto out;
	}
	for (uint32_t l = 0; l < n; l++) {
		g.s[l].seq = (uint16_t)(l * 7919u);
		g.s[l].ts = l * 1000u;
	}
	if (srtp && (hl_srtp_key_generate(&rkey, HL_SRTP_AES_CM_128_HMAC_SHA1_80) != 0 ||
		     cm_key_init(&g.rk, &rkey) != 0))
		goto out;

	printf("  %-36s %6u streams: ", r->path, n);
	fflush(stdout);
	t0 = rte_rdtsc();
	deadline = srtp ? t0 + (uint64_t)(hz * budget_s) : UINT64_MAX;
	if (harness) {
		k = n;
		last_ms = 0;
		set_mode(1);
	} else {
		k = legs_set(&g, &rkey, deadline, &last_ms);
	}
	if (srtp)
		hl_srtp_key_wipe(&rkey);
	if (k < 0)
		goto out;
	r->streams = g.n = (uint32_t)k;
	/* two sessions per SRTP leg: every leg, or every B leg of a bridge */
	uint64_t sess_per_2legs = srtp == RUN_BRIDGE ? 2 : srtp ? 4 : 0;
	live_sessions += sess_per_2legs * (uint64_t)k / 2;
	r->sessions = live_sessions;
	printf("%" PRId64 " legs up in %.2f s (%" PRIu64 " in the table)", k,
		(double)(rte_rdtsc() - t0) / hz, hl_media_legs(eng));
	fflush(stdout);
	if (k < (int64_t)n) {
		r->partial = 1;
		note(r, "SET-UP STOPPED by the %.0f s budget at %" PRId64 " of %u legs (hl_media_set "
			"on the control lcore: %.2f ms per leg for the last 1000); ", budget_s, k, n,
			last_ms);
	} else if (srtp) {
		note(r, "set-up %.3f ms per leg at the end; ", last_ms);
	}
	if (k == 0)
		goto out;

	memcpy(d0, hl_stats[WORKER_LCORE].drop, sizeof(d0));
	g.drop_base = worker_drops();
	g.recycle = 1;
	/* Warm-up: the first pass is RFC 3550 probation (dropped), the second latches. */
	uint64_t w0 = rte_rdtsc(), left = deadline > w0 ? deadline - w0 : 0;
	uint64_t wmax = srtp ? (left > (uint64_t)(5 * hz) ? left : (uint64_t)(5 * hz)) :
			       (uint64_t)(30 * hz);
	gen_run(&g, (uint64_t)(hz / 2), 3, wmax, NULL);
	printf(", warm-up %.2f s", (double)(rte_rdtsc() - w0) / hz);
	fflush(stdout);
	if (g.passes < 3) {
		note(r, "WARM-UP INCOMPLETE: %u passes over the streams in %.1f s; ", g.passes,
			(double)(rte_rdtsc() - w0) / hz);
		r->partial = 1;
	}
	uint64_t v_ok0 = g.verify_ok, rel0 = g.relayed;
	gen_run(&g, (uint64_t)(hz * secs), 0, (uint64_t)(hz * secs), r);
	/* Drain: stop recycling and collect what is still in flight. */
	g.recycle = 0;
	uint64_t dl = rte_rdtsc() + (uint64_t)(hz * 5);
	while (inflight(&g) > 0 && rte_rdtsc() < dl) {
		service(&g);
		hl_media_poll(eng, NULL);
	}
	int64_t lost = inflight(&g);
	printf(", %" PRIu64 " relayed\n", g.relayed - rel0);
	if (harness)
		set_mode(0);

	/* Every drop the worker counted since the legs were set up. */
	const uint64_t *d1 = hl_stats[WORKER_LCORE].drop;
	r->ok = 1;
	for (unsigned int i = 0; i < HL_DROP_MAX; i++) {
		uint64_t d = d1[i] - d0[i];
		if (d == 0)
			continue;
		if (i == HL_DROP_RTP_PROBATION && (d == g.n || (r->partial && d <= g.n))) {
			note(r, "%s %" PRIu64 " (%s, expected); ", hl_drop_name(i), d,
				d == g.n ? "1 per stream" : "first packets of the streams reached");
			continue;
		}
		note(r, "DROP %s %" PRIu64 "; ", hl_drop_name(i), d);
		r->ok = 0;
	}
	uint32_t silent = 0;
	for (uint32_t l = 0; l < g.n; l++)
		silent += g.out_cnt[l] == 0;
	if (silent) {
		note(r, "%u legs never relayed; ", silent);
		r->ok = 0;
	}
	if (g.bad || g.verify_fail || g.ring_full || lost != 0) {
		note(r, "BAD frames %" PRIu64 ", verify failed %" PRIu64 ", rx ring full %" PRIu64
			", unaccounted %" PRId64 "; ", g.bad, g.verify_fail, g.ring_full, lost);
		r->ok = 0;
	}
	if (harness) {
		rc = 0;
		goto out;
	}
	note(r, "%" PRIu64 " frames fully checked (%s); rtcp out %" PRIu64 ", arp %" PRIu64 "; ",
		g.verify_ok - v_ok0, srtp ? "SRTP auth + decrypt, payload, checksums" :
		"payload, checksums", g.rtcp, g.arp);
	if (srtp)
		note(r, "%.0f cycles per RTP packet handled (udp_rtp, relayed or not); ", r->cpp_in);

	if (srtp) {
		/* bare libsrtp while this run's sessions are alive (worker idle now) */
		struct bare b = {.pkts = 20000, .rounds = 3};
		bare_main(&b);
		if (!b.err)
			r->bare_live = b.cycles;
	}
	if (r->partial && srtp) {
		/* Freeing gets slower with the session count too: time a sample, leave the
		 * rest to process exit. */
		uint32_t m = g.n < DEL_SAMPLE ? g.n : DEL_SAMPLE;
		double t = legs_del(m, &fs);
		note(r, "teardown: %.2f ms per leg (hl_media_del + hl_srtp_ctx_fini on control, "
			"sample of %u), rest left to exit; ", t * 1e3 / m, m);
		live_sessions -= sess_per_2legs * (uint64_t)m / 2;
		srtp_leaked = 1;
	} else {
		double t = legs_del(g.n, &fs);
		if (srtp) {
			note(r, "teardown %.2f ms per leg; ", t * 1e3 / g.n);
			live_sessions -= sess_per_2legs * (uint64_t)g.n / 2;
		}
		if (fs.legs != g.n || fs.latched != g.n || fs.auth_fail || fs.replay ||
		    fs.wrong_source || fs.ssrc_changes) {
			note(r, "FINAL STATS: %" PRIu64 " legs, %" PRIu64 " latched, auth_fail %" PRIu64
				", replay %" PRIu64 ", wrong_source %" PRIu64 ", ssrc_changes %" PRIu64
				"; ", fs.legs, fs.latched, fs.auth_fail, fs.replay, fs.wrong_source,
				fs.ssrc_changes);
			r->ok = 0;
		}
		note(r, "legs' rx %" PRIu64 " tx %" PRIu64 " lost %" PRId64, fs.rx, fs.tx, fs.lost);
		if (srtp && g.n <= BARE_ROT_MAX) {
			r->bare_rot = bare_rotating(g.n, g.n > 4000 ? g.n : 4000, srtp == RUN_BRIDGE);
			note(r, "; bare libsrtp on %u legs round robin: %.0f cycles%s", g.n, r->bare_rot,
				srtp == RUN_BRIDGE ? " (unprotect or protect)" : "");
		}
	}
	rc = 0;
out:
	for (unsigned int l = 0; l < VERIFY_LEGS; l++)
		cm_key_fini(&g.v[l].k);
	cm_key_fini(&g.rk);
	free(g.s);
	free(g.out_cnt);
	return rc;
}

/* ---- dpdk-testpmd ---------------------------------------------------------------------- */

/* testpmd forwarding (io: no byte touched; 5tswap: swaps the Ethernet, IP and UDP
 * addresses of each packet, a relay's header work without lookups or checksums) between
 * two net_ring vdevs for secs on CPU 1; best and median of its 1 s windows (Rx-pps of
 * both ports summed). */
static double
testpmd_pps(const char *mode, unsigned int secs, double *med)
{
	char cmd[1024], line[512];
	double rate[64], v, cur = 0;
	unsigned int n = 0, shows = 0;

	snprintf(cmd, sizeof(cmd),
		"(sleep 3; echo 'start tx_first 16'; sleep 1; for i in $(seq %u); do "
		"echo 'show port stats all'; sleep 1; done; "
		"echo 'show port stats all'; echo stop; echo quit) | "
		"dpdk-testpmd -l 0,1 --main-lcore 0 %s -m 512 --no-pci --no-shconf "
		"--file-prefix hlrelay-tpmd --vdev net_ring0 --vdev net_ring1 "
		"--log-level='*:error' -- -i --forward-mode=%s --total-num-mbufs=16384 "
		"--txpkts=%u --no-mlockall 2>&1",
		secs, bench_hugepages(RELAY_MB) ? "--in-memory" : "--no-huge", mode,
		HDRS + RTP_LEN);
	/* bench_hugepages() answers as main() decided (HL_BENCH_HUGE), not as memory is now */
	FILE *p = popen(cmd, "r");
	if (p == NULL)
		return 0;
	while (fgets(line, sizeof(line), p) != NULL) {
		if (strstr(line, "NIC statistics for port 0") != NULL) {
			/* a new show: the previous one (ports 0 and 1) is complete; the first
			 * is the one-second mark after the start */
			if (shows++ > 1 && n < 64)
				rate[n++] = cur;
			cur = 0;
		}
		if (sscanf(line, " Rx-pps: %lf", &v) == 1)
			cur += v;
	}
	pclose(p);
	if (shows > 1 && n < 64)
		rate[n++] = cur;
	*med = median(rate, n);
	return n ? rate[n - 1] : 0;
}

/* ---- setup ------------------------------------------------------------------------------ */

static int
arp_learn(void)
{
	unsigned int want = NPORTS * NHOSTS;
	struct hl_lcore_stats s;

	for (unsigned int pi = 0; pi < NPORTS; pi++)
		for (unsigned int h = 0; h < NHOSTS; h++) {
			struct rte_mbuf *m = rte_pktmbuf_alloc(gpool);
			uint8_t *p;

			if (m == NULL || (p = (uint8_t *)rte_pktmbuf_append(m, 60)) == NULL)
				return -1;
			arp_request(p, pi, h);
			if (rte_ring_sp_enqueue(rxr[pi], m) != 0)
				return -1;
		}
	/* generous: under callgrind (instruction counts, bench/README.md) this takes seconds */
	uint64_t dl = rte_rdtsc() + (uint64_t)hz * 30;
	do {
		service(NULL);
		hl_stats_sum(&s);
	} while (s.ctr[HL_CTR_NEIGH_LEARNED] < want && rte_rdtsc() < dl);
	printf("neighbours: %" PRIu64 " of %u learnt from ARP\n", s.ctr[HL_CTR_NEIGH_LEARNED],
		want);
	return s.ctr[HL_CTR_NEIGH_LEARNED] >= want ? 0 : -1;
}

static unsigned int
parse_streams(int argc, char **argv, uint32_t *out, unsigned int max)
{
	unsigned int k = 0;

	for (int a = 2; a < argc; a++) {
		char *s = argv[a], *e;
		while (*s && k < max) {
			unsigned long v = strtoul(s, &e, 10);
			if (e == s)
				return 0;
			out[k++] = (uint32_t)v;
			s = e;
			while (*s == ',' || *s == ' ')
				s++;
		}
	}
	return k;
}

struct ceil {
	double io, io_med, sw, sw_med; /* testpmd io and 5tswap, pps */
	double bare;                   /* bare libsrtp cycles, no other session */
};

/*
 * The cycles/pkt a row stands for: the median window, except when a window can hold
 * less than one worker loop turn (a turn of SRTP at ~15k sessions takes longer than a
 * window, and busy cycles are counted per turn): then the whole measurement's average;
 * and for a run that never reached steady state (most packets still each stream's
 * first, unprotected and dropped in probation) per RTP packet handled, not relayed.
 */
static inline int
row_avg(const struct result *r)
{
	return r->partial || r->cpp_best <= 0 || r->nwin < 4;
}

static inline double
row_cpp(const struct result *r)
{
	return r->partial && r->cpp_in > 0 ? r->cpp_in : row_avg(r) ? r->cpp_avg : r->cpp_med;
}

static void
print_row(const struct result *r, const struct ceil *c)
{
	char vs[192], streams[32], cyc[64];
	double cpp = row_cpp(r);

	if (r->skipped) {
		printf("| hotline %s | %u | skipped | | | | | |\n", r->path, r->requested);
		return;
	}
	if (r->streams != r->requested)
		snprintf(streams, sizeof(streams), "%u of %u", r->streams, r->requested);
	else
		snprintf(streams, sizeof(streams), "%u", r->streams);
	if (!r->srtp)
		snprintf(vs, sizeof(vs), "%.1f%% of io, %.0f%% of 5tswap (medians %.1f%%, %.0f%%)",
			c->io > 0 ? 100.0 * r->mpps_best * 1e6 / c->io : 0,
			c->sw > 0 ? 100.0 * r->mpps_best * 1e6 / c->sw : 0,
			c->io_med > 0 ? 100.0 * r->mpps_med * 1e6 / c->io_med : 0,
			c->sw_med > 0 ? 100.0 * r->mpps_med * 1e6 / c->sw_med : 0);
	else if (r->srtp == RUN_BRIDGE)
		snprintf(vs, sizeof(vs), "%.2fx half of bare; %.2fx bare on as many legs (one op)",
			cpp / (c->bare / 2), r->bare_rot > 0 ? cpp / r->bare_rot : 0);
	else {
		int l = snprintf(vs, sizeof(vs), "%.2fx bare", cpp / c->bare);
		if (r->bare_rot > 0)
			l += snprintf(vs + l, sizeof(vs) - (size_t)l, "; %.2fx bare on as many legs",
				cpp / r->bare_rot);
		if (r->bare_live > 0)
			snprintf(vs + l, sizeof(vs) - (size_t)l, "; %.2fx bare (1 leg) with %" PRIu64
				" sessions live", cpp / r->bare_live, r->sessions);
	}
	if (r->partial && r->cpp_in > 0)
		snprintf(cyc, sizeof(cyc), "avg %.0f per pkt handled", cpp);
	else if (row_avg(r))
		snprintf(cyc, sizeof(cyc), "avg %.0f", cpp);
	else
		snprintf(cyc, sizeof(cyc), "%.0f / %.0f", r->cpp_best, r->cpp_med);
	printf("| %s%s | %s | %.3f / %.3f | %s | %.1f | %.0f%% | %.3f | %s |\n",
		r->harness ? "" : "hotline ", r->path, streams, r->mpps_best, r->mpps_med, cyc,
		cpp * 1e9 / hz, 100.0 * r->busy_med, cpp > 0 ? hz / cpp / 1e6 : 0, vs);
}

int
main(int argc, char **argv)
{
	unsigned int secs = argc > 1 ? (unsigned int)atoi(argv[1]) : 3;
	uint32_t streams[16] = {1000, 10000, 100000};
	unsigned int nstreams = 3;
	static struct hl_config cfg;
	char conf[2048], err[HL_CONFIG_ERR_MAX];
	const char *ev;
	int with_tpmd = (ev = getenv("HL_RELAY_TESTPMD")) == NULL || atoi(ev) != 0;
	int with_srtp = (ev = getenv("HL_RELAY_SRTP")) == NULL || atoi(ev) != 0;
	int with_bridge = (ev = getenv("HL_RELAY_BRIDGE")) == NULL || atoi(ev) != 0;
	double budget = (ev = getenv("HL_RELAY_SRTP_BUDGET_S")) != NULL ? atof(ev) : 20;

	if ((ev = getenv("HL_RELAY_WINDOW")) != NULL)
		window = (unsigned int)atoi(ev);
	if (argc > 2)
		nstreams = parse_streams(argc, argv, streams, 16);
	for (unsigned int i = 0; i < nstreams; i++)
		if (streams[i] < 2 || streams[i] % 2 || streams[i] > MAX_STREAMS)
			nstreams = 0;
	if (secs == 0 || secs > 30 || nstreams == 0 || window < GBURST ||
	    window > NPORTS * (RING_SZ - 2 * GBURST) || budget <= 0) {
		fprintf(stderr, "usage: bench_relay [seconds 1..30] [streams list, even, <= %u, "
			"e.g. 1000,10000,100000]\n", MAX_STREAMS);
		return 2;
	}
	memset(pattern, 0xd5, sizeof(pattern)); /* G.711 A-law silence */
	pattern_sum = hl_csum_partial(pattern, sizeof(pattern), 0);
	printf("bench_relay: %u s per measurement, %u packets in flight (SRTP %u), G.711 20 ms "
	       "frames (%u-byte RTP, %u-byte frames), SRTP set-up budget %.0f s\n", secs, window,
	       window > SRTP_WINDOW ? SRTP_WINDOW : window, RTP_LEN, HDRS + RTP_LEN, budget);
	fflush(stdout);

	/* One choice for testpmd and this process, made before either takes any. */
	bool huge = bench_hugepages(RELAY_MB);
	setenv("HL_BENCH_HUGE", huge ? "1" : "0", 1);
	struct ceil cl = {0};
	if (with_tpmd) {
		cl.io = testpmd_pps("io", secs, &cl.io_med);
		cl.sw = testpmd_pps("5tswap", secs, &cl.sw_med);
	}

	char *eal[] = {argv[0], "-l", "0,1", "--main-lcore", "0",
		huge ? "--in-memory" : "--no-huge", "-m", "2048",
		"--no-pci", "--no-shconf", "--file-prefix", "hlrelay", "--log-level=*:error"};
	if (rte_eal_init(sizeof(eal) / sizeof(eal[0]), eal) < 0) {
		fprintf(stderr, "EAL init failed\n");
		return 1;
	}
	hz = (double)rte_get_tsc_hz();

	/* Ring ethdevs, named in the config so the engine uses them instead of probing. */
	static char devs[NPORTS][RTE_ETH_NAME_MAX_LEN];
	const char *dev[NPORTS];
	for (unsigned int pi = 0; pi < NPORTS; pi++) {
		char name[RTE_RING_NAMESIZE];
		int pid;

		snprintf(name, sizeof(name), "hlr_rx%u", pi);
		rxr[pi] = rte_ring_create(name, RING_SZ, 0, RING_F_SP_ENQ | RING_F_SC_DEQ);
		snprintf(name, sizeof(name), "hlr_tx%u", pi);
		txr[pi] = rte_ring_create(name, RING_SZ, 0, RING_F_SP_ENQ | RING_F_SC_DEQ);
		snprintf(name, sizeof(name), "net_ring_hlr%u", pi);
		pid = rxr[pi] && txr[pi] ? rte_eth_from_rings(name, &rxr[pi], 1, &txr[pi], 1, 0) : -1;
		if (pid < 0 || rte_eth_dev_get_name_by_port((uint16_t)pid, devs[pi]) != 0) {
			fprintf(stderr, "ring ethdev %u: %s\n", pi, rte_strerror(rte_errno));
			return 1;
		}
		dev[pi] = devs[pi];
	}
	int n = engine_conf(conf, sizeof(conf), dev);
	if (n < 0 ||
	    hl_config_parse(&cfg, "bench_relay.conf", conf, (size_t)n, err, sizeof(err)) != 0 ||
	    (eng = hl_engine_create(&cfg, err, sizeof(err))) == NULL) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	wk = hl_engine_worker(eng, 0);
	for (unsigned int pi = 0; pi < NPORTS; pi++) {
		port_id[pi] = hl_engine_port_id(eng, pi);
		rte_eth_macaddr_get(port_id[pi], &port_mac[pi]);
	}
	build_templates();
	gpool = rte_pktmbuf_pool_create("hlr_gen", 32767, 256, 0, RTE_MBUF_DEFAULT_BUF_SIZE, 0);
	if (gpool == NULL) {
		fprintf(stderr, "generator pool: %s\n", rte_strerror(rte_errno));
		return 1;
	}
	if (cm_selftest() != 0) {
		fprintf(stderr, "bench_relay: the generator's SRTP does not match libsrtp's\n");
		return 1;
	}

	/* Bare libsrtp first, on the worker's CPU, before the worker takes it. */
	struct bare bare = {.pkts = 20000, .rounds = 5};
	rte_eal_remote_launch(bare_main, &bare, WORKER_LCORE);
	rte_eal_wait_lcore(WORKER_LCORE);
	if (bare.err) {
		fprintf(stderr, "bare libsrtp failed\n");
		return 1;
	}
	cl.bare = bare.cycles;

	if (rte_eal_remote_launch(worker_main, NULL, WORKER_LCORE) != 0) {
		fprintf(stderr, "cannot launch the worker on lcore %u\n", WORKER_LCORE);
		return 1;
	}
	if (arp_learn() != 0) {
		fprintf(stderr, "bench_relay: hotline did not learn the remote hosts\n");
		hl_engine_print_stats(eng, stderr);
		wk_run = 0;
		rte_eal_mp_wait_lcore();
		return 1;
	}

	/* Harness ceilings and plain runs first, then SRTP from the smallest up: SRTP leaves
	 * libsrtp/NSS state behind that only grows, and a run that hits the budget ends the
	 * SRTP series. */
	struct result res[64];
	unsigned int nres = 0;
	int fail = 0, stop_srtp = 0;
	for (int pass = 0; pass < 2 + with_srtp + with_bridge; pass++)
		for (unsigned int i = 0; i < nstreams; i++) {
			struct result *r = &res[nres++];
			int srtp = pass < 2 ? RUN_PLAIN : pass == 2 && with_srtp ? RUN_SRTP : RUN_BRIDGE;
			int harness = pass == 0;
			if (srtp && stop_srtp) {
				memset(r, 0, sizeof(*r));
				r->path = srtp == RUN_BRIDGE ? "RTP<->SRTP bridge AES_CM_128_HMAC_SHA1_80" :
					  "SRTP<->SRTP AES_CM_128_HMAC_SHA1_80";
				r->srtp = srtp;
				r->skipped = 1;
				r->requested = r->streams = streams[i];
				snprintf(r->notes, sizeof(r->notes), "skipped: a smaller SRTP run did not "
					"set up or warm up within the budget");
				fail = 1;
				continue;
			}
			if (measure(streams[i], srtp, harness, secs, budget, r) != 0)
				return 1;
			fail |= !r->ok || r->partial;
			if (srtp && r->partial)
				stop_srtp = 1;
		}
	__atomic_store_n(&wk_run, 0, __ATOMIC_RELAXED);
	rte_eal_mp_wait_lcore();

	/* ---- the table ---- */
	printf("\n| path (one worker core, CPU 1) | streams | Mpps best / median | cycles/pkt best "
	       "/ median | ns/pkt | worker busy | capacity Mpps | vs testpmd / vs libsrtp |\n");
	printf("| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |\n");
	if (with_tpmd) {
		printf("| dpdk-testpmd io-fwd, net_ring (the asked-for ceiling) | - | %.2f / %.2f | - "
		       "| %.1f | 100%% | - | 100%% |\n", cl.io / 1e6, cl.io_med / 1e6,
		       cl.io > 0 ? 1e9 / cl.io : 0);
		printf("| dpdk-testpmd 5tswap, net_ring | - | %.2f / %.2f | - | %.1f | 100%% | - | "
		       "%.0f%% of io |\n", cl.sw / 1e6, cl.sw_med / 1e6, cl.sw > 0 ? 1e9 / cl.sw : 0,
		       cl.io > 0 ? 100.0 * cl.sw / cl.io : 0);
	}
	printf("| bare libsrtp unprotect + protect, AES_CM_128_HMAC_SHA1_80, no other session | "
	       "- | - | %.0f | %.1f | - | %.3f | 1.00x |\n", bare.cycles, bare.cycles * 1e9 / hz,
	       hz / bare.cycles / 1e6);
	for (unsigned int i = 0; i < nres; i++)
		print_row(&res[i], &cl);
	printf("\n(best and median of %u ms worker windows over %u s; testpmd: 1 s windows; ns/pkt "
	       "and capacity from the median cycles/pkt; TSC %.2f GHz; memory: %s)\n", WIN_MS, secs,
		hz / 1e9, huge ? "2 MiB hugepages" : "4 KiB pages (--no-huge)");
	for (unsigned int i = 0; i < nres; i++)
		if (res[i].notes[0] != '\0')
			printf("  %s, %u streams: %s%s\n", res[i].path, res[i].requested, res[i].notes,
				res[i].ok && !res[i].partial ? "" : "  <-- PROBLEM");

	/* The targets: plain >= 5.25 Mpps on one core and >= 50% of testpmd; SRTP
	 * relay within 15% of bare libsrtp's unprotect + protect. */
	printf("\ntargets:\n");
	for (unsigned int i = 0; i < nres; i++) {
		const struct result *r = &res[i];
		if (r->harness)
			continue;
		if (r->skipped) {
			printf("  %s %6u streams: not measured\n",
				r->srtp == RUN_BRIDGE ? "bridge" : "SRTP ", r->requested);
		} else if (r->srtp == RUN_BRIDGE) {
			/* No target of its own: what the bridge costs over the plain relay of as
			 * many streams plus libsrtp's one operation per packet on as many legs. */
			double cpp = row_cpp(r), plain = 0;
			for (unsigned int k = 0; k < nres; k++)
				if (!res[k].harness && res[k].srtp == RUN_PLAIN &&
				    res[k].streams == r->streams)
					plain = row_cpp(&res[k]);
			printf("  bridge %5u streams: %.0f cycles/pkt; plain relay %.0f + bare libsrtp "
			       "on as many legs %.0f = %.0f -> %.2fx of that sum\n", r->streams, cpp,
			       plain, r->bare_rot, plain + r->bare_rot,
			       plain + r->bare_rot > 0 ? cpp / (plain + r->bare_rot) : 0);
		} else if (!r->srtp) {
			double cap = r->cpp_med > 0 ? hz / r->cpp_med / 1e6 : 0, hcap = 0;
			for (unsigned int k = 0; k < nres; k++)
				if (res[k].harness && res[k].streams == r->streams)
					hcap = res[k].mpps_best;
			printf("  plain %6u streams: %.2f Mpps wall (best window; harness ceiling %.2f), "
			       "%.2f Mpps capacity (median cycles) -> >= 5.25 Mpps: %s; %.1f%% of "
			       "testpmd io -> >= 50%%: %s\n", r->streams, r->mpps_best, hcap, cap,
			       r->mpps_best >= 5.25 ? "met" : cap >= 5.25 ? "met on cycles only" :
			       "NOT met", cl.io > 0 ? 100.0 * r->mpps_best * 1e6 / cl.io : 0,
			       cl.io <= 0 ? "no ceiling" : r->mpps_best * 1e6 >= cl.io / 2 ? "met" :
			       "NOT met");
		} else {
			double cpp = row_cpp(r);
			/* Like for like: bare libsrtp on as many legs, round robin, pays the
			 * same cache misses on libsrtp's own per-session state as the relay;
			 * one hot session does not. Both are printed. */
			printf("  SRTP  %6u streams: %.0f cycles/pkt vs bare %.0f (one hot session) = "
			       "%.2fx", r->streams, cpp, bare.cycles, cpp / bare.cycles);
			if (r->bare_rot > 0)
				printf(", vs bare libsrtp on as many legs %.0f = %.2fx -> <= 1.15x: %s",
					r->bare_rot, cpp / r->bare_rot,
					cpp <= 1.15 * r->bare_rot && !r->partial ? "met" : "NOT met");
			else
				printf(" -> <= 1.15x: %s",
					cpp <= 1.15 * bare.cycles && !r->partial ? "met" : "NOT met");
			if (r->bare_live > 0)
				printf(" (bare libsrtp, 1 leg, with the same %" PRIu64 " sessions live: "
				       "%.2fx)", r->sessions, cpp / r->bare_live);
			printf("\n");
		}
	}
	fflush(stdout);
	if (srtp_leaked) {
		/* hl_engine_free would free every session left, at the cost measured above. */
		printf("\n(engine not freed: SRTP sessions left to process exit)\n");
		return fail ? 1 : 0;
	}
	hl_engine_free(eng);
	rte_eal_cleanup();
	return fail ? 1 : 0;
}
