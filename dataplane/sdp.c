/*
 * SDP parser (include/hotline/sdp.h): one pass over the lines of RFC 4566 §5, with the
 * attributes of RFC 3264, 3605, 4568, 4733 and 5761 decoded per stream.
 */
#include <string.h>

#include "hotline/sdp.h"
#include "dataplane/sip_priv.h"

static const char *const suite_names[HL_SDP_SUITE_MAX_] = {
	[HL_SDP_SUITE_UNKNOWN] = "",
	[HL_SDP_SUITE_AES_CM_128_HMAC_SHA1_80] = "AES_CM_128_HMAC_SHA1_80",
	[HL_SDP_SUITE_AES_CM_128_HMAC_SHA1_32] = "AES_CM_128_HMAC_SHA1_32",
	[HL_SDP_SUITE_AES_256_CM_HMAC_SHA1_80] = "AES_256_CM_HMAC_SHA1_80",
	[HL_SDP_SUITE_AES_256_CM_HMAC_SHA1_32] = "AES_256_CM_HMAC_SHA1_32",
	[HL_SDP_SUITE_AEAD_AES_128_GCM] = "AEAD_AES_128_GCM",
	[HL_SDP_SUITE_AEAD_AES_256_GCM] = "AEAD_AES_256_GCM",
};

/* The hotline/srtp.h suite of each, -1: not run there (RFC 6188's 32-bit-tag AES-256). */
static const int8_t suite_srtp[HL_SDP_SUITE_MAX_] = {
	[HL_SDP_SUITE_UNKNOWN] = -1,
	[HL_SDP_SUITE_AES_CM_128_HMAC_SHA1_80] = HL_SRTP_AES_CM_128_HMAC_SHA1_80,
	[HL_SDP_SUITE_AES_CM_128_HMAC_SHA1_32] = HL_SRTP_AES_CM_128_HMAC_SHA1_32,
	[HL_SDP_SUITE_AES_256_CM_HMAC_SHA1_80] = HL_SRTP_AES_256_CM_HMAC_SHA1_80,
	[HL_SDP_SUITE_AES_256_CM_HMAC_SHA1_32] = -1,
	[HL_SDP_SUITE_AEAD_AES_128_GCM] = HL_SRTP_AEAD_AES_128_GCM,
	[HL_SDP_SUITE_AEAD_AES_256_GCM] = HL_SRTP_AEAD_AES_256_GCM,
};

const char *
hl_sdp_suite_name(enum hl_sdp_suite s)
{
	return (unsigned int)s < HL_ARRAY_SIZE(suite_names) ? suite_names[s] : "";
}

int
hl_sdp_suite_srtp(enum hl_sdp_suite s)
{
	if ((unsigned int)s >= HL_ARRAY_SIZE(suite_srtp) || suite_srtp[s] < 0)
		return HL_E_UNSUPPORTED;
	return suite_srtp[s];
}

enum hl_sdp_suite
hl_sdp_suite_of_srtp(unsigned int srtp_suite)
{
	for (unsigned int i = 1; i < HL_ARRAY_SIZE(suite_srtp); i++)
		if (suite_srtp[i] >= 0 && (unsigned int)suite_srtp[i] == srtp_suite)
			return (enum hl_sdp_suite)i;
	return HL_SDP_SUITE_UNKNOWN;
}

/* A cursor over one line's value: fields separated by single SPs (§5). */
struct cur {
	const uint8_t *p, *end;
};

/* Next field up to SP or the end; 0 when empty. */
static int
field(const uint8_t *buf, struct cur *c, struct hl_sip_slice *out)
{
	const uint8_t *b = c->p;
	while (c->p < c->end && *c->p != ' ')
		c->p++;
	if (c->p == b)
		return 0;
	*out = mkslice(buf, b, c->p);
	if (c->p < c->end)
		c->p++;
	return 1;
}

