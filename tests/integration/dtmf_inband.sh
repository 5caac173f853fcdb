#!/usr/bin/env bash
# In-band DTMF end to end: a customer whose trunk offers PCMU without telephone-event
# keys in through the audio (SpanDSP's tones, a pcap from tests/tools/dtmf_pcap.c):
#   1. to an agent with telephone-events: hotline reports every key exactly once, in
#      order (last_dtmf_digits, dtmf_inband, dtmf_inband_presses; no RFC 4733 press),
#      on the customer's leg figures, and the agent receives the audio, tones and all,
#      payload for payload;
#   2. to an agent without telephone-event, whose speech (a PCMU pcap) hotline listens
#      to as well: the customer's keys again, none from the agent's speech;
#   3. restarted with [rtp] dtmf_inband = always, a relay tenant's customer that offers
#      telephone-event (as does the agent) and keys in by tones alone: every key once,
#      nothing muted, the audio relayed payload for payload (SpanDSP at the agent still
#      finds every key);
#   4. the same customer sending each key both ways, events and tones: each key once
#      (dtmf_dup_presses counts the other report), events and audio relayed unchanged;
#   and no leg and no detector is left.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/lib_media.sh"
hl_begin "media: in-band DTMF on a trunk without telephone-event" sipp
hl_media_require
DTMF_PCAP=$(hl_dtmf_pcap_tool) || hl_skip "dtmf_pcap does not build"

hl_peer v4only || exit 1
hl_agents_host || exit 1
hl_capture "$NS" "$PIF" trunk
hl_tenants_acme
hl_engine_start "$(hl_sip_conf "" "dtmf_inband = auto")" || exit 1
hl_media_prepare "$HL_TMP/media" 7500 1 || exit 1
M=$HL_MEDIA_DIR
S=$HL_SIPP_DIR
KEYS1="1234567890*#"
KEYS2="#5A"
hl_check "in-band pcap of $KEYS1" "$DTMF_PCAP" "$M/inband1.pcap" "$KEYS1"
hl_check "in-band pcap of $KEYS2" "$DTMF_PCAP" "$M/inband2.pcap" "$KEYS2" --on 150 --off 80

hl_register_alice

# ib_call NAME AGENT_SCENARIO PCAP [CUSTOMER_SCENARIO]: the customer plays PCAP, the agent
# audio.pcap; RTP captured at the agent's phone ($HL_TMP/NAME-agent.pcap).
ib_call() {
	local name=$1 agent_scen=$2 pcap=$3 cust_scen=${4:-customer_uac_inband.xml} rc ms
	ms=$("$(hl_rtp_pcap_tool)" payloads "$pcap" 2>/dev/null |
		awk '!/^#/ { t = $8 } END { printf "%d", t * 1000 + 0.5 }')
	hl_capture_start "$ANS" "$APIF" "$HL_TMP/$name-agent.pcap" "udp port 6000" || return 1
	local acap=$HL_CAPTURE_PID
	ip netns exec "$ANS" timeout 60 sipp -nostdin -timeout 40 -timeout_error \
		-sf "$S/$agent_scen" -i 10.98.0.2 -p 5090 -mp 6000 -m 1 \
		"${HL_MEDIA_AGENT_ARGS[@]}" </dev/null >"$HL_TMP/$name-agent.log" 2>&1 &
	local agent=$!
	HL_PIDS+=("$agent")
	sleep 0.5
	ip netns exec "$NS" timeout 60 sipp -nostdin -timeout 40 -timeout_error \
		10.99.0.1:5060 -sf "$S/$cust_scen" -s +15550100 -i 10.99.0.2 -p 5070 \
		-mp 6000 -m 1 -key audio_pcap "$pcap" -d $((ms + 1000)) \
		</dev/null >"$HL_TMP/$name-customer.log" 2>&1
	rc=$?
	wait "$agent" || rc=1
	hl_capture_stop "$acap"
	return $rc
}
MED() { hl_tel /hotline/media "$1"; }
legs_gone() {
	for _ in $(seq 20); do [ "$(MED legs)" -eq 0 ] && break; sleep 0.2; done
	[ "$(MED legs)" -eq 0 ]
}

