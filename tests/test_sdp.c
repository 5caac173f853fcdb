/*
 * Unit tests for the SDP parser and offer/answer (dataplane/sdp.c, dataplane/sdp_answer.c):
 * fields of real-world offers, invalid descriptions, every truncation on a guard page,
 * RFC 3264 answers byte for byte, and parse(build(x)) == x for our offers.
 */
#include "hl_test.h"
#include "hotline/sdp.h"

#define CRLF "\r\n"

static int
parse_str(const char *s, size_t len, struct hl_sdp *sdp, struct hl_test_guard_buf *g,
	const uint8_t **b)
{
	*b = hl_test_guard(g, s, len);
	return hl_sdp_parse(*b, (struct hl_sip_slice){0, (uint16_t)len}, sdp);
}

static int
is(const uint8_t *b, struct hl_sip_slice s, const char *want)
{
	return s.len == strlen(want) && memcmp(b + s.off, want, s.len) == 0;
}

static const char offer_srtp[] =
	"v=0" CRLF
	"o=- 3894567 3894568 IN IP4 203.0.113.5" CRLF
	"s=carrier" CRLF
	"c=IN IP4 203.0.113.5" CRLF
	"b=AS:84" CRLF
	"t=0 0" CRLF
	"a=sendrecv" CRLF
	"m=audio 30000 RTP/SAVP 18 0 8 101" CRLF
	"a=rtpmap:18 G729/8000" CRLF
	"a=fmtp:18 annexb=no" CRLF
	"a=rtpmap:101 telephone-event/8000" CRLF
	"a=fmtp:101 0-16" CRLF
	"a=ptime:20" CRLF
	"a=maxptime:40" CRLF
	"a=rtcp:30011 IN IP4 203.0.113.6" CRLF
	"a=rtcp-mux" CRLF
	"a=crypto:1 AES_192_CM_HMAC_SHA1_80 inline:QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVphYmNkZWZnaGlq" CRLF
	"a=crypto:2 AES_CM_128_HMAC_SHA1_32 inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz|2^20|1:4;inline:QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVph|2^20|2:4 KDR=1" CRLF
	"a=sendonly" CRLF
	"m=video 0 RTP/AVP 31" CRLF
	"c=IN IP6 2001:db8::5" CRLF;

