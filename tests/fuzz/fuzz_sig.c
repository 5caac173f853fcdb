/*
 * libFuzzer target: the signalling state machines on hostile input. The input is a
 * script of records — one byte of kind, two bytes of length (big-endian), then as
 * many bytes of datagram for the kinds that take one — fed to one hl_sig with a
 * provisioned tenant. Kinds 0xf8-0xff are a key press from the media (below, 7); the
 * others, modulo 7:
 *   0  a datagram from the trunk (10.99.0.2:5060)
 *   1  a datagram from the agent (10.99.98.2:5090)
 *   2  a time step of length ms, run in 100 ms turns; no datagram
 *   3  the agent answers the last request hotline sent it, status = length (100-699):
 *      its Via, From, To (with ";tag=ag1" when it has none), Call-ID and CSeq, and SDP
 *      in a 2xx to an INVITE; no datagram
 *   4  the trunk does the same for the last request hotline sent it
 *   5  alice registers: REGISTER, and again with the answer to the MD5 challenge
 *   6  a datagram from the agent made from a template: "$V" "$F" "$T" "$C" "$S" stand
 *      for the Via, From, To, Call-ID and CSeq of the last INVITE hotline sent the
 *      agent, "$v" "$s" for the Via and CSeq of its last other request there (a
 *      PRACK, a BYE), so several To tags can answer one INVITE (forks)
 *   7  (0xf8-0xff) a key press the worker reports from a leg's media
 *      (hl_sig_media_event()): side length & 1 (the call and port of the last leg of
 *      that side given to the workers; bit 15: a port next to it), key (length >> 1)
 *      % 17 of 0-9 * # A-D flash, how it ended (length >> 6) & 3, duration length >> 8
 *      in 10 ms
 * The media ops (hl_sig_ops) are this harness's own, since the worker is fuzz_media's
 * target: they take every leg, and refuse every third press control asks them to send
 * as telephone-events (media_dtmf), as a full command ring would.
 * So that a script can reach a call's dialogs, whose tags and Call-ID hotline draws at
 * random, a datagram's "$T" is replaced by the To tag of hotline's last response to
 * the trunk, "$R" by the RSeq of its last reliable one (a PRACK's RAck), and, for the
 * agent's dialog, "$F", "$O" and "$C" by the From, To (tagged as in 3) and Call-ID of
 * hotline's last request to the agent (kinds 0 and 1).
 * Whatever it does, nothing may crash, leak (hl_sig_free at the end, LeakSanitizer),
 * or leave its books wrong: every live object counted is freed by hl_sig_free; and
 * control asks the workers to send as telephone-events only keys an INFO can carry,
 * for a duration an INFO can give, on an even port of the RTP range.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hotline/config.h"
#include "hotline/digest.h"
#include "hotline/dtmf.h"
#include "hotline/sig.h"
#include "hotline/sip.h"
#include "hotline/tenant.h"

static const char tenants_text[] = "[tenant acme]\nrealm = acme.test\ndomains = acme.test\n"
				   "dids = +15550100\ntrunks = 10.99.0.0/24\n"
				   "[agent alice@acme]\npassword = pw\n";

volatile uint8_t fz_sink;

/* What hotline sent that a script may name (see the top). */
static struct {
	char trunk_tag[64];
	char trunk_rseq[16];
	char nonce[128];
	char req[2][4096]; /* the last request to the trunk [0] and to the agent [1] */
	size_t req_len[2];
	char inv[4096], other[4096]; /* to the agent: the last INVITE, the last other but ACK */
	size_t inv_len, other_len;
} fz;

/* Header id of message buf/m into out ("" when absent). */
static void
fz_hdr(const char *buf, const struct hl_sip_msg *m, enum hl_sip_hdr id, char *out, size_t cap)
{
	const struct hl_sip_hdr_field *h = hl_sip_hdr_first(m, id);
	size_t n = h != NULL ? h->value.len : 0;

	if (n >= cap)
		n = cap - 1;
	memcpy(out, h != NULL ? buf + h->value.off : "", n);
	out[n] = '\0';
}

