/*
 * libFuzzer target: RFC 4733 telephone-event parser and the per-leg key-press state
 * machine. The input is a sequence of records [seq step][ts step][ms step][flags][len]
 * [len octets]: flags bit 0 is the marker, bit 1 calls the tick instead of feeding. Every
 * reported press must carry a DTMF digit and match the press counter.
 */
#include <stdlib.h>
#include <string.h>

#include "hotline/dtmf.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct hl_dtmf_4733 st;
	struct hl_dtmf_4733_block b[4];
	uint16_t seq = 1000;
	uint32_t ts = 0;
	uint64_t now = 0, reported = 0;

	uint8_t *one = malloc(size ? size : 1);
	memcpy(one, data, size);
	int nb = hl_dtmf_4733_parse(one, size, b, 4);
	if (nb > 4 || (size >= 4 && nb < 1) || (size < 4 && nb != HL_E_PARSE))
		__builtin_trap();
	free(one);

	hl_dtmf_4733_init(&st, 8000, 200);
	while (size >= 5) {
		/* small signed steps so duplicates, reordering and reuse of timestamps happen */
		seq = (uint16_t)(seq + (int8_t)data[0]);
		ts += (uint32_t)(int32_t)(int8_t)data[1] * 160;
		now += data[2];
		uint8_t flags = data[3];
		size_t len = data[4];
		data += 5;
		size -= 5;
		if (len > size)
			len = size;
		struct hl_dtmf_event ev[2];
		int n;
		if (flags & 2) {
			n = hl_dtmf_4733_tick(&st, now, ev);
		} else {
			uint8_t *pl = malloc(len ? len : 1);
			memcpy(pl, data, len);
			n = hl_dtmf_4733_feed(&st, seq, ts, flags & 1, pl, len, now, ev);
			free(pl);
		}
		if (n > 2)
			__builtin_trap();
		for (int i = 0; i < n; i++) {
			if (hl_dtmf_digit(0) != '0' || ev[i].digit == 0 ||
			    strchr("0123456789*#ABCD!", ev[i].digit) == NULL)
				__builtin_trap();
			reported++;
		}
		data += len;
		size -= len;
	}
	if (st.cnt[HL_DTMF_CNT_PRESSES] != reported)
		__builtin_trap();
	return 0;
}
