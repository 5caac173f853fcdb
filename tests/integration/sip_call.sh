#!/usr/bin/env bash
# Signalling end to end: agents register over digest from the agents' host, a
# customer calls a tenant DID from the trunk host, hotline rings the agent (a
# B2BUA: two dialogs), the agent answers, the customer hangs up. Then: a bad
# password, an unknown DID (404), a DID whose tenant does not take the trunk (403), a
# DID with no agent on line (480), each with its record in the store (hlctl cdr),
# nothing left behind (transactions, dialogs, calls) once the timers ran out, and a
# restart that keeps the registration and the records.
source "$(dirname "$0")/lib.sh"
hl_begin "sip: register, call, 404, 403, 480, call records" sipp
command -v jq >/dev/null || hl_skip "needs jq (call records)"
[ -x "$HLCTL" ] || hl_skip "no hlctl at $HLCTL"

hl_peer v4only || exit 1
hl_agents_host || exit 1
hl_capture "$NS" "$PIF" trunk
hl_capture "$ANS" "$APIF" agents
hl_tenants_acme "" "$(cat <<TEN
[agent bob@acme]
password = bobpw
[tenant beta]
domains = beta.test
dids = +15550200
trunks = 10.99.0.0/24
[tenant gamma]
domains = gamma.test
dids = +15550300
trunks = 10.77.0.0/24
TEN
)"
hl_engine_start "$(hl_sip_conf)" || exit 1

S=$HL_SIPP_DIR
hl_register_alice "alice registers (digest)"
hl_check "wrong password is refused" \
	bash -c "! hl_sipp() { :; }; ! ip netns exec $ANS timeout 20 sipp -nostdin -timeout 5 \
	-timeout_error 10.98.0.1:5060 -sf $S/register.xml -s bob -au bob -ap wrong \
	-i 10.98.0.2 -p 5091 -m 1 -key expires 600 </dev/null >/dev/null 2>&1"
hl_check_sip register_ok -eq 1
hl_check_sip register_auth_failed -ge 1
hl_check_sip bindings -eq 1

# The agent's phone answers on the port it registered from.
ip netns exec "$ANS" timeout 60 sipp -nostdin -timeout 30 -timeout_error -sf "$S/agent_uas.xml" \
	-i 10.98.0.2 -p 5090 -m 1 </dev/null >/dev/null 2>&1 &
AGENT=$!
HL_PIDS+=("$AGENT")
sleep 0.5
hl_check "customer call answered and hung up" \
	hl_sipp "$NS" 10.99.0.1:5060 -sf "$S/customer_uac.xml" -s +15550100 -i 10.99.0.2 -p 5070 \
	-m 1 -d 500
wait "$AGENT"
hl_check "agent saw INVITE, ACK and BYE" [ $? -eq 0 ]
hl_check_sip calls_in -eq 1
hl_check_sip calls_answered -eq 1
hl_check_sip calls_completed -eq 1
hl_check_sip bye_from_customer -eq 1

sed 's/CODE/404/' "$S/customer_expect.xml" >"$HL_TMP/expect404.xml"
sed 's/CODE/403/' "$S/customer_expect.xml" >"$HL_TMP/expect403.xml"
sed 's/CODE/480/' "$S/customer_expect.xml" >"$HL_TMP/expect480.xml"
hl_check "unknown DID gets 404" \
	hl_sipp "$NS" 10.99.0.1:5060 -sf "$HL_TMP/expect404.xml" -s +19999 -i 10.99.0.2 -p 5071 -m 1
hl_check "DID of a tenant that does not take this trunk gets 403" \
	hl_sipp "$NS" 10.99.0.1:5060 -sf "$HL_TMP/expect403.xml" -s +15550300 -i 10.99.0.2 \
	-p 5074 -m 1
hl_check "DID without agents gets 480" \
	hl_sipp "$NS" 10.99.0.1:5060 -sf "$HL_TMP/expect480.xml" -s +15550200 -i 10.99.0.2 \
	-p 5072 -m 1
hl_check_sip calls_not_found -eq 1
hl_check_sip calls_forbidden -eq 1
hl_check_sip calls_no_agent -eq 1

