/*
 * bench_sip: ns per message and messages per second per core of hl_sip_parse() plus the
 * header bodies a B2BUA reads (top Via and its branch, From and To tags, Call-ID,
 * CSeq, first Contact, Content-Length, Max-Forwards), side by side with sofia-sip's
 * and libosip2's parsers on the same bytes, reading the same headers. One thread,
 * clock_gettime(CLOCK_MONOTONIC) around a calibrated loop. Figures: bench/README.md.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "hotline/sip.h"

#ifdef HL_BENCH_SOFIA
#include <sofia-sip/msg.h>
#include <sofia-sip/sip.h>
#include <sofia-sip/sip_header.h>
#include <sofia-sip/sip_protos.h>
#endif
#ifdef HL_BENCH_OSIP
#include <osipparser2/osip_parser.h>
#endif

#define CRLF "\r\n"
#define SDP                                                                                \
	"v=0" CRLF "o=- 3894567 3894568 IN IP4 203.0.113.5" CRLF "s=-" CRLF                 \
	"c=IN IP4 203.0.113.5" CRLF "t=0 0" CRLF "m=audio 30000 RTP/AVP 0 8 18 101" CRLF   \
	"a=rtpmap:0 PCMU/8000" CRLF "a=rtpmap:8 PCMA/8000" CRLF "a=rtpmap:18 G729/8000" CRLF \
	"a=fmtp:18 annexb=no" CRLF "a=rtpmap:101 telephone-event/8000" CRLF                 \
	"a=fmtp:101 0-16" CRLF "a=ptime:20" CRLF "a=sendrecv" CRLF

static const char invite[] =
	"INVITE sip:+15551230000@pbx.example.com;user=phone SIP/2.0" CRLF
	"Via: SIP/2.0/UDP 203.0.113.5:5060;branch=z9hG4bK-524287-1---4c2ab0a5e8f2b1d7;rport" CRLF
	"Max-Forwards: 69" CRLF
	"Record-Route: <sip:203.0.113.5;lr;ftag=as5d1b2c3a>" CRLF
	"Contact: <sip:+15559870000@203.0.113.5:5060;transport=udp>" CRLF
	"To: <sip:+15551230000@pbx.example.com;user=phone>" CRLF
	"From: \"Alice Smith\" <sip:+15559870000@carrier.example.net;user=phone>;tag=as5d1b2c3a" CRLF
	"Call-ID: 3c26700a-8a4d-4b8e-9f5c-1a2b3c4d5e6f@203.0.113.5" CRLF
	"CSeq: 102 INVITE" CRLF
	"Allow: INVITE, ACK, CANCEL, OPTIONS, BYE, REFER, NOTIFY, INFO, UPDATE, PRACK" CRLF
	"Supported: replaces, timer, 100rel" CRLF
	"Session-Expires: 1800;refresher=uac" CRLF
	"Min-SE: 90" CRLF
	"P-Asserted-Identity: <sip:+15559870000@carrier.example.net;user=phone>" CRLF
	"User-Agent: CarrierSBC 4.2.1" CRLF
	"Content-Type: application/sdp" CRLF
	"Content-Length: 277" CRLF CRLF SDP;

static const char registr[] =
	"REGISTER sip:tenant1.example.com SIP/2.0" CRLF
	"Via: SIP/2.0/UDP 192.0.2.44:5062;branch=z9hG4bK1c6b3a9d2e;rport" CRLF
	"Max-Forwards: 70" CRLF
	"Contact: <sip:agent1042@192.0.2.44:5062;transport=udp>;expires=3600;+sip.instance=\"<urn:uuid:00000000-0000-1000-8000-0004f2a1b2c3>\"" CRLF
	"To: <sip:agent1042@tenant1.example.com>" CRLF
	"From: <sip:agent1042@tenant1.example.com>;tag=8f2a61c4" CRLF
	"Call-ID: 6a1d2b3c-4e5f-11ee-8c99-0242ac120002" CRLF
	"CSeq: 20 REGISTER" CRLF
	"Expires: 3600" CRLF
	"Allow: INVITE, ACK, CANCEL, BYE, NOTIFY, REFER, MESSAGE, OPTIONS, INFO, SUBSCRIBE" CRLF
	"Authorization: Digest username=\"agent1042\", realm=\"tenant1.example.com\", "
	"nonce=\"5f8e1d2c3b4a69788796a5b4c3d2e1f0\", uri=\"sip:tenant1.example.com\", "
	"response=\"d41d8cd98f00b204e9800998ecf8427e\", algorithm=MD5, cnonce=\"0a4f113b\", "
	"qop=auth, nc=00000001" CRLF
	"User-Agent: Yealink SIP-T46U 108.86.0.45" CRLF
	"Content-Length: 0" CRLF CRLF;

static const char ok200[] =
	"SIP/2.0 200 OK" CRLF
	"Via: SIP/2.0/UDP 198.51.100.7:5060;branch=z9hG4bK-hl-7f3a9c21;rport=5060" CRLF
	"Record-Route: <sip:192.0.2.9;lr>" CRLF
	"Contact: <sip:agent1042@192.0.2.44:5062>" CRLF
	"To: <sip:agent1042@tenant1.example.com>;tag=1779a2b0" CRLF
	"From: <sip:queue7@tenant1.example.com>;tag=hl-5e2d9a" CRLF
	"Call-ID: hl-0000000000000f3a-2c9b@198.51.100.7" CRLF
	"CSeq: 1 INVITE" CRLF
	"Allow: INVITE, ACK, CANCEL, BYE, NOTIFY, REFER, OPTIONS, INFO, UPDATE" CRLF
	"Supported: replaces, timer" CRLF
	"Session-Expires: 1800;refresher=uac" CRLF
	"Content-Type: application/sdp" CRLF
	"Content-Length: 277" CRLF CRLF SDP;

static const char trying[] =
	"SIP/2.0 100 Trying" CRLF
	"Via: SIP/2.0/UDP 198.51.100.7:5060;branch=z9hG4bK-hl-7f3a9c21;rport=5060" CRLF
	"To: <sip:agent1042@tenant1.example.com>" CRLF
	"From: <sip:queue7@tenant1.example.com>;tag=hl-5e2d9a" CRLF
	"Call-ID: hl-0000000000000f3a-2c9b@198.51.100.7" CRLF
	"CSeq: 1 INVITE" CRLF
	"Content-Length: 0" CRLF CRLF;

/* Keeps results alive so no parser's work is optimised away. */
static volatile uint64_t sink;

