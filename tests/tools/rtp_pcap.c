/*
 * rtp_pcap: offline RTP/SRTP tooling for the media tests.
 *
 *   rtp_pcap encrypt <in.pcap> <out.pcap> <suite> <keys> [--key-every N] [filters]
 *   rtp_pcap transcode <in.pcap> <out.pcap> pcmu|pcma [filters]
 *   rtp_pcap restamp <in.pcap> <out.pcap> [--set-ssrc HEX] [--set-seq N]
 *            [--set-ts N] [--set-pt N] [filters]
 *   rtp_pcap payloads <in.pcap> [--srtp <suite> <b64>] [filters]
 *   rtp_pcap compare <sent.pcap> <received.pcap> [options]
 *   rtp_pcap dtmf <in.pcap> [--pt N] [--srtp <suite> <b64>] [filters]
 *   rtp_pcap keygen <suite>
 *
 * filters: --udp-dport N, --udp-sport N, --pt N, --ssrc HEX
 *
 * Reads what libpcap reads (pcap and pcapng), link types Ethernet (with VLAN
 * tags), Linux cooked v1/v2 (tcpdump/tshark -i any), raw IP, BSD loopback. IPv4
 * and IPv6 (no fragments: a fragment is skipped and counted). A UDP datagram is
 * taken for RTP when it is version 2 with a consistent header and a PT outside
 * 64-95 (RFC 5761: RTCP there); use --udp-dport to keep other UDP (SIP, DNS) out.
 *
 * Suites: AES_CM_128_HMAC_SHA1_80, AES_CM_128_HMAC_SHA1_32,
 * AES_256_CM_HMAC_SHA1_80, AES_256_CM_HMAC_SHA1_32, AEAD_AES_128_GCM,
 * AEAD_AES_256_GCM. The key is base64 of key||salt, as in SDES inline: (30, 30,
 * 46, 46, 28 and 44 bytes), optionally with "|MKI:LEN" (RFC 4568 §9.1); several
 * such keys joined by ';' (each with an MKI of one length) make one session that
 * unprotects by the MKI each packet carries, and encrypt protects under the first
 * one, or with --key-every N under the next one every N packets (round robin), as a
 * sender that switches keys mid-stream.
 *
 * payloads: one line per RTP packet, "ssrc seq ts pt len fnv1a64 marker time
 * sport>dport", the hash over the payload (after SRTP unprotect, padding off).
 * compare: the payload hashes of received.pcap against those of sent.pcap, for a
 * relay that may change SSRC, sequence, timestamp and PT but not the payload.
 * Equal as multisets (each payload as many times as sent) unless --allow-missing /
 * --allow-extra; --ordered also wants them in the order sent (in_order: longest
 * run of received packets whose sent positions increase). --srtp, --sent-srtp,
 * --recv-srtp unprotect; --sent-X / --recv-X put filter X on one side only.
 * Prints "sent N received N matched N missing N extra N in_order N srtp_fail
 * N/N: OK|MISMATCH"; exit 0 on OK, 1 on MISMATCH, 2 on a usage or file error.
 * dtmf: RFC 4733 events of PT 101 (--pt), one line per press (SSRC, timestamp and
 * event: the repeated updates and the three end packets are one press), then
 * "presses N: DIGITS". An event longer than 65535 timestamp units, which RFC 4733
 * sends as segments with new timestamps, shows as several presses.
 * SRTP: libsrtp2, ssrc_any_inbound / ssrc_any_outbound. A packet that is the byte
 * for byte copy of one that authenticated (RFC 4733's end packet goes out three
 * times with one sequence number) is taken as that one, not as a replay failure.
 * encrypt / transcode / restamp write the other frames as they were, set IP and UDP
 * lengths and recompute the IPv4 header and UDP checksums.
 *
 * Build: cc -O2 -o rtp_pcap tests/tools/rtp_pcap.c -lsrtp2 -lpcap
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pcap/pcap.h>
#include <srtp2/srtp.h>

#ifndef DLT_LINUX_SLL2
#define DLT_LINUX_SLL2 276
#endif
#ifndef DLT_IPV4
#define DLT_IPV4 228
#endif
#ifndef DLT_IPV6
#define DLT_IPV6 229
#endif

static const char *prog = "rtp_pcap";

static void die(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(2);
}

/* ---------------------------------------------------------------- options */

struct filter {
	long dport, sport, pt;   /* -1: any */
	int64_t ssrc;            /* -1: any */
};

struct srtp_opt {
	const char *suite;       /* NULL: plain RTP */
	const char *key;         /* "B64[|MKI:LEN]", several joined by ';' */
	long key_every;          /* encrypt: the next key every N packets, 0: the first */
};

#define MAX_KEYS 4

static long parse_num(const char *s, const char *what, long lo, long hi)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 0);
	if (errno || end == s || *end || v < lo || v > hi)
		die("bad %s '%s'", what, s);
	return v;
}

/* Takes the filter option at argv[*i] if it is one; 1 when taken. */
static int filter_opt(struct filter *f, int argc, char **argv, int *i)
{
	const char *o = argv[*i];

	if (*i + 1 >= argc)
		return 0;
	if (!strcmp(o, "--udp-dport"))
		f->dport = parse_num(argv[++*i], "port", 0, 65535);
	else if (!strcmp(o, "--udp-sport"))
		f->sport = parse_num(argv[++*i], "port", 0, 65535);
	else if (!strcmp(o, "--pt"))
		f->pt = parse_num(argv[++*i], "payload type", 0, 127);
	else if (!strcmp(o, "--ssrc")) {
		char *end;
		f->ssrc = (int64_t)strtoull(argv[++*i], &end, 16);
		if (*end)
			die("bad ssrc '%s'", argv[*i]);
	} else
		return 0;
	return 1;
}

static void filter_init(struct filter *f)
{
	f->dport = f->sport = f->pt = -1;
	f->ssrc = -1;
}

/* ---------------------------------------------------------------- base64 */

static int b64val(int c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+' || c == '-')
		return 62;
	if (c == '/' || c == '_')
		return 63;
	return -1;
}

static int b64dec(const char *s, uint8_t *out, int max)
{
	uint32_t acc = 0;
	int bits = 0, n = 0;

	for (; *s && *s != '='; s++) {
		int v = b64val((unsigned char)*s);
		if (v < 0)
			die("bad base64 key");
		acc = (acc << 6) | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			if (n >= max)
				die("key too long");
			out[n++] = (uint8_t)(acc >> bits);
		}
	}
	return n;
}