static int
num(const uint8_t *buf, struct hl_sip_slice s, uint64_t max, uint64_t *v)
{
	const uint8_t *p = buf + s.off;
	return scan_uint(p, p + s.len, max, v) == p + s.len;
}

/* §5.7: <nettype> <addrtype> <connection-address>; unicast, or multicast with /ttl. */
static int
parse_conn(const uint8_t *buf, struct cur *c, struct hl_sdp_conn *conn)
{
	struct hl_sip_slice nt, at, addr;
	if (!field(buf, c, &nt) || !field(buf, c, &at) || !field(buf, c, &addr) || c->p != c->end)
		return HL_E_PARSE;
	if (!IEQ(buf + nt.off, nt.len, "in"))
		return HL_E_PARSE;
	const uint8_t *a = buf + addr.off;
	const uint8_t *slash = memchr(a, '/', addr.len);
	size_t alen = slash ? (size_t)(slash - a) : addr.len;
	if (slash != NULL) {
		uint64_t v = 0;
		const uint8_t *e = a + addr.len, *q = slash;
		while (q < e) {
			q = scan_uint(q + 1, e, 65535, &v);
			if (q == NULL || (q < e && *q != '/'))
				return HL_E_PARSE;
		}
	}
	if (IEQ(buf + at.off, at.len, "ip4")) {
		conn->addrtype = HL_SDP_ADDR_IP4;
		if (!hl_sip_ipv4_ok(a, alen) && hl_sip_host_type(a, alen) != HL_SIP_HOST_NAME)
			return HL_E_PARSE;
	} else if (IEQ(buf + at.off, at.len, "ip6")) {
		conn->addrtype = HL_SDP_ADDR_IP6;
		if (!hl_sip_ipv6_ok(a, alen) && hl_sip_host_type(a, alen) != HL_SIP_HOST_NAME)
			return HL_E_PARSE;
	} else {
		return HL_E_PARSE;
	}
	conn->addr = mkslice(buf, a, a + alen);
	return 0;
}

static struct hl_sdp_fmt *
find_fmt(struct hl_sdp_media *m, uint64_t pt)
{
	for (unsigned int i = 0; i < m->nfmt; i++)
		if (m->fmt[i].pt == pt)
			return &m->fmt[i];
	return NULL;
}

/* RFC 4568 §9.1: a=crypto:<tag> 1*WSP <crypto-suite> 1*WSP <key-params>
 * [1*WSP <session-params>]; key-param = "inline:" key||salt ["|" lifetime]
 * ["|" MKI ":" length], several joined by ';'. */
