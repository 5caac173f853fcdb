/* Unit tests for the configuration parser (control/config.c). */
#include <stdio.h>

#include "hl_test.h"
#include "hotline/common.h"
#include "hotline/config.h"
#include "hotline/srtp.h"

static const char good[] =
	"# comment\n"
	"[engine]\n"
	"busy_poll = on\n"
	"idle_sleep_max_us = 250   # trailing comment\n"
	"idle_sleep_min_us = 4\n"
	"[lcores]\n"
	"control = 0\n"
	"workers = 1,3-4\n"
	"[port trunk]\n"
	"device = net_af_packet0,iface=veth0\n"
	"ipv4 = 10.1.2.3/24\n"
	"gateway4 = 10.1.2.254\n"
	"ipv6 = fd00::1/64\n"
	"gateway6 = fd00::fe\n"
	"vlan = 100\r\n"
	"[port agents]\n"
	"device=0000:03:00.0\n"
	"ipv4=192.168.7.1/16\n"
	"flow_rules = off\n"
	"[sip]\n"
	"port = 5080\n"
	"[rtp]\n"
	"ports = 30000-30099\n"
	"[limits]\n"
	"neigh_entries = 2048\n";

HL_TEST(parses_a_full_file)
{
	struct hl_config c;
	char err[HL_CONFIG_ERR_MAX];
	int rc = hl_config_parse(&c, "good.conf", good, sizeof(good) - 1, err, sizeof(err));

	HL_CHECK_MSG(rc == 0, "rc %d: %s", rc, err);
	HL_CHECK(c.busy_poll);
	HL_CHECK_INT(c.idle_sleep_max_us, 250);
	HL_CHECK_INT(c.idle_sleep_min_us, 4);
	HL_CHECK_INT(c.tx_drain_us, 100);
	HL_CHECK_INT(c.control_lcore, 0);
	HL_CHECK_INT(c.n_workers, 3);
	HL_CHECK_INT(c.worker_lcores[0], 1);
	HL_CHECK_INT(c.worker_lcores[1], 3);
	HL_CHECK_INT(c.worker_lcores[2], 4);
	HL_CHECK(hl_config_is_worker(&c, 3));
	HL_CHECK(!hl_config_is_worker(&c, 2));
	HL_CHECK_INT(c.n_ports, 2);
	HL_CHECK_STR(c.ports[0].name, "trunk");
	HL_CHECK_STR(c.ports[0].device, "net_af_packet0,iface=veth0");
	HL_CHECK(c.ports[0].flow_rules);
	HL_CHECK(!c.ports[1].flow_rules);
	HL_CHECK_MEM(c.ports[0].ip4, "\x0a\x01\x02\x03", 4);
	HL_CHECK_INT(c.ports[0].ip4_prefix, 24);
	HL_CHECK(c.ports[0].has_gw4);
	HL_CHECK_MEM(c.ports[0].gw4, "\x0a\x01\x02\xfe", 4);
	HL_CHECK(c.ports[0].has_ip6);
	HL_CHECK_INT(c.ports[0].ip6[0], 0xfd);
	HL_CHECK_INT(c.ports[0].ip6[15], 1);
	HL_CHECK_INT(c.ports[0].ip6_prefix, 64);
	HL_CHECK_INT(c.ports[0].vlan, 100);
	HL_CHECK_INT(c.ports[0].mtu, 1500);
	HL_CHECK_STR(c.ports[1].device, "0000:03:00.0");
	HL_CHECK_INT(c.ports[1].ip4_prefix, 16);
	HL_CHECK(!c.ports[1].has_ip6);
	HL_CHECK_INT(c.sip_port, 5080);
	HL_CHECK_INT(c.rtp_port_min, 30000);
	HL_CHECK_INT(c.rtp_port_max, 30099);
	HL_CHECK_INT(c.neigh_entries, 2048);
	HL_CHECK_INT(c.frag_timeout_ms, 2000);
}

static const char minimal_head[] = "[lcores]\ncontrol = 0\nworkers = 0\n"
				   "[port p]\ndevice = net_null0\nipv4 = 10.0.0.1/8\n";

#define A40 "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"

