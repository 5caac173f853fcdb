/*
 * Configuration file parser and validator: see include/hotline/config.h and the
 * annotated examples/hotline.conf.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hotline/common.h"
#include "hotline/config.h"

#define LINE_MAX_LEN 1024

enum section {
	SEC_NONE,
	SEC_ENGINE,
	SEC_LCORES,
	SEC_PORT,
	SEC_SIP,
	SEC_RTP,
	SEC_LIMITS,
};

struct parser {
	struct hl_config *cfg;
	const char *path;
	unsigned int line;
	enum section sec;
	struct hl_config_port *port;
	/* keys seen in the current section, to refuse duplicates */
	uint64_t seen;
	/* sections seen, to refuse a second [sip] etc. */
	uint32_t sections_seen;
	bool have_control, have_workers;
	char *err;
	size_t errlen;
};

static int __attribute__((format(printf, 3, 4)))
fail(struct parser *p, unsigned int line, const char *fmt, ...)
{
	char msg[HL_CONFIG_ERR_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (p->err != NULL && p->errlen > 0) {
		if (line > 0)
			snprintf(p->err, p->errlen, "%s:%u: %s", p->path, line, msg);
		else
			snprintf(p->err, p->errlen, "%s: %s", p->path, msg);
	}
	return HL_E_CONFIG;
}

void
hl_config_defaults(struct hl_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->busy_poll = false;
	cfg->idle_sleep_max_us = 500;
	cfg->tx_drain_us = 100;
	cfg->control_lcore = 0;
	cfg->sip_port = 5060;
	cfg->rtp_port_min = 20000;
	cfg->rtp_port_max = 29999;
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

/* Unsigned decimal in [lo, hi], the whole string. */
static int
parse_uint(struct parser *p, const char *key, const char *v, uint64_t lo, uint64_t hi,
	uint64_t *out)
{
	char *end;
	unsigned long long x;

	if (*v < '0' || *v > '9')
		return fail(p, p->line, "%s: '%s' is not a number", key, v);
	errno = 0;
	x = strtoull(v, &end, 10);
	if (errno != 0 || *end != '\0')
		return fail(p, p->line, "%s: '%s' is not a number", key, v);
	if (x < lo || x > hi)
		return fail(p, p->line, "%s: %llu is out of range %llu..%llu", key, x,
			(unsigned long long)lo, (unsigned long long)hi);
	*out = x;
	return 0;
}

static int
parse_bool(struct parser *p, const char *key, const char *v, bool *out)
{
	static const char *const yes[] = {"on", "yes", "true", "1"};
	static const char *const no[] = {"off", "no", "false", "0"};

	for (size_t i = 0; i < HL_ARRAY_SIZE(yes); i++) {
		if (strcmp(v, yes[i]) == 0) {
			*out = true;
			return 0;
		}
		if (strcmp(v, no[i]) == 0) {
			*out = false;
			return 0;
		}
	}
	return fail(p, p->line, "%s: '%s' is not on/off", key, v);
}

/* "a.b.c.d" or "a.b.c.d/len" (with_prefix). */
static int
parse_ip(struct parser *p, const char *key, const char *v, int af, uint8_t *addr,
	uint8_t *prefix)
{
	char buf[64];
	const char *slash = strchr(v, '/');
	size_t alen = slash ? (size_t)(slash - v) : strlen(v);
	unsigned int maxp = af == AF_INET ? 32 : 128;

	if (alen == 0 || alen >= sizeof(buf))
		return fail(p, p->line, "%s: '%s' is not an IPv%d address", key, v,
			af == AF_INET ? 4 : 6);
	memcpy(buf, v, alen);
	buf[alen] = '\0';
	if (inet_pton(af, buf, addr) != 1)
		return fail(p, p->line, "%s: '%s' is not an IPv%d address", key, buf,
			af == AF_INET ? 4 : 6);
	if (prefix == NULL) {
		if (slash != NULL)
			return fail(p, p->line, "%s: a gateway takes no prefix length", key);
		return 0;
	}
	if (slash == NULL)
		return fail(p, p->line, "%s: '%s' needs a prefix length (address/len)", key, v);
	uint64_t len;
	int rc = parse_uint(p, key, slash + 1, 1, maxp, &len);
	if (rc < 0)
		return rc;
	*prefix = (uint8_t)len;
	return 0;
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
			return fail(p, p->line, "%s: '%s' is not an lcore list (e.g. 1,2-3)", key, v);
		a = strtoul(s, &end, 10);
		b = a;
		s = end;
		if (*s == '-') {
			s++;
			if (*s < '0' || *s > '9')
				return fail(p, p->line, "%s: '%s' is not an lcore list (e.g. 1,2-3)",
					key, v);
			b = strtoul(s, &end, 10);
			s = end;
		}
		if (a >= HL_CONFIG_MAX_LCORES || b >= HL_CONFIG_MAX_LCORES || a > b)
			return fail(p, p->line, "%s: lcore range %lu-%lu is invalid (0..%d)", key, a,
				b, HL_CONFIG_MAX_LCORES - 1);
		for (unsigned long l = a; l <= b; l++) {
			if (used[l])
				return fail(p, p->line, "%s: lcore %lu is listed twice", key, l);
			used[l] = true;
			cfg->worker_lcores[cfg->n_workers++] = (uint16_t)l;
		}
		if (*s == ',')
			s++;
		else if (*s != '\0')
			return fail(p, p->line, "%s: '%s' is not an lcore list (e.g. 1,2-3)", key, v);
	}
	if (cfg->n_workers == 0)
		return fail(p, p->line, "%s: at least one worker lcore is needed", key);
	return 0;
}

/* Marks key index k as seen in this section; a second occurrence is an error. */
static int
once(struct parser *p, unsigned int k, const char *key)
{
	if (p->seen & (1ull << k))
		return fail(p, p->line, "'%s' is given twice in this section", key);
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
	return fail(p, p->line, "unknown key '%s' in [engine] (busy_poll, idle_sleep_max_us, "
				"tx_drain_us)", key);
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
	return fail(p, p->line, "unknown key '%s' in [lcores] (control, workers)", key);
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
			return fail(p, p->line, "device: longer than %zu characters",
				sizeof(pt->device) - 1);
		if (strchr(v, ' ') != NULL)
			return fail(p, p->line, "device: '%s' contains a space", v);
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
	return fail(p, p->line, "unknown key '%s' in [port] (device, ipv4, gateway4, ipv6, "
				"gateway6, vlan, mtu, rx_desc, tx_desc)", key);
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
	return fail(p, p->line, "unknown key '%s' in [sip] (port)", key);
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
			return fail(p, p->line, "ports: '%s' is not a range (e.g. 20000-29999)", v);
		memcpy(buf, v, (size_t)(dash - v));
		buf[dash - v] = '\0';
		if ((rc = parse_uint(p, key, buf, 1024, 65535, &lo)) < 0 ||
			(rc = parse_uint(p, key, dash + 1, 1024, 65535, &hi)) < 0)
			return rc;
		/* RFC 3550 §11: RTP on an even port, RTCP on the odd one above it. */
		if (lo % 2 != 0)
			return fail(p, p->line, "ports: the range must start on an even port (%llu)",
				(unsigned long long)lo);
		if (hi % 2 != 1)
			return fail(p, p->line, "ports: the range must end on an odd port (%llu)",
				(unsigned long long)hi);
		if (hi <= lo)
			return fail(p, p->line, "ports: %llu-%llu is empty", (unsigned long long)lo,
				(unsigned long long)hi);
		p->cfg->rtp_port_min = (uint16_t)lo;
		p->cfg->rtp_port_max = (uint16_t)hi;
		return 0;
	}
	return fail(p, p->line, "unknown key '%s' in [rtp] (ports)", key);
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
			return fail(p, p->line, "%s: %llu is not a power of two", key,
				(unsigned long long)x);
		if (neigh)
			p->cfg->neigh_entries = (uint32_t)x;
		else
			p->cfg->sip_ring_size = (uint32_t)x;
		return 0;
	}
	return fail(p, p->line, "unknown key '%s' in [limits] (mbufs, frag_max_flows, "
				"frag_timeout_ms, neigh_entries, sip_ring_size)", key);
}

