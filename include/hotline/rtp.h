/*
 * hotline RTP/RTCP: header and compound-packet parsers, our own SR/RR builders, the relay
 * rewriter that keeps one continuous outgoing stream per leg, and per-leg receiver
 * statistics (loss, jitter, RTT, MOS estimate). Spec: RFC 3550 §5.1 (RTP header), §6
 * and §6.4 (RTCP SR/RR/SDES/BYE/APP, report blocks), Appendix A.1 (sequence validation),
 * A.3 (loss), A.8 (jitter); RFC 5761 §4 (RTP and RTCP on one port); ITU-T G.107 E-model
 * in the simplified form of Cole & Rosenbluth (2001) for the MOS estimate.
 *
 * How it works: parsers are stateless, never allocate, read only pkt[0..len) and return
 * offsets (picohttpparser-shaped). Everything stateful (struct hl_rtp_rx_stats, struct
 * hl_rtp_rewriter) is embedded by value in the leg and updated per packet in O(1), in
 * place on the packet buffer. Times are passed in: arrival in RTP clock units for jitter,
 * NTP 32.32 wall-clock for RTCP (the same clock our SRs carry).
 */
#ifndef HOTLINE_RTP_H
#define HOTLINE_RTP_H

#include <stddef.h>
#include <stdint.h>

#include "hotline/common.h"

#define HL_RTP_HDR_MIN 12
#define HL_RTCP_HDR_MIN 8

enum hl_rtcp_pt {
	HL_RTCP_SR = 200,
	HL_RTCP_RR = 201,
	HL_RTCP_SDES = 202,
	HL_RTCP_BYE = 203,
	HL_RTCP_APP = 204,
	HL_RTCP_RTPFB = 205, /* RFC 4585 */
	HL_RTCP_PSFB = 206,
	HL_RTCP_XR = 207, /* RFC 3611 */
};

/* Parsed RTP header: values and 16-bit offsets into the packet (RFC 3550 §5.1). */
struct hl_rtp_hdr {
	uint8_t pt;
	uint8_t marker;
	uint8_t cc;		/* CSRC count */
	uint8_t has_ext;
	uint16_t seq;
	uint16_t payload_off;	/* = header length, CSRCs and extension included */
	uint16_t payload_len;	/* padding excluded */
	uint16_t pad_len;	/* RFC 3550 §5.1 P bit: last octet counts the padding */
	uint16_t ext_profile;	/* "defined by profile" field, e.g. 0xBEDE (RFC 8285) */
	uint16_t ext_off;	/* extension data after its 4-octet header */
	uint16_t ext_len;	/* extension data octets */
	uint32_t ts;
	uint32_t ssrc;
};

/*
 * Validates and parses an RTP header: version 2, CSRC list, extension and padding all
 * inside len. Returns the payload offset (>= 12) or HL_E_INCOMPLETE (shorter than what
 * the header announces), HL_E_VERSION, HL_E_PARSE (padding count 0 or past the header),
 * HL_E_TOOBIG (over 65535 octets).
 */
int
hl_rtp_parse_full(const uint8_t *pkt, size_t len, struct hl_rtp_hdr *h);

/* The fixed header's fields every packet has (both parses). */
static inline void
hl_rtp_hdr_fixed(const uint8_t *pkt, struct hl_rtp_hdr *h)
{
	h->marker = pkt[1] >> 7;
	h->pt = pkt[1] & 0x7f;
	h->seq = hl_rd16(pkt + 2);
	h->ts = hl_rd32(pkt + 4);
	h->ssrc = hl_rd32(pkt + 8);
	h->ext_profile = 0;
	h->ext_off = 0;
	h->ext_len = 0;
	h->pad_len = 0;
}

/*
 * The same, inlined for what nearly every packet is: version 2, no padding, extension or
 * CSRC (first octet 0x80). Anything else is hl_rtp_parse_full()'s; both give the same
 * answer for every input (tests/test_rtp.c).
 */
