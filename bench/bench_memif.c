/*
 * bench_memif: hotline's RTP relay against dpdk-testpmd io-forwarding over net_memif in
 * copy mode, where every packet's bytes are copied into and out of shared memory on
 * each side, so the ceiling moves bytes (on net_ring testpmd only passes pointers).
 *
 *   bench_memif [seconds] [streams list]     (defaults: 3 s, "1000,10000"; ~30-60 s)
 *
 * One invocation, three processes at a time. This one is the generator on CPU 0: EAL on
 * lcore 0 with four net_memif ports in the server role on one unix socket (ids 0-3) in a
 * mktemp directory. For every stream count it starts, in turn, each system under test
 * as a child pinned to CPU 1 (every thread, control included) with the four matching
 * memif ports in the client role (zero-copy=no; the client owns the shared memory):
 *
 *  - dpdk-testpmd --forward-mode=io --record-core-cycles, one forwarding lcore: what
 *    comes in on port 0 leaves on port 1 and vice versa (2 <-> 3), unchanged;
 *  - this program again in its --sut role: hotline's real engine (hl_engine_create,
 *    one worker on lcore 1 running hl_worker_poll) on the four memif ports, with the
 *    same legs as bench_relay made through hl_media_set (calls of two on one port, so
 *    what a remote sends to leg A leaves leg B for B's remote), plain RTP.
 *
 * The frames are bench_relay's (bench_relay.h): G.711 20 ms RTP, 214 bytes, round robin
 * over all N streams, a fixed number in flight (HL_MEMIF_WINDOW, default 2048; memif
 * rings are 1024 slots a port), each returned frame rewritten into the next stream's
 * input. Every frame that comes back is checked, so a broken relay cannot look fast:
 * from hotline, that it left from the right leg's local port to that leg's remote with
 * the leg's SSRC and length (and on the first 16 legs the IPv4 and UDP checksums and the
 * payload); from testpmd, that it is the input frame for a leg of the paired port byte
 * for byte in its headers (Ethernet, IPv4, UDP, SSRC; payload on the first 16 legs).
 * hotline drops each stream's first packet (RFC 3550 probation); the generator expects
 * exactly those, and a window that stalls for 100 ms counts what is missing as lost.
 *
 * Figures: packets per second of correct frames back at the generator in 250 ms windows
 * (best and median), the same for both systems; cycles per packet of the system under
 * test on CPU 1: hotline's worker busy cycles (loop turns that did work) per relayed
 * packet, median window, and testpmd's --record-core-cycles (cycles of non-empty bursts)
 * per packet over the measured span; and each one's busy share of CPU 1. When the busy
 * share is well under 100% the generator (memif copies on CPU 0 for both directions) is
 * the limit and the wall rates say little; capacity = TSC Hz / cycles per packet is then
 * the comparable figure, and the verdict (hotline >= 50% of testpmd io over memif) uses
 * it, with the wall-rate ratio printed beside it.
 *
 * Knobs: HL_MEMIF_TESTPMD (default dpdk-testpmd), HL_MEMIF_WINDOW, HL_BENCH_HUGE (see
 * bench_hugepages() in bench_relay.h; echo 1200 >/proc/sys/vm/nr_hugepages first),
 * HL_MEMIF_VERBOSE=1
 * (the children's output on stderr). Internal: --sut SOCK N
 * SECS is the hotline role, driven over its stdin/stdout by the generator.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>

#include "hotline/common.h"
#include "hotline/config.h"
#include "hotline/counters.h"
#include "hotline/engine.h"
#include "hotline/media.h"

#include "bench_relay.h"

#define MEMIF_SLOTS 1024 /* rsize=10 (the default) */
#define GEN_MBUFS   16383
#define STALL_MS    100
#define BACKLOG	    4096 /* frames a port may have waiting for memif room */
#define MAX_RUNS    8
#define TAIL_LINES  40

static double hz;
static uint8_t pattern[PAYLOAD];
static uint64_t pattern_sum; /* hl_csum_partial() of it */
static int verbose; /* HL_MEMIF_VERBOSE=1: every line of the children on stderr */

/* The system under test's memif MACs (devargs), the frames' destination. */
static inline void
sut_mac(unsigned int pi, struct rte_ether_addr *m)
{
	const struct rte_ether_addr a = {{0x02, 0x00, 0x5e, 0x20, 0x00, (uint8_t)pi}};
	*m = a;
}

/* --vdev arguments of memif port pi on socket sock. */
static void
memif_vdev(char *out, size_t size, unsigned int pi, int server, const char *sock)
{
	snprintf(out, size,
		"net_memif%u,role=%s,id=%u,socket=%s,socket-abstract=no,zero-copy=no,"
		"mac=02:00:5e:%s:00:%02x",
		pi, server ? "server" : "client", pi, sock, server ? "30" : "20", pi);
}

/* Generator and one system under test at a time: 512 + 1024 MB (bench_hugepages()). */
#define HUGE_MB 1600

/*
 * Appends the EAL arguments every process here shares: hugepages or not (mem_mb of
 * heap either way), no PCI, no shared config, its own file prefix, errors only, and
 * the four memif ports on sock (vdev holds their strings). Returns the new argument
 * count.
 */
static int
eal_args(char **a, int na, const char *mem_mb, const char *prefix, int server,
	const char *sock, char vdev[NPORTS][256])
{
	/* --in-memory: hugepages without a hugetlbfs mount or files (memfd). */
	a[na++] = bench_hugepages(HUGE_MB) ? "--in-memory" : "--no-huge";
	a[na++] = "-m";
	a[na++] = (char *)(uintptr_t)mem_mb;
	a[na++] = "--no-pci";
	a[na++] = "--no-shconf";
	a[na++] = "--file-prefix";
	a[na++] = (char *)(uintptr_t)prefix;
	a[na++] = "--log-level=*:error";
	for (unsigned int pi = 0; pi < NPORTS; pi++) {
		memif_vdev(vdev[pi], 256, pi, server, sock);
		a[na++] = "--vdev";
		a[na++] = vdev[pi];
	}
	return na;
}

/* ---- the hotline role (child, CPU 1) ---------------------------------------------- */

static volatile int sut_run = 1;

static int
sut_worker(void *arg)
{
	struct hl_worker *w = arg;
	struct hl_lcore_stats *st = &hl_stats[rte_lcore_id()];
	uint64_t t0 = rte_rdtsc();

	while (__atomic_load_n(&sut_run, __ATOMIC_RELAXED))
		turn_account(st, hl_worker_poll(w), &t0);
	hl_worker_flush(w);
	return 0;
}

