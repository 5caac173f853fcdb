/*
 * Tenants file parser, validator and lookup indexes: see include/hotline/tenant.h and the
 * annotated examples/tenants.conf.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "control/ini_priv.h"
#include "hotline/common.h"
#include "hotline/digest.h"
#include "hotline/tenant.h"

#define PASSWORD_MAX 256

/* A domain or DID of some tenant, in one of the set's sorted indexes. */
struct key_ref {
	const char *key; /* lowercase domain, or DID without its '+' */
	uint16_t len;
	uint16_t tenant; /* index into hl_tenants.tenants */
	unsigned int line;
};

struct hl_tenants {
	unsigned int n;
	struct hl_tenant *tenants[HL_TENANT_MAX];
	uint32_t n_domains;
	struct key_ref *domains; /* sorted by key */
	uint32_t n_dids;
	struct key_ref *dids; /* sorted by key */
};

enum section {
	SEC_NONE,
	SEC_TENANT,
	SEC_AGENT,
};

enum tenant_key {
	TK_REALM,
	TK_MAX_CALLS,
	TK_MAX_CPS,
	TK_NO_ANSWER,
	TK_DTMF_TO_AGENT,
	TK_DTMF_INFO,
};

enum agent_key {
	AK_PASSWORD,
	AK_HA1_MD5,
	AK_HA1_SHA256,
	AK_DISPLAY,
};

struct parser {
	struct hl_ini ini;
	struct hl_tenants *set;
	enum section sec;
	struct hl_tenant *tn;
	struct hl_tenant_agent *ag;
	uint32_t seen; /* keys given in the current section */
	uint32_t agent_cap[HL_TENANT_MAX];
	/* Where each tenant's domains and DIDs were given, for cross-tenant duplicates. */
	uint32_t domain_line[HL_TENANT_MAX][HL_TENANT_MAX_DOMAINS];
	uint32_t did_line[HL_TENANT_MAX][HL_TENANT_MAX_DIDS];
	char password[PASSWORD_MAX];
};

static int __attribute__((format(printf, 3, 4)))
fail(struct parser *p, unsigned int line, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = hl_ini_vfail(&p->ini, line, fmt, ap);
	va_end(ap);
	return rc;
}

static void
wipe(void *m, size_t n)
{
	/* A password must not outlive its HA1 in freed or stack memory. */
	volatile unsigned char *v = m;

	while (n-- > 0)
		*v++ = 0;
}

/*
 * RFC 3261 §25.1 user characters we accept unescaped in an agent name:
 *   alphanum - _ . ! ~ * ' ( )   (unreserved)
 *   & = + $ , ; ? /              (user-unreserved)
 * No '%' escapes: the name is compared as bytes with the URI's user part.
 */
static bool
is_alnum(unsigned char c)
{
	/* ASCII only, whatever the locale: the SIP grammar is ASCII. */
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

static char
to_lower(char c)
{
	return c >= 'A' && c <= 'Z' ? (char)(c + ('a' - 'A')) : c;
}

static bool
is_user_char(unsigned char c)
{
	return is_alnum(c) || (c != '\0' && strchr("-_.!~*'()&=+$,;?/", c) != NULL);
}

static bool
valid_name(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n >= HL_TENANT_NAME_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '_' ||
			    s[i] == '-'))
			return false;
	return true;
}

static struct hl_tenant *
find_tenant(const struct hl_tenants *t, const char *name)
{
	for (unsigned int i = 0; i < t->n; i++)
		if (strcmp(t->tenants[i]->name, name) == 0)
			return t->tenants[i];
	return NULL;
}

