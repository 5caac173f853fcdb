/*
 * rtp_sockgen.c: socket-based RTP load generator that measures a userspace RTP
 * relay (rtpengine without its kernel module) on loopback: the relay's CPU time
 * per relayed packet, at stepped offered rates up to saturation.
 *
 * One process, meant to be pinned to a core other than the relay's:
 *
 *  1. Sessions. Creates the calls through rtpengine's ng control protocol
 *     (bencoded dictionaries over UDP, "<cookie> <dict>"): for call i an "offer"
 *     whose SDP names side A (127.0.0.1, port of A socket i%K) and an "answer"
 *     whose SDP names side B (127.0.0.1, port of B socket i%K). The SDP returned
 *     for the offer holds the relay's B-facing port (where B sends to reach A),
 *     the one returned for the answer its A-facing port (where A sends to reach
 *     B). Both sides offer a=rtcp-mux and the requests carry rtcp-mux
 *     [accept, require], so rtpengine opens one socket per side and call instead
 *     of two (-x turns that off). Requests are pipelined (-w calls in flight) and
 *     retransmitted with the same cookie (rtpengine answers a repeated cookie
 *     from its cache). With several relays (-n a,b,..) call i goes to relay
 *     i % count. Every address used is checked to be in 127.0.0.0/8: nothing is
 *     sent anywhere else.
 *
 *  2. Streams. By default each call carries two streams, A->B and B->A, as a
 *     real call does (-u: A->B only, one stream per call). Packets are G.711
 *     sized RTP: 12-byte header + 160 bytes of PCMU silence, payload type 0,
 *     SSRC = base + stream, sequence +1 and timestamp +160 per packet of that
 *     stream. Each side has K sockets (-k); a socket sends its streams round
 *     robin with sendmmsg() and receives the relayed packets of the other
 *     direction with recvmmsg() (SO_RCVBUF 32 MiB, SO_RXQ_OVFL for its drops),
 *     counted by SSRC. Pacing is a token bucket on CLOCK_MONOTONIC (busy loop:
 *     the generator owns its core).
 *
 *  3. Warm-up: two packets per stream, then a check that packets come out at the
 *     far side (exit 3 when next to none do: nothing is being relayed).
 *
 *  4. Steps. A step offers a rate for S seconds (-t), then stops sending and
 *     receives until the far side has been quiet for 50 ms (at most 3 s): the
 *     relay works through its socket queues after we stop, and that work belongs
 *     to the step (stragglers after that are taken, uncounted, before the next
 *     step: late_prev). A step is cut short when the relay falls more than 24
 *     packets per stream behind: rtpengine stops reading, for good, a socket that
 *     had more than 50 packets queued at a read event 5 times (its receive-loop
 *     protection), so overload must be left before streams die.
 *
 *  5. CPU, read at both ends of each step's window:
 *     - the relays: utime+stime of /proc/PID/stat (all threads), cross-checked
 *       with the sum of /proc/PID/task/TID/schedstat;
 *     - ksoftirqd/CPU of the relay core: softirq work the kernel defers from the
 *       relay's context (under load, the loopback delivery of what it sends);
 *     - the relay core's busy time from /proc/stat: wall - idle - iowait - steal
 *       (the kernel keeps idle time exactly); it also holds wake-up costs that
 *       belong to no process, and whatever else ran on that core;
 *     - contention: time the relay's threads and the generator were runnable but
 *       not running (schedstat run_delay), the CPU of every other process
 *       (others_pct), and the hypervisor's steal on both cores. A contended step
 *       (others > 10% of a core, generator waited > 5%, steal > 5% on either
 *       core, or with -W the relay waited > 5%) is printed as DISCARDED and run
 *       once more if the budget allows.
 *
 *     us_per_pkt         = relay process CPU s / relayed packets * 1e6
 *     us_per_pkt_softirq = (relay process + ksoftirqd) CPU s / relayed * 1e6
 *     us_per_pkt_core    = relay core busy s / relayed packets * 1e6
 *     relayed_pps        = relayed packets / (first send .. last packet relayed)
 *     loss_pct           = 1 - relayed / sent
 *
 *  6. Rates. A step "keeps up" when loss <= 0.5%, the relay finished its queues
 *     within 100 ms of the end of sending, and it was not cut short. The rate
 *     starts at -R and grows by -f while steps keep up; after the first step that
 *     does not, it bisects between the best rate kept up and the lowest one not,
 *     until the two are within 5%. It also stops after -m steps, when the budget
 *     -b is spent, when the generator cannot offer the rate, or when streams
 *     died. -r gives a fixed list of rates instead ("0" = unpaced).
 *
 * Output: one line per phase on stdout, "KEY k=v ..." (SETUP, WARMUP, IDLE,
 * DISCARDED, STEP, DONE), for bench/bench_rtpengine.sh to tabulate; progress and
 * errors go to stderr. Exit status: 0, 2 on errors, 3 when nothing is relayed.
 *
 * Build: cc -O2 -Wall -Wextra -std=c11 -o rtp_sockgen bench/rtp_sockgen.c
 * Run:   rtp_sockgen -n 127.0.0.1:PORT[,...] -s STREAMS -p RELAY_PID[,...] [-c CPU]
 *                    [-t STEP_SECS] [-k SOCKETS] [-R START_PPS] [-f FACTOR]
 *                    [-m MAX_STEPS] [-b BUDGET_SECS] [-r PPS,...] [-w WINDOW]
 *                    [-u] [-x] [-W]
 *        rtp_sockgen -P -n 127.0.0.1:PORT[,...]  (waits for every relay's ng pong)
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define RTP_HDR		  12
#define RTP_PAYLOAD	  160
#define RTP_LEN		  (RTP_HDR + RTP_PAYLOAD)
#define BATCH		  64
#define MAX_SOCKS	  64 /* per side */
#define MAX_RELAYS	  32
#define MAX_RATES	  32
#define SSRC_BASE	  0x48550000u
#define NG_TRIES	  6
#define NG_RETX_S	  1.0
#define NG_DEADLINE_S	  240.0
#define DRAIN_QUIET_S	  0.050
#define DRAIN_MAX_S	  3.0
#define BEHIND_PER_STREAM 24
#define KEEP_LOSS_PCT	  0.5
#define KEEP_DRAIN_S	  0.100
#define BISECT_PREC	  0.05

struct stream {
	struct sockaddr_in dst; /* the relay port this stream is sent to */
	uint16_t seq;
	uint32_t ts;
};

