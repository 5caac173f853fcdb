/*
 * SIP digest authentication over OpenSSL libcrypto: see include/hotline/digest.h.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <openssl/rand.h>

#include "hotline/common.h"
#include "hotline/digest.h"
#include "hotline/sip.h"

/* Nonce bytes: issue time | serial | truncated MAC. */
#define NONCE_TIME_LEN 8
#define NONCE_SERIAL_LEN 4
#define NONCE_MAC_LEN 16
#define NONCE_RAW_LEN (NONCE_TIME_LEN + NONCE_SERIAL_LEN + NONCE_MAC_LEN)
#define NC_LEN 8 /* RFC 7616 §3.4: nc-value = 8LHEX */
#define HMAC_LEN 32

static const struct alg_info {
	const char *name;  /* RFC 7616 §6.1 registry, as on the wire */
	const char *fetch; /* OpenSSL name */
	unsigned int len;  /* hash bytes */
} algs[HL_DIGEST_ALG_MAX_] = {
	[HL_DIGEST_MD5] = {"MD5", "MD5", 16},
	[HL_DIGEST_SHA256] = {"SHA-256", "SHA2-256", 32},
};

static const char *const counter_names[] = {
#define CNT_NAME_(sym, desc) desc,
	HL_DIGEST_FOREACH_COUNTER(CNT_NAME_)
#undef CNT_NAME_
};

/* The nonce issued last with serial & mask == index; nc 0 until one is accepted. */
struct slot {
	uint64_t issued;
	uint32_t serial;
	uint32_t nc;
};

struct hl_digest_server {
	EVP_MAC_CTX *mac; /* keyed with the secret once, re-initialised per nonce */
	EVP_MD_CTX *md_ctx;
	EVP_MD *md[HL_DIGEST_ALG_MAX_];
	uint32_t ttl;
	uint32_t mask;
	uint32_t next_serial;
	/* Stands in for an unknown user's HA1: the same work whether the user exists or not. */
	char dummy_ha1[HL_DIGEST_HEX_MAX];
	uint64_t cnt[HL_DIGEST_CNT_MAX_];
	struct slot slot[];
};

/* ---- hashing ---- */

/* One field of a hash input; unq: a quoted-string's inside, \-escapes still in. */
struct piece {
	const void *p;
	size_t n;
	int unq;
};

static struct piece
str_piece(const char *s)
{
	return (struct piece){s, strlen(s), 0};
}

static struct piece
slice_piece(const uint8_t *buf, struct hl_sip_slice s)
{
	return (struct piece){buf + s.off, s.len, 1};
}

/* RFC 7616 §3.4: the hash covers unq(value), so a quoted-pair counts as its character. */
static int
update_piece(EVP_MD_CTX *ctx, const struct piece *pc)
{
	const uint8_t *p = pc->p, *end = p + pc->n, *run = p;

	if (!pc->unq)
		return EVP_DigestUpdate(ctx, p, pc->n);
	while (p < end) {
		if (*p == '\\' && end - p >= 2) {
			if (EVP_DigestUpdate(ctx, run, (size_t)(p - run)) != 1)
				return 0;
			run = p + 1;
			p += 2;
		} else {
			p++;
		}
	}
	return EVP_DigestUpdate(ctx, run, (size_t)(end - run));
}

static void
to_hex(const uint8_t *in, size_t n, char *out)
{
	static const char hex[] = "0123456789abcdef";
	for (size_t i = 0; i < n; i++) {
		out[2 * i] = hex[in[i] >> 4];
		out[2 * i + 1] = hex[in[i] & 15];
	}
	out[2 * n] = '\0';
}

