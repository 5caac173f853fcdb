/* Engine lifecycle, ports and the per-lcore loop: see include/hotline/engine.h. */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <string.h>
#include <sys/prctl.h>
#include <time.h>

#include <rte_bus.h>
#include <rte_cycles.h>
#include <rte_dev.h>
#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_log.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_pause.h>

#include "dataplane/engine_priv.h"
#include "hotline/common.h"
#include "hotline/control.h"
#include "hotline/dtmf.h"
#include "hotline/engine.h"
#include "hotline/flow.h"
#include "hotline/media.h"
#include "hotline/neigh.h"
#include "hotline/net.h"
#include "hotline/srtp.h"

RTE_LOG_REGISTER(hl_logtype_engine, hl.dp.engine, INFO);
#define LOG(level, ...) rte_log(RTE_LOG_##level, hl_logtype_engine, "hl.dp.engine: " __VA_ARGS__)

#define HANDOFF_RING 1024
#define TXFWD_RING 1024
#define MBUF_CACHE 256
/* Empty loop turns spent pausing before the first sleep. */
#define IDLE_SPIN_LOOPS 64
#define MAINT_INTERVAL_MS 10

static void __attribute__((format(printf, 3, 4)))
set_err(char *err, size_t len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, len, fmt, ap);
	va_end(ap);
}

struct hl_worker *
hl_engine_worker(struct hl_engine *e, unsigned int idx)
{
	return idx < e->n_workers ? e->workers[idx] : NULL;
}

uint16_t
hl_engine_port_id(const struct hl_engine *e, unsigned int pi)
{
	return e->ports[pi].port_id;
}

/* ---- TX --------------------------------------------------------------------- */

static void
tx_error(struct rte_mbuf **unsent, uint16_t n, void *arg)
{
	struct hl_worker *w = arg;

	w->st->drop[HL_DROP_TX_FULL] += n;
	rte_pktmbuf_free_bulk(unsent, n);
}

void
hl_worker_tx_fwd(struct hl_worker *w, unsigned int pi, struct rte_mbuf *m)
{
	if (rte_ring_sp_enqueue(w->txfwd[pi], m) != 0) {
		w->st->drop[HL_DROP_TX_FULL]++;
		rte_pktmbuf_free(m);
	}
}

unsigned int
hl_worker_flush(struct hl_worker *w)
{
	unsigned int n = 0;

	for (unsigned int p = 0; p < w->eng->n_ports; p++) {
		if (w->queue[p] < 0 || w->txb[p]->length == 0)
			continue;
		n += w->txb[p]->length;
		w->st->ctr[HL_CTR_TX_PACKETS] += rte_eth_tx_buffer_flush(
			w->eng->ports[p].port_id, (uint16_t)w->queue[p], w->txb[p]);
	}
	return n;
}

/* ---- one loop turn ---------------------------------------------------------- */

unsigned int
hl_worker_poll(struct hl_worker *w)
{
	struct hl_engine *e = w->eng;
	struct rte_mbuf *pkts[HL_BURST];
	unsigned int work = 0;
	uint64_t now = rte_rdtsc();

	w->now = now;
	for (unsigned int p = 0; p < e->n_ports; p++) {
		if (w->queue[p] < 0)
			continue;
		uint16_t n = rte_eth_rx_burst(e->ports[p].port_id, (uint16_t)w->queue[p], pkts,
			HL_BURST);
		if (n) {
			hl_net_rx_gather(w, p, pkts, n);
			work += n;
		}
		for (unsigned int d = 0; d < w->n_deps[p]; d++) {
			unsigned int k = rte_ring_sc_dequeue_burst(w->deps[p][d], (void **)pkts,
				HL_BURST, NULL);
			for (unsigned int i = 0; i < k; i++)
				w->st->ctr[HL_CTR_TX_PACKETS] += rte_eth_tx_buffer(
					e->ports[p].port_id, (uint16_t)w->queue[p], w->txb[p],
					pkts[i]);
			work += k;
		}
	}
	/* Every port's RTP of this turn, relayed as one media burst. */
	hl_net_rtp_flush(w);
	unsigned int k;
	if (w->index == 0 && (k = rte_ring_sc_dequeue_burst(e->ctl_tx, (void **)pkts, HL_BURST,
		NULL)) != 0) {
		/* SIP from the control lcore: m->port holds the port index. */
		for (unsigned int i = 0; i < k; i++)
			hl_net_output(w, pkts[i]->port, pkts[i]);
		work += k;
	}
	k = rte_ring_sc_dequeue_burst(w->handoff, (void **)pkts, HL_BURST, NULL);
	if (k) {
		w->st->ctr[HL_CTR_HANDOFF_IN] += k;
		hl_net_rtp_burst(w, pkts, (uint16_t)k);
		work += k;
	}
	work += hl_media_commands(w);
	work += hl_media_tick(w, now);
	if (now >= w->next_drain_tsc) {
		work += hl_worker_flush(w);
		w->next_drain_tsc = now + e->drain_tsc;
	}
	if (now >= w->next_maint_tsc) {
		hl_net_maintain(w, now);
		w->next_maint_tsc = now + e->tsc_hz / 1000 * MAINT_INTERVAL_MS;
	}
	return work;
}

