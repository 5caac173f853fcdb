/*
 * Unit tests for include/hotline/srtp.h: known-answer vectors from
 * $HL_SRTP_VECTORS or else $HL_SRCDIR/../shared/vectors/srtp (HL_SRCDIR is set by
 * tests/meson.build), SDES
 * parsing and formatting, round trips for every suite, tamper, replay and ROC.
 */
#include <srtp2/cipher.h>
#include <srtp2/srtp.h>

#include "hl_test.h"
#include "hotline/srtp.h"

/* Exported by libsrtp2 (crypto_kernel.h), not in its installed headers. */
srtp_err_status_t srtp_crypto_kernel_alloc_cipher(srtp_cipher_type_id_t id,
						  srtp_cipher_pointer_t *cp, int key_len,
						  int tag_len);

/* ---- vector files: flat JSON objects whose values are hex strings ---- */

struct vec {
	char text[8192];
	int ok;
};

static int
vec_load(struct vec *v, const char *name)
{
	const char *dir = getenv("HL_SRTP_VECTORS");
	const char *src = getenv("HL_SRCDIR");
	char path[1024];
	FILE *f;
	size_t n;

	v->ok = 0;
	if (dir != NULL)
		snprintf(path, sizeof(path), "%s/%s", dir, name);
	else if (src != NULL)
		snprintf(path, sizeof(path), "%s/../shared/vectors/srtp/%s", src, name);
	else
		return 0;
	f = fopen(path, "r");
	if (f == NULL)
		return 0;
	n = fread(v->text, 1, sizeof(v->text) - 1, f);
	fclose(f);
	v->text[n] = '\0';
	v->ok = 1;
	return 1;
}

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Hex string value of "key" in the file into out; returns octets or -1. */
static int
vec_hex(const struct vec *v, const char *key, uint8_t *out, size_t cap)
{
	char pat[128];
	const char *p;
	size_t n = 0;

	snprintf(pat, sizeof(pat), "\"%s\": \"", key);
	p = strstr(v->text, pat);
	if (p == NULL)
		return -1;
	p += strlen(pat);
	while (hexval(p[0]) >= 0 && hexval(p[1]) >= 0 && n < cap) {
		out[n++] = (uint8_t)(hexval(p[0]) << 4 | hexval(p[1]));
		p += 2;
	}
	/* odd-length hex ("5d4"): read as a number, right-aligned in 4 octets */
	if (hexval(p[0]) >= 0) {
		const char *s = p - 2 * n;
		uint32_t x = 0;
		while (hexval(*s) >= 0)
			x = x << 4 | (uint32_t)hexval(*s++);
		out[0] = (uint8_t)(x >> 24);
		out[1] = (uint8_t)(x >> 16);
		out[2] = (uint8_t)(x >> 8);
		out[3] = (uint8_t)x;
		return 4;
	}
	return *p == '"' ? (int)n : -1;
}

/* A missing vector file skips only the case that needs it. */
static int
need_vectors(struct vec *v, const char *name)
{
	if (vec_load(v, name))
		return 1;
	printf("# SKIP %s: vector file %s not found\n", hl_test_current, name);
	return 0;
}

static void
init_once(void)
{
	static int done;
	if (!done) {
		if (hl_srtp_global_init() != 0) {
			fprintf(stderr, "srtp_init failed\n");
			exit(99);
		}
		done = 1;
	}
}

static struct hl_srtp_key
key_from(const uint8_t *ks, size_t n, unsigned int suite)
{
	struct hl_srtp_key k;
	memset(&k, 0, sizeof(k));
	k.suite = (uint8_t)suite;
	k.key_salt_len = (uint8_t)n;
	memcpy(k.key, ks, n);
	return k;
}

/* Protect plain -> want, then unprotect want -> plain, through hl_srtp. */
static void
check_full_packet(const struct hl_srtp_key *key, const struct hl_srtp_opts *opts, int rtcp,
		  const uint8_t *plain, int plain_len, const uint8_t *want, int want_len)
{
	struct hl_srtp_ctx out, in;
	uint8_t buf[512];
	int n;

	HL_CHECK_INT(hl_srtp_ctx_init(&out, key, HL_SRTP_OUTBOUND, opts), 0);
	HL_CHECK_INT(hl_srtp_ctx_init(&in, key, HL_SRTP_INBOUND, opts), 0);
	memcpy(buf, plain, (size_t)plain_len);
	n = rtcp ? hl_srtp_protect_rtcp(&out, buf, (size_t)plain_len, sizeof(buf))
		 : hl_srtp_protect_rtp(&out, buf, (size_t)plain_len, sizeof(buf));
	HL_CHECK_INT(n, want_len);
	if (n == want_len)
		HL_CHECK_MEM(buf, want, (size_t)want_len);
	memcpy(buf, want, (size_t)want_len);
	n = rtcp ? hl_srtp_unprotect_rtcp(&in, buf, (size_t)want_len)
		 : hl_srtp_unprotect_rtp(&in, buf, (size_t)want_len);
	HL_CHECK_INT(n, plain_len);
	if (n == plain_len)
		HL_CHECK_MEM(buf, plain, (size_t)plain_len);
	HL_CHECK_INT(out.cnt[HL_SRTP_CNT_OK], 1);
	HL_CHECK_INT(in.cnt[HL_SRTP_CNT_OK], 1);
	hl_srtp_ctx_fini(&out);
	hl_srtp_ctx_fini(&in);
}

static void
check_vector_file(const char *file, unsigned int suite, const struct hl_srtp_opts *opts)
{
	struct vec v;
	uint8_t ks[64], plain[256], want[256];
	int kn, pn, wn;

	init_once();
	if (!need_vectors(&v, file))
		return;
	kn = vec_hex(&v, "master_key_and_salt", ks, sizeof(ks));
	HL_CHECK_INT(kn, (int)hl_srtp_suite_key_salt_len(suite));
	struct hl_srtp_key key = key_from(ks, (size_t)kn, suite);
	pn = vec_hex(&v, "rtp_plain", plain, sizeof(plain));
	wn = vec_hex(&v, "srtp", want, sizeof(want));
	if (pn > 0 && wn > 0)
		check_full_packet(&key, opts, 0, plain, pn, want, wn);
	pn = vec_hex(&v, "rtcp_plain", plain, sizeof(plain));
	wn = vec_hex(&v, "srtcp", want, sizeof(want));
	if (pn > 0 && wn > 0)
		check_full_packet(&key, opts, 1, plain, pn, want, wn);
}

HL_TEST(vector_libsrtp_aes_cm_128_hmac_sha1_80_rtp)
{
	check_vector_file("libsrtp_validate_aes_cm_128_hmac_sha1_80_rtp.json",
			  HL_SRTP_AES_CM_128_HMAC_SHA1_80, NULL);
}

HL_TEST(vector_libsrtp_aes_cm_128_hmac_sha1_80_rtcp)
{
	check_vector_file("libsrtp_validate_aes_cm_128_hmac_sha1_80_rtcp.json",
			  HL_SRTP_AES_CM_128_HMAC_SHA1_80, NULL);
}

HL_TEST(vector_libsrtp_aes_256_cm_hmac_sha1_80_rtp)
{
	check_vector_file("libsrtp_validate_aes_256_cm_hmac_sha1_80_rtp.json",
			  HL_SRTP_AES_256_CM_HMAC_SHA1_80, NULL);
}

HL_TEST(vector_libsrtp_aead_aes_128_gcm_rtp_rtcp)
{
	check_vector_file("libsrtp_validate_aead_aes_128_gcm_rtp_rtcp.json",
			  HL_SRTP_AEAD_AES_128_GCM, NULL);
}

