/*
 * Configuration file parser and validator: see include/hotline/config.h and the
 * annotated examples/hotline.conf.
 */
#include <arpa/inet.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "control/ini_priv.h"
#include "hotline/common.h"
#include "hotline/config.h"
#include "hotline/srtp.h"

enum section {
	SEC_NONE,
	SEC_ENGINE,
	SEC_LCORES,
	SEC_PORT,
	SEC_SIP,
	SEC_RTP,
	SEC_LIMITS,
};

/* [sip] numeric keys, in the order of sip_keys[]. */
enum sip_key {
	SIP_STORE_MAP_MB,
	SIP_T1,
	SIP_T2,
	SIP_T4,
	SIP_SESSION_EXPIRES,
	SIP_MIN_SE,
	SIP_NONCE_TTL,
	SIP_MAX_CALLS,
	SIP_MAX_CPS,
	SIP_NO_ANSWER,
	SIP_MAX_TRANSACTIONS,
	SIP_MAX_DIALOGS,
	SIP_FLOOD_PPS,
	SIP_FLOOD_BURST,
	SIP_QUALIFY,
	SIP_CDR_KEEP_DAYS,
	SIP_CDR_MAX,
	SIP_CDR_REFUSED_PER_S,
	SIP_N_KEYS,
};

struct parser {
	struct hl_ini ini;
	struct hl_config *cfg;
	enum section sec;
	struct hl_config_port *port;
	/* keys seen in the current section, to refuse duplicates */
	uint64_t seen;
	/* sections seen, to refuse a second [sip] etc. */
	uint32_t sections_seen;
	bool have_control, have_workers;
	/* where each numeric [sip] key was given (0: not given), for cross-key errors */
	unsigned int sip_line[SIP_N_KEYS];
};

static int __attribute__((format(printf, 3, 4)))
fail(struct parser *p, unsigned int line, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = hl_ini_vfail(&p->ini, line, fmt, ap);
	va_end(ap);
	return rc;
}

static int
parse_uint(struct parser *p, const char *key, const char *v, uint64_t lo, uint64_t hi,
	uint64_t *out)
{
	return hl_ini_uint(&p->ini, key, v, lo, hi, out);
}

static int
parse_bool(struct parser *p, const char *key, const char *v, bool *out)
{
	return hl_ini_bool(&p->ini, key, v, out);
}

static int
parse_ip(struct parser *p, const char *key, const char *v, int af, uint8_t *addr,
	uint8_t *prefix)
{
	return hl_ini_ip(&p->ini, key, v, af, addr, prefix);
}

void
hl_config_defaults(struct hl_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->busy_poll = false;
	cfg->idle_sleep_min_us = 16;
	cfg->idle_sleep_max_us = 500;
	cfg->tx_drain_us = 100;
	cfg->control_lcore = 0;
	cfg->sip_port = 5060;
	strcpy(cfg->sip_store, "/var/lib/hotline");
	/* Room for cdr_max call records at the default: see validate(). */
	cfg->sip_store_map_mb = 1024;
	/* RFC 3261 §17.1.1.1 and Appendix A: T1 500 ms, T2 4 s, T4 5 s. */
	cfg->sip_t1_ms = 500;
	cfg->sip_t2_ms = 4000;
	cfg->sip_t4_ms = 5000;
	/* RFC 4028 §4, §5: 1800 s is the recommended session interval, 90 s the floor. */
	cfg->sip_session_expires_s = 1800;
	cfg->sip_min_se_s = 90;
	cfg->sip_nonce_ttl_s = 300;
	cfg->sip_no_answer_s = 15;
	cfg->sip_max_transactions = 1048576;
	cfg->sip_max_dialogs = 65536;
	cfg->sip_flood_pps = 2000;
	cfg->sip_flood_burst = 4000;
	cfg->sip_qualify_s = 30;
	cfg->sip_cdr_keep_days = 90;
	cfg->sip_cdr_max = 1000000;
	cfg->sip_cdr_refused_per_s = 200;
	cfg->sip_digest[0] = HL_CONFIG_DIGEST_SHA256;
	cfg->sip_digest[1] = HL_CONFIG_DIGEST_MD5;
	cfg->rtp_port_min = 20000;
	cfg->rtp_port_max = 29999;
	cfg->rtp_timeout_s = 60;
	cfg->rtp_hold_timeout_s = 3600;
	cfg->rtp_max_legs = 0;
	cfg->rtp_srtp = HL_CONFIG_SRTP_OPTIONAL;
	cfg->rtp_agent_srtp = 0;
	cfg->rtp_dtmf_inband = HL_CONFIG_INBAND_AUTO;
	cfg->rtp_dtmf_inband_slots = 0;
	cfg->rtp_dtmf_inband_opus_slots = 0;
	cfg->mbufs = 0;
	cfg->frag_max_flows = 1024;
	cfg->frag_timeout_ms = 2000;
	cfg->neigh_entries = 1024;
	cfg->sip_ring_size = 4096;
}

