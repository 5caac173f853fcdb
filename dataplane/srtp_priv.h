/*
 * Mirrors of libsrtp 2.5.0's private structs, for the prefetch walk of srtp.c only (not
 * part of the module contract, STYLE.md rule 3). Each is copied field for field from the
 * file named above it (libsrtp 2.5.0, Debian 12's 2.5.0-3), with libsrtp's names, on LP64.
 * The walk only reads pointers and lengths from them; hl_srtp_global_init() checks them
 * against a live session and leaves the walk off if anything differs, so a libsrtp of
 * another version or build never has its memory read through these.
 */
#ifndef HOTLINE_SRTP_PRIV_H
#define HOTLINE_SRTP_PRIV_H

#include <stddef.h>
#include <stdint.h>

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
 * (srtp_stream_list_ctx_t_) is one of these as a stub whose next is the first stream.
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

#endif