struct cpu_sample {
	double t;	   /* CLOCK_MONOTONIC, seconds */
	double proc_s;	   /* relays' utime+stime */
	double sched_s;	   /* relays' run time from schedstat */
	double wait_s;	   /* relays' time runnable but not running */
	double self_wait;  /* the generator's, likewise */
	double core_idle;  /* relay core idle + iowait */
	double core_steal; /* relay core steal */
	double gen_steal;  /* the generator's core's steal */
	double softirqd_s; /* ksoftirqd of the relay core */
	double self_s;	   /* generator's own CPU */
	uint64_t rcvbuf_errors, backlog_drops;
};

struct step_result {
	double target, offered_pps, relayed_pps, loss_pct, window_s, drain_s;
	double rtpe_pct, sched_pct, softirqd_pct, core_pct, steal_pct, gen_steal_pct, gen_pct;
	double rtpe_wait_pct, gen_wait_pct, gen_rxq_kb, others_pct;
	double us_pkt, us_pkt_sched, us_pkt_softirq, us_pkt_core;
	uint64_t sent, relayed, relay_drops, backlog_drops, late_prev;
	uint32_t rx_drops;
	unsigned seen;
	bool drain_timeout, cut_short;
};

static struct {
	struct sockaddr_in ng[MAX_RELAYS];
	unsigned nng;
	int pids[MAX_RELAYS];
	unsigned npids;
	unsigned streams;
	int cpu;
	double step_s;
	unsigned k;
	double start_pps, factor;
	unsigned max_steps;
	double budget_s;
	double rates[MAX_RATES];
	unsigned nrates;
	unsigned window;
	bool unidir, no_mux, relay_wait;
} opt = {
	.streams = 1000,
	.cpu = 1,
	.step_s = 3.0,
	.k = 4,
	.start_pps = 40000,
	.factor = 1.25,
	.max_steps = 16,
	.budget_s = 70,
	.window = 64,
};

static unsigned ncalls;
static struct stream *streams;
static uint32_t *rx_seen; /* per stream: packets received in the current phase */

/* Sockets: side A is 0..K-1, side B is K..2K-1; each sends and receives. */
static int sock_fd[2 * MAX_SOCKS];
static uint16_t sock_port[2 * MAX_SOCKS];
static uint32_t sock_ovfl[2 * MAX_SOCKS];
static uint32_t *sock_streams[2 * MAX_SOCKS]; /* streams this socket sends */
static unsigned sock_nstreams[2 * MAX_SOCKS], sock_cur[2 * MAX_SOCKS];
static unsigned nsocks;
static long clk_tck;

static void die(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));
static void
die(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("rtp_sockgen: ", stderr);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(2);
}

static double
now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static bool
is_loopback(const struct in_addr *a)
{
	return (ntohl(a->s_addr) >> 24) == 127;
}

/* Stream s belongs to call stream_call(s); direction 0 is A->B, 1 is B->A. */
static unsigned
stream_call(unsigned s)
{
	return opt.unidir ? s : s / 2;
}

static unsigned
stream_dir(unsigned s)
{
	return opt.unidir ? 0 : s % 2;
}

/* ---------------------------------------------------------------- CPU accounting */

/* utime+stime of pid (all its threads) in seconds; -1 if it cannot be read. */
static double
proc_cpu_try(int pid)
{
	char path[64], buf[2048];
	snprintf(path, sizeof path, "/proc/%d/stat", pid);
	int fd = open(path, O_RDONLY);
	if (fd < 0)
		return -1;
	ssize_t len = read(fd, buf, sizeof buf - 1);
	close(fd);
	if (len <= 0)
		return -1;
	buf[len] = '\0';
	/* After the comm's closing parenthesis: field 3 (state) ... 14 utime, 15 stime. */
	char *p = strrchr(buf, ')');
	if (!p || p[1] != ' ' || !p[2])
		return -1;
	p += 3; /* skip ") " and the state character */
	unsigned long long v = 0, ut = 0, st = 0;
	for (int field = 4; field <= 15; field++) {
		v = strtoull(p, &p, 10);
		if (field == 14)
			ut = v;
		else if (field == 15)
			st = v;
	}
	return (double)(ut + st) / (double)clk_tck;
}

static double
proc_cpu_s(int pid)
{
	double v = proc_cpu_try(pid);
	if (v < 0)
		die("cannot read /proc/%d/stat (relay gone?)", pid);
	return v;
}

/*
 * CPU used by every other process on the host (kernel threads included) between
 * others_begin() and others_end(): other programs that competed for the cores.
 */
#define MAX_OTHERS 8192
static struct other {
	int pid;
	double cpu;
} others[MAX_OTHERS];
static unsigned nothers;
static int softirqd_pid = -1; /* ksoftirqd/<relay cpu>, counted apart */
static int gen_cpu;	      /* the core this generator runs on (pinned) */

static bool
is_ours(int pid)
{
	if (pid == (int)getpid() || pid == softirqd_pid)
		return true;
	for (unsigned i = 0; i < opt.npids; i++)
		if (pid == opt.pids[i])
			return true;
	return false;
}

/* Calls fn(pid, cpu seconds) for every process that is not ours. */
static void
for_each_other(void (*fn)(int, double, void *), void *arg)
{
	DIR *d = opendir("/proc");
	if (!d)
		return;
	struct dirent *e;
	while ((e = readdir(d))) {
		if (!isdigit((unsigned char)e->d_name[0]))
			continue;
		int pid = atoi(e->d_name);
		if (is_ours(pid))
			continue;
		double cpu = proc_cpu_try(pid);
		if (cpu >= 0)
			fn(pid, cpu, arg);
	}
	closedir(d);
}

static void
others_store(int pid, double cpu, void *arg)
{
	(void)arg;
	if (nothers < MAX_OTHERS)
		others[nothers++] = (struct other){pid, cpu};
}

static void
others_diff(int pid, double cpu, void *arg)
{
	double *sum = arg, before = 0; /* a process started since counts whole */
	for (unsigned i = 0; i < nothers; i++)
		if (others[i].pid == pid) {
			before = others[i].cpu;
			break;
		}
	if (cpu > before)
		*sum += cpu - before;
}

static void
others_begin(void)
{
	nothers = 0;
	for_each_other(others_store, NULL);
}

static double
others_end(void)
{
	double sum = 0;
	for_each_other(others_diff, &sum);
	return sum;
}

/*
 * Sum over the threads of pid of /proc/PID/task/TID/schedstat: run time and time
 * spent runnable but waiting for a CPU (ns; the latter shows CPU contention).
 */
static double
sched_cpu_s(int pid, double *wait_s)
{
	char path[64];
	snprintf(path, sizeof path, "/proc/%d/task", pid);
	DIR *d = opendir(path);
	if (!d)
		die("open %s: %s (relay gone?)", path, strerror(errno));
	double sum = 0;
	struct dirent *e;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		char p2[128];
		snprintf(p2, sizeof p2, "/proc/%d/task/%.20s/schedstat", pid, e->d_name);
		FILE *f = fopen(p2, "r");
		if (!f)
			continue; /* the thread has exited */
		unsigned long long ns = 0, wait = 0;
		if (fscanf(f, "%llu %llu", &ns, &wait) == 2) {
			sum += (double)ns * 1e-9;
			*wait_s += (double)wait * 1e-9;
		}
		fclose(f);
	}
	closedir(d);
	return sum;
}