typedef int (*parse_fn)(const char *buf, size_t len);

static int
hl_parse_b2bua(const char *data, size_t len)
{
	const uint8_t *b = (const uint8_t *)data;
	struct hl_sip_msg m;
	struct hl_sip_via via;
	struct hl_sip_name_addr from, to, contact;
	struct hl_sip_cseq cseq;
	struct hl_sip_uri curi;
	const struct hl_sip_hdr_field *h;
	uint32_t mf = 0;

	if (hl_sip_parse(b, len, &m) < 0)
		return -1;
	if ((h = hl_sip_hdr_first(&m, HL_SIP_HDR_VIA)) == NULL ||
		hl_sip_parse_via(b, h->value, &via) < 0)
		return -1;
	if ((h = hl_sip_hdr_first(&m, HL_SIP_HDR_FROM)) == NULL ||
		hl_sip_parse_name_addr(b, h->value, &from) < 0)
		return -1;
	if ((h = hl_sip_hdr_first(&m, HL_SIP_HDR_TO)) == NULL ||
		hl_sip_parse_name_addr(b, h->value, &to) < 0)
		return -1;
	if ((h = hl_sip_hdr_first(&m, HL_SIP_HDR_CSEQ)) == NULL ||
		hl_sip_parse_cseq(b, h->value, &cseq) < 0)
		return -1;
	h = hl_sip_hdr_first(&m, HL_SIP_HDR_CALL_ID);
	sink += via.branch.len + from.tag.len + to.tag.len + cseq.seq + h->value.len +
		m.content_length;
	/* The peers split the Contact URI into its parts (sofia's m_url, osip's c->url) and
	 * the B2BUA routes in-dialog requests to its host: hotline parses it too. */
	if ((h = hl_sip_hdr_first(&m, HL_SIP_HDR_CONTACT)) != NULL &&
		hl_sip_parse_name_addr(b, h->value, &contact) > 0 &&
		hl_sip_parse_uri(b, contact.uri, &curi) == 0)
		sink += curi.host.len;
	if ((h = hl_sip_hdr_first(&m, HL_SIP_HDR_MAX_FORWARDS)) != NULL &&
		hl_sip_parse_uint(b, h->value, &mf) == 0)
		sink += mf;
	return 0;
}

#ifdef HL_BENCH_SOFIA
static int
sofia_parse(const char *data, size_t len)
{
	msg_t *msg = msg_make(sip_default_mclass(), 0, data, (ssize_t)len);
	if (msg == NULL)
		return -1;
	sip_t *sip = sip_object(msg);
	int r = -1;
	if (sip != NULL && sip->sip_via && sip->sip_from && sip->sip_to && sip->sip_call_id &&
		sip->sip_cseq) {
		sink += strlen(sip->sip_via->v_branch ? sip->sip_via->v_branch : "") +
			(sip->sip_from->a_tag ? strlen(sip->sip_from->a_tag) : 0) +
			(sip->sip_to->a_tag ? strlen(sip->sip_to->a_tag) : 0) +
			strlen(sip->sip_call_id->i_id) + sip->sip_cseq->cs_seq;
		if (sip->sip_contact && sip->sip_contact->m_url->url_host)
			sink += strlen(sip->sip_contact->m_url->url_host);
		if (sip->sip_content_length)
			sink += sip->sip_content_length->l_length;
		if (sip->sip_max_forwards)
			sink += sip->sip_max_forwards->mf_count;
		r = 0;
	}
	msg_destroy(msg);
	return r;
}
#endif

