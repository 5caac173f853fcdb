/*
 * Registrar (RFC 3261 §10.3) with digest authentication (RFC 7616, RFC 8760), and
 * the agents' availability that the B2BUA routes on. Bindings live in memory for
 * routing and in LMDB (hotline/store.h) for restarts: each change is written
 * through, and hl_sig_create() loads them back.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "hotline/common.h"
#include "control/sig_priv.h"

#define REG_DEFAULT_EXPIRES 3600
#define REG_MAX_EXPIRES 3600
#define REG_MIN_EXPIRES 60
#define REG_MAX_CONTACTS 8

struct sig_tenant *
sig_tenant_of(struct hl_sig *s, const struct hl_tenant *t)
{
	for (unsigned int i = 0; i < s->nts; i++)
		if (s->ts[i].cfg == t)
			return &s->ts[i];
	return NULL;
}

/* ---- agents: the idle FIFO is the routing order (longest idle first) ---- */

static void
idle_remove(struct sig_agent *a)
{
	struct sig_tenant *t = a->tenant;

	if (!a->in_idle)
		return;
	if (a->iprev)
		a->iprev->inext = a->inext;
	else
		t->idle_head = a->inext;
	if (a->inext)
		a->inext->iprev = a->iprev;
	else
		t->idle_tail = a->iprev;
	a->inext = a->iprev = NULL;
	a->in_idle = false;
}

static void
idle_append(struct sig_agent *a)
{
	struct sig_tenant *t = a->tenant;

	if (a->in_idle)
		return;
	a->iprev = t->idle_tail;
	a->inext = NULL;
	if (t->idle_tail)
		t->idle_tail->inext = a;
	else
		t->idle_head = a;
	t->idle_tail = a;
	a->in_idle = true;
}

void
sig_agent_set_idle(struct hl_sig *s, struct sig_agent *a)
{
	a->call = NULL;
	if (a->nbindings == 0) {
		if (a->state != AGENT_OFFLINE)
			s->st.agents_registered--;
		idle_remove(a);
		a->state = AGENT_OFFLINE;
		return;
	}
	if (a->state == AGENT_OFFLINE)
		s->st.agents_registered++;
	if (a->state != AGENT_IDLE) {
		a->state = AGENT_IDLE;
		a->idle_since_ms = s->now_ms;
		idle_append(a);
	}
}

void
sig_agent_set_busy(struct hl_sig *s, struct sig_agent *a, uint8_t state)
{
	(void)s;
	idle_remove(a);
	a->state = state;
}

/* ---- bindings ---- */

static void binding_expire(struct hl_timer *tm, void *arg);
static void qualify_fire(struct hl_timer *tm, void *arg);

static void
binding_unlink(struct hl_sig *s, struct sig_binding *b, bool persist)
{
	struct sig_agent *a = b->agent;

	for (struct sig_binding **pp = &a->bindings; *pp != NULL; pp = &(*pp)->next) {
		if (*pp == b) {
			*pp = b->next;
			break;
		}
	}
	hl_timer_cancel(s->wheel, &b->t_expire);
	hl_timer_cancel(s->wheel, &b->t_qualify);
	if (b->qtxn != NULL)
		b->qtxn->qbind = NULL;
	if (persist && s->store != NULL)
		hl_store_binding_del(s->store, b->b.tenant_id, b->b.user, b->b.contact);
	a->nbindings--;
	s->st.bindings--;
	free(b);
	if (a->nbindings == 0 && a->state == AGENT_IDLE)
		sig_agent_set_idle(s, a);
}

static void
binding_expire(struct hl_timer *tm, void *arg)
{
	struct sig_binding *b = arg;
	struct hl_sig *s = b->agent->tenant->sig;

	(void)tm;
	sig_count(s, HL_SIG_CTR_REG_EXPIRED);
	binding_unlink(s, b, true);
}

/*
 * Qualify (keepalive): OPTIONS to each binding every [sip] qualify_s. Any response
 * means the phone is there (405 or 501 too). Two unanswered in a row (Timer F each,
 * 64*T1) and the binding goes: a dead phone is not offered calls until its
 * registration would have expired. The probe also keeps a NAT binding open.
 */