HL_TEST(parse_fields)
{
	struct hl_test_guard_buf g = {0};
	const uint8_t *b;
	struct hl_sdp sdp;
	HL_CHECK_INT(parse_str(offer_srtp, sizeof(offer_srtp) - 1, &sdp, &g, &b), 0);
	HL_CHECK(is(b, sdp.origin_user, "-"));
	HL_CHECK(is(b, sdp.sess_id, "3894567"));
	HL_CHECK(is(b, sdp.sess_version, "3894568"));
	HL_CHECK(is(b, sdp.origin_addr, "203.0.113.5"));
	HL_CHECK(is(b, sdp.name, "carrier"));
	HL_CHECK_INT(sdp.conn.addrtype, HL_SDP_ADDR_IP4);
	HL_CHECK(is(b, sdp.conn.addr, "203.0.113.5"));
	HL_CHECK_INT(sdp.bw_as, 84);
	HL_CHECK_INT(sdp.dir, HL_SDP_DIR_SENDRECV);
	HL_CHECK_INT(sdp.nmedia, 2);
	const struct hl_sdp_media *m = &sdp.media[0];
	HL_CHECK(is(b, m->type, "audio"));
	HL_CHECK_INT(m->port, 30000);
	HL_CHECK_INT(m->proto, HL_SDP_PROTO_RTP_SAVP);
	HL_CHECK_INT(m->nfmt, 4);
	HL_CHECK_INT(m->fmt[0].pt, 18);
	HL_CHECK_INT(m->fmt[0].clock, 8000);
	HL_CHECK(is(b, m->fmt[0].name, "G729"));
	HL_CHECK(is(b, m->fmt[0].fmtp, "annexb=no"));
	HL_CHECK_INT(m->fmt[1].pt, 0);
	HL_CHECK_INT(m->fmt[1].clock, 0);
	HL_CHECK_INT(m->te_pt, 101);
	HL_CHECK(is(b, m->fmt[3].fmtp, "0-16"));
	HL_CHECK_INT(m->ptime, 20);
	HL_CHECK_INT(m->maxptime, 40);
	HL_CHECK_INT(m->rtcp_port, 30011);
	HL_CHECK(is(b, m->rtcp_conn.addr, "203.0.113.6"));
	HL_CHECK_INT(m->rtcp_mux, 1);
	HL_CHECK_INT(m->dir, HL_SDP_DIR_SENDONLY);
	HL_CHECK_INT(hl_sdp_media_dir(&sdp, 0), HL_SDP_DIR_SENDONLY);
	HL_CHECK_INT(m->ncrypto, 2);
	HL_CHECK_INT(m->crypto[0].suite, HL_SDP_SUITE_UNKNOWN);
	HL_CHECK_INT(m->crypto[1].tag, 2);
	HL_CHECK_INT(m->crypto[1].suite, HL_SDP_SUITE_AES_CM_128_HMAC_SHA1_32);
	HL_CHECK(is(b, m->crypto[1].key, "WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz"));
	HL_CHECK(is(b, m->crypto[1].lifetime, "2^20"));
	HL_CHECK_INT(m->crypto[1].mki, 1);
	HL_CHECK_INT(m->crypto[1].mki_len, 4);
	HL_CHECK_INT(m->crypto[1].nkeys, 2);
	HL_CHECK(is(b, m->crypto[1].session_params, "KDR=1"));
	m = &sdp.media[1];
	HL_CHECK(is(b, m->type, "video"));
	HL_CHECK_INT(m->port, 0);
	HL_CHECK_INT(m->conn.addrtype, HL_SDP_ADDR_IP6);
	HL_CHECK(is(b, m->conn.addr, "2001:db8::5"));
	HL_CHECK(hl_sdp_media_conn(&sdp, 1) == &m->conn);
	HL_CHECK(hl_sdp_media_conn(&sdp, 0) == &sdp.conn);
	HL_CHECK_INT(hl_sdp_media_dir(&sdp, 1), HL_SDP_DIR_SENDRECV);
	hl_test_guard_free(&g);
}

#define MIN_HEAD "v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\n"

