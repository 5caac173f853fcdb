/* /hotline/ telemetry commands: see include/hotline/telemetry.h. */
#include <ctype.h>
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_telemetry.h>
#include <rte_version.h>

#include "dataplane/engine_priv.h"
#include "hotline/control.h"
#include "hotline/counters.h"
#include "hotline/neigh.h"
#include "hotline/media.h"
#include "hotline/sig.h"
#include "hotline/telemetry.h"

static struct hl_engine *tel_engine;

static int
cmd_version(const char *cmd, const char *params, struct rte_tel_data *d)
{
	(void)cmd;
	(void)params;
	rte_tel_data_start_dict(d);
	rte_tel_data_add_dict_string(d, "hotline", HL_VERSION);
	rte_tel_data_add_dict_string(d, "dpdk", rte_version());
	return 0;
}

/* [rtp] dtmf_inband as the config file spells it. */
static const char *
inband_name(uint8_t v)
{
	switch (v) {
	case HL_CONFIG_INBAND_AUTO:
		return "auto";
	case HL_CONFIG_INBAND_ALWAYS:
		return "always";
	default:
		return "off";
	}
}

static int
cmd_config(const char *cmd, const char *params, struct rte_tel_data *d)
{
	if (__atomic_load_n(&tel_engine, __ATOMIC_ACQUIRE) == NULL)
		return -ENODEV;
	const struct hl_config *c = tel_engine->cfg;
	(void)cmd;
	(void)params;
	rte_tel_data_start_dict(d);
	rte_tel_data_add_dict_string(d, "path", c->path);
	rte_tel_data_add_dict_u64(d, "control_lcore", c->control_lcore);
	rte_tel_data_add_dict_u64(d, "workers", c->n_workers);
	rte_tel_data_add_dict_u64(d, "busy_poll", c->busy_poll);
	rte_tel_data_add_dict_u64(d, "idle_sleep_min_us", c->idle_sleep_min_us);
	rte_tel_data_add_dict_u64(d, "idle_sleep_max_us", c->idle_sleep_max_us);
	rte_tel_data_add_dict_u64(d, "sip_port", c->sip_port);
	rte_tel_data_add_dict_u64(d, "rtp_port_min", c->rtp_port_min);
	rte_tel_data_add_dict_u64(d, "rtp_port_max", c->rtp_port_max);
	rte_tel_data_add_dict_string(d, "rtp_dtmf_inband", inband_name(c->rtp_dtmf_inband));
	return 0;
}

static int
cmd_stats(const char *cmd, const char *params, struct rte_tel_data *d)
{
	if (__atomic_load_n(&tel_engine, __ATOMIC_ACQUIRE) == NULL)
		return -ENODEV;
	struct hl_lcore_stats s;
	(void)cmd;
	(void)params;
	hl_stats_sum(&s);
	rte_tel_data_start_dict(d);
	for (unsigned int i = 0; i < HL_CTR_MAX; i++)
		rte_tel_data_add_dict_u64(d, hl_ctr_name(i), s.ctr[i]);
	rte_tel_data_add_dict_u64(d, "drops_total", hl_stats_drops_total(&s));
	rte_tel_data_add_dict_u64(d, "busy_tsc", s.busy_tsc);
	rte_tel_data_add_dict_u64(d, "idle_tsc", s.idle_tsc);
	rte_tel_data_add_dict_u64(d, "tsc_hz", rte_get_tsc_hz());
	return 0;
}

static int
cmd_drops(const char *cmd, const char *params, struct rte_tel_data *d)
{
	if (__atomic_load_n(&tel_engine, __ATOMIC_ACQUIRE) == NULL)
		return -ENODEV;
	struct hl_lcore_stats s;
	(void)cmd;
	(void)params;
	hl_stats_sum(&s);
	rte_tel_data_start_dict(d);
	for (unsigned int i = 0; i < HL_DROP_MAX; i++)
		rte_tel_data_add_dict_u64(d, hl_drop_name(i), s.drop[i]);
	rte_tel_data_add_dict_u64(d, "total", hl_stats_drops_total(&s));
	return 0;
}

