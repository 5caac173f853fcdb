/*
 * Unit tests for the SDP parser and offer/answer (dataplane/sdp.c, dataplane/sdp_answer.c):
 * fields of real-world offers, invalid descriptions, every truncation on a guard page,
 * RFC 3264 answers byte for byte, and parse(build(x)) == x for our offers. SDES: every
 * suite name, the key checks of each line, which line an answer takes and the key it
 * carries, and the lines our offers list.
 */
#include "hl_test.h"
#include "hotline/sdp.h"

#define CRLF "\r\n"

/* base64 key||salt of each length (RFC 4568 §6.1): AES-128-CM, AES-256-CM, AES-128-GCM,
 * AES-256-GCM, and one octet short of AES-128-CM. */
#define K30 "aG90bGluZS1zZGVzLTEyOC1jbS1rZXktMzBvY3Qh"
#define K30B "c2Vjb25kLTEyOC1iaXQta2V5LTMwLW9jdGV0cyEh"
#define K46 "aG90bGluZS1zZGVzLTI1Ni1jbS1rZXktaXMtNDYtb2N0ZXRzLWxvbmctb2shIQ=="
#define K28 "aG90bGluZS1zZGVzLWdjbTEyOC1rZXktMjhvYw=="
#define K44 "aG90bGluZS1zZGVzLWdjbTI1Ni1rZXktaXMtNDQtb2N0ZXRzLWxvbmchISE="
#define K29 "aG90bGluZS1zZGVzLTI5LW9jdGV0cy1zaG9ydHg="

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
	"a=crypto:3 AES_CM_128_HMAC_SHA1_32 inline:" K30 "|2^20" CRLF
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
	HL_CHECK_INT(m->ncrypto, 3);
	HL_CHECK_INT(m->crypto[0].suite, HL_SDP_SUITE_UNKNOWN);
	HL_CHECK_INT(m->crypto[1].tag, 2);
	HL_CHECK_INT(m->crypto[1].suite, HL_SDP_SUITE_AES_CM_128_HMAC_SHA1_32);
	HL_CHECK(is(b, m->crypto[1].key, "WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz"));
	HL_CHECK(is(b, m->crypto[1].lifetime, "2^20"));
	HL_CHECK_INT(m->crypto[1].mki, 1);
	HL_CHECK_INT(m->crypto[1].mki_len, 4);
	HL_CHECK_INT(m->crypto[1].nkeys, 2);
	HL_CHECK(is(
		b, m->crypto[1].more[0], "inline:QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVph|2^20|2:4"));
	HL_CHECK(is(b, m->crypto[1].session_params, "KDR=1"));
	HL_CHECK(is(b, m->crypto[1].key_params,
		"inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz|2^20|1:4"));
	HL_CHECK(is(b, m->crypto[2].key_params, "inline:" K30 "|2^20"));
	HL_CHECK_INT(m->crypto[2].session_params.len, 0);
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
		.srtp_key = K30,
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
	/* G729 is not ours; PCMA is preferred over PCMU; the offerer's numbers. Crypto
	 * line 1 is an unknown suite, line 2 two keys and KDR=1: line 3 is taken. */
	HL_CHECK_INT(neg.s[0].pt, 8);
	HL_CHECK_INT(neg.s[0].srtp, 1);
	HL_CHECK_INT(neg.s[0].crypto_tag, 3);
	HL_CHECK_INT(neg.s[0].crypto, 2);
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
	HL_CHECK_INT(ans.media[0].crypto[0].tag, 3);
	HL_CHECK_INT(ans.media[0].crypto[0].suite, HL_SDP_SUITE_AES_CM_128_HMAC_SHA1_32);
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

/* ---- SDES (RFC 4568, RFC 6188, RFC 7714) ---- */

#define SRTP_HEAD MIN_HEAD "c=IN IP4 192.0.2.1\r\nt=0 0\r\nm=audio 5000 RTP/SAVP 0\r\n"

/* Parses SRTP_HEAD + lines on a guard page; -1 unless the m-line has crypto[i]. */
static int
one_crypto(const char *lines, unsigned int i, struct hl_sdp *sdp, struct hl_test_guard_buf *g,
	const uint8_t **b)
{
	char text[2048];
	int n = snprintf(text, sizeof(text), "%s%s", SRTP_HEAD, lines);
	int r = parse_str(text, (size_t)n, sdp, g, b);
	if (r == 0 && (sdp->nmedia < 1 || sdp->media[0].ncrypto <= i))
		r = -1;
	return r;
}

