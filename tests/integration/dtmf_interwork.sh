#!/usr/bin/env bash
# DTMF between SIP INFO and RFC 4733, when the two sides of a call disagree, on the wire:
#   1. INFO -> RFC 4733: the trunk offers PCMU and telephone-event 101, the agent's
#      phone answers PCMU alone and presses 5 by INFO (application/dtmf-relay,
#      Duration=160) while both send audio; the trunk gets no INFO but telephone-events
#      for 5 in the stream hotline sends it: PT 101, the marker on the first, one
#      timestamp, the end bit on the last three with the full duration (1280 units), one
#      SSRC and every sequence number once, in order, through the agent's relayed audio
#      before and after (dtmf_to_rtp, dtmf_injected);
#   2. RFC 4733 -> INFO: the trunk sends a press of 1 as telephone-events (SIPp's
#      dtmf_2833_1 pcap after its audio), the agent's phone (no telephone-event) gets it
#      as one INFO application/dtmf-relay Signal=1 with a Duration in its dialog, and no
#      telephone-event in its RTP (dtmf_to_info, info_dtmf_relayed, rtp_dtmf_suppressed);
#   and no call, leg or transaction is left.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/lib_media.sh"
hl_begin "media: DTMF between INFO and RFC 4733" sipp tshark
hl_media_require

hl_peer v4only || exit 1
hl_agents_host || exit 1
hl_capture "$NS" "$PIF" trunk
hl_capture "$ANS" "$APIF" agents
hl_tenants_acme
hl_engine_start "$(hl_sip_conf)" || exit 1
hl_media_prepare "$HL_TMP/media" 3000 1 || exit 1
M=$HL_MEDIA_DIR
S=$HL_SIPP_DIR
TOOL=$(hl_rtp_pcap_tool) || exit 1

hl_register_alice

# call NAME AGENT_SCENARIO CUSTOMER_SCENARIO MS CAPTURE_NS CAPTURE_IF AGENT_ARGS -- \
#   CUSTOMER_ARGS...: one call to alice; RTP to port 6000 in CAPTURE_NS captured into
# $HL_TMP/NAME.pcap; the customer hangs up MS after its media starts. 0 when both
# scenarios pass.
call() {
	local name=$1 ascen=$2 cscen=$3 ms=$4 cns=$5 cif=$6 rc
	shift 6
	local -a aargs=()
	while [ $# -gt 0 ] && [ "$1" != -- ]; do
		aargs+=("$1")
		shift
	done
	shift
	hl_capture_start "$cns" "$cif" "$HL_TMP/$name.pcap" "udp port 6000" || return 1
	local cap=$HL_CAPTURE_PID
	ip netns exec "$ANS" timeout 60 sipp -nostdin -timeout 40 -timeout_error \
		-trace_err -error_file "$HL_TMP/$name-agent.err" -sf "$S/$ascen" -i 10.98.0.2 \
		-p 5090 -mp 6000 -m 1 "${aargs[@]}" </dev/null >"$HL_TMP/$name-agent.log" 2>&1 &
	local agent=$!
	HL_PIDS+=("$agent")
	sleep 0.5
	ip netns exec "$NS" timeout 60 sipp -nostdin -timeout 40 -timeout_error \
		-trace_err -error_file "$HL_TMP/$name-customer.err" 10.99.0.1:5060 -sf "$S/$cscen" \
		-s +15550100 -i 10.99.0.2 -p 5070 -mp 6000 -m 1 -d "$ms" "$@" \
		</dev/null >"$HL_TMP/$name-customer.log" 2>&1
	rc=$?
	wait "$agent" || rc=1
	hl_capture_stop "$cap"
	return $rc
}
MED() { hl_tel /hotline/media "$1"; }
legs_gone() {
	for _ in $(seq 20); do [ "$(MED legs)" -eq 0 ] && break; sleep 0.2; done
	[ "$(MED legs)" -eq 0 ]
}

# ---- 1. INFO from the agent, telephone-events to the trunk ----
hl_check "INFO -> RFC 4733 call: answered, 5 pressed by INFO, hung up" \
	call iw1 agent_uas_rtp_info_key.xml customer_uac_inband_te.xml 4000 "$NS" "$PIF" \
	-key audio_pcap "$M/audio.pcap" -d 2000 -- -key audio_pcap "$M/audio.pcap"
hl_check "call 1: legs ended" legs_gone
hl_check_sip dtmf_info -eq 1
hl_check_sip dtmf_to_rtp -eq 1
hl_check_sip info_dtmf_relayed -eq 0
hl_check_ctr dtmf_injected -eq 1
hl_check_ctr dtmf_inject_dropped -eq 0
hl_check_dtmf "the trunk got 5 as telephone-events" "$HL_TMP/iw1.pcap" 5 --udp-dport 6000
# what hotline sent the trunk: "ssrc seq ts pt len hash marker time" a packet
"$TOOL" payloads "$HL_TMP/iw1.pcap" --udp-dport 6000 2>/dev/null | grep -v '^#' \
	>"$HL_TMP/iw1.rtp"
n=$(wc -l <"$HL_TMP/iw1.rtp")
ev=$(awk '$4 == 101' "$HL_TMP/iw1.rtp" | wc -l)
hl_check "audio and events reached the trunk ($n packets, $ev events)" \
	[ "$n" -gt 100 -a "$ev" -ge 6 ]
hl_check "one SSRC ($(awk '{ print $1 }' "$HL_TMP/iw1.rtp" | sort -u | tr '\n' ' '))" \
	[ "$(awk '{ print $1 }' "$HL_TMP/iw1.rtp" | sort -u | wc -l)" -eq 1 ]
gaps=$(awk 'NR > 1 && $2 != (prev + 1) % 65536 { g++ } { prev = $2 } END { print g + 0 }' \
	"$HL_TMP/iw1.rtp")
hl_check "sequence numbers rise by one through audio and events ($gaps gaps)" [ "$gaps" -eq 0 ]
hl_check "audio before and after the events" \
	awk '$4 == 101 { e = 1 } $4 == 0 && !e { b++ } $4 == 0 && e { a++ }
		END { exit !(b > 10 && a > 10) }' "$HL_TMP/iw1.rtp"
hl_check "the events: one timestamp, the marker on the first alone" \
	awk '$4 == 101 { if (!k++) { ts = $3; if ($7 != 1) bad++ } else if ($7 != 0) bad++;
		if ($3 != ts) bad++ } END { exit !(k > 0 && !bad) }' "$HL_TMP/iw1.rtp"
