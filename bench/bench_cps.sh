#!/usr/bin/env bash
# bench_cps.sh: SIP call rate (calls per second) of hotline's B2BUA against Kamailio
# as a transaction-stateful proxy and against SIPp alone (the load generator's
# ceiling), on the same scenario and the same two cores, in one run.
#
#   bench/bench_cps.sh [--quick] [--steps "500 1000 ..."] [--secs N] [--children N]
#                      [--only kamailio,kamailio-qm,sipp,hotline] [--hotline]
#                      [--kamailio-net veth|lo] [--nice N] [--keep]
#
# Scenario (bench/cps/uac.xml, uas.xml): INVITE with SDP -> 200 OK with SDP (no 180)
# -> ACK -> BYE at once -> 200 OK, no media. SIPp UAC (customer) and SIPp UAS (agent)
# run on CPU 1, the system under test on CPU 0, all at nice -20 (the host is shared
# with builds and fuzzers; --nice 0 runs them unprioritised). The offered rate is
# stepped; each step places rate x secs calls (-m), and every sipp is bounded by
# -timeout and -recv_timeout. A step passes when at most 0.1% of its calls did not
# complete (calls to place minus SIPp's "Successful call": calls never placed or cut
# off count as failed) and SIPp placed them at 95% of the offered rate or more
# (otherwise the load was not offered). A failing step is run once more (a
# neighbour's burst should not end the stepping); a system's stepping stops at the
# first rate that fails twice.
#
# Systems: "kamailio" is Kamailio 5.6 (bench/cps/kamailio.cfg, tm + rr) with the
# f_malloc allocator (-x fm -X fm), its best on this host; "kamailio-qm" the same
# with Debian's default allocator (q_malloc with debug records), for reference.
# Kamailio gets the wire hotline gets (--kamailio-net veth, the default): the same
# two namespaces and veth pairs, the root-side ends addressed 10.99.0.1 and 10.98.0.1
# and both listened on, requests relayed from the agents' side; --kamailio-net lo
# runs it on 127.0.0.1 with the SIPps in the root namespace, as before 2026-12-02
# (a loopback hop costs the kernel less than a veth hop into another namespace);
# "sipp" the UAC straight to the UAS; "hotline" (run_hotline) only with
# HOTLINE_CPS=1 or --hotline, and until hotlined answers REGISTER it prints
# "hotline: signalling not available" and its column is left out.
#
# CPU of the system under test: sum over all its processes and threads of
# /proc/PID/task/TID/schedstat (run time, ns), read before the UAC starts and after
# the step has drained (Kamailio frees transactions on its timer after tm's
# wait_timer, 5 s: that work belongs to the calls); utime+stime from /proc/PID/stat
# is summed too as a cross-check. hotline: busy cycles from its telemetry
# (busy_tsc / tsc_hz) as well. "others %": CPU of the programs outside this run
# (utime+stime of the processes outside its session, kernel threads included)
# during the load phase, and "steal %" the hypervisor's steal on CPU 0 and 1, both
# in % of one core and noted above 15%: a shared host's noise, to judge a step by.
# Memory: PSS and RSS summed over the processes from /proc/PID/smaps_rollup,
# sampled twice a second; the peak is printed (PSS counts Kamailio's shared memory
# once; pages once touched stay, so it is the high-water mark of the run so far).
#
# Everything started here is stopped by PID on exit, namespaces and links are
# removed, also on failure or Ctrl-C. Needs root, sipp, kamailio, taskset, 2 CPUs.
set -uo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
CPS=$HERE/cps
SRCDIR=$(cd "$HERE/.." && pwd)
HOTLINED=${HOTLINED:-$SRCDIR/build/hotlined}
HLTEL=$SRCDIR/scripts/hltel
KAM_MPATH=${KAM_MPATH:-/usr/lib/x86_64-linux-gnu/kamailio/modules/}

STEPS_FULL="1000 1500 2000 3000 4000 5000 6000 8000 10000 12000 14000 16000"
STEPS_QUICK="1000 3000 5000 8000 12000"
STEPS=
SECS=
QUICK=0
CHILDREN=${KAM_CHILDREN:-4}
KAM_NET=veth
ONLY="kamailio,kamailio-qm,sipp,hotline"
KEEP=0
NICE=-20
SIPP_BUF=${SIPP_BUF:-212992}    # SO_RCVBUF/SO_SNDBUF of every sipp (its default: 65535)
[ "${HOTLINE_CPS:-0}" = 1 ] && RUN_HOTLINE=1 || RUN_HOTLINE=0

usage() {
	sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//'
	exit 2
}

while [ $# -gt 0 ]; do
	case $1 in
	--quick) QUICK=1 ;;
	--steps) STEPS=$2; shift ;;
	--secs) SECS=$2; shift ;;
	--children) CHILDREN=$2; shift ;;
	--only) ONLY=$2; shift ;;
	--hotline) RUN_HOTLINE=1 ;;
	--kamailio-net) KAM_NET=$2; shift ;;
	--nice) NICE=$2; shift ;;
	--keep) KEEP=1 ;;
	*) usage ;;
	esac
	shift
done
case $KAM_NET in veth | lo) ;; *) usage ;; esac
if [ "$QUICK" = 1 ]; then
	STEPS=${STEPS:-$STEPS_QUICK}
	SECS=${SECS:-3}
else
	STEPS=${STEPS:-$STEPS_FULL}
	SECS=${SECS:-5}
fi

NICEX=()
[ "$NICE" != 0 ] && NICEX=(nice -n "$NICE")