static int
cmd_lcores(const char *cmd, const char *params, struct rte_tel_data *d)
{
	if (__atomic_load_n(&tel_engine, __ATOMIC_ACQUIRE) == NULL)
		return -ENODEV;
	const struct hl_engine *e = tel_engine;
	(void)cmd;
	(void)params;
	rte_tel_data_start_dict(d);
	unsigned int l;
	RTE_LCORE_FOREACH(l) {
		const struct hl_lcore_stats *s = &hl_stats[l];
		bool worker = e->by_lcore[l] != NULL, control = l == e->cfg->control_lcore;
		struct rte_tel_data *c;
		char key[16];

		if (!worker && !control)
			continue;
		c = rte_tel_data_alloc();
		if (c == NULL)
			return -ENOMEM;
		rte_tel_data_start_dict(c);
		rte_tel_data_add_dict_string(c, "role", worker && control ? "worker+control" :
							       worker ? "worker" : "control");
		rte_tel_data_add_dict_u64(c, "busy_tsc", s->busy_tsc);
		rte_tel_data_add_dict_u64(c, "idle_tsc", s->idle_tsc);
		rte_tel_data_add_dict_u64(c, "loops", s->loops);
		rte_tel_data_add_dict_u64(c, "sleeps", s->sleeps);
		uint64_t tot = s->busy_tsc + s->idle_tsc;
		rte_tel_data_add_dict_u64(c, "busy_permille", tot ? s->busy_tsc * 1000 / tot : 0);
		snprintf(key, sizeof(key), "%u", l);
		rte_tel_data_add_dict_container(d, key, c, 0);
	}
	return 0;
}

static int
cmd_ports(const char *cmd, const char *params, struct rte_tel_data *d)
{
	if (__atomic_load_n(&tel_engine, __ATOMIC_ACQUIRE) == NULL)
		return -ENODEV;
	const struct hl_engine *e = tel_engine;
	(void)cmd;
	(void)params;
	rte_tel_data_start_dict(d);
	for (unsigned int i = 0; i < e->n_ports; i++) {
		const struct hl_port *p = &e->ports[i];
		struct rte_eth_stats es;
		struct rte_tel_data *c = rte_tel_data_alloc();
		char buf[INET6_ADDRSTRLEN + 8];

		if (c == NULL)
			return -ENOMEM;
		rte_tel_data_start_dict(c);
		rte_tel_data_add_dict_u64(c, "ethdev", p->port_id);
		snprintf(buf, sizeof(buf), RTE_ETHER_ADDR_PRT_FMT, RTE_ETHER_ADDR_BYTES(&p->mac));
		rte_tel_data_add_dict_string(c, "mac", buf);
		if (p->has_ip4) {
			inet_ntop(AF_INET, &p->ip4, buf, sizeof(buf));
			rte_tel_data_add_dict_string(c, "ipv4", buf);
		}
		if (p->has_ip6) {
			inet_ntop(AF_INET6, p->ip6, buf, sizeof(buf));
			rte_tel_data_add_dict_string(c, "ipv6", buf);
			inet_ntop(AF_INET6, p->ll6, buf, sizeof(buf));
			rte_tel_data_add_dict_string(c, "ipv6_link_local", buf);
		}
		rte_tel_data_add_dict_u64(c, "vlan", p->vlan);
		rte_tel_data_add_dict_u64(c, "queues", p->n_queues);
		rte_tel_data_add_dict_u64(c, "flow_rules", p->n_flows);
		rte_tel_data_add_dict_string(c, "flow_steering",
			p->flow_state[0] ? p->flow_state : "not set up");
		if (rte_eth_stats_get(p->port_id, &es) == 0) {
			rte_tel_data_add_dict_u64(c, "ipackets", es.ipackets);
			rte_tel_data_add_dict_u64(c, "opackets", es.opackets);
			rte_tel_data_add_dict_u64(c, "imissed", es.imissed);
			rte_tel_data_add_dict_u64(c, "ierrors", es.ierrors);
			rte_tel_data_add_dict_u64(c, "oerrors", es.oerrors);
			rte_tel_data_add_dict_u64(c, "rx_nombuf", es.rx_nombuf);
		}
		rte_tel_data_add_dict_container(d, p->cfg->name, c, 0);
	}
	return 0;
}

