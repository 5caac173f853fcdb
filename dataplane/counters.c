/* Counter names and summing: see include/hotline/counters.h. */
#include <string.h>

#include "hotline/common.h"
#include "hotline/counters.h"

struct hl_lcore_stats hl_stats[HL_STATS_MAX_LCORES];

static const char *const ctr_names[HL_CTR_MAX] = {
#define HL_CTR_NAME_(sym, name) [HL_CTR_##sym] = name,
	HL_FOREACH_COUNTER(HL_CTR_NAME_)
#undef HL_CTR_NAME_
};

static const char *const drop_names[HL_DROP_MAX] = {
#define HL_DROP_NAME_(sym, name) [HL_DROP_##sym] = name,
	HL_FOREACH_DROP(HL_DROP_NAME_)
#undef HL_DROP_NAME_
};

const char *
hl_ctr_name(enum hl_ctr c)
{
	return (unsigned int)c < HL_CTR_MAX ? ctr_names[c] : "unknown";
}

const char *
hl_drop_name(enum hl_drop d)
{
	return (unsigned int)d < HL_DROP_MAX ? drop_names[d] : "unknown";
}

void
hl_stats_sum(struct hl_lcore_stats *out)
{
	memset(out, 0, sizeof(*out));
	for (unsigned int l = 0; l < HL_STATS_MAX_LCORES; l++) {
		const volatile struct hl_lcore_stats *s = &hl_stats[l];

		for (unsigned int i = 0; i < HL_CTR_MAX; i++)
			out->ctr[i] += s->ctr[i];
		for (unsigned int i = 0; i < HL_DROP_MAX; i++)
			out->drop[i] += s->drop[i];
		out->busy_tsc += s->busy_tsc;
		out->idle_tsc += s->idle_tsc;
		out->loops += s->loops;
		out->sleeps += s->sleeps;
	}
}

uint64_t
hl_stats_drops_total(const struct hl_lcore_stats *s)
{
	uint64_t t = 0;

	for (unsigned int i = 0; i < HL_DROP_MAX; i++)
		t += s->drop[i];
	return t;
}
