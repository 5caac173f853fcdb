/*
 * Unit tests for the SIP message parser (dataplane/sip.c): whole messages in the
 * spirit of RFC 4475 (torture tests) and RFC 5118 (IPv6), each with its verdict and
 * response code, run on a guard-page buffer and at every truncation point.
 */
#include "hl_test.h"
#include "hotline/sip.h"

#define CRLF "\r\n"

#define INVITE_SDP                                                                         \
	"v=0" CRLF "o=alice 2890844526 2890844526 IN IP4 192.0.2.10" CRLF "s=-" CRLF        \
	"c=IN IP4 192.0.2.10" CRLF "t=0 0" CRLF "m=audio 49170 RTP/AVP 0 8 101" CRLF       \
	"a=rtpmap:0 PCMU/8000" CRLF "a=rtpmap:101 telephone-event/8000" CRLF               \
	"a=fmtp:101 0-15" CRLF "a=ptime:20" CRLF

/* A carrier INVITE as a trunk sends it: 15 headers and SDP. */
static const char invite[] =
	"INVITE sip:+15551230000@pbx.example.com;user=phone SIP/2.0" CRLF
	"Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK776asdhds;rport" CRLF
	"Max-Forwards: 70" CRLF
	"To: <sip:+15551230000@pbx.example.com;user=phone>" CRLF
	"From: \"Alice \\\"A\\\" Smith\" <sip:+15559870000@carrier.example.net>;tag=1928301774" CRLF
	"Call-ID: a84b4c76e66710@192.0.2.10" CRLF
	"CSeq: 314159 INVITE" CRLF
	"Contact: <sip:+15559870000@192.0.2.10:5060;transport=udp>" CRLF
	"Record-Route: <sip:p1.carrier.example.net;lr>, <sip:p2.carrier.example.net;lr>" CRLF
	"Allow: INVITE, ACK, CANCEL, BYE, OPTIONS, UPDATE, PRACK" CRLF
	"Supported: timer, 100rel, replaces" CRLF
	"Session-Expires: 1800;refresher=uac" CRLF
	"P-Asserted-Identity: \"Alice\" <sip:+15559870000@carrier.example.net>" CRLF
	"User-Agent: CarrierSBC/4.2" CRLF
	"Content-Type: application/sdp" CRLF
	"Content-Length: 204" CRLF
	CRLF INVITE_SDP;

HL_TEST(invite_fields)
{
	struct hl_test_guard_buf g = {0};
	size_t len = sizeof(invite) - 1;
	const uint8_t *b = hl_test_guard(&g, invite, len);
	struct hl_sip_msg m;

	HL_CHECK_INT(sizeof(INVITE_SDP) - 1, 204);
	HL_CHECK_INT(hl_sip_parse(b, len, &m), len);
	HL_CHECK_INT(m.flags, HL_SIP_F_REQUEST);
	HL_CHECK_INT(m.method, HL_SIP_METHOD_INVITE);
	HL_CHECK_INT(m.ruri_scheme, HL_SIP_URI_SIP);
	HL_CHECK_INT(m.method_s.off, 0);
	HL_CHECK_INT(m.method_s.len, 6);
	HL_CHECK_INT(m.ruri.off, 7);
	HL_CHECK(hl_sip_slice_ieq(b, m.ruri, "sip:+15551230000@pbx.example.com;user=phone"));
	HL_CHECK_INT(m.nhdr, 15);
	HL_CHECK_INT(m.content_length, 204);
	HL_CHECK_INT(m.body.len, 204);
	HL_CHECK_INT(m.body.off, len - 204);
	HL_CHECK_INT(m.head_len, len - 204);
	HL_CHECK_MEM(b + m.body.off, "v=0\r\n", 5);
	const struct hl_sip_hdr_field *h = hl_sip_hdr_first(&m, HL_SIP_HDR_VIA);
	HL_CHECK(h == &m.hdr[0]);
	HL_CHECK(hl_sip_slice_ieq(b, h->value,
		"SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK776asdhds;rport"));
	h = hl_sip_hdr_first(&m, HL_SIP_HDR_CALL_ID);
	HL_CHECK(hl_sip_slice_ieq(b, h->value, "a84b4c76e66710@192.0.2.10"));
	HL_CHECK(hl_sip_slice_ieq(b, h->name, "call-id"));
	HL_CHECK(hl_sip_hdr_first(&m, HL_SIP_HDR_USER_AGENT) == &m.hdr[12]);
	HL_CHECK(hl_sip_hdr_first(&m, HL_SIP_HDR_ROUTE) == NULL);
	HL_CHECK(hl_sip_has_option(b, &m, HL_SIP_HDR_SUPPORTED, "100REL"));
	HL_CHECK(!hl_sip_has_option(b, &m, HL_SIP_HDR_SUPPORTED, "path"));
	HL_CHECK(!hl_sip_has_option(b, &m, HL_SIP_HDR_REQUIRE, "timer"));
	HL_CHECK_INT(hl_sip_validate(b, &m), 0);
	hl_test_guard_free(&g);
}

