/* libFuzzer target: the call record decoder of the store (hl_store_cdr_decode) must refuse
 * or accept any bytes, never read past them, and what it accepts must encode back to the
 * same bytes (the layout is fixed: one encoding per record). A version 1 record encodes
 * as version 2: the same bytes behind the new version byte, then an empty source (ipver
 * 0, port 0). */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "hotline/store.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t no_source[3] = {0, 0, 0};
	static uint8_t buf[HL_STORE_CDR_REC_MAX];
	struct hl_cdr r, again;
	size_t want;
	int n;

	if (hl_store_cdr_decode(data, size, 7, &r) != 0)
		return 0;
	if (r.id != 7 || r.duration_ms > r.ended_ms || r.talk_ms > r.ended_ms)
		abort();
	n = hl_store_cdr_encode(&r, buf, sizeof(buf));
	if (data[0] == 1) {
		want = size + sizeof(no_source);
		if (r.src_family != 0 || n < 0 || (size_t)n != want || buf[0] != 2 ||
			memcmp(buf + 1, data + 1, size - 1) != 0 ||
			memcmp(buf + size, no_source, sizeof(no_source)) != 0)
			abort();
	} else if (n < 0 || (size_t)n != size || memcmp(buf, data, size) != 0) {
		abort();
	}
	if (hl_store_cdr_decode(buf, (size_t)n, 7, &again) != 0 ||
		memcmp(&r, &again, sizeof(r)) != 0)
		abort();
	return 0;
}
