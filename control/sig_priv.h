/*
 * Private layout of the signalling module (include/hotline/sig.h), shared by
 * sig.c (input, transactions, OPTIONS), sig_reg.c (registrar) and sig_call.c
 * (B2BUA). Nothing outside control/sig*.c includes it.
 */
#ifndef HL_SIG_PRIV_H
#define HL_SIG_PRIV_H

#include <stdbool.h>
#include <stdint.h>

#include "hotline/config.h"
#include "hotline/digest.h"
#include "hotline/sig.h"
#include "hotline/sip.h"
#include "hotline/store.h"
#include "hotline/tenant.h"
#include "hotline/timer.h"

/* Bounds on what a dialog keeps of the messages that made it. */
#define SIG_CALLID_MAX 128
#define SIG_TAG_MAX 64
#define SIG_URI_MAX 256
#define SIG_HDR_MAX 320
#define SIG_ROUTE_MAX 512
#define SIG_BRANCH_MAX 80
#define SIG_TRIED_MAX 32
/* Crypto lines (suites) an offer of ours lists at most (offer_suites in sig_call.c,
 * or [rtp] srtp_suites). */
#define SIG_SRTP_OFFER_MAX HL_CONFIG_SRTP_SUITES_MAX
/* sig_leg.srtp_rekey bits: which key changed since the worker got them. */
#define SRTP_REKEY_RX 1
#define SRTP_REKEY_TX 2
/* Key presses by INFO waiting for the one in flight to a leg: more are dropped. */
#define SIG_INFO_QUEUE 8
/* Our branches: RFC 3261 magic cookie, then this, so a Via of ours is known. */
#define SIG_BRANCH_PREFIX "z9hG4bK-hl"

struct hl_sig;
struct sig_txn;
struct sig_leg;

/* What a client transaction tells its user: a response, or a timeout as 408. */
typedef void (*sig_resp_fn)(struct hl_sig *s, struct sig_txn *t, const uint8_t *buf,
	const struct hl_sip_msg *m, int status);
/* A server transaction gave up waiting for the ACK of a final response. */
typedef void (*sig_noack_fn)(struct hl_sig *s, struct sig_txn *t);

enum sig_txn_state {
	TXN_TRYING = 0, /* non-INVITE before a final; client INVITE: Calling */
	TXN_PROCEEDING,
	TXN_COMPLETED,
	TXN_ACCEPTED, /* RFC 6026 §7.1/§8.4: after a 2xx to or from an INVITE */
	TXN_CONFIRMED,
	TXN_TERMINATED,
};

struct sig_txn {
	struct hl_timer t_retx; /* A, E, G; 2xx retransmission in Accepted (server) */
	struct hl_timer t_end;  /* B, F, H, J, K, D, I, L, M */
	struct sig_txn *hnext;  /* hash chain */
	struct sig_txn *tu_next; /* the leg's list of its transactions */
	struct hl_sig *sig;
	uint32_t hash;
	uint8_t server;
	uint8_t method; /* enum hl_sip_method; ACK matches INVITE */
	uint8_t state;
	uint8_t cancel_pending; /* client INVITE: CANCEL once a 1xx comes */
	uint8_t cancel_sent;    /* client INVITE: CANCEL went; t_end runs 64*T1 from it */
	uint8_t got_1xx;
	uint8_t again;          /* client INVITE: this 2xx came in Accepted (RFC 6026 §7.2:
				 * a retransmission, or another fork's), its user told */
	uint16_t status;        /* final status sent (server) or received (client) */
	uint32_t retx_ms;
	uint64_t deadline_ms;   /* server 2xx: give up retransmitting here */
	uint8_t branch_len;
	char branch[SIG_BRANCH_MAX];
	char sent_by[72];       /* server: top Via sent-by, part of the key (§17.2.3) */
	struct hl_sig_addr peer;
	char *msg;              /* client: the request; server: the last response */
	uint16_t msg_len;
	char *ack;              /* client INVITE whose leg is gone: our ACK of its 2xx
				 * (RFC 3261 §13.2.2.4), sent for each 2xx of that dialog */
	uint16_t ack_len;
	char *fork_ack;         /* and of the last other fork's 2xx since (sig_orphan_2xx) */
	uint16_t fork_ack_len;
	char *req;              /* server INVITE: the request, to build later responses */
	uint16_t req_len;
	/* transaction user: a leg, or a binding being qualified (OPTIONS) */
	struct sig_leg *leg;
	struct sig_binding *qbind;
	sig_resp_fn on_resp;
	sig_noack_fn on_noack;
	uint32_t cseq;
};