static const struct {
	const char *name, *text;
	int rc;
} sdp_cases[] = {
	{"lf_only", "v=0\no=- 1 1 IN IP4 192.0.2.1\ns=-\nc=IN IP4 192.0.2.1\nt=0 0\n"
		"m=audio 1 RTP/AVP 0\n", 0},
	{"fqdn_conn", MIN_HEAD "c=IN IP4 media.example.com\r\nt=0 0\r\nm=audio 1 RTP/AVP 0\r\n", 0},
	{"multicast_ttl", MIN_HEAD "c=IN IP4 224.2.1.1/127/3\r\nt=0 0\r\n", 0},
	{"t38_image", MIN_HEAD "c=IN IP4 192.0.2.1\r\nt=0 0\r\nm=image 4000 udptl t38\r\n", 0},
	{"ptime_decimal", MIN_HEAD "c=IN IP4 192.0.2.1\r\nt=0 0\r\nm=audio 1 RTP/AVP 0\r\n"
		"a=ptime:20.0\r\n", 0},
	{"no_session", "", HL_E_PARSE},
	{"v_not_first", "o=- 1 1 IN IP4 192.0.2.1\r\nv=0\r\ns=-\r\nt=0 0\r\n", HL_E_PARSE},
	{"v_1", "v=1\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nt=0 0\r\n", HL_E_PARSE},
	{"no_t", MIN_HEAD "c=IN IP4 192.0.2.1\r\n", HL_E_PARSE},
	{"no_conn", MIN_HEAD "t=0 0\r\nm=audio 1 RTP/AVP 0\r\n", HL_E_PARSE},
	{"bad_ip4", MIN_HEAD "c=IN IP4 192.0.2.300\r\nt=0 0\r\n", HL_E_PARSE},
	{"bad_ip6", MIN_HEAD "c=IN IP6 2001:db8:::1\r\nt=0 0\r\n", HL_E_PARSE},
	{"bad_nettype", MIN_HEAD "c=ATM IP4 192.0.2.1\r\nt=0 0\r\n", HL_E_PARSE},
	{"unknown_letter", MIN_HEAD "c=IN IP4 192.0.2.1\r\nt=0 0\r\nq=what\r\n", HL_E_PARSE},
	{"no_final_eol", MIN_HEAD "c=IN IP4 192.0.2.1\r\nt=0 0", HL_E_PARSE},
	{"port_too_big", MIN_HEAD "c=IN IP4 192.0.2.1\r\nt=0 0\r\nm=audio 65536 RTP/AVP 0\r\n",
		HL_E_PARSE},
	{"pt_too_big", MIN_HEAD "c=IN IP4 192.0.2.1\r\nt=0 0\r\nm=audio 1 RTP/AVP 128\r\n",
		HL_E_PARSE},
	{"no_formats", MIN_HEAD "c=IN IP4 192.0.2.1\r\nt=0 0\r\nm=audio 1 RTP/AVP\r\n",
		HL_E_PARSE},
	{"rtpmap_no_clock", MIN_HEAD "c=IN IP4 192.0.2.1\r\nt=0 0\r\nm=audio 1 RTP/AVP 96\r\n"
		"a=rtpmap:96 opus\r\n", HL_E_PARSE},
	{"crypto_no_inline", MIN_HEAD "c=IN IP4 192.0.2.1\r\nt=0 0\r\nm=audio 1 RTP/SAVP 0\r\n"
		"a=crypto:1 AES_CM_128_HMAC_SHA1_80 key:abc\r\n", HL_E_PARSE},
	{"crypto_bad_mki", MIN_HEAD "c=IN IP4 192.0.2.1\r\nt=0 0\r\nm=audio 1 RTP/SAVP 0\r\n"
		"a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:abc|1:0\r\n", HL_E_PARSE},
	{"tab_in_line", MIN_HEAD "c=IN IP4 192.0.2.1\r\nt=0\t0\r\n", HL_E_PARSE},
	{"nine_media", MIN_HEAD "c=IN IP4 192.0.2.1\r\nt=0 0\r\n" "m=audio 1 RTP/AVP 0\r\n"
		"m=audio 1 RTP/AVP 0\r\nm=audio 1 RTP/AVP 0\r\nm=audio 1 RTP/AVP 0\r\n"
		"m=audio 1 RTP/AVP 0\r\nm=audio 1 RTP/AVP 0\r\nm=audio 1 RTP/AVP 0\r\n"
		"m=audio 1 RTP/AVP 0\r\nm=audio 1 RTP/AVP 0\r\n", HL_E_TOOBIG},
};

HL_TEST(parse_table)
{
	for (unsigned int i = 0; i < HL_ARRAY_SIZE(sdp_cases); i++) {
		struct hl_test_guard_buf g = {0};
		const uint8_t *b;
		struct hl_sdp sdp;
		int r = parse_str(sdp_cases[i].text, strlen(sdp_cases[i].text), &sdp, &g, &b);
		HL_CHECK_MSG(r == sdp_cases[i].rc, "%s: rc %d want %d", sdp_cases[i].name, r,
			sdp_cases[i].rc);
		hl_test_guard_free(&g);
	}
}

/* Every prefix on a guard page: no over-read; a prefix cut mid-line is an error. */
HL_TEST(truncation)
{
	size_t len = sizeof(offer_srtp) - 1;
	for (size_t k = 0; k < len; k++) {
		struct hl_test_guard_buf g = {0};
		const uint8_t *b;
		struct hl_sdp sdp;
		int r = parse_str(offer_srtp, k, &sdp, &g, &b);
		if (k > 0 && offer_srtp[k - 1] != '\n')
			HL_CHECK_MSG(r == HL_E_PARSE, "prefix %zu: %d", k, r);
		hl_test_guard_free(&g);
	}
}

