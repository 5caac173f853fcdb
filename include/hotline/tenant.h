/*
 * hotline tenants: who a call or a registration belongs to, and which agents may sign
 * in. A tenant owns SIP domains (matched against the Request-URI or To host), DIDs
 * (the Request-URI user part of calls from carriers), the source networks of its
 * carrier trunks, per-tenant call limits, and its agents' digest credentials.
 *
 * hl_tenants_load() reads the tenants file named by [sip] tenants (format below,
 * annotated in examples/tenants.conf) once at start-up into an immutable set, checks
 * it whole (a DID or domain claimed twice, an agent declared twice, an unknown key,
 * a bad CIDR all stop start-up with "file:line: message", as hotline.conf does), and
 * indexes it: domains and DIDs in sorted arrays over all tenants, each tenant's agents
 * sorted by user, so every lookup is a binary search. Agents' passwords are turned
 * into HA1 = H(user ":" realm ":" password) for H = MD5 and SHA-256 (RFC 7616 §3.4.2,
 * by hl_digest_ha1() of hotline/digest.h) and then wiped; only the HA1s are kept, and
 * they are password-equivalent (RFC 7616 §5.2): never log them.
 *
 * Format (the INI rules of hotline.conf: '#' starts a comment anywhere, so a password
 * cannot hold '#'; use ha1_* then):
 *   [tenant NAME]        NAME: [a-z0-9_-]{1,31}; ids are 1, 2, ... in file order
 *   realm = R            digest realm; default the first domain, else NAME
 *   domains = D, ...     host names or IP literals, case-insensitive, 16 at most
 *   dids = N, ...        [+]digits; "+1555" and "1555" are the same number, 64 at most
 *   trunks = CIDR, ...   carrier source networks, IPv4/IPv6 "addr/len" or one address
 *   max_calls = N        concurrent calls, 0 unlimited (default)
 *   max_cps = N          new calls per second, 0 unlimited (default)
 *   no_answer_s = N      ring time per agent, 0 (default): [sip] no_answer_s
 *   dtmf_to_agent = X    relay (default) or suppress: the customer's key presses (RFC
 *                        4733 events, and tones in G.711 audio, telephone-event
 *                        negotiated or not) do not reach the agent, for card payments
 *                        (PCI DSS); they are still detected and reported to control,
 *                        once each
 *   dtmf_info = X        auto (default), rfc4733 or info: what an INFO key press
 *                        becomes toward a side that negotiated telephone-event. auto:
 *                        RFC 4733 events only when the sender negotiated none, else
 *                        INFO relayed; rfc4733: events always (agent phones that
 *                        offer telephone-event and key by INFO alone, trunks that
 *                        take RFC 4733 alone); info: INFO relayed, never converted
 *   [agent USER@TENANT]  after [tenant TENANT]; USER: RFC 3261 user characters, 63 max
 *   password = P         or ha1_md5 = 32 hex and/or ha1_sha256 = 64 hex (for this realm)
 *   display = NAME       optional display name, no '"' or '\'
 * List keys (domains, dids, trunks) may repeat and add to the list; other keys may not.
 *
 * Ownership: hl_tenants owns every tenant and agent; pointers from the accessors stay
 * valid until hl_tenants_free(). Nothing is written after load, so any thread may read.
 */
#ifndef HOTLINE_TENANT_H
#define HOTLINE_TENANT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HL_TENANT_MAX 256
#define HL_TENANT_MAX_AGENTS 4096
#define HL_TENANT_MAX_DOMAINS 16
#define HL_TENANT_MAX_DIDS 64
#define HL_TENANT_MAX_TRUNKS 32
#define HL_TENANT_NAME_MAX 32   /* with the NUL */
#define HL_TENANT_REALM_MAX 128
#define HL_TENANT_DOMAIN_MAX 128
#define HL_TENANT_DID_MAX 32
#define HL_TENANT_USER_MAX 64
#define HL_TENANT_DISPLAY_MAX 64
/* A tenants file larger than this is refused by hl_tenants_load(). */
#define HL_TENANT_FILE_MAX (256u << 20) /* room for every limit at its maximum */

struct hl_tenant_agent {
	char user[HL_TENANT_USER_MAX];       /* case-sensitive (RFC 3261 §19.1.4) */
	char display[HL_TENANT_DISPLAY_MAX]; /* "" when not given */
	uint32_t index;                      /* position in the tenant's agents[], file order */
	char ha1_md5[33];                    /* lowercase hex; "" when unavailable */
	char ha1_sha256[65];                 /* lowercase hex; "" when unavailable */
	unsigned int line;                   /* of the [agent] header */
};

