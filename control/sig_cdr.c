/*
 * Call records (CDRs) of the B2BUA: see include/hotline/sig.h and hotline/store.h.
 *
 * call_free() hands each finished call here with the legs the workers still hold. Their
 * final figures come back asynchronously (hl_media_del -> the worker's done ring ->
 * hl_media_poll -> hl_sig_media_final), usually within a control loop turn or two, so
 * the record waits in a fixed pool, found by call id through a small hash and kept in
 * end order: the second leg's figures complete it, or the once-a-second tick writes it
 * with what it has after SIG_CDR_WAIT_MS (a worker that is gone, a command ring that was
 * full) and flags it. Nothing here runs per packet; each record costs one LMDB write
 * transaction on the control lcore, the only writer. A full pool writes its oldest
 * record early rather than growing.
 *
 * An initial INVITE refused before a call exists (404, 403, 503/486 at a limit, 420,
 * 422, 482/483, 488) has no figures to wait for, but a flood of them must not become a
 * flood of commits: its record goes into a second fixed pool of [sip] cdr_refused_per_s
 * entries, which the once-a-second tick writes in one transaction and empties. What
 * arrives while it is full is counted (cdr_attempts_dropped), not kept. The worker's
 * per-source limit (flood_pps) bounds what one source can put in.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "control/sig_priv.h"
#include "hotline/common.h"
#include "hotline/store.h"

/* Records written by one tick because their wait is over; the rest go next tick. */
#define CDR_TICK_MAX 256
/* Retention deletes per tick: a backlog (a lowered cdr_max) never stalls signalling. */
#define CDR_PRUNE_MAX 1000

_Static_assert((SIG_CDR_HASH & (SIG_CDR_HASH - 1)) == 0, "SIG_CDR_HASH is a power of two");
_Static_assert(SIG_CALLID_MAX <= HL_CDR_CALLID_MAX, "a Call-ID fits the record");

int
sig_cdr_init(struct hl_sig *s)
{
	struct sig_cdrs *q = &s->cdrs;

	q->pool = calloc(SIG_CDR_PENDING, sizeof(*q->pool));
	q->hash = calloc(SIG_CDR_HASH, sizeof(*q->hash));
	if (q->pool == NULL || q->hash == NULL) {
		free(q->pool);
		free(q->hash);
		q->pool = NULL;
		q->hash = NULL;
		return -ENOMEM;
	}
	for (unsigned int i = 0; i < SIG_CDR_PENDING; i++) {
		q->pool[i].next = q->free;
		q->free = &q->pool[i];
	}
	q->refused_cap = s->cfg->sip_cdr_refused_per_s;
	if (q->refused_cap != 0) {
		q->refused = calloc(q->refused_cap, sizeof(*q->refused));
		if (q->refused == NULL) {
			free(q->pool);
			free(q->hash);
			q->pool = NULL;
			q->hash = NULL;
			return -ENOMEM;
		}
	}
	return 0;
}

static void
copy_str(char *dst, size_t cap, const char *src)
{
	size_t n = strnlen(src, cap - 1);

	memcpy(dst, src, n);
	dst[n] = '\0';
}

/* Writes r to the store (or numbers it without one) and tells the owner. */
static void
emit(struct hl_sig *s, struct hl_cdr *r)
{
	int rc = 0;

	for (unsigned int i = 0; i < 2; i++)
		if (r->leg[i].state == HL_CDR_LEG_MISSING)
			r->flags |= HL_CDR_F_FIGURES_MISSING;
	if (r->flags & HL_CDR_F_FIGURES_MISSING)
		sig_count(s, HL_SIG_CTR_CDR_FIGURES_MISSING);
	if (s->store != NULL) {
		rc = hl_store_cdr_put(s->store, r);
		if (rc == 0) {
			rc = 1;
			sig_count(s, HL_SIG_CTR_CDR_WRITTEN);
		} else {
			r->id = 0;
			sig_count(s, HL_SIG_CTR_CDR_STORE_FAIL);
		}
	} else {
		r->id = ++s->cdrs.seq;
	}
	if (s->ops.cdr != NULL)
		s->ops.cdr(s->ops.ctx, r, rc);
}

