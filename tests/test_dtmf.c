/* Unit tests for include/hotline/dtmf.h: RFC 4733 payloads on guard pages, the key-press
 * state machine against what real senders do, and in-band detection of synthesised tones. */
#include <math.h>
#include <stdlib.h>

#define SPANDSP_EXPOSE_INTERNAL_STRUCTURES
#include <opus.h>
#include <spandsp.h>

#include "hl_test.h"
#include "hotline/dtmf.h"

static const struct {
	const char *name;
	uint8_t bytes[12];
	uint8_t len;
	int rc;
	uint8_t event, end, volume;
	uint16_t duration;
} parse_cases[] = {
	{"digit 5", {5, 0x0a, 0x01, 0x40}, 4, 1, 5, 0, 10, 320},
	{"end bit, R bit set", {11, 0xca, 0x03, 0x20}, 4, 1, 11, 1, 10, 800},
	{"two blocks", {3, 0x8a, 0x03, 0x20, 4, 0x0a, 0, 0xa0}, 8, 2, 3, 1, 10, 800},
	{"odd length 6", {1, 0x3f, 0xff, 0xff, 0x55, 0x55}, 6, 1, 1, 0, 63, 0xffff},
	{"odd length 11", {1, 0, 0, 1, 2, 0, 0, 2, 9, 9, 9}, 11, 2, 1, 0, 0, 1},
	{"three octets", {1, 0, 0}, 3, HL_E_PARSE},
	{"empty", {0}, 0, HL_E_PARSE},
};

HL_TEST(parse_table_guarded)
{
	for (unsigned int i = 0; i < HL_ARRAY_SIZE(parse_cases); i++) {
		struct hl_test_guard_buf g = {0};
		struct hl_dtmf_4733_block b[4];
		const uint8_t *p = hl_test_guard(&g, parse_cases[i].bytes, parse_cases[i].len);
		int rc = hl_dtmf_4733_parse(p, parse_cases[i].len, b, 4);
		HL_CHECK_MSG(rc == parse_cases[i].rc, "%s: %d", parse_cases[i].name, rc);
		if (rc > 0) {
			HL_CHECK_INT(b[0].event, parse_cases[i].event);
			HL_CHECK_INT(b[0].end, parse_cases[i].end);
			HL_CHECK_INT(b[0].volume, parse_cases[i].volume);
			HL_CHECK_INT(b[0].duration, parse_cases[i].duration);
		}
		hl_test_guard_free(&g);
		for (unsigned int cut = 0; cut < parse_cases[i].len; cut++) {
			struct hl_test_guard_buf g2 = {0};
			p = hl_test_guard(&g2, parse_cases[i].bytes, cut);
			rc = hl_dtmf_4733_parse(p, cut, b, 4);
			HL_CHECK_INT(rc, cut < 4 ? HL_E_PARSE : (int)(cut / 4));
			hl_test_guard_free(&g2);
		}
	}
	/* max bounds the output */
	struct hl_dtmf_4733_block one;
	HL_CHECK_INT(hl_dtmf_4733_parse(parse_cases[2].bytes, 8, &one, 1), 1);
	HL_CHECK_INT(one.event, 3);
}

HL_TEST(digits)
{
	HL_CHECK_INT(hl_dtmf_digit(0), '0');
	HL_CHECK_INT(hl_dtmf_digit(9), '9');
	HL_CHECK_INT(hl_dtmf_digit(10), '*');
	HL_CHECK_INT(hl_dtmf_digit(11), '#');
	HL_CHECK_INT(hl_dtmf_digit(12), 'A');
	HL_CHECK_INT(hl_dtmf_digit(15), 'D');
	HL_CHECK_INT(hl_dtmf_digit(16), HL_DTMF_FLASH);
	HL_CHECK_INT(hl_dtmf_digit(17), 0);
	for (unsigned int e = 0; e <= 16; e++)
		HL_CHECK_INT(hl_dtmf_event_code(hl_dtmf_digit(e)), (int)e);
	HL_CHECK_INT(hl_dtmf_event_code('a'), -1);
	HL_CHECK_INT(hl_dtmf_event_code('E'), -1);
	HL_CHECK_INT(hl_dtmf_event_code(0), -1);
	HL_CHECK(hl_dtmf_counter_name(HL_DTMF_CNT_DUP) != NULL);
	HL_CHECK(hl_dtmf_counter_name(HL_DTMF_CNT_MAX_) == NULL);
}

/* One packet of a scripted stream: a tick when payload is empty. */
struct step {
	uint16_t seq;
	uint32_t ts;
	uint64_t now;
	uint8_t n;		/* blocks; 0 = call tick at now */
	uint8_t ev[2], e[2];
	uint16_t dur[2];
	int want;		/* events this step reports */
	char digit;
	uint8_t how;
	uint32_t dur_ms;
};

static void
run(const char *name, const struct step *s, unsigned int n, struct hl_dtmf_4733 *st)
{
	for (unsigned int i = 0; i < n; i++) {
		struct hl_dtmf_event out[2];
		uint8_t pl[8];
		int got;
		if (s[i].n == 0) {
			got = hl_dtmf_4733_tick(st, s[i].now, out);
		} else {
			for (unsigned int b = 0; b < s[i].n; b++) {
				pl[4 * b] = s[i].ev[b];
				pl[4 * b + 1] = (uint8_t)(s[i].e[b] << 7 | 10);
				pl[4 * b + 2] = (uint8_t)(s[i].dur[b] >> 8);
				pl[4 * b + 3] = (uint8_t)s[i].dur[b];
			}
			struct hl_test_guard_buf g = {0};
			const uint8_t *p = hl_test_guard(&g, pl, 4u * s[i].n);
			got = hl_dtmf_4733_feed(st, s[i].seq, s[i].ts, 0, p, 4u * s[i].n,
						s[i].now, out);
			hl_test_guard_free(&g);
		}
		HL_CHECK_MSG(got == s[i].want, "%s step %u: %d events, want %d", name, i, got,
			     s[i].want);
		if (got >= 1 && got == s[i].want) {
			/* the last one reported is the one the table describes */
			const struct hl_dtmf_event *ev = &out[got - 1];
			HL_CHECK_MSG(ev->digit == s[i].digit, "%s step %u: digit %c", name, i,
				     ev->digit);
			HL_CHECK_MSG(ev->how == s[i].how, "%s step %u: how %u", name, i, ev->how);
			HL_CHECK_MSG(ev->duration_ms == s[i].dur_ms, "%s step %u: %u ms", name, i,
				     ev->duration_ms);
		}
	}
}

