#!/usr/bin/env bash
# run-fuzz.sh FUZZER SEED_DIR: run a libFuzzer target for a bounded time on a
# scratch copy of its seed corpus. Fails on any crash, leak or sanitizer report.
# HL_FUZZ_SECONDS sets the budget (default 20 s per target).
set -euo pipefail
fuzzer=$1
seeds=$2
secs=${HL_FUZZ_SECONDS:-20}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/corpus" "$work/artifacts"
[ -d "$seeds" ] && cp -r "$seeds"/. "$work/corpus/" 2>/dev/null || true
# -rss_limit_mb guards against runaway allocation; -timeout flags a hang.
"$fuzzer" "$work/corpus" -max_total_time="$secs" -timeout=10 -rss_limit_mb=1024 \
	-artifact_prefix="$work/artifacts/" -print_final_stats=1 2>"$work/log" || {
	tail -60 "$work/log"
	for a in "$work"/artifacts/*; do
		[ -f "$a" ] || continue
		echo "artifact: $(basename "$a") ($(stat -c %s "$a") bytes):"
		od -An -c "$a" | head -20
	done
	exit 1
}
grep -E 'stat::number_of_executed_units|stat::peak_rss_mb' "$work/log" || true