/* ---- the lcore loop ---------------------------------------------------------- */

struct lcore_ctx {
	struct hl_engine *eng;
	struct hl_worker *w;   /* NULL: control only */
	bool control;
};

static struct lcore_ctx lcore_ctx[RTE_MAX_LCORE];

/*
 * Idle back-off, l3fwd-power style: after IDLE_SPIN_LOOPS empty turns, sleep
 * idle_sleep_min_us and double up to idle_sleep_max_us; any work resets it. The
 * timer slack is set to 1 ns so short sleeps are short (the default 50 µs slack
 * would make every sleep 50 µs or more). A sleep's own cost hardly depends on its
 * length: on a KVM guest every nanosleep took about 20 µs of CPU, 1 µs or 128 µs
 * (timer programming and the wake-up exit), so the first sleep is not the shortest
 * possible one (default 16 µs): sleeps of 1, 2, 4 and 8 µs cost a core more than
 * they save. Before the first sleep the TX buffers are sent, so
 * nothing waits in them while the lcore sleeps; that send (on af_packet a
 * syscall running the kernel's transmit path) is work, and the turn that did it
 * returns the packets sent instead of sleeping, to be counted as busy.
 */
static unsigned int
backoff(struct lcore_ctx *c, struct hl_lcore_stats *st, uint32_t *idle_loops,
	uint32_t *sleep_us)
{
	const struct hl_config *cfg = c->eng->cfg;

	if (cfg->busy_poll || ++*idle_loops < IDLE_SPIN_LOOPS) {
		rte_pause();
		return 0;
	}
	if (c->w != NULL) {
		unsigned int sent = hl_worker_flush(c->w);

		if (sent)
			return sent;
	}
	*sleep_us = *sleep_us == 0 ? cfg->idle_sleep_min_us : *sleep_us * 2;
	if (*sleep_us > cfg->idle_sleep_max_us)
		*sleep_us = cfg->idle_sleep_max_us;
	struct timespec ts = {.tv_sec = *sleep_us / 1000000,
		.tv_nsec = (long)(*sleep_us % 1000000) * 1000};
	nanosleep(&ts, NULL);
	st->sleeps++;
	return 0;
}

static int
lcore_loop(void *arg)
{
	struct lcore_ctx *c = arg;
	struct hl_engine *e = c->eng;
	struct hl_lcore_stats *st = &hl_stats[rte_lcore_id()];
	uint32_t idle_loops = 0, sleep_us = 0;
	uint64_t t0 = rte_rdtsc();

	prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0);
	LOG(INFO, "lcore %u: %s%s\n", rte_lcore_id(), c->w ? "worker" : "",
		c->control ? (c->w ? "+control" : "control") : "");
	while (!__atomic_load_n(&e->quit, __ATOMIC_RELAXED)) {
		unsigned int work = 0;

		if (c->w != NULL)
			work += hl_worker_poll(c->w);
		if (c->control)
			work += hl_control_poll(e->control, st);
		uint64_t t1 = rte_rdtsc();
		st->loops++;
		if (work) {
			st->busy_tsc += t1 - t0;
			idle_loops = 0;
			sleep_us = 0;
			t0 = t1;
			continue;
		}
		unsigned int sent = backoff(c, st, &idle_loops, &sleep_us);
		uint64_t t2 = rte_rdtsc();
		if (sent)
			st->busy_tsc += t2 - t0;
		else
			st->idle_tsc += t2 - t0;
		t0 = t2;
	}
	if (c->w != NULL)
		hl_worker_flush(c->w);
	return 0;
}

