/* The control lcore's loop turn: see include/hotline/control.h. */
#include <errno.h>

#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_ring.h>
#include <rte_timer.h>

#include "hotline/common.h"
#include "hotline/control.h"

#define CTL_BURST 32

struct hl_control {
	const struct hl_config *cfg;
	struct rte_ring *sip_ring;
};

struct hl_control *
hl_control_create(const struct hl_config *cfg, struct rte_ring *sip_ring)
{
	struct hl_control *c;

	int rc = rte_timer_subsystem_init();

	if (rc < 0 && rc != -EALREADY) {
		hl_errno = rc;
		return NULL;
	}
	c = rte_zmalloc("hl_control", sizeof(*c), 0);
	if (c == NULL) {
		hl_errno = -ENOMEM;
		return NULL;
	}
	c->cfg = cfg;
	c->sip_ring = sip_ring;
	return c;
}

void
hl_control_free(struct hl_control *c)
{
	struct rte_mbuf *m;

	if (c == NULL)
		return;
	while (rte_ring_sc_dequeue(c->sip_ring, (void **)&m) == 0)
		rte_pktmbuf_free(m);
	rte_free(c);
}

unsigned int
hl_control_poll(struct hl_control *c, struct hl_lcore_stats *st)
{
	struct rte_mbuf *pkts[CTL_BURST];
	unsigned int n = rte_ring_sc_dequeue_burst(c->sip_ring, (void **)pkts, CTL_BURST, NULL);

	if (n) {
		st->ctr[HL_CTR_CTL_SIP_IN] += n;
		st->drop[HL_DROP_SIP_CONTROL_DISCARD] += n;
		rte_pktmbuf_free_bulk(pkts, n);
	}
	rte_timer_manage();
	return n;
}