/* What the customer's DTMF does on its way to the agent (dtmf_to_agent). */
enum hl_tenant_dtmf {
	HL_TENANT_DTMF_RELAY = 0,    /* relayed: RFC 4733 events as events, tones as audio */
	HL_TENANT_DTMF_SUPPRESS = 1, /* events dropped, tones replaced by silence */
};

/* What an INFO key press becomes toward a peer that negotiated telephone-event
 * (dtmf_info). */
enum hl_tenant_dtmf_info {
	HL_TENANT_DTMF_INFO_AUTO = 0,    /* events when the sender negotiated none */
	HL_TENANT_DTMF_INFO_RFC4733 = 1, /* events always */
	HL_TENANT_DTMF_INFO_INFO = 2,    /* INFO relayed, never converted */
};

struct hl_tenant_cidr {
	uint8_t family; /* AF_INET or AF_INET6 */
	uint8_t prefix;
	uint8_t addr[16]; /* network order; host bits are zero */
};

struct hl_tenant {
	uint32_t id; /* 1-based, in file order */
	char name[HL_TENANT_NAME_MAX];
	char realm[HL_TENANT_REALM_MAX];
	uint32_t max_calls;   /* 0: unlimited */
	uint32_t max_cps;     /* 0: unlimited */
	uint32_t no_answer_s; /* 0: the [sip] default */
	uint8_t dtmf_to_agent; /* enum hl_tenant_dtmf */
	uint8_t dtmf_info;     /* enum hl_tenant_dtmf_info */
	uint32_t n_domains;
	char domains[HL_TENANT_MAX_DOMAINS][HL_TENANT_DOMAIN_MAX]; /* lowercase */
	uint32_t n_dids;
	char dids[HL_TENANT_MAX_DIDS][HL_TENANT_DID_MAX]; /* as written */
	uint32_t n_trunks;
	struct hl_tenant_cidr trunks[HL_TENANT_MAX_TRUNKS];
	uint32_t n_agents;
	struct hl_tenant_agent *agents; /* file order: the hunt order */
	const uint32_t *agents_by_user; /* indexes into agents[], sorted by user; private */
	unsigned int line;              /* of the [tenant] header */
};

struct hl_tenants;

/* Reads and parses the file at path; NULL with hl_errno set (HL_E_CONFIG for a bad file,
 * -errno, HL_E_TOOBIG) and "path:line: message" in err (errlen bytes, NUL-terminated). */
struct hl_tenants *hl_tenants_load(const char *path, char *err, size_t errlen);

/* Parses text (len bytes, need not be NUL-terminated) as if read from path. */
struct hl_tenants *hl_tenants_parse(const char *path, const char *text, size_t len, char *err,
	size_t errlen);

/* NULL-tolerant. */
void hl_tenants_free(struct hl_tenants *t);

unsigned int hl_tenants_count(const struct hl_tenants *t);

/* idx 0 .. count-1, in file order; NULL beyond. */
const struct hl_tenant *hl_tenants_get(const struct hl_tenants *t, unsigned int idx);

/* NULL for an id no tenant has. */
const struct hl_tenant *hl_tenants_by_id(const struct hl_tenants *t, uint32_t id);

/* The tenant owning a host (len bytes, not NUL-terminated), ASCII case-insensitive; NULL
 * when none. */
const struct hl_tenant *hl_tenants_by_domain(const struct hl_tenants *t, const char *host,
	size_t len);

/* The tenant owning a number (len bytes): exact, except that a leading '+' on either
 * side is ignored. NULL when none. */
const struct hl_tenant *hl_tenants_by_did(const struct hl_tenants *t, const char *user,
	size_t len);

/* Is addr (4 or 16 bytes, network order) inside one of tn's trunk networks? An
 * IPv4-mapped IPv6 address (::ffff:a.b.c.d) is also checked against the IPv4 ones. */
bool hl_tenant_trunk_allows(const struct hl_tenant *tn, int family, const uint8_t *addr);

/* The agent with this user (len bytes), case-sensitive; NULL when none. */
const struct hl_tenant_agent *hl_tenant_agent(const struct hl_tenant *tn, const char *user,
	size_t len);

#endif
