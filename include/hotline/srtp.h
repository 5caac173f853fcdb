/*
 * hotline SRTP: SDES keys (RFC 4568) and per-direction SRTP/SRTCP contexts over libsrtp2.
 * One leg owns two contexts, one inbound and one outbound, so RTP<->SRTP bridging and
 * SRTP<->SRTP relay with a separate key per leg are the same code: unprotect on the leg
 * the packet came from, protect on the leg it goes to. Suites: AES_CM_128_HMAC_SHA1_80
 * and _32, AES_256_CM_HMAC_SHA1_80 (RFC 3711, RFC 6188), AEAD_AES_128_GCM and
 * AEAD_AES_256_GCM (RFC 7714), plus RFC 6904 header-extension encryption on request.
 *
 * How it works: hl_srtp_ctx_init() builds a libsrtp session from a struct hl_srtp_key
 * (control path; libsrtp allocates there); hl_srtp_ctx_init_keys() an inbound one from
 * several, which unprotect picks among by each packet's MKI (RFC 4568 §6.1, RFC 3711
 * §3.1). Packet functions work in place on
 * (pkt, len) and return the new length or a negative HL_E_*; replay protection
 * (RFC 3711 §3.3.2) and the rollover counter (§3.3.1) are libsrtp's, exposed through
 * hl_srtp_set_roc()/hl_srtp_get_roc() so a continuing stream keeps its index. Each
 * outcome is counted in the context (no per-packet log). Key bytes are never logged
 * or formatted except into the a=crypto value the control plane sends in SDP.
 */
#ifndef HOTLINE_SRTP_H
#define HOTLINE_SRTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hotline/common.h"

/* X-macro: symbol, RFC 4568 / RFC 7714 name, master key octets, master salt octets,
 * RTP auth tag octets. */
#define HL_SRTP_FOREACH_SUITE(_)                                                          \
	_(AES_CM_128_HMAC_SHA1_80, "AES_CM_128_HMAC_SHA1_80", 16, 14, 10)                 \
	_(AES_CM_128_HMAC_SHA1_32, "AES_CM_128_HMAC_SHA1_32", 16, 14, 4)                  \
	_(AES_256_CM_HMAC_SHA1_80, "AES_256_CM_HMAC_SHA1_80", 32, 14, 10)                 \
	_(AEAD_AES_128_GCM, "AEAD_AES_128_GCM", 16, 12, 16)                               \
	_(AEAD_AES_256_GCM, "AEAD_AES_256_GCM", 32, 12, 16)

enum hl_srtp_suite {
#define HL_SRTP_SUITE_ENUM_(sym, name, kl, sl, tl) HL_SRTP_##sym,
	HL_SRTP_FOREACH_SUITE(HL_SRTP_SUITE_ENUM_)
#undef HL_SRTP_SUITE_ENUM_
	HL_SRTP_SUITE_MAX_
};

/* Master keys an inbound context holds at most (hl_srtp_ctx_init_keys(); libsrtp's own
 * bound, SRTP_MAX_NUM_MASTER_KEYS, is 16). Offers seen in the field carry one or two. */
#define HL_SRTP_MAX_KEYS 4
/* Largest master key || master salt of any suite (AES-256-CM: 32 + 14). */
#define HL_SRTP_MAX_KEY_SALT 46
/* Octets hl_srtp_protect_*() may append: 16-octet tag, 4-octet SRTCP index, MKI. */
#define HL_SRTP_MAX_TRAILER (16 + 4 + 4)
/* Longest a=crypto value hl_srtp_crypto_attr_format() writes, with its NUL. */
#define HL_SRTP_ATTR_MAX 160

/* One SDES master key: RFC 4568 §6.1 key-params of the "inline" method. */
struct hl_srtp_key {
	uint8_t suite;		/* enum hl_srtp_suite */
	uint8_t key_salt_len;	/* master key || master salt octets in key[] */
	uint8_t mki_len;	/* 0: no MKI; 1..4 octets */
	uint8_t lifetime_log2;	/* 0: not given; else lifetime is 2^n packets */
	uint32_t mki;
	uint64_t lifetime;	/* packets; 0 when not given */
	uint8_t key[HL_SRTP_MAX_KEY_SALT];
};

/* An a=crypto attribute (RFC 4568 §9.1): tag, suite, one key, session parameters. */
struct hl_srtp_crypto_attr {
	uint32_t tag;
	uint32_t wsh;		/* RFC 4568 §6.3.7 window size hint; 0 if absent */
	struct hl_srtp_key key;
};

enum hl_srtp_dir {
	HL_SRTP_INBOUND,
	HL_SRTP_OUTBOUND,
};

/* Per-context outcome counters (STYLE.md rule 10): symbol, description. */
#define HL_SRTP_FOREACH_COUNTER(_)                                                        \
	_(OK, "packets protected or unprotected")                                         \
	_(AUTH_FAIL, "authentication failures (dropped, never relayed)")                  \
	_(REPLAY, "replayed or too old (dropped)")                                        \
	_(MALFORMED, "too short or malformed for SRTP (dropped)")                         \
	_(NO_ROOM, "no room for the SRTP trailer (dropped)")                              \
	_(KEY_EXPIRED, "under a master key past its lifetime (dropped)")                  \
	_(OTHER, "other libsrtp failure (dropped)")

