/*
 * LMDB store of provisioned tenants and registrations: see include/hotline/store.h.
 *
 * Record layouts, version 1 unless said (values little-endian, strings as u8 length +
 * bytes, no NUL):
 *   tenants  key  u32be id
 *            val  u8 3, u32 id, str name, str realm, u32 max_calls, u32 max_cps,
 *                 u32 no_answer_s, u32 n_agents, u8 n + n str domain, u8 n + n str did,
 *                 u8 n + n (u8 ipver 4|6, u8 prefix, 4|16 bytes address),
 *                 u8 dtmf_to_agent (0 relay, 1 suppress),
 *                 u8 dtmf_info (0 auto, 1 rfc4733, 2 info)
 *            version 1 (before dtmf_to_agent) ends after the trunks and reads as relay,
 *            version 2 (before dtmf_info) after dtmf_to_agent and reads as auto;
 *            provisioning rewrites them as version 3
 *   agents   key  u32be tenant id, user bytes
 *            val  u8 1, u32 index, str display, u8 flags (1 md5, 2 sha256),
 *                 [16 bytes MD5 HA1], [32 bytes SHA-256 HA1]
 *   bindings key  u32be tenant id, user bytes, 0x00, contact bytes
 *            val  u8 1, u8 ipver 4|6, 16 bytes address, u16 port, u64 expires_at, u32 cseq,
 *                 u16 q, str call_id
 *   cdrs     key  u64be record id
 *            val  u8 2 (CDR_VERSION), u32 tenant id, u8 disposition, u8 ended_by, u16 sip_status,
 *                 u8 flags, u8 agents_tried, u64 created_ms, u64 answered_ms, u64 ended_ms,
 *                 str call_id, str tenant, str caller_user, str caller_display, str called,
 *                 str agent, then per leg (A, B): u8 state, u8 latched, u16 local_port,
 *                 u64 rx_packets, u64 rx_bytes, u64 tx_packets, u64 tx_bytes, u64 lost
 *                 (two's complement), f64 loss_pct, f64 jitter_ms, u32 rtt_ms, f64 mos,
 *                 u64 dtmf, u64 srtp_auth_fail, u64 srtp_replay, u64 wrong_source,
 *                 u64 ssrc_changes, u64 rtcp_in, u64 rtcp_out, then the source: u8 ipver
 *                 0|4|6, 0|4|16 bytes address, u16 port
 *            version 1 (read, never written): the same up to the legs, without the
 *            source; its flags and dispositions are those up to figures_missing and
 *            shutdown
 * Address families are stored as 4/6, not AF_* values, which differ between systems. f64 is
 * the IEEE 754 binary64 bit pattern as a u64; a decoded figure must be finite.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <lmdb.h>

#include "control/store_priv.h"
#include "hotline/common.h"
#include "hotline/store.h"
#include "hotline/tenant.h"

#define REC_VERSION 1
/* Call records have their own version: 2 added the source address and refused attempts. */
#define CDR_VERSION 2
#define CDR_VERSION_1 1
/* Tenant records: 2 added dtmf_to_agent, 3 dtmf_info; 1 and 2 are still read. */
#define TENANT_REC_VERSION 3
#define ERR_MAX 256
/* u32 id + user (63) + NUL + contact (255) */
#define BINDING_KEY_MAX (4 + 63 + 1 + 255)
#define TENANT_REC_MAX 8192
/* Bindings copied out per read transaction by hl_store_bindings_each(). */
#define EACH_BATCH 64
/* Named databases: tenants, agents, bindings, cdrs, and room for the kinds to come
 * (queues, callbacks, KPI counters) without a format change. */
#define MAX_DBS 8

struct hl_store {
	MDB_env *env;
	MDB_dbi tenants;
	MDB_dbi agents;
	MDB_dbi bindings;
	MDB_dbi cdrs;
	uint64_t cdr_next; /* id of the next call record */
	struct hl_store_stats stats;
	char err[ERR_MAX];
};

static __thread char open_err[ERR_MAX];

static int __attribute__((format(printf, 3, 4)))
lmdb_fail(char *err, int mdb_rc, const char *fmt, ...)
{
	char what[128];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	snprintf(err, ERR_MAX, "%s: %s%s", what, mdb_strerror(mdb_rc),
		mdb_rc == MDB_MAP_FULL ? " (raise [sip] store_map_mb)" : "");
	return HL_E_DEPENDENCY;
}

/* --- encoding ------------------------------------------------------------------------ */

struct wbuf {
	uint8_t *p;
	size_t n, cap;
	bool over;
};

static void
put_bytes(struct wbuf *w, const void *b, size_t n)
{
	if (w->over || w->cap - w->n < n) {
		w->over = true;
		return;
	}
	memcpy(w->p + w->n, b, n);
	w->n += n;
}

static void
put_u8(struct wbuf *w, uint8_t v)
{
	put_bytes(w, &v, 1);
}

static void
put_u16(struct wbuf *w, uint16_t v)
{
	uint8_t b[2] = {(uint8_t)v, (uint8_t)(v >> 8)};

	put_bytes(w, b, 2);
}

static void
put_u32(struct wbuf *w, uint32_t v)
{
	uint8_t b[4] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24)};

	put_bytes(w, b, 4);
}

static void
put_u64(struct wbuf *w, uint64_t v)
{
	put_u32(w, (uint32_t)v);
	put_u32(w, (uint32_t)(v >> 32));
}

static void
put_str(struct wbuf *w, const char *s)
{
	size_t n = strlen(s);

	if (n > 255) {
		w->over = true;
		return;
	}
	put_u8(w, (uint8_t)n);
	put_bytes(w, s, n);
}

struct rbuf {
	const uint8_t *p;
	size_t n, off;
	bool bad;
};

static const uint8_t *
get_bytes(struct rbuf *r, size_t n)
{
	const uint8_t *b;

	if (r->bad || r->n - r->off < n) {
		r->bad = true;
		return NULL;
	}
	b = r->p + r->off;
	r->off += n;
	return b;
}

static uint8_t
get_u8(struct rbuf *r)
{
	const uint8_t *b = get_bytes(r, 1);

	return b ? b[0] : 0;
}

static uint16_t
get_u16(struct rbuf *r)
{
	const uint8_t *b = get_bytes(r, 2);

	return b ? (uint16_t)(b[0] | b[1] << 8) : 0;
}