HL_TEST(vector_rfc6904_encrypted_header_extensions)
{
	struct hl_srtp_opts o = {.enc_xtn_count = 3, .enc_xtn_ids = {1, 3, 4}};
	check_vector_file("rfc6904_encrypted_header_extensions_aes_cm.json",
			  HL_SRTP_AES_CM_128_HMAC_SHA1_80, &o);
}

/* AES-CM (RFC 3711 §4.1.1) through libsrtp's cipher: key||salt, then an IV that
 * libsrtp XORs with the salt. */
static void
aes_cm(const uint8_t *key_salt, int key_len, const uint8_t iv[16], uint8_t *buf, uint32_t len)
{
	srtp_cipher_t *c = NULL;
	uint8_t ivb[16];

	memcpy(ivb, iv, 16);
	HL_CHECK_INT(srtp_crypto_kernel_alloc_cipher(key_len == 30 ? SRTP_AES_ICM_128
								   : SRTP_AES_ICM_256,
						     &c, key_len, 0),
		     srtp_err_status_ok);
	if (c == NULL)
		return;
	HL_CHECK_INT(srtp_cipher_init(c, key_salt), srtp_err_status_ok);
	HL_CHECK_INT(srtp_cipher_set_iv(c, ivb, srtp_direction_encrypt), srtp_err_status_ok);
	HL_CHECK_INT(srtp_cipher_encrypt(c, buf, &len), srtp_err_status_ok);
	srtp_cipher_dealloc(c);
}

HL_TEST(vector_rfc3711_b2_keystream)
{
	static const char *const blocks[] = {"0000", "0001", "0002", "FEFF", "FF00", "FF01"};
	struct vec v;
	uint8_t ks[30], want[16], buf[16];

	init_once();
	if (!need_vectors(&v, "rfc3711_B2_aes_cm_keystream.json"))
		return;
	HL_CHECK_INT(vec_hex(&v, "session_key", ks, 16), 16);
	HL_CHECK_INT(vec_hex(&v, "session_salt", ks + 16, 14), 14);
	for (unsigned int i = 0; i < HL_ARRAY_SIZE(blocks); i++) {
		uint8_t iv[16] = {0};
		unsigned int b = (unsigned int)strtoul(blocks[i], NULL, 16);
		iv[14] = (uint8_t)(b >> 8);
		iv[15] = (uint8_t)b;
		HL_CHECK_INT(vec_hex(&v, blocks[i], want, 16), 16);
		memset(buf, 0, sizeof(buf));
		aes_cm(ks, 30, iv, buf, 16);
		HL_CHECK_MSG(memcmp(buf, want, 16) == 0, "keystream block %s", blocks[i]);
	}
}

/* RFC 3711 §4.3.1 with kdr=0, index=0: x = label<<48 XOR salt, keystream from x*2^16. */
static void
kdf(const uint8_t *master_key_salt, uint8_t label, uint8_t *out, uint32_t len)
{
	uint8_t iv[16] = {0};
	iv[7] = label;
	memset(out, 0, len);
	aes_cm(master_key_salt, 30, iv, out, len);
}

HL_TEST(vector_rfc3711_b3_key_derivation)
{
	struct vec v, pv;
	uint8_t mks[30], want[94], got[94], salt[14], key[16];

	init_once();
	if (!need_vectors(&v, "rfc3711_B3_key_derivation.json"))
		return;
	HL_CHECK_INT(vec_hex(&v, "master_key", mks, 16), 16);
	HL_CHECK_INT(vec_hex(&v, "master_salt", mks + 16, 14), 14);
	HL_CHECK_INT(vec_hex(&v, "label0_cipher_key", want, 16), 16);
	kdf(mks, 0, key, 16);
	HL_CHECK_MEM(key, want, 16);
	HL_CHECK_INT(vec_hex(&v, "label2_cipher_salt", want, 14), 14);
	kdf(mks, 2, salt, 14);
	HL_CHECK_MEM(salt, want, 14);
	HL_CHECK_INT(vec_hex(&v, "label1_auth_key_94_octets", want, 94), 94);
	kdf(mks, 1, got, 94);
	HL_CHECK_MEM(got, want, 94);

	/*
	 * The libsrtp full-packet vector uses the same master key: its payload must be the
	 * plaintext XOR the keystream of these derived keys (RFC 3711 §4.1.1 IV = salt XOR
	 * SSRC<<64 XOR index<<16), which ties B.3 to the packet path.
	 */
	if (!vec_load(&pv, "libsrtp_validate_aes_cm_128_hmac_sha1_80_rtp.json"))
		return;
	uint8_t plain[64], srtp[64], ks[30], iv[16] = {0};
	int pn = vec_hex(&pv, "rtp_plain", plain, sizeof(plain));
	int sn = vec_hex(&pv, "srtp", srtp, sizeof(srtp));
	HL_CHECK(pn == 28 && sn == 38);
	memcpy(ks, key, 16);
	memcpy(ks + 16, salt, 14);
	memcpy(iv + 4, plain + 8, 4); /* SSRC */
	iv[12] = plain[2];	      /* ROC 0 || SEQ */
	iv[13] = plain[3];
	aes_cm(ks, 30, iv, plain + 12, (uint32_t)pn - 12);
	HL_CHECK_MEM(plain + 12, srtp + 12, (size_t)pn - 12);
}

/* AES-GCM (RFC 7714) through libsrtp's cipher, with session keys as the RFC gives. */
static int
gcm(int encrypt, const uint8_t *key, int key_len, const uint8_t iv[12], const uint8_t *aad,
    uint32_t aad_len, uint8_t *buf, uint32_t len)
{
	srtp_cipher_t *c = NULL;
	uint8_t keyb[32 + 12] = {0}, ivb[16] = {0};
	uint32_t n = len, tl = 16;

	memcpy(keyb, key, (size_t)key_len);
	memcpy(ivb, iv, 12);
	if (srtp_crypto_kernel_alloc_cipher(key_len == 16 ? SRTP_AES_GCM_128 : SRTP_AES_GCM_256,
					    &c, key_len + 12, 16) != srtp_err_status_ok)
		return -1;
	int rc = -1;
	if (srtp_cipher_init(c, keyb) != srtp_err_status_ok ||
	    srtp_cipher_set_iv(c, ivb, encrypt ? srtp_direction_encrypt
					       : srtp_direction_decrypt) != srtp_err_status_ok ||
	    srtp_cipher_set_aad(c, aad, aad_len) != srtp_err_status_ok)
		goto out;
	if (encrypt) {
		if (srtp_cipher_encrypt(c, len ? buf : NULL, &n) != srtp_err_status_ok ||
		    srtp_cipher_get_tag(c, buf + n, &tl) != srtp_err_status_ok)
			goto out;
		rc = (int)(n + tl);
	} else {
		if (srtp_cipher_decrypt(c, buf, &n) != srtp_err_status_ok)
			goto out;
		rc = (int)n;
	}
out:
	srtp_cipher_dealloc(c);
	return rc;
}

