/*
 * Media legs on the workers, and the control lcore's command path to them: see
 * include/hotline/media.h for the model.
 *
 * Worker side, per shard: a table indexed by (engine port, local RTP port) over the
 * worker's slice of the RTP range (leg_slot()) whose entries name a slot of a
 * preallocated leg array; a stack of free slots; a dense
 * array of live slots that the 20 ms tick sweeps in bounded chunks (timeouts, lost
 * DTMF ends, RTCP reports). Three rings: commands in (control -> worker, pointers),
 * commands back (worker -> control, the same pointers) and events (worker -> control,
 * struct hl_media_event by value). Nothing here allocates on a worker except libsrtp's
 * one clone per new authenticated inbound SSRC (see hotline/srtp.h).
 *
 * In-band DTMF detectors (SpanDSP's dtmf_rx state, about 1 KiB each) do not live in the
 * leg: most legs never need one, and the leg array is walked by cache line. A shard
 * has a pool of them, allocated with it, and a leg that needs one holds its index.
 */
#include <errno.h>
#include <string.h>
#include <time.h>

#include <rte_byteorder.h>
#include <rte_cycles.h>
#include <rte_ip.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_prefetch.h>
#include <rte_random.h>
#include <rte_ring.h>
#include <rte_udp.h>

#include "hotline/csum.h"
#include "hotline/dtmf.h"
#include "hotline/media.h"
#include "hotline/neigh.h"
#include "hotline/net.h"
#include "hotline/rtp.h"
#include "dataplane/engine_priv.h"
#include "dataplane/srtp_priv.h"

#define CMD_RING 1024
#define EV_RING 4096
#define TICK_MS 20
#define SWEEP_PER_TICK 2048
#define RTCP_INTERVAL_MS 5000
#define DTMF_LOST_END_MS 200
/* An in-band tone with no audio for this long is ended (the sender went silent, or
 * sends comfort noise, with a key down): as long as RFC 4733's lost end waits. */
#define INBAND_QUIET_MS DTMF_LOST_END_MS
/* On a leg whose DTMF is kept from the peer (dtmf_suppress), audio is muted this long
 * (samples, 40 ms: two 20 ms packets) after the last packet heard as tone, so the
 * tone's last samples (under one detector block, which the detector may let go of
 * early) and its decay are muted too. */
#define INBAND_MUTE_HANGOVER 320
/*
 * On a leg with both telephone-events and a detector (dtmf_suppress, or dtmf_inband =
 * HL_MEDIA_INBAND_ALWAYS; docs/media.md), a press that came both ways is reported once
 * (dedup_report()). The two reports are put on the stream's RTP timeline, where the
 * sender placed both (RFC 4733 §2.1, §2.5.1.1: the events' timestamp is the start of
 * the press in the audio's clock), whatever the packets' arrival: a tone's start and
 * end come DTMF_TONE_LAG_MS late from SpanDSP (measured over every start within a
 * packet, 40-100 ms tones: start 14-34 ms late, end -3-27 ms; two blocks of 102 samples
 * to decide, reported at the 20 ms chunk it is decided in), and two reports of one key
 * are one press when their spans, so corrected, overlap give or take
 * DTMF_PAIR_SLACK_MS. Presses of one key at ITU-T Q.24's minimum (40 ms on, 40 ms off)
 * are 40 ms apart; a corrected tone's start is off by -6 to 14 ms and its end by -23
 * to 7 ms, so the slack keeps them apart with 13 ms to spare (tests/test_media.c
 * pairs them at every start within a packet; a 35 ms slack loses presses there), and
 * covers events stamped a little late (a gateway stamping its own detection).
 */
#define DTMF_TONE_LAG_MS   20
#define DTMF_PAIR_SLACK_MS 20
/* How long a re-keyed leg still accepts its previous inbound key. */
#define REKEY_GRACE_MS 2000

enum cmd_op {
	CMD_SET = 1,
	CMD_DEL,
	CMD_DTMF, /* hl_media_dtmf(): a press to send as telephone-events */
};

/* RFC 4733 §2.3: volume of the events we send, -dBm0 (what phones commonly send). */
#define INJECT_VOLUME 10
/* §2.5.1.4: the end packet is sent three times. */
#define INJECT_END_COPIES 3
/* End packets tried, one a tick, before a press is given up on (200 ms): one that did
 * not go (no mbuf) is tried again on a later tick, so a brief shortage of mbufs still
 * lets the three out and the far end does not hold the key down. */
#define INJECT_END_TRIES 10
/* Start packets tried, one a tick, before a press is dropped unsent (200 ms): a start
 * that found no mbuf, or that SRTP refused, is tried again on the next tick, stamped
 * afresh, so a brief shortage does not lose the key. */
#define INJECT_START_TRIES 10

/* One command: control allocates it, the worker fills it in and hands it back. */
struct hl_media_cmd {
	uint8_t op;
	int status;
	struct hl_media_leg leg;
	struct hl_srtp_ctx srtp_new[2]; /* [0] inbound, [1] outbound; session NULL: none */
	/* With srtp_new[0]: the remote's keys, for the session that carries its ROC on
	 * across a re-key (cmd_set(), srtp_alt); wiped by the worker when it is done. */
	struct hl_srtp_key rx_keys[HL_SRTP_MAX_KEYS];
	uint8_t rx_nkeys;
	/* What the worker no longer uses, control frees: [0] inbound, [1] outbound,
	 * [2] an inbound session kept through a re-key's grace (leg.srtp_prev), [3] the
	 * leg's srtp_alt. */
	struct hl_srtp_ctx srtp_old[4];
	struct hl_media_stats final;    /* CMD_DEL */
	uint8_t event;                  /* CMD_DTMF: RFC 4733 event code */
	uint32_t duration_ms;           /* CMD_DTMF */
};

struct media_leg {
	/*
	 * Hot, by cache line: a packet reads line 0 on the leg it arrives on (x) and on
	 * the leg it leaves by (y); then x's rx line (2), and y's line 1 and tx line (5,
	 * with the map entries of the PTs below RW_MAP_INLINE). Five lines per relayed
	 * packet, two on x and three on y, all prefetched by the burst's pipeline
	 * (media_burst()): at 100k legs each one is a miss to memory. Only two of them are written per
	 * packet, x's rx line and y's tx line: a line written is a line written back to
	 * memory when it is evicted, so lines 0 and 1 of every leg stay clean (written
	 * at set-up and latching only). The rest is cold: set-up, timers, reports.
	 */
	/* line 0: x and y, read only */
	struct media_leg *peer;
	uint64_t tsc_per_unit;  /* TSC per RTP clock unit */
	uint8_t remote_ip[16];
	/* This slot's incarnation (never 0 while live) and the peer's when linked: a
	 * link to a leg that was deleted, or whose slot another leg took, is no link. */
	uint32_t gen, peer_gen;
	int16_t te_pt;
	uint16_t local_port, remote_port;
	uint8_t family, pi, latched, recv_only, srtp_rx, srtp_tx;
	uint8_t dtmf_suppress : 1;
	uint8_t listens : 1; /* holds an in-band detector (inband, cold, says which) */
	uint8_t codec_pt, rtcp_mux;
	/* peer->srtp_tx when the link was made, for the prefetch walk only: a one-way link
	 * (X names Y, Y another) is not refreshed when Y's keys change, and a stale hint
	 * costs a walk or a miss, never a wrong packet. */
	uint8_t peer_srtp_tx;
	/* line 1: y, read only (out_roc moves once every 65536 packets) */
	uint8_t local_ip[16] __rte_cache_aligned;
	struct hl_neigh_hint nh; /* next hop towards remote_ip */
	uint32_t out_roc;
	uint16_t remote_rtcp_port;
	uint8_t rtcp_latched, remote_silent;
	/* lines 2-4: x; its first line per packet (last_rx_tsc and rx's per-packet
	 * fields), the rest per report */
	uint64_t last_rx_tsc __rte_cache_aligned;
	struct hl_rtp_rx_stats rx; /* the stream we receive on it */
	uint32_t key;
	uint32_t peer_key;
	uint32_t call;
	uint16_t tenant;
	uint8_t side;
	uint8_t timed_out;
	uint32_t clock_rate;
	uint32_t timeout_ms, hold_timeout_ms;
	uint32_t active_idx;
	/* unprotect_in() takes its slow path (srtp_prev, srtp_alt) until then: the
	 * re-key's grace, or UINT64_MAX while srtp_alt is undecided */
	uint64_t prev_until;
	/* lines 5-7: y; its tx line per packet (the counters, rw's per-packet fields and
	 * the start of its PT map) */
	uint64_t tx_packets __rte_cache_aligned;
	uint64_t tx_bytes;
	struct hl_rtp_rewriter rw; /* the stream we send on this leg */
	uint64_t rtcp_in, rtcp_out, wrong_source;
	/* SRTP: x reads srtp_in and srtp_prev's session pointer, y srtp_out */
	struct hl_srtp_ctx srtp_in __rte_cache_aligned;
	/* The inbound session a re-key replaced, still tried until grace_until. */
	struct hl_srtp_ctx srtp_prev;
	struct hl_srtp_ctx srtp_out;
	/* cold */
	/*
	 * A re-key's new inbound session as the remote's stream goes on (RFC 3711 §3.3.1:
	 * the ROC is not reset by a new key): its SSRC's stream starts at the ROC the
	 * replaced session had reached, other SSRCs from 0. srtp_in assumes a sender that
	 * starts its new key at ROC 0, as many do. Whichever authenticates the remote's
	 * RTP first is kept as srtp_in (alt_open ends); srtp_alt goes back to control
	 * with the next command.
	 */
	struct hl_srtp_ctx srtp_alt;
	uint64_t grace_until; /* srtp_prev is tried until then */
	uint8_t alt_open;     /* srtp_alt is tried when srtp_in fails */
	uint64_t dtmf;
	uint64_t auth_fail_prior, replay_prior; /* of inbound sessions replaced */
	uint64_t next_rtcp_tsc;
	struct hl_dtmf_4733 dtmf_rx;
	/* The in-band detector this leg holds: index in the shard's pool + 1; 0: none. */
	uint32_t inband;
	uint8_t injecting; /* a press of ours is being sent on this leg (struct inject) */
	uint8_t te_held;   /* relayed_event_held(): a relayed press was cut by ours */
	uint32_t inj_turn; /* the shard's inj_turn when we last sent one of its packets, or
			    * tried a start; 0: never (inj_end holds nothing) */
	uint32_t inj_end;  /* where the last press of ours ended on its timeline */
	uint32_t te_held_ts; /* the cut press's timestamp, in the peer's incoming stream */
} __rte_cache_aligned;

/* The lines the comment above names, and that prefetch_rx()/prefetch_tx() fetch. */
#define LEG_LINE(f) (offsetof(struct media_leg, f) / RTE_CACHE_LINE_SIZE)
_Static_assert(LEG_LINE(peer_srtp_tx) == 0 && LEG_LINE(local_ip) == 1, "leg line 0");
_Static_assert(LEG_LINE(remote_silent) == 1 && LEG_LINE(last_rx_tsc) == 2, "leg line 1");
_Static_assert(LEG_LINE(rx.bytes) == 2, "rx: last_rx_tsc and the per-packet fields in one line");
_Static_assert(LEG_LINE(tx_packets) == LEG_LINE(rw.guard_seq), "tx: one line");
/* PTs below this have their map entry in the tx line: PCMU, PCMA, G.722 and CN (13). */
#define RW_MAP_INLINE \
	(RTE_CACHE_LINE_SIZE - offsetof(struct media_leg, rw.pt_map) % RTE_CACHE_LINE_SIZE)
_Static_assert(RW_MAP_INLINE > 13 && RW_MAP_INLINE < 128, "tx: the static PTs' map in line");
_Static_assert(offsetof(struct media_leg, inband) > offsetof(struct media_leg, srtp_out),
	"inband: in the cold part, read per packet only on in-band legs");

/* The last press of one source of a leg that has two (dedup_report()): its span on the
 * stream's RTP timeline (only differences are compared, so it wraps as timestamps do). */
struct dtmf_seen {
	uint32_t from, to;
	char digit;	/* 0: none */
	uint8_t paired; /* the tone's: an RFC 4733 press was swallowed against it */
};

/* One in-band DTMF detector of a shard's pool. */
struct inband_slot {
	struct hl_dtmf_inband d;
	uint64_t last_ms;	/* when audio was last fed */
	uint64_t mute_until;	/* dtmf_suppress: mute audio that starts before this sample */
	/* Legs with telephone-events too (dedup_report()): the last RFC 4733 press and the
	 * last tone reported, and the running RFC 4733 press when a tone was swallowed
	 * against it. */
	struct dtmf_seen te, tone;
	uint32_t ts_off;       /* RTP timestamp less detector sample (in RTP units), at the
				* last audio fed */
	uint32_t te_heard;     /* where the audio was when the running press was refreshed */
	uint32_t te_paired_ts; /* the running press's RTP timestamp */
	uint8_t te_paired;
	uint8_t dec_bound;     /* the G.722 or Opus decoder follows the source dec_ssrc */
	uint8_t ts_per_sample; /* RTP units a detector sample: 1 (8 kHz clocks), 6 (Opus) */
	uint32_t dec_ssrc;
	/* Opus legs: the shard's Opus decoder that feeds d (opus_of()), index + 1; 0: none.
	 * It lives in a pool of its own, since it is 18 KiB and a slot is 1,408 bytes. */
	uint32_t opus;
	/* G.722 legs: the decoder that feeds d, the far end's state, the encoder that mutes */
	struct hl_g722 g722;
} __rte_cache_aligned;
_Static_assert(sizeof(struct inband_slot) <= 22 * RTE_CACHE_LINE_SIZE,
	"inband_slot: twenty-two lines (docs/media.md)");

/*
 * A press the worker sends as telephone-events on a leg (hl_media_dtmf()): queued in
 * arrival order, played from the tick, one at a time a leg (a press does not start
 * while an earlier one of its leg runs, RFC 4733 §2.5.1: events do not overlap).
 */
