/*
 * libFuzzer target: arbitrary Authorization values through hl_sip_parse_digest() and
 * hl_digest_verify(). The first byte picks the algorithm, whether the user is known and
 * the clock offset; the rest is the header value, on an exact-size copy so ASan flags any
 * read past it. One server lives for the whole run with a small table, so slot reuse,
 * stale and replay paths are reached as well as the parse failures. Seeds carry nonces of
 * the fixed secret below issued at T0, so the fuzzer starts past the MAC check.
 */
#include <stdlib.h>
#include <string.h>

#include "hotline/digest.h"
#include "hotline/sip.h"

#define T0 1700000000u
#define REALM "hotline.example"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct hl_digest_server *srv;

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t secret[HL_DIGEST_SECRET_LEN] = {
		0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0c,
		0x0d, 0x0e, 0x0f, 0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18, 0x19,
		0x1a, 0x1b, 0x1c, 0x1d, 0x1e, 0x1f,
	};
	static char ha1[HL_DIGEST_ALG_MAX_][HL_DIGEST_HEX_MAX];
	char chal[HL_DIGEST_CHALLENGE_MAX(sizeof(REALM))];
	struct hl_sip_writer w;
	struct hl_sip_digest cred;

	if (srv == NULL) {
		srv = hl_digest_server_create(secret, 300, 8);
		if (srv == NULL)
			abort();
		for (unsigned int a = 0; a < HL_DIGEST_ALG_MAX_; a++)
			hl_digest_ha1((enum hl_digest_alg)a, "alice", REALM, "correct horse",
				ha1[a]);
	}
	if (size < 1 || size > HL_SIP_MAX_LEN)
		return 0;
	uint8_t ctl = data[0];
	enum hl_digest_alg alg = (enum hl_digest_alg)(ctl & 1);
	int known = (ctl >> 1) & 1;
	uint64_t now = T0 + (uint64_t)((ctl >> 2) & 7) * 100;
	size--;
	uint8_t *b = malloc(size ? size : 1);
	if (b == NULL)
		return 0;
	memcpy(b, data + 1, size);

	/* Keep issuing, so the seeds' slots are taken now and then. */
	if (ctl & 0x20) {
		hl_sip_w_init(&w, chal, sizeof(chal));
		hl_digest_challenge(srv, &w, REALM, alg, ctl >> 7, now);
		if (hl_sip_w_finish(&w) < 0)
			abort();
	}
	if (hl_sip_parse_digest(b, (struct hl_sip_slice){0, (uint16_t)size}, &cred) == 0) {
		int a = hl_digest_cred_alg(b, &cred);
		if (a != HL_DIGEST_MD5 && a != HL_DIGEST_SHA256 && a != HL_E_UNSUPPORTED)
			abort();
		int rc = hl_digest_verify(srv, b, &cred, "REGISTER", REALM, known ? ha1[alg] : NULL,
			alg, now);
		if (rc != 0 && rc != HL_DIGEST_STALE && rc != HL_E_AUTH)
			abort();
		/* Success needs a known user. */
		if (rc >= 0 && !known)
			abort();
	}
	free(b);
	return 0;
}
