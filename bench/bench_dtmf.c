/*
 * bench_dtmf: ns per 20 ms G.711 packet of hotline's in-band DTMF detection, side by side
 * with bare SpanDSP on the same samples, on one detector and on many.
 *
 * The audio is 8 kHz PCMU, 160 octets a packet: speech-like noise (filtered random
 * samples at about -20 dBm0, with pauses) in which SpanDSP's dtmf_tx puts a key every
 * 20 packets (60 ms on, 340 ms off), so the detectors run through tones, gaps and audio as
 * a caller's leg gives them. Per packet:
 *   bare    SpanDSP alone: ulaw_to_linear() per octet into 160 samples, dtmf_rx();
 *   hotline hl_dtmf_inband_feed_g711(): table decode + dtmf_rx + our press bookkeeping,
 *           what inband_input() in dataplane/media.c does for each packet of an in-band leg.
 *   G.722   hl_dtmf_inband_feed_g722() on the same audio G.722-encoded (SpanDSP's encoder
 *           in its 8 kHz mode, 160 octets a packet, as a 64 kbit/s G.722 leg sends): the
 *           lower band's ADPCM decode + dtmf_rx + bookkeeping, what a G.722 leg costs.
 *   Opus    hl_dtmf_inband_feed_opus() on the same audio Opus-encoded (libopus, 8 kHz
 *           input, VoIP, 24 kbit/s, 20 ms packets: SILK narrowband, as a phone's
 *           narrowband Opus stream is): libopus's decode at 8 kHz + dtmf_rx +
 *           bookkeeping, what an Opus leg costs. Each detector has its own decoder
 *           (hl_opus_dec_size(), 18 KiB); not run on 10000 (180 MiB of decoders).
 * All are timed with 1 detector (hot in the caches) and with N detectors round robin
 * (N = 1000 and 10000: every packet goes to the next leg's detector, as a worker's
 * legs come in turn), each the best of ROUNDS rounds. Each run checks that every key
 * sent was reported, on every detector, exactly once: a detector that reports nothing
 * would time nothing.
 *
 * Usage: bench_dtmf [packets per round, default 200000]
 * What the figure means for a worker: a leg sends 50 packets a second, so ns/packet x 50
 * is the detector's share of a core per in-band leg.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define SPANDSP_EXPOSE_INTERNAL_STRUCTURES
#include <spandsp.h>

#include <opus.h>

#include "hotline/dtmf.h"

#define PKT 160
#define ROUNDS 3
#define KEY_EVERY 20 /* packets: 400 ms per key */
#define AUDIO_PKTS (KEY_EVERY * 16) /* 16 keys, then the audio repeats */

static const char keys[] = "1234567890*#ABCD";
static uint8_t audio[AUDIO_PKTS][PKT];
static uint8_t audio722[AUDIO_PKTS][PKT]; /* the same, G.722 */
static uint8_t audio_opus[AUDIO_PKTS][256]; /* the same, Opus */
static int opus_len[AUDIO_PKTS];

static uint64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Noise through a one-pole low-pass, about -20 dBm0, silent every 5th 100 ms; a key
 * mixed in for the first three packets of every KEY_EVERY. */
static int
make_audio(void)
{
	dtmf_tx_state_t *tx = dtmf_tx_init(NULL);
	uint32_t r = 12345;
	double lp = 0;

	if (tx == NULL)
		return -1;
	dtmf_tx_set_timing(tx, 60, 340);
	if (dtmf_tx_put(tx, keys, -1) != 0)
		return -1;
	for (int p = 0; p < AUDIO_PKTS; p++) {
		int16_t tone[PKT];
		int n = dtmf_tx(tx, tone, PKT);

		for (int i = n; i < PKT; i++)
			tone[i] = 0;
		for (int i = 0; i < PKT; i++) {
			r = r * 1103515245u + 12345u;
			lp = 0.8 * lp + 0.2 * ((double)(int16_t)(r >> 16) / 4.0);
			double s = (p / 5) % 5 == 4 ? 0 : lp;
			/* speech stops while a key is down, as a caller's does */
			if (p % KEY_EVERY < 4)
				s = 0;
			s += tone[i];
			if (s > 32767)
				s = 32767;
			if (s < -32768)
				s = -32768;
			audio[p][i] = linear_to_ulaw((int)s);
		}
	}
	dtmf_tx_free(tx);
	return 0;
}

struct bare_det {
	dtmf_rx_state_t rx;
	unsigned int got;
};

