/*
 * Unit tests for the L2-L4 paths (dataplane/net.c, neigh.c) on crafted frames.
 *
 * EAL runs in --no-huge mode with no devices; the test makes a real ethdev from
 * two rings (rte_eth_from_rings), names it in the engine's config, pushes
 * frames into the RX ring, runs worker loop turns and reads what the engine
 * transmitted from the TX ring. Exits 77 when EAL cannot start here.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_eth_ring.h>
#include <rte_ethdev.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_ring.h>

#include "hl_test.h"
#include "hotline/common.h"
#include "hotline/config.h"
#include "hotline/counters.h"
#include "hotline/engine.h"
#include "hotline/sip.h"

static struct rte_ring *rxr, *txr;
static struct rte_mempool *pool;
static struct hl_engine *eng;
static struct hl_worker *wk;
static struct hl_config cfg;
static struct rte_ether_addr emac;
static const uint8_t pmac[6] = {0x02, 0x11, 0x22, 0x33, 0x44, 0x55};
static const uint8_t bcast[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};

static const char conf_fmt[] = "[lcores]\ncontrol = 0\nworkers = 0\n"
			   "[port t]\ndevice = %s\nipv4 = 10.0.0.1/24\n"
			   "gateway4 = 10.0.0.254\nipv6 = fd00::1/64\n"
			   "[limits]\nfrag_timeout_ms = 100\n";

static uint64_t
ctr(enum hl_ctr c)
{
	struct hl_lcore_stats s;
	hl_stats_sum(&s);
	return s.ctr[c];
}

static uint64_t
drop_of(enum hl_drop d)
{
	struct hl_lcore_stats s;
	hl_stats_sum(&s);
	return s.drop[d];
}

/* ---- frame builders -------------------------------------------------------- */

static size_t
put_eth(uint8_t *f, const uint8_t *dst, uint16_t etype)
{
	memcpy(f, dst, 6);
	memcpy(f + 6, pmac, 6);
	f[12] = (uint8_t)(etype >> 8);
	f[13] = (uint8_t)etype;
	return 14;
}

static uint16_t
csum16(const void *p, size_t n)
{
	return (uint16_t)~rte_raw_cksum(p, n);
}

/* IPv4 header + payload at f; returns the IP packet length. */
static size_t
put_ip4(uint8_t *f, const char *src, uint8_t proto, const void *pl, size_t n, uint16_t frag,
	uint16_t id)
{
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)f;

	memset(ip, 0, sizeof(*ip));
	ip->version_ihl = 0x45;
	ip->total_length = htons((uint16_t)(20 + n));
	ip->packet_id = htons(id);
	ip->fragment_offset = htons(frag);
	ip->time_to_live = 64;
	ip->next_proto_id = proto;
	inet_pton(AF_INET, src, &ip->src_addr);
	inet_pton(AF_INET, "10.0.0.1", &ip->dst_addr);
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	memcpy(f + 20, pl, n);
	return 20 + n;
}

static size_t
icmp_echo(uint8_t *p, uint16_t seq)
{
	memset(p, 0, 24);
	p[0] = 8;
	p[5] = 0x42;
	p[7] = (uint8_t)seq;
	memcpy(p + 8, "hotline-echo-pay", 16);
	uint16_t c = csum16(p, 24);
	memcpy(p + 2, &c, 2);
	return 24;
}

static void
inject(const uint8_t *f, size_t n)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(pool);

	HL_CHECK(m != NULL);
	memcpy(rte_pktmbuf_append(m, (uint16_t)n), f, n);
	HL_CHECK(rte_ring_enqueue(rxr, m) == 0);
}

/* Runs loop turns until the RX ring is empty, flushes TX, returns frames sent. */
static unsigned int
run(struct rte_mbuf **out, unsigned int max)
{
	for (int i = 0; i < 8; i++)
		hl_worker_poll(wk);
	hl_worker_flush(wk);
	return rte_ring_dequeue_burst(txr, (void **)out, max, NULL);
}