static uint32_t
get_u32(struct rbuf *r)
{
	const uint8_t *b = get_bytes(r, 4);

	return b ? (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 |
			   (uint32_t)b[3] << 24
		 : 0;
}

static uint64_t
get_u64(struct rbuf *r)
{
	uint64_t lo = get_u32(r);

	return lo | (uint64_t)get_u32(r) << 32;
}

/* A string into dst (cap bytes with its NUL); bad if it does not fit or holds a NUL. */
static void
get_str(struct rbuf *r, char *dst, size_t cap)
{
	size_t n = get_u8(r);
	const uint8_t *b = get_bytes(r, n);

	if (b == NULL || n >= cap || memchr(b, '\0', n) != NULL) {
		r->bad = true;
		dst[0] = '\0';
		return;
	}
	memcpy(dst, b, n);
	dst[n] = '\0';
}

static void
be32(uint8_t *b, uint32_t v)
{
	b[0] = (uint8_t)(v >> 24);
	b[1] = (uint8_t)(v >> 16);
	b[2] = (uint8_t)(v >> 8);
	b[3] = (uint8_t)v;
}

static uint32_t
rd_be32(const uint8_t *b)
{
	return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
}

static uint8_t
ipver(int family)
{
	return family == AF_INET ? 4 : family == AF_INET6 ? 6 : 0;
}

static int
ipver_family(uint8_t v)
{
	return v == 4 ? AF_INET : v == 6 ? AF_INET6 : 0;
}

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Lowercase hex of nbytes into raw; false unless it is exactly that. */
static bool
unhex(const char *hex, uint8_t *raw, size_t nbytes)
{
	if (strlen(hex) != 2 * nbytes)
		return false;
	for (size_t i = 0; i < nbytes; i++) {
		int a = hexval(hex[2 * i]), b = hexval(hex[2 * i + 1]);

		if (a < 0 || b < 0)
			return false;
		raw[i] = (uint8_t)(a << 4 | b);
	}
	return true;
}

static void
tohex(const uint8_t *raw, size_t nbytes, char *hex)
{
	static const char digits[] = "0123456789abcdef";

	for (size_t i = 0; i < nbytes; i++) {
		hex[2 * i] = digits[raw[i] >> 4];
		hex[2 * i + 1] = digits[raw[i] & 15];
	}
	hex[2 * nbytes] = '\0';
}

static void
enc_tenant(struct wbuf *w, const struct hl_tenant *tn)
{
	put_u8(w, TENANT_REC_VERSION);
	put_u32(w, tn->id);
	put_str(w, tn->name);
	put_str(w, tn->realm);
	put_u32(w, tn->max_calls);
	put_u32(w, tn->max_cps);
	put_u32(w, tn->no_answer_s);
	put_u32(w, tn->n_agents);
	put_u8(w, (uint8_t)tn->n_domains);
	for (uint32_t i = 0; i < tn->n_domains; i++)
		put_str(w, tn->domains[i]);
	put_u8(w, (uint8_t)tn->n_dids);
	for (uint32_t i = 0; i < tn->n_dids; i++)
		put_str(w, tn->dids[i]);
	put_u8(w, (uint8_t)tn->n_trunks);
	for (uint32_t i = 0; i < tn->n_trunks; i++) {
		const struct hl_tenant_cidr *c = &tn->trunks[i];

		put_u8(w, ipver(c->family));
		put_u8(w, c->prefix);
		put_bytes(w, c->addr, c->family == AF_INET ? 4 : 16);
	}
	put_u8(w, tn->dtmf_to_agent);
	put_u8(w, tn->dtmf_info);
}

static bool
dec_tenant(const MDB_val *v, struct hl_tenant *tn)
{
	struct rbuf r = {.p = v->mv_data, .n = v->mv_size};
	uint32_t n;
	uint8_t ver;

	memset(tn, 0, sizeof(*tn));
	ver = get_u8(&r);
	if (ver < 1 || ver > TENANT_REC_VERSION)
		return false;
	tn->id = get_u32(&r);
	get_str(&r, tn->name, sizeof(tn->name));
	get_str(&r, tn->realm, sizeof(tn->realm));
	tn->max_calls = get_u32(&r);
	tn->max_cps = get_u32(&r);
	tn->no_answer_s = get_u32(&r);
	tn->n_agents = get_u32(&r);
	n = get_u8(&r);
	if (n > HL_TENANT_MAX_DOMAINS)
		return false;
	for (tn->n_domains = 0; tn->n_domains < n; tn->n_domains++)
		get_str(&r, tn->domains[tn->n_domains], sizeof(tn->domains[0]));
	n = get_u8(&r);
	if (n > HL_TENANT_MAX_DIDS)
		return false;
	for (tn->n_dids = 0; tn->n_dids < n; tn->n_dids++)
		get_str(&r, tn->dids[tn->n_dids], sizeof(tn->dids[0]));
	n = get_u8(&r);
	if (n > HL_TENANT_MAX_TRUNKS)
		return false;
	for (tn->n_trunks = 0; tn->n_trunks < n; tn->n_trunks++) {
		struct hl_tenant_cidr *c = &tn->trunks[tn->n_trunks];
		const uint8_t *a;

		c->family = (uint8_t)ipver_family(get_u8(&r));
		c->prefix = get_u8(&r);
		if (c->family == 0 || c->prefix > (c->family == AF_INET ? 32 : 128))
			return false;
		a = get_bytes(&r, c->family == AF_INET ? 4 : 16);
		if (a != NULL)
			memcpy(c->addr, a, c->family == AF_INET ? 4 : 16);
	}
	if (ver >= 2) {
		tn->dtmf_to_agent = get_u8(&r);
		if (tn->dtmf_to_agent > HL_TENANT_DTMF_SUPPRESS)
			return false;
	}
	if (ver >= 3) {
		tn->dtmf_info = get_u8(&r);
		if (tn->dtmf_info > HL_TENANT_DTMF_INFO_INFO)
			return false;
	}
	tn->agents = NULL;
	tn->agents_by_user = NULL;
	return !r.bad && r.off == r.n && tn->id != 0 && tn->name[0] != '\0';
}

static void
enc_agent(struct wbuf *w, const struct hl_tenant_agent *ag)
{
	uint8_t md5[16], sha[32];
	bool has_md5 = unhex(ag->ha1_md5, md5, sizeof(md5));
	bool has_sha = unhex(ag->ha1_sha256, sha, sizeof(sha));

	put_u8(w, REC_VERSION);
	put_u32(w, ag->index);
	put_str(w, ag->display);
	put_u8(w, (uint8_t)((has_md5 ? 1 : 0) | (has_sha ? 2 : 0)));
	if (has_md5)
		put_bytes(w, md5, sizeof(md5));
	if (has_sha)
		put_bytes(w, sha, sizeof(sha));
}

static bool
dec_agent(const MDB_val *k, const MDB_val *v, struct hl_tenant_agent *ag)
{
	struct rbuf r = {.p = v->mv_data, .n = v->mv_size};
	const uint8_t *b;
	uint8_t flags;

	memset(ag, 0, sizeof(*ag));
	if (k->mv_size <= 4 || k->mv_size - 4 >= sizeof(ag->user) ||
		memchr((const uint8_t *)k->mv_data + 4, '\0', k->mv_size - 4) != NULL)
		return false;
	memcpy(ag->user, (const uint8_t *)k->mv_data + 4, k->mv_size - 4);
	if (get_u8(&r) != REC_VERSION)
		return false;
	ag->index = get_u32(&r);
	get_str(&r, ag->display, sizeof(ag->display));
	flags = get_u8(&r);
	if (flags & ~3u)
		return false;
	if ((flags & 1) && (b = get_bytes(&r, 16)) != NULL)
		tohex(b, 16, ag->ha1_md5);
	if ((flags & 2) && (b = get_bytes(&r, 32)) != NULL)
		tohex(b, 32, ag->ha1_sha256);
	return !r.bad && r.off == r.n;
}

/* Key of (tenant, user[, contact]) into key; its length, or 0 if a part is empty or long.
 * With contact NULL: the prefix shared by every contact of the AOR. */
static size_t
binding_key(uint8_t *key, uint32_t tenant_id, const char *user, const char *contact)
{
	size_t ul = user != NULL ? strnlen(user, 64) : 0;
	size_t cl = contact != NULL ? strnlen(contact, 256) : 0;

	if (tenant_id == 0 || ul == 0 || ul >= 64 || (contact != NULL && (cl == 0 || cl >= 256)))
		return 0;
	be32(key, tenant_id);
	memcpy(key + 4, user, ul);
	key[4 + ul] = '\0';
	memcpy(key + 5 + ul, contact != NULL ? contact : "", cl);
	return 5 + ul + cl;
}

static bool
dec_binding(const MDB_val *k, const MDB_val *v, struct hl_binding *b)
{
	const uint8_t *kp = k->mv_data;
	struct rbuf r = {.p = v->mv_data, .n = v->mv_size};
	const uint8_t *nul, *a;
	size_t ul, cl;

	memset(b, 0, sizeof(*b));
	if (k->mv_size < 7 || k->mv_size > BINDING_KEY_MAX)
		return false;
	nul = memchr(kp + 4, '\0', k->mv_size - 4);
	if (nul == NULL)
		return false;
	ul = (size_t)(nul - (kp + 4));
	cl = k->mv_size - 5 - ul;
	if (ul == 0 || ul >= sizeof(b->user) || cl == 0 || cl >= sizeof(b->contact) ||
		memchr(nul + 1, '\0', cl) != NULL)
		return false;
	b->tenant_id = rd_be32(kp);
	memcpy(b->user, kp + 4, ul);
	memcpy(b->contact, nul + 1, cl);
	if (get_u8(&r) != REC_VERSION)
		return false;
	b->family = (uint8_t)ipver_family(get_u8(&r));
	if ((a = get_bytes(&r, 16)) != NULL)
		memcpy(b->addr, a, 16);
	b->port = get_u16(&r);
	b->expires_at = get_u64(&r);
	b->cseq = get_u32(&r);
	b->q = get_u16(&r);
	get_str(&r, b->call_id, sizeof(b->call_id));
	return !r.bad && r.off == r.n && b->tenant_id != 0 && b->family != 0 && b->q <= 1000;
}

/* --- environment --------------------------------------------------------------------- */

/* mkdir -p: the store directory and any missing parent. */
static int
make_dirs(const char *dir)
{
	char path[4096];
	size_t n = strlen(dir);

	if (n == 0 || n >= sizeof(path))
		return -ENAMETOOLONG;
	memcpy(path, dir, n + 1);
	for (size_t i = 1; i <= n; i++) {
		if (path[i] != '/' && path[i] != '\0')
			continue;
		char c = path[i];

		path[i] = '\0';
		if (mkdir(path, 0750) != 0 && errno != EEXIST)
			return -errno;
		path[i] = c;
	}
	struct stat st;
	if (stat(dir, &st) != 0)
		return -errno;
	if (!S_ISDIR(st.st_mode))
		return -ENOTDIR;
	return 0;
}

static uint64_t
rd_be64(const uint8_t *b)
{
	return (uint64_t)rd_be32(b) << 32 | rd_be32(b + 4);
}

static void
be64(uint8_t *b, uint64_t v)
{
	be32(b, (uint32_t)(v >> 32));
	be32(b + 4, (uint32_t)v);
}

/*
 * The named databases (created unless the environment is read-only) and the next call
 * record id: the last well-formed key + 1. Keys of another length sort anywhere, so the
 * walk back from the end skips them; there is at most a handful of such junk.
 */
static int
open_dbs(struct hl_store *s, MDB_txn *txn, unsigned int flags, const char *dir)
{
	static const char *const names[] = {"tenants", "agents", "bindings", "cdrs"};
	MDB_dbi *dbis[] = {&s->tenants, &s->agents, &s->bindings, &s->cdrs};
	MDB_cursor *cur;
	MDB_val k, v;
	int mrc;

	for (unsigned int i = 0; i < HL_ARRAY_SIZE(names); i++) {
		if ((mrc = mdb_dbi_open(txn, names[i], flags, dbis[i])) == MDB_NOTFOUND) {
			snprintf(open_err, sizeof(open_err),
				"%s: not a hotline store (no \"%s\" database)", dir, names[i]);
			return HL_E_DEPENDENCY;
		}
		if (mrc != 0)
			return lmdb_fail(open_err, mrc, "%s: opening the databases", dir);
	}
	s->cdr_next = 1;
	if ((mrc = mdb_cursor_open(txn, s->cdrs, &cur)) != 0)
		return lmdb_fail(open_err, mrc, "%s: mdb_cursor_open(cdrs)", dir);
	for (mrc = mdb_cursor_get(cur, &k, &v, MDB_LAST); mrc == 0;
		mrc = mdb_cursor_get(cur, &k, &v, MDB_PREV)) {
		if (k.mv_size == 8) {
			s->cdr_next = rd_be64(k.mv_data) + 1;
			break;
		}
	}
	mdb_cursor_close(cur);
	if (mrc != 0 && mrc != MDB_NOTFOUND)
		return lmdb_fail(open_err, mrc, "%s: reading cdrs", dir);
	return 0;
}

/* An open that failed: what it had made undone, hl_errno set, NULL. */
static struct hl_store *
open_fail(struct hl_store *s, int rc)
{
	if (s != NULL && s->env != NULL)
		mdb_env_close(s->env);
	free(s);
	hl_errno = rc;
	return NULL;
}

/* The end of both opens, the environment open: the database handles (created when
 * writer), in a transaction committed, not aborted, since the handles outlive it. */
static struct hl_store *
open_finish(struct hl_store *s, const char *dir, bool writer, int rc)
{
	MDB_txn *txn;
	int mrc;

	if ((mrc = mdb_txn_begin(s->env, NULL, writer ? 0 : MDB_RDONLY, &txn)) != 0) {
		lmdb_fail(open_err, mrc, "%s: mdb_txn_begin", dir);
		return open_fail(s, rc);
	}
	if (open_dbs(s, txn, writer ? MDB_CREATE : 0, dir) != 0) {
		mdb_txn_abort(txn);
		return open_fail(s, rc);
	}
	if ((mrc = mdb_txn_commit(txn)) != 0) {
		lmdb_fail(open_err, mrc, "%s: mdb_txn_commit", dir);
		return open_fail(s, rc);
	}
	return s;
}

struct hl_store *
hl_store_open(const char *dir, uint32_t map_mb)
{
	struct hl_store *s = NULL;
	int rc, mrc, dead;

	open_err[0] = '\0';
	if (dir == NULL || dir[0] == '\0' || map_mb == 0) {
		rc = -EINVAL;
		snprintf(open_err, sizeof(open_err), "store: no directory or a zero map size");
		goto fail;
	}
	if ((rc = make_dirs(dir)) < 0) {
		snprintf(open_err, sizeof(open_err), "%s: cannot create: %s", dir, strerror(-rc));
		goto fail;
	}
	s = calloc(1, sizeof(*s));
	if (s == NULL) {
		rc = -ENOMEM;
		snprintf(open_err, sizeof(open_err), "store: out of memory");
		goto fail;
	}
	rc = HL_E_DEPENDENCY;
	if ((mrc = mdb_env_create(&s->env)) != 0) {
		s->env = NULL;
		lmdb_fail(open_err, mrc, "mdb_env_create");
		goto fail;
	}
	if ((mrc = mdb_env_set_maxdbs(s->env, MAX_DBS)) != 0 ||
		(mrc = mdb_env_set_mapsize(s->env, (size_t)map_mb << 20)) != 0) {
		lmdb_fail(open_err, mrc, "%s: mdb_env_set", dir);
		goto fail;
	}
	/* No fsync per commit: hl_store_sync() once a second bounds the loss to an OS crash's
	 * last second. NOTLS: read transactions are not tied to a thread's slot. */
	mrc = mdb_env_open(s->env, dir, MDB_NOSYNC | MDB_NOMETASYNC | MDB_NOTLS, 0640);
	if (mrc != 0) {
		if (mrc > 0) /* LMDB passes errno values through */
			rc = -mrc;
		lmdb_fail(open_err, mrc, "%s: mdb_env_open", dir);
		goto fail;
	}
	/* Reader slots of a process that died holding a read transaction pin old pages. */
	(void)mdb_reader_check(s->env, &dead);
	return open_finish(s, dir, true, rc);
fail:
	return open_fail(s, rc);
}

struct hl_store *
hl_store_open_readonly(const char *dir)
{
	struct hl_store *s = NULL;
	struct stat st;
	char data[4096];
	int rc, mrc;

	open_err[0] = '\0';
	if (dir == NULL || dir[0] == '\0') {
		rc = -EINVAL;
		snprintf(open_err, sizeof(open_err), "store: no directory");
		goto fail;
	}
	if (stat(dir, &st) != 0) {
		rc = -errno;
		snprintf(open_err, sizeof(open_err), "%s: %s", dir,
			errno == ENOENT ? "no such directory" : strerror(errno));
		goto fail;
	}
	if (!S_ISDIR(st.st_mode)) {
		rc = -ENOTDIR;
		snprintf(open_err, sizeof(open_err), "%s: not a directory", dir);
		goto fail;
	}
	snprintf(data, sizeof(data), "%s/data.mdb", dir);
	if (stat(data, &st) != 0) {
		rc = -errno;
		snprintf(open_err, sizeof(open_err), "%s: %s", dir,
			errno == ENOENT ? "not a store (no data.mdb in it)" : strerror(errno));
		goto fail;
	}
	s = calloc(1, sizeof(*s));
	if (s == NULL) {
		rc = -ENOMEM;
		snprintf(open_err, sizeof(open_err), "store: out of memory");
		goto fail;
	}
	rc = HL_E_DEPENDENCY;
	if ((mrc = mdb_env_create(&s->env)) != 0) {
		s->env = NULL;
		lmdb_fail(open_err, mrc, "mdb_env_create");
		goto fail;
	}
	if ((mrc = mdb_env_set_maxdbs(s->env, MAX_DBS)) != 0) {
		lmdb_fail(open_err, mrc, "%s: mdb_env_set_maxdbs", dir);
		goto fail;
	}
	/* The map size is the writer's, from the file. A reader takes a slot in lock.mdb,
	 * so it needs write access to that file, not to the data. */
	mrc = mdb_env_open(s->env, dir, MDB_RDONLY | MDB_NOTLS, 0640);
	if (mrc != 0) {
		if (mrc > 0)
			rc = -mrc;
		if (mrc == MDB_INVALID || mrc == MDB_VERSION_MISMATCH)
			snprintf(open_err, sizeof(open_err), "%s: not a store: %s", dir,
				mdb_strerror(mrc));
		else
			lmdb_fail(open_err, mrc, "%s: mdb_env_open", dir);
		goto fail;
	}
	return open_finish(s, dir, false, rc);
fail:
	return open_fail(s, rc);
}

void
hl_store_close(struct hl_store *s)
{
	unsigned int flags = 0;

	if (s == NULL)
		return;
	if (mdb_env_get_flags(s->env, &flags) == 0 && !(flags & MDB_RDONLY))
		(void)mdb_env_sync(s->env, 1);
	mdb_env_close(s->env);
	free(s);
}

int
hl_store_sync(struct hl_store *s)
{
	int mrc = mdb_env_sync(s->env, 1);

	return mrc != 0 ? lmdb_fail(s->err, mrc, "mdb_env_sync") : 0;
}

const char *
hl_store_last_error(const struct hl_store *s)
{
	return s != NULL ? s->err : open_err;
}

void
hl_store_stats(const struct hl_store *s, struct hl_store_stats *out)
{
	*out = s->stats;
}

/* --- provisioning -------------------------------------------------------------------- */

/* A binding provisioning deletes, and puts back under new_id unless that is 0. */
struct move {
	uint32_t new_id;
	uint16_t klen, vlen;
	uint8_t key[BINDING_KEY_MAX];
	uint8_t val[256];
};

struct moves {
	struct move *v;
	size_t n, cap;
};

static struct move *
moves_add(struct moves *m)
{
	if (m->n == m->cap) {
		size_t ncap = m->cap ? m->cap * 2 : 64;
		struct move *nv = realloc(m->v, ncap * sizeof(*nv));

		if (nv == NULL)
			return NULL;
		m->v = nv;
		m->cap = ncap;
	}
	return &m->v[m->n++];
}

static const struct hl_tenant *
tenant_named(const struct hl_tenants *t, const char *name)
{
	for (unsigned int i = 0; i < hl_tenants_count(t); i++) {
		const struct hl_tenant *tn = hl_tenants_get(t, i);

		if (strcmp(tn->name, name) == 0)
			return tn;
	}
	return NULL;
}

/*
 * Which bindings must move or go, decided from the tenant names of the records about to
 * be replaced: ids follow file order, names are what the operator means.
 */
static int
plan_bindings(struct hl_store *s, MDB_txn *txn, const struct hl_tenants *t, struct moves *m)
{
	/* old id -> the tenant of t with that old id's name (NULL: gone) */
	const struct hl_tenant **map = calloc(HL_TENANT_MAX + 1, sizeof(*map));
	MDB_cursor *cur = NULL;
	MDB_val k, v;
	int mrc, rc = 0;

	if (map == NULL)
		return -ENOMEM;
	if ((mrc = mdb_cursor_open(txn, s->tenants, &cur)) != 0) {
		rc = lmdb_fail(s->err, mrc, "mdb_cursor_open(tenants)");
		goto fail;
	}
	for (mrc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); mrc == 0;
		mrc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		struct hl_tenant old;

		if (!dec_tenant(&v, &old) || old.id > HL_TENANT_MAX) {
			s->stats.bad_records++;
			continue;
		}
		map[old.id] = tenant_named(t, old.name);
	}
	mdb_cursor_close(cur);
	cur = NULL;
	if (mrc != MDB_NOTFOUND) {
		rc = lmdb_fail(s->err, mrc, "reading tenants");
		goto fail;
	}
	if ((mrc = mdb_cursor_open(txn, s->bindings, &cur)) != 0) {
		rc = lmdb_fail(s->err, mrc, "mdb_cursor_open(bindings)");
		goto fail;
	}
	for (mrc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); mrc == 0;
		mrc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		struct hl_binding b;
		const struct hl_tenant *tn;
		struct move *mv;

		if (!dec_binding(&k, &v, &b) || v.mv_size > sizeof(mv->val)) {
			s->stats.bad_records++;
			continue;
		}
		tn = b.tenant_id <= HL_TENANT_MAX ? map[b.tenant_id] : NULL;
		if (tn != NULL && hl_tenant_agent(tn, b.user, strlen(b.user)) == NULL)
			tn = NULL;
		if (tn != NULL && tn->id == b.tenant_id)
			continue;
		if ((mv = moves_add(m)) == NULL) {
			rc = -ENOMEM;
			goto fail;
		}
		mv->new_id = tn != NULL ? tn->id : 0;
		mv->klen = (uint16_t)k.mv_size;
		mv->vlen = (uint16_t)v.mv_size;
		memcpy(mv->key, k.mv_data, k.mv_size);
		memcpy(mv->val, v.mv_data, v.mv_size);
	}
	if (mrc != MDB_NOTFOUND)
		rc = lmdb_fail(s->err, mrc, "reading bindings");
