/*
 * libFuzzer target: the worker's media path (dataplane/media.c) behind the real L2-L4
 * classifier (dataplane/net.c), driven through the control API, with invariants checked
 * on everything that comes out.
 *
 * Set-up, once (LLVMFuzzerInitialize), as tests/test_media.c does it: EAL without
 * hugepages, PCI or shared config; two ethdevs made of rte_rings (ports 0 and 1, each
 * with an IPv4 /24 and an IPv6 /64); the engine from a config string and its one worker.
 * Each turn the target runs the worker's loop itself, because hl_worker_poll() reads
 * rte_rdtsc() and an input must be able to jump minutes ahead on a virtual clock:
 * hl_net_rx_burst() per port, hl_media_commands(), hl_media_tick(now), TX flush,
 * hl_net_maintain(); then both TX rings are drained and checked and hl_media_poll()
 * collected.
 *
 * An input is a small program (enum op; layouts at op_set(), op_rtp(), op_rtcp()):
 * - legs set with hl_media_set(): plain or SRTP under seven fixed keys (the last, inbound,
 *   as a pair with the fifth told apart by MKI, RFC 4568 §6.1), PTs, te_pt, mux,
 *   hold flags, timeouts, bridged to any slot of either port; hl_media_del();
 * - Ethernet + IPv4/IPv6 + UDP frames to a leg's RTP or RTCP port, from a chosen host
 *   and port, with IP options or an extension header, in one or two segments, with a
 *   right, absent or wrong UDP checksum;
 * - their payload: an RTP header from fuzz fields (sequence and timestamp relative to
 *   the stream so far, CSRCs, extension, padding), a built SR/RR (a block about our
 *   SSRC, LSR echoing the last SR the leg sent), or raw bytes; SRTP/SRTCP-protected on
 *   request by a remote-side libsrtp session under the leg's inbound key (either of a
 *   pair, by the packet's second and third octets), so authenticated packets reach
 *   statistics, DTMF and the relay;
 * - key presses for a leg to send as telephone-events (hl_media_dtmf(), op_dtmf()),
 *   any key code, duration and leg, existing or not;
 * - replays of the last frame, a host moving to a new MAC, jumps of the clock.
 * At the end every leg is deleted and commands and events are drained.
 *
 * Invariants (abort() when broken):
 * - every frame sent is IPv4/IPv6 + UDP from our address to a known host at its current
 *   MAC, lengths and IPv4 header checksum right, DSCP EF;
 * - its UDP checksum is right, unless it relays plain-to-plain one that came in wrong
 *   (RFC 1624 keeps the error);
 * - it leaves from a leg that exists and is not recv_only;
 * - its SRTP/SRTCP authenticates under that leg's outbound key (a receiver-side libsrtp
 *   session, started at the ROC the stream had when the key changed), with the leg's
 *   SSRC and one of its PTs;
 * - a leg sends RTP only while legs that name it receive, and, once it was asked for key
 *   presses, at most one packet of its own a turn besides (one tick: hl_media_dtmf()
 *   sends at most one a tick on a leg); hl_media_dtmf() refuses a key it has no event
 *   for and takes every other;
 * - a leg that can report sends RTCP within 7.5 s (RFC 3550 §6.3.1);
 * - a timeout event comes only after its silence;
 * - each deleted leg gets one final whose counts match what was seen and whose figures
 *   are in range;
 * - an in-band press comes only from a leg that was set up for in-band detection on
 *   G.711, G.722 or Opus (a dynamic PT at 48000): without telephone-events, or with them and dtmf_suppress or
 *   HL_MEDIA_INBAND_ALWAYS;
 * - audio is muted (rtp_dtmf_muted) only in an input that set a leg in-band with
 *   dtmf_suppress (with or without telephone-events): HL_MEDIA_INBAND_ALWAYS alone
 *   mutes nothing;
 * - a press is swallowed as the duplicate of one reported from the other source
 *   (dtmf_dup_presses) only in an input that set a leg in-band with telephone-events
 *   (dtmf_suppress or HL_MEDIA_INBAND_ALWAYS); every press the worker counts (dtmf_4733_presses,
 *   dtmf_inband_presses) reaches control as one event, unless the event ring was full;
 * - after clean-up no legs and no pending commands remain and both mbuf pools are full.
 * DPDK memory is not ASan-instrumented, so the mempool object headers (and padding) of
 * both pools are poisoned: a write past the end of an mbuf's buffer is reported.
 *
 * HL_FUZZ_MEDIA_SEEDS=<dir> writes the seed programs to <dir> and exits (that is how
 * tests/fuzz/corpus/media/ was made); HL_FUZZ_MEDIA_TRACE=1 prints what each input did.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_eth_ring.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>
#include <rte_random.h>
#include <rte_ring.h>

#include <opus.h>
#include <spandsp.h>

#include "dataplane/engine_priv.h"
#include "hotline/common.h"
#include "hotline/config.h"
#include "hotline/counters.h"
#include "hotline/dtmf.h"
#include "hotline/engine.h"
#include "hotline/media.h"
#include "hotline/neigh.h"
#include "hotline/net.h"
#include "hotline/rtp.h"
#include "hotline/srtp.h"

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#include <sanitizer/asan_interface.h>
#define POISON(p, n) ASAN_POISON_MEMORY_REGION(p, n)
#endif
#endif
#ifndef POISON
#define POISON(p, n) ((void)(p), (void)(n))
#endif
#if defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(leak_sanitizer)
#include <sanitizer/lsan_interface.h>
#define LSAN_OFF() __lsan_disable()
#define LSAN_ON()  __lsan_enable()
#endif
#endif
#ifndef LSAN_OFF
#define LSAN_OFF() ((void)0)
#define LSAN_ON()  ((void)0)
#endif

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define N_PI	      2
#define N_SLOT	      8
#define N_HOST	      4
#define N_KEY	      7
/* A leg whose inbound key is PAIR_KEY also holds PAIR_WITH (MKIs 0x0103 and 0x0102). */
#define PAIR_KEY      6
#define PAIR_WITH     4
#define N_SSRC	      4
#define PORT_BASE     20000
#define FRAME_MAX     600
#define MAX_OPS	      400
#define TIME_BUDGET_S 120	   /* virtual seconds one input may advance (no wrap in a run) */
#define RTCP_LATE_MS  (7500 + 100) /* §6.3.1 upper bound + tick and turn granularity */
/* G.107 Annex B's cubic dips to 0.9888 near R = 3.2 before it reaches 1 at R = 6.5 */
#define MOS_MIN	       0.988
#define REKEY_GRACE_MS 2000 /* dataplane/media.c: the old inbound key works this long */
/* [rtp] max_legs: fewer than the N_PI * N_SLOT legs a program can ask for, so a full
 * leg table is reached (the worker refuses the set; hl_media_set() has returned 0) */
#define MAX_LEGS 12

/* ---- the program ---- */

enum op {
	OP_SET,	   /* 9 bytes: see op_set() */
	OP_DEL,	   /* 1 byte: slot | pi << 3 */
	OP_RTP,	   /* frame header (3 bytes) + 6 bytes + payload: see op_rtp() */
	OP_RAW,	   /* frame header + len + mode + bytes */
	OP_RTCP,   /* frame header + 4 bytes: see op_rtcp() */
	OP_TURN,   /* run the worker on what is queued */
	OP_TIME,   /* 1 byte: advance the clock (see advance()), then a turn */
	OP_REPLAY, /* the last frame again, byte for byte */
	OP_MAC,	   /* 1 byte: host | pi << 2 | MAC variant << 3: the host moves to a new MAC */
	OP_DTMF,   /* 3 bytes: see op_dtmf() */
	OP_MAX_,
};

/* Frame header, three bytes in front of every frame op. */
#define FH_SLOT(b) ((b)&7)
#define FH_PI(b)   (((b) >> 3) & 1)
#define FH_ODD	   0x10 /* to the RTCP port (RTP port + 1) */
#define FH_V6	   0x20 /* IPv6 (else IPv4), whatever the leg's family */
#define FH_OPT	   0x40 /* IPv4 options / an IPv6 destination-options header */
#define FH_SPLIT   0x80 /* two mbuf segments */
/* second byte: host (bits 0-1), source port choice (bits 2-3), a small number (4-7) */
/* third byte: UDP checksum (bits 0-1: right, absent (zero), wrong by bits 2-7, right) */
#define FH_CSUM(b) ((b)&3)
#define CSUM_ZERO  1
#define CSUM_WRONG 2

/* ---- fixed world ---- */

struct key_spec {
	uint8_t suite;
	uint8_t mki_len;
	uint16_t mki;
};

static const struct key_spec key_specs[N_KEY] = {
	{HL_SRTP_AES_CM_128_HMAC_SHA1_80, 0},
	{HL_SRTP_AES_CM_128_HMAC_SHA1_32, 0},
	{HL_SRTP_AEAD_AES_128_GCM, 0},
	{HL_SRTP_AES_256_CM_HMAC_SHA1_80, 0},
	{HL_SRTP_AES_CM_128_HMAC_SHA1_80, 2, 0x0102},
	{HL_SRTP_AEAD_AES_256_GCM, 0, 0},
	{HL_SRTP_AES_CM_128_HMAC_SHA1_80, 2, 0x0103},
};

static const uint32_t clock_rates[8] = {8000, 8000, 16000, 48000, 0, 8000, 90000, 44100};

static const char conf_fmt[] =
	"[lcores]\ncontrol = 0\nworkers = 0\n"
	"[port a]\ndevice = %s\nipv4 = 10.0.0.1/24\nipv6 = 2001:db8::1/64\n"
	"[port b]\ndevice = %s\nipv4 = 10.1.0.1/24\nipv6 = 2001:db8:1::1/64\n"
	"[sip]\nstore = %s\n[rtp]\nports = 20000-20063\nmax_legs = 12\n"
	"[limits]\nmbufs = 4095\nneigh_entries = 256\n";

static struct rte_ring *rxr[N_PI], *txr[N_PI];
static struct rte_mempool *inj_pool, *eng_pool;
static struct hl_engine *eng;
static struct hl_worker *wk;
static struct hl_config cfg;
static struct rte_ether_addr port_mac[N_PI];
static uint8_t our4[N_PI][4], our6[N_PI][16];
static uint8_t host4[N_PI][N_HOST][4], host6[N_PI][N_HOST][16];
static uint8_t host_mac[N_PI][N_HOST][6];
static uint64_t tsc_hz, vnow, input_t0;
static uint64_t next_maint, next_learn;
static int trace; /* HL_FUZZ_MEDIA_TRACE: what each input did, on stderr */

/* ---- the model: what control asked for, as the worker sees it ---- */

struct sender {
	uint16_t seq;
	uint32_t ts;
};

struct mleg {
	uint8_t exists;
	uint8_t final_due; /* deleted this turn: its final must arrive */
	uint32_t call;
	uint16_t tenant;
	uint8_t side;
	uint8_t family, rtcp_mux, recv_only, remote_silent, dtmf_suppress;
	uint8_t codec_pt;
	uint8_t inband_ever; /* was set with in-band DTMF on G.711, G.722 or Opus, without
				telephone-events or with dtmf_suppress or
				HL_MEDIA_INBAND_ALWAYS */
	int16_t te_pt;
	uint8_t bridged, peer_pi, peer_slot;
	uint8_t dtmf_asked; /* hl_media_dtmf() took a press for it */
	uint16_t remote_port, remote_rtcp_port;
	int8_t rx_key, tx_key;
	int8_t prev_rx_key; /* the inbound key a re-key replaced, accepted until prev_until */
	uint64_t prev_until;
	uint32_t timeout_ms, hold_timeout_ms;
	uint32_t ssrc;
	uint64_t set_at;     /* vnow of the last set: the silence clock restarts there */
	uint64_t rtcp_clock; /* since when a report is owed */
	/* what came out */
	uint64_t out_frames, rtp_out, rtcp_out, in_frames, dtmf_events, timeouts;
	uint64_t acceptable;	   /* frames in that the leg may take: plain to a plain leg, or
				      under its inbound key (or the previous one, in the grace) */
	struct hl_srtp_ctx mirror; /* receiver of what we send on this leg */
	uint8_t have_mirror;
	uint8_t seq_started;
	uint16_t last_seq;
	uint32_t roc; /* RFC 3711 §3.3.1 as the far end counts it */
	uint8_t have_sr;
	uint32_t last_sr_mid32;
	/* this turn */
	uint32_t turn_in, turn_rtp_out;
	uint32_t turn_bad_in, turn_bad_out; /* RTP with a wrong UDP checksum */
	struct sender snd[N_SSRC];
};

