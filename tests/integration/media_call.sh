#!/usr/bin/env bash
# Media end to end through hotline, SIPp on both sides in their own namespaces:
#   1. a plain RTP call: the customer's audio (a PCMU pcap) and a DTMF press (RFC 4733)
#      reach the agent with every payload unchanged, the agent's audio reaches the
#      customer, hotline reports the press exactly once, and both legs' figures
#      (packets, MOS) are there at hang-up;
#   2. an SRTP customer (SDES AES_CM_128_HMAC_SHA1_80, pre-encrypted pcaps) bridged to
#      a plain RTP agent: the agent gets the plaintext, the customer gets SRTP that
#      decrypts with the key hotline answered with; then the same with the customer
#      offering AEAD_AES_256_GCM (RFC 7714) and AES_256_CM_HMAC_SHA1_80 (RFC 6188):
#      hotline answers that suite with a key of its own for it
#      (HL_MEDIA_SRTP_SUITES="..." picks others, "" none);
#   2c. a customer whose crypto line carries two keys told apart by MKI (RFC 4568
#      §6.1) and whose audio switches between them every 50 packets: the agent gets
#      all of it, hotline answers with one key of its own without an MKI, no SRTP
#      failures;
#   1b. a late offer: the customer's INVITE has no SDP, hotline's 200 offers (its trunk
#      address, PCMU alone: the codec the agent took), the ACK answers; the audio goes
#      both ways unchanged, as in 1;
#   3. a customer that sends no RTP: [rtp] timeout_s ends the call with BYE both ways;
#   and nothing is left behind (calls, legs). Every call leaves exactly one call record
#   in the store, read back with `hlctl cdr --json` while hotlined runs: answered, with
#   the legs' figures as telemetry reported them, and media_timeout for call 3.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/lib_media.sh"
hl_begin "media: relay, DTMF, SRTP bridging, timeout" sipp
hl_media_require
command -v jq >/dev/null || hl_skip "needs jq (call records)"
[ -x "$HLCTL" ] || hl_skip "no hlctl at $HLCTL"

hl_peer v4only || exit 1
hl_agents_host || exit 1
hl_capture "$NS" "$PIF" trunk
hl_tenants_acme
hl_engine_start "$(hl_sip_conf "" "timeout_s = 3")" || exit 1
hl_media_prepare "$HL_TMP/media" 7500 1 || exit 1
M=$HL_MEDIA_DIR
S=$HL_SIPP_DIR

hl_register_alice

# hl_call NAME CUSTOMER_SCENARIO CUSTOMER_ARGS...: one call, agent playing audio, with
# captures of RTP at both phones ($HL_TMP/NAME-agent.pcap, NAME-customer.pcap).
hl_call() {
	local name=$1 scen=$2 agent_scen=${AGENT_SCEN:-agent_uas_rtp.xml} rc
	shift 2
	hl_capture_start "$ANS" "$APIF" "$HL_TMP/$name-agent.pcap" "udp port 6000" || return 1
	local acap=$HL_CAPTURE_PID
	hl_capture_start "$NS" "$PIF" "$HL_TMP/$name-customer.pcap" "udp port 6000" || return 1
	local ccap=$HL_CAPTURE_PID
	ip netns exec "$ANS" timeout 60 sipp -nostdin -timeout 40 -timeout_error \
		-sf "$S/$agent_scen" -i 10.98.0.2 -p 5090 -mp 6000 -m 1 \
		"${AGENT_ARGS[@]}" </dev/null >"$HL_TMP/$name-agent.log" 2>&1 &
	local agent=$!
	HL_PIDS+=("$agent")
	sleep 0.5
	ip netns exec "$NS" timeout 60 sipp -nostdin -timeout 40 -timeout_error \
		10.99.0.1:5060 -sf "$S/$scen" -s +15550100 -i 10.99.0.2 -p 5070 -mp 6000 -m 1 \
		"$@" </dev/null >"$HL_TMP/$name-customer.log" 2>&1
	rc=$?
	wait "$agent" || rc=1
	hl_capture_stop "$acap"
	hl_capture_stop "$ccap"
	return $rc
}

