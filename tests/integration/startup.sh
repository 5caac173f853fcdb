#!/usr/bin/env bash
# Start-up errors: a bad config names file, line and problem and exits 2 before
# EAL or any port; lcores missing from EAL are refused before any port opens;
# --version and --check answer.
source "$(dirname "$0")/lib.sh"
hl_begin "startup: config and CLI errors"

out=$("$HOTLINED" --version)
hl_check "--version prints the version ($out)" bash -c "[[ '$out' == 'hotlined '* ]]"

printf '[lcores]\ncontrol = 0\nworkers = 0\n[port p]\ndevice = net_null0\nipv4 = 10.0.0.1/33\n' \
	>"$HL_TMP/bad.conf"
out=$("$HOTLINED" -l 0 --no-huge -m 64 --no-pci --no-shconf -- --config "$HL_TMP/bad.conf" 2>&1)
rc=$?
hl_check "bad config exits 2 (got $rc)" [ "$rc" -eq 2 ]
hl_check "bad config names file, line, problem" \
	bash -c "grep -qF '$HL_TMP/bad.conf:6: ipv4: 33 is out of range 1..32' <<<'$out'"
hl_check "bad config stops before EAL starts" bash -c "! grep -q 'EAL:' <<<'$out'"

out=$("$HOTLINED" -l 0 --no-huge -m 64 --no-pci --no-shconf -- --config /nonexistent.conf 2>&1)
hl_check "missing config is named" bash -c "grep -qF '/nonexistent.conf: cannot open' <<<'$out'"

printf '[lcores]\ncontrol = 0\nworkers = 1\n[port p]\ndevice = net_null0\nipv4 = 10.0.0.1/24\n' \
	>"$HL_TMP/lc.conf"
out=$("$HOTLINED" -l 0 --no-huge -m 64 --no-pci --no-shconf --file-prefix "$HL_PREFIX" \
	-- --config "$HL_TMP/lc.conf" 2>&1)
rc=$?
hl_check "an lcore EAL lacks is refused (rc $rc)" [ "$rc" -eq 1 ]
hl_check "... with the reason" bash -c "grep -qF 'worker lcore 1 is not enabled in EAL' <<<'$out'"
hl_check "... before any port is opened" bash -c "! grep -q 'port p:' <<<'$out'"

printf '[lcores]\ncontrol = 0\nworkers = 0\n[port p]\ndevice = net_null0\nipv4 = 10.0.0.1/24\n' \
	>"$HL_TMP/ok.conf"
out=$("$HOTLINED" -l 0 --no-huge -m 256 --no-pci --no-shconf --file-prefix "$HL_PREFIX" \
	--log-level='hl.*:info' -- --config "$HL_TMP/ok.conf" --check 2>&1)
rc=$?
hl_check "--check on a good config exits 0 (rc $rc)" [ "$rc" -eq 0 ]
hl_check "--check opened the port" bash -c "grep -q 'port p: ethdev' <<<'$out'"

out=$("$HOTLINED" -l 0 -- --config "$HL_TMP/ok.conf" --bogus 2>&1)
rc=$?
hl_check "unknown option exits 2 (rc $rc)" [ "$rc" -eq 2 ]
hl_done
