/*
 * hotline configuration file: what the engine runs on and how.
 *
 * The file is INI-shaped: `[section]` or `[section name]` headers, `key = value`
 * lines, `#` comments to the end of a line, blank lines ignored. Sections:
 * [engine] (idle back-off), [lcores] (control and worker lcores), one [port NAME]
 * per DPDK port (PMD devargs or PCI address, addresses, gateway, VLAN, MTU),
 * [sip] (port, tenants file, store, RFC 3261 and RFC 4028 timers, call and flood
 * limits), [rtp] and [limits]. examples/hotline.conf documents every key.
 *
 * hl_config_load() parses and validates the whole file before anything touches
 * EAL or a port; an error names the file, the line and what is wrong, in the
 * shape compilers use ("file:line: message") so editors jump to it. Parsing is
 * pure C with no DPDK header, so it is unit-tested and fuzzed on its own.
 */
#ifndef HOTLINE_CONFIG_H
#define HOTLINE_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HL_CONFIG_MAX_PORTS 4
#define HL_CONFIG_MAX_LCORES 128
#define HL_CONFIG_NAME_MAX 32
#define HL_CONFIG_DEVARGS_MAX 256
#define HL_CONFIG_ERR_MAX 512

struct hl_config_port {
	char name[HL_CONFIG_NAME_MAX];
	char device[HL_CONFIG_DEVARGS_MAX]; /* devargs ("net_af_packet0,iface=x") or PCI */
	bool has_ip4;
	uint8_t ip4[4];
	uint8_t ip4_prefix;
	bool has_gw4;
	uint8_t gw4[4];
	bool has_ip6;
	uint8_t ip6[16];
	uint8_t ip6_prefix;
	bool has_gw6;
	uint8_t gw6[16];
	uint16_t vlan; /* 0: untagged */
	uint16_t mtu;
	uint16_t rx_desc;
	uint16_t tx_desc;
	bool flow_rules; /* steer the RTP slices to their queues by rte_flow where the PMD can */
	unsigned int line; /* where the section starts, for later error messages */
};

#define HL_CONFIG_DIGEST_MD5 1
#define HL_CONFIG_DIGEST_SHA256 2

#define HL_CONFIG_SRTP_SUITES_MAX 5 /* every suite hotline/srtp.h runs */

struct hl_config {
	char path[256];

	/* [engine] */
	bool busy_poll;              /* never sleep when idle (dedicated cores) */
	uint32_t idle_sleep_min_us;  /* first back-off sleep */
	uint32_t idle_sleep_max_us;  /* back-off ceiling */
	uint32_t tx_drain_us;        /* TX buffers flushed at least this often */

	/* [lcores] */
	unsigned int control_lcore;
	unsigned int n_workers;
	uint16_t worker_lcores[HL_CONFIG_MAX_LCORES];

	/* [port NAME] */
	unsigned int n_ports;
	struct hl_config_port ports[HL_CONFIG_MAX_PORTS];

	/* [sip] */
	uint16_t sip_port;
	char sip_tenants[256];          /* tenants file (hotline/tenant.h); "": no tenants */
	char sip_store[256];            /* LMDB directory (hotline/store.h) */
	uint32_t sip_store_map_mb;      /* LMDB map size */
	uint32_t sip_t1_ms;             /* RFC 3261 §17.1.1.1: RTT estimate */
	uint32_t sip_t2_ms;             /* longest retransmit interval; >= t1 */
	uint32_t sip_t4_ms;             /* longest time a message lives in the network */
	uint32_t sip_session_expires_s; /* RFC 4028 session interval; 0: no session timer */
	uint32_t sip_min_se_s;          /* RFC 4028 §5 Min-SE, >= 90 */
	uint32_t sip_nonce_ttl_s;       /* digest nonce lifetime (RFC 7616 §3.3) */
	uint32_t sip_max_calls;         /* concurrent calls, all tenants; 0: unlimited */
	uint32_t sip_max_cps;           /* new calls per second, all tenants; 0: unlimited */
	uint32_t sip_no_answer_s;       /* ring time per agent before the next one */
	uint32_t sip_max_transactions;  /* transaction table size */
	uint32_t sip_max_dialogs;       /* dialog table size */
	uint32_t sip_flood_pps;         /* per-source datagrams/s on the workers; 0: off */
	uint32_t sip_flood_burst;       /* token bucket depth of that limit */
	uint32_t sip_qualify_s;         /* OPTIONS to each binding this often; 0: never */
	uint32_t sip_cdr_keep_days;     /* call records older than this are pruned; 0: kept */
	uint32_t sip_cdr_max;           /* at most this many call records; 0: no limit */
	uint32_t sip_cdr_refused_per_s; /* records of refused INVITEs per second; 0: none */
	uint8_t sip_digest[2];          /* challenge order, HL_CONFIG_DIGEST_*, 0: none */

