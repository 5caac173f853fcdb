#!/usr/bin/env bash
# PCI: a tenant with dtmf_to_agent = suppress keeps the customer's key presses from the
# agent, and hotline still reports every one:
#   1. in-band: a trunk offering PCMU without telephone-event keys in through the audio
#      (SpanDSP's tones, a pcap from tests/tools/dtmf_pcap.c); hotline reports each key
#      once, in order, and what reaches the agent's phone holds no key SpanDSP can find
#      (the packets carrying tones arrive as G.711 silence, rtp_dtmf_muted), every other
#      payload unchanged and none missing but the first (probation);
#   2. RFC 4733: a customer sending telephone-events (SIPp's dtmf_2833 pcaps) with its
#      audio; hotline reports the presses, the agent gets the audio unchanged and not one
#      telephone-event (rtp_dtmf_suppressed);
#   3. a customer that offers telephone-event but keys in through the audio alone: the
#      leg listens all the same, each key is reported once and muted as in 1;
#   4. a customer that offers telephone-event and sends each key both ways, as events
#      and as tones (dtmf_pcap --te): each key reported once (the other source's report
#      swallowed, dtmf_dup_presses), the tones muted, no event at the agent;
#   and no leg or detector is left.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/lib_media.sh"
hl_begin "media: DTMF kept from the agent (dtmf_to_agent = suppress)" sipp
hl_media_require
DTMF_PCAP=$(hl_dtmf_pcap_tool) || hl_skip "dtmf_pcap does not build"

hl_peer v4only || exit 1
hl_agents_host || exit 1
hl_capture "$NS" "$PIF" trunk
hl_tenants_acme "dtmf_to_agent = suppress"
hl_engine_start "$(hl_sip_conf "" "dtmf_inband = auto")" || exit 1
hl_media_prepare "$HL_TMP/media" 7500 all || exit 1
M=$HL_MEDIA_DIR
S=$HL_SIPP_DIR
KEYS="1234567890*#"
hl_check "in-band pcap of $KEYS" "$DTMF_PCAP" "$M/inband.pcap" "$KEYS"
# a card number's keys, repeated ones among them, as tones and telephone-events
BOTH="4111#5"
hl_check "pcap of $BOTH as tones and events" "$DTMF_PCAP" "$M/both.pcap" "$BOTH" --te 101
hl_check "RFC 4733 presses in it ($(hl_media_dtmf "$M/both.pcap"))" \
	[ "$(hl_media_dtmf "$M/both.pcap")" = "$BOTH" ]
# detect PCAP [OPTS]: "packets N silent N digits D" of SpanDSP over PCAP's G.711
detect() { "$DTMF_PCAP" --detect "$@"; }
field() { awk -v k="$1" '{ for (i = 1; i < NF; i++) if ($i == k) print $(i + 1) }'; }
# muted_at_agent PCAP SENT NKEYS MUTED: what reached the agent (PCAP, the agent's side of
# the capture) holds no key, every packet of SENT but the first, and MUTED silent ones,
# 4-8 a key. 100 ms a key is five or six packets, two more after it; the pcap's own
# silence has line noise, so every silent packet at the agent is one hotline muted.
# Leaves the detector's report in GOT.
muted_at_agent() {
	local pcap=$1 sent=$2 n=$3 mu=$4
	GOT=$(detect "$pcap" --udp-dport 6000 --pt 0)
	hl_check "SpanDSP finds no key in what reached the agent ($GOT)" \
		[ -n "$GOT" -a -z "$(field digits <<<"$GOT")" ]
	hl_check "the agent got every packet but the first ($(field packets <<<"$GOT") of $sent)" \
		[ "$(field packets <<<"$GOT")" -eq $((sent - 1)) ]
	hl_check "$mu packets muted, 4-8 a key" [ "$mu" -ge $((4 * n)) -a "$mu" -le $((8 * n)) ]
	hl_check "the agent received them as silence ($(field silent <<<"$GOT"))" \
		[ "$(field silent <<<"$GOT")" -eq "$mu" ]
}
# The checks below can fail: what the customer sends carries every key.
SENT=$(detect "$M/inband.pcap")
hl_check "SpanDSP finds $KEYS in what the customer sends ($SENT)" \
	[ "$(field digits <<<"$SENT")" = "$KEYS" ]

hl_register_alice

