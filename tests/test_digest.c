/*
 * Unit tests for SIP digest authentication (control/digest.c): the RFC 7616 §3.9.1 and
 * RFC 2617 §3.5 vectors, the nonce layout against an independent HMAC, and full round
 * trips challenge -> REGISTER with Authorization -> hl_sip_parse + hl_sip_parse_digest ->
 * hl_digest_verify for both algorithms, with one table of ways a credential goes wrong.
 * Every REGISTER sits on a guard-page buffer, so an over-read crashes.
 */
#include <openssl/hmac.h>

#include "hl_test.h"
#include "hotline/digest.h"
#include "hotline/sip.h"

#define REALM "hotline.example"
#define URI "sip:hotline.example"
#define USER "alice"
#define PASS "correct horse"
#define CNONCE "0a4f113b"
#define T0 1700000000u
#define TTL 300u

static const uint8_t test_secret[HL_DIGEST_SECRET_LEN] = {
	0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e,
	0x0f, 0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18, 0x19, 0x1a, 0x1b, 0x1c, 0x1d,
	0x1e, 0x1f,
};

static const char *const alg_names[] = {"MD5", "SHA-256"};

/* ---- vectors ---- */

static const struct vector {
	const char *name;
	enum hl_digest_alg alg;
	const char *user, *realm, *password, *method, *uri, *nonce, *nc, *cnonce, *qop;
	const char *response;
} vectors[] = {
	{"RFC 7616 §3.9.1 MD5", HL_DIGEST_MD5, "Mufasa", "http-auth@example.org",
		"Circle of Life", "GET", "/dir/index.html",
		"7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v", "00000001",
		"f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ", "auth",
		"8ca523f5e9506fed4657c9700eebdbec"},
	{"RFC 7616 §3.9.1 SHA-256", HL_DIGEST_SHA256, "Mufasa", "http-auth@example.org",
		"Circle of Life", "GET", "/dir/index.html",
		"7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v", "00000001",
		"f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ", "auth",
		"753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1"},
	{"RFC 2617 §3.5 MD5", HL_DIGEST_MD5, "Mufasa", "testrealm@host.com", "Circle Of Life",
		"GET", "/dir/index.html", "dcd98b7102dd2f0e8b11d0f600bfb0c093", "00000001",
		"0a4f113b", "auth", "6629fae49393a05397450978507c4ef1"},
	/* RFC 2069 form (no qop): H(HA1:nonce:HA2), worked out with md5sum. */
	{"RFC 2069 form MD5", HL_DIGEST_MD5, "Mufasa", "testrealm@host.com", "Circle Of Life",
		"GET", "/dir/index.html", "dcd98b7102dd2f0e8b11d0f600bfb0c093", NULL, NULL, NULL,
		"670fd8c2df070c60b045671b8b24ff02"},
};

HL_TEST(vectors)
{
	for (unsigned int i = 0; i < HL_ARRAY_SIZE(vectors); i++) {
		const struct vector *v = &vectors[i];
		char ha1[HL_DIGEST_HEX_MAX], resp[HL_DIGEST_HEX_MAX];
		hl_digest_ha1(v->alg, v->user, v->realm, v->password, ha1);
		HL_CHECK_INT(strlen(ha1), v->alg == HL_DIGEST_MD5 ? 32 : 64);
		HL_CHECK_INT(hl_digest_client_response(v->alg, ha1, v->nonce, v->nc, v->cnonce,
				     v->qop, v->method, v->uri, resp),
			0);
		HL_CHECK_MSG(strcmp(resp, v->response) == 0, "%s: %s, want %s", v->name, resp,
			v->response);
	}
	char out[HL_DIGEST_HEX_MAX] = "x";
	HL_CHECK_INT(hl_digest_client_response(HL_DIGEST_MD5, "00", "n", "00000001", "c",
			     "auth-int", "GET", "/", out),
		HL_E_UNSUPPORTED);
	HL_CHECK_STR(out, "");
	HL_CHECK_INT(hl_digest_client_response((enum hl_digest_alg)7, "00", "n", "00000001", "c",
			     "auth", "GET", "/", out),
		HL_E_UNSUPPORTED);
	hl_digest_ha1((enum hl_digest_alg)7, "u", "r", "p", out);
	HL_CHECK_STR(out, "");
	/* MD5("Mufasa:testrealm@host.com:Circle Of Life"), RFC 2617 §3.5's HA1. */
	hl_digest_ha1(HL_DIGEST_MD5, "Mufasa", "testrealm@host.com", "Circle Of Life", out);
	HL_CHECK_STR(out, "939e7578ed9e3c518a452acee763bce9");
}

/* ---- helpers ---- */

