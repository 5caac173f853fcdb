/*
 * hotline common definitions: error codes, branch hints, small helpers.
 *
 * Every module returns errors the same way (DPDK's grammar): constructors return
 * a pointer or NULL with hl_errno set; burst functions return the count handled;
 * everything else returns 0 or a negative code, either -errno or one of our own
 * HL_E_* codes, which start at -1000 and go down, so they never collide with errno values.
 * hl_strerror() decodes both, as mdb_strerror() does for LMDB.
 *
 * This header includes no DPDK header: parsers and DSP code use it and are built
 * and fuzzed without EAL.
 */
#ifndef HOTLINE_COMMON_H
#define HOTLINE_COMMON_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define HL_E_BASE (-1000)

/* X-macro: symbol, message. Codes are HL_E_BASE - index. */
#define HL_FOREACH_ERROR(_)                                                          \
	_(PARSE, "malformed input")                                                  \
	_(INCOMPLETE, "input is incomplete")                                         \
	_(TOOBIG, "input is larger than allowed")                                    \
	_(CONFIG, "invalid configuration")                                           \
	_(FULL, "table or pool is full")                                             \
	_(NOTFOUND, "not found")                                                     \
	_(UNSUPPORTED, "not supported")                                              \
	_(VERSION, "unsupported protocol version")                                   \
	_(SCHEME, "unsupported URI scheme")                                          \
	_(AUTH, "authentication failed")                                             \
	_(REPLAY, "replayed packet")                                                 \
	_(DEPENDENCY, "a library call failed")                                       \
	_(EXPIRED, "key lifetime exhausted")

enum hl_error_index {
#define HL_EI_ENUM_(sym, msg) HL_EI_##sym,
	HL_FOREACH_ERROR(HL_EI_ENUM_)
#undef HL_EI_ENUM_
	HL_EI_MAX_
};

enum hl_error {
#define HL_E_ENUM_(sym, msg) HL_E_##sym = HL_E_BASE - HL_EI_##sym,
	HL_FOREACH_ERROR(HL_E_ENUM_)
#undef HL_E_ENUM_
};

/* Last error of a constructor that returned NULL, per thread. */
extern __thread int hl_errno;

/* Message for 0, a -errno, an errno or an HL_E_* code; never NULL. */
const char *hl_strerror(int err);

#define hl_likely(x) __builtin_expect(!!(x), 1)
#define hl_unlikely(x) __builtin_expect(!!(x), 0)

#define HL_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/*
 * Byte swap of a 16-bit network-order field, for hot paths: DPDK's rte_be_to_cpu_16()
 * is an `asm volatile` xchg on x86, which the compiler can neither fold into a compare
 * nor move; this is the builtin it can (one rol, or none against a constant).
 */
static inline uint16_t
hl_bswap16(uint16_t x)
{
	return __builtin_bswap16(x);
}

/* Network-order (big-endian) loads and stores at any alignment: RTP, RTCP, SRTP. */
static inline uint16_t
hl_rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static inline uint32_t
hl_rd32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Each a single store of the swapped value (a byte at a time, the compiler merged some
 * and not others): a load of the same width and place can then be forwarded from it. */
static inline void
hl_wr16(uint8_t *p, uint16_t v)
{
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	v = __builtin_bswap16(v);
#endif
	memcpy(p, &v, 2);
}

static inline void
hl_wr32(uint8_t *p, uint32_t v)
{
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	v = __builtin_bswap32(v);
#endif
	memcpy(p, &v, 4);
}

#endif
