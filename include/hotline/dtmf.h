/*
 * hotline DTMF detection: RFC 4733 telephone-events from RTP, and in-band tones from
 * decoded audio through SpanDSP's dtmf_rx. Both report one struct hl_dtmf_event per key
 * press (digit, start, duration), which the dataplane passes to control; relaying or
 * suppressing the RFC 4733 packets themselves (PCI) is the rewriter's PT map.
 *
 * How it works: hl_dtmf_4733_parse() decodes the 4-octet event blocks of one payload
 * (RFC 4733 §2.3). struct hl_dtmf_4733 is a per-leg state machine, embedded by value, fed
 * with every telephone-event packet of the leg; it keys a press on its RTP timestamp
 * (§2.5.1.1: all packets of one event share it), so the end packet sent three times
 * (§2.5.1.3), duplicates, reordering and late packets of a finished press
 * are swallowed. A press whose end packets are all lost ends when the next event begins
 * or, from hl_dtmf_4733_tick(), after a timeout. Long events split into segments of at
 * most 0xFFFF duration units (§2.5.1.2) are joined back into one press. Earlier blocks
 * of a multi-event payload (§2.5.1.4) can close the current press (its lost end) but
 * never open one.
 * struct hl_dtmf_inband wraps dtmf_rx with caller storage and reports a press when the
 * tone stops (ITU-T Q.24 timing as SpanDSP implements it); hl_dtmf_inband_feed_g711()
 * decodes a G.711 payload (ITU-T G.711, one octet a sample) through a 256-entry table
 * first, hl_dtmf_inband_feed_g722() and hl_dtmf_inband_feed_opus() decode G.722 and
 * Opus (RFC 6716) to 8 kHz first, and hl_dtmf_inband_flush() ends a tone whose audio
 * stopped coming. hl_g722_silence() and hl_opus_silence() write the silence muting
 * puts in place of a tone.
 */
#ifndef HOTLINE_DTMF_H
#define HOTLINE_DTMF_H

#include <stddef.h>
#include <stdint.h>

#include "hotline/common.h"

/* RFC 4733 §3.2 event codes 0..16 as characters; flash (16) is '!'. */
#define HL_DTMF_FLASH '!'

/* One decoded event block (RFC 4733 §2.3). */
struct hl_dtmf_4733_block {
	uint8_t event;
	uint8_t end;
	uint8_t volume;		/* -dBm0, 0..63 */
	uint16_t duration;	/* RTP clock units */
};

/*
 * Decodes the event blocks of a telephone-event payload, at most max. A payload shorter
 * than 4 octets is HL_E_PARSE; octets after the last whole block (odd lengths seen from
 * real senders) are ignored. Returns the number of blocks decoded (>= 1).
 */
int
hl_dtmf_4733_parse(const uint8_t *payload, size_t len, struct hl_dtmf_4733_block *out,
		   unsigned int max);

enum hl_dtmf_end {
	HL_DTMF_END_BIT,	/* an end packet arrived */
	HL_DTMF_END_NEXT,	/* a new event began before any end packet */
	HL_DTMF_END_TIMEOUT,	/* no packet for the timeout */
	HL_DTMF_END_TONE,	/* in-band tone stopped */
};

/* One key press. */
struct hl_dtmf_event {
	char digit;		/* '0'-'9', '*', '#', 'A'-'D', HL_DTMF_FLASH */
	uint8_t how;		/* enum hl_dtmf_end */
	uint32_t start_ts;	/* RTP timestamp of the event (4733), or 0 (in-band) */
	uint64_t start_ms;	/* arrival of its first packet / first tone sample */
	uint32_t duration_ms;
};

/* Counters of the RFC 4733 state machine: symbol, description. */
#define HL_DTMF_FOREACH_COUNTER(_)                                                        \
	_(PRESSES, "key presses reported")                                                \
	_(DUP, "duplicate or reordered packets ignored")                                  \
	_(AFTER_END, "packets of an already reported press ignored")                      \
	_(LOST_END, "presses ended without an end packet")                                \
	_(NOT_DTMF, "events other than 0-16 ignored")                                     \
	_(MALFORMED, "payloads shorter than one event block")

