#!/usr/bin/env bash
# Software dispatch with two workers on a one-queue PMD (af_packet): worker 0
# reads the queue and hands RTP datagrams for worker 1's slice of the port range
# to it through its ring; worker 1, which has no TX queue, still answers nothing
# wrongly, and everything stays counted.
source "$(dirname "$0")/lib.sh"
hl_begin "dispatch: two workers, one queue" ping python3
[ "$(nproc)" -ge 2 ] || hl_skip "needs 2 CPUs"

hl_peer || exit 1
HL_WORKERS=0,1 hl_engine_start "$(HL_WORKERS=0,1 hl_conf "$EIF")" 0-1 || exit 1
hl_check "two workers and one queue" [ "$(hl_tel /hotline/ports trunk.queues)" -eq 1 ]
hl_check "no flow rules on one queue ($(hl_tel /hotline/ports trunk.flow_steering))" \
	[ "$(hl_tel /hotline/ports trunk.flow_rules)/$(hl_tel /hotline/ports trunk.flow_steering)" \
	= "0/not needed: 1 queue" ]
hl_check "lcore 1 is a worker" [ "$(hl_tel /hotline/lcores 1.role)" = worker ]
hl_check "ping through worker 0" ip netns exec "$NS" ping -c 3 -i 0.2 -W 2 -q 10.99.0.1
# RTP range 20000-29999 splits into 20000-24999 (worker 0) and 25000-29999 (worker 1).
ip netns exec "$NS" $PKT udp 10.99.0.1 20000 172 6
ip netns exec "$NS" $PKT udp 10.99.0.1 25000 172 9
ip netns exec "$NS" $PKT udp 10.99.0.1 29998 172 1
hl_wait_ctr udp_rtp 16
hl_check_ctr udp_rtp -eq 16
hl_check_ctr handoff_out -eq 10
hl_check_ctr handoff_in -eq 10
hl_check_drop handoff_ring_full -eq 0
hl_check_drop rtp_no_leg -eq 16
hl_check "worker 1 did the work it was handed" \
	[ "$(hl_tel /hotline/lcores 1.busy_tsc)" -gt 0 ]
hl_engine_stop
hl_check "hotlined exits 0" [ "${HL_ENGINE_RC:-1}" -eq 0 ]
hl_done
