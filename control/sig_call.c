/*
 * The B2BUA: a customer's INVITE from a trunk becomes a call with an A leg (we are
 * its UAS) and, one agent at a time, a B leg (we are its UAC). Each leg is a dialog
 * of its own (Call-ID, tags, CSeq, Contact, route set), both anchored on our media
 * ports; SDP crosses through the offer/answer helper (hotline/sdp.h). Routing is
 * route_next_agent(): the tenant's idle, registered agents in longest-idle order,
 * each rung for no_answer_s; the ACD replaces exactly that function.
 *
 * RFC 3261 §12-§15 (dialogs, re-INVITE, BYE), §9 (CANCEL), §13.3.1.4 (2xx until
 * ACK), §12.1.2 and §13.2.2.4 (an agent's INVITE forked by a proxy in front of it:
 * an early dialog per To tag, the first 2xx wins, any other is ACKed and BYEd),
 * RFC 3262 (reliable 18x to a customer that takes them, PRACK to an agent that sends
 * them, in each early dialog), RFC 4028 (session timers), RFC 3264 (offer/answer),
 * RFC 3311 (UPDATE), RFC 6086 legacy INFO with the application/dtmf-relay convention:
 * key presses reported and relayed to the other leg, one INFO at a time.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hotline/common.h"
#include "hotline/dtmf.h"
#include "hotline/sdp.h"
#include "control/sig_priv.h"

/* ---- media ports: 4-port blocks (A RTP/RTCP, B RTP/RTCP) ---- */

int
sig_ports_init(struct sig_ports *p, uint16_t lo, uint16_t hi)
{
	p->lo = lo;
	p->hi = hi;
	p->nblocks = ((uint32_t)hi - lo + 1) / 4;
	p->next = 0;
	p->used = 0;
	p->bits = calloc(p->nblocks / 64 + 1, sizeof(uint64_t));
	p->by_block = calloc(p->nblocks + 1, sizeof(*p->by_block));
	return p->bits && p->by_block ? 0 : -1;
}

void
sig_ports_free(struct sig_ports *p)
{
	free(p->bits);
	p->bits = NULL;
	free(p->by_block);
	p->by_block = NULL;
}

/* First free block after the last one given: a released port rests before reuse,
 * so late packets of an old call do not land in a new one. 0 when full. */
static uint16_t
ports_alloc(struct sig_ports *p)
{
	for (uint32_t k = 0; k < p->nblocks; k++) {
		uint32_t b = (p->next + k) % p->nblocks;
		if (!(p->bits[b / 64] & (1ull << (b % 64)))) {
			p->bits[b / 64] |= 1ull << (b % 64);
			p->next = b + 1;
			p->used++;
			return (uint16_t)(p->lo + b * 4);
		}
	}
	return 0;
}

static void
ports_release(struct sig_ports *p, uint16_t port)
{
	uint32_t b;

	if (port < p->lo || port > p->hi)
		return;
	b = (uint32_t)(port - p->lo) / 4;
	if (p->bits[b / 64] & (1ull << (b % 64))) {
		p->bits[b / 64] &= ~(1ull << (b % 64));
		p->used--;
	}
}

/* ---- message bodies ---- */

/* Content-Type value v, its parameters left out, is media type t ("type/subtype"). */
static bool
ctype_is(const uint8_t *buf, struct hl_sip_slice v, const char *t)
{
	const char *sub = strchr(t, '/');
	struct hl_sip_media_type mt;

	return hl_sip_parse_media_type(buf, v, &mt) == 0 && sub != NULL &&
	       mt.type.len == (size_t)(sub - t) &&
	       strncasecmp((const char *)buf + mt.type.off, t, mt.type.len) == 0 &&
	       hl_sip_slice_ieq(buf, mt.subtype, sub + 1);
}

/*
 * The SDP m carries (in buf): its body when its Content-Type (RFC 3261 §20.15) is
 * application/sdp, type and subtype in any case (RFC 2045 §5.1), with any parameters
 * (RFC 4566 §8 defines none, so none changes what the body is); else none. A body of
 * another type, or under a Content-Type that does not parse or is missing (§7.4.1
 * requires one), is no offer or answer (§13.2.1), whatever it holds: a request that
 * has one gets 415 with Accept: application/sdp (§8.2.3, §21.4.13), a response or an
 * ACK is taken as one without SDP.
 */
static struct hl_sip_slice
sdp_body(const uint8_t *buf, const struct hl_sip_msg *m)
{
	const struct hl_sip_hdr_field *ct = hl_sip_hdr_first(m, HL_SIP_HDR_CONTENT_TYPE);

	if (m->body.len == 0 || ct == NULL || !ctype_is(buf, ct->value, "application/sdp"))
		return (struct hl_sip_slice){0, 0};
	return m->body;
}

/* m has a body that is not SDP (sdp_body()): the request it is gets 415. */
static bool
body_not_sdp(const uint8_t *buf, const struct hl_sip_msg *m)
{
	return m->body.len != 0 && sdp_body(buf, m).len == 0;
}

/* 415 to request m of t, whose body is not SDP (RFC 3261 §21.4.13: Accept names ours). */
static void
reply_415(struct hl_sig *s, struct sig_txn *t, const uint8_t *buf, const struct hl_sip_msg *m)
{
	sig_reply(s, t, buf, m, 415, NULL, NULL, "Accept: application/sdp\r\n", NULL, NULL, 0);
}

/* ---- codecs we anchor (passthrough: both legs must share one) ---- */

static const struct hl_sdp_codec our_codecs[] = {
	{"PCMU", 8000, 1, 0, NULL},
	{"PCMA", 8000, 1, 8, NULL},
	{"G722", 8000, 1, 9, NULL},
	{"opus", 48000, 2, 111, "useinbandfec=1"},
};

static void
caps_init(struct hl_sdp_caps *c, const char *addr, int v6, uint16_t port, uint64_t sess_id,
	uint32_t version)
{
	memset(c, 0, sizeof(*c));
	c->codecs = our_codecs;
	c->ncodecs = HL_ARRAY_SIZE(our_codecs);
	c->telephone_event = 1;
	c->te_pt = 101;
	c->srtp = HL_SDP_SRTP_FORBID;
	c->rtcp_mux = 0;
	c->ipv6 = (uint8_t)v6;
	c->port = port;
	c->addr = addr;
	c->user = "hotline";
	c->sess_id = sess_id;
	c->sess_version = version;
}

/* Index into our_codecs of format f of m, -1 when not ours. */
static int
codec_of(const uint8_t *buf, const struct hl_sdp_fmt *f)
{
	static const uint8_t static_pt[] = {0, 8, 9};

	for (unsigned int i = 0; i < HL_ARRAY_SIZE(our_codecs); i++) {
		if (f->clock == 0) {
			if (i < HL_ARRAY_SIZE(static_pt) && f->pt == static_pt[i])
				return (int)i;
			continue;
		}
		if (f->clock == our_codecs[i].clock && hl_sip_slice_ieq(buf, f->name, our_codecs[i].name))
			return (int)i;
	}
	return -1;
}

/* ---- dialogs ---- */

/* ---- media legs (hotline/media.h): each leg's SDP, as the worker relays it ---- */

/*
 * SDES (RFC 4568). Each leg has its own keys: the remote's (media.rx_key, from its SDP,
 * and media.rx_more[] when its line had several told apart by MKI, §6.1) and ours
 * (media.tx_key, in our SDP, always one), for the one suite negotiated on that leg, so
 * RTP<->SRTP and SRTP<->SRTP with other keys or suites are the same relay. Our key is
 * made for the suite as it is picked: lazily for an answer (srtp_next, only the suite
 * hl_sdp_answer() takes), one per listed suite for an offer (srtp_offer[], by tag,
 * until the answer names the line it took).
 *
 * The suites our offers list, most preferred first (§5.1.1). An answerer takes the
 * first it supports (§7.1.2), so strongest first costs nothing with one that knows only
 * AES_CM_128_HMAC_SHA1_80 (it takes the last line) and gets a 256-bit AEAD suite from
 * one that has it; FreeSWITCH orders its offers the same way. Every line is one more
 * getrandom() and ~90 octets of SDP, so AES_CM_128_HMAC_SHA1_32 stays out: its 32-bit
 * tag is for narrow links (RFC 4568 §6.2.2), and an SDES phone that has it has _80.
 * We still answer it when a trunk prefers it. [rtp] srtp_suites replaces this list, and
 * then answers accept only its suites too (srtp_allowed()).
 */
static const uint8_t offer_suites[] = {
	HL_SDP_SUITE_AEAD_AES_256_GCM,
	HL_SDP_SUITE_AEAD_AES_128_GCM,
	HL_SDP_SUITE_AES_256_CM_HMAC_SHA1_80,
	HL_SDP_SUITE_AES_CM_128_HMAC_SHA1_80,
};
_Static_assert(HL_ARRAY_SIZE(offer_suites) <= SIG_SRTP_OFFER_MAX, "srtp_offer[] too small");

/* The caps' key callback (hl_sdp_srtp_key_fn) on one leg, for one SDP being built. */
struct srtp_cb {
	struct sig_leg *l;
	const struct hl_config *cfg;
	const uint8_t *suites; /* an offer's list (caps->srtp_suites) */
	unsigned int nsuites;
	uint8_t one;           /* a re-offer's list: the suite in use */
	uint8_t listed[HL_CONFIG_SRTP_SUITES_MAX]; /* [rtp] srtp_suites as SDP suites */
	char b64[(HL_SRTP_MAX_KEY_SALT + 2) / 3 * 4 + 1];
};

/* The base64 of key into cb->b64 (what hl_srtp_crypto_attr_format writes after inline:). */
static const char *
key_b64(struct srtp_cb *cb, const struct hl_srtp_key *key)
{
	char attr[HL_SRTP_ATTR_MAX];
	const char *p = NULL;
	size_t n = 0;

	if (hl_srtp_crypto_attr_format(attr, sizeof(attr), 1, key) > 0)
		p = strstr(attr, "inline:");
	if (p != NULL) {
		size_t room = sizeof(attr) - (size_t)(p + 7 - attr);
		p += 7;
		while (n < room && p[n] && p[n] != '|' && p[n] != ' ' && n + 1 < sizeof(cb->b64))
			n++;
		memcpy(cb->b64, p, n);
	}
	cb->b64[n] = '\0';
	explicit_bzero(attr, sizeof(attr));
	return n ? cb->b64 : NULL;
}

static int
has_key(const struct hl_srtp_key *k, int suite)
{
	return k->key_salt_len != 0 && k->suite == suite;
}

/* Ours in an answer: the key in use when the suite stays (§7.1.4: a re-offer need not
 * change the answerer's key), else a fresh one for the suite, in srtp_next until the
 * negotiation is applied (leg_srtp_answered). */
/* Whether an answer may take srtp suite su: any we run, or only [rtp] srtp_suites'. */
static bool
srtp_allowed(const struct hl_config *cfg, int su)
{
	if (cfg->rtp_n_srtp_suites == 0)
		return true;
	for (unsigned int k = 0; k < cfg->rtp_n_srtp_suites; k++)
		if (cfg->rtp_srtp_suites[k] == su)
			return true;
	return false;
}

static const char *
srtp_answer_key(void *ctx, enum hl_sdp_suite suite)
{
	struct srtp_cb *cb = ctx;
	struct sig_leg *l = cb->l;
	int su = hl_sdp_suite_srtp(suite);

	/* NULL: hl_sdp_answer() goes on to the next offered line. */
	if (su < 0 || !srtp_allowed(cb->cfg, su))
		return NULL;
	if (l->srtp && has_key(&l->media.tx_key, su))
		return key_b64(cb, &l->media.tx_key);
	if (!has_key(&l->srtp_next, su)) {
		hl_srtp_key_wipe(&l->srtp_next);
		if (hl_srtp_key_generate(&l->srtp_next, (unsigned int)su) != 0)
			return NULL;
	}
	return key_b64(cb, &l->srtp_next);
}

/* Ours in an offer, for the line of suite: the key in use again in a re-offer of the
 * suite in use, else a fresh one; kept in srtp_offer[] under the line's tag. */
static const char *
srtp_offer_key(void *ctx, enum hl_sdp_suite suite)
{
	struct srtp_cb *cb = ctx;
	struct sig_leg *l = cb->l;
	int su = hl_sdp_suite_srtp(suite);
	unsigned int k = 0;

	while (k < cb->nsuites && cb->suites[k] != suite)
		k++;
	if (su < 0 || k >= cb->nsuites || k >= SIG_SRTP_OFFER_MAX)
		return NULL;
	if (l->srtp && has_key(&l->media.tx_key, su))
		l->srtp_offer[k] = l->media.tx_key;
	else if (hl_srtp_key_generate(&l->srtp_offer[k], (unsigned int)su) != 0)
		return NULL;
	if (l->srtp_noffer < k + 1)
		l->srtp_noffer = (uint8_t)(k + 1);
	return key_b64(cb, &l->srtp_offer[k]);
}

static void
leg_srtp_offer_wipe(struct sig_leg *l)
{
	explicit_bzero(l->srtp_offer, sizeof(l->srtp_offer));
	l->srtp_noffer = 0;
}

/* Every key the leg holds, before it is freed. */
static void
leg_srtp_wipe(struct sig_leg *l)
{
	leg_srtp_offer_wipe(l);
	hl_srtp_key_wipe(&l->srtp_next);
	hl_srtp_key_wipe(&l->media.rx_key);
	explicit_bzero(l->media.rx_more, sizeof(l->media.rx_more));
	l->media.rx_nmore = 0;
	hl_srtp_key_wipe(&l->media.tx_key);
}

/*
 * SRTP of the caps for an SDP on leg l, an offer or an answer: the customer's follows
 * [rtp] srtp, the agent's [rtp] agent_srtp; once a leg runs SRTP it stays so, and a
 * leg that runs RTP stays RTP. cb is the callback's state: on the caller's stack, for
 * as long as the SDP is being built, wiped afterwards. An offer replaces the keys of
 * one in flight; a re-offer of a leg that runs SRTP lists the suite in use alone, with
 * our key and tag in use (nothing changes unless the answer changes it).
 */
static void
caps_leg_srtp(const struct hl_sig *s, struct sig_leg *l, struct hl_sdp_caps *caps,
	struct srtp_cb *cb, int offer)
{
	unsigned int pol = l->side == 0 ? s->cfg->rtp_srtp :
		(s->cfg->rtp_agent_srtp ? HL_CONFIG_SRTP_MANDATORY : HL_CONFIG_SRTP_OFF);

	memset(cb, 0, sizeof(*cb));
	cb->l = l;
	cb->cfg = s->cfg;
	if (l->srtp)
		pol = HL_CONFIG_SRTP_MANDATORY;
	else if (l->media_sent)
		pol = HL_CONFIG_SRTP_OFF;
	caps->srtp = pol == HL_CONFIG_SRTP_OFF ? HL_SDP_SRTP_FORBID :
		     pol == HL_CONFIG_SRTP_MANDATORY ? HL_SDP_SRTP_MANDATORY : HL_SDP_SRTP_OPTIONAL;
	if (caps->srtp == HL_SDP_SRTP_FORBID)
		return;
	caps->srtp_key_fn = offer ? srtp_offer_key : srtp_answer_key;
	caps->srtp_key_ctx = cb;
	if (!offer)
		return;
	leg_srtp_offer_wipe(l);
	if (l->srtp && l->media.tx_key.key_salt_len) {
		cb->one = (uint8_t)hl_sdp_suite_of_srtp(l->media.tx_key.suite);
		cb->suites = &cb->one;
		cb->nsuites = 1;
		caps->srtp_tag = l->srtp_tag;
	} else if (s->cfg->rtp_n_srtp_suites > 0) {
		for (unsigned int k = 0; k < s->cfg->rtp_n_srtp_suites; k++)
			cb->listed[k] = (uint8_t)hl_sdp_suite_of_srtp(s->cfg->rtp_srtp_suites[k]);
		cb->suites = cb->listed;
		cb->nsuites = s->cfg->rtp_n_srtp_suites;
		caps->srtp_tag = 1;
	} else {
		cb->suites = offer_suites;
		cb->nsuites = HL_ARRAY_SIZE(offer_suites);
		caps->srtp_tag = 1;
	}
	caps->srtp_suites = cb->suites;
	caps->nsrtp_suites = (uint8_t)cb->nsuites;
	l->srtp_offer_tag = caps->srtp_tag ? caps->srtp_tag : 1;
}

static int
key_same(const struct hl_srtp_key *a, const struct hl_srtp_key *b)
{
	return a->suite == b->suite && a->key_salt_len == b->key_salt_len &&
	       a->mki_len == b->mki_len && a->mki == b->mki &&
	       memcmp(a->key, b->key, a->key_salt_len) == 0;
}

/* The remote's keys rx[0..n) of a line against those the leg holds: all of them, in
 * order, so a re-offer that changes only a second key (RFC 4568 §6.1) is a new key. */
static int
rx_same(const struct hl_media_leg *ml, const struct hl_srtp_key *rx, unsigned int n)
{
	if (n != 1u + ml->rx_nmore || !key_same(&rx[0], &ml->rx_key))
		return 0;
	for (unsigned int i = 1; i < n; i++)
		if (!key_same(&rx[i], &ml->rx_more[i - 1]))
			return 0;
	return 1;
}

/*
 * The keys an offer/answer on l settled: theirs (rx[0..nrx), one or several told apart
 * by MKI; wiped here) and ours (tx), of one suite, on the crypto line tag. RFC 4568
 * §7.1.4: a new offer may change either key or the suite. Keys that change go to the
 * worker as new sessions (srtp_rekey: the next push is without srtp_keep); keys that
 * stay keep the worker's sessions, and with them the ROC and the replay windows
 * (RFC 3711 §3.3.1, §3.3.2).
 */
static void
leg_srtp_set(struct sig_leg *l, struct hl_srtp_key *rx, unsigned int nrx,
	const struct hl_srtp_key *tx, uint32_t tag)
{
	struct hl_media_leg *ml = &l->media;

	int rx_new = !l->srtp || !rx_same(ml, rx, nrx);
	int tx_new = !l->srtp || !key_same(tx, &ml->tx_key);

	if (rx_new || tx_new) {
		ml->rx_key = rx[0];
		explicit_bzero(ml->rx_more, sizeof(ml->rx_more));
		for (unsigned int i = 1; i < nrx; i++)
			ml->rx_more[i - 1] = rx[i];
		ml->rx_nmore = (uint8_t)(nrx - 1);
		if (tx != &ml->tx_key)
			ml->tx_key = *tx;
		ml->srtp_rx = ml->srtp_tx = 1;
		l->srtp = 1;
		/* Per direction: a key that stays keeps its worker session, and the
		 * inbound one its replay window. */
		l->srtp_rekey |= (uint8_t)((rx_new ? SRTP_REKEY_RX : 0) | (tx_new ? SRTP_REKEY_TX : 0));
	}
	l->srtp_tag = tag;
	explicit_bzero(rx, nrx * sizeof(*rx));
}

/* We answered offer stream m (in buf) on l with ns: the offerer's keys of the line we
 * took (all of them: it may switch between them by MKI, RFC 4568 §6.1), ours of
 * srtp_next (a new suite) or in use. Our answer carries our one key, without an MKI. */
static void
leg_srtp_answered(struct sig_leg *l, const uint8_t *buf, const struct hl_sdp_media *m,
	const struct hl_sdp_neg_stream *ns)
{
	struct hl_srtp_key rx[HL_SDP_MAX_KEYS];
	int n;

	if (ns->srtp && ns->crypto < m->ncrypto &&
		(n = hl_sdp_crypto_keys(buf, &m->crypto[ns->crypto], rx)) > 0) {
		const struct hl_srtp_key *tx =
			has_key(&l->srtp_next, rx[0].suite) ? &l->srtp_next : &l->media.tx_key;
		if (has_key(tx, rx[0].suite))
			leg_srtp_set(l, rx, (unsigned int)n, tx, ns->crypto_tag);
		explicit_bzero(rx, sizeof(rx));
	}
	hl_srtp_key_wipe(&l->srtp_next);
}

/*
 * The answer m (in buf) to our offer on l. RFC 4568 §7.1.3: its crypto line names by
 * tag the one of ours it took, with the same suite; our key is the one offered under
 * that tag. A 2xx that repeats a 183's answer names the line in use. A line that is
 * none of ours is not honoured. 0 when a line was taken, -1 when none was.
 */
static int
leg_srtp_answer(struct sig_leg *l, const uint8_t *buf, const struct hl_sdp_media *m)
{
	for (unsigned int i = 0; i < m->ncrypto; i++) {
		const struct hl_sdp_crypto *cr = &m->crypto[i];
		int su = hl_sdp_suite_srtp((enum hl_sdp_suite)cr->suite);
		uint32_t k = cr->tag - l->srtp_offer_tag;
		const struct hl_srtp_key *tx = NULL;
		struct hl_srtp_key rx[HL_SDP_MAX_KEYS];
		int n;

		if (su < 0)
			continue;
		if (cr->tag >= l->srtp_offer_tag && k < l->srtp_noffer &&
			has_key(&l->srtp_offer[k], su))
			tx = &l->srtp_offer[k];
		else if (l->srtp && cr->tag == l->srtp_tag && has_key(&l->media.tx_key, su))
			tx = &l->media.tx_key;
		if (tx == NULL || (n = hl_sdp_crypto_keys(buf, cr, rx)) <= 0)
			continue;
		leg_srtp_set(l, rx, (unsigned int)n, tx, cr->tag);
		return 0;
	}
	return -1;
}

/* Where a remote's media goes: address text of an SDP to bytes and its engine port. */
static int
media_remote(struct hl_sig *s, struct sig_leg *l, const uint8_t *buf, struct hl_sip_slice addr,
	unsigned int addrtype, uint16_t port, uint16_t rtcp_port)
{
	struct hl_media_leg *ml = &l->media;
	struct hl_sig_addr dst;
	uint8_t local[16];
	char txt[64];
	int fam = addrtype == HL_SDP_ADDR_IP6 ? 6 : 4;

	if (addr.len == 0 || addr.len >= sizeof(txt))
		return -1;
	memcpy(txt, buf + addr.off, addr.len);
	txt[addr.len] = '\0';
	memset(&dst, 0, sizeof(dst));
	dst.family = (uint8_t)fam;
	if (inet_pton(fam == 6 ? AF_INET6 : AF_INET, txt, dst.ip) != 1)
		return -1;
	/* The engine port and our address towards the media, as for SIP. */
	if (s->ops.route == NULL || s->ops.route(s->ops.ctx, &dst, local) != 0)
		return -1;
	ml->family = (uint8_t)fam;
	ml->port_index = dst.port_index;
	memcpy(ml->remote_ip, dst.ip, 16);
	memcpy(ml->local_ip, local, 16);
	ml->remote_port = port;
	ml->remote_rtcp_port = rtcp_port ? rtcp_port : (uint16_t)(port + 1);
	return 0;
}

static void
media_dir(struct hl_media_leg *ml, enum hl_sdp_dir their_dir, int zero_addr)
{
	/* Their direction: sendonly/inactive (or a zero address) means they do not want
	 * our media; recvonly/inactive means they will not send any. */
	ml->recv_only = their_dir == HL_SDP_DIR_SENDONLY || their_dir == HL_SDP_DIR_INACTIVE ||
			zero_addr;
	ml->remote_silent = their_dir == HL_SDP_DIR_RECVONLY || their_dir == HL_SDP_DIR_INACTIVE ||
			    zero_addr;
}

static void
media_base(struct hl_sig *s, struct sig_call *c, struct sig_leg *l)
{
	struct hl_media_leg *ml = &l->media;

	ml->call = c->id;
	ml->tenant = (uint16_t)(c->tenant ? c->tenant - s->ts : 0);
	ml->side = l->side;
	ml->local_port = l->side == 0 ? c->a_local_port : c->b_local_port;
	ml->timeout_ms = s->cfg->rtp_timeout_s * 1000;
	ml->hold_timeout_ms = s->cfg->rtp_hold_timeout_s * 1000;
	if (ml->ssrc == 0)
		ml->ssrc = (uint32_t)(s->salt * 0x9e3779b97f4a7c15ull >> 32) ^ (c->id * 2654435761u) ^
			   l->side;
}

/* The index into our_codecs[] of the codec stream m of an offer (in buf) runs under
 * negotiation ns, -1 when it is none of ours: ns->codec indexes the caps answered with,
 * which may be one of our_codecs[] alone. */
static int
neg_codec(const uint8_t *buf, const struct hl_sdp_media *m, const struct hl_sdp_neg_stream *ns)
{
	for (unsigned int f = 0; f < m->nfmt; f++)
		if (m->fmt[f].pt == ns->pt)
			return codec_of(buf, &m->fmt[f]);
	return -1;
}

/*
 * Leg l from our answer to its remote's offer (stream m of it, in buf, negotiated as
 * ns against caps whose codecs are our_codecs[] or one of them): the customer's first
 * offer, or an UPDATE's. A zero address (c=0.0.0.0, hold RFC 2543 style) keeps the
 * remote the leg has. 0, or -1 when its address has no route (the remote as it was).
 */
static int
media_from_neg(struct hl_sig *s, struct sig_call *c, struct sig_leg *l, const uint8_t *buf,
	const struct hl_sdp_media *m, const struct hl_sdp_neg_stream *ns, enum hl_sdp_dir their_dir)
{
	struct hl_media_leg *ml = &l->media;
	int zero = ns->remote_addr.len == 7 && memcmp(buf + ns->remote_addr.off, "0.0.0.0", 7) == 0;
	int k = neg_codec(buf, m, ns);

	media_base(s, c, l);
	if ((zero && !l->media_ready) ||
		(!zero && media_remote(s, l, buf, ns->remote_addr, ns->remote_addrtype,
				  ns->remote_port, ns->remote_rtcp_port) != 0))
		return -1;
	leg_srtp_answered(l, buf, m, ns);
	ml->codec_pt = ns->pt;
	ml->te_pt = ns->te_pt;
	ml->te_clock = ns->te_clock;
	ml->clock_rate = k >= 0 ? our_codecs[k].clock : 8000;
	ml->rtcp_mux = ns->rtcp_mux;
	media_dir(ml, their_dir, zero);
	l->media_ready = 1;
	return 0;
}

/* A leg from an SDP the remote sent (an answer, or a re-INVITE offer): address, port,
 * direction; the codec too when first_codec (the agent's first answer); the SDES keys
 * of an answer to our offer. An offer's keys are applied with our answer to it
 * (leg_srtp_answered), not before: until then the remote may refuse that answer. */
static void
media_from_sdp(struct hl_sig *s, struct sig_call *c, struct sig_leg *l, const uint8_t *buf,
	struct hl_sip_slice body, int first_codec, int answer)
{
	struct hl_media_leg *ml = &l->media;
	struct hl_sdp sdp;
	const struct hl_sdp_media *m;
	const struct hl_sdp_conn *cn;