#define P1(seq, ts, now, ev, e, dur) {seq, ts, now, 1, {ev, 0}, {e, 0}, {dur, 0}
#define TICK(now) {0, 0, now, 0, {0}, {0}, {0}

HL_TEST(press_with_three_end_packets)
{
	struct hl_dtmf_4733 st;
	const struct step s[] = {
		P1(10, 1000, 0, 5, 0, 160), 0},
		P1(11, 1000, 20, 5, 0, 320), 0},
		P1(12, 1000, 40, 5, 0, 480), 0},
		P1(13, 1000, 60, 5, 1, 640), 1, '5', HL_DTMF_END_BIT, 80},
		P1(13, 1000, 60, 5, 1, 640), 0},
		P1(13, 1000, 61, 5, 1, 640), 0},
		/* some senders give the repeats new sequence numbers */
		P1(14, 1000, 62, 5, 1, 640), 0},
		P1(15, 1000, 63, 5, 1, 640), 0},
		TICK(1000), 0},
	};
	hl_dtmf_4733_init(&st, 8000, 200);
	run("three ends", s, HL_ARRAY_SIZE(s), &st);
	HL_CHECK_INT(st.cnt[HL_DTMF_CNT_PRESSES], 1);
	HL_CHECK_INT(st.cnt[HL_DTMF_CNT_DUP], 2);
	HL_CHECK_INT(st.cnt[HL_DTMF_CNT_AFTER_END], 2);
}

HL_TEST(lost_end_new_event_and_timeout)
{
	struct hl_dtmf_4733 st;
	const struct step s[] = {
		P1(1, 2000, 0, 1, 0, 160), 0},
		P1(2, 2000, 20, 1, 0, 320), 0},
		/* every end of '1' lost; '2' begins */
		P1(5, 4000, 200, 2, 0, 160), 1, '1', HL_DTMF_END_NEXT, 40},
		P1(6, 4000, 220, 2, 1, 400), 1, '2', HL_DTMF_END_BIT, 50},
		/* '#' whose ends never come: the tick ends it after 200 ms of silence */
		P1(7, 6000, 400, 11, 0, 160), 0},
		P1(8, 6000, 420, 11, 0, 320), 0},
		TICK(500), 0},
		TICK(619), 0},
		TICK(620), 1, '#', HL_DTMF_END_TIMEOUT, 40},
		TICK(700), 0},
		/* its delayed end packets report nothing more */
		P1(9, 6000, 710, 11, 1, 480), 0},
		P1(9, 6000, 711, 11, 1, 480), 0},
		/* single-packet press: start and end at once */
		P1(10, 7000, 800, 16, 1, 1600), 1, HL_DTMF_FLASH, HL_DTMF_END_BIT, 200},
		/* non-DTMF event codes are ignored */
		P1(11, 8000, 900, 40, 0, 160), 0},
		TICK(2000), 0},
	};
	hl_dtmf_4733_init(&st, 8000, 200);
	run("lost end", s, HL_ARRAY_SIZE(s), &st);
	HL_CHECK_INT(st.cnt[HL_DTMF_CNT_PRESSES], 4);
	HL_CHECK_INT(st.cnt[HL_DTMF_CNT_LOST_END], 2);
	HL_CHECK_INT(st.cnt[HL_DTMF_CNT_NOT_DTMF], 1);
}

HL_TEST(reordered_and_redundant)
{
	struct hl_dtmf_4733 st;
	const struct step s[] = {
		P1(20, 100, 0, 7, 0, 160), 0},
		P1(22, 100, 40, 7, 0, 480), 0},
		P1(21, 100, 41, 7, 0, 320), 0}, /* late: ignored */
		P1(23, 100, 60, 7, 1, 640), 1, '7', HL_DTMF_END_BIT, 80},
		P1(21, 100, 61, 7, 0, 320), 0}, /* very late */
		/* '3' loses its ends; the next packet carries '3' ended + '4' (§2.5.1.4) */
		P1(30, 2000, 100, 3, 0, 160), 0},
		{31, 4000, 300, 2, {3, 4}, {1, 0}, {800, 160}, 1, '3', HL_DTMF_END_BIT, 100},
		P1(32, 4000, 320, 4, 1, 320), 1, '4', HL_DTMF_END_BIT, 40},
		/* a packet that ends '9' (lost end) and is itself a complete press */
		P1(33, 5000, 400, 9, 0, 160), 0},
		P1(34, 6000, 500, 0, 1, 400), 2, '0', HL_DTMF_END_BIT, 50},
		/* a sender restart far back in sequence space is accepted */
		P1(40000, 9000, 600, 6, 1, 160), 1, '6', HL_DTMF_END_BIT, 20},
	};
	hl_dtmf_4733_init(&st, 8000, 200);
	run("reorder", s, HL_ARRAY_SIZE(s), &st);
	HL_CHECK_INT(st.cnt[HL_DTMF_CNT_PRESSES], 6);
}

HL_TEST(long_event_segments)
{
	struct hl_dtmf_4733 st;
	/* §2.5.1.2: 0xFFFF units, then a new segment at ts + 0xFFFF; 65535 + 8000 units */
	const struct step s[] = {
		P1(1, 10000, 0, 8, 0, 0x8000), 0},
		P1(2, 10000, 4096, 8, 0, 0xffff), 0},
		P1(3, 10000 + 0xffff, 8192, 8, 0, 4000), 0},
		P1(4, 10000 + 0xffff, 8692, 8, 1, 8000), 1, '8', HL_DTMF_END_BIT, 9191},
		P1(5, 10000 + 0xffff, 8693, 8, 1, 8000), 0},
		/* a non-conforming sender that lets duration wrap on one timestamp */
		P1(6, 200000, 9000, 8, 0, 0xff00), 0},
		P1(7, 200000, 9050, 8, 1, 0x0100), 1, '8', HL_DTMF_END_BIT, 8224},
	};
	hl_dtmf_4733_init(&st, 8000, 200);
	run("long", s, HL_ARRAY_SIZE(s), &st);
}

HL_TEST(malformed_payload)
{
	struct hl_dtmf_4733 st;
	struct hl_dtmf_event out[2];
	uint8_t pl[3] = {1, 0, 0};
	hl_dtmf_4733_init(&st, 8000, 200);
	HL_CHECK_INT(hl_dtmf_4733_feed(&st, 1, 0, 1, pl, 3, 0, out), HL_E_PARSE);
	HL_CHECK_INT(st.cnt[HL_DTMF_CNT_MALFORMED], 1);
	HL_CHECK_INT(st.have_seq, 0);
}