enum hl_srtp_counter {
#define HL_SRTP_CNT_ENUM_(sym, desc) HL_SRTP_CNT_##sym,
	HL_SRTP_FOREACH_COUNTER(HL_SRTP_CNT_ENUM_)
#undef HL_SRTP_CNT_ENUM_
	HL_SRTP_CNT_MAX_
};

struct srtp_ctx_t_;

/*
 * One direction of one leg. Embed by value in the leg; it holds a pointer to the
 * libsrtp session, which hl_srtp_ctx_init() allocates and hl_srtp_ctx_fini() frees.
 * Used by one worker thread at a time.
 */
struct hl_srtp_ctx {
	struct srtp_ctx_t_ *session;
	uint8_t suite;
	uint8_t dir;
	uint8_t tag_len;
	uint8_t mki_len;
	uint8_t nkeys;	  /* master keys; told apart by MKI when more than one */
	uint8_t lifetimes; /* some key has a lifetime: left[] is counted */
	uint64_t cnt[HL_SRTP_CNT_MAX_];
	/*
	 * RFC 4568 §6.1, RFC 3711 §9.2: SRTP ([0]) and SRTCP ([1]) packets each key may
	 * still protect or authenticate, UINT64_MAX without a lifetime. Only packets that
	 * authenticate count, so forgeries cannot use a key up.
	 */
	uint64_t left[2][HL_SRTP_MAX_KEYS];
	uint32_t mki[HL_SRTP_MAX_KEYS];
};

/* Options for hl_srtp_ctx_init(); NULL means all defaults. */
struct hl_srtp_opts {
	uint32_t ssrc;		/* used when ssrc_specific is set */
	uint8_t ssrc_specific;	/* 1: one stream for ssrc, set up now; 0: any SSRC */
	uint8_t enc_xtn_count;	/* RFC 6904: number of ids in enc_xtn_ids */
	uint8_t enc_xtn_ids[14];
	uint32_t roc;		/* initial ROC of the ssrc_specific stream */
	uint8_t and_any;	/* inbound, with ssrc_specific: any other SSRC too (from ROC 0) */
	uint32_t window;	/* replay window, 64..32768 packets; 0: libsrtp's 128 */
};

/* Before any context; later calls do nothing; not thread-safe. 0 or HL_E_DEPENDENCY. */
int
hl_srtp_global_init(void);

/* The suite of an RFC 4568 crypto-suite name (exact, case-sensitive), or HL_E_UNSUPPORTED. */
int
hl_srtp_suite_from_name(const char *name, size_t len);

/* The RFC name of a suite, or NULL when out of range. */
const char *
hl_srtp_suite_name(unsigned int suite);

/* Master key || salt octets of a suite, 0 when out of range. */
size_t
hl_srtp_suite_key_salt_len(unsigned int suite);

/*
 * Parses RFC 4568 §9.1 key-params: "inline:<base64 key||salt>[|<lifetime>][|<mki>:<len>]"
 * for a known suite. lifetime is decimal or 2^n. Returns 0, HL_E_PARSE (syntax, key length
 * wrong for the suite) or HL_E_UNSUPPORTED (MKI longer than 4 octets).
 */
int
hl_srtp_key_params_parse(const char *s, size_t len, unsigned int suite,
			 struct hl_srtp_key *out);

/*
 * Parses an a=crypto value (after "a=crypto:"): "<tag> <suite> <key-params>[ <param>...]".
 * One key-params only. Session parameters: WSH=n kept, KDR=0 and "-"-prefixed ones
 * accepted, UNENCRYPTED_*, UNAUTHENTICATED_SRTP, non-zero KDR and other unknown ones
 * give HL_E_UNSUPPORTED (RFC 4568 §6.3: an offer we cannot honour is refused, not
 * weakened). Returns 0 or a negative HL_E_*.
 */
int
hl_srtp_crypto_attr_parse(const char *s, size_t len, struct hl_srtp_crypto_attr *out);

/*
 * Fills key with a fresh random master key and salt for suite (getrandom(2); control path
 * at leg set-up, never per packet). No lifetime, no MKI. Returns 0 or a negative code.
 */
int
hl_srtp_key_generate(struct hl_srtp_key *key, unsigned int suite);

/*
 * Writes "<tag> <suite> inline:<base64>[|2^n][|mki:len]" and a NUL into buf (at most cap
 * octets). Returns the length without the NUL, or HL_E_TOOBIG / HL_E_CONFIG.
 */
int
hl_srtp_crypto_attr_format(char *buf, size_t cap, uint32_t tag, const struct hl_srtp_key *key);

/* Overwrites key material so it does not linger in freed or reused memory. */
void
hl_srtp_key_wipe(struct hl_srtp_key *key);