int
hl_engine_run(struct hl_engine *e)
{
	unsigned int main_lcore = rte_get_main_lcore();
	unsigned int lcore;
	int rc = 0;

	RTE_LCORE_FOREACH_WORKER(lcore) {
		if (lcore_ctx[lcore].eng == NULL)
			continue;
		rc = rte_eal_remote_launch(lcore_loop, &lcore_ctx[lcore], lcore);
		if (rc != 0) {
			LOG(ERR, "cannot launch lcore %u: %s\n", lcore, strerror(-rc));
			hl_engine_stop(e);
			break;
		}
	}
	if (rc == 0 && lcore_ctx[main_lcore].eng != NULL) {
		lcore_loop(&lcore_ctx[main_lcore]);
	} else {
		/* The main lcore has no role: it only waits for the stop. */
		while (!__atomic_load_n(&e->quit, __ATOMIC_RELAXED)) {
			struct timespec ts = {.tv_nsec = 50 * 1000 * 1000};
			nanosleep(&ts, NULL);
		}
	}
	rte_eal_mp_wait_lcore();
	return rc;
}

void
hl_engine_stop(struct hl_engine *e)
{
	__atomic_store_n(&e->quit, true, __ATOMIC_RELAXED);
}

/* ---- creation --------------------------------------------------------------- */

static int
socket_of_port(uint16_t pid)
{
	int s = rte_eth_dev_socket_id(pid);
	return s < 0 ? 0 : s;
}

/* The ethdev name a devargs string creates: "net_af_packet0,iface=x" -> "net_af_packet0". */
static void
devargs_name(const char *devargs, char *name, size_t len)
{
	size_t n = strcspn(devargs, ",");

	if (n >= len)
		n = len - 1;
	memcpy(name, devargs, n);
	name[n] = '\0';
}

static int
port_open(struct hl_engine *e, unsigned int pi, char *err, size_t errlen)
{
	struct hl_port *p = &e->ports[pi];
	const struct hl_config_port *c = &e->cfg->ports[pi];
	struct rte_eth_dev_info info;
	struct rte_eth_conf conf = {0};
	char name[RTE_DEV_NAME_MAX_LEN];
	uint16_t pid, nq, nrx, ntx;
	int rc;

	p->cfg = c;
	p->index = (uint16_t)pi;
	devargs_name(c->device, name, sizeof(name));
	if (rte_eth_dev_get_port_by_name(name, &pid) != 0) {
		rc = rte_dev_probe(c->device);
		if (rc != 0) {
			set_err(err, errlen, "%s:%u: [port %s] device '%s' cannot be probed: %s",
				e->cfg->path, c->line, c->name, c->device, strerror(-rc));
			return rc;
		}
		if (rte_eth_dev_get_port_by_name(name, &pid) != 0) {
			set_err(err, errlen, "%s:%u: [port %s] device '%s' made no ethdev port",
				e->cfg->path, c->line, c->name, c->device);
			return -ENODEV;
		}
	}
	p->port_id = pid;
	rc = rte_eth_dev_info_get(pid, &info);
	if (rc != 0) {
		set_err(err, errlen, "[port %s]: cannot read device info: %s", c->name, strerror(-rc));
		return rc;
	}
	nq = info.max_rx_queues < info.max_tx_queues ? info.max_rx_queues : info.max_tx_queues;
	if (nq > e->n_workers)
		nq = (uint16_t)e->n_workers;
	if (nq == 0)
		nq = 1;
	if (nq > 1 && info.flow_type_rss_offloads != 0) {
		conf.rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
		conf.rx_adv_conf.rss_conf.rss_hf =
			(RTE_ETH_RSS_IP | RTE_ETH_RSS_UDP) & info.flow_type_rss_offloads;
	} else if (nq > 1) {
		nq = 1; /* no RSS: one queue, software dispatch to the other workers */
	}
	conf.rxmode.mtu = info.max_mtu != 0 && info.max_mtu < c->mtu ? info.max_mtu : c->mtu;
	/* Let the NIC verify IPv4 and UDP checksums where it can; the worker trusts
	 * its GOOD/BAD verdict and checks in software otherwise. */
	conf.rxmode.offloads = info.rx_offload_capa &
			       (RTE_ETH_RX_OFFLOAD_IPV4_CKSUM | RTE_ETH_RX_OFFLOAD_UDP_CKSUM);
	rc = rte_eth_dev_configure(pid, nq, nq, &conf);
	if (rc != 0) {
		set_err(err, errlen, "[port %s]: configure with %u queues: %s", c->name, nq,
			strerror(-rc));
		return rc;
	}
	nrx = c->rx_desc;
	ntx = c->tx_desc;
	rte_eth_dev_adjust_nb_rx_tx_desc(pid, &nrx, &ntx);
	int sock = socket_of_port(pid);
	for (uint16_t q = 0; q < nq; q++) {
		rc = rte_eth_rx_queue_setup(pid, q, nrx, sock, NULL, e->pool[sock]);
		if (rc == 0)
			rc = rte_eth_tx_queue_setup(pid, q, ntx, sock, NULL);
		if (rc != 0) {
			set_err(err, errlen, "[port %s]: queue %u setup: %s", c->name, q,
				strerror(-rc));
			return rc;
		}
	}
	p->n_queues = nq;
	rte_eth_macaddr_get(pid, &p->mac);
	hl_net_port_init(p);
	rc = rte_eth_dev_start(pid);
	if (rc != 0) {
		set_err(err, errlen, "[port %s]: start: %s", c->name, strerror(-rc));
		return rc;
	}
	/* IPv6 Neighbor Discovery listens to solicited-node multicast groups. */
	if (c->has_ip6)
		(void)rte_eth_allmulticast_enable(pid);
	LOG(INFO, "port %s: ethdev %u (%s), %u queue pair(s), MAC " RTE_ETHER_ADDR_PRT_FMT "\n",
		c->name, pid, info.driver_name, nq, RTE_ETHER_ADDR_BYTES(&p->mac));
	return 0;
}

