#!/usr/bin/env bash
# bench_rtpengine.sh: CPU per relayed RTP packet of rtpengine's userspace relay
# (Debian's rtpengine-daemon, no kernel module) on loopback, at stepped offered
# rates up to saturation, for each stream count given. The rtpengine half of the
# media relay comparison: the same figure for hotline comes from its own bench.
#
#   bench/bench_rtpengine.sh [STREAM_COUNTS] [STEP_SECS]
#       STREAM_COUNTS  default "1000 10000" (quote a list; 100000 works too, see below)
#       STEP_SECS      seconds of load per step, default 3 (at most 5)
#   env: RTPE_THREADS  rtpengine --num-threads (default 1: it has one core; rtpengine's
#                      own default on a 2-vCPU host is 4, which costs more CPU below
#                      saturation), NICE (default -20, 0 runs unprioritised: the host
#                      may be shared), BUDGET (seconds of stepping per stream count,
#                      default 60), QUIET_WAIT (seconds to wait at most for both cores
#                      to be idle before starting, default 30), UNIDIR=1 (one A->B
#                      stream per call instead of two), KEEP=1 (keep the temporary
#                      directory with the rtpengine logs and the generator's raw output).
#
# Setup. rtpengine runs in the foreground, userspace only (--table=-1), pinned to
# CPU 1 (taskset), logging errors only to a file, media on 127.0.0.11 (a second
# instance on .12, ...), ng control on 127.0.0.1:22300+i. bench/rtp_sockgen.c
# (built here with cc, no meson change) runs pinned to CPU 0: it creates the calls
# over the ng protocol (offer + answer with SDP, rtcp-mux), sends G.711-sized RTP
# (12 + 160 bytes, own SSRC per stream, seq/timestamp incrementing) with sendmmsg
# to each call's relay port and counts what comes out at the far side with
# recvmmsg. A call carries two streams, A->B and B->A, so N streams are N/2 calls.
# Nothing is sent outside 127.0.0.0/8; the generator refuses any other address.
#
# Measurement. Each step offers a rate, then drains; rtpengine's CPU is the
# utime+stime delta of /proc/PID/stat over the step (schedstat as a cross-check),
# plus, shown apart, ksoftirqd/1 (loopback delivery of rtpengine's own sends when
# the kernel defers it) and the busy time of CPU 1 (wall - idle - steal, which also
# holds wake-up costs and anything else on that core). us/pkt = CPU seconds /
# relayed packets * 1e6. The rate grows by 1.25x from 40k pps (20k from 50000
# streams on) while rtpengine keeps up (loss <= 0.5%, queues drained within
# 100 ms), then bisects to within 5% of the first rate it does not. A step is cut
# short once rtpengine is 24 packets per stream behind: rtpengine stops reading,
# for good, a socket that had more than 50 packets queued at a read event five
# times, so a bench that overshoots kills its own streams. "Saturation" is the highest rate kept up; "moderate" the step
# nearest half of it. A step is marked CONTENDED when other processes used more
# than 10% of a core during it, the hypervisor stole more than 5% of either core,
# or the generator (or a single-threaded rtpengine) spent more than 5% of it
# runnable but not running (schedstat): something else had the cores, and that
# step's figures are not rtpengine's alone. A contended
# step is run once more; the table shows the rerun, still marked if contended.
#
# Time: about 30 s per stream count (1000, 10000) and 50 s for 100000 (six
# instances, 17 s of call setup); each step is bounded, and so is the stepping
# (BUDGET) and the call setup (240 s).
#
# Limits: here RLIMIT_NOFILE is 20000 (hard) and cannot be raised (no
# CAP_SYS_RESOURCE); rtpengine holds one socket per call side (with rtcp-mux; two
# without) but reserves a port pair per side, so with ports 20000-59999 one
# instance takes at most ~9900 calls either way. The bench puts at most 9000
# calls (18000 streams) on an instance and spreads larger counts over several
# instances on CPU 1, each on its own address (127.0.0.11, .12, ...): one
# logical relay on one core, CPU summed over them.
#
# Output: a table on stdout, then one line per stream count for other benches:
#   RTPENGINE streams=N pps=P us_per_pkt=U us_per_pkt_core=V offered_pps=O
#             moderate_pps=P2 moderate_us_per_pkt=U2 moderate_us_per_pkt_core=V2
#             calls=C relays=R threads=T stop=... setup_s=... contended_steps=... ...
# (pps = relayed packets per second at saturation, us_per_pkt = rtpengine CPU
# microseconds per relayed packet there; moderate_* = the step nearest half of it.)
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
STREAM_COUNTS=${1:-"1000 10000"}
STEP_SECS=${2:-3}
RTPE_THREADS=${RTPE_THREADS:-1}
NICE=${NICE:--20}
BUDGET=${BUDGET:-60}
UNIDIR=${UNIDIR:-0}
KEEP=${KEEP:-0}
RELAY_CPU=1
GEN_CPU=0
NG_PORT_BASE=22300
CALLS_PER_RELAY=9000

