/* SDES keys and SRTP/SRTCP contexts over libsrtp2: see include/hotline/srtp.h. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include <openssl/opensslv.h>
#include <srtp2/crypto_types.h>
#include <srtp2/srtp.h>

#include "hotline/srtp.h"

#include "srtp_priv.h"

struct suite_info {
	const char *name;
	uint8_t key_len;
	uint8_t salt_len;
	uint8_t tag_len;
};

_Static_assert(HL_SRTP_MAX_KEYS <= SRTP_MAX_NUM_MASTER_KEYS, "libsrtp holds that many keys");

static const struct suite_info suites[] = {
#define SUITE_INFO_(sym, name, kl, sl, tl) {name, kl, sl, tl},
	HL_SRTP_FOREACH_SUITE(SUITE_INFO_)
#undef SUITE_INFO_
};

static const char *const counter_names[] = {
#define CNT_NAME_(sym, desc) desc,
	HL_SRTP_FOREACH_COUNTER(CNT_NAME_)
#undef CNT_NAME_
};

/* Where meson.build took libsrtp from. */
#ifndef HL_SRTP_ORIGIN
#define HL_SRTP_ORIGIN "libsrtp2"
#endif

static void
walk_setup(const char *backend);

/*
 * The crypto libsrtp was built on, in its own words: each backend registers its debug
 * modules under its own name ("aes icm ossl", "aes icm nss", "aes icm mbedtls"; the
 * built-in one is plain "aes icm"), and srtp_list_debug_modules() reports them through
 * the log handler. Read at start-up, so the log line says what is linked, not what the
 * build meant to link.
 */
static void
backend_from_modules(srtp_log_level_t level, const char *msg, void *data)
{
	const char **backend = data;

	(void)level;
	if (strstr(msg, "aes icm ossl") != NULL)
		*backend = "OpenSSL";
	else if (strstr(msg, "aes icm nss") != NULL)
		*backend = "NSS";
	else if (strstr(msg, "aes icm mbedtls") != NULL)
		*backend = "mbedTLS";
}

int
hl_srtp_global_init(void)
{
	/* libsrtp's second srtp_init() re-runs its self-tests and can fail; once is
	 * what it needs. */
	static int done;
	const char *backend = "built-in";

	if (done)
		return 0;
	if (srtp_init() != srtp_err_status_ok)
		return HL_E_DEPENDENCY;
	srtp_install_log_handler(backend_from_modules, &backend);
	srtp_list_debug_modules();
	srtp_install_log_handler(NULL, NULL);
	/* srtp.c sees no DPDK (a pure module, tested without EAL), hence stderr. */
	fprintf(stderr, "hl.dp.srtp: %s, %s backend (%s)\n", srtp_get_version_string(), backend,
		HL_SRTP_ORIGIN);
#ifdef HL_SRTP_WANT_OPENSSL
	/* meson.build asked for the OpenSSL build; NSS's costs grow with every live
	 * session (bench/README.md, "SRTP"), so a mix-up stops here, not at 1000 calls. */
	if (strcmp(backend, "OpenSSL") != 0) {
		fprintf(stderr, "hl.dp.srtp: built for libsrtp2 on OpenSSL, linked on %s\n",
			backend);
		return HL_E_DEPENDENCY;
	}
#endif
	walk_setup(backend);
	done = 1;
	return 0;
}

int
hl_srtp_suite_from_name(const char *name, size_t len)
{
	for (unsigned int i = 0; i < HL_SRTP_SUITE_MAX_; i++)
		if (strlen(suites[i].name) == len && memcmp(suites[i].name, name, len) == 0)
			return (int)i;
	return HL_E_UNSUPPORTED;
}

const char *
hl_srtp_suite_name(unsigned int suite)
{
	return suite < HL_SRTP_SUITE_MAX_ ? suites[suite].name : NULL;
}

size_t
hl_srtp_suite_key_salt_len(unsigned int suite)
{
	return suite < HL_SRTP_SUITE_MAX_ ? (size_t)suites[suite].key_len + suites[suite].salt_len
					  : 0;
}

const char *
hl_srtp_counter_name(unsigned int counter)
{
	return counter < HL_SRTP_CNT_MAX_ ? counter_names[counter] : NULL;
}