struct msg_case {
	const char *name;
	const char *text;
	int rc;       /* -1: all bytes consumed; -n: all but n; or an HL_E_* */
	int status;   /* hl_sip_error_status(): the answer, 0 = drop */
	int validate; /* hl_sip_validate() when rc >= 0 */
	int nhdr;     /* -1: not checked */
};

#define BASE_HDRS                                                                          \
	"Via: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bKa" CRLF "To: <sip:b@example.com>" CRLF    \
	"From: <sip:a@example.com>;tag=x1" CRLF "Call-ID: c1@192.0.2.1" CRLF                 \
	"CSeq: 1 OPTIONS" CRLF "Max-Forwards: 70" CRLF

static const struct msg_case msg_cases[] = {
	{"options_minimal", "OPTIONS sip:b@example.com SIP/2.0" CRLF BASE_HDRS
		"Content-Length: 0" CRLF CRLF, -1, 0, 0, 7},
	{"response_200", "SIP/2.0 200 OK" CRLF BASE_HDRS "Content-Length: 0" CRLF CRLF, -1,
		0, 0, 7},
	{"response_100_no_reason", "SIP/2.0 100 " CRLF BASE_HDRS CRLF, -1, 0, 0, 6},
	/* RFC 3261 §7.5: leading CRLFs ignored. */
	{"leading_crlf", CRLF CRLF "OPTIONS sip:b@example.com SIP/2.0" CRLF BASE_HDRS CRLF,
		-1, 0, 0, 6},
	/* §7.3.3 compact forms; lower-case version literal. */
	{"compact_forms",
		"OPTIONS sip:b@example.com sip/2.0" CRLF "v: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bKb"
		CRLF "t: sip:b@example.com" CRLF "f: sip:a@example.com;tag=2" CRLF "i: c2" CRLF
		"CSeq: 1 OPTIONS" CRLF "k: timer" CRLF "m: <sip:a@192.0.2.1>" CRLF "l: 0" CRLF CRLF,
		-1, 0, 0, 8},
	/* In the spirit of RFC 4475 §3.1.1.1 wsinv: folds, tabs, odd spacing, case. */
	{"whitespace_folding",
		"OPTIONS sip:b@example.com SIP/2.0" CRLF
		"Via  :  SIP  /   2.0" CRLF " /UDP" CRLF "    192.0.2.2;branch=z9hG4bKwsinv" CRLF
		"TO :" CRLF " <sip:b@example.com>" CRLF
		"fRoM: \"J Rosenberg \\\\\\\"\"  <sip:a@example.com>" CRLF "  ;tag = 98asjd8" CRLF
		"cAll-iD\t:\tc3@192.0.2.2" CRLF "cseq: 0009" CRLF "  OPTIONS" CRLF
		"MaX-fOrWaRdS: 0068" CRLF "Subject:" CRLF "NewFangledHeader:   newfangled value" CRLF
		" continued newfangled value" CRLF "Content-Length: 0" CRLF CRLF,
		-1, 0, 0, 9},
	/* Unknown method: valid, 501 is the transaction layer's. */
	{"unknown_method", "NEWMETHOD sip:b@example.com SIP/2.0" CRLF
		"Via: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bKa" CRLF "To: <sip:b@example.com>" CRLF
		"From: <sip:a@example.com>;tag=x1" CRLF "Call-ID: c1" CRLF "CSeq: 8 NEWMETHOD" CRLF
		CRLF, -1, 0, 0, 5},
	/* §18.3: bytes after Content-Length are cut. */
	{"body_longer_than_clen", "OPTIONS sip:b@example.com SIP/2.0" CRLF BASE_HDRS
		"Content-Length: 4" CRLF CRLF "abcdEXTRA", -5, 0, 0, 7},
	/* §18.3: no Content-Length over UDP: the body runs to the end. */
	{"no_clen_body", "MESSAGE sip:b@example.com SIP/2.0" CRLF
		"Via: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bKa" CRLF "To: <sip:b@example.com>" CRLF
		"From: <sip:a@example.com>;tag=x1" CRLF "Call-ID: c1" CRLF "CSeq: 2 MESSAGE" CRLF
		CRLF "hello", -1, 0, 0, 5},
	/* RFC 5118 §4.1-style IPv6 everywhere. */
	{"ipv6_refs", "REGISTER sip:[2001:db8::10] SIP/2.0" CRLF
		"Via: SIP/2.0/UDP [2001:db8::9:1]:6050;branch=z9hG4bKas3-111;received=[2001:db8::9:255]"
		CRLF "To: <sip:user@[2001:db8::10]>" CRLF "From: sip:user@[2001:db8::10];tag=81x2"
		CRLF "Call-ID: SSG9559905523997077@hlau_4100" CRLF "CSeq: 1 REGISTER" CRLF
		"Contact: \"Caller\" <sip:caller@[2001:db8::1]:5060>;expires=3600;q=0.5" CRLF
		"Max-Forwards: 70" CRLF "l: 0" CRLF CRLF, -1, 0, 0, 8},
	{"tel_ruri", "INVITE tel:+1-201-555-0123;phone-context=+1 SIP/2.0" CRLF
		"Via: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bKa" CRLF "To: <tel:+1-201-555-0123>" CRLF
		"From: <sip:a@example.com>;tag=x1" CRLF "Call-ID: c1" CRLF "CSeq: 1 INVITE" CRLF
		"l: 0" CRLF CRLF, -1, 0, 0, 6},
	/* RFC 4475 §3.1.1.2-style escapes in the Request-URI. */
	{"escaped_ruri", "OPTIONS sip:sips%3Auser%40example.com@example.net;lr?Subject=x%20y SIP/2.0"
		CRLF BASE_HDRS CRLF, -1, 0, 0, 6},
	{"repeated_via", "OPTIONS sip:b@example.com SIP/2.0" CRLF
		"Via: SIP/2.0/UDP p1.example.com;branch=z9hG4bK1, SIP/2.0/TCP p2.example.com:5070;branch=z9hG4bK2"
		CRLF "v: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bKa;rport=5060;received=192.0.2.99" CRLF
		"To: <sip:b@example.com>" CRLF "From: <sip:a@example.com>;tag=x1" CRLF
		"Call-ID: c1" CRLF "CSeq: 1 OPTIONS" CRLF CRLF, -1, 0, 0, 6},

	/* ---- errors ---- */
	/* RFC 4475 §3.1.2.16-like: unknown version. */
	{"version_7", "OPTIONS sip:b@example.com SIP/7.0" CRLF BASE_HDRS CRLF, HL_E_VERSION, 505,
		0, 6},
	/* §3.1.2.12-like: unknown scheme in the Request-URI. */
	{"scheme_mailto", "OPTIONS mailto:b@example.com SIP/2.0" CRLF BASE_HDRS CRLF,
		HL_E_SCHEME, 416, 0, 6},
	{"scheme_and_version", "OPTIONS im:b@example.com SIP/2.1" CRLF BASE_HDRS CRLF,
		HL_E_VERSION, 505, 0, 6},
	/* §18.3: body shorter than Content-Length. */
	{"body_short", "OPTIONS sip:b@example.com SIP/2.0" CRLF BASE_HDRS "Content-Length: 10"
		CRLF CRLF "abc", HL_E_INCOMPLETE, 400, 0, 7},
	{"clen_garbage", "OPTIONS sip:b@example.com SIP/2.0" CRLF BASE_HDRS "l: 1x" CRLF CRLF,
		HL_E_PARSE, 400, 0, 7},
	{"clen_negative", "OPTIONS sip:b@example.com SIP/2.0" CRLF BASE_HDRS "l: -1" CRLF CRLF,
		HL_E_PARSE, 400, 0, 7},
	{"clen_huge", "OPTIONS sip:b@example.com SIP/2.0" CRLF BASE_HDRS
		"l: 99999999999999999999" CRLF CRLF, HL_E_PARSE, 400, 0, 7},
	/* A response is never answered, whatever is wrong with it. */
	{"response_version", "SIP/3.0 200 OK" CRLF BASE_HDRS CRLF, HL_E_VERSION, 0, 0, 6},
	{"response_status_4digit", "SIP/2.0 2000 OK" CRLF BASE_HDRS CRLF, HL_E_PARSE, 0, 0, 0},
	{"response_status_099", "SIP/2.0 099 Odd" CRLF BASE_HDRS CRLF, HL_E_PARSE, 0, 0, 0},
	{"response_body_short", "SIP/2.0 200 OK" CRLF BASE_HDRS "l: 5" CRLF CRLF "ab",
		HL_E_INCOMPLETE, 0, 0, 7},
	/* RFC 4475 §3.1.2.8-like: bracketed Request-URI, answered 400. */
	{"ruri_in_angles", "OPTIONS <sip:b@example.com> SIP/2.0" CRLF BASE_HDRS CRLF,
		HL_E_PARSE, 400, 0, 6},
	/* §3.1.2.9-like: more than one SP between request-line elements. */
	{"ruri_double_space", "OPTIONS  sip:b@example.com SIP/2.0" CRLF BASE_HDRS CRLF,
		HL_E_PARSE, 400, 0, 6},
	{"ruri_trailing_space", "OPTIONS sip:b@example.com SIP/2.0 " CRLF BASE_HDRS CRLF,
		HL_E_PARSE, 400, 0, 6},
	{"no_version", "OPTIONS sip:b@example.com" CRLF BASE_HDRS CRLF, HL_E_PARSE, 400, 0, 6},
	{"method_lower_ok", "options sip:b@example.com SIP/2.0" CRLF BASE_HDRS CRLF, -1, 0,
		HL_E_PARSE, 6},
	/* Not even a request line: nothing to answer along. */
	{"garbage", "\x01\x02hello" CRLF CRLF, HL_E_PARSE, 0, 0, 0},
	{"bare_lf", "OPTIONS sip:b@example.com SIP/2.0\nVia: x\n\n", HL_E_PARSE, 0, 0, 0},
	{"del_in_header", "OPTIONS sip:b@example.com SIP/2.0" CRLF BASE_HDRS "Subject: a\x7f"
		CRLF CRLF, HL_E_PARSE, 400, 0, 6},
	{"space_in_name", "OPTIONS sip:b@example.com SIP/2.0" CRLF BASE_HDRS "Call ID: x" CRLF
		CRLF, HL_E_PARSE, 400, 0, 6},
	{"no_colon", "OPTIONS sip:b@example.com SIP/2.0" CRLF BASE_HDRS "Subject" CRLF CRLF,
		HL_E_PARSE, 400, 0, 6},
	{"fold_first", "OPTIONS sip:b@example.com SIP/2.0" CRLF " Via: x" CRLF CRLF,
		HL_E_PARSE, 0, 0, 0},
	{"cr_alone", "OPTIONS sip:b@example.com SIP/2.0" CRLF BASE_HDRS "Subject: a\rb" CRLF
		CRLF, HL_E_PARSE, 400, 0, 6},
	/* The last line could still fold: not recorded. */
	{"no_empty_line", "OPTIONS sip:b@example.com SIP/2.0" CRLF BASE_HDRS, HL_E_INCOMPLETE,
		400, 0, 5},
	{"ack_never_answered", "ACK sip:b@example.com SIP/9.0" CRLF BASE_HDRS CRLF,
		HL_E_VERSION, 0, 0, 6},
	{"empty", "", HL_E_INCOMPLETE, 0, 0, 0},

	/* ---- parse but fail validation (400 from hl_sip_validate) ---- */
	{"missing_call_id", "OPTIONS sip:b@example.com SIP/2.0" CRLF
		"Via: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bKa" CRLF "To: <sip:b@example.com>" CRLF
		"From: <sip:a@example.com>;tag=x1" CRLF "CSeq: 1 OPTIONS" CRLF CRLF, -1, 0,
		HL_E_PARSE, 4},
	{"cseq_method_mismatch", "INVITE sip:b@example.com SIP/2.0" CRLF BASE_HDRS CRLF, -1, 0,
		HL_E_PARSE, 6},
	/* RFC 4475 §3.1.2.19-like: two To headers. */
	{"two_to", "OPTIONS sip:b@example.com SIP/2.0" CRLF BASE_HDRS "t: <sip:c@example.com>"
		CRLF CRLF, -1, 0, HL_E_PARSE, 7},
	{"max_forwards_word", "OPTIONS sip:b@example.com SIP/2.0" CRLF
		"Via: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bKa" CRLF "To: <sip:b@example.com>" CRLF
		"From: <sip:a@example.com>;tag=x1" CRLF "Call-ID: c1" CRLF "CSeq: 1 OPTIONS" CRLF
		"Max-Forwards: seventy" CRLF CRLF, -1, 0, HL_E_PARSE, 6},
	{"cseq_too_big", "OPTIONS sip:b@example.com SIP/2.0" CRLF
		"Via: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bKa" CRLF "To: <sip:b@example.com>" CRLF
		"From: <sip:a@example.com>;tag=x1" CRLF "Call-ID: c1" CRLF
		"CSeq: 2147483648 OPTIONS" CRLF CRLF, -1, 0, HL_E_PARSE, 5},
	/* RFC 5118 §4.4-like: IPv6 reference without its closing bracket. */
	{"ipv6_ruri_unclosed", "OPTIONS sip:user@[2001:db8::10 SIP/2.0" CRLF BASE_HDRS CRLF, -1,
		0, HL_E_PARSE, 6},
	{"ipv6_ruri_bad_group", "OPTIONS sip:user@[2001:db8:::10] SIP/2.0" CRLF BASE_HDRS CRLF,
		-1, 0, HL_E_PARSE, 6},
	{"ruri_bad_escape", "OPTIONS sip:us%4Ger@example.com SIP/2.0" CRLF BASE_HDRS CRLF, -1, 0,
		HL_E_PARSE, 6},
	{"ruri_port_too_big", "OPTIONS sip:example.com:65536 SIP/2.0" CRLF BASE_HDRS CRLF, -1,
		0, HL_E_PARSE, 6},
	{"via_no_sent_by", "OPTIONS sip:b@example.com SIP/2.0" CRLF
		"Via: SIP/2.0/UDP" CRLF "To: <sip:b@example.com>" CRLF
		"From: <sip:a@example.com>;tag=x1" CRLF "Call-ID: c1" CRLF "CSeq: 1 OPTIONS" CRLF
		CRLF, -1, 0, HL_E_PARSE, 5},
	{"from_unclosed_quote", "OPTIONS sip:b@example.com SIP/2.0" CRLF
		"Via: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bKa" CRLF "To: <sip:b@example.com>" CRLF
		"From: \"Bob <sip:a@example.com>;tag=x1" CRLF "Call-ID: c1" CRLF
		"CSeq: 1 OPTIONS" CRLF CRLF, -1, 0, HL_E_PARSE, 5},
	{"call_id_space", "OPTIONS sip:b@example.com SIP/2.0" CRLF
		"Via: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bKa" CRLF "To: <sip:b@example.com>" CRLF
		"From: <sip:a@example.com>;tag=x1" CRLF "Call-ID: c1 c2" CRLF
		"CSeq: 1 OPTIONS" CRLF CRLF, -1, 0, HL_E_PARSE, 5},
};