static const char b64a[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

static int
b64url_val(char c)
{
	const char *p = c ? strchr(b64a, c) : NULL;
	return p ? (int)(p - b64a) : -1;
}

/* Independent decoder for the layout check: 38 characters -> 28 bytes. */
static int
b64url_decode28(const char *s, uint8_t *out)
{
	uint32_t acc = 0;
	unsigned int bits = 0, o = 0;
	if (strlen(s) != HL_DIGEST_NONCE_LEN)
		return -1;
	for (const char *p = s; *p; p++) {
		int v = b64url_val(*p);
		if (v < 0)
			return -1;
		acc = acc << 6 | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[o++] = (uint8_t)(acc >> bits);
		}
	}
	return o == 28 ? 0 : -1;
}

static struct hl_test_guard_buf guard;

static const uint8_t *
put(const char *s, size_t n)
{
	hl_test_guard_free(&guard);
	return hl_test_guard(&guard, s, n);
}

/* Issues a challenge, checks its shape, and copies its nonce into nonce. */
static void
challenge(struct hl_digest_server *d, const char *realm, enum hl_digest_alg alg, int stale,
	uint64_t now, char *nonce)
{
	char buf[512], want_realm[128];
	struct hl_sip_writer w;
	struct hl_sip_digest c;

	nonce[0] = '\0';
	hl_sip_w_init(&w, buf, sizeof(buf));
	hl_digest_challenge(d, &w, realm, alg, stale, now);
	int n = hl_sip_w_finish(&w);
	HL_CHECK(n > 0 && (size_t)n <= HL_DIGEST_CHALLENGE_MAX(strlen(realm)));
	if (n <= 0)
		return;
	const uint8_t *b = put(buf, (size_t)n);
	HL_CHECK_INT(hl_sip_parse_digest(b, (struct hl_sip_slice){0, (uint16_t)n}, &c), 0);
	HL_CHECK(hl_sip_slice_ieq(b, c.scheme, "Digest"));
	int rl = hl_sip_unquote(b, c.realm, want_realm, sizeof(want_realm) - 1);
	HL_CHECK(rl >= 0 && (size_t)rl == strlen(realm) && memcmp(want_realm, realm, rl) == 0);
	HL_CHECK(hl_sip_slice_ieq(b, c.algorithm, alg_names[alg]));
	HL_CHECK(hl_sip_slice_ieq(b, c.qop, "auth"));
	HL_CHECK_INT(c.stale.len != 0, stale != 0);
	HL_CHECK_INT(hl_digest_cred_alg(b, &c), alg);
	HL_CHECK_INT(c.nonce.len, HL_DIGEST_NONCE_LEN);
	memcpy(nonce, b + c.nonce.off, c.nonce.len);
	nonce[c.nonce.len] = '\0';
}

/* "..." with \ before " and \ (RFC 3261 §25.1 quoted-pair). */
static void
w_quoted(struct hl_sip_writer *w, const char *s)
{
	hl_sip_w_raw(w, "\"", 1);
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			hl_sip_w_raw(w, "\\", 1);
		hl_sip_w_raw(w, s, 1);
	}
	hl_sip_w_raw(w, "\"", 1);
}

/* What the client sends; NULL fields take the defaults, "" leaves a parameter out. */
struct attempt {
	const char *scheme;     /* Digest */
	const char *user;       /* USER */
	const char *hdr_user;   /* username="..." written as is (HA1 still uses user) */
	const char *password;   /* PASS */
	const char *cred_realm; /* the challenge's realm */
	const char *hdr_realm;  /* realm="..." written as is (HA1 still uses cred_realm) */
	const char *algorithm;  /* the challenge's algorithm */
	const char *qop;        /* "auth"; "" omits qop, nc and cnonce (RFC 2069 form) */
	const char *nc;         /* "00000001" */
	const char *cnonce;     /* CNONCE, unquoted */
	const char *nonce;      /* the challenge's nonce */
	int upper;              /* response in upper-case hex */
	int no_response;
};

#define DEF(x, d) ((x) != NULL ? (x) : (d))

/*
 * Builds a REGISTER carrying the attempt's Authorization, parses it as the server would
 * and verifies it against the server's view: user known with password srv_pass (NULL:
 * unknown user), realm, algorithm alg. Returns hl_digest_verify()'s result.
 */
