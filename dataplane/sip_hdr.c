/*
 * SIP header bodies, parsed on demand (include/hotline/sip.h).
 *
 * Each parser reads one slice of the datagram and fills slices of its own; LWS,
 * folds included, may sit wherever RFC 3261 §25.1 writes SWS or LWS. List elements
 * (Via, Contact, Route, Allow, Reason, ...) end at a top-level comma.
 */
#include <string.h>

#include "hotline/sip.h"
#include "dataplane/sip_priv.h"

static inline void
advance(struct hl_sip_slice *s, int n)
{
	s->off = (uint16_t)(s->off + n);
	s->len = (uint16_t)(s->len - n);
}

/* Four octets per bounds check: tokens and parameter values run 3-40 octets, and the
 * check costs as much as the class lookup (bench/bench_sip.c, callgrind). */
static inline const uint8_t *
scan_cls(const uint8_t *p, const uint8_t *end, uint16_t cls)
{
	for (; end - p >= 4; p += 4) {
		if (!CC(p[0], cls))
			return p;
		if (!CC(p[1], cls))
			return p + 1;
		if (!CC(p[2], cls))
			return p + 2;
		if (!CC(p[3], cls))
			return p + 3;
	}
	while (p < end && CC(*p, cls))
		p++;
	return p;
}

/*
 * One generic-param (§25.1) at p, just after its ';': name [EQUAL gen-value], gen-value
 * = token / host / quoted-string. Returns its end or NULL; *name and *value as
 * hl_sip_param_next() would give them (value unquoted, empty at the name's end when
 * absent), so callers that read known parameters do it in the same pass as the syntax
 * check.
 */
static inline const uint8_t *
scan_param(const uint8_t *buf, const uint8_t *p, const uint8_t *end, struct hl_sip_slice *name,
	struct hl_sip_slice *value)
{
	const uint8_t *b = p, *q;

	p = scan_cls(p, end, C_TOKEN | C_PARAM);
	if (p == b)
		return NULL;
	*name = mkslice(buf, b, p);
	*value = mkslice(buf, p, p);
	q = skip_lws(p, end);
	if (q < end && *q == '=') {
		b = skip_lws(q + 1, end);
		if (b < end && *b == '"') {
			p = scan_quoted(b, end);
			if (p == NULL)
				return NULL;
			*value = mkslice(buf, b + 1, p - 1);
		} else {
			p = scan_cls(b, end, C_TOKEN | C_PARAM);
			if (p == b)
				return NULL;
			*value = mkslice(buf, b, p);
		}
	}
	return p;
}

/*
 * *( SEMI generic-param ) from p, stopping before a ',' or at the end. Returns where
 * it stopped (LWS skipped) or NULL; *params spans the first name to the last value.
 */
static const uint8_t *
scan_params(const uint8_t *buf, const uint8_t *p, const uint8_t *end,
	struct hl_sip_slice *params)
{
	const uint8_t *first = NULL, *last = p;
	struct hl_sip_slice name, value;

	p = skip_lws(p, end);
	while (p < end && *p == ';') {
		p = skip_lws(p + 1, end);
		if (first == NULL)
			first = p;
		p = scan_param(buf, p, end, &name, &value);
		if (p == NULL)
			return NULL;
		last = p;
		p = skip_lws(p, end);
	}
	*params = first ? mkslice(buf, first, last) : mkslice(buf, last, last);
	return p;
}

/* After a list element: end of slice, or ',' and another element. */
static int
list_next(const uint8_t *start, const uint8_t *p, const uint8_t *end)
{
	if (p == end)
		return (int)(p - start);
	if (*p != ',')
		return HL_E_PARSE;
	p = skip_lws(p + 1, end);
	if (p == end)
		return HL_E_PARSE;
	return (int)(p - start);
}

int
hl_sip_parse_uint(const uint8_t *buf, struct hl_sip_slice s, uint32_t *out)
{
	const uint8_t *p = buf + s.off, *end = p + s.len;
	uint64_t v = 0;
	p = scan_uint(skip_lws(p, end), end, UINT32_MAX, &v);
	if (p == NULL || skip_lws(p, end) != end)
		return HL_E_PARSE;
	*out = (uint32_t)v;
	return 0;
}

