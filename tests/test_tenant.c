/* Unit tests for the tenants file (control/tenant.c). */
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>

#include "hl_test.h"
#include "hotline/common.h"
#include "hotline/tenant.h"

#define ERR_MAX 512

static const char good[] =
	"# two tenants\n"
	"[tenant acme]\n"
	"realm = acme.test\n"
	"domains = ACME.test, sip.acme.test\n"
	"dids = +15550100, 15550100, 15550101\n"
	"dids = +15550102   # continues the list\n"
	"trunks = 10.99.0.0/24, fd99::/64\n"
	"trunks = 192.0.2.10\n"
	"max_calls = 100\n"
	"max_cps = 20\r\n"
	"no_answer_s = 12\n"
	"[agent alice@acme]\n"
	"password = secret\n"
	"display = Alice\n"
	"[agent Mufasa@globex]\n"
	"password = Circle Of Life\n"
	"[tenant globex]\n"
	"domains = testrealm@host.com\n";

/* A tenant's agents may come after another tenant's section. */
static const char good2[] =
	"[tenant acme]\n"
	"domains = acme.test, sip.acme.test\n"
	"dtmf_to_agent = suppress   # PCI: card numbers keyed in\n"
	"dtmf_info = rfc4733\n"
	"dids = +15550100, 15550100\n"
	"trunks = 10.99.0.0/24, fd99::/64, 0.0.0.0/0\n"
	"[tenant globex]\n"
	"realm = testrealm@host.com\n"
	"dids = 4930123456\n"
	"[agent zed@acme]\n"
	"password = secret\n"
	"[agent alice@acme]\n"
	"password = secret\n"
	"display = Alice\n"
	"[agent Mufasa@globex]\n"
	"password = Circle Of Life\n"
	"[agent bob@acme]\n"
	"ha1_md5 = 0123456789ABCDEF0123456789abcdef\n";

static struct hl_tenants *
parse(const char *name, const char *text, char *err)
{
	return hl_tenants_parse(name, text, strlen(text), err, ERR_MAX);
}

HL_TEST(parse_error_is_reported)
{
	char err[ERR_MAX];
	struct hl_tenants *t = parse("g.conf", good, err);

	/* [agent Mufasa@globex] comes before [tenant globex]. */
	HL_CHECK(t == NULL);
	HL_CHECK_INT(hl_errno, HL_E_CONFIG);
	HL_CHECK_STR(err, "g.conf:15: [agent Mufasa@globex]: no [tenant globex] above this line");
}