static void
qualify_resp(struct hl_sig *s, struct sig_txn *t, const uint8_t *buf, const struct hl_sip_msg *m,
	int status)
{
	struct sig_binding *b = t->qbind;

	(void)buf;
	(void)m;
	if (b == NULL || status < 200)
		return;
	b->qtxn = NULL;
	t->qbind = NULL;
	if (status != 408) {
		b->qfail = 0;
		return;
	}
	sig_count(s, HL_SIG_CTR_QUALIFY_FAIL);
	if (++b->qfail >= 2) {
		sig_count(s, HL_SIG_CTR_QUALIFY_DROP);
		binding_unlink(s, b, true);
	}
}

static void
qualify_fire(struct hl_timer *tm, void *arg)
{
	struct sig_binding *b = arg;
	struct hl_sig *s = b->agent->tenant->sig;
	struct hl_sig_addr dst = {.family = b->b.family == AF_INET6 ? 6 : 4, .port = b->b.port};
	struct hl_sip_writer w;
	char host[64], branch[SIG_BRANCH_MAX], tag[SIG_TAG_MAX];
	int n;

	hl_timer_arm(s->wheel, tm, (uint64_t)s->cfg->sip_qualify_s * 1000);
	memcpy(dst.ip, b->b.addr, 16);
	if (b->qtxn != NULL || sig_local_host(s, &dst, host, sizeof(host)) != 0)
		return;
	sig_new_branch(s, branch, sizeof(branch));
	sig_new_tag(s, tag, sizeof(tag));
	hl_sip_w_init(&w, s->out, sizeof(s->out));
	hl_sip_w_request_line(&w, "OPTIONS", b->b.contact);
	sig_w_via(s, &w, host, branch);
	sig_w_strs(&w, "Max-Forwards: 70\r\nFrom: <sip:hotline@", host, ">;tag=", tag);
	sig_w_strs(&w, "\r\nTo: <", b->b.contact, ">\r\nCall-ID: ", branch + 7);
	sig_w_strs(&w, "@hotline\r\n", NULL, NULL, NULL);
	sig_w_cseq(&w, 1, "OPTIONS");
	hl_sip_w_body(&w, NULL, NULL, 0);
	n = hl_sip_w_finish(&w);
	if (n <= 0)
		return;
	b->qtxn = sig_txn_client(s, HL_SIP_METHOD_OPTIONS, branch, &dst, s->out, (size_t)n, NULL,
		qualify_resp);
	if (b->qtxn != NULL) {
		b->qtxn->qbind = b;
		sig_count(s, HL_SIG_CTR_OPTIONS_OUT);
	}
}

static struct sig_binding *
binding_add(struct hl_sig *s, struct sig_agent *a, const struct hl_binding *hb)
{
	struct sig_binding *b = calloc(1, sizeof(*b));
	uint64_t wall = sig_wall_s(s);

	if (b == NULL)
		return NULL;
	b->b = *hb;
	b->agent = a;
	hl_timer_init(&b->t_expire, binding_expire, b);
	hl_timer_arm(s->wheel, &b->t_expire,
		hb->expires_at > wall ? (hb->expires_at - wall) * 1000 : 0);
	hl_timer_init(&b->t_qualify, qualify_fire, b);
	if (s->cfg->sip_qualify_s) {
		/* Spread the first probes over the interval: a restart that loads
		 * thousands of bindings must not send them all in one millisecond. */
		uint64_t every = (uint64_t)s->cfg->sip_qualify_s * 1000;
		hl_timer_arm(s->wheel, &b->t_qualify, every / 2 + (s->seq++ * 7919) % every);
	}
	b->next = a->bindings;
	a->bindings = b;
	a->nbindings++;
	s->st.bindings++;
	if (a->state == AGENT_OFFLINE)
		sig_agent_set_idle(s, a);
	return b;
}

