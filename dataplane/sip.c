/*
 * SIP message parser: start line, header lines, UDP framing (include/hotline/sip.h).
 *
 * One pass over the head, eight bytes a step for each line's colon and CR (sip_priv.h);
 * header names resolved through per-letter candidate lists that include the compact
 * forms, compared as words; bodies are left to sip_hdr.c and sip_uri.c until asked for.
 */
#include <string.h>

#include "hotline/sip.h"
#include "dataplane/sip_priv.h"

/* See the class list in sip_priv.h; generated from those character sets. */
const uint16_t hl_sip_cc[256] = {
	/* 0x00 */ 0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000,
	/* 0x08 */ 0x0000, 0x1400, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000,
	/* 0x10 */ 0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000,
	/* 0x18 */ 0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000,
	/* 0x20 */ 0x1400, 0x19f1, 0x1800, 0x1000, 0x11e0, 0x1801, 0x10e0, 0x19f1,
	/* 0x28 */ 0x19f0, 0x19f0, 0x19f1, 0x39e1, 0x1060, 0x3bf1, 0x3bf1, 0x19a0,
	/* 0x30 */ 0x3bf7, 0x3bf7, 0x3bf7, 0x3bf7, 0x3bf7, 0x3bf7, 0x3bf7, 0x3bf7,
	/* 0x38 */ 0x3bf7, 0x3bf7, 0x1980, 0x1020, 0x1800, 0x1060, 0x1800, 0x1920,
	/* 0x40 */ 0x1000, 0x3bfd, 0x3bfd, 0x3bfd, 0x3bfd, 0x3bfd, 0x3bfd, 0x3bf9,
	/* 0x48 */ 0x3bf9, 0x3bf9, 0x3bf9, 0x3bf9, 0x3bf9, 0x3bf9, 0x3bf9, 0x3bf9,
	/* 0x50 */ 0x3bf9, 0x3bf9, 0x3bf9, 0x3bf9, 0x3bf9, 0x3bf9, 0x3bf9, 0x3bf9,
	/* 0x58 */ 0x3bf9, 0x3bf9, 0x3bf9, 0x1980, 0x1800, 0x1980, 0x1000, 0x19f1,
	/* 0x60 */ 0x1801, 0x3bfd, 0x3bfd, 0x3bfd, 0x3bfd, 0x3bfd, 0x3bfd, 0x3bf9,
	/* 0x68 */ 0x3bf9, 0x3bf9, 0x3bf9, 0x3bf9, 0x3bf9, 0x3bf9, 0x3bf9, 0x3bf9,
	/* 0x70 */ 0x3bf9, 0x3bf9, 0x3bf9, 0x3bf9, 0x3bf9, 0x3bf9, 0x3bf9, 0x3bf9,
	/* 0x78 */ 0x3bf9, 0x3bf9, 0x3bf9, 0x1800, 0x1000, 0x1800, 0x19f1, 0x0000,
	/* 0x80 */ 0x1000, 0x1000, 0x1000, 0x1000, 0x1000, 0x1000, 0x1000, 0x1000,
	/* 0x88 */ 0x1000, 0x1000, 0x1000, 0x1000, 0x1000, 0x1000, 0x1000, 0x1000,
	/* 0x90 */ 0x1000, 0x1000, 0x1000, 0x1000, 0x1000, 0x1000, 0x1000, 0x1000,
	/* 0x98 */ 0x1000, 0x1000, 0x1000, 0x1000, 0x1000, 0x1000, 0x1000, 0x1000,
	/* 0xa0 */ 0x1000, 0x1000, 0x1000, 0x1000, 0x1000, 0x1000, 0x1000, 0x1000,
	/* 0xa8 */ 0x1000, 0x1000, 0x1000, 0x1000, 0x1000, 0x1000, 0x1000, 0x1000,
	/* 0xb0 */ 0x1000, 0x1000, 0x1000, 0x1000, 0x1000, 0x1000, 0x1000, 0x1000,
	/* 0xb8 */ 0x1000, 0x1000, 0x1000, 0x1000, 0x1000, 0x1000, 0x1000, 0x1000,
	/* 0xc0 */ 0x1000, 0x1000, 0x1000, 0x1000, 0x1000, 0x1000, 0x1000, 0x1000,
	/* 0xc8 */ 0x1000, 0x1000, 0x1000, 0x1000, 0x1000, 0x1000, 0x1000, 0x1000,
	/* 0xd0 */ 0x1000, 0x1000, 0x1000, 0x1000, 0x1000, 0x1000, 0x1000, 0x1000,
	/* 0xd8 */ 0x1000, 0x1000, 0x1000, 0x1000, 0x1000, 0x1000, 0x1000, 0x1000,
	/* 0xe0 */ 0x1000, 0x1000, 0x1000, 0x1000, 0x1000, 0x1000, 0x1000, 0x1000,
	/* 0xe8 */ 0x1000, 0x1000, 0x1000, 0x1000, 0x1000, 0x1000, 0x1000, 0x1000,
	/* 0xf0 */ 0x1000, 0x1000, 0x1000, 0x1000, 0x1000, 0x1000, 0x1000, 0x1000,
	/* 0xf8 */ 0x1000, 0x1000, 0x1000, 0x1000, 0x1000, 0x1000, 0x1000, 0x1000,
};