fail:
	if (cur != NULL)
		mdb_cursor_close(cur);
	free(map);
	return rc;
}

/*
 * Writes v under k unless those bytes are already there. Re-provisioning an unchanged file
 * then writes nothing: LMDB reuses the pages a transaction frees only once no snapshot
 * older than it can be read, two commits later, so rewriting everything at each start
 * would need room for three copies of the tenants in the map.
 */
static int
put_changed(struct hl_store *s, MDB_txn *txn, MDB_dbi dbi, MDB_val *k, MDB_val *v,
	const char *what)
{
	MDB_val old;
	int mrc = mdb_get(txn, dbi, k, &old);

	if (mrc == 0 && old.mv_size == v->mv_size &&
		memcmp(old.mv_data, v->mv_data, v->mv_size) == 0)
		return 0;
	if (mrc != 0 && mrc != MDB_NOTFOUND)
		return lmdb_fail(s->err, mrc, "mdb_get(%s)", what);
	if ((mrc = mdb_put(txn, dbi, k, v, 0)) != 0)
		return lmdb_fail(s->err, mrc, "mdb_put(%s)", what);
	s->stats.records_written++;
	return 0;
}

/* Removes the tenants (agents false) or agents records t no longer has, junk included. */
static int
prune(struct hl_store *s, MDB_txn *txn, MDB_dbi dbi, const struct hl_tenants *t, bool agents)
{
	const char *what = agents ? "agents" : "tenants";
	MDB_cursor *cur;
	MDB_val k, v;
	int mrc;

	if ((mrc = mdb_cursor_open(txn, dbi, &cur)) != 0)
		return lmdb_fail(s->err, mrc, "mdb_cursor_open(%s)", what);
	for (mrc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); mrc == 0;
		mrc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		const uint8_t *kp = k.mv_data;
		const struct hl_tenant *tn =
			k.mv_size >= 4 ? hl_tenants_by_id(t, rd_be32(kp)) : NULL;
		bool keep;

		if (!agents)
			keep = k.mv_size == 4 && tn != NULL;
		else
			keep = k.mv_size > 4 && tn != NULL &&
			       hl_tenant_agent(tn, (const char *)kp + 4, k.mv_size - 4) != NULL;
		if (keep)
			continue;
		/* The cursor then rests on the next record, which MDB_NEXT returns (C_DEL). */
		if ((mrc = mdb_cursor_del(cur, 0)) != 0)
			break;
	}
	mdb_cursor_close(cur);
	if (mrc != MDB_NOTFOUND)
		return lmdb_fail(s->err, mrc, "pruning %s", what);
	return 0;
}

