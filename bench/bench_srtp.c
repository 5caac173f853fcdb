/*
 * bench_srtp: ns per packet of an SRTP<->SRTP relay hop, side by side with bare libsrtp.
 *
 * For each suite, N packets of 160-octet G.711 payload are protected beforehand by a "far
 * end"; then each timed round takes every packet through one hop of leg A -> leg B:
 *   bare     srtp_unprotect (leg A key) + srtp_protect (leg B key), libsrtp calls only;
 *   hl       hl_srtp_unprotect_rtp + hl_srtp_protect_rtp, the same work via our wrapper;
 *   relay    hl_srtp_unprotect_rtp + hl_rtp_parse + hl_rtp_rx_stats_update +
 *            hl_rtp_rewrite + hl_srtp_protect_rtp: the full per-packet media path.
 * Each round uses fresh sessions (replay windows). The best of ROUNDS rounds is printed,
 * with the ratio to bare. Target (issue #5): relay within 1.15x of bare.
 * Usage: bench_srtp [packets per round, default 100000]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <srtp2/srtp.h>

#include "hotline/rtp.h"
#include "hotline/srtp.h"

#define PAYLOAD 160
#define SLOT 256
#define ROUNDS 5

static uint64_t
now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void
die(const char *what)
{
	fprintf(stderr, "bench_srtp: %s failed\n", what);
	exit(1);
}

static srtp_t
bare_session(const struct hl_srtp_key *k, int inbound)
{
	srtp_policy_t pol;
	srtp_t s;

	memset(&pol, 0, sizeof(pol));
	if (k->suite == HL_SRTP_AEAD_AES_128_GCM) {
		srtp_crypto_policy_set_aes_gcm_128_16_auth(&pol.rtp);
		srtp_crypto_policy_set_aes_gcm_128_16_auth(&pol.rtcp);
	} else {
		srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&pol.rtp);
		srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&pol.rtcp);
	}
	pol.ssrc.type = inbound ? ssrc_any_inbound : ssrc_any_outbound;
	pol.key = (unsigned char *)k->key;
	pol.window_size = 128;
	if (srtp_create(&s, &pol) != srtp_err_status_ok)
		die("srtp_create");
	return s;
}

enum mode { BARE, HL, RELAY };

static double
round_ns(enum mode m, const struct hl_srtp_key *ka, const struct hl_srtp_key *kb,
	 const uint8_t *srtp_pkts, const int *lens, uint8_t *work, unsigned int n)
{
	srtp_t a_in = NULL, b_out = NULL;
	struct hl_srtp_ctx ha, hb;
	struct hl_rtp_rx_stats st;
	struct hl_rtp_rewriter rw;
	uint64_t t0, t1;

	memcpy(work, srtp_pkts, (size_t)n * SLOT);
	if (m == BARE) {
		a_in = bare_session(ka, 1);
		b_out = bare_session(kb, 0);
	} else {
		if (hl_srtp_ctx_init(&ha, ka, HL_SRTP_INBOUND, NULL) != 0 ||
		    hl_srtp_ctx_init(&hb, kb, HL_SRTP_OUTBOUND, NULL) != 0)
			die("hl_srtp_ctx_init");
		hl_rtp_rx_stats_init(&st, 8000);
		hl_rtp_rewriter_init(&rw, 0x0b0b0b0b, 4242, 123456);
	}

	t0 = now_ns();
	for (unsigned int i = 0; i < n; i++) {
		uint8_t *p = work + (size_t)i * SLOT;
		int len = lens[i];
		if (m == BARE) {
			if (srtp_unprotect(a_in, p, &len) != srtp_err_status_ok ||
			    srtp_protect(b_out, p, &len) != srtp_err_status_ok)
				die("bare srtp");
		} else {
			len = hl_srtp_unprotect_rtp(&ha, p, (size_t)len);
			if (len < 0)
				die("hl_srtp_unprotect_rtp");
			if (m == RELAY) {
				struct hl_rtp_hdr h;
				if (hl_rtp_parse(p, (size_t)len, &h) < 0)
					die("hl_rtp_parse");
				hl_rtp_rx_stats_update(&st, &h, i * 160u);
				if (hl_rtp_rewrite(&rw, p, &h, i * 160u) != 0)
					die("hl_rtp_rewrite");
			}
			if (hl_srtp_protect_rtp(&hb, p, (size_t)len, SLOT) < 0)
				die("hl_srtp_protect_rtp");
		}
	}
	t1 = now_ns();

	if (m == BARE) {
		srtp_dealloc(a_in);
		srtp_dealloc(b_out);
	} else {
		hl_srtp_ctx_fini(&ha);
		hl_srtp_ctx_fini(&hb);
	}
	return (double)(t1 - t0) / n;
}

int
main(int argc, char **argv)
{
	static const unsigned int suites[] = {HL_SRTP_AES_CM_128_HMAC_SHA1_80,
					      HL_SRTP_AEAD_AES_128_GCM};
	unsigned int n = argc > 1 ? (unsigned int)strtoul(argv[1], NULL, 10) : 100000;
	uint8_t *pkts, *work;
	int *lens;

	if (n == 0)
		n = 100000;
	if (hl_srtp_global_init() != 0)
		die("srtp_init");
	pkts = malloc((size_t)n * SLOT);
	work = malloc((size_t)n * SLOT);
	lens = malloc(n * sizeof(*lens));
	if (!pkts || !work || !lens)
		die("malloc");

	printf("bench_srtp: %u packets x %d rounds, %d-octet payload, best round, ns/packet\n", n,
	       ROUNDS, PAYLOAD);
	printf("%-24s %10s %10s %7s %10s %7s\n", "suite", "bare", "hl", "hl/bare", "relay",
	       "rel/bare");
	for (unsigned int s = 0; s < HL_ARRAY_SIZE(suites); s++) {
		struct hl_srtp_key ka, kb;
		struct hl_srtp_ctx far;
		double best[3] = {1e18, 1e18, 1e18};

		if (hl_srtp_key_generate(&ka, suites[s]) || hl_srtp_key_generate(&kb, suites[s]))
			die("key");
		/* the far end of leg A: one stream, 20 ms packets */
		if (hl_srtp_ctx_init(&far, &ka, HL_SRTP_OUTBOUND, NULL) != 0)
			die("far ctx");
		for (unsigned int i = 0; i < n; i++) {
			uint8_t *p = pkts + (size_t)i * SLOT;
			uint16_t seq = (uint16_t)(1000 + i);
			uint32_t ts = 160000u + i * 160u;
			p[0] = 0x80;
			p[1] = 0;
			p[2] = (uint8_t)(seq >> 8);
			p[3] = (uint8_t)seq;
			p[4] = (uint8_t)(ts >> 24);
			p[5] = (uint8_t)(ts >> 16);
			p[6] = (uint8_t)(ts >> 8);
			p[7] = (uint8_t)ts;
			memcpy(p + 8, "\x0a\x0a\x0a\x0a", 4);
			memset(p + 12, 0xd5, PAYLOAD);
			lens[i] = hl_srtp_protect_rtp(&far, p, 12 + PAYLOAD, SLOT);
			if (lens[i] < 0)
				die("far protect");
		}
		hl_srtp_ctx_fini(&far);
		for (int r = 0; r < ROUNDS; r++)
			for (int m = BARE; m <= RELAY; m++) {
				double v = round_ns((enum mode)m, &ka, &kb, pkts, lens, work, n);
				if (v < best[m])
					best[m] = v;
			}
		printf("%-24s %10.1f %10.1f %7.3f %10.1f %7.3f\n", hl_srtp_suite_name(suites[s]),
		       best[BARE], best[HL], best[HL] / best[BARE], best[RELAY],
		       best[RELAY] / best[BARE]);
		hl_srtp_key_wipe(&ka);
		hl_srtp_key_wipe(&kb);
	}
	free(pkts);
	free(work);
	free(lens);
	return 0;
}
