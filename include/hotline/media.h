/*
 * hotline media: RTP/RTCP legs on the worker cores, and the control lcore's way to
 * create, change and end them.
 *
 * A leg is one local RTP port (RTCP on the next odd port, or muxed on the same one)
 * on one engine port, owned by the worker whose slice of the [rtp] range holds it
 * (hl_engine_rtp_owner), so both legs of a call live on one worker. Each worker keeps
 * its legs in its own table: an rte_hash from (engine port, local port) to a slot of a
 * preallocated leg array, looked up in bulk once per burst. Nothing on the worker
 * allocates or frees.
 *
 * Control never touches a worker's memory. It fills a struct hl_media_leg and calls
 * hl_media_set(); the engine builds the SRTP sessions there (libsrtp allocates on the
 * control lcore), wraps both in a command and puts it on the owner's command ring. The
 * worker applies it and hands the same command back on its done ring, carrying what it
 * no longer needs (replaced SRTP sessions) and, for hl_media_del(), the leg's final
 * statistics. hl_media_poll() on the control lcore collects done commands (freeing the
 * old sessions, passing final statistics to the callback) and the worker's events:
 * one per DTMF key press (RFC 4733, or in-band tones in G.711 audio), one per media
 * timeout.
 *
 * Per packet, on the owner worker: lookup -> RTCP or RTP -> source check (latching:
 * the first packet that passes SRTP authentication and RFC 3550 A.1 validation fixes
 * the remote address, so a NAT'd phone is reached where it really is and nobody else
 * can inject afterwards) -> SRTP unprotect with this leg's inbound key (or keys, picked
 * by MKI) -> statistics (loss, jitter) -> telephone-event detection, and in-band
 * detection of the G.711 audio
 * on a leg that listens (below) -> payload-type map ->
 * the peer leg's
 * rewriter (one continuous SSRC/sequence/timestamp per outgoing stream) -> SRTP protect
 * with the peer leg's outbound key -> IP/UDP headers of the peer leg -> TX. RTCP is
 * terminated: the peer's reports feed RTT and its view of our stream, and each leg
 * sends its own SR (or RR) every 5 s from the worker's tick.
 *
 * In-band DTMF (ITU-T Q.23/Q.24, detected by SpanDSP through hotline/dtmf.h): a leg
 * with dtmf_inband, PCMU (PT 0), PCMA (PT 8), G.722 (PT 9) or Opus (a dynamic PT at
 * 48000, hl_media_codec_inband()) and no telephone-event
 * PT (or one, with HL_MEDIA_INBAND_ALWAYS or dtmf_suppress) takes a detector from its
 * worker's pool (fixed at start, [rtp] dtmf_inband_slots; an Opus leg also an Opus
 * decoder, [rtp] dtmf_inband_opus_slots) and feeds it every valid
 * audio packet it receives; the audio is relayed unchanged, unless the leg has
 * dtmf_suppress: then each packet the detector heard a tone in, and those of the next
 * 40 ms, leave with their audio replaced by silence of the same length (G.711's,
 * zeros G.722-encoded from the far end's decoder state, or Opus frames of digital
 * silence of the packet's duration, padded to its length; the packet, its sequence and
 * timestamp stay), counted in rtp_dtmf_muted. With no
 * detector free the leg runs without one (counted); it gives its detector back when
 * it is deleted or changed to something that needs none. A leg with dtmf_suppress
 * listens to its audio even when it has telephone-events (senders put keys in both):
 * its tones are muted the same way. On any leg that listens and has telephone-events
 * (dtmf_suppress, or HL_MEDIA_INBAND_ALWAYS, which mutes nothing), a press that came
 * both as events and as a tone is reported once, by whichever source ended it first
 * (dtmf_dup_presses counts the other).
 *
 * Telephone-events of our own (RFC 4733 §2.5): hl_media_dtmf() asks the leg's worker to
 * send one key press on the leg, for a press that came by SIP INFO from a peer that
 * sends no events. The worker queues it (HL_MEDIA_DTMF_QUEUE a shard; full: dropped,
 * dtmf_inject_dropped) and plays it from its 20 ms tick, one press a leg at a time: a
 * first packet with the marker bit, updates every HL_MEDIA_DTMF_UPDATE_MS with the
 * duration so far, then the end (E bit) three times, one a tick, all with the event's
 * timestamp: where the leg's outgoing stream is at the start (its last timestamp
 * advanced by the time since, at its clock rate). They go in the leg's own stream (its
 * SSRC, its te_pt, the next sequence numbers, relayed packets continuing after them:
 * hl_rtp_rewriter_take_seq()), SRTP-protected on an SRTP leg. A leg without te_pt, on
 * hold or gone when its turn comes loses the press (dtmf_inject_dropped), and so does one
 * whose first packet could not go out (no mbuf, SRTP) on ten ticks running; presses sent
 * count in dtmf_injected. Nothing is allocated on the worker.
 */