struct walk_ctx {
	struct rte_tel_data *d;
	unsigned int n;
};

static void
neigh_entry(void *arg, uint16_t port, const uint8_t ip[16], const struct rte_ether_addr *mac,
	const char *state, double age_s)
{
	static const uint8_t v4mapped[12] = {[10] = 0xff, [11] = 0xff};
	struct walk_ctx *w = arg;
	char addr[INET6_ADDRSTRLEN], val[160];

	/* Telemetry dict keys may not hold '.' or ':', so entries are array strings. */
	if (w->n >= RTE_TEL_MAX_ARRAY_ENTRIES)
		return;
	if (memcmp(ip, v4mapped, 12) == 0)
		inet_ntop(AF_INET, ip + 12, addr, sizeof(addr));
	else
		inet_ntop(AF_INET6, ip, addr, sizeof(addr));
	snprintf(val, sizeof(val), "port %u %s " RTE_ETHER_ADDR_PRT_FMT " %s %.1fs", port, addr,
		RTE_ETHER_ADDR_BYTES(mac), state, age_s);
	rte_tel_data_add_array_string(w->d, val);
	w->n++;
}

static int
cmd_neigh(const char *cmd, const char *params, struct rte_tel_data *d)
{
	if (__atomic_load_n(&tel_engine, __ATOMIC_ACQUIRE) == NULL)
		return -ENODEV;
	struct walk_ctx w = {.d = d};
	(void)cmd;
	(void)params;
	rte_tel_data_start_array(d, RTE_TEL_STRING_VAL);
	hl_neigh_walk(tel_engine->neigh, rte_rdtsc(), neigh_entry, &w);
	return 0;
}

static int
cmd_sip(const char *cmd, const char *params, struct rte_tel_data *d)
{
	if (__atomic_load_n(&tel_engine, __ATOMIC_ACQUIRE) == NULL)
		return -ENODEV;
	const struct hl_sig *sg = hl_control_sig(tel_engine->control);
	struct hl_sig_stats st;
	char digit[2] = {0, 0};
	(void)cmd;
	(void)params;
	if (sg == NULL)
		return -ENODEV;
	hl_sig_stats(sg, &st);
	rte_tel_data_start_dict(d);
	for (unsigned int i = 0; i < HL_SIG_CTR_MAX_; i++)
		rte_tel_data_add_dict_u64(d, hl_sig_ctr_name((enum hl_sig_ctr)i), st.ctr[i]);
	rte_tel_data_add_dict_u64(d, "transactions", st.transactions);
	rte_tel_data_add_dict_u64(d, "dialogs", st.dialogs);
	rte_tel_data_add_dict_u64(d, "calls", st.calls);
	rte_tel_data_add_dict_u64(d, "bindings", st.bindings);
	rte_tel_data_add_dict_u64(d, "agents_registered", st.agents_registered);
	rte_tel_data_add_dict_u64(d, "timers", st.timers);
	rte_tel_data_add_dict_u64(d, "dtmf_events", st.dtmf_events);
	digit[0] = (char)st.last_dtmf;
	rte_tel_data_add_dict_string(d, "last_dtmf", digit);
	rte_tel_data_add_dict_u64(d, "last_dtmf_ms", st.last_dtmf_ms);
	rte_tel_data_add_dict_string(d, "last_dtmf_digits", st.last_dtmf_digits);
	rte_tel_data_add_dict_u64(d, "media_legs", st.media_legs);
	rte_tel_data_add_dict_u64(d, "cdrs_pending", st.cdrs_pending);
	return 0;
}

static void
media_leg_dict(struct rte_tel_data *d, const char *pfx, const struct hl_media_stats *m)
{
	char k[64];
#define U64_(name, v)                                                                     \
	do {                                                                              \
		snprintf(k, sizeof(k), "%s%s", pfx, name);                                \
		rte_tel_data_add_dict_u64(d, k, (uint64_t)(v));                           \
	} while (0)
	U64_("call", m->call);
	U64_("rx_packets", m->rx_packets);
	U64_("rx_bytes", m->rx_bytes);
	U64_("tx_packets", m->tx_packets);
	U64_("tx_bytes", m->tx_bytes);
	U64_("lost", m->lost < 0 ? 0 : m->lost);
	U64_("jitter_us", m->jitter_ms * 1000);
	U64_("rtt_ms", m->rtt_ms);
	U64_("mos_x100", m->mos * 100 + 0.5);
	U64_("dtmf", m->dtmf);
	U64_("rtcp_in", m->rtcp_in);
	U64_("rtcp_out", m->rtcp_out);
	U64_("srtp_auth_failed", m->srtp_auth_fail);
	U64_("wrong_source", m->wrong_source);
	U64_("latched", m->latched);
#undef U64_
}