/* Each bad file and the exact message it must produce, line number included. */
static const struct {
	const char *text;
	const char *want;
} bad[] = {
	{"[lcores]\ncontrol = 0\nworkers = 0\n", "t.conf: no [port NAME] section: at least one "
						 "port is needed"},
	{"[lcores]\ncontrol = 0\nworkers = 0\n[port p]\nipv4 = 10.0.0.1/8\n",
		"t.conf:4: [port p] has no 'device' (PMD devargs or PCI address)"},
	{"[lcores]\ncontrol = 0\nworkers = 0\n[port p]\ndevice = x\n",
		"t.conf:4: [port p] has neither 'ipv4' nor 'ipv6'"},
	{"[port p]\ndevice = x\nipv4 = 10.0.0.300/8\n",
		"t.conf:3: ipv4: '10.0.0.300' is not an IPv4 address"},
	{"[port p]\ndevice = x\nipv4 = 10.0.0.3\n",
		"t.conf:3: ipv4: '10.0.0.3' needs a prefix length (address/len)"},
	{"[port p]\ndevice = x\nipv4 = 10.0.0.3/33\n",
		"t.conf:3: ipv4: 33 is out of range 1..32"},
	{"[port p]\ndevice = x\nipv6 = fd00::1::2/64\n",
		"t.conf:3: ipv6: 'fd00::1::2' is not an IPv6 address"},
	{"[port p]\ndevice = x\nvlan = 4095\n", "t.conf:3: vlan: 4095 is out of range 1..4094"},
	{"[port p]\ndevice = x\nvlan = 1x\n", "t.conf:3: vlan: '1x' is not a number"},
	{"[port p]\ndevice = x\nfoo = 1\n", "t.conf:3: unknown key 'foo' in [port] (device, "
					    "ipv4, gateway4, ipv6, gateway6, vlan, mtu, "
					    "rx_desc, tx_desc, flow_rules)"},
	{"\n\n[ports p]\n", "t.conf:3: unknown section [ports] (engine, lcores, port NAME, sip, "
			    "rtp, limits)"},
	{"[port]\n", "t.conf:1: [port] needs a name: [port NAME]"},
	{"[sip\n", "t.conf:1: section header must be [name] or [port NAME]"},
	{"[sip]\n[sip]\n", "t.conf:2: [sip] is given twice"},
	{"[sip]\nport = 5060\nport = 5061\n", "t.conf:3: 'port' is given twice in this section"},
	{"port = 5060\n", "t.conf:1: 'port' comes before any [section]"},
	{"[sip]\njust words\n", "t.conf:2: expected 'key = value' or '[section]', got 'just "
				"words'"},
	{"[sip]\nport =\n", "t.conf:2: port: missing value"},
	{"[rtp]\nports = 20001-29999\n", "t.conf:2: ports: the range must start on an even port "
					 "(20001)"},
	{"[rtp]\nsrtp_suites = AES_192_CM_HMAC_SHA1_80\n",
		"t.conf:2: srtp_suites: 'AES_192_CM_HMAC_SHA1_80' is not a suite hotline runs "
		"(AES_CM_128_HMAC_SHA1_80, AES_CM_128_HMAC_SHA1_32, AES_256_CM_HMAC_SHA1_80, "
		"AEAD_AES_128_GCM, AEAD_AES_256_GCM)"},
	{"[rtp]\nsrtp_suites = AEAD_AES_128_GCM, aead_aes_128_gcm\n",
		"t.conf:2: srtp_suites: 'aead_aes_128_gcm' is not a suite hotline runs "
		"(AES_CM_128_HMAC_SHA1_80, AES_CM_128_HMAC_SHA1_32, AES_256_CM_HMAC_SHA1_80, "
		"AEAD_AES_128_GCM, AEAD_AES_256_GCM)"},
	{"[rtp]\nsrtp_suites = AEAD_AES_128_GCM AES_CM_128_HMAC_SHA1_80,AEAD_AES_128_GCM\n",
		"t.conf:2: srtp_suites: 'AEAD_AES_128_GCM' is listed twice"},
	{"[rtp]\nsrtp_suites = , ,\n", "t.conf:2: srtp_suites: no suite given"},
	{"[rtp]\nsrtp_suites = AEAD_AES_128_GCM\nsrtp_suites = AEAD_AES_256_GCM\n",
		"t.conf:3: 'srtp_suites' is given twice in this section"},
	{"[rtp]\ndtmf_inband = on\n", "t.conf:2: dtmf_inband: 'on' is not auto, always or off"},
	{"[rtp]\nports = 20000-20999\ndtmf_inband = Always\n",
		"t.conf:3: dtmf_inband: 'Always' is not auto, always or off"},
	{"[rtp]\ndtmf_inband = off\ndtmf_inband = auto\n",
		"t.conf:3: 'dtmf_inband' is given twice in this section"},
	{"[rtp]\ndtmf_inband_slots = 4194305\n",
		"t.conf:2: dtmf_inband_slots: 4194305 is out of range 0..4194304"},
	{"[rtp]\ndtmf_inband_slot = 8\n", "t.conf:2: unknown key 'dtmf_inband_slot' in [rtp] (ports, "
		"timeout_s, hold_timeout_s, max_legs, srtp, agent_srtp, srtp_suites, dtmf_inband, "
		"dtmf_inband_slots, dtmf_inband_opus_slots)"},
	{"[rtp]\nports = 20000-29998\n", "t.conf:2: ports: the range must end on an odd port "
					 "(29998)"},
	{"[lcores]\nworkers = 1,1\n", "t.conf:2: workers: lcore 1 is listed twice"},
	{"[lcores]\nworkers = 3-1\n", "t.conf:2: workers: lcore range 3-1 is invalid (0..127)"},
	{"[lcores]\nworkers = a\n", "t.conf:2: workers: 'a' is not an lcore list (e.g. 1,2-3)"},
	{"[limits]\nneigh_entries = 1000\n", "t.conf:2: neigh_entries: 1000 is not a power of "
					     "two"},
	{"[engine]\nbusy_poll = maybe\n", "t.conf:2: busy_poll: 'maybe' is not on/off"},
	{"[port p]\ndevice = x\nflow_rules = auto\n",
		"t.conf:3: flow_rules: 'auto' is not on/off"},
	{"[port p]\ndevice = x\nflow_rules = on\nflow_rules = off\n",
		"t.conf:4: 'flow_rules' is given twice in this section"},
	{"[engine]\nidle_sleep_min_us = 0\n", "t.conf:2: idle_sleep_min_us: 0 is out of range 1..100000"},
	{"[sip]\nport = 1\x01\n", "t.conf:2: control character 0x01 in line"},
	{"[port p]\ndevice = x\nipv4 = 10.0.0.1/24\ngateway4 = 10.0.1.1\n[lcores]\ncontrol=0\n"
	 "workers=0\n",
		"t.conf:1: [port p] gateway4 is not inside 10.0.0.1/24"},
	{"[port p]\ndevice = x\nipv6 = fd00::1/64\nmtu = 1000\n[lcores]\ncontrol=0\nworkers=0\n",
		"t.conf:1: [port p] mtu 1000 is below IPv6's minimum of 1280"},
	{"[port p]\ndevice = x\nipv4 = 10.0.0.1/24\n[lcores]\ncontrol=0\nworkers=0\n[sip]\n"
	 "port=20000\n",
		"t.conf: SIP port 20000 lies inside the RTP range 20000-29999"},
	{"[port p]\ndevice = x\nipv4 = 10.0.0.1/24\n[lcores]\ncontrol=0\n",
		"t.conf: [lcores] has no 'workers' list"},
	{"[port p]\ndevice = x\nipv4 = 10.0.0.1/24\n[lcores]\ncontrol=0\nworkers=0-3\n[rtp]\n"
	 "ports=20000-20005\n",
		"t.conf: RTP range 20000-20005 has 1 blocks of 4 ports for 4 workers"},
	{"[port a]\ndevice = x\nipv4 = 10.0.0.1/24\n[port b]\ndevice = x\nipv4 = 10.0.0.2/24\n"
	 "[lcores]\ncontrol=0\nworkers=0\n",
		"t.conf:4: [port b] uses the device of [port a]"},
	{"[port a]\n[port a]\n", "t.conf:2: port 'a' is declared twice"},
	/* [sip]: one bad value per key */
	{"[sip]\nfoo = 1\n", "t.conf:2: unknown key 'foo' in [sip] (port, tenants, store, "
			     "digest, store_map_mb, t1_ms, t2_ms, t4_ms, session_expires_s, "
			     "min_se_s, nonce_ttl_s, max_calls, max_cps, no_answer_s, "
			     "max_transactions, max_dialogs, flood_pps, flood_burst, "
			     "qualify_s, cdr_keep_days, cdr_max, cdr_refused_per_s)"},
	{"[sip]\ntenants = a\ntenants = b\n", "t.conf:3: 'tenants' is given twice in this "
					      "section"},
	{"[sip]\nstore = /var/lib/hotline/" A40 A40 A40 A40 A40 A40 "\n",
		"t.conf:2: store: longer than 255 characters"},
	{"[sip]\ntenants = /etc/hotline/tenants.conf\nstore_map_mb = 0\n",
		"t.conf:3: store_map_mb: 0 is out of range 1..65536"},
	{"[sip]\ndigest = sha1\n", "t.conf:2: digest: 'sha1' is not md5 or sha256"},
	{"[sip]\ndigest = md5, md5\n", "t.conf:2: digest: 'md5' is listed twice"},
	{"[sip]\ndigest = ,\n", "t.conf:2: digest: name md5, sha256 or both, in order"},
	{"[sip]\nqualify_s = 3601\n", "t.conf:2: qualify_s: 3601 is out of range 0..3600"},
	{"[sip]\nstore = /x\ncdr_keep_days = 36501\n",
		"t.conf:3: cdr_keep_days: 36501 is out of range 0..36500"},
	{"[sip]\ncdr_keep_days = 90d\n", "t.conf:2: cdr_keep_days: '90d' is not a number"},
	{"[sip]\ncdr_max = 1000000001\n",
		"t.conf:2: cdr_max: 1000000001 is out of range 0..1000000000"},
	{"[sip]\ncdr_max = -5\n", "t.conf:2: cdr_max: '-5' is not a number"},
	{"[sip]\nport = 5060\ncdr_refused_per_s = 10001\n",
		"t.conf:3: cdr_refused_per_s: 10001 is out of range 0..10000"},
	{"[sip]\ncdr_refused_per_s = on\n",
		"t.conf:2: cdr_refused_per_s: 'on' is not a number"},
	{"[sip]\ncdr_refused_per_s = 5\ncdr_refused_per_s = 6\n",
		"t.conf:3: 'cdr_refused_per_s' is given twice in this section"},
	{"[sip]\ncdr_max = 10\ncdr_max = 20\n",
		"t.conf:3: 'cdr_max' is given twice in this section"},
	{"[sip]\nt1_ms = 9\n", "t.conf:2: t1_ms: 9 is out of range 10..10000"},
	{"[sip]\nt2_ms = 4s\n", "t.conf:2: t2_ms: '4s' is not a number"},
	{"[sip]\nt4_ms = 60001\n", "t.conf:2: t4_ms: 60001 is out of range 10..60000"},
	{"[sip]\nsession_expires_s = 86401\n", "t.conf:2: session_expires_s: 86401 is out of "
						"range 0..86400"},
	{"[sip]\nmin_se_s = 89\n", "t.conf:2: min_se_s: 89 is out of range 90..86400"},
	{"[sip]\nnonce_ttl_s = 5\n", "t.conf:2: nonce_ttl_s: 5 is out of range 10..86400"},
	{"[sip]\nmax_calls = -1\n", "t.conf:2: max_calls: '-1' is not a number"},
	{"[sip]\nmax_cps = 1000001\n", "t.conf:2: max_cps: 1000001 is out of range 0..1000000"},
	{"[sip]\nno_answer_s = 0\n", "t.conf:2: no_answer_s: 0 is out of range 1..300"},
	{"[sip]\nmax_transactions = 63\n", "t.conf:2: max_transactions: 63 is out of range "
					    "64..4194304"},
	{"[sip]\nmax_dialogs = 4194305\n", "t.conf:2: max_dialogs: 4194305 is out of range "
					    "64..4194304"},
	{"[sip]\nflood_pps = x\n", "t.conf:2: flood_pps: 'x' is not a number"},
	{"[sip]\nflood_burst = 0\n", "t.conf:2: flood_burst: 0 is out of range 1..1000000"},
	{"[sip]\nt1_ms = 100\nt1_ms = 200\n", "t.conf:3: 't1_ms' is given twice in this section"},
	/* [sip] cross-key rules, at the line of the key that breaks them */
	{"[port p]\ndevice = x\nipv4 = 10.0.0.1/24\n[lcores]\ncontrol=0\nworkers=0\n[sip]\n"
	 "t1_ms = 1000\nt2_ms = 999\n",
		"t.conf:9: t2_ms: 999 is below t1_ms (1000)"},
	{"[port p]\ndevice = x\nipv4 = 10.0.0.1/24\n[lcores]\ncontrol=0\nworkers=0\n[sip]\n"
	 "t1_ms = 5000\n",
		"t.conf:8: t1_ms: 5000 is above t2_ms (4000): raise t2_ms too"},
	{"[port p]\ndevice = x\nipv4 = 10.0.0.1/24\n[lcores]\ncontrol=0\nworkers=0\n[sip]\n"
	 "min_se_s = 600\nsession_expires_s = 300\n",
		"t.conf:9: session_expires_s: 300 is below min_se_s (600); 0 turns session timers "
		"off"},
	/* cdr_max records must fit the map (1 KiB each) */
	{"[port p]\ndevice = x\nipv4 = 10.0.0.1/24\n[lcores]\ncontrol=0\nworkers=0\n[sip]\n"
	 "store_map_mb = 256\n",
		"t.conf:8: store_map_mb: 256 MiB is too small for cdr_max (1000000 call records "
		"need 977): raise it or lower cdr_max"},
	{"[port p]\ndevice = x\nipv4 = 10.0.0.1/24\n[lcores]\ncontrol=0\nworkers=0\n[sip]\n"
	 "cdr_max = 2000000\n",
		"t.conf:8: cdr_max: 2000000 call records need store_map_mb >= 1954 (it is 1024)"},
	{"[port p]\ndevice = x\nipv4 = 10.0.0.1/24\n[lcores]\ncontrol=0\nworkers=0\n[sip]\n"
	 "min_se_s = 3600\n",
		"t.conf:8: min_se_s: 3600 is above session_expires_s (1800): raise "
		"session_expires_s too"},
};