static unsigned int
pool_size(const struct hl_config *cfg)
{
	uint64_t n = cfg->mbufs;

	if (n == 0) {
		/* Every descriptor full, every ring full, every reassembly slot holding
		 * a few fragments, every lcore's cache, plus slack. */
		n = 0;
		for (unsigned int i = 0; i < cfg->n_ports; i++)
			n += (uint64_t)cfg->n_workers * (cfg->ports[i].rx_desc + cfg->ports[i].tx_desc);
		n += cfg->sip_ring_size;
		n += (uint64_t)cfg->n_workers * (HANDOFF_RING + TXFWD_RING + 4 * HL_BURST);
		n += (uint64_t)cfg->n_workers * cfg->frag_max_flows * 2;
		n += (uint64_t)(cfg->n_workers + 1) * MBUF_CACHE;
		n += cfg->neigh_entries;
		n += 4096;
	}
	/* The mempool is most memory-efficient at 2^k - 1 elements. */
	uint64_t p2 = 1;
	while (p2 - 1 < n)
		p2 <<= 1;
	return (unsigned int)(p2 - 1);
}

static int
lcores_check(const struct hl_config *cfg, char *err, size_t errlen)
{
	if (!rte_lcore_is_enabled(cfg->control_lcore)) {
		set_err(err, errlen, "%s: control lcore %u is not enabled in EAL (-l/--lcores)",
			cfg->path, cfg->control_lcore);
		return -EINVAL;
	}
	for (unsigned int i = 0; i < cfg->n_workers; i++)
		if (!rte_lcore_is_enabled(cfg->worker_lcores[i])) {
			set_err(err, errlen, "%s: worker lcore %u is not enabled in EAL "
				"(-l/--lcores)", cfg->path, cfg->worker_lcores[i]);
			return -EINVAL;
		}
	if (cfg->n_workers > HL_MAX_WORKERS) {
		set_err(err, errlen, "%s: %u workers; at most %d", cfg->path, cfg->n_workers,
			HL_MAX_WORKERS);
		return -EINVAL;
	}
	return 0;
}

