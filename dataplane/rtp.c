/* RTP/RTCP parsers, builders, relay rewriter and receiver statistics: see
 * include/hotline/rtp.h. */
#include <stdbool.h>
#include <string.h>

#include "hotline/rtp.h"

int
hl_rtp_parse_full(const uint8_t *pkt, size_t len, struct hl_rtp_hdr *h)
{
	size_t off, end = len;

	if (hl_unlikely(len < HL_RTP_HDR_MIN))
		return HL_E_INCOMPLETE;
	if (hl_unlikely((pkt[0] >> 6) != 2))
		return HL_E_VERSION;
	if (len > UINT16_MAX)
		return HL_E_TOOBIG;
	h->cc = pkt[0] & 0x0f;
	h->has_ext = (pkt[0] >> 4) & 1;
	hl_rtp_hdr_fixed(pkt, h);
	off = HL_RTP_HDR_MIN + 4u * h->cc;
	if (off > len)
		return HL_E_INCOMPLETE;
	if (h->has_ext) {
		/* §5.3.1: 16-bit profile field, 16-bit length in 32-bit words. */
		if (off + 4 > len)
			return HL_E_INCOMPLETE;
		h->ext_profile = hl_rd16(pkt + off);
		size_t xl = 4u * hl_rd16(pkt + off + 2);
		h->ext_off = (uint16_t)(off + 4);
		off += 4;
		if (xl > len - off)
			return HL_E_INCOMPLETE;
		h->ext_len = (uint16_t)xl;
		off += xl;
	}
	if (pkt[0] & 0x20) {
		/* §5.1: the last octet counts the padding, itself included. */
		if (len == off)
			return HL_E_PARSE;
		uint8_t pad = pkt[len - 1];
		if (pad == 0 || pad > len - off)
			return HL_E_PARSE;
		h->pad_len = pad;
		end = len - pad;
	}
	h->payload_off = (uint16_t)off;
	h->payload_len = (uint16_t)(end - off);
	return (int)off;
}

enum hl_rtp_demux
hl_rtp_demux(const uint8_t *pkt, size_t len)
{
	if (len < 2 || (pkt[0] >> 6) != 2)
		return HL_DEMUX_OTHER;
	return pkt[1] >= 192 && pkt[1] <= 223 ? HL_DEMUX_RTCP : HL_DEMUX_RTP;
}

static void
read_rb(const uint8_t *p, struct hl_rtcp_report_block *rb)
{
	uint32_t l = hl_rd32(p + 4) & 0xffffff;
	rb->ssrc = hl_rd32(p);
	rb->fraction_lost = p[4];
	rb->lost = (l & 0x800000) ? (int32_t)l - 0x1000000 : (int32_t)l;
	rb->ext_high_seq = hl_rd32(p + 8);
	rb->jitter = hl_rd32(p + 12);
	rb->lsr = hl_rd32(p + 16);
	rb->dlsr = hl_rd32(p + 20);
}

/* SDES chunks (§6.5): SSRC, items up to a null item, then zero padding to 32 bits. */
static int
parse_sdes(const uint8_t *pkt, size_t off, size_t end, unsigned int sc, struct hl_rtcp_info *info)
{
	for (unsigned int c = 0; c < sc; c++) {
		if (off + 4 > end)
			return HL_E_PARSE;
		off += 4;
		for (;;) {
			if (off >= end)
				return HL_E_PARSE;
			uint8_t type = pkt[off];
			if (type == 0) {
				off = (off + 4) & ~(size_t)3;
				if (off > end)
					return HL_E_PARSE;
				break;
			}
			if (off + 2 > end || off + 2 + pkt[off + 1] > end)
				return HL_E_PARSE;
			if (type == 1 && c == 0 && info->cname_len == 0 && pkt[off + 1]) {
				info->cname_off = (uint16_t)(off + 2);
				info->cname_len = pkt[off + 1];
			}
			off += 2u + pkt[off + 1];
		}
	}
	return 0;
}

