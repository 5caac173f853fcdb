/*
 * dtmf_pcap: writes a pcap of G.711 RTP carrying in-band DTMF, for the media tests.
 *
 *   dtmf_pcap <out.pcap> <digits> [--law pcmu|pcma] [--on MS] [--off MS]
 *             [--lead MS] [--tail MS] [--ssrc HEX] [--te PT]
 *
 * The keys are SpanDSP's dtmf_tx (its default level and twist), each --on ms (default
 * 100) with --off ms (100) between, after --lead ms (500) of silence and before --tail
 * ms (500) of it; digits are 0-9 * # A-D. One RTP packet per 20 ms (160 samples), PT 0
 * (pcmu, the default) or 8 (pcma), sequence from 1, timestamp from 0, marker on the
 * first, SSRC --ssrc (default 1b1b1b1b); in Ethernet + IPv4 + UDP frames 10.0.0.1:6000 ->
 * 10.0.0.2:6000 (SIPp's play_pcap_audio keeps the RTP and timing and sends it from the
 * call's media address to the remote's), pcap timestamps 20 ms apart. A few LSB of
 * noise under everything make every payload unique. With --te, the keys also go as RFC
 * 4733 telephone-events of PT PT in the same stream, as phones and gateways that send
 * both do: after each audio packet of a key one event packet (the press's timestamp,
 * marker on its first, duration so far), and after its tone the end packet three times
 * (RFC 4733 §2.5.1.3, one sequence number); sequence numbers count every packet.
 * Prints "packets N ms N digits D" (N: the audio packets).
 *
 *   dtmf_pcap --detect <in.pcap> [--udp-dport N] [--pt N]
 *
 * The other way: SpanDSP's dtmf_rx (its defaults) over the G.711 RTP in a capture
 * (Ethernet with VLAN tags, or Linux cooked v1/v2; IPv4 or IPv6), payloads in capture
 * order, PCMU for PT 0 and PCMA for PT 8; --pt keeps one PT (default both), --udp-dport
 * one destination port. Prints "packets N silent N digits D", silent counting payloads
 * of G.711 silence throughout (0xFF PCMU, 0xD5 PCMA), D "" when no key was found.
 *
 * Build: cc -O2 -o dtmf_pcap tests/tools/dtmf_pcap.c -lspandsp -lpcap -lm
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pcap/pcap.h>
#include <spandsp.h>

static void
die(const char *msg, const char *arg)
{
	fprintf(stderr, "dtmf_pcap: %s%s%s\n", msg, arg ? " " : "", arg ? arg : "");
	exit(2);
}

static long
num(const char *s, long lo, long hi)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 0);
	if (errno || end == s || *end || v < lo || v > hi)
		die("bad number", s);
	return v;
}

static uint16_t
csum(const uint8_t *p, size_t n)
{
	uint32_t s = 0;

	for (size_t i = 0; i + 1 < n; i += 2)
		s += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (n & 1)
		s += (uint32_t)p[n - 1] << 8;
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

static void
put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void
put32(uint8_t *p, uint32_t v)
{
	put16(p, (uint16_t)(v >> 16));
	put16(p + 2, (uint16_t)v);
}

/* One frame: Ethernet, IPv4, UDP (checksum over the RFC 768 pseudo-header), RTP. */
static size_t
frame(uint8_t *f, int pt, int marker, uint16_t seq, uint32_t ts, uint32_t ssrc,
      const uint8_t *pl, size_t n)
{
	/* 12 + 8 + 12 + 160 below */
	if (n > 160)
		die("payload too long", NULL);
	static const uint8_t src[4] = {10, 0, 0, 1}, dst[4] = {10, 0, 0, 2};
	uint8_t *ip = f + 14, *u = ip + 20, *r = u + 8, ph[12 + 8 + 12 + 160];
	size_t ulen = 8 + 12 + n;

	memcpy(f, "\x02\x00\x00\x00\x00\x02\x02\x00\x00\x00\x00\x01\x08\x00", 14);
	memset(ip, 0, 20);
	ip[0] = 0x45;
	put16(ip + 2, (uint16_t)(20 + ulen));
	ip[6] = 0x40; /* DF */
	ip[8] = 64;
	ip[9] = 17;
	memcpy(ip + 12, src, 4);
	memcpy(ip + 16, dst, 4);
	put16(ip + 10, csum(ip, 20));
	put16(u, 6000);
	put16(u + 2, 6000);
	put16(u + 4, (uint16_t)ulen);
	put16(u + 6, 0);
	r[0] = 0x80;
	r[1] = (uint8_t)(pt | (marker ? 0x80 : 0));
	put16(r + 2, seq);
	put32(r + 4, ts);
	put32(r + 8, ssrc);
	memcpy(r + 12, pl, n);
	memcpy(ph, src, 4);
	memcpy(ph + 4, dst, 4);
	ph[8] = 0;
	ph[9] = 17;
	put16(ph + 10, (uint16_t)ulen);
	memcpy(ph + 12, u, ulen);
	uint16_t c = csum(ph, 12 + ulen);
	put16(u + 6, c ? c : 0xffff);
	return 14 + 20 + ulen;
}