/* One key press as INFO carries it (sig_call.c info_request()), to relay. */
struct sig_info_press {
	char digit;           /* 0-9 * # A-D */
	uint8_t ctype;        /* enum sig_info_ctype: the Content-Type it came with */
	uint16_t duration_ms; /* 0: the body gave none */
};

enum sig_info_ctype {
	SIG_INFO_DTMF_RELAY = 0, /* application/dtmf-relay: Signal=, Duration= */
	SIG_INFO_DTMF,           /* application/dtmf: the key alone */
};

enum sig_leg_state {
	LEG_INIT = 0,
	LEG_EARLY,     /* A: INVITE received; B: INVITE sent */
	LEG_CONFIRMED, /* 2xx sent (A) or received (B) */
	LEG_ENDING,    /* BYE or CANCEL sent, waiting for the answer */
	LEG_DONE,
};

struct sig_agent;
struct sig_call;

/*
 * An early dialog of the agent's INVITE (RFC 3261 §12.1.2): a proxy or registrar in
 * front of the agent may fork it (§16.7, §17.1.1.2), and each To tag of its 18x is a
 * dialog of its own, with its remote target, route set and RSeq space (RFC 3262 §4).
 * A B leg keeps up to SIG_EARLY_MAX of them, allocated as their first 18x (or an extra
 * 2xx) comes and freed when the INVITE transaction ends (sig_early_free).
 */
#define SIG_EARLY_MAX 4

struct sig_early {
	char rtag[SIG_TAG_MAX];
	char ruri[SIG_HDR_MAX];    /* their To, with the tag */
	char target[SIG_URI_MAX];  /* their Contact URI */
	char route[SIG_ROUTE_MAX]; /* route set, comma-joined, in sending order */
	char *sdp;                 /* its last early SDP (183), NULL: none */
	uint16_t sdp_len;
	char *ack;                 /* our ACK of its extra 2xx, resent on a retransmission */
	uint16_t ack_len;
	uint32_t rseq;             /* RSeq of its last PRACKed 1xx */
	uint8_t rel;               /* one of its reliable 1xx was PRACKed */
	uint8_t gone;              /* its BYE came, or its extra 2xx got our BYE */
};