int
hl_rtcp_parse(const uint8_t *pkt, size_t len, struct hl_rtcp_info *info)
{
	size_t off = 0;
	int n = 0, rc;

	memset(info, 0, offsetof(struct hl_rtcp_info, rb));
	if (len < HL_RTCP_HDR_MIN)
		return HL_E_INCOMPLETE;
	if (len > UINT16_MAX)
		return HL_E_TOOBIG;
	while (off < len) {
		if (len - off < 4)
			return HL_E_INCOMPLETE;
		const uint8_t *p = pkt + off;
		size_t plen = 4u * ((size_t)hl_rd16(p + 2) + 1), body_end;
		uint8_t pt = p[1], cnt = p[0] & 0x1f;
		if ((p[0] >> 6) != 2)
			return HL_E_VERSION;
		if (plen > len - off)
			return HL_E_INCOMPLETE;
		/* A.2: the first packet is an SR or RR; only the last may be padded. */
		if (n == 0 && pt != HL_RTCP_SR && pt != HL_RTCP_RR)
			return HL_E_PARSE;
		body_end = plen;
		if (p[0] & 0x20) {
			if (off + plen != len || p[plen - 1] == 0 || p[plen - 1] > plen - 4)
				return HL_E_PARSE;
			body_end = plen - p[plen - 1];
		}
		if (n == HL_RTCP_MAX_ITEMS)
			return HL_E_TOOBIG;
		switch (pt) {
		case HL_RTCP_SR:
		case HL_RTCP_RR: {
			size_t rb_off = pt == HL_RTCP_SR ? 28 : 8;
			if (rb_off + 24u * cnt > body_end)
				return HL_E_PARSE;
			if (n == 0) {
				info->ssrc = hl_rd32(p + 4);
				if (pt == HL_RTCP_SR) {
					info->has_sr = 1;
					info->si.ntp = (uint64_t)hl_rd32(p + 8) << 32 | hl_rd32(p + 12);
					info->si.rtp_ts = hl_rd32(p + 16);
					info->si.pkt_count = hl_rd32(p + 20);
					info->si.octet_count = hl_rd32(p + 24);
				}
			}
			for (unsigned int i = 0; i < cnt && info->n_rb < HL_RTCP_MAX_RB; i++)
				read_rb(p + rb_off + 24u * i, &info->rb[info->n_rb++]);
			break;
		}
		case HL_RTCP_SDES:
			rc = parse_sdes(pkt, off + 4, off + body_end, cnt, info);
			if (rc < 0)
				return rc;
			break;
		case HL_RTCP_BYE:
			if (4 + 4u * cnt > body_end)
				return HL_E_PARSE;
			if (4 + 4u * cnt < body_end &&
			    4 + 4u * cnt + 1 + p[4 + 4u * cnt] > body_end)
				return HL_E_PARSE;
			info->has_bye = 1;
			break;
		case HL_RTCP_APP:
			if (body_end < 12)
				return HL_E_PARSE;
			break;
		default:
			break;
		}
		info->item[n].pt = pt;
		info->item[n].count = cnt;
		info->item[n].off = (uint16_t)off;
		info->item[n].len = (uint16_t)plen;
		n++;
		info->n_items = (uint8_t)n;
		off += plen;
	}
	return n;
}

