#!/usr/bin/env bash
# hotline demo: builds, creates a test host in network namespace "hl-demo" joined
# by a veth pair, runs hotlined on DPDK af_packet over the engine end, and shows
# it working: the test host resolves and pings the engine over IPv4 and IPv6; an
# agent's phone (SIPp) registers with digest authentication; a customer (SIPp, as
# a carrier trunk would) calls the tenant's DID; hotline rings the agent, who
# answers; audio flows both ways through hotline (the customer's side SRTP,
# the agent's plain RTP), the customer presses a key (RFC 4733), then hangs up.
# The SIP ladder is printed from a capture, each leg's quality figures at
# hang-up, and the engine's counters live (telemetry) and at exit. Leaves nothing behind, also
# when interrupted.
set -uo pipefail
cd "$(dirname "$0")/.."
[ "$(id -u)" = 0 ] || { echo "demo: run as root (namespaces, af_packet)"; exit 1; }
scripts/deps.sh || exit 1
scripts/build.sh || exit 1

NS=hl-demo
PREFIX=hl-demo
LOG=$(mktemp /tmp/hl-demo.XXXX.log)
ENGINE=
PEERS=
TMP=$(mktemp -d /tmp/hl-demo.XXXX)
cleanup() {
	trap - EXIT INT TERM
	if [ -n "$ENGINE" ] && kill -0 "$ENGINE" 2>/dev/null; then
		kill -TERM "$ENGINE"
		wait "$ENGINE" 2>/dev/null
		echo
		echo "== hotlined's final report"
		sed -n '/stopping; final counters/,$p' "$LOG"
	fi
	for p in $PEERS; do kill "$p" 2>/dev/null; done
	ip link del hl-demo0 2>/dev/null
	ip netns del "$NS" 2>/dev/null
	rm -rf "/var/run/dpdk/$PREFIX" "$LOG" "$TMP" /tmp/hl-demo-store
}
trap cleanup EXIT
trap 'exit 130' INT TERM
step() { printf '\n== %s\n' "$*"; }

ip link del hl-demo0 2>/dev/null
ip netns del "$NS" 2>/dev/null
step "test host: namespace $NS, veth hl-demo1 (10.99.0.2, fd99::2) <-> hl-demo0 (engine)"
ip netns add "$NS"
ip link add hl-demo0 type veth peer name hl-demo1
ip link set hl-demo1 netns "$NS"
sysctl -qw net.ipv6.conf.hl-demo0.disable_ipv6=1
ip link set hl-demo0 up
ethtool -K hl-demo0 tx off rx off >/dev/null 2>&1
ip netns exec "$NS" ip link set lo up
ip netns exec "$NS" ip link set hl-demo1 up
ip netns exec "$NS" ethtool -K hl-demo1 tx off rx off >/dev/null 2>&1
ip netns exec "$NS" ip addr add 10.99.0.2/24 dev hl-demo1
ip netns exec "$NS" ip addr add fd99::2/64 dev hl-demo1 nodad

step "starting hotlined on net_af_packet (one lcore, idle back-off)"
echo "  ./build/hotlined -l 0 --no-pci --no-huge -m 256 --file-prefix $PREFIX -- --config examples/demo.conf"
./build/hotlined -l 0 --no-pci --no-huge -m 256 --file-prefix "$PREFIX" \
	-- --config examples/demo.conf >"$LOG" 2>&1 &
ENGINE=$!
for _ in $(seq 100); do
	grep -q "running:" "$LOG" && break
	kill -0 "$ENGINE" 2>/dev/null || { cat "$LOG"; exit 1; }
	sleep 0.1
done
grep -E "hl.dp|running" "$LOG" | sed 's/^/  /'

step "test host pings the engine over IPv4 (ARP first)"
ip netns exec "$NS" ping -c 3 -i 0.3 10.99.0.1
step "test host pings the engine over IPv6 (Neighbor Discovery first)"
ip netns exec "$NS" ping -6 -c 3 -i 0.3 fd99::1
step "test host's neighbour entries for the engine"
ip netns exec "$NS" ip neigh show dev hl-demo1
SIPP="ip netns exec $NS timeout 60 sipp -nostdin -timeout 30 -timeout_error"
S=tests/integration/sipp
ip netns exec "$NS" tshark -i hl-demo1 -f "udp port 5060" -w "$TMP/sip.pcap" -q >/dev/null 2>&1 &
PEERS="$PEERS $!"
for _ in $(seq 50); do [ -s "$TMP/sip.pcap" ] && break; sleep 0.1; done
step "agent alice's phone (10.99.0.2:5090) registers to tenant 'acme' with digest auth"
$SIPP 10.99.0.1:5060 -sf $S/register.xml -s alice -au alice -ap demo-secret \
	-key expires 600 -i 10.99.0.2 -p 5090 -m 1 </dev/null >/dev/null 2>&1 &&
	echo "  registered" || echo "  registration FAILED"
