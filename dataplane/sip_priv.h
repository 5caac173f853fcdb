/*
 * Private helpers shared by the SIP and SDP parsers: character classes and whitespace
 * skipping. Not part of the module contract (STYLE.md rule 3).
 */
#ifndef HOTLINE_SIP_PRIV_H
#define HOTLINE_SIP_PRIV_H

#include <stddef.h>
#include <stdint.h>

#include "hotline/sip.h"

/*
 * Character classes of RFC 3261 §25.1, one bit each:
 *   C_TOKEN   alphanum - . ! % * _ + ` ' ~                         (token)
 *   C_DIGIT   0-9
 *   C_HEX     0-9 a-f A-F
 *   C_ALPHA   a-z A-Z
 *   C_UNRES   alphanum - _ . ! ~ * ' ( )                            (unreserved)
 *   C_USER    unreserved & = + $ , ; ? /                            (user, with escaped)
 *   C_PASS    unreserved & = + $ ,                                  (password)
 *   C_PARAM   unreserved [ ] / : & + $                              (paramchar)
 *   C_HNV     unreserved [ ] / ? : + $                              (hname, hvalue)
 *   C_HOST    alphanum - .                                          (hostname)
 *   C_WS      SP HT
 *   C_WORD    alphanum - . ! % * _ + ` ' ~ ( ) < > : \ " / [ ] ? { } (word: Call-ID)
 *   C_VCHAR   0x20-0x7e HT 0x80-0xff                                (header value octets)
 *   C_SCHEME  alphanum + - .                                        (scheme)
 */
#define C_TOKEN 0x0001
#define C_DIGIT 0x0002
#define C_HEX 0x0004
#define C_ALPHA 0x0008
#define C_UNRES 0x0010
#define C_USER 0x0020
#define C_PASS 0x0040
#define C_PARAM 0x0080
#define C_HNV 0x0100
#define C_HOST 0x0200
#define C_WS 0x0400
#define C_WORD 0x0800
#define C_VCHAR 0x1000
#define C_SCHEME 0x2000

extern const uint16_t hl_sip_cc[256];

#define CC(c, cls) (hl_sip_cc[(uint8_t)(c)] & (cls))

static inline int
lower(int c)
{
	return (c >= 'A' && c <= 'Z') ? c + 32 : c;
}

/*
 * Skips LWS: SP, HT, and a fold (CRLF followed by SP/HT, RFC 3261 §7.3.1) from p to
 * at most end. A CRLF not followed by whitespace is not skipped.
 */
static inline const uint8_t *
skip_lws(const uint8_t *p, const uint8_t *end)
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

/* Trims LWS from the end of [p, end). */
static inline const uint8_t *
trim_lws(const uint8_t *p, const uint8_t *end)
{
	while (end > p && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\r' ||
		end[-1] == '\n'))
		end--;
	return end;
}

static inline struct hl_sip_slice
mkslice(const uint8_t *buf, const uint8_t *b, const uint8_t *e)
{
	struct hl_sip_slice s = {(uint16_t)(b - buf), (uint16_t)(e - b)};
	return s;
}

/* Case-insensitive compare of [p, p+n) with a lowercase literal. */
static inline int
ieq(const uint8_t *p, size_t n, const char *lit, size_t litlen)
{
	if (n != litlen)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (lower(p[i]) != (uint8_t)lit[i])
			return 0;
	return 1;
}

#define IEQ(p, n, lit) ieq((p), (n), lit, sizeof(lit) - 1)

/* Parses 1*DIGIT in [p, end) into *v (saturating at max): returns the end or NULL. */
static inline const uint8_t *
scan_uint(const uint8_t *p, const uint8_t *end, uint64_t max, uint64_t *v)
{
	const uint8_t *b = p;
	uint64_t x = 0;
	while (p < end && CC(*p, C_DIGIT)) {
		x = x * 10 + (uint64_t)(*p - '0');
		if (x > max)
			return NULL;
		p++;
	}
	if (p == b)
		return NULL;
	*v = x;
	return p;
}

/* Scans a quoted-string starting at the '"' at p; returns the byte after the closing
 * quote or NULL. Quoted-pair (\ + any octet but CR LF) per RFC 3261 §25.1. */
static inline const uint8_t *
scan_quoted(const uint8_t *p, const uint8_t *end)
{
	p++;
	while (p < end) {
		if (*p == '"')
			return p + 1;
		if (*p == '\\') {
			if (end - p < 2 || p[1] == '\r' || p[1] == '\n')
				return NULL;
			p += 2;
			continue;
		}
		if (*p == '\r') {
			const uint8_t *q = skip_lws(p, end);
			if (q == p)
				return NULL;
			p = q;
			continue;
		}
		if (!CC(*p, C_VCHAR))
			return NULL;
		p++;
	}
	return NULL;
}

/* host [":" port] (RFC 3261 §25.1 hostport) from p: the end, or NULL when invalid. */
const uint8_t *hl_sip_scan_hostport(const uint8_t *buf, const uint8_t *p, const uint8_t *end,
	struct hl_sip_slice *host, uint8_t *type, uint16_t *port);

/* Address syntax without brackets (RFC 3261 §25.1 IPv4address, IPv6address): 1 or 0. */
int hl_sip_ipv4_ok(const uint8_t *p, size_t n);
int hl_sip_ipv6_ok(const uint8_t *p, size_t n);

#endif