static struct mleg legs[N_PI][N_SLOT];
static uint8_t mute_ever;  /* this input set a leg in-band with dtmf_suppress */
static uint8_t dedup_ever; /* this input set a leg in-band with telephone-events */
static uint64_t dtmf_seen; /* DTMF events control got in this input */
static uint32_t next_call;
static unsigned int n_legs;		  /* legs the worker holds */
static struct hl_srtp_ctx senders[N_KEY]; /* the remote sides' outbound sessions */
static uint8_t have_sender[N_KEY];

static struct hl_media_stats finals[64];
static unsigned int n_finals;

static struct rte_mbuf *burst[N_PI][HL_BURST];
static unsigned int n_burst[N_PI];
static uint8_t last_frame[FRAME_MAX];
static size_t last_len;
static unsigned int last_pi, last_split;
static int last_slot = -1, last_odd, last_bad;

#define FAIL(...)                                                                                  \
	do {                                                                                       \
		fprintf(stderr, "fuzz_media: invariant broken: " __VA_ARGS__);                     \
		fprintf(stderr, "\n");                                                             \
		abort();                                                                           \
	} while (0)

static void
make_key(struct hl_srtp_key *k, unsigned int idx)
{
	const struct key_spec *s = &key_specs[idx];

	memset(k, 0, sizeof(*k));
	k->suite = s->suite;
	k->key_salt_len = (uint8_t)hl_srtp_suite_key_salt_len(s->suite);
	k->mki_len = s->mki_len;
	k->mki = s->mki;
	for (unsigned int i = 0; i < k->key_salt_len; i++)
		k->key[i] = (uint8_t)(0x11 * (idx + 1) + 7 * i);
}

static uint16_t
leg_port(unsigned int slot)
{
	return (uint16_t)(PORT_BASE + 2 * slot);
}

static uint32_t
leg_ssrc(unsigned int pi, unsigned int slot)
{
	return 0x10000000u | pi << 8 | slot;
}

/* ---- checksums, written here so they check the engine's, not repeat them ---- */

static uint32_t
sum16(const uint8_t *p, size_t n, uint32_t s)
{
	size_t i;

	for (i = 0; i + 1 < n; i += 2)
		s += (uint32_t)p[i] << 8 | p[i + 1];
	if (n & 1)
		s += (uint32_t)p[n - 1] << 8;
	return s;
}

static uint16_t
fold(uint32_t s)
{
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)s;
}

/* UDP checksum sum over the pseudo-header (RFC 768 / RFC 8200 §8.1) and the datagram. */
static uint32_t
udp_sum(int v6, const uint8_t *src, const uint8_t *dst, const uint8_t *udp, size_t ulen)
{
	uint32_t s = 0;

	if (v6) {
		s = sum16(src, 16, s);
		s = sum16(dst, 16, s);
		s += (uint32_t)(ulen >> 16) + (uint32_t)(ulen & 0xffff) + IPPROTO_UDP;
	} else {
		s = sum16(src, 4, s);
		s = sum16(dst, 4, s);
		s += IPPROTO_UDP + (uint32_t)ulen;
	}
	return sum16(udp, ulen, s);
}

/* ---- the worker's loop, on the virtual clock ---- */

static void on_event(void *ctx, const struct hl_media_event *ev);
static void on_final(void *ctx, const struct hl_media_stats *st);
static const struct hl_media_sink sink = {on_event, on_final, NULL};

static struct mleg *
leg_of_call(uint32_t call, unsigned int *pi, unsigned int *slot)
{
	for (unsigned int p = 0; p < N_PI; p++)
		for (unsigned int s = 0; s < N_SLOT; s++)
			if ((legs[p][s].exists || legs[p][s].final_due) &&
				legs[p][s].call == call) {
				if (pi)
					*pi = p;
				if (slot)
					*slot = s;
				return &legs[p][s];
			}
	return NULL;
}

static unsigned int stale_due; /* refusals of sets keeping sessions never had */

static void
on_event(void *ctx, const struct hl_media_event *ev)
{
	struct mleg *l = leg_of_call(ev->call, NULL, NULL);

	(void)ctx;
	if (ev->type == HL_MEDIA_EV_REFUSED) {
		/* A set the worker could not take: only with its table full, or one that
		 * would keep SRTP sessions the leg does not have. */
		if (stale_due > 0) {
			stale_due--;
			return;
		}
		if (n_legs < MAX_LEGS)
			FAIL("leg of call %u refused with %u of %u legs", ev->call, n_legs, MAX_LEGS);
		return;
	}
	if (l == NULL || ev->side != l->side)
		FAIL("event type %u for unknown call %u side %u", ev->type, ev->call, ev->side);
	if (ev->type == HL_MEDIA_EV_DTMF) {
		if (ev->digit == 0 || strchr("0123456789*#ABCD!", ev->digit) == NULL)
			FAIL("DTMF digit 0x%02x", (unsigned char)ev->digit);
		if (ev->how > HL_DTMF_END_TONE || (ev->how == HL_DTMF_END_TONE && !l->inband_ever))
			FAIL("DTMF end %u", ev->how);
		l->dtmf_events++;
		dtmf_seen++;
	} else if (ev->type == HL_MEDIA_EV_TIMEOUT) {
		uint32_t limit = l->remote_silent ? l->hold_timeout_ms : l->timeout_ms;
		if (!l->exists || limit == 0)
			FAIL("timeout event on call %u with no timeout", ev->call);
		/* The silence clock restarts at the set and at each valid packet. */
		if (vnow - l->set_at <= tsc_hz / 1000 * limit)
			FAIL("timeout after %.1f ms of a %u ms limit",
				(double)(vnow - l->set_at) * 1000.0 / (double)tsc_hz, limit);
		l->timeouts++;
	} else {
		FAIL("event type %u", ev->type);
	}
}

static void
on_final(void *ctx, const struct hl_media_stats *st)
{
	(void)ctx;
	if (n_finals >= HL_ARRAY_SIZE(finals))
		FAIL("more finals than deletes");
	finals[n_finals++] = *st;
}

static void
mirror_drop(struct mleg *l)
{
	hl_srtp_ctx_fini(&l->mirror);
	l->have_mirror = 0;
}

/* A final is checked once the whole poll is in, so the leg's events are counted. */
static void
check_finals(void)
{
	for (unsigned int i = 0; i < n_finals; i++) {
		const struct hl_media_stats *st = &finals[i];
		unsigned int pi, slot;
		struct mleg *l = leg_of_call(st->call, &pi, &slot);

		if (l == NULL || !l->final_due)
			FAIL("final for call %u that was not deleted", st->call);
		if (st->local_port != leg_port(slot) || st->side != l->side ||
			st->tenant != l->tenant)
			FAIL("final of call %u names port %u side %u tenant %u", st->call,
				st->local_port, st->side, st->tenant);
		if (st->tx_packets + st->rtcp_out != l->out_frames)
			FAIL("leg %u/%u: tx_packets %llu + rtcp_out %llu, but %llu frames left", pi,
				leg_port(slot), (unsigned long long)st->tx_packets,
				(unsigned long long)st->rtcp_out,
				(unsigned long long)l->out_frames);
		if (st->rtcp_out != l->rtcp_out)
			FAIL("leg %u/%u: rtcp_out %llu, %llu reports seen", pi, leg_port(slot),
				(unsigned long long)st->rtcp_out, (unsigned long long)l->rtcp_out);
		if (st->dtmf != l->dtmf_events)
			FAIL("leg %u/%u: dtmf %llu, %llu events", pi, leg_port(slot),
				(unsigned long long)st->dtmf, (unsigned long long)l->dtmf_events);
		if (st->rx_packets + st->rtcp_in > l->acceptable)
			FAIL("leg %u/%u took %llu RTP + %llu RTCP packets; %llu could authenticate",
				pi, leg_port(slot), (unsigned long long)st->rx_packets,
				(unsigned long long)st->rtcp_in, (unsigned long long)l->acceptable);
		if (st->rx_packets > l->in_frames || st->rtcp_in > l->in_frames ||
			st->srtp_auth_fail + st->srtp_replay > l->in_frames ||
			st->wrong_source > l->in_frames)
			FAIL("leg %u/%u: rx %llu rtcp_in %llu auth %llu replay %llu wrong %llu "
			     "of %llu frames in",
				pi, leg_port(slot), (unsigned long long)st->rx_packets,
				(unsigned long long)st->rtcp_in,
				(unsigned long long)st->srtp_auth_fail,
				(unsigned long long)st->srtp_replay,
				(unsigned long long)st->wrong_source,
				(unsigned long long)l->in_frames);
		if (st->rx_bytes > st->rx_packets * 65535)
			FAIL("rx_bytes %llu", (unsigned long long)st->rx_bytes);
		if (!isfinite(st->loss_pct) || st->loss_pct < 0 || st->loss_pct > 100 ||
			!isfinite(st->jitter_ms) || st->jitter_ms < 0 || !isfinite(st->mos) ||
			(st->rx_packets ? st->mos < MOS_MIN || st->mos > 4.5 : st->mos != 0))
			FAIL("leg %u/%u: loss %g%% jitter %g ms mos %g", pi, leg_port(slot),
				st->loss_pct, st->jitter_ms, st->mos);
		if (trace)
			fprintf(stderr,
				"  final %u/%u call %u: rx %llu tx %llu rtcp %llu/%llu dtmf %llu "
				"auth_fail %llu replay %llu wrong_src %llu latched %u loss %.1f%% "
				"jitter %.2f ms rtt %u ms mos %.2f\n",
				pi, leg_port(slot), st->call, (unsigned long long)st->rx_packets,
				(unsigned long long)st->tx_packets, (unsigned long long)st->rtcp_in,
				(unsigned long long)st->rtcp_out, (unsigned long long)st->dtmf,
				(unsigned long long)st->srtp_auth_fail,
				(unsigned long long)st->srtp_replay,
				(unsigned long long)st->wrong_source, st->latched, st->loss_pct,
				st->jitter_ms, st->rtt_ms, st->mos);
		mirror_drop(l);
		struct sender snd[N_SSRC];
		memcpy(snd, l->snd, sizeof(snd));
		memset(l, 0, sizeof(*l));
		memcpy(l->snd, snd, sizeof(snd));
	}
	n_finals = 0;
	for (unsigned int p = 0; p < N_PI; p++)
		for (unsigned int s = 0; s < N_SLOT; s++)
			if (legs[p][s].final_due)
				FAIL("leg %u/%u deleted, no final", p, leg_port(s));
}

/* The receiver of leg l's outbound stream, from the ROC the stream has reached. */
static struct hl_srtp_ctx *
mirror_of(struct mleg *l)
{
	if (!l->have_mirror) {
		struct hl_srtp_key k;
		struct hl_srtp_opts o = {.ssrc = l->ssrc, .ssrc_specific = 1, .roc = l->roc};

		make_key(&k, (unsigned int)l->tx_key);
		if (hl_srtp_ctx_init(&l->mirror, &k, HL_SRTP_INBOUND, &o) != 0)
			FAIL("mirror session");
		l->have_mirror = 1;
	}
	return &l->mirror;
}

static int
host_of(unsigned int pi, int v6, const uint8_t *ip)
{
	for (int h = 0; h < N_HOST; h++)
		if (memcmp(ip, v6 ? host6[pi][h] : host4[pi][h], v6 ? 16 : 4) == 0)
			return h;
	return -1;
}

