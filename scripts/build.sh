#!/usr/bin/env bash
# Builds hotline: build/ (release, gcc: hotlined, unit and integration tests,
# benches) and, with --asan, build-asan/ (clang, ASan+UBSan, libFuzzer targets).
set -euo pipefail
cd "$(dirname "$0")/.."
[ -f build/build.ninja ] || meson setup build >/dev/null
ninja -C build
if [ "${1:-}" = --asan ]; then
	[ -f build-asan/build.ninja ] || CC=clang meson setup build-asan -Dbuildtype=debug \
		-Db_sanitize=address,undefined -Db_lundef=false -Dfuzz=true -Dbench=false >/dev/null
	ninja -C build-asan
fi