HL_TEST(bad_files_name_file_line_and_problem)
{
	for (size_t i = 0; i < HL_ARRAY_SIZE(bad); i++) {
		struct hl_config c;
		char err[HL_CONFIG_ERR_MAX];
		int rc = hl_config_parse(&c, "t.conf", bad[i].text, strlen(bad[i].text), err,
			sizeof(err));
		HL_CHECK_MSG(rc == HL_E_CONFIG, "case %zu: rc %d", i, rc);
		HL_CHECK_MSG(strcmp(err, bad[i].want) == 0, "case %zu:\n  got  '%s'\n  want '%s'", i,
			err, bad[i].want);
	}
}

HL_TEST(minimal_file_gets_defaults)
{
	struct hl_config c;
	char err[HL_CONFIG_ERR_MAX];
	int rc = hl_config_parse(&c, "m.conf", minimal_head, strlen(minimal_head), err,
		sizeof(err));
	HL_CHECK_MSG(rc == 0, "%s", err);
	HL_CHECK(!c.busy_poll);
	HL_CHECK_INT(c.idle_sleep_min_us, 16);
	HL_CHECK_INT(c.idle_sleep_max_us, 500);
	HL_CHECK_INT(c.sip_port, 5060);
	HL_CHECK_INT(c.rtp_port_min, 20000);
	HL_CHECK_INT(c.rtp_port_max, 29999);
	HL_CHECK_INT(c.ports[0].rx_desc, 1024);
	HL_CHECK(c.ports[0].flow_rules);
	HL_CHECK_INT(c.ports[0].vlan, 0);
	HL_CHECK_STR(c.sip_tenants, "");
	HL_CHECK_STR(c.sip_store, "/var/lib/hotline");
	HL_CHECK_INT(c.sip_store_map_mb, 1024);
	HL_CHECK_INT(c.sip_t1_ms, 500);
	HL_CHECK_INT(c.sip_t2_ms, 4000);
	HL_CHECK_INT(c.sip_t4_ms, 5000);
	HL_CHECK_INT(c.sip_session_expires_s, 1800);
	HL_CHECK_INT(c.sip_min_se_s, 90);
	HL_CHECK_INT(c.sip_nonce_ttl_s, 300);
	HL_CHECK_INT(c.sip_max_calls, 0);
	HL_CHECK_INT(c.sip_max_cps, 0);
	HL_CHECK_INT(c.sip_no_answer_s, 15);
	HL_CHECK_INT(c.sip_max_transactions, 1048576);
	HL_CHECK_INT(c.sip_max_dialogs, 65536);
	HL_CHECK_INT(c.sip_flood_pps, 2000);
	HL_CHECK_INT(c.sip_flood_burst, 4000);
	HL_CHECK_INT(c.sip_qualify_s, 30);
	HL_CHECK_INT(c.sip_cdr_keep_days, 90);
	HL_CHECK_INT(c.sip_cdr_max, 1000000);
	HL_CHECK_INT(c.sip_cdr_refused_per_s, 200);
	HL_CHECK_INT(c.sip_digest[0], HL_CONFIG_DIGEST_SHA256);
	HL_CHECK_INT(c.sip_digest[1], HL_CONFIG_DIGEST_MD5);
}