static const struct hl_sdp_codec codecs[] = {
	{"PCMA", 8000, 1, 8, NULL},
	{"PCMU", 8000, 1, 0, NULL},
	{"opus", 48000, 2, 111, "useinbandfec=1"},
};

static struct hl_sdp_caps
caps_default(void)
{
	struct hl_sdp_caps c = {
		.codecs = codecs,
		.ncodecs = 2,
		.telephone_event = 1,
		.te_pt = 101,
		.srtp = HL_SDP_SRTP_OPTIONAL,
		.rtcp_mux = 1,
		.ptime = 20,
		.port = 40000,
		.srtp_key = "WnNtbWFsbGtleXNhbHR5c2FsdHlzYWx0eXNhbHQ",
		.addr = "198.51.100.7",
		.user = "hotline",
		.sess_id = 42,
		.sess_version = 1,
	};
	return c;
}

static int
answer(const char *offer, const struct hl_sdp_caps *caps, char *out, size_t cap,
	struct hl_sdp_negotiated *neg)
{
	struct hl_test_guard_buf g = {0};
	const uint8_t *b;
	struct hl_sdp sdp;
	int r = parse_str(offer, strlen(offer), &sdp, &g, &b);
	if (r == 0)
		r = hl_sdp_answer(b, &sdp, caps, out, cap, neg);
	hl_test_guard_free(&g);
	return r;
}

HL_TEST(answer_plain_exact)
{
	static const char offer[] = MIN_HEAD "c=IN IP4 192.0.2.1\r\nt=0 0\r\n"
		"m=audio 49170 RTP/AVP 0 8 97 101\r\na=rtpmap:97 iLBC/8000\r\n"
		"a=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-15\r\n";
	static const char want[] = "v=0\r\no=hotline 42 1 IN IP4 198.51.100.7\r\ns=-\r\n"
		"c=IN IP4 198.51.100.7\r\nt=0 0\r\nm=audio 40000 RTP/AVP 8 101\r\n"
		"a=rtpmap:8 PCMA/8000\r\na=rtpmap:101 telephone-event/8000\r\n"
		"a=fmtp:101 0-15\r\na=ptime:20\r\na=sendrecv\r\n";
	struct hl_sdp_caps caps = caps_default();
	struct hl_sdp_negotiated neg;
	char out[1024];
	int n = answer(offer, &caps, out, sizeof(out), &neg);
	HL_CHECK_INT(n, sizeof(want) - 1);
	HL_CHECK(n > 0 && memcmp(out, want, (size_t)n) == 0);
	if (n > 0 && memcmp(out, want, (size_t)n) != 0)
		fprintf(stderr, "%.*s", n, out);
	HL_CHECK_INT(neg.nstreams, 1);
	HL_CHECK_INT(neg.naccepted, 1);
	HL_CHECK_INT(neg.s[0].pt, 8);
	HL_CHECK_INT(neg.s[0].codec, 0);
	HL_CHECK_INT(neg.s[0].te_pt, 101);
	HL_CHECK_INT(neg.s[0].dir, HL_SDP_DIR_SENDRECV);
	HL_CHECK_INT(neg.s[0].remote_port, 49170);
	HL_CHECK_INT(neg.s[0].remote_rtcp_port, 49171);
	HL_CHECK_INT(neg.s[0].local_port, 40000);
	HL_CHECK_INT(neg.s[0].srtp, 0);
	for (size_t cap = 0; cap < sizeof(want) - 1; cap += 5)
		HL_CHECK_INT(answer(offer, &caps, out, cap, &neg), HL_E_TOOBIG);
}