/* H(pc[0] ":" pc[1] ":" ...) as lowercase hex (RFC 7616 §3.2). */
static int
hash_hex(EVP_MD_CTX *ctx, const EVP_MD *md, const struct piece *pc, unsigned int n, char *out)
{
	uint8_t dg[EVP_MAX_MD_SIZE];
	unsigned int len = 0;

	if (EVP_DigestInit_ex2(ctx, md, NULL) != 1)
		return HL_E_DEPENDENCY;
	for (unsigned int i = 0; i < n; i++) {
		if (i > 0 && EVP_DigestUpdate(ctx, ":", 1) != 1)
			return HL_E_DEPENDENCY;
		if (update_piece(ctx, &pc[i]) != 1)
			return HL_E_DEPENDENCY;
	}
	if (EVP_DigestFinal_ex(ctx, dg, &len) != 1)
		return HL_E_DEPENDENCY;
	to_hex(dg, len, out);
	OPENSSL_cleanse(dg, sizeof(dg));
	return 0;
}

/*
 * RFC 7616 §3.4.1: response = H(HA1:nonce:nc:cnonce:qop:HA2), HA2 = H(method:uri);
 * without qop (RFC 2069, client side only) H(HA1:nonce:HA2).
 */
static int
response_hex(EVP_MD_CTX *ctx, const EVP_MD *md, struct piece ha1, struct piece nonce,
	const struct piece *nc, const struct piece *cnonce, const struct piece *qop,
	struct piece method, struct piece uri, char *out)
{
	char ha2[HL_DIGEST_HEX_MAX];
	struct piece a2[2] = {method, uri};
	int rc = hash_hex(ctx, md, a2, 2, ha2);
	if (rc != 0)
		return rc;
	struct piece h2 = {ha2, strlen(ha2), 0};
	if (qop == NULL) {
		struct piece r[3] = {ha1, nonce, h2};
		return hash_hex(ctx, md, r, 3, out);
	}
	struct piece r[6] = {ha1, nonce, *nc, *cnonce, *qop, h2};
	return hash_hex(ctx, md, r, 6, out);
}

static const EVP_MD *
builtin_md(enum hl_digest_alg alg)
{
	return alg == HL_DIGEST_MD5 ? EVP_md5() : EVP_sha256();
}

void
hl_digest_ha1(enum hl_digest_alg alg, const char *user, const char *realm, const char *password,
	char *out)
{
	EVP_MD_CTX *ctx = NULL;

	out[0] = '\0';
	if ((unsigned int)alg >= HL_DIGEST_ALG_MAX_)
		return;
	ctx = EVP_MD_CTX_new();
	if (ctx == NULL)
		return;
	struct piece a1[3] = {str_piece(user), str_piece(realm), str_piece(password)};
	if (hash_hex(ctx, builtin_md(alg), a1, 3, out) != 0)
		out[0] = '\0';
	EVP_MD_CTX_free(ctx);
}

int
hl_digest_client_response(enum hl_digest_alg alg, const char *ha1_hex, const char *nonce,
	const char *nc, const char *cnonce, const char *qop, const char *method, const char *uri,
	char *out)
{
	EVP_MD_CTX *ctx;
	int rc;

	out[0] = '\0';
	if ((unsigned int)alg >= HL_DIGEST_ALG_MAX_ || (qop != NULL && strcmp(qop, "auth") != 0))
		return HL_E_UNSUPPORTED;
	ctx = EVP_MD_CTX_new();
	if (ctx == NULL)
		return HL_E_DEPENDENCY;
	struct piece pnc = str_piece(qop ? nc : ""), pcn = str_piece(qop ? cnonce : "");
	struct piece pq = str_piece(qop ? qop : "");
	rc = response_hex(ctx, builtin_md(alg), str_piece(ha1_hex), str_piece(nonce), &pnc, &pcn,
		qop ? &pq : NULL, str_piece(method), str_piece(uri), out);
	EVP_MD_CTX_free(ctx);
	if (rc != 0)
		out[0] = '\0';
	return rc;
}

/* ---- nonces ---- */