/* Run one case on a guard-page buffer of exactly len bytes. */
static int
parse_guarded(const char *text, size_t len, struct hl_sip_msg *m)
{
	struct hl_test_guard_buf g = {0};
	const uint8_t *b = hl_test_guard(&g, text, len);
	int r = hl_sip_parse(b, len, m);
	hl_test_guard_free(&g);
	return r;
}

static size_t
case_len(const struct msg_case *c)
{
	return strlen(c->text);
}

HL_TEST(nul_in_header)
{
	static const char t[] = "OPTIONS sip:b@example.com SIP/2.0" CRLF BASE_HDRS
		"Subject: a\0b" CRLF CRLF;
	struct hl_sip_msg m;
	int r = parse_guarded(t, sizeof(t) - 1, &m);
	HL_CHECK_INT(r, HL_E_PARSE);
	HL_CHECK_INT(m.nhdr, 6);
	HL_CHECK_INT(hl_sip_error_status(r, &m, NULL), 400);
}

HL_TEST(message_table)
{
	for (unsigned int i = 0; i < HL_ARRAY_SIZE(msg_cases); i++) {
		const struct msg_case *c = &msg_cases[i];
		size_t len = case_len(c);
		struct hl_test_guard_buf g = {0};
		const uint8_t *b = hl_test_guard(&g, c->text, len);
		struct hl_sip_msg m;
		int want = c->rc == -1 ? (int)len : c->rc < 0 && c->rc > -100 ? (int)len + c->rc : c->rc;
		int r = hl_sip_parse(b, len, &m);
		HL_CHECK_MSG(r == want, "%s: rc %d, want %d", c->name, r, want);
		int st = hl_sip_error_status(r, &m, NULL);
		HL_CHECK_MSG(st == c->status, "%s: status %d, want %d", c->name, st, c->status);
		if (c->nhdr >= 0)
			HL_CHECK_MSG(m.nhdr == c->nhdr, "%s: nhdr %d, want %d", c->name, m.nhdr,
				c->nhdr);
		if (r >= 0) {
			int v = hl_sip_validate(b, &m);
			HL_CHECK_MSG(v == c->validate, "%s: validate %d, want %d", c->name, v,
				c->validate);
		}
		hl_test_guard_free(&g);
	}
}