struct sig_leg {
	struct sig_call *call; /* NULL once orphaned (a cancelled agent attempt) */
	struct sig_leg *hnext; /* dialog hash chain, key (Call-ID, local tag) */
	struct sig_txn *txns;  /* transactions whose user this leg is */
	struct sig_txn *inv;   /* the INVITE transaction in progress (initial or re-) */
	struct sig_txn *inv_peer_req; /* re-INVITE or UPDATE relayed from the peer leg:
				       * answer it */
	struct sig_txn *upd;   /* their UPDATE offer, relayed to the peer: not answered yet */
	struct hl_sig *sig;
	uint32_t hash;
	uint8_t side;          /* 0: A (customer, we are UAS), 1: B (agent, we are UAC) */
	uint8_t state;
	uint8_t in_hash;
	uint8_t cancelled;     /* B: CANCEL sent or due */
	uint8_t we_refresh;    /* RFC 4028: we send the refreshes */
	uint8_t peer_timer;    /* the peer supports RFC 4028 (Supported/Require: timer) */
	uint8_t route_loose;
	uint8_t hold;          /* last offer received on this leg put media on hold */
	uint8_t reoffer_codec; /* our_codecs[] index + 1 our re-INVITE on this leg moves
				  to (the other leg's offer changed codec), 0: none */
	uint8_t ack_answer;    /* our 2xx on leg->inv offered (late offer, re-INVITE
				  without SDP): its ACK carries the answer (RFC 3264 §5) */
	uint8_t dir_due;       /* enum hl_sdp_dir an answer in an ACK on this leg took,
				  still to be offered to the peer while an offer is open
				  on the peer's dialog (sig_call.c leg_relay_dir()), 0:
				  none; looked at again on t_dir */
	/* RFC 3262 on the A leg (we are its UAS), when the customer's INVITE named
	 * 100rel in Supported or Require: our 18x go reliably, one at a time. */
	uint8_t rel100;        /* A: the customer takes reliable provisionals */
	uint8_t rel_req;       /* A: and requires them (Require: 100rel, every 1xx) */
	uint8_t rel_unacked;   /* A: our 1xx of RSeq rseq waits for its PRACK */
	uint8_t rel_sdp;       /* A: that 1xx carries our SDP */
	uint8_t early_sdp;     /* A: enum sig_early_sdp, our SDP in reliable 1xx */
	uint8_t final_due;     /* A: the agent answered; our 2xx waits for the PRACK */
	uint16_t rel_next;     /* A: the latest 18x held behind the unacked one, 0: none */
	uint32_t rseq;         /* A: RSeq of our last reliable 1xx */
	uint32_t inv_cseq;     /* CSeq of the initial INVITE (a RAck names it) */
	uint32_t rel_retx_ms;  /* A: the next retransmission's interval */
	uint64_t rel_deadline_ms; /* A: 64*T1 after the 1xx went: no PRACK, 5xx */
	struct hl_timer t_rel; /* A: the reliable 1xx's retransmission and deadline */
	/* B: the early dialogs of the INVITE (forks), and which one the leg's media
	 * follows before the 2xx: the first that gave SDP (index + 1, 0: none yet). */
	struct sig_early *early[SIG_EARLY_MAX];
	uint8_t nearly;
	uint8_t early_media;
	uint8_t b_2xx;         /* B: the INVITE's first 2xx came: rtag names its dialog */
	/* A: the fork that answered runs another codec than the customer's answer (a
	 * reliable 18x of another fork's): our re-INVITE moves the customer to it
	 * (sig_call.c a_codec_move()), retried after a 491 on t_codec. */
	uint8_t codec_fix;     /* A: enum sig_codec_fix */
	struct hl_timer t_codec; /* A: its next try (RFC 3261 §14.1) */
	struct hl_timer t_dir;   /* dir_due's next look at the peer's dialog */
	/* Key presses by INFO relayed into this leg's dialog, one INFO at a time: the
	 * one in flight, and those behind it, oldest first (info_send_next()). */
	struct sig_txn *info;  /* our INFO waiting for its final, NULL: none */
	uint8_t info_qhead, info_qlen;
	struct sig_info_press info_q[SIG_INFO_QUEUE];
	uint32_t lcseq, rcseq;
	uint32_t session_s;    /* negotiated Session-Expires, 0: none */
	uint16_t rtp_port;     /* our media port for this leg */
	uint16_t max_fwd;
	char call_id[SIG_CALLID_MAX];
	char ltag[SIG_TAG_MAX];
	char rtag[SIG_TAG_MAX];
	char luri[SIG_HDR_MAX];   /* our party (From for B, To for A) without tag */
	char ruri[SIG_HDR_MAX];   /* their party without tag */
	char target[SIG_URI_MAX]; /* remote target: their Contact URI */
	char route[SIG_ROUTE_MAX]; /* route set, comma-joined, in sending order */
	char branch[SIG_BRANCH_MAX]; /* B: branch of the initial INVITE (CANCEL reuses it) */
	struct hl_sig_addr peer;  /* where in-dialog requests go */
	uint8_t local_ip[16];     /* our address towards peer */
	struct hl_timer t_session; /* RFC 4028: refresh (we refresh) or expiry (they do) */
	char *ack;                /* our ACK of the 2xx of our INVITE of CSeq ack_cseq (the
				   * latest answered), resent on that 2xx's retransmission */
	uint16_t ack_len;
	uint32_t ack_cseq;
	char *sdp_remote;         /* their last SDP (an offer or an answer) */
	uint16_t sdp_remote_len;
	char *sdp_local;          /* our last SDP on this leg */
	uint16_t sdp_local_len;
	char *sdp_local_was;      /* the one before the offer of our re-INVITE of CSeq
				   * sdp_local_was_cseq, NULL: none in flight; back in
				   * sdp_local if the remote refuses it (RFC 3264 §8) */
	uint16_t sdp_local_was_len;
	uint32_t sdp_local_was_cseq;
	uint32_t sdp_version;
	uint64_t sess_id;
	struct hl_media_leg media;  /* this leg's media as the worker has it (or gets it) */
	uint8_t media_ready;        /* remote address and codec known */
	uint8_t media_sent;         /* the worker has the leg and its SRTP sessions */
	uint8_t srtp;               /* SDES SRTP on this leg */
	/* SDES (RFC 4568): media.rx_key/tx_key are the keys in use; these are the
	 * negotiation's. Wiped when done with and when the leg goes. */
	uint8_t srtp_rekey;         /* SRTP_REKEY_*: keys changed since the worker got them */
	uint8_t srtp_noffer;        /* srtp_offer[] of our offer in flight, 0: none */
	uint32_t srtp_tag;          /* tag of the crypto line in use */
	uint32_t srtp_offer_tag;    /* tag of srtp_offer[0]; srtp_offer[k] has tag + k */
	struct hl_srtp_key srtp_next; /* ours in the answer being built (its suite's) */
	struct hl_srtp_key srtp_offer[SIG_SRTP_OFFER_MAX]; /* ours in that offer, by tag */
};