static const struct {
	const char *name;
	uint8_t suite;
	int srtp; /* enum hl_srtp_suite, or HL_E_UNSUPPORTED */
} suite_cases[] = {
	{"AES_CM_128_HMAC_SHA1_80", HL_SDP_SUITE_AES_CM_128_HMAC_SHA1_80,
		HL_SRTP_AES_CM_128_HMAC_SHA1_80},
	{"AES_CM_128_HMAC_SHA1_32", HL_SDP_SUITE_AES_CM_128_HMAC_SHA1_32,
		HL_SRTP_AES_CM_128_HMAC_SHA1_32},
	{"AES_256_CM_HMAC_SHA1_80", HL_SDP_SUITE_AES_256_CM_HMAC_SHA1_80,
		HL_SRTP_AES_256_CM_HMAC_SHA1_80},
	{"AES_256_CM_HMAC_SHA1_32", HL_SDP_SUITE_AES_256_CM_HMAC_SHA1_32, HL_E_UNSUPPORTED},
	{"AEAD_AES_128_GCM", HL_SDP_SUITE_AEAD_AES_128_GCM, HL_SRTP_AEAD_AES_128_GCM},
	{"AEAD_AES_256_GCM", HL_SDP_SUITE_AEAD_AES_256_GCM, HL_SRTP_AEAD_AES_256_GCM},
	{"aead_aes_256_gcm", HL_SDP_SUITE_AEAD_AES_256_GCM, HL_SRTP_AEAD_AES_256_GCM},
	{"AES_192_CM_HMAC_SHA1_80", HL_SDP_SUITE_UNKNOWN, HL_E_UNSUPPORTED},
	{"AEAD_AES_256_GCM_8", HL_SDP_SUITE_UNKNOWN, HL_E_UNSUPPORTED},
};

HL_TEST(suite_names)
{
	for (unsigned int i = 0; i < HL_ARRAY_SIZE(suite_cases); i++) {
		struct hl_test_guard_buf g = {0};
		const uint8_t *b;
		struct hl_sdp sdp;
		char line[160];
		snprintf(line, sizeof(line), "a=crypto:7 %s inline:" K30 "\r\n",
			suite_cases[i].name);
		HL_CHECK_INT(one_crypto(line, 0, &sdp, &g, &b), 0);
		const struct hl_sdp_crypto *cr = &sdp.media[0].crypto[0];
		HL_CHECK_MSG(cr->suite == suite_cases[i].suite, "%s: suite %u", suite_cases[i].name,
			cr->suite);
		HL_CHECK(is(b, cr->suite_s, suite_cases[i].name));
		HL_CHECK_INT(cr->tag, 7);
		HL_CHECK_INT(hl_sdp_suite_srtp((enum hl_sdp_suite)cr->suite), suite_cases[i].srtp);
		if (suite_cases[i].srtp >= 0) {
			/* The names are the SRTP layer's, and map back. */
			HL_CHECK_STR(hl_sdp_suite_name((enum hl_sdp_suite)cr->suite),
				hl_srtp_suite_name((unsigned int)suite_cases[i].srtp));
			HL_CHECK_INT(
				hl_sdp_suite_of_srtp((unsigned int)suite_cases[i].srtp), cr->suite);
		}
		hl_test_guard_free(&g);
	}
	HL_CHECK_STR(hl_sdp_suite_name(HL_SDP_SUITE_MAX_), "");
	HL_CHECK_INT(hl_sdp_suite_srtp(HL_SDP_SUITE_MAX_), HL_E_UNSUPPORTED);
	HL_CHECK_INT(hl_sdp_suite_of_srtp(HL_SRTP_SUITE_MAX_), HL_SDP_SUITE_UNKNOWN);
}

/* What hl_sdp_crypto_key() makes of one line: the key length per suite, and each reason
 * a line cannot be run (the answer's reasons to pass it over). */