/* The relay core's idle (+iowait) and steal time from /proc/stat, seconds. */
static void
core_cpu_s(int cpu, double *idle_s, double *steal_s)
{
	char want[16], line[512];
	snprintf(want, sizeof want, "cpu%d ", cpu);
	FILE *f = fopen("/proc/stat", "r");
	if (!f)
		die("open /proc/stat");
	*idle_s = *steal_s = 0;
	while (fgets(line, sizeof line, f)) {
		if (strncmp(line, want, strlen(want)) != 0)
			continue;
		/* user nice system idle iowait irq softirq steal */
		unsigned long long v[8] = {0};
		if (sscanf(line + strlen(want), "%llu %llu %llu %llu %llu %llu %llu %llu", &v[0],
			    &v[1], &v[2], &v[3], &v[4], &v[5], &v[6], &v[7]) < 8)
			die("parse /proc/stat");
		*idle_s = (double)(v[3] + v[4]) / (double)clk_tck;
		*steal_s = (double)v[7] / (double)clk_tck;
		break;
	}
	fclose(f);
}

/*
 * The pid of ksoftirqd/<cpu>: softirq work that the kernel defers from the relay's
 * context (under load, the loopback delivery of what the relay sends) runs there.
 */
static int
find_softirqd(int cpu)
{
	char want[32], path[64], comm[64];
	snprintf(want, sizeof want, "ksoftirqd/%d\n", cpu);
	DIR *d = opendir("/proc");
	if (!d)
		return -1;
	int pid = -1;
	struct dirent *e;
	while (pid < 0 && (e = readdir(d))) {
		if (!isdigit((unsigned char)e->d_name[0]))
			continue;
		snprintf(path, sizeof path, "/proc/%.20s/comm", e->d_name);
		FILE *f = fopen(path, "r");
		if (!f)
			continue;
		if (fgets(comm, sizeof comm, f) && strcmp(comm, want) == 0)
			pid = atoi(e->d_name);
		fclose(f);
	}
	closedir(d);
	return pid;
}

/* UDP receive-buffer overflows (all sockets) and backlog drops (all CPUs). */
static void
drop_counters(uint64_t *rcvbuf_errors, uint64_t *backlog_drops)
{
	char line[1024], hdr[1024] = "";
	*rcvbuf_errors = *backlog_drops = 0;
	FILE *f = fopen("/proc/net/snmp", "r");
	if (f) {
		while (fgets(line, sizeof line, f)) {
			if (strncmp(line, "Udp: ", 5) != 0)
				continue;
			if (!hdr[0]) {
				memcpy(hdr, line, sizeof hdr);
				continue;
			}
			int col = -1, c = 0;
			char *save;
			for (char *t = strtok_r(hdr + 5, " \n", &save); t;
				t = strtok_r(NULL, " \n", &save), c++)
				if (strcmp(t, "RcvbufErrors") == 0)
					col = c;
			c = 0;
			for (char *t = strtok_r(line + 5, " \n", &save); t;
				t = strtok_r(NULL, " \n", &save), c++)
				if (c == col)
					*rcvbuf_errors = strtoull(t, NULL, 10);
			break;
		}
		fclose(f);
	}
	f = fopen("/proc/net/softnet_stat", "r");
	if (f) {
		while (fgets(line, sizeof line, f)) {
			unsigned long long processed, dropped;
			if (sscanf(line, "%llx %llx", &processed, &dropped) == 2)
				*backlog_drops += dropped;
		}
		fclose(f);
	}
}

static void
sample(struct cpu_sample *s)
{
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	s->self_s = (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec * 1e-6 +
		    (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec * 1e-6;
	s->proc_s = s->sched_s = s->wait_s = s->self_wait = 0;
	for (unsigned i = 0; i < opt.npids; i++) {
		s->proc_s += proc_cpu_s(opt.pids[i]);
		s->sched_s += sched_cpu_s(opt.pids[i], &s->wait_s);
	}
	(void)sched_cpu_s((int)getpid(), &s->self_wait);
	s->softirqd_s = softirqd_pid > 0 ? proc_cpu_s(softirqd_pid) : 0;
	core_cpu_s(opt.cpu, &s->core_idle, &s->core_steal);
	double gen_idle;
	core_cpu_s(gen_cpu, &gen_idle, &s->gen_steal);
	drop_counters(&s->rcvbuf_errors, &s->backlog_drops);
	s->t = now_s();
}

/* ---------------------------------------------------------------- sockets */

static int
udp_socket(uint16_t *port_out)
{
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		die("socket: %s", strerror(errno));
	int rcv = 32 << 20, snd = 4 << 20, one = 1;
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcv, sizeof rcv) < 0)
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcv, sizeof rcv);
	if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &snd, sizeof snd) < 0)
		setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &snd, sizeof snd);
	setsockopt(fd, SOL_SOCKET, SO_RXQ_OVFL, &one, sizeof one);
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	if (bind(fd, (struct sockaddr *)&a, sizeof a) < 0)
		die("bind: %s", strerror(errno));
	socklen_t al = sizeof a;
	getsockname(fd, (struct sockaddr *)&a, &al);
	*port_out = ntohs(a.sin_port);
	return fd;
}

static unsigned
sock_a(unsigned call)
{
	return call % opt.k;
}

static unsigned
sock_b(unsigned call)
{
	return opt.k + call % opt.k;
}

/* ---------------------------------------------------------------- bencode (ng) */

static size_t
benc_str(char *out, size_t cap, const char *s)
{
	int n = snprintf(out, cap, "%zu:%s", strlen(s), s);
	return n < 0 ? 0 : (size_t)n;
}

/* Skips one bencoded value at *p; false on malformed input. */
static bool
bskip(const char **p, const char *end, int depth)
{
	if (*p >= end || depth > 16)
		return false;
	char c = **p;
	if (c == 'i') {
		const char *e = memchr(*p, 'e', (size_t)(end - *p));
		if (!e)
			return false;
		*p = e + 1;
		return true;
	}
	if (c == 'l' || c == 'd') {
		(*p)++;
		while (*p < end && **p != 'e')
			if (!bskip(p, end, depth + 1))
				return false;
		if (*p >= end)
			return false;
		(*p)++;
		return true;
	}
	if (isdigit((unsigned char)c)) {
		size_t len = 0;
		while (*p < end && isdigit((unsigned char)**p))
			len = len * 10 + (size_t)(*(*p)++ - '0');
		if (*p >= end || **p != ':' || (size_t)(end - *p - 1) < len)
			return false;
		*p += 1 + len;
		return true;
	}
	return false;
}

