/* RFC 4733 telephone-event receiver and in-band DTMF detector: see include/hotline/dtmf.h. */
#include <string.h>

#include <pthread.h>

#include <opus.h>
#define SPANDSP_EXPOSE_INTERNAL_STRUCTURES
#include <spandsp.h>

#include "hotline/dtmf.h"

_Static_assert(sizeof(dtmf_rx_state_t) <= HL_DTMF_INBAND_STORAGE,
	       "HL_DTMF_INBAND_STORAGE too small for this SpanDSP");
_Static_assert(sizeof(g722_band_t) == HL_G722_BAND_STORAGE, "hl_g722: far's storage");
_Static_assert(sizeof(g722_decode_state_t) <= HL_G722_STORAGE &&
		       sizeof(g722_encode_state_t) <= HL_G722_STORAGE,
	       "HL_G722_STORAGE too small for this SpanDSP");

static const char *const counter_names[] = {
#define CNT_NAME_(sym, desc) desc,
	HL_DTMF_FOREACH_COUNTER(CNT_NAME_)
#undef CNT_NAME_
};

const char *
hl_dtmf_counter_name(unsigned int counter)
{
	return counter < HL_DTMF_CNT_MAX_ ? counter_names[counter] : NULL;
}

char
hl_dtmf_digit(unsigned int event)
{
	/* RFC 4733 §3.2: 0-9, 10 '*', 11 '#', 12-15 A-D, 16 flash */
	static const char digits[17] = "0123456789*#ABCD" "!";
	return event < sizeof(digits) ? digits[event] : 0;
}

int
hl_dtmf_event_code(char digit)
{
	for (unsigned int e = 0; e <= 16; e++)
		if (hl_dtmf_digit(e) == digit)
			return (int)e;
	return -1;
}

int
hl_dtmf_4733_parse(const uint8_t *payload, size_t len, struct hl_dtmf_4733_block *out,
		   unsigned int max)
{
	unsigned int n = 0;

	if (len < 4)
		return HL_E_PARSE;
	/* §2.3: event (8) | E (1) R (1) volume (6) | duration (16), per block */
	for (size_t off = 0; off + 4 <= len && n < max; off += 4, n++) {
		out[n].event = payload[off];
		out[n].end = payload[off + 1] >> 7;
		out[n].volume = payload[off + 1] & 0x3f;
		out[n].duration = (uint16_t)(payload[off + 2] << 8 | payload[off + 3]);
	}
	return (int)n;
}

void
hl_dtmf_4733_init(struct hl_dtmf_4733 *st, uint32_t clock_rate, uint32_t timeout_ms)
{
	memset(st, 0, sizeof(*st));
	st->clock_rate = clock_rate ? clock_rate : 8000;
	st->timeout_ms = timeout_ms;
}

static void
finish(struct hl_dtmf_4733 *st, enum hl_dtmf_end how, struct hl_dtmf_event *ev)
{
	uint64_t units = (uint64_t)st->base_dur + st->seg_dur;

	ev->digit = hl_dtmf_digit(st->event);
	ev->how = (uint8_t)how;
	ev->start_ts = st->start_ts;
	ev->start_ms = st->start_ms;
	ev->duration_ms = (uint32_t)(units * 1000 / st->clock_rate);
	st->done_ts = st->seg_ts;
	st->done_event = st->event;
	st->have_done = 1;
	st->active = 0;
	st->cnt[HL_DTMF_CNT_PRESSES]++;
	if (how != HL_DTMF_END_BIT)
		st->cnt[HL_DTMF_CNT_LOST_END]++;
}

/* Up to this many blocks of one payload are looked at; more is not seen from senders. */
#define MAX_BLOCKS 8

