/*
 * libFuzzer target: RTP header parser, RFC 5761 demux, receiver statistics and the relay
 * rewriter. The input is a sequence of records [len][arrival step][len octets], each an
 * RTP packet of one leg, so sequence validation, jitter and rebasing see real sequences;
 * a record of length 0 is a packet of our own in the outgoing stream
 * (hl_rtp_rewriter_take_seq(), a telephone-event hotline sends), which relayed packets
 * must never land on or behind while the rewriter guards it. The inlined fast paths of
 * rtp.h run beside the full functions on a second copy of the state: same verdicts, same
 * state, same bytes, every packet.
 */
#include <stdlib.h>
#include <string.h>

#include "hotline/rtp.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct hl_rtp_rx_stats st, st2;
	struct hl_rtp_rewriter rw, rw2;
	struct hl_rtp_hdr h, h2;
	uint32_t arrival = 0;

	/* the whole input as one packet, in an exact-size heap copy */
	uint8_t *one = malloc(size ? size : 1);
	memcpy(one, data, size);
	memset(&h, 0, sizeof(h)); /* padding too: the two are compared whole */
	memset(&h2, 0, sizeof(h2));
	int rc = hl_rtp_parse(one, size, &h);
	if (rc >= 0 && (size_t)h.payload_off + h.payload_len + h.pad_len != size)
		__builtin_trap();
	if (hl_rtp_parse_full(one, size, &h2) != rc || (rc >= 0 && memcmp(&h, &h2, sizeof(h))))
		__builtin_trap();
	(void)hl_rtp_demux(one, size);
	free(one);

	hl_rtp_rx_stats_init(&st, 8000);
	hl_rtp_rewriter_init(&rw, 0x11223344, 1000, 5000);
	hl_rtp_rewriter_map_pt(&rw, 101, 96);
	hl_rtp_rewriter_map_pt(&rw, 13, HL_RTP_PT_DROP);
	st2 = st;
	rw2 = rw;
	while (size >= 2) {
		size_t len = data[0];
		arrival += data[1] * 8u;
		data += 2;
		size -= 2;
		if (len > size)
			len = size;
		if (len == 0) {
			uint16_t last = rw.last_seq;
			uint16_t s = hl_rtp_rewriter_take_seq(&rw, rw.last_ts + 160, arrival);
			(void)hl_rtp_rewriter_take_seq(&rw2, rw2.last_ts + 160, arrival);
			if (s != (uint16_t)(last + 1) || rw.last_seq != s || !rw.guarded ||
				rw.guard_seq != s || !rw.started)
				__builtin_trap();
			continue;
		}
		uint8_t *pkt = malloc(len ? len : 1), *pkt2 = malloc(len ? len : 1);
		memcpy(pkt, data, len);
		memcpy(pkt2, data, len);
		if (hl_rtp_parse(pkt, len, &h) >= 0) {
			if (h.payload_off + h.payload_len + h.pad_len != len)
				__builtin_trap();
			uint64_t before = st.packets;
			int v = hl_rtp_rx_stats_update(&st, &h, arrival);
			/* packets counts the valid ones */
			if (st.packets != before + (v ? 1 : 0))
				__builtin_trap();
			if (hl_rtp_rx_stats_update_full(&st2, &h, arrival) != v ||
				memcmp(&st, &st2, sizeof(st)) != 0)
				__builtin_trap();
			uint16_t last = rw.last_seq;
			int started = rw.started;
			uint64_t rebased = rw.rebased;
			int guarded = rw.guarded;
			uint16_t guard = rw.guard_seq;
			int w = hl_rtp_rewrite(&rw, pkt, &h, arrival);
			if (hl_rtp_rewrite_full(&rw2, pkt2, &h, arrival) != w ||
				memcmp(&rw, &rw2, sizeof(rw)) != 0 || memcmp(pkt, pkt2, len) != 0)
				__builtin_trap();
			if (w == 0) {
				struct hl_rtp_hdr o;
				if (hl_rtp_parse(pkt, len, &o) < 0 || o.ssrc != 0x11223344)
					__builtin_trap();
				/* never on or behind a number an own packet took */
				if (guarded && (int16_t)(o.seq - guard) <= 0)
					__builtin_trap();
				/* a rebased packet follows the last one sent, marked */
				if (started && rw.rebased != rebased &&
				    (o.seq != (uint16_t)(last + 1) || !o.marker))
					__builtin_trap();
				if (h.ssrc != rw.in_ssrc)
					__builtin_trap();
			}
			struct hl_rtcp_report_block rb;
			hl_rtp_rx_stats_report_block(&st, arrival, &rb);
			hl_rtp_rx_stats_report_block(&st2, arrival, &rb);
			(void)hl_rtp_rx_stats_mos(&st, 20, HL_EMODEL_G711_PLC);
			double l = hl_rtp_rx_stats_loss_pct(&st);
			if (!(l >= 0.0 && l <= 100.0))
				__builtin_trap();
		}
		free(pkt);
		free(pkt2);
		data += len;
		size -= len;
	}
	return 0;
}
