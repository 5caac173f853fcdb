/* Unit tests for include/hotline/rtp.h: RTP/RTCP parsers on guard pages and at every
 * truncation, builders, rewriter continuity, RFC 3550 A.1/A.3/A.8 statistics, RTT, MOS. */
#include <math.h>

#include "hl_test.h"
#include "hotline/csum.h"
#include "hotline/rtp.h"

/* ---- RTP header parse ---- */

static const struct {
	const char *name;
	uint8_t bytes[48];
	uint8_t len;
	int rc;		/* payload offset or HL_E_* */
	uint16_t payload_len, pad_len, ext_len, ext_profile, seq;
	uint8_t pt, marker, cc;
	uint32_t ts, ssrc;
} rtp_cases[] = {
	{"minimal", {0x80, 0x00, 0x12, 0x34, 0, 0, 0x01, 0x00, 0xca, 0xfe, 0xba, 0xbe}, 12, 12,
	 0, 0, 0, 0, 0x1234, 0, 0, 0, 256, 0xcafebabe},
	{"marker pt 101 payload 4",
	 {0x80, 0xe5, 0xff, 0xff, 0xde, 0xad, 0xbe, 0xef, 0, 0, 0, 1, 1, 0x8a, 0, 0xa0}, 16, 12, 4,
	 0, 0, 0, 0xffff, 101, 1, 0, 0xdeadbeef, 1},
	{"two csrc", {0x82, 0x08, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3, 0xaa}, 21,
	 20, 1, 0, 0, 0, 1, 8, 0, 2, 0, 1},
	{"one-byte extension",
	 {0x90, 0x00, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 0xbe, 0xde, 0, 1, 0x10, 0xff, 0, 0, 0x55}, 21,
	 20, 1, 0, 4, 0xbede, 1, 0, 0, 0, 0, 1},
	{"padding 3",
	 {0xa0, 0x00, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 0x11, 0x22, 0, 0, 3}, 17, 12, 2, 3, 0, 0, 1,
	 0, 0, 0, 0, 1},
	{"padding everything", {0xa0, 0x00, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 4}, 16, 12, 0,
	 4, 0, 0, 1, 0, 0, 0, 0, 1},
	{"padding zero", {0xa0, 0x00, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0}, 16, HL_E_PARSE},
	{"padding past header", {0xa0, 0x00, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 5}, 16,
	 HL_E_PARSE},
	{"padding bit no payload", {0xa0, 0x00, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1}, 12, HL_E_PARSE},
	{"version 1", {0x40, 0x00, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1}, 12, HL_E_VERSION},
	{"version 0 (STUN)", {0x00, 0x01, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1}, 12, HL_E_VERSION},
	{"short", {0x80, 0x00, 0, 1, 0, 0, 0, 0, 0, 0, 0}, 11, HL_E_INCOMPLETE},
	{"csrc past end", {0x8f, 0x00, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0}, 16,
	 HL_E_INCOMPLETE},
	{"extension past end",
	 {0x90, 0x00, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 0xbe, 0xde, 0, 2, 0, 0, 0, 0}, 20,
	 HL_E_INCOMPLETE},
	{"extension header cut", {0x90, 0x00, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 0xbe, 0xde}, 14,
	 HL_E_INCOMPLETE},
};

HL_TEST(rtp_parse_table_guarded)
{
	for (unsigned int i = 0; i < HL_ARRAY_SIZE(rtp_cases); i++) {
		struct hl_test_guard_buf g = {0};
		struct hl_rtp_hdr h;
		const uint8_t *p = hl_test_guard(&g, rtp_cases[i].bytes, rtp_cases[i].len);
		int rc = hl_rtp_parse(p, rtp_cases[i].len, &h);
		HL_CHECK_MSG(rc == rtp_cases[i].rc, "%s: rc %d want %d", rtp_cases[i].name, rc,
			     rtp_cases[i].rc);
		if (rc >= 0 && rc == rtp_cases[i].rc) {
			HL_CHECK_INT(h.payload_off, rc);
			HL_CHECK_MSG(h.payload_len == rtp_cases[i].payload_len, "%s payload_len %u",
				     rtp_cases[i].name, h.payload_len);
			HL_CHECK_INT(h.pad_len, rtp_cases[i].pad_len);
			HL_CHECK_INT(h.ext_len, rtp_cases[i].ext_len);
			HL_CHECK_INT(h.ext_profile, rtp_cases[i].ext_profile);
			HL_CHECK_INT(h.seq, rtp_cases[i].seq);
			HL_CHECK_INT(h.pt, rtp_cases[i].pt);
			HL_CHECK_INT(h.marker, rtp_cases[i].marker);
			HL_CHECK_INT(h.cc, rtp_cases[i].cc);
			HL_CHECK_INT(h.ts, rtp_cases[i].ts);
			HL_CHECK_INT(h.ssrc, rtp_cases[i].ssrc);
		}
		hl_test_guard_free(&g);
		/* Every truncation of a valid header is refused or parses within its length. */
		for (unsigned int cut = 0; cut < rtp_cases[i].len; cut++) {
			struct hl_test_guard_buf g2 = {0};
			p = hl_test_guard(&g2, rtp_cases[i].bytes, cut);
			rc = hl_rtp_parse(p, cut, &h);
			if (rc >= 0)
				HL_CHECK(h.payload_off + h.payload_len + h.pad_len == (int)cut);
			if (cut < 12)
				HL_CHECK(rc < 0);
			hl_test_guard_free(&g2);
		}
	}
}

