#!/usr/bin/env bash
# Early media on a late offer through RFC 3262 (100rel, PRACK), SIPp on both sides:
# the customer's INVITE has no SDP and says Supported: 100rel; the agent answers 183
# with SDP and plays its audio at once, and 200 only 3 s later. hotline's 183 to the
# customer is reliable (Require: 100rel, RSeq) and carries hotline's offer; the PRACK
# carries the customer's answer, and from then on media flows both ways before the
# 200: the agent's audio reaches the customer, the customer's the agent, proven by
# the captures (RTP before the 200 at each phone) and by hotline's leg figures. The
# 200 repeats the 183's SDP, its ACK carries none, and the call completes with one
# answered record. The calls without 100rel are int-sip_call's and int-media_call's.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/lib_media.sh"
hl_begin "prack: reliable 183, late offer answered in the PRACK, early media" sipp
hl_media_require
command -v tshark >/dev/null || hl_skip "needs tshark (SIP and RTP timing)"
command -v jq >/dev/null || hl_skip "needs jq (call records)"
[ -x "$HLCTL" ] || hl_skip "no hlctl at $HLCTL"

hl_peer v4only || exit 1
hl_agents_host || exit 1
hl_capture "$NS" "$PIF" trunk
cat >"$HL_TMP/tenants.conf" <<TEN
[tenant acme]
realm = acme.test
domains = acme.test
dids = +15550100
trunks = 10.99.0.0/24
[agent alice@acme]
password = alicepw
TEN
hl_engine_start "$(hl_sip_conf)" || exit 1
hl_media_prepare "$HL_TMP/media" 7500 1 || exit 1
M=$HL_MEDIA_DIR
S=$HL_SIPP_DIR

hl_check "alice registers" \
	hl_sipp "$ANS" 10.98.0.1:5060 -sf "$S/register.xml" -s alice -au alice -ap alicepw \
	-i 10.98.0.2 -p 5090 -m 1 -key expires 600

# The call: captures of all UDP at both phones (SIP and RTP, for the timing).
early_call() {
	local rc agent acap ccap
	hl_capture_start "$ANS" "$APIF" "$HL_TMP/agent.pcap" "udp" || return 1
	acap=$HL_CAPTURE_PID
	hl_capture_start "$NS" "$PIF" "$HL_TMP/customer.pcap" "udp" || return 1
	ccap=$HL_CAPTURE_PID
	ip netns exec "$ANS" timeout 60 sipp -nostdin -timeout 40 -timeout_error \
		-sf "$S/agent_uas_183_rtp.xml" -i 10.98.0.2 -p 5090 -mp 6000 -m 1 \
		-key audio_pcap "$M/audio.pcap" -trace_err -error_file "$HL_TMP/agent.err" \
		</dev/null >"$HL_TMP/agent.log" 2>&1 &
	agent=$!
	HL_PIDS+=("$agent")
	sleep 0.5
	ip netns exec "$NS" timeout 60 sipp -nostdin -timeout 40 -timeout_error \
		10.99.0.1:5060 -sf "$S/customer_uac_100rel_late.xml" -s +15550100 -i 10.99.0.2 \
		-p 5070 -mp 6000 -m 1 -key audio_pcap "$M/audio.pcap" -trace_err \
		-error_file "$HL_TMP/customer.err" -trace_logs -log_file "$HL_TMP/customer.sipplog" \
		</dev/null >"$HL_TMP/customer.log" 2>&1
	rc=$?
	wait "$agent" || rc=1
	hl_capture_stop "$acap"
	hl_capture_stop "$ccap"
	[ $rc -eq 0 ] || cat "$HL_TMP/customer.err" "$HL_TMP/agent.err" 2>/dev/null | tail -20
	return $rc
}

hl_check "late offer with 100rel: reliable 183, PRACK with the answer, 200, hung up" early_call

# The customer's capture, one line a frame: time, status, method, CSeq method, Require,
# RSeq, RAck, SDP owner and media, UDP destination port, IP source ("|" between).
tshark -r "$HL_TMP/customer.pcap" -Y 'sip || rtp || udp.dstport == 6000' -T fields -E separator='|' \
	-e frame.time_relative -e sip.Status-Code -e sip.Method -e sip.CSeq.method -e sip.Require \
	-e sip.RSeq -e sip.RAck -e sdp.owner -e sdp.media -e udp.dstport -e ip.src \
	>"$HL_TMP/customer.txt" 2>/dev/null
