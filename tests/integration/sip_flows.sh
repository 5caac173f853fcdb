#!/usr/bin/env bash
# Signalling call flows against the real hotlined, one engine for all of them: an agent
# busy (486) and the next one answering; the customer's CANCEL while it rings; the
# agent hanging up; no answer (hotline's CANCEL after no_answer_s, then 480); 20 calls
# on a 10% lossy network (SIPp -lost on both sides); hold and resume by re-INVITE;
# OPTIONS; DTMF by INFO. Each flow is checked on the wire (SIPp's verdict, tshark on the
# captures) and in hotline's counters; at the end nothing is left (transactions,
# dialogs, calls, bindings) once the timers ran out.
source "$(dirname "$0")/lib.sh"
hl_begin "sip: busy, cancel, agent bye, no answer, loss, hold, options, info" sipp tshark sipsak

hl_peer v4only || exit 1
hl_agents_host || exit 1
hl_capture "$NS" "$PIF" trunk
hl_capture "$ANS" "$APIF" agents
hl_tenants_acme "" "$(cat <<TEN
[agent bob@acme]
password = bobpw
[agent carol@acme]
password = carolpw
# A DID rung for 2 s, by one agent: no answer ends in 480.
[tenant gamma]
realm = gamma.test
domains = gamma.test
dids = +15550300
trunks = 10.99.0.0/24
no_answer_s = 2
[agent dave@gamma]
password = davepw
TEN
)"
hl_engine_start "$(hl_sip_conf)" || exit 1

S=$HL_SIPP_DIR
sed 's/acme\.test/gamma.test/g' "$S/register.xml" >"$HL_TMP/register_gamma.xml"
sed 's/CODE/480/' "$S/customer_expect.xml" >"$HL_TMP/expect480.xml"

# agent_on USER PORT: USER registers from PORT (its phone answers there); agent_off
# removes that binding again, so each flow rings only the agents it started.
agent_reg() {
	local user=$1 port=$2 expires=$3 sf=$S/register.xml
	[ "$user" = dave ] && sf=$HL_TMP/register_gamma.xml
	hl_sipp "$ANS" 10.98.0.1:5060 -sf "$sf" -s "$user" -au "$user" -ap "${user}pw" \
		-i 10.98.0.2 -p "$port" -m 1 -key expires "$expires"
}
agent_on() { hl_check "$1 registers from :$2" agent_reg "$1" "$2" 600; }
agent_off() { hl_check "$1 unregisters :$2" agent_reg "$1" "$2" 0; }

# agent_start NAME PORT SCENARIO [SIPP ARGS]: the agent's phone in the background
# (pid in PHONE[NAME]); agent_wait NAME WHAT checks its exit code.
declare -A PHONE
agent_start() {
	local name=$1 port=$2 sf=$3
	shift 3
	ip netns exec "$ANS" timeout 130 sipp -nostdin -timeout 120 -timeout_error \
		-trace_err -error_file "$HL_TMP/phone-$name.err" -sf "$S/$sf" \
		-i 10.98.0.2 -p "$port" "$@" </dev/null >/dev/null 2>&1 &
	PHONE[$name]=$!
	HL_PIDS+=("$!")
}
agent_wait() {
	wait "${PHONE[$1]}"
	hl_check "$2" [ $? -eq 0 ]
}

# Polls until no call is left (the agent's leg may still be finishing its BYE).
calls_gone() {
	for _ in $(seq 50); do
		[ "$(hl_sip calls)" -eq 0 ] && return 0
		sleep 0.1
	done
	return 1
}

customer() { hl_sipp "$NS" 10.99.0.1:5060 -i 10.99.0.2 "$@"; }

hl_log "-- 1. alice is busy (486), bob answers"
agent_on alice 5101
agent_on bob 5102
agent_start alice 5101 agent_busy.xml -m 1
agent_start bob 5102 agent_uas.xml -m 1
sleep 0.3
hl_check "customer's call completes through bob" \
	customer -sf "$S/customer_uac.xml" -s +15550100 -p 5201 -m 1 -d 300
agent_wait alice "alice answered 486 and got the ACK"
agent_wait bob "bob answered and got ACK and BYE"
hl_check_sip agent_offers -eq 2
hl_check_sip agent_rejects -eq 1
hl_check_sip calls_answered -eq 1
hl_check_sip calls_completed -eq 1
hl_check "call 1 gone" calls_gone
agent_off alice 5101
agent_off bob 5102