HL_TEST(demux_rfc5761)
{
	static const struct {
		uint8_t b0, b1;
		enum hl_rtp_demux want;
	} t[] = {
		{0x80, 0x00, HL_DEMUX_RTP},  {0x80, 0x7f, HL_DEMUX_RTP},
		{0x80, 0xbf, HL_DEMUX_RTP},  {0x80, 0xc0, HL_DEMUX_RTCP},
		{0x80, 0xc8, HL_DEMUX_RTCP}, {0x81, 0xdf, HL_DEMUX_RTCP},
		{0x80, 0xe0, HL_DEMUX_RTP},  {0x00, 0x01, HL_DEMUX_OTHER},
		{0x16, 0xfe, HL_DEMUX_OTHER},
	};
	for (unsigned int i = 0; i < HL_ARRAY_SIZE(t); i++) {
		uint8_t b[2] = {t[i].b0, t[i].b1};
		struct hl_test_guard_buf g = {0};
		const uint8_t *p = hl_test_guard(&g, b, 2);
		HL_CHECK_MSG(hl_rtp_demux(p, 2) == t[i].want, "case %u", i);
		HL_CHECK(hl_rtp_demux(p + 1, 1) == HL_DEMUX_OTHER);
		hl_test_guard_free(&g);
	}
}

/* ---- RTCP ---- */

static int
build_compound(uint8_t *buf, size_t cap)
{
	struct hl_rtcp_sender_info si = {0xe5a1b2c3d4e5f607ull, 123456, 100, 16000};
	struct hl_rtcp_report_block rb[2] = {
		{0x01020304, 64, 7, 0x00010005, 33, 0xb2c3d4e5, 0x18000},
		{0x0a0b0c0d, 0, -3, 99, 0, 0, 0},
	};
	int n = hl_rtcp_build_report(buf, cap, 0xcafebabe, &si, rb, 2);
	if (n < 0)
		return n;
	int m = hl_rtcp_build_sdes_cname(buf + n, cap - (size_t)n, 0xcafebabe, "hl@10.0.0.1", 11);
	if (m < 0)
		return m;
	return n + m;
}

HL_TEST(rtcp_build_parse_round_trip)
{
	uint8_t buf[256];
	struct hl_rtcp_info info;
	int len = build_compound(buf, sizeof(buf));

	HL_CHECK_INT(len, 28 + 48 + 24);
	HL_CHECK_INT(buf[0], 0x82);
	HL_CHECK_INT(buf[1], 200);
	HL_CHECK_INT(buf[3], 18);
	/* lost -3 as 24-bit two's complement */
	HL_CHECK_INT(buf[28 + 24 + 5], 0xff);
	HL_CHECK_INT(buf[28 + 24 + 7], 0xfd);

	struct hl_test_guard_buf g = {0};
	const uint8_t *p = hl_test_guard(&g, buf, (size_t)len);
	HL_CHECK_INT(hl_rtcp_parse(p, (size_t)len, &info), 2);
	HL_CHECK_INT(info.ssrc, 0xcafebabe);
	HL_CHECK_INT(info.has_sr, 1);
	HL_CHECK(info.si.ntp == 0xe5a1b2c3d4e5f607ull);
	HL_CHECK_INT(info.si.rtp_ts, 123456);
	HL_CHECK_INT(info.si.pkt_count, 100);
	HL_CHECK_INT(info.si.octet_count, 16000);
	HL_CHECK_INT(info.n_rb, 2);
	HL_CHECK_INT(info.rb[0].ssrc, 0x01020304);
	HL_CHECK_INT(info.rb[0].fraction_lost, 64);
	HL_CHECK_INT(info.rb[0].lost, 7);
	HL_CHECK_INT(info.rb[0].ext_high_seq, 0x00010005);
	HL_CHECK_INT(info.rb[0].jitter, 33);
	HL_CHECK_INT(info.rb[0].lsr, 0xb2c3d4e5);
	HL_CHECK_INT(info.rb[0].dlsr, 0x18000);
	HL_CHECK_INT(info.rb[1].lost, -3);
	HL_CHECK_INT(info.n_items, 2);
	HL_CHECK_INT(info.item[1].pt, HL_RTCP_SDES);
	HL_CHECK_INT(info.item[1].off, 76);
	HL_CHECK_INT(info.item[1].len, 24);
	HL_CHECK_INT(info.cname_len, 11);
	HL_CHECK_MEM(p + info.cname_off, "hl@10.0.0.1", 11);
	hl_test_guard_free(&g);

	/* Every truncation is an error, never a read past the end. */
	for (int cut = 0; cut < len; cut++) {
		struct hl_test_guard_buf g2 = {0};
		p = hl_test_guard(&g2, buf, (size_t)cut);
		int rc = hl_rtcp_parse(p, (size_t)cut, &info);
		/* cutting exactly after the SR leaves a valid single packet */
		if (cut == 76)
			HL_CHECK_INT(rc, 1);
		else
			HL_CHECK_MSG(rc < 0, "cut %d rc %d", cut, rc);
		hl_test_guard_free(&g2);
	}

	/* RR + BYE, built */
	struct hl_rtcp_report_block rb = {0};
	len = hl_rtcp_build_report(buf, sizeof(buf), 7, NULL, &rb, 0);
	HL_CHECK_INT(len, 8);
	len += hl_rtcp_build_bye(buf + len, sizeof(buf) - (size_t)len, 7);
	HL_CHECK_INT(hl_rtcp_parse(buf, (size_t)len, &info), 2);
	HL_CHECK_INT(info.has_bye, 1);
	HL_CHECK_INT(info.has_sr, 0);
	HL_CHECK_INT(hl_rtcp_build_report(buf, 20, 7, NULL, &rb, 1), HL_E_TOOBIG);
	HL_CHECK_INT(hl_rtcp_build_report(buf, sizeof(buf), 7, NULL, &rb, 32), HL_E_TOOBIG);
	HL_CHECK_INT(hl_rtcp_build_sdes_cname(buf, 12, 7, "abcdefgh", 8), HL_E_TOOBIG);
	HL_CHECK_INT(hl_rtcp_build_sdes_cname(buf, 16, 7, "abcdef", 6), HL_E_TOOBIG);
	HL_CHECK_INT(hl_rtcp_build_sdes_cname(buf, 16, 7, "abcde", 5), 16);
	HL_CHECK_INT(hl_rtcp_build_sdes_cname(buf, 20, 7, "abcdefg", 7), 20);
}