static inline int
hl_rtp_parse(const uint8_t *pkt, size_t len, struct hl_rtp_hdr *h)
{
	if (hl_unlikely(len < HL_RTP_HDR_MIN || len > UINT16_MAX || pkt[0] != 0x80))
		return hl_rtp_parse_full(pkt, len, h);
	h->cc = 0;
	h->has_ext = 0;
	hl_rtp_hdr_fixed(pkt, h);
	h->payload_off = HL_RTP_HDR_MIN;
	h->payload_len = (uint16_t)(len - HL_RTP_HDR_MIN);
	return HL_RTP_HDR_MIN;
}

enum hl_rtp_demux {
	HL_DEMUX_RTP,
	HL_DEMUX_RTCP,
	HL_DEMUX_OTHER, /* not version 2: STUN, DTLS, ZRTP (RFC 7983) or garbage */
};

/* RFC 5761 §4: on a shared port, second octet 192..223 (RTP PT 64..95 with M) is RTCP. */
enum hl_rtp_demux
hl_rtp_demux(const uint8_t *pkt, size_t len);

/* RFC 3550 §6.4.1 report block, host order. lost is the signed 24-bit cumulative count. */
struct hl_rtcp_report_block {
	uint32_t ssrc;
	uint8_t fraction_lost;	/* fixed point /256 */
	int32_t lost;
	uint32_t ext_high_seq;
	uint32_t jitter;	/* RTP clock units */
	uint32_t lsr;		/* middle 32 bits of the NTP time of the last SR */
	uint32_t dlsr;		/* 1/65536 s */
};

/* RFC 3550 §6.4.1 sender info. */
struct hl_rtcp_sender_info {
	uint64_t ntp;		/* NTP 32.32 */
	uint32_t rtp_ts;
	uint32_t pkt_count;
	uint32_t octet_count;
};

/* One packet of a compound: its type, RC/SC/subtype and place. */
struct hl_rtcp_item {
	uint8_t pt;
	uint8_t count;
	uint16_t off;
	uint16_t len;		/* octets, header included, padding included */
};

#define HL_RTCP_MAX_ITEMS 16
#define HL_RTCP_MAX_RB 31

/* What hl_rtcp_parse() found in one compound packet. */
struct hl_rtcp_info {
	uint32_t ssrc;		/* sender of the first SR/RR */
	uint8_t has_sr;
	uint8_t has_bye;
	uint8_t n_items;	/* packets stored in item[] */
	uint8_t n_rb;		/* report blocks stored in rb[], of every SR/RR */
	uint8_t cname_len;
	uint16_t cname_off;	/* CNAME of the first SDES chunk, if any */
	struct hl_rtcp_sender_info si;
	struct hl_rtcp_report_block rb[HL_RTCP_MAX_RB];
	struct hl_rtcp_item item[HL_RTCP_MAX_ITEMS];
};

/*
 * Validates a compound RTCP packet (RFC 3550 §6.1 and A.2): every packet version 2, only
 * the last padded, lengths adding up to len, the first an SR or RR; SR/RR report counts,
 * SDES items, BYE source counts and APP sizes within their packet. Other packet types are
 * listed but not looked into. Returns the number of packets (> 0) or HL_E_PARSE,
 * HL_E_VERSION, HL_E_INCOMPLETE, HL_E_TOOBIG (more than HL_RTCP_MAX_ITEMS packets).
 */
int
hl_rtcp_parse(const uint8_t *pkt, size_t len, struct hl_rtcp_info *info);

/*
 * Writes an SR (si != NULL) or an RR (si == NULL) from ssrc with n report blocks (at most
 * 31). Returns the length written or HL_E_TOOBIG when cap is too small or n too large.
 */
int
hl_rtcp_build_report(uint8_t *buf, size_t cap, uint32_t ssrc, const struct hl_rtcp_sender_info *si,
		     const struct hl_rtcp_report_block *rb, unsigned int n);