static void
check_rfc7714(const char *file, int key_len)
{
	struct vec v;
	uint8_t key[32], salt[12], plain[128] = {0}, want[160], buf[160], iv[12], aad[128];
	int pn, wn, n;

	init_once();
	if (!need_vectors(&v, file))
		return;
	HL_CHECK_INT(vec_hex(&v, "session_key", key, sizeof(key)), key_len);
	HL_CHECK_INT(vec_hex(&v, "session_salt", salt, sizeof(salt)), 12);

	/* RTP, RFC 7714 §8.1: IV = (00 00 || SSRC || ROC || SEQ) XOR salt; AAD = header. */
	pn = vec_hex(&v, "rtp_plain", plain, sizeof(plain));
	HL_CHECK(pn > 12);
	memset(iv, 0, sizeof(iv));
	memcpy(iv + 2, plain + 8, 4);
	iv[10] = plain[2];
	iv[11] = plain[3];
	for (int i = 0; i < 12; i++)
		iv[i] ^= salt[i];
	uint8_t want_iv[12];
	if (vec_hex(&v, "rtp_iv", want_iv, 12) == 12)
		HL_CHECK_MEM(iv, want_iv, 12);
	wn = vec_hex(&v, "srtp_encrypted", want, sizeof(want));
	memcpy(buf, plain, (size_t)pn);
	n = gcm(1, key, key_len, iv, buf, 12, buf + 12, (uint32_t)pn - 12);
	HL_CHECK_INT(n + 12, wn);
	HL_CHECK_MEM(buf, want, (size_t)wn);
	memcpy(buf, want, (size_t)wn);
	n = gcm(0, key, key_len, iv, buf, 12, buf + 12, (uint32_t)wn - 12);
	HL_CHECK_INT(n + 12, pn);
	HL_CHECK_MEM(buf, plain, (size_t)pn);
	/* a flipped ciphertext bit must fail the tag */
	memcpy(buf, want, (size_t)wn);
	buf[20] ^= 1;
	HL_CHECK(gcm(0, key, key_len, iv, buf, 12, buf + 12, (uint32_t)wn - 12) < 0);

	/* authentication only (§8.2 ... §16.x.2): whole packet is AAD */
	wn = vec_hex(&v, "srtp_auth_only", want, sizeof(want));
	memcpy(buf, plain, (size_t)pn);
	n = gcm(1, key, key_len, iv, buf, (uint32_t)pn, buf + pn, 0);
	HL_CHECK_INT(n + pn, wn);
	HL_CHECK_MEM(buf, want, (size_t)wn);

	/* RTCP, §9.1: IV = (00 00 || SSRC || 00 00 || 0 || index) XOR salt; AAD = first 8
	 * octets || E-flag|index; the E|index word trails the tag. */
	uint8_t idx[4];
	pn = vec_hex(&v, "rtcp_plain", plain, sizeof(plain));
	HL_CHECK(pn > 8);
	if (vec_hex(&v, "srtcp_index", idx, 4) != 4) {
		idx[0] = 0;
		idx[1] = 0;
		idx[2] = 0x05;
		idx[3] = 0xd4;
	}
	memset(iv, 0, sizeof(iv));
	memcpy(iv + 2, plain + 4, 4);
	memcpy(iv + 8, idx, 4);
	for (int i = 0; i < 12; i++)
		iv[i] ^= salt[i];
	if (vec_hex(&v, "rtcp_iv", want_iv, 12) == 12)
		HL_CHECK_MEM(iv, want_iv, 12);
	memcpy(aad, plain, 8);
	memcpy(aad + 8, idx, 4);
	aad[8] |= 0x80;
	wn = vec_hex(&v, "srtcp_encrypted", want, sizeof(want));
	memcpy(buf, plain, (size_t)pn);
	n = gcm(1, key, key_len, iv, aad, 12, buf + 8, (uint32_t)pn - 8);
	memcpy(buf + 8 + n, aad + 8, 4);
	HL_CHECK_INT(n + 8 + 4, wn);
	HL_CHECK_MEM(buf, want, (size_t)wn);
	memcpy(buf, want, (size_t)wn);
	n = gcm(0, key, key_len, iv, aad, 12, buf + 8, (uint32_t)wn - 8 - 4);
	HL_CHECK_INT(n + 8, pn);
	HL_CHECK_MEM(buf, plain, (size_t)pn);

	wn = vec_hex(&v, "srtcp_auth_only", want, sizeof(want));
	memcpy(buf, plain, (size_t)pn);
	memcpy(buf + pn, idx, 4); /* E = 0 */
	n = gcm(1, key, key_len, iv, buf, (uint32_t)pn + 4, buf + pn, 0);
	memcpy(buf + pn + n, idx, 4);
	HL_CHECK_INT(pn + n + 4, wn);
	HL_CHECK_MEM(buf, want, (size_t)wn);
}

HL_TEST(vector_rfc7714_aead_aes_128_gcm)
{
	check_rfc7714("rfc7714_s16_s17_aead_aes_128_gcm.json", 16);
}

HL_TEST(vector_rfc7714_aead_aes_256_gcm)
{
	check_rfc7714("rfc7714_s16_s17_aead_aes_256_gcm.json", 32);
}

/* ---- SDES ---- */

HL_TEST(suite_names)
{
	HL_CHECK_INT(hl_srtp_suite_from_name("AEAD_AES_256_GCM", 16), HL_SRTP_AEAD_AES_256_GCM);
	HL_CHECK_INT(hl_srtp_suite_from_name("AES_CM_128_HMAC_SHA1_32", 23),
		     HL_SRTP_AES_CM_128_HMAC_SHA1_32);
	HL_CHECK_INT(hl_srtp_suite_from_name("AES_CM_128_HMAC_SHA1_3", 22), HL_E_UNSUPPORTED);
	HL_CHECK_INT(hl_srtp_suite_from_name("F8_128_HMAC_SHA1_80", 19), HL_E_UNSUPPORTED);
	HL_CHECK_STR(hl_srtp_suite_name(HL_SRTP_AES_256_CM_HMAC_SHA1_80),
		     "AES_256_CM_HMAC_SHA1_80");
	HL_CHECK(hl_srtp_suite_name(HL_SRTP_SUITE_MAX_) == NULL);
	HL_CHECK_INT(hl_srtp_suite_key_salt_len(HL_SRTP_AES_CM_128_HMAC_SHA1_80), 30);
	HL_CHECK_INT(hl_srtp_suite_key_salt_len(HL_SRTP_AES_256_CM_HMAC_SHA1_80), 46);
	HL_CHECK_INT(hl_srtp_suite_key_salt_len(HL_SRTP_AEAD_AES_128_GCM), 28);
	HL_CHECK_INT(hl_srtp_suite_key_salt_len(HL_SRTP_AEAD_AES_256_GCM), 44);
}

/* RFC 4568 §9.1 example key: 30 octets. */
#define K30 "WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz"