/* RFC 4648 §4 base64, with padding. */
static const char b64_alphabet[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static int
b64_value(char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

/* Decodes s[0..len) into out (at most cap octets); returns octets written or -1. */
static int
b64_decode(const char *s, size_t len, uint8_t *out, size_t cap)
{
	uint32_t acc = 0;
	unsigned int bits = 0;
	size_t n = 0, pad = 0;

	if (len % 4 != 0)
		return -1;
	for (size_t i = 0; i < len; i++) {
		if (s[i] == '=') {
			/* RFC 4648 §3.2: padding only at the end, at most two. */
			pad++;
			continue;
		}
		int v = b64_value(s[i]);
		if (v < 0 || pad)
			return -1;
		acc = (acc << 6) | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			if (n == cap)
				return -1;
			out[n++] = (uint8_t)(acc >> bits);
		}
	}
	if (pad > 2)
		return -1;
	return (int)n;
}

static size_t
b64_encode(const uint8_t *in, size_t len, char *out)
{
	size_t o = 0;
	for (size_t i = 0; i < len; i += 3) {
		uint32_t v = (uint32_t)in[i] << 16;
		if (i + 1 < len)
			v |= (uint32_t)in[i + 1] << 8;
		if (i + 2 < len)
			v |= in[i + 2];
		out[o++] = b64_alphabet[(v >> 18) & 63];
		out[o++] = b64_alphabet[(v >> 12) & 63];
		out[o++] = i + 1 < len ? b64_alphabet[(v >> 6) & 63] : '=';
		out[o++] = i + 2 < len ? b64_alphabet[v & 63] : '=';
	}
	return o;
}

/* Decimal s[0..len) into *out, no sign, no overflow past max. */
static int
parse_dec(const char *s, size_t len, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;
	if (len == 0 || len > 20)
		return -1;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		uint64_t d = (uint64_t)(s[i] - '0');
		if (v > (max - d) / 10)
			return -1;
		v = v * 10 + d;
	}
	*out = v;
	return 0;
}

static const char *
find_char(const char *s, const char *end, char c)
{
	const char *p = memchr(s, c, (size_t)(end - s));
	return p ? p : end;
}

int
hl_srtp_key_params_parse(const char *s, size_t len, unsigned int suite, struct hl_srtp_key *out)
{
	static const char method[] = "inline:";
	const char *end = s + len, *p, *q;
	uint8_t raw[HL_SRTP_MAX_KEY_SALT + 3];
	size_t want = hl_srtp_suite_key_salt_len(suite);
	int n;

	if (want == 0)
		return HL_E_UNSUPPORTED;
	if (len < sizeof(method) - 1 || memcmp(s, method, sizeof(method) - 1) != 0)
		return HL_E_PARSE;
	memset(out, 0, sizeof(*out));
	p = s + sizeof(method) - 1;
	q = find_char(p, end, '|');
	n = b64_decode(p, (size_t)(q - p), raw, sizeof(raw));
	if (n < 0 || (size_t)n != want) {
		explicit_bzero(raw, sizeof(raw));
		return HL_E_PARSE;
	}
	out->suite = (uint8_t)suite;
	out->key_salt_len = (uint8_t)want;
	memcpy(out->key, raw, want);
	explicit_bzero(raw, sizeof(raw));

	/* RFC 4568 §6.1: optional lifetime, then optional MKI:length, both after '|'. */
	while (q < end) {
		p = q + 1;
		q = find_char(p, end, '|');
		const char *colon = find_char(p, q, ':');
		uint64_t v, l;
		if (colon < q) {
			if (out->mki_len)
				goto bad;
			if (parse_dec(p, (size_t)(colon - p), UINT32_MAX, &v) != 0 ||
			    parse_dec(colon + 1, (size_t)(q - colon - 1), 128, &l) != 0 || l == 0)
				goto bad;
			if (l > 4) {
				hl_srtp_key_wipe(out);
				return HL_E_UNSUPPORTED;
			}
			if (l < 4 && v >> (8 * l))
				goto bad;
			out->mki = (uint32_t)v;
			out->mki_len = (uint8_t)l;
		} else {
			if (out->lifetime || out->mki_len)
				goto bad;
			if (q - p > 2 && p[0] == '2' && p[1] == '^') {
				if (parse_dec(p + 2, (size_t)(q - p - 2), 63, &v) != 0 || v == 0)
					goto bad;
				out->lifetime_log2 = (uint8_t)v;
				out->lifetime = (uint64_t)1 << v;
			} else if (parse_dec(p, (size_t)(q - p), UINT64_MAX, &v) != 0 || v == 0) {
				goto bad;
			} else {
				out->lifetime = v;
			}
		}
	}
	return 0;
bad:
	hl_srtp_key_wipe(out);
	return HL_E_PARSE;
}

static int
token_is(const char *p, size_t n, const char *lit)
{
	return strlen(lit) == n && memcmp(p, lit, n) == 0;
}