/* RFC 3261 §20.42: via-parm = sent-protocol LWS sent-by *( SEMI via-params ). */
int
hl_sip_parse_via(const uint8_t *buf, struct hl_sip_slice s, struct hl_sip_via *via)
{
	const uint8_t *start = buf + s.off, *end = start + s.len;
	const uint8_t *p = skip_lws(start, end), *b, *q;
	uint64_t v = 0;

	memset(via, 0, sizeof(*via));
	via->rport = -1;
	via->ttl = -1;
	/* sent-protocol = protocol-name SLASH protocol-version SLASH transport, where
	 * SLASH = SWS "/" SWS. */
	b = p;
	p = scan_cls(p, end, C_TOKEN);
	if (p == b)
		return HL_E_PARSE;
	p = skip_lws(p, end);
	if (p == end || *p != '/')
		return HL_E_PARSE;
	q = skip_lws(p + 1, end);
	p = scan_cls(q, end, C_TOKEN);
	if (p == q)
		return HL_E_PARSE;
	via->protocol = mkslice(buf, b, p);
	p = skip_lws(p, end);
	if (p == end || *p != '/')
		return HL_E_PARSE;
	q = skip_lws(p + 1, end);
	p = scan_cls(q, end, C_TOKEN);
	if (p == q)
		return HL_E_PARSE;
	via->transport = mkslice(buf, q, p);
	q = skip_lws(p, end);
	if (q == p)
		return HL_E_PARSE;
	p = hl_sip_scan_hostport(buf, q, end, &via->host, &via->host_type, &via->port);
	if (p == NULL)
		return HL_E_PARSE;
	/* *( SEMI via-params ), read as they are checked (one pass, not scan_params()
	 * then hl_sip_param_next()). */
	const uint8_t *first = NULL, *last = p;
	struct hl_sip_slice name, value;
	p = skip_lws(p, end);
	while (p < end && *p == ';') {
		p = skip_lws(p + 1, end);
		if (first == NULL)
			first = p;
		p = scan_param(buf, p, end, &name, &value);
		if (p == NULL)
			return HL_E_PARSE;
		last = p;
		p = skip_lws(p, end);
		const uint8_t *np = buf + name.off, *vp = buf + value.off;
		switch (name.len) {
		case 6:
			if (IEQ(np, 6, "branch"))
				via->branch = value;
			break;
		case 8:
			if (IEQ(np, 8, "received")) {
				if (hl_sip_host_type(vp, value.len) == HL_SIP_HOST_NONE)
					return HL_E_PARSE;
				via->received = value;
			}
			break;
		case 5:
			if (IEQ(np, 5, "rport")) {
				/* RFC 3581 §3: response-port = "rport" [EQUAL 1*DIGIT] */
				via->rport = 0;
				if (value.len) {
					if (scan_uint(vp, vp + value.len, 65535, &v) !=
						vp + value.len)
						return HL_E_PARSE;
					via->rport = (int32_t)v;
				}
			} else if (IEQ(np, 5, "maddr")) {
				via->maddr = value;
			}
			break;
		case 3:
			if (IEQ(np, 3, "ttl")) {
				if (scan_uint(vp, vp + value.len, 255, &v) != vp + value.len)
					return HL_E_PARSE;
				via->ttl = (int16_t)v;
			}
			break;
		}
	}
	via->params = first ? mkslice(buf, first, last) : mkslice(buf, last, last);
	return list_next(start, p, end);
}

/*
 * addr-spec inside LAQUOT/RAQUOT: the first octet that is not 0x21-0x7e or 0x80-0xff,
 * or is '<' or '>' (0x3c, 0x3e: equal once bit 1 is set), or end. Eight bytes a step.
 */
static inline const uint8_t *
scan_angle_uri(const uint8_t *p, const uint8_t *end)
{
	while (end - p >= 8) {
		uint64_t x = load8(p);
		uint64_t m = w8_lt(x, 0x21) | w8_eq(x, 0x7f) | w8_eq(x | W8_ONES * 2, '>');
		if (m)
			return p + w8_first(m);
		p += 8;
	}
	while (p < end && *p > ' ' && *p != 0x7f && (*p | 2) != '>')
		p++;
	return p;
}