# Call records: CALLS counts the calls made; cdr_next waits for the record of the latest
# one (it waits for both legs' final figures, 3 s at most) and leaves it in $CDR, JSON.
CALLS=0
CDR=
cdr_next() {
	local out=
	CALLS=$((CALLS + 1))
	for _ in $(seq 50); do
		out=$("$HLCTL" cdr --store "$HL_TMP/store" --json --since-id "$CALLS") || return 1
		[ -n "$out" ] && break
		sleep 0.2
	done
	CDR=$(head -1 <<<"$out")
	[ -n "$CDR" ]
}
cdr() { jq -r "$1" <<<"$CDR"; }
# One record per call so far, no more.
cdr_count_is_calls() {
	local n
	n=$("$HLCTL" cdr --store "$HL_TMP/store" --csv | tail -n +2 | wc -l)
	[ "$n" -eq "$CALLS" ] || { echo "    $n records for $CALLS calls"; return 1; }
}
# cdr_answered NAME: the latest record is an answered call of acme's DID through alice,
# with media received on both legs.
cdr_answered() {
	hl_check "$1: one call record ($(cdr .id): $(cdr .disposition), $(cdr .call_id))" \
		cdr_count_is_calls
	hl_check "$1: record says answered, status 200, agent alice" \
		[ "$(cdr '[.disposition, .sip_status, .agent, .tenant, .called] | join(" ")')" = \
		"answered 200 alice acme +15550100" ]
	hl_check "$1: record has both legs' figures ($(cdr .a.rx_packets)/$(cdr .b.rx_packets))" \
		[ "$(cdr '[.a.media, .b.media, .figures_missing] | join(" ")')" = \
		"figures figures false" ]
	hl_check "$1: record's talk time is within its duration ($(cdr .talk_ms) ms)" \
		[ "$(cdr '.talk_ms > 0 and .talk_ms <= .duration_ms')" = true ]
}

# ---- 1. plain RTP both ways, DTMF ----
AGENT_ARGS=("${HL_MEDIA_AGENT_ARGS[@]}")
hl_check "RTP call answered, audio both ways, hung up" \
	hl_call plain customer_uac_rtp.xml "${HL_MEDIA_RTP_ARGS[@]}" -d $((HL_MEDIA_DTMF_MS + 500))
# Every payload the customer sent reaches the agent, in order; RFC 3550 A.1 holds the
# first packet of a new source back (probation), so one may be missing.
hl_check_media "customer's audio reached the agent unchanged" "$M/audio.pcap" \
	"$HL_TMP/plain-agent.pcap" --recv-udp-dport 6000 --recv-pt 0 --ordered --allow-missing 1
hl_check_media "agent's audio reached the customer unchanged" "$M/audio.pcap" \
	"$HL_TMP/plain-customer.pcap" --recv-udp-dport 6000 --recv-pt 0 --ordered --allow-missing 1
hl_check_dtmf "the agent got the key press relayed" "$HL_TMP/plain-agent.pcap" \
	"$HL_MEDIA_DTMF_DIGITS" --udp-dport 6000
hl_check_sip dtmf_rtp -eq "${#HL_MEDIA_DTMF_DIGITS}"
hl_check "hotline reported the press ($(hl_sip last_dtmf_digits))" \
	[ "$(hl_sip last_dtmf_digits)" = "$HL_MEDIA_DTMF_DIGITS" ]
hl_check_ctr rtp_relayed -ge 400
hl_check_ctr rtp_latched -ge 2
MED() { hl_tel /hotline/media "$1"; }
for _ in $(seq 20); do [ "$(MED legs)" -eq 0 ] && break; sleep 0.2; done
hl_check "legs ended with the call ($(MED legs))" [ "$(MED legs)" -eq 0 ]
hl_check "customer leg received the audio ($(MED last_a_rx_packets))" \
	[ "$(MED last_a_rx_packets)" -ge 200 ]