static const char *const method_names[HL_SIP_METHOD_MAX_] = {
	[HL_SIP_METHOD_OTHER] = "",
#define M_NAME_(sym, str) [HL_SIP_METHOD_##sym] = str,
	HL_SIP_FOREACH_METHOD(M_NAME_)
#undef M_NAME_
};

static const struct {
	const char *name;
	uint8_t len;
	char compact;
} hdr_names[HL_SIP_HDR_MAX_] = {
	[HL_SIP_HDR_OTHER] = {"", 0, 0},
#define H_NAME_(sym, str, c) [HL_SIP_HDR_##sym] = {str, sizeof(str) - 1, c},
	HL_SIP_FOREACH_HDR(H_NAME_)
#undef H_NAME_
};

/*
 * Candidates by first letter, most frequent first. tests/test_sip.c checks that every
 * name of HL_SIP_FOREACH_HDR is reachable here, so a new header cannot be forgotten.
 */
#define L_(...)                                                                            \
	(const uint8_t[])                                                                  \
	{                                                                                  \
		__VA_ARGS__, 0                                                             \
	}
static const uint8_t *const by_letter[26] = {
	['a' - 'a'] = L_(HL_SIP_HDR_ALLOW, HL_SIP_HDR_AUTHORIZATION, HL_SIP_HDR_ALLOW_EVENTS,
		HL_SIP_HDR_ACCEPT),
	['c' - 'a'] = L_(HL_SIP_HDR_CALL_ID, HL_SIP_HDR_CSEQ, HL_SIP_HDR_CONTACT,
		HL_SIP_HDR_CONTENT_LENGTH, HL_SIP_HDR_CONTENT_TYPE, HL_SIP_HDR_CONTENT_ENCODING),
	['d' - 'a'] = L_(HL_SIP_HDR_DIVERSION),
	['e' - 'a'] = L_(HL_SIP_HDR_EXPIRES, HL_SIP_HDR_EVENT),
	['f' - 'a'] = L_(HL_SIP_HDR_FROM),
	['i' - 'a'] = L_(HL_SIP_HDR_IDENTITY),
	['m' - 'a'] = L_(HL_SIP_HDR_MAX_FORWARDS, HL_SIP_HDR_MIN_SE, HL_SIP_HDR_MIN_EXPIRES),
	['p' - 'a'] = L_(HL_SIP_HDR_P_ASSERTED_IDENTITY, HL_SIP_HDR_PROXY_AUTHORIZATION,
		HL_SIP_HDR_PROXY_AUTHENTICATE, HL_SIP_HDR_PROXY_REQUIRE,
		HL_SIP_HDR_P_PREFERRED_IDENTITY, HL_SIP_HDR_PRIVACY),
	['r' - 'a'] = L_(HL_SIP_HDR_ROUTE, HL_SIP_HDR_RECORD_ROUTE, HL_SIP_HDR_REQUIRE,
		HL_SIP_HDR_REASON, HL_SIP_HDR_REFER_TO, HL_SIP_HDR_REFERRED_BY,
		HL_SIP_HDR_REPLACES, HL_SIP_HDR_RSEQ, HL_SIP_HDR_RACK),
	['s' - 'a'] = L_(HL_SIP_HDR_SUPPORTED, HL_SIP_HDR_SESSION_EXPIRES, HL_SIP_HDR_SERVER,
		HL_SIP_HDR_SUBJECT),
	['t' - 'a'] = L_(HL_SIP_HDR_TO, HL_SIP_HDR_TIMESTAMP),
	['u' - 'a'] = L_(HL_SIP_HDR_USER_AGENT, HL_SIP_HDR_UNSUPPORTED),
	['v' - 'a'] = L_(HL_SIP_HDR_VIA),
	['w' - 'a'] = L_(HL_SIP_HDR_WWW_AUTHENTICATE, HL_SIP_HDR_WARNING),
};
#undef L_