#ifndef HOTLINE_MEDIA_H
#define HOTLINE_MEDIA_H

#include <stdint.h>

#include "hotline/srtp.h"

struct hl_engine;
struct hl_worker;
struct rte_mbuf;

/* hl_media_leg.dtmf_inband: which G.711 legs listen to their audio. */
enum {
	HL_MEDIA_INBAND_OFF = 0,
	HL_MEDIA_INBAND_AUTO,   /* without telephone-events, or with dtmf_suppress */
	HL_MEDIA_INBAND_ALWAYS, /* with telephone-events too: one report a press */
};

/* The codec of a leg is known by its PT and clock: 0 PCMU, 8 PCMA, 9 G.722 (RFC 3551),
 * and a dynamic PT at 48000 is Opus (RFC 7587 §7: "opus/48000/2", the only 48 kHz
 * codec hotline anchors). */
static inline int
hl_media_codec_opus(uint8_t codec_pt, uint32_t clock_rate)
{
	return codec_pt >= 96 && codec_pt <= 127 && clock_rate == 48000;
}

/* A codec the in-band detector decodes: PCMU, PCMA, G.722 or Opus. */
static inline int
hl_media_codec_inband(uint8_t codec_pt, uint32_t clock_rate)
{
	return codec_pt == 0 || codec_pt == 8 || codec_pt == 9 ||
	       hl_media_codec_opus(codec_pt, clock_rate);
}