HL_TEST(parses_tenants_and_indexes_them)
{
	char err[ERR_MAX];
	struct hl_tenants *t = parse("g2.conf", good2, err);
	const struct hl_tenant *acme, *globex;

	HL_CHECK_MSG(t != NULL, "%s", err);
	if (t == NULL)
		return;
	HL_CHECK_INT(hl_tenants_count(t), 2);
	acme = hl_tenants_get(t, 0);
	globex = hl_tenants_get(t, 1);
	HL_CHECK(hl_tenants_get(t, 2) == NULL);
	HL_CHECK_INT(acme->id, 1);
	HL_CHECK_INT(globex->id, 2);
	HL_CHECK(hl_tenants_by_id(t, 1) == acme);
	HL_CHECK(hl_tenants_by_id(t, 2) == globex);
	HL_CHECK(hl_tenants_by_id(t, 0) == NULL);
	HL_CHECK(hl_tenants_by_id(t, 3) == NULL);
	HL_CHECK_STR(acme->name, "acme");
	HL_CHECK_STR(acme->realm, "acme.test"); /* the first domain */
	HL_CHECK_STR(globex->realm, "testrealm@host.com");
	HL_CHECK_INT(acme->n_domains, 2);
	HL_CHECK_INT(acme->n_dids, 2);
	HL_CHECK_INT(acme->n_trunks, 3);
	HL_CHECK_INT(acme->max_calls, 0);
	HL_CHECK_INT(acme->no_answer_s, 0);
	HL_CHECK_INT(acme->dtmf_to_agent, HL_TENANT_DTMF_SUPPRESS);
	HL_CHECK_INT(globex->dtmf_to_agent, HL_TENANT_DTMF_RELAY); /* the default */
	HL_CHECK_INT(acme->dtmf_info, HL_TENANT_DTMF_INFO_RFC4733);
	HL_CHECK_INT(globex->dtmf_info, HL_TENANT_DTMF_INFO_AUTO); /* the default */
	HL_CHECK_INT(acme->n_agents, 3);
	HL_CHECK_INT(globex->n_agents, 1);
	HL_CHECK_INT(globex->n_domains, 0);

	/* Domains: case-insensitive, exact length. */
	static const struct {
		const char *host;
		int tenant; /* 0: none */
	} hosts[] = {
		{"acme.test", 1}, {"ACME.TEST", 1}, {"Sip.Acme.Test", 1}, {"acme.tes", 0},
		{"acme.testx", 0}, {"", 0}, {"globex.test", 0},
	};
	for (size_t i = 0; i < HL_ARRAY_SIZE(hosts); i++) {
		const struct hl_tenant *tn = hl_tenants_by_domain(t, hosts[i].host,
			strlen(hosts[i].host));
		HL_CHECK_MSG((tn ? (int)tn->id : 0) == hosts[i].tenant, "host %s", hosts[i].host);
	}
	/* Only len bytes count: a host inside a larger buffer. */
	HL_CHECK(hl_tenants_by_domain(t, "acme.test:5060", 9) == acme);

	/* DIDs: with or without '+', on either side. */
	static const struct {
		const char *user;
		int tenant;
	} users[] = {
		{"+15550100", 1}, {"15550100", 1}, {"4930123456", 2}, {"+4930123456", 2},
		{"1555010", 0}, {"155501000", 0}, {"+", 0}, {"", 0}, {"++15550100", 0},
	};
	for (size_t i = 0; i < HL_ARRAY_SIZE(users); i++) {
		const struct hl_tenant *tn = hl_tenants_by_did(t, users[i].user,
			strlen(users[i].user));
		HL_CHECK_MSG((tn ? (int)tn->id : 0) == users[i].tenant, "did %s", users[i].user);
	}

	/* Agents: file order in agents[], sorted lookups, case-sensitive. */
	HL_CHECK_STR(acme->agents[0].user, "zed");
	HL_CHECK_STR(acme->agents[1].user, "alice");
	HL_CHECK_STR(acme->agents[2].user, "bob");
	for (uint32_t i = 0; i < acme->n_agents; i++)
		HL_CHECK_INT(acme->agents[i].index, i);
	const struct hl_tenant_agent *a = hl_tenant_agent(acme, "alice", 5);
	HL_CHECK(a == &acme->agents[1]);
	HL_CHECK(hl_tenant_agent(acme, "Alice", 5) == NULL);
	HL_CHECK(hl_tenant_agent(acme, "alic", 4) == NULL);
	HL_CHECK(hl_tenant_agent(acme, "alicex", 6) == NULL);
	HL_CHECK(hl_tenant_agent(acme, "zed", 3) == &acme->agents[0]);
	HL_CHECK(hl_tenant_agent(acme, "bob", 3) == &acme->agents[2]);
	HL_CHECK(hl_tenant_agent(globex, "alice", 5) == NULL);
	HL_CHECK_STR(a->display, "Alice");
	HL_CHECK_STR(acme->agents[0].display, "");

	/* HA1 = H(user:realm:password), values from Python's hashlib. */
	HL_CHECK_STR(a->ha1_md5, "62abbcaad5230b08a2a615ebafe2832c");
	HL_CHECK_STR(a->ha1_sha256,
		"660bb2dd53164aeb58e31a5f6518ffaae189eca4254ce438de78979ddfe02fb7");
	const struct hl_tenant_agent *m = hl_tenant_agent(globex, "Mufasa", 6);
	HL_CHECK(m != NULL);
	if (m != NULL) {
		/* RFC 2617 §3.5's example credentials. */
		HL_CHECK_STR(m->ha1_md5, "939e7578ed9e3c518a452acee763bce9");
		HL_CHECK_STR(m->ha1_sha256,
			"3ba6cd94661c5ef34598040c868f13b8775df29109986be50ad35ae537dd3aa4");
	}
	/* A given HA1: lowercased, and only that algorithm. */
	HL_CHECK_STR(acme->agents[2].ha1_md5, "0123456789abcdef0123456789abcdef");
	HL_CHECK_STR(acme->agents[2].ha1_sha256, "");
	hl_tenants_free(t);
}

