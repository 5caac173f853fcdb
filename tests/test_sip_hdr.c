/*
 * Unit tests for SIP URIs and header bodies (dataplane/sip_uri.c, dataplane/sip_hdr.c).
 * Each input sits alone on a guard-page buffer, so an over-read crashes, and every
 * prefix of it is parsed as well.
 */
#include "hl_test.h"
#include "hotline/sip.h"

static struct hl_test_guard_buf guard;

static const uint8_t *
put(const char *s, struct hl_sip_slice *sl)
{
	hl_test_guard_free(&guard);
	size_t n = strlen(s);
	sl->off = 0;
	sl->len = (uint16_t)n;
	return hl_test_guard(&guard, s, n);
}

static int
seq(const uint8_t *b, struct hl_sip_slice s, const char *want)
{
	return s.len == strlen(want) && memcmp(b + s.off, want, s.len) == 0;
}

#define CHECK_SLICE(b, s, want)                                                            \
	HL_CHECK_MSG(seq(b, s, want), "%s: %s = \"%.*s\", want \"%s\"", in, #s, (int)(s).len, \
		(const char *)(b) + (s).off, want)

typedef int (*parse_fn)(const uint8_t *buf, struct hl_sip_slice s, void *out);

/* Every prefix on its own guard page: must return without reading past it. */
static void
all_prefixes(const char *in, parse_fn fn)
{
	union {
		struct hl_sip_uri u;
		struct hl_sip_via v;
		struct hl_sip_name_addr na;
		struct hl_sip_digest d;
		struct hl_sip_rack ra;
	} out;
	size_t n = strlen(in);
	for (size_t k = 0; k < n; k++) {
		struct hl_test_guard_buf g = {0};
		const uint8_t *b = hl_test_guard(&g, in, k);
		int r = fn(b, (struct hl_sip_slice){0, (uint16_t)k}, &out);
		HL_CHECK(r <= (int)k);
		hl_test_guard_free(&g);
	}
}

static int
uri_fn(const uint8_t *b, struct hl_sip_slice s, void *o)
{
	return hl_sip_parse_uri(b, s, o);
}
static int
via_fn(const uint8_t *b, struct hl_sip_slice s, void *o)
{
	return hl_sip_parse_via(b, s, o);
}
static int
na_fn(const uint8_t *b, struct hl_sip_slice s, void *o)
{
	return hl_sip_parse_name_addr(b, s, o);
}
static int
digest_fn(const uint8_t *b, struct hl_sip_slice s, void *o)
{
	return hl_sip_parse_digest(b, s, o);
}

