#!/usr/bin/env bash
# Reliable provisionals (RFC 3262: 100rel, PRACK) end to end, SIPp on both sides:
#   1. early media on a late offer: the customer's INVITE has no SDP and says
#      Supported: 100rel; the agent answers 183 with SDP and plays its audio at once,
#      and 200 only 3 s later. hotline's 183 to the customer is reliable (Require:
#      100rel, RSeq) and carries hotline's offer; the PRACK carries the customer's
#      answer, and from then on media flows both ways before the 200: the agent's
#      audio reaches the customer, the customer's the agent, proven by the captures
#      (RTP before the 200 at each phone) and by hotline's leg figures. The 200
#      repeats the 183's SDP and its ACK carries none;
#   2. an early offer with Require: 100rel to an agent whose own 183 is reliable:
#      hotline PRACKs the agent's 183 (RAck), sends the customer a reliable 183 with
#      its answer, the customer PRACKs it, and early media flows both ways again;
#   and both calls complete with one answered record each. The calls without 100rel
#   are int-sip_call's and int-media_call's.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/lib_media.sh"
hl_begin "prack: reliable 18x both legs, late offer answered in the PRACK, early media" sipp
hl_media_require
command -v tshark >/dev/null || hl_skip "needs tshark (SIP and RTP timing)"
command -v jq >/dev/null || hl_skip "needs jq (call records)"
[ -x "$HLCTL" ] || hl_skip "no hlctl at $HLCTL"

hl_peer v4only || exit 1
hl_agents_host || exit 1
hl_tenants_acme
hl_engine_start "$(hl_sip_conf)" || exit 1
hl_media_prepare "$HL_TMP/media" 7500 1 || exit 1
M=$HL_MEDIA_DIR
S=$HL_SIPP_DIR

hl_register_alice

# early_call NAME CUSTOMER_SCENARIO AGENT_SCENARIO: one call, both phones playing the
# audio pcap, all UDP captured at both ($HL_TMP/NAME-agent.pcap, NAME-customer.pcap).
early_call() {
	local name=$1 cscen=$2 ascen=$3 rc agent acap ccap
	hl_capture_start "$ANS" "$APIF" "$HL_TMP/$name-agent.pcap" "udp" || return 1
	acap=$HL_CAPTURE_PID
	hl_capture_start "$NS" "$PIF" "$HL_TMP/$name-customer.pcap" "udp" || return 1
	ccap=$HL_CAPTURE_PID
	ip netns exec "$ANS" timeout 60 sipp -nostdin -timeout 40 -timeout_error \
		-sf "$S/$ascen" -i 10.98.0.2 -p 5090 -mp 6000 -m 1 -key audio_pcap "$M/audio.pcap" \
		-trace_err -error_file "$HL_TMP/$name-agent.err" \
		</dev/null >"$HL_TMP/$name-agent.log" 2>&1 &
	agent=$!
	HL_PIDS+=("$agent")
	sleep 0.5
	ip netns exec "$NS" timeout 60 sipp -nostdin -timeout 40 -timeout_error \
		10.99.0.1:5060 -sf "$S/$cscen" -s +15550100 -i 10.99.0.2 -p 5070 -mp 6000 -m 1 \
		-key audio_pcap "$M/audio.pcap" -trace_err -error_file "$HL_TMP/$name-customer.err" \
		</dev/null >"$HL_TMP/$name-customer.log" 2>&1
	rc=$?
	wait "$agent" || rc=1
	hl_capture_stop "$acap"
	hl_capture_stop "$ccap"
	[ $rc -eq 0 ] || tail -20 "$HL_TMP/$name-customer.err" "$HL_TMP/$name-agent.err" 2>/dev/null
	return $rc
}

# sip_text NAME PHONE: the phone's capture, one line a frame: time, status, method, CSeq
# method, Require, RSeq, RAck, SDP owner and media, UDP destination port, IP source.
sip_text() {
	tshark -r "$HL_TMP/$1-$2.pcap" -Y 'sip || udp.dstport == 6000' -T fields -E separator='|' \
		-e frame.time_relative -e sip.Status-Code -e sip.Method -e sip.CSeq.method \
		-e sip.Require -e sip.RSeq -e sip.RAck -e sdp.owner -e sdp.media -e udp.dstport \
		-e ip.src >"$HL_TMP/$1-$2.txt" 2>/dev/null
}
# field FILE CONDITION N: field N of the first line of FILE meeting CONDITION (awk).
field() { awk -F'|' "$2 { print \$$3; exit }" "$1"; }
# rtp_before FILE SOURCE T: RTP frames from SOURCE to the phone's port before time T.
rtp_before() {
	awk -F'|' -v src="$2" -v t="${3:-0}" \
		'$10 == 6000 && $11 == src && $2 == "" && $3 == "" && $1 < t { n++ }
		END { print n + 0 }' "$1"
}
OK_INVITE='$2 == 200 && $4 == "INVITE"'

