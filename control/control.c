/* The control lcore's loop turn: see include/hotline/control.h. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <rte_byteorder.h>
#include <rte_cycles.h>
#include <rte_ip.h>
#include <rte_log.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_ring.h>
#include <rte_udp.h>

#include "hotline/common.h"
#include "hotline/control.h"
#include "hotline/engine.h"
#include "hotline/media.h"
#include "hotline/sig.h"
#include "hotline/store.h"
#include "hotline/tenant.h"

#define CTL_BURST 32

RTE_LOG_REGISTER(hl_logtype_ctl, hl.ctl.sig, INFO);
#define LOG(level, ...) rte_log(RTE_LOG_##level, hl_logtype_ctl, "hl.ctl: " __VA_ARGS__)

struct hl_control {
	const struct hl_config *cfg;
	struct hl_engine *eng;
	struct rte_ring *sip_ring;
	struct hl_tenants *tenants;
	struct hl_store *store;
	struct hl_sig *sig;
	uint64_t tsc_per_ms;
	struct hl_media_sink media_sink;
	struct hl_media_stats last_media[2]; /* the last finished A and B legs */
	/* A reassembled datagram in several segments is copied here to parse it. */
	uint8_t flat[65536];
};

static uint64_t
now_ms(const struct hl_control *c)
{
	return rte_rdtsc() / c->tsc_per_ms;
}

static int
ctl_send(void *ctx, const struct hl_sig_addr *dst, const void *buf, size_t len)
{
	struct hl_control *c = ctx;

	return hl_engine_sip_send(c->eng, dst->port_index, dst->family, dst->ip, dst->port, buf,
		len);
}

static int
ctl_media_set(void *ctx, struct hl_media_leg *leg)
{
	struct hl_control *c = ctx;

	return hl_media_set(c->eng, leg);
}

static int
ctl_media_del(void *ctx, uint8_t port_index, uint16_t local_port)
{
	struct hl_control *c = ctx;

	return hl_media_del(c->eng, port_index, local_port);
}

static int
ctl_media_dtmf(void *ctx, uint8_t port_index, uint16_t local_port, char digit, uint32_t duration_ms)
{
	struct hl_control *c = ctx;

	return hl_media_dtmf(c->eng, port_index, local_port, digit, duration_ms);
}

static void
ctl_media_event(void *ctx, const struct hl_media_event *ev)
{
	struct hl_control *c = ctx;

	hl_sig_media_event(c->sig, ev, now_ms(c));
}

/* A leg's figures at hang-up: its call record line, and its tenant's sums. */
static void
ctl_media_final(void *ctx, const struct hl_media_stats *st)
{
	struct hl_control *c = ctx;

	LOG(INFO, "call %u leg %c: rx %llu pkts %llu B, tx %llu pkts %llu B, lost %lld "
		  "(%.2f%%), jitter %.2f ms, rtt %u ms, MOS %.2f, dtmf %llu, srtp auth fail "
		  "%llu, srtp replay %llu, wrong source %llu, rtcp in/out %llu/%llu\n",
		st->call, st->side ? 'B' : 'A', (unsigned long long)st->rx_packets,
		(unsigned long long)st->rx_bytes, (unsigned long long)st->tx_packets,
		(unsigned long long)st->tx_bytes, (long long)st->lost, st->loss_pct, st->jitter_ms,
		st->rtt_ms, st->mos, (unsigned long long)st->dtmf,
		(unsigned long long)st->srtp_auth_fail, (unsigned long long)st->srtp_replay,
		(unsigned long long)st->wrong_source,
		(unsigned long long)st->rtcp_in, (unsigned long long)st->rtcp_out);
	c->last_media[st->side ? 1 : 0] = *st;
	hl_sig_media_final(c->sig, st);
}

/*
 * A finished call's record, as signalling wrote it to the store (or not): one line, so
 * the log keeps the record even where the store could not (hlctl cdr shows the stored
 * ones with every figure).
 */
