#!/usr/bin/env bash
# Hostile input: every malformed frame is dropped under its own named reason,
# and the engine keeps answering pings throughout.
source "$(dirname "$0")/lib.sh"
# Raw fragments must reach the engine: see hl_device in lib.sh.
HL_PMD=pcap
hl_begin "badinput: malformed frames dropped and counted" python3

hl_peer || exit 1
# A short reassembly timeout, so the runaway/misaligned leftovers expire in the test.
hl_engine_start "$(hl_conf "$EIF")
[limits]
frag_timeout_ms = 300" || exit 1
EMAC=$(hl_tel /hotline/ports trunk.mac)
ip netns exec "$NS" ping -c 1 -W 2 -q 10.99.0.1 >/dev/null

# kind  drop-reason-that-must-count-it  count. (Runt frames cannot cross a veth:
# the kernel drops them; tests/test_net.c covers them on crafted mbufs.)
while read -r kind reason n; do
	before=$(hl_drop "$reason")
	ip netns exec "$NS" $PKT bad "$PIF" "$EMAC" "$kind" "$n"
	want=$((before + n))
	hl_wait_drop "$reason" "$want"
	got=$(hl_drop "$reason")
	hl_check "$kind x$n -> $reason ($before -> $got)" [ "$got" -eq "$want" ]
done <<'TABLE'
ethertype unknown_ethertype 5
ipv4_truncated ipv4_truncated 5
ipv4_bad_version ipv4_bad_version 5
ipv4_bad_ihl ipv4_bad_header_length 5
ipv4_bad_checksum ipv4_bad_checksum 5
ipv4_bad_total_length ipv4_bad_total_length 5
ipv4_total_length_past_frame ipv4_truncated 5
ipv4_martian_source ipv4_martian_source 5
udp_bad_checksum udp_bad_checksum 5
udp_bad_length udp_bad_length 5
icmp_bad_checksum icmp_bad_checksum 5
l4_protocol l4_protocol_unsupported 5
fragment_misaligned ipv4_fragment_invalid 5
ipv6_bad_payload_length ipv6_truncated 5
ipv6_udp_zero_checksum udp_bad_checksum 5
vlan_unexpected vlan_mismatch 5
TABLE

# Fragments: overlapping pieces and a runaway train never make a datagram; every
# piece ends as a counted drop (now, or when its reassembly expires).
ip netns exec "$NS" $PKT bad "$PIF" "$EMAC" fragment_overlap 1
ip netns exec "$NS" $PKT bad "$PIF" "$EMAC" fragment_runaway 1
sleep 1
ip netns exec "$NS" ping -c 1 -W 2 -q 10.99.0.1 >/dev/null   # a loop turn after expiry
hl_wait_drop fragment_dropped 14
hl_check_drop fragment_dropped -eq 14
hl_check_ctr ipv4_reassembled -eq 0
hl_check_ctr udp_sip -eq 0
hl_check "still answers ping v4 after the garbage" \
	ip netns exec "$NS" ping -c 3 -i 0.2 -W 2 -q 10.99.0.1
hl_check "still answers ping v6 after the garbage" \
	ip netns exec "$NS" ping -6 -c 3 -i 0.2 -W 2 -q fd99::1
hl_engine_stop
hl_check "hotlined exits 0 after the garbage" [ "${HL_ENGINE_RC:-1}" -eq 0 ]
hl_done