/* Ends the current section: what needs every key of it. */
static int
close_section(struct parser *p)
{
	if (p->sec == SEC_TENANT) {
		struct hl_tenant *tn = p->tn;

		if (!(p->seen & (1u << TK_REALM)))
			snprintf(tn->realm, sizeof(tn->realm), "%s",
				tn->n_domains > 0 ? tn->domains[0] : tn->name);
	} else if (p->sec == SEC_AGENT) {
		struct hl_tenant_agent *ag = p->ag;

		if (p->seen & (1u << AK_PASSWORD)) {
			hl_digest_ha1(HL_DIGEST_MD5, ag->user, p->tn->realm, p->password,
				ag->ha1_md5);
			hl_digest_ha1(HL_DIGEST_SHA256, ag->user, p->tn->realm, p->password,
				ag->ha1_sha256);
			wipe(p->password, sizeof(p->password));
		} else if (!(p->seen & ((1u << AK_HA1_MD5) | (1u << AK_HA1_SHA256)))) {
			return fail(p, ag->line,
				"[agent %s@%s] has no password, ha1_md5 or ha1_sha256", ag->user,
				p->tn->name);
		}
	}
	p->sec = SEC_NONE;
	p->tn = NULL;
	p->ag = NULL;
	p->seen = 0;
	return 0;
}

static int
open_tenant(struct parser *p, const char *arg)
{
	struct hl_tenants *set = p->set;
	struct hl_tenant *tn, *dup;

	if (*arg == '\0')
		return fail(p, p->ini.line, "[tenant] needs a name: [tenant NAME]");
	if (!valid_name(arg))
		return fail(p, p->ini.line, "tenant name '%s' is not 1-%d of a-z 0-9 _ -", arg,
			HL_TENANT_NAME_MAX - 1);
	if ((dup = find_tenant(set, arg)) != NULL)
		return fail(p, p->ini.line, "tenant '%s' is declared twice (first at line %u)", arg,
			dup->line);
	if (set->n == HL_TENANT_MAX)
		return fail(p, p->ini.line, "more than %d tenants", HL_TENANT_MAX);
	tn = calloc(1, sizeof(*tn));
	if (tn == NULL)
		return -ENOMEM;
	set->tenants[set->n++] = tn;
	tn->id = set->n;
	strcpy(tn->name, arg);
	tn->line = p->ini.line;
	p->sec = SEC_TENANT;
	p->tn = tn;
	return 0;
}

static int
open_agent(struct parser *p, char *arg)
{
	char *at = strchr(arg, '@');
	struct hl_tenant *tn;
	struct hl_tenant_agent *ag;
	size_t ulen;

	if (*arg == '\0' || at == NULL)
		return fail(p, p->ini.line, "[agent] needs USER@TENANT: [agent alice@acme]");
	*at = '\0';
	ulen = strlen(arg);
	if (ulen == 0 || ulen >= HL_TENANT_USER_MAX)
		return fail(p, p->ini.line, "agent user '%s' is not 1-%d characters", arg,
			HL_TENANT_USER_MAX - 1);
	for (size_t i = 0; i < ulen; i++)
		if (!is_user_char((unsigned char)arg[i]))
			return fail(p, p->ini.line, "agent user '%s': '%c' is not allowed in a SIP "
						   "user part unescaped",
				arg, arg[i]);
	tn = find_tenant(p->set, at + 1);
	if (tn == NULL)
		return fail(p, p->ini.line, "[agent %s@%s]: no [tenant %s] above this line", arg,
			at + 1, at + 1);
	if (tn->n_agents == HL_TENANT_MAX_AGENTS)
		return fail(p, p->ini.line, "more than %d agents in tenant %s",
			HL_TENANT_MAX_AGENTS, tn->name);
	uint32_t *cap = &p->agent_cap[tn->id - 1];
	if (tn->n_agents == *cap) {
		uint32_t ncap = *cap == 0 ? 16 : *cap * 2;
		struct hl_tenant_agent *na = realloc(tn->agents, ncap * sizeof(*na));

		if (na == NULL)
			return -ENOMEM;
		tn->agents = na;
		*cap = ncap;
	}
	ag = &tn->agents[tn->n_agents];
	memset(ag, 0, sizeof(*ag));
	memcpy(ag->user, arg, ulen + 1);
	ag->index = tn->n_agents++;
	ag->line = p->ini.line;
	p->sec = SEC_AGENT;
	p->tn = tn;
	p->ag = ag;
	return 0;
}