/* Finds the string value of key in the dictionary at [p, end). */
static bool
bdict_str(const char *p, const char *end, const char *key, const char **val, size_t *vlen)
{
	if (p >= end || *p != 'd')
		return false;
	p++;
	size_t want = strlen(key);
	while (p < end && *p != 'e') {
		const char *k = p;
		if (!bskip(&p, end, 0) || !isdigit((unsigned char)*k))
			return false;
		size_t klen = strtoul(k, NULL, 10);
		k = (const char *)memchr(k, ':', (size_t)(p - k)) + 1;
		const char *v = p;
		if (!bskip(&p, end, 0))
			return false;
		if (klen == want && memcmp(k, key, klen) == 0 && isdigit((unsigned char)*v)) {
			*vlen = strtoul(v, NULL, 10);
			*val = (const char *)memchr(v, ':', (size_t)(p - v)) + 1;
			return true;
		}
	}
	return false;
}

/* ---------------------------------------------------------------- ng session setup */

enum { ST_IDLE, ST_OFFER, ST_ANSWER, ST_DONE };

struct ngcall {
	uint8_t state;
	uint8_t tries;
	double sent_at;
};

static int ng_fd;
static unsigned ng_requests, ng_retx;

static void
ng_send(unsigned call, uint8_t state)
{
	char sdp[512], msg[1024], cid[64];
	uint16_t port = sock_port[state == ST_OFFER ? sock_a(call) : sock_b(call)];
	snprintf(cid, sizeof cid, "hlbench-%d-%u", (int)getpid(), call);
	snprintf(sdp, sizeof sdp,
		"v=0\r\no=- %u 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
		"m=audio %u RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\na=sendrecv\r\n%s",
		call + 1, port, opt.no_mux ? "" : "a=rtcp-mux\r\n");
	/* Keys in bencode order: call-id command from-tag [rtcp-mux] sdp [to-tag]. */
	size_t n = (size_t)snprintf(msg, sizeof msg, "%c%u d", state == ST_OFFER ? 'o' : 'a', call);
	n += benc_str(msg + n, sizeof msg - n, "call-id");
	n += benc_str(msg + n, sizeof msg - n, cid);
	n += benc_str(msg + n, sizeof msg - n, "command");
	n += benc_str(msg + n, sizeof msg - n, state == ST_OFFER ? "offer" : "answer");
	n += benc_str(msg + n, sizeof msg - n, "from-tag");
	n += benc_str(msg + n, sizeof msg - n, "fa");
	if (!opt.no_mux) {
		n += benc_str(msg + n, sizeof msg - n, "rtcp-mux");
		n += (size_t)snprintf(msg + n, sizeof msg - n, "l6:accept7:requiree");
	}
	n += benc_str(msg + n, sizeof msg - n, "sdp");
	n += benc_str(msg + n, sizeof msg - n, sdp);
	if (state == ST_ANSWER) {
		n += benc_str(msg + n, sizeof msg - n, "to-tag");
		n += benc_str(msg + n, sizeof msg - n, "tb");
	}
	if (n + 2 > sizeof msg)
		die("ng message too long");
	msg[n++] = 'e';
	const struct sockaddr_in *to = &opt.ng[call % opt.nng];
	if (sendto(ng_fd, msg, n, 0, (const struct sockaddr *)to, sizeof *to) < 0 &&
		errno != EAGAIN && errno != ENOBUFS)
		die("ng sendto: %s", strerror(errno));
	ng_requests++;
}

/* The relay's address in an SDP body: the c= line and the audio m= port. */
static bool
sdp_addr(const char *sdp, size_t len, struct sockaddr_in *out)
{
	char buf[2048], ip[64];
	if (len >= sizeof buf)
		return false;
	memcpy(buf, sdp, len);
	buf[len] = '\0';
	const char *c = strstr(buf, "c=IN IP4 "), *m = strstr(buf, "m=audio ");
	if (!c || !m)
		return false;
	size_t il = strcspn(c + 9, "\r\n /");
	if (il >= sizeof ip)
		return false;
	memcpy(ip, c + 9, il);
	ip[il] = '\0';
	memset(out, 0, sizeof *out);
	out->sin_family = AF_INET;
	if (inet_pton(AF_INET, ip, &out->sin_addr) != 1)
		return false;
	long port = strtol(m + 8, NULL, 10);
	if (port <= 0 || port > 65535)
		return false;
	out->sin_port = htons((uint16_t)port);
	return true;
}

/* The reply to offer/answer for call: where its streams are to be sent. */
static void
ng_reply_sdp(unsigned call, bool offer, const char *dict, const char *end)
{
	const char *v;
	size_t vl;
	struct sockaddr_in relay;
	if (!bdict_str(dict, end, "sdp", &v, &vl) || !sdp_addr(v, vl, &relay))
		die("ng %s for call %u: no usable SDP in the reply", offer ? "offer" : "answer",
			call);
	if (!is_loopback(&relay.sin_addr))
		die("relay address for call %u is not in 127.0.0.0/8: refusing", call);
	/* The offer's SDP goes to B: the B-facing port, where B->A is sent. */
	if (opt.unidir) {
		if (!offer)
			streams[call].dst = relay;
	} else {
		streams[2 * call + (offer ? 1 : 0)].dst = relay;
	}
}

/* -P: pings every relay until each has answered "pong" (at most 10 s); 0 if all did. */
static int
ng_ping_all(void)
{
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		die("socket: %s", strerror(errno));
	bool ok[MAX_RELAYS] = {false};
	unsigned left = opt.nng;
	double t0 = now_s();
	while (left && now_s() - t0 < 10.0) {
		for (unsigned i = 0; i < opt.nng; i++) {
			if (ok[i])
				continue;
			char msg[64];
			int n = snprintf(msg, sizeof msg, "p%u d7:command4:pinge", i);
			sendto(fd, msg, (size_t)n, 0, (const struct sockaddr *)&opt.ng[i],
				sizeof opt.ng[i]);
		}
		struct pollfd pfd = {.fd = fd, .events = POLLIN};
		poll(&pfd, 1, 100);
		char buf[512];
		ssize_t len;
		while ((len = recv(fd, buf, sizeof buf - 1, 0)) > 0) {
			buf[len] = '\0';
			char *sp;
			unsigned long i = strtoul(buf + 1, &sp, 10);
			if (buf[0] == 'p' && *sp == ' ' && i < opt.nng && !ok[i] &&
				strstr(sp, "pong")) {
				ok[i] = true;
				left--;
			}
		}
	}
	close(fd);
	return left ? 1 : 0;
}