struct inject {
	uint32_t leg, gen;  /* the leg's slot and its incarnation when queued */
	uint32_t dur;	    /* clock units, at most 0xFFFF: one segment */
	uint32_t ts;	    /* the event's timestamp, set at its start */
	uint32_t arrival;   /* its start in the leg's RTP units (rewriter timeline) */
	uint64_t start_tsc; /* 0: not started */
	uint64_t next_tsc;  /* next update */
	uint32_t sent_dur;  /* the duration the far end last got (the last packet that went) */
	uint8_t event;
	uint8_t ends;	    /* end packets that went out */
	uint8_t tries;	    /* end packets tried; before the start went, start packets */
	uint8_t failed;	    /* a start or update did not go out: ended there, dropped */
};

struct hl_media_shard {
	/* The flow table: slot[pi * span + (port - lo) / 2] is 1 + the index in legs[] of
	 * the leg on engine port pi, local RTP port `port` (0: none), for the worker's slice
	 * [lo, hi] of the RTP range (leg_slot()). */
	uint32_t *slot;
	uint32_t span;
	uint16_t lo, hi, n_ports;
	struct media_leg *legs;
	uint32_t cap;
	uint32_t n_free;
	uint32_t *free_stack;
	uint32_t n_active;
	uint32_t *active;
	uint32_t n_srtp; /* legs with srtp_rx or srtp_tx: none, no SRTP prefetch walk */
	uint32_t n_inband; /* legs holding an in-band detector: none, no leg's inband read */
	uint32_t cursor;
	uint32_t gen_next;
	struct rte_ring *cmd, *done, *ev;
	uint64_t tsc_hz, tsc_per_ms;
	uint64_t next_tick;
	uint64_t tsc0, ntp0; /* NTP 32.32 at TSC tsc0 */
	/* now / tsc_per_unit for the burst's time: every leg of one clock rate
	 * shares it, so a burst divides once instead of twice per packet. */
	uint64_t memo_now, memo_tpu;
	uint32_t memo_units;
	/* In-band DTMF detectors: a stack of free slot indexes, as for legs. */
	struct inband_slot *inband;
	uint32_t *inband_free;
	uint32_t inband_cap, n_inband_free;
	/* Opus decoders for the detectors of Opus legs (struct inband_slot.opus): opus_cap
	 * of opus_size octets (hl_opus_dec_size(), a whole number of lines) each. */
	uint8_t *opus_dec;
	uint32_t *opus_free;
	uint32_t opus_cap, n_opus_free;
	size_t opus_size;
	/* Presses to send as telephone-events, oldest first. */
	struct inject inj[HL_MEDIA_DTMF_QUEUE];
	uint32_t n_inj;
	uint32_t inj_turn; /* inject_tick() calls, never 0 */
};

static inline uint32_t
leg_key(unsigned int pi, uint16_t port)
{
	return (uint32_t)pi << 16 | port;
}

/*
 * The flow table's entry of engine port pi, local port `port` (RTCP's odd port and RTP's
 * even one share it); NULL outside the worker's slice, where no leg of its can be.
 * Local ports are a dense configured range cut into per-worker slices, so the table is
 * an array indexed by port: one load a packet where rte_hash's bulk lookup took about
 * 140 instructions and two cache lines (bucket, key) per packet (bench/README.md).
 */
static inline uint32_t *
leg_slot(const struct hl_media_shard *sh, unsigned int pi, uint16_t port)
{
	if (unlikely(pi >= sh->n_ports || port < sh->lo || port > sh->hi))
		return NULL;
	return &sh->slot[pi * sh->span + ((uint32_t)(port - sh->lo) >> 1)];
}

/* ---- shard life ---- */

struct hl_media_shard *
hl_media_shard_create(struct hl_worker *w, unsigned int capacity, unsigned int inband_slots,
	unsigned int opus_slots, int socket)
{
	struct hl_media_shard *sh;
	char name[RTE_RING_NAMESIZE];
	struct timespec ts;

	sh = rte_zmalloc_socket("hl_media", sizeof(*sh), RTE_CACHE_LINE_SIZE, socket);
	if (sh == NULL)
		return NULL;
	if (capacity < 8)
		capacity = 8;
	sh->cap = capacity;
	sh->legs = rte_zmalloc_socket("hl_media_legs", sizeof(*sh->legs) * capacity,
		RTE_CACHE_LINE_SIZE, socket);
	sh->free_stack = rte_malloc_socket("hl_media_free", sizeof(uint32_t) * capacity, 0, socket);
	sh->active = rte_malloc_socket("hl_media_act", sizeof(uint32_t) * capacity, 0, socket);
	sh->lo = w->rtp_lo;
	sh->hi = w->rtp_hi >= w->rtp_lo ? w->rtp_hi : w->rtp_lo;
	sh->n_ports = (uint16_t)w->eng->n_ports;
	sh->span = ((uint32_t)(sh->hi - sh->lo) >> 1) + 1;
	sh->slot = rte_zmalloc_socket("hl_media_slot",
		sizeof(*sh->slot) * sh->span * (sh->n_ports ? sh->n_ports : 1), RTE_CACHE_LINE_SIZE,
		socket);
	snprintf(name, sizeof(name), "hl_mcmd_%u", w->index);
	sh->cmd = rte_ring_create(name, CMD_RING, socket, RING_F_SP_ENQ | RING_F_SC_DEQ);
	snprintf(name, sizeof(name), "hl_mdone_%u", w->index);
	sh->done = rte_ring_create(name, CMD_RING * 2, socket, RING_F_SP_ENQ | RING_F_SC_DEQ);
	snprintf(name, sizeof(name), "hl_mev_%u", w->index);
	sh->ev = rte_ring_create_elem(name, sizeof(struct hl_media_event), EV_RING, socket,
		RING_F_SP_ENQ | RING_F_SC_DEQ);
	if (inband_slots > 0) {
		sh->inband = rte_zmalloc_socket("hl_media_inband",
			sizeof(*sh->inband) * inband_slots, RTE_CACHE_LINE_SIZE, socket);
		sh->inband_free = rte_malloc_socket("hl_media_inband_free",
			sizeof(uint32_t) * inband_slots, 0, socket);
	}
	/* Opus silence for muting is encoded once, here: libopus's encoder allocates. */
	if (inband_slots > 0 && opus_slots > 0 && hl_opus_silence_init() == 0) {
		sh->opus_size = RTE_ALIGN_CEIL(hl_opus_dec_size(), RTE_CACHE_LINE_SIZE);
		sh->opus_dec = rte_zmalloc_socket(
			"hl_media_opus", sh->opus_size * opus_slots, RTE_CACHE_LINE_SIZE, socket);
		sh->opus_free = rte_malloc_socket(
			"hl_media_opus_free", sizeof(uint32_t) * opus_slots, 0, socket);
		if (sh->opus_dec == NULL || sh->opus_free == NULL) {
			hl_media_shard_free(sh);
			return NULL;
		}
		for (uint32_t i = 0; i < opus_slots; i++)
			sh->opus_free[i] = opus_slots - 1 - i;
		sh->opus_cap = sh->n_opus_free = opus_slots;
	}
	if (sh->legs == NULL || sh->free_stack == NULL || sh->active == NULL || sh->slot == NULL ||
		sh->cmd == NULL || sh->done == NULL || sh->ev == NULL ||
		(inband_slots > 0 && (sh->inband == NULL || sh->inband_free == NULL))) {
		hl_media_shard_free(sh);
		return NULL;
	}
	for (uint32_t i = 0; i < capacity; i++)
		sh->free_stack[i] = capacity - 1 - i;
	sh->n_free = capacity;
	for (uint32_t i = 0; i < inband_slots; i++)
		sh->inband_free[i] = inband_slots - 1 - i;
	sh->inband_cap = sh->n_inband_free = inband_slots;
	sh->tsc_hz = rte_get_tsc_hz();
	sh->tsc_per_ms = sh->tsc_hz / 1000;
	clock_gettime(CLOCK_REALTIME, &ts);
	sh->tsc0 = rte_rdtsc();
	/* RFC 5905: NTP era 0 starts 2208988800 s before the Unix epoch. */
	sh->ntp0 = ((uint64_t)ts.tv_sec + 2208988800ull) << 32 |
		   (uint64_t)(((uint64_t)ts.tv_nsec << 32) / 1000000000ull);
	return sh;
}

static void
leg_release_srtp(struct media_leg *l)
{
	hl_srtp_ctx_fini(&l->srtp_in);
	hl_srtp_ctx_fini(&l->srtp_out);
	hl_srtp_ctx_fini(&l->srtp_prev);
	hl_srtp_ctx_fini(&l->srtp_alt);
}

void
hl_media_shard_free(struct hl_media_shard *sh)
{
	void *p;

	if (sh == NULL)
		return;
	/* At shutdown only: the worker has stopped, so control may free its sessions. */
	for (uint32_t i = 0; i < sh->n_active && sh->legs != NULL; i++)
		leg_release_srtp(&sh->legs[sh->active[i]]);
	if (sh->cmd != NULL)
		while (rte_ring_dequeue(sh->cmd, &p) == 0) {
			struct hl_media_cmd *c = p;
			hl_srtp_ctx_fini(&c->srtp_new[0]);
			hl_srtp_ctx_fini(&c->srtp_new[1]);
			explicit_bzero(c->rx_keys, sizeof(c->rx_keys));
			free(c);
		}
	if (sh->done != NULL)
		while (rte_ring_dequeue(sh->done, &p) == 0) {
			struct hl_media_cmd *c = p;
			for (unsigned int k = 0; k < RTE_DIM(c->srtp_old); k++)
				hl_srtp_ctx_fini(&c->srtp_old[k]);
			free(c);
		}
	rte_free(sh->slot);
	rte_ring_free(sh->cmd);
	rte_ring_free(sh->done);
	rte_ring_free(sh->ev);
	rte_free(sh->legs);
	rte_free(sh->free_stack);
	rte_free(sh->active);
	rte_free(sh->inband);
	rte_free(sh->inband_free);
	rte_free(sh->opus_dec);
	rte_free(sh->opus_free);
	rte_free(sh);
}

/* ---- helpers ---- */

static inline uint64_t
ntp_now(const struct hl_media_shard *sh, uint64_t tsc)
{
	uint64_t d = tsc - sh->tsc0;
	uint64_t s = d / sh->tsc_hz, r = d % sh->tsc_hz;
	return sh->ntp0 + (s << 32) + (r << 32) / sh->tsc_hz;
}

static void
emit(struct hl_worker *w, const struct hl_media_event *ev)
{
	if (rte_ring_sp_enqueue_elem(w->media->ev, (void *)(uintptr_t)ev, sizeof(*ev)) != 0)
		w->st->ctr[HL_CTR_MEDIA_EV_LOST]++;
}

static void
emit_dtmf(struct hl_worker *w, struct media_leg *l, const struct hl_dtmf_event *d)
{
	struct hl_media_event ev = {
		.call = l->call,
		.type = HL_MEDIA_EV_DTMF,
		.side = l->side,
		.digit = d->digit,
		.how = d->how,
		.local_port = l->local_port,
		.duration_ms = d->duration_ms,
	};
	l->dtmf++;
	w->st->ctr[d->how == HL_DTMF_END_TONE ? HL_CTR_DTMF_INBAND : HL_CTR_DTMF_4733]++;
	emit(w, &ev);
}

/* ---- in-band DTMF detectors (worker) ---- */

static inline struct inband_slot *
inband_of(struct hl_media_shard *sh, const struct media_leg *l)
{
	return &sh->inband[l->inband - 1];
}

static inline struct hl_opus_dec *
opus_of(struct hl_media_shard *sh, const struct inband_slot *sl)
{
	return (struct hl_opus_dec *)(sh->opus_dec + (size_t)(sl->opus - 1) * sh->opus_size);
}

/* What the leg's settings ask: PCMU, PCMA, G.722 or Opus, without telephone-events
 * unless its keys are kept from the peer or control asks for it whatever the SDP
 * (hotline/media.h). */
static inline bool
inband_wanted(const struct hl_media_leg *s)
{
	return s->dtmf_inband != HL_MEDIA_INBAND_OFF &&
	       (s->te_pt < 0 || s->dtmf_suppress || s->dtmf_inband == HL_MEDIA_INBAND_ALWAYS) &&
	       hl_media_codec_inband(s->codec_pt, s->clock_rate);
}

/* Telephone-event units of leg l as units of its audio timeline, and back: the same
 * unless its events run at another clock than its codec (Opus, telephone-event/8000). */
static inline uint32_t
te_to_audio(const struct media_leg *l, uint32_t units)
{
	if (likely(l->dtmf_rx.clock_rate == l->clock_rate))
		return units;
	return (uint32_t)((uint64_t)units * l->clock_rate / l->dtmf_rx.clock_rate);
}

static inline uint32_t
audio_to_te(const struct media_leg *l, uint64_t units)
{
	if (likely(l->dtmf_rx.clock_rate == l->clock_rate))
		return (uint32_t)units;
	return (uint32_t)(units * l->dtmf_rx.clock_rate / l->clock_rate);
}

/* Takes a detector for l from the pool; none free: counted, l runs without. */
static void
inband_take(struct hl_worker *w, struct media_leg *l)
{
	struct hl_media_shard *sh = w->media;
	uint32_t i;

	if (sh->n_inband_free == 0) {
		w->st->ctr[HL_CTR_DTMF_INBAND_NO_SLOT]++;
		return;
	}
	i = sh->inband_free[--sh->n_inband_free];
	if (hl_dtmf_inband_init(&sh->inband[i].d) != 0 || hl_g722_init(&sh->inband[i].g722) != 0) {
		sh->inband_free[sh->n_inband_free++] = i;
		w->st->ctr[HL_CTR_DTMF_INBAND_NO_SLOT]++;
		return;
	}
	sh->inband[i].last_ms = w->now / sh->tsc_per_ms;
	sh->inband[i].mute_until = 0;
	memset(&sh->inband[i].te, 0, sizeof(sh->inband[i].te));
	memset(&sh->inband[i].tone, 0, sizeof(sh->inband[i].tone));
	sh->inband[i].ts_off = 0;
	sh->inband[i].te_heard =
		l->dtmf_rx.start_ts + te_to_audio(l, l->dtmf_rx.base_dur + l->dtmf_rx.seg_dur);
	sh->inband[i].te_paired = 0;
	sh->inband[i].dec_bound = 0;
	sh->inband[i].ts_per_sample = 1;
	sh->inband[i].opus = 0;
	l->inband = i + 1;
	l->listens = 1;
	sh->n_inband++;
}