/* sig_leg.codec_fix: the A leg's move to the codec of the fork that answered. */
enum sig_codec_fix {
	CODEC_FIX_NONE = 0,
	CODEC_FIX_DUE,   /* at the customer's ACK of our 2xx, or once t_codec fires */
	CODEC_FIX_RETRY, /* the same, after a 491 to the one sent (not counted again) */
	CODEC_FIX_SENT,  /* that re-INVITE waits for its final: the leg's one INVITE of
			  * ours in progress (RFC 3261 §14.1, leg_offer_open()) */
};

/* sig_leg.early_sdp: where the A leg's SDP stands before the 2xx, with 100rel. */
enum sig_early_sdp {
	EARLY_SDP_NONE = 0, /* no SDP yet: the 2xx carries it as without 100rel */
	EARLY_SDP_BUILT,    /* in sdp_local, for a 1xx held behind an unacked one */
	EARLY_SDP_SENT,     /* in the unacked reliable 1xx: the 2xx waits (RFC 3262 §3) */
	EARLY_SDP_DONE,     /* PRACKed (answered, for an offer): the 2xx repeats it */
};

enum sig_call_state {
	CALL_ROUTING = 0, /* looking for / ringing an agent */
	CALL_CONNECTED,
	CALL_ENDING,
};

struct sig_tenant;

/* Call records waiting for their legs' final figures (sig_cdr.c). */
#define SIG_CDR_PENDING 4096 /* finished calls at once; more: the oldest is written */
#define SIG_CDR_HASH 1024    /* buckets by call id */
#define SIG_CDR_WAIT_MS 3000 /* then written with the figures it has */

struct sig_cdr_pend {
	struct hl_cdr r;
	uint32_t call;            /* sig_call.id, as the legs' figures name it */
	uint8_t want;             /* bit per side: final figures still to come */
	uint64_t deadline_ms;
	struct sig_cdr_pend *hnext; /* hash chain */
	struct sig_cdr_pend *prev, *next; /* oldest first; next: free list too */
};

struct sig_cdrs {
	struct sig_cdr_pend *pool;  /* SIG_CDR_PENDING, allocated at create */
	struct sig_cdr_pend *free;
	struct sig_cdr_pend *head, *tail;
	struct sig_cdr_pend **hash; /* SIG_CDR_HASH */
	uint64_t seq;               /* record ids without a store */
	/* Refused INVITEs since the last tick: [sip] cdr_refused_per_s, allocated at
	 * create (NULL: none recorded); written by the tick in one transaction. */
	struct hl_cdr *refused;
	uint32_t nrefused, refused_cap;
};

