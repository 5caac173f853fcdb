/*
 * Unit tests for NIC flow steering (dataplane/flow.c): the port blocks that cover a
 * slice, the rte_flow items a rule is made of, and the engine's way with a PMD that
 * has no flow API (the ring PMD: every rule refused, none left, software dispatch).
 *
 * EAL runs in --no-huge mode with no devices; the ports are ethdevs made from rings.
 * Exits 77 when EAL cannot start here.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include <rte_eal.h>
#include <rte_eth_ring.h>
#include <rte_ethdev.h>
#include <rte_flow.h>
#include <rte_mbuf.h>
#include <rte_ring.h>

#include "dataplane/engine_priv.h"
#include "hl_test.h"
#include "hotline/common.h"
#include "hotline/config.h"
#include "hotline/engine.h"
#include "hotline/flow.h"

/* One ring port per engine: an engine closes its ports when it is freed. */
static char ring_name[3][RTE_ETH_NAME_MAX_LEN];

/* Every port in [lo, hi] is in exactly one block, none outside is; blocks aligned. */
static void
check_cover(uint16_t lo, uint16_t hi, unsigned int want_n)
{
	struct hl_flow_block b[HL_FLOW_BLOCKS_MAX];
	unsigned int n = hl_flow_port_blocks(lo, hi, b);

	HL_CHECK_MSG(n >= 1 && n <= HL_FLOW_BLOCKS_MAX, "[%u, %u]: %u blocks", lo, hi, n);
	if (want_n)
		HL_CHECK_MSG(n == want_n, "[%u, %u]: %u blocks, want %u", lo, hi, n, want_n);
	for (unsigned int i = 0; i < n; i++) {
		/* A prefix mask: ones then zeros, and the value has none of the zeros. */
		uint16_t inv = (uint16_t)~b[i].mask;
		HL_CHECK_MSG((inv & (inv + 1)) == 0, "mask %04x", b[i].mask);
		HL_CHECK_MSG((b[i].value & inv) == 0, "value %u mask %04x", b[i].value, b[i].mask);
		if (i)
			HL_CHECK(b[i].value > b[i - 1].value);
	}
	for (uint32_t p = 0; p <= 0xffff; p++) {
		unsigned int hits = 0;

		for (unsigned int i = 0; i < n; i++)
			hits += (p & b[i].mask) == b[i].value;
		if (hits != (p >= lo && p <= hi ? 1u : 0u)) {
			HL_FAILF("[%u, %u]: port %u in %u blocks", lo, hi, p, hits);
			return;
		}
	}
}

HL_TEST(blocks_cover_exactly)
{
	check_cover(5, 5, 1);
	check_cover(0, 65535, 1);
	check_cover(20000, 20003, 1);
	check_cover(20000, 20007, 1); /* 20000 is aligned to 32 */
	check_cover(20004, 20011, 2); /* 20004-20007, 20008-20011 */
	check_cover(1, 65534, 30);    /* the worst case: 2 * 16 - 2 */
	check_cover(20000, 29999, 0); /* the default range, one worker */
	check_cover(20000, 24999, 0); /* two workers' slices */
	check_cover(25000, 29999, 0);
	check_cover(32768, 49151, 1);
	check_cover(65535, 65535, 1);
	/* Slices as the engine cuts them, for 1..8 workers of the default range. */
	for (unsigned int nw = 1; nw <= 8; nw++) {
		unsigned int slice = (10000 / nw) & ~3u;
		for (unsigned int w = 0; w < nw; w++) {
			unsigned int lo = 20000 + w * slice,
				     hi = w + 1 == nw ? 29999 : lo + slice - 1;
			check_cover((uint16_t)lo, (uint16_t)hi, 0);
		}
	}
}

/* The slice owner of a port by reciprocal multiply is the division it replaced, for
 * every port of ranges cut for 1 to 8 workers (the last worker takes the rest). */
