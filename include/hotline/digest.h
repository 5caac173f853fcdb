/*
 * hotline SIP digest authentication: challenges for 401 WWW-Authenticate / 407
 * Proxy-Authenticate and verification of the Authorization / Proxy-Authorization that
 * answers them, MD5 and SHA-256, qop=auth; plus the client computation for outbound auth.
 * Spec: RFC 3261 §22.4 as updated by RFC 8760 (SHA-256 in SIP); RFC 7616 §3.3 (challenge,
 * stale), §3.4.1 (response = H(HA1:nonce:nc:cnonce:qop:HA2), HA2 = H(method:digest-uri),
 * lowercase hex), §3.4.2 (HA1 = H(user:realm:password)); syntax RFC 3261 §20.7, §20.27,
 * §20.28, §20.44, parsed by hl_sip_parse_digest().
 *
 * How it works: a nonce is base64url without padding (RFC 4648 §5) of 28 bytes: issue
 * time (8, big-endian unix seconds) | serial (4, big-endian) | first 16 bytes of
 * HMAC-SHA256(secret, time | serial | realm). A bad MAC is a forgery (plain 401); a good
 * MAC older than the TTL is stale (401 with stale=true: the client retries with the same
 * password without asking the user). Replays: a fixed table of 2^k slots, slot =
 * serial & mask, holds the highest nc accepted for the nonce issued last into it; an nc
 * not above it is a replay (plain 401), a nonce whose slot a newer one took is stale. A
 * flood of challenges only evicts nonces early, never lets a credential through. Create
 * allocates the table and the OpenSSL contexts (EVP digests, EVP_MAC HMAC); nothing here
 * allocates after, though OpenSSL 3.0 itself mallocs a small provider state per hash init.
 */
#ifndef HOTLINE_DIGEST_H
#define HOTLINE_DIGEST_H

#include <stdint.h>

#include "hotline/common.h"
#include "hotline/sip.h"

enum hl_digest_alg {
	HL_DIGEST_MD5 = 0,
	HL_DIGEST_SHA256 = 1,
	HL_DIGEST_ALG_MAX_
};

/* Positive return of hl_digest_verify(): good response, expired or evicted nonce. */
#define HL_DIGEST_STALE 1

#define HL_DIGEST_SECRET_LEN 32
/* Lowercase hex of the longest hash (SHA-256) with its NUL: size of HA1/response buffers. */
#define HL_DIGEST_HEX_MAX 65
/* Characters of a nonce this module issues (base64url of 28 bytes, no padding). */
#define HL_DIGEST_NONCE_LEN 38
/* Longest challenge hl_digest_challenge() writes for a realm of n bytes (each may be
 * escaped, RFC 3261 §25.1 quoted-pair). */
#define HL_DIGEST_CHALLENGE_MAX(n) (106 + 2 * (size_t)(n))
/* Table size limit: 2^24 slots of 16 bytes. */
#define HL_DIGEST_MAX_SLOTS (1u << 24)

/* Outcome counters (STYLE.md rule 10): symbol, description. */
#define HL_DIGEST_FOREACH_COUNTER(_)                                                       \
	_(ISSUED, "nonces issued in challenges")                                           \
	_(OK, "credentials accepted")                                                      \
	_(STALE, "good response on an expired or evicted nonce")                           \
	_(REPLAY, "good response with an nc already seen for its nonce")                   \
	_(BAD, "bad response, unknown user, forged nonce, wrong realm/algorithm/qop")

enum hl_digest_counter {
#define HL_DIGEST_CNT_ENUM_(sym, desc) HL_DIGEST_CNT_##sym,
	HL_DIGEST_FOREACH_COUNTER(HL_DIGEST_CNT_ENUM_)
#undef HL_DIGEST_CNT_ENUM_
	HL_DIGEST_CNT_MAX_
};

struct hl_digest_server;

/*
 * A server's state (serial, table, counters, contexts) is unlocked: use it from one
 * thread at a time (the control lcore). The secret lives only in its MAC context.
 *
 * secret: HL_DIGEST_SECRET_LEN bytes, or NULL to draw them with RAND_bytes (nonces of a
 * previous instance then fail their MAC: the client gets a fresh 401). Serials start at a
 * random value either way, so an instance restarted with the same secret does not take
 * an old nonce for one of its own. nonce_ttl_s > 0; table_slots in 1..HL_DIGEST_MAX_SLOTS,
 * rounded up to a power of two. Returns NULL with hl_errno HL_E_CONFIG (bad argument),
 * -ENOMEM, or HL_E_DEPENDENCY (libcrypto lacks MD5, SHA-256 or HMAC, or RAND failed).
 */
struct hl_digest_server *
hl_digest_server_create(const uint8_t *secret, uint32_t nonce_ttl_s, uint32_t table_slots);

/* NULL-tolerant; wipes the secret. */
void
hl_digest_server_free(struct hl_digest_server *d);