static bool
is_pow2(uint64_t v)
{
	return v != 0 && (v & (v - 1)) == 0;
}

/* "1", "1,3", "2-5", "1,4-6": into cfg->worker_lcores, refusing duplicates. */
static int
parse_lcore_list(struct parser *p, const char *key, const char *v)
{
	struct hl_config *cfg = p->cfg;
	bool used[HL_CONFIG_MAX_LCORES] = {false};
	const char *s = v;

	cfg->n_workers = 0;
	while (*s != '\0') {
		char *end;
		unsigned long a, b;

		if (*s < '0' || *s > '9')
			return fail(p, p->ini.line, "%s: '%s' is not an lcore list (e.g. 1,2-3)",
				key, v);
		a = strtoul(s, &end, 10);
		b = a;
		s = end;
		if (*s == '-') {
			s++;
			if (*s < '0' || *s > '9')
				return fail(p, p->ini.line,
					"%s: '%s' is not an lcore list (e.g. 1,2-3)", key, v);
			b = strtoul(s, &end, 10);
			s = end;
		}
		if (a >= HL_CONFIG_MAX_LCORES || b >= HL_CONFIG_MAX_LCORES || a > b)
			return fail(p, p->ini.line, "%s: lcore range %lu-%lu is invalid (0..%d)",
				key, a, b, HL_CONFIG_MAX_LCORES - 1);
		for (unsigned long l = a; l <= b; l++) {
			if (used[l])
				return fail(p, p->ini.line, "%s: lcore %lu is listed twice", key,
					l);
			used[l] = true;
			cfg->worker_lcores[cfg->n_workers++] = (uint16_t)l;
		}
		if (*s == ',')
			s++;
		else if (*s != '\0')
			return fail(p, p->ini.line, "%s: '%s' is not an lcore list (e.g. 1,2-3)",
				key, v);
	}
	if (cfg->n_workers == 0)
		return fail(p, p->ini.line, "%s: at least one worker lcore is needed", key);
	return 0;
}

/* Marks key index k as seen in this section; a second occurrence is an error. */
static int
once(struct parser *p, unsigned int k, const char *key)
{
	if (p->seen & (1ull << k))
		return fail(p, p->ini.line, "'%s' is given twice in this section", key);
	p->seen |= 1ull << k;
	return 0;
}

#define KEY(n) (strcmp(key, (n)) == 0)

static int
set_engine(struct parser *p, const char *key, const char *v)
{
	uint64_t x;
	int rc;

	if (KEY("busy_poll")) {
		if ((rc = once(p, 0, key)) < 0)
			return rc;
		return parse_bool(p, key, v, &p->cfg->busy_poll);
	}
	if (KEY("idle_sleep_max_us")) {
		if ((rc = once(p, 1, key)) < 0 || (rc = parse_uint(p, key, v, 1, 100000, &x)) < 0)
			return rc;
		p->cfg->idle_sleep_max_us = (uint32_t)x;
		return 0;
	}
	if (KEY("tx_drain_us")) {
		if ((rc = once(p, 2, key)) < 0 || (rc = parse_uint(p, key, v, 1, 10000, &x)) < 0)
			return rc;
		p->cfg->tx_drain_us = (uint32_t)x;
		return 0;
	}
	if (KEY("idle_sleep_min_us")) {
		if ((rc = once(p, 3, key)) < 0 || (rc = parse_uint(p, key, v, 1, 100000, &x)) < 0)
			return rc;
		p->cfg->idle_sleep_min_us = (uint32_t)x;
		return 0;
	}
	return fail(p, p->ini.line, "unknown key '%s' in [engine] (busy_poll, idle_sleep_min_us, "
				"idle_sleep_max_us, tx_drain_us)", key);
}

static int
set_lcores(struct parser *p, const char *key, const char *v)
{
	uint64_t x;
	int rc;

	if (KEY("control")) {
		if ((rc = once(p, 0, key)) < 0 ||
			(rc = parse_uint(p, key, v, 0, HL_CONFIG_MAX_LCORES - 1, &x)) < 0)
			return rc;
		p->cfg->control_lcore = (unsigned int)x;
		p->have_control = true;
		return 0;
	}
	if (KEY("workers")) {
		if ((rc = once(p, 1, key)) < 0 || (rc = parse_lcore_list(p, key, v)) < 0)
			return rc;
		p->have_workers = true;
		return 0;
	}
	return fail(p, p->ini.line, "unknown key '%s' in [lcores] (control, workers)", key);
}