/* What control asks for one leg. Zero-filled plus the fields below is valid. */
struct hl_media_leg {
	uint32_t call;            /* control's call id, echoed in events and stats */
	uint16_t tenant;          /* control's tenant index, echoed in stats */
	uint8_t side;             /* 0: customer (A), 1: agent (B) */
	uint8_t port_index;       /* engine port (config order) the leg's media uses */
	uint8_t family;           /* 4 or 6 */
	uint8_t rtcp_mux;         /* RFC 5761: RTCP on the RTP port */
	uint8_t recv_only;        /* the remote put us on hold: do not send it media */
	uint8_t remote_silent;    /* the remote will not send (we hold it / it sends
				     sendonly->inactive): use hold_timeout_ms */
	uint8_t dtmf_suppress;    /* PCI: report this leg's key presses but keep them from
				     the peer: its telephone-events are not relayed, and
				     with dtmf_inband its tones are muted in the audio */
	uint8_t dtmf_inband;      /* HL_MEDIA_INBAND_*: detect DTMF tones in the audio
				     this leg receives; only with codec_pt 0, 8, 9 or
				     Opus (hl_media_codec_inband()), and
				     with AUTO (any value but ALWAYS) te_pt < 0 unless
				     dtmf_suppress, else ignored (a leg with relayed
				     telephone-events reports those alone) */
	uint8_t srtp_rx;          /* rx_key valid: the remote sends SRTP */
	uint8_t srtp_tx;          /* tx_key valid: we send SRTP */
	uint8_t srtp_keep;        /* keep the leg's SRTP sessions as they are (keys
				     unchanged by a re-INVITE); rx/tx keys ignored */
	uint8_t srtp_rx_keep;     /* with srtp_keep 0: keep the inbound session (and
				     its replay window), rx_key ignored; a replaced
				     inbound session is still tried for 2 s */
	uint8_t srtp_tx_keep;     /* with srtp_keep 0: keep the outbound session */
	uint8_t rx_nmore;         /* remote keys in rx_more[] after rx_key: its crypto
				     line had several, told apart by MKI (RFC 4568 §6.1) */
	uint8_t peer_port_index;  /* engine port of the peer leg */
	uint8_t codec_pt;         /* the codec's PT on this leg (both directions) */
	int16_t te_pt;            /* telephone-event PT on this leg, -1: none */
	uint16_t local_port;      /* even, inside the [rtp] range */
	uint16_t peer_port;       /* local port of the leg we relay to; 0: not bridged */
	uint16_t remote_port;     /* from SDP; latching may move it */
	uint16_t remote_rtcp_port;
	uint32_t clock_rate;      /* of the codec, e.g. 8000 */
	uint32_t te_clock;        /* of te_pt's rtpmap, 0: clock_rate. Durations of the
				     events are in its units, their timestamps on the
				     audio's timeline (an Opus leg with
				     telephone-event/8000: 8000 and 48000) */
	uint32_t ssrc;            /* our SSRC on this leg: keep it for the call */
	uint32_t timeout_ms;      /* no RTP this long: timeout event; 0: never */
	uint32_t hold_timeout_ms; /* the same while remote_silent; 0: never */
	uint8_t local_ip[16];     /* our address on port_index (4 bytes for IPv4) */
	uint8_t remote_ip[16];
	struct hl_srtp_key rx_key; /* the remote's SDES key: we unprotect with it */
	struct hl_srtp_key rx_more[HL_SRTP_MAX_KEYS - 1]; /* and with these, by MKI */
	struct hl_srtp_key tx_key; /* ours: we protect with it */
};

/* One leg's figures, at hang-up or on request. */
struct hl_media_stats {
	uint32_t call;
	uint16_t tenant;
	uint8_t side;
	uint8_t latched;
	uint16_t local_port;
	uint64_t rx_packets, rx_bytes;   /* valid RTP received (payload octets) */
	uint64_t tx_packets, tx_bytes;   /* RTP sent on this leg */
	uint64_t rtcp_in, rtcp_out;
	int64_t lost;                    /* RFC 3550 A.3, all sources */
	double loss_pct;
	double jitter_ms;                /* A.8 */
	uint32_t rtt_ms;                 /* from RTCP, 0: not measured */
	double mos;                      /* E-model estimate (G.107 simplified) */
	uint64_t dtmf;                   /* key presses reported */
	uint64_t srtp_auth_fail, srtp_replay;
	uint64_t wrong_source;           /* packets from another address after latching */
	uint64_t ssrc_changes;
};

enum hl_media_ev_type {
	HL_MEDIA_EV_DTMF = 1,
	HL_MEDIA_EV_TIMEOUT,
	HL_MEDIA_EV_REFUSED, /* the worker could not take a leg (table full): no media */
};

/* One event from a worker (fixed size, carried by value in the event ring). */
struct hl_media_event {
	uint32_t call;
	uint8_t type;          /* enum hl_media_ev_type */
	uint8_t side;
	char digit;            /* DTMF */
	uint8_t how;           /* DTMF: enum hl_dtmf_end; HL_DTMF_END_TONE: in-band */
	uint16_t local_port;
	uint16_t pad_;
	uint32_t duration_ms;  /* DTMF */
};

/* Control-side callbacks of hl_media_poll(). */
struct hl_media_sink {
	void (*event)(void *ctx, const struct hl_media_event *ev);
	void (*final)(void *ctx, const struct hl_media_stats *st);
	void *ctx;
};