/* Everything a frame the engine sent must be. */
static void
check_tx(unsigned int pi, struct rte_mbuf *m)
{
	uint8_t f[2048], pl[2048];
	const char *why = NULL;
	uint32_t len = rte_pktmbuf_pkt_len(m);

	if (rte_mbuf_check(m, 1, &why) != 0)
		FAIL("TX mbuf: %s", why);
	if (len < 14 || len > sizeof(f))
		FAIL("TX frame of %u bytes", len);
	const uint8_t *fp = rte_pktmbuf_read(m, 0, len, f);
	if (fp == NULL)
		FAIL("TX mbuf shorter than its pkt_len");
	if (fp != f)
		memcpy(f, fp, len);
	if (memcmp(f + 6, port_mac[pi].addr_bytes, 6) != 0)
		FAIL("TX source MAC is not port %u's", pi);
	uint16_t et = hl_rd16(f + 12);
	if (et == RTE_ETHER_TYPE_ARP)
		return; /* a neighbour probe */
	int v6 = et == RTE_ETHER_TYPE_IPV6;
	if (!v6 && et != RTE_ETHER_TYPE_IPV4)
		FAIL("TX ethertype 0x%04x", et);
	const uint8_t *ip = f + 14, *src, *dst, *u;
	uint32_t ulen;
	if (v6) {
		if (len < 14 + 40 + 8) {
			if (len >= 14 + 40 && ip[6] == 58)
				return;
			FAIL("TX IPv6 frame of %u bytes", len);
		}
		if (ip[6] == 58)
			return; /* Neighbor Solicitation */
		if ((ip[0] >> 4) != 6 || ip[6] != IPPROTO_UDP || hl_rd16(ip + 4) != len - 54)
			FAIL("TX IPv6 header: version %u next %u payload %u of %u", ip[0] >> 4,
				ip[6], hl_rd16(ip + 4), len - 54);
		if (((hl_rd32(ip) >> 20) & 0xff) != 0xb8)
			FAIL("TX IPv6 traffic class not EF");
		src = ip + 8;
		dst = ip + 24;
		u = ip + 40;
		ulen = len - 54;
	} else {
		if (len < 14 + 20 + 8 || ip[0] != 0x45 || ip[9] != IPPROTO_UDP ||
			hl_rd16(ip + 2) != len - 14)
			FAIL("TX IPv4 header: %02x proto %u total %u of %u", ip[0], ip[9],
				hl_rd16(ip + 2), len - 14);
		if (fold(sum16(ip, 20, 0)) != 0xffff)
			FAIL("TX IPv4 header checksum");
		if (ip[1] != 0xb8 || (hl_rd16(ip + 6) & 0x4000) == 0 || ip[8] == 0)
			FAIL("TX IPv4 tos %02x frag %04x ttl %u", ip[1], hl_rd16(ip + 6), ip[8]);
		src = ip + 12;
		dst = ip + 16;
		u = ip + 20;
		ulen = len - 34;
	}
	if (memcmp(src, v6 ? our6[pi] : our4[pi], v6 ? 16 : 4) != 0)
		FAIL("TX from an address not port %u's", pi);
	int h = host_of(pi, v6, dst);
	if (h < 0)
		FAIL("TX to an unknown host on port %u", pi);
	if (memcmp(f, host_mac[pi][h], 6) != 0)
		FAIL("TX to host %d with the wrong MAC", h);
	if (hl_rd16(u + 4) != ulen)
		FAIL("TX UDP length %u of %u", hl_rd16(u + 4), ulen);
	if (hl_rd16(u + 6) == 0)
		FAIL("TX without a UDP checksum");
	int csum_ok = fold(udp_sum(v6, src, dst, u, ulen)) == 0xffff;
	uint16_t sport = hl_rd16(u), dport = hl_rd16(u + 2);
	if (dport == 0)
		FAIL("TX to UDP port 0");
	if (sport < PORT_BASE || sport >= PORT_BASE + 2 * N_SLOT)
		FAIL("TX from UDP port %u, no leg there", sport);
	unsigned int slot = (sport - PORT_BASE) / 2;
	struct mleg *l = &legs[pi][slot];
	if (!l->exists)
		FAIL("TX from leg %u/%u, which does not exist (deleted or never set)", pi,
			leg_port(slot));
	if (l->family != (v6 ? 6 : 4))
		FAIL("TX IPv%d from an IPv%u leg", v6 ? 6 : 4, l->family);
	if (l->recv_only)
		FAIL("TX from leg %u/%u, which is recv_only", pi, leg_port(slot));
	if ((sport & 1) && l->rtcp_mux)
		FAIL("TX from the RTCP port of a muxed leg");

	/* RTCP: from the odd port, or demuxed on a muxed leg (RFC 5761 §4); else RTP. */
	size_t n = ulen - 8;
	int rtcp = 0;
	memcpy(pl, u + 8, n);
	if ((sport & 1) || hl_rtp_demux(pl, n) == HL_DEMUX_RTCP) {
		int k = (int)n;
		uint8_t tmp[2048];
		struct hl_rtcp_info info;

		memcpy(tmp, pl, n);
		if (l->tx_key >= 0)
			k = hl_srtp_unprotect_rtcp(mirror_of(l), tmp, n);
		if (k > 0 && hl_rtcp_parse(tmp, (size_t)k, &info) > 0 && info.ssrc == l->ssrc &&
			info.n_rb <= 1) {
			rtcp = 1;
			if (info.has_sr) {
				l->have_sr = 1;
				l->last_sr_mid32 = hl_ntp_mid32(info.si.ntp);
			}
		} else if (sport & 1) {
			FAIL("TX RTCP from leg %u/%u does not %s (%d)", pi, leg_port(slot),
				l->tx_key >= 0 ? "authenticate or parse" : "parse", k);
		}
	}
	l->out_frames++;
	if (rtcp) {
		if (!csum_ok)
			FAIL("TX RTCP from leg %u/%u: UDP checksum wrong", pi, leg_port(slot));
		l->rtcp_out++;
		l->rtcp_clock = vnow;
		return;
	}
	if (!csum_ok) {
		/* A plain datagram relayed plain keeps the sender's checksum, updated
		 * (RFC 1624): damage on the way in must still show at the far end. So a
		 * wrong one may leave only for a wrong one that came in plain. */
		uint64_t bad = 0;
		for (unsigned int q = 0; q < N_PI; q++)
			for (unsigned int t = 0; t < N_SLOT; t++) {
				const struct mleg *x = &legs[q][t];
				if (x->exists && x->bridged && x->peer_pi == pi &&
					x->peer_slot == slot && x->rx_key < 0)
					bad += x->turn_bad_in;
			}
		if (l->tx_key >= 0 || l->turn_bad_out >= bad)
			FAIL("TX RTP from leg %u/%u: UDP checksum %04x wrong (%u bytes; %llu came "
			     "in wrong)",
				pi, leg_port(slot), hl_rd16(u + 6), ulen, (unsigned long long)bad);
		l->turn_bad_out++;
	}
	int k = (int)n;
	if (l->tx_key >= 0 && (k = hl_srtp_unprotect_rtp(mirror_of(l), pl, n)) < 0)
		FAIL("TX SRTP from leg %u/%u does not authenticate (%d; seq %u, roc %u)", pi,
			leg_port(slot), k, n >= 4 ? hl_rd16(pl + 2) : 0, l->roc);
	struct hl_rtp_hdr rh;
	if (hl_rtp_parse(pl, (size_t)k, &rh) < 0)
		FAIL("TX RTP from leg %u/%u does not parse", pi, leg_port(slot));
	if (rh.ssrc != l->ssrc)
		FAIL("TX RTP from leg %u/%u with SSRC %08x, not %08x", pi, leg_port(slot), rh.ssrc,
			l->ssrc);
	if (rh.pt != l->codec_pt && rh.pt != l->te_pt)
		FAIL("TX RTP PT %u from a leg of PTs %u/%d", rh.pt, l->codec_pt, l->te_pt);
	/* The far end's ROC (RFC 3711 §3.3.1): the stream only moves forward. */
	if (!l->seq_started) {
		l->seq_started = 1;
		l->last_seq = rh.seq;
	} else if ((int16_t)(rh.seq - l->last_seq) > 0) {
		if (rh.seq < l->last_seq)
			l->roc++;
		l->last_seq = rh.seq;
	}
	l->rtp_out++;
	l->turn_rtp_out++;
}

static void
drain_tx(void)
{
	struct rte_mbuf *out[64];
	unsigned int n;

	for (unsigned int pi = 0; pi < N_PI; pi++)
		while ((n = rte_ring_dequeue_burst(txr[pi], (void **)out, 64, NULL)) != 0)
			for (unsigned int i = 0; i < n; i++) {
				check_tx(pi, out[i]);
				rte_pktmbuf_free(out[i]);
			}
}

static void
set_mac(unsigned int pi, unsigned int h, uint8_t variant)
{
	uint8_t mac[6] = {0x02, 0x00, 0x5e, (uint8_t)(0x10 + variant), (uint8_t)pi, (uint8_t)h};

	memcpy(host_mac[pi][h], mac, 6);
}

/* Every host's neighbour entry fresh at now, so the output path never queues. */
static void
learn_hosts(void)
{
	struct rte_mbuf *pend[HL_NEIGH_PENDING];
	uint8_t key[16];

	for (unsigned int pi = 0; pi < N_PI; pi++)
		for (unsigned int h = 0; h < N_HOST; h++)
			for (int v6 = 0; v6 < 2; v6++) {
				uint32_t a;
				if (v6) {
					memcpy(key, host6[pi][h], 16);
				} else {
					memcpy(&a, host4[pi][h], 4);
					hl_neigh_key4(key, a);
				}
				int n = hl_neigh_learn(eng->neigh, (uint16_t)pi, key,
					(const struct rte_ether_addr *)host_mac[pi][h], true, vnow,
					pend, NULL);
				if (n > 0)
					FAIL("%d packets waited for host %u of port %u", n, h, pi);
			}
}

static void
turn(void)
{
	/* REACHABLE lasts 30 s: refreshed every 10 s, a leg's cached next hop (struct
	 * hl_neigh_hint) stays valid across turns until a host changes its MAC. */
	if (vnow >= next_learn) {
		learn_hosts();
		next_learn = vnow + 10 * tsc_hz;
	}
	wk->now = vnow;
	for (unsigned int pi = 0; pi < N_PI; pi++)
		if (n_burst[pi]) {
			hl_net_rx_burst(wk, pi, burst[pi], (uint16_t)n_burst[pi]);
			n_burst[pi] = 0;
		}
	(void)hl_media_commands(wk);
	(void)hl_media_tick(wk, vnow);
	hl_worker_flush(wk);
	if (vnow >= next_maint) {
		hl_net_maintain(wk, vnow);
		next_maint = vnow + tsc_hz / 100;
	}
	drain_tx();
	while (hl_media_poll(eng, &sink) != 0)
		;
	check_finals();
	if (hl_media_legs(eng) != n_legs)
		FAIL("the worker holds %llu legs, control set %u",
			(unsigned long long)hl_media_legs(eng), n_legs);

	for (unsigned int p = 0; p < N_PI; p++)
		for (unsigned int s = 0; s < N_SLOT; s++) {
			struct mleg *y = &legs[p][s];
			uint64_t budget = 0;

			if (!y->exists)
				continue;
			/* RTP leaves y only for what arrived on the legs that name it. */
			for (unsigned int q = 0; q < N_PI; q++)
				for (unsigned int t = 0; t < N_SLOT; t++) {
					const struct mleg *x = &legs[q][t];
					if (x->exists && x->bridged && x->peer_pi == p &&
						x->peer_slot == s)
						budget += x->turn_in;
				}
			budget += y->dtmf_asked;
			if (y->turn_rtp_out > budget)
				FAIL("leg %u/%u sent %u RTP packets; legs naming it got %llu", p,
					leg_port(s), y->turn_rtp_out, (unsigned long long)budget);
			/* RFC 3550 §6.3.1: at most 1.5 times the 5 s interval between reports. */
			if (!y->recv_only && y->remote_port != 0) {
				if (vnow - y->rtcp_clock > tsc_hz / 1000 * RTCP_LATE_MS)
					FAIL("leg %u/%u sent no RTCP for %.1f s", p, leg_port(s),
						(double)(vnow - y->rtcp_clock) / (double)tsc_hz);
			} else {
				y->rtcp_clock = vnow;
			}
		}
	for (unsigned int p = 0; p < N_PI; p++)
		for (unsigned int s = 0; s < N_SLOT; s++)
			legs[p][s].turn_in = legs[p][s].turn_rtp_out = legs[p][s].turn_bad_in =
				legs[p][s].turn_bad_out = 0;
}