/* Gives l's detector back. A press still running is dropped with it: the call or its
 * codec is gone. */
static void
inband_give(struct hl_media_shard *sh, struct media_leg *l)
{
	if (l->inband == 0)
		return;
	struct inband_slot *sl = inband_of(sh, l);
	if (sl->opus != 0) {
		sh->opus_free[sh->n_opus_free++] = sl->opus - 1;
		sl->opus = 0;
	}
	sh->inband_free[sh->n_inband_free++] = l->inband - 1;
	l->inband = 0;
	l->listens = 0;
	sh->n_inband--;
}

/*
 * l's detector for its codec (opus: Opus): an Opus leg's needs an Opus decoder from the
 * shard's pool, started afresh when the codec changed (another PT); none free, l gives
 * the detector back and runs without (dtmf_inband_no_slot, as for no detector). Other
 * codecs give the decoder back. The detector itself carries on either way.
 */
static void
inband_codec(struct hl_worker *w, struct media_leg *l, bool opus, bool changed)
{
	struct hl_media_shard *sh = w->media;
	struct inband_slot *sl;

	if (l->inband == 0)
		return;
	sl = inband_of(sh, l);
	sl->ts_per_sample = opus ? 48000 / 8000 : 1;
	if (!opus) {
		if (sl->opus != 0) {
			sh->opus_free[sh->n_opus_free++] = sl->opus - 1;
			sl->opus = 0;
		}
		return;
	}
	if (sl->opus != 0) {
		if (changed)
			(void)hl_opus_dec_init(opus_of(sh, sl));
		return;
	}
	if (sh->n_opus_free > 0) {
		sl->opus = sh->opus_free[--sh->n_opus_free] + 1;
		sl->dec_bound = 0;
		if (hl_opus_dec_init(opus_of(sh, sl)) == 0)
			return;
	}
	inband_give(sh, l);
	w->st->ctr[HL_CTR_DTMF_INBAND_NO_SLOT]++;
}

/* Is s a press of digit whose span overlaps [from, to], give or take DTMF_PAIR_SLACK_MS
 * (upm: RTP units a millisecond)? */
static inline bool
seen_overlaps(const struct dtmf_seen *s, char digit, uint32_t from, uint32_t to, uint32_t upm)
{
	return s->digit == digit && (int32_t)(from - s->to) <= DTMF_PAIR_SLACK_MS * (int32_t)upm &&
	       (int32_t)(s->from - to) <= DTMF_PAIR_SLACK_MS * (int32_t)upm;
}

/*
 * The running RFC 4733 press of a leg with a detector was refreshed (a packet of it
 * came): where the audio then was, its last packet's end on the timeline.
 */
static inline void
running_heard(struct hl_media_shard *sh, struct media_leg *l)
{
	struct inband_slot *sl = inband_of(sh, l);
	const struct hl_dtmf_4733 *rx = &l->dtmf_rx;

	if (sl->d.samples != 0)
		sl->te_heard = sl->ts_off + (uint32_t)sl->d.samples * sl->ts_per_sample;
	else
		sl->te_heard = rx->start_ts + te_to_audio(l, rx->base_dur + rx->seg_dur);
}

/*
 * How far the running RFC 4733 press is known to go: its duration so far, or, when its
 * events lag the audio, up to where the audio was at its last packet (it was still
 * down then; RFC 4733 §2.5.1.2 refreshes a press at least every 50 ms). A press whose
 * end packets were lost stops where its last packet left it.
 */
static inline uint32_t
running_end(const struct inband_slot *sl, const struct media_leg *l)
{
	const struct hl_dtmf_4733 *rx = &l->dtmf_rx;
	uint32_t known = rx->start_ts + te_to_audio(l, rx->base_dur + rx->seg_dur);

	return (int32_t)(sl->te_heard - known) > 0 ? sl->te_heard : known;
}

/*
 * Reports a press of leg l, which has telephone-events and a detector, unless it is the
 * other source's report of a press already reported: the first report of a press wins,
 * the other is swallowed (dtmf_dup_presses). Both are placed on the stream's RTP
 * timeline (its clock: 8 kHz for G.711 and G.722, 48 kHz for Opus): an RFC 4733 press
 * from its timestamp for its duration, a tone
 * from the detector's samples through the offset of the last audio packet, moved
 * DTMF_TONE_LAG_MS earlier; arrival times play no part, so events that lag the audio,
 * or audio later than the events' lost-end timeout, pair as any. Two reports of one
 * key are one press when their spans overlap (seen_overlaps()), and then:
 *  - a tone is swallowed when it overlaps the last RFC 4733 press, reported or
 *    swallowed, or the one still running (its end lost or not come yet; known so far):
 *    the pieces of a tone the detector hears broken fall within the sender's one press;
 *  - an RFC 4733 press is swallowed when it overlaps the last tone reported and not yet
 *    paired: a tone that spans two presses the sender keyed (the detector ran two
 *    together) does not swallow the second;
 *  - a running press that tones were swallowed against is reported when it ends,
 *    unless it pairs with a tone reported before its first packet came (events that
 *    late) as above.
 * Anything else is reported and becomes its source's last press. Events of one key
 * with the tone of another (a broken sender) never pair: both are reported, since the
 * two disagree on what was keyed. O(1), two records a leg, no per-packet cost beyond
 * the audio's offset on legs with a detector.
 */
static void
dedup_report(struct hl_worker *w, struct media_leg *l, const struct hl_dtmf_event *ev)
{
	struct inband_slot *sl = inband_of(w->media, l);
	uint32_t upm = l->clock_rate / 1000, from, to;
	int32_t slack = DTMF_PAIR_SLACK_MS * (int32_t)upm;

	if (ev->how == HL_DTMF_END_TONE) {
		const struct hl_dtmf_4733 *rx = &l->dtmf_rx;

		from = (uint32_t)(ev->start_ms - DTMF_TONE_LAG_MS) * upm + sl->ts_off;
		to = from + ev->duration_ms * upm;
		if (seen_overlaps(&sl->te, ev->digit, from, to, upm)) {
			w->st->ctr[HL_CTR_DTMF_DUP]++;
			return;
		}
		if (rx->active && hl_dtmf_digit(rx->event) == ev->digit &&
			(int32_t)(rx->start_ts - to) <= slack &&
			(int32_t)(from - running_end(sl, l)) <= slack) {
			sl->te_paired = 1;
			sl->te_paired_ts = rx->start_ts;
			w->st->ctr[HL_CTR_DTMF_DUP]++;
			return;
		}
		emit_dtmf(w, l, ev);
		sl->tone = (struct dtmf_seen){from, to, ev->digit, 0};
		return;
	}
	from = ev->start_ts;
	to = from + (uint32_t)((uint64_t)ev->duration_ms * l->clock_rate / 1000);
	sl->te = (struct dtmf_seen){from, to, ev->digit, 0};
	if (sl->te_paired && sl->te_paired_ts == ev->start_ts)
		sl->te_paired = 0; /* tones were swallowed against it: it is reported */
	if (!sl->tone.paired && seen_overlaps(&sl->tone, ev->digit, from, to, upm)) {
		sl->tone.paired = 1;
		w->st->ctr[HL_CTR_DTMF_DUP]++;
		return;
	}
	emit_dtmf(w, l, ev);
}

/* A press of leg l: straight to control, or through dedup_report() when l hears its
 * keys both ways (telephone-events and a detector: dtmf_suppress, or
 * HL_MEDIA_INBAND_ALWAYS; muting or not changes nothing here). */
static inline void
report_dtmf(struct hl_worker *w, struct media_leg *l, const struct hl_dtmf_event *ev)
{
	if (l->te_pt >= 0 && l->listens)
		dedup_report(w, l, ev);
	else
		emit_dtmf(w, l, ev);
}

/* The leg x relays to, if the link is still to the same leg (links are one-way: X
 * may name Y while Y names another, so deleting Y cannot find every X). */
static inline struct media_leg *
peer_of(const struct media_leg *x)
{
	struct media_leg *y = x->peer;

	return y != NULL && y->gen == x->peer_gen ? y : NULL;
}

static inline bool
mutual(const struct media_leg *x)
{
	const struct media_leg *y = peer_of(x);

	return y != NULL && peer_of(y) == x;
}

static inline void
link_to(struct media_leg *x, struct media_leg *y)
{
	x->peer = y;
	x->peer_gen = y != NULL ? y->gen : 0;
	x->peer_srtp_tx = y != NULL && y->srtp_tx;
}

/* X's outgoing PT map: what its peer Y receives (Y's PTs) to what X's remote expects. */
static void
leg_map_pts(struct media_leg *x)
{
	const struct media_leg *y = peer_of(x);

	memset(x->rw.pt_map, HL_RTP_PT_DROP, sizeof(x->rw.pt_map));
	if (y == NULL)
		return;
	x->rw.pt_map[y->codec_pt & 0x7f] = x->codec_pt;
	if (y->te_pt >= 0 && x->te_pt >= 0 && !y->dtmf_suppress &&
		x->dtmf_rx.clock_rate == y->dtmf_rx.clock_rate)
		x->rw.pt_map[y->te_pt & 0x7f] = (uint8_t)x->te_pt;
}

static void
leg_stats(const struct hl_media_shard *sh, const struct media_leg *l, struct hl_media_stats *st)
{
	const struct hl_rtp_rx_stats *rx = &l->rx;
	int64_t lost = (int64_t)rx->lost_prior + (rx->have_source ? hl_rtp_rx_stats_lost(rx) : 0);
	double jitter_ms = rx->clock_rate ? hl_rtp_rx_stats_jitter(rx) * 1000.0 / rx->clock_rate : 0;

	(void)sh;
	memset(st, 0, sizeof(*st));
	st->call = l->call;
	st->tenant = l->tenant;
	st->side = l->side;
	st->latched = l->latched;
	st->local_port = l->local_port;
	st->rx_packets = rx->packets;
	st->rx_bytes = rx->bytes;
	st->tx_packets = l->tx_packets;
	st->tx_bytes = l->tx_bytes;
	st->rtcp_in = l->rtcp_in;
	st->rtcp_out = l->rtcp_out;
	st->lost = lost;
	st->loss_pct = hl_rtp_rx_stats_loss_pct(rx);
	st->jitter_ms = jitter_ms;
	st->rtt_ms = rx->have_rtt ? rx->rtt_ms : 0;
	/* A jitter buffer of twice the jitter plus one 20 ms frame sits in the path. */
	st->mos = rx->packets ? hl_rtp_rx_stats_mos(rx, 20.0 + 2 * jitter_ms, HL_EMODEL_G711_PLC)
			      : 0;
	st->dtmf = l->dtmf;
	st->srtp_auth_fail = l->auth_fail_prior + l->srtp_in.cnt[HL_SRTP_CNT_AUTH_FAIL] +
			     l->srtp_prev.cnt[HL_SRTP_CNT_AUTH_FAIL] +
			     l->srtp_alt.cnt[HL_SRTP_CNT_AUTH_FAIL];
	st->srtp_replay = l->replay_prior + l->srtp_in.cnt[HL_SRTP_CNT_REPLAY] +
			  l->srtp_prev.cnt[HL_SRTP_CNT_REPLAY] +
			  l->srtp_alt.cnt[HL_SRTP_CNT_REPLAY];
	st->wrong_source = l->wrong_source;
	st->ssrc_changes = rx->ssrc_changes;
}

/* ---- commands (worker) ---- */

static struct media_leg *
leg_find(struct hl_media_shard *sh, uint32_t key)
{
	const uint32_t *e = leg_slot(sh, key >> 16, (uint16_t)key);

	return e != NULL && *e != 0 ? &sh->legs[*e - 1] : NULL;
}

/* The clock of leg s's telephone-event durations: its rtpmap's, else the codec's. */
static inline uint32_t
te_clock_of(const struct hl_media_leg *s)
{
	return s->te_clock ? s->te_clock : s->clock_rate ? s->clock_rate : 8000;
}

/*
 * What l relays now reaches another G.722 decoder (a new peer leg, or its peer's new
 * remote): the muting encoder's idea of the far end's state starts afresh with it
 * (hl_g722_far_restart()), not where the last far end was.
 */
static void
far_end_new(struct hl_media_shard *sh, struct media_leg *l)
{
	if (l->inband != 0)
		hl_g722_far_restart(&inband_of(sh, l)->g722);
}

/*
 * A re-key whose remote has sent under the replaced key past a sequence wrap: besides
 * srtp_in (its new key from ROC 0), a session of the same keys whose stream for that
 * SSRC goes on at the ROC the replaced one reached (srtp_alt). Built here, where the
 * stream is known, from the keys the command carries: once per such re-key, a few
 * tens of microseconds of key derivation and libsrtp's allocations.
 */
static void
alt_build(struct media_leg *l, const struct hl_media_cmd *c)
{
	struct hl_srtp_opts o = {.ssrc_specific = 1, .and_any = 1};

	if (c->rx_nkeys == 0 || !l->rx.have_source ||
		hl_srtp_get_roc(&l->srtp_prev, l->rx.ssrc, &o.roc) != 0 || o.roc == 0)
		return;
	o.ssrc = l->rx.ssrc;
	if (hl_srtp_ctx_init_keys(&l->srtp_alt, c->rx_keys, c->rx_nkeys, HL_SRTP_INBOUND, &o) != 0)
		return;
	l->alt_open = 1;
	l->prev_until = UINT64_MAX;
}

static void cmd_set_(struct hl_worker *w, struct hl_media_cmd *c);

static void
cmd_set(struct hl_worker *w, struct hl_media_cmd *c)
{
	cmd_set_(w, c);
	explicit_bzero(c->rx_keys, sizeof(c->rx_keys));
	c->rx_nkeys = 0;
}