# The phones' media: G.711 audio from SIPp's pcaps, the customer's pre-encrypted
# with its SDES key (SIPp has no SRTP of its own), and one press of '1'.
source tests/integration/lib_media.sh
HL_RTP_PCAP_DIR=$TMP hl_media_prepare "$TMP/media" 7500 1 >/dev/null ||
	echo "  media pcaps could not be prepared"
step "a customer on the trunk (10.99.0.2:5070, SRTP) calls +15550100; alice answers (plain RTP);
   7 s of audio each way, the customer presses '$HL_MEDIA_DTMF_DIGITS', then hangs up"
$SIPP -sf $S/agent_uas_rtp.xml -i 10.99.0.2 -p 5090 -mp 6100 -m 1 "${HL_MEDIA_AGENT_ARGS[@]}" \
	</dev/null >/dev/null 2>&1 &
AGENT=$!
PEERS="$PEERS $AGENT"
sleep 0.3
$SIPP 10.99.0.1:5060 -sf $S/customer_uac_srtp.xml -s +15550100 -i 10.99.0.2 -p 5070 -mp 6000 \
	-m 1 "${HL_MEDIA_SRTP_ARGS[@]}" -d $((HL_MEDIA_DTMF_MS + 500)) \
	</dev/null >/dev/null 2>&1 && echo "  customer: call completed" || echo "  customer: call FAILED"
wait "$AGENT" && echo "  agent: answered, got the BYE" || echo "  agent: FAILED"
sleep 0.5
step "media: what hotline relayed, the key press it saw, each leg's quality at hang-up"
for k in rtp_relayed rtp_latched rtcp_out dtmf_4733_presses; do
	printf '  %-20s %s\n' "$k" "$(scripts/hltel -f "$PREFIX" /hotline/stats "$k")"
done
printf '  %-20s %s\n' "key presses (RFC 4733)" "$(scripts/hltel -f "$PREFIX" /hotline/sip last_dtmf_digits)"
grep -o 'call [0-9]* leg [AB]: .*' "$LOG" | sed 's/^/  /; s/leg A/leg A (customer, SRTP)/; s/leg B/leg B (agent, RTP)/'
echo "  (the key's end packet comes three times with one sequence number, RFC 4733 §2.5.1.4:"
echo "   under SRTP its two copies are replays, dropped and counted as srtp replay)"
sleep 0.5
step "the call's record in the LMDB store (build/hlctl cdr --store /tmp/hl-demo-store)"
build/hlctl cdr --store /tmp/hl-demo-store | tr ' ' '\n' | paste -d' ' - - - - - - | sed 's/^/  /'
step "the SIP ladder (tshark on the test host; hotline is 10.99.0.1)"
for p in $PEERS; do kill -INT "$p" 2>/dev/null; done
sleep 0.5
tshark -r "$TMP/sip.pcap" -Y sip -T fields -e frame.time_relative -e udp.srcport -e ip.src \
	-e ip.dst -e udp.dstport -e _ws.col.Info 2>/dev/null |
	awk -F'\t' '{ who = ($3 == "10.99.0.1") ? "hotline ->" : "         <-";
		peer = ($3 == "10.99.0.1") ? $5 : $2;
		role = (peer == 5090) ? "agent   " : "customer";
		printf "  %7.3f  %s %s  %s\n", $1, who, role, $6 }'
step "signalling counters (scripts/hltel -f $PREFIX /hotline/sip)"
scripts/hltel -f "$PREFIX" /hotline/sip | grep -vE '": 0,?$|": ""'
step "RTP-range and closed-port datagrams (classified and counted)"
ip netns exec "$NS" python3 tests/integration/pkt.py udp 10.99.0.1 20000 172 5
ip netns exec "$NS" python3 tests/integration/pkt.py udp 10.99.0.1 9 64 2
sleep 0.5
step "live counters over DPDK telemetry (scripts/hltel -f $PREFIX /hotline/stats)"
scripts/hltel -f "$PREFIX" /hotline/stats | grep -vE '": 0,?$'
step "drop reasons (/hotline/drops)"
scripts/hltel -f "$PREFIX" /hotline/drops | grep -vE '": 0,?$'
step "engine neighbour table (/hotline/neigh) and lcore load (/hotline/lcores)"
scripts/hltel -f "$PREFIX" /hotline/neigh
scripts/hltel -f "$PREFIX" /hotline/lcores