static const struct {
	const char *in;
	int rc;
	uint32_t tag;
	uint8_t suite, mki_len, lifetime_log2;
	uint32_t mki, wsh;
	uint64_t lifetime;
} attr_cases[] = {
	{"1 AES_CM_128_HMAC_SHA1_80 inline:" K30 "|2^20|1:4", 0, 1, 0, 4, 20, 1, 0, 1 << 20},
	{"1 AES_CM_128_HMAC_SHA1_32 inline:" K30, 0, 1, 1, 0, 0, 0, 0, 0},
	{"42 AES_CM_128_HMAC_SHA1_80 inline:" K30 "|1048576", 0, 42, 0, 0, 0, 0, 0, 1048576},
	{"2 AES_CM_128_HMAC_SHA1_80 inline:" K30 "|7:1 WSH=128", 0, 2, 0, 1, 0, 7, 128, 0},
	{"2 AES_CM_128_HMAC_SHA1_80 inline:" K30 " KDR=0 -FOO", 0, 2, 0, 0, 0, 0, 0, 0},
	{"2 AES_CM_128_HMAC_SHA1_80 inline:" K30 " UNENCRYPTED_SRTP", HL_E_UNSUPPORTED},
	{"2 AES_CM_128_HMAC_SHA1_80 inline:" K30 " KDR=24", HL_E_UNSUPPORTED},
	{"2 AES_CM_128_HMAC_SHA1_80 inline:" K30 " WSH=10", HL_E_PARSE},
	{"2 AES_CM_128_HMAC_SHA1_80 inline:" K30 "|256:1", HL_E_PARSE},
	{"2 AES_CM_128_HMAC_SHA1_80 inline:" K30 "|1:5", HL_E_UNSUPPORTED},
	{"2 AES_CM_128_HMAC_SHA1_80 inline:" K30 "|1:0", HL_E_PARSE},
	{"2 AES_CM_128_HMAC_SHA1_80 inline:" K30 "|2^0", HL_E_PARSE},
	{"2 AES_CM_128_HMAC_SHA1_80 inline:" K30 "|1:1|2^20", HL_E_PARSE},
	{"2 AES_CM_128_HMAC_SHA1_80 inline:" K30 ";inline:" K30, HL_E_UNSUPPORTED},
	{"2 AES_256_CM_HMAC_SHA1_80 inline:" K30, HL_E_PARSE},
	{"2 AEAD_AES_128_GCM inline:" K30, HL_E_PARSE},
	{"2 AES_CM_128_HMAC_SHA1_80 inline:" K30 "=", HL_E_PARSE},
	{"2 AES_CM_128_HMAC_SHA1_80 inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGV*", HL_E_PARSE},
	{"2 AES_CM_128_HMAC_SHA1_80 key:" K30, HL_E_PARSE},
	{"2 NULL_CIPHER inline:" K30, HL_E_UNSUPPORTED},
	{"x AES_CM_128_HMAC_SHA1_80 inline:" K30, HL_E_PARSE},
	{"1234567890 AES_CM_128_HMAC_SHA1_80 inline:" K30, HL_E_PARSE},
	{"1 AES_CM_128_HMAC_SHA1_80", HL_E_PARSE},
	{"1", HL_E_PARSE},
	{"", HL_E_PARSE},
};

HL_TEST(crypto_attr_table_guarded)
{
	for (unsigned int i = 0; i < HL_ARRAY_SIZE(attr_cases); i++) {
		size_t len = strlen(attr_cases[i].in);
		struct hl_test_guard_buf g = {0};
		struct hl_srtp_crypto_attr a;
		const char *p = (const char *)hl_test_guard(&g, attr_cases[i].in, len);
		int rc = hl_srtp_crypto_attr_parse(p, len, &a);
		HL_CHECK_MSG(rc == attr_cases[i].rc, "case %u: rc %d want %d", i, rc,
			     attr_cases[i].rc);
		if (rc == 0 && attr_cases[i].rc == 0) {
			HL_CHECK_INT(a.tag, attr_cases[i].tag);
			HL_CHECK_INT(a.key.suite, attr_cases[i].suite);
			HL_CHECK_INT(a.key.mki_len, attr_cases[i].mki_len);
			HL_CHECK_INT(a.key.mki, attr_cases[i].mki);
			HL_CHECK_INT(a.key.lifetime_log2, attr_cases[i].lifetime_log2);
			HL_CHECK_INT(a.key.lifetime, attr_cases[i].lifetime);
			HL_CHECK_INT(a.wsh, attr_cases[i].wsh);
			HL_CHECK_INT(a.key.key_salt_len, 30);
			HL_CHECK_INT(a.key.key[0], 'Y');
			HL_CHECK_INT(a.key.key[29], 's');
		} else {
			/* a refused key leaves nothing behind */
			HL_CHECK_INT(a.key.key[0], 0);
		}
		/* every truncation parses or fails cleanly */
		for (size_t cut = 0; cut < len; cut++) {
			struct hl_test_guard_buf g2 = {0};
			p = (const char *)hl_test_guard(&g2, attr_cases[i].in, cut);
			(void)hl_srtp_crypto_attr_parse(p, cut, &a);
			hl_test_guard_free(&g2);
		}
		hl_test_guard_free(&g);
	}
}

HL_TEST(crypto_attr_format_round_trip)
{
	char buf[HL_SRTP_ATTR_MAX];
	struct hl_srtp_crypto_attr a, b;
	const char *in = "1 AES_CM_128_HMAC_SHA1_80 inline:" K30 "|2^20|1:4";

	HL_CHECK_INT(hl_srtp_crypto_attr_parse(in, strlen(in), &a), 0);
	HL_CHECK_INT(hl_srtp_crypto_attr_format(buf, sizeof(buf), 1, &a.key), (int)strlen(in));
	HL_CHECK_STR(buf, in);
	HL_CHECK_INT(hl_srtp_crypto_attr_format(buf, 20, 1, &a.key), HL_E_TOOBIG);

	for (unsigned int s = 0; s < HL_SRTP_SUITE_MAX_; s++) {
		struct hl_srtp_key k;
		HL_CHECK_INT(hl_srtp_key_generate(&k, s), 0);
		HL_CHECK_INT(k.key_salt_len, hl_srtp_suite_key_salt_len(s));
		int n = hl_srtp_crypto_attr_format(buf, sizeof(buf), 7, &k);
		HL_CHECK(n > 0 && n < HL_SRTP_ATTR_MAX);
		HL_CHECK_INT(hl_srtp_crypto_attr_parse(buf, (size_t)n, &b), 0);
		HL_CHECK_INT(b.tag, 7);
		HL_CHECK_INT(b.key.suite, s);
		HL_CHECK_MEM(b.key.key, k.key, k.key_salt_len);
		hl_srtp_key_wipe(&k);
		HL_CHECK_INT(k.key_salt_len, 0);
	}
	struct hl_srtp_key k1, k2;
	hl_srtp_key_generate(&k1, HL_SRTP_AES_CM_128_HMAC_SHA1_80);
	hl_srtp_key_generate(&k2, HL_SRTP_AES_CM_128_HMAC_SHA1_80);
	HL_CHECK(memcmp(k1.key, k2.key, 30) != 0);
	HL_CHECK_INT(hl_srtp_key_generate(&k1, HL_SRTP_SUITE_MAX_), HL_E_CONFIG);
}

/* ---- packet path ---- */

static size_t
make_rtp(uint8_t *p, uint16_t seq, uint32_t ts, uint32_t ssrc, size_t payload)
{
	p[0] = 0x80;
	p[1] = 0;
	p[2] = (uint8_t)(seq >> 8);
	p[3] = (uint8_t)seq;
	p[4] = (uint8_t)(ts >> 24);
	p[5] = (uint8_t)(ts >> 16);
	p[6] = (uint8_t)(ts >> 8);
	p[7] = (uint8_t)ts;
	p[8] = (uint8_t)(ssrc >> 24);
	p[9] = (uint8_t)(ssrc >> 16);
	p[10] = (uint8_t)(ssrc >> 8);
	p[11] = (uint8_t)ssrc;
	for (size_t i = 0; i < payload; i++)
		p[12 + i] = (uint8_t)(seq + i);
	return 12 + payload;
}

static const uint8_t rr_pkt[] = {0x80, 0xc9, 0x00, 0x01, 0x11, 0x22, 0x33, 0x44};

