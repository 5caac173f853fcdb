/*
 * SIP, SIPS and tel URIs, hosts and generic parameters (include/hotline/sip.h).
 *
 * RFC 3261 §19.1.1 and §25.1 give the sip/sips grammar, RFC 3966 §3 the tel one,
 * RFC 5118 §4 the IPv6 references in both. Every element is checked against its
 * character class; %-escapes are checked here and decoded only on request.
 */
#include <string.h>

#include "hotline/sip.h"
#include "dataplane/sip_priv.h"

const uint8_t *
hl_sip_skip_lws_slow(const uint8_t *p, const uint8_t *end)
{
	for (;;) {
		if (p < end && (*p == ' ' || *p == '\t')) {
			p++;
		} else if (end - p >= 3 && p[0] == '\r' && p[1] == '\n' &&
			(p[2] == ' ' || p[2] == '\t')) {
			p += 3;
		} else {
			return p;
		}
	}
}

static int
hexval(uint8_t c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = (uint8_t)lower(c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* Scans octets of class cls or "%" HEXDIG HEXDIG (escaped); returns where it stopped
 * or NULL on a broken escape. */
static const uint8_t *
scan_esc(const uint8_t *p, const uint8_t *end, uint16_t cls)
{
	while (p < end) {
		if (CC(*p, cls)) {
			p++;
		} else if (*p == '%') {
			if (end - p < 3 || !CC(p[1], C_HEX) || !CC(p[2], C_HEX))
				return NULL;
			p += 3;
		} else {
			break;
		}
	}
	return p;
}

/* RFC 3261 §25.1 IPv4address: four 1*3DIGIT below 256. */
int
hl_sip_ipv4_ok(const uint8_t *p, size_t n)
{
	size_t i = 0;
	for (int part = 0; part < 4; part++) {
		unsigned int v = 0, d = 0;
		while (i < n && CC(p[i], C_DIGIT) && d < 4) {
			v = v * 10 + (unsigned int)(p[i] - '0');
			i++, d++;
		}
		if (d == 0 || d > 3 || v > 255)
			return 0;
		if (part < 3) {
			if (i == n || p[i] != '.')
				return 0;
			i++;
		}
	}
	return i == n;
}

/* RFC 3261 §25.1 IPv6address (RFC 4291 §2.2 text forms), without brackets. */
int
hl_sip_ipv6_ok(const uint8_t *p, size_t n)
{
	size_t i = 0;
	unsigned int groups = 0;
	int dc = 0;

	if (n < 2)
		return 0;
	if (p[0] == ':') {
		if (p[1] != ':')
			return 0;
		i = 2;
		dc = 1;
	}
	while (i < n) {
		size_t b = i;
		while (i < n && CC(p[i], C_HEX) && i - b < 5)
			i++;
		if (i == b || i - b > 4)
			return 0;
		if (i < n && p[i] == '.') {
			if (!hl_sip_ipv4_ok(p + b, n - b))
				return 0;
			groups += 2;
			break;
		}
		groups++;
		if (i == n)
			break;
		if (p[i] != ':')
			return 0;
		i++;
		if (i < n && p[i] == ':') {
			if (dc)
				return 0;
			dc = 1;
			i++;
		} else if (i == n) {
			return 0;
		}
	}
	return dc ? groups <= 7 : groups == 8;
}

/* RFC 3261 §25.1 hostname = *( domainlabel "." ) toplabel [ "." ]. */
static int
hostname_ok(const uint8_t *p, size_t n)
{
	size_t i = 0, lb = 0;
	if (n == 0)
		return 0;
	if (p[n - 1] == '.')
		n--;
	while (i <= n) {
		if (i == n || p[i] == '.') {
			size_t ll = i - lb;
			if (ll == 0 || p[lb] == '-' || p[i - 1] == '-')
				return 0;
			if (i == n && !CC(p[lb], C_ALPHA))
				return 0; /* toplabel starts with ALPHA */
			lb = i + 1;
		} else if (!CC(p[i], C_ALPHA | C_DIGIT) && p[i] != '-') {
			return 0;
		}
		i++;
	}
	return 1;
}

enum hl_sip_host_type
hl_sip_host_type(const uint8_t *p, size_t len)
{
	if (len == 0)
		return HL_SIP_HOST_NONE;
	if (p[0] == '[')
		return (len > 2 && p[len - 1] == ']' && hl_sip_ipv6_ok(p + 1, len - 2)) ?
			HL_SIP_HOST_IPV6 : HL_SIP_HOST_NONE;
	if (CC(p[0], C_DIGIT) && hl_sip_ipv4_ok(p, len))
		return HL_SIP_HOST_IPV4;
	return hostname_ok(p, len) ? HL_SIP_HOST_NAME : HL_SIP_HOST_NONE;
}

/* host [":" port]; returns the end or NULL. */
const uint8_t *
hl_sip_scan_hostport(const uint8_t *buf, const uint8_t *p, const uint8_t *end,
	struct hl_sip_slice *host, uint8_t *type, uint16_t *port)
{
	const uint8_t *b = p;
	if (p < end && *p == '[') {
		const uint8_t *rb = memchr(p, ']', (size_t)(end - p));
		if (rb == NULL)
			return NULL;
		p = rb + 1;
	} else {
		while (p < end && CC(*p, C_HOST))
			p++;
	}
	*type = (uint8_t)hl_sip_host_type(b, (size_t)(p - b));
	if (*type == HL_SIP_HOST_NONE)
		return NULL;
	*host = mkslice(buf, b, p);
	*port = 0;
	if (p < end && *p == ':') {
		uint64_t v = 0;
		const uint8_t *q = scan_uint(p + 1, end, 65535, &v);
		if (q == NULL || q - p > 6 || v == 0)
			return NULL;
		*port = (uint16_t)v;
		p = q;
	}
	return p;
}

/* The uri-parameters a B2BUA reads (§19.1.1), from one "pname [= pvalue]". */
static void
uri_known_param(const uint8_t *buf, const uint8_t *nb, const uint8_t *ne,
	const uint8_t *vb, const uint8_t *ve, struct hl_sip_uri *uri)
{
	size_t n = (size_t)(ne - nb);
	if (IEQ(nb, n, "transport"))
		uri->transport = mkslice(buf, vb, ve);
	else if (IEQ(nb, n, "user"))
		uri->user_param = mkslice(buf, vb, ve);
	else if (IEQ(nb, n, "maddr"))
		uri->maddr = mkslice(buf, vb, ve);
	else if (IEQ(nb, n, "lr"))
		uri->flags |= HL_SIP_URI_LR;
}

/*
 * *( ";" pname [ "=" pvalue ] ) of a URI (§25.1 uri-parameters, RFC 3966 par). With
 * uri, the known parameters are read in the same pass; the value of one without "="
 * is empty at the end of its name, as hl_sip_param_next() gives it.
 */
static const uint8_t *
scan_uri_params(const uint8_t *buf, const uint8_t *p, const uint8_t *end,
	struct hl_sip_uri *uri)
{
	while (p < end && *p == ';') {
		const uint8_t *nb = ++p, *ne, *vb;
		p = scan_esc(p, end, C_PARAM);
		if (p == NULL || p == nb)
			return NULL;
		ne = vb = p;
		if (p < end && *p == '=') {
			vb = ++p;
			p = scan_esc(p, end, C_PARAM);
			if (p == NULL || p == vb)
				return NULL;
		}
		if (uri != NULL)
			uri_known_param(buf, nb, ne, vb, p, uri);
	}
	return p;
}

/* RFC 3966 §3: telephone-subscriber, then ;par. Digits, hex, * # + and the visual
 * separators - . ( ). */
static int
parse_tel(const uint8_t *buf, const uint8_t *p, const uint8_t *end, struct hl_sip_uri *uri)
{
	const uint8_t *b = p;
	unsigned int digits = 0;
	if (p < end && *p == '+')
		p++;
	for (; p < end && *p != ';'; p++) {
		if (CC(*p, C_HEX) || *p == '*' || *p == '#')
			digits++;
		else if (*p != '-' && *p != '.' && *p != '(' && *p != ')')
			return HL_E_PARSE;
	}
	if (digits == 0)
		return HL_E_PARSE;
	uri->user = mkslice(buf, b, p);
	const uint8_t *pb = p;
	p = scan_uri_params(buf, p, end, NULL);
	if (p != end)
		return HL_E_PARSE;
	if (pb < end)
		uri->params = mkslice(buf, pb + 1, end);
	return 0;
}

int
hl_sip_parse_uri(const uint8_t *buf, struct hl_sip_slice s, struct hl_sip_uri *uri)
{
	const uint8_t *p = buf + s.off, *end = p + s.len, *b;

	memset(uri, 0, sizeof(*uri));
	if (p == end || !CC(*p, C_ALPHA))
		return HL_E_PARSE;
	b = p;
	while (p < end && CC(*p, C_SCHEME))
		p++;
	if (p == end || *p != ':')
		return HL_E_PARSE;
	if (IEQ(b, (size_t)(p - b), "sip"))
		uri->scheme = HL_SIP_URI_SIP;
	else if (IEQ(b, (size_t)(p - b), "sips"))
		uri->scheme = HL_SIP_URI_SIPS;
	else if (IEQ(b, (size_t)(p - b), "tel"))
		uri->scheme = HL_SIP_URI_TEL;
	else
		return HL_E_SCHEME;
	p++;
	if (uri->scheme == HL_SIP_URI_TEL)
		return parse_tel(buf, p, end, uri);

	/* §25.1: userinfo = ( user / telephone-subscriber ) [ ":" password ] "@". '@' is
	 * in no later class unescaped, so the first one ends the userinfo. */
	const uint8_t *at = memchr(p, '@', (size_t)(end - p));
	if (at != NULL) {
		b = p;
		p = scan_esc(p, at, C_USER);
		if (p == NULL || p == b)
			return HL_E_PARSE;
		uri->user = mkslice(buf, b, p);
		if (p < at && *p == ':') {
			b = ++p;
			p = scan_esc(p, at, C_PASS);
			if (p == NULL)
				return HL_E_PARSE;
			uri->password = mkslice(buf, b, p);
		}
		if (p != at)
			return HL_E_PARSE;
		p++;
	}
	p = hl_sip_scan_hostport(buf, p, end, &uri->host, &uri->host_type, &uri->port);
	if (p == NULL)
		return HL_E_PARSE;
	if (p < end && *p == ';') {
		b = p;
		p = scan_uri_params(buf, p, end, uri);
		if (p == NULL)
			return HL_E_PARSE;
		uri->params = mkslice(buf, b + 1, p);
	}
	if (p < end && *p == '?') {
		/* headers = "?" header *( "&" header ); header = hname "=" hvalue */
		b = ++p;
		for (;;) {
			const uint8_t *h = p;
			p = scan_esc(p, end, C_HNV);
			if (p == NULL || p == h || p == end || *p != '=')
				return HL_E_PARSE;
			p = scan_esc(p + 1, end, C_HNV);
			if (p == NULL)
				return HL_E_PARSE;
			if (p == end || *p != '&')
				break;
			p++;
		}
		uri->headers = mkslice(buf, b, p);
	}
	return p == end ? 0 : HL_E_PARSE;
}

int
hl_sip_unescape(const uint8_t *buf, struct hl_sip_slice s, char *out, size_t cap)
{
	const uint8_t *p = buf + s.off, *end = p + s.len;
	size_t n = 0;
	while (p < end) {
		int c = *p;
		if (c == '%') {
			if (end - p < 3 || hexval(p[1]) < 0 || hexval(p[2]) < 0)
				return HL_E_PARSE;
			c = hexval(p[1]) << 4 | hexval(p[2]);
			p += 3;
		} else {
			p++;
		}
		if (n == cap)
			return HL_E_TOOBIG;
		out[n++] = (char)c;
	}
	return (int)n;
}

int
hl_sip_unquote(const uint8_t *buf, struct hl_sip_slice s, char *out, size_t cap)
{
	const uint8_t *p = buf + s.off, *end = p + s.len;
	size_t n = 0;
	while (p < end) {
		if (*p == '\\') {
			if (end - p < 2)
				return HL_E_PARSE;
			p++;
		}
		if (n == cap)
			return HL_E_TOOBIG;
		out[n++] = (char)*p++;
	}
	return (int)n;
}

int
hl_sip_param_next(const uint8_t *buf, struct hl_sip_slice rest, struct hl_sip_slice *name,
	struct hl_sip_slice *value)
{
	const uint8_t *start = buf + rest.off, *end = start + rest.len;
	const uint8_t *p = skip_lws(start, end), *b;

	if (p == end)
		return 0;
	b = p;
	p = scan_esc(p, end, C_TOKEN | C_PARAM);
	if (p == NULL || p == b)
		return HL_E_PARSE;
	*name = mkslice(buf, b, p);
	*value = mkslice(buf, p, p);
	p = skip_lws(p, end);
	if (p < end && *p == '=') {
		p = skip_lws(p + 1, end);
		if (p < end && *p == '"') {
			b = p;
			p = scan_quoted(p, end);
			if (p == NULL)
				return HL_E_PARSE;
			*value = mkslice(buf, b + 1, p - 1);
		} else {
			b = p;
			p = scan_esc(p, end, C_TOKEN | C_PARAM);
			if (p == NULL || p == b)
				return HL_E_PARSE;
			*value = mkslice(buf, b, p);
		}
		p = skip_lws(p, end);
	}
	if (p < end) {
		if (*p != ';')
			return HL_E_PARSE;
		p++;
		/* "a;" with nothing after is a dangling separator. */
		if (skip_lws(p, end) == end)
			return HL_E_PARSE;
	}
	return (int)(p - start);
}

int
hl_sip_param_find(const uint8_t *buf, struct hl_sip_slice params, const char *name,
	struct hl_sip_slice *value)
{
	struct hl_sip_slice n, v;
	int r;
	while ((r = hl_sip_param_next(buf, params, &n, &v)) > 0) {
		if (hl_sip_slice_ieq(buf, n, name)) {
			*value = v;
			return 1;
		}
		params.off = (uint16_t)(params.off + r);
		params.len = (uint16_t)(params.len - r);
	}
	return 0;
}
