/*
 * hotline signalling: RFC 3261 transactions, the B2BUA that joins a customer's call
 * from a trunk (the A leg) to an agent (the B leg), the registrar with digest
 * authentication, tenants and call limits. It runs on the control lcore only.
 *
 * It is transport-neutral: hl_sig_input() takes one SIP datagram with its source,
 * and everything hl_sig sends leaves through hl_sig_ops.send, so the same code runs
 * over DPDK (control/control.c) and over simulated time in tests/test_sig.c. Time
 * is the owner's millisecond clock, passed to hl_sig_input() and hl_sig_poll();
 * timers live on one hashed wheel (hotline/timer.h) and do bounded work per poll.
 * Tenants come from the provisioning file (hotline/tenant.h); registrations persist
 * in LMDB (hotline/store.h) and are loaded back at create, so a restart loses none.
 * Every call that got as far as a call state leaves one record (CDR) at its end,
 * written to the store once the workers' final figures of its legs are in (sig_cdr.c);
 * an initial INVITE refused before that (no tenant, not a trunk, a limit, a Require or
 * SDP we cannot take) leaves one too, at most [sip] cdr_refused_per_s a second.
 *
 * Specs: RFC 3261 §8, §10 (registrar), §12-§15 (dialogs, re-INVITE, BYE), §16.3
 * (Max-Forwards, loops), §17 (transactions, timers A-K), §18.2.2 and RFC 3581
 * (where responses go), RFC 6026 (2xx handling: Accepted state), RFC 3262
 * (reliable provisionals and PRACK, both legs), forked INVITEs to agents (§12.1.2,
 * §13.2.2.4: early dialogs per To tag, the first 2xx wins), RFC 4028 (session
 * timers), RFC 7616 / RFC 8760 (digest, via hotline/digest.h), RFC 3264 offer/answer
 * through hotline/sdp.h, in 1xx and PRACK as RFC 6337 lists, RFC 3311 (UPDATE), RFC
 * 6086 (legacy INFO: DTMF key presses, relayed between the legs, and converted from
 * and to RFC 4733 where the other leg takes only the other form).
 */
#ifndef HOTLINE_SIG_H
#define HOTLINE_SIG_H

#include <stddef.h>
#include <stdint.h>

#include "hotline/media.h"

#include "hotline/config.h"

struct hl_tenants;
struct hl_store;
struct hl_sig;
struct hl_cdr;

/* A transport address: where a datagram came from or goes to. */
struct hl_sig_addr {
	uint8_t family;     /* 4 or 6 */
	uint8_t port_index; /* engine port (config order) it arrived on or leaves by */
	uint16_t port;      /* UDP port, host order */
	uint8_t ip[16];     /* IPv4 in the first 4 bytes, network order */
};

struct hl_sig_ops {
	/* Sends one datagram from our SIP port to dst, out of dst->port_index. */
	int (*send)(void *ctx, const struct hl_sig_addr *dst, const void *buf, size_t len);
	/*
	 * Picks the engine port that reaches dst (sets dst->port_index) and writes our
	 * address on it, of dst's family, into local (4 or 16 bytes). 0 or negative when
	 * no port reaches dst.
	 */
	int (*route)(void *ctx, struct hl_sig_addr *dst, uint8_t local[16]);
	/* Media legs (hotline/media.h); NULL: calls carry no media. media_set wipes the
	 * keys of the leg it is given. */
	int (*media_set)(void *ctx, struct hl_media_leg *leg);
	int (*media_del)(void *ctx, uint8_t port_index, uint16_t local_port);
	/* A key press to send on a leg as RFC 4733 events (hl_media_dtmf()); NULL: presses
	 * by INFO are relayed by INFO only. */
	int (*media_dtmf)(void *ctx, uint8_t port_index, uint16_t local_port, char digit,
		uint32_t duration_ms);
	/*
	 * A finished call's record (hotline/store.h), once its legs' final figures are in
	 * (hl_sig_media_final) or waited for long enough: rc 1 when it was written to the
	 * store, 0 without a store (r->id then counts from 1 per hl_sig), negative when the
	 * store refused it (r->id 0). r is valid during the call only. May be NULL.
	 * Records of refused INVITEs (HL_CDR_F_REFUSED) come the same way, a second's
	 * worth at a time from the once-a-second tick.
	 */
	void (*cdr)(void *ctx, const struct hl_cdr *r, int rc);
	void *ctx;
};