static int
put_tenants(struct hl_store *s, MDB_txn *txn, const struct hl_tenants *t)
{
	uint8_t *buf = malloc(TENANT_REC_MAX);
	int rc = 0;

	if (buf == NULL)
		return -ENOMEM;
	for (unsigned int i = 0; i < hl_tenants_count(t) && rc == 0; i++) {
		const struct hl_tenant *tn = hl_tenants_get(t, i);
		uint8_t kb[4 + HL_TENANT_USER_MAX];
		struct wbuf w = {.p = buf, .cap = TENANT_REC_MAX};
		MDB_val k = {.mv_size = 4, .mv_data = kb}, v;

		be32(kb, tn->id);
		enc_tenant(&w, tn);
		if (w.over) {
			rc = HL_E_TOOBIG;
			snprintf(s->err, sizeof(s->err), "tenant %s: record too large", tn->name);
			break;
		}
		v = (MDB_val){.mv_size = w.n, .mv_data = buf};
		if ((rc = put_changed(s, txn, s->tenants, &k, &v, "tenants")) < 0)
			break;
		for (uint32_t j = 0; j < tn->n_agents; j++) {
			const struct hl_tenant_agent *ag = &tn->agents[j];
			size_t ul = strlen(ag->user);
			uint8_t vb[128];

			w = (struct wbuf){.p = vb, .cap = sizeof(vb)};
			enc_agent(&w, ag);
			if (w.over) {
				rc = HL_E_TOOBIG;
				snprintf(s->err, sizeof(s->err), "agent %s@%s: record too large",
					ag->user, tn->name);
				break;
			}
			memcpy(kb + 4, ag->user, ul);
			k.mv_size = 4 + ul;
			v = (MDB_val){.mv_size = w.n, .mv_data = vb};
			if ((rc = put_changed(s, txn, s->agents, &k, &v, "agents")) < 0)
				break;
		}
	}
	free(buf);
	return rc;
}