	if (body.len == 0 || hl_sdp_parse(buf, body, &sdp) != 0 || sdp.nmedia == 0)
		return;
	m = &sdp.media[0];
	cn = hl_sdp_media_conn(&sdp, 0);
	if (m->port == 0 || m->nfmt == 0)
		return;
	media_base(s, c, l);
	int zero = cn->addr.len == 7 && memcmp(buf + cn->addr.off, "0.0.0.0", 7) == 0;
	if (!zero && media_remote(s, l, buf, cn->addr, cn->addrtype, m->port, m->rtcp_port) != 0)
		return;
	media_dir(ml, hl_sdp_media_dir(&sdp, 0), zero);
	ml->rtcp_mux = m->rtcp_mux;
	if (first_codec || !l->media_ready) {
		int k = codec_of(buf, &m->fmt[0]);
		ml->codec_pt = m->fmt[0].pt;
		ml->clock_rate = k >= 0 ? our_codecs[k].clock : 8000;
		ml->te_pt = (int16_t)hl_sdp_pick_te(buf, m, ml->clock_rate, &ml->te_clock);
	}
	if (answer && (m->proto == HL_SDP_PROTO_RTP_SAVP || m->proto == HL_SDP_PROTO_RTP_SAVPF))
		(void)leg_srtp_answer(l, buf, m);
	l->media_ready = 1;
}

/*
 * PCI: the keys leg l presses are reported but kept from its peer when l is the
 * customer's leg of a dtmf_to_agent = suppress tenant, however they come: the worker
 * drops its telephone-events and mutes its tones (dtmf_suppress, media_push()),
 * control does not relay its INFO (info_request()). The agent's keys reach the
 * customer.
 */
static bool
leg_dtmf_suppressed(const struct sig_call *c, const struct sig_leg *l)
{
	return l == c->a && c->tenant != NULL &&
	       c->tenant->cfg->dtmf_to_agent == HL_TENANT_DTMF_SUPPRESS;
}

/* Gives the worker both legs as they are now, bridged to each other. */
static void
media_push(struct hl_sig *s, struct sig_call *c)
{
	struct sig_leg *legs[2] = {c->a, c->b};

	if (s->ops.media_set == NULL)
		return;
	for (unsigned int i = 0; i < 2; i++) {
		struct sig_leg *l = legs[i], *p = legs[1 - i];
		struct hl_media_leg copy;
		int rc;

		if (l == NULL || !l->media_ready || l->state == LEG_DONE)
			continue;
		copy = l->media;
		/* PCI: the customer's keys are reported but kept from the agent (its
		 * telephone-events not relayed, its in-band tones muted). */
		copy.dtmf_suppress = leg_dtmf_suppressed(c, l);
		/* In-band DTMF on G.711, G.722 and Opus where no RFC 4733 will come (no
		 * telephone-event), and where keys must not reach the agent even as tones:
		 * senders that negotiate telephone-event may still put the keys in the
		 * audio, alone or with the events (the worker reports such a press once).
		 * always: every such leg, for the senders that negotiate
		 * telephone-event and key in by tones on a relay tenant's call too. */
		copy.dtmf_inband = HL_MEDIA_INBAND_OFF;
		if (hl_media_codec_inband(copy.codec_pt, copy.clock_rate)) {
			if (s->cfg->rtp_dtmf_inband == HL_CONFIG_INBAND_ALWAYS)
				copy.dtmf_inband = HL_MEDIA_INBAND_ALWAYS;
			else if (s->cfg->rtp_dtmf_inband == HL_CONFIG_INBAND_AUTO &&
				 (copy.te_pt < 0 || copy.dtmf_suppress))
				copy.dtmf_inband = HL_MEDIA_INBAND_AUTO;
		}
		copy.peer_port = p != NULL && p->media_ready ? p->media.local_port : 0;
		copy.peer_port_index = p != NULL ? p->media.port_index : 0;
		/* New keys are new sessions; the same keys keep the worker's (and its
		 * ROC and replay windows). */
		copy.srtp_keep = l->media_sent && !l->srtp_rekey;
		copy.srtp_rx_keep = l->media_sent && !(l->srtp_rekey & SRTP_REKEY_RX);
		copy.srtp_tx_keep = l->media_sent && !(l->srtp_rekey & SRTP_REKEY_TX);
		rc = s->ops.media_set(s->ops.ctx, &copy);
		explicit_bzero(&copy, sizeof(copy));
		if (rc != 0) {
			sig_count(s, HL_SIG_CTR_MEDIA_FAIL);
			continue;
		}
		if (!l->media_sent)
			s->st.media_legs++;
		l->media_sent = 1;
		l->srtp_rekey = 0;
	}
}

static void
media_end(struct hl_sig *s, struct sig_leg *l)
{
	if (l == NULL || !l->media_sent)
		return;
	if (s->ops.media_del != NULL)
		(void)s->ops.media_del(s->ops.ctx, l->media.port_index, l->media.local_port);
	l->media_sent = 0;
	s->st.media_legs--;
}

static uint32_t
dlg_hash(const struct hl_sig *s, const char *cid, size_t clen, const char *tag, size_t tlen)
{
	uint32_t h = 2166136261u ^ (uint32_t)(s->salt >> 32);

	for (size_t i = 0; i < clen; i++)
		h = (h ^ (uint8_t)cid[i]) * 16777619u;
	for (size_t i = 0; i < tlen; i++)
		h = (h ^ (uint8_t)tag[i]) * 16777619u;
	return h;
}

static void
dlg_insert(struct hl_sig *s, struct sig_leg *l)
{
	l->hash = dlg_hash(s, l->call_id, strlen(l->call_id), l->ltag, strlen(l->ltag));
	l->hnext = s->dlg_hash[l->hash & s->dlg_mask];
	s->dlg_hash[l->hash & s->dlg_mask] = l;
	l->in_hash = 1;
	s->st.dialogs++;
}

static void
dlg_remove(struct hl_sig *s, struct sig_leg *l)
{
	if (!l->in_hash)
		return;
	for (struct sig_leg **pp = &s->dlg_hash[l->hash & s->dlg_mask]; *pp; pp = &(*pp)->hnext) {
		if (*pp == l) {
			*pp = l->hnext;
			break;
		}
	}
	l->in_hash = 0;
	s->st.dialogs--;
}

struct sig_leg *
sig_dialog_find(struct hl_sig *s, const uint8_t *buf, struct hl_sip_slice cid,
	struct hl_sip_slice tag)
{
	const char *c = (const char *)buf + cid.off, *t = (const char *)buf + tag.off;
	uint32_t h = dlg_hash(s, c, cid.len, t, tag.len);

	for (struct sig_leg *l = s->dlg_hash[h & s->dlg_mask]; l != NULL; l = l->hnext) {
		if (l->hash == h && strlen(l->call_id) == cid.len && strlen(l->ltag) == tag.len &&
			memcmp(l->call_id, c, cid.len) == 0 && memcmp(l->ltag, t, tag.len) == 0)
			return l;
	}
	return NULL;
}

/* ---- legs and calls ---- */

/* Our host as it goes in SDP: an IPv6 literal without its brackets. */
static void
sig_host_addr(const char *host, char *addr, size_t cap)
{
	size_t n = strlen(host);

	if (host[0] == '[' && n >= 2) {
		host++;
		n -= 2;
	}
	if (n > cap - 1)
		n = cap - 1;
	memcpy(addr, host, n);
	addr[n] = '\0';
}

static void call_maybe_free(struct hl_sig *s, struct sig_call *c);
static void info_queue_drop(struct hl_sig *s, struct sig_leg *l);
static void session_fire(struct hl_timer *tm, void *arg);
static void rel_fire(struct hl_timer *tm, void *arg);
static void codec_fire(struct hl_timer *tm, void *arg);
static void dir_fire(struct hl_timer *tm, void *arg);

static struct sig_leg *
leg_new(struct hl_sig *s, struct sig_call *c, int side)
{
	struct sig_leg *l = sig_alloc(sizeof(*l));

	if (l == NULL)
		return NULL;
	l->sig = s;
	l->call = c;
	l->side = (uint8_t)side;
	l->lcseq = 1;
	l->sess_id = s->seq * 7919 + (uint64_t)side;
	l->sdp_version = 1;
	hl_timer_init(&l->t_session, session_fire, l);
	hl_timer_init(&l->t_rel, rel_fire, l);
	hl_timer_init(&l->t_codec, codec_fire, l);
	hl_timer_init(&l->t_dir, dir_fire, l);
	return l;
}

static void leg_ack_leave(struct hl_sig *s, struct sig_leg *l, struct sig_txn *t);

static void
leg_free(struct hl_sig *s, struct sig_leg *l)
{
	if (l == NULL)
		return;
	dlg_remove(s, l);
	while (l->txns != NULL) {
		struct sig_txn *t = l->txns;
		/*
		 * An INVITE we sent that was answered 2xx waits 64*T1 (Timer M) only to
		 * hand 2xx retransmissions to the dialog for a new ACK. The dialog is
		 * over (its BYE completed or it never formed): the transaction keeps the
		 * ACK (leg_ack_leave) and Timer M runs out, since a UAS whose ACKs are
		 * lost retransmits its 2xx for 64*T1 (§13.3.1.4) and each gets the ACK
		 * again; one left without an ACK goes after T4.
		 */
		leg_ack_leave(s, l, t);
		if (!t->server && t->method == HL_SIP_METHOD_INVITE && t->state == TXN_ACCEPTED &&
			t->ack == NULL)
			hl_timer_arm(s->wheel, &t->t_end, s->t4);
		sig_txn_detach(t);
	}
	hl_timer_cancel(s->wheel, &l->t_session);
	hl_timer_cancel(s->wheel, &l->t_rel);
	hl_timer_cancel(s->wheel, &l->t_codec);
	hl_timer_cancel(s->wheel, &l->t_dir);
	info_queue_drop(s, l);
	sig_early_free(l);
	leg_srtp_wipe(l);
	sig_free(l->ack);
	sig_free(l->sdp_remote);
	sig_free(l->sdp_local);
	sig_free(l->sdp_local_was);
	sig_free(l);
}

/* A leg whose dialog is over: freed now, or when its call goes. Its UPDATE still
 * waiting for the peer's answer gets 481 now, and the peer's answer goes nowhere. */
static void
leg_done(struct hl_sig *s, struct sig_leg *l)
{
	struct sig_call *c = l->call;
	struct sig_txn *upd = l->upd;

	if (upd != NULL) {
		struct sig_leg *p = c == NULL ? NULL : l->side == 0 ? c->b : c->a;
		l->upd = NULL;
		if (p != NULL && p->inv_peer_req == upd)
			p->inv_peer_req = NULL;
		sig_reply_stored(s, upd, 481, NULL, NULL, NULL, NULL, NULL, 0);
	}
	l->state = LEG_DONE;
	dlg_remove(s, l);
	hl_timer_cancel(s->wheel, &l->t_session);
	hl_timer_cancel(s->wheel, &l->t_rel);
	hl_timer_cancel(s->wheel, &l->t_codec);
	hl_timer_cancel(s->wheel, &l->t_dir);
	if (c == NULL) {
		leg_free(s, l);
		return;
	}
	call_maybe_free(s, c);
}

static void
store_sdp(char **dst, uint16_t *dlen, const char *p, size_t n)
{
	char *d = sig_dup(p, n);

	if (d == NULL)
		return;
	sig_free(*dst);
	*dst = d;
	*dlen = (uint16_t)n;
}

static void
call_unlink(struct hl_sig *s, struct sig_call *c)
{
	if (c->prev)
		c->prev->next = c->next;
	else
		s->calls = c->next;
	if (c->next)
		c->next->prev = c->prev;
}

static void
call_free(struct hl_sig *s, struct sig_call *c)
{
	/* The legs the workers hold report their final figures once deleted: the record
	 * waits for those. */
	unsigned int want = 0;

	if (s->ops.media_del != NULL) {
		want |= c->a != NULL && c->a->media_sent ? 1u : 0u;
		want |= c->b != NULL && c->b->media_sent ? 2u : 0u;
	}
	sig_cdr_call_done(s, c, want);
	hl_timer_cancel(s->wheel, &c->t_noanswer);
	if (c->agent != NULL && c->agent->call == c)
		sig_agent_set_idle(s, c->agent);
	if (c->tenant != NULL && c->tenant->calls > 0)
		c->tenant->calls--;
	media_end(s, c->a);
	media_end(s, c->b);
	/* Each unlinked before it goes: freeing one detaches its transactions, which
	 * looks at the other (sig_txn_detach()). */
	struct sig_leg *a = c->a, *b = c->b;
	c->a = NULL;
	leg_free(s, a);
	c->b = NULL;
	leg_free(s, b);
	if (c->a_local_port >= s->ports.lo && c->a_local_port <= s->ports.hi &&
		s->ports.by_block[(c->a_local_port - s->ports.lo) / 4] == c)
		s->ports.by_block[(c->a_local_port - s->ports.lo) / 4] = NULL;
	ports_release(&s->ports, c->a_local_port);
	sig_free(c->a_offer);
	call_unlink(s, c);
	sig_free(c);
	s->st.calls--;
}

static void
call_maybe_free(struct hl_sig *s, struct sig_call *c)
{
	if ((c->a == NULL || c->a->state == LEG_DONE) && (c->b == NULL || c->b->state == LEG_DONE))
		call_free(s, c);
}

void
sig_call_free_all(struct hl_sig *s)
{
	while (s->calls != NULL)
		call_free(s, s->calls);
	/* Agent legs left to finish their CANCEL on their own (orphaned: no answer, the
	 * agent's BYE while ringing) belong to no call; their transactions name them.
	 * leg_free() detaches those without freeing them, so the chains stay walkable. */
	for (uint32_t i = 0; s->txn_hash != NULL && i <= s->txn_mask; i++)
		for (struct sig_txn *t = s->txn_hash[i]; t != NULL; t = t->hnext)
			if (t->leg != NULL && t->leg->call == NULL)
				leg_free(s, t->leg);
}

/* ---- building requests inside a dialog ---- */

static int
leg_local_host(struct hl_sig *s, struct sig_leg *l, char *out, size_t cap)
{
	return sig_local_host(s, &l->peer, out, cap);
}

/*
 * Writes the request line and the dialog's headers for method on leg l (RFC 3261
 * §12.2.1.1): target as Request-URI, the route set as Route, our Via with branch,
 * From/To with the tags, Call-ID, CSeq. The caller adds the rest and the body. e: an
 * early dialog of l's INVITE (its remote side: To, target, route set), NULL: l's own.
 */
static void
w_in_dialog(struct hl_sig *s, struct hl_sip_writer *w, struct sig_leg *l, const struct sig_early *e,
	const char *method, uint32_t cseq, const char *branch)
{
	/* An early dialog whose response had no Contact is reached at the leg's target. */
	const char *target = e != NULL && e->target[0] != '\0' ? e->target : l->target;
	const char *route = e != NULL ? e->route : l->route;
	const char *ruri = e != NULL && e->ruri[0] != '\0' ? e->ruri : l->ruri;
	char host[64];

	leg_local_host(s, l, host, sizeof(host));
	hl_sip_w_request_line(w, method, target);
	sig_w_via(s, w, host, branch);
	if (route[0] != '\0')
		sig_w_strs(w, "Route: ", route, "\r\n", NULL);
	hl_sip_w_str(w, "Max-Forwards: 70\r\n");
	sig_w_strs(w, "From: ", l->luri, ";tag=", l->ltag);
	sig_w_strs(w, "\r\nTo: ", ruri, "\r\nCall-ID: ", l->call_id);
	hl_sip_w_raw(w, "\r\n", 2);
	sig_w_cseq(w, cseq, method);
}

static void leg_req_resp(struct hl_sig *s, struct sig_txn *t, const uint8_t *buf,
	const struct hl_sip_msg *m, int status);

static void
leg_send_bye(struct hl_sig *s, struct sig_leg *l)
{
	struct hl_sip_writer w;
	char branch[SIG_BRANCH_MAX];
	int n;

	/* §15.1.2: a re-INVITE of theirs still open (its offer relayed to the peer,
	 * whose answer now goes nowhere) gets its final before the dialog ends: 487. */
	if (l->inv != NULL && l->inv->server && l->inv->state < TXN_COMPLETED)
		sig_reply_stored(s, l->inv, 487, NULL, NULL, NULL, NULL, NULL, 0);
	sig_new_branch(s, branch, sizeof(branch));
	hl_sip_w_init(&w, s->out, sizeof(s->out));
	w_in_dialog(s, &w, l, NULL, "BYE", ++l->lcseq, branch);
	hl_sip_w_body(&w, NULL, NULL, 0);
	n = hl_sip_w_finish(&w);
	l->state = LEG_ENDING;
	if (n <= 0 || sig_txn_client(s, HL_SIP_METHOD_BYE, branch, &l->peer, s->out, (size_t)n, l,
		leg_req_resp) == NULL)
		leg_done(s, l);
}

/* CANCEL of the B leg's INVITE (§9.1): the INVITE's Request-URI, top Via,
 * From, To, Call-ID, Route and CSeq number. Only once a provisional came. */
static void
leg_send_cancel(struct hl_sig *s, struct sig_leg *l)
{
	struct sig_txn *inv = l->inv;
	struct hl_sip_msg req;
	struct hl_sip_writer w;
	const struct hl_sip_hdr_field *h;
	char ruri[SIG_URI_MAX];
	const uint8_t *q;
	int n;

	l->cancelled = 1;
	l->state = LEG_ENDING;
	if (inv == NULL || inv->msg == NULL)
		return;
	if (!inv->got_1xx) {
		inv->cancel_pending = 1;
		return;
	}
	q = (const uint8_t *)inv->msg;
	if (hl_sip_parse(q, inv->msg_len, &req) < 0 || sig_copy(q, req.ruri, ruri, sizeof(ruri)))
		return;
	hl_sip_w_init(&w, s->out, sizeof(s->out));
	hl_sip_w_request_line(&w, "CANCEL", ruri);
	hl_sip_w_copy_hdr(&w, q, hl_sip_hdr_first(&req, HL_SIP_HDR_VIA));
	for (h = hl_sip_hdr_first(&req, HL_SIP_HDR_ROUTE); h; h = hl_sip_hdr_next(&req, h))
		hl_sip_w_copy_hdr(&w, q, h);
	hl_sip_w_str(&w, "Max-Forwards: 70\r\n");
	hl_sip_w_copy_hdr(&w, q, hl_sip_hdr_first(&req, HL_SIP_HDR_FROM));
	hl_sip_w_copy_hdr(&w, q, hl_sip_hdr_first(&req, HL_SIP_HDR_TO));
	hl_sip_w_copy_hdr(&w, q, hl_sip_hdr_first(&req, HL_SIP_HDR_CALL_ID));
	/* §9.1: the INVITE's CSeq number; a PRACK may have taken the dialog's on. */
	sig_w_cseq(&w, inv->cseq ? inv->cseq : l->lcseq, "CANCEL");
	hl_sip_w_body(&w, NULL, NULL, 0);
	n = hl_sip_w_finish(&w);
	if (n > 0)
		sig_txn_client(s, HL_SIP_METHOD_CANCEL, inv->branch, &inv->peer, s->out, (size_t)n,
			NULL, NULL);
	/* §9.1: no final to the INVITE within 64*T1 of the CANCEL, and it is over; a
	 * provisional crossing the CANCEL does not restart that (client_response()). */
	inv->cancel_sent = 1;
	hl_timer_arm(s->wheel, &inv->t_end, 64ull * s->t1);
}

/* Ends leg l whatever its state: BYE when confirmed, CANCEL when ringing. */
static void
leg_end(struct hl_sig *s, struct sig_leg *l, int a_code)
{
	if (l == NULL || l->state == LEG_DONE || l->state == LEG_ENDING)
		return;
	if (l->state == LEG_CONFIRMED) {
		leg_send_bye(s, l);
		return;
	}
	if (l->side == 1) {
		leg_send_cancel(s, l);
		return;
	}
	/* A leg before its 2xx: a final answer ends it. */
	sig_reply_stored(s, l->inv, a_code, NULL, l->ltag, NULL, NULL, NULL, 0);
	if (l->call != NULL && a_code != 0)
		l->call->a_status = (uint16_t)a_code;
	leg_done(s, l);
}

/* What the call's record says of its end: the first reason found, when it was. */
static void
call_why(struct hl_sig *s, struct sig_call *c, uint8_t disposition, uint8_t by)
{
	if (c->disposition == 0) {
		c->disposition = disposition;
		c->ended_by = by;
	}
	if (c->ended_ms == 0)
		c->ended_ms = s->now_ms;
}

/* Ends both legs: a_code answers the customer's INVITE when it is still unanswered. */
static void
call_end(struct hl_sig *s, struct sig_call *c, int a_code, uint8_t disposition)
{
	call_why(s, c, disposition, HL_CDR_BY_HOTLINE);
	c->state = CALL_ENDING;
	hl_timer_cancel(s->wheel, &c->t_noanswer);
	if (c->b != NULL)
		leg_end(s, c->b, 0);
	if (c->a != NULL)
		leg_end(s, c->a, a_code);
	/* The call may have been freed by the last leg_end. */
}

/* ---- routing (the ACD replaces this) ---- */

static void b_invite_resp(struct hl_sig *s, struct sig_txn *t, const uint8_t *buf,
	const struct hl_sip_msg *m, int status);

static bool
tried(const struct sig_call *c, const struct sig_agent *a)
{
	for (unsigned int i = 0; i < c->ntried; i++)
		if (c->tried[i] == a)
			return true;
	return false;
}

static struct sig_agent *
pick_agent(struct sig_call *c)
{
	for (struct sig_agent *a = c->tenant->idle_head; a != NULL; a = a->inext)
		if (!tried(c, a) && a->nbindings > 0)
			return a;
	return NULL;
}

static void noanswer_fire(struct hl_timer *tm, void *arg);

/* Index into our_codecs of the first format of SDP sl (in buf), -1 when none is ours. */
static int
sdp_codec(const uint8_t *buf, struct hl_sip_slice sl)
{
	struct hl_sdp sdp;

	if (buf == NULL || sl.len == 0 || hl_sdp_parse(buf, sl, &sdp) != 0 || sdp.nmedia == 0 ||
		sdp.media[0].nfmt == 0)
		return -1;
	return codec_of(buf, &sdp.media[0].fmt[0]);
}

/* Index into our_codecs of the codec the A leg's SDP settled before its 2xx (in a
 * reliable 1xx, RFC 3262), -1 when none is. */
static int
a_early_codec(const struct sig_leg *a)
{
	if (a->early_sdp == EARLY_SDP_NONE)
		return -1;
	return sdp_codec((const uint8_t *)a->sdp_local, (struct hl_sip_slice){0, a->sdp_local_len});
}

/*
 * The SDP we offer an agent: the customer's codecs that we carry, in their order. Once
 * a reliable 1xx settled the customer's codec (a failover after an earlier agent's 183),
 * that codec alone: the customer's 2xx repeats that SDP and the legs never transcode.
 */
static int
b_offer(struct sig_call *c, struct sig_leg *b, const char *host, char *out,
	size_t cap)
{
	struct hl_sdp_codec pick[HL_ARRAY_SIZE(our_codecs)];
	struct hl_sdp_caps caps;
	struct hl_sdp sdp;
	struct srtp_cb cb;
	unsigned int n = 0;
	char addr[64];
	int rc, k0 = a_early_codec(c->a);

	sig_host_addr(host, addr, sizeof(addr));
	caps_init(&caps, addr, host[0] == '[', c->b_local_port, b->sess_id, b->sdp_version);
	if (k0 >= 0) {
		pick[0] = our_codecs[k0];
		caps.codecs = pick;
		caps.ncodecs = 1;
	} else if (c->a_offer != NULL) {
		struct hl_sip_slice sl = {0, c->a_offer_len};
		if (hl_sdp_parse((const uint8_t *)c->a_offer, sl, &sdp) == 0 && sdp.nmedia > 0) {
			const struct hl_sdp_media *m = &sdp.media[0];
			for (unsigned int f = 0; f < m->nfmt && n < HL_ARRAY_SIZE(pick); f++) {
				int k = codec_of((const uint8_t *)c->a_offer, &m->fmt[f]);
				bool dup = false;
				for (unsigned int j = 0; k >= 0 && j < n; j++)
					dup |= pick[j].pt == our_codecs[k].pt;
				if (k >= 0 && !dup)
					pick[n++] = our_codecs[k];
			}
		}
		if (n == 0)
			return HL_E_UNSUPPORTED;
		caps.codecs = pick;
		caps.ncodecs = (uint8_t)n;
	}
	caps_leg_srtp(b->sig, b, &caps, &cb, 1);
	rc = hl_sdp_build_offer(&caps, out, cap);
	explicit_bzero(&cb, sizeof(cb));
	return rc;
}