/* Counters: symbol, telemetry name. Gauges (live objects) are separate. */
#define HL_SIG_FOREACH_CTR(_)                                                          \
	_(MSG_IN, "sip_in")                                                            \
	_(MSG_OUT, "sip_out")                                                          \
	_(REQ_IN, "requests_in")                                                       \
	_(RESP_IN, "responses_in")                                                     \
	_(BAD_IN, "bad_in")                                                            \
	_(BAD_ANSWERED, "bad_answered_400")                                            \
	_(RETRANS_ABSORBED, "retransmissions_absorbed")                                \
	_(RETRANS_SENT, "retransmissions_sent")                                        \
	_(STRAY_RESPONSE, "stray_responses")                                           \
	_(STRAY_ACK, "stray_acks")                                                     \
	_(TXN_TIMEOUT, "transaction_timeouts")                                         \
	_(SEND_FAIL, "send_failures")                                                  \
	_(REG_OK, "register_ok")                                                       \
	_(REG_CHALLENGED, "register_challenged")                                       \
	_(REG_AUTH_FAIL, "register_auth_failed")                                       \
	_(REG_STALE, "register_stale_nonce")                                           \
	_(REG_UNKNOWN_DOMAIN, "register_unknown_domain")                               \
	_(REG_EXPIRED, "bindings_expired")                                             \
	_(CALLS_IN, "calls_in")                                                        \
	_(CALLS_ANSWERED, "calls_answered")                                            \
	_(CALLS_COMPLETED, "calls_completed")                                          \
	_(CALLS_FAILED, "calls_failed")                                                \
	_(CALLS_CANCELLED, "calls_cancelled")                                          \
	_(CALLS_NO_AGENT, "calls_no_agent")                                            \
	_(CALLS_NOT_FOUND, "calls_not_found")                                          \
	_(CALLS_FORBIDDEN, "calls_forbidden")                                          \
	_(CALLS_LIMITED, "calls_limited")                                              \
	_(AGENT_OFFERS, "agent_offers")                                                \
	_(AGENT_REJECTS, "agent_rejects")                                              \
	_(AGENT_NO_ANSWER, "agent_no_answer")                                          \
	_(BYE_FROM_CUSTOMER, "bye_from_customer")                                      \
	_(BYE_FROM_AGENT, "bye_from_agent")                                            \
	_(REINVITES, "reinvites")                                                      \
	_(OPTIONS_IN, "options_in")                                                    \
	_(OPTIONS_OUT, "options_out")                                                  \
	_(QUALIFY_FAIL, "qualify_timeouts")                                            \
	_(QUALIFY_DROP, "bindings_unreachable")                                        \
	_(INFO_DTMF, "dtmf_info")                                                      \
	_(SESSION_REFRESH, "session_refreshes")                                        \
	_(SESSION_EXPIRED, "session_expired")                                          \
	_(LOOP_DETECTED, "loops_detected")                                             \
	_(TOO_MANY_HOPS, "too_many_hops")                                              \
	_(ACK_TIMEOUT, "ack_timeouts")                                                 \
	_(DTMF_RTP, "dtmf_rtp")                                                        \
	_(DTMF_INBAND, "dtmf_inband")                                                  \
	_(MEDIA_TIMEOUT, "media_timeouts")                                             \
	_(MEDIA_FAIL, "media_setup_failures")                                         \
	_(CDR_WRITTEN, "cdrs_written")                                                 \
	_(CDR_STORE_FAIL, "cdr_store_failures")                                        \
	_(CDR_FIGURES_MISSING, "cdrs_figures_missing")                                 \
	_(CDR_PENDING_FULL, "cdrs_pending_full")                                       \
	_(CDR_PRUNED, "cdrs_pruned")                                                   \
	_(CDR_ATTEMPTS, "cdr_attempts")                                                \
	_(CDR_ATTEMPTS_DROPPED, "cdr_attempts_dropped")                                \
	_(PRACK_IN, "prack_in")                                                        \
	_(PRACK_OUT, "prack_out")                                                      \
	_(PRACK_UNMATCHED, "prack_unmatched")                                          \
	_(REL1XX_SENT, "rel1xx_sent")                                                  \
	_(REL1XX_RETRANS, "rel1xx_retrans")                                            \
	_(REL1XX_TIMEOUT, "rel1xx_timeout")                                            \
	_(REL1XX_IN, "rel1xx_in")                                                      \
	_(INFO_REFUSED, "info_refused")                                                \
	_(INFO_DTMF_RELAYED, "info_dtmf_relayed")                                      \
	_(INFO_DTMF_SUPPRESSED, "info_dtmf_suppressed")                                \
	_(INFO_DTMF_FAILED, "info_dtmf_failed")                                        \
	_(INFO_DTMF_DROPPED, "info_dtmf_dropped")                                      \
	_(DTMF_TO_INFO, "dtmf_to_info")                                                \
	_(DTMF_TO_RTP, "dtmf_to_rtp")                                                  \
	_(DTMF_RATE_CONVERTED, "dtmf_rate_converted")                                  \
	_(UPDATE_OFFERS_IN, "update_offers_in")                                        \
	_(UPDATE_RELAYED, "update_relayed")                                            \
	_(UPDATE_REFUSED, "update_refused")                                            \
	_(FORK_EARLY_DIALOGS, "fork_early_dialogs")                                    \
	_(FORK_EARLY_DROPPED, "fork_early_dropped")                                    \
	_(FORK_EXTRA_2XX, "fork_extra_2xx")                                            \
	_(FORK_CODEC_REOFFER, "fork_codec_reoffer")                                    \
	_(FORK_CODEC_FAILED, "fork_codec_failed")                                      \
	_(HOLD_RELAY_DEFERRED, "hold_relay_deferred")                                  \
	_(OFFER_RELAY_RETRY, "offer_relay_retry")                                      \
	_(REINVITE_NOT_SENT, "reinvites_not_sent")

