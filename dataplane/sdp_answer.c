/*
 * SDP offer/answer (include/hotline/sdp.h): RFC 3264 §6 answers and our offers, written
 * with the SIP writer into a caller's buffer.
 */
#include <string.h>

#include "hotline/sdp.h"
#include "dataplane/sip_priv.h"

/* RFC 3551 §6: static audio payload types a trunk may send without an rtpmap. */
static const struct {
	uint8_t pt;
	const char *name;
	uint32_t clock;
} static_pts[] = {
	{0, "pcmu", 8000}, {3, "gsm", 8000}, {4, "g723", 8000}, {8, "pcma", 8000},
	{9, "g722", 8000}, {18, "g729", 8000},
};

static int
codec_matches(const uint8_t *buf, const struct hl_sdp_fmt *f, const struct hl_sdp_codec *c)
{
	unsigned int ch = c->channels ? c->channels : 1;
	if (f->clock != 0)
		return f->clock == c->clock && f->channels == ch && hl_sip_slice_ieq(buf, f->name, c->name);
	for (unsigned int i = 0; i < HL_ARRAY_SIZE(static_pts); i++) {
		if (static_pts[i].pt != f->pt)
			continue;
		size_t n = strlen(c->name);
		return c->clock == static_pts[i].clock && ch == 1 &&
			ieq((const uint8_t *)c->name, n, static_pts[i].name, strlen(static_pts[i].name));
	}
	return 0;
}

int
hl_sdp_pick_te(const uint8_t *buf, const struct hl_sdp_media *m, uint32_t clock, uint32_t *rate)
{
	int any = -1;

	*rate = 0;
	for (unsigned int i = 0; i < m->nfmt; i++) {
		const struct hl_sdp_fmt *f = &m->fmt[i];
		if (f->clock == 0 || !hl_sip_slice_ieq(buf, f->name, "telephone-event"))
			continue;
		if (f->clock == clock) {
			*rate = f->clock;
			return f->pt;
		}
		if (any < 0) {
			any = f->pt;
			*rate = f->clock;
		}
	}
	return any;
}

static const char *const dir_names[] = {
	[HL_SDP_DIR_NONE] = "sendrecv",
	[HL_SDP_DIR_SENDRECV] = "sendrecv",
	[HL_SDP_DIR_SENDONLY] = "sendonly",
	[HL_SDP_DIR_RECVONLY] = "recvonly",
	[HL_SDP_DIR_INACTIVE] = "inactive",
};

static void
w_session(struct hl_sip_writer *w, const struct hl_sdp_caps *caps, uint64_t t0, uint64_t t1)
{
	const char *at = caps->ipv6 ? "IP6" : "IP4";
	/* Written piecewise, not with printf: offers and answers are built per call
	 * (bench/bench_sig). */
	hl_sip_w_str(w, "v=0\r\no=");
	hl_sip_w_str(w, caps->user ? caps->user : "-");
	hl_sip_w_raw(w, " ", 1);
	hl_sip_w_uint(w, caps->sess_id);
	hl_sip_w_raw(w, " ", 1);
	hl_sip_w_uint(w, caps->sess_version);
	hl_sip_w_raw(w, " IN ", 4);
	hl_sip_w_str(w, at);
	hl_sip_w_raw(w, " ", 1);
	hl_sip_w_str(w, caps->addr);
	hl_sip_w_str(w, "\r\ns=-\r\nc=IN ");
	hl_sip_w_str(w, at);
	hl_sip_w_raw(w, " ", 1);
	hl_sip_w_str(w, caps->addr);
	hl_sip_w_raw(w, "\r\nt=", 4);
	hl_sip_w_uint(w, t0);
	hl_sip_w_raw(w, " ", 1);
	hl_sip_w_uint(w, t1);
	hl_sip_w_raw(w, "\r\n", 2);
}