int
hl_rtcp_build_report(uint8_t *buf, size_t cap, uint32_t ssrc, const struct hl_rtcp_sender_info *si,
		     const struct hl_rtcp_report_block *rb, unsigned int n)
{
	size_t len = (si ? 28u : 8u) + 24u * n;
	uint8_t *p;

	if (n > 31 || len > cap)
		return HL_E_TOOBIG;
	buf[0] = (uint8_t)(0x80 | n);
	buf[1] = si ? HL_RTCP_SR : HL_RTCP_RR;
	hl_wr16(buf + 2, (uint16_t)(len / 4 - 1));
	hl_wr32(buf + 4, ssrc);
	p = buf + 8;
	if (si) {
		hl_wr32(p, (uint32_t)(si->ntp >> 32));
		hl_wr32(p + 4, (uint32_t)si->ntp);
		hl_wr32(p + 8, si->rtp_ts);
		hl_wr32(p + 12, si->pkt_count);
		hl_wr32(p + 16, si->octet_count);
		p += 20;
	}
	for (unsigned int i = 0; i < n; i++, p += 24) {
		int32_t l = rb[i].lost;
		/* §6.4.1: cumulative lost is a signed 24-bit value, clamped. */
		if (l > 0x7fffff)
			l = 0x7fffff;
		if (l < -0x800000)
			l = -0x800000;
		hl_wr32(p, rb[i].ssrc);
		hl_wr32(p + 4, (uint32_t)rb[i].fraction_lost << 24 | ((uint32_t)l & 0xffffff));
		hl_wr32(p + 8, rb[i].ext_high_seq);
		hl_wr32(p + 12, rb[i].jitter);
		hl_wr32(p + 16, rb[i].lsr);
		hl_wr32(p + 20, rb[i].dlsr);
	}
	return (int)len;
}

int
hl_rtcp_build_sdes_cname(uint8_t *buf, size_t cap, uint32_t ssrc, const char *cname,
			 size_t cname_len)
{
	/* header, SSRC, type, length, text, null item, zero padding to 32 bits */
	size_t len = (8 + 2 + cname_len + 1 + 3) & ~(size_t)3;

	if (cname_len == 0 || cname_len > 255)
		return HL_E_CONFIG;
	if (len > cap)
		return HL_E_TOOBIG;
	memset(buf, 0, len);
	buf[0] = 0x81;
	buf[1] = HL_RTCP_SDES;
	hl_wr16(buf + 2, (uint16_t)(len / 4 - 1));
	hl_wr32(buf + 4, ssrc);
	buf[8] = 1;
	buf[9] = (uint8_t)cname_len;
	memcpy(buf + 10, cname, cname_len);
	return (int)len;
}

int
hl_rtcp_build_bye(uint8_t *buf, size_t cap, uint32_t ssrc)
{
	if (cap < 8)
		return HL_E_TOOBIG;
	buf[0] = 0x81;
	buf[1] = HL_RTCP_BYE;
	hl_wr16(buf + 2, 1);
	hl_wr32(buf + 4, ssrc);
	return 8;
}

/* ---- rewriter ---- */

void
hl_rtp_rewriter_init(struct hl_rtp_rewriter *rw, uint32_t out_ssrc, uint16_t first_seq,
		     uint32_t first_ts)
{
	memset(rw, 0, sizeof(*rw));
	rw->out_ssrc = out_ssrc;
	rw->last_seq = (uint16_t)(first_seq - 1);
	rw->last_ts = first_ts;
	for (unsigned int i = 0; i < 128; i++)
		rw->pt_map[i] = (uint8_t)i;
}

int
hl_rtp_rewriter_map_pt(struct hl_rtp_rewriter *rw, unsigned int in_pt, unsigned int out_pt)
{
	if (in_pt > 127 || (out_pt > 127 && out_pt != HL_RTP_PT_DROP))
		return HL_E_CONFIG;
	rw->pt_map[in_pt] = (uint8_t)out_pt;
	return 0;
}

void
hl_rtp_rewriter_rebase(struct hl_rtp_rewriter *rw)
{
	rw->bound = 0;
}