[ "$(id -u)" = 0 ] || { echo "bench_cps: needs root (namespaces, af_packet)" >&2; exit 77; }
# The peers come from Debian: install what is missing (SIPp, Kamailio and its modules).
if ! command -v sipp >/dev/null || ! command -v kamailio >/dev/null; then
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
		sip-tester kamailio >/dev/null || echo "bench_cps: could not install sipp/kamailio" >&2
fi
for t in sipp taskset ss awk; do
	command -v "$t" >/dev/null || { echo "bench_cps: needs $t" >&2; exit 77; }
done
[ "$(nproc)" -ge 2 ] || { echo "bench_cps: needs 2 CPUs (SUT on 0, sipp on 1)" >&2; exit 77; }

ID=$(( ($$ % 900) + 100 ))
TMP=$(mktemp -d "/tmp/hl-cps-$ID.XXXX")
RES=$TMP/results.tsv
NOTES=$TMP/notes.txt
: >"$RES"
: >"$NOTES"
TRACKED=()      # "pid:starttime" of everything started here
LINKS=()
NETNS=()
HL_PREFIX="hlcps$ID"
CLK_TCK=$(getconf CLK_TCK)
case $HOTLINED in /*) ;; *) HOTLINED=$PWD/$HOTLINED ;; esac
cd "$TMP" || exit 1     # stray files of any tool land in the scratch directory

log() { printf '[%s] %s\n' "$(date +%T)" "$*" >&2; }
note() { printf '%s\n' "$*" | tee -a "$NOTES" >&2; }

# ---- processes, by PID ------------------------------------------------------------

# Start time (clock ticks since boot) of PID, field 22 of /proc/PID/stat; comm may
# hold spaces, so count from the closing parenthesis.
pid_start() { sed 's/^.*) //' "/proc/$1/stat" 2>/dev/null | awk '{print $20}'; }

track() {
	local s
	s=$(pid_start "$1")
	[ -n "$s" ] && TRACKED+=("$1:$s")
}

untrack() {
	local i
	for i in "${!TRACKED[@]}"; do
		[ "${TRACKED[$i]%%:*}" = "$1" ] && unset "TRACKED[$i]"
	done
}

# Is PID still the process we started (not a reused PID)?
same_proc() { [ -n "$2" ] && [ "$(pid_start "$1")" = "$2" ]; }

# stop_pid PID [SIGNAL]: SIGNAL (TERM), up to 3 s, then KILL; only if PID is still
# the process that was tracked.
stop_pid() {
	local p=$1 sig=${2:-TERM} s='' e
	for e in "${TRACKED[@]}"; do
		[ "${e%%:*}" = "$p" ] && s=${e#*:}
	done
	if [ -n "$s" ] && same_proc "$p" "$s"; then
		kill -"$sig" "$p" 2>/dev/null
		for _ in $(seq 30); do
			same_proc "$p" "$s" || break
			[ "$(awk '{print $3}' "/proc/$p/stat" 2>/dev/null)" = Z ] && break
			sleep 0.1
		done
		same_proc "$p" "$s" && kill -KILL "$p" 2>/dev/null
	fi
	wait "$p" 2>/dev/null
	untrack "$p"
	return 0
}

cleanup() {
	local rc=$? i
	set +e
	trap - EXIT INT TERM
	for i in $(printf '%s\n' "${!TRACKED[@]}" | sort -rn); do
		[ -n "${TRACKED[$i]:-}" ] && stop_pid "${TRACKED[$i]%%:*}"
	done
	for i in "${TRACKED[@]}"; do stop_pid "${i%%:*}" KILL; done
	for i in "${LINKS[@]}"; do ip link del "$i" 2>/dev/null; done
	for i in "${NETNS[@]}"; do ip netns del "$i" 2>/dev/null; done
	rm -rf "/var/run/dpdk/$HL_PREFIX"
	if [ "$KEEP" = 1 ]; then
		echo "bench_cps: logs kept in $TMP" >&2
	else
		rm -rf "$TMP"
	fi
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---- measurements -------------------------------------------------------------------

# CPU time in ns of PIDs (all their threads), from schedstat.
cpu_ns() {
	local p
	for p; do cat /proc/"$p"/task/*/schedstat 2>/dev/null; done |
		awk '{s += $1} END {printf "%.0f\n", s}'
}

# utime+stime of PIDs in clock ticks, from /proc/PID/stat (cross-check).
cpu_ticks() {
	local p
	for p; do sed 's/^.*) //' "/proc/$p/stat" 2>/dev/null; done |
		awk '{s += $12 + $13} END {printf "%.0f\n", s}'
}

# "PSS_kB RSS_kB" summed over PIDs.
mem_kb() {
	local p
	for p; do cat "/proc/$p/smaps_rollup" 2>/dev/null; done |
		awk '/^Rss:/ {r += $2} /^Pss:/ {p += $2} END {printf "%d %d\n", p, r}'
}

# Other programs' CPU, to see a noisy neighbour: "pid ticks" (utime+stime) of every
# process outside this script's session (what it starts stays in the session), then
# the steal ticks of CPU 0 and 1 (time the hypervisor gave to others) as pid "steal".
# Tick-sampled, so a rough figure, but good for the continuous loads that matter.
MY_SID=$(awk '{sub(/^.*\) /, ""); print $4}' /proc/self/stat)
others() {
	cat /proc/[0-9]*/stat 2>/dev/null | awk -v sid="$MY_SID" '{
		pid = $1; sub(/^.*\) /, ""); if ($4 != sid) print pid, $12 + $13 }'
	awk '$1 == "cpu0" || $1 == "cpu1" { s += $9 } END { print "steal", s }' /proc/stat
}

