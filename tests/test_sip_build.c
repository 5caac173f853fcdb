/*
 * Unit tests for the SIP builder (dataplane/sip_build.c): exact bytes of stateless
 * responses (RFC 3261 §8.2.6), overflow at every capacity, and parse(build(x)) == x.
 */
#include "hl_test.h"
#include "hotline/sip.h"

#define CRLF "\r\n"

static const char req[] =
	"INVITE sip:bob@biloxi.com SIP/2.0" CRLF
	"Via: SIP/2.0/UDP pc33.atlanta.com;branch=z9hG4bKnashds8;rport=5060" CRLF
	"v: SIP/2.0/UDP p1.example.com;branch=z9hG4bK1, SIP/2.0/UDP p2.example.com;branch=z9hG4bK2" CRLF
	"Max-Forwards: 70" CRLF
	"To: Bob <sip:bob@biloxi.com>" CRLF
	"From: Alice <sip:alice@atlanta.com>;tag=1928301774" CRLF
	"Call-ID: a84b4c76e66710" CRLF
	"CSeq: 314159 INVITE" CRLF
	"Timestamp: 54" CRLF
	"Content-Length: 0" CRLF CRLF;

static const char want_486[] =
	"SIP/2.0 486 Busy Here" CRLF
	"Via: SIP/2.0/UDP pc33.atlanta.com;branch=z9hG4bKnashds8;rport=5060" CRLF
	"v: SIP/2.0/UDP p1.example.com;branch=z9hG4bK1, SIP/2.0/UDP p2.example.com;branch=z9hG4bK2" CRLF
	"From: Alice <sip:alice@atlanta.com>;tag=1928301774" CRLF
	"To: Bob <sip:bob@biloxi.com>;tag=hl77" CRLF
	"Call-ID: a84b4c76e66710" CRLF
	"CSeq: 314159 INVITE" CRLF
	"Content-Length: 0" CRLF CRLF;

static const char want_100[] =
	"SIP/2.0 100 Trying" CRLF
	"Via: SIP/2.0/UDP pc33.atlanta.com;branch=z9hG4bKnashds8;rport=5060" CRLF
	"v: SIP/2.0/UDP p1.example.com;branch=z9hG4bK1, SIP/2.0/UDP p2.example.com;branch=z9hG4bK2" CRLF
	"From: Alice <sip:alice@atlanta.com>;tag=1928301774" CRLF
	"To: Bob <sip:bob@biloxi.com>" CRLF
	"Call-ID: a84b4c76e66710" CRLF
	"CSeq: 314159 INVITE" CRLF
	"Timestamp: 54" CRLF
	"Content-Length: 0" CRLF CRLF;

HL_TEST(error_response_bytes)
{
	struct hl_test_guard_buf g = {0};
	const uint8_t *b = hl_test_guard(&g, req, sizeof(req) - 1);
	struct hl_sip_msg m, r;
	char out[1024];

	HL_CHECK_INT(hl_sip_parse(b, sizeof(req) - 1, &m), sizeof(req) - 1);
	int n = hl_sip_build_error_response(b, &m, 486, "hl77", out, sizeof(out));
	HL_CHECK_INT(n, sizeof(want_486) - 1);
	HL_CHECK(n > 0 && memcmp(out, want_486, (size_t)n) == 0);
	HL_CHECK_INT(hl_sip_parse((const uint8_t *)out, (size_t)n, &r), n);
	HL_CHECK_INT(r.status, 486);
	HL_CHECK_INT(hl_sip_validate((const uint8_t *)out, &r), 0);

	n = hl_sip_build_error_response(b, &m, 100, "hl77", out, sizeof(out));
	HL_CHECK_INT(n, sizeof(want_100) - 1);
	HL_CHECK(n > 0 && memcmp(out, want_100, (size_t)n) == 0);

	/* Every capacity short of the need overflows cleanly; the exact one fits. */
	for (size_t cap = 0; cap < sizeof(want_486) - 1; cap++)
		HL_CHECK_MSG(hl_sip_build_error_response(b, &m, 486, "hl77", out, cap) ==
				HL_E_TOOBIG,
			"cap %zu", cap);
	HL_CHECK_INT(hl_sip_build_error_response(b, &m, 486, "hl77", out, sizeof(want_486) - 1),
		sizeof(want_486) - 1);
	hl_test_guard_free(&g);
}

HL_TEST(error_response_keeps_to_tag)
{
	static const char t[] = "BYE sip:bob@192.0.2.4 SIP/2.0" CRLF
		"Via: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bKx" CRLF
		"To: <sip:bob@biloxi.com>;tag=a6c85cf" CRLF "From: <sip:a@b>;tag=1" CRLF
		"Call-ID: c" CRLF "CSeq: 2 BYE" CRLF CRLF;
	struct hl_sip_msg m, r;
	char out[512];
	HL_CHECK_INT(hl_sip_parse((const uint8_t *)t, sizeof(t) - 1, &m), sizeof(t) - 1);
	int n = hl_sip_build_error_response((const uint8_t *)t, &m, 481, "zz", out, sizeof(out));
	HL_CHECK(n > 0);
	HL_CHECK_INT(hl_sip_parse((const uint8_t *)out, (size_t)n, &r), n);
	const struct hl_sip_hdr_field *h = hl_sip_hdr_first(&r, HL_SIP_HDR_TO);
	HL_CHECK(hl_sip_slice_ieq((const uint8_t *)out, h->value, "<sip:bob@biloxi.com>;tag=a6c85cf"));
	HL_CHECK(memmem(out, (size_t)n, "481 Call/Transaction Does Not Exist\r\n", 37) != NULL);
}