static void
free_all(struct rte_mbuf **m, unsigned int n)
{
	for (unsigned int i = 0; i < n; i++)
		rte_pktmbuf_free(m[i]);
}

static void
arp_frame(uint8_t *f, size_t *n, uint16_t op, const char *sip, const char *tip)
{
	size_t o = put_eth(f, op == 1 ? bcast : emac.addr_bytes, 0x0806);
	uint8_t *a = f + o;

	memset(a, 0, 28);
	a[1] = 1;
	a[2] = 0x08;
	a[4] = 6;
	a[5] = 4;
	a[7] = (uint8_t)op;
	memcpy(a + 8, pmac, 6);
	inet_pton(AF_INET, sip, a + 14);
	if (op == 2)
		memcpy(a + 18, emac.addr_bytes, 6);
	inet_pton(AF_INET, tip, a + 24);
	*n = o + 28;
}

/* ---- cases ----------------------------------------------------------------- */

HL_TEST(arp_request_gets_reply_and_learns)
{
	uint8_t f[128];
	size_t n;
	struct rte_mbuf *out[8];

	arp_frame(f, &n, 1, "10.0.0.2", "10.0.0.1");
	inject(f, n);
	unsigned int k = run(out, 8);
	HL_CHECK_INT(k, 1);
	if (k != 1)
		return;
	const uint8_t *r = rte_pktmbuf_mtod(out[0], const uint8_t *);
	HL_CHECK_MEM(r, pmac, 6);
	HL_CHECK_MEM(r + 6, emac.addr_bytes, 6);
	HL_CHECK_INT(r[21], 2);                     /* op reply */
	HL_CHECK_MEM(r + 22, emac.addr_bytes, 6);   /* sender hw = us */
	HL_CHECK_MEM(r + 28, "\x0a\x00\x00\x01", 4);
	HL_CHECK_MEM(r + 32, pmac, 6);
	HL_CHECK_MEM(r + 38, "\x0a\x00\x00\x02", 4);
	free_all(out, k);
	/* not for us: ignored, no reply */
	uint64_t ign = ctr(HL_CTR_ARP_IGNORED);
	arp_frame(f, &n, 1, "10.0.0.2", "10.0.0.9");
	inject(f, n);
	HL_CHECK_INT(run(out, 8), 0);
	HL_CHECK_INT(ctr(HL_CTR_ARP_IGNORED), ign + 1);
}

HL_TEST(echo_request_gets_reply)
{
	uint8_t f[256], pl[64];
	struct rte_mbuf *out[8];
	size_t o = put_eth(f, emac.addr_bytes, 0x0800);
	size_t n = o + put_ip4(f + o, "10.0.0.2", 1, pl, icmp_echo(pl, 7), 0, 99);

	inject(f, n);
	unsigned int k = run(out, 8);
	HL_CHECK_INT(k, 1);
	if (k != 1)
		return;
	const uint8_t *r = rte_pktmbuf_mtod(out[0], const uint8_t *);
	const struct rte_ipv4_hdr *ip = (const struct rte_ipv4_hdr *)(r + 14);
	HL_CHECK_INT(rte_pktmbuf_pkt_len(out[0]), n);
	HL_CHECK_MEM(r, pmac, 6); /* the MAC learned from the ARP request */
	HL_CHECK_MEM(&ip->src_addr, "\x0a\x00\x00\x01", 4);
	HL_CHECK_MEM(&ip->dst_addr, "\x0a\x00\x00\x02", 4);
	HL_CHECK_INT(rte_raw_cksum(ip, 20), 0xffff);
	HL_CHECK_INT(r[34], 0); /* echo reply */
	HL_CHECK_INT(rte_raw_cksum(r + 34, 24), 0xffff);
	HL_CHECK_MEM(r + 34 + 8, "hotline-echo-pay", 16);
	free_all(out, k);
}