static void
route_next_agent(struct hl_sig *s, struct sig_call *c)
{
	struct sig_agent *ag;
	struct sig_binding *bd;
	struct sig_leg *b;
	struct hl_sip_writer w;
	char host[64], sdp[2048], branch[SIG_BRANCH_MAX];
	int sdplen, n;

	for (;;) {
		ag = pick_agent(c);
		if (ag == NULL || c->ntried >= SIG_TRIED_MAX) {
			sig_count(s, HL_SIG_CTR_CALLS_NO_AGENT);
			sig_count(s, HL_SIG_CTR_CALLS_FAILED);
			call_end(s, c, 480, HL_CDR_NO_AGENT);
			return;
		}
		c->tried[c->ntried++] = ag;
		/* The best binding: highest q, then the latest registered. */
		bd = ag->bindings;
		for (struct sig_binding *x = ag->bindings; x != NULL; x = x->next)
			if (x->b.q > bd->b.q)
				bd = x;
		b = leg_new(s, c, 1);
		if (b == NULL)
			continue;
		b->peer.family = bd->b.family == AF_INET6 ? 6 : 4;
		memcpy(b->peer.ip, bd->b.addr, 16);
		b->peer.port = bd->b.port;
		if (sig_local_host(s, &b->peer, host, sizeof(host)) != 0) {
			leg_free(s, b);
			continue;
		}
		break;
	}
	c->b = b;
	c->agent = ag;
	ag->call = c;
	sig_agent_set_busy(s, ag, AGENT_RINGING);
	sig_cat(b->target, sizeof(b->target), bd->b.contact, NULL);
	{
		char h16[17], h8[9];

		sig_hex(h16, s->salt ^ (s->seq * 0x9e3779b97f4a7c15ull), 16);
		sig_hex(h8, c->id, 8);
		sig_cat(b->call_id, sizeof(b->call_id), h16, h8, "@hotline", NULL);
	}
	sig_new_tag(s, b->ltag, sizeof(b->ltag));
	const char *cu = c->caller_user[0] ? c->caller_user : "anonymous";
	if (c->caller_display[0])
		sig_cat(b->luri, sizeof(b->luri), "\"", c->caller_display, "\" <sip:", cu, "@",
			host, ">", NULL);
	else
		sig_cat(b->luri, sizeof(b->luri), "<sip:", cu, "@", host, ">", NULL);
	sig_cat(b->ruri, sizeof(b->ruri), "<sip:", ag->cfg->user, "@", c->tenant->cfg->realm, ">",
		NULL);
	b->max_fwd = c->a->max_fwd;
	b->state = LEG_EARLY;
	b->rtp_port = c->b_local_port;
	dlg_insert(s, b);

	sdplen = b_offer(c, b, host, sdp, sizeof(sdp));
	if (sdplen < 0) {
		/* Nothing in the customer's offer that an agent leg can carry. */
		sig_count(s, HL_SIG_CTR_CALLS_FAILED);
		call_end(s, c, 488, HL_CDR_REJECTED);
		return;
	}
	store_sdp(&b->sdp_local, &b->sdp_local_len, sdp, (size_t)sdplen);
	sig_new_branch(s, branch, sizeof(branch));
	sig_cat(b->branch, sizeof(b->branch), branch, NULL);
	hl_sip_w_init(&w, s->out, sizeof(s->out));
	hl_sip_w_request_line(&w, "INVITE", b->target);
	sig_w_via(s, &w, host, branch);
	hl_sip_w_raw(&w, "Max-Forwards: ", 14);
	hl_sip_w_uint(&w, b->max_fwd);
	sig_w_strs(&w, "\r\nFrom: ", b->luri, ";tag=", b->ltag);
	sig_w_strs(&w, "\r\nTo: ", b->ruri, "\r\nCall-ID: ", b->call_id);
	hl_sip_w_raw(&w, "\r\n", 2);
	sig_w_cseq(&w, b->lcseq, "INVITE");
	sig_w_contact(s, &w, host);
	/* RFC 3262 §4: 100rel supported, not required; b_rel_1xx() PRACKs what comes. */
	sig_w_strs(&w, "Allow: ", sig_allow, "\r\nSupported: ", sig_supported);
	hl_sip_w_raw(&w, "\r\n", 2);
	if (s->cfg->sip_session_expires_s)
		hl_sip_w_fmt(&w, "Session-Expires: %u;refresher=uac\r\nMin-SE: %u\r\n",
			s->cfg->sip_session_expires_s, s->cfg->sip_min_se_s);
	hl_sip_w_body(&w, "application/sdp", sdp, (size_t)sdplen);
	n = hl_sip_w_finish(&w);
	sig_count(s, HL_SIG_CTR_AGENT_OFFERS);
	b->inv = n > 0 ? sig_txn_client(s, HL_SIP_METHOD_INVITE, branch, &b->peer, s->out,
		(size_t)n, b, b_invite_resp) : NULL;
	if (b->inv == NULL) {
		/* Transaction table full: this agent cannot be rung now. */
		c->b = NULL;
		sig_agent_set_idle(s, ag);
		leg_free(s, b);
		sig_count(s, HL_SIG_CTR_CALLS_FAILED);
		call_end(s, c, 503, HL_CDR_REJECTED);
		return;
	}
	b->inv->cseq = b->lcseq;
	uint32_t ring_s = c->tenant->cfg->no_answer_s ? c->tenant->cfg->no_answer_s :
		s->cfg->sip_no_answer_s;
	hl_timer_arm(s->wheel, &c->t_noanswer, (uint64_t)ring_s * 1000);
}

/* The agent attempt of call c is over without an answer: try the next one. */
static void
agent_failed(struct hl_sig *s, struct sig_call *c, bool orphan_leg)
{
	struct sig_leg *b = c->b;
	struct sig_agent *ag = c->agent;

	hl_timer_cancel(s->wheel, &c->t_noanswer);
	c->b = NULL;
	c->agent = NULL;
	if (ag != NULL && ag->call == c) {
		sig_agent_set_idle(s, ag);
	}
	if (b != NULL) {
		/* Early media (183) gave its worker the leg: delete it now, so the next
		 * agent's leg on the same port starts fresh and the worker holds nothing for
		 * an attempt that is over. Its figures come back as a leg of no record. */
		media_end(s, b);
		if (orphan_leg) {
			b->call = NULL; /* it finishes its CANCEL on its own */
		} else {
			leg_free(s, b);
		}
	}
	if (c->state == CALL_ROUTING)
		route_next_agent(s, c);
	else
		call_maybe_free(s, c);
}

static void
noanswer_fire(struct hl_timer *tm, void *arg)
{
	struct sig_call *c = arg;
	struct hl_sig *s = c->a->sig;

	(void)tm;
	if (c->b == NULL || c->b->state != LEG_EARLY)
		return;
	sig_count(s, HL_SIG_CTR_AGENT_NO_ANSWER);
	leg_send_cancel(s, c->b);
	/* The agent who let it ring goes to the back of the idle line. */
	if (c->agent != NULL) {
		c->agent->call = NULL;
		c->agent->state = AGENT_BUSY;
		sig_agent_set_idle(s, c->agent);
		c->agent = NULL;
	}
	agent_failed(s, c, true);
}

/* ---- SDP across the legs ---- */

/* The A leg's answer, from the customer's offer and the codec the agent took. */
static int
a_answer(struct hl_sig *s, struct sig_call *c, const uint8_t *bsdp, struct hl_sip_slice bsl,
	char *out, size_t cap)
{
	struct hl_sdp offer, banswer;
	struct hl_sdp_negotiated neg;
	struct hl_sdp_codec one[1];
	struct hl_sdp_caps caps;
	struct srtp_cb cb;
	char host[64], addr[64];
	int k = -1;

	if (c->a_offer == NULL)
		return HL_E_UNSUPPORTED;
	if (hl_sdp_parse(bsdp, bsl, &banswer) == 0 && banswer.nmedia > 0 &&
		banswer.media[0].port != 0 && banswer.media[0].nfmt > 0)
		k = codec_of(bsdp, &banswer.media[0].fmt[0]);
	sig_local_host(s, &c->a->peer, host, sizeof(host));
	sig_host_addr(host, addr, sizeof(addr));
	caps_init(&caps, addr, host[0] == '[', c->a_local_port, c->a->sess_id, c->a->sdp_version);
	caps_leg_srtp(s, c->a, &caps, &cb, 0);
	if (k >= 0) {
		one[0] = our_codecs[k];
		caps.codecs = one;
		caps.ncodecs = 1;
	}
	struct hl_sip_slice sl = {0, c->a_offer_len};
	if (hl_sdp_parse((const uint8_t *)c->a_offer, sl, &offer) != 0)
		return HL_E_PARSE;
	int n = hl_sdp_answer((const uint8_t *)c->a_offer, &offer, &caps, out, cap, &neg);
	explicit_bzero(&cb, sizeof(cb));
	if (n < 0 || neg.naccepted == 0) {
		hl_srtp_key_wipe(&c->a->srtp_next);
		return HL_E_UNSUPPORTED;
	}
	for (unsigned int i = 0; i < neg.nstreams; i++)
		if (neg.s[i].accepted) {
			(void)media_from_neg(s, c, c->a, (const uint8_t *)c->a_offer,
				&offer.media[i], &neg.s[i], hl_sdp_media_dir(&offer, i));
			break;
		}
	hl_srtp_key_wipe(&c->a->srtp_next);
	return n;
}

/* Our address towards l's remote, as an SDP's c= writes it (no brackets). */
static void
leg_sdp_addr(struct hl_sig *s, struct sig_leg *l, char *host, size_t hcap, char *addr,
	size_t acap)
{
	sig_local_host(s, &l->peer, host, hcap);
	sig_host_addr(host, addr, acap);
}

/*
 * Late offer (RFC 3264 §5, RFC 3261 §13.2.1, §13.3.1.4): the customer's INVITE had no
 * SDP, so the offer must be in a reliable response: our 2xx, the ACK bringing the
 * answer, or, to a customer that takes 100rel, our reliable 183 (RFC 3262 §5), the
 * PRACK bringing it. Built from the agent's 183 or 200. Anchored as an answer would be:
 * our address and the A leg's port, and of our codecs only the one the agent answered
 * with (bsdp, the agent's answer to our offer), since the legs relay one codec and
 * never transcode. SRTP follows [rtp] srtp (caps_leg_srtp): mandatory lists our suites
 * on RTP/SAVP, optional on RTP/AVP (best effort: the answer decides), off none. Our
 * keys wait in the A leg's srtp_offer[] for the answer's tag.
 */
static int
a_late_offer(struct hl_sig *s, struct sig_call *c, const uint8_t *bsdp, struct hl_sip_slice bsl,
	char *out, size_t cap)
{
	struct hl_sdp banswer;
	struct hl_sdp_codec one[1];
	struct hl_sdp_caps caps;
	struct srtp_cb cb;
	char host[64], addr[64];
	int k, n;

	if (bsl.len == 0 || hl_sdp_parse(bsdp, bsl, &banswer) != 0 || banswer.nmedia == 0 ||
		banswer.media[0].port == 0 || banswer.media[0].nfmt == 0 ||
		(k = codec_of(bsdp, &banswer.media[0].fmt[0])) < 0)
		return HL_E_UNSUPPORTED;
	leg_sdp_addr(s, c->a, host, sizeof(host), addr, sizeof(addr));
	caps_init(&caps, addr, host[0] == '[', c->a_local_port, c->a->sess_id, c->a->sdp_version);
	one[0] = our_codecs[k];
	caps.codecs = one;
	caps.ncodecs = 1;
	caps_leg_srtp(s, c->a, &caps, &cb, 1);
	n = hl_sdp_build_offer(&caps, out, cap);
	explicit_bzero(&cb, sizeof(cb));
	if (n < 0)
		leg_srtp_offer_wipe(c->a);
	return n;
}

/* What the worker acts on, keys aside (srtp_rekey says whether those changed). */
static int
media_same(const struct hl_media_leg *x, const struct hl_media_leg *y)
{
	return x->family == y->family && x->port_index == y->port_index &&
	       memcmp(x->remote_ip, y->remote_ip, 16) == 0 &&
	       memcmp(x->local_ip, y->local_ip, 16) == 0 && x->remote_port == y->remote_port &&
	       x->remote_rtcp_port == y->remote_rtcp_port && x->codec_pt == y->codec_pt &&
	       x->clock_rate == y->clock_rate && x->te_pt == y->te_pt &&
	       x->te_clock == y->te_clock &&
	       x->rtcp_mux == y->rtcp_mux && x->recv_only == y->recv_only &&
	       x->remote_silent == y->remote_silent;
}

/*
 * The answer in an ACK (msg, in buf) to the offer our 2xx made on l: a late offer, or
 * our offer to a re-INVITE without SDP. RFC 3261 §13.2.2.4: the ACK MUST carry it, as
 * SDP (a body of another type is none, sdp_body()). It must answer that offer (our
 * SDP in l->sdp_local; RFC 3264 §6): as many m-lines, audio, not refused (port 0), our
 * transport (RTP/SAVP needs SRTP; on RTP/AVP with our crypto lines SRTP is up to the
 * answer), a codec we offered, and for SRTP a crypto line that names one of our tags
 * with its suite (RFC 4568 §7.1.3). It fills l's media: 1 when the worker must be told
 * (first media, or a new remote, codec, direction or keys), 0 when nothing changed, -1
 * when it is no answer to our offer (l's media as it was). Our offered keys are wiped
 * either way.
 */
static int
media_from_answer(struct hl_sig *s, struct sig_call *c, struct sig_leg *l, const uint8_t *buf,
	const struct hl_sip_msg *msg)
{
	struct hl_sip_slice body = sdp_body(buf, msg);
	const uint8_t *ob = (const uint8_t *)l->sdp_local;
	struct hl_media_leg *ml = &l->media, was;
	struct hl_sdp offer, ans;
	const struct hl_sdp_media *om, *am;
	const struct hl_sdp_conn *cn;
	int fresh = !l->media_ready, k = -1, pt = 0, rc = -1;
	int osavp, asavp, zero;

	if (body.len == 0 || ob == NULL ||
		hl_sdp_parse(ob, (struct hl_sip_slice){0, l->sdp_local_len}, &offer) != 0 ||
		offer.nmedia == 0 || hl_sdp_parse(buf, body, &ans) != 0 ||
		ans.nmedia != offer.nmedia)
		goto out;
	om = &offer.media[0];
	am = &ans.media[0];
	osavp = om->proto == HL_SDP_PROTO_RTP_SAVP || om->proto == HL_SDP_PROTO_RTP_SAVPF;
	asavp = am->proto == HL_SDP_PROTO_RTP_SAVP || am->proto == HL_SDP_PROTO_RTP_SAVPF;
	if (am->port == 0 || am->proto == HL_SDP_PROTO_OTHER || (osavp && !asavp) ||
		!hl_sip_slice_ieq(buf, am->type, "audio"))
		goto out;
	/* The answerer's first format that we offered (§6.1: it should keep our PT for
	 * the codec; the PT it writes is the one it sends, so that is the leg's). */
	for (unsigned int f = 0; f < am->nfmt && k < 0; f++) {
		int x = codec_of(buf, &am->fmt[f]);
		for (unsigned int g = 0; x >= 0 && g < om->nfmt && k < 0; g++)
			if (codec_of(ob, &om->fmt[g]) == x) {
				k = x;
				pt = am->fmt[f].pt;
			}
	}
	if (k < 0)
		goto out;
	cn = hl_sdp_media_conn(&ans, 0);
	zero = cn->addr.len == 7 && memcmp(buf + cn->addr.off, "0.0.0.0", 7) == 0;
	was = *ml;
	media_base(s, c, l);
	if (!zero) {
		if (media_remote(s, l, buf, cn->addr, cn->addrtype, am->port, am->rtcp_port) != 0)
			goto restore;
	} else if (fresh) {
		/* On hold from the start (RFC 3264 §8.4, c=0.0.0.0): no media address yet;
		 * the engine port is the signalling peer's, and latching finds the rest. */
		struct hl_sig_addr dst = l->peer;
		uint8_t local[16];
		if (s->ops.route == NULL || s->ops.route(s->ops.ctx, &dst, local) != 0)
			goto restore;
		ml->family = dst.family;
		ml->port_index = dst.port_index;
		memcpy(ml->remote_ip, dst.ip, 16);
		memcpy(ml->local_ip, local, 16);
		ml->remote_port = am->port;
		ml->remote_rtcp_port = (uint16_t)(am->port + 1);
	}
	/* Last, as it takes the keys: on RTP/SAVP (the only answer to our RTP/SAVP) the
	 * answer must take one of our lines; on RTP/AVP its crypto line (best effort)
	 * turns SRTP on, and without one the leg is RTP, unless it runs SRTP already:
	 * a leg does not fall back to RTP (as a re-offer without SRTP is refused). */
	if (leg_srtp_answer(l, buf, am) != 0 && (asavp || l->srtp))
		goto restore;
	ml->codec_pt = (uint8_t)pt;
	ml->clock_rate = our_codecs[k].clock;
	ml->te_pt = om->te_pt >= 0 ? (int16_t)hl_sdp_pick_te(buf, am, ml->clock_rate, &ml->te_clock)
				   : -1;
	if (ml->te_pt < 0)
		ml->te_clock = 0;
	ml->rtcp_mux = am->rtcp_mux && om->rtcp_mux; /* RFC 5761 §5.1.1: only if offered */
	if (ml->rtcp_mux)
		ml->remote_rtcp_port = ml->remote_port;
	media_dir(ml, hl_sdp_media_dir(&ans, 0), zero);
	l->media_ready = 1;
	rc = fresh || !l->media_sent || l->srtp_rekey || !media_same(ml, &was);
	store_sdp(&l->sdp_remote, &l->sdp_remote_len, (const char *)buf + body.off, body.len);
	goto wipe;
restore:
	*ml = was;
wipe:
	explicit_bzero(&was, sizeof(was));
out:
	leg_srtp_offer_wipe(l);
	return rc;
}

static enum hl_sdp_dir offer_dir(const uint8_t *buf, struct hl_sip_slice body);
static void leg_relay_dir(struct hl_sig *s, struct sig_leg *l, struct sig_leg *peer,
	enum hl_sdp_dir d);

/*
 * The ACK of a 2xx that offered on l has come (RFC 3261 §13.3.1.4): its answer fills l,
 * and the worker gets the change (media_push). A late-offer call gets both legs now:
 * the agent's was filled at its 200, and neither went to the worker before, so no
 * media timeout can run on a leg that has no remote yet. No valid answer: §13.2.2.4
 * has the UAC answer and BYE when it cannot take our offer, so one that does not answer
 * leaves a call without media; it is ended with BYE on both legs. On a re-INVITE the
 * leg keeps the media it had, since our offer restated it. An answer that holds or
 * resumes is relayed to the peer (leg_relay_dir).
 */
static void
leg_ack_answer(struct hl_sig *s, struct sig_call *c, struct sig_leg *l, const uint8_t *buf,
	const struct hl_sip_msg *m)
{
	struct sig_leg *peer = l->side == 0 ? c->b : c->a;
	int fresh = !l->media_ready;
	int rc = media_from_answer(s, c, l, buf, m);

	if (rc < 0) {
		sig_count(s, HL_SIG_CTR_MEDIA_FAIL);
		if (fresh)
			call_end(s, c, 0, HL_CDR_MEDIA_FAILED);
		return;
	}
	if (rc > 0)
		media_push(s, c);
	/*
	 * An answer that holds or resumes (RFC 3264 §8.4) goes on to the peer as a
	 * re-INVITE that does so would (reinvite_request). Only a change of hold: the
	 * peer runs what this leg asked before (sendrecv for a late offer), and our
	 * offer restated it. Against our sendonly offer (the peer holds) recvonly and
	 * inactive are the only answers (§6.1) and tell nothing of this side's own.
	 */
	if (peer != NULL && peer->state == LEG_CONFIRMED && !peer->hold) {
		enum hl_sdp_dir d = offer_dir(buf, sdp_body(buf, m));
		if ((d == HL_SDP_DIR_SENDONLY || d == HL_SDP_DIR_INACTIVE) != l->hold)
			leg_relay_dir(s, l, peer, d);
	}
}

/* ---- responses on the B leg's INVITE ---- */

/* Writes into s->out our ACK of a 2xx of b's INVITE of CSeq cseq, in b's dialog or in
 * its early dialog e: its length, or <= 0. */
static int
ack_build(struct hl_sig *s, struct sig_leg *b, const struct sig_early *e, uint32_t cseq)
{
	struct hl_sip_writer w;
	char branch[SIG_BRANCH_MAX];

	/* §13.2.2.4: the ACK for a 2xx is the dialog's, with a branch of its own. */
	sig_new_branch(s, branch, sizeof(branch));
	hl_sip_w_init(&w, s->out, sizeof(s->out));
	w_in_dialog(s, &w, b, e, "ACK", cseq, branch);
	hl_sip_w_body(&w, NULL, NULL, 0);
	return hl_sip_w_finish(&w);
}

/*
 * Our ACK of a 2xx of b's INVITE of CSeq cseq, in b's dialog or in its early dialog e
 * (a fork's extra 2xx, b_extra_2xx()), kept in *ack for a retransmission of that 2xx
 * (ack NULL: not kept).
 */
static void
b_send_ack(struct hl_sig *s, struct sig_leg *b, const struct sig_early *e, uint32_t cseq,
	char **ack, uint16_t *ack_len)
{
	int n = ack_build(s, b, e, cseq);

	if (n <= 0)
		return;
	sig_send(s, &b->peer, s->out, (size_t)n);
	if (ack == NULL)
		return;
	sig_free(*ack);
	*ack = sig_dup(s->out, (size_t)n);
	*ack_len = *ack != NULL ? (uint16_t)n : 0;
}

/* Our ACK of the first 2xx of l's INVITE of CSeq cseq, kept in l->ack for that 2xx's
 * retransmissions (leg_ack_again) in place of an earlier INVITE's, whose transaction
 * never gets a first 2xx again. */
static void
leg_ack_new(struct hl_sig *s, struct sig_leg *l, uint32_t cseq)
{
	b_send_ack(s, l, NULL, cseq, &l->ack, &l->ack_len);
	l->ack_cseq = cseq;
}

/*
 * The 2xx of l's INVITE of CSeq cseq again, our ACK lost. §13.2.2.4: the ACK of a 2xx
 * is end to end and the UAC core, not a transaction, retransmits it, the same one each
 * time that 2xx comes again: the kept bytes, branch included. An older INVITE's 2xx
 * again (l->ack is a later INVITE's now, or none was kept for it) gets an ACK built for
 * its own CSeq, never the kept one, and not kept.
 */
static void
leg_ack_again(struct hl_sig *s, struct sig_leg *l, uint32_t cseq)
{
	if (l->ack != NULL && l->ack_cseq == cseq)
		sig_send(s, &l->peer, l->ack, l->ack_len);
	else
		b_send_ack(s, l, NULL, cseq, NULL, NULL);
}

/*
 * Leg l is freed while t, an INVITE of ours in its dialog, may still see a 2xx: one
 * again of a 2xx we ACKed (our ACK lost), or the first of a re-INVITE whose answer
 * comes after our BYE completed. §13.2.2.4 still wants it ACKed, and without l nobody
 * can build the ACK then, so t takes it now (sig.c sends it for a 2xx of that To
 * tag): the kept bytes for their CSeq, else one built for its own. The first INVITE
 * of the agent's leg before its 2xx has no dialog (its To tag unknown): nothing.
 */
static void
leg_ack_leave(struct hl_sig *s, struct sig_leg *l, struct sig_txn *t)
{
	int n;

	if (t->server || t->method != HL_SIP_METHOD_INVITE || t->ack != NULL ||
		(t->state != TXN_ACCEPTED && t->state != TXN_TRYING && t->state != TXN_PROCEEDING))
		return;
	if (l->ack != NULL && l->ack_cseq == t->cseq && t->state == TXN_ACCEPTED) {
		t->ack = l->ack;
		t->ack_len = l->ack_len;
		l->ack = NULL;
		return;
	}
	if (l->side == 1 && t->state != TXN_ACCEPTED &&
		(!l->b_2xx || (t->branch_len == strlen(l->branch) &&
				      memcmp(t->branch, l->branch, t->branch_len) == 0)))
		return;
	n = ack_build(s, l, NULL, t->cseq);
	if (n <= 0)
		return;
	t->ack = sig_dup(s->out, (size_t)n);
	t->ack_len = t->ack != NULL ? (uint16_t)n : 0;
}

/*
 * The remote side of a dialog as a response of our INVITE (a 1xx with a tag, a 2xx)
 * carries it (§12.1.2): its To tag and header, its Contact as the target, the route
 * set (its Record-Route, reversed); into the leg's dialog or an early one's arrays
 * (SIG_TAG_MAX, SIG_HDR_MAX, SIG_URI_MAX, SIG_ROUTE_MAX).
 */
static void
learn_remote(const uint8_t *buf, const struct hl_sip_msg *m, char *rtag, char *ruri, char *target,
	char *route)
{
	const struct hl_sip_hdr_field *h = hl_sip_hdr_first(m, HL_SIP_HDR_TO);
	struct hl_sip_name_addr na;
	struct hl_sip_writer w;
	struct hl_sip_slice rr[16];
	unsigned int nrr = 0;

	if (h != NULL && hl_sip_parse_name_addr(buf, h->value, &na) > 0 && na.tag.len) {
		sig_copy(buf, na.tag, rtag, SIG_TAG_MAX);
		sig_copy(buf, h->value, ruri, SIG_HDR_MAX);
	}
	h = hl_sip_hdr_first(m, HL_SIP_HDR_CONTACT);
	if (h != NULL && hl_sip_parse_name_addr(buf, h->value, &na) > 0)
		sig_copy(buf, na.uri, target, SIG_URI_MAX);
	/* §7.3.1: entries listed in one header line count as lines of their own, so the
	 * reversal (§12.1.2) is entry by entry; one that does not parse stays as it came. */
	h = hl_sip_hdr_first(m, HL_SIP_HDR_RECORD_ROUTE);
	for (; h != NULL && nrr < 16; h = hl_sip_hdr_next(m, h)) {
		struct hl_sip_slice v = h->value;
		while (v.len > 0 && nrr < 16) {
			int n = hl_sip_parse_name_addr(buf, v, &na);
			struct hl_sip_slice e = {v.off, n > 0 ? (uint16_t)n : v.len};
			while (e.len > 0 && memchr(", \t", buf[e.off + e.len - 1], 3) != NULL)
				e.len--;
			while (e.len > 0 && (buf[e.off] == ' ' || buf[e.off] == '\t')) {
				e.off++;
				e.len--;
			}
			if (e.len > 0)
				rr[nrr++] = e;
			if (n <= 0)
				break;
			v.off = (uint16_t)(v.off + n);
			v.len = (uint16_t)(v.len - n);
		}
	}
	hl_sip_w_init(&w, route, SIG_ROUTE_MAX);
	while (nrr > 0) {
		struct hl_sip_slice e = rr[--nrr];
		if (w.len)
			hl_sip_w_raw(&w, ", ", 2);
		hl_sip_w_raw(&w, buf + e.off, e.len);
	}
	if (hl_sip_w_finish(&w) < 0 || w.len >= SIG_ROUTE_MAX)
		w.len = 0;
	route[w.len] = '\0';
}

/* Learns the dialog a 2xx of the INVITE makes the leg's (§12.1.2, §13.2.2.4). */
static void
b_learn_dialog(struct sig_leg *b, const uint8_t *buf, const struct hl_sip_msg *m)
{
	learn_remote(buf, m, b->rtag, b->ruri, b->target, b->route);
}

/* ---- forks: the early dialogs of the agent's INVITE ---- */

/* The tag of m's To or From (id, in buf); of length 0 when it has none. */
static struct hl_sip_slice
msg_tag(const uint8_t *buf, const struct hl_sip_msg *m, enum hl_sip_hdr id)
{
	const struct hl_sip_hdr_field *h = hl_sip_hdr_first(m, id);
	struct hl_sip_name_addr na;

	if (h == NULL || hl_sip_parse_name_addr(buf, h->value, &na) <= 0)
		return (struct hl_sip_slice){0, 0};
	return na.tag;
}

static bool
tag_is(const uint8_t *buf, struct hl_sip_slice tag, const char *t)
{
	return strlen(t) == tag.len && memcmp(buf + tag.off, t, tag.len) == 0;
}

/* B leg b's early dialog of To tag tag, NULL when it has none. Early dialogs are never
 * taken out one by one (an ended one is gone), so their indices (early_media) stay
 * until the INVITE is over. */
static struct sig_early *
early_find(const struct sig_leg *b, const uint8_t *buf, struct hl_sip_slice tag)
{
	for (unsigned int i = 0; i < b->nearly; i++)
		if (tag_is(buf, tag, b->early[i]->rtag))
			return b->early[i];
	return NULL;
}

/* A new early dialog of To tag tag from response m: NULL when there is no tag, when b
 * keeps SIG_EARLY_MAX already (a bound on what one attempt can make us hold), or
 * without memory. */
static struct sig_early *
early_new(
	struct sig_leg *b, const uint8_t *buf, const struct hl_sip_msg *m, struct hl_sip_slice tag)
{
	struct sig_early *e;