static void
fz_learn(const struct hl_sig_addr *dst, const char *buf, size_t len)
{
	struct hl_sip_msg m;
	int side = dst->ip[2] == 98;

	if (len >= sizeof(fz.req[0]) || hl_sip_parse((const uint8_t *)buf, len, &m) <= 0)
		return;
	if (!(m.flags & HL_SIP_F_RESPONSE)) {
		memcpy(fz.req[side], buf, len);
		fz.req[side][len] = '\0';
		fz.req_len[side] = len;
		if (side && m.method == HL_SIP_METHOD_INVITE) {
			memcpy(fz.inv, buf, len + 1);
			fz.inv_len = len;
		} else if (side && m.method != HL_SIP_METHOD_ACK) {
			memcpy(fz.other, buf, len + 1);
			fz.other_len = len;
		}
		return;
	}
	if (!side) {
		char to[256], *t, rseq[sizeof(fz.trunk_rseq)];
		fz_hdr(buf, &m, HL_SIP_HDR_RSEQ, rseq, sizeof(rseq));
		if (rseq[0] != '\0')
			memcpy(fz.trunk_rseq, rseq, sizeof(rseq));
		fz_hdr(buf, &m, HL_SIP_HDR_TO, to, sizeof(to));
		if ((t = strstr(to, ";tag=")) != NULL) {
			size_t n = strcspn(t + 5, ";> ");
			if (n < sizeof(fz.trunk_tag)) {
				memcpy(fz.trunk_tag, t + 5, n);
				fz.trunk_tag[n] = '\0';
			}
		}
		return;
	}
	/* the MD5 challenge's nonce, for kind 5 */
	const char *md5 = m.status == 401 ? strstr(buf, "algorithm=MD5") : NULL;
	if (md5 != NULL) {
		const char *q = md5, *nonce;
		while (q > buf && strncmp(q, "WWW-Authenticate:", 17) != 0)
			q--;
		if ((nonce = strstr(q, "nonce=\"")) != NULL && nonce < md5) {
			size_t n = strcspn(nonce + 7, "\"");
			if (n < sizeof(fz.nonce)) {
				memcpy(fz.nonce, nonce + 7, n);
				fz.nonce[n] = '\0';
			}
		}
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
	fz_learn(dst, buf, len);
	return 0;
}

/* The datagram data/n with the tokens replaced, into out; its length. */
static size_t
fz_subst(const uint8_t *data, size_t n, char *out, size_t cap)
{
	char from[256] = "", to[256] = "", cid[256] = "";
	struct hl_sip_msg m;
	size_t o = 0;

	if (fz.req_len[1] && hl_sip_parse((const uint8_t *)fz.req[1], fz.req_len[1], &m) > 0) {
		fz_hdr(fz.req[1], &m, HL_SIP_HDR_FROM, from, sizeof(from));
		fz_hdr(fz.req[1], &m, HL_SIP_HDR_TO, to, sizeof(to));
		fz_hdr(fz.req[1], &m, HL_SIP_HDR_CALL_ID, cid, sizeof(cid));
		if (strstr(to, ";tag=") == NULL && strlen(to) + 9 < sizeof(to))
			strcat(to, ";tag=ag1");
	}
	for (size_t i = 0; i < n && o < cap; i++) {
		const char *v = NULL;
		if (data[i] == '$' && i + 1 < n) {
			switch (data[i + 1]) {
			case 'T': v = fz.trunk_tag; break;
			case 'R': v = fz.trunk_rseq; break;
			case 'F': v = from; break;
			case 'O': v = to; break;
			case 'C': v = cid; break;
			}
		}
		if (v == NULL) {
			out[o++] = (char)data[i];
			continue;
		}
		size_t k = strlen(v);
		if (o + k > cap)
			break;
		memcpy(out + o, v, k);
		o += k;
		i++;
	}
	return o;
}

/* Kind 6: the template t (n octets) with its $ fields filled in, into out; its length. */
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
		const size_t nf = sizeof(fields) / sizeof(fields[0]);
		unsigned int f = 0;

		if (t[i] == '$' && i + 1 < n)
			while (f < nf && fields[f].c != (char)t[i + 1])
				f++;
		if (t[i] != '$' || i + 1 >= n || f == nf) {
			out[o++] = (char)t[i];
			continue;
		}
		const char *msg = fields[f].inv ? fz.inv : fz.other;
		size_t len = fields[f].inv ? fz.inv_len : fz.other_len;
		struct hl_sip_msg m;
		char v[512] = "";

		if (len != 0 && hl_sip_parse((const uint8_t *)msg, len, &m) > 0)
			fz_hdr(msg, &m, fields[f].id, v, sizeof(v));
		for (size_t k = 0; v[k] && o + 1 < cap; k++)
			out[o++] = v[k];
		i++;
	}
	return o;
}