/* Waits until at most below commands are outstanding; the worker shares this CPU. */
static void
sut_wait(struct hl_engine *eng, const struct hl_media_sink *sink, uint64_t below)
{
	while (hl_media_pending(eng) > below)
		if (hl_media_poll(eng, sink) == 0)
			sched_yield();
}

static void
sleep_until(uint64_t tsc)
{
	uint64_t now = rte_rdtsc();

	if (tsc > now) {
		double s = (double)(tsc - now) / hz;
		struct timespec ts = {(time_t)s, (long)((s - (double)(time_t)s) * 1e9)};
		nanosleep(&ts, NULL);
	}
	while (rte_rdtsc() < tsc)
		;
}

/*
 * Speaks lines on stdout: "up", "neigh K", "ready N", then after "go" on stdin the
 * worker's windows over secs ("win ..."), after "end" its drops since the legs were
 * made, the legs' final statistics and "done".
 */
static int
sut_main(const char *prog, const char *sock, uint32_t n, unsigned int secs)
{
	static struct hl_config cfg;
	static char vdev[NPORTS][256], names[NPORTS][16];
	char conf[2048], err[HL_CONFIG_ERR_MAX], prefix[64], line[64];
	const char *dev[NPORTS];
	char *eal[32];
	int na = 0;

	snprintf(prefix, sizeof(prefix), "hlmemif-sut-%d", (int)getpid());
	eal[na++] = (char *)(uintptr_t)prog;
	eal[na++] = "--lcores";
	eal[na++] = "0@1,1@1";
	eal[na++] = "--main-lcore";
	eal[na++] = "0";
	na = eal_args(eal, na, "1024", prefix, 0, sock, vdev);
	for (unsigned int pi = 0; pi < NPORTS; pi++) {
		snprintf(names[pi], sizeof(names[pi]), "net_memif%u", pi);
		dev[pi] = names[pi];
	}
	if (rte_eal_init(na, eal) < 0) {
		printf("fail EAL init\n");
		return 1;
	}
	hz = (double)rte_get_tsc_hz();
	int len = engine_conf(conf, sizeof(conf), dev);
	struct hl_engine *eng = NULL;
	if (len < 0 ||
		hl_config_parse(&cfg, "bench_memif.conf", conf, (size_t)len, err, sizeof(err)) !=
			0 ||
		(eng = hl_engine_create(&cfg, err, sizeof(err))) == NULL) {
		printf("fail %s\n", len < 0 ? "config too long" : err);
		return 1;
	}
	if (rte_eal_remote_launch(sut_worker, hl_engine_worker(eng, 0), WORKER_LCORE) != 0) {
		printf("fail worker launch\n");
		return 1;
	}

	int rc = 1;
	uint64_t dl = rte_rdtsc() + (uint64_t)(10 * hz);
	unsigned int up = 0;
	while (up < NPORTS && rte_rdtsc() < dl) {
		struct rte_eth_link l;

		usleep(10000);
		up = 0;
		for (unsigned int pi = 0; pi < NPORTS; pi++)
			up += rte_eth_link_get_nowait(hl_engine_port_id(eng, pi), &l) == 0 &&
			      l.link_status == RTE_ETH_LINK_UP;
	}
	if (up < NPORTS) {
		printf("fail %u of %u memif links up\n", up, NPORTS);
		goto out;
	}
	printf("up\n");
	fflush(stdout);

	struct hl_lcore_stats s;
	dl = rte_rdtsc() + (uint64_t)(5 * hz);
	do {
		usleep(1000);
		hl_stats_sum(&s);
	} while (s.ctr[HL_CTR_NEIGH_LEARNED] < NPORTS * NHOSTS && rte_rdtsc() < dl);
	printf("neigh %" PRIu64 "\n", s.ctr[HL_CTR_NEIGH_LEARNED]);
	fflush(stdout);

	uint64_t t0 = rte_rdtsc();
	for (uint32_t l = 0; l < n; l++) {
		struct hl_media_leg leg;
		int r;

		leg_fill(&leg, l);
		sut_wait(eng, NULL, 511);
		r = hl_media_set(eng, &leg);
		if (r != 0) {
			printf("fail hl_media_set(leg %u): %d\n", l, r);
			goto out;
		}
	}
	sut_wait(eng, NULL, 0);
	uint64_t d0[HL_DROP_MAX];
	memcpy(d0, hl_stats[WORKER_LCORE].drop, sizeof(d0));
	printf("ready %u %.2f %" PRIu64 "\n", n, (double)(rte_rdtsc() - t0) / hz,
		hl_media_legs(eng));
	fflush(stdout);

	if (fgets(line, sizeof(line), stdin) == NULL || strncmp(line, "go", 2) != 0)
		goto out;
	static struct wins w;
	struct snap a, b, first;
	uint64_t win = (uint64_t)(hz * WIN_MS / 1000);
	take(&a);
	first = a;
	for (unsigned int i = 0; i < secs * 1000 / WIN_MS; i++) {
		sleep_until(a.tsc + win);
		take(&b);
		wins_add(&w, &a, &b, hz);
		a = b;
	}
	double mb, mm, cb, cm, bm;
	uint64_t rel = b.relayed - first.relayed;
	wins_sum(&w, &mb, &mm, &cb, &cm, &bm);
	printf("win %u %.4f %.4f %.1f %.1f %.4f %.1f %" PRIu64 "\n", w.n, mb, mm, cb, cm, bm,
		rel ? (double)(b.busy - first.busy) / (double)rel : 0, rel);
	fflush(stdout);

	if (fgets(line, sizeof(line), stdin) == NULL || strncmp(line, "end", 3) != 0)
		goto out;
	for (unsigned int i = 0; i < HL_DROP_MAX; i++) {
		uint64_t d = hl_stats[WORKER_LCORE].drop[i] - d0[i];
		if (d != 0)
			printf("drop %s %" PRIu64 "\n", hl_drop_name(i), d);
	}
	struct final_sum fs = {0};
	struct hl_media_sink sink = {.final = on_final, .ctx = &fs};
	for (uint32_t l = 0; l < n; l++) {
		struct geo q;

		leg_geo(l, &q);
		sut_wait(eng, &sink, 511);
		if (hl_media_del(eng, (uint8_t)q.pi, q.lport) != 0) {
			printf("fail hl_media_del(leg %u)\n", l);
			goto out;
		}
	}
	sut_wait(eng, &sink, 0);
	printf("final %" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRIu64 "\n", fs.legs,
		fs.latched, fs.rx, fs.tx, fs.wrong_source + fs.ssrc_changes);
	rc = 0;
out:
	__atomic_store_n(&sut_run, 0, __ATOMIC_RELAXED);
	rte_eal_mp_wait_lcore();
	hl_engine_free(eng);
	rte_eal_cleanup();
	printf("done %d\n", rc);
	fflush(stdout);
	return rc;
}

