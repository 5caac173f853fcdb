/*
 * Signalling core: datagram input, RFC 3261 §17 transactions on the timer wheel,
 * stateless answers, OPTIONS. See include/hotline/sig.h; the registrar is in
 * sig_reg.c, the B2BUA in sig_call.c.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hotline/common.h"
#include "control/sig_priv.h"

/* Expirations run per poll: a mass timeout drains over several loop turns. */
#define SIG_TIMER_BUDGET 256
/* The longest a client INVITE stays in Proceeding without a final (client_response()). */
#define SIG_INVITE_PROCEEDING_MS 360000

const char sig_allow[] = "INVITE, ACK, BYE, CANCEL, OPTIONS, INFO, UPDATE, REGISTER, PRACK";
/* RFC 3262 §3, RFC 4028 §7: the option tags we support, as Supported lists them. */
const char sig_supported[] = "100rel, timer";

static const char *const ctr_names[] = {
#define HL_SIG_C_NAME_(sym, name) name,
	HL_SIG_FOREACH_CTR(HL_SIG_C_NAME_)
#undef HL_SIG_C_NAME_
};

const char *
hl_sig_ctr_name(enum hl_sig_ctr c)
{
	return (unsigned int)c < HL_SIG_CTR_MAX_ ? ctr_names[c] : "unknown";
}

/* ---- small helpers ---- */

int
sig_copy(const uint8_t *buf, struct hl_sip_slice sl, char *out, size_t cap)
{
	if (sl.len >= cap) {
		out[0] = '\0';
		return HL_E_TOOBIG;
	}
	memcpy(out, buf + sl.off, sl.len);
	out[sl.len] = '\0';
	return 0;
}

/*
 * Per-call memory: transactions, legs, calls and the copies of messages and SDP
 * they keep. Each call allocates and frees some twenty blocks, most of them kept
 * for up to 64*T1 by the transaction timers, so hundreds of thousands are live at
 * a time; glibc's per-thread cache (seven blocks per size) misses on nearly every
 * one, and its arena paths were the largest user-space cost of a call in hotlined
 * (bench/README.md, SIP call rate: 3.3 µs of 37 per call). Blocks come instead
 * from a free list per size class, carved from 256 KB slabs taken from malloc and
 * never given back: the high-water mark of the calls in progress stays allocated,
 * and a block freed is the next one handed out (LIFO).
 * A 16-byte header before each block names its class; blocks above the largest
 * class go to malloc. Lists are per thread (control runs on one), so nothing here
 * locks; a block may be freed on another thread than the one it came from.
 * Under AddressSanitizer every block goes to malloc, so ASan still sees each use
 * after free and each overrun.
 */
#define MEM_HDR 16u
#define MEM_SLAB (256u * 1024u)
#define MEM_BIG 0xffu
#define MEM_MAGIC 0x5167u
#if defined(__SANITIZE_ADDRESS__)
#define MEM_POOLED 0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define MEM_POOLED 0
#endif
#endif
#ifndef MEM_POOLED
#define MEM_POOLED 1
#endif

struct mem_hdr {
	struct mem_hdr *next; /* free list, while free */
	uint16_t magic;
	uint8_t cls;
};

struct mem_slab {
	struct mem_slab *next;
};

/* Block sizes, header included: steps of 1.5x keep the rounding under a third. */
static const uint16_t mem_class_size[] = {64, 96, 128, 192, 256, 384, 512, 768, 1024, 1536,
	2048, 3072, 4096};
#define MEM_CLASSES HL_ARRAY_SIZE(mem_class_size)

static __thread struct {
	struct mem_hdr *free[MEM_CLASSES];
	uint8_t *bump, *bump_end; /* the current slab's unused tail */
	struct mem_slab *slabs;
} mem;

static void *
mem_alloc(size_t n)
{
	struct mem_hdr *h;
	unsigned int cls = 0;

	if (!MEM_POOLED || n > mem_class_size[MEM_CLASSES - 1] - MEM_HDR) {
		h = malloc(MEM_HDR + n);
		if (h == NULL)
			return NULL;
		h->cls = MEM_BIG;
		h->magic = MEM_MAGIC;
		return (uint8_t *)h + MEM_HDR;
	}
	while (mem_class_size[cls] - MEM_HDR < n)
		cls++;
	h = mem.free[cls];
	if (h != NULL) {
		mem.free[cls] = h->next;
	} else {
		size_t sz = mem_class_size[cls];

		if (mem.bump == NULL || (size_t)(mem.bump_end - mem.bump) < sz) {
			/* The old slab's tail (under 4 KB) is left unused. */
			struct mem_slab *sl = malloc(MEM_SLAB);

			if (sl == NULL)
				return NULL;
			sl->next = mem.slabs;
			mem.slabs = sl;
			mem.bump = (uint8_t *)sl + MEM_HDR;
			mem.bump_end = (uint8_t *)sl + MEM_SLAB;
		}
		h = (struct mem_hdr *)mem.bump;
		mem.bump += sz;
	}
	h->cls = (uint8_t)cls;
	h->magic = MEM_MAGIC;
	return (uint8_t *)h + MEM_HDR;
}

void *
sig_alloc(size_t n)
{
	void *p = mem_alloc(n);

	if (p != NULL)
		memset(p, 0, n);
	return p;
}

void
sig_free(void *p)
{
	struct mem_hdr *h;

	if (p == NULL)
		return;
	h = (struct mem_hdr *)((uint8_t *)p - MEM_HDR);
	if (h->magic != MEM_MAGIC)
		abort(); /* not from sig_alloc, or freed twice */
	h->magic = 0;
	if (h->cls == MEM_BIG) {
		free(h);
		return;
	}
	h->next = mem.free[h->cls];
	mem.free[h->cls] = h;
}

char *
sig_dup(const void *p, size_t n)
{
	char *d = mem_alloc(n + 1);

	if (d != NULL) {
		memcpy(d, p, n);
		d[n] = '\0';
	}
	return d;
}

static uint32_t
hash_bytes(const void *p, size_t n, uint32_t h)
{
	const uint8_t *b = p;

	/* FNV-1a: keys are short (branches, Call-IDs) and attacker-chosen, so it is
	 * seeded with a per-process salt. */
	for (size_t i = 0; i < n; i++) {
		h ^= b[i];
		h *= 16777619u;
	}
	return h;
}

static void
hex64(char *out, uint64_t v)
{
	static const char hx[] = "0123456789abcdef";

	for (int i = 15; i >= 0; i--) {
		out[i] = hx[v & 15];
		v >>= 4;
	}
	out[16] = '\0';
}

