/*
 * hotline store: what survives a restart. One LMDB environment in [sip] store holds the
 * provisioned copy of the tenants file ("tenants": id -> name, realm, limits, domains,
 * DIDs, trunks; "agents": tenant id + user -> display name and HA1s) and the agents'
 * registrations ("bindings": tenant id + user + Contact -> where to reach it, RFC 3261
 * §10.3), so a restart neither loses registered phones nor waits for them to re-register.
 *
 * hl_store_provision() makes the tenants and agents those of a loaded hl_tenants in one
 * write transaction at start-up, writing only records that differ (LMDB reuses freed
 * pages only two commits later; size the map for twice the provisioned data). Tenant ids
 * follow file order, so the same transaction moves bindings to their tenant's new id when
 * the file was reordered and drops those of tenants or agents that are gone: a binding
 * never ends up under another tenant. The control lcore is the only writer. The
 * environment is opened MDB_NOSYNC | MDB_NOMETASYNC | MDB_NOTLS: commits reach the page
 * cache, not the disk, and the owner calls hl_store_sync() about once a second, so a
 * process crash loses nothing (the kernel holds the pages) and an OS crash or power cut at
 * most the last second. Records are a fixed little-endian layout behind a version byte,
 * so a later format is detectable; one that does not decode (short, unknown version, bad
 * lengths) is skipped and counted in hl_store_stats, never trusted. LMDB failures return
 * HL_E_DEPENDENCY with mdb_strerror()'s text in hl_store_last_error(); control/store.c is
 * the only file that includes lmdb.h.
 *
 * Call records ("cdrs": u64 big-endian record id -> struct hl_cdr) are written by the
 * control lcore once a finished call's media figures are in (control/sig_cdr.c), one
 * write transaction each. Record ids count up from 1 and survive a restart (the next id
 * is the last key + 1, read at open), so a walk in key order is chronological by when the
 * record was written and "everything after id N" is a cursor an operator tool can keep.
 * Retention deletes from the oldest end in bounded batches (hl_store_cdr_prune()).
 * hl_store_open_readonly() opens the same environment MDB_RDONLY for readers in other
 * processes (hlctl): LMDB readers never block the writer, nor it them.
 */
#ifndef HOTLINE_STORE_H
#define HOTLINE_STORE_H

#include <stdint.h>

#include "hotline/tenant.h"

struct hl_store;

/* One registered contact of an agent (RFC 3261 §10.3). Key: (tenant_id, user, contact),
 * so an address-of-record may hold several contacts. */
struct hl_binding {
	uint32_t tenant_id;
	char user[64];      /* the AOR user within the tenant */
	char contact[256];  /* Contact URI as registered, without <> */
	uint8_t family;     /* AF_INET or AF_INET6: of the source the REGISTER came from */
	uint8_t addr[16];   /* that source, network order: where requests go (RFC 3581) */
	uint16_t port;      /* host order */
	uint64_t expires_at; /* unix seconds */
	char call_id[128];  /* with cseq: §10.3 step 6 ordering of REGISTERs */
	uint32_t cseq;
	uint16_t q;         /* thousandths, 0..1000; 1000 when the Contact has no q */
};

/* How a call ended (struct hl_cdr.disposition). The first reason found wins: a call
 * ended by a media timeout stays media_timeout though both legs then get BYE. The
 * values are stored: new ones go at the end. */
#define HL_CDR_FOREACH_DISPOSITION(_)                                                    \
	_(ANSWERED, "answered")               /* an agent answered; ended by a BYE */    \
	_(ABANDONED, "abandoned")             /* the caller gave up before an answer */  \
	_(NO_AGENT, "no_agent")               /* nobody (left) to ring, or nobody took it */ \
	_(REJECTED, "rejected")               /* refused or failed: see sip_status */    \
	_(MEDIA_TIMEOUT, "media_timeout")     /* [rtp] timeout_s without RTP */          \
	_(MEDIA_FAILED, "media_failed")       /* a worker could not take a leg, bad SDP */ \
	_(SESSION_EXPIRED, "session_expired") /* RFC 4028 §10: no refresh came */        \
	_(NO_ACK, "no_ack")                   /* RFC 3261 §13.3.1.4: our 2xx never ACKed */ \
	_(DIALOG_LOST, "dialog_lost")         /* 481/408 to an in-dialog request */      \
	_(SHUTDOWN, "shutdown")               /* still up when hotlined stopped */      \
	/* Refused before a call existed (HL_CDR_F_REFUSED); the rest of those are */     \
	/* rejected, with the status in sip_status (420, 422, 482, 483, 488, 503). */     \
	_(NO_ROUTE, "no_route")               /* 404: no tenant has the DID */           \
	_(FORBIDDEN, "forbidden")             /* 403: source not a trunk of the tenant */ \
	_(OVER_LIMIT, "over_limit")           /* 503: max_calls or max_cps reached */    \
	_(TENANT_BUSY, "tenant_busy")         /* 486: the tenant's max_calls in use */ \
	_(NO_PRACK, "no_prack")               /* RFC 3262 §3: our reliable 1xx unPRACKed */