static const struct {
	const char *name;
	uint8_t bytes[64];
	uint8_t len;
	int rc;
} rtcp_cases[] = {
	{"empty RR", {0x80, 201, 0, 1, 0, 0, 0, 1}, 8, 1},
	{"RR + APP", {0x80, 201, 0, 1, 0, 0, 0, 1, 0x81, 204, 0, 2, 0, 0, 0, 1, 'a', 'b', 'c', 'd'},
	 20, 2},
	{"RR + BYE reason",
	 {0x80, 201, 0, 1, 0, 0, 0, 1, 0x81, 203, 0, 2, 0, 0, 0, 1, 3, 'b', 'y', 'e'}, 20, 2},
	{"RR + padded last",
	 {0x80, 201, 0, 1, 0, 0, 0, 1, 0xa1, 203, 0, 2, 0, 0, 0, 1, 0, 0, 0, 4}, 20, 2},
	{"RR + feedback", {0x80, 201, 0, 1, 0, 0, 0, 1, 0x81, 205, 0, 2, 0, 0, 0, 1, 0, 0, 0, 2},
	 20, 2},
	{"first is SDES", {0x81, 202, 0, 1, 0, 0, 0, 1}, 8, HL_E_PARSE},
	{"version 1", {0x40, 201, 0, 1, 0, 0, 0, 1}, 8, HL_E_VERSION},
	{"second version 1", {0x80, 201, 0, 1, 0, 0, 0, 1, 0x40, 204, 0, 1, 0, 0, 0, 1}, 16,
	 HL_E_VERSION},
	{"padding not last",
	 {0xa0, 201, 0, 1, 0, 0, 0, 4, 0x81, 203, 0, 1, 0, 0, 0, 1}, 16, HL_E_PARSE},
	{"padding count zero", {0xa0, 201, 0, 1, 0, 0, 0, 0}, 8, HL_E_PARSE},
	{"padding too long", {0xa0, 201, 0, 1, 0, 0, 0, 8}, 8, HL_E_PARSE},
	{"length past end", {0x80, 201, 0, 2, 0, 0, 0, 1}, 8, HL_E_INCOMPLETE},
	{"trailing bytes", {0x80, 201, 0, 1, 0, 0, 0, 1, 0x80, 0}, 10, HL_E_INCOMPLETE},
	{"RC too big", {0x81, 201, 0, 1, 0, 0, 0, 1}, 8, HL_E_PARSE},
	{"SR too short", {0x80, 200, 0, 1, 0, 0, 0, 1}, 8, HL_E_PARSE},
	{"SDES item overflow",
	 {0x80, 201, 0, 1, 0, 0, 0, 1, 0x81, 202, 0, 2, 0, 0, 0, 1, 1, 9, 'a', 'b'}, 20,
	 HL_E_PARSE},
	{"SDES no terminator",
	 {0x80, 201, 0, 1, 0, 0, 0, 1, 0x81, 202, 0, 2, 0, 0, 0, 1, 1, 2, 'a', 'b'}, 20,
	 HL_E_PARSE},
	{"SDES two chunks, one missing",
	 {0x80, 201, 0, 1, 0, 0, 0, 1, 0x82, 202, 0, 2, 0, 0, 0, 1, 1, 1, 'a', 0}, 20, HL_E_PARSE},
	{"BYE count too big", {0x80, 201, 0, 1, 0, 0, 0, 1, 0x82, 203, 0, 1, 0, 0, 0, 1}, 16,
	 HL_E_PARSE},
	{"BYE reason overflow",
	 {0x80, 201, 0, 1, 0, 0, 0, 1, 0x81, 203, 0, 2, 0, 0, 0, 1, 9, 'b', 'y', 'e'}, 20,
	 HL_E_PARSE},
	{"APP short", {0x80, 201, 0, 1, 0, 0, 0, 1, 0x81, 204, 0, 1, 0, 0, 0, 1}, 16, HL_E_PARSE},
	{"short", {0x80, 201, 0, 1, 0, 0, 0}, 7, HL_E_INCOMPLETE},
};

HL_TEST(rtcp_parse_table_guarded)
{
	for (unsigned int i = 0; i < HL_ARRAY_SIZE(rtcp_cases); i++) {
		struct hl_test_guard_buf g = {0};
		struct hl_rtcp_info info;
		const uint8_t *p = hl_test_guard(&g, rtcp_cases[i].bytes, rtcp_cases[i].len);
		int rc = hl_rtcp_parse(p, rtcp_cases[i].len, &info);
		HL_CHECK_MSG(rc == rtcp_cases[i].rc, "%s: rc %d want %d", rtcp_cases[i].name, rc,
			     rtcp_cases[i].rc);
		hl_test_guard_free(&g);
		for (unsigned int cut = 0; cut < rtcp_cases[i].len; cut++) {
			struct hl_test_guard_buf g2 = {0};
			p = hl_test_guard(&g2, rtcp_cases[i].bytes, cut);
			(void)hl_rtcp_parse(p, cut, &info);
			hl_test_guard_free(&g2);
		}
	}
}

HL_TEST(rtcp_too_many_packets)
{
	uint8_t buf[8 * 20];
	struct hl_rtcp_info info;
	for (int i = 0; i < 20; i++) {
		buf[8 * i] = 0x80;
		buf[8 * i + 1] = 201;
		buf[8 * i + 2] = 0;
		buf[8 * i + 3] = 1;
		memset(buf + 8 * i + 4, 0, 4);
	}
	HL_CHECK_INT(hl_rtcp_parse(buf, 8 * 16, &info), 16);
	HL_CHECK_INT(hl_rtcp_parse(buf, 8 * 17, &info), HL_E_TOOBIG);
}

/* ---- rewriter ---- */

static size_t
mk(uint8_t *p, uint8_t pt, int m, uint16_t seq, uint32_t ts, uint32_t ssrc)
{
	memset(p, 0, 32);
	p[0] = 0x80;
	p[1] = (uint8_t)(m << 7 | pt);
	p[2] = (uint8_t)(seq >> 8);
	p[3] = (uint8_t)seq;
	p[4] = (uint8_t)(ts >> 24);
	p[5] = (uint8_t)(ts >> 16);
	p[6] = (uint8_t)(ts >> 8);
	p[7] = (uint8_t)ts;
	p[8] = (uint8_t)(ssrc >> 24);
	p[9] = (uint8_t)(ssrc >> 16);
	p[10] = (uint8_t)(ssrc >> 8);
	p[11] = (uint8_t)ssrc;
	return 32;
}