/* RFC 3261 §7.3.3 and the extensions' compact forms, by letter. */
static const uint8_t by_compact[26] = {
	['i' - 'a'] = HL_SIP_HDR_CALL_ID,
	['m' - 'a'] = HL_SIP_HDR_CONTACT,
	['f' - 'a'] = HL_SIP_HDR_FROM,
	['t' - 'a'] = HL_SIP_HDR_TO,
	['v' - 'a'] = HL_SIP_HDR_VIA,
	['c' - 'a'] = HL_SIP_HDR_CONTENT_TYPE,
	['l' - 'a'] = HL_SIP_HDR_CONTENT_LENGTH,
	['k' - 'a'] = HL_SIP_HDR_SUPPORTED,
	['s' - 'a'] = HL_SIP_HDR_SUBJECT,
	['e' - 'a'] = HL_SIP_HDR_CONTENT_ENCODING,
	['o' - 'a'] = HL_SIP_HDR_EVENT,
	['x' - 'a'] = HL_SIP_HDR_SESSION_EXPIRES,
	['r' - 'a'] = HL_SIP_HDR_REFER_TO,
	['b' - 'a'] = HL_SIP_HDR_REFERRED_BY,
	['u' - 'a'] = HL_SIP_HDR_ALLOW_EVENTS,
	['y' - 'a'] = HL_SIP_HDR_IDENTITY,
};

const char *
hl_sip_hdr_name(enum hl_sip_hdr id)
{
	return (unsigned int)id < HL_SIP_HDR_MAX_ ? hdr_names[id].name : "";
}

const char *
hl_sip_method_name(enum hl_sip_method m)
{
	return (unsigned int)m < HL_SIP_METHOD_MAX_ ? method_names[m] : "";
}

/*
 * Header names hold letters and '-' only. For a literal word w, (w & 0x40..) >> 1 sets
 * 0x20 in the letter bytes and not in the '-' ones, so (x | mask) == (w | mask) folds
 * case where it may and nowhere else: unlike a plain |0x20 it cannot take CR (0x0d) for
 * '-' (0x2d), so a name it matches is a valid token without a second pass.
 */
static inline int
wfold_eq(uint64_t x, uint64_t w)
{
	uint64_t mask = (w & 0x4040404040404040ull) >> 1;
	return (x | mask) == (w | mask);
}

static inline uint64_t
ld2(const void *p)
{
	uint16_t v;
	memcpy(&v, p, 2);
	return v;
}

static inline uint64_t
ld4(const void *p)
{
	uint32_t v;
	memcpy(&v, p, 4);
	return v;
}

static inline uint64_t
ld8(const void *p)
{
	uint64_t v;
	memcpy(&v, p, 8);
	return v;
}

/* [a, a+n) equals the name lit of the same length, n >= 2, by overlapping 2-, 4- or
 * 8-byte words (nginx compares methods the same way); reads nothing outside a. */
static inline int
name_eq(const uint8_t *a, const char *lit, size_t n)
{
	if (n >= 8) {
		size_t i = 0;
		for (; i + 8 < n; i += 8)
			if (!wfold_eq(ld8(a + i), ld8(lit + i)))
				return 0;
		return wfold_eq(ld8(a + n - 8), ld8(lit + n - 8));
	}
	if (n >= 4)
		return wfold_eq(ld4(a), ld4(lit)) && wfold_eq(ld4(a + n - 4), ld4(lit + n - 4));
	return wfold_eq(ld2(a), ld2(lit)) && wfold_eq(ld2(a + n - 2), ld2(lit + n - 2));
}

