#!/usr/bin/env bash
# 802.1Q: with vlan = 100 the engine answers ARP and ping tagged with VLAN 100,
# tags its replies, and drops (and counts) untagged frames and other VLANs.
# Tagged frames are made on a raw socket: the test kernel may lack 802.1Q
# interfaces, and the capture (tshark reads the tag from packet auxdata) shows
# what the engine sent.
source "$(dirname "$0")/lib.sh"
hl_begin "vlan: tagged port" python3 tshark

hl_peer v4only || exit 1
hl_capture "$NS" "$PIF" vlan
hl_engine_start "$(hl_conf "$EIF" "vlan = 100")" || exit 1
EMAC=$(hl_tel /hotline/ports trunk.mac | tr 'A-F' 'a-f')

ip netns exec "$NS" $PKT vlan "$PIF" "$EMAC" 100 3
hl_wait_ctr icmp_echo_reply_out 3
hl_check_ctr eth_vlan -eq 4
hl_check_ctr arp_reply_out -eq 1
hl_check_ctr icmp_echo_reply_out -eq 3
hl_check_drop vlan_mismatch -eq 0

ip netns exec "$NS" $PKT vlan "$PIF" "$EMAC" 200 2
hl_check "untagged ping is not answered" bash -c "! ip netns exec '$NS' ping -c 2 -i 0.2 -W 1 -q 10.99.0.1"
hl_wait_drop vlan_mismatch 3
hl_check "VLAN 200 and untagged frames counted as vlan_mismatch" [ "$(hl_drop vlan_mismatch)" -ge 5 ]
hl_check_ctr icmp_echo_reply_out -eq 3
hl_engine_stop
sleep 0.5
hl_check "the engine's replies all carry VLAN 100" bash -c "
	tshark -r '$HL_TMP/vlan.pcap' -Y 'eth.src == $EMAC' -T fields -e vlan.id 2>/dev/null |
		sort -u | grep -qx 100"
hl_check "4 tagged replies (1 ARP + 3 echo)" bash -c "
	[ \$(tshark -r '$HL_TMP/vlan.pcap' -Y 'eth.src == $EMAC && vlan.id == 100' 2>/dev/null | wc -l) -eq 4 ]"
hl_check "no untagged frame from the engine" bash -c "
	! tshark -r '$HL_TMP/vlan.pcap' -Y 'eth.src == $EMAC && !vlan' 2>/dev/null | grep -q ."
hl_done