HL_TEST(rewriter_continuity_across_sources)
{
	static const struct {
		uint8_t pt, m;
		uint16_t seq;
		uint32_t ts, ssrc, arrival;
		int rc;
		uint8_t out_pt, out_m;
		uint16_t out_seq;
		uint32_t out_ts;
	} steps[] = {
		/* customer's first agent: seq/ts pass with offsets */
		{0, 1, 5, 0, 0xa, 0, 0, 0, 1, 1000, 50000},
		{0, 0, 6, 160, 0xa, 160, 0, 0, 0, 1001, 50160},
		{0, 0, 8, 480, 0xa, 480, 0, 0, 0, 1003, 50480},   /* gap kept */
		{0, 0, 7, 320, 0xa, 500, 0, 0, 0, 1002, 50320},   /* late packet kept */
		{101, 1, 9, 640, 0xa, 640, 0, 96, 1, 1004, 50640}, /* PT mapped */
		{18, 0, 10, 800, 0xa, 800, HL_E_NOTFOUND},        /* PT dropped */
		/* transfer: agent B, new SSRC, unrelated numbers, 960 units later */
		{8, 0, 900, 7777, 0xb, 1600, 0, 8, 1, 1005, 51600},
		{8, 0, 901, 7937, 0xb, 1760, 0, 8, 0, 1006, 51760},
		/* agent B's sequence wraps: out continues */
		{8, 0, 65535, 8097, 0xc, 1920, 0, 8, 1, 1007, 51920},
		{8, 0, 0, 8257, 0xc, 2080, 0, 8, 0, 1008, 52080},
	};
	struct hl_rtp_rewriter rw;
	uint8_t pkt[32];

	hl_rtp_rewriter_init(&rw, 0x11223344, 1000, 50000);
	HL_CHECK_INT(hl_rtp_rewriter_map_pt(&rw, 101, 96), 0);
	HL_CHECK_INT(hl_rtp_rewriter_map_pt(&rw, 18, HL_RTP_PT_DROP), 0);
	HL_CHECK_INT(hl_rtp_rewriter_map_pt(&rw, 128, 0), HL_E_CONFIG);
	HL_CHECK_INT(hl_rtp_rewriter_map_pt(&rw, 0, 200), HL_E_CONFIG);
	for (unsigned int i = 0; i < HL_ARRAY_SIZE(steps); i++) {
		struct hl_rtp_hdr h;
		size_t len = mk(pkt, steps[i].pt, steps[i].m, steps[i].seq, steps[i].ts,
				steps[i].ssrc);
		HL_CHECK_INT(hl_rtp_parse(pkt, len, &h), 12);
		int rc = hl_rtp_rewrite(&rw, pkt, &h, steps[i].arrival);
		HL_CHECK_MSG(rc == steps[i].rc, "step %u rc %d", i, rc);
		if (rc != 0)
			continue;
		HL_CHECK_INT(hl_rtp_parse(pkt, len, &h), 12);
		HL_CHECK_MSG(h.seq == steps[i].out_seq, "step %u seq %u", i, h.seq);
		HL_CHECK_MSG(h.ts == steps[i].out_ts, "step %u ts %u", i, h.ts);
		HL_CHECK_MSG(h.pt == steps[i].out_pt, "step %u pt %u", i, h.pt);
		HL_CHECK_MSG(h.marker == steps[i].out_m, "step %u m %u", i, h.marker);
		HL_CHECK_INT(h.ssrc, 0x11223344);
	}
	HL_CHECK_INT(rw.rebased, 3);
	/* explicit rebase with the same SSRC (re-INVITE that restarts numbering) */
	struct hl_rtp_hdr h;
	hl_rtp_rewriter_rebase(&rw);
	mk(pkt, 8, 0, 1, 0, 0xc);
	hl_rtp_parse(pkt, 32, &h);
	HL_CHECK_INT(hl_rtp_rewrite(&rw, pkt, &h, 2080), 0);
	hl_rtp_parse(pkt, 32, &h);
	HL_CHECK_INT(h.seq, 1009);
	HL_CHECK_INT(h.ts, 52081); /* no time passed: one unit, never the same timestamp */
	HL_CHECK_INT(h.marker, 1);
}

/* Packets of our own in the outgoing stream (telephone-events made here): each takes the
 * next number, the relayed packets continue after them, late ones that would land on or
 * behind them are refused, and ones far enough behind the guard again pass as late. */