static void
ctl_cdr(void *ctx, const struct hl_cdr *r, int rc)
{
	struct hl_control *c = ctx;

	if (r->flags & HL_CDR_F_REFUSED) {
		/* A flood of these is bounded ([sip] cdr_refused_per_s); its log is not. */
		LOG(DEBUG, "cdr %llu%s: call-id %s tenant %s from %s to %s: refused %s (sip %u)\n",
			(unsigned long long)r->id,
			rc > 0 ? "" : rc == 0 ? " (no store)" : " (NOT STORED)", r->call_id,
			r->tenant[0] ? r->tenant : "-", r->caller_user[0] ? r->caller_user : "-",
			r->called[0] ? r->called : "-",
			hl_store_cdr_disposition_name(r->disposition), r->sip_status);
		return;
	}
	LOG(INFO, "cdr %llu%s: call-id %s tenant %s from %s to %s agent %s: %s (by %s, sip %u), "
		  "%llu ms, talk %llu ms, A rx %llu pkts MOS %.2f, B rx %llu pkts MOS %.2f%s\n",
		(unsigned long long)r->id,
		rc > 0 ? "" : rc == 0 ? " (no store)" : " (NOT STORED)", r->call_id,
		r->tenant[0] ? r->tenant : "-", r->caller_user[0] ? r->caller_user : "-",
		r->called[0] ? r->called : "-", r->agent[0] ? r->agent : "-",
		hl_store_cdr_disposition_name(r->disposition),
		hl_store_cdr_party_name(r->ended_by), r->sip_status,
		(unsigned long long)r->duration_ms, (unsigned long long)r->talk_ms,
		(unsigned long long)r->leg[0].rx_packets, r->leg[0].mos,
		(unsigned long long)r->leg[1].rx_packets, r->leg[1].mos,
		(r->flags & HL_CDR_F_FIGURES_MISSING) ? ", figures missing" : "");
	if (rc < 0)
		LOG(ERR, "cdr of call-id %s not stored: %s\n", r->call_id,
			hl_store_last_error(c->store));
}

static int
ctl_route(void *ctx, struct hl_sig_addr *dst, uint8_t local[16])
{
	struct hl_control *c = ctx;
	unsigned int pi;

	if (hl_engine_route(c->eng, dst->family, dst->ip, &pi, local) != 0)
		return -ENETUNREACH;
	dst->port_index = (uint8_t)pi;
	return 0;
}

struct hl_control *
hl_control_create(const struct hl_config *cfg, struct hl_engine *e)
{
	struct hl_control *c;
	char err[HL_CONFIG_ERR_MAX];

	c = rte_zmalloc("hl_control", sizeof(*c), 0);
	if (c == NULL) {
		hl_errno = -ENOMEM;
		return NULL;
	}
	c->cfg = cfg;
	c->eng = e;
	c->sip_ring = hl_engine_sip_ring(e);
	c->tsc_per_ms = rte_get_tsc_hz() / 1000;
	if (cfg->sip_tenants[0] != '\0') {
		c->tenants = hl_tenants_load(cfg->sip_tenants, err, sizeof(err));
		if (c->tenants == NULL) {
			LOG(ERR, "%s\n", err);
			goto fail;
		}
	}
	/* PCI tenants without detectors: nothing mutes their customers' tones. */
	if (c->tenants != NULL && cfg->rtp_dtmf_inband == HL_CONFIG_INBAND_OFF) {
		for (unsigned int i = 0; i < hl_tenants_count(c->tenants); i++) {
			const struct hl_tenant *tn = hl_tenants_get(c->tenants, i);

			if (tn->dtmf_to_agent == HL_TENANT_DTMF_SUPPRESS)
				LOG(WARNING,
					"tenant %s: dtmf_to_agent = suppress, [rtp] dtmf_inband "
					"= off: key tones in the audio reach agents\n",
					tn->name);
		}
	}
	if (cfg->sip_store[0] != '\0') {
		c->store = hl_store_open(cfg->sip_store, cfg->sip_store_map_mb);
		if (c->store == NULL) {
			LOG(ERR, "store %s: %s\n", cfg->sip_store, hl_strerror(hl_errno));
			goto fail;
		}
		if (c->tenants != NULL && hl_store_provision(c->store, c->tenants) != 0) {
			LOG(ERR, "store %s: provisioning failed: %s\n", cfg->sip_store,
				hl_store_last_error(c->store));
			hl_errno = HL_E_DEPENDENCY;
			goto fail;
		}
	}
	struct hl_sig_ops ops = {.send = ctl_send,
		.route = ctl_route,
		.media_set = ctl_media_set,
		.media_del = ctl_media_del,
		.media_dtmf = ctl_media_dtmf,
		.cdr = ctl_cdr,
		.ctx = c};
	c->media_sink = (struct hl_media_sink){ctl_media_event, ctl_media_final, c};
	c->sig = hl_sig_create(cfg, c->tenants, c->store, &ops, now_ms(c), (uint64_t)time(NULL));
	if (c->sig == NULL)
		goto fail;
	{
		struct hl_sig_stats st;
		hl_sig_stats(c->sig, &st);
		LOG(INFO, "%u tenants, %llu registrations restored\n",
			c->tenants ? hl_tenants_count(c->tenants) : 0,
			(unsigned long long)st.bindings);
	}
	return c;
fail:
	hl_control_free(c);
	return NULL;
}