/*
 * Creates or changes the leg at (port_index, local_port): remote address, hold state,
 * PTs, keys, peer. A change of remote, codec or keys rebases the outgoing stream of the
 * leg (same SSRC, sequence and timestamp continue, marker set) and unlatches it.
 * Control lcore only. 0, or -ENOMEM / -ENOBUFS (ring full) / -EINVAL / an SRTP error.
 * leg's keys are wiped on return, except after -ENOMEM and -ENOBUFS, which leave leg
 * untouched so that the caller can retry it as it is.
 */
int hl_media_set(struct hl_engine *e, struct hl_media_leg *leg);
/* Ends the leg; its final statistics reach sink->final through hl_media_poll(). */
int hl_media_del(struct hl_engine *e, uint8_t port_index, uint16_t local_port);
/*
 * Has the worker send key digit ('0'-'9', '*', '#', 'A'-'D', HL_DTMF_FLASH '!') as
 * RFC 4733 telephone-events on leg (port_index, local_port) for duration_ms (0: not
 * known, HL_MEDIA_DTMF_DEFAULT_MS; at least HL_MEDIA_DTMF_MIN_MS, at most what one event
 * segment holds, 0xFFFF clock units). Control lcore only. 0, or -EINVAL (no such digit,
 * port outside the range), -ENOMEM, -ENOBUFS (ring full). A leg the worker does not
 * know, or that cannot take it, loses the press there (counted).
 */
#define HL_MEDIA_DTMF_DEFAULT_MS 100
#define HL_MEDIA_DTMF_MIN_MS 40
#define HL_MEDIA_DTMF_UPDATE_MS 50
#define HL_MEDIA_DTMF_QUEUE 64
int hl_media_dtmf(struct hl_engine *e, uint8_t port_index, uint16_t local_port, char digit,
	uint32_t duration_ms);
/* Collects done commands and events of every worker (bounded); returns work done. */
unsigned int hl_media_poll(struct hl_engine *e, const struct hl_media_sink *sink);
/* Legs currently in every worker's table (telemetry). */
uint64_t hl_media_legs(const struct hl_engine *e);
/* Commands sent and not yet returned. */
uint64_t hl_media_pending(const struct hl_engine *e);
/* Legs holding an in-band DTMF detector, in every worker (telemetry). */
uint64_t hl_media_inband_legs(const struct hl_engine *e);

/* ---- worker side (dataplane/ only) ---- */

/* Per-worker state: created by the engine, NULL-tolerant free. capacity legs,
 * inband_slots in-band DTMF detectors for them (0: none, no leg gets one) and
 * opus_slots Opus decoders for the detectors of Opus legs (0: no Opus leg listens). */
struct hl_media_shard;
struct hl_media_shard *hl_media_shard_create(struct hl_worker *w, unsigned int capacity,
	unsigned int inband_slots, unsigned int opus_slots, int socket);
void hl_media_shard_free(struct hl_media_shard *sh);
/* Applies pending commands (bounded); returns how many. */
unsigned int hl_media_commands(struct hl_worker *w);
/* The worker's media tick: timeouts, lost DTMF ends, RTCP reports (bounded). */
unsigned int hl_media_tick(struct hl_worker *w, uint64_t now_tsc);
/* What the classifier leaves in an RTP-range datagram's hash.usr: the engine port index
 * it arrived on and its UDP destination port (host order). */
static inline uint32_t
hl_media_rtp_key(unsigned int pi, uint16_t dport)
{
	return (uint32_t)dport << 16 | (pi & 0xffff);
}

/* Handles a burst of RTP-range datagrams this worker owns: data at Ethernet,
 * l2_len/l3_len set, hash.usr = hl_media_rtp_key(). Takes every mbuf. */
void hl_media_rx_burst(struct hl_worker *w, struct rte_mbuf **pkts, uint16_t n);

#endif