HL_TEST(trunk_acl)
{
	static const char text[] = "[tenant a]\n"
				   "trunks = 10.99.0.0/24, fd99::/64, 192.0.2.10, 172.16.0.0/12\n"
				   "[tenant b]\n";
	char err[ERR_MAX];
	struct hl_tenants *t = parse("acl.conf", text, err);

	HL_CHECK_MSG(t != NULL, "%s", err);
	if (t == NULL)
		return;
	const struct hl_tenant *a = hl_tenants_get(t, 0), *b = hl_tenants_get(t, 1);
	static const struct {
		const char *ip;
		bool allowed;
	} cases[] = {
		{"10.99.0.1", true}, {"10.99.0.255", true}, {"10.99.1.1", false},
		{"10.98.255.255", false}, {"192.0.2.10", true}, {"192.0.2.11", false},
		{"172.31.255.255", true}, {"172.32.0.0", false}, {"fd99::1", true},
		{"fd99::ffff:ffff:ffff:ffff", true}, {"fd99:0:0:1::1", false},
		{"::ffff:10.99.0.7", true}, {"::ffff:10.100.0.7", false}, {"::10.99.0.7", false},
	};
	for (size_t i = 0; i < HL_ARRAY_SIZE(cases); i++) {
		uint8_t addr[16];
		int af = strchr(cases[i].ip, ':') ? AF_INET6 : AF_INET;

		HL_CHECK(inet_pton(af, cases[i].ip, addr) == 1);
		HL_CHECK_MSG(hl_tenant_trunk_allows(a, af, addr) == cases[i].allowed, "%s",
			cases[i].ip);
		HL_CHECK_MSG(!hl_tenant_trunk_allows(b, af, addr), "%s on b", cases[i].ip);
	}
	uint8_t any[16] = {10, 99, 0, 1};
	HL_CHECK(!hl_tenant_trunk_allows(a, 12345, any));
	HL_CHECK(!hl_tenant_trunk_allows(NULL, AF_INET, any));
	hl_tenants_free(t);

	/* /0 admits everything of its family. */
	t = parse("any.conf", "[tenant a]\ntrunks = 0.0.0.0/0\n", err);
	HL_CHECK_MSG(t != NULL, "%s", err);
	if (t != NULL) {
		uint8_t v6[16] = {0xfd};
		HL_CHECK(hl_tenant_trunk_allows(hl_tenants_get(t, 0), AF_INET, any));
		HL_CHECK(!hl_tenant_trunk_allows(hl_tenants_get(t, 0), AF_INET6, v6));
	}
	hl_tenants_free(t);
}