int
hl_srtp_crypto_attr_parse(const char *s, size_t len, struct hl_srtp_crypto_attr *out)
{
	const char *end = s + len, *p = s, *q;
	uint64_t v;
	int suite, rc;

	memset(out, 0, sizeof(*out));
	/* RFC 4568 §9.1: tag 1*9DIGIT, then suite, then key-params, separated by WSP. */
	q = find_char(p, end, ' ');
	if (q - p > 9 || parse_dec(p, (size_t)(q - p), 999999999, &v) != 0)
		return HL_E_PARSE;
	out->tag = (uint32_t)v;
	if (q == end)
		return HL_E_PARSE;
	p = q + 1;
	q = find_char(p, end, ' ');
	suite = hl_srtp_suite_from_name(p, (size_t)(q - p));
	if (suite < 0)
		return suite;
	if (q == end)
		return HL_E_PARSE;
	p = q + 1;
	q = find_char(p, end, ' ');
	if (find_char(p, q, ';') < q)
		return HL_E_UNSUPPORTED; /* several keys (MKI rotation): not offered by us */
	rc = hl_srtp_key_params_parse(p, (size_t)(q - p), (unsigned int)suite, &out->key);
	if (rc != 0)
		return rc;
	while (q < end) {
		p = q + 1;
		q = find_char(p, end, ' ');
		size_t n = (size_t)(q - p);
		if (n == 0)
			continue;
		if (n > 4 && memcmp(p, "WSH=", 4) == 0) {
			/* RFC 4568 §6.3.7: minimum 64. */
			if (parse_dec(p + 4, n - 4, 32768, &v) != 0 || v < 64)
				goto bad;
			out->wsh = (uint32_t)v;
		} else if (token_is(p, n, "KDR=0") || p[0] == '-') {
			continue;
		} else {
			rc = HL_E_UNSUPPORTED;
			goto fail;
		}
	}
	return 0;
bad:
	rc = HL_E_PARSE;
fail:
	hl_srtp_key_wipe(&out->key);
	return rc;
}

int
hl_srtp_key_generate(struct hl_srtp_key *key, unsigned int suite)
{
	size_t n = hl_srtp_suite_key_salt_len(suite), got = 0;

	if (n == 0)
		return HL_E_CONFIG;
	memset(key, 0, sizeof(*key));
	while (got < n) {
		ssize_t r = getrandom(key->key + got, n - got, 0);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			int err = -errno;
			hl_srtp_key_wipe(key);
			return err;
		}
		got += (size_t)r;
	}
	key->suite = (uint8_t)suite;
	key->key_salt_len = (uint8_t)n;
	return 0;
}

int
hl_srtp_crypto_attr_format(char *buf, size_t cap, uint32_t tag, const struct hl_srtp_key *key)
{
	char b64[(HL_SRTP_MAX_KEY_SALT + 2) / 3 * 4 + 1];
	char extra[48] = "";
	size_t n;
	int len;

	if (key->suite >= HL_SRTP_SUITE_MAX_ || key->key_salt_len != hl_srtp_suite_key_salt_len(
							key->suite) || tag > 999999999)
		return HL_E_CONFIG;
	n = b64_encode(key->key, key->key_salt_len, b64);
	b64[n] = '\0';
	if (key->lifetime_log2)
		snprintf(extra, sizeof(extra), "|2^%u", key->lifetime_log2);
	else if (key->lifetime)
		snprintf(extra, sizeof(extra), "|%llu", (unsigned long long)key->lifetime);
	if (key->mki_len)
		snprintf(extra + strlen(extra), sizeof(extra) - strlen(extra), "|%u:%u", key->mki,
			 key->mki_len);
	len = snprintf(buf, cap, "%u %s inline:%s%s", tag, suites[key->suite].name, b64, extra);
	explicit_bzero(b64, sizeof(b64));
	if (len < 0 || (size_t)len >= cap) {
		if (cap)
			explicit_bzero(buf, cap);
		return HL_E_TOOBIG;
	}
	return len;
}

void
hl_srtp_key_wipe(struct hl_srtp_key *key)
{
	if (key != NULL)
		explicit_bzero(key, sizeof(*key));
}

static void
set_crypto_policy(srtp_policy_t *pol, unsigned int suite)
{
	switch (suite) {
	case HL_SRTP_AES_CM_128_HMAC_SHA1_80:
		srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&pol->rtp);
		srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&pol->rtcp);
		break;
	case HL_SRTP_AES_CM_128_HMAC_SHA1_32:
		/* RFC 4568 §6.2.2 (RFC 3711 §5.2): SRTCP keeps the 80-bit tag. */
		srtp_crypto_policy_set_aes_cm_128_hmac_sha1_32(&pol->rtp);
		srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&pol->rtcp);
		break;
	case HL_SRTP_AES_256_CM_HMAC_SHA1_80:
		srtp_crypto_policy_set_aes_cm_256_hmac_sha1_80(&pol->rtp);
		srtp_crypto_policy_set_aes_cm_256_hmac_sha1_80(&pol->rtcp);
		break;
	case HL_SRTP_AEAD_AES_128_GCM:
		srtp_crypto_policy_set_aes_gcm_128_16_auth(&pol->rtp);
		srtp_crypto_policy_set_aes_gcm_128_16_auth(&pol->rtcp);
		break;
	case HL_SRTP_AEAD_AES_256_GCM:
		srtp_crypto_policy_set_aes_gcm_256_16_auth(&pol->rtp);
		srtp_crypto_policy_set_aes_gcm_256_16_auth(&pol->rtcp);
		break;
	}
}

