/*
 * hotline telemetry: the engine's counters through DPDK telemetry, so
 * `dpdk-telemetry.py` (and any client of the telemetry socket) reads them live.
 *
 * Commands, all under /hotline/: version, config, stats (packet classes, summed
 * over lcores), drops (every drop reason and the total), lcores (role, busy and
 * idle cycles, busy percentage, sleeps per lcore), ports (addresses, queues and
 * ethdev counters) and neigh (the ARP/NDP table). Callbacks run on DPDK's
 * telemetry thread and only read: counters are summed from the per-lcore
 * blocks, the neighbour table is walked under its writer lock.
 */
#ifndef HOTLINE_TELEMETRY_H
#define HOTLINE_TELEMETRY_H

struct hl_engine;

/* Registers the /hotline/ commands for e; 0 or a negative errno. */
int hl_telemetry_register(struct hl_engine *e);

/* Detaches the commands from the engine before it is freed. */
void hl_telemetry_unregister(void);

#endif