HL_TEST(rtp_owner_by_reciprocal_is_the_division)
{
	static struct hl_config cfg;
	static struct hl_engine e;
	static const uint16_t mins[] = {1024, 10000, 20000, 16384};
	static const uint16_t maxs[] = {65535, 59999, 20999, 16483};

	e.cfg = &cfg;
	for (unsigned int r = 0; r < HL_ARRAY_SIZE(mins); r++)
		for (unsigned int nw = 1; nw <= 8; nw++) {
			cfg.rtp_port_min = mins[r];
			cfg.rtp_port_max = maxs[r];
			e.n_workers = nw;
			e.rtp_slice = (uint16_t)(((maxs[r] - mins[r] + 1u) / nw) & ~3u);
			if (e.rtp_slice == 0)
				continue;
			e.rtp_slice_r = rte_reciprocal_value(e.rtp_slice);
			for (uint32_t p = mins[r]; p <= maxs[r]; p++) {
				unsigned int o = (p - mins[r]) / e.rtp_slice;
				if (o >= nw)
					o = nw - 1;
				HL_CHECK_INT(hl_engine_rtp_owner(&e, (uint16_t)p), o);
			}
		}
}

HL_TEST(blocks_empty_range)
{
	struct hl_flow_block b[HL_FLOW_BLOCKS_MAX];

	HL_CHECK_INT(hl_flow_port_blocks(10, 9, b), 0);
}

HL_TEST(rule_ipv4_untagged)
{
	struct hl_port p = {0};
	struct hl_flow_rule r;

	p.has_ip4 = true;
	inet_pton(AF_INET, "10.99.0.1", &p.ip4);
	hl_flow_rule_build(&r, &p, false, (struct hl_flow_block){20480, 0xf000}, 3);
	HL_CHECK_INT(r.attr.ingress, 1);
	HL_CHECK_INT(r.attr.egress, 0);
	HL_CHECK_INT(r.item[0].type, RTE_FLOW_ITEM_TYPE_ETH);
	HL_CHECK(r.item[0].spec == NULL && r.item[0].mask == NULL);
	HL_CHECK_INT(r.item[1].type, RTE_FLOW_ITEM_TYPE_IPV4);
	HL_CHECK(r.item[1].spec == &r.ip4_spec && r.item[1].mask == &r.ip4_mask);
	HL_CHECK(r.ip4_spec.hdr.dst_addr == p.ip4);
	HL_CHECK(r.ip4_mask.hdr.dst_addr == 0xffffffffu);
	HL_CHECK(r.ip4_mask.hdr.src_addr == 0 && r.ip4_mask.hdr.next_proto_id == 0);
	HL_CHECK_INT(r.item[2].type, RTE_FLOW_ITEM_TYPE_UDP);
	HL_CHECK_INT(ntohs(r.udp_spec.hdr.dst_port), 20480);
	HL_CHECK_INT(ntohs(r.udp_mask.hdr.dst_port), 0xf000);
	HL_CHECK(r.udp_mask.hdr.src_port == 0);
	HL_CHECK_INT(r.item[3].type, RTE_FLOW_ITEM_TYPE_END);
	HL_CHECK_INT(r.action[0].type, RTE_FLOW_ACTION_TYPE_QUEUE);
	HL_CHECK_INT(((const struct rte_flow_action_queue *)r.action[0].conf)->index, 3);
	HL_CHECK_INT(r.action[1].type, RTE_FLOW_ACTION_TYPE_END);
}

HL_TEST(rule_ipv6_in_vlan)
{
	struct hl_port p = {0};
	struct hl_flow_rule r;
	uint8_t ones[16];

	p.has_ip6 = true;
	p.vlan = 120;
	inet_pton(AF_INET6, "fd99::1", p.ip6);
	hl_flow_rule_build(&r, &p, true, (struct hl_flow_block){20000, 0xfffc}, 1);
	HL_CHECK_INT(r.item[0].type, RTE_FLOW_ITEM_TYPE_ETH);
	HL_CHECK_INT(r.item[1].type, RTE_FLOW_ITEM_TYPE_VLAN);
	HL_CHECK_INT(ntohs(r.vlan_spec.tci), 120);
	HL_CHECK_INT(ntohs(r.vlan_mask.tci), 0x0fff);
	HL_CHECK_INT(r.item[2].type, RTE_FLOW_ITEM_TYPE_IPV6);
	HL_CHECK_MEM(r.ip6_spec.hdr.dst_addr, p.ip6, 16);
	memset(ones, 0xff, sizeof(ones));
	HL_CHECK_MEM(r.ip6_mask.hdr.dst_addr, ones, 16);
	HL_CHECK_INT(r.item[3].type, RTE_FLOW_ITEM_TYPE_UDP);
	HL_CHECK_INT(ntohs(r.udp_spec.hdr.dst_port), 20000);
	HL_CHECK_INT(r.item[4].type, RTE_FLOW_ITEM_TYPE_END);
	HL_CHECK_INT(r.queue.index, 1);
}