/* RFC 4568 §6.1: several keys of one line each carry an MKI, all of one length, and the
 * receiver picks the key by it, so the MKIs must differ; one suite for the line. */
static int
keys_ok(const struct hl_srtp_key *keys, unsigned int nkeys)
{
	for (unsigned int i = 0; i < nkeys; i++) {
		const struct hl_srtp_key *k = &keys[i];
		if (k->suite >= HL_SRTP_SUITE_MAX_ ||
		    k->key_salt_len != hl_srtp_suite_key_salt_len(k->suite) || k->mki_len > 4)
			return 0;
		if (nkeys == 1)
			return 1;
		if (k->suite != keys[0].suite || k->mki_len == 0 || k->mki_len != keys[0].mki_len)
			return 0;
		for (unsigned int j = 0; j < i; j++)
			if (keys[j].mki == k->mki)
				return 0;
	}
	return nkeys != 0;
}

int
hl_srtp_ctx_init(struct hl_srtp_ctx *ctx, const struct hl_srtp_key *key, enum hl_srtp_dir dir,
		 const struct hl_srtp_opts *opts)
{
	return hl_srtp_ctx_init_keys(ctx, key, 1, dir, opts);
}

int
hl_srtp_ctx_init_keys(struct hl_srtp_ctx *ctx, const struct hl_srtp_key *keys,
		      unsigned int nkeys, enum hl_srtp_dir dir, const struct hl_srtp_opts *opts)
{
	static const struct hl_srtp_opts defaults;
	const struct hl_srtp_key *key = keys;
	srtp_policy_t pol;
	srtp_master_key_t mk[HL_SRTP_MAX_KEYS], *mkp[HL_SRTP_MAX_KEYS];
	uint8_t keybuf[HL_SRTP_MAX_KEYS][HL_SRTP_MAX_KEY_SALT];
	uint8_t mki[HL_SRTP_MAX_KEYS][4];
	int xtn[14];
	srtp_err_status_t st;
	int rc = 0;

	memset(ctx, 0, sizeof(*ctx));
	if (opts == NULL)
		opts = &defaults;
	/* Outbound is ours: one key, so hl_srtp_protect_*() never has to pick. */
	if (nkeys > HL_SRTP_MAX_KEYS || !keys_ok(keys, nkeys) ||
	    (nkeys > 1 && dir != HL_SRTP_INBOUND) ||
	    opts->enc_xtn_count > HL_ARRAY_SIZE(opts->enc_xtn_ids) ||
	    (opts->window && (opts->window < 64 || opts->window > 32768)) ||
	    (dir != HL_SRTP_INBOUND && dir != HL_SRTP_OUTBOUND))
		return HL_E_CONFIG;

	/*
	 * libsrtp 2.5.0 finds the SRTCP MKI with the RTP tag length, so with the 32-bit RTP
	 * tag (SRTCP keeps 80 bits) every SRTCP packet with an MKI fails. Refuse the pair.
	 */
	if (key->suite == HL_SRTP_AES_CM_128_HMAC_SHA1_32 && key->mki_len)
		return HL_E_UNSUPPORTED;

	memset(&pol, 0, sizeof(pol));
	set_crypto_policy(&pol, key->suite);
	if (opts->ssrc_specific) {
		pol.ssrc.type = ssrc_specific;
		pol.ssrc.value = opts->ssrc;
	} else {
		pol.ssrc.type = dir == HL_SRTP_INBOUND ? ssrc_any_inbound : ssrc_any_outbound;
	}
	for (unsigned int k = 0; k < nkeys; k++) {
		memcpy(keybuf[k], keys[k].key, keys[k].key_salt_len);
		for (unsigned int i = 0; i < keys[k].mki_len; i++)
			mki[k][i] = (uint8_t)(keys[k].mki >> (8 * (keys[k].mki_len - 1 - i)));
		mk[k].key = keybuf[k];
		mk[k].mki_id = mki[k];
		mk[k].mki_size = keys[k].mki_len;
		mkp[k] = &mk[k];
	}
	/* With MKIs libsrtp takes the keys array and, unprotecting with use_mki, picks the
	 * key whose MKI the packet carries (srtp_err_status_bad_mki when none does). */
	if (key->mki_len) {
		pol.keys = mkp;
		pol.num_master_keys = nkeys;
	} else {
		pol.key = keybuf[0];
	}
	pol.window_size = opts->window ? opts->window : 128;
	for (unsigned int i = 0; i < opts->enc_xtn_count; i++)
		xtn[i] = opts->enc_xtn_ids[i];
	if (opts->enc_xtn_count) {
		pol.enc_xtn_hdr = xtn;
		pol.enc_xtn_hdr_count = opts->enc_xtn_count;
	}

	/* Another policy, the same keys, for any other SSRC: libsrtp's template. */
	srtp_policy_t any = pol;
	if (opts->ssrc_specific && opts->and_any && dir == HL_SRTP_INBOUND) {
		any.ssrc.type = ssrc_any_inbound;
		any.ssrc.value = 0;
		any.next = NULL;
		pol.next = &any;
	}
	st = srtp_create(&ctx->session, &pol);
	explicit_bzero(keybuf, sizeof(keybuf));
	if (st != srtp_err_status_ok) {
		ctx->session = NULL;
		return st == srtp_err_status_alloc_fail ? -ENOMEM : HL_E_DEPENDENCY;
	}
	ctx->suite = key->suite;
	ctx->dir = (uint8_t)dir;
	ctx->tag_len = suites[key->suite].tag_len;
	ctx->mki_len = key->mki_len;
	ctx->nkeys = (uint8_t)nkeys;
	for (unsigned int k = 0; k < nkeys; k++) {
		ctx->mki[k] = keys[k].mki;
		ctx->left[0][k] = ctx->left[1][k] = keys[k].lifetime ? keys[k].lifetime : UINT64_MAX;
		ctx->lifetimes |= keys[k].lifetime != 0;
	}
	if (opts->ssrc_specific && opts->roc) {
		rc = hl_srtp_set_roc(ctx, opts->ssrc, opts->roc);
		if (rc != 0)
			hl_srtp_ctx_fini(ctx);
	}
	return rc;
}