int
hl_dtmf_4733_feed(struct hl_dtmf_4733 *st, uint16_t seq, uint32_t ts, int marker,
		  const uint8_t *payload, size_t len, uint64_t now_ms, struct hl_dtmf_event out[2])
{
	struct hl_dtmf_4733_block b[MAX_BLOCKS];
	const struct hl_dtmf_4733_block *cur;
	int nb, n = 0;

	(void)marker; /* a press is keyed on its timestamp; M only repeats that (§2.5.1.1) */
	nb = hl_dtmf_4733_parse(payload, len, b, MAX_BLOCKS);
	if (nb < 0) {
		st->cnt[HL_DTMF_CNT_MALFORMED]++;
		return nb;
	}
	/* Duplicates (the 3 end packets share one sequence number) and late packets; a
	 * big step back is a restarted sender, not reordering. */
	if (st->have_seq) {
		int16_t d = (int16_t)(seq - st->last_seq);
		if (d <= 0 && d > -1000) {
			st->cnt[HL_DTMF_CNT_DUP]++;
			return 0;
		}
	}
	st->have_seq = 1;
	st->last_seq = seq;
	cur = &b[nb - 1];

	/* §2.5.1.4: earlier blocks are events that already ended; one may be the end of
	 * the press in progress whose end packets we lost. */
	for (int i = 0; i < nb - 1 && st->active; i++) {
		if (b[i].end && b[i].event == st->event && ts != st->seg_ts) {
			if (b[i].duration > st->seg_dur)
				st->seg_dur = b[i].duration;
			finish(st, HL_DTMF_END_BIT, &out[n++]);
		}
	}
	if (hl_dtmf_digit(cur->event) == 0) {
		st->cnt[HL_DTMF_CNT_NOT_DTMF]++;
		return n;
	}
	if (st->have_done && ts == st->done_ts && cur->event == st->done_event) {
		st->cnt[HL_DTMF_CNT_AFTER_END]++;
		return n;
	}
	if (st->active && ts != st->seg_ts) {
		uint32_t step = ts - st->seg_ts;
		/* §2.5.1.2: a long event goes on in a new segment at ts + 0xFFFF-ish units */
		if (cur->event == st->event && st->seg_dur >= 0xf000 && step < 0x80000000u &&
		    step <= st->seg_dur + st->clock_rate / 50) {
			st->base_dur += step;
			st->seg_ts = ts;
			st->seg_dur = 0;
		} else {
			finish(st, HL_DTMF_END_NEXT, &out[n++]);
		}
	} else if (st->active && cur->event != st->event) {
		/* a new event on the same timestamp: a broken sender; one press each */
		finish(st, HL_DTMF_END_NEXT, &out[n++]);
	}
	if (n == 2)
		return n; /* two ends in one packet: the new press starts with its next packet */
	if (!st->active) {
		st->active = 1;
		st->event = cur->event;
		st->start_ts = ts;
		st->seg_ts = ts;
		st->seg_dur = 0;
		st->base_dur = 0;
		st->start_ms = now_ms;
	}
	if (cur->duration > st->seg_dur) {
		st->seg_dur = cur->duration;
	} else if (st->seg_dur - cur->duration > 0x8000u) {
		/* duration wrapped past 0xFFFF on the same timestamp (non-conforming) */
		st->base_dur += 0x10000u;
		st->seg_dur = cur->duration;
	}
	st->last_ms = now_ms;
	if (cur->end)
		finish(st, HL_DTMF_END_BIT, &out[n++]);
	return n;
}

int
hl_dtmf_4733_tick(struct hl_dtmf_4733 *st, uint64_t now_ms, struct hl_dtmf_event *out)
{
	if (!st->active || now_ms - st->last_ms < st->timeout_ms)
		return 0;
	finish(st, HL_DTMF_END_TIMEOUT, out);
	return 1;
}

/* ---- in-band, SpanDSP dtmf_rx ---- */

#define INBAND_RATE 8000