static int
run(struct hl_digest_server *d, const struct attempt *a, enum hl_digest_alg alg,
	const char *realm, const char *srv_pass, uint64_t now)
{
	char ha1[HL_DIGEST_HEX_MAX], resp[HL_DIGEST_HEX_MAX], auth[1024], msg[2048];
	const char *qop = DEF(a->qop, "auth");
	struct hl_sip_writer w;

	hl_digest_ha1(alg, DEF(a->user, USER), DEF(a->cred_realm, realm), DEF(a->password, PASS),
		ha1);
	HL_CHECK_INT(hl_digest_client_response(alg, ha1, a->nonce, DEF(a->nc, "00000001"),
			     DEF(a->cnonce, CNONCE), *qop ? "auth" : NULL, "REGISTER", URI, resp),
		0);
	if (a->upper)
		for (char *p = resp; *p; p++)
			if (*p >= 'a' && *p <= 'f')
				*p = (char)(*p - 'a' + 'A');

	hl_sip_w_init(&w, auth, sizeof(auth));
	hl_sip_w_str(&w, DEF(a->scheme, "Digest"));
	hl_sip_w_str(&w, " username=");
	if (a->hdr_user != NULL)
		hl_sip_w_fmt(&w, "\"%s\"", a->hdr_user);
	else
		w_quoted(&w, DEF(a->user, USER));
	hl_sip_w_str(&w, ", realm=");
	if (a->hdr_realm != NULL)
		hl_sip_w_fmt(&w, "\"%s\"", a->hdr_realm);
	else
		w_quoted(&w, DEF(a->cred_realm, realm));
	hl_sip_w_fmt(&w, ", nonce=\"%s\", uri=\"%s\"", a->nonce, URI);
	if (!a->no_response)
		hl_sip_w_fmt(&w, ", response=\"%s\"", resp);
	const char *alg_s = DEF(a->algorithm, alg_names[alg]);
	if (*alg_s)
		hl_sip_w_fmt(&w, ", algorithm=%s", alg_s);
	if (*qop) {
		hl_sip_w_fmt(&w, ", qop=%s, nc=%s", qop, DEF(a->nc, "00000001"));
		if (*DEF(a->cnonce, CNONCE)) {
			hl_sip_w_str(&w, ", cnonce=");
			w_quoted(&w, DEF(a->cnonce, CNONCE));
		}
	}
	int an = hl_sip_w_finish(&w);
	HL_CHECK(an > 0);
	auth[an > 0 ? an : 0] = '\0';

	hl_sip_w_init(&w, msg, sizeof(msg));
	hl_sip_w_request_line(&w, "REGISTER", URI);
	hl_sip_w_hdr(&w, HL_SIP_HDR_VIA, "SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bKnashds7");
	hl_sip_w_hdr(&w, HL_SIP_HDR_MAX_FORWARDS, "70");
	hl_sip_w_hdr(&w, HL_SIP_HDR_TO, "<sip:alice@hotline.example>");
	hl_sip_w_hdr(&w, HL_SIP_HDR_FROM, "<sip:alice@hotline.example>;tag=456248");
	hl_sip_w_hdr(&w, HL_SIP_HDR_CALL_ID, "843817637684230@998sdasdh09");
	hl_sip_w_hdr(&w, HL_SIP_HDR_CSEQ, "1826 REGISTER");
	hl_sip_w_hdr(&w, HL_SIP_HDR_CONTACT, "<sip:alice@192.0.2.10>");
	hl_sip_w_hdr(&w, HL_SIP_HDR_AUTHORIZATION, auth);
	hl_sip_w_body(&w, NULL, NULL, 0);
	int n = hl_sip_w_finish(&w);
	HL_CHECK(n > 0);
	if (n <= 0)
		return 1000;

	const uint8_t *b = put(msg, (size_t)n);
	struct hl_sip_msg m;
	struct hl_sip_digest cred;
	HL_CHECK_INT(hl_sip_parse(b, (size_t)n, &m), n);
	HL_CHECK_INT(hl_sip_validate(b, &m), 0);
	const struct hl_sip_hdr_field *h = hl_sip_hdr_first(&m, HL_SIP_HDR_AUTHORIZATION);
	HL_CHECK(h != NULL);
	if (h == NULL)
		return 1000;
	HL_CHECK_INT(hl_sip_parse_digest(b, h->value, &cred), 0);

	/* The server's HA1 comes from its store, for the algorithm it challenged with. */
	char srv_ha1[HL_DIGEST_HEX_MAX];
	if (srv_pass != NULL)
		hl_digest_ha1(alg, USER, realm, srv_pass, srv_ha1);
	return hl_digest_verify(d, b, &cred, hl_sip_method_name((enum hl_sip_method)m.method),
		realm, srv_pass ? srv_ha1 : NULL, alg, now);
}

static struct hl_digest_server *
server(uint32_t slots)
{
	struct hl_digest_server *d = hl_digest_server_create(test_secret, TTL, slots);
	HL_CHECK(d != NULL);
	if (d == NULL)
		exit(1);
	return d;
}

/* ---- tests ---- */