static void
cmd_set_(struct hl_worker *w, struct hl_media_cmd *c)
{
	struct hl_media_shard *sh = w->media;
	const struct hl_media_leg *s = &c->leg;
	uint32_t key = leg_key(s->port_index, s->local_port);
	struct media_leg *l = leg_find(sh, key);
	bool fresh = l == NULL, rebase;
	uint32_t had_srtp = l != NULL ? (uint32_t)(l->srtp_rx | l->srtp_tx) : 0;

	/*
	 * Keeping a session the leg does not have (control's earlier set of it was refused,
	 * the refusal still on its way back, and a slot has freed since) would run SRTP
	 * media plain both ways: refused as well, so that the refusal ends the call.
	 */
	if ((s->srtp_rx && (s->srtp_keep || s->srtp_rx_keep) &&
		    (fresh || l->srtp_in.session == NULL)) ||
		(s->srtp_tx && (s->srtp_keep || s->srtp_tx_keep) &&
			(fresh || l->srtp_out.session == NULL))) {
		c->status = -ESTALE;
		c->srtp_old[0] = c->srtp_new[0];
		c->srtp_old[1] = c->srtp_new[1];
		return;
	}
	if (fresh) {
		uint32_t *slot = leg_slot(sh, s->port_index, s->local_port);

		if (sh->n_free == 0 || slot == NULL) {
			c->status = -ENOSPC;
			/* Hand the unused new sessions back for freeing. */
			c->srtp_old[0] = c->srtp_new[0];
			c->srtp_old[1] = c->srtp_new[1];
			return;
		}
		uint32_t idx = sh->free_stack[--sh->n_free];
		l = &sh->legs[idx];
		memset(l, 0, sizeof(*l));
		l->key = key;
		if (++sh->gen_next == 0)
			sh->gen_next = 1;
		l->gen = sh->gen_next;
		*slot = idx + 1;
		l->active_idx = sh->n_active;
		sh->active[sh->n_active++] = idx;
		hl_rtp_rewriter_init(&l->rw, s->ssrc, (uint16_t)rte_rand(), (uint32_t)rte_rand());
		hl_rtp_rx_stats_init(&l->rx, s->clock_rate ? s->clock_rate : 8000);
		hl_dtmf_4733_init(&l->dtmf_rx, te_clock_of(s), DTMF_LOST_END_MS);
		l->last_rx_tsc = w->now;
		l->next_rtcp_tsc = w->now + sh->tsc_per_ms * (RTCP_INTERVAL_MS / 2 +
							       rte_rand_max(RTCP_INTERVAL_MS));
	}
	/* New keys alone change neither the stream nor where it comes from: the
	 * sequence and ROC carry on under the new outbound key, and the latch stays. */
	rebase = !fresh && (l->remote_port != s->remote_port ||
			       memcmp(l->remote_ip, s->remote_ip, 16) != 0 ||
			       l->codec_pt != s->codec_pt);
	l->call = s->call;
	l->tenant = s->tenant;
	l->side = s->side;
	l->pi = s->port_index;
	l->family = s->family;
	l->rtcp_mux = s->rtcp_mux;
	l->recv_only = s->recv_only;
	l->remote_silent = s->remote_silent;
	l->dtmf_suppress = s->dtmf_suppress != 0;
	/* A G.722 or Opus decoder kept across a change of codec would take the new stream
	 * for the old one's continuation: it starts afresh, as the far end's does. */
	bool codec_changed =
		!fresh && (l->codec_pt != (s->codec_pt & 0x7f) ||
				  l->clock_rate != (s->clock_rate ? s->clock_rate : 8000));
	if (l->inband != 0 && codec_changed)
		(void)hl_g722_init(&inband_of(sh, l)->g722);
	l->codec_pt = s->codec_pt & 0x7f;
	l->te_pt = s->te_pt;
	l->local_port = s->local_port;
	/* A detector kept across a change (PCMU to PCMA, G.722 or Opus, a new remote)
	 * carries on: it sees linear 8 kHz audio either way. */
	if (!inband_wanted(s))
		inband_give(sh, l);
	else if (l->inband == 0)
		inband_take(w, l);
	inband_codec(w, l, hl_media_codec_opus(l->codec_pt, s->clock_rate ? s->clock_rate : 8000),
		codec_changed);
	if (!fresh && l->dtmf_rx.clock_rate != te_clock_of(s))
		/* RFC 4733 §2.3: durations are in the events' clock units (the codec's,
		 * or their rtpmap's where a sender runs them at another). */
		hl_dtmf_4733_init(&l->dtmf_rx, te_clock_of(s), DTMF_LOST_END_MS);
	l->clock_rate = s->clock_rate ? s->clock_rate : 8000;
	hl_rtp_rx_stats_set_clock(&l->rx, l->clock_rate);
	l->tsc_per_unit = sh->tsc_hz / l->clock_rate;
	l->timeout_ms = s->timeout_ms;
	l->hold_timeout_ms = s->hold_timeout_ms;
	l->timed_out = 0;
	l->last_rx_tsc = w->now; /* a change restarts the silence clock */
	memcpy(l->local_ip, s->local_ip, 16);
	l->nh.seq_at = NULL; /* port, address or route may have changed */
	if (fresh || rebase) {
		memcpy(l->remote_ip, s->remote_ip, 16);
		l->remote_port = s->remote_port;
		l->remote_rtcp_port = s->remote_rtcp_port ? s->remote_rtcp_port :
				      (uint16_t)(s->remote_port + 1);
		l->latched = 0;
		l->rtcp_latched = 0;
	}
	if (rebase) {
		hl_rtp_rewriter_rebase(&l->rw);
		/* A new remote's G.722 encoder is new: the decoder follows it from its start
		 * (Opus's is started afresh at its first packet, inband_input()). */
		if (l->inband != 0) {
			hl_g722_restart(&inband_of(sh, l)->g722);
			inband_of(sh, l)->dec_bound = 0;
		}
	}
	if (!s->srtp_keep && !s->srtp_rx_keep) {
		/* RFC 4568 7.1.4: a remote that re-offers a new key keeps sending under
		 * the old one until our answer reaches it, and packets already on the
		 * way follow; both keys work for a while. */
		bool grace = l->srtp_in.session != NULL && c->srtp_new[0].session != NULL;

		/* The call record counts the failures of every session it had. */
		l->auth_fail_prior += l->srtp_prev.cnt[HL_SRTP_CNT_AUTH_FAIL] +
				      l->srtp_alt.cnt[HL_SRTP_CNT_AUTH_FAIL];
		l->replay_prior += l->srtp_prev.cnt[HL_SRTP_CNT_REPLAY] +
				   l->srtp_alt.cnt[HL_SRTP_CNT_REPLAY];
		c->srtp_old[2] = l->srtp_prev;
		c->srtp_old[3] = l->srtp_alt;
		memset(&l->srtp_prev, 0, sizeof(l->srtp_prev));
		memset(&l->srtp_alt, 0, sizeof(l->srtp_alt));
		l->alt_open = 0;
		if (grace) {
			l->srtp_prev = l->srtp_in; /* keeps counting there */
			l->grace_until = w->now + sh->tsc_per_ms * REKEY_GRACE_MS;
			l->prev_until = l->grace_until;
			alt_build(l, c);
		} else {
			l->auth_fail_prior += l->srtp_in.cnt[HL_SRTP_CNT_AUTH_FAIL];
			l->replay_prior += l->srtp_in.cnt[HL_SRTP_CNT_REPLAY];
			c->srtp_old[0] = l->srtp_in;
		}
		l->srtp_in = c->srtp_new[0];
		l->srtp_rx = l->srtp_in.session != NULL;
	}
	if (!s->srtp_keep && !s->srtp_tx_keep) {
		c->srtp_old[1] = l->srtp_out;
		l->srtp_out = c->srtp_new[1];
		l->srtp_tx = l->srtp_out.session != NULL;
		/* A new outbound key continues our stream's index (RFC 3711 §3.3.1). */
		if (l->srtp_tx && l->rw.started)
			(void)hl_srtp_set_roc(&l->srtp_out, l->rw.out_ssrc, l->out_roc);
	}
	memset(c->srtp_new, 0, sizeof(c->srtp_new));
	sh->n_srtp += (uint32_t)(l->srtp_rx | l->srtp_tx) - had_srtp;
	/* Bridge: link to the peer now if it exists, and it back to us if it names us. */
	struct media_leg *was = peer_of(l);
	bool was_mutual = mutual(l);
	if (was_mutual)
		link_to(l->peer, NULL);
	link_to(l, NULL);
	l->peer_key = s->peer_port ? leg_key(s->peer_port_index, s->peer_port) : 0;
	if (l->peer_key != 0) {
		struct media_leg *y = leg_find(sh, l->peer_key);
		if (y != NULL && y != l) {
			link_to(l, y);
			if (y->peer_key == key) {
				struct media_leg *z = peer_of(y);
				if (z != NULL && z != l && peer_of(z) == y)
					link_to(z, NULL);
				link_to(y, l);
				/* y relayed to us before, unless it was unlinked just above */
				if (z != l && !(was_mutual && y == was))
					far_end_new(sh, y);
			}
		}
	}
	if (peer_of(l) != was)
		far_end_new(sh, l);
	if (rebase && mutual(l))
		far_end_new(sh, l->peer);
	leg_map_pts(l);
	if (mutual(l))
		leg_map_pts(l->peer);
	c->status = 0;
}

static void
cmd_del(struct hl_worker *w, struct hl_media_cmd *c)
{
	struct hl_media_shard *sh = w->media;
	uint32_t key = leg_key(c->leg.port_index, c->leg.local_port);
	struct media_leg *l = leg_find(sh, key);

	if (l == NULL) {
		c->status = -ENOENT;
		return;
	}
	leg_stats(sh, l, &c->final);
	sh->n_srtp -= (uint32_t)(l->srtp_rx | l->srtp_tx);
	inband_give(sh, l);
	c->srtp_old[0] = l->srtp_in;
	c->srtp_old[1] = l->srtp_out;
	c->srtp_old[2] = l->srtp_prev;
	c->srtp_old[3] = l->srtp_alt;
	memset(&l->srtp_in, 0, sizeof(l->srtp_in));
	memset(&l->srtp_out, 0, sizeof(l->srtp_out));
	memset(&l->srtp_prev, 0, sizeof(l->srtp_prev));
	memset(&l->srtp_alt, 0, sizeof(l->srtp_alt));
	l->alt_open = 0;
	if (mutual(l)) {
		struct media_leg *y = l->peer;
		link_to(y, NULL);
		leg_map_pts(y);
	}
	link_to(l, NULL);
	l->gen = 0; /* every one-way link to this slot is void now */
	*leg_slot(sh, c->leg.port_index, c->leg.local_port) = 0;
	uint32_t idx = (uint32_t)(l - sh->legs);
	uint32_t last = sh->active[--sh->n_active];
	sh->active[l->active_idx] = last;
	sh->legs[last].active_idx = l->active_idx;
	if (sh->cursor > sh->n_active)
		sh->cursor = 0;
	sh->free_stack[sh->n_free++] = idx;
	l->key = 0;
	c->status = 0;
}

/* Queues a press to send on a leg (played by inject_tick()); a full queue drops it. */
static void
cmd_dtmf(struct hl_worker *w, struct hl_media_cmd *c)
{
	struct hl_media_shard *sh = w->media;
	struct media_leg *l = leg_find(sh, leg_key(c->leg.port_index, c->leg.local_port));
	uint64_t units;

	if (l == NULL || sh->n_inj == RTE_DIM(sh->inj)) {
		w->st->ctr[HL_CTR_DTMF_INJECT_DROPPED]++;
		c->status = l == NULL ? -ENOENT : -ENOSPC;
		return;
	}
	units = (uint64_t)c->duration_ms * l->dtmf_rx.clock_rate / 1000;
	sh->inj[sh->n_inj++] = (struct inject){
		.leg = (uint32_t)(l - sh->legs),
		.gen = l->gen,
		.dur = units > 0xffff ? 0xffff : (uint32_t)units,
		.event = c->event,
	};
	c->status = 0;
}

unsigned int
hl_media_commands(struct hl_worker *w)
{
	struct hl_media_shard *sh = w->media;
	void *cmds[32];
	unsigned int n, k;

	if (sh == NULL)
		return 0;
	n = rte_ring_sc_dequeue_burst(sh->cmd, cmds, RTE_DIM(cmds), NULL);
	for (unsigned int i = 0; i < n; i++) {
		struct hl_media_cmd *c = cmds[i];
		if (c->op == CMD_SET)
			cmd_set(w, c);
		else if (c->op == CMD_DEL)
			cmd_del(w, c);
		else if (c->op == CMD_DTMF)
			cmd_dtmf(w, c);
		else
			c->status = -EINVAL;
	}
	if (n) {
		w->st->ctr[HL_CTR_MEDIA_CMDS] += n;
		/* The done ring is twice the command ring and control drains it every
		 * turn; a full one means control has stopped, so spin until it drains. */
		k = 0;
		while (k < n)
			k += rte_ring_sp_enqueue_burst(sh->done, &cmds[k], n - k, NULL);
	}
	return n;
}

/* ---- packets (worker) ---- */

static inline bool
src_is(const struct media_leg *l, const uint8_t *sip, uint16_t sport, uint16_t want_port)
{
	uint64_t a[2], b[2];
	uint32_t a4, b4;

	if (sport != want_port)
		return false;
	if (l->family == 4) {
		memcpy(&a4, sip, 4);
		memcpy(&b4, l->remote_ip, 4);
		return a4 == b4;
	}
	memcpy(a, sip, 16);
	memcpy(b, l->remote_ip, 16);
	return ((a[0] ^ b[0]) | (a[1] ^ b[1])) == 0;
}

/* now / tsc_per_unit: RTP clock units of the burst's time (memoised per clock rate). */
static inline uint32_t
rtp_units(struct hl_media_shard *sh, uint64_t now, uint64_t tpu)
{
	if (likely(sh->memo_now == now && sh->memo_tpu == tpu))
		return sh->memo_units;
	sh->memo_now = now;
	sh->memo_tpu = tpu;
	sh->memo_units = (uint32_t)(now / tpu);
	return sh->memo_units;
}