/* Writes an SDES packet with one chunk holding a CNAME (RFC 3550 §6.5.1), padded to 32
 * bits. Append it to a report to form the minimal compound. Returns length or HL_E_*. */
int
hl_rtcp_build_sdes_cname(uint8_t *buf, size_t cap, uint32_t ssrc, const char *cname,
			 size_t cname_len);

/* Writes a BYE for ssrc (RFC 3550 §6.6), no reason. Returns 8 or HL_E_TOOBIG. */
int
hl_rtcp_build_bye(uint8_t *buf, size_t cap, uint32_t ssrc);

/* RFC 3550 §4: the middle 32 bits of an NTP 32.32 timestamp, as LSR carries it. */
static inline uint32_t
hl_ntp_mid32(uint64_t ntp)
{
	return (uint32_t)(ntp >> 16);
}

/*
 * Relay rewriter: maps whatever source arrives on a leg to one outgoing stream (our SSRC,
 * continuous sequence and timestamp), so a re-INVITE or an agent change does not look
 * like a new stream to the far end (RFC 3550 §8.2 would otherwise have it reset). While
 * the incoming SSRC stays the same, outgoing = incoming + fixed offsets, so the sender's
 * gaps and reordering pass through unchanged. When the SSRC changes (or after
 * hl_rtp_rewriter_rebase()), the offsets are recomputed so the next packet follows the
 * last one sent: sequence + 1, timestamp + the wall-clock gap in RTP units (at least one
 * unit), and the marker bit is set (§5.1: a new talkspurt, so jitter buffers resync).
 * Payload types are mapped through a table; unmapped ones are refused.
 */
struct hl_rtp_rewriter {
	uint32_t out_ssrc;
	uint32_t in_ssrc;
	uint16_t seq_off;
	uint16_t last_seq;	/* last (newest) sequence sent */
	uint32_t ts_off;
	uint32_t last_ts;	/* timestamp of last_seq */
	uint32_t last_arrival;	/* arrival (RTP units) of last_seq */
	uint8_t started;	/* a packet has been sent */
	uint8_t bound;		/* in_ssrc and offsets valid */
	uint8_t guarded;	/* own packets were sent: relay nothing up to guard_seq */
	uint16_t guard_seq;	/* the last sequence number an own packet took */
	/* Right after the per-packet fields above (30 octets), so they and the map's
	 * low entries share a cache line with whatever the embedding struct puts before
	 * them; a packet reads one byte of the map. */
	uint8_t pt_map[128];	/* incoming PT -> outgoing PT; 0xff: drop */
	uint64_t rebased;	/* source changes handled */
};

#define HL_RTP_PT_DROP 0xff

/* Starts a stream: our SSRC and the first sequence and timestamp (random, RFC 3550 §5.1).
 * Every PT maps to itself. */
void
hl_rtp_rewriter_init(struct hl_rtp_rewriter *rw, uint32_t out_ssrc, uint16_t first_seq,
		     uint32_t first_ts);

/* Maps in_pt to out_pt (HL_RTP_PT_DROP to refuse it). Returns 0 or HL_E_CONFIG. */
int
hl_rtp_rewriter_map_pt(struct hl_rtp_rewriter *rw, unsigned int in_pt, unsigned int out_pt);

/* The next packet starts a new mapping even with the same SSRC (transfer, re-INVITE). */
void
hl_rtp_rewriter_rebase(struct hl_rtp_rewriter *rw);

/*
 * Rewrites SSRC, sequence, timestamp, PT (and M on a rebase) of the packet in place. h is
 * the parse of pkt; arrival is the arrival time in RTP clock units of the outgoing
 * stream. Returns 0, HL_E_NOTFOUND (PT not mapped: drop it) or HL_E_REPLAY (a late
 * packet whose number would be one hl_rtp_rewriter_take_seq() gave out, or older:
 * drop it).
 */
int
hl_rtp_rewrite_full(struct hl_rtp_rewriter *rw, uint8_t *pkt, const struct hl_rtp_hdr *h,
		    uint32_t arrival);