static void
flush(void)
{
	if (n_burst[0] || n_burst[1])
		turn();
}

/* ---- frames in ---- */

static void
mbuf_put(struct rte_mbuf *m, const uint8_t *p, size_t n)
{
	char *d = rte_pktmbuf_append(m, (uint16_t)n);

	if (d == NULL)
		FAIL("injection mbuf too small");
	memcpy(d, p, n);
}

static struct rte_mbuf *
inj_alloc(void)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(inj_pool);

	if (m == NULL)
		FAIL("injection pool empty: mbufs are not coming back");
	return m;
}

static void
queue_frame(unsigned int pi, const uint8_t *f, size_t len, unsigned int split, int slot, int odd,
	int bad, int acc)
{
	struct rte_mbuf *m = inj_alloc();

	if (split > 0 && split < len) {
		struct rte_mbuf *t = inj_alloc();
		mbuf_put(m, f, split);
		mbuf_put(t, f + split, len - split);
		if (rte_pktmbuf_chain(m, t) != 0)
			FAIL("chain");
	} else {
		mbuf_put(m, f, len);
	}
	memcpy(last_frame, f, len);
	last_len = len;
	last_pi = pi;
	last_split = split;
	last_slot = slot;
	last_odd = odd;
	last_bad = bad;
	if (slot >= 0 && !odd) {
		legs[pi][slot].turn_in++;
		legs[pi][slot].turn_bad_in += bad;
	}
	if (slot >= 0) {
		legs[pi][slot].in_frames++;
		legs[pi][slot].acceptable += acc;
	}
	burst[pi][n_burst[pi]++] = m;
	if (n_burst[pi] == HL_BURST)
		turn();
}

/* Ethernet + IPv4/IPv6 (+ options) + UDP around body, from host h to our address. */
static void
frame_out(const uint8_t *d, uint16_t sport, const uint8_t *body, size_t blen, int acc)
{
	uint8_t d0 = d[0], d1 = d[1];
	uint8_t f[FRAME_MAX];
	unsigned int pi = FH_PI(d0), slot = FH_SLOT(d0), h = d1 & 3, small = d1 >> 4;
	int v6 = (d0 & FH_V6) != 0, odd = (d0 & FH_ODD) != 0;
	uint16_t dport = (uint16_t)(leg_port(slot) + odd);
	size_t off = 14, iplen, opt = 0;
	uint8_t *ip = f + 14, *u;

	if (blen > FRAME_MAX - 14 - 40 - 8 - 12)
		blen = FRAME_MAX - 14 - 40 - 8 - 12;
	memcpy(f, port_mac[pi].addr_bytes, 6);
	memcpy(f + 6, host_mac[pi][h], 6);
	hl_wr16(f + 12, v6 ? RTE_ETHER_TYPE_IPV6 : RTE_ETHER_TYPE_IPV4);
	if (v6) {
		opt = (d0 & FH_OPT) ? 8 : 0;
		iplen = 40 + opt;
		memset(ip, 0, iplen);
		hl_wr32(ip, 6u << 28);
		hl_wr16(ip + 4, (uint16_t)(opt + 8 + blen));
		ip[6] = opt ? 60 : IPPROTO_UDP; /* RFC 8200 §4.6 destination options */
		ip[7] = 64;
		memcpy(ip + 8, host6[pi][h], 16);
		memcpy(ip + 24, our6[pi], 16);
		if (opt) {
			ip[40] = IPPROTO_UDP;
			ip[42] = 1; /* PadN of 4 */
			ip[43] = 4;
		}
	} else {
		opt = (d0 & FH_OPT) ? 4 * (1 + small % 3) : 0;
		iplen = 20 + opt;
		memset(ip, 0, iplen);
		ip[0] = (uint8_t)(0x40 | iplen / 4);
		hl_wr16(ip + 2, (uint16_t)(iplen + 8 + blen));
		hl_wr16(ip + 6, 0x4000);
		ip[8] = 64;
		ip[9] = IPPROTO_UDP;
		memcpy(ip + 12, host4[pi][h], 4);
		memcpy(ip + 16, our4[pi], 4);
		memset(ip + 20, 1, opt); /* NOPs */
		hl_wr16(ip + 10, (uint16_t)~fold(sum16(ip, iplen, 0)));
	}
	u = ip + iplen;
	hl_wr16(u, sport);
	hl_wr16(u + 2, dport);
	hl_wr16(u + 4, (uint16_t)(8 + blen));
	hl_wr16(u + 6, 0);
	memcpy(u + 8, body, blen);
	const uint8_t *sa = ip + (v6 ? 8 : 12), *da = ip + (v6 ? 24 : 16);
	uint16_t ck = (uint16_t)~fold(udp_sum(v6, sa, da, u, 8 + blen));
	hl_wr16(u + 6, ck ? ck : 0xffff);
	if (FH_CSUM(d[2]) == CSUM_ZERO)
		hl_wr16(u + 6, 0); /* RFC 768: none (IPv6 drops it, RFC 8200 §8.1) */
	else if (FH_CSUM(d[2]) == CSUM_WRONG)
		hl_wr16(u + 6, (uint16_t)(hl_rd16(u + 6) ^ ((d[2] >> 2) | 1)));
	int bad = hl_rd16(u + 6) != 0 && fold(udp_sum(v6, sa, da, u, 8 + blen)) != 0xffff;
	off += iplen + 8 + blen;
	/* Split anywhere, headers included: what does not fit one segment is dropped. */
	unsigned int split =
		(d0 & FH_SPLIT) ? (unsigned int)(off > 8u * small + 1 ? off - 8u * small - 1 : 1)
				: 0;
	queue_frame(pi, f, off, split, (int)slot, odd, bad, acc);
}

/* Source port: what the leg expects, its neighbour, or somewhere else (never 0). */
static uint16_t
source_port(uint8_t d0, uint8_t d1)
{
	const struct mleg *l = &legs[FH_PI(d0)][FH_SLOT(d0)];
	uint16_t want = l->remote_port ? l->remote_port : 4000;
	unsigned int small = d1 >> 4;

	if (d0 & FH_ODD)
		want = l->remote_rtcp_port ? l->remote_rtcp_port : (uint16_t)(want + 1);
	switch ((d1 >> 2) & 3) {
	case 0:
		return want ? want : 1;
	case 1:
		return (uint16_t)(want ^ 1) ? (uint16_t)(want ^ 1) : 1;
	case 2:
		return (uint16_t)(4000 + 2 * small);
	default:
		return (uint16_t)(65535 - small);
	}
}

static struct hl_srtp_ctx *
sender_of(int key)
{
	if (key < 0)
		return NULL;
	if (!have_sender[key]) {
		struct hl_srtp_key k;

		make_key(&k, (unsigned int)key);
		if (hl_srtp_ctx_init(&senders[key], &k, HL_SRTP_OUTBOUND, NULL) != 0)
			FAIL("sender session");
		have_sender[key] = 1;
	}
	return &senders[key];
}

/*
 * Protects pkt[0..*n) for leg l as its remote would: with its inbound key, or with
 * the one a re-key replaced (old). Returns whether l may accept the result.
 */
static int
protect_for(const struct mleg *l, uint8_t *pkt, size_t *n, size_t cap, int rtcp, int old)
{
	int key = old && l->prev_rx_key >= 0 ? l->prev_rx_key : l->rx_key;
	int k;

	if (l->rx_key < 0)
		return 1; /* a plain leg takes anything that parses */
	/* A pair's remote switches keys as it likes; the receiver picks by MKI. */
	if (key == PAIR_KEY && *n > 3 && ((pkt[2] ^ pkt[3]) & 1))
		key = PAIR_WITH;
	k = rtcp ? hl_srtp_protect_rtcp(sender_of(key), pkt, *n, cap)
		 : hl_srtp_protect_rtp(sender_of(key), pkt, *n, cap);
	if (k <= 0)
		return 0;
	*n = (size_t)k;
	return key == l->rx_key || (l->rx_key == PAIR_KEY && key == PAIR_WITH) ||
	       vnow < l->prev_until;
}

/* ---- ops ---- */

struct cursor {
	const uint8_t *p;
	size_t n;
};

static int
take(struct cursor *c, uint8_t *out, size_t n)
{
	if (c->n < n)
		return -1;
	memcpy(out, c->p, n);
	c->p += n;
	c->n -= n;
	return 0;
}

/*
 * SET: a0 slot | pi << 3 | v6 << 4 | rtcp_mux << 5 | side << 6 | srtp_keep << 7
 *      a1 recv_only | remote_silent << 1 | dtmf_suppress << 2 | rtcp port given << 3 |
 *         clock rate (3 bits) << 4 | tenant << 7
 *      a2 codec PT (7 bits), bit 7: dtmf_inband     a3 te PT (7 bits), bit 7: none
 *      a4 peer slot | pi << 3 | dtmf_inband always (with a2 bit 7) << 4, bit 7: bridged
 *      a5 host (2 bits) | remote port (3 bits, 0: none yet) << 2
 *      a6 rx key | tx key << 3 (0: plain, 1-7: key_specs[k - 1]; rx 7 with 5 too) |
 *         srtp_rx_keep << 6 | srtp_tx_keep << 7
 *      a7 timeout (20 ms units)      a8 hold timeout (20 ms units)
 */