static const struct uri_case {
	const char *in;
	int rc;
	int scheme, host_type, port;
	const char *user, *password, *host, *params, *headers, *transport;
	int lr;
} uri_cases[] = {
	{"sip:alice@atlanta.com", 0, HL_SIP_URI_SIP, HL_SIP_HOST_NAME, 0, "alice", "",
		"atlanta.com", "", "", "", 0},
	{"sip:alice:secretword@atlanta.com;transport=tcp", 0, HL_SIP_URI_SIP, HL_SIP_HOST_NAME,
		0, "alice", "secretword", "atlanta.com", "transport=tcp", "", "tcp", 0},
	{"sips:alice@atlanta.com?subject=project%20x&priority=urgent", 0, HL_SIP_URI_SIPS,
		HL_SIP_HOST_NAME, 0, "alice", "", "atlanta.com", "",
		"subject=project%20x&priority=urgent", "", 0},
	{"sip:+1-212-555-1212:1234@gateway.com;user=phone", 0, HL_SIP_URI_SIP,
		HL_SIP_HOST_NAME, 0, "+1-212-555-1212", "1234", "gateway.com", "user=phone", "",
		"", 0},
	{"SIP:atlanta.com:5061;lr", 0, HL_SIP_URI_SIP, HL_SIP_HOST_NAME, 5061, "", "",
		"atlanta.com", "lr", "", "", 1},
	{"sip:alice@192.0.2.4:5060", 0, HL_SIP_URI_SIP, HL_SIP_HOST_IPV4, 5060, "alice", "",
		"192.0.2.4", "", "", "", 0},
	/* RFC 5118 §4.1, §4.2 */
	{"sip:[2001:db8::10]:5070", 0, HL_SIP_URI_SIP, HL_SIP_HOST_IPV6, 5070, "", "",
		"[2001:db8::10]", "", "", "", 0},
	{"sip:user@[2001:db8::192.0.2.1];maddr=[2001:db8::20]", 0, HL_SIP_URI_SIP,
		HL_SIP_HOST_IPV6, 0, "user", "", "[2001:db8::192.0.2.1]", "maddr=[2001:db8::20]",
		"", "", 0},
	{"sip:[::1]", 0, HL_SIP_URI_SIP, HL_SIP_HOST_IPV6, 0, "", "", "[::1]", "", "", "", 0},
	{"sip:[1:2:3:4:5:6:7:8]", 0, HL_SIP_URI_SIP, HL_SIP_HOST_IPV6, 0, "", "",
		"[1:2:3:4:5:6:7:8]", "", "", "", 0},
	{"sip:%61lice;x@example.com", 0, HL_SIP_URI_SIP, HL_SIP_HOST_NAME, 0, "%61lice;x", "",
		"example.com", "", "", "", 0},
	{"sip:example.com.", 0, HL_SIP_URI_SIP, HL_SIP_HOST_NAME, 0, "", "", "example.com.", "",
		"", "", 0},
	{"tel:+1-201-555-0123", 0, HL_SIP_URI_TEL, 0, 0, "+1-201-555-0123", "", "", "", "", "",
		0},
	{"tel:7042;phone-context=example.com", 0, HL_SIP_URI_TEL, 0, 0, "7042", "", "",
		"phone-context=example.com", "", "", 0},
	{"mailto:a@example.com", HL_E_SCHEME},
	{"http://example.com/", HL_E_SCHEME},
	{"sip:", HL_E_PARSE},
	{"sip:@example.com", HL_E_PARSE},
	{"sip:a@", HL_E_PARSE},
	{"sip:a@b c", HL_E_PARSE},
	{"sip:a@example.com:0", HL_E_PARSE},
	{"sip:a@example.com:65536", HL_E_PARSE},
	{"sip:a@example.com:", HL_E_PARSE},
	{"sip:a@-bad.com", HL_E_PARSE},
	{"sip:a@bad-.com", HL_E_PARSE},
	{"sip:a@example.123", HL_E_PARSE},
	{"sip:a@1.2.3.256", HL_E_PARSE},
	{"sip:a@[2001:db8::10", HL_E_PARSE},
	{"sip:a@2001:db8::10", HL_E_PARSE},
	{"sip:a@[1:2:3:4:5:6:7:8:9]", HL_E_PARSE},
	{"sip:a@[1::2::3]", HL_E_PARSE},
	{"sip:a@[12345::1]", HL_E_PARSE},
	{"sip:a@[::1.2.3]", HL_E_PARSE},
	{"sip:a%2@example.com", HL_E_PARSE},
	{"sip:a@example.com;", HL_E_PARSE},
	{"sip:a@example.com;=x", HL_E_PARSE},
	{"sip:a@example.com?", HL_E_PARSE},
	{"sip:a@example.com?x", HL_E_PARSE},
	{"sip:a b@example.com", HL_E_PARSE},
	{"tel:", HL_E_PARSE},
	{"tel:+1 555", HL_E_PARSE},
	{"1sip:a@b", HL_E_PARSE},
	{"", HL_E_PARSE},
};

HL_TEST(uri_table)
{
	for (unsigned int i = 0; i < HL_ARRAY_SIZE(uri_cases); i++) {
		const struct uri_case *c = &uri_cases[i];
		const char *in = c->in;
		struct hl_sip_slice s;
		const uint8_t *b = put(in, &s);
		struct hl_sip_uri u;
		int r = hl_sip_parse_uri(b, s, &u);
		HL_CHECK_MSG(r == c->rc, "%s: rc %d want %d", in, r, c->rc);
		if (r == 0 && c->rc == 0) {
			HL_CHECK_INT(u.scheme, c->scheme);
			HL_CHECK_INT(u.host_type, c->host_type);
			HL_CHECK_INT(u.port, c->port);
			HL_CHECK_INT(!!(u.flags & HL_SIP_URI_LR), c->lr);
			CHECK_SLICE(b, u.user, c->user);
			CHECK_SLICE(b, u.password, c->password);
			CHECK_SLICE(b, u.host, c->host);
			CHECK_SLICE(b, u.params, c->params);
			CHECK_SLICE(b, u.headers, c->headers);
			CHECK_SLICE(b, u.transport, c->transport);
		}
		all_prefixes(in, uri_fn);
	}
}

