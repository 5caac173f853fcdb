/*
 * Private layout of the engine: ports, workers and the neighbour table as the
 * dataplane files share them. Nothing outside dataplane/ includes this; other
 * folders go through include/hotline/engine.h, net.h and neigh.h.
 */
#ifndef HL_ENGINE_PRIV_H
#define HL_ENGINE_PRIV_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_ethdev.h>
#include <rte_ether.h>
#include <rte_ip_frag.h>
#include <rte_mbuf.h>
#include <rte_reciprocal.h>
#include <rte_ring.h>

#include "hotline/config.h"
#include "hotline/counters.h"

#define HL_BURST 32
/*
 * The media burst gathers the RTP of one loop turn across the worker's ports, up to
 * this many datagrams, and relays them in one hl_media_rx_burst(). Each relayed packet
 * needs three dependent loads before its work can start (flow-table entry, then the
 * arriving leg, then the leaving leg it names), and at 100k legs each is a miss to
 * memory: the burst's prefetch passes hide them for all its packets but the first,
 * whose three latencies are paid in full once a burst. A larger burst pays them once
 * for more packets.
 */
#define HL_RTP_BATCH (4 * HL_BURST)
#define HL_MAX_PORTS HL_CONFIG_MAX_PORTS
#define HL_MAX_WORKERS 64
/* Room in front of an outgoing IP packet for Ethernet + one 802.1Q tag. */
#define HL_L2_ROOM (RTE_ETHER_HDR_LEN + 4)

/* A configured port at run time: identity and addresses, read-only after start. */
struct hl_port {
	uint16_t port_id;      /* ethdev port */
	uint16_t index;        /* index in the config and in hl_engine.ports */
	uint16_t n_queues;     /* RX/TX queue pairs actually configured */
	uint16_t vlan;         /* 0: untagged */
	uint16_t mtu;
	struct rte_ether_addr mac;
	const struct hl_config_port *cfg;
	bool has_ip4;
	rte_be32_t ip4;        /* network order */
	rte_be32_t mask4;
	rte_be32_t bcast4;
	bool has_gw4;
	rte_be32_t gw4;
	bool has_ip6;
	uint8_t ip6[16];
	uint8_t ip6_prefix;
	uint8_t ll6[16];       /* fe80::/64 from the MAC (RFC 4291 §2.5.1, EUI-64) */
	bool has_gw6;
	uint8_t gw6[16];
	/* NIC steering of the RTP slices (hotline/flow.h): the rules made, and what
	 * telemetry says of them ("5 rules", "not needed: 1 queue", the PMD's refusal). */
	struct rte_flow **flows;
	uint16_t n_flows;
	char flow_state[128];
};

struct hl_neigh_table;
struct hl_media_shard;

/* Per-source SIP token bucket, direct-mapped by a hash of the source address: a
 * collision shares a bucket (stricter, never looser), and no entry is ever
 * allocated or aged. */
#define HL_FLOOD_SLOTS 4096
struct hl_flood_slot {
	uint8_t addr[16];
	uint64_t stamp;  /* TSC of the last refill */
	uint32_t tokens; /* in 1/1024 of a datagram */
};

/* A worker: owns one RX/TX queue pair per port (when the port has enough) and a
 * slice of the RTP port range. Only its own lcore touches it after start. */
struct hl_worker {
	uint16_t index;
	uint16_t lcore;
	bool is_control;        /* this lcore also runs the control loop */
	struct hl_engine *eng;
	struct hl_lcore_stats *st;

	/* per port: queue this worker polls, or -1 when it has none */
	int16_t queue[HL_MAX_PORTS];
	struct rte_eth_dev_tx_buffer *txb[HL_MAX_PORTS];
	/* Packets other workers give us: RTP for our slice (software dispatch). */
	struct rte_ring *handoff;
	/* Per port, when we have no queue there: frames we send go through this
	 * ring to the worker that owns one. */
	struct rte_ring *txfwd[HL_MAX_PORTS];

