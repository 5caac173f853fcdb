/* Unit tests for the LMDB store (control/store.c), against a real environment in a
 * temporary directory. */
#define _XOPEN_SOURCE 700
#include <arpa/inet.h>
#include <errno.h>
#include <ftw.h>
#include <math.h>
#include <stdio.h>
#include <sys/stat.h>

#include "control/store_priv.h"
#include "hl_test.h"
#include "hotline/common.h"
#include "hotline/store.h"
#include "hotline/tenant.h"

static const char tenants_v1[] = "[tenant acme]\n"
				 "domains = acme.test\n"
				 "dids = +15550100, 15550101\n"
				 "trunks = 10.99.0.0/24, fd99::/64\n"
				 "max_calls = 100\n"
				 "max_cps = 20\n"
				 "no_answer_s = 12\n"
				 "[tenant globex]\n"
				 "realm = globex\n"
				 "[agent alice@acme]\n"
				 "password = secret\n"
				 "display = Alice\n"
				 "[agent bob@acme]\n"
				 "ha1_md5 = 0123456789abcdef0123456789abcdef\n"
				 "[agent carol@globex]\n"
				 "password = x\n";

/* globex now comes first, so ids swap; bob is gone. */
static const char tenants_v2[] = "[tenant globex]\n"
				 "realm = globex\n"
				 "[tenant acme]\n"
				 "domains = acme.test\n"
				 "[agent alice@acme]\n"
				 "password = secret\n"
				 "[agent carol@globex]\n"
				 "password = x\n";

static char tmp_root[64];

static int
rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static void
make_tmp(void)
{
	snprintf(tmp_root, sizeof(tmp_root), "/tmp/hl_store_XXXXXX");
	if (mkdtemp(tmp_root) == NULL) {
		perror("mkdtemp");
		exit(99);
	}
}