enum hl_cdr_disposition {
	HL_CDR_DISP_NONE_ = 0,
#define HL_CDR_DISP_ENUM_(sym, name) HL_CDR_##sym,
	HL_CDR_FOREACH_DISPOSITION(HL_CDR_DISP_ENUM_)
#undef HL_CDR_DISP_ENUM_
	HL_CDR_DISP_MAX_
};

/* Who ended the call (struct hl_cdr.ended_by). */
enum hl_cdr_party {
	HL_CDR_BY_HOTLINE = 0, /* a timer, a failure, no agent, shutdown */
	HL_CDR_BY_CUSTOMER,    /* BYE or CANCEL from the A leg */
	HL_CDR_BY_AGENT,       /* BYE from the B leg */
};

/* What a CDR holds of one leg's media (struct hl_media_stats at hang-up). */
enum hl_cdr_leg_state {
	HL_CDR_LEG_NONE = 0, /* the leg never got media (never answered, no SDP) */
	HL_CDR_LEG_FIGURES,  /* the worker's final figures are below */
	HL_CDR_LEG_MISSING,  /* it had media, its figures did not arrive in time */
};

struct hl_cdr_leg {
	uint8_t state;      /* enum hl_cdr_leg_state; the rest is 0 unless FIGURES, but
			       dtmf, which counts the side's key presses by INFO too */
	uint8_t latched;    /* the remote address was learnt from its first packet */
	uint16_t local_port;
	uint64_t rx_packets, rx_bytes, tx_packets, tx_bytes;
	int64_t lost;       /* RFC 3550 A.3 */
	double loss_pct;
	double jitter_ms;   /* A.8 */
	uint32_t rtt_ms;    /* from RTCP, 0: not measured */
	double mos;         /* E-model estimate */
	uint64_t dtmf;
	uint64_t srtp_auth_fail, srtp_replay;
	uint64_t wrong_source, ssrc_changes;
	uint64_t rtcp_in, rtcp_out;
};

/* struct hl_cdr.flags */
#define HL_CDR_F_FIGURES_MISSING 1 /* a leg with media has state HL_CDR_LEG_MISSING */
#define HL_CDR_F_REFUSED 2         /* an INVITE refused before a call existed: no agent,
				      no media, created_ms == ended_ms */

#define HL_CDR_STR_MAX 64
#define HL_CDR_CALLID_MAX 128

/* One call's record. Times are Unix milliseconds; strings are NUL-terminated. */
struct hl_cdr {
	uint64_t id;          /* record id (key), given by hl_store_cdr_put() */
	uint32_t tenant_id;   /* hl_tenant.id (file order; 0: none) */
	uint8_t disposition;  /* enum hl_cdr_disposition */
	uint8_t ended_by;     /* enum hl_cdr_party */
	uint16_t sip_status;  /* final status we sent the customer's INVITE (200 answered) */
	uint8_t flags;        /* HL_CDR_F_* */
	uint8_t agents_tried; /* agents rung for this call */
	uint64_t created_ms;  /* the customer's INVITE */
	uint64_t answered_ms; /* the agent's 2xx; 0: never answered */
	uint64_t ended_ms;    /* the first BYE, CANCEL or reason to end */
	uint64_t duration_ms; /* ended - created */
	uint64_t talk_ms;     /* ended - answered; 0 when not answered */
	char call_id[HL_CDR_CALLID_MAX];      /* the customer leg's Call-ID */
	char tenant[HL_CDR_STR_MAX];          /* tenant name */
	char caller_user[HL_CDR_STR_MAX];     /* From user of the customer */
	char caller_display[HL_CDR_STR_MAX];  /* From display name */
	char called[HL_CDR_STR_MAX];          /* Request-URI user: the DID dialled */
	char agent[HL_CDR_STR_MAX];           /* user of the agent who answered; "": none */
	struct hl_cdr_leg leg[2];             /* 0: customer (A), 1: agent (B) */
	/* Where the customer's INVITE came from (the trunk). Family 0: not known (records
	 * written before version 2 of the layout). */
	uint8_t src_family;                   /* AF_INET, AF_INET6 or 0 */
	uint16_t src_port;                    /* host order */
	uint8_t src_addr[16];                 /* network order; IPv4 in the first 4 bytes */
};