static void
ng_setup(void)
{
	struct ngcall *calls = calloc(ncalls, sizeof *calls);
	if (!calls)
		die("out of memory");
	ng_fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (ng_fd < 0)
		die("socket: %s", strerror(errno));
	int big = 8 << 20;
	setsockopt(ng_fd, SOL_SOCKET, SO_RCVBUFFORCE, &big, sizeof big);
	double t0 = now_s(), last_scan = t0, last_report = t0;
	unsigned next = 0, low = 0, done = 0, inflight = 0;
	char buf[4096];
	while (done < ncalls) {
		double t = now_s();
		if (t - t0 > NG_DEADLINE_S)
			die("ng setup: %u of %u calls after %.0f s", done, ncalls, NG_DEADLINE_S);
		while (inflight < opt.window && next < ncalls) {
			calls[next] = (struct ngcall){.state = ST_OFFER, .tries = 1, .sent_at = t};
			ng_send(next, ST_OFFER);
			next++;
			inflight++;
		}
		struct pollfd pfd = {.fd = ng_fd, .events = POLLIN};
		poll(&pfd, 1, 20);
		for (int r = 0; r < 256; r++) {
			ssize_t len = recv(ng_fd, buf, sizeof buf - 1, 0);
			if (len < 0)
				break;
			buf[len] = '\0';
			char kind = buf[0], *sp;
			unsigned long i = strtoul(buf + 1, &sp, 10);
			if ((kind != 'o' && kind != 'a') || *sp != ' ' || i >= ncalls)
				continue;
			struct ngcall *c = &calls[i];
			bool offer = kind == 'o';
			if (c->state != (offer ? ST_OFFER : ST_ANSWER))
				continue; /* a reply to a retransmission */
			const char *dict = sp + 1, *end = buf + len, *v;
			size_t vl;
			if (!bdict_str(dict, end, "result", &v, &vl) || vl != 2 ||
				memcmp(v, "ok", 2)) {
				const char *er = "?";
				size_t el = 1;
				bdict_str(dict, end, "error-reason", &er, &el);
				die("ng %s for call %lu failed: %.*s", offer ? "offer" : "answer",
					i, (int)el, er);
			}
			ng_reply_sdp((unsigned)i, offer, dict, end);
			if (offer) {
				*c = (struct ngcall){
					.state = ST_ANSWER, .tries = 1, .sent_at = now_s()};
				ng_send((unsigned)i, ST_ANSWER);
			} else {
				c->state = ST_DONE;
				inflight--;
				done++;
			}
		}
		t = now_s();
		if (t - last_scan > 0.2) {
			last_scan = t;
			while (low < next && calls[low].state == ST_DONE)
				low++;
			for (unsigned i = low; i < next; i++) {
				struct ngcall *c = &calls[i];
				if (c->state == ST_DONE || t - c->sent_at < NG_RETX_S)
					continue;
				if (c->tries >= NG_TRIES)
					die("ng: call %u got no reply after %d tries", i, NG_TRIES);
				c->tries++;
				c->sent_at = t;
				ng_retx++;
				ng_send(i, c->state);
			}
		}
		if (t - last_report > 5) {
			last_report = t;
			fprintf(stderr, "  ng setup: %u/%u calls\n", done, ncalls);
		}
	}
	double secs = now_s() - t0;
	printf("SETUP streams=%u calls=%u relays=%u secs=%.2f calls_per_s=%.0f ng_requests=%u"
	       " ng_retx=%u\n",
		opt.streams, ncalls, opt.nng, secs, ncalls / secs, ng_requests, ng_retx);
	fflush(stdout);
	free(calls);
	close(ng_fd);
}

/* ---------------------------------------------------------------- traffic */

static uint8_t tx_buf[BATCH][RTP_LEN];
static struct mmsghdr tx_msgs[BATCH];
static struct iovec tx_iov[BATCH];
static uint8_t rx_buf[BATCH][2048];
static struct mmsghdr rx_msgs[BATCH];
static struct iovec rx_iov[BATCH];
static char rx_ctl[BATCH][CMSG_SPACE(sizeof(uint32_t))];

static void
traffic_init(void)
{
	for (unsigned b = 0; b < BATCH; b++) {
		memset(tx_buf[b], 0xff, RTP_LEN); /* PCMU silence */
		tx_buf[b][0] = 0x80;		  /* V=2, no padding, extension or CSRC */
		tx_buf[b][1] = 0;		  /* M=0, PT 0 (PCMU) */
		tx_iov[b] = (struct iovec){.iov_base = tx_buf[b], .iov_len = RTP_LEN};
		tx_msgs[b].msg_hdr.msg_iov = &tx_iov[b];
		tx_msgs[b].msg_hdr.msg_iovlen = 1;
		tx_msgs[b].msg_hdr.msg_namelen = sizeof(struct sockaddr_in);
		rx_iov[b] = (struct iovec){.iov_base = rx_buf[b], .iov_len = sizeof rx_buf[b]};
		rx_msgs[b].msg_hdr.msg_iov = &rx_iov[b];
		rx_msgs[b].msg_hdr.msg_iovlen = 1;
	}
	for (unsigned s = 0; s < opt.streams; s++) {
		streams[s].seq = (uint16_t)(s * 7919u);
		streams[s].ts = s * 104729u;
		unsigned c = stream_call(s);
		unsigned j = stream_dir(s) == 0 ? sock_a(c) : sock_b(c);
		sock_streams[j][sock_nstreams[j]++] = s;
	}
}

/* Sends up to want packets from socket j, round robin over its streams. */
static unsigned
send_batch(unsigned j, unsigned want)
{
	unsigned per = sock_nstreams[j];
	if (per == 0)
		return 0;
	if (want > BATCH)
		want = BATCH;
	unsigned cur = sock_cur[j];
	for (unsigned b = 0; b < want; b++) {
		unsigned s = sock_streams[j][cur];
		struct stream *st = &streams[s];
		uint8_t *p = tx_buf[b];
		uint16_t seq = htons(st->seq);
		uint32_t ts = htonl(st->ts), ssrc = htonl(SSRC_BASE + s);
		memcpy(p + 2, &seq, 2);
		memcpy(p + 4, &ts, 4);
		memcpy(p + 8, &ssrc, 4);
		tx_msgs[b].msg_hdr.msg_name = &st->dst;
		if (++cur == per)
			cur = 0;
	}
	int r = sendmmsg(sock_fd[j], tx_msgs, want, MSG_DONTWAIT);
	if (r < 0) {
		if (errno == EAGAIN || errno == ENOBUFS || errno == ECONNREFUSED)
			return 0;
		die("sendmmsg: %s", strerror(errno));
	}
	/* Only the packets actually sent advance their stream and the cursor. */
	cur = sock_cur[j];
	for (int b = 0; b < r; b++) {
		struct stream *st = &streams[sock_streams[j][cur]];
		st->seq++;
		st->ts += RTP_PAYLOAD;
		if (++cur == per)
			cur = 0;
	}
	sock_cur[j] = cur;
	return (unsigned)r;
}