static void
w_rtpmap(struct hl_sip_writer *w, unsigned int pt, const char *name, uint32_t clock,
	unsigned int ch, const char *fmtp)
{
	hl_sip_w_raw(w, "a=rtpmap:", 9);
	hl_sip_w_uint(w, pt);
	hl_sip_w_raw(w, " ", 1);
	hl_sip_w_str(w, name);
	hl_sip_w_raw(w, "/", 1);
	hl_sip_w_uint(w, clock);
	if (ch > 1) {
		hl_sip_w_raw(w, "/", 1);
		hl_sip_w_uint(w, ch);
	}
	hl_sip_w_raw(w, "\r\n", 2);
	if (fmtp != NULL) {
		hl_sip_w_raw(w, "a=fmtp:", 7);
		hl_sip_w_uint(w, pt);
		hl_sip_w_raw(w, " ", 1);
		hl_sip_w_str(w, fmtp);
		hl_sip_w_raw(w, "\r\n", 2);
	}
}

/* Our key for suite: the caller's callback, else caps->srtp_key for the 128-bit AES-CM
 * suites (the only ones a caller without a callback can have). */
static const char *
our_key(const struct hl_sdp_caps *caps, enum hl_sdp_suite suite)
{
	if (caps->srtp_key_fn != NULL)
		return caps->srtp_key_fn(caps->srtp_key_ctx, suite);
	if (suite == HL_SDP_SUITE_AES_CM_128_HMAC_SHA1_80 ||
		suite == HL_SDP_SUITE_AES_CM_128_HMAC_SHA1_32)
		return caps->srtp_key;
	return NULL;
}

/*
 * RFC 4568 §5.1.2, §7.1.2: the first offered crypto line we can honour, in the
 * offerer's order of preference, with our key for its suite. A line with a suite or
 * key parameters hotline/srtp.h cannot run (hl_sdp_crypto_key) is passed over for the
 * next, so is one we have no key for; the stream is refused only when none is left.
 * Returns our key, or NULL.
 */
static const char *
pick_crypto(const uint8_t *buf, const struct hl_sdp_media *m, const struct hl_sdp_caps *caps,
	struct hl_sdp_neg_stream *ns)
{
	for (unsigned int k = 0; k < m->ncrypto; k++) {
		const struct hl_sdp_crypto *cr = &m->crypto[k];
		struct hl_srtp_key tmp;
		const char *key;

		if (hl_sdp_crypto_key(buf, cr, &tmp) != 0)
			continue;
		hl_srtp_key_wipe(&tmp);
		if ((key = our_key(caps, (enum hl_sdp_suite)cr->suite)) == NULL)
			continue;
		ns->srtp = 1;
		ns->suite = cr->suite;
		ns->crypto = (uint8_t)k;
		ns->crypto_tag = cr->tag;
		ns->remote_key = cr->key;
		return key;
	}
	return NULL;
}

/* Decides one stream; fills ns, and *key with ours for an SRTP one. 1 accepted, 0
 * refused. */