static int
open_section(struct parser *p, const char *name, char *arg)
{
	int rc = close_section(p);

	if (rc < 0)
		return rc;
	if (strcmp(name, "tenant") == 0)
		return open_tenant(p, arg);
	if (strcmp(name, "agent") == 0)
		return open_agent(p, arg);
	return fail(p, p->ini.line, "unknown section [%s] (tenant NAME, agent USER@TENANT)", name);
}

static int
once(struct parser *p, unsigned int k, const char *key)
{
	if (p->seen & (1u << k))
		return fail(p, p->ini.line, "'%s' is given twice in this section", key);
	p->seen |= 1u << k;
	return 0;
}

/* Next item of a comma list, trimmed; NULL at the end. Empty items are an error. */
static char *
next_item(char **s, bool *empty)
{
	char *item, *comma;

	*empty = false;
	if (*s == NULL)
		return NULL;
	item = *s;
	comma = strchr(item, ',');
	if (comma != NULL) {
		*comma = '\0';
		*s = comma + 1;
	} else {
		*s = NULL;
	}
	item = hl_ini_trim(item);
	if (*item == '\0')
		*empty = true;
	return item;
}

/* RFC 3261 §25.1 host: hostname (alphanum - .) or an IPv6 reference in brackets. */
static bool
valid_host(const char *h)
{
	size_t n = strlen(h);

	if (n == 0)
		return false;
	if (h[0] == '[') {
		char buf[64];
		uint8_t a[16];

		if (n < 4 || h[n - 1] != ']' || n - 2 >= sizeof(buf))
			return false;
		memcpy(buf, h + 1, n - 2);
		buf[n - 2] = '\0';
		return inet_pton(AF_INET6, buf, a) == 1;
	}
	if (h[0] == '.' || h[0] == '-' || h[n - 1] == '.' || strstr(h, "..") != NULL)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!is_alnum((unsigned char)h[i]) && h[i] != '-' && h[i] != '.')
			return false;
	return true;
}

static int
add_domains(struct parser *p, const char *key, char *v)
{
	struct hl_tenant *tn = p->tn;
	char *item;
	bool empty;

	while ((item = next_item(&v, &empty)) != NULL) {
		size_t n = strlen(item);

		if (empty)
			return fail(p, p->ini.line, "%s: empty item in the list", key);
		if (n >= HL_TENANT_DOMAIN_MAX)
			return fail(p, p->ini.line, "%s: '%s' is longer than %d characters", key,
				item, HL_TENANT_DOMAIN_MAX - 1);
		if (!valid_host(item))
			return fail(p, p->ini.line, "%s: '%s' is not a host name or IP address",
				key, item);
		for (size_t i = 0; i < n; i++)
			item[i] = to_lower(item[i]);
		for (uint32_t i = 0; i < tn->n_domains; i++)
			if (strcmp(tn->domains[i], item) == 0)
				return fail(p, p->ini.line, "%s: '%s' is listed twice", key, item);
		if (tn->n_domains == HL_TENANT_MAX_DOMAINS)
			return fail(p, p->ini.line, "%s: more than %d domains in tenant %s", key,
				HL_TENANT_MAX_DOMAINS, tn->name);
		p->domain_line[tn->id - 1][tn->n_domains] = p->ini.line;
		memcpy(tn->domains[tn->n_domains++], item, n + 1);
	}
	return 0;
}