static struct hl_engine *
engine(struct hl_config *cfg, const char *ring, const char *extra)
{
	char err[HL_CONFIG_ERR_MAX], conf[512];
	int n = snprintf(conf, sizeof(conf),
		"[lcores]\ncontrol = 0\nworkers = 0\n[port t]\ndevice = %s\n"
		"ipv4 = 10.0.0.1/24\nipv6 = fd00::1/64\n%s",
		ring, extra);
	struct hl_engine *e;

	if (hl_config_parse(cfg, "test.conf", conf, (size_t)n, err, sizeof(err)) != 0) {
		HL_FAILF("config: %s", err);
		return NULL;
	}
	e = hl_engine_create(cfg, err, sizeof(err));
	if (e == NULL)
		HL_FAILF("engine: %s", err);
	return e;
}

/* One queue: RSS never spreads anything, so there is nothing to steer. */
HL_TEST(one_queue_needs_none)
{
	struct hl_config cfg;
	struct hl_engine *e = engine(&cfg, ring_name[0], "");

	if (e == NULL)
		return;
	HL_CHECK_INT(e->ports[0].n_flows, 0);
	HL_CHECK_MSG(strcmp(e->ports[0].flow_state, "not needed: 1 queue") == 0, "%s",
		e->ports[0].flow_state);
	hl_engine_free(e);
}

/* A PMD without the flow API (the ring PMD) refuses the first rule: none is left, the
 * port says why, and asking again or releasing twice is harmless. */
HL_TEST(pmd_without_flow_api_keeps_none)
{
	struct hl_config cfg;
	struct hl_engine *e = engine(&cfg, ring_name[1], "");
	struct hl_port *p;
	int rc;

	if (e == NULL)
		return;
	p = &e->ports[0];
	p->n_queues = 2; /* as if RSS had given it two */
	rc = hl_flow_steer(e, 0);
	HL_CHECK_MSG(rc < 0, "rc %d", rc);
	HL_CHECK_INT(p->n_flows, 0);
	HL_CHECK(p->flows == NULL);
	HL_CHECK_MSG(strncmp(p->flow_state, "refused by the PMD: ", 20) == 0, "%s", p->flow_state);
	printf("# %s\n", p->flow_state);
	rc = hl_flow_steer(e, 0);
	HL_CHECK(rc < 0 && p->n_flows == 0 && p->flows == NULL);
	hl_flow_release(e, 0);
	hl_flow_release(e, 0);
	p->n_queues = 1;
	hl_engine_free(e);
}

HL_TEST(off_by_config)
{
	struct hl_config cfg;
	struct hl_engine *e = engine(&cfg, ring_name[2], "flow_rules = off\n");

	if (e == NULL)
		return;
	HL_CHECK(!cfg.ports[0].flow_rules);
	e->ports[0].n_queues = 2;
	HL_CHECK_INT(hl_flow_steer(e, 0), 0);
	HL_CHECK_INT(e->ports[0].n_flows, 0);
	HL_CHECK_MSG(strcmp(e->ports[0].flow_state, "off ([port] flow_rules)") == 0, "%s",
		e->ports[0].flow_state);
	e->ports[0].n_queues = 1;
	hl_engine_free(e);
}

int
main(int argc, char **argv)
{
	char *eal[] = {argv[0], "-l", "0", "--no-huge", "-m", "256", "--no-pci", "--no-shconf",
		"--no-telemetry", "--file-prefix=hl-test-flow", "--log-level=*:error"};

	if (rte_eal_init(HL_ARRAY_SIZE(eal), eal) < 0)
		HL_SKIP("EAL cannot start here");
	for (int i = 0; i < 3; i++) {
		char rn[32];
		struct rte_ring *rx, *tx;
		int pid;

		snprintf(rn, sizeof(rn), "flow_rx%d", i);
		rx = rte_ring_create(rn, 256, 0, 0);
		snprintf(rn, sizeof(rn), "flow_tx%d", i);
		tx = rte_ring_create(rn, 256, 0, 0);
		snprintf(rn, sizeof(rn), "net_ring_flow%d", i);
		pid = rx && tx ? rte_eth_from_rings(rn, &rx, 1, &tx, 1, 0) : -1;
		if (pid < 0 || rte_eth_dev_get_name_by_port((uint16_t)pid, ring_name[i]) != 0) {
			fprintf(stderr, "test setup failed\n");
			return 1;
		}
	}
	int rc = hl_test_run(argc, argv);
	rte_eal_cleanup();
	return rc;
}