struct sig_call {
	uint32_t id;
	uint8_t state;
	uint8_t answered_a; /* 2xx sent to the customer */
	uint8_t ntried;
	uint8_t rejected_busy; /* every agent tried answered 486/600 */
	uint8_t disposition;   /* enum hl_cdr_disposition: the first reason it ended */
	uint8_t ended_by;      /* enum hl_cdr_party */
	uint16_t a_status;     /* final status sent to the customer's INVITE */
	struct hl_sig_addr src; /* where the customer's INVITE came from */
	struct sig_tenant *tenant;
	struct sig_leg *a, *b;
	struct sig_agent *agent;  /* the agent of b */
	struct sig_agent *tried[SIG_TRIED_MAX];
	struct hl_timer t_noanswer;
	uint64_t created_ms, answered_ms, ended_ms;
	uint16_t a_local_port, b_local_port;
	uint32_t info_dtmf[2];    /* key presses by INFO from each side: the record's dtmf
				     (the workers' figures add the media's) */
	char *a_offer;            /* the customer's initial offer (NULL: late offer) */
	uint16_t a_offer_len;
	char caller_user[64];
	char caller_display[64];
	char called[64];          /* Request-URI user: the DID */
	char agent_user[64];      /* the agent who answered */
	struct sig_call *next;    /* all calls, for free */
	struct sig_call *prev;
};

enum sig_agent_state {
	AGENT_OFFLINE = 0, /* no binding */
	AGENT_IDLE,
	AGENT_RINGING,
	AGENT_BUSY,
};

struct sig_binding {
	struct hl_binding b;
	struct hl_timer t_expire;
	struct hl_timer t_qualify; /* OPTIONS every [sip] qualify_s */
	struct sig_txn *qtxn;      /* the OPTIONS in flight */
	uint8_t qfail;             /* unanswered OPTIONS in a row */
	struct sig_binding *next;
	struct sig_agent *agent;
};

struct sig_agent {
	const struct hl_tenant_agent *cfg;
	struct sig_tenant *tenant;
	struct sig_binding *bindings;
	uint32_t nbindings;
	uint8_t state;
	uint64_t idle_since_ms;
	struct sig_agent *inext, *iprev; /* the tenant's idle FIFO: longest idle first */
	bool in_idle;
	struct sig_call *call;
};

struct sig_tenant {
	const struct hl_tenant *cfg;
	struct hl_sig *sig;
	struct sig_agent *agents; /* cfg->n_agents, by agent index */
	struct sig_agent *idle_head, *idle_tail;
	uint32_t calls;
	struct hl_sig_tenant_media media;
	/* calls-per-second token bucket */
	uint64_t cps_stamp_ms;
	uint32_t cps_tokens;
};

/* RTP port allocator: a bitmap of even ports of [rtp] ports, 4-aligned blocks. */
struct sig_ports {
	uint16_t lo, hi;
	uint32_t nblocks, next, used;
	uint64_t *bits;
	struct sig_call **by_block; /* the call holding each block (media events) */
};

/* Our address on a port, formatted for Via, Contact and SDP. */
struct sig_lhost {
	uint8_t valid;
	uint8_t ip[16];
	char str[48];
};

struct hl_sig {
	const struct hl_config *cfg;
	const struct hl_tenants *tenants;
	struct hl_store *store;
	struct hl_sig_ops ops;
	struct hl_digest_server *digest;
	struct hl_timer_wheel *wheel;
	uint64_t now_ms;
	uint64_t poll_ms; /* the clock hl_sig_poll() was given: ahead of the wheel's
			   * while it catches up, the time a timer really runs at */
	uint64_t wall_base_s, wall_base_ms;
	uint64_t seq;           /* tags, branches, Call-IDs */
	uint64_t salt;
	uint32_t t1, t2, t4;

	uint32_t ntxn_max;
	uint32_t txn_mask;
	struct sig_txn **txn_hash;
	uint32_t dlg_mask;
	struct sig_leg **dlg_hash;

	struct sig_tenant *ts;  /* one per tenant, by index */
	unsigned int nts;
	struct sig_call *calls;
	uint32_t call_seq;
	uint64_t cps_stamp_ms;
	uint32_t cps_tokens;
	struct sig_ports ports;
	struct hl_timer t_sync; /* LMDB sync, CDR wait and retention, once a second */
	struct sig_cdrs cdrs;
	uint8_t freeing;        /* hl_sig_free: calls still up end as shutdown */
	struct sig_lhost lhost[HL_CONFIG_MAX_PORTS][2];

	struct hl_sig_stats st;
	/* scratch for building messages (one at a time, control is one thread) */
	char out[8192];
};

static inline void
sig_count(struct hl_sig *s, enum hl_sig_ctr c)
{
	s->st.ctr[c]++;
}