static struct hl_worker *
worker_create(struct hl_engine *e, unsigned int idx, char *err, size_t errlen)
{
	const struct hl_config *cfg = e->cfg;
	unsigned int lcore = cfg->worker_lcores[idx];
	int sock = (int)rte_lcore_to_socket_id(lcore);
	char name[RTE_RING_NAMESIZE];
	struct hl_worker *w;

	w = rte_zmalloc_socket("hl_worker", sizeof(*w), RTE_CACHE_LINE_SIZE, sock);
	if (w == NULL) {
		set_err(err, errlen, "worker %u: out of memory", idx);
		return NULL;
	}
	w->index = (uint16_t)idx;
	w->lcore = (uint16_t)lcore;
	w->eng = e;
	w->st = &hl_stats[lcore];
	w->pool = e->pool[sock] ? e->pool[sock] : e->pool[0];
	w->is_control = lcore == cfg->control_lcore;
	w->rtp_lo = (uint16_t)(cfg->rtp_port_min + idx * e->rtp_slice);
	w->rtp_hi = idx + 1 == e->n_workers ? cfg->rtp_port_max :
					      (uint16_t)(w->rtp_lo + e->rtp_slice - 1);
	snprintf(name, sizeof(name), "hl_ho_%u", idx);
	w->handoff = rte_ring_create(name, HANDOFF_RING, sock, RING_F_SC_DEQ);
	if (w->handoff == NULL) {
		set_err(err, errlen, "worker %u: handoff ring: %s", idx, rte_strerror(rte_errno));
		goto fail;
	}
	if (cfg->sip_flood_pps) {
		w->flood = rte_zmalloc_socket("hl_flood", sizeof(*w->flood) * HL_FLOOD_SLOTS,
			RTE_CACHE_LINE_SIZE, sock);
		if (w->flood == NULL) {
			set_err(err, errlen, "worker %u: SIP flood table: no memory", idx);
			goto fail;
		}
		w->flood_tsc_per_token = e->tsc_hz / ((uint64_t)cfg->sip_flood_pps * 1024) + 1;
		w->flood_burst = cfg->sip_flood_burst * 1024;
	}
	unsigned int legs = cfg->rtp_max_legs ? cfg->rtp_max_legs :
		((unsigned int)(w->rtp_hi - w->rtp_lo) + 1) / 2 * e->n_ports;
	/* In-band DTMF detectors: by default one per call at full load (two legs a call),
	 * and with always one per leg, since every G.711 leg then takes one. */
	unsigned int inband = cfg->rtp_dtmf_inband_slots;

	if (cfg->rtp_dtmf_inband == HL_CONFIG_INBAND_OFF)
		inband = 0;
	else if (inband == 0)
		inband = cfg->rtp_dtmf_inband == HL_CONFIG_INBAND_ALWAYS ? legs : (legs + 1) / 2;
	/* Opus decoders (18 KiB each) for the detectors of Opus legs: by default a
	 * quarter of the detectors, Opus being one codec of the four that listen. */
	unsigned int opus = cfg->rtp_dtmf_inband_opus_slots;

	if (opus == 0 || opus > inband)
		opus = cfg->rtp_dtmf_inband_opus_slots == 0 ? (inband + 3) / 4 : inband;
	/* The shard takes no Opus decoders without the silence frames muting needs
	 * (libopus's encoder could not build them): said once, at start, not per leg. */
	if (inband > 0 && opus > 0 && hl_opus_silence_init() != 0 && idx == 0)
		LOG(WARNING, "Opus silence frames could not be built (libopus encoder): Opus "
			     "legs run without in-band DTMF detection (dtmf_inband_no_slot)\n");
	w->media = hl_media_shard_create(w, legs, inband, opus, sock);
	if (w->media == NULL) {
		set_err(err, errlen,
			"worker %u: media table of %u legs, %u in-band detectors, %u Opus "
			"decoders: %s",
			idx, legs, inband, opus, rte_strerror(rte_errno));
		goto fail;
	}
	uint64_t frag_cycles = (e->tsc_hz + 999) / 1000 * cfg->frag_timeout_ms;
	w->frag = rte_ip_frag_table_create(cfg->frag_max_flows, 16, cfg->frag_max_flows,
		frag_cycles, sock);
	if (w->frag == NULL) {
		set_err(err, errlen, "worker %u: reassembly table: %s", idx,
			rte_strerror(rte_errno));
		goto fail;
	}
	return w;
fail:
	hl_media_shard_free(w->media);
	rte_ring_free(w->handoff);
	rte_free(w->flood);
	rte_free(w);
	return NULL;
}