static int
parse_crypto(const uint8_t *buf, struct cur *c, struct hl_sdp_crypto *cr)
{
	struct hl_sip_slice tag, suite, keys;
	uint64_t v = 0;
	memset(cr, 0, sizeof(*cr));
	if (!field(buf, c, &tag) || !num(buf, tag, 999999999, &v) || !field(buf, c, &suite) ||
		!field(buf, c, &keys))
		return HL_E_PARSE;
	cr->tag = (uint32_t)v;
	cr->suite_s = suite;
	for (unsigned int i = 1; i < HL_ARRAY_SIZE(suite_names); i++)
		if (hl_sip_slice_ieq(buf, suite, suite_names[i]))
			cr->suite = (uint8_t)i;
	if (c->p < c->end)
		cr->session_params = mkslice(buf, c->p, c->end);
	const uint8_t *p = buf + keys.off, *end = p + keys.len;
	for (;;) {
		const uint8_t *kb = p;
		const uint8_t *ke = memchr(p, ';', (size_t)(end - p));
		if (ke == NULL)
			ke = end;
		if (ke - kb < 8 || !IEQ(kb, 7, "inline:"))
			return HL_E_PARSE;
		unsigned int i = cr->nkeys;
		if (cr->nkeys < UINT8_MAX)
			cr->nkeys++;
		if (i > 0 && i < HL_SDP_MAX_KEYS)
			cr->more[i - 1] = mkslice(buf, kb, ke);
		if (i == 0) {
			const uint8_t *k = kb + 7, *q = k;
			while (q < ke && *q != '|') {
				if (!CC(*q, C_ALPHA | C_DIGIT) && *q != '+' && *q != '/' && *q != '=')
					return HL_E_PARSE;
				q++;
			}
			if (q == k)
				return HL_E_PARSE;
			cr->key = mkslice(buf, k, q);
			cr->key_params = mkslice(buf, kb, ke);
			while (q < ke) {
				const uint8_t *b = ++q;
				while (q < ke && *q != '|')
					q++;
				const uint8_t *colon = memchr(b, ':', (size_t)(q - b));
				if (q == b)
					return HL_E_PARSE;
				if (colon != NULL) {
					uint64_t mki, ml;
					if (scan_uint(b, colon, UINT32_MAX, &mki) != colon ||
						scan_uint(colon + 1, q, 128, &ml) != q || ml == 0)
						return HL_E_PARSE;
					cr->mki = (uint32_t)mki;
					cr->mki_len = (uint8_t)ml;
				} else {
					if (cr->lifetime.len)
						return HL_E_PARSE;
					cr->lifetime = mkslice(buf, b, q);
				}
			}
		}
		if (ke == end)
			break;
		p = ke + 1;
	}
	return 0;
}

/* RFC 4568 §6.3, §9.2: the session parameters hotline/srtp.h can honour, as
 * hl_srtp_crypto_attr_parse() takes them: KDR=0 (no key derivation after the first,
 * all libsrtp does), WSH=64..32768 (a window size hint) and "-" extensions (optional, may
 * be ignored). UNENCRYPTED_*, UNAUTHENTICATED_SRTP, FEC_* and anything else would
 * weaken or change the stream: the line is refused, not the stream. 0 or HL_E_*. */
static int
session_params_ok(const uint8_t *buf, struct hl_sip_slice sp)
{
	const uint8_t *p = buf + sp.off, *end = p + sp.len;

	while (p < end) {
		const uint8_t *q = memchr(p, ' ', (size_t)(end - p));
		if (q == NULL)
			q = end;
		size_t n = (size_t)(q - p);
		uint64_t v = 0;
		if (n > 4 && memcmp(p, "WSH=", 4) == 0) {
			if (scan_uint(p + 4, q, 32768, &v) != q || v < 64)
				return HL_E_PARSE;
		} else if (n != 0 && !(n == 5 && memcmp(p, "KDR=0", 5) == 0) && p[0] != '-') {
			return HL_E_UNSUPPORTED;
		}
		if (q == end)
			break;
		p = q + 1;
	}
	return 0;
}

/* One key-param (RFC 4568 §9.1, "inline:" on) as hotline/srtp.h parses it. */
static int
key_param(const uint8_t *buf, struct hl_sip_slice kp, unsigned int suite, struct hl_srtp_key *key)
{
	/* "inline:" + base64 of 46 octets (64) + "|2^nn" + "|mki:len": well under this. */
	char tmp[192];
	const uint8_t *p = buf + kp.off;
	const uint8_t *bar = kp.len > 7 ? memchr(p + 7, '|', kp.len - 7u) : NULL;
	size_t head = bar != NULL ? (size_t)(bar - p) : kp.len, pad = 0, n;
	int rc;

	if (kp.len < 8 || !IEQ(p, 7, "inline:") || head == 7)
		return HL_E_PARSE;
	/* RFC 4568 §6.1 wants RFC 3548 base64, padded; FreeSWITCH strips the '='s
	 * (switch_core_media_build_crypto), so a 46-octet AES-256 key comes as 62
	 * characters. Put them back: the decoded length is still checked exactly. */
	if ((head - 7) % 4 && p[head - 1] != '=')
		pad = 4 - (head - 7) % 4;
	n = kp.len + pad;
	if (pad > 2 || n > sizeof(tmp))
		return HL_E_PARSE;
	memcpy(tmp, p, head);
	memset(tmp + head, '=', pad);
	memcpy(tmp + head + pad, p + head, kp.len - head);
	rc = hl_srtp_key_params_parse(tmp, n, suite, key);
	explicit_bzero(tmp, sizeof(tmp));
	return rc;
}

