/*
 * hotline timer wheel: the control lcore's timers for SIP transactions (RFC 3261
 * timers A-K), dialogs (2xx retransmission, session timers), ringing and expiry.
 *
 * A hashed wheel (Varghese and Lauck) of HL_TIMER_SLOTS one-millisecond slots. A
 * timer is embedded by value in the object it times (intrusive, no allocation) and
 * sits on the doubly linked list of slot (expiry mod slots); a timer further out than
 * one turn of the wheel stays in its slot and is skipped until its turn comes, so
 * arming and cancelling are O(1) and a turn of the wheel visits each timer once per
 * 16 s of its remaining time. hl_timer_advance() fires what is due in time order of
 * slots and does bounded work per call: at most `budget` callbacks, leaving the rest
 * for the next call (STYLE.md rule 11), so a burst of expiries (a restart, a flood of
 * transactions timing out together) never stalls the control loop.
 *
 * Pure C, no DPDK: time is whatever millisecond clock the owner passes in, so the
 * signalling tests run on simulated time.
 */
#ifndef HOTLINE_TIMER_H
#define HOTLINE_TIMER_H

#include <stdbool.h>
#include <stdint.h>

#define HL_TIMER_SLOTS 16384 /* power of two: 16.4 s per turn */

struct hl_timer;
typedef void (*hl_timer_fn)(struct hl_timer *t, void *arg);

struct hl_timer {
	struct hl_timer *next, *prev; /* prev NULL: not armed */
	uint64_t expire_ms;
	hl_timer_fn fn;
	void *arg;
};

struct hl_timer_wheel {
	uint64_t now_ms;   /* every slot up to here has been run */
	uint64_t armed;
	uint64_t fired;
	struct hl_timer head[HL_TIMER_SLOTS]; /* list sentinels */
};

/* Starts the wheel at time now_ms. */
void hl_timer_wheel_init(struct hl_timer_wheel *w, uint64_t now_ms);

static inline void
hl_timer_init(struct hl_timer *t, hl_timer_fn fn, void *arg)
{
	t->next = t->prev = 0;
	t->expire_ms = 0;
	t->fn = fn;
	t->arg = arg;
}

static inline bool
hl_timer_armed(const struct hl_timer *t)
{
	return t->prev != 0;
}

/* (Re)arms t to fire at w->now_ms + delay_ms (0: at the next advance). */
void hl_timer_arm(struct hl_timer_wheel *w, struct hl_timer *t, uint64_t delay_ms);
/* Arms t at an absolute time; a time in the past fires at the next advance. */
void hl_timer_arm_at(struct hl_timer_wheel *w, struct hl_timer *t, uint64_t at_ms);
/* Disarms t; harmless when not armed. */
void hl_timer_cancel(struct hl_timer_wheel *w, struct hl_timer *t);

/*
 * Runs the timers due up to now_ms, at most budget of them (a callback may arm or
 * cancel any timer, itself included). Returns the number fired; when it equals
 * budget, more may be due and the caller calls again on its next turn.
 */
unsigned int hl_timer_advance(struct hl_timer_wheel *w, uint64_t now_ms, unsigned int budget);

#endif