/*
 * Every prefix of every case, on a guard page: no over-read; and a prefix that ends
 * inside the head of a message whose head parses is HL_E_INCOMPLETE, one inside a
 * Content-Length body too.
 */
HL_TEST(message_truncation)
{
	for (unsigned int i = 0; i < HL_ARRAY_SIZE(msg_cases); i++) {
		const struct msg_case *c = &msg_cases[i];
		size_t len = case_len(c);
		struct hl_sip_msg full, m;
		int rfull = parse_guarded(c->text, len, &full);
		int strict = rfull >= 0 || rfull == HL_E_VERSION || rfull == HL_E_SCHEME ||
			(rfull == HL_E_INCOMPLETE && full.head_len);
		for (size_t k = 0; k < len; k++) {
			int r = parse_guarded(c->text, k, &m);
			if (!strict)
				continue;
			if (k < full.head_len || (!(full.flags & HL_SIP_F_NO_CLEN) &&
				k < (size_t)full.head_len + full.content_length)) {
				HL_CHECK_MSG(r == HL_E_INCOMPLETE, "%s: prefix %zu: rc %d", c->name, k,
					r);
			} else if (full.flags & HL_SIP_F_NO_CLEN) {
				HL_CHECK_MSG(r == (int)k || r == rfull, "%s: prefix %zu: rc %d",
					c->name, k, r);
			}
		}
	}
	HL_CHECK_INT(parse_guarded(invite, 0, &(struct hl_sip_msg){0}), HL_E_INCOMPLETE);
}