int
hl_store_provision(struct hl_store *s, const struct hl_tenants *t)
{
	struct moves m = {0};
	MDB_txn *txn = NULL;
	uint64_t moved = 0, dropped = 0;
	int rc, mrc;

	if ((mrc = mdb_txn_begin(s->env, NULL, 0, &txn)) != 0)
		return lmdb_fail(s->err, mrc, "mdb_txn_begin");
	if ((rc = plan_bindings(s, txn, t, &m)) < 0)
		goto fail;
	if ((rc = prune(s, txn, s->tenants, t, false)) < 0 ||
		(rc = prune(s, txn, s->agents, t, true)) < 0 || (rc = put_tenants(s, txn, t)) < 0)
		goto fail;
	/* Deletes first: a moved binding may land on a key another one is leaving. */
	for (size_t i = 0; i < m.n; i++) {
		MDB_val k = {.mv_size = m.v[i].klen, .mv_data = m.v[i].key};

		if ((mrc = mdb_del(txn, s->bindings, &k, NULL)) != 0) {
			rc = lmdb_fail(s->err, mrc, "mdb_del(bindings)");
			goto fail;
		}
	}
	for (size_t i = 0; i < m.n; i++) {
		MDB_val k = {.mv_size = m.v[i].klen, .mv_data = m.v[i].key};
		MDB_val v = {.mv_size = m.v[i].vlen, .mv_data = m.v[i].val};

		if (m.v[i].new_id == 0) {
			dropped++;
			continue;
		}
		be32(m.v[i].key, m.v[i].new_id);
		if ((mrc = mdb_put(txn, s->bindings, &k, &v, 0)) != 0) {
			rc = lmdb_fail(s->err, mrc, "mdb_put(bindings)");
			goto fail;
		}
		moved++;
	}
	mrc = mdb_txn_commit(txn);
	txn = NULL;
	if (mrc != 0) {
		rc = lmdb_fail(s->err, mrc, "mdb_txn_commit(provision)");
		goto fail;
	}
	s->stats.bindings_moved += moved;
	s->stats.bindings_dropped += dropped;
	free(m.v);
	return 0;
fail:
	if (txn != NULL)
		mdb_txn_abort(txn);
	free(m.v);
	return rc;
}

int
hl_store_tenant_count(struct hl_store *s, unsigned int *n)
{
	MDB_txn *txn;
	MDB_cursor *cur;
	MDB_val k, v;
	int mrc;
	unsigned int count = 0;

	*n = 0;
	if ((mrc = mdb_txn_begin(s->env, NULL, MDB_RDONLY, &txn)) != 0)
		return lmdb_fail(s->err, mrc, "mdb_txn_begin");
	if ((mrc = mdb_cursor_open(txn, s->tenants, &cur)) != 0) {
		mdb_txn_abort(txn);
		return lmdb_fail(s->err, mrc, "mdb_cursor_open(tenants)");
	}
	for (mrc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); mrc == 0;
		mrc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		struct hl_tenant tn;

		if (dec_tenant(&v, &tn))
			count++;
		else
			s->stats.bad_records++;
	}
	mdb_cursor_close(cur);
	mdb_txn_abort(txn);
	if (mrc != MDB_NOTFOUND)
		return lmdb_fail(s->err, mrc, "reading tenants");
	*n = count;
	return 0;
}

/* One record by key from dbi into *v, copied into buf (cap bytes): 0, HL_E_NOTFOUND,
 * HL_E_DEPENDENCY. */
static int
get_one(struct hl_store *s, MDB_dbi dbi, MDB_val *k, MDB_val *v, uint8_t *buf, size_t cap)
{
	MDB_txn *txn;
	int mrc, rc = 0;

	if ((mrc = mdb_txn_begin(s->env, NULL, MDB_RDONLY, &txn)) != 0)
		return lmdb_fail(s->err, mrc, "mdb_txn_begin");
	mrc = mdb_get(txn, dbi, k, v);
	if (mrc == MDB_NOTFOUND) {
		rc = HL_E_NOTFOUND;
	} else if (mrc != 0) {
		rc = lmdb_fail(s->err, mrc, "mdb_get");
	} else if (v->mv_size > cap) {
		s->stats.bad_records++;
		rc = HL_E_NOTFOUND;
	} else {
		memcpy(buf, v->mv_data, v->mv_size);
		v->mv_data = buf;
	}
	mdb_txn_abort(txn);
	return rc;
}

int
hl_store_tenant_get(struct hl_store *s, uint32_t id, struct hl_tenant *out)
{
	uint8_t kb[4], *buf = malloc(TENANT_REC_MAX);
	MDB_val k = {.mv_size = 4, .mv_data = kb}, v;
	int rc;

	if (buf == NULL)
		return -ENOMEM;
	be32(kb, id);
	rc = get_one(s, s->tenants, &k, &v, buf, TENANT_REC_MAX);
	if (rc == 0 && (!dec_tenant(&v, out) || out->id != id)) {
		s->stats.bad_records++;
		rc = HL_E_NOTFOUND;
	}
	free(buf);
	return rc;
}

int
hl_store_agent_get(struct hl_store *s, uint32_t tenant_id, const char *user,
	struct hl_tenant_agent *out)
{
	uint8_t kb[4 + HL_TENANT_USER_MAX], buf[256];
	size_t ul = user != NULL ? strnlen(user, HL_TENANT_USER_MAX) : 0;
	MDB_val k = {.mv_size = 4 + ul, .mv_data = kb}, v;
	int rc;

	if (ul == 0 || ul >= HL_TENANT_USER_MAX)
		return -EINVAL;
	be32(kb, tenant_id);
	memcpy(kb + 4, user, ul);
	rc = get_one(s, s->agents, &k, &v, buf, sizeof(buf));
	if (rc == 0 && !dec_agent(&k, &v, out)) {
		s->stats.bad_records++;
		rc = HL_E_NOTFOUND;
	}
	return rc;
}

/* --- bindings ------------------------------------------------------------------------ */

int
hl_store_binding_put(struct hl_store *s, const struct hl_binding *b)
{
	uint8_t kb[BINDING_KEY_MAX], vb[256];
	size_t klen = binding_key(kb, b->tenant_id, b->user, b->contact);
	size_t cl = strnlen(b->call_id, sizeof(b->call_id));
	struct wbuf w = {.p = vb, .cap = sizeof(vb)};
	MDB_txn *txn;
	MDB_val k, v;
	int mrc;

	if (klen == 0 || cl >= sizeof(b->call_id) || ipver(b->family) == 0 || b->q > 1000)
		return -EINVAL;
	put_u8(&w, REC_VERSION);
	put_u8(&w, ipver(b->family));
	put_bytes(&w, b->addr, 16);
	put_u16(&w, b->port);
	put_u64(&w, b->expires_at);
	put_u32(&w, b->cseq);
	put_u16(&w, b->q);
	put_str(&w, b->call_id);
	if (w.over)
		return -EINVAL;
	k = (MDB_val){.mv_size = klen, .mv_data = kb};
	v = (MDB_val){.mv_size = w.n, .mv_data = vb};
	if ((mrc = mdb_txn_begin(s->env, NULL, 0, &txn)) != 0)
		return lmdb_fail(s->err, mrc, "mdb_txn_begin");
	if ((mrc = mdb_put(txn, s->bindings, &k, &v, 0)) != 0) {
		mdb_txn_abort(txn);
		return lmdb_fail(s->err, mrc, "mdb_put(bindings)");
	}
	if ((mrc = mdb_txn_commit(txn)) != 0)
		return lmdb_fail(s->err, mrc, "mdb_txn_commit(bindings)");
	return 0;
}