static inline enum hl_sip_hdr
hdr_lookup(const uint8_t *name, size_t len)
{
	if (len == 0)
		return HL_SIP_HDR_OTHER;
	unsigned int c = (unsigned int)lower(name[0]) - 'a';
	if (c >= 26)
		return HL_SIP_HDR_OTHER;
	if (len == 1)
		return (enum hl_sip_hdr)by_compact[c];
	const uint8_t *cand = by_letter[c];
	if (cand == NULL)
		return HL_SIP_HDR_OTHER;
	for (; *cand; cand++)
		if (hdr_names[*cand].len == len && name_eq(name, hdr_names[*cand].name, len))
			return (enum hl_sip_hdr)*cand;
	return HL_SIP_HDR_OTHER;
}

enum hl_sip_hdr
hl_sip_hdr_lookup(const uint8_t *name, size_t len)
{
	return hdr_lookup(name, len);
}

#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define W4(a, b, c, d)                                                                     \
	((uint32_t)(a) | (uint32_t)(b) << 8 | (uint32_t)(c) << 16 | (uint32_t)(d) << 24)
#else
#define W4(a, b, c, d)                                                                     \
	((uint32_t)(d) | (uint32_t)(c) << 8 | (uint32_t)(b) << 16 | (uint32_t)(a) << 24)
#endif

static inline uint32_t
load4(const uint8_t *p)
{
	uint32_t v;
	memcpy(&v, p, 4);
	return v;
}

/* Methods are case-sensitive (RFC 3261 §7.1): compared as 32-bit words (nginx). */
enum hl_sip_method
hl_sip_method_lookup(const uint8_t *p, size_t len)
{
	if (len == 3) {
		if (p[0] == 'A' && p[1] == 'C' && p[2] == 'K')
			return HL_SIP_METHOD_ACK;
		if (p[0] == 'B' && p[1] == 'Y' && p[2] == 'E')
			return HL_SIP_METHOD_BYE;
		return HL_SIP_METHOD_OTHER;
	}
	if (len < 4 || len > 9)
		return HL_SIP_METHOD_OTHER;
	uint32_t w = load4(p);
	enum hl_sip_method m = HL_SIP_METHOD_OTHER;
	switch (len) {
	case 4:
		if (w == W4('I', 'N', 'F', 'O'))
			return HL_SIP_METHOD_INFO;
		return HL_SIP_METHOD_OTHER;
	case 5:
		if (w == W4('P', 'R', 'A', 'C'))
			m = HL_SIP_METHOD_PRACK;
		else if (w == W4('R', 'E', 'F', 'E'))
			m = HL_SIP_METHOD_REFER;
		break;
	case 6:
		if (w == W4('I', 'N', 'V', 'I'))
			m = HL_SIP_METHOD_INVITE;
		else if (w == W4('C', 'A', 'N', 'C'))
			m = HL_SIP_METHOD_CANCEL;
		else if (w == W4('U', 'P', 'D', 'A'))
			m = HL_SIP_METHOD_UPDATE;
		else if (w == W4('N', 'O', 'T', 'I'))
			m = HL_SIP_METHOD_NOTIFY;
		break;
	case 7:
		if (w == W4('O', 'P', 'T', 'I'))
			m = HL_SIP_METHOD_OPTIONS;
		else if (w == W4('M', 'E', 'S', 'S'))
			m = HL_SIP_METHOD_MESSAGE;
		else if (w == W4('P', 'U', 'B', 'L'))
			m = HL_SIP_METHOD_PUBLISH;
		break;
	case 8:
		if (w == W4('R', 'E', 'G', 'I'))
			m = HL_SIP_METHOD_REGISTER;
		break;
	case 9:
		if (w == W4('S', 'U', 'B', 'S'))
			m = HL_SIP_METHOD_SUBSCRIBE;
		break;
	}
	if (m != HL_SIP_METHOD_OTHER && memcmp(p + 4, method_names[m] + 4, len - 4) != 0)
		m = HL_SIP_METHOD_OTHER;
	return m;
}

/* "SIP/2.0", case-insensitive as every ABNF literal. 0, or VERSION for another
 * well-formed SIP/x.y, or PARSE. */