hl_check "agent leg received the audio ($(MED last_b_rx_packets))" \
	[ "$(MED last_b_rx_packets)" -ge 200 ]
hl_check "customer leg MOS above 4 ($(MED last_a_mos_x100))" [ "$(MED last_a_mos_x100)" -ge 400 ]
hl_check "customer leg saw one press ($(MED last_a_dtmf))" [ "$(MED last_a_dtmf)" -eq 1 ]
hl_check "tenant sums carry the legs ($(MED acme_legs))" [ "$(MED acme_legs)" -eq 2 ]
hl_check "the call record went to the log" grep -q "call [0-9]* leg A: rx" "$HL_TMP/engine.log"
hl_check "the call's record is in the store" cdr_next
cdr_answered plain
hl_check "plain: record's leg figures are telemetry's ($(cdr .a.rx_packets) $(cdr .b.rx_packets))" \
	[ "$(cdr '[.a.rx_packets, .b.rx_packets] | join(" ")')" = \
	"$(MED last_a_rx_packets) $(MED last_b_rx_packets)" ]
hl_check "plain: record counts the press on the customer leg ($(cdr .a.dtmf))" \
	[ "$(cdr .a.dtmf)" = 1 ]
hl_check "plain: the record went to the log too" grep -q "cdr 1: call-id .* answered" \
	"$HL_TMP/engine.log"

# ---- 1b. late offer: no SDP in the INVITE, the offer in the 200, the answer in the ACK ----
hl_check "late-offer call answered, audio both ways, hung up" \
	hl_call late customer_uac_late.xml -key audio_pcap "$M/audio.pcap"
hl_check_media "late offer: customer's audio reached the agent unchanged" "$M/audio.pcap" \
	"$HL_TMP/late-agent.pcap" --recv-udp-dport 6000 --recv-pt 0 --ordered --allow-missing 1
# The agent sends from its 200 on; until the customer's ACK answers hotline's offer the
# A leg has no address to send to (RFC 3264 §5), so what the agent sent in between is
# lost by design: probation's one packet plus up to two 20 ms frames on a busy host.
hl_check_media "late offer: agent's audio reached the customer unchanged" "$M/audio.pcap" \
	"$HL_TMP/late-customer.pcap" --recv-udp-dport 6000 --recv-pt 0 --ordered --allow-missing 3
# hotline's offer in its 200: anchored on its trunk address, the agent's codec alone
LATE=$(tshark -r "$HL_TMP/trunk.pcap" \
	-Y 'sip.Status-Code == 200 && sdp && sip.from.user contains "4930555"' \
	-T fields -e sdp.connection_info -e sdp.media 2>/dev/null | tail -1)
hl_check "hotline's late offer is anchored, PCMU and events ($LATE)" \
	grep -q "IN IP4 10.99.0.1.*RTP/AVP 0 101" <<<"$LATE"
for _ in $(seq 20); do [ "$(MED legs)" -eq 0 ] && break; sleep 0.2; done
hl_check "late offer: both legs ended into the tenant sums ($(MED acme_legs))" \
	[ "$(MED acme_legs)" -eq 4 ]
hl_check "late offer: customer leg received the audio ($(MED last_a_rx_packets))" \
	[ "$(MED last_a_rx_packets)" -ge 200 ]
hl_check "late offer: agent leg received the audio ($(MED last_b_rx_packets))" \
	[ "$(MED last_b_rx_packets)" -ge 200 ]
hl_check_sip media_setup_failures -eq 0
hl_check "late offer: the call's record is in the store" cdr_next
cdr_answered late
hl_check "late offer: record's figures are telemetry's" \
	[ "$(cdr '[.a.rx_packets, .b.rx_packets] | join(" ")')" = \
	"$(MED last_a_rx_packets) $(MED last_b_rx_packets)" ]

# ---- 2. SRTP customer, plain agent ----
hl_check "SRTP call answered, audio both ways, hung up" \
	hl_call srtp customer_uac_srtp.xml "${HL_MEDIA_SRTP_ARGS[@]}" -d $((HL_MEDIA_DTMF_MS + 500))