/* ---- in-band ---- */

static int
detect(struct hl_dtmf_inband *d, const int16_t *buf, size_t n, char *got, int *ngot,
       uint32_t *durs)
{
	struct hl_dtmf_event ev[8];
	for (size_t off = 0; off < n; off += 160) {
		int k = hl_dtmf_inband_feed(d, buf + off, 160, ev, 8);
		for (int i = 0; i < k && *ngot < 63; i++) {
			durs[*ngot] = ev[i].duration_ms;
			got[(*ngot)++] = ev[i].digit;
		}
	}
	got[*ngot] = '\0';
	return *ngot;
}

HL_TEST(inband_spandsp_tones_detected_once)
{
	static const char digits[] = "159*#0ABCD2";
	static int16_t buf[8000 * 10];
	dtmf_tx_state_t tx;
	struct hl_dtmf_inband d;
	char got[64];
	uint32_t durs[64];
	int ngot = 0;
	size_t n = 0;

	HL_CHECK(dtmf_tx_init(&tx) != NULL);
	dtmf_tx_set_timing(&tx, 100, 100);
	HL_CHECK_INT(dtmf_tx_put(&tx, digits, -1), 0);
	/* 20 ms chunks until the generator runs dry, then one second of silence */
	for (;;) {
		int k = dtmf_tx(&tx, buf + n, 160);
		if (k <= 0)
			break;
		n += 160; /* a short last chunk is zero-padded (buf is static) */
	}
	n += 8000;
	HL_CHECK(n < HL_ARRAY_SIZE(buf));
	HL_CHECK_INT(hl_dtmf_inband_init(&d), 0);
	detect(&d, buf, n, got, &ngot, durs);
	HL_CHECK_STR(got, digits);
	for (int i = 0; i < ngot; i++)
		HL_CHECK_MSG(durs[i] >= 80 && durs[i] <= 120, "digit %d: %u ms", i, durs[i]);
}

HL_TEST(inband_own_sines_and_no_false_hits)
{
	static int16_t buf[8000 * 3];
	struct hl_dtmf_inband d;
	char got[64];
	uint32_t durs[64];
	int ngot = 0;

	/* '6' = 770 Hz + 1477 Hz, 60 ms on (just above Q.24's 40 ms), at about -10 dBm0 each,
	 * twice with 60 ms gap, then a 1 kHz tone and silence that must give nothing. */
	memset(buf, 0, sizeof(buf));
	for (int rep = 0; rep < 2; rep++)
		for (int i = 0; i < 480; i++) {
			double t = i / 8000.0;
			buf[800 + rep * 960 + i] = (int16_t)(3000 * sin(2 * M_PI * 770 * t) +
							     3000 * sin(2 * M_PI * 1477 * t));
		}
	for (int i = 4000; i < 12000; i++)
		buf[i] = (int16_t)(8000 * sin(2 * M_PI * 1000 * i / 8000.0));
	HL_CHECK_INT(hl_dtmf_inband_init(&d), 0);
	detect(&d, buf, HL_ARRAY_SIZE(buf), got, &ngot, durs);
	HL_CHECK_STR(got, "66");
}

HL_TEST(g711_tables_are_spandsp_g711)
{
	for (unsigned int i = 0; i < 256; i++) {
		HL_CHECK_INT(hl_dtmf_g711_linear(HL_DTMF_PCMU, (uint8_t)i), ulaw_to_linear((uint8_t)i));
		HL_CHECK_INT(hl_dtmf_g711_linear(HL_DTMF_PCMA, (uint8_t)i), alaw_to_linear((uint8_t)i));
	}
}

/* digits from dtmf_tx (on_ms/off_ms), then 500 ms of silence, encoded in law; *n octets */
static size_t
g711_tones(const char *digits, int on_ms, int off_ms, enum hl_dtmf_law law, uint8_t *out,
	   size_t max)
{
	static int16_t lin[8000 * 10];
	dtmf_tx_state_t tx;
	size_t n = 0;

	memset(lin, 0, sizeof(lin));
	HL_CHECK(dtmf_tx_init(&tx) != NULL);
	dtmf_tx_set_timing(&tx, on_ms, off_ms);
	HL_CHECK_INT(dtmf_tx_put(&tx, digits, -1), 0);
	for (;;) {
		int k = dtmf_tx(&tx, lin + n, 160);
		if (k <= 0)
			break;
		n += 160;
	}
	n += 4000;
	HL_CHECK(n <= max && n <= HL_ARRAY_SIZE(lin));
	for (size_t i = 0; i < n; i++)
		out[i] = law == HL_DTMF_PCMA ? linear_to_alaw(lin[i]) : linear_to_ulaw(lin[i]);
	return n;
}

/* Every digit once, in order, through either law and in payloads of any length
 * (30 ms packets, and odd sizes a broken sender might use). Durations are SpanDSP's:
 * from the block the tone was confirmed in to the one it was lost in, so a 70 ms key
 * may read 40 ms. */
HL_TEST(inband_g711_payloads_any_length)
{
	static const char digits[] = "0123456789*#ABCD";
	static uint8_t pcm[8000 * 10];
	static const size_t sizes[] = {160, 240, 77, 1, 333};

	for (int law = HL_DTMF_PCMU; law <= HL_DTMF_PCMA; law++) {
		size_t n = g711_tones(digits, 70, 60, (enum hl_dtmf_law)law, pcm, sizeof(pcm));
		for (unsigned int z = 0; z < HL_ARRAY_SIZE(sizes); z++) {
			struct hl_dtmf_inband d;
			struct hl_dtmf_event ev[4];
			char got[64];
			int ngot = 0;

			HL_CHECK_INT(hl_dtmf_inband_init(&d), 0);
			for (size_t off = 0; off < n; off += sizes[z]) {
				size_t c = n - off < sizes[z] ? n - off : sizes[z];
				int k = hl_dtmf_inband_feed_g711(&d, (enum hl_dtmf_law)law, pcm + off,
					c, ev, 4);
				for (int i = 0; i < k && ngot < 63; i++) {
					HL_CHECK_INT(ev[i].how, HL_DTMF_END_TONE);
					HL_CHECK_MSG(ev[i].duration_ms >= 30 && ev[i].duration_ms <= 90,
						"%c: %u ms", ev[i].digit, ev[i].duration_ms);
					got[ngot++] = ev[i].digit;
				}
			}
			got[ngot] = '\0';
			HL_CHECK_MSG(strcmp(got, digits) == 0, "law %d, %zu-octet payloads: '%s'", law,
				sizes[z], got);
		}
	}
}