/* ---- children ------------------------------------------------------------------------ */

struct child {
	pid_t pid;
	int in, out; /* its stdin; its stdout + stderr, non-blocking */
	int eof;
	size_t len;
	char buf[65536];
	unsigned int ntail;
	char tail[TAIL_LINES][200]; /* its last lines, for a failure's report */
};

/* Starts argv[0] (PATH) pinned to CPU 1, stdin and stdout on pipes. 0 or -1. */
static int
spawn(struct child *c, char *const argv[])
{
	int pin[2], pout[2];

	memset(c, 0, sizeof(*c));
	c->pid = -1;
	if (pipe(pin) != 0)
		return -1;
	if (pipe(pout) != 0) {
		close(pin[0]);
		close(pin[1]);
		return -1;
	}
	fflush(NULL);
	c->pid = fork();
	if (c->pid == 0) {
		cpu_set_t cpus;
		long maxfd = sysconf(_SC_OPEN_MAX);

		CPU_ZERO(&cpus);
		CPU_SET(WORKER_LCORE, &cpus);
		sched_setaffinity(0, sizeof(cpus), &cpus);
		dup2(pin[0], 0);
		dup2(pout[1], 1);
		dup2(pout[1], 2);
		/* nothing of the generator's (memif sockets, eventfds) reaches the child */
		for (long fd = 3; fd < (maxfd > 0 && maxfd < 65536 ? maxfd : 65536); fd++)
			close((int)fd);
		execvp(argv[0], argv);
		_exit(127);
	}
	close(pin[0]);
	close(pout[1]);
	if (c->pid < 0) {
		close(pin[1]);
		close(pout[0]);
		return -1;
	}
	c->in = pin[1];
	c->out = pout[0];
	fcntl(c->out, F_SETFL, fcntl(c->out, F_GETFL) | O_NONBLOCK);
	return 0;
}

static void
child_say(struct child *c, const char *s)
{
	ssize_t r = write(c->in, s, strlen(s));
	(void)r;
}

/* One complete line of the child's output into line, if there is one: 1, else 0. */
static int
child_line(struct child *c, char *line, size_t size)
{
	for (;;) {
		char *nl = memchr(c->buf, '\n', c->len);

		if (nl != NULL) {
			size_t l = (size_t)(nl - c->buf);
			size_t k = l < size - 1 ? l : size - 1;

			memcpy(line, c->buf, k);
			line[k] = '\0';
			/* testpmd's prompt has no newline of its own */
			while (strncmp(line, "testpmd> ", 9) == 0)
				memmove(line, line + 9, strlen(line + 9) + 1);
			memmove(c->buf, nl + 1, c->len - l - 1);
			c->len -= l + 1;
			snprintf(c->tail[c->ntail++ % TAIL_LINES], sizeof(c->tail[0]), "%s", line);
			if (verbose)
				fprintf(stderr, "  | %s\n", line);
			return 1;
		}
		if (c->eof)
			return 0;
		if (c->len == sizeof(c->buf))
			c->len = 0; /* a line longer than the buffer: dropped */
		ssize_t r = read(c->out, c->buf + c->len, sizeof(c->buf) - c->len);
		if (r == 0)
			c->eof = 1;
		if (r <= 0)
			return 0;
		c->len += (size_t)r;
	}
}

static void
child_tail(const struct child *c, const char *who)
{
	unsigned int k = c->ntail > TAIL_LINES ? c->ntail - TAIL_LINES : 0;

	fprintf(stderr, "bench_memif: %s's last lines:\n", who);
	for (; k < c->ntail; k++)
		fprintf(stderr, "  | %s\n", c->tail[k % TAIL_LINES]);
}

/* Closes its stdin, reads what is left for up to secs, then kills it by PID if it has
 * not exited. Its exit status, or -1 when it had to be killed. */
static int
child_reap(struct child *c, double secs, void (*line_fn)(void *, const char *), void *ctx)
{
	char line[512];
	uint64_t dl = rte_rdtsc() + (uint64_t)(secs * hz);
	int st = 0, rc = -1;

	if (c->pid <= 0)
		return -1;
	close(c->in);
	for (;;) {
		while (child_line(c, line, sizeof(line)))
			if (line_fn != NULL)
				line_fn(ctx, line);
		pid_t p = waitpid(c->pid, &st, WNOHANG);
		if (p == c->pid) {
			rc = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
			break;
		}
		if (rte_rdtsc() > dl) {
			kill(c->pid, SIGKILL);
			waitpid(c->pid, &st, 0);
			break;
		}
		usleep(2000);
	}
	while (child_line(c, line, sizeof(line)))
		if (line_fn != NULL)
			line_fn(ctx, line);
	close(c->out);
	c->pid = -1;
	return rc;
}

/* ---- the generator (CPU 0) ------------------------------------------------------------- */

static uint16_t gport[NPORTS];
static struct rte_mempool *gpool;
static uint8_t tmpl[NPORTS][NHOSTS][34];

struct mstream {
	uint32_t ts;
	uint16_t seq;
	uint8_t sent;
	uint8_t pad_;
};

struct gen {
	uint32_t n;
	int tpmd;	  /* testpmd io-forward: frames come back unchanged on the paired port */
	int recycle;	  /* 0: drain (free what comes back) */
	unsigned int win; /* packets in flight */
	struct mstream *s;
	uint32_t *out_cnt; /* correct frames back per leg */
	uint32_t cursor, passes;
	uint64_t injected, back, good, expect_drop, lost, stalls;
	uint64_t rtcp, arp, other, bad, tx_full, overflow, verify_ok, verify_fail;
	uint64_t last_back;
	uint32_t head[NPORTS], tail[NPORTS]; /* backlog[pi][head..tail) not yet taken by memif */
	struct rte_mbuf *backlog[NPORTS][BACKLOG];
};