static int
add_dids(struct parser *p, const char *key, char *v)
{
	struct hl_tenant *tn = p->tn;
	char *item;
	bool empty;

	while ((item = next_item(&v, &empty)) != NULL) {
		size_t n = strlen(item);
		size_t d = item[0] == '+' ? 1 : 0;

		if (empty)
			return fail(p, p->ini.line, "%s: empty item in the list", key);
		if (n >= HL_TENANT_DID_MAX)
			return fail(p, p->ini.line, "%s: '%s' is longer than %d characters", key,
				item, HL_TENANT_DID_MAX - 1);
		if (n == d || strspn(item + d, "0123456789") != n - d)
			return fail(p, p->ini.line, "%s: '%s' is not a number ([+]digits)", key,
				item);
		for (uint32_t i = 0; i < tn->n_dids; i++)
			if (strcmp(tn->dids[i], item) == 0)
				return fail(p, p->ini.line, "%s: '%s' is listed twice", key, item);
		if (tn->n_dids == HL_TENANT_MAX_DIDS)
			return fail(p, p->ini.line, "%s: more than %d DIDs in tenant %s", key,
				HL_TENANT_MAX_DIDS, tn->name);
		p->did_line[tn->id - 1][tn->n_dids] = p->ini.line;
		memcpy(tn->dids[tn->n_dids++], item, n + 1);
	}
	return 0;
}

static int
add_trunks(struct parser *p, const char *key, char *v)
{
	struct hl_tenant *tn = p->tn;
	char *item;
	bool empty;
	int rc;

	while ((item = next_item(&v, &empty)) != NULL) {
		struct hl_tenant_cidr c = {0};

		if (empty)
			return fail(p, p->ini.line, "%s: empty item in the list", key);
		if ((rc = hl_ini_cidr(&p->ini, key, item, &c.family, c.addr, &c.prefix)) < 0)
			return rc;
		for (uint32_t i = 0; i < tn->n_trunks; i++)
			if (memcmp(&tn->trunks[i], &c, sizeof(c)) == 0)
				return fail(p, p->ini.line, "%s: '%s' is listed twice", key, item);
		if (tn->n_trunks == HL_TENANT_MAX_TRUNKS)
			return fail(p, p->ini.line, "%s: more than %d networks in tenant %s", key,
				HL_TENANT_MAX_TRUNKS, tn->name);
		tn->trunks[tn->n_trunks++] = c;
	}
	return 0;
}

/* Quoted-string material (RFC 3261 §25.1): we write realms and display names between
 * double quotes, so refuse what would need escaping there. */
static int
quotable(struct parser *p, const char *key, const char *v, size_t size, char *dst)
{
	size_t n = strlen(v);

	if (n >= size)
		return fail(p, p->ini.line, "%s: longer than %zu characters", key, size - 1);
	if (strpbrk(v, "\"\\") != NULL)
		return fail(p, p->ini.line, "%s: '%s' holds '\"' or '\\'", key, v);
	memcpy(dst, v, n + 1);
	return 0;
}

#define KEY(n) (strcmp(key, (n)) == 0)