/* A PRACK refused before it could match a reliable 1xx (RFC 3262 §3), whatever refused
 * it: counted in prack_unmatched, as prack_request() counts the RAck that matches none. */
static inline void
sig_prack_refused(struct hl_sig *s, const struct hl_sip_msg *m)
{
	if (m->method == HL_SIP_METHOD_PRACK)
		sig_count(s, HL_SIG_CTR_PRACK_UNMATCHED);
}

static inline uint64_t
sig_wall_s(const struct hl_sig *s)
{
	return s->wall_base_s + (s->now_ms - s->wall_base_ms) / 1000;
}

/* Unix milliseconds of an instant t of the owner's clock (t >= the one at create). */
static inline uint64_t
sig_wall_ms(const struct hl_sig *s, uint64_t t)
{
	return s->wall_base_s * 1000 + (t - s->wall_base_ms);
}

/* ---- sig.c: transport, transactions, helpers ---- */
void sig_send(struct hl_sig *s, const struct hl_sig_addr *dst, const char *buf, size_t len);
/* Responds inside server transaction t: stores the response for retransmission. */
void sig_txn_respond(struct hl_sig *s, struct sig_txn *t, const char *buf, size_t len,
	int status);
/*
 * Builds and sends a response to the request req/m of server transaction t with
 * extra header text hdrs (complete lines, may be NULL) and body (ctype NULL: none).
 */
void sig_reply(struct hl_sig *s, struct sig_txn *t, const uint8_t *req,
	const struct hl_sip_msg *m, int code, const char *reason, const char *to_tag,
	const char *hdrs, const char *ctype, const char *body, size_t body_len);
/* Same, for the stored request of a server INVITE transaction. */
void sig_reply_stored(struct hl_sig *s, struct sig_txn *t, int code, const char *reason,
	const char *to_tag, const char *hdrs, const char *ctype, const char *body,
	size_t body_len);
/* A client transaction for the request in buf (its Via branch is branch), sent; NULL,
 * and nothing sent, when the table is full or the request cannot be kept. */
struct sig_txn *sig_txn_client(struct hl_sig *s, enum hl_sip_method method, const char *branch,
	const struct hl_sig_addr *dst, const char *buf, size_t len, struct sig_leg *leg,
	sig_resp_fn on_resp);
void sig_txn_attach(struct sig_txn *t, struct sig_leg *leg);
void sig_txn_detach(struct sig_txn *t);
/* The 2xx of a server INVITE transaction was ACKed (dialog level). */
void sig_txn_acked(struct hl_sig *s, struct sig_txn *t);
void sig_new_branch(struct hl_sig *s, char *out, size_t cap);
void sig_new_tag(struct hl_sig *s, char *out, size_t cap);
/* 64 bits nobody outside can guess (RSeq starts, RFC 3262 §3). */
uint64_t sig_rand64(struct hl_sig *s);
/* Copies a slice as a NUL-terminated string: 0, or HL_E_TOOBIG. */
int sig_copy(const uint8_t *buf, struct hl_sip_slice sl, char *out, size_t cap);
/*
 * Per-call blocks (transactions, legs, calls, kept messages and SDP): sig_alloc is
 * zeroed, sig_dup NUL-terminates; both are freed with sig_free (NULL is a no-op).
 */
/* Per-call strings without printf: sig_cat concatenates its NULL-terminated list of
 * strings into out (always NUL-terminated, cut at cap - 1) and returns the length;
 * sig_utoa writes v in decimal (out holds 11) and returns out; sig_hex writes v's
 * low digits hex digits, zero-padded (out holds digits + 1). */
size_t sig_cat(char *out, size_t cap, ...) __attribute__((sentinel));
char *sig_utoa(char *out, unsigned int v);
void sig_hex(char *out, uint64_t v, unsigned int digits);
void *sig_alloc(size_t n);
char *sig_dup(const void *p, size_t n);
void sig_free(void *p);
/* Destination for a URI (IP literal host), else fallback; 0 or negative. */
int sig_uri_addr(struct hl_sig *s, const char *uri, const struct hl_sig_addr *fallback,
	struct hl_sig_addr *out);
