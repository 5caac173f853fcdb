/*
 * hotline L2-L4: what a worker does with every frame before SIP or RTP sees it.
 *
 * Ethernet with optional 802.1Q; ARP (RFC 826: answers for our addresses, learns
 * and resolves next hops through the neighbour table); IPv4 (RFC 791/1122: version,
 * header length, checksum, total length, martian sources; fragments reassembled
 * with DPDK's ip_frag, bounded per worker by [limits] frag_max_flows and
 * frag_timeout_ms); ICMP echo (RFC 792); IPv6 (RFC 8200) with Neighbor Discovery
 * (RFC 4861 §7: NS/NA with the hop-limit-255 and option checks) and ICMPv6 echo
 * (RFC 4443); UDP (RFC 768, checksum mandatory on IPv6) demultiplexed into the
 * SIP port (to the control lcore's ring), the RTP range (to the worker that owns
 * the port) and everything else (dropped and counted).
 *
 * Replies are built in place in the received mbuf. The output path routes (on
 * link or via the port's gateway), resolves the next hop, frames and transmits;
 * a packet waiting for resolution is queued in the neighbour entry. Every frame
 * ends delivered, replied to, held for reassembly, or in one counted drop
 * reason; nothing allocates beyond the mempool.
 */
#ifndef HOTLINE_NET_H
#define HOTLINE_NET_H

#include <stdint.h>

#include <rte_mbuf.h>

struct hl_neigh_hint;

struct hl_worker;
struct hl_port;

/* Fills the derived addresses of a port (masks, link-local, EUI-64). */
void hl_net_port_init(struct hl_port *p);

/*
 * Classifies and handles a burst received on port index pi. Takes every mbuf:
 * the caller must not touch pkts[] afterwards. SIP datagrams go to the control
 * ring; RTP goes to its owner worker.
 */
void hl_net_rx_burst(struct hl_worker *w, unsigned int pi, struct rte_mbuf **pkts, uint16_t n);
/*
 * The same, except that the RTP this worker owns waits in the worker's media burst
 * (up to HL_RTP_BATCH datagrams; a burst that would not fit relays what waits first)
 * until hl_net_rtp_flush(): the poll loop gathers every port's RTP of a turn into one
 * media burst. Whoever calls it calls hl_net_rtp_flush() before the turn ends.
 */
void hl_net_rx_gather(struct hl_worker *w, unsigned int pi, struct rte_mbuf **pkts, uint16_t n);
/* Relays the RTP that hl_net_rx_gather() left waiting. */
void hl_net_rtp_flush(struct hl_worker *w);

/* Handles RTP-range datagrams this worker owns (from its queues or a handoff). */
void hl_net_rtp_burst(struct hl_worker *w, struct rte_mbuf **pkts, uint16_t n);

/*
 * Sends an IP packet whose data starts at its IPv4 or IPv6 header (with at least
 * 18 bytes of headroom) out of port index pi: routes, resolves, frames, and
 * queues it for TX. Takes m in every case.
 */
void hl_net_output(struct hl_worker *w, unsigned int pi, struct rte_mbuf *m);

/*
 * hl_net_output() for a flow that keeps sending to one destination (a media leg):
 * while hint is valid the packet is framed with its MAC without a route or table
 * lookup; otherwise the full path runs and refreshes hint when the next hop is
 * REACHABLE. The owner clears hint->seq_at when the destination changes.
 */
void hl_net_output_hint(struct hl_worker *w, unsigned int pi, struct rte_mbuf *m,
	struct hl_neigh_hint *hint);

/* Periodic work, bounded per call: reassembly expiry; neighbour probes (worker 0). */
void hl_net_maintain(struct hl_worker *w, uint64_t now);

#endif