static void b64enc(const uint8_t *in, int len, char *out)
{
	static const char t[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	int i, o = 0;

	for (i = 0; i + 2 < len; i += 3) {
		uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 | in[i + 2];
		out[o++] = t[v >> 18];
		out[o++] = t[(v >> 12) & 63];
		out[o++] = t[(v >> 6) & 63];
		out[o++] = t[v & 63];
	}
	if (len - i == 1) {
		uint32_t v = (uint32_t)in[i] << 16;
		out[o++] = t[v >> 18];
		out[o++] = t[(v >> 12) & 63];
		out[o++] = '=';
		out[o++] = '=';
	} else if (len - i == 2) {
		uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8;
		out[o++] = t[v >> 18];
		out[o++] = t[(v >> 12) & 63];
		out[o++] = t[(v >> 6) & 63];
		out[o++] = '=';
	}
	out[o] = 0;
}

/* ---------------------------------------------------------------- SRTP */

struct suite {
	const char *name;
	int key_len;             /* key||salt */
	void (*set)(srtp_crypto_policy_t *);
};

static void set_80(srtp_crypto_policy_t *p) { srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(p); }
static void set_32(srtp_crypto_policy_t *p) { srtp_crypto_policy_set_aes_cm_128_hmac_sha1_32(p); }
static void set_256_80(srtp_crypto_policy_t *p) { srtp_crypto_policy_set_aes_cm_256_hmac_sha1_80(p); }
static void set_256_32(srtp_crypto_policy_t *p) { srtp_crypto_policy_set_aes_cm_256_hmac_sha1_32(p); }
static void set_gcm128(srtp_crypto_policy_t *p) { srtp_crypto_policy_set_aes_gcm_128_16_auth(p); }
static void set_gcm256(srtp_crypto_policy_t *p) { srtp_crypto_policy_set_aes_gcm_256_16_auth(p); }

static const struct suite suites[] = {
	{ "AES_CM_128_HMAC_SHA1_80", SRTP_AES_ICM_128_KEY_LEN_WSALT, set_80 },
	{ "AES_CM_128_HMAC_SHA1_32", SRTP_AES_ICM_128_KEY_LEN_WSALT, set_32 },
	{ "AES_256_CM_HMAC_SHA1_80", SRTP_AES_ICM_256_KEY_LEN_WSALT, set_256_80 },
	{ "AES_256_CM_HMAC_SHA1_32", SRTP_AES_ICM_256_KEY_LEN_WSALT, set_256_32 },
	{ "AEAD_AES_128_GCM", SRTP_AES_GCM_128_KEY_LEN_WSALT, set_gcm128 },
	{ "AEAD_AES_256_GCM", SRTP_AES_GCM_256_KEY_LEN_WSALT, set_gcm256 },
};

static const struct suite *find_suite(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(suites) / sizeof(suites[0]); i++)
		if (!strcmp(suites[i].name, name))
			return &suites[i];
	die("unknown suite '%s'", name);
	return NULL;
}

/* One session of o's suite with its key or keys; *nkeys of them, *use_mki whether
 * they carry MKIs (libsrtp's _mki calls then). */
static srtp_t srtp_session(const struct srtp_opt *o, int outbound, int *nkeys, int *use_mki)
{
	static int inited;
	const struct suite *s = find_suite(o->suite);
	uint8_t key[MAX_KEYS][64], mki[MAX_KEYS][4];
	srtp_master_key_t mk[MAX_KEYS], *mkp[MAX_KEYS];
	char b64[128];
	const char *p = o->key;
	srtp_policy_t pol;
	srtp_t ctx;
	srtp_err_status_t st;
	int n, k = 0, mki_len = -1;

	if (!inited) {
		if (srtp_init() != srtp_err_status_ok)
			die("srtp_init failed");
		inited = 1;
	}
	for (;;) {
		const char *e = strchr(p, ';'), *bar;
		size_t len = e ? (size_t)(e - p) : strlen(p);
		long v = 0, l = 0;

		if (k == MAX_KEYS)
			die("more than %d keys", MAX_KEYS);
		bar = memchr(p, '|', len);
		if ((size_t)((bar ? bar : p + len) - p) >= sizeof(b64))
			die("key too long");
		memcpy(b64, p, (size_t)((bar ? bar : p + len) - p));
		b64[(bar ? bar : p + len) - p] = 0;
		n = b64dec(b64, key[k], sizeof(key[k]));
		if (n != s->key_len)
			die("%s needs %d bytes of key||salt, key %d has %d", s->name, s->key_len,
			    k + 1, n);
		mk[k].mki_size = 0;
		/* "|lifetime" is skipped; "|MKI:LEN" comes last (RFC 4568 §9.1) */
		for (const char *q = bar; q && q < p + len;
		     q = memchr(q + 1, '|', (size_t)(p + len - q - 1)))
			bar = q;
		if (bar && memchr(bar, ':', (size_t)(p + len - bar))) {
			char tail[32], *colon, *end;
			size_t tl = (size_t)(p + len - bar - 1);
			if (tl >= sizeof(tail))
				die("bad MKI in key %d", k + 1);
			memcpy(tail, bar + 1, tl);
			tail[tl] = 0;
			colon = strchr(tail, ':');
			*colon = 0;
			v = strtol(tail, &end, 10);
			if (*end || v < 0)
				die("bad MKI in key %d", k + 1);
			l = strtol(colon + 1, &end, 10);
			if (*end || l < 1 || l > 4 || (l < 4 && v >> (8 * l)))
				die("bad MKI length in key %d", k + 1);
			for (int i = 0; i < l; i++)
				mki[k][i] = (uint8_t)((unsigned long)v >> (8 * (l - 1 - i)));
			mk[k].mki_size = (unsigned int)l;
		}
		if (mki_len >= 0 && (int)mk[k].mki_size != mki_len)
			die("every key needs an MKI of one length");
		mki_len = (int)mk[k].mki_size;
		mk[k].key = key[k];
		mk[k].mki_id = mki[k];
		mkp[k] = &mk[k];
		k++;
		if (!e)
			break;
		p = e + 1;
	}
	if (k > 1 && mki_len == 0)
		die("several keys need MKIs");
	memset(&pol, 0, sizeof(pol));
	s->set(&pol.rtp);
	s->set(&pol.rtcp);
	pol.ssrc.type = outbound ? ssrc_any_outbound : ssrc_any_inbound;
	if (mki_len) {
		pol.keys = mkp;
		pol.num_master_keys = (unsigned long)k;
	} else {
		pol.key = key[0];
	}
	pol.window_size = 1024;
	pol.allow_repeat_tx = 1;
	st = srtp_create(&ctx, &pol);
	memset(key, 0, sizeof(key));
	memset(b64, 0, sizeof(b64));
	if (st != srtp_err_status_ok)
		die("srtp_create(%s) failed: %d", s->name, (int)st);
	*nkeys = k;
	*use_mki = mki_len != 0;
	return ctx;
}