#ifdef HL_BENCH_OSIP
static int
osip_parse(const char *data, size_t len)
{
	osip_message_t *sip;
	osip_via_t *via;
	osip_generic_param_t *p;
	osip_contact_t *c;
	osip_header_t *mf;
	int r = -1;

	if (osip_message_init(&sip) != 0)
		return -1;
	if (osip_message_parse(sip, data, len) == 0 && osip_message_get_via(sip, 0, &via) >= 0 &&
		sip->from && sip->to && sip->call_id && sip->cseq) {
		if (osip_via_param_get_byname(via, "branch", &p) == 0 && p->gvalue)
			sink += strlen(p->gvalue);
		if (osip_from_param_get_byname(sip->from, "tag", &p) == 0 && p->gvalue)
			sink += strlen(p->gvalue);
		if (osip_to_param_get_byname(sip->to, "tag", &p) == 0 && p->gvalue)
			sink += strlen(p->gvalue);
		sink += strlen(sip->call_id->number) + strtoul(sip->cseq->number, NULL, 10);
		if (osip_message_get_contact(sip, 0, &c) >= 0 && c->url && c->url->host)
			sink += strlen(c->url->host);
		if (sip->content_length)
			sink += strtoul(sip->content_length->value, NULL, 10);
		if (osip_message_get_max_forwards(sip, 0, &mf) >= 0 && mf->hvalue)
			sink += strtoul(mf->hvalue, NULL, 10);
		r = 0;
	}
	osip_message_free(sip);
	return r;
}
#endif

static double
now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* ns per message, best of 3 runs of ~budget seconds each; -1 if the parser refuses. */
static double
measure(parse_fn fn, const char *msg, size_t len, double budget)
{
	if (fn(msg, len) != 0)
		return -1;
	unsigned long n = 1000;
	double t0 = now();
	for (unsigned long i = 0; i < n; i++)
		fn(msg, len);
	double dt = now() - t0;
	n = (unsigned long)(budget / (dt / (double)n));
	if (n < 1000)
		n = 1000;
	double best = 1e30;
	for (int rep = 0; rep < 3; rep++) {
		t0 = now();
		for (unsigned long i = 0; i < n; i++)
			fn(msg, len);
		dt = (now() - t0) / (double)n * 1e9;
		if (dt < best)
			best = dt;
	}
	return best;
}

int
main(int argc, char **argv)
{
	static const struct {
		const char *name, *text;
		size_t len;
	} msgs[] = {
		{"INVITE + SDP", invite, sizeof(invite) - 1},
		{"REGISTER + auth", registr, sizeof(registr) - 1},
		{"200 OK + SDP", ok200, sizeof(ok200) - 1},
		{"100 Trying", trying, sizeof(trying) - 1},
	};
	double budget = argc > 1 ? atof(argv[1]) : 0.6;

#ifdef HL_BENCH_OSIP
	parser_init();
#endif
	printf("%-16s %6s %12s %9s %12s %12s %10s\n", "message", "bytes", "hotline ns",
		"Mmsg/s", "sofia ns", "osip ns", "x faster");
	for (unsigned int i = 0; i < HL_ARRAY_SIZE(msgs); i++) {
		double hl = measure(hl_parse_b2bua, msgs[i].text, msgs[i].len, budget);
		double so = -1, os = -1, peer = -1;
#ifdef HL_BENCH_SOFIA
		so = measure(sofia_parse, msgs[i].text, msgs[i].len, budget);
#endif
#ifdef HL_BENCH_OSIP
		os = measure(osip_parse, msgs[i].text, msgs[i].len, budget);
#endif
		if (so > 0)
			peer = so;
		if (os > 0 && (peer < 0 || os < peer))
			peer = os;
		if (hl < 0) {
			fprintf(stderr, "hotline refused %s\n", msgs[i].name);
			return 1;
		}
		printf("%-16s %6zu %12.1f %9.2f %12.1f %12.1f %10.1f\n", msgs[i].name, msgs[i].len,
			hl, 1e3 / hl, so, os, peer > 0 ? peer / hl : 0.0);
	}
	return (int)(sink & 0);
}