/* qvalue = ( "0" [ "." 0*3DIGIT ] ) / ( "1" [ "." 0*3("0") ] ), in thousandths. */
static int
parse_q(const uint8_t *p, size_t n)
{
	if (n == 0 || (p[0] != '0' && p[0] != '1'))
		return -1;
	int v = (p[0] - '0') * 1000, scale = 100;
	if (n == 1)
		return v;
	if (p[1] != '.' || n > 5)
		return -1;
	for (size_t i = 2; i < n; i++, scale /= 10) {
		if (!CC(p[i], C_DIGIT))
			return -1;
		v += (p[i] - '0') * scale;
	}
	return v > 1000 ? -1 : v;
}

/*
 * §25.1: ( name-addr / addr-spec ) *( SEMI param ), name-addr = [ display-name ]
 * LAQUOT addr-spec RAQUOT, display-name = *(token LWS) / quoted-string. §20.10: a URI
 * without angle brackets ends at the first ';' ',' or '?' and its parameters belong to
 * the header.
 */
int
hl_sip_parse_name_addr(const uint8_t *buf, struct hl_sip_slice s, struct hl_sip_name_addr *na)
{
	const uint8_t *start = buf + s.off, *end = start + s.len;
	const uint8_t *p = skip_lws(start, end), *b;

	memset(na, 0, sizeof(*na));
	na->expires = -1;
	na->q = -1;
	if (p == end)
		return HL_E_PARSE;
	if (*p == '*') {
		/* §20.10: Contact: "*" (REGISTER removing every binding), then params. */
		na->flags = HL_SIP_NA_STAR;
		p++;
		b = skip_lws(p, end);
		if (b < end && *b != ';' && *b != ',')
			return HL_E_PARSE;
	} else {
		if (*p == '"') {
			b = p;
			p = scan_quoted(p, end);
			if (p == NULL)
				return HL_E_PARSE;
			na->display = mkslice(buf, b + 1, p - 1);
			na->flags |= HL_SIP_NA_QUOTED;
			p = skip_lws(p, end);
			if (p == end || *p != '<')
				return HL_E_PARSE;
		} else if (*p != '<') {
			b = p;
			while (p < end) {
				if (CC(*p, C_TOKEN)) {
					p++;
					continue;
				}
				const uint8_t *q = skip_lws(p, end);
				if (q == p)
					break;
				p = q;
			}
			if (p < end && *p == '<')
				na->display = mkslice(buf, b, trim_lws(b, p));
			else
				p = b;
		}
		if (p < end && *p == '<') {
			b = ++p;
			p = scan_angle_uri(p, end);
			if (p == end || *p != '>' || p == b)
				return HL_E_PARSE;
			na->uri = mkslice(buf, b, p);
			na->flags |= HL_SIP_NA_ANGLE;
			p++;
		} else {
			b = p;
			while (p < end && CC(*p, C_VCHAR) && *p != ';' && *p != ',' && *p != '?' &&
				*p != ' ' && *p != '\t' && *p != '<' && *p != '>' && *p != '"')
				p++;
			if (p == b || memchr(b, ':', (size_t)(p - b)) == NULL)
				return HL_E_PARSE;
			na->uri = mkslice(buf, b, p);
		}
	}
	/* *( SEMI param ), read as they are checked. */
	const uint8_t *first = NULL, *last = p;
	struct hl_sip_slice name, value;
	p = skip_lws(p, end);
	while (p < end && *p == ';') {
		p = skip_lws(p + 1, end);
		if (first == NULL)
			first = p;
		p = scan_param(buf, p, end, &name, &value);
		if (p == NULL)
			return HL_E_PARSE;
		last = p;
		p = skip_lws(p, end);
		const uint8_t *np = buf + name.off, *vp = buf + value.off;
		uint64_t v = 0;
		if (IEQ(np, name.len, "tag")) {
			if (value.len == 0)
				return HL_E_PARSE;
			na->tag = value;
		} else if (IEQ(np, name.len, "expires")) {
			if (scan_uint(vp, vp + value.len, UINT32_MAX, &v) != vp + value.len)
				return HL_E_PARSE;
			na->expires = (int64_t)v;
		} else if (IEQ(np, name.len, "q")) {
			int q = parse_q(vp, value.len);
			if (q < 0)
				return HL_E_PARSE;
			na->q = (int16_t)q;
		}
	}
	na->params = first ? mkslice(buf, first, last) : mkslice(buf, last, last);
	return list_next(start, p, end);
}