static int
negotiate(const uint8_t *buf, const struct hl_sdp *offer, unsigned int i,
	const struct hl_sdp_caps *caps, struct hl_sdp_neg_stream *ns, const char **key)
{
	const struct hl_sdp_media *m = &offer->media[i];
	int srtp;

	memset(ns, 0, sizeof(*ns));
	ns->te_pt = -1;
	/* §6: a port of 0 in the offer stays refused; we carry audio over RTP only. */
	if (m->port == 0 || !hl_sip_slice_ieq(buf, m->type, "audio") ||
		m->proto == HL_SDP_PROTO_OTHER)
		return 0;
	srtp = m->proto == HL_SDP_PROTO_RTP_SAVP || m->proto == HL_SDP_PROTO_RTP_SAVPF;
	if ((srtp && caps->srtp == HL_SDP_SRTP_FORBID) ||
		(!srtp && caps->srtp == HL_SDP_SRTP_MANDATORY))
		return 0;
	/* Our preference order, the offerer's numbers (§6.1). */
	int found = 0;
	for (unsigned int c = 0; c < caps->ncodecs && !found; c++) {
		for (unsigned int f = 0; f < m->nfmt; f++) {
			if (codec_matches(buf, &m->fmt[f], &caps->codecs[c])) {
				ns->codec = (uint8_t)c;
				ns->pt = m->fmt[f].pt;
				found = 1;
				break;
			}
		}
	}
	if (!found)
		return 0;
	if (caps->telephone_event)
		ns->te_pt = (int16_t)hl_sdp_pick_te(buf, m, caps->codecs[ns->codec].clock,
			&ns->te_clock);
	switch (hl_sdp_media_dir(offer, i)) {
	case HL_SDP_DIR_SENDONLY:
		ns->dir = HL_SDP_DIR_RECVONLY;
		break;
	case HL_SDP_DIR_RECVONLY:
		ns->dir = HL_SDP_DIR_SENDONLY;
		break;
	case HL_SDP_DIR_INACTIVE:
		ns->dir = HL_SDP_DIR_INACTIVE;
		break;
	default:
		ns->dir = HL_SDP_DIR_SENDRECV;
		break;
	}
	ns->rtcp_mux = m->rtcp_mux && caps->rtcp_mux;
	const struct hl_sdp_conn *conn = hl_sdp_media_conn(offer, i);
	ns->remote_addr = conn->addr;
	ns->remote_addrtype = conn->addrtype;
	ns->remote_port = m->port;
	ns->remote_rtcp_port = ns->rtcp_mux ? m->port :
		m->rtcp_port ? m->rtcp_port : (uint16_t)(m->port + 1);
	/* Last, so the caller's key is asked for only for a stream we take. */
	if (srtp && (*key = pick_crypto(buf, m, caps, ns)) == NULL) {
		ns->srtp = 0;
		return 0;
	}
	ns->accepted = 1;
	return 1;
}

int
hl_sdp_answer(const uint8_t *buf, const struct hl_sdp *offer, const struct hl_sdp_caps *caps,
	char *out, size_t cap, struct hl_sdp_negotiated *neg)
{
	struct hl_sip_writer w;

	hl_sip_w_init(&w, out, cap);
	/* §6: the answer's t= equals the offer's. */
	w_session(&w, caps, offer->t_start, offer->t_stop);
	neg->nstreams = offer->nmedia;
	neg->naccepted = 0;
	for (unsigned int i = 0; i < offer->nmedia; i++) {
		const struct hl_sdp_media *m = &offer->media[i];
		struct hl_sdp_neg_stream *ns = &neg->s[i];
		const char *key = NULL;
		if (!negotiate(buf, offer, i, caps, ns, &key)) {
			/* §6: a refused stream keeps its m-line, with port 0. */
			hl_sip_w_raw(&w, "m=", 2);
			hl_sip_w_raw(&w, buf + m->type.off, m->type.len);
			hl_sip_w_raw(&w, " 0 ", 3);
			hl_sip_w_raw(&w, buf + m->proto_s.off, m->proto_s.len);
			hl_sip_w_raw(&w, " ", 1);
			hl_sip_w_raw(&w, buf + m->fmts.off, m->fmts.len);
			hl_sip_w_raw(&w, "\r\n", 2);
			continue;
		}
		const struct hl_sdp_codec *c = &caps->codecs[ns->codec];
		ns->local_port = (uint16_t)(caps->port + 2 * neg->naccepted++);
		hl_sip_w_raw(&w, "m=audio ", 8);
		hl_sip_w_uint(&w, ns->local_port);
		hl_sip_w_raw(&w, " ", 1);
		hl_sip_w_raw(&w, buf + m->proto_s.off, m->proto_s.len);
		hl_sip_w_raw(&w, " ", 1);
		hl_sip_w_uint(&w, ns->pt);
		if (ns->te_pt >= 0) {
			hl_sip_w_raw(&w, " ", 1);
			hl_sip_w_uint(&w, (uint64_t)ns->te_pt);
		}
		hl_sip_w_raw(&w, "\r\n", 2);
		w_rtpmap(&w, ns->pt, c->name, c->clock, c->channels, c->fmtp);
		if (ns->te_pt >= 0) {
			const struct hl_sdp_fmt *tf = NULL;
			for (unsigned int f = 0; f < m->nfmt && tf == NULL; f++)
				if (m->fmt[f].pt == ns->te_pt && m->fmt[f].clock)
					tf = &m->fmt[f];
			w_rtpmap(&w, (unsigned int)ns->te_pt, "telephone-event",
				tf ? tf->clock : 8000, 1, "0-15");
		}
		if (caps->ptime)
			hl_sip_w_fmt(&w, "a=ptime:%u\r\n", caps->ptime);
		hl_sip_w_raw(&w, "a=", 2);
		hl_sip_w_str(&w, dir_names[ns->dir]);
		hl_sip_w_raw(&w, "\r\n", 2);
		if (ns->rtcp_mux)
			hl_sip_w_str(&w, "a=rtcp-mux\r\n");
		if (ns->srtp)
			hl_sip_w_fmt(&w, "a=crypto:%u %s inline:%s\r\n", ns->crypto_tag,
				hl_sdp_suite_name((enum hl_sdp_suite)ns->suite), key);
	}
	return hl_sip_w_finish(&w);
}