	/* [rtp] */
	uint16_t rtp_port_min; /* even */
	uint16_t rtp_port_max; /* odd: RTP on even ports, RTCP on the next odd one */
	uint32_t rtp_timeout_s;      /* no RTP on a leg this long ends the call; 0: never */
	uint32_t rtp_hold_timeout_s; /* the same while the leg is on hold; 0: never */
	uint32_t rtp_max_legs;       /* legs per worker; 0: one per RTP port pair per port */
	uint8_t rtp_srtp;            /* customer side, HL_CONFIG_SRTP_* */
	uint8_t rtp_agent_srtp;      /* 1: offer SDES SRTP to agents */
	/* srtp_suites: enum hl_srtp_suite, preferred first: what offers list and the only
	 * suites answers accept. 0 given: offers list all but AES_CM_128_HMAC_SHA1_32,
	 * strongest first, and answers accept any of the five. */
	uint8_t rtp_srtp_suites[HL_CONFIG_SRTP_SUITES_MAX];
	uint8_t rtp_n_srtp_suites;
	uint8_t rtp_dtmf_inband;        /* HL_CONFIG_INBAND_*: in-band DTMF detection */
	uint32_t rtp_dtmf_inband_slots; /* detectors per worker; 0: half its max_legs
					   (all of them with INBAND_ALWAYS) */
	uint32_t rtp_dtmf_inband_opus_slots; /* Opus decoders for in-band detectors per
						worker (about 18 KiB each); 0: a
						quarter of the detectors; never
						more than the detectors */

	/* [limits] */
	uint32_t mbufs;            /* 0: sized from ports, queues and workers */
	uint32_t frag_max_flows;   /* datagrams under reassembly per worker */
	uint32_t frag_timeout_ms;
	uint32_t neigh_entries;    /* ARP/NDP cache size (power of two) */
	uint32_t sip_ring_size;    /* worker -> control ring (power of two) */
};

enum {
	HL_CONFIG_SRTP_OFF = 0,   /* RTP/AVP only: an RTP/SAVP offer is refused */
	HL_CONFIG_SRTP_OPTIONAL,  /* follow the offer */
	HL_CONFIG_SRTP_MANDATORY, /* RTP/SAVP only */
};

enum {
	HL_CONFIG_INBAND_OFF = 0, /* RFC 4733 only; no tone is muted, suppress or not */
	HL_CONFIG_INBAND_AUTO,    /* G.711 legs that negotiated no telephone-event, and
				     the customers' G.711 legs of dtmf_to_agent =
				     suppress tenants (to mute their tones) */
	HL_CONFIG_INBAND_ALWAYS,  /* every G.711 leg, telephone-event or not; muting
				     as with AUTO (suppress tenants' customers only) */
};

/* Fills cfg with the defaults every key falls back to. */
void hl_config_defaults(struct hl_config *cfg);

/*
 * Parses and validates text (len bytes, need not be NUL-terminated) as if read
 * from a file named path. On error returns a negative code and writes
 * "path:line: message" into err (errlen bytes, always NUL-terminated). cfg is
 * filled with defaults first; on error its contents are unspecified.
 */
int hl_config_parse(struct hl_config *cfg, const char *path, const char *text, size_t len,
	char *err, size_t errlen);

/* Reads the file at path and parses it; errors as hl_config_parse(). */
int hl_config_load(struct hl_config *cfg, const char *path, char *err, size_t errlen);

/* Is lcore a worker of cfg? */
bool hl_config_is_worker(const struct hl_config *cfg, unsigned int lcore);

#endif
