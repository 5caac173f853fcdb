/*
 * Signalling on simulated time and a captured transport: registrar with digest,
 * B2BUA call set-up and tear-down, CANCEL, busy and no-answer agents, 404/480,
 * retransmissions, and that nothing is left behind.
 */
#include <arpa/inet.h>

#include "hl_test.h"
#include "hotline/config.h"
#include "hotline/digest.h"
#include "hotline/sig.h"
#include "hotline/sip.h"
#include "hotline/tenant.h"

#define MAXOUT 64

struct sent {
	struct hl_sig_addr dst;
	char buf[4096];
	size_t len;
};

static struct sent out[MAXOUT];
static unsigned int nout;
static uint64_t now;

static int
cap_send(void *ctx, const struct hl_sig_addr *dst, const void *buf, size_t len)
{
	(void)ctx;
	if (nout < MAXOUT && len < sizeof(out[0].buf)) {
		out[nout].dst = *dst;
		memcpy(out[nout].buf, buf, len);
		out[nout].buf[len] = '\0';
		out[nout].len = len;
		nout++;
	}
	return 0;
}

static int
cap_route(void *ctx, struct hl_sig_addr *dst, uint8_t local[16])
{
	(void)ctx;
	dst->port_index = dst->ip[2] == 98 ? 1 : 0;
	memset(local, 0, 16);
	local[0] = 10;
	local[1] = 99;
	local[2] = dst->ip[2];
	local[3] = 1;
	return 0;
}

static const char tenants_text[] =
	"[tenant acme]\n"
	"realm = acme.test\n"
	"domains = acme.test\n"
	"dids = +15550100\n"
	"trunks = 10.99.0.0/24\n"
	"[agent alice@acme]\n"
	"password = alicepw\n"
	"[agent bob@acme]\n"
	"password = bobpw\n"
	"[tenant small]\n"
	"domains = small.test\n"
	"dids = +15550300\n"
	"trunks = 10.99.0.0/24\n"
	"max_calls = 1\n";

static struct hl_config cfg;
static struct hl_tenants *tenants;
static struct hl_sig *sig;

static struct hl_sig_addr
addr(int c, uint16_t port)
{
	struct hl_sig_addr a = {.family = 4, .port = port};
	a.ip[0] = 10;
	a.ip[1] = (uint8_t)(c == 'a' ? 98 : 99);
	a.ip[2] = (uint8_t)(c == 'a' ? 98 : 99);
	a.ip[3] = 2;
	/* the test route keys on the third byte */
	a.ip[1] = 99;
	a.ip[2] = (uint8_t)(c == 'a' ? 98 : 0);
	return a;
}

static void
setup(void)
{
	char err[256];
	struct hl_sig_ops ops = {.send = cap_send, .route = cap_route};

	hl_config_defaults(&cfg);
	cfg.sip_no_answer_s = 5;
	cfg.sip_qualify_s = 0; /* the qualify case turns it on */
	tenants = hl_tenants_parse("t.conf", tenants_text, sizeof(tenants_text) - 1, err, sizeof(err));
	HL_CHECK_MSG(tenants != NULL, "%s", err);
	now = 1000;
	nout = 0;
	sig = hl_sig_create(&cfg, tenants, NULL, &ops, now, 1700000000);
	HL_CHECK(sig != NULL);
}

static void
teardown(void)
{
	hl_sig_free(sig);
	hl_tenants_free(tenants);
	sig = NULL;
}

static void
feed(const char *msg, struct hl_sig_addr src)
{
	nout = 0;
	hl_sig_input(sig, (const uint8_t *)msg, strlen(msg), &src, now);
}

static void
advance(uint64_t ms)
{
	/* step so the wheel runs in order, as the control loop would */
	for (uint64_t t = 0; t < ms; t += 10) {
		now += 10;
		hl_sig_poll(sig, now);
	}
}

/* Status of a response or 0; method name into m for a request. */
static int
parse_out(unsigned int i, struct hl_sip_msg *m)
{
	if (i >= nout || hl_sip_parse((const uint8_t *)out[i].buf, out[i].len, m) < 0)
		return -1;
	return (m->flags & HL_SIP_F_RESPONSE) ? m->status : 0;
}

static int
status_of(unsigned int i)
{
	struct hl_sip_msg m;
	return parse_out(i, &m);
}

static int
is_method(unsigned int i, const char *method)
{
	struct hl_sip_msg m;
	if (parse_out(i, &m) != 0)
		return 0;
	return hl_sip_slice_ieq((const uint8_t *)out[i].buf, m.method_s, method);
}