	if (tag.len == 0 || tag.len >= SIG_TAG_MAX || b->nearly >= SIG_EARLY_MAX ||
		(e = sig_alloc(sizeof(*e))) == NULL)
		return NULL;
	learn_remote(buf, m, e->rtag, e->ruri, e->target, e->route);
	b->early[b->nearly++] = e;
	return e;
}

void
sig_early_free(struct sig_leg *l)
{
	if (l == NULL)
		return;
	for (unsigned int i = 0; i < l->nearly; i++) {
		sig_free(l->early[i]->sdp);
		sig_free(l->early[i]->ack);
		sig_free(l->early[i]);
		l->early[i] = NULL;
	}
	l->nearly = 0;
	l->early_media = 0;
}

/* Early dialogs of b not ended. */
static unsigned int
early_live(const struct sig_leg *b)
{
	unsigned int n = 0;

	for (unsigned int i = 0; i < b->nearly; i++)
		n += !b->early[i]->gone;
	return n;
}

/*
 * Which of B leg l's dialogs the agent's request m is in, by its From tag (§12.2.2):
 * 0 with *e the early one, or NULL for the answered dialog (any tag when its 2xx had
 * none); -1 for none of them (a fork we let go or never kept, one that ended).
 */
static int
b_dialog_of(struct sig_leg *l, const uint8_t *buf, const struct hl_sip_msg *m, struct sig_early **e)
{
	struct hl_sip_slice tag = msg_tag(buf, m, HL_SIP_HDR_FROM);

	*e = NULL;
	if (l->b_2xx)
		return l->rtag[0] == '\0' || tag_is(buf, tag, l->rtag) ? 0 : -1;
	*e = early_find(l, buf, tag);
	return *e != NULL && !(*e)->gone ? 0 : -1;
}

/*
 * A 2xx of our INVITE from another dialog than the one its first 2xx made the leg's: a
 * fork answered too. §13.2.2.4: the UAC ACKs it and, wanting one dialog, sends BYE at
 * once; the customer never hears of it. The BYE is a transaction without a user (the
 * leg is not ending), as our CANCEL is. Its early dialog (made now when it had none)
 * keeps the ACK: a retransmission of that 2xx gets it again, and no second BYE. Beyond
 * SIG_EARLY_MAX dialogs nothing is kept and each copy gets both.
 */
static void
b_extra_2xx(struct hl_sig *s, struct sig_leg *b, struct sig_txn *t, const uint8_t *buf,
	const struct hl_sip_msg *m, struct hl_sip_slice tag)
{
	struct sig_early *e = early_find(b, buf, tag), tmp;
	struct hl_sip_writer w;
	char branch[SIG_BRANCH_MAX];
	int n;

	if (e != NULL && e->ack != NULL) {
		sig_send(s, &b->peer, e->ack, e->ack_len);
		sig_count(s, HL_SIG_CTR_RETRANS_ABSORBED);
		return;
	}
	if (e == NULL)
		e = early_new(b, buf, m, tag);
	if (e == NULL) {
		memset(&tmp, 0, sizeof(tmp));
		e = &tmp;
	}
	learn_remote(buf, m, e->rtag, e->ruri, e->target, e->route);
	e->gone = 1;
	sig_count(s, HL_SIG_CTR_FORK_EXTRA_2XX);
	b_send_ack(s, b, e, t->cseq, e != &tmp ? &e->ack : NULL, &e->ack_len);
	sig_new_branch(s, branch, sizeof(branch));
	hl_sip_w_init(&w, s->out, sizeof(s->out));
	w_in_dialog(s, &w, b, e, "BYE", ++b->lcseq, branch);
	hl_sip_w_body(&w, NULL, NULL, 0);
	n = hl_sip_w_finish(&w);
	if (n > 0)
		(void)sig_txn_client(
			s, HL_SIP_METHOD_BYE, branch, &b->peer, s->out, (size_t)n, NULL, NULL);
}

/*
 * The same for a 2xx that comes when the leg is gone (the call ended, its INVITE
 * transaction kept for Timer M): another fork's, or any when no dialog was left to the
 * transaction (sig.c: not the dialog whose ACK t->ack keeps). §13.2.2.4 still wants
 * it ACKed and BYEd, and without the leg the requests are built from our INVITE (its
 * From, Call-ID and CSeq) and the 2xx (its To, its Contact as the target, its
 * Record-Route reversed as Route); the BYE takes the CSeq after the INVITE's, the
 * first of ours in that dialog. The ACK is kept in t->fork_ack (the last such fork's)
 * for that 2xx again, which gets it and no second BYE (sig.c).
 */
void
sig_orphan_2xx(struct hl_sig *s, struct sig_txn *t, const uint8_t *buf, const struct hl_sip_msg *m)
{
	const uint8_t *q = (const uint8_t *)t->msg;
	const struct hl_sip_hdr_field *from, *cid, *h;
	struct hl_sip_writer w;
	struct hl_sip_msg req;
	struct hl_sip_cseq cs;
	struct sig_early e;
	char branch[SIG_BRANCH_MAX], host[64];
	int n;

	if (q == NULL || hl_sip_parse(q, t->msg_len, &req) < 0 ||
		(from = hl_sip_hdr_first(&req, HL_SIP_HDR_FROM)) == NULL ||
		(cid = hl_sip_hdr_first(&req, HL_SIP_HDR_CALL_ID)) == NULL ||
		(h = hl_sip_hdr_first(&req, HL_SIP_HDR_CSEQ)) == NULL ||
		hl_sip_parse_cseq(q, h->value, &cs) < 0 || hl_sip_hdr_first(m, HL_SIP_HDR_TO) == NULL)
		return;
	/* A re-INVITE's 2xx of another To tag makes no dialog: it is nobody's. */
	if (msg_tag(q, &req, HL_SIP_HDR_TO).len != 0)
		return;
	memset(&e, 0, sizeof(e));
	learn_remote(buf, m, e.rtag, e.ruri, e.target, e.route);
	if (e.target[0] == '\0' && sig_copy(q, req.ruri, e.target, sizeof(e.target)) != 0)
		return;
	sig_count(s, HL_SIG_CTR_FORK_EXTRA_2XX);
	sig_local_host(s, &t->peer, host, sizeof(host));
	for (int bye = 0; bye <= 1; bye++) {
		const char *method = bye ? "BYE" : "ACK";

		sig_new_branch(s, branch, sizeof(branch));
		hl_sip_w_init(&w, s->out, sizeof(s->out));
		hl_sip_w_request_line(&w, method, e.target);
		sig_w_via(s, &w, host, branch);
		if (e.route[0] != '\0')
			sig_w_strs(&w, "Route: ", e.route, "\r\n", NULL);
		hl_sip_w_str(&w, "Max-Forwards: 70\r\n");
		hl_sip_w_copy_hdr(&w, q, from);
		hl_sip_w_copy_hdr(&w, buf, hl_sip_hdr_first(m, HL_SIP_HDR_TO));
		hl_sip_w_copy_hdr(&w, q, cid);
		sig_w_cseq(&w, cs.seq + (uint32_t)bye, method);
		hl_sip_w_body(&w, NULL, NULL, 0);
		n = hl_sip_w_finish(&w);
		if (n <= 0)
			return;
		if (!bye) {
			sig_send(s, &t->peer, s->out, (size_t)n);
			sig_free(t->fork_ack);
			t->fork_ack = sig_dup(s->out, (size_t)n);
			t->fork_ack_len = t->fork_ack != NULL ? (uint16_t)n : 0;
		} else
			(void)sig_txn_client(s, HL_SIP_METHOD_BYE, branch, &t->peer, s->out,
				(size_t)n, NULL, NULL);
	}
}

static void
session_arm(struct hl_sig *s, struct sig_leg *l)
{
	uint64_t ms;

	if (l->session_s == 0)
		return;
	/* RFC 4028 §10: refresh at half the interval; the other side's refresh is
	 * late after the interval less min(32 s, a third) (§10, §9). */
	if (l->we_refresh)
		ms = (uint64_t)l->session_s * 500;
	else
		ms = (uint64_t)l->session_s * 1000 -
			((l->session_s / 3 < 32 ? l->session_s / 3 : 32) * 1000ull);
	hl_timer_arm(s->wheel, &l->t_session, ms);
}

/* A request of l's remote that refreshes the session (a re-INVITE, an UPDATE; RFC 4028
 * §7): when the remote is the refresher, the interval starts again. */
static void
session_refreshed(struct hl_sig *s, struct sig_leg *l)
{
	if (!l->we_refresh)
		session_arm(s, l);
}

/* Session-Expires of a 2xx or request: interval and who refreshes. */
static void
session_learn(struct hl_sig *s, struct sig_leg *l, const uint8_t *buf, const struct hl_sip_msg *m,
	int we_are_uac)
{
	const struct hl_sip_hdr_field *h = hl_sip_hdr_first(m, HL_SIP_HDR_SESSION_EXPIRES);
	struct hl_sip_session_expires se;

	if (h == NULL || hl_sip_parse_session_expires(buf, h->value, &se) < 0) {
		l->session_s = 0;
		return;
	}
	l->session_s = se.delta;
	if (se.refresher == HL_SIP_REFRESHER_NONE)
		l->we_refresh = (uint8_t)we_are_uac;
	else
		l->we_refresh = (uint8_t)((se.refresher == HL_SIP_REFRESHER_UAC) == we_are_uac);
	session_arm(s, l);
}

static void
a_send_2xx(struct hl_sig *s, struct sig_call *c, const char *sdp, int sdplen)
{
	struct sig_leg *a = c->a;
	char hdrs[512], host[64], port[11], se[11];
	size_t off;

	c->a_status = 200;
	sig_local_host(s, &a->peer, host, sizeof(host));
	off = sig_cat(hdrs, sizeof(hdrs), "Contact: <sip:hotline@", host, ":",
		sig_utoa(port, s->cfg->sip_port), ">\r\nAllow: ", sig_allow,
		"\r\nSupported: ", sig_supported, "\r\n", NULL);
	/* RFC 4028 §9: Require: timer only towards a UAC that supports it; one that
	 * does not still gets Session-Expires with us as the refresher. */
	if (a->session_s)
		sig_cat(hdrs + off, sizeof(hdrs) - off, a->peer_timer ? "Require: timer\r\n" : "",
			"Session-Expires: ", sig_utoa(se, a->session_s), ";refresher=",
			a->we_refresh ? "uas" : "uac", "\r\n", NULL);
	sig_reply_stored(s, a->inv, 200, NULL, a->ltag, hdrs, sdplen > 0 ? "application/sdp" : NULL,
		sdp, sdplen > 0 ? (size_t)sdplen : 0);
	a->state = LEG_CONFIRMED;
	c->answered_a = 1;
	if (sdplen > 0)
		store_sdp(&a->sdp_local, &a->sdp_local_len, sdp, (size_t)sdplen);
	session_arm(s, a);
}

/*
 * The customer's 2xx once the agent answered (now, or at the PRACK it waited for). RFC
 * 3262 §3: once the final is sent, reliable 1xx still unacknowledged (none with SDP can
 * be left by then) are not retransmitted, but their PRACK is still answered; a 1xx held
 * behind one is dropped, since none may follow a final. The ACK brings an answer only
 * when the 2xx is our offer (a late offer whose offer did not go in a reliable 1xx).
 */
static void
a_answer_call(struct hl_sig *s, struct sig_call *c, const char *sdp, int sdplen)
{
	struct sig_leg *a = c->a;

	hl_timer_cancel(s->wheel, &a->t_rel);
	a->rel_next = 0;
	a->final_due = 0;
	c->answered_ms = s->now_ms;
	sig_count(s, HL_SIG_CTR_CALLS_ANSWERED);
	a_send_2xx(s, c, sdp, sdplen);
	a->ack_answer = c->a_offer == NULL && a->early_sdp != EARLY_SDP_DONE;
}

/* ---- RFC 3262 on the A leg: our 18x go reliably, the customer PRACKs them ---- */

/*
 * Sends status (180/183) reliably on the A leg (§3): Require: 100rel, the next RSeq, a
 * Contact (the PRACK is a request in the early dialog), and our SDP when it is built
 * and not yet sent (EARLY_SDP_BUILT: our answer to an early offer, our offer to a late
 * one). The transaction keeps it as its last response; rel_fire() resends that copy,
 * so nothing is allocated per retransmission.
 */
static void
a_send_rel(struct hl_sig *s, struct sig_call *c, int status)
{
	struct sig_leg *a = c->a;
	char hdrs[512], host[64], port[11], rseq[11];
	int sdp = a->early_sdp == EARLY_SDP_BUILT && a->sdp_local != NULL;

	if (a->inv == NULL)
		return;
	sig_local_host(s, &a->peer, host, sizeof(host));
	a->rseq++;
	sig_cat(hdrs, sizeof(hdrs), "Contact: <sip:hotline@", host, ":",
		sig_utoa(port, s->cfg->sip_port), ">\r\nAllow: ", sig_allow,
		"\r\nSupported: ", sig_supported,
		"\r\nRequire: 100rel\r\nRSeq: ", sig_utoa(rseq, a->rseq), "\r\n", NULL);
	sig_reply_stored(s, a->inv, status, NULL, a->ltag, hdrs, sdp ? "application/sdp" : NULL,
		sdp ? a->sdp_local : NULL, sdp ? a->sdp_local_len : 0);
	sig_count(s, HL_SIG_CTR_REL1XX_SENT);
	a->rel_unacked = 1;
	a->rel_sdp = (uint8_t)sdp;
	if (sdp)
		a->early_sdp = EARLY_SDP_SENT;
	/* §3: T1, doubling each time, not capped at T2 (unlike a 2xx): PRACK
	 * retransmissions do not wait for ours. Given up 64*T1 after the first, so the
	 * last copy goes at 63*T1; schedule and deadline count from the same instant. */
	a->rel_retx_ms = s->t1;
	a->rel_deadline_ms = s->now_ms + 64ull * s->t1;
	hl_timer_arm_at(s->wheel, &a->t_rel, s->now_ms + s->t1);
}

/* An 18x for the customer who takes them reliably: sent now, or, while one is
 * unacknowledged (§3: one at a time), held, the latest replacing an earlier one. */
static void
a_provisional(struct hl_sig *s, struct sig_call *c, int status)
{
	if (c->a->rel_unacked) {
		c->a->rel_next = (uint16_t)status;
		return;
	}
	a_send_rel(s, c, status);
}

static void
rel_fire(struct hl_timer *tm, void *arg)
{
	struct sig_leg *a = arg;
	struct hl_sig *s = a->sig;
	struct sig_txn *t = a->inv;
	uint64_t at = tm->expire_ms; /* the wheel's clock runs one slot behind in here */

	if (!a->rel_unacked || a->state != LEG_EARLY || a->call == NULL || t == NULL ||
		t->msg == NULL)
		return;
	/* A timer run late (a stalled loop, the wheel catching up) goes by the clock: a
	 * copy due before the deadline but sent at or after it would go with the 500. */
	if (at >= a->rel_deadline_ms || s->poll_ms >= a->rel_deadline_ms) {
		/* §3: no PRACK in 64*T1: the INVITE is refused with a 5xx, and the agent's
		 * leg is cancelled (or sent BYE, when its 2xx waited for this PRACK). */
		sig_count(s, HL_SIG_CTR_REL1XX_TIMEOUT);
		sig_count(s, HL_SIG_CTR_CALLS_FAILED);
		a->rel_unacked = 0;
		call_end(s, a->call, 500, HL_CDR_NO_PRACK);
		return;
	}
	sig_send(s, &t->peer, t->msg, t->msg_len);
	sig_count(s, HL_SIG_CTR_REL1XX_RETRANS);
	a->rel_retx_ms *= 2;
	at += a->rel_retx_ms;
	hl_timer_arm_at(s->wheel, &a->t_rel, at < a->rel_deadline_ms ? at : a->rel_deadline_ms);
}

/*
 * A PRACK on the A leg (§3): it matches the unacknowledged reliable 1xx by RAck (its
 * RSeq, the INVITE's CSeq number and method), which stops that 1xx's retransmission;
 * anything else is 481. A retransmitted PRACK never gets here: its own transaction
 * answers it. Offer/answer (§5, RFC 6337 Table 1): when the 1xx was our offer (a late
 * offer), the PRACK must carry the answer, checked as an ACK's is (media_from_answer);
 * it fills the A leg and both legs go to the worker, so early media flows both ways
 * before the 2xx. A PRACK without one, or with one that does not answer our offer, is
 * a call without media, as an ACK without an answer is: the PRACK gets its 200 (it
 * did match), the INVITE 488 and the agent CANCEL or BYE, counted in
 * media_setup_failures (a body that is not SDP is no answer, sdp_body()). A new offer
 * in a PRACK is refused with 488, and a body that is not SDP with 415: the session
 * stays as the 1xx set it (the 1xx counts as acknowledged all the same).
 */
static void
prack_request(struct hl_sig *s, struct sig_leg *l, struct sig_txn *t, const uint8_t *buf,
	const struct hl_sip_msg *m)
{
	const struct hl_sip_hdr_field *h = hl_sip_hdr_first(m, HL_SIP_HDR_RACK);
	struct sig_call *c = l->call;
	struct hl_sip_rack ra;
	int offer;

	if (h == NULL || hl_sip_parse_rack(buf, h->value, &ra) != 0) {
		sig_count(s, HL_SIG_CTR_PRACK_UNMATCHED);
		sig_reply(s, t, buf, m, 400, "Bad RAck", NULL, NULL, NULL, NULL, 0);
		return;
	}
	if (l->side != 0 || !l->rel_unacked || ra.rseq != l->rseq || ra.cseq != l->inv_cseq ||
		ra.method != HL_SIP_METHOD_INVITE) {
		sig_count(s, HL_SIG_CTR_PRACK_UNMATCHED);
		sig_reply(s, t, buf, m, 481, NULL, NULL, NULL, NULL, NULL, 0);
		return;
	}
	l->rel_unacked = 0;
	hl_timer_cancel(s->wheel, &l->t_rel);
	offer = l->rel_sdp && c->a_offer == NULL;
	if (l->rel_sdp)
		l->early_sdp = EARLY_SDP_DONE;
	l->rel_sdp = 0;
	if (offer) {
		if (media_from_answer(s, c, l, buf, m) < 0) {
			sig_reply(s, t, buf, m, 200, NULL, NULL, NULL, NULL, NULL, 0);
			sig_count(s, HL_SIG_CTR_MEDIA_FAIL);
			sig_count(s, HL_SIG_CTR_CALLS_FAILED);
			call_end(s, c, 488, HL_CDR_MEDIA_FAILED);
			return;
		}
		sig_reply(s, t, buf, m, 200, NULL, NULL, NULL, NULL, NULL, 0);
		media_push(s, c);
	} else if (body_not_sdp(buf, m)) {
		reply_415(s, t, buf, m);
	} else if (m->body.len) {
		sig_reply(s, t, buf, m, 488, NULL, NULL, NULL, NULL, NULL, 0);
	} else {
		sig_reply(s, t, buf, m, 200, NULL, NULL, NULL, NULL, NULL, 0);
	}
	if (l->state != LEG_EARLY || c->state == CALL_ENDING)
		return;
	if (l->final_due) {
		/* The agent's answer waited for this PRACK: the 2xx repeats our SDP. */
		a_answer_call(s, c, l->sdp_local, l->sdp_local ? l->sdp_local_len : 0);
		return;
	}
	if (l->rel_next) {
		int st = l->rel_next;
		l->rel_next = 0;
		a_send_rel(s, c, st);
	}
}

/* ---- RFC 3262 on the B leg: the agent's reliable 18x get our PRACK ---- */

static void
b_send_prack(struct hl_sig *s, struct sig_leg *b, const struct sig_early *e, uint32_t rseq,
	uint32_t inv_cseq)
{
	struct hl_sip_writer w;
	char branch[SIG_BRANCH_MAX];
	int n;

	/* §4, §7.2: a request of the early dialog e (its tag, its route set, to its
	 * Contact), a CSeq of its own (the leg's count goes on for every early dialog, so
	 * each sees it rise), RAck naming the 18x. */
	sig_new_branch(s, branch, sizeof(branch));
	hl_sip_w_init(&w, s->out, sizeof(s->out));
	w_in_dialog(s, &w, b, e, "PRACK", ++b->lcseq, branch);
	hl_sip_w_raw(&w, "RAck: ", 6);
	hl_sip_w_uint(&w, rseq);
	hl_sip_w_raw(&w, " ", 1);
	hl_sip_w_uint(&w, inv_cseq);
	hl_sip_w_raw(&w, " INVITE\r\n", 9);
	hl_sip_w_body(&w, NULL, NULL, 0);
	n = hl_sip_w_finish(&w);
	if (n > 0 && sig_txn_client(s, HL_SIP_METHOD_PRACK, branch, &b->peer, s->out, (size_t)n, b,
			     leg_req_resp) != NULL)
		sig_count(s, HL_SIG_CTR_PRACK_OUT);
}

/*
 * A 1xx of the agent's INVITE with Require: 100rel (§4), in its early dialog e: the
 * first of e, and then each whose RSeq is one more than e's last (each early dialog
 * has its RSeq space, §4: a forked INVITE's 18x are PRACKed dialog by dialog), updates
 * e's target and route set and gets a PRACK in e; any other (a retransmission of one
 * PRACKed already, whose PRACK our transaction retransmits, or one out of order) is
 * neither PRACKed nor processed, nor is one without RSeq or without an early dialog
 * (no To tag, §3; a fork beyond those we keep). 1 when it is to be processed. We never
 * send an offer in a PRACK, and the 18x carries no offer (ours was in the INVITE), so
 * the PRACK has no body.
 */
static int
b_rel_1xx(struct hl_sig *s, struct sig_txn *t, const uint8_t *buf, const struct hl_sip_msg *m,
	struct sig_early *e)
{
	struct sig_leg *b = t->leg;
	const struct hl_sip_hdr_field *h;
	uint32_t rseq;

	if (!hl_sip_has_option(buf, m, HL_SIP_HDR_REQUIRE, "100rel"))
		return 1;
	h = hl_sip_hdr_first(m, HL_SIP_HDR_RSEQ);
	if (h == NULL || hl_sip_parse_rseq(buf, h->value, &rseq) != 0 || e == NULL)
		return 0; /* no reliable 1xx without RSeq (§7.1): not one we can PRACK */
	if (e->rel && rseq != e->rseq + 1) {
		sig_count(s, HL_SIG_CTR_RETRANS_ABSORBED);
		return 0;
	}
	sig_count(s, HL_SIG_CTR_REL1XX_IN);
	e->rel = 1;
	e->rseq = rseq;
	learn_remote(buf, m, e->rtag, e->ruri, e->target, e->route);
	b_send_prack(s, b, e, rseq, t->cseq);
	return 1;
}

/*
 * The early dialog of 1xx m (in buf) on b, made when its To tag is new: 0 with *e
 * (NULL for a 1xx without a tag, which makes none, §12.1), -1 when the 1xx is to go no
 * further: a dialog that ended (its BYE came), or a new fork beyond SIG_EARLY_MAX
 * (fork_early_dropped; the ringing and early media of the forks kept go on, and its
 * 2xx, should it come first, still answers). Forks after the first count in
 * fork_early_dialogs.
 */
static int
b_early_1xx(struct hl_sig *s, struct sig_leg *b, const uint8_t *buf, const struct hl_sip_msg *m,
	struct sig_early **e)
{
	struct hl_sip_slice tag = msg_tag(buf, m, HL_SIP_HDR_TO);

	*e = NULL;
	if (tag.len == 0)
		return 0;
	*e = early_find(b, buf, tag);
	if (*e != NULL)
		return (*e)->gone ? -1 : 0;
	*e = early_new(b, buf, m, tag);
	if (*e == NULL) {
		sig_count(s, HL_SIG_CTR_FORK_EARLY_DROPPED);
		return -1;
	}
	if (b->nearly > 1)
		sig_count(s, HL_SIG_CTR_FORK_EARLY_DIALOGS);
	return 0;
}

/*
 * Whether the early SDP in 183 m from early dialog e (NULL: a 183 without a tag) is
 * the one b's media follows before the 2xx. It is kept in e either way (the 2xx of e
 * may come without SDP, §13.2.1, and the leg's media then follows e's). The first
 * early dialog that gives SDP is followed: the customer's early SDP is built from it
 * (a reliable 183's cannot change, RFC 3262 §3; hotline keeps it so without 100rel
 * too, so the legs' codec stays one), and a later fork's SDP does not switch the
 * media over to it: one fork's ringback or announcement is heard, not a mix, until
 * one answers; the 2xx moves the leg to the dialog answered.
 */
static bool
b_early_sdp(struct sig_leg *b, struct sig_early *e, const uint8_t *buf, struct hl_sip_slice body)
{
	unsigned int idx = 0;

	if (e == NULL)
		return b->early_media == 0;
	store_sdp(&e->sdp, &e->sdp_len, (const char *)buf + body.off, body.len);
	while (idx < b->nearly && b->early[idx] != e)
		idx++;
	if (b->early_media == 0)
		b->early_media = (uint8_t)(idx + 1);
	return b->early_media == idx + 1;
}