static void
op_set(struct cursor *c)
{
	uint8_t a[9];
	struct hl_media_leg ml;

	if (take(c, a, sizeof(a)) != 0)
		return;
	flush();
	unsigned int slot = a[0] & 7, pi = (a[0] >> 3) & 1, h = a[5] & 3;
	unsigned int rk = a[6] & 7, tk = (a[6] >> 3) & 7;
	struct mleg *l = &legs[pi][slot];
	int v6 = (a[0] >> 4) & 1, keep = a[0] >> 7;

	memset(&ml, 0, sizeof(ml));
	ml.call = l->exists ? l->call : ++next_call;
	ml.tenant = a[1] >> 7;
	ml.side = (a[0] >> 6) & 1;
	ml.port_index = (uint8_t)pi;
	ml.family = v6 ? 6 : 4;
	ml.rtcp_mux = (a[0] >> 5) & 1;
	ml.recv_only = a[1] & 1;
	ml.remote_silent = (a[1] >> 1) & 1;
	ml.dtmf_suppress = (a[1] >> 2) & 1;
	ml.srtp_keep = (uint8_t)keep;
	ml.srtp_rx_keep = (a[6] >> 6) & 1;
	ml.srtp_tx_keep = a[6] >> 7;
	ml.codec_pt = a[2] & 0x7f;
	ml.dtmf_inband = HL_MEDIA_INBAND_OFF;
	if (a[2] >> 7)
		ml.dtmf_inband = (a[4] >> 4) & 1 ? HL_MEDIA_INBAND_ALWAYS : HL_MEDIA_INBAND_AUTO;
	ml.te_pt = (a[3] & 0x80) ? -1 : (int16_t)(a[3] & 0x7f);
	ml.local_port = leg_port(slot);
	ml.peer_port = (a[4] & 0x80) ? leg_port(a[4] & 7) : 0;
	ml.peer_port_index = (a[4] >> 3) & 1;
	ml.remote_port = (a[5] >> 2) & 7 ? (uint16_t)(4000 + 2 * ((a[5] >> 2) & 7)) : 0;
	ml.remote_rtcp_port = (a[1] & 8) && ml.remote_port ? (uint16_t)(ml.remote_port + 11) : 0;
	ml.clock_rate = clock_rates[(a[1] >> 4) & 7];
	ml.ssrc = leg_ssrc(pi, slot);
	ml.timeout_ms = a[7] * 20u;
	ml.hold_timeout_ms = a[8] * 20u;
	memcpy(ml.local_ip, v6 ? our6[pi] : our4[pi], v6 ? 16 : 4);
	memcpy(ml.remote_ip, v6 ? host6[pi][h] : host4[pi][h], v6 ? 16 : 4);
	ml.srtp_rx = rk >= 1 && rk <= N_KEY;
	ml.srtp_tx = tk >= 1 && tk <= N_KEY;
	if (ml.srtp_rx)
		make_key(&ml.rx_key, rk - 1);
	if (ml.srtp_rx && rk - 1 == PAIR_KEY) {
		make_key(&ml.rx_more[0], PAIR_WITH);
		ml.rx_nmore = 1;
	}
	if (ml.srtp_tx)
		make_key(&ml.tx_key, tk - 1);
	/* Keeping a session the leg does not have: refused whole (-ESTALE), leg as it was. */
	bool stale = (ml.srtp_rx && (keep || ml.srtp_rx_keep) && (!l->exists || l->rx_key < 0)) ||
		     (ml.srtp_tx && (keep || ml.srtp_tx_keep) && (!l->exists || l->tx_key < 0));
	if (hl_media_set(eng, &ml) != 0)
		return;
	if (stale) {
		stale_due++;
		turn();
		return;
	}
	if (!l->exists && n_legs >= MAX_LEGS) {
		turn(); /* the worker refuses it (-ENOSPC), handing the new sessions back */
		return;
	}

	if (!l->exists) {
		n_legs++;
		struct sender snd[N_SSRC];
		memcpy(snd, l->snd, sizeof(snd));
		memset(l, 0, sizeof(*l));
		memcpy(l->snd, snd, sizeof(snd));
		l->exists = 1;
		l->call = ml.call;
		l->ssrc = ml.ssrc;
		l->rx_key = l->tx_key = l->prev_rx_key = -1;
		l->rtcp_clock = vnow;
	}
	l->tenant = ml.tenant;
	l->side = ml.side;
	l->family = ml.family;
	l->rtcp_mux = ml.rtcp_mux;
	if (l->recv_only && !ml.recv_only)
		l->rtcp_clock = vnow;
	l->recv_only = ml.recv_only;
	l->remote_silent = ml.remote_silent;
	l->dtmf_suppress = ml.dtmf_suppress;
	l->codec_pt = ml.codec_pt;
	l->te_pt = ml.te_pt;
	if (ml.dtmf_inband &&
		(ml.te_pt < 0 || ml.dtmf_suppress || ml.dtmf_inband == HL_MEDIA_INBAND_ALWAYS) &&
		hl_media_codec_inband(ml.codec_pt, ml.clock_rate)) {
		l->inband_ever = 1;
		mute_ever |= ml.dtmf_suppress;
		dedup_ever |= ml.te_pt >= 0;
	}
	l->bridged = ml.peer_port != 0;
	l->peer_pi = ml.peer_port_index;
	l->peer_slot = a[4] & 7;
	if (l->remote_port == 0 && ml.remote_port != 0)
		l->rtcp_clock = vnow;
	l->remote_port = ml.remote_port;
	l->remote_rtcp_port = ml.remote_rtcp_port;
	l->timeout_ms = ml.timeout_ms;
	l->hold_timeout_ms = ml.hold_timeout_ms;
	l->set_at = vnow;
	/* Each direction not kept gets its new session (or none). */
	if (!keep && !ml.srtp_rx_keep) {
		/* The inbound session replaced by another still works for the re-key's
		 * grace (RFC 4568 §7.1.4; 2 s in dataplane/media.c). */
		l->prev_rx_key = l->rx_key >= 0 && ml.srtp_rx ? l->rx_key : -1;
		l->prev_until = l->prev_rx_key >= 0 ? vnow + tsc_hz / 1000 * REKEY_GRACE_MS : 0;
		l->rx_key = ml.srtp_rx ? (int8_t)(rk - 1) : -1;
	}
	if (!keep && !ml.srtp_tx_keep) {
		/* The SRTCP index restarts; the RTP stream and its ROC carry on. */
		l->tx_key = ml.srtp_tx ? (int8_t)(tk - 1) : -1;
		mirror_drop(l);
	}
	turn();
}

static void
op_del(struct cursor *c)
{
	uint8_t a;

	if (take(c, &a, 1) != 0)
		return;
	flush();
	unsigned int slot = a & 7, pi = (a >> 3) & 1;
	if (hl_media_del(eng, (uint8_t)pi, leg_port(slot)) != 0)
		FAIL("hl_media_del refused a leg in range");
	if (legs[pi][slot].exists) {
		legs[pi][slot].exists = 0;
		legs[pi][slot].final_due = 1;
		n_legs--;
	}
	turn();
}

/*
 * A key press to send on a leg as telephone-events:
 *   d0 slot | pi << 3
 *   d1 RFC 4733 event code (low 5 bits; 17-31: no key, refused)
 *   d2 duration, 10 ms units (0: the default)
 */
static void
op_dtmf(struct cursor *c)
{
	uint8_t d[3];

	if (take(c, d, 3) != 0)
		return;
	flush();
	unsigned int slot = d[0] & 7, pi = (d[0] >> 3) & 1;
	char key = hl_dtmf_digit(d[1] & 31u);
	int rc = hl_media_dtmf(eng, (uint8_t)pi, leg_port(slot), key, d[2] * 10u);
	if (key == 0 ? rc != -EINVAL : rc != 0)
		FAIL("hl_media_dtmf of event %u on leg %u/%u: %d", d[1] & 31u, pi, leg_port(slot),
			rc);
	if (rc == 0 && legs[pi][slot].exists)
		legs[pi][slot].dtmf_asked = 1;
	turn();
}

/*
 * RTP: frame header (3 bytes), then
 *   r0 PT | marker << 7
 *   r1 CSRC count (2 bits) | extension << 2 | padding << 3 | protect << 4 |
 *      sequence mode (2 bits) << 5 | same timestamp << 7
 *   r2 sequence step (mode 0: +1 + (int8)r2; 1: +(r2 + 1) * 256; 2: r2 << 8 | r3; 3: +1)
 *   r3 timestamp step (x 20 units; mode 3: x 65536)
 *   r4 source (2 bits: three remotes and our own SSRC) | under the previous key << 2
 *   r5 payload length, then payload
 */
static void
op_rtp(struct cursor *c)
{
	uint8_t d[3], r[6], pkt[FRAME_MAX];
	size_t n;

	if (take(c, d, 3) != 0 || take(c, r, 6) != 0)
		return;
	struct mleg *l = &legs[FH_PI(d[0])][FH_SLOT(d[0])];
	unsigned int sel = r[4] & 3, cc = r[1] & 3;
	struct sender *s = &l->snd[sel];
	size_t plen = r[5] < c->n ? r[5] : c->n;

	switch ((r[1] >> 5) & 3) {
	case 0:
		s->seq = (uint16_t)(s->seq + 1 + (int8_t)r[2]);
		break;
	case 1:
		s->seq = (uint16_t)(s->seq + (r[2] + 1u) * 256);
		break;
	case 2:
		s->seq = (uint16_t)(r[2] << 8 | r[3]);
		break;
	default:
		s->seq++;
		s->ts += (uint32_t)r[3] << 16;
		break;
	}
	if (!(r[1] & 0x80))
		s->ts += r[3] * 20u;
	pkt[0] = (uint8_t)(0x80 | cc | ((r[1] & 4) ? 0x10 : 0) | ((r[1] & 8) ? 0x20 : 0));
	pkt[1] = r[0];
	hl_wr16(pkt + 2, s->seq);
	hl_wr32(pkt + 4, s->ts);
	hl_wr32(pkt + 8, sel == 3 ? leg_ssrc(FH_PI(d[0]), FH_SLOT(d[0])) : 0xa0000001u + sel);
	n = 12;
	for (unsigned int i = 0; i < cc; i++, n += 4)
		hl_wr32(pkt + n, 0xc0000000u + i);
	if (r[1] & 4) {
		/* RFC 8285 one-byte header: one element of one byte */
		hl_wr16(pkt + n, 0xbede);
		hl_wr16(pkt + n + 2, 1);
		pkt[n + 4] = 0x10;
		pkt[n + 5] = r[3];
		pkt[n + 6] = pkt[n + 7] = 0;
		n += 8;
	}
	memcpy(pkt + n, c->p, plen);
	c->p += plen;
	c->n -= plen;
	n += plen;
	if (r[1] & 8) {
		memset(pkt + n, 0, 3);
		pkt[n + 3] = 4;
		n += 4;
	}
	int acc = l->rx_key < 0;
	if (r[1] & 0x10)
		acc = protect_for(l, pkt, &n, sizeof(pkt), 0, r[4] & 4);
	frame_out(d, source_port(d[0], d[1]), pkt, n, acc);
}

/* RAW: frame header, length, mode (bit 0: protect as SRTP, bit 1: as SRTCP, bit 2: under
 * the previous key), bytes. */
static void
op_raw(struct cursor *c)
{
	uint8_t d[3], a[2], pkt[FRAME_MAX];

	if (take(c, d, 3) != 0 || take(c, a, 2) != 0)
		return;
	size_t n = a[0] < c->n ? a[0] : c->n;
	struct mleg *l = &legs[FH_PI(d[0])][FH_SLOT(d[0])];

	memcpy(pkt, c->p, n);
	c->p += n;
	c->n -= n;
	int acc = l->rx_key < 0;
	if (a[1] & 3)
		acc = protect_for(l, pkt, &n, sizeof(pkt), !(a[1] & 1), a[1] & 4);
	frame_out(d, source_port(d[0], d[1]), pkt, n, acc);
}

/*
 * RTCP: frame header, then
 *   t0 SR | block about our SSRC << 1 | SDES << 2 | BYE << 3 | protect << 4 |
 *      LSR mode (0: none, 1: the last SR the leg sent, 2: from t2 t3, 3: garbage) << 5 |
 *      a second block about another SSRC << 7
 *   t1 source (2 bits) | DLSR (5 bits, 1/64 s) << 2 | under the previous key << 7
 *   t2, t3: fraction, lost, jitter, LSR
 */
static void
op_rtcp(struct cursor *c)
{
	uint8_t d[3], t[4], pkt[FRAME_MAX];
	struct hl_rtcp_report_block rb[2];
	struct hl_rtcp_sender_info si;
	unsigned int nrb = 0;

	if (take(c, d, 3) != 0 || take(c, t, 4) != 0)
		return;
	struct mleg *l = &legs[FH_PI(d[0])][FH_SLOT(d[0])];
	uint32_t from = 0xa0000001u + (t[1] & 3);

	memset(rb, 0, sizeof(rb));
	if (t[0] & 2) {
		rb[nrb].ssrc = leg_ssrc(FH_PI(d[0]), FH_SLOT(d[0]));
		rb[nrb].fraction_lost = t[2];
		rb[nrb].lost = (int8_t)t[3] * 1000;
		rb[nrb].ext_high_seq = (uint32_t)t[2] << 12 | t[3];
		rb[nrb].jitter = t[3] * 37u;
		switch ((t[0] >> 5) & 3) {
		case 1:
			rb[nrb].lsr = l->have_sr ? l->last_sr_mid32 : 0;
			break;
		case 2:
			rb[nrb].lsr = (uint32_t)t[2] << 24 | (uint32_t)t[3] << 8;
			break;
		case 3:
			rb[nrb].lsr = 0xffffffffu - t[3];
			break;
		default:
			break;
		}
		rb[nrb].dlsr = (uint32_t)((t[1] >> 2) & 0x1f) << 10;
		nrb++;
	}
	if (t[0] & 0x80) {
		rb[nrb].ssrc = 0xdeadbeefu;
		rb[nrb].lost = -1;
		nrb++;
	}
	si.ntp = 0xe0000000ull << 32 | (uint64_t)t[2] << 40 | (uint64_t)t[3] << 24;
	si.rtp_ts = (uint32_t)t[2] * 160;
	si.pkt_count = t[3];
	si.octet_count = t[3] * 160u;
	int n = hl_rtcp_build_report(pkt, sizeof(pkt), from, (t[0] & 1) ? &si : NULL, rb, nrb);
	if (n < 0)
		FAIL("build report");
	if (t[0] & 4) {
		int k = hl_rtcp_build_sdes_cname(
			pkt + n, sizeof(pkt) - (size_t)n, from, "remote", 6);
		if (k > 0)
			n += k;
	}
	if (t[0] & 8) {
		int k = hl_rtcp_build_bye(pkt + n, sizeof(pkt) - (size_t)n, from);
		if (k > 0)
			n += k;
	}
	size_t len = (size_t)n;
	int acc = l->rx_key < 0;
	if (t[0] & 0x10)
		acc = protect_for(l, pkt, &len, sizeof(pkt), 1, t[1] & 0x80);
	frame_out(d, source_port(d[0], d[1]), pkt, len, acc);
}