HL_TEST(reply_to_unknown_host_waits_for_arp)
{
	uint8_t f[256], pl[64];
	struct rte_mbuf *out[8];
	size_t o = put_eth(f, emac.addr_bytes, 0x0800);
	size_t n = o + put_ip4(f + o, "10.0.0.3", 1, pl, icmp_echo(pl, 1), 0, 5);
	uint64_t queued = ctr(HL_CTR_NEIGH_QUEUED);

	inject(f, n);
	unsigned int k = run(out, 8);
	HL_CHECK_INT(k, 1); /* the ARP request, not the reply */
	HL_CHECK_INT(ctr(HL_CTR_NEIGH_QUEUED), queued + 1);
	if (k == 1) {
		const uint8_t *r = rte_pktmbuf_mtod(out[0], const uint8_t *);
		HL_CHECK_MEM(r, bcast, 6);
		HL_CHECK_INT(r[12] << 8 | r[13], 0x0806);
		HL_CHECK_INT(r[21], 1);
		HL_CHECK_MEM(r + 38, "\x0a\x00\x00\x03", 4);
	}
	free_all(out, k);
	/* the answer releases the queued echo reply */
	arp_frame(f, &n, 2, "10.0.0.3", "10.0.0.1");
	inject(f, n);
	k = run(out, 8);
	HL_CHECK_INT(k, 1);
	if (k == 1) {
		const uint8_t *r = rte_pktmbuf_mtod(out[0], const uint8_t *);
		HL_CHECK_MEM(r, pmac, 6);
		HL_CHECK_INT(r[34], 0);
		HL_CHECK_MEM(r + 30, "\x0a\x00\x00\x03", 4);
	}
	free_all(out, k);
}

HL_TEST(off_link_reply_goes_to_gateway)
{
	uint8_t f[256], pl[64];
	struct rte_mbuf *out[8];
	size_t o = put_eth(f, emac.addr_bytes, 0x0800);
	size_t n = o + put_ip4(f + o, "192.0.2.50", 1, pl, icmp_echo(pl, 2), 0, 6);

	inject(f, n);
	unsigned int k = run(out, 8);
	HL_CHECK_INT(k, 1);
	if (k == 1) /* ARP for the gateway, not for 192.0.2.50 */
		HL_CHECK_MEM(rte_pktmbuf_mtod(out[0], uint8_t *) + 38, "\x0a\x00\x00\xfe", 4);
	free_all(out, k);
}

static void
expect_drop(const char *what, const uint8_t *f, size_t n, enum hl_drop d)
{
	struct rte_mbuf *out[8];
	uint64_t before = drop_of(d);

	inject(f, n);
	unsigned int k = run(out, 8);
	HL_CHECK_MSG(k == 0, "%s: %u frames sent", what, k);
	HL_CHECK_MSG(drop_of(d) == before + 1, "%s: drop %s %llu -> %llu", what, hl_drop_name(d),
		(unsigned long long)before, (unsigned long long)drop_of(d));
	free_all(out, k);
}