enum hl_dtmf_counter {
#define HL_DTMF_CNT_ENUM_(sym, desc) HL_DTMF_CNT_##sym,
	HL_DTMF_FOREACH_COUNTER(HL_DTMF_CNT_ENUM_)
#undef HL_DTMF_CNT_ENUM_
	HL_DTMF_CNT_MAX_
};

/* Per-leg RFC 4733 receiver. Embed by value; hl_dtmf_4733_init() before use. */
struct hl_dtmf_4733 {
	uint32_t clock_rate;
	uint32_t timeout_ms;
	uint8_t active;		/* a press is in progress */
	uint8_t event;
	uint8_t have_seq;
	uint8_t have_done;
	uint8_t done_event;
	uint16_t last_seq;
	uint32_t start_ts;	/* timestamp of the press (its first segment) */
	uint32_t seg_ts;	/* timestamp of the current segment */
	uint32_t seg_dur;	/* largest duration seen in the current segment */
	uint32_t base_dur;	/* units of earlier segments */
	uint32_t done_ts;	/* segment timestamp of the last reported press */
	uint64_t start_ms;
	uint64_t last_ms;
	uint64_t cnt[HL_DTMF_CNT_MAX_];
};

/* Telephone-event clock (8000 almost always) and the lost-end timeout (e.g. 200 ms; RFC
 * 4733 senders refresh at least every 50 ms). */
void
hl_dtmf_4733_init(struct hl_dtmf_4733 *st, uint32_t clock_rate, uint32_t timeout_ms);

/*
 * Feeds one telephone-event RTP packet: its sequence number, timestamp, marker, payload
 * and arrival time in ms. Writes at most 2 events to out (the press a new event ended,
 * and the new one if it is already complete). Returns the number written, or HL_E_PARSE
 * for a payload shorter than 4 octets (counted, state unchanged).
 */
int
hl_dtmf_4733_feed(struct hl_dtmf_4733 *st, uint16_t seq, uint32_t ts, int marker,
		  const uint8_t *payload, size_t len, uint64_t now_ms, struct hl_dtmf_event out[2]);

/* Ends a press that has had no packet for timeout_ms. Returns 1 with *out filled, or 0.
 * O(1); call it from the worker's 20 ms tick. */
int
hl_dtmf_4733_tick(struct hl_dtmf_4733 *st, uint64_t now_ms, struct hl_dtmf_event *out);

/* Character of an RFC 4733 event code 0..16, or 0 for other codes. */
char
hl_dtmf_digit(unsigned int event);

/* The RFC 4733 event code 0..16 of a character hl_dtmf_digit() gives, or -1. */
int
hl_dtmf_event_code(char digit);

const char *
hl_dtmf_counter_name(unsigned int counter);

/* In-band detector. SpanDSP's dtmf_rx_state_t lives in rx_storage (checked at build time
 * in dsp/dtmf.c), so this header does not pull SpanDSP into its includers. */
#define HL_DTMF_INBAND_STORAGE 768

struct hl_dtmf_inband {
	_Alignas(16) uint8_t rx_storage[HL_DTMF_INBAND_STORAGE];
	uint64_t samples;	/* samples fed so far */
	uint64_t start_ms;	/* ms of the running tone's start (sample clock) */
	uint64_t tone_start;	/* sample of the running tone's start */
	char tone;		/* running tone, 0 when none */
	uint8_t heard;		/* the last feed held a tone, or its start: see below */
	uint8_t n_pending;
	struct hl_dtmf_event pending[4];
};

/* Starts an 8 kHz detector in caller storage; no allocation. Returns 0 or HL_E_DEPENDENCY. */
int
hl_dtmf_inband_init(struct hl_dtmf_inband *d);

/*
 * Feeds linear 16-bit samples at 8 kHz (one 20 ms chunk is 160) and writes up to max key
 * presses that ended within them to out. Returns the number written. Times in the events
 * are on the sample clock (ms since init).
 */
int
hl_dtmf_inband_feed(struct hl_dtmf_inband *d, const int16_t *samples, size_t n,
		    struct hl_dtmf_event *out, unsigned int max);