static void
b_invite_resp(struct hl_sig *s, struct sig_txn *t, const uint8_t *buf, const struct hl_sip_msg *m,
	int status)
{
	struct sig_leg *b = t->leg;
	struct sig_call *c = b->call;
	char sdp[2048];
	int sdplen = -1;

	if (status < 200) {
		struct sig_early *e = NULL;
		int go = status <= 100 || m == NULL ||
			 (b_early_1xx(s, b, buf, m, &e) == 0 && b_rel_1xx(s, t, buf, m, e));
		struct hl_sip_slice body;
		bool follow;
		if (t->cancel_pending) {
			t->cancel_pending = 0;
			leg_send_cancel(s, b);
			return;
		}
		if (!go)
			return;
		if (c == NULL || b->cancelled || c->b != b || c->a == NULL ||
			c->a->state != LEG_EARLY || (status != 180 && status != 183))
			return;
		body = m != NULL ? sdp_body(buf, m) : (struct hl_sip_slice){0, 0};
		follow = status == 183 && body.len && b_early_sdp(b, e, buf, body);
		if (c->a->rel100) {
			struct sig_leg *a = c->a;
			/* Reliably (RFC 3262 §3). The A leg's SDP is built once, from the
			 * first 183 with SDP: our answer to an early offer (early media at
			 * once, as below), or our offer to a late one (the agent's leg waits
			 * with it for the answer in the PRACK). A later 183 (the next agent's,
			 * say) does not change it; its media updates the B leg, when it is
			 * of the early dialog followed (b_early_sdp). */
			if (follow) {
				if (a->early_sdp == EARLY_SDP_NONE) {
					if (c->a_offer != NULL)
						sdplen = a_answer(s, c, buf, body, sdp,
							sizeof(sdp));
					else
						sdplen = a_late_offer(s, c, buf, body, sdp,
							sizeof(sdp));
					if (sdplen > 0) {
						store_sdp(&a->sdp_local, &a->sdp_local_len, sdp,
							(size_t)sdplen);
						a->early_sdp = EARLY_SDP_BUILT;
					}
				}
				if (a->early_sdp != EARLY_SDP_NONE) {
					media_from_sdp(s, c, b, buf, body, 1, 1);
					if (a->media_ready)
						media_push(s, c);
				}
			}
			if (c->a_offer == NULL && a->early_sdp == EARLY_SDP_NONE) {
				/* RFC 3261 §13.2.1: a late offer gets ours in the first reliable
				 * non-failure response, and there is none to carry yet (a 180,
				 * a 183 without SDP). Unreliable then, as without 100rel; not
				 * at all to a UAC that requires every 1xx reliable (§3). */
				if (!a->rel_req)
					sig_reply_stored(s, a->inv, status, NULL, a->ltag, NULL,
						NULL, NULL, 0);
				return;
			}
			a_provisional(s, c, status);
			return;
		}
		/* 180/183 to the customer; early media gets our answer now (§13.3.1.1).
		 * Another fork's 183 repeats the answer the customer has. */
		if (follow) {
			sdplen = a_answer(s, c, buf, body, sdp, sizeof(sdp));
			if (sdplen > 0) {
				store_sdp(&c->a->sdp_local, &c->a->sdp_local_len, sdp, (size_t)sdplen);
				media_from_sdp(s, c, b, buf, body, 1, 1);
				media_push(s, c);
			}
		} else if (status == 183 && body.len && c->a->sdp_local != NULL &&
			   c->a->sdp_local_len < sizeof(sdp)) {
			sdplen = (int)c->a->sdp_local_len;
			memcpy(sdp, c->a->sdp_local, (size_t)sdplen);
		}
		sig_reply_stored(s, c->a->inv, status, NULL, c->a->ltag, NULL,
			sdplen > 0 ? "application/sdp" : NULL, sdp, sdplen > 0 ? (size_t)sdplen : 0);
		return;
	}
	if (status < 300) {
		struct hl_sip_slice tag = msg_tag(buf, m, HL_SIP_HDR_TO);
		struct sig_early *e;
		const uint8_t *sbuf = buf;
		struct hl_sip_slice sbody = sdp_body(buf, m);
		if (b->b_2xx) {
			if (b->rtag[0] != '\0' && !tag_is(buf, tag, b->rtag)) {
				b_extra_2xx(s, b, t, buf, m, tag);
				return;
			}
			/* A retransmitted 2xx: our ACK was lost (§13.2.2.4). */
			leg_ack_again(s, b, t->cseq);
			sig_count(s, HL_SIG_CTR_RETRANS_ABSORBED);
			return;
		}
		/* The first 2xx, of whichever early dialog (or none): the leg's dialog from
		 * now on (§13.2.2.4). Without SDP (its answer was in a reliable 183 of that
		 * dialog, §13.2.1), the leg's media follows that dialog's early SDP. */
		b->b_2xx = 1;
		e = early_find(b, buf, tag);
		if (sbody.len == 0 && e != NULL && e->sdp != NULL) {
			sbuf = (const uint8_t *)e->sdp;
			sbody = (struct hl_sip_slice){0, e->sdp_len};
		}
		b_learn_dialog(b, buf, m);
		leg_ack_new(s, b, t->cseq);
		b->state = LEG_CONFIRMED;
		if (sbody.len)
			store_sdp(&b->sdp_remote, &b->sdp_remote_len,
				(const char *)sbuf + sbody.off, sbody.len);
		if (c == NULL || b->cancelled || c->b != b || c->state != CALL_ROUTING) {
			/* Answered after we gave up on it (a CANCEL crossed the 200). */
			leg_send_bye(s, b);
			return;
		}
		/* An agent whose 2xx has no Session-Expires does not do timers: none on
		 * this leg (RFC 4028 §7.2). */
		session_learn(s, b, buf, m, 1);
		hl_timer_cancel(s->wheel, &c->t_noanswer);
		if (c->a->state != LEG_EARLY) {
			leg_send_bye(s, b);
			return;
		}
		if (c->a->early_sdp != EARLY_SDP_NONE) {
			/*
			 * Our SDP went, or is to go, in a reliable 1xx: the 2xx repeats it as it
			 * is, the same o= version, which RFC 3264 §8 makes no change to the
			 * session and so neither a new offer nor a new answer. RFC 3261 §13.2.1
			 * has the UAC take the first SDP of the responses as the answer and
			 * ignore the rest; after an offer in a 1xx answered in the PRACK (one
			 * of the exchanges of RFC 6337 Table 1) the exchange is over, and a
			 * repeat is what trunks expect of the 2xx.
			 */
			sdplen = 0;
			if (c->a->sdp_local != NULL && c->a->sdp_local_len < sizeof(sdp)) {
				sdplen = (int)c->a->sdp_local_len;
				memcpy(sdp, c->a->sdp_local, (size_t)sdplen);
			}
		} else if (c->a_offer != NULL) {
			/* Without 100rel our 183 may have answered with the early media's
			 * fork's codec, and another fork's 2xx brings another. The 2xx is the
			 * answer (RFC 3261 §13.2.1: the 183 was not reliable), but a customer
			 * that took the 183's SDP for it must see a new one: the next o=
			 * version (RFC 3264 §8). */
			int k0 = sdp_codec((const uint8_t *)c->a->sdp_local,
				(struct hl_sip_slice){0, c->a->sdp_local_len});
			if (k0 >= 0 && k0 != sdp_codec(sbuf, sbody))
				c->a->sdp_version++;
			sdplen = a_answer(s, c, sbuf, sbody, sdp, sizeof(sdp));
			if (sdplen < 0) {
				/* The agent answered with nothing the customer offered. */
				sig_count(s, HL_SIG_CTR_CALLS_FAILED);
				call_end(s, c, 488, HL_CDR_REJECTED);
				return;
			}
		} else {
			/* Late offer: our offer to the customer, whose answer is in the ACK. */
			sdplen = a_late_offer(s, c, sbuf, sbody, sdp, sizeof(sdp));
			if (sdplen < 0) {
				/* No SDP from the agent, or nothing we carry in it. */
				sig_count(s, HL_SIG_CTR_CALLS_FAILED);
				call_end(s, c, 488, HL_CDR_REJECTED);
				return;
			}
		}
		/* The leg's media follows the dialog answered, whichever fork's early media
		 * it had. */
		media_from_sdp(s, c, b, sbuf, sbody, 1, 1);
		/*
		 * The customer's codec was settled before this 2xx by the early media's fork
		 * (our answer or late offer in a reliable 18x, which the 2xx repeats), and
		 * the fork that answered may have chosen another from our offer: the legs
		 * relay one codec untranscoded, so once the customer ACKs, a_codec_move()
		 * compares them and our re-INVITE moves the customer to the agent's. The
		 * usual case, both alike, sends nothing.
		 */
		if (c->a->early_sdp != EARLY_SDP_NONE)
			c->a->codec_fix = CODEC_FIX_DUE;
		/* A late-offer call's legs go to the worker with the customer's answer
		 * (leg_ack_answer, or prack_request when it came in a PRACK): the A leg
		 * has no remote until then. */
		if (c->a_offer != NULL || c->a->media_ready)
			media_push(s, c);
		/* The offer is answered for good: the keys of the lines not taken go. */
		leg_srtp_offer_wipe(b);
		sig_agent_set_busy(s, c->agent, AGENT_BUSY);
		c->state = CALL_CONNECTED;
		sig_cat(c->agent_user, sizeof(c->agent_user), c->agent->cfg->user, NULL);
		if (c->a->early_sdp == EARLY_SDP_SENT) {
			/* RFC 3262 §3: no 2xx while a reliable 1xx with SDP is unacknowledged;
			 * it goes with the PRACK (prack_request), or a 5xx at its timeout. */
			c->a->final_due = 1;
			c->a->rel_next = 0;
			return;
		}
		a_answer_call(s, c, sdp, sdplen);
		return;
	}
	/* 3xx-6xx or a timeout: the transaction ACKed it; this agent is done, and with it
	 * every early dialog of its INVITE (§12.3). */
	sig_early_free(b);
	b->state = LEG_DONE;
	if (c == NULL || c->b != b) {
		leg_done(s, b);
		return;
	}
	if (!b->cancelled)
		sig_count(s, HL_SIG_CTR_AGENT_REJECTS);
	agent_failed(s, c, false);
}

/*
 * The agent's BYE before the customer had our 2xx: in the early dialog (RFC 3261 §15
 * forbids it to a UAS, but it comes), or while that 2xx waits for the PRACK of a
 * reliable 183 (final_due). Nobody cancelled the customer's INVITE, so it gets no 487
 * (§9.2): the attempt failed as a rejection does, the next agent is rung, and with
 * nobody left the customer gets 480 (no_agent). An INVITE of ours still open is
 * CANCELled and its leg left to finish on its own, as after no answer.
 */
static void
agent_left(struct hl_sig *s, struct sig_call *c, struct sig_leg *b)
{
	sig_count(s, HL_SIG_CTR_AGENT_REJECTS);
	c->a->final_due = 0;
	c->agent_user[0] = '\0'; /* copied at the agent's 2xx; the customer never had it */
	c->state = CALL_ROUTING;
	if (b->state == LEG_EARLY) {
		leg_send_cancel(s, b);
		agent_failed(s, c, true);
		return;
	}
	b->state = LEG_DONE;
	agent_failed(s, c, false);
}

static void relay_answered(struct hl_sig *s, struct sig_call *c, struct sig_leg *l,
	struct sig_txn *orig, int status, int newk);
static int leg_codec_index(const struct sig_leg *l);
static void codec_retry(struct hl_sig *s, struct sig_leg *a);

/* Responses to BYE and re-INVITE/refresh requests we sent on a leg. */
static void
leg_req_resp(struct hl_sig *s, struct sig_txn *t, const uint8_t *buf, const struct hl_sip_msg *m,
	int status)
{
	struct sig_leg *l = t->leg;
	struct sig_call *c = l->call;

	if (status < 200)
		return;
	if (t->method == HL_SIP_METHOD_BYE) {
		leg_done(s, l);
		return;
	}
	if (t->method != HL_SIP_METHOD_INVITE)
		return;
	if (t->again && status < 300) {
		/* The 2xx again (our ACK lost; an in-dialog INVITE does not fork): the ACK
		 * again (§13.2.2.4), and nothing else. Its offer was answered at the first
		 * one, and an offer of ours in flight now (the next re-INVITE, its keys, an
		 * offer it relays) is not answered by it. */
		leg_ack_again(s, l, t->cseq);
		return;
	}
	if (l->sdp_local_was != NULL && t->cseq == l->sdp_local_was_cseq) {
		/* RFC 3264 §8: our offer refused (or timed out), the session is as it
		 * was, with the SDP of ours it had; answered, the offer is it. Our o=
		 * version stays at the refused offer's, so the next SDP that differs is
		 * newer than any the remote has seen. */
		if (status >= 300) {
			sig_free(l->sdp_local);
			l->sdp_local = l->sdp_local_was;
			l->sdp_local_len = l->sdp_local_was_len;
		} else {
			sig_free(l->sdp_local_was);
		}
		l->sdp_local_was = NULL;
	}
	/* Our BYE went on the leg (the call ends, from either side) before this final came:
	 * it is answered, but the session is over. */
	bool ending = c == NULL || l->state != LEG_CONFIRMED;
	if (status < 300) {
		/* §13.2.2.4: every 2xx of an INVITE of ours gets its ACK, in whatever state
		 * the leg is, a BYE of ours sent or not (§15: the UAS retransmits it until
		 * then). On an ending leg it changes nothing else: no SDP to the media, no
		 * leg state, no session timer. */
		leg_ack_new(s, l, t->cseq);
		struct hl_sip_slice body =
			m != NULL && !ending ? sdp_body(buf, m) : (struct hl_sip_slice){0, 0};
		if (body.len) {
			store_sdp(&l->sdp_remote, &l->sdp_remote_len, (const char *)buf + body.off,
				body.len);
			if (c != NULL && l->media_ready) {
				media_from_sdp(s, c, l, buf, body, l->reoffer_codec != 0, 1);
				media_push(s, c);
			}
		}
	}
	/* Our offer is answered or refused: the keys of the lines not taken go. */
	leg_srtp_offer_wipe(l);
	int newk = l->reoffer_codec;
	l->reoffer_codec = 0;
	/* A re-INVITE or UPDATE we relayed from the other leg: answer it now. */
	if (c != NULL && l->inv_peer_req != NULL) {
		struct sig_txn *orig = l->inv_peer_req;
		l->inv_peer_req = NULL;
		/* Not when the end of the peer's dialog answered it already (487). A 2xx
		 * after our BYE answers it no more either: 487 (§15.1.2), the call ends. */
		if (orig->status < 200)
			relay_answered(s, c, l, orig, ending && status < 300 ? 487 : status, newk);
	}
	if (c != NULL && l->codec_fix == CODEC_FIX_SENT) {
		/* Our move of the customer to the agent's codec (a_codec_move), as no
		 * other INVITE of ours on the leg was in progress when it went, nor can go
		 * while it is, and a 2xx again of an earlier one stopped above: a 491
		 * crossed theirs and it goes again; an answer that does not take the
		 * agent's codec, or a refusal, leaves legs that cannot hear each other, and
		 * the call ends (a dead dialog as dialog_lost, below). */
		l->codec_fix = CODEC_FIX_NONE;
		if (c->state != CALL_CONNECTED) {
			/* The call ends anyway (a BYE crossed it). */
		} else if (status == 491) {
			l->codec_fix = CODEC_FIX_RETRY;
			codec_retry(s, l);
			return;
		} else if (status >= 300 || c->b == NULL ||
			   leg_codec_index(l) != leg_codec_index(c->b)) {
			sig_count(s, HL_SIG_CTR_FORK_CODEC_FAILED);
			if (status != 481 && status != 408) {
				call_end(s, c, 0, HL_CDR_MEDIA_FAILED);
				return;
			}
		}
	}
	if (status == 481 || status == 408) {
		/* §12.2.1.2: the dialog is gone; so is the call. */
		if (c != NULL)
			call_end(s, c, 0, HL_CDR_DIALOG_LOST);
		return;
	}
	if (status < 300 && !ending)
		session_arm(s, l);
}

/* The index into our_codecs[] of the codec leg l runs (static PTs name theirs; a
 * dynamic one is ours of its clock), -1 when none is known. */
static int
leg_codec_index(const struct sig_leg *l)
{
	const struct hl_media_leg *ml = &l->media;

	if (!l->media_ready)
		return -1;
	for (unsigned int i = 0; i < HL_ARRAY_SIZE(our_codecs); i++) {
		const struct hl_sdp_codec *k = &our_codecs[i];
		if (ml->codec_pt < 96 ? k->pt == ml->codec_pt :
					k->pt >= 96 && k->clock == ml->clock_rate)
			return (int)i;
	}
	return -1;
}

/* The codec leg l runs, as our_codecs[] has it but with the leg's PT: 0, or -1 when
 * none is known. */
static int
leg_codec(const struct sig_leg *l, struct hl_sdp_codec *one)
{
	int k = leg_codec_index(l);

	if (k < 0)
		return -1;
	*one = our_codecs[k];
	one->pt = l->media.codec_pt;
	return 0;
}

/* The PT the customer's first offer gives our_codecs[k]: -1 when it has none of it, or
 * made no offer (a late offer: our offer gave the codecs). */
static int
a_offer_pt(const struct sig_call *c, int k)
{
	const uint8_t *ob = (const uint8_t *)c->a_offer;
	struct hl_sdp sdp;

	if (ob == NULL || hl_sdp_parse(ob, (struct hl_sip_slice){0, c->a_offer_len}, &sdp) != 0 ||
		sdp.nmedia == 0)
		return -1;
	for (unsigned int f = 0; f < sdp.media[0].nfmt; f++)
		if (codec_of(ob, &sdp.media[0].fmt[f]) == k)
			return sdp.media[0].fmt[f].pt;
	return -1;
}

/*
 * A re-offer on l (offer, parsed from ob) that drops the codec the call runs for
 * another of ours (a trunk moving from PCMU to PCMA, say): the legs relay one codec
 * untranscoded, so the other leg must move too. The index + 1 of the first of its
 * codecs we carry, 0 when it keeps ours (or names none of ours: no answer).
 */
static int
offer_new_codec(const struct sig_leg *l, const uint8_t *ob, const struct hl_sdp *offer)
{
	const struct hl_sdp_media *om = &offer->media[0];
	int cur = leg_codec_index(l), first = -1;

	if (cur < 0 || offer->nmedia == 0 || om->port == 0)
		return 0;
	for (unsigned int f = 0; f < om->nfmt; f++) {
		int k = codec_of(ob, &om->fmt[f]);
		if (k == cur)
			return 0;
		if (first < 0 && k >= 0)
			first = k;
	}
	return first + 1;
}

/*
 * Our answer on leg x to its remote's offer (offer, parsed from ob; RFC 3264 §6, §8):
 * our address and x's port, the next version of our SDP, x's SRTP (caps_leg_srtp: our
 * key for a new suite waits in x->srtp_next), and of our codecs one, under the PT the
 * offer gives it: our_codecs[k], or with k < 0 the one leg run runs (x itself, or the
 * other leg once it moved codec), since the legs relay one codec and never transcode.
 * Length; or -1 when every stream is refused (RFC 3264 §8: no answer to a re-offer,
 * the caller answers 488 and the session stays as it was), with x->srtp_next wiped.
 */
static int
leg_answer_sdp(struct hl_sig *s, struct sig_leg *x, const struct sig_leg *run, int k,
	const uint8_t *ob, const struct hl_sdp *offer, char *out, size_t cap,
	struct hl_sdp_negotiated *neg)
{
	struct hl_sdp_caps caps;
	struct hl_sdp_codec one[1];
	struct srtp_cb cb;
	char host[64], addr[64];
	int n;

	leg_sdp_addr(s, x, host, sizeof(host), addr, sizeof(addr));
	caps_init(&caps, addr, host[0] == '[', x->rtp_port, x->sess_id, x->sdp_version + 1);
	caps_leg_srtp(s, x, &caps, &cb, 0);
	if (k >= 0 && k < (int)HL_ARRAY_SIZE(our_codecs)) {
		one[0] = our_codecs[k];
		caps.codecs = one;
		caps.ncodecs = 1;
	} else if (leg_codec(run != NULL && run->media_ready ? run : x, one) == 0) {
		caps.codecs = one;
		caps.ncodecs = 1;
	}
	n = hl_sdp_answer(ob, offer, &caps, out, cap, neg);
	explicit_bzero(&cb, sizeof(cb));
	if (n <= 0 || neg->naccepted == 0) {
		hl_srtp_key_wipe(&x->srtp_next);
		return -1;
	}
	x->sdp_version++;
	return n;
}

/* Header lines of our 2xx to a re-INVITE or UPDATE on l: Contact (both are target
 * refresh requests), Supported, and RFC 4028 §9 Session-Expires when the leg runs
 * session timers, with the refresher it has. */
static void
dialog_2xx_hdrs(struct hl_sig *s, struct sig_leg *l, char *out, size_t cap)
{
	char host[64], port[11], se[11];
	size_t off;

	sig_local_host(s, &l->peer, host, sizeof(host));
	off = sig_cat(out, cap, "Contact: <sip:hotline@", host, ":",
		sig_utoa(port, s->cfg->sip_port), ">\r\nSupported: ", sig_supported, "\r\n", NULL);
	if (l->session_s && off < cap)
		sig_cat(out + off, cap - off, "Session-Expires: ", sig_utoa(se, l->session_s),
			";refresher=", l->we_refresh ? "uas" : "uac", "\r\n", NULL);
}

/* 500 with Retry-After, a random 0 to 10 s (RFC 3261 §14.2, RFC 3311 §5.2): the
 * request crossed one of the same dialog that we have not answered yet. */
static void
reply_retry(struct hl_sig *s, struct sig_txn *t, const uint8_t *buf, const struct hl_sip_msg *m)
{
	char hdrs[32], v[11];

	sig_cat(hdrs, sizeof(hdrs), "Retry-After: ", sig_utoa(v, (unsigned int)(sig_rand64(s) % 11)),
		"\r\n", NULL);
	sig_reply(s, t, buf, m, 500, NULL, NULL, hdrs, NULL, NULL, 0);
}

/* B leg l, ringing: the early dialog its media follows (the first fork that gave SDP)
 * had a reliable 1xx PRACKed, so our INVITE's offer has its answer there. */
static bool
b_media_rel(const struct sig_leg *l)
{
	return l->early_media != 0 && l->early[l->early_media - 1]->rel;
}

/*
 * RFC 3311 §5.2 and RFC 3261 §14 need to know, per dialog, whose offer waits for its
 * answer. Ours on l: a re-INVITE of ours without its final (a refresh, or an offer we
 * relay), our 2xx that offered and waits for the ACK (ack_answer), our reliable 1xx
 * that offered and waits for the PRACK (a late offer, RFC 3262 §5).
 */
static bool
leg_offer_ours(const struct sig_leg *l)
{
	if (l->ack_answer || (l->rel_unacked && l->rel_sdp && l->call != NULL &&
				     l->call->a_offer == NULL))
		return true;
	for (const struct sig_txn *t = l->txns; t != NULL; t = t->tu_next) {
		/* The agent's INVITE, ringing still, whose offer a reliable 1xx answered
		 * (RFC 3262 §5): that offer/answer is done. */
		if (t == l->inv && l->side == 1 && l->state == LEG_EARLY && b_media_rel(l) &&
			l->media_ready)
			continue;
		if (!t->server && t->method == HL_SIP_METHOD_INVITE && t->state < TXN_COMPLETED)
			return true;
	}
	return false;
}

/* Theirs on l, in our hands: an UPDATE or a re-INVITE we relayed and have not answered. */
static bool
leg_offer_theirs(const struct sig_leg *l)
{
	return l->upd != NULL || (l->state == LEG_CONFIRMED && l->inv != NULL && l->inv->server &&
					 l->inv->state < TXN_COMPLETED);
}

/*
 * The peer (l) answered (status) the re-INVITE that carried orig's offer on: orig (a
 * re-INVITE or an UPDATE of the other leg, x) gets our answer to its offer, in the
 * 2xx, or the peer's refusal. newk is offer_new_codec() of that offer on x as the
 * relay found it (l->reoffer_codec, which our re-INVITE offered): x's codec has not
 * moved since, as x's offer open on its dialog let no other offer go either way, nor
 * so any answer reach x (reinvite_request, update_request, leg_offer_open). RFC 4568
 * §7.1.4: the keys of our answer, new or kept, go to the worker before the offerer
 * hears of them. Either offer takes effect on x only now, with our 2xx: one the peer
 * refuses, or that we cannot answer, changes nothing on x (RFC 3264 §8, RFC 3261
 * §14.1, RFC 3311 §5.2: the session stays as it was; its media, hold and remote SDP,
 * and the worker's leg, which had not heard of it), and the same offer again is no
 * refresh.
 */
static void
relay_answered(struct hl_sig *s, struct sig_call *c, struct sig_leg *l, struct sig_txn *orig,
	int status, int newk)
{
	struct sig_leg *x = orig->leg;
	bool upd = x != NULL && x->upd == orig;
	struct hl_sdp offer;
	struct hl_sdp_negotiated neg;
	struct hl_sip_msg om;
	struct hl_sip_slice osl = {0, 0};
	const uint8_t *ob = NULL;
	char hdrs[320], sdp[2048];
	int n = -1, moved = 0;

	if (x != NULL && orig->req != NULL &&
		hl_sip_parse((const uint8_t *)orig->req, orig->req_len, &om) > 0) {
		ob = (const uint8_t *)orig->req;
		osl = om.body;
	}
	if (x == NULL || status >= 300 || ob == NULL || osl.len == 0) {
		sig_reply_stored(s, orig, status >= 300 ? status : 500, NULL, NULL, NULL, NULL,
			NULL, 0);
		if (upd) {
			x->upd = NULL;
			sig_count(s, HL_SIG_CTR_UPDATE_REFUSED);
		}
		return;
	}
	/* x keeps its codec unless its offer moved it (newk: the peer was offered the
	 * new one, and its answer put l on it). The peer's codec is not x's while the
	 * legs of a forked call differ (a_codec_move() not done yet), and x's offer need
	 * not list it. */
	if (hl_sdp_parse(ob, osl, &offer) == 0)
		n = leg_answer_sdp(s, x, newk != 0 ? l : x, -1, ob, &offer, sdp, sizeof(sdp), &neg);
	if (n > 0) {
		enum hl_sdp_dir d = offer_dir(ob, osl);
		x->hold = d == HL_SDP_DIR_SENDONLY || d == HL_SDP_DIR_INACTIVE;
		/* l's answer is its direction now: one its ACK gave that still waits for
		 * an open offer to end (leg_relay_dir) would undo it. */
		l->dir_due = HL_SDP_DIR_NONE;
		store_sdp(&x->sdp_remote, &x->sdp_remote_len, (const char *)ob + osl.off, osl.len);
		if (x->media_ready) {
			media_from_sdp(s, c, x, ob, osl, 0, 0);
			moved = 1;
		}
		for (unsigned int i = 0; i < neg.nstreams; i++) {
			const struct hl_sdp_neg_stream *ns = &neg.s[i];
			int k;
			if (!ns->accepted)
				continue;
			leg_srtp_answered(x, ob, &offer.media[i], ns);
			/* The codec our answer took, which the other leg now runs. */
			k = neg_codec(ob, &offer.media[i], ns);
			if (x->media_ready && k >= 0 && (x->media.codec_pt != ns->pt ||
				x->media.clock_rate != our_codecs[k].clock ||
				x->media.te_pt != ns->te_pt || x->media.te_clock != ns->te_clock)) {
				x->media.codec_pt = ns->pt;
				x->media.clock_rate = our_codecs[k].clock;
				x->media.te_pt = ns->te_pt;
				x->media.te_clock = ns->te_clock;
				moved = 1;
			}
			break;
		}
		if (x->srtp_rekey || moved)
			media_push(s, c);
		store_sdp(&x->sdp_local, &x->sdp_local_len, sdp, (size_t)n);
	}
	hl_srtp_key_wipe(&x->srtp_next);
	dialog_2xx_hdrs(s, x, hdrs, sizeof(hdrs));
	sig_reply_stored(s, orig, n > 0 ? 200 : 488, NULL, NULL, hdrs,
		n > 0 ? "application/sdp" : NULL, sdp, n > 0 ? (size_t)n : 0);
	if (upd) {
		x->upd = NULL;
		if (n < 0)
			sig_count(s, HL_SIG_CTR_UPDATE_REFUSED);
	}
}

/* Marks in used[] (one bit a PT) the PTs the SDP text sdp (n octets) gives a format
 * other than telephone-event. */
static void
sdp_pts_used(const char *sdp, size_t n, uint32_t used[4])
{
	struct hl_sdp p;

	if (sdp == NULL ||
		hl_sdp_parse((const uint8_t *)sdp, (struct hl_sip_slice){0, (uint16_t)n}, &p) != 0)
		return;
	for (unsigned int i = 0; i < p.nmedia; i++)
		for (unsigned int f = 0; f < p.media[i].nfmt; f++) {
			unsigned int pt = p.media[i].fmt[f].pt & 127;
			if ((int)pt != p.media[i].te_pt)
				used[pt >> 5] |= 1u << (pt & 31);
		}
}