int
hl_sdp_build_offer(const struct hl_sdp_caps *caps, char *out, size_t cap)
{
	static const uint8_t one_suite[] = {HL_SDP_SUITE_AES_CM_128_HMAC_SHA1_80};
	const uint8_t *suites = caps->srtp_suites ? caps->srtp_suites : one_suite;
	unsigned int nsuites = caps->srtp_suites ? caps->nsrtp_suites : 1, lines = 0;
	uint32_t tag0 = caps->srtp_tag ? caps->srtp_tag : 1;
	struct hl_sip_writer w;
	int keyed = caps->srtp_key_fn != NULL || caps->srtp_key != NULL;
	int srtp = caps->srtp == HL_SDP_SRTP_MANDATORY && keyed;

	hl_sip_w_init(&w, out, cap);
	w_session(&w, caps, 0, 0);
	hl_sip_w_raw(&w, "m=audio ", 8);
	hl_sip_w_uint(&w, caps->port);
	hl_sip_w_str(&w, srtp ? " RTP/SAVP" : " RTP/AVP");
	for (unsigned int i = 0; i < caps->ncodecs; i++) {
		hl_sip_w_raw(&w, " ", 1);
		hl_sip_w_uint(&w, caps->codecs[i].pt);
	}
	if (caps->telephone_event) {
		hl_sip_w_raw(&w, " ", 1);
		hl_sip_w_uint(&w, caps->te_pt);
	}
	hl_sip_w_raw(&w, "\r\n", 2);
	for (unsigned int i = 0; i < caps->ncodecs; i++) {
		const struct hl_sdp_codec *c = &caps->codecs[i];
		w_rtpmap(&w, c->pt, c->name, c->clock, c->channels, c->fmtp);
	}
	if (caps->telephone_event)
		w_rtpmap(&w, caps->te_pt, "telephone-event", 8000, 1, "0-15");
	if (caps->ptime)
		hl_sip_w_fmt(&w, "a=ptime:%u\r\n", caps->ptime);
	hl_sip_w_raw(&w, "a=", 2);
	hl_sip_w_str(&w, dir_names[caps->dir <= HL_SDP_DIR_INACTIVE ? caps->dir : 0]);
	hl_sip_w_raw(&w, "\r\n", 2);
	if (caps->rtcp_mux)
		hl_sip_w_str(&w, "a=rtcp-mux\r\n");
	/* RFC 4568 §5.1.1: one line per suite, most preferred first, each with its own
	 * tag and key. With OPTIONAL they ride RTP/AVP (best effort). */
	for (unsigned int k = 0; caps->srtp != HL_SDP_SRTP_FORBID && keyed && k < nsuites; k++) {
		enum hl_sdp_suite su = (enum hl_sdp_suite)suites[k];
		const char *key;
		if (hl_sdp_suite_srtp(su) < 0 || tag0 + k > 999999999 ||
			(key = our_key(caps, su)) == NULL)
			continue;
		hl_sip_w_fmt(&w, "a=crypto:%u %s inline:%s\r\n", tag0 + k, hl_sdp_suite_name(su),
			key);
		lines++;
	}
	if (srtp && lines == 0)
		return HL_E_UNSUPPORTED; /* RTP/SAVP with no key would be refused anyway */
	return hl_sip_w_finish(&w);
}