/*
 * UDP checksums. The classifier does not sum media (net.c udp_input): a plain
 * datagram relayed unchanged but for addresses, ports and the RTP header keeps the
 * sender's checksum, updated for what we changed (RFC 1624 eqn. 3), so damage on the
 * way in still fails at the far end and the relay never sums the payload. Where the
 * payload changes (SRTP either side) the checksum is computed afresh; where a plain
 * datagram is consumed (RTCP, telephone-events) or encrypted, it is verified first,
 * since nothing downstream could tell. SRTP input is authenticated instead.
 */
#define CSUM_FULL UINT64_MAX

/* Sum of the fields a relay rewrites: both addresses, both ports, the RTP fixed header.
 * The IPv4 and IPv6 pseudo-headers add length and protocol alike, so they drop out. */
static inline uint64_t
csum_mutable(const uint8_t *l3, bool v6, const struct rte_udp_hdr *u, const uint8_t *rtp)
{
	uint64_t sum = v6 ? hl_csum_partial(l3 + 8, 32, 0) : hl_csum_partial(l3 + 12, 8, 0);

	sum = hl_csum_partial(u, 4, sum);
	return hl_csum_partial(rtp, HL_RTP_HDR_MIN, sum);
}

/* True when a plain datagram's checksum holds or is absent (IPv4 zero; IPv6 zero was
 * dropped by the classifier), or the NIC vouched for it. */
static bool
udp_intact(const struct rte_mbuf *m, const uint8_t *l3, bool v6, const struct rte_udp_hdr *u)
{
	uint16_t ulen = hl_bswap16(u->dgram_len);
	const uint8_t ph[4] = {0, IPPROTO_UDP, (uint8_t)(ulen >> 8), (uint8_t)ulen};
	uint64_t sum;

	if (u->dgram_cksum == 0 ||
		(m->ol_flags & RTE_MBUF_F_RX_L4_CKSUM_MASK) == RTE_MBUF_F_RX_L4_CKSUM_GOOD)
		return true;
	sum = v6 ? hl_csum_partial(l3 + 8, 32, 0) : hl_csum_partial(l3 + 12, 8, 0);
	sum = hl_csum_partial(ph, 4, sum);
	return hl_csum_fold(hl_csum_partial(u, ulen, sum)) == 0xffff;
}

/* One's-complement sum of 4 address octets as two native 16-bit words. */
static inline uint64_t
csum_addr4(const uint8_t *a)
{
	uint32_t v;

	memcpy(&v, a, 4);
	return (uint64_t)(v & 0xffff) + (v >> 16);
}

/*
 * Writes fresh IP/UDP headers of leg y in front of the payload at pl (plen octets) and
 * sends the packet from y. The payload stays where it is; the data start moves.
 * seed: CSUM_FULL to sum the datagram, else the incoming checksum with the old
 * mutable fields taken out (rtp_input), to which the new ones are added.
 *
 * Every sum over the headers is taken from the values being written, not read back
 * from the packet: a wide load of bytes just written by narrower stores cannot be
 * forwarded from the store buffer and stalls (three per packet, measured in perf
 * annotate on bench_relay). Native 16-bit words of network-order fields are what
 * hl_csum_partial() would have read.
 *
 * While y's next-hop hint holds and its port is untagged (every relayed packet but a
 * few after a neighbour changes), the Ethernet header is written here too and the
 * frame goes straight to the TX buffer: hl_net_output_hint() would find the same
 * hint valid and write the same header, through two more calls that re-derive the
 * IP version and the port's tagging from memory. bench_relay under callgrind, 1k
 * legs: 35 fewer instructions a relayed packet, and 24 fewer again with the relay's
 * call inlined (leg_send() stays out of line for the tick's RTCP and DTMF packets).
 */
static inline __attribute__((always_inline)) void
leg_send_inline(struct hl_worker *w, struct media_leg *y, struct rte_mbuf *m, uint8_t *pl,
	uint16_t plen, uint16_t sport, uint16_t dport, uint64_t seed)
{
	const struct hl_port *port = &w->eng->ports[y->pi];
	uint16_t iplen = y->family == 4 ? sizeof(struct rte_ipv4_hdr) : sizeof(struct rte_ipv6_hdr);
	uint16_t ulen = (uint16_t)(sizeof(struct rte_udp_hdr) + plen);
	bool l2 = port->vlan == 0 && hl_neigh_hint_valid(&y->nh);
	uint8_t *l3 = pl - iplen - sizeof(struct rte_udp_hdr);
	uint8_t *start = l2 ? l3 - RTE_ETHER_HDR_LEN : l3;
	rte_be16_t sp = hl_bswap16(sport), dp = hl_bswap16(dport);
	rte_be16_t ul = hl_bswap16(ulen);
	struct rte_udp_hdr *u = (struct rte_udp_hdr *)(l3 + iplen);
	uint64_t sum;

	if (unlikely(start < (uint8_t *)m->buf_addr)) {
		w->st->drop[HL_DROP_NO_MBUF]++;
		rte_pktmbuf_free(m);
		return;
	}
	/* Single segment: the payload ends the packet. */
	m->data_off = (uint16_t)(start - (uint8_t *)m->buf_addr);
	m->data_len = (uint16_t)(pl + plen - start);
	m->pkt_len = m->data_len;
	m->ol_flags = 0;
	u->src_port = sp;
	u->dst_port = dp;
	u->dgram_len = ul;
	if (y->family == 4) {
		struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)l3;
		rte_be16_t tl = hl_bswap16((uint16_t)(iplen + ulen));
		uint64_t addrs = csum_addr4(y->local_ip) + csum_addr4(y->remote_ip);
		/* RFC 791 header: version/IHL + DSCP EF (RFC 3246), length, id 0, DF,
		 * TTL 64 + UDP, addresses. */
		uint64_t h = (uint64_t)RTE_BE16(0x45b8) + tl + RTE_BE16(RTE_IPV4_HDR_DF_FLAG) +
			     RTE_BE16(64 << 8 | IPPROTO_UDP) + addrs;

		ip->version_ihl = 0x45;
		ip->type_of_service = 0xb8;
		ip->total_length = tl;
		ip->packet_id = 0;
		ip->fragment_offset = RTE_BE16(RTE_IPV4_HDR_DF_FLAG);
		ip->time_to_live = 64;
		ip->next_proto_id = IPPROTO_UDP;
		ip->hdr_checksum = (uint16_t)~hl_csum_fold(h);
		memcpy(&ip->src_addr, y->local_ip, 4);
		memcpy(&ip->dst_addr, y->remote_ip, 4);
		sum = addrs;
	} else {
		struct rte_ipv6_hdr *ip6 = (struct rte_ipv6_hdr *)l3;

		ip6->vtc_flow = rte_cpu_to_be_32(6u << 28 | 0xb8u << 20);
		ip6->payload_len = ul;
		ip6->proto = IPPROTO_UDP;
		ip6->hop_limits = 64;
		memcpy(ip6->src_addr, y->local_ip, 16);
		memcpy(ip6->dst_addr, y->remote_ip, 16);
		sum = hl_csum_partial(y->local_ip, 16, hl_csum_partial(y->remote_ip, 16, 0));
	}
	sum += (uint64_t)sp + dp;
	if (seed != CSUM_FULL) {
		/* the RTP header as hl_rtp_rewrite() wrote it, read as it stored it */
		sum += seed + hl_rtp_fixed_sum(pl);
	} else {
		/* RFC 768 pseudo-header (RFC 8200 §8.1 sums to the same): protocol and
		 * length; then the UDP length field and the payload. */
		sum += (uint64_t)RTE_BE16(IPPROTO_UDP) + ul + ul;
		sum = hl_csum_partial(pl, plen, sum);
	}
	u->dgram_cksum = (uint16_t)~hl_csum_fold(sum);
	if (u->dgram_cksum == 0)
		u->dgram_cksum = 0xffff;
	if (likely(l2)) {
		struct rte_ether_hdr *eth = (struct rte_ether_hdr *)start;

		rte_ether_addr_copy(&y->nh.mac, &eth->dst_addr);
		rte_ether_addr_copy(&port->mac, &eth->src_addr);
		eth->ether_type = y->family == 4 ? RTE_BE16(RTE_ETHER_TYPE_IPV4) :
						   RTE_BE16(RTE_ETHER_TYPE_IPV6);
		m->l2_len = RTE_ETHER_HDR_LEN;
		hl_worker_tx(w, y->pi, m);
		return;
	}
	hl_net_output_hint(w, y->pi, m, &y->nh);
}

/* leg_send_inline() for the tick's packets (RTCP, DTMF): out of line. */
static __attribute__((noinline)) void
leg_send(struct hl_worker *w, struct media_leg *y, struct rte_mbuf *m, uint8_t *pl, uint16_t plen,
	uint16_t sport, uint16_t dport, uint64_t seed)
{
	leg_send_inline(w, y, m, pl, plen, sport, dport, seed);
}

static void
srtp_drop(struct hl_worker *w, struct rte_mbuf *m, int rc)
{
	w->st->drop[rc == HL_E_AUTH	 ? HL_DROP_SRTP_AUTH :
		    rc == HL_E_REPLAY	 ? HL_DROP_SRTP_REPLAY :
		    rc == HL_E_EXPIRED ? HL_DROP_SRTP_KEY_EXPIRED :
					 HL_DROP_SRTP_ERROR]++;
	rte_pktmbuf_free(m);
}

static inline void
drop_m(struct hl_worker *w, struct rte_mbuf *m, enum hl_drop d)
{
	w->st->drop[d]++;
	rte_pktmbuf_free(m);
}

/* pl as it came (copy), unprotected again with another session. */
static int
unprotect_again(struct hl_srtp_ctx *ctx, const uint8_t *copy, uint8_t *pl, uint16_t plen,
	bool rtcp)
{
	memcpy(pl, copy, plen);
	return rtcp ? hl_srtp_unprotect_rtcp(ctx, pl, plen) : hl_srtp_unprotect_rtp(ctx, pl, plen);
}

/*
 * SRTP/SRTCP unprotect with the leg's inbound session; during a re-key's grace a
 * packet that fails authentication is tried with the previous session, and while the
 * remote's ROC under a new key is undecided, with srtp_alt. AEAD decrypts in place
 * before it checks the tag, so the packet is copied first.
 */
static int
unprotect_in(struct hl_worker *w, struct media_leg *x, uint8_t *pl, uint16_t plen, bool rtcp)
{
	uint8_t copy[2048];
	int n, k;

	if (likely(x->srtp_prev.session == NULL || w->now >= x->prev_until || plen > sizeof(copy)))
		return rtcp ? hl_srtp_unprotect_rtcp(&x->srtp_in, pl, plen) :
			      hl_srtp_unprotect_rtp(&x->srtp_in, pl, plen);
	memcpy(copy, pl, plen);
	n = rtcp ? hl_srtp_unprotect_rtcp(&x->srtp_in, pl, plen) :
		   hl_srtp_unprotect_rtp(&x->srtp_in, pl, plen);
	if (n >= 0 && !rtcp && x->alt_open) {
		/* The remote's new key runs from ROC 0 (or it has not wrapped): srtp_in
		 * is right, srtp_alt is not tried again. */
		x->alt_open = 0;
		x->prev_until = x->grace_until;
	}
	if (n != HL_E_AUTH)
		return n;
	if (w->now < x->grace_until) {
		k = unprotect_again(&x->srtp_prev, copy, pl, plen, rtcp);
		if (k >= 0 || k == HL_E_REPLAY) {
			/* Not a forgery: the old key's packet (a replay of one counts as
			 * such). */
			x->srtp_in.cnt[HL_SRTP_CNT_AUTH_FAIL]--;
			return k;
		}
		if (k == HL_E_AUTH) /* a forgery under both keys counts once */
			x->srtp_prev.cnt[HL_SRTP_CNT_AUTH_FAIL]--;
	}
	if (x->alt_open && !rtcp) {
		k = unprotect_again(&x->srtp_alt, copy, pl, plen, false);
		if (k >= 0) {
			/* The remote's stream went on at its ROC under the new key: that
			 * session is the leg's from now on, the other goes back to control. */
			struct hl_srtp_ctx t = x->srtp_in;

			t.cnt[HL_SRTP_CNT_AUTH_FAIL]--;
			x->srtp_in = x->srtp_alt;
			x->srtp_alt = t;
			x->alt_open = 0;
			x->prev_until = x->grace_until;
			return k;
		}
		if (k == HL_E_AUTH) /* counted once, by srtp_in */
			x->srtp_alt.cnt[HL_SRTP_CNT_AUTH_FAIL]--;
	}
	return n;
}

/* The datagram as the classifier left it (data at L2). */
struct rx_pkt {
	struct rte_mbuf *m;
	const uint8_t *l3;
	const struct rte_udp_hdr *u;
	uint8_t *pl;
	const uint8_t *sip;
	uint16_t plen, sport;
	bool v6;
};

/* What inband_input() did to a packet. */
#define INBAND_CHECKED 1 /* a plain datagram's UDP checksum was verified and holds */
#define INBAND_MUTED   2 /* its audio was replaced by silence */

/*
 * In-band DTMF: x's audio payload (G.711, G.722 or Opus of x's PT), after SRTP and RFC
 * 3550 validation, into x's detector. A plain datagram is checked first, as consumed
 * ones are: a press is not reported from a datagram damaged on the way (G.722's is
 * still decoded, unheard, so the decoder keeps following the sender and the far end's
 * state what the far end decodes; Opus's is not decoded, as if lost). Every 20 ms
 * packet costs a 160-entry table decode (G.722: SpanDSP's lower-band ADPCM decode of
 * 160 octets, twice for about half a second after a muted run; Opus: libopus's decode
 * at 8 kHz, several times the detector) and SpanDSP's eight Goertzel filters over 160
 * samples (docs/media.md).
 *
 * On a leg with dtmf_suppress (PCI) the packet is then muted, in place, when the
 * detector heard a tone in it or it starts within INBAND_MUTE_HANGOVER samples after
 * the last packet that did: its audio becomes G.711 silence of the same length (0xFF
 * for PCMU, 0xD5 for PCMA, RFC 3551 §4.5.14; G.722: zeros encoded from the far end's
 * decoder state, hl_g722_silence(); Opus: silence frames of the packet's duration,
 * padded to its length, hl_opus_silence()) and the packet is relayed as any other,
 * so the peer's stream keeps its sequence and timing. The audio is plaintext here
 * (SRTP unprotected before, protected for the peer after). A damaged datagram is not
 * fed, but still muted inside the hangover; the relay then sums the new payload
 * afresh. Returns INBAND_* flags.
 */