HL_TEST(unescape)
{
	struct hl_sip_slice s;
	char out[32];
	const uint8_t *b = put("sips%3Auser%40example.com", &s);
	int n = hl_sip_unescape(b, s, out, sizeof(out));
	HL_CHECK_INT(n, 21);
	HL_CHECK_MEM(out, "sips:user@example.com", 21);
	HL_CHECK_INT(hl_sip_unescape(b, s, out, 5), HL_E_TOOBIG);
	b = put("ab%4", &s);
	HL_CHECK_INT(hl_sip_unescape(b, s, out, sizeof(out)), HL_E_PARSE);
	b = put("a\\\"b\\\\", &s);
	n = hl_sip_unquote(b, s, out, sizeof(out));
	HL_CHECK_INT(n, 4);
	HL_CHECK_MEM(out, "a\"b\\", 4);
}

static const struct via_case {
	const char *in;
	int rc; /* -1: whole input */
	const char *transport, *host;
	int port, rport, ttl;
	const char *branch, *received, *maddr;
} via_cases[] = {
	{"SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK87asdks7", -1, "UDP", "192.0.2.1", 5060,
		-1, -1, "z9hG4bK87asdks7", "", ""},
	{"SIP/2.0/TLS pc33.atlanta.com;branch=z9hG4bKnashds8;received=192.0.2.1;rport=5061",
		-1, "TLS", "pc33.atlanta.com", 0, 5061, -1, "z9hG4bKnashds8", "192.0.2.1", ""},
	{"SIP/2.0/UDP host;rport;maddr=224.2.0.1;ttl=16;branch=z9hG4bK1", -1, "UDP", "host",
		0, 0, 16, "z9hG4bK1", "", "224.2.0.1"},
	{"SIP / 2.0 / UDP   [2001:db8::9:1]:6050 ; branch = z9hG4bKas3 ; received=[2001:db8::9:255]",
		-1, "UDP", "[2001:db8::9:1]", 6050, -1, -1, "z9hG4bKas3", "[2001:db8::9:255]", ""},
	{"SIP/2.0/UDP a.example.com;branch=z9hG4bK1, SIP/2.0/UDP b.example.com", 43, "UDP",
		"a.example.com", 0, -1, -1, "z9hG4bK1", "", ""},
	{"SIP/2.0/UDP a.example.com;branch=\"quoted\"", -1, "UDP", "a.example.com", 0, -1, -1,
		"quoted", "", ""},
	{"SIP/2.0/UDP", HL_E_PARSE},
	{"SIP/2.0 UDP host", HL_E_PARSE},
	{"SIP/2.0/UDPhost", HL_E_PARSE},
	{"SIP/2.0/UDP host:99999", HL_E_PARSE},
	{"SIP/2.0/UDP host;rport=x", HL_E_PARSE},
	{"SIP/2.0/UDP host;ttl=256", HL_E_PARSE},
	{"SIP/2.0/UDP host;received=not_an_ip", HL_E_PARSE},
	{"SIP/2.0/UDP host;", HL_E_PARSE},
	{"SIP/2.0/UDP host,", HL_E_PARSE},
	{"SIP/2.0/UDP host junk", HL_E_PARSE},
	{"SIP/2.0/UDP [2001:db8::1", HL_E_PARSE},
	{"", HL_E_PARSE},
};

