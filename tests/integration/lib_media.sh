# shellcheck shell=bash
# shellcheck disable=SC2034 # HL_MEDIA_* and HL_CAPTURE_PID are for the tests
# Media helpers for the integration tests: the rtp_pcap tool (tests/tools/rtp_pcap.c),
# the pcaps the media scenarios play, captures by PID, payload and DTMF checks.
# Source it after lib.sh; it only defines functions. It uses lib.sh's HL_SRCDIR,
# HL_TMP, HL_CAPTURE_PIDS (lib.sh's cleanup stops what is left there), hl_check and
# hl_skip when they are there, and works without them (a scratch script).
#
#   hl_media_require                 skip (77) unless rtp_pcap builds and a capture tool exists
#   hl_rtp_pcap_tool                 builds rtp_pcap once, echoes its path
#   hl_dtmf_pcap_tool                builds dtmf_pcap (in-band DTMF pcaps) once, echoes its path
#   hl_media_prepare DIR [AUDIO_MS] [DTMF]   pcaps and SIPp arguments for the scenarios
#   hl_media_srtp SUITE [KEY [EVERY]] the SRTP pcaps again under another suite and key
#                                    (or several keys by MKI, switched every EVERY)
#   hl_capture_start NS IFACE FILE [FILTER]  capture in NS, PID in HL_CAPTURE_PID
#   hl_capture_stop [PID]            stops a capture (the last one by default)
#   hl_media_compare SENT RECV [OPTS]        rtp_pcap compare, its summary line
#   hl_media_dtmf PCAP [OPTS]        echoes the key presses found, e.g. "1#"
#   hl_check_media WHAT SENT RECV [OPTS] / hl_check_dtmf WHAT PCAP DIGITS [OPTS]
#
# Example (customer -> agent, capture at the agent):
#   hl_media_prepare "$HL_TMP/media" || exit 1
#   hl_capture_start "$ANS" "$APIF" "$HL_TMP/agent-rtp.pcap" "udp portrange 6000-6001"
#   ... sipp -sf agent_uas_rtp.xml "${HL_MEDIA_AGENT_ARGS[@]}" ...
#   ... sipp -sf customer_uac_rtp.xml "${HL_MEDIA_RTP_ARGS[@]}" -d 1000 ...
#   hl_capture_stop
#   hl_check_media "customer's audio reached the agent" "$HL_MEDIA_DIR/audio.pcap" \
#       "$HL_TMP/agent-rtp.pcap" --recv-udp-dport 6000