static const char b64url[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/* RFC 4648 §5 without padding (§3.2 allows leaving it out where the length is known). */
static size_t
b64url_encode(const uint8_t *in, size_t n, char *out)
{
	size_t o = 0, i = 0;
	for (; i + 3 <= n; i += 3) {
		uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 | in[i + 2];
		out[o++] = b64url[v >> 18];
		out[o++] = b64url[(v >> 12) & 63];
		out[o++] = b64url[(v >> 6) & 63];
		out[o++] = b64url[v & 63];
	}
	if (n - i >= 1) {
		uint32_t v = (uint32_t)in[i] << 16 | (n - i == 2 ? (uint32_t)in[i + 1] << 8 : 0);
		out[o++] = b64url[v >> 18];
		out[o++] = b64url[(v >> 12) & 63];
		if (n - i == 2)
			out[o++] = b64url[(v >> 6) & 63];
	}
	return o;
}

static int
b64url_value(uint8_t c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '-')
		return 62;
	if (c == '_')
		return 63;
	return -1;
}

/* Decodes exactly cap bytes; the unused low bits of the last character must be 0, so
 * each nonce has one spelling. */
static int
b64url_decode(const uint8_t *in, size_t n, uint8_t *out, size_t cap)
{
	uint32_t acc = 0;
	unsigned int bits = 0;
	size_t o = 0;

	for (size_t i = 0; i < n; i++) {
		int v = b64url_value(in[i]);
		if (v < 0)
			return -1;
		acc = acc << 6 | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			if (o == cap)
				return -1;
			out[o++] = (uint8_t)(acc >> bits);
			acc &= (1u << bits) - 1;
		}
	}
	return o == cap && acc == 0 ? 0 : -1;
}

static void
put_be(uint8_t *p, uint64_t v, unsigned int n)
{
	for (unsigned int i = 0; i < n; i++)
		p[i] = (uint8_t)(v >> (8 * (n - 1 - i)));
}

static uint64_t
get_be(const uint8_t *p, unsigned int n)
{
	uint64_t v = 0;
	for (unsigned int i = 0; i < n; i++)
		v = v << 8 | p[i];
	return v;
}

/* HMAC-SHA256(secret, time | serial | realm) into mac (HMAC_LEN bytes). */
static int
nonce_mac(struct hl_digest_server *d, const uint8_t *ts, const char *realm, uint8_t *mac)
{
	size_t len = 0;

	/* A NULL key re-initialises with the key set at create. */
	if (EVP_MAC_init(d->mac, NULL, 0, NULL) != 1 ||
		EVP_MAC_update(d->mac, ts, NONCE_TIME_LEN + NONCE_SERIAL_LEN) != 1 ||
		EVP_MAC_update(d->mac, (const uint8_t *)realm, strlen(realm)) != 1 ||
		EVP_MAC_final(d->mac, mac, &len, HMAC_LEN) != 1 || len != HMAC_LEN)
		return HL_E_DEPENDENCY;
	return 0;
}

/* 0 and the nonce's fields when it is one of ours for realm, -1 otherwise. */
static int
nonce_open(struct hl_digest_server *d, const uint8_t *s, size_t n, const char *realm,
	uint64_t *issued, uint32_t *serial)
{
	uint8_t raw[NONCE_RAW_LEN], mac[HMAC_LEN];

	if (n != HL_DIGEST_NONCE_LEN || b64url_decode(s, n, raw, sizeof(raw)) != 0)
		return -1;
	if (nonce_mac(d, raw, realm, mac) != 0)
		return -1;
	if (CRYPTO_memcmp(mac, raw + NONCE_TIME_LEN + NONCE_SERIAL_LEN, NONCE_MAC_LEN) != 0)
		return -1;
	*issued = get_be(raw, NONCE_TIME_LEN);
	*serial = (uint32_t)get_be(raw + NONCE_TIME_LEN, NONCE_SERIAL_LEN);
	return 0;
}

/* ---- server ---- */