HL_TEST(bad_frames_each_dropped_under_their_reason)
{
	uint8_t f[256], pl[64];
	size_t o, n;

	memcpy(f, emac.addr_bytes, 6);
	expect_drop("runt", f, 10, HL_DROP_RUNT);

	o = put_eth(f, (const uint8_t *)"\x02\x99\x99\x99\x99\x99", 0x0800);
	n = o + put_ip4(f + o, "10.0.0.2", 1, pl, icmp_echo(pl, 1), 0, 1);
	expect_drop("foreign dst mac", f, n, HL_DROP_DST_MAC);

	o = put_eth(f, emac.addr_bytes, 0x0800);
	n = o + put_ip4(f + o, "10.0.0.2", 1, pl, icmp_echo(pl, 1), 0, 1);
	f[o + 10] ^= 0xff;
	expect_drop("ip checksum", f, n, HL_DROP_IPV4_BAD_CSUM);

	n = o + put_ip4(f + o, "10.0.0.2", 1, pl, icmp_echo(pl, 1), 0, 1);
	expect_drop("ip header cut", f, o + 15, HL_DROP_IPV4_TRUNCATED);

	n = o + put_ip4(f + o, "224.0.0.5", 1, pl, icmp_echo(pl, 1), 0, 1);
	expect_drop("multicast source", f, n, HL_DROP_IPV4_BAD_SRC);

	n = o + put_ip4(f + o, "10.0.0.2", 1, pl, icmp_echo(pl, 1), 0, 1);
	f[o + 20 + 9] ^= 1;
	expect_drop("icmp checksum", f, n, HL_DROP_ICMP_BAD_CSUM);

	uint8_t udp[16] = {0x9c, 0x40, 0x00, 0x09, 0x00, 0x10};
	n = o + put_ip4(f + o, "10.0.0.2", 17, udp, sizeof(udp), 0, 1);
	expect_drop("udp closed port", f, n, HL_DROP_UDP_CLOSED_PORT);

	udp[5] = 0x40; /* length 64 > what IP carries */
	n = o + put_ip4(f + o, "10.0.0.2", 17, udp, sizeof(udp), 0, 1);
	expect_drop("udp length", f, n, HL_DROP_UDP_BAD_LEN);

	n = o + put_ip4(f + o, "10.0.0.2", 47, udp, sizeof(udp), 0, 1);
	expect_drop("gre", f, n, HL_DROP_L4_PROTO);

	o = put_eth(f, emac.addr_bytes, 0x8100);
	f[14] = 0;
	f[15] = 7;
	f[16] = 0x08;
	f[17] = 0x00;
	n = 18 + put_ip4(f + 18, "10.0.0.2", 1, pl, icmp_echo(pl, 1), 0, 1);
	expect_drop("vlan on untagged port", f, n, HL_DROP_VLAN_MISMATCH);
	expect_drop("vlan tag cut", f, 16, HL_DROP_RUNT);

	o = put_eth(f, emac.addr_bytes, 0x88cc);
	memset(f + o, 0, 46);
	expect_drop("lldp", f, o + 46, HL_DROP_ETHERTYPE);
}

HL_TEST(udp_checksum_verified_for_sip_carried_for_rtp)
{
	uint8_t f[256];
	struct rte_mbuf *out[8];
	uint8_t udp[40] = {0x9c, 0x40, 0x13, 0xc4, 0x00, 40, 0x12, 0x34}; /* wrong checksum */
	size_t o = put_eth(f, emac.addr_bytes, 0x0800);
	size_t n = o + put_ip4(f + o, "10.0.0.2", 17, udp, sizeof(udp), 0, 1);

	expect_drop("sip with a bad udp checksum", f, n, HL_DROP_UDP_BAD_CSUM);
	/* RTP: carried to its leg, where a relay updates the checksum incrementally
	 * (RFC 1624) and the far end still sees the corruption. */
	uint64_t rtp = ctr(HL_CTR_UDP_RTP), bad = drop_of(HL_DROP_UDP_BAD_CSUM);
	udp[2] = 0x4e; /* dport 20000 */
	udp[3] = 0x20;
	n = o + put_ip4(f + o, "10.0.0.2", 17, udp, sizeof(udp), 0, 1);
	inject(f, n);
	free_all(out, run(out, 8));
	HL_CHECK_INT(ctr(HL_CTR_UDP_RTP), rtp + 1);
	HL_CHECK_INT(drop_of(HL_DROP_UDP_BAD_CSUM), bad);
}

/* One RTP-range frame in: 1 when it reached the media path, with the IPv4 count right. */
static int
rtp_in(const uint8_t *f, size_t n)
{
	struct rte_mbuf *out[8];
	uint64_t rtp = ctr(HL_CTR_UDP_RTP), v4 = ctr(HL_CTR_ETH_IPV4);

	inject(f, n);
	free_all(out, run(out, 8));
	HL_CHECK_INT(ctr(HL_CTR_ETH_IPV4), v4 + 1);
	return ctr(HL_CTR_UDP_RTP) == rtp + 1;
}