/* ---------------------------------------------------------------- packets */

#define MAXPKT 65600

struct pkt {
	const uint8_t *data;     /* the frame as captured */
	uint32_t caplen;
	int l3;                  /* offset of IP */
	int ipv;                 /* 4 or 6 */
	int l4;                  /* offset of UDP */
	int pl;                  /* offset of the UDP payload */
	int plen;                /* UDP payload length (within caplen) */
	uint16_t sport, dport;
};

struct rtp {
	uint32_t ssrc, ts;
	uint16_t seq;
	uint8_t pt, marker;
	int hlen;                /* header incl. CSRCs and extension */
	int len;                 /* payload length (padding removed) */
	const uint8_t *payload;
};

struct counts {
	unsigned long frames, udp, rtp, skipped_frag, other, srtp_fail, srtp_dup;
};

/* SRTP packets seen again byte for byte (RFC 4733's end packet goes out three
 * times with one sequence number): libsrtp refuses them as replays, but a copy
 * of a packet that authenticated is as good as the first, so the decrypted
 * result of the last packets is kept by a hash of the protected bytes. */
#define DUPS 64
struct dup {
	uint64_t raw;
	int len;
	uint8_t buf[1500];
};

static uint16_t rd16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }
static uint32_t rd32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}
static void wr16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)(v >> 8); p[1] = (uint8_t)v; }

/* Finds IP/UDP in a frame. 0: UDP found; -1 not UDP; -2 a fragment. */
static int parse_frame(int dlt, const uint8_t *d, uint32_t caplen, struct pkt *p)
{
	int off, proto = -1, ipv;

	memset(p, 0, sizeof(*p));
	p->data = d;
	p->caplen = caplen;
	switch (dlt) {
	case DLT_EN10MB:
		if (caplen < 14)
			return -1;
		off = 12;
		proto = rd16(d + off);
		off += 2;
		while ((proto == 0x8100 || proto == 0x88a8 || proto == 0x9100) &&
		       caplen >= (uint32_t)off + 4) {
			proto = rd16(d + off + 2);
			off += 4;
		}
		break;
	case DLT_LINUX_SLL:
		if (caplen < 16)
			return -1;
		proto = rd16(d + 14);
		off = 16;
		break;
	case DLT_LINUX_SLL2:
		if (caplen < 20)
			return -1;
		proto = rd16(d);
		off = 20;
		break;
	case DLT_RAW:
	case DLT_IPV4:
	case DLT_IPV6:
		if (caplen < 1)
			return -1;
		off = 0;
		proto = (d[0] >> 4) == 6 ? 0x86dd : 0x0800;
		break;
	case DLT_NULL:
	case DLT_LOOP: {
		uint32_t fam;
		if (caplen < 4)
			return -1;
		if (dlt == DLT_LOOP)
			fam = rd32(d);
		else
			memcpy(&fam, d, 4);     /* the writer's byte order */
		if (fam > 0xffff)
			fam = __builtin_bswap32(fam);
		proto = fam == 2 ? 0x0800 : (fam == 24 || fam == 28 || fam == 30) ? 0x86dd : -1;
		off = 4;
		break;
	}
	default:
		die("link type %d (%s) not supported", dlt, pcap_datalink_val_to_name(dlt));
		return -1;
	}
	p->l3 = off;
	if (proto == 0x0800) {
		int ihl, tot;
		if (caplen < (uint32_t)off + 20 || (d[off] >> 4) != 4)
			return -1;
		ihl = (d[off] & 15) * 4;
		tot = rd16(d + off + 2);
		if (d[off + 9] != 17)
			return -1;
		if (rd16(d + off + 6) & 0x3fff)
			return -2;
		ipv = 4;
		p->l4 = off + ihl;
		if (tot && (uint32_t)(off + tot) < caplen)
			caplen = (uint32_t)(off + tot); /* Ethernet padding */
	} else if (proto == 0x86dd) {
		int nh, o;
		if (caplen < (uint32_t)off + 40 || (d[off] >> 4) != 6)
			return -1;
		nh = d[off + 6];
		o = off + 40;
		for (;;) {
			if (nh == 0 || nh == 43 || nh == 60) {
				if (caplen < (uint32_t)o + 8)
					return -1;
				nh = d[o];
				o += (d[o + 1] + 1) * 8;
			} else if (nh == 44) {
				return -2;
			} else
				break;
		}
		if (nh != 17)
			return -1;
		ipv = 6;
		p->l4 = o;
		if ((uint32_t)(off + 40 + rd16(d + off + 4)) < caplen)
			caplen = (uint32_t)(off + 40 + rd16(d + off + 4));
	} else
		return -1;
	if (caplen < (uint32_t)p->l4 + 8)
		return -1;
	p->ipv = ipv;
	p->sport = rd16(d + p->l4);
	p->dport = rd16(d + p->l4 + 2);
	p->pl = p->l4 + 8;
	p->plen = rd16(d + p->l4 + 4) - 8;
	if (p->plen < 0)
		return -1;
	if ((uint32_t)(p->pl + p->plen) > caplen)
		p->plen = (int)caplen - p->pl;  /* snapped */
	return 0;
}

/* Parses an RTP header; srtp_trailer: bytes at the end that are not payload. */
static int parse_rtp(const uint8_t *b, int len, int srtp_trailer, struct rtp *r)
{
	int h, cc;

	if (len < 12 || (b[0] >> 6) != 2)
		return -1;
	r->pt = b[1] & 0x7f;
	if (r->pt >= 64 && r->pt <= 95)
		return -1;              /* RTCP (RFC 5761) */
	r->marker = b[1] >> 7;
	r->seq = rd16(b + 2);
	r->ts = rd32(b + 4);
	r->ssrc = rd32(b + 8);
	cc = b[0] & 15;
	h = 12 + 4 * cc;
	if (len < h)
		return -1;
	if (b[0] & 0x10) {
		if (len < h + 4)
			return -1;
		h += 4 + 4 * rd16(b + h + 2);
		if (len < h)
			return -1;
	}
	r->hlen = h;
	len -= srtp_trailer;
	if (len < h)
		return -1;
	if (!srtp_trailer && (b[0] & 0x20)) {
		int padn = b[len - 1];
		if (padn == 0 || h + padn > len)
			return -1;
		len -= padn;
	}
	r->len = len - h;
	r->payload = b + h;
	return 0;
}