/* SpanDSP's own detector, as a listener at the far end would run it, over G.711 octets:
 * the digits it finds. */
static const char *
far_end_digits(const uint8_t *pcm, size_t n, enum hl_dtmf_law law)
{
	static char got[64];
	dtmf_rx_state_t rx;
	int16_t lin[160];

	HL_CHECK(dtmf_rx_init(&rx, NULL, NULL) != NULL);
	for (size_t off = 0; off < n; off += 160) {
		size_t c = n - off < 160 ? n - off : 160;
		for (size_t i = 0; i < c; i++)
			lin[i] = hl_dtmf_g711_linear(law, pcm[off + i]);
		dtmf_rx(&rx, lin, (int)c);
	}
	int k = dtmf_rx_get(&rx, got, (int)sizeof(got) - 1);
	got[k > 0 ? k : 0] = '\0';
	return got;
}

/*
 * heard, for muting: a 100 ms key starting at every offset within a 20 ms packet (and
 * at both laws). The first packet heard is at most 203 samples into the tone (less than
 * two of SpanDSP's 102-sample blocks: the tone before it, relayed as it is, is too short
 * for SpanDSP's detector at the far end), every packet of the tone from there on is
 * heard but for its last few samples (under one block: the detector may let go of the
 * tone a block after it, before the packet ends; the relay's hangover covers those),
 * and heard ends within three packets of the tone's end. With the heard packets
 * replaced by silence, the far end's SpanDSP finds no key, while the stream itself gave
 * it (and ours reported it) once.
 */
HL_TEST(inband_heard_covers_the_tone_from_its_second_block)
{
	static uint8_t pcm[8000], muted[8000];
	static const char keys[] = "5#1D";
	unsigned int worst = 0, best = 1000;

	for (int law = HL_DTMF_PCMU; law <= HL_DTMF_PCMA; law++)
		for (unsigned int s = 0; s < 160; s++) {
			const char key[2] = {keys[s % 4], '\0'};
			uint8_t z = law == HL_DTMF_PCMA ? 0xd5 : 0xff;
			size_t lead = 800 + s, tone = 800, n = 8000;
			int16_t lin[160];
			dtmf_tx_state_t tx;
			struct hl_dtmf_inband d;
			struct hl_dtmf_event ev[4];
			int presses = 0;
			long first = -1, last_heard = -1, gap = -1;
			size_t tail = 0; /* tone samples after the last heard packet */
			int holes = 0;	 /* unheard packets inside the tone, heard ones after */

			/* lead of G.711 zero, the key from dtmf_tx (100 ms on), then zero */
			memset(pcm, z, n);
			HL_CHECK(dtmf_tx_init(&tx) != NULL);
			dtmf_tx_set_timing(&tx, 100, 0);
			HL_CHECK_INT(dtmf_tx_put(&tx, key, -1), 0);
			for (size_t o = lead; o < lead + tone; o += 160) {
				int k = dtmf_tx(&tx, lin, 160);
				for (int i = 0; i < k && o + (size_t)i < lead + tone; i++)
					pcm[o + (size_t)i] = law == HL_DTMF_PCMA
								     ? linear_to_alaw(lin[i])
								     : linear_to_ulaw(lin[i]);
			}
			HL_CHECK_INT(hl_dtmf_inband_init(&d), 0);
			memcpy(muted, pcm, n);
			for (size_t o = 0; o < n; o += 160) {
				long pk = (long)(o / 160);
				presses += hl_dtmf_inband_feed_g711(
					&d, (enum hl_dtmf_law)law, pcm + o, 160, ev, 4);
				if (!d.heard) {
					if (first >= 0 && o < lead + tone) {
						if (gap < 0)
							gap = pk;
						tail += lead + tone - o < 160 ? lead + tone - o
									      : 160;
					}
					continue;
				}
				memset(muted + o, z, 160);
				if (first < 0)
					first = pk;
				if (gap >= 0) {
					holes++;
					tail = 0;
					gap = -1;
				}
				last_heard = pk;
			}
			HL_CHECK_MSG(presses == 1, "law %d offset %u: %d presses", law, s, presses);
			HL_CHECK_MSG(first >= 0, "law %d offset %u: never heard", law, s);
			if (first < 0)
				continue;
			unsigned int leak = (size_t)first * 160 > lead
						    ? (unsigned int)((size_t)first * 160 - lead)
						    : 0;
			worst = leak > worst ? leak : worst;
			best = leak < best ? leak : best;
			HL_CHECK_MSG(leak <= 203, "law %d offset %u: %u samples before heard", law,
				s, leak);
			HL_CHECK_MSG(holes == 0, "law %d offset %u: packets of the tone not heard",
				law, s);
			HL_CHECK_MSG(tail < 102, "law %d offset %u: last %zu samples not heard",
				law, s, tail);
			long end_pk = (long)((lead + tone - 1) / 160);
			HL_CHECK_MSG(last_heard >= end_pk - (tail > 0) && last_heard <= end_pk + 3,
				"law %d offset %u: heard until packet %ld, tone ends in %ld", law,
				s, last_heard, end_pk);
			HL_CHECK_STR(far_end_digits(pcm, n, (enum hl_dtmf_law)law), key);
			const char *left = far_end_digits(muted, n, (enum hl_dtmf_law)law);
			HL_CHECK_MSG(left[0] == '\0', "law %d offset %u: '%s' left after muting",
				law, s, left);
		}
	/* SpanDSP's blocks do not line up with packets: some starts leak nothing. */
	HL_CHECK_MSG(best == 0 && worst > 160 && worst <= 203, "leak %u..%u samples", best, worst);
}

/* A tone whose audio stops (silence suppression) ends on flush, once; nothing to flush
 * afterwards or when no tone runs. */