void
hl_control_free(struct hl_control *c)
{
	struct rte_mbuf *m;

	if (c == NULL)
		return;
	while (c->sip_ring != NULL && rte_ring_sc_dequeue(c->sip_ring, (void **)&m) == 0)
		rte_pktmbuf_free(m);
	hl_sig_free(c->sig);
	hl_store_close(c->store);
	hl_tenants_free(c->tenants);
	rte_free(c);
}

const struct hl_media_stats *
hl_control_last_media(const struct hl_control *c, unsigned int side)
{
	return c && side < 2 ? &c->last_media[side] : NULL;
}

const struct hl_sig *
hl_control_sig(const struct hl_control *c)
{
	return c ? c->sig : NULL;
}

/* Source address and payload of a datagram the classifier passed up. */
static void
input(struct hl_control *c, struct rte_mbuf *m, uint64_t now)
{
	struct hl_sig_addr src;
	uint16_t l3 = m->l2_len, l4 = (uint16_t)(m->l2_len + m->l3_len);
	const uint8_t *v = rte_pktmbuf_mtod_offset(m, const uint8_t *, l3);
	const struct rte_udp_hdr *u = rte_pktmbuf_mtod_offset(m, const struct rte_udp_hdr *, l4);
	uint32_t off = (uint32_t)l4 + sizeof(*u);
	uint32_t len = rte_be_to_cpu_16(u->dgram_len) - (uint32_t)sizeof(*u);
	const uint8_t *p;
	int pi = hl_engine_port_index(c->eng, m->port);

	memset(&src, 0, sizeof(src));
	if ((v[0] >> 4) == 4) {
		const struct rte_ipv4_hdr *ip = (const struct rte_ipv4_hdr *)v;
		src.family = 4;
		memcpy(src.ip, &ip->src_addr, 4);
	} else {
		const struct rte_ipv6_hdr *ip6 = (const struct rte_ipv6_hdr *)v;
		src.family = 6;
		memcpy(src.ip, ip6->src_addr, 16);
	}
	src.port = rte_be_to_cpu_16(u->src_port);
	src.port_index = (uint8_t)(pi < 0 ? 0 : pi);
	if (off + len > m->pkt_len)
		len = m->pkt_len > off ? m->pkt_len - off : 0;
	p = rte_pktmbuf_read(m, off, len, c->flat);
	if (p != NULL)
		hl_sig_input(c->sig, p, len, &src, now);
}

unsigned int
hl_control_poll(struct hl_control *c, struct hl_lcore_stats *st)
{
	struct rte_mbuf *pkts[CTL_BURST];
	unsigned int n = rte_ring_sc_dequeue_burst(c->sip_ring, (void **)pkts, CTL_BURST, NULL);
	uint64_t now = now_ms(c);

	if (n) {
		st->ctr[HL_CTR_CTL_SIP_IN] += n;
		for (unsigned int i = 0; i < n; i++)
			input(c, pkts[i], now);
		rte_pktmbuf_free_bulk(pkts, n);
	}
	return n + hl_sig_poll(c->sig, now) + hl_media_poll(c->eng, &c->media_sink);
}