hl_check_media "SRTP from the customer reached the agent as plain RTP" "$M/audio.pcap" \
	"$HL_TMP/srtp-agent.pcap" --recv-udp-dport 6000 --recv-pt 0 --ordered --allow-missing 1
# The key hotline answered with: the a=crypto of its 200 OK to the customer, the
# one inline key in the trunk capture that is not the customer's own.
OURKEY=$(tshark -r "$HL_TMP/trunk.pcap" -Y 'sdp.media_attr contains "crypto" && sip.Status-Code == 200' \
	-T fields -e sdp.media_attr 2>/dev/null | grep -o 'inline:[A-Za-z0-9+/=]*' |
	sed 's/inline://' | grep -v "^$HL_SRTP_KEY\$" | tail -1)
hl_check "hotline answered with its own SDES key" [ -n "$OURKEY" ]
hl_check_media "agent's RTP reached the customer as SRTP under hotline's key" "$M/audio.pcap" \
	"$HL_TMP/srtp-customer.pcap" --recv-udp-dport 6000 --recv-srtp "$HL_SRTP_SUITE" "$OURKEY" \
	--recv-pt 0 --ordered --allow-missing 1
hl_check_drop srtp_auth_failed -eq 0
hl_check_sip dtmf_rtp -eq $((2 * ${#HL_MEDIA_DTMF_DIGITS}))
hl_check "SRTP: the call's record is in the store" cdr_next
cdr_answered srtp
hl_check "SRTP: record counts the press, no SRTP failures ($(cdr .a.dtmf), $(cdr .a.srtp_auth_fail))" \
	[ "$(cdr '[.a.dtmf, .a.srtp_auth_fail] | join(" ")')" = "1 0" ]

# ---- 2b. the customer offers a 256-bit suite: answered in that suite ----
read -r -a SRTP_SUITES <<<"${HL_MEDIA_SRTP_SUITES-AEAD_AES_256_GCM AES_256_CM_HMAC_SHA1_80}"
for suite in "${SRTP_SUITES[@]}"; do
	name=srtp-$(tr 'A-Z_' 'a-z-' <<<"$suite")
	if ! hl_media_srtp "$suite"; then
		hl_check "SRTP pcaps for $suite" false
		continue
	fi
	hl_check "$suite call answered, audio both ways, hung up" \
		hl_call "$name" customer_uac_srtp.xml "${HL_MEDIA_SRTP_SUITE_ARGS[@]}" \
		-d $((HL_MEDIA_DTMF_MS + 500))
	hl_check_media "$suite from the customer reached the agent as plain RTP" "$M/audio.pcap" \
		"$HL_TMP/$name-agent.pcap" --recv-udp-dport 6000 --recv-pt 0 --ordered --allow-missing 1
	# hotline's 200 names the suite the customer offered, with a key of its own
	OURKEY=$(tshark -r "$HL_TMP/trunk.pcap" \
		-Y 'sdp.media_attr contains "crypto" && sip.Status-Code == 200' \
		-T fields -e sdp.media_attr 2>/dev/null | grep -o "$suite inline:[A-Za-z0-9+/=]*" |
		sed 's/.*inline://' | grep -v "^$HL_MEDIA_SRTP_KEY\$" | tail -1)
	hl_check "hotline answered $suite with its own key" [ -n "$OURKEY" ]
	hl_check_media "agent's RTP reached the customer as $suite under hotline's key" \
		"$M/audio.pcap" "$HL_TMP/$name-customer.pcap" --recv-udp-dport 6000 \
		--recv-srtp "$suite" "$OURKEY" --recv-pt 0 --ordered --allow-missing 1
	hl_check "$suite: the call's record is in the store" cdr_next
	cdr_answered "$suite"
done
hl_check_drop srtp_auth_failed -eq 0
hl_check_sip dtmf_rtp -eq $(((2 + ${#SRTP_SUITES[@]}) * ${#HL_MEDIA_DTMF_DIGITS}))

# ---- 2c. two keys in one crypto line (RFC 4568 §6.1), the customer switching by MKI ----
not_all() { ! hl_media_compare "$@" >/dev/null 2>&1; }
suite=AES_CM_128_HMAC_SHA1_80 name=srtp-mki
TOOL=$(hl_rtp_pcap_tool)
MK1=$("$TOOL" keygen $suite) MK2=$("$TOOL" keygen $suite)
if ! hl_media_srtp $suite "$MK1|2^20|1:4;$MK2|2^20|2:4" 50; then
	hl_check "SRTP pcaps under two keys" false
else
	hl_check "two-key call answered, audio both ways, hung up" \
		hl_call $name customer_uac_srtp.xml "${HL_MEDIA_SRTP_SUITE_ARGS[@]}" \
		-d $((HL_MEDIA_DTMF_MS + 500))
	# the customer's audio went out under key 1, then key 2 from its 51st packet, back
	# and forth every 50: all of it reaches the agent
	hl_check "the customer's pcap switches keys (key 2 alone decrypts part of it)" \
		not_all "$M/audio.pcap" "$M/srtp_${suite}_mki_audio.pcap" --recv-srtp $suite "$MK2|2:4"
	hl_check_media "two keys: the customer's audio reached the agent unchanged" \
		"$M/audio.pcap" "$HL_TMP/$name-agent.pcap" --recv-udp-dport 6000 --recv-pt 0 \
		--ordered --allow-missing 1
	# hotline answers with one key of its own, no MKI
	ANSWER=$(tshark -r "$HL_TMP/trunk.pcap" \
		-Y 'sdp.media_attr contains "crypto" && sip.Status-Code == 200' \
		-T fields -e sdp.media_attr 2>/dev/null | grep -o "$suite inline:[^ ,]*" | tail -1)
	OURKEY=${ANSWER#*inline:}
	hl_check "hotline answered with one key, without MKI ($OURKEY)" \
		grep -Eq '^[A-Za-z0-9+/]{38}==?$|^[A-Za-z0-9+/]{40}$' <<<"$OURKEY"
	hl_check_media "two keys: agent's RTP reached the customer under hotline's key" \
		"$M/audio.pcap" "$HL_TMP/$name-customer.pcap" --recv-udp-dport 6000 \
		--recv-srtp $suite "$OURKEY" --recv-pt 0 --ordered --allow-missing 1
	hl_check "two keys: the call's record is in the store" cdr_next
	cdr_answered "two keys"
	hl_check "two keys: record counts the press, no SRTP failures ($(cdr .a.dtmf), $(cdr .a.srtp_auth_fail))" \
		[ "$(cdr '[.a.dtmf, .a.srtp_auth_fail] | join(" ")')" = "1 0" ]
fi
hl_check_drop srtp_auth_failed -eq 0
hl_check_sip dtmf_rtp -eq $(((3 + ${#SRTP_SUITES[@]}) * ${#HL_MEDIA_DTMF_DIGITS}))

# ---- 3. silence ends the call ----
AGENT_SCEN=agent_uas.xml AGENT_ARGS=()
hl_check "a silent call is ended by hotline (BYE to both sides)" \
	hl_call silent customer_uac_silent.xml
hl_check_sip media_timeouts -eq 1
hl_check_ctr media_timeouts -ge 1
hl_check "silent: the call's record is in the store" cdr_next
hl_check "silent: one call record ($(cdr .id))" cdr_count_is_calls
hl_check "silent: record says media_timeout, ended by hotline ($(cdr .disposition))" \
	[ "$(cdr '[.disposition, .ended_by, .agent] | join(" ")')" = "media_timeout hotline alice" ]
hl_check_sip cdrs_written -eq "$CALLS"
hl_check_sip cdr_store_failures -eq 0
hl_check_sip cdrs_pending -eq 0

hl_check_sip calls -eq 0
hl_check_sip media_legs -eq 0
hl_check "no leg left ($(MED legs))" [ "$(MED legs)" -eq 0 ]
hl_done
