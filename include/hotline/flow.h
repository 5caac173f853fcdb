/*
 * hotline NIC flow steering: rte_flow rules that send each worker's RTP slice to that
 * worker's RX queue, so the NIC, not a handoff ring, puts a call's media on its core.
 *
 * A port with several RX queues spreads traffic by RSS, which hashes addresses and
 * ports and knows nothing of the slices (hl_engine_rtp_owner()); a datagram read by the
 * wrong worker crosses to its owner through a ring (docs/dataplane.md). Where the PMD
 * takes them, one ingress rule per aligned block of a slice's ports (UDP destination
 * under a prefix mask, to the port's IPv4 and IPv6 address, in its VLAN) names the
 * owner's queue; anything else still goes by RSS, and the handoff stays behind the
 * rules for what they miss (fragments, a worker with no queue of its own). A PMD that
 * refuses one rule gets none: all are validated and created or all are removed, and
 * the port runs on software dispatch as before, with the PMD's reason kept for
 * telemetry. [port] flow_rules = off never tries.
 */
#ifndef HOTLINE_FLOW_H
#define HOTLINE_FLOW_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_flow.h>

struct hl_engine;
struct hl_port;

/* A block of UDP ports: those p with (p & mask) == value. */
struct hl_flow_block {
	uint16_t value;
	uint16_t mask;
};

/* At most this many blocks cover any range of 16-bit ports. */
#define HL_FLOW_BLOCKS_MAX 32

/*
 * The fewest aligned power-of-two blocks that cover [lo, hi] exactly (as CIDR covers
 * an address range), written to out in port order; returns how many (0 when lo > hi).
 * out must hold HL_FLOW_BLOCKS_MAX.
 */
unsigned int hl_flow_port_blocks(uint16_t lo, uint16_t hi, struct hl_flow_block *out);

/* One rule as rte_flow takes it: the items and actions point into the struct. */
struct hl_flow_rule {
	struct rte_flow_attr attr;
	struct rte_flow_item item[5];
	struct rte_flow_action action[2];
	struct rte_flow_item_vlan vlan_spec, vlan_mask;
	struct rte_flow_item_ipv4 ip4_spec, ip4_mask;
	struct rte_flow_item_ipv6 ip6_spec, ip6_mask;
	struct rte_flow_item_udp udp_spec, udp_mask;
	struct rte_flow_action_queue queue;
};

/*
 * Builds in r the rule: ingress, ETH / [VLAN p->vlan] / IPV4 to p->ip4 (ipv6: IPV6 to
 * p->ip6) / UDP destination in b, to RX queue. r must not move afterwards.
 */
void hl_flow_rule_build(struct hl_flow_rule *r, const struct hl_port *p, bool ipv6,
	struct hl_flow_block b, uint16_t queue);

/*
 * Programs the rules of port index pi (after it started and the workers have their
 * queues): returns how many were created, 0 when the port needs none (one queue,
 * flow_rules = off, no worker slice), or a negative errno when the PMD refused one,
 * in which case none stays and the reason is in the port's flow state.
 */
int hl_flow_steer(struct hl_engine *e, unsigned int pi);

/* Removes the rules of port index pi (before it stops); safe when it has none. */
void hl_flow_release(struct hl_engine *e, unsigned int pi);

#endif