void
hl_srtp_ctx_fini(struct hl_srtp_ctx *ctx)
{
	if (ctx == NULL || ctx->session == NULL)
		return;
	srtp_dealloc(ctx->session);
	ctx->session = NULL;
}

static int
map_status(struct hl_srtp_ctx *ctx, srtp_err_status_t st)
{
	switch (st) {
	case srtp_err_status_ok:
		ctx->cnt[HL_SRTP_CNT_OK]++;
		return 0;
	case srtp_err_status_auth_fail:
	case srtp_err_status_bad_mki:
		ctx->cnt[HL_SRTP_CNT_AUTH_FAIL]++;
		return HL_E_AUTH;
	case srtp_err_status_replay_fail:
	case srtp_err_status_replay_old:
		ctx->cnt[HL_SRTP_CNT_REPLAY]++;
		return HL_E_REPLAY;
	case srtp_err_status_bad_param:
	case srtp_err_status_parse_err:
		ctx->cnt[HL_SRTP_CNT_MALFORMED]++;
		return HL_E_PARSE;
	case srtp_err_status_no_ctx:
		ctx->cnt[HL_SRTP_CNT_OTHER]++;
		return HL_E_NOTFOUND;
	default:
		ctx->cnt[HL_SRTP_CNT_OTHER]++;
		return HL_E_DEPENDENCY;
	}
}

/* libsrtp takes int lengths; anything beyond a jumbo frame is refused before the call. */
#define PKT_MAX 65535

/*
 * The key a protected packet of len octets names: with several keys, the one whose MKI
 * it carries; else the only one. The MKI comes just before the tag (RFC 3711 §3.1,
 * §3.4: after the SRTCP index), or last with AEAD, whose tag is part of the ciphertext
 * (RFC 7714's SRTP and SRTCP formats). -1 when its MKI is none of them (libsrtp then
 * fails it as bad_mki). A packet too short for the MKI is left to libsrtp as well (0).
 */
static int
key_index(const struct hl_srtp_ctx *ctx, const uint8_t *pkt, size_t len)
{
	size_t tag = ctx->suite >= HL_SRTP_AEAD_AES_128_GCM ? 0 : ctx->tag_len;
	uint32_t mki = 0;

	if (ctx->nkeys <= 1 || len < tag + ctx->mki_len)
		return 0;
	const uint8_t *p = pkt + len - tag - ctx->mki_len;
	for (unsigned int i = 0; i < ctx->mki_len; i++)
		mki = mki << 8 | p[i];
	for (unsigned int k = 0; k < ctx->nkeys; k++)
		if (ctx->mki[k] == mki)
			return (int)k;
	return -1;
}

/* A key whose lifetime has run out is used no more (RFC 4568 §6.1): 1, counted. */
static inline bool
key_spent(struct hl_srtp_ctx *ctx, int k, int rtcp)
{
	if (k < 0 || ctx->left[rtcp][k] != 0)
		return false;
	ctx->cnt[HL_SRTP_CNT_KEY_EXPIRED]++;
	return true;
}

