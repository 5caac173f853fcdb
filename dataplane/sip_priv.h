/*
 * Private helpers shared by the SIP and SDP parsers: character classes and whitespace
 * skipping. Not part of the module contract (STYLE.md rule 3).
 */
#ifndef HOTLINE_SIP_PRIV_H
#define HOTLINE_SIP_PRIV_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

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
 * Word-at-a-time byte search (the "haszero"/"hasless" tricks of Anderson's Bit
 * Twiddling Hacks): each helper sets bit 7 of every byte of an 8-byte word that
 * matches. A borrow can mark a byte above a true match but never below one, so the
 * lowest marked byte, in memory order, is exact; load8() reads memory order into
 * little-endian significance so that byte is the lowest set bit.
 */
#define W8_ONES 0x0101010101010101ull
#define W8_HIGH 0x8080808080808080ull

static inline uint64_t
load8(const uint8_t *p)
{
	uint64_t v;
	memcpy(&v, p, 8);
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
	v = __builtin_bswap64(v);
#endif
	return v;
}

/* Bytes equal to c. */
static inline uint64_t
w8_eq(uint64_t x, uint8_t c)
{
	x ^= W8_ONES * c;
	return (x - W8_ONES) & ~x & W8_HIGH;
}

/* Bytes below n (n <= 0x80). */
static inline uint64_t
w8_lt(uint64_t x, uint8_t n)
{
	return (x - W8_ONES * n) & ~x & W8_HIGH;
}

/* Index of the first marked byte of a non-zero mask. */
static inline unsigned int
w8_first(uint64_t m)
{
	return (unsigned int)__builtin_ctzll(m) >> 3;
}

/*
 * First octet in [p, end) that is a CTL (0x00-0x1f, 0x7f: outside C_VCHAR save HT), or
 * end. Eight bytes per step; header lines are 20-80 bytes, so this beats a memchr()
 * call followed by a second pass for stray CTLs (bench/bench_sip.c).
 */
static inline const uint8_t *
scan_ctl(const uint8_t *p, const uint8_t *end)
{
	while (end - p >= 8) {
		uint64_t x = load8(p), m = w8_lt(x, 0x20) | w8_eq(x, 0x7f);
		if (m)
			return p + w8_first(m);
		p += 8;
	}
	while (p < end && *p >= 0x20 && *p != 0x7f)
		p++;
	return p;
}

/* Slow half of skip_lws() (sip_uri.c), out of line so the common "no whitespace" case
 * inlines. */
const uint8_t *hl_sip_skip_lws_slow(const uint8_t *p, const uint8_t *end);

/*
 * Skips LWS: SP, HT, and a fold (CRLF followed by SP/HT, RFC 3261 §7.3.1) from p to
 * at most end. A CRLF not followed by whitespace is not skipped. Most calls land on a
 * visible octet or on the one SP after a colon, which the first two tests settle.
 */
static inline const uint8_t *
skip_lws(const uint8_t *p, const uint8_t *end)
{
	if (p < end && *p == ' ')
		p++;
	if (hl_likely(p < end && *p > ' '))
		return p;
	return hl_sip_skip_lws_slow(p, end);
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