field() { awk -F'|' "$1 { print \$$2; exit }" "$HL_TMP/customer.txt"; }
T_OK=$(field '$2 == 200 && $4 == "INVITE"' 1)
REL=$(awk -F'|' '$2 == 183 { print $5 " " $6 " " $9; exit }' "$HL_TMP/customer.txt")
RSEQ=$(field '$2 == 183' 6)
PRACK=$(awk -F'|' '$3 == "PRACK" { print $7 " " $9; exit }' "$HL_TMP/customer.txt")
hl_check "the 183 is reliable and offers PCMU and events ($REL)" \
	grep -Eq "^100rel [0-9]+ audio [0-9]+ RTP/AVP 0 101\$" <<<"$REL"
hl_check "the PRACK names the 183 (RSeq $RSEQ) and carries the answer ($PRACK)" \
	[ "$PRACK" = "$RSEQ 1 INVITE audio 6000 RTP/AVP 0 101" ]
hl_check "the 200 repeats the 183's SDP, same version ($(field '$2 == 200 && $4 == "INVITE"' 8))" \
	[ -n "$(field '$2 == 183' 8)" ] && \
	[ "$(field '$2 == 183' 8)" = "$(field '$2 == 200 && $4 == "INVITE"' 8)" ]
# RTP at each phone before the 200: the agent plays for 3 s before it answers, the
# customer from the PRACK's 200 on (hotline's A leg has its remote from then).
EARLY_C=$(awk -F'|' -v t="${T_OK:-0}" '$10 == 6000 && $11 == "10.99.0.1" && $2 == "" &&
	$1 < t { n++ } END { print n + 0 }' "$HL_TMP/customer.txt")
A_OK=$(tshark -r "$HL_TMP/agent.pcap" -Y 'sip.Status-Code == 200 && sip.CSeq.method == "INVITE"' \
	-T fields -e frame.time_relative 2>/dev/null | head -1)
EARLY_A=$(tshark -r "$HL_TMP/agent.pcap" \
	-Y "udp.dstport == 6000 && ip.src == 10.98.0.1 && frame.time_relative < ${A_OK:-0}" \
	-T fields -e frame.number 2>/dev/null | wc -l)
hl_check "the agent's early audio reached the customer before the 200 ($EARLY_C packets)" \
	[ "$EARLY_C" -ge 60 ]
hl_check "the customer's early audio reached the agent before its 200 ($EARLY_A packets)" \
	[ "$EARLY_A" -ge 40 ]
# All of it, unchanged: the agent starts at its 183, before the PRACK gave the A leg
# its remote, so the first packets (the PRACK's round trip) may be lost by design.
hl_check_media "agent's audio reached the customer unchanged" "$M/audio.pcap" \
	"$HL_TMP/customer.pcap" --recv-udp-dport 6000 --recv-pt 0 --ordered --allow-missing 4
hl_check_media "customer's audio reached the agent unchanged" "$M/audio.pcap" \
	"$HL_TMP/agent.pcap" --recv-udp-dport 6000 --recv-pt 0 --ordered --allow-missing 1

hl_check_sip rel1xx_sent -ge 1
hl_check_sip prack_in -eq 1
hl_check_sip prack_unmatched -eq 0
hl_check_sip rel1xx_timeout -eq 0
hl_check_sip media_setup_failures -eq 0
hl_check_sip calls_answered -eq 1
hl_check_sip calls_completed -eq 1
MED() { hl_tel /hotline/media "$1"; }
for _ in $(seq 20); do [ "$(MED legs)" -eq 0 ] && break; sleep 0.2; done
hl_check "customer leg received the audio ($(MED last_a_rx_packets))" \
	[ "$(MED last_a_rx_packets)" -ge 200 ]
hl_check "agent leg received the audio ($(MED last_b_rx_packets))" \
	[ "$(MED last_b_rx_packets)" -ge 200 ]
CDR=
for _ in $(seq 50); do
	CDR=$("$HLCTL" cdr --store "$HL_TMP/store" --json 2>/dev/null | head -1)
	[ -n "$CDR" ] && break
	sleep 0.2
done
hl_check "one answered record, status 200, agent alice ($(jq -r .disposition <<<"$CDR"))" \
	[ "$(jq -r '[.disposition, .sip_status, .agent] | join(" ")' <<<"$CDR")" = \
	"answered 200 alice" ]
hl_check_sip calls -eq 0
hl_check_sip media_legs -eq 0
hl_done