HL_TEST(answer_srtp_and_rejects)
{
	struct hl_sdp_caps caps = caps_default();
	struct hl_sdp_negotiated neg;
	char out[2048];
	struct hl_sdp ans;
	int n = answer(offer_srtp, &caps, out, sizeof(out), &neg);
	HL_CHECK(n > 0);
	HL_CHECK_INT(neg.nstreams, 2);
	HL_CHECK_INT(neg.naccepted, 1);
	/* G729 is not ours; PCMA is preferred over PCMU; the offerer's numbers. */
	HL_CHECK_INT(neg.s[0].pt, 8);
	HL_CHECK_INT(neg.s[0].srtp, 1);
	HL_CHECK_INT(neg.s[0].crypto_tag, 2);
	HL_CHECK_INT(neg.s[0].suite, HL_SDP_SUITE_AES_CM_128_HMAC_SHA1_32);
	HL_CHECK_INT(neg.s[0].dir, HL_SDP_DIR_RECVONLY);
	HL_CHECK_INT(neg.s[0].rtcp_mux, 1);
	HL_CHECK_INT(neg.s[0].remote_rtcp_port, 30000);
	HL_CHECK_INT(neg.s[1].accepted, 0);
	/* The answer parses back with the same decisions. */
	HL_CHECK_INT(hl_sdp_parse((const uint8_t *)out, (struct hl_sip_slice){0, (uint16_t)n},
			     &ans),
		0);
	HL_CHECK_INT(ans.nmedia, 2);
	HL_CHECK_INT(ans.media[0].port, 40000);
	HL_CHECK_INT(ans.media[0].proto, HL_SDP_PROTO_RTP_SAVP);
	HL_CHECK_INT(ans.media[0].nfmt, 2);
	HL_CHECK_INT(ans.media[0].fmt[0].pt, 8);
	HL_CHECK_INT(ans.media[0].te_pt, 101);
	HL_CHECK_INT(ans.media[0].dir, HL_SDP_DIR_RECVONLY);
	HL_CHECK_INT(ans.media[0].ncrypto, 1);
	HL_CHECK_INT(ans.media[0].crypto[0].tag, 2);
	HL_CHECK(is((const uint8_t *)out, ans.media[0].crypto[0].key, caps.srtp_key));
	HL_CHECK_INT(ans.media[1].port, 0);
	HL_CHECK(is((const uint8_t *)out, ans.media[1].type, "video"));
	HL_CHECK(is((const uint8_t *)out, ans.media[1].fmts, "31"));

	/* RTP only: the SAVP stream is refused, nothing is accepted. */
	caps.srtp = HL_SDP_SRTP_FORBID;
	n = answer(offer_srtp, &caps, out, sizeof(out), &neg);
	HL_CHECK(n > 0);
	HL_CHECK_INT(neg.naccepted, 0);
	HL_CHECK(memmem(out, (size_t)n, "m=audio 0 RTP/SAVP 18 0 8 101\r\n", 31) != NULL);

	/* SRTP mandatory: a plain offer is refused. */
	caps.srtp = HL_SDP_SRTP_MANDATORY;
	n = answer(MIN_HEAD "c=IN IP4 192.0.2.1\r\nt=0 0\r\nm=audio 5 RTP/AVP 0\r\n", &caps, out,
		sizeof(out), &neg);
	HL_CHECK(n > 0);
	HL_CHECK_INT(neg.naccepted, 0);

	/* No common codec. */
	caps.srtp = HL_SDP_SRTP_OPTIONAL;
	n = answer(MIN_HEAD "c=IN IP4 192.0.2.1\r\nt=0 0\r\nm=audio 5 RTP/AVP 18\r\n", &caps, out,
		sizeof(out), &neg);
	HL_CHECK_INT(neg.naccepted, 0);
	HL_CHECK(memmem(out, (size_t)n, "m=audio 0 RTP/AVP 18\r\n", 22) != NULL);
}