static int
protect(struct hl_srtp_ctx *ctx, uint8_t *pkt, size_t len, size_t cap, int rtcp)
{
	size_t trailer = (size_t)(rtcp ? (ctx->suite == HL_SRTP_AES_CM_128_HMAC_SHA1_32 ? 10 :
				  ctx->tag_len) + 4 : ctx->tag_len) + ctx->mki_len;
	srtp_err_status_t st;
	int n = (int)len;

	if (hl_unlikely(ctx->session == NULL || len < (rtcp ? 8u : 12u) || len > PKT_MAX)) {
		ctx->cnt[HL_SRTP_CNT_MALFORMED]++;
		return HL_E_PARSE;
	}
	if (hl_unlikely(cap < len + trailer)) {
		ctx->cnt[HL_SRTP_CNT_NO_ROOM]++;
		return HL_E_TOOBIG;
	}
	/* Outbound has one key (hl_srtp_ctx_init_keys()). */
	if (hl_unlikely(ctx->lifetimes) && key_spent(ctx, 0, rtcp))
		return HL_E_EXPIRED;
	if (rtcp)
		st = srtp_protect_rtcp_mki(ctx->session, pkt, &n, ctx->mki_len != 0, 0);
	else
		st = srtp_protect_mki(ctx->session, pkt, &n, ctx->mki_len != 0, 0);
	int rc = map_status(ctx, st);
	if (hl_unlikely(ctx->lifetimes) && rc == 0 && ctx->left[rtcp][0] != UINT64_MAX)
		ctx->left[rtcp][0]--;
	return rc ? rc : n;
}

static int
unprotect(struct hl_srtp_ctx *ctx, uint8_t *pkt, size_t len, int rtcp)
{
	srtp_err_status_t st;
	int n = (int)len;

	if (hl_unlikely(ctx->session == NULL || len < (rtcp ? 8u : 12u) || len > PKT_MAX)) {
		ctx->cnt[HL_SRTP_CNT_MALFORMED]++;
		return HL_E_PARSE;
	}
	int k = 0;
	if (hl_unlikely(ctx->lifetimes)) {
		k = key_index(ctx, pkt, len);
		if (key_spent(ctx, k, rtcp))
			return HL_E_EXPIRED;
	}
	if (rtcp)
		st = srtp_unprotect_rtcp_mki(ctx->session, pkt, &n, ctx->mki_len != 0);
	else
		st = srtp_unprotect_mki(ctx->session, pkt, &n, ctx->mki_len != 0);
	int rc = map_status(ctx, st);
	if (hl_unlikely(ctx->lifetimes) && rc == 0 && k >= 0 && ctx->left[rtcp][k] != UINT64_MAX)
		ctx->left[rtcp][k]--;
	return rc ? rc : n;
}

int
hl_srtp_protect_rtp(struct hl_srtp_ctx *ctx, uint8_t *pkt, size_t len, size_t cap)
{
	return protect(ctx, pkt, len, cap, 0);
}

int
hl_srtp_unprotect_rtp(struct hl_srtp_ctx *ctx, uint8_t *pkt, size_t len)
{
	return unprotect(ctx, pkt, len, 0);
}

int
hl_srtp_protect_rtcp(struct hl_srtp_ctx *ctx, uint8_t *pkt, size_t len, size_t cap)
{
	return protect(ctx, pkt, len, cap, 1);
}

int
hl_srtp_unprotect_rtcp(struct hl_srtp_ctx *ctx, uint8_t *pkt, size_t len)
{
	return unprotect(ctx, pkt, len, 1);
}

int
hl_srtp_set_roc(struct hl_srtp_ctx *ctx, uint32_t ssrc, uint32_t roc)
{
	if (ctx->session == NULL)
		return HL_E_NOTFOUND;
	return srtp_set_stream_roc(ctx->session, ssrc, roc) == srtp_err_status_ok ? 0
										   : HL_E_NOTFOUND;
}

int
hl_srtp_get_roc(struct hl_srtp_ctx *ctx, uint32_t ssrc, uint32_t *roc)
{
	if (ctx->session == NULL)
		return HL_E_NOTFOUND;
	return srtp_get_stream_roc(ctx->session, ssrc, roc) == srtp_err_status_ok ? 0
										   : HL_E_NOTFOUND;
}

/*
 * ---- Prefetch walk over libsrtp's private state (srtp_priv.h) ----
 *
 * At 10k+ SRTP legs each packet's unprotect and protect miss the caches on every level
 * of libsrtp's per-session state in turn (session, stream list, stream, session keys,
 * cipher/HMAC structs, their states, OpenSSL's contexts), each load waiting on the one
 * before; bench/README.md, "SRTP". The caller spreads those levels over the packets ahead
 * so that each load of the walk hits what the previous level fetched.
 */

bool hl_srtp_walk_on_;	/* the mirrors matched live sessions at start-up */
bool hl_srtp_walk_ossl_;	/* ... and so did the OpenSSL backend's states */

void
hl_srtp_prefetch(const struct hl_srtp_ctx *ctx, unsigned int level)
{
	hl_srtp_prefetch_inline(ctx, level);
}

bool
hl_srtp_prefetch_enabled(void)
{
	return hl_srtp_walk_on_;
}

/* ---- the start-up check of the mirrors ---- */

