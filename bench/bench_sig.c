/*
 * bench_sig: CPU per call of the signalling state machines alone (transactions,
 * dialogs, B2BUA, routing), and whether it stays flat while hundreds of thousands
 * of transactions are live. No DPDK and no sockets: hl_sig runs on a captured
 * transport and simulated time advancing at OFFERED calls per second, so the
 * transaction table fills as it would on the wire (Timer J/L/M/K of every call
 * still pending). Each call is the CPS bench's scenario: customer INVITE with SDP,
 * 100, agent INVITE, agent 200 with SDP, ACK to the agent, 200 to the customer,
 * customer ACK, customer BYE, 200, BYE to the agent, agent 200. Only the time inside
 * hl_sig_input()/hl_sig_poll() is counted; building the peers' messages is not.
 *
 *   bench_sig [CALLS] [OFFERED_CPS]      (default 400000 calls at 8000 calls/s)
 *
 * Prints one row per tenth of the run: live transactions, dialogs, and µs per call
 * in that tenth, then the target of the signalling issue (50 µs per call for the
 * whole B2BUA, I/O included) as a ratio. Figures: bench/README.md.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "hotline/config.h"
#include "hotline/digest.h"
#include "hotline/sig.h"
#include "hotline/sip.h"
#include "hotline/tenant.h"

#define AGENTS 1000

static char last[8][4096];
static size_t last_len[8];
static unsigned int nlast;
static struct hl_sig *sig;
static uint64_t now_ms = 1000;
static double busy_ns;

static int
cap_send(void *ctx, const struct hl_sig_addr *dst, const void *buf, size_t len)
{
	(void)ctx;
	(void)dst;
	if (nlast < 8 && len < sizeof(last[0])) {
		memcpy(last[nlast], buf, len);
		last[nlast][len] = '\0';
		last_len[nlast++] = len;
	}
	return 0;
}

static int
cap_route(void *ctx, struct hl_sig_addr *dst, uint8_t local[16])
{
	(void)ctx;
	dst->port_index = 0;
	memset(local, 0, 16);
	local[0] = 10;
	local[1] = dst->ip[1];
	local[3] = 1;
	return 0;
}

static double
ns(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec * 1e9 + (double)t.tv_nsec;
}

static void
feed(const char *msg, size_t len, int agent, uint16_t port)
{
	struct hl_sig_addr src = {.family = 4, .port = port, .ip = {10, 99, 0, 2}};

	if (agent)
		src.ip[1] = 98;
	nlast = 0;
	double t0 = ns();
	hl_sig_input(sig, (const uint8_t *)msg, len, &src, now_ms);
	busy_ns += ns() - t0;
}

static int
find(const char *prefix)
{
	for (unsigned int i = 0; i < nlast; i++)
		if (strncmp(last[i], prefix, strlen(prefix)) == 0)
			return (int)i;
	return -1;
}

/* The agent's or customer's response to request i of last[], with a To tag. */
static size_t
respond(unsigned int i, int code, const char *sdp, char *out, size_t cap)
{
	struct hl_sip_msg m;
	struct hl_sip_writer w;
	const uint8_t *b = (const uint8_t *)last[i];

	hl_sip_parse(b, last_len[i], &m);
	hl_sip_w_init(&w, out, cap);
	hl_sip_w_response_start(&w, b, &m, code, NULL, "agt1");
	hl_sip_w_str(&w, "Contact: <sip:agent@10.98.0.2:5090>\r\n");
	hl_sip_w_body(&w, sdp ? "application/sdp" : NULL, sdp, sdp ? strlen(sdp) : 0);
	return (size_t)hl_sip_w_finish(&w);
}

