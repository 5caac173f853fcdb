#!/usr/bin/env bash
# UPDATE with SDP (RFC 3311) end to end, SIPp on both sides in their own namespaces:
#   1. mid-call, the customer moves its media to another port by UPDATE while the agent
#      plays audio: hotline answers the UPDATE at once (same address and port of its
#      own, the agent not asked), and the agent's RTP, which went to the customer's
#      first port, goes to the new one from then on: packets arrive at the new port,
#      none at the old one after the first at the new;
#   2. the customer holds and resumes by UPDATE: each goes on to the agent as a
#      re-INVITE (sendonly, then sendrecv), and the agent's answer comes back in the
#      UPDATE's 200 (recvonly, then active);
#   and the counters say so, with nothing left behind (calls, legs).
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/lib_media.sh"
hl_begin "update: media moved and hold by UPDATE (RFC 3311)" sipp tshark
hl_media_require

hl_peer v4only || exit 1
hl_agents_host || exit 1
hl_capture "$NS" "$PIF" trunk
hl_tenants_acme
hl_engine_start "$(hl_sip_conf)" || exit 1
hl_media_prepare "$HL_TMP/media" || exit 1
M=$HL_MEDIA_DIR
S=$HL_SIPP_DIR

hl_register_alice

# call NAME CUSTOMER_SCENARIO AGENT_SCENARIO [CUSTOMER_ARGS...]: one call, the agent's
# phone started first; the RTP reaching the customer's host is captured into
# $HL_TMP/NAME-customer.pcap.
call() {
	local name=$1 scen=$2 agent_scen=$3 rc
	shift 3
	hl_capture_start "$NS" "$PIF" "$HL_TMP/$name-customer.pcap" \
		"udp and src host 10.99.0.1 and not port 5060" || return 1
	local ccap=$HL_CAPTURE_PID
	ip netns exec "$ANS" timeout 60 sipp -nostdin -timeout 40 -timeout_error \
		-sf "$S/$agent_scen" -i 10.98.0.2 -p 5090 -mp 6000 -m 1 "${AGENT_ARGS[@]}" \
		</dev/null >"$HL_TMP/$name-agent.log" 2>&1 &
	local agent=$!
	HL_PIDS+=("$agent")
	sleep 0.5
	ip netns exec "$NS" timeout 60 sipp -nostdin -timeout 40 -timeout_error \
		10.99.0.1:5060 -sf "$S/$scen" -s +15550100 -i 10.99.0.2 -p 5070 -mp 6000 -m 1 \
		"$@" </dev/null >"$HL_TMP/$name-customer.log" 2>&1
	rc=$?
	wait "$agent" || rc=1
	hl_capture_stop "$ccap"
	return $rc
}
# RTP frames of capture FILE to the customer's port PORT: their frame numbers.
frames_to() { tshark -r "$1" -Y "udp.dstport == $2" -T fields -e frame.number 2>/dev/null; }
MED() { hl_tel /hotline/media "$1"; }

# ---- 1. the customer's media moves to port 6002 by UPDATE ----
# The agent's audio (7.08 s) outlasts the UPDATE (1.5 s in) and ends before the BYE.
AGENT_ARGS=("${HL_MEDIA_AGENT_ARGS[@]}")
hl_check "call answered, media moved by UPDATE (answered with SDP), hung up" \
	call move customer_uac_update.xml agent_uas_rtp.xml -key update_port 6002 -d 7000
CAP=$HL_TMP/move-customer.pcap
OLD=$(frames_to "$CAP" 6000 | wc -l)
NEW=$(frames_to "$CAP" 6002 | wc -l)
LAST_OLD=$(frames_to "$CAP" 6000 | tail -1)
FIRST_NEW=$(frames_to "$CAP" 6002 | head -1)
moved_for_good() { [ -n "$FIRST_NEW" ] && [ -n "$LAST_OLD" ] && [ "$LAST_OLD" -lt "$FIRST_NEW" ]; }
hl_check "the agent's RTP reached the customer's first port before the UPDATE ($OLD)" \
	[ "$OLD" -ge 10 ]
hl_check "and its new port after it ($NEW)" [ "$NEW" -ge 100 ]
hl_check "nothing went to the old port once the new one had some (${LAST_OLD:-none} < ${FIRST_NEW:-none})" \
	moved_for_good
# Everything the agent played reached the customer: what went to the first port, and
# the rest, in order, at the new one (RFC 3550 A.1 probation may keep the first back).
hl_check_media "the rest of the agent's audio reached the new port unchanged" "$M/audio.pcap" \
	"$CAP" --recv-udp-dport 6002 --recv-pt 0 --ordered --allow-missing $((OLD + 2))
# hotline's answer in the UPDATE's 200 keeps its own address and port: those of its 200
# to the INVITE
sdp_of_200() {
	tshark -r "$HL_TMP/trunk.pcap" -T fields -e sdp.connection_info -e sdp.media.port \
		-Y "sip.Status-Code == 200 && sdp && sip.CSeq.method == \"$1\" && sip.from.user contains \"4930444\"" \
		2>/dev/null | head -1
}
INV_SDP=$(sdp_of_200 INVITE)
UPD_SDP=$(sdp_of_200 UPDATE)
same_sdp() { [ -n "$INV_SDP" ] && [ "$UPD_SDP" = "$INV_SDP" ]; }
hl_check "the UPDATE's answer is anchored as the INVITE's was ($UPD_SDP; $INV_SDP)" same_sdp
hl_check_sip update_offers_in -eq 1
hl_check_sip update_relayed -eq 0
hl_check_sip update_refused -eq 0
hl_check_sip reinvites -eq 0

# ---- 2. hold and resume by UPDATE, relayed to the agent as re-INVITEs ----
AGENT_ARGS=()
hl_check "hold by UPDATE answered recvonly, resume answered active; the agent was re-INVITEd" \
	call hold customer_uac_update_hold.xml agent_uas_reinvite.xml -d 500
hl_check_sip update_offers_in -eq 3
hl_check_sip update_relayed -eq 2
hl_check_sip update_refused -eq 0

for _ in $(seq 20); do [ "$(MED legs)" -eq 0 ] && break; sleep 0.2; done
hl_check_sip calls -eq 0
hl_check_sip media_legs -eq 0
hl_check "no leg left ($(MED legs))" [ "$(MED legs)" -eq 0 ]
hl_done