int
hl_sdp_crypto_keys(const uint8_t *buf, const struct hl_sdp_crypto *cr,
	struct hl_srtp_key keys[HL_SDP_MAX_KEYS])
{
	int suite = hl_sdp_suite_srtp((enum hl_sdp_suite)cr->suite);
	unsigned int n = cr->nkeys;
	int rc;

	memset(keys, 0, HL_SDP_MAX_KEYS * sizeof(keys[0]));
	if (suite < 0 || n > HL_SDP_MAX_KEYS)
		return HL_E_UNSUPPORTED;
	if (n == 0)
		return HL_E_PARSE;
	if ((rc = session_params_ok(buf, cr->session_params)) != 0)
		return rc;
	for (unsigned int i = 0; i < n; i++) {
		struct hl_srtp_key *k = &keys[i];
		rc = key_param(
			buf, i == 0 ? cr->key_params : cr->more[i - 1], (unsigned int)suite, k);
		if (rc != 0)
			goto fail;
		/* §6.1: with several keys each MUST carry an MKI, of one length for all; the
		 * receiver tells them apart by it, so a repeated MKI is no key to pick. */
		rc = HL_E_PARSE;
		if (n > 1 && (k->mki_len == 0 || k->mki_len != keys[0].mki_len))
			goto fail;
		for (unsigned int j = 0; j < i; j++)
			if (keys[j].mki == k->mki)
				goto fail;
	}
	/* hl_srtp_ctx_init() refuses this pair (libsrtp 2.5.0's SRTCP MKI offset). */
	if (keys[0].suite == HL_SRTP_AES_CM_128_HMAC_SHA1_32 && keys[0].mki_len) {
		rc = HL_E_UNSUPPORTED;
		goto fail;
	}
	return (int)n;
fail:
	explicit_bzero(keys, HL_SDP_MAX_KEYS * sizeof(keys[0]));
	return rc;
}

int
hl_sdp_crypto_key(const uint8_t *buf, const struct hl_sdp_crypto *cr, struct hl_srtp_key *key)
{
	struct hl_srtp_key keys[HL_SDP_MAX_KEYS];
	int rc = hl_sdp_crypto_keys(buf, cr, keys);

	*key = keys[0];
	explicit_bzero(keys, sizeof(keys));
	return rc < 0 ? rc : 0;
}

static int
parse_attr(const uint8_t *buf, const uint8_t *p, const uint8_t *end, struct hl_sdp *sdp,
	struct hl_sdp_media *m)
{
	const uint8_t *colon = memchr(p, ':', (size_t)(end - p));
	const uint8_t *ne = colon ? colon : end;
	size_t nl = (size_t)(ne - p);
	struct cur c = {colon ? colon + 1 : end, end};
	struct hl_sip_slice f;
	uint64_t v = 0;
	uint8_t dir = 0;

