#!/usr/bin/env bash
# Runs every hotline test: installs and builds what is missing, then
#   1. unit tests, release build (gcc);
#   2. unit tests again under ASan+UBSan (clang), and every libFuzzer target for
#      HL_FUZZ_SECONDS (default 20) each;
#   3. integration tests: the real hotlined on DPDK ports in network namespaces,
#      driven by real peers (needs root).
# Prints "N passed, N failed, N skipped" and exits non-zero on any failure.
set -uo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh || exit 1
scripts/build.sh --asan || exit 1
export HL_FUZZ_SECONDS=${HL_FUZZ_SECONDS:-20}
# Sanitizer findings are failures, and LeakSanitizer runs at exit.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
rc=0
meson test -C build --suite unit --logbase unit --print-errorlogs || rc=1
meson test -C build-asan --suite unit --suite fuzz --logbase asan --num-processes 2 \
	--print-errorlogs || rc=1
meson test -C build --suite integration --logbase integration --print-errorlogs || rc=1
python3 - build/meson-logs/unit.json build-asan/meson-logs/asan.json \
	build/meson-logs/integration.json <<'PY'
import json, sys
n = {"OK": 0, "FAIL": 0, "SKIP": 0}
for f in sys.argv[1:]:
    try:
        lines = open(f).readlines()
    except OSError:
        n["FAIL"] += 1  # a suite that did not even write its log
        continue
    for line in lines:
        r = json.loads(line)["result"]
        key = "OK" if r == "OK" else "SKIP" if r == "SKIP" else "FAIL"
        n[key] += 1
print(f"{n['OK']} passed, {n['FAIL']} failed, {n['SKIP']} skipped")
PY
exit $rc
