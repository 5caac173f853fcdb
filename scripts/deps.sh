#!/usr/bin/env bash
# Installs what hotline needs to build, test and demo on Debian 12, if missing.
set -euo pipefail
pkgs=(
	meson ninja-build pkg-config gcc clang llvm libclang-rt-14-dev
	dpdk dpdk-dev libdpdk-dev libpcap-dev
	libsrtp2-dev libopus-dev libspandsp-dev liburing-dev liblmdb-dev libssl-dev
	libsofia-sip-ua-dev libosip2-dev
	iproute2 iputils-ping ethtool tshark sip-tester sipsak python3
)
missing=()
for p in "${pkgs[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
echo "deps: installing ${missing[*]}"
SUDO=
[ "$(id -u)" = 0 ] || SUDO=sudo
export DEBIAN_FRONTEND=noninteractive
# tshark asks whether non-root users may capture; answer for it.
echo 'wireshark-common wireshark-common/install-setuid boolean false' | $SUDO debconf-set-selections
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