static int
worker_queues(struct hl_engine *e, struct hl_worker *w, char *err, size_t errlen)
{
	char name[RTE_RING_NAMESIZE];

	for (unsigned int p = 0; p < e->n_ports; p++) {
		struct hl_port *port = &e->ports[p];

		if (w->index < port->n_queues) {
			w->queue[p] = (int16_t)w->index;
			w->txb[p] = rte_zmalloc_socket("hl_txb", RTE_ETH_TX_BUFFER_SIZE(HL_BURST), 0,
				socket_of_port(port->port_id));
			if (w->txb[p] == NULL) {
				set_err(err, errlen, "worker %u: TX buffer: out of memory", w->index);
				return -ENOMEM;
			}
			rte_eth_tx_buffer_init(w->txb[p], HL_BURST);
			rte_eth_tx_buffer_set_err_callback(w->txb[p], tx_error, w);
			continue;
		}
		w->queue[p] = -1;
		snprintf(name, sizeof(name), "hl_txf_%u_%u", w->index, p);
		w->txfwd[p] = rte_ring_create(name, TXFWD_RING, socket_of_port(port->port_id),
			RING_F_SP_ENQ | RING_F_SC_DEQ);
		if (w->txfwd[p] == NULL) {
			set_err(err, errlen, "worker %u: TX forward ring: %s", w->index,
				rte_strerror(rte_errno));
			return -ENOMEM;
		}
		struct hl_worker *owner = e->workers[w->index % port->n_queues];
		owner->deps[p][owner->n_deps[p]++] = w->txfwd[p];
	}
	return 0;
}

struct hl_engine *
hl_engine_create(const struct hl_config *cfg, char *err, size_t errlen)
{
	struct hl_engine *e;
	char name[RTE_MEMPOOL_NAMESIZE];
	unsigned int nb = pool_size(cfg);
	uint16_t max_mtu = 0;

	if (lcores_check(cfg, err, errlen) != 0)
		return NULL;
	e = rte_zmalloc("hl_engine", sizeof(*e), RTE_CACHE_LINE_SIZE);
	if (e == NULL) {
		set_err(err, errlen, "engine: out of memory");
		return NULL;
	}
	/* libsrtp's crypto kernel, before any leg's session (idempotent). */
	if (hl_srtp_global_init() != 0) {
		set_err(err, errlen, "libsrtp: initialisation failed");
		rte_free(e);
		return NULL;
	}
	e->cfg = cfg;
	e->n_ports = cfg->n_ports;
	e->n_workers = cfg->n_workers;
	e->tsc_hz = rte_get_tsc_hz();
	e->drain_tsc = (e->tsc_hz + 999999) / 1000000 * cfg->tx_drain_us;
	/* Equal even-sized slices of the RTP range; the last worker takes the rest. */
	e->rtp_slice = (uint16_t)((((unsigned int)cfg->rtp_port_max - cfg->rtp_port_min + 1) /
					  cfg->n_workers) & ~3u);
	if (e->rtp_slice != 0)
		e->rtp_slice_r = rte_reciprocal_value(e->rtp_slice);

	for (unsigned int i = 0; i < cfg->n_ports; i++)
		max_mtu = RTE_MAX(max_mtu, cfg->ports[i].mtu);
	uint32_t room = RTE_MAX((uint32_t)RTE_MBUF_DEFAULT_DATAROOM,
		(uint32_t)max_mtu + RTE_ETHER_HDR_LEN + 8 + RTE_ETHER_CRC_LEN);
	/* One pool per socket that has a configured lcore. */
	unsigned int lc;
	RTE_LCORE_FOREACH(lc) {
		unsigned int s = rte_lcore_to_socket_id(lc);

		if (s >= RTE_MAX_NUMA_NODES || e->pool[s] != NULL)
			continue;
		snprintf(name, sizeof(name), "hl_mbuf_s%u", s);
		e->pool[s] = rte_pktmbuf_pool_create(name, nb, MBUF_CACHE, 0,
			(uint16_t)(room + RTE_PKTMBUF_HEADROOM), (int)s);
		if (e->pool[s] == NULL) {
			set_err(err, errlen, "mbuf pool of %u on socket %u: %s (more memory: -m or "
				"hugepages; or [limits] mbufs)", nb, s, rte_strerror(rte_errno));
			goto fail;
		}
	}
	if (e->pool[0] == NULL) {
		set_err(err, errlen, "no mbuf pool on socket 0");
		goto fail;
	}
	e->neigh = hl_neigh_create(cfg->neigh_entries, e->tsc_hz, (int)rte_socket_id());
	if (e->neigh == NULL) {
		set_err(err, errlen, "neighbour table: %s", hl_strerror(hl_errno));
		goto fail;
	}
	e->sip_ring = rte_ring_create("hl_sip", cfg->sip_ring_size,
		(int)rte_lcore_to_socket_id(cfg->control_lcore), RING_F_SC_DEQ);
	if (e->sip_ring == NULL) {
		set_err(err, errlen, "SIP ring: %s", rte_strerror(rte_errno));
		goto fail;
	}
	e->ctl_tx = rte_ring_create("hl_ctl_tx", cfg->sip_ring_size,
		(int)rte_lcore_to_socket_id(cfg->control_lcore), RING_F_SC_DEQ);
	if (e->ctl_tx == NULL) {
		set_err(err, errlen, "control TX ring: %s", rte_strerror(rte_errno));
		goto fail;
	}
	e->control = hl_control_create(cfg, e);
	if (e->control == NULL) {
		set_err(err, errlen, "control: %s", hl_strerror(hl_errno));
		goto fail;
	}
	for (unsigned int i = 0; i < e->n_workers; i++) {
		e->workers[i] = worker_create(e, i, err, errlen);
		if (e->workers[i] == NULL)
			goto fail;
		e->by_lcore[e->workers[i]->lcore] = e->workers[i];
	}
	for (unsigned int i = 0; i < cfg->n_ports; i++)
		if (port_open(e, i, err, errlen) != 0)
			goto fail;
	for (unsigned int i = 0; i < e->n_workers; i++)
		if (worker_queues(e, e->workers[i], err, errlen) != 0)
			goto fail;
	/* Where the NIC can put each slice on its owner's queue; a refusal only means
	 * the handoff carries it (hotline/flow.h), so it does not fail the start. */
	for (unsigned int i = 0; i < cfg->n_ports; i++)
		(void)hl_flow_steer(e, i);

	memset(lcore_ctx, 0, sizeof(lcore_ctx));
	for (unsigned int i = 0; i < e->n_workers; i++) {
		struct hl_worker *w = e->workers[i];
		lcore_ctx[w->lcore] = (struct lcore_ctx){.eng = e, .w = w};
	}
	lcore_ctx[cfg->control_lcore].eng = e;
	lcore_ctx[cfg->control_lcore].control = true;
	return e;
fail:
	hl_engine_free(e);
	return NULL;
}