static char *
trim(char *s)
{
	char *e;

	while (*s == ' ' || *s == '\t')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'))
		*--e = '\0';
	return s;
}

static int
open_section(struct parser *p, char *s)
{
	static const struct {
		const char *name;
		enum section sec;
	} names[] = {
		{"engine", SEC_ENGINE}, {"lcores", SEC_LCORES}, {"port", SEC_PORT},
		{"sip", SEC_SIP}, {"rtp", SEC_RTP}, {"limits", SEC_LIMITS},
	};
	char *end = strchr(s, ']');
	char *name, *arg;

	if (end == NULL || trim(end + 1)[0] != '\0')
		return fail(p, p->line, "section header must be [name] or [port NAME]");
	*end = '\0';
	name = trim(s + 1);
	arg = name + strcspn(name, " \t");
	if (*arg != '\0') {
		*arg++ = '\0';
		arg = trim(arg);
	}
	p->seen = 0;
	p->port = NULL;
	for (size_t i = 0; i < HL_ARRAY_SIZE(names); i++) {
		if (strcmp(name, names[i].name) != 0)
			continue;
		p->sec = names[i].sec;
		if (p->sec != SEC_PORT) {
			if (*arg != '\0')
				return fail(p, p->line, "[%s] takes no name", name);
			if (p->sections_seen & (1u << p->sec))
				return fail(p, p->line, "[%s] is given twice", name);
			p->sections_seen |= 1u << p->sec;
			return 0;
		}
		if (*arg == '\0')
			return fail(p, p->line, "[port] needs a name: [port NAME]");
		if (strlen(arg) >= HL_CONFIG_NAME_MAX)
			return fail(p, p->line, "port name '%s' is longer than %d characters", arg,
				HL_CONFIG_NAME_MAX - 1);
		for (unsigned int i2 = 0; i2 < p->cfg->n_ports; i2++)
			if (strcmp(p->cfg->ports[i2].name, arg) == 0)
				return fail(p, p->line, "port '%s' is declared twice", arg);
		if (p->cfg->n_ports == HL_CONFIG_MAX_PORTS)
			return fail(p, p->line, "more than %d ports", HL_CONFIG_MAX_PORTS);
		p->port = &p->cfg->ports[p->cfg->n_ports++];
		memset(p->port, 0, sizeof(*p->port));
		strcpy(p->port->name, arg);
		p->port->mtu = 1500;
		p->port->rx_desc = 1024;
		p->port->tx_desc = 1024;
		p->port->line = p->line;
		return 0;
	}
	return fail(p, p->line, "unknown section [%s] (engine, lcores, port NAME, sip, rtp, "
				"limits)", name);
}