static int
set_port(struct parser *p, const char *key, const char *v)
{
	struct hl_config_port *pt = p->port;
	uint64_t x;
	int rc;

	if (KEY("device")) {
		if ((rc = once(p, 0, key)) < 0)
			return rc;
		if (strlen(v) >= sizeof(pt->device))
			return fail(p, p->ini.line, "device: longer than %zu characters",
				sizeof(pt->device) - 1);
		if (strchr(v, ' ') != NULL)
			return fail(p, p->ini.line, "device: '%s' contains a space", v);
		strcpy(pt->device, v);
		return 0;
	}
	if (KEY("ipv4")) {
		if ((rc = once(p, 1, key)) < 0 ||
			(rc = parse_ip(p, key, v, AF_INET, pt->ip4, &pt->ip4_prefix)) < 0)
			return rc;
		pt->has_ip4 = true;
		return 0;
	}
	if (KEY("gateway4")) {
		if ((rc = once(p, 2, key)) < 0 || (rc = parse_ip(p, key, v, AF_INET, pt->gw4, NULL)) < 0)
			return rc;
		pt->has_gw4 = true;
		return 0;
	}
	if (KEY("ipv6")) {
		if ((rc = once(p, 3, key)) < 0 ||
			(rc = parse_ip(p, key, v, AF_INET6, pt->ip6, &pt->ip6_prefix)) < 0)
			return rc;
		pt->has_ip6 = true;
		return 0;
	}
	if (KEY("gateway6")) {
		if ((rc = once(p, 4, key)) < 0 || (rc = parse_ip(p, key, v, AF_INET6, pt->gw6, NULL)) < 0)
			return rc;
		pt->has_gw6 = true;
		return 0;
	}
	if (KEY("vlan")) {
		if ((rc = once(p, 5, key)) < 0 || (rc = parse_uint(p, key, v, 1, 4094, &x)) < 0)
			return rc;
		pt->vlan = (uint16_t)x;
		return 0;
	}
	if (KEY("mtu")) {
		if ((rc = once(p, 6, key)) < 0 || (rc = parse_uint(p, key, v, 576, 9000, &x)) < 0)
			return rc;
		pt->mtu = (uint16_t)x;
		return 0;
	}
	if (KEY("rx_desc")) {
		if ((rc = once(p, 7, key)) < 0 || (rc = parse_uint(p, key, v, 64, 16384, &x)) < 0)
			return rc;
		pt->rx_desc = (uint16_t)x;
		return 0;
	}
	if (KEY("tx_desc")) {
		if ((rc = once(p, 8, key)) < 0 || (rc = parse_uint(p, key, v, 64, 16384, &x)) < 0)
			return rc;
		pt->tx_desc = (uint16_t)x;
		return 0;
	}
	if (KEY("flow_rules")) {
		if ((rc = once(p, 9, key)) < 0)
			return rc;
		return parse_bool(p, key, v, &pt->flow_rules);
	}
	return fail(p, p->ini.line, "unknown key '%s' in [port] (device, ipv4, gateway4, ipv6, "
				"gateway6, vlan, mtu, rx_desc, tx_desc, flow_rules)", key);
}

/* [sip] numeric keys: each a uint32_t of struct hl_config with its range. Cross-key rules
 * (t2 >= t1, session_expires >= min_se) are checked in validate(), once every key is in. */
