/* Hashed timer wheel: see include/hotline/timer.h. */
#include "hotline/timer.h"

#define SLOT_MASK (HL_TIMER_SLOTS - 1)

void
hl_timer_wheel_init(struct hl_timer_wheel *w, uint64_t now_ms)
{
	w->now_ms = now_ms;
	w->armed = 0;
	w->fired = 0;
	for (unsigned int i = 0; i < HL_TIMER_SLOTS; i++)
		w->head[i].next = w->head[i].prev = &w->head[i];
}

static void
unlink_timer(struct hl_timer *t)
{
	t->prev->next = t->next;
	t->next->prev = t->prev;
	t->next = t->prev = 0;
}

void
hl_timer_cancel(struct hl_timer_wheel *w, struct hl_timer *t)
{
	if (t->prev == 0)
		return;
	unlink_timer(t);
	w->armed--;
}

void
hl_timer_arm_at(struct hl_timer_wheel *w, struct hl_timer *t, uint64_t at_ms)
{
	struct hl_timer *h;

	hl_timer_cancel(w, t);
	/* A slot at or behind the cursor would wait a whole turn: due now means next. */
	if (at_ms <= w->now_ms)
		at_ms = w->now_ms + 1;
	t->expire_ms = at_ms;
	h = &w->head[at_ms & SLOT_MASK];
	t->next = h;
	t->prev = h->prev;
	h->prev->next = t;
	h->prev = t;
	w->armed++;
}

void
hl_timer_arm(struct hl_timer_wheel *w, struct hl_timer *t, uint64_t delay_ms)
{
	hl_timer_arm_at(w, t, w->now_ms + delay_ms);
}

unsigned int
hl_timer_advance(struct hl_timer_wheel *w, uint64_t now_ms, unsigned int budget)
{
	unsigned int fired = 0;

	while (w->now_ms < now_ms) {
		uint64_t slot_ms = w->now_ms + 1;
		struct hl_timer *h = &w->head[slot_ms & SLOT_MASK];
		/*
		 * Walk the slot with a marker-free scan: a callback may unlink any
		 * timer, so restart from the head after each fire instead of keeping
		 * a next pointer that could dangle. Timers of later turns are skipped;
		 * a slot holds few of them (one per 16 s of remaining time).
		 */
		struct hl_timer *t = h->next;
		while (t != h) {
			if (t->expire_ms > slot_ms) {
				t = t->next;
				continue;
			}
			if (fired == budget)
				return fired;
			unlink_timer(t);
			w->armed--;
			w->fired++;
			fired++;
			t->fn(t, t->arg);
			t = h->next;
		}
		w->now_ms = slot_ms;
		/* Jump over a long idle gap: the slots between hold only later turns. */
		if (w->armed == 0 && w->now_ms < now_ms)
			w->now_ms = now_ms;
	}
	return fired;
}