/*
 * A PT for a format new to l's session, besides the one under pt: prefer (or -1) unless
 * that names another format in the session (pt, or one in the leg's SDP either way or
 * the customer's first offer: RFC 3264 §8.3.2, a PT names one format for the whole
 * session); then the first dynamic PT (96-127, RFC 3551 §6) that names none. -1 when
 * none is free.
 */
static int
offer_free_pt(const struct sig_leg *l, unsigned int pt, int prefer)
{
	uint32_t used[4] = {0};

	used[(pt & 127) >> 5] |= 1u << (pt & 31);
	sdp_pts_used(l->sdp_remote, l->sdp_remote_len, used);
	sdp_pts_used(l->sdp_local, l->sdp_local_len, used);
	if (l->side == 0 && l->call != NULL)
		sdp_pts_used(l->call->a_offer, l->call->a_offer_len, used);
	if (prefer >= 0 && !(used[prefer >> 5] & (1u << (prefer & 31))))
		return prefer;
	for (unsigned int p = 96; p < 128; p++)
		if (!(used[p >> 5] & (1u << (p & 31))))
			return (int)p;
	return -1;
}

/* The telephone-event PT of our offer on l whose codec goes under pt, when the leg has
 * none of its own to keep (or it is pt now): our 101 if free. -1: no events. */
static int
offer_te_pt(const struct sig_leg *l, unsigned int pt)
{
	return offer_free_pt(l, pt, 101);
}

/*
 * Our offer on leg l in a dialog (RFC 3264 §8): direction dir, the codec the leg runs
 * alone (its PTs), and with SRTP the suite in use alone, our key and tag
 * (caps_leg_srtp), so nothing changes unless the answer changes it. bump: a new
 * version (a change we relay). Else the version of our last SDP, unless this one
 * differs from it (fresh keys of a leg not yet on SRTP, one codec and one crypto line
 * where the first offer listed several): §8 wants a new version then, even in a
 * refresh, and the same one when nothing changed. Length, or negative.
 */
static int
leg_offer_sdp(struct hl_sig *s, struct sig_leg *l, enum hl_sdp_dir dir, int bump, char *out,
	size_t cap)
{
	struct hl_sdp_caps caps;
	struct hl_sdp sdp_prev;
	struct hl_sdp_codec one[1];
	struct srtp_cb cb;
	char host[64], addr[64];
	int sdplen, te = 101;

	leg_sdp_addr(s, l, host, sizeof(host), addr, sizeof(addr));
	caps_init(&caps, addr, host[0] == '[', l->rtp_port, l->sess_id,
		bump ? ++l->sdp_version : l->sdp_version);
	caps_leg_srtp(s, l, &caps, &cb, 1);
	caps.dir = (uint8_t)dir;
	/* A leg whose SRTP rides RTP/AVP (a best-effort answer to our late offer) stays
	 * on RTP/AVP: RTP/SAVP would be a new transport to it. */
	if (l->srtp && l->sdp_remote != NULL &&
		hl_sdp_parse((const uint8_t *)l->sdp_remote,
			(struct hl_sip_slice){0, l->sdp_remote_len}, &sdp_prev) == 0 &&
		sdp_prev.nmedia && (sdp_prev.media[0].proto == HL_SDP_PROTO_RTP_AVP ||
			sdp_prev.media[0].proto == HL_SDP_PROTO_RTP_AVPF))
		caps.srtp = HL_SDP_SRTP_OPTIONAL;
	if (l->reoffer_codec != 0 && l->reoffer_codec <= HL_ARRAY_SIZE(our_codecs)) {
		/* The other leg moved codec: this one moves to it, under our PT, or on the
		 * customer's leg the PT its offer gave it, and events keep the leg's PT
		 * (RFC 3264 §8.3.2: a PT names one format for the whole session) unless
		 * that is the codec's PT now: then one free (offer_te_pt()), as one PT
		 * cannot name both. */
		int pt = l->side == 0 && l->call != NULL ? a_offer_pt(l->call, l->reoffer_codec - 1)
							 : -1;
		one[0] = our_codecs[l->reoffer_codec - 1];
		if (pt >= 0)
			one[0].pt = (uint8_t)pt;
		caps.codecs = one;
		caps.ncodecs = 1;
		te = l->media_ready ? l->media.te_pt : -1;
		/* Our PT for the codec already names the leg's events: the codec, new to
		 * the session, takes a free PT instead, since the events' PT cannot name
		 * another format now (§8.3.2). Only when none is free do the events move. */
		if (pt < 0 && te >= 0 && te == one[0].pt) {
			int f = offer_free_pt(l, (unsigned int)te, -1);
			if (f >= 0)
				one[0].pt = (uint8_t)f;
		}
	} else if (leg_codec(l, one) == 0) {
		caps.codecs = one;
		caps.ncodecs = 1;
		te = l->media.te_pt;
	} else if (l->sdp_remote != NULL) {
		/* No media yet: the codec of the leg's last remote SDP. */
		struct hl_sip_slice sl = {0, l->sdp_remote_len};
		if (hl_sdp_parse((const uint8_t *)l->sdp_remote, sl, &sdp_prev) == 0 &&
			sdp_prev.nmedia && sdp_prev.media[0].nfmt) {
			int k = codec_of((const uint8_t *)l->sdp_remote, &sdp_prev.media[0].fmt[0]);
			if (k >= 0) {
				one[0] = our_codecs[k];
				caps.codecs = one;
				caps.ncodecs = 1;
			}
		}
	}
	if (caps.codecs == one && (te < 0 || te == one[0].pt))
		te = offer_te_pt(l, one[0].pt);
	if (te >= 0)
		caps.te_pt = (uint8_t)te;
	else
		caps.telephone_event = 0;
	sdplen = hl_sdp_build_offer(&caps, out, cap);
	if (!bump && sdplen > 0 && l->sdp_local != NULL && ((size_t)sdplen != l->sdp_local_len ||
		memcmp(out, l->sdp_local, (size_t)sdplen) != 0)) {
		caps.sess_version = ++l->sdp_version;
		sdplen = hl_sdp_build_offer(&caps, out, cap);
	}
	explicit_bzero(&cb, sizeof(cb));
	return sdplen;
}

/*
 * Sends a re-INVITE on l with our SDP (offer, leg_offer_sdp) and optional relay of req.
 * 0 when it went; else (no room for its message, its transaction or the copy of our
 * SDP kept till the answer) -1, counted in reinvites_not_sent, with l as it was (its
 * CSeq, SDP version and offered keys) and relay answered 500 with Retry-After.
 */
static int
leg_send_reinvite(struct hl_sig *s, struct sig_leg *l, enum hl_sdp_dir dir, struct sig_txn *relay)
{
	struct hl_sip_writer w;
	char host[64], branch[SIG_BRANCH_MAX], sdp[2048];
	uint32_t cseq = l->lcseq, version = l->sdp_version;
	int sdplen, n;
	struct sig_txn *t = NULL;
	char *d = NULL;

	sig_local_host(s, &l->peer, host, sizeof(host));
	sdplen = leg_offer_sdp(s, l, dir, relay != NULL, sdp, sizeof(sdp));
	if (sdplen > 0 && (d = sig_dup(sdp, (size_t)sdplen)) == NULL)
		goto fail;
	sig_new_branch(s, branch, sizeof(branch));
	hl_sip_w_init(&w, s->out, sizeof(s->out));
	w_in_dialog(s, &w, l, NULL, "INVITE", ++l->lcseq, branch);
	sig_w_contact(s, &w, host);
	sig_w_strs(&w, "Allow: ", sig_allow, "\r\nSupported: timer\r\n", NULL);
	if (l->session_s)
		hl_sip_w_fmt(&w, "Session-Expires: %u;refresher=%s\r\n", l->session_s,
			l->we_refresh ? "uac" : "uas");
	hl_sip_w_body(&w, sdplen > 0 ? "application/sdp" : NULL, sdp, sdplen > 0 ? (size_t)sdplen : 0);
	n = hl_sip_w_finish(&w);
	if (n > 0)
		t = sig_txn_client(s, HL_SIP_METHOD_INVITE, branch, &l->peer, s->out, (size_t)n, l,
			leg_req_resp);
	if (t == NULL)
		goto fail;
	t->cseq = l->lcseq;
	l->inv_peer_req = relay;
	if (d != NULL) {
		/* Ours till the answer: a refusal leaves the session, and so the SDP a
		 * refresh of theirs gets back, as it was (leg_req_resp). */
		sig_free(l->sdp_local_was);
		l->sdp_local_was = l->sdp_local;
		l->sdp_local_was_len = l->sdp_local_len;
		l->sdp_local_was_cseq = t->cseq;
		l->sdp_local = d;
		l->sdp_local_len = (uint16_t)sdplen;
	}
	return 0;
fail:
	sig_free(d);
	leg_srtp_offer_wipe(l);
	l->lcseq = cseq;
	l->sdp_version = version;
	sig_count(s, HL_SIG_CTR_REINVITE_NOT_SENT);
	if (relay)
		sig_reply_stored(s, relay, 500, NULL, NULL, "Retry-After: 1\r\n", NULL, NULL, 0);
	return -1;
}

/*
 * The direction of a refresh of ours on l (RFC 4028 §7.4, RFC 3264 §8): the one our
 * last SDP to l gave, offer or answer, since a refresh changes nothing. That is where
 * the bridged call is for l: the peer's hold we relayed (sendonly, inactive), our
 * recvonly answer to l's own hold, or sendrecv. A default sendrecv would un-hold the
 * leg while the peer holds (the customer sending again, the music on hold lost).
 */
static enum hl_sdp_dir
leg_our_dir(const struct sig_leg *l)
{
	enum hl_sdp_dir d;

	if (l->sdp_local == NULL)
		return l->hold ? HL_SDP_DIR_RECVONLY : HL_SDP_DIR_SENDRECV;
	d = offer_dir((const uint8_t *)l->sdp_local, (struct hl_sip_slice){0, l->sdp_local_len});
	return d == HL_SDP_DIR_NONE ? HL_SDP_DIR_SENDRECV : d;
}

/*
 * An offer is open on l, so no new one of ours may go (RFC 3261 §14.1, RFC 3311 §5.1):
 * ours, theirs, or our 2xx to theirs still waiting for its ACK.
 */
static bool
leg_offer_open(const struct sig_leg *l)
{
	return leg_offer_ours(l) || leg_offer_theirs(l) ||
	       (l->inv != NULL && l->inv->server && l->inv->state == TXN_ACCEPTED);
}

static void
session_fire(struct hl_timer *tm, void *arg)
{
	struct sig_leg *l = arg;
	struct hl_sig *s = l->sig;

	(void)tm;
	if (l->call == NULL || l->state != LEG_CONFIRMED)
		return;
	if (l->we_refresh) {
		if (leg_offer_open(l)) {
			/* An offer is open on the leg (ours: a relayed hold, the codec move;
			 * theirs, or our 2xx to theirs waiting for its ACK): RFC 3261 §14.1
			 * and RFC 3311 §5.1 let no second one go. The refresh waits for it,
			 * looking again in 1 to 2 s, well inside the half interval left. */
			hl_timer_arm(s->wheel, &l->t_session, 1000 + sig_rand64(s) % 1001);
			return;
		}
		if (leg_send_reinvite(s, l, leg_our_dir(l), NULL) != 0) {
			/* It could not go (reinvites_not_sent): again in 1 to 2 s. */
			hl_timer_arm(s->wheel, &l->t_session, 1000 + sig_rand64(s) % 1001);
			return;
		}
		sig_count(s, HL_SIG_CTR_SESSION_REFRESH);
		session_arm(s, l);
		return;
	}
	/* RFC 4028 §10: no refresh came; the session is over. */
	sig_count(s, HL_SIG_CTR_SESSION_EXPIRED);
	call_end(s, l->call, 0, HL_CDR_SESSION_EXPIRED);
}

/*
 * RFC 3261 §14.1: after a 491 to our re-INVITE on the customer's leg, the next one waits
 * 0 to 2 s in units of 10 ms (the customer owns that dialog's Call-ID); so does a move
 * that found another offer open on the leg.
 */
static void
codec_retry(struct hl_sig *s, struct sig_leg *a)
{
	hl_timer_arm(s->wheel, &a->t_codec, (sig_rand64(s) % 201) * 10);
}

/*
 * The customer's leg a runs another codec than the agent's: its answer (or late offer)
 * went in a reliable 18x built from the early media's fork, and another fork answered
 * with the codec it chose from the same offer (ours to the agent lists every codec of
 * the customer's offer that we carry). Without transcoding the legs must agree, so we
 * offer the customer the agent's codec alone in a re-INVITE of our own (leg_offer_sdp
 * with reoffer_codec: the next o= version, RFC 3264 §8; the PT the customer's offer
 * gave it). It goes once the customer has ACKed our 2xx (RFC 3261 §14.1: no INVITE
 * while one is in progress either way), later (codec_retry) while another offer on the
 * customer's dialog is open (theirs, or ours relaying the agent's), and not at all when
 * the legs agree by then (usually, or a re-INVITE of either side moved one). A codec
 * the customer did not offer cannot be asked of it: the call ends. A late offer's
 * customer offered none, so its answer decides. The answer: leg_req_resp().
 */
static void
a_codec_move(struct hl_sig *s, struct sig_leg *a)
{
	struct sig_call *c = a->call;
	struct sig_leg *b = c != NULL ? c->b : NULL;
	int k;

	if (c == NULL || c->state != CALL_CONNECTED || a->state != LEG_CONFIRMED || b == NULL ||
		b->state != LEG_CONFIRMED || (k = leg_codec_index(b)) < 0 ||
		k == leg_codec_index(a)) {
		a->codec_fix = CODEC_FIX_NONE;
		return;
	}
	if (leg_offer_open(a)) {
		codec_retry(s, a);
		return;
	}
	if (c->a_offer != NULL && a_offer_pt(c, k) < 0) {
		a->codec_fix = CODEC_FIX_NONE;
		sig_count(s, HL_SIG_CTR_FORK_CODEC_FAILED);
		call_end(s, c, 0, HL_CDR_MEDIA_FAILED);
		return;
	}
	a->reoffer_codec = (uint8_t)(k + 1);
	/* Only the codec moves: the direction is the one we last gave the customer. */
	if (leg_send_reinvite(s, a, leg_our_dir(a), NULL) != 0) {
		/* It did not go (no room for it or its transaction). */
		a->reoffer_codec = 0;
		codec_retry(s, a);
		return;
	}
	if (a->codec_fix == CODEC_FIX_DUE)
		sig_count(s, HL_SIG_CTR_FORK_CODEC_REOFFER);
	a->codec_fix = CODEC_FIX_SENT;
}

static void
codec_fire(struct hl_timer *tm, void *arg)
{
	struct sig_leg *a = arg;

	(void)tm;
	if (a->codec_fix == CODEC_FIX_DUE || a->codec_fix == CODEC_FIX_RETRY)
		a_codec_move(a->sig, a);
}

void
sig_leg_noack(struct hl_sig *s, struct sig_txn *t)
{
	struct sig_leg *l = t->leg;

	/* §13.3.1.4: no ACK for our 2xx in 64*T1: BYE, and the other leg too. */
	if (l != NULL && l->call != NULL)
		call_end(s, l->call, 0, HL_CDR_NO_ACK);
}

/* ---- the initial INVITE ---- */

static bool
cps_take(uint64_t now_ms, uint64_t *stamp, uint32_t *tokens, uint32_t rate)
{
	if (rate == 0)
		return true;
	/* A token bucket of one second's worth, refilled continuously. */
	uint64_t add = (now_ms - *stamp) * rate / 1000;
	if (add > 0) {
		uint64_t t = *tokens + add;
		*tokens = (uint32_t)(t > rate ? rate : t);
		*stamp = now_ms;
	}
	if (*tokens == 0)
		return false;
	(*tokens)--;
	return true;
}

static const struct hl_tenant *
call_tenant(struct hl_sig *s, const uint8_t *buf, const struct hl_sip_msg *m)
{
	struct hl_sip_uri u;

	if (s->tenants == NULL || hl_sip_parse_uri(buf, m->ruri, &u) != 0)
		return NULL;
	if (u.user.len) {
		const struct hl_tenant *t = hl_tenants_by_did(s->tenants,
			(const char *)buf + u.user.off, u.user.len);
		if (t != NULL)
			return t;
	}
	return NULL;
}

void
sig_call_invite(struct hl_sig *s, struct sig_txn *t, const uint8_t *buf,
	const struct hl_sip_msg *m, const struct hl_sig_addr *src)
{
	const struct hl_tenant *tn;
	struct sig_tenant *st;
	struct sig_call *c;
	struct sig_leg *a;
	const struct hl_sip_hdr_field *h;
	struct hl_sip_name_addr na;
	struct hl_sip_cseq cs;
	char hdrs[160];
	uint32_t mf = 70;

	sig_count(s, HL_SIG_CTR_CALLS_IN);
	tn = call_tenant(s, buf, m);
	if (tn == NULL) {
		sig_count(s, HL_SIG_CTR_CALLS_NOT_FOUND);
		sig_reply(s, t, buf, m, 404, NULL, NULL, NULL, NULL, NULL, 0);
		sig_cdr_refused(s, t, buf, m, src, NULL, HL_CDR_NO_ROUTE);
		return;
	}
	/* Trunks are known by their source address: the tenant's ACL. */
	if (!hl_tenant_trunk_allows(tn, src->family == 6 ? AF_INET6 : AF_INET, src->ip)) {
		sig_count(s, HL_SIG_CTR_CALLS_FORBIDDEN);
		sig_reply(s, t, buf, m, 403, NULL, NULL, NULL, NULL, NULL, 0);
		sig_cdr_refused(s, t, buf, m, src, tn, HL_CDR_FORBIDDEN);
		return;
	}
	st = sig_tenant_of(s, tn);
	if ((s->cfg->sip_max_calls && s->st.calls >= s->cfg->sip_max_calls) ||
		!cps_take(s->now_ms, &s->cps_stamp_ms, &s->cps_tokens, s->cfg->sip_max_cps) ||
		!cps_take(s->now_ms, &st->cps_stamp_ms, &st->cps_tokens, tn->max_cps)) {
		/* The box or the tenant's call rate is at its limit: come back soon. */
		sig_count(s, HL_SIG_CTR_CALLS_LIMITED);
		sig_reply(s, t, buf, m, 503, NULL, NULL, "Retry-After: 1\r\n", NULL, NULL, 0);
		sig_cdr_refused(s, t, buf, m, src, tn, HL_CDR_OVER_LIMIT);
		return;
	}
	if (tn->max_calls && st->calls >= tn->max_calls) {
		/* The tenant's lines are all in use: busy, as a PBX trunk group is. */
		sig_count(s, HL_SIG_CTR_CALLS_LIMITED);
		sig_reply(s, t, buf, m, 486, NULL, NULL, NULL, NULL, NULL, 0);
		sig_cdr_refused(s, t, buf, m, src, tn, HL_CDR_TENANT_BUSY);
		return;
	}
	/* RFC 4028 §8.1: an interval below our minimum is 422 with Min-SE. */
	h = hl_sip_hdr_first(m, HL_SIP_HDR_SESSION_EXPIRES);
	struct hl_sip_session_expires se = {0};
	if (h != NULL && (hl_sip_parse_session_expires(buf, h->value, &se) < 0 ||
		se.delta < s->cfg->sip_min_se_s)) {
		snprintf(hdrs, sizeof(hdrs), "Min-SE: %u\r\n", s->cfg->sip_min_se_s);
		sig_reply(s, t, buf, m, 422, NULL, NULL, hdrs, NULL, NULL, 0);
		sig_cdr_refused(s, t, buf, m, src, tn, HL_CDR_REJECTED);
		return;
	}
	if (m->body.len) {
		/* RFC 3261 §8.2.3: a body of a type we do not take is 415 (the offer is
		 * SDP, or there is none: a late offer); SDP we cannot read is 488. */
		struct hl_sdp sdp;
		if (body_not_sdp(buf, m)) {
			reply_415(s, t, buf, m);
			sig_cdr_refused(s, t, buf, m, src, tn, HL_CDR_REJECTED);
			return;
		}
		if (hl_sdp_parse(buf, m->body, &sdp) != 0) {
			sig_reply(s, t, buf, m, 488, NULL, NULL, NULL, NULL, NULL, 0);
			sig_cdr_refused(s, t, buf, m, src, tn, HL_CDR_REJECTED);
			return;
		}
	}
	c = sig_alloc(sizeof(*c));
	a = c ? leg_new(s, c, 0) : NULL;
	uint16_t port = a ? ports_alloc(&s->ports) : 0;
	if (c == NULL || a == NULL || port == 0) {
		sig_free(a);
		sig_free(c);
		sig_reply(s, t, buf, m, 503, NULL, NULL, "Retry-After: 1\r\n", NULL, NULL, 0);
		sig_cdr_refused(s, t, buf, m, src, tn, HL_CDR_REJECTED);
		return;
	}
	c->id = ++s->call_seq;
	c->tenant = st;
	c->src = *src;
	c->a = a;
	c->created_ms = s->now_ms;
	c->a_local_port = port;
	c->b_local_port = (uint16_t)(port + 2);
	s->ports.by_block[(port - s->ports.lo) / 4] = c;
	hl_timer_init(&c->t_noanswer, noanswer_fire, c);
	c->next = s->calls;
	if (s->calls)
		s->calls->prev = c;
	s->calls = c;
	s->st.calls++;
	st->calls++;

	/* The A dialog (§12.1.1): their From is our remote party, their To ours. */
	h = hl_sip_hdr_first(m, HL_SIP_HDR_FROM);
	if (sig_copy(buf, hl_sip_hdr_first(m, HL_SIP_HDR_CALL_ID)->value, a->call_id,
		sizeof(a->call_id)) != 0 || hl_sip_parse_name_addr(buf, h->value, &na) <= 0 ||
		sig_copy(buf, na.tag, a->rtag, sizeof(a->rtag)) != 0 ||
		sig_copy(buf, h->value, a->ruri, sizeof(a->ruri)) != 0 ||
		sig_copy(buf, hl_sip_hdr_first(m, HL_SIP_HDR_TO)->value, a->luri, sizeof(a->luri)) != 0) {
		sig_reply(s, t, buf, m, 400, "Header Too Long", NULL, NULL, NULL, NULL, 0);
		c->a_status = 400;
		call_why(s, c, HL_CDR_REJECTED, HL_CDR_BY_HOTLINE);
		call_free(s, c);
		return;
	}
	{
		struct hl_sip_uri fu, ru;
		if (hl_sip_parse_uri(buf, m->ruri, &ru) == 0 && ru.user.len)
			sig_copy(buf, ru.user, c->called, sizeof(c->called));
		if (hl_sip_parse_uri(buf, na.uri, &fu) == 0 && fu.user.len)
			sig_copy(buf, fu.user, c->caller_user, sizeof(c->caller_user));
		if (na.display.len && na.display.len < sizeof(c->caller_display)) {
			sig_copy(buf, na.display, c->caller_display, sizeof(c->caller_display));
			for (char *p = c->caller_display; *p; p++)
				if (*p == '"' || *p == '\\')
					*p = ' ';
		}
	}
	sig_new_tag(s, a->ltag, sizeof(a->ltag));
	hl_sip_parse_cseq(buf, hl_sip_hdr_first(m, HL_SIP_HDR_CSEQ)->value, &cs);
	a->rcseq = cs.seq;
	a->inv_cseq = cs.seq;
	/* RFC 3262 §3: a UAC that supports or requires 100rel gets our 18x reliably;
	 * RSeq starts anywhere in 1 .. 2^31 - 1 (a_send_rel adds one before each). */
	a->rel_req = hl_sip_has_option(buf, m, HL_SIP_HDR_REQUIRE, "100rel");
	a->rel100 = a->rel_req || hl_sip_has_option(buf, m, HL_SIP_HDR_SUPPORTED, "100rel");
	a->rseq = (uint32_t)(sig_rand64(s) % 0x7fffffffu);
	if ((h = hl_sip_hdr_first(m, HL_SIP_HDR_MAX_FORWARDS)) != NULL)
		hl_sip_parse_uint(buf, h->value, &mf);
	a->max_fwd = (uint16_t)(mf > 70 ? 69 : mf - 1);
	h = hl_sip_hdr_first(m, HL_SIP_HDR_CONTACT);
	if (h != NULL && hl_sip_parse_name_addr(buf, h->value, &na) > 0)
		sig_copy(buf, na.uri, a->target, sizeof(a->target));
	/* §12.1.1: the route set is the Record-Route of the request, in order. */
	{
		struct hl_sip_writer w;
		hl_sip_w_init(&w, a->route, sizeof(a->route));
		for (h = hl_sip_hdr_first(m, HL_SIP_HDR_RECORD_ROUTE); h; h = hl_sip_hdr_next(m, h)) {
			if (w.len)
				hl_sip_w_raw(&w, ", ", 2);
			hl_sip_w_raw(&w, buf + h->value.off, h->value.len);
		}
		if (hl_sip_w_finish(&w) < 0 || w.len >= sizeof(a->route))
			w.len = 0;
		a->route[w.len] = '\0';
	}
	/* In-dialog requests go to the first route or the target when it is an
	 * address, else back where the INVITE came from. */
	{
		char first[SIG_URI_MAX];
		const char *dst = a->target;
		if (a->route[0]) {
			struct hl_sip_slice rs = {0, (uint16_t)strlen(a->route)};
			if (hl_sip_parse_name_addr((const uint8_t *)a->route, rs, &na) > 0 &&
				sig_copy((const uint8_t *)a->route, na.uri, first, sizeof(first)) == 0)
				dst = first;
		}
		sig_uri_addr(s, dst, src, &a->peer);
		a->peer.port_index = src->port_index;
		if (a->target[0] == '\0')
			snprintf(a->target, sizeof(a->target), "sip:%s", "invalid");
	}
	if (m->body.len) {
		c->a_offer = sig_dup(buf + m->body.off, m->body.len);
		c->a_offer_len = m->body.len;
		store_sdp(&a->sdp_remote, &a->sdp_remote_len, (const char *)buf + m->body.off,
			m->body.len);
	}
	/* RFC 4028: our interval, the customer's if larger; they refresh when they
	 * can (Supported: timer), else we do. */
	if (s->cfg->sip_session_expires_s || se.delta) {
		a->session_s = se.delta > s->cfg->sip_session_expires_s ? se.delta :
			s->cfg->sip_session_expires_s;
		if (se.delta && se.delta < a->session_s)
			a->session_s = se.delta;
		bool uac_can = hl_sip_has_option(buf, m, HL_SIP_HDR_SUPPORTED, "timer") ||
			hl_sip_has_option(buf, m, HL_SIP_HDR_REQUIRE, "timer");
		a->peer_timer = uac_can;
		if (se.refresher == HL_SIP_REFRESHER_UAS)
			a->we_refresh = 1;
		else if (se.refresher == HL_SIP_REFRESHER_UAC)
			a->we_refresh = 0;
		else
			a->we_refresh = uac_can ? 0 : 1;
	}
	a->rtp_port = port;
	a->state = LEG_EARLY;
	a->inv = t;
	sig_txn_attach(t, a);
	dlg_insert(s, a);
	route_next_agent(s, c);
}