static int
check_version(const uint8_t *p, size_t n)
{
	if (n == 7 && (p[0] | 0x20) == 's' && (p[1] | 0x20) == 'i' && (p[2] | 0x20) == 'p' &&
		p[3] == '/' && p[4] == '2' && p[5] == '.' && p[6] == '0')
		return 0;
	if (n < 7 || !IEQ(p, 4, "sip/"))
		return HL_E_PARSE;
	size_t i = 4, d = 0;
	while (i < n && CC(p[i], C_DIGIT))
		i++, d++;
	if (d == 0 || i == n || p[i] != '.')
		return HL_E_PARSE;
	i++, d = 0;
	while (i < n && CC(p[i], C_DIGIT))
		i++, d++;
	return (d > 0 && i == n) ? HL_E_VERSION : HL_E_PARSE;
}

static int
uri_scheme(const uint8_t *p, size_t n, uint8_t *scheme)
{
	size_t i = 0;
	if (n == 0 || !CC(p[0], C_ALPHA))
		return HL_E_PARSE;
	while (i < n && CC(p[i], C_SCHEME))
		i++;
	if (i == n || p[i] != ':')
		return HL_E_PARSE;
	if (IEQ(p, i, "sip"))
		*scheme = HL_SIP_URI_SIP;
	else if (IEQ(p, i, "sips"))
		*scheme = HL_SIP_URI_SIPS;
	else if (IEQ(p, i, "tel"))
		*scheme = HL_SIP_URI_TEL;
	else
		return HL_E_SCHEME;
	return 0;
}

/*
 * End of a line whose octets are all C_VCHAR: the CR of its CRLF. NULL with *err set
 * otherwise: INCOMPLETE at the end of input, PARSE on a stray octet. One word-at-a-time
 * pass finds the CR and any stray CTL together; HT is the only CTL a line may hold.
 */
static inline const uint8_t *
line_end(const uint8_t *p, const uint8_t *end, int *err)
{
	for (;;) {
		p = scan_ctl(p, end);
		if (p == end) {
			*err = HL_E_INCOMPLETE;
			return NULL;
		}
		if (*p != '\t')
			break;
		p++;
	}
	if (*p != '\r') {
		*err = HL_E_PARSE;
		return NULL;
	}
	if (p + 1 == end) {
		*err = HL_E_INCOMPLETE;
		return NULL;
	}
	if (p[1] != '\n') {
		*err = HL_E_PARSE;
		return NULL;
	}
	return p;
}

/*
 * The ':' ending a header name at p, or NULL when a CTL or the end comes first (a name
 * with HT before its colon, or a line cut short: the caller's slow path decides).
 */
static inline const uint8_t *
find_colon(const uint8_t *p, const uint8_t *end)
{
	while (end - p >= 8) {
		uint64_t x = load8(p), m = w8_lt(x, 0x20) | w8_eq(x, 0x7f) | w8_eq(x, ':');
		if (m) {
			p += w8_first(m);
			return *p == ':' ? p : NULL;
		}
		p += 8;
	}
	while (p < end && *p >= 0x20 && *p != 0x7f && *p != ':')
		p++;
	return p < end && *p == ':' ? p : NULL;
}