HL_TEST(create_args)
{
	static const struct {
		uint32_t ttl, slots;
		int ok;
	} cases[] = {
		{300, 1024, 1},
		{1, 1, 1},
		{300, HL_DIGEST_MAX_SLOTS, 1},
		{0, 1024, 0},
		{300, 0, 0},
		{300, HL_DIGEST_MAX_SLOTS + 1, 0},
	};
	for (unsigned int i = 0; i < HL_ARRAY_SIZE(cases); i++) {
		hl_errno = 0;
		struct hl_digest_server *d = hl_digest_server_create(NULL, cases[i].ttl,
			cases[i].slots);
		HL_CHECK_MSG((d != NULL) == cases[i].ok, "case %u", i);
		if (!cases[i].ok)
			HL_CHECK_INT(hl_errno, HL_E_CONFIG);
		hl_digest_server_free(d);
	}
	hl_digest_server_free(NULL);
	for (unsigned int c = 0; c < HL_DIGEST_CNT_MAX_; c++)
		HL_CHECK(hl_digest_counter_name(c) != NULL);
	HL_CHECK(hl_digest_counter_name(HL_DIGEST_CNT_MAX_) == NULL);
	HL_CHECK_STR(hl_digest_alg_name(HL_DIGEST_MD5), "MD5");
	HL_CHECK_STR(hl_digest_alg_name(HL_DIGEST_SHA256), "SHA-256");
	HL_CHECK(hl_digest_alg_name(HL_DIGEST_ALG_MAX_) == NULL);
}

/* The nonce is time | serial | HMAC-SHA256(secret, time | serial | realm)[0..16). */
HL_TEST(nonce_layout)
{
	struct hl_digest_server *d = server(64);
	char n1[64], n2[64];
	uint8_t raw1[28], raw2[28], mac[32];
	unsigned int mac_len = 0;

	challenge(d, REALM, HL_DIGEST_SHA256, 0, T0, n1);
	challenge(d, REALM, HL_DIGEST_MD5, 1, T0 + 7, n2);
	HL_CHECK_INT(b64url_decode28(n1, raw1), 0);
	HL_CHECK_INT(b64url_decode28(n2, raw2), 0);
	uint64_t t1 = 0, t2 = 0;
	for (int i = 0; i < 8; i++) {
		t1 = t1 << 8 | raw1[i];
		t2 = t2 << 8 | raw2[i];
	}
	HL_CHECK_INT(t1, T0);
	HL_CHECK_INT(t2, T0 + 7);
	uint32_t s1 = (uint32_t)raw1[8] << 24 | raw1[9] << 16 | raw1[10] << 8 | raw1[11];
	uint32_t s2 = (uint32_t)raw2[8] << 24 | raw2[9] << 16 | raw2[10] << 8 | raw2[11];
	HL_CHECK_INT(s2, (uint32_t)(s1 + 1));

	uint8_t in[12 + sizeof(REALM) - 1];
	memcpy(in, raw1, 12);
	memcpy(in + 12, REALM, sizeof(REALM) - 1);
	HL_CHECK(HMAC(EVP_sha256(), test_secret, sizeof(test_secret), in, sizeof(in), mac,
			 &mac_len) != NULL);
	HL_CHECK_INT(mac_len, 32);
	HL_CHECK_MEM(raw1 + 12, mac, 16);
	HL_CHECK_INT(hl_digest_counter(d, HL_DIGEST_CNT_ISSUED), 2);

	/* Exact text, nonce aside; a quote in the realm is escaped. */
	char buf[256];
	struct hl_sip_writer w;
	hl_sip_w_init(&w, buf, sizeof(buf));
	hl_digest_challenge(d, &w, "a\"b", HL_DIGEST_SHA256, 1, T0);
	int n = hl_sip_w_finish(&w);
	HL_CHECK(n > 0);
	buf[n > 0 ? n : 0] = '\0';
	const char *pre = "Digest realm=\"a\\\"b\", nonce=\"";
	const char *post = "\", algorithm=SHA-256, qop=\"auth\", stale=true";
	HL_CHECK_INT(n, strlen(pre) + HL_DIGEST_NONCE_LEN + strlen(post));
	HL_CHECK(strncmp(buf, pre, strlen(pre)) == 0);
	HL_CHECK(n > 0 && strcmp(buf + strlen(pre) + HL_DIGEST_NONCE_LEN, post) == 0);
	/* A realm of quotes only is the longest per byte. */
	HL_CHECK_INT(n, HL_DIGEST_CHALLENGE_MAX(3) - 2);

	/* Overflow: the writer reports it, and a writer already failed issues nothing. */
	for (size_t cap = 0; cap < (size_t)n; cap++) {
		hl_sip_w_init(&w, buf, cap);
		hl_digest_challenge(d, &w, "a\"b", HL_DIGEST_SHA256, 1, T0);
		HL_CHECK_INT(hl_sip_w_finish(&w), HL_E_TOOBIG);
	}
	uint64_t issued = hl_digest_counter(d, HL_DIGEST_CNT_ISSUED);
	hl_digest_challenge(d, &w, REALM, HL_DIGEST_MD5, 0, T0);
	HL_CHECK_INT(hl_digest_counter(d, HL_DIGEST_CNT_ISSUED), issued);
	hl_sip_w_init(&w, buf, sizeof(buf));
	hl_digest_challenge(d, &w, REALM, (enum hl_digest_alg)5, 0, T0);
	HL_CHECK_INT(hl_sip_w_finish(&w), HL_E_UNSUPPORTED);
	hl_digest_server_free(d);
}