#define CHECK_SSRC 0x5eed1e55u
#define CHECK_SEQ 0x1234u

/* What one suite's RTP cipher and auth must say (libsrtp's srtp_crypto_policy_set_*). */
struct walk_expect {
	unsigned int suite;
	int cipher_key_len;	/* key || salt */
	int algorithm;
	int aes_key_size;
	int auth_out_len;
	int auth_key_len;
	int auth_prefix_len;
};

static const struct walk_expect walk_expect[] = {
	{HL_SRTP_AES_CM_128_HMAC_SHA1_80, 30, SRTP_AES_ICM_128, 16, 10, 20, 0},
	{HL_SRTP_AEAD_AES_128_GCM, 28, SRTP_AES_GCM_128, 16, 16, 0, 16},
};

/* The session keys' cipher, auth and limit against e; NULL or what differs. */
static const char *
check_keys(const struct mirror_session_keys *sk, const struct walk_expect *e)
{
	const struct mirror_cipher *c;
	const struct mirror_auth *a;

	if (sk == NULL || sk->rtp_cipher == NULL || sk->rtp_auth == NULL || sk->limit == NULL ||
	    sk->rtcp_cipher == NULL || sk->rtcp_auth == NULL)
		return "session keys pointers";
	if (sk->rtp_xtn_hdr_cipher != NULL || sk->mki_id != NULL || sk->mki_size != 0)
		return "session keys without MKI or header encryption";
	c = sk->rtp_cipher;
	a = sk->rtp_auth;
	if (c->type == NULL || c->state == NULL || c->key_len != e->cipher_key_len ||
	    c->algorithm != e->algorithm)
		return "RTP cipher (key length, algorithm)";
	if (a->type == NULL || a->state == NULL || a->out_len != e->auth_out_len ||
	    a->key_len != e->auth_key_len || a->prefix_len != e->auth_prefix_len)
		return "RTP auth (tag length, key length)";
	if (sk->limit->state != 0)
		return "key limit state";
	return NULL;
}

/* The OpenSSL states of c and a; NULL or what differs. */
static const char *
check_ossl(const struct mirror_cipher *c, const struct mirror_auth *a,
	   const struct walk_expect *e)
{
	if (cipher_is_gcm(c)) {
		const struct mirror_gcm_ossl *g = c->state;
		if (g->key_size != e->aes_key_size || g->tag_len != e->auth_out_len ||
		    g->ctx == NULL)
			return "OpenSSL AES-GCM state";
	} else {
		const struct mirror_icm_ossl *m = c->state;
		if (m->key_size != e->aes_key_size || m->ctx == NULL)
			return "OpenSSL AES-ICM state";
	}
	if (a->key_len != 0) {
		const struct mirror_hmac_ossl *h = a->state;
		if (h->mac == NULL || (h->use_dup != 0 && h->use_dup != 1) ||
		    (h->use_dup ? h->ctx_dup : h->ctx) == NULL)
			return "OpenSSL HMAC state";
	}
	return NULL;
}

/*
 * One suite: an ssrc_specific outbound session protects a packet; an any-SSRC inbound one
 * with the same key is looked at before and after it unprotects that packet (when libsrtp
 * clones its template). Returns NULL, or what did not match.
 */
