#!/usr/bin/env bash
# Installs what hotline needs to build, test and demo on Debian 12, if missing, and
# builds libsrtp2 on OpenSSL into a private prefix once (see below).
set -euo pipefail
pkgs=(
	meson ninja-build pkg-config gcc clang llvm libclang-rt-14-dev make dpkg-dev
	dpdk dpdk-dev libdpdk-dev libpcap-dev
	libsrtp2-dev libopus-dev libspandsp-dev liburing-dev liblmdb-dev libssl-dev
	libsofia-sip-ua-dev libosip2-dev
	iproute2 iputils-ping ethtool tshark sip-tester sipsak python3 jq
)
# Debian 12's libsrtp2 is built on NSS, whose per-packet, set-up and teardown costs grow
# with every live session (bench/README.md, "SRTP"). hotline links Debian's own source
# package of the same version, patches applied, built with --enable-openssl as a static
# -fPIC library into a prefix nothing else searches: rtpengine, baresip and SIPp keep
# the system libsrtp2. meson.build reads this prefix; bump srtp_stamp to rebuild.
srtp_ver=2.5.0-3
srtp_prefix=/opt/hotline/libsrtp2-openssl
srtp_stamp="libsrtp2 $srtp_ver openssl static-pic r1"
srtp_src=/etc/apt/sources.list.d/hotline-src.sources

missing=()
for p in "${pkgs[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
need_srtp=0
[ "$(cat "$srtp_prefix/hotline.stamp" 2>/dev/null)" = "$srtp_stamp" ] || need_srtp=1
[ ${#missing[@]} -eq 0 ] && [ $need_srtp = 0 ] && exit 0

SUDO=
[ "$(id -u)" = 0 ] || SUDO=sudo
export DEBIAN_FRONTEND=noninteractive
if [ $need_srtp = 1 ] && [ ! -f "$srtp_src" ]; then
	# apt-get source needs a deb-src entry: the same mirror and key as the system's.
	uri=$(awk '/^URIs:/ { print $2; exit }' /etc/apt/sources.list.d/debian.sources \
		2>/dev/null || true)
	printf 'Types: deb-src\nURIs: %s\nSuites: bookworm\nComponents: main\nSigned-By: %s\n' \
		"${uri:-http://deb.debian.org/debian}" /usr/share/keyrings/debian-archive-keyring.gpg |
		$SUDO tee "$srtp_src" >/dev/null
fi
if [ ${#missing[@]} -gt 0 ] || [ $need_srtp = 1 ]; then
	[ ${#missing[@]} -eq 0 ] || echo "deps: installing ${missing[*]}"
	# tshark asks whether non-root users may capture; answer for it.
	echo 'wireshark-common wireshark-common/install-setuid boolean false' |
		$SUDO debconf-set-selections
	$SUDO apt-get update -qq
	[ ${#missing[@]} -eq 0 ] ||
		$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
[ $need_srtp = 1 ] || exit 0

echo "deps: building libsrtp2 $srtp_ver (Debian source, OpenSSL backend) into $srtp_prefix"
SECONDS=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# apt-get source checks every file against the signed Sources index and applies
# debian/patches; the build's own test suite (make runtest, ~30 s) is left out: our
# tests/test_srtp.c runs the RFC 3711 / RFC 7714 vectors against this library.
if ! (
	set -e
	cd "$tmp"
	# The version Debian 12 ships; a later bookworm update of it, if that is all the
	# mirror still has.
	apt-get source -qq "libsrtp2=$srtp_ver" || apt-get source -qq libsrtp2
	cd libsrtp2-*/
	./configure --prefix="$srtp_prefix" --enable-openssl --disable-pcap \
		CPPFLAGS="$(dpkg-buildflags --get CPPFLAGS)" \
		CFLAGS="$(dpkg-buildflags --get CFLAGS) -fPIC -D_REENTRANT"
	make -j2 libsrtp2.a
	make install DESTDIR="$tmp/stage"
	echo "$srtp_stamp" >"$tmp/stage$srtp_prefix/hotline.stamp"
) >"$tmp/log" 2>&1; then
	tail -n 30 "$tmp/log" >&2
	echo "deps: libsrtp2 build failed" >&2
	exit 1
fi
[ -z "$SUDO" ] || $SUDO chown -R 0:0 "$tmp/stage"
$SUDO mkdir -p "$(dirname "$srtp_prefix")"
$SUDO rm -rf "$srtp_prefix"
# A deps.sh running at the same time may have put its own copy there first.
$SUDO mv -T "$tmp/stage$srtp_prefix" "$srtp_prefix" 2>/dev/null ||
	[ "$(cat "$srtp_prefix/hotline.stamp" 2>/dev/null)" = "$srtp_stamp" ]
echo "deps: libsrtp2 built in ${SECONDS}s"