HL_TEST(inband_flush_ends_a_tone_cut_short)
{
	static uint8_t pcm[8000 * 4];
	struct hl_dtmf_inband d;
	struct hl_dtmf_event ev[4];
	size_t n = g711_tones("7", 400, 0, HL_DTMF_PCMU, pcm, sizeof(pcm));
	int got = 0;

	(void)n;
	HL_CHECK_INT(hl_dtmf_inband_init(&d), 0);
	HL_CHECK_INT(hl_dtmf_inband_flush(&d, ev, 4), 0);
	/* 200 ms of the 400 ms tone, then nothing */
	for (size_t off = 0; off < 1600; off += 160)
		got += hl_dtmf_inband_feed_g711(&d, HL_DTMF_PCMU, pcm + off, 160, ev, 4);
	HL_CHECK_INT(got, 0);
	HL_CHECK(d.tone == '7');
	HL_CHECK_INT(hl_dtmf_inband_flush(&d, ev, 4), 1);
	HL_CHECK(ev[0].digit == '7');
	HL_CHECK_MSG(ev[0].duration_ms >= 180 && ev[0].duration_ms <= 240, "%u ms",
		ev[0].duration_ms);
	HL_CHECK_INT(hl_dtmf_inband_flush(&d, ev, 4), 0);
	HL_CHECK(d.tone == 0);
}

/* Speech-like audio: a voiced sound (harmonics of 120 Hz with a formant envelope, pitch
 * drifting), noise, and music-like chords near DTMF frequencies but not pairs of them.
 * None of it may be taken for a key, nor heard as a tone to mute. */
HL_TEST(inband_speech_like_audio_gives_nothing)
{
	static int16_t buf[8000 * 7];
	struct hl_dtmf_inband d;
	int ngot = 0;
	uint32_t r = 12345;
	double ph = 0;

	/* 2 s each, then half a second of silence after each (a press is reported when its
	 * tone stops; the silence also ends whatever was taken for one) */
	memset(buf, 0, sizeof(buf));
	for (size_t i = 0; i < 8000 * 2; i++) {
		double f0 = 110 + 30 * sin(2 * M_PI * 0.7 * i / 8000.0), v = 0;
		ph += 2 * M_PI * f0 / 8000.0;
		for (int h = 1; h * f0 < 3400; h++) {
			double f = h * f0;
			double g = exp(-((f - 700) * (f - 700)) / (2 * 200.0 * 200)) +
				   0.6 * exp(-((f - 1200) * (f - 1200)) / (2 * 250.0 * 250)) +
				   0.3 * exp(-((f - 2500) * (f - 2500)) / (2 * 300.0 * 300));
			v += g * sin(h * ph) / h;
		}
		buf[i] = (int16_t)(6000 * v);
	}
	for (size_t i = 8000 * 5 / 2; i < 8000 * 9 / 2; i++) {
		r = r * 1103515245u + 12345u;
		buf[i] = (int16_t)((int32_t)(r >> 16) % 8000 - 4000);
	}
	for (size_t i = 8000 * 5; i < 8000 * 13 / 2; i++) {
		double t = i / 8000.0;
		/* 697 and 770 Hz are both low-group: no valid pair */
		buf[i] = (int16_t)(4000 * sin(2 * M_PI * 697 * t) + 4000 * sin(2 * M_PI * 770 * t) +
				   2000 * sin(2 * M_PI * 440 * t));
	}
	HL_CHECK_INT(hl_dtmf_inband_init(&d), 0);
	unsigned int heard = 0;
	for (size_t off = 0; off < HL_ARRAY_SIZE(buf); off += 160) {
		ngot += hl_dtmf_inband_feed(&d, buf + off, 160, (struct hl_dtmf_event[8]){0}, 8);
		heard += d.heard;
	}
	HL_CHECK_MSG(ngot == 0, "%d false keys", ngot);
	/* Nor is any of it heard as a tone: a relay muting tones leaves it alone. */
	HL_CHECK_MSG(
		heard == 0, "%u of %zu packets heard as tone", heard, HL_ARRAY_SIZE(buf) / 160);
	HL_CHECK(d.tone == 0);
}

/* ---- G.722 ---- */

/*
 * digits from SpanDSP's generator (on_ms, off_ms, then 500 ms of silence) as a wideband
 * terminal sends them: the 8 kHz tones taken to 16 kHz (a sample between each pair, their
 * mean) and G.722-encoded at 64 kbit/s with both bands, one octet per two samples.
 */
static size_t
g722_tones(const char *digits, int on_ms, int off_ms, uint8_t *out, size_t max)
{
	static int16_t lin[8000 * 10], wide[16000 * 10];
	dtmf_tx_state_t tx;
	g722_encode_state_t *enc;
	size_t n = 0;

	memset(lin, 0, sizeof(lin));
	HL_CHECK(dtmf_tx_init(&tx) != NULL);
	dtmf_tx_set_timing(&tx, on_ms, off_ms);
	HL_CHECK_INT(dtmf_tx_put(&tx, digits, -1), 0);
	for (;;) {
		int k = dtmf_tx(&tx, lin + n, 160);
		if (k <= 0)
			break;
		n += 160;
	}
	n += 4000;
	HL_CHECK(n <= max && n < HL_ARRAY_SIZE(lin));
	for (size_t i = 0; i < n; i++) {
		wide[2 * i] = lin[i];
		wide[2 * i + 1] = (int16_t)((lin[i] + lin[i + 1]) / 2);
	}
	HL_CHECK((enc = g722_encode_init(NULL, 64000, 0)) != NULL);
	HL_CHECK_INT(g722_encode(enc, out, wide, (int)(2 * n)), (int)n);
	g722_encode_free(enc);
	return n;
}

/* A wideband far end: decodes octets with both bands to 16 kHz and hears the digits in
 * them (pairs of samples averaged to 8 kHz) with a detector of its own. */
struct g722_far {
	g722_decode_state_t *dec;
	struct hl_dtmf_inband d;
	char got[64];
	int ngot;
	int peak; /* largest |sample| of the last far_hear() */
};

static void
far_init(struct g722_far *f)
{
	memset(f, 0, sizeof(*f));
	HL_CHECK((f->dec = g722_decode_init(NULL, 64000, 0)) != NULL);
	HL_CHECK_INT(hl_dtmf_inband_init(&f->d), 0);
}