hl_log "-- 2. the customer cancels while carol's phone rings"
agent_on carol 5103
agent_start carol 5103 agent_ring_cancel.xml -m 1
sleep 0.3
hl_check "customer's CANCEL: 200, then 487 to the INVITE" \
	customer -sf "$S/customer_cancel.xml" -s +15550100 -p 5202 -m 1 -d 500
agent_wait carol "carol's phone got the CANCEL, answered 200 and 487, got the ACK"
hl_check_sip calls_cancelled -eq 1
hl_check_sip agent_rejects -eq 1
hl_check_sip calls_answered -eq 1
hl_check "call 2 gone" calls_gone
agent_off carol 5103

hl_log "-- 3. carol hangs up"
agent_on carol 5104
agent_start carol 5104 agent_uas_hangup.xml -m 1 -d 500
sleep 0.3
hl_check "customer gets the BYE and answers it" \
	customer -sf "$S/customer_uac_wait_bye.xml" -s +15550100 -p 5203 -m 1
agent_wait carol "carol's BYE got its 200"
hl_check_sip bye_from_agent -eq 1
hl_check_sip calls_answered -eq 2
hl_check_sip calls_completed -eq 2
hl_check "call 3 gone" calls_gone
agent_off carol 5104

hl_log "-- 4. dave lets it ring: hotline cancels after no_answer_s = 2, customer gets 480"
agent_on dave 5105
agent_start dave 5105 agent_ring_cancel.xml -m 1
sleep 0.3
t0=$(date +%s%N)
hl_check "customer gets 480 after the ringing" \
	customer -sf "$HL_TMP/expect480.xml" -s +15550300 -p 5204 -m 1
rang_ms=$((($(date +%s%N) - t0) / 1000000))
hl_check "it rang for no_answer_s ($rang_ms ms)" test "$rang_ms" -ge 1900 -a "$rang_ms" -lt 4000
agent_wait dave "dave's phone got hotline's CANCEL, answered 200 and 487, got the ACK"
hl_check_sip agent_no_answer -eq 1
hl_check_sip calls_no_agent -eq 1
hl_check_sip agent_rejects -eq 1
hl_check "call 4 gone" calls_gone
agent_off dave 5105

hl_log "-- 5. 20 calls, 10% of SIP lost by the customer and by alice's phone"
# One call at a time (alice takes one): the next starts once hotline has let the last
# one go, as its BYE to alice may itself need retransmissions. The customer makes its
# ACK reliable (customer_uac_lossy.xml): with plain customer_uac.xml, a 2xx resent
# for a lost ACK can reach SIPp after its BYE and pass for the BYE's 200, the real BYE
# being lost, and hotline then rightly ends that call itself after 64*T1.
agent_on alice 5106
agent_start alice 5106 agent_uas_lossy.xml -m 20 -lost 10
sleep 0.3
retx0=$(hl_sip retransmissions_sent)
ok=0
for i in $(seq 20); do
	customer -sf "$S/customer_uac_lossy.xml" -s +15550100 -p $((5300 + i)) -m 1 -lost 10 &&
		ok=$((ok + 1))
	calls_gone || break
done
hl_check "20 of 20 lossy calls succeed ($ok)" [ "$ok" -eq 20 ]
agent_wait alice "alice's phone took 20 calls"
hl_check_sip calls_completed -eq 22
hl_check_sip calls_answered -eq 22
retx=$(($(hl_sip retransmissions_sent) - retx0))
hl_check "hotline retransmitted ($retx)" [ "$retx" -gt 0 ]
agent_off alice 5106

hl_log "-- 6. the customer holds and resumes by re-INVITE"
agent_on bob 5107
agent_start bob 5107 agent_uas_reinvite.xml -m 1
sleep 0.3
hl_check "hold answered recvonly, resume answered sendrecv" \
	customer -sf "$S/customer_uac_hold.xml" -s +15550100 -p 5206 -m 1 -d 300
agent_wait bob "bob's phone took both re-INVITEs (sendonly, then sendrecv) and the BYE"
hl_check_sip reinvites -eq 2
hl_check_sip calls_completed -eq 23
hl_check "call 6 gone" calls_gone
agent_off bob 5107

hl_log "-- 7. OPTIONS out of dialog"
ip netns exec "$NS" timeout 10 sipsak -vv -H 10.99.0.2 -l 5207 -s sip:10.99.0.1 \
	>"$HL_TMP/sipsak.out" 2>&1