/*
 * The media fast path (net.c rtp4_fast) takes only frames the general path would pass;
 * every flaw of an RTP-range datagram still ends under the general path's reason, and
 * what it would repair (padding) or take apart (options, fragments) is still handled.
 */
HL_TEST(rtp_fast_path_leaves_every_flaw_to_the_general_path)
{
	uint8_t f[256], g[256];
	uint8_t udp[40] = {0x9c, 0x40, 0x4e, 0x20, 0x00, 40}; /* 40000 -> 20000 (RTP range) */
	size_t o = put_eth(f, emac.addr_bytes, 0x0800);
	size_t n = o + put_ip4(f + o, "10.0.0.2", 17, udp, sizeof(udp), 0, 1);

	HL_CHECK(rtp_in(f, n));
	/* Ethernet padding past the datagram: trimmed, then media. */
	memcpy(g, f, n);
	memset(g + n, 0, 16);
	HL_CHECK(rtp_in(g, n + 16));
	/* A header with options (IHL 6): the general path's. */
	memcpy(g, f, o);
	{
		struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(g + o);

		memcpy(ip, f + o, 20);
		ip->version_ihl = 0x46;
		ip->total_length = htons(24 + sizeof(udp));
		memset(g + o + 20, 0, 4); /* end of options */
		memcpy(g + o + 24, udp, sizeof(udp));
		ip->hdr_checksum = 0;
		ip->hdr_checksum = csum16(ip, 24);
		HL_CHECK(rtp_in(g, o + 24 + sizeof(udp)));
	}

	memcpy(g, f, n);
	g[o + 10] ^= 0xff;
	expect_drop("rtp: ip checksum", g, n, HL_DROP_IPV4_BAD_CSUM);
	memcpy(g, f, n);
	memcpy(g, "\x02\x99\x99\x99\x99\x99", 6);
	expect_drop("rtp: foreign dst mac", g, n, HL_DROP_DST_MAC);
	n = o + put_ip4(g + o, "224.0.0.5", 17, udp, sizeof(udp), 0, 1);
	memcpy(g, f, o);
	expect_drop("rtp: multicast source", g, n, HL_DROP_IPV4_BAD_SRC);
	n = o + put_ip4(g + o, "10.0.0.1", 17, udp, sizeof(udp), 0, 1);
	expect_drop("rtp: our own source", g, n, HL_DROP_IPV4_BAD_SRC);
	n = o + put_ip4(g + o, "127.0.0.1", 17, udp, sizeof(udp), 0, 1);
	expect_drop("rtp: loopback source", g, n, HL_DROP_IPV4_BAD_SRC);
	n = o + put_ip4(g + o, "10.0.0.2", 17, udp, sizeof(udp), 0, 1);
	inet_pton(AF_INET, "10.0.0.9", g + o + 16);
	g[o + 10] = g[o + 11] = 0;
	{
		uint16_t c = csum16(g + o, 20);
		memcpy(g + o + 10, &c, 2);
	}
	expect_drop("rtp: not our address", g, n, HL_DROP_IPV4_NOT_OURS);
	n = o + put_ip4(g + o, "10.0.0.2", 17, udp, sizeof(udp), 0, 1);
	g[o + 20 + 5] = 0x41; /* UDP length 65 > what IP carries */
	expect_drop("rtp: udp length", g, n, HL_DROP_UDP_BAD_LEN);
	n = o + put_ip4(g + o, "10.0.0.2", 17, udp, sizeof(udp), 0, 1);
	g[o + 20 + 5] = 7; /* UDP length under its header */
	expect_drop("rtp: udp length short", g, n, HL_DROP_UDP_BAD_LEN);
	n = o + put_ip4(g + o, "10.0.0.2", 17, udp, sizeof(udp), 0, 1);
	expect_drop("rtp: datagram cut", g, n - 4, HL_DROP_IPV4_TRUNCATED);
	/* Fragments go to reassembly; the datagram they make reaches the media path. */
	uint64_t frags = ctr(HL_CTR_IPV4_FRAGMENT_IN), rtp = ctr(HL_CTR_UDP_RTP);
	n = o + put_ip4(g + o, "10.0.0.2", 17, udp, 16, 0x2000, 7); /* MF, octets 0-15 */
	inject(g, n);
	n = o + put_ip4(g + o, "10.0.0.2", 17, udp + 16, sizeof(udp) - 16, 2, 7);
	inject(g, n);
	{
		struct rte_mbuf *out[8];
		free_all(out, run(out, 8));
	}
	HL_CHECK_INT(ctr(HL_CTR_IPV4_FRAGMENT_IN), frags + 2);
	HL_CHECK_INT(ctr(HL_CTR_UDP_RTP), rtp + 1);
}