static inline uint32_t
backlog_total(const struct gen *g)
{
	uint32_t n = 0;

	for (unsigned int pi = 0; pi < NPORTS; pi++)
		n += g->tail[pi] - g->head[pi];
	return n;
}

/* Hands port pi's backlog to memif until its ring is full. A frame is never dropped for
 * a full ring: that would leave a gap in its stream's sequence numbers, and RFC 3550
 * probation would start over. */
static void
flush_tx(struct gen *g, unsigned int pi)
{
	while (g->head[pi] != g->tail[pi]) {
		uint32_t h = g->head[pi] & (BACKLOG - 1), n = g->tail[pi] - g->head[pi], k;

		if (n > BACKLOG - h)
			n = BACKLOG - h;
		if (n > GBURST)
			n = GBURST;
		k = rte_eth_tx_burst(gport[pi], 0, &g->backlog[pi][h], (uint16_t)n);
		g->head[pi] += k;
		if (k < n) {
			g->tx_full++;
			break;
		}
	}
}
static void
flush_all(struct gen *g)
{
	for (unsigned int pi = 0; pi < NPORTS; pi++)
		flush_tx(g, pi);
}

/* Rewrites m into the next input frame of stream leg; queues it for its port. */
static inline void
build(struct gen *g, struct rte_mbuf *m, uint32_t leg)
{
	struct mstream *s = &g->s[leg];
	struct geo q;

	leg_geo(leg, &q);
	m->data_off = RTE_PKTMBUF_HEADROOM;
	frame_hdrs(rte_pktmbuf_mtod(m, uint8_t *), tmpl[q.pi][q.host], &q, RTP_LEN, s->seq, s->ts,
		remote_ssrc(leg));
	frame_udp_csum(rte_pktmbuf_mtod(m, uint8_t *), RTP_LEN, pattern_sum);
	if (!s->sent) {
		s->sent = 1;
		g->expect_drop += !g->tpmd; /* RFC 3550 probation: hotline drops the first */
	}
	s->seq++;
	s->ts += PAYLOAD;
	m->data_len = HDRS + RTP_LEN;
	m->pkt_len = m->data_len;
	m->ol_flags = 0;
	m->nb_segs = 1;
	m->next = NULL;
	g->injected++;
	if (unlikely(g->tail[q.pi] - g->head[q.pi] == BACKLOG)) {
		g->overflow++;
		g->injected--;
		rte_pktmbuf_free(m);
		return;
	}
	g->backlog[q.pi][g->tail[q.pi]++ & (BACKLOG - 1)] = m;
	if (g->tail[q.pi] - g->head[q.pi] >= GBURST)
		flush_tx(g, q.pi);
}

static inline uint32_t
next_leg(struct gen *g)
{
	return rr_next(&g->cursor, g->n, &g->passes);
}

/* testpmd io-forward: a frame back on port pi is the input frame of a leg of port pi^1,
 * its headers as built. The leg, or UINT32_MAX. */
static inline uint32_t
bounced_leg(unsigned int pi, const uint8_t *p, uint16_t len, uint32_t n)
{
	unsigned int in = pi ^ 1;
	uint16_t lport = hl_rd16(p + 36);
	uint32_t leg = leg_of(in, lport);
	struct geo q;

	if (unlikely(lport < RTP_MIN || leg >= n))
		return UINT32_MAX;
	leg_geo(leg, &q);
	if (unlikely(len != HDRS + RTP_LEN || memcmp(p, tmpl[in][q.host], 34) != 0 ||
		     hl_rd16(p + 34) != q.rport || hl_rd16(p + 38) != 8 + RTP_LEN ||
		     hl_rd16(p + 40) == 0 || hl_rd32(p + HDRS + 8) != remote_ssrc(leg)))
		return UINT32_MAX;
	return leg;
}

static inline void
check(struct gen *g, unsigned int pi, const uint8_t *p, uint16_t len)
{
	uint32_t leg = g->tpmd ? bounced_leg(pi, p, len, g->n)
			       : relayed_leg(pi, p, len, g->n, HDRS + RTP_LEN);

	if (unlikely(leg == UINT32_MAX)) {
		g->bad++;
		return;
	}
	g->good++;
	g->out_cnt[leg]++;
	if (unlikely(leg < VERIFY_LEGS)) {
		if (sums_ok(p) && memcmp(p + HDRS + 12, pattern, PAYLOAD) == 0)
			g->verify_ok++;
		else
			g->verify_fail++;
	}
}

/* One pass over every port's RX (g NULL: between runs, everything is freed). */
static void
service(struct gen *g)
{
	struct rte_mbuf *pk[GBURST], *fr[GBURST * NPORTS];
	unsigned int nf = 0;

	for (unsigned int pi = 0; pi < NPORTS; pi++) {
		uint16_t n = rte_eth_rx_burst(gport[pi], 0, pk, GBURST);

		for (uint16_t i = 0; i < n; i++) {
			struct rte_mbuf *m = pk[i];
			uint8_t *p = rte_pktmbuf_mtod(m, uint8_t *);
			uint16_t et = hl_rd16(p + 12), len = rte_pktmbuf_data_len(m);

			if (i + 1 < n)
				rte_prefetch0(rte_pktmbuf_mtod(pk[i + 1], void *));
			if (likely(et == RTE_ETHER_TYPE_IPV4 && p[23] == IPPROTO_UDP)) {
				if (likely((hl_rd16(p + 36) & 1) == 0) && g != NULL) {
					g->back++;
					check(g, pi, p, len);
					if (g->recycle) {
						build(g, m, next_leg(g));
						continue;
					}
				} else if (g != NULL) {
					g->rtcp++;
				}
			} else if (et == RTE_ETHER_TYPE_ARP) {
				if (g != NULL)
					g->arp++;
				if (arp_reply(pi, p, len) &&
					rte_eth_tx_burst(gport[pi], 0, &m, 1) == 1)
					continue;
			} else if (g != NULL) {
				g->other++;
			}
			fr[nf++] = m;
		}
		if (n && g != NULL)
			g->last_back = rte_rdtsc();
	}
	if (nf)
		rte_pktmbuf_free_bulk(fr, nf);
}

static inline int64_t
inflight(const struct gen *g)
{
	return (int64_t)(g->injected - g->back - g->expect_drop - g->lost);
}