static void
tone_report(void *user_data, int code, int level, int delay)
{
	struct hl_dtmf_inband *d = user_data;

	(void)level;
	(void)delay;
	if (code) {
		d->heard = 1;
		d->tone = (char)code;
		d->tone_start = d->samples;
		d->start_ms = d->samples * 1000 / INBAND_RATE;
		return;
	}
	if (d->tone == 0)
		return;
	if (d->n_pending < HL_ARRAY_SIZE(d->pending)) {
		struct hl_dtmf_event *ev = &d->pending[d->n_pending++];
		ev->digit = d->tone;
		ev->how = HL_DTMF_END_TONE;
		ev->start_ts = 0;
		ev->start_ms = d->start_ms;
		ev->duration_ms = (uint32_t)((d->samples - d->tone_start) * 1000 / INBAND_RATE);
	}
	d->tone = 0;
}

int
hl_dtmf_inband_init(struct hl_dtmf_inband *d)
{
	dtmf_rx_state_t *rx = (dtmf_rx_state_t *)d->rx_storage;

	memset(d, 0, sizeof(*d));
	if (dtmf_rx_init(rx, NULL, NULL) != rx)
		return HL_E_DEPENDENCY;
	dtmf_rx_set_realtime_callback(rx, tone_report, d);
	return 0;
}

/* Chunk the input so the reported positions are within 20 ms of the truth. */
#define INBAND_CHUNK 160

/*
 * Feeds n samples without clearing heard. After each chunk, the tone is heard when
 * SpanDSP's last block analysis found a key (last_hit: one 102-sample block, before
 * the second one that confirms it and calls tone_report) or a confirmed one still runs
 * (in_digit: it clears only after two blocks without). tone_report() sets it too, for
 * a tone that starts and ends within one feed (packets longer than 40 ms).
 */
static int
feed_linear(struct hl_dtmf_inband *d, const int16_t *samples, size_t n,
	    struct hl_dtmf_event *out, unsigned int max)
{
	dtmf_rx_state_t *rx = (dtmf_rx_state_t *)d->rx_storage;
	unsigned int w = 0;

	while (n) {
		size_t c = n < INBAND_CHUNK ? n : INBAND_CHUNK;
		dtmf_rx(rx, samples, (int)c);
		d->heard |= (uint8_t)(rx->last_hit != 0 || rx->in_digit != 0);
		d->samples += c;
		samples += c;
		n -= c;
		for (unsigned int i = 0; i < d->n_pending && w < max; i++)
			out[w++] = d->pending[i];
		d->n_pending = 0;
	}
	/* digit string buffer of dtmf_rx is unused: keep it from filling */
	rx->current_digits = 0;
	rx->digits[0] = '\0';
	return (int)w;
}

int
hl_dtmf_inband_feed(struct hl_dtmf_inband *d, const int16_t *samples, size_t n,
		    struct hl_dtmf_event *out, unsigned int max)
{
	d->heard = 0;
	return feed_linear(d, samples, n, out, max);
}

/* ---- G.711 payloads ---- */

/*
 * ITU-T G.711 decoding, octet to 16-bit linear (the values of SpanDSP's
 * ulaw_to_linear() and alaw_to_linear(), checked entry by entry in tests/test_dtmf.c):
 * one load a sample instead of the bit arithmetic.
 */