HL_TEST(round_trip_every_suite_tamper_replay)
{
	static const uint8_t want_trailer[HL_SRTP_SUITE_MAX_] = {10, 4, 10, 16, 16};
	static const uint8_t want_rtcp_trailer[HL_SRTP_SUITE_MAX_] = {14, 14, 14, 20, 20};

	init_once();
	for (unsigned int s = 0; s < HL_SRTP_SUITE_MAX_; s++) {
		for (int mki = 0; mki < 2; mki++) {
			struct hl_srtp_key k;
			struct hl_srtp_ctx out, in;
			uint8_t pkt[256], orig[256], saved[256];
			size_t len;
			int n, m;

			HL_CHECK_INT(hl_srtp_key_generate(&k, s), 0);
			if (mki) {
				k.mki_len = 2;
				k.mki = 0x1234;
			}
			if (mki && s == HL_SRTP_AES_CM_128_HMAC_SHA1_32) {
				HL_CHECK_INT(hl_srtp_ctx_init(&out, &k, HL_SRTP_OUTBOUND, NULL),
					     HL_E_UNSUPPORTED);
				continue;
			}
			HL_CHECK_INT(hl_srtp_ctx_init(&out, &k, HL_SRTP_OUTBOUND, NULL), 0);
			HL_CHECK_INT(hl_srtp_ctx_init(&in, &k, HL_SRTP_INBOUND, NULL), 0);
			hl_srtp_key_wipe(&k);
			for (uint16_t seq = 100; seq < 110; seq++) {
				len = make_rtp(pkt, seq, seq * 160u, 0xdeadbeef, 160);
				memcpy(orig, pkt, len);
				n = hl_srtp_protect_rtp(&out, pkt, len, sizeof(pkt));
				HL_CHECK_INT(n, (int)len + want_trailer[s] + 2 * mki);
				HL_CHECK_MEM(pkt, orig, 12);
				HL_CHECK(memcmp(pkt + 12, orig + 12, 160) != 0);
				memcpy(saved, pkt, (size_t)n);
				m = hl_srtp_unprotect_rtp(&in, pkt, (size_t)n);
				HL_CHECK_INT(m, (int)len);
				HL_CHECK_MEM(pkt, orig, len);
				/* the same packet again is a replay */
				memcpy(pkt, saved, (size_t)n);
				m = hl_srtp_unprotect_rtp(&in, pkt, (size_t)n);
				HL_CHECK_INT(m, HL_E_REPLAY);
			}
			/* one flipped bit anywhere (header, payload, tag) is an auth failure */
			len = make_rtp(pkt, 200, 0, 0xdeadbeef, 160);
			n = hl_srtp_protect_rtp(&out, pkt, len, sizeof(pkt));
			memcpy(saved, pkt, (size_t)n);
			const int flips[] = {1 * 8 + 1, 12 * 8, 100 * 8 + 7, (n - 1) * 8};
			for (unsigned int f = 0; f < HL_ARRAY_SIZE(flips); f++) {
				memcpy(pkt, saved, (size_t)n);
				pkt[flips[f] / 8] ^= (uint8_t)(1u << (flips[f] % 8));
				m = hl_srtp_unprotect_rtp(&in, pkt, (size_t)n);
				HL_CHECK_MSG(m == HL_E_AUTH, "suite %u mki %d flip %d", s, mki,
					     flips[f]);
			}
			HL_CHECK_INT(in.cnt[HL_SRTP_CNT_AUTH_FAIL], 4);
			HL_CHECK_INT(in.cnt[HL_SRTP_CNT_REPLAY], 10);
			memcpy(pkt, saved, (size_t)n);
			HL_CHECK_INT(hl_srtp_unprotect_rtp(&in, pkt, (size_t)n), (int)len);
			/* no room for the trailer */
			len = make_rtp(pkt, 201, 0, 0xdeadbeef, 20);
			HL_CHECK_INT(hl_srtp_protect_rtp(&out, pkt, len, len + 3), HL_E_TOOBIG);
			HL_CHECK_INT(out.cnt[HL_SRTP_CNT_NO_ROOM], 1);
			HL_CHECK_INT(hl_srtp_protect_rtp(&out, pkt, 11, sizeof(pkt)), HL_E_PARSE);

			/* SRTCP */
			memcpy(pkt, rr_pkt, sizeof(rr_pkt));
			n = hl_srtp_protect_rtcp(&out, pkt, sizeof(rr_pkt), sizeof(pkt));
			HL_CHECK_INT(n, (int)sizeof(rr_pkt) + want_rtcp_trailer[s] + 2 * mki);
			memcpy(saved, pkt, (size_t)n);
			m = hl_srtp_unprotect_rtcp(&in, pkt, (size_t)n);
			HL_CHECK_MSG(m == (int)sizeof(rr_pkt), "rtcp suite %u mki %d: %d", s, mki,
				     m);
			HL_CHECK_MEM(pkt, rr_pkt, sizeof(rr_pkt));
			memcpy(pkt, saved, (size_t)n);
			HL_CHECK_INT(hl_srtp_unprotect_rtcp(&in, pkt, (size_t)n), HL_E_REPLAY);
			/* a fresh SRTCP packet with a flipped tag bit, then intact */
			memcpy(pkt, rr_pkt, sizeof(rr_pkt));
			n = hl_srtp_protect_rtcp(&out, pkt, sizeof(rr_pkt), sizeof(pkt));
			memcpy(saved, pkt, (size_t)n);
			pkt[n - 1] ^= 0x10;
			HL_CHECK_INT(hl_srtp_unprotect_rtcp(&in, pkt, (size_t)n), HL_E_AUTH);
			memcpy(pkt, saved, (size_t)n);
			HL_CHECK_INT(hl_srtp_unprotect_rtcp(&in, pkt, (size_t)n), sizeof(rr_pkt));
			hl_srtp_ctx_fini(&out);
			hl_srtp_ctx_fini(&in);
			hl_srtp_ctx_fini(&in);
		}
	}
}

HL_TEST(wrong_key_is_auth_failure)
{
	struct hl_srtp_key k1, k2;
	struct hl_srtp_ctx out, in;
	uint8_t pkt[256];

	init_once();
	hl_srtp_key_generate(&k1, HL_SRTP_AEAD_AES_128_GCM);
	hl_srtp_key_generate(&k2, HL_SRTP_AEAD_AES_128_GCM);
	HL_CHECK_INT(hl_srtp_ctx_init(&out, &k1, HL_SRTP_OUTBOUND, NULL), 0);
	HL_CHECK_INT(hl_srtp_ctx_init(&in, &k2, HL_SRTP_INBOUND, NULL), 0);
	size_t len = make_rtp(pkt, 1, 0, 5, 160);
	int n = hl_srtp_protect_rtp(&out, pkt, len, sizeof(pkt));
	HL_CHECK_INT(hl_srtp_unprotect_rtp(&in, pkt, (size_t)n), HL_E_AUTH);
	/* a forged SSRC never creates a stream */
	uint32_t roc;
	HL_CHECK_INT(hl_srtp_get_roc(&in, 5, &roc), HL_E_NOTFOUND);
	hl_srtp_ctx_fini(&out);
	hl_srtp_ctx_fini(&in);
	/* invalid configurations */
	k1.key_salt_len = 16;
	HL_CHECK_INT(hl_srtp_ctx_init(&out, &k1, HL_SRTP_OUTBOUND, NULL), HL_E_CONFIG);
	HL_CHECK(out.session == NULL);
	hl_srtp_ctx_fini(&out);
	HL_CHECK_INT(hl_srtp_protect_rtp(&out, pkt, len, sizeof(pkt)), HL_E_PARSE);
}