/* [rtp] srtp_suites: RFC 4568 names in order, commas and/or blanks between; all five fit. */
HL_TEST(srtp_suites_key)
{
	static const char text[] = "[lcores]\ncontrol = 0\nworkers = 0\n"
				   "[port p]\ndevice = net_null0\nipv4 = 10.0.0.1/8\n"
				   "[rtp]\n"
				   "srtp_suites = AEAD_AES_128_GCM,AES_CM_128_HMAC_SHA1_32 "
				   "AES_256_CM_HMAC_SHA1_80 ,  AEAD_AES_256_GCM\tAES_CM_128_HMAC_SHA1_80\n";
	struct hl_config c;
	char err[HL_CONFIG_ERR_MAX];
	int rc = hl_config_parse(&c, "s.conf", text, sizeof(text) - 1, err, sizeof(err));

	HL_CHECK_MSG(rc == 0, "%s", err);
	HL_CHECK_INT(c.rtp_n_srtp_suites, 5);
	HL_CHECK_INT(c.rtp_srtp_suites[0], HL_SRTP_AEAD_AES_128_GCM);
	HL_CHECK_INT(c.rtp_srtp_suites[1], HL_SRTP_AES_CM_128_HMAC_SHA1_32);
	HL_CHECK_INT(c.rtp_srtp_suites[2], HL_SRTP_AES_256_CM_HMAC_SHA1_80);
	HL_CHECK_INT(c.rtp_srtp_suites[3], HL_SRTP_AEAD_AES_256_GCM);
	HL_CHECK_INT(c.rtp_srtp_suites[4], HL_SRTP_AES_CM_128_HMAC_SHA1_80);
	rc = hl_config_parse(&c, "m.conf", minimal_head, strlen(minimal_head), err, sizeof(err));
	HL_CHECK_MSG(rc == 0, "%s", err);
	HL_CHECK_INT(c.rtp_n_srtp_suites, 0);
}

