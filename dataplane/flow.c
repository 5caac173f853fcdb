/*
 * NIC flow steering of the RTP slices: see include/hotline/flow.h.
 *
 * Runs once per port at engine creation and once at teardown, never per packet. The
 * rule count is bounded: a slice is covered by at most 2 * 16 - 2 blocks, times two
 * address families, times the workers with a queue on the port.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_byteorder.h>
#include <rte_ethdev.h>
#include <rte_flow.h>
#include <rte_log.h>

#include "dataplane/engine_priv.h"
#include "hotline/flow.h"

RTE_LOG_REGISTER(hl_logtype_flow, hl.dp.flow, INFO);
#define LOG(level, ...) rte_log(RTE_LOG_##level, hl_logtype_flow, "hl.dp.flow: " __VA_ARGS__)

unsigned int
hl_flow_port_blocks(uint16_t lo, uint16_t hi, struct hl_flow_block *out)
{
	uint32_t p = lo, end = hi;
	unsigned int n = 0;

	while (p <= end && n < HL_FLOW_BLOCKS_MAX) {
		/* The largest block aligned at p that stays inside the range. */
		uint32_t size = p == 0 ? 0x10000u : p & -p;

		while (p + size - 1 > end)
			size >>= 1;
		out[n].value = (uint16_t)p;
		out[n].mask = (uint16_t) ~(size - 1);
		n++;
		p += size;
	}
	return n;
}

void
hl_flow_rule_build(struct hl_flow_rule *r, const struct hl_port *p, bool ipv6,
	struct hl_flow_block b, uint16_t queue)
{
	unsigned int i = 0;

	memset(r, 0, sizeof(*r));
	r->attr.ingress = 1;
	/* Any Ethernet frame to us: the PMD already filters on our MAC. */
	r->item[i++].type = RTE_FLOW_ITEM_TYPE_ETH;
	if (p->vlan != 0) {
		r->vlan_spec.tci = rte_cpu_to_be_16(p->vlan);
		r->vlan_mask.tci = rte_cpu_to_be_16(0x0fff); /* the VID, not the priority */
		r->item[i] = (struct rte_flow_item){.type = RTE_FLOW_ITEM_TYPE_VLAN,
			.spec = &r->vlan_spec,
			.mask = &r->vlan_mask};
		i++;
	}
	if (ipv6) {
		memcpy(r->ip6_spec.hdr.dst_addr, p->ip6, 16);
		memset(r->ip6_mask.hdr.dst_addr, 0xff, 16);
		r->item[i] = (struct rte_flow_item){.type = RTE_FLOW_ITEM_TYPE_IPV6,
			.spec = &r->ip6_spec,
			.mask = &r->ip6_mask};
	} else {
		r->ip4_spec.hdr.dst_addr = p->ip4;
		r->ip4_mask.hdr.dst_addr = RTE_BE32(0xffffffff);
		r->item[i] = (struct rte_flow_item){.type = RTE_FLOW_ITEM_TYPE_IPV4,
			.spec = &r->ip4_spec,
			.mask = &r->ip4_mask};
	}
	i++;
	r->udp_spec.hdr.dst_port = rte_cpu_to_be_16(b.value);
	r->udp_mask.hdr.dst_port = rte_cpu_to_be_16(b.mask);
	r->item[i] = (struct rte_flow_item){
		.type = RTE_FLOW_ITEM_TYPE_UDP, .spec = &r->udp_spec, .mask = &r->udp_mask};
	i++;
	r->item[i].type = RTE_FLOW_ITEM_TYPE_END;
	r->queue.index = queue;
	r->action[0] =
		(struct rte_flow_action){.type = RTE_FLOW_ACTION_TYPE_QUEUE, .conf = &r->queue};
	r->action[1].type = RTE_FLOW_ACTION_TYPE_END;
}

/* Removes the rules made so far; the port keeps its state text. */
static void
destroy_all(struct hl_port *p)
{
	struct rte_flow_error fe;

	for (unsigned int i = 0; i < p->n_flows; i++)
		(void)rte_flow_destroy(p->port_id, p->flows[i], &fe);
	p->n_flows = 0;
}

int
hl_flow_steer(struct hl_engine *e, unsigned int pi)
{
	struct hl_port *p = &e->ports[pi];
	struct hl_flow_block blk[HL_FLOW_BLOCKS_MAX];
	struct hl_flow_rule rule;
	unsigned int cap = 0;
	int rc = 0;

	if (!p->cfg->flow_rules) {
		snprintf(p->flow_state, sizeof(p->flow_state), "off ([port] flow_rules)");
		return 0;
	}
	if (p->n_queues < 2) {
		snprintf(p->flow_state, sizeof(p->flow_state), "not needed: 1 queue");
		return 0;
	}
	if (!p->has_ip4 && !p->has_ip6) {
		snprintf(p->flow_state, sizeof(p->flow_state), "not needed: no address");
		return 0;
	}
	for (unsigned int w = 0; w < e->n_workers; w++)
		if (e->workers[w]->queue[pi] >= 0)
			cap += HL_FLOW_BLOCKS_MAX * 2;
	p->flows = calloc(cap ? cap : 1, sizeof(*p->flows));
	if (p->flows == NULL) {
		snprintf(p->flow_state, sizeof(p->flow_state), "refused: out of memory");
		return -ENOMEM;
	}
	for (unsigned int w = 0; w < e->n_workers && rc == 0; w++) {
		const struct hl_worker *wk = e->workers[w];
		unsigned int nb;

		if (wk->queue[pi] < 0)
			continue; /* its slice comes by RSS and the handoff */
		nb = hl_flow_port_blocks(wk->rtp_lo, wk->rtp_hi, blk);
		for (unsigned int b = 0; b < nb && rc == 0; b++) {
			for (int v6 = 0; v6 < 2 && rc == 0; v6++) {
				struct rte_flow_error fe = {0};
				struct rte_flow *f;

				if (!(v6 ? p->has_ip6 : p->has_ip4))
					continue;
				hl_flow_rule_build(&rule, p, v6, blk[b], (uint16_t)wk->queue[pi]);
				rc = rte_flow_validate(
					p->port_id, &rule.attr, rule.item, rule.action, &fe);
				f = rc == 0 ? rte_flow_create(p->port_id, &rule.attr, rule.item,
						      rule.action, &fe)
					    : NULL;
				if (f == NULL) {
					if (rc == 0)
						rc = -rte_errno;
					if (rc == 0)
						rc = -EIO;
					const char *why = strerror(-rc);

					if (fe.message == NULL || strcmp(fe.message, why) == 0)
						snprintf(p->flow_state, sizeof(p->flow_state),
							"refused by the PMD: %s", why);
					else
						snprintf(p->flow_state, sizeof(p->flow_state),
							"refused by the PMD: %s (%s)", fe.message,
							why);
					break;
				}
				p->flows[p->n_flows++] = f;
			}
		}
	}
	if (rc != 0) {
		destroy_all(p);
		free(p->flows);
		p->flows = NULL;
		LOG(INFO, "port %s: RTP flow rules %s; software dispatch carries the slices\n",
			p->cfg->name, p->flow_state);
		return rc;
	}
	snprintf(p->flow_state, sizeof(p->flow_state), "%u rules", p->n_flows);
	LOG(INFO, "port %s: %u flow rules steer the workers' RTP slices to their queues\n",
		p->cfg->name, p->n_flows);
	return (int)p->n_flows;
}

void
hl_flow_release(struct hl_engine *e, unsigned int pi)
{
	struct hl_port *p = &e->ports[pi];

	destroy_all(p);
	free(p->flows);
	p->flows = NULL;
}