static const struct {
	const char *name;
	size_t off;
	uint32_t lo, hi;
} sip_keys[SIP_N_KEYS] = {
	[SIP_STORE_MAP_MB] = {"store_map_mb", offsetof(struct hl_config, sip_store_map_mb), 1,
		65536},
	[SIP_T1] = {"t1_ms", offsetof(struct hl_config, sip_t1_ms), 10, 10000},
	[SIP_T2] = {"t2_ms", offsetof(struct hl_config, sip_t2_ms), 10, 60000},
	[SIP_T4] = {"t4_ms", offsetof(struct hl_config, sip_t4_ms), 10, 60000},
	[SIP_SESSION_EXPIRES] = {"session_expires_s",
		offsetof(struct hl_config, sip_session_expires_s), 0, 86400},
	/* RFC 4028 §5: Min-SE is never below 90 seconds. */
	[SIP_MIN_SE] = {"min_se_s", offsetof(struct hl_config, sip_min_se_s), 90, 86400},
	[SIP_NONCE_TTL] = {"nonce_ttl_s", offsetof(struct hl_config, sip_nonce_ttl_s), 10,
		86400},
	[SIP_MAX_CALLS] = {"max_calls", offsetof(struct hl_config, sip_max_calls), 0, 10000000},
	[SIP_MAX_CPS] = {"max_cps", offsetof(struct hl_config, sip_max_cps), 0, 1000000},
	[SIP_NO_ANSWER] = {"no_answer_s", offsetof(struct hl_config, sip_no_answer_s), 1, 300},
	[SIP_MAX_TRANSACTIONS] = {"max_transactions",
		offsetof(struct hl_config, sip_max_transactions), 64, 4194304},
	[SIP_MAX_DIALOGS] = {"max_dialogs", offsetof(struct hl_config, sip_max_dialogs), 64,
		4194304},
	[SIP_FLOOD_PPS] = {"flood_pps", offsetof(struct hl_config, sip_flood_pps), 0, 1000000},
	[SIP_QUALIFY] = {"qualify_s", offsetof(struct hl_config, sip_qualify_s), 0, 3600},
	[SIP_FLOOD_BURST] = {"flood_burst", offsetof(struct hl_config, sip_flood_burst), 1,
		1000000},
	/* Call record retention; 0 turns that limit off. 36500 days: a century. */
	[SIP_CDR_KEEP_DAYS] = {"cdr_keep_days", offsetof(struct hl_config, sip_cdr_keep_days), 0,
		36500},
	[SIP_CDR_MAX] = {"cdr_max", offsetof(struct hl_config, sip_cdr_max), 0, 1000000000},
	/* Refused INVITEs recorded per second: the staging pool, about 0.8 KiB a record, is
	 * this big, and a second's records are one LMDB commit. 0: none recorded. */
	[SIP_CDR_REFUSED_PER_S] = {"cdr_refused_per_s",
		offsetof(struct hl_config, sip_cdr_refused_per_s), 0, 10000},
};

static int
set_sip_path(struct parser *p, unsigned int k, const char *key, const char *v, char *dst,
	size_t size)
{
	int rc;

	if ((rc = once(p, k, key)) < 0)
		return rc;
	if (strlen(v) >= size)
		return fail(p, p->ini.line, "%s: longer than %zu characters", key, size - 1);
	strcpy(dst, v);
	return 0;
}

static int
set_sip(struct parser *p, const char *key, const char *v)
{
	uint64_t x;
	int rc;

	if (KEY("port")) {
		if ((rc = once(p, 0, key)) < 0 || (rc = parse_uint(p, key, v, 1, 65535, &x)) < 0)
			return rc;
		p->cfg->sip_port = (uint16_t)x;
		return 0;
	}
	if (KEY("tenants"))
		return set_sip_path(p, 1, key, v, p->cfg->sip_tenants, sizeof(p->cfg->sip_tenants));
	if (KEY("store"))
		return set_sip_path(p, 2, key, v, p->cfg->sip_store, sizeof(p->cfg->sip_store));
	if (KEY("digest")) {
		/* Challenge order (RFC 8760 §2.4: the preferred algorithm first). */
		char buf[64], *tok, *save = NULL;
		unsigned int n = 0;

		if ((rc = once(p, 40, key)) < 0)
			return rc;
		snprintf(buf, sizeof(buf), "%s", v);
		memset(p->cfg->sip_digest, 0, sizeof(p->cfg->sip_digest));
		for (tok = strtok_r(buf, ", ", &save); tok; tok = strtok_r(NULL, ", ", &save)) {
			uint8_t a = strcasecmp(tok, "md5") == 0 ? HL_CONFIG_DIGEST_MD5 :
				(strcasecmp(tok, "sha256") == 0 || strcasecmp(tok, "sha-256") == 0) ?
				HL_CONFIG_DIGEST_SHA256 : 0;
			if (a == 0)
				return fail(p, p->ini.line, "digest: '%s' is not md5 or sha256", tok);
			if (n == 2 || (n == 1 && p->cfg->sip_digest[0] == a))
				return fail(p, p->ini.line, "digest: '%s' is listed twice", tok);
			p->cfg->sip_digest[n++] = a;
		}
		if (n == 0)
			return fail(p, p->ini.line, "digest: name md5, sha256 or both, in order");
		return 0;
	}
	for (unsigned int i = 0; i < SIP_N_KEYS; i++) {
		if (!KEY(sip_keys[i].name))
			continue;
		if ((rc = once(p, 3 + i, key)) < 0 ||
			(rc = parse_uint(p, key, v, sip_keys[i].lo, sip_keys[i].hi, &x)) < 0)
			return rc;
		*(uint32_t *)((char *)p->cfg + sip_keys[i].off) = (uint32_t)x;
		p->sip_line[i] = p->ini.line;
		return 0;
	}
	return fail(p, p->ini.line, "unknown key '%s' in [sip] (port, tenants, store, digest, "
				"store_map_mb, t1_ms, t2_ms, t4_ms, session_expires_s, min_se_s, "
				"nonce_ttl_s, max_calls, max_cps, no_answer_s, max_transactions, "
				"max_dialogs, flood_pps, flood_burst, qualify_s, cdr_keep_days, "
				"cdr_max, cdr_refused_per_s)", key);
}