static int
parse_start_line(const uint8_t *buf, const uint8_t *p, const uint8_t *eol,
	struct hl_sip_msg *m, int *defer)
{
	/* RFC 3261 §7.2: Status-Line = SIP-Version SP Status-Code SP Reason-Phrase. */
	if (eol - p >= 4 && IEQ(p, 4, "sip/")) {
		m->flags |= HL_SIP_F_RESPONSE;
		const uint8_t *sp = memchr(p, ' ', (size_t)(eol - p));
		if (sp == NULL)
			return HL_E_PARSE;
		int v = check_version(p, (size_t)(sp - p));
		if (v == HL_E_PARSE)
			return v;
		*defer = v;
		if (eol - sp < 5 || !CC(sp[1], C_DIGIT) || !CC(sp[2], C_DIGIT) ||
			!CC(sp[3], C_DIGIT) || sp[4] != ' ')
			return HL_E_PARSE;
		m->status = (uint16_t)((sp[1] - '0') * 100 + (sp[2] - '0') * 10 + (sp[3] - '0'));
		if (m->status < 100 || m->status > 699)
			return HL_E_PARSE;
		m->reason = mkslice(buf, sp + 5, eol);
		return 0;
	}
	/* §7.1: Request-Line = Method SP Request-URI SP SIP-Version; one SP each. */
	const uint8_t *q = p;
	while (q < eol && CC(*q, C_TOKEN))
		q++;
	if (q == p || q == eol || *q != ' ')
		return HL_E_PARSE;
	m->flags |= HL_SIP_F_REQUEST;
	m->method_s = mkslice(buf, p, q);
	m->method = (uint8_t)hl_sip_method_lookup(p, (size_t)(q - p));
	const uint8_t *u = ++q;
	while (q < eol && *q != ' ' && *q != '\t')
		q++;
	if (q == u || q == eol || *q != ' ')
		return HL_E_PARSE;
	m->ruri = mkslice(buf, u, q);
	int v = check_version(q + 1, (size_t)(eol - q - 1));
	if (v == HL_E_PARSE)
		return v;
	int s = uri_scheme(u, (size_t)(q - u), &m->ruri_scheme);
	if (s == HL_E_PARSE)
		return s;
	/* 505 outranks 416: the version says how to read the rest. */
	*defer = v ? v : s;
	return 0;
}

int
hl_sip_parse(const uint8_t *buf, size_t len, struct hl_sip_msg *m)
{
	int err = 0, defer = 0;

	m->flags = 0;
	m->method = 0;
	m->nhdr = 0;
	m->ruri_scheme = 0;
	m->status = 0;
	m->head_len = 0;
	m->method_s = m->ruri = m->reason = m->body = (struct hl_sip_slice){0, 0};
	m->content_length = 0;
	memset(m->first, 0, sizeof(m->first));
	if (len > HL_SIP_MAX_LEN)
		return HL_E_TOOBIG;

	const uint8_t *p = buf, *end = buf + len;
	/* §7.5: CRLFs before the start line SHOULD be ignored. */
	while (end - p >= 2 && p[0] == '\r' && p[1] == '\n')
		p += 2;
	const uint8_t *eol = line_end(p, end, &err);
	if (eol == NULL)
		return err;
	err = parse_start_line(buf, p, eol, m, &defer);
	if (err) {
		/* A broken request line is still answered 400 (RFC 3261 §21.4.1) when the
		 * headers give a Via to answer along; a broken response is dropped. */
		if (!(m->flags & HL_SIP_F_REQUEST))
			return err;
		defer = err;
	}
	p = eol + 2;

	for (;;) {
		if (p == end)
			return HL_E_INCOMPLETE;
		if (*p == '\r') {
			if (end - p < 2)
				return HL_E_INCOMPLETE;
			if (p[1] != '\n')
				return HL_E_PARSE;
			p += 2;
			break;
		}
		/* §7.3.1: header-name HCOLON, HCOLON = *( SP / HTAB ) ":" SWS. The fast path
		 * finds the colon first and lets the lookup's exact compare vouch for known
		 * names; only unknown ones are checked octet by octet. */
		const uint8_t *nb = p, *ne;
		enum hl_sip_hdr id;
		const uint8_t *colon = find_colon(p, end);
		if (hl_likely(colon != NULL)) {
			ne = colon;
			while (ne > nb && ne[-1] == ' ')
				ne--;
			if (ne == nb)
				return HL_E_PARSE;
			id = hdr_lookup(nb, (size_t)(ne - nb));
			if (id == HL_SIP_HDR_OTHER) {
				for (p = nb; p < ne; p++)
					if (!CC(*p, C_TOKEN))
						return HL_E_PARSE;
			}
			p = colon + 1;
		} else {
			while (p < end && CC(*p, C_TOKEN))
				p++;
			ne = p;
			while (p < end && (*p == ' ' || *p == '\t'))
				p++;
			if (p == end)
				return HL_E_INCOMPLETE;
			if (ne == nb || *p != ':')
				return HL_E_PARSE;
			p++;
			id = hl_sip_hdr_lookup(nb, (size_t)(ne - nb));
		}
		const uint8_t *vb = p;
		/* §7.3.1: a line starting with SP or HT continues the value (a fold). */
		for (;;) {
			const uint8_t *cr = line_end(p, end, &err);
			if (cr == NULL)
				return err;
			if (end - cr < 3)
				return HL_E_INCOMPLETE;
			p = cr + 2;
			if (*p != ' ' && *p != '\t')
				break;
		}
		if (m->nhdr == HL_SIP_MAX_HEADERS)
			return HL_E_TOOBIG;
		const uint8_t *ve = trim_lws(vb, p - 2);
		vb = skip_lws(vb, ve);
		struct hl_sip_hdr_field *h = &m->hdr[m->nhdr++];
		h->name = mkslice(buf, nb, ne);
		h->value = mkslice(buf, vb, ve);
		h->id = (uint8_t)id;
		if (m->first[h->id] == 0)
			m->first[h->id] = m->nhdr;
	}
	m->head_len = (uint16_t)(p - buf);

	/* §18.3: over UDP the body ends at Content-Length; without one, at the end. */
	size_t rest = (size_t)(end - p);
	const struct hl_sip_hdr_field *cl = hl_sip_hdr_first(m, HL_SIP_HDR_CONTENT_LENGTH);
	if (cl != NULL) {
		uint32_t n;
		if (hl_sip_parse_uint(buf, cl->value, &n) != 0)
			return HL_E_PARSE;
		m->content_length = n;
		if (n > rest)
			return HL_E_INCOMPLETE;
		if (n < rest)
			m->flags |= HL_SIP_F_TRUNCATED;
		rest = n;
	} else {
		m->flags |= HL_SIP_F_NO_CLEN;
		m->content_length = (uint32_t)rest;
	}
	m->body = mkslice(buf, p, p + rest);
	if (defer)
		return defer;
	return (int)(p - buf + rest);
}