/* The rewrite's last step (both paths): the stream's newest packet moves its timeline,
 * and the header goes out with our numbering and SSRC, as three 32-bit stores (octets
 * 0-3 with octet 0 as it was, timestamp, SSRC) that hl_rtp_fixed_sum() reads back. */
static inline void
hl_rtp_rewrite_out(struct hl_rtp_rewriter *rw, uint8_t *pkt, uint16_t seq, uint32_t ts,
		   uint8_t marker, uint8_t out_pt, uint32_t arrival)
{
	if (!rw->started || (int16_t)(seq - rw->last_seq) > 0) {
		rw->last_seq = seq;
		rw->last_ts = ts;
		rw->last_arrival = arrival;
		rw->started = 1;
	}
	hl_wr32(pkt, (uint32_t)pkt[0] << 24 | (uint32_t)(marker << 7 | out_pt) << 16 | seq);
	hl_wr32(pkt + 4, ts);
	hl_wr32(pkt + 8, rw->out_ssrc);
}

/*
 * The one's-complement sum of the fixed header hl_rtp_rewrite_out() just wrote, unfolded,
 * in native words as hl_csum_partial() reads them (equal to it modulo 0xffff), by loads
 * of the places and widths it stored: each is forwarded from its store. A load wider than
 * or across those stores cannot be, and waits for them to reach the cache: the relay's
 * checksum update read the header back that way, an 8-octet load over three stores and
 * a 4-octet one over the SSRC's, on every packet.
 */
static inline uint64_t
hl_rtp_fixed_sum(const uint8_t *pkt)
{
	uint32_t a, b, c;

	memcpy(&a, pkt, 4);
	memcpy(&b, pkt + 4, 4);
	memcpy(&c, pkt + 8, 4);
	return (uint64_t)a + b + c;
}

/* The same, inlined for a packet of the bound source with no guard up and a mapped PT
 * (every packet but a stream's first, a rebase's or one after a press of ours). */
static inline int
hl_rtp_rewrite(struct hl_rtp_rewriter *rw, uint8_t *pkt, const struct hl_rtp_hdr *h,
	       uint32_t arrival)
{
	uint8_t out_pt = rw->pt_map[h->pt & 0x7f];

	if (hl_unlikely(out_pt == HL_RTP_PT_DROP || !rw->bound || h->ssrc != rw->in_ssrc ||
			rw->guarded))
		return hl_rtp_rewrite_full(rw, pkt, h, arrival);
	hl_rtp_rewrite_out(rw, pkt, (uint16_t)(h->seq + rw->seq_off), h->ts + rw->ts_off,
		h->marker, out_pt, arrival);
	return 0;
}

/*
 * The next sequence number of the outgoing stream, for a packet that is not relayed but
 * made here (a telephone-event of our own, RFC 4733): the offset moves on by one, so the
 * relayed packets that follow continue after it, never on a number it took, and late
 * ones that would land on or behind it are refused (HL_E_REPLAY) until the stream is
 * HL_RTP_GUARD_SPAN packets past it, beyond which RFC 3550 A.1 takes no late packet
 * (MAX_MISORDER 100). ts is the packet's timestamp and arrival the time (RTP units) it
 * stands for: the timeline later packets and our SRs extrapolate from, as for a relayed
 * one.
 */
#define HL_RTP_GUARD_SPAN 128
uint16_t
hl_rtp_rewriter_take_seq(struct hl_rtp_rewriter *rw, uint32_t ts, uint32_t arrival);

/*
 * Per-leg receiver statistics (RFC 3550 A.1, A.3, A.8) plus RTT and totals. Embed by value;
 * zero-filled storage plus hl_rtp_rx_stats_init() is a valid start.
 */