/* RFC 4568 §6.1: an inbound context with two keys takes packets under either, picked by
 * the MKI each carries, the sender switching back and forth on one stream; an MKI that
 * is neither key's is an authentication failure, counted. */
HL_TEST(multi_key_inbound_picks_by_mki)
{
	static const unsigned int run[] = {
		HL_SRTP_AES_CM_128_HMAC_SHA1_80,
		HL_SRTP_AES_256_CM_HMAC_SHA1_80,
		HL_SRTP_AEAD_AES_128_GCM,
		HL_SRTP_AEAD_AES_256_GCM,
	};

	init_once();
	for (unsigned int r = 0; r < HL_ARRAY_SIZE(run); r++) {
		for (uint8_t ml = 1; ml <= 4; ml += 3) {
			unsigned int s = run[r];
			struct hl_srtp_key k[2], stray;
			struct hl_srtp_ctx out[2], bad, in;
			uint8_t pkt[256], orig[256];
			size_t len;
			int n;

			for (unsigned int i = 0; i < 2; i++) {
				HL_CHECK_INT(hl_srtp_key_generate(&k[i], s), 0);
				k[i].mki_len = ml;
				k[i].mki = ml == 4 ? 0x01020300u + i + 1 : i + 1;
			}
			/* key 1's material under an MKI the receiver does not hold */
			stray = k[0];
			stray.mki = ml == 4 ? 0x0a0b0c0du : 7;
			HL_CHECK_INT(hl_srtp_ctx_init_keys(&in, k, 2, HL_SRTP_INBOUND, NULL), 0);
			for (unsigned int i = 0; i < 2; i++)
				HL_CHECK_INT(hl_srtp_ctx_init(&out[i], &k[i], HL_SRTP_OUTBOUND, NULL),
					     0);
			HL_CHECK_INT(hl_srtp_ctx_init(&bad, &stray, HL_SRTP_OUTBOUND, NULL), 0);
			hl_srtp_key_wipe(&k[0]);
			hl_srtp_key_wipe(&k[1]);
			hl_srtp_key_wipe(&stray);

			/* key 1, then key 2, then key 1 again: one stream, one replay window */
			for (uint16_t seq = 100; seq < 115; seq++) {
				unsigned int w = seq >= 105 && seq < 110;
				len = make_rtp(pkt, seq, seq * 160u, 0xc0ffee, 160);
				memcpy(orig, pkt, len);
				n = hl_srtp_protect_rtp(&out[w], pkt, len, sizeof(pkt));
				HL_CHECK(n > (int)len + ml);
				n = hl_srtp_unprotect_rtp(&in, pkt, (size_t)n);
				HL_CHECK_MSG(n == (int)len, "suite %u mki_len %u seq %u key %u: %d", s,
					     ml, seq, w + 1, n);
				HL_CHECK_MEM(pkt, orig, len);
			}
			/* an MKI that is neither: dropped as an auth failure */
			len = make_rtp(pkt, 115, 0, 0xc0ffee, 160);
			n = hl_srtp_protect_rtp(&bad, pkt, len, sizeof(pkt));
			HL_CHECK_INT(hl_srtp_unprotect_rtp(&in, pkt, (size_t)n), HL_E_AUTH);
			/* key 2's MKI on a packet of key 1's: the tag fails under key 2 */
			len = make_rtp(pkt, 116, 0, 0xc0ffee, 160);
			n = hl_srtp_protect_rtp(&out[0], pkt, len, sizeof(pkt));
			pkt[n - 1 - (s >= HL_SRTP_AEAD_AES_128_GCM ? 0 : 10)] ^= 3;
			HL_CHECK_INT(hl_srtp_unprotect_rtp(&in, pkt, (size_t)n), HL_E_AUTH);
			HL_CHECK_INT(in.cnt[HL_SRTP_CNT_AUTH_FAIL], 2);
			HL_CHECK_INT(in.cnt[HL_SRTP_CNT_OK], 15);

			/* SRTCP under either key; each sender keeps its own SRTCP index, so
			 * key 2's first is at key 1's index and is a replay, its second not */
			memcpy(pkt, rr_pkt, sizeof(rr_pkt));
			n = hl_srtp_protect_rtcp(&out[0], pkt, sizeof(rr_pkt), sizeof(pkt));
			HL_CHECK_INT(hl_srtp_unprotect_rtcp(&in, pkt, (size_t)n), sizeof(rr_pkt));
			HL_CHECK_MEM(pkt, rr_pkt, sizeof(rr_pkt));
			memcpy(pkt, rr_pkt, sizeof(rr_pkt));
			n = hl_srtp_protect_rtcp(&out[1], pkt, sizeof(rr_pkt), sizeof(pkt));
			HL_CHECK_INT(hl_srtp_unprotect_rtcp(&in, pkt, (size_t)n), HL_E_REPLAY);
			memcpy(pkt, rr_pkt, sizeof(rr_pkt));
			n = hl_srtp_protect_rtcp(&out[1], pkt, sizeof(rr_pkt), sizeof(pkt));
			HL_CHECK_INT(hl_srtp_unprotect_rtcp(&in, pkt, (size_t)n), sizeof(rr_pkt));
			HL_CHECK_MEM(pkt, rr_pkt, sizeof(rr_pkt));
			memcpy(pkt, rr_pkt, sizeof(rr_pkt));
			n = hl_srtp_protect_rtcp(&bad, pkt, sizeof(rr_pkt), sizeof(pkt));
			HL_CHECK_INT(hl_srtp_unprotect_rtcp(&in, pkt, (size_t)n), HL_E_AUTH);
			HL_CHECK_INT(in.cnt[HL_SRTP_CNT_AUTH_FAIL], 3);

			hl_srtp_ctx_fini(&in);
			hl_srtp_ctx_fini(&out[0]);
			hl_srtp_ctx_fini(&out[1]);
			hl_srtp_ctx_fini(&bad);
		}
	}
}

/*
 * RFC 4568 §6.1 lifetimes: a key is used for as many SRTP packets, and as many SRTCP
 * packets, as its lifetime says, then no more, in either direction; only packets that
 * authenticate count, and with several keys each has its own (picked by MKI).
 */
