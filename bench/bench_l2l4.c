/*
 * bench_l2l4: the worker loop's classify path against dpdk-testpmd io-forwarding,
 * both on net_null vdevs, in one run.
 *
 *   bench_l2l4 [seconds] [frame_bytes]      (defaults: 5 s, 214-byte G.711 RTP frame)
 *
 * The ceiling: dpdk-testpmd io-forwards between net_null0 and net_null1 on one
 * forwarding lcore (RX allocates mbufs, TX frees them, no byte is read). hotline:
 * the real engine (hl_engine_create, the production lcore loop) with one worker on
 * net_null0; every mbuf of the engine's pool is written once
 * with a valid Ethernet/IPv4/UDP frame to a port of the RTP range before the run,
 * so net_null's RX (which does not touch data) hands the worker real frames: each
 * is parsed through Ethernet, IPv4 (header checks and checksum), UDP (length and
 * full checksum over the payload) and the RTP owner check, then counted and freed
 * (no leg exists), all in bursts of 32. The worker's busy cycles give cycles per
 * packet; packets per second are measured on the wall clock of its dedicated lcore.
 * Both programs run their forwarding/worker lcore on CPU 1; the main lcore (CPU 0)
 * only waits (testpmd's prompt; hotline's control loop sleeping when idle).
 * This machine is shared, so both sides are sampled in short windows (testpmd
 * every second, hotline every 250 ms) and the best and median windows are
 * compared: a noisy neighbour can hide speed but cannot invent it.
 */
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_ip.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>

#include "hotline/config.h"
#include "hotline/counters.h"
#include "hotline/engine.h"

static struct hl_engine *eng;
static volatile int sampling = 1;
static double hl_rate[256], hl_cpp[256];
static unsigned int hl_n;

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static double
best_and_median(double *v, unsigned int n, double *median)
{
	if (n == 0) {
		*median = 0;
		return 0;
	}
	qsort(v, n, sizeof(v[0]), cmp_double);
	*median = v[n / 2];
	return v[n - 1];
}

/* Samples the worker lcore's counters every 250 ms: packets/s on the wall clock
 * and busy cycles per packet, per window. */
static void *
sampler(void *arg)
{
	const struct hl_lcore_stats *w = &hl_stats[1];
	uint64_t p0 = w->ctr[HL_CTR_RX_PACKETS], b0 = w->busy_tsc, t0 = rte_rdtsc();
	double hz = (double)rte_get_tsc_hz();
	(void)arg;

	while (sampling) {
		usleep(250 * 1000);
		uint64_t p1 = w->ctr[HL_CTR_RX_PACKETS], b1 = w->busy_tsc, t1 = rte_rdtsc();
		if (p1 > p0 && hl_n < 256) {
			hl_rate[hl_n] = (double)(p1 - p0) * hz / (double)(t1 - t0);
			hl_cpp[hl_n] = (double)(b1 - b0) / (double)(p1 - p0);
			hl_n++;
		}
		p0 = p1;
		b0 = b1;
		t0 = t1;
	}
	return NULL;
}
static uint8_t frame[2048];
static unsigned int frame_len;

static void
on_alarm(int sig)
{
	(void)sig;
	hl_engine_stop(eng);
}

/*
 * Runs testpmd io-forwarding for secs on CPU 1 and reads its forwarded packets/s
 * once a second; returns the best second (and the median in *median).
 */