# others_pct FILE0 FILE1 SECONDS: "other% steal%" between two others() snapshots, in
# percent of one core.
others_pct() {
	awk -v tck="$CLK_TCK" -v w="$3" '
	FNR == NR { t0[$1] = $2; next }
	$1 == "steal" { st = $2 - t0["steal"]; next }
	{ o += $2 - ($1 in t0 ? t0[$1] : 0) }
	END { printf "%.0f %.0f\n", 100 * o / tck / w, 100 * st / tck / w }' "$1" "$2"
}

# A sipp -trace_stat file (-fd 1: a row a second, then one at exit), by column name:
# "ok failed placed retrans elapsed_s rtd_ms watchdog_major placed_cps", the totals
# from the last row; placed_cps is the rate calls were placed at, from the last
# row within the load phase (SECS), so a tail of slow calls does not count.
stat_get() {
	awk -F';' -v secs="$SECS" '
	function us(t,  a) { split(t, a, ":"); return ((a[1] * 60 + a[2]) * 60 + a[3]) * 1e6 + a[4] }
	NR == 1 { for (i = 1; i <= NF; i++) h[$i] = i; next }
	{
		last = $0
		split($h["StartTime"], a, "\t"); split($h["CurrentTime"], b, "\t")
		t = b[3] - a[3]
		if (t >= 0.5 && t <= secs + 0.05) gen = $h["OutgoingCall(C)"] / t
	}
	END {
		if (last == "") { print "0 0 0 0 0 0 0 0"; exit }
		n = split(last, f, ";")
		split(f[h["StartTime"]], a, "\t"); split(f[h["CurrentTime"]], b, "\t")
		el = b[3] - a[3]
		if (gen == "") gen = el > 0 ? f[h["OutgoingCall(C)"]] / el : 0
		printf "%d %d %d %d %.3f %.2f %d %.0f\n", f[h["SuccessfulCall(C)"]],
			f[h["FailedCall(C)"]], f[h["OutgoingCall(C)"]], f[h["Retransmissions(C)"]],
			el, us(f[h["ResponseTime1(C)"]]) / 1000, f[h["WatchdogMajor(C)"]], gen
	}' "$1" 2>/dev/null || echo "0 0 0 0 0 0 0 0"
}

# udp_bound NS IP PORT: something listens there now.
udp_bound() {
	local nsx=()
	[ -n "$1" ] && nsx=(ip netns exec "$1")
	"${nsx[@]}" ss -ulnH "src $2:$3" 2>/dev/null | grep -q .
}

# wait_udp NS IP PORT: until something listens there (5 s).
wait_udp() {
	local nsx=()
	[ -n "$1" ] && nsx=(ip netns exec "$1")
	for _ in $(seq 50); do
		"${nsx[@]}" ss -ulnH "src $2:$3" 2>/dev/null | grep -q . && return 0
		sleep 0.1
	done
	return 1
}

# ---- one step -------------------------------------------------------------------------
# The system's settings, set by run_kamailio / run_sipp / run_hotline:
SYS=            # name in the tables
TARGET=         # where the UAC sends: IP:PORT
SERVICE=        # user part of the INVITE's Request-URI
UAC_NS='' UAC_IP='' UAS_NS='' UAS_IP='' UAS_PORT=5090
SUT_PIDS=()     # processes of the system under test (empty: none, SIPp alone)
DRAIN=0         # seconds to wait after the UAC ends, inside the CPU window
TEL=            # hotline telemetry file prefix, or empty