HL_TEST(via_table)
{
	for (unsigned int i = 0; i < HL_ARRAY_SIZE(via_cases); i++) {
		const struct via_case *c = &via_cases[i];
		const char *in = c->in;
		struct hl_sip_slice s;
		const uint8_t *b = put(in, &s);
		struct hl_sip_via v;
		int want = c->rc == -1 ? (int)strlen(in) : c->rc;
		int r = hl_sip_parse_via(b, s, &v);
		HL_CHECK_MSG(r == want, "%s: rc %d want %d", in, r, want);
		if (r > 0 && c->transport != NULL) {
			CHECK_SLICE(b, v.transport, c->transport);
			CHECK_SLICE(b, v.host, c->host);
			CHECK_SLICE(b, v.branch, c->branch);
			CHECK_SLICE(b, v.received, c->received);
			CHECK_SLICE(b, v.maddr, c->maddr);
			HL_CHECK_INT(v.port, c->port);
			HL_CHECK_INT(v.rport, c->rport);
			HL_CHECK_INT(v.ttl, c->ttl);
		}
		all_prefixes(in, via_fn);
	}
}

static const struct na_case {
	const char *in;
	int rc; /* -1: whole input */
	int flags;
	const char *display, *uri, *tag, *params;
	long long expires;
	int q;
} na_cases[] = {
	{"\"Bob\" <sips:bob@biloxi.com> ;tag=a48s", -1, HL_SIP_NA_ANGLE | HL_SIP_NA_QUOTED,
		"Bob", "sips:bob@biloxi.com", "a48s", "tag=a48s", -1, -1},
	{"Anonymous <sip:c8oqz84zk7z@privacy.org>;tag=hyh8", -1, HL_SIP_NA_ANGLE, "Anonymous",
		"sip:c8oqz84zk7z@privacy.org", "hyh8", "tag=hyh8", -1, -1},
	{"The  Operator <sip:operator@cs.columbia.edu>;tag=287447", -1, HL_SIP_NA_ANGLE,
		"The  Operator", "sip:operator@cs.columbia.edu", "287447", "tag=287447", -1, -1},
	/* §20.10: without <> the parameters are the header's. */
	{"sip:+12125551212@phone2net.com;tag=887s", -1, 0, "", "sip:+12125551212@phone2net.com",
		"887s", "tag=887s", -1, -1},
	{"<sip:a@b.com;transport=tcp>;expires=3600;q=0.7", -1, HL_SIP_NA_ANGLE, "",
		"sip:a@b.com;transport=tcp", "", "expires=3600;q=0.7", 3600, 700},
	{"<sip:a@b.com>;q=1.0, <sip:c@d.com>;q=0.1", 21, HL_SIP_NA_ANGLE, "", "sip:a@b.com", "",
		"q=1.0", -1, 1000},
	{"*", -1, HL_SIP_NA_STAR, "", "", "", "", -1, -1},
	{"\"\\\"quoted\\\" name\" <tel:+1234>", -1, HL_SIP_NA_ANGLE | HL_SIP_NA_QUOTED,
		"\\\"quoted\\\" name", "tel:+1234", "", "", -1, -1},
	{"\"\xc3\xa9t\xc3\xa9\"<sip:u@[2001:db8::1]:5060>", -1,
		HL_SIP_NA_ANGLE | HL_SIP_NA_QUOTED, "\xc3\xa9t\xc3\xa9", "sip:u@[2001:db8::1]:5060",
		"", "", -1, -1},
	{"<sip:a@b.com>;reason=unconditional;counter=1;privacy=off", -1, HL_SIP_NA_ANGLE, "",
		"sip:a@b.com", "", "reason=unconditional;counter=1;privacy=off", -1, -1},
	{"\"Bob <sip:bob@b.com>", HL_E_PARSE},
	{"<sip:bob@b.com", HL_E_PARSE},
	{"<>", HL_E_PARSE},
	{"Bob sip:bob@b.com", HL_E_PARSE},
	{"<sip:a@b.com>;tag", HL_E_PARSE},
	{"<sip:a@b.com>;q=1.5", HL_E_PARSE},
	{"<sip:a@b.com>;expires=soon", HL_E_PARSE},
	{"<sip:a@b.com>,", HL_E_PARSE},
	{"<sip:a@b.com> x", HL_E_PARSE},
	{"* x", HL_E_PARSE},
	{"nocolon", HL_E_PARSE},
	{"", HL_E_PARSE},
};