/* §20.16: CSeq = 1*DIGIT LWS Method. */
int
hl_sip_parse_cseq(const uint8_t *buf, struct hl_sip_slice s, struct hl_sip_cseq *cseq)
{
	const uint8_t *p = buf + s.off, *end = p + s.len, *b, *q;
	uint64_t v = 0;

	p = scan_uint(skip_lws(p, end), end, 0x7fffffffu, &v);
	if (p == NULL)
		return HL_E_PARSE;
	q = skip_lws(p, end);
	if (q == p)
		return HL_E_PARSE;
	b = q;
	q = scan_cls(q, end, C_TOKEN);
	if (q == b || skip_lws(q, end) != end)
		return HL_E_PARSE;
	cseq->seq = (uint32_t)v;
	cseq->method_s = mkslice(buf, b, q);
	cseq->method = (uint8_t)hl_sip_method_lookup(b, (size_t)(q - b));
	return 0;
}

/* RFC 3262 §7.1: RSeq = response-num; §3: the first is 1 to 2^31 - 1, then + 1 each. */
int
hl_sip_parse_rseq(const uint8_t *buf, struct hl_sip_slice s, uint32_t *rseq)
{
	uint32_t v;

	if (hl_sip_parse_uint(buf, s, &v) != 0 || v == 0)
		return HL_E_PARSE;
	*rseq = v;
	return 0;
}

/* RFC 3262 §7.2: RAck = response-num LWS CSeq-num LWS Method; what follows the
 * response-num is a CSeq value (RFC 3261 §20.16) and is parsed as one. */
int
hl_sip_parse_rack(const uint8_t *buf, struct hl_sip_slice s, struct hl_sip_rack *rack)
{
	const uint8_t *p = buf + s.off, *end = p + s.len, *q;
	struct hl_sip_cseq cs;
	uint64_t rn = 0;

	p = scan_uint(skip_lws(p, end), end, UINT32_MAX, &rn);
	if (p == NULL || rn == 0)
		return HL_E_PARSE;
	q = skip_lws(p, end);
	if (q == p || hl_sip_parse_cseq(buf, mkslice(buf, q, end), &cs) != 0)
		return HL_E_PARSE;
	rack->rseq = (uint32_t)rn;
	rack->cseq = cs.seq;
	rack->method_s = cs.method_s;
	rack->method = cs.method;
	return 0;
}

/* RFC 4028 §4: Session-Expires = delta-seconds *( SEMI se-params ); Min-SE alike. */
int
hl_sip_parse_session_expires(const uint8_t *buf, struct hl_sip_slice s,
	struct hl_sip_session_expires *se)
{
	const uint8_t *p = buf + s.off, *end = p + s.len;
	struct hl_sip_slice value;
	uint64_t v = 0;

	memset(se, 0, sizeof(*se));
	p = scan_uint(skip_lws(p, end), end, UINT32_MAX, &v);
	if (p == NULL)
		return HL_E_PARSE;
	se->delta = (uint32_t)v;
	p = scan_params(buf, p, end, &se->params);
	if (p != end)
		return HL_E_PARSE;
	if (hl_sip_param_find(buf, se->params, "refresher", &value)) {
		if (hl_sip_slice_ieq(buf, value, "uac"))
			se->refresher = HL_SIP_REFRESHER_UAC;
		else if (hl_sip_slice_ieq(buf, value, "uas"))
			se->refresher = HL_SIP_REFRESHER_UAS;
		else
			return HL_E_PARSE;
	}
	return 0;
}

/*
 * §25.1 credentials / challenge: auth-scheme LWS auth-param *( COMMA auth-param ),
 * auth-param = auth-param-name EQUAL ( token / quoted-string ). Values are stored
 * without quotes; unknown parameters are counted and skipped.
 */