/* The clock: t < 100: t ms; < 200: (t - 99) x 50 ms; else (t - 199) s. */
static void
advance(uint8_t t)
{
	uint64_t ms = t < 100 ? t : t < 200 ? (t - 99u) * 50u : (t - 199u) * 1000u;
	uint64_t d = ms * (tsc_hz / 1000);

	if (vnow + d - input_t0 <= (uint64_t)TIME_BUDGET_S * tsc_hz)
		vnow += d;
}

static void
cleanup(void)
{
	flush();
	for (unsigned int p = 0; p < N_PI; p++)
		for (unsigned int s = 0; s < N_SLOT; s++)
			if (legs[p][s].exists) {
				if (hl_media_del(eng, (uint8_t)p, leg_port(s)) != 0)
					FAIL("hl_media_del at clean-up");
				legs[p][s].exists = 0;
				legs[p][s].final_due = 1;
			}
	n_legs = 0;
	turn();
	for (int i = 0; i < 8 && hl_media_pending(eng) != 0; i++)
		turn();
	if (hl_media_legs(eng) != 0 || hl_media_pending(eng) != 0 || hl_media_inband_legs(eng) != 0)
		FAIL("after clean-up %llu legs, %llu commands pending, %llu in-band detectors held",
			(unsigned long long)hl_media_legs(eng),
			(unsigned long long)hl_media_pending(eng),
			(unsigned long long)hl_media_inband_legs(eng));
	for (unsigned int k = 0; k < N_KEY; k++)
		if (have_sender[k]) {
			hl_srtp_ctx_fini(&senders[k]);
			have_sender[k] = 0;
		}
	for (unsigned int p = 0; p < N_PI; p++)
		for (unsigned int s = 0; s < N_SLOT; s++)
			mirror_drop(&legs[p][s]);
	if (rte_mempool_avail_count(inj_pool) != inj_pool->size)
		FAIL("injection pool: %u of %u mbufs back", rte_mempool_avail_count(inj_pool),
			inj_pool->size);
	if (rte_mempool_avail_count(eng_pool) != eng_pool->size)
		FAIL("engine pool: %u of %u mbufs back", rte_mempool_avail_count(eng_pool),
			eng_pool->size);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cursor c = {data, size};
	struct hl_lcore_stats before, after;
	unsigned int ops = 0;
	uint8_t seed = 0;

	hl_stats_sum(&before);
	mute_ever = dedup_ever = 0;
	dtmf_seen = 0;
	(void)take(&c, &seed, 1);
	/* Same input, same run: the engine's random first sequence numbers and RTCP
	 * intervals come from rte_rand(), and the clock starts on a second. */
	rte_srand(0x5eed0000u | seed);
	vnow = (vnow / tsc_hz + 2) * tsc_hz;
	input_t0 = vnow;
	memset(legs, 0, sizeof(legs));
	for (unsigned int p = 0; p < N_PI; p++)
		for (unsigned int s = 0; s < N_SLOT; s++)
			for (unsigned int k = 0; k < N_SSRC; k++) {
				legs[p][s].snd[k].seq = (uint16_t)(1000 * (k + 1));
				legs[p][s].snd[k].ts = 160000u * (k + 1);
			}
	next_call = 0;
	n_legs = 0;
	stale_due = 0;
	for (unsigned int p = 0; p < N_PI; p++)
		for (unsigned int h = 0; h < N_HOST; h++)
			set_mac(p, h, 0);
	next_learn = 0;
	turn();

	while (c.n > 0 && ops++ < MAX_OPS) {
		uint8_t op, t;

		(void)take(&c, &op, 1);
		switch (op % OP_MAX_) {
		case OP_SET:
			op_set(&c);
			break;
		case OP_DEL:
			op_del(&c);
			break;
		case OP_RTP:
			op_rtp(&c);
			break;
		case OP_RAW:
			op_raw(&c);
			break;
		case OP_RTCP:
			op_rtcp(&c);
			break;
		case OP_TURN:
			turn();
			break;
		case OP_TIME:
			if (take(&c, &t, 1) == 0) {
				flush();
				advance(t);
				turn();
			}
			break;
		case OP_MAC:
			if (take(&c, &t, 1) == 0) {
				flush();
				set_mac((t >> 2) & 1, t & 3, (uint8_t)(t >> 3));
				learn_hosts();
				turn();
			}
			break;
		case OP_DTMF:
			op_dtmf(&c);
			break;
		default:
			if (last_len > 0)
				queue_frame(last_pi, last_frame, last_len, last_split, last_slot,
					last_odd, last_bad, 1);
			break;
		}
	}
	cleanup();
	last_len = 0;
	hl_stats_sum(&after);
	if (!mute_ever && after.ctr[HL_CTR_RTP_DTMF_MUTED] != before.ctr[HL_CTR_RTP_DTMF_MUTED])
		FAIL("%llu packets muted without a leg that mutes",
			(unsigned long long)(after.ctr[HL_CTR_RTP_DTMF_MUTED] -
					     before.ctr[HL_CTR_RTP_DTMF_MUTED]));
	if (!dedup_ever && after.ctr[HL_CTR_DTMF_DUP] != before.ctr[HL_CTR_DTMF_DUP])
		FAIL("%llu presses swallowed without a leg that hears both ways",
			(unsigned long long)(after.ctr[HL_CTR_DTMF_DUP] - before.ctr[HL_CTR_DTMF_DUP]));
	uint64_t counted = after.ctr[HL_CTR_DTMF_4733] - before.ctr[HL_CTR_DTMF_4733] +
			   after.ctr[HL_CTR_DTMF_INBAND] - before.ctr[HL_CTR_DTMF_INBAND];
	uint64_t ev_lost = after.ctr[HL_CTR_MEDIA_EV_LOST] - before.ctr[HL_CTR_MEDIA_EV_LOST];
	if (counted < dtmf_seen || counted > dtmf_seen + ev_lost)
		FAIL("%llu presses counted, %llu reported, %llu events lost",
			(unsigned long long)counted, (unsigned long long)dtmf_seen,
			(unsigned long long)ev_lost);
	if (trace) {
		fprintf(stderr, "  %u ops, %.3f s;", ops,
			(double)(vnow - input_t0) / (double)tsc_hz);
		for (unsigned int i = 0; i < HL_CTR_MAX; i++)
			if (after.ctr[i] != before.ctr[i])
				fprintf(stderr, " %s %llu", hl_ctr_name(i),
					(unsigned long long)(after.ctr[i] - before.ctr[i]));
		for (unsigned int i = 0; i < HL_DROP_MAX; i++)
			if (after.drop[i] != before.drop[i])
				fprintf(stderr, " drop:%s %llu", hl_drop_name(i),
					(unsigned long long)(after.drop[i] - before.drop[i]));
		fprintf(stderr, "\n");
	}
	return 0;
}

/* ---- seeds ---- */

struct prog {
	uint8_t b[8192];
	size_t n;
};

static void
emit(struct prog *p, const uint8_t *b, size_t n)
{
	if (p->n + n > sizeof(p->b))
		abort();
	memcpy(p->b + p->n, b, n);
	p->n += n;
}

#define EMIT(p, ...)                                                                               \
	do {                                                                                       \
		const uint8_t b_[] = {__VA_ARGS__};                                                \
		emit(p, b_, sizeof(b_));                                                           \
	} while (0)

/* RTP to (pi, slot) from host 0 at the expected port; protect with the leg's key. */
static void
seed_rtp(struct prog *p, unsigned int pi, unsigned int slot, int v6, uint8_t pt, int srtp,
	const uint8_t *pl, uint8_t n)
{
	EMIT(p, OP_RTP, (uint8_t)(slot | pi << 3 | (v6 ? FH_V6 : 0)), 0, 0, pt,
		(uint8_t)(srtp ? 0x10 : 0), 0, 8, 0, n);
	emit(p, pl, n);
}

static void
seed_dtmf(struct prog *p, unsigned int pi, unsigned int slot, uint8_t te, uint8_t ev, int srtp)
{
	for (int i = 0; i < 6; i++) {
		uint16_t dur = (uint16_t)(160 * (i < 3 ? i + 1 : 4));
		uint8_t pl[4] = {
			ev, (uint8_t)((i >= 3 ? 0x80 : 0) | 10), (uint8_t)(dur >> 8), (uint8_t)dur};
		/* one timestamp for the press; the end packet sent three times */
		EMIT(p, OP_RTP, (uint8_t)(slot | pi << 3), 0, 0,
			(uint8_t)(te | (i == 0 ? 0x80 : 0)), (uint8_t)(0x80 | (srtp ? 0x10 : 0)),
			(uint8_t)(i > 3 ? 0xff : 0), 0, 0, 4);
		emit(p, pl, 4);
		EMIT(p, OP_TIME, 20);
	}
}

/* ITU-T G.711 mu-law of a linear sample (for seeds of in-band tones). */
static uint8_t
ulaw_of(double v)
{
	int x = (int)v, sign = x < 0 ? 0x80 : 0, seg = 0;

	x = (x < 0 ? -x : x) + 132;
	if (x > 32767)
		x = 32767;
	for (int m = x >> 8; m > 1 && seg < 7; m >>= 1)
		seg++;
	return (uint8_t) ~(sign | seg << 4 | ((x >> (seg + 3)) & 0x0f));
}

static int
write_seed(const char *dir, const char *name, const struct prog *p)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "wb");
	if (f == NULL || fwrite(p->b, 1, p->n, f) != p->n) {
		perror(path);
		return -1;
	}
	return fclose(f);
}