static int
set_tenant(struct parser *p, const char *key, char *v)
{
	struct hl_tenant *tn = p->tn;
	uint64_t x;
	int rc;

	if (KEY("realm")) {
		if ((rc = once(p, TK_REALM, key)) < 0)
			return rc;
		return quotable(p, key, v, sizeof(tn->realm), tn->realm);
	}
	if (KEY("domains"))
		return add_domains(p, key, v);
	if (KEY("dids"))
		return add_dids(p, key, v);
	if (KEY("trunks"))
		return add_trunks(p, key, v);
	if (KEY("max_calls")) {
		if ((rc = once(p, TK_MAX_CALLS, key)) < 0 ||
			(rc = hl_ini_uint(&p->ini, key, v, 0, 10000000, &x)) < 0)
			return rc;
		tn->max_calls = (uint32_t)x;
		return 0;
	}
	if (KEY("max_cps")) {
		if ((rc = once(p, TK_MAX_CPS, key)) < 0 ||
			(rc = hl_ini_uint(&p->ini, key, v, 0, 1000000, &x)) < 0)
			return rc;
		tn->max_cps = (uint32_t)x;
		return 0;
	}
	if (KEY("no_answer_s")) {
		if ((rc = once(p, TK_NO_ANSWER, key)) < 0 ||
			(rc = hl_ini_uint(&p->ini, key, v, 0, 300, &x)) < 0)
			return rc;
		tn->no_answer_s = (uint32_t)x;
		return 0;
	}
	if (KEY("dtmf_to_agent")) {
		if ((rc = once(p, TK_DTMF_TO_AGENT, key)) < 0)
			return rc;
		if (strcmp(v, "relay") == 0)
			tn->dtmf_to_agent = HL_TENANT_DTMF_RELAY;
		else if (strcmp(v, "suppress") == 0)
			tn->dtmf_to_agent = HL_TENANT_DTMF_SUPPRESS;
		else
			return fail(p, p->ini.line, "dtmf_to_agent: '%s' is not relay or suppress",
				v);
		return 0;
	}
	if (KEY("dtmf_info")) {
		if ((rc = once(p, TK_DTMF_INFO, key)) < 0)
			return rc;
		if (strcmp(v, "auto") == 0)
			tn->dtmf_info = HL_TENANT_DTMF_INFO_AUTO;
		else if (strcmp(v, "rfc4733") == 0)
			tn->dtmf_info = HL_TENANT_DTMF_INFO_RFC4733;
		else if (strcmp(v, "info") == 0)
			tn->dtmf_info = HL_TENANT_DTMF_INFO_INFO;
		else
			return fail(p, p->ini.line,
				"dtmf_info: '%s' is not auto, rfc4733 or info", v);
		return 0;
	}
	return fail(p, p->ini.line, "unknown key '%s' in [tenant] (realm, domains, dids, trunks, "
				    "max_calls, max_cps, no_answer_s, dtmf_to_agent, dtmf_info)", key);
}

static int
set_hex(struct parser *p, const char *key, const char *v, size_t digits, char *dst)
{
	if (strlen(v) != digits || strspn(v, "0123456789abcdefABCDEF") != digits)
		return fail(p, p->ini.line, "%s: '%s' is not %zu hex digits", key, v, digits);
	for (size_t i = 0; i <= digits; i++)
		dst[i] = to_lower(v[i]);
	return 0;
}

static int
set_agent(struct parser *p, const char *key, char *v)
{
	struct hl_tenant_agent *ag = p->ag;
	const uint32_t creds = (1u << AK_PASSWORD) | (1u << AK_HA1_MD5) | (1u << AK_HA1_SHA256);
	int rc;

	if (KEY("password") || KEY("ha1_md5") || KEY("ha1_sha256")) {
		enum agent_key k = KEY("password") ? AK_PASSWORD
				   : KEY("ha1_md5")  ? AK_HA1_MD5
						     : AK_HA1_SHA256;
		uint32_t other = k == AK_PASSWORD ? creds & ~(1u << AK_PASSWORD)
						  : 1u << AK_PASSWORD;

		if ((rc = once(p, k, key)) < 0)
			return rc;
		if (p->seen & other)
			return fail(p, p->ini.line,
				"%s: give either password or ha1_md5/ha1_sha256, not both", key);
		if (k == AK_HA1_MD5)
			return set_hex(p, key, v, 32, ag->ha1_md5);
		if (k == AK_HA1_SHA256)
			return set_hex(p, key, v, 64, ag->ha1_sha256);
		if (strlen(v) >= sizeof(p->password)) {
			wipe(v, strlen(v));
			return fail(p, p->ini.line, "password: longer than %zu characters",
				sizeof(p->password) - 1);
		}
		strcpy(p->password, v);
		wipe(v, strlen(v));
		return 0;
	}
	if (KEY("display")) {
		if ((rc = once(p, AK_DISPLAY, key)) < 0)
			return rc;
		return quotable(p, key, v, sizeof(ag->display), ag->display);
	}
	return fail(p, p->ini.line, "unknown key '%s' in [agent] (password, ha1_md5, ha1_sha256, "
				    "display)", key);
}