struct hl_rtp_rx_stats {
	/* What every packet reads or writes comes first: 64 octets, one cache line
	 * where the embedding struct aligns it. */
	/* A.1 */
	uint32_t ssrc;
	uint16_t max_seq;
	uint8_t have_source;
	uint8_t have_transit;
	uint32_t cycles;	/* count of sequence wraps << 16 */
	uint32_t base_seq;
	uint32_t bad_seq;
	uint32_t probation;
	uint32_t received;
	/* A.8 */
	uint32_t transit;
	uint32_t jitter_q4;	/* jitter * 16, in RTP units */
	uint32_t clock_rate;
	/* totals across source changes */
	uint64_t packets;	/* valid packets */
	uint64_t bytes;		/* payload octets of valid packets */
	/* per report */
	uint32_t expected_prior;
	uint32_t received_prior;
	uint8_t have_rtt;
	uint8_t last_fraction;	/* fraction lost of the last report interval, /256 */
	uint64_t lost_prior;	/* losses of earlier sources */
	uint64_t expected_total_prior;
	uint64_t probation_drops;
	uint64_t bad_seq_drops;
	uint64_t ssrc_changes;
	/* RTCP (§6.4.1) */
	uint32_t last_sr_mid32;	/* LSR for our next report block */
	uint32_t last_sr_ssrc;	/* of the source whose SR that was */
	uint64_t last_sr_arrival; /* NTP 32.32 */
	uint32_t rtt_ms;
	uint32_t remote_jitter;	/* what the peer reports about our stream */
	int32_t remote_lost;
	uint8_t remote_fraction;
	/* A.1: another SSRC seen while this one runs, on probation: it takes over when
	 * its next packet (cand_next) follows */
	uint8_t cand_have;
	uint16_t cand_next;
	uint32_t cand_ssrc;
};

/* Starts empty statistics for a clock rate (8000 for G.711). */
void
hl_rtp_rx_stats_init(struct hl_rtp_rx_stats *s, uint32_t clock_rate);

/* The source's clock changes (a new codec on the leg): the jitter so far is carried
 * over in the new units, and the first packet in them takes no jitter sample. */
void
hl_rtp_rx_stats_set_clock(struct hl_rtp_rx_stats *s, uint32_t clock_rate);

/*
 * Feeds one received RTP packet: A.1 sequence validation (a new SSRC must show 2
 * sequential packets; a jump over 3000 is accepted only when confirmed by the next
 * packet), A.8 jitter from arrival (RTP clock units), counts. Returns 1 when the packet is
 * valid (counted, relay it), 0 when it is not (probation or a bad jump).
 */
int
hl_rtp_rx_stats_update_full(struct hl_rtp_rx_stats *s, const struct hl_rtp_hdr *h,
			    uint32_t arrival);

#define HL_RTP_MAX_DROPOUT 3000 /* A.1 */

/* A.8 for a valid packet (both paths): D(i-1,i) on transit times, J += (|D| - J) / 16,
 * kept scaled by 16. */
static inline void
hl_rtp_rx_jitter(struct hl_rtp_rx_stats *s, uint32_t ts, uint32_t arrival)
{
	int32_t transit = (int32_t)(arrival - ts);

	if (s->have_transit) {
		/* Modular difference: transit times wrap with the RTP clock, and a
		 * hostile timestamp must not overflow a signed subtraction. */
		int32_t d = (int32_t)((uint32_t)transit - s->transit);
		uint32_t ad = d < 0 ? (uint32_t)-(int64_t)d : (uint32_t)d;
		s->jitter_q4 += ad - ((s->jitter_q4 + 8) >> 4);
	}
	s->transit = (uint32_t)transit;
	s->have_transit = 1;
}

/*
 * The same, inlined for a packet of the current, validated source that is in order or
 * a little ahead (A.1's udelta < MAX_DROPOUT branch), as hl_rtp_rx_stats_update_full()
 * would take it; everything else is that function's.
 */