struct hl_digest_server *
hl_digest_server_create(const uint8_t *secret, uint32_t nonce_ttl_s, uint32_t table_slots)
{
	struct hl_digest_server *d = NULL;
	EVP_MAC *mac = NULL;
	uint8_t key[HL_DIGEST_SECRET_LEN], dummy[(HL_DIGEST_HEX_MAX - 1) / 2];
	OSSL_PARAM params[] = {
		OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, (char *)"SHA256", 0),
		OSSL_PARAM_construct_end(),
	};
	uint32_t slots = 1;

	if (nonce_ttl_s == 0 || table_slots == 0 || table_slots > HL_DIGEST_MAX_SLOTS) {
		hl_errno = HL_E_CONFIG;
		return NULL;
	}
	while (slots < table_slots)
		slots <<= 1;
	d = calloc(1, sizeof(*d) + (size_t)slots * sizeof(d->slot[0]));
	if (d == NULL) {
		hl_errno = -ENOMEM;
		return NULL;
	}
	d->ttl = nonce_ttl_s;
	d->mask = slots - 1;
	if (secret != NULL)
		memcpy(key, secret, sizeof(key));
	else if (RAND_bytes(key, sizeof(key)) != 1)
		goto fail;
	/* Random even with a given secret: a restart must not reissue a (time, serial).
	 * The dummy HA1 need not be secret (an unknown user never passes), only unguessable
	 * enough that no response is worth precomputing for it. */
	if (RAND_bytes((uint8_t *)&d->next_serial, sizeof(d->next_serial)) != 1 ||
		RAND_bytes(dummy, sizeof(dummy)) != 1)
		goto fail;
	to_hex(dummy, sizeof(dummy), d->dummy_ha1);
	for (unsigned int a = 0; a < HL_DIGEST_ALG_MAX_; a++) {
		d->md[a] = EVP_MD_fetch(NULL, algs[a].fetch, NULL);
		if (d->md[a] == NULL)
			goto fail;
	}
	d->md_ctx = EVP_MD_CTX_new();
	mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
	if (d->md_ctx == NULL || mac == NULL)
		goto fail;
	d->mac = EVP_MAC_CTX_new(mac);
	if (d->mac == NULL || EVP_MAC_init(d->mac, key, sizeof(key), params) != 1)
		goto fail;
	EVP_MAC_free(mac);
	OPENSSL_cleanse(key, sizeof(key));
	return d;

fail:
	EVP_MAC_free(mac);
	OPENSSL_cleanse(key, sizeof(key));
	hl_digest_server_free(d);
	hl_errno = HL_E_DEPENDENCY;
	return NULL;
}

void
hl_digest_server_free(struct hl_digest_server *d)
{
	if (d == NULL)
		return;
	EVP_MAC_CTX_free(d->mac);
	EVP_MD_CTX_free(d->md_ctx);
	for (unsigned int a = 0; a < HL_DIGEST_ALG_MAX_; a++)
		EVP_MD_free(d->md[a]);
	OPENSSL_cleanse(d->dummy_ha1, sizeof(d->dummy_ha1));
	free(d);
}

/* quoted-string = DQUOTE *(qdtext / quoted-pair) DQUOTE (RFC 3261 §25.1). */
static void
w_quoted(struct hl_sip_writer *w, const char *s)
{
	const char *run = s;
	hl_sip_w_raw(w, "\"", 1);
	for (; *s; s++) {
		if (*s == '"' || *s == '\\') {
			hl_sip_w_raw(w, run, (size_t)(s - run));
			hl_sip_w_raw(w, "\\", 1);
			run = s;
		}
	}
	hl_sip_w_raw(w, run, (size_t)(s - run));
	hl_sip_w_raw(w, "\"", 1);
}

void
hl_digest_challenge(struct hl_digest_server *d, struct hl_sip_writer *w, const char *realm,
	enum hl_digest_alg alg, int stale, uint64_t now_s)
{
	uint8_t raw[NONCE_RAW_LEN], mac[HMAC_LEN];
	char nonce[HL_DIGEST_NONCE_LEN];