static int filter_udp(const struct filter *f, const struct pkt *p)
{
	return (f->dport < 0 || f->dport == p->dport) && (f->sport < 0 || f->sport == p->sport);
}

static int filter_rtp(const struct filter *f, const struct rtp *r)
{
	return (f->pt < 0 || f->pt == r->pt) && (f->ssrc < 0 || (uint32_t)f->ssrc == r->ssrc);
}

static uint32_t csum_add(uint32_t sum, const uint8_t *b, int len)
{
	int i;

	for (i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)(b[i] << 8 | b[i + 1]);
	if (len & 1)
		sum += (uint32_t)b[len - 1] << 8;
	return sum;
}

static uint16_t csum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/* Sets IP/UDP lengths for a new UDP payload length and recomputes checksums. */
static void fix_headers(uint8_t *d, const struct pkt *p, int plen)
{
	int ulen = plen + 8;
	uint8_t *ip = d + p->l3, *udp = d + p->l4;
	uint32_t s;
	uint16_t c;

	wr16(udp + 4, (uint16_t)ulen);
	wr16(udp + 6, 0);
	if (p->ipv == 4) {
		int ihl = (ip[0] & 15) * 4;
		wr16(ip + 2, (uint16_t)(p->l4 - p->l3 + ulen));
		wr16(ip + 10, 0);
		wr16(ip + 10, csum_fold(csum_add(0, ip, ihl)));
		s = csum_add(0, ip + 12, 8);
	} else {
		wr16(ip + 4, (uint16_t)(p->l4 - p->l3 - 40 + ulen));
		s = csum_add(0, ip + 8, 32);
	}
	s += 17 + (uint32_t)ulen;
	s = csum_add(s, udp, ulen);
	c = csum_fold(s);
	wr16(udp + 6, c ? c : 0xffff);
}

/* ---------------------------------------------------------------- reading */

static uint64_t fnv1a(const uint8_t *b, int len)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	int i;

	for (i = 0; i < len; i++) {
		h ^= b[i];
		h *= 0x100000001b3ULL;
	}
	return h;
}

typedef void (*rtp_cb)(void *ctx, const struct pcap_pkthdr *h, const struct pkt *p,
	const struct rtp *r);

static pcap_t *open_pcap(const char *file)
{
	char err[PCAP_ERRBUF_SIZE];
	pcap_t *pc = pcap_open_offline(file, err);

	if (!pc)
		die("%s", err);
	return pc;
}

/* Calls cb for each RTP packet that passes the filter, unprotected when srtp. */
static void each_rtp(const char *file, const struct filter *f, const struct srtp_opt *so,
	struct counts *c, rtp_cb cb, void *ctx)
{
	pcap_t *pc = open_pcap(file);
	int dlt = pcap_datalink(pc);
	int nkeys = 0, use_mki = 0;
	srtp_t s = so->suite ? srtp_session(so, 0, &nkeys, &use_mki) : NULL;
	struct pcap_pkthdr *h;
	const u_char *d;
	static uint8_t buf[MAXPKT + SRTP_MAX_TRAILER_LEN];
	static struct dup dups[DUPS];
	unsigned int ndup = 0;
	int rc;

	memset(c, 0, sizeof(*c));
	memset(dups, 0, sizeof(dups));
	while ((rc = pcap_next_ex(pc, &h, &d)) == 1) {
		struct pkt p;
		struct rtp r;
		int len, pr;

		c->frames++;
		pr = h->caplen > MAXPKT ? -1 : parse_frame(dlt, d, h->caplen, &p);
		if (pr == -2) {
			c->skipped_frag++;
			continue;
		}
		if (pr < 0 || !filter_udp(f, &p)) {
			c->other++;
			continue;
		}
		c->udp++;
		len = p.plen;
		memcpy(buf, d + p.pl, (size_t)len);
		if (parse_rtp(buf, len, 0, &r) < 0) {
			c->other++;
			continue;
		}
		if (s) {
			uint64_t raw = fnv1a(buf, len);
			srtp_err_status_t st = srtp_unprotect_mki(s, buf, &len, use_mki);
			if (st == srtp_err_status_replay_fail) {
				unsigned int k;
				for (k = 0; k < DUPS; k++)
					if (dups[k].len && dups[k].raw == raw)
						break;
				if (k < DUPS) {
					len = dups[k].len;
					memcpy(buf, dups[k].buf, (size_t)len);
					st = srtp_err_status_ok;
					c->srtp_dup++;
				}
			} else if (st == srtp_err_status_ok && len <= (int)sizeof(dups[0].buf)) {
				struct dup *e = &dups[ndup++ % DUPS];
				e->raw = raw;
				e->len = len;
				memcpy(e->buf, buf, (size_t)len);
			}
			if (st != srtp_err_status_ok) {
				c->srtp_fail++;
				fprintf(stderr, "%s: %s: frame %lu ssrc %08x seq %u: srtp_unprotect: %d\n",
					prog, file, c->frames, r.ssrc, r.seq, (int)st);
				continue;
			}
			if (parse_rtp(buf, len, 0, &r) < 0) {
				c->other++;
				continue;
			}
		}
		if (!filter_rtp(f, &r))
			continue;
		c->rtp++;
		cb(ctx, h, &p, &r);
	}
	if (rc == -1)
		die("%s: %s", file, pcap_geterr(pc));
	if (s)
		srtp_dealloc(s);
	pcap_close(pc);
}

/* ---------------------------------------------------------------- rewrite */

/* encrypt and transcode: rewrite each selected RTP packet's UDP payload. */
enum rewrite { RW_ENCRYPT, RW_PCMU, RW_PCMA, RW_RESTAMP };

/* restamp: the new SSRC / PT, and the first packet's new sequence number and
 * timestamp (the others keep their distance to the first); -1: unchanged */
struct restamp {
	int64_t ssrc, seq, ts, pt;
	int have_first;
	uint16_t seq0;
	uint32_t ts0;
};