static const int16_t ulaw_lin[256] = {
	-32124, -31100, -30076, -29052, -28028, -27004, -25980, -24956,
	-23932, -22908, -21884, -20860, -19836, -18812, -17788, -16764,
	-15996, -15484, -14972, -14460, -13948, -13436, -12924, -12412,
	-11900, -11388, -10876, -10364, -9852, -9340, -8828, -8316,
	-7932, -7676, -7420, -7164, -6908, -6652, -6396, -6140,
	-5884, -5628, -5372, -5116, -4860, -4604, -4348, -4092,
	-3900, -3772, -3644, -3516, -3388, -3260, -3132, -3004,
	-2876, -2748, -2620, -2492, -2364, -2236, -2108, -1980,
	-1884, -1820, -1756, -1692, -1628, -1564, -1500, -1436,
	-1372, -1308, -1244, -1180, -1116, -1052, -988, -924,
	-876, -844, -812, -780, -748, -716, -684, -652,
	-620, -588, -556, -524, -492, -460, -428, -396,
	-372, -356, -340, -324, -308, -292, -276, -260,
	-244, -228, -212, -196, -180, -164, -148, -132,
	-120, -112, -104, -96, -88, -80, -72, -64,
	-56, -48, -40, -32, -24, -16, -8, 0,
	32124, 31100, 30076, 29052, 28028, 27004, 25980, 24956,
	23932, 22908, 21884, 20860, 19836, 18812, 17788, 16764,
	15996, 15484, 14972, 14460, 13948, 13436, 12924, 12412,
	11900, 11388, 10876, 10364, 9852, 9340, 8828, 8316,
	7932, 7676, 7420, 7164, 6908, 6652, 6396, 6140,
	5884, 5628, 5372, 5116, 4860, 4604, 4348, 4092,
	3900, 3772, 3644, 3516, 3388, 3260, 3132, 3004,
	2876, 2748, 2620, 2492, 2364, 2236, 2108, 1980,
	1884, 1820, 1756, 1692, 1628, 1564, 1500, 1436,
	1372, 1308, 1244, 1180, 1116, 1052, 988, 924,
	876, 844, 812, 780, 748, 716, 684, 652,
	620, 588, 556, 524, 492, 460, 428, 396,
	372, 356, 340, 324, 308, 292, 276, 260,
	244, 228, 212, 196, 180, 164, 148, 132,
	120, 112, 104, 96, 88, 80, 72, 64,
	56, 48, 40, 32, 24, 16, 8, 0,
};
static const int16_t alaw_lin[256] = {
	-5504, -5248, -6016, -5760, -4480, -4224, -4992, -4736,
	-7552, -7296, -8064, -7808, -6528, -6272, -7040, -6784,
	-2752, -2624, -3008, -2880, -2240, -2112, -2496, -2368,
	-3776, -3648, -4032, -3904, -3264, -3136, -3520, -3392,
	-22016, -20992, -24064, -23040, -17920, -16896, -19968, -18944,
	-30208, -29184, -32256, -31232, -26112, -25088, -28160, -27136,
	-11008, -10496, -12032, -11520, -8960, -8448, -9984, -9472,
	-15104, -14592, -16128, -15616, -13056, -12544, -14080, -13568,
	-344, -328, -376, -360, -280, -264, -312, -296,
	-472, -456, -504, -488, -408, -392, -440, -424,
	-88, -72, -120, -104, -24, -8, -56, -40,
	-216, -200, -248, -232, -152, -136, -184, -168,
	-1376, -1312, -1504, -1440, -1120, -1056, -1248, -1184,
	-1888, -1824, -2016, -1952, -1632, -1568, -1760, -1696,
	-688, -656, -752, -720, -560, -528, -624, -592,
	-944, -912, -1008, -976, -816, -784, -880, -848,
	5504, 5248, 6016, 5760, 4480, 4224, 4992, 4736,
	7552, 7296, 8064, 7808, 6528, 6272, 7040, 6784,
	2752, 2624, 3008, 2880, 2240, 2112, 2496, 2368,
	3776, 3648, 4032, 3904, 3264, 3136, 3520, 3392,
	22016, 20992, 24064, 23040, 17920, 16896, 19968, 18944,
	30208, 29184, 32256, 31232, 26112, 25088, 28160, 27136,
	11008, 10496, 12032, 11520, 8960, 8448, 9984, 9472,
	15104, 14592, 16128, 15616, 13056, 12544, 14080, 13568,
	344, 328, 376, 360, 280, 264, 312, 296,
	472, 456, 504, 488, 408, 392, 440, 424,
	88, 72, 120, 104, 24, 8, 56, 40,
	216, 200, 248, 232, 152, 136, 184, 168,
	1376, 1312, 1504, 1440, 1120, 1056, 1248, 1184,
	1888, 1824, 2016, 1952, 1632, 1568, 1760, 1696,
	688, 656, 752, 720, 560, 528, 624, 592,
	944, 912, 1008, 976, 816, 784, 880, 848,
};