void
sig_call_cancel(struct hl_sig *s, struct sig_txn *inv)
{
	struct sig_leg *a = inv->leg;

	if (a == NULL || a->call == NULL || a->state != LEG_EARLY) {
		sig_reply_stored(s, inv, 487, NULL, NULL, NULL, NULL, NULL, 0);
		return;
	}
	sig_count(s, HL_SIG_CTR_CALLS_CANCELLED);
	/* §9.2: 487 to the INVITE; the agent's leg is cancelled in turn. */
	call_why(s, a->call, HL_CDR_ABANDONED, HL_CDR_BY_CUSTOMER);
	call_end(s, a->call, 487, HL_CDR_ABANDONED);
}

/* ---- requests inside a dialog ---- */

/* ---- key presses: one report whatever carried them; INFO relayed across ---- */

/* What carried a key press to us. */
enum dtmf_src {
	DTMF_SRC_RTP = 0, /* the worker: RFC 4733 telephone-events */
	DTMF_SRC_TONE,    /* the worker: in-band tones its detector heard */
	DTMF_SRC_INFO,    /* an INFO application/dtmf-relay or application/dtmf */
};

/*
 * One key press of either leg, reported once, whatever carried it: its counter
 * (dtmf_rtp, in-band ones dtmf_inband too; dtmf_info), dtmf_events, the last digit and
 * its duration (0: not known) and the last digits of any call, oldest first.
 */
static void
dtmf_report(struct hl_sig *s, char digit, uint32_t duration_ms, enum dtmf_src src)
{
	size_t n = strlen(s->st.last_dtmf_digits);

	if (src == DTMF_SRC_INFO) {
		sig_count(s, HL_SIG_CTR_INFO_DTMF);
	} else {
		sig_count(s, HL_SIG_CTR_DTMF_RTP);
		if (src == DTMF_SRC_TONE)
			sig_count(s, HL_SIG_CTR_DTMF_INBAND);
	}
	s->st.dtmf_events++;
	s->st.last_dtmf = (uint64_t)(unsigned char)digit;
	s->st.last_dtmf_ms = duration_ms;
	if (n + 1 >= sizeof(s->st.last_dtmf_digits)) {
		memmove(s->st.last_dtmf_digits, s->st.last_dtmf_digits + 1, n);
		n--;
	}
	s->st.last_dtmf_digits[n] = digit;
	s->st.last_dtmf_digits[n + 1] = '\0';
}

/* A press is a few dozen bytes: a longer body is not one. */
#define INFO_BODY_MAX 256

static const char *const info_ctype[] = {
	[SIG_INFO_DTMF_RELAY] = "application/dtmf-relay",
	[SIG_INFO_DTMF] = "application/dtmf",
};

static const char info_accept[] = "Accept: application/dtmf-relay, application/dtmf\r\n";

/* The key c names (upper case), 0 when it is not one of 0-9 * # A-D. */
static char
dtmf_key(char c)
{
	if (c >= 'a' && c <= 'd')
		return (char)(c - 'a' + 'A');
	if ((c >= '0' && c <= '9') || c == '*' || c == '#' || (c >= 'A' && c <= 'D'))
		return c;
	return 0;
}

static bool
info_blank(char c)
{
	return c == ' ' || c == '\t';
}

/*
 * The key press an INFO carries, into p. application/dtmf-relay (the convention
 * trunks and phones share, no RFC): lines "Signal=5" and "Duration=160", CRLF or LF,
 * names in any case, blanks around '='; other lines are ignored. application/dtmf: the
 * key alone, blanks and line ends around it. 0; -415 when the Content-Type is neither
 * (or there is none); -400 when it is one of them but the body names no key we know
 * (empty, no Signal, an unknown key, two keys, two Signal lines) or is longer than
 * INFO_BODY_MAX. A Duration that is not a number of ms up to 65535 is left out: the
 * key stands.
 */
static int
info_press(const uint8_t *buf, const struct hl_sip_msg *m, struct sig_info_press *p)
{
	const struct hl_sip_hdr_field *ct = hl_sip_hdr_first(m, HL_SIP_HDR_CONTENT_TYPE);
	const char *b = (const char *)buf + m->body.off;
	size_t len = m->body.len;

	memset(p, 0, sizeof(*p));
	if (ct == NULL)
		return -415;
	if (ctype_is(buf, ct->value, info_ctype[SIG_INFO_DTMF_RELAY]))
		p->ctype = SIG_INFO_DTMF_RELAY;
	else if (ctype_is(buf, ct->value, info_ctype[SIG_INFO_DTMF]))
		p->ctype = SIG_INFO_DTMF;
	else
		return -415;
	if (len == 0 || len > INFO_BODY_MAX)
		return -400;
	if (p->ctype == SIG_INFO_DTMF) {
		size_t i = 0, e = len;
		while (i < e && (info_blank(b[i]) || b[i] == '\r' || b[i] == '\n'))
			i++;
		while (e > i && (info_blank(b[e - 1]) || b[e - 1] == '\r' || b[e - 1] == '\n'))
			e--;
		p->digit = e - i == 1 ? dtmf_key(b[i]) : 0;
		return p->digit ? 0 : -400;
	}
	for (size_t i = 0; i < len;) {
		size_t e = i, k, n, v, ve;

		while (e < len && b[e] != '\r' && b[e] != '\n')
			e++;
		/* the line is b[i, e): name, '=', value, each trimmed */
		k = i;
		while (k < e && info_blank(b[k]))
			k++;
		n = k;
		while (n < e && b[n] != '=' && !info_blank(b[n]))
			n++;
		v = n;
		while (v < e && info_blank(b[v]))
			v++;
		if (v < e && b[v] == '=') {
			v++;
			while (v < e && info_blank(b[v]))
				v++;
			ve = e;
			while (ve > v && info_blank(b[ve - 1]))
				ve--;
			if (n - k == 6 && strncasecmp(b + k, "signal", 6) == 0) {
				if (p->digit != 0 || ve - v != 1 ||
					(p->digit = dtmf_key(b[v])) == 0)
					return -400;
			} else if (n - k == 8 && strncasecmp(b + k, "duration", 8) == 0) {
				uint32_t ms = 0;
				size_t d = v;
				while (d < ve && d - v < 6 && b[d] >= '0' && b[d] <= '9')
					ms = ms * 10 + (uint32_t)(b[d++] - '0');
				p->duration_ms =
					d == ve && d > v && ms <= UINT16_MAX ? (uint16_t)ms : 0;
			}
		}
		i = e;
		while (i < len && (b[i] == '\r' || b[i] == '\n'))
			i++;
	}
	return p->digit ? 0 : -400;
}

static void info_resp(struct hl_sig *s, struct sig_txn *t, const uint8_t *buf,
	const struct hl_sip_msg *m, int status);

/*
 * Sends press p to leg l as an INFO in l's dialog, the Content-Type it came with and
 * its body rewritten ("Signal=5\r\nDuration=160\r\n", Duration only when it had one;
 * or "5"), in a client transaction of its own (Timer E retransmits it, Timer F gives up
 * at 64*T1: info_resp() sees a 408). 0, or -1 when it could not go (counted failed).
 */
static int
info_send(struct hl_sig *s, struct sig_leg *l, const struct sig_info_press *p)
{
	struct hl_sip_writer w;
	char branch[SIG_BRANCH_MAX], body[48];
	struct sig_txn *t = NULL;
	int blen, n;

	if (p->ctype == SIG_INFO_DTMF)
		blen = snprintf(body, sizeof(body), "%c", p->digit);
	else if (p->duration_ms)
		blen = snprintf(body, sizeof(body), "Signal=%c\r\nDuration=%u\r\n", p->digit,
			p->duration_ms);
	else
		blen = snprintf(body, sizeof(body), "Signal=%c\r\n", p->digit);
	sig_new_branch(s, branch, sizeof(branch));
	hl_sip_w_init(&w, s->out, sizeof(s->out));
	w_in_dialog(s, &w, l, NULL, "INFO", ++l->lcseq, branch);
	hl_sip_w_body(&w, info_ctype[p->ctype], body, (size_t)blen);
	n = hl_sip_w_finish(&w);
	if (n > 0)
		t = sig_txn_client(s, HL_SIP_METHOD_INFO, branch, &l->peer, s->out, (size_t)n, l,
			info_resp);
	if (t == NULL) {
		sig_count(s, HL_SIG_CTR_INFO_DTMF_FAILED);
		return -1;
	}
	t->cseq = l->lcseq;
	l->info = t;
	return 0;
}

/* The presses queued for l, oldest first, while none is in flight (bounded: the queue). */
static void
info_send_next(struct hl_sig *s, struct sig_leg *l)
{
	while (l->info == NULL && l->info_qlen > 0) {
		struct sig_info_press p = l->info_q[l->info_qhead];

		l->info_qhead = (uint8_t)((l->info_qhead + 1) % SIG_INFO_QUEUE);
		l->info_qlen--;
		(void)info_send(s, l, &p);
	}
}

/* Presses queued for l that will not go now (its dialog or call is ending). */
static void
info_queue_drop(struct hl_sig *s, struct sig_leg *l)
{
	s->st.ctr[HL_SIG_CTR_INFO_DTMF_DROPPED] += l->info_qlen;
	l->info_qlen = 0;
	l->info_qhead = 0;
}

/*
 * The final response to an INFO we relayed on leg t->leg (408: Timer F). A 2xx counts
 * it relayed; anything else (481, 408, 5xx) failed, and loses the press, not the call:
 * unlike a re-INVITE's or a refresh's (leg_req_resp()), an INFO's answer says nothing
 * of the session, and the session's own requests find a dialog that is gone. Then the
 * next press queued goes, while the call is up.
 */
static void
info_resp(struct hl_sig *s, struct sig_txn *t, const uint8_t *buf, const struct hl_sip_msg *m,
	int status)
{
	struct sig_leg *l = t->leg;

	(void)buf;
	(void)m;
	if (status < 200)
		return;
	if (l->info == t)
		l->info = NULL;
	sig_count(s, status < 300 ? HL_SIG_CTR_INFO_DTMF_RELAYED : HL_SIG_CTR_INFO_DTMF_FAILED);
	if (l->call == NULL || l->call->state != CALL_CONNECTED || l->state != LEG_CONFIRMED) {
		info_queue_drop(s, l);
		return;
	}
	info_send_next(s, l);
}

/*
 * Press p for leg l: sent now, or queued behind the INFO in flight. One INFO at a time
 * in a dialog: RFC 6086 gives INFO requests no order of their own, and a retransmission
 * of one arriving after the next has a lower CSeq, which a UAS refuses (RFC 3261
 * §12.2.2, 500); the keys must arrive in the order pressed. SIG_INFO_QUEUE wait at
 * most (a queue that long is a peer that does not answer); more are dropped, counted.
 */
static void
info_relay(struct hl_sig *s, struct sig_leg *l, const struct sig_info_press *p)
{
	if (l->info_qlen >= SIG_INFO_QUEUE) {
		sig_count(s, HL_SIG_CTR_INFO_DTMF_DROPPED);
		return;
	}
	l->info_q[(l->info_qhead + l->info_qlen) % SIG_INFO_QUEUE] = *p;
	l->info_qlen++;
	info_send_next(s, l);
}

/*
 * Press p, from INFO on leg l, for peer as RFC 4733 events when the two disagree: peer
 * negotiated telephone-event and l did not. A side that takes events may well not take
 * INFO (many trunks refuse or drop it), and one that negotiated them takes them. Where
 * both negotiated them, the sender chose INFO with the events at hand and its peer is
 * left as it was: INFO relayed (a sender keying both ways would otherwise have its
 * press sent twice, its own events relayed besides ours). That is the tenant's
 * dtmf_info = auto; rfc4733 converts whenever peer negotiated telephone-event (agent
 * phones that offer it and key by INFO alone, trunks that drop INFO), info never does.
 * The peer's worker sends the events in its outgoing stream (hl_media_dtmf(),
 * dtmf_to_rtp). True when the worker has it; false (no media, its command ring full)
 * leaves the press to INFO.
 */
static bool
info_to_rtp(struct hl_sig *s, const struct sig_leg *l, struct sig_leg *peer,
	const struct sig_info_press *p)
{
	unsigned int mode = l->call != NULL && l->call->tenant != NULL ?
		l->call->tenant->cfg->dtmf_info : HL_TENANT_DTMF_INFO_AUTO;

	if (mode == HL_TENANT_DTMF_INFO_INFO ||
		(mode == HL_TENANT_DTMF_INFO_AUTO && l->media_ready && l->media.te_pt >= 0) ||
		peer->media.te_pt < 0 || !peer->media_sent || s->ops.media_dtmf == NULL)
		return false;
	if (s->ops.media_dtmf(s->ops.ctx, peer->media.port_index, peer->media.local_port, p->digit,
		    p->duration_ms) != 0)
		return false;
	sig_count(s, HL_SIG_CTR_DTMF_TO_RTP);
	return true;
}

/*
 * INFO on leg l (RFC 6086 legacy usage, no Info-Package): a key press answered 200 at
 * once (the sender does not wait for the peer), reported as a press from the media is
 * (dtmf_report()), then, when both are connected, sent to the peer as RFC 4733 events
 * when it negotiated telephone-event and l did not, or as the tenant's dtmf_info says
 * (info_to_rtp()), else relayed to its dialog,
 * unless the PCI rule keeps it from the agent (leg_dtmf_suppressed(), info_dtmf_suppressed).
 * Before the call is connected (ringing, IVR, queue) the press is control's alone. A
 * body that is no press is refused and leaves nothing: 415 for another Content-Type,
 * 400 for a DTMF one that names no key, both with Accept (RFC 3261 §21.4.13).
 */
static void
info_request(struct hl_sig *s, struct sig_leg *l, struct sig_txn *t, const uint8_t *buf,
	const struct hl_sip_msg *m)
{
	struct sig_call *c = l->call;
	struct sig_leg *peer = l->side == 0 ? c->b : c->a;
	struct sig_info_press p;
	int rc = info_press(buf, m, &p);

	if (rc != 0) {
		sig_count(s, HL_SIG_CTR_INFO_REFUSED);
		sig_reply(s, t, buf, m, -rc, rc == -400 ? "Bad DTMF Body" : NULL, NULL, info_accept,
			NULL, NULL, 0);
		return;
	}
	sig_reply(s, t, buf, m, 200, NULL, NULL, NULL, NULL, NULL, 0);
	dtmf_report(s, p.digit, p.duration_ms, DTMF_SRC_INFO);
	c->info_dtmf[l->side]++;
	if (c->state != CALL_CONNECTED || l->state != LEG_CONFIRMED || peer == NULL ||
		peer->state != LEG_CONFIRMED)
		return;
	if (leg_dtmf_suppressed(c, l)) {
		sig_count(s, HL_SIG_CTR_INFO_DTMF_SUPPRESSED);
		return;
	}
	if (info_to_rtp(s, l, peer, &p))
		return;
	info_relay(s, peer, &p);
}

/* The clock of a leg's telephone-event durations, as the worker takes it. */
static uint32_t
te_rate(const struct hl_media_leg *m)
{
	return m->te_clock ? m->te_clock : m->clock_rate ? m->clock_rate : 8000;
}

/*
 * A press the worker reported from the telephone-events of a leg of call c, when the
 * other leg negotiated none: the worker drops such events rather than relay them with a
 * PT the peer never agreed to, so it goes to the peer's dialog as INFO (dtmf_to_info),
 * application/dtmf-relay with its duration, through info_relay() (one at a time,
 * retransmitted, a 481 or 408 loses the press and not the call). The worker reports a
 * press once, at its end: one INFO a press. Not before the call is connected, not from
 * a PCI leg (leg_dtmf_suppressed(): its keys never reach the agent), not flash (no
 * INFO key), and not for tones heard in the audio: the audio is relayed, tones and all,
 * so the peer has those already. A peer whose events run at another clock than the
 * leg's (Opus with telephone-event/48000 on one side, /8000 on the other) is not
 * relayed them either, their durations being in the sender's units: it gets the press
 * as events of its own clock from its worker (hl_media_dtmf(), dtmf_rate_converted),
 * or as INFO when the worker cannot take it.
 */
static void
dtmf_to_info(struct hl_sig *s, struct sig_call *c, const struct hl_media_event *ev)
{
	struct sig_leg *x = ev->side == 0 ? c->a : c->b, *peer = ev->side == 0 ? c->b : c->a;
	struct sig_info_press p = {
		.digit = dtmf_key(ev->digit),
		.ctype = SIG_INFO_DTMF_RELAY,
		.duration_ms =
			ev->duration_ms > UINT16_MAX ? UINT16_MAX : (uint16_t)ev->duration_ms,
	};

	if (ev->how == HL_DTMF_END_TONE || p.digit == 0 || x == NULL ||
		x->media.local_port != ev->local_port || c->state != CALL_CONNECTED ||
		x->state != LEG_CONFIRMED || peer == NULL || peer->state != LEG_CONFIRMED ||
		leg_dtmf_suppressed(c, x))
		return;
	if (peer->media.te_pt >= 0) {
		if (te_rate(&peer->media) == te_rate(&x->media))
			return; /* the worker relayed it */
		if (peer->media_sent && s->ops.media_dtmf != NULL &&
			s->ops.media_dtmf(s->ops.ctx, peer->media.port_index,
				peer->media.local_port, p.digit, p.duration_ms) == 0) {
			sig_count(s, HL_SIG_CTR_DTMF_RATE_CONVERTED);
			return;
		}
	}
	sig_count(s, HL_SIG_CTR_DTMF_TO_INFO);
	info_relay(s, peer, &p);
}

static enum hl_sdp_dir
offer_dir(const uint8_t *buf, struct hl_sip_slice body)
{
	struct hl_sdp sdp;

	if (hl_sdp_parse(buf, body, &sdp) != 0 || sdp.nmedia == 0)
		return HL_SDP_DIR_SENDRECV;
	enum hl_sdp_dir d = hl_sdp_media_dir(&sdp, 0);
	/* On hold, a zero address also counts (RFC 2543 style, still sent by trunks). */
	const struct hl_sdp_conn *cn = hl_sdp_media_conn(&sdp, 0);
	if (cn->addr.len == 7 && memcmp(buf + cn->addr.off, "0.0.0.0", 7) == 0)
		d = HL_SDP_DIR_SENDONLY;
	return d;
}

/* l's direction for the peer waits (dir_due): looked at again in 200 to 400 ms. */
static void
dir_retry(struct hl_sig *s, struct sig_leg *l)
{
	hl_timer_arm(s->wheel, &l->t_dir, 200 + sig_rand64(s) % 201);
}

/*
 * l's remote took direction d in its answer in an ACK (offer_dir()): on hold or not,
 * at once, as an answer is final; what they will do is what we offer the peer to do,
 * in a re-INVITE of ours that answers nothing (an ACK is not answered). An offer's
 * direction moves l only with the answer to it (relay_answered). While an offer is
 * open on the peer's dialog (leg_offer_open(): a refresh or a relay of ours, theirs,
 * our 2xx offer waiting for its ACK) RFC 3261 §14.1 and RFC 3264 §4 let no second one
 * go, and an ACK cannot be refused: the direction waits in l->dir_due, counted in
 * hold_relay_deferred, for that offer to end (leg_dir_due()).
 */
static void
leg_relay_dir(struct hl_sig *s, struct sig_leg *l, struct sig_leg *peer, enum hl_sdp_dir d)
{
	l->hold = d == HL_SDP_DIR_SENDONLY || d == HL_SDP_DIR_INACTIVE;
	if (d == HL_SDP_DIR_NONE)
		d = HL_SDP_DIR_SENDRECV;
	if (leg_offer_open(peer)) {
		l->dir_due = (uint8_t)d;
		sig_count(s, HL_SIG_CTR_HOLD_RELAY_DEFERRED);
		dir_retry(s, l);
		return;
	}
	l->dir_due = HL_SDP_DIR_NONE;
	if (leg_send_reinvite(s, peer, d, NULL) != 0) {
		/* It could not go (reinvites_not_sent): it waits as for an open offer. */
		l->dir_due = (uint8_t)d;
		dir_retry(s, l);
	}
}

/*
 * The direction l's ACK took (leg_relay_dir) goes to the peer once no offer is open on
 * the peer's dialog. Not at all when the call or either dialog is no longer up, when
 * the peer has put the call on hold meanwhile (an ACK's answer is not relayed then
 * either), or when our last SDP to the peer says it already (an offer of l's relayed
 * since, or a hold and its resume both waiting).
 */
static void
leg_dir_due(struct hl_sig *s, struct sig_leg *l)
{
	struct sig_call *c = l->call;
	struct sig_leg *peer = c == NULL ? NULL : l->side == 0 ? c->b : c->a;
	enum hl_sdp_dir d = (enum hl_sdp_dir)l->dir_due;

	if (d == HL_SDP_DIR_NONE)
		return;
	if (c == NULL || c->state != CALL_CONNECTED || l->state != LEG_CONFIRMED ||
		peer == NULL || peer->state != LEG_CONFIRMED || peer->hold) {
		l->dir_due = HL_SDP_DIR_NONE;
		return;
	}
	if (leg_offer_open(peer)) {
		dir_retry(s, l);
		return;
	}
	l->dir_due = HL_SDP_DIR_NONE;
	if (d != leg_our_dir(peer) && leg_send_reinvite(s, peer, d, NULL) != 0) {
		l->dir_due = (uint8_t)d;
		dir_retry(s, l);
	}
}

static void
dir_fire(struct hl_timer *tm, void *arg)
{
	struct sig_leg *l = arg;

	(void)tm;
	leg_dir_due(l->sig, l);
}

/* SDP x and y alike but for their o= lines: RFC 3264 §8 moves the version of our SDP
 * only when the SDP changes, so an answer like our last keeps its version. */
static bool
sdp_same_but_origin(const char *x, size_t xlen, const char *y, size_t ylen)
{
	const char *xo = memmem(x, xlen, "\r\no=", 4), *yo = memmem(y, ylen, "\r\no=", 4);
	const char *xe, *ye;

	if (xo == NULL || yo == NULL)
		return false;
	xe = memmem(xo + 2, xlen - (size_t)(xo + 2 - x), "\r\n", 2);
	ye = memmem(yo + 2, ylen - (size_t)(yo + 2 - y), "\r\n", 2);
	if (xe == NULL || ye == NULL || xo - x != yo - y || memcmp(x, y, (size_t)(xo - x)) != 0)
		return false;
	return xlen - (size_t)(xe - x) == ylen - (size_t)(ye - y) &&
	       memcmp(xe, ye, xlen - (size_t)(xe - x)) == 0;
}

/* l's peer leg is there (ringing, or confirmed): l keeps the codec the call runs,
 * since the legs relay one codec and never transcode. None yet, or one gone: the
 * codec is l's alone to change. */
static bool
leg_peer_live(const struct sig_leg *peer)
{
	return peer != NULL && peer->state >= LEG_EARLY && peer->state <= LEG_CONFIRMED;
}

/*
 * leg_answer_here() once the answer is built: out (length n) and neg, from
 * leg_answer_sdp() on l with k, offer and the SDP version v it found. Built again
 * only when it came out as our last SDP but for o=, to keep that version.
 */
static int
leg_answer_take(struct hl_sig *s, struct sig_leg *l, int k, const uint8_t *buf,
	struct hl_sip_slice body, const struct hl_sdp *offer, struct hl_sdp_negotiated *neg,
	uint32_t v, char *out, size_t cap, int n)
{
	struct hl_media_leg was;
	enum hl_sdp_dir d = offer_dir(buf, body);

	if (l->sdp_local != NULL &&
		sdp_same_but_origin(out, (size_t)n, l->sdp_local, l->sdp_local_len)) {
		/* The same answer as before: the same version. Our key, if any, is the one
		 * in use or the one kept in srtp_next, so the SDP comes out the same. */
		l->sdp_version = v - 1;
		n = leg_answer_sdp(s, l, l, k, buf, offer, out, cap, neg);
		if (n < 0) {
			l->sdp_version = v;
			return -1;
		}
	}
	was = l->media;
	for (unsigned int i = 0; i < neg->nstreams; i++) {
		if (!neg->s[i].accepted)
			continue;
		if (media_from_neg(s, l->call, l, buf, &offer->media[i], &neg->s[i],
			    hl_sdp_media_dir(offer, i)) != 0) {
			/* No route to its new address: nothing moves. */
			l->media = was;
			explicit_bzero(&was, sizeof(was));
			hl_srtp_key_wipe(&l->srtp_next);
			l->sdp_version = v;
			return -1;
		}
		break;
	}
	l->hold = d == HL_SDP_DIR_SENDONLY || d == HL_SDP_DIR_INACTIVE;
	store_sdp(&l->sdp_remote, &l->sdp_remote_len, (const char *)buf + body.off, body.len);
	store_sdp(&l->sdp_local, &l->sdp_local_len, out, (size_t)n);
	if (l->media_ready && (l->srtp_rekey || !l->media_sent || !media_same(&was, &l->media)))
		media_push(s, l->call);
	explicit_bzero(&was, sizeof(was));
	return n;
}

/*
 * An offer on l (offer, parsed from body in buf: a re-INVITE's or an UPDATE's) that
 * is ours alone to answer: a new address, port or payload type, or any change while
 * l has no confirmed peer dialog to offer it on to (the agent still ringing, none
 * yet, the customer's 2xx still waiting for its PRACK), so that prompts, music and
 * early media keep reaching the remote where it now is. RFC 3264 §8: our answer at
 * our address and l's port, with the codec l runs (k < 0) or our_codecs[k], the next
 * o= version only when our SDP changes; l takes the offer's remote, direction and
 * keys, and the worker gets the leg before the remote hears the answer (media_push).
 * Length of the answer in out; or -1 when it cannot be answered (no codec of ours,
 * no stream, no route to the new address), with l as it was: the caller refuses 488.
 */
static int
leg_answer_here(struct hl_sig *s, struct sig_leg *l, int k, const uint8_t *buf,
	struct hl_sip_slice body, const struct hl_sdp *offer, char *out, size_t cap)
{
	struct hl_sdp_negotiated neg;
	uint32_t v = l->sdp_version;
	int n = leg_answer_sdp(s, l, l, k, buf, offer, out, cap, &neg);

	if (n < 0)
		return -1;
	return leg_answer_take(s, l, k, buf, body, offer, &neg, v, out, cap, n);
}

