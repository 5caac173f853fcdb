/*
 * hotline engine: the process's ports, workers and control lcore, from a config.
 *
 * hl_engine_create() runs after rte_eal_init(): it checks the configured lcores
 * against EAL's, creates one mbuf pool per NUMA socket, probes each configured
 * device (PMD devargs or PCI address), gives each port one RX/TX queue pair per
 * worker (fewer if the PMD has fewer; RSS where it has it) and starts it. Workers
 * without a queue of their own receive through software dispatch: whoever reads
 * an RTP datagram hands it, through a ring, to the worker that owns its local
 * port, and sends through a ring to a worker that has a TX queue.
 *
 * hl_engine_run() launches every lcore's loop and returns when hl_engine_stop()
 * (async-signal-safe) is called. Each loop turn polls, then backs off when idle
 * (pause, then sleeps doubling up to [engine] idle_sleep_max_us) unless
 * busy_poll is on; busy and idle TSC cycles are counted either way.
 */
#ifndef HOTLINE_ENGINE_H
#define HOTLINE_ENGINE_H

#include <stdint.h>
#include <stdio.h>

#include "hotline/config.h"

struct hl_engine;
struct hl_worker;

/* NULL on failure with a message in err ("what: why"). cfg must outlive the engine. */
struct hl_engine *hl_engine_create(const struct hl_config *cfg, char *err, size_t errlen);

/* Runs every lcore's loop until hl_engine_stop(); the calling thread must be EAL's main. */
int hl_engine_run(struct hl_engine *e);

/* Asks every loop to return. Safe from a signal handler. */
void hl_engine_stop(struct hl_engine *e);

/* Stops ports and frees everything; NULL-tolerant. */
void hl_engine_free(struct hl_engine *e);

/* Human-readable counters: non-zero classes and drops, per-lcore busy/idle. */
void hl_engine_print_stats(const struct hl_engine *e, FILE *f);

/* For tests and bench/: worker idx, and one loop turn of it (returns work done). */
struct hl_worker *hl_engine_worker(struct hl_engine *e, unsigned int idx);
unsigned int hl_worker_poll(struct hl_worker *w);
/* Sends everything buffered for TX now; returns how many packets waited. */
unsigned int hl_worker_flush(struct hl_worker *w);
/*
 * The control lcore's side of the engine. SIP it sends is built here into an mbuf
 * (IPv4/IPv6 + UDP from our SIP port, checksums computed) and handed through a
 * ring to worker 0, which routes, resolves and transmits it as its own.
 */
struct rte_ring;
struct rte_ring *hl_engine_sip_ring(struct hl_engine *e);
/* 0, or a negative code (no mbuf, ring full, no address of that family on pi). */
int hl_engine_sip_send(struct hl_engine *e, unsigned int pi, int family, const uint8_t *dst,
	uint16_t dport, const void *payload, size_t len);
/*
 * The port that reaches dst (family 4 or 6): the one whose subnet holds it, else
 * one with a gateway of that family. Writes *pi and our address there (4 or 16
 * bytes). 0 or -ENETUNREACH.
 */
int hl_engine_route(const struct hl_engine *e, int family, const uint8_t *dst, unsigned int *pi,
	uint8_t *local);
/* Config index of ethdev port_id, -1 if none. */
int hl_engine_port_index(const struct hl_engine *e, uint16_t port_id);
/* The control state, for telemetry. */
struct hl_control *hl_engine_control(struct hl_engine *e);

/* ethdev port id of configured port index pi. */
uint16_t hl_engine_port_id(const struct hl_engine *e, unsigned int pi);

#endif
