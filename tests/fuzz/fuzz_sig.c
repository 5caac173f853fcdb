/*
 * libFuzzer target: the signalling state machines on hostile input. The input is a
 * script of records — one byte of kind, two bytes of length, the record — fed to one
 * hl_sig with a provisioned tenant. Kinds: a trunk datagram; an agent datagram; a time
 * step; alice registers (the harness answers the digest challenge, so calls reach an
 * agent); an agent datagram made from a template, in which $V $F $T $C $S stand for
 * the Via, From, To, Call-ID and CSeq of the last INVITE hotline sent the agent, and
 * $v $s for the Via and CSeq of its last other request there (a PRACK, a BYE), so
 * responses and in-dialog requests match what hotline sent whatever its random tags
 * and branches (forks: several To tags answering one INVITE).
 * Whatever it does, nothing may crash, leak (hl_sig_free at the end, LeakSanitizer),
 * or leave its books wrong: every live object counted is freed by hl_sig_free.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hotline/config.h"
#include "hotline/digest.h"
#include "hotline/sig.h"
#include "hotline/sip.h"
#include "hotline/tenant.h"

static const char tenants_text[] = "[tenant acme]\nrealm = acme.test\ndomains = acme.test\n"
				   "dids = +15550100\ntrunks = 10.99.0.0/24\n"
				   "[agent alice@acme]\npassword = pw\n";

volatile uint8_t fz_sink;

/* What hotline last sent the agent (port 5090): its INVITE, another request, and the
 * last response (the REGISTER's challenge). */
static struct {
	char buf[4096];
	size_t len;
} fz_inv, fz_req, fz_resp;

static void
fz_keep(const void *buf, size_t len)
{
	const char *p = buf;

	if (len >= sizeof(fz_inv.buf))
		return;
	if (len > 7 && memcmp(p, "INVITE ", 7) == 0) {
		memcpy(fz_inv.buf, p, len);
		fz_inv.len = len;
	} else if (len > 8 && memcmp(p, "SIP/2.0 ", 8) == 0) {
		memcpy(fz_resp.buf, p, len);
		fz_resp.len = len;
	} else if (len > 4 && memcmp(p, "ACK ", 4) != 0) {
		memcpy(fz_req.buf, p, len);
		fz_req.len = len;
	}
}

static int
fz_send(void *ctx, const struct hl_sig_addr *dst, const void *buf, size_t len)
{
	(void)ctx;
	/* every byte we send is read, so an overrun of the builder shows */
	uint8_t x = 0;
	for (size_t i = 0; i < len; i++)
		x ^= ((const uint8_t *)buf)[i];
	fz_sink = x;
	if (dst->port == 5090)
		fz_keep(buf, len);
	return 0;
}

/* The value of header id of message msg (len octets), "" when none. */
static void
fz_hdr(const char *msg, size_t len, enum hl_sip_hdr id, char *out, size_t cap)
{
	struct hl_sip_msg m;
	const struct hl_sip_hdr_field *h;

	out[0] = '\0';
	if (len == 0 || hl_sip_parse((const uint8_t *)msg, len, &m) <= 0 ||
		(h = hl_sip_hdr_first(&m, id)) == NULL)
		return;
	snprintf(out, cap, "%.*s", h->value.len, msg + h->value.off);
}

/* The template t (n octets) with its $ fields filled in, into out: its length. */
static size_t
fz_fill(const uint8_t *t, size_t n, char *out, size_t cap)
{
	static const struct {
		char c;
		uint8_t inv;
		enum hl_sip_hdr id;
	} fields[] = {
		{'V', 1, HL_SIP_HDR_VIA},
		{'F', 1, HL_SIP_HDR_FROM},
		{'T', 1, HL_SIP_HDR_TO},
		{'C', 1, HL_SIP_HDR_CALL_ID},
		{'S', 1, HL_SIP_HDR_CSEQ},
		{'v', 0, HL_SIP_HDR_VIA},
		{'s', 0, HL_SIP_HDR_CSEQ},
	};
	size_t o = 0;

	for (size_t i = 0; i < n && o + 1 < cap; i++) {
		char v[512];
		unsigned int f = 0;

		if (t[i] == '$' && i + 1 < n) {
			while (f < sizeof(fields) / sizeof(fields[0]) &&
				fields[f].c != (char)t[i + 1])
				f++;
		}
		if (t[i] != '$' || i + 1 >= n || f == sizeof(fields) / sizeof(fields[0])) {
			out[o++] = (char)t[i];
			continue;
		}
		if (fields[f].inv)
			fz_hdr(fz_inv.buf, fz_inv.len, fields[f].id, v, sizeof(v));
		else
			fz_hdr(fz_req.buf, fz_req.len, fields[f].id, v, sizeof(v));
		for (size_t k = 0; v[k] && o + 1 < cap; k++)
			out[o++] = v[k];
		i++;
	}
	return o;
}