# run_step RATE ATTEMPT: one bounded step, one row appended to $RES; 1 if it failed.
run_step() {
	local rate=$1 att=$2 n=$(($1 * SECS)) dir=$TMP/$SYS-$1-$2 nsc=() nss=() uas sub
	local uac='' sampler=''
	local lim=$(($1 * 2 > 2000 ? $1 * 2 : 2000))
	mkdir -p "$dir"
	[ -n "$UAC_NS" ] && nsc=(ip netns exec "$UAC_NS")
	[ -n "$UAS_NS" ] && nss=(ip netns exec "$UAS_NS")
	if udp_bound "$UAS_NS" "$UAS_IP" "$UAS_PORT" || udp_bound "$UAC_NS" "$UAC_IP" 5061; then
		note "$SYS: UDP $UAS_IP:$UAS_PORT or $UAC_IP:5061 is taken by another program"
		return 1
	fi

	(cd "$dir" && exec "${nss[@]}" "${NICEX[@]}" taskset -c 1 sipp -sf "$CPS/uas.xml" \
		-i "$UAS_IP" -p "$UAS_PORT" -nostdin -aa -default_behaviors all,-abortunexp \
		-buff_size "$SIPP_BUF" \
		-timeout $((SECS + 60)) -trace_stat -stf uas.csv -fd 1 >/dev/null 2>uas.err) &
	uas=$!
	track "$uas"
	if ! wait_udp "$UAS_NS" "$UAS_IP" "$UAS_PORT"; then
		note "$SYS: the UAS did not start: $(head -3 "$dir/uas.err")"
		stop_pid "$uas"
		return 1
	fi

	local c0 k0 b0=0 hz=0 c1 c2 k2 b2=0 t0 t1 mid rem oth
	c0=$(cpu_ns "${SUT_PIDS[@]}")
	k0=$(cpu_ticks "${SUT_PIDS[@]}")
	if [ -n "$TEL" ]; then
		read -r b0 hz < <("$HLTEL" -f "$TEL" /hotline/stats busy_tsc tsc_hz 2>/dev/null |
			paste -sd' ')
	fi
	if [ ${#SUT_PIDS[@]} -gt 0 ]; then
		(
			taskset -cp 1 "$BASHPID" >/dev/null
			for _ in $(seq $(((SECS + DRAIN + 90) * 2))); do
				mem_kb "${SUT_PIDS[@]}"
				sleep 0.5
			done
		) >"$dir/mem.txt" &
		sampler=$!
		track "$sampler"
	fi

	others >"$dir/others0.txt"
	t0=$(date +%s%N)
	(cd "$dir" && TIMEFORMAT='%3U %3S' && time "${nsc[@]}" "${NICEX[@]}" taskset -c 1 \
		sipp "$TARGET" -sf "$CPS/uac.xml" -s "$SERVICE" -i "$UAC_IP" -p 5061 -nostdin \
		-buff_size "$SIPP_BUF" -m "$n" -r "$rate" -l "$lim" -recv_timeout 4000 \
		-timeout $((SECS + 25)) -timeout_error \
		-trace_stat -stf uac.csv -fd 1 >/dev/null 2>uac.err) 2>"$dir/uac.time" &
	sub=$!
	track "$sub"
	for _ in $(seq 20); do
		uac=$(pgrep -P "$sub" | head -1)
		[ -n "$uac" ] && break
		sleep 0.05
	done
	[ -n "$uac" ] && track "$uac"
	# the load phase alone, t0 to t0 + SECS (the UAC's run also holds the tail of slow
	# calls): CPU of the SUT and of the other programs
	rem=$(awk -v a="$t0" -v b="$(date +%s%N)" -v s="$SECS" \
		'BEGIN { r = s - (b - a) / 1e9; printf "%.3f\n", (r > 0 ? r : 0) }')
	(sleep "$rem"; cpu_ns "${SUT_PIDS[@]}"; others >"$dir/others1.txt") >"$dir/mid.txt" &
	mid=$!
	track "$mid"
	wait "$sub"
	t1=$(date +%s%N)
	wait "$mid"
	untrack "$mid"
	read -r c1 <"$dir/mid.txt"
	oth=$(others_pct "$dir/others0.txt" "$dir/others1.txt" "$SECS")
	[ -n "$uac" ] && untrack "$uac"
	untrack "$sub"
	local uas_ns
	uas_ns=$(cpu_ns "$uas")
	stop_pid "$uas"
	[ "$DRAIN" -gt 0 ] && sleep "$DRAIN"
	c2=$(cpu_ns "${SUT_PIDS[@]}")
	k2=$(cpu_ticks "${SUT_PIDS[@]}")
	if [ -n "$TEL" ]; then
		read -r b2 _ < <("$HLTEL" -f "$TEL" /hotline/stats busy_tsc tsc_hz 2>/dev/null |
			paste -sd' ')
	fi
	[ -n "$sampler" ] && stop_pid "$sampler"

	local ok placed retr el rtd wd gen ut st pss rss
	read -r ok _ placed retr el rtd wd gen < <(stat_get "$dir/uac.csv")
	read -r ut st < <(tail -1 "$dir/uac.time" 2>/dev/null || echo "0 0")
	read -r pss rss < <(sort -n "$dir/mem.txt" 2>/dev/null | tail -1 || true)
	awk -v sys="$SYS" -v rate="$rate" -v n="$n" -v ok="$ok" -v placed="$placed" \
		-v retr="$retr" -v el="$el" -v rtd="$rtd" -v c0="$c0" -v c1="$c1" -v c2="$c2" \
		-v k0="$k0" -v k2="$k2" -v tck="$CLK_TCK" -v wall="$((SECS * 1000000))" \
		-v b0="${b0:-0}" -v b2="${b2:-0}" -v hz="${hz:-0}" -v ut="${ut:-0}" -v st="${st:-0}" \
		-v uasns="${uas_ns:-0}" -v pss="${pss:-0}" -v rss="${rss:-0}" \
		-v sut="${#SUT_PIDS[@]}" -v oth="$oth" -v att="$att" -v gen="${gen:-0}" \
		-v uacwall="$(((t1 - t0) / 1000000))" \
		'BEGIN {
		split(oth, ot, " "); o0 = ot[1]; o1 = ot[2]
		fail = n - ok; fpct = 100 * fail / n
		ach = el > 0 ? ok / el : 0
		cpu = (c2 - c0) / 1e9
		core = wall > 0 ? 100 * (c1 - c0) / 1e3 / wall : 0
		us = ok > 0 ? (c2 - c0) / 1e3 / ok : 0
		usk = ok > 0 ? (k2 - k0) / tck * 1e6 / ok : 0
		busy = (ok > 0 && hz > 0) ? (b2 - b0) / hz * 1e6 / ok : -1
		sipp = ok > 0 ? ((ut + st) * 1e6 + uasns / 1e3) / ok : 0
		pass = (fail * 1000 <= n && gen >= 0.95 * rate) ? "pass" : "FAIL"
		pss /= 1024; rss /= 1024
		if (!sut) { cpu = -1; core = -1; us = -1; usk = -1; pss = -1; rss = -1 }
		# the columns of $RES, 1 to 24
		printf "%s\t%d\t%d\t%d\t%d\t%.3f\t%.0f\t%d\t%.2f\t%.3f\t%.0f\t%.1f\t%.1f\t%.1f\t" \
			"%.1f\t%.1f\t%.1f\t%s\t%d\t%.0f\t%.0f\t%d\t%.0f\t%.3f\n",
			sys, rate, n, ok, fail, fpct, ach, retr, rtd, cpu, core, us, usk, busy, sipp,
			pss, rss, pass, placed, o0, o1, att, gen, uacwall / 1000
	}' >>"$RES"
	[ "${wd:-0}" -gt 0 ] &&
		note "$SYS $rate cps: $wd major watchdog trips in the UAC (sipp overloaded)"
	local row
	row=$(tail -1 "$RES")
	echo "$row" | awk -F'\t' '$20 > 15 || $21 > 15 { exit 1 }' ||
		note "$SYS $rate cps: other programs ran $(echo "$row" | cut -f20)% of a core," \
			"steal $(echo "$row" | cut -f21)%, during the step"
	log "$SYS $rate cps: $(echo "$row" | awk -F'\t' '{
		printf "%d/%d ok, placed at %d cps, %.0f cps achieved, %s µs/call, others %d%%" \
			" steal %d%%, %s", $4, $3, $23, $7, ($12 < 0 ? "-" : $12), $20, $21, $18 }')"
	[ "$(echo "$row" | cut -f18)" = pass ]
}