static const struct {
	const char *what, *line;
	int rc;
	uint8_t len, mki_len;
} key_cases[] = {
	{"cm128", "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:" K30, 0, 30, 0},
	{"cm128_32_lifetime", "a=crypto:1 AES_CM_128_HMAC_SHA1_32 inline:" K30 "|2^31", 0, 30, 0},
	{"cm256", "a=crypto:1 AES_256_CM_HMAC_SHA1_80 inline:" K46, 0, 46, 0},
	{"gcm128", "a=crypto:1 AEAD_AES_128_GCM inline:" K28, 0, 28, 0},
	{"gcm256", "a=crypto:1 AEAD_AES_256_GCM inline:" K44 "|2^20|7:2", 0, 44, 2},
	/* FreeSWITCH strips the base64 padding: 62 and 59 characters. */
	{"cm256_unpadded",
		"a=crypto:1 AES_256_CM_HMAC_SHA1_80 inline:"
		"aG90bGluZS1zZGVzLTI1Ni1jbS1rZXktaXMtNDYtb2N0ZXRzLWxvbmctb2shIQ",
		0, 46, 0},
	{"gcm256_unpadded",
		"a=crypto:1 AEAD_AES_256_GCM inline:"
		"aG90bGluZS1zZGVzLWdjbTI1Ni1rZXktaXMtNDQtb2N0ZXRzLWxvbmchISE",
		0, 44, 0},
	{"wsh_and_optional_ext",
		"a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:" K30 " WSH=128 -X=1 KDR=0", 0, 30, 0},
	{"key_too_short", "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:" K29, HL_E_PARSE, 0, 0},
	{"cm128_key_for_cm256", "a=crypto:1 AES_256_CM_HMAC_SHA1_80 inline:" K30, HL_E_PARSE, 0, 0},
	{"gcm256_key_for_gcm128", "a=crypto:1 AEAD_AES_128_GCM inline:" K44, HL_E_PARSE, 0, 0},
	{"cm256_key_for_gcm256", "a=crypto:1 AEAD_AES_256_GCM inline:" K46, HL_E_PARSE, 0, 0},
	{"mki_5_octets", "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:" K30 "|1:5", HL_E_UNSUPPORTED,
		0, 0},
	{"mki_with_32", "a=crypto:1 AES_CM_128_HMAC_SHA1_32 inline:" K30 "|1:4", HL_E_UNSUPPORTED,
		0, 0},
	/* RFC 4568 §6.1: several keys, each with an MKI of one length; the first here. */
	{"two_keys", "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:" K30 "|1:1;inline:" K30B "|2:1", 0,
		30, 1},
	{"two_keys_one_without_mki",
		"a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:" K30 "|1:1;inline:" K30B, HL_E_PARSE, 0,
		0},
	{"two_keys_neither_with_mki",
		"a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:" K30 ";inline:" K30B, HL_E_PARSE, 0, 0},
	{"two_keys_mki_lengths_differ",
		"a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:" K30 "|1:1;inline:" K30B "|2:2",
		HL_E_PARSE, 0, 0},
	{"two_keys_same_mki",
		"a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:" K30 "|1:1;inline:" K30B "|1:1",
		HL_E_PARSE, 0, 0},
	{"two_keys_second_short",
		"a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:" K30 "|1:1;inline:" K29 "|2:1",
		HL_E_PARSE, 0, 0},
	{"two_keys_second_mki_5_octets",
		"a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:" K30 "|1:5;inline:" K30B "|2:5",
		HL_E_UNSUPPORTED, 0, 0},
	{"two_keys_with_32",
		"a=crypto:1 AES_CM_128_HMAC_SHA1_32 inline:" K30 "|1:1;inline:" K30B "|2:1",
		HL_E_UNSUPPORTED, 0, 0},
	{"five_keys",
		"a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:" K30 "|1:1;inline:" K30B
		"|2:1;inline:" K30 "|3:1;inline:" K30B "|4:1;inline:" K30 "|5:1",
		HL_E_UNSUPPORTED, 0, 0},
	{"kdr_1", "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:" K30 " KDR=1", HL_E_UNSUPPORTED, 0,
		0},
	{"unencrypted", "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:" K30 " UNENCRYPTED_SRTP",
		HL_E_UNSUPPORTED, 0, 0},
	{"unauthenticated",
		"a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:" K30 " UNAUTHENTICATED_SRTP",
		HL_E_UNSUPPORTED, 0, 0},
	{"wsh_too_small", "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:" K30 " WSH=10", HL_E_PARSE, 0,
		0},
	{"cm256_32", "a=crypto:1 AES_256_CM_HMAC_SHA1_32 inline:" K46, HL_E_UNSUPPORTED, 0, 0},
	{"unknown_suite", "a=crypto:1 F8_128_HMAC_SHA1_80 inline:" K30, HL_E_UNSUPPORTED, 0, 0},
	{"bad_lifetime", "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:" K30 "|2^x", HL_E_PARSE, 0, 0},
};