hl_check "sipsak: OPTIONS answered 200" [ $? -eq 0 ]
hl_check "the 200 lists what we allow" \
	grep -q "^Allow: INVITE, ACK, BYE, CANCEL, OPTIONS, INFO" "$HL_TMP/sipsak.out"
hl_check_sip options_in -eq 1

hl_log "-- 8. DTMF by INFO in the dialog"
agent_on carol 5108
agent_start carol 5108 agent_uas_info.xml -m 1
sleep 0.3
hl_check "INFO application/dtmf-relay answered 200" \
	customer -sf "$S/customer_uac_info.xml" -s +15550100 -p 5208 -m 1 -d 300
agent_wait carol "carol's phone got the key by INFO and saw the call end"
hl_check_sip dtmf_info -eq 1
hl_check_sip info_dtmf_relayed -eq 1
hl_check "last_dtmf is 5" [ "$(hl_sip last_dtmf)" = 5 ]
hl_check "call 8 gone" calls_gone
agent_off carol 5108

hl_log "-- nothing left"
hl_check_sip calls -eq 0
hl_check_sip dialogs -eq 0
hl_check_sip bindings -eq 0
hl_check_sip calls_failed -eq 1
# Timer D of the agents' 486/487 runs 32 s (RFC 3261 §17.1.1.2, not T1-scaled); the
# others 64*T1 at most (12.8 s with t1_ms = 200).
hl_check_txns_gone 40
# No transaction gave up, and every 2xx was ACKed or overtaken by the BYE (a customer
# whose ACK was lost may hang up before our 2xx retransmission reaches it).
hl_check_sip transaction_timeouts -eq 0
hl_check_sip ack_timeouts -eq 0

# The wire, from the captures. Counts are of distinct transactions (a slow answer may
# draw a retransmission, which is not what is checked here).
hl_captures_stop
n=$(hl_sip_count agents 'ip.src == 10.98.0.1 && sip.Method == "CANCEL"')
hl_check "hotline sent CANCEL twice to the agents (customer's, no answer): $n" [ "$n" -eq 2 ]
n=$(hl_sip_count agents 'ip.src == 10.98.0.1 && sip.Method == "ACK" && udp.dstport == 5101')
hl_check "hotline ACKed alice's 486 ($n)" [ "$n" -eq 1 ]
n=$(hl_sip_count trunk 'ip.src == 10.99.0.1 && sip.Status-Code == 487 && udp.dstport == 5202')
hl_check "the customer got 487 after its CANCEL ($n)" [ "$n" -eq 1 ]
n=$(hl_sip_count trunk 'ip.src == 10.99.0.1 && sip.Status-Code == 480 && udp.dstport == 5204')
hl_check "the unanswered customer got 480 ($n)" [ "$n" -eq 1 ]
n=$(hl_sip_count trunk 'ip.src == 10.99.0.1 && sip.Method == "BYE" && udp.dstport == 5203')
hl_check "hotline relayed carol's BYE to the customer ($n)" [ "$n" -eq 1 ]
n=$(hl_sip_count agents 'ip.src == 10.98.0.1 && sip.Method == "INVITE" && udp.dstport == 5107')
hl_check "bob's phone got the INVITE and two re-INVITEs ($n)" [ "$n" -eq 3 ]
n=$(hl_sip_count agents 'ip.src == 10.98.0.1 && udp.dstport == 5107 && sdp.media_attr == "sendonly"')
hl_check "the hold was offered on to bob as sendonly ($n)" [ "$n" -eq 1 ]
n=$(hl_sip_count trunk 'ip.src == 10.99.0.1 && udp.dstport == 5206 && sip.Status-Code == 200 && sdp.media_attr == "recvonly"')
hl_check "the customer's hold was answered recvonly ($n)" [ "$n" -eq 1 ]
n=$(hl_sip_count trunk 'ip.src == 10.99.0.1 && sip.CSeq.method == "OPTIONS" && sip.Status-Code == 200 && sip.Allow')
hl_check "OPTIONS 200 carries Allow ($n)" [ "$n" -eq 1 ]
n=$(hl_sip_count trunk 'ip.src == 10.99.0.1 && udp.dstport == 5208 && sip.CSeq.method == "INFO" && sip.Status-Code == 200')
hl_check "INFO answered 200 ($n)" [ "$n" -eq 1 ]
hl_done