static void
reinvite_request(struct hl_sig *s, struct sig_leg *l, struct sig_txn *t, const uint8_t *buf,
	const struct hl_sip_msg *m)
{
	struct sig_call *c = l->call;
	struct sig_leg *peer = l->side == 0 ? c->b : c->a;
	struct hl_sip_slice body = sdp_body(buf, m);
	struct hl_sdp offer;
	enum hl_sdp_dir d;
	char hdrs[320];

	sig_count(s, HL_SIG_CTR_REINVITES);
	/* A confirmed leg of a call still routing (the customer answered, in the IVR or
	 * the queue) takes its re-INVITE like any other: answered here, below. */
	if (l->state != LEG_CONFIRMED || c->state == CALL_ENDING) {
		sig_reply(s, t, buf, m, 491, NULL, NULL, NULL, NULL, NULL, 0);
		return;
	}
	if (l->upd != NULL) {
		/* Their UPDATE's offer waits for the peer's answer (RFC 3311 §5.2, as
		 * RFC 3261 §14.2 has it for a second INVITE): 500, Retry-After. */
		reply_retry(s, t, buf, m);
		return;
	}
	/* Their last re-INVITE, refused (a non-2xx final sent), is over but for its ACK:
	 * its transaction stays till Timer I or H, longer than §14.1 has the sender of
	 * a 491's offer wait to retry (2.1-4 s), and must not turn that retry away. */
	if (l->inv != NULL && l->inv->server &&
		(l->inv->state == TXN_COMPLETED || l->inv->state == TXN_CONFIRMED))
		l->inv = NULL;
	/* Our INVITE on the agent's leg, answered: its 2xx came and has our ACK
	 * (b_invite_resp), and the transaction stays Accepted for Timer M only to ACK
	 * that 2xx again when it is retransmitted (RFC 6026 §8.4, RFC 3261 §13.2.2.4).
	 * Its offer is answered, so a re-INVITE of the agent's now (a hold right after
	 * answering) crosses nothing of ours: no glare (§14.2). The transaction keeps
	 * its re-ACKs and, at its end, the early dialogs' (sig_txn_detach). */
	if (l->inv != NULL && !l->inv->server && l->inv->state == TXN_ACCEPTED)
		l->inv = NULL;
	if (l->inv != NULL || (peer != NULL && peer->inv_peer_req != NULL) || leg_offer_ours(l)) {
		/* §14.2: one INVITE at a time per dialog, and ours crossed theirs. */
		sig_reply(s, t, buf, m, 491, NULL, NULL, NULL, NULL, NULL, 0);
		return;
	}
	/* Refused before anything moves: a body that is not SDP (§8.2.3), SDP that
	 * does not parse (RFC 3264 §8: the session stays as it was). */
	if (body_not_sdp(buf, m)) {
		reply_415(s, t, buf, m);
		return;
	}
	if (body.len != 0 && hl_sdp_parse(buf, body, &offer) != 0) {
		sig_reply(s, t, buf, m, 488, NULL, NULL, NULL, NULL, NULL, 0);
		return;
	}
	/* sig.c stored the request already; this copy replaces it. */
	sig_free(t->req);
	t->req = sig_dup(buf, m->head_len + m->body.len);
	t->req_len = (uint16_t)(m->head_len + m->body.len);
	if (t->req == NULL) {
		/* Our answer would have nothing to be built from (relay_answered). */
		reply_retry(s, t, buf, m);
		return;
	}
	l->inv = t;
	sig_txn_attach(t, l);
	/* A refresh (RFC 4028) restarts the clock. */
	session_refreshed(s, l);
	dialog_2xx_hdrs(s, l, hdrs, sizeof(hdrs));
	l->ack_answer = 0;
	if (m->body.len == 0 && l->media_ready) {
		/*
		 * No SDP (a delayed offer: some PBXs after a transfer, or as a refresh): RFC
		 * 3261 §14.2 and RFC 3264 §5 make our 2xx the offer and the ACK the answer
		 * (leg_ack_answer). We anchor the media, so it is ours for this leg alone,
		 * the peer is not asked: what the leg runs, with the version of our last SDP
		 * if nothing differs. Its direction restates ours: while the peer holds,
		 * the one we last gave l (leg_our_dir(): sendonly, or inactive for a hold
		 * made inactive), else sendrecv, so that a leg holding by itself (our
		 * recvonly answer) may resume in its answer (RFC 6337 §5.3).
		 */
		char sdp[2048];
		enum hl_sdp_dir od = HL_SDP_DIR_SENDRECV;
		if (peer != NULL && peer->hold) {
			od = leg_our_dir(l);
			if (od != HL_SDP_DIR_INACTIVE)
				od = HL_SDP_DIR_SENDONLY;
		}
		int n = leg_offer_sdp(s, l, od, 0, sdp, sizeof(sdp));
		if (n > 0) {
			store_sdp(&l->sdp_local, &l->sdp_local_len, sdp, (size_t)n);
			sig_reply(s, t, buf, m, 200, NULL, NULL, hdrs, "application/sdp", sdp,
				(size_t)n);
			l->ack_answer = l->inv == t;
		} else {
			leg_srtp_offer_wipe(l);
			sig_reply(s, t, buf, m, 500, NULL, NULL, "Retry-After: 1\r\n", NULL, NULL,
				0);
		}
		return;
	}
	/* The same session version is a refresh: answer it here with what we sent. */
	bool changed = m->body.len != 0 &&
		(l->sdp_remote == NULL || l->sdp_remote_len != m->body.len ||
			memcmp(l->sdp_remote, buf + m->body.off, m->body.len) != 0);
	if (!changed) {
		sig_reply(s, t, buf, m, 200, NULL, NULL, hdrs, l->sdp_local ? "application/sdp" : NULL,
			l->sdp_local, l->sdp_local ? l->sdp_local_len : 0);
		return;
	}
	if (c->state != CALL_CONNECTED || peer == NULL || peer->state != LEG_CONFIRMED) {
		/*
		 * No confirmed peer dialog to offer it on to (the customer in the IVR or
		 * the queue, the agent still ringing; the agent's leg while the customer's
		 * 2xx waits for its PRACK): the offer is ours to answer (leg_answer_here),
		 * so the leg moves where the remote now is, on hold or not. A new codec
		 * of those offered is fine while no peer leg is there; one that is keeps
		 * the codec the call runs, which must then still be offered. What we
		 * cannot answer is refused with 488 and changes nothing. A peer leg
		 * confirmed later gets the worker's legs as they are then (media_push).
		 */
		char sdp[2048];
		int newk = offer_new_codec(l, buf, &offer), n = -1;
		if (offer.nmedia != 0 && (newk == 0 || !leg_peer_live(peer)))
			n = leg_answer_here(s, l, newk - 1, buf, body, &offer, sdp, sizeof(sdp));
		if (n < 0) {
			sig_reply(s, t, buf, m, 488, NULL, NULL, NULL, NULL, NULL, 0);
			return;
		}
		sig_reply(s, t, buf, m, 200, NULL, NULL, hdrs, "application/sdp", sdp, (size_t)n);
		return;
	}
	if (leg_offer_open(peer)) {
		/* An offer is open on the peer's dialog (a refresh or a relay of ours, the
		 * customer's move to the codec of the fork that answered, our 2xx, offer
		 * or answer, still waiting for its ACK: the customer's right after the
		 * agent answered): §14.1 lets no second INVITE go, as for an UPDATE
		 * (update_request). */
		sig_count(s, HL_SIG_CTR_OFFER_RELAY_RETRY);
		reply_retry(s, t, buf, m);
		return;
	}
	/*
	 * A media change (hold, resume, codec): offered on to the peer, whose answer
	 * makes ours (relay_answered). Only that 2xx moves l (its media, hold and
	 * remote SDP): RFC 3264 §8 and RFC 3261 §14.1 leave the session as it was when
	 * the offer fails, so the peer's refusal (488, 491, ...), relayed as it is,
	 * changes nothing, and the same offer again is no refresh.
	 */
	peer->reoffer_codec = (uint8_t)offer_new_codec(l, buf, &offer);
	d = offer_dir(buf, body);
	if (leg_send_reinvite(s, peer, d == HL_SDP_DIR_NONE ? HL_SDP_DIR_SENDRECV : d, t) != 0) {
		/* It did not go (no room for it or its transaction); leg_send_reinvite()
		 * answered t 500 with Retry-After. */
		peer->reoffer_codec = 0;
		return;
	}
	/* This offer states l's direction: one an ACK took before is not due anymore. */
	l->dir_due = HL_SDP_DIR_NONE;
}

/* Refuses the offer of an UPDATE with code (491, 488, 415, 500 with Retry-After). */
static void
update_refuse(struct hl_sig *s, struct sig_txn *t, const uint8_t *buf, const struct hl_sip_msg *m,
	int code)
{
	sig_count(s, HL_SIG_CTR_UPDATE_REFUSED);
	if (code == 500)
		reply_retry(s, t, buf, m);
	else if (code == 415)
		reply_415(s, t, buf, m);
	else
		sig_reply(s, t, buf, m, code, NULL, NULL, NULL, NULL, NULL, 0);
}

/*
 * Whether the early dialog of l (on the agent's leg: e, the fork the UPDATE came in)
 * has completed an offer/answer, so that an UPDATE may offer in it (RFC 3311 §5.1):
 * on the customer's leg, once the reliable 1xx that carried our SDP (answer or offer)
 * was PRACKed (EARLY_SDP_DONE, with the answer to a late offer in that PRACK); on the
 * agent's, once its reliable 1xx answered our offer, and only in the early dialog
 * (fork) whose SDP the leg's media follows: another fork's UPDATE would move media
 * nobody hears. Else the code for an UPDATE offer
 * (§5.2): 491 while an offer of ours waits for its answer (the agent's INVITE, a late
 * offer's reliable 1xx, or one still to come), 500 with Retry-After while the
 * customer's offer waits for our answer or its PRACK.
 */
static int
early_offer_done(const struct sig_leg *l, const struct sig_early *e)
{
	if (l->side == 1) {
		/* Forked: only the early dialog the leg's media follows may move it. */
		if (e == NULL || !b_media_rel(l) || l->early[l->early_media - 1] != e ||
			!l->media_ready)
			return 491;
		return 0;
	}
	if (l->early_sdp == EARLY_SDP_DONE)
		return 0;
	return l->call->a_offer == NULL ? 491 : 500;
}

/*
 * UPDATE (RFC 3311) in a dialog, confirmed or early (on the agent's leg before its 2xx:
 * early dialog e, b_dialog_of() in sig_call_in_dialog()). Without a body it is a session
 * refresh (RFC 4028 §7) and gets 200, unless an UPDATE of theirs still waits for our
 * final (§5.2: 500 with Retry-After, with a body or without). With SDP it is an offer,
 * handled as a re-INVITE's (reinvite_request) but answered in the UPDATE's own 2xx, as
 * it has no ACK:
 *
 * - refused first, changing nothing: 491 while an offer of ours on this dialog waits
 *   for its answer, 500 with Retry-After while one of theirs (an earlier UPDATE or a
 *   re-INVITE) waits for ours (§5.2); in an early dialog before an offer/answer
 *   completed, the same (early_offer_done); 415 for a body that is not SDP; 488 for
 *   SDP we cannot parse or answer (no stream left, no codec of ours, a new codec
 *   while the peer's leg is early, SRTP against the leg's);
 * - the same SDP as the last one received is a refresh, answered with ours;
 * - a hold or resume, or a new codec (offer_new_codec), on a confirmed call is
 *   offered on to the peer as a re-INVITE of ours, and the peer's answer makes ours
 *   (relay_answered), which is when the offer moves l; the UPDATE waits in l->upd
 *   meanwhile, since a non-INVITE has no 1xx that matters (§5.2 asks for a prompt
 *   answer; the peer's re-INVITE is as prompt as we can be);
 * - any other change (address, port, payload types, keys, a hold in an early dialog)
 *   is ours alone to take, since we anchor the media: answered here, and the worker
 *   gets the leg (media_push) before the remote hears the answer.
 *
 * Either way a 2xx refreshes the session timer (RFC 4028 §7: UPDATE may refresh).
 */
static void
update_request(struct hl_sig *s, struct sig_leg *l, const struct sig_early *e, struct sig_txn *t,
	const uint8_t *buf, const struct hl_sip_msg *m)
{
	struct sig_call *c = l->call;
	struct sig_leg *peer = l->side == 0 ? c->b : c->a;
	struct hl_sdp offer;
	struct hl_sdp_negotiated neg;
	char hdrs[320], sdp[2048];
	int n, code;

	if (m->body.len != 0)
		sig_count(s, HL_SIG_CTR_UPDATE_OFFERS_IN);
	if (l->upd != NULL) {
		/* §5.2: an UPDATE before our final to the previous one: 500, Retry-After. */
		if (m->body.len != 0)
			update_refuse(s, t, buf, m, 500);
		else
			reply_retry(s, t, buf, m);
		return;
	}
	if (m->body.len == 0) {
		session_refreshed(s, l);
		sig_count(s, HL_SIG_CTR_SESSION_REFRESH);
		hdrs[0] = '\0';
		if (l->session_s)
			snprintf(hdrs, sizeof(hdrs), "Session-Expires: %u;refresher=%s\r\n",
				l->session_s, l->we_refresh ? "uas" : "uac");
		sig_reply(s, t, buf, m, 200, NULL, NULL, hdrs, NULL, NULL, 0);
		return;
	}
	if (l->state == LEG_EARLY && c->state != CALL_ENDING)
		code = early_offer_done(l, e);
	else if (l->state != LEG_CONFIRMED || c->state != CALL_CONNECTED)
		code = 491;
	else
		code = 0;
	if (code == 0 && leg_offer_ours(l))
		code = 491;
	if (code == 0 && leg_offer_theirs(l))
		code = 500;
	if (code != 0) {
		update_refuse(s, t, buf, m, code);
		return;
	}
	if (body_not_sdp(buf, m)) {
		update_refuse(s, t, buf, m, 415);
		return;
	}
	if (hl_sdp_parse(buf, m->body, &offer) != 0 || offer.nmedia == 0) {
		update_refuse(s, t, buf, m, 488);
		return;
	}
	dialog_2xx_hdrs(s, l, hdrs, sizeof(hdrs));
	if (l->sdp_remote != NULL && l->sdp_remote_len == m->body.len &&
		memcmp(l->sdp_remote, buf + m->body.off, m->body.len) == 0) {
		/* RFC 3264 §8: nothing changed; our SDP as it is. */
		session_refreshed(s, l);
		sig_count(s, HL_SIG_CTR_SESSION_REFRESH);
		sig_reply(s, t, buf, m, 200, NULL, NULL, hdrs,
			l->sdp_local ? "application/sdp" : NULL, l->sdp_local,
			l->sdp_local ? l->sdp_local_len : 0);
		return;
	}
	enum hl_sdp_dir d = offer_dir(buf, m->body);
	bool hold = d == HL_SDP_DIR_SENDONLY || d == HL_SDP_DIR_INACTIVE;
	bool peer_up = l->state == LEG_CONFIRMED && peer != NULL && peer->state == LEG_CONFIRMED;
	int newk = offer_new_codec(l, buf, &offer);
	uint32_t v = l->sdp_version;
	/* Answered here first, even when the peer decides: an offer we could not answer
	 * is refused before anything moves. A new codec needs the peer (not there yet in
	 * an early dialog: 488 then). */
	n = newk != 0 && !peer_up && leg_peer_live(peer) ? -1 :
		leg_answer_sdp(s, l, l, newk - 1, buf, &offer, sdp, sizeof(sdp), &neg);
	if (n < 0) {
		update_refuse(s, t, buf, m, 488);
		return;
	}
	if (peer_up && (hold != (bool)l->hold || newk != 0)) {
		/* The peer must hear of a hold or resume, or move codec with us: the
		 * answer is its. The version taken above goes back, so the answer we
		 * send is the next one. */
		hl_srtp_key_wipe(&l->srtp_next);
		l->sdp_version = v;
		if (leg_offer_open(peer) || peer->inv_peer_req != NULL) {
			/* An offer is open on the peer's dialog (a re-INVITE of ours, our
			 * 2xx waiting for its ACK): §14.1 lets no second one go. */
			sig_count(s, HL_SIG_CTR_OFFER_RELAY_RETRY);
			update_refuse(s, t, buf, m, 500);
			return;
		}
		sig_free(t->req);
		t->req = sig_dup(buf, m->head_len + m->body.len);
		t->req_len = (uint16_t)(m->head_len + m->body.len);
		if (t->req == NULL) {
			update_refuse(s, t, buf, m, 500);
			return;
		}
		sig_txn_attach(t, l);
		l->upd = t;
		/* l's media and hold move with the peer's answer (relay_answered). */
		peer->reoffer_codec = (uint8_t)newk;
		if (leg_send_reinvite(s, peer, d == HL_SDP_DIR_NONE ? HL_SDP_DIR_SENDRECV : d,
			    t) != 0) {
			/* It did not go (no room for its transaction): leg_send_reinvite()
			 * answered the UPDATE 500 with Retry-After, so neither relayed nor a
			 * refresh of the session. */
			peer->reoffer_codec = 0;
			if (l->upd == t)
				l->upd = NULL;
			return;
		}
		sig_count(s, HL_SIG_CTR_UPDATE_RELAYED);
		session_refreshed(s, l);
		l->dir_due = HL_SDP_DIR_NONE;
		return;
	}
	/* Ours to answer: the answer built above moves l (leg_answer_take), with the
	 * version kept when our SDP came out as before. */
	n = leg_answer_take(s, l, newk - 1, buf, m->body, &offer, &neg, v, sdp, sizeof(sdp), n);
	if (n < 0) {
		update_refuse(s, t, buf, m, 488);
		return;
	}
	session_refreshed(s, l);
	sig_reply(s, t, buf, m, 200, NULL, NULL, hdrs, "application/sdp", sdp, (size_t)n);
}

void
sig_call_in_dialog(struct hl_sig *s, struct sig_leg *l, struct sig_txn *t, const uint8_t *buf,
	const struct hl_sip_msg *m, const struct hl_sig_addr *src)
{
	struct sig_call *c = l->call;
	struct sig_early *e = NULL;
	struct hl_sip_cseq cs;

	(void)src;
	/* The agent's leg is one dialog once answered, and one per fork before: a request
	 * of none of them (a fork let go, one never kept, one that ended) is 481. */
	if (l->side == 1 && b_dialog_of(l, buf, m, &e) != 0) {
		sig_prack_refused(s, m);
		if (t == NULL)
			sig_count(s, HL_SIG_CTR_STRAY_ACK);
		else
			sig_reply(s, t, buf, m, 481, NULL, NULL, NULL, NULL, NULL, 0);
		return;
	}
	if (t == NULL) {
		/* ACK: for our 2xx on this leg (§13.3.1.4). Only the first one counts: a
		 * repeat (our 2xx again, or a stray) finds the transaction gone. */
		if (l->inv == NULL || !l->inv->server || l->inv->state != TXN_ACCEPTED)
			return;
		sig_txn_acked(s, l->inv);
		if (l->ack_answer) {
			l->ack_answer = 0;
			if (c != NULL && c->state == CALL_CONNECTED && l->state == LEG_CONFIRMED)
				leg_ack_answer(s, c, l, buf, m);
			else
				leg_srtp_offer_wipe(l);
		}
		/* The customer has our 2xx: its leg may move to the answering fork's codec. */
		if (l->codec_fix == CODEC_FIX_DUE)
			a_codec_move(s, l);
		return;
	}
	hl_sip_parse_cseq(buf, hl_sip_hdr_first(m, HL_SIP_HDR_CSEQ)->value, &cs);
	/* §12.2.2: a lower CSeq than the last is out of order: 500. */
	if (l->rcseq && cs.seq <= l->rcseq && l->side == 0) {
		sig_prack_refused(s, m);
		sig_reply(s, t, buf, m, 500, "CSeq Out of Order", NULL, NULL, NULL, NULL, 0);
		return;
	}
	if (l->side == 0 || cs.seq > l->rcseq)
		l->rcseq = cs.seq;
	if (c == NULL || l->state == LEG_DONE) {
		sig_prack_refused(s, m);
		sig_reply(s, t, buf, m, 481, NULL, NULL, NULL, NULL, NULL, 0);
		return;
	}
	switch (m->method) {
	case HL_SIP_METHOD_BYE: {
		struct sig_leg *peer = l->side == 0 ? c->b : c->a;
		/*
		 * A BYE names our tag, so our 2xx got through even though no ACK did (lost,
		 * or a UAC that hung up stops ACKing): stop resending it as the ACK would
		 * (RFC 3261 §13.3.1.4 resends only to get the 2xx through). Otherwise it
		 * goes to a party that is gone for 64*T1 and counts an ack_timeout for a
		 * call that ended normally.
		 */
		if (l->inv != NULL && l->inv->server && l->inv->state == TXN_ACCEPTED)
			sig_txn_acked(s, l->inv);
		sig_reply(s, t, buf, m, 200, NULL, NULL, NULL, NULL, NULL, 0);
		sig_count(s, l->side == 0 ? HL_SIG_CTR_BYE_FROM_CUSTOMER : HL_SIG_CTR_BYE_FROM_AGENT);
		if (e != NULL) {
			/* §15: a BYE in an early dialog ends that dialog; the INVITE's other
			 * forks ring on. The last one's is the attempt's end (agent_left). The
			 * leg's early media stays where it was. */
			e->gone = 1;
			if (early_live(l) > 0)
				return;
		}
		if (l->side == 1 && l == c->b && !c->answered_ms && c->state != CALL_ENDING) {
			agent_left(s, c, l);
			return;
		}
		/* Connected to the agent is not answered: our 2xx may still wait for a
		 * PRACK (final_due), and then the customer never had the call. */
		if (c->state == CALL_CONNECTED && c->answered_ms)
			sig_count(s, HL_SIG_CTR_CALLS_COMPLETED);
		call_why(s, c, c->answered_ms ? HL_CDR_ANSWERED :
			l->side == 0 ? HL_CDR_ABANDONED : HL_CDR_REJECTED,
			l->side == 0 ? HL_CDR_BY_CUSTOMER : HL_CDR_BY_AGENT);
		c->state = CALL_ENDING;
		hl_timer_cancel(s->wheel, &c->t_noanswer);
		/* §15.1.2: their INVITE still open (the customer's first, a re-INVITE of
		 * either side's that waits for the peer's answer) gets 487. The record's
		 * status is the call's: the first INVITE's final, not a re-INVITE's (a
		 * call that had its final keeps it). */
		if (l->inv != NULL && l->inv->server && l->inv->state < TXN_COMPLETED) {
			sig_reply_stored(s, l->inv, 487, NULL, l->ltag, NULL, NULL, NULL, 0);
			if (l->side == 0 && c->a_status == 0)
				c->a_status = 487;
		}
		/* l first: ending an early peer (the agent hung up while our 2xx waited
		 * for a PRACK) may free the call, and l with it. */
		bool peer_live = peer != NULL && peer->state != LEG_DONE;
		leg_done(s, l);
		if (peer_live)
			leg_end(s, peer, 487);
		return;
	}
	case HL_SIP_METHOD_INVITE:
		reinvite_request(s, l, t, buf, m);
		return;
	case HL_SIP_METHOD_UPDATE:
		update_request(s, l, e, t, buf, m);
		return;
	case HL_SIP_METHOD_INFO:
		info_request(s, l, t, buf, m);
		return;
	case HL_SIP_METHOD_PRACK:
		prack_request(s, l, t, buf, m);
		return;
	case HL_SIP_METHOD_OPTIONS: {
		char hdrs[256];
		sig_count(s, HL_SIG_CTR_OPTIONS_IN);
		snprintf(hdrs, sizeof(hdrs),
			"Allow: %s\r\nAccept: application/sdp\r\n"
			"Supported: %s\r\n",
			sig_allow, sig_supported);
		sig_reply(s, t, buf, m, 200, NULL, NULL, hdrs, NULL, NULL, 0);
		return;
	}
	default: {
		char hdrs[160];
		snprintf(hdrs, sizeof(hdrs), "Allow: %s\r\n", sig_allow);
		sig_reply(s, t, buf, m, m->method == HL_SIP_METHOD_OTHER ? 501 : 405, NULL, NULL,
			hdrs, NULL, NULL, 0);
		return;
	}
	}
}

/* ---- media events from the workers ---- */

static struct sig_call *
call_of_port(struct hl_sig *s, uint32_t id, uint16_t port)
{
	struct sig_call *c;

	if (port < s->ports.lo || port > s->ports.hi)
		return NULL;
	c = s->ports.by_block[(port - s->ports.lo) / 4];
	return c != NULL && c->id == id ? c : NULL;
}

void
hl_sig_media_event(struct hl_sig *s, const struct hl_media_event *ev, uint64_t now_ms)
{
	struct sig_call *c = call_of_port(s, ev->call, ev->local_port);

	s->now_ms = now_ms;
	if (ev->type == HL_MEDIA_EV_DTMF) {
		/* Presses from the media are relayed by the worker itself (or kept from
		 * the agent, dtmf_suppress), unless the peer takes no telephone-events:
		 * then by INFO from here. */
		dtmf_report(s, ev->digit, ev->duration_ms,
			ev->how == HL_DTMF_END_TONE ? DTMF_SRC_TONE : DTMF_SRC_RTP);
		if (c != NULL)
			dtmf_to_info(s, c, ev);
		return;
	}
	if (ev->type == HL_MEDIA_EV_REFUSED && c != NULL && c->state != CALL_ENDING) {
		/* The worker's leg table is full: a call that cannot carry media is
		 * ended rather than left silent. */
		sig_count(s, HL_SIG_CTR_MEDIA_FAIL);
		call_end(s, c, 0, HL_CDR_MEDIA_FAILED);
		return;
	}
	if (ev->type == HL_MEDIA_EV_TIMEOUT && c != NULL && c->state != CALL_ENDING) {
		/* No media on a leg for [rtp] timeout_s: the call is dead; BYE both legs. */
		sig_count(s, HL_SIG_CTR_MEDIA_TIMEOUT);
		call_end(s, c, 0, HL_CDR_MEDIA_TIMEOUT);
	}
}

void
hl_sig_media_final(struct hl_sig *s, const struct hl_media_stats *st)
{
	struct hl_sig_tenant_media *t;

	sig_cdr_media_final(s, st);
	if (s->ts == NULL || s->tenants == NULL || st->tenant >= hl_tenants_count(s->tenants))
		return;
	t = &s->ts[st->tenant].media;
	t->legs++;
	t->rx_packets += st->rx_packets;
	t->tx_packets += st->tx_packets;
	t->lost += st->lost > 0 ? (uint64_t)st->lost : 0;
	t->dtmf += st->dtmf;
	t->srtp_auth_fail += st->srtp_auth_fail;
	if (st->rx_packets) {
		t->mos_sum += st->mos;
		t->mos_legs++;
	}
	if (st->jitter_ms > t->jitter_ms_max)
		t->jitter_ms_max = st->jitter_ms;
}

int
hl_sig_tenant_media(const struct hl_sig *s, unsigned int i, const char **name,
	struct hl_sig_tenant_media *out)
{
	if (s->ts == NULL || s->tenants == NULL || i >= hl_tenants_count(s->tenants))
		return -1;
	*name = s->ts[i].cfg->name;
	*out = s->ts[i].media;
	return 0;
}