static void
register_agents(const struct hl_tenants *t)
{
	char msg[2048], nonce[128], ha1[65], resp[65];

	for (unsigned int a = 0; a < AGENTS; a++) {
		const char *user = hl_tenants_get(t, 0)->agents[a].user;
		int n = snprintf(msg, sizeof(msg),
			"REGISTER sip:bench.test SIP/2.0\r\nVia: SIP/2.0/UDP 10.98.0.2:5090;branch=z9hG4bKr%ua\r\n"
			"From: <sip:%s@bench.test>;tag=r\r\nTo: <sip:%s@bench.test>\r\nCall-ID: r%u\r\n"
			"CSeq: 1 REGISTER\r\nContact: <sip:%s@10.98.0.2:5090>\r\nExpires: 3600\r\n"
			"Content-Length: 0\r\n\r\n", a, user, user, a, user);
		feed(msg, (size_t)n, 1, 5090);
		const char *p = strstr(last[0], "nonce=\"");
		if (p == NULL)
			exit(1);
		snprintf(nonce, sizeof(nonce), "%.*s", (int)strcspn(p + 7, "\""), p + 7);
		hl_digest_ha1(HL_DIGEST_MD5, user, "bench.test", "pw", ha1);
		hl_digest_client_response(HL_DIGEST_MD5, ha1, nonce, "00000001", "cn", "auth",
			"REGISTER", "sip:bench.test", resp);
		n = snprintf(msg, sizeof(msg),
			"REGISTER sip:bench.test SIP/2.0\r\nVia: SIP/2.0/UDP 10.98.0.2:5090;branch=z9hG4bKr%ub\r\n"
			"From: <sip:%s@bench.test>;tag=r\r\nTo: <sip:%s@bench.test>\r\nCall-ID: r%u\r\n"
			"CSeq: 2 REGISTER\r\nAuthorization: Digest username=\"%s\", realm=\"bench.test\", "
			"nonce=\"%s\", uri=\"sip:bench.test\", response=\"%s\", algorithm=MD5, qop=auth, "
			"nc=00000001, cnonce=\"cn\"\r\nContact: <sip:%s@10.98.0.2:5090>\r\nExpires: 3600\r\n"
			"Content-Length: 0\r\n\r\n", a, user, user, a, user, nonce, resp, user);
		feed(msg, (size_t)n, 1, 5090);
		if (strncmp(last[0], "SIP/2.0 200", 11) != 0) {
			fprintf(stderr, "bench_sig: agent %s did not register:\n%s\n", user, last[0]);
			exit(1);
		}
	}
}

