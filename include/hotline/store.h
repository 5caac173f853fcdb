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

struct hl_store_stats {
	uint64_t bad_records;      /* read back and skipped: short, unknown version, ... */
	uint64_t bindings_moved;   /* by provisioning, to their tenant's new id */
	uint64_t bindings_dropped; /* by provisioning: tenant or agent no longer exists */
	uint64_t records_written;  /* tenant and agent records provisioning had to change */
};

/* Non-zero stops hl_store_bindings_each(), which then returns that value. */
typedef int (*hl_store_binding_fn)(void *ctx, const struct hl_binding *b);

/* Opens (creating dir and the environment if missing) with a map of map_mb MiB. NULL with
 * hl_errno set (-errno, HL_E_DEPENDENCY); hl_store_last_error(NULL) then says why. */
struct hl_store *hl_store_open(const char *dir, uint32_t map_mb);

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

/* mdb_env_sync(force): what the last second of commits needs to reach the disk. */
int hl_store_sync(struct hl_store *s);

/* Text of the last LMDB failure of s, or with s NULL of this thread's last failed
 * hl_store_open(); "" when none. Valid until the next call on s. */
const char *hl_store_last_error(const struct hl_store *s);

void hl_store_stats(const struct hl_store *s, struct hl_store_stats *out);

#endif