static void
set_src(struct hl_cdr *r, const struct hl_sig_addr *a)
{
	if (a->family != 4 && a->family != 6)
		return;
	r->src_family = a->family == 6 ? AF_INET6 : AF_INET;
	r->src_port = a->port;
	memcpy(r->src_addr, a->ip, a->family == 6 ? 16 : 4);
}

static struct sig_cdr_pend **
bucket(struct hl_sig *s, uint32_t call)
{
	return &s->cdrs.hash[call & (SIG_CDR_HASH - 1)];
}

/* Writes p and puts it back on the free list. */
static void
release(struct hl_sig *s, struct sig_cdr_pend *p)
{
	struct sig_cdrs *q = &s->cdrs;

	for (struct sig_cdr_pend **pp = bucket(s, p->call); *pp != NULL; pp = &(*pp)->hnext) {
		if (*pp == p) {
			*pp = p->hnext;
			break;
		}
	}
	if (p->prev != NULL)
		p->prev->next = p->next;
	else
		q->head = p->next;
	if (p->next != NULL)
		p->next->prev = p->prev;
	else
		q->tail = p->prev;
	s->st.cdrs_pending--;
	emit(s, &p->r);
	p->hnext = p->prev = NULL;
	p->next = q->free;
	q->free = p;
}

void
sig_cdr_call_done(struct hl_sig *s, const struct sig_call *c, unsigned int want)
{
	struct sig_cdrs *q = &s->cdrs;
	const struct sig_leg *legs[2] = {c->a, c->b};
	struct sig_cdr_pend *p;
	struct hl_cdr one, *r;
	uint64_t ended = c->ended_ms ? c->ended_ms : s->now_ms;

	/* The pool is full: the oldest waits no longer. */
	if (want != 0 && q->pool != NULL && q->free == NULL) {
		sig_count(s, HL_SIG_CTR_CDR_PENDING_FULL);
		release(s, q->head);
	}
	p = want != 0 && q->pool != NULL ? q->free : NULL;
	r = p != NULL ? &p->r : &one;
	memset(r, 0, sizeof(*r));
	r->disposition = c->disposition;
	if (r->disposition == 0)
		r->disposition = s->freeing ? HL_CDR_SHUTDOWN :
				 c->answered_ms ? HL_CDR_ANSWERED : HL_CDR_REJECTED;
	r->ended_by = c->ended_by;
	r->sip_status = c->a_status;
	r->agents_tried = c->ntried;
	r->created_ms = sig_wall_ms(s, c->created_ms);
	r->answered_ms = c->answered_ms ? sig_wall_ms(s, c->answered_ms) : 0;
	r->ended_ms = sig_wall_ms(s, ended);
	r->duration_ms = r->ended_ms - r->created_ms;
	r->talk_ms = r->answered_ms ? r->ended_ms - r->answered_ms : 0;
	if (c->a != NULL)
		copy_str(r->call_id, sizeof(r->call_id), c->a->call_id);
	if (c->tenant != NULL) {
		r->tenant_id = c->tenant->cfg->id;
		copy_str(r->tenant, sizeof(r->tenant), c->tenant->cfg->name);
	}
	copy_str(r->caller_user, sizeof(r->caller_user), c->caller_user);
	copy_str(r->caller_display, sizeof(r->caller_display), c->caller_display);
	copy_str(r->called, sizeof(r->called), c->called);
	copy_str(r->agent, sizeof(r->agent), c->agent_user);
	set_src(r, &c->src);
	for (unsigned int i = 0; i < 2; i++) {
		const struct sig_leg *l = legs[i];

		/* A side's presses by INFO; its media's come with the figures. */
		r->leg[i].dtmf = c->info_dtmf[i];
		if (l == NULL || !l->media_sent)
			continue;
		/* Until its figures come: a leg the worker had. */
		r->leg[i].state = HL_CDR_LEG_MISSING;
		r->leg[i].local_port = l->media.local_port;
	}
	if (p == NULL) {
		emit(s, r);
		return;
	}
	q->free = p->next;
	p->call = c->id;
	p->want = (uint8_t)want;
	p->deadline_ms = s->now_ms + SIG_CDR_WAIT_MS;
	p->hnext = *bucket(s, c->id);
	*bucket(s, c->id) = p;
	p->next = NULL;
	p->prev = q->tail;
	if (q->tail != NULL)
		q->tail->next = p;
	else
		q->head = p;
	q->tail = p;
	s->st.cdrs_pending++;
}

