#!/usr/bin/env bash
# ARP, NDP and ICMP echo over IPv4 and IPv6 against a real hotlined on af_packet,
# including resolutions the engine has to start itself.
source "$(dirname "$0")/lib.sh"
hl_begin "l2l3: ARP, NDP, ping v4/v6" ping tshark

hl_peer || exit 1
hl_capture "$NS" "$PIF" l2l3
hl_engine_start "$(hl_conf "$EIF")" || exit 1
EMAC=$(hl_tel /hotline/ports trunk.mac | tr 'A-F' 'a-f')
PMAC=$(ip netns exec "$NS" cat "/sys/class/net/$PIF/address")

# 1. The peer knows the engine statically, so it never ARPs: the engine's echo
# reply must find the peer's MAC by sending its own ARP request (and NS for v6).
ip netns exec "$NS" ip neigh replace 10.99.0.1 lladdr "$EMAC" dev "$PIF" nud permanent
ip netns exec "$NS" ip -6 neigh replace fd99::1 lladdr "$EMAC" dev "$PIF" nud permanent
hl_check "ping v4 answered after engine-initiated ARP" \
	ip netns exec "$NS" ping -c 3 -i 0.2 -W 2 -q 10.99.0.1
hl_check_ctr arp_request_out -ge 1
hl_check_ctr neigh_queued -ge 1
hl_check_ctr neigh_flushed -ge 1
hl_check "ping v6 answered after engine-initiated NS" \
	ip netns exec "$NS" ping -6 -c 3 -i 0.2 -W 2 -q fd99::1
hl_check_ctr nd_solicit_out -ge 1
hl_check_ctr nd_advert_in -ge 1
hl_check_ctr icmp_echo_reply_out -eq 3
hl_check_ctr icmp6_echo_reply_out -eq 3
"$HLTEL" -f "$HL_PREFIX" /hotline/neigh
hl_check "engine neighbour table has the peer (v4)" \
	bash -c "'$HLTEL' -f '$HL_PREFIX' /hotline/neigh | grep -qi 'port 0 10.99.0.2 $PMAC reachable'"
hl_check "engine neighbour table has the peer (v6)" \
	bash -c "'$HLTEL' -f '$HL_PREFIX' /hotline/neigh | grep -qi 'port 0 fd99::2 $PMAC reachable'"

# 2. The usual way round: the peer resolves the engine.
ip netns exec "$NS" ip neigh del 10.99.0.1 dev "$PIF"
ip netns exec "$NS" ip -6 neigh del fd99::1 dev "$PIF"
hl_check "ping v4 (peer ARPs the engine)" ip netns exec "$NS" ping -c 5 -i 0.2 -W 2 -q 10.99.0.1
hl_check "ping v6 (peer solicits the engine)" \
	ip netns exec "$NS" ping -6 -c 5 -i 0.2 -W 2 -q fd99::1
hl_check_ctr arp_reply_out -ge 1
hl_check_ctr nd_advert_out -ge 1
hl_check "peer learned the engine MAC by ARP" \
	bash -c "ip netns exec '$NS' ip neigh show 10.99.0.1 | grep -qi '$EMAC'"
hl_check "peer learned the engine MAC by NDP" \
	bash -c "ip netns exec '$NS' ip -6 neigh show fd99::1 | grep -qi '$EMAC'"
LL=$(hl_tel /hotline/ports trunk.ipv6_link_local)
hl_check "ping the engine's link-local address ($LL)" \
	ip netns exec "$NS" ping -6 -c 2 -i 0.2 -W 2 -q "$LL%$PIF"
hl_check_ctr icmp_echo_reply_out -eq 8
hl_check "a 1400-byte ping comes back whole" \
	ip netns exec "$NS" ping -c 2 -i 0.2 -W 2 -q -s 1400 10.99.0.1
# 3. Addresses that are not the engine's get no answer.
hl_check "no answer for another address on the link" \
	bash -c "! ip netns exec '$NS' ping -c 1 -W 1 -q 10.99.0.77"
hl_check "the engine's ARP answers carry its own MAC only" \
	bash -c "tshark -r '$HL_TMP/l2l3.pcap' -Y 'arp.opcode==2 && arp.src.proto_ipv4==10.99.0.1' -T fields -e arp.src.hw_mac 2>/dev/null | sort -u | grep -qx '$EMAC'"

hl_engine_stop
hl_check "hotlined exits 0 on SIGTERM" [ "${HL_ENGINE_RC:-1}" -eq 0 ]
hl_check "final counters printed" grep -q "icmp_echo_reply_out" "$HL_TMP/engine.log"
hl_done