int16_t
hl_dtmf_g711_linear(enum hl_dtmf_law law, uint8_t octet)
{
	return law == HL_DTMF_PCMA ? alaw_lin[octet] : ulaw_lin[octet];
}

int
hl_dtmf_inband_feed_g711(struct hl_dtmf_inband *d, enum hl_dtmf_law law, const uint8_t *payload,
			 size_t len, struct hl_dtmf_event *out, unsigned int max)
{
	const int16_t *tab = law == HL_DTMF_PCMA ? alaw_lin : ulaw_lin;
	int16_t buf[INBAND_CHUNK];
	unsigned int w = 0;

	d->heard = 0;
	while (len) {
		size_t c = len < INBAND_CHUNK ? len : INBAND_CHUNK;
		for (size_t i = 0; i < c; i++)
			buf[i] = tab[payload[i]];
		w += (unsigned int)feed_linear(d, buf, c, out + w, max - w);
		payload += c;
		len -= c;
	}
	return (int)w;
}

/* SpanDSP ends a tone after two blocks (2 x 102 samples) without it: 60 ms is room. */
#define FLUSH_SAMPLES 480

int
hl_dtmf_inband_flush(struct hl_dtmf_inband *d, struct hl_dtmf_event *out, unsigned int max)
{
	static const int16_t zero[INBAND_CHUNK / 4];
	unsigned int w = 0;

	for (unsigned int n = 0; d->tone != 0 && n < FLUSH_SAMPLES; n += HL_ARRAY_SIZE(zero))
		w += (unsigned int)feed_linear(d, zero, HL_ARRAY_SIZE(zero), out + w, max - w);
	return (int)w;
}

/* ---- G.722 payloads ---- */

int
hl_g722_init(struct hl_g722 *g)
{
	g722_decode_state_t *dec = (g722_decode_state_t *)g->dec;
	g722_encode_state_t *enc = (g722_encode_state_t *)g->enc;

	memset(g, 0, sizeof(*g));
	if (g722_decode_init(dec, 64000, G722_SAMPLE_RATE_8000) != dec ||
	    g722_encode_init(enc, 64000, G722_SAMPLE_RATE_8000) != enc)
		return HL_E_DEPENDENCY;
	return 0;
}

/* The far end's lower band, dec's while they are one. */
static inline g722_band_t *
far_band(struct hl_g722 *g)
{
	return g->far_apart ? (g722_band_t *)g->far : &((g722_decode_state_t *)g->dec)->band[0];
}

/* far is b now: apart from dec unless equal to it. */
static void
far_set(struct hl_g722 *g, const g722_band_t *b)
{
	const g722_decode_state_t *dec = (const g722_decode_state_t *)g->dec;

	memcpy(g->far, b, sizeof(*b));
	g->far_apart = memcmp(b, &dec->band[0], sizeof(*b)) != 0;
}

void
hl_g722_restart(struct hl_g722 *g)
{
	g722_decode_state_t *dec = (g722_decode_state_t *)g->dec;
	g722_band_t far = *far_band(g);

	/* With caller storage SpanDSP's init only fills the state in: it cannot fail. */
	(void)g722_decode_init(dec, 64000, G722_SAMPLE_RATE_8000);
	far_set(g, &far);
}

void
hl_g722_far_restart(struct hl_g722 *g)
{
	g722_decode_state_t fresh;

	(void)g722_decode_init(&fresh, 64000, G722_SAMPLE_RATE_8000);
	far_set(g, &fresh.band[0]);
}