/* "srtp_suites = AEAD_AES_128_GCM, AES_CM_128_HMAC_SHA1_80": RFC 4568 names, separated
 * by commas and/or blanks, preferred first, each once. */
_Static_assert(HL_CONFIG_SRTP_SUITES_MAX == HL_SRTP_SUITE_MAX_,
	"rtp_srtp_suites[] holds every suite hotline/srtp.h runs");
static int
set_srtp_suites(struct parser *p, const char *key, const char *v)
{
	struct hl_config *c = p->cfg;
	int rc;

	if ((rc = once(p, 6, key)) < 0)
		return rc;
	c->rtp_n_srtp_suites = 0;
	for (const char *s = v; *s != '\0';) {
		size_t n;
		int su;

		if (*s == ',' || *s == ' ' || *s == '\t') {
			s++;
			continue;
		}
		n = strcspn(s, ", \t");
		su = hl_srtp_suite_from_name(s, n);
		if (su < 0)
			return fail(p, p->ini.line,
				"srtp_suites: '%.*s' is not a suite hotline runs "
				"(AES_CM_128_HMAC_SHA1_80, AES_CM_128_HMAC_SHA1_32, "
				"AES_256_CM_HMAC_SHA1_80, AEAD_AES_128_GCM, AEAD_AES_256_GCM)",
				(int)(n < 64 ? n : 64), s);
		for (unsigned int k = 0; k < c->rtp_n_srtp_suites; k++)
			if (c->rtp_srtp_suites[k] == su)
				return fail(p, p->ini.line, "srtp_suites: '%.*s' is listed twice",
					(int)n, s);
		/* Every suite once fits (the assert above): the check above comes first. */
		c->rtp_srtp_suites[c->rtp_n_srtp_suites++] = (uint8_t)su;
		s += n;
	}
	if (c->rtp_n_srtp_suites == 0)
		return fail(p, p->ini.line, "srtp_suites: no suite given");
	return 0;
}

static int
set_rtp(struct parser *p, const char *key, const char *v)
{
	int rc;

	if (KEY("ports")) {
		uint64_t lo, hi;
		char buf[32];
		const char *dash = strchr(v, '-');

		if ((rc = once(p, 0, key)) < 0)
			return rc;
		if (dash == NULL || (size_t)(dash - v) >= sizeof(buf))
			return fail(p, p->ini.line, "ports: '%s' is not a range (e.g. 20000-29999)",
				v);
		memcpy(buf, v, (size_t)(dash - v));
		buf[dash - v] = '\0';
		if ((rc = parse_uint(p, key, buf, 1024, 65535, &lo)) < 0 ||
			(rc = parse_uint(p, key, dash + 1, 1024, 65535, &hi)) < 0)
			return rc;
		/* RFC 3550 §11: RTP on an even port, RTCP on the odd one above it. */
		if (lo % 2 != 0)
			return fail(p, p->ini.line,
				"ports: the range must start on an even port (%llu)",
				(unsigned long long)lo);
		if (hi % 2 != 1)
			return fail(p, p->ini.line,
				"ports: the range must end on an odd port (%llu)",
				(unsigned long long)hi);
		if (hi <= lo)
			return fail(p, p->ini.line, "ports: %llu-%llu is empty",
				(unsigned long long)lo, (unsigned long long)hi);
		p->cfg->rtp_port_min = (uint16_t)lo;
		p->cfg->rtp_port_max = (uint16_t)hi;
		return 0;
	}
	uint64_t x;

	if (KEY("timeout_s")) {
		if ((rc = once(p, 1, key)) < 0 || (rc = parse_uint(p, key, v, 0, 86400, &x)) < 0)
			return rc;
		p->cfg->rtp_timeout_s = (uint32_t)x;
		return 0;
	}
	if (KEY("hold_timeout_s")) {
		if ((rc = once(p, 2, key)) < 0 || (rc = parse_uint(p, key, v, 0, 86400, &x)) < 0)
			return rc;
		p->cfg->rtp_hold_timeout_s = (uint32_t)x;
		return 0;
	}
	if (KEY("max_legs")) {
		if ((rc = once(p, 3, key)) < 0 || (rc = parse_uint(p, key, v, 0, 1u << 22, &x)) < 0)
			return rc;
		p->cfg->rtp_max_legs = (uint32_t)x;
		return 0;
	}
	if (KEY("srtp")) {
		if ((rc = once(p, 4, key)) < 0)
			return rc;
		if (strcmp(v, "off") == 0)
			p->cfg->rtp_srtp = HL_CONFIG_SRTP_OFF;
		else if (strcmp(v, "optional") == 0)
			p->cfg->rtp_srtp = HL_CONFIG_SRTP_OPTIONAL;
		else if (strcmp(v, "mandatory") == 0)
			p->cfg->rtp_srtp = HL_CONFIG_SRTP_MANDATORY;
		else
			return fail(p, p->ini.line, "srtp: '%s' is not off, optional or mandatory", v);
		return 0;
	}
	if (KEY("agent_srtp")) {
		if ((rc = once(p, 5, key)) < 0)
			return rc;
		if (strcmp(v, "off") == 0)
			p->cfg->rtp_agent_srtp = 0;
		else if (strcmp(v, "on") == 0)
			p->cfg->rtp_agent_srtp = 1;
		else
			return fail(p, p->ini.line, "agent_srtp: '%s' is not on or off", v);
		return 0;
	}
	if (KEY("srtp_suites"))
		return set_srtp_suites(p, key, v);
	if (KEY("dtmf_inband")) {
		if ((rc = once(p, 7, key)) < 0)
			return rc;
		if (strcmp(v, "off") == 0)
			p->cfg->rtp_dtmf_inband = HL_CONFIG_INBAND_OFF;
		else if (strcmp(v, "auto") == 0)
			p->cfg->rtp_dtmf_inband = HL_CONFIG_INBAND_AUTO;
		else if (strcmp(v, "always") == 0)
			p->cfg->rtp_dtmf_inband = HL_CONFIG_INBAND_ALWAYS;
		else
			return fail(
				p, p->ini.line, "dtmf_inband: '%s' is not auto, always or off", v);
		return 0;
	}
	if (KEY("dtmf_inband_slots")) {
		if ((rc = once(p, 8, key)) < 0 || (rc = parse_uint(p, key, v, 0, 1u << 22, &x)) < 0)
			return rc;
		p->cfg->rtp_dtmf_inband_slots = (uint32_t)x;
		return 0;
	}
	if (KEY("dtmf_inband_opus_slots")) {
		if ((rc = once(p, 9, key)) < 0 || (rc = parse_uint(p, key, v, 0, 1u << 22, &x)) < 0)
			return rc;
		p->cfg->rtp_dtmf_inband_opus_slots = (uint32_t)x;
		return 0;
	}
	return fail(p, p->ini.line, "unknown key '%s' in [rtp] (ports, timeout_s, hold_timeout_s, "
				"max_legs, srtp, agent_srtp, srtp_suites, dtmf_inband, "
				"dtmf_inband_slots, dtmf_inband_opus_slots)", key);
}