HL_TEST(sip_response_built_into_an_mbuf)
{
	static const char req[] = "OPTIONS sip:hotline@10.0.0.1 SIP/2.0\r\n"
				  "Via: SIP/2.0/UDP 10.0.0.2:5060;branch=z9hG4bK77;rport\r\n"
				  "Max-Forwards: 70\r\n"
				  "From: <sip:probe@10.0.0.2>;tag=a1\r\n"
				  "To: <sip:hotline@10.0.0.1>\r\n"
				  "Call-ID: c1@10.0.0.2\r\n"
				  "CSeq: 7 OPTIONS\r\n"
				  "Content-Length: 0\r\n\r\n";
	struct hl_sip_msg in, out;
	struct rte_mbuf *m = rte_pktmbuf_alloc(pool);

	HL_CHECK(m != NULL);
	HL_CHECK(hl_sip_parse((const uint8_t *)req, sizeof(req) - 1, &in) > 0);
	/* Write into the data room; the headroom stays for Ethernet + IPv4 + UDP. */
	char *room = rte_pktmbuf_mtod(m, char *);
	int n = hl_sip_build_error_response((const uint8_t *)req, &in, 400, "hl1", room,
		rte_pktmbuf_tailroom(m));
	HL_CHECK(n > 0);
	if (n <= 0) {
		rte_pktmbuf_free(m);
		return;
	}
	HL_CHECK(rte_pktmbuf_append(m, (uint16_t)n) != NULL);
	HL_CHECK(rte_pktmbuf_prepend(m, 14 + 20 + 8) != NULL); /* headers fit in front */
	rte_pktmbuf_adj(m, 14 + 20 + 8);
	/* and it parses back as the response it is */
	HL_CHECK_INT(hl_sip_parse(rte_pktmbuf_mtod(m, const uint8_t *), (size_t)n, &out), n);
	HL_CHECK(memcmp(room, "SIP/2.0 400 ", 12) == 0);
	HL_CHECK(memmem(room, (size_t)n, "branch=z9hG4bK77", 16) != NULL);
	HL_CHECK(memmem(room, (size_t)n, "tag=hl1", 7) != NULL);
	/* a data room too small is refused, nothing written past it */
	HL_CHECK_INT(hl_sip_build_error_response((const uint8_t *)req, &in, 400, "hl1", room, 40),
		HL_E_TOOBIG);
	rte_pktmbuf_free(m);
}

/* A UDP datagram to the SIP port in three fragments, delivered in the given order. */
static void
send_fragmented(const unsigned int order[3], uint16_t id)
{
	static uint8_t d[3008];
	uint8_t f[1600];
	size_t o;

	memset(d, 'S', sizeof(d));
	d[0] = 0x9c; /* sport 40000 */
	d[1] = 0x40;
	d[2] = 0x13; /* dport 5060 */
	d[3] = 0xc4;
	d[4] = 0x0b; /* length 3008 */
	d[5] = 0xc0;
	d[6] = d[7] = 0; /* no checksum (IPv4) */
	for (unsigned int i = 0; i < 3; i++) {
		unsigned int p = order[i];
		size_t off = p * 1480, len = p == 2 ? sizeof(d) - 2960 : 1480;
		o = put_eth(f, emac.addr_bytes, 0x0800);
		size_t n = o + put_ip4(f + o, "10.0.0.2", 17, d + off, len,
			(uint16_t)((p < 2 ? 0x2000 : 0) | (off / 8)), id);
		inject(f, n);
	}
}