int
hl_dtmf_inband_feed_g722(struct hl_dtmf_inband *d, struct hl_g722 *g, const uint8_t *payload,
			 size_t len, struct hl_dtmf_event *out, unsigned int max)
{
	g722_decode_state_t *dec = (g722_decode_state_t *)g->dec;
	g722_encode_state_t *enc = (g722_encode_state_t *)g->enc;
	int16_t buf[INBAND_CHUNK];
	unsigned int w = 0;

	const uint8_t *p = payload;
	size_t n = len;

	/* Where the far end is before this packet: where silence starts if it is muted. */
	enc->band[0] = *far_band(g);
	if (d != NULL)
		d->heard = 0;
	while (n) {
		size_t c = n < INBAND_CHUNK ? n : INBAND_CHUNK;
		int k = g722_decode(dec, buf, p, (int)c);
		if (d != NULL && k > 0)
			w += (unsigned int)feed_linear(d, buf, (size_t)k, out + w, max - w);
		p += c;
		n -= c;
	}
	if (g->far_apart) {
		/* The far end decodes the packet from its own state (hl_g722_silence() puts it
		 * back if the packet is muted): dec's lower band swapped for a second decode,
		 * the only state the 8 kHz decode reads or writes. */
		g722_band_t mine = dec->band[0];

		dec->band[0] = *(g722_band_t *)g->far;
		while (len) {
			size_t c = len < INBAND_CHUNK ? len : INBAND_CHUNK;
			(void)g722_decode(dec, buf, payload, (int)c);
			payload += c;
			len -= c;
		}
		g722_band_t far = dec->band[0];
		dec->band[0] = mine;
		far_set(g, &far);
	}
	return (int)w;
}

void
hl_g722_silence(struct hl_g722 *g, uint8_t *payload, size_t len)
{
	static const int16_t zero[INBAND_CHUNK];
	g722_encode_state_t *enc = (g722_encode_state_t *)g->enc;

	while (len) {
		size_t c = len < INBAND_CHUNK ? len : INBAND_CHUNK;
		g722_encode(enc, payload, zero, (int)c);
		payload += c;
		len -= c;
	}
	/* The far end decodes these codes as the encoder's own decoder did. */
	far_set(g, &enc->band[0]);
}

/* ---- Opus payloads ---- */

/* RFC 6716 §2: at most 120 ms a packet, 960 samples at our 8 kHz output. */
#define OPUS_MAX_8K 960

size_t
hl_opus_dec_size(void)
{
	return (size_t)opus_decoder_get_size(1);
}

int
hl_opus_dec_init(struct hl_opus_dec *dec)
{
	if (opus_decoder_init((OpusDecoder *)dec, INBAND_RATE, 1) != OPUS_OK)
		return HL_E_DEPENDENCY;
	return 0;
}

int
hl_dtmf_inband_feed_opus(struct hl_dtmf_inband *d, struct hl_opus_dec *dec, const uint8_t *payload,
	size_t len, struct hl_dtmf_event *out, unsigned int max)
{
	int16_t buf[OPUS_MAX_8K];
	int k;

	d->heard = 0;
	/* §3.2.1: a frame of 0 or 1 octets is DTX or a loss, which libopus conceals. */
	if (len <= 2 || len > INT32_MAX)
		return 0;
	k = opus_decode((OpusDecoder *)dec, payload, (opus_int32)len, buf, OPUS_MAX_8K, 0);
	if (k <= 0)
		return 0;
	return feed_linear(d, buf, (size_t)k, out, max);
}

/* One silence frame per duration, longest first: 60, 40, 20, 10, 5, 2.5 ms at 48 kHz. */
static const int silence_dur[] = {2880, 1920, 960, 480, 240, 120};
#define SILENCE_MAX 64
static struct {
	uint8_t frame[SILENCE_MAX]; /* a code 0 packet: TOC, then the frame */
	uint8_t len;
} silence[HL_ARRAY_SIZE(silence_dur)];
static pthread_once_t silence_once = PTHREAD_ONCE_INIT;
static int silence_rc = HL_E_DEPENDENCY;