/* Each bad file and the exact message it must produce, line number included. */
static const struct {
	const char *text;
	const char *want;
} bad[] = {
	{"realm = x\n", "t.conf:1: 'realm' comes before any [section]"},
	{"[tenant]\n", "t.conf:1: [tenant] needs a name: [tenant NAME]"},
	{"[tenant Acme]\n", "t.conf:1: tenant name 'Acme' is not 1-31 of a-z 0-9 _ -"},
	{"[tenant a b]\n", "t.conf:1: tenant name 'a b' is not 1-31 of a-z 0-9 _ -"},
	{"[tenant aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa]\n",
		"t.conf:1: tenant name 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa' is not 1-31 of a-z 0-9 "
		"_ -"},
	{"[tenant a]\n\n[tenant a]\n", "t.conf:3: tenant 'a' is declared twice (first at line 1)"},
	{"[tenant a\n", "t.conf:1: section header must be [tenant NAME] or [agent USER@TENANT]"},
	{"[tenants a]\n", "t.conf:1: unknown section [tenants] (tenant NAME, agent USER@TENANT)"},
	{"[tenant a]\nfoo = 1\n", "t.conf:2: unknown key 'foo' in [tenant] (realm, domains, "
				  "dids, trunks, max_calls, max_cps, no_answer_s, dtmf_to_agent, "
				  "dtmf_info)"},
	{"[tenant a]\ndtmf_info = both\n",
		"t.conf:2: dtmf_info: 'both' is not auto, rfc4733 or info"},
	{"[tenant a]\ndtmf_info = RFC4733\n",
		"t.conf:2: dtmf_info: 'RFC4733' is not auto, rfc4733 or info"},
	{"[tenant a]\ndtmf_info = info\ndtmf_info = auto\n",
		"t.conf:3: 'dtmf_info' is given twice in this section"},
	{"[tenant a]\ndtmf_info =\n", "t.conf:2: dtmf_info: missing value"},
	{"[tenant b]\n[agent a@b]\npassword = x\ndtmf_info = info\n",
		"t.conf:4: unknown key 'dtmf_info' in [agent] (password, ha1_md5, ha1_sha256, "
		"display)"},
	{"[tenant a]\ndtmf_to_agent = mute\n",
		"t.conf:2: dtmf_to_agent: 'mute' is not relay or suppress"},
	{"[tenant a]\ndtmf_to_agent = Suppress\n",
		"t.conf:2: dtmf_to_agent: 'Suppress' is not relay or suppress"},
	{"[tenant a]\ndtmf_to_agent = suppress\ndtmf_to_agent = relay\n",
		"t.conf:3: 'dtmf_to_agent' is given twice in this section"},
	{"[tenant a]\ndtmf_to_agent =\n", "t.conf:2: dtmf_to_agent: missing value"},
	{"[tenant b]\n[agent a@b]\npassword = x\ndtmf_to_agent = suppress\n",
		"t.conf:4: unknown key 'dtmf_to_agent' in [agent] (password, ha1_md5, ha1_sha256, "
		"display)"},
	{"[tenant a]\nrealm = x\nrealm = y\n", "t.conf:3: 'realm' is given twice in this section"},
	{"[tenant a]\nrealm = a\"b\n", "t.conf:2: realm: 'a\"b' holds '\"' or '\\'"},
	{"[tenant a]\nmax_calls = -1\n", "t.conf:2: max_calls: '-1' is not a number"},
	{"[tenant a]\nmax_cps = 1000001\n",
		"t.conf:2: max_cps: 1000001 is out of range 0..1000000"},
	{"[tenant a]\nno_answer_s = 301\n", "t.conf:2: no_answer_s: 301 is out of range 0..300"},
	{"[tenant a]\ndomains = a.test,,b.test\n", "t.conf:2: domains: empty item in the list"},
	{"[tenant a]\ndomains = a.test,\n", "t.conf:2: domains: empty item in the list"},
	{"[tenant a]\ndomains = a_b.test\n",
		"t.conf:2: domains: 'a_b.test' is not a host name or IP address"},
	{"[tenant a]\ndomains = a..test\n",
		"t.conf:2: domains: 'a..test' is not a host name or IP address"},
	{"[tenant a]\ndomains = [fd00::1::2]\n",
		"t.conf:2: domains: '[fd00::1::2]' is not a host name or IP address"},
	{"[tenant a]\ndomains = a.test, A.TEST\n", "t.conf:2: domains: 'a.test' is listed twice"},
	{"[tenant a]\ndomains = x.test\n[tenant b]\ndomains = y.test, X.Test\n",
		"t.conf:4: domain 'x.test' already belongs to tenant a (line 2)"},
	{"[tenant a]\ndids = 12a\n", "t.conf:2: dids: '12a' is not a number ([+]digits)"},
	{"[tenant a]\ndids = +\n", "t.conf:2: dids: '+' is not a number ([+]digits)"},
	{"[tenant a]\ndids = 1, 2, 1\n", "t.conf:2: dids: '1' is listed twice"},
	{"[tenant a]\ndids = 15550100\n[tenant b]\ndids = 1, +15550100\n",
		"t.conf:4: DID '15550100' already belongs to tenant a (line 2)"},
	{"[tenant a]\ndids = 15550100\n[tenant b]\ndids = 2\n[tenant c]\ndids = 2\n"
	 "[tenant d]\ndids = 15550100\n",
		"t.conf:6: DID '2' already belongs to tenant b (line 4)"},
	{"[tenant a]\ntrunks = 10.0.0.0/33\n", "t.conf:2: trunks: 33 is out of range 0..32"},
	{"[tenant a]\ntrunks = 10.0.0.1/24\n",
		"t.conf:2: trunks: '10.0.0.1/24' has bits set below the /24 prefix (network "
		"10.0.0.0/24?)"},
	{"[tenant a]\ntrunks = fd99::1/64\n",
		"t.conf:2: trunks: 'fd99::1/64' has bits set below the /64 prefix (network "
		"fd99::/64?)"},
	{"[tenant a]\ntrunks = 10.0.0.256\n", "t.conf:2: trunks: '10.0.0.256' is not an IPv4 "
					     "address"},
	{"[tenant a]\ntrunks = fd99:::/64\n", "t.conf:2: trunks: 'fd99:::' is not an IPv6 "
					     "address"},
	{"[tenant a]\ntrunks = 10.0.0.0/x\n", "t.conf:2: trunks: 'x' is not a number"},
	{"[tenant a]\ntrunks = /8\n", "t.conf:2: trunks: '/8' is not an IPv4 or IPv6 network"},
	{"[tenant a]\ntrunks = 10.0.0.0/8, 10.0.0.0/8\n",
		"t.conf:2: trunks: '10.0.0.0/8' is listed twice"},
	{"[agent a@b]\n", "t.conf:1: [agent a@b]: no [tenant b] above this line"},
	{"[tenant b]\n[agent a]\n", "t.conf:2: [agent] needs USER@TENANT: [agent alice@acme]"},
	{"[tenant b]\n[agent @b]\n", "t.conf:2: agent user '' is not 1-63 characters"},
	{"[tenant b]\n[agent a:x@b]\n",
		"t.conf:2: agent user 'a:x': ':' is not allowed in a SIP user part unescaped"},
	{"[tenant b]\n[agent a@b]\n", "t.conf:2: [agent a@b] has no password, ha1_md5 or "
				      "ha1_sha256"},
	{"[tenant b]\n[agent a@b]\ndisplay = A\n[agent c@b]\npassword = x\n",
		"t.conf:2: [agent a@b] has no password, ha1_md5 or ha1_sha256"},
	{"[tenant b]\n[agent a@b]\npassword = x\nha1_md5 = 0123456789abcdef0123456789abcdef\n",
		"t.conf:4: ha1_md5: give either password or ha1_md5/ha1_sha256, not both"},
	{"[tenant b]\n[agent a@b]\nha1_md5 = 0123456789abcdef0123456789abcdef\npassword = x\n",
		"t.conf:4: password: give either password or ha1_md5/ha1_sha256, not both"},
	{"[tenant b]\n[agent a@b]\nha1_md5 = 0123\n",
		"t.conf:3: ha1_md5: '0123' is not 32 hex digits"},
	{"[tenant b]\n[agent a@b]\nha1_sha256 = 0123456789abcdef0123456789abcdef\n",
		"t.conf:3: ha1_sha256: '0123456789abcdef0123456789abcdef' is not 64 hex digits"},
	{"[tenant b]\n[agent a@b]\npassword = x\ncolour = red\n",
		"t.conf:4: unknown key 'colour' in [agent] (password, ha1_md5, ha1_sha256, "
		"display)"},
	{"[tenant b]\n[agent a@b]\npassword = x\npassword = y\n",
		"t.conf:4: 'password' is given twice in this section"},
	{"[tenant b]\n[agent a@b]\npassword = x\n[agent c@b]\npassword = x\n[agent a@b]\n"
	 "password = y\n",
		"t.conf:6: agent 'a@b' is declared twice (first at line 2)"},
	{"[tenant b]\n[agent a@b]\npassword = x\ndisplay = \"A\"\n",
		"t.conf:4: display: '\"A\"' holds '\"' or '\\'"},
	{"[tenant b]\nrealm = r\x01\n", "t.conf:2: control character 0x01 in line"},
	{"[tenant b]\njust words\n", "t.conf:2: expected 'key = value' or '[section]', got 'just "
				     "words'"},
	{"[tenant b]\nrealm =\n", "t.conf:2: realm: missing value"},
};

