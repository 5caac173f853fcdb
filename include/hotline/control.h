/*
 * hotline control lcore: owner of call state.
 *
 * Workers pass every SIP datagram to control through one multi-producer ring,
 * the mbuf itself with l2_len/l3_len/l4_len set, so the UDP payload starts at
 * their sum. Control hands each to the signalling module (hotline/sig.h) with its
 * source address and runs its timers; what signalling sends goes back through
 * hl_engine_sip_send() to worker 0's TX path.
 *
 * hl_control_poll() does bounded work (one burst of the ring, the due timers)
 * and returns how much, so the lcore loop can back off when idle.
 */
#ifndef HOTLINE_CONTROL_H
#define HOTLINE_CONTROL_H

#include <stdint.h>

#include "hotline/config.h"
#include "hotline/counters.h"

struct hl_control;
struct hl_engine;
struct hl_sig;

/*
 * Loads the tenants file and opens the store named in [sip], provisions the
 * store, and creates the signalling state over the engine's SIP ring and TX
 * path. NULL + hl_errno on failure (the reason is logged).
 */
struct hl_control *hl_control_create(const struct hl_config *cfg, struct hl_engine *e);
void hl_control_free(struct hl_control *c);
/* The signalling state, for telemetry (read-only, any thread). */
const struct hl_sig *hl_control_sig(const struct hl_control *c);

/* The last finished customer (side 0) and agent (side 1) legs' media figures. */
struct hl_media_stats;
const struct hl_media_stats *hl_control_last_media(const struct hl_control *c, unsigned int side);

/* One turn: drains up to one burst of SIP datagrams, runs due timers. */
unsigned int hl_control_poll(struct hl_control *c, struct hl_lcore_stats *st);

#endif