_hl_media_srcdir() {
	if [ -n "${HL_SRCDIR:-}" ]; then
		echo "$HL_SRCDIR"
	else
		(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
	fi
}

# _hl_media_tool NAME NEEDS LIBS...: builds tests/tools/NAME.c with cc and LIBS into
# $HL_RTP_PCAP_DIR (default: $HL_TMP, else /tmp/hl-media-$UID) unless the binary there
# is newer than the source, and echoes its path. Safe to call in $(...) and from
# several tests at once (built under a temporary name, then renamed). NEEDS names the
# packages a failed build asks for.
_hl_media_tool() {
	local name=$1 needs=$2 src dir bin tmp
	shift 2
	src="$(_hl_media_srcdir)/tests/tools/$name.c"
	dir=${HL_RTP_PCAP_DIR:-${HL_TMP:-/tmp/hl-media-$(id -u)}}
	bin="$dir/$name"
	if [ -x "$bin" ] && [ "$bin" -nt "$src" ]; then
		echo "$bin"
		return 0
	fi
	mkdir -p "$dir" || return 1
	tmp="$bin.$$.$RANDOM"
	if ! cc -O2 -Wall -o "$tmp" "$src" "$@" >"$tmp.log" 2>&1; then
		echo "$name does not build (needs $needs):" >&2
		cat "$tmp.log" >&2
		rm -f "$tmp" "$tmp.log"
		return 1
	fi
	rm -f "$tmp.log"
	mv -f "$tmp" "$bin" || return 1
	echo "$bin"
}

# hl_rtp_pcap_tool: tests/tools/rtp_pcap.c (G.711 and SRTP pcaps), built as above.
hl_rtp_pcap_tool() {
	_hl_media_tool rtp_pcap "cc, libsrtp2-dev, libpcap-dev" -lsrtp2 -lpcap
}

# hl_dtmf_pcap_tool: tests/tools/dtmf_pcap.c (PCMU/PCMA pcaps of in-band DTMF keys).
hl_dtmf_pcap_tool() {
	_hl_media_tool dtmf_pcap "cc, libspandsp-dev, libpcap-dev" -lspandsp -lpcap -lm
}

# hl_media_require: what the media tests need, or skip (exit 77) as lib.sh does.
hl_media_require() {
	local t
	for t in sipp cc mergecap; do
		command -v "$t" >/dev/null 2>&1 || _hl_media_skip "needs $t"
	done
	command -v dumpcap >/dev/null 2>&1 || command -v tshark >/dev/null 2>&1 ||
		_hl_media_skip "needs dumpcap or tshark"
	[ -r /usr/share/sip-tester/g711a.pcap ] ||
		_hl_media_skip "needs the pcaps of sip-tester in /usr/share/sip-tester"
	hl_rtp_pcap_tool >/dev/null || _hl_media_skip "rtp_pcap does not build"
}

_hl_media_skip() {
	if declare -F hl_skip >/dev/null; then
		hl_skip "$@"
	fi
	echo "SKIP: $*"
	exit 77
}

# hl_media_prepare DIR [AUDIO_MS] [DTMF]: the pcaps of the media scenarios in DIR,
# and their SIPp arguments in arrays:
#   DIR/audio.pcap        g711a.pcap (PCMA, 236 x 30 ms) turned to PCMU (PT 0)
#   DIR/dtmf.pcap         the DTMF (PT 101), restamped to go on with audio.pcap's
#                         SSRC, sequence and timestamp (one stream, as a phone's)
#                         as if sent AUDIO_MS (default 7500) after the audio began
#   DIR/srtp_audio.pcap, DIR/srtp_dtmf.pcap   the same, SRTP with HL_SRTP_SUITE /
#                         HL_SRTP_KEY (set here when unset: AES_CM_128_HMAC_SHA1_80
#                         and a fixed test key)
#   HL_MEDIA_DTMF_DIGITS  the presses in dtmf.pcap, e.g. "1"
#   HL_MEDIA_DTMF_MS      how long dtmf.pcap plays (ms), for -d
#   HL_MEDIA_RTP_ARGS     -key/-set for customer_uac_rtp.xml
#   HL_MEDIA_SRTP_ARGS    -key/-set for customer_uac_srtp.xml
#   HL_MEDIA_AGENT_ARGS   -key for agent_uas_rtp.xml (plays audio.pcap)
#   HL_MEDIA_DIR          DIR
#   HL_MEDIA_AUDIO_MS     AUDIO_MS
# DTMF: a digit of the Debian set ("1", "#", "*", ...: one press of dtmf_2833_X),
# "all" (the 11 presses 123456789*# in one pcap, 10.1 s: they are cut from one
# capture), or a pcap file. Default "1".
hl_media_prepare() {
	local dir=$1 audio_ms=${2:-7500} dtmf=${3:-1} tool P=/usr/share/sip-tester src f
	local -a parts
	tool=$(hl_rtp_pcap_tool) || return 1
	mkdir -p "$dir" || return 1
	HL_SRTP_SUITE=${HL_SRTP_SUITE:-AES_CM_128_HMAC_SHA1_80}
	if [ -z "${HL_SRTP_KEY:-}" ]; then
		case $HL_SRTP_SUITE in
		AES_CM_128_*) HL_SRTP_KEY=aG90bGluZS1zcnRwLXRlc3Qta2V5LTMwYnl0ZXMh ;; # 30 bytes
		AEAD_AES_128_GCM) HL_SRTP_KEY=aG90bGluZS1zcnRwLWdjbS1rZXktMjhieXRlcw== ;; # 28 bytes
		*) HL_SRTP_KEY=$("$tool" keygen "$HL_SRTP_SUITE") || return 1 ;;
		esac
	fi
	case $dtmf in
	all)
		parts=()
		for f in 1 2 3 4 5 6 7 8 9 star pound; do parts+=("$P/dtmf_2833_$f.pcap"); done
		mergecap -F pcap -w "$dir/dtmf_src.pcap" "${parts[@]}" || return 1
		src="$dir/dtmf_src.pcap" ;;
	'#') src=$P/dtmf_2833_pound.pcap ;;
	'*') src=$P/dtmf_2833_star.pcap ;;
	[0-9]) src=$P/dtmf_2833_$dtmf.pcap ;;
	*) src=$dtmf ;;
	esac
	[ -r "$src" ] || { echo "hl_media_prepare: no DTMF pcap $src" >&2; return 1; }
	"$tool" transcode "$P/g711a.pcap" "$dir/audio.pcap" pcmu 2>/dev/null || return 1
	# audio.pcap: SSRC dee0ee8f, sequence 59133.., timestamp 240.. (30 ms a packet)
	local last seq ssrc
	last=$("$tool" payloads "$dir/audio.pcap" 2>/dev/null | tail -1)
	read -r ssrc seq _ <<<"$last"
	"$tool" restamp "$src" "$dir/dtmf.pcap" --set-ssrc "$ssrc" --set-seq $((seq + 1)) \
		--set-ts $((240 + audio_ms * 8)) 2>/dev/null || return 1
	"$tool" encrypt "$dir/audio.pcap" "$dir/srtp_audio.pcap" "$HL_SRTP_SUITE" "$HL_SRTP_KEY" \
		2>/dev/null || return 1
	"$tool" encrypt "$dir/dtmf.pcap" "$dir/srtp_dtmf.pcap" "$HL_SRTP_SUITE" "$HL_SRTP_KEY" \
		2>/dev/null || return 1
	HL_MEDIA_DTMF_DIGITS=$(hl_media_dtmf "$dir/dtmf.pcap")
	HL_MEDIA_DTMF_MS=$("$tool" payloads "$dir/dtmf.pcap" 2>/dev/null |
		awk '!/^#/ { t = $8 } END { printf "%d", t * 1000 + 0.5 }')
	HL_MEDIA_DIR=$dir
	HL_MEDIA_AUDIO_MS=$audio_ms
	HL_MEDIA_RTP_ARGS=(-key audio_pcap "$dir/audio.pcap" -key dtmf_pcap "$dir/dtmf.pcap"
		-set audio_ms "$audio_ms")
	HL_MEDIA_SRTP_ARGS=(-key audio_pcap "$dir/srtp_audio.pcap"
		-key dtmf_pcap "$dir/srtp_dtmf.pcap" -set audio_ms "$audio_ms"
		-key srtp_suite "$HL_SRTP_SUITE" -key srtp_key "$HL_SRTP_KEY")
	HL_MEDIA_AGENT_ARGS=(-key audio_pcap "$dir/audio.pcap")
}