/* Value of header id in output i into v. */
static int
hdr(unsigned int i, enum hl_sip_hdr id, char *v, size_t cap)
{
	struct hl_sip_msg m;
	const struct hl_sip_hdr_field *h;

	if (parse_out(i, &m) < 0 || (h = hl_sip_hdr_first(&m, id)) == NULL)
		return -1;
	snprintf(v, cap, "%.*s", h->value.len, out[i].buf + h->value.off);
	return 0;
}

static int
param(const char *v, const char *name, char *o, size_t cap)
{
	const char *p = strstr(v, name);
	if (p == NULL)
		return -1;
	p += strlen(name);
	if (*p == '"')
		p++;
	size_t n = strcspn(p, "\";, ");
	snprintf(o, cap, "%.*s", (int)n, p);
	return 0;
}

static unsigned int reg_cseq = 1;

/* Registers user with password from agent host port; returns the final status. */
static int
do_register(const char *user, const char *pw, uint16_t port, int replay)
{
	char msg[2048], www[512], nonce[128], ha1[65], resp[65];
	static char last[2048];
	struct hl_sig_addr src = addr('a', port);

	if (replay) {
		feed(last, src);
		return status_of(0);
	}
	snprintf(msg, sizeof(msg),
		"REGISTER sip:acme.test SIP/2.0\r\n"
		"Via: SIP/2.0/UDP 10.99.98.2:%u;branch=z9hG4bKreg%u%s\r\n"
		"Max-Forwards: 70\r\nFrom: <sip:%s@acme.test>;tag=r1\r\nTo: <sip:%s@acme.test>\r\n"
		"Call-ID: reg-%s@test\r\nCSeq: %u REGISTER\r\n"
		"Contact: <sip:%s@10.99.98.2:%u>\r\nExpires: 600\r\nContent-Length: 0\r\n\r\n",
		port, reg_cseq, user, user, user, user, reg_cseq, user, port);
	reg_cseq++;
	feed(msg, src);
	if (status_of(0) != 401)
		return status_of(0);
	/* The MD5 challenge is the second WWW-Authenticate. */
	const char *p = strstr(out[0].buf, "algorithm=MD5");
	HL_CHECK(p != NULL);
	HL_CHECK(strstr(out[0].buf, "algorithm=SHA-256") != NULL);
	const char *q = p;
	while (q > out[0].buf && strncmp(q, "WWW-Authenticate:", 17) != 0)
		q--;
	snprintf(www, sizeof(www), "%.*s", (int)(strchr(q, '\r') - q), q);
	HL_CHECK(param(www, "nonce=", nonce, sizeof(nonce)) == 0);
	hl_digest_ha1(HL_DIGEST_MD5, user, "acme.test", pw, ha1);
	hl_digest_client_response(HL_DIGEST_MD5, ha1, nonce, "00000001", "c0ffee", "auth",
		"REGISTER", "sip:acme.test", resp);
	snprintf(msg, sizeof(msg),
		"REGISTER sip:acme.test SIP/2.0\r\n"
		"Via: SIP/2.0/UDP 10.99.98.2:%u;branch=z9hG4bKreg%u%s\r\n"
		"Max-Forwards: 70\r\nFrom: <sip:%s@acme.test>;tag=r1\r\nTo: <sip:%s@acme.test>\r\n"
		"Call-ID: reg-%s@test\r\nCSeq: %u REGISTER\r\n"
		"Authorization: Digest username=\"%s\", realm=\"acme.test\", nonce=\"%s\", "
		"uri=\"sip:acme.test\", response=\"%s\", algorithm=MD5, qop=auth, nc=00000001, "
		"cnonce=\"c0ffee\"\r\n"
		"Contact: <sip:%s@10.99.98.2:%u>\r\nExpires: 600\r\nContent-Length: 0\r\n\r\n",
		port, reg_cseq, user, user, user, user, reg_cseq, user, nonce, resp, user, port);
	reg_cseq++;
	snprintf(last, sizeof(last), "%s", msg);
	/* a replay must use a new branch, or it is a retransmission */
	char *br = strstr(last, "branch=z9hG4bKreg");
	if (br != NULL)
		br[14] = 'X';
	feed(msg, src);
	return status_of(0);
}

static const char sdp_offer[] =
	"v=0\r\no=trunk 1 1 IN IP4 10.99.0.2\r\ns=-\r\nc=IN IP4 10.99.0.2\r\nt=0 0\r\n"
	"m=audio 6000 RTP/AVP 0 8 101\r\na=rtpmap:101 telephone-event/8000\r\n";