static int
load_binding(void *ctx, const struct hl_binding *hb)
{
	struct hl_sig *s = ctx;
	const struct hl_tenant *tn = hl_tenants_by_id(s->tenants, hb->tenant_id);
	const struct hl_tenant_agent *ag;
	struct sig_tenant *st;

	if (tn == NULL || (st = sig_tenant_of(s, tn)) == NULL ||
		(ag = hl_tenant_agent(tn, hb->user, strlen(hb->user))) == NULL ||
		hb->expires_at <= sig_wall_s(s)) {
		/* Deprovisioned or expired while we were down. */
		if (s->store != NULL)
			hl_store_binding_del(s->store, hb->tenant_id, hb->user, hb->contact);
		return 0;
	}
	binding_add(s, &st->agents[ag->index], hb);
	return 0;
}

int
sig_reg_init(struct hl_sig *s)
{
	unsigned int n = s->tenants ? hl_tenants_count(s->tenants) : 0;

	s->ts = calloc(n ? n : 1, sizeof(*s->ts));
	if (s->ts == NULL)
		return -1;
	s->nts = n;
	for (unsigned int i = 0; i < n; i++) {
		struct sig_tenant *t = &s->ts[i];

		t->cfg = hl_tenants_get(s->tenants, i);
		t->sig = s;
		t->agents = calloc(t->cfg->n_agents ? t->cfg->n_agents : 1, sizeof(*t->agents));
		if (t->agents == NULL)
			return -1;
		for (uint32_t k = 0; k < t->cfg->n_agents; k++) {
			t->agents[k].cfg = &t->cfg->agents[k];
			t->agents[k].tenant = t;
		}
	}
	if (s->store != NULL) {
		if (hl_store_bindings_each(s->store, load_binding, s) < 0)
			return -1;
	}
	return 0;
}

void
sig_reg_free(struct hl_sig *s)
{
	if (s->ts == NULL)
		return;
	for (unsigned int i = 0; i < s->nts; i++) {
		struct sig_tenant *t = &s->ts[i];
		for (uint32_t k = 0; t->agents != NULL && k < t->cfg->n_agents; k++) {
			struct sig_binding *b = t->agents[k].bindings, *nb;
			for (; b != NULL; b = nb) {
				nb = b->next;
				hl_timer_cancel(s->wheel, &b->t_expire);
				hl_timer_cancel(s->wheel, &b->t_qualify);
				if (b->qtxn != NULL)
					b->qtxn->qbind = NULL;
				free(b);
			}
		}
		free(t->agents);
	}
	free(s->ts);
	s->ts = NULL;
}

/* ---- REGISTER ---- */

static const struct hl_tenant *
reg_tenant(struct hl_sig *s, const uint8_t *buf, const struct hl_sip_msg *m,
	struct hl_sip_uri *to_uri)
{
	struct hl_sip_uri ru;
	const struct hl_tenant *t = NULL;

	if (s->tenants == NULL)
		return NULL;
	/* §10.3 step 1: the Request-URI names the domain; a registrar addressed by
	 * its IP address takes the domain of the address-of-record. */
	if (hl_sip_parse_uri(buf, m->ruri, &ru) == 0 && ru.host_type == HL_SIP_HOST_NAME)
		t = hl_tenants_by_domain(s->tenants, (const char *)buf + ru.host.off, ru.host.len);
	if (t == NULL && to_uri->host_type == HL_SIP_HOST_NAME)
		t = hl_tenants_by_domain(s->tenants, (const char *)buf + to_uri->host.off,
			to_uri->host.len);
	return t;
}

static void
challenge(struct hl_sig *s, struct sig_txn *t, const uint8_t *buf, const struct hl_sip_msg *m,
	const struct hl_tenant *tn, int stale)
{
	char hdrs[1024];
	struct hl_sip_writer w;

	/* RFC 8760 §2.4: one challenge per algorithm, the preferred one first
	 * ([sip] digest; clients that know only MD5 may read only the first). */
	hl_sip_w_init(&w, hdrs, sizeof(hdrs));
	for (unsigned int i = 0; i < 2 && s->cfg->sip_digest[i]; i++) {
		hl_sip_w_str(&w, "WWW-Authenticate: ");
		hl_digest_challenge(s->digest, &w, tn->realm,
			s->cfg->sip_digest[i] == HL_CONFIG_DIGEST_SHA256 ? HL_DIGEST_SHA256 :
									    HL_DIGEST_MD5,
			stale, sig_wall_s(s));
		hl_sip_w_str(&w, "\r\n");
	}
	if (hl_sip_w_finish(&w) < 0)
		return;
	hdrs[w.len] = '\0';
	sig_reply(s, t, buf, m, 401, NULL, NULL, hdrs, NULL, NULL, 0);
}