# pci_call NAME CUSTOMER_SCENARIO MS CUSTOMER_ARGS...: one call to alice (who plays
# audio.pcap, with telephone-event in her SDP), the customer's RTP captured at her phone
# ($HL_TMP/NAME-agent.pcap); the customer hangs up MS after its media starts.
pci_call() {
	local name=$1 scen=$2 ms=$3 rc
	shift 3
	hl_capture_start "$ANS" "$APIF" "$HL_TMP/$name-agent.pcap" "udp port 6000" || return 1
	local acap=$HL_CAPTURE_PID
	ip netns exec "$ANS" timeout 60 sipp -nostdin -timeout 40 -timeout_error \
		-sf "$S/agent_uas_rtp.xml" -i 10.98.0.2 -p 5090 -mp 6000 -m 1 \
		"${HL_MEDIA_AGENT_ARGS[@]}" </dev/null >"$HL_TMP/$name-agent.log" 2>&1 &
	local agent=$!
	HL_PIDS+=("$agent")
	sleep 0.5
	ip netns exec "$NS" timeout 60 sipp -nostdin -timeout 40 -timeout_error \
		10.99.0.1:5060 -sf "$S/$scen" -s +15550100 -i 10.99.0.2 -p 5070 -mp 6000 -m 1 \
		-d "$ms" "$@" </dev/null >"$HL_TMP/$name-customer.log" 2>&1
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

# ---- 1. in-band ----
ms=$("$(hl_rtp_pcap_tool)" payloads "$M/inband.pcap" 2>/dev/null |
	awk '!/^#/ { t = $8 } END { printf "%d", t * 1000 + 0.5 }')
sent=$(field packets <<<"$SENT")
hl_check "in-band call answered, keys played, hung up" \
	pci_call ib customer_uac_inband.xml $((ms + 1000)) -key audio_pcap "$M/inband.pcap"
hl_check "in-band call: legs ended" legs_gone
hl_check "hotline reported $KEYS once each ($(hl_sip last_dtmf_digits))" \
	[ "$(hl_sip last_dtmf_digits)" = "$KEYS" ]
hl_check_sip dtmf_inband -eq "${#KEYS}"
hl_check_ctr dtmf_inband_presses -eq "${#KEYS}"
hl_check_ctr dtmf_inband_no_slot -eq 0
hl_check "customer leg counted the keys ($(MED last_a_dtmf))" [ "$(MED last_a_dtmf)" -eq "${#KEYS}" ]
muted=$(hl_ctr rtp_dtmf_muted)
muted_at_agent "$HL_TMP/ib-agent.pcap" "$sent" "${#KEYS}" "$muted"
hl_check_media "the rest of the customer's audio reached the agent unchanged" "$M/inband.pcap" \
	"$HL_TMP/ib-agent.pcap" --recv-udp-dport 6000 --recv-pt 0 --ordered \
	--allow-missing $((muted + 1)) --allow-extra "$muted"
hl_check "no RFC 4733 event reached the agent" \
	[ -z "$(hl_media_dtmf "$HL_TMP/ib-agent.pcap" --udp-dport 6000)" ]

# ---- 2. RFC 4733 ----
D=$HL_MEDIA_DTMF_DIGITS
hl_check "RFC 4733 pcap holds presses ($D)" [ -n "$D" ]
hl_check "RFC 4733 call answered, audio and presses sent, hung up" \
	pci_call te customer_uac_rtp.xml $((HL_MEDIA_DTMF_MS + 500)) "${HL_MEDIA_RTP_ARGS[@]}"
hl_check "RFC 4733 call: legs ended" legs_gone
hl_check "hotline reported $D once each ($(hl_sip last_dtmf_digits))" \
	[ "$(hl_sip last_dtmf_digits)" = "$KEYS$D" ]
hl_check_ctr dtmf_4733_presses -eq "${#D}"
hl_check_sip dtmf_rtp -eq $((${#KEYS} + ${#D}))
hl_check "customer leg counted the presses ($(MED last_a_dtmf))" [ "$(MED last_a_dtmf)" -eq "${#D}" ]
hl_check "the agent got no telephone-event ('$(hl_media_dtmf "$HL_TMP/te-agent.pcap" --udp-dport 6000)')" \
	[ -z "$(hl_media_dtmf "$HL_TMP/te-agent.pcap" --udp-dport 6000)" ]
hl_check_drop rtp_dtmf_suppressed -ge "${#D}"
hl_check_media "the customer's audio reached the agent unchanged" "$M/audio.pcap" \
	"$HL_TMP/te-agent.pcap" --recv-udp-dport 6000 --recv-pt 0 --ordered --allow-missing 1
hl_check "nothing muted in a call whose audio has no tones ($(hl_ctr rtp_dtmf_muted))" \
	[ "$(hl_ctr rtp_dtmf_muted)" -eq "$muted" ]
hl_check_ctr dtmf_dup_presses -eq 0

# last N: the last N keys hotline reported
last() { local d; d=$(hl_sip last_dtmf_digits); echo "${d: -$1}"; }

# ---- 3. telephone-event offered, keys as tones alone ----
ib0=$(hl_ctr dtmf_inband_presses)
te0=$(hl_ctr dtmf_4733_presses)
mu0=$(hl_ctr rtp_dtmf_muted)
hl_check "tones-only call with telephone-event answered, keys played, hung up" \
	pci_call tt customer_uac_inband_te.xml $((ms + 1000)) -key audio_pcap "$M/inband.pcap"
hl_check "tones-only call: legs ended" legs_gone
hl_check "hotline reported $KEYS once each ($(last ${#KEYS}))" [ "$(last ${#KEYS})" = "$KEYS" ]
hl_check_ctr dtmf_inband_presses -eq $((ib0 + ${#KEYS}))
hl_check_ctr dtmf_4733_presses -eq "$te0"
hl_check_ctr dtmf_dup_presses -eq 0
hl_check "customer leg counted the keys ($(MED last_a_dtmf))" [ "$(MED last_a_dtmf)" -eq "${#KEYS}" ]
mu=$(($(hl_ctr rtp_dtmf_muted) - mu0))
muted_at_agent "$HL_TMP/tt-agent.pcap" "$sent" "${#KEYS}" "$mu"
hl_check_media "the rest of the customer's audio reached the agent unchanged" "$M/inband.pcap" \
	"$HL_TMP/tt-agent.pcap" --recv-udp-dport 6000 --recv-pt 0 --ordered \
	--allow-missing $((mu + 1)) --allow-extra "$mu"

# ---- 4. telephone-event offered, keys as events and tones ----
ib0=$(hl_ctr dtmf_inband_presses)
te0=$(hl_ctr dtmf_4733_presses)
mu0=$(hl_ctr rtp_dtmf_muted)
sup0=$(hl_drop rtp_dtmf_suppressed)
SENT2=$(detect "$M/both.pcap")
sent2=$(field packets <<<"$SENT2")
ms2=$("$(hl_rtp_pcap_tool)" payloads "$M/both.pcap" 2>/dev/null |
	awk '!/^#/ { t = $8 } END { printf "%d", t * 1000 + 0.5 }')
hl_check "both-ways call answered, keys sent, hung up" \
	pci_call bw customer_uac_inband_te.xml $((ms2 + 1000)) -key audio_pcap "$M/both.pcap"
hl_check "both-ways call: legs ended" legs_gone
hl_check "hotline reported $BOTH once each ($(last ${#BOTH}), $(hl_sip last_dtmf_digits))" \
	[ "$(last $((${#BOTH} + 1)))" = "${KEYS: -1}$BOTH" ]
presses=$(($(hl_ctr dtmf_inband_presses) - ib0 + $(hl_ctr dtmf_4733_presses) - te0))
hl_check "$presses presses counted, one a key" [ "$presses" -eq "${#BOTH}" ]
hl_check_ctr dtmf_dup_presses -eq "${#BOTH}"
hl_check "customer leg counted the keys ($(MED last_a_dtmf))" [ "$(MED last_a_dtmf)" -eq "${#BOTH}" ]
mu=$(($(hl_ctr rtp_dtmf_muted) - mu0))
muted_at_agent "$HL_TMP/bw-agent.pcap" "$sent2" "${#BOTH}" "$mu"
hl_check "no RFC 4733 event reached the agent" \
	[ -z "$(hl_media_dtmf "$HL_TMP/bw-agent.pcap" --udp-dport 6000)" ]
# five events and the end three times a key
hl_check "the events were dropped ($(($(hl_drop rtp_dtmf_suppressed) - sup0)))" \
	[ $(($(hl_drop rtp_dtmf_suppressed) - sup0)) -ge $((7 * ${#BOTH})) ]
hl_check_media "the rest of the customer's audio reached the agent unchanged" "$M/both.pcap" \
	"$HL_TMP/bw-agent.pcap" --sent-pt 0 --recv-udp-dport 6000 --recv-pt 0 --ordered \
	--allow-missing $((mu + 1)) --allow-extra "$mu"

hl_check_sip calls -eq 0
hl_check_sip media_legs -eq 0
hl_check "no detector left ($(MED dtmf_inband_legs))" [ "$(MED dtmf_inband_legs)" -eq 0 ]
hl_done