static int
set_key(struct parser *p, const char *key, char *v)
{
	switch (p->sec) {
	case SEC_TENANT:
		return set_tenant(p, key, v);
	case SEC_AGENT:
		return set_agent(p, key, v);
	case SEC_NONE:
		break;
	}
	return fail(p, p->ini.line, "'%s' comes before any [section]", key);
}

static int
cmp_ref(const void *a, const void *b)
{
	const struct key_ref *x = a, *y = b;
	size_t n = x->len < y->len ? x->len : y->len;
	int c = memcmp(x->key, y->key, n);

	if (c != 0)
		return c;
	if (x->len != y->len)
		return x->len < y->len ? -1 : 1;
	return x->line < y->line ? -1 : x->line > y->line;
}

/*
 * Sorts refs, refuses a key of two tenants (naming the later line), drops repeats within
 * one tenant ("+1555" and "1555"). Of several clashes the first in the file is reported.
 */
static int
index_keys(struct parser *p, struct key_ref *refs, uint32_t *n, const char *what)
{
	struct key_ref bad = {0}, first = {0};
	uint32_t out = 0;

	qsort(refs, *n, sizeof(*refs), cmp_ref);
	for (uint32_t i = 0; i < *n; i++) {
		if (out > 0 && refs[out - 1].len == refs[i].len &&
			memcmp(refs[out - 1].key, refs[i].key, refs[i].len) == 0) {
			if (refs[out - 1].tenant != refs[i].tenant &&
				(bad.key == NULL || refs[i].line < bad.line)) {
				bad = refs[i];
				first = refs[out - 1];
			}
			continue;
		}
		refs[out++] = refs[i];
	}
	if (bad.key != NULL)
		return fail(p, bad.line, "%s '%.*s' already belongs to tenant %s (line %u)", what,
			(int)bad.len, bad.key, p->set->tenants[first.tenant]->name, first.line);
	*n = out;
	return 0;
}

static int
cmp_agent(const void *a, const void *b)
{
	const struct hl_tenant_agent *x = *(const struct hl_tenant_agent *const *)a;
	const struct hl_tenant_agent *y = *(const struct hl_tenant_agent *const *)b;
	int c = strcmp(x->user, y->user);

	if (c != 0)
		return c;
	return x->index < y->index ? -1 : x->index > y->index;
}

/* Per tenant: agents_by_user, and a user declared twice is an error at its second header. */
static int
index_agents(struct parser *p, struct hl_tenant *tn)
{
	size_t n = tn->n_agents ? tn->n_agents : 1;
	const struct hl_tenant_agent **sorted = malloc(n * sizeof(*sorted));
	uint32_t *by = malloc(n * sizeof(*by));
	const struct hl_tenant_agent *bad = NULL, *first = NULL;

	if (sorted == NULL || by == NULL) {
		free(sorted);
		free(by);
		return -ENOMEM;
	}
	for (uint32_t i = 0; i < tn->n_agents; i++)
		sorted[i] = &tn->agents[i];
	qsort(sorted, tn->n_agents, sizeof(*sorted), cmp_agent);
	for (uint32_t i = 0; i < tn->n_agents; i++) {
		by[i] = sorted[i]->index;
		if (i > 0 && strcmp(sorted[i - 1]->user, sorted[i]->user) == 0 &&
			(bad == NULL || sorted[i]->line < bad->line)) {
			bad = sorted[i];
			first = sorted[i - 1];
		}
	}
	free(sorted);
	tn->agents_by_user = by;
	if (bad != NULL)
		return fail(p, bad->line, "agent '%s@%s' is declared twice (first at line %u)",
			bad->user, tn->name, first->line);
	return 0;
}