/* RFC 3261 §19.1.4 equivalence, as far as digest-uri needs it: the same user,
 * host and port, with 5060 where a port is absent (clients write it either way). */
static bool
uri_equiv(const uint8_t *buf, struct hl_sip_slice a, struct hl_sip_slice b)
{
	struct hl_sip_uri ua, ub;

	if (a.len == b.len && memcmp(buf + a.off, buf + b.off, a.len) == 0)
		return true;
	if (hl_sip_parse_uri(buf, a, &ua) != 0 || hl_sip_parse_uri(buf, b, &ub) != 0)
		return false;
	return ua.scheme == ub.scheme && ua.user.len == ub.user.len &&
	       memcmp(buf + ua.user.off, buf + ub.user.off, ua.user.len) == 0 &&
	       ua.host.len == ub.host.len &&
	       strncasecmp((const char *)buf + ua.host.off, (const char *)buf + ub.host.off,
		       ua.host.len) == 0 &&
	       (ua.port ? ua.port : 5060) == (ub.port ? ub.port : 5060);
}

/* 0 authenticated; otherwise the response went out. */
static int
authenticate(struct hl_sig *s, struct sig_txn *t, const uint8_t *buf, const struct hl_sip_msg *m,
	const struct hl_tenant *tn, const struct hl_tenant_agent *ag, const struct hl_sip_uri *to)
{
	const struct hl_sip_hdr_field *h;
	struct hl_sip_digest d;
	int found = 0;

	for (h = hl_sip_hdr_first(m, HL_SIP_HDR_AUTHORIZATION); h != NULL; h = hl_sip_hdr_next(m, h)) {
		if (hl_sip_parse_digest(buf, h->value, &d) == 0 &&
			hl_sip_slice_ieq(buf, d.realm, tn->realm)) {
			found = 1;
			break;
		}
	}
	if (!found) {
		sig_count(s, HL_SIG_CTR_REG_CHALLENGED);
		challenge(s, t, buf, m, tn, 0);
		return -1;
	}
	int alg = hl_digest_cred_alg(buf, &d);
	const char *ha1 = NULL;
	if (alg >= 0 && ag != NULL) {
		ha1 = alg == HL_DIGEST_SHA256 ? ag->ha1_sha256 : ag->ha1_md5;
		if (ha1[0] == '\0')
			ha1 = NULL;
	}
	/* The credentials are for the AOR being registered (§22.4: the username
	 * need not equal it in general; for our agents it does), and for this
	 * Request-URI (RFC 7616 §3.4.6). */
	if (ha1 != NULL && (d.username.len != to->user.len ||
		memcmp(buf + d.username.off, buf + to->user.off, d.username.len) != 0))
		ha1 = NULL;
	if (!uri_equiv(buf, d.uri, m->ruri))
		ha1 = NULL;
	int r = alg < 0 ? HL_E_AUTH :
		hl_digest_verify(s->digest, buf, &d, "REGISTER", tn->realm, ha1,
			(enum hl_digest_alg)alg, sig_wall_s(s));
	if (r == 0)
		return 0;
	if (r == HL_DIGEST_STALE) {
		/* RFC 7616 §3.3: the right password on an old nonce: retry silently. */
		sig_count(s, HL_SIG_CTR_REG_STALE);
		challenge(s, t, buf, m, tn, 1);
		return -1;
	}
	/* Unknown user, wrong password, replayed or forged nonce: one answer. */
	sig_count(s, HL_SIG_CTR_REG_AUTH_FAIL);
	challenge(s, t, buf, m, tn, 0);
	return -1;
}

/*
 * Where requests to a contact go. A Contact naming the address the REGISTER came
 * from is taken at its word, port included (a phone that registers from one port
 * and listens on another). Any other Contact is behind a NAT or names a host we
 * cannot resolve here: requests go back to the REGISTER's source address and port,
 * which the NAT keeps open (RFC 3581 §4; what SBCs call a NATed registration).
 */
static void
contact_dest(struct hl_sig *s, const char *contact, const struct hl_sig_addr *src,
	struct hl_binding *hb)
{
	struct hl_sig_addr c;