static void wr32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static void restamp_rtp(struct restamp *rs, uint8_t *b, const struct rtp *r)
{
	if (!rs->have_first) {
		rs->have_first = 1;
		rs->seq0 = r->seq;
		rs->ts0 = r->ts;
	}
	if (rs->seq >= 0)
		wr16(b + 2, (uint16_t)(rs->seq + (uint16_t)(r->seq - rs->seq0)));
	if (rs->ts >= 0)
		wr32(b + 4, (uint32_t)rs->ts + (r->ts - rs->ts0));
	if (rs->ssrc >= 0)
		wr32(b + 8, (uint32_t)rs->ssrc);
	if (rs->pt >= 0)
		b[1] = (uint8_t)((b[1] & 0x80) | rs->pt);
}

static int16_t alaw2lin(uint8_t a)
{
	int t, seg;

	a ^= 0x55;
	t = (a & 15) << 4;
	seg = (a & 0x70) >> 4;
	if (seg == 0)
		t += 8;
	else if (seg == 1)
		t += 0x108;
	else
		t = (t + 0x108) << (seg - 1);
	return (int16_t)((a & 0x80) ? t : -t);
}

static int16_t ulaw2lin(uint8_t u)
{
	int t;

	u = (uint8_t)~u;
	t = ((u & 15) << 3) + 0x84;
	t <<= (u & 0x70) >> 4;
	return (int16_t)((u & 0x80) ? (0x84 - t) : (t - 0x84));
}

static uint8_t lin2ulaw(int16_t pcm)
{
	int mask, seg, v = pcm;
	static const int seg_end[8] = { 0xff, 0x1ff, 0x3ff, 0x7ff, 0xfff, 0x1fff, 0x3fff, 0x7fff };

	v >>= 2;
	if (v < 0) {
		v = -v;
		mask = 0x7f;
	} else
		mask = 0xff;
	if (v > 8159)
		v = 8159;
	v += 0x84 >> 2;
	for (seg = 0; seg < 8 && v > seg_end[seg] >> 2; seg++)
		;
	if (seg >= 8)
		return (uint8_t)(0x7f ^ mask);
	return (uint8_t)(((seg << 4) | ((v >> (seg + 1)) & 15)) ^ mask);
}

static uint8_t lin2alaw(int16_t pcm)
{
	int mask, seg, v = pcm >> 3;
	uint8_t aval;
	static const int seg_end[8] = { 0x1f, 0x3f, 0x7f, 0xff, 0x1ff, 0x3ff, 0x7ff, 0xfff };

	if (v >= 0)
		mask = 0xd5;
	else {
		mask = 0x55;
		v = -v - 1;
	}
	for (seg = 0; seg < 8 && v > seg_end[seg]; seg++)
		;
	if (seg >= 8)
		return (uint8_t)(0x7f ^ mask);
	aval = (uint8_t)(seg << 4);
	if (seg < 2)
		aval |= (v >> 1) & 15;
	else
		aval |= (v >> seg) & 15;
	return aval ^ (uint8_t)mask;
}

static int cmd_rewrite(int argc, char **argv, enum rewrite mode)
{
	struct filter f;
	struct srtp_opt so = { 0 };
	const char *in, *out;
	pcap_t *pc;
	pcap_dumper_t *dump;
	srtp_t s = NULL;
	struct pcap_pkthdr *h;
	const u_char *d;
	static uint8_t frame[MAXPKT + SRTP_MAX_TRAILER_LEN + 64];
	unsigned long n = 0, changed = 0, kept = 0;
	int i, rc, dlt, first = 4, nkeys = 1, use_mki = 0;
	struct restamp rs = { -1, -1, -1, -1, 0, 0, 0 };

	filter_init(&f);
	if (mode == RW_RESTAMP) {
		if (argc < 4)
			die("usage: restamp <in.pcap> <out.pcap> [--set-ssrc HEX] [--set-seq N]"
			    " [--set-ts N] [--set-pt N] [filters]");
	} else if (mode == RW_ENCRYPT) {
		if (argc < 6)
			die("usage: encrypt <in.pcap> <out.pcap> <suite> <b64 key||salt[|mki:len]"
			    "[;...]> [--key-every N] [filters]");
		so.suite = argv[4];
		so.key = argv[5];
		first = 6;
	} else {
		if (argc < 5)
			die("usage: transcode <in.pcap> <out.pcap> pcmu|pcma [filters]");
		first = 5;
	}
	in = argv[2];
	out = argv[3];
	for (i = first; i < argc; i++) {
		if (mode == RW_RESTAMP && i + 1 < argc && !strcmp(argv[i], "--set-ssrc")) {
			char *end;
			rs.ssrc = (int64_t)strtoull(argv[++i], &end, 16);
			if (*end || rs.ssrc > 0xffffffffLL)
				die("bad ssrc '%s'", argv[i]);
		} else if (mode == RW_RESTAMP && i + 1 < argc && !strcmp(argv[i], "--set-seq"))
			rs.seq = parse_num(argv[++i], "sequence number", 0, 65535);
		else if (mode == RW_RESTAMP && i + 1 < argc && !strcmp(argv[i], "--set-ts"))
			rs.ts = (int64_t)strtoull(argv[++i], NULL, 0) & 0xffffffffLL;
		else if (mode == RW_RESTAMP && i + 1 < argc && !strcmp(argv[i], "--set-pt"))
			rs.pt = parse_num(argv[++i], "payload type", 0, 127);
		else if (mode == RW_ENCRYPT && i + 1 < argc && !strcmp(argv[i], "--key-every"))
			so.key_every = parse_num(argv[++i], "packet count", 0, 1L << 30);
		else if (!filter_opt(&f, argc, argv, &i))
			die("unknown option '%s'", argv[i]);
	}
	pc = open_pcap(in);
	dlt = pcap_datalink(pc);
	dump = pcap_dump_open(pc, out);
	if (!dump)
		die("%s: %s", out, pcap_geterr(pc));
	if (mode == RW_ENCRYPT)
		s = srtp_session(&so, 1, &nkeys, &use_mki);
	while ((rc = pcap_next_ex(pc, &h, &d)) == 1) {
		struct pcap_pkthdr oh = *h;
		struct pkt p;
		struct rtp r;
		int plen, tail;

		n++;
		if (h->caplen > MAXPKT) {
			pcap_dump((u_char *)dump, h, d);
			kept++;
			continue;
		}
		memcpy(frame, d, h->caplen);
		if (h->caplen != h->len || parse_frame(dlt, frame, h->caplen, &p) < 0 ||
		    !filter_udp(&f, &p) ||
		    parse_rtp(frame + p.pl, p.plen, 0, &r) < 0 || !filter_rtp(&f, &r)) {
			pcap_dump((u_char *)dump, h, d);
			kept++;
			continue;
		}
		/* bytes after the IP datagram (Ethernet padding) are dropped */
		tail = 0;
		plen = p.plen;
		if (mode == RW_ENCRYPT) {
			unsigned int idx = so.key_every ?
				(unsigned int)((changed / (unsigned long)so.key_every) %
					       (unsigned long)nkeys) : 0;
			srtp_err_status_t st =
				srtp_protect_mki(s, frame + p.pl, &plen, use_mki, idx);
			if (st != srtp_err_status_ok)
				die("frame %lu: srtp_protect: %d", n, (int)st);
		} else if (mode == RW_RESTAMP) {
			restamp_rtp(&rs, frame + p.pl, &r);
		} else {
			uint8_t *b = frame + p.pl + r.hlen;
			int k;
			if (r.pt != 0 && r.pt != 8) {
				pcap_dump((u_char *)dump, h, d);
				kept++;
				continue;
			}
			if ((mode == RW_PCMU && r.pt == 8) || (mode == RW_PCMA && r.pt == 0)) {
				for (k = 0; k < r.len; k++)
					b[k] = mode == RW_PCMU ? lin2ulaw(alaw2lin(b[k]))
							       : lin2alaw(ulaw2lin(b[k]));
				frame[p.pl + 1] = (uint8_t)((frame[p.pl + 1] & 0x80) |
					(mode == RW_PCMU ? 0 : 8));
			}
		}
		fix_headers(frame, &p, plen);
		oh.caplen = oh.len = (uint32_t)(p.pl + plen + tail);
		pcap_dump((u_char *)dump, &oh, frame);
		changed++;
	}
	if (rc == -1)
		die("%s: %s", in, pcap_geterr(pc));
	pcap_dump_close(dump);
	pcap_close(pc);
	if (s)
		srtp_dealloc(s);
	fprintf(stderr, "%s: %lu frames, %lu RTP packets rewritten, %lu copied as they were\n",
		prog, n, changed, kept);
	return changed ? 0 : 1;
}