hl_check "the events' timestamp is the audio's present" \
	awk '$4 == 0 && !e { last = $3 } $4 == 101 && !e { e = $3 }
		END { d = e - last; exit !(d >= 0 && d < 800) }' "$HL_TMP/iw1.rtp"
# the events' payloads: event, E|volume, duration
tshark -r "$HL_TMP/iw1.pcap" -n -d udp.port==6000,rtp -Y "udp.dstport == 6000 && rtp.p_type == 101" \
	-T fields -e rtpevent.event_id -e rtpevent.end_of_event -e rtpevent.duration \
	2>/dev/null >"$HL_TMP/iw1.ev"
hl_check "every event is key 5 ($(cut -f1 "$HL_TMP/iw1.ev" | sort -u | tr '\n' ' '))" \
	[ "$(cut -f1 "$HL_TMP/iw1.ev" | sort -u)" = 5 ]
hl_check "the last three end it at 1280 units ($(tail -3 "$HL_TMP/iw1.ev" | tr '\n\t' '; '))" \
	[ "$(tail -3 "$HL_TMP/iw1.ev" | awk '$2 == 1 && $3 == 1280' | wc -l)" -eq 3 -a \
	"$(awk '$2 == 1' "$HL_TMP/iw1.ev" | wc -l)" -eq 3 ]

# ---- 2. telephone-events from the trunk, INFO to the agent ----
sup0=$(hl_drop rtp_dtmf_suppressed)
hl_check "RFC 4733 -> INFO call: answered, 1 sent as events, the agent got it by INFO" \
	call iw2 agent_uas_rtp_expect_info.xml customer_uac_rtp.xml \
	$((HL_MEDIA_DTMF_MS + 1500)) "$ANS" "$APIF" \
	-key audio_pcap "$M/audio.pcap" -- "${HL_MEDIA_RTP_ARGS[@]}"
hl_check "call 2: legs ended" legs_gone
hl_check_sip dtmf_rtp -eq 1
hl_check_sip dtmf_to_info -eq 1
hl_check_sip info_dtmf_relayed -eq 1
hl_check_sip info_dtmf_failed -eq 0
hl_check "the agent got no telephone-event ('$(hl_media_dtmf "$HL_TMP/iw2.pcap" --udp-dport 6000)')" \
	[ -z "$(hl_media_dtmf "$HL_TMP/iw2.pcap" --udp-dport 6000)" ]
hl_check "the trunk's events were not relayed ($(($(hl_drop rtp_dtmf_suppressed) - sup0)))" \
	[ $(($(hl_drop rtp_dtmf_suppressed) - sup0)) -ge 1 ]
hl_check "last_dtmf_digits is 51 ($(hl_sip last_dtmf_digits))" [ "$(hl_sip last_dtmf_digits)" = 51 ]

hl_log "-- nothing left"
hl_check_sip calls -eq 0
hl_check_sip media_legs -eq 0
hl_check_txns_gone

hl_captures_stop
n=$(hl_sip_count trunk 'ip.src == 10.99.0.1 && sip.Method == "INFO"')
hl_check "hotline sent the trunk no INFO ($n)" [ "$n" -eq 0 ]
n=$(hl_sip_count agents 'ip.src == 10.98.0.1 && udp.dstport == 5090 && sip.Method == "INFO" && frame contains "Signal=1"')
hl_check "hotline sent the agent one INFO with Signal=1 ($n)" [ "$n" -eq 1 ]
hl_done