/*
 * After hl_dtmf_inband_feed() or hl_dtmf_inband_feed_g711(), d->heard says whether
 * those samples held a DTMF tone as far as the detector can tell by their end: a key in
 * SpanDSP's last 102-sample block (12.75 ms: one block, before the second that confirms
 * the key and reports it), or a confirmed key still running (it stays so up to two
 * blocks after the tone stops). For muting tones out of relayed audio (PCI). It turns
 * on at the end of the first block that holds the key, for a clean tone the first block
 * wholly inside it at the latest, so within 203 samples (25.4 ms) of the tone's start:
 * what comes before is less than the two blocks SpanDSP needs to find a key
 * (tests/test_dtmf.c measures 0 to 187 samples over every start within a 20 ms
 * packet). It may turn off before the last samples of a tone (less than a block) have
 * all been fed; a relay that mutes keeps muting a packet or two longer. Speech-like
 * audio does not set it (tests/test_dtmf.c). A flush does not change it.
 */

/* The law of a G.711 payload: RFC 3551 §4.5.14, PT 0 PCMU (mu-law), PT 8 PCMA (A-law). */
enum hl_dtmf_law {
	HL_DTMF_PCMU = 1,
	HL_DTMF_PCMA = 2,
};

/*
 * hl_dtmf_inband_feed() of a G.711 payload: len octets (any length, odd ones too), one
 * sample each, decoded through a table into 160 samples of stack at a time. No
 * allocation. Returns the number of presses written to out, at most max.
 */
int
hl_dtmf_inband_feed_g711(struct hl_dtmf_inband *d, enum hl_dtmf_law law, const uint8_t *payload,
			 size_t len, struct hl_dtmf_event *out, unsigned int max);

/*
 * Ends the running tone, if any, as if it had been followed by silence: up to 60 ms of
 * zero samples, stopping as soon as the tone is reported. For a sender that stops
 * sending audio while a key is down (silence suppression: comfort noise, or nothing),
 * whose press would otherwise wait for its next audio. Returns the presses written.
 */
int
hl_dtmf_inband_flush(struct hl_dtmf_inband *d, struct hl_dtmf_event *out, unsigned int max);

/* Linear sample of a G.711 octet (the table the feed uses; for tests and tools). */
int16_t
hl_dtmf_g711_linear(enum hl_dtmf_law law, uint8_t octet);

/*
 * G.722 (ITU-T G.722 at 64 kbit/s, RFC 3551 §4.5.2: PT 9, one octet per pair of 16 kHz
 * samples, an RTP clock of 8000) for the in-band detector: SpanDSP's decoder in its
 * 8 kHz mode, which stops at the lower sub-band (0-4 kHz, 8000 samples a second: every
 * DTMF frequency, none above 1633 Hz) and skips the QMF and the upper band, one sample
 * an octet. And an encoder for muting (hl_g722_silence()). All their state lives in caller
 * storage (checked at build time in dsp/dtmf.c); no allocation.
 *
 * ADPCM: the far end's decoder adapts to what it is sent, so silence has to be encoded
 * from the state it is in. Three lower-band states: the decoder (dec) follows the
 * sender's encoder, for the detector; the far end's (far) follows what was sent on,
 * packets relayed as they came and our silence; the encoder (enc) starts each muted
 * packet from far. After a muted run, or a new sender (hl_g722_restart()), the far
 * end's decoder no longer is where ours is: far then decodes every packet relayed on
 * its own (a second lower-band decode) until the two states are equal again, as
 * mismatched G.722 decoders fed the same codes become within about half a second
 * (tests/test_dtmf.c), and far_apart goes back to 0. Muted audio decodes at the far
 * end to what the encoder's own decoder reconstructs for zeros: silence within a few
 * samples, however loud the tone was. The upper band gets the 8 kHz encoder's fixed
 * code, which decodes toward zero from any state.
 */
#define HL_G722_STORAGE 192
#define HL_G722_BAND_STORAGE 44 /* one band's ADPCM state */

struct hl_g722 {
	_Alignas(16) uint8_t dec[HL_G722_STORAGE];
	_Alignas(16) uint8_t enc[HL_G722_STORAGE];
	_Alignas(4) uint8_t far[HL_G722_BAND_STORAGE]; /* valid while far_apart */
	uint8_t far_apart; /* the far end's lower band is not dec's */
};

/* Starts the decoder and the encoder (64 kbit/s, 8 kHz mode). Returns 0 or HL_E_DEPENDENCY. */
int
hl_g722_init(struct hl_g722 *g);