HL_TEST(rewriter_own_packets_keep_sequence)
{
	struct hl_rtp_rewriter rw;
	struct hl_rtp_hdr h;
	uint8_t pkt[32];

	hl_rtp_rewriter_init(&rw, 0x11223344, 1000, 50000);
	/* before anything is relayed: the first own packet starts the stream */
	HL_CHECK_INT(hl_rtp_rewriter_take_seq(&rw, 50000, 0), 1000);
	HL_CHECK(rw.started && rw.last_ts == 50000);
	mk(pkt, 0, 0, 7, 1000, 0xa);
	hl_rtp_parse(pkt, 32, &h);
	HL_CHECK_INT(hl_rtp_rewrite(&rw, pkt, &h, 160), 0);
	hl_rtp_parse(pkt, 32, &h);
	HL_CHECK_INT(h.seq, 1001);
	HL_CHECK_INT(h.ts, 50160); /* the gap since the own packet's time */
	HL_CHECK_INT(h.marker, 1);
	for (uint16_t s = 8; s < 12; s++) {
		mk(pkt, 0, 0, s, 1000 + 160u * (s - 7), 0xa);
		hl_rtp_parse(pkt, 32, &h);
		HL_CHECK_INT(hl_rtp_rewrite(&rw, pkt, &h, 160u * (s - 6)), 0);
	}
	HL_CHECK_INT(rw.last_seq, 1005);
	/* three own packets in a row, then the relay goes on after them */
	HL_CHECK_INT(hl_rtp_rewriter_take_seq(&rw, 50700, 800), 1006);
	HL_CHECK_INT(hl_rtp_rewriter_take_seq(&rw, 50700, 800), 1007);
	HL_CHECK_INT(hl_rtp_rewriter_take_seq(&rw, 50700, 800), 1008);
	HL_CHECK_INT(rw.last_ts, 50700);
	HL_CHECK_INT(rw.last_arrival, 800);
	mk(pkt, 0, 0, 12, 1000 + 160u * 5, 0xa);
	hl_rtp_parse(pkt, 32, &h);
	HL_CHECK_INT(hl_rtp_rewrite(&rw, pkt, &h, 960), 0);
	hl_rtp_parse(pkt, 32, &h);
	HL_CHECK_INT(h.seq, 1009);
	HL_CHECK_INT(h.ts, 50960); /* the source's own timing, unchanged */
	HL_CHECK_INT(h.marker, 0);
	/* late packets: 11 would be 1008 (taken), 9 would be 1006; both refused */
	mk(pkt, 0, 0, 11, 1000 + 160u * 4, 0xa);
	hl_rtp_parse(pkt, 32, &h);
	HL_CHECK_INT(hl_rtp_rewrite(&rw, pkt, &h, 970), HL_E_REPLAY);
	mk(pkt, 0, 0, 9, 1000 + 160u * 2, 0xa);
	hl_rtp_parse(pkt, 32, &h);
	HL_CHECK_INT(hl_rtp_rewrite(&rw, pkt, &h, 970), HL_E_REPLAY);
	HL_CHECK_INT(rw.last_seq, 1009);
	/* far past the guard, a late packet is the sender's reordering again */
	for (uint16_t s = 13; s < 13 + HL_RTP_GUARD_SPAN + 2; s++) {
		mk(pkt, 0, 0, s, 1000 + 160u * (s - 7), 0xa);
		hl_rtp_parse(pkt, 32, &h);
		HL_CHECK_INT(hl_rtp_rewrite(&rw, pkt, &h, 160u * (s - 6)), 0);
	}
	HL_CHECK(!rw.guarded);
	mk(pkt, 0, 0, 13 + HL_RTP_GUARD_SPAN, 1000, 0xa);
	hl_rtp_parse(pkt, 32, &h);
	HL_CHECK_INT(hl_rtp_rewrite(&rw, pkt, &h, 99999), 0);
	hl_rtp_parse(pkt, 32, &h);
	HL_CHECK_INT(h.seq, (uint16_t)(1009 + 1 + HL_RTP_GUARD_SPAN));
	/* a wrap through own packets */
	rw.last_seq = 0xfffe;
	HL_CHECK_INT(hl_rtp_rewriter_take_seq(&rw, 1, 1), 0xffff);
	HL_CHECK_INT(hl_rtp_rewriter_take_seq(&rw, 1, 1), 0);
}

/* ---- statistics ---- */

static void
feed(struct hl_rtp_rx_stats *s, uint16_t seq, uint32_t ts, uint32_t ssrc, uint32_t arrival,
     int want)
{
	uint8_t pkt[32];
	struct hl_rtp_hdr h;
	mk(pkt, 0, 0, seq, ts, ssrc);
	hl_rtp_parse(pkt, 32, &h);
	int rc = hl_rtp_rx_stats_update(s, &h, arrival);
	HL_CHECK_MSG(rc == want, "seq %u: %d want %d", seq, rc, want);
}

HL_TEST(stats_jitter_by_hand)
{
	struct hl_rtp_rx_stats s;
	hl_rtp_rx_stats_init(&s, 8000);
	/*
	 * 20 ms packets (160 units). Transit: 1000, 1000, 1080, 1000, 1000.
	 * |D|: -, 0, 80, 80, 0. J*16: 0, 0 + 80 - 0 = 80, 80 + 80 - 5 = 155,
	 * 155 + 0 - 10 = 145 (A.8 with (J + 8) >> 4 rounding).
	 */
	feed(&s, 1, 0, 9, 1000, 0); /* probation */
	feed(&s, 2, 160, 9, 1160, 1);
	HL_CHECK_INT(s.jitter_q4, 0);
	feed(&s, 3, 320, 9, 1400, 1);
	HL_CHECK_INT(s.jitter_q4, 80);
	HL_CHECK_INT(hl_rtp_rx_stats_jitter(&s), 5);
	feed(&s, 4, 480, 9, 1480, 1);
	HL_CHECK_INT(s.jitter_q4, 155);
	feed(&s, 5, 640, 9, 1640, 1);
	HL_CHECK_INT(s.jitter_q4, 145);
	HL_CHECK_INT(hl_rtp_rx_stats_jitter(&s), 9);
	HL_CHECK_INT(s.packets, 4); /* valid ones: not the probation's */
	HL_CHECK_INT(s.bytes, 4 * 20);
	HL_CHECK_INT(s.probation_drops, 1);
}