enum hl_sig_ctr {
#define HL_SIG_C_ENUM_(sym, name) HL_SIG_CTR_##sym,
	HL_SIG_FOREACH_CTR(HL_SIG_C_ENUM_)
#undef HL_SIG_C_ENUM_
	HL_SIG_CTR_MAX_
};

struct hl_sig_stats {
	uint64_t ctr[HL_SIG_CTR_MAX_];
	/* gauges */
	uint64_t transactions;
	uint64_t dialogs;
	uint64_t calls;
	uint64_t bindings;
	uint64_t agents_registered;
	uint64_t timers;
	uint64_t last_dtmf;       /* the digit of the last DTMF event (ASCII), 0 none */
	uint64_t last_dtmf_ms;    /* its duration, 0: not known (an INFO without one) */
	uint64_t dtmf_events;
	uint64_t media_legs;      /* legs given to the workers and not yet ended */
	uint64_t cdrs_pending;    /* finished calls waiting for their legs' figures */
	char last_dtmf_digits[33]; /* the last key presses of any call, oldest first */
};

/* Media figures summed per tenant over finished legs. */
struct hl_sig_tenant_media {
	uint64_t legs;
	uint64_t rx_packets, tx_packets, lost;
	uint64_t dtmf;
	uint64_t srtp_auth_fail;
	double mos_sum;            /* over legs that received media */
	uint64_t mos_legs;
	double jitter_ms_max;
};

const char *hl_sig_ctr_name(enum hl_sig_ctr c);

/*
 * Creates the signalling state for cfg ([sip] keys) with the given tenants (may be
 * NULL: every request then gets 404) and store (may be NULL: registrations are not
 * persisted). Loads the bindings found in store. now_ms is the owner's clock and
 * wall_s the Unix time at that instant. NULL + hl_errno on failure.
 */
struct hl_sig *hl_sig_create(const struct hl_config *cfg, const struct hl_tenants *tenants,
	struct hl_store *store, const struct hl_sig_ops *ops, uint64_t now_ms, uint64_t wall_s);
/* Frees everything, live calls included, without sending; NULL-tolerant. Calls still up
 * get a record (disposition shutdown) and records waiting for figures are written with
 * what they have, so a clean stop loses none. */
void hl_sig_free(struct hl_sig *s);

/* One SIP datagram from src. buf need not outlive the call. */
void hl_sig_input(struct hl_sig *s, const uint8_t *buf, size_t len,
	const struct hl_sig_addr *src, uint64_t now_ms);

/* Runs due timers (bounded work); returns how much was done. */
unsigned int hl_sig_poll(struct hl_sig *s, uint64_t now_ms);

/* A worker's media event (DTMF press, media timeout) for the call it names. */
void hl_sig_media_event(struct hl_sig *s, const struct hl_media_event *ev, uint64_t now_ms);
/* A finished leg's figures: summed into its tenant's, and into its call's record. */
void hl_sig_media_final(struct hl_sig *s, const struct hl_media_stats *st);
/* Tenant i's media sums (i < number of tenants): 0, or -1 when out of range. */
int hl_sig_tenant_media(const struct hl_sig *s, unsigned int i, const char **name,
	struct hl_sig_tenant_media *out);

/* Counters and gauges; safe to call from another thread (plain 64-bit loads). */
void hl_sig_stats(const struct hl_sig *s, struct hl_sig_stats *out);

#endif