HL_TEST(cred_alg)
{
	static const struct {
		const char *in;
		int alg;
	} cases[] = {
		{"Digest username=\"a\"", HL_DIGEST_MD5},
		{"Digest algorithm=MD5", HL_DIGEST_MD5},
		{"Digest algorithm=md5", HL_DIGEST_MD5},
		{"Digest algorithm=\"MD5\"", HL_DIGEST_MD5},
		{"Digest algorithm=SHA-256", HL_DIGEST_SHA256},
		{"Digest algorithm=sha-256", HL_DIGEST_SHA256},
		{"Digest algorithm=SHA-512-256", HL_E_UNSUPPORTED},
		{"Digest algorithm=MD5-sess", HL_E_UNSUPPORTED},
		{"Digest algorithm=SHA-256-sess", HL_E_UNSUPPORTED},
		{"Digest algorithm=SHA256", HL_E_UNSUPPORTED},
		{"Digest algorithm=AKAv1-MD5", HL_E_UNSUPPORTED},
	};
	for (unsigned int i = 0; i < HL_ARRAY_SIZE(cases); i++) {
		struct hl_sip_digest c;
		size_t n = strlen(cases[i].in);
		const uint8_t *b = put(cases[i].in, n);
		HL_CHECK_INT(hl_sip_parse_digest(b, (struct hl_sip_slice){0, (uint16_t)n}, &c), 0);
		HL_CHECK_MSG(hl_digest_cred_alg(b, &c) == cases[i].alg, "%s", cases[i].in);
	}
}

HL_TEST(round_trip)
{
	for (unsigned int alg = 0; alg < HL_DIGEST_ALG_MAX_; alg++) {
		struct hl_digest_server *d = server(1024);
		char nonce[64];
		challenge(d, REALM, alg, 0, T0, nonce);
		struct attempt a = {.nonce = nonce};
		HL_CHECK_INT(run(d, &a, alg, REALM, PASS, T0 + 1), 0);
		HL_CHECK_INT(hl_digest_counter(d, HL_DIGEST_CNT_OK), 1);
		/* The same nonce carries the next REGISTER refresh with nc 2. */
		a.nc = "00000002";
		HL_CHECK_INT(run(d, &a, alg, REALM, PASS, T0 + 2), 0);
		hl_digest_server_free(d);
	}
}