/* [rtp] dtmf_inband: auto (the default), always or off; dtmf_inband_slots: 0 sizes the
 * pool from the worker's legs; dtmf_inband_opus_slots: 0 from the detectors. */
HL_TEST(dtmf_inband_keys)
{
	static const char text[] = "[lcores]\ncontrol = 0\nworkers = 0\n"
				   "[port p]\ndevice = net_null0\nipv4 = 10.0.0.1/8\n"
				   "[rtp]\n"
				   "dtmf_inband = off\n"
				   "dtmf_inband_slots = 300\n"
				   "dtmf_inband_opus_slots = 70\n";
	struct hl_config c;
	char err[HL_CONFIG_ERR_MAX];
	int rc = hl_config_parse(&c, "d.conf", minimal_head, strlen(minimal_head), err,
		sizeof(err));

	HL_CHECK_MSG(rc == 0, "%s", err);
	HL_CHECK_INT(c.rtp_dtmf_inband, HL_CONFIG_INBAND_AUTO);
	HL_CHECK_INT(c.rtp_dtmf_inband_slots, 0);
	HL_CHECK_INT(c.rtp_dtmf_inband_opus_slots, 0);
	rc = hl_config_parse(&c, "d.conf", text, sizeof(text) - 1, err, sizeof(err));
	HL_CHECK_MSG(rc == 0, "%s", err);
	HL_CHECK_INT(c.rtp_dtmf_inband, HL_CONFIG_INBAND_OFF);
	HL_CHECK_INT(c.rtp_dtmf_inband_slots, 300);
	HL_CHECK_INT(c.rtp_dtmf_inband_opus_slots, 70);

	static const char always[] = "[lcores]\ncontrol = 0\nworkers = 0\n"
				     "[port p]\ndevice = net_null0\nipv4 = 10.0.0.1/8\n"
				     "[rtp]\n"
				     "dtmf_inband = always\n";
	rc = hl_config_parse(&c, "d.conf", always, sizeof(always) - 1, err, sizeof(err));
	HL_CHECK_MSG(rc == 0, "%s", err);
	HL_CHECK_INT(c.rtp_dtmf_inband, HL_CONFIG_INBAND_ALWAYS);
	HL_CHECK_INT(c.rtp_dtmf_inband_slots, 0);
}

