/*
 * hotline control lcore: owner of call state.
 *
 * Workers pass every SIP datagram to control through one multi-producer ring,
 * the mbuf itself with l2_len/l3_len/l4_len set, so the UDP payload starts at
 * their sum. Control runs DPDK timers (rte_timer) and, in later modules, the SIP
 * transactions, dialogs, registrar and ACD. Until the signalling module takes
 * them, datagrams are counted in (control_sip_in) and released with the drop
 * reason sip_not_handled_yet, so the path from the wire to control is measured
 * end to end.
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
struct rte_ring;

/* NULL + hl_errno on failure. The ring stays the caller's. */
struct hl_control *hl_control_create(const struct hl_config *cfg, struct rte_ring *sip_ring);
void hl_control_free(struct hl_control *c);

/* One turn: drains up to one burst of SIP datagrams, runs due timers. */
unsigned int hl_control_poll(struct hl_control *c, struct hl_lcore_stats *st);

#endif
