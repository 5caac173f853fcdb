/* Unit tests for the error-code helpers in include/hotline/common.h. */
#include <errno.h>

#include "hl_test.h"
#include "hotline/common.h"

HL_TEST(strerror_codes)
{
	HL_CHECK_STR(hl_strerror(0), "success");
	HL_CHECK_STR(hl_strerror(HL_E_PARSE), "malformed input");
	HL_CHECK_STR(hl_strerror(HL_E_DEPENDENCY), "a library call failed");
	HL_CHECK_STR(hl_strerror(-ENOMEM), strerror(ENOMEM));
	HL_CHECK_STR(hl_strerror(ENOENT), strerror(ENOENT));
	HL_CHECK_STR(hl_strerror(HL_E_BASE - 999), "unknown hotline error");
	HL_CHECK(HL_E_PARSE <= HL_E_BASE);
	HL_CHECK(HL_E_INCOMPLETE == HL_E_PARSE - 1);
}

HL_TEST(guard_buffer_holds_data_at_page_end)
{
	struct hl_test_guard_buf g = {0};
	uint8_t *p = hl_test_guard(&g, "abc", 3);
	HL_CHECK_MEM(p, "abc", 3);
	HL_CHECK((((uintptr_t)(p + 3)) % (uintptr_t)sysconf(_SC_PAGESIZE)) == 0);
	hl_test_guard_free(&g);
}

HL_TEST_MAIN()