# Records: the answered call and the 480 call at their end, the refused 404 and 403 at
# the next once-a-second tick. RECS holds them, JSON Lines, once all four are there.
RECS=
cdrs_in() {
	for _ in $(seq 30); do
		RECS=$("$HLCTL" cdr --store "$HL_TMP/store" --json) || return 1
		[ "$(wc -l <<<"$RECS")" -ge "$1" ] && return 0
		sleep 0.2
	done
	echo "    $(wc -l <<<"$RECS") records"
	return 1
}
# rec DID JQ: JQ of the record of the call to DID
rec() { jq -r --arg d "$1" "select(.called == \$d) | $2" <<<"$RECS"; }
hl_check "four call records in the store" cdrs_in 4
hl_check "answered call: answered, 200, source the trunk ($(rec +15550100 .source))" \
	[ "$(rec +15550100 '[.disposition, .sip_status, .refused, .source] | join(" ")')" = \
	"answered 200 false 10.99.0.2:5070" ]
hl_check "404 recorded: no_route, no tenant ($(rec +19999 .disposition))" \
	[ "$(rec +19999 '[.disposition, .sip_status, .refused, .tenant, .source] | join(" ")')" = \
	"no_route 404 true  10.99.0.2:5071" ]
hl_check "404 record: caller, no agent, no media, no duration" \
	[ "$(rec +19999 '[.caller_user, .agent, .a.media, .b.media, .duration_ms,
	.figures_missing, (.created_ms == .ended_ms)] | join(" ")')" = "+4930999  none none 0 false true" ]
hl_check "403 recorded: forbidden, tenant gamma ($(rec +15550300 .disposition))" \
	[ "$(rec +15550300 '[.disposition, .sip_status, .refused, .tenant, .source] | join(" ")')" = \
	"forbidden 403 true gamma 10.99.0.2:5074" ]
hl_check "480 recorded: no_agent ($(rec +15550200 .disposition))" \
	[ "$(rec +15550200 '[.disposition, .sip_status, .refused] | join(" ")')" = "no_agent 480 false" ]
hl_check "hlctl text and CSV name the refused attempts" \
	bash -c "'$HLCTL' cdr --store '$HL_TMP/store' | grep -q 'disposition=forbidden .*refused=true source=10.99.0.2:5074' &&
	'$HLCTL' cdr --store '$HL_TMP/store' --csv | head -1 | grep -q ',refused,source\$'"
hl_check_sip cdr_attempts -eq 2
hl_check_sip cdr_attempts_dropped -eq 0
hl_check_sip cdrs_written -eq 4

hl_check_sip calls -eq 0
hl_check_sip dialogs -eq 0
# Timers J/K/L/D run 64*T1 at most (12.8 s with t1_ms = 200).
hl_check_txns_gone 20

# A restart keeps the registration (LMDB): alice is rung again without registering.
hl_engine_stop
hl_check "hotlined stopped cleanly" [ "${HL_ENGINE_RC:-1}" -eq 0 ]
hl_engine_start "$(cat "$HL_TMP/hotline.conf")" || exit 1
hl_check "restart restored the binding" grep -q "1 registrations restored" "$HL_TMP/engine.log"
hl_check_sip bindings -eq 1
ip netns exec "$ANS" timeout 60 sipp -nostdin -timeout 30 -timeout_error -sf "$S/agent_uas.xml" \
	-i 10.98.0.2 -p 5090 -m 1 </dev/null >/dev/null 2>&1 &
AGENT=$!
HL_PIDS+=("$AGENT")
sleep 0.5
hl_check "after the restart the agent is rung" \
	hl_sipp "$NS" 10.99.0.1:5060 -sf "$S/customer_uac.xml" -s +15550100 -i 10.99.0.2 -p 5073 \
	-m 1 -d 200
wait "$AGENT"
hl_check "agent answered after the restart" [ $? -eq 0 ]
hl_check_sip calls_completed -eq 1
hl_check "the records are kept over the restart and the next follows them" cdrs_in 5
hl_check "the fifth record is the call after the restart" \
	[ "$(jq -r 'select(.id == 5) | [.disposition, .called] | join(" ")' <<<"$RECS")" = \
	"answered +15550100" ]
hl_done