log() { printf '%s\n' "$*" >&2; }
die() { log "bench_rtpengine: $*"; exit 1; }

[[ $STEP_SECS =~ ^[0-9]+([.][0-9]+)?$ ]] || die "STEP_SECS must be a number"
[[ $RTPE_THREADS =~ ^[1-9][0-9]?$ ]] || die "RTPE_THREADS must be 1..99"
[[ $NICE =~ ^-?[0-9]+$ ]] || die "NICE must be an integer"
if ! [[ $BUDGET =~ ^[0-9]+$ ]] || ((BUDGET < 5 || BUDGET > 600)); then die "BUDGET must be 5..600 seconds"; fi
if ((NICE < 0 && EUID != 0)); then
	log "not root: running at nice 0"
	NICE=0
fi
awk -v s="$STEP_SECS" 'BEGIN { exit !(s > 0 && s <= 5) }' || die "STEP_SECS must be in (0, 5]"
for n in $STREAM_COUNTS; do
	if ! [[ $n =~ ^[0-9]+$ ]] || ((n < 2 || n > 200000)); then die "bad stream count: $n"; fi
done
(($(nproc) >= 2)) || die "needs 2 CPUs (relay on CPU $RELAY_CPU, generator on CPU $GEN_CPU)"
command -v taskset >/dev/null || die "taskset missing (util-linux)"
command -v cc >/dev/null || die "cc missing"

# rtpengine-daemon provides /usr/bin/rtpengine; the "rtpengine" metapackage would
# also pull the kernel module (DKMS), which this bench does not want.
if ! command -v rtpengine >/dev/null; then
	log "installing rtpengine-daemon"
	export DEBIAN_FRONTEND=noninteractive
	if ! apt-get install -y --no-install-recommends rtpengine-daemon >/dev/null 2>&1; then
		apt-get update -qq >/dev/null
		apt-get install -y --no-install-recommends rtpengine-daemon >/dev/null
	fi
fi
RTPE_BIN=$(command -v rtpengine)
RTPE_VER=$(dpkg-query -W -f='${Version}' rtpengine-daemon 2>/dev/null || echo unknown)

TMP=$(mktemp -d /tmp/bench_rtpengine.XXXXXX)
RELAY_PIDS=()
GEN_PID=