int
hl_rtp_rewrite_full(struct hl_rtp_rewriter *rw, uint8_t *pkt, const struct hl_rtp_hdr *h,
		    uint32_t arrival)
{
	uint8_t out_pt = rw->pt_map[h->pt & 0x7f];
	uint8_t marker = h->marker;
	uint16_t seq;
	uint32_t ts;

	if (hl_unlikely(out_pt == HL_RTP_PT_DROP))
		return HL_E_NOTFOUND;
	if (hl_unlikely(!rw->bound || h->ssrc != rw->in_ssrc)) {
		uint16_t next_seq = (uint16_t)(rw->last_seq + 1);
		uint32_t next_ts = rw->last_ts;
		if (rw->started) {
			/* Keep the far end's clock running through the gap. */
			int32_t gap = (int32_t)(arrival - rw->last_arrival);
			next_ts += gap > 0 ? (uint32_t)gap : 1u;
			marker = 1;
		}
		rw->seq_off = (uint16_t)(next_seq - h->seq);
		rw->ts_off = next_ts - h->ts;
		rw->in_ssrc = h->ssrc;
		rw->bound = 1;
		rw->rebased++;
	}
	seq = (uint16_t)(h->seq + rw->seq_off);
	ts = h->ts + rw->ts_off;
	if (hl_unlikely(rw->guarded)) {
		int16_t d = (int16_t)(seq - rw->guard_seq);
		if (d <= 0)
			return HL_E_REPLAY;
		if (d > HL_RTP_GUARD_SPAN)
			rw->guarded = 0;
	}
	hl_rtp_rewrite_out(rw, pkt, seq, ts, marker, out_pt, arrival);
	return 0;
}

uint16_t
hl_rtp_rewriter_take_seq(struct hl_rtp_rewriter *rw, uint32_t ts, uint32_t arrival)
{
	uint16_t seq = (uint16_t)(rw->last_seq + 1);

	/* Unbound, the next relayed packet starts at last_seq + 1 anyway. */
	rw->seq_off++;
	rw->last_seq = seq;
	rw->last_ts = ts;
	rw->last_arrival = arrival;
	rw->started = 1;
	rw->guarded = 1;
	rw->guard_seq = seq;
	return seq;
}

/* ---- receiver statistics, RFC 3550 Appendix A ---- */

#define MIN_SEQUENTIAL 2
#define MAX_DROPOUT HL_RTP_MAX_DROPOUT
#define MAX_MISORDER 100
#define SEQ_MOD (1u << 16)

void
hl_rtp_rx_stats_init(struct hl_rtp_rx_stats *s, uint32_t clock_rate)
{
	memset(s, 0, sizeof(*s));
	s->clock_rate = clock_rate;
}

void
hl_rtp_rx_stats_set_clock(struct hl_rtp_rx_stats *s, uint32_t clock_rate)
{
	if (clock_rate == 0 || clock_rate == s->clock_rate)
		return;
	/* The jitter so far, in the new units; the next transit time is the first in
	 * them, so the difference across the change is not a sample. */
	s->jitter_q4 = (uint32_t)((uint64_t)s->jitter_q4 * clock_rate / s->clock_rate);
	s->have_transit = 0;
	s->clock_rate = clock_rate;
}

/* A.1 init_seq() */
static void
init_seq(struct hl_rtp_rx_stats *s, uint16_t seq)
{
	s->base_seq = seq;
	s->max_seq = seq;
	s->bad_seq = SEQ_MOD + 1;
	s->cycles = 0;
	s->received = 0;
	s->received_prior = 0;
	s->expected_prior = 0;
}

/* The current run's expected and lost go to the leg's totals (a new source, or a
 * confirmed jump that starts the run afresh): loss is over the whole leg. */
static void
fold_run(struct hl_rtp_rx_stats *s)
{
	int32_t lost = hl_rtp_rx_stats_lost(s);

	s->lost_prior += lost > 0 ? (uint64_t)lost : 0;
	s->expected_total_prior += hl_rtp_rx_stats_expected(s);
}