int
hl_sip_parse_digest(const uint8_t *buf, struct hl_sip_slice s, struct hl_sip_digest *d)
{
	const uint8_t *p = buf + s.off, *end = p + s.len, *b, *q;

	memset(d, 0, sizeof(*d));
	p = skip_lws(p, end);
	b = p;
	p = scan_cls(p, end, C_TOKEN);
	if (p == b)
		return HL_E_PARSE;
	d->scheme = mkslice(buf, b, p);
	q = skip_lws(p, end);
	if (q == end)
		return 0;
	if (q == p)
		return HL_E_PARSE;
	p = q;
	for (;;) {
		struct hl_sip_slice name, value;
		b = p;
		p = scan_cls(p, end, C_TOKEN);
		if (p == b)
			return HL_E_PARSE;
		name = mkslice(buf, b, p);
		p = skip_lws(p, end);
		if (p == end || *p != '=')
			return HL_E_PARSE;
		p = skip_lws(p + 1, end);
		if (p < end && *p == '"') {
			b = p;
			p = scan_quoted(p, end);
			if (p == NULL)
				return HL_E_PARSE;
			value = mkslice(buf, b + 1, p - 1);
		} else {
			b = p;
			p = scan_cls(p, end, C_TOKEN);
			if (p == b)
				return HL_E_PARSE;
			value = mkslice(buf, b, p);
		}
		const uint8_t *np = buf + name.off;
		struct hl_sip_slice *dst = NULL;
		switch (name.len) {
		case 2:
			if (IEQ(np, 2, "nc"))
				dst = &d->nc;
			break;
		case 3:
			if (IEQ(np, 3, "uri"))
				dst = &d->uri;
			else if (IEQ(np, 3, "qop"))
				dst = &d->qop;
			break;
		case 5:
			if (IEQ(np, 5, "realm"))
				dst = &d->realm;
			else if (IEQ(np, 5, "nonce"))
				dst = &d->nonce;
			else if (IEQ(np, 5, "stale"))
				dst = &d->stale;
			break;
		case 6:
			if (IEQ(np, 6, "cnonce"))
				dst = &d->cnonce;
			else if (IEQ(np, 6, "opaque"))
				dst = &d->opaque;
			else if (IEQ(np, 6, "domain"))
				dst = &d->domain;
			break;
		case 8:
			if (IEQ(np, 8, "username"))
				dst = &d->username;
			else if (IEQ(np, 8, "response"))
				dst = &d->response;
			break;
		case 9:
			if (IEQ(np, 9, "algorithm"))
				dst = &d->algorithm;
			break;
		}
		if (dst != NULL)
			*dst = value;
		if (d->nparams < UINT8_MAX)
			d->nparams++;
		p = skip_lws(p, end);
		if (p == end)
			return 0;
		if (*p != ',')
			return HL_E_PARSE;
		p = skip_lws(p + 1, end);
	}
}

int
hl_sip_parse_token(const uint8_t *buf, struct hl_sip_slice s, struct hl_sip_slice *tok)
{
	const uint8_t *start = buf + s.off, *end = start + s.len;
	const uint8_t *p = skip_lws(start, end), *b = p;
	p = scan_cls(p, end, C_TOKEN);
	if (p == b)
		return HL_E_PARSE;
	*tok = mkslice(buf, b, p);
	return list_next(start, skip_lws(p, end), end);
}

/* §20.5: Allow = [Method *(COMMA Method)]; an empty Allow lists nothing. */
int
hl_sip_parse_allow(const uint8_t *buf, struct hl_sip_slice s, uint32_t *mask)
{
	struct hl_sip_slice tok;
	int n;
	*mask = 0;
	while (s.len > 0) {
		n = hl_sip_parse_token(buf, s, &tok);
		if (n < 0) {
			/* Only LWS left counts as empty. */
			if (skip_lws(buf + s.off, buf + s.off + s.len) == buf + s.off + s.len)
				return 0;
			return n;
		}
		*mask |= 1u << hl_sip_method_lookup(buf + tok.off, tok.len);
		advance(&s, n);
	}
	return 0;
}

