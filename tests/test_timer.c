/* The timer wheel: order, cancel, re-arm from a callback, turns, bounded work. */
#include "hl_test.h"
#include "hotline/common.h"
#include "hotline/timer.h"

static struct hl_timer_wheel wheel;
static uint64_t fired_at[64];
static unsigned int nfired;

static void
record(struct hl_timer *t, void *arg)
{
	(void)t;
	(void)arg;
	if (nfired < 64)
		fired_at[nfired] = wheel.now_ms + 1;
	nfired++;
}

static void
run_to(uint64_t ms)
{
	while (wheel.now_ms < ms)
		hl_timer_advance(&wheel, ms, 1000);
}

HL_TEST(fires_in_order_and_on_time)
{
	static const uint64_t delays[] = {5, 1, 300, 17000, 40000, 2, 16384, 16385};
	struct hl_timer t[HL_ARRAY_SIZE(delays)];

	hl_timer_wheel_init(&wheel, 1000);
	nfired = 0;
	for (unsigned int i = 0; i < HL_ARRAY_SIZE(delays); i++) {
		hl_timer_init(&t[i], record, NULL);
		hl_timer_arm(&wheel, &t[i], delays[i]);
	}
	HL_CHECK(wheel.armed == HL_ARRAY_SIZE(delays));
	run_to(1000 + 50000);
	HL_CHECK(nfired == HL_ARRAY_SIZE(delays));
	for (unsigned int i = 1; i < nfired; i++)
		HL_CHECK(fired_at[i] >= fired_at[i - 1]);
	/* each at its own millisecond, later turns included */
	for (unsigned int i = 0; i < HL_ARRAY_SIZE(delays); i++)
		HL_CHECK(!hl_timer_armed(&t[i]) && t[i].expire_ms == 1000 + delays[i]);
	HL_CHECK(wheel.armed == 0);
}

HL_TEST(cancel_and_rearm)
{
	struct hl_timer a, b;

	hl_timer_wheel_init(&wheel, 0);
	nfired = 0;
	hl_timer_init(&a, record, NULL);
	hl_timer_init(&b, record, NULL);
	hl_timer_arm(&wheel, &a, 10);
	hl_timer_arm(&wheel, &b, 10);
	hl_timer_cancel(&wheel, &a);
	hl_timer_cancel(&wheel, &a); /* twice is harmless */
	hl_timer_arm(&wheel, &b, 20); /* re-arm moves it */
	run_to(15);
	HL_CHECK(nfired == 0);
	run_to(25);
	HL_CHECK(nfired == 1 && fired_at[0] == 20);
	/* a time in the past fires at the next advance */
	hl_timer_arm_at(&wheel, &a, 3);
	run_to(26);
	HL_CHECK(nfired == 2);
}

static struct hl_timer chain;
static unsigned int chain_n;

static void
rearm_self(struct hl_timer *t, void *arg)
{
	(void)arg;
	if (++chain_n < 5)
		hl_timer_arm(&wheel, t, 100);
}

HL_TEST(rearm_from_callback)
{
	hl_timer_wheel_init(&wheel, 0);
	chain_n = 0;
	hl_timer_init(&chain, rearm_self, NULL);
	hl_timer_arm(&wheel, &chain, 100);
	run_to(1000);
	HL_CHECK(chain_n == 5 && !hl_timer_armed(&chain));
}

HL_TEST(bounded_work_per_call)
{
	static struct hl_timer many[1000];
	unsigned int total = 0, calls = 0, n;

	hl_timer_wheel_init(&wheel, 0);
	nfired = 0;
	for (unsigned int i = 0; i < 1000; i++) {
		hl_timer_init(&many[i], record, NULL);
		hl_timer_arm(&wheel, &many[i], 50);
	}
	/* all due together: 256 at most per call, the rest on the next ones */
	do {
		n = hl_timer_advance(&wheel, 100, 256);
		HL_CHECK(n <= 256);
		total += n;
		calls++;
	} while (n == 256);
	HL_CHECK(total == 1000 && calls == 4);
	HL_CHECK(wheel.now_ms == 100 && wheel.armed == 0);
}

HL_TEST_MAIN()