static void
top_up(struct gen *g)
{
	struct rte_mbuf *ms[GBURST];
	int64_t f = inflight(g);

	/* frames lost on the way (none expected): after a stall, count them and go on */
	if (f > 0 && rte_rdtsc() - g->last_back > (uint64_t)(hz * STALL_MS / 1000)) {
		g->lost += (uint64_t)f;
		g->stalls++;
		g->last_back = rte_rdtsc();
		f = 0;
	}
	/* each stream's first frame is not in flight for long (probation drops it): the
	 * backlog paces the first pass to what the system under test takes */
	while (f < (int64_t)g->win && backlog_total(g) < 4 * GBURST) {
		int64_t room = (int64_t)g->win - f;
		unsigned int k = room < GBURST ? (unsigned int)room : GBURST;

		if (fresh_frames(gpool, ms, k, pattern) != 0)
			break;
		for (unsigned int i = 0; i < k; i++)
			build(g, ms[i], next_leg(g));
		f += k;
	}
}

/* Generator windows: correct frames back per second. */
struct gwins {
	unsigned int n;
	double rate[MAX_WIN];
};

/* Runs for at least dur TSC and min_passes passes, at most max_dur; windows when w. */
static void
gen_run(struct gen *g, uint64_t dur, uint32_t min_passes, uint64_t max_dur, struct gwins *w)
{
	uint64_t t0 = rte_rdtsc(), end = t0 + dur, hard = t0 + max_dur;
	uint64_t win = (uint64_t)(hz * WIN_MS / 1000), next = t0 + win, ta = t0, ga = g->good;

	g->last_back = t0;
	for (;;) {
		service(g);
		if (g->recycle)
			top_up(g);
		flush_all(g);
		uint64_t now = rte_rdtsc();
		if (w != NULL && now >= next) {
			if (w->n < MAX_WIN)
				w->rate[w->n++] = (double)(g->good - ga) * hz / (double)(now - ta);
			ga = g->good;
			ta = now;
			next += win;
		}
		if (now >= hard || (now >= end && g->passes >= min_passes))
			break;
	}
}

/* Serves the ports until the child says a line starting with want (copied to line): 0;
 * -1 on "fail", exit or timeout. */
static int
wait_line(struct child *c, const char *want, char *line, size_t size, double secs)
{
	uint64_t dl = rte_rdtsc() + (uint64_t)(secs * hz);

	while (rte_rdtsc() < dl) {
		service(NULL);
		while (child_line(c, line, size)) {
			if (strncmp(line, want, strlen(want)) == 0)
				return 0;
			if (strncmp(line, "fail", 4) == 0)
				return -1;
		}
		if (c->eof)
			return -1;
		usleep(100);
	}
	return -1;
}

static int
links_up(double secs)
{
	uint64_t dl = rte_rdtsc() + (uint64_t)(secs * hz);
	unsigned int up;

	do {
		struct rte_eth_link l;

		service(NULL);
		up = 0;
		for (unsigned int pi = 0; pi < NPORTS; pi++)
			up += rte_eth_link_get_nowait(gport[pi], &l) == 0 &&
			      l.link_status == RTE_ETH_LINK_UP;
		if (up < NPORTS)
			usleep(1000);
	} while (up < NPORTS && rte_rdtsc() < dl);
	return up == NPORTS ? 0 : -1;
}

/* ---- one measurement --------------------------------------------------------------------- */

struct run {
	int tpmd;
	uint32_t n;
	int ok, done;
	double mpps_best, mpps_med; /* generator windows */
	double cpp, cpp_best, busy; /* system under test on CPU 1 */
	double sut_mpps_med;	    /* hotline's own relayed rate, median window */
	char notes[1024];
};