HL_TEST(crypto_key)
{
	for (unsigned int i = 0; i < HL_ARRAY_SIZE(key_cases); i++) {
		struct hl_test_guard_buf g = {0};
		const uint8_t *b;
		struct hl_sdp sdp;
		struct hl_srtp_key key;
		char line[512];
		snprintf(line, sizeof(line), "%s\r\n", key_cases[i].line);
		int r = one_crypto(line, 0, &sdp, &g, &b);
		HL_CHECK_MSG(r == 0, "%s: parse %d", key_cases[i].what, r);
		if (r != 0) {
			hl_test_guard_free(&g);
			continue;
		}
		memset(&key, 0xa5, sizeof(key));
		r = hl_sdp_crypto_key(b, &sdp.media[0].crypto[0], &key);
		HL_CHECK_MSG(r == key_cases[i].rc, "%s: rc %d want %d", key_cases[i].what, r,
			key_cases[i].rc);
		HL_CHECK_MSG(key.key_salt_len == key_cases[i].len, "%s: %u octets want %u",
			key_cases[i].what, key.key_salt_len, key_cases[i].len);
		HL_CHECK_INT(key.mki_len, key_cases[i].mki_len);
		if (r == 0) {
			HL_CHECK_INT(hl_sdp_suite_of_srtp(key.suite), sdp.media[0].crypto[0].suite);
		} else {
			/* Refused: nothing of the key is left behind. */
			static const uint8_t zero[HL_SRTP_MAX_KEY_SALT];
			HL_CHECK(memcmp(key.key, zero, sizeof(zero)) == 0);
		}
		hl_test_guard_free(&g);
	}
}

/* hl_sdp_crypto_keys(): every key of a line, in order, each with its MKI and lifetime;
 * up to HL_SDP_MAX_KEYS, padding put back on any of them. */
HL_TEST(crypto_keys_multi)
{
	static const struct {
		const char *what, *line;
		int n;
		uint32_t mki[HL_SDP_MAX_KEYS];
		uint8_t mki_len, lifetime_log2[HL_SDP_MAX_KEYS];
	} cases[] = {
		{"one", "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:" K30, 1, {0}, 0, {0}},
		{"two",
			"a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:" K30 "|2^20|1:4;inline:" K30B
			"|2^20|2:4",
			2, {1, 2}, 4, {20, 20}},
		{"four_gcm256",
			"a=crypto:7 AEAD_AES_256_GCM inline:" K44 "|9:2;inline:" K44
			"|2^31|8:2;inline:"
			"aG90bGluZS1zZGVzLWdjbTI1Ni1rZXktaXMtNDQtb2N0ZXRzLWxvbmchISE|65535:2;"
			"inline:" K44 "|2^10|256:2 WSH=128",
			4, {9, 8, 65535, 256}, 2, {0, 31, 0, 10}},
		{"two_cm256",
			"a=crypto:1 AES_256_CM_HMAC_SHA1_80 inline:" K46 "|1:1;inline:" K46 "|2:1",
			2, {1, 2}, 1, {0}},
		{"two_gcm128", "a=crypto:1 AEAD_AES_128_GCM inline:" K28 "|3:3;inline:" K28 "|4:3",
			2, {3, 4}, 3, {0}},
		{"five",
			"a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:" K30 "|1:1;inline:" K30
			"|2:1;inline:" K30 "|3:1;inline:" K30 "|4:1;inline:" K30 "|5:1",
			HL_E_UNSUPPORTED, {0}, 0, {0}},
		{"third_repeats_first",
			"a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:" K30 "|1:1;inline:" K30
			"|2:1;inline:" K30 "|1:1",
			HL_E_PARSE, {0}, 0, {0}},
		{"second_bad_base64",
			"a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:" K30 "|1:1;inline:*" K30 "|2:1",
			HL_E_PARSE, {0}, 0, {0}},
		{"second_empty_key",
			"a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:" K30 "|1:1;inline:|2:1",
			HL_E_PARSE, {0}, 0, {0}},
	};

	for (unsigned int i = 0; i < HL_ARRAY_SIZE(cases); i++) {
		struct hl_test_guard_buf g = {0};
		const uint8_t *b;
		struct hl_sdp sdp;
		struct hl_srtp_key keys[HL_SDP_MAX_KEYS];
		char line[512];
		snprintf(line, sizeof(line), "%s\r\n", cases[i].line);
		int r = one_crypto(line, 0, &sdp, &g, &b);
		HL_CHECK_MSG(r == 0, "%s: parse %d", cases[i].what, r);
		if (r != 0) {
			hl_test_guard_free(&g);
			continue;
		}
		memset(keys, 0xa5, sizeof(keys));
		r = hl_sdp_crypto_keys(b, &sdp.media[0].crypto[0], keys);
		HL_CHECK_MSG(r == cases[i].n, "%s: %d want %d", cases[i].what, r, cases[i].n);
		for (int k = 0; r > 0 && k < r; k++) {
			HL_CHECK_INT(keys[k].mki, cases[i].mki[k]);
			HL_CHECK_INT(keys[k].mki_len, cases[i].mki_len);
			HL_CHECK_INT(keys[k].lifetime_log2, cases[i].lifetime_log2[k]);
			HL_CHECK_INT(
				hl_sdp_suite_of_srtp(keys[k].suite), sdp.media[0].crypto[0].suite);
			HL_CHECK_INT(
				keys[k].key_salt_len, hl_srtp_suite_key_salt_len(keys[k].suite));
		}
		/* Nothing past the keys returned, nothing at all on refusal. */
		static const uint8_t zero[sizeof(keys[0])];
		for (int k = r > 0 ? r : 0; k < HL_SDP_MAX_KEYS; k++)
			HL_CHECK_MSG(memcmp(&keys[k], zero, sizeof(zero)) == 0, "%s: key %d left",
				cases[i].what, k);
		/* The first key alone, as before. */
		struct hl_srtp_key one;
		int r1 = hl_sdp_crypto_key(b, &sdp.media[0].crypto[0], &one);
		HL_CHECK_INT(r1, r > 0 ? 0 : r);
		if (r > 0)
			HL_CHECK(memcmp(&one, &keys[0], sizeof(one)) == 0);
		hl_srtp_key_wipe(&one);
		for (int k = 0; k < HL_SDP_MAX_KEYS; k++)
			hl_srtp_key_wipe(&keys[k]);
		hl_test_guard_free(&g);
	}
}