HL_TEST(name_addr_table)
{
	for (unsigned int i = 0; i < HL_ARRAY_SIZE(na_cases); i++) {
		const struct na_case *c = &na_cases[i];
		const char *in = c->in;
		struct hl_sip_slice s;
		const uint8_t *b = put(in, &s);
		struct hl_sip_name_addr na;
		int want = c->rc == -1 ? (int)strlen(in) : c->rc;
		int r = hl_sip_parse_name_addr(b, s, &na);
		HL_CHECK_MSG(r == want, "%s: rc %d want %d", in, r, want);
		if (r > 0 && c->display != NULL) {
			HL_CHECK_INT(na.flags, c->flags);
			CHECK_SLICE(b, na.display, c->display);
			CHECK_SLICE(b, na.uri, c->uri);
			CHECK_SLICE(b, na.tag, c->tag);
			CHECK_SLICE(b, na.params, c->params);
			HL_CHECK_INT(na.expires, c->expires);
			HL_CHECK_INT(na.q, c->q);
		}
		all_prefixes(in, na_fn);
	}
}

HL_TEST(contact_list)
{
	struct hl_sip_slice s;
	const uint8_t *b = put("<sip:a@h1>;q=0.5 ,\r\n \"B\" <sip:b@h2>;expires=60, sip:c@h3", &s);
	struct hl_sip_name_addr na;
	static const char *const uris[] = {"sip:a@h1", "sip:b@h2", "sip:c@h3"};
	const char *in = "contact list";
	unsigned int k = 0;
	while (s.len > 0) {
		int n = hl_sip_parse_name_addr(b, s, &na);
		HL_CHECK(n > 0);
		if (n <= 0 || k >= 3)
			break;
		CHECK_SLICE(b, na.uri, uris[k]);
		k++;
		s.off = (uint16_t)(s.off + n);
		s.len = (uint16_t)(s.len - n);
	}
	HL_CHECK_INT(k, 3);
	HL_CHECK_INT(na.expires, -1);
}

HL_TEST(digest)
{
	const char *in =
		"Digest username=\"bob\", realm=\"biloxi.com\",\r\n nonce=\"dcd98b7102dd2f0e8b11d0f600bfb0c093\","
		" uri=\"sip:bob@biloxi.com\", qop=auth, nc=00000001, cnonce=\"0a4f113b\","
		" response=\"6629fae49393a05397450978507c4ef1\", opaque=\"5ccc069c403ebaf9f0171e9517f40e41\","
		" algorithm=MD5, x-ext=\"a,b\"";
	struct hl_sip_slice s;
	const uint8_t *b = put(in, &s);
	struct hl_sip_digest d;
	HL_CHECK_INT(hl_sip_parse_digest(b, s, &d), 0);
	CHECK_SLICE(b, d.scheme, "Digest");
	CHECK_SLICE(b, d.username, "bob");
	CHECK_SLICE(b, d.realm, "biloxi.com");
	CHECK_SLICE(b, d.nonce, "dcd98b7102dd2f0e8b11d0f600bfb0c093");
	CHECK_SLICE(b, d.uri, "sip:bob@biloxi.com");
	CHECK_SLICE(b, d.qop, "auth");
	CHECK_SLICE(b, d.nc, "00000001");
	CHECK_SLICE(b, d.cnonce, "0a4f113b");
	CHECK_SLICE(b, d.response, "6629fae49393a05397450978507c4ef1");
	CHECK_SLICE(b, d.opaque, "5ccc069c403ebaf9f0171e9517f40e41");
	CHECK_SLICE(b, d.algorithm, "MD5");
	HL_CHECK_INT(d.nparams, 11);
	all_prefixes(in, digest_fn);

	static const char *const bad[] = {"Digest realm", "Digest realm=", "Digest realm=\"x",
		"Digest realm=x,", "Digest realm=x nonce=y", "Digest,realm=x", "", "Digest =x"};
	for (unsigned int i = 0; i < HL_ARRAY_SIZE(bad); i++) {
		b = put(bad[i], &s);
		HL_CHECK_MSG(hl_sip_parse_digest(b, s, &d) == HL_E_PARSE, "%s", bad[i]);
	}
	in = "Digest realm=\"atlanta.com\", domain=\"sip:ss1.carrier.com\", qop=\"auth,auth-int\", nonce=\"f84f1cec41e6cbe5aea9c8e88d359\", opaque=\"\", stale=FALSE, algorithm=MD5";
	b = put(in, &s);
	HL_CHECK_INT(hl_sip_parse_digest(b, s, &d), 0);
	CHECK_SLICE(b, d.qop, "auth,auth-int");
	CHECK_SLICE(b, d.stale, "FALSE");
	CHECK_SLICE(b, d.domain, "sip:ss1.carrier.com");
	HL_CHECK_INT(d.opaque.len, 0);
}