# Checks common to both calls: the 183 and the 200 at the customer, early RTP before
# the 200 at each phone, and the audio unchanged both ways. The agent starts playing
# before hotline's A leg has its remote (the late offer's PRACK), so a few of its
# first packets may be lost by design.
early_checks() {
	local name=$1 c="$HL_TMP/$1-customer.txt" a="$HL_TMP/$1-agent.txt" t_ok a_ok n
	sip_text "$name" customer
	sip_text "$name" agent
	t_ok=$(field "$c" "$OK_INVITE" 1)
	a_ok=$(field "$a" "$OK_INVITE" 1)
	hl_check "$name: the customer got the 200 ($t_ok s), the agent sent it ($a_ok s)" \
		[ -n "$t_ok" ] && [ -n "$a_ok" ]
	hl_check "$name: the 200 repeats the 183's SDP, same version ($(field "$c" "$OK_INVITE" 8))" \
		[ -n "$(field "$c" '$2 == 183' 8)" ] && \
		[ "$(field "$c" '$2 == 183' 8)" = "$(field "$c" "$OK_INVITE" 8)" ]
	n=$(rtp_before "$c" 10.99.0.1 "$t_ok")
	hl_check "$name: the agent's early audio reached the customer before the 200 ($n packets)" \
		[ "$n" -ge 60 ]
	n=$(rtp_before "$a" 10.98.0.1 "$a_ok")
	hl_check "$name: the customer's early audio reached the agent before its 200 ($n packets)" \
		[ "$n" -ge 40 ]
	hl_check_media "$name: agent's audio reached the customer unchanged" "$M/audio.pcap" \
		"$HL_TMP/$name-customer.pcap" --recv-udp-dport 6000 --recv-pt 0 --ordered \
		--allow-missing 4
	hl_check_media "$name: customer's audio reached the agent unchanged" "$M/audio.pcap" \
		"$HL_TMP/$name-agent.pcap" --recv-udp-dport 6000 --recv-pt 0 --ordered \
		--allow-missing 1
}

# ---- 1. late offer: hotline's offer in the reliable 183, the answer in the PRACK ----
hl_check "late offer with 100rel: reliable 183, PRACK with the answer, 200, hung up" \
	early_call late customer_uac_100rel_late.xml agent_uas_183_rtp.xml
early_checks late
C=$HL_TMP/late-customer.txt
REL=$(awk -F'|' '$2 == 183 { print $5 " " $6 " " $9; exit }' "$C")
RSEQ=$(field "$C" '$2 == 183' 6)
PRACK=$(awk -F'|' '$3 == "PRACK" { print $7 " " $9; exit }' "$C")
hl_check "late: the 183 is reliable and offers PCMU and events ($REL)" \
	grep -Eq "^100rel [0-9]+ audio [0-9]+ RTP/AVP 0 101\$" <<<"$REL"
hl_check "late: the PRACK names the 183 (RSeq $RSEQ) and carries the answer ($PRACK)" \
	[ "$PRACK" = "$RSEQ 1 INVITE audio 6000 RTP/AVP 0 101" ]
hl_check_sip rel1xx_sent -eq 1
hl_check_sip prack_in -eq 1
hl_check_sip prack_out -eq 0

# ---- 2. early offer, Require: 100rel, to an agent whose 183 is reliable too ----
hl_check "early offer with 100rel both ways: PRACK to the agent and from the customer" \
	early_call rel customer_uac_100rel_early.xml agent_uas_183_rel_rtp.xml
early_checks rel
C=$HL_TMP/rel-customer.txt
A=$HL_TMP/rel-agent.txt
REL=$(awk -F'|' '$2 == 183 { print $5 " " $6 " " $9; exit }' "$C")
hl_check "rel: the 183 to the customer is reliable and answers PCMU and events ($REL)" \
	grep -Eq "^100rel [0-9]+ audio [0-9]+ RTP/AVP 0 101\$" <<<"$REL"
PRACK=$(awk -F'|' '$3 == "PRACK" { print $7 "|" $9; exit }' "$A")
hl_check "rel: hotline's PRACK names the agent's 183 and has no SDP ($PRACK)" \
	[ "$PRACK" = "1 1 INVITE|" ]
hl_check_sip rel1xx_sent -eq 2
hl_check_sip rel1xx_in -eq 1
hl_check_sip prack_in -eq 2
hl_check_sip prack_out -eq 1

hl_check_sip prack_unmatched -eq 0
hl_check_sip rel1xx_timeout -eq 0
hl_check_sip media_setup_failures -eq 0
hl_check_sip calls_answered -eq 2
hl_check_sip calls_completed -eq 2
MED() { hl_tel /hotline/media "$1"; }
for _ in $(seq 20); do [ "$(MED legs)" -eq 0 ] && break; sleep 0.2; done
hl_check "the four legs received the audio ($(MED acme_rx_packets) packets in all)" \
	[ "$(MED acme_rx_packets)" -ge 900 ]
RECS=
for _ in $(seq 50); do
	RECS=$("$HLCTL" cdr --store "$HL_TMP/store" --json 2>/dev/null |
		jq -r '[.disposition, .sip_status, .agent] | join(" ")' | sort | uniq -c |
		sed 's/^ *//')
	[ "$RECS" = "2 answered 200 alice" ] && break
	sleep 0.2
done
hl_check "two answered records, status 200, agent alice ($RECS)" [ "$RECS" = "2 answered 200 alice" ]
hl_check_sip calls -eq 0
hl_check_sip media_legs -eq 0
hl_done