/* One way a credential can go wrong per row; rc for MD5 and SHA-256 challenges. */
static const struct fail_case {
	const char *name;
	struct attempt a;
	int unknown_user;   /* the server has no HA1 for the user */
	const char *srv_pw; /* the password the server holds; NULL: PASS */
	int flip;           /* index + 1 of a nonce character to change */
	int64_t dt;         /* verify at T0 + dt */
	int rc[HL_DIGEST_ALG_MAX_];
	int replay;         /* an HL_E_AUTH counted as a replay, not as bad */
} fail_cases[] = {
	{"good", {0}, 0, NULL, 0, 1, {0, 0}},
	{"at the ttl", {0}, 0, NULL, 0, TTL, {0, 0}},
	{"upper-case response", {.upper = 1}, 0, NULL, 0, 1, {0, 0}},
	{"quoted-pair in cnonce", {.cnonce = "a\"b\\c"}, 0, NULL, 0, 1, {0, 0}},
	{"quoted qop (a common slip)", {.qop = "\"auth\""}, 0, NULL, 0, 1, {0, 0}},
	{"wrong password", {.password = "wrong"}, 0, NULL, 0, 1, {HL_E_AUTH, HL_E_AUTH}},
	{"server holds another", {0}, 0, "other", 0, 1, {HL_E_AUTH, HL_E_AUTH}},
	{"unknown user", {0}, 1, NULL, 0, 1, {HL_E_AUTH, HL_E_AUTH}},
	{"forged nonce time", {0}, 0, NULL, 3, 1, {HL_E_AUTH, HL_E_AUTH}},
	{"forged nonce serial", {0}, 0, NULL, 14, 1, {HL_E_AUTH, HL_E_AUTH}},
	{"forged nonce mac", {0}, 0, NULL, 30, 1, {HL_E_AUTH, HL_E_AUTH}},
	{"nonce trailing bits", {0}, 0, NULL, 38, 1, {HL_E_AUTH, HL_E_AUTH}},
	{"stale", {0}, 0, NULL, 0, TTL + 1, {HL_DIGEST_STALE, HL_DIGEST_STALE}},
	{"stale wrong password", {.password = "wrong"}, 0, NULL, 0, TTL + 1,
		{HL_E_AUTH, HL_E_AUTH}},
	{"stale unknown user", {0}, 1, NULL, 0, TTL + 1, {HL_E_AUTH, HL_E_AUTH}},
	{"clock stepped back", {0}, 0, NULL, 0, -1, {HL_DIGEST_STALE, HL_DIGEST_STALE}},
	{"wrong realm", {.cred_realm = "other.example"}, 0, NULL, 0, 1, {HL_E_AUTH, HL_E_AUTH}},
	{"realm in header only", {.hdr_realm = "other.example"}, 0, NULL, 0, 1,
		{HL_E_AUTH, HL_E_AUTH}},
	{"realm escaped", {.hdr_realm = "hotline\\.example"}, 0, NULL, 0, 1, {0, 0}},
	{"realm prefix", {.cred_realm = "hotline.exampl"}, 0, NULL, 0, 1, {HL_E_AUTH, HL_E_AUTH}},
	{"realm longer", {.cred_realm = REALM "x"}, 0, NULL, 0, 1, {HL_E_AUTH, HL_E_AUTH}},
	{"missing qop (RFC 2069 form)", {.qop = ""}, 0, NULL, 0, 1, {HL_E_AUTH, HL_E_AUTH}},
	{"qop auth-int", {.qop = "auth-int"}, 0, NULL, 0, 1, {HL_E_AUTH, HL_E_AUTH}},
	{"qop list", {.qop = "\"auth,auth-int\""}, 0, NULL, 0, 1, {HL_E_AUTH, HL_E_AUTH}},
	{"algorithm absent", {.algorithm = ""}, 0, NULL, 0, 1, {0, HL_E_AUTH}},
	{"algorithm SHA-512-256", {.algorithm = "SHA-512-256"}, 0, NULL, 0, 1,
		{HL_E_AUTH, HL_E_AUTH}},
	{"algorithm MD5-sess", {.algorithm = "MD5-sess"}, 0, NULL, 0, 1, {HL_E_AUTH, HL_E_AUTH}},
	{"algorithm of the other", {.algorithm = "SHA-256"}, 0, NULL, 0, 1, {HL_E_AUTH, 0}},
	{"nc zero", {.nc = "00000000"}, 0, NULL, 0, 1, {HL_E_AUTH, HL_E_AUTH}, 1},
	{"nc short", {.nc = "0000001"}, 0, NULL, 0, 1, {HL_E_AUTH, HL_E_AUTH}},
	{"nc not hex", {.nc = "0000000g"}, 0, NULL, 0, 1, {HL_E_AUTH, HL_E_AUTH}},
	{"nc upper hex", {.nc = "0000000A"}, 0, NULL, 0, 1, {0, 0}},
	{"no cnonce", {.cnonce = ""}, 0, NULL, 0, 1, {HL_E_AUTH, HL_E_AUTH}},
	{"no response", {.no_response = 1}, 0, NULL, 0, 1, {HL_E_AUTH, HL_E_AUTH}},
	{"empty username", {.user = ""}, 0, NULL, 0, 1, {HL_E_AUTH, HL_E_AUTH}},
	{"empty username, good HA1", {.hdr_user = ""}, 0, NULL, 0, 1, {HL_E_AUTH, HL_E_AUTH}},
	{"scheme case", {.scheme = "digest"}, 0, NULL, 0, 1, {0, 0}},
	{"scheme Basic", {.scheme = "Basic"}, 0, NULL, 0, 1, {HL_E_AUTH, HL_E_AUTH}},
};