static void
far_hear(struct g722_far *f, const uint8_t *pl, size_t len, size_t quiet_from)
{
	int16_t wide[2 * 1000], nb[1000];
	struct hl_dtmf_event ev[4];
	int k;

	HL_CHECK(len <= HL_ARRAY_SIZE(nb));
	HL_CHECK_INT(g722_decode(f->dec, wide, pl, (int)len), (int)(2 * len));
	f->peak = 0;
	for (size_t i = 0; i < len; i++) {
		nb[i] = (int16_t)((wide[2 * i] + wide[2 * i + 1]) / 2);
		for (int j = 0; j < 2 && i >= quiet_from; j++)
			if (abs(wide[2 * i + j]) > f->peak)
				f->peak = abs(wide[2 * i + j]);
	}
	k = hl_dtmf_inband_feed(&f->d, nb, len, ev, 4);
	for (int i = 0; i < k && f->ngot < 63; i++)
		f->got[f->ngot++] = ev[i].digit;
	f->got[f->ngot] = '\0';
}

/* Every digit once, in order, from a wideband sender's G.722 through the 8 kHz decoder,
 * in 20 ms payloads and odd sizes; the detector's clock is the RTP clock (one sample an
 * octet). */
HL_TEST(inband_g722_wideband_tones_detected_once)
{
	static const char digits[] = "0123456789*#ABCD";
	static uint8_t pl[8000 * 10];
	static const size_t sizes[] = {160, 240, 77, 1};
	size_t n = g722_tones(digits, 70, 60, pl, sizeof(pl));

	for (unsigned int z = 0; z < HL_ARRAY_SIZE(sizes); z++) {
		static struct hl_g722 g;
		struct hl_dtmf_inband d;
		struct hl_dtmf_event ev[4];
		char got[64];
		int ngot = 0;

		HL_CHECK_INT(hl_dtmf_inband_init(&d), 0);
		HL_CHECK_INT(hl_g722_init(&g), 0);
		for (size_t off = 0; off < n; off += sizes[z]) {
			size_t c = n - off < sizes[z] ? n - off : sizes[z];
			int k = hl_dtmf_inband_feed_g722(&d, &g, pl + off, c, ev, 4);
			for (int i = 0; i < k && ngot < 63; i++) {
				HL_CHECK_INT(ev[i].how, HL_DTMF_END_TONE);
				HL_CHECK_MSG(ev[i].duration_ms >= 30 && ev[i].duration_ms <= 90,
					"%c: %u ms", ev[i].digit, ev[i].duration_ms);
				got[ngot++] = ev[i].digit;
			}
		}
		got[ngot] = '\0';
		HL_CHECK_INT(d.samples, n);
		HL_CHECK_MSG(strcmp(got, digits) == 0, "%zu-octet payloads: '%s'", sizes[z], got);
	}
}

/*
 * Muting G.722 mid-stream: a far end that decoded the stream as relayed, tone and all,
 * is then sent hl_g722_silence() for every packet from some point of a key on (every
 * 20 ms packet boundary of the key's first 100 ms, and then for the rest of the
 * stream). Within 5 ms of the first muted packet the far end decodes silence (no
 * sample above 100 of 32767, -50 dBov; what is left of the tone before that decays
 * from the far end's upper band and is far too short for a key), and its detector
 * finds no key in what came before the cut plus what came after, as long as the cut
 * came before the tone could be confirmed (up to 160 samples in; the worker mutes
 * within 203). The same stream unmuted gives the far end the key: the check can fail.
 */
HL_TEST(inband_g722_silence_from_the_far_ends_state)
{
	static uint8_t pl[8000 * 4], sent[8000 * 4];
	size_t n = g722_tones("5", 300, 100, pl, sizeof(pl));
	static struct hl_g722 g;
	static struct g722_far far;

	/* unmuted: the far end hears the key */
	far_init(&far);
	for (size_t off = 0; off < n; off += 160)
		far_hear(&far, pl + off, n - off < 160 ? n - off : 160, 0);
	HL_CHECK_STR(far.got, "5");
	g722_decode_free(far.dec);

	for (size_t cut = 0; cut <= 800; cut += 160) {
		struct hl_dtmf_inband d;
		struct hl_dtmf_event ev[4];
		int mine = 0;

		far_init(&far);
		HL_CHECK_INT(hl_dtmf_inband_init(&d), 0);
		HL_CHECK_INT(hl_g722_init(&g), 0);
		memcpy(sent, pl, n);
		for (size_t off = 0; off < n; off += 160) {
			size_t c = n - off < 160 ? n - off : 160;

			mine += hl_dtmf_inband_feed_g722(&d, &g, sent + off, c, ev, 4);
			if (off >= cut)
				hl_g722_silence(&g, sent + off, c);
			far_hear(&far, sent + off, c, off == cut ? 40 : 0);
			if (off >= cut)
				HL_CHECK_MSG(far.peak <= 100, "cut at %zu, packet at %zu: peak %d",
					cut, off, far.peak);
		}
		HL_CHECK_INT(mine, 1); /* the detector here still heard the sender's key */
		if (cut <= 160)
			HL_CHECK_MSG(far.ngot == 0, "cut at %zu: far end heard '%s'", cut, far.got);
		g722_decode_free(far.dec);
	}
}

/*
 * The far end's decoder apart from the sender's stream when a muted run starts, two
 * ways. After a first muted run it followed our silence, not the sender, and 20 ms of
 * loud noise relayed since (two G.722 decoders fed the same codes take about half a
 * second to meet again) left it there. Or the sender started a new stream
 * (hl_g722_restart(): a new encoder) after a loud hum, while the far end's decoder went
 * on. Either way the run's silence starts from the far end's state, so it decodes there
 * to silence (within 5 ms of the run's first muted packet no sample above 100; silence
 * encoded from the sender's side came out at several hundred) and the far end hears no
 * key. A second of quieter noise relayed after it, and the far end's state is ours
 * again (far_apart: the second decode stops).
 */