HL_TEST(stats_loss_fraction_wrap_and_jump)
{
	struct hl_rtp_rx_stats s;
	struct hl_rtcp_report_block rb;

	hl_rtp_rx_stats_init(&s, 8000);
	HL_CHECK_INT(hl_rtp_rx_stats_report_block(&s, 0, &rb), HL_E_NOTFOUND);
	/* 10 11 | 12 14 15 17: base 11, max 17, expected 7, received 5, lost 2 */
	static const uint16_t seqs[] = {10, 11, 12, 14, 15, 17};
	for (unsigned int i = 0; i < HL_ARRAY_SIZE(seqs); i++)
		feed(&s, seqs[i], seqs[i] * 160u, 1, seqs[i] * 160u, i > 0);
	HL_CHECK_INT(hl_rtp_rx_stats_expected(&s), 7);
	HL_CHECK_INT(hl_rtp_rx_stats_lost(&s), 2);
	HL_CHECK_INT(hl_rtp_rx_stats_report_block(&s, 0, &rb), 0);
	HL_CHECK_INT(rb.fraction_lost, 73); /* 2 * 256 / 7 */
	HL_CHECK_INT(rb.lost, 2);
	HL_CHECK_INT(rb.ext_high_seq, 17);
	HL_CHECK_INT(rb.ssrc, 1);
	HL_CHECK_INT(rb.lsr, 0);
	HL_CHECK_INT(rb.dlsr, 0);
	/* next interval: 18 19 20 and a duplicate 19: nothing lost */
	feed(&s, 18, 0, 1, 0, 1);
	feed(&s, 19, 0, 1, 0, 1);
	feed(&s, 20, 0, 1, 0, 1);
	feed(&s, 19, 0, 1, 0, 1);
	hl_rtp_rx_stats_report_block(&s, 0, &rb);
	HL_CHECK_INT(rb.fraction_lost, 0);
	HL_CHECK_INT(rb.lost, 1);
	/* the duplicate offsets one loss: 1 of 10 expected */
	HL_CHECK(fabs(hl_rtp_rx_stats_loss_pct(&s) - 10.0) < 1e-9);

	/* sequence wrap: cycles count */
	hl_rtp_rx_stats_init(&s, 8000);
	feed(&s, 65533, 0, 2, 0, 0);
	feed(&s, 65534, 0, 2, 0, 1);
	feed(&s, 65535, 0, 2, 0, 1);
	feed(&s, 0, 0, 2, 0, 1);
	feed(&s, 2, 0, 2, 0, 1);
	HL_CHECK_INT(hl_rtp_rx_stats_ext_max(&s), 65536 + 2);
	HL_CHECK_INT(hl_rtp_rx_stats_expected(&s), 5);
	HL_CHECK_INT(hl_rtp_rx_stats_lost(&s), 1);

	/* a jump of more than MAX_DROPOUT is believed only when the next packet follows */
	feed(&s, 5000, 0, 2, 0, 0);
	feed(&s, 7000, 0, 2, 0, 0);
	feed(&s, 7001, 0, 2, 0, 1);
	HL_CHECK_INT(s.base_seq, 7001);
	HL_CHECK_INT(hl_rtp_rx_stats_expected(&s), 1);
	HL_CHECK_INT(s.bad_seq_drops, 2);
	/* the run before the jump stays in the leg's loss: 1 lost of 5, then 0 of 1 */
	HL_CHECK_INT(s.lost_prior, 1);
	HL_CHECK_INT(s.expected_total_prior, 5);
	HL_CHECK(fabs(hl_rtp_rx_stats_loss_pct(&s) - 100.0 / 6) < 1e-9);

	/* a new SSRC: probation again, earlier loss kept in the leg's total */
	hl_rtp_rx_stats_init(&s, 8000);
	feed(&s, 1, 0, 3, 0, 0);
	feed(&s, 2, 0, 3, 0, 1);
	feed(&s, 4, 0, 3, 0, 1); /* 1 lost of 3 */
	feed(&s, 100, 0, 4, 0, 0);
	feed(&s, 101, 0, 4, 0, 1);
	feed(&s, 102, 0, 4, 0, 1);
	HL_CHECK_INT(s.ssrc_changes, 1);
	HL_CHECK_INT(s.lost_prior, 1);
	HL_CHECK(fabs(hl_rtp_rx_stats_loss_pct(&s) - 20.0) < 1e-9); /* 1 of 3 + 2 */
	HL_CHECK_INT(s.packets, 4); /* each source's first was its probation */
}

/* A.1 with a second SSRC: it waits as the candidate while the current one runs. */
HL_TEST(stats_second_source_waits_as_candidate)
{
	struct hl_rtp_rx_stats s;

	hl_rtp_rx_stats_init(&s, 8000);
	feed(&s, 1, 0, 0xa, 0, 0);
	feed(&s, 2, 0, 0xa, 0, 1);
	feed(&s, 3, 0, 0xa, 0, 1);
	/* a stray packet of another SSRC: dropped, the stream and its figures go on */
	feed(&s, 500, 0, 0xdead, 0, 0);
	feed(&s, 4, 0, 0xa, 0, 1);
	HL_CHECK_INT(s.ssrc_changes, 0);
	HL_CHECK_INT(hl_rtp_rx_stats_expected(&s), 3);
	HL_CHECK_INT(s.received, 3);
	/* a second sender taking turns: it takes over when its next packet follows,
	 * and the first does the same back; each hand-over costs one packet */
	feed(&s, 5, 0, 0xa, 0, 1);
	feed(&s, 10, 0, 0xb, 0, 0);
	feed(&s, 6, 0, 0xa, 0, 1);
	feed(&s, 11, 0, 0xb, 0, 1);
	HL_CHECK_INT(s.ssrc, 0xb);
	HL_CHECK_INT(s.ssrc_changes, 1);
	feed(&s, 7, 0, 0xa, 0, 0);
	feed(&s, 12, 0, 0xb, 0, 1);
	feed(&s, 8, 0, 0xa, 0, 1);
	HL_CHECK_INT(s.ssrc, 0xa);
	HL_CHECK_INT(s.ssrc_changes, 2);
	/* the candidate must follow itself: a packet of it out of step starts it again */
	feed(&s, 13, 0, 0xb, 0, 0);
	feed(&s, 15, 0, 0xb, 0, 0);
	feed(&s, 9, 0, 0xa, 0, 1);
	HL_CHECK_INT(s.ssrc, 0xa);
	HL_CHECK_INT(s.packets, 9);
	/* nothing was lost on either: A 1-6 (6 expected, 1 the probation's), B 11-12 */
	HL_CHECK(fabs(hl_rtp_rx_stats_loss_pct(&s)) < 1e-9);
}