void
sig_cdr_media_final(struct hl_sig *s, const struct hl_media_stats *st)
{
	struct sig_cdr_pend *p;
	struct hl_cdr_leg *l;
	unsigned int side = st->side ? 1 : 0;

	if (s->cdrs.hash == NULL)
		return;
	for (p = *bucket(s, st->call); p != NULL; p = p->hnext)
		if (p->call == st->call && (p->want & (1u << side)))
			break;
	if (p == NULL)
		return; /* written already (waited too long), or a leg of no record */
	l = &p->r.leg[side];
	l->state = HL_CDR_LEG_FIGURES;
	l->latched = st->latched;
	l->local_port = st->local_port;
	l->rx_packets = st->rx_packets;
	l->rx_bytes = st->rx_bytes;
	l->tx_packets = st->tx_packets;
	l->tx_bytes = st->tx_bytes;
	l->lost = st->lost;
	l->loss_pct = st->loss_pct;
	l->jitter_ms = st->jitter_ms;
	l->rtt_ms = st->rtt_ms;
	l->mos = st->mos;
	l->dtmf += st->dtmf;
	l->srtp_auth_fail = st->srtp_auth_fail;
	l->srtp_replay = st->srtp_replay;
	l->wrong_source = st->wrong_source;
	l->ssrc_changes = st->ssrc_changes;
	l->rtcp_in = st->rtcp_in;
	l->rtcp_out = st->rtcp_out;
	p->want &= (uint8_t)~(1u << side);
	if (p->want == 0)
		release(s, p);
}

/* A slice of the request as a string, cut to fit (a record keeps what it can). */
static void
copy_slice(const uint8_t *buf, struct hl_sip_slice sl, char *dst, size_t cap)
{
	size_t n = sl.len < cap - 1 ? sl.len : cap - 1;

	memcpy(dst, buf + sl.off, n);
	dst[n] = '\0';
}

void
sig_cdr_refused(struct hl_sig *s, const struct sig_txn *t, const uint8_t *req,
	const struct hl_sip_msg *m, const struct hl_sig_addr *src, const struct hl_tenant *tn,
	enum hl_cdr_disposition d)
{
	struct sig_cdrs *q = &s->cdrs;
	const struct hl_sip_hdr_field *h;
	struct hl_sip_name_addr na;
	struct hl_sip_uri u;
	struct hl_cdr *r;

