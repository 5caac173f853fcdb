#!/usr/bin/env bash
# DTMF by SIP INFO across a bridged call, on the wire and in hotline's reports:
#   1. a relay tenant: the customer presses 5 by INFO mid-call (application/dtmf-relay,
#      Signal=5, Duration=160); the agent's phone gets an INFO of hotline's in its own
#      dialog with that body and answers 200; the agent presses # (application/dtmf)
#      and the customer gets it the same way. Each press is reported once (dtmf_info,
#      last_dtmf, last_dtmf_ms, last_dtmf_digits) and counted relayed;
#   2. a dtmf_to_agent = suppress tenant: the customer presses 5 by INFO; it is
#      answered 200 and reported, and the agent's phone (which fails on any INFO) gets
#      none: nothing but the call's own requests reach it (the capture);
#   each side's presses are in its leg's dtmf in the call records (hlctl), and no call,
#   dialog or transaction is left.
source "$(dirname "$0")/lib.sh"
hl_begin "sip: DTMF by INFO relayed, and kept from a PCI tenant's agent" sipp tshark jq
[ -x "$HLCTL" ] || hl_skip "no hlctl at $HLCTL"

hl_peer v4only || exit 1
hl_agents_host || exit 1
hl_capture "$NS" "$PIF" trunk
hl_capture "$ANS" "$APIF" agents
hl_tenants_acme "" "$(cat <<TEN
[tenant pay]
realm = pay.test
domains = pay.test
dids = +15550200
trunks = 10.99.0.0/24
dtmf_to_agent = suppress
[agent paula@pay]
password = paulapw
TEN
)"
hl_engine_start "$(hl_sip_conf)" || exit 1
S=$HL_SIPP_DIR
sed 's/acme\.test/pay.test/g' "$S/register.xml" >"$HL_TMP/register_pay.xml"

# phone NAME PORT SCENARIO: the agent's phone in the background (pid in PHONE[NAME]);
# phone_wait NAME WHAT checks its verdict.
declare -A PHONE
phone() {
	ip netns exec "$ANS" timeout 70 sipp -nostdin -timeout 60 -timeout_error \
		-trace_err -error_file "$HL_TMP/phone-$1.err" -sf "$S/$3" \
		-i 10.98.0.2 -p "$2" -m 1 </dev/null >/dev/null 2>&1 &
	PHONE[$1]=$!
	HL_PIDS+=("$!")
}
phone_wait() {
	wait "${PHONE[$1]}"
	hl_check "$2" [ $? -eq 0 ]
}
customer() { hl_sipp "$NS" 10.99.0.1:5060 -i 10.99.0.2 "$@"; }
calls_gone() {
	for _ in $(seq 50); do
		[ "$(hl_sip calls)" -eq 0 ] && return 0
		sleep 0.1
	done
	return 1
}

hl_register_alice "alice registers" 5101
hl_check "paula registers" \
	hl_sipp "$ANS" 10.98.0.1:5060 -sf "$HL_TMP/register_pay.xml" -s paula -au paula \
	-ap paulapw -i 10.98.0.2 -p 5102 -m 1 -key expires 600

hl_log "-- 1. relay tenant: 5 from the customer, # from the agent"
phone alice 5101 agent_uas_info_key.xml
sleep 0.3
hl_check "the customer's 5 and the agent's # cross by INFO, both answered 200" \
	customer -sf "$S/customer_uac_info_key.xml" -s +15550100 -p 5201 -m 1 -d 500
phone_wait alice "alice's phone got Signal=5 by INFO and its # was answered"
hl_check "call 1 gone" calls_gone
hl_check_sip dtmf_info -eq 2
hl_check_sip info_dtmf_relayed -eq 2
hl_check_sip info_dtmf_suppressed -eq 0
hl_check_sip info_dtmf_failed -eq 0
hl_check_sip info_refused -eq 0
hl_check_sip dtmf_rtp -eq 0
hl_check "last_dtmf_digits is 5# ($(hl_sip last_dtmf_digits))" [ "$(hl_sip last_dtmf_digits)" = "5#" ]
hl_check "last_dtmf is # ($(hl_sip last_dtmf))" [ "$(hl_sip last_dtmf)" = "#" ]
hl_check_sip last_dtmf_ms -eq 0

hl_log "-- 2. suppress tenant: 5 from the customer, not to the agent"
phone paula 5102 agent_uas.xml
sleep 0.3
hl_check "the customer's INFO answered 200" \
	customer -sf "$S/customer_uac_info.xml" -s +15550200 -p 5202 -m 1 -d 500
phone_wait paula "paula's phone saw the call end, and no INFO"
hl_check "call 2 gone" calls_gone
hl_check_sip dtmf_info -eq 3
hl_check_sip info_dtmf_suppressed -eq 1
hl_check_sip info_dtmf_relayed -eq 2
hl_check "the press is reported: last_dtmf_digits 5#5 ($(hl_sip last_dtmf_digits))" \
	[ "$(hl_sip last_dtmf_digits)" = "5#5" ]
hl_check_sip last_dtmf_ms -eq 160

hl_log "-- call records"
RECS=
cdrs_in() {
	for _ in $(seq 40); do
		RECS=$("$HLCTL" cdr --store "$HL_TMP/store" --json) || return 1
		[ "$(wc -l <<<"$RECS")" -ge "$1" ] && return 0
		sleep 0.2
	done
	return 1
}
# rec DID JQ: JQ of the record of the call to DID
rec() { jq -r --arg d "$1" "select(.called == \$d) | $2" <<<"$RECS"; }
hl_check "two call records in the store" cdrs_in 2
hl_check "relay call: one press a side ($(rec +15550100 '"\(.a.dtmf) \(.b.dtmf)"'))" \
	[ "$(rec +15550100 '"\(.a.dtmf) \(.b.dtmf)"')" = "1 1" ]
hl_check "suppress call: the customer's press ($(rec +15550200 '"\(.a.dtmf) \(.b.dtmf)"'))" \
	[ "$(rec +15550200 '"\(.a.dtmf) \(.b.dtmf)"')" = "1 0" ]

hl_log "-- nothing left"
hl_check_sip calls -eq 0
hl_check_sip dialogs -eq 0
hl_check_txns_gone
hl_check_sip transaction_timeouts -eq 0

hl_captures_stop
n=$(hl_sip_count agents 'ip.src == 10.98.0.1 && udp.dstport == 5101 && sip.Method == "INFO"')
hl_check "hotline sent alice one INFO ($n)" [ "$n" -eq 1 ]
n=$(hl_sip_count agents 'udp.dstport == 5101 && sip.Method == "INFO" && frame contains "Signal=5"')
hl_check "with Signal=5 in it ($n)" [ "$n" -eq 1 ]
n=$(hl_sip_count trunk 'ip.src == 10.99.0.1 && udp.dstport == 5201 && sip.Method == "INFO"')
hl_check "hotline sent the customer the agent's # ($n)" [ "$n" -eq 1 ]
n=$(hl_sip_count agents 'ip.src == 10.98.0.1 && udp.dstport == 5102 && sip.Method == "INFO"')
hl_check "hotline sent paula no INFO ($n)" [ "$n" -eq 0 ]
n=$(hl_sip_count trunk 'ip.src == 10.99.0.1 && udp.dstport == 5202 && sip.CSeq.method == "INFO" && sip.Status-Code == 200')
hl_check "the suppress tenant's customer got 200 for its INFO ($n)" [ "$n" -eq 1 ]
hl_done