static inline int
hl_rtp_rx_stats_update(struct hl_rtp_rx_stats *s, const struct hl_rtp_hdr *h, uint32_t arrival)
{
	uint16_t udelta = (uint16_t)(h->seq - s->max_seq);

	if (hl_unlikely(!s->have_source || h->ssrc != s->ssrc || s->probation != 0 ||
			udelta >= HL_RTP_MAX_DROPOUT))
		return hl_rtp_rx_stats_update_full(s, h, arrival);
	s->packets++;
	s->bytes += h->payload_len;
	if (h->seq < s->max_seq)
		s->cycles += 1u << 16;
	s->max_seq = h->seq;
	s->received++;
	hl_rtp_rx_jitter(s, h->ts, arrival);
	return 1;
}

/* A.3: extended highest sequence number received, packets expected and lost (signed)
 * of the current source. */
uint32_t
hl_rtp_rx_stats_ext_max(const struct hl_rtp_rx_stats *s);
uint32_t
hl_rtp_rx_stats_expected(const struct hl_rtp_rx_stats *s);
int32_t
hl_rtp_rx_stats_lost(const struct hl_rtp_rx_stats *s);

/* Interarrival jitter (A.8) in RTP units, as a report block carries it. */
static inline uint32_t
hl_rtp_rx_stats_jitter(const struct hl_rtp_rx_stats *s)
{
	return s->jitter_q4 >> 4;
}

/*
 * Fills a report block about the current source at now (NTP 32.32) and starts a new
 * interval for the fraction lost (A.3). Returns 0, or HL_E_NOTFOUND before any source.
 */
int
hl_rtp_rx_stats_report_block(struct hl_rtp_rx_stats *s, uint64_t now,
			     struct hl_rtcp_report_block *rb);

/*
 * Feeds a parsed RTCP compound from the peer received at now (NTP 32.32): remembers its
 * SR for our LSR/DLSR, and from a report block about our_ssrc takes the peer's view of
 * our stream and the round-trip time A - LSR - DLSR (§6.4.1). Returns 1 when an RTT was
 * measured, else 0.
 */
int
hl_rtp_rx_stats_on_rtcp(struct hl_rtp_rx_stats *s, const struct hl_rtcp_info *info,
			uint32_t our_ssrc, uint64_t now);

/* Loss in percent over the whole leg, all sources, 0..100. */
double
hl_rtp_rx_stats_loss_pct(const struct hl_rtp_rx_stats *s);

/* Codec impairment for the E-model: equipment impairment Ie and packet-loss robustness
 * Bpl (ITU-T G.113 Appendix I). */
struct hl_emodel_codec {
	double ie;
	double bpl;
};

/* G.711 with packet-loss concealment (G.113 I: Ie 0, Bpl 25.1). */
#define HL_EMODEL_G711_PLC ((struct hl_emodel_codec){0.0, 25.1})
/* G.711 without concealment (Bpl 4.3). */
#define HL_EMODEL_G711 ((struct hl_emodel_codec){0.0, 4.3})
/* G.729A with VAD (Ie 11, Bpl 19). */
#define HL_EMODEL_G729A ((struct hl_emodel_codec){11.0, 19.0})

/*
 * R-factor (G.107 §7) with defaults for everything but delay and loss: R = 93.2 - Id -
 * Ie,eff, Id = 0.024 d + 0.11 (d - 177.3) H(d - 177.3) for one-way delay d in ms,
 * Ie,eff = Ie + (95 - Ie) Ppl / (Ppl + Bpl) for random loss (BurstR = 1).
 */
double
hl_emodel_r(double one_way_delay_ms, double loss_pct, struct hl_emodel_codec codec);

/* G.107 Annex B: MOS_CQE = 1 + 0.035 R + R (R - 60)(100 - R) 7e-6, 1 below R 0, 4.5 above 100. */
double
hl_emodel_mos(double r);

/* MOS of a leg: one-way delay from its RTT / 2 (plus jitter-buffer delay the caller adds). */
double
hl_rtp_rx_stats_mos(const struct hl_rtp_rx_stats *s, double extra_delay_ms,
		    struct hl_emodel_codec codec);

#endif