/* Starts the decoder afresh: a new source (SSRC, remote), whose encoder is new. The far
 * end's decoder goes on where it was. */
void
hl_g722_restart(struct hl_g722 *g);

/* The far end's decoder starts afresh: what is sent on goes to a new one (another
 * remote, another peer leg). */
void
hl_g722_far_restart(struct hl_g722 *g);

/*
 * hl_dtmf_inband_feed() of a G.722 payload (len octets, any length), decoded through g
 * into 160 samples of stack at a time. d NULL: decoded into g's state only, not
 * detected (a damaged datagram the far end gets all the same). Returns the presses
 * written to out, at most max.
 */
int
hl_dtmf_inband_feed_g722(struct hl_dtmf_inband *d, struct hl_g722 *g, const uint8_t *payload,
			 size_t len, struct hl_dtmf_event *out, unsigned int max);

/* Overwrites len octets of payload, after hl_dtmf_inband_feed_g722() of them, with G.722
 * silence encoded from the far end's decoder state (above), which follows it. */
void
hl_g722_silence(struct hl_g722 *g, uint8_t *payload, size_t len);

/*
 * Opus (RFC 6716; RFC 7587: "opus/48000/2", an RTP clock of 48000 whatever the audio
 * bandwidth) for the in-band detector: libopus's decoder with 8000 Hz mono output,
 * which holds every DTMF frequency and is its cheapest output (SILK and CELT skip the
 * resampler and the upper bands), so the detector's sample clock is 8 kHz and one
 * sample is 6 RTP units. The decoder state lives in caller storage of
 * hl_opus_dec_size() octets (about 18 KiB with libopus 1.3; no allocation after
 * start-up). Only packets that came are decoded: a lost one is a gap the detector does
 * not see (no PLC, which would extend the last audio, a tone too, into the hole; no
 * FEC, whose redundant copy is the same audio coarser), and packets of at most 2
 * octets (a zero-length or one-octet frame: DTX, or a sender's own loss marker, which
 * libopus would answer with PLC) are not decoded either.
 */
struct hl_opus_dec; /* caller storage of hl_opus_dec_size() octets, 16-aligned */

size_t
hl_opus_dec_size(void);

/* Starts a decoder in caller storage. Returns 0 or HL_E_DEPENDENCY. */
int
hl_opus_dec_init(struct hl_opus_dec *dec);

/*
 * hl_dtmf_inband_feed() of one Opus packet (RFC 6716 §3: any frame count and
 * duration, up to 120 ms), decoded by dec into 960 samples of stack. A packet libopus
 * refuses is not fed (d->heard 0). Returns the presses written to out, at most max.
 */
int
hl_dtmf_inband_feed_opus(struct hl_dtmf_inband *d, struct hl_opus_dec *dec,
			 const uint8_t *payload, size_t len, struct hl_dtmf_event *out,
			 unsigned int max);

/*
 * Opus silence for muting: builds, once (the first call; call it at start-up, it runs
 * libopus's encoder, which allocates), one frame of digital silence for each frame
 * duration (2.5, 5, 10, 20, 40, 60 ms: SILK narrowband from 10 ms, CELT below),
 * encoded by a fresh encoder after two frames of warm-up so it is its steady silence.
 * Returns 0 or HL_E_DEPENDENCY. Thread-safe.
 */
int
hl_opus_silence_init(void);

/*
 * Overwrites the len octets of an Opus packet with a packet of the same length and
 * the same duration (opus_packet_get_nb_samples() of the TOC) that decodes to
 * silence: the silence frame of the largest duration that divides it, repeated (RFC
 * 6716 §3.2.5, code 3, constant bitrate), padded to len with the packet's own padding
 * (§3.2.5), so the RTP payload keeps its length. Never a zero-length frame, which the
 * receiver would conceal by extending what it last played. Returns 0, or -1 with the
 * payload unchanged when it cannot (an invalid TOC, a duration no frame divides, or a
 * packet shorter than the silence: a DTX packet of 1 or 2 octets, which carries no
 * tone). No allocation; after hl_opus_silence_init().
 */
int
hl_opus_silence(uint8_t *payload, size_t len);

#endif