# hl_media_srtp SUITE [KEY [EVERY]]: after hl_media_prepare, the customer's SRTP pcaps
# of the same audio and DTMF under SUITE (any of rtp_pcap's: the five SDES suites
# hotline runs) and KEY (default: a fresh one from rtp_pcap keygen), for one more call.
# KEY may be several keys with MKIs, as rtp_pcap takes them ("K1|1:4;K2|2:4", each
# optionally with its "|2^n" lifetime before the MKI): the crypto line offers them all
# (RFC 4568 §6.1) and, with EVERY, the pcaps switch to the next key every EVERY packets.
#   $HL_MEDIA_DIR/srtp_SUITE[_mki]_audio.pcap, srtp_SUITE[_mki]_dtmf.pcap
#   HL_MEDIA_SRTP_KEY        the key (base64 key||salt, as after inline:)
#   HL_MEDIA_SRTP_SUITE_ARGS -key/-set for customer_uac_srtp.xml
hl_media_srtp() {
	local suite=$1 key=${2:-} every=${3:-} tool dir=${HL_MEDIA_DIR:?hl_media_prepare first}
	local f=srtp_${suite}${every:+_mki}
	local -a opt=()
	tool=$(hl_rtp_pcap_tool) || return 1
	[ -n "$key" ] || key=$("$tool" keygen "$suite") || return 1
	[ -z "$every" ] || opt=(--key-every "$every")
	"$tool" encrypt "$dir/audio.pcap" "$dir/${f}_audio.pcap" "$suite" "$key" "${opt[@]}" \
		2>/dev/null || return 1
	"$tool" encrypt "$dir/dtmf.pcap" "$dir/${f}_dtmf.pcap" "$suite" "$key" "${opt[@]}" \
		2>/dev/null || return 1
	HL_MEDIA_SRTP_KEY=$key
	# the key-params of the crypto line: "inline:" before each key after the first
	HL_MEDIA_SRTP_SUITE_ARGS=(-key audio_pcap "$dir/${f}_audio.pcap"
		-key dtmf_pcap "$dir/${f}_dtmf.pcap" -set audio_ms "${HL_MEDIA_AUDIO_MS:-7500}"
		-key srtp_suite "$suite" -key srtp_key "${key//;/;inline:}")
}