static int
set_limits(struct parser *p, const char *key, const char *v)
{
	uint64_t x;
	int rc;

	if (KEY("mbufs")) {
		if ((rc = once(p, 0, key)) < 0 || (rc = parse_uint(p, key, v, 1024, 1u << 24, &x)) < 0)
			return rc;
		p->cfg->mbufs = (uint32_t)x;
		return 0;
	}
	if (KEY("frag_max_flows")) {
		if ((rc = once(p, 1, key)) < 0 || (rc = parse_uint(p, key, v, 16, 1u << 20, &x)) < 0)
			return rc;
		p->cfg->frag_max_flows = (uint32_t)x;
		return 0;
	}
	if (KEY("frag_timeout_ms")) {
		if ((rc = once(p, 2, key)) < 0 || (rc = parse_uint(p, key, v, 10, 60000, &x)) < 0)
			return rc;
		p->cfg->frag_timeout_ms = (uint32_t)x;
		return 0;
	}
	if (KEY("neigh_entries") || KEY("sip_ring_size")) {
		bool neigh = KEY("neigh_entries");
		if ((rc = once(p, neigh ? 3 : 4, key)) < 0 ||
			(rc = parse_uint(p, key, v, 64, 1u << 20, &x)) < 0)
			return rc;
		if (!is_pow2(x))
			return fail(p, p->ini.line, "%s: %llu is not a power of two", key,
				(unsigned long long)x);
		if (neigh)
			p->cfg->neigh_entries = (uint32_t)x;
		else
			p->cfg->sip_ring_size = (uint32_t)x;
		return 0;
	}
	return fail(p, p->ini.line, "unknown key '%s' in [limits] (mbufs, frag_max_flows, "
				"frag_timeout_ms, neigh_entries, sip_ring_size)", key);
}

