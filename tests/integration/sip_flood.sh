#!/usr/bin/env bash
# Hostile SIP while a call is up: a second source on the trunk host sends mutated
# and malformed SIP requests, first slowly, then as a flood. The call survives;
# every datagram is accounted for: answered with an error by the worker, dropped
# and counted (malformed, over the per-source rate), or handled by signalling.
source "$(dirname "$0")/lib.sh"
hl_begin "sip: malformed and flooding input during a call" sipp python3

hl_peer v4only || exit 1
hl_agents_host || exit 1
ip netns exec "$NS" ip addr add 10.99.0.3/24 dev "$PIF"
cat >"$HL_TMP/tenants.conf" <<TEN
[tenant acme]
domains = acme.test
dids = +15550100
trunks = 10.99.0.2/32
[agent alice@acme]
password = alicepw
TEN
hl_engine_start "$(hl_sip_conf "flood_pps = 200
flood_burst = 200")" || exit 1

S=$HL_SIPP_DIR
hl_check "alice registers" hl_sipp "$ANS" 10.98.0.1:5060 -sf "$S/register.xml" -s alice \
	-au alice -ap alicepw -i 10.98.0.2 -p 5090 -m 1 -key expires 600
ip netns exec "$ANS" timeout 60 sipp -nostdin -timeout 40 -timeout_error -sf "$S/agent_uas.xml" \
	-i 10.98.0.2 -p 5090 -m 1 </dev/null >/dev/null 2>&1 &
AGENT=$!
HL_PIDS+=("$AGENT")
sleep 0.3
# The call talks for 8 s while the garbage arrives.
ip netns exec "$NS" timeout 60 sipp -nostdin -timeout 40 -timeout_error -sf "$S/customer_uac.xml" \
	-s +15550100 -i 10.99.0.2 -p 5070 -m 1 -d 8000 10.99.0.1:5060 </dev/null >/dev/null 2>&1 &
CUST=$!
HL_PIDS+=("$CUST")
for _ in $(seq 50); do [ "$(hl_sip calls_answered)" -ge 1 ] && break; sleep 0.1; done
hl_check_sip calls_answered -eq 1

base_udp=$(hl_ctr udp_sip)
# 1000 at 150/s (under the limit), then 3000 at 20000/s: a hundred times the limit,
# yet slow enough that the kernel's af_packet ring in front of the engine does not
# overflow on a busy shared host (those frames would never reach a worker, and this
# test counts what the worker accounts for).
ip netns exec "$NS" $PKT sipfuzz 10.99.0.3 10.99.0.1 1000 7 150 >/dev/null
ip netns exec "$NS" $PKT sipfuzz 10.99.0.3 10.99.0.1 3000 8 20000 >/dev/null
wait "$CUST"
hl_check "the call survived and ended normally" [ $? -eq 0 ]
wait "$AGENT"
hl_check "the agent saw its BYE" [ $? -eq 0 ]
hl_check_sip calls_completed -eq 1

sleep 0.5
udp=$(( $(hl_ctr udp_sip) - base_udp ))
ans=$(hl_ctr sip_error_answered)
mal=$(hl_drop sip_malformed)
fl=$(hl_drop sip_flood)
ctl_bad=$(hl_sip bad_in)
echo "fuzz datagrams seen $udp: answered by worker $ans, malformed dropped $mal, flood dropped $fl"
# Our 4000 plus the call's own customer-side messages (ACK, BYE, 200 to nothing).
hl_check "every fuzz datagram reached a worker" [ "$udp" -ge 4000 ]
hl_check "the flood was limited" [ "$fl" -ge 1000 ]
hl_check "malformed ones were answered by the worker" [ "$ans" -ge 100 ]
# Accounting: what the workers took is what they answered, dropped, or handed on.
hl_check "every SIP datagram accounted for" \
	[ "$(hl_ctr udp_sip)" -eq $(( ans + mal + fl + $(hl_ctr control_sip_in) )) ]
hl_check "signalling saw none it could not parse" [ "$ctl_bad" -eq 0 ]
hl_check "still answers ping" ip netns exec "$NS" ping -c 1 -W 2 -q 10.99.0.1
for _ in $(seq 40); do
	[ "$(hl_sip transactions)" -eq 0 ] && [ "$(hl_sip calls)" -eq 0 ] && break
	sleep 0.5
done
hl_check_sip calls -eq 0
hl_check_sip dialogs -eq 0
hl_check_sip transactions -eq 0
hl_done
