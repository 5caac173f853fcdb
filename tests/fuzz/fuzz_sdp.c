/*
 * libFuzzer target: hl_sdp_parse() on a body; an offer that parses is answered with
 * hl_sdp_answer(), and the answer must parse and mirror the offer's m-lines. Every
 * crypto line goes through hl_sdp_crypto_keys(): what it yields must keep RFC 4568
 * §6.1's rules (one suite, MKIs of one length and distinct when there are several),
 * nothing past the keys it returns, nothing at all on refusal, the first key as
 * hl_sdp_crypto_key() gives it, and an inbound hotline/srtp.h context that takes them.
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

static void
check_keys(const uint8_t *b, const struct hl_sdp_crypto *cr)
{
	static const struct hl_srtp_key zero;
	struct hl_srtp_key keys[HL_SDP_MAX_KEYS], one;
	struct hl_srtp_ctx ctx;
	int n = hl_sdp_crypto_keys(b, cr, keys);
	int r1 = hl_sdp_crypto_key(b, cr, &one);

	if (n == 0 || n > HL_SDP_MAX_KEYS || (n > 0 && n != cr->nkeys))
		abort();
	if ((n > 0) != (r1 == 0) || (n < 0 && r1 != n))
		abort();
	for (int i = n > 0 ? n : 0; i < HL_SDP_MAX_KEYS; i++)
		if (memcmp(&keys[i], &zero, sizeof(zero)) != 0)
			abort();
	if (n > 0 && memcmp(&one, &keys[0], sizeof(one)) != 0)
		abort();
	if (n < 0 && memcmp(&one, &zero, sizeof(zero)) != 0)
		abort();
	for (int i = 0; i < n; i++) {
		const struct hl_srtp_key *k = &keys[i];
		if (k->suite != keys[0].suite ||
			k->key_salt_len != hl_srtp_suite_key_salt_len(k->suite) || k->mki_len > 4)
			abort();
		if (n > 1 && (k->mki_len == 0 || k->mki_len != keys[0].mki_len))
			abort();
		for (int j = 0; j < i; j++)
			if (keys[j].mki == k->mki)
				abort();
	}
	if (n > 0) {
		if (hl_srtp_ctx_init_keys(&ctx, keys, (unsigned int)n, HL_SRTP_INBOUND, NULL) != 0)
			abort();
		hl_srtp_ctx_fini(&ctx);
	}
	explicit_bzero(keys, sizeof(keys));
	hl_srtp_key_wipe(&one);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct hl_sdp sdp, ans;
	static char out[8192];
	if (size > HL_SIP_MAX_LEN || hl_srtp_global_init() != 0)
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
			for (unsigned int k = 0; k < sdp.media[i].ncrypto; k++)
				check_keys(b, &sdp.media[i].crypto[k]);
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