static void
send_invite_hdrs(const char *did, const char *branch, const char *callid, const char *hdrs)
{
	char msg[2048];

	snprintf(msg, sizeof(msg),
		"INVITE sip:%s@10.99.0.1 SIP/2.0\r\n"
		"Via: SIP/2.0/UDP 10.99.0.2:5060;branch=%s\r\n"
		"%sFrom: \"Customer\" <sip:+4930123@trunk.test>;tag=c1\r\n"
		"To: <sip:%s@10.99.0.1>\r\nCall-ID: %s\r\nCSeq: 1 INVITE\r\n"
		"Contact: <sip:trunk@10.99.0.2:5060>\r\nContent-Type: application/sdp\r\n"
		"Content-Length: %zu\r\n\r\n%s",
		did, branch, hdrs, did, callid, strlen(sdp_offer), sdp_offer);
	feed(msg, addr('t', 5060));
}

static void
send_invite(const char *did, const char *branch, const char *callid)
{
	send_invite_hdrs(did, branch, callid, "Max-Forwards: 70\r\n");
}

/* The customer's request in the A dialog (ACK or BYE) with our To tag, into msg. */
static void
customer_req(char *msg, size_t cap, const char *method, const char *branch, const char *callid,
	const char *totag, unsigned int cseq)
{
	snprintf(msg, cap,
		"%s sip:hotline@10.99.0.1:5060 SIP/2.0\r\nVia: SIP/2.0/UDP 10.99.0.2:5060;branch=%s\r\n"
		"Max-Forwards: 70\r\nFrom: \"Customer\" <sip:+4930123@trunk.test>;tag=c1\r\n"
		"To: <sip:+15550100@10.99.0.1>;tag=%s\r\nCall-ID: %s\r\nCSeq: %u %s\r\n"
		"Content-Length: 0\r\n\r\n", method, branch, totag, callid, cseq, method);
}

/* The agent's response to the INVITE in out[i], with to-tag and SDP for 2xx. */
static void
agent_respond(const char *invite, int code, uint16_t port)
{
	char msg[4096], via[256], from[256], to[256], cid[256], cseq[64];
	struct hl_sip_msg m;
	const struct hl_sip_hdr_field *h;
	const uint8_t *b = (const uint8_t *)invite;
	static const char asdp[] = "v=0\r\no=agent 2 2 IN IP4 10.99.98.2\r\ns=-\r\n"
				   "c=IN IP4 10.99.98.2\r\nt=0 0\r\nm=audio 7000 RTP/AVP 8 101\r\n"
				   "a=rtpmap:101 telephone-event/8000\r\n";

	HL_CHECK(hl_sip_parse(b, strlen(invite), &m) > 0);
	h = hl_sip_hdr_first(&m, HL_SIP_HDR_VIA);
	snprintf(via, sizeof(via), "%.*s", h->value.len, invite + h->value.off);
	h = hl_sip_hdr_first(&m, HL_SIP_HDR_FROM);
	snprintf(from, sizeof(from), "%.*s", h->value.len, invite + h->value.off);
	h = hl_sip_hdr_first(&m, HL_SIP_HDR_TO);
	snprintf(to, sizeof(to), "%.*s", h->value.len, invite + h->value.off);
	h = hl_sip_hdr_first(&m, HL_SIP_HDR_CALL_ID);
	snprintf(cid, sizeof(cid), "%.*s", h->value.len, invite + h->value.off);
	h = hl_sip_hdr_first(&m, HL_SIP_HDR_CSEQ);
	snprintf(cseq, sizeof(cseq), "%.*s", h->value.len, invite + h->value.off);
	int body = code >= 200 && code < 300;
	snprintf(msg, sizeof(msg),
		"SIP/2.0 %d X\r\nVia: %s\r\nFrom: %s\r\nTo: %s%s\r\nCall-ID: %s\r\nCSeq: %s\r\n"
		"Contact: <sip:agent@10.99.98.2:%u>\r\n%sContent-Length: %zu\r\n\r\n%s",
		code, via, from, to, code > 100 ? ";tag=ag1" : "", cid, cseq, port,
		body ? "Content-Type: application/sdp\r\n" : "", body ? strlen(asdp) : (size_t)0,
		body ? asdp : "");
	feed(msg, addr('a', port));
}

static int
find_out(const char *method_or_status)
{
	for (unsigned int i = 0; i < nout; i++) {
		int st = status_of(i);
		if (st > 0 && atoi(method_or_status) == st)
			return (int)i;
		if (st == 0 && is_method(i, method_or_status))
			return (int)i;
	}
	return -1;
}