HL_TEST(error_response_to_broken_requests)
{
	/* 505 and 416 are answered with the headers the parser still read. */
	static const char t[] = "INVITE sip:b@example.com SIP/3.0" CRLF
		"Via: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bKv" CRLF "To: <sip:b@example.com>" CRLF
		"From: <sip:a@example.com>;tag=9" CRLF "Call-ID: v1" CRLF "CSeq: 5 INVITE" CRLF CRLF;
	struct hl_sip_msg m, r;
	char out[512];
	int e = hl_sip_parse((const uint8_t *)t, sizeof(t) - 1, &m);
	HL_CHECK_INT(e, HL_E_VERSION);
	int code = hl_sip_error_status(e, &m, NULL);
	HL_CHECK_INT(code, 505);
	int n = hl_sip_build_error_response((const uint8_t *)t, &m, code, "t1", out, sizeof(out));
	HL_CHECK(n > 0);
	HL_CHECK_INT(hl_sip_parse((const uint8_t *)out, (size_t)n, &r), n);
	HL_CHECK_INT(r.status, 505);
	HL_CHECK_INT(hl_sip_validate((const uint8_t *)out, &r), 0);

	/* No Call-ID: cannot be answered. */
	static const char u[] = "OPTIONS sip:b@example.com SIP/2.0" CRLF
		"Via: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bKv" CRLF "To: <sip:b@example.com>" CRLF
		"From: <sip:a@example.com>;tag=9" CRLF "CSeq: 5 OPTIONS" CRLF CRLF;
	HL_CHECK_INT(hl_sip_parse((const uint8_t *)u, sizeof(u) - 1, &m), sizeof(u) - 1);
	HL_CHECK_INT(hl_sip_build_error_response((const uint8_t *)u, &m, 400, "t", out,
			     sizeof(out)),
		HL_E_PARSE);
}

/* What a B2BUA puts in a request; built, parsed and read back. */
struct req_desc {
	const char *method, *ruri, *via_host, *branch, *from_uri, *from_tag, *to_uri;
	const char *call_id, *contact;
	uint32_t cseq, max_forwards;
	uint16_t via_port;
	const char *body;
};

static int
build(const struct req_desc *d, char *out, size_t cap)
{
	struct hl_sip_writer w;
	hl_sip_w_init(&w, out, cap);
	hl_sip_w_request_line(&w, d->method, d->ruri);
	hl_sip_w_hdrf(&w, HL_SIP_HDR_VIA, "SIP/2.0/UDP %s:%u;branch=%s;rport", d->via_host,
		d->via_port, d->branch);
	hl_sip_w_hdrf(&w, HL_SIP_HDR_MAX_FORWARDS, "%u", d->max_forwards);
	hl_sip_w_hdrf(&w, HL_SIP_HDR_FROM, "<%s>;tag=%s", d->from_uri, d->from_tag);
	hl_sip_w_hdrf(&w, HL_SIP_HDR_TO, "<%s>", d->to_uri);
	hl_sip_w_hdr(&w, HL_SIP_HDR_CALL_ID, d->call_id);
	hl_sip_w_hdrf(&w, HL_SIP_HDR_CSEQ, "%u %s", d->cseq, d->method);
	hl_sip_w_hdrf(&w, HL_SIP_HDR_CONTACT, "<%s>", d->contact);
	hl_sip_w_body(&w, d->body ? "application/sdp" : NULL, d->body,
		d->body ? strlen(d->body) : 0);
	return hl_sip_w_finish(&w);
}

static int
slice_is(const uint8_t *b, struct hl_sip_slice s, const char *want)
{
	return s.len == strlen(want) && memcmp(b + s.off, want, s.len) == 0;
}