HL_TEST(bad_files_name_file_line_and_problem)
{
	for (size_t i = 0; i < HL_ARRAY_SIZE(bad); i++) {
		char err[ERR_MAX];
		struct hl_tenants *t = parse("t.conf", bad[i].text, err);

		HL_CHECK_MSG(t == NULL && hl_errno == HL_E_CONFIG, "case %zu: accepted", i);
		HL_CHECK_MSG(strcmp(err, bad[i].want) == 0,
			"case %zu:\n  got  '%s'\n  want '%s'", i, err, bad[i].want);
		hl_tenants_free(t);
	}
}

HL_TEST(empty_file_is_an_empty_set)
{
	char err[ERR_MAX];
	struct hl_tenants *t = parse("e.conf", "# nothing yet\n\n", err);

	HL_CHECK_MSG(t != NULL, "%s", err);
	HL_CHECK_INT(hl_tenants_count(t), 0);
	HL_CHECK(hl_tenants_by_domain(t, "a", 1) == NULL);
	HL_CHECK(hl_tenants_by_did(t, "1", 1) == NULL);
	HL_CHECK(hl_tenants_by_id(t, 1) == NULL);
	hl_tenants_free(t);
	hl_tenants_free(NULL);
	HL_CHECK_INT(hl_tenants_count(NULL), 0);
}