# ---- 1. agent with telephone-events ----
hl_check "call 1 answered, keys played, hung up" ib_call ib1 agent_uas_rtp.xml "$M/inband1.pcap"
hl_check "call 1: legs ended" legs_gone
hl_check "hotline reported $KEYS1 once each ($(hl_sip last_dtmf_digits))" \
	[ "$(hl_sip last_dtmf_digits)" = "$KEYS1" ]
hl_check_sip dtmf_inband -eq "${#KEYS1}"
hl_check_sip dtmf_rtp -eq "${#KEYS1}"
hl_check_ctr dtmf_inband_presses -eq "${#KEYS1}"
hl_check_ctr dtmf_4733_presses -eq 0
hl_check_ctr dtmf_inband_no_slot -eq 0
hl_check "customer leg counted the keys ($(MED last_a_dtmf))" [ "$(MED last_a_dtmf)" -eq "${#KEYS1}" ]
hl_check "agent leg counted none ($(MED last_b_dtmf))" [ "$(MED last_b_dtmf)" -eq 0 ]
# The tones are audio: every payload reaches the agent unchanged (RFC 3550 A.1 holds the
# first packet of the new source back).
hl_check_media "the agent received the customer's audio, tones and all" "$M/inband1.pcap" \
	"$HL_TMP/ib1-agent.pcap" --recv-udp-dport 6000 --recv-pt 0 --ordered --allow-missing 1
hl_check "no RFC 4733 event reached the agent" \
	[ -z "$(hl_media_dtmf "$HL_TMP/ib1-agent.pcap" --udp-dport 6000)" ]

# ---- 2. agent without telephone-event: its speech is listened to, and gives no key ----
hl_check "call 2 answered, keys played, hung up" ib_call ib2 agent_uas_inband.xml "$M/inband2.pcap"
hl_check "call 2: legs ended" legs_gone
hl_check "hotline reported $KEYS2 once each ($(hl_sip last_dtmf_digits))" \
	[ "$(hl_sip last_dtmf_digits)" = "$KEYS1$KEYS2" ]