/* Encoded size bound of a record (version byte, fields, strings). */
#define HL_STORE_CDR_REC_MAX 1024

struct hl_store_stats {
	uint64_t bad_records;      /* read back and skipped: short, unknown version, ... */
	uint64_t bindings_moved;   /* by provisioning, to their tenant's new id */
	uint64_t bindings_dropped; /* by provisioning: tenant or agent no longer exists */
	uint64_t records_written;  /* tenant and agent records provisioning had to change */
	uint64_t cdrs_written;
	uint64_t cdrs_pruned;
};

/* Non-zero stops hl_store_bindings_each(), which then returns that value. */
typedef int (*hl_store_binding_fn)(void *ctx, const struct hl_binding *b);

/* Non-zero stops hl_store_cdrs_each(), which then returns that value. */
typedef int (*hl_store_cdr_fn)(void *ctx, const struct hl_cdr *r);

/* Opens (creating dir and the environment if missing) with a map of map_mb MiB. NULL with
 * hl_errno set (-errno, HL_E_DEPENDENCY); hl_store_last_error(NULL) then says why. */
struct hl_store *hl_store_open(const char *dir, uint32_t map_mb);

/*
 * Opens an existing store for reading only (MDB_RDONLY): nothing is created, and only
 * the hl_store_*_get, _count, _each calls and hl_store_cdr_next_id() may be used. NULL
 * with hl_errno set: -ENOENT (no such directory, or no data.mdb in it: not a store),
 * -ENOTDIR, -EACCES, HL_E_DEPENDENCY (not an LMDB environment, no "cdrs" database: not a
 * hotline store); hl_store_last_error(NULL) then says why in words.
 */
struct hl_store *hl_store_open_readonly(const char *dir);

/* Syncs and closes; NULL-tolerant. */
void hl_store_close(struct hl_store *s);

/* Replaces the tenants and agents with t's (NULL: none), in one transaction (see above). */
int hl_store_provision(struct hl_store *s, const struct hl_tenants *t);

/* Number of provisioned tenant records that decode. */
int hl_store_tenant_count(struct hl_store *s, unsigned int *n);

/* The provisioned copy of tenant id into out (agents and agents_by_user NULL, n_agents as
 * provisioned); HL_E_NOTFOUND when absent or undecodable. */
int hl_store_tenant_get(struct hl_store *s, uint32_t id, struct hl_tenant *out);

/* The provisioned copy of an agent (line 0); HL_E_NOTFOUND when absent or undecodable. */
int hl_store_agent_get(struct hl_store *s, uint32_t tenant_id, const char *user,
	struct hl_tenant_agent *out);

/* Inserts or replaces b. -EINVAL for an empty or overlong user, contact or call_id, tenant
 * id 0, an unknown family or q above 1000. */
int hl_store_binding_put(struct hl_store *s, const struct hl_binding *b);

/* Removes one contact; HL_E_NOTFOUND when it was not there. */
int hl_store_binding_del(struct hl_store *s, uint32_t tenant_id, const char *user,
	const char *contact);

/* Removes every contact of an AOR (REGISTER with Contact: *, RFC 3261 §10.2.2); returns
 * how many (0 when none) or a negative code. */
int hl_store_binding_del_aor(struct hl_store *s, uint32_t tenant_id, const char *user);

/* Removes every binding with expires_at <= now; returns how many or a negative code. */
int hl_store_binding_expire(struct hl_store *s, uint64_t now);