size_t
sig_cat(char *out, size_t cap, ...)
{
	va_list ap;
	const char *p;
	size_t n = 0;

	if (cap == 0)
		return 0;
	va_start(ap, cap);
	while ((p = va_arg(ap, const char *)) != NULL) {
		size_t k = strlen(p);

		if (k > cap - 1 - n)
			k = cap - 1 - n;
		memcpy(out + n, p, k);
		n += k;
	}
	va_end(ap);
	out[n] = '\0';
	return n;
}

char *
sig_utoa(char *out, unsigned int v)
{
	char t[10];
	size_t i = sizeof(t);

	do {
		t[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v != 0);
	memcpy(out, t + i, sizeof(t) - i);
	out[sizeof(t) - i] = '\0';
	return out;
}

void
sig_hex(char *out, uint64_t v, unsigned int digits)
{
	static const char hx[] = "0123456789abcdef";

	for (int i = (int)digits - 1; i >= 0; i--) {
		out[i] = hx[v & 15];
		v >>= 4;
	}
	out[digits] = '\0';
}

static uint64_t
mix64(uint64_t x)
{
	/* splitmix64 finaliser: unique input (a counter) to unguessable output. */
	x += 0x9e3779b97f4a7c15ull;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}

uint64_t
sig_rand64(struct hl_sig *s)
{
	return mix64(s->salt ^ (0x52534571ull * ++s->seq));
}

void
sig_new_branch(struct hl_sig *s, char *out, size_t cap)
{
	const size_t pl = sizeof(SIG_BRANCH_PREFIX) - 1;

	if (cap < pl + 17) {
		out[0] = '\0';
		return;
	}
	memcpy(out, SIG_BRANCH_PREFIX, pl);
	hex64(out + pl, mix64(s->salt ^ ++s->seq));
}

void
sig_new_tag(struct hl_sig *s, char *out, size_t cap)
{
	char h[17];

	if (cap < 13) {
		out[0] = '\0';
		return;
	}
	hex64(h, mix64(s->salt + 0x51ull * ++s->seq));
	memcpy(out, h, 12);
	out[12] = '\0';
}

void
sig_addr_str(const struct hl_sig_addr *a, const uint8_t *ip, char *out, size_t cap)
{
	char t[INET6_ADDRSTRLEN];

	if (a->family == 6) {
		inet_ntop(AF_INET6, ip, t, sizeof(t));
		snprintf(out, cap, "[%s]", t);
	} else {
		inet_ntop(AF_INET, ip, t, sizeof(t));
		snprintf(out, cap, "%s", t);
	}
}

int
sig_local_host(struct hl_sig *s, struct hl_sig_addr *dst, char *out, size_t cap)
{
	uint8_t l[16] = {0};

	if (s->ops.route(s->ops.ctx, dst, l) < 0) {
		out[0] = '\0';
		return HL_E_NOTFOUND;
	}
	/* Our address on a port does not change: format it once per port and family. */
	unsigned int pi = dst->port_index % HL_CONFIG_MAX_PORTS, f = dst->family == 6;
	struct sig_lhost *c = &s->lhost[pi][f];
	if (!c->valid || memcmp(c->ip, l, 16) != 0) {
		sig_addr_str(dst, l, c->str, sizeof(c->str));
		memcpy(c->ip, l, 16);
		c->valid = 1;
	}
	size_t n = strlen(c->str);
	if (n >= cap)
		n = cap - 1;
	memcpy(out, c->str, n);
	out[n] = '\0';
	return 0;
}

int
sig_uri_addr(struct hl_sig *s, const char *uri, const struct hl_sig_addr *fallback,
	struct hl_sig_addr *out)
{
	struct hl_sip_uri u;
	struct hl_sip_slice sl = {0, (uint16_t)strlen(uri)};
	char host[64];

	(void)s;
	*out = *fallback;
	if (hl_sip_parse_uri((const uint8_t *)uri, sl, &u) != 0 || u.host.len == 0)
		return fallback->family ? 0 : HL_E_PARSE;
	if (u.host_type == HL_SIP_HOST_IPV4 && u.host.len < sizeof(host)) {
		memcpy(host, uri + u.host.off, u.host.len);
		host[u.host.len] = '\0';
		memset(out->ip, 0, sizeof(out->ip));
		if (inet_pton(AF_INET, host, out->ip) == 1) {
			out->family = 4;
			out->port = u.port ? u.port : 5060;
			return 0;
		}
	} else if (u.host_type == HL_SIP_HOST_IPV6 && u.host.len < sizeof(host) && u.host.len > 2) {
		memcpy(host, uri + u.host.off + 1, u.host.len - 2);
		host[u.host.len - 2] = '\0';
		if (inet_pton(AF_INET6, host, out->ip) == 1) {
			out->family = 6;
			out->port = u.port ? u.port : 5060;
			return 0;
		}
	}
	/* A host name: no resolver on the fast path; the source of the dialog's
	 * request is where the peer is reachable (symmetric signalling, RFC 3581). */
	*out = *fallback;
	return fallback->family ? 0 : HL_E_NOTFOUND;
}

/* ---- writing our headers without printf (bench/bench_sig: a third of the time) ---- */

void
sig_w_strs(struct hl_sip_writer *w, const char *a, const char *b, const char *c, const char *d)
{
	hl_sip_w_str(w, a);
	if (b)
		hl_sip_w_str(w, b);
	if (c)
		hl_sip_w_str(w, c);
	if (d)
		hl_sip_w_str(w, d);
}

void
sig_w_via(struct hl_sig *s, struct hl_sip_writer *w, const char *host, const char *branch)
{
	hl_sip_w_raw(w, "Via: SIP/2.0/UDP ", 17);
	hl_sip_w_str(w, host);
	hl_sip_w_raw(w, ":", 1);
	hl_sip_w_uint(w, s->cfg->sip_port);
	hl_sip_w_raw(w, ";branch=", 8);
	hl_sip_w_str(w, branch);
	hl_sip_w_raw(w, ";rport\r\n", 8);
}

void
sig_w_contact(struct hl_sig *s, struct hl_sip_writer *w, const char *host)
{
	hl_sip_w_raw(w, "Contact: <sip:hotline@", 22);
	hl_sip_w_str(w, host);
	hl_sip_w_raw(w, ":", 1);
	hl_sip_w_uint(w, s->cfg->sip_port);
	hl_sip_w_raw(w, ">\r\n", 3);
}

void
sig_w_cseq(struct hl_sip_writer *w, uint32_t seq, const char *method)
{
	hl_sip_w_raw(w, "CSeq: ", 6);
	hl_sip_w_uint(w, seq);
	hl_sip_w_raw(w, " ", 1);
	hl_sip_w_str(w, method);
	hl_sip_w_raw(w, "\r\n", 2);
}

/* ---- transport ---- */

void
sig_send(struct hl_sig *s, const struct hl_sig_addr *dst, const char *buf, size_t len)
{
	if (s->ops.send(s->ops.ctx, dst, buf, len) < 0) {
		sig_count(s, HL_SIG_CTR_SEND_FAIL);
		return;
	}
	sig_count(s, HL_SIG_CTR_MSG_OUT);
}

/* Where responses to a request go: RFC 3261 §18.2.2 with RFC 3581 rport. */
static void
response_addr(const uint8_t *buf, const struct hl_sip_msg *m, const struct hl_sig_addr *src,
	struct hl_sig_addr *out)
{
	const struct hl_sip_hdr_field *v = hl_sip_hdr_first(m, HL_SIP_HDR_VIA);
	struct hl_sip_via via;

	*out = *src;
	if (v == NULL || hl_sip_parse_via(buf, v->value, &via) < 0)
		return;
	/* §18.2.2: the source address ("received"); rport: the source port too,
	 * otherwise the sent-by port. */
	if (via.rport < 0)
		out->port = via.port ? via.port : 5060;
}

/* A stateless answer (errors before any transaction exists). */
static void
reply_stateless(struct hl_sig *s, const uint8_t *buf, const struct hl_sip_msg *m,
	const struct hl_sig_addr *src, int code)
{
	struct hl_sig_addr dst;
	char tag[SIG_TAG_MAX];
	int n;

	sig_new_tag(s, tag, sizeof(tag));
	n = hl_sip_build_error_response(buf, m, code, tag, s->out, sizeof(s->out));
	if (n <= 0)
		return;
	response_addr(buf, m, src, &dst);
	sig_send(s, &dst, s->out, (size_t)n);
}

/* ---- transactions ---- */

static uint32_t
txn_hash(const struct hl_sig *s, const char *branch, size_t blen, unsigned int method)
{
	uint8_t mth = (uint8_t)method;

	return hash_bytes(&mth, 1, hash_bytes(branch, blen, 2166136261u ^ (uint32_t)s->salt));
}

static void
txn_free(struct hl_sig *s, struct sig_txn *t)
{
	struct sig_txn **pp = &s->txn_hash[t->hash & s->txn_mask];

	while (*pp != NULL && *pp != t)
		pp = &(*pp)->hnext;
	if (*pp == t)
		*pp = t->hnext;
	hl_timer_cancel(s->wheel, &t->t_retx);
	hl_timer_cancel(s->wheel, &t->t_end);
	sig_txn_detach(t);
	if (t->qbind != NULL)
		t->qbind->qtxn = NULL;
	sig_free(t->msg);
	sig_free(t->ack);
	sig_free(t->fork_ack);
	sig_free(t->req);
	sig_free(t);
	s->st.transactions--;
}

void
sig_txn_attach(struct sig_txn *t, struct sig_leg *leg)
{
	t->leg = leg;
	t->tu_next = leg->txns;
	leg->txns = t;
}

void
sig_txn_detach(struct sig_txn *t)
{
	struct sig_leg *leg = t->leg;

	if (leg == NULL)
		return;
	for (struct sig_txn **pp = &leg->txns; *pp != NULL; pp = &(*pp)->tu_next) {
		if (*pp == t) {
			*pp = t->tu_next;
			break;
		}
	}
	if (leg->inv == t)
		leg->inv = NULL;
	/* The early dialogs of an INVITE of ours end with its transaction (RFC 3261
	 * §12.1.2, §13.2.2.4: a fork's 2xx comes within Timer M, not after). Known by
	 * its branch: once answered, the agent's re-INVITE may have taken leg->inv. */
	if (!t->server && t->method == HL_SIP_METHOD_INVITE && leg->side == 1 &&
		t->branch_len == strlen(leg->branch) && memcmp(t->branch, leg->branch, t->branch_len) == 0)
		sig_early_free(leg);
	if (leg->inv_peer_req == t)
		leg->inv_peer_req = NULL;
	/* A request of this leg's that was relayed to the peer (re-INVITE, UPDATE): the
	 * peer's answer to the relay, when it comes, has nothing left to answer. The
	 * transaction may go long before the peer answers (a 487 at the dialog's end,
	 * ACKed: T4). */
	if (leg->call != NULL) {
		struct sig_leg *p = leg->call->a == leg ? leg->call->b : leg->call->a;

		if (p != NULL && p->inv_peer_req == t)
			p->inv_peer_req = NULL;
	}
	if (leg->info == t)
		leg->info = NULL;
	if (leg->upd == t)
		leg->upd = NULL;
	t->leg = NULL;
	t->tu_next = NULL;
}

static void txn_retx_fire(struct hl_timer *tm, void *arg);
static void txn_end_fire(struct hl_timer *tm, void *arg);

static struct sig_txn *
txn_new(struct hl_sig *s, int server, enum hl_sip_method method, const char *branch, size_t blen)
{
	struct sig_txn *t;

	if (s->st.transactions >= s->ntxn_max || blen >= SIG_BRANCH_MAX)
		return NULL;
	t = sig_alloc(sizeof(*t));
	if (t == NULL)
		return NULL;
	t->sig = s;
	t->server = (uint8_t)server;
	t->method = (uint8_t)method;
	memcpy(t->branch, branch, blen);
	t->branch_len = (uint8_t)blen;
	t->hash = txn_hash(s, branch, blen, method);
	hl_timer_init(&t->t_retx, txn_retx_fire, t);
	hl_timer_init(&t->t_end, txn_end_fire, t);
	t->hnext = s->txn_hash[t->hash & s->txn_mask];
	s->txn_hash[t->hash & s->txn_mask] = t;
	s->st.transactions++;
	return t;
}

static struct sig_txn *
txn_find(struct hl_sig *s, int server, const uint8_t *buf, struct hl_sip_slice branch,
	unsigned int method, const char *sent_by)
{
	uint32_t h = txn_hash(s, (const char *)buf + branch.off, branch.len, method);

	for (struct sig_txn *t = s->txn_hash[h & s->txn_mask]; t != NULL; t = t->hnext) {
		if (t->hash != h || t->server != server || t->method != method ||
			t->branch_len != branch.len ||
			memcmp(t->branch, buf + branch.off, branch.len) != 0)
			continue;
		if (sent_by != NULL && strcmp(t->sent_by, sent_by) != 0)
			continue;
		return t;
	}
	return NULL;
}

static void
txn_store(struct sig_txn *t, const char *buf, size_t len)
{
	char *d = sig_dup(buf, len);

	if (d == NULL)
		return; /* kept the older copy: a retransmission resends that */
	sig_free(t->msg);
	t->msg = d;
	t->msg_len = (uint16_t)len;
}

void
sig_txn_respond(struct hl_sig *s, struct sig_txn *t, const char *buf, size_t len, int status)
{
	/*
	 * A final went already: neither a second final nor a late provisional is
	 * sent (§17.2.1, §17.2.2), and the one that went stays the one retransmitted.
	 */
	if (t->state >= TXN_COMPLETED)
		return;
	sig_send(s, &t->peer, buf, len);
	txn_store(t, buf, len);
	t->status = (uint16_t)status;
	if (status < 200) {
		t->state = TXN_PROCEEDING;
		return;
	}
	if (t->method == HL_SIP_METHOD_INVITE) {
		if (status < 300) {
			/* RFC 6026 §8.5: Accepted; the 2xx is retransmitted until the
			 * dialog sees the ACK (§13.3.1.4: T1 doubling up to T2, for 64*T1). */
			t->state = TXN_ACCEPTED;
			t->retx_ms = s->t1;
			t->deadline_ms = s->now_ms + 64ull * s->t1;
			hl_timer_arm(s->wheel, &t->t_retx, t->retx_ms);
			hl_timer_arm(s->wheel, &t->t_end, 64ull * s->t1); /* Timer L */
		} else {
			/* §17.2.1: Timer G retransmits, Timer H gives up on the ACK. */
			t->state = TXN_COMPLETED;
			t->retx_ms = s->t1;
			hl_timer_arm(s->wheel, &t->t_retx, t->retx_ms);
			hl_timer_arm(s->wheel, &t->t_end, 64ull * s->t1);
		}
	} else {
		/* §17.2.2: Timer J absorbs request retransmissions for 64*T1. */
		t->state = TXN_COMPLETED;
		hl_timer_arm(s->wheel, &t->t_end, 64ull * s->t1);
	}
}

void
sig_txn_acked(struct hl_sig *s, struct sig_txn *t)
{
	if (t->state != TXN_ACCEPTED)
		return;
	hl_timer_cancel(s->wheel, &t->t_retx);
	/*
	 * The INVITE's sender stopped retransmitting at our 100 Trying and has now
	 * ACKed; Timer L's remaining job (absorbing INVITE retransmissions) is done
	 * after T4 instead of 64*T1, which keeps a loaded box's transaction table
	 * at a few seconds of calls instead of half a minute.
	 */
	t->state = TXN_CONFIRMED;
	hl_timer_arm(s->wheel, &t->t_end, s->t4);
	sig_txn_detach(t);
}

static void
txn_retx_fire(struct hl_timer *tm, void *arg)
{
	struct sig_txn *t = arg;
	struct hl_sig *s = t->sig;

	(void)tm;
	if (t->msg == NULL)
		return;
	if (t->server) {
		if (t->state == TXN_ACCEPTED && s->now_ms >= t->deadline_ms)
			return; /* Timer L handles it */
		if (t->state != TXN_COMPLETED && t->state != TXN_ACCEPTED)
			return;
	} else if (t->state != TXN_TRYING && t->state != TXN_PROCEEDING) {
		return;
	}
	if (!t->server && t->method == HL_SIP_METHOD_INVITE && t->state != TXN_TRYING)
		return; /* Timer A stops at the first provisional (§17.1.1.2) */
	sig_send(s, &t->peer, t->msg, t->msg_len);
	sig_count(s, HL_SIG_CTR_RETRANS_SENT);
	/* A, G (and 2xx): double up to T2 for G and 2xx, unbounded for A (§17.1.1.2);
	 * E: doubles up to T2, in Proceeding stays at T2 (§17.1.2.2). */
	if (!t->server && t->method == HL_SIP_METHOD_INVITE)
		t->retx_ms *= 2;
	else if (!t->server && t->state == TXN_PROCEEDING)
		t->retx_ms = s->t2;
	else
		t->retx_ms = t->retx_ms * 2 < s->t2 ? t->retx_ms * 2 : s->t2;
	hl_timer_arm(s->wheel, &t->t_retx, t->retx_ms);
}

static void
txn_end_fire(struct hl_timer *tm, void *arg)
{
	struct sig_txn *t = arg;
	struct hl_sig *s = t->sig;

	(void)tm;
	if (t->server) {
		if ((t->state == TXN_COMPLETED && t->method == HL_SIP_METHOD_INVITE) ||
			t->state == TXN_ACCEPTED) {
			/* Timer H / L without ACK: the dialog is told (it ends the call). */
			sig_count(s, HL_SIG_CTR_ACK_TIMEOUT);
			if (t->leg != NULL && t->state == TXN_ACCEPTED)
				sig_leg_noack(s, t);
		}
		txn_free(s, t);
		return;
	}
	if (t->state == TXN_TRYING || t->state == TXN_PROCEEDING) {
		/* Timer B / F: the user sees a 408 (§8.1.3.1). */
		sig_resp_fn fn = t->on_resp;

		sig_count(s, HL_SIG_CTR_TXN_TIMEOUT);
		t->state = TXN_TERMINATED;
		if (fn != NULL && (t->leg != NULL || t->qbind != NULL))
			fn(s, t, NULL, NULL, 408);
	}
	txn_free(s, t);
}

struct sig_txn *
sig_txn_client(struct hl_sig *s, enum hl_sip_method method, const char *branch,
	const struct hl_sig_addr *dst, const char *buf, size_t len, struct sig_leg *leg,
	sig_resp_fn on_resp)
{
	struct sig_txn *t = txn_new(s, 0, method, branch, strlen(branch));

	if (t == NULL)
		return NULL;
	t->msg = sig_dup(buf, len);
	if (t->msg == NULL) {
		/* No copy to retransmit (Timer A / E) is no transaction: nothing goes. */
		txn_free(s, t);
		return NULL;
	}
	t->msg_len = (uint16_t)len;
	t->peer = *dst;
	t->on_resp = on_resp;
	if (leg != NULL)
		sig_txn_attach(t, leg);
	sig_send(s, dst, buf, len);
	/* A / E start at T1; B / F give up after 64*T1 (§17.1.1.2, §17.1.2.2). */
	t->retx_ms = s->t1;
	hl_timer_arm(s->wheel, &t->t_retx, t->retx_ms);
	hl_timer_arm(s->wheel, &t->t_end, 64ull * s->t1);
	return t;
}

/* The ACK a client INVITE transaction sends for a non-2xx final (§17.1.1.3). */
static void
txn_ack_non2xx(struct hl_sig *s, struct sig_txn *t, const uint8_t *rbuf,
	const struct hl_sip_msg *rm)
{
	struct hl_sip_msg req;
	struct hl_sip_writer w;
	const struct hl_sip_hdr_field *h;
	struct hl_sip_cseq cs;
	char ruri[SIG_URI_MAX];
	const uint8_t *q = (const uint8_t *)t->msg;

	if (t->msg == NULL || hl_sip_parse(q, t->msg_len, &req) < 0 ||
		sig_copy(q, req.ruri, ruri, sizeof(ruri)) != 0)
		return;
	hl_sip_w_init(&w, s->out, sizeof(s->out));
	hl_sip_w_request_line(&w, "ACK", ruri);
	/* Request-URI, Call-ID, From, top Via and Route of the INVITE; To of the
	 * response (its tag); CSeq number of the INVITE with ACK. */
	hl_sip_w_copy_hdr(&w, q, hl_sip_hdr_first(&req, HL_SIP_HDR_VIA));
	for (h = hl_sip_hdr_first(&req, HL_SIP_HDR_ROUTE); h; h = hl_sip_hdr_next(&req, h))
		hl_sip_w_copy_hdr(&w, q, h);
	hl_sip_w_copy_hdr(&w, q, hl_sip_hdr_first(&req, HL_SIP_HDR_FROM));
	if ((h = hl_sip_hdr_first(rm, HL_SIP_HDR_TO)) != NULL)
		hl_sip_w_copy_hdr(&w, rbuf, h);
	hl_sip_w_copy_hdr(&w, q, hl_sip_hdr_first(&req, HL_SIP_HDR_CALL_ID));
	h = hl_sip_hdr_first(&req, HL_SIP_HDR_CSEQ);
	if (h == NULL || hl_sip_parse_cseq(q, h->value, &cs) < 0)
		return;
	hl_sip_w_hdrf(&w, HL_SIP_HDR_CSEQ, "%u ACK", cs.seq);
	hl_sip_w_hdr(&w, HL_SIP_HDR_MAX_FORWARDS, "70");
	hl_sip_w_body(&w, NULL, NULL, 0);
	int n = hl_sip_w_finish(&w);
	if (n > 0)
		sig_send(s, &t->peer, s->out, (size_t)n);
}

/* Whether ACK ack (NULL: none) is of the dialog of 2xx m: the same To tag. */
static bool
ack_of_dialog(const char *ack, uint16_t ack_len, const uint8_t *buf, const struct hl_sip_msg *m)
{
	const uint8_t *a = (const uint8_t *)ack;
	const struct hl_sip_hdr_field *h, *ah;
	struct hl_sip_name_addr na, ana;
	struct hl_sip_msg am;

	return ack != NULL && hl_sip_parse(a, ack_len, &am) >= 0 &&
	       (h = hl_sip_hdr_first(m, HL_SIP_HDR_TO)) != NULL &&
	       (ah = hl_sip_hdr_first(&am, HL_SIP_HDR_TO)) != NULL &&
	       hl_sip_parse_name_addr(buf, h->value, &na) > 0 &&
	       hl_sip_parse_name_addr(a, ah->value, &ana) > 0 && na.tag.len == ana.tag.len &&
	       memcmp(buf + na.tag.off, a + ana.tag.off, na.tag.len) == 0;
}

/*
 * A 2xx of a client INVITE whose leg is gone (its dialog ended, by our BYE, while the
 * 2xx was on its way or our ACK was lost): the leg left us its ACK (t->ack), which
 * §13.2.2.4 still owes every 2xx of that dialog, so the UAS stops retransmitting. A
 * 2xx of another To tag (another fork's dialog), or any when no ACK was left, is
 * ACKed and BYEd in its own dialog (sig_orphan_2xx), once: that ACK is kept
 * (t->fork_ack, the last such fork's) for the 2xx again.
 */
static void
txn_ack_orphan_2xx(
	struct hl_sig *s, struct sig_txn *t, const uint8_t *buf, const struct hl_sip_msg *m)
{
	if (ack_of_dialog(t->ack, t->ack_len, buf, m)) {
		sig_send(s, &t->peer, t->ack, t->ack_len);
		return;
	}
	if (ack_of_dialog(t->fork_ack, t->fork_ack_len, buf, m)) {
		sig_send(s, &t->peer, t->fork_ack, t->fork_ack_len);
		return;
	}
	sig_orphan_2xx(s, t, buf, m);
}

static void
client_response(struct hl_sig *s, const uint8_t *buf, const struct hl_sip_msg *m)
{
	const struct hl_sip_hdr_field *v = hl_sip_hdr_first(m, HL_SIP_HDR_VIA);
	const struct hl_sip_hdr_field *c = hl_sip_hdr_first(m, HL_SIP_HDR_CSEQ);
	struct hl_sip_via via;
	struct hl_sip_cseq cs;
	struct sig_txn *t;
	int st = m->status;

	if (v == NULL || c == NULL || hl_sip_parse_via(buf, v->value, &via) < 0 ||
		hl_sip_parse_cseq(buf, c->value, &cs) < 0 || via.branch.len == 0) {
		sig_count(s, HL_SIG_CTR_STRAY_RESPONSE);
		return;
	}
	/* §17.1.3: top Via branch and CSeq method; ACK never has a transaction. */
	t = txn_find(s, 0, buf, via.branch, cs.method, NULL);
	if (t == NULL) {
		sig_count(s, HL_SIG_CTR_STRAY_RESPONSE);
		return;
	}
	if (t->state == TXN_COMPLETED || t->state == TXN_TERMINATED) {
		/* A retransmitted final: non-2xx INVITE finals get their ACK again. */
		sig_count(s, HL_SIG_CTR_RETRANS_ABSORBED);
		if (t->method == HL_SIP_METHOD_INVITE && st >= 300)
			txn_ack_non2xx(s, t, buf, m);
		return;
	}
	if (t->state == TXN_ACCEPTED) {
		/* RFC 6026 §7.2: 2xx retransmissions go to the user (who ACKs again). */
		if (st >= 200 && st < 300 && t->on_resp != NULL && t->leg != NULL) {
			t->again = 1;
			t->on_resp(s, t, buf, m, st);
		} else {
			if (st >= 200 && st < 300 && t->leg == NULL)
				txn_ack_orphan_2xx(s, t, buf, m);
			sig_count(s, HL_SIG_CTR_RETRANS_ABSORBED);
		}
		return;
	}
	if (st < 200) {
		if (t->state == TXN_TRYING)
			t->state = TXN_PROCEEDING;
		if (t->method == HL_SIP_METHOD_INVITE) {
			hl_timer_cancel(s->wheel, &t->t_retx);
			/* §17.1.1.2: Timer B ends only the Calling state; a ringing INVITE
			 * waits for its final as long as its user wants (the ring timer,
			 * no_answer_s up to 300 s, then CANCEL and 64*T1, §9.1). What stays is
			 * a guard against a UAS that never sends one, as Timer C is for a
			 * proxy (§16.6 step 11, > 3 min), restarted by each provisional until a
			 * CANCEL went: from then on only its 64*T1 counts (§9.1). */
			if (!t->cancel_sent)
				hl_timer_arm(s->wheel, &t->t_end, SIG_INVITE_PROCEEDING_MS);
		} else if (t->retx_ms < s->t2) /* §17.1.2.2: Proceeding retransmits at T2 */
			t->retx_ms = s->t2;
		t->got_1xx = 1;
	} else {
		t->status = (uint16_t)st;
		hl_timer_cancel(s->wheel, &t->t_retx);
		if (t->method == HL_SIP_METHOD_INVITE) {
			if (st < 300) {
				/* RFC 6026 §7.2: Accepted, Timer M = 64*T1. */
				t->state = TXN_ACCEPTED;
				hl_timer_arm(s->wheel, &t->t_end, 64ull * s->t1);
				if (t->leg == NULL)
					txn_ack_orphan_2xx(s, t, buf, m);
			} else {
				/* §17.1.1.3: ACK, Timer D (32 s on UDP) absorbs repeats. */
				t->state = TXN_COMPLETED;
				txn_ack_non2xx(s, t, buf, m);
				hl_timer_arm(s->wheel, &t->t_end, 32000);
			}
		} else {
			/* §17.1.2.2: Timer K = T4 on UDP. */
			t->state = TXN_COMPLETED;
			hl_timer_arm(s->wheel, &t->t_end, s->t4);
		}
	}
	if (t->on_resp != NULL && (t->leg != NULL || t->qbind != NULL))
		t->on_resp(s, t, buf, m, st);
}

/* ---- responses within server transactions ---- */

void
sig_reply(struct hl_sig *s, struct sig_txn *t, const uint8_t *req, const struct hl_sip_msg *m,
	int code, const char *reason, const char *to_tag, const char *hdrs, const char *ctype,
	const char *body, size_t body_len)
{
	struct hl_sip_writer w;
	int n;

	hl_sip_w_init(&w, s->out, sizeof(s->out));
	if (hl_sip_w_response_start(&w, req, m, code, reason, to_tag) != 0)
		return;
	if (hdrs != NULL)
		hl_sip_w_str(&w, hdrs);
	hl_sip_w_str(&w, "Server: hotline/" HL_VERSION "\r\n");
	hl_sip_w_body(&w, ctype, body, body_len);
	n = hl_sip_w_finish(&w);
	if (n <= 0)
		return;
	sig_txn_respond(s, t, s->out, (size_t)n, code);
}

void
sig_reply_stored(struct hl_sig *s, struct sig_txn *t, int code, const char *reason,
	const char *to_tag, const char *hdrs, const char *ctype, const char *body, size_t body_len)
{
	struct hl_sip_msg m;

	if (t == NULL || t->req == NULL ||
		hl_sip_parse((const uint8_t *)t->req, t->req_len, &m) < 0)
		return;
	sig_reply(s, t, (const uint8_t *)t->req, &m, code, reason, to_tag, hdrs, ctype, body,
		body_len);
}

/* ---- requests ---- */

static void
options_request(struct hl_sig *s, struct sig_txn *t, const uint8_t *buf,
	const struct hl_sip_msg *m, const char *to_tag)
{
	char hdrs[256];

	sig_count(s, HL_SIG_CTR_OPTIONS_IN);
	snprintf(hdrs, sizeof(hdrs), "Allow: %s\r\nAccept: application/sdp\r\nSupported: %s\r\n",
		sig_allow, sig_supported);
	sig_reply(s, t, buf, m, 200, NULL, to_tag, hdrs, NULL, NULL, 0);
}

/* RFC 3261 §8.2.2.3: a Require we do not support is 420 with Unsupported. We support
 * timer (RFC 4028) and 100rel (RFC 3262: our 18x to such a customer go reliably). */
static int
check_require(struct hl_sig *s, struct sig_txn *t, const uint8_t *buf,
	const struct hl_sip_msg *m)
{
	const struct hl_sip_hdr_field *h;
	char hdrs[160];

	for (h = hl_sip_hdr_first(m, HL_SIP_HDR_REQUIRE); h != NULL; h = hl_sip_hdr_next(m, h)) {
		struct hl_sip_slice rest = h->value, tok;
		int n;

		while (rest.len > 0 && (n = hl_sip_parse_token(buf, rest, &tok)) > 0) {
			rest.off += (uint16_t)n;
			rest.len -= (uint16_t)n;
			if (tok.len == 0 || hl_sip_slice_ieq(buf, tok, "timer") ||
				hl_sip_slice_ieq(buf, tok, "100rel"))
				continue;
			snprintf(hdrs, sizeof(hdrs), "Unsupported: %.*s\r\n", tok.len,
				(const char *)buf + tok.off);
			sig_reply(s, t, buf, m, 420, NULL, NULL, hdrs, NULL, NULL, 0);
			return -1;
		}
	}
	return 0;
}

/* §16.3 step 2-4 as a B2BUA applies them: hops left, and our own Via in the path. */
static int
check_hops(struct hl_sig *s, struct sig_txn *t, const uint8_t *buf, const struct hl_sip_msg *m)
{
	const struct hl_sip_hdr_field *h = hl_sip_hdr_first(m, HL_SIP_HDR_MAX_FORWARDS);
	uint32_t mf = 70;

	if (h != NULL && hl_sip_parse_uint(buf, h->value, &mf) == 0 && mf == 0) {
		sig_count(s, HL_SIG_CTR_TOO_MANY_HOPS);
		sig_reply(s, t, buf, m, 483, NULL, NULL, NULL, NULL, NULL, 0);
		return -1;
	}
	/* Our own branch in a Via below the top one: the request went out through us
	 * and came back (a misrouted DID pointing at ourselves). */
	for (h = hl_sip_hdr_first(m, HL_SIP_HDR_VIA); h != NULL; h = hl_sip_hdr_next(m, h)) {
		struct hl_sip_slice rest = h->value;
		struct hl_sip_via via;
		int n, first = h == hl_sip_hdr_first(m, HL_SIP_HDR_VIA);

		while (rest.len > 0 && (n = hl_sip_parse_via(buf, rest, &via)) > 0) {
			rest.off += (uint16_t)n;
			rest.len -= (uint16_t)n;
			if (!first && via.branch.len > sizeof(SIG_BRANCH_PREFIX) - 1 &&
				memcmp(buf + via.branch.off, SIG_BRANCH_PREFIX,
					sizeof(SIG_BRANCH_PREFIX) - 1) == 0) {
				sig_count(s, HL_SIG_CTR_LOOP_DETECTED);
				sig_reply(s, t, buf, m, 482, NULL, NULL, NULL, NULL, NULL, 0);
				return -1;
			}
			first = 0;
		}
	}
	return 0;
}

static void
request(struct hl_sig *s, const uint8_t *buf, size_t len, const struct hl_sip_msg *m,
	const struct hl_sig_addr *src)
{
	const struct hl_sip_hdr_field *v = hl_sip_hdr_first(m, HL_SIP_HDR_VIA);
	const struct hl_sip_hdr_field *to = hl_sip_hdr_first(m, HL_SIP_HDR_TO);
	const struct hl_sip_hdr_field *cid = hl_sip_hdr_first(m, HL_SIP_HDR_CALL_ID);
	struct hl_sip_name_addr tna;
	struct hl_sip_via via;
	struct sig_txn *t;
	char sent_by[72];
	unsigned int key_method = m->method == HL_SIP_METHOD_ACK ? HL_SIP_METHOD_INVITE : m->method;

	sig_count(s, HL_SIG_CTR_REQ_IN);
	if (hl_sip_parse_via(buf, v->value, &via) < 0 || hl_sip_parse_name_addr(buf, to->value, &tna) < 0) {
		sig_count(s, HL_SIG_CTR_BAD_IN);
		sig_count(s, HL_SIG_CTR_BAD_ANSWERED);
		if (m->method == HL_SIP_METHOD_PRACK)
			sig_count(s, HL_SIG_CTR_PRACK_IN);
		sig_prack_refused(s, m);
		reply_stateless(s, buf, m, src, 400);
		return;
	}
	{
		size_t hl = via.host.len > 60 ? 60 : via.host.len;

		memcpy(sent_by, buf + via.host.off, hl);
		sent_by[hl] = ':';
		sig_utoa(sent_by + hl + 1, via.port ? via.port : 5060);
	}
	/* §17.2.3: only RFC 3261 branches identify transactions; an older client's
	 * request is handled, but its retransmissions are not recognised. */
	int rfc3261 = via.branch.len > 7 && memcmp(buf + via.branch.off, "z9hG4bK", 7) == 0;

	if (m->method == HL_SIP_METHOD_ACK) {
		t = rfc3261 ? txn_find(s, 1, buf, via.branch, HL_SIP_METHOD_INVITE, sent_by) : NULL;
		if (t != NULL && t->state == TXN_COMPLETED) {
			/* §17.2.1: the ACK of our non-2xx final; Timer I = T4. */
			t->state = TXN_CONFIRMED;
			hl_timer_cancel(s->wheel, &t->t_retx);
			hl_timer_arm(s->wheel, &t->t_end, s->t4);
			return;
		}
		if (t != NULL && t->state == TXN_CONFIRMED) {
			sig_count(s, HL_SIG_CTR_RETRANS_ABSORBED);
			return;
		}
		struct sig_leg *leg = tna.tag.len ? sig_dialog_find(s, buf, cid->value, tna.tag) : NULL;
		if (leg == NULL) {
			sig_count(s, HL_SIG_CTR_STRAY_ACK);
			return;
		}
		sig_call_in_dialog(s, leg, NULL, buf, m, src);
		return;
	}
	t = rfc3261 ? txn_find(s, 1, buf, via.branch, key_method, sent_by) : NULL;
	if (t != NULL) {
		/* §17.2.1/§17.2.2: a retransmission gets the last response again. */
		sig_count(s, HL_SIG_CTR_RETRANS_ABSORBED);
		if (t->msg != NULL)
			sig_send(s, &t->peer, t->msg, t->msg_len);
		return;
	}
	/* Once per PRACK, not per copy: prack_request() finds what it matches, and
	 * every refusal on the way there counts it unmatched (sig_prack_refused). */
	if (m->method == HL_SIP_METHOD_PRACK)
		sig_count(s, HL_SIG_CTR_PRACK_IN);
	char fake[SIG_BRANCH_MAX];
	struct hl_sip_slice br = via.branch;
	const char *bp = (const char *)buf + br.off;
	size_t blen = br.len;
	if (!rfc3261 || blen >= SIG_BRANCH_MAX) {
		sig_new_branch(s, fake, sizeof(fake));
		bp = fake;
		blen = strlen(fake);
	}
	t = txn_new(s, 1, (enum hl_sip_method)key_method, bp, blen);
	if (t == NULL) {
		/* Table full: shed load statelessly (RFC 3261 §21.5.4). */
		sig_prack_refused(s, m);
		if (m->method != HL_SIP_METHOD_CANCEL) {
			struct hl_sig_addr dst;
			struct hl_sip_writer w;
			hl_sip_w_init(&w, s->out, sizeof(s->out));
			if (hl_sip_w_response_start(&w, buf, m, 503, NULL, NULL) == 0) {
				hl_sip_w_str(&w, "Retry-After: 5\r\n");
				hl_sip_w_body(&w, NULL, NULL, 0);
				int n = hl_sip_w_finish(&w);
				response_addr(buf, m, src, &dst);
				if (n > 0)
					sig_send(s, &dst, s->out, (size_t)n);
			}
		}
		return;
	}
	sig_cat(t->sent_by, sizeof(t->sent_by), sent_by, NULL);
	response_addr(buf, m, src, &t->peer);

	if (m->method == HL_SIP_METHOD_INVITE) {
		t->req = sig_dup(buf, len);
		t->req_len = (uint16_t)len;
		/* §17.2.1: 100 Trying at once; the agent may take seconds. */
		int n = hl_sip_build_error_response(buf, m, 100, NULL, s->out, sizeof(s->out));
		if (n > 0)
			sig_txn_respond(s, t, s->out, (size_t)n, 100);
	}
	if (m->method == HL_SIP_METHOD_CANCEL) {
		struct sig_txn *inv = txn_find(s, 1, buf, via.branch, HL_SIP_METHOD_INVITE, sent_by);
		/* §9.2: 200 to the CANCEL, then 487 to the INVITE if it is still open. */
		if (inv == NULL || !rfc3261) {
			sig_reply(s, t, buf, m, 481, NULL, NULL, NULL, NULL, NULL, 0);
			return;
		}
		sig_reply(s, t, buf, m, 200, NULL, NULL, NULL, NULL, NULL, 0);
		if (inv->state < TXN_COMPLETED)
			sig_call_cancel(s, inv);
		return;
	}
	if (check_require(s, t, buf, m) != 0) {
		sig_prack_refused(s, m);
		if (m->method == HL_SIP_METHOD_INVITE && tna.tag.len == 0)
			sig_cdr_refused(s, t, buf, m, src, NULL, HL_CDR_REJECTED);
		return;
	}
	if (tna.tag.len != 0) {
		struct sig_leg *leg = sig_dialog_find(s, buf, cid->value, tna.tag);
		if (leg == NULL) {
			/* §12.2.2: a request for a dialog we do not have. */
			sig_prack_refused(s, m);
			sig_reply(s, t, buf, m, 481, NULL, NULL, NULL, NULL, NULL, 0);
			return;
		}
		sig_call_in_dialog(s, leg, t, buf, m, src);
		return;
	}
	switch (m->method) {
	case HL_SIP_METHOD_REGISTER:
		sig_reg_request(s, t, buf, m, src);
		return;
	case HL_SIP_METHOD_INVITE:
		if (check_hops(s, t, buf, m) != 0) {
			sig_cdr_refused(s, t, buf, m, src, NULL, HL_CDR_REJECTED);
			return;
		}
		sig_call_invite(s, t, buf, m, src);
		return;
	case HL_SIP_METHOD_OPTIONS: {
		char tag[SIG_TAG_MAX];
		sig_new_tag(s, tag, sizeof(tag));
		options_request(s, t, buf, m, tag);
		return;
	}
	case HL_SIP_METHOD_PRACK:
		/* RFC 3262 §3: a PRACK matching no reliable 1xx of ours is 481. */
		sig_prack_refused(s, m);
		/* fall through */
	case HL_SIP_METHOD_BYE:
	case HL_SIP_METHOD_INFO:
	case HL_SIP_METHOD_UPDATE:
		sig_reply(s, t, buf, m, 481, NULL, NULL, NULL, NULL, NULL, 0);
		return;
	case HL_SIP_METHOD_OTHER:
		sig_reply(s, t, buf, m, 501, NULL, NULL, NULL, NULL, NULL, 0);
		return;
	default: {
		char hdrs[160];
		snprintf(hdrs, sizeof(hdrs), "Allow: %s\r\n", sig_allow);
		sig_reply(s, t, buf, m, 405, NULL, NULL, hdrs, NULL, NULL, 0);
		return;
	}
	}
}

void
hl_sig_input(struct hl_sig *s, const uint8_t *buf, size_t len, const struct hl_sig_addr *src,
	uint64_t now_ms)
{
	struct hl_sip_msg m;
	int r;

	if (now_ms > s->now_ms)
		hl_sig_poll(s, now_ms);
	sig_count(s, HL_SIG_CTR_MSG_IN);
	r = hl_sip_parse(buf, len, &m);
	if (r >= 0 && hl_sip_validate(buf, &m) != 0)
		r = HL_E_PARSE;
	if (r < 0) {
		const char *reason;
		int code = hl_sip_error_status(r, &m, &reason);

		sig_count(s, HL_SIG_CTR_BAD_IN);
		if (code > 0) {
			sig_count(s, HL_SIG_CTR_BAD_ANSWERED);
			reply_stateless(s, buf, &m, src, code);
		}
		return;
	}
	if (m.flags & HL_SIP_F_RESPONSE) {
		sig_count(s, HL_SIG_CTR_RESP_IN);
		client_response(s, buf, &m);
		return;
	}
	request(s, buf, (size_t)r, &m, src);
}

/* ---- lifetime ---- */

static void
sync_fire(struct hl_timer *tm, void *arg)
{
	struct hl_sig *s = arg;

	(void)tm;
	sig_cdr_tick(s);
	if (s->store != NULL)
		hl_store_sync(s->store);
	hl_timer_arm(s->wheel, &s->t_sync, 1000);
}

static uint32_t
pow2_at_least(uint32_t v)
{
	uint32_t p = 1;

	while (p < v && p < (1u << 30))
		p <<= 1;
	return p;
}

struct hl_sig *
hl_sig_create(const struct hl_config *cfg, const struct hl_tenants *tenants,
	struct hl_store *store, const struct hl_sig_ops *ops, uint64_t now_ms, uint64_t wall_s)
{
	struct hl_sig *s = calloc(1, sizeof(*s));
	int fd;

	if (s == NULL) {
		hl_errno = -ENOMEM;
		return NULL;
	}
	s->cfg = cfg;
	s->tenants = tenants;
	s->store = store;
	s->ops = *ops;
	s->now_ms = now_ms;
	s->poll_ms = now_ms;
	s->wall_base_ms = now_ms;
	s->wall_base_s = wall_s;
	s->t1 = cfg->sip_t1_ms;
	s->t2 = cfg->sip_t2_ms;
	s->t4 = cfg->sip_t4_ms;
	fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		if (read(fd, &s->salt, sizeof(s->salt)) != sizeof(s->salt))
			s->salt = 0;
		close(fd);
	}
	s->salt ^= now_ms * 0x9e3779b97f4a7c15ull ^ (uint64_t)getpid();
	s->ntxn_max = cfg->sip_max_transactions;
	s->txn_mask = pow2_at_least(s->ntxn_max / 2 + 1) - 1;
	s->dlg_mask = pow2_at_least(cfg->sip_max_dialogs / 2 + 1) - 1;
	s->txn_hash = calloc((size_t)s->txn_mask + 1, sizeof(*s->txn_hash));
	s->dlg_hash = calloc((size_t)s->dlg_mask + 1, sizeof(*s->dlg_hash));
	s->wheel = malloc(sizeof(*s->wheel));
	if (s->txn_hash == NULL || s->dlg_hash == NULL || s->wheel == NULL) {
		hl_errno = -ENOMEM;
		goto fail;
	}
	hl_timer_wheel_init(s->wheel, now_ms);
	s->digest = hl_digest_server_create(NULL, cfg->sip_nonce_ttl_s, 65536);
	if (s->digest == NULL)
		goto fail;
	if (sig_ports_init(&s->ports, cfg->rtp_port_min, cfg->rtp_port_max) != 0) {
		hl_errno = -ENOMEM;
		goto fail;
	}
	if (sig_reg_init(s) != 0)
		goto fail;
	if (sig_cdr_init(s) != 0) {
		hl_errno = -ENOMEM;
		goto fail;
	}
	hl_timer_init(&s->t_sync, sync_fire, s);
	hl_timer_arm(s->wheel, &s->t_sync, 1000);
	return s;
fail:
	hl_sig_free(s);
	return NULL;
}