static int
open_section(struct parser *p, const char *name, const char *arg)
{
	static const struct {
		const char *name;
		enum section sec;
	} names[] = {
		{"engine", SEC_ENGINE}, {"lcores", SEC_LCORES}, {"port", SEC_PORT},
		{"sip", SEC_SIP}, {"rtp", SEC_RTP}, {"limits", SEC_LIMITS},
	};

	p->seen = 0;
	p->port = NULL;
	for (size_t i = 0; i < HL_ARRAY_SIZE(names); i++) {
		if (strcmp(name, names[i].name) != 0)
			continue;
		p->sec = names[i].sec;
		if (p->sec != SEC_PORT) {
			if (*arg != '\0')
				return fail(p, p->ini.line, "[%s] takes no name", name);
			if (p->sections_seen & (1u << p->sec))
				return fail(p, p->ini.line, "[%s] is given twice", name);
			p->sections_seen |= 1u << p->sec;
			return 0;
		}
		if (*arg == '\0')
			return fail(p, p->ini.line, "[port] needs a name: [port NAME]");
		if (strlen(arg) >= HL_CONFIG_NAME_MAX)
			return fail(p, p->ini.line, "port name '%s' is longer than %d characters",
				arg, HL_CONFIG_NAME_MAX - 1);
		for (unsigned int i2 = 0; i2 < p->cfg->n_ports; i2++)
			if (strcmp(p->cfg->ports[i2].name, arg) == 0)
				return fail(p, p->ini.line, "port '%s' is declared twice", arg);
		if (p->cfg->n_ports == HL_CONFIG_MAX_PORTS)
			return fail(p, p->ini.line, "more than %d ports", HL_CONFIG_MAX_PORTS);
		p->port = &p->cfg->ports[p->cfg->n_ports++];
		memset(p->port, 0, sizeof(*p->port));
		strcpy(p->port->name, arg);
		p->port->mtu = 1500;
		p->port->rx_desc = 1024;
		p->port->flow_rules = true;
		p->port->tx_desc = 1024;
		p->port->line = p->ini.line;
		return 0;
	}
	return fail(p, p->ini.line, "unknown section [%s] (engine, lcores, port NAME, sip, rtp, "
				"limits)", name);
}

static int
set_key(struct parser *p, const char *key, const char *val)
{
	switch (p->sec) {
	case SEC_ENGINE:
		return set_engine(p, key, val);
	case SEC_LCORES:
		return set_lcores(p, key, val);
	case SEC_PORT:
		return set_port(p, key, val);
	case SEC_SIP:
		return set_sip(p, key, val);
	case SEC_RTP:
		return set_rtp(p, key, val);
	case SEC_LIMITS:
		return set_limits(p, key, val);
	case SEC_NONE:
		break;
	}
	return fail(p, p->ini.line, "'%s' comes before any [section]", key);
}

