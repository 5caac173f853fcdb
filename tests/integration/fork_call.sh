#!/usr/bin/env bash
# An agent behind a forking proxy (RFC 3261 §12.1.2, §13.2.2.4), SIPp on both sides:
#   1. the INVITE rings two devices, each with a To tag of its own (two early dialogs,
#      a 180 each), and the second one answers: hotline's ACK and, at the customer's
#      hang-up, its BYE go in the answered dialog (the agent scenario checks the tag
#      and the Request-URI), the customer gets one 200, and the call carries audio
#      both ways unchanged;
#   2. both devices answer: the first 200 is the call; the second is ACKed and BYEd at
#      once in its own dialog (fork_extra_2xx) and never reaches the customer, while
#      the call goes on in the first dialog, audio both ways, and ends there;
#   3. the devices choose different codecs: the first sends a reliable 183 with PCMU,
#      which hotline's reliable 183 answers to a customer with 100rel, the second
#      answers 200 with PCMA; after the customer's ACK hotline re-INVITEs it in its
#      dialog with PCMA alone and the next o= version (fork_codec_reoffer), ACKs its
#      200, and the call ends normally;
#   and nothing is left behind (calls, legs), one answered record per call.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/lib_media.sh"
hl_begin "fork: early dialogs per To tag, the first 2xx wins, a second is BYEd" sipp
hl_media_require
command -v tshark >/dev/null || hl_skip "needs tshark (SIP of the customer)"
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

# fork_call NAME AGENT_SCENARIO: one call, both phones playing the audio pcap, all UDP
# captured at both ($HL_TMP/NAME-agent.pcap, NAME-customer.pcap).
fork_call() {
	local name=$1 ascen=$2 rc agent acap ccap
	hl_capture_start "$ANS" "$APIF" "$HL_TMP/$name-agent.pcap" "udp" || return 1
	acap=$HL_CAPTURE_PID
	hl_capture_start "$NS" "$PIF" "$HL_TMP/$name-customer.pcap" "udp" || return 1
	ccap=$HL_CAPTURE_PID
	ip netns exec "$ANS" timeout 60 sipp -nostdin -timeout 40 -timeout_error \
		-sf "$S/$ascen" -i 10.98.0.2 -p 5090 -mp 6000 -m 1 "${HL_MEDIA_AGENT_ARGS[@]}" \
		-trace_err -error_file "$HL_TMP/$name-agent.err" \
		</dev/null >"$HL_TMP/$name-agent.log" 2>&1 &
	agent=$!
	HL_PIDS+=("$agent")
	sleep 0.5
	ip netns exec "$NS" timeout 60 sipp -nostdin -timeout 40 -timeout_error \
		10.99.0.1:5060 -sf "$S/customer_uac_rtp.xml" -s +15550100 -i 10.99.0.2 -p 5070 \
		-mp 6000 -m 1 "${HL_MEDIA_RTP_ARGS[@]}" -d 500 \
		-trace_err -error_file "$HL_TMP/$name-customer.err" \
		</dev/null >"$HL_TMP/$name-customer.log" 2>&1
	rc=$?
	wait "$agent" || rc=1
	hl_capture_stop "$acap"
	hl_capture_stop "$ccap"
	[ $rc -eq 0 ] || tail -20 "$HL_TMP/$name-customer.err" "$HL_TMP/$name-agent.err" 2>/dev/null
	return $rc
}

# ok_tags NAME: the To tags of the 200s to the INVITE the customer got, one line each,
# distinct (retransmissions of one 200 are one line).
ok_tags() {
	tshark -r "$HL_TMP/$1-customer.pcap" -Y 'sip.Status-Code == 200 && sip.CSeq.method == "INVITE"' \
		-T fields -e sip.to.tag 2>/dev/null | sort -u
}
# ringing NAME: how many 180s the customer got.
ringing() {
	tshark -r "$HL_TMP/$1-customer.pcap" -Y 'sip.Status-Code == 180' 2>/dev/null | wc -l
}

CALLS=0
# record_answered NAME: the latest call's record, answered by alice.
record_answered() {
	local out=
	CALLS=$((CALLS + 1))
	for _ in $(seq 50); do
		out=$("$HLCTL" cdr --store "$HL_TMP/store" --json --since-id "$CALLS") || return 1
		[ -n "$out" ] && break
		sleep 0.2
	done
	hl_check "$1: the record says answered, 200, alice ($(head -1 <<<"$out" | jq -c \
		'[.disposition, .sip_status, .agent]'))" \
		[ "$(head -1 <<<"$out" | jq -r '[.disposition, .sip_status, .agent] | join(" ")')" = \
		"answered 200 alice" ]
}

# ---- 1. two devices ring, the second answers ----
hl_check "forked INVITE: two 180s, the second device answers, audio, hung up" \
	fork_call second agent_uas_fork_rtp.xml
hl_check_media "second: the customer's audio reached the device that answered, unchanged" \
	"$M/audio.pcap" "$HL_TMP/second-agent.pcap" --recv-udp-dport 6000 --recv-pt 0 --ordered \
	--allow-missing 1
hl_check_media "second: its audio reached the customer unchanged" "$M/audio.pcap" \
	"$HL_TMP/second-customer.pcap" --recv-udp-dport 6000 --recv-pt 0 --ordered --allow-missing 1