static void
bare_digit(void *user, const char *digits, int len)
{
	(void)digits;
	((struct bare_det *)user)->got += (unsigned int)len;
}

/* ns per packet over total packets, round robin over n detectors of each kind; *presses:
 * the keys reported, summed over all detectors. */
static double
run_bare(unsigned int n, unsigned int total, unsigned int *presses)
{
	struct bare_det *d = aligned_alloc(64, ((sizeof(*d) * n + 63) / 64) * 64);
	double best = 0;

	if (d == NULL)
		return -1;
	for (int round = 0; round < ROUNDS; round++) {
		for (unsigned int k = 0; k < n; k++) {
			dtmf_rx_init(&d[k].rx, bare_digit, &d[k]);
			d[k].got = 0;
		}
		uint64_t t0 = now_ns();
		for (unsigned int j = 0; j < total; j++) {
			unsigned int k = j % n;
			const uint8_t *a = audio[(j / n) % AUDIO_PKTS];
			int16_t lin[PKT];

			for (int i = 0; i < PKT; i++)
				lin[i] = ulaw_to_linear(a[i]);
			dtmf_rx(&d[k].rx, lin, PKT);
		}
		double ns = (double)(now_ns() - t0) / total;
		if (round == 0 || ns < best)
			best = ns;
		*presses = 0;
		for (unsigned int k = 0; k < n; k++)
			*presses += d[k].got;
	}
	free(d);
	return best;
}

/* audio[] G.722-encoded into audio722[], one encoder over the whole stream. 0 or -1. */
static int
make_g722(void)
{
	g722_encode_state_t *e = g722_encode_init(NULL, 64000, G722_SAMPLE_RATE_8000);
	int16_t lin[PKT];
	int rc = 0;

	if (e == NULL)
		return -1;
	for (unsigned int p = 0; p < AUDIO_PKTS && rc == 0; p++) {
		for (unsigned int i = 0; i < PKT; i++)
			lin[i] = ulaw_to_linear(audio[p][i]);
		if (g722_encode(e, audio722[p], lin, PKT) != PKT)
			rc = -1;
	}
	g722_encode_free(e);
	return rc;
}

/* audio[] Opus-encoded into audio_opus[], one encoder over the whole stream. 0 or -1. */
static int
make_opus(void)
{
	int err, rc = 0;
	OpusEncoder *e = opus_encoder_create(8000, 1, OPUS_APPLICATION_VOIP, &err);
	int16_t lin[PKT];

	if (e == NULL || opus_encoder_ctl(e, OPUS_SET_BITRATE(24000)) != OPUS_OK)
		rc = -1;
	for (unsigned int p = 0; p < AUDIO_PKTS && rc == 0; p++) {
		for (unsigned int i = 0; i < PKT; i++)
			lin[i] = ulaw_to_linear(audio[p][i]);
		opus_len[p] = opus_encode(e, lin, PKT, audio_opus[p], sizeof(audio_opus[p]));
		if (opus_len[p] <= 2)
			rc = -1;
	}
	opus_encoder_destroy(e);
	return rc;
}

enum { CODEC_G711, CODEC_G722, CODEC_OPUS };

/* hotline's detector on n legs round robin, on the PCMU audio or its G.722 or Opus
 * encoding, each leg then with its own decoder. Best ns a packet; presses reported. */