void
hl_engine_free(struct hl_engine *e)
{
	if (e == NULL)
		return;
	for (unsigned int i = 0; i < e->n_ports; i++) {
		if (e->ports[i].cfg == NULL)
			continue;
		hl_flow_release(e, i);
		(void)rte_eth_dev_stop(e->ports[i].port_id);
		(void)rte_eth_dev_close(e->ports[i].port_id);
	}
	for (unsigned int i = 0; i < e->n_workers; i++) {
		struct hl_worker *w = e->workers[i];
		struct rte_mbuf *m;

		if (w == NULL)
			continue;
		while (rte_ring_dequeue(w->handoff, (void **)&m) == 0)
			rte_pktmbuf_free(m);
		rte_ring_free(w->handoff);
		for (unsigned int p = 0; p < HL_MAX_PORTS; p++) {
			if (w->txfwd[p] != NULL) {
				while (rte_ring_dequeue(w->txfwd[p], (void **)&m) == 0)
					rte_pktmbuf_free(m);
				rte_ring_free(w->txfwd[p]);
			}
			rte_free(w->txb[p]);
		}
		rte_ip_frag_free_death_row(&w->death_row, 0);
		rte_ip_frag_table_destroy(w->frag);
		hl_media_shard_free(w->media);
		rte_free(w->flood);
		rte_free(w);
	}
	hl_control_free(e->control);
	rte_ring_free(e->sip_ring);
	if (e->ctl_tx != NULL) {
		struct rte_mbuf *m;
		while (rte_ring_dequeue(e->ctl_tx, (void **)&m) == 0)
			rte_pktmbuf_free(m);
		rte_ring_free(e->ctl_tx);
	}
	hl_neigh_free(e->neigh);
	for (unsigned int s = 0; s < RTE_MAX_NUMA_NODES; s++)
		rte_mempool_free(e->pool[s]);
	memset(lcore_ctx, 0, sizeof(lcore_ctx));
	rte_free(e);
}