/* ---------------------------------------------------------------- payloads */

struct plist {
	uint64_t *h;
	size_t n, cap;
};

static void pl_cb(void *ctx, const struct pcap_pkthdr *h, const struct pkt *p,
	const struct rtp *r)
{
	static double t0 = -1;
	double t = (double)h->ts.tv_sec + h->ts.tv_usec / 1e6;

	(void)p;
	(void)ctx;
	if (t0 < 0)
		t0 = t;
	printf("%08" PRIx32 " %5u %10" PRIu32 " %3u %4d %016" PRIx64 " %u %.6f %u>%u\n", r->ssrc,
		r->seq, r->ts, r->pt, r->len, fnv1a(r->payload, r->len), r->marker, t - t0,
		p->sport, p->dport);
}

static void counts_report(const char *file, const struct counts *c)
{
	fprintf(stderr, "%s: %s: %lu frames, %lu UDP, %lu RTP", prog, file, c->frames, c->udp,
		c->rtp);
	if (c->srtp_dup)
		fprintf(stderr, ", %lu SRTP repeats of a packet that authenticated", c->srtp_dup);
	if (c->srtp_fail)
		fprintf(stderr, ", %lu SRTP failures", c->srtp_fail);
	if (c->skipped_frag)
		fprintf(stderr, ", %lu fragments skipped", c->skipped_frag);
	fputc('\n', stderr);
}

static int common_opts(int argc, char **argv, int first, struct filter *f, struct srtp_opt *so)
{
	int i;

	for (i = first; i < argc; i++) {
		if (!strcmp(argv[i], "--srtp") && i + 2 < argc) {
			so->suite = argv[++i];
			so->key = argv[++i];
		} else if (!filter_opt(f, argc, argv, &i))
			die("unknown option '%s'", argv[i]);
	}
	return 0;
}

static int cmd_payloads(int argc, char **argv)
{
	struct filter f;
	struct srtp_opt so = { 0 };
	struct counts c;

	if (argc < 3)
		die("usage: payloads <in.pcap> [--srtp suite b64key] [filters]");
	filter_init(&f);
	common_opts(argc, argv, 3, &f, &so);
	printf("# ssrc seq ts pt len fnv1a64 marker time sport>dport\n");
	each_rtp(argv[2], &f, &so, &c, pl_cb, NULL);
	counts_report(argv[2], &c);
	return c.rtp ? 0 : 1;
}

/* ---------------------------------------------------------------- compare */

static void collect_cb(void *ctx, const struct pcap_pkthdr *h, const struct pkt *p,
	const struct rtp *r)
{
	struct plist *l = ctx;

	(void)h;
	(void)p;
	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 1024;
		l->h = realloc(l->h, l->cap * sizeof(*l->h));
		if (!l->h)
			die("out of memory");
	}
	l->h[l->n++] = fnv1a(r->payload, r->len);
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

struct hidx {
	uint64_t h;
	size_t i;
};

static int cmp_hidx(const void *a, const void *b)
{
	const struct hidx *x = a, *y = b;

	if (x->h != y->h)
		return x->h < y->h ? -1 : 1;
	return x->i < y->i ? -1 : x->i > y->i;
}

/* How many received payloads arrived in the order they were sent: the k-th copy of
 * a payload received is taken for the k-th copy sent (silence frames repeat), and
 * the answer is the longest run of received packets whose sent positions increase
 * (longest increasing subsequence), so one late packet costs one. */