	if (nl == 0)
		return HL_E_PARSE;
	for (const uint8_t *q = p; q < ne; q++)
		if (!CC(*q, C_TOKEN))
			return HL_E_PARSE;
	if (IEQ(p, nl, "sendrecv"))
		dir = HL_SDP_DIR_SENDRECV;
	else if (IEQ(p, nl, "sendonly"))
		dir = HL_SDP_DIR_SENDONLY;
	else if (IEQ(p, nl, "recvonly"))
		dir = HL_SDP_DIR_RECVONLY;
	else if (IEQ(p, nl, "inactive"))
		dir = HL_SDP_DIR_INACTIVE;
	if (dir) {
		if (m)
			m->dir = dir;
		else
			sdp->dir = dir;
		return 0;
	}
	if (m == NULL)
		return 0; /* other session-level attributes are not ours to act on */
	if (IEQ(p, nl, "rtpmap")) {
		/* §6: a=rtpmap:<payload type> <encoding name>/<clock rate>[/<params>] */
		struct hl_sdp_fmt *fmt;
		if (!field(buf, &c, &f) || !num(buf, f, 127, &v))
			return HL_E_PARSE;
		fmt = find_fmt(m, v);
		const uint8_t *n = c.p, *s1 = memchr(n, '/', (size_t)(end - n));
		if (s1 == NULL || s1 == n)
			return HL_E_PARSE;
		uint64_t clock, ch = 1;
		const uint8_t *q = scan_uint(s1 + 1, end, UINT32_MAX, &clock);
		if (q == NULL || clock == 0)
			return HL_E_PARSE;
		if (q < end) {
			if (*q != '/' || scan_uint(q + 1, end, 255, &ch) != end || ch == 0)
				return HL_E_PARSE;
		}
		for (const uint8_t *t = n; t < s1; t++)
			if (!CC(*t, C_TOKEN))
				return HL_E_PARSE;
		if (fmt != NULL) {
			fmt->name = mkslice(buf, n, s1);
			fmt->clock = (uint32_t)clock;
			fmt->channels = (uint8_t)ch;
			if (IEQ(n, (size_t)(s1 - n), "telephone-event") && m->te_pt < 0)
				m->te_pt = (int16_t)fmt->pt;
		}
	} else if (IEQ(p, nl, "fmtp")) {
		struct hl_sdp_fmt *fmt;
		if (!field(buf, &c, &f) || !num(buf, f, 127, &v))
			return HL_E_PARSE;
		if ((fmt = find_fmt(m, v)) != NULL)
			fmt->fmtp = mkslice(buf, c.p, end);
	} else if (IEQ(p, nl, "ptime") || IEQ(p, nl, "maxptime")) {
		/* Some peers write "20.0": the integer part is what a 20 ms clock needs. */
		const uint8_t *q = scan_uint(c.p, end, 65535, &v);
		if (q == NULL || (q < end && *q != '.'))
			return HL_E_PARSE;
		if (nl == 5)
			m->ptime = (uint16_t)v;
		else
			m->maxptime = (uint16_t)v;
	} else if (IEQ(p, nl, "rtcp")) {
		/* RFC 3605 §2.1: a=rtcp:<port> [<nettype> <addrtype> <connection-address>] */
		if (!field(buf, &c, &f) || !num(buf, f, 65535, &v))
			return HL_E_PARSE;
		m->rtcp_port = (uint16_t)v;
		if (c.p < c.end && parse_conn(buf, &c, &m->rtcp_conn) != 0)
			return HL_E_PARSE;
	} else if (IEQ(p, nl, "rtcp-mux")) {
		m->rtcp_mux = 1;
	} else if (IEQ(p, nl, "crypto")) {
		struct hl_sdp_crypto cr;
		if (parse_crypto(buf, &c, &cr) != 0)
			return HL_E_PARSE;
		if (m->ncrypto < HL_SDP_MAX_CRYPTO) {
			m->crypto[m->ncrypto++] = cr;
		} else if (cr.suite != HL_SDP_SUITE_UNKNOWN) {
			/* Full: a suite we know displaces the first we do not, order kept. */
			unsigned int k = 0;
			while (k < m->ncrypto && m->crypto[k].suite != HL_SDP_SUITE_UNKNOWN)
				k++;
			if (k < m->ncrypto) {
				memmove(&m->crypto[k], &m->crypto[k + 1],
					(m->ncrypto - k - 1) * sizeof(m->crypto[0]));
				m->crypto[m->ncrypto - 1] = cr;
			}
		}
	}
	return 0;
}