void
hl_engine_print_stats(const struct hl_engine *e, FILE *f)
{
	struct hl_lcore_stats sum;
	uint64_t hz = e->tsc_hz;

	hl_stats_sum(&sum);
	fprintf(f, "%-28s %16s\n", "counter", "value");
	for (unsigned int i = 0; i < HL_CTR_MAX; i++)
		if (sum.ctr[i])
			fprintf(f, "%-28s %16" PRIu64 "\n", hl_ctr_name(i), sum.ctr[i]);
	fprintf(f, "%-28s %16s\n", "drop reason", "packets");
	for (unsigned int i = 0; i < HL_DROP_MAX; i++)
		if (sum.drop[i])
			fprintf(f, "%-28s %16" PRIu64 "\n", hl_drop_name(i), sum.drop[i]);
	fprintf(f, "%-28s %16" PRIu64 "\n", "drops_total", hl_stats_drops_total(&sum));
	fprintf(f, "%-6s %-15s %12s %12s %7s %12s\n", "lcore", "role", "busy_ms", "idle_ms",
		"busy%", "sleeps");
	for (unsigned int l = 0; l < RTE_MAX_LCORE && l < HL_STATS_MAX_LCORES; l++) {
		const struct hl_lcore_stats *s = &hl_stats[l];
		const struct lcore_ctx *c = &lcore_ctx[l];

		if (s->loops == 0)
			continue;
		uint64_t tot = s->busy_tsc + s->idle_tsc;
		fprintf(f, "%-6u %-15s %12.1f %12.1f %6.2f%% %12" PRIu64 "\n", l,
			c->w && c->control ? "worker+control" : c->w ? "worker" : "control",
			(double)s->busy_tsc * 1e3 / (double)hz, (double)s->idle_tsc * 1e3 / (double)hz,
			tot ? 100.0 * (double)s->busy_tsc / (double)tot : 0.0, s->sleeps);
	}
}

/* ---- the control lcore's view ------------------------------------------------- */

struct rte_ring *
hl_engine_sip_ring(struct hl_engine *e)
{
	return e->sip_ring;
}

struct hl_control *
hl_engine_control(struct hl_engine *e)
{
	return e->control;
}

int
hl_engine_port_index(const struct hl_engine *e, uint16_t port_id)
{
	for (unsigned int i = 0; i < e->n_ports; i++)
		if (e->ports[i].port_id == port_id)
			return (int)i;
	return -1;
}

static bool
prefix6_match(const uint8_t *a, const uint8_t *b, unsigned int bits)
{
	unsigned int full = bits / 8, rest = bits % 8;

	if (memcmp(a, b, full) != 0)
		return false;
	return rest == 0 || ((a[full] ^ b[full]) & (0xff << (8 - rest))) == 0;
}

int
hl_engine_route(const struct hl_engine *e, int family, const uint8_t *dst, unsigned int *pi,
	uint8_t *local)
{
	int gw = -1;

	for (unsigned int i = 0; i < e->n_ports; i++) {
		const struct hl_port *p = &e->ports[i];

		if (family == 4 && p->has_ip4) {
			rte_be32_t d;
			memcpy(&d, dst, 4);
			if (((d ^ p->ip4) & p->mask4) == 0) {
				*pi = i;
				memcpy(local, &p->ip4, 4);
				return 0;
			}
			if (p->has_gw4 && gw < 0)
				gw = (int)i;
		} else if (family == 6 && p->has_ip6) {
			if (prefix6_match(dst, p->ip6, p->ip6_prefix)) {
				*pi = i;
				memcpy(local, p->ip6, 16);
				return 0;
			}
			if (p->has_gw6 && gw < 0)
				gw = (int)i;
		}
	}
	if (gw < 0)
		return -ENETUNREACH;
	*pi = (unsigned int)gw;
	if (family == 4)
		memcpy(local, &e->ports[gw].ip4, 4);
	else
		memcpy(local, e->ports[gw].ip6, 16);
	return 0;
}