hl_check_sip dtmf_inband -eq $((${#KEYS1} + ${#KEYS2}))
hl_check_ctr dtmf_inband_presses -eq $((${#KEYS1} + ${#KEYS2}))
hl_check "customer leg counted the keys ($(MED last_a_dtmf))" [ "$(MED last_a_dtmf)" -eq "${#KEYS2}" ]
hl_check "agent leg received speech ($(MED last_b_rx_packets))" [ "$(MED last_b_rx_packets)" -ge 50 ]
hl_check "agent's speech gave no key ($(MED last_b_dtmf))" [ "$(MED last_b_dtmf)" -eq 0 ]
hl_check_media "call 2: the agent received the customer's audio" "$M/inband2.pcap" \
	"$HL_TMP/ib2-agent.pcap" --recv-udp-dport 6000 --recv-pt 0 --ordered --allow-missing 1

hl_check_sip calls -eq 0
hl_check_sip media_legs -eq 0
hl_check "no detector left ($(MED dtmf_inband_legs))" [ "$(MED dtmf_inband_legs)" -eq 0 ]

# ---- 3. dtmf_inband = always: telephone-event offered, keys as tones alone ----
hl_engine_stop
hl_check "hotlined stopped cleanly" [ "${HL_ENGINE_RC:-1}" -eq 0 ]
hl_engine_start "$(hl_sip_conf "" "dtmf_inband = always")" || exit 1
hl_check "/hotline/config says always ($(hl_tel /hotline/config rtp_dtmf_inband))" \
	[ "$(hl_tel /hotline/config rtp_dtmf_inband)" = always ]
hl_register_alice "alice registers again"
detect() { "$DTMF_PCAP" --detect "$@"; }
field() { awk -v k="$1" '{ for (i = 1; i < NF; i++) if ($i == k) print $(i + 1) }'; }
BOTH="4111#5"
hl_check "pcap of $BOTH as tones and events" "$DTMF_PCAP" "$M/both.pcap" "$BOTH" --te 101
hl_check "call 3 answered, keys played, hung up" \
	ib_call ib3 agent_uas_rtp.xml "$M/inband1.pcap" customer_uac_inband_te.xml
hl_check "call 3: legs ended" legs_gone
hl_check "hotline reported $KEYS1 once each ($(hl_sip last_dtmf_digits))" \
	[ "$(hl_sip last_dtmf_digits)" = "$KEYS1" ]
hl_check_sip dtmf_inband -eq "${#KEYS1}"
hl_check_ctr dtmf_inband_presses -eq "${#KEYS1}"
hl_check_ctr dtmf_4733_presses -eq 0
hl_check_ctr dtmf_dup_presses -eq 0
hl_check_ctr dtmf_inband_no_slot -eq 0
hl_check_ctr rtp_dtmf_muted -eq 0
hl_check "customer leg counted the keys ($(MED last_a_dtmf))" [ "$(MED last_a_dtmf)" -eq "${#KEYS1}" ]
hl_check "agent leg counted none ($(MED last_b_dtmf))" [ "$(MED last_b_dtmf)" -eq 0 ]
hl_check_media "the agent received the customer's audio, tones and all" "$M/inband1.pcap" \
	"$HL_TMP/ib3-agent.pcap" --recv-udp-dport 6000 --recv-pt 0 --ordered --allow-missing 1
GOT=$(detect "$HL_TMP/ib3-agent.pcap" --udp-dport 6000 --pt 0)
hl_check "SpanDSP finds $KEYS1 in what reached the agent ($GOT)" \
	[ "$(field digits <<<"$GOT")" = "$KEYS1" ]

# ---- 4. dtmf_inband = always: keys as events and tones ----
ms2=$("$(hl_rtp_pcap_tool)" payloads "$M/both.pcap" 2>/dev/null |
	awk '!/^#/ { t = $8 } END { printf "%d", t * 1000 + 0.5 }')
hl_check "call 4 answered, keys sent both ways, hung up" \
	ib_call ib4 agent_uas_rtp.xml "$M/both.pcap" customer_uac_inband_te.xml
hl_check "call 4: legs ended" legs_gone
hl_check "hotline reported $BOTH once each ($(hl_sip last_dtmf_digits))" \
	[ "$(hl_sip last_dtmf_digits)" = "$KEYS1$BOTH" ]
presses=$(($(hl_ctr dtmf_inband_presses) - ${#KEYS1} + $(hl_ctr dtmf_4733_presses)))
hl_check "$presses presses counted, one a key" [ "$presses" -eq "${#BOTH}" ]
hl_check_ctr dtmf_dup_presses -eq "${#BOTH}"
hl_check_ctr rtp_dtmf_muted -eq 0
hl_check "customer leg counted the keys ($(MED last_a_dtmf))" [ "$(MED last_a_dtmf)" -eq "${#BOTH}" ]
hl_check "the agent got the telephone-events ($(hl_media_dtmf "$HL_TMP/ib4-agent.pcap" --udp-dport 6000))" \
	[ "$(hl_media_dtmf "$HL_TMP/ib4-agent.pcap" --udp-dport 6000)" = "$BOTH" ]
hl_check_media "the agent received the customer's audio, tones and all" "$M/both.pcap" \
	"$HL_TMP/ib4-agent.pcap" --sent-pt 0 --recv-udp-dport 6000 --recv-pt 0 --ordered \
	--allow-missing 1

hl_check_sip calls -eq 0
hl_check_sip media_legs -eq 0
hl_check "no detector left ($(MED dtmf_inband_legs))" [ "$(MED dtmf_inband_legs)" -eq 0 ]
hl_done