/* A.1 update_seq(): 1 valid, 0 not. */
static int
update_seq(struct hl_rtp_rx_stats *s, uint16_t seq)
{
	uint16_t udelta = (uint16_t)(seq - s->max_seq);

	if (s->probation) {
		if (seq == (uint16_t)(s->max_seq + 1)) {
			s->probation--;
			s->max_seq = seq;
			if (s->probation == 0) {
				init_seq(s, seq);
				s->received++;
				return 1;
			}
		} else {
			s->probation = MIN_SEQUENTIAL - 1;
			s->max_seq = seq;
		}
		s->probation_drops++;
		return 0;
	} else if (udelta < MAX_DROPOUT) {
		if (seq < s->max_seq)
			s->cycles += SEQ_MOD;
		s->max_seq = seq;
	} else if (udelta <= SEQ_MOD - MAX_MISORDER) {
		/* A large jump: believe it only if the next packet follows it. */
		if (seq == s->bad_seq) {
			fold_run(s);
			init_seq(s, seq);
			s->have_transit = 0;
		} else {
			s->bad_seq = (seq + 1) & (SEQ_MOD - 1);
			s->bad_seq_drops++;
			return 0;
		}
	}
	/* else: duplicate or reordered, counted as received (A.3 lost may go negative) */
	s->received++;
	return 1;
}

uint32_t
hl_rtp_rx_stats_ext_max(const struct hl_rtp_rx_stats *s)
{
	return s->cycles + s->max_seq;
}

uint32_t
hl_rtp_rx_stats_expected(const struct hl_rtp_rx_stats *s)
{
	if (!s->have_source || s->probation)
		return 0;
	return hl_rtp_rx_stats_ext_max(s) - s->base_seq + 1;
}

int32_t
hl_rtp_rx_stats_lost(const struct hl_rtp_rx_stats *s)
{
	int64_t lost = (int64_t)hl_rtp_rx_stats_expected(s) - s->received;
	if (lost > 0x7fffff)
		lost = 0x7fffff;
	if (lost < -0x800000)
		lost = -0x800000;
	return (int32_t)lost;
}

int
hl_rtp_rx_stats_update_full(struct hl_rtp_rx_stats *s, const struct hl_rtp_hdr *h,
			    uint32_t arrival)
{
	if (hl_unlikely(!s->have_source || h->ssrc != s->ssrc)) {
		bool had_source = s->have_source;

		if (had_source && !(s->cand_have && h->ssrc == s->cand_ssrc &&
					 h->seq == s->cand_next)) {
			/*
			 * Another source while this one runs: it waits as the candidate, on
			 * A.1's probation, and this one's packets and figures go on. It takes
			 * over when its next packet follows; a stray packet of another SSRC,
			 * or a second sender taking turns with this one, no longer puts the
			 * stream on probation.
			 */
			s->cand_ssrc = h->ssrc;
			s->cand_next = (uint16_t)(h->seq + 1);
			s->cand_have = 1;
			s->probation_drops++;
			return 0;
		}
		if (had_source) { /* the candidate's next packet followed */
			fold_run(s);
			s->ssrc_changes++;
		}
		s->cand_have = 0;
		s->ssrc = h->ssrc;
		s->have_source = 1;
		s->have_transit = 0;
		s->jitter_q4 = 0;
		init_seq(s, h->seq);
		if (!had_source) {
			s->max_seq = (uint16_t)(h->seq - 1);
			s->probation = MIN_SEQUENTIAL;
		} else {
			/* Its probation is done: this packet is its first valid one. */
			s->probation = 0;
		}
	}
	if (!update_seq(s, h->seq))
		return 0;
	s->packets++;
	s->bytes += h->payload_len;

	hl_rtp_rx_jitter(s, h->ts, arrival);
	return 1;
}

int
hl_rtp_rx_stats_report_block(struct hl_rtp_rx_stats *s, uint64_t now,
			     struct hl_rtcp_report_block *rb)
{
	uint32_t expected, expected_interval, received_interval;
	int32_t lost_interval;

	if (!s->have_source)
		return HL_E_NOTFOUND;
	/* A.3 */
	expected = hl_rtp_rx_stats_expected(s);
	expected_interval = expected - s->expected_prior;
	s->expected_prior = expected;
	received_interval = s->received - s->received_prior;
	s->received_prior = s->received;
	lost_interval = (int32_t)(expected_interval - received_interval);
	if (expected_interval == 0 || lost_interval <= 0)
		s->last_fraction = 0;
	else
		s->last_fraction = (uint8_t)(((uint64_t)lost_interval << 8) / expected_interval);

