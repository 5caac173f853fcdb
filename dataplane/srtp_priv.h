/*
 * Mirrors of libsrtp 2.5.0's private structs and the prefetch walk over them, for
 * srtp.c and the relay loop in media.c only (not part of the module contract, STYLE.md
 * rule 3). Each is copied field for field from the file named above it (libsrtp 2.5.0,
 * Debian 12's 2.5.0-3), with libsrtp's names, on LP64.
 * The walk only reads pointers and lengths from them; hl_srtp_global_init() checks them
 * against a live session and leaves the walk off if anything differs, so a libsrtp of
 * another version or build never has its memory read through these.
 */
#ifndef HOTLINE_SRTP_PRIV_H
#define HOTLINE_SRTP_PRIV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <srtp2/crypto_types.h>

#include "hotline/srtp.h"

/* crypto/include/cipher.h: srtp_cipher_t. */
struct mirror_cipher {
	const void *type;	/* const srtp_cipher_type_t *, static in libsrtp */
	void *state;		/* the backend's context, below */
	int key_len;		/* key || salt octets: 30 AES-128-ICM, 28 AES-128-GCM */
	int algorithm;		/* SRTP_AES_ICM_128 (1), ..., SRTP_AES_GCM_256 (7) */
};

/* crypto/include/auth.h: srtp_auth_t. */
struct mirror_auth {
	const void *type;
	void *state;
	int out_len;		/* tag octets */
	int key_len;
	int prefix_len;
};

/* crypto/include/key.h: srtp_key_limit_ctx_t. */
struct mirror_key_limit {
	uint64_t num_left;	/* srtp_xtd_seq_num_t */
	int state;		/* srtp_key_state_t */
};

/* include/srtp_priv.h: srtp_session_keys_t (SRTP_AEAD_SALT_LEN is 12). */
struct mirror_session_keys {
	struct mirror_cipher *rtp_cipher;
	struct mirror_cipher *rtp_xtn_hdr_cipher;
	struct mirror_auth *rtp_auth;
	struct mirror_cipher *rtcp_cipher;
	struct mirror_auth *rtcp_auth;
	uint8_t salt[12];
	uint8_t c_salt[12];
	uint8_t *mki_id;
	unsigned int mki_size;
	struct mirror_key_limit *limit;
};

/* crypto/include/datatypes.h: bitvector_t; crypto/include/rdbx.h: srtp_rdbx_t. */
struct mirror_rdbx {
	uint64_t index;		/* srtp_xtd_seq_num_t: ROC << 16 | SEQ */
	uint32_t length;	/* bitmask.length, bits (the replay window) */
	uint32_t *word;		/* bitmask.word, length / 32 words, its own allocation */
};

/* crypto/include/rdb.h: srtp_rdb_t (v128_t is a union holding uint64_t: 8-aligned). */
struct mirror_rdb {
	uint32_t window_start;
	uint64_t bitmask[2];
};

/*
 * include/srtp_priv.h: srtp_stream_ctx_t_. srtp/srtp.c's default stream list
 * (srtp_stream_list_ctx_t_) is one of these as a head node whose next is the first stream.
 */
struct mirror_stream {
	uint32_t ssrc;		/* network order, as it is compared with the header's */
	struct mirror_session_keys *session_keys;
	unsigned int num_master_keys;
	struct mirror_rdbx rtp_rdbx;
	int rtp_services;	/* srtp_sec_serv_t */
	struct mirror_rdb rtcp_rdb;
	int rtcp_services;
	int direction;		/* direction_t: 0 unknown, 1 sender, 2 receiver */
	int allow_repeat_tx;
	int *enc_xtn_hdr;
	int enc_xtn_hdr_count;
	uint32_t pending_roc;
	struct mirror_stream *next;
	struct mirror_stream *prev;
};

/* include/srtp_priv.h: srtp_ctx_t_. */
struct mirror_session {
	struct mirror_stream *stream_list;
	struct mirror_stream *stream_template;
	void *user_data;
};

/* The OpenSSL backend's states (libsrtp built with OpenSSL 3.x). */

/* crypto/include/aes_icm_ext.h, #ifdef OPENSSL: srtp_aes_icm_ctx_t. */
struct mirror_icm_ossl {
	uint64_t counter[2];	/* v128_t */
	uint64_t offset[2];
	int key_size;
	void *ctx;		/* EVP_CIPHER_CTX * */
};

/* crypto/include/aes_gcm.h, #ifdef OPENSSL: srtp_aes_gcm_ctx_t. */
struct mirror_gcm_ossl {
	int key_size;
	int tag_len;
	void *ctx;		/* EVP_CIPHER_CTX * */
	int dir;
};

/* crypto/hash/hmac_ossl.c, SRTP_OSSL_USE_EVP_MAC (OpenSSL >= 3): srtp_hmac_ossl_ctx_t. */
struct mirror_hmac_ossl {
	void *mac;		/* EVP_MAC * */
	void *ctx;		/* EVP_MAC_CTX *, used when !use_dup */
	int use_dup;		/* OpenSSL 3.0.0-3.0.2 */
	void *ctx_dup;
};

/* The LP64 offsets the structs above give, worked out by hand from libsrtp's. */
#if UINTPTR_MAX == UINT64_MAX
_Static_assert(offsetof(struct mirror_stream, rtp_rdbx) == 24, "srtp_stream_ctx_t_");
_Static_assert(offsetof(struct mirror_stream, rtcp_rdb) == 56, "srtp_stream_ctx_t_");
_Static_assert(offsetof(struct mirror_stream, next) == 112, "srtp_stream_ctx_t_");
_Static_assert(sizeof(struct mirror_stream) == 128, "srtp_stream_ctx_t_");
_Static_assert(offsetof(struct mirror_session_keys, limit) == 80, "srtp_session_keys_t");
_Static_assert(sizeof(struct mirror_session_keys) == 88, "srtp_session_keys_t");
_Static_assert(sizeof(struct mirror_cipher) == 24, "srtp_cipher_t");
_Static_assert(sizeof(struct mirror_icm_ossl) == 48, "srtp_aes_icm_ctx_t");
_Static_assert(sizeof(struct mirror_gcm_ossl) == 24, "srtp_aes_gcm_ctx_t");
#endif

