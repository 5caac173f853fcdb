#!/usr/bin/env bash
# hlctl's argument and store errors: each names the problem and exits non-zero (2 for
# arguments, 1 for the store). The records themselves are checked against a live
# hotlined in tests/integration/media_call.sh, the record codec in test_store and
# fuzz_cdr.
set -u
HLCTL=${HLCTL:?}
T=$(mktemp -d /tmp/hl-hlctl.XXXXXX)
trap 'rm -rf "$T"' EXIT
fails=0

# expect RC PATTERN ARGS...: exit code RC, PATTERN in stderr, nothing on stdout
expect() {
	local want=$1 pat=$2 rc
	shift 2
	"$HLCTL" "$@" >"$T/out" 2>"$T/err"
	rc=$?
	if [ "$rc" -ne "$want" ] || ! grep -q -- "$pat" "$T/err" || [ -s "$T/out" ]; then
		echo "not ok - hlctl $* -> $rc (want $want), stderr: $(cat "$T/err")"
		fails=$((fails + 1))
	else
		echo "ok - hlctl $*: $(head -1 "$T/err")"
	fi
}

expect 2 "usage"
expect 2 "unknown command 'frobnicate'" frobnicate
expect 2 "is required" cdr
expect 2 "needs a directory" cdr --store
expect 2 "needs a record id, got 'x'" cdr --store "$T" --since-id x
expect 2 "needs a count of 1 or more, got '-1'" cdr --store "$T" --limit -1
expect 2 "needs a count of 1 or more, got '0'" cdr --store "$T" --limit 0
expect 2 "exclude each other" cdr --store "$T" --json --csv
expect 2 "unknown argument '--jsn'" cdr --store "$T" --jsn
expect 1 "no such directory" cdr --store "$T/nope"
expect 1 "not a store (no data.mdb in it)" cdr --store "$T"
head -c 16384 /dev/zero >"$T/data.mdb"
expect 1 "not a store: MDB_INVALID" cdr --store "$T"
: >"$T/file"
expect 1 "not a directory" cdr --store "$T/file"
echo "# $fails failed"
[ "$fails" -eq 0 ]