/* Appends printf output to a growing buffer. */
struct text {
	char *p;
	size_t n, cap;
};

static void __attribute__((format(printf, 2, 3)))
add(struct text *t, const char *fmt, ...)
{
	va_list ap;
	char line[256];
	int n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (t->n + (size_t)n + 1 > t->cap) {
		t->cap = (t->cap + (size_t)n + 1) * 2;
		t->p = realloc(t->p, t->cap);
		if (t->p == NULL)
			exit(99);
	}
	memcpy(t->p + t->n, line, (size_t)n + 1);
	t->n += (size_t)n;
}

HL_TEST(limits_and_large_sets)
{
	struct text t = {0};
	char err[ERR_MAX];
	struct hl_tenants *set;

	/* HL_TENANT_MAX tenants, the first with HL_TENANT_MAX_AGENTS agents (given HA1s, so
	 * the test does not spend its time hashing) and full lists. */
	add(&t, "[tenant t0]\n");
	for (unsigned int i = 0; i < HL_TENANT_MAX_DOMAINS; i++)
		add(&t, "domains = x%u.d0.test\n", i);
	for (unsigned int i = 0; i < HL_TENANT_MAX_DIDS; i++)
		add(&t, "dids = %u\n", 200000 + i);
	for (unsigned int i = 0; i < HL_TENANT_MAX_TRUNKS; i++)
		add(&t, "trunks = 10.%u.0.0/16\n", i);
	for (unsigned int i = 1; i < HL_TENANT_MAX; i++)
		add(&t, "[tenant t%u]\ndomains = d%u.test\ndids = +%u\n", i, i, 100000 + i);
	for (unsigned int i = 0; i < HL_TENANT_MAX_AGENTS; i++)
		add(&t, "[agent u%u@t0]\nha1_md5 = %032x\n", (i * 7919u) % 100000u, i);
	set = hl_tenants_parse("big.conf", t.p, t.n, err, sizeof(err));
	HL_CHECK_MSG(set != NULL, "%s", err);
	if (set != NULL) {
		const struct hl_tenant *t0 = hl_tenants_get(set, 0);

		HL_CHECK_INT(hl_tenants_count(set), HL_TENANT_MAX);
		HL_CHECK_INT(t0->n_agents, HL_TENANT_MAX_AGENTS);
		for (unsigned int i = 0; i < HL_TENANT_MAX_AGENTS; i++) {
			char u[16];
			int n = snprintf(u, sizeof(u), "u%u", (i * 7919u) % 100000u);
			const struct hl_tenant_agent *a = hl_tenant_agent(t0, u, (size_t)n);

			HL_CHECK_MSG(a != NULL && a->index == i, "agent %s", u);
		}
		for (unsigned int i = 1; i < HL_TENANT_MAX; i++) {
			char d[32], n[32];
			int dl = snprintf(d, sizeof(d), "D%u.TEST", i);
			int nl = snprintf(n, sizeof(n), "%u", 100000 + i);

			HL_CHECK(hl_tenants_by_domain(set, d, (size_t)dl) ==
				hl_tenants_get(set, i));
			HL_CHECK(hl_tenants_by_did(set, n, (size_t)nl) == hl_tenants_get(set, i));
		}
		HL_CHECK(hl_tenants_by_did(set, "200063", 6) == t0);
	}
	hl_tenants_free(set);

	/* One more of each is refused, on its line. */
	static const struct {
		unsigned int max;
		const char *want;
	} over[] = {
		{HL_TENANT_MAX_DOMAINS, "o.conf:18: domains: more than 16 domains in tenant a"},
		{HL_TENANT_MAX_DIDS, "o.conf:66: dids: more than 64 DIDs in tenant a"},
		{HL_TENANT_MAX_TRUNKS, "o.conf:34: trunks: more than 32 networks in tenant a"},
	};
	for (size_t c = 0; c < HL_ARRAY_SIZE(over); c++) {
		t.n = 0;
		add(&t, "[tenant a]\n");
		for (unsigned int i = 0; i <= over[c].max; i++) {
			if (c == 0)
				add(&t, "domains = x%u.test\n", i);
			else if (c == 1)
				add(&t, "dids = %u\n", i);
			else
				add(&t, "trunks = 10.%u.0.0/16\n", i);
		}
		set = hl_tenants_parse("o.conf", t.p, t.n, err, sizeof(err));
		HL_CHECK(set == NULL);
		HL_CHECK_STR(err, over[c].want);
	}
	t.n = 0;
	for (unsigned int i = 0; i <= HL_TENANT_MAX; i++)
		add(&t, "[tenant t%u]\n", i);
	set = hl_tenants_parse("o.conf", t.p, t.n, err, sizeof(err));
	HL_CHECK(set == NULL);
	HL_CHECK_STR(err, "o.conf:257: more than 256 tenants");
	t.n = 0;
	add(&t, "[tenant a]\n");
	for (unsigned int i = 0; i <= HL_TENANT_MAX_AGENTS; i++)
		add(&t, "[agent u%u@a]\nha1_md5 = %032x\n", i, i);
	set = hl_tenants_parse("o.conf", t.p, t.n, err, sizeof(err));
	HL_CHECK(set == NULL);
	HL_CHECK_STR(err, "o.conf:8194: more than 4096 agents in tenant a");
	free(t.p);
}