/* UDP payload of an IPv4/IPv6 datagram at ip (n octets), or NULL. */
static const uint8_t *
udp_of(const uint8_t *ip, size_t n, uint16_t *dport, size_t *len)
{
	const uint8_t *u;
	size_t ulen;

	if (n >= 20 && ip[0] >> 4 == 4) {
		size_t ihl = (size_t)(ip[0] & 15) * 4;
		if (ip[9] != 17 || ihl < 20 || n < ihl + 8 || ((ip[6] & 0x3f) | ip[7]) != 0)
			return NULL;
		u = ip + ihl;
		n -= ihl;
	} else if (n >= 48 && ip[0] >> 4 == 6) {
		if (ip[6] != 17)
			return NULL;
		u = ip + 40;
		n -= 40;
	} else {
		return NULL;
	}
	ulen = (size_t)(u[4] << 8 | u[5]);
	if (ulen < 8 || ulen > n)
		return NULL;
	*dport = (uint16_t)(u[2] << 8 | u[3]);
	*len = ulen - 8;
	return u + 8;
}

static int
detect(int argc, char **argv)
{
	char err[PCAP_ERRBUF_SIZE], digits[128];
	long dport = -1, want_pt = -1, packets = 0, silent = 0;
	struct pcap_pkthdr *h;
	const u_char *f;
	dtmf_rx_state_t *rx;
	pcap_t *in;
	int link, k;

	for (int i = 3; i < argc; i++) {
		if (i + 1 >= argc)
			die("option without a value:", argv[i]);
		if (!strcmp(argv[i], "--udp-dport"))
			dport = num(argv[++i], 0, 65535);
		else if (!strcmp(argv[i], "--pt"))
			want_pt = num(argv[++i], 0, 127);
		else
			die("unknown option", argv[i]);
	}
	in = pcap_open_offline(argv[2], err);
	if (in == NULL)
		die("cannot read", argv[2]);
	link = pcap_datalink(in);
	rx = dtmf_rx_init(NULL, NULL, NULL);
	if (rx == NULL)
		die("dtmf_rx_init failed", NULL);
	while (pcap_next_ex(in, &h, &f) == 1) {
		size_t n = h->caplen, off, len, pl;
		const uint8_t *r;
		uint16_t dp, et;
		int16_t lin[1600];

		if (link == DLT_EN10MB && n >= 14) {
			off = 12;
			et = (uint16_t)(f[off] << 8 | f[off + 1]);
			while ((et == 0x8100 || et == 0x88a8) && n >= off + 6) {
				off += 4;
				et = (uint16_t)(f[off] << 8 | f[off + 1]);
			}
			off += 2;
		} else if (link == DLT_LINUX_SLL && n >= 16) {
			et = (uint16_t)(f[14] << 8 | f[15]);
			off = 16;
		} else if (link == DLT_LINUX_SLL2 && n >= 20) {
			et = (uint16_t)(f[0] << 8 | f[1]);
			off = 20;
		} else {
			continue;
		}
		if ((et != 0x0800 && et != 0x86dd) || n <= off)
			continue;
		r = udp_of(f + off, n - off, &dp, &len);
		if (r == NULL || len < 12 || (r[0] >> 6) != 2 || (dport >= 0 && dp != dport))
			continue;
		int pt = r[1] & 0x7f;
		size_t hl = 12 + 4 * (size_t)(r[0] & 15);
		if ((pt != 0 && pt != 8) || (want_pt >= 0 && pt != want_pt) || len < hl)
			continue;
		if (r[0] & 0x10) { /* header extension */
			if (len < hl + 4)
				continue;
			hl += 4 + 4 * (size_t)(r[hl + 2] << 8 | r[hl + 3]);
		}
		pl = len - hl;
		if ((r[0] & 0x20) && pl > 0) /* padding */
			pl -= pl < r[len - 1] ? pl : r[len - 1];
		if (hl > len || pl > sizeof(lin) / sizeof(lin[0]))
			continue;
		size_t z = 0;
		for (size_t i = 0; i < pl; i++) {
			uint8_t o = r[hl + i];
			lin[i] = pt == 8 ? alaw_to_linear(o) : ulaw_to_linear(o);
			z += o == (pt == 8 ? 0xd5 : 0xff);
		}
		dtmf_rx(rx, lin, (int)pl);
		packets++;
		silent += pl > 0 && z == pl;
	}
	pcap_close(in);
	/* a tone still running at the end of the capture: what a receiver's next audio
	 * (silence) would end */
	memset(digits, 0, sizeof(digits));
	int16_t zero[160] = {0};
	for (int i = 0; i < 5; i++)
		dtmf_rx(rx, zero, 160);
	k = dtmf_rx_get(rx, digits, (int)sizeof(digits) - 1);
	digits[k > 0 ? k : 0] = '\0';
	dtmf_rx_free(rx);
	printf("packets %ld silent %ld digits %s\n", packets, silent, digits);
	return 0;
}