HL_TEST(stats_rtt_from_report_block)
{
	struct hl_rtp_rx_stats s;
	struct hl_rtcp_info info;
	struct hl_rtcp_report_block rb;
	uint8_t buf[128];
	const uint64_t t_sr = 0xe6000000ull << 32 | 0x80000000u; /* our SR went out */
	const uint32_t dlsr = 98304;				/* 1.5 s at the peer */
	const uint64_t now = t_sr + ((uint64_t)(dlsr + 7864) << 16); /* 120 ms of network */

	hl_rtp_rx_stats_init(&s, 8000);
	rb = (struct hl_rtcp_report_block){0x5eed, 12, 40, 1000, 77, hl_ntp_mid32(t_sr), dlsr};
	int len = hl_rtcp_build_report(buf, sizeof(buf), 0xfa7, NULL, &rb, 1);
	HL_CHECK_INT(hl_rtcp_parse(buf, (size_t)len, &info), 1);
	HL_CHECK_INT(hl_rtp_rx_stats_on_rtcp(&s, &info, 0x5eed, now), 1);
	HL_CHECK_INT(s.rtt_ms, 120);
	HL_CHECK_INT(s.remote_jitter, 77);
	HL_CHECK_INT(s.remote_lost, 40);
	HL_CHECK_INT(s.remote_fraction, 12);
	/* a block about another SSRC or without LSR measures nothing */
	HL_CHECK_INT(hl_rtp_rx_stats_on_rtcp(&s, &info, 0x5eee, now), 0);
	info.rb[0].lsr = 0;
	HL_CHECK_INT(hl_rtp_rx_stats_on_rtcp(&s, &info, 0x5eed, now), 0);

	/* their SR gives our next block LSR and DLSR (2.25 s later) */
	struct hl_rtcp_sender_info si = {t_sr, 0, 0, 0};
	len = hl_rtcp_build_report(buf, sizeof(buf), 0xfa7, &si, NULL, 0);
	hl_rtcp_parse(buf, (size_t)len, &info);
	hl_rtp_rx_stats_on_rtcp(&s, &info, 0x5eed, t_sr + (9ull << 30));
	feed(&s, 1, 0, 0xfa7, 0, 0);
	feed(&s, 2, 0, 0xfa7, 0, 1);
	HL_CHECK_INT(hl_rtp_rx_stats_report_block(&s, t_sr + (9ull << 30) + (9ull << 31), &rb),
		     0);
	HL_CHECK_INT(rb.lsr, 0x00008000);
	HL_CHECK_INT(rb.dlsr, 4.5 * 65536);

	/* §6.4.1: LSR is of this source's SR; a new source (a transfer to another
	 * device) has none until it sends one, and another SSRC's SR is not it */
	feed(&s, 900, 0, 0xbee, 0, 0);
	feed(&s, 901, 0, 0xbee, 0, 1);
	HL_CHECK_INT(hl_rtp_rx_stats_report_block(&s, t_sr + (9ull << 31), &rb), 0);
	HL_CHECK_INT(rb.ssrc, 0xbee);
	HL_CHECK_INT(rb.lsr, 0);
	HL_CHECK_INT(rb.dlsr, 0);
	len = hl_rtcp_build_report(buf, sizeof(buf), 0xbee, &si, NULL, 0);
	hl_rtcp_parse(buf, (size_t)len, &info);
	hl_rtp_rx_stats_on_rtcp(&s, &info, 0x5eed, t_sr + (9ull << 30));
	HL_CHECK_INT(hl_rtp_rx_stats_report_block(&s, t_sr + (9ull << 31), &rb), 0);
	HL_CHECK_INT(rb.lsr, 0x00008000);
	len = hl_rtcp_build_report(buf, sizeof(buf), 0xfa7, &si, NULL, 0);
	hl_rtcp_parse(buf, (size_t)len, &info);
	hl_rtp_rx_stats_on_rtcp(&s, &info, 0x5eed, t_sr + (9ull << 30));
	HL_CHECK_INT(hl_rtp_rx_stats_report_block(&s, t_sr + (9ull << 31), &rb), 0);
	HL_CHECK_INT(rb.lsr, 0);
}

/* A new codec's clock: the jitter carries over in its units, no sample across it. */
HL_TEST(stats_clock_change_keeps_jitter)
{
	struct hl_rtp_rx_stats s;

	hl_rtp_rx_stats_init(&s, 8000);
	feed(&s, 1, 0, 9, 1000, 0);
	feed(&s, 2, 160, 9, 1160, 1);
	feed(&s, 3, 320, 9, 1400, 1); /* J*16 = 80: 0.625 ms at 8000 */
	HL_CHECK_INT(s.jitter_q4, 80);
	hl_rtp_rx_stats_set_clock(&s, 48000);
	HL_CHECK_INT(s.jitter_q4, 480);
	HL_CHECK_INT(s.clock_rate, 48000);
	/* arrival and timestamps now at 48000, far from the old transit time */
	feed(&s, 4, 90000, 9, 5000000, 1);
	HL_CHECK_INT(s.jitter_q4, 480);
	feed(&s, 5, 90960, 9, 5000960, 1); /* on time: J*16 = 480 - 30 */
	HL_CHECK_INT(s.jitter_q4, 450);
	hl_rtp_rx_stats_set_clock(&s, 48000); /* the same clock: nothing changes */
	HL_CHECK_INT(s.jitter_q4, 450);
	HL_CHECK(s.have_transit);
}

