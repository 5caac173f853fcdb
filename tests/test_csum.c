/* Unit tests for include/hotline/csum.h against a straight RFC 1071 reference. */
#include "hl_test.h"
#include "hotline/csum.h"

/* RFC 1071 §4.1, 16-bit big-endian words, as written in the RFC. */
static uint16_t
ref_sum(const uint8_t *p, size_t len)
{
	uint32_t s = 0;

	while (len > 1) {
		s += (uint32_t)(p[0] << 8 | p[1]);
		p += 2;
		len -= 2;
	}
	if (len)
		s += (uint32_t)(p[0] << 8);
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)s;
}

static uint16_t
to_be(uint16_t native_sum)
{
	const uint16_t one = 1;
	return *(const uint8_t *)&one ? (uint16_t)(native_sum >> 8 | native_sum << 8) : native_sum;
}

HL_TEST(matches_reference_for_every_length_and_alignment)
{
	static uint8_t buf[1600];
	uint32_t x = 12345;

	for (size_t i = 0; i < sizeof(buf); i++) {
		x = x * 1103515245u + 12345u;
		buf[i] = (uint8_t)(x >> 16);
	}
	for (size_t off = 0; off < 8; off++)
		for (size_t len = 0; len + off <= sizeof(buf); len += (len < 80 ? 1 : 37))
			HL_CHECK_MSG(to_be(hl_csum(buf + off, len)) == ref_sum(buf + off, len),
				"off %zu len %zu", off, len);
}

HL_TEST(all_ones_and_carries)
{
	uint8_t ff[64];
	memset(ff, 0xff, sizeof(ff));
	for (size_t len = 0; len <= sizeof(ff); len++)
		HL_CHECK_INT(to_be(hl_csum(ff, len)), ref_sum(ff, len));
}

HL_TEST(rfc1071_example)
{
	/* RFC 1071 §3: 00 01 f2 03 f4 f5 f6 f7 sums to 0xddf2 (big-endian). */
	static const uint8_t b[] = {0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7};
	HL_CHECK_INT(to_be(hl_csum(b, sizeof(b))), 0xddf2);
}

HL_TEST(partial_sums_chain)
{
	uint8_t b[100];
	for (size_t i = 0; i < sizeof(b); i++)
		b[i] = (uint8_t)(i * 7 + 3);
	uint64_t s = hl_csum_partial(b, 12, 0);
	s = hl_csum_partial(b + 12, 88, s);
	HL_CHECK_INT(hl_csum_fold(s), hl_csum(b, sizeof(b)));
}

/* The folding as RFC 1071 §4.1 writes it, over 64 bits. */
static uint16_t
ref_fold(uint64_t s)
{
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)s;
}

HL_TEST(fold_matches_reference)
{
	static const uint64_t edge[] = {0, 1, 0xffff, 0x10000, 0x1fffe, 0xffffffff, 0x100000000ull,
		0x1ffffffffull, 0xfffeffffull, 0xffff0000ull, 0xffffffffffffull, UINT64_MAX,
		UINT64_MAX - 1, 0x8000000000000000ull, 0xffffffff00000000ull, 0x00000001ffff0001ull};
	for (size_t i = 0; i < sizeof(edge) / sizeof(edge[0]); i++)
		HL_CHECK_MSG(hl_csum_fold(edge[i]) == ref_fold(edge[i]), "s %#llx",
			(unsigned long long)edge[i]);
	uint64_t x = 0x9e3779b97f4a7c15ull;
	for (int i = 0; i < 1000000; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		/* every width, so the short sums the headers give are covered too */
		uint64_t s = x >> (i % 64);
		HL_CHECK_MSG(hl_csum_fold(s) == ref_fold(s), "s %#llx", (unsigned long long)s);
	}
}

HL_TEST(negate_takes_a_sum_out)
{
	uint64_t x = 0x2545f4914f6cdd1dull;
	for (int i = 0; i < 100000; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		uint64_t a = x >> 20, b = (x * 0x9e3779b97f4a7c15ull) >> 17;
		/* (a + b) - b is a, in the one's-complement class, without folding b */
		HL_CHECK_MSG(ref_fold(a + b + hl_csum_negate(b)) % 0xffff == ref_fold(a) % 0xffff,
			"a %#llx b %#llx", (unsigned long long)a, (unsigned long long)b);
	}
}

HL_TEST(ip4_header_fast_path)
{
	uint8_t h[60];
	for (size_t i = 0; i < sizeof(h); i++)
		h[i] = (uint8_t)(i * 37 + 11);
	HL_CHECK_INT(hl_csum_ip4hdr(h, 20), hl_csum(h, 20));
	HL_CHECK_INT(hl_csum_ip4hdr(h, 24), hl_csum(h, 24));
	HL_CHECK_INT(hl_csum_ip4hdr(h, 60), hl_csum(h, 60));
	memset(h, 0xff, 20);
	HL_CHECK_INT(hl_csum_ip4hdr(h, 20), hl_csum(h, 20));
	/* random headers, at every alignment: the 64-bit halves carry like the loop */
	uint64_t x = 0x2545f4914f6cdd1dull;
	for (int i = 0; i < 100000; i++) {
		size_t off = (size_t)i % 8;
		for (size_t k = 0; k < 20; k++) {
			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			h[off + k] = (uint8_t)(i % 3 == 0 ? 0xff - (x & 3) : x);
		}
		HL_CHECK_INT(hl_csum_ip4hdr(h + off, 20), hl_csum(h + off, 20));
	}
}

HL_TEST_MAIN()