/*
 * Calls fn for every binding, in key order: at start-up, to rebuild the location service.
 * Reads in batches of short read transactions, so fn may itself put or delete bindings
 * (a binding put during the walk may or may not be visited). Returns 0, fn's non-zero
 * value, or a negative code.
 */
int hl_store_bindings_each(struct hl_store *s, hl_store_binding_fn fn, void *ctx);

/* --- call records --- */

/* Name of a disposition ("answered", ...); "unknown" out of range. */
const char *hl_store_cdr_disposition_name(unsigned int d);
/* "hotline", "customer", "agent"; "unknown" out of range. */
const char *hl_store_cdr_party_name(unsigned int p);

/*
 * Gives r the next record id and writes it in one write transaction; r->id is that id
 * on success and unchanged on failure (the id is then not used up). -EINVAL for a string
 * without its NUL or an unknown disposition, HL_E_DEPENDENCY (MDB_MAP_FULL: raise [sip]
 * store_map_mb, or lower cdr_keep_days / cdr_max).
 */
int hl_store_cdr_put(struct hl_store *s, struct hl_cdr *r);

/*
 * Writes n records in one write transaction, as n hl_store_cdr_put() calls would, with
 * consecutive ids: a burst of refused INVITEs costs one commit. Each r[i].id is its id,
 * or 0 for a record that does not encode (-EINVAL as put; skipped, the others written).
 * Returns how many were written, or a negative code with none written (every id 0).
 */
int hl_store_cdr_put_many(struct hl_store *s, struct hl_cdr *r, unsigned int n);

/* Record id into out; HL_E_NOTFOUND when absent or undecodable (counted). */
int hl_store_cdr_get(struct hl_store *s, uint64_t id, struct hl_cdr *out);

/* The id the next hl_store_cdr_put() gives (1 on an empty store). */
uint64_t hl_store_cdr_next_id(const struct hl_store *s);

/* Records in the cdrs database, undecodable ones included. */
int hl_store_cdr_count(struct hl_store *s, uint64_t *n);

/*
 * Calls fn for every record with id >= from_id, in id order, reading in batches of short
 * read transactions as hl_store_bindings_each() does (records written meanwhile may or
 * may not be visited). Undecodable records are skipped and counted. Returns 0, fn's
 * non-zero value, or a negative code.
 */
int hl_store_cdrs_each(struct hl_store *s, uint64_t from_id, hl_store_cdr_fn fn, void *ctx);

/*
 * Retention: deletes from the oldest record while more than keep_max remain (0: no count
 * limit) or while records end before older_than_ms (Unix ms; 0: no age limit), at most
 * max_del in one write transaction, so a long backlog is worked off over several calls.
 * An undecodable record goes when a later one is old enough to go (keys are in write
 * order) or by the count limit. Returns how many it deleted, or a negative code.
 */
int hl_store_cdr_prune(struct hl_store *s, uint64_t older_than_ms, uint64_t keep_max,
	unsigned int max_del);

/*
 * The record codec, for tests and fuzzing: hl_store_cdr_encode() writes r (its id is the
 * key, not in the value) into buf and returns its length, or -EINVAL (as put) or
 * HL_E_TOOBIG; hl_store_cdr_decode() fills out (id set to id) from len bytes and returns
 * 0, or HL_E_PARSE for a record that is short, long, of an unknown version, or holds an
 * overlong string, a NUL in a string, an unknown disposition, party, flag, leg state or
 * address family, or a figure that is not a finite number. The encoder writes the
 * current layout (version 2); the decoder also reads version 1 (no source address, no
 * refused attempts), so records written before stay readable.
 */
int hl_store_cdr_encode(const struct hl_cdr *r, uint8_t *buf, size_t cap);
int hl_store_cdr_decode(const void *buf, size_t len, uint64_t id, struct hl_cdr *out);

/* mdb_env_sync(force): what the last second of commits needs to reach the disk. */
int hl_store_sync(struct hl_store *s);

/* Text of the last LMDB failure of s, or with s NULL of this thread's last failed
 * hl_store_open(); "" when none. Valid until the next call on s. */
const char *hl_store_last_error(const struct hl_store *s);

void hl_store_stats(const struct hl_store *s, struct hl_store_stats *out);

#endif