	memcpy(hb->addr, src->ip, 16);
	hb->port = src->port;
	if (sig_uri_addr(s, contact, &(struct hl_sig_addr){0}, &c) == 0 && c.family == src->family &&
		memcmp(c.ip, src->ip, src->family == 6 ? 16 : 4) == 0)
		hb->port = c.port;
}

static struct sig_binding *
binding_find(struct sig_agent *a, const char *contact)
{
	for (struct sig_binding *b = a->bindings; b != NULL; b = b->next)
		if (strcmp(b->b.contact, contact) == 0)
			return b;
	return NULL;
}

void
sig_reg_request(struct hl_sig *s, struct sig_txn *t, const uint8_t *buf,
	const struct hl_sip_msg *m, const struct hl_sig_addr *src)
{
	const struct hl_sip_hdr_field *to = hl_sip_hdr_first(m, HL_SIP_HDR_TO);
	const struct hl_sip_hdr_field *h;
	struct hl_sip_name_addr tna, na;
	struct hl_sip_uri tu;
	const struct hl_tenant *tn;
	const struct hl_tenant_agent *ag;
	struct sig_agent *a;
	struct hl_sip_cseq cs;
	char call_id[SIG_CALLID_MAX], hdrs[2048];
	uint32_t hexp = REG_DEFAULT_EXPIRES;
	int star = 0, ncontacts = 0;

	if (hl_sip_parse_name_addr(buf, to->value, &tna) < 0 ||
		hl_sip_parse_uri(buf, tna.uri, &tu) != 0 || tu.user.len == 0) {
		sig_reply(s, t, buf, m, 400, "Bad To", NULL, NULL, NULL, NULL, 0);
		return;
	}
	tn = reg_tenant(s, buf, m, &tu);
	if (tn == NULL) {
		sig_count(s, HL_SIG_CTR_REG_UNKNOWN_DOMAIN);
		sig_reply(s, t, buf, m, 404, "Domain Not Served", NULL, NULL, NULL, NULL, 0);
		return;
	}
	ag = hl_tenant_agent(tn, (const char *)buf + tu.user.off, tu.user.len);
	if (authenticate(s, t, buf, m, tn, ag, &tu) != 0)
		return;
	a = &sig_tenant_of(s, tn)->agents[ag->index];
	if (sig_copy(buf, hl_sip_hdr_first(m, HL_SIP_HDR_CALL_ID)->value, call_id,
		sizeof(call_id)) != 0 ||
		hl_sip_parse_cseq(buf, hl_sip_hdr_first(m, HL_SIP_HDR_CSEQ)->value, &cs) < 0) {
		sig_reply(s, t, buf, m, 400, "Call-ID Too Long", NULL, NULL, NULL, NULL, 0);
		return;
	}
	if ((h = hl_sip_hdr_first(m, HL_SIP_HDR_EXPIRES)) != NULL &&
		hl_sip_parse_uint(buf, h->value, &hexp) != 0) {
		sig_reply(s, t, buf, m, 400, "Bad Expires", NULL, NULL, NULL, NULL, 0);
		return;
	}
	/* First pass: validate every Contact before changing anything (§10.3 is
	 * all-or-nothing). */
	for (h = hl_sip_hdr_first(m, HL_SIP_HDR_CONTACT); h != NULL; h = hl_sip_hdr_next(m, h)) {
		struct hl_sip_slice rest = h->value;
		int n;

		while (rest.len > 0) {
			n = hl_sip_parse_name_addr(buf, rest, &na);
			if (n <= 0) {
				sig_reply(s, t, buf, m, 400, "Bad Contact", NULL, NULL, NULL, NULL, 0);
				return;
			}
			rest.off += (uint16_t)n;
			rest.len -= (uint16_t)n;
			if (na.flags & HL_SIP_NA_STAR) {
				star = 1;
				continue;
			}
			ncontacts++;
			int64_t e = na.expires >= 0 ? na.expires : hexp;
			if (e > 0 && e < REG_MIN_EXPIRES) {
				/* §10.3 step 6: 423 with our minimum. */
				snprintf(hdrs, sizeof(hdrs), "Min-Expires: %u\r\n", REG_MIN_EXPIRES);
				sig_reply(s, t, buf, m, 423, NULL, NULL, hdrs, NULL, NULL, 0);
				return;
			}
			if (na.uri.len >= sizeof(((struct hl_binding *)0)->contact)) {
				sig_reply(s, t, buf, m, 400, "Contact Too Long", NULL, NULL, NULL, NULL, 0);
				return;
			}
		}
	}
	/* §10.3 step 6: "*" only alone and with Expires: 0. */
	if (star && (ncontacts > 0 || hexp != 0 || hl_sip_hdr_first(m, HL_SIP_HDR_EXPIRES) == NULL)) {
		sig_reply(s, t, buf, m, 400, "Invalid Wildcard", NULL, NULL, NULL, NULL, 0);
		return;
	}
	if (star) {
		while (a->bindings != NULL)
			binding_unlink(s, a->bindings, false);
		if (s->store != NULL)
			hl_store_binding_del_aor(s->store, tn->id, ag->user);
	}
	for (h = hl_sip_hdr_first(m, HL_SIP_HDR_CONTACT); !star && h != NULL;
		h = hl_sip_hdr_next(m, h)) {
		struct hl_sip_slice rest = h->value;
		int n;

		while (rest.len > 0 && (n = hl_sip_parse_name_addr(buf, rest, &na)) > 0) {
			struct hl_binding hb;
			struct sig_binding *b;
			int64_t e = na.expires >= 0 ? na.expires : hexp;

			rest.off += (uint16_t)n;
			rest.len -= (uint16_t)n;
			memset(&hb, 0, sizeof(hb));
			sig_copy(buf, na.uri, hb.contact, sizeof(hb.contact));
			b = binding_find(a, hb.contact);
			/* §10.3 step 7: an older request of the same Call-ID changes nothing. */
			if (b != NULL && strcmp(b->b.call_id, call_id) == 0 && cs.seq <= b->b.cseq)
				continue;
			if (e == 0) {
				if (b != NULL)
					binding_unlink(s, b, true);
				continue;
			}
			if (e > REG_MAX_EXPIRES)
				e = REG_MAX_EXPIRES;
			if (b == NULL && a->nbindings >= REG_MAX_CONTACTS) {
				sig_reply(s, t, buf, m, 403, "Too Many Contacts", NULL, NULL, NULL,
					NULL, 0);
				return;
			}
			hb.tenant_id = tn->id;
			snprintf(hb.user, sizeof(hb.user), "%s", ag->user);
			hb.family = t->peer.family == 6 ? AF_INET6 : AF_INET;
			contact_dest(s, hb.contact, src, &hb);
			hb.expires_at = sig_wall_s(s) + (uint64_t)e;
			snprintf(hb.call_id, sizeof(hb.call_id), "%s", call_id);
			hb.cseq = cs.seq;
			hb.q = na.q >= 0 ? (uint16_t)na.q : 1000;
			if (b != NULL) {
				b->b = hb;
				hl_timer_arm(s->wheel, &b->t_expire, (uint64_t)e * 1000);
			} else if (binding_add(s, a, &hb) == NULL) {
				sig_reply(s, t, buf, m, 500, NULL, NULL, NULL, NULL, NULL, 0);
				return;
			}
			if (s->store != NULL)
				hl_store_binding_put(s->store, &hb);
		}
	}
	/* §10.3 step 8: 200 with every current binding and its remaining time. */
	struct hl_sip_writer w;
	uint64_t wall = sig_wall_s(s);
	hl_sip_w_init(&w, hdrs, sizeof(hdrs));
	for (struct sig_binding *b = a->bindings; b != NULL; b = b->next)
		hl_sip_w_fmt(&w, "Contact: <%s>;expires=%llu\r\n", b->b.contact,
			(unsigned long long)(b->b.expires_at > wall ? b->b.expires_at - wall : 0));
	if (hl_sip_w_finish(&w) < 0)
		w.len = 0;
	hdrs[w.len] = '\0';
	sig_count(s, HL_SIG_CTR_REG_OK);
	sig_reply(s, t, buf, m, 200, NULL, NULL, hdrs, NULL, NULL, 0);
}