int
hl_store_binding_del(struct hl_store *s, uint32_t tenant_id, const char *user,
	const char *contact)
{
	uint8_t kb[BINDING_KEY_MAX];
	size_t klen = contact != NULL ? binding_key(kb, tenant_id, user, contact) : 0;
	MDB_txn *txn;
	MDB_val k = {.mv_size = klen, .mv_data = kb};
	int mrc;

	if (klen == 0)
		return -EINVAL;
	if ((mrc = mdb_txn_begin(s->env, NULL, 0, &txn)) != 0)
		return lmdb_fail(s->err, mrc, "mdb_txn_begin");
	mrc = mdb_del(txn, s->bindings, &k, NULL);
	if (mrc == MDB_NOTFOUND) {
		mdb_txn_abort(txn);
		return HL_E_NOTFOUND;
	}
	if (mrc != 0) {
		mdb_txn_abort(txn);
		return lmdb_fail(s->err, mrc, "mdb_del(bindings)");
	}
	if ((mrc = mdb_txn_commit(txn)) != 0)
		return lmdb_fail(s->err, mrc, "mdb_txn_commit(bindings)");
	return 0;
}

/*
 * Deletes the bindings from prefix (plen bytes; 0: all) on whose record pick() says yes,
 * in one write transaction; returns how many. Keys are collected first and deleted after
 * the walk, so the cursor never steps over a deletion.
 */
static int
del_where(struct hl_store *s, const uint8_t *prefix, size_t plen,
	bool (*pick)(const struct hl_binding *b, uint64_t arg), uint64_t arg)
{
	struct moves m = {0};
	MDB_txn *txn = NULL;
	MDB_cursor *cur = NULL;
	MDB_val k = {.mv_size = plen, .mv_data = (void *)prefix}, v;
	int rc = 0, mrc;

	if ((mrc = mdb_txn_begin(s->env, NULL, 0, &txn)) != 0)
		return lmdb_fail(s->err, mrc, "mdb_txn_begin");
	if ((mrc = mdb_cursor_open(txn, s->bindings, &cur)) != 0) {
		rc = lmdb_fail(s->err, mrc, "mdb_cursor_open(bindings)");
		goto fail;
	}
	for (mrc = mdb_cursor_get(cur, &k, &v, plen ? MDB_SET_RANGE : MDB_FIRST); mrc == 0;
		mrc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		struct hl_binding b;
		struct move *mv;

		if (plen != 0 && (k.mv_size < plen || memcmp(k.mv_data, prefix, plen) != 0))
			break;
		if (!dec_binding(&k, &v, &b)) {
			s->stats.bad_records++;
			continue;
		}
		if (!pick(&b, arg))
			continue;
		if ((mv = moves_add(&m)) == NULL) {
			rc = -ENOMEM;
			goto fail;
		}
		mv->klen = (uint16_t)k.mv_size;
		memcpy(mv->key, k.mv_data, k.mv_size);
	}
	if (mrc != 0 && mrc != MDB_NOTFOUND) {
		rc = lmdb_fail(s->err, mrc, "reading bindings");
		goto fail;
	}
	mdb_cursor_close(cur);
	cur = NULL;
	for (size_t i = 0; i < m.n; i++) {
		MDB_val dk = {.mv_size = m.v[i].klen, .mv_data = m.v[i].key};

		if ((mrc = mdb_del(txn, s->bindings, &dk, NULL)) != 0) {
			rc = lmdb_fail(s->err, mrc, "mdb_del(bindings)");
			goto fail;
		}
	}
	mrc = mdb_txn_commit(txn);
	txn = NULL;
	if (mrc != 0) {
		rc = lmdb_fail(s->err, mrc, "mdb_txn_commit(bindings)");
		goto fail;
	}
	rc = (int)m.n;
fail:
	if (cur != NULL)
		mdb_cursor_close(cur);
	if (txn != NULL)
		mdb_txn_abort(txn);
	free(m.v);
	return rc;
}

static bool
pick_all(const struct hl_binding *b, uint64_t arg)
{
	(void)b;
	(void)arg;
	return true;
}

static bool
pick_expired(const struct hl_binding *b, uint64_t now)
{
	return b->expires_at <= now;
}

int
hl_store_binding_del_aor(struct hl_store *s, uint32_t tenant_id, const char *user)
{
	uint8_t kb[BINDING_KEY_MAX];
	size_t plen = binding_key(kb, tenant_id, user, NULL);

	if (plen == 0)
		return -EINVAL;
	return del_where(s, kb, plen, pick_all, 0);
}

int
hl_store_binding_expire(struct hl_store *s, uint64_t now)
{
	return del_where(s, NULL, 0, pick_expired, now);
}

int
hl_store_bindings_each(struct hl_store *s, hl_store_binding_fn fn, void *ctx)
{
	struct hl_binding *batch = malloc(EACH_BATCH * sizeof(*batch));
	uint8_t last[BINDING_KEY_MAX];
	size_t last_len = 0;
	bool done = false;
	int rc = 0;

	if (batch == NULL)
		return -ENOMEM;
	while (!done && rc == 0) {
		MDB_txn *txn;
		MDB_cursor *cur;
		MDB_val k = {.mv_size = last_len, .mv_data = last}, v;
		unsigned int n = 0;
		int mrc;

		/* Short read transactions: a long one would pin pages the writer wants back. */
		if ((mrc = mdb_txn_begin(s->env, NULL, MDB_RDONLY, &txn)) != 0) {
			rc = lmdb_fail(s->err, mrc, "mdb_txn_begin");
			break;
		}
		if ((mrc = mdb_cursor_open(txn, s->bindings, &cur)) != 0) {
			mdb_txn_abort(txn);
			rc = lmdb_fail(s->err, mrc, "mdb_cursor_open(bindings)");
			break;
		}
		if (last_len == 0) {
			mrc = mdb_cursor_get(cur, &k, &v, MDB_FIRST);
		} else {
			mrc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
			if (mrc == 0 && k.mv_size == last_len &&
				memcmp(k.mv_data, last, last_len) == 0)
				mrc = mdb_cursor_get(cur, &k, &v, MDB_NEXT);
		}
		for (; mrc == 0 && n < EACH_BATCH; mrc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
			if (k.mv_size > sizeof(last) || k.mv_size == 0) {
				s->stats.bad_records++;
				continue;
			}
			memcpy(last, k.mv_data, k.mv_size);
			last_len = k.mv_size;
			if (dec_binding(&k, &v, &batch[n]))
				n++;
			else
				s->stats.bad_records++;
		}
		mdb_cursor_close(cur);
		mdb_txn_abort(txn);
		if (mrc == MDB_NOTFOUND)
			done = true;
		else if (mrc != 0)
			rc = lmdb_fail(s->err, mrc, "reading bindings");
		for (unsigned int i = 0; i < n && rc == 0; i++)
			rc = fn(ctx, &batch[i]);
	}
	free(batch);
	return rc;
}

int
hl_store_raw_put(struct hl_store *s, const char *db, const void *key, size_t klen,
	const void *val, size_t vlen)
{
	MDB_dbi dbi;
	MDB_txn *txn;
	MDB_val k = {.mv_size = klen, .mv_data = (void *)key};
	MDB_val v = {.mv_size = vlen, .mv_data = (void *)val};
	int mrc;

	if (strcmp(db, "tenants") == 0)
		dbi = s->tenants;
	else if (strcmp(db, "agents") == 0)
		dbi = s->agents;
	else if (strcmp(db, "bindings") == 0)
		dbi = s->bindings;
	else if (strcmp(db, "cdrs") == 0)
		dbi = s->cdrs;
	else
		return -EINVAL;
	if ((mrc = mdb_txn_begin(s->env, NULL, 0, &txn)) != 0)
		return lmdb_fail(s->err, mrc, "mdb_txn_begin");
	if ((mrc = mdb_put(txn, dbi, &k, &v, 0)) != 0) {
		mdb_txn_abort(txn);
		return lmdb_fail(s->err, mrc, "mdb_put(%s)", db);
	}
	if ((mrc = mdb_txn_commit(txn)) != 0)
		return lmdb_fail(s->err, mrc, "mdb_txn_commit(%s)", db);
	return 0;
}

/* --- call records -------------------------------------------------------------------- */

/* Records copied out per read transaction by hl_store_cdrs_each(). */
#define CDR_BATCH 64

static const char *const disp_names[HL_CDR_DISP_MAX_] = {
	[HL_CDR_DISP_NONE_] = "unknown",
#define DISP_NAME_(sym, name) [HL_CDR_##sym] = name,
	HL_CDR_FOREACH_DISPOSITION(DISP_NAME_)
#undef DISP_NAME_
};

const char *
hl_store_cdr_disposition_name(unsigned int d)
{
	return d > HL_CDR_DISP_NONE_ && d < HL_CDR_DISP_MAX_ ? disp_names[d] : "unknown";
}