static const char *
check_suite(const struct walk_expect *e, bool ossl)
{
	static const uint8_t key_bytes[HL_SRTP_MAX_KEY_SALT] = {
		0x2b, 0x7e, 0x15, 0x16, 0x28, 0xae, 0xd2, 0xa6, 0xab, 0xf7, 0x15, 0x88,
		0x09, 0xcf, 0x4f, 0x3c, 0x16, 0x28, 0xae, 0xd2, 0xa6, 0xab, 0xf7, 0x15,
		0x88, 0x09, 0xcf, 0x4f, 0x3c, 0x2b,
	};
	struct hl_srtp_opts spec = {.ssrc = CHECK_SSRC, .ssrc_specific = 1};
	struct hl_srtp_ctx out, in;
	struct hl_srtp_key key;
	const struct mirror_session *s;
	const struct mirror_stream *st, *tm;
	uint8_t pkt[12 + 20 + HL_SRTP_MAX_TRAILER];
	const char *why = NULL;
	int n;

	memset(&key, 0, sizeof(key));
	key.suite = (uint8_t)e->suite;
	key.key_salt_len = (uint8_t)hl_srtp_suite_key_salt_len(e->suite);
	memcpy(key.key, key_bytes, key.key_salt_len);
	if (hl_srtp_ctx_init(&out, &key, HL_SRTP_OUTBOUND, &spec) != 0)
		return "no outbound session";
	if (hl_srtp_ctx_init(&in, &key, HL_SRTP_INBOUND, NULL) != 0) {
		hl_srtp_ctx_fini(&out);
		return "no inbound session";
	}
	memset(pkt, 0, sizeof(pkt));
	pkt[0] = 0x80;
	pkt[2] = CHECK_SEQ >> 8;
	pkt[3] = CHECK_SEQ & 0xff;
	pkt[8] = CHECK_SSRC >> 24;
	pkt[9] = (CHECK_SSRC >> 16) & 0xff;
	pkt[10] = (CHECK_SSRC >> 8) & 0xff;
	pkt[11] = CHECK_SSRC & 0xff;
	n = hl_srtp_protect_rtp(&out, pkt, 32, sizeof(pkt));
	if (n != 32 + e->auth_out_len) {
		why = "protect";
		goto out;
	}

	/* Outbound, ssrc_specific: the list holds one stream, its prev the list's head node. */
	s = (const struct mirror_session *)out.session;
	if (s->stream_list == NULL || s->stream_template != NULL || s->user_data != NULL) {
		why = "session (stream list, no template)";
		goto out;
	}
	st = s->stream_list->next;
	if (st == NULL || st->ssrc != htonl(CHECK_SSRC) || st->next != NULL ||
	    st->prev != s->stream_list || st->num_master_keys != 1 || st->direction != 1 ||
	    st->rtp_services != sec_serv_conf_and_auth || st->rtp_rdbx.index != CHECK_SEQ ||
	    st->rtp_rdbx.length != 128 || st->rtp_rdbx.word == NULL) {
		why = "outbound stream (SSRC, list links, direction, replay index and window)";
		goto out;
	}
	if ((why = check_keys(st->session_keys, e)) != NULL)
		goto out;
	if (st->session_keys->limit->num_left != 0xffffffffffffull - 1) {
		why = "key limit count";
		goto out;
	}
	if (ossl && (why = check_ossl(st->session_keys->rtp_cipher, st->session_keys->rtp_auth,
				      e)) != NULL)
		goto out;

	/* Inbound, any SSRC: only the template before the first packet, then its clone. */
	s = (const struct mirror_session *)in.session;
	tm = s->stream_template;
	if (s->stream_list == NULL || s->stream_list->next != NULL || tm == NULL ||
	    tm->ssrc != 0 || first_stream(s) != tm) {
		why = "inbound session (template, empty list)";
		goto out;
	}
	if ((why = check_keys(tm->session_keys, e)) != NULL)
		goto out;
	if (hl_srtp_unprotect_rtp(&in, pkt, (size_t)n) != 32) {
		why = "unprotect";
		goto out;
	}
	st = s->stream_list->next;
	if (st == NULL || st == tm || st->ssrc != htonl(CHECK_SSRC) || st->next != NULL ||
	    st->prev != s->stream_list || st->direction != 2 || first_stream(s) != st ||
	    st->rtp_rdbx.index != CHECK_SEQ || st->rtp_rdbx.word == NULL ||
	    st->session_keys == NULL ||
	    st->session_keys->rtp_cipher != tm->session_keys->rtp_cipher ||
	    st->session_keys->rtp_auth != tm->session_keys->rtp_auth ||
	    st->session_keys->limit != tm->session_keys->limit) {
		why = "inbound clone (SSRC, list links, shared cipher and auth)";
		goto out;
	}
out:
	hl_srtp_ctx_fini(&in);
	hl_srtp_ctx_fini(&out);
	hl_srtp_key_wipe(&key);
	return why;
}

/*
 * Once, from hl_srtp_global_init(): the walk reads libsrtp's private structs, so it runs
 * only on the libsrtp whose layout srtp_priv.h copies, checked on live sessions.
 */
static void
walk_setup(const char *backend)
{
	const char *ev = getenv("HL_SRTP_PREFETCH");
	const char *why = NULL;
	bool ossl = false;

	hl_srtp_walk_on_ = hl_srtp_walk_ossl_ = false;
	if (ev != NULL && strcmp(ev, "0") == 0)
		why = "HL_SRTP_PREFETCH=0";
	else if (srtp_get_version() != 0x02050000)
		why = "libsrtp is not 2.5.0";
	else if (UINTPTR_MAX != UINT64_MAX)
		why = "not LP64";
#if defined(OPENSSL_VERSION_MAJOR) && OPENSSL_VERSION_MAJOR >= 3
	ossl = strcmp(backend, "OpenSSL") == 0;
#else
	(void)backend;
#endif
	for (unsigned int i = 0; why == NULL && i < HL_ARRAY_SIZE(walk_expect); i++)
		why = check_suite(&walk_expect[i], ossl);
	if (why != NULL) {
		fprintf(stderr, "hl.dp.srtp: prefetch walk off: %s\n", why);
		return;
	}
	hl_srtp_walk_on_ = true;
	hl_srtp_walk_ossl_ = ossl;
	fprintf(stderr, "hl.dp.srtp: prefetch walk on (libsrtp 2.5.0 layout checked%s)\n",
		ossl ? ", OpenSSL states too" : "");
}
