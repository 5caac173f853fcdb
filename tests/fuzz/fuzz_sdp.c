/*
 * libFuzzer target: hl_sdp_parse() on a body; an offer that parses is answered with
 * hl_sdp_answer(), and the answer must parse and mirror the offer's m-lines.
 */
#include <stdlib.h>
#include <string.h>

#include "hotline/sdp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const struct hl_sdp_codec codecs[] = {
	{"PCMA", 8000, 1, 8, NULL},
	{"PCMU", 8000, 1, 0, NULL},
	{"opus", 48000, 2, 111, "useinbandfec=1"},
};

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct hl_sdp sdp, ans;
	static char out[8192];
	if (size > HL_SIP_MAX_LEN)
		return 0;
	uint8_t *b = malloc(size ? size : 1);
	if (b == NULL)
		return 0;
	memcpy(b, data, size);
	if (hl_sdp_parse(b, (struct hl_sip_slice){0, (uint16_t)size}, &sdp) == 0) {
		struct hl_sdp_caps caps = {
			.codecs = codecs,
			.ncodecs = 3,
			.telephone_event = 1,
			.te_pt = 101,
			.srtp = (uint8_t)(size % 3),
			.rtcp_mux = 1,
			.ptime = 20,
			.port = 40000,
			.srtp_key = "WnNtbWFsbGtleXNhbHR5c2FsdHlzYWx0eXNhbHQ",
			.addr = "198.51.100.7",
		};
		struct hl_sdp_negotiated neg;
		for (unsigned int i = 0; i < sdp.nmedia; i++) {
			hl_sdp_media_conn(&sdp, i);
			hl_sdp_media_dir(&sdp, i);
		}
		int n = hl_sdp_answer(b, &sdp, &caps, out, sizeof(out), &neg);
		if (n > 0) {
			int r = hl_sdp_parse((const uint8_t *)out,
				(struct hl_sip_slice){0, (uint16_t)n}, &ans);
			if (r != 0 || ans.nmedia != sdp.nmedia)
				abort();
		}
	}
	free(b);
	return 0;
}