/* Digital silence from a fresh 8 kHz VoIP encoder, its third frame (steady state). A
 * frame of 2 octets or less would be concealed, not decoded: then at a constant
 * 32 kbit/s. */
static int
silence_build(unsigned int i)
{
	static const opus_int16 zero[OPUS_MAX_8K];
	int frame = silence_dur[i] / 6; /* 48 kHz to our 8 kHz */
	int rc = HL_E_DEPENDENCY;

	for (int cbr = 0; cbr < 2 && rc != 0; cbr++) {
		int err, n = 0;
		OpusEncoder *e = opus_encoder_create(INBAND_RATE, 1, OPUS_APPLICATION_VOIP, &err);

		if (e == NULL)
			return HL_E_DEPENDENCY;
		if (opus_encoder_ctl(e, OPUS_SET_BITRATE(cbr ? 32000 : 6000)) == OPUS_OK &&
			opus_encoder_ctl(e, OPUS_SET_VBR(!cbr)) == OPUS_OK &&
			opus_encoder_ctl(e, OPUS_SET_INBAND_FEC(0)) == OPUS_OK &&
			opus_encoder_ctl(e, OPUS_SET_DTX(0)) == OPUS_OK)
			for (int k = 0; k < 3 && n >= 0; k++)
				n = opus_encode(e, zero, frame, silence[i].frame, SILENCE_MAX);
		opus_encoder_destroy(e);
		if (n > 2 && (silence[i].frame[0] & 3) == 0 &&
			opus_packet_get_nb_samples(silence[i].frame, n, 48000) == silence_dur[i]) {
			silence[i].len = (uint8_t)n;
			rc = 0;
		}
	}
	return rc;
}

static void
silence_init_once(void)
{
	for (unsigned int i = 0; i < HL_ARRAY_SIZE(silence_dur); i++)
		if (silence_build(i) != 0)
			return;
	silence_rc = 0;
}

int
hl_opus_silence_init(void)
{
	(void)pthread_once(&silence_once, silence_init_once);
	return silence_rc;
}

int
hl_opus_silence(uint8_t *payload, size_t len)
{
	int dur;

	if (silence_rc != 0 || len < 1 || len > INT32_MAX)
		return -1;
	dur = opus_packet_get_nb_samples(payload, (opus_int32)len, 48000);
	if (dur <= 0)
		return -1;
	for (unsigned int i = 0; i < HL_ARRAY_SIZE(silence_dur); i++) {
		const uint8_t *f = silence[i].frame;
		size_t m = (size_t)(dur / silence_dur[i]), fl = silence[i].len - 1u;

		/* §3.2.5: at most 48 frames, 120 ms */
		if (dur % silence_dur[i] != 0 || m > 48)
			continue;
		if (m == 1 && len == fl + 1) {
			memcpy(payload, f, len); /* code 0 */
			return 0;
		}
		if (len < 2 + m * fl)
			continue; /* a shorter frame may fit */
		/* Code 3, constant bitrate: TOC, count (padding flag, M), padding length
		 * octets (255: 254 more and another; 0-254: the last), m frames, padding. */
		size_t t = len - 2 - m * fl, o = 0;
		payload[o++] = (uint8_t)((f[0] & 0xfc) | 3);
		payload[o++] = (uint8_t)((t != 0 ? 0x40 : 0) | m);
		if (t != 0) {
			size_t k = (t + 254) / 255, v = t - k - 254 * (k - 1);
			for (size_t j = 0; j + 1 < k; j++)
				payload[o++] = 255;
			payload[o++] = (uint8_t)v;
			for (size_t j = 0; j < m; j++, o += fl)
				memcpy(payload + o, f + 1, fl);
			memset(payload + o, 0, v + 254 * (k - 1));
			return 0;
		}
		for (size_t j = 0; j < m; j++, o += fl)
			memcpy(payload + o, f + 1, fl);
		return 0;
	}
	return -1;
}