void
hl_sig_free(struct hl_sig *s)
{
	if (s == NULL)
		return;
	/* Without sending: the engine's workers (and their legs) may be gone already. */
	s->ops.media_set = NULL;
	s->ops.media_del = NULL;
	s->ops.media_dtmf = NULL;
	s->freeing = 1;
	sig_call_free_all(s);
	/* After the calls: theirs are written at once (no figures will come now). */
	sig_cdr_free(s);
	if (s->txn_hash != NULL) {
		for (uint32_t i = 0; i <= s->txn_mask; i++) {
			while (s->txn_hash[i] != NULL)
				txn_free(s, s->txn_hash[i]);
		}
	}
	sig_reg_free(s);
	sig_ports_free(&s->ports);
	hl_digest_server_free(s->digest);
	free(s->txn_hash);
	free(s->dlg_hash);
	free(s->wheel);
	free(s);
}

unsigned int
hl_sig_poll(struct hl_sig *s, uint64_t now_ms)
{
	unsigned int n;

	if (now_ms <= s->now_ms)
		return 0;
	s->poll_ms = now_ms;
	n = hl_timer_advance(s->wheel, now_ms, SIG_TIMER_BUDGET);
	/* Run behind by design when the budget is spent: the rest fire next turn. */
	s->now_ms = s->wheel->now_ms;
	return n;
}

void
hl_sig_stats(const struct hl_sig *s, struct hl_sig_stats *out)
{
	*out = s->st;
	out->timers = s->wheel->armed;
}