static int
line(struct parser *p, char *s)
{
	char *hash = strchr(s, '#');
	char *eq, *key, *val;

	if (hash != NULL)
		*hash = '\0';
	s = trim(s);
	if (*s == '\0')
		return 0;
	if (*s == '[')
		return open_section(p, s);
	eq = strchr(s, '=');
	if (eq == NULL)
		return fail(p, p->line, "expected 'key = value' or '[section]', got '%s'", s);
	*eq = '\0';
	key = trim(s);
	val = trim(eq + 1);
	if (*key == '\0')
		return fail(p, p->line, "missing key before '='");
	if (*val == '\0')
		return fail(p, p->line, "%s: missing value", key);
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
	return fail(p, p->line, "'%s' comes before any [section]", key);
}

static bool
same_prefix(const uint8_t *a, const uint8_t *b, unsigned int bits)
{
	unsigned int bytes = bits / 8, rem = bits % 8;

	if (memcmp(a, b, bytes) != 0)
		return false;
	if (rem == 0)
		return true;
	uint8_t mask = (uint8_t)(0xff << (8 - rem));
	return (a[bytes] & mask) == (b[bytes] & mask);
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
		if (pt->has_gw4 && !same_prefix(pt->ip4, pt->gw4, pt->ip4_prefix))
			return fail(p, pt->line, "[port %s] gateway4 is not inside %u.%u.%u.%u/%u",
				pt->name, pt->ip4[0], pt->ip4[1], pt->ip4[2], pt->ip4[3],
				pt->ip4_prefix);
		if (pt->has_gw6 && !same_prefix(pt->ip6, pt->gw6, pt->ip6_prefix))
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
	if (cfg->sip_port >= cfg->rtp_port_min && cfg->sip_port <= cfg->rtp_port_max)
		return fail(p, 0, "SIP port %u lies inside the RTP range %u-%u", cfg->sip_port,
			cfg->rtp_port_min, cfg->rtp_port_max);
	/* Each worker owns a slice of the range with at least one RTP/RTCP pair. */
	unsigned int pairs = ((unsigned int)cfg->rtp_port_max - cfg->rtp_port_min + 1) / 2;
	if (pairs < cfg->n_workers)
		return fail(p, 0, "RTP range %u-%u has %u port pairs for %u workers",
			cfg->rtp_port_min, cfg->rtp_port_max, pairs, cfg->n_workers);
	return 0;
}