/*
 * Writes one challenge header value into w, without header name or CRLF:
 *   Digest realm="..", nonce="..", algorithm=MD5|SHA-256, qop="auth"[, stale=true]
 * at most HL_DIGEST_CHALLENGE_MAX(strlen(realm)) bytes. Each call issues a new nonce and
 * takes its table slot. To offer both algorithms send one WWW-Authenticate (or
 * Proxy-Authenticate) per call, SHA-256 first: RFC 7616 §3.7 lists challenges in order of
 * preference. w->err, which hl_sip_w_finish() reports, is HL_E_TOOBIG on overflow,
 * HL_E_UNSUPPORTED for an alg out of range, HL_E_DEPENDENCY if the MAC fails.
 */
void
hl_digest_challenge(struct hl_digest_server *d, struct hl_sip_writer *w, const char *realm,
	enum hl_digest_alg alg, int stale, uint64_t now_s);

/*
 * Checks credentials cred, parsed by hl_sip_parse_digest() from an Authorization or
 * Proxy-Authorization value of datagram buf, of a request with method, against realm
 * (the one we challenged with) and the user's HA1 for alg (lowercase hex from
 * hl_digest_ha1(); NULL when the user is unknown). Returns
 *   0                 accepted; the nonce's nc is now the one used
 *   HL_DIGEST_STALE   good response, nonce expired or evicted: re-challenge, stale=true
 *   HL_E_AUTH         anything else: scheme other than Digest, no username, another
 *                     realm, algorithm not alg, qop not auth, missing nc/cnonce/uri,
 *                     forged nonce, wrong response, unknown user, or nc not above the
 *                     highest accepted for this nonce (replay): re-challenge, no stale
 *   HL_E_UNSUPPORTED  alg is not an enum hl_digest_alg value (a caller bug)
 * Only a good response moves the nc: a forger cannot lock a client out of its nonce.
 *
 * We always offer qop="auth" and require it back: no RFC 2069 response without qop
 * (RFC 3261 §22.4 still allows it, but it has no nc, so no replay protection) and no
 * auth-int. An unknown user costs the same work as a wrong password and gets the same
 * answer, and the response is compared in constant time, so neither the code nor the
 * timing tells them apart. Checking that digest-uri names the Request-URI (RFC 2617
 * §3.2.2.5, kept by RFC 7616 §3.4.6: answer 400 when they differ) and that username is
 * a user we serve is the caller's job: this sees credentials, not the request line or
 * the user store. HA1 values are password-equivalent (RFC 7616 §5.2): never log them.
 * A nonce does not name its algorithm: a policy without MD5 simply never passes
 * HL_DIGEST_MD5 (answer such credentials with a SHA-256 challenge).
 */
int
hl_digest_verify(struct hl_digest_server *d, const uint8_t *buf, const struct hl_sip_digest *cred,
	const char *method, const char *realm, const char *ha1_hex, enum hl_digest_alg alg,
	uint64_t now_s);

/*
 * The algorithm credentials (or a challenge) name: HL_DIGEST_MD5 when absent or "MD5",
 * HL_DIGEST_SHA256 for "SHA-256" (case-insensitive), HL_E_UNSUPPORTED otherwise
 * (SHA-512-256, the -sess variants). The caller picks the user's HA1 with it. -sess
 * is refused because we never offer it and RFC 7616 §3.4 has the client answer with an
 * offered algorithm.
 */
int
hl_digest_cred_alg(const uint8_t *buf, const struct hl_sip_digest *cred);

/*
 * HA1 = H(user ":" realm ":" password) as lowercase hex into out (33 bytes for MD5, 65
 * for SHA-256, with the NUL). If libcrypto fails, out is "" (which never verifies).
 */
void
hl_digest_ha1(enum hl_digest_alg alg, const char *user, const char *realm, const char *password,
	char *out);

/*
 * Client side: the response value for a challenge, lowercase hex into out (33 or 65
 * bytes). qop "auth" gives the RFC 7616 §3.4.1 form; qop NULL gives the RFC 2069 form
 * H(HA1:nonce:HA2) for old servers that offer no qop (nc and cnonce are then unused).
 * nonce and cnonce are the values without quotes. Returns 0, HL_E_UNSUPPORTED (another
 * qop or alg) or HL_E_DEPENDENCY.
 */
int
hl_digest_client_response(enum hl_digest_alg alg, const char *ha1_hex, const char *nonce,
	const char *nc, const char *cnonce, const char *qop, const char *method, const char *uri,
	char *out);

/* Value of one counter (enum hl_digest_counter), 0 when out of range. */
uint64_t
hl_digest_counter(const struct hl_digest_server *d, unsigned int counter);

/* Counter description for telemetry, or NULL when out of range. */
const char *
hl_digest_counter_name(unsigned int counter);

/* "MD5" or "SHA-256", NULL when out of range. */
const char *
hl_digest_alg_name(enum hl_digest_alg alg);

#endif