/* Whole-file checks: what no single line can know. */
static int
validate(struct parser *p)
{
	struct hl_config *cfg = p->cfg;

	if (cfg->n_ports == 0)
		return fail(p, 0, "no [port NAME] section: at least one port is needed");
	for (unsigned int i = 0; i < cfg->n_ports; i++) {
		struct hl_config_port *pt = &cfg->ports[i];

		if (pt->device[0] == '\0')
			return fail(p, pt->line, "[port %s] has no 'device' (PMD devargs or PCI address)",
				pt->name);
		for (unsigned int j = 0; j < i; j++)
			if (strcmp(cfg->ports[j].device, pt->device) == 0)
				return fail(p, pt->line, "[port %s] uses the device of [port %s]",
					pt->name, cfg->ports[j].name);
		if (!pt->has_ip4 && !pt->has_ip6)
			return fail(p, pt->line, "[port %s] has neither 'ipv4' nor 'ipv6'", pt->name);
		if (pt->has_gw4 && !pt->has_ip4)
			return fail(p, pt->line, "[port %s] has 'gateway4' but no 'ipv4'", pt->name);
		if (pt->has_gw6 && !pt->has_ip6)
			return fail(p, pt->line, "[port %s] has 'gateway6' but no 'ipv6'", pt->name);
		if (pt->has_gw4 && !hl_ini_same_prefix(pt->ip4, pt->gw4, pt->ip4_prefix))
			return fail(p, pt->line, "[port %s] gateway4 is not inside %u.%u.%u.%u/%u",
				pt->name, pt->ip4[0], pt->ip4[1], pt->ip4[2], pt->ip4[3],
				pt->ip4_prefix);
		if (pt->has_gw6 && !hl_ini_same_prefix(pt->ip6, pt->gw6, pt->ip6_prefix))
			return fail(p, pt->line, "[port %s] gateway6 is not inside the ipv6 prefix",
				pt->name);
		/* RFC 8200 §5: every IPv6 link carries 1280-byte packets. */
		if (pt->has_ip6 && pt->mtu < 1280)
			return fail(p, pt->line, "[port %s] mtu %u is below IPv6's minimum of 1280",
				pt->name, pt->mtu);
	}
	if (!p->have_workers)
		return fail(p, 0, "[lcores] has no 'workers' list");
	if (!p->have_control)
		return fail(p, 0, "[lcores] has no 'control' lcore");
	/* RFC 3261 §17.1.2.2: retransmits double from T1 up to T2, so T2 < T1 is nonsense. */
	if (cfg->sip_t2_ms < cfg->sip_t1_ms) {
		if (p->sip_line[SIP_T2] != 0)
			return fail(p, p->sip_line[SIP_T2], "t2_ms: %u is below t1_ms (%u)",
				cfg->sip_t2_ms, cfg->sip_t1_ms);
		return fail(p, p->sip_line[SIP_T1], "t1_ms: %u is above t2_ms (%u): raise t2_ms too",
			cfg->sip_t1_ms, cfg->sip_t2_ms);
	}
	/* RFC 4028 §6: a peer with our Min-SE would answer our own Session-Expires with 422. */
	if (cfg->sip_session_expires_s != 0 && cfg->sip_session_expires_s < cfg->sip_min_se_s) {
		if (p->sip_line[SIP_SESSION_EXPIRES] != 0)
			return fail(p, p->sip_line[SIP_SESSION_EXPIRES],
				"session_expires_s: %u is below min_se_s (%u); 0 turns session "
				"timers off",
				cfg->sip_session_expires_s, cfg->sip_min_se_s);
		return fail(p, p->sip_line[SIP_MIN_SE],
			"min_se_s: %u is above session_expires_s (%u): raise session_expires_s too",
			cfg->sip_min_se_s, cfg->sip_session_expires_s);
	}
	/* A call record takes about 0.5 KiB of the map; with the rule above ("about twice the
	 * data") cdr_max records need 1 KiB each. A full map fails registrations too. */
	if (cfg->sip_store[0] != '\0' && cfg->sip_cdr_max != 0 &&
		cfg->sip_cdr_max > (uint64_t)cfg->sip_store_map_mb * 1024) {
		unsigned int need = (unsigned int)((cfg->sip_cdr_max + 1023) / 1024);

		if (p->sip_line[SIP_STORE_MAP_MB] != 0)
			return fail(p, p->sip_line[SIP_STORE_MAP_MB],
				"store_map_mb: %u MiB is too small for cdr_max (%u call records "
				"need %u): raise it or lower cdr_max",
				cfg->sip_store_map_mb, cfg->sip_cdr_max, need);
		return fail(p, p->sip_line[SIP_CDR_MAX],
			"cdr_max: %u call records need store_map_mb >= %u (it is %u)",
			cfg->sip_cdr_max, need, cfg->sip_store_map_mb);
	}
	if (cfg->sip_port >= cfg->rtp_port_min && cfg->sip_port <= cfg->rtp_port_max)
		return fail(p, 0, "SIP port %u lies inside the RTP range %u-%u", cfg->sip_port,
			cfg->rtp_port_min, cfg->rtp_port_max);
	/* Each worker owns a slice of the range with at least one call's block of four
	 * ports (A and B, RTP and RTCP). */
	unsigned int pairs = ((unsigned int)cfg->rtp_port_max - cfg->rtp_port_min + 1) / 4;
	if (pairs < cfg->n_workers)
		return fail(p, 0, "RTP range %u-%u has %u blocks of 4 ports for %u workers",
			cfg->rtp_port_min, cfg->rtp_port_max, pairs, cfg->n_workers);
	return 0;
}

int
hl_config_parse(struct hl_config *cfg, const char *path, const char *text, size_t len,
	char *err, size_t errlen)
{
	struct parser p = {.cfg = cfg};
	struct hl_ini_line l;
	int rc;

	hl_config_defaults(cfg);
	snprintf(cfg->path, sizeof(cfg->path), "%s", path);
	hl_ini_init(&p.ini, path, text, len, "[name] or [port NAME]", err, errlen);
	while ((rc = hl_ini_next(&p.ini, &l)) > 0) {
		if (l.section != NULL)
			rc = open_section(&p, l.section, l.arg);
		else
			rc = set_key(&p, l.key, l.val);
		if (rc < 0)
			return rc;
	}
	if (rc < 0)
		return rc;
	return validate(&p);
}

int
hl_config_load(struct hl_config *cfg, const char *path, char *err, size_t errlen)
{
	/* A config file is a few KiB; refuse anything absurd before reading it. */
	char *text;
	size_t n;
	int rc = hl_ini_read_file(path, 1 << 20, &text, &n, err, errlen);

	if (rc < 0)
		return rc;
	rc = hl_config_parse(cfg, path, text, n, err, errlen);
	free(text);
	return rc;
}

bool
hl_config_is_worker(const struct hl_config *cfg, unsigned int lcore)
{
	for (unsigned int i = 0; i < cfg->n_workers; i++)
		if (cfg->worker_lcores[i] == lcore)
			return true;
	return false;
}