static double
testpmd_pps(unsigned int secs, unsigned int size, double *median)
{
	char cmd[1024], line[512];
	double rate[64], v, cur = 0;
	unsigned int n = 0, shows = 0;

	snprintf(cmd, sizeof(cmd),
		"(sleep 3; echo start; sleep 1; for i in $(seq %u); do "
		"echo 'show port stats all'; sleep 1; done; "
		"echo 'show port stats all'; echo stop; echo quit) | "
		"dpdk-testpmd -l 0,1 --main-lcore 0 --no-huge -m 512 --no-pci --no-shconf "
		"--file-prefix hlbench-tpmd --vdev net_null0,size=%u --vdev net_null1,size=%u "
		"--log-level='*:error' -- -i --forward-mode=io --total-num-mbufs=16384 "
		"--no-mlockall 2>&1",
		secs, size, size);
	FILE *p = popen(cmd, "r");
	if (p == NULL)
		return 0;
	while (fgets(line, sizeof(line), p) != NULL) {
		if (strstr(line, "NIC statistics for port 0") != NULL) {
			/* a new show: the previous one (ports 0 and 1) is complete */
			if (shows++ > 1 && n < 64)
				rate[n++] = cur;
			cur = 0;
		}
		if (sscanf(line, " Rx-pps: %lf", &v) == 1)
			cur += v;
	}
	pclose(p);
	if (shows > 1 && n < 64)
		rate[n++] = cur;
	return best_and_median(rate, n, median);
}

static void
fill(struct rte_mempool *mp, void *opaque, void *obj, unsigned int idx)
{
	struct rte_mbuf *m = obj;
	(void)mp;
	(void)opaque;
	(void)idx;
	memcpy((uint8_t *)m->buf_addr + RTE_PKTMBUF_HEADROOM, frame, frame_len);
}

static void
build_frame(const struct rte_ether_addr *dst, unsigned int len)
{
	struct rte_ether_hdr *e = (struct rte_ether_hdr *)frame;
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(e + 1);
	struct rte_udp_hdr *u = (struct rte_udp_hdr *)(ip + 1);
	uint8_t *rtp = (uint8_t *)(u + 1);
	unsigned int pl = len - 14 - 20 - 8;

	frame_len = len;
	e->dst_addr = *dst;
	memcpy(e->src_addr.addr_bytes, "\x02\x00\x00\x00\x00\x02", 6);
	e->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
	ip->version_ihl = 0x45;
	ip->total_length = rte_cpu_to_be_16((uint16_t)(20 + 8 + pl));
	ip->time_to_live = 64;
	ip->next_proto_id = IPPROTO_UDP;
	ip->src_addr = rte_cpu_to_be_32(0x0a000002);
	ip->dst_addr = rte_cpu_to_be_32(0x0a000001);
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	u->src_port = rte_cpu_to_be_16(40000);
	u->dst_port = rte_cpu_to_be_16(20000);
	u->dgram_len = rte_cpu_to_be_16((uint16_t)(8 + pl));
	rtp[0] = 0x80;
	for (unsigned int i = 12; i < pl; i++)
		rtp[i] = (uint8_t)(0xd5 ^ i); /* A-law-ish silence with some variation */
	u->dgram_cksum = rte_ipv4_udptcp_cksum(ip, u);
}