/* §5.14: m=<media> <port>[/<number of ports>] <proto> <fmt> ... */
static int
parse_m(const uint8_t *buf, struct cur *c, struct hl_sdp_media *m)
{
	struct hl_sip_slice port, f;
	uint64_t v = 0;

	memset(m, 0, offsetof(struct hl_sdp_media, fmt));
	m->te_pt = -1;
	m->nports = 1;
	if (!field(buf, c, &m->type) || !field(buf, c, &port) || !field(buf, c, &m->proto_s))
		return HL_E_PARSE;
	const uint8_t *pp = buf + port.off, *pe = pp + port.len;
	const uint8_t *q = scan_uint(pp, pe, 65535, &v);
	if (q == NULL)
		return HL_E_PARSE;
	m->port = (uint16_t)v;
	if (q < pe) {
		if (*q != '/' || scan_uint(q + 1, pe, 65535, &v) != pe || v == 0)
			return HL_E_PARSE;
		m->nports = (uint16_t)v;
	}
	const uint8_t *ps = buf + m->proto_s.off;
	size_t pl = m->proto_s.len;
	if (IEQ(ps, pl, "rtp/avp"))
		m->proto = HL_SDP_PROTO_RTP_AVP;
	else if (IEQ(ps, pl, "rtp/savp"))
		m->proto = HL_SDP_PROTO_RTP_SAVP;
	else if (IEQ(ps, pl, "rtp/avpf"))
		m->proto = HL_SDP_PROTO_RTP_AVPF;
	else if (IEQ(ps, pl, "rtp/savpf"))
		m->proto = HL_SDP_PROTO_RTP_SAVPF;
	if (c->p == c->end)
		return HL_E_PARSE; /* at least one format */
	m->fmts = mkslice(buf, c->p, c->end);
	while (field(buf, c, &f)) {
		if (m->proto == HL_SDP_PROTO_OTHER)
			continue;
		/* RTP formats are payload type numbers (RFC 3551 §6). */
		if (!num(buf, f, 127, &v))
			return HL_E_PARSE;
		if (m->nfmt < HL_SDP_MAX_FMT) {
			struct hl_sdp_fmt *fmt = &m->fmt[m->nfmt++];
			memset(fmt, 0, sizeof(*fmt));
			fmt->pt = (uint8_t)v;
			fmt->channels = 1;
		}
	}
	return c->p == c->end ? 0 : HL_E_PARSE;
}

