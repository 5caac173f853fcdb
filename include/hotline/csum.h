/*
 * hotline Internet checksum (RFC 1071): the one's-complement sum the worker
 * verifies on every IPv4 header and UDP datagram it classifies.
 *
 * DPDK's rte_raw_cksum() adds 16-bit words into a 32-bit sum. Here 32-bit words
 * go into four independent 64-bit accumulators and the sum is folded once at the
 * end: RFC 1071 §2(B) allows any word size, and the machine's byte order does not
 * matter as long as the result is compared in the order it was computed (§2(A)).
 * Measured with bench/bench_l2l4 (figures in bench/README.md). Pure C, no DPDK
 * header.
 */
#ifndef HOTLINE_CSUM_H
#define HOTLINE_CSUM_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* Adds len bytes at buf to the running sum s. Every call but the last must pass an
 * even len, so later bytes keep their position within 16-bit words.
 *
 * Each 64-bit load is split into its 32-bit halves, added into independent 64-bit
 * accumulators: no end-around carry per word (2^32 halves cannot overflow 64
 * bits), so the adds do not form one serial chain and run in parallel. */
static inline uint64_t
hl_csum_partial(const void *buf, size_t len, uint64_t s)
{
	const uint8_t *p = (const uint8_t *)buf;
	uint64_t a = 0, b = 0, c = 0, d = 0, w0, w1;

	while (len >= 16) {
		memcpy(&w0, p, 8);
		memcpy(&w1, p + 8, 8);
		a += (uint32_t)w0;
		b += w0 >> 32;
		c += (uint32_t)w1;
		d += w1 >> 32;
		p += 16;
		len -= 16;
	}
	if (len >= 8) {
		memcpy(&w0, p, 8);
		a += (uint32_t)w0;
		b += w0 >> 32;
		p += 8;
		len -= 8;
	}
	/*
	 * The tail in loads of its own width, not copied into a zeroed word: a wide load
	 * of bytes just stored narrowly cannot be forwarded and stalls (perf annotate,
	 * bench_relay: a third of leg_send's cycles). Each piece starts on a 16-bit
	 * boundary, and 2^16 = 1 in one's complement, so where it lands in the sum does
	 * not matter; an odd last byte is the first byte of a 16-bit word padded with
	 * zero (RFC 1071): the low byte of a native word on a little-endian CPU.
	 */
	if (len & 4) {
		uint32_t v;

		memcpy(&v, p, 4);
		c += v;
		p += 4;
	}
	if (len & 2) {
		uint16_t v;

		memcpy(&v, p, 2);
		d += v;
		p += 2;
	}
	if (len & 1)
		d += __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__ ? (uint64_t)*p << 8 : *p;
	/* Fold the four partial sums and s: each is below 2^60 for any len < 2^28. */
	uint64_t t = (a + b) + (c + d);
	t = (t & 0xffffffffu) + (t >> 32);
	s += t;
	return s + (s < t);
}

/*
 * Folds a sum to 16 bits (not complemented): 0 only for a sum of 0, else the value in
 * 1..0xffff congruent to s modulo 0xffff. 64 to 32 bits with the end-around carry
 * (add, adc); then 32 to 16 as Linux's csum_fold(): adding the word to itself rotated
 * by 16 leaves in the upper half the two halves' sum with its carry folded back in.
 * Eight operations against twelve for two (mask, shift, add) steps of each width, on
 * every relayed packet three or four times.
 */
static inline uint16_t
hl_csum_fold(uint64_t s)
{
	uint32_t hi = (uint32_t)(s >> 32), t = (uint32_t)s + hi;

	t += t < hi;
	t += t >> 16 | t << 16;
	return (uint16_t)(t >> 16);
}

/*
 * -s modulo 0xffff, as a sum to add to another: 2^48 - 1 is a multiple of 0xffff, so
 * subtracting from it takes s out of a running sum without folding it first (s must
 * be below 2^48, which any sum of a few headers' words is).
 */
static inline uint64_t
hl_csum_negate(uint64_t s)
{
	return 0xffffffffffffull - s;
}

/* One's-complement sum of a buffer, folded: 0xffff when a buffer that includes
 * its own checksum field is intact. */
static inline uint16_t
hl_csum(const void *buf, size_t len)
{
	return hl_csum_fold(hl_csum_partial(buf, len, 0));
}

/* The common 20-byte IPv4 header (RFC 791, no options) in straight-line code: two
 * 64-bit loads and one 32-bit one, summed as 32-bit halves, no loop (6 cycles against
 * 17 through hl_csum()); copying it to a word array instead went through the stack. */
static inline uint16_t
hl_csum_ip4hdr(const void *hdr, size_t ihl)
{
	uint64_t a, b;
	uint32_t c;

	if (ihl != 20)
		return hl_csum(hdr, ihl);
	memcpy(&a, hdr, 8);
	memcpy(&b, (const uint8_t *)hdr + 8, 8);
	memcpy(&c, (const uint8_t *)hdr + 16, 4);
	return hl_csum_fold((a & 0xffffffffu) + (a >> 32) + (b & 0xffffffffu) + (b >> 32) + c);
}

#endif