/* A test key callback: a fresh key for each suite it is asked for (as a caller would),
 * counting the calls; refuse names one suite it has no key for. */
struct keycb {
	unsigned int calls;
	uint8_t last, refuse;
	char b64[HL_SRTP_ATTR_MAX];
};

static const char *
test_key(void *ctx, enum hl_sdp_suite suite)
{
	struct keycb *k = ctx;
	struct hl_srtp_key key;
	char attr[HL_SRTP_ATTR_MAX];
	int su = hl_sdp_suite_srtp(suite);

	k->calls++;
	k->last = (uint8_t)suite;
	if (su < 0 || suite == k->refuse || hl_srtp_key_generate(&key, (unsigned int)su) != 0 ||
		hl_srtp_crypto_attr_format(attr, sizeof(attr), 1, &key) < 0)
		return NULL;
	snprintf(k->b64, sizeof(k->b64), "%s", strstr(attr, "inline:") + 7);
	hl_srtp_key_wipe(&key);
	return k->b64;
}

/* The answer's one crypto line, parsed back: its tag, suite and the length of its key. */
static int
answer_crypto(const char *out, int n, struct hl_sdp_crypto *cr, struct hl_srtp_key *key)
{
	static struct hl_sdp ans;
	struct hl_sip_slice body = {0, (uint16_t)(n > 0 ? n : 0)};

	if (n <= 0 || hl_sdp_parse((const uint8_t *)out, body, &ans) != 0 || ans.nmedia < 1 ||
		ans.media[0].ncrypto != 1)
		return -1;
	*cr = ans.media[0].crypto[0];
	return hl_sdp_crypto_key((const uint8_t *)out, cr, key);
}