/* Takes what is queued on the sockets (bounded); returns relayed packets counted. */
static uint64_t
recv_all(void)
{
	uint64_t got = 0;
	for (unsigned j = 0; j < nsocks; j++) {
		for (int rounds = 0; rounds < 8; rounds++) {
			for (unsigned b = 0; b < BATCH; b++) {
				rx_msgs[b].msg_hdr.msg_control = rx_ctl[b];
				rx_msgs[b].msg_hdr.msg_controllen = sizeof rx_ctl[b];
			}
			int r = recvmmsg(sock_fd[j], rx_msgs, BATCH, MSG_DONTWAIT, NULL);
			if (r <= 0)
				break;
			for (int b = 0; b < r; b++) {
				const uint8_t *p = rx_buf[b];
				if (rx_msgs[b].msg_len != RTP_LEN || (p[0] & 0xc0) != 0x80)
					continue;
				uint32_t ssrc;
				memcpy(&ssrc, p + 8, 4);
				uint32_t s = ntohl(ssrc) - SSRC_BASE;
				if (s < opt.streams) {
					rx_seen[s]++;
					got++;
				}
			}
			struct msghdr *h = &rx_msgs[r - 1].msg_hdr;
			for (struct cmsghdr *c = CMSG_FIRSTHDR(h); c; c = CMSG_NXTHDR(h, c))
				if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SO_RXQ_OVFL)
					memcpy(&sock_ovfl[j], CMSG_DATA(c), sizeof(uint32_t));
			if (r < BATCH)
				break;
		}
	}
	return got;
}

/* Bytes waiting in our own receive queues (SO_MEMINFO): is the generator keeping up? */
static uint64_t
own_rxq_bytes(void)
{
	uint64_t sum = 0;
	for (unsigned j = 0; j < nsocks; j++) {
		uint32_t mi[SK_MEMINFO_VARS] = {0};
		socklen_t len = sizeof mi;
		if (getsockopt(sock_fd[j], SOL_SOCKET, SO_MEMINFO, mi, &len) == 0)
			sum += mi[SK_MEMINFO_RMEM_ALLOC];
	}
	return sum;
}

static uint32_t
drops_total(void)
{
	uint32_t d = 0;
	for (unsigned j = 0; j < nsocks; j++)
		d += sock_ovfl[j];
	return d;
}

static unsigned
streams_seen(void)
{
	unsigned n = 0;
	for (unsigned s = 0; s < opt.streams; s++)
		n += rx_seen[s] != 0;
	return n;
}

/*
 * Offers `rate` pps (0: as fast as possible) for `secs`, or exactly `count`
 * packets when count > 0; then drains. Fills *res.
 */
static void
run_phase(double rate, double secs, uint64_t count, struct step_result *res)
{
	struct cpu_sample a, b;
	memset(res, 0, sizeof *res);
	/* Stragglers of the previous phase are not this one's: take them first. */
	double q0 = now_s(), quiet = q0;
	for (;;) {
		uint64_t got = recv_all();
		double tq = now_s();
		res->late_prev += got;
		if (got)
			quiet = tq;
		else if (tq - quiet >= 0.1)
			break;
		if (tq - q0 >= 1.0)
			break;
		if (!got)
			usleep(500);
	}
	memset(rx_seen, 0, opt.streams * sizeof *rx_seen);
	uint32_t drops0 = drops_total();
	uint64_t sent = 0, relayed = 0;
	others_begin();
	uint64_t behind_max = (uint64_t)BEHIND_PER_STREAM * opt.streams;
	if (behind_max < 4096)
		behind_max = 4096;
	unsigned sock = 0;
	sample(&a);
	double t0 = a.t, t = t0;
	for (;;) {
		t = now_s();
		if (count ? sent >= count || t - t0 > 60 : t - t0 >= secs)
			break;
		if (sent - relayed > behind_max) {
			res->cut_short = true; /* leave overload before rtpengine drops streams */
			break;
		}
		uint64_t due = rate > 0 ? (uint64_t)((t - t0) * rate) + 1 : sent + BATCH;
		if (count && due > count)
			due = count;
		if (due > sent) {
			uint64_t want = due - sent;
			sent += send_batch(sock, want > BATCH ? BATCH : (unsigned)want);
			if (++sock == nsocks)
				sock = 0;
		}
		relayed += recv_all();
	}
	double send_end = t, quiet_since = t, last_rx = t;
	res->gen_rxq_kb = (double)own_rxq_bytes() / 1024.0;
	for (;;) {
		uint64_t got = recv_all();
		t = now_s();
		relayed += got;
		if (got)
			quiet_since = last_rx = t;
		else if (t - quiet_since >= DRAIN_QUIET_S)
			break;
		if (t - send_end >= DRAIN_MAX_S) {
			res->drain_timeout = true;
			break;
		}
		if (!got)
			usleep(200);
	}
	sample(&b);
	double others_s = others_end();
	/*
	 * CPU is read over the whole window, send + drain + 50 ms of quiet (CPU
	 * percentages are of that window, so read about 1% low at full load); the
	 * relayed rate is over the active part, first send to last packet relayed.
	 */
	double win = b.t - a.t, send_s = send_end - t0, active = last_rx - t0;
	if (active < send_s)
		active = send_s;
	double proc = b.proc_s - a.proc_s, sched = b.sched_s - a.sched_s;
	double sirq = b.softirqd_s - a.softirqd_s;
	double steal = b.core_steal - a.core_steal;
	double busy = win - (b.core_idle - a.core_idle) - steal;
	if (busy < 0)
		busy = 0;
	res->target = rate; /* (gen_rxq_kb, drain_timeout and cut_short are set above) */
	res->sent = sent;
	res->relayed = relayed;
	res->window_s = active;
	res->drain_s = last_rx - send_end;
	res->offered_pps = send_s > 0 ? (double)sent / send_s : 0;
	res->relayed_pps = active > 0 ? (double)relayed / active : 0;
	res->loss_pct = sent ? 100.0 * (1.0 - (double)relayed / (double)sent) : 0;
	res->rtpe_pct = 100.0 * proc / win;
	res->sched_pct = 100.0 * sched / win;
	res->softirqd_pct = 100.0 * sirq / win;
	res->core_pct = 100.0 * busy / win;
	res->steal_pct = 100.0 * steal / win;
	res->gen_steal_pct = 100.0 * (b.gen_steal - a.gen_steal) / win;
	res->gen_pct = 100.0 * (b.self_s - a.self_s) / win;
	res->rtpe_wait_pct = 100.0 * (b.wait_s - a.wait_s) / win;
	res->gen_wait_pct = 100.0 * (b.self_wait - a.self_wait) / win;
	res->others_pct = 100.0 * others_s / win;
	res->us_pkt = relayed ? proc / (double)relayed * 1e6 : 0;
	res->us_pkt_sched = relayed ? sched / (double)relayed * 1e6 : 0;
	res->us_pkt_softirq = relayed ? (proc + sirq) / (double)relayed * 1e6 : 0;
	res->us_pkt_core = relayed ? busy / (double)relayed * 1e6 : 0;
	res->rx_drops = drops_total() - drops0;
	/* Receive-buffer overflows on sockets other than ours: the relay's. */
	uint64_t all = b.rcvbuf_errors - a.rcvbuf_errors;
	res->relay_drops = all > res->rx_drops ? all - res->rx_drops : 0;
	res->backlog_drops = b.backlog_drops - a.backlog_drops;
	res->seen = streams_seen();
}

