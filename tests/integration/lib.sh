# shellcheck shell=bash
# Integration harness: test hosts in network namespaces joined to hotlined by
# veth pairs, hotlined on a DPDK af_packet port, peers run inside the
# namespaces, a tshark capture per test. Everything is removed on exit, also
# when a test fails or is interrupted; on failure the engine log, the counters
# and the capture summary are printed.
#
# A test sources this file, calls hl_begin, builds its world with hl_peer (or
# hl_netns) /
# hl_engine_start, and ends with hl_done. Checks: hl_check, hl_check_ctr,
# hl_check_drop. Exit 77 (meson's skip) when root or a tool is missing.
set -uo pipefail

HL_SRCDIR=${HL_SRCDIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
HOTLINED=${HOTLINED:-$HL_SRCDIR/build/hotlined}
HLCTL=${HLCTL:-$(dirname "$HOTLINED")/hlctl}
HLTEL="$HL_SRCDIR/scripts/hltel"
HL_ID=$(( ($$ % 9000) + 1000 ))          # keeps interface names under 15 chars
HL_PREFIX="hlt$HL_ID"                    # EAL file prefix: telemetry socket dir
HL_TMP=$(mktemp -d "/tmp/hl-int-$HL_ID.XXXX")
HL_FAILS=0
HL_CHECKS=0
HL_NS=()
HL_LINKS=()
HL_PIDS=()
HL_ENGINE_PID=
HL_CAPTURE_PIDS=()

hl_skip() { echo "SKIP: $*"; exit 77; }

hl_require() {
	[ "$(id -u)" = 0 ] || hl_skip "needs root (network namespaces, af_packet)"
	for t in ip "$@"; do
		command -v "$t" >/dev/null 2>&1 || hl_skip "needs $t"
	done
	[ -x "$HOTLINED" ] || hl_skip "no hotlined at $HOTLINED"
}

hl_log() { printf '[%s] %s\n' "$(date +%T)" "$*"; }

hl_cleanup() {
	local rc=$?
	set +e
	hl_captures_stop
	if [ -n "$HL_ENGINE_PID" ] && kill -0 "$HL_ENGINE_PID" 2>/dev/null; then
		hl_engine_stop
	fi
	for p in "${HL_PIDS[@]}"; do kill "$p" 2>/dev/null; done
	if [ "$HL_FAILS" -gt 0 ] || [ "$rc" -ne 0 ] && [ "$rc" -ne 77 ]; then
		echo "---- engine log ($HL_TMP/engine.log) ----"
		tail -80 "$HL_TMP/engine.log" 2>/dev/null
		for f in "$HL_TMP"/*.pcap; do
			[ -s "$f" ] || continue
			echo "---- capture $f ----"
			tshark -r "$f" -n 2>/dev/null | tail -40
		done
	fi
	for l in "${HL_LINKS[@]}"; do ip link del "$l" 2>/dev/null; done
	for n in "${HL_NS[@]}"; do ip netns del "$n" 2>/dev/null; done
	rm -rf "/var/run/dpdk/$HL_PREFIX"
	[ "${HL_KEEP_TMP:-0}" = 1 ] || rm -rf "$HL_TMP"
}

hl_begin() {
	HL_TEST_NAME=$1
	shift
	hl_require "$@"
	trap hl_cleanup EXIT
	trap 'exit 130' INT TERM
	hl_log "== $HL_TEST_NAME"
}

# hl_netns NAME ENGINE_IF PEER_IF: a namespace joined to the root namespace by a
# veth pair; ENGINE_IF stays here for hotlined's af_packet port. The peer end
# computes its own checksums (tx offload off), as a NIC on a wire would.
hl_netns() {
	local ns=$1 eif=$2 pif=$3
	ip netns add "$ns" || return 1
	HL_NS+=("$ns")
	ip link add "$eif" type veth peer name "$pif" || return 1
	HL_LINKS+=("$eif")
	ip link set "$pif" netns "$ns"
	sysctl -qw "net.ipv6.conf.$eif.disable_ipv6=1"
	ip link set "$eif" up
	ip netns exec "$ns" ip link set lo up
	ip netns exec "$ns" ip link set "$pif" up
	ethtool -K "$eif" tx off rx off >/dev/null 2>&1
	ip netns exec "$ns" ethtool -K "$pif" tx off rx off >/dev/null 2>&1
}

# hl_peer [v4only]: the usual test host. Namespace hl<ID>p joined by veth
# hle<ID> (engine end) / hlp<ID> (peer end), peer at 10.99.0.2/24 and fd99::2/64
# (the engine is .1 / ::1 in hl_conf). Sets NS, EIF, PIF.
hl_peer() {
	NS=hl${HL_ID}p
	EIF=hle$HL_ID
	PIF=hlp$HL_ID
	hl_netns "$NS" "$EIF" "$PIF" || return 1
	ip netns exec "$NS" ip addr add 10.99.0.2/24 dev "$PIF"
	if [ "${1:-}" = v4only ]; then
		# no IPv6 chatter (router solicitations, MLD) from the peer itself
		ip netns exec "$NS" sysctl -qw "net.ipv6.conf.$PIF.disable_ipv6=1"
	else
		ip netns exec "$NS" ip addr add fd99::2/64 dev "$PIF" nodad
	fi
}

# hl_agents_host: a second test host for agents' phones. Namespace hl<ID>a
# joined by veth hla<ID> (engine end) / hlb<ID>, at 10.98.0.2/24 (the engine is
# 10.98.0.1). Sets ANS, AEIF, APIF.
hl_agents_host() {
	ANS=hl${HL_ID}a
	AEIF=hla$HL_ID
	APIF=hlb$HL_ID
	hl_netns "$ANS" "$AEIF" "$APIF" || return 1
	ip netns exec "$ANS" ip addr add 10.98.0.2/24 dev "$APIF"
	ip netns exec "$ANS" sysctl -qw "net.ipv6.conf.$APIF.disable_ipv6=1"
}

# hl_sipp NS ARGS...: SIPp in a namespace, bounded (-timeout), no terminal;
# scenarios from tests/integration/sipp/. Returns SIPp's exit code.
HL_SIPP_DIR="$HL_SRCDIR/tests/integration/sipp"

# hl_tenants_acme [ACME_LINES] [MORE]: writes $HL_TMP/tenants.conf with the tenant the
# calls of most tests go to: acme (DID +15550100 from trunks in 10.99.0.0/24) and its
# agent alice (password alicepw). ACME_LINES are more settings of acme (dtmf_to_agent =
# suppress); MORE follows alice's section (more agents of acme, more tenants).
hl_tenants_acme() {
	{
		printf '[tenant acme]\nrealm = acme.test\ndomains = acme.test\n'
		printf 'dids = +15550100\ntrunks = 10.99.0.0/24\n'
		[ -z "${1:-}" ] || printf '%s\n' "$1"
		printf '[agent alice@acme]\npassword = alicepw\n'
		[ -z "${2:-}" ] || printf '%s\n' "$2"
	} >"$HL_TMP/tenants.conf"
}

# hl_register_alice [WHAT] [PORT]: the check that alice's phone (SIPp on the agents'
# host, hl_agents_host, at 10.98.0.2:PORT, default 5090) registers for 600 s.
hl_register_alice() {
	hl_check "${1:-alice registers}" \
		hl_sipp "$ANS" 10.98.0.1:5060 -sf "$HL_SIPP_DIR/register.xml" -s alice -au alice \
		-ap alicepw -i 10.98.0.2 -p "${2:-5090}" -m 1 -key expires 600
}
hl_sipp() {
	local ns=$1
	shift
	ip netns exec "$ns" timeout 60 sipp -nostdin -timeout 30 -timeout_error \
		-trace_err -error_file "$HL_TMP/sipp-$$-$RANDOM.err" "$@" </dev/null >/dev/null 2>&1
}

# Counter of the signalling module: hl_sip calls_answered
hl_sip() { hl_tel /hotline/sip "$1"; }

hl_check_sip() {
	local v
	v=$(hl_sip "$1")
	hl_check "sip $1 ($v) $2 $3" [ "$v" "$2" "$3" ]
}

# Frame and datagram maker run inside a namespace: see pkt.py.
PKT="python3 $HL_SRCDIR/tests/integration/pkt.py"

# hl_capture NS IF NAME: tshark in the namespace, pcap kept on failure.
hl_capture() {
	local ns=$1 ifc=$2 name=$3
	command -v tshark >/dev/null || return 0
	ip netns exec "$ns" tshark -i "$ifc" -w "$HL_TMP/$name.pcap" -q >/dev/null 2>&1 &
	HL_CAPTURE_PIDS+=($!)
	for _ in $(seq 50); do
		[ -s "$HL_TMP/$name.pcap" ] && break
		sleep 0.1
	done
}

# hl_captures_stop: ends every hl_capture and waits until its pcap is written.
hl_captures_stop() {
	local p
	for p in "${HL_CAPTURE_PIDS[@]}"; do kill -INT "$p" 2>/dev/null; done
	for p in "${HL_CAPTURE_PIDS[@]}"; do wait "$p" 2>/dev/null; done
	HL_CAPTURE_PIDS=()
}

# hl_sip_count NAME FILTER: distinct SIP transactions (Call-ID, CSeq) in capture NAME
# that match the tshark display filter FILTER (a retransmission counts once).
hl_sip_count() {
	tshark -r "$HL_TMP/$1.pcap" -n -Y "$2" -T fields -e sip.Call-ID -e sip.CSeq 2>/dev/null |
		sort -u | wc -l
}

# hl_check_txns_gone [SECONDS]: waits up to SECONDS (30) for hotline's SIP
# transactions to end, then checks that none is left.
hl_check_txns_gone() {
	local i
	for ((i = 0; i < ${1:-30} * 2; i++)); do
		[ "$(hl_sip transactions)" -eq 0 ] && break
		sleep 0.5
	done
	hl_check_sip transactions -eq 0
}

# hl_engine_start CONFIG_TEXT [LCORES]: writes the config, starts hotlined on it,
# waits until it runs. LCORES defaults to "0".
hl_engine_start() {
	local conf="$HL_TMP/hotline.conf" lcores=${2:-0}
	printf '%s\n' "$1" >"$conf"
	# Emptied here, not by the background job's own redirection, which runs after the
	# fork: the wait below would otherwise find a previous run's "running:" line.
	: >"$HL_TMP/engine.log"
	"$HOTLINED" -l "$lcores" --no-pci --no-huge -m 256 --no-shconf \
		--file-prefix "$HL_PREFIX" --log-level='hl.*:info' \
		-- --config "$conf" >"$HL_TMP/engine.log" 2>&1 &
	HL_ENGINE_PID=$!
	for _ in $(seq 100); do
		grep -q "running:" "$HL_TMP/engine.log" 2>/dev/null && return 0
		kill -0 "$HL_ENGINE_PID" 2>/dev/null || break
		sleep 0.1
	done
	echo "hotlined did not start:"
	cat "$HL_TMP/engine.log"
	return 1
}

# Stops hotlined by its PID (SIGTERM, then SIGKILL after 10 s); keeps its exit code.
hl_engine_stop() {
	[ -n "$HL_ENGINE_PID" ] || return 0
	kill -TERM "$HL_ENGINE_PID" 2>/dev/null
	for _ in $(seq 100); do
		kill -0 "$HL_ENGINE_PID" 2>/dev/null || break
		sleep 0.1
	done
	kill -KILL "$HL_ENGINE_PID" 2>/dev/null
	wait "$HL_ENGINE_PID" 2>/dev/null
	HL_ENGINE_RC=$?
	HL_ENGINE_PID=
}

# Counter value from telemetry: hl_tel /hotline/stats rx_packets
hl_tel() { "$HLTEL" -f "$HL_PREFIX" "$1" "$2" 2>/dev/null || echo 0; }
hl_ctr() { hl_tel /hotline/stats "$1"; }
hl_drop() { hl_tel /hotline/drops "$1"; }

hl_check() {
	local what=$1
	shift
	HL_CHECKS=$((HL_CHECKS + 1))
	if "$@"; then
		echo "ok   - $what"
	else
		echo "FAIL - $what"
		HL_FAILS=$((HL_FAILS + 1))
	fi
}

# hl_check_ctr NAME OP VALUE, e.g. hl_check_ctr icmp_echo_reply_out -eq 5
hl_check_ctr() {
	local v
	v=$(hl_ctr "$1")
	hl_check "stats $1 ($v) $2 $3" [ "$v" "$2" "$3" ]
}

hl_check_drop() {
	local v
	v=$(hl_drop "$1")
	hl_check "drop $1 ($v) $2 $3" [ "$v" "$2" "$3" ]
}

# Polls until counter NAME reaches at least VALUE or 5 s pass.
hl_wait_ctr() {
	for _ in $(seq 50); do
		[ "$(hl_ctr "$1")" -ge "$2" ] && return 0
		sleep 0.1
	done
	return 1
}

hl_wait_drop() {
	for _ in $(seq 50); do
		[ "$(hl_drop "$1")" -ge "$2" ] && return 0
		sleep 0.1
	done
	return 1
}

# A simple engine config: hl_conf IFACE [extra port lines]. The port is
# af_packet on IFACE unless HL_PMD=pcap: DPDK 22.11's af_packet joins a
# PACKET_FANOUT group with the DEFRAG flag, so the kernel reassembles IPv4
# before the engine sees it; net_pcap on the same veth hands over raw
# fragments, as a NIC does, for the tests of hotline's own reassembly.
hl_device() {
	if [ "${HL_PMD:-af_packet}" = pcap ]; then
		echo "net_pcap0,iface=$1"
	else
		echo "net_af_packet0,iface=$1"
	fi
}

hl_conf() {
	cat <<CONF
[engine]
idle_sleep_max_us = 200
[lcores]
control = 0
workers = ${HL_WORKERS:-0}
[port trunk]
device = $(hl_device "$1")
ipv4 = 10.99.0.1/24
gateway4 = 10.99.0.254
ipv6 = fd99::1/64
${2:-}
[sip]
port = 5060
[rtp]
ports = 20000-29999
CONF
}

# hl_sip_conf [SIP_LINES]: the signalling tests' engine: port "trunk" on $EIF
# (10.99.0.1/24, see hl_peer) and port "agents" on $AEIF (10.98.0.1/24, see
# hl_agents_host), the tenants file $HL_TMP/tenants.conf, a store in $HL_TMP,
# T1 of 200 ms so the RFC timers run out quickly, MD5 challenges (SIPp answers
# only MD5, and only the first challenge), no qualify OPTIONS (a SIPp phone
# takes an out-of-dialog OPTIONS for a failed call), and SIP_LINES appended;
# RTP_LINES are appended to [rtp].
hl_sip_conf() {
	cat <<CONF
[engine]
idle_sleep_max_us = 200
[lcores]
control = 0
workers = 0
[port trunk]
device = net_af_packet0,iface=$EIF
ipv4 = 10.99.0.1/24
[port agents]
device = net_af_packet1,iface=$AEIF
ipv4 = 10.98.0.1/24
[sip]
port = 5060
tenants = $HL_TMP/tenants.conf
store = $HL_TMP/store
t1_ms = 200
digest = md5
qualify_s = 0
${1:-}
[rtp]
ports = 20000-29999
${2:-}
CONF
}

hl_done() {
	hl_log "$HL_TEST_NAME: $((HL_CHECKS - HL_FAILS)) passed, $HL_FAILS failed"
	[ "$HL_FAILS" -eq 0 ]
	exit $?
}