int
hl_config_parse(struct hl_config *cfg, const char *path, const char *text, size_t len,
	char *err, size_t errlen)
{
	struct parser p = {
		.cfg = cfg,
		.path = path,
		.err = err,
		.errlen = errlen,
	};
	char buf[LINE_MAX_LEN + 1];
	size_t pos = 0;

	hl_config_defaults(cfg);
	snprintf(cfg->path, sizeof(cfg->path), "%s", path);
	if (err != NULL && errlen > 0)
		err[0] = '\0';
	while (pos < len) {
		size_t n = 0;

		p.line++;
		while (pos < len && text[pos] != '\n') {
			unsigned char c = (unsigned char)text[pos];

			if (n == LINE_MAX_LEN)
				return fail(&p, p.line, "line is longer than %d characters",
					LINE_MAX_LEN);
			if ((c < 0x20 && c != '\t' && c != '\r') || c == 0x7f)
				return fail(&p, p.line, "control character 0x%02x in line", c);
			buf[n++] = (char)c;
			pos++;
		}
		pos++; /* the newline */
		buf[n] = '\0';
		int rc = line(&p, buf);
		if (rc < 0)
			return rc;
	}
	return validate(&p);
}

int
hl_config_load(struct hl_config *cfg, const char *path, char *err, size_t errlen)
{
	/* A config file is a few KiB; refuse anything absurd before reading it. */
	enum { MAX_FILE = 1 << 20 };
	FILE *f = fopen(path, "rb");
	char *text = NULL;
	size_t n;
	int rc;

	if (f == NULL) {
		rc = -errno;
		snprintf(err, errlen, "%s: cannot open: %s", path, strerror(errno));
		return rc;
	}
	text = malloc(MAX_FILE + 1);
	if (text == NULL) {
		rc = -ENOMEM;
		snprintf(err, errlen, "%s: out of memory", path);
		goto fail;
	}
	n = fread(text, 1, MAX_FILE + 1, f);
	if (ferror(f)) {
		rc = -EIO;
		snprintf(err, errlen, "%s: read error", path);
		goto fail;
	}
	if (n > MAX_FILE) {
		rc = HL_E_TOOBIG;
		snprintf(err, errlen, "%s: larger than %d bytes", path, MAX_FILE);
		goto fail;
	}
	rc = hl_config_parse(cfg, path, text, n, err, errlen);
fail:
	free(text);
	fclose(f);
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
