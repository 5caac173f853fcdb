/*
 * bench_memif: hotline's RTP relay against dpdk-testpmd io-forwarding over net_memif in
 * copy mode, where every packet's bytes are copied into and out of shared memory on
 * each side, so the ceiling moves bytes (on net_ring testpmd only passes pointers).
 *
 *   bench_memif [seconds] [streams list]     (defaults: 3 s, "1000,10000"; ~20-60 s)
 *
 * One invocation, three processes at a time. This one is the generator on CPU 0: EAL on
 * lcore 0 with eight net_memif ports in the server role on one unix socket (ids 0-7) in
 * a mktemp directory. For every stream count it starts both systems under test as
 * children pinned to CPU 1 (every thread, control included), each with four memif
 * ports in the client role (zero-copy=no; the client owns the shared memory):
 *
 *  - dpdk-testpmd --forward-mode=io --record-core-cycles, one forwarding lcore, on ids
 *    0-3: what comes in on port 0 leaves on port 1 and vice versa (2 <-> 3), unchanged;
 *  - this program again in its --sut role, on ids 4-7: hotline's real engine
 *    (hl_engine_create, one worker on lcore 1 running hl_worker_poll) with the same legs
 *    as bench_relay made through hl_media_set (calls of two on one port, so what a
 *    remote sends to leg A leaves leg B for B's remote), plain RTP.
 *
 * Side by side, phase by phase: the host's speed moves by 2x and more within seconds, so
 * the two are not run one after the other. Both are started and warmed up, then
 * measured in alternating phases (default 500 ms; HL_MEMIF_PHASE_MS), seconds x 2 pairs
 * of them in the order T H, H T, T H, ...; the one not measured is stopped (SIGSTOP) so
 * that CPU 1 is the other's alone. Each phase is traffic for its span, then a drain of
 * what is in flight, then a snapshot of the system's own cumulative counters (testpmd's
 * "show fwd stats": cycles of non-empty bursts and received packets; hotline's worker
 * busy cycles and relayed packets), then the stop. Each pair of adjacent phases gives
 * one ratio, testpmd's cycles per packet over hotline's: the verdict (hotline >= 50% of
 * testpmd io over memif) is the median of those, printed with the lowest and highest.
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
 * exactly those, and a drain that does not get every frame back in 2 s counts what is
 * missing as lost.
 *
 * Figures per system: correct frames back at the generator per second of each phase
 * (best and median), cycles per packet (median of phases), busy share of CPU 1. When
 * testpmd's busy share is well under 100% the generator (memif copies on CPU 0 for both
 * directions) is the limit and the wall rates say little; capacity = TSC Hz / cycles per
 * packet is then the comparable figure, with the wall-rate ratio printed beside it.
 *
 * Knobs: HL_MEMIF_TESTPMD (default dpdk-testpmd), HL_MEMIF_WINDOW, HL_MEMIF_PHASE_MS,
 * HL_BENCH_HUGE (see bench_hugepages() in bench_relay.h; echo 1200
 * >/proc/sys/vm/nr_hugepages first), HL_MEMIF_VERBOSE=1 (the children's output and
 * each phase's figures on stderr). Internal: --sut SOCK N is the hotline role, driven
 * over its stdin/stdout by the generator.
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
#define GPORTS	    (2 * NPORTS) /* the generator's: testpmd's set, then hotline's */
#define SET_TPMD    0
#define SET_HL	    1
#define GEN_MBUFS   16383
#define STALL_MS    100
#define TURN_MAX_MS 50
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

/* --vdev arguments of memif port pi, memif id on socket sock. A client's MAC is its
 * port's (the frames' destination, whichever system is under test); a server's its id's. */
static void
memif_vdev(char *out, size_t size, unsigned int pi, unsigned int id, int server,
	const char *sock)
{
	snprintf(out, size,
		"net_memif%u,role=%s,id=%u,socket=%s,socket-abstract=no,zero-copy=no,"
		"mac=02:00:5e:%s:00:%02x",
		pi, server ? "server" : "client", id, sock, server ? "30" : "20",
		server ? id : pi);
}

/* Generator and both systems under test at once: 512 + 512 + 1024 MB
 * (bench_hugepages()). */
#define HUGE_MB 2100