static __rte_noinline unsigned int
inband_input(struct hl_worker *w, struct media_leg *x, const struct rx_pkt *p, uint32_t ssrc,
	uint32_t ts, uint8_t *audio, uint16_t len)
{
	struct hl_media_shard *sh = w->media;
	struct inband_slot *sl = inband_of(sh, x);
	struct hl_dtmf_event ev[4];
	uint64_t start = sl->d.samples;
	unsigned int r = 0;
	int k;

	/* A new SSRC is a new source (RFC 3550 §8.2: a terminal that restarts its stream
	 * picks another), its G.722 encoder afresh: a decoder that went on would decode its
	 * first codes with the old source's step sizes, loud audio's near the top. An Opus
	 * decoder would conceal and predict from the old stream's last frames. */
	if ((x->codec_pt == 9 || sl->opus != 0) &&
		unlikely(!sl->dec_bound || ssrc != sl->dec_ssrc)) {
		if (sl->opus != 0)
			(void)hl_opus_dec_init(opus_of(sh, sl));
		else if (sl->dec_bound)
			hl_g722_restart(&sl->g722);
		sl->dec_bound = 1;
		sl->dec_ssrc = ssrc;
	}
	if (!x->srtp_rx) {
		if (!udp_intact(p->m, p->l3, p->v6, p->u)) {
			if (x->codec_pt == 9)
				(void)hl_dtmf_inband_feed_g722(
					NULL, &sl->g722, audio, len, NULL, 0);
			goto mute;
		}
		r = INBAND_CHECKED;
	}
	sl->last_ms = w->now / sh->tsc_per_ms;
	sl->ts_off = ts - (uint32_t)sl->d.samples * sl->ts_per_sample;
	/* G.722: one octet a sample at 8 kHz too (the lower band), so the detector's
	 * sample clock stays the RTP clock. Opus: decoded at 8 kHz, a sample every 6 units
	 * of its 48 kHz clock (RFC 7587 §4.1). */
	if (sl->opus != 0)
		k = hl_dtmf_inband_feed_opus(&sl->d, opus_of(sh, sl), audio, len, ev, RTE_DIM(ev));
	else if (x->codec_pt == 9)
		k = hl_dtmf_inband_feed_g722(&sl->d, &sl->g722, audio, len, ev, RTE_DIM(ev));
	else
		k = hl_dtmf_inband_feed_g711(&sl->d, x->codec_pt == 8 ? HL_DTMF_PCMA : HL_DTMF_PCMU,
			audio, len, ev, RTE_DIM(ev));
	for (int i = 0; i < k; i++)
		report_dtmf(w, x, &ev[i]);
	if (sl->d.heard)
		sl->mute_until = sl->d.samples + INBAND_MUTE_HANGOVER;
mute:
	if (x->dtmf_suppress && start < sl->mute_until) {
		if (sl->opus != 0) {
			/* A packet too short for silence (DTX: 1 or 2 octets) carries no tone:
			 * the far end conceals what it last played, our silence. */
			if (hl_opus_silence(audio, len) != 0)
				return r;
		} else if (x->codec_pt == 9) {
			hl_g722_silence(&sl->g722, audio, len);
		} else {
			memset(audio, x->codec_pt == 8 ? 0xd5 : 0xff, len);
		}
		r |= INBAND_MUTED;
	}
	return r;
}

/*
 * Whether a telephone-event relayed towards y, of timestamp ts in the incoming stream,
 * is kept back: while a press of ours runs on y, the peer's events would be a second
 * event stream in y's one SSRC, interleaved with ours (RFC 4733 §2.5.1: events do not
 * overlap), so they are dropped; a relayed press cut so stays dropped to its end (its
 * timestamp), the far end having heard ours instead, and the peer's next press is
 * relayed again.
 */
static __rte_noinline bool
relayed_event_held(struct media_leg *y, uint32_t ts)
{
	if (y->injecting) {
		y->te_held = 1;
		y->te_held_ts = ts;
		return true;
	}
	if (ts == y->te_held_ts)
		return true;
	y->te_held = 0;
	return false;
}

/* RTCP from x's remote: terminated here (our own reports go out from the tick). */
static void
rtcp_input(struct hl_worker *w, struct media_leg *x, const struct rx_pkt *p)
{
	struct hl_rtcp_info info;
	struct rte_mbuf *m = p->m;
	int n = p->plen;

	if (x->rtcp_latched ? !src_is(x, p->sip, p->sport, x->remote_rtcp_port) :
			      (x->latched && memcmp(p->sip, x->remote_ip, x->family == 4 ? 4 : 16))) {
		x->wrong_source++;
		drop_m(w, m, HL_DROP_RTP_WRONG_SOURCE);
		return;
	}
	if (x->srtp_rx) {
		if ((n = unprotect_in(w, x, p->pl, p->plen, true)) < 0) {
			srtp_drop(w, m, n);
			return;
		}
	} else if (!udp_intact(m, p->l3, p->v6, p->u)) {
		drop_m(w, m, HL_DROP_UDP_BAD_CSUM);
		return;
	}
	if (hl_rtcp_parse(p->pl, (size_t)n, &info) <= 0) {
		drop_m(w, m, HL_DROP_RTCP_MALFORMED);
		return;
	}
	if (!x->rtcp_latched && x->latched) {
		x->remote_rtcp_port = p->sport;
		x->rtcp_latched = 1;
	}
	(void)hl_rtp_rx_stats_on_rtcp(&x->rx, &info, x->rw.out_ssrc, ntp_now(w->media, w->now));
	x->rtcp_in++;
	w->st->ctr[HL_CTR_RTCP_IN]++;
	rte_pktmbuf_free(m);
}

static void
rtp_input(struct hl_worker *w, struct media_leg *x, const struct rx_pkt *p)
{
	struct hl_media_shard *sh = w->media;
	struct rte_mbuf *m = p->m;
	uint8_t *pl = p->pl;
	uint16_t plen = p->plen;
	struct hl_rtp_hdr h;
	struct media_leg *y;
	uint64_t seed = CSUM_FULL;
	bool checked = false, muted = false;
	int n = plen;

	if (x->latched && !src_is(x, p->sip, p->sport, x->remote_port)) {
		x->wrong_source++;
		drop_m(w, m, HL_DROP_RTP_WRONG_SOURCE);
		return;
	}
	if (x->srtp_rx && (n = unprotect_in(w, x, pl, plen, false)) < 0) {
		srtp_drop(w, m, n);
		return;
	}
	if (unlikely(hl_rtp_parse(pl, (size_t)n, &h) < 0)) {
		drop_m(w, m, HL_DROP_RTP_MALFORMED);
		return;
	}
	uint32_t arrival = rtp_units(sh, w->now, x->tsc_per_unit);
	/* A.8's jitter as it was before a telephone-event packet, put back after it. */
	uint32_t te_jitter = 0, te_transit = 0;
	uint8_t te_had_transit = 0;
	bool te = h.pt == x->te_pt;

	if (te) {
		/* Every telephone-event packet feeds the detector, whatever the relay
		 * does with it: it swallows the duplicates itself. */
		struct hl_dtmf_event ev[2];
		int k;

		/* The packets of one press carry its start's timestamp (RFC 4733 §2.5.1):
		 * as A.8 samples they would read as the network's delay growing 20 ms a
		 * packet, and the press as jitter. They count for sequence and loss only. */
		te_jitter = x->rx.jitter_q4;
		te_transit = x->rx.transit;
		te_had_transit = x->rx.have_transit;

		if (!x->srtp_rx) {
			if (!udp_intact(m, p->l3, p->v6, p->u)) {
				drop_m(w, m, HL_DROP_UDP_BAD_CSUM);
				return;
			}
			checked = true;
		}
		k = hl_dtmf_4733_feed(&x->dtmf_rx, h.seq, h.ts, h.marker, pl + h.payload_off,
			h.payload_len, w->now / sh->tsc_per_ms, ev);
		for (int i = 0; i < k; i++)
			report_dtmf(w, x, &ev[i]);
		if (x->listens && x->dtmf_rx.active)
			running_heard(sh, x);
	}
	if (!hl_rtp_rx_stats_update(&x->rx, &h, arrival)) {
		drop_m(w, m, HL_DROP_RTP_PROBATION);
		return;
	}
	if (unlikely(te)) {
		x->rx.jitter_q4 = te_jitter;
		x->rx.transit = te_transit;
		x->rx.have_transit = te_had_transit;
	}
	x->last_rx_tsc = w->now;
	if (unlikely(!x->latched)) {
		/* Symmetric RTP: the remote is where its media really comes from. */
		memcpy(x->remote_ip, p->sip, x->family == 4 ? 4 : 16);
		x->remote_port = p->sport;
		x->latched = 1;
		x->nh.seq_at = NULL;
		w->st->ctr[HL_CTR_RTP_LATCHED]++;
	}
	/* In-band DTMF, before the relay decides, so a press counts while the leg is not
	 * bridged (IVR) or its peer holds. n_inband and line 0 (listens) first: a shard
	 * without in-band legs, and legs without a detector, never read the leg's cold
	 * line for it. */
	if (unlikely(sh->n_inband != 0) && x->listens && h.pt == x->codec_pt) {
		unsigned int r =
			inband_input(w, x, p, h.ssrc, h.ts, pl + h.payload_off, h.payload_len);

		checked = r & INBAND_CHECKED;
		muted = r & INBAND_MUTED;
	}
	y = peer_of(x);
	if (y == NULL) {
		drop_m(w, m, HL_DROP_RTP_NOT_BRIDGED);
		return;
	}
	if (y->recv_only || y->remote_port == 0) {
		drop_m(w, m, HL_DROP_RTP_HELD);
		return;
	}
	if (h.pt == x->te_pt) {
		/* Not relayed to a peer without telephone-events, nor to one that runs
		 * them at another clock (their durations would be misread): control
		 * sends the press on to those its own way (INFO, or events of y's). */
		if (x->dtmf_suppress || y->te_pt < 0 ||
			x->dtmf_rx.clock_rate != y->dtmf_rx.clock_rate) {
			drop_m(w, m, HL_DROP_RTP_DTMF_SUPPRESSED);
			return;
		}
		if (unlikely(y->injecting | y->te_held) && relayed_event_held(y, h.ts)) {
			drop_m(w, m, HL_DROP_RTP_DTMF_HELD);
			return;
		}
	}
	if (!x->srtp_rx) {
		if (y->srtp_tx) {
			if (!checked && !udp_intact(m, p->l3, p->v6, p->u)) {
				drop_m(w, m, HL_DROP_UDP_BAD_CSUM);
				return;
			}
		} else if (p->u->dgram_cksum != 0 && !muted) {
			/* RFC 1624 eqn. 3: HC' = ~(~HC + ~m + m'); m' is added in leg_send,
			 * ~m is m's sum negated unfolded. A muted payload is new: summed
			 * afresh. */
			seed = (uint16_t)~p->u->dgram_cksum +
			       hl_csum_negate(csum_mutable(p->l3, p->v6, p->u, pl));
		}
	}
	uint16_t before = y->rw.last_seq;
	bool was_started = y->rw.started; /* before the first packet last_seq is first - 1 */
	/* Both legs of a call mostly run one clock: x's arrival is y's now. */
	int rw = hl_rtp_rewrite(&y->rw, pl, &h, y->tsc_per_unit == x->tsc_per_unit ? arrival :
		rtp_units(sh, w->now, y->tsc_per_unit));
	if (rw != 0) {
		drop_m(w, m, rw == HL_E_REPLAY ? HL_DROP_RTP_LATE : HL_DROP_RTP_PT_UNMAPPED);
		return;
	}
	if (was_started && y->rw.last_seq < before && before - y->rw.last_seq > 0x8000)
		y->out_roc++;
	if (y->srtp_tx) {
		size_t cap = (size_t)n + rte_pktmbuf_tailroom(m) + (plen - (size_t)n);
		int k = hl_srtp_protect_rtp(&y->srtp_out, pl, (size_t)n, cap);
		if (k < 0) {
			srtp_drop(w, m, k);
			return;
		}
		n = k;
	}
	y->tx_packets++;
	y->tx_bytes += h.payload_len;
	w->st->ctr[HL_CTR_RTP_RELAYED]++;
	if (muted)
		w->st->ctr[HL_CTR_RTP_DTMF_MUTED]++;
	leg_send_inline(w, y, m, pl, (uint16_t)n, y->local_port, y->remote_port, seed);
}

/* Lines of a leg a packet touches (see struct media_leg): as x line 0 and rx. */
static inline void
prefetch_rx(const struct media_leg *l)
{
	rte_prefetch0(l);
	rte_prefetch0(&l->last_rx_tsc);
}

/* As y, for a packet from x: line 0, line 1, the tx line and the map entry of x's
 * codec. */
static inline void
prefetch_tx(const struct media_leg *x, const struct media_leg *l)
{
	if (l == NULL)
		return;
	rte_prefetch0(l);
	rte_prefetch0(l->local_ip);
	rte_prefetch0(&l->tx_packets);
	if (x->codec_pt >= RW_MAP_INLINE)
		rte_prefetch0(&l->rw.pt_map[x->codec_pt & 0x7f]);
}

/*
 * How many packets ahead the leaving leg's lines are fetched (the arriving leg's, and
 * the flow-table entry, further ahead: media_burst()). At 100k legs every line is a
 * miss to memory and the relay takes ~170 ns a packet: two ahead left part of the
 * latency exposed. bench_memif, 100k streams, median cycles/pkt: 2 ahead 516-574,
 * 4 ahead 509-618, 8 ahead 430-496, 16 ahead 442-547; 1k and 10k unchanged.
 */
#define PREFETCH_AHEAD 8