HL_TEST(answer_dynamic_and_direction)
{
	struct hl_sdp_caps caps = caps_default();
	caps.codecs = codecs + 2; /* opus first */
	caps.ncodecs = 1;
	struct hl_sdp_negotiated neg;
	char out[2048];
	/* Session-level inactive, dynamic opus at 109, two telephone-event clocks. */
	static const char offer[] = MIN_HEAD "c=IN IP6 2001:db8::1\r\nt=3034423619 0\r\na=inactive\r\n"
		"m=audio 6000 RTP/AVPF 0 109 100 101\r\na=rtpmap:109 OPUS/48000/2\r\n"
		"a=rtpmap:100 telephone-event/8000\r\na=rtpmap:101 telephone-event/48000\r\n";
	int n = answer(offer, &caps, out, sizeof(out), &neg);
	HL_CHECK(n > 0);
	HL_CHECK_INT(neg.naccepted, 1);
	HL_CHECK_INT(neg.s[0].pt, 109);
	HL_CHECK_INT(neg.s[0].te_pt, 101);
	HL_CHECK_INT(neg.s[0].dir, HL_SDP_DIR_INACTIVE);
	HL_CHECK_INT(neg.s[0].remote_addrtype, HL_SDP_ADDR_IP6);
	HL_CHECK(memmem(out, (size_t)n, "t=3034423619 0\r\n", 16) != NULL);
	HL_CHECK(memmem(out, (size_t)n, "m=audio 40000 RTP/AVPF 109 101\r\n", 32) != NULL);
	HL_CHECK(memmem(out, (size_t)n, "a=rtpmap:109 opus/48000/2\r\na=fmtp:109 useinbandfec=1\r\n",
			 54) != NULL);
	HL_CHECK(memmem(out, (size_t)n, "a=rtpmap:101 telephone-event/48000\r\n", 36) != NULL);
	HL_CHECK(memmem(out, (size_t)n, "a=inactive\r\n", 12) != NULL);
}

HL_TEST(offer_round_trip)
{
	struct hl_sdp_caps caps = caps_default();
	caps.ncodecs = 3;
	caps.srtp = HL_SDP_SRTP_MANDATORY;
	char out[2048], ans[2048];
	int n = hl_sdp_build_offer(&caps, out, sizeof(out));
	HL_CHECK(n > 0);
	struct hl_test_guard_buf g = {0};
	const uint8_t *b;
	struct hl_sdp sdp;
	HL_CHECK_INT(parse_str(out, (size_t)n, &sdp, &g, &b), 0);
	HL_CHECK(is(b, sdp.origin_user, "hotline"));
	HL_CHECK(is(b, sdp.conn.addr, "198.51.100.7"));
	HL_CHECK_INT(sdp.nmedia, 1);
	const struct hl_sdp_media *m = &sdp.media[0];
	HL_CHECK_INT(m->port, 40000);
	HL_CHECK_INT(m->proto, HL_SDP_PROTO_RTP_SAVP);
	HL_CHECK_INT(m->nfmt, 4);
	for (unsigned int i = 0; i < 3; i++) {
		HL_CHECK_INT(m->fmt[i].pt, codecs[i].pt);
		HL_CHECK(is(b, m->fmt[i].name, codecs[i].name));
		HL_CHECK_INT(m->fmt[i].clock, codecs[i].clock);
		HL_CHECK_INT(m->fmt[i].channels, codecs[i].channels);
	}
	HL_CHECK(is(b, m->fmt[2].fmtp, "useinbandfec=1"));
	HL_CHECK_INT(m->te_pt, 101);
	HL_CHECK_INT(m->ptime, 20);
	HL_CHECK_INT(m->rtcp_mux, 1);
	HL_CHECK_INT(m->ncrypto, 1);
	HL_CHECK_INT(m->crypto[0].suite, HL_SDP_SUITE_AES_CM_128_HMAC_SHA1_80);
	HL_CHECK(is(b, m->crypto[0].key, caps.srtp_key));
	/* Our own offer, answered by ourselves: PCMA at 8, SRTP kept. */
	struct hl_sdp_negotiated neg;
	int an = hl_sdp_answer(b, &sdp, &caps, ans, sizeof(ans), &neg);
	HL_CHECK(an > 0);
	HL_CHECK_INT(neg.naccepted, 1);
	HL_CHECK_INT(neg.s[0].pt, 8);
	HL_CHECK_INT(neg.s[0].srtp, 1);
	HL_CHECK_INT(neg.s[0].rtcp_mux, 1);
	HL_CHECK(is(b, neg.s[0].remote_key, caps.srtp_key));
	HL_CHECK_INT(hl_sdp_build_offer(&caps, out, 50), HL_E_TOOBIG);
	hl_test_guard_free(&g);
}

HL_TEST_MAIN()