/* Kinds 3 and 4: side's answer status to the last request hotline sent it. */
static void
fz_answer(struct hl_sig *s, int side, unsigned int status, const struct hl_sig_addr *src,
	uint64_t now)
{
	static const char sdp[] = "v=0\r\no=fz 1 1 IN IP4 10.99.98.2\r\ns=-\r\n"
				  "c=IN IP4 10.99.98.2\r\nt=0 0\r\nm=audio 7000 RTP/AVP 0 101\r\n"
				  "a=rtpmap:101 telephone-event/8000\r\n";
	char via[512], from[256], to[256], cid[256], cseq[64], msg[2048];
	struct hl_sip_msg m;

	if (status < 100 || status > 699 || fz.req_len[side] == 0 ||
		hl_sip_parse((const uint8_t *)fz.req[side], fz.req_len[side], &m) <= 0)
		return;
	fz_hdr(fz.req[side], &m, HL_SIP_HDR_VIA, via, sizeof(via));
	fz_hdr(fz.req[side], &m, HL_SIP_HDR_FROM, from, sizeof(from));
	fz_hdr(fz.req[side], &m, HL_SIP_HDR_TO, to, sizeof(to));
	fz_hdr(fz.req[side], &m, HL_SIP_HDR_CALL_ID, cid, sizeof(cid));
	fz_hdr(fz.req[side], &m, HL_SIP_HDR_CSEQ, cseq, sizeof(cseq));
	int body = status >= 200 && status < 300 && m.method == HL_SIP_METHOD_INVITE;
	int n = snprintf(msg, sizeof(msg),
		"SIP/2.0 %u X\r\nVia: %s\r\nFrom: %s\r\nTo: %s%s\r\nCall-ID: %s\r\n"
		"CSeq: %s\r\nContact: <sip:alice@%s>\r\n%sContent-Length: %zu\r\n\r\n%s",
		status, via, from, to, status > 100 && strstr(to, ";tag=") == NULL ? ";tag=ag1" : "",
		cid, cseq, side ? "10.99.98.2:5090" : "10.99.0.2:5060",
		body ? "Content-Type: application/sdp\r\n" : "", body ? strlen(sdp) : (size_t)0,
		body ? sdp : "");
	if (n > 0 && (size_t)n < sizeof(msg))
		hl_sig_input(s, (const uint8_t *)msg, (size_t)n, src, now);
}

/* Kind 5: alice registers, answering the MD5 challenge. */
static void
fz_register(struct hl_sig *s, const struct hl_sig_addr *src, uint64_t now, unsigned int *seq)
{
	char msg[2048], ha1[65], resp[65];
	static const char head[] = "REGISTER sip:acme.test SIP/2.0\r\n"
				   "Via: SIP/2.0/UDP 10.99.98.2:5090;branch=z9hG4bKfzreg%u\r\n"
				   "Max-Forwards: 70\r\nFrom: <sip:alice@acme.test>;tag=r1\r\n"
				   "To: <sip:alice@acme.test>\r\nCall-ID: fzreg@test\r\n"
				   "CSeq: %u REGISTER\r\n";
	int n;

	fz.nonce[0] = '\0';
	n = snprintf(msg, sizeof(msg), head, *seq, *seq);
	(*seq)++;
	n += snprintf(msg + n, sizeof(msg) - (size_t)n,
		"Contact: <sip:alice@10.99.98.2:5090>\r\nExpires: 600\r\nContent-Length: 0\r\n\r\n");
	hl_sig_input(s, (const uint8_t *)msg, (size_t)n, src, now);
	if (fz.nonce[0] == '\0')
		return;
	hl_digest_ha1(HL_DIGEST_MD5, "alice", "acme.test", "pw", ha1);
	if (hl_digest_client_response(HL_DIGEST_MD5, ha1, fz.nonce, "00000001", "c0ffee", "auth",
		    "REGISTER", "sip:acme.test", resp) != 0)
		return;
	n = snprintf(msg, sizeof(msg), head, *seq, *seq);
	(*seq)++;
	n += snprintf(msg + n, sizeof(msg) - (size_t)n,
		"Authorization: Digest username=\"alice\", realm=\"acme.test\", nonce=\"%s\", "
		"uri=\"sip:acme.test\", response=\"%s\", algorithm=MD5, qop=auth, "
		"nc=00000001, cnonce=\"c0ffee\"\r\n"
		"Contact: <sip:alice@10.99.98.2:5090>\r\nExpires: 600\r\nContent-Length: 0\r\n\r\n",
		fz.nonce, resp);
	if (n > 0 && (size_t)n < sizeof(msg))
		hl_sig_input(s, (const uint8_t *)msg, (size_t)n, src, now);
}