static size_t in_order(const struct plist *sent, const struct plist *recv)
{
	struct hidx *s = malloc((sent->n + 1) * sizeof(*s));
	size_t *used = calloc(sent->n + 1, sizeof(*used));
	size_t *map = malloc((recv->n + 1) * sizeof(*map));
	size_t *tail = malloc((recv->n + 1) * sizeof(*tail));
	size_t i, m = 0, len = 0;

	if (!s || !used || !map || !tail)
		die("out of memory");
	for (i = 0; i < sent->n; i++) {
		s[i].h = sent->h[i];
		s[i].i = i;
	}
	qsort(s, sent->n, sizeof(*s), cmp_hidx);
	for (i = 0; i < recv->n; i++) {
		size_t lo = 0, hi = sent->n, g;
		while (lo < hi) {       /* first of the group with this hash */
			size_t mid = (lo + hi) / 2;
			if (s[mid].h < recv->h[i])
				lo = mid + 1;
			else
				hi = mid;
		}
		g = lo;
		if (g < sent->n && s[g].h == recv->h[i] && g + used[g] < sent->n &&
		    s[g + used[g]].h == recv->h[i]) {
			map[m++] = s[g + used[g]].i;
			used[g]++;
		}
	}
	for (i = 0; i < m; i++) {       /* patience sorting */
		size_t lo = 0, hi = len;
		while (lo < hi) {
			size_t mid = (lo + hi) / 2;
			if (tail[mid] < map[i])
				lo = mid + 1;
			else
				hi = mid;
		}
		tail[lo] = map[i];
		if (lo == len)
			len++;
	}
	free(s);
	free(used);
	free(map);
	free(tail);
	return len;
}

static int cmd_compare(int argc, char **argv)
{
	struct filter fs, fr;
	struct srtp_opt ss = { 0 }, sr = { 0 };
	struct counts cs, cr;
	struct plist ls = { 0 }, lr = { 0 };
	uint64_t *a, *b;
	size_t i, j, match = 0, missing = 0, extra = 0, inorder = 0;
	long allow_missing = 0, allow_extra = 0;
	int ordered = 0, ok;

	if (argc < 4)
		die("usage: compare <sent.pcap> <received.pcap> [options]");
	filter_init(&fs);
	filter_init(&fr);
	for (int k = 4; k < argc; k++) {
		const char *o = argv[k];
		int has1 = k + 1 < argc, has2 = k + 2 < argc;
		if (!strcmp(o, "--srtp") && has2) {         /* both sides */
			ss.suite = sr.suite = argv[k + 1];
			ss.key = sr.key = argv[k + 2];
			k += 2;
		} else if (!strcmp(o, "--sent-srtp") && has2) {
			ss.suite = argv[++k];
			ss.key = argv[++k];
		} else if (!strcmp(o, "--recv-srtp") && has2) {
			sr.suite = argv[++k];
			sr.key = argv[++k];
		} else if (!strncmp(o, "--sent-", 7) && has1) {
			char opt[64];
			char *v[3] = { argv[0], opt, argv[k + 1] };
			int z = 1;
			snprintf(opt, sizeof(opt), "--%s", o + 7);
			if (!filter_opt(&fs, 3, v, &z))
				die("unknown option '%s'", o);
			k++;
		} else if (!strncmp(o, "--recv-", 7) && has1) {
			char opt[64];
			char *v[3] = { argv[0], opt, argv[k + 1] };
			int z = 1;
			snprintf(opt, sizeof(opt), "--%s", o + 7);
			if (!filter_opt(&fr, 3, v, &z))
				die("unknown option '%s'", o);
			k++;
		} else if (!strcmp(o, "--allow-missing") && has1) {
			allow_missing = parse_num(argv[++k], "count", 0, 1L << 30);
		} else if (!strcmp(o, "--allow-extra") && has1) {
			allow_extra = parse_num(argv[++k], "count", 0, 1L << 30);
		} else if (!strcmp(o, "--ordered")) {
			ordered = 1;
		} else {
			/* a plain filter applies to both sides */
			int z = k;
			if (!filter_opt(&fs, argc, argv, &z))
				die("unknown option '%s'", o);
			z = k;
			filter_opt(&fr, argc, argv, &z);
			k = z;
		}
	}
	each_rtp(argv[2], &fs, &ss, &cs, collect_cb, &ls);
	counts_report(argv[2], &cs);
	each_rtp(argv[3], &fr, &sr, &cr, collect_cb, &lr);
	counts_report(argv[3], &cr);

	inorder = in_order(&ls, &lr);
	a = malloc((ls.n + 1) * sizeof(*a));
	b = malloc((lr.n + 1) * sizeof(*b));
	if (!a || !b)
		die("out of memory");
	if (ls.n)
		memcpy(a, ls.h, ls.n * sizeof(*a));
	if (lr.n)
		memcpy(b, lr.h, lr.n * sizeof(*b));
	qsort(a, ls.n, sizeof(*a), cmp_u64);
	qsort(b, lr.n, sizeof(*b), cmp_u64);
	for (i = 0, j = 0; i < ls.n || j < lr.n;) {
		if (j >= lr.n || (i < ls.n && a[i] < b[j])) {
			missing++;
			i++;
		} else if (i >= ls.n || b[j] < a[i]) {
			extra++;
			j++;
		} else {
			match++;
			i++;
			j++;
		}
	}
	ok = ls.n > 0 && missing <= (size_t)allow_missing && extra <= (size_t)allow_extra &&
	     cs.srtp_fail == 0 && cr.srtp_fail == 0 && (!ordered || inorder == match);
	printf("sent %zu received %zu matched %zu missing %zu extra %zu in_order %zu "
	       "srtp_fail %lu/%lu: %s\n",
		ls.n, lr.n, match, missing, extra, inorder, cs.srtp_fail, cr.srtp_fail,
		ok ? "OK" : "MISMATCH");
	free(a);
	free(b);
	free(ls.h);
	free(lr.h);
	return ok ? 0 : 1;
}

/* ---------------------------------------------------------------- dtmf */

struct press {
	uint32_t ssrc, ts;
	uint8_t event, volume, ended;
	uint32_t duration;       /* the largest seen, in timestamp units */
	unsigned packets, ends;
	double t;                /* capture time of the first packet */
};

struct presses {
	struct press *p;
	size_t n, cap;
	unsigned long bad;
	double t0;
};

static char event_char(int e)
{
	static const char map[] = "0123456789*#ABCD";

	if (e < 16)
		return map[e];
	if (e == 16)
		return '!';      /* flash */
	return '?';
}