void sig_addr_str(const struct hl_sig_addr *a, const uint8_t *ip, char *out, size_t cap);
/* "ip" or "[ip6]" of our address towards dst (routes dst), "" when none. */
int sig_local_host(struct hl_sig *s, struct hl_sig_addr *dst, char *out, size_t cap);
extern const char sig_allow[];
extern const char sig_supported[];
/* Header writers: up to four strings; our Via (with branch, rport), Contact, CSeq. */
void sig_w_strs(struct hl_sip_writer *w, const char *a, const char *b, const char *c,
	const char *d);
void sig_w_via(struct hl_sig *s, struct hl_sip_writer *w, const char *host, const char *branch);
void sig_w_contact(struct hl_sig *s, struct hl_sip_writer *w, const char *host);
void sig_w_cseq(struct hl_sip_writer *w, uint32_t seq, const char *method);

/* ---- sig_reg.c: registrar ---- */
int sig_reg_init(struct hl_sig *s);
void sig_reg_free(struct hl_sig *s);
void sig_reg_request(struct hl_sig *s, struct sig_txn *t, const uint8_t *buf,
	const struct hl_sip_msg *m, const struct hl_sig_addr *src);
/* Agents */
void sig_agent_set_idle(struct hl_sig *s, struct sig_agent *a);
void sig_agent_set_busy(struct hl_sig *s, struct sig_agent *a, uint8_t state);
struct sig_tenant *sig_tenant_of(struct hl_sig *s, const struct hl_tenant *t);

/* ---- sig_call.c: B2BUA ---- */
/* A 2xx of our INVITE t whose leg is gone, of a dialog t keeps no ACK for: ACK and BYE
 * (§13.2.2.4). */
void sig_orphan_2xx(struct hl_sig *s, struct sig_txn *t, const uint8_t *buf,
	const struct hl_sip_msg *m);
void sig_call_invite(struct hl_sig *s, struct sig_txn *t, const uint8_t *buf,
	const struct hl_sip_msg *m, const struct hl_sig_addr *src);
void sig_call_cancel(struct hl_sig *s, struct sig_txn *inv);
/* An in-dialog request (To tag matched leg). t is NULL for ACK. */
void sig_call_in_dialog(struct hl_sig *s, struct sig_leg *leg, struct sig_txn *t,
	const uint8_t *buf, const struct hl_sip_msg *m, const struct hl_sig_addr *src);
struct sig_leg *sig_dialog_find(struct hl_sig *s, const uint8_t *buf, struct hl_sip_slice cid,
	struct hl_sip_slice tag);
/* Frees every call and every leg of none (hl_sig_free), without sending. */
void sig_call_free_all(struct hl_sig *s);
void sig_leg_noack(struct hl_sig *s, struct sig_txn *t);
/* The INVITE transaction of B leg l is over: its early dialogs go (NULL-tolerant). */
void sig_early_free(struct sig_leg *l);
/* Ports */
int sig_ports_init(struct sig_ports *p, uint16_t lo, uint16_t hi);
void sig_ports_free(struct sig_ports *p);

/* ---- sig_cdr.c: call records ---- */
int sig_cdr_init(struct hl_sig *s);
/* Writes every pending record as it is and frees the pool (hl_sig_free). */
void sig_cdr_free(struct hl_sig *s);
/* Call c is being freed: its record, written now or once the final figures of the legs
 * in want (bit per side) have come. */
void sig_cdr_call_done(struct hl_sig *s, const struct sig_call *c, unsigned int want);
void sig_cdr_media_final(struct hl_sig *s, const struct hl_media_stats *st);
/*
 * The initial INVITE req/m from src was refused in server transaction t (its final
 * status, t->status, sent) before a call existed: its record, with disposition d and
 * tenant tn (NULL: not resolved), waits for the next tick in a pool of [sip]
 * cdr_refused_per_s; when the pool is full it is counted in cdr_attempts_dropped. A
 * retransmission never gets here: the transaction answers it (sig.c request()).
 */
void sig_cdr_refused(struct hl_sig *s, const struct sig_txn *t, const uint8_t *req,
	const struct hl_sip_msg *m, const struct hl_sig_addr *src, const struct hl_tenant *tn,
	enum hl_cdr_disposition d);
/* Once a second: records waited for long enough, and retention (bounded). */
void sig_cdr_tick(struct hl_sig *s);

#endif