static bool
keeps_up(const struct step_result *r)
{
	return !r->cut_short && !r->drain_timeout && r->loss_pct <= KEEP_LOSS_PCT &&
	       r->drain_s <= KEEP_DRAIN_S;
}

/*
 * Did other programs compete for the cores during the step? The relay's own wait
 * only tells when it runs one worker thread in one instance (-W): threads sharing
 * one core otherwise wait for each other.
 */
static bool
contended(const struct step_result *r)
{
	return r->others_pct > 10.0 || r->gen_wait_pct > 5.0 || r->steal_pct > 5.0 ||
	       r->gen_steal_pct > 5.0 || (opt.relay_wait && r->rtpe_wait_pct > 5.0);
}

static void
print_result(const char *key, const struct step_result *r)
{
	printf("%s streams=%u target_pps=%.0f offered_pps=%.0f relayed_pps=%.0f sent=%" PRIu64
	       " relayed=%" PRIu64 " loss_pct=%.2f rtpe_cpu_pct=%.1f rtpe_sched_pct=%.1f"
	       " softirqd_pct=%.1f core_busy_pct=%.1f steal_pct=%.1f gen_steal_pct=%.1f"
	       " us_per_pkt=%.3f"
	       " us_per_pkt_sched=%.3f us_per_pkt_softirq=%.3f us_per_pkt_core=%.3f"
	       " gen_cpu_pct=%.1f rtpe_wait_pct=%.1f gen_wait_pct=%.1f others_pct=%.1f"
	       " gen_rxq_kb=%.0f"
	       " gen_rx_drops=%" PRIu32 " relay_rx_drops=%" PRIu64 " backlog_drops=%" PRIu64
	       " streams_seen=%u"
	       " window_s=%.2f drain_s=%.3f drain_timeout=%d cut_short=%d keeps_up=%d"
	       " contended=%d late_prev=%" PRIu64 "\n",
		key, opt.streams, r->target, r->offered_pps, r->relayed_pps, r->sent, r->relayed,
		r->loss_pct, r->rtpe_pct, r->sched_pct, r->softirqd_pct, r->core_pct, r->steal_pct,
		r->gen_steal_pct, r->us_pkt, r->us_pkt_sched, r->us_pkt_softirq, r->us_pkt_core,
		r->gen_pct, r->rtpe_wait_pct, r->gen_wait_pct, r->others_pct, r->gen_rxq_kb,
		r->rx_drops, r->relay_drops, r->backlog_drops, r->seen, r->window_s, r->drain_s,
		r->drain_timeout, r->cut_short, keeps_up(r), contended(r), r->late_prev);
	fflush(stdout);
}

/* ---------------------------------------------------------------- main */

static void
usage(void)
{
	fprintf(stderr,
		"usage: rtp_sockgen -n 127.0.0.1:PORT[,...] -s STREAMS -p RELAY_PID[,...]\n"
		"       [-c RELAY_CPU] [-t STEP_SECS] [-k SOCKETS_PER_SIDE] [-R START_PPS]\n"
		"       [-f FACTOR] [-m MAX_STEPS] [-b BUDGET_SECS] [-r PPS,...] [-w NG_WINDOW]\n"
		"       [-u] [-x] [-W]\n"
		"       rtp_sockgen -P -n 127.0.0.1:PORT[,...]   (wait until every relay answers "
		"ping)\n"
		"  -n: ng control address of each relay (call i goes to relay i %% count)\n"
		"  -p: pids whose CPU is summed as the relay's\n"
		"  -u: one stream (A->B) per call instead of two (A->B and B->A)\n"
		"  -x: no rtcp-mux (rtpengine then opens 2 sockets per side instead of 1)\n"
		"  -W: the relay is one instance with one worker thread: its run-queue wait\n"
		"      then shows contention too\n");
	exit(2);
}