HL_TEST(round_trip)
{
	static const struct req_desc descs[] = {
		{"INVITE", "sip:+15551230000@pbx.example.com;user=phone", "192.0.2.10",
			"z9hG4bK776asdhds", "sip:alice@atlanta.com", "1928301774",
			"sip:+15551230000@pbx.example.com", "a84b4c76e66710@pc33", "sip:alice@192.0.2.10",
			314159, 70, 5060,
			"v=0\r\no=- 1 1 IN IP4 192.0.2.10\r\ns=-\r\nc=IN IP4 192.0.2.10\r\nt=0 0\r\n"
			"m=audio 4000 RTP/AVP 0\r\n"},
		{"BYE", "sip:agent@[2001:db8::7]:5070", "[2001:db8::1]", "z9hG4bK-2", "tel:+1555",
			"x", "sip:agent@example.com", "id", "sip:hl@[2001:db8::1]", 1, 69, 5062, NULL},
		{"REGISTER", "sips:example.com", "host.example.com", "z9hG4bKr", "sips:a@example.com",
			"t", "sips:a@example.com", "r@h", "sips:a@192.0.2.4:5061", 2147483647, 0, 5061,
			NULL},
	};
	for (unsigned int i = 0; i < HL_ARRAY_SIZE(descs); i++) {
		const struct req_desc *d = &descs[i];
		char out[2048];
		int n = build(d, out, sizeof(out));
		HL_CHECK(n > 0);
		struct hl_test_guard_buf g = {0};
		const uint8_t *b = hl_test_guard(&g, out, (size_t)n);
		struct hl_sip_msg m;
		HL_CHECK_INT(hl_sip_parse(b, (size_t)n, &m), n);
		HL_CHECK_INT(hl_sip_validate(b, &m), 0);
		HL_CHECK(slice_is(b, m.method_s, d->method));
		HL_CHECK(slice_is(b, m.ruri, d->ruri));
		struct hl_sip_via via;
		HL_CHECK(hl_sip_parse_via(b, hl_sip_hdr_first(&m, HL_SIP_HDR_VIA)->value, &via) > 0);
		HL_CHECK(slice_is(b, via.host, d->via_host));
		HL_CHECK(slice_is(b, via.branch, d->branch));
		HL_CHECK_INT(via.port, d->via_port);
		HL_CHECK_INT(via.rport, 0);
		struct hl_sip_name_addr na;
		HL_CHECK(hl_sip_parse_name_addr(b, hl_sip_hdr_first(&m, HL_SIP_HDR_FROM)->value,
				 &na) > 0);
		HL_CHECK(slice_is(b, na.uri, d->from_uri));
		HL_CHECK(slice_is(b, na.tag, d->from_tag));
		HL_CHECK(hl_sip_parse_name_addr(b, hl_sip_hdr_first(&m, HL_SIP_HDR_TO)->value,
				 &na) > 0);
		HL_CHECK(slice_is(b, na.uri, d->to_uri));
		HL_CHECK_INT(na.tag.len, 0);
		HL_CHECK(hl_sip_parse_name_addr(b, hl_sip_hdr_first(&m, HL_SIP_HDR_CONTACT)->value,
				 &na) > 0);
		HL_CHECK(slice_is(b, na.uri, d->contact));
		HL_CHECK(slice_is(b, hl_sip_hdr_first(&m, HL_SIP_HDR_CALL_ID)->value, d->call_id));
		struct hl_sip_cseq cs;
		HL_CHECK_INT(hl_sip_parse_cseq(b, hl_sip_hdr_first(&m, HL_SIP_HDR_CSEQ)->value,
				     &cs),
			0);
		HL_CHECK_INT(cs.seq, d->cseq);
		uint32_t mf = 99;
		HL_CHECK_INT(hl_sip_parse_uint(b, hl_sip_hdr_first(&m, HL_SIP_HDR_MAX_FORWARDS)->value,
				     &mf),
			0);
		HL_CHECK_INT(mf, d->max_forwards);
		if (d->body) {
			HL_CHECK(slice_is(b, m.body, d->body));
			struct hl_sip_media_type mt;
			HL_CHECK_INT(hl_sip_parse_media_type(b,
					     hl_sip_hdr_first(&m, HL_SIP_HDR_CONTENT_TYPE)->value, &mt),
				0);
			HL_CHECK(slice_is(b, mt.subtype, "sdp"));
		} else {
			HL_CHECK_INT(m.body.len, 0);
			HL_CHECK_INT(m.content_length, 0);
		}
		/* Re-building from what was parsed gives the same bytes. */
		char again[2048];
		struct hl_sip_writer w;
		hl_sip_w_init(&w, again, sizeof(again));
		hl_sip_w_raw(&w, b, m.head_len);
		hl_sip_w_raw(&w, b + m.body.off, m.body.len);
		HL_CHECK_INT(hl_sip_w_finish(&w), n);
		HL_CHECK(memcmp(again, out, (size_t)n) == 0);
		for (int cap = 0; cap < n; cap += 7)
			HL_CHECK_INT(build(d, out, (size_t)cap), HL_E_TOOBIG);
		hl_test_guard_free(&g);
	}
}

HL_TEST(writer_basics)
{
	char out[64];
	struct hl_sip_writer w;
	hl_sip_w_init(&w, out, sizeof(out));
	hl_sip_w_status_line(&w, 183, NULL);
	hl_sip_w_uint(&w, 0);
	hl_sip_w_uint(&w, 18446744073709551615ull);
	HL_CHECK_INT(hl_sip_w_finish(&w), 30 + 1 + 20);
	HL_CHECK_MEM(out, "SIP/2.0 183 Session Progress\r\n018446744073709551615", 51);
	hl_sip_w_str(&w, "0123456789012345");
	HL_CHECK_INT(hl_sip_w_finish(&w), HL_E_TOOBIG);
	hl_sip_w_str(&w, "");
	HL_CHECK_INT(w.len, 51);
}

HL_TEST_MAIN()
