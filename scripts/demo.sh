#!/usr/bin/env bash
# hotline demo: builds, creates a test host in network namespace "hl-demo" joined
# by a veth pair, runs hotlined on DPDK af_packet over the engine end, and shows
# it working: the test host resolves and pings the engine over IPv4 and IPv6,
# sends it SIP and RTP-range datagrams, and the engine's counters are printed
# live (telemetry) and at exit. Leaves nothing behind, also when interrupted.
set -uo pipefail
cd "$(dirname "$0")/.."
[ "$(id -u)" = 0 ] || { echo "demo: run as root (namespaces, af_packet)"; exit 1; }
scripts/deps.sh || exit 1
scripts/build.sh || exit 1

NS=hl-demo
PREFIX=hl-demo
LOG=$(mktemp /tmp/hl-demo.XXXX.log)
ENGINE=
cleanup() {
	trap - EXIT INT TERM
	if [ -n "$ENGINE" ] && kill -0 "$ENGINE" 2>/dev/null; then
		kill -TERM "$ENGINE"
		wait "$ENGINE" 2>/dev/null
		echo
		echo "== hotlined's final report"
		sed -n '/stopping; final counters/,$p' "$LOG"
	fi
	ip link del hl-demo0 2>/dev/null
	ip netns del "$NS" 2>/dev/null
	rm -rf "/var/run/dpdk/$PREFIX" "$LOG"
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
step "SIP and RTP-range datagrams (classified; SIP reaches the control lcore)"
ip netns exec "$NS" python3 tests/integration/pkt.py udp 10.99.0.1 5060 400 3
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