/* -n 127.0.0.1:PORT[,127.0.0.2:PORT...] */
static void
parse_ng(char *arg)
{
	char *save;
	for (char *tok = strtok_r(arg, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		if (opt.nng == MAX_RELAYS)
			die("too many -n addresses");
		struct sockaddr_in *a = &opt.ng[opt.nng++];
		char *colon = strrchr(tok, ':');
		if (!colon)
			usage();
		*colon = '\0';
		a->sin_family = AF_INET;
		a->sin_port = htons((uint16_t)atoi(colon + 1));
		if (inet_pton(AF_INET, tok, &a->sin_addr) != 1 || !is_loopback(&a->sin_addr) ||
			a->sin_port == 0)
			die("-n takes 127.0.0.0/8 ADDRESS:PORT[,...]");
	}
}

/* -p PID[,PID...] */
static void
parse_pids(char *arg)
{
	char *save;
	for (char *tok = strtok_r(arg, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		if (opt.npids == MAX_RELAYS)
			die("too many -p pids");
		opt.pids[opt.npids++] = atoi(tok);
	}
}

static void
parse_rates(char *arg)
{
	char *p = arg;
	while (*p && opt.nrates < MAX_RATES) {
		opt.rates[opt.nrates++] = strtod(p, &p);
		while (*p == ',' || *p == ' ')
			p++;
	}
}

/* Idle: the relay's own timers with all calls up and no traffic. */
static void
measure_idle(void)
{
	struct cpu_sample a, b;
	others_begin();
	sample(&a);
	usleep(1000 * 1000);
	sample(&b);
	double w = b.t - a.t, oth = others_end();
	double busy = w - (b.core_idle - a.core_idle) - (b.core_steal - a.core_steal);
	if (busy < 0)
		busy = 0; /* idle and steal are counted in ticks: +-1 tick */
	printf("IDLE streams=%u rtpe_cpu_pct=%.1f rtpe_sched_pct=%.1f core_busy_pct=%.1f"
	       " others_pct=%.1f secs=%.2f\n",
		opt.streams, 100.0 * (b.proc_s - a.proc_s) / w, 100.0 * (b.sched_s - a.sched_s) / w,
		100.0 * busy / w, 100.0 * oth / w, w);
	if (busy / w > 0.15)
		fprintf(stderr,
			"rtp_sockgen: warning: CPU %d is %.0f%% busy with other work while"
			" the relay idles: figures will be disturbed\n",
			opt.cpu, 100.0 * busy / w);
	fflush(stdout);
}

int
main(int argc, char **argv)
{
	int c;
	bool ping_only = false;
	while ((c = getopt(argc, argv, "n:s:p:c:t:k:R:f:m:b:r:w:uxWPh")) != -1) {
		switch (c) {
		case 'n':
			parse_ng(optarg);
			break;
		case 's':
			opt.streams = (unsigned)strtoul(optarg, NULL, 10);
			break;
		case 'p':
			parse_pids(optarg);
			break;
		case 'c':
			opt.cpu = atoi(optarg);
			break;
		case 't':
			opt.step_s = atof(optarg);
			break;
		case 'k':
			opt.k = (unsigned)strtoul(optarg, NULL, 10);
			break;
		case 'R':
			opt.start_pps = atof(optarg);
			break;
		case 'f':
			opt.factor = atof(optarg);
			break;
		case 'm':
			opt.max_steps = (unsigned)strtoul(optarg, NULL, 10);
			break;
		case 'b':
			opt.budget_s = atof(optarg);
			break;
		case 'r':
			parse_rates(optarg);
			break;
		case 'w':
			opt.window = (unsigned)strtoul(optarg, NULL, 10);
			break;
		case 'u':
			opt.unidir = true;
			break;
		case 'x':
			opt.no_mux = true;
			break;
		case 'P':
			ping_only = true;
			break;
		case 'W':
			opt.relay_wait = true;
			break;
		default:
			usage();
		}
	}
	if (ping_only && opt.nng)
		return ng_ping_all();
	if (opt.nng == 0 || opt.npids == 0 || opt.streams == 0 || opt.k == 0 || opt.k > MAX_SOCKS ||
		opt.window == 0 || opt.step_s <= 0 || opt.step_s > 30 || opt.factor <= 1.0 ||
		opt.start_pps <= 0 || opt.max_steps == 0 || opt.max_steps > 40)
		usage();
	if (!opt.unidir && opt.streams % 2)
		opt.streams++; /* two streams per call */
	ncalls = opt.unidir ? opt.streams : opt.streams / 2;
	if (opt.k > ncalls)
		opt.k = ncalls;
	nsocks = 2 * opt.k;
	clk_tck = sysconf(_SC_CLK_TCK);
	softirqd_pid = find_softirqd(opt.cpu);
	gen_cpu = sched_getcpu();
	if (gen_cpu < 0)
		gen_cpu = 0;
	for (unsigned i = 0; i < opt.npids; i++)
		(void)proc_cpu_s(opt.pids[i]); /* fail early if a relay is not there */

	streams = calloc(opt.streams, sizeof *streams);
	rx_seen = calloc(opt.streams, sizeof *rx_seen);
	if (!streams || !rx_seen)
		die("out of memory");
	for (unsigned j = 0; j < nsocks; j++) {
		sock_fd[j] = udp_socket(&sock_port[j]);
		sock_streams[j] = calloc(opt.streams / opt.k + 2, sizeof *sock_streams[j]);
		if (!sock_streams[j])
			die("out of memory");
	}
	traffic_init();

	fprintf(stderr, "  creating %u calls (%u streams) through ng on %u relay(s)\n", ncalls,
		opt.streams, opt.nng);
	ng_setup();

	struct step_result r;
	run_phase(opt.start_pps, 0, 2ull * opt.streams, &r);
	print_result("WARMUP", &r);
	if (r.relayed <= r.sent / 100) {
		fprintf(stderr,
			"rtp_sockgen: FAIL: %" PRIu64 " of %" PRIu64
			" packets relayed: rtpengine is not forwarding\n",
			r.relayed, r.sent);
		return 3;
	}
	if (r.seen < opt.streams - opt.streams / 20)
		fprintf(stderr, "rtp_sockgen: warning: only %u of %u streams relayed in warm-up\n",
			r.seen, opt.streams);
	measure_idle();

	double t_start = now_s(), rate = opt.start_pps, good = 0, bad = 0;
	unsigned steps = 0;
	const char *why = "max_steps";
	while (steps < opt.max_steps) {
		if (opt.nrates) {
			if (steps >= opt.nrates) {
				why = "rate_list";
				break;
			}
			rate = opt.rates[steps];
		}
		if (steps > 0 && now_s() - t_start + opt.step_s + 0.5 > opt.budget_s) {
			why = "time_budget";
			break;
		}
		fprintf(stderr, "  step %u: %u streams, %.0f pps for %.1f s\n", steps + 1,
			opt.streams, rate, opt.step_s);
		run_phase(rate, opt.step_s, 0, &r);
		if (contended(&r) && now_s() - t_start + 2 * opt.step_s + 1 <= opt.budget_s) {
			/* Another program had the cores: run the step once more. */
			print_result("DISCARDED", &r);
			fprintf(stderr,
				"  step %u contended (other programs on the cores), once more\n",
				steps + 1);
			run_phase(rate, opt.step_s, 0, &r);
		}
		print_result("STEP", &r);
		steps++;
		if (r.relayed == 0) {
			fprintf(stderr, "rtp_sockgen: FAIL: nothing relayed at %.0f pps\n", rate);
			return 3;
		}
		/* Every stream sent at least twice in this step but some came out never. */
		if (r.sent >= 2ull * opt.streams && r.seen < opt.streams - opt.streams / 100) {
			fprintf(stderr, "rtp_sockgen: %u of %u streams no longer relayed\n",
				opt.streams - r.seen, opt.streams);
			why = "streams_died";
			break;
		}
		if (opt.nrates)
			continue;
		bool ok = keeps_up(&r);
		if (ok && r.offered_pps < 0.95 * rate) {
			why = "generator_limit";
			break;
		}
		if (ok)
			good = rate;
		else
			bad = rate;
		if (bad == 0) {
			rate *= opt.factor;
			continue;
		}
		if (good == 0) {
			rate = bad / 2; /* even the first rate was too much */
			if (rate < 1000) {
				why = "nothing_kept_up";
				break;
			}
			continue;
		}
		if ((bad - good) / bad <= BISECT_PREC) {
			why = "saturation_found";
			break;
		}
		rate = (good + bad) / 2;
	}
	printf("DONE streams=%u steps=%u stop=%s kept_up_pps=%.0f failed_pps=%.0f\n", opt.streams,
		steps, why, good, bad);
	return 0;
}