HL_TEST(cseq_and_numbers)
{
	struct hl_sip_slice s;
	struct hl_sip_cseq c;
	uint32_t v;
	const char *in = "4711 INVITE";
	const uint8_t *b = put(in, &s);
	HL_CHECK_INT(hl_sip_parse_cseq(b, s, &c), 0);
	HL_CHECK_INT(c.seq, 4711);
	HL_CHECK_INT(c.method, HL_SIP_METHOD_INVITE);
	CHECK_SLICE(b, c.method_s, "INVITE");
	static const char *const bad[] = {"INVITE", "1", "1INVITE", "-1 INVITE", "2147483648 BYE",
		"1 INV ITE", "1 INVITE;x", ""};
	for (unsigned int i = 0; i < HL_ARRAY_SIZE(bad); i++) {
		b = put(bad[i], &s);
		HL_CHECK_MSG(hl_sip_parse_cseq(b, s, &c) == HL_E_PARSE, "%s", bad[i]);
	}
	b = put("2147483647 FOO", &s);
	HL_CHECK_INT(hl_sip_parse_cseq(b, s, &c), 0);
	HL_CHECK_INT(c.seq, 2147483647);
	HL_CHECK_INT(c.method, HL_SIP_METHOD_OTHER);
	b = put("4294967295", &s);
	HL_CHECK_INT(hl_sip_parse_uint(b, s, &v), 0);
	HL_CHECK_INT(v, 4294967295u);
	b = put("4294967296", &s);
	HL_CHECK_INT(hl_sip_parse_uint(b, s, &v), HL_E_PARSE);
	b = put("12 3", &s);
	HL_CHECK_INT(hl_sip_parse_uint(b, s, &v), HL_E_PARSE);
}

static int
rack_fn(const uint8_t *b, struct hl_sip_slice s, void *o)
{
	return hl_sip_parse_rack(b, s, o);
}

/* RFC 3262 §7: RSeq is one number, not 0; RAck is RSeq, CSeq number and method. */
HL_TEST(rseq_and_rack)
{
	struct hl_sip_slice s;
	struct hl_sip_rack r;
	uint32_t v;
	const char *in = "776656 1 INVITE";
	const uint8_t *b = put(in, &s);
	HL_CHECK_INT(hl_sip_parse_rack(b, s, &r), 0);
	HL_CHECK_INT(r.rseq, 776656);
	HL_CHECK_INT(r.cseq, 1);
	HL_CHECK_INT(r.method, HL_SIP_METHOD_INVITE);
	CHECK_SLICE(b, r.method_s, "INVITE");
	in = " 4294967295\t 2147483647  FOO ";
	b = put(in, &s);
	HL_CHECK_INT(hl_sip_parse_rack(b, s, &r), 0);
	HL_CHECK_INT(r.rseq, 4294967295u);
	HL_CHECK_INT(r.cseq, 2147483647);
	HL_CHECK_INT(r.method, HL_SIP_METHOD_OTHER);
	CHECK_SLICE(b, r.method_s, "FOO");
	static const char *const bad[] = {"", "1", "1 1", "1 INVITE", "0 1 INVITE",
		"4294967296 1 INVITE", "1 2147483648 INVITE", "1 1 INVITE x", "1 1 INV;ITE",
		"-1 1 INVITE", "1 -1 INVITE", "11INVITE", "1 1INVITE", "a 1 INVITE"};
	for (unsigned int i = 0; i < HL_ARRAY_SIZE(bad); i++) {
		b = put(bad[i], &s);
		HL_CHECK_MSG(hl_sip_parse_rack(b, s, &r) == HL_E_PARSE, "%s", bad[i]);
	}
	all_prefixes("776656 1 INVITE", rack_fn);
	b = put(" 1 ", &s);
	HL_CHECK_INT(hl_sip_parse_rseq(b, s, &v), 0);
	HL_CHECK_INT(v, 1);
	b = put("4294967295", &s);
	HL_CHECK_INT(hl_sip_parse_rseq(b, s, &v), 0);
	HL_CHECK_INT(v, 4294967295u);
	static const char *const badr[] = {"", "0", "4294967296", "1 2", "x", "1;a"};
	for (unsigned int i = 0; i < HL_ARRAY_SIZE(badr); i++) {
		b = put(badr[i], &s);
		HL_CHECK_MSG(hl_sip_parse_rseq(b, s, &v) == HL_E_PARSE, "%s", badr[i]);
	}
}