# hl_capture_start NS IFACE FILE [FILTER]: dumpcap (or tshark) on IFACE inside NS
# into FILE (pcap; FILTER is a capture filter, default "udp"), bounded by
# HL_CAPTURE_MAX_S (default 300 s) in case nobody stops it. Returns when the
# capture runs; its PID is in HL_CAPTURE_PID and in lib.sh's HL_CAPTURE_PIDS.
# IFACE "any" gives Linux cooked frames; rtp_pcap reads those too.
hl_capture_start() {
	local ns=$1 ifc=$2 file=$3 filter=${4:-udp} tool max=${HL_CAPTURE_MAX_S:-300}
	local -a fmt=(-P)                 # dumpcap: pcap, not pcapng
	tool=$(command -v dumpcap) || { tool=$(command -v tshark) && fmt=(-F pcap); } || return 1
	rm -f "$file"
	ip netns exec "$ns" "$tool" -q -i "$ifc" -f "$filter" "${fmt[@]}" -a "duration:$max" \
		-w "$file" </dev/null >"$file.log" 2>&1 &
	HL_CAPTURE_PID=$!
	HL_CAPTURE_PIDS+=("$HL_CAPTURE_PID")
	for _ in $(seq 100); do
		# dumpcap writes the file header once the interface is open
		[ -s "$file" ] && grep -q "Capturing on" "$file.log" 2>/dev/null && return 0
		kill -0 "$HL_CAPTURE_PID" 2>/dev/null || break
		sleep 0.05
	done
	[ -s "$file" ] && kill -0 "$HL_CAPTURE_PID" 2>/dev/null && return 0
	echo "capture on $ns/$ifc did not start:" >&2
	cat "$file.log" >&2
	return 1
}

# hl_capture_stop [PID]: lets the last packets in (0.3 s), stops the capture by its
# PID (SIGINT, dumpcap writes out what it has; SIGKILL after 5 s) and reaps it.
hl_capture_stop() {
	local pid=${1:-${HL_CAPTURE_PID:-}} p
	[ -n "$pid" ] || return 0
	sleep 0.3
	kill -INT "$pid" 2>/dev/null
	for _ in $(seq 50); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	kill -KILL "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	[ "$pid" = "${HL_CAPTURE_PID:-}" ] && HL_CAPTURE_PID=
	# lib.sh's cleanup need not signal it again (nor a process that got its PID)
	local -a left=()
	for p in "${HL_CAPTURE_PIDS[@]}"; do
		[ "$p" = "$pid" ] || left+=("$p")
	done
	HL_CAPTURE_PIDS=("${left[@]}")
	return 0
}

# hl_media_compare SENT RECV [OPTS]: did the payloads of SENT arrive in RECV (a
# relay may change SSRC, sequence, timestamp and PT, not the payload)? OPTS are
# rtp_pcap compare's: --recv-udp-dport N (pick the stream in a capture), --srtp /
# --sent-srtp / --recv-srtp SUITE KEY, --ordered, --allow-missing N,
# --allow-extra N. Prints the summary line; 0 when they match.
hl_media_compare() {
	local tool out rc
	tool=$(hl_rtp_pcap_tool) || return 1
	out=$("$tool" compare "$@" 2>&1)
	rc=$?
	echo "$out" | tail -1
	[ $rc -eq 0 ] || echo "$out" | head -n -1 >&2
	return $rc
}

# hl_media_dtmf PCAP [OPTS]: echoes the RFC 4733 key presses in PCAP, one
# character each ("" when none). OPTS: --pt N (default 101), --udp-dport N,
# --srtp SUITE KEY.
hl_media_dtmf() {
	local tool
	tool=$(hl_rtp_pcap_tool) || return 1
	"$tool" dtmf "$@" 2>/dev/null | sed -n 's/^presses [0-9]*: //p'
}

# hl_check_media WHAT SENT RECV [OPTS]: hl_check of hl_media_compare.
hl_check_media() {
	local what=$1
	shift
	if declare -F hl_check >/dev/null; then
		hl_check "$what" hl_media_compare "$@"
	else
		if hl_media_compare "$@"; then
			echo "ok   - $what"
		else
			echo "FAIL - $what"
			return 1
		fi
	fi
}

# hl_check_dtmf WHAT PCAP DIGITS [OPTS]: the presses in PCAP are DIGITS.
hl_check_dtmf() {
	local what=$1 pcap=$2 want=$3 got
	shift 3
	got=$(hl_media_dtmf "$pcap" "$@")
	if declare -F hl_check >/dev/null; then
		hl_check "$what (presses '$got', want '$want')" [ "$got" = "$want" ]
	else
		if [ "$got" = "$want" ]; then
			echo "ok   - $what ($got)"
		else
			echo "FAIL - $what (presses '$got', want '$want')"
			return 1
		fi
	fi
}
