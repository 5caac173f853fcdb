#!/usr/bin/env bash
# UDP demultiplexing: closed ports dropped and counted, 3000-byte SIP datagrams
# reassembled from fragments (IPv4 and IPv6) and handed to the control lcore,
# RTP-range datagrams classified.
source "$(dirname "$0")/lib.sh"
# Raw fragments must reach the engine: see hl_device in lib.sh.
HL_PMD=pcap
hl_begin "udp: demux, reassembly" python3 tshark

hl_peer || exit 1
hl_capture "$NS" "$PIF" udp
hl_engine_start "$(hl_conf "$EIF")" || exit 1
ip netns exec "$NS" ping -c 1 -W 2 -q 10.99.0.1 >/dev/null   # settle ARP both ways
ip netns exec "$NS" ping -6 -c 1 -W 2 -q fd99::1 >/dev/null

ip netns exec "$NS" $PKT udp 10.99.0.1 9999 100 5
ip netns exec "$NS" $PKT udp fd99::1 9999 100 2
hl_wait_drop udp_closed_port 7
hl_check_drop udp_closed_port -eq 7

ip netns exec "$NS" $PKT udp 10.99.0.1 5060 3000 1
hl_wait_ctr control_sip_in 1
hl_check_ctr ipv4_fragment_in -eq 3
hl_check_ctr ipv4_reassembled -eq 1
hl_check_ctr udp_sip -eq 1
hl_check_ctr udp_sip_bytes -eq 3000
hl_check_ctr control_sip_in -eq 1

ip netns exec "$NS" $PKT udp fd99::1 5060 3000 1
hl_wait_ctr control_sip_in 2
hl_check_ctr ipv6_fragment_in -eq 3
hl_check_ctr ipv6_reassembled -eq 1
hl_check_ctr udp_sip -eq 2
hl_check_ctr udp_sip_bytes -eq 6000

ip netns exec "$NS" $PKT udp 10.99.0.1 5060 400 10
# The worker parses each: no request line, nothing to answer: dropped, counted.
hl_wait_drop sip_malformed 10
hl_check_drop sip_malformed -eq 10
hl_check_ctr control_sip_in -eq 2
# The two reassembled ones went to control whole (several segments) and failed there.
hl_check_sip sip_in -eq 2
hl_check_sip bad_in -eq 2

ip netns exec "$NS" $PKT udp 10.99.0.1 20000 172 4
ip netns exec "$NS" $PKT udp 10.99.0.1 29999 172 1
hl_wait_ctr udp_rtp 5
hl_check_ctr udp_rtp -eq 5
hl_check_drop rtp_no_leg -eq 5
hl_check_drop fragment_dropped -eq 0
hl_check "still answers ping" ip netns exec "$NS" ping -c 2 -i 0.2 -W 2 -q 10.99.0.1
hl_done