HL_TEST(invite_truncation)
{
	struct hl_sip_msg m;
	size_t len = sizeof(invite) - 1;
	for (size_t k = 0; k < len; k++)
		HL_CHECK_MSG(parse_guarded(invite, k, &m) == HL_E_INCOMPLETE, "prefix %zu", k);
}

HL_TEST(too_many_headers)
{
	char buf[4096];
	size_t n = (size_t)snprintf(buf, sizeof(buf), "OPTIONS sip:b@example.com SIP/2.0" CRLF
		BASE_HDRS);
	for (int i = 0; i < HL_SIP_MAX_HEADERS - 6; i++)
		n += (size_t)snprintf(buf + n, sizeof(buf) - n, "X-H%d: %d" CRLF, i, i);
	memcpy(buf + n, CRLF, 2);
	struct hl_sip_msg m;
	HL_CHECK_INT(parse_guarded(buf, n + 2, &m), n + 2);
	HL_CHECK_INT(m.nhdr, HL_SIP_MAX_HEADERS);
	n += (size_t)snprintf(buf + n, sizeof(buf) - n, "X-Last: 1" CRLF CRLF);
	int r = parse_guarded(buf, n, &m);
	HL_CHECK_INT(r, HL_E_TOOBIG);
	HL_CHECK_INT(hl_sip_error_status(r, &m, NULL), 513);
	static uint8_t huge[HL_SIP_MAX_LEN + 1];
	HL_CHECK_INT(hl_sip_parse(huge, sizeof(huge), &m), HL_E_TOOBIG);
}