HL_TEST(fragments_reassemble_in_any_order)
{
	static const unsigned int orders[][3] = {{0, 1, 2}, {2, 1, 0}, {1, 2, 0}};
	struct rte_mbuf *out[8];

	for (unsigned int i = 0; i < HL_ARRAY_SIZE(orders); i++) {
		uint64_t r = ctr(HL_CTR_IPV4_REASSEMBLED), s = ctr(HL_CTR_UDP_SIP);
		uint64_t b = ctr(HL_CTR_UDP_SIP_BYTES);

		send_fragmented(orders[i], (uint16_t)(100 + i));
		free_all(out, run(out, 8));
		HL_CHECK_INT(ctr(HL_CTR_IPV4_REASSEMBLED), r + 1);
		HL_CHECK_INT(ctr(HL_CTR_UDP_SIP), s + 1);
		HL_CHECK_INT(ctr(HL_CTR_UDP_SIP_BYTES), b + 3000);
	}
	HL_CHECK_INT(drop_of(HL_DROP_SIP_RING_FULL), 0);
}

HL_TEST(incomplete_datagram_expires_and_is_counted)
{
	struct rte_mbuf *out[8];
	uint8_t f[1600], d[1480];
	uint64_t before = drop_of(HL_DROP_FRAG_DROPPED);
	size_t o = put_eth(f, emac.addr_bytes, 0x0800);

	memset(d, 'x', sizeof(d));
	inject(f, o + put_ip4(f + o, "10.0.0.2", 17, d, sizeof(d), 0x2000, 777));
	free_all(out, run(out, 8));
	HL_CHECK_INT(drop_of(HL_DROP_FRAG_DROPPED), before);
	usleep(250 * 1000); /* frag_timeout_ms = 100, maintenance every 10 ms */
	free_all(out, run(out, 8));
	HL_CHECK_INT(drop_of(HL_DROP_FRAG_DROPPED), before + 1);
}

HL_TEST(neighbor_solicitation_gets_advertisement)
{
	uint8_t f[256];
	struct rte_mbuf *out[8];
	size_t o = put_eth(f, (const uint8_t *)"\x33\x33\xff\x00\x00\x01", 0x86dd);
	struct rte_ipv6_hdr *ip6 = (struct rte_ipv6_hdr *)(f + o);
	uint8_t *ns = f + o + 40;

	memset(ip6, 0, 40);
	ip6->vtc_flow = htonl(6u << 28);
	ip6->payload_len = htons(32);
	ip6->proto = 58;
	ip6->hop_limits = 255;
	inet_pton(AF_INET6, "fd00::2", ip6->src_addr);
	inet_pton(AF_INET6, "ff02::1:ff00:1", ip6->dst_addr);
	memset(ns, 0, 32);
	ns[0] = 135;
	inet_pton(AF_INET6, "fd00::1", ns + 8);
	ns[24] = 1;
	ns[25] = 1;
	memcpy(ns + 26, pmac, 6);
	uint16_t c = rte_ipv6_udptcp_cksum(ip6, ns);
	memcpy(ns + 2, &c, 2);
	inject(f, o + 72);
	unsigned int k = run(out, 8);
	HL_CHECK_INT(k, 1);
	if (k == 1) {
		const uint8_t *r = rte_pktmbuf_mtod(out[0], const uint8_t *);
		const struct rte_ipv6_hdr *o6 = (const struct rte_ipv6_hdr *)(r + 14);
		const uint8_t *na = r + 54;
		uint8_t want[16];

		HL_CHECK_MEM(r, pmac, 6);
		HL_CHECK_INT(o6->hop_limits, 255);
		inet_pton(AF_INET6, "fd00::1", want);
		HL_CHECK_MEM(o6->src_addr, want, 16);
		HL_CHECK_INT(na[0], 136);
		HL_CHECK_INT(na[4], 0x60); /* solicited, override */
		HL_CHECK_MEM(na + 8, want, 16);
		HL_CHECK_INT(na[24], 2);
		HL_CHECK_MEM(na + 26, emac.addr_bytes, 6);
		HL_CHECK_INT(rte_ipv6_udptcp_cksum_verify(o6, na), 0);
	}
	free_all(out, k);
	/* hop limit below 255: off-link forgery, RFC 4861 §7.1.1 */
	uint64_t inv = drop_of(HL_DROP_ND_INVALID);
	ip6->hop_limits = 254;
	inject(f, o + 72);
	HL_CHECK_INT(run(out, 8), 0);
	HL_CHECK_INT(drop_of(HL_DROP_ND_INVALID), inv + 1);
}