/* The workers' side: the last leg of each side given to them, and key presses. */
static struct hl_media_leg fz_leg[2];
static unsigned int fz_dtmf_asks;

static int
fz_media_set(void *ctx, struct hl_media_leg *leg)
{
	(void)ctx;
	if (leg->side < 2)
		fz_leg[leg->side] = *leg;
	hl_srtp_key_wipe(&leg->rx_key);
	hl_srtp_key_wipe(&leg->tx_key);
	return 0;
}

static int
fz_media_del(void *ctx, uint8_t port_index, uint16_t local_port)
{
	(void)ctx;
	(void)port_index;
	(void)local_port;
	return 0;
}

static int
fz_media_dtmf(void *ctx, uint8_t port_index, uint16_t local_port, char digit, uint32_t duration_ms)
{
	(void)ctx;
	(void)port_index;
	if (digit == 0 || strchr("0123456789*#ABCD", digit) == NULL || duration_ms > 65535 ||
		(local_port & 1) || local_port < 20000 || local_port > 20399)
		abort();
	return ++fz_dtmf_asks % 3 == 0 ? -ENOBUFS : 0;
}

/* Kind 7: a press from the media of the last leg of a side. */
static void
fz_media_press(struct hl_sig *s, unsigned int n, uint64_t now)
{
	static const char keys[] = "0123456789*#ABCD!";
	const struct hl_media_leg *l = &fz_leg[n & 1];
	struct hl_media_event ev = {
		.call = l->call,
		.type = HL_MEDIA_EV_DTMF,
		.side = (uint8_t)(n & 1),
		.digit = keys[(n >> 1) % 17],
		.how = (uint8_t)((n >> 6) & 3),
		.local_port = (uint16_t)(l->local_port + (n & 0x8000 ? 2 : 0)),
		.duration_ms = (n >> 8 & 0x7f) * 10u,
	};

	hl_sig_media_event(s, &ev, now);
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
	struct hl_sig_ops ops = {.send = fz_send,
		.route = fz_route,
		.media_set = fz_media_set,
		.media_del = fz_media_del,
		.media_dtmf = fz_media_dtmf};
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
	static char dgram[65536 + 4096];
	unsigned int reg_seq = 1;

	memset(&fz, 0, sizeof(fz));
	memset(fz_leg, 0, sizeof(fz_leg));
	fz_dtmf_asks = 0;
	s = hl_sig_create(&cfg, tenants, NULL, &ops, now, 1700000000);
	if (s == NULL)
		return 0;
	while (size >= 3) {
		uint8_t kind = data[0];
		size_t n = (size_t)data[1] << 8 | data[2], d;
		struct hl_sig_addr src = {.family = 4, .port = 5060, .ip = {10, 99, 0, 2}};
		struct hl_sig_addr agent = {.family = 4, .port = 5090, .ip = {10, 99, 98, 2}};

		data += 3;
		size -= 3;
		if (kind >= 0xf8) {
			fz_media_press(s, (unsigned int)n, now);
			continue;
		}
		switch (kind % 7) {
		case 0:
		case 1:
		case 6:
			if (n > size)
				n = size;
			d = kind % 7 == 6 ? fz_fill(data, n, dgram, sizeof(dgram)) :
					    fz_subst(data, n, dgram, sizeof(dgram));
			hl_sig_input(s, (const uint8_t *)dgram, d, kind % 7 ? &agent : &src, now);
			data += n;
			size -= n;
			break;
		case 2:
			/* a time step of up to 65 s (the length field, in ms), run in 100 ms
			 * turns as the loop would */
			for (uint64_t t = now + n; now < t; now += 100)
				hl_sig_poll(s, now);
			break;
		case 3:
			fz_answer(s, 1, (unsigned int)n, &agent, now);
			break;
		case 4:
			fz_answer(s, 0, (unsigned int)n, &src, now);
			break;
		case 5:
			fz_register(s, &agent, now, &reg_seq);
			break;
		}
	}
	hl_sig_free(s);
	return 0;
}