	/* No final sent (the response did not build): nothing was refused on the wire. */
	if (q->refused == NULL || t->status < 300)
		return;
	if (q->nrefused == q->refused_cap) {
		sig_count(s, HL_SIG_CTR_CDR_ATTEMPTS_DROPPED);
		return;
	}
	sig_count(s, HL_SIG_CTR_CDR_ATTEMPTS);
	r = &q->refused[q->nrefused++];
	memset(r, 0, sizeof(*r));
	r->disposition = (uint8_t)d;
	r->ended_by = HL_CDR_BY_HOTLINE;
	r->sip_status = t->status;
	r->flags = HL_CDR_F_REFUSED;
	r->created_ms = r->ended_ms = sig_wall_ms(s, s->now_ms);
	if (tn != NULL) {
		r->tenant_id = tn->id;
		copy_str(r->tenant, sizeof(r->tenant), tn->name);
	}
	/* hl_sip_validate() let it through: Call-ID, From and To are there. */
	if ((h = hl_sip_hdr_first(m, HL_SIP_HDR_CALL_ID)) != NULL)
		copy_slice(req, h->value, r->call_id, sizeof(r->call_id));
	if (hl_sip_parse_uri(req, m->ruri, &u) == 0 && u.user.len)
		copy_slice(req, u.user, r->called, sizeof(r->called));
	h = hl_sip_hdr_first(m, HL_SIP_HDR_FROM);
	if (h != NULL && hl_sip_parse_name_addr(req, h->value, &na) > 0) {
		if (hl_sip_parse_uri(req, na.uri, &u) == 0 && u.user.len)
			copy_slice(req, u.user, r->caller_user, sizeof(r->caller_user));
		/* As a call's caller_display (sig_call.c): no quote or backslash kept. */
		if (na.display.len && na.display.len < sizeof(r->caller_display)) {
			copy_slice(req, na.display, r->caller_display, sizeof(r->caller_display));
			for (char *p = r->caller_display; *p; p++)
				if (*p == '"' || *p == '\\')
					*p = ' ';
		}
	}
	set_src(r, src);
}

/* The refused INVITEs of the last second: one write transaction for all. */
static void
flush_refused(struct hl_sig *s)
{
	struct sig_cdrs *q = &s->cdrs;
	unsigned int n = q->nrefused;
	int rc = 0;

	if (n == 0)
		return;
	q->nrefused = 0;
	if (s->store != NULL) {
		rc = hl_store_cdr_put_many(s->store, q->refused, n);
		if (rc >= 0) {
			s->st.ctr[HL_SIG_CTR_CDR_WRITTEN] += (uint64_t)rc;
			s->st.ctr[HL_SIG_CTR_CDR_STORE_FAIL] += n - (unsigned int)rc;
		} else {
			s->st.ctr[HL_SIG_CTR_CDR_STORE_FAIL] += n;
		}
	} else {
		for (unsigned int i = 0; i < n; i++)
			q->refused[i].id = ++q->seq;
	}
	if (s->ops.cdr == NULL)
		return;
	for (unsigned int i = 0; i < n; i++) {
		const struct hl_cdr *r = &q->refused[i];

		s->ops.cdr(s->ops.ctx, r, s->store == NULL ? 0 : r->id != 0 ? 1 : rc < 0 ? rc :
			-EINVAL);
	}
}

void
sig_cdr_tick(struct hl_sig *s)
{
	struct sig_cdrs *q = &s->cdrs;
	unsigned int n = 0;

	flush_refused(s);

	/* In end order, so the first one still in its wait ends the walk. */
	while (q->head != NULL && q->head->deadline_ms <= s->now_ms && n++ < CDR_TICK_MAX)
		release(s, q->head);
	if (s->store != NULL && (s->cfg->sip_cdr_keep_days != 0 || s->cfg->sip_cdr_max != 0)) {
		uint64_t keep_ms = (uint64_t)s->cfg->sip_cdr_keep_days * 86400000ull;
		uint64_t now = sig_wall_ms(s, s->now_ms);
		uint64_t older = keep_ms != 0 && now > keep_ms ? now - keep_ms : 0;
		int rc;

		if (older != 0 || s->cfg->sip_cdr_max != 0) {
			rc = hl_store_cdr_prune(s->store, older, s->cfg->sip_cdr_max, CDR_PRUNE_MAX);
			if (rc > 0)
				s->st.ctr[HL_SIG_CTR_CDR_PRUNED] += (uint64_t)rc;
		}
	}
}

void
sig_cdr_free(struct hl_sig *s)
{
	struct sig_cdrs *q = &s->cdrs;

	while (q->head != NULL)
		release(s, q->head);
	flush_refused(s);
	free(q->pool);
	free(q->hash);
	free(q->refused);
	q->pool = NULL;
	q->hash = NULL;
	q->free = NULL;
	q->refused = NULL;
	q->refused_cap = 0;
}