/*
 * Appends the EAL arguments every process here shares: hugepages or not (mem_mb of
 * heap either way), no PCI, no shared config, its own file prefix, errors only, and
 * its memif ports on sock (vdev holds their strings): the generator's GPORTS servers
 * (ids 0 to GPORTS - 1), or a system under test's NPORTS clients on ids set * NPORTS
 * on. Returns the new argument count.
 */
static int
eal_args(char **a, int na, const char *mem_mb, const char *prefix, int server,
	unsigned int set, const char *sock, char vdev[GPORTS][256])
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
	for (unsigned int pi = 0; pi < (server ? GPORTS : NPORTS); pi++) {
		memif_vdev(vdev[pi], 256, pi, server ? pi : set * NPORTS + pi, server, sock);
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
	uint64_t t0 = rte_rdtsc(), turn_max = rte_get_tsc_hz() * TURN_MAX_MS / 1000;

	/* A turn of over TURN_MAX_MS is idle: a stop while testpmd is measured (SIGSTOP, a
	 * phase of 100 ms or more) makes one, and the first turn after it has work when the
	 * legs' RTCP timers fell due meanwhile. Shorter preemptions stay in, as they do in
	 * testpmd's cycles. */
	while (__atomic_load_n(&sut_run, __ATOMIC_RELAXED))
		turn_account(st, hl_worker_poll(w), &t0, turn_max);
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

/*
 * Speaks lines on stdout: "up", "neigh K", "ready N"; then, for each "snap" on stdin, the
 * worker's cumulative counters ("snap TSC BUSY IDLE RELAYED"); after "end" its drops
 * since the legs were made, the legs' final statistics and "done". Between snapshots
 * the generator may stop this process (SIGSTOP) while it measures testpmd.
 */
static int
sut_main(const char *prog, const char *sock, uint32_t n)
{
	static struct hl_config cfg;
	static char vdev[GPORTS][256], names[NPORTS][16];
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
	na = eal_args(eal, na, "1024", prefix, 0, SET_HL, sock, vdev);
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

	for (;;) {
		struct snap b;

		if (fgets(line, sizeof(line), stdin) == NULL)
			goto out;
		if (strncmp(line, "end", 3) == 0)
			break;
		if (strncmp(line, "snap", 4) != 0)
			continue;
		take(&b);
		printf("snap %" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRIu64 "\n", b.tsc, b.busy,
			b.idle, b.relayed);
		fflush(stdout);
	}
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

static uint16_t gport[GPORTS];
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
	unsigned int pb;  /* its system's first generator port (set * NPORTS) */
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
		k = rte_eth_tx_burst(gport[g->pb + pi], 0, &g->backlog[pi][h], (uint16_t)n);
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

/* One pass over the RX of g's ports (g NULL: every port, between measurements, and
 * everything is freed). */
static void
service(struct gen *g)
{
	struct rte_mbuf *pk[GBURST], *fr[GBURST * GPORTS];
	unsigned int nf = 0, first = g != NULL ? g->pb : 0, np = g != NULL ? NPORTS : GPORTS;

	for (unsigned int gi = first; gi < first + np; gi++) {
		unsigned int pi = gi % NPORTS;
		uint16_t n = rte_eth_rx_burst(gport[gi], 0, pk, GBURST);

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
					rte_eth_tx_burst(gport[gi], 0, &m, 1) == 1)
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

/* Runs for at least dur TSC and min_passes passes, at most max_dur. */
static void
gen_run(struct gen *g, uint64_t dur, uint32_t min_passes, uint64_t max_dur)
{
	uint64_t t0 = rte_rdtsc(), end = t0 + dur, hard = t0 + max_dur;

	g->last_back = t0;
	for (;;) {
		service(g);
		if (g->recycle)
			top_up(g);
		flush_all(g);
		uint64_t now = rte_rdtsc();
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

/* Waits until the memif ports of a set are up: 0, or -1 after secs. */
static int
links_up(unsigned int set, double secs)
{
	uint64_t dl = rte_rdtsc() + (uint64_t)(secs * hz);
	unsigned int up;

	do {
		struct rte_eth_link l;

		service(NULL);
		up = 0;
		for (unsigned int pi = 0; pi < NPORTS; pi++)
			up += rte_eth_link_get_nowait(gport[set * NPORTS + pi], &l) == 0 &&
			      l.link_status == RTE_ETH_LINK_UP;
		if (up < NPORTS)
			usleep(1000);
	} while (up < NPORTS && rte_rdtsc() < dl);
	return up == NPORTS ? 0 : -1;
}

/* ---- one measurement: both systems side by side, phase by phase ------------------------ */

#define MAX_PH 64

/* One system under test over a measurement, phase by phase. */
struct run {
	int tpmd;
	uint32_t n;
	int ok, done;
	unsigned int nph;
	double rate[MAX_PH]; /* correct frames back at the generator per second */
	double cpp[MAX_PH];  /* its cycles per packet */
	double busy[MAX_PH]; /* its busy share of CPU 1 */
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

/* testpmd's forward statistics as it prints them at "stop": its drops. */
struct tpmd_out {
	uint64_t txdrop, rxdrop, rx, tx;
	int acc; /* inside the first accumulated block */
};

static void
tpmd_line(void *ctx, const char *line)
{
	struct tpmd_out *t = ctx;
	uint64_t a, b, c;

	if (strstr(line, "Accumulated forward statistics") != NULL)
		t->acc++;
	if (t->acc == 1 &&
		sscanf(line, " RX-packets: %" SCNu64 " RX-dropped: %" SCNu64 " RX-total: %" SCNu64,
			&a, &b, &c) == 3) {
		t->rx = a;
		t->rxdrop = b;
	}
	if (t->acc == 1 &&
		sscanf(line, " TX-packets: %" SCNu64 " TX-dropped: %" SCNu64 " TX-total: %" SCNu64,
			&a, &b, &c) == 3) {
		t->tx = a;
		t->txdrop = b;
	}
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

/* A system under test while a measurement runs. */
struct sut {
	struct run *r;
	struct gen *g;
	struct child c;
	int live;	      /* started and not yet finished */
	int stopped;	      /* SIGSTOPped by us */
	uint64_t cyc, pk;     /* its cumulative busy cycles and packets at the last snapshot */
	uint64_t lost0, stall0;
};

/* Takes back what is in flight to sut x (nothing is recycled): 0, or -1 when frames
 * stayed out for 2 s (counted lost). */
static int
drain(struct sut *x)
{
	struct gen *g = x->g;
	uint64_t dl = rte_rdtsc() + (uint64_t)(hz * 2);

	g->recycle = 0;
	while (inflight(g) > 0 && rte_rdtsc() < dl) {
		service(g);
		flush_all(g);
	}
	if (inflight(g) <= 0)
		return 0;
	note(x->r, "%" PRId64 " frames did not come back (generator backlog %u); ", inflight(g),
		backlog_total(g));
	if (x->r->tpmd) {
		struct tpmd_out t = {0};
		char line[512];

		child_say(&x->c, "show fwd stats all\n");
		for (uint64_t dl2 = rte_rdtsc() + (uint64_t)hz; rte_rdtsc() < dl2;) {
			while (child_line(&x->c, line, sizeof(line)))
				tpmd_line(&t, line);
			usleep(1000);
		}
		note(x->r,
			"testpmd RX %" PRIu64 " (dropped %" PRIu64 ") TX %" PRIu64 " (dropped %" PRIu64
			"), generator sent %" PRIu64 " got %" PRIu64 "; ",
			t.rx, t.rxdrop, t.tx, t.txdrop, g->injected, g->back);
	}
	g->lost += (uint64_t)inflight(g);
	x->r->ok = 0;
	return -1;
}

/* Its cumulative cycles and packets (testpmd: --record-core-cycles' cycles of non-empty
 * bursts and RX packets; hotline: the worker's busy cycles and relayed packets) into
 * x->cyc and x->pk. Nothing may be in flight to it: 0, or -1. */
static int
snapshot(struct sut *x)
{
	char line[512];
	uint64_t a, b, c, d;
	double cpp;

	if (x->r->tpmd) {
		child_say(&x->c, "show fwd stats all\n");
		if (wait_line(&x->c, "  CPU cycles/packet=", line, sizeof(line), 10) != 0 ||
			sscanf(line,
				" CPU cycles/packet=%lf (total cycles=%" SCNu64
				" / total %*s packets=%" SCNu64 ")",
				&cpp, &a, &b) != 3)
			return -1;
		x->cyc = a;
		x->pk = b;
		return 0;
	}
	child_say(&x->c, "snap\n");
	if (wait_line(&x->c, "snap", line, sizeof(line), 10) != 0 ||
		sscanf(line, "snap %" SCNu64 " %" SCNu64 " %" SCNu64 " %" SCNu64, &a, &b, &c, &d) !=
			4)
		return -1;
	x->cyc = b;
	x->pk = d;
	return 0;
}

/* SIGSTOP / SIGCONT: the one not measured leaves CPU 1 to the other. */
static void
sut_pause(struct sut *x)
{
	int st;

	if (x->live && !x->stopped && kill(x->c.pid, SIGSTOP) == 0) {
		(void)waitpid(x->c.pid, &st, WUNTRACED);
		x->stopped = 1;
	}
}

static void
sut_resume(struct sut *x)
{
	if (x->live && x->stopped) {
		kill(x->c.pid, SIGCONT);
		x->stopped = 0;
	}
}

/*
 * Starts a system under test on CPU 1 with n legs, brings its memif ports up, warms it
 * up (hotline: the first pass is probation and dropped, the second latches), takes
 * back what is in flight and takes its first snapshot. 0 when it is ready to measure;
 * -1 (x->r says why) when not.
 */
static int
sut_start(struct sut *x, struct run *r, struct gen *g, int tpmd, uint32_t n,
	unsigned int window, const char *sock, const char *self)
{
	char line[512], nbuf[16], prefix[64];
	static char vdev[GPORTS][256];
	char *argv[48];
	int na = 0;

	memset(r, 0, sizeof(*r));
	memset(g, 0, sizeof(*g));
	memset(x, 0, sizeof(*x));
	x->r = r;
	x->g = g;
	r->tpmd = tpmd;
	r->n = n;
	r->ok = 1;
	g->n = n;
	g->tpmd = tpmd;
	g->pb = (tpmd ? SET_TPMD : SET_HL) * NPORTS;
	g->win = window;
	g->s = calloc(n, sizeof(*g->s));
	g->out_cnt = calloc(n, sizeof(*g->out_cnt));
	if (g->s == NULL || g->out_cnt == NULL) {
		note(r, "out of memory; ");
		r->ok = 0;
		return -1;
	}
	for (uint32_t l = 0; l < n; l++) {
		g->s[l].seq = (uint16_t)(l * 7919u);
		g->s[l].ts = l * 1000u;
	}
	snprintf(nbuf, sizeof(nbuf), "%u", n);
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
		na = eal_args(argv, na, "512", prefix, 0, SET_TPMD, sock, vdev);
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
	}
	argv[na] = NULL;
	printf("  %-22s %6u streams: ", tpmd ? "dpdk-testpmd io-fwd" : "hotline relay (plain)", n);
	fflush(stdout);
	if (spawn(&x->c, argv) != 0) {
		note(r, "cannot start %s; ", argv[0]);
		r->ok = 0;
		return -1;
	}
	x->live = 1;
	uint64_t t0 = rte_rdtsc();
	if (tpmd) {
		child_say(&x->c, "start\n");
		if (links_up(SET_TPMD, 15) != 0) {
			note(r, "testpmd's memif ports did not come up; ");
			goto fail;
		}
		/* "start" prints the forwarding set-up, then frees whatever its RX queues
		 * hold (flush_fwd_rx_queues(), some 20 ms), then prints each port's queue
		 * set-up and launches the forwarding lcore: frames sent before the last
		 * port's line could be eaten and counted in flight for good. */
		char want[64];
		snprintf(want, sizeof(want), "  port %u: RX queue number", NPORTS - 1);
		if (wait_line(&x->c, "io packet forwarding", line, sizeof(line), 10) != 0 ||
			wait_line(&x->c, want, line, sizeof(line), 10) != 0) {
			note(r, "testpmd did not start forwarding; ");
			goto fail;
		}
		printf("up in %.2f s", (double)(rte_rdtsc() - t0) / hz);
	} else {
		if (links_up(SET_HL, 20) != 0 || wait_line(&x->c, "up", line, sizeof(line), 5) != 0) {
			note(r, "hotline's memif ports did not come up; ");
			goto fail;
		}
		/* its neighbours, from ARP requests of every host */
		for (unsigned int pi = 0; pi < NPORTS; pi++)
			for (unsigned int h = 0; h < NHOSTS; h++) {
				struct rte_mbuf *m = rte_pktmbuf_alloc(gpool);
				uint8_t *p = m ? (uint8_t *)rte_pktmbuf_append(m, 60) : NULL;

				if (p == NULL) {
					rte_pktmbuf_free(m);
					note(r, "generator pool empty; ");
					goto fail;
				}
				arp_request(p, pi, h);
				if (rte_eth_tx_burst(gport[g->pb + pi], 0, &m, 1) != 1)
					rte_pktmbuf_free(m);
			}
		if (wait_line(&x->c, "neigh", line, sizeof(line), 10) != 0 ||
			strtoul(line + 6, NULL, 10) < NPORTS * NHOSTS) {
			note(r, "hotline did not learn the remote hosts (%s); ", line);
			goto fail;
		}
		if (wait_line(&x->c, "ready", line, sizeof(line), 60) != 0) {
			note(r, "legs not set up; ");
			goto fail;
		}
		printf("up, %u legs in %.2f s", n, strtod(line + 6 + strlen(nbuf) + 1, NULL));
	}
	fflush(stdout);

	g->recycle = 1;
	uint64_t w0 = rte_rdtsc();
	gen_run(g, (uint64_t)(hz / 2), 3, (uint64_t)(20 * hz));
	printf(", warm-up %.2f s\n", (double)(rte_rdtsc() - w0) / hz);
	fflush(stdout);
	if (g->passes < 3) {
		note(r, "WARM-UP INCOMPLETE: %u passes; ", g->passes);
		r->ok = 0;
	}
	if (drain(x) != 0 || snapshot(x) != 0) {
		note(r, "no first snapshot; ");
		goto fail;
	}
	x->lost0 = g->lost;
	x->stall0 = g->stalls;
	return 0;
fail:
	r->ok = 0;
	child_reap(&x->c, 5, NULL, NULL);
	child_tail(&x->c, tpmd ? "dpdk-testpmd" : "hotline");
	x->live = 0;
	return -1;
}

/* One phase of dur TSC on x with CPU 1 to itself: traffic, drain, snapshot, then x is
 * stopped again unless it has the next phase too (keep). 0, or -1 when x can no longer
 * be measured. */
static int
phase(struct sut *x, uint64_t dur, int keep)
{
	struct gen *g = x->g;
	struct run *r = x->r;
	uint64_t cyc0 = x->cyc, pk0 = x->pk, good0 = g->good;

	if (!x->live || r->nph >= MAX_PH)
		return -1;
	/* The stop may have caught it between reading its TSC and its receive burst: with
	 * traffic at once that turn would count the whole stop as busy. Let it finish an
	 * empty one first. */
	if (x->stopped) {
		sut_resume(x);
		usleep(2000);
	}
	g->recycle = 1;
	uint64_t t0 = rte_rdtsc();
	gen_run(g, dur, 0, dur);
	uint64_t t1 = rte_rdtsc();
	(void)drain(x);
	uint64_t t2 = rte_rdtsc();
	if (snapshot(x) != 0 || x->pk <= pk0) {
		note(r, "no snapshot after phase %u; ", r->nph);
		r->ok = 0;
		sut_pause(x);
		return -1;
	}
	r->rate[r->nph] = (double)(g->good - good0) * hz / (double)(t1 - t0);
	r->cpp[r->nph] = (double)(x->cyc - cyc0) / (double)(x->pk - pk0);
	r->busy[r->nph] = (double)(x->cyc - cyc0) / (double)(t2 - t0);
	if (verbose)
		fprintf(stderr,
			"  phase %u %s: %.1f Mcycles, %" PRIu64 " packets, %.1f ms traffic + %.1f ms "
			"drain\n",
			r->nph, r->tpmd ? "testpmd" : "hotline", (double)(x->cyc - cyc0) / 1e6,
			x->pk - pk0, (double)(t1 - t0) * 1e3 / hz, (double)(t2 - t1) * 1e3 / hz);
	r->nph++;
	if (!keep)
		sut_pause(x);
	return 0;
}

/* Ends x: testpmd stops and quits, hotline deletes its legs and reports; then every
 * check of the frames that came back. */
static void
sut_finish(struct sut *x)
{
	struct gen *g = x->g;
	struct run *r = x->r;

	if (x->live) {
		sut_resume(x);
		if (r->tpmd) {
			struct tpmd_out t = {0};

			child_say(&x->c, "stop\nquit\n");
			int st = child_reap(&x->c, 10, tpmd_line, &t);
			if (st != 0) {
				note(r, "testpmd exit %d; ", st);
				r->ok = 0;
			}
			note(r, "testpmd RX-dropped %" PRIu64 " TX-dropped %" PRIu64 "; ", t.rxdrop,
				t.txdrop);
		} else {
			struct sut_out s = {.r = r, .n = r->n};

			child_say(&x->c, "end\n");
			int st = child_reap(&x->c, 30, sut_line, &s);
			if (!s.final || !s.done || st != 0) {
				note(r, "hotline did not finish cleanly (exit %d); ", st);
				r->ok = 0;
			}
		}
		x->live = 0;
		r->done = r->nph > 0;
	}
	if (g->s != NULL) {
		uint32_t silent = 0;

		for (uint32_t l = 0; l < r->n; l++)
			silent += g->out_cnt[l] == 0;
		if (silent) {
			note(r, "%u legs never came back; ", silent);
			r->ok = 0;
		}
	}
	if (g->bad || g->verify_fail || g->lost != x->lost0) {
		note(r,
			"BAD frames %" PRIu64 ", verify failed %" PRIu64
			", lost while measured %" PRIu64 " (%" PRIu64 " stalls); ",
			g->bad, g->verify_fail, g->lost - x->lost0, g->stalls - x->stall0);
		r->ok = 0;
	}
	if (g->overflow) {
		note(r, "GENERATOR BACKLOG OVERFLOW %" PRIu64 "; ", g->overflow);
		r->ok = 0;
	}
	note(r,
		"%" PRIu64 " frames fully checked; memif ring full (generator waited) %" PRIu64
		" times; ARP %" PRIu64 ", RTCP %" PRIu64 ", other %" PRIu64,
		g->verify_ok, g->tx_full, g->arp, g->rtcp, g->other);
	for (unsigned int pi = 0; pi < NPORTS; pi++)
		for (; g->head[pi] != g->tail[pi]; g->head[pi]++)
			rte_pktmbuf_free(g->backlog[pi][g->head[pi] & (BACKLOG - 1)]);
	free(g->s);
	free(g->out_cnt);
	g->s = NULL;
	g->out_cnt = NULL;
	/* whatever is left on the rings belongs to no run */
	for (int i = 0; i < 100; i++)
		service(NULL);
}

/*
 * testpmd and hotline on n streams, both started before the first phase and stopped
 * (SIGSTOP) whenever the other is measured, so CPU 1 is always one system's: pairs
 * pairs of phases of phase_ms each, in the order T H, H T, T H... so that a drift of the
 * host's speed weighs on both alike. Each pair gives one ratio.
 */
static void
measure(struct run *t, struct run *h, uint32_t n, unsigned int pairs, unsigned int phase_ms,
	unsigned int window, const char *sock, const char *self)
{
	static struct gen gt, gh;
	struct sut xt, xh;
	uint64_t dur = (uint64_t)(hz * phase_ms / 1000);

	if (sut_start(&xt, t, &gt, 1, n, window, sock, self) == 0)
		sut_pause(&xt);
	if (sut_start(&xh, h, &gh, 0, n, window, sock, self) == 0)
		sut_pause(&xh);
	printf("  %u pairs of %u ms phases:", pairs, phase_ms);
	fflush(stdout);
	for (unsigned int k = 0; k < pairs && xt.live && xh.live; k++) {
		struct sut *first = k & 1 ? &xh : &xt, *second = k & 1 ? &xt : &xh;

		if (phase(first, dur, 0) != 0 || phase(second, dur, k + 1 < pairs) != 0)
			break;
		printf(" %.0f/%.0f", t->cpp[t->nph - 1], h->cpp[h->nph - 1]);
		fflush(stdout);
	}
	printf(" (testpmd/hotline cycles/pkt)\n");
	sut_finish(&xt);
	sut_finish(&xh);
}

/* ---- main --------------------------------------------------------------------------------- */

/* Median of n values, the mean of the middle two when n is even (v is left as it is). */
static double
median_of(const double *v, unsigned int n)
{
	double c[MAX_PH];

	if (n == 0)
		return 0;
	memcpy(c, v, n * sizeof(c[0]));
	qsort(c, n, sizeof(c[0]), cmp_double);
	return n % 2 ? c[n / 2] : (c[n / 2 - 1] + c[n / 2]) / 2;
}

static double
max_of(const double *v, unsigned int n)
{
	double m = 0;

	for (unsigned int i = 0; i < n; i++)
		m = v[i] > m ? v[i] : m;
	return m;
}

static double
min_of(const double *v, unsigned int n)
{
	double m = n ? v[0] : 0;

	for (unsigned int i = 1; i < n; i++)
		m = v[i] < m ? v[i] : m;
	return m;
}

/* Per pair: testpmd's cycles over hotline's (capacity ratio), and the wall-rate ratio. */
static unsigned int
pair_ratios(const struct run *t, const struct run *h, double *cap, double *wall)
{
	unsigned int np = t->nph < h->nph ? t->nph : h->nph;

	for (unsigned int k = 0; k < np; k++) {
		cap[k] = t->cpp[k] / h->cpp[k];
		wall[k] = h->rate[k] / t->rate[k];
	}
	return np;
}

static void
row(const struct run *r, const struct run *ref)
{
	double cpp = median_of(r->cpp, r->nph);
	double cap = cpp > 0 ? hz / cpp / 1e6 : 0;
	char vs[160] = "100%";

	if (!r->done) {
		printf("| %s | %u | failed | | | | | |\n",
			r->tpmd ? "dpdk-testpmd io-fwd" : "hotline relay, plain RTP", r->n);
		return;
	}
	if (!r->tpmd && ref != NULL && ref->done) {
		double c[MAX_PH], w[MAX_PH];
		unsigned int np = pair_ratios(ref, r, c, w);

		snprintf(vs, sizeof(vs), "%.1f%% (%.1f-%.1f%%); wall %.0f%%",
			100.0 * median_of(c, np), 100.0 * min_of(c, np), 100.0 * max_of(c, np),
			100.0 * median_of(w, np));
	} else if (!r->tpmd) {
		snprintf(vs, sizeof(vs), "no ceiling");
	}
	printf("| %s | %u | %.2f / %.2f | %.0f | %.1f | %.0f%% | %.2f | %s |\n",
		r->tpmd ? "dpdk-testpmd io-fwd, memif copy"
			: "hotline relay, plain RTP, memif copy",
		r->n, max_of(r->rate, r->nph) / 1e6, median_of(r->rate, r->nph) / 1e6, cpp,
		cpp * 1e9 / hz, 100.0 * median_of(r->busy, r->nph), cap, vs);
}

int
main(int argc, char **argv)
{
	if (argc == 4 && strcmp(argv[1], "--sut") == 0) {
		memset(pattern, 0xd5, sizeof(pattern));
		return sut_main(argv[0], argv[2], (uint32_t)strtoul(argv[3], NULL, 10));
	}

	unsigned int secs = argc > 1 ? (unsigned int)atoi(argv[1]) : 3;
	uint32_t streams[MAX_RUNS] = {1000, 10000};
	unsigned int nstreams = 2, window = 2048, phase_ms = 500;
	const char *ev;

	if ((ev = getenv("HL_MEMIF_WINDOW")) != NULL)
		window = (unsigned int)atoi(ev);
	if ((ev = getenv("HL_MEMIF_PHASE_MS")) != NULL)
		phase_ms = (unsigned int)atoi(ev);
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
		window > NPORTS * (MEMIF_SLOTS - 2 * GBURST) || phase_ms < 100 ||
		secs * 1000 / phase_ms > MAX_PH || secs * 1000 / phase_ms == 0) {
		fprintf(stderr,
			"usage: bench_memif [seconds 1..20] [streams list, even, <= %u, "
			"e.g. 1000,10000]\n"
			"  (HL_MEMIF_PHASE_MS >= 100, at most %u phases per system)\n",
			MAX_STREAMS, MAX_PH);
		return 2;
	}
	unsigned int pairs = secs * 1000 / phase_ms;
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

	static char vdev[GPORTS][256];
	char *eal[48];
	int na = 0;
	bool huge = bench_hugepages(HUGE_MB);
	setenv("HL_BENCH_HUGE", huge ? "1" : "0", 1); /* the children's choice too */
	eal[na++] = argv[0];
	eal[na++] = "-l";
	eal[na++] = "0";
	na = eal_args(eal, na, "512", prefix, 1, 0, sock, vdev);
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
	for (unsigned int gi = 0; gi < GPORTS; gi++) {
		char name[32];
		struct rte_eth_conf conf = {0};

		snprintf(name, sizeof(name), "net_memif%u", gi);
		if (rte_eth_dev_get_port_by_name(name, &gport[gi]) != 0 ||
			rte_eth_dev_configure(gport[gi], 1, 1, &conf) != 0 ||
			rte_eth_rx_queue_setup(gport[gi], 0, MEMIF_SLOTS, 0, NULL, gpool) != 0 ||
			rte_eth_tx_queue_setup(gport[gi], 0, MEMIF_SLOTS, 0, NULL) != 0 ||
			rte_eth_dev_start(gport[gi]) != 0) {
			fprintf(stderr, "bench_memif: memif server port %u failed\n", gi);
			return 1;
		}
	}
	for (unsigned int pi = 0; pi < NPORTS; pi++) {
		struct rte_ether_addr mac;

		sut_mac(pi, &mac);
		for (unsigned int h = 0; h < NHOSTS; h++)
			tmpl_build(tmpl[pi][h], &mac, pi, h, RTP_LEN);
	}
	printf("bench_memif: %u pairs of %u ms phases per stream count, %u packets in flight, "
	       "G.711 20 ms frames (%u-byte RTP, %u-byte frames), net_memif copy mode, socket "
	       "%s; generator on CPU 0, both systems under test on CPU 1, one stopped while the "
	       "other is measured\n",
		pairs, phase_ms, window, RTP_LEN, HDRS + RTP_LEN, sock);
	fflush(stdout);

	static struct run runs[2 * MAX_RUNS];
	for (unsigned int i = 0; i < nstreams; i++)
		measure(&runs[2 * i], &runs[2 * i + 1], streams[i], pairs, phase_ms, window, sock,
			self);

	printf("\n| system under test (CPU 1) | streams | Mpps best / median | cycles/pkt | ns/pkt "
	       "| busy | capacity Mpps | hotline / testpmd io |\n");
	printf("| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |\n");
	for (unsigned int i = 0; i < 2 * nstreams; i++)
		row(&runs[i], runs[i].tpmd ? NULL : &runs[i - 1]);
	printf("\n(Mpps: correct frames back at the generator per phase, best and median; "
	       "cycles/pkt, median of phases: hotline's worker busy cycles per relayed packet, "
	       "testpmd's --record-core-cycles per received packet; capacity = TSC %.2f GHz / "
	       "cycles; hotline / testpmd: testpmd's cycles over hotline's in each pair of "
	       "adjacent phases, median (lowest-highest), and the median pair's wall-rate ratio; "
	       "memory: %s)\n",
		hz / 1e9,
		huge ? "2 MiB hugepages" :
		       "4 KiB pages (--no-huge; free hugepages or HL_BENCH_HUGE=1 for the deployed case)");
	int fail = 0;
	for (unsigned int i = 0; i < 2 * nstreams; i++) {
		const struct run *r = &runs[i];
		printf("  %s, %u streams: %s%s\n", r->tpmd ? "testpmd" : "hotline", r->n, r->notes,
			r->ok ? "" : "  <-- PROBLEM");
		fail |= !r->ok;
	}
	printf("\ntarget (issue #5): hotline >= 50%% of testpmd io-forward over memif (median of "
	       "the pairs' capacity ratios)\n");
	for (unsigned int i = 0; i < nstreams; i++) {
		const struct run *t = &runs[2 * i], *h = &runs[2 * i + 1];
		double c[MAX_PH], w[MAX_PH];
		unsigned int np = t->done && h->done ? pair_ratios(t, h, c, w) : 0;

		if (np == 0) {
			printf("  %6u streams: not measured\n", h->n);
			continue;
		}
		double cap = median_of(c, np), tb = median_of(t->busy, t->nph);
		printf("  %6u streams: %u pairs, hotline %.0f cycles/pkt vs testpmd %.0f (medians); "
		       "per pair %.1f%% of testpmd's capacity (%.1f-%.1f%%) -> >= 50%%: %s; wall "
		       "%.0f%% (testpmd busy %.0f%%%s)\n",
			h->n, np, median_of(h->cpp, h->nph), median_of(t->cpp, t->nph), 100 * cap,
			100 * min_of(c, np), 100 * max_of(c, np),
			cap >= 0.5 && h->ok && t->ok ? "met" : "NOT met", 100 * median_of(w, np),
			100 * tb, tb < 0.9 ? ": not saturated, the generator was the limit" : "");
	}
	fflush(stdout);
	for (unsigned int pi = 0; pi < GPORTS; pi++) {
		rte_eth_dev_stop(gport[pi]);
		rte_eth_dev_close(gport[pi]);
	}
	rte_eal_cleanup();
	unlink(sock);
	rmdir(dir);
	return fail ? 1 : 0;
}
