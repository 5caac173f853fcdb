/*
 * Signalling on simulated time and a captured transport: registrar with digest,
 * B2BUA call set-up and tear-down, CANCEL, busy and no-answer agents, 404/480,
 * retransmissions, and that nothing is left behind. SDES: the suite and key each leg
 * gets, on the wire and in what the worker is given, and re-keys by re-INVITE. Late
 * offer: our offer in the 200, the answer in the ACK, and re-INVITEs without SDP.
 * Key presses by INFO: reported once, relayed one at a time to the other leg (or kept
 * from the agent for PCI), retransmitted, and refused when the body is no press.
 * Bodies: SDP is application/sdp under any spelling, anything else 415 or no SDP. A
 * re-offer the other side refuses leaves both legs as they were.
 */
#include <arpa/inet.h>
#include <errno.h>

#include "hl_test.h"
#include "hotline/config.h"
#include "hotline/digest.h"
#include "hotline/dtmf.h"
#include "hotline/sdp.h"
#include "hotline/sig.h"
#include "hotline/sip.h"
#include "hotline/store.h"
#include "hotline/tenant.h"
#include "control/sig_priv.h"

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

/* What the B2BUA gave the worker (hl_sig_ops.media_set), in order, when a case asks. */
static struct hl_media_leg pushed[32];
static unsigned int npushed;
/* How many messages had gone out of the current feed when each leg was pushed. */
static unsigned int pushed_nout[32];

static int
cap_media_set(void *ctx, struct hl_media_leg *leg)
{
	(void)ctx;
	if (npushed < HL_ARRAY_SIZE(pushed)) {
		pushed_nout[npushed] = nout;
		pushed[npushed++] = *leg;
	}
	/* as hl_media_set(): the caller's copy of the keys is wiped */
	hl_srtp_key_wipe(&leg->rx_key);
	explicit_bzero(leg->rx_more, sizeof(leg->rx_more));
	hl_srtp_key_wipe(&leg->tx_key);
	return 0;
}

static void
setup_ops(int media)
{
	char err[256];
	struct hl_sig_ops ops = {.send = cap_send, .route = cap_route};

	if (media)
		ops.media_set = cap_media_set;
	npushed = 0;

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
setup(void)
{
	setup_ops(0);
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
send_invite_sdp(const char *did, const char *branch, const char *callid, const char *hdrs,
	const char *sdp)
{
	char msg[4096];

	snprintf(msg, sizeof(msg),
		"INVITE sip:%s@10.99.0.1 SIP/2.0\r\n"
		"Via: SIP/2.0/UDP 10.99.0.2:5060;branch=%s\r\n"
		"%sFrom: \"Customer\" <sip:+4930123@trunk.test>;tag=c1\r\n"
		"To: <sip:%s@10.99.0.1>\r\nCall-ID: %s\r\nCSeq: 1 INVITE\r\n"
		"Contact: <sip:trunk@10.99.0.2:5060>\r\nContent-Type: application/sdp\r\n"
		"Content-Length: %zu\r\n\r\n%s",
		did, branch, hdrs, did, callid, strlen(sdp), sdp);
	feed(msg, addr('t', 5060));
}

static void
send_invite_hdrs(const char *did, const char *branch, const char *callid, const char *hdrs)
{
	send_invite_sdp(did, branch, callid, hdrs, sdp_offer);
}

static void
send_invite(const char *did, const char *branch, const char *callid)
{
	send_invite_hdrs(did, branch, callid, "Max-Forwards: 70\r\n");
}

/* The customer's request in the A dialog (ACK or BYE) with our To tag and SDP sdp
 * (NULL: none), into msg. */
static void
customer_req_sdp(char *msg, size_t cap, const char *method, const char *branch,
	const char *callid, const char *totag, unsigned int cseq, const char *sdp)
{
	snprintf(msg, cap,
		"%s sip:hotline@10.99.0.1:5060 SIP/2.0\r\nVia: SIP/2.0/UDP 10.99.0.2:5060;branch=%s\r\n"
		"Max-Forwards: 70\r\nFrom: \"Customer\" <sip:+4930123@trunk.test>;tag=c1\r\n"
		"To: <sip:+15550100@10.99.0.1>;tag=%s\r\nCall-ID: %s\r\nCSeq: %u %s\r\n"
		"%sContent-Length: %zu\r\n\r\n%s", method, branch, totag, callid, cseq, method,
		sdp ? "Content-Type: application/sdp\r\n" : "", sdp ? strlen(sdp) : (size_t)0,
		sdp ? sdp : "");
}

static void
customer_req(char *msg, size_t cap, const char *method, const char *branch, const char *callid,
	const char *totag, unsigned int cseq)
{
	customer_req_sdp(msg, cap, method, branch, callid, totag, cseq, NULL);
}

/* Header lines respond_sdp() adds to its responses (a case sets them, then clears). */
static const char *resp_hdrs = "";
/* The Content-Type of respond_sdp()'s SDP (a case sets it, then puts it back). */
static const char *resp_ctype = "application/sdp";

/* The response of the party at src to request req: a to-tag unless it has one, and
 * SDP (sdp, else the agent's plain one) for 2xx. */
static void
respond_sdp(const char *invite, int code, struct hl_sig_addr src, const char *sdp)
{
	char msg[4096], via[256], from[256], to[256], cid[256], cseq[64];
	struct hl_sip_msg m;
	const struct hl_sip_hdr_field *h;
	const uint8_t *b = (const uint8_t *)invite;
	static const char plain[] = "v=0\r\no=agent 2 2 IN IP4 10.99.98.2\r\ns=-\r\n"
				    "c=IN IP4 10.99.98.2\r\nt=0 0\r\nm=audio 7000 RTP/AVP 8 101\r\n"
				    "a=rtpmap:101 telephone-event/8000\r\n";
	const char *asdp = sdp ? sdp : plain;

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
	/* SDP in 2xx, and in a 183 when the case gives one (early media) */
	int body = (code >= 200 && code < 300) || (code == 183 && sdp != NULL);
	snprintf(msg, sizeof(msg),
		"SIP/2.0 %d X\r\nVia: %s\r\nFrom: %s\r\nTo: %s%s\r\nCall-ID: %s\r\nCSeq: %s\r\n"
		"Contact: <sip:agent@10.99.98.2:%u>\r\n%s%s%s%sContent-Length: %zu\r\n\r\n%s",
		code, via, from, to, code > 100 && strstr(to, ";tag=") == NULL ? ";tag=ag1" : "",
		cid, cseq, src.port, resp_hdrs, body ? "Content-Type: " : "",
		body ? resp_ctype : "", body ? "\r\n" : "", body ? strlen(asdp) : (size_t)0,
		body ? asdp : "");
	feed(msg, src);
}

/* The agent's response to the INVITE in out[i], with to-tag and SDP for 2xx. */
static void
agent_respond(const char *invite, int code, uint16_t port)
{
	respond_sdp(invite, code, addr('a', port), NULL);
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

/* The BYE hotline sent the agent at port, answered 200 by the agent. */
static void
agent_answers_bye_at(uint16_t port)
{
	int i = find_out("BYE");
	char bye[4096];

	HL_CHECK(i >= 0 && out[i].dst.port == port);
	if (i < 0)
		return;
	snprintf(bye, sizeof(bye), "%s", out[i].buf);
	agent_respond(bye, 200, port);
}

/* The same for the first agent (alice, port 5090). */
static void
agent_answers_bye(void)
{
	agent_answers_bye_at(5090);
}

static struct hl_sig_stats
stats(void)
{
	struct hl_sig_stats st;
	hl_sig_stats(sig, &st);
	return st;
}

/* The per-call string helpers: cut at the buffer, always terminated. */
HL_TEST(call_strings)
{
	char b[12], u[11];

	HL_CHECK_INT(sig_cat(b, sizeof(b), "sip:", "agent", "@x", NULL), 11);
	HL_CHECK_STR(b, "sip:agent@x");
	HL_CHECK_INT(sig_cat(b, sizeof(b), "<sip:", "agent0001", "@bench.test>", NULL), 11);
	HL_CHECK_STR(b, "<sip:agent0");
	HL_CHECK_INT(sig_cat(b, sizeof(b), NULL), 0);
	HL_CHECK_STR(b, "");
	HL_CHECK_INT(sig_cat(b, 1, "x", NULL), 0);
	HL_CHECK_STR(b, "");
	HL_CHECK_STR(sig_utoa(u, 0), "0");
	HL_CHECK_STR(sig_utoa(u, 5060), "5060");
	HL_CHECK_STR(sig_utoa(u, 4294967295u), "4294967295");
	sig_hex(b, 0xabcull, 8);
	HL_CHECK_STR(b, "00000abc");
	sig_hex(b, 0x123456789abcdef0ull, 8);
	HL_CHECK_STR(b, "9abcdef0");
}

/* Per-call blocks: zeroed, 16-byte aligned, reused, big ones from malloc. */
HL_TEST(call_memory)
{
	static const size_t sizes[] = {1, 47, 48, 49, 200, 1000, 3000, 4080, 4081, 70000};
	void *p[HL_ARRAY_SIZE(sizes)];

	for (unsigned int i = 0; i < HL_ARRAY_SIZE(sizes); i++) {
		p[i] = sig_alloc(sizes[i]);
		HL_CHECK(p[i] != NULL);
		if (p[i] == NULL)
			return;
		HL_CHECK_INT((uintptr_t)p[i] % 16, 0);
		size_t nz = 0;
		for (size_t k = 0; k < sizes[i]; k++)
			nz += ((const uint8_t *)p[i])[k] != 0;
		HL_CHECK_INT(nz, 0);
		memset(p[i], 0xa5, sizes[i]); /* the whole block is ours */
	}
	for (unsigned int i = 0; i < HL_ARRAY_SIZE(sizes); i++)
		for (unsigned int j = i + 1; j < HL_ARRAY_SIZE(sizes); j++)
			HL_CHECK(p[i] != p[j]);
	/* Freed dirty, handed out again zeroed. */
	sig_free(p[4]);
	p[4] = sig_alloc(180);
	HL_CHECK(p[4] != NULL);
	if (p[4] != NULL) {
		size_t nz = 0;
		for (size_t k = 0; k < 180; k++)
			nz += ((const uint8_t *)p[4])[k] != 0;
		HL_CHECK_INT(nz, 0);
	}
	char *d = sig_dup("INVITE", 3);
	HL_CHECK(d != NULL && strcmp(d, "INV") == 0);
	sig_free(d);
	sig_free(NULL);
	for (unsigned int i = 0; i < HL_ARRAY_SIZE(sizes); i++)
		sig_free(p[i]);
	/* More than a slab's worth live at once: distinct and each wholly writable. */
	enum { N = 2000 };
	static void *many[N];
	unsigned int bad = 0;
	for (unsigned int i = 0; i < N; i++) {
		many[i] = sig_alloc(300);
		HL_CHECK(many[i] != NULL);
		if (many[i] != NULL)
			memset(many[i], (int)(i & 0xff), 300);
	}
	for (unsigned int i = 0; i < N; i++)
		if (many[i] != NULL)
			bad += ((const uint8_t *)many[i])[0] != (uint8_t)i ||
			       ((const uint8_t *)many[i])[299] != (uint8_t)i;
	HL_CHECK_INT(bad, 0);
	for (unsigned int i = 0; i < N; i++)
		sig_free(many[i]);
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
	agent_answers_bye();
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

/* The ring time runs out: CANCEL to the agent, 480 to the customer, and the call is
 * gone while the agent's leg waits for the answer to its CANCEL, a leg of no call. If
 * hotline stops then, hl_sig_free() frees it too (the ASan run's LeakSanitizer fails
 * this case otherwise). */
HL_TEST(free_with_agent_attempt_cancelling)
{
	int i;

	setup();
	HL_CHECK(do_register("alice", "alicepw", 5090, 0) == 200);
	send_invite("+15550100", "z9hG4bKfac", "fac@trunk");
	i = find_out("INVITE");
	HL_CHECK(i >= 0);
	if (i < 0)
		goto out;
	char inv[4096];
	snprintf(inv, sizeof(inv), "%s", out[i].buf);
	agent_respond(inv, 180, 5090);
	nout = 0;
	advance(5100);
	HL_CHECK(find_out("CANCEL") >= 0);
	HL_CHECK(find_out("480") >= 0);
	HL_CHECK_INT(stats().calls, 0);
	HL_CHECK(stats().transactions > 0);
out:
	teardown();
}

/* A ring longer than 64*T1: Timer B ends only the Calling state (RFC 3261 §17.1.1.2),
 * so the agent rings for all of no_answer_s; then CANCEL, and an agent that never
 * sends its 487 lets the INVITE go 64*T1 later (§9.1), nothing left behind. */
HL_TEST(long_ring_outlives_timer_b)
{
	int i;

	setup();
	cfg.sip_no_answer_s = 60;
	HL_CHECK(do_register("alice", "alicepw", 5090, 0) == 200);
	send_invite("+15550100", "z9hG4bKlong", "long@trunk");
	i = find_out("INVITE");
	HL_CHECK(i >= 0);
	if (i < 0)
		goto out;
	char inv[4096];
	snprintf(inv, sizeof(inv), "%s", out[i].buf);
	agent_respond(inv, 180, 5090);
	HL_CHECK(find_out("180") >= 0);
	advance(45000); /* well past 64*T1 = 32 s */
	HL_CHECK(find_out("CANCEL") < 0);
	HL_CHECK(find_out("480") < 0);
	HL_CHECK(stats().calls == 1);
	HL_CHECK(stats().ctr[HL_SIG_CTR_TXN_TIMEOUT] == 0);
	HL_CHECK(stats().ctr[HL_SIG_CTR_AGENT_NO_ANSWER] == 0);
	advance(15100); /* 60 s rung */
	HL_CHECK(find_out("CANCEL") >= 0);
	HL_CHECK(find_out("480") >= 0);
	HL_CHECK(stats().ctr[HL_SIG_CTR_AGENT_NO_ANSWER] == 1);
	/* No 487, no 200 to the CANCEL: both client transactions time out. */
	advance(40000);
	HL_CHECK(stats().calls == 0);
	HL_CHECK(stats().transactions == 0 && stats().dialogs == 0);
	HL_CHECK(stats().ctr[HL_SIG_CTR_TXN_TIMEOUT] >= 1);
out:
	teardown();
}

/* A provisional after our CANCEL (a retransmitted 180, a reliable 1xx the agent repeats
 * until PRACKed) does not give the INVITE back its 6-minute guard: RFC 3261 §9.1 counts
 * 64*T1 from the CANCEL, whatever comes before a final. */
HL_TEST(provisional_after_cancel_keeps_64t1)
{
	int i;

	setup();
	HL_CHECK(do_register("alice", "alicepw", 5090, 0) == 200);
	send_invite("+15550100", "z9hG4bKp1c", "p1c@trunk");
	i = find_out("INVITE");
	HL_CHECK(i >= 0);
	if (i < 0)
		goto out;
	char inv[4096];
	snprintf(inv, sizeof(inv), "%s", out[i].buf);
	agent_respond(inv, 180, 5090);
	nout = 0;
	advance(5100); /* no_answer_s: CANCEL */
	HL_CHECK(find_out("CANCEL") >= 0);
	advance(1000);
	agent_respond(inv, 180, 5090); /* crosses the CANCEL */
	/* No 487 and no answer to the CANCEL: 64*T1 after it, nothing is left. */
	advance(32000);
	HL_CHECK(stats().calls == 0);
	HL_CHECK_MSG(stats().transactions == 0, "%lu transactions left",
		(unsigned long)stats().transactions);
	HL_CHECK(stats().dialogs == 0);
out:
	teardown();
}

/* Our 200 to the customer in the outputs, with its To tag into totag: its index, or -1. */
static int
our_200(char *totag, size_t cap)
{
	char v[512];
	int i = find_out("200");

	HL_CHECK(i >= 0 && hdr((unsigned int)i, HL_SIP_HDR_TO, v, sizeof(v)) == 0);
	if (i < 0)
		return -1;
	param(v, ";tag=", totag, cap);
	return i;
}

/* Every ACK of the customer lost, then its BYE: the 2xx is not resent any more and
 * no ack_timeout is counted (the call ended normally). */
HL_TEST(bye_before_ack)
{
	char totag[64], msg[1024], inv[4096];
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
	if ((i = our_200(totag, sizeof(totag))) < 0)
		goto out;
	advance(300);
	HL_CHECK(find_out("200") >= 0); /* resent: no ACK came */
	customer_req(msg, sizeof(msg), "BYE", "z9hG4bKbye5", "call5@trunk", totag, 2);
	feed(msg, addr('t', 5060));
	HL_CHECK(status_of(0) == 200);
	agent_answers_bye();
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

/* ---- SDES (RFC 4568) through the B2BUA ---- */

/* base64 key||salt: 30 octets (AES-128-CM) twice, 28 (AES-128-GCM), 44 (AES-256-GCM),
 * 46 (AES-256-CM) twice. */
#define K30 "aG90bGluZS1zZGVzLTEyOC1jbS1rZXktMzBvY3Qh"
#define K30B "c2Vjb25kLTEyOC1iaXQta2V5LTMwLW9jdGV0cyEh"
#define K28 "aG90bGluZS1zZGVzLWdjbTEyOC1rZXktMjhvYw=="
#define K44 "aG90bGluZS1zZGVzLWdjbTI1Ni1rZXktaXMtNDQtb2N0ZXRzLWxvbmchISE="
#define K46 "aG90bGluZS1zZGVzLTI1Ni1jbS1rZXktaXMtNDYtb2N0ZXRzLWxvbmctb2shIQ=="
#define K46B "YW5vdGhlci0yNTYtYml0LWtleS1mb3ItdGhlLWFnZW50LTQ2LW9jdGV0cyEhIQ=="

/* A customer's (or agent's) SDP: audio on RTP/SAVP (or proto) with the lines given. */
/* From, To and Call-ID of hotline's INVITE to an agent, for the agent's in-dialog
 * requests (each buffer cap octets). */
static void
inv_dialog(const char *inv, char *from, char *to, char *cid, size_t cap)
{
	struct hl_sip_msg m;
	const struct hl_sip_hdr_field *h;

	from[0] = to[0] = cid[0] = '\0';
	if (hl_sip_parse((const uint8_t *)inv, strlen(inv), &m) <= 0) {
		HL_CHECK_MSG(0, "hotline's INVITE does not parse");
		return;
	}
	if ((h = hl_sip_hdr_first(&m, HL_SIP_HDR_FROM)) != NULL)
		snprintf(from, cap, "%.*s", h->value.len, inv + h->value.off);
	if ((h = hl_sip_hdr_first(&m, HL_SIP_HDR_TO)) != NULL)
		snprintf(to, cap, "%.*s", h->value.len, inv + h->value.off);
	if ((h = hl_sip_hdr_first(&m, HL_SIP_HDR_CALL_ID)) != NULL)
		snprintf(cid, cap, "%.*s", h->value.len, inv + h->value.off);
}

static void
srtp_sdp(char *text, size_t cap, const char *proto, const char *dir, const char *crypto)
{
	snprintf(text, cap,
		"v=0\r\no=trunk 1 1 IN IP4 10.99.0.2\r\ns=-\r\nc=IN IP4 10.99.0.2\r\nt=0 0\r\n"
		"m=audio 6000 %s 0 8 101\r\na=rtpmap:101 telephone-event/8000\r\na=%s\r\n%s",
		proto, dir, crypto);
}

/* The SDP body of output i, parsed in place; its buffer is (const uint8_t *)out[i].buf. */
static int
sdp_of(unsigned int i, struct hl_sdp *sdp)
{
	struct hl_sip_msg m;

	if (parse_out(i, &m) < 0 || m.body.len == 0)
		return -1;
	return hl_sdp_parse((const uint8_t *)out[i].buf, m.body, sdp);
}

/* Our key in the one crypto line of ans, the SDP of output i. */
static int
answer_key(unsigned int i, const struct hl_sdp *ans, struct hl_srtp_key *key)
{
	if (ans->nmedia < 1 || ans->media[0].ncrypto != 1)
		return -1;
	return hl_sdp_crypto_key((const uint8_t *)out[i].buf, &ans->media[0].crypto[0], key);
}

/* The key of crypto line k of the SDP text sdp (an offer we send in a test). */
static int
key_of_text(const char *sdp, unsigned int k, struct hl_srtp_key *key)
{
	static struct hl_sdp p;

	if (hl_sdp_parse((const uint8_t *)sdp, (struct hl_sip_slice){0, (uint16_t)strlen(sdp)},
		    &p) != 0 || p.nmedia < 1 || p.media[0].ncrypto <= k)
		return -1;
	return hl_sdp_crypto_key((const uint8_t *)sdp, &p.media[0].crypto[k], key);
}

static int
key_eq(const struct hl_srtp_key *a, const struct hl_srtp_key *b)
{
	return a->suite == b->suite && a->key_salt_len == b->key_salt_len &&
	       a->key_salt_len != 0 && memcmp(a->key, b->key, a->key_salt_len) == 0;
}

/* The last leg of side pushed to the worker, NULL if none. */
static const struct hl_media_leg *
last_push(unsigned int side)
{
	for (unsigned int i = npushed; i > 0; i--)
		if (pushed[i - 1].side == side)
			return &pushed[i - 1];
	return NULL;
}

/* The customer's re-INVITE in the A dialog (our To tag) with sdp ("": none). */
static void
customer_reinvite(const char *branch, const char *callid, const char *totag, unsigned int cseq,
	const char *sdp)
{
	char msg[4096];

	snprintf(msg, sizeof(msg),
		"INVITE sip:hotline@10.99.0.1:5060 SIP/2.0\r\n"
		"Via: SIP/2.0/UDP 10.99.0.2:5060;branch=%s\r\nMax-Forwards: 70\r\n"
		"From: \"Customer\" <sip:+4930123@trunk.test>;tag=c1\r\n"
		"To: <sip:+15550100@10.99.0.1>;tag=%s\r\nCall-ID: %s\r\nCSeq: %u INVITE\r\n"
		"Contact: <sip:trunk@10.99.0.2:5060>\r\n%sContent-Length: %zu\r\n\r\n%s", branch,
		totag, callid, cseq, sdp[0] ? "Content-Type: application/sdp\r\n" : "", strlen(sdp),
		sdp);
	feed(msg, addr('t', 5060));
}

/* A customer call through alice, answered (200 to the customer, ACKed); the customer's
 * offer is sdp. The INVITE to alice in inv, our To tag to the customer in totag; the
 * 200's index in *ok (nout as it was right after the agent's 200). */
static int
srtp_call(const char *branch, const char *callid, const char *sdp, const char *agent_sdp,
	char *inv, size_t invcap, char *totag, size_t tagcap, struct hl_sdp *ans)
{
	char v[512], msg[1024];
	int i;

	HL_CHECK(do_register("alice", "alicepw", 5090, 0) == 200);
	send_invite_sdp("+15550100", branch, callid, "Max-Forwards: 70\r\n", sdp);
	i = find_out("INVITE");
	HL_CHECK(i >= 0);
	if (i < 0)
		return -1;
	snprintf(inv, invcap, "%s", out[i].buf);
	respond_sdp(inv, 200, addr('a', 5090), agent_sdp);
	i = find_out("200");
	HL_CHECK(i >= 0);
	if (i < 0 || sdp_of((unsigned int)i, ans) != 0 || hdr((unsigned int)i, HL_SIP_HDR_TO, v,
		sizeof(v)) != 0)
		return -1;
	param(v, ";tag=", totag, tagcap);
	customer_req(msg, sizeof(msg), "ACK", "z9hG4bKsack", callid, totag, 1);
	feed(msg, addr('t', 5060));
	return i;
}

/* srtp_call(), and the two legs the worker was given, checked: the 200's index, or -1
 * (then *a and *b may be NULL). */
static int
srtp_call_legs(const char *branch, const char *callid, const char *sdp, const char *agent_sdp,
	char *inv, size_t invcap, char *totag, size_t tagcap, struct hl_sdp *ans,
	const struct hl_media_leg **a, const struct hl_media_leg **b)
{
	int i = srtp_call(branch, callid, sdp, agent_sdp, inv, invcap, totag, tagcap, ans);

	*a = last_push(0);
	*b = last_push(1);
	HL_CHECK(i >= 0 && *a != NULL && *b != NULL);
	return i >= 0 && *a != NULL && *b != NULL ? i : -1;
}

/* Every suite the customer may offer: the 200 carries that suite with our key of its
 * length under the customer's tag, past a line we do not know; the worker gets the
 * customer's key to unprotect with and ours to protect with. The agent leg is RTP. */
HL_TEST(srtp_customer_suites)
{
	static const struct {
		const char *suite, *key;
		uint8_t sdp_suite, len;
	} cases[] = {
		{"AES_CM_128_HMAC_SHA1_80", K30, HL_SDP_SUITE_AES_CM_128_HMAC_SHA1_80, 30},
		{"AES_CM_128_HMAC_SHA1_32", K30, HL_SDP_SUITE_AES_CM_128_HMAC_SHA1_32, 30},
		{"AES_256_CM_HMAC_SHA1_80", K46, HL_SDP_SUITE_AES_256_CM_HMAC_SHA1_80, 46},
		{"AEAD_AES_128_GCM", K28, HL_SDP_SUITE_AEAD_AES_128_GCM, 28},
		{"AEAD_AES_256_GCM", K44, HL_SDP_SUITE_AEAD_AES_256_GCM, 44},
	};

	for (unsigned int n = 0; n < HL_ARRAY_SIZE(cases); n++) {
		char sdp[1024], lines[512], inv[4096], totag[64];
		struct hl_sdp ans;
		struct hl_srtp_key theirs, ours;
		int i;

		setup_ops(1);
		snprintf(lines, sizeof(lines),
			"a=crypto:1 AES_192_CM_HMAC_SHA1_80 inline:" K30 "\r\n"
			"a=crypto:2 %s inline:%s\r\n", cases[n].suite, cases[n].key);
		srtp_sdp(sdp, sizeof(sdp), "RTP/SAVP", "sendrecv", lines);
		HL_CHECK_INT(key_of_text(sdp, 1, &theirs), 0);
		i = srtp_call("z9hG4bKsu1", "su1@trunk", sdp, NULL, inv, sizeof(inv), totag,
			sizeof(totag), &ans);
		HL_CHECK_MSG(i >= 0, "%s: no call", cases[n].suite);
		if (i < 0) {
			teardown();
			continue;
		}
		/* [rtp] agent_srtp off: the agent is offered RTP, no key. */
		HL_CHECK(strstr(inv, " RTP/AVP ") != NULL && strstr(inv, "a=crypto") == NULL);
		const uint8_t *b = (const uint8_t *)out[i].buf;
		HL_CHECK_INT(ans.media[0].proto, HL_SDP_PROTO_RTP_SAVP);
		HL_CHECK_INT(ans.media[0].ncrypto, 1);
		HL_CHECK_INT(ans.media[0].crypto[0].tag, 2);
		HL_CHECK_MSG(ans.media[0].crypto[0].suite == cases[n].sdp_suite, "%s: answered %u",
			cases[n].suite, ans.media[0].crypto[0].suite);
		HL_CHECK_INT(hl_sdp_crypto_key(b, &ans.media[0].crypto[0], &ours), 0);
		HL_CHECK_MSG(ours.key_salt_len == cases[n].len, "%s: our key %u octets",
			cases[n].suite, ours.key_salt_len);
		HL_CHECK(!key_eq(&ours, &theirs));
		const struct hl_media_leg *a = last_push(0), *bl = last_push(1);
		HL_CHECK(a != NULL && bl != NULL);
		if (a != NULL) {
			HL_CHECK(a->srtp_rx && a->srtp_tx && !a->srtp_keep);
			HL_CHECK(key_eq(&a->rx_key, &theirs));
			HL_CHECK(key_eq(&a->tx_key, &ours));
		}
		if (bl != NULL)
			HL_CHECK(!bl->srtp_rx && !bl->srtp_tx);
		teardown();
	}
}

/* [rtp] srtp_suites: our offers list those suites in that order, and answers take only
 * them: the customer's first two lines (a suite not listed, and _32, which the default
 * would take) are passed over for its third. */
HL_TEST(srtp_suites_configured)
{
	char sdp[1024], inv[4096], totag[64];
	struct hl_sdp ans, offer;
	const char *body;
	int i;

	setup_ops(1);
	cfg.rtp_agent_srtp = 1;
	cfg.rtp_srtp_suites[0] = HL_SRTP_AES_CM_128_HMAC_SHA1_80;
	cfg.rtp_srtp_suites[1] = HL_SRTP_AEAD_AES_128_GCM;
	cfg.rtp_n_srtp_suites = 2;
	srtp_sdp(sdp, sizeof(sdp), "RTP/SAVP", "sendrecv",
		"a=crypto:1 AEAD_AES_256_GCM inline:" K44 "\r\n"
		"a=crypto:2 AES_CM_128_HMAC_SHA1_32 inline:" K30 "\r\n"
		"a=crypto:3 AEAD_AES_128_GCM inline:" K28 "\r\n");
	i = srtp_call("z9hG4bKcs1", "cs1@trunk", sdp,
		"v=0\r\no=agent 2 2 IN IP4 10.99.98.2\r\ns=-\r\nc=IN IP4 10.99.98.2\r\nt=0 0\r\n"
		"m=audio 7000 RTP/SAVP 0 101\r\na=rtpmap:101 telephone-event/8000\r\n"
		"a=crypto:2 AEAD_AES_128_GCM inline:" K28 "\r\n",
		inv, sizeof(inv), totag, sizeof(totag), &ans);
	HL_CHECK(i >= 0);
	if (i < 0)
		goto out;
	HL_CHECK_INT(ans.media[0].ncrypto, 1);
	HL_CHECK_INT(ans.media[0].crypto[0].tag, 3);
	HL_CHECK_INT(ans.media[0].crypto[0].suite, HL_SDP_SUITE_AEAD_AES_128_GCM);
	body = strstr(inv, "\r\n\r\n");
	HL_CHECK(body != NULL);
	if (body == NULL)
		goto out;
	body += 4;
	HL_CHECK_INT(hl_sdp_parse((const uint8_t *)body,
			     (struct hl_sip_slice){0, (uint16_t)strlen(body)}, &offer), 0);
	HL_CHECK_INT(offer.media[0].ncrypto, 2);
	HL_CHECK_INT(offer.media[0].crypto[0].tag, 1);
	HL_CHECK_INT(offer.media[0].crypto[0].suite, HL_SDP_SUITE_AES_CM_128_HMAC_SHA1_80);
	HL_CHECK_INT(offer.media[0].crypto[1].tag, 2);
	HL_CHECK_INT(offer.media[0].crypto[1].suite, HL_SDP_SUITE_AEAD_AES_128_GCM);
	const struct hl_media_leg *a = last_push(0), *b = last_push(1);
	HL_CHECK(a != NULL && b != NULL);
	if (a != NULL && b != NULL) {
		HL_CHECK(a->srtp_rx && a->srtp_tx && a->tx_key.suite == HL_SRTP_AEAD_AES_128_GCM);
		HL_CHECK(b->srtp_rx && b->srtp_tx && b->tx_key.suite == HL_SRTP_AEAD_AES_128_GCM);
	}
out:
	cfg.rtp_n_srtp_suites = 0;
	cfg.rtp_agent_srtp = 0;
	teardown();
}

/* [rtp] agent_srtp = on: the agent is offered every suite of ours, strongest first, each
 * its own tag and key; its answer names one, and the worker protects with the key we
 * offered under that tag. A customer on RTP gets an RTP answer. Then the agent re-keys
 * by re-INVITE: it gets our key again, the worker the agent's new one. */
HL_TEST(srtp_agent_offer)
{
	static const struct {
		uint8_t suite, len;
	} want[] = {
		{HL_SDP_SUITE_AEAD_AES_256_GCM, 44},
		{HL_SDP_SUITE_AEAD_AES_128_GCM, 28},
		{HL_SDP_SUITE_AES_256_CM_HMAC_SHA1_80, 46},
		{HL_SDP_SUITE_AES_CM_128_HMAC_SHA1_80, 30},
	};
	struct hl_srtp_key offered[4], agent_key, agent_key2;
	char inv[4096], asdp[1024], msg[4096];
	struct hl_sdp sdp, ans;
	int i;

	setup_ops(1);
	cfg.rtp_agent_srtp = 1;
	HL_CHECK(do_register("alice", "alicepw", 5090, 0) == 200);
	send_invite("+15550100", "z9hG4bKao1", "ao1@trunk");
	i = find_out("INVITE");
	HL_CHECK(i >= 0 && sdp_of((unsigned int)i, &sdp) == 0);
	if (i < 0)
		goto out;
	snprintf(inv, sizeof(inv), "%s", out[i].buf);
	HL_CHECK_INT(sdp.media[0].proto, HL_SDP_PROTO_RTP_SAVP);
	HL_CHECK_INT(sdp.media[0].ncrypto, HL_ARRAY_SIZE(want));
	for (unsigned int k = 0; k < sdp.media[0].ncrypto && k < HL_ARRAY_SIZE(want); k++) {
		const struct hl_sdp_crypto *cr = &sdp.media[0].crypto[k];
		HL_CHECK_INT(cr->tag, k + 1);
		HL_CHECK_INT(cr->suite, want[k].suite);
		HL_CHECK_INT(hl_sdp_crypto_key((const uint8_t *)out[i].buf, cr, &offered[k]), 0);
		HL_CHECK_INT(offered[k].key_salt_len, want[k].len);
	}
	HL_CHECK(!key_eq(&offered[2], &offered[3]) && offered[0].key_salt_len == 44);
	/* alice takes line 3, AES_256_CM_HMAC_SHA1_80 */
	snprintf(asdp, sizeof(asdp), "v=0\r\no=agent 2 2 IN IP4 10.99.98.2\r\ns=-\r\n"
		"c=IN IP4 10.99.98.2\r\nt=0 0\r\nm=audio 7000 RTP/SAVP 0 101\r\n"
		"a=rtpmap:101 telephone-event/8000\r\n"
		"a=crypto:3 AES_256_CM_HMAC_SHA1_80 inline:" K46 "\r\n");
	HL_CHECK_INT(key_of_text(asdp, 0, &agent_key), 0);
	respond_sdp(inv, 200, addr('a', 5090), asdp);
	i = find_out("200");
	HL_CHECK(i >= 0 && sdp_of((unsigned int)i, &ans) == 0);
	if (i < 0)
		goto out;
	HL_CHECK_INT(ans.media[0].proto, HL_SDP_PROTO_RTP_AVP);
	HL_CHECK_INT(ans.media[0].ncrypto, 0);
	{
		char v[512], totag[64];
		HL_CHECK(hdr((unsigned int)i, HL_SIP_HDR_TO, v, sizeof(v)) == 0);
		param(v, ";tag=", totag, sizeof(totag));
		customer_req(msg, sizeof(msg), "ACK", "z9hG4bKaoack", "ao1@trunk", totag, 1);
	}
	const struct hl_media_leg *bl = last_push(1), *a = last_push(0);
	HL_CHECK(bl != NULL && a != NULL);
	if (bl == NULL || a == NULL)
		goto out;
	HL_CHECK(bl->srtp_rx && bl->srtp_tx && !bl->srtp_keep);
	HL_CHECK(key_eq(&bl->tx_key, &offered[2]));
	HL_CHECK(key_eq(&bl->rx_key, &agent_key));
	HL_CHECK(!a->srtp_rx && !a->srtp_tx);

	/* The agent re-keys: same line, a new key of its own (RFC 4568 §7.1.4). The
	 * change is offered on to the customer; its answer comes back as ours. (Our
	 * INVITE to the agent must be over first, Timer M: a re-INVITE while it lasts
	 * is 491.) */
	feed(msg, addr('t', 5060));
	advance(64 * 500 + 1000);
	{
		char from[256], to[256], cid[256], v[512];
		inv_dialog(inv, from, to, cid, sizeof(from));
		snprintf(asdp, sizeof(asdp), "v=0\r\no=agent 2 3 IN IP4 10.99.98.2\r\ns=-\r\n"
			"c=IN IP4 10.99.98.2\r\nt=0 0\r\nm=audio 7000 RTP/SAVP 0 101\r\n"
			"a=rtpmap:101 telephone-event/8000\r\n"
			"a=crypto:3 AES_256_CM_HMAC_SHA1_80 inline:" K46B "\r\n");
		HL_CHECK_INT(key_of_text(asdp, 0, &agent_key2), 0);
		snprintf(msg, sizeof(msg),
			"INVITE sip:hotline@10.99.98.1:5060 SIP/2.0\r\n"
			"Via: SIP/2.0/UDP 10.99.98.2:5090;branch=z9hG4bKare1\r\n"
			"Max-Forwards: 70\r\n"
			"From: %s;tag=ag1\r\nTo: %s\r\nCall-ID: %s\r\nCSeq: 1 INVITE\r\n"
			"Contact: <sip:agent@10.99.98.2:5090>\r\nContent-Type: application/sdp\r\n"
			"Content-Length: %zu\r\n\r\n%s", to, from, cid, strlen(asdp), asdp);
		npushed = 0;
		feed(msg, addr('a', 5090));
		i = find_out("INVITE");
		HL_CHECK(i >= 0);
		if (i < 0) {
			for (unsigned int k = 0; k < nout; k++)
				fprintf(stderr, "out %u: %.60s\n", k, out[k].buf);
			goto out;
		}
		char reinv[4096];
		snprintf(reinv, sizeof(reinv), "%s", out[i].buf);
		HL_CHECK(strstr(reinv, "a=crypto") == NULL); /* the customer stays on RTP */
		respond_sdp(reinv, 200, addr('t', 5060), sdp_offer);
		i = find_out("200");
		HL_CHECK(i >= 0 && sdp_of((unsigned int)i, &ans) == 0);
		if (i < 0)
			goto out;
		HL_CHECK(out[i].dst.port == 5090);
		HL_CHECK(hdr((unsigned int)i, HL_SIP_HDR_CALL_ID, v, sizeof(v)) == 0 &&
			strcmp(v, cid) == 0);
		struct hl_srtp_key ours;
		HL_CHECK_INT(ans.media[0].ncrypto, 1);
		HL_CHECK_INT(ans.media[0].crypto[0].tag, 3);
		HL_CHECK_INT(answer_key((unsigned int)i, &ans, &ours), 0);
		HL_CHECK(key_eq(&ours, &offered[2])); /* same suite: our key stays */
		bl = last_push(1);
		HL_CHECK(bl != NULL && !bl->srtp_keep && key_eq(&bl->rx_key, &agent_key2) &&
			key_eq(&bl->tx_key, &offered[2]));
		a = last_push(0);
		HL_CHECK(a == NULL || !a->srtp_rx);
	}
out:
	cfg.rtp_agent_srtp = 0;
	teardown();
}

/* One re-INVITE from the customer in call rk1 (offer: proto, dir, crypto lines), relayed
 * to alice and answered by her. The customer's offer in sdp; returns the index in out[]
 * of hotline's final response, of status want (-1 if none), its SDP in *ans. The caller
 * reads it, then ACKs a 200 with reoffer_ack(). */
static int
reoffer(const char *totag, unsigned int cseq, const char *proto, const char *dir,
	const char *lines, char *sdp, size_t cap, int want, struct hl_sdp *ans)
{
	char br[32], rinv[4096], msg[1024];
	int i, fin;

	srtp_sdp(sdp, cap, proto, dir, lines);
	snprintf(br, sizeof(br), "z9hG4bKrk%u", cseq);
	npushed = 0;
	customer_reinvite(br, "rk1@trunk", totag, cseq, sdp);
	i = find_out("INVITE");
	HL_CHECK_MSG(i >= 0, "re-INVITE %u: not relayed", cseq);
	if (i < 0)
		return -1;
	snprintf(rinv, sizeof(rinv), "%s", out[i].buf);
	agent_respond(rinv, 200, 5090);
	snprintf(msg, sizeof(msg), "%d", want);
	fin = find_out(msg);
	HL_CHECK_MSG(fin >= 0, "re-INVITE %u: no %d", cseq, want);
	if (fin < 0 || want != 200)
		return fin;
	HL_CHECK(sdp_of((unsigned int)fin, ans) == 0);
	return fin;
}

static void
reoffer_ack(const char *totag, unsigned int cseq)
{
	char br[32], msg[1024];

	snprintf(br, sizeof(br), "z9hG4bKrk%u", cseq);
	customer_req(msg, sizeof(msg), "ACK", br, "rk1@trunk", totag, cseq);
	feed(msg, addr('t', 5060));
}

/* Every push since the last re-INVITE kept the worker's SRTP sessions. */
static void
check_kept(unsigned int cseq)
{
	HL_CHECK(npushed > 0);
	for (unsigned int k = 0; k < npushed; k++)
		HL_CHECK_MSG(pushed[k].srtp_keep, "re-INVITE %u: push %u re-keyed", cseq, k);
}

/* RFC 4568 §7.1.4 on the customer's leg: a re-offer with the same key keeps the
 * worker's sessions (ROC, replay windows); a new key is a new inbound session, ours
 * unchanged; a new suite gets a new key of ours for that suite; a re-offer without SRTP
 * is refused and changes nothing. */
HL_TEST(srtp_rekey_reinvite)
{
	char sdp[1024], inv[4096], totag[64];
	struct hl_sdp ans;
	struct hl_srtp_key ours, now_ours, theirs;
	const struct hl_media_leg *a;
	unsigned int cseq = 1;
	int i;

	setup_ops(1);
	srtp_sdp(sdp, sizeof(sdp), "RTP/SAVP", "sendrecv",
		"a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:" K30 "\r\n");
	i = srtp_call("z9hG4bKrk1", "rk1@trunk", sdp, NULL, inv, sizeof(inv), totag,
		sizeof(totag), &ans);
	HL_CHECK(i >= 0 && answer_key((unsigned int)i, &ans, &ours) == 0);
	if (i < 0)
		goto out;

	/* hold, same key: our key again, the worker keeps its sessions */
	i = reoffer(totag, ++cseq, "RTP/SAVP", "sendonly",
		"a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:" K30 "\r\n",
		sdp, sizeof(sdp), 200, &ans);
	if (i < 0)
		goto out;
	HL_CHECK(answer_key((unsigned int)i, &ans, &now_ours) == 0 && key_eq(&now_ours, &ours));
	check_kept(cseq);
	a = last_push(0);
	HL_CHECK(a != NULL && a->recv_only);
	reoffer_ack(totag, cseq);

	/* resume with a new key: theirs is new, ours stays */
	i = reoffer(totag, ++cseq, "RTP/SAVP", "sendrecv",
		"a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:" K30B "\r\n",
		sdp, sizeof(sdp), 200, &ans);
	if (i < 0)
		goto out;
	HL_CHECK_INT(ans.media[0].crypto[0].tag, 1);
	HL_CHECK(answer_key((unsigned int)i, &ans, &now_ours) == 0 && key_eq(&now_ours, &ours));
	HL_CHECK_INT(key_of_text(sdp, 0, &theirs), 0);
	a = last_push(0);
	HL_CHECK(a != NULL && !a->srtp_keep && a->srtp_rx && a->srtp_tx);
	HL_CHECK(a != NULL && key_eq(&a->rx_key, &theirs) && key_eq(&a->tx_key, &ours));
	/* only their key changed: the worker keeps our outbound session */
	HL_CHECK(a != NULL && !a->srtp_rx_keep && a->srtp_tx_keep);
	HL_CHECK(last_push(1) == NULL || last_push(1)->srtp_keep);
	reoffer_ack(totag, cseq);

	/* a new suite (and tag): a new key of ours, 44 octets for AEAD_AES_256_GCM */
	i = reoffer(totag, ++cseq, "RTP/SAVP", "sendrecv",
		"a=crypto:5 AEAD_AES_256_GCM inline:" K44 "\r\n"
		"a=crypto:6 AES_CM_128_HMAC_SHA1_80 inline:" K30B "\r\n",
		sdp, sizeof(sdp), 200, &ans);
	if (i < 0)
		goto out;
	HL_CHECK_INT(ans.media[0].crypto[0].tag, 5);
	HL_CHECK_INT(ans.media[0].crypto[0].suite, HL_SDP_SUITE_AEAD_AES_256_GCM);
	HL_CHECK_INT(answer_key((unsigned int)i, &ans, &ours), 0);
	HL_CHECK_INT(ours.key_salt_len, 44);
	HL_CHECK_INT(key_of_text(sdp, 0, &theirs), 0);
	a = last_push(0);
	HL_CHECK(a != NULL && !a->srtp_keep && key_eq(&a->rx_key, &theirs) &&
		key_eq(&a->tx_key, &ours));
	HL_CHECK(a != NULL && !a->srtp_rx_keep && !a->srtp_tx_keep); /* both new */
	reoffer_ack(totag, cseq);

	/* the same again (hold): nothing changes, the new tag stays */
	i = reoffer(totag, ++cseq, "RTP/SAVP", "sendonly",
		"a=crypto:5 AEAD_AES_256_GCM inline:" K44 "\r\n", sdp, sizeof(sdp), 200, &ans);
	if (i < 0)
		goto out;
	HL_CHECK_INT(ans.media[0].crypto[0].tag, 5);
	HL_CHECK(answer_key((unsigned int)i, &ans, &now_ours) == 0 && key_eq(&now_ours, &ours));
	check_kept(cseq);
	reoffer_ack(totag, cseq);

	/* RTP/AVP on a leg that runs SRTP: refused (488), the keys stay */
	i = reoffer(totag, ++cseq, "RTP/AVP", "sendrecv", "", sdp, sizeof(sdp), 488, &ans);
	check_kept(cseq);
out:
	teardown();
}

/* Every key of crypto line k of the SDP text sdp: their count, or a negative code. */
static int
keys_of_text(const char *sdp, unsigned int k, struct hl_srtp_key keys[HL_SDP_MAX_KEYS])
{
	static struct hl_sdp p;

	if (hl_sdp_parse((const uint8_t *)sdp, (struct hl_sip_slice){0, (uint16_t)strlen(sdp)},
		    &p) != 0 ||
		p.nmedia < 1 || p.media[0].ncrypto <= k)
		return -1;
	return hl_sdp_crypto_keys((const uint8_t *)sdp, &p.media[0].crypto[k], keys);
}

#define TWO_KEYS(k2) "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:" K30 "|1:4;inline:" k2 "|2:4\r\n"

/* RFC 4568 §6.1 on the customer's leg: a line with two keys told apart by MKI gives the
 * worker both for the inbound session, and our answer one key of ours without an MKI; a
 * re-offer of the same pair keeps the sessions, one that changes only the second key
 * re-keys the inbound direction (ours kept), and back to one key too. */
HL_TEST(srtp_multi_key_reinvite)
{
	char sdp[1024], inv[4096], totag[64];
	struct hl_sdp ans;
	struct hl_srtp_key ours, now_ours, theirs[HL_SDP_MAX_KEYS];
	const struct hl_media_leg *a;
	unsigned int cseq = 1;
	int i;

	setup_ops(1);
	srtp_sdp(sdp, sizeof(sdp), "RTP/SAVP", "sendrecv", TWO_KEYS(K30B));
	i = srtp_call(
		"z9hG4bKmk1", "rk1@trunk", sdp, NULL, inv, sizeof(inv), totag, sizeof(totag), &ans);
	HL_CHECK(i >= 0 && answer_key((unsigned int)i, &ans, &ours) == 0);
	if (i < 0)
		goto out;
	HL_CHECK_INT(ans.media[0].crypto[0].tag, 1);
	HL_CHECK_INT(ans.media[0].crypto[0].nkeys, 1);
	HL_CHECK_INT(ours.mki_len, 0);
	HL_CHECK_INT(keys_of_text(sdp, 0, theirs), 2);
	a = last_push(0);
	HL_CHECK(a != NULL && a->srtp_rx && a->rx_nmore == 1);
	if (a != NULL) {
		HL_CHECK(key_eq(&a->rx_key, &theirs[0]) && key_eq(&a->rx_more[0], &theirs[1]));
		HL_CHECK(
			a->rx_key.mki == 1 && a->rx_more[0].mki == 2 && a->rx_more[0].mki_len == 4);
		HL_CHECK(key_eq(&a->tx_key, &ours) && a->tx_key.mki_len == 0);
	}

	/* the same pair (hold): the worker keeps its sessions */
	i = reoffer(
		totag, ++cseq, "RTP/SAVP", "sendonly", TWO_KEYS(K30B), sdp, sizeof(sdp), 200, &ans);
	if (i < 0)
		goto out;
	HL_CHECK(answer_key((unsigned int)i, &ans, &now_ours) == 0 && key_eq(&now_ours, &ours));
	check_kept(cseq);
	reoffer_ack(totag, cseq);

	/* only the second key changes: a new inbound session, ours kept */
	i = reoffer(
		totag, ++cseq, "RTP/SAVP", "sendrecv", TWO_KEYS(K30), sdp, sizeof(sdp), 200, &ans);
	if (i < 0)
		goto out;
	HL_CHECK(answer_key((unsigned int)i, &ans, &now_ours) == 0 && key_eq(&now_ours, &ours));
	HL_CHECK_INT(keys_of_text(sdp, 0, theirs), 2);
	a = last_push(0);
	HL_CHECK(a != NULL && !a->srtp_keep && !a->srtp_rx_keep && a->srtp_tx_keep);
	HL_CHECK(a != NULL && a->rx_nmore == 1 && key_eq(&a->rx_key, &theirs[0]) &&
		 key_eq(&a->rx_more[0], &theirs[1]));
	reoffer_ack(totag, cseq);

	/* one key again (the first, its MKI kept): a new inbound session of one key */
	i = reoffer(totag, ++cseq, "RTP/SAVP", "sendrecv",
		"a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:" K30 "|2^20|1:4\r\n", sdp, sizeof(sdp),
		200, &ans);
	if (i < 0)
		goto out;
	a = last_push(0);
	HL_CHECK(a != NULL && !a->srtp_keep && !a->srtp_rx_keep && a->srtp_tx_keep);
	HL_CHECK(a != NULL && a->rx_nmore == 0 && key_eq(&a->rx_key, &theirs[0]));
	reoffer_ack(totag, cseq);

	/* a pair that breaks §6.1 (second key without an MKI): no line we can run, 488 */
	i = reoffer(totag, ++cseq, "RTP/SAVP", "sendrecv",
		"a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:" K30 "|1:4;inline:" K30B "\r\n", sdp,
		sizeof(sdp), 488, &ans);
	check_kept(cseq);
out:
	explicit_bzero(theirs, sizeof(theirs));
	teardown();
}

/* ---- late offer (RFC 3264 §5): INVITE without SDP, our offer in the 200, the answer in
 * the ACK ---- */

/* The SDP of a message's text. */
static int
sdp_in(const char *text, struct hl_sdp *sdp)
{
	struct hl_sip_msg m;

	if (hl_sip_parse((const uint8_t *)text, strlen(text), &m) <= 0 || m.body.len == 0)
		return -1;
	return hl_sdp_parse((const uint8_t *)text, m.body, sdp);
}

/* The customer's answer in its ACK: audio on port, proto, formats fmts, lines. */
static void
late_answer(char *text, size_t cap, uint16_t port, const char *proto, const char *fmts,
	const char *lines)
{
	snprintf(text, cap,
		"v=0\r\no=trunk 5 5 IN IP4 10.99.0.2\r\ns=-\r\nc=IN IP4 10.99.0.2\r\nt=0 0\r\n"
		"m=audio %u %s %s\r\na=rtpmap:101 telephone-event/8000\r\na=sendrecv\r\n%s", port,
		proto, fmts, lines);
}

/*
 * A customer's INVITE without SDP (Call-ID callid) through alice, who answers 200 with
 * asdp (NULL: PCMA on 10.99.98.2:7000). Our INVITE to alice in inv, our 200 to the
 * customer in ok (its offer parsed into *offer, in ok's text), our To tag in totag.
 * 0, or -1 when the call did not get that far.
 */
static int
late_call(const char *branch, const char *callid, const char *asdp, char *inv, size_t invcap,
	char *ok, size_t okcap, char *totag, size_t tagcap, struct hl_sdp *offer)
{
	char msg[2048], v[512];
	int i;

	HL_CHECK(do_register("alice", "alicepw", 5090, 0) == 200);
	snprintf(msg, sizeof(msg),
		"INVITE sip:+15550100@10.99.0.1 SIP/2.0\r\n"
		"Via: SIP/2.0/UDP 10.99.0.2:5060;branch=%s\r\nMax-Forwards: 70\r\n"
		"From: \"Customer\" <sip:+4930123@trunk.test>;tag=c1\r\n"
		"To: <sip:+15550100@10.99.0.1>\r\nCall-ID: %s\r\nCSeq: 1 INVITE\r\n"
		"Contact: <sip:trunk@10.99.0.2:5060>\r\nContent-Length: 0\r\n\r\n", branch, callid);
	feed(msg, addr('t', 5060));
	i = find_out("INVITE");
	HL_CHECK(i >= 0);
	if (i < 0)
		return -1;
	snprintf(inv, invcap, "%s", out[i].buf);
	respond_sdp(inv, 200, addr('a', 5090), asdp);
	HL_CHECK(find_out("ACK") >= 0);
	i = find_out("200");
	HL_CHECK_MSG(i >= 0, "no 200 to the customer");
	if (i < 0 || hdr((unsigned int)i, HL_SIP_HDR_TO, v, sizeof(v)) != 0)
		return -1;
	param(v, ";tag=", totag, tagcap);
	snprintf(ok, okcap, "%s", out[i].buf);
	HL_CHECK_MSG(sdp_in(ok, offer) == 0, "the 200 to a late offer has no SDP");
	return offer->nmedia == 1 ? 0 : -1;
}

/* How many legs of side were pushed. */
static unsigned int
pushes(unsigned int side)
{
	unsigned int n = 0;

	for (unsigned int i = 0; i < npushed; i++)
		n += pushed[i].side == side;
	return n;
}

static int
ip4_is(const uint8_t *ip, const char *txt)
{
	uint8_t want[4];

	return inet_pton(AF_INET, txt, want) == 1 && memcmp(ip, want, 4) == 0;
}

/* The 200 to a late offer is our offer, anchored (our address, the A leg's port, the
 * agent's codec alone), resent unchanged until the ACK; the ACK's answer fills the A
 * leg, and both legs go to the worker once, then. */
HL_TEST(late_offer_call)
{
	char inv[4096], ok[4096], totag[64], ans[1024], msg[2048];
	struct hl_sdp offer, bo;
	const struct hl_media_leg *a, *b;
	uint16_t bport = 0;

	setup_ops(1);
	if (late_call("z9hG4bKlo1", "lo1@trunk", NULL, inv, sizeof(inv), ok, sizeof(ok), totag,
		    sizeof(totag), &offer) != 0)
		goto out;
	/* the agent got our own offer: every codec we carry, on the B leg's port */
	HL_CHECK(sdp_in(inv, &bo) == 0 && bo.nmedia == 1);
	HL_CHECK(strstr(inv, "c=IN IP4 10.99.98.1\r\n") != NULL);
	HL_CHECK(strstr(inv, " RTP/AVP 0 8 9 111 101\r\n") != NULL);
	bport = bo.media[0].port;
	/* our offer to the customer: the trunk side's address, the A leg's port */
	HL_CHECK(strstr(ok, "c=IN IP4 10.99.0.1\r\n") != NULL);
	HL_CHECK_INT(offer.media[0].port, bport - 2);
	HL_CHECK_INT(offer.media[0].proto, HL_SDP_PROTO_RTP_AVP);
	HL_CHECK_INT(offer.media[0].nfmt, 2); /* PCMA, as alice answered, and events */
	HL_CHECK_INT(offer.media[0].fmt[0].pt, 8);
	HL_CHECK_INT(offer.media[0].te_pt, 101);
	/* [rtp] srtp = optional: our suites on RTP/AVP, best effort */
	HL_CHECK_INT(offer.media[0].ncrypto, 4);
	HL_CHECK_INT(npushed, 0); /* no leg before the answer */
	HL_CHECK(stats().ctr[HL_SIG_CTR_CALLS_ANSWERED] == 1);

	/* the ACK is late: the same 200, the same offer */
	advance(600);
	{
		int j = find_out("200");
		HL_CHECK(j >= 0 && strcmp(out[j].buf, ok) == 0);
	}
	HL_CHECK_INT(npushed, 0);

	late_answer(ans, sizeof(ans), 6002, "RTP/AVP", "8 101", "");
	customer_req_sdp(msg, sizeof(msg), "ACK", "z9hG4bKlo1a", "lo1@trunk", totag, 1, ans);
	feed(msg, addr('t', 5060));
	HL_CHECK_INT(nout, 0);
	HL_CHECK_INT(pushes(0), 1);
	HL_CHECK_INT(pushes(1), 1);
	a = last_push(0);
	b = last_push(1);
	HL_CHECK(a != NULL && b != NULL);
	if (a == NULL || b == NULL)
		goto out;
	HL_CHECK_INT(a->remote_port, 6002);
	HL_CHECK(ip4_is(a->remote_ip, "10.99.0.2") && ip4_is(a->local_ip, "10.99.0.1"));
	HL_CHECK_INT(a->codec_pt, 8);
	HL_CHECK_INT(a->te_pt, 101);
	HL_CHECK_INT(a->clock_rate, 8000);
	HL_CHECK_INT(a->local_port, bport - 2);
	HL_CHECK_INT(a->peer_port, bport);
	HL_CHECK(!a->srtp_rx && !a->srtp_tx && !a->recv_only && !a->remote_silent);
	HL_CHECK(a->timeout_ms == cfg.rtp_timeout_s * 1000);
	HL_CHECK_INT(b->remote_port, 7000);
	HL_CHECK(ip4_is(b->remote_ip, "10.99.98.2"));
	HL_CHECK_INT(b->codec_pt, 8);
	HL_CHECK_INT(b->local_port, bport);
	HL_CHECK_INT(b->peer_port, bport - 2);
	HL_CHECK(stats().media_legs == 2);
	/* the 200 stops; an ACK again changes nothing */
	advance(2000);
	HL_CHECK(find_out("200") < 0);
	feed(msg, addr('t', 5060));
	HL_CHECK_INT(npushed, 2);
	HL_CHECK(stats().ctr[HL_SIG_CTR_MEDIA_FAIL] == 0);

	customer_req(msg, sizeof(msg), "BYE", "z9hG4bKlo1b", "lo1@trunk", totag, 2);
	feed(msg, addr('t', 5060));
	HL_CHECK(status_of(0) == 200);
	agent_answers_bye();
	HL_CHECK(stats().calls == 0 && stats().media_legs == 0);
	advance(40000);
	HL_CHECK(stats().transactions == 0 && stats().dialogs == 0);
out:
	teardown();
}

/* [rtp] srtp = mandatory: the late offer lists our suites on RTP/SAVP, each with a key of
 * its own; the answer's line names one by tag, and the A leg unprotects with the
 * customer's key and protects with the one we offered under that tag. A re-INVITE
 * without SDP gets that suite alone, our key and tag again, and an answer that keeps
 * them changes nothing on the worker. */
HL_TEST(late_offer_srtp)
{
	static const uint8_t want[] = {
		HL_SDP_SUITE_AEAD_AES_256_GCM,
		HL_SDP_SUITE_AEAD_AES_128_GCM,
		HL_SDP_SUITE_AES_256_CM_HMAC_SHA1_80,
		HL_SDP_SUITE_AES_CM_128_HMAC_SHA1_80,
	};
	char inv[4096], ok[4096], totag[64], ans[1024], msg[4096];
	struct hl_sdp offer, re;
	struct hl_srtp_key offered[4], theirs, again;
	const struct hl_media_leg *a;
	int i;

	setup_ops(1);
	cfg.rtp_srtp = HL_CONFIG_SRTP_MANDATORY;
	memset(offered, 0, sizeof(offered));
	if (late_call("z9hG4bKls1", "ls1@trunk", NULL, inv, sizeof(inv), ok, sizeof(ok), totag,
		    sizeof(totag), &offer) != 0)
		goto out;
	HL_CHECK(strstr(inv, "a=crypto") == NULL); /* [rtp] agent_srtp off */
	HL_CHECK_INT(offer.media[0].proto, HL_SDP_PROTO_RTP_SAVP);
	HL_CHECK_INT(offer.media[0].ncrypto, HL_ARRAY_SIZE(want));
	for (unsigned int k = 0; k < offer.media[0].ncrypto && k < HL_ARRAY_SIZE(want); k++) {
		HL_CHECK_INT(offer.media[0].crypto[k].tag, k + 1);
		HL_CHECK_INT(offer.media[0].crypto[k].suite, want[k]);
		HL_CHECK_INT(hl_sdp_crypto_key((const uint8_t *)ok, &offer.media[0].crypto[k],
				     &offered[k]), 0);
	}
	late_answer(ans, sizeof(ans), 6000, "RTP/SAVP", "8 101",
		"a=crypto:4 AES_CM_128_HMAC_SHA1_80 inline:" K30 "\r\n");
	HL_CHECK_INT(key_of_text(ans, 0, &theirs), 0);
	customer_req_sdp(msg, sizeof(msg), "ACK", "z9hG4bKls1a", "ls1@trunk", totag, 1, ans);
	feed(msg, addr('t', 5060));
	HL_CHECK_INT(nout, 0);
	HL_CHECK_INT(pushes(0), 1);
	a = last_push(0);
	HL_CHECK(a != NULL);
	if (a == NULL)
		goto out;
	HL_CHECK(a->srtp_rx && a->srtp_tx && !a->srtp_keep);
	HL_CHECK(key_eq(&a->rx_key, &theirs));
	HL_CHECK(key_eq(&a->tx_key, &offered[3]));
	HL_CHECK(!key_eq(&a->tx_key, &offered[2]));
	HL_CHECK(last_push(1) != NULL && !last_push(1)->srtp_rx && !last_push(1)->srtp_tx);

	/* a re-INVITE without SDP: our offer is the suite in use, tag 4, our key */
	npushed = 0;
	customer_reinvite("z9hG4bKls2", "ls1@trunk", totag, 2, "");
	i = find_out("200");
	HL_CHECK(i >= 0 && sdp_of((unsigned int)i, &re) == 0);
	if (i < 0)
		goto out;
	HL_CHECK(find_out("INVITE") < 0); /* the agent is not asked */
	HL_CHECK_INT(re.media[0].proto, HL_SDP_PROTO_RTP_SAVP);
	HL_CHECK_INT(re.media[0].nfmt, 2);
	HL_CHECK_INT(re.media[0].ncrypto, 1);
	HL_CHECK_INT(re.media[0].crypto[0].tag, 4);
	HL_CHECK(answer_key((unsigned int)i, &re, &again) == 0 && key_eq(&again, &offered[3]));
	customer_req_sdp(msg, sizeof(msg), "ACK", "z9hG4bKls2a", "ls1@trunk", totag, 2, ans);
	feed(msg, addr('t', 5060));
	HL_CHECK_INT(npushed, 0);
	HL_CHECK(stats().ctr[HL_SIG_CTR_MEDIA_FAIL] == 0);
out:
	cfg.rtp_srtp = HL_CONFIG_SRTP_OPTIONAL;
	teardown();
}

/* [rtp] srtp = optional: our suites ride RTP/AVP (best effort); an RTP/AVP answer with
 * a crypto line of ours runs SRTP with the key of that tag, one without runs RTP. */
HL_TEST(late_offer_best_effort)
{
	for (unsigned int n = 0; n < 2; n++) {
		char inv[4096], ok[4096], totag[64], ans[1024], msg[4096];
		struct hl_sdp offer;
		struct hl_srtp_key ours, theirs;
		const struct hl_media_leg *a;

		setup_ops(1);
		if (late_call("z9hG4bKle1", "le1@trunk", NULL, inv, sizeof(inv), ok, sizeof(ok),
			    totag, sizeof(totag), &offer) != 0) {
			teardown();
			continue;
		}
		HL_CHECK_INT(offer.media[0].proto, HL_SDP_PROTO_RTP_AVP);
		HL_CHECK(offer.media[0].ncrypto == 4 && offer.media[0].crypto[1].tag == 2);
		HL_CHECK_INT(hl_sdp_crypto_key((const uint8_t *)ok, &offer.media[0].crypto[1],
				     &ours), 0);
		late_answer(ans, sizeof(ans), 6000, "RTP/AVP", "8 101",
			n == 0 ? "a=crypto:2 AEAD_AES_128_GCM inline:" K28 "\r\n" : "");
		customer_req_sdp(msg, sizeof(msg), "ACK", "z9hG4bKle1a", "le1@trunk", totag, 1,
			ans);
		feed(msg, addr('t', 5060));
		HL_CHECK_INT(nout, 0);
		a = last_push(0);
		HL_CHECK(a != NULL);
		if (a != NULL && n == 0) {
			struct hl_sdp re;
			struct hl_srtp_key again;
			int i;
			HL_CHECK_INT(key_of_text(ans, 0, &theirs), 0);
			HL_CHECK(a->srtp_rx && a->srtp_tx && key_eq(&a->rx_key, &theirs) &&
				key_eq(&a->tx_key, &ours));
			/* a delayed-offer re-INVITE: the suite in use, still on RTP/AVP */
			npushed = 0;
			customer_reinvite("z9hG4bKle2", "le1@trunk", totag, 2, "");
			i = find_out("200");
			HL_CHECK(i >= 0 && sdp_of((unsigned int)i, &re) == 0);
			if (i >= 0) {
				HL_CHECK_INT(re.media[0].proto, HL_SDP_PROTO_RTP_AVP);
				HL_CHECK(re.media[0].ncrypto == 1 && re.media[0].crypto[0].tag == 2);
				HL_CHECK(answer_key((unsigned int)i, &re, &again) == 0 &&
					key_eq(&again, &ours));
			}
			/* an answer without the crypto line would drop SRTP: refused, kept */
			late_answer(ans, sizeof(ans), 6000, "RTP/AVP", "8 101", "");
			customer_req_sdp(msg, sizeof(msg), "ACK", "z9hG4bKle2a", "le1@trunk", totag,
				2, ans);
			feed(msg, addr('t', 5060));
			HL_CHECK_INT(nout, 0);
			HL_CHECK_INT(npushed, 0);
			HL_CHECK(stats().ctr[HL_SIG_CTR_MEDIA_FAIL] == 1 && stats().calls == 1);
		} else if (a != NULL) {
			HL_CHECK(!a->srtp_rx && !a->srtp_tx);
		}
		teardown();
	}
}

/* An ACK that does not answer our late offer: the call has no media, so it ends with
 * BYE to the customer and the agent, counted, nothing pushed and nothing left. */
HL_TEST(late_offer_bad_ack)
{
	static const struct {
		const char *what;
		uint8_t srtp;            /* [rtp] srtp */
		const char *proto, *fmts, *lines;
		uint16_t port;
		const char *ctype;       /* NULL: application/sdp */
	} cases[] = {
		{"no SDP", HL_CONFIG_SRTP_OPTIONAL, NULL, NULL, NULL, 0, NULL},
		{"stream refused", HL_CONFIG_SRTP_OPTIONAL, "RTP/AVP", "8", "", 0, NULL},
		{"codec not offered", HL_CONFIG_SRTP_OPTIONAL, "RTP/AVP", "0 101", "", 6000, NULL},
		{"not SDP", HL_CONFIG_SRTP_OPTIONAL, "RTP/AVP", "8 101", "", 6000, "text/plain"},
		{"RTP/AVP to RTP/SAVP", HL_CONFIG_SRTP_MANDATORY, "RTP/AVP", "8 101", "", 6000,
			NULL},
		{"no crypto line", HL_CONFIG_SRTP_MANDATORY, "RTP/SAVP", "8 101", "", 6000, NULL},
		{"a tag not ours", HL_CONFIG_SRTP_MANDATORY, "RTP/SAVP", "8 101",
			"a=crypto:9 AES_CM_128_HMAC_SHA1_80 inline:" K30 "\r\n", 6000, NULL},
		{"not the tag's suite", HL_CONFIG_SRTP_MANDATORY, "RTP/SAVP", "8 101",
			"a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:" K30 "\r\n", 6000, NULL},
		{"RTP/SAVP to RTP/AVP", HL_CONFIG_SRTP_OFF, "RTP/SAVP", "8 101",
			"a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:" K30 "\r\n", 6000, NULL},
	};

	for (unsigned int n = 0; n < HL_ARRAY_SIZE(cases); n++) {
		char inv[4096], ok[4096], totag[64], ans[1024], msg[4096];
		struct hl_sdp offer;

		setup_ops(1);
		cfg.rtp_srtp = cases[n].srtp;
		if (late_call("z9hG4bKlb1", "lb1@trunk", NULL, inv, sizeof(inv), ok, sizeof(ok),
			    totag, sizeof(totag), &offer) != 0) {
			HL_CHECK_MSG(0, "%s: no call", cases[n].what);
			teardown();
			continue;
		}
		if (cases[n].proto == NULL) {
			customer_req(msg, sizeof(msg), "ACK", "z9hG4bKlb1a", "lb1@trunk", totag, 1);
		} else {
			late_answer(ans, sizeof(ans), cases[n].port, cases[n].proto, cases[n].fmts,
				cases[n].lines);
			customer_req_sdp(msg, sizeof(msg), "ACK", "z9hG4bKlb1a", "lb1@trunk", totag,
				1, ans);
			if (cases[n].ctype != NULL) {
				char *ct = strstr(msg, "application/sdp");
				char fixed[4096];
				snprintf(fixed, sizeof(fixed), "%.*s%s%s", (int)(ct - msg), msg,
					cases[n].ctype, ct + strlen("application/sdp"));
				snprintf(msg, sizeof(msg), "%s", fixed);
			}
		}
		feed(msg, addr('t', 5060));
		/* both BYEs go out at once; kept, since answering one replaces out[] */
		static char bye[2][4096];
		struct hl_sig_addr to[2];
		unsigned int byes = 0, to_customer = 0, to_agent = 0;
		for (unsigned int j = 0; j < nout && byes < 2; j++) {
			if (!is_method(j, "BYE"))
				continue;
			snprintf(bye[byes], sizeof(bye[0]), "%s", out[j].buf);
			to[byes] = out[j].dst;
			to_customer += out[j].dst.port == 5060 && out[j].dst.ip[2] == 0;
			to_agent += out[j].dst.port == 5090 && out[j].dst.ip[2] == 98;
			byes++;
		}
		HL_CHECK_MSG(to_customer == 1 && to_agent == 1, "%s: BYEs customer %u agent %u",
			cases[n].what, to_customer, to_agent);
		for (unsigned int j = 0; j < byes; j++)
			respond_sdp(bye[j], 200, to[j], NULL);
		HL_CHECK_MSG(stats().calls == 0, "%s: the call is still there", cases[n].what);
		HL_CHECK_MSG(npushed == 0, "%s: %u legs pushed", cases[n].what, npushed);
		HL_CHECK_MSG(stats().ctr[HL_SIG_CTR_MEDIA_FAIL] == 1, "%s: not counted",
			cases[n].what);
		advance(40000);
		HL_CHECK_MSG(stats().transactions == 0 && stats().dialogs == 0 &&
			stats().media_legs == 0, "%s: %llu transactions, %llu dialogs left",
			cases[n].what, (unsigned long long)stats().transactions,
			(unsigned long long)stats().dialogs);
		teardown();
	}
	cfg.rtp_srtp = HL_CONFIG_SRTP_OPTIONAL;
}

/* The agent's request in a B dialog of our INVITE inv (their tag tag): method, CSeq,
 * SDP sdp (NULL: none). */
static void
agent_req_tag(char *msg, size_t cap, const char *inv, const char *tag, const char *method,
	const char *branch, unsigned int cseq, const char *sdp)
{
	char from[256], to[256], cid[256];

	inv_dialog(inv, from, to, cid, sizeof(from));
	snprintf(msg, cap,
		"%s sip:hotline@10.99.98.1:5060 SIP/2.0\r\n"
		"Via: SIP/2.0/UDP 10.99.98.2:5090;branch=%s\r\nMax-Forwards: 70\r\n"
		"From: %s;tag=%s\r\nTo: %s\r\nCall-ID: %s\r\nCSeq: %u %s\r\n"
		"Contact: <sip:agent@10.99.98.2:5090>\r\n%sContent-Length: %zu\r\n\r\n%s",
		method, branch, to, tag, from, cid, cseq, method,
		sdp ? "Content-Type: application/sdp\r\n" : "", sdp ? strlen(sdp) : (size_t)0,
		sdp ? sdp : "");
}

/* The same in the dialog of the agent's plain responses (their tag ag1). */
static void
agent_req(char *msg, size_t cap, const char *inv, const char *method, const char *branch,
	unsigned int cseq, const char *sdp)
{
	agent_req_tag(msg, cap, inv, "ag1", method, branch, cseq, sdp);
}

/* A re-INVITE without SDP on either leg (a delayed offer): our 200 offers what the leg
 * runs, with the version of our last SDP while nothing differs; the ACK's answer
 * moves the leg when it changes something and leaves the worker alone when not; an
 * ACK without an answer keeps the call as it was. The agent is not asked for the
 * customer's, nor the customer for the agent's. */
HL_TEST(reinvite_without_sdp)
{
	char inv[4096], totag[64], msg[4096], ans[1024], first[2048];
	struct hl_sdp sdp, re;
	struct hl_sip_msg m;
	int i;

	setup_ops(1);
	i = srtp_call("z9hG4bKns1", "ns1@trunk", sdp_offer, NULL, inv, sizeof(inv), totag,
		sizeof(totag), &sdp);
	HL_CHECK(i >= 0);
	if (i < 0)
		goto out;
	/* out[i] is the 200 still, though the ACK's feed() emptied out[] */
	HL_CHECK(hl_sip_parse((const uint8_t *)out[i].buf, out[i].len, &m) > 0 && m.body.len);
	snprintf(first, sizeof(first), "%.*s", m.body.len, out[i].buf + m.body.off);
	HL_CHECK_INT(pushes(0), 1);

	/* nothing changed since our answer: the same SDP, the same version */
	npushed = 0;
	customer_reinvite("z9hG4bKns2", "ns1@trunk", totag, 2, "");
	i = find_out("200");
	HL_CHECK(i >= 0 && find_out("INVITE") < 0);
	if (i < 0)
		goto out;
	HL_CHECK(parse_out((unsigned int)i, &m) == 200);
	HL_CHECK_MSG(m.body.len == strlen(first) && memcmp(out[i].buf + m.body.off, first,
			     m.body.len) == 0, "re-offer differs:\n%.*s", m.body.len,
		out[i].buf + m.body.off);
	late_answer(ans, sizeof(ans), 6000, "RTP/AVP", "8 101", "");
	customer_req_sdp(msg, sizeof(msg), "ACK", "z9hG4bKns2a", "ns1@trunk", totag, 2, ans);
	feed(msg, addr('t', 5060));
	HL_CHECK_INT(npushed, 0); /* the same remote, codec and events */

	/* the answer moves the customer's media: the A leg goes to the worker */
	customer_reinvite("z9hG4bKns3", "ns1@trunk", totag, 3, "");
	HL_CHECK(find_out("200") >= 0);
	late_answer(ans, sizeof(ans), 6010, "RTP/AVP", "8 101", "");
	customer_req_sdp(msg, sizeof(msg), "ACK", "z9hG4bKns3a", "ns1@trunk", totag, 3, ans);
	feed(msg, addr('t', 5060));
	HL_CHECK(last_push(0) != NULL && last_push(0)->remote_port == 6010 &&
		last_push(0)->codec_pt == 8);

	/* no answer in the ACK: counted, the call and its media stay */
	npushed = 0;
	customer_reinvite("z9hG4bKns4", "ns1@trunk", totag, 4, "");
	HL_CHECK(find_out("200") >= 0);
	customer_req(msg, sizeof(msg), "ACK", "z9hG4bKns4a", "ns1@trunk", totag, 4);
	feed(msg, addr('t', 5060));
	HL_CHECK_INT(nout, 0);
	HL_CHECK_INT(npushed, 0);
	HL_CHECK(stats().ctr[HL_SIG_CTR_MEDIA_FAIL] == 1 && stats().calls == 1);

	/* the agent's delayed offer, once our INVITE is over (Timer M) */
	advance(64 * 500 + 1000);
	agent_req(msg, sizeof(msg), inv, "INVITE", "z9hG4bKnsb1", 1, NULL);
	feed(msg, addr('a', 5090));
	i = find_out("200");
	HL_CHECK(i >= 0 && find_out("INVITE") < 0 && sdp_of((unsigned int)i, &re) == 0);
	if (i < 0)
		goto out;
	HL_CHECK(out[i].dst.port == 5090);
	HL_CHECK(strstr(out[i].buf, "c=IN IP4 10.99.98.1\r\n") != NULL);
	HL_CHECK(strstr(out[i].buf, " RTP/AVP 8 101\r\n") != NULL); /* what the leg runs */
	HL_CHECK_INT(npushed, 0);
	snprintf(ans, sizeof(ans), "v=0\r\no=agent 2 3 IN IP4 10.99.98.2\r\ns=-\r\n"
		"c=IN IP4 10.99.98.3\r\nt=0 0\r\nm=audio 7002 RTP/AVP 8 101\r\n"
		"a=rtpmap:101 telephone-event/8000\r\n");
	agent_req(msg, sizeof(msg), inv, "ACK", "z9hG4bKnsb1a", 1, ans);
	feed(msg, addr('a', 5090));
	HL_CHECK(last_push(1) != NULL && last_push(1)->remote_port == 7002 &&
		ip4_is(last_push(1)->remote_ip, "10.99.98.3"));
	HL_CHECK(stats().ctr[HL_SIG_CTR_MEDIA_FAIL] == 1);

	/* The agent holds: the customer is offered the codec its leg runs (PCMA, which
	 * alice took), not the first of its own first offer (PCMU). */
	snprintf(ans, sizeof(ans), "v=0\r\no=agent 2 4 IN IP4 10.99.98.2\r\ns=-\r\n"
		"c=IN IP4 10.99.98.3\r\nt=0 0\r\nm=audio 7002 RTP/AVP 8 101\r\n"
		"a=rtpmap:101 telephone-event/8000\r\na=sendonly\r\n");
	agent_req(msg, sizeof(msg), inv, "INVITE", "z9hG4bKnsb2", 2, ans);
	feed(msg, addr('a', 5090));
	i = find_out("INVITE");
	HL_CHECK(i >= 0 && out[i].dst.port == 5060);
	if (i >= 0) {
		char rinv[4096];
		HL_CHECK(strstr(out[i].buf, " RTP/AVP 8 101\r\n") != NULL &&
			strstr(out[i].buf, "a=sendonly\r\n") != NULL);
		snprintf(rinv, sizeof(rinv), "%s", out[i].buf);
		late_answer(ans, sizeof(ans), 6010, "RTP/AVP", "8 101", "");
		respond_sdp(rinv, 200, addr('t', 5060), ans);
		HL_CHECK(find_out("ACK") >= 0 && find_out("200") >= 0);
		agent_req(msg, sizeof(msg), inv, "ACK", "z9hG4bKnsb2a", 2, NULL);
		feed(msg, addr('a', 5090));
	}

	customer_req(msg, sizeof(msg), "BYE", "z9hG4bKns5", "ns1@trunk", totag, 5);
	feed(msg, addr('t', 5060));
	agent_answers_bye();
	HL_CHECK(stats().calls == 0);
	advance(40000);
	HL_CHECK(stats().transactions == 0 && stats().dialogs == 0);
out:
	teardown();
}

/* An answer in the ACK that holds (sendonly, inactive, or c=0.0.0.0; RFC 3264 §8.4) is
 * relayed to the agent as a held re-INVITE is: a re-INVITE of ours with the matching
 * direction, in the codec the leg runs. A later delayed offer whose answer in the ACK
 * resumes is relayed as a resume; one that changes nothing is not relayed at all. */
HL_TEST(late_offer_hold_in_ack)
{
	static const struct {
		const char *conn, *dir, *want;
	} cases[] = {
		{"10.99.0.2", "a=sendonly\r\n", "a=sendonly\r\n"},
		{"10.99.0.2", "a=inactive\r\n", "a=inactive\r\n"},
		{"0.0.0.0", "", "a=sendonly\r\n"},
	};
	static const char agent_held[] = "v=0\r\no=agent 2 3 IN IP4 10.99.98.2\r\ns=-\r\n"
					 "c=IN IP4 10.99.98.2\r\nt=0 0\r\nm=audio 7000 RTP/AVP 8 101\r\n"
					 "a=rtpmap:101 telephone-event/8000\r\na=recvonly\r\n";

	for (unsigned int n = 0; n < HL_ARRAY_SIZE(cases); n++) {
		char inv[4096], ok[4096], totag[64], ans[1024], msg[4096], rinv[4096];
		struct hl_sdp offer;
		const struct hl_media_leg *a, *b;
		int i;

		setup_ops(1);
		if (late_call("z9hG4bKlh1", "lh1@trunk", NULL, inv, sizeof(inv), ok, sizeof(ok),
			    totag, sizeof(totag), &offer) != 0) {
			teardown();
			continue;
		}
		snprintf(ans, sizeof(ans),
			"v=0\r\no=trunk 5 5 IN IP4 10.99.0.2\r\ns=-\r\nc=IN IP4 %s\r\nt=0 0\r\n"
			"m=audio 6002 RTP/AVP 8 101\r\na=rtpmap:101 telephone-event/8000\r\n%s",
			cases[n].conn, cases[n].dir);
		customer_req_sdp(msg, sizeof(msg), "ACK", "z9hG4bKlh1a", "lh1@trunk", totag, 1, ans);
		feed(msg, addr('t', 5060));
		a = last_push(0);
		HL_CHECK_MSG(a != NULL && a->recv_only, "case %u: the A leg is not held", n);
		HL_CHECK(stats().ctr[HL_SIG_CTR_MEDIA_FAIL] == 0);
		i = find_out("INVITE");
		HL_CHECK_MSG(i >= 0, "case %u: the hold did not reach the agent", n);
		if (i < 0) {
			teardown();
			continue;
		}
		HL_CHECK(out[i].dst.port == 5090);
		HL_CHECK_MSG(strstr(out[i].buf, cases[n].want) != NULL, "case %u: re-INVITE:\n%s", n,
			out[i].buf);
		HL_CHECK(strstr(out[i].buf, " RTP/AVP 8 101\r\n") != NULL);
		snprintf(rinv, sizeof(rinv), "%s", out[i].buf);
		npushed = 0;
		respond_sdp(rinv, 200, addr('a', 5090), agent_held);
		HL_CHECK(find_out("ACK") >= 0 && find_out("200") < 0);
		b = last_push(1);
		HL_CHECK(b != NULL && b->remote_silent);

		/* a delayed offer resumes: our 200 offers sendrecv, the ACK's answer too */
		customer_reinvite("z9hG4bKlh2", "lh1@trunk", totag, 2, "");
		i = find_out("200");
		HL_CHECK(i >= 0 && find_out("INVITE") < 0);
		HL_CHECK(i < 0 || strstr(out[i].buf, "a=sendrecv\r\n") != NULL);
		late_answer(ans, sizeof(ans), 6002, "RTP/AVP", "8 101", "");
		customer_req_sdp(msg, sizeof(msg), "ACK", "z9hG4bKlh2a", "lh1@trunk", totag, 2, ans);
		feed(msg, addr('t', 5060));
		a = last_push(0);
		HL_CHECK(a != NULL && !a->recv_only && !a->remote_silent);
		i = find_out("INVITE");
		HL_CHECK_MSG(i >= 0 && strstr(out[i].buf, "a=sendrecv\r\n") != NULL,
			"case %u: the resume did not reach the agent", n);
		if (i >= 0) {
			snprintf(rinv, sizeof(rinv), "%s", out[i].buf);
			respond_sdp(rinv, 200, addr('a', 5090), NULL);
			HL_CHECK(find_out("ACK") >= 0);
		}
		/* the same again: nothing to relay */
		customer_reinvite("z9hG4bKlh3", "lh1@trunk", totag, 3, "");
		HL_CHECK(find_out("200") >= 0);
		customer_req_sdp(msg, sizeof(msg), "ACK", "z9hG4bKlh3a", "lh1@trunk", totag, 3, ans);
		feed(msg, addr('t', 5060));
		HL_CHECK_INT(nout, 0);

		customer_req(msg, sizeof(msg), "BYE", "z9hG4bKlh4", "lh1@trunk", totag, 4);
		feed(msg, addr('t', 5060));
		agent_answers_bye();
		HL_CHECK(stats().calls == 0);
		advance(40000);
		HL_CHECK(stats().transactions == 0 && stats().dialogs == 0);
		teardown();
	}
}

/* An answer in the ACK that holds while an offer is open on the agent's dialog (here our
 * 200 to the agent's delayed offer, waiting for its ACK): RFC 3261 §14.1 lets no second
 * offer go there, so the hold waits, counted in hold_relay_deferred, and goes to the
 * agent once that offer is answered. */
HL_TEST(ack_hold_waits_for_open_offer)
{
	static const char held[] = "v=0\r\no=trunk 5 6 IN IP4 10.99.0.2\r\ns=-\r\n"
				   "c=IN IP4 10.99.0.2\r\nt=0 0\r\nm=audio 6002 RTP/AVP 8 101\r\n"
				   "a=rtpmap:101 telephone-event/8000\r\na=sendonly\r\n";
	static const char agent_ans[] = "v=0\r\no=agent 2 3 IN IP4 10.99.98.2\r\ns=-\r\n"
					"c=IN IP4 10.99.98.2\r\nt=0 0\r\nm=audio 7000 RTP/AVP 8 101\r\n"
					"a=rtpmap:101 telephone-event/8000\r\n";
	char inv[4096], ok[4096], totag[64], ans[1024], msg[4096], rinv[4096];
	const struct hl_media_leg *a;
	struct hl_sdp offer;
	int i;

	setup_ops(1);
	if (late_call("z9hG4bKhw1", "hw1@trunk", NULL, inv, sizeof(inv), ok, sizeof(ok), totag,
		    sizeof(totag), &offer) != 0)
		goto out;
	late_answer(ans, sizeof(ans), 6002, "RTP/AVP", "8 101", "");
	customer_req_sdp(msg, sizeof(msg), "ACK", "z9hG4bKhw1a", "hw1@trunk", totag, 1, ans);
	feed(msg, addr('t', 5060));
	HL_CHECK_INT(nout, 0);

	/* the customer's delayed offer, and the agent's: our 200s offer on both dialogs */
	customer_reinvite("z9hG4bKhw2", "hw1@trunk", totag, 2, "");
	HL_CHECK(find_out("200") >= 0);
	agent_req(msg, sizeof(msg), inv, "INVITE", "z9hG4bKhwb1", 1, NULL);
	feed(msg, addr('a', 5090));
	i = find_out("200");
	HL_CHECK(i >= 0 && out[i].dst.port == 5090 && find_out("INVITE") < 0);

	/* the customer's answer holds: nothing goes to the agent while our offer is open */
	customer_req_sdp(msg, sizeof(msg), "ACK", "z9hG4bKhw2a", "hw1@trunk", totag, 2, held);
	feed(msg, addr('t', 5060));
	HL_CHECK_MSG(find_out("INVITE") < 0, "a second offer went to the agent:\n%s",
		find_out("INVITE") >= 0 ? out[find_out("INVITE")].buf : "");
	HL_CHECK(stats().ctr[HL_SIG_CTR_HOLD_RELAY_DEFERRED] == 1);
	HL_CHECK(stats().ctr[HL_SIG_CTR_MEDIA_FAIL] == 0);
	a = last_push(0);
	HL_CHECK(a != NULL && a->recv_only);
	nout = 0;
	advance(1000);
	HL_CHECK(find_out("INVITE") < 0);

	/* the agent's ACK answers ours: the hold goes on */
	agent_req(msg, sizeof(msg), inv, "ACK", "z9hG4bKhwb1a", 1, agent_ans);
	feed(msg, addr('a', 5090));
	HL_CHECK(find_out("INVITE") < 0);
	nout = 0;
	advance(500);
	i = find_out("INVITE");
	HL_CHECK_MSG(i >= 0, "the hold did not reach the agent");
	if (i >= 0) {
		HL_CHECK(out[i].dst.port == 5090 && strstr(out[i].buf, "a=sendonly\r\n") != NULL);
		snprintf(rinv, sizeof(rinv), "%s", out[i].buf);
		respond_sdp(rinv, 200, addr('a', 5090), NULL);
		HL_CHECK(find_out("ACK") >= 0 && find_out("200") < 0);
	}
	nout = 0;
	advance(1000);
	HL_CHECK(find_out("INVITE") < 0);
	HL_CHECK(stats().ctr[HL_SIG_CTR_HOLD_RELAY_DEFERRED] == 1);

	customer_req(msg, sizeof(msg), "BYE", "z9hG4bKhw3", "hw1@trunk", totag, 3);
	feed(msg, addr('t', 5060));
	agent_answers_bye();
	HL_CHECK(stats().calls == 0);
	advance(40000);
	HL_CHECK(stats().transactions == 0 && stats().dialogs == 0);
out:
	teardown();
}

/* A hold from the customer's ACK waits while our offer to the agent is open; before it
 * goes, the agent's own re-INVITE is relayed and the customer's answer resumes: that
 * answer is the customer's direction now, so the waiting hold is dropped, not sent. */
HL_TEST(ack_hold_waiting_superseded_by_an_answer)
{
	static const char held[] = "v=0\r\no=trunk 5 6 IN IP4 10.99.0.2\r\ns=-\r\n"
				   "c=IN IP4 10.99.0.2\r\nt=0 0\r\nm=audio 6002 RTP/AVP 8 101\r\n"
				   "a=rtpmap:101 telephone-event/8000\r\na=sendonly\r\n";
	static const char agent_ans[] = "v=0\r\no=agent 2 3 IN IP4 10.99.98.2\r\ns=-\r\n"
					"c=IN IP4 10.99.98.2\r\nt=0 0\r\nm=audio 7000 RTP/AVP 8 101\r\n"
					"a=rtpmap:101 telephone-event/8000\r\n";
	static const char agent_again[] = "v=0\r\no=agent 2 4 IN IP4 10.99.98.2\r\ns=-\r\n"
					  "c=IN IP4 10.99.98.2\r\nt=0 0\r\n"
					  "m=audio 7000 RTP/AVP 8 101\r\n"
					  "a=rtpmap:101 telephone-event/8000\r\n";
	static const char resumed[] = "v=0\r\no=trunk 5 7 IN IP4 10.99.0.2\r\ns=-\r\n"
				      "c=IN IP4 10.99.0.2\r\nt=0 0\r\nm=audio 6002 RTP/AVP 8 101\r\n"
				      "a=rtpmap:101 telephone-event/8000\r\n";
	char inv[4096], ok[4096], totag[64], ans[1024], msg[4096], relay[4096];
	struct hl_sdp offer;
	int i;

	setup_ops(1);
	if (late_call("z9hG4bKhs1", "hs1@trunk", NULL, inv, sizeof(inv), ok, sizeof(ok), totag,
		    sizeof(totag), &offer) != 0)
		goto out;
	late_answer(ans, sizeof(ans), 6002, "RTP/AVP", "8 101", "");
	customer_req_sdp(msg, sizeof(msg), "ACK", "z9hG4bKhs1a", "hs1@trunk", totag, 1, ans);
	feed(msg, addr('t', 5060));
	customer_reinvite("z9hG4bKhs2", "hs1@trunk", totag, 2, "");
	HL_CHECK(find_out("200") >= 0);
	agent_req(msg, sizeof(msg), inv, "INVITE", "z9hG4bKhsb1", 1, NULL);
	feed(msg, addr('a', 5090));
	HL_CHECK(find_out("200") >= 0);
	customer_req_sdp(msg, sizeof(msg), "ACK", "z9hG4bKhs2a", "hs1@trunk", totag, 2, held);
	feed(msg, addr('t', 5060));
	HL_CHECK(stats().ctr[HL_SIG_CTR_HOLD_RELAY_DEFERRED] == 1);
	agent_req(msg, sizeof(msg), inv, "ACK", "z9hG4bKhsb1a", 1, agent_ans);
	feed(msg, addr('a', 5090));

	/* before the hold's retry, the agent re-INVITEs; relayed, the customer resumes */
	nout = 0;
	agent_req(msg, sizeof(msg), inv, "INVITE", "z9hG4bKhsb2", 2, agent_again);
	feed(msg, addr('a', 5090));
	i = find_out("INVITE");
	HL_CHECK_MSG(i >= 0 && out[i].dst.port == 5060, "the agent's re-INVITE was not relayed");
	if (i < 0)
		goto out;
	snprintf(relay, sizeof(relay), "%s", out[i].buf);
	nout = 0;
	respond_sdp(relay, 200, addr('t', 5060), resumed);
	i = find_out("200");
	HL_CHECK(i >= 0 && out[i].dst.port == 5090 && strstr(out[i].buf, "a=sendonly") == NULL);
	agent_req(msg, sizeof(msg), inv, "ACK", "z9hG4bKhsb2a", 2, NULL);
	feed(msg, addr('a', 5090));
	nout = 0;
	advance(1000);
	i = find_out("INVITE");
	HL_CHECK_MSG(i < 0, "the superseded hold went to the agent:\n%s", i >= 0 ? out[i].buf : "");

	customer_req(msg, sizeof(msg), "BYE", "z9hG4bKhs3", "hs1@trunk", totag, 3);
	feed(msg, addr('t', 5060));
	agent_answers_bye();
	HL_CHECK(stats().calls == 0);
out:
	teardown();
}

/* An answer in the ACK that would hold, or resume, but is no answer to our offer (a codec
 * we did not offer, the stream refused, RTP/SAVP without a key of ours): counted, and the
 * leg keeps its media and its hold as they were; the agent hears of nothing. */
HL_TEST(ack_hold_refused_keeps_leg)
{
	static const char *const bad[] = {
		"m=audio 6002 RTP/AVP 0\r\n",
		"m=audio 0 RTP/AVP 8 101\r\na=rtpmap:101 telephone-event/8000\r\n",
		"m=audio 6002 RTP/SAVP 8 101\r\na=rtpmap:101 telephone-event/8000\r\n",
	};
	char inv[4096], ok[4096], totag[64], ans[1024], msg[4096], rinv[4096], branch[32];
	struct hl_sdp offer;
	struct hl_media_leg was;
	struct sig_leg *a;
	unsigned int cseq = 1;
	uint64_t fail;
	int i;

	setup_ops(1);
	if (late_call("z9hG4bKhr1", "hr1@trunk", NULL, inv, sizeof(inv), ok, sizeof(ok), totag,
		    sizeof(totag), &offer) != 0)
		goto out;
	late_answer(ans, sizeof(ans), 6002, "RTP/AVP", "8 101", "");
	customer_req_sdp(msg, sizeof(msg), "ACK", "z9hG4bKhr1a", "hr1@trunk", totag, 1, ans);
	feed(msg, addr('t', 5060));
	HL_CHECK(sig->calls != NULL && sig->calls->a != NULL);
	if (sig->calls == NULL || sig->calls->a == NULL)
		goto out;
	a = sig->calls->a;

	/* first on the call as it runs, then once it is on hold (a held answer taken) */
	for (unsigned int held = 0; held < 2; held++) {
		const char *dir = held ? "a=sendrecv\r\n" : "a=sendonly\r\n";
		for (unsigned int n = 0; n < HL_ARRAY_SIZE(bad); n++) {
			cseq++;
			snprintf(branch, sizeof(branch), "z9hG4bKhr%u", cseq);
			customer_reinvite(branch, "hr1@trunk", totag, cseq, "");
			HL_CHECK(find_out("200") >= 0);
			HL_CHECK(a->hold == held);
			was = a->media;
			fail = stats().ctr[HL_SIG_CTR_MEDIA_FAIL];
			npushed = 0;
			snprintf(ans, sizeof(ans),
				"v=0\r\no=trunk 5 %u IN IP4 10.99.0.2\r\ns=-\r\nc=IN IP4 10.99.0.2\r\n"
				"t=0 0\r\n%s%s", 10 + cseq, bad[n], dir);
			snprintf(branch, sizeof(branch), "z9hG4bKhr%ua", cseq);
			customer_req_sdp(msg, sizeof(msg), "ACK", branch, "hr1@trunk", totag, cseq,
				ans);
			feed(msg, addr('t', 5060));
			HL_CHECK_MSG(stats().ctr[HL_SIG_CTR_MEDIA_FAIL] == fail + 1,
				"held %u, case %u: not counted", held, n);
			HL_CHECK_MSG(a->hold == held, "held %u, case %u: hold is now %u", held, n,
				a->hold);
			HL_CHECK_MSG(memcmp(&a->media, &was, sizeof(was)) == 0,
				"held %u, case %u: the media moved", held, n);
			HL_CHECK_INT(npushed, 0);
			HL_CHECK_MSG(find_out("INVITE") < 0, "held %u, case %u: relayed", held, n);
			HL_CHECK(stats().calls == 1);
		}
		if (held)
			break;
		/* a held answer the leg takes: relayed to the agent, who answers */
		cseq++;
		snprintf(branch, sizeof(branch), "z9hG4bKhr%u", cseq);
		customer_reinvite(branch, "hr1@trunk", totag, cseq, "");
		HL_CHECK(find_out("200") >= 0);
		snprintf(ans, sizeof(ans),
			"v=0\r\no=trunk 5 %u IN IP4 10.99.0.2\r\ns=-\r\nc=IN IP4 10.99.0.2\r\nt=0 0\r\n"
			"m=audio 6002 RTP/AVP 8 101\r\na=rtpmap:101 telephone-event/8000\r\n"
			"a=sendonly\r\n", 10 + cseq);
		snprintf(branch, sizeof(branch), "z9hG4bKhr%ua", cseq);
		customer_req_sdp(msg, sizeof(msg), "ACK", branch, "hr1@trunk", totag, cseq, ans);
		feed(msg, addr('t', 5060));
		HL_CHECK(a->hold == 1);
		i = find_out("INVITE");
		HL_CHECK(i >= 0 && out[i].dst.port == 5090);
		if (i < 0)
			goto out;
		snprintf(rinv, sizeof(rinv), "%s", out[i].buf);
		respond_sdp(rinv, 200, addr('a', 5090), NULL);
		HL_CHECK(find_out("ACK") >= 0);
	}

	cseq++;
	customer_req(msg, sizeof(msg), "BYE", "z9hG4bKhr99", "hr1@trunk", totag, cseq);
	feed(msg, addr('t', 5060));
	agent_answers_bye();
	HL_CHECK(stats().calls == 0);
	advance(40000);
	HL_CHECK(stats().transactions == 0 && stats().dialogs == 0);
out:
	teardown();
}

/* The worker could not take a leg (its table was full): a call that cannot carry media
 * is ended, BYE to both sides, and counted. */
HL_TEST(media_refused_ends_call)
{
	char sdp[1024], inv[4096], totag[64];
	struct hl_sdp ans;
	const struct hl_media_leg *a;
	int i, byes = 0;

	setup_ops(1);
	srtp_sdp(sdp, sizeof(sdp), "RTP/AVP", "sendrecv", "");
	i = srtp_call("z9hG4bKrf1", "rf1@trunk", sdp, NULL, inv, sizeof(inv), totag,
		sizeof(totag), &ans);
	HL_CHECK(i >= 0);
	a = last_push(0);
	HL_CHECK(a != NULL);
	if (i < 0 || a == NULL)
		goto out;
	HL_CHECK(stats().calls == 1);
	uint64_t fail = stats().ctr[HL_SIG_CTR_MEDIA_FAIL];
	struct hl_media_event ev = {
		.call = a->call,
		.type = HL_MEDIA_EV_REFUSED,
		.side = 0,
		.local_port = a->local_port,
	};
	nout = 0;
	hl_sig_media_event(sig, &ev, now);
	HL_CHECK(stats().ctr[HL_SIG_CTR_MEDIA_FAIL] == fail + 1);
	for (unsigned int k = 0; k < nout; k++)
		byes += is_method(k, "BYE");
	HL_CHECK_INT(byes, 2);
	/* the same event again (a retried set refused once more) changes nothing */
	nout = 0;
	hl_sig_media_event(sig, &ev, now);
	HL_CHECK(stats().ctr[HL_SIG_CTR_MEDIA_FAIL] == fail + 1 && nout == 0);
out:
	teardown();
}

/* [rtp] dtmf_inband = auto: a G.711, G.722 or Opus leg that negotiated no
 * telephone-event goes to the worker with in-band detection on, one with
 * telephone-events without; always: both legs of a relay tenant's
 * call, telephone-events or not; off: none. An in-band press counts as dtmf_rtp and
 * dtmf_inband and shows in last_dtmf_digits. */
HL_TEST(dtmf_inband_where_no_telephone_event)
{
	static const char cust[] = "v=0\r\no=trunk 1 1 IN IP4 10.99.0.2\r\ns=-\r\n"
				   "c=IN IP4 10.99.0.2\r\nt=0 0\r\nm=audio 6000 RTP/AVP 0 8\r\n"
				   "a=sendrecv\r\n";
	static const char cust_te[] = "v=0\r\no=trunk 1 1 IN IP4 10.99.0.2\r\ns=-\r\n"
				      "c=IN IP4 10.99.0.2\r\nt=0 0\r\n"
				      "m=audio 6000 RTP/AVP 0 101\r\n"
				      "a=rtpmap:101 telephone-event/8000\r\na=sendrecv\r\n";
	static const char agent_pcmu[] = "v=0\r\no=agent 2 2 IN IP4 10.99.98.2\r\ns=-\r\n"
					 "c=IN IP4 10.99.98.2\r\nt=0 0\r\n"
					 "m=audio 7000 RTP/AVP 0\r\n";
	static const char agent_te[] = "v=0\r\no=agent 2 2 IN IP4 10.99.98.2\r\ns=-\r\n"
				       "c=IN IP4 10.99.98.2\r\nt=0 0\r\n"
				       "m=audio 7000 RTP/AVP 0 101\r\n"
				       "a=rtpmap:101 telephone-event/8000\r\n";
	static const char cust_g722[] = "v=0\r\no=trunk 1 1 IN IP4 10.99.0.2\r\ns=-\r\n"
					"c=IN IP4 10.99.0.2\r\nt=0 0\r\nm=audio 6000 RTP/AVP 9\r\n"
					"a=sendrecv\r\n";
	static const char agent_g722[] = "v=0\r\no=agent 2 2 IN IP4 10.99.98.2\r\ns=-\r\n"
					 "c=IN IP4 10.99.98.2\r\nt=0 0\r\n"
					 "m=audio 7000 RTP/AVP 9\r\n";
	static const char cust_opus[] = "v=0\r\no=trunk 1 1 IN IP4 10.99.0.2\r\ns=-\r\n"
					"c=IN IP4 10.99.0.2\r\nt=0 0\r\n"
					"m=audio 6000 RTP/AVP 111\r\n"
					"a=rtpmap:111 opus/48000/2\r\na=sendrecv\r\n";
	static const char agent_opus[] = "v=0\r\no=agent 2 2 IN IP4 10.99.98.2\r\ns=-\r\n"
					 "c=IN IP4 10.99.98.2\r\nt=0 0\r\n"
					 "m=audio 7000 RTP/AVP 111\r\n"
					 "a=rtpmap:111 opus/48000/2\r\n";
	static const struct {
		const char *cust, *agent;
		uint8_t mode;
		uint8_t a_inband, b_inband;
	} cases[] = {
		{cust_g722, agent_g722, HL_CONFIG_INBAND_AUTO, HL_MEDIA_INBAND_AUTO,
			HL_MEDIA_INBAND_AUTO},
		{cust_opus, agent_opus, HL_CONFIG_INBAND_AUTO, HL_MEDIA_INBAND_AUTO,
			HL_MEDIA_INBAND_AUTO},
		{cust, agent_pcmu, HL_CONFIG_INBAND_AUTO, HL_MEDIA_INBAND_AUTO,
			HL_MEDIA_INBAND_AUTO},
		{cust, agent_te, HL_CONFIG_INBAND_AUTO, HL_MEDIA_INBAND_AUTO, HL_MEDIA_INBAND_OFF},
		{cust, agent_pcmu, HL_CONFIG_INBAND_OFF, HL_MEDIA_INBAND_OFF, HL_MEDIA_INBAND_OFF},
		{cust_te, agent_te, HL_CONFIG_INBAND_AUTO, HL_MEDIA_INBAND_OFF,
			HL_MEDIA_INBAND_OFF},
		{cust_te, agent_te, HL_CONFIG_INBAND_ALWAYS, HL_MEDIA_INBAND_ALWAYS,
			HL_MEDIA_INBAND_ALWAYS},
		{cust, agent_pcmu, HL_CONFIG_INBAND_ALWAYS, HL_MEDIA_INBAND_ALWAYS,
			HL_MEDIA_INBAND_ALWAYS},
		{cust_te, agent_te, HL_CONFIG_INBAND_OFF, HL_MEDIA_INBAND_OFF, HL_MEDIA_INBAND_OFF},
	};

	for (unsigned int c = 0; c < HL_ARRAY_SIZE(cases); c++) {
		char inv[4096], totag[64], msg[1024], callid[32];
		struct hl_sdp ans;
		const struct hl_media_leg *a, *b;
		int i;

		setup_ops(1);
		cfg.rtp_dtmf_inband = cases[c].mode;
		snprintf(callid, sizeof(callid), "ib%u@trunk", c);
		i = srtp_call("z9hG4bKib1", callid, cases[c].cust, cases[c].agent, inv, sizeof(inv),
			totag, sizeof(totag), &ans);
		a = last_push(0);
		b = last_push(1);
		HL_CHECK_MSG(i >= 0 && a != NULL && b != NULL, "case %u: no call", c);
		if (i < 0 || a == NULL || b == NULL) {
			teardown();
			continue;
		}
		HL_CHECK_INT(a->codec_pt, cases[c].cust == cust_g722   ? 9
					  : cases[c].cust == cust_opus ? 111
								       : 0);
		HL_CHECK_INT(a->te_pt, cases[c].cust == cust_te ? 101 : -1);
		HL_CHECK_INT(a->dtmf_suppress, 0);
		HL_CHECK_MSG(a->dtmf_inband == cases[c].a_inband, "case %u: A %u", c,
			a->dtmf_inband);
		HL_CHECK_MSG(b->dtmf_inband == cases[c].b_inband, "case %u: B %u", c,
			b->dtmf_inband);

		uint64_t rtp = stats().ctr[HL_SIG_CTR_DTMF_RTP];
		uint64_t ib = stats().ctr[HL_SIG_CTR_DTMF_INBAND];
		struct hl_media_event ev = {
			.call = a->call,
			.type = HL_MEDIA_EV_DTMF,
			.side = 0,
			.digit = '#',
			.how = HL_DTMF_END_TONE,
			.local_port = a->local_port,
			.duration_ms = 90,
		};
		hl_sig_media_event(sig, &ev, now);
		ev.digit = '4';
		ev.how = HL_DTMF_END_BIT;
		hl_sig_media_event(sig, &ev, now);
		struct hl_sig_stats st = stats();
		size_t n = strlen(st.last_dtmf_digits);
		HL_CHECK(st.ctr[HL_SIG_CTR_DTMF_RTP] == rtp + 2);
		HL_CHECK(st.ctr[HL_SIG_CTR_DTMF_INBAND] == ib + 1);
		HL_CHECK_MSG(n >= 2 && strcmp(st.last_dtmf_digits + n - 2, "#4") == 0, "'%s'",
			st.last_dtmf_digits);
		HL_CHECK(st.calls == 1);

		customer_req(msg, sizeof(msg), "BYE", "z9hG4bKib2", callid, totag, 2);
		feed(msg, addr('t', 5060));
		agent_answers_bye();
		HL_CHECK(stats().calls == 0);
		teardown();
	}
}

/* A tenant with dtmf_to_agent = suppress: the customer's (A) leg goes to the worker with
 * dtmf_suppress, at answer and at a re-INVITE, the agent's never; relay (the default)
 * sets it on neither. With [rtp] dtmf_inband = auto the suppressed A leg listens in-band
 * although it negotiated telephone-event (its tones are muted too); off: it does not.
 * The agent's leg, with telephone-event, listens only with always, which gives both legs
 * a detector, suppress or relay. Its presses are still events. */
HL_TEST(dtmf_to_agent_suppress_sets_customer_leg)
{
	static const char cust[] = "v=0\r\no=trunk 1 1 IN IP4 10.99.0.2\r\ns=-\r\n"
				   "c=IN IP4 10.99.0.2\r\nt=0 0\r\nm=audio 6000 RTP/AVP 0 101\r\n"
				   "a=rtpmap:101 telephone-event/8000\r\na=sendrecv\r\n";
	static const char hold[] = "v=0\r\no=trunk 1 2 IN IP4 10.99.0.2\r\ns=-\r\n"
				   "c=IN IP4 10.99.0.2\r\nt=0 0\r\nm=audio 6000 RTP/AVP 0 101\r\n"
				   "a=rtpmap:101 telephone-event/8000\r\na=sendonly\r\n";
	static const char agent_te[] = "v=0\r\no=agent 2 2 IN IP4 10.99.98.2\r\ns=-\r\n"
				       "c=IN IP4 10.99.98.2\r\nt=0 0\r\n"
				       "m=audio 7000 RTP/AVP 0 101\r\n"
				       "a=rtpmap:101 telephone-event/8000\r\n";
	static const char *const files[] = {
		"[tenant acme]\nrealm = acme.test\ndomains = acme.test\ndids = +15550100\n"
		"trunks = 10.99.0.0/24\ndtmf_to_agent = suppress\n"
		"[agent alice@acme]\npassword = alicepw\n",
		"[tenant acme]\nrealm = acme.test\ndomains = acme.test\ndids = +15550100\n"
		"trunks = 10.99.0.0/24\n[agent alice@acme]\npassword = alicepw\n",
		"[tenant acme]\nrealm = acme.test\ndomains = acme.test\ndids = +15550100\n"
		"trunks = 10.99.0.0/24\ndtmf_to_agent = suppress\n"
		"[agent alice@acme]\npassword = alicepw\n",
		"[tenant acme]\nrealm = acme.test\ndomains = acme.test\ndids = +15550100\n"
		"trunks = 10.99.0.0/24\ndtmf_to_agent = suppress\n"
		"[agent alice@acme]\npassword = alicepw\n",
		"[tenant acme]\nrealm = acme.test\ndomains = acme.test\ndids = +15550100\n"
		"trunks = 10.99.0.0/24\n[agent alice@acme]\npassword = alicepw\n",
	};
	/* per file: [rtp] dtmf_inband, and what each leg gets */
	static const struct {
		uint8_t mode, suppress, a_inband, b_inband;
	} want_of[] = {
		{HL_CONFIG_INBAND_AUTO, 1, HL_MEDIA_INBAND_AUTO, HL_MEDIA_INBAND_OFF},
		{HL_CONFIG_INBAND_AUTO, 0, HL_MEDIA_INBAND_OFF, HL_MEDIA_INBAND_OFF},
		{HL_CONFIG_INBAND_OFF, 1, HL_MEDIA_INBAND_OFF, HL_MEDIA_INBAND_OFF},
		{HL_CONFIG_INBAND_ALWAYS, 1, HL_MEDIA_INBAND_ALWAYS, HL_MEDIA_INBAND_ALWAYS},
		{HL_CONFIG_INBAND_ALWAYS, 0, HL_MEDIA_INBAND_ALWAYS, HL_MEDIA_INBAND_ALWAYS},
	};
	_Static_assert(HL_ARRAY_SIZE(files) == HL_ARRAY_SIZE(want_of), "one row a file");

	for (unsigned int c = 0; c < HL_ARRAY_SIZE(files); c++) {
		struct hl_sig_ops ops = {
			.send = cap_send, .route = cap_route, .media_set = cap_media_set};
		char inv[4096], totag[64], msg[1024], callid[32], err[256];
		struct hl_sdp ans;
		const struct hl_media_leg *a, *b;
		uint8_t want = want_of[c].suppress, inband = want_of[c].a_inband;
		int i;

		setup_ops(1);
		cfg.rtp_dtmf_inband = want_of[c].mode;
		hl_sig_free(sig);
		hl_tenants_free(tenants);
		tenants = hl_tenants_parse("t.conf", files[c], strlen(files[c]), err, sizeof(err));
		HL_CHECK_MSG(tenants != NULL, "%s", err);
		sig = hl_sig_create(&cfg, tenants, NULL, &ops, now, 1700000000);
		HL_CHECK(sig != NULL);
		if (tenants == NULL || sig == NULL) {
			teardown();
			continue;
		}
		snprintf(callid, sizeof(callid), "pci%u@trunk", c);
		i = srtp_call("z9hG4bKpci1", callid, cust, agent_te, inv, sizeof(inv), totag,
			sizeof(totag), &ans);
		a = last_push(0);
		b = last_push(1);
		HL_CHECK_MSG(i >= 0 && a != NULL && b != NULL, "case %u: no call", c);
		if (i < 0 || a == NULL || b == NULL) {
			teardown();
			continue;
		}
		HL_CHECK_INT(a->te_pt, 101);
		HL_CHECK_MSG(a->dtmf_suppress == want, "case %u: A %u", c, a->dtmf_suppress);
		HL_CHECK_MSG(b->dtmf_suppress == 0, "case %u: B %u", c, b->dtmf_suppress);
		HL_CHECK_MSG(a->dtmf_inband == inband, "case %u: A in-band %u", c, a->dtmf_inband);
		HL_CHECK_MSG(b->dtmf_inband == want_of[c].b_inband, "case %u: B in-band %u", c,
			b->dtmf_inband);

		/* The customer holds: the A leg changes and keeps its setting. */
		npushed = 0;
		customer_reinvite("z9hG4bKpci2", callid, totag, 2, hold);
		i = find_out("INVITE");
		HL_CHECK_MSG(i >= 0, "case %u: re-INVITE not relayed", c);
		if (i >= 0) {
			snprintf(inv, sizeof(inv), "%s", out[i].buf);
			agent_respond(inv, 200, 5090);
			customer_req(msg, sizeof(msg), "ACK", "z9hG4bKpci2", callid, totag, 2);
			feed(msg, addr('t', 5060));
		}
		a = last_push(0);
		HL_CHECK_MSG(npushed > 0 && a != NULL && a->dtmf_suppress == want &&
				     a->dtmf_inband == inband && a->recv_only,
			"case %u: re-INVITE push", c);
		for (unsigned int k = 0; k < npushed; k++)
			HL_CHECK(pushed[k].side == 0 || pushed[k].dtmf_suppress == 0);

		uint64_t rtp = stats().ctr[HL_SIG_CTR_DTMF_RTP];
		struct hl_media_event ev = {
			.call = a != NULL ? a->call : 0,
			.type = HL_MEDIA_EV_DTMF,
			.digit = '7',
			.how = HL_DTMF_END_BIT,
			.local_port = a != NULL ? a->local_port : 0,
			.duration_ms = 100,
		};
		hl_sig_media_event(sig, &ev, now);
		HL_CHECK(stats().ctr[HL_SIG_CTR_DTMF_RTP] == rtp + 1);

		customer_req(msg, sizeof(msg), "BYE", "z9hG4bKpci3", callid, totag, 3);
		feed(msg, addr('t', 5060));
		agent_answers_bye();
		HL_CHECK(stats().calls == 0);
		teardown();
	}
}

/* ---- call records ---- */

static struct hl_cdr cdrs[16];
static int cdr_rc[16];
static unsigned int ncdr;
static unsigned int ndel;

static void
cap_cdr(void *ctx, const struct hl_cdr *r, int rc)
{
	(void)ctx;
	if (ncdr < HL_ARRAY_SIZE(cdrs)) {
		cdrs[ncdr] = *r;
		cdr_rc[ncdr] = rc;
	}
	ncdr++;
}

static int
cap_media_del(void *ctx, uint8_t port_index, uint16_t local_port)
{
	(void)ctx;
	(void)port_index;
	(void)local_port;
	ndel++;
	return 0;
}

/* As setup_ops(1), with legs that are deleted (and so report figures) and records;
 * with tenants text tt (NULL: tenants_text) and refused INVITEs recorded at most
 * refused_per_s a second. */
static void
setup_cdr_with(struct hl_store *store, const char *tt, uint32_t refused_per_s)
{
	char err[256];
	struct hl_sig_ops ops = {.send = cap_send,
		.route = cap_route,
		.media_set = cap_media_set,
		.media_del = cap_media_del,
		.cdr = cap_cdr};

	npushed = 0;
	ncdr = 0;
	ndel = 0;
	memset(cdrs, 0, sizeof(cdrs));
	hl_config_defaults(&cfg);
	cfg.sip_no_answer_s = 5;
	cfg.sip_qualify_s = 0;
	cfg.sip_cdr_refused_per_s = refused_per_s;
	if (tt == NULL)
		tt = tenants_text;
	tenants = hl_tenants_parse("t.conf", tt, strlen(tt), err, sizeof(err));
	HL_CHECK_MSG(tenants != NULL, "%s", err);
	now = 1000;
	nout = 0;
	sig = hl_sig_create(&cfg, tenants, store, &ops, now, 1700000000);
	HL_CHECK(sig != NULL);
}

static void
setup_cdr(struct hl_store *store)
{
	setup_cdr_with(store, NULL, 200);
}

/* The final figures the worker would report for a leg pushed to it. */
static void
leg_final(const struct hl_media_leg *l, uint64_t rx, uint64_t dtmf)
{
	struct hl_media_stats st = {
		.call = l->call,
		.tenant = l->tenant,
		.side = l->side,
		.latched = 1,
		.local_port = l->local_port,
		.rx_packets = rx,
		.rx_bytes = rx * 160,
		.tx_packets = rx + 1,
		.tx_bytes = (rx + 1) * 160,
		.lost = 2,
		.loss_pct = 0.4,
		.jitter_ms = 1.5,
		.rtt_ms = 20,
		.mos = 4.3,
		.dtmf = dtmf,
		.srtp_auth_fail = 0,
		.wrong_source = 3,
		.rtcp_in = 4,
		.rtcp_out = 5,
	};
	hl_sig_media_final(sig, &st);
}

/* An answered call through alice, talked for 7 s, ended by the customer's BYE: one
 * record, once both legs' figures are in, holding all of them. */
HL_TEST(cdr_answered_call)
{
	char inv[4096], totag[64], msg[1024];
	struct hl_sdp ans;
	struct hl_media_leg a, b;
	uint64_t t0 = now;

	setup_cdr(NULL);
	int i = srtp_call("z9hG4bKcdr1", "cdr1@trunk", sdp_offer, NULL, inv, sizeof(inv), totag,
		sizeof(totag), &ans);
	HL_CHECK(i >= 0 && last_push(0) != NULL && last_push(1) != NULL);
	if (i < 0 || last_push(0) == NULL || last_push(1) == NULL)
		goto out;
	a = *last_push(0);
	b = *last_push(1);
	advance(7000);
	customer_req(msg, sizeof(msg), "BYE", "z9hG4bKcdr1b", "cdr1@trunk", totag, 2);
	feed(msg, addr('t', 5060));
	uint64_t t_bye = now;
	advance(20);
	agent_answers_bye();
	HL_CHECK(stats().calls == 0);
	HL_CHECK_INT(ndel, 2);
	/* Nothing yet: the figures come from the workers after the call. */
	HL_CHECK_INT(ncdr, 0);
	HL_CHECK(stats().cdrs_pending == 1);
	leg_final(&a, 350, 1);
	HL_CHECK_INT(ncdr, 0);
	leg_final(&a, 999, 9); /* a repeat of a leg already in changes nothing */
	leg_final(&b, 340, 0);
	HL_CHECK_INT(ncdr, 1);
	HL_CHECK(stats().cdrs_pending == 0);
	const struct hl_cdr *r = &cdrs[0];
	HL_CHECK_INT(cdr_rc[0], 0);
	HL_CHECK(r->id == 1);
	HL_CHECK_STR(hl_store_cdr_disposition_name(r->disposition), "answered");
	HL_CHECK_INT(r->ended_by, HL_CDR_BY_CUSTOMER);
	HL_CHECK_INT(r->sip_status, 200);
	HL_CHECK_INT(r->flags, 0);
	HL_CHECK_INT(r->agents_tried, 1);
	HL_CHECK_STR(r->call_id, "cdr1@trunk");
	HL_CHECK_STR(r->tenant, "acme");
	HL_CHECK_INT(r->tenant_id, 1);
	HL_CHECK_STR(r->caller_user, "+4930123");
	HL_CHECK_STR(r->caller_display, "Customer");
	HL_CHECK_STR(r->called, "+15550100");
	HL_CHECK_STR(r->agent, "alice");
	/* Unix ms: the clock started at 1700000000 s when now was 1000 ms. */
	HL_CHECK(r->created_ms >= 1700000000000ull + (t0 - 1000));
	HL_CHECK(r->ended_ms == 1700000000000ull + (t_bye - 1000));
	HL_CHECK(r->answered_ms >= r->created_ms && r->answered_ms < r->ended_ms);
	HL_CHECK(r->duration_ms == r->ended_ms - r->created_ms);
	HL_CHECK(r->talk_ms == r->ended_ms - r->answered_ms && r->talk_ms >= 7000);
	HL_CHECK_INT(r->leg[0].state, HL_CDR_LEG_FIGURES);
	HL_CHECK_INT(r->leg[1].state, HL_CDR_LEG_FIGURES);
	HL_CHECK(r->leg[0].rx_packets == 350 && r->leg[0].dtmf == 1);
	HL_CHECK(r->leg[1].rx_packets == 340 && r->leg[1].dtmf == 0);
	HL_CHECK(r->leg[0].local_port == a.local_port && r->leg[1].local_port == b.local_port);
	HL_CHECK(r->leg[0].mos == 4.3 && r->leg[0].jitter_ms == 1.5 && r->leg[0].rtt_ms == 20);
	HL_CHECK(r->leg[1].wrong_source == 3 && r->leg[1].rtcp_out == 5 && r->leg[1].latched);
	/* A late or stray leg's figures make no second record. */
	leg_final(&b, 1, 0);
	HL_CHECK_INT(ncdr, 1);
	HL_CHECK(stats().ctr[HL_SIG_CTR_CDR_FIGURES_MISSING] == 0);
out:
	teardown();
	HL_CHECK_INT(ncdr, 1);
}

/* A leg whose figures never come: the record goes after the wait, flagged. */
HL_TEST(cdr_figures_missing_after_wait)
{
	char inv[4096], totag[64], msg[1024];
	struct hl_sdp ans;
	struct hl_media_leg a;

	setup_cdr(NULL);
	int i = srtp_call("z9hG4bKcdr2", "cdr2@trunk", sdp_offer, NULL, inv, sizeof(inv), totag,
		sizeof(totag), &ans);
	HL_CHECK(i >= 0 && last_push(0) != NULL);
	if (i < 0 || last_push(0) == NULL)
		goto out;
	a = *last_push(0);
	/* The agent hangs up this time. */
	char bye[4096];
	{
		/* alice's BYE in the B dialog: From her (the INVITE's To, with her tag),
		 * To us (the INVITE's From). */
		struct hl_sip_msg m;
		const struct hl_sip_hdr_field *h;
		char from[256], to[256], cid[256];
		HL_CHECK(hl_sip_parse((const uint8_t *)inv, strlen(inv), &m) > 0);
		h = hl_sip_hdr_first(&m, HL_SIP_HDR_FROM);
		snprintf(to, sizeof(to), "%.*s", h->value.len, inv + h->value.off);
		h = hl_sip_hdr_first(&m, HL_SIP_HDR_TO);
		snprintf(from, sizeof(from), "%.*s;tag=ag1", h->value.len, inv + h->value.off);
		h = hl_sip_hdr_first(&m, HL_SIP_HDR_CALL_ID);
		snprintf(cid, sizeof(cid), "%.*s", h->value.len, inv + h->value.off);
		snprintf(bye, sizeof(bye),
			"BYE sip:hotline@10.99.98.1:5060 SIP/2.0\r\n"
			"Via: SIP/2.0/UDP 10.99.98.2:5090;branch=z9hG4bKabye\r\n"
			"Max-Forwards: 70\r\nFrom: %s\r\nTo: %s\r\nCall-ID: %s\r\n"
			"CSeq: 2 BYE\r\nContent-Length: 0\r\n\r\n", from, to, cid);
	}
	advance(1000);
	feed(bye, addr('a', 5090));
	HL_CHECK(status_of(0) == 200);
	HL_CHECK(find_out("BYE") >= 0);
	int k = find_out("BYE");
	if (k >= 0) {
		snprintf(msg, sizeof(msg), "%s", out[k].buf);
		respond_sdp(msg, 200, addr('t', 5060), NULL);
	}
	HL_CHECK(stats().calls == 0);
	leg_final(&a, 100, 0);
	HL_CHECK_INT(ncdr, 0);
	advance(SIG_CDR_WAIT_MS - 500);
	HL_CHECK_INT(ncdr, 0);
	advance(1600);
	HL_CHECK_INT(ncdr, 1);
	const struct hl_cdr *r = &cdrs[0];
	HL_CHECK_STR(hl_store_cdr_disposition_name(r->disposition), "answered");
	HL_CHECK_INT(r->ended_by, HL_CDR_BY_AGENT);
	HL_CHECK_INT(r->flags, HL_CDR_F_FIGURES_MISSING);
	HL_CHECK_INT(r->leg[0].state, HL_CDR_LEG_FIGURES);
	HL_CHECK(r->leg[0].rx_packets == 100);
	HL_CHECK_INT(r->leg[1].state, HL_CDR_LEG_MISSING);
	HL_CHECK(r->leg[1].rx_packets == 0 && r->leg[1].local_port != 0);
	HL_CHECK(stats().ctr[HL_SIG_CTR_CDR_FIGURES_MISSING] == 1);
	HL_CHECK(stats().cdrs_pending == 0);
out:
	teardown();
}

/* How unanswered and failed calls end up in their records. */
HL_TEST(cdr_dispositions)
{
	char inv[4096], totag[64];
	struct hl_sdp ans;
	int i;

	/* Cancelled by the caller while alice rang: abandoned, 487, no agent, no media. */
	setup_cdr(NULL);
	HL_CHECK(do_register("alice", "alicepw", 5090, 0) == 200);
	send_invite("+15550100", "z9hG4bKcdr3", "cdr3@trunk");
	i = find_out("INVITE");
	HL_CHECK(i >= 0);
	if (i >= 0) {
		snprintf(inv, sizeof(inv), "%s", out[i].buf);
		agent_respond(inv, 180, 5090);
		advance(2000);
		feed("CANCEL sip:+15550100@10.99.0.1 SIP/2.0\r\n"
		     "Via: SIP/2.0/UDP 10.99.0.2:5060;branch=z9hG4bKcdr3\r\n"
		     "Max-Forwards: 70\r\nFrom: \"Customer\" <sip:+4930123@trunk.test>;tag=c1\r\n"
		     "To: <sip:+15550100@10.99.0.1>\r\nCall-ID: cdr3@trunk\r\nCSeq: 1 CANCEL\r\n"
		     "Content-Length: 0\r\n\r\n", addr('t', 5060));
		agent_respond(inv, 487, 5090);
	}
	HL_CHECK(stats().calls == 0);
	HL_CHECK_INT(ncdr, 1);
	HL_CHECK_STR(hl_store_cdr_disposition_name(cdrs[0].disposition), "abandoned");
	HL_CHECK_INT(cdrs[0].ended_by, HL_CDR_BY_CUSTOMER);
	HL_CHECK_INT(cdrs[0].sip_status, 487);
	HL_CHECK_STR(cdrs[0].agent, "");
	HL_CHECK(cdrs[0].answered_ms == 0 && cdrs[0].talk_ms == 0);
	HL_CHECK(cdrs[0].duration_ms == 2000);
	HL_CHECK_INT(cdrs[0].leg[0].state, HL_CDR_LEG_NONE);
	HL_CHECK_INT(cdrs[0].leg[1].state, HL_CDR_LEG_NONE);
	HL_CHECK_INT(cdrs[0].flags, 0);

	/* bob is not registered and alice busy: no agent, 480, after trying alice. */
	send_invite("+15550100", "z9hG4bKcdr4", "cdr4@trunk");
	i = find_out("INVITE");
	HL_CHECK(i >= 0);
	if (i >= 0) {
		snprintf(inv, sizeof(inv), "%s", out[i].buf);
		agent_respond(inv, 486, 5090);
	}
	HL_CHECK(stats().calls == 0);
	HL_CHECK_INT(ncdr, 2);
	HL_CHECK_STR(hl_store_cdr_disposition_name(cdrs[1].disposition), "no_agent");
	HL_CHECK_INT(cdrs[1].ended_by, HL_CDR_BY_HOTLINE);
	HL_CHECK_INT(cdrs[1].sip_status, 480);
	HL_CHECK_INT(cdrs[1].agents_tried, 1);
	HL_CHECK(cdrs[1].id == 2);

	/* Answered, then silence: the worker's media timeout ends it. */
	i = srtp_call("z9hG4bKcdr5", "cdr5@trunk", sdp_offer, NULL, inv, sizeof(inv), totag,
		sizeof(totag), &ans);
	const struct hl_media_leg *a = last_push(0), *b = last_push(1);
	HL_CHECK(i >= 0 && a != NULL && b != NULL);
	if (i >= 0 && a != NULL && b != NULL) {
		struct hl_media_leg la = *a, lb = *b;
		struct hl_media_event ev = {
			.call = la.call,
			.type = HL_MEDIA_EV_TIMEOUT,
			.side = 0,
			.local_port = la.local_port,
		};
		hl_sig_media_event(sig, &ev, now);
		/* both legs got BYE; both answer (feeding overwrites out[]) */
		static struct sent byes[2];
		unsigned int nb = 0;
		for (unsigned int k = 0; k < nout && nb < 2; k++)
			if (is_method(k, "BYE"))
				byes[nb++] = out[k];
		HL_CHECK_INT(nb, 2);
		for (unsigned int k = 0; k < nb; k++)
			respond_sdp(byes[k].buf, 200, byes[k].dst, NULL);
		HL_CHECK(stats().calls == 0);
		leg_final(&la, 0, 0);
		leg_final(&lb, 120, 0);
		HL_CHECK_INT(ncdr, 3);
		HL_CHECK_STR(hl_store_cdr_disposition_name(cdrs[2].disposition),
			"media_timeout");
		HL_CHECK_INT(cdrs[2].ended_by, HL_CDR_BY_HOTLINE);
		HL_CHECK_INT(cdrs[2].sip_status, 200);
		HL_CHECK_STR(cdrs[2].agent, "alice");
		HL_CHECK(cdrs[2].leg[0].rx_packets == 0 && cdrs[2].leg[1].rx_packets == 120);
	}

	/* Up when hotlined stops: written by hl_sig_free, flagged (no figures now). */
	i = srtp_call("z9hG4bKcdr6", "cdr6@trunk", sdp_offer, NULL, inv, sizeof(inv), totag,
		sizeof(totag), &ans);
	HL_CHECK(i >= 0 && stats().calls == 1);
	teardown();
	HL_CHECK_INT(ncdr, 4);
	HL_CHECK_STR(hl_store_cdr_disposition_name(cdrs[3].disposition), "shutdown");
	HL_CHECK_STR(cdrs[3].call_id, "cdr6@trunk");
	HL_CHECK_INT(cdrs[3].flags, HL_CDR_F_FIGURES_MISSING);
}

/* alice sends early media (183 with SDP), then rejects: the worker's B leg is deleted
 * then, not left for bob's leg on the same port, and the call's record has bob's
 * figures alone. */
HL_TEST(early_media_then_reject)
{
	static const char early[] = "v=0\r\no=agent 2 2 IN IP4 10.99.98.2\r\ns=-\r\n"
				    "c=IN IP4 10.99.98.2\r\nt=0 0\r\nm=audio 7000 RTP/AVP 8 101\r\n"
				    "a=rtpmap:101 telephone-event/8000\r\n";
	char inv[4096];
	int i;

	setup_cdr(NULL);
	HL_CHECK(do_register("alice", "alicepw", 5090, 0) == 200);
	advance(10);
	HL_CHECK(do_register("bob", "bobpw", 5091, 0) == 200);
	send_invite("+15550100", "z9hG4bKearly", "early@trunk");
	i = find_out("INVITE");
	HL_CHECK(i >= 0 && out[i].dst.port == 5090);
	if (i < 0)
		goto out;
	snprintf(inv, sizeof(inv), "%s", out[i].buf);
	respond_sdp(inv, 183, addr('a', 5090), early);
	HL_CHECK(find_out("183") >= 0);
	HL_CHECK(last_push(1) != NULL);
	HL_CHECK_INT(ndel, 0);
	agent_respond(inv, 486, 5090);
	HL_CHECK_INT(ndel, 1); /* alice's B leg, while the call rings bob */
	i = find_out("INVITE");
	HL_CHECK(i >= 0 && out[i].dst.port == 5091);
	HL_CHECK(stats().calls == 1);
	if (i < 0)
		goto out;
	/* its figures come back: not the call's (its record is not written yet) */
	leg_final(last_push(1), 50, 0);
	HL_CHECK_INT(ncdr, 0);
	snprintf(inv, sizeof(inv), "%s", out[i].buf);
	agent_respond(inv, 486, 5091);
	HL_CHECK(stats().calls == 0);
	HL_CHECK_INT(ndel, 2); /* and the customer's at the end; bob's never got media */
	HL_CHECK(stats().media_legs == 0);
out:
	teardown();
}

/* With a store: the record lands there, under the id the owner is told, and records
 * still waiting when signalling is freed are written too. */
HL_TEST(cdr_to_store)
{
	char dir[] = "/tmp/hl_sigcdr_XXXXXX", inv[4096], totag[64], msg[1024];
	struct hl_sdp ans;
	struct hl_store *st;
	struct hl_cdr got;
	uint64_t n;

	HL_CHECK(mkdtemp(dir) != NULL);
	st = hl_store_open(dir, 16);
	HL_CHECK(st != NULL);
	if (st == NULL)
		return;
	setup_cdr(st);
	int i = srtp_call("z9hG4bKcdr7", "cdr7@trunk", sdp_offer, NULL, inv, sizeof(inv), totag,
		sizeof(totag), &ans);
	const struct hl_media_leg *a = last_push(0), *b = last_push(1);
	HL_CHECK(i >= 0 && a != NULL && b != NULL);
	if (i < 0 || a == NULL || b == NULL) {
		teardown();
		hl_store_close(st);
		return;
	}
	struct hl_media_leg la = *a, lb = *b;
	customer_req(msg, sizeof(msg), "BYE", "z9hG4bKcdr7b", "cdr7@trunk", totag, 2);
	feed(msg, addr('t', 5060));
	agent_answers_bye();
	leg_final(&la, 77, 2);
	leg_final(&lb, 66, 0);
	HL_CHECK_INT(ncdr, 1);
	HL_CHECK_INT(cdr_rc[0], 1);
	HL_CHECK(cdrs[0].id == 1);
	HL_CHECK_INT(hl_store_cdr_get(st, 1, &got), 0);
	HL_CHECK_STR(got.call_id, "cdr7@trunk");
	HL_CHECK(got.leg[0].rx_packets == 77 && got.leg[0].dtmf == 2 && got.leg[1].rx_packets == 66);
	HL_CHECK_INT(got.disposition, HL_CDR_ANSWERED);
	HL_CHECK(got.talk_ms == cdrs[0].talk_ms && got.created_ms == cdrs[0].created_ms);
	/* A second call, ended but its figures not in when signalling goes. */
	i = srtp_call("z9hG4bKcdr8", "cdr8@trunk", sdp_offer, NULL, inv, sizeof(inv), totag,
		sizeof(totag), &ans);
	customer_req(msg, sizeof(msg), "BYE", "z9hG4bKcdr8b", "cdr8@trunk", totag, 2);
	feed(msg, addr('t', 5060));
	agent_answers_bye();
	HL_CHECK(stats().cdrs_pending == 1);
	HL_CHECK(stats().ctr[HL_SIG_CTR_CDR_WRITTEN] == 1);
	teardown();
	HL_CHECK_INT(ncdr, 2);
	HL_CHECK_INT(hl_store_cdr_count(st, &n), 0);
	HL_CHECK(n == 2);
	HL_CHECK_INT(hl_store_cdr_get(st, 2, &got), 0);
	HL_CHECK_STR(got.call_id, "cdr8@trunk");
	HL_CHECK_INT(got.flags, HL_CDR_F_FIGURES_MISSING);
	/* Retention on signalling's tick: cdr_max 1 keeps the newest. */
	setup_cdr(st);
	cfg.sip_cdr_max = 1;
	advance(1100);
	HL_CHECK_INT(hl_store_cdr_count(st, &n), 0);
	HL_CHECK(n == 1);
	HL_CHECK_INT(hl_store_cdr_get(st, 2, &got), 0);
	HL_CHECK(stats().ctr[HL_SIG_CTR_CDR_PRUNED] == 1);
	teardown();
	hl_store_close(st);
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	HL_CHECK(system(cmd) == 0);
}

/* ---- records of refused INVITEs ---- */

/* acme takes one call at a time, slow one call a second; open has no limit. */
static const char refuse_tenants[] = "[tenant acme]\n"
				     "realm = acme.test\n"
				     "domains = acme.test\n"
				     "dids = +15550100\n"
				     "trunks = 10.99.0.0/24\n"
				     "max_calls = 1\n"
				     "[agent alice@acme]\n"
				     "password = alicepw\n"
				     "[tenant slow]\n"
				     "dids = +15550200\n"
				     "trunks = 10.99.0.0/24\n"
				     "max_cps = 1\n"
				     "[tenant open]\n"
				     "dids = +15550300\n"
				     "trunks = 10.99.0.0/24\n";

/* An INVITE as send_invite_sdp() builds it, from src, into msg (sent when send). */
static void
invite_from(char *msg, size_t cap, const char *did, const char *branch, const char *callid,
	const char *hdrs, const char *sdp, struct hl_sig_addr src)
{
	snprintf(msg, cap,
		"INVITE sip:%s@10.99.0.1 SIP/2.0\r\n"
		"Via: SIP/2.0/UDP 10.99.0.2:5060;branch=%s\r\n"
		"%sFrom: \"Customer\" <sip:+4930123@trunk.test>;tag=c1\r\n"
		"To: <sip:%s@10.99.0.1>\r\nCall-ID: %s\r\nCSeq: 1 INVITE\r\n"
		"Contact: <sip:trunk@10.99.0.2:5060>\r\nContent-Type: application/sdp\r\n"
		"Content-Length: %zu\r\n\r\n%s",
		did, branch, hdrs, did, callid, strlen(sdp), sdp);
	feed(msg, src);
}

static const struct hl_cdr *
cdr_of(const char *callid)
{
	for (unsigned int i = 0; i < ncdr && i < HL_ARRAY_SIZE(cdrs); i++)
		if (strcmp(cdrs[i].call_id, callid) == 0)
			return &cdrs[i];
	return NULL;
}

/* The record of a call whose first agent left before the customer's 2xx: answered by
 * the second (two) or, with nobody left, no_agent with 480. */
static void
check_agent_left_record(const char *callid, bool two)
{
	const struct hl_cdr *r = cdr_of(callid);

	HL_CHECK_MSG(r != NULL, "no record of %s", callid);
	if (r == NULL)
		return;
	HL_CHECK_STR(hl_store_cdr_disposition_name(r->disposition), two ? "answered" : "no_agent");
	HL_CHECK_INT(r->sip_status, two ? 200 : 480);
	HL_CHECK_INT(r->agents_tried, two ? 2 : 1);
}

/* One refused attempt's record: what the INVITE said, the status we sent, and why. */
static void
check_refused(const char *callid, const char *did, const char *tenant, unsigned int status,
	const char *disposition, uint8_t src3)
{
	const struct hl_cdr *r = cdr_of(callid);

	HL_CHECK_MSG(r != NULL, "no record of %s", callid);
	if (r == NULL)
		return;
	HL_CHECK_STR(hl_store_cdr_disposition_name(r->disposition), disposition);
	HL_CHECK_INT(r->sip_status, status);
	HL_CHECK_INT(r->flags, HL_CDR_F_REFUSED);
	HL_CHECK_INT(r->ended_by, HL_CDR_BY_HOTLINE);
	HL_CHECK_STR(r->called, did);
	HL_CHECK_STR(r->tenant, tenant);
	HL_CHECK(tenant[0] != '\0' ? r->tenant_id != 0 : r->tenant_id == 0);
	HL_CHECK_STR(r->caller_user, "+4930123");
	HL_CHECK_STR(r->caller_display, "Customer");
	HL_CHECK_STR(r->agent, "");
	HL_CHECK(r->created_ms >= 1700000000000ull && r->created_ms == r->ended_ms);
	HL_CHECK(r->answered_ms == 0 && r->duration_ms == 0 && r->talk_ms == 0);
	HL_CHECK_INT(r->agents_tried, 0);
	HL_CHECK_INT(r->leg[0].state, HL_CDR_LEG_NONE);
	HL_CHECK_INT(r->leg[1].state, HL_CDR_LEG_NONE);
	HL_CHECK_INT(r->src_family, AF_INET);
	HL_CHECK(r->src_addr[0] == 10 && r->src_addr[1] == 99 && r->src_addr[2] == src3 &&
		r->src_addr[3] == 2);
	HL_CHECK_INT(r->src_port, 5060);
}

/* Each way an initial INVITE is refused before a call exists leaves one record, at the
 * next tick; its retransmissions, answered by the transaction, leave none. */
HL_TEST(cdr_refused_reasons)
{
	char msg[4096];
	struct hl_sig_addr stranger = addr('t', 5060);
	uint64_t absorbed;

	stranger.ip[2] = 77;
	setup_cdr_with(NULL, refuse_tenants, 200);
	HL_CHECK(do_register("alice", "alicepw", 5090, 0) == 200);
	/* 404: no tenant has the DID; then the same INVITE again, twice */
	invite_from(msg, sizeof(msg), "+19999", "z9hG4bKrf1", "rf1@trunk", "", sdp_offer,
		addr('t', 5060));
	HL_CHECK(find_out("404") >= 0);
	absorbed = stats().ctr[HL_SIG_CTR_RETRANS_ABSORBED];
	feed(msg, addr('t', 5060));
	HL_CHECK(find_out("404") >= 0);
	feed(msg, addr('t', 5060));
	HL_CHECK(stats().ctr[HL_SIG_CTR_RETRANS_ABSORBED] == absorbed + 2);
	HL_CHECK(stats().ctr[HL_SIG_CTR_CDR_ATTEMPTS] == 1);
	/* 403: acme's DID from a source that is not one of its trunks */
	invite_from(msg, sizeof(msg), "+15550100", "z9hG4bKrf2", "rf2@trunk", "", sdp_offer,
		stranger);
	HL_CHECK(find_out("403") >= 0);
	/* 486: acme's one line rings alice */
	send_invite("+15550100", "z9hG4bKrf3", "rf3@trunk");
	HL_CHECK(find_out("INVITE") >= 0 && stats().calls == 1);
	send_invite("+15550100", "z9hG4bKrf4", "rf4@trunk");
	HL_CHECK(find_out("486") >= 0);
	/* 503: slow's one call this second was the first (480: nobody to take it) */
	send_invite("+15550200", "z9hG4bKrf5", "rf5@trunk");
	HL_CHECK(find_out("480") >= 0);
	send_invite("+15550200", "z9hG4bKrf6", "rf6@trunk");
	HL_CHECK(find_out("503") >= 0 && strstr(out[find_out("503")].buf, "Retry-After") != NULL);
	/* rejected: 420 (a Require we lack), 422 (below Min-SE), 488 (not SDP), 483 (hops) */
	send_invite_hdrs("+15550300", "z9hG4bKrf7", "rf7@trunk", "Require: frobnicate\r\n");
	HL_CHECK(find_out("420") >= 0);
	send_invite_hdrs("+15550300", "z9hG4bKrf8", "rf8@trunk", "Session-Expires: 30\r\n");
	HL_CHECK(find_out("422") >= 0);
	send_invite_sdp("+15550300", "z9hG4bKrf9", "rf9@trunk", "", "this is not SDP\r\n");
	HL_CHECK(find_out("488") >= 0);
	send_invite_hdrs("+15550300", "z9hG4bKrfa", "rfa@trunk", "Max-Forwards: 0\r\n");
	HL_CHECK(find_out("483") >= 0);
	/* A stateless 400 (a To that does not parse) has no transaction to tell a
	 * retransmission by: counted, not recorded. */
	feed("INVITE sip:+15550300@10.99.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 10.99.0.2:5060;"
	     "branch=z9hG4bKrfb\r\nFrom: <sip:+4930123@trunk.test>;tag=c1\r\n"
	     "To: <sip:+15550300@10.99.0.1\r\nCall-ID: rfb@trunk\r\nCSeq: 1 INVITE\r\n"
	     "Content-Length: 0\r\n\r\n",
		addr('t', 5060));
	HL_CHECK_MSG(find_out("400") >= 0, "%u out, first: %.40s", nout, nout ? out[0].buf : "");
	HL_CHECK(stats().ctr[HL_SIG_CTR_CDR_ATTEMPTS] == 8);

	/* The call to slow (480) has its record at once, with its source; the refused
	 * ones wait for the tick, which writes them together. */
	HL_CHECK_INT(ncdr, 1);
	HL_CHECK_STR(cdrs[0].call_id, "rf5@trunk");
	HL_CHECK_STR(hl_store_cdr_disposition_name(cdrs[0].disposition), "no_agent");
	HL_CHECK_INT(cdrs[0].flags, 0);
	HL_CHECK(cdrs[0].src_family == AF_INET && cdrs[0].src_addr[2] == 0 &&
		cdrs[0].src_port == 5060);
	advance(1000);
	HL_CHECK_INT(ncdr, 9);
	check_refused("rf1@trunk", "+19999", "", 404, "no_route", 0);
	check_refused("rf2@trunk", "+15550100", "acme", 403, "forbidden", 77);
	check_refused("rf4@trunk", "+15550100", "acme", 486, "tenant_busy", 0);
	check_refused("rf6@trunk", "+15550200", "slow", 503, "over_limit", 0);
	check_refused("rf7@trunk", "+15550300", "", 420, "rejected", 0);
	check_refused("rf8@trunk", "+15550300", "open", 422, "rejected", 0);
	check_refused("rf9@trunk", "+15550300", "open", 488, "rejected", 0);
	check_refused("rfa@trunk", "+15550300", "", 483, "rejected", 0);
	HL_CHECK(cdr_of("rf3@trunk") == NULL); /* still ringing */
	/* ids in the order written: the call's first, then the attempts in arrival order */
	for (unsigned int i = 1; i < 9; i++)
		HL_CHECK(cdrs[i].id == cdrs[i - 1].id + 1);
	HL_CHECK_STR(cdrs[1].call_id, "rf1@trunk");
	HL_CHECK_INT(cdr_rc[1], 0);
	/* A retransmission after the tick: the transaction still answers it (Timer H). */
	invite_from(msg, sizeof(msg), "+19999", "z9hG4bKrf1", "rf1@trunk", "", sdp_offer,
		addr('t', 5060));
	HL_CHECK(find_out("404") >= 0);
	advance(1000);
	HL_CHECK_INT(ncdr, 9);
	HL_CHECK(stats().ctr[HL_SIG_CTR_CDR_ATTEMPTS] == 8);
	HL_CHECK(stats().ctr[HL_SIG_CTR_CDR_ATTEMPTS_DROPPED] == 0);
	HL_CHECK(stats().ctr[HL_SIG_CTR_CDR_FIGURES_MISSING] == 0);
	teardown();
}

/* A flood of refusals: at most cdr_refused_per_s records a tick, the rest counted; with
 * a store, a tick's records are one batch, and a stop writes those still waiting. */
HL_TEST(cdr_refused_cap)
{
	char dir[] = "/tmp/hl_sigref_XXXXXX", branch[32], callid[32];
	struct hl_store *st;
	struct hl_cdr got;
	uint64_t n;

	HL_CHECK(mkdtemp(dir) != NULL);
	st = hl_store_open(dir, 16);
	HL_CHECK(st != NULL);
	if (st == NULL)
		return;
	setup_cdr_with(st, NULL, 3);
	for (unsigned int i = 0; i < 5; i++) {
		snprintf(branch, sizeof(branch), "z9hG4bKcap%u", i);
		snprintf(callid, sizeof(callid), "cap%u@trunk", i);
		send_invite("+19999", branch, callid);
		HL_CHECK(find_out("404") >= 0);
	}
	HL_CHECK(stats().ctr[HL_SIG_CTR_CDR_ATTEMPTS] == 3);
	HL_CHECK(stats().ctr[HL_SIG_CTR_CDR_ATTEMPTS_DROPPED] == 2);
	HL_CHECK(stats().ctr[HL_SIG_CTR_CALLS_NOT_FOUND] == 5);
	HL_CHECK_INT(ncdr, 0);
	advance(1000);
	HL_CHECK_INT(ncdr, 3);
	HL_CHECK(stats().ctr[HL_SIG_CTR_CDR_WRITTEN] == 3);
	HL_CHECK_INT(cdr_rc[0], 1);
	HL_CHECK(cdrs[0].id == 1 && cdrs[2].id == 3);
	HL_CHECK_INT(hl_store_cdr_get(st, 3, &got), 0);
	HL_CHECK_STR(got.call_id, "cap2@trunk");
	HL_CHECK_STR(hl_store_cdr_disposition_name(got.disposition), "no_route");
	HL_CHECK_INT(got.sip_status, 404);
	HL_CHECK_INT(got.flags, HL_CDR_F_REFUSED);
	HL_CHECK(got.src_family == AF_INET && got.src_port == 5060);
	/* The next second has room again; what waits at the stop is written then. */
	send_invite("+19999", "z9hG4bKcap5", "cap5@trunk");
	HL_CHECK(stats().ctr[HL_SIG_CTR_CDR_ATTEMPTS] == 4);
	teardown();
	HL_CHECK_INT(ncdr, 4);
	HL_CHECK_INT(hl_store_cdr_count(st, &n), 0);
	HL_CHECK(n == 4);
	HL_CHECK_INT(hl_store_cdr_get(st, 4, &got), 0);
	HL_CHECK_STR(got.call_id, "cap5@trunk");
	/* cdr_refused_per_s = 0: none recorded, none counted as dropped. */
	setup_cdr_with(st, NULL, 0);
	send_invite("+19999", "z9hG4bKcap6", "cap6@trunk");
	HL_CHECK(find_out("404") >= 0);
	advance(1000);
	HL_CHECK_INT(ncdr, 0);
	HL_CHECK(stats().ctr[HL_SIG_CTR_CDR_ATTEMPTS] == 0);
	HL_CHECK(stats().ctr[HL_SIG_CTR_CDR_ATTEMPTS_DROPPED] == 0);
	teardown();
	HL_CHECK_INT(hl_store_cdr_count(st, &n), 0);
	HL_CHECK(n == 4);
	hl_store_close(st);
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	HL_CHECK(system(cmd) == 0);
}

/* ---- RFC 3262: reliable 18x to a customer that takes them, PRACK to an agent ---- */

static const char agent_sdp[] = "v=0\r\no=agent 2 2 IN IP4 10.99.98.2\r\ns=-\r\n"
				"c=IN IP4 10.99.98.2\r\nt=0 0\r\nm=audio 7000 RTP/AVP 8 101\r\n"
				"a=rtpmap:101 telephone-event/8000\r\n";

/* A customer's INVITE with header lines hdrs and SDP sdp (NULL: a late offer). */
static void
rel_invite(const char *branch, const char *callid, const char *hdrs, const char *sdp)
{
	char msg[4096];

	if (sdp != NULL) {
		send_invite_sdp("+15550100", branch, callid, hdrs, sdp);
		return;
	}
	snprintf(msg, sizeof(msg),
		"INVITE sip:+15550100@10.99.0.1 SIP/2.0\r\n"
		"Via: SIP/2.0/UDP 10.99.0.2:5060;branch=%s\r\nMax-Forwards: 70\r\n%s"
		"From: \"Customer\" <sip:+4930123@trunk.test>;tag=c1\r\n"
		"To: <sip:+15550100@10.99.0.1>\r\nCall-ID: %s\r\nCSeq: 1 INVITE\r\n"
		"Contact: <sip:trunk@10.99.0.2:5060>\r\nContent-Length: 0\r\n\r\n",
		branch, hdrs, callid);
	feed(msg, addr('t', 5060));
}

/* The customer's PRACK in the A dialog: RAck rseq 1 INVITE, CSeq cseq, SDP sdp. */
static void
customer_prack(char *msg, size_t cap, const char *branch, const char *callid, const char *totag,
	unsigned int cseq, uint32_t rseq, const char *sdp)
{
	snprintf(msg, cap,
		"PRACK sip:hotline@10.99.0.1:5060 SIP/2.0\r\nVia: SIP/2.0/UDP 10.99.0.2:5060;"
		"branch=%s\r\nMax-Forwards: 70\r\nFrom: \"Customer\" <sip:+4930123@trunk.test>;"
		"tag=c1\r\nTo: <sip:+15550100@10.99.0.1>;tag=%s\r\nCall-ID: %s\r\n"
		"CSeq: %u PRACK\r\nRAck: %u 1 INVITE\r\n%sContent-Length: %zu\r\n\r\n%s",
		branch, totag, callid, cseq, rseq, sdp ? "Content-Type: application/sdp\r\n" : "",
		sdp ? strlen(sdp) : (size_t)0, sdp ? sdp : "");
}

/* Output i is a reliable provisional: Require: 100rel, a Contact, its RSeq into *rseq,
 * our To tag into totag. */
static int
rel_1xx(unsigned int i, uint32_t *rseq, char *totag, size_t tagcap)
{
	char v[512];

	if (hdr(i, HL_SIP_HDR_REQUIRE, v, sizeof(v)) != 0 || strcmp(v, "100rel") != 0)
		return -1;
	if (hdr(i, HL_SIP_HDR_CONTACT, v, sizeof(v)) != 0)
		return -1;
	if (hdr(i, HL_SIP_HDR_RSEQ, v, sizeof(v)) != 0)
		return -1;
	*rseq = (uint32_t)strtoul(v, NULL, 10);
	if (hdr(i, HL_SIP_HDR_TO, v, sizeof(v)) != 0 || param(v, ";tag=", totag, tagcap) != 0)
		return -1;
	return 0;
}

/* The body of output i, "" when none. */
static const char *
body_of(unsigned int i)
{
	struct hl_sip_msg m;

	if (parse_out(i, &m) < 0 || m.body.len == 0)
		return "";
	return out[i].buf + m.body.off;
}

/*
 * Early offer, Supported: 100rel. The agent's 183 goes reliably (Require, RSeq in
 * range, Contact, our answer); it is resent at T1, 2*T1, ... until the PRACK, which
 * gets 200 (a retransmitted one from its transaction, another for the same RSeq 481).
 * A later 180 is the next RSeq, without SDP; the 2xx does not wait for its PRACK and
 * repeats the 183's SDP; the PRACK of the 180 after it still gets 200.
 */
HL_TEST(rel_early_offer)
{
	char inv[4096], msg[2048], totag[64], sdp183[2048], tag2[64];
	uint32_t rseq = 0, rseq2 = 0;
	int i;

	setup_ops(1);
	HL_CHECK(do_register("alice", "alicepw", 5090, 0) == 200);
	rel_invite("z9hG4bKre1", "re1@trunk", "Supported: 100rel\r\n", sdp_offer);
	HL_CHECK(status_of(0) == 100);
	i = find_out("INVITE");
	HL_CHECK(i >= 0);
	if (i < 0)
		goto out;
	snprintf(inv, sizeof(inv), "%s", out[i].buf);
	/* agents are offered 100rel too */
	HL_CHECK(strstr(inv, "Supported: 100rel, timer\r\n") != NULL);
	HL_CHECK(strstr(inv, "PRACK") != NULL);
	respond_sdp(inv, 183, addr('a', 5090), agent_sdp);
	i = find_out("183");
	HL_CHECK(i >= 0);
	if (i < 0 || rel_1xx((unsigned int)i, &rseq, totag, sizeof(totag)) != 0) {
		HL_CHECK_MSG(0, "the 183 is not reliable");
		goto out;
	}
	HL_CHECK(rseq >= 1 && rseq <= 0x7fffffffu);
	HL_CHECK(strstr(out[i].buf, "Supported: 100rel, timer\r\n") != NULL);
	snprintf(sdp183, sizeof(sdp183), "%s", body_of((unsigned int)i));
	HL_CHECK(strstr(sdp183, "c=IN IP4 10.99.0.1\r\n") != NULL);
	HL_CHECK(strstr(sdp183, "RTP/AVP 8 101") != NULL);
	/* early media at once, as without 100rel: our answer is ours to give */
	HL_CHECK_INT(pushes(0), 1);
	HL_CHECK_INT(pushes(1), 1);
	HL_CHECK(stats().ctr[HL_SIG_CTR_REL1XX_SENT] == 1);
	/* resent at T1 and 3*T1 (T1, then doubling) */
	nout = 0;
	advance(490);
	HL_CHECK(find_out("183") < 0);
	advance(20);
	HL_CHECK(find_out("183") >= 0);
	HL_CHECK(stats().ctr[HL_SIG_CTR_REL1XX_RETRANS] == 1);
	advance(1000);
	HL_CHECK(stats().ctr[HL_SIG_CTR_REL1XX_RETRANS] == 2);
	/* a PRACK naming another RSeq matches nothing */
	customer_prack(msg, sizeof(msg), "z9hG4bKre1p0", "re1@trunk", totag, 2, rseq + 5, NULL);
	feed(msg, addr('t', 5060));
	HL_CHECK_INT(status_of(0), 481);
	HL_CHECK(stats().ctr[HL_SIG_CTR_PRACK_UNMATCHED] == 1);
	customer_prack(msg, sizeof(msg), "z9hG4bKre1p1", "re1@trunk", totag, 3, rseq, NULL);
	feed(msg, addr('t', 5060));
	HL_CHECK_INT(status_of(0), 200);
	HL_CHECK_INT(nout, 1);
	HL_CHECK(stats().ctr[HL_SIG_CTR_PRACK_IN] == 2);
	/* its retransmission is answered by its transaction */
	feed(msg, addr('t', 5060));
	HL_CHECK_INT(status_of(0), 200);
	HL_CHECK(stats().ctr[HL_SIG_CTR_PRACK_IN] == 2);
	/* no more 183 (up to the no-answer timer, 5 s) */
	nout = 0;
	advance(3000);
	HL_CHECK(find_out("183") < 0);
	HL_CHECK(stats().ctr[HL_SIG_CTR_REL1XX_RETRANS] == 2);
	/* the same RSeq again, in a new transaction: acknowledged already, 481 */
	customer_prack(msg, sizeof(msg), "z9hG4bKre1p2", "re1@trunk", totag, 4, rseq, NULL);
	feed(msg, addr('t', 5060));
	HL_CHECK_INT(status_of(0), 481);
	/* a 180 now: the next RSeq, no SDP (the answer went) */
	agent_respond(inv, 180, 5090);
	i = find_out("180");
	HL_CHECK(i >= 0 && rel_1xx((unsigned int)i, &rseq2, tag2, sizeof(tag2)) == 0);
	HL_CHECK_INT(rseq2, rseq + 1);
	HL_CHECK(i >= 0 && body_of((unsigned int)i)[0] == '\0');
	/* the agent answers: the 2xx need not wait for the PRACK of a 1xx without SDP */
	respond_sdp(inv, 200, addr('a', 5090), agent_sdp);
	i = find_out("200");
	HL_CHECK(i >= 0);
	if (i < 0)
		goto out;
	HL_CHECK_STR(body_of((unsigned int)i), sdp183);
	HL_CHECK(stats().ctr[HL_SIG_CTR_CALLS_ANSWERED] == 1);
	/* not resent once the final went (§3); its PRACK still matches */
	nout = 0;
	advance(600);
	HL_CHECK(find_out("180") < 0);
	customer_prack(msg, sizeof(msg), "z9hG4bKre1p3", "re1@trunk", totag, 5, rseq2, NULL);
	feed(msg, addr('t', 5060));
	HL_CHECK_INT(status_of(0), 200);
	customer_req(msg, sizeof(msg), "ACK", "z9hG4bKre1a", "re1@trunk", totag, 1);
	feed(msg, addr('t', 5060));
	HL_CHECK_INT(nout, 0);
	customer_req(msg, sizeof(msg), "BYE", "z9hG4bKre1b", "re1@trunk", totag, 6);
	feed(msg, addr('t', 5060));
	HL_CHECK(status_of(0) == 200);
	agent_answers_bye();
	HL_CHECK(stats().calls == 0);
	advance(40000);
	HL_CHECK(stats().transactions == 0 && stats().dialogs == 0);
	HL_CHECK(stats().ctr[HL_SIG_CTR_MEDIA_FAIL] == 0);
out:
	teardown();
}

/*
 * No PRACK: the 183 goes at 0 and again at 1, 3, 7, 15, 31 and 63 T1 (doubling, not
 * capped at T2), and at 64*T1 the INVITE gets 500. The agent answered meanwhile (our 2xx
 * waited for the PRACK of the 183 with SDP), so it gets a BYE; the record says no_prack.
 */
HL_TEST(rel_timeout)
{
	char inv[4096], cancel[4096];
	uint64_t start, at[8];
	unsigned int n = 0;
	int i, final = -1;

	setup_cdr(NULL);
	cfg.sip_no_answer_s = 60;
	HL_CHECK(do_register("alice", "alicepw", 5090, 0) == 200);
	rel_invite("z9hG4bKrt1", "rt1@trunk", "Require: 100rel\r\n", sdp_offer);
	HL_CHECK(find_out("420") < 0);
	i = find_out("INVITE");
	HL_CHECK(i >= 0);
	if (i < 0)
		goto out;
	snprintf(inv, sizeof(inv), "%s", out[i].buf);
	respond_sdp(inv, 183, addr('a', 5090), agent_sdp);
	HL_CHECK(find_out("183") >= 0);
	start = now;
	respond_sdp(inv, 200, addr('a', 5090), agent_sdp);
	HL_CHECK(find_out("ACK") >= 0 && find_out("200") < 0);
	cancel[0] = '\0';
	while (now - start < 64 * 500 + 100 && final < 0) {
		nout = 0;
		advance(10);
		if (find_out("183") >= 0 && n < HL_ARRAY_SIZE(at))
			at[n++] = now - start;
		if (find_out("500") >= 0) {
			final = (int)(now - start);
			i = find_out("BYE");
			HL_CHECK(i >= 0 && out[i].dst.port == 5090);
			if (i >= 0)
				snprintf(cancel, sizeof(cancel), "%s", out[i].buf);
		}
	}
	static const uint64_t want[] = {500, 1500, 3500, 7500, 15500, 31500};
	HL_CHECK_INT(n, HL_ARRAY_SIZE(want));
	for (unsigned int k = 0; k < n && k < HL_ARRAY_SIZE(want); k++)
		HL_CHECK_MSG(at[k] == want[k], "retransmission %u at %llu ms", k,
			(unsigned long long)at[k]);
	HL_CHECK_INT(final, 32000);
	HL_CHECK(stats().ctr[HL_SIG_CTR_REL1XX_RETRANS] == 6);
	HL_CHECK(stats().ctr[HL_SIG_CTR_REL1XX_TIMEOUT] == 1);
	HL_CHECK(stats().ctr[HL_SIG_CTR_CALLS_ANSWERED] == 0);
	if (cancel[0])
		respond_sdp(cancel, 200, addr('a', 5090), NULL);
	HL_CHECK(stats().calls == 0);
	advance(4000);
	{
		const struct hl_cdr *r = cdr_of("rt1@trunk");
		HL_CHECK(r != NULL);
		if (r != NULL) {
			HL_CHECK_STR(hl_store_cdr_disposition_name(r->disposition), "no_prack");
			HL_CHECK_INT(r->sip_status, 500);
		}
	}
	advance(40000);
	HL_CHECK(stats().transactions == 0 && stats().dialogs == 0);
out:
	teardown();
}

/*
 * RFC 3262 §3 at any polling pace: the reliable 183 is resent at 1, 3, 7, 15, 31 and
 * 63 T1 after it first went, nothing at or after 64*T1, where the INVITE gets 500. The
 * control loop polls every turn, but a stalled one (or a wheel catching up) runs the
 * timers late: a copy due before the deadline must not go out with, or after, the 500.
 */
HL_TEST(rel_retransmit_deadline)
{
	static const uint64_t steps[] = {1, 10, 700, 3000, 33000};
	static const uint64_t want[] = {500, 1500, 3500, 7500, 15500, 31500};

	for (unsigned int k = 0; k < HL_ARRAY_SIZE(steps); k++) {
		char inv[4096];
		uint64_t start, deadline, final = 0, last = 0, at[16];
		unsigned int n = 0;
		int i;

		setup_ops(1);
		cfg.sip_no_answer_s = 60;
		HL_CHECK(do_register("alice", "alicepw", 5090, 0) == 200);
		/* not on a slot boundary of the step */
		now += 3;
		rel_invite("z9hG4bKrd1", "rd1@trunk", "Supported: 100rel\r\n", sdp_offer);
		i = find_out("INVITE");
		HL_CHECK(i >= 0);
		if (i < 0) {
			teardown();
			continue;
		}
		snprintf(inv, sizeof(inv), "%s", out[i].buf);
		respond_sdp(inv, 183, addr('a', 5090), agent_sdp);
		HL_CHECK(find_out("183") >= 0);
		start = now;
		deadline = start + 64 * 500;
		while (final == 0 && now < deadline + 40000) {
			now += steps[k];
			nout = 0;
			hl_sig_poll(sig, now);
			for (unsigned int j = 0; j < nout; j++) {
				if (status_of(j) == 183) {
					if (n < HL_ARRAY_SIZE(at))
						at[n++] = now - start;
					last = now;
				}
				if (status_of(j) == 500)
					final = now;
			}
		}
		HL_CHECK_MSG(final >= deadline && final < deadline + steps[k],
			"step %llu: 500 at %llu ms", (unsigned long long)steps[k],
			(unsigned long long)(final - start));
		HL_CHECK_MSG(last < deadline && last != final,
			"step %llu: a 183 at %llu ms, the 500 at %llu ms",
			(unsigned long long)steps[k], (unsigned long long)(last - start),
			(unsigned long long)(final - start));
		if (steps[k] == 1) {
			HL_CHECK_INT(n, HL_ARRAY_SIZE(want));
			for (unsigned int j = 0; j < n && j < HL_ARRAY_SIZE(want); j++)
				HL_CHECK_MSG(at[j] == want[j], "retransmission %u at %llu ms", j,
					(unsigned long long)at[j]);
		}
		HL_CHECK(stats().ctr[HL_SIG_CTR_REL1XX_TIMEOUT] == 1);
		HL_CHECK(stats().ctr[HL_SIG_CTR_REL1XX_RETRANS] == n);
		teardown();
	}
}

/*
 * Late offer with 100rel: the reliable 183 carries our offer (as the 200 would without
 * 100rel), the PRACK the answer, checked as an ACK's is: both legs go to the worker at
 * the PRACK, so early media flows before the 200. Twice: the agent's 200 after the
 * PRACK, then before it (the 2xx waits for the PRACK, §3). Either way the 200 repeats
 * the 183's SDP and the ACK brings nothing.
 */
HL_TEST(rel_late_offer)
{
	for (int order = 0; order < 2; order++) {
		char inv[4096], msg[4096], totag[64], sdp183[2048], ans[1024];
		struct hl_sdp offer;
		uint32_t rseq = 0;
		int i, j;

		setup_ops(1);
		HL_CHECK(do_register("alice", "alicepw", 5090, 0) == 200);
		rel_invite("z9hG4bKrl1", "rl1@trunk", "Supported: timer, 100rel\r\n", NULL);
		i = find_out("INVITE");
		HL_CHECK(i >= 0);
		if (i < 0) {
			teardown();
			continue;
		}
		snprintf(inv, sizeof(inv), "%s", out[i].buf);
		respond_sdp(inv, 183, addr('a', 5090), agent_sdp);
		i = find_out("183");
		HL_CHECK(i >= 0 && rel_1xx((unsigned int)i, &rseq, totag, sizeof(totag)) == 0);
		if (i < 0) {
			teardown();
			continue;
		}
		/* our offer: the trunk side's address, the A leg's port, the agent's codec */
		snprintf(sdp183, sizeof(sdp183), "%s", body_of((unsigned int)i));
		HL_CHECK(sdp_of((unsigned int)i, &offer) == 0 && offer.nmedia == 1);
		HL_CHECK(strstr(sdp183, "c=IN IP4 10.99.0.1\r\n") != NULL);
		HL_CHECK_INT(offer.media[0].fmt[0].pt, 8);
		HL_CHECK_INT(npushed, 0); /* nothing before the answer */
		if (order == 1) {
			/* the agent answers before the PRACK: its 2xx is ACKed, ours waits */
			respond_sdp(inv, 200, addr('a', 5090), agent_sdp);
			HL_CHECK(find_out("ACK") >= 0);
			HL_CHECK(find_out("200") < 0);
			HL_CHECK_INT(npushed, 0);
			/* and the 183 is still resent */
			nout = 0;
			advance(500);
			HL_CHECK(find_out("183") >= 0 && find_out("200") < 0);
		}
		late_answer(ans, sizeof(ans), 6002, "RTP/AVP", "8 101", "");
		customer_prack(msg, sizeof(msg), "z9hG4bKrl1p", "rl1@trunk", totag, 2, rseq, ans);
		feed(msg, addr('t', 5060));
		HL_CHECK_INT(status_of(0), 200);
		HL_CHECK_INT(pushes(0), 1);
		HL_CHECK_INT(pushes(1), 1);
		{
			const struct hl_media_leg *a = last_push(0), *b = last_push(1);
			HL_CHECK(a != NULL && a->remote_port == 6002 && a->codec_pt == 8 &&
				 ip4_is(a->remote_ip, "10.99.0.2"));
			HL_CHECK(b != NULL && b->remote_port == 7000 && a != NULL &&
				 a->peer_port == b->local_port);
		}
		if (order == 0) {
			HL_CHECK(find_out("200") == 0 && nout == 1);
			respond_sdp(inv, 200, addr('a', 5090), agent_sdp);
		}
		/* the 200, after the legs went */
		j = -1;
		for (unsigned int k = 0; k < nout; k++)
			if (status_of(k) == 200 && strstr(out[k].buf, "CSeq: 1 INVITE") != NULL)
				j = (int)k;
		HL_CHECK_MSG(j >= 0, "order %d: no 200 to the INVITE", order);
		if (j < 0) {
			teardown();
			continue;
		}
		if (order == 1)
			HL_CHECK(pushed_nout[0] <= (unsigned int)j &&
				 pushed_nout[1] <= (unsigned int)j);
		HL_CHECK_STR(body_of((unsigned int)j), sdp183);
		HL_CHECK(stats().ctr[HL_SIG_CTR_CALLS_ANSWERED] == 1);
		/* the ACK has nothing to answer: no BYE, nothing more to the worker */
		customer_req(msg, sizeof(msg), "ACK", "z9hG4bKrl1a", "rl1@trunk", totag, 1);
		feed(msg, addr('t', 5060));
		HL_CHECK_INT(nout, 0);
		HL_CHECK_INT(npushed, order == 0 ? 4 : 2);
		HL_CHECK(stats().ctr[HL_SIG_CTR_MEDIA_FAIL] == 0);
		nout = 0;
		advance(2000);
		HL_CHECK(find_out("200") < 0 && find_out("183") < 0);
		customer_req(msg, sizeof(msg), "BYE", "z9hG4bKrl1b", "rl1@trunk", totag, 3);
		feed(msg, addr('t', 5060));
		HL_CHECK(status_of(0) == 200);
		agent_answers_bye();
		HL_CHECK(stats().calls == 0 && stats().media_legs == 0);
		advance(40000);
		HL_CHECK(stats().transactions == 0 && stats().dialogs == 0);
		teardown();
	}
}

/*
 * RFC 3261 §13.2.1: an INVITE without an offer gets ours in the first reliable
 * non-failure response. An agent's 180 before it sent any SDP has no offer of ours to
 * carry: to a customer that only supports 100rel it goes unreliably, as without it; to
 * one that requires 100rel (every 1xx reliable, RFC 3262 §3) it is not sent. The 183
 * with the agent's SDP is then the first reliable 1xx, with our offer.
 */
HL_TEST(rel_late_offer_180_first)
{
	for (int req = 0; req < 2; req++) {
		char inv[4096], v[256], totag[64];
		uint32_t rseq = 0;
		int i;

		setup_ops(1);
		HL_CHECK(do_register("alice", "alicepw", 5090, 0) == 200);
		rel_invite("z9hG4bKrlf", "rlf@trunk",
			req ? "Require: 100rel\r\n" : "Supported: 100rel\r\n", NULL);
		i = find_out("INVITE");
		HL_CHECK(i >= 0);
		if (i < 0) {
			teardown();
			continue;
		}
		snprintf(inv, sizeof(inv), "%s", out[i].buf);
		agent_respond(inv, 180, 5090);
		i = find_out("180");
		if (req) {
			HL_CHECK_MSG(i < 0, "a 180 without our offer to a Require: 100rel UAC");
		} else {
			HL_CHECK(i >= 0);
			HL_CHECK_MSG(i < 0 || hdr((unsigned int)i, HL_SIP_HDR_REQUIRE, v,
						      sizeof(v)) != 0,
				"a reliable 180 without our offer");
		}
		HL_CHECK(stats().ctr[HL_SIG_CTR_REL1XX_SENT] == 0);
		respond_sdp(inv, 183, addr('a', 5090), agent_sdp);
		i = find_out("183");
		HL_CHECK(i >= 0 && rel_1xx((unsigned int)i, &rseq, totag, sizeof(totag)) == 0);
		HL_CHECK(i >= 0 && strstr(body_of((unsigned int)i), "m=audio ") != NULL);
		teardown();
	}
}

/*
 * One reliable 1xx unacknowledged at a time (§3): the 183 with our answer to the
 * customer's offer that comes while the 180 waits for its PRACK goes out with that
 * PRACK, as the next RSeq (early media starts at once all the same: the answer is ours
 * to give); the agent's 200 after its PRACK is answered at once, with its SDP.
 */
HL_TEST(rel_one_at_a_time)
{
	char inv[4096], msg[4096], totag[64], tag2[64], sdp183[2048];
	uint32_t rseq = 0, rseq2 = 0;
	int i;

	setup_ops(1);
	HL_CHECK(do_register("alice", "alicepw", 5090, 0) == 200);
	rel_invite("z9hG4bKrq1", "rq1@trunk", "Require: 100rel\r\n", sdp_offer);
	i = find_out("INVITE");
	HL_CHECK(i >= 0);
	if (i < 0)
		goto out;
	snprintf(inv, sizeof(inv), "%s", out[i].buf);
	agent_respond(inv, 180, 5090);
	i = find_out("180");
	HL_CHECK(i >= 0 && rel_1xx((unsigned int)i, &rseq, totag, sizeof(totag)) == 0);
	HL_CHECK(i >= 0 && body_of((unsigned int)i)[0] == '\0');
	/* the 183 waits behind the 180 */
	respond_sdp(inv, 183, addr('a', 5090), agent_sdp);
	HL_CHECK_INT(nout, 0);
	HL_CHECK(stats().ctr[HL_SIG_CTR_REL1XX_SENT] == 1);
	HL_CHECK_INT(npushed, 2);
	customer_prack(msg, sizeof(msg), "z9hG4bKrq1p", "rq1@trunk", totag, 2, rseq, NULL);
	feed(msg, addr('t', 5060));
	HL_CHECK_INT(status_of(0), 200);
	i = find_out("183");
	HL_CHECK(i >= 0 && rel_1xx((unsigned int)i, &rseq2, tag2, sizeof(tag2)) == 0);
	HL_CHECK_INT(rseq2, rseq + 1);
	HL_CHECK(i >= 0 && strstr(body_of((unsigned int)i), "RTP/AVP 8 101") != NULL);
	snprintf(sdp183, sizeof(sdp183), "%s", i >= 0 ? body_of((unsigned int)i) : "");
	customer_prack(msg, sizeof(msg), "z9hG4bKrq1q", "rq1@trunk", totag, 3, rseq2, NULL);
	feed(msg, addr('t', 5060));
	HL_CHECK_INT(status_of(0), 200);
	respond_sdp(inv, 200, addr('a', 5090), agent_sdp);
	i = find_out("200");
	HL_CHECK(i >= 0);
	HL_CHECK(i >= 0 && strcmp(body_of((unsigned int)i), sdp183) == 0);
	customer_req(msg, sizeof(msg), "ACK", "z9hG4bKrq1a", "rq1@trunk", totag, 1);
	feed(msg, addr('t', 5060));
	HL_CHECK_INT(nout, 0);
	customer_req(msg, sizeof(msg), "BYE", "z9hG4bKrq1b", "rq1@trunk", totag, 4);
	feed(msg, addr('t', 5060));
	agent_answers_bye();
	HL_CHECK(stats().calls == 0 && stats().ctr[HL_SIG_CTR_MEDIA_FAIL] == 0);
	advance(40000);
	HL_CHECK(stats().transactions == 0 && stats().dialogs == 0);
out:
	teardown();
}

/* An offer in the PRACK of our 183 that answered the customer's offer: refused with 488
 * (documented), the 183 counts as acknowledged all the same, the session is the 183's
 * and the agent's 200 is answered at once with it. */
HL_TEST(rel_prack_offer_refused)
{
	char inv[4096], msg[4096], totag[64], sdp183[2048], ans[1024];
	uint32_t rseq = 0;
	int i;

	setup_ops(1);
	HL_CHECK(do_register("alice", "alicepw", 5090, 0) == 200);
	rel_invite("z9hG4bKro1", "ro1@trunk", "Supported: 100rel\r\n", sdp_offer);
	i = find_out("INVITE");
	HL_CHECK(i >= 0);
	if (i < 0)
		goto out;
	snprintf(inv, sizeof(inv), "%s", out[i].buf);
	respond_sdp(inv, 183, addr('a', 5090), agent_sdp);
	i = find_out("183");
	HL_CHECK(i >= 0 && rel_1xx((unsigned int)i, &rseq, totag, sizeof(totag)) == 0);
	if (i < 0)
		goto out;
	snprintf(sdp183, sizeof(sdp183), "%s", body_of((unsigned int)i));
	late_answer(ans, sizeof(ans), 6008, "RTP/AVP", "8 101", "");
	customer_prack(msg, sizeof(msg), "z9hG4bKro1p", "ro1@trunk", totag, 2, rseq, ans);
	feed(msg, addr('t', 5060));
	HL_CHECK_INT(status_of(0), 488);
	nout = 0;
	advance(1000);
	HL_CHECK(find_out("183") < 0);
	HL_CHECK_INT(pushes(0), 1);
	HL_CHECK(last_push(0) != NULL && last_push(0)->remote_port == 6000);
	respond_sdp(inv, 200, addr('a', 5090), agent_sdp);
	i = find_out("200");
	HL_CHECK(i >= 0 && strcmp(body_of((unsigned int)i), sdp183) == 0);
	customer_req(msg, sizeof(msg), "ACK", "z9hG4bKro1a", "ro1@trunk", totag, 1);
	feed(msg, addr('t', 5060));
	customer_req(msg, sizeof(msg), "BYE", "z9hG4bKro1b", "ro1@trunk", totag, 3);
	feed(msg, addr('t', 5060));
	agent_answers_bye();
	HL_CHECK(stats().calls == 0 && stats().ctr[HL_SIG_CTR_MEDIA_FAIL] == 0);
out:
	teardown();
}

/* A PRACK without the answer to our offer in the 183: 200 to it, 488 to the INVITE,
 * CANCEL to the agent, counted as a media set-up failure; nothing went to the worker. */
HL_TEST(rel_prack_without_answer)
{
	char inv[4096], msg[2048], totag[64], cancel[4096];
	uint32_t rseq = 0;
	int i;

	setup_ops(1);
	HL_CHECK(do_register("alice", "alicepw", 5090, 0) == 200);
	rel_invite("z9hG4bKrn1", "rn1@trunk", "Supported: 100rel\r\n", NULL);
	i = find_out("INVITE");
	HL_CHECK(i >= 0);
	if (i < 0)
		goto out;
	snprintf(inv, sizeof(inv), "%s", out[i].buf);
	respond_sdp(inv, 183, addr('a', 5090), agent_sdp);
	i = find_out("183");
	HL_CHECK(i >= 0 && rel_1xx((unsigned int)i, &rseq, totag, sizeof(totag)) == 0);
	customer_prack(msg, sizeof(msg), "z9hG4bKrn1p", "rn1@trunk", totag, 2, rseq, NULL);
	feed(msg, addr('t', 5060));
	HL_CHECK_INT(status_of(0), 200);
	HL_CHECK(find_out("488") >= 0);
	i = find_out("CANCEL");
	HL_CHECK(i >= 0);
	HL_CHECK(stats().ctr[HL_SIG_CTR_MEDIA_FAIL] == 1);
	HL_CHECK_INT(npushed, 0);
	if (i >= 0) {
		snprintf(cancel, sizeof(cancel), "%s", out[i].buf);
		respond_sdp(cancel, 200, addr('a', 5090), NULL);
		agent_respond(inv, 487, 5090);
	}
	HL_CHECK(stats().calls == 0);
	advance(40000);
	HL_CHECK(stats().transactions == 0 && stats().dialogs == 0);
out:
	teardown();
}

/* Without 100rel from the customer nothing is reliable; PRACKs that match no dialog,
 * or whose RAck does not parse, are refused and counted. */
HL_TEST(rel_not_asked_and_unmatched)
{
	char inv[4096], msg[2048], v[256], totag[64];
	int i;

	setup_ops(1);
	HL_CHECK(do_register("alice", "alicepw", 5090, 0) == 200);
	rel_invite("z9hG4bKru1", "ru1@trunk", "Max-Forwards: 70\r\n", sdp_offer);
	i = find_out("INVITE");
	HL_CHECK(i >= 0);
	if (i < 0)
		goto out;
	snprintf(inv, sizeof(inv), "%s", out[i].buf);
	respond_sdp(inv, 183, addr('a', 5090), agent_sdp);
	i = find_out("183");
	HL_CHECK(i >= 0);
	if (i < 0)
		goto out;
	HL_CHECK(hdr((unsigned int)i, HL_SIP_HDR_REQUIRE, v, sizeof(v)) != 0);
	HL_CHECK(hdr((unsigned int)i, HL_SIP_HDR_RSEQ, v, sizeof(v)) != 0);
	HL_CHECK(strstr(body_of((unsigned int)i), "RTP/AVP 8 101") != NULL);
	HL_CHECK(hdr((unsigned int)i, HL_SIP_HDR_TO, v, sizeof(v)) == 0 &&
		 param(v, ";tag=", totag, sizeof(totag)) == 0);
	HL_CHECK_INT(npushed, 2);
	/* not resent: it is not reliable */
	nout = 0;
	advance(2000);
	HL_CHECK(find_out("183") < 0);
	HL_CHECK(stats().ctr[HL_SIG_CTR_REL1XX_SENT] == 0);
	/* a PRACK in this early dialog: nothing of ours to acknowledge */
	customer_prack(msg, sizeof(msg), "z9hG4bKru1p", "ru1@trunk", totag, 2, 1, NULL);
	feed(msg, addr('t', 5060));
	HL_CHECK_INT(status_of(0), 481);
	/* in no dialog at all, and outside any */
	customer_prack(msg, sizeof(msg), "z9hG4bKru1q", "ru1@trunk", "nosuchtag", 3, 1, NULL);
	feed(msg, addr('t', 5060));
	HL_CHECK_INT(status_of(0), 481);
	customer_prack(msg, sizeof(msg), "z9hG4bKru1r", "ru9@trunk", "x", 3, 1, NULL);
	{
		char *tag = strstr(msg, ";tag=x");
		memmove(tag, tag + 6, strlen(tag + 6) + 1);
	}
	feed(msg, addr('t', 5060));
	HL_CHECK_INT(status_of(0), 481);
	/* a RAck that does not parse */
	customer_prack(msg, sizeof(msg), "z9hG4bKru1s", "ru1@trunk", totag, 4, 1, NULL);
	{
		char *ra = strstr(msg, "RAck: 1 1 INVITE");
		memcpy(ra, "RAck: x 1 INVITE", 16);
	}
	feed(msg, addr('t', 5060));
	HL_CHECK_INT(status_of(0), 400);
	HL_CHECK(stats().ctr[HL_SIG_CTR_PRACK_IN] == 4);
	HL_CHECK(stats().ctr[HL_SIG_CTR_PRACK_UNMATCHED] == 4);
	respond_sdp(inv, 200, addr('a', 5090), agent_sdp);
	HL_CHECK(find_out("200") >= 0);
	customer_req(msg, sizeof(msg), "ACK", "z9hG4bKru1a", "ru1@trunk", totag, 1);
	feed(msg, addr('t', 5060));
	customer_req(msg, sizeof(msg), "BYE", "z9hG4bKru1b", "ru1@trunk", totag, 5);
	feed(msg, addr('t', 5060));
	agent_answers_bye();
	HL_CHECK(stats().calls == 0);
out:
	teardown();
}

/*
 * Every PRACK that reaches signalling is prack_in, and every one that matches no
 * unacknowledged reliable 1xx is prack_unmatched, whatever refuses it: the CSeq order
 * of the dialog (500), a Require we lack (420), a leg whose call is gone (481).
 */
HL_TEST(rel_prack_refusals_counted)
{
	char inv[4096], msg[2048], totag[64];
	uint32_t rseq = 0;
	int i;

	setup_ops(1);
	HL_CHECK(do_register("alice", "alicepw", 5090, 0) == 200);
	rel_invite("z9hG4bKrc1", "rc1@trunk", "Supported: 100rel\r\n", sdp_offer);
	i = find_out("INVITE");
	HL_CHECK(i >= 0);
	if (i < 0)
		goto out;
	snprintf(inv, sizeof(inv), "%s", out[i].buf);
	respond_sdp(inv, 183, addr('a', 5090), agent_sdp);
	i = find_out("183");
	HL_CHECK(i >= 0 && rel_1xx((unsigned int)i, &rseq, totag, sizeof(totag)) == 0);
	/* CSeq 1 is the INVITE's: out of order */
	customer_prack(msg, sizeof(msg), "z9hG4bKrc1p1", "rc1@trunk", totag, 1, rseq, NULL);
	feed(msg, addr('t', 5060));
	HL_CHECK_INT(status_of(0), 500);
	HL_CHECK_INT(stats().ctr[HL_SIG_CTR_PRACK_IN], 1);
	HL_CHECK_INT(stats().ctr[HL_SIG_CTR_PRACK_UNMATCHED], 1);
	/* its retransmission is answered by its transaction, not counted again */
	feed(msg, addr('t', 5060));
	HL_CHECK_INT(status_of(0), 500);
	HL_CHECK_INT(stats().ctr[HL_SIG_CTR_PRACK_IN], 1);
	/* an extension we do not have */
	customer_prack(msg, sizeof(msg), "z9hG4bKrc1p2", "rc1@trunk", totag, 2, rseq, NULL);
	{
		char *ra = strstr(msg, "RAck:");
		char tail[1024];
		snprintf(tail, sizeof(tail), "%s", ra);
		snprintf(ra, sizeof(msg) - (size_t)(ra - msg), "Require: foo\r\n%s", tail);
	}
	feed(msg, addr('t', 5060));
	HL_CHECK_INT(status_of(0), 420);
	HL_CHECK_INT(stats().ctr[HL_SIG_CTR_PRACK_IN], 2);
	HL_CHECK_INT(stats().ctr[HL_SIG_CTR_PRACK_UNMATCHED], 2);
	/* the one that matches */
	customer_prack(msg, sizeof(msg), "z9hG4bKrc1p3", "rc1@trunk", totag, 3, rseq, NULL);
	feed(msg, addr('t', 5060));
	HL_CHECK_INT(status_of(0), 200);
	HL_CHECK_INT(stats().ctr[HL_SIG_CTR_PRACK_IN], 3);
	HL_CHECK_INT(stats().ctr[HL_SIG_CTR_PRACK_UNMATCHED], 2);
	/* no answer: the agent's leg is cancelled and left to finish on its own; a
	 * request in its dialog finds no call */
	advance(5100);
	HL_CHECK(find_out("480") >= 0);
	HL_CHECK(stats().calls == 0);
	agent_req(msg, sizeof(msg), inv, "PRACK", "z9hG4bKrc1p4", 2, NULL);
	{
		char *cs = strstr(msg, "Contact:");
		char tail[1024];
		snprintf(tail, sizeof(tail), "%s", cs);
		snprintf(cs, sizeof(msg) - (size_t)(cs - msg), "RAck: 1 1 INVITE\r\n%s", tail);
	}
	feed(msg, addr('a', 5090));
	HL_CHECK_INT(status_of(0), 481);
	HL_CHECK_INT(stats().ctr[HL_SIG_CTR_PRACK_IN], 4);
	HL_CHECK_INT(stats().ctr[HL_SIG_CTR_PRACK_UNMATCHED], 3);
	agent_respond(inv, 487, 5090);
	advance(40000);
	HL_CHECK(stats().transactions == 0 && stats().dialogs == 0);
out:
	teardown();
}

/* The agent's PRACK (the number of the first and the last PRACK hotline sent, by RAck). */
static int
prack_to_agent(uint32_t rseq, unsigned int cseq, char *prack, size_t cap)
{
	char v[128], want[64];
	int i = find_out("PRACK");

	if (i < 0 || out[i].dst.port != 5090)
		return -1;
	snprintf(want, sizeof(want), "%u 1 INVITE", rseq);
	if (hdr((unsigned int)i, HL_SIP_HDR_RACK, v, sizeof(v)) != 0 || strcmp(v, want) != 0)
		return -1;
	snprintf(want, sizeof(want), "%u PRACK", cseq);
	if (hdr((unsigned int)i, HL_SIP_HDR_CSEQ, v, sizeof(v)) != 0 || strcmp(v, want) != 0)
		return -1;
	snprintf(prack, cap, "%s", out[i].buf);
	return 0;
}

/*
 * An agent's reliable 18x (§4): each new RSeq in order gets one PRACK in the early
 * dialog (its tag, to its Contact through its Record-Route, CSeq on from the INVITE's,
 * RAck); a retransmission gets none and goes no further. The customer without 100rel
 * gets the 18x as today. A CANCEL after the PRACKs keeps the INVITE's CSeq.
 */
HL_TEST(rel_agent_prack)
{
	char inv[4096], prack[4096], prack1[4096], cancel[4096];
	int i;

	setup_ops(1);
	HL_CHECK(do_register("alice", "alicepw", 5090, 0) == 200);
	send_invite("+15550100", "z9hG4bKra1", "ra1@trunk");
	i = find_out("INVITE");
	HL_CHECK(i >= 0);
	if (i < 0)
		goto out;
	snprintf(inv, sizeof(inv), "%s", out[i].buf);
	resp_hdrs = "Require: 100rel\r\nRSeq: 77\r\nRecord-Route: <sip:10.99.98.7;lr>\r\n";
	respond_sdp(inv, 183, addr('a', 5090), agent_sdp);
	HL_CHECK(prack_to_agent(77, 2, prack, sizeof(prack)) == 0);
	HL_CHECK(strstr(prack, "PRACK sip:agent@10.99.98.2:5090 SIP/2.0\r\n") != NULL);
	HL_CHECK(strstr(prack, "Route: <sip:10.99.98.7;lr>\r\n") != NULL);
	HL_CHECK(strstr(prack, ";tag=ag1") != NULL);
	snprintf(prack1, sizeof(prack1), "%s", prack);
	HL_CHECK(stats().ctr[HL_SIG_CTR_PRACK_OUT] == 1);
	HL_CHECK(stats().ctr[HL_SIG_CTR_REL1XX_IN] == 1);
	i = find_out("183");
	HL_CHECK(i >= 0 && out[i].dst.port == 5060 && strstr(out[i].buf, "RSeq") == NULL);
	HL_CHECK_INT(npushed, 2);
	/* the agent resends it (our PRACK was slow): no second PRACK, not forwarded */
	respond_sdp(inv, 183, addr('a', 5090), agent_sdp);
	HL_CHECK(find_out("PRACK") < 0 && find_out("183") < 0);
	/* one out of order (RSeq 79): neither */
	resp_hdrs = "Require: 100rel\r\nRSeq: 79\r\n";
	agent_respond(inv, 180, 5090);
	HL_CHECK(find_out("PRACK") < 0 && find_out("180") < 0);
	/* the next one */
	resp_hdrs = "Require: 100rel\r\nRSeq: 78\r\n";
	agent_respond(inv, 180, 5090);
	HL_CHECK(prack_to_agent(78, 3, prack, sizeof(prack)) == 0);
	HL_CHECK(find_out("180") >= 0);
	resp_hdrs = "";
	/* our PRACK is resent until its 200 (Timer E) */
	nout = 0;
	advance(510);
	HL_CHECK(find_out("PRACK") >= 0);
	respond_sdp(prack1, 200, addr('a', 5090), NULL);
	respond_sdp(prack, 200, addr('a', 5090), NULL);
	nout = 0;
	advance(2000);
	HL_CHECK(find_out("PRACK") < 0);
	/* nobody answers: the CANCEL names the INVITE's CSeq, not the PRACK's */
	nout = 0;
	advance(2500);
	i = find_out("CANCEL");
	HL_CHECK(i >= 0);
	if (i < 0)
		goto out;
	snprintf(cancel, sizeof(cancel), "%s", out[i].buf);
	HL_CHECK(strstr(cancel, "CSeq: 1 CANCEL\r\n") != NULL);
	respond_sdp(cancel, 200, addr('a', 5090), NULL);
	agent_respond(inv, 487, 5090);
	advance(40000);
	HL_CHECK(stats().calls == 0 && stats().transactions == 0 && stats().dialogs == 0);
out:
	resp_hdrs = "";
	teardown();
}

/*
 * The agent hangs up while our 2xx waits for the PRACK of the reliable 183 that
 * carried our offer: the customer never had the call, and nothing CANCELled its INVITE,
 * so no 487 (RFC 3261 §9.2): the attempt failed as a rejection does. With nobody left
 * the customer gets 480, the record no_agent; with another agent, that one is rung (on
 * the codec the 183 settled) and the call goes on. The call is freed once, nothing left.
 */
HL_TEST(rel_agent_bye_before_prack)
{
	for (int two = 0; two < 2; two++) {
		char inv[4096], msg[4096], totag[64];
		uint32_t rseq = 0;
		int i;

		setup_cdr(NULL);
		HL_CHECK(do_register("alice", "alicepw", 5090, 0) == 200);
		advance(10);
		if (two)
			HL_CHECK(do_register("bob", "bobpw", 5091, 0) == 200);
		rel_invite("z9hG4bKrab", "rab@trunk", "Supported: 100rel\r\n", NULL);
		i = find_out("INVITE");
		HL_CHECK(i >= 0);
		if (i < 0)
			goto out;
		snprintf(inv, sizeof(inv), "%s", out[i].buf);
		respond_sdp(inv, 183, addr('a', 5090), agent_sdp);
		i = find_out("183");
		HL_CHECK(i >= 0 && rel_1xx((unsigned int)i, &rseq, totag, sizeof(totag)) == 0);
		respond_sdp(inv, 200, addr('a', 5090), agent_sdp);
		HL_CHECK(find_out("ACK") >= 0 && find_out("200") < 0);
		agent_req(msg, sizeof(msg), inv, "BYE", "z9hG4bKrabb", 2, NULL);
		feed(msg, addr('a', 5090));
		HL_CHECK_INT(status_of(0), 200);
		HL_CHECK_MSG(find_out("487") < 0, "487 to an INVITE nobody cancelled");
		HL_CHECK(stats().ctr[HL_SIG_CTR_CALLS_ANSWERED] == 0);
		HL_CHECK_MSG(stats().ctr[HL_SIG_CTR_CALLS_COMPLETED] == 0,
			"a call the customer never had counts as completed");
		if (!two) {
			HL_CHECK(find_out("480") >= 0);
			HL_CHECK(stats().ctr[HL_SIG_CTR_CALLS_NO_AGENT] == 1);
			HL_CHECK(stats().calls == 0);
		} else {
			i = find_out("INVITE");
			HL_CHECK_MSG(i >= 0 && out[i].dst.port == 5091, "bob is not rung");
			HL_CHECK(find_out("480") < 0);
			if (i < 0)
				goto out;
			snprintf(inv, sizeof(inv), "%s", out[i].buf);
			HL_CHECK(strstr(body_of((unsigned int)i), "RTP/AVP 8 101") != NULL);
			respond_sdp(inv, 200, addr('a', 5091), agent_sdp);
			HL_CHECK(find_out("ACK") >= 0 && find_out("200") < 0);
			/* the 183 still waits for its PRACK; it brings the 2xx */
			customer_prack(msg, sizeof(msg), "z9hG4bKrabp", "rab@trunk", totag, 2, rseq,
				"v=0\r\no=trunk 1 1 IN IP4 10.99.0.2\r\ns=-\r\n"
				"c=IN IP4 10.99.0.2\r\nt=0 0\r\nm=audio 6000 RTP/AVP 8 101\r\n"
				"a=rtpmap:101 telephone-event/8000\r\n");
			feed(msg, addr('t', 5060));
			HL_CHECK_INT(status_of(0), 200);
			HL_CHECK(nout == 2 && status_of(1) == 200);
			HL_CHECK(stats().ctr[HL_SIG_CTR_CALLS_ANSWERED] == 1);
			customer_req(msg, sizeof(msg), "ACK", "z9hG4bKraba", "rab@trunk", totag, 1);
			feed(msg, addr('t', 5060));
			customer_req(msg, sizeof(msg), "BYE", "z9hG4bKrabc", "rab@trunk", totag, 3);
			feed(msg, addr('t', 5060));
			HL_CHECK_INT(status_of(0), 200);
			agent_answers_bye_at(5091);
			HL_CHECK(stats().calls == 0);
		}
		advance(4000);
		check_agent_left_record("rab@trunk", two);
		if (cdr_of("rab@trunk") != NULL)
			HL_CHECK_STR(cdr_of("rab@trunk")->agent, two ? "bob" : "");
		advance(40000);
		HL_CHECK(stats().transactions == 0 && stats().dialogs == 0);
	out:
		teardown();
	}
}

/*
 * An agent's BYE in the early dialog (RFC 3261 §15 forbids it to a UAS, but it comes):
 * its INVITE is still open, so it is CANCELled and left to finish on its own, and the
 * attempt fails as a rejection does: the next agent, else 480 (never a 487 nobody asked
 * for). Whether the agent then answers the CANCEL (487, ACKed) or never does, nothing
 * is left once the timers ran.
 */
HL_TEST(agent_bye_early_dialog)
{
	for (int two = 0; two < 2; two++) {
		char inv[4096], msg[4096];
		int i;

		setup_cdr(NULL);
		HL_CHECK(do_register("alice", "alicepw", 5090, 0) == 200);
		advance(10);
		if (two)
			HL_CHECK(do_register("bob", "bobpw", 5091, 0) == 200);
		send_invite("+15550100", "z9hG4bKabe", "abe@trunk");
		i = find_out("INVITE");
		HL_CHECK(i >= 0 && out[i].dst.port == 5090);
		if (i < 0)
			goto out;
		snprintf(inv, sizeof(inv), "%s", out[i].buf);
		agent_respond(inv, 180, 5090);
		HL_CHECK(find_out("180") >= 0);
		agent_req(msg, sizeof(msg), inv, "BYE", "z9hG4bKabeb", 2, NULL);
		feed(msg, addr('a', 5090));
		HL_CHECK_INT(status_of(0), 200);
		HL_CHECK_MSG(find_out("487") < 0, "487 to an INVITE nobody cancelled");
		i = find_out("CANCEL");
		HL_CHECK_MSG(i >= 0 && out[i].dst.port == 5090, "no CANCEL to the agent");
		if (!two) {
			HL_CHECK(find_out("480") >= 0);
			HL_CHECK(stats().calls == 0);
			/* the agent answers the CANCEL and its INVITE */
			if (i >= 0) {
				snprintf(msg, sizeof(msg), "%s", out[i].buf);
				agent_respond(msg, 200, 5090);
			}
			agent_respond(inv, 487, 5090);
			HL_CHECK(find_out("ACK") >= 0);
		} else {
			/* bob is rung and answers; alice never answers again */
			char v[256], totag[64];
			int k = find_out("INVITE");
			HL_CHECK_MSG(k >= 0 && out[k].dst.port == 5091, "bob is not rung");
			HL_CHECK(find_out("480") < 0);
			if (k < 0)
				goto out;
			snprintf(inv, sizeof(inv), "%s", out[k].buf);
			agent_respond(inv, 200, 5091);
			i = find_out("200");
			HL_CHECK(i >= 0);
			if (i < 0 || hdr((unsigned int)i, HL_SIP_HDR_TO, v, sizeof(v)) != 0 ||
				param(v, ";tag=", totag, sizeof(totag)) != 0)
				goto out;
			customer_req(msg, sizeof(msg), "ACK", "z9hG4bKabea", "abe@trunk", totag, 1);
			feed(msg, addr('t', 5060));
			customer_req(msg, sizeof(msg), "BYE", "z9hG4bKabec", "abe@trunk", totag, 2);
			feed(msg, addr('t', 5060));
			HL_CHECK_INT(status_of(0), 200);
			agent_answers_bye_at(5091);
			HL_CHECK(stats().calls == 0);
		}
		advance(4000);
		check_agent_left_record("abe@trunk", two);
		advance(40000);
		HL_CHECK(stats().transactions == 0 && stats().dialogs == 0);
	out:
		teardown();
	}
}

/*
 * The customer's session is settled by the first agent's reliable 183 (our answer,
 * PCMA, PRACKed); that agent then refuses. The next agent is offered only that codec:
 * the legs relay one codec and never transcode, and the customer's 2xx repeats the
 * 183's SDP, so an agent taking PCMU from a full offer would leave the legs apart.
 */
HL_TEST(rel_failover_keeps_codec)
{
	char inv[4096], msg[2048], totag[64];
	uint32_t rseq = 0;
	int i;

	setup_ops(1);
	HL_CHECK(do_register("alice", "alicepw", 5090, 0) == 200);
	advance(10);
	HL_CHECK(do_register("bob", "bobpw", 5091, 0) == 200);
	rel_invite("z9hG4bKrf1", "rf1@trunk", "Supported: 100rel\r\n", sdp_offer);
	i = find_out("INVITE");
	HL_CHECK(i >= 0 && out[i].dst.port == 5090);
	if (i < 0)
		goto out;
	snprintf(inv, sizeof(inv), "%s", out[i].buf);
	HL_CHECK(strstr(body_of((unsigned int)i), "RTP/AVP 0 8 101") != NULL);
	respond_sdp(inv, 183, addr('a', 5090), agent_sdp);
	i = find_out("183");
	HL_CHECK(i >= 0 && rel_1xx((unsigned int)i, &rseq, totag, sizeof(totag)) == 0);
	HL_CHECK(i >= 0 && strstr(body_of((unsigned int)i), "RTP/AVP 8 101") != NULL);
	customer_prack(msg, sizeof(msg), "z9hG4bKrf1p1", "rf1@trunk", totag, 2, rseq, NULL);
	feed(msg, addr('t', 5060));
	HL_CHECK_INT(status_of(0), 200);
	agent_respond(inv, 486, 5090);
	i = find_out("INVITE");
	HL_CHECK(i >= 0 && out[i].dst.port == 5091);
	if (i < 0)
		goto out;
	snprintf(inv, sizeof(inv), "%s", out[i].buf);
	HL_CHECK_MSG(strstr(body_of((unsigned int)i), "RTP/AVP 8 101") != NULL, "bob is offered %s",
		body_of((unsigned int)i));
	respond_sdp(inv, 200, addr('a', 5091), agent_sdp);
	i = find_out("200");
	HL_CHECK(i >= 0 && strstr(body_of((unsigned int)i), "RTP/AVP 8 101") != NULL);
	HL_CHECK(last_push(0) != NULL && last_push(1) != NULL &&
		 last_push(0)->codec_pt == last_push(1)->codec_pt);
out:
	teardown();
}

/* ---- key presses by INFO ---- */

static const char suppress_tenants[] = "[tenant acme]\nrealm = acme.test\ndomains = acme.test\n"
				       "dids = +15550100\ntrunks = 10.99.0.0/24\n"
				       "dtmf_to_agent = suppress\n"
				       "[agent alice@acme]\npassword = alicepw\n";

/* setup(), or with the tenants of text (NULL: tenants_text). */
static void
setup_tenants(const char *text)
{
	struct hl_sig_ops ops = {.send = cap_send, .route = cap_route};
	char err[256];

	setup();
	if (text == NULL)
		return;
	hl_sig_free(sig);
	hl_tenants_free(tenants);
	tenants = hl_tenants_parse("t.conf", text, strlen(text), err, sizeof(err));
	HL_CHECK_MSG(tenants != NULL, "%s", err);
	sig = hl_sig_create(&cfg, tenants, NULL, &ops, now, 1700000000);
	HL_CHECK(sig != NULL);
}

/* An INFO with Content-Type ctype (NULL: none) and body: the customer's in the A dialog
 * (our To tag totag), or, with inv, the agent's in the B dialog of our INVITE inv. */
static void
info_req(char *msg, size_t cap, const char *inv, const char *callid, const char *totag,
	const char *branch, unsigned int cseq, const char *ctype, const char *body)
{
	char from[256], to[256], cid[256], ct[128] = "";

	if (ctype != NULL)
		snprintf(ct, sizeof(ct), "Content-Type: %s\r\n", ctype);
	if (inv == NULL) {
		snprintf(msg, cap,
			"INFO sip:hotline@10.99.0.1:5060 SIP/2.0\r\n"
			"Via: SIP/2.0/UDP 10.99.0.2:5060;branch=%s\r\nMax-Forwards: 70\r\n"
			"From: \"Customer\" <sip:+4930123@trunk.test>;tag=c1\r\n"
			"To: <sip:+15550100@10.99.0.1>;tag=%s\r\nCall-ID: %s\r\nCSeq: %u INFO\r\n"
			"%sContent-Length: %zu\r\n\r\n%s",
			branch, totag, callid, cseq, ct, strlen(body), body);
		return;
	}
	inv_dialog(inv, from, to, cid, sizeof(from));
	snprintf(msg, cap,
		"INFO sip:hotline@10.99.98.1:5060 SIP/2.0\r\n"
		"Via: SIP/2.0/UDP 10.99.98.2:5090;branch=%s\r\nMax-Forwards: 70\r\n"
		"From: %s;tag=ag1\r\nTo: %s\r\nCall-ID: %s\r\nCSeq: %u INFO\r\n"
		"%sContent-Length: %zu\r\n\r\n%s",
		branch, to, from, cid, cseq, ct, strlen(body), body);
}

/* The answer code of the party at src to request req (a copy), without a body. */
static void
answer_req(const char *req, int code, struct hl_sig_addr src)
{
	char msg[2048], f[5][256];
	static const enum hl_sip_hdr ids[5] = {HL_SIP_HDR_VIA, HL_SIP_HDR_FROM, HL_SIP_HDR_TO,
		HL_SIP_HDR_CALL_ID, HL_SIP_HDR_CSEQ};
	struct hl_sip_msg m;

	HL_CHECK(hl_sip_parse((const uint8_t *)req, strlen(req), &m) > 0);
	for (unsigned int k = 0; k < 5; k++) {
		const struct hl_sip_hdr_field *h = hl_sip_hdr_first(&m, ids[k]);
		snprintf(f[k], sizeof(f[k]), "%.*s", h ? h->value.len : 0,
			h ? req + h->value.off : "");
	}
	snprintf(msg, sizeof(msg),
		"SIP/2.0 %d X\r\nVia: %s\r\nFrom: %s\r\nTo: %s\r\nCall-ID: %s\r\nCSeq: %s\r\n"
		"Content-Length: 0\r\n\r\n", code, f[0], f[1], f[2], f[3], f[4]);
	feed(msg, src);
}

/* The last INFO hotline sent (out[i]): to port, its Content-Type, body and CSeq number;
 * copied into req (cap 4096) for an answer. */
static int
relayed_info(uint16_t port, const char *ctype, const char *body, unsigned int cseq, char *req)
{
	char ct[128] = "", cs[64], want[32];
	int i = -1;

	for (unsigned int k = 0; k < nout; k++)
		if (is_method(k, "INFO"))
			i = (int)k;

	HL_CHECK_MSG(i >= 0, "no INFO relayed (want %s)", body);
	if (i < 0)
		return -1;
	HL_CHECK_INT(out[i].dst.port, port);
	hdr((unsigned int)i, HL_SIP_HDR_CONTENT_TYPE, ct, sizeof(ct));
	HL_CHECK_STR(ct, ctype);
	HL_CHECK_STR(body_of((unsigned int)i), body);
	snprintf(want, sizeof(want), "%u INFO", cseq);
	HL_CHECK(hdr((unsigned int)i, HL_SIP_HDR_CSEQ, cs, sizeof(cs)) == 0);
	HL_CHECK_STR(cs, want);
	snprintf(req, 4096, "%s", out[i].buf);
	return i;
}

static int
digits_end(const char *want)
{
	struct hl_sig_stats st = stats();
	size_t n = strlen(st.last_dtmf_digits), k = strlen(want);

	return n >= k && strcmp(st.last_dtmf_digits + n - k, want) == 0;
}

/* A key press by INFO from either leg of a connected call: 200 to the sender first, then
 * an INFO of its own in the other leg's dialog, the same Content-Type, the body in one
 * form (a lower-case key upper, blanks and LF line ends gone, Duration only when
 * given); reported once as a press from the media is (dtmf_info, not dtmf_rtp; the
 * digit, its duration, the last digits); the peer's 200 counts it relayed. */
HL_TEST(info_dtmf_relayed_both_ways)
{
	char inv[4096], totag[64], msg[4096], req[4096];
	struct hl_sdp ans;
	int i;

	setup();
	i = srtp_call("z9hG4bKir1", "ir1@trunk", sdp_offer, NULL, inv, sizeof(inv), totag,
		sizeof(totag), &ans);
	HL_CHECK(i >= 0);
	if (i < 0)
		goto out;
	struct hl_sig_stats st0 = stats();

	info_req(msg, sizeof(msg), NULL, "ir1@trunk", totag, "z9hG4bKir2", 2,
		"application/dtmf-relay", "Signal=5\r\nDuration=160\r\n");
	feed(msg, addr('t', 5060));
	HL_CHECK_INT(status_of(0), 200);
	HL_CHECK_INT(out[0].dst.port, 5060);
	i = relayed_info(5090, "application/dtmf-relay", "Signal=5\r\nDuration=160\r\n", 2, req);
	HL_CHECK(i == 1);
	HL_CHECK(i < 0 ||
		 strncmp(out[i].buf, "INFO sip:agent@10.99.98.2:5090 SIP/2.0\r\n", 40) == 0);
	struct hl_sig_stats st = stats();
	HL_CHECK_INT(st.ctr[HL_SIG_CTR_INFO_DTMF], st0.ctr[HL_SIG_CTR_INFO_DTMF] + 1);
	HL_CHECK_INT(st.ctr[HL_SIG_CTR_DTMF_RTP], st0.ctr[HL_SIG_CTR_DTMF_RTP]);
	HL_CHECK_INT(st.dtmf_events, st0.dtmf_events + 1);
	HL_CHECK_INT(st.last_dtmf, '5');
	HL_CHECK_INT(st.last_dtmf_ms, 160);
	HL_CHECK_MSG(digits_end("5"), "'%s'", st.last_dtmf_digits);
	HL_CHECK_INT(st.ctr[HL_SIG_CTR_INFO_DTMF_RELAYED], 0);
	if (i >= 0)
		answer_req(req, 200, addr('a', 5090));
	HL_CHECK_INT(stats().ctr[HL_SIG_CTR_INFO_DTMF_RELAYED], 1);
	HL_CHECK_INT(nout, 0);

	/* the same press written loosely */
	info_req(msg, sizeof(msg), NULL, "ir1@trunk", totag, "z9hG4bKir3", 3,
		"Application/DTMF-Relay", "signal = b\nduration= 80 \n");
	feed(msg, addr('t', 5060));
	HL_CHECK_INT(status_of(0), 200);
	i = relayed_info(5090, "application/dtmf-relay", "Signal=B\r\nDuration=80\r\n", 3, req);
	if (i >= 0)
		answer_req(req, 200, addr('a', 5090));
	HL_CHECK_INT(stats().last_dtmf, 'B');

	/* the agent's key, application/dtmf, to the customer's Contact */
	info_req(msg, sizeof(msg), inv, NULL, NULL, "z9hG4bKir4", 2, "application/dtmf", "#\r\n");
	feed(msg, addr('a', 5090));
	HL_CHECK_INT(status_of(0), 200);
	HL_CHECK_INT(out[0].dst.port, 5090);
	i = relayed_info(5060, "application/dtmf", "#", 2, req);
	HL_CHECK(i < 0 ||
		 strncmp(out[i].buf, "INFO sip:trunk@10.99.0.2:5060 SIP/2.0\r\n", 39) == 0);
	HL_CHECK(i < 0 || strstr(out[i].buf, ";tag=c1\r\n") != NULL);
	if (i >= 0)
		answer_req(req, 200, addr('t', 5060));
	st = stats();
	HL_CHECK_INT(st.ctr[HL_SIG_CTR_INFO_DTMF], st0.ctr[HL_SIG_CTR_INFO_DTMF] + 3);
	HL_CHECK_INT(st.ctr[HL_SIG_CTR_INFO_DTMF_RELAYED], 3);
	HL_CHECK_INT(st.ctr[HL_SIG_CTR_INFO_DTMF_FAILED], 0);
	HL_CHECK_INT(st.last_dtmf_ms, 0);
	HL_CHECK_MSG(digits_end("5B#"), "'%s'", st.last_dtmf_digits);
	HL_CHECK(st.calls == 1);

	customer_req(msg, sizeof(msg), "BYE", "z9hG4bKir5", "ir1@trunk", totag, 4);
	feed(msg, addr('t', 5060));
	agent_answers_bye();
	HL_CHECK(stats().calls == 0);
	advance(40000);
	HL_CHECK_INT(stats().transactions, 0);
out:
	teardown();
}

/* dtmf_to_agent = suppress: the customer's INFO press is answered and reported, and does
 * not reach the agent (info_dtmf_suppressed); the agent's still reach the customer. */
HL_TEST(info_dtmf_suppress_tenant)
{
	char inv[4096], totag[64], msg[4096], req[4096];
	struct hl_sdp ans;
	int i;

	setup_tenants(suppress_tenants);
	i = srtp_call("z9hG4bKis1", "is1@trunk", sdp_offer, NULL, inv, sizeof(inv), totag,
		sizeof(totag), &ans);
	HL_CHECK(i >= 0);
	if (i < 0)
		goto out;
	uint64_t info0 = stats().ctr[HL_SIG_CTR_INFO_DTMF];
	info_req(msg, sizeof(msg), NULL, "is1@trunk", totag, "z9hG4bKis2", 2,
		"application/dtmf-relay", "Signal=4\r\nDuration=100\r\n");
	feed(msg, addr('t', 5060));
	HL_CHECK_INT(status_of(0), 200);
	HL_CHECK_INT(nout, 1);
	HL_CHECK_MSG(find_out("INFO") < 0, "the customer's key reached the agent");
	HL_CHECK_INT(stats().ctr[HL_SIG_CTR_INFO_DTMF], info0 + 1);
	HL_CHECK_INT(stats().ctr[HL_SIG_CTR_INFO_DTMF_SUPPRESSED], 1);
	HL_CHECK_INT(stats().last_dtmf, '4');
	HL_CHECK_INT(stats().last_dtmf_ms, 100);
	HL_CHECK(digits_end("4"));
	/* its retransmission is the transaction's: no second report */
	feed(msg, addr('t', 5060));
	HL_CHECK_INT(status_of(0), 200);
	HL_CHECK_INT(stats().ctr[HL_SIG_CTR_INFO_DTMF], info0 + 1);
	HL_CHECK_INT(stats().ctr[HL_SIG_CTR_INFO_DTMF_SUPPRESSED], 1);

	info_req(msg, sizeof(msg), inv, NULL, NULL, "z9hG4bKis3", 2, "application/dtmf-relay",
		"Signal=9\r\n");
	feed(msg, addr('a', 5090));
	HL_CHECK_INT(status_of(0), 200);
	i = relayed_info(5060, "application/dtmf-relay", "Signal=9\r\n", 2, req);
	if (i >= 0)
		answer_req(req, 200, addr('t', 5060));
	HL_CHECK_INT(stats().ctr[HL_SIG_CTR_INFO_DTMF_RELAYED], 1);
	HL_CHECK_INT(stats().ctr[HL_SIG_CTR_INFO_DTMF_SUPPRESSED], 1);
	HL_CHECK(digits_end("49"));

	customer_req(msg, sizeof(msg), "BYE", "z9hG4bKis4", "is1@trunk", totag, 3);
	feed(msg, addr('t', 5060));
	agent_answers_bye();
	HL_CHECK(stats().calls == 0);
out:
	teardown();
}

/* One INFO at a time to a leg: presses behind an unanswered one are answered 200 and
 * reported at once, queued (SIG_INFO_QUEUE) and sent in order, each after the previous
 * one's final; more are dropped (info_dtmf_dropped). A 481 from the peer counts the
 * press failed, keeps the call and lets the next one go. */
HL_TEST(info_dtmf_queue_order_and_bound)
{
	static const char keys[] = "1234567890*#AB";
	char inv[4096], totag[64], msg[4096], req[4096], body[32], branch[32];
	struct hl_sdp ans;
	unsigned int nk = (unsigned int)strlen(keys), sent;
	int i;

	_Static_assert(SIG_INFO_QUEUE + 1 < sizeof(keys) - 1, "presses beyond the bound");
	setup();
	i = srtp_call("z9hG4bKiq1", "iq1@trunk", sdp_offer, NULL, inv, sizeof(inv), totag,
		sizeof(totag), &ans);
	HL_CHECK(i >= 0);
	if (i < 0)
		goto out;
	uint64_t info0 = stats().ctr[HL_SIG_CTR_INFO_DTMF];
	for (unsigned int k = 0; k < nk; k++) {
		snprintf(body, sizeof(body), "Signal=%c\r\n", keys[k]);
		snprintf(branch, sizeof(branch), "z9hG4bKiqk%u", k);
		info_req(msg, sizeof(msg), NULL, "iq1@trunk", totag, branch, 2 + k,
			"application/dtmf-relay", body);
		feed(msg, addr('t', 5060));
		HL_CHECK_INT(status_of(0), 200);
		if (k == 0)
			i = relayed_info(5090, "application/dtmf-relay", "Signal=1\r\n", 2, req);
		else
			HL_CHECK_MSG(nout == 1, "press %u: %u sent, one in flight", k, nout);
	}
	HL_CHECK_INT(stats().ctr[HL_SIG_CTR_INFO_DTMF], info0 + nk);
	HL_CHECK(digits_end(keys));
	HL_CHECK_INT(stats().ctr[HL_SIG_CTR_INFO_DTMF_DROPPED], nk - 1 - SIG_INFO_QUEUE);
	/* the first is refused by the agent: counted, the call stays, the next goes */
	if (i >= 0)
		answer_req(req, 481, addr('a', 5090));
	HL_CHECK_INT(stats().ctr[HL_SIG_CTR_INFO_DTMF_FAILED], 1);
	HL_CHECK_MSG(find_out("BYE") < 0, "a 481 to an INFO ended the call");
	HL_CHECK(stats().calls == 1);
	for (sent = 1; sent <= SIG_INFO_QUEUE; sent++) {
		snprintf(body, sizeof(body), "Signal=%c\r\n", keys[sent]);
		i = relayed_info(5090, "application/dtmf-relay", body, 2 + sent, req);
		HL_CHECK_INT(nout, 1);
		if (i < 0)
			break;
		answer_req(req, 200, addr('a', 5090));
	}
	HL_CHECK_MSG(find_out("INFO") < 0, "a dropped press went");
	HL_CHECK_INT(stats().ctr[HL_SIG_CTR_INFO_DTMF_RELAYED], SIG_INFO_QUEUE);
	HL_CHECK_INT(stats().ctr[HL_SIG_CTR_INFO_DTMF_FAILED], 1);

	/* the queue is empty again: the next press goes at once */
	info_req(msg, sizeof(msg), NULL, "iq1@trunk", totag, "z9hG4bKiqz", 2 + nk,
		"application/dtmf-relay", "Signal=0\r\n");
	feed(msg, addr('t', 5060));
	i = relayed_info(5090, "application/dtmf-relay", "Signal=0\r\n", 3 + SIG_INFO_QUEUE, req);
	/* hung up with it in flight and two behind it: those are dropped with the leg */
	info_req(msg, sizeof(msg), NULL, "iq1@trunk", totag, "z9hG4bKiqy", 3 + nk,
		"application/dtmf-relay", "Signal=1\r\n");
	feed(msg, addr('t', 5060));
	info_req(msg, sizeof(msg), NULL, "iq1@trunk", totag, "z9hG4bKiqx", 4 + nk,
		"application/dtmf-relay", "Signal=2\r\n");
	feed(msg, addr('t', 5060));
	uint64_t dropped = stats().ctr[HL_SIG_CTR_INFO_DTMF_DROPPED];
	customer_req(msg, sizeof(msg), "BYE", "z9hG4bKiqw", "iq1@trunk", totag, 5 + nk);
	feed(msg, addr('t', 5060));
	agent_answers_bye();
	HL_CHECK(stats().calls == 0);
	HL_CHECK_INT(stats().ctr[HL_SIG_CTR_INFO_DTMF_DROPPED], dropped + 2);
	/* its late 481 finds no leg */
	if (i >= 0)
		answer_req(req, 481, addr('a', 5090));
	HL_CHECK_INT(nout, 0);
	advance(40000);
	HL_CHECK_INT(stats().transactions, 0);
out:
	teardown();
}

/* A peer that does not answer an INFO: Timer E resends it (T1, doubling to T2), Timer F
 * gives up at 64*T1 (info_dtmf_failed, a transaction timeout), the call stays, and the
 * press queued behind it goes then. */
HL_TEST(info_dtmf_retransmit_no_answer)
{
	char inv[4096], totag[64], msg[4096], req[4096], first[4096];
	struct hl_sdp ans;
	unsigned int resent = 0;
	int i;

	setup();
	i = srtp_call("z9hG4bKin1", "in1@trunk", sdp_offer, NULL, inv, sizeof(inv), totag,
		sizeof(totag), &ans);
	HL_CHECK(i >= 0);
	if (i < 0)
		goto out;
	info_req(msg, sizeof(msg), NULL, "in1@trunk", totag, "z9hG4bKin2", 2,
		"application/dtmf-relay", "Signal=3\r\nDuration=250\r\n");
	feed(msg, addr('t', 5060));
	i = relayed_info(5090, "application/dtmf-relay", "Signal=3\r\nDuration=250\r\n", 2, first);
	info_req(msg, sizeof(msg), NULL, "in1@trunk", totag, "z9hG4bKin3", 3,
		"application/dtmf-relay", "Signal=7\r\n");
	feed(msg, addr('t', 5060));
	HL_CHECK_INT(nout, 1);
	uint64_t retx0 = stats().ctr[HL_SIG_CTR_RETRANS_SENT];
	uint64_t to0 = stats().ctr[HL_SIG_CTR_TXN_TIMEOUT];
	/* in the first 30 s: at 0.5, 1.5, 3.5 and 7.5 s, then every T2 (4 s): 9 copies */
	for (unsigned int step = 0; step < 300; step++) {
		nout = 0;
		advance(100);
		for (unsigned int k = 0; k < nout; k++) {
			if (strcmp(out[k].buf, first) == 0)
				resent++;
			HL_CHECK_MSG(!is_method(k, "BYE"), "the call ended at %u ms", step * 100);
		}
	}
	HL_CHECK_INT(resent, 9);
	HL_CHECK_INT(stats().ctr[HL_SIG_CTR_RETRANS_SENT], retx0 + 9);
	HL_CHECK_INT(stats().ctr[HL_SIG_CTR_INFO_DTMF_FAILED], 0);
	HL_CHECK_INT(stats().ctr[HL_SIG_CTR_INFO_DTMF_RELAYED], 0);
	/* Timer F: 64*T1 = 32 s */
	nout = 0;
	advance(2500);
	HL_CHECK_INT(stats().ctr[HL_SIG_CTR_INFO_DTMF_FAILED], 1);
	HL_CHECK_INT(stats().ctr[HL_SIG_CTR_TXN_TIMEOUT], to0 + 1);
	HL_CHECK(stats().calls == 1);
	HL_CHECK_MSG(find_out("BYE") < 0, "a timed-out INFO ended the call");
	i = relayed_info(5090, "application/dtmf-relay", "Signal=7\r\n", 3, req);
	if (i >= 0)
		answer_req(req, 200, addr('a', 5090));
	HL_CHECK_INT(stats().ctr[HL_SIG_CTR_INFO_DTMF_RELAYED], 1);

	customer_req(msg, sizeof(msg), "BYE", "z9hG4bKin4", "in1@trunk", totag, 4);
	feed(msg, addr('t', 5060));
	agent_answers_bye();
	HL_CHECK(stats().calls == 0);
out:
	teardown();
}

/* Before the call is connected (the agent rings: the customer's early dialog) an INFO
 * press is answered and reported, and goes nowhere. */
HL_TEST(info_dtmf_before_connect)
{
	char inv[4096], msg[4096], v[256], totag[64];
	int i;

	setup();
	HL_CHECK(do_register("alice", "alicepw", 5090, 0) == 200);
	send_invite("+15550100", "z9hG4bKib1", "ib1@trunk");
	i = find_out("INVITE");
	HL_CHECK(i >= 0);
	if (i < 0)
		goto out;
	snprintf(inv, sizeof(inv), "%s", out[i].buf);
	agent_respond(inv, 180, 5090);
	i = find_out("180");
	HL_CHECK(i >= 0 && hdr((unsigned int)i, HL_SIP_HDR_TO, v, sizeof(v)) == 0);
	if (i < 0)
		goto out;
	param(v, ";tag=", totag, sizeof(totag));
	uint64_t info0 = stats().ctr[HL_SIG_CTR_INFO_DTMF];
	info_req(msg, sizeof(msg), NULL, "ib1@trunk", totag, "z9hG4bKib2", 2,
		"application/dtmf-relay", "Signal=8\r\nDuration=120\r\n");
	feed(msg, addr('t', 5060));
	HL_CHECK_INT(status_of(0), 200);
	HL_CHECK_INT(nout, 1);
	HL_CHECK_INT(stats().ctr[HL_SIG_CTR_INFO_DTMF], info0 + 1);
	HL_CHECK_INT(stats().last_dtmf, '8');
	HL_CHECK_INT(stats().last_dtmf_ms, 120);
	HL_CHECK(digits_end("8"));
	HL_CHECK_INT(stats().ctr[HL_SIG_CTR_INFO_DTMF_SUPPRESSED], 0);
	HL_CHECK_INT(stats().ctr[HL_SIG_CTR_INFO_DTMF_DROPPED], 0);
	/* the call goes on: answered, and the next press is relayed */
	agent_respond(inv, 200, 5090);
	HL_CHECK(find_out("200") >= 0);
	customer_req(msg, sizeof(msg), "ACK", "z9hG4bKib3", "ib1@trunk", totag, 1);
	feed(msg, addr('t', 5060));
	info_req(msg, sizeof(msg), NULL, "ib1@trunk", totag, "z9hG4bKib4", 3,
		"application/dtmf", "6");
	feed(msg, addr('t', 5060));
	HL_CHECK_INT(status_of(0), 200);
	HL_CHECK(relayed_info(5090, "application/dtmf", "6", 2, msg) >= 0);
	customer_req(msg, sizeof(msg), "BYE", "z9hG4bKib5", "ib1@trunk", totag, 4);
	feed(msg, addr('t', 5060));
	agent_answers_bye();
	HL_CHECK(stats().calls == 0);
out:
	teardown();
}

/* INFO bodies that are no key press: 415 for another (or no) Content-Type, 400 for a
 * DTMF one that names no key we know, both with Accept; nothing reported or relayed,
 * and the call is as it was. A Duration that is no number leaves the key alone. */
HL_TEST(info_bad_bodies)
{
	static char big[400];
	static const struct {
		const char *ctype, *body;
		int status;
		const char *relayed; /* the body the agent gets, for a 200 */
	} cases[] = {
		{NULL, "", 415, NULL},
		{NULL, "Signal=5\r\n", 415, NULL},
		{"text/plain", "Signal=5\r\n", 415, NULL},
		{"application/dtmf-relayx", "Signal=5\r\n", 415, NULL},
		{"application/sdp", "v=0\r\n", 415, NULL},
		{"application/dtmf-relay", "", 400, NULL},
		{"application/dtmf-relay", "Duration=100\r\n", 400, NULL},
		{"application/dtmf-relay", "Signal=\r\nDuration=100\r\n", 400, NULL},
		{"application/dtmf-relay", "Signal=X\r\n", 400, NULL},
		{"application/dtmf-relay", "Signal=55\r\n", 400, NULL},
		{"application/dtmf-relay", "Signal=16\r\n", 400, NULL},
		{"application/dtmf-relay", "Signal=5\r\nSignal=6\r\n", 400, NULL},
		{"application/dtmf-relay", "Signals=5\r\n", 400, NULL},
		{"application/dtmf-relay", "\r\n\r\n\r\n", 400, NULL},
		{"application/dtmf-relay", big, 400, NULL},
		{"application/dtmf", "", 400, NULL},
		{"application/dtmf", "12", 400, NULL},
		{"application/dtmf", "e", 400, NULL},
		{"application/dtmf", " \r\n", 400, NULL},
		{"application/dtmf-relay", "Signal=5\r\nDuration=abc\r\n", 200, "Signal=5\r\n"},
		{"application/dtmf-relay", "Signal=5\r\nDuration=99999999\r\n", 200,
			"Signal=5\r\n"},
		{"application/dtmf-relay", "Foo=bar\r\nSignal=*\r\nDuration=60", 200,
			"Signal=*\r\nDuration=60\r\n"},
		{"application/dtmf-relay;charset=US-ASCII", "Signal=d", 200, "Signal=D\r\n"},
		{"application/dtmf", "\r\n0\r\n", 200, "0"},
	};
	char inv[4096], totag[64], msg[4096], req[4096], branch[32];
	struct hl_sdp ans;
	unsigned int cseq = 2, ok = 0, bad = 0;
	int i;

	memset(big, ' ', sizeof(big) - 1);
	memcpy(big, "Signal=5\r\n", 10);
	setup();
	i = srtp_call("z9hG4bKibb", "ibb@trunk", sdp_offer, NULL, inv, sizeof(inv), totag,
		sizeof(totag), &ans);
	HL_CHECK(i >= 0);
	if (i < 0)
		goto out;
	uint64_t info0 = stats().ctr[HL_SIG_CTR_INFO_DTMF];
	for (unsigned int c = 0; c < HL_ARRAY_SIZE(cases); c++) {
		snprintf(branch, sizeof(branch), "z9hG4bKibb%u", c);
		info_req(msg, sizeof(msg), NULL, "ibb@trunk", totag, branch, cseq++, cases[c].ctype,
			cases[c].body);
		feed(msg, addr('t', 5060));
		HL_CHECK_MSG(status_of(0) == cases[c].status, "case %u: %d", c, status_of(0));
		if (cases[c].status != 200) {
			bad++;
			HL_CHECK_MSG(nout == 1, "case %u: %u sent", c, nout);
			HL_CHECK_MSG(strstr(out[0].buf, "\r\nAccept: application/dtmf-relay, "
							"application/dtmf\r\n") != NULL,
				"case %u: no Accept", c);
			continue;
		}
		ok++;
		const char *ct = strncmp(cases[c].ctype, "application/dtmf-relay", 22) == 0 ?
					 "application/dtmf-relay" : "application/dtmf";
		i = relayed_info(5090, ct, cases[c].relayed, 1 + ok, req);
		if (i >= 0)
			answer_req(req, 200, addr('a', 5090));
	}
	HL_CHECK_INT(stats().ctr[HL_SIG_CTR_INFO_DTMF], info0 + ok);
	HL_CHECK_INT(stats().ctr[HL_SIG_CTR_INFO_REFUSED], bad);
	HL_CHECK_INT(stats().ctr[HL_SIG_CTR_INFO_DTMF_RELAYED], ok);
	HL_CHECK(digits_end("55*D0"));
	HL_CHECK(stats().calls == 1);
	/* outside any dialog: 481 */
	info_req(msg, sizeof(msg), NULL, "ibb@trunk", "nosuchtag", "z9hG4bKibbx", cseq++,
		"application/dtmf-relay", "Signal=5\r\n");
	feed(msg, addr('t', 5060));
	HL_CHECK_INT(status_of(0), 481);

	customer_req(msg, sizeof(msg), "BYE", "z9hG4bKibby", "ibb@trunk", totag, cseq);
	feed(msg, addr('t', 5060));
	agent_answers_bye();
	HL_CHECK(stats().calls == 0);
	advance(40000);
	HL_CHECK_INT(stats().transactions, 0);
out:
	teardown();
}

/* ---- key presses between INFO and RFC 4733 ---- */

/* The presses control asked a worker to send as telephone-events (media_dtmf). */
static struct {
	uint8_t port_index;
	uint16_t local_port;
	char digit;
	uint32_t duration_ms;
} dtmf_cmds[8];
static unsigned int n_dtmf_cmds;
static int dtmf_cmd_rc; /* what cap_media_dtmf() answers: -ENOBUFS plays a full ring */

static int
cap_media_dtmf(void *ctx, uint8_t port_index, uint16_t local_port, char digit, uint32_t duration_ms)
{
	(void)ctx;
	if (dtmf_cmd_rc != 0)
		return dtmf_cmd_rc;
	if (n_dtmf_cmds < HL_ARRAY_SIZE(dtmf_cmds)) {
		dtmf_cmds[n_dtmf_cmds].port_index = port_index;
		dtmf_cmds[n_dtmf_cmds].local_port = local_port;
		dtmf_cmds[n_dtmf_cmds].digit = digit;
		dtmf_cmds[n_dtmf_cmds].duration_ms = duration_ms;
	}
	n_dtmf_cmds++;
	return 0;
}

/* setup_ops(1) with media_dtmf, and the tenants of text (NULL: tenants_text). */
static void
setup_interwork(const char *text)
{
	struct hl_sig_ops ops = {.send = cap_send,
		.route = cap_route,
		.media_set = cap_media_set,
		.media_dtmf = cap_media_dtmf};
	char err[256];

	setup_ops(1);
	n_dtmf_cmds = 0;
	dtmf_cmd_rc = 0;
	hl_sig_free(sig);
	hl_tenants_free(tenants);
	tenants = text != NULL ? hl_tenants_parse("t.conf", text, strlen(text), err, sizeof(err))
			       : hl_tenants_parse("t.conf", tenants_text, sizeof(tenants_text) - 1,
					 err, sizeof(err));
	HL_CHECK_MSG(tenants != NULL, "%s", err);
	sig = hl_sig_create(&cfg, tenants, NULL, &ops, now, 1700000000);
	HL_CHECK(sig != NULL);
}

/* A press the worker reports from leg l's media. */
static void
media_press(const struct hl_media_leg *l, char digit, uint8_t how, uint32_t ms)
{
	struct hl_media_event ev = {
		.call = l->call,
		.type = HL_MEDIA_EV_DTMF,
		.side = l->side,
		.digit = digit,
		.how = how,
		.local_port = l->local_port,
		.duration_ms = ms,
	};

	nout = 0;
	hl_sig_media_event(sig, &ev, now);
}

static const char iw_cust_te[] = "v=0\r\no=trunk 1 1 IN IP4 10.99.0.2\r\ns=-\r\n"
				 "c=IN IP4 10.99.0.2\r\nt=0 0\r\n"
				 "m=audio 6000 RTP/AVP 0 101\r\n"
				 "a=rtpmap:101 telephone-event/8000\r\na=sendrecv\r\n";
static const char iw_cust_plain[] = "v=0\r\no=trunk 1 1 IN IP4 10.99.0.2\r\ns=-\r\n"
				    "c=IN IP4 10.99.0.2\r\nt=0 0\r\nm=audio 6000 RTP/AVP 0\r\n"
				    "a=sendrecv\r\n";
static const char iw_agent_plain[] = "v=0\r\no=agent 2 2 IN IP4 10.99.98.2\r\ns=-\r\n"
				     "c=IN IP4 10.99.98.2\r\nt=0 0\r\nm=audio 7000 RTP/AVP 0\r\n";
static const char iw_agent_te[] = "v=0\r\no=agent 2 2 IN IP4 10.99.98.2\r\ns=-\r\n"
				  "c=IN IP4 10.99.98.2\r\nt=0 0\r\n"
				  "m=audio 7000 RTP/AVP 0 101\r\n"
				  "a=rtpmap:101 telephone-event/8000\r\n";

/*
 * Opus with telephone-events at two clocks. The customer offers them at 48000 (110) and
 * at 8000 (126): we answer with the one at the codec's clock, and the worker gets its
 * clock. The agent answers our offer with telephone-event/8000 alongside Opus: its leg
 * has events at 8000 on a 48 kHz codec (te_clock), the worker reading their durations
 * so. The two legs' events run at different clocks, so the worker relays none; a press
 * it reports from either goes to the other as events of its own (one command, the
 * key and duration, dtmf_rate_converted), not as INFO.
 */
HL_TEST(dtmf_opus_events_two_clocks)
{
	static const char cust[] = "v=0\r\no=trunk 1 1 IN IP4 10.99.0.2\r\ns=-\r\n"
				   "c=IN IP4 10.99.0.2\r\nt=0 0\r\n"
				   "m=audio 6000 RTP/AVP 111 110 126\r\n"
				   "a=rtpmap:111 opus/48000/2\r\n"
				   "a=rtpmap:110 telephone-event/48000\r\n"
				   "a=rtpmap:126 telephone-event/8000\r\na=sendrecv\r\n";
	static const char agent[] = "v=0\r\no=agent 2 2 IN IP4 10.99.98.2\r\ns=-\r\n"
				    "c=IN IP4 10.99.98.2\r\nt=0 0\r\n"
				    "m=audio 7000 RTP/AVP 111 101\r\n"
				    "a=rtpmap:111 opus/48000/2\r\n"
				    "a=rtpmap:101 telephone-event/8000\r\n";
	char inv[4096], totag[64];
	struct hl_sdp ans;
	const struct hl_media_leg *a, *b;
	int i;

	setup_interwork(NULL);
	i = srtp_call_legs("z9hG4bKte2", "te2@trunk", cust, agent, inv, sizeof(inv), totag,
		sizeof(totag), &ans, &a, &b);
	if (i < 0)
		goto out;
	HL_CHECK(strstr(out[i].buf, "a=rtpmap:110 telephone-event/48000") != NULL);
	HL_CHECK(strstr(out[i].buf, "telephone-event/8000") == NULL);
	HL_CHECK_INT(a->clock_rate, 48000);
	HL_CHECK_INT(a->te_pt, 110);
	HL_CHECK_INT(a->te_clock, 48000);
	HL_CHECK_INT(b->clock_rate, 48000);
	HL_CHECK_INT(b->te_pt, 101);
	HL_CHECK_INT(b->te_clock, 8000);
	struct hl_sig_stats st0 = stats();

	media_press(a, '5', HL_DTMF_END_BIT, 160);
	HL_CHECK_INT(nout, 0);
	HL_CHECK_INT(n_dtmf_cmds, 1);
	HL_CHECK(dtmf_cmds[0].local_port == b->local_port && dtmf_cmds[0].digit == '5' &&
		 dtmf_cmds[0].duration_ms == 160);
	media_press(b, '#', HL_DTMF_END_BIT, 120);
	HL_CHECK_INT(nout, 0);
	HL_CHECK_INT(n_dtmf_cmds, 2);
	HL_CHECK(dtmf_cmds[1].local_port == a->local_port && dtmf_cmds[1].digit == '#' &&
		 dtmf_cmds[1].duration_ms == 120);
	HL_CHECK_INT(stats().ctr[HL_SIG_CTR_DTMF_RATE_CONVERTED],
		st0.ctr[HL_SIG_CTR_DTMF_RATE_CONVERTED] + 2);
	HL_CHECK_INT(stats().ctr[HL_SIG_CTR_DTMF_TO_INFO], st0.ctr[HL_SIG_CTR_DTMF_TO_INFO]);
	/* the worker cannot take it: INFO, as for a peer without events */
	dtmf_cmd_rc = -ENOBUFS;
	media_press(a, '7', HL_DTMF_END_BIT, 100);
	HL_CHECK(find_out("INFO") >= 0);
	HL_CHECK_INT(stats().ctr[HL_SIG_CTR_DTMF_TO_INFO], st0.ctr[HL_SIG_CTR_DTMF_TO_INFO] + 1);
	dtmf_cmd_rc = 0;
out:
	teardown();
}

/*
 * The trunk negotiated telephone-event, the agent's softphone did not (it keys by INFO):
 * - a press the worker reports from the customer's events goes to the agent as one
 *   INFO (application/dtmf-relay, its duration) in the agent's dialog, dtmf_to_info,
 *   counted relayed at its 200; a second waits behind the first;
 * - a press heard as tones is not sent again by INFO (the audio carries it);
 * - the agent's INFO press goes to the customer as RFC 4733 events: one command for
 *   the customer's leg with the key and duration, no INFO to the trunk, dtmf_to_rtp;
 *   with the worker's command ring full it falls back to INFO.
 */
HL_TEST(dtmf_interworking_info_and_rfc4733)
{
	char inv[4096], totag[64], msg[4096], req[4096];
	struct hl_sdp ans;
	const struct hl_media_leg *a, *b;
	int i;

	setup_interwork(NULL);
	i = srtp_call_legs("z9hG4bKiw1", "iw1@trunk", iw_cust_te, iw_agent_plain, inv,
		sizeof(inv), totag, sizeof(totag), &ans, &a, &b);
	if (i < 0)
		goto out;
	HL_CHECK_INT(a->te_pt, 101);
	HL_CHECK_INT(b->te_pt, -1);
	struct hl_sig_stats st0 = stats();

	/* RFC 4733 from the customer -> INFO to the agent */
	media_press(a, '5', HL_DTMF_END_BIT, 160);
	i = relayed_info(5090, "application/dtmf-relay", "Signal=5\r\nDuration=160\r\n", 2, req);
	HL_CHECK_INT(nout, 1);
	HL_CHECK_INT(stats().ctr[HL_SIG_CTR_DTMF_TO_INFO], st0.ctr[HL_SIG_CTR_DTMF_TO_INFO] + 1);
	HL_CHECK_INT(stats().ctr[HL_SIG_CTR_DTMF_RTP], st0.ctr[HL_SIG_CTR_DTMF_RTP] + 1);
	HL_CHECK(digits_end("5"));
	/* the next press (a lost end, reported by timeout) waits for the first's answer */
	media_press(a, '#', HL_DTMF_END_TIMEOUT, 300);
	HL_CHECK_INT(nout, 0);
	HL_CHECK_INT(stats().ctr[HL_SIG_CTR_DTMF_TO_INFO], st0.ctr[HL_SIG_CTR_DTMF_TO_INFO] + 2);
	if (i >= 0)
		answer_req(req, 200, addr('a', 5090));
	HL_CHECK_INT(stats().ctr[HL_SIG_CTR_INFO_DTMF_RELAYED],
		st0.ctr[HL_SIG_CTR_INFO_DTMF_RELAYED] + 1);
	i = relayed_info(5090, "application/dtmf-relay", "Signal=#\r\nDuration=300\r\n", 3, req);
	if (i >= 0)
		answer_req(req, 200, addr('a', 5090));
	HL_CHECK_INT(stats().ctr[HL_SIG_CTR_INFO_DTMF_RELAYED],
		st0.ctr[HL_SIG_CTR_INFO_DTMF_RELAYED] + 2);
	/* a tone in the customer's audio is not sent twice; nor is flash */
	media_press(a, '9', HL_DTMF_END_TONE, 90);
	HL_CHECK_INT(nout, 0);
	media_press(a, HL_DTMF_FLASH, HL_DTMF_END_BIT, 90);
	HL_CHECK_INT(nout, 0);
	HL_CHECK_INT(stats().ctr[HL_SIG_CTR_DTMF_TO_INFO], st0.ctr[HL_SIG_CTR_DTMF_TO_INFO] + 2);
	/* an event naming another call's port is only reported */
	struct hl_media_leg other = *a;
	other.local_port = (uint16_t)(a->local_port + 2);
	media_press(&other, '1', HL_DTMF_END_BIT, 90);
	HL_CHECK_INT(nout, 0);

	/* INFO from the agent -> RFC 4733 to the customer */
	HL_CHECK_INT(n_dtmf_cmds, 0);
	info_req(msg, sizeof(msg), inv, NULL, NULL, "z9hG4bKiw2", 2, "application/dtmf-relay",
		"Signal=7\r\nDuration=250\r\n");
	feed(msg, addr('a', 5090));
	HL_CHECK_INT(status_of(0), 200);
	HL_CHECK_INT(nout, 1);
	HL_CHECK_MSG(find_out("INFO") < 0, "the trunk got an INFO");
	HL_CHECK_INT(n_dtmf_cmds, 1);
	HL_CHECK_INT(dtmf_cmds[0].local_port, a->local_port);
	HL_CHECK_INT(dtmf_cmds[0].port_index, a->port_index);
	HL_CHECK_INT(dtmf_cmds[0].digit, '7');
	HL_CHECK_INT(dtmf_cmds[0].duration_ms, 250);
	HL_CHECK_INT(stats().ctr[HL_SIG_CTR_DTMF_TO_RTP], st0.ctr[HL_SIG_CTR_DTMF_TO_RTP] + 1);
	HL_CHECK_INT(stats().ctr[HL_SIG_CTR_INFO_DTMF], st0.ctr[HL_SIG_CTR_INFO_DTMF] + 1);
	HL_CHECK_MSG(digits_end("5#9!17"), "'%s'", stats().last_dtmf_digits);
	/* application/dtmf, no duration: the worker picks one */
	info_req(msg, sizeof(msg), inv, NULL, NULL, "z9hG4bKiw3", 3, "application/dtmf", "b");
	feed(msg, addr('a', 5090));
	HL_CHECK_INT(n_dtmf_cmds, 2);
	HL_CHECK(dtmf_cmds[1].digit == 'B' && dtmf_cmds[1].duration_ms == 0);
	/* the worker's ring full: the press goes by INFO instead */
	dtmf_cmd_rc = -ENOBUFS;
	info_req(msg, sizeof(msg), inv, NULL, NULL, "z9hG4bKiw4", 4, "application/dtmf-relay",
		"Signal=3\r\n");
	feed(msg, addr('a', 5090));
	HL_CHECK_INT(n_dtmf_cmds, 2);
	i = relayed_info(5060, "application/dtmf-relay", "Signal=3\r\n", 2, req);
	if (i >= 0)
		answer_req(req, 200, addr('t', 5060));
	HL_CHECK_INT(stats().ctr[HL_SIG_CTR_DTMF_TO_RTP], st0.ctr[HL_SIG_CTR_DTMF_TO_RTP] + 2);

	customer_req(msg, sizeof(msg), "BYE", "z9hG4bKiw5", "iw1@trunk", totag, 2);
	feed(msg, addr('t', 5060));
	i = find_out("BYE");
	HL_CHECK(i >= 0);
	if (i >= 0) {
		char bye[4096];

		snprintf(bye, sizeof(bye), "%s", out[i].buf);
		/* a call that is ending takes a press as a report only */
		media_press(a, '4', HL_DTMF_END_BIT, 100);
		HL_CHECK_MSG(nout == 0, "sent after the BYE");
		agent_respond(bye, 200, 5090);
	}
	HL_CHECK(stats().calls == 0);
out:
	teardown();
}

/*
 * When both sides take the same form, nothing is converted: a trunk and an agent that
 * both negotiated telephone-event have their events relayed by the worker (control
 * sends no INFO for them) and INFO presses relayed as INFO (the sender chose INFO with
 * events at hand); two sides without it relay INFO as INFO. Before the agent answers a
 * media press is only reported.
 */
HL_TEST(dtmf_interworking_not_when_both_match)
{
	char inv[4096], totag[64], msg[4096], req[4096];
	struct hl_sdp ans;
	const struct hl_media_leg *a, *b;
	int i;

	/* both with telephone-event: events stay events */
	setup_interwork(NULL);
	i = srtp_call_legs("z9hG4bKnm1", "nm1@trunk", iw_cust_te, iw_agent_te, inv, sizeof(inv),
		totag, sizeof(totag), &ans, &a, &b);
	if (i >= 0) {
		media_press(a, '5', HL_DTMF_END_BIT, 100);
		HL_CHECK_INT(nout, 0);
		media_press(b, '6', HL_DTMF_END_BIT, 100);
		HL_CHECK_INT(nout, 0);
		HL_CHECK_INT(stats().ctr[HL_SIG_CTR_DTMF_TO_INFO], 0);
		/* the trunk keys by INFO anyway: relayed as INFO */
		info_req(msg, sizeof(msg), NULL, "nm1@trunk", totag, "z9hG4bKnm2", 2,
			"application/dtmf-relay", "Signal=1\r\nDuration=100\r\n");
		feed(msg, addr('t', 5060));
		i = relayed_info(
			5090, "application/dtmf-relay", "Signal=1\r\nDuration=100\r\n", 2, req);
		if (i >= 0)
			answer_req(req, 200, addr('a', 5090));
		HL_CHECK_INT(n_dtmf_cmds, 0);
		HL_CHECK_INT(stats().ctr[HL_SIG_CTR_DTMF_TO_RTP], 0);
		customer_req(msg, sizeof(msg), "BYE", "z9hG4bKnm3", "nm1@trunk", totag, 3);
		feed(msg, addr('t', 5060));
		agent_answers_bye();
	}
	teardown();

	/* neither: INFO relayed as INFO, no command */
	setup_interwork(NULL);
	i = srtp_call("z9hG4bKnm4", "nm2@trunk", iw_cust_plain, iw_agent_plain, inv, sizeof(inv),
		totag, sizeof(totag), &ans);
	HL_CHECK(i >= 0);
	if (i >= 0) {
		info_req(msg, sizeof(msg), NULL, "nm2@trunk", totag, "z9hG4bKnm5", 2,
			"application/dtmf", "2");
		feed(msg, addr('t', 5060));
		i = relayed_info(5090, "application/dtmf", "2", 2, req);
		if (i >= 0)
			answer_req(req, 200, addr('a', 5090));
		HL_CHECK_INT(n_dtmf_cmds, 0);
		HL_CHECK_INT(stats().ctr[HL_SIG_CTR_DTMF_TO_RTP], 0);
		customer_req(msg, sizeof(msg), "BYE", "z9hG4bKnm6", "nm2@trunk", totag, 3);
		feed(msg, addr('t', 5060));
		agent_answers_bye();
	}
	teardown();

	/* ringing: the customer's events are the IVR's, nobody else's */
	setup_interwork(NULL);
	HL_CHECK(do_register("alice", "alicepw", 5090, 0) == 200);
	send_invite_sdp("+15550100", "z9hG4bKnm7", "nm3@trunk", "Max-Forwards: 70\r\n", iw_cust_te);
	i = find_out("INVITE");
	HL_CHECK(i >= 0);
	if (i >= 0) {
		snprintf(inv, sizeof(inv), "%s", out[i].buf);
		respond_sdp(inv, 180, addr('a', 5090), NULL);
		a = last_push(0);
		if (a != NULL) {
			uint64_t d = stats().dtmf_events;
			media_press(a, '8', HL_DTMF_END_BIT, 100);
			HL_CHECK_INT(nout, 0);
			HL_CHECK_INT(stats().dtmf_events, d + 1);
		}
	}
	teardown();
}

/*
 * PCI (dtmf_to_agent = suppress): the customer's keys never reach the agent in either
 * form: its events to an agent without telephone-event become no INFO, its INFO to an
 * agent with telephone-event no command. The agent's keys still reach the customer,
 * converted: INFO to a trunk with telephone-event as events, events to a trunk without
 * as INFO.
 */
HL_TEST(dtmf_interworking_pci_suppress)
{
	char inv[4096], totag[64], msg[4096], req[4096];
	struct hl_sdp ans;
	const struct hl_media_leg *a, *b;
	int i;

	/* customer with telephone-event, agent without */
	setup_interwork(suppress_tenants);
	i = srtp_call_legs("z9hG4bKps1", "ps1@trunk", iw_cust_te, iw_agent_plain, inv,
		sizeof(inv), totag, sizeof(totag), &ans, &a, &b);
	if (i >= 0) {
		HL_CHECK_INT(a->dtmf_suppress, 1);
		media_press(a, '4', HL_DTMF_END_BIT, 100);
		HL_CHECK_MSG(nout == 0, "the customer's key went to the agent");
		HL_CHECK_INT(stats().ctr[HL_SIG_CTR_DTMF_TO_INFO], 0);
		HL_CHECK(digits_end("4"));
		/* the agent's INFO still reaches the customer, as events */
		info_req(msg, sizeof(msg), inv, NULL, NULL, "z9hG4bKps2", 2,
			"application/dtmf-relay", "Signal=9\r\nDuration=120\r\n");
		feed(msg, addr('a', 5090));
		HL_CHECK_INT(nout, 1);
		HL_CHECK(n_dtmf_cmds == 1 && dtmf_cmds[0].local_port == a->local_port &&
			 dtmf_cmds[0].digit == '9');
		customer_req(msg, sizeof(msg), "BYE", "z9hG4bKps3", "ps1@trunk", totag, 2);
		feed(msg, addr('t', 5060));
		agent_answers_bye();
	}
	teardown();

	/* customer without, agent with telephone-event */
	setup_interwork(suppress_tenants);
	i = srtp_call_legs("z9hG4bKps4", "ps2@trunk", iw_cust_plain, iw_agent_te, inv,
		sizeof(inv), totag, sizeof(totag), &ans, &a, &b);
	if (i >= 0) {
		info_req(msg, sizeof(msg), NULL, "ps2@trunk", totag, "z9hG4bKps5", 2,
			"application/dtmf-relay", "Signal=4\r\nDuration=100\r\n");
		feed(msg, addr('t', 5060));
		HL_CHECK_INT(status_of(0), 200);
		HL_CHECK_INT(nout, 1);
		HL_CHECK_MSG(n_dtmf_cmds == 0, "the customer's key was sent to the agent");
		HL_CHECK_INT(stats().ctr[HL_SIG_CTR_INFO_DTMF_SUPPRESSED], 1);
		HL_CHECK_INT(stats().ctr[HL_SIG_CTR_DTMF_TO_RTP], 0);
		/* the agent's events reach the customer as INFO */
		media_press(b, '0', HL_DTMF_END_BIT, 140);
		i = relayed_info(
			5060, "application/dtmf-relay", "Signal=0\r\nDuration=140\r\n", 2, req);
		if (i >= 0)
			answer_req(req, 200, addr('t', 5060));
		HL_CHECK_INT(stats().ctr[HL_SIG_CTR_DTMF_TO_INFO], 1);
		HL_CHECK_INT(stats().ctr[HL_SIG_CTR_INFO_DTMF_RELAYED], 1);
		customer_req(msg, sizeof(msg), "BYE", "z9hG4bKps6", "ps2@trunk", totag, 3);
		feed(msg, addr('t', 5060));
		agent_answers_bye();
	}
	teardown();
}


/* The acme tenant of tenants_text with dtmf_info = mode (NULL: not given). */
static const char *
info_mode_tenants(char *text, size_t cap, const char *mode)
{
	snprintf(text, cap,
		"[tenant acme]\nrealm = acme.test\ndomains = acme.test\ndids = +15550100\n"
		"trunks = 10.99.0.0/24\n%s%s%s[agent alice@acme]\npassword = alicepw\n",
		mode != NULL ? "dtmf_info = " : "", mode != NULL ? mode : "",
		mode != NULL ? "\n" : "");
	return text;
}

/*
 * One INFO press each way on a call whose trunk negotiated telephone-event and whose
 * agent did (agent_te) or not, for the tenant's dtmf_info mode: converted (one worker
 * command on the peer's leg, no INFO, dtmf_to_rtp) when conv_c (the customer's press)
 * and conv_a (the agent's) say so, else relayed as INFO.
 */
static void
info_mode_call(const char *mode, bool agent_te, bool conv_c, bool conv_a)
{
	char tn[1024], inv[4096], totag[64], msg[4096], req[4096];
	struct hl_sdp ans;
	const struct hl_media_leg *a, *b;
	unsigned int cmds = 0, acseq = 2, ccseq = 2;
	int i;

	setup_interwork(info_mode_tenants(tn, sizeof(tn), mode));
	i = srtp_call("z9hG4bKim1", "im1@trunk", iw_cust_te, agent_te ? iw_agent_te : iw_agent_plain,
		inv, sizeof(inv), totag, sizeof(totag), &ans);
	a = last_push(0);
	b = last_push(1);
	HL_CHECK_MSG(i >= 0 && a != NULL && b != NULL, "%s: no call", mode ? mode : "default");
	if (i < 0 || a == NULL || b == NULL)
		goto out;

	/* the customer's press, toward the agent */
	info_req(msg, sizeof(msg), NULL, "im1@trunk", totag, "z9hG4bKim2", 2,
		"application/dtmf-relay", "Signal=4\r\nDuration=120\r\n");
	feed(msg, addr('t', 5060));
	HL_CHECK_INT(status_of(0), 200);
	if (conv_c) {
		HL_CHECK_MSG(find_out("INFO") < 0, "%s: the agent got an INFO", mode);
		HL_CHECK_INT(n_dtmf_cmds, ++cmds);
		HL_CHECK_INT(dtmf_cmds[0].local_port, b->local_port);
		HL_CHECK(dtmf_cmds[0].digit == '4' && dtmf_cmds[0].duration_ms == 120);
	} else {
		HL_CHECK_INT(n_dtmf_cmds, cmds);
		i = relayed_info(
			5090, "application/dtmf-relay", "Signal=4\r\nDuration=120\r\n", acseq++, req);
		if (i >= 0)
			answer_req(req, 200, addr('a', 5090));
	}

	/* the agent's, toward the customer */
	nout = 0;
	info_req(msg, sizeof(msg), inv, NULL, NULL, "z9hG4bKim3", 2, "application/dtmf-relay",
		"Signal=8\r\nDuration=200\r\n");
	feed(msg, addr('a', 5090));
	HL_CHECK_INT(status_of(0), 200);
	if (conv_a) {
		HL_CHECK_MSG(find_out("INFO") < 0, "%s: the trunk got an INFO", mode);
		HL_CHECK_INT(n_dtmf_cmds, ++cmds);
		HL_CHECK_INT(dtmf_cmds[cmds - 1].local_port, a->local_port);
		HL_CHECK(dtmf_cmds[cmds - 1].digit == '8' && dtmf_cmds[cmds - 1].duration_ms == 200);
	} else {
		HL_CHECK_INT(n_dtmf_cmds, cmds);
		i = relayed_info(
			5060, "application/dtmf-relay", "Signal=8\r\nDuration=200\r\n", ccseq++, req);
		if (i >= 0)
			answer_req(req, 200, addr('t', 5060));
	}
	HL_CHECK_INT(stats().ctr[HL_SIG_CTR_DTMF_TO_RTP], cmds);
	HL_CHECK_INT(stats().ctr[HL_SIG_CTR_INFO_DTMF], 2);

	customer_req(msg, sizeof(msg), "BYE", "z9hG4bKim4", "im1@trunk", totag, 3);
	feed(msg, addr('t', 5060));
	agent_answers_bye();
	HL_CHECK(stats().calls == 0);
out:
	teardown();
}

/*
 * dtmf_info: auto (the default, given or not) converts an INFO press only toward a
 * side with telephone-event from one without; rfc4733 toward any side with it, the
 * sender's SDP aside (agent phones that offer telephone-event and key by INFO alone);
 * info never, relaying INFO even toward a trunk that negotiated telephone-event.
 */
HL_TEST(dtmf_interworking_info_modes)
{
	/* both sides with telephone-event */
	info_mode_call(NULL, true, false, false);
	info_mode_call("auto", true, false, false);
	info_mode_call("rfc4733", true, true, true);
	info_mode_call("info", true, false, false);
	/* the agent without: its press goes as events to the trunk unless info; the
	 * customer's stays INFO in every mode, the agent having no events to take */
	info_mode_call(NULL, false, false, true);
	info_mode_call("auto", false, false, true);
	info_mode_call("rfc4733", false, false, true);
	info_mode_call("info", false, false, false);
}
/* Key presses by INFO count in their side's dtmf in the call record, with the media's
 * from the worker's figures; a side whose figures never come keeps its INFO presses. */
HL_TEST(cdr_info_presses)
{
	char inv[4096], totag[64], msg[4096];
	struct hl_sdp ans;
	struct hl_media_leg a;

	for (int figures_b = 1; figures_b >= 0; figures_b--) {
		setup_cdr(NULL);
		int i = srtp_call("z9hG4bKcdi1", "cdi1@trunk", sdp_offer, NULL, inv, sizeof(inv),
			totag, sizeof(totag), &ans);
		HL_CHECK(i >= 0 && last_push(0) != NULL && last_push(1) != NULL);
		if (i < 0 || last_push(0) == NULL || last_push(1) == NULL) {
			teardown();
			continue;
		}
		a = *last_push(0);
		struct hl_media_leg b = *last_push(1);
		/* two from the customer (the first still unanswered by the agent when the
		 * second comes), one from the agent, one refused */
		static const char *const keys[] = {"Signal=1\r\n", "Signal=2\r\n", "Signal=X\r\n"};
		for (unsigned int k = 0; k < 3; k++) {
			char br[32];
			snprintf(br, sizeof(br), "z9hG4bKcdik%u", k);
			info_req(msg, sizeof(msg), NULL, "cdi1@trunk", totag, br, 2 + k,
				"application/dtmf-relay", keys[k]);
			feed(msg, addr('t', 5060));
			HL_CHECK_INT(status_of(0), k < 2 ? 200 : 400);
		}
		info_req(msg, sizeof(msg), inv, NULL, NULL, "z9hG4bKcdia", 2, "application/dtmf",
			"9");
		feed(msg, addr('a', 5090));
		HL_CHECK_INT(status_of(0), 200);
		customer_req(msg, sizeof(msg), "BYE", "z9hG4bKcdib", "cdi1@trunk", totag, 9);
		feed(msg, addr('t', 5060));
		agent_answers_bye();
		HL_CHECK(stats().calls == 0);
		leg_final(&a, 300, 3);
		if (figures_b)
			leg_final(&b, 300, 0);
		else
			advance(SIG_CDR_WAIT_MS + 1100);
		HL_CHECK_INT(ncdr, 1);
		if (ncdr == 1) {
			HL_CHECK_INT(cdrs[0].leg[0].state, HL_CDR_LEG_FIGURES);
			HL_CHECK_INT(cdrs[0].leg[0].dtmf, 3 + 2);
			HL_CHECK_INT(cdrs[0].leg[1].state,
				figures_b ? HL_CDR_LEG_FIGURES : HL_CDR_LEG_MISSING);
			HL_CHECK_INT(cdrs[0].leg[1].dtmf, 1);
		}
		teardown();
	}
}

/* ---- UPDATE with SDP (RFC 3311): offers in confirmed and early dialogs ---- */

/* The customer's SDP in an UPDATE: o= version ver, audio at ip:port, formats fmts
 * (101 is telephone-event), direction dir. */
static void
upd_sdp(char *text, size_t cap, unsigned int ver, const char *ip, uint16_t port,
	const char *fmts, const char *dir)
{
	snprintf(text, cap,
		"v=0\r\no=trunk 1 %u IN IP4 10.99.0.2\r\ns=-\r\nc=IN IP4 %s\r\nt=0 0\r\n"
		"m=audio %u RTP/AVP %s\r\na=rtpmap:101 telephone-event/8000\r\na=%s\r\n", ver, ip,
		port, fmts, dir);
}

/* The customer's UPDATE in call callid with SDP sdp (NULL: none), CSeq cseq. */
static void
customer_update(const char *branch, const char *callid, const char *totag, unsigned int cseq,
	const char *sdp)
{
	char msg[4096];

	customer_req_sdp(msg, sizeof(msg), "UPDATE", branch, callid, totag, cseq, sdp);
	feed(msg, addr('t', 5060));
}

/* The agent's answer to a held re-INVITE of ours. */
static const char agent_recvonly[] = "v=0\r\no=agent 2 3 IN IP4 10.99.98.2\r\ns=-\r\n"
				     "c=IN IP4 10.99.98.2\r\nt=0 0\r\nm=audio 7000 RTP/AVP 8 101\r\n"
				     "a=rtpmap:101 telephone-event/8000\r\na=recvonly\r\n";

/* Output i is a 500 with a Retry-After of 0 to 10 s (RFC 3311 §5.2). */
static int
is_retry_500(unsigned int i)
{
	const char *v = i < nout ? strstr(out[i].buf, "\r\nRetry-After: ") : NULL;

	return status_of(i) == 500 && v != NULL && v[15] >= '0' && v[15] <= '9' &&
	       atoi(v + 15) <= 10 && (v[16] == '\r' || (v[15] == '1' && v[16] == '0'));
}

/*
 * A hold by UPDATE on a confirmed call is the peer's to know: hotline offers it on to
 * the agent in a re-INVITE (sendonly, the codec the leg runs), and the UPDATE waits;
 * its retransmission gets nothing. The agent's refusal is ours, and nothing moved, so
 * the same offer again is asked again. The agent's answer makes ours, in the UPDATE's
 * 200 (no ACK to come), which the transaction resends to a retransmission, and the
 * customer's leg goes to the worker held. A resume goes the same way.
 */
HL_TEST(update_hold_relayed)
{
	char inv[4096], totag[64], sdp[1024], rinv[4096], msg[4096];
	struct hl_sdp ans;
	int i;

	setup_ops(1);
	i = srtp_call("z9hG4bKuh1", "uh1@trunk", sdp_offer, NULL, inv, sizeof(inv), totag,
		sizeof(totag), &ans);
	HL_CHECK(i >= 0);
	if (i < 0)
		goto out;
	npushed = 0;
	upd_sdp(sdp, sizeof(sdp), 2, "10.99.0.2", 6000, "0 8 101", "sendonly");
	customer_update("z9hG4bKuh1u", "uh1@trunk", totag, 2, sdp);
	i = find_out("INVITE");
	HL_CHECK(i >= 0 && out[i].dst.port == 5090);
	if (i < 0)
		goto out;
	snprintf(rinv, sizeof(rinv), "%s", out[i].buf);
	/* the agent refuses: so do we, and nothing moved */
	agent_respond(rinv, 488, 5090);
	i = find_out("488");
	HL_CHECK(i >= 0 && out[i].dst.port == 5060 && strstr(out[i].buf, "CSeq: 2 UPDATE\r\n"));
	HL_CHECK_INT(npushed, 0);
	HL_CHECK_INT(stats().ctr[HL_SIG_CTR_UPDATE_REFUSED], 1);

	/* the same offer again is no refresh: the agent is asked again */
	customer_req_sdp(msg, sizeof(msg), "UPDATE", "z9hG4bKuh2", "uh1@trunk", totag, 3, sdp);
	feed(msg, addr('t', 5060));
	HL_CHECK(find_out("200") < 0 && find_out("488") < 0);
	i = find_out("INVITE");
	HL_CHECK(i >= 0 && out[i].dst.port == 5090);
	if (i < 0)
		goto out;
	HL_CHECK(strstr(out[i].buf, "a=sendonly\r\n") != NULL);
	HL_CHECK(strstr(out[i].buf, " RTP/AVP 8 101\r\n") != NULL);
	snprintf(rinv, sizeof(rinv), "%s", out[i].buf);
	HL_CHECK_INT(stats().ctr[HL_SIG_CTR_UPDATE_OFFERS_IN], 2);
	HL_CHECK_INT(stats().ctr[HL_SIG_CTR_UPDATE_RELAYED], 2);
	feed(msg, addr('t', 5060));
	HL_CHECK_INT(nout, 0);

	respond_sdp(rinv, 200, addr('a', 5090), agent_recvonly);
	HL_CHECK(find_out("ACK") >= 0);
	i = find_out("200");
	HL_CHECK(i >= 0 && out[i].dst.port == 5060);
	if (i < 0)
		goto out;
	HL_CHECK(strstr(out[i].buf, "CSeq: 3 UPDATE\r\n") != NULL);
	HL_CHECK(strstr(out[i].buf, "a=recvonly\r\n") != NULL);
	HL_CHECK(strstr(out[i].buf, "c=IN IP4 10.99.0.1\r\n") != NULL);
	HL_CHECK(strstr(out[i].buf, " RTP/AVP 8 101\r\n") != NULL);
	HL_CHECK(strstr(out[i].buf, "Contact: <sip:hotline@") != NULL);
	HL_CHECK(last_push(0) != NULL && last_push(0)->recv_only);
	feed(msg, addr('t', 5060));
	HL_CHECK(status_of(0) == 200 && strstr(out[0].buf, "a=recvonly\r\n") != NULL);

	/* resume */
	upd_sdp(sdp, sizeof(sdp), 3, "10.99.0.2", 6000, "0 8 101", "sendrecv");
	customer_update("z9hG4bKuh3", "uh1@trunk", totag, 4, sdp);
	i = find_out("INVITE");
	HL_CHECK(i >= 0 && find_out("200") < 0);
	if (i < 0)
		goto out;
	HL_CHECK(strstr(out[i].buf, "a=sendrecv\r\n") != NULL);
	snprintf(rinv, sizeof(rinv), "%s", out[i].buf);
	agent_respond(rinv, 200, 5090);
	i = find_out("200");
	HL_CHECK(i >= 0 && strstr(out[i].buf, "CSeq: 4 UPDATE\r\n") != NULL &&
		strstr(out[i].buf, "a=sendrecv\r\n") != NULL);
	HL_CHECK(last_push(0) != NULL && !last_push(0)->recv_only);
	HL_CHECK_INT(stats().ctr[HL_SIG_CTR_UPDATE_RELAYED], 3);
	HL_CHECK_INT(stats().ctr[HL_SIG_CTR_UPDATE_REFUSED], 1);

	customer_req(msg, sizeof(msg), "BYE", "z9hG4bKuh4", "uh1@trunk", totag, 5);
	feed(msg, addr('t', 5060));
	agent_answers_bye();
	HL_CHECK(stats().calls == 0);
	advance(40000);
	HL_CHECK(stats().transactions == 0 && stats().dialogs == 0);
out:
	teardown();
}

/*
 * A new address, port or payload type in an UPDATE is ours alone to take (we anchor
 * the media): answered at once, without asking the agent, with the next version of
 * our SDP at the same address and port, and the worker gets the customer's leg moved.
 * The same SDP again is a refresh: our answer repeated, the worker left alone. Refused
 * with nothing changed: no codec of ours (488), SDP that does not parse (488), a body
 * that is not SDP (415); the SDP last taken is still a refresh after them.
 */
HL_TEST(update_media_change)
{
	char inv[4096], totag[64], sdp[1024], first[1024], ans1[2048], msg[4096];
	struct hl_sdp ans, re;
	const struct hl_media_leg *a;
	int i;

	setup_ops(1);
	i = srtp_call("z9hG4bKum1", "um1@trunk", sdp_offer, NULL, inv, sizeof(inv), totag,
		sizeof(totag), &ans);
	HL_CHECK(i >= 0);
	if (i < 0)
		goto out;
	uint16_t aport = ans.media[0].port;
	npushed = 0;
	snprintf(first, sizeof(first),
		"v=0\r\no=trunk 1 2 IN IP4 10.99.0.2\r\ns=-\r\nc=IN IP4 10.99.0.7\r\nt=0 0\r\n"
		"m=audio 6010 RTP/AVP 8 96\r\na=rtpmap:96 telephone-event/8000\r\n");
	customer_update("z9hG4bKum2", "um1@trunk", totag, 2, first);
	i = find_out("200");
	HL_CHECK(i >= 0 && find_out("INVITE") < 0 && out[i].dst.port == 5060);
	if (i < 0 || sdp_of((unsigned int)i, &re) != 0) {
		HL_CHECK_MSG(0, "no SDP in the UPDATE's 200");
		goto out;
	}
	HL_CHECK(strstr(out[i].buf, "CSeq: 2 UPDATE\r\n") != NULL);
	HL_CHECK_INT(re.media[0].port, aport);
	HL_CHECK(strstr(out[i].buf, "c=IN IP4 10.99.0.1\r\n") != NULL);
	HL_CHECK(strstr(out[i].buf, " RTP/AVP 8 96\r\n") != NULL);
	HL_CHECK(strstr(out[i].buf, "o=hotline ") != NULL &&
		strstr(out[i].buf, " 2 IN IP4") != NULL);
	snprintf(ans1, sizeof(ans1), "%s", body_of((unsigned int)i));
	a = last_push(0);
	HL_CHECK(a != NULL && a->remote_port == 6010 && ip4_is(a->remote_ip, "10.99.0.7") &&
		a->codec_pt == 8 && a->te_pt == 96 && !a->recv_only);
	HL_CHECK_INT(stats().ctr[HL_SIG_CTR_UPDATE_RELAYED], 0);

	/* the same again: a refresh */
	npushed = 0;
	customer_update("z9hG4bKum3", "um1@trunk", totag, 3, first);
	i = find_out("200");
	HL_CHECK(i >= 0 && find_out("INVITE") < 0);
	HL_CHECK(i >= 0 && strcmp(body_of((unsigned int)i), ans1) == 0);
	HL_CHECK_INT(npushed, 0);

	/* G.729 alone: none of ours, and nothing transcodes */
	upd_sdp(sdp, sizeof(sdp), 3, "10.99.0.2", 6020, "18 101", "sendrecv");
	customer_update("z9hG4bKum4", "um1@trunk", totag, 4, sdp);
	HL_CHECK_INT(status_of(0), 488);
	HL_CHECK_INT(nout, 1);
	/* SDP that does not parse */
	customer_update("z9hG4bKum5", "um1@trunk", totag, 5, "v=0\r\nm=audio 6030 RTP/AVP 8\r\n");
	HL_CHECK_INT(status_of(0), 488);
	/* not SDP at all */
	snprintf(msg, sizeof(msg),
		"UPDATE sip:hotline@10.99.0.1:5060 SIP/2.0\r\nVia: SIP/2.0/UDP 10.99.0.2:5060;"
		"branch=z9hG4bKum6\r\nMax-Forwards: 70\r\nFrom: <sip:+4930123@trunk.test>;tag=c1\r\n"
		"To: <sip:+15550100@10.99.0.1>;tag=%s\r\nCall-ID: um1@trunk\r\nCSeq: 6 UPDATE\r\n"
		"Content-Type: text/plain\r\nContent-Length: 5\r\n\r\nhold\n", totag);
	feed(msg, addr('t', 5060));
	HL_CHECK_INT(status_of(0), 415);
	HL_CHECK(strstr(out[0].buf, "Accept: application/sdp\r\n") != NULL);
	HL_CHECK_INT(npushed, 0);
	HL_CHECK_INT(stats().ctr[HL_SIG_CTR_UPDATE_REFUSED], 3);
	a = last_push(0);
	HL_CHECK(a == NULL);

	/* what was taken last is still what the leg has */
	customer_update("z9hG4bKum7", "um1@trunk", totag, 7, first);
	i = find_out("200");
	HL_CHECK(i >= 0 && strcmp(body_of((unsigned int)i), ans1) == 0);
	HL_CHECK_INT(npushed, 0);
	HL_CHECK_INT(stats().ctr[HL_SIG_CTR_UPDATE_OFFERS_IN], 6);

	customer_req(msg, sizeof(msg), "BYE", "z9hG4bKum8", "um1@trunk", totag, 8);
	feed(msg, addr('t', 5060));
	agent_answers_bye();
	advance(40000);
	HL_CHECK(stats().calls == 0 && stats().transactions == 0 && stats().dialogs == 0);
out:
	teardown();
}

/*
 * A codec change: the call runs PCMA (alice's choice) and the customer's UPDATE offers
 * PCMU alone. The legs relay one codec untranscoded, so the agent is offered PCMU in a
 * re-INVITE; its answer makes ours, and both legs go to the worker on PCMU. A
 * re-INVITE back to PCMA goes the same way.
 */
HL_TEST(update_codec_change)
{
	char inv[4096], totag[64], sdp[1024], rinv[4096], msg[4096];
	static const char agent_pcmu[] = "v=0\r\no=agent 2 3 IN IP4 10.99.98.2\r\ns=-\r\n"
		"c=IN IP4 10.99.98.2\r\nt=0 0\r\nm=audio 7000 RTP/AVP 0 101\r\n"
		"a=rtpmap:101 telephone-event/8000\r\n";
	struct hl_sdp ans;
	int i;

	setup_ops(1);
	i = srtp_call("z9hG4bKuc1", "uc1@trunk", sdp_offer, NULL, inv, sizeof(inv), totag,
		sizeof(totag), &ans);
	HL_CHECK(i >= 0 && last_push(0) != NULL && last_push(0)->codec_pt == 8);
	if (i < 0)
		goto out;
	npushed = 0;
	upd_sdp(sdp, sizeof(sdp), 2, "10.99.0.2", 6000, "0 101", "sendrecv");
	customer_update("z9hG4bKuc2", "uc1@trunk", totag, 2, sdp);
	i = find_out("INVITE");
	HL_CHECK(i >= 0 && out[i].dst.port == 5090 && find_out("200") < 0);
	if (i < 0)
		goto out;
	HL_CHECK(strstr(out[i].buf, " RTP/AVP 0 101\r\n") != NULL);
	snprintf(rinv, sizeof(rinv), "%s", out[i].buf);
	respond_sdp(rinv, 200, addr('a', 5090), agent_pcmu);
	i = find_out("200");
	HL_CHECK(i >= 0 && out[i].dst.port == 5060 && strstr(out[i].buf, "CSeq: 2 UPDATE\r\n"));
	HL_CHECK(i >= 0 && strstr(body_of((unsigned int)i), " RTP/AVP 0 101\r\n") != NULL);
	HL_CHECK(last_push(0) != NULL && last_push(0)->codec_pt == 0);
	HL_CHECK(last_push(1) != NULL && last_push(1)->codec_pt == 0);
	HL_CHECK_INT(stats().ctr[HL_SIG_CTR_UPDATE_RELAYED], 1);

	/* back to PCMA by re-INVITE */
	upd_sdp(sdp, sizeof(sdp), 3, "10.99.0.2", 6000, "8 101", "sendrecv");
	customer_reinvite("z9hG4bKuc3", "uc1@trunk", totag, 3, sdp);
	i = find_out("INVITE");
	HL_CHECK(i >= 0 && out[i].dst.port == 5090);
	if (i < 0)
		goto out;
	HL_CHECK(strstr(out[i].buf, " RTP/AVP 8 101\r\n") != NULL);
	snprintf(rinv, sizeof(rinv), "%s", out[i].buf);
	agent_respond(rinv, 200, 5090);
	i = find_out("200");
	HL_CHECK(i >= 0 && strstr(body_of((unsigned int)i), " RTP/AVP 8 101\r\n") != NULL);
	HL_CHECK(last_push(0) != NULL && last_push(0)->codec_pt == 8);
	HL_CHECK(last_push(1) != NULL && last_push(1)->codec_pt == 8);
	customer_req(msg, sizeof(msg), "ACK", "z9hG4bKuc3", "uc1@trunk", totag, 3);
	feed(msg, addr('t', 5060));

	customer_req(msg, sizeof(msg), "BYE", "z9hG4bKuc4", "uc1@trunk", totag, 4);
	feed(msg, addr('t', 5060));
	agent_answers_bye();
	advance(40000);
	HL_CHECK(stats().calls == 0 && stats().transactions == 0 && stats().dialogs == 0);
out:
	teardown();
}

/*
 * RFC 3311 §5.2 and RFC 3261 §14 on both dialogs. While the customer's hold UPDATE
 * waits for the agent's answer (their offer, ours on the agent's dialog): a second
 * UPDATE offer and a re-INVITE from the customer get 500 with Retry-After; the agent's
 * re-INVITE and UPDATE cross our re-INVITE, 491. While our re-INVITE (the agent's hold
 * relayed) waits for the customer's answer, the customer's UPDATE offer gets 491.
 */
HL_TEST(update_glare)
{
	char inv[4096], totag[64], sdp[1024], rinv[4096], msg[4096];
	struct hl_sdp ans;
	int i;

	setup_ops(1);
	i = srtp_call("z9hG4bKug1", "ug1@trunk", sdp_offer, NULL, inv, sizeof(inv), totag,
		sizeof(totag), &ans);
	HL_CHECK(i >= 0);
	if (i < 0)
		goto out;
	/* our INVITE to the agent is over (Timer M): only the crossing counts below */
	advance(64 * 500 + 1000);
	upd_sdp(sdp, sizeof(sdp), 2, "10.99.0.2", 6000, "0 8 101", "sendonly");
	customer_update("z9hG4bKug2", "ug1@trunk", totag, 2, sdp);
	i = find_out("INVITE");
	HL_CHECK(i >= 0);
	if (i < 0)
		goto out;
	snprintf(rinv, sizeof(rinv), "%s", out[i].buf);

	upd_sdp(sdp, sizeof(sdp), 3, "10.99.0.2", 6002, "0 8 101", "sendonly");
	customer_update("z9hG4bKug3", "ug1@trunk", totag, 3, sdp);
	HL_CHECK(nout == 1 && is_retry_500(0));
	customer_reinvite("z9hG4bKug4", "ug1@trunk", totag, 4, sdp);
	HL_CHECK(find_out("INVITE") < 0);
	HL_CHECK(find_out("500") >= 0 && is_retry_500((unsigned int)find_out("500")));
	/* a session refresh by UPDATE too: our final to the first is still due */
	customer_update("z9hG4bKug4u", "ug1@trunk", totag, 5, NULL);
	HL_CHECK(nout == 1 && is_retry_500(0));

	snprintf(sdp, sizeof(sdp), "v=0\r\no=agent 2 3 IN IP4 10.99.98.2\r\ns=-\r\n"
		"c=IN IP4 10.99.98.2\r\nt=0 0\r\nm=audio 7000 RTP/AVP 8 101\r\n"
		"a=rtpmap:101 telephone-event/8000\r\na=sendonly\r\n");
	agent_req(msg, sizeof(msg), inv, "INVITE", "z9hG4bKugb1", 1, sdp);
	feed(msg, addr('a', 5090));
	HL_CHECK(find_out("491") >= 0 && find_out("INVITE") < 0);
	agent_req(msg, sizeof(msg), inv, "ACK", "z9hG4bKugb1", 1, NULL);
	feed(msg, addr('a', 5090));
	agent_req(msg, sizeof(msg), inv, "UPDATE", "z9hG4bKugb2", 2, sdp);
	feed(msg, addr('a', 5090));
	HL_CHECK(nout == 1 && status_of(0) == 491);

	respond_sdp(rinv, 200, addr('a', 5090), agent_recvonly);
	i = find_out("200");
	HL_CHECK(i >= 0 && strstr(out[i].buf, "CSeq: 2 UPDATE\r\n") != NULL);

	/* the agent holds too: our re-INVITE to the customer is out */
	snprintf(sdp, sizeof(sdp), "v=0\r\no=agent 2 4 IN IP4 10.99.98.2\r\ns=-\r\n"
		"c=IN IP4 10.99.98.2\r\nt=0 0\r\nm=audio 7000 RTP/AVP 8 101\r\n"
		"a=rtpmap:101 telephone-event/8000\r\na=sendonly\r\n");
	agent_req(msg, sizeof(msg), inv, "INVITE", "z9hG4bKugb3", 3, sdp);
	feed(msg, addr('a', 5090));
	i = find_out("INVITE");
	HL_CHECK(i >= 0 && out[i].dst.port == 5060);
	if (i < 0)
		goto out;
	snprintf(rinv, sizeof(rinv), "%s", out[i].buf);
	upd_sdp(sdp, sizeof(sdp), 3, "10.99.0.2", 6004, "0 8 101", "sendonly");
	customer_update("z9hG4bKug5", "ug1@trunk", totag, 6, sdp);
	HL_CHECK(nout == 1 && status_of(0) == 491);
	HL_CHECK_INT(stats().ctr[HL_SIG_CTR_UPDATE_OFFERS_IN], 4);
	HL_CHECK_INT(stats().ctr[HL_SIG_CTR_UPDATE_REFUSED], 3);

	upd_sdp(sdp, sizeof(sdp), 3, "10.99.0.2", 6000, "8 101", "inactive");
	respond_sdp(rinv, 200, addr('t', 5060), sdp);
	HL_CHECK(find_out("ACK") >= 0 && find_out("200") >= 0);
	agent_req(msg, sizeof(msg), inv, "ACK", "z9hG4bKugb3a", 3, NULL);
	feed(msg, addr('a', 5090));

	customer_req(msg, sizeof(msg), "BYE", "z9hG4bKug6", "ug1@trunk", totag, 7);
	feed(msg, addr('t', 5060));
	agent_answers_bye();
	advance(40000);
	HL_CHECK(stats().calls == 0 && stats().transactions == 0 && stats().dialogs == 0);
out:
	teardown();
}

/*
 * The agent's side: an UPDATE from the agent's phone that moves its media (a new
 * address and port) is answered at once with our SDP of the agent's leg, the customer
 * not asked, and the agent's leg goes to the worker moved. Its hold goes on to the
 * customer as a re-INVITE whose answer makes ours.
 */
HL_TEST(update_from_agent)
{
	char inv[4096], totag[64], sdp[1024], rinv[4096], msg[4096];
	struct hl_sdp ans;
	const struct hl_media_leg *b;
	int i;

	setup_ops(1);
	i = srtp_call("z9hG4bKua1", "ua1@trunk", sdp_offer, NULL, inv, sizeof(inv), totag,
		sizeof(totag), &ans);
	HL_CHECK(i >= 0);
	if (i < 0)
		goto out;
	advance(64 * 500 + 1000); /* Timer M of our INVITE */
	npushed = 0;
	snprintf(sdp, sizeof(sdp), "v=0\r\no=agent 2 3 IN IP4 10.99.98.2\r\ns=-\r\n"
		"c=IN IP4 10.99.98.9\r\nt=0 0\r\nm=audio 7010 RTP/AVP 8 101\r\n"
		"a=rtpmap:101 telephone-event/8000\r\n");
	agent_req(msg, sizeof(msg), inv, "UPDATE", "z9hG4bKuab1", 1, sdp);
	feed(msg, addr('a', 5090));
	HL_CHECK(nout == 1 && status_of(0) == 200 && out[0].dst.port == 5090);
	HL_CHECK(strstr(body_of(0), "c=IN IP4 10.99.98.1\r\n") != NULL &&
		strstr(body_of(0), " RTP/AVP 8 101\r\n") != NULL);
	b = last_push(1);
	HL_CHECK(b != NULL && b->remote_port == 7010 && ip4_is(b->remote_ip, "10.99.98.9"));
	HL_CHECK(last_push(0) == NULL || last_push(0)->remote_port == 6000);

	snprintf(sdp, sizeof(sdp), "v=0\r\no=agent 2 4 IN IP4 10.99.98.2\r\ns=-\r\n"
		"c=IN IP4 10.99.98.9\r\nt=0 0\r\nm=audio 7010 RTP/AVP 8 101\r\n"
		"a=rtpmap:101 telephone-event/8000\r\na=sendonly\r\n");
	agent_req(msg, sizeof(msg), inv, "UPDATE", "z9hG4bKuab2", 2, sdp);
	feed(msg, addr('a', 5090));
	i = find_out("INVITE");
	HL_CHECK(i >= 0 && out[i].dst.port == 5060 && find_out("200") < 0);
	if (i < 0)
		goto out;
	HL_CHECK(strstr(out[i].buf, "a=sendonly\r\n") != NULL);
	snprintf(rinv, sizeof(rinv), "%s", out[i].buf);
	upd_sdp(sdp, sizeof(sdp), 2, "10.99.0.2", 6000, "8 101", "recvonly");
	respond_sdp(rinv, 200, addr('t', 5060), sdp);
	HL_CHECK(find_out("ACK") >= 0);
	i = find_out("200");
	HL_CHECK(i >= 0 && out[i].dst.port == 5090 && strstr(out[i].buf, "CSeq: 2 UPDATE\r\n") &&
		strstr(body_of((unsigned int)i), "a=recvonly\r\n") != NULL);
	HL_CHECK_INT(stats().ctr[HL_SIG_CTR_UPDATE_OFFERS_IN], 2);
	HL_CHECK_INT(stats().ctr[HL_SIG_CTR_UPDATE_RELAYED], 1);

	customer_req(msg, sizeof(msg), "BYE", "z9hG4bKua9", "ua1@trunk", totag, 2);
	feed(msg, addr('t', 5060));
	agent_answers_bye();
	advance(40000);
	HL_CHECK(stats().calls == 0 && stats().transactions == 0 && stats().dialogs == 0);
out:
	teardown();
}

/*
 * RFC 4028 with UPDATE: the customer refreshes (refresher=uac) by UPDATE with its
 * SDP unchanged, without SDP, and with a hold relayed to the agent; each 200 carries
 * the interval and refresher, and the call outlives the interval. Then no refresh,
 * and it expires.
 */
HL_TEST(update_session_refresh)
{
	char inv[4096], totag[64], v[512], sdp[1024], rinv[4096], msg[1024];
	int i;

	setup();
	HL_CHECK(do_register("alice", "alicepw", 5090, 0) == 200);
	send_invite_hdrs("+15550100", "z9hG4bKus1", "us1@trunk",
		"Max-Forwards: 70\r\nSupported: timer\r\nSession-Expires: 120;refresher=uac\r\n");
	i = find_out("INVITE");
	HL_CHECK(i >= 0);
	if (i < 0)
		goto out;
	snprintf(inv, sizeof(inv), "%s", out[i].buf);
	agent_respond(inv, 200, 5090);
	i = find_out("200");
	HL_CHECK(i >= 0);
	if (i < 0)
		goto out;
	hdr((unsigned int)i, HL_SIP_HDR_TO, v, sizeof(v));
	param(v, ";tag=", totag, sizeof(totag));
	customer_req(msg, sizeof(msg), "ACK", "z9hG4bKusa", "us1@trunk", totag, 1);
	feed(msg, addr('t', 5060));

	advance(60000);
	customer_update("z9hG4bKus2", "us1@trunk", totag, 2, sdp_offer);
	HL_CHECK(status_of(0) == 200 &&
		strstr(out[0].buf, "Session-Expires: 120;refresher=uac\r\n") != NULL);
	HL_CHECK(strstr(body_of(0), "m=audio ") != NULL);
	advance(60000);
	customer_update("z9hG4bKus3", "us1@trunk", totag, 3, NULL);
	HL_CHECK(status_of(0) == 200 &&
		strstr(out[0].buf, "Session-Expires: 120;refresher=uac\r\n") != NULL);
	advance(60000);
	upd_sdp(sdp, sizeof(sdp), 2, "10.99.0.2", 6000, "0 8 101", "sendonly");
	customer_update("z9hG4bKus4", "us1@trunk", totag, 4, sdp);
	i = find_out("INVITE");
	HL_CHECK(i >= 0);
	if (i < 0)
		goto out;
	snprintf(rinv, sizeof(rinv), "%s", out[i].buf);
	respond_sdp(rinv, 200, addr('a', 5090), agent_recvonly);
	i = find_out("200");
	HL_CHECK(i >= 0 && out[i].dst.port == 5060 &&
		strstr(out[i].buf, "Session-Expires: 120;refresher=uac\r\n") != NULL);
	HL_CHECK(stats().calls == 1 && stats().ctr[HL_SIG_CTR_SESSION_EXPIRED] == 0);
	/* no refresh now: 120 - 32 s later the call ends */
	unsigned int byes = 0;
	for (int k = 0; k < 120 && byes < 2; k++) {
		advance(1000);
		for (unsigned int j = 0; j < nout; j++)
			byes += is_method(j, "BYE");
	}
	HL_CHECK(byes == 2);
	HL_CHECK(stats().ctr[HL_SIG_CTR_SESSION_EXPIRED] == 1);
out:
	teardown();
}

/*
 * UPDATE in the early dialog (RFC 3311 §5.1, RFC 3262): with an early offer, our
 * answer in the reliable 183 is not acknowledged until the PRACK, so an UPDATE offer
 * before it gets 500 with Retry-After; after it, the UPDATE is answered at once (the
 * agent still rings) and the customer's leg moves; the 200 to the INVITE then repeats
 * the SDP that answer left. With a late offer, our offer in the 183 waits for the
 * PRACK's answer: an UPDATE offer crosses it, 491.
 */
HL_TEST(update_early_after_prack)
{
	char inv[4096], msg[2048], totag[64], sdp[1024], updans[2048];
	uint32_t rseq = 0;
	int i;

	setup_ops(1);
	HL_CHECK(do_register("alice", "alicepw", 5090, 0) == 200);
	rel_invite("z9hG4bKue1", "ue1@trunk", "Supported: 100rel\r\n", sdp_offer);
	i = find_out("INVITE");
	HL_CHECK(i >= 0);
	if (i < 0)
		goto out;
	snprintf(inv, sizeof(inv), "%s", out[i].buf);
	respond_sdp(inv, 183, addr('a', 5090), agent_sdp);
	i = find_out("183");
	HL_CHECK(i >= 0 && rel_1xx((unsigned int)i, &rseq, totag, sizeof(totag)) == 0);
	if (i < 0)
		goto out;
	upd_sdp(sdp, sizeof(sdp), 2, "10.99.0.5", 6010, "0 8 101", "sendrecv");
	customer_update("z9hG4bKue2", "ue1@trunk", totag, 2, sdp);
	HL_CHECK(nout == 1 && is_retry_500(0));
	customer_prack(msg, sizeof(msg), "z9hG4bKue3", "ue1@trunk", totag, 3, rseq, NULL);
	feed(msg, addr('t', 5060));
	HL_CHECK_INT(status_of(0), 200);

	npushed = 0;
	customer_update("z9hG4bKue4", "ue1@trunk", totag, 4, sdp);
	HL_CHECK(nout == 1 && status_of(0) == 200);
	HL_CHECK(strstr(out[0].buf, "CSeq: 4 UPDATE\r\n") != NULL);
	HL_CHECK(strstr(body_of(0), " RTP/AVP 8 101\r\n") != NULL &&
		strstr(body_of(0), "c=IN IP4 10.99.0.1\r\n") != NULL);
	snprintf(updans, sizeof(updans), "%s", body_of(0));
	HL_CHECK(last_push(0) != NULL && last_push(0)->remote_port == 6010 &&
		ip4_is(last_push(0)->remote_ip, "10.99.0.5"));
	HL_CHECK_INT(stats().ctr[HL_SIG_CTR_UPDATE_OFFERS_IN], 2);
	HL_CHECK_INT(stats().ctr[HL_SIG_CTR_UPDATE_REFUSED], 1);
	/* a new codec needs the agent's leg to move, and it is still ringing: 488 */
	npushed = 0;
	upd_sdp(msg, sizeof(msg), 3, "10.99.0.5", 6010, "0 101", "sendrecv");
	customer_update("z9hG4bKue4c", "ue1@trunk", totag, 5, msg);
	HL_CHECK(nout == 1 && status_of(0) == 488 && npushed == 0);

	respond_sdp(inv, 200, addr('a', 5090), agent_sdp);
	i = -1;
	for (unsigned int k = 0; k < nout; k++)
		if (status_of(k) == 200 && out[k].dst.port == 5060)
			i = (int)k;
	HL_CHECK(i >= 0);
	if (i < 0)
		goto out;
	HL_CHECK_STR(body_of((unsigned int)i), updans);
	customer_req(msg, sizeof(msg), "ACK", "z9hG4bKue5", "ue1@trunk", totag, 1);
	feed(msg, addr('t', 5060));
	HL_CHECK(last_push(0) != NULL && last_push(0)->remote_port == 6010);
	customer_req(msg, sizeof(msg), "BYE", "z9hG4bKue6", "ue1@trunk", totag, 6);
	feed(msg, addr('t', 5060));
	agent_answers_bye();
	advance(40000);
	HL_CHECK(stats().calls == 0 && stats().transactions == 0 && stats().dialogs == 0);

	/* a late offer: our offer is in the 183, its answer not yet come */
	rel_invite("z9hG4bKul1", "ul1@trunk", "Supported: 100rel\r\n", NULL);
	i = find_out("INVITE");
	HL_CHECK(i >= 0);
	if (i < 0)
		goto out;
	snprintf(inv, sizeof(inv), "%s", out[i].buf);
	respond_sdp(inv, 183, addr('a', 5090), agent_sdp);
	i = find_out("183");
	HL_CHECK(i >= 0 && rel_1xx((unsigned int)i, &rseq, totag, sizeof(totag)) == 0);
	customer_update("z9hG4bKul2", "ul1@trunk", totag, 2, sdp);
	HL_CHECK(nout == 1 && status_of(0) == 491);
	HL_CHECK_INT(stats().ctr[HL_SIG_CTR_UPDATE_REFUSED], 3);
out:
	teardown();
}

/*
 * The agent's early dialog: its reliable 183 answered our offer, so its UPDATE offer
 * while it still rings is answered at once and its leg moves; before a reliable 1xx
 * (a plain 180 only), our INVITE's offer is open and the UPDATE gets 491.
 */
HL_TEST(update_agent_early)
{
	char inv[4096], prack[4096], sdp[1024], msg[4096];
	int i;

	setup_ops(1);
	HL_CHECK(do_register("alice", "alicepw", 5090, 0) == 200);
	send_invite("+15550100", "z9hG4bKuae1", "uae1@trunk");
	i = find_out("INVITE");
	HL_CHECK(i >= 0);
	if (i < 0)
		goto out;
	snprintf(inv, sizeof(inv), "%s", out[i].buf);
	agent_respond(inv, 180, 5090);
	snprintf(sdp, sizeof(sdp), "v=0\r\no=agent 2 3 IN IP4 10.99.98.2\r\ns=-\r\n"
		"c=IN IP4 10.99.98.9\r\nt=0 0\r\nm=audio 7010 RTP/AVP 8 101\r\n"
		"a=rtpmap:101 telephone-event/8000\r\n");
	agent_req(msg, sizeof(msg), inv, "UPDATE", "z9hG4bKuaeb1", 2, sdp);
	feed(msg, addr('a', 5090));
	HL_CHECK(nout == 1 && status_of(0) == 491);

	resp_hdrs = "Require: 100rel\r\nRSeq: 5\r\n";
	respond_sdp(inv, 183, addr('a', 5090), agent_sdp);
	resp_hdrs = "";
	HL_CHECK(prack_to_agent(5, 2, prack, sizeof(prack)) == 0);
	respond_sdp(prack, 200, addr('a', 5090), NULL);
	npushed = 0;
	agent_req(msg, sizeof(msg), inv, "UPDATE", "z9hG4bKuaeb2", 3, sdp);
	feed(msg, addr('a', 5090));
	HL_CHECK(nout == 1 && status_of(0) == 200 && out[0].dst.port == 5090);
	HL_CHECK(strstr(body_of(0), "c=IN IP4 10.99.98.1\r\n") != NULL &&
		strstr(body_of(0), " RTP/AVP 8 101\r\n") != NULL);
	HL_CHECK(last_push(1) != NULL && last_push(1)->remote_port == 7010 &&
		ip4_is(last_push(1)->remote_ip, "10.99.98.9"));
	HL_CHECK_INT(stats().ctr[HL_SIG_CTR_UPDATE_REFUSED], 1);

	/* alice never answers: at no_answer_s her INVITE is cancelled, the caller 480 */
	nout = 0;
	advance(6000);
	i = find_out("CANCEL");
	if (i >= 0) {
		char cancel[4096];
		snprintf(cancel, sizeof(cancel), "%s", out[i].buf);
		respond_sdp(cancel, 200, addr('a', 5090), NULL);
		agent_respond(inv, 487, 5090);
	}
	advance(40000);
	HL_CHECK(stats().calls == 0 && stats().transactions == 0 && stats().dialogs == 0);
out:
	resp_hdrs = "";
	teardown();
}

/*
 * hl_sig_free while a cancelled agent attempt still waits for its 487: that leg belongs
 * to no call any more (it finishes its CANCEL on its own), and is freed all the same
 * (under AddressSanitizer a leg left behind fails the run).
 */
HL_TEST(free_with_orphan_leg)
{
	char inv[4096];
	int i;

	setup();
	HL_CHECK(do_register("alice", "alicepw", 5090, 0) == 200);
	send_invite("+15550100", "z9hG4bKorph", "orph@trunk");
	i = find_out("INVITE");
	HL_CHECK(i >= 0);
	if (i < 0)
		goto out;
	snprintf(inv, sizeof(inv), "%s", out[i].buf);
	agent_respond(inv, 180, 5090);
	advance(5100); /* no_answer_s: CANCEL, and nobody left: 480 */
	HL_CHECK(find_out("CANCEL") >= 0 && find_out("480") >= 0);
	HL_CHECK(stats().calls == 0);
	HL_CHECK_MSG(stats().dialogs == 1, "the cancelled leg is not waiting for its 487");
out:
	teardown();
}

/* ---- forks: a proxy in front of the agent forks hotline's INVITE (RFC 3261 §16.7) ---- */

/* The response of fork tag to our INVITE inv, through the proxy at the agent's address
 * (port 5090): To tag tag, the Contact of the fork's device (sip:dev<dev>@10.99.98.<dev>:
 * 5070), header lines hdrs, SDP sdp (NULL: none). */
static void
fork_respond(const char *inv, int code, const char *tag, unsigned int dev, const char *hdrs,
	const char *sdp)
{
	char msg[4096], via[256], from[256], to[256], cid[256], cseq[64];
	struct hl_sip_msg m;
	const struct hl_sip_hdr_field *h;

	HL_CHECK(hl_sip_parse((const uint8_t *)inv, strlen(inv), &m) > 0);
	h = hl_sip_hdr_first(&m, HL_SIP_HDR_VIA);
	snprintf(via, sizeof(via), "%.*s", h->value.len, inv + h->value.off);
	h = hl_sip_hdr_first(&m, HL_SIP_HDR_FROM);
	snprintf(from, sizeof(from), "%.*s", h->value.len, inv + h->value.off);
	h = hl_sip_hdr_first(&m, HL_SIP_HDR_TO);
	snprintf(to, sizeof(to), "%.*s", h->value.len, inv + h->value.off);
	h = hl_sip_hdr_first(&m, HL_SIP_HDR_CALL_ID);
	snprintf(cid, sizeof(cid), "%.*s", h->value.len, inv + h->value.off);
	h = hl_sip_hdr_first(&m, HL_SIP_HDR_CSEQ);
	snprintf(cseq, sizeof(cseq), "%.*s", h->value.len, inv + h->value.off);
	snprintf(msg, sizeof(msg),
		"SIP/2.0 %d X\r\nVia: %s\r\nFrom: %s\r\nTo: %s;tag=%s\r\nCall-ID: %s\r\n"
		"CSeq: %s\r\nContact: <sip:dev%u@10.99.98.%u:5070>\r\n%s%sContent-Length: %zu\r\n"
		"\r\n%s",
		code, via, from, to, tag, cid, cseq, dev, dev, hdrs,
		sdp ? "Content-Type: application/sdp\r\n" : "", sdp ? strlen(sdp) : (size_t)0,
		sdp ? sdp : "");
	feed(msg, addr('a', 5090));
}

/* Device dev's SDP: PCMA and events at 10.99.98.<dev>, port. */
static void
fork_sdp(char *text, size_t cap, unsigned int dev, unsigned int port)
{
	snprintf(text, cap,
		"v=0\r\no=dev%u 2 2 IN IP4 10.99.98.%u\r\ns=-\r\nc=IN IP4 10.99.98.%u\r\nt=0 0\r\n"
		"m=audio %u RTP/AVP 8 101\r\na=rtpmap:101 telephone-event/8000\r\n",
		dev, dev, dev, port);
}

/* The To tag of output i into tag ("" when none). */
static void
out_tag(int i, char *tag, size_t cap)
{
	char v[512];

	tag[0] = '\0';
	if (i >= 0 && hdr((unsigned int)i, HL_SIP_HDR_TO, v, sizeof(v)) == 0)
		param(v, ";tag=", tag, cap);
}

/* Output i is request method to fork tag's device dev (Request-URI its Contact), with
 * Route route when not NULL. */
static int
fork_req_is(int i, const char *method, const char *tag, unsigned int dev, const char *route)
{
	char line[128], t[64], v[512];

	if (i < 0 || !is_method((unsigned int)i, method) || out[i].dst.port != 5090)
		return 0;
	snprintf(line, sizeof(line), "%s sip:dev%u@10.99.98.%u:5070 SIP/2.0\r\n", method, dev, dev);
	out_tag(i, t, sizeof(t));
	if (strncmp(out[i].buf, line, strlen(line)) != 0 || strcmp(t, tag) != 0)
		return 0;
	if (route != NULL && (hdr((unsigned int)i, HL_SIP_HDR_ROUTE, v, sizeof(v)) != 0 ||
				     strcmp(v, route) != 0))
		return 0;
	return 1;
}

/* How many of the outputs are method (a request) or that status. */
static unsigned int
count_out(const char *method_or_status)
{
	unsigned int n = 0;

	for (unsigned int i = 0; i < nout; i++) {
		int st = status_of(i);
		n += (st > 0 && atoi(method_or_status) == st) ||
		     (st == 0 && is_method(i, method_or_status));
	}
	return n;
}

/* The customer's call, rung to alice behind the forking proxy: our INVITE into inv. */
static int
fork_call(const char *branch, const char *callid, char *inv, size_t cap)
{
	int i;

	HL_CHECK(do_register("alice", "alicepw", 5090, 0) == 200);
	send_invite("+15550100", branch, callid);
	i = find_out("INVITE");
	HL_CHECK(i >= 0 && out[i].dst.port == 5090);
	if (i < 0)
		return -1;
	snprintf(inv, cap, "%s", out[i].buf);
	return 0;
}

/* The customer's call behind the forking proxy (fork_call()), rung by forks f1 (device
 * 11) and f2 (device 12), then answered by f1: their SDPs into s1 and s2 (512 bytes). */
static int
fork_two_ring_f1_answers(const char *branch, const char *callid, char *inv, size_t cap,
	char *s1, char *s2)
{
	if (fork_call(branch, callid, inv, cap) != 0)
		return -1;
	fork_sdp(s1, 512, 11, 7000);
	fork_sdp(s2, 512, 12, 7002);
	fork_respond(inv, 180, "f1", 11, "", NULL);
	fork_respond(inv, 180, "f2", 12, "", NULL);
	fork_respond(inv, 200, "f1", 11, "", s1);
	return 0;
}

/* The BYE in the outputs, answered 200 by the proxy. */
static void
fork_answers_bye(void)
{
	char bye[4096];
	int i = find_out("BYE");

	HL_CHECK(i >= 0);
	if (i < 0)
		return;
	snprintf(bye, sizeof(bye), "%s", out[i].buf);
	agent_respond(bye, 200, 5090);
}

/* The customer's INVITE transaction with top Via branch br, or NULL. */
static struct sig_txn *
server_invite(const char *br)
{
	for (uint32_t i = 0; i <= sig->txn_mask; i++)
		for (struct sig_txn *t = sig->txn_hash[i]; t != NULL; t = t->hnext)
			if (t->server && t->method == HL_SIP_METHOD_INVITE &&
				strcmp(t->branch, br) == 0)
				return t;
	return NULL;
}

/* One final per server transaction (RFC 3261 §17.2.1): a second final, or a
 * provisional after the final, is not sent and leaves the first one in charge. */
HL_TEST(one_final_per_server_txn)
{
	char inv[4096], msg[1024], totag[64];
	struct sig_txn *t;
	int i;

	setup();
	if (fork_call("z9hG4bKfin1", "fin1@trunk", inv, sizeof(inv)) != 0)
		goto out;
	agent_respond(inv, 200, 5090);
	if ((i = our_200(totag, sizeof(totag))) < 0)
		goto out;
	t = server_invite("z9hG4bKfin1");
	HL_CHECK(t != NULL && t->state == TXN_ACCEPTED && t->status == 200);
	if (t == NULL)
		goto out;
	nout = 0;
	static const char busy[] = "SIP/2.0 486 Busy Here\r\nContent-Length: 0\r\n\r\n";
	static const char ring[] = "SIP/2.0 180 Ringing\r\nContent-Length: 0\r\n\r\n";
	sig_txn_respond(sig, t, busy, sizeof(busy) - 1, 486);
	sig_txn_respond(sig, t, ring, sizeof(ring) - 1, 180);
	HL_CHECK(nout == 0);
	HL_CHECK(t->state == TXN_ACCEPTED && t->status == 200);
	/* what is retransmitted is still the 200 */
	advance(600);
	i = find_out("200");
	HL_CHECK(i >= 0 && find_out("486") < 0 && find_out("180") < 0);
	customer_req(msg, sizeof(msg), "ACK", "z9hG4bKfina", "fin1@trunk", totag, 1);
	feed(msg, addr('t', 5060));
	HL_CHECK(nout == 0);
	customer_req(msg, sizeof(msg), "BYE", "z9hG4bKfinb", "fin1@trunk", totag, 2);
	feed(msg, addr('t', 5060));
	HL_CHECK(status_of(0) == 200);
	agent_answers_bye();
	HL_CHECK(stats().calls == 0);
out:
	teardown();
}

/* The customer's ACK and BYE (CSeq cseq) of the answered call (our 200 in the outputs),
 * the agent's side of the BYE answered; the agent's BYE must be to fork tag's device. */
static void
fork_hangup(const char *callid, unsigned int cseq, const char *tag, unsigned int dev)
{
	char totag[64], msg[2048];
	int i = find_out("200");

	HL_CHECK(i >= 0 && out[i].dst.port == 5060);
	out_tag(i, totag, sizeof(totag));
	customer_req(msg, sizeof(msg), "ACK", "z9hG4bKfkack", callid, totag, 1);
	feed(msg, addr('t', 5060));
	customer_req(msg, sizeof(msg), "BYE", "z9hG4bKfkbye", callid, totag, cseq);
	feed(msg, addr('t', 5060));
	HL_CHECK_INT(status_of(0), 200);
	HL_CHECK_MSG(fork_req_is(find_out("BYE"), "BYE", tag, dev, NULL),
		"the agent's BYE is not in the dialog answered");
	fork_answers_bye();
	HL_CHECK(stats().calls == 0);
}

/*
 * Two forks ring (180 each, its own To tag), the first gives early media, the second
 * too, then the second answers. The customer hears the first fork's early media (its
 * SDP answers the customer, and the second fork's 183 repeats that answer without
 * moving the agent's leg), the 200 moves the leg to the second fork's media, and its
 * dialog is the call's: our ACK and BYE go to it, a request of the first is 481.
 */
HL_TEST(fork_second_answers)
{
	char inv[4096], s1[512], s2[512], sdp183[2048], msg[2048];
	unsigned int np;
	int i;

	setup_ops(1);
	if (fork_call("z9hG4bKfk1", "fk1@trunk", inv, sizeof(inv)) != 0)
		goto out;
	fork_sdp(s1, sizeof(s1), 11, 7000);
	fork_sdp(s2, sizeof(s2), 12, 7002);
	fork_respond(inv, 180, "f1", 11, "", NULL);
	HL_CHECK(find_out("180") >= 0 && out[find_out("180")].dst.port == 5060);
	fork_respond(inv, 180, "f2", 12, "", NULL);
	HL_CHECK_MSG(find_out("180") >= 0, "the second fork's ringing is not passed on");
	HL_CHECK_INT(stats().ctr[HL_SIG_CTR_FORK_EARLY_DIALOGS], 1);
	fork_respond(inv, 183, "f1", 11, "", s1);
	i = find_out("183");
	HL_CHECK(i >= 0 && strstr(body_of((unsigned int)i), "m=audio") != NULL);
	if (i < 0)
		goto out;
	snprintf(sdp183, sizeof(sdp183), "%s", body_of((unsigned int)i));
	HL_CHECK(last_push(1) != NULL && last_push(1)->remote_port == 7000);
	np = npushed;
	fork_respond(inv, 183, "f2", 12, "", s2);
	i = find_out("183");
	HL_CHECK(i >= 0);
	HL_CHECK_MSG(i >= 0 && strcmp(body_of((unsigned int)i), sdp183) == 0,
		"the customer's early SDP changed with the second fork's");
	HL_CHECK_MSG(npushed == np, "the second fork's early media took the leg over");
	fork_respond(inv, 200, "f2", 12, "", s2);
	HL_CHECK_MSG(fork_req_is(find_out("ACK"), "ACK", "f2", 12, NULL),
		"the ACK is not in the answered fork's dialog");
	i = find_out("200");
	HL_CHECK(i >= 0 && out[i].dst.port == 5060);
	HL_CHECK(last_push(1) != NULL && last_push(1)->remote_port == 7002 &&
		 last_push(1)->remote_ip[3] == 12);
	HL_CHECK_INT(stats().ctr[HL_SIG_CTR_CALLS_ANSWERED], 1);
	HL_CHECK_INT(stats().ctr[HL_SIG_CTR_FORK_EXTRA_2XX], 0);
	/* the first fork is not the call's dialog: its BYE finds none */
	{
		char ack[2048], totag[64];
		out_tag(i, totag, sizeof(totag));
		customer_req(ack, sizeof(ack), "ACK", "z9hG4bKfk1a", "fk1@trunk", totag, 1);
		feed(ack, addr('t', 5060));
	}
	agent_req_tag(msg, sizeof(msg), inv, "f1", "BYE", "z9hG4bKfk1b", 2, NULL);
	feed(msg, addr('a', 5090));
	HL_CHECK_INT(status_of(0), 481);
	HL_CHECK(stats().calls == 1 && find_out("BYE") < 0);
	/* the second fork's is the call's */
	agent_req_tag(msg, sizeof(msg), inv, "f2", "BYE", "z9hG4bKfk1c", 2, NULL);
	feed(msg, addr('a', 5090));
	HL_CHECK_INT(status_of(0), 200);
	HL_CHECK(find_out("BYE") >= 0 && out[find_out("BYE")].dst.port == 5060);
	advance(40000);
	HL_CHECK(stats().calls == 0 && stats().transactions == 0 && stats().dialogs == 0);
out:
	teardown();
}

/*
 * Reliable 183s from two forks (RFC 3262 §4): each is PRACKed in its own early dialog
 * (its To tag, to its Contact through its Record-Route, RAck of its own RSeq space);
 * a retransmission of either gets no second PRACK, the next RSeq of each gets one. The
 * second fork answers with a 200 without SDP (its answer was its reliable 183): the
 * agent's leg follows that fork's early media, and the call's dialog is its. The other
 * early dialog lives as long as the INVITE transaction, not the call.
 */
HL_TEST(fork_rel_prack_each)
{
	char inv[4096], s1[512], s2[512], prack[4096];
	char v[256];
	int i;

	setup_ops(1);
	if (fork_call("z9hG4bKfk2", "fk2@trunk", inv, sizeof(inv)) != 0)
		goto out;
	fork_sdp(s1, sizeof(s1), 11, 7000);
	fork_sdp(s2, sizeof(s2), 12, 7002);
	fork_respond(inv, 183, "f1", 11,
		"Require: 100rel\r\nRSeq: 10\r\nRecord-Route: <sip:10.99.98.7;lr>\r\n", s1);
	i = find_out("PRACK");
	HL_CHECK_MSG(fork_req_is(i, "PRACK", "f1", 11, "<sip:10.99.98.7;lr>"),
		"the first fork's PRACK is not in its dialog");
	HL_CHECK(i >= 0 && hdr((unsigned int)i, HL_SIP_HDR_RACK, v, sizeof(v)) == 0 &&
		 strcmp(v, "10 1 INVITE") == 0);
	HL_CHECK(i >= 0 && hdr((unsigned int)i, HL_SIP_HDR_CSEQ, v, sizeof(v)) == 0 &&
		 strcmp(v, "2 PRACK") == 0);
	if (i >= 0) {
		snprintf(prack, sizeof(prack), "%s", out[i].buf);
		agent_respond(prack, 200, 5090);
	}
	fork_respond(inv, 183, "f2", 12,
		"Require: 100rel\r\nRSeq: 500\r\nRecord-Route: <sip:10.99.98.8;lr>\r\n", s2);
	i = find_out("PRACK");
	HL_CHECK_MSG(fork_req_is(i, "PRACK", "f2", 12, "<sip:10.99.98.8;lr>"),
		"the second fork's PRACK is not in its dialog");
	HL_CHECK(i >= 0 && hdr((unsigned int)i, HL_SIP_HDR_RACK, v, sizeof(v)) == 0 &&
		 strcmp(v, "500 1 INVITE") == 0);
	HL_CHECK(i >= 0 && hdr((unsigned int)i, HL_SIP_HDR_CSEQ, v, sizeof(v)) == 0 &&
		 strcmp(v, "3 PRACK") == 0);
	if (i >= 0) {
		snprintf(prack, sizeof(prack), "%s", out[i].buf);
		agent_respond(prack, 200, 5090);
	}
	HL_CHECK_INT(stats().ctr[HL_SIG_CTR_REL1XX_IN], 2);
	HL_CHECK_INT(stats().ctr[HL_SIG_CTR_PRACK_OUT], 2);
	HL_CHECK_INT(stats().ctr[HL_SIG_CTR_FORK_EARLY_DIALOGS], 1);
	/* the early media is the first fork's */
	HL_CHECK(last_push(1) != NULL && last_push(1)->remote_port == 7000);
	/* the second fork repeats its 183: no PRACK; the first's next RSeq: one, in its dialog */
	fork_respond(inv, 183, "f2", 12,
		"Require: 100rel\r\nRSeq: 500\r\nRecord-Route: <sip:10.99.98.8;lr>\r\n", s2);
	HL_CHECK(find_out("PRACK") < 0);
	fork_respond(inv, 180, "f1", 11,
		"Require: 100rel\r\nRSeq: 11\r\nRecord-Route: <sip:10.99.98.7;lr>\r\n", NULL);
	i = find_out("PRACK");
	HL_CHECK(fork_req_is(i, "PRACK", "f1", 11, "<sip:10.99.98.7;lr>"));
	HL_CHECK(i >= 0 && hdr((unsigned int)i, HL_SIP_HDR_RACK, v, sizeof(v)) == 0 &&
		 strcmp(v, "11 1 INVITE") == 0);
	if (i >= 0) {
		snprintf(prack, sizeof(prack), "%s", out[i].buf);
		agent_respond(prack, 200, 5090);
	}
	/* the second fork answers, its SDP in its reliable 183 */
	fork_respond(inv, 200, "f2", 12, "Record-Route: <sip:10.99.98.8;lr>\r\n", NULL);
	HL_CHECK(fork_req_is(find_out("ACK"), "ACK", "f2", 12, "<sip:10.99.98.8;lr>"));
	i = find_out("200");
	HL_CHECK(i >= 0 && out[i].dst.port == 5060);
	HL_CHECK_MSG(last_push(1) != NULL && last_push(1)->remote_port == 7002 &&
			     last_push(1)->remote_ip[3] == 12,
		"the agent's leg did not follow the fork that answered");
	HL_CHECK(sig->calls != NULL && sig->calls->b != NULL && sig->calls->b->nearly == 2);
	/* the INVITE transaction ends (Timer M): its early dialogs with it, not the call */
	{
		char ack[2048], totag[64];
		out_tag(i, totag, sizeof(totag));
		customer_req(ack, sizeof(ack), "ACK", "z9hG4bKfk2a", "fk2@trunk", totag, 1);
		feed(ack, addr('t', 5060));
	}
	advance(33000);
	HL_CHECK(stats().calls == 1);
	HL_CHECK_MSG(sig->calls != NULL && sig->calls->b != NULL && sig->calls->b->nearly == 0 &&
			     sig->calls->b->early[0] == NULL,
		"early dialogs outlive the INVITE transaction");
	nout = 0;
	{
		/* our 200 to the customer, for fork_hangup */
		char totag[64], msg[2048];
		HL_CHECK(sig->calls != NULL);
		if (sig->calls == NULL)
			goto out;
		snprintf(totag, sizeof(totag), "%s", sig->calls->a->ltag);
		customer_req(msg, sizeof(msg), "BYE", "z9hG4bKfk2b", "fk2@trunk", totag, 2);
		feed(msg, addr('t', 5060));
		HL_CHECK_INT(status_of(0), 200);
		i = find_out("BYE");
		HL_CHECK(fork_req_is(i, "BYE", "f2", 12, "<sip:10.99.98.8;lr>"));
		fork_answers_bye();
	}
	advance(40000);
	HL_CHECK(stats().calls == 0 && stats().transactions == 0 && stats().dialogs == 0);
out:
	teardown();
}

/*
 * Two forks answer (§13.2.2.4): the first 200 is the call's; the second, from the other
 * early dialog, is ACKed and BYEd at once in its own dialog and never reaches the
 * customer (fork_extra_2xx). Its retransmission gets the same ACK and no second BYE;
 * the first's gets the call's ACK again. A third fork that answers without any 18x
 * is let go the same way. The call goes on, and ends with nothing left.
 */
HL_TEST(fork_two_200)
{
	char inv[4096], s1[512], s2[512], ack2[4096];
	int i;

	setup();
	if (fork_two_ring_f1_answers("z9hG4bKfk3", "fk3@trunk", inv, sizeof(inv), s1, s2) != 0)
		goto out;
	HL_CHECK(fork_req_is(find_out("ACK"), "ACK", "f1", 11, NULL));
	HL_CHECK(find_out("200") >= 0 && out[find_out("200")].dst.port == 5060);
	fork_respond(inv, 200, "f2", 12, "", s2);
	HL_CHECK_INT(nout, 2);
	HL_CHECK_MSG(fork_req_is(find_out("ACK"), "ACK", "f2", 12, NULL),
		"the second 200 is not ACKed in its dialog");
	i = find_out("BYE");
	HL_CHECK_MSG(fork_req_is(i, "BYE", "f2", 12, NULL), "the second 200 gets no BYE");
	HL_CHECK(find_out("200") < 0);
	HL_CHECK_INT(stats().ctr[HL_SIG_CTR_FORK_EXTRA_2XX], 1);
	HL_CHECK_INT(stats().ctr[HL_SIG_CTR_CALLS_ANSWERED], 1);
	i = find_out("ACK");
	if (i < 0)
		goto out;
	snprintf(ack2, sizeof(ack2), "%s", out[i].buf);
	fork_answers_bye();
	/* the second 200 again: the same ACK, no BYE */
	fork_respond(inv, 200, "f2", 12, "", s2);
	HL_CHECK_INT(nout, 1);
	HL_CHECK(nout == 1 && strcmp(out[0].buf, ack2) == 0);
	HL_CHECK_INT(stats().ctr[HL_SIG_CTR_FORK_EXTRA_2XX], 1);
	/* the first 200 again: the call's ACK */
	fork_respond(inv, 200, "f1", 11, "", s1);
	HL_CHECK_INT(nout, 1);
	HL_CHECK(fork_req_is(0, "ACK", "f1", 11, NULL));
	/* a third fork, straight to 200 */
	fork_respond(inv, 200, "f3", 13, "", s2);
	HL_CHECK_INT(nout, 2);
	HL_CHECK(fork_req_is(find_out("ACK"), "ACK", "f3", 13, NULL));
	HL_CHECK(fork_req_is(find_out("BYE"), "BYE", "f3", 13, NULL));
	HL_CHECK_INT(stats().ctr[HL_SIG_CTR_FORK_EXTRA_2XX], 2);
	fork_answers_bye();
	HL_CHECK(stats().calls == 1);
	nout = 0;
	{
		char msg[2048];
		customer_req(msg, sizeof(msg), "ACK", "z9hG4bKfk3a", "fk3@trunk",
			sig->calls != NULL ? sig->calls->a->ltag : "", 1);
		feed(msg, addr('t', 5060));
		customer_req(msg, sizeof(msg), "BYE", "z9hG4bKfk3b", "fk3@trunk",
			sig->calls != NULL ? sig->calls->a->ltag : "", 2);
		feed(msg, addr('t', 5060));
		HL_CHECK_INT(status_of(0), 200);
		HL_CHECK(fork_req_is(find_out("BYE"), "BYE", "f1", 11, NULL));
		fork_answers_bye();
	}
	advance(40000);
	HL_CHECK(stats().calls == 0 && stats().transactions == 0 && stats().dialogs == 0);
out:
	teardown();
}

/*
 * A fork's 200 that comes after the call is over and its legs are gone (§13.2.2.4):
 * the INVITE's transaction, kept for 64*T1, still ACKs it and sends BYE in that fork's
 * dialog (its Contact, its Record-Route as Route, our From and Call-ID, a CSeq after the
 * INVITE's). The route set is the Record-Route entries reversed one by one, those
 * listed in one header line too (§7.3.1). That 200 again gets the same ACK and no
 * second BYE; the 200 of the dialog the call had gets the call's ACK as before.
 */
HL_TEST(fork_200_after_call_gone)
{
	static const char route[] =
		"<sip:px3.test;lr>;x=\"a,b\", <sip:px2.test;lr>, <sip:px1.test;lr>";
	char inv[4096], s1[512], s2[512], msg[2048], v[512], totag[64], ack2[4096];
	struct hl_sip_msg im, bm;
	struct hl_sip_cseq ics, bcs;
	const struct hl_sip_hdr_field *h;
	int i;

	setup();
	if (fork_two_ring_f1_answers("z9hG4bKfk9", "fk9@trunk", inv, sizeof(inv), s1, s2) != 0)
		goto out;
	i = find_out("200");
	HL_CHECK(i >= 0 && hdr((unsigned int)i, HL_SIP_HDR_TO, v, sizeof(v)) == 0);
	if (i < 0)
		goto out;
	param(v, ";tag=", totag, sizeof(totag));
	customer_req(msg, sizeof(msg), "ACK", "z9hG4bKfk9a", "fk9@trunk", totag, 1);
	feed(msg, addr('t', 5060));
	customer_req(msg, sizeof(msg), "BYE", "z9hG4bKfk9b", "fk9@trunk", totag, 2);
	feed(msg, addr('t', 5060));
	HL_CHECK(fork_req_is(find_out("BYE"), "BYE", "f1", 11, NULL));
	fork_answers_bye();
	HL_CHECK(stats().calls == 0 && stats().dialogs == 0);
	/* f2 answers now */
	fork_respond(inv, 200, "f2", 12,
		"Record-Route: <sip:px1.test;lr>\r\nRecord-Route: <sip:px2.test;lr> ,"
		"<sip:px3.test;lr>;x=\"a,b\"\r\n", s2);
	HL_CHECK_INT(nout, 2);
	HL_CHECK_MSG(fork_req_is(find_out("ACK"), "ACK", "f2", 12, route),
		"the late 200 is not ACKed in its dialog");
	i = find_out("BYE");
	HL_CHECK_MSG(fork_req_is(i, "BYE", "f2", 12, route), "the late 200 gets no BYE");
	HL_CHECK_INT(stats().ctr[HL_SIG_CTR_FORK_EXTRA_2XX], 1);
	if (i < 0 || find_out("ACK") < 0)
		goto out;
	snprintf(ack2, sizeof(ack2), "%s", out[find_out("ACK")].buf);
	HL_CHECK(hl_sip_parse((const uint8_t *)inv, strlen(inv), &im) > 0);
	HL_CHECK(hl_sip_parse((const uint8_t *)out[i].buf, out[i].len, &bm) > 0);
	for (int k = 0; k < 2; k++) {
		enum hl_sip_hdr id = k ? HL_SIP_HDR_FROM : HL_SIP_HDR_CALL_ID;
		h = hl_sip_hdr_first(&im, id);
		HL_CHECK(hdr((unsigned int)i, id, v, sizeof(v)) == 0 && h != NULL);
		HL_CHECK_MSG(h != NULL && strlen(v) == h->value.len &&
				     memcmp(v, inv + h->value.off, h->value.len) == 0,
			"the BYE's %s is not the INVITE's: %s", k ? "From" : "Call-ID", v);
	}
	h = hl_sip_hdr_first(&im, HL_SIP_HDR_CSEQ);
	HL_CHECK(h != NULL && hl_sip_parse_cseq((const uint8_t *)inv, h->value, &ics) == 0);
	h = hl_sip_hdr_first(&bm, HL_SIP_HDR_CSEQ);
	HL_CHECK(h != NULL && hl_sip_parse_cseq((const uint8_t *)out[i].buf, h->value, &bcs) == 0);
	HL_CHECK(bcs.seq > ics.seq && bcs.method == HL_SIP_METHOD_BYE);
	fork_answers_bye();
	/* f2's 200 again (our ACK lost): the same ACK, no second BYE */
	fork_respond(inv, 200, "f2", 12,
		"Record-Route: <sip:px1.test;lr>\r\nRecord-Route: <sip:px2.test;lr> ,"
		"<sip:px3.test;lr>;x=\"a,b\"\r\n", s2);
	HL_CHECK_INT(nout, 1);
	HL_CHECK_MSG(nout == 1 && strcmp(out[0].buf, ack2) == 0, "not the same ACK:\n%s",
		nout ? out[0].buf : "(nothing)");
	HL_CHECK_INT(stats().ctr[HL_SIG_CTR_FORK_EXTRA_2XX], 1);
	/* the call's 200 again: the call's ACK */
	fork_respond(inv, 200, "f1", 11, "", s1);
	HL_CHECK_INT(nout, 1);
	HL_CHECK(fork_req_is(0, "ACK", "f1", 11, NULL));
	advance(40000);
	HL_CHECK(stats().transactions == 0);
out:
	teardown();
}

/*
 * More forks than an attempt keeps (SIG_EARLY_MAX): the first four ring through, the
 * rest are counted (fork_early_dropped) and go no further, not even a reliable 183 of
 * theirs gets a PRACK. The 200 of one not kept still answers the call; another's is
 * ACKed and BYEd each time it comes (nothing is kept of it), a kept fork's once.
 */
HL_TEST(fork_too_many)
{
	char inv[4096], s1[512], tag[8];

	setup();
	if (fork_call("z9hG4bKfk4", "fk4@trunk", inv, sizeof(inv)) != 0)
		goto out;
	fork_sdp(s1, sizeof(s1), 16, 7000);
	for (unsigned int k = 1; k <= 6; k++) {
		snprintf(tag, sizeof(tag), "f%u", k);
		fork_respond(inv, 180, tag, 10 + k, "", NULL);
		if (k <= SIG_EARLY_MAX)
			HL_CHECK_MSG(find_out("180") >= 0, "fork %u does not ring through", k);
		else
			HL_CHECK_MSG(nout == 0, "fork %u beyond the bound is passed on", k);
	}
	HL_CHECK_INT(stats().ctr[HL_SIG_CTR_FORK_EARLY_DIALOGS], SIG_EARLY_MAX - 1);
	HL_CHECK_INT(stats().ctr[HL_SIG_CTR_FORK_EARLY_DROPPED], 2);
	HL_CHECK(sig->calls != NULL && sig->calls->b->nearly == SIG_EARLY_MAX);
	fork_respond(inv, 183, "f5", 15, "Require: 100rel\r\nRSeq: 1\r\n", s1);
	HL_CHECK(nout == 0);
	HL_CHECK_INT(stats().ctr[HL_SIG_CTR_FORK_EARLY_DROPPED], 3);
	/* f6, never kept, answers first */
	fork_respond(inv, 200, "f6", 16, "", s1);
	HL_CHECK(fork_req_is(find_out("ACK"), "ACK", "f6", 16, NULL));
	HL_CHECK(find_out("200") >= 0 && out[find_out("200")].dst.port == 5060);
	/* f5 (not kept) answers too, twice: ACK and BYE each time */
	for (int k = 0; k < 2; k++) {
		fork_respond(inv, 200, "f5", 15, "", s1);
		HL_CHECK_INT(nout, 2);
		HL_CHECK(fork_req_is(find_out("ACK"), "ACK", "f5", 15, NULL));
		HL_CHECK(fork_req_is(find_out("BYE"), "BYE", "f5", 15, NULL));
		fork_answers_bye();
	}
	/* f2 (kept) answers twice: one BYE */
	fork_respond(inv, 200, "f2", 12, "", s1);
	HL_CHECK(fork_req_is(find_out("BYE"), "BYE", "f2", 12, NULL));
	fork_answers_bye();
	fork_respond(inv, 200, "f2", 12, "", s1);
	HL_CHECK(nout == 1 && fork_req_is(0, "ACK", "f2", 12, NULL));
	HL_CHECK_INT(stats().ctr[HL_SIG_CTR_FORK_EXTRA_2XX], 3);
	{
		char msg[2048];
		const char *totag = sig->calls != NULL ? sig->calls->a->ltag : "";
		customer_req(msg, sizeof(msg), "ACK", "z9hG4bKfk4a", "fk4@trunk", totag, 1);
		feed(msg, addr('t', 5060));
		customer_req(msg, sizeof(msg), "BYE", "z9hG4bKfk4b", "fk4@trunk", totag, 2);
		feed(msg, addr('t', 5060));
		HL_CHECK_INT(status_of(0), 200);
		HL_CHECK(fork_req_is(find_out("BYE"), "BYE", "f6", 16, NULL));
		fork_answers_bye();
	}
	advance(40000);
	HL_CHECK(stats().calls == 0 && stats().transactions == 0 && stats().dialogs == 0);
out:
	teardown();
}

/*
 * The customer CANCELs while two forks ring: one CANCEL for the INVITE (the proxy
 * passes it to every fork), 487 to the customer. Then the proxy's 487 ends the INVITE
 * and both early dialogs; or one fork's 200 crosses the CANCEL, and that dialog is
 * ACKed and BYEd (RFC 3261 §9.1: a 2xx after CANCEL is a call to end). Nothing left.
 */
HL_TEST(fork_cancel_two_early)
{
	for (int cross = 0; cross < 2; cross++) {
		char inv[4096], s2[512], msg[1024], cancel[4096];
		int i;

		setup();
		if (fork_call("z9hG4bKfk5", "fk5@trunk", inv, sizeof(inv)) != 0)
			goto out;
		fork_sdp(s2, sizeof(s2), 12, 7002);
		fork_respond(inv, 180, "f1", 11, "", NULL);
		fork_respond(inv, 183, "f2", 12, "Require: 100rel\r\nRSeq: 4\r\n", s2);
		HL_CHECK(fork_req_is(find_out("PRACK"), "PRACK", "f2", 12, NULL));
		snprintf(msg, sizeof(msg),
			"CANCEL sip:+15550100@10.99.0.1 SIP/2.0\r\n"
			"Via: SIP/2.0/UDP 10.99.0.2:5060;branch=z9hG4bKfk5\r\n"
			"Max-Forwards: 70\r\nFrom: \"Customer\" "
			"<sip:+4930123@trunk.test>;tag=c1\r\n"
			"To: <sip:+15550100@10.99.0.1>\r\nCall-ID: fk5@trunk\r\nCSeq: 1 CANCEL\r\n"
			"Content-Length: 0\r\n\r\n");
		feed(msg, addr('t', 5060));
		HL_CHECK(find_out("200") >= 0 && find_out("487") >= 0);
		HL_CHECK_INT(count_out("CANCEL"), 1);
		i = find_out("CANCEL");
		if (i < 0)
			goto out;
		snprintf(cancel, sizeof(cancel), "%s", out[i].buf);
		HL_CHECK(strstr(cancel, "CSeq: 1 CANCEL\r\n") != NULL);
		agent_respond(cancel, 200, 5090);
		if (!cross) {
			fork_respond(inv, 487, "f1", 11, "", NULL);
			HL_CHECK(find_out("ACK") >= 0);
			HL_CHECK(stats().calls == 0);
		} else {
			fork_respond(inv, 200, "f2", 12, "", NULL);
			HL_CHECK_MSG(fork_req_is(find_out("ACK"), "ACK", "f2", 12, NULL),
				"a 200 crossing the CANCEL is not ACKed");
			HL_CHECK_MSG(fork_req_is(find_out("BYE"), "BYE", "f2", 12, NULL),
				"a 200 crossing the CANCEL is not BYEd");
			HL_CHECK(find_out("200") < 0 || out[find_out("200")].dst.port != 5060);
			HL_CHECK_INT(stats().ctr[HL_SIG_CTR_FORK_EXTRA_2XX], 0);
			fork_answers_bye();
			HL_CHECK(stats().calls == 0);
		}
		HL_CHECK_INT(stats().ctr[HL_SIG_CTR_CALLS_CANCELLED], 1);
		advance(40000);
		HL_CHECK(stats().calls == 0 && stats().transactions == 0 && stats().dialogs == 0);
	out:
		teardown();
	}
}

/*
 * The agent fails with two early dialogs open: a 486 through the proxy ends alice's
 * INVITE and its forks, and bob is rung; bob's two forks ring until no_answer_s, then
 * CANCEL, 480 to the customer (nobody left), the 487 ACKed; nothing left.
 */
HL_TEST(fork_agent_fails)
{
	char inv[4096];
	int i;

	setup();
	HL_CHECK(do_register("alice", "alicepw", 5090, 0) == 200);
	advance(10);
	HL_CHECK(do_register("bob", "bobpw", 5091, 0) == 200);
	send_invite("+15550100", "z9hG4bKfk6", "fk6@trunk");
	i = find_out("INVITE");
	HL_CHECK(i >= 0 && out[i].dst.port == 5090);
	if (i < 0)
		goto out;
	snprintf(inv, sizeof(inv), "%s", out[i].buf);
	fork_respond(inv, 180, "f1", 11, "", NULL);
	fork_respond(inv, 180, "f2", 12, "", NULL);
	fork_respond(inv, 486, "f2", 12, "", NULL);
	HL_CHECK(find_out("ACK") >= 0);
	i = find_out("INVITE");
	HL_CHECK_MSG(i >= 0 && out[i].dst.port == 5091, "bob is not rung");
	if (i < 0)
		goto out;
	snprintf(inv, sizeof(inv), "%s", out[i].buf);
	HL_CHECK(sig->calls != NULL && sig->calls->b != NULL && sig->calls->b->nearly == 0);
	{
		/* bob's forks, from his address */
		char r[4096];
		snprintf(r, sizeof(r), "%s", inv);
		resp_hdrs = "";
		respond_sdp(r, 180, addr('a', 5091), NULL);
		HL_CHECK(find_out("180") >= 0);
	}
	fork_respond(inv, 180, "b2", 22, "", NULL);
	HL_CHECK(find_out("180") >= 0);
	HL_CHECK_INT(stats().ctr[HL_SIG_CTR_FORK_EARLY_DIALOGS], 2);
	advance(5100);
	HL_CHECK_INT(count_out("CANCEL"), 1);
	HL_CHECK(find_out("480") >= 0);
	agent_respond(inv, 487, 5091);
	HL_CHECK(find_out("ACK") >= 0);
	HL_CHECK(stats().calls == 0);
	advance(40000);
	HL_CHECK(stats().calls == 0 && stats().transactions == 0 && stats().dialogs == 0);
out:
	teardown();
}

/*
 * Requests in the early dialogs (§12.2.2): a fork's BYE ends its early dialog alone
 * (§15), the others ring on and no CANCEL goes; that fork's later 18x and requests are
 * of a dialog that is over (481). An UPDATE of a live fork gets its 200, one of a tag
 * never seen 481. The fork left answers and the call is its.
 */
HL_TEST(fork_requests_early)
{
	char inv[4096], msg[2048];

	setup();
	if (fork_call("z9hG4bKfk7", "fk7@trunk", inv, sizeof(inv)) != 0)
		goto out;
	fork_respond(inv, 180, "f1", 11, "", NULL);
	fork_respond(inv, 180, "f2", 12, "", NULL);
	agent_req_tag(msg, sizeof(msg), inv, "f1", "BYE", "z9hG4bKfk7b1", 2, NULL);
	feed(msg, addr('a', 5090));
	HL_CHECK_INT(status_of(0), 200);
	HL_CHECK_MSG(nout == 1, "a fork's BYE ended the attempt");
	HL_CHECK(find_out("CANCEL") < 0 && stats().calls == 1);
	fork_respond(inv, 180, "f1", 11, "", NULL);
	HL_CHECK_MSG(nout == 0, "a fork that hung up rings on");
	agent_req_tag(msg, sizeof(msg), inv, "f1", "UPDATE", "z9hG4bKfk7u1", 3, NULL);
	feed(msg, addr('a', 5090));
	HL_CHECK_INT(status_of(0), 481);
	agent_req_tag(msg, sizeof(msg), inv, "f2", "UPDATE", "z9hG4bKfk7u2", 2, NULL);
	feed(msg, addr('a', 5090));
	HL_CHECK_INT(status_of(0), 200);
	agent_req_tag(msg, sizeof(msg), inv, "f9", "UPDATE", "z9hG4bKfk7u9", 2, NULL);
	feed(msg, addr('a', 5090));
	HL_CHECK_INT(status_of(0), 481);
	fork_respond(inv, 200, "f2", 12, "", NULL);
	HL_CHECK(fork_req_is(find_out("ACK"), "ACK", "f2", 12, NULL));
	HL_CHECK(find_out("200") >= 0 && out[find_out("200")].dst.port == 5060);
	fork_hangup("fk7@trunk", 2, "f2", 12);
	advance(40000);
	HL_CHECK(stats().calls == 0 && stats().transactions == 0 && stats().dialogs == 0);
out:
	teardown();
}

/*
 * A customer that takes 100rel, and two forks with reliable 183s: the customer's early
 * SDP is our answer to the first fork's, in our reliable 183; the second fork's 183 is
 * PRACKed in its dialog and held behind ours until the customer's PRACK, then goes
 * without SDP (the session is set). The second fork answers without SDP: the agent's
 * leg moves to that fork's early media, and the customer's 200 repeats our 183's SDP.
 */
HL_TEST(fork_rel_customer_100rel)
{
	char inv[4096], s1[512], s2[512], prack[4096], sdp183[2048], totag[64], msg[2048];
	uint32_t rseq = 0, rseq2 = 0;
	unsigned int np;
	int i;

	setup_ops(1);
	HL_CHECK(do_register("alice", "alicepw", 5090, 0) == 200);
	rel_invite("z9hG4bKfk8", "fk8@trunk", "Supported: 100rel\r\n", sdp_offer);
	i = find_out("INVITE");
	HL_CHECK(i >= 0 && out[i].dst.port == 5090);
	if (i < 0)
		goto out;
	snprintf(inv, sizeof(inv), "%s", out[i].buf);
	fork_sdp(s1, sizeof(s1), 11, 7000);
	fork_sdp(s2, sizeof(s2), 12, 7002);
	fork_respond(inv, 183, "f1", 11, "Require: 100rel\r\nRSeq: 1\r\n", s1);
	HL_CHECK(fork_req_is(find_out("PRACK"), "PRACK", "f1", 11, NULL));
	i = find_out("PRACK");
	if (i >= 0) {
		snprintf(prack, sizeof(prack), "%s", out[i].buf);
		agent_respond(prack, 200, 5090);
	}
	fork_respond(inv, 183, "f1", 11, "Require: 100rel\r\nRSeq: 1\r\n", s1);
	HL_CHECK(find_out("PRACK") < 0);
	/* the 183 went to the customer from the first fork's SDP */
	fork_respond(inv, 183, "f2", 12, "Require: 100rel\r\nRSeq: 9\r\n", s2);
	HL_CHECK(fork_req_is(find_out("PRACK"), "PRACK", "f2", 12, NULL));
	HL_CHECK_MSG(find_out("183") < 0, "a second reliable 183 with ours unacknowledged");
	i = find_out("PRACK");
	if (i >= 0) {
		snprintf(prack, sizeof(prack), "%s", out[i].buf);
		agent_respond(prack, 200, 5090);
	}
	HL_CHECK(last_push(1) != NULL && last_push(1)->remote_port == 7000);
	np = npushed;
	HL_CHECK(sig->calls != NULL && sig->calls->a->rel_unacked);
	if (sig->calls == NULL)
		goto out;
	/* our reliable 183 as the customer has it (its retransmission shows it) */
	snprintf(totag, sizeof(totag), "%s", sig->calls->a->ltag);
	rseq = sig->calls->a->rseq;
	nout = 0;
	advance(600);
	i = find_out("183");
	HL_CHECK(
		i >= 0 && rel_1xx((unsigned int)i, &rseq2, msg, sizeof(msg)) == 0 && rseq2 == rseq);
	if (i < 0)
		goto out;
	snprintf(sdp183, sizeof(sdp183), "%s", body_of((unsigned int)i));
	HL_CHECK(strstr(sdp183, "RTP/AVP 8 101") != NULL);
	customer_prack(msg, sizeof(msg), "z9hG4bKfk8p", "fk8@trunk", totag, 2, rseq, NULL);
	feed(msg, addr('t', 5060));
	HL_CHECK_INT(status_of(0), 200);
	/* the second fork's 183, held: now, without SDP */
	i = find_out("183");
	HL_CHECK(i >= 0 && rel_1xx((unsigned int)i, &rseq2, msg, sizeof(msg)) == 0 &&
		 rseq2 == rseq + 1 && body_of((unsigned int)i)[0] == '\0');
	HL_CHECK_MSG(npushed == np, "the second fork's early media took the leg over");
	customer_prack(msg, sizeof(msg), "z9hG4bKfk8q", "fk8@trunk", totag, 3, rseq + 1, NULL);
	feed(msg, addr('t', 5060));
	HL_CHECK_INT(status_of(0), 200);
	fork_respond(inv, 200, "f2", 12, "", NULL);
	HL_CHECK(fork_req_is(find_out("ACK"), "ACK", "f2", 12, NULL));
	i = find_out("200");
	HL_CHECK(
		i >= 0 && out[i].dst.port == 5060 && strcmp(body_of((unsigned int)i), sdp183) == 0);
	HL_CHECK_MSG(last_push(1) != NULL && last_push(1)->remote_port == 7002 &&
			     last_push(1)->remote_ip[3] == 12,
		"the agent's leg did not follow the fork that answered");
	HL_CHECK_INT(stats().ctr[HL_SIG_CTR_CALLS_ANSWERED], 1);
	fork_hangup("fk8@trunk", 4, "f2", 12);
	advance(40000);
	HL_CHECK(stats().calls == 0 && stats().transactions == 0 && stats().dialogs == 0);
out:
	teardown();
}

/* ---- forks answering with another codec than the early media's ---- */

/* Device dev's SDP with codec pt and events. */
static void
fork_sdp_pt(char *text, size_t cap, unsigned int dev, unsigned int port, unsigned int pt)
{
	snprintf(text, cap,
		"v=0\r\no=dev%u 2 2 IN IP4 10.99.98.%u\r\ns=-\r\nc=IN IP4 10.99.98.%u\r\nt=0 0\r\n"
		"m=audio %u RTP/AVP %u 101\r\na=rtpmap:101 telephone-event/8000\r\n",
		dev, dev, dev, port, pt);
}

/* The o= version of an SDP, 0 when it has none. */
static unsigned long
o_version(const char *sdp)
{
	const char *o = strstr(sdp, "o=");
	unsigned long sid = 0, ver = 0;
	char user[64];

	if (o == NULL || sscanf(o, "o=%63s %lu %lu", user, &sid, &ver) != 3)
		return 0;
	return ver;
}

/*
 * A customer that takes 100rel (its offer PCMU, PCMA, events), alice behind a forking
 * proxy: fork f1 sends a reliable 183 with PCMU, which our reliable 183 answers, PRACKed
 * both ways; then fork f2, not heard of before, answers 200 with codec pt. Our 200 to
 * the customer in the outputs (its To tag into totag, our 183's SDP into sdp183); the
 * INVITE to alice into inv. 0, or -1 when the call did not get that far.
 */
static int
fork_codec_call_sdp(const char *branch, const char *callid, const char *csdp, unsigned int pt,
	char *inv, size_t invcap, char *totag, size_t tagcap, char *sdp183, size_t sdpcap)
{
	char s1[512], s2[512], prack[4096], msg[2048];
	uint32_t rseq = 0;
	int i;

	HL_CHECK(do_register("alice", "alicepw", 5090, 0) == 200);
	rel_invite(branch, callid, "Supported: 100rel\r\n", csdp);
	i = find_out("INVITE");
	HL_CHECK(i >= 0 && out[i].dst.port == 5090);
	if (i < 0)
		return -1;
	snprintf(inv, invcap, "%s", out[i].buf);
	/* our offer to the agent lists the customer's codecs */
	HL_CHECK(strstr(inv, "RTP/AVP 0 8 101") != NULL);
	fork_sdp_pt(s1, sizeof(s1), 11, 7000, 0);
	fork_sdp_pt(s2, sizeof(s2), 12, 7002, pt);
	fork_respond(inv, 183, "f1", 11, "Require: 100rel\r\nRSeq: 1\r\n", s1);
	i = find_out("PRACK");
	HL_CHECK(fork_req_is(i, "PRACK", "f1", 11, NULL));
	if (i >= 0) {
		snprintf(prack, sizeof(prack), "%s", out[i].buf);
		agent_respond(prack, 200, 5090);
	}
	HL_CHECK(sig->calls != NULL && sig->calls->a->rel_unacked);
	if (sig->calls == NULL)
		return -1;
	snprintf(totag, tagcap, "%s", sig->calls->a->ltag);
	rseq = sig->calls->a->rseq;
	snprintf(sdp183, sdpcap, "%s", sig->calls->a->sdp_local ? sig->calls->a->sdp_local : "");
	HL_CHECK_MSG(strstr(sdp183, " 0 101\r\n") != NULL, "early answer: %s", sdp183);
	customer_prack(msg, sizeof(msg), "z9hG4bKfcp", callid, totag, 2, rseq, NULL);
	feed(msg, addr('t', 5060));
	HL_CHECK_INT(status_of(0), 200);
	HL_CHECK(last_push(0) != NULL && last_push(0)->codec_pt == 0);
	fork_respond(inv, 200, "f2", 12, "", s2);
	HL_CHECK(fork_req_is(find_out("ACK"), "ACK", "f2", 12, NULL));
	i = find_out("200");
	HL_CHECK(
		i >= 0 && out[i].dst.port == 5060 && strcmp(body_of((unsigned int)i), sdp183) == 0);
	HL_CHECK_MSG(find_out("INVITE") < 0, "a re-INVITE before the customer's ACK");
	HL_CHECK(last_push(1) != NULL && last_push(1)->remote_port == 7002 &&
		 last_push(1)->codec_pt == pt);
	return i >= 0 ? 0 : -1;
}

/* The same, the customer offering sdp_offer. */
static int
fork_codec_call(const char *branch, const char *callid, unsigned int pt, char *inv, size_t invcap,
	char *totag, size_t tagcap, char *sdp183, size_t sdpcap)
{
	return fork_codec_call_sdp(
		branch, callid, sdp_offer, pt, inv, invcap, totag, tagcap, sdp183, sdpcap);
}

/* Our re-INVITE to the customer in the outputs, after its ACK of our 200: into reinv. */
static int
fork_codec_ack(const char *callid, const char *totag, char *reinv, size_t cap)
{
	char msg[2048];
	int i;

	customer_req(msg, sizeof(msg), "ACK", "z9hG4bKfca", callid, totag, 1);
	feed(msg, addr('t', 5060));
	i = find_out("INVITE");
	if (i < 0)
		return -1;
	snprintf(reinv, cap, "%s", out[i].buf);
	return 0;
}

/* Fork f2's re-offer putting the call on hold. */
static const char fork_hold[] =
	"v=0\r\no=dev12 2 3 IN IP4 10.99.98.12\r\ns=-\r\nc=IN IP4 10.99.98.12\r\nt=0 0\r\n"
	"m=audio 7002 RTP/AVP 8 101\r\na=rtpmap:101 telephone-event/8000\r\na=sendonly\r\n";

/* The customer's 200 to our re-INVITE, PCMA and events. */
static const char customer_pcma[] =
	"v=0\r\no=trunk 1 2 IN IP4 10.99.0.2\r\ns=-\r\nc=IN IP4 10.99.0.2\r\nt=0 0\r\n"
	"m=audio 6000 RTP/AVP 8 101\r\na=rtpmap:101 telephone-event/8000\r\n";

/*
 * Fork f1's early media is PCMU, and the customer's reliable 183 answered with it; f2
 * answers with PCMA (from the same offer). Without transcoding the legs must agree:
 * once the customer ACKs our 200 (which repeats the 183's SDP), hotline re-INVITEs it
 * in its dialog, PCMA alone (the PT of its offer, events kept), the next CSeq and o=
 * version; the customer's 200 is ACKed and both legs go to the worker on PCMA. A
 * re-INVITE of the customer's own crossing ours gets 491, and the agent's is refused
 * too (one INVITE at a time on the customer's dialog).
 */
HL_TEST(fork_codec_reoffer)
{
	char inv[4096], totag[64], sdp183[2048], reinv[4096], msg[2048];
	const char *body;
	unsigned int np;
	int i;

	setup_ops(1);
	if (fork_codec_call("z9hG4bKfc1", "fc1@trunk", 8, inv, sizeof(inv), totag, sizeof(totag),
		    sdp183, sizeof(sdp183)) != 0)
		goto out;
	if (fork_codec_ack("fc1@trunk", totag, reinv, sizeof(reinv)) != 0) {
		HL_CHECK_MSG(0, "no re-INVITE after the customer's ACK");
		goto out;
	}
	HL_CHECK_MSG(strncmp(reinv, "INVITE sip:trunk@10.99.0.2:5060 SIP/2.0\r\n", 41) == 0,
		"no re-INVITE to the customer: %.80s", reinv);
	HL_CHECK(out[find_out("INVITE")].dst.port == 5060);
	HL_CHECK(strstr(reinv, "CSeq: 2 INVITE\r\n") != NULL);
	HL_CHECK(strstr(reinv, ";tag=c1\r\n") != NULL); /* To: the customer's tag */
	body = strstr(reinv, "\r\n\r\n");
	HL_CHECK(body != NULL);
	if (body == NULL)
		goto out;
	body += 4;
	HL_CHECK_MSG(strstr(body, "m=audio ") != NULL && strstr(body, " RTP/AVP 8 101\r\n") != NULL,
		"the re-offer is not PCMA alone: %s", body);
	HL_CHECK(strstr(body, "a=rtpmap:0 ") == NULL && strstr(body, "a=sendrecv") != NULL);
	HL_CHECK_INT(o_version(body), o_version(sdp183) + 1);
	HL_CHECK_INT(stats().ctr[HL_SIG_CTR_FORK_CODEC_REOFFER], 1);
	/* the customer's own re-INVITE crosses ours: 491 (RFC 3261 §14.2) */
	customer_reinvite("z9hG4bKfc1r", "fc1@trunk", totag, 3, customer_pcma);
	HL_CHECK(find_out("491") >= 0 && find_out("INVITE") < 0);
	/* nor can the agent's re-offer (hold) go to the customer now */
	agent_req_tag(msg, sizeof(msg), inv, "f2", "INVITE", "z9hG4bKfc1h", 2, fork_hold);
	feed(msg, addr('a', 5090));
	HL_CHECK((find_out("500") >= 0 || find_out("491") >= 0) && find_out("INVITE") < 0);
	np = npushed;
	respond_sdp(reinv, 200, addr('t', 5060), customer_pcma);
	i = find_out("ACK");
	HL_CHECK_MSG(i >= 0 && out[i].dst.port == 5060 && strstr(out[i].buf, "CSeq: 2 ACK\r\n"),
		"the customer's 200 is not ACKed");
	HL_CHECK_MSG(npushed == np + 2, "both legs not pushed (%u)", npushed - np);
	HL_CHECK(last_push(0) != NULL && last_push(0)->codec_pt == 8 && last_push(0)->te_pt == 101);
	HL_CHECK(last_push(1) != NULL && last_push(1)->codec_pt == 8 &&
		 last_push(1)->remote_port == 7002);
	HL_CHECK(sig->calls != NULL && sig->calls->a->codec_fix == CODEC_FIX_NONE);
	HL_CHECK_INT(stats().ctr[HL_SIG_CTR_FORK_CODEC_FAILED], 0);
	/* its retransmission: the ACK again, nothing else */
	respond_sdp(reinv, 200, addr('t', 5060), customer_pcma);
	HL_CHECK_INT(nout, 1);
	HL_CHECK(is_method(0, "ACK"));
	HL_CHECK_INT(stats().ctr[HL_SIG_CTR_FORK_CODEC_REOFFER], 1);
	nout = 0;
	customer_req(msg, sizeof(msg), "BYE", "z9hG4bKfc1b", "fc1@trunk", totag, 4);
	feed(msg, addr('t', 5060));
	HL_CHECK_INT(status_of(0), 200);
	HL_CHECK(fork_req_is(find_out("BYE"), "BYE", "f2", 12, NULL));
	fork_answers_bye();
	advance(40000);
	HL_CHECK(stats().calls == 0 && stats().transactions == 0 && stats().dialogs == 0);
out:
	teardown();
}

/*
 * The same call, the customer refusing our re-offer: 491 (glare) has it go again after
 * 0-2 s (RFC 3261 §14.1), the next CSeq and o= version; 488 then ends the call, BYE to
 * both legs (the legs cannot hear each other), media_failed, fork_codec_failed.
 */
HL_TEST(fork_codec_reoffer_refused)
{
	char inv[4096], totag[64], sdp183[2048], reinv[4096];
	const char *body;
	int i;

	setup_ops(1);
	if (fork_codec_call("z9hG4bKfc2", "fc2@trunk", 8, inv, sizeof(inv), totag, sizeof(totag),
		    sdp183, sizeof(sdp183)) != 0)
		goto out;
	if (fork_codec_ack("fc2@trunk", totag, reinv, sizeof(reinv)) != 0) {
		HL_CHECK_MSG(0, "no re-INVITE after the customer's ACK");
		goto out;
	}
	respond_sdp(reinv, 491, addr('t', 5060), NULL);
	HL_CHECK(find_out("ACK") >= 0 && find_out("INVITE") < 0 && find_out("BYE") < 0);
	HL_CHECK(sig->calls != NULL && sig->calls->a->codec_fix == CODEC_FIX_RETRY);
	nout = 0;
	for (unsigned int t = 0; t < 2010 && find_out("INVITE") < 0; t += 10)
		advance(10);
	i = find_out("INVITE");
	HL_CHECK_MSG(i >= 0 && out[i].dst.port == 5060, "no retry within 2 s of the 491");
	if (i < 0)
		goto out;
	snprintf(reinv, sizeof(reinv), "%s", out[i].buf);
	HL_CHECK(strstr(reinv, "CSeq: 3 INVITE\r\n") != NULL);
	body = strstr(reinv, "\r\n\r\n");
	HL_CHECK(body != NULL && strstr(body, " RTP/AVP 8 101\r\n") != NULL);
	HL_CHECK(body != NULL && o_version(body + 4) == o_version(sdp183) + 2);
	HL_CHECK_INT(stats().ctr[HL_SIG_CTR_FORK_CODEC_REOFFER], 1);
	respond_sdp(reinv, 488, addr('t', 5060), NULL);
	HL_CHECK(find_out("ACK") >= 0);
	{
		/* BYE to both legs, each answered: nothing left */
		char bye[2][4096];
		struct hl_sig_addr from[2];
		unsigned int nbye = 0, cust = 0, agent = 0;
		for (unsigned int k = 0; k < nout && nbye < 2; k++) {
			if (!is_method(k, "BYE"))
				continue;
			cust += out[k].dst.port == 5060;
			agent += fork_req_is((int)k, "BYE", "f2", 12, NULL);
			from[nbye] = out[k].dst.port == 5060 ? addr('t', 5060) : addr('a', 5090);
			snprintf(bye[nbye++], sizeof(bye[0]), "%s", out[k].buf);
		}
		HL_CHECK_INT(count_out("BYE"), 2);
		HL_CHECK_MSG(cust == 1, "the customer gets no BYE");
		HL_CHECK_MSG(agent == 1, "the agent gets no BYE in the answered dialog");
		HL_CHECK_INT(stats().ctr[HL_SIG_CTR_FORK_CODEC_FAILED], 1);
		HL_CHECK(sig->calls != NULL && sig->calls->disposition == HL_CDR_MEDIA_FAILED &&
			 sig->calls->ended_by == HL_CDR_BY_HOTLINE);
		for (unsigned int k = 0; k < nbye; k++)
			respond_sdp(bye[k], 200, from[k], NULL);
	}
	advance(40000);
	HL_CHECK(stats().calls == 0 && stats().transactions == 0 && stats().dialogs == 0);
out:
	teardown();
}

/*
 * The agent re-INVITEs (hold) while our re-offer to the customer waits for its answer,
 * once the agent's INVITE transaction is over (Timer M): the customer's dialog has an
 * INVITE of ours open, so the agent's offer cannot go on (RFC 3261 §14.1): 500 with
 * Retry-After, nothing to the customer. Our re-offer unanswered ends as 408 does: the
 * dialog is gone, and the call with it (dialog_lost, fork_codec_failed).
 */
HL_TEST(fork_codec_reoffer_agent_waits)
{
	char inv[4096], totag[64], sdp183[2048], reinv[4096], msg[2048];

	setup_ops(1);
	if (fork_codec_call("z9hG4bKfc4", "fc4@trunk", 8, inv, sizeof(inv), totag, sizeof(totag),
		    sdp183, sizeof(sdp183)) != 0)
		goto out;
	/* the customer's ACK late, within 64*T1 of our 200 */
	advance(31000);
	if (fork_codec_ack("fc4@trunk", totag, reinv, sizeof(reinv)) != 0) {
		HL_CHECK_MSG(0, "no re-INVITE after the customer's ACK");
		goto out;
	}
	advance(2000);
	HL_CHECK(sig->calls != NULL && sig->calls->b != NULL && sig->calls->b->inv == NULL);
	agent_req_tag(msg, sizeof(msg), inv, "f2", "INVITE", "z9hG4bKfc4h", 2, fork_hold);
	feed(msg, addr('a', 5090));
	HL_CHECK_MSG(find_out("500") >= 0 &&
			     strstr(out[find_out("500")].buf, "\r\nRetry-After: ") != NULL,
		"the agent's re-offer is not put off");
	HL_CHECK_MSG(find_out("INVITE") < 0, "a second INVITE on the customer's dialog");
	/* the customer never answers ours: Timer B */
	nout = 0;
	advance(33000);
	HL_CHECK_INT(stats().ctr[HL_SIG_CTR_FORK_CODEC_FAILED], 1);
	{
		/* BYE to both (resent, as nobody answers them here) */
		unsigned int cust = 0, agent = 0;
		for (unsigned int k = 0; k < nout; k++) {
			cust += is_method(k, "BYE") && out[k].dst.port == 5060;
			agent += fork_req_is((int)k, "BYE", "f2", 12, NULL);
		}
		HL_CHECK(cust > 0 && agent > 0);
	}
	HL_CHECK(sig->calls != NULL && sig->calls->disposition == HL_CDR_DIALOG_LOST);
out:
	teardown();
}

/*
 * A late offer (no SDP in the customer's INVITE) with 100rel: our offer went in the
 * reliable 183, from fork f1's PCMU, and the PRACK answered it; f2 answers PCMA. The
 * customer offered no codec, so the agent's is asked of it (our PT), and its 200 moves
 * both legs to PCMA.
 */
HL_TEST(fork_codec_reoffer_late_offer)
{
	char inv[4096], s1[512], s2[512], prack[4096], msg[2048], totag[64], reinv[4096];
	const char *body;
	static const char late_pcmu[] =
		"v=0\r\no=trunk 1 1 IN IP4 10.99.0.2\r\ns=-\r\nc=IN IP4 10.99.0.2\r\nt=0 0\r\n"
		"m=audio 6000 RTP/AVP 0 101\r\na=rtpmap:101 telephone-event/8000\r\n";
	int i;

	setup_ops(1);
	HL_CHECK(do_register("alice", "alicepw", 5090, 0) == 200);
	rel_invite("z9hG4bKfc5", "fc5@trunk", "Supported: 100rel\r\n", NULL);
	i = find_out("INVITE");
	HL_CHECK(i >= 0 && out[i].dst.port == 5090);
	if (i < 0)
		goto out;
	snprintf(inv, sizeof(inv), "%s", out[i].buf);
	fork_sdp_pt(s1, sizeof(s1), 11, 7000, 0);
	fork_sdp_pt(s2, sizeof(s2), 12, 7002, 8);
	fork_respond(inv, 183, "f1", 11, "Require: 100rel\r\nRSeq: 1\r\n", s1);
	i = find_out("PRACK");
	if (i >= 0) {
		snprintf(prack, sizeof(prack), "%s", out[i].buf);
		agent_respond(prack, 200, 5090);
	}
	HL_CHECK(sig->calls != NULL && sig->calls->a->rel_unacked && sig->calls->a->rel_sdp);
	if (sig->calls == NULL)
		goto out;
	snprintf(totag, sizeof(totag), "%s", sig->calls->a->ltag);
	customer_prack(msg, sizeof(msg), "z9hG4bKfc5p", "fc5@trunk", totag, 2, sig->calls->a->rseq,
		late_pcmu);
	feed(msg, addr('t', 5060));
	HL_CHECK_INT(status_of(0), 200);
	HL_CHECK(last_push(0) != NULL && last_push(0)->codec_pt == 0);
	fork_respond(inv, 200, "f2", 12, "", s2);
	HL_CHECK(find_out("200") >= 0 && find_out("INVITE") < 0);
	if (fork_codec_ack("fc5@trunk", totag, reinv, sizeof(reinv)) != 0) {
		HL_CHECK_MSG(0, "no re-INVITE after the customer's ACK");
		goto out;
	}
	body = strstr(reinv, "\r\n\r\n");
	HL_CHECK(body != NULL && strstr(body, " RTP/AVP 8 101\r\n") != NULL);
	respond_sdp(reinv, 200, addr('t', 5060), customer_pcma);
	HL_CHECK(find_out("ACK") >= 0);
	HL_CHECK(last_push(0) != NULL && last_push(0)->codec_pt == 8);
	HL_CHECK(last_push(1) != NULL && last_push(1)->codec_pt == 8);
	HL_CHECK_INT(stats().ctr[HL_SIG_CTR_FORK_CODEC_REOFFER], 1);
	HL_CHECK_INT(stats().ctr[HL_SIG_CTR_FORK_CODEC_FAILED], 0);
	nout = 0;
	customer_req(msg, sizeof(msg), "BYE", "z9hG4bKfc5b", "fc5@trunk", totag, 3);
	feed(msg, addr('t', 5060));
	HL_CHECK_INT(status_of(0), 200);
	fork_answers_bye();
	advance(40000);
	HL_CHECK(stats().calls == 0 && stats().transactions == 0 && stats().dialogs == 0);
out:
	teardown();
}

/*
 * Without 100rel the customer's 183 (fork f1's PCMU) is early media, not the answer:
 * fork f2's 200 with PCMA answers the customer in our 200, PCMA, the next o= version,
 * and no re-INVITE follows (the legs agree from the start).
 */
HL_TEST(fork_codec_unreliable_183)
{
	char inv[4096], s1[512], s2[512], sdp183[2048], totag[64], reinv[4096];
	const char *b200;
	int i;

	setup_ops(1);
	if (fork_call("z9hG4bKfc6", "fc6@trunk", inv, sizeof(inv)) != 0)
		goto out;
	fork_sdp_pt(s1, sizeof(s1), 11, 7000, 0);
	fork_sdp_pt(s2, sizeof(s2), 12, 7002, 8);
	fork_respond(inv, 183, "f1", 11, "", s1);
	i = find_out("183");
	HL_CHECK(i >= 0 && strstr(body_of((unsigned int)i), "RTP/AVP 0 101") != NULL);
	if (i < 0)
		goto out;
	snprintf(sdp183, sizeof(sdp183), "%s", body_of((unsigned int)i));
	fork_respond(inv, 200, "f2", 12, "", s2);
	i = find_out("200");
	HL_CHECK(i >= 0 && out[i].dst.port == 5060);
	if (i < 0)
		goto out;
	b200 = body_of((unsigned int)i);
	HL_CHECK_MSG(strstr(b200, "RTP/AVP 8 101") != NULL, "the 200 answers: %s", b200);
	HL_CHECK_INT(o_version(b200), o_version(sdp183) + 1);
	HL_CHECK(last_push(0) != NULL && last_push(0)->codec_pt == 8);
	HL_CHECK(last_push(1) != NULL && last_push(1)->codec_pt == 8);
	out_tag(i, totag, sizeof(totag));
	HL_CHECK_MSG(fork_codec_ack("fc6@trunk", totag, reinv, sizeof(reinv)) != 0,
		"a re-INVITE though the legs agree");
	HL_CHECK_INT(stats().ctr[HL_SIG_CTR_FORK_CODEC_REOFFER], 0);
out:
	teardown();
}

/*
 * The customer's leg runs SDES SRTP: the re-offer moving it to PCMA stays on RTP/SAVP
 * with the crypto line in use (its tag, our key of the 183's answer), the customer's
 * 200 keeps its key, and the worker gets the leg on PCMA with the same keys, its SRTP
 * sessions kept.
 */
HL_TEST(fork_codec_reoffer_srtp)
{
	char inv[4096], totag[64], sdp183[2048], reinv[4096], csdp[1024], ans[1024];
	char key183[128] = "", keyre[128] = "";
	const char *body, *p;
	unsigned int tag = 0;

	setup_ops(1);
	srtp_sdp(csdp, sizeof(csdp), "RTP/SAVP", "sendrecv",
		"a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:" K30 "\r\n");
	if (fork_codec_call_sdp("z9hG4bKfc7", "fc7@trunk", csdp, 8, inv, sizeof(inv), totag,
		    sizeof(totag), sdp183, sizeof(sdp183)) != 0)
		goto out;
	HL_CHECK(strstr(sdp183, "RTP/SAVP 0 101\r\n") != NULL);
	if ((p = strstr(sdp183, "inline:")) != NULL)
		sscanf(p, "inline:%127[^|\r]", key183);
	if (fork_codec_ack("fc7@trunk", totag, reinv, sizeof(reinv)) != 0) {
		HL_CHECK_MSG(0, "no re-INVITE after the customer's ACK");
		goto out;
	}
	body = strstr(reinv, "\r\n\r\n");
	HL_CHECK(body != NULL);
	if (body == NULL)
		goto out;
	HL_CHECK_MSG(strstr(body, " RTP/SAVP 8 101\r\n") != NULL, "re-offer: %s", body);
	p = strstr(body, "a=crypto:");
	HL_CHECK(p != NULL && sscanf(p, "a=crypto:%u AES_CM_128_HMAC_SHA1_80 inline:%127[^|\r]",
				      &tag, keyre) == 2);
	HL_CHECK_INT(tag, 1);
	HL_CHECK_MSG(key183[0] != '\0' && strcmp(key183, keyre) == 0,
		"the re-offer's key is not the one in use");
	snprintf(ans, sizeof(ans),
		"v=0\r\no=trunk 1 2 IN IP4 10.99.0.2\r\ns=-\r\nc=IN IP4 10.99.0.2\r\nt=0 0\r\n"
		"m=audio 6000 RTP/SAVP 8 101\r\na=rtpmap:101 telephone-event/8000\r\n"
		"a=crypto:%u AES_CM_128_HMAC_SHA1_80 inline:" K30 "\r\n",
		tag);
	respond_sdp(reinv, 200, addr('t', 5060), ans);
	HL_CHECK(find_out("ACK") >= 0);
	HL_CHECK(last_push(0) != NULL && last_push(0)->codec_pt == 8 && last_push(0)->srtp_rx &&
		 last_push(0)->srtp_tx && last_push(0)->srtp_keep);
	HL_CHECK(last_push(1) != NULL && last_push(1)->codec_pt == 8);
	HL_CHECK_INT(stats().ctr[HL_SIG_CTR_FORK_CODEC_FAILED], 0);
	HL_CHECK(sig->calls != NULL && sig->calls->state == CALL_CONNECTED);
out:
	teardown();
}

/* The fork that answers runs the early media's codec (the usual case): no re-INVITE. */
HL_TEST(fork_codec_same)
{
	char inv[4096], totag[64], sdp183[2048], reinv[4096], msg[2048];

	setup_ops(1);
	if (fork_codec_call("z9hG4bKfc3", "fc3@trunk", 0, inv, sizeof(inv), totag, sizeof(totag),
		    sdp183, sizeof(sdp183)) != 0)
		goto out;
	HL_CHECK_MSG(fork_codec_ack("fc3@trunk", totag, reinv, sizeof(reinv)) != 0,
		"a re-INVITE though the codecs agree");
	HL_CHECK_INT(nout, 0);
	advance(3000);
	HL_CHECK(find_out("INVITE") < 0);
	HL_CHECK_INT(stats().ctr[HL_SIG_CTR_FORK_CODEC_REOFFER], 0);
	HL_CHECK(last_push(0) != NULL && last_push(0)->codec_pt == 0);
	HL_CHECK(last_push(1) != NULL && last_push(1)->codec_pt == 0);
	customer_req(msg, sizeof(msg), "BYE", "z9hG4bKfc3b", "fc3@trunk", totag, 3);
	feed(msg, addr('t', 5060));
	HL_CHECK_INT(status_of(0), 200);
	HL_CHECK(fork_req_is(find_out("BYE"), "BYE", "f2", 12, NULL));
	fork_answers_bye();
	advance(40000);
	HL_CHECK(stats().calls == 0 && stats().transactions == 0 && stats().dialogs == 0);
out:
	teardown();
}

/* ---- what a body is: application/sdp, and nothing else ---- */

/* Content-Type lines and whether hotline takes the SDP under them: RFC 3261 §20.15,
 * type and subtype in any case, parameters allowed, LWS around the slash (§7.3.1, and
 * hl_sip_parse_media_type() takes it); another type, a longer subtype, a value that does
 * not parse and no Content-Type at all are no SDP. */
static const struct {
	const char *line; /* "": no Content-Type */
	int sdp;
} ctype_cases[] = {
	{"Content-Type: application/sdp\r\n", 1},
	{"Content-Type: APPLICATION/SDP;version=1\r\n", 1},
	{"Content-Type: Application/Sdp ; charset=x\r\n", 1},
	{"Content-Type: application / sdp\r\n", 1},
	{"c: application/sdp\r\n", 1},
	{"Content-Type: application/sdpx\r\n", 0},
	{"Content-Type: application/sd\r\n", 0},
	{"Content-Type: text/plain\r\n", 0},
	{"Content-Type: multipart/mixed;boundary=b1\r\n", 0},
	{"Content-Type: application/\r\n", 0},
	{"Content-Type: application\r\n", 0},
	{"Content-Type: application/sdp sdp\r\n", 0},
	{"Content-Type: application/sdp;\r\n", 0},
	{"", 0},
};

/* The customer's request in the A dialog, with Contact, SDP sdp under Content-Type line
 * ct ("": none), fed. */
static void
customer_req_ct(const char *method, const char *branch, const char *callid, const char *totag,
	unsigned int cseq, const char *ct, const char *sdp)
{
	char msg[4096];

	snprintf(msg, sizeof(msg),
		"%s sip:hotline@10.99.0.1:5060 SIP/2.0\r\nVia: SIP/2.0/UDP "
		"10.99.0.2:5060;branch=%s\r\n"
		"Max-Forwards: 70\r\nFrom: \"Customer\" <sip:+4930123@trunk.test>;tag=c1\r\n"
		"To: <sip:+15550100@10.99.0.1>;tag=%s\r\nCall-ID: %s\r\nCSeq: %u %s\r\n"
		"Contact: <sip:trunk@10.99.0.2:5060>\r\n%sContent-Length: %zu\r\n\r\n%s",
		method, branch, totag, callid, cseq, method, ct, strlen(sdp), sdp);
	feed(msg, addr('t', 5060));
}

/* Output i is a 415 that names what hotline takes (RFC 3261 §21.4.13). */
static int
is_415(int i)
{
	return i >= 0 && status_of((unsigned int)i) == 415 &&
	       strstr(out[i].buf, "\r\nAccept: application/sdp\r\n") != NULL;
}

/* A new call's SDP under each Content-Type: taken (nobody to ring: 480), or 415 with
 * Accept: application/sdp before anything else happens. */
HL_TEST(sdp_content_type_invite)
{
	setup();
	for (unsigned int n = 0; n < HL_ARRAY_SIZE(ctype_cases); n++) {
		char msg[4096], br[32], cid[32];

		snprintf(br, sizeof(br), "z9hG4bKct%u", n);
		snprintf(cid, sizeof(cid), "ct%u@trunk", n);
		snprintf(msg, sizeof(msg),
			"INVITE sip:+15550100@10.99.0.1 SIP/2.0\r\n"
			"Via: SIP/2.0/UDP 10.99.0.2:5060;branch=%s\r\nMax-Forwards: 70\r\n"
			"From: \"Customer\" <sip:+4930123@trunk.test>;tag=c1\r\n"
			"To: <sip:+15550100@10.99.0.1>\r\nCall-ID: %s\r\nCSeq: 1 INVITE\r\n"
			"Contact: <sip:trunk@10.99.0.2:5060>\r\n%sContent-Length: %zu\r\n\r\n%s",
			br, cid, ctype_cases[n].line, strlen(sdp_offer), sdp_offer);
		feed(msg, addr('t', 5060));
		if (ctype_cases[n].sdp)
			HL_CHECK_MSG(find_out("480") >= 0 && find_out("415") < 0,
				"case %u (%s): not taken", n, ctype_cases[n].line);
		else
			HL_CHECK_MSG(is_415(find_out("415")) && find_out("480") < 0,
				"case %u (%s): not refused", n, ctype_cases[n].line);
	}
	HL_CHECK(stats().calls == 0);
	teardown();
}

/*
 * In a call, the same helper decides: a re-INVITE or UPDATE whose body is not SDP gets
 * 415 with Accept and nothing moves, nor is the agent asked; under any spelling of
 * application/sdp it is an offer. A 2xx from the agent whose body is not SDP is taken
 * as one without SDP: the agent's leg does not move to what it holds.
 */
HL_TEST(sdp_content_type_in_dialog)
{
	static const char moved[] =
		"v=0\r\no=trunk 1 3 IN IP4 10.99.0.2\r\ns=-\r\n"
		"c=IN IP4 10.99.0.2\r\nt=0 0\r\nm=audio 6010 RTP/AVP 0 8 101\r\n"
		"a=rtpmap:101 telephone-event/8000\r\n";
	static const char agent_7010[] =
		"v=0\r\no=agent 2 3 IN IP4 10.99.98.2\r\ns=-\r\n"
		"c=IN IP4 10.99.98.2\r\nt=0 0\r\nm=audio 7010 RTP/AVP 8 101\r\n"
		"a=rtpmap:101 telephone-event/8000\r\na=recvonly\r\n";
	static const char agent_7012[] =
		"v=0\r\no=agent 2 4 IN IP4 10.99.98.2\r\ns=-\r\n"
		"c=IN IP4 10.99.98.2\r\nt=0 0\r\nm=audio 7012 RTP/AVP 8 101\r\n"
		"a=rtpmap:101 telephone-event/8000\r\n";
	char inv[4096], totag[64], hold[1024], resume[1024], rinv[4096], msg[4096];
	struct hl_sdp ans;
	int i;

	setup_ops(1);
	i = srtp_call("z9hG4bKcd1", "cd1@trunk", sdp_offer, NULL, inv, sizeof(inv), totag,
		sizeof(totag), &ans);
	HL_CHECK(i >= 0);
	if (i < 0)
		goto out;
	upd_sdp(hold, sizeof(hold), 2, "10.99.0.2", 6000, "0 8 101", "sendonly");
	upd_sdp(resume, sizeof(resume), 4, "10.99.0.2", 6010, "0 8 101", "sendrecv");

	/* not SDP: 415, the agent not asked, the worker left alone */
	npushed = 0;
	customer_req_ct("INVITE", "z9hG4bKcd2", "cd1@trunk", totag, 2,
		"Content-Type: application/sdpx\r\n", hold);
	HL_CHECK(is_415(find_out("415")) && find_out("INVITE") < 0);
	customer_req(msg, sizeof(msg), "ACK", "z9hG4bKcd2", "cd1@trunk", totag, 2);
	feed(msg, addr('t', 5060));
	customer_req_ct("UPDATE", "z9hG4bKcd3", "cd1@trunk", totag, 3,
		"Content-Type: application/sdp;\r\n", moved);
	HL_CHECK(nout == 1 && is_415(0));
	HL_CHECK_INT(npushed, 0);
	HL_CHECK(sig->calls != NULL && !sig->calls->a->hold);

	/* SDP under another spelling: an UPDATE moving the address is answered at once */
	customer_req_ct("UPDATE", "z9hG4bKcd4", "cd1@trunk", totag, 4,
		"Content-Type: Application/SDP ; x=y\r\n", moved);
	HL_CHECK(nout == 1 && status_of(0) == 200);
	HL_CHECK(last_push(0) != NULL && last_push(0)->remote_port == 6010);

	/* a hold under another spelling goes to the agent, whose 2xx body is no SDP */
	npushed = 0;
	customer_req_ct("INVITE", "z9hG4bKcd5", "cd1@trunk", totag, 5,
		"Content-Type: APPLICATION/SDP;version=1\r\n", hold);
	i = find_out("INVITE");
	HL_CHECK(i >= 0 && out[i].dst.port == 5090 && strstr(out[i].buf, "a=sendonly\r\n"));
	if (i < 0)
		goto out;
	snprintf(rinv, sizeof(rinv), "%s", out[i].buf);
	resp_ctype = "application/sdpx";
	respond_sdp(rinv, 200, addr('a', 5090), agent_7010);
	resp_ctype = "application/sdp";
	HL_CHECK(find_out("ACK") >= 0);
	i = find_out("200");
	HL_CHECK(i >= 0 && out[i].dst.port == 5060);
	HL_CHECK(last_push(1) == NULL || last_push(1)->remote_port == 7000);
	HL_CHECK(last_push(0) != NULL && last_push(0)->recv_only);
	customer_req(msg, sizeof(msg), "ACK", "z9hG4bKcd5a", "cd1@trunk", totag, 5);
	feed(msg, addr('t', 5060));

	/* and one whose 2xx is SDP in capitals moves the agent's leg */
	customer_req_ct("INVITE", "z9hG4bKcd6", "cd1@trunk", totag, 6,
		"Content-Type: application/sdp\r\n", resume);
	i = find_out("INVITE");
	HL_CHECK(i >= 0 && out[i].dst.port == 5090);
	if (i < 0)
		goto out;
	snprintf(rinv, sizeof(rinv), "%s", out[i].buf);
	resp_ctype = "APPLICATION/SDP;x=1";
	respond_sdp(rinv, 200, addr('a', 5090), agent_7012);
	resp_ctype = "application/sdp";
	HL_CHECK(find_out("200") >= 0);
	HL_CHECK(last_push(1) != NULL && last_push(1)->remote_port == 7012);
	HL_CHECK(last_push(0) != NULL && !last_push(0)->recv_only);
	customer_req(msg, sizeof(msg), "ACK", "z9hG4bKcd6a", "cd1@trunk", totag, 6);
	feed(msg, addr('t', 5060));
	HL_CHECK_INT(stats().ctr[HL_SIG_CTR_UPDATE_REFUSED], 1);

	customer_req(msg, sizeof(msg), "BYE", "z9hG4bKcd7", "cd1@trunk", totag, 7);
	feed(msg, addr('t', 5060));
	agent_answers_bye();
	HL_CHECK(stats().calls == 0);
	advance(40000);
	HL_CHECK(stats().transactions == 0 && stats().dialogs == 0);
out:
	resp_ctype = "application/sdp";
	teardown();
}

/*
 * RFC 3264 §8, RFC 3261 §14.1, RFC 3311 §5.2: an offer that fails leaves the session as
 * it was. The customer's hold, by re-INVITE or UPDATE, goes on to the agent, who
 * refuses it (488, 491): the customer hears that refusal, and its leg is still
 * sendrecv, in hotline and in the next push to the worker (here the agent's UPDATE
 * moving its own address pushes both legs); nothing went to the worker before the
 * agent's answer. On the agent's side too the session is as it was: a refresh of its
 * gets our SDP of before the refused offer back, not that offer. The same hold again
 * is an offer again, not a refresh.
 */
HL_TEST(reoffer_refused_keeps_leg)
{
	static const struct {
		const char *method;
		int code;
	} cases[] = {{"INVITE", 488}, {"INVITE", 491}, {"UPDATE", 488}, {"UPDATE", 491}};
	static const char agent_moves[] =
		"v=0\r\no=agent 2 3 IN IP4 10.99.98.2\r\ns=-\r\n"
		"c=IN IP4 10.99.98.2\r\nt=0 0\r\nm=audio 7004 RTP/AVP 8 101\r\n"
		"a=rtpmap:101 telephone-event/8000\r\n";
	/* respond_sdp()'s, the agent's answer to our first offer */
	static const char agent_plain[] =
		"v=0\r\no=agent 2 2 IN IP4 10.99.98.2\r\ns=-\r\n"
		"c=IN IP4 10.99.98.2\r\nt=0 0\r\nm=audio 7000 RTP/AVP 8 101\r\n"
		"a=rtpmap:101 telephone-event/8000\r\n";

	for (unsigned int n = 0; n < HL_ARRAY_SIZE(cases); n++) {
		const char *mt = cases[n].method;
		int inv_case = strcmp(mt, "INVITE") == 0;
		char inv[4096], totag[64], hold[1024], rinv[4096], msg[4096], cid[32], want[32];
		const struct hl_media_leg *a;
		struct hl_sdp ans;
		int i;

		setup_ops(1);
		snprintf(cid, sizeof(cid), "rr%u@trunk", n);
		i = srtp_call("z9hG4bKrr1", cid, sdp_offer, NULL, inv, sizeof(inv), totag,
			sizeof(totag), &ans);
		HL_CHECK(i >= 0);
		if (i < 0) {
			teardown();
			continue;
		}
		upd_sdp(hold, sizeof(hold), 2, "10.99.0.2", 6000, "0 8 101", "sendonly");
		npushed = 0;
		customer_req_ct(
			mt, "z9hG4bKrr2", cid, totag, 2, "Content-Type: application/sdp\r\n", hold);
		i = find_out("INVITE");
		HL_CHECK_MSG(
			i >= 0 && out[i].dst.port == 5090 && strstr(out[i].buf, "a=sendonly\r\n"),
			"case %u: hold not offered on", n);
		if (i < 0) {
			teardown();
			continue;
		}
		HL_CHECK_MSG(npushed == 0, "case %u: pushed before the answer", n);
		snprintf(rinv, sizeof(rinv), "%s", out[i].buf);

		/* the agent refuses: the customer hears it, and its leg is as it was */
		agent_respond(rinv, cases[n].code, 5090);
		snprintf(want, sizeof(want), "%d", cases[n].code);
		i = find_out(want);
		snprintf(want, sizeof(want), "CSeq: 2 %s\r\n", mt);
		HL_CHECK_MSG(i >= 0 && out[i].dst.port == 5060 && strstr(out[i].buf, want),
			"case %u: the refusal did not reach the customer", n);
		HL_CHECK_MSG(npushed == 0 && sig->calls != NULL && !sig->calls->a->hold &&
				     !sig->calls->a->media.recv_only,
			"case %u: the refused hold moved the leg", n);
		if (inv_case) {
			customer_req(msg, sizeof(msg), "ACK", "z9hG4bKrr2", cid, totag, 2);
			feed(msg, addr('t', 5060));
		}
		HL_CHECK_INT(stats().ctr[HL_SIG_CTR_UPDATE_REFUSED], inv_case ? 0 : 1);

		/* the agent's refresh: our SDP as it was before the hold we offered */
		agent_req(msg, sizeof(msg), inv, "UPDATE", "z9hG4bKrr3r", 1, agent_plain);
		feed(msg, addr('a', 5090));
		i = find_out("200");
		HL_CHECK(i >= 0 && find_out("INVITE") < 0);
		const char *first = strstr(inv, "\r\n\r\n");
		HL_CHECK_MSG(
			i >= 0 && first != NULL && strcmp(body_of((unsigned int)i), first + 4) == 0,
			"case %u: the refresh got\n%s", n, i >= 0 ? body_of((unsigned int)i) : "");

		/* the next push has the customer's leg sendrecv */
		agent_req(msg, sizeof(msg), inv, "UPDATE", "z9hG4bKrr3", 2, agent_moves);
		feed(msg, addr('a', 5090));
		HL_CHECK(find_out("200") >= 0 && find_out("INVITE") < 0);
		a = last_push(0);
		HL_CHECK_MSG(a != NULL && !a->recv_only && a->remote_port == 6000,
			"case %u: the worker has the customer's leg held", n);
		HL_CHECK(last_push(1) != NULL && last_push(1)->remote_port == 7004);

		/* the same hold again: offered on again, and taken this time */
		npushed = 0;
		customer_req_ct(
			mt, "z9hG4bKrr4", cid, totag, 3, "Content-Type: application/sdp\r\n", hold);
		i = find_out("INVITE");
		HL_CHECK_MSG(i >= 0 && find_out("200") < 0, "case %u: not offered on again: %.40s",
			n, nout ? out[nout - 1].buf : "");
		if (i < 0) {
			teardown();
			continue;
		}
		snprintf(rinv, sizeof(rinv), "%s", out[i].buf);
		respond_sdp(rinv, 200, addr('a', 5090), agent_recvonly);
		i = find_out("200");
		HL_CHECK(i >= 0 && out[i].dst.port == 5060 && strstr(out[i].buf, "a=recvonly\r\n"));
		HL_CHECK(last_push(0) != NULL && last_push(0)->recv_only);
		HL_CHECK(sig->calls != NULL && sig->calls->a->hold);
		if (inv_case) {
			customer_req(msg, sizeof(msg), "ACK", "z9hG4bKrr4a", cid, totag, 3);
			feed(msg, addr('t', 5060));
		}

		customer_req(msg, sizeof(msg), "BYE", "z9hG4bKrr5", cid, totag, 4);
		feed(msg, addr('t', 5060));
		agent_answers_bye();
		HL_CHECK(stats().calls == 0);
		advance(40000);
		HL_CHECK(stats().transactions == 0 && stats().dialogs == 0);
		teardown();
	}
}

/* ---- re-INVITEs and refreshes against offers and transactions still open ---- */

/* The agent's SDP from 10.99.98.<host>, port, direction dir, o= version ver. */
static void
agent_sdp_at(char *text, size_t cap, unsigned int ver, unsigned int host, unsigned int port,
	const char *dir)
{
	snprintf(text, cap,
		"v=0\r\no=agent 2 %u IN IP4 10.99.98.2\r\ns=-\r\nc=IN IP4 10.99.98.%u\r\nt=0 0\r\n"
		"m=audio %u RTP/AVP 8 101\r\na=rtpmap:101 telephone-event/8000\r\na=%s\r\n", ver, host,
		port, dir);
}

/*
 * The agent puts the customer on hold right after answering, within Timer M of our
 * INVITE: its 2xx came and has our ACK, so its offer is answered, and the agent's
 * re-INVITE crosses nothing of ours (RFC 3261 §14.2, RFC 6026 §8.4): no 491. It is
 * offered on to the customer, whose answer makes ours. A retransmission of the agent's
 * first 2xx meanwhile gets our ACK again, and nothing else.
 */
HL_TEST(agent_reinvite_after_answer)
{
	char inv[4096], totag[64], sdp[1024], rinv[4096], msg[4096];
	struct hl_sdp ans;
	int i;

	setup_ops(1);
	i = srtp_call("z9hG4bKra1", "ra1@trunk", sdp_offer, NULL, inv, sizeof(inv), totag,
		sizeof(totag), &ans);
	HL_CHECK(i >= 0);
	if (i < 0)
		goto out;
	advance(500);
	agent_sdp_at(sdp, sizeof(sdp), 3, 2, 7000, "sendonly");
	agent_req(msg, sizeof(msg), inv, "INVITE", "z9hG4bKrab1", 1, sdp);
	feed(msg, addr('a', 5090));
	HL_CHECK_MSG(find_out("491") < 0, "the agent's re-INVITE after its 2xx taken for glare");
	i = find_out("INVITE");
	HL_CHECK(i >= 0 && out[i].dst.port == 5060 && strstr(out[i].buf, "a=sendonly\r\n"));
	if (i < 0)
		goto out;
	snprintf(rinv, sizeof(rinv), "%s", out[i].buf);
	/* the agent's 200 to our INVITE again: our ACK again, and nothing else */
	respond_sdp(inv, 200, addr('a', 5090), NULL);
	HL_CHECK(nout == 1 && is_method(0, "ACK") && out[0].dst.port == 5090);
	HL_CHECK_INT(stats().ctr[HL_SIG_CTR_RETRANS_ABSORBED], 1);
	upd_sdp(sdp, sizeof(sdp), 2, "10.99.0.2", 6000, "8 101", "recvonly");
	respond_sdp(rinv, 200, addr('t', 5060), sdp);
	HL_CHECK(find_out("ACK") >= 0);
	i = find_out("200");
	HL_CHECK(i >= 0 && out[i].dst.port == 5090 && strstr(out[i].buf, "CSeq: 1 INVITE\r\n") &&
		strstr(body_of((unsigned int)i), "a=recvonly\r\n") != NULL);
	agent_req(msg, sizeof(msg), inv, "ACK", "z9hG4bKrab1a", 1, NULL);
	feed(msg, addr('a', 5090));
	HL_CHECK(sig->calls != NULL && sig->calls->b->hold);

	customer_req(msg, sizeof(msg), "BYE", "z9hG4bKra9", "ra1@trunk", totag, 2);
	feed(msg, addr('t', 5060));
	agent_answers_bye();
	HL_CHECK(stats().calls == 0);
	advance(40000);
	HL_CHECK(stats().transactions == 0 && stats().dialogs == 0);
out:
	teardown();
}

/*
 * The agent's re-INVITE while the customer's 200 waits for the PRACK of our reliable
 * 183 (RFC 3262 §3): there is no confirmed dialog to offer it on to, so it is ours to
 * answer (RFC 3264 §8), at once: the agent's leg moves to its new address, on hold,
 * and the worker has it before the agent hears our answer. Our o= version moves with
 * our SDP only: a new port alone gets the same SDP and version. The customer is not
 * asked; its 200 goes with its PRACK, and the worker has the agent's leg as it is by
 * then.
 */
HL_TEST(agent_reinvite_customer_unconfirmed)
{
	char inv[4096], totag[64], sdp[1024], msg[4096], a183[1024], ans1[2048];
	const struct hl_media_leg *b;
	uint32_t rseq = 0;
	unsigned long v1;
	int i;

	setup_ops(1);
	HL_CHECK(do_register("alice", "alicepw", 5090, 0) == 200);
	rel_invite("z9hG4bKru1", "ru1@trunk", "Supported: 100rel\r\n", sdp_offer);
	i = find_out("INVITE");
	HL_CHECK(i >= 0 && out[i].dst.port == 5090);
	if (i < 0)
		goto out;
	snprintf(inv, sizeof(inv), "%s", out[i].buf);
	agent_sdp_at(a183, sizeof(a183), 2, 2, 7000, "sendrecv");
	respond_sdp(inv, 183, addr('a', 5090), a183);
	i = find_out("183");
	HL_CHECK(i >= 0 && rel_1xx((unsigned int)i, &rseq, totag, sizeof(totag)) == 0);
	if (i < 0)
		goto out;
	respond_sdp(inv, 200, addr('a', 5090), a183);
	HL_CHECK(find_out("ACK") >= 0 && find_out("200") < 0);
	HL_CHECK(sig->calls != NULL && sig->calls->a->final_due);

	/* a new address: ours to take */
	npushed = 0;
	agent_sdp_at(sdp, sizeof(sdp), 3, 9, 7010, "sendrecv");
	agent_req(msg, sizeof(msg), inv, "INVITE", "z9hG4bKrub1", 1, sdp);
	feed(msg, addr('a', 5090));
	i = find_out("200");
	HL_CHECK_MSG(i >= 0 && out[i].dst.port == 5090 && find_out("INVITE") < 0,
		"not answered here: %.40s", nout ? out[0].buf : "");
	if (i < 0)
		goto out;
	HL_CHECK(strstr(body_of((unsigned int)i), "c=IN IP4 10.99.98.1\r\n") != NULL &&
		strstr(body_of((unsigned int)i), " RTP/AVP 8 101\r\n") != NULL);
	snprintf(ans1, sizeof(ans1), "%s", body_of((unsigned int)i));
	v1 = o_version(ans1);
	b = last_push(1);
	HL_CHECK_MSG(b != NULL && b->remote_port == 7010 && ip4_is(b->remote_ip, "10.99.98.9") &&
			     !b->recv_only,
		"the agent's leg did not move");
	HL_CHECK(npushed > 0 && pushed_nout[npushed - 1] <= (unsigned int)i);
	agent_req(msg, sizeof(msg), inv, "ACK", "z9hG4bKrub1a", 1, NULL);
	feed(msg, addr('a', 5090));

	/* on hold: our answer recvonly, the next version */
	agent_sdp_at(sdp, sizeof(sdp), 4, 9, 7010, "sendonly");
	agent_req(msg, sizeof(msg), inv, "INVITE", "z9hG4bKrub2", 2, sdp);
	feed(msg, addr('a', 5090));
	i = find_out("200");
	HL_CHECK(i >= 0 && strstr(body_of((unsigned int)i), "a=recvonly\r\n") != NULL &&
		o_version(body_of((unsigned int)i)) == v1 + 1);
	HL_CHECK(last_push(1) != NULL && last_push(1)->recv_only);
	agent_req(msg, sizeof(msg), inv, "ACK", "z9hG4bKrub2a", 2, NULL);
	feed(msg, addr('a', 5090));

	/* a new port alone: our SDP as it was, its version too */
	agent_sdp_at(sdp, sizeof(sdp), 5, 9, 7020, "sendonly");
	agent_req(msg, sizeof(msg), inv, "INVITE", "z9hG4bKrub3", 3, sdp);
	feed(msg, addr('a', 5090));
	i = find_out("200");
	HL_CHECK(i >= 0 && o_version(body_of((unsigned int)i)) == v1 + 1);
	HL_CHECK(last_push(1) != NULL && last_push(1)->remote_port == 7020);
	agent_req(msg, sizeof(msg), inv, "ACK", "z9hG4bKrub3a", 3, NULL);
	feed(msg, addr('a', 5090));

	/* G.729 alone: no codec of ours, 488, nothing moves */
	npushed = 0;
	snprintf(sdp, sizeof(sdp), "v=0\r\no=agent 2 6 IN IP4 10.99.98.2\r\ns=-\r\n"
		"c=IN IP4 10.99.98.9\r\nt=0 0\r\nm=audio 7030 RTP/AVP 18\r\n");
	agent_req(msg, sizeof(msg), inv, "INVITE", "z9hG4bKrub4", 4, sdp);
	feed(msg, addr('a', 5090));
	HL_CHECK(find_out("488") >= 0 && npushed == 0);
	agent_req(msg, sizeof(msg), inv, "ACK", "z9hG4bKrub4", 4, NULL);
	feed(msg, addr('a', 5090));

	/* the PRACK: the customer's 200, the agent's leg where it is now */
	customer_prack(msg, sizeof(msg), "z9hG4bKrup", "ru1@trunk", totag, 2, rseq, NULL);
	feed(msg, addr('t', 5060));
	HL_CHECK(find_out("200") >= 0);
	HL_CHECK(stats().ctr[HL_SIG_CTR_CALLS_ANSWERED] == 1);
	HL_CHECK(sig->calls != NULL && sig->calls->b->media.remote_port == 7020);
	customer_req(msg, sizeof(msg), "ACK", "z9hG4bKruack", "ru1@trunk", totag, 1);
	feed(msg, addr('t', 5060));

	customer_req(msg, sizeof(msg), "BYE", "z9hG4bKru9", "ru1@trunk", totag, 3);
	feed(msg, addr('t', 5060));
	agent_answers_bye();
	HL_CHECK(stats().calls == 0);
	advance(40000);
	HL_CHECK(stats().transactions == 0 && stats().dialogs == 0);
out:
	teardown();
}

/*
 * The customer's re-INVITE while no confirmed agent leg could take it: in the IVR or the
 * queue (no agent leg), or with one still ringing. hotline answers a customer only once
 * an agent has, so those states are set here on the call directly, as the IVR and the
 * queue will leave it. The offer is ours to answer (RFC 3264 §8): the customer's leg
 * moves to its new address, port and direction, the worker gets it (the prompts and the
 * music follow), and our o= version moves only with our SDP. With no agent leg a codec
 * the customer moves to is taken; with one ringing the call keeps the codec it runs,
 * so an offer without it gets 488, and nothing moves.
 */
HL_TEST(customer_reinvite_no_agent)
{
	char inv[4096], totag[64], sdp[1024], msg[4096];
	const struct hl_media_leg *a;
	struct hl_sdp ans;
	struct sig_call *c;
	struct sig_leg *bl;
	unsigned long v0;
	int i;

	setup_ops(1);
	i = srtp_call("z9hG4bKrc1", "rc1@trunk", sdp_offer, NULL, inv, sizeof(inv), totag,
		sizeof(totag), &ans);
	HL_CHECK(i >= 0 && sig->calls != NULL);
	if (i < 0 || sig->calls == NULL)
		goto out;
	v0 = o_version(sig->calls->a->sdp_local);
	advance(64 * 500 + 1000);
	/* the queue: the agent's leg gone, the call routing again */
	c = sig->calls;
	bl = c->b;
	c->b = NULL;
	c->state = CALL_ROUTING;

	/* a new address, and PCMU where the call ran PCMA: no peer, so taken */
	npushed = 0;
	upd_sdp(sdp, sizeof(sdp), 2, "10.99.0.7", 6010, "0 101", "sendrecv");
	customer_reinvite("z9hG4bKrc2", "rc1@trunk", totag, 2, sdp);
	i = find_out("200");
	HL_CHECK_MSG(i >= 0 && find_out("INVITE") < 0, "no 200: %.40s", nout ? out[0].buf : "");
	if (i < 0)
		goto restore;
	HL_CHECK(strstr(body_of((unsigned int)i), " RTP/AVP 0 101\r\n") != NULL &&
		strstr(body_of((unsigned int)i), "c=IN IP4 10.99.0.1\r\n") != NULL);
	HL_CHECK(o_version(body_of((unsigned int)i)) == v0 + 1);
	a = last_push(0);
	HL_CHECK_MSG(a != NULL && a->remote_port == 6010 && ip4_is(a->remote_ip, "10.99.0.7") &&
			     a->codec_pt == 0,
		"the customer's leg did not move");
	customer_req(msg, sizeof(msg), "ACK", "z9hG4bKrc2a", "rc1@trunk", totag, 2);
	feed(msg, addr('t', 5060));

	/* music on hold: sendonly, answered recvonly, the next version */
	upd_sdp(sdp, sizeof(sdp), 3, "10.99.0.7", 6010, "0 101", "sendonly");
	customer_reinvite("z9hG4bKrc3", "rc1@trunk", totag, 3, sdp);
	i = find_out("200");
	HL_CHECK(i >= 0 && strstr(body_of((unsigned int)i), "a=recvonly\r\n") != NULL &&
		o_version(body_of((unsigned int)i)) == v0 + 2);
	HL_CHECK(last_push(0) != NULL && last_push(0)->recv_only);
	customer_req(msg, sizeof(msg), "ACK", "z9hG4bKrc3a", "rc1@trunk", totag, 3);
	feed(msg, addr('t', 5060));

	/* an agent rung: a codec change is no longer the customer's alone */
	c->b = bl;
	bl->state = LEG_EARLY;
	npushed = 0;
	upd_sdp(sdp, sizeof(sdp), 4, "10.99.0.7", 6010, "8 101", "sendrecv");
	customer_reinvite("z9hG4bKrc4", "rc1@trunk", totag, 4, sdp);
	HL_CHECK(find_out("488") >= 0 && npushed == 0);
	customer_req(msg, sizeof(msg), "ACK", "z9hG4bKrc4", "rc1@trunk", totag, 4);
	feed(msg, addr('t', 5060));
	/* its own codec among others, a new port, resumed: taken, PCMU kept */
	upd_sdp(sdp, sizeof(sdp), 5, "10.99.0.7", 6020, "8 0 101", "sendrecv");
	customer_reinvite("z9hG4bKrc5", "rc1@trunk", totag, 5, sdp);
	i = find_out("200");
	HL_CHECK(i >= 0 && find_out("INVITE") < 0 &&
		strstr(body_of((unsigned int)i), " RTP/AVP 0 101\r\n") != NULL &&
		strstr(body_of((unsigned int)i), "a=sendrecv\r\n") != NULL &&
		o_version(body_of((unsigned int)i)) == v0 + 3);
	a = last_push(0);
	HL_CHECK(a != NULL && a->remote_port == 6020 && a->codec_pt == 0 && !a->recv_only);
	customer_req(msg, sizeof(msg), "ACK", "z9hG4bKrc5a", "rc1@trunk", totag, 5);
	feed(msg, addr('t', 5060));

restore:
	c->b = bl;
	bl->state = LEG_CONFIRMED;
	c->state = CALL_CONNECTED;
	customer_req(msg, sizeof(msg), "BYE", "z9hG4bKrc9", "rc1@trunk", totag, 6);
	feed(msg, addr('t', 5060));
	agent_answers_bye();
	HL_CHECK(stats().calls == 0);
	advance(40000);
	HL_CHECK(stats().transactions == 0 && stats().dialogs == 0);
out:
	teardown();
}

/* INVITEs in the outputs to the customer's trunk. */
static unsigned int
invites_to_customer(void)
{
	unsigned int n = 0;

	for (unsigned int j = 0; j < nout; j++)
		n += is_method(j, "INVITE") && out[j].dst.port == 5060;
	return n;
}

/*
 * RFC 4028 with us refreshing the customer's leg (refresher=uas, 90 s: at 45 s), while
 * our re-INVITE relaying the agent's hold is still open on that leg (the customer sent
 * 100 and thinks): RFC 3261 §14.1 lets no second INVITE go, so the refresh waits for
 * the answer, and goes once that is in (a refusal: a 2xx would be the refresh).
 */
HL_TEST(session_refresh_waits_open_offer)
{
	char inv[4096], totag[64], sdp[1024], rinv[4096], msg[4096], v[512];
	int i;

	setup_ops(1);
	HL_CHECK(do_register("alice", "alicepw", 5090, 0) == 200);
	send_invite_hdrs("+15550100", "z9hG4bKsw1", "sw1@trunk",
		"Max-Forwards: 70\r\nSupported: timer\r\nSession-Expires: 90;refresher=uas\r\n");
	i = find_out("INVITE");
	HL_CHECK(i >= 0);
	if (i < 0)
		goto out;
	snprintf(inv, sizeof(inv), "%s", out[i].buf);
	agent_respond(inv, 200, 5090);
	i = find_out("200");
	HL_CHECK(i >= 0 && strstr(out[i].buf, "Session-Expires: 90;refresher=uas") != NULL);
	if (i < 0)
		goto out;
	hdr((unsigned int)i, HL_SIP_HDR_TO, v, sizeof(v));
	param(v, ";tag=", totag, sizeof(totag));
	customer_req(msg, sizeof(msg), "ACK", "z9hG4bKswa", "sw1@trunk", totag, 1);
	feed(msg, addr('t', 5060));
	advance(40000);

	/* at 40 s the agent holds; our re-INVITE to the customer gets 100 only */
	agent_sdp_at(sdp, sizeof(sdp), 3, 2, 7000, "sendonly");
	agent_req(msg, sizeof(msg), inv, "INVITE", "z9hG4bKswb1", 1, sdp);
	feed(msg, addr('a', 5090));
	i = find_out("INVITE");
	HL_CHECK(i >= 0 && out[i].dst.port == 5060);
	if (i < 0)
		goto out;
	snprintf(rinv, sizeof(rinv), "%s", out[i].buf);
	respond_sdp(rinv, 100, addr('t', 5060), NULL);
	nout = 0;
	advance(15000);
	HL_CHECK_MSG(invites_to_customer() == 0, "a refresh crossed our open re-INVITE (%u)",
		invites_to_customer());
	HL_CHECK_INT(stats().ctr[HL_SIG_CTR_SESSION_REFRESH], 0);

	/* the customer refuses it (a 2xx would have refreshed the session): the agent
	 * hears so, and now the refresh goes, within the 1-2 s it waits at a time */
	respond_sdp(rinv, 488, addr('t', 5060), NULL);
	HL_CHECK(find_out("ACK") >= 0 && find_out("488") >= 0);
	agent_req(msg, sizeof(msg), inv, "ACK", "z9hG4bKswb1", 1, NULL);
	feed(msg, addr('a', 5090));
	nout = 0;
	advance(2500);
	/* one refresh (and its retransmissions, unanswered till now) */
	HL_CHECK(invites_to_customer() >= 1);
	HL_CHECK_INT(stats().ctr[HL_SIG_CTR_SESSION_REFRESH], 1);
	i = find_out("INVITE");
	if (i >= 0) {
		HL_CHECK(strstr(out[i].buf, "a=sendrecv\r\n") != NULL);
		snprintf(rinv, sizeof(rinv), "%s", out[i].buf);
		upd_sdp(sdp, sizeof(sdp), 2, "10.99.0.2", 6000, "8 101", "sendrecv");
		respond_sdp(rinv, 200, addr('t', 5060), sdp);
		HL_CHECK(find_out("ACK") >= 0);
	}

	customer_req(msg, sizeof(msg), "BYE", "z9hG4bKsw9", "sw1@trunk", totag, 2);
	feed(msg, addr('t', 5060));
	agent_answers_bye();
	HL_CHECK(stats().calls == 0);
	advance(40000);
	HL_CHECK(stats().transactions == 0 && stats().dialogs == 0);
out:
	teardown();
}

/*
 * RFC 4028 with us refreshing the customer's leg (90 s: at 45 s after the last 2xx),
 * while the agent holds: the refresh offers what we last told the customer, the
 * agent's sendonly we relayed, not sendrecv (which would take the customer off hold:
 * sending again, its music on hold state lost). Once the agent resumes, it is sendrecv.
 */
HL_TEST(session_refresh_keeps_peer_hold)
{
	char inv[4096], totag[64], sdp[1024], rinv[4096], msg[4096], v[512];
	int i;

	setup_ops(1);
	HL_CHECK(do_register("alice", "alicepw", 5090, 0) == 200);
	send_invite_hdrs("+15550100", "z9hG4bKsh1", "sh1@trunk",
		"Max-Forwards: 70\r\nSupported: timer\r\nSession-Expires: 90;refresher=uas\r\n");
	i = find_out("INVITE");
	HL_CHECK(i >= 0);
	if (i < 0)
		goto out;
	snprintf(inv, sizeof(inv), "%s", out[i].buf);
	agent_respond(inv, 200, 5090);
	i = find_out("200");
	HL_CHECK(i >= 0 && strstr(out[i].buf, "Session-Expires: 90;refresher=uas") != NULL);
	if (i < 0)
		goto out;
	hdr((unsigned int)i, HL_SIP_HDR_TO, v, sizeof(v));
	param(v, ";tag=", totag, sizeof(totag));
	customer_req(msg, sizeof(msg), "ACK", "z9hG4bKsha", "sh1@trunk", totag, 1);
	feed(msg, addr('t', 5060));
	advance(10000);

	/* the agent holds: sendonly offered on to the customer, who answers recvonly */
	agent_sdp_at(sdp, sizeof(sdp), 3, 2, 7000, "sendonly");
	agent_req(msg, sizeof(msg), inv, "INVITE", "z9hG4bKshb1", 1, sdp);
	feed(msg, addr('a', 5090));
	i = find_out("INVITE");
	HL_CHECK(i >= 0 && out[i].dst.port == 5060 && strstr(out[i].buf, "a=sendonly\r\n"));
	if (i < 0)
		goto out;
	snprintf(rinv, sizeof(rinv), "%s", out[i].buf);
	upd_sdp(sdp, sizeof(sdp), 2, "10.99.0.2", 6000, "8 101", "recvonly");
	respond_sdp(rinv, 200, addr('t', 5060), sdp);
	HL_CHECK(find_out("ACK") >= 0 && find_out("200") >= 0);
	agent_req(msg, sizeof(msg), inv, "ACK", "z9hG4bKshb1", 1, NULL);
	feed(msg, addr('a', 5090));
	HL_CHECK(sig->calls != NULL && sig->calls->b->hold && !sig->calls->a->hold);

	/* the customer's refresh, 45 s on: still sendonly */
	nout = 0;
	advance(46000);
	HL_CHECK_INT(stats().ctr[HL_SIG_CTR_SESSION_REFRESH], 1);
	i = find_out("INVITE");
	HL_CHECK(i >= 0 && out[i].dst.port == 5060);
	if (i < 0)
		goto out;
	HL_CHECK_MSG(strstr(out[i].buf, "a=sendonly\r\n") != NULL,
		"the refresh during the agent's hold offered\n%s", out[i].buf);
	snprintf(rinv, sizeof(rinv), "%s", out[i].buf);
	respond_sdp(rinv, 200, addr('t', 5060), sdp);
	HL_CHECK(find_out("ACK") >= 0);
	HL_CHECK(find_out("INVITE") < 0 || out[find_out("INVITE")].dst.port == 5060);

	/* the agent resumes: sendrecv offered on, and the next refresh offers it too */
	agent_sdp_at(sdp, sizeof(sdp), 4, 2, 7000, "sendrecv");
	agent_req(msg, sizeof(msg), inv, "INVITE", "z9hG4bKshb2", 2, sdp);
	nout = 0;
	feed(msg, addr('a', 5090));
	i = find_out("INVITE");
	HL_CHECK(i >= 0 && out[i].dst.port == 5060 && strstr(out[i].buf, "a=sendrecv\r\n"));
	if (i < 0)
		goto out;
	snprintf(rinv, sizeof(rinv), "%s", out[i].buf);
	upd_sdp(sdp, sizeof(sdp), 3, "10.99.0.2", 6000, "8 101", "sendrecv");
	respond_sdp(rinv, 200, addr('t', 5060), sdp);
	agent_req(msg, sizeof(msg), inv, "ACK", "z9hG4bKshb2", 2, NULL);
	feed(msg, addr('a', 5090));
	HL_CHECK(sig->calls != NULL && !sig->calls->b->hold);
	nout = 0;
	advance(46000);
	HL_CHECK_INT(stats().ctr[HL_SIG_CTR_SESSION_REFRESH], 2);
	i = find_out("INVITE");
	HL_CHECK(i >= 0 && out[i].dst.port == 5060);
	if (i >= 0) {
		HL_CHECK_MSG(strstr(out[i].buf, "a=sendrecv\r\n") != NULL,
			"the refresh after the resume offered\n%s", out[i].buf);
		snprintf(rinv, sizeof(rinv), "%s", out[i].buf);
		respond_sdp(rinv, 200, addr('t', 5060), sdp);
	}

	customer_req(msg, sizeof(msg), "BYE", "z9hG4bKsh9", "sh1@trunk", totag, 2);
	feed(msg, addr('t', 5060));
	agent_answers_bye();
	HL_CHECK(stats().calls == 0);
	advance(40000);
	HL_CHECK(stats().transactions == 0 && stats().dialogs == 0);
out:
	teardown();
}

/* Allocations of [malloc_fail_lo, 64 KiB) fail while malloc_fail_lo is set (test_sig
 * links with --wrap=malloc): blocks too large for sig.c's size classes, not its slabs. */
static size_t malloc_fail_lo;
void *__real_malloc(size_t n);
void *__wrap_malloc(size_t n);

void *
__wrap_malloc(size_t n)
{
	if (malloc_fail_lo != 0 && n >= malloc_fail_lo && n < 64 * 1024)
		return NULL;
	return __real_malloc(n);
}

/* A client transaction whose request cannot be kept for its retransmissions is none:
 * NULL, nothing sent, nothing left in the table. */
HL_TEST(client_txn_needs_its_copy)
{
	static char big[5000];
	struct hl_sig_addr dst = addr('a', 5090);
	struct sig_txn *t;
	uint64_t txns, sent;

	setup_ops(0);
	memset(big, 'x', sizeof(big));
	memcpy(big, "OPTIONS ", 8);
	txns = sig->st.transactions;
	sent = stats().ctr[HL_SIG_CTR_MSG_OUT];
	malloc_fail_lo = 4096;
	t = sig_txn_client(sig, HL_SIP_METHOD_OPTIONS, "z9hG4bKbig1", &dst, big, sizeof(big),
		NULL, NULL);
	malloc_fail_lo = 0;
	HL_CHECK(t == NULL);
	HL_CHECK(sig->st.transactions == txns);
	HL_CHECK(stats().ctr[HL_SIG_CTR_MSG_OUT] == sent);
	/* with room for the copy it goes, and is retransmitted from it */
	t = sig_txn_client(sig, HL_SIP_METHOD_OPTIONS, "z9hG4bKbig2", &dst, big, sizeof(big),
		NULL, NULL);
	HL_CHECK(t != NULL && sig->st.transactions == txns + 1);
	HL_CHECK(stats().ctr[HL_SIG_CTR_MSG_OUT] == sent + 1);
	advance(600);
	HL_CHECK(stats().ctr[HL_SIG_CTR_RETRANS_SENT] >= 1);
	advance(40000);
	HL_CHECK(sig->st.transactions == txns);
	teardown();
}

/* Our re-INVITE that cannot go (no room for its transaction) leaves the leg as it was:
 * the agent's hold it would relay gets 500, no transaction is left, it is counted in
 * reinvites_not_sent, and the retry takes the next CSeq and o= version after our last
 * ones, as if the first had not been tried. */
HL_TEST(reinvite_not_sent_keeps_leg)
{
	char inv[4096], totag[64], sdp[1024], ans[1024], rinv[4096], msg[4096], v[512];
	const char *body;
	unsigned long ver0;
	uint32_t max;
	uint64_t txns;
	int i;

	setup_ops(1);
	HL_CHECK(do_register("alice", "alicepw", 5090, 0) == 200);
	send_invite("+15550100", "z9hG4bKrn1", "rn1@trunk");
	i = find_out("INVITE");
	HL_CHECK(i >= 0);
	if (i < 0)
		goto out;
	snprintf(inv, sizeof(inv), "%s", out[i].buf);
	agent_respond(inv, 200, 5090);
	i = find_out("200");
	HL_CHECK(i >= 0 && (body = strstr(out[i].buf, "\r\n\r\n")) != NULL);
	if (i < 0 || body == NULL)
		goto out;
	ver0 = o_version(body);
	HL_CHECK(ver0 != 0);
	hdr((unsigned int)i, HL_SIP_HDR_TO, v, sizeof(v));
	param(v, ";tag=", totag, sizeof(totag));
	customer_req(msg, sizeof(msg), "ACK", "z9hG4bKrna", "rn1@trunk", totag, 1);
	feed(msg, addr('t', 5060));

	/* room for the agent's INVITE's transaction, none for ours */
	max = sig->ntxn_max;
	txns = sig->st.transactions;
	sig->ntxn_max = (uint32_t)txns + 1;
	agent_sdp_at(sdp, sizeof(sdp), 3, 2, 7000, "sendonly");
	agent_req(msg, sizeof(msg), inv, "INVITE", "z9hG4bKrnb1", 1, sdp);
	feed(msg, addr('a', 5090));
	sig->ntxn_max = max;
	HL_CHECK(find_out("INVITE") < 0);
	i = find_out("500");
	HL_CHECK(i >= 0 && out[i].dst.port == 5090);
	HL_CHECK(stats().ctr[HL_SIG_CTR_REINVITE_NOT_SENT] == 1);
	HL_CHECK(sig->st.transactions == txns + 1); /* the agent's INVITE alone */
	agent_req(msg, sizeof(msg), inv, "ACK", "z9hG4bKrnb1", 1, NULL);
	feed(msg, addr('a', 5090));

	/* the agent's retry goes on to the customer as our first re-INVITE would have */
	agent_req(msg, sizeof(msg), inv, "INVITE", "z9hG4bKrnb2", 2, sdp);
	feed(msg, addr('a', 5090));
	i = find_out("INVITE");
	HL_CHECK(i >= 0 && out[i].dst.port == 5060);
	if (i < 0)
		goto out;
	HL_CHECK(hdr((unsigned int)i, HL_SIP_HDR_CSEQ, v, sizeof(v)) == 0);
	HL_CHECK_MSG(strcmp(v, "2 INVITE") == 0, "CSeq: %s", v);
	body = strstr(out[i].buf, "\r\n\r\n");
	HL_CHECK_MSG(body != NULL && o_version(body) == ver0 + 1, "o= version %lu after %lu",
		body != NULL ? o_version(body) : 0, ver0);
	HL_CHECK(strstr(out[i].buf, "a=sendonly\r\n") != NULL);
	snprintf(rinv, sizeof(rinv), "%s", out[i].buf);
	upd_sdp(ans, sizeof(ans), 2, "10.99.0.2", 6000, "8 101", "recvonly");
	respond_sdp(rinv, 200, addr('t', 5060), ans);
	HL_CHECK(find_out("ACK") >= 0 && find_out("200") >= 0);
	agent_req(msg, sizeof(msg), inv, "ACK", "z9hG4bKrnb2a", 2, NULL);
	feed(msg, addr('a', 5090));
	HL_CHECK(stats().ctr[HL_SIG_CTR_REINVITE_NOT_SENT] == 1);

	/* an UPDATE whose relay cannot go: refused with 500, not counted as relayed */
	uint64_t relayed = stats().ctr[HL_SIG_CTR_UPDATE_RELAYED];
	nout = 0;
	txns = sig->st.transactions;
	sig->ntxn_max = (uint32_t)txns + 1;
	agent_sdp_at(sdp, sizeof(sdp), 3, 3, 7000, "sendrecv");
	agent_req(msg, sizeof(msg), inv, "UPDATE", "z9hG4bKrnb3", 3, sdp);
	feed(msg, addr('a', 5090));
	sig->ntxn_max = max;
	HL_CHECK(find_out("UPDATE") < 0 && find_out("INVITE") < 0);
	i = find_out("500");
	HL_CHECK(i >= 0 && out[i].dst.port == 5090);
	HL_CHECK_INT(stats().ctr[HL_SIG_CTR_UPDATE_RELAYED], relayed);
	HL_CHECK(stats().ctr[HL_SIG_CTR_REINVITE_NOT_SENT] == 2);

	customer_req(msg, sizeof(msg), "BYE", "z9hG4bKrn9", "rn1@trunk", totag, 2);
	feed(msg, addr('t', 5060));
	agent_answers_bye();
	HL_CHECK(stats().calls == 0);
	advance(40000);
	HL_CHECK(stats().transactions == 0 && stats().dialogs == 0);
out:
	teardown();
}

/* A re-INVITE without SDP from the customer while the agent holds: the offer in our 200
 * restates the direction we gave the customer, inactive for an inactive hold (sendonly
 * would offer it media the agent does not send), sendonly for a sendonly one; while the
 * customer holds by itself it is sendrecv, so its answer may resume (RFC 6337 §5.3). */
HL_TEST(delayed_offer_restates_hold)
{
	static const struct {
		const char *who, *dir, *want;
	} cases[] = {
		{"agent", "inactive", "a=inactive\r\n"},
		{"agent", "sendonly", "a=sendonly\r\n"},
		{"customer", "sendonly", "a=sendrecv\r\n"},
	};

	for (unsigned int n = 0; n < HL_ARRAY_SIZE(cases); n++) {
		char inv[4096], totag[64], sdp[1024], ans[1024], rinv[4096], msg[4096], v[512];
		bool agent = strcmp(cases[n].who, "agent") == 0;
		int i;

		setup_ops(1);
		HL_CHECK(do_register("alice", "alicepw", 5090, 0) == 200);
		send_invite("+15550100", "z9hG4bKdr1", "dr1@trunk");
		i = find_out("INVITE");
		HL_CHECK(i >= 0);
		if (i < 0) {
			teardown();
			continue;
		}
		snprintf(inv, sizeof(inv), "%s", out[i].buf);
		agent_respond(inv, 200, 5090);
		i = find_out("200");
		HL_CHECK(i >= 0);
		hdr((unsigned int)i, HL_SIP_HDR_TO, v, sizeof(v));
		param(v, ";tag=", totag, sizeof(totag));
		customer_req(msg, sizeof(msg), "ACK", "z9hG4bKdra", "dr1@trunk", totag, 1);
		feed(msg, addr('t', 5060));

		/* the hold, relayed and answered */
		if (agent) {
			agent_sdp_at(sdp, sizeof(sdp), 3, 2, 7000, cases[n].dir);
			agent_req(msg, sizeof(msg), inv, "INVITE", "z9hG4bKdrb1", 1, sdp);
			feed(msg, addr('a', 5090));
		} else {
			upd_sdp(sdp, sizeof(sdp), 2, "10.99.0.2", 6000, "8 101", cases[n].dir);
			customer_reinvite("z9hG4bKdr2", "dr1@trunk", totag, 2, sdp);
		}
		i = find_out("INVITE");
		HL_CHECK(i >= 0 && out[i].dst.port == (agent ? 5060 : 5090));
		if (i < 0) {
			teardown();
			continue;
		}
		snprintf(rinv, sizeof(rinv), "%s", out[i].buf);
		if (agent) {
			upd_sdp(ans, sizeof(ans), 2, "10.99.0.2", 6000, "8 101",
				strcmp(cases[n].dir, "inactive") == 0 ? "inactive" : "recvonly");
			respond_sdp(rinv, 200, addr('t', 5060), ans);
		} else {
			agent_sdp_at(ans, sizeof(ans), 3, 2, 7000, "recvonly");
			respond_sdp(rinv, 200, addr('a', 5090), ans);
		}
		HL_CHECK(find_out("ACK") >= 0 && find_out("200") >= 0);
		if (agent) {
			agent_req(msg, sizeof(msg), inv, "ACK", "z9hG4bKdrb1", 1, NULL);
			feed(msg, addr('a', 5090));
		} else {
			customer_req(msg, sizeof(msg), "ACK", "z9hG4bKdr2", "dr1@trunk", totag, 2);
			feed(msg, addr('t', 5060));
		}

		/* the customer's delayed offer */
		customer_reinvite("z9hG4bKdr3", "dr1@trunk", totag, 3, "");
		i = find_out("200");
		HL_CHECK(i >= 0 && find_out("INVITE") < 0);
		HL_CHECK_MSG(i >= 0 && strstr(out[i].buf, cases[n].want) != NULL,
			"case %u (%s holds, %s): our offer:\n%s", n, cases[n].who, cases[n].dir,
			i >= 0 ? out[i].buf : "");

		customer_req(msg, sizeof(msg), "BYE", "z9hG4bKdr9", "dr1@trunk", totag, 4);
		feed(msg, addr('t', 5060));
		agent_answers_bye();
		HL_CHECK(stats().calls == 0);
		teardown();
	}
}

/* The customer moves to a codec whose PT on the agent's leg is the one the agent's
 * telephone-events run under (opus, our 111; the agent's events 111): our re-INVITE to
 * the agent keeps the events at 111, which already name them in the session (RFC 3264
 * §8.3.2), and offers opus under a free PT, not 111 twice nor 111 for a new format. */
HL_TEST(reoffer_codec_te_pt_collision)
{
	static const char agent_te111[] = "v=0\r\no=agent 2 2 IN IP4 10.99.98.2\r\ns=-\r\n"
					  "c=IN IP4 10.99.98.2\r\nt=0 0\r\n"
					  "m=audio 7000 RTP/AVP 8 111\r\n"
					  "a=rtpmap:111 telephone-event/8000\r\n";
	static const char opus[] = "v=0\r\no=trunk 1 2 IN IP4 10.99.0.2\r\ns=-\r\n"
				   "c=IN IP4 10.99.0.2\r\nt=0 0\r\nm=audio 6000 RTP/AVP 96 101\r\n"
				   "a=rtpmap:96 opus/48000/2\r\na=rtpmap:101 telephone-event/8000\r\n";
	char inv[4096], totag[64], msg[4096], v[512];
	const struct hl_media_leg *b;
	struct hl_sdp sdp;
	int i;

	setup_ops(1);
	HL_CHECK(do_register("alice", "alicepw", 5090, 0) == 200);
	send_invite("+15550100", "z9hG4bKtc1", "tc1@trunk");
	i = find_out("INVITE");
	HL_CHECK(i >= 0);
	if (i < 0)
		goto out;
	snprintf(inv, sizeof(inv), "%s", out[i].buf);
	respond_sdp(inv, 200, addr('a', 5090), agent_te111);
	b = last_push(1);
	HL_CHECK(b != NULL && b->te_pt == 111 && b->codec_pt == 8);
	i = find_out("200");
	HL_CHECK(i >= 0);
	if (i < 0)
		goto out;
	hdr((unsigned int)i, HL_SIP_HDR_TO, v, sizeof(v));
	param(v, ";tag=", totag, sizeof(totag));
	customer_req(msg, sizeof(msg), "ACK", "z9hG4bKtca", "tc1@trunk", totag, 1);
	feed(msg, addr('t', 5060));

	customer_reinvite("z9hG4bKtc2", "tc1@trunk", totag, 2, opus);
	i = find_out("INVITE");
	HL_CHECK(i >= 0 && out[i].dst.port == 5090);
	if (i < 0)
		goto out;
	HL_CHECK(sdp_of((unsigned int)i, &sdp) == 0 && sdp.nmedia == 1);
	HL_CHECK_MSG(sdp.media[0].nfmt == 2 && sdp.media[0].fmt[0].pt != 111 &&
			     sdp.media[0].fmt[0].pt >= 96 && sdp.media[0].te_pt == 111,
		"our re-offer:\n%s", out[i].buf);
	HL_CHECK(strstr(out[i].buf, "a=rtpmap:111 telephone-event/8000\r\n") != NULL);
	HL_CHECK(strstr(out[i].buf, "a=rtpmap:111 opus") == NULL);
	HL_CHECK(strstr(out[i].buf, " opus/48000/2\r\n") != NULL);
out:
	teardown();
}

/* The customer's 200 to an earlier re-INVITE of ours, again (our ACK lost, RFC 6026
 * §7.2) while our next one, relaying the agent's resume, waits for its answer: it is
 * ACKed again and is no answer to the one in flight, so the agent hears nothing until
 * the customer answers that one. */
HL_TEST(reinvite_2xx_again_is_no_answer)
{
	char inv[4096], totag[64], sdp[1024], ans[1024], hold[4096], resume[4096], msg[4096];
	char v[512];
	int i;

	setup_ops(1);
	HL_CHECK(do_register("alice", "alicepw", 5090, 0) == 200);
	send_invite("+15550100", "z9hG4bKra1", "ra1@trunk");
	i = find_out("INVITE");
	HL_CHECK(i >= 0);
	if (i < 0)
		goto out;
	snprintf(inv, sizeof(inv), "%s", out[i].buf);
	agent_respond(inv, 200, 5090);
	i = find_out("200");
	HL_CHECK(i >= 0);
	hdr((unsigned int)i, HL_SIP_HDR_TO, v, sizeof(v));
	param(v, ";tag=", totag, sizeof(totag));
	customer_req(msg, sizeof(msg), "ACK", "z9hG4bKraa", "ra1@trunk", totag, 1);
	feed(msg, addr('t', 5060));

	/* the agent holds: relayed, answered, ACKed */
	agent_sdp_at(sdp, sizeof(sdp), 3, 2, 7000, "sendonly");
	agent_req(msg, sizeof(msg), inv, "INVITE", "z9hG4bKrab1", 1, sdp);
	feed(msg, addr('a', 5090));
	i = find_out("INVITE");
	HL_CHECK(i >= 0 && out[i].dst.port == 5060);
	if (i < 0)
		goto out;
	snprintf(hold, sizeof(hold), "%s", out[i].buf);
	upd_sdp(ans, sizeof(ans), 2, "10.99.0.2", 6000, "8 101", "recvonly");
	respond_sdp(hold, 200, addr('t', 5060), ans);
	HL_CHECK(find_out("ACK") >= 0 && find_out("200") >= 0);
	agent_req(msg, sizeof(msg), inv, "ACK", "z9hG4bKrab1", 1, NULL);
	feed(msg, addr('a', 5090));

	/* the agent resumes: our re-INVITE to the customer, unanswered yet */
	agent_sdp_at(sdp, sizeof(sdp), 4, 2, 7000, "sendrecv");
	agent_req(msg, sizeof(msg), inv, "INVITE", "z9hG4bKrab2", 2, sdp);
	feed(msg, addr('a', 5090));
	i = find_out("INVITE");
	HL_CHECK(i >= 0 && out[i].dst.port == 5060);
	if (i < 0)
		goto out;
	snprintf(resume, sizeof(resume), "%s", out[i].buf);

	/* the hold's 200 again: its ACK again, nothing else */
	npushed = 0;
	respond_sdp(hold, 200, addr('t', 5060), ans);
	HL_CHECK_INT(nout, 1);
	HL_CHECK(is_method(0, "ACK") && strstr(out[0].buf, "CSeq: 2 ACK\r\n") != NULL);
	HL_CHECK_MSG(find_out("200") < 0, "the agent's resume was answered before the customer");
	HL_CHECK_INT(npushed, 0);

	/* the customer answers the resume: now the agent hears of it */
	upd_sdp(ans, sizeof(ans), 3, "10.99.0.2", 6000, "8 101", "sendrecv");
	respond_sdp(resume, 200, addr('t', 5060), ans);
	i = find_out("ACK");
	HL_CHECK(i >= 0 && strstr(out[i].buf, "CSeq: 3 ACK\r\n") != NULL);
	i = find_out("200");
	HL_CHECK(i >= 0 && out[i].dst.port == 5090 && strstr(out[i].buf, "a=sendrecv\r\n"));
	HL_CHECK(last_push(0) != NULL && !last_push(0)->recv_only &&
		 !last_push(0)->remote_silent);
	agent_req(msg, sizeof(msg), inv, "ACK", "z9hG4bKrab2", 2, NULL);
	feed(msg, addr('a', 5090));

	customer_req(msg, sizeof(msg), "BYE", "z9hG4bKra9", "ra1@trunk", totag, 2);
	feed(msg, addr('t', 5060));
	agent_answers_bye();
	HL_CHECK(stats().calls == 0);
	advance(40000);
	HL_CHECK(stats().transactions == 0 && stats().dialogs == 0);
out:
	teardown();
}

/* The move to the answering fork's codec in flight while the customer's 200 to our
 * earlier re-INVITE (the agent's hold, relayed between a 491 to the move and its retry;
 * the agent's answer is no matter here) comes again: ACKed again, it is not the move's
 * answer, which then moves both legs. */
HL_TEST(fork_codec_reoffer_old_2xx_again)
{
	static const char pcmu_held[] =
		"v=0\r\no=trunk 1 2 IN IP4 10.99.0.2\r\ns=-\r\nc=IN IP4 10.99.0.2\r\nt=0 0\r\n"
		"m=audio 6000 RTP/AVP 0 101\r\na=rtpmap:101 telephone-event/8000\r\na=recvonly\r\n";
	static const char pcma_held[] =
		"v=0\r\no=trunk 1 3 IN IP4 10.99.0.2\r\ns=-\r\nc=IN IP4 10.99.0.2\r\nt=0 0\r\n"
		"m=audio 6000 RTP/AVP 8 101\r\na=rtpmap:101 telephone-event/8000\r\na=recvonly\r\n";
	char inv[4096], totag[64], sdp183[2048], reinv[4096], relay[4096], msg[2048];
	int i;

	setup_ops(1);
	if (fork_codec_call("z9hG4bKfc9", "fc9@trunk", 8, inv, sizeof(inv), totag, sizeof(totag),
		    sdp183, sizeof(sdp183)) != 0)
		goto out;
	if (fork_codec_ack("fc9@trunk", totag, reinv, sizeof(reinv)) != 0) {
		HL_CHECK_MSG(0, "no re-INVITE after the customer's ACK");
		goto out;
	}
	respond_sdp(reinv, 491, addr('t', 5060), NULL);
	HL_CHECK(sig->calls != NULL && sig->calls->a->codec_fix == CODEC_FIX_RETRY);

	/* before the retry, the agent holds: relayed (CSeq 3), answered, ACKed */
	agent_req_tag(msg, sizeof(msg), inv, "f2", "INVITE", "z9hG4bKfc9h", 2, fork_hold);
	feed(msg, addr('a', 5090));
	i = find_out("INVITE");
	HL_CHECK(i >= 0 && out[i].dst.port == 5060);
	if (i < 0)
		goto out;
	snprintf(relay, sizeof(relay), "%s", out[i].buf);
	HL_CHECK(strstr(relay, "CSeq: 3 INVITE\r\n") != NULL);
	respond_sdp(relay, 200, addr('t', 5060), pcmu_held);
	HL_CHECK(find_out("ACK") >= 0);
	HL_CHECK(nout == 2 && out[1].dst.port == 5090 && status_of(1) >= 200);
	agent_req_tag(msg, sizeof(msg), inv, "f2", "ACK", "z9hG4bKfc9h", 2, NULL);
	feed(msg, addr('a', 5090));

	/* the retry goes (CSeq 4) */
	nout = 0;
	for (unsigned int t = 0; t < 2010 && find_out("INVITE") < 0; t += 10)
		advance(10);
	i = find_out("INVITE");
	HL_CHECK_MSG(i >= 0 && out[i].dst.port == 5060, "no retry within 2 s of the 491");
	if (i < 0)
		goto out;
	snprintf(reinv, sizeof(reinv), "%s", out[i].buf);
	HL_CHECK(strstr(reinv, "CSeq: 4 INVITE\r\n") != NULL);
	HL_CHECK(strstr(reinv, " RTP/AVP 8 101\r\n") != NULL);

	/* the hold's 200 again: its ACK again, nothing else */
	respond_sdp(relay, 200, addr('t', 5060), pcmu_held);
	HL_CHECK_INT(nout, 1);
	HL_CHECK(is_method(0, "ACK") && strstr(out[0].buf, "CSeq: 3 ACK\r\n") != NULL);
	HL_CHECK_INT(stats().ctr[HL_SIG_CTR_FORK_CODEC_FAILED], 0);
	HL_CHECK(stats().calls == 1 && sig->calls->a->codec_fix == CODEC_FIX_SENT);

	/* the move's answer: both legs on PCMA */
	respond_sdp(reinv, 200, addr('t', 5060), pcma_held);
	i = find_out("ACK");
	HL_CHECK(i >= 0 && strstr(out[i].buf, "CSeq: 4 ACK\r\n") != NULL);
	HL_CHECK(find_out("BYE") < 0);
	HL_CHECK(last_push(0) != NULL && last_push(0)->codec_pt == 8);
	HL_CHECK(sig->calls != NULL && sig->calls->a->codec_fix == CODEC_FIX_NONE);
	HL_CHECK_INT(stats().ctr[HL_SIG_CTR_FORK_CODEC_FAILED], 0);

	nout = 0;
	customer_req(msg, sizeof(msg), "BYE", "z9hG4bKfc9b", "fc9@trunk", totag, 5);
	feed(msg, addr('t', 5060));
	HL_CHECK_INT(status_of(0), 200);
	fork_answers_bye();
	advance(40000);
	HL_CHECK(stats().calls == 0 && stats().transactions == 0 && stats().dialogs == 0);
out:
	teardown();
}

/*
 * The agent holds right after answering, before the customer has ACKed our 200: that
 * INVITE transaction is still open on the customer's dialog (RFC 3261 §14.1), so
 * nothing is relayed to the customer yet. The agent's re-INVITE, and its UPDATE, get
 * 500 with Retry-After (§14.2, RFC 3311 §5.2), counted in offer_relay_retry; once the
 * ACK is in, the retry goes on to the customer.
 */
HL_TEST(agent_hold_before_customer_ack)
{
	char inv[4096], totag[64], sdp[1024], rinv[4096], msg[4096], v[512];
	int i;

	setup_ops(1);
	HL_CHECK(do_register("alice", "alicepw", 5090, 0) == 200);
	send_invite("+15550100", "z9hG4bKhk1", "hk1@trunk");
	i = find_out("INVITE");
	HL_CHECK(i >= 0);
	if (i < 0)
		goto out;
	snprintf(inv, sizeof(inv), "%s", out[i].buf);
	agent_respond(inv, 200, 5090);
	i = find_out("200");
	HL_CHECK(i >= 0 && out[i].dst.port == 5060);
	if (i < 0)
		goto out;
	hdr((unsigned int)i, HL_SIP_HDR_TO, v, sizeof(v));
	param(v, ";tag=", totag, sizeof(totag));

	/* no ACK from the customer yet: the agent's hold waits */
	agent_sdp_at(sdp, sizeof(sdp), 3, 2, 7000, "sendonly");
	agent_req(msg, sizeof(msg), inv, "INVITE", "z9hG4bKhkb1", 1, sdp);
	feed(msg, addr('a', 5090));
	i = find_out("500");
	HL_CHECK_MSG(find_out("INVITE") < 0, "the hold went on while our 200 waits for its ACK");
	HL_CHECK(i >= 0 && is_retry_500((unsigned int)i) && out[i].dst.port == 5090);
	HL_CHECK_INT(stats().ctr[HL_SIG_CTR_OFFER_RELAY_RETRY], 1);
	agent_req(msg, sizeof(msg), inv, "ACK", "z9hG4bKhkb1", 1, NULL);
	feed(msg, addr('a', 5090));
	agent_req(msg, sizeof(msg), inv, "UPDATE", "z9hG4bKhkb2", 2, sdp);
	feed(msg, addr('a', 5090));
	HL_CHECK(nout == 1 && is_retry_500(0) && strstr(out[0].buf, "CSeq: 2 UPDATE\r\n"));
	HL_CHECK_INT(stats().ctr[HL_SIG_CTR_OFFER_RELAY_RETRY], 2);
	HL_CHECK(sig->calls != NULL && !sig->calls->b->hold);

	/* the ACK: the agent's retry goes on to the customer */
	customer_req(msg, sizeof(msg), "ACK", "z9hG4bKhka", "hk1@trunk", totag, 1);
	feed(msg, addr('t', 5060));
	agent_req(msg, sizeof(msg), inv, "INVITE", "z9hG4bKhkb3", 3, sdp);
	feed(msg, addr('a', 5090));
	i = find_out("INVITE");
	HL_CHECK(i >= 0 && out[i].dst.port == 5060 && strstr(out[i].buf, "a=sendonly\r\n"));
	HL_CHECK_INT(stats().ctr[HL_SIG_CTR_OFFER_RELAY_RETRY], 2);
	if (i < 0)
		goto out;
	snprintf(rinv, sizeof(rinv), "%s", out[i].buf);
	upd_sdp(sdp, sizeof(sdp), 2, "10.99.0.2", 6000, "8 101", "recvonly");
	respond_sdp(rinv, 200, addr('t', 5060), sdp);
	i = find_out("200");
	HL_CHECK(i >= 0 && out[i].dst.port == 5090 && strstr(out[i].buf, "CSeq: 3 INVITE\r\n") &&
		strstr(body_of((unsigned int)i), "a=recvonly\r\n") != NULL);
	agent_req(msg, sizeof(msg), inv, "ACK", "z9hG4bKhkb3", 3, NULL);
	feed(msg, addr('a', 5090));
	HL_CHECK(sig->calls != NULL && sig->calls->b->hold);

	customer_req(msg, sizeof(msg), "BYE", "z9hG4bKhk9", "hk1@trunk", totag, 2);
	feed(msg, addr('t', 5060));
	agent_answers_bye();
	HL_CHECK(stats().calls == 0);
	advance(40000);
	HL_CHECK(stats().transactions == 0 && stats().dialogs == 0);
out:
	teardown();
}

/*
 * The legs of a forked call on different codecs (the customer on PCMU from fork f1's
 * early media, f2 answered PCMA), the move to f2's codec put off by a 491: a hold from
 * either side is offered on in the codec the other leg runs, and the answer to the
 * holder is in its own codec, not in the one the other leg answered with, which its
 * offer may not even list. Both holds are taken (200, recvonly), and neither leg moves
 * codec with them.
 */
HL_TEST(fork_codec_hold_both_ways)
{
	static const char pcmu_held[] =
		"v=0\r\no=trunk 1 2 IN IP4 10.99.0.2\r\ns=-\r\nc=IN IP4 10.99.0.2\r\nt=0 0\r\n"
		"m=audio 6000 RTP/AVP 0 101\r\na=rtpmap:101 telephone-event/8000\r\na=recvonly\r\n";
	static const char pcmu_hold[] =
		"v=0\r\no=trunk 1 3 IN IP4 10.99.0.2\r\ns=-\r\nc=IN IP4 10.99.0.2\r\nt=0 0\r\n"
		"m=audio 6000 RTP/AVP 0 101\r\na=rtpmap:101 telephone-event/8000\r\na=sendonly\r\n";
	static const char pcma_held[] =
		"v=0\r\no=dev12 2 4 IN IP4 10.99.98.12\r\ns=-\r\nc=IN IP4 10.99.98.12\r\nt=0 0\r\n"
		"m=audio 7002 RTP/AVP 8 101\r\na=rtpmap:101 telephone-event/8000\r\na=recvonly\r\n";
	char inv[4096], totag[64], sdp183[2048], reinv[4096], relay[4096], msg[2048];
	int i;

	setup_ops(1);
	if (fork_codec_call("z9hG4bKfh1", "fh1@trunk", 8, inv, sizeof(inv), totag, sizeof(totag),
		    sdp183, sizeof(sdp183)) != 0)
		goto out;
	if (fork_codec_ack("fh1@trunk", totag, reinv, sizeof(reinv)) != 0) {
		HL_CHECK_MSG(0, "no re-INVITE after the customer's ACK");
		goto out;
	}
	respond_sdp(reinv, 491, addr('t', 5060), NULL);
	HL_CHECK(sig->calls != NULL && sig->calls->a->codec_fix == CODEC_FIX_RETRY);

	/* the agent holds: offered to the customer in PCMU, answered to f2 in PCMA */
	agent_req_tag(msg, sizeof(msg), inv, "f2", "INVITE", "z9hG4bKfh1h", 2, fork_hold);
	feed(msg, addr('a', 5090));
	i = find_out("INVITE");
	HL_CHECK(i >= 0 && out[i].dst.port == 5060);
	if (i < 0)
		goto out;
	snprintf(relay, sizeof(relay), "%s", out[i].buf);
	HL_CHECK(strstr(relay, " RTP/AVP 0 101\r\n") != NULL && strstr(relay, "a=sendonly\r\n"));
	npushed = 0;
	respond_sdp(relay, 200, addr('t', 5060), pcmu_held);
	HL_CHECK(find_out("ACK") >= 0);
	HL_CHECK_MSG(find_out("488") < 0, "the agent's hold refused though the customer took it");
	i = find_out("200");
	HL_CHECK(i >= 0 && out[i].dst.port == 5090 && strstr(out[i].buf, "CSeq: 2 INVITE\r\n"));
	if (i < 0)
		goto out;
	HL_CHECK_MSG(strstr(body_of((unsigned int)i), " RTP/AVP 8 101\r\n") != NULL &&
			     strstr(body_of((unsigned int)i), "a=recvonly\r\n") != NULL,
		"our answer to f2: %s", body_of((unsigned int)i));
	HL_CHECK(sig->calls != NULL && sig->calls->b->hold);
	HL_CHECK(last_push(1) != NULL && last_push(1)->codec_pt == 8);
	HL_CHECK(last_push(0) != NULL && last_push(0)->codec_pt == 0);
	agent_req_tag(msg, sizeof(msg), inv, "f2", "ACK", "z9hG4bKfh1h", 2, NULL);
	feed(msg, addr('a', 5090));

	/* the customer holds too: offered to f2 in PCMA, answered to the customer in PCMU */
	customer_reinvite("z9hG4bKfh1c", "fh1@trunk", totag, 3, pcmu_hold);
	i = find_out("INVITE");
	HL_CHECK(fork_req_is(i, "INVITE", "f2", 12, NULL));
	if (i < 0)
		goto out;
	snprintf(relay, sizeof(relay), "%s", out[i].buf);
	HL_CHECK(strstr(relay, " RTP/AVP 8 101\r\n") != NULL && strstr(relay, "a=sendonly\r\n"));
	npushed = 0;
	respond_sdp(relay, 200, addr('a', 5090), pcma_held);
	HL_CHECK(find_out("ACK") >= 0);
	HL_CHECK_MSG(find_out("488") < 0, "the customer's hold refused though the agent took it");
	i = find_out("200");
	HL_CHECK(i >= 0 && out[i].dst.port == 5060 && strstr(out[i].buf, "CSeq: 3 INVITE\r\n"));
	if (i < 0)
		goto out;
	HL_CHECK_MSG(strstr(body_of((unsigned int)i), " RTP/AVP 0 101\r\n") != NULL &&
			     strstr(body_of((unsigned int)i), "a=recvonly\r\n") != NULL,
		"our answer to the customer: %s", body_of((unsigned int)i));
	HL_CHECK(sig->calls != NULL && sig->calls->a->hold);
	HL_CHECK(last_push(0) != NULL && last_push(0)->codec_pt == 0);
	HL_CHECK(last_push(1) != NULL && last_push(1)->codec_pt == 8);
	customer_req(msg, sizeof(msg), "ACK", "z9hG4bKfh1ca", "fh1@trunk", totag, 3);
	feed(msg, addr('t', 5060));

	nout = 0;
	customer_req(msg, sizeof(msg), "BYE", "z9hG4bKfh1b", "fh1@trunk", totag, 4);
	feed(msg, addr('t', 5060));
	HL_CHECK_INT(status_of(0), 200);
	fork_answers_bye();
	advance(40000);
	HL_CHECK(stats().calls == 0 && stats().transactions == 0 && stats().dialogs == 0);
out:
	teardown();
}

/*
 * The customer's offer names opus 101 and no telephone-event; the agent takes PCMU, then
 * re-INVITEs with opus alone. Our re-offer moves the customer to opus under its own PT,
 * 101, so our events cannot have our default 101 as well (RFC 3264 §8.3.2: one PT, one
 * format): they go under a dynamic PT that names nothing in the customer's SDP. The
 * same once the customer runs opus at 101 without events: our offer in the 200 to its
 * delayed-offer re-INVITE.
 */
HL_TEST(reoffer_codec_customer_pt_101)
{
	static const char opus101[] = "v=0\r\no=trunk 1 1 IN IP4 10.99.0.2\r\ns=-\r\n"
				      "c=IN IP4 10.99.0.2\r\nt=0 0\r\n"
				      "m=audio 6000 RTP/AVP 0 101 96\r\n"
				      "a=rtpmap:101 opus/48000/2\r\na=rtpmap:96 L16/8000\r\n";
	static const char agent_pcmu[] = "v=0\r\no=agent 2 2 IN IP4 10.99.98.2\r\ns=-\r\n"
					 "c=IN IP4 10.99.98.2\r\nt=0 0\r\n"
					 "m=audio 7000 RTP/AVP 0 101\r\n"
					 "a=rtpmap:101 telephone-event/8000\r\n";
	static const char agent_opus[] = "v=0\r\no=agent 2 3 IN IP4 10.99.98.2\r\ns=-\r\n"
					 "c=IN IP4 10.99.98.2\r\nt=0 0\r\n"
					 "m=audio 7000 RTP/AVP 111 101\r\n"
					 "a=rtpmap:111 opus/48000/2\r\n"
					 "a=rtpmap:101 telephone-event/8000\r\n";
	static const char opus101_ans[] = "v=0\r\no=trunk 1 2 IN IP4 10.99.0.2\r\ns=-\r\n"
					  "c=IN IP4 10.99.0.2\r\nt=0 0\r\n"
					  "m=audio 6000 RTP/AVP 101\r\n"
					  "a=rtpmap:101 opus/48000/2\r\n";
	char inv[4096], totag[64], msg[4096], rinv[4096];
	struct hl_sdp ans, sdp;
	int i;

	setup_ops(1);
	i = srtp_call("z9hG4bKtp1", "tp1@trunk", opus101, agent_pcmu, inv, sizeof(inv), totag,
		sizeof(totag), &ans);
	HL_CHECK(i >= 0);
	if (i < 0)
		goto out;
	HL_CHECK(sig->calls != NULL && sig->calls->a->media.codec_pt == 0 &&
		 sig->calls->a->media.te_pt < 0);
	agent_req(msg, sizeof(msg), inv, "INVITE", "z9hG4bKtpb1", 1, agent_opus);
	feed(msg, addr('a', 5090));
	i = find_out("INVITE");
	HL_CHECK(i >= 0 && out[i].dst.port == 5060);
	if (i < 0)
		goto out;
	HL_CHECK(sdp_of((unsigned int)i, &sdp) == 0 && sdp.nmedia == 1);
	HL_CHECK_MSG(sdp.media[0].nfmt == 2 && sdp.media[0].fmt[0].pt == 101 &&
			     sdp.media[0].te_pt >= 96 && sdp.media[0].te_pt != 101 &&
			     sdp.media[0].te_pt != 96,
		"our re-offer:\n%s", out[i].buf);
	HL_CHECK(strstr(out[i].buf, "a=rtpmap:101 opus/48000/2\r\n") != NULL);
	HL_CHECK(strstr(out[i].buf, "a=rtpmap:101 telephone-event") == NULL);
	snprintf(rinv, sizeof(rinv), "%s", out[i].buf);
	respond_sdp(rinv, 200, addr('t', 5060), opus101_ans);
	HL_CHECK(find_out("ACK") >= 0);
	i = find_out("200");
	HL_CHECK(i >= 0 && out[i].dst.port == 5090);
	agent_req(msg, sizeof(msg), inv, "ACK", "z9hG4bKtpb1", 1, NULL);
	feed(msg, addr('a', 5090));
	HL_CHECK(sig->calls != NULL && sig->calls->a->media.codec_pt == 101 &&
		 sig->calls->a->media.te_pt < 0);

	/* a delayed offer of the customer's: our 200 offers opus at 101, events elsewhere */
	customer_reinvite("z9hG4bKtp2", "tp1@trunk", totag, 2, "");
	i = find_out("200");
	HL_CHECK(i >= 0 && sdp_of((unsigned int)i, &sdp) == 0 && sdp.nmedia == 1);
	if (i < 0)
		goto out;
	HL_CHECK_MSG(sdp.media[0].fmt[0].pt == 101 && sdp.media[0].te_pt >= 96 &&
			     sdp.media[0].te_pt != 101 && sdp.media[0].te_pt != 96,
		"our offer:\n%s", out[i].buf);
out:
	teardown();
}

/* The ACK out[i] in ack (its length in *len); its Via branch in br. */
static int
ack_of(int i, char *ack, size_t cap, size_t *len, char *br, size_t brcap)
{
	char v[512];

	if (i < 0 || !is_method((unsigned int)i, "ACK") || out[i].len >= cap ||
		hdr((unsigned int)i, HL_SIP_HDR_VIA, v, sizeof(v)) != 0 ||
		param(v, ";branch=", br, brcap) != 0)
		return -1;
	memcpy(ack, out[i].buf, out[i].len);
	ack[out[i].len] = '\0';
	*len = out[i].len;
	return 0;
}

/* The agent's re-INVITE in the call of inv (branch, CSeq cseq, SDP sdp), relayed to the
 * customer as our re-INVITE (into rinv), which the customer answers 200 with ans: the
 * index of our ACK in out[], or -1. */
static int
agent_reinvite_answered(const char *inv, const char *branch, unsigned int cseq, const char *sdp,
	const char *ans, char *rinv, size_t cap)
{
	char msg[4096];
	int i;

	agent_req(msg, sizeof(msg), inv, "INVITE", branch, cseq, sdp);
	feed(msg, addr('a', 5090));
	i = find_out("INVITE");
	HL_CHECK(i >= 0 && out[i].dst.port == 5060);
	if (i < 0)
		return -1;
	snprintf(rinv, cap, "%s", out[i].buf);
	respond_sdp(rinv, 200, addr('t', 5060), ans);
	return find_out("ACK");
}

/* Our re-INVITEs to the customer (relaying the agent's hold, then its resume), each
 * 200 again as if our ACK were lost (RFC 3261 §13.2.2.4): a 2xx again gets the ACK it
 * had, byte for byte (its branch too); the next re-INVITE's 2xx a new ACK of its CSeq;
 * the older one's 2xx again an ACK of its own CSeq, not the one kept for the newer. */
HL_TEST(reinvite_2xx_again_same_ack)
{
	char inv[4096], totag[64], sdp[1024], ahold[1024], aresume[1024], msg[4096];
	char hold[4096], resume[4096], ack1[4096], ack2[4096], br1[64], br2[64], br[64];
	size_t len1 = 0, len2 = 0;
	struct hl_sdp ours;
	int i;

	setup_ops(1);
	if (srtp_call("z9hG4bKsa1", "sa1@trunk", sdp_offer, NULL, inv, sizeof(inv), totag,
		    sizeof(totag), &ours) < 0)
		goto out;

	/* the agent holds: our re-INVITE (CSeq 2) answered, our ACK */
	agent_sdp_at(sdp, sizeof(sdp), 3, 2, 7000, "sendonly");
	upd_sdp(ahold, sizeof(ahold), 2, "10.99.0.2", 6000, "8 101", "recvonly");
	i = agent_reinvite_answered(inv, "z9hG4bKsab1", 1, sdp, ahold, hold, sizeof(hold));
	HL_CHECK(ack_of(i, ack1, sizeof(ack1), &len1, br1, sizeof(br1)) == 0);
	HL_CHECK(i >= 0 && out[i].dst.port == 5060 && strstr(ack1, "CSeq: 2 ACK\r\n") != NULL);
	if (i < 0)
		goto out;

	/* its 200 again: the same ACK again */
	respond_sdp(hold, 200, addr('t', 5060), ahold);
	HL_CHECK_INT(nout, 1);
	HL_CHECK_MSG(nout == 1 && out[0].len == len1 && memcmp(out[0].buf, ack1, len1) == 0,
		"ACK again:\n%.*s\nfirst one:\n%s", nout ? (int)out[0].len : 0,
		nout ? out[0].buf : "", ack1);
	agent_req(msg, sizeof(msg), inv, "ACK", "z9hG4bKsab1", 1, NULL);
	feed(msg, addr('a', 5090));

	/* the agent resumes: our next re-INVITE (CSeq 3), answered: a new ACK */
	agent_sdp_at(sdp, sizeof(sdp), 4, 2, 7000, "sendrecv");
	upd_sdp(aresume, sizeof(aresume), 3, "10.99.0.2", 6000, "8 101", "sendrecv");
	i = agent_reinvite_answered(inv, "z9hG4bKsab2", 2, sdp, aresume, resume, sizeof(resume));
	HL_CHECK(ack_of(i, ack2, sizeof(ack2), &len2, br2, sizeof(br2)) == 0);
	HL_CHECK(strstr(ack2, "CSeq: 3 ACK\r\n") != NULL && strcmp(br1, br2) != 0);
	HL_CHECK(find_out("200") >= 0);
	if (i < 0)
		goto out;

	respond_sdp(resume, 200, addr('t', 5060), aresume);
	HL_CHECK_INT(nout, 1);
	HL_CHECK(nout == 1 && out[0].len == len2 && memcmp(out[0].buf, ack2, len2) == 0);

	/* the hold's 200 again, late: an ACK of CSeq 2, not the resume's */
	respond_sdp(hold, 200, addr('t', 5060), ahold);
	HL_CHECK_INT(nout, 1);
	HL_CHECK_MSG(ack_of(0, msg, sizeof(msg), &len1, br, sizeof(br)) == 0 &&
			     strstr(msg, "CSeq: 2 ACK\r\n") != NULL && strcmp(br, br2) != 0,
		"the hold's ACK again:\n%s", nout ? out[0].buf : "");

	/* and the resume's again still gets its own */
	respond_sdp(resume, 200, addr('t', 5060), aresume);
	HL_CHECK(nout == 1 && out[0].len == len2 && memcmp(out[0].buf, ack2, len2) == 0);
out:
	teardown();
}

/* The agent's 200 to our INVITE again (within Timer M, our ACK lost) after a re-INVITE
 * of ours on its leg was answered and ACKed: it gets the ACK of the INVITE's CSeq, not
 * the one of the re-INVITE kept since. */
HL_TEST(invite_2xx_again_after_reinvite_ack)
{
	char inv[4096], totag[64], sdp[1024], relay[4096], msg[4096], br[64];
	size_t len = 0;
	struct hl_sdp ours;
	int i;

	setup_ops(1);
	if (srtp_call("z9hG4bKsi1", "si1@trunk", sdp_offer, NULL, inv, sizeof(inv), totag,
		    sizeof(totag), &ours) < 0)
		goto out;

	/* the customer holds: our re-INVITE to the agent (CSeq 2), answered, ACKed */
	upd_sdp(sdp, sizeof(sdp), 2, "10.99.0.2", 6000, "8 101", "sendonly");
	customer_reinvite("z9hG4bKsi2", "si1@trunk", totag, 2, sdp);
	i = find_out("INVITE");
	HL_CHECK(i >= 0 && out[i].dst.port == 5090);
	if (i < 0)
		goto out;
	snprintf(relay, sizeof(relay), "%s", out[i].buf);
	HL_CHECK(strstr(relay, "CSeq: 2 INVITE\r\n") != NULL);
	agent_sdp_at(sdp, sizeof(sdp), 3, 2, 7000, "recvonly");
	respond_sdp(relay, 200, addr('a', 5090), sdp);
	i = find_out("ACK");
	HL_CHECK(i >= 0 && strstr(out[i].buf, "CSeq: 2 ACK\r\n") != NULL);

	/* the agent's first 200 again: an ACK of the INVITE's CSeq */
	agent_respond(inv, 200, 5090);
	HL_CHECK_INT(nout, 1);
	HL_CHECK_MSG(ack_of(0, msg, sizeof(msg), &len, br, sizeof(br)) == 0 &&
			     strstr(msg, "CSeq: 1 ACK\r\n") != NULL,
		"the INVITE's ACK again:\n%s", nout ? out[0].buf : "");
	HL_CHECK(nout == 1 && out[0].dst.port == 5090);
out:
	teardown();
}

/* A call through alice (test prefix pfx) whose customer holds, our re-INVITE of it to
 * the agent (CSeq 2) unanswered, into relay; then the customer hangs up: 200 to its
 * BYE, 487 to its re-INVITE (RFC 3261 §15.1.2), our BYE to the agent (CSeq 3) into bye. */
static int
hold_then_hangup(const char *pfx, char *relay, char *bye, size_t cap)
{
	char inv[4096], totag[64], sdp[1024], msg[4096], br[64], cid[64];
	struct hl_sdp ours;
	int i;

	snprintf(br, sizeof(br), "z9hG4bK%s1", pfx);
	snprintf(cid, sizeof(cid), "%s@trunk", pfx);
	if (srtp_call(br, cid, sdp_offer, NULL, inv, sizeof(inv), totag, sizeof(totag), &ours) < 0)
		return -1;
	upd_sdp(sdp, sizeof(sdp), 2, "10.99.0.2", 6000, "8 101", "sendonly");
	snprintf(br, sizeof(br), "z9hG4bK%s2", pfx);
	customer_reinvite(br, cid, totag, 2, sdp);
	i = find_out("INVITE");
	HL_CHECK(i >= 0 && out[i].dst.port == 5090);
	if (i < 0)
		return -1;
	snprintf(relay, cap, "%s", out[i].buf);
	HL_CHECK(strstr(relay, "CSeq: 2 INVITE\r\n") != NULL);
	snprintf(br, sizeof(br), "z9hG4bK%s3", pfx);
	customer_req(msg, sizeof(msg), "BYE", br, cid, totag, 3);
	feed(msg, addr('t', 5060));
	HL_CHECK(find_out("200") >= 0 && find_out("487") >= 0);
	i = find_out("BYE");
	HL_CHECK(i >= 0 && out[i].dst.port == 5090);
	if (i < 0)
		return -1;
	snprintf(bye, cap, "%s", out[i].buf);
	HL_CHECK(strstr(bye, "CSeq: 3 BYE\r\n") != NULL);
	return 0;
}

/*
 * The agent answers our re-INVITE (a relayed hold) after our BYE went on its leg, the
 * customer having hung up: RFC 3261 §13.2.2.4 wants every 2xx of an INVITE ACKed, BYE
 * sent or not, and the leg kept an ACK of our INVITE's (CSeq 1) from before. The 200
 * gets an ACK of the re-INVITE's CSeq, and nothing else: no media pushed, nothing to
 * the customer. Its retransmissions get the same ACK, before the BYE completes and
 * after, the call gone (the transaction keeps it till Timer M, 64*T1 from the 2xx).
 */
HL_TEST(reinvite_2xx_after_our_bye)
{
	char relay[4096], bye[4096], asdp[1024], ack[4096], br[64];
	size_t len = 0;
	unsigned int np;

	setup_ops(1);
	if (hold_then_hangup("rb", relay, bye, sizeof(relay)) < 0)
		goto out;
	np = npushed;

	agent_sdp_at(asdp, sizeof(asdp), 3, 2, 7000, "recvonly");
	respond_sdp(relay, 200, addr('a', 5090), asdp);
	HL_CHECK_INT(nout, 1);
	HL_CHECK_MSG(ack_of(0, ack, sizeof(ack), &len, br, sizeof(br)) == 0 &&
			     strstr(ack, "CSeq: 2 ACK\r\n") != NULL && out[0].dst.port == 5090,
		"the re-INVITE's 200 after our BYE:\n%s", nout ? out[0].buf : "(nothing)");
	HL_CHECK_INT(npushed, np);

	/* its 200 again, the BYE open: the same ACK */
	respond_sdp(relay, 200, addr('a', 5090), asdp);
	HL_CHECK(nout == 1 && out[0].len == len && memcmp(out[0].buf, ack, len) == 0);

	/* the BYE completes, the call goes; the 200 again still gets that ACK */
	agent_respond(bye, 200, 5090);
	HL_CHECK(stats().calls == 0 && stats().dialogs == 0);
	respond_sdp(relay, 200, addr('a', 5090), asdp);
	HL_CHECK_MSG(nout == 1 && out[0].len == len && memcmp(out[0].buf, ack, len) == 0,
		"the 200 again after the call:\n%s", nout ? out[0].buf : "(nothing)");
	HL_CHECK_INT(npushed, np);
	HL_CHECK_INT(stats().ctr[HL_SIG_CTR_CALLS_COMPLETED], 1);

	/* a UAS whose ACKs are lost retransmits for 64*T1 (§13.3.1.4): past T4 the
	 * 200 again still gets the ACK; past Timer M the transaction is gone, a stray */
	advance(cfg.sip_t4_ms + 100);
	respond_sdp(relay, 200, addr('a', 5090), asdp);
	HL_CHECK_MSG(nout == 1 && out[0].len == len && memcmp(out[0].buf, ack, len) == 0,
		"the 200 again past T4:\n%s", nout ? out[0].buf : "(nothing)");
	advance(64ull * cfg.sip_t1_ms);
	respond_sdp(relay, 200, addr('a', 5090), asdp);
	HL_CHECK_INT(nout, 0);
	advance(40000);
	HL_CHECK(stats().transactions == 0);
out:
	teardown();
}

/*
 * The same re-INVITE answered only after our BYE completed and the call is gone: the
 * leg left the transaction its ACK (of CSeq 2, in the agent's dialog), which its first
 * 200 and the 200 again get. A 200 of another To tag is no 2xx of that dialog and does
 * not get it.
 */
HL_TEST(reinvite_2xx_after_call_gone)
{
	char relay[4096], bye[4096], asdp[1024], ack[4096], br[64], other[4096], *p;
	size_t len = 0;

	setup_ops(1);
	if (hold_then_hangup("rg", relay, bye, sizeof(relay)) < 0)
		goto out;
	agent_respond(bye, 200, 5090);
	HL_CHECK(stats().calls == 0 && stats().dialogs == 0);

	agent_sdp_at(asdp, sizeof(asdp), 3, 2, 7000, "recvonly");
	respond_sdp(relay, 200, addr('a', 5090), asdp);
	HL_CHECK_INT(nout, 1);
	HL_CHECK_MSG(ack_of(0, ack, sizeof(ack), &len, br, sizeof(br)) == 0 &&
			     strstr(ack, "CSeq: 2 ACK\r\n") != NULL &&
			     strstr(ack, ";tag=ag1") != NULL && out[0].dst.port == 5090,
		"the re-INVITE's first 200 after the call:\n%s", nout ? out[0].buf : "(nothing)");
	respond_sdp(relay, 200, addr('a', 5090), asdp);
	HL_CHECK(nout == 1 && out[0].len == len && memcmp(out[0].buf, ack, len) == 0);

	/* the relay as if its To tag were another's */
	snprintf(other, sizeof(other), "%s", relay);
	p = strstr(other, ";tag=ag1");
	HL_CHECK(p != NULL);
	if (p == NULL)
		goto out;
	memcpy(p, ";tag=zz9", 8);
	respond_sdp(other, 200, addr('a', 5090), asdp);
	HL_CHECK_INT(count_out("ACK"), 0);
	advance(40000);
	HL_CHECK(stats().transactions == 0);
out:
	teardown();
}

/*
 * RFC 3261 §9.1: the agent's 200 crosses our CANCEL (the customer hung up while it
 * rang); that dialog is ACKed and BYEd. The 200 again gets the same ACK while the BYE
 * is open and after it completed, the leg gone.
 */
HL_TEST(cancel_crossed_2xx_again_after_bye)
{
	char inv[4096], msg[1024], ack[4096], bye[4096], br[64];
	size_t len = 0;
	int i;

	setup();
	HL_CHECK(do_register("alice", "alicepw", 5090, 0) == 200);
	send_invite("+15550100", "z9hG4bKcx1", "cx1@trunk");
	i = find_out("INVITE");
	HL_CHECK(i >= 0);
	if (i < 0)
		goto out;
	snprintf(inv, sizeof(inv), "%s", out[i].buf);
	agent_respond(inv, 180, 5090);
	snprintf(msg, sizeof(msg),
		"CANCEL sip:+15550100@10.99.0.1 SIP/2.0\r\n"
		"Via: SIP/2.0/UDP 10.99.0.2:5060;branch=z9hG4bKcx1\r\n"
		"Max-Forwards: 70\r\nFrom: \"Customer\" <sip:+4930123@trunk.test>;tag=c1\r\n"
		"To: <sip:+15550100@10.99.0.1>\r\nCall-ID: cx1@trunk\r\nCSeq: 1 CANCEL\r\n"
		"Content-Length: 0\r\n\r\n");
	feed(msg, addr('t', 5060));
	HL_CHECK(find_out("487") >= 0 && find_out("CANCEL") >= 0);

	agent_respond(inv, 200, 5090);
	i = find_out("BYE");
	HL_CHECK(ack_of(find_out("ACK"), ack, sizeof(ack), &len, br, sizeof(br)) == 0 &&
		 strstr(ack, "CSeq: 1 ACK\r\n") != NULL);
	HL_CHECK(i >= 0 && out[i].dst.port == 5090);
	if (i < 0)
		goto out;
	snprintf(bye, sizeof(bye), "%s", out[i].buf);

	agent_respond(inv, 200, 5090);
	HL_CHECK(nout == 1 && out[0].len == len && memcmp(out[0].buf, ack, len) == 0);
	agent_respond(bye, 200, 5090);
	HL_CHECK(stats().calls == 0 && stats().dialogs == 0);
	agent_respond(inv, 200, 5090);
	HL_CHECK_MSG(nout == 1 && out[0].len == len && memcmp(out[0].buf, ack, len) == 0,
		"the 200 again after our BYE completed:\n%s", nout ? out[0].buf : "(nothing)");
	HL_CHECK_INT(count_out("BYE"), 0);
	advance(40000);
	HL_CHECK(stats().transactions == 0);
out:
	teardown();
}

/* A call (branches z9hG4bK<pfx>1..3) whose agent holds (its re-INVITE, CSeq 1, relayed
 * to the customer as CSeq 2, into rinv) and hangs up before the customer answered: 200
 * to its BYE, 487 to its re-INVITE, our BYE to the customer into bye; inv is the
 * agent's INVITE the agent's requests are built on. 0, or -1 when a step is missing. */
static int
agent_hold_then_bye(const char *pfx, char *inv, char *rinv, char *bye, size_t cap)
{
	char totag[64], sdp[1024], msg[4096], br[3][64], cid[64];
	struct hl_sdp ours;
	int i;

	for (int k = 0; k < 3; k++)
		snprintf(br[k], sizeof(br[k]), "z9hG4bK%s%d", pfx, k + 1);
	snprintf(cid, sizeof(cid), "%s1@trunk", pfx);
	if (srtp_call(br[0], cid, sdp_offer, NULL, inv, cap, totag, sizeof(totag), &ours) < 0)
		return -1;
	agent_sdp_at(sdp, sizeof(sdp), 3, 2, 7000, "sendonly");
	agent_req(msg, sizeof(msg), inv, "INVITE", br[1], 1, sdp);
	feed(msg, addr('a', 5090));
	i = find_out("INVITE");
	HL_CHECK(i >= 0 && out[i].dst.port == 5060);
	if (i < 0)
		return -1;
	snprintf(rinv, cap, "%s", out[i].buf);
	HL_CHECK(strstr(rinv, "CSeq: 2 INVITE\r\n") != NULL);

	agent_req(msg, sizeof(msg), inv, "BYE", br[2], 2, NULL);
	feed(msg, addr('a', 5090));
	HL_CHECK(find_out("200") >= 0 && out[find_out("200")].dst.port == 5090);
	HL_CHECK_MSG(find_out("487") >= 0 && out[find_out("487")].dst.port == 5090,
		"the agent's open re-INVITE got no 487 at its BYE");
	i = find_out("BYE");
	HL_CHECK(i >= 0 && out[i].dst.port == 5060);
	if (i < 0)
		return -1;
	snprintf(bye, cap, "%s", out[i].buf);
	return 0;
}

/*
 * The agent holds, and hangs up before the customer answered our re-INVITE of it: its
 * re-INVITE gets 487 with the 200 to its BYE (RFC 3261 §15.1.2), our BYE goes to the
 * customer. The customer's 200 to our re-INVITE then gets its ACK (CSeq 2) and nothing
 * else: no answer to the agent's re-INVITE, which has its final, no media pushed.
 */
HL_TEST(agent_hold_then_bye_2xx_acked)
{
	char inv[4096], ahold[1024], rinv[4096], bye[4096];
	char ack[4096], br[64];
	size_t len = 0;
	unsigned int np;

	setup_ops(1);
	if (agent_hold_then_bye("hb", inv, rinv, bye, sizeof(inv)) < 0)
		goto out;
	np = npushed;

	upd_sdp(ahold, sizeof(ahold), 2, "10.99.0.2", 6000, "8 101", "recvonly");
	respond_sdp(rinv, 200, addr('t', 5060), ahold);
	HL_CHECK_INT(nout, 1);
	HL_CHECK_MSG(ack_of(0, ack, sizeof(ack), &len, br, sizeof(br)) == 0 &&
			     strstr(ack, "CSeq: 2 ACK\r\n") != NULL && out[0].dst.port == 5060,
		"the customer's 200 after our BYE:\n%s", nout ? out[0].buf : "(nothing)");
	HL_CHECK_INT(npushed, np);
	respond_sdp(rinv, 200, addr('t', 5060), ahold);
	HL_CHECK(nout == 1 && out[0].len == len && memcmp(out[0].buf, ack, len) == 0);

	respond_sdp(bye, 200, addr('t', 5060), NULL);
	HL_CHECK(stats().calls == 0 && stats().dialogs == 0);
	HL_CHECK_INT(stats().ctr[HL_SIG_CTR_BYE_FROM_AGENT], 1);
	advance(40000);
	HL_CHECK(stats().transactions == 0);
out:
	teardown();
}

/*
 * The agent holds and hangs up; its re-INVITE gets 487, which it ACKs, and the server
 * transaction is gone T4 later. The customer's 200 to the relayed hold comes after that
 * (our BYE to it still open): it is ACKed and answers nothing, the agent's transaction
 * it once answered being freed (the customer's leg must not keep a pointer to it).
 */
HL_TEST(agent_reinvite_freed_before_relayed_answer)
{
	char inv[4096], ahold[1024], msg[4096], rinv[4096], bye[4096];
	char ack[4096], br[64];
	size_t len = 0;

	setup_ops(1);
	if (agent_hold_then_bye("hf", inv, rinv, bye, sizeof(inv)) < 0)
		goto out;
	agent_req(msg, sizeof(msg), inv, "ACK", "z9hG4bKhf2", 1, NULL);
	feed(msg, addr('a', 5090));
	advance(6000); /* Timer I (T4): the agent's re-INVITE transaction goes */

	upd_sdp(ahold, sizeof(ahold), 2, "10.99.0.2", 6000, "8 101", "recvonly");
	respond_sdp(rinv, 200, addr('t', 5060), ahold);
	HL_CHECK_MSG(ack_of(0, ack, sizeof(ack), &len, br, sizeof(br)) == 0 &&
			     strstr(ack, "CSeq: 2 ACK\r\n") != NULL,
		"the customer's 200 after our BYE:\n%s", nout ? out[0].buf : "(nothing)");
	HL_CHECK_MSG(find_out("SIP/2.0 200") < 0 || out[find_out("SIP/2.0 200")].dst.port != 5090,
		"a 200 went to the agent for a transaction it no longer has");
	respond_sdp(bye, 200, addr('t', 5060), NULL);
	HL_CHECK(stats().calls == 0 && stats().dialogs == 0);
	advance(40000);
	HL_CHECK(stats().transactions == 0);
out:
	teardown();
}

/*
 * The customer hangs up while its re-INVITE (a hold, relayed to the agent) is still
 * open: the re-INVITE gets 487 (§15.1.2), and the call's record keeps the status the
 * call was answered with, 200: the 487 answered a re-INVITE, not the call.
 */
HL_TEST(cdr_status_of_call_not_of_reinvite)
{
	char inv[4096], totag[64], sdp[1024], msg[1024];
	struct hl_sdp ans;
	struct hl_media_leg a, b;

	setup_cdr(NULL);
	if (srtp_call("z9hG4bKcdr7", "cdr7@trunk", sdp_offer, NULL, inv, sizeof(inv), totag,
		    sizeof(totag), &ans) < 0 || last_push(0) == NULL || last_push(1) == NULL)
		goto out;
	a = *last_push(0);
	b = *last_push(1);
	upd_sdp(sdp, sizeof(sdp), 2, "10.99.0.2", 6000, "8 101", "sendonly");
	customer_reinvite("z9hG4bKcdr7r", "cdr7@trunk", totag, 2, sdp);
	HL_CHECK(find_out("INVITE") >= 0);
	customer_req(msg, sizeof(msg), "BYE", "z9hG4bKcdr7b", "cdr7@trunk", totag, 3);
	feed(msg, addr('t', 5060));
	HL_CHECK(find_out("487") >= 0 && find_out("200") >= 0);
	agent_answers_bye();
	leg_final(&a, 100, 0);
	leg_final(&b, 100, 0);
	HL_CHECK_INT(ncdr, 1);
	HL_CHECK_STR(hl_store_cdr_disposition_name(cdrs[0].disposition), "answered");
	HL_CHECK_INT(cdrs[0].sip_status, 200);
out:
	teardown();
}

/*
 * The customer holds, and the agent hangs up before it answered our re-INVITE of it:
 * our BYE ends the customer's dialog, and its re-INVITE, open till then, gets its
 * final first, 487 (RFC 3261 §15.1.2), not only once the agent's answer comes (which
 * it need not, and then never). The agent's 481 to our re-INVITE answers nothing
 * more; the call ends with no transaction left.
 */
HL_TEST(customer_hold_agent_bye_487)
{
	char inv[4096], totag[64], sdp[1024], msg[4096], relay[4096], bye[4096];
	struct hl_sdp ours;
	int i;

	setup_ops(1);
	if (srtp_call("z9hG4bKhc1", "hc1@trunk", sdp_offer, NULL, inv, sizeof(inv), totag,
		    sizeof(totag), &ours) < 0)
		goto out;
	upd_sdp(sdp, sizeof(sdp), 2, "10.99.0.2", 6000, "8 101", "sendonly");
	customer_reinvite("z9hG4bKhc2", "hc1@trunk", totag, 2, sdp);
	i = find_out("INVITE");
	HL_CHECK(i >= 0 && out[i].dst.port == 5090);
	if (i < 0)
		goto out;
	snprintf(relay, sizeof(relay), "%s", out[i].buf);

	agent_req(msg, sizeof(msg), inv, "BYE", "z9hG4bKhc3", 1, NULL);
	feed(msg, addr('a', 5090));
	i = find_out("BYE");
	HL_CHECK(i >= 0 && out[i].dst.port == 5060);
	if (i < 0)
		goto out;
	snprintf(bye, sizeof(bye), "%s", out[i].buf);
	HL_CHECK_MSG(find_out("487") >= 0 && out[find_out("487")].dst.port == 5060 &&
			     find_out("487") < i,
		"the customer's open re-INVITE got no 487 before our BYE");

	respond_sdp(relay, 481, addr('a', 5090), NULL);
	HL_CHECK_INT(nout, 1);
	HL_CHECK_MSG(find_out("ACK") == 0 && out[0].dst.port == 5090,
		"the agent's 481 after our BYE:\n%s", nout ? out[0].buf : "(nothing)");
	respond_sdp(bye, 200, addr('t', 5060), NULL);
	HL_CHECK(stats().calls == 0 && stats().dialogs == 0);
	customer_req(msg, sizeof(msg), "ACK", "z9hG4bKhc2", "hc1@trunk", totag, 2);
	feed(msg, addr('t', 5060));
	advance(40000);
	HL_CHECK_INT(stats().transactions, 0);
out:
	teardown();
}

HL_TEST_MAIN()