HL_TEST(sip_keys)
{
	static const char text[] = "[lcores]\ncontrol = 0\nworkers = 0\n"
				   "[port p]\ndevice = net_null0\nipv4 = 10.0.0.1/8\n"
				   "[sip]\n"
				   "port = 5070\n"
				   "tenants = /etc/hotline/tenants.conf\n"
				   "store = /srv/hotline store\n"
				   "store_map_mb = 1024\n"
				   "t1_ms = 250\n"
				   "t2_ms = 250\n"
				   "t4_ms = 2500\n"
				   "session_expires_s = 90\n"
				   "min_se_s = 90\n"
				   "nonce_ttl_s = 60\n"
				   "max_calls = 5000\n"
				   "max_cps = 100\n"
				   "no_answer_s = 20\n"
				   "max_transactions = 100000\n"
				   "max_dialogs = 30000\n"
				   "flood_pps = 0\n"
				   "flood_burst = 1\n"
				   "cdr_keep_days = 0\n"
				   "cdr_max = 5000\n"
				   "cdr_refused_per_s = 0\n"
				   "digest = md5\n";
	struct hl_config c;
	char err[HL_CONFIG_ERR_MAX];
	int rc = hl_config_parse(&c, "s.conf", text, strlen(text), err, sizeof(err));

	HL_CHECK_MSG(rc == 0, "%s", err);
	HL_CHECK_INT(c.sip_port, 5070);
	HL_CHECK_STR(c.sip_tenants, "/etc/hotline/tenants.conf");
	HL_CHECK_STR(c.sip_store, "/srv/hotline store");
	HL_CHECK_INT(c.sip_store_map_mb, 1024);
	HL_CHECK_INT(c.sip_t1_ms, 250);
	HL_CHECK_INT(c.sip_t2_ms, 250);
	HL_CHECK_INT(c.sip_t4_ms, 2500);
	HL_CHECK_INT(c.sip_session_expires_s, 90);
	HL_CHECK_INT(c.sip_min_se_s, 90);
	HL_CHECK_INT(c.sip_nonce_ttl_s, 60);
	HL_CHECK_INT(c.sip_max_calls, 5000);
	HL_CHECK_INT(c.sip_max_cps, 100);
	HL_CHECK_INT(c.sip_no_answer_s, 20);
	HL_CHECK_INT(c.sip_max_transactions, 100000);
	HL_CHECK_INT(c.sip_max_dialogs, 30000);
	HL_CHECK_INT(c.sip_flood_pps, 0);
	HL_CHECK_INT(c.sip_flood_burst, 1);
	HL_CHECK_INT(c.sip_cdr_keep_days, 0);
	HL_CHECK_INT(c.sip_cdr_max, 5000);
	HL_CHECK_INT(c.sip_cdr_refused_per_s, 0);
	HL_CHECK_INT(c.sip_digest[0], HL_CONFIG_DIGEST_MD5);
	HL_CHECK_INT(c.sip_digest[1], 0);

	/* A small map with few call records, or with no count limit, is fine. */
	static const char small[] = "[lcores]\ncontrol = 0\nworkers = 0\n"
				    "[port p]\ndevice = net_null0\nipv4 = 10.0.0.1/8\n"
				    "[sip]\nstore_map_mb = 16\ncdr_max = 16384\n";
	rc = hl_config_parse(&c, "s.conf", small, strlen(small), err, sizeof(err));
	HL_CHECK_MSG(rc == 0, "%s", err);
	static const char nolimit[] = "[lcores]\ncontrol = 0\nworkers = 0\n"
				      "[port p]\ndevice = net_null0\nipv4 = 10.0.0.1/8\n"
				      "[sip]\nstore_map_mb = 16\ncdr_max = 0\ncdr_keep_days = 7\n";
	rc = hl_config_parse(&c, "s.conf", nolimit, strlen(nolimit), err, sizeof(err));
	HL_CHECK_MSG(rc == 0, "%s", err);
	HL_CHECK_INT(c.sip_cdr_max, 0);
	HL_CHECK_INT(c.sip_cdr_keep_days, 7);

	/* Session timers off: no lower bound from min_se_s. */
	static const char off[] = "[lcores]\ncontrol = 0\nworkers = 0\n"
				  "[port p]\ndevice = net_null0\nipv4 = 10.0.0.1/8\n"
				  "[sip]\nsession_expires_s = 0\nmin_se_s = 600\n";
	rc = hl_config_parse(&c, "s.conf", off, strlen(off), err, sizeof(err));
	HL_CHECK_MSG(rc == 0, "%s", err);
	HL_CHECK_INT(c.sip_session_expires_s, 0);
	HL_CHECK_INT(c.sip_min_se_s, 600);
}