HL_TEST(key_lifetime_enforced)
{
	static const unsigned int run[] = {
		HL_SRTP_AES_CM_128_HMAC_SHA1_80,
		HL_SRTP_AEAD_AES_128_GCM,
	};

	init_once();
	for (unsigned int r = 0; r < HL_ARRAY_SIZE(run); r++) {
		unsigned int s = run[r];
		struct hl_srtp_key k, k2[2], nolife;
		struct hl_srtp_ctx out, in, in2, outn[2];
		uint8_t pkt[256];
		size_t len;
		int n;

		/* one key, lifetime 2^2: four packets each way, the fifth refused */
		HL_CHECK_INT(hl_srtp_key_generate(&k, s), 0);
		k.lifetime_log2 = 2;
		k.lifetime = 4;
		nolife = k;
		nolife.lifetime_log2 = 0;
		nolife.lifetime = 0;
		HL_CHECK_INT(hl_srtp_ctx_init(&out, &k, HL_SRTP_OUTBOUND, NULL), 0);
		HL_CHECK_INT(hl_srtp_ctx_init(&in, &k, HL_SRTP_INBOUND, NULL), 0);
		HL_CHECK_INT(hl_srtp_ctx_init(&outn[0], &nolife, HL_SRTP_OUTBOUND, NULL), 0);
		for (uint16_t seq = 1; seq <= 5; seq++) {
			len = make_rtp(pkt, seq, seq * 160u, 0xabcd, 160);
			n = hl_srtp_protect_rtp(&out, pkt, len, sizeof(pkt));
			HL_CHECK_MSG(seq <= 4 ? n > (int)len : n == HL_E_EXPIRED,
				     "suite %u protect seq %u: %d", s, seq, n);
			/* the far end, without a limit of its own, sends past it */
			len = make_rtp(pkt, seq, seq * 160u, 0x1234, 160);
			n = hl_srtp_protect_rtp(&outn[0], pkt, len, sizeof(pkt));
			HL_CHECK(n > (int)len);
			if (seq == 2) {
				/* a forgery does not use the key up (on a copy: AEAD decrypts
				 * in place before it checks the tag) */
				uint8_t forged[256];

				memcpy(forged, pkt, (size_t)n);
				forged[20] ^= 1;
				HL_CHECK_INT(hl_srtp_unprotect_rtp(&in, forged, (size_t)n), HL_E_AUTH);
			}
			n = hl_srtp_unprotect_rtp(&in, pkt, (size_t)n);
			HL_CHECK_MSG(seq <= 4 ? n == (int)len : n == HL_E_EXPIRED,
				     "suite %u unprotect seq %u: %d", s, seq, n);
		}
		HL_CHECK_INT(in.cnt[HL_SRTP_CNT_KEY_EXPIRED], 1);
		HL_CHECK_INT(out.cnt[HL_SRTP_CNT_KEY_EXPIRED], 1);
		HL_CHECK_INT(in.cnt[HL_SRTP_CNT_OK], 4);
		/* SRTCP has its own four */
		for (int i = 0; i < 5; i++) {
			memcpy(pkt, rr_pkt, sizeof(rr_pkt));
			n = hl_srtp_protect_rtcp(&outn[0], pkt, sizeof(rr_pkt), sizeof(pkt));
			HL_CHECK(n > (int)sizeof(rr_pkt));
			n = hl_srtp_unprotect_rtcp(&in, pkt, (size_t)n);
			HL_CHECK_MSG(i < 4 ? n == (int)sizeof(rr_pkt) : n == HL_E_EXPIRED,
				     "suite %u srtcp %d: %d", s, i, n);
		}
		hl_srtp_ctx_fini(&out);
		hl_srtp_ctx_fini(&in);
		hl_srtp_ctx_fini(&outn[0]);

		/* two keys by MKI: key 1 lives 3 packets, key 2 has no lifetime */
		for (unsigned int i = 0; i < 2; i++) {
			HL_CHECK_INT(hl_srtp_key_generate(&k2[i], s), 0);
			k2[i].mki_len = 1;
			k2[i].mki = i + 1;
		}
		k2[0].lifetime = 3;
		HL_CHECK_INT(hl_srtp_ctx_init_keys(&in2, k2, 2, HL_SRTP_INBOUND, NULL), 0);
		k2[0].lifetime = 0;
		for (unsigned int i = 0; i < 2; i++)
			HL_CHECK_INT(hl_srtp_ctx_init(&outn[i], &k2[i], HL_SRTP_OUTBOUND, NULL), 0);
		for (uint16_t seq = 10; seq < 20; seq++) {
			unsigned int w = seq & 1;
			len = make_rtp(pkt, seq, seq * 160u, 0x5555, 160);
			n = hl_srtp_protect_rtp(&outn[w], pkt, len, sizeof(pkt));
			HL_CHECK(n > (int)len);
			n = hl_srtp_unprotect_rtp(&in2, pkt, (size_t)n);
			/* key 1 sends at 10, 12, 14, 16, 18: the fourth and fifth are refused */
			HL_CHECK_MSG(w == 1 || seq < 16 ? n == (int)len : n == HL_E_EXPIRED,
				     "suite %u two keys seq %u key %u: %d", s, seq, w + 1, n);
		}
		HL_CHECK_INT(in2.cnt[HL_SRTP_CNT_KEY_EXPIRED], 2);
		HL_CHECK_INT(in2.cnt[HL_SRTP_CNT_OK], 8);
		hl_srtp_ctx_fini(&in2);
		hl_srtp_ctx_fini(&outn[0]);
		hl_srtp_ctx_fini(&outn[1]);
		hl_srtp_key_wipe(&k);
		hl_srtp_key_wipe(&nolife);
		hl_srtp_key_wipe(&k2[0]);
		hl_srtp_key_wipe(&k2[1]);
	}
}

/* What a several-key context refuses (RFC 4568 §6.1), and the 32-bit-tag suite with MKIs. */
HL_TEST(multi_key_refused)
{
	struct hl_srtp_key k[HL_SRTP_MAX_KEYS + 1];
	struct hl_srtp_ctx c;

	init_once();
	for (unsigned int i = 0; i < HL_ARRAY_SIZE(k); i++) {
		HL_CHECK_INT(hl_srtp_key_generate(&k[i], HL_SRTP_AES_CM_128_HMAC_SHA1_80), 0);
		k[i].mki_len = 1;
		k[i].mki = i + 1;
	}
	HL_CHECK_INT(hl_srtp_ctx_init_keys(&c, k, HL_SRTP_MAX_KEYS, HL_SRTP_INBOUND, NULL), 0);
	hl_srtp_ctx_fini(&c);
	HL_CHECK_INT(hl_srtp_ctx_init_keys(&c, k, HL_SRTP_MAX_KEYS + 1, HL_SRTP_INBOUND, NULL),
		     HL_E_CONFIG);
	HL_CHECK_INT(hl_srtp_ctx_init_keys(&c, k, 0, HL_SRTP_INBOUND, NULL), HL_E_CONFIG);
	/* ours is one key */
	HL_CHECK_INT(hl_srtp_ctx_init_keys(&c, k, 2, HL_SRTP_OUTBOUND, NULL), HL_E_CONFIG);
	k[1].mki = 1; /* the same MKI twice */
	HL_CHECK_INT(hl_srtp_ctx_init_keys(&c, k, 2, HL_SRTP_INBOUND, NULL), HL_E_CONFIG);
	k[1].mki = 2;
	k[1].mki_len = 2; /* MKI lengths differ */
	HL_CHECK_INT(hl_srtp_ctx_init_keys(&c, k, 2, HL_SRTP_INBOUND, NULL), HL_E_CONFIG);
	k[1].mki_len = 0; /* a key without */
	HL_CHECK_INT(hl_srtp_ctx_init_keys(&c, k, 2, HL_SRTP_INBOUND, NULL), HL_E_CONFIG);
	HL_CHECK_INT(hl_srtp_key_generate(&k[1], HL_SRTP_AES_256_CM_HMAC_SHA1_80), 0);
	k[1].mki_len = 1;
	k[1].mki = 2; /* another suite */
	HL_CHECK_INT(hl_srtp_ctx_init_keys(&c, k, 2, HL_SRTP_INBOUND, NULL), HL_E_CONFIG);
	HL_CHECK(c.session == NULL);
	for (unsigned int i = 0; i < 2; i++) {
		HL_CHECK_INT(hl_srtp_key_generate(&k[i], HL_SRTP_AES_CM_128_HMAC_SHA1_32), 0);
		k[i].mki_len = 1;
		k[i].mki = i + 1;
	}
	HL_CHECK_INT(hl_srtp_ctx_init_keys(&c, k, 2, HL_SRTP_INBOUND, NULL), HL_E_UNSUPPORTED);
	for (unsigned int i = 0; i < HL_ARRAY_SIZE(k); i++)
		hl_srtp_key_wipe(&k[i]);
}