int
hl_sip_has_option(const uint8_t *buf, const struct hl_sip_msg *m, enum hl_sip_hdr id,
	const char *tag)
{
	for (const struct hl_sip_hdr_field *h = hl_sip_hdr_first(m, id); h != NULL;
		h = hl_sip_hdr_next(m, h)) {
		struct hl_sip_slice s = h->value, tok;
		int n;
		while (s.len > 0 && (n = hl_sip_parse_token(buf, s, &tok)) > 0) {
			if (hl_sip_slice_ieq(buf, tok, tag))
				return 1;
			advance(&s, n);
		}
	}
	return 0;
}

/* §20.15: media-type = m-type SLASH m-subtype *(SEMI m-parameter). */
int
hl_sip_parse_media_type(const uint8_t *buf, struct hl_sip_slice s,
	struct hl_sip_media_type *mt)
{
	const uint8_t *p = buf + s.off, *end = p + s.len, *b;

	memset(mt, 0, sizeof(*mt));
	p = skip_lws(p, end);
	b = p;
	p = scan_cls(p, end, C_TOKEN);
	if (p == b)
		return HL_E_PARSE;
	mt->type = mkslice(buf, b, p);
	p = skip_lws(p, end);
	if (p == end || *p != '/')
		return HL_E_PARSE;
	p = skip_lws(p + 1, end);
	b = p;
	p = scan_cls(p, end, C_TOKEN);
	if (p == b)
		return HL_E_PARSE;
	mt->subtype = mkslice(buf, b, p);
	p = scan_params(buf, p, end, &mt->params);
	return p == end ? 0 : HL_E_PARSE;
}

/* RFC 3326 §2: reason-value = protocol *(SEMI reason-params), cause and text. */
int
hl_sip_parse_reason(const uint8_t *buf, struct hl_sip_slice s, struct hl_sip_reason *r)
{
	const uint8_t *start = buf + s.off, *end = start + s.len;
	const uint8_t *p = skip_lws(start, end), *b = p;
	struct hl_sip_slice value;
	uint64_t v = 0;

	memset(r, 0, sizeof(*r));
	r->cause = -1;
	p = scan_cls(p, end, C_TOKEN);
	if (p == b)
		return HL_E_PARSE;
	r->protocol = mkslice(buf, b, p);
	p = scan_params(buf, p, end, &r->params);
	if (p == NULL)
		return HL_E_PARSE;
	if (hl_sip_param_find(buf, r->params, "cause", &value)) {
		const uint8_t *vp = buf + value.off;
		if (scan_uint(vp, vp + value.len, 65535, &v) != vp + value.len)
			return HL_E_PARSE;
		r->cause = (int32_t)v;
	}
	if (hl_sip_param_find(buf, r->params, "text", &value))
		r->text = value;
	return list_next(start, p, end);
}

/* RFC 3891 §6.1: Replaces = callid *(SEMI replaces-param); to-tag and from-tag are
 * mandatory. */
int
hl_sip_parse_replaces(const uint8_t *buf, struct hl_sip_slice s, struct hl_sip_replaces *r)
{
	const uint8_t *p = buf + s.off, *end = p + s.len, *b;
	struct hl_sip_slice params, value, name;
	int n;

	memset(r, 0, sizeof(*r));
	p = skip_lws(p, end);
	b = p;
	while (p < end && (CC(*p, C_WORD) || *p == '@'))
		p++;
	if (p == b)
		return HL_E_PARSE;
	r->call_id = mkslice(buf, b, p);
	p = scan_params(buf, p, end, &params);
	if (p != end)
		return HL_E_PARSE;
	while ((n = hl_sip_param_next(buf, params, &name, &value)) > 0) {
		const uint8_t *np = buf + name.off;
		if (IEQ(np, name.len, "to-tag"))
			r->to_tag = value;
		else if (IEQ(np, name.len, "from-tag"))
			r->from_tag = value;
		else if (IEQ(np, name.len, "early-only"))
			r->early_only = 1;
		advance(&params, n);
	}
	if (n < 0 || r->to_tag.len == 0 || r->from_tag.len == 0)
		return HL_E_PARSE;
	return 0;
}