const char *
hl_store_cdr_party_name(unsigned int p)
{
	static const char *const names[] = {"hotline", "customer", "agent"};

	return p < HL_ARRAY_SIZE(names) ? names[p] : "unknown";
}

static void
put_f64(struct wbuf *w, double d)
{
	uint64_t v;

	memcpy(&v, &d, sizeof(v));
	put_u64(w, v);
}

static double
get_f64(struct rbuf *r)
{
	uint64_t v = get_u64(r);
	double d;

	memcpy(&d, &v, sizeof(d));
	if (!isfinite(d))
		r->bad = true;
	return d;
}

/* A string field of struct hl_cdr: its NUL must be inside the array. */
static bool
str_ok(const char *s, size_t cap)
{
	return strnlen(s, cap) < cap;
}

int
hl_store_cdr_encode(const struct hl_cdr *r, uint8_t *buf, size_t cap)
{
	struct wbuf w = {.p = buf, .cap = cap};

	if (!str_ok(r->call_id, sizeof(r->call_id)) || !str_ok(r->tenant, sizeof(r->tenant)) ||
		!str_ok(r->caller_user, sizeof(r->caller_user)) ||
		!str_ok(r->caller_display, sizeof(r->caller_display)) ||
		!str_ok(r->called, sizeof(r->called)) || !str_ok(r->agent, sizeof(r->agent)) ||
		r->disposition == HL_CDR_DISP_NONE_ || r->disposition >= HL_CDR_DISP_MAX_ ||
		r->ended_by > HL_CDR_BY_AGENT ||
		(r->flags & ~(HL_CDR_F_FIGURES_MISSING | HL_CDR_F_REFUSED)) ||
		(r->src_family != 0 && ipver(r->src_family) == 0))
		return -EINVAL;
	put_u8(&w, CDR_VERSION);
	put_u32(&w, r->tenant_id);
	put_u8(&w, r->disposition);
	put_u8(&w, r->ended_by);
	put_u16(&w, r->sip_status);
	put_u8(&w, r->flags);
	put_u8(&w, r->agents_tried);
	put_u64(&w, r->created_ms);
	put_u64(&w, r->answered_ms);
	put_u64(&w, r->ended_ms);
	put_str(&w, r->call_id);
	put_str(&w, r->tenant);
	put_str(&w, r->caller_user);
	put_str(&w, r->caller_display);
	put_str(&w, r->called);
	put_str(&w, r->agent);
	for (unsigned int i = 0; i < 2; i++) {
		const struct hl_cdr_leg *l = &r->leg[i];

		if (l->state > HL_CDR_LEG_MISSING)
			return -EINVAL;
		put_u8(&w, l->state);
		put_u8(&w, l->latched);
		put_u16(&w, l->local_port);
		put_u64(&w, l->rx_packets);
		put_u64(&w, l->rx_bytes);
		put_u64(&w, l->tx_packets);
		put_u64(&w, l->tx_bytes);
		put_u64(&w, (uint64_t)l->lost);
		put_f64(&w, l->loss_pct);
		put_f64(&w, l->jitter_ms);
		put_u32(&w, l->rtt_ms);
		put_f64(&w, l->mos);
		put_u64(&w, l->dtmf);
		put_u64(&w, l->srtp_auth_fail);
		put_u64(&w, l->srtp_replay);
		put_u64(&w, l->wrong_source);
		put_u64(&w, l->ssrc_changes);
		put_u64(&w, l->rtcp_in);
		put_u64(&w, l->rtcp_out);
	}
	put_u8(&w, ipver(r->src_family));
	if (r->src_family != 0)
		put_bytes(&w, r->src_addr, r->src_family == AF_INET ? 4 : 16);
	put_u16(&w, r->src_port);
	if (w.over)
		return HL_E_TOOBIG;
	return (int)w.n;
}

int
hl_store_cdr_decode(const void *buf, size_t len, uint64_t id, struct hl_cdr *out)
{
	struct rbuf r = {.p = buf, .n = len};
	unsigned int flags_ok = HL_CDR_F_FIGURES_MISSING | HL_CDR_F_REFUSED;
	unsigned int disp_max = HL_CDR_DISP_MAX_;
	uint8_t version;

	memset(out, 0, sizeof(*out));
	version = get_u8(&r);
	if (version == CDR_VERSION_1) {
		flags_ok = HL_CDR_F_FIGURES_MISSING;
		disp_max = HL_CDR_SHUTDOWN + 1;
	} else if (version != CDR_VERSION) {
		return HL_E_PARSE;
	}
	out->id = id;
	out->tenant_id = get_u32(&r);
	out->disposition = get_u8(&r);
	out->ended_by = get_u8(&r);
	out->sip_status = get_u16(&r);
	out->flags = get_u8(&r);
	out->agents_tried = get_u8(&r);
	out->created_ms = get_u64(&r);
	out->answered_ms = get_u64(&r);
	out->ended_ms = get_u64(&r);
	get_str(&r, out->call_id, sizeof(out->call_id));
	get_str(&r, out->tenant, sizeof(out->tenant));
	get_str(&r, out->caller_user, sizeof(out->caller_user));
	get_str(&r, out->caller_display, sizeof(out->caller_display));
	get_str(&r, out->called, sizeof(out->called));
	get_str(&r, out->agent, sizeof(out->agent));
	for (unsigned int i = 0; i < 2; i++) {
		struct hl_cdr_leg *l = &out->leg[i];

		l->state = get_u8(&r);
		l->latched = get_u8(&r);
		l->local_port = get_u16(&r);
		l->rx_packets = get_u64(&r);
		l->rx_bytes = get_u64(&r);
		l->tx_packets = get_u64(&r);
		l->tx_bytes = get_u64(&r);
		l->lost = (int64_t)get_u64(&r);
		l->loss_pct = get_f64(&r);
		l->jitter_ms = get_f64(&r);
		l->rtt_ms = get_u32(&r);
		l->mos = get_f64(&r);
		l->dtmf = get_u64(&r);
		l->srtp_auth_fail = get_u64(&r);
		l->srtp_replay = get_u64(&r);
		l->wrong_source = get_u64(&r);
		l->ssrc_changes = get_u64(&r);
		l->rtcp_in = get_u64(&r);
		l->rtcp_out = get_u64(&r);
		if (l->state > HL_CDR_LEG_MISSING)
			r.bad = true;
	}
	if (version >= 2) {
		uint8_t v = get_u8(&r);
		const uint8_t *a;

		out->src_family = (uint8_t)ipver_family(v);
		if (out->src_family == 0 && v != 0)
			r.bad = true;
		if (out->src_family != 0) {
			a = get_bytes(&r, out->src_family == AF_INET ? 4 : 16);
			if (a != NULL)
				memcpy(out->src_addr, a, out->src_family == AF_INET ? 4 : 16);
		}
		out->src_port = get_u16(&r);
	}
	if (r.bad || r.off != r.n || out->disposition == HL_CDR_DISP_NONE_ ||
		out->disposition >= disp_max || out->ended_by > HL_CDR_BY_AGENT ||
		(out->flags & ~flags_ok)) {
		memset(out, 0, sizeof(*out));
		return HL_E_PARSE;
	}
	out->duration_ms = out->ended_ms > out->created_ms ? out->ended_ms - out->created_ms : 0;
	out->talk_ms = out->answered_ms != 0 && out->ended_ms > out->answered_ms ?
			       out->ended_ms - out->answered_ms : 0;
	return 0;
}

int
hl_store_cdr_put(struct hl_store *s, struct hl_cdr *r)
{
	uint8_t kb[8], vb[HL_STORE_CDR_REC_MAX];
	int n = hl_store_cdr_encode(r, vb, sizeof(vb));
	MDB_val k = {.mv_size = sizeof(kb), .mv_data = kb}, v;
	MDB_txn *txn;
	int mrc;

	if (n < 0)
		return n;
	v = (MDB_val){.mv_size = (size_t)n, .mv_data = vb};
	be64(kb, s->cdr_next);
	if ((mrc = mdb_txn_begin(s->env, NULL, 0, &txn)) != 0)
		return lmdb_fail(s->err, mrc, "mdb_txn_begin");
	/* Not MDB_APPEND: a stray key of another length may sort after ours. */
	if ((mrc = mdb_put(txn, s->cdrs, &k, &v, MDB_NOOVERWRITE)) != 0) {
		mdb_txn_abort(txn);
		return lmdb_fail(s->err, mrc, "mdb_put(cdrs)");
	}
	if ((mrc = mdb_txn_commit(txn)) != 0)
		return lmdb_fail(s->err, mrc, "mdb_txn_commit(cdrs)");
	r->id = s->cdr_next++;
	s->stats.cdrs_written++;
	return 0;
}