HL_TEST(truncations_never_crash)
{
	/* Every prefix of a valid file, on a guard page: parse or fail, never over-read. */
	for (size_t n = 0; n <= sizeof(good2) - 1; n++) {
		struct hl_test_guard_buf g = {0};
		const char *p = (const char *)hl_test_guard(&g, good2, n);
		char err[ERR_MAX];
		struct hl_tenants *t = hl_tenants_parse("g.conf", p, n, err, sizeof(err));

		HL_CHECK_MSG(t != NULL || hl_errno == HL_E_CONFIG, "prefix %zu", n);
		hl_tenants_free(t);
		hl_test_guard_free(&g);
	}
}

HL_TEST(load_reports_missing_file)
{
	char err[ERR_MAX];
	struct hl_tenants *t = hl_tenants_load("/nonexistent/tenants.conf", err, sizeof(err));

	HL_CHECK(t == NULL);
	HL_CHECK_INT(hl_errno, -ENOENT);
	HL_CHECK_STR(err, "/nonexistent/tenants.conf: cannot open: No such file or directory");
}

HL_TEST(example_tenants_file_is_valid)
{
	const char *src = getenv("HL_SRCDIR");
	char path[512];
	char err[ERR_MAX];

	if (src == NULL)
		src = ".";
	snprintf(path, sizeof(path), "%s/examples/tenants.conf", src);
	struct hl_tenants *t = hl_tenants_load(path, err, sizeof(err));
	HL_CHECK_MSG(t != NULL, "%s", err);
	if (t == NULL)
		return;
	const struct hl_tenant *acme = hl_tenants_by_domain(t, "acme.test", 9);
	HL_CHECK(acme != NULL && acme->id == 1);
	HL_CHECK(hl_tenants_by_did(t, "15550100", 8) == acme);
	const struct hl_tenant_agent *bob = acme ? hl_tenant_agent(acme, "bob", 3) : NULL;
	HL_CHECK(bob != NULL);
	if (bob != NULL) {
		/* The comment above it says so: sha256sum of "bob:acme.test:bobpass". */
		HL_CHECK_STR(bob->ha1_md5, "");
		HL_CHECK_STR(bob->ha1_sha256,
			"21241614deb7c5685e826183c425b6f9fb37dda7b663c37deb901f20b5bdf804");
	}
	const struct hl_tenant *globex = hl_tenants_by_id(t, 2);
	HL_CHECK(globex != NULL);
	if (globex != NULL)
		HL_CHECK_STR(globex->realm, "globex.test");
	/* The example shows both settings: acme takes card payments, globex relays. */
	HL_CHECK(acme != NULL && acme->dtmf_to_agent == HL_TENANT_DTMF_SUPPRESS);
	HL_CHECK(globex != NULL && globex->dtmf_to_agent == HL_TENANT_DTMF_RELAY);
	hl_tenants_free(t);
}

HL_TEST_MAIN()