static struct hl_sig_stats
stats(void)
{
	struct hl_sig_stats st;
	hl_sig_stats(sig, &st);
	return st;
}

HL_TEST(register_digest)
{
	setup();
	HL_CHECK(do_register("alice", "alicepw", 5090, 0) == 200);
	HL_CHECK(strstr(out[0].buf, "Contact: <sip:alice@10.99.98.2:5090>;expires=") != NULL);
	HL_CHECK(stats().bindings == 1);
	HL_CHECK(stats().agents_registered == 1);
	/* wrong password and unknown user: the same 401 */
	HL_CHECK(do_register("bob", "wrong", 5091, 0) == 401);
	HL_CHECK(do_register("mallory", "x", 5092, 0) == 401);
	HL_CHECK(stats().ctr[HL_SIG_CTR_REG_AUTH_FAIL] == 2);
	/* a replayed Authorization (same nonce and nc, new transaction) fails */
	HL_CHECK(do_register("alice", "alicepw", 5090, 0) == 200);
	HL_CHECK(do_register("alice", "alicepw", 5090, 1) == 401);
	HL_CHECK(stats().bindings == 1);
	/* a nonce past nonce_ttl_s with the right password: 401 with stale=true */
	{
		char msg[2048], nonce[128], ha1[65], resp[65];
		struct hl_sig_addr src = addr('a', 5090);
		feed("REGISTER sip:acme.test SIP/2.0\r\nVia: SIP/2.0/UDP 10.99.98.2:5090;branch=z9hG4bKst1\r\n"
		     "From: <sip:alice@acme.test>;tag=s\r\nTo: <sip:alice@acme.test>\r\n"
		     "Call-ID: st@test\r\nCSeq: 1 REGISTER\r\nContact: <sip:alice@10.99.98.2:5090>\r\n"
		     "Content-Length: 0\r\n\r\n", src);
		HL_CHECK(status_of(0) == 401);
		const char *p = strstr(out[0].buf, "algorithm=MD5");
		while (p != NULL && p > out[0].buf && strncmp(p, "nonce=\"", 7) != 0)
			p--;
		HL_CHECK(p != NULL && param(p, "nonce=", nonce, sizeof(nonce)) == 0);
		advance((uint64_t)cfg.sip_nonce_ttl_s * 1000 + 2000);
		hl_digest_ha1(HL_DIGEST_MD5, "alice", "acme.test", "alicepw", ha1);
		hl_digest_client_response(HL_DIGEST_MD5, ha1, nonce, "00000001", "abc", "auth",
			"REGISTER", "sip:acme.test", resp);
		snprintf(msg, sizeof(msg),
			"REGISTER sip:acme.test SIP/2.0\r\nVia: SIP/2.0/UDP 10.99.98.2:5090;branch=z9hG4bKst2\r\n"
			"From: <sip:alice@acme.test>;tag=s\r\nTo: <sip:alice@acme.test>\r\n"
			"Call-ID: st@test\r\nCSeq: 2 REGISTER\r\n"
			"Authorization: Digest username=\"alice\", realm=\"acme.test\", nonce=\"%s\", "
			"uri=\"sip:acme.test\", response=\"%s\", algorithm=MD5, qop=auth, "
			"nc=00000001, cnonce=\"abc\"\r\nContact: <sip:alice@10.99.98.2:5090>\r\n"
			"Content-Length: 0\r\n\r\n", nonce, resp);
		feed(msg, src);
		HL_CHECK(status_of(0) == 401 && strstr(out[0].buf, "stale=true") != NULL);
		HL_CHECK(stats().ctr[HL_SIG_CTR_REG_STALE] == 1);
	}
	/* binding expiry */
	advance(601 * 1000 - (uint64_t)cfg.sip_nonce_ttl_s * 1000);
	HL_CHECK(stats().bindings == 0);
	HL_CHECK(stats().agents_registered == 0);
	teardown();
}