N=$(ringing second)
hl_check "second: both devices' ringing reached the customer ($N 180s)" [ "$N" -eq 2 ]
TAGS=$(ok_tags second | wc -l)
hl_check "second: one answer reached the customer ($TAGS To tags)" [ "$TAGS" -eq 1 ]
hl_check_sip fork_early_dialogs -eq 1
hl_check_sip fork_extra_2xx -eq 0
record_answered second

# ---- 2. both devices answer ----
hl_check "forked INVITE answered twice: the second 200 ACKed and BYEd, audio, hung up" \
	fork_call twice agent_uas_fork_2x200_rtp.xml
hl_check_media "twice: the customer's audio reached the first device, unchanged" \
	"$M/audio.pcap" "$HL_TMP/twice-agent.pcap" --recv-udp-dport 6000 --recv-pt 0 --ordered \
	--allow-missing 1
hl_check_media "twice: its audio reached the customer unchanged" "$M/audio.pcap" \
	"$HL_TMP/twice-customer.pcap" --recv-udp-dport 6000 --recv-pt 0 --ordered --allow-missing 1
TAGS=$(ok_tags twice | wc -l)
hl_check "twice: one answer reached the customer ($TAGS To tags)" [ "$TAGS" -eq 1 ]
N=$(tshark -r "$HL_TMP/twice-agent.pcap" -Y 'udp.dstport == 6100' 2>/dev/null | wc -l)
hl_check "twice: no media went to the second device's SDP ($N packets)" [ "$N" -eq 0 ]
hl_check_sip fork_early_dialogs -eq 2
hl_check_sip fork_extra_2xx -eq 1
hl_check_sip fork_early_dropped -eq 0
record_answered twice

# ---- 3. the devices choose different codecs ----
# codec_call: one call, no media, SIP captured at the customer.
codec_call() {
	local rc agent ccap
	hl_capture_start "$NS" "$PIF" "$HL_TMP/codec-customer.pcap" "udp port 5060 or udp port 5070" ||
		return 1
	ccap=$HL_CAPTURE_PID
	ip netns exec "$ANS" timeout 60 sipp -nostdin -timeout 40 -timeout_error \
		-sf "$S/agent_uas_fork_codec.xml" -i 10.98.0.2 -p 5090 -mp 6000 -m 1 \
		-trace_err -error_file "$HL_TMP/codec-agent.err" \
		</dev/null >"$HL_TMP/codec-agent.log" 2>&1 &
	agent=$!
	HL_PIDS+=("$agent")
	sleep 0.5
	ip netns exec "$NS" timeout 60 sipp -nostdin -timeout 40 -timeout_error \
		10.99.0.1:5060 -sf "$S/customer_uac_fork_codec.xml" -s +15550100 -i 10.99.0.2 \
		-p 5070 -mp 6000 -m 1 -trace_err -error_file "$HL_TMP/codec-customer.err" \
		</dev/null >"$HL_TMP/codec-customer.log" 2>&1
	rc=$?
	wait "$agent" || rc=1
	hl_capture_stop "$ccap"
	[ $rc -eq 0 ] || tail -20 "$HL_TMP/codec-customer.err" "$HL_TMP/codec-agent.err" 2>/dev/null
	return $rc
}
hl_check "forks with different codecs: the customer re-INVITEd to the answering fork's" \
	codec_call
# the o= lines of hotline's reliable 183 and of its re-INVITE, and the re-INVITE's m=
O183=$(tshark -r "$HL_TMP/codec-customer.pcap" -Y 'sip.Status-Code == 183' -T fields \
	-e sdp.owner 2>/dev/null | head -1)
REINV=$(tshark -r "$HL_TMP/codec-customer.pcap" \
	-Y 'sip.Method == "INVITE" && ip.src == 10.99.0.1' -T fields -e sip.CSeq.seq \
	-e sdp.owner -e sdp.media 2>/dev/null | head -1)
hl_check "codec: the re-INVITE offers PCMA and events alone, CSeq 2 ($REINV)" \
	grep -Eq $'^2\t.*\taudio [0-9]+ RTP/AVP 8 101$' <<<"$REINV"
V183=$(awk '{ print $3 }' <<<"$O183")
VRE=$(cut -f2 <<<"$REINV" | awk '{ print $3 }')
hl_check "codec: the re-INVITE's o= is the 183's ($O183) with the next version ($VRE)" \
	[ -n "$V183" ] && [ "$VRE" = "$((V183 + 1))" ] && \
	[ "$(awk '{ print $1, $2 }' <<<"$O183")" = "$(cut -f2 <<<"$REINV" | awk '{ print $1, $2 }')" ]
hl_check_sip fork_codec_reoffer -eq 1
hl_check_sip fork_codec_failed -eq 0
record_answered codec

hl_check_sip calls_answered -eq 3
hl_check_sip calls_completed -eq 3
hl_check_sip calls -eq 0
MED() { hl_tel /hotline/media "$1"; }
for _ in $(seq 20); do [ "$(MED legs)" -eq 0 ] && break; sleep 0.2; done
hl_check_sip media_legs -eq 0
hl_done