static int
write_seeds(const char *dir)
{
	static const uint8_t audio[40] = {0xff, 0x7f, 0xfe, 0x7e, 0xfd, 0x7d, 0xfc, 0x7c};
	struct prog p;
	int rc = 0;

	/* plain_bridge: A (port 0, PCMU, te 101) <-> B (port 1, PCMU, te 100), both ways,
	 * a key press, a few reports. */
	memset(&p, 0, sizeof(p));
	EMIT(&p, 1);
	EMIT(&p, OP_SET, 0x00, 0x00, 0, 101, 0x80 | 0x08 | 1, 1 << 2, 0, 0, 0);
	EMIT(&p, OP_SET, 0x09, 0x00, 0, 100, 0x80 | 0, 2 << 2 | 1, 0, 0, 0);
	for (int i = 0; i < 5; i++) {
		seed_rtp(&p, 0, 0, 0, 0, 0, audio, sizeof(audio));
		seed_rtp(&p, 1, 1, 0, 0, 0, audio, sizeof(audio));
		EMIT(&p, OP_TIME, 20);
	}
	seed_dtmf(&p, 0, 0, 101, 5, 0);
	EMIT(&p, OP_TIME, 208, OP_TIME, 208, OP_TIME, 100);
	EMIT(&p, OP_RTCP, 0x10, 0x00, 0, 0x03 | 0x04 | 0x20, 0x00, 3, 5);
	rc |= write_seed(dir, "plain_bridge", &p);

	/* srtp_bridge: A SRTP both ways (AES_CM_128_HMAC_SHA1_80), B plain; authenticated
	 * packets from A's remote, SRTCP with an LSR echo after our report. */
	memset(&p, 0, sizeof(p));
	EMIT(&p, 2);
	EMIT(&p, OP_SET, 0x02, 0x00, 0, 101, 0x80 | 3, 1 << 2, 1 | 1 << 3, 0, 0);
	EMIT(&p, OP_SET, 0x03, 0x00, 0, 101, 0x80 | 2, 2 << 2 | 1, 0, 0, 0);
	for (int i = 0; i < 5; i++) {
		seed_rtp(&p, 0, 2, 0, 0, 1, audio, sizeof(audio));
		seed_rtp(&p, 0, 3, 0, 0, 0, audio, sizeof(audio));
		EMIT(&p, OP_TIME, 20);
	}
	seed_dtmf(&p, 0, 2, 101, 11, 1);
	EMIT(&p, OP_TIME, 208, OP_TIME, 100);
	EMIT(&p, OP_RTCP, 0x12, 0x00, 0, 0x03 | 0x04 | 0x10 | 0x20, 0x01, 3, 5, OP_REPLAY, OP_TURN);
	rc |= write_seed(dir, "srtp_bridge", &p);

	/* gcm_v6_mux: A over IPv6, muxed RTCP, AEAD_AES_128_GCM; B AES-256 on port 1;
	 * hold, timeout and re-set with the keys kept. */
	memset(&p, 0, sizeof(p));
	EMIT(&p, 3);
	EMIT(&p, OP_SET, 0x10 | 0x20 | 4, 0x30, 96, 101, 0x80 | 0x08 | 5, 3 << 2, 3 | 3 << 3, 10,
		0);
	EMIT(&p, OP_SET, 0x0d, 0x00, 8, 101, 0x80 | 4, 1 << 2 | 2, 4 | 4 << 3, 0, 0);
	for (int i = 0; i < 4; i++) {
		seed_rtp(&p, 0, 4, 1, 96, 1, audio, 20);
		seed_rtp(&p, 1, 5, 0, 8, 1, audio, 20);
		EMIT(&p, OP_TIME, 20);
	}
	EMIT(&p, OP_SET, 0x0d | 0x80, 0x03, 8, 101, 0x80 | 4, 1 << 2 | 2, 0, 0, 50);
	EMIT(&p, OP_TIME, 120, OP_TIME, 205);
	EMIT(&p, OP_RTCP, 0x24, 0x00, 0, 0x01 | 0x02 | 0x10 | 0x20, 0x00, 1, 2);
	rc |= write_seed(dir, "gcm_v6_mux", &p);

	/* churn: latching then a wrong source, a replay, a del and a re-create, a big
	 * sequence jump, frames with IP options and in two segments, garbage. */
	memset(&p, 0, sizeof(p));
	EMIT(&p, 4);
	EMIT(&p, OP_SET, 0x06, 0x00, 0, 0x80, 0x80 | 7, 0, 0, 0, 0);
	EMIT(&p, OP_SET, 0x07, 0x00, 0, 0x80, 0x80 | 6, 2 << 2 | 1, 0, 0, 0);
	for (int i = 0; i < 3; i++)
		seed_rtp(&p, 0, 6, 0, 0, 0, audio, 16);
	EMIT(&p, OP_RTP, 0x06 | FH_OPT, 0x10, CSUM_ZERO, 0, 0x00, 0, 8, 0, 4, 1, 2, 3, 4);
	EMIT(&p, OP_RTP, 0x06, 0x00, CSUM_WRONG | 0x10, 0, 0x00, 0, 8, 0, 4, 1, 2, 3, 4);
	EMIT(&p, OP_MAC, 0x08 | 0);
	EMIT(&p, OP_RTP, 0x06 | FH_SPLIT, 0x21, 0, 0, 0x00, 0, 8, 0, 4, 1, 2, 3, 4);
	EMIT(&p, OP_RTP, 0x06, 0x04, 0, 0, 0x00, 0, 8, 0, 4, 1, 2, 3, 4);
	EMIT(&p, OP_REPLAY, OP_TURN);
	EMIT(&p, OP_RTP, 0x06, 0x00, 0, 0, 0x20, 100, 8, 0, 4, 1, 2, 3, 4);
	EMIT(&p, OP_RTP, 0x06, 0x00, 0, 0, 0x00, 0, 8, 0, 4, 1, 2, 3, 4);
	EMIT(&p, OP_RAW, 0x07, 0x00, 0, 10, 0, 0x80, 0, 1, 2, 3, 4, 5, 6, 7, 8);
	EMIT(&p, OP_RAW, 0x17, 0x00, CSUM_WRONG, 8, 0, 0x80, 201, 0, 1, 0xab, 0xcd, 0xef, 0x01);
	EMIT(&p, OP_DEL, 0x07, OP_TURN);
	EMIT(&p, OP_SET, 0x07, 0x01, 0, 0x80, 0x80 | 6, 2 << 2 | 1, 0, 0, 0);
	EMIT(&p, OP_TIME, 210);
	rc |= write_seed(dir, "churn", &p);

	/* mki_sha32: AES_CM_128_HMAC_SHA1_80 with an MKI in, _32 out, IPv6 on port 1
	 * bridged to IPv4 on port 0, SRTCP in, RTCP out. */
	memset(&p, 0, sizeof(p));
	EMIT(&p, 5);
	EMIT(&p, OP_SET, 0x08 | 0x10, 0x00, 0, 101, 0x80 | 0, 1 << 2, 5 | 2 << 3, 0, 0);
	EMIT(&p, OP_SET, 0x00, 0x00, 0, 101, 0x80 | 0x08, 1 << 2 | 3, 0, 0, 0);
	for (int i = 0; i < 4; i++) {
		seed_rtp(&p, 1, 0, 1, 0, 1, audio, 30);
		seed_rtp(&p, 0, 0, 0, 0, 0, audio, 30);
		EMIT(&p, OP_TIME, 20);
	}
	EMIT(&p, OP_RTCP, 0x18 | FH_V6, 0x00, 0, 0x03 | 0x10, 0x00, 1, 2, OP_TIME, 209);
	rc |= write_seed(dir, "mki_sha32", &p);

	/* mki_pair: A's remote offered two keys told apart by MKI (RFC 4568 §6.1) and
	 * switches between them packet by packet; SRTCP under either; then a re-key to
	 * one of them alone, the other still taken through the grace. */
	memset(&p, 0, sizeof(p));
	EMIT(&p, 7);
	EMIT(&p, OP_SET, 0x02, 0x00, 0, 101, 0x80 | 3, 1 << 2, 7 | 1 << 3, 0, 0);
	EMIT(&p, OP_SET, 0x03, 0x00, 0, 101, 0x80 | 2, 2 << 2 | 1, 0, 0, 0);
	for (int i = 0; i < 6; i++) {
		seed_rtp(&p, 0, 2, 0, 0, 1, audio, sizeof(audio));
		seed_rtp(&p, 0, 3, 0, 0, 0, audio, sizeof(audio));
		EMIT(&p, OP_TIME, 20);
	}
	EMIT(&p, OP_RTCP, 0x12, 0x00, 0, 0x03 | 0x10, 0x00, 3, 5);
	EMIT(&p, OP_RTCP, 0x12, 0x00, 0, 0x03 | 0x10, 0x00, 3, 6);
	EMIT(&p, OP_SET, 0x02, 0x00, 0, 101, 0x80 | 3, 1 << 2, 5 | 1 << 3 | 0x80, 0, 0);
	for (int i = 0; i < 3; i++)
		seed_rtp(&p, 0, 2, 0, 0, 1, audio, sizeof(audio));
	EMIT(&p, OP_TIME, 201, OP_TIME, 201);
	seed_rtp(&p, 0, 2, 0, 0, 1, audio, sizeof(audio));
	rc |= write_seed(dir, "mki_pair", &p);

	/* rekey_grace: A SRTP both ways, re-keyed (new keys in and out, the stream and ROC
	 * carry on); the remote's old key still works for 2 s, then not. */
	memset(&p, 0, sizeof(p));
	EMIT(&p, 6);
	EMIT(&p, OP_SET, 0x01, 0x00, 0, 101, 0x80 | 0x08 | 1, 1 << 2, 1 | 1 << 3, 0, 0);
	EMIT(&p, OP_SET, 0x09, 0x00, 0, 101, 0x80 | 1, 1 << 2 | 1, 2 | 2 << 3, 0, 0);
	for (int i = 0; i < 3; i++) {
		seed_rtp(&p, 0, 1, 0, 0, 1, audio, 20);
		seed_rtp(&p, 1, 1, 0, 0, 1, audio, 20);
		EMIT(&p, OP_TIME, 20);
	}
	EMIT(&p, OP_SET, 0x01, 0x00, 0, 101, 0x80 | 0x08 | 1, 1 << 2, 4 | 6 << 3, 0, 0);
	EMIT(&p, OP_RTP, 0x01, 0x00, 0, 0, 0x10, 0, 8, 0x04, 20);
	emit(&p, audio, 20);
	seed_rtp(&p, 0, 1, 0, 0, 1, audio, 20);
	seed_rtp(&p, 1, 1, 0, 0, 1, audio, 20);
	EMIT(&p, OP_TIME, 201, OP_TIME, 201);
	EMIT(&p, OP_RTP, 0x01, 0x00, 0, 0, 0x10, 0, 8, 0x04, 20);
	emit(&p, audio, 20);
	/* the remote re-keys alone: a new inbound key, our outbound session kept */
	EMIT(&p, OP_SET, 0x01, 0x00, 0, 101, 0x80 | 0x08 | 1, 1 << 2, 3 | 1 << 3 | 0x80, 0, 0);
	seed_rtp(&p, 0, 1, 0, 0, 1, audio, 20);
	seed_rtp(&p, 1, 1, 0, 0, 1, audio, 20);
	rc |= write_seed(dir, "rekey_grace", &p);

	/* inband_suppress: A (port 0, PCMU, no telephone-event, in-band, dtmf_suppress) <->
	 * B (port 1, PCMU, te 100); A sends a '5' (770 + 1336 Hz) for 240 ms between
	 * silence, muted toward B. */
	memset(&p, 0, sizeof(p));
	EMIT(&p, 6);
	EMIT(&p, OP_SET, 0x00, 1 << 2, 0x80 | 0, 0x80, 0x80 | 0x08 | 1, 1 << 2, 0, 0, 0);
	EMIT(&p, OP_SET, 0x09, 0x00, 0, 100, 0x80 | 0, 2 << 2 | 1, 0, 0, 0);
	for (int i = 0, t = 0; i < 20; i++) {
		uint8_t tone[160];
		for (int k = 0; k < 160; k++, t++)
			tone[k] =
				i >= 4 && i < 16
					? ulaw_of(4000 * (sin(2 * M_PI * 770 * t / 8000.0) +
								 sin(2 * M_PI * 1336 * t / 8000.0)))
					: 0xff;
		seed_rtp(&p, 0, 0, 0, 0, 0, tone, sizeof(tone));
		EMIT(&p, OP_TIME, 20);
	}
	rc |= write_seed(dir, "inband_suppress", &p);

	/* inband_g722_suppress: the same on G.722 (PT 9) both ways, the '5' encoded by
	 * SpanDSP's G.722 encoder from 8 kHz audio; muted toward B with encoded silence. */
	memset(&p, 0, sizeof(p));
	EMIT(&p, 6);
	EMIT(&p, OP_SET, 0x00, 1 << 2, 0x80 | 9, 0x80, 0x80 | 0x08 | 1, 1 << 2, 0, 0, 0);
	EMIT(&p, OP_SET, 0x09, 0x00, 9, 100, 0x80 | 0, 2 << 2 | 1, 0, 0, 0);
	g722_encode_state_t *enc = g722_encode_init(NULL, 64000, G722_SAMPLE_RATE_8000);
	if (enc == NULL)
		return -1;
	for (int i = 0, t = 0; i < 20; i++) {
		int16_t lin[160];
		uint8_t pl[160];
		for (int k = 0; k < 160; k++, t++)
			lin[k] = i >= 4 && i < 16
					 ? (int16_t)(4000 * (sin(2 * M_PI * 770 * t / 8000.0) +
							     sin(2 * M_PI * 1336 * t / 8000.0)))
					 : 0;
		g722_encode(enc, pl, lin, 160);
		seed_rtp(&p, 0, 0, 0, 9, 0, pl, sizeof(pl));
		EMIT(&p, OP_TIME, 20);
	}
	g722_encode_free(enc);
	rc |= write_seed(dir, "inband_g722_suppress", &p);

	/* inband_opus_suppress: the same on Opus (PT 111 at 48000) both ways, the '5'
	 * encoded by libopus from 8 kHz audio in 20 ms packets; muted toward B with Opus
	 * silence of the packets' duration and length. */
	memset(&p, 0, sizeof(p));
	EMIT(&p, 6);
	EMIT(&p, OP_SET, 0x00, 1 << 2 | 3 << 4, 0x80 | 111, 0x80, 0x80 | 0x08 | 1, 1 << 2, 0, 0,
		0);
	EMIT(&p, OP_SET, 0x09, 3 << 4, 111, 100, 0x80 | 0, 2 << 2 | 1, 0, 0, 0);
	int oerr;
	OpusEncoder *oenc = opus_encoder_create(8000, 1, OPUS_APPLICATION_VOIP, &oerr);
	if (oenc == NULL || opus_encoder_ctl(oenc, OPUS_SET_BITRATE(24000)) != OPUS_OK)
		return -1;
	for (int i = 0, t = 0; i < 20; i++) {
		int16_t lin[160];
		uint8_t pl[255];
		for (int k = 0; k < 160; k++, t++)
			lin[k] = i >= 4 && i < 16
					 ? (int16_t)(4000 * (sin(2 * M_PI * 770 * t / 8000.0) +
							     sin(2 * M_PI * 1336 * t / 8000.0)))
					 : 0;
		int n = opus_encode(oenc, lin, 160, pl, sizeof(pl));
		if (n <= 0)
			return -1;
		seed_rtp(&p, 0, 0, 0, 111, 0, pl, (uint8_t)n);
		EMIT(&p, OP_TIME, 20);
	}
	opus_encoder_destroy(oenc);
	rc |= write_seed(dir, "inband_opus_suppress", &p);

	/* inband_te_suppress: the same with telephone-event 101 on A too: a '5' as a tone,
	 * then as RFC 4733 events (muted, one press reported, the events swallowed), then
	 * a '5' as a tone alone, reported. */
	memset(&p, 0, sizeof(p));
	EMIT(&p, 6);
	EMIT(&p, OP_SET, 0x00, 1 << 2, 0x80 | 0, 101, 0x80 | 0x08 | 1, 1 << 2, 0, 0, 0);
	EMIT(&p, OP_SET, 0x09, 0x00, 0, 100, 0x80 | 0, 2 << 2 | 1, 0, 0, 0);
	for (int i = 0, t = 0; i < 26; i++) {
		uint8_t tone[160];
		int on = (i >= 2 && i < 10) || (i >= 16 && i < 22);
		for (int k = 0; k < 160; k++, t++)
			tone[k] = on ? ulaw_of(4000 * (sin(2 * M_PI * 770 * t / 8000.0) +
							      sin(2 * M_PI * 1336 * t / 8000.0)))
				     : 0xff;
		seed_rtp(&p, 0, 0, 0, 0, 0, tone, sizeof(tone));
		EMIT(&p, OP_TIME, 20);
		if (i == 11)
			seed_dtmf(&p, 0, 0, 101, 5, 0);
	}
	rc |= write_seed(dir, "inband_te_suppress", &p);

	/* inband_te_always: the same keys on legs that both have telephone-events and
	 * listen by HL_MEDIA_INBAND_ALWAYS, without dtmf_suppress: nothing muted, the events
	 * relayed, each press reported once (the tone of the second swallowed). */
	memset(&p, 0, sizeof(p));
	EMIT(&p, 6);
	EMIT(&p, OP_SET, 0x00, 0x00, 0x80 | 0, 101, 0x80 | 0x10 | 0x08 | 1, 1 << 2, 0, 0, 0);
	EMIT(&p, OP_SET, 0x09, 0x00, 0x80 | 0, 100, 0x80 | 0x10 | 0, 2 << 2 | 1, 0, 0, 0);
	for (int i = 0, t = 0; i < 26; i++) {
		uint8_t tone[160];
		int on = (i >= 2 && i < 10) || (i >= 16 && i < 22);
		for (int k = 0; k < 160; k++, t++)
			tone[k] = on ? ulaw_of(4000 * (sin(2 * M_PI * 770 * t / 8000.0) +
							      sin(2 * M_PI * 1336 * t / 8000.0)))
				     : 0xff;
		seed_rtp(&p, 0, 0, 0, 0, 0, tone, sizeof(tone));
		EMIT(&p, OP_TIME, 20);
		if (i == 11)
			seed_dtmf(&p, 0, 0, 101, 5, 0);
	}
	rc |= write_seed(dir, "inband_te_always", &p);

	/* dtmf_inject: A (te 101, SRTP out) <-> B (te 100); audio both ways while presses
	 * go out on A (one queued behind another), one on B, a key with no event, then A
	 * deleted with a press still waiting. */
	memset(&p, 0, sizeof(p));
	EMIT(&p, 10);
	EMIT(&p, OP_SET, 0x00, 0x00, 0, 101, 0x80 | 0x08 | 1, 1 << 2, 1 << 3, 0, 0);
	EMIT(&p, OP_SET, 0x09, 0x00, 0, 100, 0x80 | 0, 2 << 2 | 1, 0, 0, 0);
	for (int i = 0; i < 3; i++) {
		seed_rtp(&p, 0, 0, 0, 0, 0, audio, sizeof(audio));
		seed_rtp(&p, 1, 1, 0, 0, 0, audio, sizeof(audio));
		EMIT(&p, OP_TIME, 20);
	}
	EMIT(&p, OP_DTMF, 0x00, 5, 12, OP_DTMF, 0x00, 11, 0, OP_DTMF, 0x09, 16, 4);
	EMIT(&p, OP_DTMF, 0x00, 20, 10);
	for (int i = 0; i < 20; i++) {
		seed_rtp(&p, 1, 1, 0, 0, 0, audio, sizeof(audio));
		EMIT(&p, OP_TIME, 20);
	}
	EMIT(&p, OP_DTMF, 0x00, 1, 50, OP_TIME, 40, OP_DEL, 0x00, OP_TIME, 100);
	rc |= write_seed(dir, "dtmf_inject", &p);
	return rc;
}