HL_TEST(error_reasons)
{
	struct hl_sip_msg m;
	const char *reason = NULL;
	static const char t[] = "OPTIONS sip:b@example.com SIP/7.0" CRLF BASE_HDRS CRLF;
	int r = parse_guarded(t, sizeof(t) - 1, &m);
	HL_CHECK_INT(hl_sip_error_status(r, &m, &reason), 505);
	HL_CHECK_STR(reason, "Version Not Supported");
	HL_CHECK_INT(hl_sip_error_status(HL_E_SCHEME, &m, &reason), 416);
	HL_CHECK_STR(reason, "Unsupported URI Scheme");
	HL_CHECK_INT(hl_sip_error_status(HL_E_TOOBIG, &m, &reason), 513);
	HL_CHECK_STR(reason, "Message Too Large");
	HL_CHECK_INT(hl_sip_error_status(HL_E_PARSE, &m, &reason), 400);
	HL_CHECK_STR(reason, "Bad Request");
	HL_CHECK_INT(hl_sip_error_status(100, &m, &reason), 0);
	HL_CHECK_STR(hl_sip_reason_phrase(486), "Busy Here");
	HL_CHECK_STR(hl_sip_reason_phrase(299), "Unknown");
}

HL_TEST(header_names)
{
	static const struct {
		const char *name;
		enum hl_sip_hdr id;
	} names[] = {
		{"via", HL_SIP_HDR_VIA}, {"V", HL_SIP_HDR_VIA}, {"i", HL_SIP_HDR_CALL_ID},
		{"m", HL_SIP_HDR_CONTACT}, {"f", HL_SIP_HDR_FROM}, {"t", HL_SIP_HDR_TO},
		{"c", HL_SIP_HDR_CONTENT_TYPE}, {"l", HL_SIP_HDR_CONTENT_LENGTH},
		{"k", HL_SIP_HDR_SUPPORTED}, {"s", HL_SIP_HDR_SUBJECT},
		{"e", HL_SIP_HDR_CONTENT_ENCODING}, {"o", HL_SIP_HDR_EVENT},
		{"x", HL_SIP_HDR_SESSION_EXPIRES}, {"r", HL_SIP_HDR_REFER_TO},
		{"b", HL_SIP_HDR_REFERRED_BY}, {"u", HL_SIP_HDR_ALLOW_EVENTS},
		{"y", HL_SIP_HDR_IDENTITY}, {"a", HL_SIP_HDR_OTHER}, {"z", HL_SIP_HDR_OTHER},
		{"WWW-AUTHENTICATE", HL_SIP_HDR_WWW_AUTHENTICATE},
		{"p-asserted-identity", HL_SIP_HDR_P_ASSERTED_IDENTITY},
		{"Call-Id", HL_SIP_HDR_CALL_ID}, {"Call-IDs", HL_SIP_HDR_OTHER},
		{"X-Via", HL_SIP_HDR_OTHER}, {"Vi", HL_SIP_HDR_OTHER}, {"1", HL_SIP_HDR_OTHER},
		{"Min-SE", HL_SIP_HDR_MIN_SE}, {"Min-Se", HL_SIP_HDR_MIN_SE},
	};
	for (unsigned int i = 0; i < HL_ARRAY_SIZE(names); i++)
		HL_CHECK_MSG((int)hl_sip_hdr_lookup((const uint8_t *)names[i].name,
				     strlen(names[i].name)) == (int)names[i].id,
			"%s", names[i].name);
	/* Every name of the X-macro is reachable, full and compact, in any case. */
	static const char compact[] = {
#define C_(sym, str, c) c,
		HL_SIP_FOREACH_HDR(C_)
#undef C_
	};
	for (int id = 1; id < HL_SIP_HDR_MAX_; id++) {
		const char *n = hl_sip_hdr_name((enum hl_sip_hdr)id);
		char up[64];
		size_t l = strlen(n);
		for (size_t k = 0; k <= l; k++)
			up[k] = (char)(n[k] >= 'a' && n[k] <= 'z' ? n[k] - 32 : n[k]);
		HL_CHECK_MSG((int)hl_sip_hdr_lookup((const uint8_t *)n, l) == id, "%s", n);
		HL_CHECK_MSG((int)hl_sip_hdr_lookup((const uint8_t *)up, l) == id, "%s", up);
		char c = compact[id - 1];
		if (c)
			HL_CHECK_MSG((int)hl_sip_hdr_lookup((const uint8_t *)&c, 1) == id, "%c", c);
	}
}