HL_TEST(session_expires)
{
	struct hl_sip_slice s;
	struct hl_sip_session_expires se;
	const char *in = "1800 ; refresher=uas";
	const uint8_t *b = put(in, &s);
	HL_CHECK_INT(hl_sip_parse_session_expires(b, s, &se), 0);
	HL_CHECK_INT(se.delta, 1800);
	HL_CHECK_INT(se.refresher, HL_SIP_REFRESHER_UAS);
	b = put("90", &s);
	HL_CHECK_INT(hl_sip_parse_session_expires(b, s, &se), 0);
	HL_CHECK_INT(se.refresher, HL_SIP_REFRESHER_NONE);
	b = put("90;refresher=proxy", &s);
	HL_CHECK_INT(hl_sip_parse_session_expires(b, s, &se), HL_E_PARSE);
	b = put("x;refresher=uac", &s);
	HL_CHECK_INT(hl_sip_parse_session_expires(b, s, &se), HL_E_PARSE);
}

HL_TEST(tokens_allow_supported)
{
	struct hl_sip_slice s;
	uint32_t mask;
	const uint8_t *b = put("INVITE, ACK,CANCEL ,\r\n BYE, FOO", &s);
	HL_CHECK_INT(hl_sip_parse_allow(b, s, &mask), 0);
	HL_CHECK_INT(mask, (1u << HL_SIP_METHOD_INVITE) | (1u << HL_SIP_METHOD_ACK) |
		(1u << HL_SIP_METHOD_CANCEL) | (1u << HL_SIP_METHOD_BYE) |
		(1u << HL_SIP_METHOD_OTHER));
	b = put("", &s);
	HL_CHECK_INT(hl_sip_parse_allow(b, s, &mask), 0);
	HL_CHECK_INT(mask, 0);
	b = put("INVITE,,BYE", &s);
	HL_CHECK_INT(hl_sip_parse_allow(b, s, &mask), HL_E_PARSE);
	struct hl_sip_slice tok;
	b = put("timer , 100rel", &s);
	HL_CHECK_INT(hl_sip_parse_token(b, s, &tok), 8);
	HL_CHECK(seq(b, tok, "timer"));
}

HL_TEST(content_type_reason_replaces)
{
	struct hl_sip_slice s;
	const char *in = "application / sdp ; charset=utf-8";
	const uint8_t *b = put(in, &s);
	struct hl_sip_media_type mt;
	HL_CHECK_INT(hl_sip_parse_media_type(b, s, &mt), 0);
	CHECK_SLICE(b, mt.type, "application");
	CHECK_SLICE(b, mt.subtype, "sdp");
	CHECK_SLICE(b, mt.params, "charset=utf-8");
	b = put("application", &s);
	HL_CHECK_INT(hl_sip_parse_media_type(b, s, &mt), HL_E_PARSE);

	in = "SIP ;cause=200 ;text=\"Call completed elsewhere\", Q.850;cause=16";
	b = put(in, &s);
	struct hl_sip_reason r;
	int n = hl_sip_parse_reason(b, s, &r);
	HL_CHECK_INT(n, 49);
	CHECK_SLICE(b, r.protocol, "SIP");
	HL_CHECK_INT(r.cause, 200);
	CHECK_SLICE(b, r.text, "Call completed elsewhere");
	s.off = (uint16_t)n;
	s.len = (uint16_t)(s.len - n);
	HL_CHECK_INT(hl_sip_parse_reason(b, s, &r), s.len);
	CHECK_SLICE(b, r.protocol, "Q.850");
	HL_CHECK_INT(r.cause, 16);
	b = put("SIP;cause=abc", &s);
	HL_CHECK_INT(hl_sip_parse_reason(b, s, &r), HL_E_PARSE);

	in = "98732@sip.example.com;from-tag=r33th4x0r;to-tag=ff87ff;early-only";
	b = put(in, &s);
	struct hl_sip_replaces rp;
	HL_CHECK_INT(hl_sip_parse_replaces(b, s, &rp), 0);
	CHECK_SLICE(b, rp.call_id, "98732@sip.example.com");
	CHECK_SLICE(b, rp.from_tag, "r33th4x0r");
	CHECK_SLICE(b, rp.to_tag, "ff87ff");
	HL_CHECK_INT(rp.early_only, 1);
	b = put("98732@sip.example.com;from-tag=r33th4x0r", &s);
	HL_CHECK_INT(hl_sip_parse_replaces(b, s, &rp), HL_E_PARSE);
}