const struct hl_sip_hdr_field *
hl_sip_hdr_next(const struct hl_sip_msg *m, const struct hl_sip_hdr_field *prev)
{
	for (const struct hl_sip_hdr_field *h = prev + 1; h < m->hdr + m->nhdr; h++)
		if (h->id == prev->id)
			return h;
	return NULL;
}

int
hl_sip_slice_ieq(const uint8_t *buf, struct hl_sip_slice s, const char *str)
{
	size_t n = strlen(str);
	if (n != s.len)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (lower(buf[s.off + i]) != lower((uint8_t)str[i]))
			return 0;
	return 1;
}

const struct hl_sip_hdr_field *
hl_sip_hdr_find_name(const uint8_t *buf, const struct hl_sip_msg *m, const char *name)
{
	for (unsigned int i = 0; i < m->nhdr; i++)
		if (hl_sip_slice_ieq(buf, m->hdr[i].name, name))
			return &m->hdr[i];
	return NULL;
}

const char *
hl_sip_reason_phrase(int status)
{
	switch (status) {
	case 100: return "Trying";
	case 180: return "Ringing";
	case 181: return "Call Is Being Forwarded";
	case 182: return "Queued";
	case 183: return "Session Progress";
	case 200: return "OK";
	case 202: return "Accepted";
	case 300: return "Multiple Choices";
	case 301: return "Moved Permanently";
	case 302: return "Moved Temporarily";
	case 305: return "Use Proxy";
	case 380: return "Alternative Service";
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 402: return "Payment Required";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 406: return "Not Acceptable";
	case 407: return "Proxy Authentication Required";
	case 408: return "Request Timeout";
	case 410: return "Gone";
	case 413: return "Request Entity Too Large";
	case 414: return "Request-URI Too Long";
	case 415: return "Unsupported Media Type";
	case 416: return "Unsupported URI Scheme";
	case 420: return "Bad Extension";
	case 421: return "Extension Required";
	case 422: return "Session Interval Too Small";
	case 423: return "Interval Too Brief";
	case 480: return "Temporarily Unavailable";
	case 481: return "Call/Transaction Does Not Exist";
	case 482: return "Loop Detected";
	case 483: return "Too Many Hops";
	case 484: return "Address Incomplete";
	case 485: return "Ambiguous";
	case 486: return "Busy Here";
	case 487: return "Request Terminated";
	case 488: return "Not Acceptable Here";
	case 491: return "Request Pending";
	case 493: return "Undecipherable";
	case 500: return "Server Internal Error";
	case 501: return "Not Implemented";
	case 502: return "Bad Gateway";
	case 503: return "Service Unavailable";
	case 504: return "Server Time-out";
	case 505: return "Version Not Supported";
	case 513: return "Message Too Large";
	case 600: return "Busy Everywhere";
	case 603: return "Decline";
	case 604: return "Does Not Exist Anywhere";
	case 606: return "Not Acceptable";
	}
	return "Unknown";
}