/*
 * libsrtp's state is behind the leg's session pointers (session, stream list, stream,
 * session keys, cipher and HMAC, their states, OpenSSL's contexts): at thousands of SRTP
 * legs each level misses the caches in turn, each load waiting for the one before.
 * hl_srtp_prefetch() walks it a level per call; packet i asks level k for packet
 * i + HL_SRTP_PREFETCH_LEVELS - k, so each level's loads hit what the level before
 * fetched a packet earlier (x's own line, with srtp_rx, peer and peer_srtp_tx,
 * prefetch_rx fetched for the whole burst). y's own lines come only PREFETCH_AHEAD
 * packets ahead, so whether y protects is x's hint, not y->srtp_tx: level 0 of y's walk
 * is an address (&y->srtp_out), no load of y, and level 1 reads the context it fetched.
 * Each direction walks only what it uses: SRTP to RTP x's inbound side, RTP to SRTP y's
 * outbound side, SRTP to SRTP both.
 */
static inline __attribute__((always_inline)) void
prefetch_srtp(const struct media_leg *x, unsigned int level)
{
	const struct media_leg *y = x->peer;

	if (x->srtp_rx) {
		hl_srtp_prefetch_inline(&x->srtp_in, level);
		/* unprotect_in() reads srtp_prev.session on every packet */
		if (level == 0)
			rte_prefetch0(&x->srtp_prev);
	}
	if (x->peer_srtp_tx && y != NULL)
		hl_srtp_prefetch_inline(&y->srtp_out, level);
}

/* The walk's levels for packet j at the loop's turn i (i < 0: before the loop). */
static inline void
prefetch_srtp_turn(void *const *data, int i, uint16_t n)
{
	/* Unrolled, each level is its own few instructions (level is a constant). */
#pragma GCC unroll 8
	for (unsigned int k = 0; k < HL_SRTP_PREFETCH_LEVELS; k++) {
		int j = i + (int)(HL_SRTP_PREFETCH_LEVELS - k);
		if (j >= 0 && j < n && data[j] != NULL)
			prefetch_srtp(data[j], k);
	}
}

/*
 * A packet's legs are found in three dependent loads: its flow-table entry (from the
 * mbuf's key), the arriving leg x it names, the leaving leg y that x names. At 100k
 * legs each is a miss to memory, so they are a pipeline: packet i + SLOT_AHEAD's entry,
 * i + LEG_AHEAD's x and i + PREFETCH_AHEAD's y are fetched while packet i is relayed,
 * each a step after the load it waits for. Only the burst's first packets wait: the
 * media burst is a whole loop turn's RTP (HL_RTP_BATCH) so that they are few of many.
 * Fetching every entry, then every x, of the burst first (as a bulk hash lookup does)
 * was as fast at 32 packets and slower at 128: the burst's lines no longer fit L1.
 * bench_memif, 100k streams, fast host stretches (testpmd 84-90 cycles/pkt), hotline
 * as a share of testpmd: both passes over a 32-packet burst 44.0-46.7%; this pipeline
 * over 64 packets 44.1%, over 128 45.5-47.9%; with x and entries fetched further
 * ahead (24 and 40) 45.6-46.8%.
 */
#define LEG_AHEAD (2 * PREFETCH_AHEAD)
#define SLOT_AHEAD (3 * PREFETCH_AHEAD)
_Static_assert(HL_SRTP_PREFETCH_LEVELS <= LEG_AHEAD, "the SRTP walk reads x's line 0");

static inline void
stage_slot(const struct hl_media_shard *sh, struct rte_mbuf **pkts, const uint32_t **slot,
	uint16_t j)
{
	uint32_t k = pkts[j]->hash.usr;

	/* RTP on the even port, RTCP on the odd one above it (or muxed). */
	slot[j] = leg_slot(sh, k & 0xffff, (uint16_t)(k >> 16) & ~1u);
	if (slot[j] != NULL)
		rte_prefetch0(slot[j]);
}

static inline void
stage_leg(struct hl_media_shard *sh, const uint32_t **slot, void **data, uint16_t j)
{
	uint32_t e = slot[j] != NULL ? *slot[j] : 0;

	data[j] = e != 0 ? &sh->legs[e - 1] : NULL;
	if (data[j] != NULL)
		prefetch_rx(data[j]);
}

static inline void
stage_peer(void **data, uint16_t j)
{
	if (data[j] != NULL)
		prefetch_tx(data[j], ((struct media_leg *)data[j])->peer);
}

/* hl_media_rx_burst() of up to HL_RTP_BATCH datagrams. */
static void
media_burst(struct hl_worker *w, struct rte_mbuf **pkts, uint16_t n)
{
	struct hl_media_shard *sh = w->media;
	const uint32_t *slot[HL_RTP_BATCH];
	void *data[HL_RTP_BATCH];

	w->st->ctr[HL_CTR_UDP_RTP] += n;
	if (unlikely(sh == NULL || sh->n_active == 0)) {
		w->st->drop[HL_DROP_RTP_NO_LEG] += n;
		rte_pktmbuf_free_bulk(pkts, n);
		return;
	}
	/* The prologue: the first packets' stages, each a step behind the one before. */
	for (uint16_t j = 0; j < n && j < SLOT_AHEAD; j++)
		stage_slot(sh, pkts, slot, j);
	for (uint16_t j = 0; j < n && j < LEG_AHEAD; j++)
		stage_leg(sh, slot, data, j);
	for (uint16_t j = 0; j < n && j < PREFETCH_AHEAD; j++)
		stage_peer(data, j);
	/* Read once: the loop's stores may alias it. */
	const bool srtp = sh->n_srtp > 0;

	/* The burst's first packets get the turns they would have had before it. */
	if (srtp)
		for (int i = -(int)HL_SRTP_PREFETCH_LEVELS; i < 0; i++)
			prefetch_srtp_turn(data, i, n);
	for (uint16_t i = 0; i < n; i++) {
		struct rte_mbuf *m = pkts[i];
		struct media_leg *x = data[i];
		struct rx_pkt p;

		if (i + SLOT_AHEAD < n)
			stage_slot(sh, pkts, slot, i + SLOT_AHEAD);
		if (i + LEG_AHEAD < n)
			stage_leg(sh, slot, data, i + LEG_AHEAD);
		if (i + PREFETCH_AHEAD < n)
			stage_peer(data, i + PREFETCH_AHEAD);
		if (srtp)
			prefetch_srtp_turn(data, i, n);
		if (x == NULL) {
			drop_m(w, m, HL_DROP_RTP_NO_LEG);
			continue;
		}
		if (unlikely(m->nb_segs > 1) && rte_pktmbuf_linearize(m) != 0) {
			drop_m(w, m, HL_DROP_RTP_MALFORMED);
			continue;
		}
		p.m = m;
		p.l3 = rte_pktmbuf_mtod_offset(m, uint8_t *, m->l2_len);
		p.u = (const struct rte_udp_hdr *)(p.l3 + m->l3_len);
		p.v6 = (*p.l3 >> 4) == 6;
		p.pl = (uint8_t *)(p.u + 1);
		p.plen = (uint16_t)(hl_bswap16(p.u->dgram_len) - sizeof(*p.u));
		p.sport = hl_bswap16(p.u->src_port);
		if ((uint8_t)(p.v6 ? 6 : 4) != x->family) {
			x->wrong_source++;
			drop_m(w, m, HL_DROP_RTP_WRONG_SOURCE);
			continue;
		}
		p.sip = p.v6 ? ((const struct rte_ipv6_hdr *)p.l3)->src_addr :
			       (const uint8_t *)&((const struct rte_ipv4_hdr *)p.l3)->src_addr;
		if ((m->hash.usr & 1u << 16) ||
			(x->rtcp_mux && hl_rtp_demux(p.pl, p.plen) == HL_DEMUX_RTCP))
			rtcp_input(w, x, &p);
		else
			rtp_input(w, x, &p);
	}
}

void
hl_media_rx_burst(struct hl_worker *w, struct rte_mbuf **pkts, uint16_t n)
{
	while (unlikely(n > HL_RTP_BATCH)) {
		media_burst(w, pkts, HL_RTP_BATCH);
		pkts += HL_RTP_BATCH;
		n -= HL_RTP_BATCH;
	}
	media_burst(w, pkts, n);
}

/* ---- the tick (worker) ---- */

static void
rtcp_send(struct hl_worker *w, struct media_leg *l)
{
	struct hl_media_shard *sh = w->media;
	struct hl_rtcp_report_block rb;
	struct hl_rtcp_sender_info si;
	uint64_t ntp = ntp_now(sh, w->now);
	unsigned int nrb = 0;
	struct rte_mbuf *m;
	uint8_t *pl;
	int a, b, n;
	size_t room;

	if (l->remote_port == 0 || l->recv_only)
		return;
	m = rte_pktmbuf_alloc(w->pool);
	if (m == NULL) {
		w->st->drop[HL_DROP_NO_MBUF]++;
		return;
	}
	/* The payload goes after room for L2 + IPv6 + UDP headers. */
	room = rte_pktmbuf_tailroom(m);
	if (room < 256 + 64 + HL_SRTP_MAX_TRAILER) {
		rte_pktmbuf_free(m);
		return;
	}
	pl = (uint8_t *)rte_pktmbuf_append(m, 64) + 64;
	room -= 64;
	if (hl_rtp_rx_stats_report_block(&l->rx, ntp, &rb) == 0)
		nrb = 1;
	si.ntp = ntp;
	si.rtp_ts = l->rw.last_ts + (l->rw.started ?
		rtp_units(sh, w->now, l->tsc_per_unit) - l->rw.last_arrival : 0);
	si.pkt_count = (uint32_t)l->tx_packets;
	si.octet_count = (uint32_t)l->tx_bytes;
	a = hl_rtcp_build_report(pl, room, l->rw.out_ssrc, l->tx_packets ? &si : NULL, &rb, nrb);
	if (a < 0) {
		rte_pktmbuf_free(m);
		return;
	}
	b = hl_rtcp_build_sdes_cname(pl + a, room - (size_t)a, l->rw.out_ssrc, "hotline", 7);
	if (b < 0) {
		rte_pktmbuf_free(m);
		return;
	}
	n = a + b;
	if (l->srtp_tx && (n = hl_srtp_protect_rtcp(&l->srtp_out, pl, (size_t)n, room)) < 0) {
		rte_pktmbuf_free(m);
		w->st->drop[HL_DROP_SRTP_ERROR]++;
		return;
	}
	rte_pktmbuf_append(m, (uint16_t)n);
	l->rtcp_out++;
	w->st->ctr[HL_CTR_RTCP_OUT]++;
	if (l->rtcp_mux)
		leg_send(w, l, m, pl, (uint16_t)n, l->local_port, l->remote_port, CSUM_FULL);
	else
		leg_send(w, l, m, pl, (uint16_t)n, (uint16_t)(l->local_port + 1), l->remote_rtcp_port,
			CSUM_FULL);
}

/*
 * One telephone-event packet of press j on leg l (RFC 4733 §2.3, §2.5.1): in l's
 * outgoing stream, its next sequence number, PT te_pt, the event's timestamp, duration
 * dur units so far, E bit with end; SRTP-protected on an SRTP leg. 0, or -1 when it
 * could not go (no mbuf, SRTP error: counted where it failed).
 */
static int
inject_send(struct hl_worker *w, struct media_leg *l, const struct inject *j, int marker, int end,
	uint32_t dur)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(w->pool);
	uint16_t before = l->rw.last_seq, seq;
	bool was_started = l->rw.started;
	uint8_t *pl;
	int n = HL_RTP_HDR_MIN + 4;

	if (m == NULL) {
		w->st->drop[HL_DROP_NO_MBUF]++;
		return -1;
	}
	/* The payload goes after room for the IP and UDP headers leg_send() writes. */
	if (rte_pktmbuf_tailroom(m) < 64 + (size_t)n + HL_SRTP_MAX_TRAILER) {
		rte_pktmbuf_free(m);
		w->st->drop[HL_DROP_NO_MBUF]++;
		return -1;
	}
	pl = (uint8_t *)rte_pktmbuf_append(m, 64) + 64;
	seq = hl_rtp_rewriter_take_seq(&l->rw, j->ts, j->arrival);
	l->inj_turn = w->media->inj_turn;
	if (was_started && seq < before)
		l->out_roc++;
	pl[0] = 0x80;
	pl[1] = (uint8_t)((marker ? 0x80 : 0) | (l->te_pt & 0x7f));
	pl[2] = (uint8_t)(seq >> 8);
	pl[3] = (uint8_t)seq;
	for (int i = 0; i < 4; i++) {
		pl[4 + i] = (uint8_t)(j->ts >> (24 - 8 * i));
		pl[8 + i] = (uint8_t)(l->rw.out_ssrc >> (24 - 8 * i));
	}
	pl[12] = j->event;
	pl[13] = (uint8_t)((end ? 0x80 : 0) | INJECT_VOLUME);
	pl[14] = (uint8_t)(dur >> 8);
	pl[15] = (uint8_t)dur;
	if (l->srtp_tx) {
		/* A protect that fails leaves the number taken, a gap the far end counts
		 * as one packet lost: libsrtp enters a packet's index in its outbound
		 * window before it encrypts (srtp_protect(): srtp_rdbx_add_index() ahead
		 * of the cipher), so the number again would fail as a replay. */
		n = hl_srtp_protect_rtp(
			&l->srtp_out, pl, (size_t)n, (size_t)n + HL_SRTP_MAX_TRAILER);
		if (n < 0) {
			srtp_drop(w, m, n);
			return -1;
		}
	}
	rte_pktmbuf_append(m, (uint16_t)n);
	l->tx_packets++;
	l->tx_bytes += 4;
	leg_send(w, l, m, pl, (uint16_t)n, l->local_port, l->remote_port, CSUM_FULL);
	return 0;
}