HL_TEST(inband_g722_silence_from_the_far_ends_state_when_apart)
{
	static int16_t lin[8000 * 2], wide[16000 * 2];
	static uint8_t sent[8000 * 2];
	static struct hl_g722 g;
	static struct g722_far far;
	/* '5' (770 + 1336 Hz) for 200 ms at k1 and k2, noise (hum) before k2 from k1 + 200 ms */
	const size_t k1[2] = {0, 1600}, k2[2] = {1760, 3200}, n = 3200 + 1600 + 8000;

	for (int way = 0; way < 2; way++) {
		g722_encode_state_t *enc[2];
		struct hl_dtmf_inband d;
		struct hl_dtmf_event ev[4];
		uint32_t r = 12345;
		int mine = 0;

		for (size_t i = 0; i < n; i++) {
			double t = (double)i / 8000;

			r = r * 1103515245u + 12345u;
			if ((i >= k1[way] && i < k1[way] + 1600 && way == 0) ||
				(i >= k2[way] && i < k2[way] + 1600))
				lin[i] = (int16_t)(6000 * sin(2 * M_PI * 770 * t) +
						   6000 * sin(2 * M_PI * 1336 * t));
			else if (i < k2[way])
				lin[i] = way == 0 ? (int16_t)((int16_t)(r >> 16) / 2)
						  : (int16_t)(20000 * sin(2 * M_PI * 300 * t));
			else
				lin[i] = (int16_t)((int16_t)(r >> 16) / 8);
			wide[2 * i] = wide[2 * i + 1] = lin[i];
		}
		/* way 1: the hum from one encoder, the rest from a new one */
		HL_CHECK((enc[0] = g722_encode_init(NULL, 64000, 0)) != NULL);
		HL_CHECK((enc[1] = g722_encode_init(NULL, 64000, 0)) != NULL);
		size_t cut = way == 0 ? n : k2[way];
		HL_CHECK_INT(g722_encode(enc[0], sent, wide, (int)(2 * cut)), (int)cut);
		HL_CHECK_INT(g722_encode(enc[1], sent + cut, wide + 2 * cut, (int)(2 * (n - cut))),
			(int)(n - cut));
		g722_encode_free(enc[0]);
		g722_encode_free(enc[1]);

		far_init(&far);
		HL_CHECK_INT(hl_dtmf_inband_init(&d), 0);
		HL_CHECK_INT(hl_g722_init(&g), 0);
		for (size_t off = 0; off < n; off += 160) {
			/* each key muted from its second packet on, as the worker does */
			bool muted = (way == 0 && off >= k1[way] + 160 && off < k1[way] + 1600) ||
				     (off >= k2[way] + 160 && off < k2[way] + 1600);
			bool first = off == k1[way] + 160 || off == k2[way] + 160;

			if (way == 1 && off == cut)
				hl_g722_restart(&g);
			mine += hl_dtmf_inband_feed_g722(&d, &g, sent + off, 160, ev, 4);
			/* the encoder starts where the far end's lower band is */
			if (muted)
				HL_CHECK_MSG(memcmp(&((g722_encode_state_t *)g.enc)->band[0],
						     &far.dec->band[0], sizeof(g722_band_t)) == 0,
					"way %d, packet at %zu: encoder not at the far end's state",
					way, off);
			if (muted)
				hl_g722_silence(&g, sent + off, 160);
			far_hear(&far, sent + off, 160, first ? 40 : 0);
			if (muted)
				HL_CHECK_MSG(far.peak <= 100, "way %d, packet at %zu: peak %d", way,
					off, far.peak);
		}
		HL_CHECK_INT(mine, way == 0 ? 2 : 1);
		HL_CHECK_MSG(far.ngot == 0, "way %d: far end heard '%s'", way, far.got);
		HL_CHECK_MSG(!g.far_apart, "way %d: far end's state still apart", way);
		g722_decode_free(far.dec);
	}
}

/* ---- Opus ---- */

/* 48 kHz samples [from, from + n) of digit key's two sines at about -10 dBm0 each
 * (Q.23 frequencies), 0 outside [on, off) */
static void
opus_key48(int16_t *out, size_t from, size_t n, char key, size_t on, size_t off)
{
	static const char keys[] = "123A456B789C*0#D";
	static const double lo[4] = {697, 770, 852, 941}, hi[4] = {1209, 1336, 1477, 1633};
	const char *p = strchr(keys, key);
	int i = p != NULL ? (int)(p - keys) : 0;

	for (size_t k = 0; k < n; k++) {
		size_t t = from + k;
		double v = 0;
		if (t >= on && t < off)
			v = 6000 * (sin(2 * M_PI * lo[i / 4] * (double)t / 48000) +
					   sin(2 * M_PI * hi[i % 4] * (double)t / 48000));
		out[k] = (int16_t)v;
	}
}

/*
 * Keys through Opus as senders make it: SpanDSP's generator through an 8 kHz encoder
 * in 20 ms packets, and fullband sines through a 48 kHz one in 10, 20, 40 and 60 ms
 * packets: the detector, fed the packets decoded at 8 kHz, finds each key once. A
 * packet of 1 or 2 octets (DTX) is not decoded and changes nothing.
 */
HL_TEST(inband_opus_tones_detected_once)
{
	static const char digits[] = "159*#0ABCD2";
	static int16_t lin[8000 * 6];
	struct hl_dtmf_inband d;
	struct hl_dtmf_event ev[8];
	char got[64];
	int ngot = 0, err;
	size_t n = 0;
	uint8_t pk[1500];
	struct hl_opus_dec *dec = malloc(hl_opus_dec_size());
	OpusEncoder *enc = opus_encoder_create(8000, 1, OPUS_APPLICATION_VOIP, &err);
	dtmf_tx_state_t tx;

	HL_CHECK(dec != NULL && enc != NULL);
	if (dec == NULL || enc == NULL)
		goto out;
	HL_CHECK_INT(hl_opus_dec_init(dec), 0);
	HL_CHECK_INT(hl_dtmf_inband_init(&d), 0);
	HL_CHECK(dtmf_tx_init(&tx) != NULL);
	dtmf_tx_set_timing(&tx, 80, 80);
	HL_CHECK_INT(dtmf_tx_put(&tx, digits, -1), 0);
	for (int k; (k = dtmf_tx(&tx, lin + n, 160)) > 0;)
		n += 160;
	n += 4000;
	HL_CHECK(n < HL_ARRAY_SIZE(lin));
	for (size_t off = 0; off + 160 <= n; off += 160) {
		int len = opus_encode(enc, lin + off, 160, pk, sizeof(pk));
		HL_CHECK(len > 2);
		int k = hl_dtmf_inband_feed_opus(&d, dec, pk, (size_t)len, ev, 8);
		for (int i = 0; i < k && ngot < 63; i++)
			got[ngot++] = ev[i].digit;
		/* DTX between packets: not decoded, not fed */
		uint8_t dtx[2] = {pk[0] & 0xfc, 0};
		HL_CHECK_INT(hl_dtmf_inband_feed_opus(&d, dec, dtx, 1, ev, 8), 0);
		HL_CHECK_INT(hl_dtmf_inband_feed_opus(&d, dec, dtx, 2, ev, 8), 0);
	}
	got[ngot] = '\0';
	HL_CHECK_STR(got, digits);
	HL_CHECK_INT(d.samples, n / 160 * 160);

	static const int frames[] = {480, 960, 1920, 2880};
	for (unsigned int f = 0; f < HL_ARRAY_SIZE(frames); f++) {
		static int16_t wide[2880];
		OpusEncoder *e48 = opus_encoder_create(48000, 1, OPUS_APPLICATION_AUDIO, &err);
		const char *keys = "7#3";

		HL_CHECK(e48 != NULL);
		if (e48 == NULL)
			break;
		HL_CHECK_INT(hl_opus_dec_init(dec), 0);
		HL_CHECK_INT(hl_dtmf_inband_init(&d), 0);
		ngot = 0;
		/* each key 120 ms on, 120 ms off, after 100 ms */
		for (size_t t = 0; t < 48000; t += (size_t)frames[f]) {
			size_t slot = t < 4800 ? 99 : (t - 4800) / 11520;
			char key = slot < 3 ? keys[slot] : '1';
			size_t on = 4800 + slot * 11520, off = on + 5760;

			opus_key48(wide, t, (size_t)frames[f], key, slot < 3 ? on : 0,
				slot < 3 ? off : 0);
			int len = opus_encode(e48, wide, frames[f], pk, sizeof(pk));
			HL_CHECK(len > 2);
			int k = hl_dtmf_inband_feed_opus(&d, dec, pk, (size_t)len, ev, 8);
			for (int i = 0; i < k && ngot < 63; i++)
				got[ngot++] = ev[i].digit;
		}
		got[ngot] = '\0';
		HL_CHECK_MSG(strcmp(got, keys) == 0, "%d-sample packets: '%s'", frames[f], got);
		opus_encoder_destroy(e48);
	}
out:
	opus_encoder_destroy(enc);
	free(dec);
}