HL_TEST(call_answer_bye)
{
	char v[512];
	int i;

	setup();
	HL_CHECK(do_register("alice", "alicepw", 5090, 0) == 200);
	send_invite("+15550100", "z9hG4bKinv1", "call1@trunk");
	HL_CHECK(status_of(0) == 100);
	i = find_out("INVITE");
	HL_CHECK(i >= 0);
	if (i < 0)
		goto out;
	HL_CHECK(out[i].dst.port == 5090 && out[i].dst.ip[2] == 98);
	HL_CHECK(strstr(out[i].buf, "INVITE sip:alice@10.99.98.2:5090 SIP/2.0") != NULL);
	HL_CHECK(strstr(out[i].buf, "m=audio ") != NULL);
	HL_CHECK(strstr(out[i].buf, "c=IN IP4 10.99.98.1") != NULL);
	char inv[4096];
	snprintf(inv, sizeof(inv), "%s", out[i].buf);
	/* the INVITE is retransmitted (Timer A) until a provisional comes */
	advance(600);
	HL_CHECK(find_out("INVITE") >= 0 || stats().ctr[HL_SIG_CTR_RETRANS_SENT] >= 1);
	agent_respond(inv, 180, 5090);
	HL_CHECK(find_out("180") >= 0 && out[find_out("180")].dst.ip[2] == 0);
	agent_respond(inv, 200, 5090);
	HL_CHECK(find_out("ACK") >= 0);
	i = find_out("200");
	HL_CHECK(i >= 0);
	if (i < 0)
		goto out;
	HL_CHECK(strstr(out[i].buf, "c=IN IP4 10.99.0.1") != NULL);
	HL_CHECK(strstr(out[i].buf, "RTP/AVP 8 101") != NULL);
	HL_CHECK(hdr(i, HL_SIP_HDR_TO, v, sizeof(v)) == 0 && strstr(v, ";tag=") != NULL);
	char totag[64];
	param(v, ";tag=", totag, sizeof(totag));
	HL_CHECK(stats().calls == 1 && stats().dialogs == 2);
	HL_CHECK(stats().ctr[HL_SIG_CTR_CALLS_ANSWERED] == 1);
	/* a lost ACK: the 2xx is retransmitted */
	advance(600);
	HL_CHECK(find_out("200") >= 0);
	char msg[1024];
	customer_req(msg, sizeof(msg), "ACK", "z9hG4bKack1", "call1@trunk", totag, 1);
	feed(msg, addr('t', 5060));
	HL_CHECK(nout == 0);
	advance(2000);
	HL_CHECK(find_out("200") < 0);
	/* BYE from the customer: 200, and BYE to the agent */
	customer_req(msg, sizeof(msg), "BYE", "z9hG4bKbye1", "call1@trunk", totag, 2);
	feed(msg, addr('t', 5060));
	HL_CHECK(status_of(0) == 200);
	i = find_out("BYE");
	HL_CHECK(i >= 0 && out[i].dst.port == 5090);
	if (i >= 0) {
		char bye[4096];
		snprintf(bye, sizeof(bye), "%s", out[i].buf);
		agent_respond(bye, 200, 5090);
	}
	HL_CHECK(stats().calls == 0 && stats().dialogs == 0);
	HL_CHECK(stats().ctr[HL_SIG_CTR_CALLS_COMPLETED] == 1);
	/* the BYE retransmitted is answered from the transaction */
	feed(msg, addr('t', 5060));
	HL_CHECK(status_of(0) == 200);
	advance(40000);
	HL_CHECK(stats().transactions == 0);
out:
	teardown();
}

HL_TEST(busy_then_next_and_no_agent)
{
	int i;

	setup();
	HL_CHECK(do_register("alice", "alicepw", 5090, 0) == 200);
	advance(10);
	HL_CHECK(do_register("bob", "bobpw", 5091, 0) == 200);
	send_invite("+15550100", "z9hG4bKinv2", "call2@trunk");
	i = find_out("INVITE");
	HL_CHECK(i >= 0 && out[i].dst.port == 5090); /* alice: idle longest */
	if (i < 0)
		goto out;
	char inv[4096];
	snprintf(inv, sizeof(inv), "%s", out[i].buf);
	agent_respond(inv, 486, 5090);
	HL_CHECK(find_out("ACK") >= 0);
	i = find_out("INVITE");
	HL_CHECK(i >= 0 && out[i].dst.port == 5091); /* then bob */
	if (i < 0)
		goto out;
	snprintf(inv, sizeof(inv), "%s", out[i].buf);
	/* bob lets it ring: CANCEL after no_answer_s, then nobody is left: 480 */
	agent_respond(inv, 180, 5091);
	advance(5100);
	HL_CHECK(find_out("CANCEL") >= 0);
	HL_CHECK(find_out("480") >= 0);
	agent_respond(inv, 487, 5091);
	HL_CHECK(stats().calls == 0);
	HL_CHECK(stats().ctr[HL_SIG_CTR_AGENT_REJECTS] == 1);
	HL_CHECK(stats().ctr[HL_SIG_CTR_AGENT_NO_ANSWER] == 1);
	/* unknown DID: 404 */
	send_invite("+19999", "z9hG4bKinv3", "call3@trunk");
	HL_CHECK(status_of(0) == 100 && find_out("404") >= 0);
	advance(40000);
	HL_CHECK(stats().transactions == 0 && stats().dialogs == 0);
out:
	teardown();
}