static void
one_failure(struct hl_digest_server *d, enum hl_digest_alg alg, const struct fail_case *f)
{
	char nonce[64];
	uint64_t before[HL_DIGEST_CNT_MAX_];
	const char *pw = f->unknown_user ? NULL : DEF(f->srv_pw, PASS);

	challenge(d, REALM, alg, 0, T0, nonce);
	if (f->flip) {
		/* The last character holds 2 bits in its top 2: a low bit set is another
		 * spelling of the same bytes, which must not pass. */
		char *c = &nonce[f->flip - 1];
		*c = b64a[b64url_val(*c) ^ (f->flip == HL_DIGEST_NONCE_LEN ? 1 : 32)];
	}
	struct attempt a = f->a;
	a.nonce = nonce;
	for (unsigned int c = 0; c < HL_DIGEST_CNT_MAX_; c++)
		before[c] = hl_digest_counter(d, c);
	int rc = run(d, &a, alg, REALM, pw, (uint64_t)((int64_t)T0 + f->dt));
	HL_CHECK_MSG(rc == f->rc[alg], "%s %s: %d, want %d", alg_names[alg], f->name, rc,
		f->rc[alg]);
	unsigned int want = rc == 0 ? HL_DIGEST_CNT_OK
		: rc == HL_DIGEST_STALE ? HL_DIGEST_CNT_STALE
		: f->replay		? HL_DIGEST_CNT_REPLAY
					: HL_DIGEST_CNT_BAD;
	for (unsigned int c = HL_DIGEST_CNT_OK; c < HL_DIGEST_CNT_MAX_; c++)
		HL_CHECK_MSG(hl_digest_counter(d, c) - before[c] == (uint64_t)(c == want),
			"%s %s: counter %u", alg_names[alg], f->name, c);
}

HL_TEST(failures)
{
	for (unsigned int alg = 0; alg < HL_DIGEST_ALG_MAX_; alg++) {
		struct hl_digest_server *d = server(1024);
		for (unsigned int i = 0; i < HL_ARRAY_SIZE(fail_cases); i++)
			one_failure(d, alg, &fail_cases[i]);
		hl_digest_server_free(d);
	}
}

/* Unknown user and wrong password: one code, one counter (no user enumeration). */
HL_TEST(unknown_user_same_as_wrong_password)
{
	for (unsigned int alg = 0; alg < HL_DIGEST_ALG_MAX_; alg++) {
		struct hl_digest_server *d = server(16);
		char n1[64], n2[64];
		challenge(d, REALM, alg, 0, T0, n1);
		challenge(d, REALM, alg, 0, T0, n2);
		struct attempt a = {.nonce = n1, .password = "guess"};
		int wrong = run(d, &a, alg, REALM, PASS, T0);
		a.nonce = n2;
		int unknown = run(d, &a, alg, REALM, NULL, T0);
		HL_CHECK_INT(wrong, HL_E_AUTH);
		HL_CHECK_INT(unknown, wrong);
		HL_CHECK_INT(hl_digest_counter(d, HL_DIGEST_CNT_BAD), 2);
		/* The right password does not help a user the server does not have. */
		a.password = PASS;
		HL_CHECK_INT(run(d, &a, alg, REALM, NULL, T0), HL_E_AUTH);
		hl_digest_server_free(d);
	}
}

HL_TEST(nonce_count)
{
	static const struct {
		const char *nc;
		int rc;
	} steps[] = {
		{"00000001", 0},
		{"00000001", HL_E_AUTH}, /* replay */
		{"00000002", 0},
		{"00000005", 0},         /* gaps are fine: only growth matters */
		{"00000003", HL_E_AUTH}, /* behind the highest */
		{"00000005", HL_E_AUTH},
		{"00000006", 0},
		{"ffffffff", 0},
		{"ffffffff", HL_E_AUTH},
	};
	for (unsigned int alg = 0; alg < HL_DIGEST_ALG_MAX_; alg++) {
		struct hl_digest_server *d = server(16);
		char nonce[64];
		challenge(d, REALM, alg, 0, T0, nonce);
		for (unsigned int i = 0; i < HL_ARRAY_SIZE(steps); i++) {
			struct attempt a = {.nonce = nonce, .nc = steps[i].nc};
			HL_CHECK_MSG(run(d, &a, alg, REALM, PASS, T0 + i) == steps[i].rc,
				"%s step %u nc %s", alg_names[alg], i, steps[i].nc);
		}
		HL_CHECK_INT(hl_digest_counter(d, HL_DIGEST_CNT_REPLAY), 4);
		HL_CHECK_INT(hl_digest_counter(d, HL_DIGEST_CNT_OK), 5);

		/* A wrong response does not move the nc: a forger cannot lock the nonce. */
		char n2[64];
		challenge(d, REALM, alg, 0, T0, n2);
		struct attempt a = {.nonce = n2, .nc = "00000009", .password = "x"};
		HL_CHECK_INT(run(d, &a, alg, REALM, PASS, T0), HL_E_AUTH);
		a.password = NULL;
		a.nc = "00000002";
		HL_CHECK_INT(run(d, &a, alg, REALM, PASS, T0), 0);
		/* A stale answer neither moves it. */
		a.nc = "00000003";
		HL_CHECK_INT(run(d, &a, alg, REALM, PASS, T0 + TTL + 1), HL_DIGEST_STALE);
		HL_CHECK_INT(run(d, &a, alg, REALM, PASS, T0 + TTL), 0);
		hl_digest_server_free(d);
	}
}