	rb->ssrc = s->ssrc;
	rb->fraction_lost = s->last_fraction;
	rb->lost = hl_rtp_rx_stats_lost(s);
	rb->ext_high_seq = hl_rtp_rx_stats_ext_max(s);
	rb->jitter = hl_rtp_rx_stats_jitter(s);
	/* §6.4.1: LSR and DLSR are those of the last SR from this source, 0 until one
	 * came (an SR of an earlier source, or of another, is not this one's). */
	bool sr = s->last_sr_mid32 != 0 && s->last_sr_ssrc == s->ssrc;
	rb->lsr = sr ? s->last_sr_mid32 : 0;
	rb->dlsr = sr ? (uint32_t)((now - s->last_sr_arrival) >> 16) : 0;
	return 0;
}

int
hl_rtp_rx_stats_on_rtcp(struct hl_rtp_rx_stats *s, const struct hl_rtcp_info *info,
			uint32_t our_ssrc, uint64_t now)
{
	int measured = 0;

	if (info->has_sr) {
		s->last_sr_mid32 = hl_ntp_mid32(info->si.ntp);
		s->last_sr_arrival = now;
		s->last_sr_ssrc = info->ssrc;
	}
	for (unsigned int i = 0; i < info->n_rb; i++) {
		const struct hl_rtcp_report_block *rb = &info->rb[i];
		if (rb->ssrc != our_ssrc)
			continue;
		s->remote_fraction = rb->fraction_lost;
		s->remote_lost = rb->lost;
		s->remote_jitter = rb->jitter;
		if (rb->lsr == 0)
			continue;
		/* §6.4.1: RTT = A - LSR - DLSR, in 1/65536 s. */
		int32_t rtt = (int32_t)(hl_ntp_mid32(now) - rb->lsr - rb->dlsr);
		if (rtt < 0)
			continue;
		s->rtt_ms = (uint32_t)(((uint64_t)rtt * 1000 + 32768) >> 16);
		s->have_rtt = 1;
		measured = 1;
	}
	return measured;
}

double
hl_rtp_rx_stats_loss_pct(const struct hl_rtp_rx_stats *s)
{
	int32_t lost = hl_rtp_rx_stats_lost(s);
	double l = (double)s->lost_prior + (lost > 0 ? lost : 0);
	double e = (double)s->expected_total_prior + hl_rtp_rx_stats_expected(s);

	if (e <= 0)
		return 0.0;
	return l >= e ? 100.0 : 100.0 * l / e;
}

double
hl_emodel_r(double d, double loss_pct, struct hl_emodel_codec codec)
{
	double id, ie_eff;

	if (d < 0)
		d = 0;
	if (loss_pct < 0)
		loss_pct = 0;
	if (loss_pct > 100)
		loss_pct = 100;
	/* G.107 Id simplified (Cole & Rosenbluth): knee at 177.3 ms one-way. */
	id = 0.024 * d + (d > 177.3 ? 0.11 * (d - 177.3) : 0.0);
	/* G.107 §7.2 eq. 7-29 with BurstR = 1 */
	ie_eff = codec.ie + (95.0 - codec.ie) * loss_pct / (loss_pct + codec.bpl);
	/* R0 - Is + A with G.107 default values */
	return 93.2 - id - ie_eff;
}

double
hl_emodel_mos(double r)
{
	if (r <= 0)
		return 1.0;
	if (r >= 100)
		return 4.5;
	return 1.0 + 0.035 * r + r * (r - 60.0) * (100.0 - r) * 7e-6;
}

double
hl_rtp_rx_stats_mos(const struct hl_rtp_rx_stats *s, double extra_delay_ms,
		    struct hl_emodel_codec codec)
{
	double d = extra_delay_ms + (s->have_rtt ? s->rtt_ms / 2.0 : 0.0);
	return hl_emodel_mos(hl_emodel_r(d, hl_rtp_rx_stats_loss_pct(s), codec));
}