/*
 * Plays the queued presses (struct inject), from the tick: each that is due sends at
 * most one packet a tick. A press starts when no earlier one of its leg runs: its
 * timestamp is where the leg's stream is now (the last timestamp sent, advanced by the
 * time since at the leg's clock; a stream not started yet starts there), and never
 * before the end of the leg's previous press (audio stamped slower than the clock would
 * put it there). Its first packet has the marker bit and one tick's duration (not 0,
 * which some receivers take for no event), updates follow every
 * HL_MEDIA_DTMF_UPDATE_MS, and once its duration is reached the end goes
 * INJECT_END_COPIES times, one a tick (one that did not go is tried again, up to
 * INJECT_END_TRIES in all); the leg's next press starts a tick after that (a leg sends
 * at most one packet of ours a tick). A start that did not go out (no mbuf, SRTP error)
 * is tried again on the next tick, up to INJECT_START_TRIES in all, and the press is
 * dropped, nothing of it sent, only when they are spent; each try stamps the press
 * afresh, where the stream is at that try (the far end has heard nothing of it, so its
 * press begins when its first packet goes, and its durations count from there), and
 * the leg's later presses wait behind it. A press whose leg is gone, has no
 * telephone-event PT or cannot be sent to (on hold, no remote) is dropped, counted, and
 * so is one a later packet of which did not go out: an update, and the press ends
 * there, its end packets carrying the duration last sent; its ends, tried as often as
 * allowed. dtmf_injected counts the presses whose every packet left. O(queue) a tick.
 */
static unsigned int
inject_tick(struct hl_worker *w, uint64_t now)
{
	struct hl_media_shard *sh = w->media;
	unsigned int work = 0, k = 0;

	if (++sh->inj_turn == 0)
		sh->inj_turn = 1;
	for (uint32_t i = 0; i < sh->n_inj; i++) {
		struct inject *j = &sh->inj[i];
		struct media_leg *l = &sh->legs[j->leg];
		bool done = false;

		if (l->gen != j->gen || l->te_pt < 0 || l->recv_only || l->remote_port == 0) {
			if (l->gen == j->gen && j->start_tsc != 0)
				l->injecting = 0;
			w->st->ctr[HL_CTR_DTMF_INJECT_DROPPED]++;
			continue;
		}
		if (j->start_tsc == 0) {
			if (l->injecting || l->inj_turn == sh->inj_turn) {
				/* behind its leg's running press, or the one that ended now */
				sh->inj[k++] = *j;
				continue;
			}
			uint32_t units = rtp_units(sh, now, l->tsc_per_unit);
			j->arrival = units;
			j->ts = l->rw.last_ts + (l->rw.started ? units - l->rw.last_arrival : 0);
			/* Never back into the last one (audio stamped behind the clock). */
			if (l->inj_turn != 0 && (int32_t)(j->ts - l->inj_end) < 0)
				j->ts = l->inj_end;
			uint32_t first = l->dtmf_rx.clock_rate * TICK_MS / 1000;
			bool had_press = l->inj_turn != 0;
			work++;
			if (inject_send(w, l, j, 1, 0, first < j->dur ? first : j->dur) != 0) {
				/* The far end has nothing of it to end: tried again next tick,
				 * stamped afresh. The leg's turn is taken, so a later press of
				 * it does not start ahead of this one; with no press before,
				 * inj_end must hold a timestamp for inj_turn to vouch for. */
				if (!had_press)
					l->inj_end = j->ts;
				l->inj_turn = sh->inj_turn;
				if (++j->tries == INJECT_START_TRIES) {
					w->st->ctr[HL_CTR_DTMF_INJECT_DROPPED]++;
					continue;
				}
				sh->inj[k++] = *j;
				continue;
			}
			l->inj_end = j->ts + te_to_audio(l, j->dur);
			j->tries = 0;
			j->sent_dur = first < j->dur ? first : j->dur;
			j->start_tsc = now;
			j->next_tsc = now + sh->tsc_per_ms * HL_MEDIA_DTMF_UPDATE_MS;
			l->injecting = 1;
		} else {
			uint64_t el = audio_to_te(l, (now - j->start_tsc) / l->tsc_per_unit);

			if (j->tries > 0 || j->failed || el >= j->dur) {
				/* A press an update of which did not go ends at once, at the
				 * duration the far end last heard: its key is let go, not left
				 * down until the receiver's own timeout. */
				j->tries++;
				if (inject_send(w, l, j, 0, 1, j->failed ? j->sent_dur : j->dur) == 0)
					j->ends++;
				done = j->ends == INJECT_END_COPIES || j->tries == INJECT_END_TRIES;
				work++;
			} else if (now >= j->next_tsc) {
				if (inject_send(w, l, j, 0, 0, (uint32_t)el) != 0)
					j->failed = 1;
				else
					j->sent_dur = (uint32_t)el;
				j->next_tsc += sh->tsc_per_ms * HL_MEDIA_DTMF_UPDATE_MS;
				work++;
			}
		}
		if (done) {
			l->injecting = 0;
			w->st->ctr[j->failed || j->ends < INJECT_END_COPIES ? HL_CTR_DTMF_INJECT_DROPPED
									     : HL_CTR_DTMF_INJECTED]++;
			continue;
		}
		sh->inj[k++] = *j;
	}
	sh->n_inj = k;
	return work;
}

unsigned int
hl_media_tick(struct hl_worker *w, uint64_t now)
{
	struct hl_media_shard *sh = w->media;
	unsigned int work = 0;

	if (sh == NULL || now < sh->next_tick)
		return 0;
	sh->next_tick = now + sh->tsc_per_ms * TICK_MS;
	if (sh->n_inj > 0)
		work += inject_tick(w, now);
	uint64_t now_ms = now / sh->tsc_per_ms;
	for (unsigned int k = 0; k < SWEEP_PER_TICK && k < sh->n_active; k++) {
		if (sh->cursor >= sh->n_active)
			sh->cursor = 0;
		struct media_leg *l = &sh->legs[sh->active[sh->cursor++]];
		struct hl_dtmf_event ev;
		uint32_t limit = l->remote_silent ? l->hold_timeout_ms : l->timeout_ms;

		/* Presses ended here end when their last packet or audio came. */
		if (hl_dtmf_4733_tick(&l->dtmf_rx, now_ms, &ev) == 1) {
			report_dtmf(w, l, &ev);
			work++;
		}
		if (l->inband != 0) {
			struct inband_slot *sl = inband_of(sh, l);
			struct hl_dtmf_event iev[4];

			if (sl->d.tone != 0 && now_ms - sl->last_ms >= INBAND_QUIET_MS) {
				int ne = hl_dtmf_inband_flush(&sl->d, iev, RTE_DIM(iev));
				for (int i = 0; i < ne; i++)
					report_dtmf(w, l, &iev[i]);
				work++;
			}
		}
		if (limit && !l->timed_out && now - l->last_rx_tsc > sh->tsc_per_ms * limit) {
			struct hl_media_event te = {
				.call = l->call,
				.type = HL_MEDIA_EV_TIMEOUT,
				.side = l->side,
				.local_port = l->local_port,
			};
			l->timed_out = 1;
			w->st->ctr[HL_CTR_MEDIA_TIMEOUTS]++;
			emit(w, &te);
			work++;
		}
		if (now >= l->next_rtcp_tsc) {
			/* RFC 3550 §6.3.1: randomised in [0.5, 1.5] of the interval. */
			l->next_rtcp_tsc = now + sh->tsc_per_ms * (RTCP_INTERVAL_MS / 2 +
								   rte_rand_max(RTCP_INTERVAL_MS));
			rtcp_send(w, l);
			work++;
		}
	}
	return work;
}

/* ---- control side ---- */

static struct hl_worker *
owner(struct hl_engine *e, uint16_t port)
{
	if (port < e->cfg->rtp_port_min || port > e->cfg->rtp_port_max)
		return NULL;
	return e->workers[hl_engine_rtp_owner(e, port)];
}

int
hl_media_set(struct hl_engine *e, struct hl_media_leg *leg)
{
	struct hl_worker *w = owner(e, leg->local_port);
	struct hl_media_cmd *c;
	int rc = 0;

	if (w == NULL || w->media == NULL || (leg->local_port & 1) ||
		leg->port_index >= e->n_ports || (leg->family != 4 && leg->family != 6) ||
		leg->rx_nmore >= HL_SRTP_MAX_KEYS) {
		rc = -EINVAL;
		goto out;
	}
	/* Retryable failures leave leg, keys included, as given. Control is the ring's
	 * only producer, so a free slot seen now is still free at the enqueue below. */
	if (rte_ring_free_count(w->media->cmd) == 0)
		return -ENOBUFS;
	c = calloc(1, sizeof(*c));
	if (c == NULL)
		return -ENOMEM;
	c->op = CMD_SET;
	c->leg = *leg;
	if (!leg->srtp_keep) {
		struct hl_srtp_opts o = {.ssrc = leg->ssrc, .ssrc_specific = 1};
		if (leg->srtp_rx && !leg->srtp_rx_keep) {
			/* All the remote's keys in one session: libsrtp picks by MKI. */
			struct hl_srtp_key keys[HL_SRTP_MAX_KEYS];
			keys[0] = leg->rx_key;
			memcpy(&keys[1], leg->rx_more, leg->rx_nmore * sizeof(keys[0]));
			rc = hl_srtp_ctx_init_keys(
				&c->srtp_new[0], keys, 1u + leg->rx_nmore, HL_SRTP_INBOUND, NULL);
			if (rc == 0) {
				memcpy(c->rx_keys, keys, sizeof(keys));
				c->rx_nkeys = (uint8_t)(1u + leg->rx_nmore);
			}
			explicit_bzero(keys, sizeof(keys));
		}
		if (rc == 0 && leg->srtp_tx && !leg->srtp_tx_keep)
			rc = hl_srtp_ctx_init(&c->srtp_new[1], &leg->tx_key, HL_SRTP_OUTBOUND, &o);
	}
	hl_srtp_key_wipe(&c->leg.rx_key);
	explicit_bzero(c->leg.rx_more, sizeof(c->leg.rx_more));
	hl_srtp_key_wipe(&c->leg.tx_key);
	if (rc == 0 && rte_ring_sp_enqueue(w->media->cmd, c) != 0)
		rc = -ENOBUFS;
	if (rc != 0) {
		hl_srtp_ctx_fini(&c->srtp_new[0]);
		hl_srtp_ctx_fini(&c->srtp_new[1]);
		explicit_bzero(c->rx_keys, sizeof(c->rx_keys));
		free(c);
		goto out;
	}
	e->media_pending++;
out:
	hl_srtp_key_wipe(&leg->rx_key);
	explicit_bzero(leg->rx_more, sizeof(leg->rx_more));
	hl_srtp_key_wipe(&leg->tx_key);
	return rc;
}

int
hl_media_del(struct hl_engine *e, uint8_t port_index, uint16_t local_port)
{
	struct hl_worker *w = owner(e, local_port);
	struct hl_media_cmd *c;

	if (w == NULL || w->media == NULL)
		return -EINVAL;
	c = calloc(1, sizeof(*c));
	if (c == NULL)
		return -ENOMEM;
	c->op = CMD_DEL;
	c->leg.port_index = port_index;
	c->leg.local_port = local_port;
	if (rte_ring_sp_enqueue(w->media->cmd, c) != 0) {
		free(c);
		return -ENOBUFS;
	}
	e->media_pending++;
	return 0;
}

int
hl_media_dtmf(struct hl_engine *e, uint8_t port_index, uint16_t local_port, char digit,
	uint32_t duration_ms)
{
	struct hl_worker *w = owner(e, local_port);
	int code = hl_dtmf_event_code(digit);
	struct hl_media_cmd *c;

	if (w == NULL || w->media == NULL || code < 0 || port_index >= e->n_ports)
		return -EINVAL;
	if (duration_ms == 0)
		duration_ms = HL_MEDIA_DTMF_DEFAULT_MS;
	else if (duration_ms < HL_MEDIA_DTMF_MIN_MS)
		duration_ms = HL_MEDIA_DTMF_MIN_MS;
	c = calloc(1, sizeof(*c));
	if (c == NULL)
		return -ENOMEM;
	c->op = CMD_DTMF;
	c->leg.port_index = port_index;
	c->leg.local_port = local_port;
	c->event = (uint8_t)code;
	c->duration_ms = duration_ms;
	if (rte_ring_sp_enqueue(w->media->cmd, c) != 0) {
		free(c);
		return -ENOBUFS;
	}
	e->media_pending++;
	return 0;
}

unsigned int
hl_media_poll(struct hl_engine *e, const struct hl_media_sink *sink)
{
	unsigned int work = 0;

	for (unsigned int i = 0; i < e->n_workers; i++) {
		struct hl_media_shard *sh = e->workers[i]->media;
		struct hl_media_event ev[32];
		void *done[32];
		unsigned int n;

		if (sh == NULL)
			continue;
		n = rte_ring_sc_dequeue_burst(sh->done, done, RTE_DIM(done), NULL);
		for (unsigned int k = 0; k < n; k++) {
			struct hl_media_cmd *c = done[k];

			for (unsigned int j = 0; j < RTE_DIM(c->srtp_old); j++)
				hl_srtp_ctx_fini(&c->srtp_old[j]);
			if (c->op == CMD_SET && c->status != 0 && sink != NULL && sink->event) {
				/* Control believes the leg exists; tell it it does not. */
				struct hl_media_event ev0 = {
					.call = c->leg.call,
					.type = HL_MEDIA_EV_REFUSED,
					.side = c->leg.side,
					.local_port = c->leg.local_port,
				};
				sink->event(sink->ctx, &ev0);
			}
			if (c->op == CMD_DEL && c->status == 0 && sink != NULL && sink->final)
				sink->final(sink->ctx, &c->final);
			free(c);
			e->media_pending--;
		}
		work += n;
		n = rte_ring_sc_dequeue_burst_elem(sh->ev, ev, sizeof(ev[0]), RTE_DIM(ev), NULL);
		for (unsigned int k = 0; k < n && sink != NULL && sink->event; k++)
			sink->event(sink->ctx, &ev[k]);
		work += n;
	}
	return work;
}

uint64_t
hl_media_legs(const struct hl_engine *e)
{
	uint64_t n = 0;

	for (unsigned int i = 0; i < e->n_workers; i++)
		if (e->workers[i]->media != NULL)
			n += e->workers[i]->media->n_active;
	return n;
}

uint64_t
hl_media_pending(const struct hl_engine *e)
{
	return e->media_pending;
}

uint64_t
hl_media_inband_legs(const struct hl_engine *e)
{
	uint64_t n = 0;

	for (unsigned int i = 0; i < e->n_workers; i++)
		if (e->workers[i]->media != NULL)
			n += e->workers[i]->media->n_inband;
	return n;
}