# step_all: every rate of $STEPS until one fails twice in a row.
step_all() {
	local r
	for r in $STEPS; do
		run_step "$r" 1 && continue
		log "$SYS $r cps: once more"
		run_step "$r" 2 || break
	done
}

# ---- Kamailio: stateful (tm) proxy --------------------------------------------------

# run_kamailio NAME ALLOCATOR: Kamailio in the foreground on CPU 0, stepped.
# ALLOCATOR "fm" (f_malloc) for both memory pools, or "default" (Debian's q_malloc).
run_kamailio() {
	command -v kamailio >/dev/null || { note "$1: kamailio not installed, skipped"; return 0; }
	local name=$1 dir=$TMP/$1 kp mem=()
	[ "$2" != default ] && mem=(-x "$2" -X "$2")
	mkdir -p "$dir"
	# -m: shared memory (MB) for tm's transactions, kept wait_timer (5 s) after the
	# final response: about 2 per call x rate x 5 s. -M: private memory per process.
	# the wire: loopback, or hotline's two namespaces (net_up)
	local lis=127.0.0.1 lport=5070 net=() per=$CHILDREN
	if [ "$KAM_NET" = veth ]; then
		# children= is per listen socket: the same UDP workers in all as on lo
		per=$(( CHILDREN > 1 ? CHILDREN / 2 : 1 ))
		net_up "$name" addressed || return 0
		lis=10.99.0.1 lport=5060
		net=(-A "BENCH_LISTEN=udp:10.99.0.1:5060" -A "BENCH_LISTEN2=udp:10.98.0.1:5060"
			-A "BENCH_OUT=udp:10.98.0.1:5060" -A "BENCH_UAS=\"sip:10.98.0.2:5090\"")
	elif udp_bound "" 127.0.0.1 5070; then
		note "$name: UDP 127.0.0.1:5070 is taken by another program; skipped"
		return 0
	else
		net=(-A "BENCH_LISTEN=udp:127.0.0.1:5070" -A "BENCH_UAS=\"sip:127.0.0.1:5090\"")
	fi
	(cd "$dir" && exec "${NICEX[@]}" taskset -c 0 kamailio -DD -E -f "$CPS/kamailio.cfg" \
		-m 2048 -M 16 "${mem[@]}" -w "$dir" -Y "$dir" "${net[@]}" \
		-A "BENCH_CHILDREN=$per" -A "BENCH_MPATH=\"$KAM_MPATH\"" \
		>"$dir/kamailio.log" 2>&1) &
	kp=$!
	track "$kp"
	if ! wait_udp "" "$lis" "$lport"; then
		note "$name: did not start: $(grep -m3 -i 'error\|critical' "$dir/kamailio.log")"
		stop_pid "$kp"
		[ "$KAM_NET" = veth ] && hl_teardown
		return 0
	fi
	sleep 1     # children forked and attached
	SUT_PIDS=("$kp")
	local c
	for c in $(pgrep -P "$kp"); do
		SUT_PIDS+=("$c")
		track "$c"
	done
	local i0 i1
	i0=$(cpu_ns "${SUT_PIDS[@]}")
	sleep 2
	i1=$(cpu_ns "${SUT_PIDS[@]}")
	note "$name: $(kamailio -v | head -1 | sed 's/^version: //;s/ *$//'), allocator $2," \
		"${#SUT_PIDS[@]} processes ($per UDP workers per listen socket)," \
		"idle $(( (i1 - i0) / 2000 )) µs CPU/s," \
		"PSS idle $(mem_kb "${SUT_PIDS[@]}" | awk '{printf "%.1f MB", $1 / 1024}')"
	if [ "$KAM_NET" = veth ]; then
		SYS=$name TARGET=10.99.0.1:5060 SERVICE=+15550100
		UAC_NS=$HL_NS_C UAC_IP=10.99.0.2 UAS_NS=$HL_NS_A UAS_IP=10.98.0.2 UAS_PORT=5090
	else
		SYS=$name TARGET=127.0.0.1:5070 SERVICE=+15550100
		UAC_NS='' UAC_IP=127.0.0.1 UAS_NS='' UAS_IP=127.0.0.1 UAS_PORT=5090
	fi
	DRAIN=6 TEL=
	step_all
	local ks ke
	ks=$(cpu_ticks "${SUT_PIDS[@]}")
	ke=$(cpu_ns "${SUT_PIDS[@]}")
	note "$name: cross-check, whole run: $(awk -v t="$ks" -v h="$CLK_TCK" -v n="$ke" \
		'BEGIN {printf "%.2f s CPU by schedstat, %.2f s by utime+stime", n / 1e9, t / h}')"
	# the main process stops its children; any that outlive it are stopped by PID
	stop_pid "$kp"
	for c in "${SUT_PIDS[@]:1}"; do stop_pid "$c"; done
	SUT_PIDS=()
	[ "$KAM_NET" = veth ] && hl_teardown
	return 0
}

