/*
 * hotline unit-test framework: a header only, one test program per module.
 *
 * A test file defines cases with HL_TEST(name) { ... } and ends with
 * HL_TEST_MAIN(). Checks record a failure and go on (so one run shows every broken
 * case of a table); HL_SKIP() ends the program with 77, meson's "skipped", for
 * tests that need something this host lacks. hl_test_guard() copies input to the
 * end of a page followed by a PROT_NONE page, so a parser that reads one byte too
 * far crashes instead of passing by luck (STYLE.md rule 15).
 */
#ifndef HL_TEST_H
#define HL_TEST_H

#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

struct hl_test_case {
	const char *name;
	void (*fn)(void);
};

#define HL_TEST_MAX 512
static struct hl_test_case hl_test_cases[HL_TEST_MAX];
static unsigned int hl_test_ncases;
static unsigned int hl_test_failed_checks;
static unsigned int hl_test_checks;
static const char *hl_test_current;

#define HL_TEST(name)                                                                 \
	static void hl_test_fn_##name(void);                                          \
	__attribute__((constructor)) static void hl_test_reg_##name(void)             \
	{                                                                             \
		if (hl_test_ncases < HL_TEST_MAX)                                     \
			hl_test_cases[hl_test_ncases++] =                             \
				(struct hl_test_case){#name, hl_test_fn_##name};       \
	}                                                                             \
	static void hl_test_fn_##name(void)

#define HL_FAILF(...)                                                                 \
	do {                                                                          \
		hl_test_failed_checks++;                                              \
		fprintf(stderr, "FAIL %s (%s:%d): ", hl_test_current, __FILE__,       \
			__LINE__);                                                    \
		fprintf(stderr, __VA_ARGS__);                                         \
		fputc('\n', stderr);                                                  \
	} while (0)

#define HL_CHECK(cond)                                                                \
	do {                                                                          \
		hl_test_checks++;                                                     \
		if (!(cond))                                                          \
			HL_FAILF("%s", #cond);                                        \
	} while (0)

#define HL_CHECK_MSG(cond, ...)                                                       \
	do {                                                                          \
		hl_test_checks++;                                                     \
		if (!(cond))                                                          \
			HL_FAILF(__VA_ARGS__);                                        \
	} while (0)

#define HL_CHECK_INT(a, b)                                                            \
	do {                                                                          \
		long long hl_a_ = (long long)(a), hl_b_ = (long long)(b);             \
		hl_test_checks++;                                                     \
		if (hl_a_ != hl_b_)                                                   \
			HL_FAILF("%s == %s: %lld != %lld", #a, #b, hl_a_, hl_b_);     \
	} while (0)

#define HL_CHECK_MEM(a, b, n)                                                         \
	do {                                                                          \
		hl_test_checks++;                                                     \
		if (memcmp((a), (b), (n)) != 0)                                       \
			HL_FAILF("memcmp(%s, %s, %s) != 0", #a, #b, #n);              \
	} while (0)

#define HL_CHECK_STR(a, b)                                                            \
	do {                                                                          \
		const char *hl_sa_ = (a), *hl_sb_ = (b);                              \
		hl_test_checks++;                                                     \
		if (hl_sa_ == NULL || hl_sb_ == NULL || strcmp(hl_sa_, hl_sb_) != 0)  \
			HL_FAILF("%s == %s: \"%s\" != \"%s\"", #a, #b,               \
				hl_sa_ ? hl_sa_ : "(null)", hl_sb_ ? hl_sb_ : "(null)");     \
	} while (0)

#define HL_SKIP(...)                                                                  \
	do {                                                                          \
		fprintf(stderr, "SKIP: ");                                            \
		fprintf(stderr, __VA_ARGS__);                                         \
		fputc('\n', stderr);                                                  \
		exit(77);                                                             \
	} while (0)

/*
 * Guard-page buffer: returns a pointer p such that p[0..len) holds a copy of data
 * and p[len] is the first byte of a PROT_NONE page. One buffer per call; release
 * with hl_test_guard_free(). len may be 0.
 */
struct hl_test_guard_buf {
	void *map;
	size_t map_len;
};

static inline uint8_t *
hl_test_guard(struct hl_test_guard_buf *g, const void *data, size_t len)
{
	size_t pg = (size_t)sysconf(_SC_PAGESIZE);
	size_t data_pages = (len + pg - 1) / pg;
	if (data_pages == 0)
		data_pages = 1;
	g->map_len = (data_pages + 1) * pg;
	g->map = mmap(NULL, g->map_len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
		-1, 0);
	if (g->map == MAP_FAILED) {
		perror("mmap");
		exit(99);
	}
	uint8_t *guard = (uint8_t *)g->map + data_pages * pg;
	if (mprotect(guard, pg, PROT_NONE) != 0) {
		perror("mprotect");
		exit(99);
	}
	uint8_t *p = guard - len;
	if (len)
		memcpy(p, data, len);
	return p;
}

static inline void
hl_test_guard_free(struct hl_test_guard_buf *g)
{
	if (g->map != NULL && g->map != MAP_FAILED)
		munmap(g->map, g->map_len);
	g->map = NULL;
}

/* Runs every case, or those named on the command line, in registration order;
 * returns the exit status (1 when a case failed or none ran). Tests that must set
 * something up first (EAL) call it from their own main(). */
static inline int
hl_test_run(int argc, char **argv)
{
	unsigned int ran = 0, failed_cases = 0;

	for (unsigned int i = 0; i < hl_test_ncases; i++) {
		int want = argc < 2;
		for (int a = 1; a < argc; a++)
			if (strcmp(argv[a], hl_test_cases[i].name) == 0)
				want = 1;
		if (!want)
			continue;
		unsigned int before = hl_test_failed_checks;
		hl_test_current = hl_test_cases[i].name;
		hl_test_cases[i].fn();
		ran++;
		if (hl_test_failed_checks != before) {
			failed_cases++;
			printf("not ok %u - %s\n", ran, hl_test_cases[i].name);
		} else {
			printf("ok %u - %s\n", ran, hl_test_cases[i].name);
		}
	}
	printf("# %u cases, %u checks, %u failed checks\n", ran, hl_test_checks,
		hl_test_failed_checks);
	if (ran == 0) {
		fprintf(stderr, "no test case ran\n");
		return 1;
	}
	return failed_cases ? 1 : 0;
}

#define HL_TEST_MAIN()                                                                \
	int main(int argc, char **argv)                                               \
	{                                                                             \
		return hl_test_run(argc, argv);                                       \
	}

#endif