stop_relays() {
	local pid i
	((${#RELAY_PIDS[@]})) || return 0
	for pid in "${RELAY_PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
	for ((i = 0; i < 50; i++)); do # rtpengine takes a second or two to stop
		local alive=0
		for pid in "${RELAY_PIDS[@]}"; do kill -0 "$pid" 2>/dev/null && alive=1; done
		((alive)) || break
		sleep 0.1
	done
	for pid in "${RELAY_PIDS[@]}"; do
		kill -KILL "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
	done
	RELAY_PIDS=()
}

cleanup() {
	local rc=$?
	trap - EXIT INT TERM
	if [[ -n $GEN_PID ]]; then
		kill -TERM "$GEN_PID" 2>/dev/null || true
		wait "$GEN_PID" 2>/dev/null || true
	fi
	stop_relays
	if [[ $KEEP == 1 || $rc != 0 ]]; then
		log "bench_rtpengine: logs and raw output kept in $TMP"
	else
		rm -rf "$TMP"
	fi
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

cc -O2 -Wall -Wextra -std=c11 -o "$TMP/rtp_sockgen" "$here/rtp_sockgen.c"

# One socket per call side: raise the soft fd limit to the hard one and size the
# relays by it.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
nofile=$(ulimit -n)
cap=$(((nofile - 200) / 2))
((cap < CALLS_PER_RELAY)) && CALLS_PER_RELAY=$cap
((CALLS_PER_RELAY >= 100)) || die "open-file limit $nofile is too low"

prio=()
[[ $NICE != 0 ]] && prio=(nice -n "$NICE")

# start_relays COUNT: starts COUNT rtpengine instances on CPU 1, waits for ng pings.
start_relays() {
	local count=$1 i ng_list=""
	for ((i = 0; i < count; i++)); do
		"${prio[@]}" taskset -c "$RELAY_CPU" "$RTPE_BIN" --config-file=none --foreground \
			--log-stderr --log-level=3 --table=-1 \
			--interface="127.0.0.$((11 + i))" \
			--listen-ng="127.0.0.1:$((NG_PORT_BASE + i))" \
			--port-min=20000 --port-max=59999 \
			--num-threads="$RTPE_THREADS" --timeout=600 --silent-timeout=600 \
			--delete-delay=0 --max-sessions=-1 \
			>"$TMP/rtpengine.$i.log" 2>&1 &
		RELAY_PIDS+=($!)
		ng_list+="${ng_list:+,}127.0.0.1:$((NG_PORT_BASE + i))"
	done
	NG_LIST=$ng_list
	if ! "$TMP/rtp_sockgen" -P -n "$NG_LIST"; then
		tail -n 5 "$TMP"/rtpengine.*.log >&2 || true
		die "rtpengine did not answer ng ping on $NG_LIST"
	fi
}

# Busy % of CPU 0 and 1 over one second before a run: others' load on a shared host.
host_load() {
	local a b
	a=$(grep -E '^cpu[01] ' /proc/stat)
	sleep 1
	b=$(grep -E '^cpu[01] ' /proc/stat)
	paste <(echo "$a") <(echo "$b") | awk '{
		n = (NF - 2) / 2; ta = tb = 0
		for (i = 2; i <= n + 1; i++) { ta += $i; tb += $(i + n + 1) }
		ia = $5 + $6; ib = $(5 + n + 1) + $(6 + n + 1)
		printf "%s %.0f%% ", $1, 100 * (1 - (ib - ia) / (tb - ta)) }'
}

gen_args=(-c "$RELAY_CPU" -t "$STEP_SECS" -b "$BUDGET")
[[ $UNIDIR == 1 ]] && gen_args+=(-u)

log "rtpengine $RTPE_VER ($RTPE_BIN), userspace only, --num-threads=$RTPE_THREADS, CPU $RELAY_CPU;" \
	"generator on CPU $GEN_CPU; nice $NICE; steps of ${STEP_SECS}s; fd limit $nofile"
# On a shared host, wait (bounded) for both cores to be quiet before measuring.
QUIET_WAIT=${QUIET_WAIT:-30}
for ((i = 0; ; i++)); do
	load=$(host_load)
	busy=$(awk '{ m = 0; for (i = 2; i <= NF; i += 2) { v = $i + 0; if (v > m) m = v } print m }' <<<"$load")
	if ((busy < 10)); then
		log "host load before the run: $load"
		break
	fi
	if ((i >= QUIET_WAIT)); then
		log "WARNING: host still busy after ${QUIET_WAIT}s ($load): other programs compete for the cores; figures will be disturbed"
		break
	fi
	((i % 10 == 0)) && log "host busy ($load), waiting up to ${QUIET_WAIT}s for it to quieten"
done

results=()
for n in $STREAM_COUNTS; do
	if [[ $UNIDIR == 1 ]]; then calls=$n; else calls=$(((n + 1) / 2)); fi
	relays=$(((calls + CALLS_PER_RELAY - 1) / CALLS_PER_RELAY))
	log "== $n streams: $calls calls on $relays rtpengine instance(s)"
	start_relays "$relays"
	pids=$(
		IFS=,
		echo "${RELAY_PIDS[*]}"
	)
	out="$TMP/gen.$n.txt"
	rc=0
	extra=()
	((relays == 1 && RTPE_THREADS == 1)) && extra+=(-W)
	# Many streams saturate lower: start lower so that a moderate step exists.
	((n >= 50000)) && extra+=(-R 20000)
	# In the background so that a signal reaches the trap at once; it is bounded anyway
	# (ng setup 240 s at most, stepping by BUDGET).
	"${prio[@]}" taskset -c "$GEN_CPU" "$TMP/rtp_sockgen" -n "$NG_LIST" -p "$pids" -s "$n" \
		"${gen_args[@]}" "${extra[@]}" >"$out" &
	GEN_PID=$!
	wait "$GEN_PID" || rc=$?
	GEN_PID=
	for pid in "${RELAY_PIDS[@]}"; do
		kill -0 "$pid" 2>/dev/null || die "rtpengine (pid $pid) died during the run; see $TMP"
	done
	stop_relays
	if ((rc == 3)); then
		die "$n streams: rtpengine relayed (next to) nothing; see $out and $TMP/rtpengine.*.log"
	fi
	((rc == 0)) || die "$n streams: generator failed (exit $rc); see $out"
	grep -q '^STEP ' "$out" || die "$n streams: no step measured; see $out"
	results+=("$out")
done

# Table: one row per step, then the saturation and moderate figures per count.
printf '\nrtpengine %s userspace relay, loopback, %s steps; CPU 1 = rtpengine (%s thread(s)), CPU 0 = generator\n' \
	"$RTPE_VER" "${STEP_SECS}s" "$RTPE_THREADS"
printf 'us/pkt: rtpengine utime+stime; +sirq: plus ksoftirqd/1; core: CPU 1 busy (wall - idle - steal)\n'
printf 'others %%: CPU of all other processes (%% of one core); wait %%: rtpengine/generator runnable but not running;\n'
printf 'steal %%: hypervisor steal on CPU 1/CPU 0. CONTENDED: others > 10%%, generator wait > 5%%, steal > 5%%\n'
printf '(or rtpengine wait > 5%% with one thread): other programs had the cores, not rtpengine alone;\n'
printf 'such a step is run once more and only the second run is shown (rerun_steps counts them)\n\n'
printf '| streams | offered pps | relayed pps | loss %% | rtpengine CPU %% | ksoftirqd %% | CPU1 busy %% '
printf '| us/pkt | us/pkt +sirq | us/pkt core | kept up | others %% | wait %% | steal %% | note |\n'
printf '| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | :---: | ---: | ---: | ---: | --- |\n'
summary=()
for out in "${results[@]}"; do
	awk -v threads="$RTPE_THREADS" -v sumfile="$out.summary" '
	function kv(line, arr,   i, f, p, n) {
		split("", arr)
		n = split(line, f, " ")
		for (i = 2; i <= n; i++) { p = index(f[i], "="); arr[substr(f[i], 1, p - 1)] = substr(f[i], p + 1) }
	}
	/^SETUP / { kv($0, s); calls = s["calls"]; relays = s["relays"]; setup = s["secs"] }
	/^IDLE / { kv($0, w); idle_rtpe = w["rtpe_cpu_pct"]; idle_core = w["core_busy_pct"] }
	/^DONE / { kv($0, w); stop = w["stop"] }
	/^DISCARDED / { discarded++ }
	/^STEP / {
		kv($0, v); k++
		row[k] = $0
		off[k] = v["offered_pps"]; rel[k] = v["relayed_pps"]; ok[k] = v["keeps_up"]
		us[k] = v["us_per_pkt"]; usc[k] = v["us_per_pkt_core"]; streams = v["streams"]
		if (ok[k] == 1 && rel[k] + 0 > best + 0) { best = rel[k]; sat = k }
	}
	END {
		if (!sat) { # nothing kept up: report the highest relayed rate
			for (i = 1; i <= k; i++) if (rel[i] + 0 > best + 0) { best = rel[i]; sat = i }
		}
		mod = 0; bestdist = -1
		for (i = 1; i <= k; i++) {
			if (ok[i] != 1 || i == sat) continue
			dist = rel[i] - best / 2; if (dist < 0) dist = -dist
			if (bestdist < 0 || dist < bestdist) { bestdist = dist; mod = i }
		}
		for (i = 1; i <= k; i++) {
			kv(row[i], v)
			note = (i == sat) ? "saturation" : (i == mod ? "moderate" : "")
			if (v["cut_short"] == 1) note = note (note ? ", " : "") "cut short (fell behind)"
			if (v["contended"] == 1) {
				note = note (note ? ", " : "") "CONTENDED"; contended++
			}
			printf "| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s/%s | %s/%s | %s |\n",
				v["streams"], v["offered_pps"], v["relayed_pps"], v["loss_pct"],
				v["rtpe_cpu_pct"], v["softirqd_pct"], v["core_busy_pct"], v["us_per_pkt"],
				v["us_per_pkt_softirq"], v["us_per_pkt_core"], v["keeps_up"] == 1 ? "yes" : "no",
				v["others_pct"], v["rtpe_wait_pct"], v["gen_wait_pct"], v["steal_pct"],
				v["gen_steal_pct"], note
		}
		line = sprintf("RTPENGINE streams=%s pps=%s us_per_pkt=%s us_per_pkt_core=%s offered_pps=%s", \
			streams, rel[sat], us[sat], usc[sat], off[sat])
		if (mod) line = line sprintf(" moderate_pps=%s moderate_us_per_pkt=%s moderate_us_per_pkt_core=%s", rel[mod], us[mod], usc[mod])
		line = line sprintf(" calls=%s relays=%s threads=%s stop=%s setup_s=%s idle_rtpe_cpu_pct=%s idle_cpu1_busy_pct=%s contended_steps=%d rerun_steps=%d", \
			calls, relays, threads, stop, setup, idle_rtpe, idle_core, contended, discarded)
		print line > sumfile
	}' "$out"
	summary+=("$(cat "$out.summary")")
done
printf '\n'
printf '%s\n' "${summary[@]}"