int
main(int argc, char **argv)
{
	long on = 100, off = 100, lead = 500, tail = 500;
	uint32_t ssrc = 0x1b1b1b1b;
	int pt = 0, te = -1;
	dtmf_tx_state_t *tx;
	pcap_t *dead;
	pcap_dumper_t *out;
	struct pcap_pkthdr h = {0};
	uint8_t pl[160], f[256];
	int16_t lin[160];
	long total, packets;
	uint32_t noise = 1;

	if (argc >= 3 && !strcmp(argv[1], "--detect"))
		return detect(argc, argv);
	if (argc < 3)
		die("usage: dtmf_pcap <out.pcap> <digits> [--law pcmu|pcma] [--on MS] [--off MS] "
		    "[--lead MS] [--tail MS] [--ssrc HEX] [--te PT]\n       dtmf_pcap --detect <in.pcap> "
		    "[--udp-dport N] [--pt N]", NULL);
	for (int i = 3; i < argc; i++) {
		if (i + 1 >= argc)
			die("option without a value:", argv[i]);
		if (!strcmp(argv[i], "--law")) {
			i++;
			if (!strcmp(argv[i], "pcmu"))
				pt = 0;
			else if (!strcmp(argv[i], "pcma"))
				pt = 8;
			else
				die("law is pcmu or pcma, not", argv[i]);
		} else if (!strcmp(argv[i], "--on"))
			on = num(argv[++i], 40, 10000);
		else if (!strcmp(argv[i], "--off"))
			off = num(argv[++i], 0, 10000);
		else if (!strcmp(argv[i], "--lead"))
			lead = num(argv[++i], 0, 60000);
		else if (!strcmp(argv[i], "--tail"))
			tail = num(argv[++i], 0, 60000);
		else if (!strcmp(argv[i], "--ssrc"))
			ssrc = (uint32_t)strtoul(argv[++i], NULL, 16);
		else if (!strcmp(argv[i], "--te"))
			te = (int)num(argv[++i], 96, 127);
		else
			die("unknown option", argv[i]);
	}
	if (strspn(argv[2], "0123456789*#ABCD") != strlen(argv[2]) || argv[2][0] == '\0')
		die("digits are 0-9 * # A-D:", argv[2]);
	tx = dtmf_tx_init(NULL);
	if (tx == NULL)
		die("dtmf_tx_init failed", NULL);
	dtmf_tx_set_timing(tx, (int)on, (int)off);
	if (dtmf_tx_put(tx, argv[2], -1) != 0)
		die("too many digits", NULL);
	dead = pcap_open_dead(DLT_EN10MB, 65535);
	out = dead ? pcap_dump_open(dead, argv[1]) : NULL;
	if (out == NULL)
		die("cannot write", argv[1]);
	/* lead silence, the keys until the generator runs dry, tail silence */
	total = lead / 20 + tail / 20;
	packets = 0;
	uint16_t seq = 1;
	const char *key = argv[2];
	long key_start = -1; /* audio packet where the running key's tone began */
	for (int phase = 0; phase < 3; phase++) {
		long n = phase == 0 ? lead / 20 : phase == 2 ? tail / 20 : -1;
		for (long k = 0; n < 0 || k < n; k++) {
			int got = 160, tone = 0;
			memset(lin, 0, sizeof(lin));
			if (phase == 1) {
				got = dtmf_tx(tx, lin, 160);
				if (got <= 0)
					break;
				total++;
				for (int i = 0; i < got; i++)
					tone |= lin[i] != 0;
			}
			for (int i = 0; i < 160; i++) {
				/* line noise of a few LSB (about -75 dBm0): no two packets alike,
				 * so a relay's order can be checked payload by payload */
				noise = noise * 1103515245u + 12345u;
				int v = lin[i] + (int)(noise >> 28) - 8;
				pl[i] = pt == 8 ? linear_to_alaw(v) : linear_to_ulaw(v);
			}
			h.ts.tv_sec = 1700000000 + packets / 50;
			h.ts.tv_usec = (packets % 50) * 20000;
			h.caplen = h.len = (uint32_t)frame(f, pt, packets == 0, seq++,
				(uint32_t)(packets * 160), ssrc, pl, 160);
			pcap_dump((u_char *)out, &h, f);
			if (te >= 0 && (tone || key_start >= 0)) {
				/* RFC 4733 §2.3: event, E | volume 10, duration */
				static const char codes[] = "0123456789*#ABCD";
				uint8_t ev[4];
				int end = !tone, copies = end ? 3 : 1;
				if (key_start < 0)
					key_start = packets;
				uint16_t dur = (uint16_t)((packets - key_start + !end) * 160);
				ev[0] = (uint8_t)(strchr(codes, *key) - codes);
				ev[1] = (uint8_t)((end ? 0x80 : 0) | 10);
				put16(ev + 2, dur);
				h.ts.tv_usec += 1;
				for (int c = 0; c < copies; c++) {
					h.caplen = h.len = (uint32_t)frame(f, te, packets == key_start,
						seq, (uint32_t)(key_start * 160), ssrc, ev, 4);
					pcap_dump((u_char *)out, &h, f);
				}
				seq++;
				if (end) {
					key_start = -1;
					key++;
				}
			}
			packets++;
		}
	}
	pcap_dump_close(out);
	pcap_close(dead);
	dtmf_tx_free(tx);
	printf("packets %ld ms %ld digits %s\n", packets, total * 20, argv[2]);
	return 0;
}