	if (w->err)
		return;
	if ((unsigned int)alg >= HL_DIGEST_ALG_MAX_) {
		w->err = HL_E_UNSUPPORTED;
		return;
	}
	uint32_t serial = d->next_serial++;
	put_be(raw, now_s, NONCE_TIME_LEN);
	put_be(raw + NONCE_TIME_LEN, serial, NONCE_SERIAL_LEN);
	if (nonce_mac(d, raw, realm, mac) != 0) {
		w->err = HL_E_DEPENDENCY;
		return;
	}
	memcpy(raw + NONCE_TIME_LEN + NONCE_SERIAL_LEN, mac, NONCE_MAC_LEN);
	b64url_encode(raw, sizeof(raw), nonce);
	d->slot[serial & d->mask] = (struct slot){now_s, serial, 0};
	d->cnt[HL_DIGEST_CNT_ISSUED]++;

	/* RFC 7616 §3.3; qop quoted as the ABNF requires, algorithm a token. */
	hl_sip_w_str(w, "Digest realm=");
	w_quoted(w, realm);
	hl_sip_w_str(w, ", nonce=\"");
	hl_sip_w_raw(w, nonce, sizeof(nonce));
	hl_sip_w_str(w, "\", algorithm=");
	hl_sip_w_str(w, algs[alg].name);
	hl_sip_w_str(w, ", qop=\"auth\"");
	if (stale)
		hl_sip_w_str(w, ", stale=true");
}

int
hl_digest_cred_alg(const uint8_t *buf, const struct hl_sip_digest *cred)
{
	/* RFC 7616 §3.4: an absent algorithm means MD5. */
	if (cred->algorithm.len == 0)
		return HL_DIGEST_MD5;
	for (unsigned int a = 0; a < HL_DIGEST_ALG_MAX_; a++)
		if (hl_sip_slice_ieq(buf, cred->algorithm, algs[a].name))
			return (int)a;
	return HL_E_UNSUPPORTED;
}

/* unq(s) == str, byte for byte: realms are compared as strings (RFC 7616 §3.3). */
static int
unq_eq(const uint8_t *buf, struct hl_sip_slice s, const char *str)
{
	const uint8_t *p = buf + s.off, *end = p + s.len;
	for (; p < end; p++, str++) {
		if (*p == '\\' && end - p >= 2)
			p++;
		if (*str == '\0' || (uint8_t)*str != *p)
			return 0;
	}
	return *str == '\0';
}