HL_TEST(answer_crypto_per_suite)
{
	/* One offered line of each suite: the answer is that suite with a key of its
	 * length, ours, asked for once; one key without an MKI whatever the offer had
	 * (RFC 4568 §6.1: each side's key-params are its own). */
	for (unsigned int i = 0; i < HL_ARRAY_SIZE(key_cases); i++) {
		if (key_cases[i].rc != 0)
			continue;
		struct hl_sdp_caps caps = caps_default();
		struct hl_sdp_negotiated neg;
		struct hl_sdp_crypto cr;
		struct hl_srtp_key key;
		struct keycb kc = {0};
		char offer[1024], out[2048];
		caps.srtp_key = NULL;
		caps.srtp_key_fn = test_key;
		caps.srtp_key_ctx = &kc;
		snprintf(offer, sizeof(offer), "%s%s\r\n", SRTP_HEAD, key_cases[i].line);
		int n = answer(offer, &caps, out, sizeof(out), &neg);
		HL_CHECK_MSG(n > 0 && neg.naccepted == 1, "%s: %d", key_cases[i].what, n);
		HL_CHECK_INT(kc.calls, 1);
		HL_CHECK_INT(answer_crypto(out, n, &cr, &key), 0);
		HL_CHECK_MSG(key.key_salt_len == key_cases[i].len, "%s: our key %u octets",
			key_cases[i].what, key.key_salt_len);
		HL_CHECK_INT(cr.suite, neg.s[0].suite);
		HL_CHECK_INT(cr.suite, kc.last);
		HL_CHECK_INT(cr.nkeys, 1);
		HL_CHECK_INT(key.mki_len, 0);
		HL_CHECK_INT(cr.tag, 1);
		HL_CHECK(strstr(out, kc.b64) != NULL);
		/* Ours, not an echo of the offerer's. */
		HL_CHECK(strstr(out, strstr(key_cases[i].line, "inline:") + 7) == NULL);
		hl_srtp_key_wipe(&key);
	}
}

HL_TEST(answer_crypto_first_usable)
{
	/* In the offerer's order: an unknown suite, one we do not run, a key one octet
	 * short, several keys without MKIs (RFC 4568 §6.1), then AEAD_AES_256_GCM, then
	 * AES_CM_128_HMAC_SHA1_80. The
	 * parser keeps four lines, the known suites displacing the unknown one. */
	static const char offer[] =
		SRTP_HEAD "a=crypto:1 AES_192_CM_HMAC_SHA1_80 inline:" K30 "\r\n"
			  "a=crypto:2 AES_256_CM_HMAC_SHA1_32 inline:" K46 "\r\n"
			  "a=crypto:3 AES_CM_128_HMAC_SHA1_80 inline:" K29 "\r\n"
			  "a=crypto:4 AEAD_AES_128_GCM inline:" K28 ";inline:" K28 "\r\n"
			  "a=crypto:5 AEAD_AES_256_GCM inline:" K44 "\r\n"
			  "a=crypto:6 AES_CM_128_HMAC_SHA1_80 inline:" K30 "\r\n";
	struct hl_sdp_caps caps = caps_default();
	struct hl_sdp_negotiated neg;
	struct hl_sdp_crypto cr;
	struct hl_srtp_key key;
	struct keycb kc = {0};
	char out[2048];
	caps.srtp_key = NULL;
	caps.srtp_key_fn = test_key;
	caps.srtp_key_ctx = &kc;
	caps.srtp = HL_SDP_SRTP_MANDATORY;
	int n = answer(offer, &caps, out, sizeof(out), &neg);
	HL_CHECK(n > 0);
	HL_CHECK_INT(neg.naccepted, 1);
	HL_CHECK_INT(neg.s[0].crypto_tag, 5);
	HL_CHECK_INT(neg.s[0].suite, HL_SDP_SUITE_AEAD_AES_256_GCM);
	HL_CHECK(is((const uint8_t *)offer, neg.s[0].remote_key, K44));
	/* Only the line taken cost a key. */
	HL_CHECK_INT(kc.calls, 1);
	HL_CHECK_INT(answer_crypto(out, n, &cr, &key), 0);
	HL_CHECK_INT(cr.tag, 5);
	HL_CHECK_INT(cr.suite, HL_SDP_SUITE_AEAD_AES_256_GCM);
	HL_CHECK_INT(key.key_salt_len, 44);
	hl_srtp_key_wipe(&key);

	/* No key for that suite: the next usable line. */
	kc = (struct keycb){.refuse = HL_SDP_SUITE_AEAD_AES_256_GCM};
	n = answer(offer, &caps, out, sizeof(out), &neg);
	HL_CHECK_INT(neg.naccepted, 1);
	HL_CHECK_INT(neg.s[0].crypto_tag, 6);
	HL_CHECK_INT(kc.calls, 2);
	HL_CHECK_INT(answer_crypto(out, n, &cr, &key), 0);
	HL_CHECK_INT(cr.suite, HL_SDP_SUITE_AES_CM_128_HMAC_SHA1_80);
	HL_CHECK_INT(key.key_salt_len, 30);
	hl_srtp_key_wipe(&key);

	/* Nothing usable: the stream is refused, and no key was made. */
	static const char bad[] =
		SRTP_HEAD "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:" K29 "\r\n"
			  "a=crypto:2 AES_CM_128_HMAC_SHA1_80 inline:" K30 " UNENCRYPTED_SRTCP\r\n";
	kc = (struct keycb){0};
	n = answer(bad, &caps, out, sizeof(out), &neg);
	HL_CHECK(n > 0);
	HL_CHECK_INT(neg.naccepted, 0);
	HL_CHECK_INT(kc.calls, 0);
	HL_CHECK(memmem(out, (size_t)n, "m=audio 0 RTP/SAVP 0\r\n", 22) != NULL);

	/* Without a callback only the 128-bit AES-CM suites have a key (srtp_key). */
	caps = caps_default();
	n = answer(offer, &caps, out, sizeof(out), &neg);
	HL_CHECK_INT(neg.naccepted, 1);
	HL_CHECK_INT(neg.s[0].crypto_tag, 6);
	HL_CHECK(memmem(out, (size_t)n, "a=crypto:6 AES_CM_128_HMAC_SHA1_80 inline:" K30 "\r\n",
			 sizeof("a=crypto:6 AES_CM_128_HMAC_SHA1_80 inline:" K30 "\r\n") - 1) !=
		 NULL);
}