/* 5 slots round up to 8: the 8th nonce after A takes A's slot, and A turns stale. */
HL_TEST(slot_reuse)
{
	for (unsigned int alg = 0; alg < HL_DIGEST_ALG_MAX_; alg++) {
		struct hl_digest_server *d = server(5);
		char na[64], nb[64], later[64];
		challenge(d, REALM, alg, 0, T0, na);
		challenge(d, REALM, alg, 0, T0, nb);
		for (int i = 0; i < 6; i++)
			challenge(d, REALM, alg, 0, T0, later);
		struct attempt a = {.nonce = na};
		HL_CHECK_INT(run(d, &a, alg, REALM, PASS, T0), 0);
		challenge(d, REALM, alg, 0, T0, later); /* takes A's slot */
		a.nc = "00000002";
		HL_CHECK_INT(run(d, &a, alg, REALM, PASS, T0), HL_DIGEST_STALE);
		/* A wrong password on the evicted nonce is still a plain failure. */
		a.password = "wrong";
		HL_CHECK_INT(run(d, &a, alg, REALM, PASS, T0), HL_E_AUTH);
		struct attempt b = {.nonce = nb};
		HL_CHECK_INT(run(d, &b, alg, REALM, PASS, T0), 0);
		struct attempt l = {.nonce = later};
		HL_CHECK_INT(run(d, &l, alg, REALM, PASS, T0), 0);
		challenge(d, REALM, alg, 0, T0, later); /* takes B's slot */
		b.nc = "00000002";
		HL_CHECK_INT(run(d, &b, alg, REALM, PASS, T0), HL_DIGEST_STALE);
		hl_digest_server_free(d);
	}
}

/* Nonces are bound to realm and secret. */
HL_TEST(nonce_binding)
{
	static const uint8_t other_secret[HL_DIGEST_SECRET_LEN] = {1};
	struct hl_digest_server *d = server(16);
	struct hl_digest_server *o = hl_digest_server_create(other_secret, TTL, 16);
	struct hl_digest_server *r = hl_digest_server_create(NULL, TTL, 16);
	HL_CHECK(o != NULL && r != NULL);
	char nonce[64];

	/* A nonce issued for another realm, presented in ours. */
	challenge(d, "other.example", HL_DIGEST_SHA256, 0, T0, nonce);
	struct attempt a = {.nonce = nonce, .cred_realm = REALM};
	HL_CHECK_INT(run(d, &a, HL_DIGEST_SHA256, REALM, PASS, T0), HL_E_AUTH);
	/* Same realm, another server's secret; and a random-secret server. */
	challenge(o, REALM, HL_DIGEST_SHA256, 0, T0, nonce);
	a.cred_realm = NULL;
	HL_CHECK_INT(run(d, &a, HL_DIGEST_SHA256, REALM, PASS, T0), HL_E_AUTH);
	HL_CHECK_INT(run(r, &a, HL_DIGEST_SHA256, REALM, PASS, T0), HL_E_AUTH);
	HL_CHECK_INT(run(o, &a, HL_DIGEST_SHA256, REALM, PASS, T0), 0);
	challenge(r, REALM, HL_DIGEST_MD5, 0, T0, nonce);
	HL_CHECK_INT(run(r, &a, HL_DIGEST_MD5, REALM, PASS, T0), 0);
	/* A realm with characters that need escaping. */
	challenge(d, "a \"quoted\" \\realm", HL_DIGEST_MD5, 0, T0, nonce);
	HL_CHECK_INT(run(d, &a, HL_DIGEST_MD5, "a \"quoted\" \\realm", PASS, T0), 0);

	/* Not an enum value: a caller bug, said so. */
	struct hl_sip_digest c;
	memset(&c, 0, sizeof(c));
	HL_CHECK_INT(hl_digest_verify(d, (const uint8_t *)"", &c, "REGISTER", REALM, NULL,
			     (enum hl_digest_alg)2, T0),
		HL_E_UNSUPPORTED);
	/* Nothing parsed at all. */
	HL_CHECK_INT(hl_digest_verify(d, (const uint8_t *)"", &c, "REGISTER", REALM, NULL,
			     HL_DIGEST_MD5, T0),
		HL_E_AUTH);
	hl_digest_server_free(r);
	hl_digest_server_free(o);
	hl_digest_server_free(d);
	hl_test_guard_free(&guard);
}

HL_TEST_MAIN()