HL_TEST(cancel_before_answer)
{
	int i;
	char msg[1024];

	setup();
	HL_CHECK(do_register("alice", "alicepw", 5090, 0) == 200);
	send_invite("+15550100", "z9hG4bKinv4", "call4@trunk");
	i = find_out("INVITE");
	HL_CHECK(i >= 0);
	if (i < 0)
		goto out;
	char inv[4096];
	snprintf(inv, sizeof(inv), "%s", out[i].buf);
	agent_respond(inv, 180, 5090);
	snprintf(msg, sizeof(msg),
		"CANCEL sip:+15550100@10.99.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 10.99.0.2:5060;branch=z9hG4bKinv4\r\n"
		"Max-Forwards: 70\r\nFrom: \"Customer\" <sip:+4930123@trunk.test>;tag=c1\r\n"
		"To: <sip:+15550100@10.99.0.1>\r\nCall-ID: call4@trunk\r\nCSeq: 1 CANCEL\r\n"
		"Content-Length: 0\r\n\r\n");
	feed(msg, addr('t', 5060));
	HL_CHECK(find_out("200") >= 0 && find_out("487") >= 0 && find_out("CANCEL") >= 0);
	agent_respond(inv, 487, 5090);
	HL_CHECK(stats().calls == 0);
	HL_CHECK(stats().ctr[HL_SIG_CTR_CALLS_CANCELLED] == 1);
	advance(40000);
	HL_CHECK(stats().transactions == 0 && stats().dialogs == 0);
out:
	teardown();
}

/* Every ACK of the customer lost, then its BYE: the 2xx is not resent any more and
 * no ack_timeout is counted (the call ended normally). */
HL_TEST(bye_before_ack)
{
	char v[512], totag[64], msg[1024], inv[4096];
	int i;

	setup();
	HL_CHECK(do_register("alice", "alicepw", 5090, 0) == 200);
	send_invite("+15550100", "z9hG4bKinv5", "call5@trunk");
	i = find_out("INVITE");
	HL_CHECK(i >= 0);
	if (i < 0)
		goto out;
	snprintf(inv, sizeof(inv), "%s", out[i].buf);
	agent_respond(inv, 200, 5090);
	i = find_out("200");
	HL_CHECK(i >= 0 && hdr(i, HL_SIP_HDR_TO, v, sizeof(v)) == 0);
	if (i < 0)
		goto out;
	param(v, ";tag=", totag, sizeof(totag));
	advance(300);
	HL_CHECK(find_out("200") >= 0); /* resent: no ACK came */
	customer_req(msg, sizeof(msg), "BYE", "z9hG4bKbye5", "call5@trunk", totag, 2);
	feed(msg, addr('t', 5060));
	HL_CHECK(status_of(0) == 200);
	i = find_out("BYE");
	HL_CHECK(i >= 0);
	if (i >= 0) {
		char bye[4096];
		snprintf(bye, sizeof(bye), "%s", out[i].buf);
		agent_respond(bye, 200, 5090);
	}
	HL_CHECK(stats().calls == 0);
	nout = 0;
	advance(5000);
	HL_CHECK(find_out("200") < 0);
	advance(40000);
	HL_CHECK(stats().transactions == 0);
	HL_CHECK(stats().ctr[HL_SIG_CTR_ACK_TIMEOUT] == 0);
out:
	teardown();
}

/* RFC 4028: the customer refreshes (Supported: timer); no refresh within the
 * interval ends the call on both legs. Below Min-SE is 422. */