/*
 * Creates the libsrtp session of one direction (allocates; control path). key is copied
 * by libsrtp into its own session keys; the caller may wipe it on return. With
 * opts->ssrc_specific == 0 the context accepts any SSRC: libsrtp clones its template
 * stream the first time an SSRC authenticates (one allocation per new, authenticated
 * SSRC; forged packets never allocate). An MKI with AES_CM_128_HMAC_SHA1_32 gives
 * HL_E_UNSUPPORTED (libsrtp 2.5.0 mis-locates the SRTCP MKI for that suite). Returns 0 or
 * a negative code; on failure ctx is
 * left empty and hl_srtp_ctx_fini() on it is harmless.
 */
int
hl_srtp_ctx_init(struct hl_srtp_ctx *ctx, const struct hl_srtp_key *key, enum hl_srtp_dir dir,
		 const struct hl_srtp_opts *opts);

/*
 * The same with nkeys master keys (1..HL_SRTP_MAX_KEYS), for an inbound context only:
 * RFC 4568 §6.1 lets a crypto line carry several key-params, each with an MKI of one
 * length, and the sender switch between them; unprotect picks the key by the MKI each
 * packet carries (libsrtp's num_master_keys), and a packet whose MKI is none of them is
 * HL_E_AUTH. HL_E_CONFIG when the keys differ in suite or MKI length, lack an MKI, repeat
 * one, or are several for an outbound context. keys are copied; the caller may wipe them.
 */
int
hl_srtp_ctx_init_keys(struct hl_srtp_ctx *ctx, const struct hl_srtp_key *keys,
		      unsigned int nkeys, enum hl_srtp_dir dir, const struct hl_srtp_opts *opts);

/* Frees the libsrtp session; NULL-tolerant and idempotent. */
void
hl_srtp_ctx_fini(struct hl_srtp_ctx *ctx);

/*
 * Per-packet functions, in place on pkt[0..len). Protect needs cap >= len +
 * HL_SRTP_MAX_TRAILER octets of writable buffer and returns the new (longer) length;
 * unprotect returns the new (shorter) length. Errors: HL_E_AUTH (tag mismatch: drop,
 * never relay), HL_E_REPLAY, HL_E_PARSE, HL_E_TOOBIG (cap too small), HL_E_NOTFOUND
 * (no stream for this SSRC on a specific context), HL_E_DEPENDENCY. On error the packet
 * bytes are unspecified. No allocation except the clone noted at hl_srtp_ctx_init().
 */
int
hl_srtp_protect_rtp(struct hl_srtp_ctx *ctx, uint8_t *pkt, size_t len, size_t cap);
int
hl_srtp_unprotect_rtp(struct hl_srtp_ctx *ctx, uint8_t *pkt, size_t len);
int
hl_srtp_protect_rtcp(struct hl_srtp_ctx *ctx, uint8_t *pkt, size_t len, size_t cap);
int
hl_srtp_unprotect_rtcp(struct hl_srtp_ctx *ctx, uint8_t *pkt, size_t len);

/*
 * Rollover counter of the stream ssrc (RFC 3711 §3.3.1). Set it on a stream that
 * continues across a re-key or a leg change so its packet index does not restart.
 * Returns 0 or HL_E_NOTFOUND when the context has no stream for ssrc yet.
 */
int
hl_srtp_set_roc(struct hl_srtp_ctx *ctx, uint32_t ssrc, uint32_t roc);
int
hl_srtp_get_roc(struct hl_srtp_ctx *ctx, uint32_t ssrc, uint32_t *roc);

/*
 * Prefetch of the libsrtp state a packet of ctx will touch, one dependent level per call:
 * level 0 the context's own lines, 1 the session, 2 its stream list, 3 the first stream
 * (the template before an any-SSRC context's first packet), 4 that stream's session keys
 * and replay window words, 5 its RTP cipher, HMAC and key limit, 6 their states, 7 the
 * OpenSSL cipher and MAC contexts behind them (their first lines only: OpenSSL's own
 * layout is not walked). Level k reads only pointers that levels < k, asked for about
 * one packet's processing earlier, brought into the caches, so issue level k for the
 * packet HL_SRTP_PREFETCH_LEVELS - k ahead. Loads nothing but libsrtp's own state of a
 * live session, NULL-checks every pointer, never writes; ctx must be a live context (or
 * an empty one) of the calling thread. When hl_srtp_prefetch_enabled() is false only
 * levels 0 and 1 fetch anything: ctx's own lines and the first line of its session.
 */
#define HL_SRTP_PREFETCH_LEVELS 8
void
hl_srtp_prefetch(const struct hl_srtp_ctx *ctx, unsigned int level);

/*
 * Whether the walk is on: hl_srtp_global_init() turns it on only for libsrtp 2.5.0 whose
 * private layout matched the mirrors on live sessions it built (the SSRC, key and tag
 * lengths, the list links, the replay index), and when HL_SRTP_PREFETCH is not "0".
 */
bool
hl_srtp_prefetch_enabled(void);

/* Counter description for telemetry, or NULL when out of range. */
const char *
hl_srtp_counter_name(unsigned int counter);

#endif