int
hl_sip_error_status(int err, const struct hl_sip_msg *m, const char **reason)
{
	int code;

	if (err >= 0 || (m->flags & HL_SIP_F_RESPONSE) || !(m->flags & HL_SIP_F_REQUEST) ||
		m->first[HL_SIP_HDR_VIA] == 0 || m->method == HL_SIP_METHOD_ACK)
		return 0;
	switch (err) {
	case HL_E_VERSION:
		code = 505; /* RFC 3261 §8.2.2 says nothing else; §21.5.20 */
		break;
	case HL_E_SCHEME:
		code = 416; /* §8.2.2.1 */
		break;
	case HL_E_TOOBIG:
		code = 513; /* §21.5.21 */
		break;
	default:
		code = 400; /* §18.3, §21.4.1 */
		break;
	}
	if (reason != NULL)
		*reason = hl_sip_reason_phrase(code);
	return code;
}

static int
single(const struct hl_sip_msg *m, enum hl_sip_hdr id)
{
	const struct hl_sip_hdr_field *h = hl_sip_hdr_first(m, id);
	return h != NULL && hl_sip_hdr_next(m, h) == NULL && h->value.len > 0;
}

int
hl_sip_validate(const uint8_t *buf, const struct hl_sip_msg *m)
{
	struct hl_sip_name_addr na;
	struct hl_sip_via via;
	struct hl_sip_cseq cseq;
	struct hl_sip_uri uri;
	const struct hl_sip_hdr_field *h;
	uint32_t n;

	if (!single(m, HL_SIP_HDR_TO) || !single(m, HL_SIP_HDR_FROM) ||
		!single(m, HL_SIP_HDR_CALL_ID) || !single(m, HL_SIP_HDR_CSEQ))
		return HL_E_PARSE;
	h = hl_sip_hdr_first(m, HL_SIP_HDR_VIA);
	if (h == NULL || hl_sip_parse_via(buf, h->value, &via) < 0)
		return HL_E_PARSE;
	h = hl_sip_hdr_first(m, HL_SIP_HDR_CSEQ);
	if (hl_sip_parse_cseq(buf, h->value, &cseq) != 0)
		return HL_E_PARSE;
	h = hl_sip_hdr_first(m, HL_SIP_HDR_FROM);
	if (hl_sip_parse_name_addr(buf, h->value, &na) != h->value.len)
		return HL_E_PARSE;
	h = hl_sip_hdr_first(m, HL_SIP_HDR_TO);
	if (hl_sip_parse_name_addr(buf, h->value, &na) != h->value.len)
		return HL_E_PARSE;
	/* §20.10: Call-ID = word [ "@" word ]. */
	h = hl_sip_hdr_first(m, HL_SIP_HDR_CALL_ID);
	for (unsigned int i = 0, at = 0; i < h->value.len; i++) {
		uint8_t c = buf[h->value.off + i];
		if (c == '@' && !at && i > 0 && i + 1 < h->value.len)
			at = 1;
		else if (!CC(c, C_WORD))
			return HL_E_PARSE;
	}
	if (m->flags & HL_SIP_F_REQUEST) {
		/* §8.1.1.5: the CSeq method matches the request's. */
		if (cseq.method_s.len != m->method_s.len ||
			memcmp(buf + cseq.method_s.off, buf + m->method_s.off, cseq.method_s.len))
			return HL_E_PARSE;
		int r = hl_sip_parse_uri(buf, m->ruri, &uri);
		if (r != 0)
			return r;
		h = hl_sip_hdr_first(m, HL_SIP_HDR_MAX_FORWARDS);
		if (h != NULL && (hl_sip_parse_uint(buf, h->value, &n) != 0 || n > 255))
			return HL_E_PARSE;
	}
	return 0;
}