HL_TEST(refer_to_with_replaces)
{
	/* RFC 3891 §6.1 / RFC 3515: Replaces rides %-escaped in the Refer-To URI. */
	const char *in = "<sip:bob@example.org?Replaces=12345%40192.168.118.3%3Bto-tag%3D12345%3Bfrom-tag%3D5FFE-3994>";
	struct hl_sip_slice s;
	const uint8_t *b = put(in, &s);
	struct hl_sip_name_addr na;
	struct hl_sip_uri u;
	HL_CHECK_INT(hl_sip_parse_name_addr(b, s, &na), (int)strlen(in));
	HL_CHECK_INT(hl_sip_parse_uri(b, na.uri, &u), 0);
	CHECK_SLICE(b, u.headers,
		"Replaces=12345%40192.168.118.3%3Bto-tag%3D12345%3Bfrom-tag%3D5FFE-3994");
	char out[128];
	int n = hl_sip_unescape(b, u.headers, out, sizeof(out));
	static const char dec[] = "Replaces=12345@192.168.118.3;to-tag=12345;from-tag=5FFE-3994";
	HL_CHECK_INT(n, sizeof(dec) - 1);
	HL_CHECK_MEM(out, dec, sizeof(dec) - 1);
}

HL_TEST(params)
{
	struct hl_sip_slice s, v;
	const uint8_t *b = put("transport=tcp;lr;maddr=\"x y\"", &s);
	HL_CHECK_INT(hl_sip_param_find(b, s, "LR", &v), 1);
	HL_CHECK_INT(v.len, 0);
	HL_CHECK_INT(hl_sip_param_find(b, s, "maddr", &v), 1);
	HL_CHECK(seq(b, v, "x y"));
	HL_CHECK_INT(hl_sip_param_find(b, s, "ttl", &v), 0);
}

HL_TEST(host_types)
{
	static const struct {
		const char *h;
		int type;
	} t[] = {
		{"example.com", HL_SIP_HOST_NAME}, {"a", HL_SIP_HOST_NAME},
		{"10.0.0.1", HL_SIP_HOST_IPV4}, {"[::ffff:10.0.0.1]", HL_SIP_HOST_IPV6},
		{"[fe80::1:2]", HL_SIP_HOST_IPV6}, {"[]", HL_SIP_HOST_NONE},
		{"[::]", HL_SIP_HOST_IPV6}, {"[1::]", HL_SIP_HOST_IPV6},
		{"[1:]", HL_SIP_HOST_NONE}, {"[:1]", HL_SIP_HOST_NONE},
		{"1.2.3", HL_SIP_HOST_NONE}, {"1.2.3.4.5", HL_SIP_HOST_NONE},
		{"0001.2.3.4", HL_SIP_HOST_NONE}, {"a..b", HL_SIP_HOST_NONE},
		{"", HL_SIP_HOST_NONE},
	};
	for (unsigned int i = 0; i < HL_ARRAY_SIZE(t); i++)
		HL_CHECK_MSG((int)hl_sip_host_type((const uint8_t *)t[i].h, strlen(t[i].h)) ==
				t[i].type,
			"%s", t[i].h);
}

HL_TEST(cleanup)
{
	hl_test_guard_free(&guard);
}

HL_TEST_MAIN()