static double
run_hl(unsigned int n, unsigned int total, unsigned int *presses, int codec)
{
	int g722 = codec == CODEC_G722;
	size_t osz = (hl_opus_dec_size() + 63) / 64 * 64;
	struct hl_dtmf_inband *d = aligned_alloc(64, ((sizeof(*d) * n + 63) / 64) * 64);
	struct hl_g722 *g = g722 ? aligned_alloc(64, ((sizeof(*g) * n + 63) / 64) * 64) : NULL;
	uint8_t *o = codec == CODEC_OPUS ? aligned_alloc(64, osz * n) : NULL;
	double best = 0;

	if (d == NULL || (g722 && g == NULL) || (codec == CODEC_OPUS && o == NULL)) {
		free(d);
		free(g);
		free(o);
		return -1;
	}
	for (int round = 0; round < ROUNDS; round++) {
		unsigned int got = 0;

		for (unsigned int k = 0; k < n; k++)
			if (hl_dtmf_inband_init(&d[k]) != 0 || (g722 && hl_g722_init(&g[k]) != 0) ||
				(o != NULL && hl_opus_dec_init((struct hl_opus_dec *)(o + osz * k)))) {
				free(d);
				free(g);
				free(o);
				return -1;
			}
		uint64_t t0 = now_ns();
		for (unsigned int j = 0; j < total; j++) {
			struct hl_dtmf_event ev[4];
			unsigned int a = (j / n) % AUDIO_PKTS;

			if (codec == CODEC_OPUS) {
				struct hl_opus_dec *od = (struct hl_opus_dec *)(o + osz * (j % n));
				/* where the audio starts over, so does the decoder, as for G.722 */
				if (a == 0 && j >= n)
					(void)hl_opus_dec_init(od);
				got += (unsigned int)hl_dtmf_inband_feed_opus(&d[j % n], od,
					audio_opus[a], (size_t)opus_len[a], ev, 4);
				continue;
			}
			if (!g722) {
				got += (unsigned int)hl_dtmf_inband_feed_g711(&d[j % n], HL_DTMF_PCMU,
					audio[a], PKT, ev, 4);
				continue;
			}
			/* Where the audio starts over, the stream jumps back to what a fresh
			 * encoder made: so does the decoder (ADPCM follows its encoder's state;
			 * without this the first key after each wrap was missed in ~1 of 2). */
			if (a == 0 && j >= n)
				(void)hl_g722_init(&g[j % n]);
			got += (unsigned int)hl_dtmf_inband_feed_g722(&d[j % n], &g[j % n],
				audio722[a], PKT, ev, 4);
		}
		double ns = (double)(now_ns() - t0) / total;
		if (round == 0 || ns < best)
			best = ns;
		*presses = got;
	}
	free(d);
	free(g);
	free(o);
	return best;
}

/* Keys all detectors were sent in a round of total packets, a whole number of keys each. */
static unsigned int
keys_sent(unsigned int n, unsigned int total)
{
	return n * (total / n / KEY_EVERY);
}

int
main(int argc, char **argv)
{
	unsigned int total = argc > 1 ? (unsigned int)atoi(argv[1]) : 200000;
	static const unsigned int ns_det[] = {1, 1000, 10000};
	int fail = 0;

	if (total < 20000 || make_audio() != 0 || make_g722() != 0 || make_opus() != 0) {
		fprintf(stderr, "bench_dtmf: bad packet count or SpanDSP dtmf_tx/G.722/Opus "
				"failed\n");
		return 1;
	}
	printf("bench_dtmf: %u PCMU packets (160 octets, 20 ms) per round, best of %d; key every "
	       "%d packets\n\n", total, ROUNDS, KEY_EVERY);
	printf("| detectors | bare SpanDSP ns/pkt | hotline ns/pkt | hotline/bare | keys sent | "
	       "bare reported | hotline reported | core share per 1000 in-band legs | G.722 "
	       "ns/pkt | G.722 reported | G.722 core share per 1000 | Opus ns/pkt | Opus reported | "
	       "Opus core share per 1000 |\n");
	printf("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: "
	       "| ---: | ---: |\n");
	for (unsigned int i = 0; i < sizeof(ns_det) / sizeof(ns_det[0]); i++) {
		unsigned int n = ns_det[i], tot = total, pb = 0, ph = 0, pg = 0, po = 0;

		/* every detector sees at least 4 keys, and whole keys */
		if (tot < n * KEY_EVERY * 4)
			tot = n * KEY_EVERY * 4;
		tot = (tot + n * KEY_EVERY - 1) / (n * KEY_EVERY) * (n * KEY_EVERY);
		double b = run_bare(n, tot, &pb), h = run_hl(n, tot, &ph, CODEC_G711),
		       g = run_hl(n, tot, &pg, CODEC_G722);
		double op = n <= 1000 ? run_hl(n, tot, &po, CODEC_OPUS) : 0;
		unsigned int want = keys_sent(n, tot);

		printf("| %u | %.0f | %.0f | %.2f | %u | %u | %u | %.1f%% | %.0f | %u | %.1f%% |", n,
			b, h, h / b, want, pb, ph, h * 50 * 1000 / 1e9 * 100, g, pg,
			g * 50 * 1000 / 1e9 * 100);
		if (n <= 1000)
			printf(" %.0f | %u | %.1f%% |\n", op, po, op * 50 * 1000 / 1e9 * 100);
		else
			printf(" - | - | - |\n");
		if (b < 0 || h < 0 || g < 0 || ph != want || pg != want ||
			(n <= 1000 && (op < 0 || po != want)))
			fail = 1;
	}
	if (fail)
		printf("\nPROBLEM: a detector missed or repeated keys, or a run failed\n");
	return fail;
}