HL_TEST(every_truncation_of_an_echo_is_handled)
{
	uint8_t f[256], pl[64];
	struct rte_mbuf *out[8];
	size_t o = put_eth(f, emac.addr_bytes, 0x0800);
	size_t n = o + put_ip4(f + o, "10.0.0.2", 1, pl, icmp_echo(pl, 3), 0, 2);

	for (size_t len = 1; len < n; len++) {
		struct hl_lcore_stats a, b;

		hl_stats_sum(&a);
		inject(f, len);
		unsigned int k = run(out, 8);
		hl_stats_sum(&b);
		HL_CHECK_MSG(k == 0, "len %zu: %u frames sent", len, k);
		HL_CHECK_MSG(hl_stats_drops_total(&b) == hl_stats_drops_total(&a) + 1,
			"len %zu: not counted as exactly one drop", len);
		free_all(out, k);
	}
}

int
main(int argc, char **argv)
{
	char err[HL_CONFIG_ERR_MAX];
	char *eal[] = {argv[0], "-l", "0", "--no-huge", "-m", "256", "--no-pci", "--no-shconf",
		"--no-telemetry", "--file-prefix=hl-test-net", "--log-level=*:error"};

	if (rte_eal_init(HL_ARRAY_SIZE(eal), eal) < 0)
		HL_SKIP("EAL cannot start here");
	pool = rte_pktmbuf_pool_create("test_pool", 4095, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE, 0);
	rxr = rte_ring_create("test_rx", 1024, 0, 0);
	txr = rte_ring_create("test_tx", 1024, 0, 0);
	int pid = pool && rxr && txr ? rte_eth_from_rings("net_ring_t", &rxr, 1, &txr, 1, 0) : -1;
	char name[RTE_ETH_NAME_MAX_LEN], conf[512];
	if (pid < 0 || rte_eth_dev_get_name_by_port((uint16_t)pid, name) != 0) {
		fprintf(stderr, "test setup failed\n");
		return 1;
	}
	/* The engine finds the ring port by its ethdev name instead of probing one. */
	int cl = snprintf(conf, sizeof(conf), conf_fmt, name);
	if (hl_config_parse(&cfg, "test.conf", conf, (size_t)cl, err, sizeof(err)) != 0) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	eng = hl_engine_create(&cfg, err, sizeof(err));
	if (eng == NULL) {
		fprintf(stderr, "engine: %s\n", err);
		return 1;
	}
	wk = hl_engine_worker(eng, 0);
	rte_eth_macaddr_get(hl_engine_port_id(eng, 0), &emac);
	/* Cases build on each other (the echo case replies to the host the ARP case
	 * taught), so all of them run, in registration order; names are not selectable. */
	(void)argc;
	int rc = hl_test_run(1, argv);
	hl_engine_free(eng);
	rte_eal_cleanup();
	return rc;
}