static void
drop_tmp(void)
{
	nftw(tmp_root, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static struct hl_tenants *
tenants(const char *text)
{
	char err[512];
	struct hl_tenants *t = hl_tenants_parse("t.conf", text, strlen(text), err, sizeof(err));

	if (t == NULL) {
		fprintf(stderr, "tenants: %s\n", err);
		exit(99);
	}
	return t;
}

static struct hl_binding
binding(uint32_t tenant, const char *user, const char *contact, uint64_t expires)
{
	struct hl_binding b = {
		.tenant_id = tenant,
		.family = AF_INET,
		.addr = {192, 0, 2, 7},
		.port = 5062,
		.expires_at = expires,
		.cseq = 3,
		.q = 1000,
	};

	snprintf(b.user, sizeof(b.user), "%s", user);
	snprintf(b.contact, sizeof(b.contact), "%s", contact);
	snprintf(b.call_id, sizeof(b.call_id), "cid-%.100s", contact);
	return b;
}

struct seen {
	unsigned int n;
	struct hl_binding b[512];
	struct hl_store *del_from; /* delete each binding as it is visited */
	unsigned int stop_after;
};

static int
collect(void *ctx, const struct hl_binding *b)
{
	struct seen *s = ctx;

	if (s->n < HL_ARRAY_SIZE(s->b))
		s->b[s->n] = *b;
	s->n++;
	if (s->del_from != NULL &&
		hl_store_binding_del(s->del_from, b->tenant_id, b->user, b->contact) != 0)
		return -1;
	if (s->stop_after != 0 && s->n == s->stop_after)
		return 42;
	return 0;
}

static const struct hl_binding *
find(const struct seen *s, uint32_t tenant, const char *user, const char *contact)
{
	for (unsigned int i = 0; i < s->n && i < HL_ARRAY_SIZE(s->b); i++)
		if (s->b[i].tenant_id == tenant && strcmp(s->b[i].user, user) == 0 &&
			strcmp(s->b[i].contact, contact) == 0)
			return &s->b[i];
	return NULL;
}

HL_TEST(provision_bindings_and_persistence)
{
	char dir[128];
	struct hl_tenants *t1 = tenants(tenants_v1), *t2 = tenants(tenants_v2);
	struct hl_store *s;
	struct hl_store_stats st;
	static struct seen seen;
	unsigned int n;

	make_tmp();
	/* Two missing levels: open creates them. */
	snprintf(dir, sizeof(dir), "%s/var/store", tmp_root);
	s = hl_store_open(dir, 16);
	HL_CHECK_MSG(s != NULL, "open: %s", hl_store_last_error(NULL));
	if (s == NULL)
		goto out;
	HL_CHECK_INT(hl_store_tenant_count(s, &n), 0);
	HL_CHECK_INT(n, 0);
	HL_CHECK_INT(hl_store_provision(s, t1), 0);
	HL_CHECK_INT(hl_store_tenant_count(s, &n), 0);
	HL_CHECK_INT(n, 2);
	/* 2 tenants and 3 agents; the same file again writes nothing. */
	hl_store_stats(s, &st);
	HL_CHECK_INT(st.records_written, 5);
	HL_CHECK_INT(hl_store_provision(s, t1), 0);
	hl_store_stats(s, &st);
	HL_CHECK_INT(st.records_written, 5);

	/* The provisioned copy reads back field for field. */
	struct hl_tenant tn;
	HL_CHECK_INT(hl_store_tenant_get(s, 1, &tn), 0);
	HL_CHECK_INT(tn.id, 1);
	HL_CHECK_STR(tn.name, "acme");
	HL_CHECK_STR(tn.realm, "acme.test");
	HL_CHECK_INT(tn.max_calls, 100);
	HL_CHECK_INT(tn.max_cps, 20);
	HL_CHECK_INT(tn.no_answer_s, 12);
	HL_CHECK_INT(tn.n_agents, 2);
	HL_CHECK(tn.agents == NULL);
	HL_CHECK_INT(tn.n_domains, 1);
	HL_CHECK_STR(tn.domains[0], "acme.test");
	HL_CHECK_INT(tn.n_dids, 2);
	HL_CHECK_STR(tn.dids[0], "+15550100");
	HL_CHECK_STR(tn.dids[1], "15550101");
	HL_CHECK_INT(tn.n_trunks, 2);
	HL_CHECK_INT(tn.trunks[0].family, AF_INET);
	HL_CHECK_INT(tn.trunks[0].prefix, 24);
	HL_CHECK_MEM(tn.trunks[0].addr, "\x0a\x63\x00\x00", 4);
	HL_CHECK_INT(tn.trunks[1].family, AF_INET6);
	HL_CHECK_INT(tn.trunks[1].prefix, 64);
	HL_CHECK_INT(tn.trunks[1].addr[0], 0xfd);
	HL_CHECK_INT(hl_store_tenant_get(s, 3, &tn), HL_E_NOTFOUND);

	struct hl_tenant_agent ag;
	const struct hl_tenant_agent *alice =
		hl_tenant_agent(hl_tenants_by_id(t1, 1), "alice", 5);
	HL_CHECK_INT(hl_store_agent_get(s, 1, "alice", &ag), 0);
	HL_CHECK_STR(ag.user, "alice");
	HL_CHECK_STR(ag.display, "Alice");
	HL_CHECK_INT(ag.index, 0);
	HL_CHECK_STR(ag.ha1_md5, alice->ha1_md5);
	HL_CHECK_STR(ag.ha1_sha256, alice->ha1_sha256);
	HL_CHECK_INT(hl_store_agent_get(s, 1, "bob", &ag), 0);
	HL_CHECK_INT(ag.index, 1);
	HL_CHECK_STR(ag.ha1_md5, "0123456789abcdef0123456789abcdef");
	HL_CHECK_STR(ag.ha1_sha256, "");
	HL_CHECK_INT(hl_store_agent_get(s, 2, "alice", &ag), HL_E_NOTFOUND);

	/* Bindings: two contacts for alice, one each for bob and carol, then a refresh. */
	struct hl_binding b = binding(1, "alice", "sip:alice@192.0.2.7:5062", 2000);
	HL_CHECK_INT(hl_store_binding_put(s, &b), 0);
	b = binding(1, "alice", "sip:alice@[fd99::7]", 1000);
	b.family = AF_INET6;
	inet_pton(AF_INET6, "fd99::7", b.addr);
	b.q = 500;
	HL_CHECK_INT(hl_store_binding_put(s, &b), 0);
	b = binding(1, "bob", "sip:bob@192.0.2.8", 3000);
	HL_CHECK_INT(hl_store_binding_put(s, &b), 0);
	b = binding(2, "carol", "sip:carol@192.0.2.9", 3000);
	HL_CHECK_INT(hl_store_binding_put(s, &b), 0);
	b = binding(1, "alice", "sip:alice@192.0.2.7:5062", 2500);
	b.cseq = 4;
	HL_CHECK_INT(hl_store_binding_put(s, &b), 0);
	HL_CHECK_INT(hl_store_sync(s), 0);
	hl_store_close(s);

	/* Reopen: everything is still there. */
	s = hl_store_open(dir, 16);
	HL_CHECK_MSG(s != NULL, "reopen: %s", hl_store_last_error(NULL));
	if (s == NULL)
		goto out;
	HL_CHECK_INT(hl_store_tenant_count(s, &n), 0);
	HL_CHECK_INT(n, 2);
	memset(&seen, 0, sizeof(seen));
	HL_CHECK_INT(hl_store_bindings_each(s, collect, &seen), 0);
	HL_CHECK_INT(seen.n, 4);
	const struct hl_binding *got = find(&seen, 1, "alice", "sip:alice@192.0.2.7:5062");
	HL_CHECK(got != NULL);
	if (got != NULL) {
		HL_CHECK_INT(got->cseq, 4);
		HL_CHECK_INT(got->expires_at, 2500);
		HL_CHECK_STR(got->call_id, "cid-sip:alice@192.0.2.7:5062");
		HL_CHECK_INT(got->family, AF_INET);
		HL_CHECK_MEM(got->addr, "\xc0\x00\x02\x07", 4);
		HL_CHECK_INT(got->port, 5062);
		HL_CHECK_INT(got->q, 1000);
	}
	got = find(&seen, 1, "alice", "sip:alice@[fd99::7]");
	HL_CHECK(got != NULL && got->family == AF_INET6 && got->q == 500 && got->addr[0] == 0xfd);

	/* Reordered file: acme is 2 now, globex 1; bob's binding goes with bob. */
	HL_CHECK_INT(hl_store_provision(s, t2), 0);
	hl_store_stats(s, &st);
	HL_CHECK_INT(st.bindings_moved, 3);
	HL_CHECK_INT(st.bindings_dropped, 1);
	memset(&seen, 0, sizeof(seen));
	HL_CHECK_INT(hl_store_bindings_each(s, collect, &seen), 0);
	HL_CHECK_INT(seen.n, 3);
	HL_CHECK(find(&seen, 2, "alice", "sip:alice@192.0.2.7:5062") != NULL);
	HL_CHECK(find(&seen, 2, "alice", "sip:alice@[fd99::7]") != NULL);
	HL_CHECK(find(&seen, 1, "carol", "sip:carol@192.0.2.9") != NULL);
	HL_CHECK(find(&seen, 2, "bob", "sip:bob@192.0.2.8") == NULL);
	HL_CHECK_INT(hl_store_tenant_get(s, 1, &tn), 0);
	HL_CHECK_STR(tn.name, "globex");
	HL_CHECK_INT(hl_store_agent_get(s, 1, "alice", &ag), HL_E_NOTFOUND);
	HL_CHECK_INT(hl_store_agent_get(s, 2, "bob", &ag), HL_E_NOTFOUND);
	/* Provisioning the same file again moves nothing. */
	HL_CHECK_INT(hl_store_provision(s, t2), 0);
	hl_store_stats(s, &st);
	HL_CHECK_INT(st.bindings_moved, 3);

	/* Deletes. */
	HL_CHECK_INT(hl_store_binding_del(s, 2, "alice", "sip:alice@[fd99::7]"), 0);
	HL_CHECK_INT(hl_store_binding_del(s, 2, "alice", "sip:alice@[fd99::7]"), HL_E_NOTFOUND);
	b = binding(2, "al", "sip:al@x", 10);
	HL_CHECK_INT(hl_store_binding_put(s, &b), 0);
	b = binding(2, "alice", "sip:alice@y", 10);
	HL_CHECK_INT(hl_store_binding_put(s, &b), 0);
	/* Contact: * of "al" must not touch "alice" (keys share the prefix "al"). */
	HL_CHECK_INT(hl_store_binding_del_aor(s, 2, "al"), 1);
	HL_CHECK_INT(hl_store_binding_del_aor(s, 2, "al"), 0);
	HL_CHECK_INT(hl_store_binding_del_aor(s, 2, "alice"), 2);
	memset(&seen, 0, sizeof(seen));
	HL_CHECK_INT(hl_store_bindings_each(s, collect, &seen), 0);
	HL_CHECK_INT(seen.n, 1);
	HL_CHECK(find(&seen, 1, "carol", "sip:carol@192.0.2.9") != NULL);
	hl_store_close(s);

	s = hl_store_open(dir, 16);
	HL_CHECK(s != NULL);
	memset(&seen, 0, sizeof(seen));
	HL_CHECK_INT(hl_store_bindings_each(s, collect, &seen), 0);
	HL_CHECK_INT(seen.n, 1);
	hl_store_close(s);
out:
	hl_tenants_free(t1);
	hl_tenants_free(t2);
	drop_tmp();
}

HL_TEST(many_bindings_walk_expire_and_stop)
{
	char dir[128];
	struct hl_tenants *t = tenants(tenants_v1);
	struct hl_store *s;
	static struct seen seen;

	make_tmp();
	snprintf(dir, sizeof(dir), "%s/s", tmp_root);
	s = hl_store_open(dir, 16);
	HL_CHECK(s != NULL);
	if (s == NULL)
		goto out;
	HL_CHECK_INT(hl_store_provision(s, t), 0);
	/* More than one batch of the walk (64), in several AORs. */
	for (unsigned int i = 0; i < 300; i++) {
		char c[64];

		snprintf(c, sizeof(c), "sip:alice-%03u@192.0.2.1", i);
		struct hl_binding b = binding(1, i % 2 ? "alice" : "bob", c, i);
		HL_CHECK_INT(hl_store_binding_put(s, &b), 0);
	}
	memset(&seen, 0, sizeof(seen));
	HL_CHECK_INT(hl_store_bindings_each(s, collect, &seen), 0);
	HL_CHECK_INT(seen.n, 300);
	for (unsigned int i = 1; i < seen.n; i++) {
		/* key order: (tenant, user, contact) */
		int c = strcmp(seen.b[i - 1].user, seen.b[i].user);
		HL_CHECK(c < 0 || (c == 0 && strcmp(seen.b[i - 1].contact, seen.b[i].contact) < 0));
	}
	memset(&seen, 0, sizeof(seen));
	seen.stop_after = 100;
	HL_CHECK_INT(hl_store_bindings_each(s, collect, &seen), 42);
	HL_CHECK_INT(seen.n, 100);

	HL_CHECK_INT(hl_store_binding_expire(s, 99), 100);
	HL_CHECK_INT(hl_store_binding_expire(s, 99), 0);
	/* The walk's callback may write: delete each one as it goes. */
	memset(&seen, 0, sizeof(seen));
	seen.del_from = s;
	HL_CHECK_INT(hl_store_bindings_each(s, collect, &seen), 0);
	HL_CHECK_INT(seen.n, 200);
	memset(&seen, 0, sizeof(seen));
	HL_CHECK_INT(hl_store_bindings_each(s, collect, &seen), 0);
	HL_CHECK_INT(seen.n, 0);
	hl_store_close(s);
out:
	hl_tenants_free(t);
	drop_tmp();
}

/* Builds a tenants file: one tenant, agents a000..a(n-1), those with i % skip == 1 left
 * out (skip 0: none). */
static struct hl_tenants *
many_agents(unsigned int n, unsigned int skip)
{
	size_t cap = 64 + (size_t)n * 64, len = 0;
	char *text = malloc(cap);
	struct hl_tenants *t;

	if (text == NULL)
		exit(99);
	len += (size_t)snprintf(text + len, cap - len, "[tenant acme]\nrealm = r\n");
	for (unsigned int i = 0; i < n; i++)
		if (skip == 0 || i % skip != 1)
			len += (size_t)snprintf(text + len, cap - len,
				"[agent a%03u@acme]\nha1_md5 = %032x\n", i, i);
	t = tenants(text);
	free(text);
	return t;
}

HL_TEST(provision_prunes_removed_agents)
{
	char dir[128];
	struct hl_tenants *all = many_agents(600, 0), *some = many_agents(600, 3);
	struct hl_store *s;
	struct hl_tenant_agent ag;
	struct hl_tenant tn;

	make_tmp();
	snprintf(dir, sizeof(dir), "%s/s", tmp_root);
	s = hl_store_open(dir, 16);
	HL_CHECK(s != NULL);
	if (s == NULL)
		goto out;
	HL_CHECK_INT(hl_store_provision(s, all), 0);
	HL_CHECK_INT(hl_store_provision(s, some), 0);
	for (unsigned int i = 0; i < 600; i++) {
		char u[8];

		snprintf(u, sizeof(u), "a%03u", i);
		int rc = hl_store_agent_get(s, 1, u, &ag);
		HL_CHECK_MSG(rc == (i % 3 == 1 ? HL_E_NOTFOUND : 0), "%s: %d", u, rc);
	}
	HL_CHECK_INT(hl_store_tenant_get(s, 1, &tn), 0);
	HL_CHECK_INT(tn.n_agents, 400);
	/* An empty set empties the store's tenants. */
	HL_CHECK_INT(hl_store_provision(s, NULL), 0);
	unsigned int n = 1;
	HL_CHECK_INT(hl_store_tenant_count(s, &n), 0);
	HL_CHECK_INT(n, 0);
	HL_CHECK_INT(hl_store_agent_get(s, 1, "a000", &ag), HL_E_NOTFOUND);
	hl_store_close(s);
out:
	hl_tenants_free(all);
	hl_tenants_free(some);
	drop_tmp();
}

HL_TEST(bad_records_are_skipped_and_counted)
{
	char dir[128];
	struct hl_tenants *t = tenants(tenants_v1);
	struct hl_store *s;
	struct hl_store_stats st;
	static struct seen seen;
	unsigned int n;

	make_tmp();
	snprintf(dir, sizeof(dir), "%s/s", tmp_root);
	s = hl_store_open(dir, 16);
	HL_CHECK(s != NULL);
	if (s == NULL)
		goto out;
	HL_CHECK_INT(hl_store_provision(s, t), 0);
	struct hl_binding b = binding(1, "alice", "sip:a@b", 100);
	HL_CHECK_INT(hl_store_binding_put(s, &b), 0);

	/* Keys and values that do not decode: short, no separator, another version, ... */
	static const struct {
		const char *db;
		const char *key;
		size_t klen;
		const char *val;
		size_t vlen;
	} junk[] = {
		{"bindings", "\0\0\0\1alice\0sip:z", 15, "\2", 1},
		{"bindings", "\0\0\0\1alice\0sip:y", 15, "\1\4", 2},
		{"bindings", "\0\0\0\1alice", 9, "", 0},
		{"bindings", "\0\0\0\1\0sip:x", 10, "", 0},
		{"bindings", "\0\0\0\1bob\0", 8, "", 0},
		{"bindings", "\0\0\0", 3, "", 0},
		{"tenants", "\0\0\0\11", 4, "\1\0\0", 3},
		{"tenants", "\0\0\0\12", 4, "\7", 1},
		{"agents", "\0\0\0\1zed", 7, "\1", 1},
	};
	for (size_t i = 0; i < HL_ARRAY_SIZE(junk); i++)
		HL_CHECK_INT(hl_store_raw_put(s, junk[i].db, junk[i].key, junk[i].klen, junk[i].val,
				     junk[i].vlen),
			0);
	/* A well-formed binding with a truncated value: every prefix is refused. */
	uint8_t key[] = "\0\0\0\1carol\0sip:c";
	uint8_t val[64];
	size_t vlen = 0;
	val[vlen++] = 1;
	val[vlen++] = 4;
	memset(val + vlen, 0, 16);
	vlen += 16;
	memset(val + vlen, 0, 2 + 8 + 4);
	vlen += 14;
	val[vlen++] = 0xe8; /* q 1000 */
	val[vlen++] = 0x03;
	val[vlen++] = 0; /* call_id "" */
	HL_CHECK_INT(hl_store_raw_put(s, "bindings", key, sizeof(key) - 1, val, vlen), 0);
	memset(&seen, 0, sizeof(seen));
	HL_CHECK_INT(hl_store_bindings_each(s, collect, &seen), 0);
	HL_CHECK_INT(seen.n, 2);
	for (size_t cut = 0; cut < vlen; cut++) {
		HL_CHECK_INT(hl_store_raw_put(s, "bindings", key, sizeof(key) - 1, val, cut), 0);
		memset(&seen, 0, sizeof(seen));
		HL_CHECK_INT(hl_store_bindings_each(s, collect, &seen), 0);
		HL_CHECK_MSG(seen.n == 1, "value cut at %zu accepted", cut);
	}

	hl_store_stats(s, &st);
	HL_CHECK(st.bad_records >= 6);
	HL_CHECK_INT(hl_store_tenant_count(s, &n), 0);
	HL_CHECK_INT(n, 2);
	HL_CHECK_INT(hl_store_tenant_get(s, 9, &(struct hl_tenant){0}), HL_E_NOTFOUND);
	struct hl_tenant_agent ag;
	HL_CHECK_INT(hl_store_agent_get(s, 1, "zed", &ag), HL_E_NOTFOUND);
	/* Provisioning skips the junk too, and replaces the junk tenants. */
	HL_CHECK_INT(hl_store_provision(s, t), 0);
	HL_CHECK_INT(hl_store_tenant_count(s, &n), 0);
	HL_CHECK_INT(n, 2);
	hl_store_close(s);
out:
	hl_tenants_free(t);
	drop_tmp();
}

/*
 * dtmf_to_agent goes into the tenant record (version 2) and reads back; a version-1
 * record, as stores written before the key hold, still reads (as relay), and
 * provisioning rewrites it. A version-2 record cut before the key, or with a value
 * beyond suppress, is refused.
 */
HL_TEST(tenant_record_dtmf_to_agent_and_version_1)
{
	static const char pci[] = "[tenant acme]\n"
				  "domains = acme.test\n"
				  "dtmf_to_agent = suppress\n"
				  "[tenant globex]\n"
				  "dtmf_to_agent = relay\n";
	char dir[128];
	struct hl_tenants *t = tenants(pci), *t1 = tenants(tenants_v1);
	struct hl_store *s;
	struct hl_store_stats st;
	struct hl_tenant tn;
	uint64_t w0;

	make_tmp();
	snprintf(dir, sizeof(dir), "%s/s", tmp_root);
	s = hl_store_open(dir, 16);
	HL_CHECK(s != NULL);
	if (s == NULL)
		goto out;
	HL_CHECK_INT(hl_store_provision(s, t), 0);
	HL_CHECK_INT(hl_store_tenant_get(s, 1, &tn), 0);
	HL_CHECK_STR(tn.name, "acme");
	HL_CHECK_INT(tn.dtmf_to_agent, HL_TENANT_DTMF_SUPPRESS);
	HL_CHECK_INT(hl_store_tenant_get(s, 2, &tn), 0);
	HL_CHECK_INT(tn.dtmf_to_agent, HL_TENANT_DTMF_RELAY);

	/* Version 1, byte for byte as written before: id 1 "acme", realm "acme.test",
	 * max_calls 100, max_cps 20, no_answer_s 12, 0 agents, one domain, no DID, one
	 * trunk 10.99.0.0/24. */
	static const uint8_t v1[] = {1, 1, 0, 0, 0, 4, 'a', 'c', 'm', 'e', 9, 'a', 'c', 'm', 'e',
		'.', 't', 'e', 's', 't', 100, 0, 0, 0, 20, 0, 0, 0, 12, 0, 0, 0, 0, 0, 0, 0, 1, 9,
		'a', 'c', 'm', 'e', '.', 't', 'e', 's', 't', 0, 1, 4, 24, 10, 99, 0, 0};
	HL_CHECK_INT(hl_store_raw_put(s, "tenants", "\0\0\0\1", 4, v1, sizeof(v1)), 0);
	memset(&tn, 0x55, sizeof(tn));
	HL_CHECK_INT(hl_store_tenant_get(s, 1, &tn), 0);
	HL_CHECK_STR(tn.name, "acme");
	HL_CHECK_STR(tn.realm, "acme.test");
	HL_CHECK_INT(tn.max_calls, 100);
	HL_CHECK_INT(tn.no_answer_s, 12);
	HL_CHECK_INT(tn.n_domains, 1);
	HL_CHECK_INT(tn.n_trunks, 1);
	HL_CHECK_INT(tn.trunks[0].prefix, 24);
	HL_CHECK_INT(tn.dtmf_to_agent, HL_TENANT_DTMF_RELAY);
	/* Provisioning the same file over it writes version 2 again. */
	hl_store_stats(s, &st);
	w0 = st.records_written;
	HL_CHECK_INT(hl_store_provision(s, t), 0);
	hl_store_stats(s, &st);
	HL_CHECK(st.records_written > w0);
	HL_CHECK_INT(hl_store_tenant_get(s, 1, &tn), 0);
	HL_CHECK_INT(tn.dtmf_to_agent, HL_TENANT_DTMF_SUPPRESS);

	/* Version 2 without its last octet, or with dtmf_to_agent 2: refused. */
	uint8_t v2[sizeof(v1) + 1];
	memcpy(v2, v1, sizeof(v1));
	v2[0] = 2;
	HL_CHECK_INT(hl_store_raw_put(s, "tenants", "\0\0\0\1", 4, v2, sizeof(v1)), 0);
	HL_CHECK_INT(hl_store_tenant_get(s, 1, &tn), HL_E_NOTFOUND);
	v2[sizeof(v1)] = 2;
	HL_CHECK_INT(hl_store_raw_put(s, "tenants", "\0\0\0\1", 4, v2, sizeof(v2)), 0);
	HL_CHECK_INT(hl_store_tenant_get(s, 1, &tn), HL_E_NOTFOUND);
	v2[sizeof(v1)] = 1;
	HL_CHECK_INT(hl_store_raw_put(s, "tenants", "\0\0\0\1", 4, v2, sizeof(v2)), 0);
	HL_CHECK_INT(hl_store_tenant_get(s, 1, &tn), 0);
	HL_CHECK_INT(tn.dtmf_to_agent, HL_TENANT_DTMF_SUPPRESS);
	/* A version-1 file reads as relay everywhere. */
	HL_CHECK_INT(hl_store_provision(s, t1), 0);
	HL_CHECK_INT(hl_store_tenant_get(s, 1, &tn), 0);
	HL_CHECK_INT(tn.dtmf_to_agent, HL_TENANT_DTMF_RELAY);
	hl_store_close(s);
out:
	hl_tenants_free(t);
	hl_tenants_free(t1);
	drop_tmp();
}

/*
 * dtmf_info goes into the tenant record (version 3) and reads back; a version-2 record
 * reads as auto. A version-3 record cut before the key, or with a value beyond info,
 * is refused.
 */
HL_TEST(tenant_record_dtmf_info_and_version_2)
{
	static const char modes[] = "[tenant acme]\n"
				    "domains = acme.test\n"
				    "dtmf_info = rfc4733\n"
				    "[tenant globex]\n"
				    "dtmf_info = info\n"
				    "[tenant initech]\n";
	static const uint8_t v2[] = {2, 1, 0, 0, 0, 4, 'a', 'c', 'm', 'e', 9, 'a', 'c', 'm', 'e',
		'.', 't', 'e', 's', 't', 100, 0, 0, 0, 20, 0, 0, 0, 12, 0, 0, 0, 0, 0, 0, 0, 1, 9,
		'a', 'c', 'm', 'e', '.', 't', 'e', 's', 't', 0, 1, 4, 24, 10, 99, 0, 0, 1};
	uint8_t v3[sizeof(v2) + 1];
	char dir[128];
	struct hl_tenants *t = tenants(modes);
	struct hl_store *s;
	struct hl_tenant tn;

	make_tmp();
	snprintf(dir, sizeof(dir), "%s/s", tmp_root);
	s = hl_store_open(dir, 16);
	HL_CHECK(s != NULL);
	if (s == NULL)
		goto out;
	HL_CHECK_INT(hl_store_provision(s, t), 0);
	HL_CHECK_INT(hl_store_tenant_get(s, 1, &tn), 0);
	HL_CHECK_INT(tn.dtmf_info, HL_TENANT_DTMF_INFO_RFC4733);
	HL_CHECK_INT(hl_store_tenant_get(s, 2, &tn), 0);
	HL_CHECK_INT(tn.dtmf_info, HL_TENANT_DTMF_INFO_INFO);
	HL_CHECK_INT(hl_store_tenant_get(s, 3, &tn), 0);
	HL_CHECK_INT(tn.dtmf_info, HL_TENANT_DTMF_INFO_AUTO);

	/* Version 2, as written before dtmf_info: auto. */
	HL_CHECK_INT(hl_store_raw_put(s, "tenants", "\0\0\0\1", 4, v2, sizeof(v2)), 0);
	memset(&tn, 0x55, sizeof(tn));
	HL_CHECK_INT(hl_store_tenant_get(s, 1, &tn), 0);
	HL_CHECK_INT(tn.dtmf_to_agent, HL_TENANT_DTMF_SUPPRESS);
	HL_CHECK_INT(tn.dtmf_info, HL_TENANT_DTMF_INFO_AUTO);

	/* Version 3 without its last octet, or with dtmf_info 3: refused. */
	memcpy(v3, v2, sizeof(v2));
	v3[0] = 3;
	HL_CHECK_INT(hl_store_raw_put(s, "tenants", "\0\0\0\1", 4, v3, sizeof(v2)), 0);
	HL_CHECK_INT(hl_store_tenant_get(s, 1, &tn), HL_E_NOTFOUND);
	v3[sizeof(v2)] = 3;
	HL_CHECK_INT(hl_store_raw_put(s, "tenants", "\0\0\0\1", 4, v3, sizeof(v3)), 0);
	HL_CHECK_INT(hl_store_tenant_get(s, 1, &tn), HL_E_NOTFOUND);
	v3[sizeof(v2)] = 2;
	HL_CHECK_INT(hl_store_raw_put(s, "tenants", "\0\0\0\1", 4, v3, sizeof(v3)), 0);
	HL_CHECK_INT(hl_store_tenant_get(s, 1, &tn), 0);
	HL_CHECK_INT(tn.dtmf_info, HL_TENANT_DTMF_INFO_INFO);
	hl_store_close(s);
out:
	hl_tenants_free(t);
	drop_tmp();
}

HL_TEST(bad_arguments_and_errors)
{
	char dir[128], file[128];
	struct hl_store *s;

	make_tmp();
	snprintf(file, sizeof(file), "%s/file", tmp_root);
	FILE *f = fopen(file, "w");
	HL_CHECK(f != NULL);
	if (f != NULL)
		fclose(f);
	/* A file where the directory should be. */
	HL_CHECK(hl_store_open(file, 16) == NULL);
	HL_CHECK_INT(hl_errno, -ENOTDIR);
	HL_CHECK(strstr(hl_store_last_error(NULL), "cannot create") != NULL);
	HL_CHECK(hl_store_open("", 16) == NULL);
	HL_CHECK_INT(hl_errno, -EINVAL);
	hl_store_close(NULL);

	snprintf(dir, sizeof(dir), "%s/s", tmp_root);
	s = hl_store_open(dir, 1);
	HL_CHECK(s != NULL);
	if (s == NULL)
		goto out;
	HL_CHECK_STR(hl_store_last_error(s), "");
	struct hl_binding b = binding(1, "alice", "sip:a@b", 1);
	b.tenant_id = 0;
	HL_CHECK_INT(hl_store_binding_put(s, &b), -EINVAL);
	b = binding(1, "", "sip:a@b", 1);
	HL_CHECK_INT(hl_store_binding_put(s, &b), -EINVAL);
	b = binding(1, "alice", "", 1);
	HL_CHECK_INT(hl_store_binding_put(s, &b), -EINVAL);
	b = binding(1, "alice", "sip:a@b", 1);
	b.family = 0;
	HL_CHECK_INT(hl_store_binding_put(s, &b), -EINVAL);
	b = binding(1, "alice", "sip:a@b", 1);
	b.q = 1001;
	HL_CHECK_INT(hl_store_binding_put(s, &b), -EINVAL);
	b = binding(1, "alice", "sip:a@b", 1);
	memset(b.user, 'u', sizeof(b.user));
	HL_CHECK_INT(hl_store_binding_put(s, &b), -EINVAL);
	b = binding(1, "alice", "sip:a@b", 1);
	memset(b.contact, 'c', sizeof(b.contact));
	HL_CHECK_INT(hl_store_binding_put(s, &b), -EINVAL);
	b = binding(1, "alice", "sip:a@b", 1);
	memset(b.call_id, 'i', sizeof(b.call_id));
	HL_CHECK_INT(hl_store_binding_put(s, &b), -EINVAL);
	HL_CHECK_INT(hl_store_binding_del(s, 1, "alice", NULL), -EINVAL);
	HL_CHECK_INT(hl_store_binding_del_aor(s, 1, ""), -EINVAL);

	/* A 1 MiB map fills: LMDB's reason comes back, with what to change. */
	int rc = 0;
	for (unsigned int i = 0; i < 20000 && rc == 0; i++) {
		char c[256];

		snprintf(c, sizeof(c), "sip:%0200u@192.0.2.1", i);
		b = binding(1, "alice", c, 1);
		rc = hl_store_binding_put(s, &b);
	}
	HL_CHECK_INT(rc, HL_E_DEPENDENCY);
	HL_CHECK_MSG(strstr(hl_store_last_error(s), "MDB_MAP_FULL") != NULL &&
			strstr(hl_store_last_error(s), "store_map_mb") != NULL,
		"%s", hl_store_last_error(s));
	hl_store_close(s);
out:
	drop_tmp();
}

/* ---- call records ---- */

static struct hl_cdr
cdr(unsigned int n, uint64_t ended_ms)
{
	struct hl_cdr r;

	memset(&r, 0, sizeof(r));
	r.tenant_id = 1;
	r.disposition = n % 3 == 0 ? HL_CDR_ANSWERED : HL_CDR_ABANDONED;
	r.ended_by = HL_CDR_BY_CUSTOMER;
	r.sip_status = n % 3 == 0 ? 200 : 487;
	r.agents_tried = 1;
	r.created_ms = ended_ms - 60000;
	r.answered_ms = n % 3 == 0 ? ended_ms - 50000 : 0;
	r.ended_ms = ended_ms;
	snprintf(r.call_id, sizeof(r.call_id), "call-%u@trunk", n);
	snprintf(r.tenant, sizeof(r.tenant), "acme");
	snprintf(r.caller_user, sizeof(r.caller_user), "+4930%u", n);
	snprintf(r.caller_display, sizeof(r.caller_display), "Caller \"%u\"", n);
	snprintf(r.called, sizeof(r.called), "+15550100");
	if (n % 3 == 0)
		snprintf(r.agent, sizeof(r.agent), "alice");
	for (unsigned int i = 0; i < 2; i++) {
		struct hl_cdr_leg *l = &r.leg[i];

		l->state = HL_CDR_LEG_FIGURES;
		l->latched = 1;
		l->local_port = (uint16_t)(20000 + 2 * i);
		l->rx_packets = 1000 + n + i;
		l->rx_bytes = 160 * l->rx_packets;
		l->tx_packets = 999 + n;
		l->tx_bytes = 160 * l->tx_packets;
		l->lost = i ? -2 : 3;
		l->loss_pct = 0.3;
		l->jitter_ms = 1.25;
		l->rtt_ms = 12;
		l->mos = 4.41;
		l->dtmf = i ? 0 : 4;
		l->srtp_auth_fail = 5;
		l->srtp_replay = 6;
		l->wrong_source = 7;
		l->ssrc_changes = 1;
		l->rtcp_in = 11;
		l->rtcp_out = 12;
	}
	/* The trunk it came from: both families, so each round trip covers one. */
	r.src_port = (uint16_t)(5060 + n);
	if (n % 2 == 0) {
		r.src_family = AF_INET;
		inet_pton(AF_INET, "10.99.0.2", r.src_addr);
	} else {
		r.src_family = AF_INET6;
		inet_pton(AF_INET6, "2001:db8::5", r.src_addr);
	}
	return r;
}

static int
cdr_same(const struct hl_cdr *a, const struct hl_cdr *b)
{
	struct hl_cdr x = *a, y = *b;

	/* Derived on decode. */
	x.duration_ms = y.duration_ms = 0;
	x.talk_ms = y.talk_ms = 0;
	return memcmp(&x, &y, sizeof(x)) == 0;
}

struct cdr_seen {
	unsigned int n, stop_at;
	uint64_t ids[4096];
};

static int
collect_cdr(void *ctx, const struct hl_cdr *r)
{
	struct cdr_seen *c = ctx;

	if (c->n < HL_ARRAY_SIZE(c->ids))
		c->ids[c->n] = r->id;
	c->n++;
	return c->stop_at != 0 && c->n == c->stop_at ? 42 : 0;
}

/* Put, get, walk from an id, and the ids carry on after close and reopen. */
HL_TEST(cdr_put_get_walk_reopen)
{
	char dir[128];
	struct hl_store *s;
	static struct cdr_seen seen;
	struct hl_cdr r, got;
	uint64_t n;

	make_tmp();
	snprintf(dir, sizeof(dir), "%s/s", tmp_root);
	s = hl_store_open(dir, 16);
	HL_CHECK(s != NULL);
	if (s == NULL)
		goto out;
	HL_CHECK(hl_store_cdr_next_id(s) == 1);
	for (unsigned int i = 1; i <= 150; i++) {
		r = cdr(i, 1700000000000ull + i * 1000ull);
		HL_CHECK_INT(hl_store_cdr_put(s, &r), 0);
		HL_CHECK_MSG(r.id == i, "record %u got id %llu", i, (unsigned long long)r.id);
	}
	HL_CHECK(hl_store_cdr_next_id(s) == 151);
	r = cdr(42, 1700000000000ull + 42000ull);
	r.id = 42;
	HL_CHECK_INT(hl_store_cdr_get(s, 42, &got), 0);
	HL_CHECK(cdr_same(&r, &got));
	HL_CHECK(got.id == 42 && got.duration_ms == 60000 && got.talk_ms == 50000);
	HL_CHECK_STR(got.caller_display, "Caller \"42\"");
	HL_CHECK(got.leg[1].lost == -2 && got.leg[0].mos == 4.41);
	HL_CHECK_INT(hl_store_cdr_get(s, 151, &got), HL_E_NOTFOUND);
	HL_CHECK_INT(hl_store_cdr_get(s, 0, &got), HL_E_NOTFOUND);
	/* The walk crosses read batches, in id order, from where it is asked to. */
	memset(&seen, 0, sizeof(seen));
	HL_CHECK_INT(hl_store_cdrs_each(s, 0, collect_cdr, &seen), 0);
	HL_CHECK_INT(seen.n, 150);
	for (unsigned int i = 0; i < 150 && i < seen.n; i++)
		HL_CHECK_MSG(seen.ids[i] == i + 1, "walk[%u] = %llu", i,
			(unsigned long long)seen.ids[i]);
	memset(&seen, 0, sizeof(seen));
	HL_CHECK_INT(hl_store_cdrs_each(s, 70, collect_cdr, &seen), 0);
	HL_CHECK_INT(seen.n, 81);
	HL_CHECK(seen.ids[0] == 70 && seen.ids[80] == 150);
	memset(&seen, 0, sizeof(seen));
	HL_CHECK_INT(hl_store_cdrs_each(s, 151, collect_cdr, &seen), 0);
	HL_CHECK_INT(seen.n, 0);
	memset(&seen, 0, sizeof(seen));
	seen.stop_at = 65;
	HL_CHECK_INT(hl_store_cdrs_each(s, 1, collect_cdr, &seen), 42);
	HL_CHECK_INT(seen.n, 65);
	hl_store_close(s);

	/* Reopened: the next record follows the last one written before. */
	s = hl_store_open(dir, 16);
	HL_CHECK(s != NULL);
	if (s == NULL)
		goto out;
	HL_CHECK(hl_store_cdr_next_id(s) == 151);
	r = cdr(151, 1700000151000ull);
	HL_CHECK_INT(hl_store_cdr_put(s, &r), 0);
	HL_CHECK(r.id == 151);
	HL_CHECK_INT(hl_store_cdr_count(s, &n), 0);
	HL_CHECK(n == 151);
	/* Provisioning tenants leaves the records alone. */
	struct hl_tenants *t = tenants(tenants_v1);
	HL_CHECK_INT(hl_store_provision(s, t), 0);
	hl_tenants_free(t);
	HL_CHECK_INT(hl_store_cdr_count(s, &n), 0);
	HL_CHECK(n == 151);
	hl_store_close(s);

	/* Read-only, as hlctl opens it, while a writer has it open. */
	struct hl_store *w = hl_store_open(dir, 16);
	s = hl_store_open_readonly(dir);
	HL_CHECK_MSG(s != NULL, "%s", hl_store_last_error(NULL));
	if (s != NULL && w != NULL) {
		HL_CHECK(hl_store_cdr_next_id(s) == 152);
		r = cdr(152, 1700000152000ull);
		HL_CHECK_INT(hl_store_cdr_put(w, &r), 0);
		HL_CHECK_INT(hl_store_cdr_get(s, 152, &got), 0);
		HL_CHECK_STR(got.call_id, "call-152@trunk");
		r = cdr(153, 1700000153000ull);
		HL_CHECK(hl_store_cdr_put(s, &r) < 0);
	}
	hl_store_close(s);
	hl_store_close(w);
out:
	drop_tmp();
}

/* Retention: by count and by age, a bounded number per call, oldest first. */
HL_TEST(cdr_prune)
{
	char dir[128];
	struct hl_store *s;
	struct hl_store_stats st;
	static struct cdr_seen seen;
	struct hl_cdr r;
	uint64_t n;

	make_tmp();
	snprintf(dir, sizeof(dir), "%s/s", tmp_root);
	s = hl_store_open(dir, 16);
	HL_CHECK(s != NULL);
	if (s == NULL)
		goto out;
	/* Records 1..3000 ended at second 1..3000. */
	for (unsigned int i = 1; i <= 3000; i++) {
		r = cdr(i, i * 1000ull);
		HL_CHECK_INT(hl_store_cdr_put(s, &r), 0);
	}
	HL_CHECK_INT(hl_store_cdr_prune(s, 0, 0, 1000), 0);
	HL_CHECK_INT(hl_store_cdr_prune(s, 0, 5000, 1000), 0);
	/* At most 2500 kept: 500 go. */
	HL_CHECK_INT(hl_store_cdr_prune(s, 0, 2500, 1000), 500);
	HL_CHECK_INT(hl_store_cdr_count(s, &n), 0);
	HL_CHECK(n == 2500);
	memset(&seen, 0, sizeof(seen));
	HL_CHECK_INT(hl_store_cdrs_each(s, 0, collect_cdr, &seen), 0);
	HL_CHECK(seen.n == 2500 && seen.ids[0] == 501);
	/* Ended before second 2800: 501..2799 go, 1000 per call. */
	HL_CHECK_INT(hl_store_cdr_prune(s, 2800000, 0, 1000), 1000);
	HL_CHECK_INT(hl_store_cdr_prune(s, 2800000, 0, 1000), 1000);
	HL_CHECK_INT(hl_store_cdr_prune(s, 2800000, 0, 1000), 299);
	HL_CHECK_INT(hl_store_cdr_prune(s, 2800000, 0, 1000), 0);
	HL_CHECK_INT(hl_store_cdr_get(s, 2799, &r), HL_E_NOTFOUND);
	HL_CHECK_INT(hl_store_cdr_get(s, 2800, &r), 0);
	/* Both limits: the stricter one. */
	HL_CHECK_INT(hl_store_cdr_prune(s, 2900000, 10, 1000), 191);
	HL_CHECK_INT(hl_store_cdr_count(s, &n), 0);
	HL_CHECK(n == 10);
	HL_CHECK_INT(hl_store_cdr_get(s, 2991, &r), 0);
	/* Junk in front is taken away with the old records behind it. */
	uint8_t key[8] = {0, 0, 0, 0, 0, 0, 0, 1};
	HL_CHECK_INT(hl_store_raw_put(s, "cdrs", key, sizeof(key), "\1", 1), 0);
	HL_CHECK_INT(hl_store_cdr_prune(s, 2992000, 0, 1000), 2);
	HL_CHECK_INT(hl_store_cdr_get(s, 2992, &r), 0);
	hl_store_stats(s, &st);
	HL_CHECK(st.cdrs_pruned == 500 + 2299 + 191 + 2);
	/* Ids keep counting after the oldest records went. */
	HL_CHECK(hl_store_cdr_next_id(s) == 3001);
	hl_store_close(s);
out:
	drop_tmp();
}

/* Records that do not decode are skipped and counted; so is every truncation. */
HL_TEST(cdr_bad_records)
{
	char dir[128];
	struct hl_store *s;
	struct hl_store_stats st;
	static struct cdr_seen seen;
	struct hl_cdr r = cdr(3, 1700000000000ull), got;
	uint8_t val[HL_STORE_CDR_REC_MAX];
	int vlen;

	make_tmp();
	snprintf(dir, sizeof(dir), "%s/s", tmp_root);
	s = hl_store_open(dir, 16);
	HL_CHECK(s != NULL);
	if (s == NULL)
		goto out;
	HL_CHECK_INT(hl_store_cdr_put(s, &r), 0);
	vlen = hl_store_cdr_encode(&r, val, sizeof(val));
	HL_CHECK(vlen > 0 && vlen <= HL_STORE_CDR_REC_MAX);
	if (vlen <= 0)
		goto close;
	HL_CHECK_INT(hl_store_cdr_decode(val, (size_t)vlen, 9, &got), 0);
	HL_CHECK(got.id == 9);
	HL_CHECK_INT(hl_store_cdr_encode(&r, val, 10), HL_E_TOOBIG);
	/* Every prefix, a longer value, another version, a bad disposition. */
	uint8_t key[8] = {0, 0, 0, 0, 0, 0, 0, 2};
	vlen = hl_store_cdr_encode(&r, val, sizeof(val));
	for (int cut = 0; cut < vlen; cut += 7) {
		HL_CHECK_INT(hl_store_raw_put(s, "cdrs", key, sizeof(key), val, (size_t)cut), 0);
		HL_CHECK_MSG(hl_store_cdr_get(s, 2, &got) == HL_E_NOTFOUND, "cut at %d", cut);
	}
	val[vlen] = 0;
	HL_CHECK_INT(hl_store_cdr_decode(val, (size_t)vlen + 1, 2, &got), HL_E_PARSE);
	val[0] = 3;
	HL_CHECK_INT(hl_store_cdr_decode(val, (size_t)vlen, 2, &got), HL_E_PARSE);
	val[0] = 0;
	HL_CHECK_INT(hl_store_cdr_decode(val, (size_t)vlen, 2, &got), HL_E_PARSE);
	val[0] = 2;
	val[5] = HL_CDR_DISP_MAX_;
	HL_CHECK_INT(hl_store_cdr_decode(val, (size_t)vlen, 2, &got), HL_E_PARSE);
	val[5] = HL_CDR_ANSWERED;
	HL_CHECK_INT(hl_store_cdr_decode(val, (size_t)vlen, 2, &got), 0);
	/* An unknown flag; a source family that is neither 4 nor 6 (r is id 3: IPv6, so
	 * the family byte is 16 + 2 bytes from the end). */
	val[9] = 4;
	HL_CHECK_INT(hl_store_cdr_decode(val, (size_t)vlen, 2, &got), HL_E_PARSE);
	val[9] = HL_CDR_F_FIGURES_MISSING | HL_CDR_F_REFUSED;
	HL_CHECK_INT(hl_store_cdr_decode(val, (size_t)vlen, 2, &got), 0);
	val[9] = 0;
	HL_CHECK_INT(val[vlen - 19], 6);
	val[vlen - 19] = 5;
	HL_CHECK_INT(hl_store_cdr_decode(val, (size_t)vlen, 2, &got), HL_E_PARSE);
	val[vlen - 19] = 4; /* IPv4 reads 4 address bytes: 12 left over */
	HL_CHECK_INT(hl_store_cdr_decode(val, (size_t)vlen, 2, &got), HL_E_PARSE);
	val[vlen - 19] = 6;
	HL_CHECK_INT(hl_store_cdr_decode(val, (size_t)vlen, 2, &got), 0);
	HL_CHECK(got.src_family == AF_INET6 && got.src_port == 5063);
	r.src_family = 7;
	HL_CHECK_INT(hl_store_cdr_encode(&r, val, sizeof(val)), -EINVAL);
	r.src_family = AF_INET6;
	r.flags = 4;
	HL_CHECK_INT(hl_store_cdr_encode(&r, val, sizeof(val)), -EINVAL);
	r.flags = 0;
	vlen = hl_store_cdr_encode(&r, val, sizeof(val));
	/* A figure that is not a number. */
	struct hl_cdr nan_r = r;
	nan_r.leg[1].mos = NAN;
	vlen = hl_store_cdr_encode(&nan_r, val, sizeof(val));
	HL_CHECK(vlen > 0);
	HL_CHECK_INT(hl_store_cdr_decode(val, (size_t)vlen, 2, &got), HL_E_PARSE);
	/* Stored junk: one under id 2, one with a long key; the walk shows the good ones. */
	HL_CHECK_INT(hl_store_raw_put(s, "cdrs", key, sizeof(key), val, (size_t)vlen), 0);
	HL_CHECK_INT(hl_store_raw_put(s, "cdrs", "\0\0\0\0\0\0\0\1X", 9, "\1", 1), 0);
	/* Reopened, the next id follows the junk too: an id is never given twice. */
	hl_store_close(s);
	s = hl_store_open(dir, 16);
	HL_CHECK(s != NULL);
	if (s == NULL)
		goto out;
	HL_CHECK(hl_store_cdr_next_id(s) == 3);
	r = cdr(4, 1700000001000ull);
	HL_CHECK_INT(hl_store_cdr_put(s, &r), 0);
	HL_CHECK(r.id == 3);
	memset(&seen, 0, sizeof(seen));
	HL_CHECK_INT(hl_store_cdrs_each(s, 0, collect_cdr, &seen), 0);
	HL_CHECK_INT(seen.n, 2);
	HL_CHECK(seen.ids[0] == 1 && seen.ids[1] == 3);
	hl_store_stats(s, &st);
	HL_CHECK(st.bad_records >= 2);
	/* Bad arguments: an unterminated string, an unknown disposition. */
	r = cdr(5, 1700000002000ull);
	memset(r.agent, 'a', sizeof(r.agent));
	HL_CHECK_INT(hl_store_cdr_put(s, &r), -EINVAL);
	r = cdr(5, 1700000002000ull);
	r.disposition = 0;
	HL_CHECK_INT(hl_store_cdr_put(s, &r), -EINVAL);
	r.disposition = HL_CDR_DISP_MAX_;
	HL_CHECK_INT(hl_store_cdr_encode(&r, val, sizeof(val)), -EINVAL);
	HL_CHECK_STR(hl_store_cdr_disposition_name(HL_CDR_MEDIA_TIMEOUT), "media_timeout");
	HL_CHECK_STR(hl_store_cdr_disposition_name(0), "unknown");
	HL_CHECK_STR(hl_store_cdr_party_name(HL_CDR_BY_AGENT), "agent");
close:
	hl_store_close(s);
out:
	drop_tmp();
}

/* A record as version 1 of the layout wrote it (hotline before refused attempts and the
 * source address): answered, ended by the agent, B leg's figures missing. */
static const uint8_t cdr_v1[] = {
	0x01, 0x02, 0x00, 0x00, 0x00, 0x01, 0x02, 0xc8, 0x00, 0x01, 0x01, 0x00,
	0x68, 0xe5, 0xcf, 0x8b, 0x01, 0x00, 0x00, 0xa0, 0x77, 0xe5, 0xcf, 0x8b,
	0x01, 0x00, 0x00, 0x10, 0x8f, 0xe5, 0xcf, 0x8b, 0x01, 0x00, 0x00, 0x08,
	0x76, 0x31, 0x40, 0x74, 0x72, 0x75, 0x6e, 0x6b, 0x04, 0x61, 0x63, 0x6d,
	0x65, 0x08, 0x2b, 0x34, 0x39, 0x33, 0x30, 0x31, 0x32, 0x33, 0x08, 0x43,
	0x75, 0x73, 0x74, 0x6f, 0x6d, 0x65, 0x72, 0x09, 0x2b, 0x31, 0x35, 0x35,
	0x35, 0x30, 0x31, 0x30, 0x30, 0x05, 0x61, 0x6c, 0x69, 0x63, 0x65, 0x01,
	0x01, 0x20, 0x4e, 0x2c, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x80,
	0xbb, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xff,
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x12, 0x40, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x00, 0x22, 0x4e, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00
};

/* Records written before version 2 stay readable, by get and by the walk, with no
 * source; version 1 never held a refused attempt, so those values do not decode in it. */
HL_TEST(cdr_version1_reads)
{
	char dir[128];
	struct hl_store *s;
	struct hl_cdr got, r;
	static struct cdr_seen seen;
	uint8_t key[8] = {0, 0, 0, 0, 0, 0, 0, 1}, val[sizeof(cdr_v1)];

	HL_CHECK_INT(hl_store_cdr_decode(cdr_v1, sizeof(cdr_v1), 7, &got), 0);
	HL_CHECK(got.id == 7 && got.tenant_id == 2);
	HL_CHECK_INT(got.disposition, HL_CDR_ANSWERED);
	HL_CHECK_INT(got.ended_by, HL_CDR_BY_AGENT);
	HL_CHECK_INT(got.sip_status, 200);
	HL_CHECK_INT(got.flags, HL_CDR_F_FIGURES_MISSING);
	HL_CHECK(got.created_ms == 1700000000000ull && got.answered_ms == 1700000004000ull);
	HL_CHECK(got.duration_ms == 10000 && got.talk_ms == 6000);
	HL_CHECK_STR(got.call_id, "v1@trunk");
	HL_CHECK_STR(got.tenant, "acme");
	HL_CHECK_STR(got.caller_user, "+4930123");
	HL_CHECK_STR(got.caller_display, "Customer");
	HL_CHECK_STR(got.called, "+15550100");
	HL_CHECK_STR(got.agent, "alice");
	HL_CHECK_INT(got.leg[0].state, HL_CDR_LEG_FIGURES);
	HL_CHECK(got.leg[0].rx_packets == 300 && got.leg[0].lost == -1 && got.leg[0].mos == 4.5);
	HL_CHECK_INT(got.leg[1].state, HL_CDR_LEG_MISSING);
	HL_CHECK_INT(got.leg[1].local_port, 20002);
	HL_CHECK_INT(got.src_family, 0);
	HL_CHECK_INT(got.src_port, 0);
	memcpy(val, cdr_v1, sizeof(val));
	val[5] = HL_CDR_NO_ROUTE;
	HL_CHECK_INT(hl_store_cdr_decode(val, sizeof(val), 7, &got), HL_E_PARSE);
	val[5] = HL_CDR_SHUTDOWN;
	HL_CHECK_INT(hl_store_cdr_decode(val, sizeof(val), 7, &got), 0);
	val[9] = HL_CDR_F_REFUSED;
	HL_CHECK_INT(hl_store_cdr_decode(val, sizeof(val), 7, &got), HL_E_PARSE);

	make_tmp();
	snprintf(dir, sizeof(dir), "%s/s", tmp_root);
	s = hl_store_open(dir, 16);
	HL_CHECK(s != NULL);
	if (s == NULL)
		goto out;
	/* An old store: its record under id 1, then one written now follows it. */
	HL_CHECK_INT(hl_store_raw_put(s, "cdrs", key, sizeof(key), cdr_v1, sizeof(cdr_v1)), 0);
	hl_store_close(s);
	s = hl_store_open(dir, 16);
	HL_CHECK(s != NULL);
	if (s == NULL)
		goto out;
	r = cdr(4, 1700000020000ull);
	HL_CHECK_INT(hl_store_cdr_put(s, &r), 0);
	HL_CHECK(r.id == 2);
	HL_CHECK_INT(hl_store_cdr_get(s, 1, &got), 0);
	HL_CHECK_STR(got.call_id, "v1@trunk");
	HL_CHECK_INT(hl_store_cdr_get(s, 2, &got), 0);
	HL_CHECK(cdr_same(&r, &got));
	memset(&seen, 0, sizeof(seen));
	HL_CHECK_INT(hl_store_cdrs_each(s, 0, collect_cdr, &seen), 0);
	HL_CHECK_INT(seen.n, 2);
	hl_store_close(s);
out:
	drop_tmp();
}

/* A batch in one transaction: consecutive ids, a record that does not encode skipped. */
HL_TEST(cdr_put_many)
{
	char dir[128];
	struct hl_store *s;
	struct hl_store_stats st;
	struct hl_cdr rs[5], got;
	uint64_t n;

	make_tmp();
	snprintf(dir, sizeof(dir), "%s/s", tmp_root);
	s = hl_store_open(dir, 16);
	HL_CHECK(s != NULL);
	if (s == NULL)
		goto out;
	HL_CHECK_INT(hl_store_cdr_put_many(s, rs, 0), 0);
	for (unsigned int i = 0; i < HL_ARRAY_SIZE(rs); i++) {
		rs[i] = cdr(i, 1700000000000ull + i);
		/* refused attempts, as signalling writes them */
		rs[i].disposition = (uint8_t)(HL_CDR_NO_ROUTE + i % 4);
		rs[i].flags = HL_CDR_F_REFUSED;
		rs[i].sip_status = 404;
		rs[i].answered_ms = 0;
		rs[i].created_ms = rs[i].ended_ms;
		memset(rs[i].agent, 0, sizeof(rs[i].agent));
		memset(rs[i].leg, 0, sizeof(rs[i].leg));
	}
	rs[2].disposition = 0;
	HL_CHECK_INT(hl_store_cdr_put_many(s, rs, HL_ARRAY_SIZE(rs)), 4);
	HL_CHECK(rs[0].id == 1 && rs[1].id == 2 && rs[2].id == 0 && rs[3].id == 3 &&
		rs[4].id == 4);
	HL_CHECK(hl_store_cdr_next_id(s) == 5);
	HL_CHECK_INT(hl_store_cdr_count(s, &n), 0);
	HL_CHECK(n == 4);
	HL_CHECK_INT(hl_store_cdr_get(s, 3, &got), 0);
	HL_CHECK(cdr_same(&rs[3], &got));
	HL_CHECK_STR(hl_store_cdr_disposition_name(got.disposition), "tenant_busy");
	HL_CHECK_INT(hl_store_cdr_get(s, 4, &got), 0);
	HL_CHECK_STR(hl_store_cdr_disposition_name(got.disposition), "no_route");
	HL_CHECK_INT(got.flags, HL_CDR_F_REFUSED);
	HL_CHECK(got.src_family == AF_INET && got.src_port == 5064);
	HL_CHECK(got.duration_ms == 0 && got.talk_ms == 0);
	hl_store_stats(s, &st);
	HL_CHECK(st.cdrs_written == 4);
	hl_store_close(s);
out:
	drop_tmp();
}

/* What hlctl gets when the directory is not a store. */
HL_TEST(cdr_readonly_errors)
{
	char dir[128], file[160];
	struct hl_store *s;

	make_tmp();
	snprintf(dir, sizeof(dir), "%s/none", tmp_root);
	HL_CHECK(hl_store_open_readonly(dir) == NULL);
	HL_CHECK_INT(hl_errno, -ENOENT);
	HL_CHECK(strstr(hl_store_last_error(NULL), "no such directory") != NULL);
	/* The read-only open never creates it. */
	struct stat stt;
	HL_CHECK(stat(dir, &stt) != 0);
	HL_CHECK(hl_store_open_readonly(tmp_root) == NULL);
	HL_CHECK_INT(hl_errno, -ENOENT);
	HL_CHECK(strstr(hl_store_last_error(NULL), "not a store") != NULL);
	snprintf(file, sizeof(file), "%s/data.mdb", tmp_root);
	FILE *f = fopen(file, "w");
	HL_CHECK(f != NULL);
	if (f != NULL) {
		fputs("this is not an LMDB file, not even close to one, at all\n", f);
		fclose(f);
	}
	HL_CHECK(hl_store_open_readonly(tmp_root) == NULL);
	HL_CHECK_MSG(strstr(hl_store_last_error(NULL), "not a store") != NULL, "%s",
		hl_store_last_error(NULL));
	HL_CHECK(hl_store_open_readonly(file) == NULL);
	HL_CHECK_INT(hl_errno, -ENOTDIR);
	snprintf(dir, sizeof(dir), "%s/s", tmp_root);
	s = hl_store_open(dir, 16);
	HL_CHECK(s != NULL);
	hl_store_close(s);
	s = hl_store_open_readonly(dir);
	HL_CHECK(s != NULL);
	if (s != NULL)
		HL_CHECK(hl_store_cdr_next_id(s) == 1);
	hl_store_close(s);
	drop_tmp();
}

HL_TEST_MAIN()