HL_TEST(methods)
{
	for (int id = 1; id < HL_SIP_METHOD_MAX_; id++) {
		const char *n = hl_sip_method_name((enum hl_sip_method)id);
		HL_CHECK_INT(hl_sip_method_lookup((const uint8_t *)n, strlen(n)), id);
		char lower[16];
		for (size_t k = 0; k <= strlen(n); k++)
			lower[k] = (char)(n[k] >= 'A' && n[k] <= 'Z' ? n[k] + 32 : n[k]);
		/* §7.1: methods are case-sensitive. */
		HL_CHECK_INT(hl_sip_method_lookup((const uint8_t *)lower, strlen(n)), 0);
	}
	HL_CHECK_INT(hl_sip_method_lookup((const uint8_t *)"INVITX", 6), 0);
	HL_CHECK_INT(hl_sip_method_lookup((const uint8_t *)"INVIT", 5), 0);
	HL_CHECK_INT(hl_sip_method_lookup((const uint8_t *)"SUBSCRIBER", 10), 0);
	HL_CHECK_INT(hl_sip_method_lookup((const uint8_t *)"AC", 2), 0);
	HL_CHECK_INT(hl_sip_method_lookup((const uint8_t *)"REFEX", 5), 0);
}

HL_TEST(repeated_headers)
{
	struct hl_sip_msg m;
	const struct msg_case *c = NULL;
	for (unsigned int i = 0; i < HL_ARRAY_SIZE(msg_cases); i++)
		if (strcmp(msg_cases[i].name, "repeated_via") == 0)
			c = &msg_cases[i];
	size_t len = strlen(c->text);
	struct hl_test_guard_buf g = {0};
	const uint8_t *b = hl_test_guard(&g, c->text, len);
	HL_CHECK_INT(hl_sip_parse(b, len, &m), len);
	const struct hl_sip_hdr_field *h = hl_sip_hdr_first(&m, HL_SIP_HDR_VIA);
	struct hl_sip_via via;
	struct hl_sip_slice s = h->value;
	int n = hl_sip_parse_via(b, s, &via);
	HL_CHECK(n > 0 && n < s.len);
	HL_CHECK(hl_sip_slice_ieq(b, via.host, "p1.example.com"));
	HL_CHECK(hl_sip_slice_ieq(b, via.branch, "z9hG4bK1"));
	s.off = (uint16_t)(s.off + n);
	s.len = (uint16_t)(s.len - n);
	HL_CHECK_INT(hl_sip_parse_via(b, s, &via), s.len);
	HL_CHECK(hl_sip_slice_ieq(b, via.transport, "TCP"));
	HL_CHECK_INT(via.port, 5070);
	h = hl_sip_hdr_next(&m, h);
	HL_CHECK(h != NULL && h->name.len == 1);
	HL_CHECK_INT(hl_sip_parse_via(b, h->value, &via), h->value.len);
	HL_CHECK_INT(via.rport, 5060);
	HL_CHECK(hl_sip_slice_ieq(b, via.received, "192.0.2.99"));
	HL_CHECK(hl_sip_hdr_next(&m, h) == NULL);
	hl_test_guard_free(&g);
}