int
hl_store_cdr_put_many(struct hl_store *s, struct hl_cdr *r, unsigned int n)
{
	uint8_t kb[8], vb[HL_STORE_CDR_REC_MAX];
	MDB_val k = {.mv_size = sizeof(kb), .mv_data = kb}, v;
	MDB_txn *txn;
	uint64_t id = s->cdr_next;
	int mrc;

	for (unsigned int i = 0; i < n; i++)
		r[i].id = 0;
	if (n == 0)
		return 0;
	if ((mrc = mdb_txn_begin(s->env, NULL, 0, &txn)) != 0)
		return lmdb_fail(s->err, mrc, "mdb_txn_begin");
	for (unsigned int i = 0; i < n; i++) {
		int len = hl_store_cdr_encode(&r[i], vb, sizeof(vb));

		if (len < 0)
			continue;
		v = (MDB_val){.mv_size = (size_t)len, .mv_data = vb};
		be64(kb, id);
		if ((mrc = mdb_put(txn, s->cdrs, &k, &v, MDB_NOOVERWRITE)) != 0) {
			mdb_txn_abort(txn);
			goto fail;
		}
		r[i].id = id++;
	}
	if ((mrc = mdb_txn_commit(txn)) != 0)
		goto fail;
	n = (unsigned int)(id - s->cdr_next);
	s->cdr_next = id;
	s->stats.cdrs_written += n;
	return (int)n;
fail:
	for (unsigned int i = 0; i < n; i++)
		r[i].id = 0;
	return lmdb_fail(s->err, mrc, "writing cdrs");
}

int
hl_store_cdr_get(struct hl_store *s, uint64_t id, struct hl_cdr *out)
{
	uint8_t kb[8], buf[HL_STORE_CDR_REC_MAX];
	MDB_val k = {.mv_size = sizeof(kb), .mv_data = kb}, v;
	int rc;

	be64(kb, id);
	rc = get_one(s, s->cdrs, &k, &v, buf, sizeof(buf));
	if (rc == 0 && hl_store_cdr_decode(v.mv_data, v.mv_size, id, out) != 0) {
		s->stats.bad_records++;
		rc = HL_E_NOTFOUND;
	}
	return rc;
}

uint64_t
hl_store_cdr_next_id(const struct hl_store *s)
{
	return s->cdr_next;
}

int
hl_store_cdr_count(struct hl_store *s, uint64_t *n)
{
	MDB_txn *txn;
	MDB_stat st;
	int mrc;

	*n = 0;
	if ((mrc = mdb_txn_begin(s->env, NULL, MDB_RDONLY, &txn)) != 0)
		return lmdb_fail(s->err, mrc, "mdb_txn_begin");
	mrc = mdb_stat(txn, s->cdrs, &st);
	mdb_txn_abort(txn);
	if (mrc != 0)
		return lmdb_fail(s->err, mrc, "mdb_stat(cdrs)");
	*n = st.ms_entries;
	return 0;
}

int
hl_store_cdrs_each(struct hl_store *s, uint64_t from_id, hl_store_cdr_fn fn, void *ctx)
{
	struct hl_cdr *batch = malloc(CDR_BATCH * sizeof(*batch));
	uint8_t from[8];
	bool done = false;
	int rc = 0;

	if (batch == NULL)
		return -ENOMEM;
	be64(from, from_id);
	while (!done && rc == 0) {
		MDB_txn *txn;
		MDB_cursor *cur;
		MDB_val k = {.mv_size = sizeof(from), .mv_data = from}, v;
		unsigned int n = 0;
		int mrc;

		/* Short read transactions: a long one would pin pages the writer wants back. */
		if ((mrc = mdb_txn_begin(s->env, NULL, MDB_RDONLY, &txn)) != 0) {
			rc = lmdb_fail(s->err, mrc, "mdb_txn_begin");
			break;
		}
		if ((mrc = mdb_cursor_open(txn, s->cdrs, &cur)) != 0) {
			mdb_txn_abort(txn);
			rc = lmdb_fail(s->err, mrc, "mdb_cursor_open(cdrs)");
			break;
		}
		for (mrc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE); mrc == 0 && n < CDR_BATCH;
			mrc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
			uint64_t id;

			if (k.mv_size != 8) {
				s->stats.bad_records++;
				continue;
			}
			id = rd_be64(k.mv_data);
			/* The next batch starts after this key. */
			if (id == UINT64_MAX) {
				mrc = MDB_NOTFOUND;
				done = true;
			} else {
				be64(from, id + 1);
			}
			if (hl_store_cdr_decode(v.mv_data, v.mv_size, id, &batch[n]) == 0)
				n++;
			else
				s->stats.bad_records++;
			if (done)
				break;
		}
		mdb_cursor_close(cur);
		mdb_txn_abort(txn);
		if (mrc == MDB_NOTFOUND)
			done = true;
		else if (mrc != 0)
			rc = lmdb_fail(s->err, mrc, "reading cdrs");
		for (unsigned int i = 0; i < n && rc == 0; i++)
			rc = fn(ctx, &batch[i]);
	}
	free(batch);
	return rc;
}

int
hl_store_cdr_prune(struct hl_store *s, uint64_t older_than_ms, uint64_t keep_max,
	unsigned int max_del)
{
	MDB_txn *txn = NULL;
	MDB_cursor *cur = NULL;
	MDB_stat st;
	MDB_val k, v;
	uint64_t over = 0, by_age = 0, n_del;
	int rc = 0, mrc;

	if (max_del == 0 || (older_than_ms == 0 && keep_max == 0))
		return 0;
	if ((mrc = mdb_txn_begin(s->env, NULL, 0, &txn)) != 0)
		return lmdb_fail(s->err, mrc, "mdb_txn_begin");
	if ((mrc = mdb_stat(txn, s->cdrs, &st)) != 0 ||
		(mrc = mdb_cursor_open(txn, s->cdrs, &cur)) != 0) {
		rc = lmdb_fail(s->err, mrc, "pruning cdrs");
		goto fail;
	}
	if (keep_max != 0 && st.ms_entries > keep_max)
		over = st.ms_entries - keep_max;
	/* By age: how far from the oldest the records that ended too long ago reach. Keys
	 * are in write order, so the walk stops at the first one young enough to keep. */
	if (older_than_ms != 0 && over < max_del) {
		uint64_t i = 0;

		for (mrc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); mrc == 0 && i < max_del;
			mrc = mdb_cursor_get(cur, &k, &v, MDB_NEXT), i++) {
			struct hl_cdr r;

			if (k.mv_size != 8 || hl_store_cdr_decode(v.mv_data, v.mv_size, 0, &r) != 0)
				continue;
			if (r.ended_ms >= older_than_ms)
				break;
			by_age = i + 1;
		}
		if (mrc != 0 && mrc != MDB_NOTFOUND) {
			rc = lmdb_fail(s->err, mrc, "reading cdrs");
			goto fail;
		}
	}
	n_del = over > by_age ? over : by_age;
	if (n_del > max_del)
		n_del = max_del;
	if (n_del == 0)
		goto fail; /* nothing to do: abort the empty transaction */
	mrc = mdb_cursor_get(cur, &k, &v, MDB_FIRST);
	for (uint64_t i = 0; i < n_del && mrc == 0; i++) {
		/* The cursor then rests on the next record, which MDB_NEXT returns (C_DEL). */
		if ((mrc = mdb_cursor_del(cur, 0)) != 0)
			break;
		if (i + 1 < n_del)
			mrc = mdb_cursor_get(cur, &k, &v, MDB_NEXT);
	}
	if (mrc != 0) {
		rc = lmdb_fail(s->err, mrc, "pruning cdrs");
		goto fail;
	}
	mdb_cursor_close(cur);
	cur = NULL;
	mrc = mdb_txn_commit(txn);
	txn = NULL;
	if (mrc != 0) {
		rc = lmdb_fail(s->err, mrc, "mdb_txn_commit(cdrs)");
		goto fail;
	}
	s->stats.cdrs_pruned += n_del;
	rc = (int)n_del;
fail:
	if (cur != NULL)
		mdb_cursor_close(cur);
	if (txn != NULL)
		mdb_txn_abort(txn);
	return rc;
}