static void note(struct run *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
note(struct run *r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	notes_vadd(r->notes, sizeof(r->notes), fmt, ap);
	va_end(ap);
}

/* testpmd's forward statistics: the first "CPU cycles/packet" after our "show". */
struct tpmd_out {
	struct run *r;
	uint64_t span; /* TSC of the measured span */
	int seen;
	uint64_t txdrop, rxdrop;
	int acc; /* inside the first accumulated block */
};

static void
tpmd_line(void *ctx, const char *line)
{
	struct tpmd_out *t = ctx;
	double cpp;
	uint64_t cyc, pk, a, b, c;

	if (!t->seen && sscanf(line,
				" CPU cycles/packet=%lf (total cycles=%" SCNu64
				" / total %*s packets=%" SCNu64 ")",
				&cpp, &cyc, &pk) == 3) {
		t->seen = 1;
		t->r->cpp = cpp;
		t->r->busy = t->span ? (double)cyc / (double)t->span : 0;
	}
	if (strstr(line, "Accumulated forward statistics") != NULL)
		t->acc++;
	if (t->acc == 1 &&
		sscanf(line, " RX-packets: %" SCNu64 " RX-dropped: %" SCNu64 " RX-total: %" SCNu64,
			&a, &b, &c) == 3)
		t->rxdrop = b;
	if (t->acc == 1 &&
		sscanf(line, " TX-packets: %" SCNu64 " TX-dropped: %" SCNu64 " TX-total: %" SCNu64,
			&a, &b, &c) == 3)
		t->txdrop = b;
}

/* hotline's report after "end". */
struct sut_out {
	struct run *r;
	uint32_t n;
	int final, done;
};

static void
sut_line(void *ctx, const char *line)
{
	struct sut_out *s = ctx;
	char name[64];
	uint64_t v, legs, latched, rx, tx, odd;

	if (sscanf(line, "drop %63s %" SCNu64, name, &v) == 2) {
		if (strcmp(name, hl_drop_name(HL_DROP_RTP_PROBATION)) == 0 && v == s->n) {
			note(s->r, "%s %" PRIu64 " (1 per stream, expected); ", name, v);
		} else {
			note(s->r, "DROP %s %" PRIu64 "; ", name, v);
			s->r->ok = 0;
		}
	} else if (sscanf(line, "final %" SCNu64 " %" SCNu64 " %" SCNu64 " %" SCNu64 " %" SCNu64,
			   &legs, &latched, &rx, &tx, &odd) == 5) {
		s->final = 1;
		note(s->r,
			"legs' final stats: %" PRIu64 " legs, %" PRIu64 " latched, rx %" PRIu64
			" tx %" PRIu64 "; ",
			legs, latched, rx, tx);
		if (legs != s->n || latched != s->n || odd != 0) {
			note(s->r, "FINAL STATS WRONG (wrong source / SSRC changes %" PRIu64 "); ",
				odd);
			s->r->ok = 0;
		}
	} else if (strncmp(line, "done 0", 6) == 0) {
		s->done = 1;
	} else if (strncmp(line, "fail", 4) == 0) {
		note(s->r, "%s; ", line);
		s->r->ok = 0;
	}
}

static int
measure(struct run *r, int tpmd, uint32_t n, unsigned int secs, unsigned int window,
	const char *sock, const char *self)
{
	static struct gen g;
	static struct gwins w;
	struct child c;
	char line[512], nbuf[16], sbuf[16], prefix[64], vdev[NPORTS][256];
	char *argv[48];
	int na = 0, rc = -1;

	memset(r, 0, sizeof(*r));
	memset(&g, 0, sizeof(g));
	memset(&w, 0, sizeof(w));
	r->tpmd = tpmd;
	r->n = n;
	r->ok = 1;
	g.n = n;
	g.tpmd = tpmd;
	g.win = window;
	g.s = calloc(n, sizeof(*g.s));
	g.out_cnt = calloc(n, sizeof(*g.out_cnt));
	if (g.s == NULL || g.out_cnt == NULL)
		goto out;
	for (uint32_t l = 0; l < n; l++) {
		g.s[l].seq = (uint16_t)(l * 7919u);
		g.s[l].ts = l * 1000u;
	}
	snprintf(nbuf, sizeof(nbuf), "%u", n);
	snprintf(sbuf, sizeof(sbuf), "%u", secs);
	if (tpmd) {
		const char *tp = getenv("HL_MEMIF_TESTPMD");

		snprintf(prefix, sizeof(prefix), "hlmemif-tpmd-%d", (int)getpid());
		/* line-buffered: its answers are read while it runs */
		argv[na++] = "stdbuf";
		argv[na++] = "-oL";
		argv[na++] = (char *)(uintptr_t)(tp != NULL ? tp : "dpdk-testpmd");
		argv[na++] = "--lcores";
		argv[na++] = "0@1,1@1";
		argv[na++] = "--main-lcore";
		argv[na++] = "0";
		na = eal_args(argv, na, "512", prefix, 0, sock, vdev);
		argv[na++] = "--";
		argv[na++] = "-i";
		argv[na++] = "--forward-mode=io";
		argv[na++] = "--record-core-cycles";
		argv[na++] = "--nb-cores=1";
		argv[na++] = "--total-num-mbufs=32768";
		argv[na++] = "--no-mlockall";
	} else {
		argv[na++] = (char *)(uintptr_t)self;
		argv[na++] = "--sut";
		argv[na++] = (char *)(uintptr_t)sock;
		argv[na++] = nbuf;
		argv[na++] = sbuf;
	}
	argv[na] = NULL;
	printf("  %-22s %6u streams: ", tpmd ? "dpdk-testpmd io-fwd" : "hotline relay (plain)", n);
	fflush(stdout);
	if (spawn(&c, argv) != 0) {
		note(r, "cannot start %s; ", argv[0]);
		goto out;
	}
	uint64_t t0 = rte_rdtsc();
	if (tpmd) {
		child_say(&c, "start\n");
		if (links_up(15) != 0) {
			note(r, "testpmd's memif ports did not come up; ");
			goto fail;
		}
		if (wait_line(&c, "io packet forwarding", line, sizeof(line), 10) != 0) {
			note(r, "testpmd did not start forwarding; ");
			goto fail;
		}
		printf("up in %.2f s", (double)(rte_rdtsc() - t0) / hz);
	} else {
		if (links_up(20) != 0 || wait_line(&c, "up", line, sizeof(line), 5) != 0) {
			note(r, "hotline's memif ports did not come up; ");
			goto fail;
		}
		/* its neighbours, from ARP requests of every host */
		for (unsigned int pi = 0; pi < NPORTS; pi++)
			for (unsigned int h = 0; h < NHOSTS; h++) {
				struct rte_mbuf *m = rte_pktmbuf_alloc(gpool);
				uint8_t *p = m ? (uint8_t *)rte_pktmbuf_append(m, 60) : NULL;

				if (p == NULL)
					goto fail;
				arp_request(p, pi, h);
				if (rte_eth_tx_burst(gport[pi], 0, &m, 1) != 1)
					rte_pktmbuf_free(m);
			}
		if (wait_line(&c, "neigh", line, sizeof(line), 10) != 0 ||
			strtoul(line + 6, NULL, 10) < NPORTS * NHOSTS) {
			note(r, "hotline did not learn the remote hosts (%s); ", line);
			goto fail;
		}
		if (wait_line(&c, "ready", line, sizeof(line), 60) != 0) {
			note(r, "legs not set up; ");
			goto fail;
		}
		printf("up, %u legs in %.2f s", n, strtod(line + 6 + strlen(nbuf) + 1, NULL));
	}
	fflush(stdout);

	/* Warm-up: for hotline the first pass is probation (dropped), the second latches. */
	g.recycle = 1;
	uint64_t w0 = rte_rdtsc();
	gen_run(&g, (uint64_t)(hz / 2), 3, (uint64_t)(20 * hz), NULL);
	printf(", warm-up %.2f s", (double)(rte_rdtsc() - w0) / hz);
	fflush(stdout);
	if (g.passes < 3) {
		note(r, "WARM-UP INCOMPLETE: %u passes; ", g.passes);
		r->ok = 0;
	}
	uint64_t good0 = g.good, lost0 = g.lost, stall0 = g.stalls;
	child_say(&c, tpmd ? "clear fwd stats all\n" : "go\n");
	uint64_t m0 = rte_rdtsc();
	gen_run(&g, (uint64_t)(hz * secs), 0, (uint64_t)(hz * secs), &w);
	uint64_t span = rte_rdtsc() - m0;
	if (tpmd)
		child_say(&c, "show fwd stats all\n");
	/* Drain: stop recycling and collect what is still in flight. */
	g.recycle = 0;
	uint64_t dl = rte_rdtsc() + (uint64_t)(hz * 2);
	while (inflight(&g) > 0 && rte_rdtsc() < dl) {
		service(&g);
		flush_all(&g);
	}
	int64_t unacc = inflight(&g);
	if (verbose)
		for (unsigned int i = 0; i < w.n; i++)
			fprintf(stderr, "  window %u: %.3f Mpps\n", i, w.rate[i] / 1e6);
	printf(", %" PRIu64 " back\n", g.good - good0);
	fflush(stdout);

	r->mpps_med = median(w.rate, w.n) / 1e6;
	r->mpps_best = w.n ? w.rate[w.n - 1] / 1e6 : 0;
	if (tpmd) {
		struct tpmd_out t = {.r = r, .span = span};

		child_say(&c, "stop\nquit\n");
		int st = child_reap(&c, 10, tpmd_line, &t);
		if (!t.seen) {
			note(r, "no cycles/packet from testpmd (exit %d); ", st);
			r->ok = 0;
		}
		note(r, "testpmd RX-dropped %" PRIu64 " TX-dropped %" PRIu64 "; ", t.rxdrop,
			t.txdrop);
	} else {
		struct sut_out s = {.r = r, .n = n};
		double mb, mm, cb, cm, bm, ca;
		unsigned int nw;
		uint64_t rel;

		if (wait_line(&c, "win", line, sizeof(line), 10) != 0 ||
			sscanf(line, "win %u %lf %lf %lf %lf %lf %lf %" SCNu64, &nw, &mb, &mm, &cb,
				&cm, &bm, &ca, &rel) != 8) {
			note(r, "no windows from hotline; ");
			goto fail;
		}
		r->cpp = cm;
		r->cpp_best = cb;
		r->busy = bm;
		r->sut_mpps_med = mm;
		child_say(&c, "end\n");
		int st = child_reap(&c, 30, sut_line, &s);
		if (!s.final || !s.done || st != 0) {
			note(r, "hotline did not finish cleanly (exit %d); ", st);
			r->ok = 0;
		}
	}
	r->done = 1;

	uint32_t silent = 0;
	for (uint32_t l = 0; l < n; l++)
		silent += g.out_cnt[l] == 0;
	if (silent) {
		note(r, "%u legs never came back; ", silent);
		r->ok = 0;
	}
	if (g.bad || g.verify_fail || g.lost != lost0 || unacc != 0) {
		note(r,
			"BAD frames %" PRIu64 ", verify failed %" PRIu64
			", lost in the measured span %" PRIu64 " (%" PRIu64
			" stalls), unaccounted at the end %" PRId64 "; ",
			g.bad, g.verify_fail, g.lost - lost0, g.stalls - stall0, unacc);
		r->ok = 0;
	}
	if (g.overflow) {
		note(r, "GENERATOR BACKLOG OVERFLOW %" PRIu64 "; ", g.overflow);
		r->ok = 0;
	}
	note(r,
		"%" PRIu64 " frames fully checked; memif ring full (generator waited) %" PRIu64
		" times; ARP %" PRIu64 ", RTCP %" PRIu64 ", other %" PRIu64,
		g.verify_ok, g.tx_full, g.arp, g.rtcp, g.other);
	rc = 0;
	goto out;
fail:
	r->ok = 0;
	child_reap(&c, 5, NULL, NULL);
	child_tail(&c, tpmd ? "dpdk-testpmd" : "hotline");
	rc = 0; /* reported in the table; the other runs go on */
out:
	for (unsigned int pi = 0; pi < NPORTS; pi++)
		for (; g.head[pi] != g.tail[pi]; g.head[pi]++)
			rte_pktmbuf_free(g.backlog[pi][g.head[pi] & (BACKLOG - 1)]);
	free(g.s);
	free(g.out_cnt);
	/* whatever is left on the rings belongs to no run */
	for (int i = 0; i < 100; i++)
		service(NULL);
	return rc;
}

/* ---- main --------------------------------------------------------------------------------- */

static void
row(const struct run *r, const struct run *ref)
{
	double cap = r->cpp > 0 ? hz / r->cpp / 1e6 : 0;
	char vs[160] = "100%";

	if (!r->done) {
		printf("| %s | %u | failed | | | | | |\n",
			r->tpmd ? "dpdk-testpmd io-fwd" : "hotline relay, plain RTP", r->n);
		return;
	}
	if (!r->tpmd && ref != NULL && ref->done && ref->cpp > 0 && ref->mpps_med > 0)
		snprintf(vs, sizeof(vs), "%.1f%% (capacity); wall %.0f%%",
			100.0 * ref->cpp / r->cpp, 100.0 * r->mpps_med / ref->mpps_med);
	else if (!r->tpmd)
		snprintf(vs, sizeof(vs), "no ceiling");
	printf("| %s | %u | %.2f / %.2f | %.0f%s | %.1f | %.0f%% | %.2f | %s |\n",
		r->tpmd ? "dpdk-testpmd io-fwd, memif copy"
			: "hotline relay, plain RTP, memif copy",
		r->n, r->mpps_best, r->mpps_med, r->cpp, r->tpmd ? " (span)" : " (median)",
		r->cpp * 1e9 / hz, 100.0 * r->busy, cap, vs);
}

int
main(int argc, char **argv)
{
	if (argc == 5 && strcmp(argv[1], "--sut") == 0) {
		memset(pattern, 0xd5, sizeof(pattern));
		return sut_main(argv[0], argv[2], (uint32_t)strtoul(argv[3], NULL, 10),
			(unsigned int)atoi(argv[4]));
	}

	unsigned int secs = argc > 1 ? (unsigned int)atoi(argv[1]) : 3;
	uint32_t streams[MAX_RUNS] = {1000, 10000};
	unsigned int nstreams = 2, window = 2048;
	const char *ev;

	if ((ev = getenv("HL_MEMIF_WINDOW")) != NULL)
		window = (unsigned int)atoi(ev);
	if (argc > 2) {
		char *s = argv[2], *e;

		nstreams = 0;
		while (*s && nstreams < MAX_RUNS) {
			unsigned long v = strtoul(s, &e, 10);
			if (e == s || v < 2 || v % 2 || v > MAX_STREAMS) {
				nstreams = 0;
				break;
			}
			streams[nstreams++] = (uint32_t)v;
			s = *e == ',' ? e + 1 : e;
		}
	}
	if (secs == 0 || secs > 20 || nstreams == 0 || window < GBURST ||
		window > NPORTS * (MEMIF_SLOTS - 2 * GBURST)) {
		fprintf(stderr,
			"usage: bench_memif [seconds 1..20] [streams list, even, <= %u, "
			"e.g. 1000,10000]\n",
			MAX_STREAMS);
		return 2;
	}
	memset(pattern, 0xd5, sizeof(pattern)); /* G.711 A-law silence */
	pattern_sum = hl_csum_partial(pattern, sizeof(pattern), 0);
	signal(SIGPIPE, SIG_IGN);
	verbose = (ev = getenv("HL_MEMIF_VERBOSE")) != NULL && atoi(ev) != 0;

	char dir[] = "/tmp/hlmemif.XXXXXX", sock[64], self[PATH_MAX], prefix[64];
	ssize_t sl = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (sl <= 0 || mkdtemp(dir) == NULL) {
		fprintf(stderr, "bench_memif: %s\n", strerror(errno));
		return 1;
	}
	self[sl] = '\0';
	snprintf(sock, sizeof(sock), "%s/memif.sock", dir);
	snprintf(prefix, sizeof(prefix), "hlmemif-gen-%d", (int)getpid());

	static char vdev[NPORTS][256];
	char *eal[32];
	int na = 0;
	bool huge = bench_hugepages(HUGE_MB);
	setenv("HL_BENCH_HUGE", huge ? "1" : "0", 1); /* the children's choice too */
	eal[na++] = argv[0];
	eal[na++] = "-l";
	eal[na++] = "0";
	na = eal_args(eal, na, "512", prefix, 1, sock, vdev);
	if (rte_eal_init(na, eal) < 0) {
		fprintf(stderr, "EAL init failed\n");
		rmdir(dir);
		return 1;
	}
	hz = (double)rte_get_tsc_hz();
	gpool = rte_pktmbuf_pool_create("hlm_gen", GEN_MBUFS, 256, 0, RTE_MBUF_DEFAULT_BUF_SIZE, 0);
	if (gpool == NULL) {
		fprintf(stderr, "generator pool: %s\n", rte_strerror(rte_errno));
		return 1;
	}
	for (unsigned int pi = 0; pi < NPORTS; pi++) {
		char name[32];
		struct rte_eth_conf conf = {0};
		struct rte_ether_addr mac;

		snprintf(name, sizeof(name), "net_memif%u", pi);
		if (rte_eth_dev_get_port_by_name(name, &gport[pi]) != 0 ||
			rte_eth_dev_configure(gport[pi], 1, 1, &conf) != 0 ||
			rte_eth_rx_queue_setup(gport[pi], 0, MEMIF_SLOTS, 0, NULL, gpool) != 0 ||
			rte_eth_tx_queue_setup(gport[pi], 0, MEMIF_SLOTS, 0, NULL) != 0 ||
			rte_eth_dev_start(gport[pi]) != 0) {
			fprintf(stderr, "bench_memif: memif server port %u failed\n", pi);
			return 1;
		}
		sut_mac(pi, &mac);
		for (unsigned int h = 0; h < NHOSTS; h++)
			tmpl_build(tmpl[pi][h], &mac, pi, h, RTP_LEN);
	}
	printf("bench_memif: %u s per measurement, %u packets in flight, G.711 20 ms frames "
	       "(%u-byte RTP, %u-byte frames), net_memif copy mode, socket %s; generator on CPU 0, "
	       "each system under test on CPU 1\n",
		secs, window, RTP_LEN, HDRS + RTP_LEN, sock);
	fflush(stdout);

	/* testpmd and hotline interleaved per stream count: the host's speed drifts. */
	static struct run runs[2 * MAX_RUNS];
	for (unsigned int i = 0; i < nstreams; i++)
		for (int t = 1; t >= 0; t--)
			measure(&runs[2 * i + (t ? 0 : 1)], t, streams[i], secs, window, sock,
				self);

	printf("\n| system under test (CPU 1) | streams | Mpps best / median | cycles/pkt | ns/pkt "
	       "| busy | capacity Mpps | hotline / testpmd io |\n");
	printf("| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |\n");
	for (unsigned int i = 0; i < 2 * nstreams; i++)
		row(&runs[i], runs[i].tpmd ? NULL : &runs[i - 1]);
	printf("\n(Mpps: correct frames back at the generator, best and median of %u ms windows "
	       "over "
	       "%u s; cycles/pkt: hotline's worker busy cycles per relayed packet, median window; "
	       "testpmd's --record-core-cycles over the span; capacity = TSC %.2f GHz / cycles; "
	       "memory: %s)\n",
		WIN_MS, secs, hz / 1e9,
		huge ? "2 MiB hugepages" :
		       "4 KiB pages (--no-huge; free hugepages or HL_BENCH_HUGE=1 for the deployed case)");
	int fail = 0;
	for (unsigned int i = 0; i < 2 * nstreams; i++) {
		const struct run *r = &runs[i];
		printf("  %s, %u streams: %s%s\n", r->tpmd ? "testpmd" : "hotline", r->n, r->notes,
			r->ok ? "" : "  <-- PROBLEM");
		fail |= !r->ok;
	}
	printf("\ntarget (issue #5): hotline >= 50%% of testpmd io-forward over memif\n");
	for (unsigned int i = 0; i < nstreams; i++) {
		const struct run *t = &runs[2 * i], *h = &runs[2 * i + 1];
		if (!t->done || !h->done || t->cpp <= 0 || h->cpp <= 0) {
			printf("  %6u streams: not measured\n", h->n);
			continue;
		}
		double cap = t->cpp / h->cpp, wall = h->mpps_med / t->mpps_med;
		printf("  %6u streams: hotline %.0f cycles/pkt vs testpmd %.0f = %.1f%% of "
		       "testpmd's "
		       "capacity -> >= 50%%: %s; wall medians %.2f vs %.2f Mpps = %.0f%% (busy "
		       "%.0f%% vs "
		       "%.0f%%%s)\n",
			h->n, h->cpp, t->cpp, 100 * cap,
			cap >= 0.5 && h->ok && t->ok ? "met" : "NOT met", h->mpps_med, t->mpps_med,
			100 * wall, 100 * h->busy, 100 * t->busy,
			t->busy < 0.9 ? ": testpmd not saturated, the generator was the limit"
				      : "");
	}
	fflush(stdout);
	for (unsigned int pi = 0; pi < NPORTS; pi++) {
		rte_eth_dev_stop(gport[pi]);
		rte_eth_dev_close(gport[pi]);
	}
	rte_eal_cleanup();
	unlink(sock);
	rmdir(dir);
	return fail ? 1 : 0;
}