/* ---- set-up ---- */

static void
poison_hdr(struct rte_mempool *mp, void *opaque, void *obj, unsigned int idx)
{
	(void)opaque;
	(void)idx;
	/* Padding and the next object's header follow each buffer: nothing of ours may
	 * touch them (the mempool library, not instrumented, still may). */
	POISON((char *)obj - mp->header_size, mp->header_size);
	POISON((char *)obj + mp->elt_size, mp->trailer_size);
}

static char store_dir[] = "/tmp/hl-fuzz-media-XXXXXX";

/* LMDB keeps its files open: once the engine has them, nothing needs the names. */
static void
store_unlink(void)
{
	char path[sizeof(store_dir) + 16];

	snprintf(path, sizeof(path), "%s/data.mdb", store_dir);
	(void)unlink(path);
	snprintf(path, sizeof(path), "%s/lock.mdb", store_dir);
	(void)unlink(path);
	(void)rmdir(store_dir);
}

static void
addr6(uint8_t *a, unsigned int pi, unsigned int last)
{
	memset(a, 0, 16);
	a[0] = 0x20;
	a[1] = 0x01;
	a[2] = 0x0d;
	a[3] = 0xb8;
	a[5] = (uint8_t)pi;
	a[15] = (uint8_t)last;
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char err[HL_CONFIG_ERR_MAX], lcores[512], name[N_PI][RTE_ETH_NAME_MAX_LEN], conf[1024];
	const char *seeds = getenv("HL_FUZZ_MEDIA_SEEDS");
	cpu_set_t cpus;
	int off;

	(void)argc;
	if (seeds != NULL)
		exit(write_seeds(seeds) == 0 ? 0 : 1);
	trace = getenv("HL_FUZZ_MEDIA_TRACE") != NULL;
	/* lcore 0 may run on any CPU this process may: no pinning on a shared machine. */
	if (sched_getaffinity(0, sizeof(cpus), &cpus) != 0)
		CPU_ZERO(&cpus);
	off = snprintf(lcores, sizeof(lcores), "0@(");
	for (int i = 0, first = 1; i < CPU_SETSIZE && off < (int)sizeof(lcores) - 8; i++)
		if (CPU_ISSET(i, &cpus)) {
			off += snprintf(lcores + off, sizeof(lcores) - (size_t)off, "%s%d",
				first ? "" : ",", i);
			first = 0;
		}
	snprintf(lcores + off, sizeof(lcores) - (size_t)off, ")");
	if (CPU_COUNT(&cpus) == 0)
		snprintf(lcores, sizeof(lcores), "0");
	/* --in-memory does not go with --no-huge (legacy memory): no shared config and a
	 * per-process prefix instead, so parallel jobs do not meet. */
	char prefix[64];
	snprintf(prefix, sizeof(prefix), "--file-prefix=hl-fuzz-media-%d", (int)getpid());
	char *eal[] = {(*argv)[0], "--log-level=*:crit", "--lcores", lcores, "--no-huge", "-m",
		"256", "--no-pci", "--no-shconf", "--no-telemetry", prefix};
	/* What EAL, the engine and its control state allocate lives for the process and is
	 * often pointed to only from DPDK memory, which LeakSanitizer does not scan. */
	LSAN_OFF();
	if (rte_eal_init((int)HL_ARRAY_SIZE(eal), eal) < 0) {
		fprintf(stderr, "fuzz_media: EAL cannot start\n");
		exit(1);
	}
	if (hl_srtp_global_init() != 0) {
		fprintf(stderr, "fuzz_media: libsrtp init failed\n");
		exit(1);
	}
	inj_pool = rte_pktmbuf_pool_create("fm_inj", 2047, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE, 0);
	for (unsigned int pi = 0; pi < N_PI; pi++) {
		char rn[32], dn[32];
		snprintf(rn, sizeof(rn), "fm_rx%u", pi);
		rxr[pi] = rte_ring_create(rn, 1024, 0, 0);
		snprintf(rn, sizeof(rn), "fm_tx%u", pi);
		txr[pi] = rte_ring_create(rn, 1024, 0, 0);
		snprintf(dn, sizeof(dn), "net_ring_fm%u", pi);
		int pid = inj_pool && rxr[pi] && txr[pi]
				  ? rte_eth_from_rings(dn, &rxr[pi], 1, &txr[pi], 1, 0)
				  : -1;
		if (pid < 0 || rte_eth_dev_get_name_by_port((uint16_t)pid, name[pi]) != 0) {
			fprintf(stderr, "fuzz_media: ring ethdev %u\n", pi);
			exit(1);
		}
	}
	/* The engine's control state opens an LMDB store: a scratch one, not the
	 * default /var/lib/hotline. */
	if (mkdtemp(store_dir) == NULL) {
		perror("fuzz_media: mkdtemp");
		exit(1);
	}
	int cl = snprintf(conf, sizeof(conf), conf_fmt, name[0], name[1], store_dir);
	if (hl_config_parse(&cfg, "fuzz_media.conf", conf, (size_t)cl, err, sizeof(err)) != 0) {
		fprintf(stderr, "fuzz_media: %s\n", err);
		exit(1);
	}
	eng = hl_engine_create(&cfg, err, sizeof(err));
	store_unlink();
	if (eng == NULL) {
		fprintf(stderr, "fuzz_media: engine: %s\n", err);
		exit(1);
	}
	wk = hl_engine_worker(eng, 0);
	eng_pool = wk->pool;
	tsc_hz = rte_get_tsc_hz();
	vnow = rte_rdtsc();
	for (unsigned int pi = 0; pi < N_PI; pi++) {
		rte_eth_macaddr_get(hl_engine_port_id(eng, pi), &port_mac[pi]);
		our4[pi][0] = 10;
		our4[pi][1] = (uint8_t)pi;
		our4[pi][3] = 1;
		addr6(our6[pi], pi, 1);
		for (unsigned int h = 0; h < N_HOST; h++) {
			memcpy(host4[pi][h], our4[pi], 3);
			host4[pi][h][3] = (uint8_t)(2 + h);
			addr6(host6[pi][h], pi, 2 + h);
			set_mac(pi, h, 0);
		}
	}
	LSAN_ON();
	rte_mempool_obj_iter(inj_pool, poison_hdr, NULL);
	rte_mempool_obj_iter(eng_pool, poison_hdr, NULL);
	return 0;
}