HL_TEST(crypto_lines_kept)
{
	/* Seven unknown suites first (as FreeSWITCH offers its own spellings), then three
	 * we know: all three are kept, in order, in the places of the first unknown ones. */
	static const char lines[] = "a=crypto:1 AEAD_AES_256_GCM_8 inline:" K44 "\r\n"
				    "a=crypto:2 AEAD_AES_128_GCM_8 inline:" K28 "\r\n"
				    "a=crypto:3 AES_CM_256_HMAC_SHA1_80 inline:" K46 "\r\n"
				    "a=crypto:4 AES_CM_192_HMAC_SHA1_80 inline:" K30 "\r\n"
				    "a=crypto:5 AES_CM_256_HMAC_SHA1_32 inline:" K46 "\r\n"
				    "a=crypto:6 AES_CM_192_HMAC_SHA1_32 inline:" K30 "\r\n"
				    "a=crypto:7 AES_CM_128_NULL_AUTH inline:" K30 "\r\n"
				    "a=crypto:8 AES_CM_128_HMAC_SHA1_80 inline:" K30 "\r\n"
				    "a=crypto:9 AES_CM_128_HMAC_SHA1_32 inline:" K30B "\r\n"
				    "a=crypto:10 AEAD_AES_128_GCM inline:" K28 "\r\n";
	struct hl_test_guard_buf g = {0};
	const uint8_t *b;
	struct hl_sdp sdp;
	HL_CHECK_INT(one_crypto(lines, 0, &sdp, &g, &b), 0);
	const struct hl_sdp_media *m = &sdp.media[0];
	HL_CHECK_INT(m->ncrypto, HL_SDP_MAX_CRYPTO);
	for (unsigned int i = 0; i < HL_SDP_MAX_CRYPTO; i++)
		HL_CHECK_INT(m->crypto[i].tag, i + 3);
	HL_CHECK(is(b, m->crypto[6].key, K30B));
	HL_CHECK_INT(m->crypto[7].suite, HL_SDP_SUITE_AEAD_AES_128_GCM);
	hl_test_guard_free(&g);
}