HL_TEST(roc_rollover_and_continuation)
{
	struct hl_srtp_key k;
	struct hl_srtp_ctx out, in, in2;
	uint8_t pkt[256], orig[256];
	uint32_t roc = 99;

	init_once();
	hl_srtp_key_generate(&k, HL_SRTP_AES_CM_128_HMAC_SHA1_80);
	struct hl_srtp_opts spec = {.ssrc = 0xcafe, .ssrc_specific = 1};
	HL_CHECK_INT(hl_srtp_ctx_init(&out, &k, HL_SRTP_OUTBOUND, &spec), 0);
	HL_CHECK_INT(hl_srtp_ctx_init(&in, &k, HL_SRTP_INBOUND, NULL), 0);
	/* 65533, 65534, 65535, 0, 1, 2: the index goes on past 2^16 (RFC 3711 §3.3.1) */
	for (uint32_t i = 65533; i < 65539; i++) {
		size_t len = make_rtp(pkt, (uint16_t)i, i * 160, 0xcafe, 160);
		memcpy(orig, pkt, len);
		int n = hl_srtp_protect_rtp(&out, pkt, len, sizeof(pkt));
		HL_CHECK(n > 0);
		HL_CHECK_INT(hl_srtp_unprotect_rtp(&in, pkt, (size_t)n), (int)len);
		HL_CHECK_MEM(pkt, orig, len);
	}
	HL_CHECK_INT(hl_srtp_get_roc(&out, 0xcafe, &roc), 0);
	HL_CHECK_INT(roc, 1);
	roc = 99;
	HL_CHECK_INT(hl_srtp_get_roc(&in, 0xcafe, &roc), 0);
	HL_CHECK_INT(roc, 1);

	/* A new receiver that joins after the wrap fails until told the ROC. */
	size_t len = make_rtp(pkt, 3, 0, 0xcafe, 160);
	memcpy(orig, pkt, len);
	int n = hl_srtp_protect_rtp(&out, pkt, len, sizeof(pkt));
	uint8_t saved[256];
	memcpy(saved, pkt, (size_t)n);
	HL_CHECK_INT(hl_srtp_ctx_init(&in2, &k, HL_SRTP_INBOUND, NULL), 0);
	HL_CHECK_INT(hl_srtp_unprotect_rtp(&in2, pkt, (size_t)n), HL_E_AUTH);
	hl_srtp_ctx_fini(&in2);
	struct hl_srtp_opts cont = {.ssrc = 0xcafe, .ssrc_specific = 1, .roc = 1};
	HL_CHECK_INT(hl_srtp_ctx_init(&in2, &k, HL_SRTP_INBOUND, &cont), 0);
	memcpy(pkt, saved, (size_t)n);
	HL_CHECK_INT(hl_srtp_unprotect_rtp(&in2, pkt, (size_t)n), (int)len);
	HL_CHECK_MEM(pkt, orig, len);
	/* set_roc on a live stream */
	HL_CHECK_INT(hl_srtp_set_roc(&in2, 0xcafe, 1), 0);
	HL_CHECK_INT(hl_srtp_set_roc(&in2, 0xbeef, 1), HL_E_NOTFOUND);
	/* a specific context refuses other SSRCs */
	len = make_rtp(pkt, 4, 0, 0xbeef, 10);
	HL_CHECK(hl_srtp_protect_rtp(&out, pkt, len, sizeof(pkt)) < 0);
	hl_srtp_ctx_fini(&in2);
	hl_srtp_ctx_fini(&out);
	hl_srtp_ctx_fini(&in);
	hl_srtp_key_wipe(&k);
}

static void
walk_all_levels(const struct hl_srtp_ctx *ctx)
{
	for (unsigned int k = 0; k <= HL_SRTP_PREFETCH_LEVELS; k++)
		hl_srtp_prefetch(ctx, k);
}

HL_TEST(prefetch_walk)
{
	const char *ev = getenv("HL_SRTP_PREFETCH");
	struct hl_srtp_ctx empty;

	init_once();
	/* the start-up check passes on the libsrtp 2.5.0 we link, unless turned off */
	HL_CHECK(hl_srtp_prefetch_enabled() == !(ev != NULL && strcmp(ev, "0") == 0));
	memset(&empty, 0, sizeof(empty));
	walk_all_levels(&empty);
	hl_srtp_ctx_fini(&empty);
	walk_all_levels(&empty);

	for (unsigned int s = 0; s < HL_SRTP_SUITE_MAX_; s++) {
		struct hl_srtp_opts spec = {.ssrc = 0xfeed, .ssrc_specific = 1};
		struct hl_srtp_ctx out, out_any, in, in_spec;
		struct hl_srtp_key k;
		uint8_t pkt[256], orig[256];

		HL_CHECK_INT(hl_srtp_key_generate(&k, s), 0);
		HL_CHECK_INT(hl_srtp_ctx_init(&out, &k, HL_SRTP_OUTBOUND, &spec), 0);
		HL_CHECK_INT(hl_srtp_ctx_init(&out_any, &k, HL_SRTP_OUTBOUND, NULL), 0);
		HL_CHECK_INT(hl_srtp_ctx_init(&in, &k, HL_SRTP_INBOUND, NULL), 0);
		HL_CHECK_INT(hl_srtp_ctx_init(&in_spec, &k, HL_SRTP_INBOUND, &spec), 0);
		/* before any packet: the any-SSRC contexts hold their template only */
		walk_all_levels(&out);
		walk_all_levels(&out_any);
		walk_all_levels(&in);
		walk_all_levels(&in_spec);
		for (uint16_t seq = 1; seq <= 3; seq++) {
			size_t len = make_rtp(pkt, seq, seq * 160u, 0xfeed, 160);
			memcpy(orig, pkt, len);
			int n = hl_srtp_protect_rtp(&out, pkt, len, sizeof(pkt));
			HL_CHECK(n > (int)len);
			walk_all_levels(&out);
			walk_all_levels(&in);
			HL_CHECK_INT(hl_srtp_unprotect_rtp(&in, pkt, (size_t)n), (int)len);
			HL_CHECK_MEM(pkt, orig, len);
			/* after the first packet the inbound list holds the clone */
			walk_all_levels(&in);
			/* the any-SSRC outbound context clones too, on its own SSRC */
			len = make_rtp(pkt, seq, seq * 160u, 0xbee, 160);
			memcpy(orig, pkt, len);
			n = hl_srtp_protect_rtp(&out_any, pkt, len, sizeof(pkt));
			HL_CHECK(n > (int)len);
			walk_all_levels(&out_any);
			HL_CHECK_INT(hl_srtp_unprotect_rtp(&in, pkt, (size_t)n), (int)len);
			HL_CHECK_MEM(pkt, orig, len);
			walk_all_levels(&in); /* two streams now: the walk takes the first */
		}
		HL_CHECK_INT(in.cnt[HL_SRTP_CNT_OK], 6);
		hl_srtp_ctx_fini(&out);
		hl_srtp_ctx_fini(&out_any);
		hl_srtp_ctx_fini(&in);
		hl_srtp_ctx_fini(&in_spec);
		walk_all_levels(&out);
		walk_all_levels(&in);
		hl_srtp_key_wipe(&k);
	}
}

HL_TEST(counter_names)
{
	HL_CHECK(hl_srtp_counter_name(HL_SRTP_CNT_AUTH_FAIL) != NULL);
	HL_CHECK(hl_srtp_counter_name(HL_SRTP_CNT_MAX_) == NULL);
}

HL_TEST_MAIN()