static void dtmf_cb(void *ctx, const struct pcap_pkthdr *h, const struct pkt *pk,
	const struct rtp *r)
{
	struct presses *ps = ctx;
	const uint8_t *b = r->payload;
	double t = (double)h->ts.tv_sec + h->ts.tv_usec / 1e6;
	struct press *p = NULL;
	size_t i;

	(void)pk;
	if (ps->t0 < 0)
		ps->t0 = t;
	if (r->len < 4 || r->len % 4) {
		ps->bad++;
		return;
	}
	/* one press: one (ssrc, timestamp, event); the end packet is sent three
	 * times and retransmitted updates repeat the same timestamp */
	for (i = ps->n; i-- > 0;) {
		if (ps->p[i].ssrc == r->ssrc && ps->p[i].ts == r->ts && ps->p[i].event == b[0]) {
			p = &ps->p[i];
			break;
		}
	}
	if (!p) {
		if (ps->n == ps->cap) {
			ps->cap = ps->cap ? ps->cap * 2 : 64;
			ps->p = realloc(ps->p, ps->cap * sizeof(*ps->p));
			if (!ps->p)
				die("out of memory");
		}
		p = &ps->p[ps->n++];
		memset(p, 0, sizeof(*p));
		p->ssrc = r->ssrc;
		p->ts = r->ts;
		p->event = b[0];
		p->t = t - ps->t0;
	}
	p->packets++;
	p->volume = b[1] & 0x3f;
	if (rd16(b + 2) > p->duration)
		p->duration = rd16(b + 2);
	if (b[1] & 0x80) {
		p->ended = 1;
		p->ends++;
	}
}

static int cmd_dtmf(int argc, char **argv)
{
	struct filter f;
	struct srtp_opt so = { 0 };
	struct counts c;
	struct presses ps = { 0 };
	long rate = 8000;
	size_t i;
	char digits[4096];
	int k, m = 0;

	if (argc < 3)
		die("usage: dtmf <in.pcap> [--pt N] [--rate HZ] [--srtp suite b64key] [filters]");
	filter_init(&f);
	f.pt = 101;
	for (k = 3; k < argc; k++) {
		if (!strcmp(argv[k], "--srtp") && k + 2 < argc) {
			so.suite = argv[++k];
			so.key = argv[++k];
		} else if (!strcmp(argv[k], "--rate") && k + 1 < argc) {
			rate = parse_num(argv[++k], "rate", 1, 192000);
		} else if (!filter_opt(&f, argc, argv, &k))
			die("unknown option '%s'", argv[k]);
	}
	ps.t0 = -1;
	each_rtp(argv[2], &f, &so, &c, dtmf_cb, &ps);
	counts_report(argv[2], &c);
	printf("# digit ssrc start_ts duration_ts duration_ms packets end_packets volume time\n");
	for (i = 0; i < ps.n; i++) {
		const struct press *p = &ps.p[i];
		printf("%c %08" PRIx32 " %10" PRIu32 " %5u %5ld %3u %u %2u %.3f%s\n",
			event_char(p->event), p->ssrc, p->ts, p->duration,
			(long)p->duration * 1000 / rate, p->packets, p->ends, p->volume, p->t,
			p->ended ? "" : " (no end)");
		if (m < (int)sizeof(digits) - 1)
			digits[m++] = event_char(p->event);
	}
	digits[m] = 0;
	printf("presses %zu: %s\n", ps.n, digits);
	if (ps.bad)
		fprintf(stderr, "%s: %lu packets of PT %ld were no telephone-event\n", prog, ps.bad,
			f.pt);
	free(ps.p);
	return ps.n ? 0 : 1;
}

/* ---------------------------------------------------------------- keygen */

static int cmd_keygen(int argc, char **argv)
{
	const struct suite *s;
	uint8_t key[64];
	char out[128];
	FILE *r;

	if (argc < 3)
		die("usage: keygen <suite>");
	s = find_suite(argv[2]);
	r = fopen("/dev/urandom", "rb");
	if (!r || fread(key, 1, (size_t)s->key_len, r) != (size_t)s->key_len)
		die("/dev/urandom: %s", strerror(errno));
	fclose(r);
	b64enc(key, s->key_len, out);
	printf("%s\n", out);
	return 0;
}

static void usage(void)
{
	fprintf(stderr,
		"usage: %s encrypt <in.pcap> <out.pcap> <suite> <b64 key||salt> [filters]\n"
		"       %s transcode <in.pcap> <out.pcap> pcmu|pcma [filters]\n"
		"       %s restamp <in.pcap> <out.pcap> [--set-ssrc HEX] [--set-seq N] [--set-ts N]"
		" [--set-pt N] [filters]\n"
		"       %s payloads <in.pcap> [--srtp <suite> <b64>] [filters]\n"
		"       %s compare <sent.pcap> <received.pcap> [--srtp|--sent-srtp|--recv-srtp"
		" <suite> <b64>]\n"
		"             [--sent-udp-dport N] [--recv-udp-dport N] [--sent-pt N] [--recv-pt N]\n"
		"             [filters] [--ordered] [--allow-missing N] [--allow-extra N]\n"
		"       %s dtmf <in.pcap> [--pt N (101)] [--rate HZ] [--srtp <suite> <b64>]"
		" [filters]\n"
		"       %s keygen <suite>\n"
		"filters: --udp-dport N --udp-sport N --pt N --ssrc HEX\n"
		"suites: AES_CM_128_HMAC_SHA1_80 AES_CM_128_HMAC_SHA1_32 AES_256_CM_HMAC_SHA1_80\n"
		"        AES_256_CM_HMAC_SHA1_32 AEAD_AES_128_GCM AEAD_AES_256_GCM\n",
		prog, prog, prog, prog, prog, prog, prog);
	exit(2);
}

int main(int argc, char **argv)
{
	if (argc < 2)
		usage();
	if (!strcmp(argv[1], "encrypt"))
		return cmd_rewrite(argc, argv, RW_ENCRYPT);
	if (!strcmp(argv[1], "transcode")) {
		if (argc < 5)
			usage();
		if (!strcmp(argv[4], "pcmu"))
			return cmd_rewrite(argc, argv, RW_PCMU);
		if (!strcmp(argv[4], "pcma"))
			return cmd_rewrite(argc, argv, RW_PCMA);
		die("transcode to pcmu or pcma, not '%s'", argv[4]);
	}
	if (!strcmp(argv[1], "restamp"))
		return cmd_rewrite(argc, argv, RW_RESTAMP);
	if (!strcmp(argv[1], "payloads"))
		return cmd_payloads(argc, argv);
	if (!strcmp(argv[1], "compare"))
		return cmd_compare(argc, argv);
	if (!strcmp(argv[1], "dtmf"))
		return cmd_dtmf(argc, argv);
	if (!strcmp(argv[1], "keygen"))
		return cmd_keygen(argc, argv);
	usage();
	return 2;
}