static int
is_hex(uint8_t c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/* nc-value = 8LHEX; accepts upper case too, hashed as sent. */
static int
parse_nc(const uint8_t *buf, struct hl_sip_slice s, uint32_t *nc)
{
	const uint8_t *p = buf + s.off;
	uint32_t v = 0;

	if (s.len != NC_LEN)
		return -1;
	for (unsigned int i = 0; i < NC_LEN; i++) {
		if (!is_hex(p[i]))
			return -1;
		v = v << 4 | (uint32_t)(p[i] <= '9' ? p[i] - '0' : (p[i] | 0x20) - 'a' + 10);
	}
	*nc = v;
	return 0;
}

enum outcome {
	OUT_OK,
	OUT_STALE,
	OUT_REPLAY,
	OUT_BAD,
};

static enum outcome
check(struct hl_digest_server *d, const uint8_t *buf, const struct hl_sip_digest *cred,
	const char *method, const char *realm, const char *ha1_hex, enum hl_digest_alg alg,
	uint64_t now_s)
{
	const size_t hex_len = 2 * (size_t)algs[alg].len;
	char want[HL_DIGEST_HEX_MAX], got[HL_DIGEST_HEX_MAX];
	uint64_t issued;
	uint32_t serial, nc;

	/* Nothing below branches on whether the user exists before the final compare. */
	int known = ha1_hex != NULL && strnlen(ha1_hex, hex_len + 1) == hex_len;
	const char *ha1 = known ? ha1_hex : d->dummy_ha1;

	/* RFC 7235 §2.1: the scheme is case-insensitive. */
	if (!hl_sip_slice_ieq(buf, cred->scheme, "Digest") || cred->username.len == 0 ||
		!unq_eq(buf, cred->realm, realm) || hl_digest_cred_alg(buf, cred) != (int)alg)
		return OUT_BAD;
	/* RFC 7616 §3.4: with qop, cnonce and nc MUST be present. */
	if (!hl_sip_slice_ieq(buf, cred->qop, "auth") || parse_nc(buf, cred->nc, &nc) != 0 ||
		cred->cnonce.len == 0 || cred->uri.len == 0 || cred->response.len != hex_len)
		return OUT_BAD;
	if (nonce_open(d, buf + cred->nonce.off, cred->nonce.len, realm, &issued, &serial) != 0)
		return OUT_BAD;

	struct piece pnc = slice_piece(buf, cred->nc), pcn = slice_piece(buf, cred->cnonce);
	struct piece pq = slice_piece(buf, cred->qop);
	if (response_hex(d->md_ctx, d->md[alg], (struct piece){ha1, hex_len, 0},
		    slice_piece(buf, cred->nonce), &pnc, &pcn, &pq, str_piece(method),
		    slice_piece(buf, cred->uri), want) != 0)
		return OUT_BAD;
	/* Some clients send upper-case hex; the value is case-insensitive in effect. */
	const uint8_t *r = buf + cred->response.off;
	for (size_t i = 0; i < hex_len; i++)
		got[i] = (char)(r[i] >= 'A' && r[i] <= 'F' ? r[i] | 0x20 : r[i]);
	int match = CRYPTO_memcmp(want, got, hex_len) == 0;
	OPENSSL_cleanse(want, sizeof(want));
	if (!(match & known))
		return OUT_BAD;

	/* RFC 7616 §3.3: stale only for a valid response on a nonce we no longer take.
	 * A nonce from the future (the clock stepped back) is stale too. */
	if (now_s < issued || now_s - issued > d->ttl)
		return OUT_STALE;
	struct slot *sl = &d->slot[serial & d->mask];
	if (sl->serial != serial || sl->issued != issued)
		return OUT_STALE;
	/* RFC 7616 §5.5: nc must grow, so a captured request cannot be played again. */
	if (nc <= sl->nc)
		return OUT_REPLAY;
	sl->nc = nc;
	return OUT_OK;
}

int
hl_digest_verify(struct hl_digest_server *d, const uint8_t *buf, const struct hl_sip_digest *cred,
	const char *method, const char *realm, const char *ha1_hex, enum hl_digest_alg alg,
	uint64_t now_s)
{
	if ((unsigned int)alg >= HL_DIGEST_ALG_MAX_)
		return HL_E_UNSUPPORTED;
	switch (check(d, buf, cred, method, realm, ha1_hex, alg, now_s)) {
	case OUT_OK:
		d->cnt[HL_DIGEST_CNT_OK]++;
		return 0;
	case OUT_STALE:
		d->cnt[HL_DIGEST_CNT_STALE]++;
		return HL_DIGEST_STALE;
	case OUT_REPLAY:
		d->cnt[HL_DIGEST_CNT_REPLAY]++;
		return HL_E_AUTH;
	case OUT_BAD:
		break;
	}
	d->cnt[HL_DIGEST_CNT_BAD]++;
	return HL_E_AUTH;
}

uint64_t
hl_digest_counter(const struct hl_digest_server *d, unsigned int counter)
{
	return counter < HL_DIGEST_CNT_MAX_ ? d->cnt[counter] : 0;
}

const char *
hl_digest_counter_name(unsigned int counter)
{
	return counter < HL_DIGEST_CNT_MAX_ ? counter_names[counter] : NULL;
}

const char *
hl_digest_alg_name(enum hl_digest_alg alg)
{
	return (unsigned int)alg < HL_DIGEST_ALG_MAX_ ? algs[alg].name : NULL;
}