# net_up NAME [addressed]: the customer and agents namespaces and their veth pairs
# (hl_veth); "addressed" gives the root-side ends 10.99.0.1 and 10.98.0.1 for a SUT on
# the kernel's stack (Kamailio), hotline takes them unaddressed as af_packet ports.
net_up() {
	local ns
	for ns in "$HL_NS_C" "$HL_NS_A"; do
		if ip netns list | grep -qw "^$ns"; then
			note "$1: namespace '$ns' exists already (not ours); skipped"
			return 1
		fi
	done
	if ! hl_veth "$HL_NS_C" "$HL_IF_C" "${HL_IF_C}p" 10.99.0.2/24 ||
		! hl_veth "$HL_NS_A" "$HL_IF_A" "${HL_IF_A}p" 10.98.0.2/24 ||
		{ [ "${2:-}" = addressed ] && { ! ip addr add 10.99.0.1/24 dev "$HL_IF_C" ||
			! ip addr add 10.98.0.1/24 dev "$HL_IF_A"; }; }
	then
		note "$1: could not create the namespaces"
		hl_teardown
		return 1
	fi
	return 0
}

# ---- SIPp alone: the load generator's ceiling ---------------------------------------

run_sipp() {
	SYS=sipp TARGET=127.0.0.1:5090 SERVICE=+15550100
	UAC_NS='' UAC_IP=127.0.0.1 UAS_NS='' UAS_IP=127.0.0.1 UAS_PORT=5090 DRAIN=0 TEL=
	SUT_PIDS=()
	step_all
}

# ---- hotline: the B2BUA --------------------------------------------------------------
# What run_hotline needs from hotlined (see bench/README.md, "SIP call rate"):
#  - two [port] sections on af_packet: "trunk" on the customer veth (10.99.0.1/24),
#    "agents" on the agents veth (10.98.0.1/24); SIP on UDP 5060 on both;
#  - [sip] tenants = FILE (INI: [tenant bench] domains/dids/trunks, [agent
#    agentNNNN@bench] password) and store = DIR;
#  - REGISTER to sip:bench.test from 10.98.0.2:5091, a 401 whose first
#    WWW-Authenticate is an MD5 digest challenge (SIPp 3.6 answers the first one
#    only, and MD5 only; digest uri sip:bench.test, qop auth or none), then 200 OK;
#    the Contact sip:agentNNNN@10.98.0.2:5090 is where that agent's calls go;
#  - an INVITE from the trunk network to sip:+15550100@10.99.0.1:5060 (DID of tenant
#    bench) bridged to an idle registered agent, 200 OK relayed with SDP, ACK and
#    BYE across; the agent free again right after the BYE (no wrap-up time);
#  - "running:" in its log once ready; /hotline/stats busy_tsc and tsc_hz in telemetry.
HL_AGENTS=${HL_CPS_AGENTS:-2000}
HL_NS_C=${HL_CPS_NS_CUSTOMER:-customer}
HL_NS_A=${HL_CPS_NS_AGENTS:-agents}
HL_IF_C=cpsc$ID     # engine ends of the veth pairs (af_packet), root namespace;
HL_IF_A=cpsa$ID     # the namespace ends are the same names with a "p"
HL_DRAIN=${HL_CPS_DRAIN:-2}

# hl_veth NS ENGINE_IF PEER_IF PEER_ADDR: namespace joined by a veth pair, the engine
# end left in the root namespace without an address (hotlined owns it); the peer
# computes its own checksums, as a host on a wire would (tests/integration/lib.sh).
hl_veth() {
	local ns=$1 eif=$2 pif=$3 addr=$4
	ip netns add "$ns" || return 1
	NETNS+=("$ns")
	ip link add "$eif" type veth peer name "$pif" || return 1
	LINKS+=("$eif")
	ip link set "$pif" netns "$ns" || return 1
	sysctl -qw "net.ipv6.conf.$eif.disable_ipv6=1"
	ip link set "$eif" up
	ip netns exec "$ns" sysctl -qw "net.ipv6.conf.$pif.disable_ipv6=1"
	ip netns exec "$ns" ip link set lo up
	ip netns exec "$ns" ip addr add "$addr" dev "$pif"
	ip netns exec "$ns" ip link set "$pif" up
	ethtool -K "$eif" tx off rx off >/dev/null 2>&1
	ip netns exec "$ns" ethtool -K "$pif" tx off rx off >/dev/null 2>&1
	return 0
}

hl_tenants() {
	local i
	printf '[tenant bench]\ndomains = bench.test\ndids = +15550100\ntrunks = 10.99.0.0/24\n'
	for i in $(seq -f %04g 1 "$HL_AGENTS"); do
		printf '\n[agent agent%s@bench]\npassword = pw\n' "$i"
	done
}

# The engine config: tests/integration/lib.sh's hl_conf with two ports and the SIP
# tenants. HL_CPS_SIP_KEYS=0 leaves tenants/store out, to check the plumbing (ARP,
# ICMP) with an engine that does not know them yet.
hl_conf() {
	cat <<CONF
[engine]
idle_sleep_max_us = 200
[lcores]
control = 0
workers = 0
[port trunk]
device = net_af_packet0,iface=$HL_IF_C
ipv4 = 10.99.0.1/24
[port agents]
device = net_af_packet1,iface=$HL_IF_A
ipv4 = 10.98.0.1/24
[sip]
port = 5060
CONF
	if [ "${HL_CPS_SIP_KEYS:-1}" = 1 ]; then
		printf 'tenants = %s\nstore = %s\n' "$TMP/hotline/tenants.ini" "$TMP/hotline/store"
		# SIPp 3.6 answers only the first challenge, and only MD5; one customer
		# address carries the whole load, so no per-source limit.
		printf 'digest = md5\nflood_pps = 0\nqualify_s = 0\n'
		printf 'max_transactions = 2097152\nmax_dialogs = 262144\n'
	fi
	printf '[rtp]\nports = 20000-29999\n[limits]\nmbufs = 16383\n'
}