/* alice registers from 10.99.98.2:5090: the challenge's MD5 nonce answered. */
static void
fz_register(struct hl_sig *s, const struct hl_sig_addr *src, uint64_t now, unsigned int seq)
{
	static const char head[] = "REGISTER sip:acme.test SIP/2.0\r\n"
				   "Via: SIP/2.0/UDP 10.99.98.2:5090;branch=z9hG4bKfzreg%u\r\n"
				   "Max-Forwards: 70\r\nFrom: <sip:alice@acme.test>;tag=r1\r\n"
				   "To: <sip:alice@acme.test>\r\nCall-ID: fzreg@test\r\n"
				   "CSeq: %u REGISTER\r\n";
	static const char tail[] = "Contact: <sip:alice@10.99.98.2:5090>\r\nExpires: 600\r\n"
				   "Content-Length: 0\r\n\r\n";
	char msg[2048], nonce[128], ha1[65], resp[65];
	const char *p, *q;
	int n;

	fz_resp.len = 0;
	n = snprintf(msg, sizeof(msg), head, 2 * seq, 2 * seq);
	snprintf(msg + n, sizeof(msg) - (size_t)n, "%s", tail);
	hl_sig_input(s, (const uint8_t *)msg, strlen(msg), src, now);
	fz_resp.buf[fz_resp.len < sizeof(fz_resp.buf) ? fz_resp.len : 0] = '\0';
	p = strstr(fz_resp.buf, "algorithm=MD5");
	while (p != NULL && p > fz_resp.buf && strncmp(p, "WWW-Authenticate:", 17) != 0)
		p--;
	if (p == NULL || (p = strstr(p, "nonce=\"")) == NULL || (q = strchr(p + 7, '"')) == NULL ||
		(size_t)(q - p - 7) >= sizeof(nonce))
		return;
	memcpy(nonce, p + 7, (size_t)(q - p - 7));
	nonce[q - p - 7] = '\0';
	hl_digest_ha1(HL_DIGEST_MD5, "alice", "acme.test", "pw", ha1);
	hl_digest_client_response(HL_DIGEST_MD5, ha1, nonce, "00000001", "f0", "auth", "REGISTER",
		"sip:acme.test", resp);
	n = snprintf(msg, sizeof(msg), head, 2 * seq + 1, 2 * seq + 1);
	snprintf(msg + n, sizeof(msg) - (size_t)n,
		"Authorization: Digest username=\"alice\", realm=\"acme.test\", nonce=\"%s\", "
		"uri=\"sip:acme.test\", response=\"%s\", algorithm=MD5, qop=auth, nc=00000001, "
		"cnonce=\"f0\"\r\n%s",
		nonce, resp, tail);
	hl_sig_input(s, (const uint8_t *)msg, strlen(msg), src, now);
}

static int
fz_route(void *ctx, struct hl_sig_addr *dst, uint8_t local[16])
{
	(void)ctx;
	dst->port_index = 0;
	memset(local, 0, 16);
	local[0] = 10;
	local[1] = 99;
	local[3] = 1;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct hl_tenants *tenants;
	static struct hl_config cfg;
	struct hl_sig_ops ops = {.send = fz_send, .route = fz_route};
	struct hl_sig *s;
	uint64_t now = 1000;
	char err[256];

	if (tenants == NULL) {
		hl_config_defaults(&cfg);
		cfg.sip_max_transactions = 1024;
		cfg.sip_max_dialogs = 256;
		cfg.rtp_port_min = 20000;
		cfg.rtp_port_max = 20399;
		tenants = hl_tenants_parse("fuzz", tenants_text, sizeof(tenants_text) - 1, err,
			sizeof(err));
		if (tenants == NULL)
			abort();
	}
	s = hl_sig_create(&cfg, tenants, NULL, &ops, now, 1700000000);
	if (s == NULL)
		return 0;
	fz_inv.len = fz_req.len = fz_resp.len = 0;
	unsigned int nreg = 0;
	while (size >= 3) {
		uint8_t kind = data[0];
		size_t n = (size_t)data[1] << 8 | data[2];
		struct hl_sig_addr src = {.family = 4, .port = 5060, .ip = {10, 99, 0, 2}};

		data += 3;
		size -= 3;
		if (n > size)
			n = size;
		switch (kind % 5) {
		case 0:
			hl_sig_input(s, data, n, &src, now);
			break;
		case 1:
			src.ip[2] = 98;
			src.port = 5090;
			hl_sig_input(s, data, n, &src, now);
			break;
		case 3:
			src.ip[2] = 98;
			src.port = 5090;
			fz_register(s, &src, now, ++nreg);
			n = 0;
			break;
		case 4: {
			char msg[4096];
			size_t len = fz_fill(data, n, msg, sizeof(msg));
			src.ip[2] = 98;
			src.port = 5090;
			hl_sig_input(s, (const uint8_t *)msg, len, &src, now);
			break;
		}
		default:
			/* a time step of up to 65 s (the length field, in ms), run in 100 ms
			 * turns as the loop would */
			for (uint64_t t = now + n; now < t; now += 100)
				hl_sig_poll(s, now);
			n = 0;
			break;
		}
		data += n;
		size -= n;
	}
	hl_sig_free(s);
	return 0;
}