/*
 * hl_opus_silence(): for every packet duration (2.5 to 120 ms, one frame or several)
 * and every length from a few octets to 400, a packet of that length and duration
 * that libopus takes, never a zero-length frame, and that a decoder which was playing
 * a loud key plays as silence (peak under -50 dBov) past its first 5 ms, and in the
 * packets after it. Lengths too
 * short for any silence are refused, the payload left as it was; from 32 octets every
 * duration fits.
 */
HL_TEST(opus_silence_any_duration_and_length)
{
	/* TOC (and frame count) of a packet of each duration: CELT 2.5/5 ms, SILK 10-60
	 * ms, code 3 for 80, 100 and 120 ms (RFC 6716 §3.1, §3.2.5) */
	static const struct {
		int dur;
		uint8_t toc, count;
	} kinds[] = {
		{120, 16 << 3, 0},
		{240, 17 << 3, 0},
		{480, 0 << 3, 0},
		{960, 1 << 3, 0},
		{1920, 2 << 3, 0},
		{2880, 3 << 3, 0},
		{3840, 1 << 3 | 3, 4},
		{4800, 1 << 3 | 3, 5},
		{5760, 3 << 3 | 3, 2},
		{1920, 1 << 3 | 1, 0},
	};
	static int16_t wide[5760], tone[960];
	uint8_t pk[1500], loud[1500];
	int err, loud_len;
	OpusEncoder *e48 = opus_encoder_create(48000, 1, OPUS_APPLICATION_AUDIO, &err);
	OpusDecoder *dec = opus_decoder_create(48000, 1, &err);

	HL_CHECK_INT(hl_opus_silence_init(), 0);
	HL_CHECK(e48 != NULL && dec != NULL);
	if (e48 == NULL || dec == NULL)
		goto out;
	opus_key48(tone, 0, 960, '5', 0, 960);
	loud_len = opus_encode(e48, tone, 960, loud, sizeof(loud));
	HL_CHECK(loud_len > 2);
	for (unsigned int k = 0; k < HL_ARRAY_SIZE(kinds); k++) {
		for (size_t len = 1; len <= 400; len++) {
			memset(pk, 0x5a, len);
			pk[0] = kinds[k].toc;
			if (kinds[k].count && len > 1)
				pk[1] = kinds[k].count;
			if (opus_packet_get_nb_samples(pk, (opus_int32)len, 48000) != kinds[k].dur)
				continue; /* too short for its own TOC */
			uint8_t before[1500];
			memcpy(before, pk, len);
			int rc = hl_opus_silence(pk, len);
			if (rc != 0) {
				HL_CHECK_MSG(len < 32, "%d samples, %zu octets refused",
					kinds[k].dur, len);
				HL_CHECK(memcmp(before, pk, len) == 0);
				continue;
			}
			HL_CHECK_INT(opus_packet_get_nb_samples(pk, (opus_int32)len, 48000),
				kinds[k].dur);
			/* no zero-length frame */
			const unsigned char *fr[48];
			opus_int16 sz[48];
			int nf = opus_packet_parse(pk, (opus_int32)len, NULL, fr, sz, NULL);
			HL_CHECK_MSG(
				nf > 0, "%d samples, %zu octets: parse %d", kinds[k].dur, len, nf);
			for (int i = 0; i < nf; i++)
				HL_CHECK_MSG(sz[i] > 1, "%zu octets: frame %d of %d octets", len, i,
					sz[i]);
			/* a decoder in the middle of a key, then the silence */
			HL_CHECK(opus_decoder_ctl(dec, OPUS_RESET_STATE) == OPUS_OK);
			for (int i = 0; i < 3; i++)
				HL_CHECK_INT(opus_decode(dec, loud, loud_len, wide, 5760, 0), 960);
			/* the first 5 ms fade out of the key; a run of muted packets goes on */
			int peak = 0;
			for (int r = 0; r < 3; r++) {
				int got = opus_decode(dec, pk, (opus_int32)len, wide, 5760, 0);
				HL_CHECK_MSG(
					got == kinds[k].dur, "%zu octets: decoded %d", len, got);
				for (int i = r == 0 ? 240 : 0; i < got; i++)
					peak = abs(wide[i]) > peak ? abs(wide[i]) : peak;
			}
			HL_CHECK_MSG(peak < 104, "%d samples, %zu octets: peak %d", kinds[k].dur,
				len, peak);
		}
	}
	/* not Opus at all: refused, unchanged */
	pk[0] = 1 << 3 | 3;
	pk[1] = 0; /* code 3 with no frames */
	HL_CHECK_INT(hl_opus_silence(pk, 40), -1);
out:
	opus_encoder_destroy(e48);
	opus_decoder_destroy(dec);
}

HL_TEST_MAIN()