/* Whole-file work once every section is in: indexes, and the duplicates only they show. */
static int
finish(struct parser *p)
{
	struct hl_tenants *set = p->set;
	uint32_t nd = 0, nn = 0;
	int rc;

	for (unsigned int i = 0; i < set->n; i++) {
		nd += set->tenants[i]->n_domains;
		nn += set->tenants[i]->n_dids;
	}
	set->domains = calloc(nd ? nd : 1, sizeof(*set->domains));
	set->dids = calloc(nn ? nn : 1, sizeof(*set->dids));
	if (set->domains == NULL || set->dids == NULL)
		return -ENOMEM;
	for (unsigned int i = 0; i < set->n; i++) {
		struct hl_tenant *tn = set->tenants[i];

		for (uint32_t j = 0; j < tn->n_domains; j++)
			set->domains[set->n_domains++] = (struct key_ref){
				.key = tn->domains[j],
				.len = (uint16_t)strlen(tn->domains[j]),
				.tenant = (uint16_t)i,
				.line = p->domain_line[i][j],
			};
		for (uint32_t j = 0; j < tn->n_dids; j++) {
			const char *d = tn->dids[j] + (tn->dids[j][0] == '+');

			set->dids[set->n_dids++] = (struct key_ref){
				.key = d,
				.len = (uint16_t)strlen(d),
				.tenant = (uint16_t)i,
				.line = p->did_line[i][j],
			};
		}
	}
	if ((rc = index_keys(p, set->domains, &set->n_domains, "domain")) < 0 ||
		(rc = index_keys(p, set->dids, &set->n_dids, "DID")) < 0)
		return rc;
	for (unsigned int i = 0; i < set->n; i++)
		if ((rc = index_agents(p, set->tenants[i])) < 0)
			return rc;
	return 0;
}

void
hl_tenants_free(struct hl_tenants *t)
{
	if (t == NULL)
		return;
	for (unsigned int i = 0; i < t->n; i++) {
		struct hl_tenant *tn = t->tenants[i];

		if (tn->agents != NULL)
			wipe(tn->agents, tn->n_agents * sizeof(*tn->agents));
		free(tn->agents);
		free((void *)tn->agents_by_user);
		free(tn);
	}
	free(t->domains);
	free(t->dids);
	free(t);
}

/* Where a password may still be: the pending one and the line buffer it came from. */
static void
forget(struct parser *p)
{
	wipe(p->password, sizeof(p->password));
	wipe(p->ini.buf, sizeof(p->ini.buf));
}

struct hl_tenants *
hl_tenants_parse(const char *path, const char *text, size_t len, char *err, size_t errlen)
{
	struct parser *p = calloc(1, sizeof(*p));
	struct hl_tenants *set = NULL;
	struct hl_ini_line l;
	int rc = -ENOMEM;

	if (err != NULL && errlen > 0)
		snprintf(err, errlen, "%s: out of memory", path);
	if (p == NULL)
		goto fail;
	set = p->set = calloc(1, sizeof(*p->set));
	if (set == NULL)
		goto fail;
	hl_ini_init(&p->ini, path, text, len, "[tenant NAME] or [agent USER@TENANT]", err,
		errlen);
	while ((rc = hl_ini_next(&p->ini, &l)) > 0) {
		if (l.section != NULL)
			rc = open_section(p, l.section, l.arg);
		else
			rc = set_key(p, l.key, l.val);
		if (rc < 0)
			break;
	}
	if (rc == 0)
		rc = close_section(p);
	if (rc == 0)
		rc = finish(p);
	if (rc < 0)
		goto fail;
	forget(p);
	free(p);
	return set;
fail:
	if (rc == -ENOMEM && err != NULL && errlen > 0)
		snprintf(err, errlen, "%s: out of memory", path);
	hl_tenants_free(set);
	if (p != NULL)
		forget(p);
	free(p);
	hl_errno = rc;
	return NULL;
}

struct hl_tenants *
hl_tenants_load(const char *path, char *err, size_t errlen)
{
	struct hl_tenants *t;
	char *text;
	size_t n;
	int rc = hl_ini_read_file(path, HL_TENANT_FILE_MAX, &text, &n, err, errlen);

	if (rc < 0) {
		hl_errno = rc;
		return NULL;
	}
	t = hl_tenants_parse(path, text, n, err, errlen);
	wipe(text, n);
	free(text);
	return t;
}