HL_TEST(offer_crypto_lines)
{
	static const uint8_t suites[] = {
		HL_SDP_SUITE_AEAD_AES_256_GCM,
		HL_SDP_SUITE_AES_256_CM_HMAC_SHA1_32, /* not run: left out, its tag unused */
		HL_SDP_SUITE_AES_256_CM_HMAC_SHA1_80,
		HL_SDP_SUITE_AES_CM_128_HMAC_SHA1_80,
	};
	static const struct {
		uint32_t tag;
		uint8_t suite, len;
	} want[] = {
		{5, HL_SDP_SUITE_AEAD_AES_256_GCM, 44},
		{7, HL_SDP_SUITE_AES_256_CM_HMAC_SHA1_80, 46},
		{8, HL_SDP_SUITE_AES_CM_128_HMAC_SHA1_80, 30},
	};
	struct hl_sdp_caps caps = caps_default();
	struct keycb kc = {0};
	char out[2048], ans[2048];
	caps.srtp = HL_SDP_SRTP_MANDATORY;
	caps.srtp_key = NULL;
	caps.srtp_key_fn = test_key;
	caps.srtp_key_ctx = &kc;
	caps.srtp_suites = suites;
	caps.nsrtp_suites = HL_ARRAY_SIZE(suites);
	caps.srtp_tag = 5;
	int n = hl_sdp_build_offer(&caps, out, sizeof(out));
	HL_CHECK(n > 0);
	HL_CHECK_INT(kc.calls, 3);
	struct hl_test_guard_buf g = {0};
	const uint8_t *b;
	struct hl_sdp sdp;
	HL_CHECK_INT(parse_str(out, (size_t)n, &sdp, &g, &b), 0);
	const struct hl_sdp_media *m = &sdp.media[0];
	HL_CHECK_INT(m->proto, HL_SDP_PROTO_RTP_SAVP);
	HL_CHECK_INT(m->ncrypto, HL_ARRAY_SIZE(want));
	for (unsigned int i = 0; i < m->ncrypto && i < HL_ARRAY_SIZE(want); i++) {
		struct hl_srtp_key key;
		HL_CHECK_INT(m->crypto[i].tag, want[i].tag);
		HL_CHECK_INT(m->crypto[i].suite, want[i].suite);
		HL_CHECK_INT(hl_sdp_crypto_key(b, &m->crypto[i], &key), 0);
		HL_CHECK_INT(key.key_salt_len, want[i].len);
		/* every line its own key */
		for (unsigned int j = 0; j < i; j++)
			HL_CHECK(!is(b, m->crypto[j].key, "") &&
				 (m->crypto[j].key.len != m->crypto[i].key.len ||
					 memcmp(b + m->crypto[j].key.off, b + m->crypto[i].key.off,
						 m->crypto[i].key.len) != 0));
		hl_srtp_key_wipe(&key);
	}
	/* Answered by ourselves: the first line, our preference. */
	struct hl_sdp_negotiated neg;
	struct keycb kc2 = {0};
	caps.srtp_key_ctx = &kc2;
	int an = hl_sdp_answer(b, &sdp, &caps, ans, sizeof(ans), &neg);
	HL_CHECK(an > 0);
	HL_CHECK_INT(neg.naccepted, 1);
	HL_CHECK_INT(neg.s[0].crypto_tag, 5);
	HL_CHECK_INT(neg.s[0].suite, HL_SDP_SUITE_AEAD_AES_256_GCM);
	hl_test_guard_free(&g);

	/* OPTIONAL: best effort, the lines ride RTP/AVP. */
	caps.srtp = HL_SDP_SRTP_OPTIONAL;
	n = hl_sdp_build_offer(&caps, out, sizeof(out));
	HL_CHECK(n > 0 && memmem(out, (size_t)n, " RTP/AVP ", 9) != NULL);
	HL_CHECK(n > 0 &&
		 memmem(out, (size_t)n, "a=crypto:8 AES_CM_128_HMAC_SHA1_80 inline:", 42) != NULL);
	/* MANDATORY with no key at all: no offer, rather than RTP/SAVP without crypto. */
	static const uint8_t only[] = {HL_SDP_SUITE_AES_256_CM_HMAC_SHA1_32};
	caps.srtp = HL_SDP_SRTP_MANDATORY;
	caps.srtp_suites = only;
	caps.nsrtp_suites = 1;
	HL_CHECK_INT(hl_sdp_build_offer(&caps, out, sizeof(out)), HL_E_UNSUPPORTED);
	/* FORBID: no crypto, no key made. */
	caps.srtp = HL_SDP_SRTP_FORBID;
	caps.srtp_suites = suites;
	caps.nsrtp_suites = HL_ARRAY_SIZE(suites);
	kc.calls = 0;
	caps.srtp_key_ctx = &kc;
	n = hl_sdp_build_offer(&caps, out, sizeof(out));
	HL_CHECK(n > 0 && memmem(out, (size_t)n, "a=crypto", 8) == NULL);
	HL_CHECK_INT(kc.calls, 0);
}

HL_TEST_MAIN()