	uint16_t rtp_lo, rtp_hi; /* our slice of the RTP range, inclusive */
	struct hl_media_shard *media; /* our legs (hotline/media.h) */

	struct rte_ip_frag_tbl *frag;
	struct rte_ip_frag_death_row death_row;

	/* dependants: queueless workers whose TX on port p goes through our queue */
	uint16_t n_deps[HL_MAX_PORTS];
	struct rte_ring *deps[HL_MAX_PORTS][HL_MAX_WORKERS];

	struct rte_mempool *pool;
	uint64_t now;           /* TSC at the start of this loop turn */

	/* per-burst sinks, flushed in bulk at the end of hl_net_rx_burst(); RTP of the
	 * whole loop turn, every port's burst, at hl_net_rtp_flush() (HL_RTP_BATCH) */
	uint16_t n_sip, n_rtp;
	struct rte_mbuf *sip_buf[HL_BURST];
	struct rte_mbuf *rtp_buf[HL_RTP_BATCH];
	uint16_t ho_n[HL_MAX_WORKERS];
	struct rte_mbuf *ho_buf[HL_MAX_WORKERS][HL_BURST];

	struct hl_flood_slot *flood; /* HL_FLOOD_SLOTS, NULL: no per-source limit */
	uint64_t flood_tsc_per_token; /* TSC per 1/1024 datagram at [sip] flood_pps */
	uint32_t flood_burst;         /* bucket depth, 1/1024 units */

	uint64_t next_drain_tsc;
	uint64_t next_maint_tsc;
	/* idle back-off */
	uint32_t idle_loops;
	uint32_t sleep_us;
} __rte_cache_aligned;

struct hl_control;

struct hl_engine {
	const struct hl_config *cfg;
	unsigned int n_ports;
	struct hl_port ports[HL_MAX_PORTS];
	unsigned int n_workers;
	struct hl_worker *workers[HL_MAX_WORKERS];
	struct hl_worker *by_lcore[RTE_MAX_LCORE];
	struct rte_mempool *pool[RTE_MAX_NUMA_NODES];
	struct hl_neigh_table *neigh;
	struct rte_ring *sip_ring;   /* workers -> control: SIP datagrams, the mbuf itself */
	struct rte_ring *ctl_tx;     /* control -> worker 0: SIP datagrams to send (IP up) */
	struct hl_control *control;
	uint16_t rtp_slice;          /* ports per worker slice (a multiple of 4: a call's
					block of A and B RTP/RTCP ports stays on one worker) */
	struct rte_reciprocal rtp_slice_r; /* division by rtp_slice, per packet: no div */
	uint64_t media_pending;      /* media commands not yet returned (control only) */
	uint64_t tsc_hz;
	uint64_t drain_tsc;
	volatile bool quit;
};

/* The forwarding ring of a port this worker has no TX queue on (hl_worker_tx). */
void hl_worker_tx_fwd(struct hl_worker *w, unsigned int pi, struct rte_mbuf *m);

/* TX of a complete frame on port index pi from worker w (buffers, drains later).
 * Inline: every relayed packet ends here. */
static inline void
hl_worker_tx(struct hl_worker *w, unsigned int pi, struct rte_mbuf *m)
{
	w->st->ctr[HL_CTR_TX_BYTES] += rte_pktmbuf_pkt_len(m);
	if (likely(w->queue[pi] >= 0)) {
		w->st->ctr[HL_CTR_TX_PACKETS] += rte_eth_tx_buffer(w->eng->ports[pi].port_id,
			(uint16_t)w->queue[pi], w->txb[pi], m);
		return;
	}
	hl_worker_tx_fwd(w, pi, m);
}

/* Worker that owns local UDP port p of the RTP range. */
static inline unsigned int
hl_engine_rtp_owner(const struct hl_engine *e, uint16_t p)
{
	unsigned int o = e->n_workers == 1 ? 0 :
			 rte_reciprocal_divide((uint32_t)(p - e->cfg->rtp_port_min), e->rtp_slice_r);
	return o < e->n_workers ? o : e->n_workers - 1;
}

#endif