HL_TEST(session_timer_expiry)
{
	int i;

	setup();
	HL_CHECK(do_register("alice", "alicepw", 5090, 0) == 200);
	send_invite_hdrs("+15550100", "z9hG4bKse0", "se0@trunk",
		"Max-Forwards: 70\r\nSupported: timer\r\nSession-Expires: 30\r\n");
	HL_CHECK(find_out("422") >= 0 && strstr(out[find_out("422")].buf, "Min-SE: 90") != NULL);
	send_invite_hdrs("+15550100", "z9hG4bKse1", "se1@trunk",
		"Max-Forwards: 70\r\nSupported: timer\r\nSession-Expires: 120;refresher=uac\r\n");
	i = find_out("INVITE");
	HL_CHECK(i >= 0);
	if (i < 0)
		goto out;
	char inv[4096];
	snprintf(inv, sizeof(inv), "%s", out[i].buf);
	agent_respond(inv, 200, 5090);
	i = find_out("200");
	HL_CHECK(i >= 0 && strstr(out[i].buf, "Session-Expires: 120;refresher=uac") != NULL &&
		strstr(out[i].buf, "Require: timer") != NULL);
	if (i < 0)
		goto out;
	{
		char v[512], totag[64], msg[1024];
		hdr(i, HL_SIP_HDR_TO, v, sizeof(v));
		param(v, ";tag=", totag, sizeof(totag));
		customer_req(msg, sizeof(msg), "ACK", "z9hG4bKsea", "se1@trunk", totag, 1);
		feed(msg, addr('t', 5060));
	}
	/* no refresh: at 120 - 32 s the call ends, BYE to both sides */
	unsigned int byes = 0;
	for (int k = 0; k < 100 && byes < 2; k++) {
		advance(1000);
		for (unsigned int j = 0; j < nout; j++)
			byes += is_method(j, "BYE");
	}
	HL_CHECK(byes == 2);
	HL_CHECK(stats().ctr[HL_SIG_CTR_SESSION_EXPIRED] == 1);
out:
	teardown();
}

/* Tenant isolation, Max-Forwards 0 (483), our own branch in a lower Via (482 loop). */
HL_TEST(limits_and_hops)
{
	setup();
	/* small has no agents of its own: its call gets 480 and is never offered to
	 * alice, an idle agent of another tenant */
	HL_CHECK(do_register("alice", "alicepw", 5090, 0) == 200);
	send_invite("+15550300", "z9hG4bKl1", "l1@trunk");
	HL_CHECK(find_out("480") >= 0 && find_out("INVITE") < 0);
	HL_CHECK(stats().ctr[HL_SIG_CTR_AGENT_OFFERS] == 0);
	send_invite_hdrs("+15550100", "z9hG4bKh1", "h1@trunk", "Max-Forwards: 0\r\n");
	HL_CHECK(find_out("483") >= 0);
	send_invite_hdrs("+15550100", "z9hG4bKh2", "h2@trunk",
		"Via: SIP/2.0/UDP 10.99.0.1:5060;branch=z9hG4bK-hl00000000deadbeef\r\nMax-Forwards: 9\r\n");
	HL_CHECK(find_out("482") >= 0);
	HL_CHECK(stats().ctr[HL_SIG_CTR_TOO_MANY_HOPS] == 1);
	HL_CHECK(stats().ctr[HL_SIG_CTR_LOOP_DETECTED] == 1);
	teardown();
}

/* max_calls = 1 on tenant "small": while its one call rings, the next is 486. */
HL_TEST(tenant_call_limit)
{
	static const char t2[] = "[tenant small]\ndomains = small.test\ndids = +15550300\n"
				 "trunks = 10.99.0.0/24\nmax_calls = 1\n"
				 "[agent carol@small]\npassword = carolpw\n";
	char err[256], msg[2048], nonce[128], ha1[65], resp[65];
	struct hl_sig_ops ops = {.send = cap_send, .route = cap_route};

	hl_config_defaults(&cfg);
	cfg.sip_digest[0] = HL_CONFIG_DIGEST_MD5;
	cfg.sip_digest[1] = 0;
	tenants = hl_tenants_parse("t2", t2, sizeof(t2) - 1, err, sizeof(err));
	HL_CHECK(tenants != NULL);
	sig = hl_sig_create(&cfg, tenants, NULL, &ops, now, 1700000000);
	HL_CHECK(sig != NULL);
	if (sig == NULL)
		return;
	feed("REGISTER sip:small.test SIP/2.0\r\nVia: SIP/2.0/UDP 10.99.98.2:5090;branch=z9hG4bKc1\r\n"
	     "From: <sip:carol@small.test>;tag=c\r\nTo: <sip:carol@small.test>\r\nCall-ID: c@t\r\n"
	     "CSeq: 1 REGISTER\r\nContact: <sip:carol@10.99.98.2:5090>\r\nContent-Length: 0\r\n\r\n",
		addr('a', 5090));
	const char *p = strstr(out[0].buf, "nonce=\"");
	HL_CHECK(p != NULL);
	if (p == NULL)
		goto out;
	snprintf(nonce, sizeof(nonce), "%.*s", (int)strcspn(p + 7, "\""), p + 7);
	hl_digest_ha1(HL_DIGEST_MD5, "carol", "small.test", "carolpw", ha1);
	hl_digest_client_response(HL_DIGEST_MD5, ha1, nonce, "00000001", "x", "auth", "REGISTER",
		"sip:small.test", resp);
	snprintf(msg, sizeof(msg),
		"REGISTER sip:small.test SIP/2.0\r\nVia: SIP/2.0/UDP 10.99.98.2:5090;branch=z9hG4bKc2\r\n"
		"From: <sip:carol@small.test>;tag=c\r\nTo: <sip:carol@small.test>\r\nCall-ID: c@t\r\n"
		"CSeq: 2 REGISTER\r\nAuthorization: Digest username=\"carol\", realm=\"small.test\", "
		"nonce=\"%s\", uri=\"sip:small.test\", response=\"%s\", qop=auth, nc=00000001, "
		"cnonce=\"x\"\r\nContact: <sip:carol@10.99.98.2:5090>\r\nContent-Length: 0\r\n\r\n",
		nonce, resp);
	feed(msg, addr('a', 5090));
	HL_CHECK(status_of(0) == 200);
	send_invite("+15550300", "z9hG4bKm1", "m1@trunk");
	HL_CHECK(find_out("INVITE") >= 0);
	send_invite("+15550300", "z9hG4bKm2", "m2@trunk");
	HL_CHECK(find_out("486") >= 0);
	HL_CHECK(stats().ctr[HL_SIG_CTR_CALLS_LIMITED] == 1);
out:
	teardown();
}