HL_TEST(overlong_line_is_refused)
{
	char text[2200];
	struct hl_config c;
	char err[HL_CONFIG_ERR_MAX];

	memset(text, 'a', sizeof(text));
	memcpy(text, "[sip]\n#", 7);
	int rc = hl_config_parse(&c, "l.conf", text, sizeof(text), err, sizeof(err));
	HL_CHECK_INT(rc, HL_E_CONFIG);
	HL_CHECK_STR(err, "l.conf:2: line is longer than 1024 characters");
}

HL_TEST(truncations_never_crash)
{
	/* Every prefix of a valid file, on a guard page: parse or fail, never over-read. */
	for (size_t n = 0; n <= sizeof(good) - 1; n++) {
		struct hl_test_guard_buf g = {0};
		const char *p = (const char *)hl_test_guard(&g, good, n);
		struct hl_config c;
		char err[HL_CONFIG_ERR_MAX];
		int rc = hl_config_parse(&c, "g.conf", p, n, err, sizeof(err));
		HL_CHECK(rc == 0 || rc == HL_E_CONFIG);
		hl_test_guard_free(&g);
	}
}

HL_TEST(load_reports_missing_file)
{
	struct hl_config c;
	char err[HL_CONFIG_ERR_MAX];
	int rc = hl_config_load(&c, "/nonexistent/hotline.conf", err, sizeof(err));
	HL_CHECK(rc < 0);
	HL_CHECK_STR(err, "/nonexistent/hotline.conf: cannot open: No such file or directory");
}

HL_TEST(example_config_is_valid)
{
	const char *src = getenv("HL_SRCDIR");
	char path[512];
	struct hl_config c;
	char err[HL_CONFIG_ERR_MAX];

	if (src == NULL)
		src = ".";
	snprintf(path, sizeof(path), "%s/examples/hotline.conf", src);
	int rc = hl_config_load(&c, path, err, sizeof(err));
	HL_CHECK_MSG(rc == 0, "%s", err);
	HL_CHECK_INT(c.n_ports, 1);
	HL_CHECK_INT(c.rtp_dtmf_inband, HL_CONFIG_INBAND_AUTO);
}

HL_TEST_MAIN()