int
main(int argc, char **argv)
{
	static const char sdp_c[] = "v=0\r\no=- 1 1 IN IP4 10.99.0.2\r\ns=-\r\nc=IN IP4 10.99.0.2\r\n"
				    "t=0 0\r\nm=audio 6000 RTP/AVP 0 8 101\r\n"
				    "a=rtpmap:101 telephone-event/8000\r\n";
	static const char sdp_a[] = "v=0\r\no=- 2 2 IN IP4 10.98.0.2\r\ns=-\r\nc=IN IP4 10.98.0.2\r\n"
				    "t=0 0\r\nm=audio 7000 RTP/AVP 0 101\r\n"
				    "a=rtpmap:101 telephone-event/8000\r\n";
	unsigned long calls = argc > 1 ? strtoul(argv[1], NULL, 10) : 400000;
	unsigned long cps = argc > 2 ? strtoul(argv[2], NULL, 10) : 8000;
	struct hl_sig_ops ops = {.send = cap_send, .route = cap_route};
	struct hl_config cfg;
	static char text[AGENTS * 48 + 256];
	char err[256], msg[4096], rsp[4096], totag[64];
	size_t off;

	off = (size_t)snprintf(text, sizeof(text), "[tenant bench]\ndomains = bench.test\n"
		"dids = +15550100\ntrunks = 10.99.0.0/24\n");
	for (unsigned int a = 0; a < AGENTS; a++)
		off += (size_t)snprintf(text + off, sizeof(text) - off,
			"[agent agent%04u@bench]\npassword = pw\n", a);
	struct hl_tenants *t = hl_tenants_parse("bench", text, off, err, sizeof(err));
	if (t == NULL) {
		fprintf(stderr, "bench_sig: %s\n", err);
		return 1;
	}
	hl_config_defaults(&cfg);
	cfg.sip_digest[0] = HL_CONFIG_DIGEST_MD5;
	cfg.sip_digest[1] = 0;
	cfg.sip_max_transactions = 4000000;
	cfg.sip_max_dialogs = 1000000;
	sig = hl_sig_create(&cfg, t, NULL, &ops, now_ms, 1700000000);
	if (sig == NULL)
		return 1;
	register_agents(t);

	printf("bench_sig: %lu calls offered at %lu calls/s (simulated time), %u agents\n",
		calls, cps, AGENTS);
	printf("%-8s %10s %10s %10s %8s %12s\n", "tenth", "calls", "live txns", "dialogs",
		"µs/call", "vs 50µs goal");
	double phase_ns = 0, total_ns = 0;
	unsigned long failed = 0, phase_start = 0;
	uint64_t carry = 0;
	for (unsigned long c = 0; c < calls; c++) {
		busy_ns = 0;
		int n = snprintf(msg, sizeof(msg),
			"INVITE sip:+15550100@10.99.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 10.99.0.2:5070;branch=z9hG4bKc%lu\r\n"
			"Max-Forwards: 70\r\nFrom: <sip:+4930%lu@trunk>;tag=c%lu\r\nTo: <sip:+15550100@10.99.0.1>\r\n"
			"Call-ID: %lu@trunk\r\nCSeq: 1 INVITE\r\nContact: <sip:t@10.99.0.2:5070>\r\n"
			"Content-Type: application/sdp\r\nContent-Length: %zu\r\n\r\n%s",
			c, c, c, c, strlen(sdp_c), sdp_c);
		feed(msg, (size_t)n, 0, 5070);
		int i = find("INVITE ");
		if (i < 0) {
			failed++;
			continue;
		}
		size_t k = respond((unsigned int)i, 200, sdp_a, rsp, sizeof(rsp));
		feed(rsp, k, 1, 5090);
		i = find("SIP/2.0 200");
		if (i < 0) {
			failed++;
			continue;
		}
		const char *tp = strstr(last[i], "\r\nTo: ");
		tp = tp ? strstr(tp, "tag=") : NULL;
		snprintf(totag, sizeof(totag), "%.*s", tp ? (int)strcspn(tp + 4, "\r;") : 0,
			tp ? tp + 4 : "");
		n = snprintf(msg, sizeof(msg),
			"ACK sip:hotline@10.99.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 10.99.0.2:5070;branch=z9hG4bKa%lu\r\n"
			"Max-Forwards: 70\r\nFrom: <sip:+4930%lu@trunk>;tag=c%lu\r\n"
			"To: <sip:+15550100@10.99.0.1>;tag=%s\r\nCall-ID: %lu@trunk\r\nCSeq: 1 ACK\r\n"
			"Content-Length: 0\r\n\r\n", c, c, c, totag, c);
		feed(msg, (size_t)n, 0, 5070);
		n = snprintf(msg, sizeof(msg),
			"BYE sip:hotline@10.99.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 10.99.0.2:5070;branch=z9hG4bKb%lu\r\n"
			"Max-Forwards: 70\r\nFrom: <sip:+4930%lu@trunk>;tag=c%lu\r\n"
			"To: <sip:+15550100@10.99.0.1>;tag=%s\r\nCall-ID: %lu@trunk\r\nCSeq: 2 BYE\r\n"
			"Content-Length: 0\r\n\r\n", c, c, c, totag, c);
		feed(msg, (size_t)n, 0, 5070);
		i = find("BYE ");
		if (i < 0) {
			failed++;
			continue;
		}
		k = respond((unsigned int)i, 200, NULL, rsp, sizeof(rsp));
		feed(rsp, k, 1, 5090);
		/* simulated time at the offered rate; timers run as the loop would */
		carry += 1000;
		if (carry >= cps) {
			now_ms += carry / cps;
			carry %= cps;
			double t0 = ns();
			hl_sig_poll(sig, now_ms);
			busy_ns += ns() - t0;
		}
		phase_ns += busy_ns;
		total_ns += busy_ns;
		if ((c + 1) % (calls / 10 ? calls / 10 : 1) == 0) {
			struct hl_sig_stats st;
			hl_sig_stats(sig, &st);
			double us = phase_ns / 1e3 / (double)(c + 1 - phase_start);
			printf("%-8lu %10lu %10llu %10llu %8.2f %11.1fx\n",
				(c + 1) / (calls / 10 ? calls / 10 : 1), c + 1,
				(unsigned long long)st.transactions, (unsigned long long)st.dialogs,
				us, 50.0 / us);
			phase_ns = 0;
			phase_start = c + 1;
		}
	}
	struct hl_sig_stats st;
	hl_sig_stats(sig, &st);
	printf("all: %.2f µs of signalling CPU per call, %lu failed, %llu completed, "
	       "peak table at the end %llu transactions\n", total_ns / 1e3 / (double)calls,
		failed, (unsigned long long)st.ctr[HL_SIG_CTR_CALLS_COMPLETED],
		(unsigned long long)st.transactions);
	hl_sig_free(sig);
	hl_tenants_free(t);
	return failed ? 1 : 0;
}