# hl_register: the agents register from the agents namespace; HL_REG is how many got 200.
HL_REG=0
hl_register() {
	local dir=$TMP/hotline/register i sub ok
	mkdir -p "$dir"
	{
		echo SEQUENTIAL
		for i in $(seq -f %04g 1 "$HL_AGENTS"); do
			echo "agent$i;bench.test;$UAS_PORT;[authentication username=agent$i password=pw]"
		done
	} >"$dir/agents.csv"
	(cd "$dir" && exec ip netns exec "$HL_NS_A" "${NICEX[@]}" taskset -c 1 sipp 10.98.0.1:5060 \
		-sf "$CPS/reg.xml" -inf agents.csv -auth_uri bench.test \
		-i 10.98.0.2 -p 5091 -nostdin -m "$HL_AGENTS" -r 200 -l 100 \
		-recv_timeout 3000 -timeout 30 -timeout_error \
		-trace_stat -stf reg.csv -fd 1 -trace_msg -message_file reg_msg.log \
		>/dev/null 2>reg.err) &
	sub=$!
	track "$sub"
	wait "$sub"
	untrack "$sub"
	read -r ok _ < <(stat_get "$dir/reg.csv")
	HL_REG=${ok:-0}
}

# hl_start DIR: hotlined on CPU 0, one lcore (worker and control), on DIR/hotline.conf;
# HL_PID is its PID; 0 once it logs "running:" (10 s).
HL_PID=
hl_start() {
	(exec "${NICEX[@]}" taskset -c 0 "$HOTLINED" -l 0 --no-pci --no-huge -m 512 --no-shconf \
		--file-prefix "$HL_PREFIX" --log-level='hl.*:notice' \
		-- --config "$1/hotline.conf" >"$1/engine.log" 2>&1) &
	HL_PID=$!
	track "$HL_PID"
	for _ in $(seq 100); do
		grep -q "running:" "$1/engine.log" 2>/dev/null && return 0
		kill -0 "$HL_PID" 2>/dev/null || break
		sleep 0.1
	done
	return 1
}

run_hotline() {
	if [ "$RUN_HOTLINE" != 1 ]; then
		note "hotline: skipped (HOTLINE_CPS=1 or --hotline once hotlined does signalling)"
		return 0
	fi
	[ -x "$HOTLINED" ] || { note "hotline: signalling not available (no $HOTLINED)"; return 0; }
	local dir=$TMP/hotline hp
	mkdir -p "$dir/store"
	net_up hotline || return 0
	hl_tenants >"$dir/tenants.ini"
	hl_conf >"$dir/hotline.conf"

	if ! hl_start "$dir"; then
		note "hotline: signalling not available (hotlined did not start:" \
			"$(grep -m1 -iv '^EAL' "$dir/engine.log" | cut -c1-160))"
		hl_teardown "$HL_PID"
		return 0
	fi
	hp=$HL_PID
	if ! ip netns exec "$HL_NS_C" ping -c 1 -W 2 10.99.0.1 >/dev/null 2>&1 ||
		! ip netns exec "$HL_NS_A" ping -c 1 -W 2 10.98.0.1 >/dev/null 2>&1; then
		note "hotline: no ICMP echo reply from 10.99.0.1 / 10.98.0.1 (ports up?)"
	fi
	local reg
	hl_register
	reg=$HL_REG
	if [ "$reg" -eq 0 ]; then
		local why
		why=$(grep -v '^Resolving' "$dir/register/reg.err" | head -1 |
			awk -F'\t' '{print $NF}' | sed 's/^[0-9.]*: //' | cut -c1-120)
		if grep -q 'createAuthHeader' "$dir/register/reg.err"; then
			# SIPp 3.6 answers the first challenge of a 401 only, and MD5 only
			why="$why; first challenge: $(grep -m1 -i '^WWW-Authenticate:' \
				"$dir/register/reg_msg.log" | grep -io 'algorithm=[^,]*')"
			why="$why, SIPp 3.6 needs MD5 first"
		fi
		note "hotline: signalling not available (no agent registered: 0/$HL_AGENTS; $why)"
		hl_teardown "$hp"
		return 0
	fi
	[ "$reg" -lt "$HL_AGENTS" ] && note "hotline: only $reg/$HL_AGENTS agents registered"
	note "hotline: $reg agents registered, PSS idle" \
		"$(mem_kb "$hp" | awk '{printf "%.1f MB", $1 / 1024}')"
	SYS=hotline TARGET=10.99.0.1:5060 SERVICE=+15550100
	UAC_NS=$HL_NS_C UAC_IP=10.99.0.2 UAS_NS=$HL_NS_A UAS_IP=10.98.0.2 UAS_PORT=5090
	DRAIN=$HL_DRAIN TEL=$HL_PREFIX
	SUT_PIDS=("$hp")
	step_all
	SUT_PIDS=()
	hl_teardown "$hp"
}

hl_teardown() {
	[ -n "${1:-}" ] && stop_pid "$1"
	local l
	for l in "$HL_IF_C" "$HL_IF_A"; do ip link del "$l" 2>/dev/null; done
	for l in "$HL_NS_C" "$HL_NS_A"; do
		[[ " ${NETNS[*]} " == *" $l "* ]] && ip netns del "$l" 2>/dev/null
	done
	NETNS=()
	LINKS=()
	rm -rf "/var/run/dpdk/$HL_PREFIX"
}

# ---- tables ----------------------------------------------------------------------------