static int
cmd_media(const char *cmd, const char *params, struct rte_tel_data *d)
{
	if (__atomic_load_n(&tel_engine, __ATOMIC_ACQUIRE) == NULL)
		return -ENODEV;
	const struct hl_sig *sg = hl_control_sig(tel_engine->control);
	struct hl_sig_tenant_media tm;
	const char *name;
	char k[96];
	(void)cmd;
	(void)params;
	rte_tel_data_start_dict(d);
	rte_tel_data_add_dict_u64(d, "legs", hl_media_legs(tel_engine));
	rte_tel_data_add_dict_u64(d, "dtmf_inband_legs", hl_media_inband_legs(tel_engine));
	media_leg_dict(d, "last_a_", hl_control_last_media(tel_engine->control, 0));
	media_leg_dict(d, "last_b_", hl_control_last_media(tel_engine->control, 1));
	for (unsigned int i = 0; sg != NULL && hl_sig_tenant_media(sg, i, &name, &tm) == 0; i++) {
		/* Telemetry names take letters, digits and '_': "acme-eu" is acme_eu_. */
		char t[48];
		size_t n = 0;
		for (; name[n] && n + 1 < sizeof(t); n++)
			t[n] = isalnum((unsigned char)name[n]) ? name[n] : '_';
		t[n] = '\0';
#define TEN_(field, v)                                                                    \
	do {                                                                              \
		snprintf(k, sizeof(k), "%s_%s", t, field);                                \
		rte_tel_data_add_dict_u64(d, k, (uint64_t)(v));                           \
	} while (0)
		TEN_("legs", tm.legs);
		TEN_("rx_packets", tm.rx_packets);
		TEN_("tx_packets", tm.tx_packets);
		TEN_("lost", tm.lost);
		TEN_("dtmf", tm.dtmf);
		TEN_("srtp_auth_failed", tm.srtp_auth_fail);
		TEN_("mos_avg_x100", tm.mos_legs ? tm.mos_sum * 100 / tm.mos_legs + 0.5 : 0);
		TEN_("jitter_max_us", tm.jitter_ms_max * 1000);
#undef TEN_
	}
	return 0;
}

void
hl_telemetry_unregister(void)
{
	/* DPDK 22.11 cannot remove a command: make them answer "no engine". */
	__atomic_store_n(&tel_engine, NULL, __ATOMIC_RELEASE);
}

int
hl_telemetry_register(struct hl_engine *e)
{
	static const struct {
		const char *cmd;
		telemetry_cb fn;
		const char *help;
	} cmds[] = {
		{"/hotline/version", cmd_version, "hotline and DPDK versions"},
		{"/hotline/config", cmd_config, "Effective configuration summary"},
		{"/hotline/stats", cmd_stats, "Packet classes summed over lcores"},
		{"/hotline/drops", cmd_drops, "Every drop reason and the total"},
		{"/hotline/lcores", cmd_lcores, "Busy/idle cycles per lcore"},
		{"/hotline/ports", cmd_ports, "Ports: addresses, queues, ethdev counters"},
		{"/hotline/neigh", cmd_neigh, "ARP/NDP neighbour table"},
		{"/hotline/media", cmd_media, "Media: live legs, last legs' quality, per-tenant sums"},
		{"/hotline/sip", cmd_sip, "Signalling: counters, live transactions/dialogs/calls"},
	};

	tel_engine = e;
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		int rc = rte_telemetry_register_cmd(cmds[i].cmd, cmds[i].fn, cmds[i].help);
		if (rc != 0 && rc != -EINVAL)
			return rc;
	}
	return 0;
}