HL_TEST(emodel_mos_known_points)
{
	static const struct {
		double d, loss;
		struct hl_emodel_codec c;
		double r, mos;
	} t[] = {
		/* no impairment: R = 93.2, MOS = 1 + 3.262 + 93.2 * 33.2 * 6.8 * 7e-6 */
		{0, 0, HL_EMODEL_G711_PLC, 93.2, 4.40928582},
		/* 200 ms, 2 % random loss, G.711 + PLC: Id 7.297, Ie,eff 7.0111 */
		{200, 2, HL_EMODEL_G711_PLC, 78.89192989, 3.98143689},
		/* 60 ms, 5 %, G.729A: Id 1.44, Ie,eff 11 + 84 * 5 / 24 = 28.5 */
		{60, 5, HL_EMODEL_G729A, 63.26, 3.26713761},
		/* total loss: R below 0 gives MOS 1 */
		{400, 100, HL_EMODEL_G711, 93.2 - 9.6 - 0.11 * 222.7 - 95 * 100 / 104.3, 1.0},
	};
	for (unsigned int i = 0; i < HL_ARRAY_SIZE(t); i++) {
		double r = hl_emodel_r(t[i].d, t[i].loss, t[i].c);
		HL_CHECK_MSG(fabs(r - t[i].r) < 1e-6, "case %u: R %f want %f", i, r, t[i].r);
		double mos = hl_emodel_mos(r);
		HL_CHECK_MSG(fabs(mos - t[i].mos) < 1e-6, "case %u: MOS %f want %f", i, mos,
			     t[i].mos);
	}
	HL_CHECK(hl_emodel_mos(120) == 4.5);
	HL_CHECK(hl_emodel_mos(-3) == 1.0);

	/* a leg with 120 ms RTT and no loss: d = 60 ms, R = 93.2 - 1.44 */
	struct hl_rtp_rx_stats s;
	hl_rtp_rx_stats_init(&s, 8000);
	s.have_rtt = 1;
	s.rtt_ms = 120;
	HL_CHECK(fabs(hl_rtp_rx_stats_mos(&s, 0, HL_EMODEL_G711_PLC) - hl_emodel_mos(91.76)) <
		 1e-9);
}

/* ---- inlined fast paths against the full functions ---- */

static uint64_t xs = 0x9e3779b97f4a7c15ull;

static uint32_t
rnd(void)
{
	xs ^= xs << 13;
	xs ^= xs >> 7;
	xs ^= xs << 17;
	return (uint32_t)(xs >> 16);
}

/* hl_rtp_parse() (inline fast path) and hl_rtp_parse_full() agree on every input. */
HL_TEST(rtp_parse_fast_path_matches_full)
{
	uint8_t pkt[64];

	for (int i = 0; i < 200000; i++) {
		size_t len = rnd() % sizeof(pkt);
		for (size_t k = 0; k < len; k++)
			pkt[k] = (uint8_t)rnd();
		if (rnd() & 1)
			pkt[0] = 0x80; /* the fast path's case, most of the time */
		struct hl_rtp_hdr a, b;
		memset(&a, 0x5a, sizeof(a));
		memset(&b, 0x5a, sizeof(b));
		int ra = hl_rtp_parse(pkt, len, &a), rb = hl_rtp_parse_full(pkt, len, &b);
		HL_CHECK_INT(ra, rb);
		if (ra >= 0)
			HL_CHECK(memcmp(&a, &b, sizeof(a)) == 0);
	}
}

/*
 * Streams with loss, duplicates, reordering, jumps, wraps and source changes through the
 * inlined statistics and rewriter and through the full functions: the same verdicts,
 * the same state, the same rewritten headers, packet by packet.
 */
HL_TEST(stats_and_rewriter_fast_paths_match_full)
{
	struct hl_rtp_rx_stats sa, sb;
	struct hl_rtp_rewriter ra, rb;
	uint32_t ssrc = 0x1000, ts = 0, arrival = 0;
	uint16_t seq = 65500;

	hl_rtp_rx_stats_init(&sa, 8000);
	hl_rtp_rx_stats_init(&sb, 8000);
	hl_rtp_rewriter_init(&ra, 0xabcdef, 100, 1000);
	hl_rtp_rewriter_init(&rb, 0xabcdef, 100, 1000);
	HL_CHECK(hl_rtp_rewriter_map_pt(&ra, 8, HL_RTP_PT_DROP) == 0);
	HL_CHECK(hl_rtp_rewriter_map_pt(&rb, 8, HL_RTP_PT_DROP) == 0);
	for (int i = 0; i < 300000; i++) {
		uint32_t r = rnd() % 1000;
		uint16_t s = seq;
		if (r < 5)
			ssrc++; /* new source */
		else if (r < 10)
			s = (uint16_t)(seq + 3000 + rnd() % 20000); /* a jump */
		else if (r < 30)
			s = (uint16_t)(seq - rnd() % 200); /* late or duplicate */
		else if (r < 60)
			seq = (uint16_t)(seq + rnd() % 5); /* loss */
		if (r == 999)
			hl_rtp_rewriter_rebase(&ra), hl_rtp_rewriter_rebase(&rb);
		if (r == 998) {
			uint16_t x = hl_rtp_rewriter_take_seq(&ra, ts, arrival);
			HL_CHECK_INT(hl_rtp_rewriter_take_seq(&rb, ts, arrival), x);
		}
		seq++;
		ts += 160;
		arrival += 160 + rnd() % 40 - 20;
		uint8_t pa[12] = {0x80, (uint8_t)((rnd() % 16 == 0 ? 0x80 : 0) | (rnd() % 50 ? 0 : 8))};
		hl_wr16(pa + 2, s);
		hl_wr32(pa + 4, ts);
		hl_wr32(pa + 8, ssrc);
		uint8_t pb[12];
		memcpy(pb, pa, sizeof(pa));
		struct hl_rtp_hdr h;
		HL_CHECK(hl_rtp_parse_full(pa, sizeof(pa), &h) == 12);
		h.payload_len = 160;
		HL_CHECK_INT(hl_rtp_rx_stats_update(&sa, &h, arrival),
			hl_rtp_rx_stats_update_full(&sb, &h, arrival));
		HL_CHECK(memcmp(&sa, &sb, sizeof(sa)) == 0);
		HL_CHECK_INT(hl_rtp_rewrite(&ra, pa, &h, arrival),
			hl_rtp_rewrite_full(&rb, pb, &h, arrival));
		HL_CHECK(memcmp(&ra, &rb, sizeof(ra)) == 0);
		HL_CHECK(memcmp(pa, pb, sizeof(pa)) == 0);
		/* the relay's checksum update reads the rewritten header this way */
		HL_CHECK_INT(hl_csum_fold(hl_rtp_fixed_sum(pa)),
			hl_csum_fold(hl_csum_partial(pa, HL_RTP_HDR_MIN, 0)));
	}
	HL_CHECK(sa.ssrc_changes > 100 && sa.bad_seq_drops > 10 && ra.rebased > 100);
}

HL_TEST_MAIN()
