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
/* Sends everything buffered for TX now. */
void hl_worker_flush(struct hl_worker *w);
/* ethdev port id of configured port index pi. */
uint16_t hl_engine_port_id(const struct hl_engine *e, unsigned int pi);

#endif
