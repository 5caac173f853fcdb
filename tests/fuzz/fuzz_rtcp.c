/*
 * libFuzzer target: RTCP compound parser, then the statistics that consume it (RTT, LSR)
 * and the builders: every report block found must rebuild into a packet that parses back
 * to the same values.
 */
#include <stdlib.h>
#include <string.h>

#include "hotline/rtp.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct hl_rtcp_info info, back;
	struct hl_rtp_rx_stats st;
	uint8_t out[28 + 24 * HL_RTCP_MAX_RB + 300];
	uint8_t *pkt = malloc(size ? size : 1);
	int n;

	memcpy(pkt, data, size);
	n = hl_rtcp_parse(pkt, size, &info);
	if (n > 0) {
		size_t sum = 0;
		for (int i = 0; i < info.n_items; i++)
			sum += info.item[i].len;
		if (info.n_items != n || sum != size || info.n_rb > HL_RTCP_MAX_RB)
			__builtin_trap();
		if (info.cname_len && (size_t)info.cname_off + info.cname_len > size)
			__builtin_trap();
		hl_rtp_rx_stats_init(&st, 8000);
		hl_rtp_rx_stats_on_rtcp(&st, &info, info.n_rb ? info.rb[0].ssrc : 0,
					info.si.ntp + (1ull << 31));
		struct hl_rtcp_report_block rb;
		(void)hl_rtp_rx_stats_report_block(&st, info.si.ntp, &rb);

		int len = hl_rtcp_build_report(out, sizeof(out), info.ssrc,
					       info.has_sr ? &info.si : NULL, info.rb, info.n_rb);
		if (len < 0)
			__builtin_trap();
		if (info.cname_len) {
			const char *cname = (const char *)pkt + info.cname_off;
			int m = hl_rtcp_build_sdes_cname(out + len, sizeof(out) - (size_t)len,
							 info.ssrc, cname, info.cname_len);
			if (m < 0)
				__builtin_trap();
			len += m;
		}
		if (hl_rtcp_parse(out, (size_t)len, &back) <= 0 || back.n_rb != info.n_rb ||
		    back.ssrc != info.ssrc || back.has_sr != info.has_sr ||
		    back.cname_len != info.cname_len)
			__builtin_trap();
		for (int i = 0; i < info.n_rb; i++) {
			const struct hl_rtcp_report_block *x = &back.rb[i], *y = &info.rb[i];
			if (x->ssrc != y->ssrc || x->fraction_lost != y->fraction_lost ||
			    x->lost != y->lost || x->ext_high_seq != y->ext_high_seq ||
			    x->jitter != y->jitter || x->lsr != y->lsr || x->dlsr != y->dlsr)
				__builtin_trap();
		}
	}
	free(pkt);
	return 0;
}