/* ---- the walk itself (hl_srtp_prefetch() in hotline/srtp.h) ---- */

#define HL_SRTP_WALK_LINE 64

/* Set once by hl_srtp_global_init(), before any worker runs; read-only after. */
extern bool hl_srtp_walk_on_;
extern bool hl_srtp_walk_ossl_;

/* Every line of [p, p + len): libsrtp's calloc'd structs straddle lines at random. */
static inline void
prefetch_span(const void *p, size_t len)
{
	const char *c = p;

	for (size_t o = 0; o < len; o += HL_SRTP_WALK_LINE)
		__builtin_prefetch(c + o);
	__builtin_prefetch(c + len - 1);
}

/* What srtp_get_stream() finds first, or the template an any-SSRC session falls back to. */
static inline const struct mirror_stream *
first_stream(const struct mirror_session *s)
{
	const struct mirror_stream *st = s->stream_list != NULL ? s->stream_list->next : NULL;

	return st != NULL ? st : s->stream_template;
}

static inline bool
cipher_is_gcm(const struct mirror_cipher *c)
{
	return c->algorithm == SRTP_AES_GCM_128 || c->algorithm == SRTP_AES_GCM_256;
}

/* OpenSSL 3.0's EVP_CIPHER_CTX (crypto/evp/evp_local.h) is about 190 octets. */
#define EVP_CIPHER_CTX_SPAN 192

static inline void
prefetch_ossl(const struct mirror_cipher *c, const struct mirror_auth *a)
{
	if (c != NULL && c->state != NULL) {
		const struct mirror_gcm_ossl *g = c->state;
		const struct mirror_icm_ossl *m = c->state;
		const void *evp = cipher_is_gcm(c) ? g->ctx : m->ctx;

		if (evp != NULL)
			prefetch_span(evp, EVP_CIPHER_CTX_SPAN);
	}
	/* HMAC only: the null auth of the GCM suites keeps no state of its own. */
	if (a != NULL && a->state != NULL && a->key_len != 0) {
		const struct mirror_hmac_ossl *h = a->state;
		const void *mac = h->use_dup ? h->ctx_dup : h->ctx;
		if (mac != NULL)
			__builtin_prefetch(mac);
	}
}

/* hl_srtp_prefetch(), inline for the relay loop: with level a constant, one level's code. */
static inline __attribute__((always_inline)) void
hl_srtp_prefetch_inline(const struct hl_srtp_ctx *ctx, unsigned int level)
{
	const struct mirror_session *s;
	const struct mirror_stream *st;
	const struct mirror_session_keys *sk;
	const struct mirror_cipher *c;
	const struct mirror_auth *a;

	/* Levels 0 and 1 are our own struct and the session pointer's target: safe on any
	 * libsrtp, so they run with the walk off too. */
	if (level == 0) {
		prefetch_span(ctx, sizeof(*ctx));
		return;
	}
	s = (const struct mirror_session *)ctx->session;
	if (s == NULL)
		return;
	if (level == 1) {
		__builtin_prefetch(s);
		if (hl_srtp_walk_on_)
			prefetch_span(s, sizeof(*s));
		return;
	}
	if (!hl_srtp_walk_on_)
		return;
	if (level == 2) {
		if (s->stream_list != NULL)
			__builtin_prefetch(&s->stream_list->next);
		return;
	}
	st = first_stream(s);
	if (st == NULL)
		return;
	if (level == 3) {
		prefetch_span(st, sizeof(*st));
		return;
	}
	sk = st->session_keys;
	if (level == 4) {
		const uint32_t *w = st->rtp_rdbx.word;
		if (sk != NULL)
			prefetch_span(sk, sizeof(*sk));
		/* srtp_rdbx_add_index() shifts the whole window: its first and last words */
		if (w != NULL && st->rtp_rdbx.length != 0) {
			__builtin_prefetch(w);
			__builtin_prefetch(w + (st->rtp_rdbx.length - 1) / 32);
		}
		return;
	}
	if (sk == NULL)
		return;
	c = sk->rtp_cipher;
	a = sk->rtp_auth;
	if (level == 5) {
		if (c != NULL)
			prefetch_span(c, sizeof(*c));
		if (a != NULL)
			prefetch_span(a, sizeof(*a));
		if (sk->limit != NULL)
			prefetch_span(sk->limit, sizeof(*sk->limit));
		if (sk->rtp_xtn_hdr_cipher != NULL)
			prefetch_span(sk->rtp_xtn_hdr_cipher, sizeof(*sk->rtp_xtn_hdr_cipher));
		return;
	}
	if (level == 6) {
		if (c != NULL && c->state != NULL) {
			if (!hl_srtp_walk_ossl_)
				__builtin_prefetch(c->state);
			else if (cipher_is_gcm(c))
				prefetch_span(c->state, sizeof(struct mirror_gcm_ossl));
			else
				prefetch_span(c->state, sizeof(struct mirror_icm_ossl));
		}
		if (a != NULL && a->state != NULL)
			prefetch_span(a->state,
				hl_srtp_walk_ossl_ ? sizeof(struct mirror_hmac_ossl) : 1);
		return;
	}
	if (level == 7 && hl_srtp_walk_ossl_)
		prefetch_ossl(c, a);
}


#endif