int
main(int argc, char **argv)
{
	unsigned int secs = argc > 1 ? (unsigned int)atoi(argv[1]) : 5;
	unsigned int size = argc > 2 ? (unsigned int)atoi(argv[2]) : 214;
	static struct hl_config cfg;
	char conf[512], err[HL_CONFIG_ERR_MAX];

	if (secs == 0 || size < 60 || size > 1514) {
		fprintf(stderr, "usage: bench_l2l4 [seconds] [frame_bytes 60..1514]\n");
		return 2;
	}
	printf("bench_l2l4: %u s per side, %u-byte IPv4/UDP frames to the RTP range\n", secs, size);
	fflush(stdout);
	double tp_med, tp = testpmd_pps(secs, size, &tp_med);

	char *eal[] = {argv[0], "-l", "0,1", "--main-lcore", "0", "--no-huge", "-m", "512",
		"--no-pci", "--no-shconf", "--file-prefix", "hlbench", "--log-level=*:error"};
	if (rte_eal_init(sizeof(eal) / sizeof(eal[0]), eal) < 0) {
		fprintf(stderr, "EAL init failed\n");
		return 1;
	}
	int n = snprintf(conf, sizeof(conf),
		"[engine]\nbusy_poll = on\n[lcores]\ncontrol = 0\nworkers = 1\n"
		"[port bench]\ndevice = net_null0,size=%u\nipv4 = 10.0.0.1/24\n"
		"[limits]\nmbufs = 16383\n", size);
	if (hl_config_parse(&cfg, "bench.conf", conf, (size_t)n, err, sizeof(err)) != 0 ||
		(eng = hl_engine_create(&cfg, err, sizeof(err))) == NULL) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	struct rte_ether_addr mac;
	rte_eth_macaddr_get(hl_engine_port_id(eng, 0), &mac);
	build_frame(&mac, size);
	struct rte_mempool *mp = rte_mempool_lookup("hl_mbuf_s0");
	if (mp == NULL) {
		fprintf(stderr, "engine pool not found\n");
		return 1;
	}
	rte_mempool_obj_iter(mp, fill, NULL);

	/* The worker has lcore 1 (CPU 1), as testpmd's forwarding lcore. It never
	 * idles, so it never backs off; control on the main lcore does, and a sampler
	 * thread reads the counters. */
	pthread_t th;
	signal(SIGALRM, on_alarm);
	alarm(secs + 1);
	pthread_create(&th, NULL, sampler, NULL);
	hl_engine_run(eng);
	sampling = 0;
	pthread_join(th, NULL);

	struct hl_lcore_stats s;
	hl_stats_sum(&s);
	const struct hl_lcore_stats *w = &hl_stats[1];
	double hz = (double)rte_get_tsc_hz();
	uint64_t pkts = w->ctr[HL_CTR_RX_PACKETS];
	uint64_t other = hl_stats_drops_total(&s) - s.drop[HL_DROP_RTP_NO_LEG];
	double cpp_med, hl_med, cpp_best;
	/* the first window includes start-up */
	double hl_best = best_and_median(hl_rate + 1, hl_n > 1 ? hl_n - 1 : 0, &hl_med);
	(void)best_and_median(hl_cpp + 1, hl_n > 1 ? hl_n - 1 : 0, &cpp_med);
	cpp_best = hl_cpp[1]; /* sorted ascending: the cheapest window */

	printf("\n%-34s %9s %9s %9s %11s %11s\n", "path (one core, CPU 1)", "best Mpps",
		"median", "ns/pkt", "cycles/pkt", "vs testpmd");
	printf("%-34s %9.2f %9.2f %9.1f %11s %10.0f%%\n", "dpdk-testpmd io-fwd (ceiling)",
		tp / 1e6, tp_med / 1e6, tp > 0 ? 1e9 / tp : 0, "", 100.0);
	printf("%-34s %9.2f %9.2f %9.1f %11.1f %10.0f%%\n", "hotline worker: L2-L4 classify",
		hl_best / 1e6, hl_med / 1e6, hl_best > 0 ? 1e9 / hl_best : 0, cpp_best,
		tp > 0 ? 100.0 * hl_best / tp : 0);
	printf("(best and median of 1 s testpmd windows and 250 ms hotline windows; median "
	       "ratio %.0f%%)\n", tp_med > 0 ? 100.0 * hl_med / tp_med : 0);
	printf("\nhotline: %" PRIu64 " frames, %" PRIu64 " classified RTP (udp_rtp), "
	       "%" PRIu64 " other drops, median %.1f cycles/pkt, TSC %.2f GHz\n",
		pkts, s.ctr[HL_CTR_UDP_RTP], other, cpp_med, hz / 1e9);
	int rc = 0;
	if (s.ctr[HL_CTR_UDP_RTP] != pkts || other != 0) {
		fprintf(stderr, "bench_l2l4: frames were not all classified as RTP\n");
		rc = 1;
	}
	hl_engine_free(eng);
	rte_eal_cleanup();
	return rc;
}