/* Qualify: OPTIONS to the binding every qualify_s; answered keeps it, two
 * unanswered in a row remove it (and the agent is no longer routed to). */
HL_TEST(qualify)
{
	int i;

	setup();
	cfg.sip_qualify_s = 30;
	HL_CHECK(do_register("alice", "alicepw", 5090, 0) == 200);
	/* the first probe comes within 15..45 s; answer it */
	for (int k = 0; k < 50 && (i = find_out("OPTIONS")) < 0; k++)
		advance(1000);
	HL_CHECK(i >= 0 && out[i].dst.port == 5090);
	if (i < 0)
		goto out;
	HL_CHECK(strstr(out[i].buf, "OPTIONS sip:alice@10.99.98.2:5090 SIP/2.0") != NULL);
	char opt[4096];
	snprintf(opt, sizeof(opt), "%s", out[i].buf);
	agent_respond(opt, 200, 5090);
	HL_CHECK(stats().ctr[HL_SIG_CTR_OPTIONS_OUT] == 1);
	/* now the phone is gone: two probes time out (64*T1 each), the binding goes */
	for (int k = 0; k < 200 && stats().bindings > 0; k++)
		advance(1000);
	HL_CHECK(stats().bindings == 0 && stats().agents_registered == 0);
	HL_CHECK(stats().ctr[HL_SIG_CTR_QUALIFY_FAIL] == 2);
	HL_CHECK(stats().ctr[HL_SIG_CTR_QUALIFY_DROP] == 1);
	send_invite("+15550100", "z9hG4bKq1", "q1@trunk");
	HL_CHECK(find_out("480") >= 0);
out:
	teardown();
}

HL_TEST(bad_input)
{
	setup();
	/* a CSeq that does not parse: 400; without From/To nothing can be answered */
	feed("INVITE sip:x@y SIP/2.0\r\nVia: SIP/2.0/UDP 10.99.0.2;branch=z9hG4bKb1\r\n"
	     "From: <sip:a@b>;tag=1\r\nTo: <sip:c@d>\r\nCall-ID: b1\r\nCSeq: x INVITE\r\n"
	     "Content-Length: 0\r\n\r\n", addr('t', 5060));
	HL_CHECK(status_of(0) == 400);
	feed("INVITE sip:x@y SIP/2.0\r\nVia: SIP/2.0/UDP 1.2.3.4\r\n\r\n", addr('t', 5060));
	HL_CHECK(nout == 0);
	feed("garbage\r\n\r\n", addr('t', 5060));
	HL_CHECK(nout == 0);
	HL_CHECK(stats().ctr[HL_SIG_CTR_BAD_IN] == 3);
	feed("OPTIONS sip:10.99.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 10.99.0.2;branch=z9hG4bKo1\r\n"
	     "From: <sip:a@b>;tag=1\r\nTo: <sip:c@d>\r\nCall-ID: o1\r\nCSeq: 1 OPTIONS\r\n"
	     "Content-Length: 0\r\n\r\n", addr('t', 5060));
	HL_CHECK(status_of(0) == 200 && strstr(out[0].buf, "Allow: INVITE") != NULL);
	teardown();
}

HL_TEST_MAIN()