print_system() {
	local sys=$1 title=$2
	grep -q "^$sys	" "$RES" || return 0
	printf '\n%s; %s s per step, SUT on CPU 0, SIPp UAC+UAS on CPU 1\n\n' "$title" "$SECS"
	awk -F'\t' -v sys="$sys" '
	function f(v, fmt) { return v < 0 ? "-" : sprintf(fmt, v) }
	BEGIN {
		print "| offered cps | calls | ok | failed % | placed cps | achieved cps | retrans |" \
			" setup ms |" \
			" SUT CPU s | SUT core % | CPU µs/call | busy µs/call | sipp µs/call |" \
			" others % | steal % | PSS MB | RSS MB | step |"
		print "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |" \
			" ---: | ---: | ---: | ---: | ---: | ---: | --- |"
	}
	$1 == sys {
		printf "| %d | %d | %d | %.3f | %d | %d | %d | %.2f | %s | %s | %s | %s | %.1f | %d |" \
			" %d | %s | %s | %s%s |\n",
			$2, $3, $4, $6, $23, $7, $8, $9, f($10, "%.2f"), f($11, "%.0f"), f($12, "%.1f"),
			f($14, "%.1f"), $15, $20, $21, f($16, "%.1f"), f($17, "%.1f"), $18,
			($22 > 1 ? " (2nd)" : "")
	}' "$RES"
}

# The summary: max rate with <= 0.1% failures; CPU per call at the highest rate both
# kamailio and hotline passed (the systems compared) and at each one's max; ratios
# to Kamailio (f_malloc).
print_summary() {
	[ -s "$RES" ] || return 0
	printf '\nSummary (max: highest offered rate passed, <= 0.1%% failed and placed at >= 95%%;'
	printf ' hotline CPU is its busy cycles)\n\n'
	awk -F'\t' '
	$18 == "pass" {
		if (!($1 in max) || $2 > max[$1]) max[$1] = $2
		us[$1, $2] = ($14 >= 0 ? $14 : $12); pss[$1, $2] = $16; sipp[$1, $2] = $15
		ach[$1, $2] = $23
	}
	{ seen[$1] = 1; last[$1] = $2; lastres[$1] = $18 }
	END {
		n = split("kamailio kamailio-qm hotline sipp", order, " ")
		common = -1
		for (i = 1; i <= n; i++) {
			s = order[i]
			if ((s != "kamailio" && s != "hotline") || !(s in seen)) continue
			m = (s in max) ? max[s] : 0
			if (common < 0 || m < common) common = m
		}
		ctxt = common > 0 ? common : "-"
		print "| system | max cps | placed cps | CPU µs/call @ " ctxt \
			" cps | CPU µs/call @ max | PSS MB @ max |" \
			" sipp µs/call @ max | max vs Kamailio | µs/call vs Kamailio |"
		print "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
		k = ("kamailio" in max) ? max["kamailio"] : 0
		kc = (common > 0 && ("kamailio", common) in us) ? us["kamailio", common] : 0
		for (i = 1; i <= n; i++) {
			s = order[i]
			if (!(s in seen)) continue
			name = s == "kamailio" ? "Kamailio 5.6 tm proxy (f_malloc)" : \
				s == "kamailio-qm" ? "Kamailio 5.6 tm proxy (q_malloc, default)" : \
				s == "hotline" ? "hotline B2BUA" : "SIPp UAC -> UAS (ceiling)"
			m = (s in max) ? max[s] : 0
			mtxt = m > 0 ? m : "< " last[s]
			if (m > 0 && lastres[s] == "pass" && last[s] == m) mtxt = ">= " m
			uc = (common > 0 && (s, common) in us && us[s, common] >= 0) ? \
				sprintf("%.1f", us[s, common]) : "-"
			um = (m > 0 && us[s, m] >= 0) ? sprintf("%.1f", us[s, m]) : "-"
			pm = (m > 0 && pss[s, m] >= 0) ? sprintf("%.1f", pss[s, m]) : "-"
			sm = m > 0 ? sprintf("%.1f", sipp[s, m]) : "-"
			am = m > 0 ? sprintf("%d", ach[s, m]) : "-"
			rm = (k > 0 && m > 0) ? sprintf("%.2fx", m / k) : "-"
			rc = (kc > 0 && uc != "-") ? sprintf("%.2fx", uc / kc) : "-"
			printf "| %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", name, mtxt, am, uc,
				um, pm, sm, rm, rc
		}
	}' "$RES"
}

# ---- main ---------------------------------------------------------------------------------

log "bench_cps: steps [$STEPS] cps, $SECS s each; $(lscpu | sed -n 's/^Model name: *//p')," \
	"$(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg)"
[[ ",$ONLY," == *,kamailio,* ]] && run_kamailio kamailio fm
[[ ",$ONLY," == *,kamailio-qm,* ]] && run_kamailio kamailio-qm default
[[ ",$ONLY," == *,hotline,* ]] && run_hotline
[[ ",$ONLY," == *,sipp,* ]] && run_sipp

echo "bench_cps: $(date '+%Y-%m-%d %H:%M'), steps [$STEPS] cps, $SECS s per step," \
	"sipp $(sipp -v 2>/dev/null | sed -n 's/^ *SIPp \(v[^ -]*\).*/\1/p' | head -1)"
print_system kamailio "Kamailio tm stateful proxy, f_malloc, children=$CHILDREN, on $KAM_NET"
print_system kamailio-qm \
	"Kamailio tm stateful proxy, Debian default allocator (q_malloc), children=$CHILDREN, on $KAM_NET"
print_system hotline "hotline B2BUA (hotlined -l 0)"
print_system sipp "SIPp alone, UAC -> UAS (load generator ceiling)"
print_summary
if [ -s "$NOTES" ]; then
	printf '\nNotes:\n'
	sed 's/^/  /' "$NOTES"
fi
exit 0