int
hl_sdp_parse(const uint8_t *buf, struct hl_sip_slice s, struct hl_sdp *sdp)
{
	const uint8_t *p = buf + s.off, *end = p + s.len;
	struct hl_sdp_media *m = NULL;
	unsigned int line = 0, have_t = 0;
	uint64_t v = 0;

	memset(sdp, 0, offsetof(struct hl_sdp, media));
	while (p < end) {
		const uint8_t *eol = p, *ve;
		while (eol < end && *eol != '\n')
			eol++;
		if (eol == end)
			return HL_E_PARSE; /* every line ends in (CR)LF */
		ve = eol;
		if (ve > p && ve[-1] == '\r')
			ve--;
		if (ve - p < 2 || p[1] != '=' || p[0] < 'a' || p[0] > 'z')
			return HL_E_PARSE;
		for (const uint8_t *q = p + 2; q < ve; q++)
			if (!CC(*q, C_VCHAR) || *q == '\t')
				return HL_E_PARSE;
		uint8_t type = p[0];
		struct cur c = {p + 2, ve};
		struct hl_sip_slice f1, f2;
		p = eol + 1;
		/* §5: v, o, s come first and in that order. */
		if ((line == 0) != (type == 'v') || (line == 1) != (type == 'o') ||
			(line == 2) != (type == 's'))
			return HL_E_PARSE;
		line++;
		switch (type) {
		case 'v':
			if (ve - c.p != 1 || *c.p != '0')
				return HL_E_PARSE;
			break;
		case 'o':
			/* §5.2: <username> <sess-id> <sess-version> <nettype> <addrtype>
			 * <unicast-address> */
			if (!field(buf, &c, &sdp->origin_user) || !field(buf, &c, &sdp->sess_id) ||
				!field(buf, &c, &sdp->sess_version) ||
				!num(buf, sdp->sess_id, UINT64_MAX / 10, &v) ||
				!num(buf, sdp->sess_version, UINT64_MAX / 10, &v))
				return HL_E_PARSE;
			{
				struct hl_sdp_conn oc;
				if (parse_conn(buf, &c, &oc) != 0)
					return HL_E_PARSE;
				sdp->origin_addrtype = oc.addrtype;
				sdp->origin_addr = oc.addr;
			}
			break;
		case 's':
			if (c.p == ve)
				return HL_E_PARSE; /* §5.3: one character at least, " " if none */
			sdp->name = mkslice(buf, c.p, ve);
			break;
		case 'c':
			if (parse_conn(buf, &c, m ? &m->conn : &sdp->conn) != 0)
				return HL_E_PARSE;
			break;
		case 't':
			if (m != NULL || !field(buf, &c, &f1) || !field(buf, &c, &f2) ||
				c.p != ve || !num(buf, f1, UINT64_MAX / 10, &sdp->t_start) ||
				!num(buf, f2, UINT64_MAX / 10, &sdp->t_stop))
				return HL_E_PARSE;
			have_t = 1;
			break;
		case 'b':
			/* §5.8: b=<bwtype>:<bandwidth> */
			{
				const uint8_t *col = memchr(c.p, ':', (size_t)(ve - c.p));
				if (col == NULL || col == c.p || scan_uint(col + 1, ve, UINT32_MAX, &v) != ve)
					return HL_E_PARSE;
				if (IEQ(c.p, (size_t)(col - c.p), "as")) {
					if (m)
						m->bw_as = (uint32_t)v;
					else
						sdp->bw_as = (uint32_t)v;
				}
			}
			break;
		case 'm':
			if (!have_t)
				return HL_E_PARSE;
			if (sdp->nmedia == HL_SDP_MAX_MEDIA)
				return HL_E_TOOBIG;
			m = &sdp->media[sdp->nmedia++];
			if (parse_m(buf, &c, m) != 0)
				return HL_E_PARSE;
			break;
		case 'a':
			if (parse_attr(buf, c.p, ve, sdp, m) != 0)
				return HL_E_PARSE;
			break;
		case 'i':
		case 'u':
		case 'e':
		case 'p':
		case 'z':
		case 'k':
		case 'r':
			break;
		default:
			/* §5: a type letter we do not know voids the description. */
			return HL_E_PARSE;
		}
	}
	if (line < 3 || !have_t)
		return HL_E_PARSE;
	for (unsigned int i = 0; i < sdp->nmedia; i++)
		if (sdp->conn.addrtype == HL_SDP_ADDR_NONE &&
			sdp->media[i].conn.addrtype == HL_SDP_ADDR_NONE)
			return HL_E_PARSE;
	return 0;
}

const struct hl_sdp_conn *
hl_sdp_media_conn(const struct hl_sdp *sdp, unsigned int i)
{
	const struct hl_sdp_media *m = &sdp->media[i];
	return m->conn.addrtype != HL_SDP_ADDR_NONE ? &m->conn : &sdp->conn;
}

enum hl_sdp_dir
hl_sdp_media_dir(const struct hl_sdp *sdp, unsigned int i)
{
	if (sdp->media[i].dir)
		return (enum hl_sdp_dir)sdp->media[i].dir;
	if (sdp->dir)
		return (enum hl_sdp_dir)sdp->dir;
	return HL_SDP_DIR_SENDRECV;
}