unsigned int
hl_tenants_count(const struct hl_tenants *t)
{
	return t != NULL ? t->n : 0;
}

const struct hl_tenant *
hl_tenants_get(const struct hl_tenants *t, unsigned int idx)
{
	return t != NULL && idx < t->n ? t->tenants[idx] : NULL;
}

const struct hl_tenant *
hl_tenants_by_id(const struct hl_tenants *t, uint32_t id)
{
	return t != NULL && id >= 1 && id <= t->n ? t->tenants[id - 1] : NULL;
}

/* Binary search of a sorted index; fold lowercases the query (domains are stored lower). */
static const struct key_ref *
search(const struct key_ref *refs, uint32_t n, const char *q, size_t len, bool fold)
{
	uint32_t lo = 0, hi = n;

	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;
		const struct key_ref *r = &refs[mid];
		size_t m = r->len < len ? r->len : len;
		int c = 0;

		for (size_t i = 0; i < m && c == 0; i++) {
			unsigned char a = (unsigned char)r->key[i], b = (unsigned char)q[i];

			if (fold && b >= 'A' && b <= 'Z')
				b = (unsigned char)(b + ('a' - 'A'));
			c = (int)a - (int)b;
		}
		if (c == 0 && r->len != len)
			c = r->len < len ? -1 : 1;
		if (c == 0)
			return r;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

const struct hl_tenant *
hl_tenants_by_domain(const struct hl_tenants *t, const char *host, size_t len)
{
	const struct key_ref *r;

	if (t == NULL || host == NULL)
		return NULL;
	r = search(t->domains, t->n_domains, host, len, true);
	return r != NULL ? t->tenants[r->tenant] : NULL;
}

const struct hl_tenant *
hl_tenants_by_did(const struct hl_tenants *t, const char *user, size_t len)
{
	const struct key_ref *r;

	if (t == NULL || user == NULL)
		return NULL;
	if (len > 0 && user[0] == '+') {
		user++;
		len--;
	}
	if (len == 0)
		return NULL;
	r = search(t->dids, t->n_dids, user, len, false);
	return r != NULL ? t->tenants[r->tenant] : NULL;
}

bool
hl_tenant_trunk_allows(const struct hl_tenant *tn, int family, const uint8_t *addr)
{
	static const uint8_t v4mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
	const uint8_t *v4 = NULL;

	if (tn == NULL || addr == NULL)
		return false;
	if (family == AF_INET)
		v4 = addr;
	else if (family == AF_INET6 && memcmp(addr, v4mapped, sizeof(v4mapped)) == 0)
		v4 = addr + 12;
	else if (family != AF_INET6)
		return false;
	for (uint32_t i = 0; i < tn->n_trunks; i++) {
		const struct hl_tenant_cidr *c = &tn->trunks[i];

		if (c->family == AF_INET && v4 != NULL &&
			hl_ini_same_prefix(c->addr, v4, c->prefix))
			return true;
		if (c->family == AF_INET6 && family == AF_INET6 &&
			hl_ini_same_prefix(c->addr, addr, c->prefix))
			return true;
	}
	return false;
}

const struct hl_tenant_agent *
hl_tenant_agent(const struct hl_tenant *tn, const char *user, size_t len)
{
	uint32_t lo = 0, hi;

	if (tn == NULL || user == NULL || tn->agents_by_user == NULL)
		return NULL;
	hi = tn->n_agents;
	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;
		const struct hl_tenant_agent *a = &tn->agents[tn->agents_by_user[mid]];
		size_t al = strlen(a->user);
		int c = memcmp(a->user, user, al < len ? al : len);

		if (c == 0 && al != len)
			c = al < len ? -1 : 1;
		if (c == 0)
			return a;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}