HL_TEST(folded_values)
{
	struct hl_sip_msg m;
	const struct msg_case *c = NULL;
	for (unsigned int i = 0; i < HL_ARRAY_SIZE(msg_cases); i++)
		if (strcmp(msg_cases[i].name, "whitespace_folding") == 0)
			c = &msg_cases[i];
	size_t len = strlen(c->text);
	struct hl_test_guard_buf g = {0};
	const uint8_t *b = hl_test_guard(&g, c->text, len);
	HL_CHECK_INT(hl_sip_parse(b, len, &m), len);
	struct hl_sip_via via;
	const struct hl_sip_hdr_field *h = hl_sip_hdr_first(&m, HL_SIP_HDR_VIA);
	HL_CHECK_INT(hl_sip_parse_via(b, h->value, &via), h->value.len);
	HL_CHECK(hl_sip_slice_ieq(b, via.transport, "UDP"));
	HL_CHECK(hl_sip_slice_ieq(b, via.host, "192.0.2.2"));
	HL_CHECK(hl_sip_slice_ieq(b, via.branch, "z9hG4bKwsinv"));
	struct hl_sip_name_addr na;
	h = hl_sip_hdr_first(&m, HL_SIP_HDR_FROM);
	HL_CHECK_INT(hl_sip_parse_name_addr(b, h->value, &na), h->value.len);
	HL_CHECK(hl_sip_slice_ieq(b, na.tag, "98asjd8"));
	char disp[32];
	int dl = hl_sip_unquote(b, na.display, disp, sizeof(disp));
	HL_CHECK_INT(dl, 14);
	HL_CHECK_MEM(disp, "J Rosenberg \\\"", 14);
	struct hl_sip_cseq cs;
	h = hl_sip_hdr_first(&m, HL_SIP_HDR_CSEQ);
	HL_CHECK_INT(hl_sip_parse_cseq(b, h->value, &cs), 0);
	HL_CHECK_INT(cs.seq, 9);
	HL_CHECK_INT(cs.method, HL_SIP_METHOD_OPTIONS);
	h = hl_sip_hdr_first(&m, HL_SIP_HDR_SUBJECT);
	HL_CHECK(h != NULL && h->value.len == 0);
	h = hl_sip_hdr_find_name(b, &m, "newfangledheader");
	HL_CHECK(h != NULL && h->id == HL_SIP_HDR_OTHER);
	HL_CHECK(hl_sip_slice_ieq(b, h->value,
		"newfangled value\r\n continued newfangled value"));
	uint32_t mf;
	h = hl_sip_hdr_first(&m, HL_SIP_HDR_MAX_FORWARDS);
	HL_CHECK_INT(hl_sip_parse_uint(b, h->value, &mf), 0);
	HL_CHECK_INT(mf, 68);
	hl_test_guard_free(&g);
}

HL_TEST(body_framing)
{
	struct hl_sip_msg m;
	static const char t[] = "OPTIONS sip:b@example.com SIP/2.0" CRLF BASE_HDRS
		"Content-Length: 4" CRLF CRLF "abcdEXTRA";
	size_t len = sizeof(t) - 1;
	int r = parse_guarded(t, len, &m);
	HL_CHECK_INT(r, len - 5);
	HL_CHECK(m.flags & HL_SIP_F_TRUNCATED);
	HL_CHECK_INT(m.body.len, 4);
	HL_CHECK_INT(m.body.off, len - 9);
	static const char u[] = "SIP/2.0 180 Ringing" CRLF BASE_HDRS CRLF "xyz";
	r = parse_guarded(u, sizeof(u) - 1, &m);
	HL_CHECK_INT(r, sizeof(u) - 1);
	HL_CHECK(m.flags & HL_SIP_F_RESPONSE);
	HL_CHECK(m.flags & HL_SIP_F_NO_CLEN);
	HL_CHECK_INT(m.status, 180);
	HL_CHECK_INT(m.reason.len, 7);
	HL_CHECK_INT(m.body.len, 3);
}

HL_TEST_MAIN()
