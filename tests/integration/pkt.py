#!/usr/bin/env python3
"""pkt.py: send test traffic from inside a test namespace.

  pkt.py udp DST PORT SIZE [COUNT]          one or more UDP datagrams (v4 or v6)
  pkt.py bad IFACE DST_MAC KIND [COUNT]     hand-made broken frames on a raw socket
  pkt.py vlan IFACE DST_MAC VID [COUNT]     802.1Q-tagged ARP request + ICMP echoes
  pkt.py sipfuzz SRC DST COUNT SEED PPS     mutated SIP requests from SRC to DST:5060,
                                            at most PPS a second; prints the count sent

KIND names one defect (see KINDS); each is built so the engine must drop it
under exactly one named reason. Frames come from the interface's own MAC and
from 10.99.0.2 / fd99::2 to 10.99.0.1 / fd99::1, the harness's addresses.
"""
import socket
import struct
import sys

SRC4, DST4 = socket.inet_aton("10.99.0.2"), socket.inet_aton("10.99.0.1")
SRC6, DST6 = socket.inet_pton(socket.AF_INET6, "fd99::2"), socket.inet_pton(socket.AF_INET6, "fd99::1")


def csum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack(f"!{len(b)//2}H", b))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return (~s) & 0xFFFF


def ip4(payload, proto=17, src=SRC4, dst=DST4, ident=1, frag=0, ihl=5, ver=4, tot=None, bad_csum=False):
    tot = 20 + len(payload) if tot is None else tot
    h = struct.pack("!BBHHHBBH4s4s", (ver << 4) | ihl, 0, tot, ident, frag, 64, proto, 0, src, dst)
    c = csum(h)
    if bad_csum:
        c ^= 0x5A5A
    return h[:10] + struct.pack("!H", c) + h[12:] + payload


def udp4(sport, dport, data, src=SRC4, dst=DST4, bad_csum=False):
    u = struct.pack("!HHHH", sport, dport, 8 + len(data), 0) + data
    c = csum(src + dst + struct.pack("!BBH", 0, 17, len(u)) + u) or 0xFFFF
    if bad_csum:
        c ^= 0x1111
    return u[:6] + struct.pack("!H", c) + u[8:]


def ip6(payload, nh, plen=None):
    plen = len(payload) if plen is None else plen
    return struct.pack("!IHBB16s16s", 6 << 28, plen, nh, 64, SRC6, DST6) + payload


def icmp_echo(bad=False):
    body = struct.pack("!BBHHH", 8, 0, 0, 0x77, 1) + b"x" * 16
    c = csum(body) ^ (0x0F0F if bad else 0)
    return body[:2] + struct.pack("!H", c) + body[4:]


def eth(dst, src, etype, payload):
    return dst + src + struct.pack("!H", etype) + payload


def frames(kind, dmac, smac):
    E4 = lambda p: eth(dmac, smac, 0x0800, p)  # noqa: E731
    if kind == "runt":
        # the kernel will not send less than an Ethernet header: a cut VLAN tag
        return [eth(dmac, smac, 0x8100, b"\0\1")]
    if kind == "ethertype":
        return [eth(dmac, smac, 0x88B5, b"\0" * 46)]
    if kind == "ipv4_truncated":
        return [E4(ip4(b"", tot=20)[:12])]
    if kind == "ipv4_bad_version":
        return [E4(ip4(udp4(1, 9, b"x"), ver=5))]
    if kind == "ipv4_bad_ihl":
        return [E4(ip4(udp4(1, 9, b"x"), ihl=4))]
    if kind == "ipv4_bad_checksum":
        return [E4(ip4(udp4(1, 9, b"x"), bad_csum=True))]
    if kind == "ipv4_bad_total_length":
        return [E4(ip4(udp4(1, 9, b"x"), tot=10))]
    if kind == "ipv4_total_length_past_frame":
        return [E4(ip4(udp4(1, 9, b"x"), tot=1400))]
    if kind == "ipv4_martian_source":
        return [E4(ip4(udp4(1, 9, b"x"), src=socket.inet_aton("127.0.0.1")))]
    if kind == "udp_bad_checksum":
        return [E4(ip4(udp4(40000, 5060, b"INVITE", bad_csum=True)))]
    if kind == "udp_bad_length":
        u = bytearray(udp4(40000, 5060, b"OPTIONS"))
        u[4:6] = struct.pack("!H", 200)
        return [E4(ip4(bytes(u)))]
    if kind == "icmp_bad_checksum":
        return [E4(ip4(icmp_echo(bad=True), proto=1))]
    if kind == "l4_protocol":
        return [E4(ip4(b"\0" * 20, proto=6))]
    if kind == "fragment_misaligned":
        # a non-final fragment whose payload is not a multiple of 8 (RFC 791)
        return [E4(ip4(b"a" * 13, ident=7, frag=0x2000))]
    if kind == "fragment_overlap":
        # 0..1479 then an overlapping piece at 8..1007 (last): reassembly must reject it
        data = udp4(40000, 5060, b"o" * 2000)
        return [E4(ip4(data[:1480], ident=8, frag=0x2000)),
                E4(ip4(data[8:1008], ident=8, frag=1))]
    if kind == "fragment_runaway":
        # 12 fragments of one datagram, more than a reassembly may hold (8)
        return [E4(ip4(b"r" * 8, ident=9, frag=0x2000 | i)) for i in range(12)]
    if kind == "ipv6_bad_payload_length":
        return [eth(dmac, smac, 0x86DD, ip6(b"\0" * 8, 17, plen=900))]
    if kind == "ipv6_udp_zero_checksum":
        u = struct.pack("!HHHH", 40000, 5060, 12, 0) + b"abcd"
        return [eth(dmac, smac, 0x86DD, ip6(u, 17))]
    if kind == "vlan_unexpected":
        return [eth(dmac, smac, 0x8100, struct.pack("!HH", 42, 0x0800) + ip4(udp4(1, 9, b"x")))]
    raise SystemExit(f"unknown kind {kind}")


KINDS = ["runt", "ethertype", "ipv4_truncated", "ipv4_bad_version", "ipv4_bad_ihl",
         "ipv4_bad_checksum", "ipv4_bad_total_length", "ipv4_total_length_past_frame",
         "ipv4_martian_source", "udp_bad_checksum", "udp_bad_length", "icmp_bad_checksum",
         "l4_protocol", "fragment_misaligned", "fragment_overlap", "fragment_runaway",
         "ipv6_bad_payload_length", "ipv6_udp_zero_checksum", "vlan_unexpected"]


SIP_TEMPLATE = (
    "INVITE sip:+15550100@10.99.0.1 SIP/2.0\r\n"
    "Via: SIP/2.0/UDP {src}:5080;branch=z9hG4bKfz{n}\r\n"
    "Max-Forwards: 70\r\nFrom: <sip:fuzz@{src}>;tag=f{n}\r\nTo: <sip:+15550100@10.99.0.1>\r\n"
    "Call-ID: fuzz{n}@{src}\r\nCSeq: 1 INVITE\r\nContact: <sip:fuzz@{src}:5080>\r\n"
    "Content-Type: application/sdp\r\nContent-Length: 58\r\n\r\n"
    "v=0\r\no=- 1 1 IN IP4 {src}\r\ns=-\r\nc=IN IP4 {src}\r\nt=0 0\r\n")


def mutate(rnd, msg):
    """One of the ways real garbage looks: flipped bytes, cuts, doubled or dropped
    lines, a wrong Content-Length, binary noise, an oversized header."""
    b = bytearray(msg)
    k = rnd.randrange(8)
    if k == 0:
        for _ in range(rnd.randrange(1, 8)):
            b[rnd.randrange(len(b))] = rnd.randrange(256)
    elif k == 1:
        b = b[: rnd.randrange(1, len(b))]
    elif k == 2:
        lines = bytes(b).split(b"\r\n")
        i = rnd.randrange(1, 8)
        lines.insert(i, lines[i])
        b = bytearray(b"\r\n".join(lines))
    elif k == 3:
        lines = bytes(b).split(b"\r\n")
        del lines[rnd.randrange(1, 8)]
        b = bytearray(b"\r\n".join(lines))
    elif k == 4:
        b = bytearray(bytes(b).replace(b"Content-Length: 58", b"Content-Length: 9999"))
    elif k == 5:
        b = bytearray(rnd.randbytes(rnd.randrange(1, 1400)))
    elif k == 6:
        b = bytearray(bytes(b).replace(b"Max-Forwards: 70", b"X-Long: " + b"a" * 1200))
    else:
        b = bytearray(bytes(b).replace(b"SIP/2.0\r\n", b"SIP/3.0\r\n", 1))
    return bytes(b)


def send_sipfuzz(src, dst, count, seed, pps):
    import random
    import time
    rnd = random.Random(seed)
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((src, 5080))
    t0 = time.monotonic()
    for n in range(count):
        s.sendto(mutate(rnd, SIP_TEMPLATE.format(src=src, n=n).encode()), (dst, 5060))
        ahead = n / pps - (time.monotonic() - t0)
        if ahead > 0:
            time.sleep(ahead)
    print(count)


def main(a):
    if a[0] == "udp":
        dst, port, size = a[1], int(a[2]), int(a[3])
        count = int(a[4]) if len(a) > 4 else 1
        fam = socket.AF_INET6 if ":" in dst else socket.AF_INET
        s = socket.socket(fam, socket.SOCK_DGRAM)
        if fam == socket.AF_INET:
            s.setsockopt(socket.IPPROTO_IP, 10, 0)  # IP_MTU_DISCOVER = DONT: fragment
        for i in range(count):
            s.sendto(bytes([65 + i % 26]) * size, (dst, port))
        return
    if a[0] == "bad":
        ifc, dmac, kind = a[1], bytes.fromhex(a[2].replace(":", "")), a[3]
        count = int(a[4]) if len(a) > 4 else 1
        smac = bytes.fromhex(open(f"/sys/class/net/{ifc}/address").read().strip().replace(":", ""))
        s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
        s.bind((ifc, 0))
        for _ in range(count):
            for f in frames(kind, dmac, smac):
                s.send(f)
        return
    if a[0] == "vlan":
        # tagged ARP request for 10.99.0.1 and ICMP echo requests, on VLAN vid
        ifc, dmac, vid = a[1], bytes.fromhex(a[2].replace(":", "")), int(a[3])
        count = int(a[4]) if len(a) > 4 else 1
        smac = bytes.fromhex(open(f"/sys/class/net/{ifc}/address").read().strip().replace(":", ""))
        tag = lambda et: struct.pack("!HHH", 0x8100, vid, et)  # noqa: E731
        arp = struct.pack("!HHBBH6s4s6s4s", 1, 0x0800, 6, 4, 1, smac, SRC4, b"\0" * 6, DST4)
        s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
        s.bind((ifc, 0))
        s.send(b"\xff" * 6 + smac + tag(0x0806) + arp)
        for _ in range(count):
            s.send(dmac + smac + tag(0x0800) + ip4(icmp_echo(), proto=1))
        return
    if a[0] == "sipfuzz":
        send_sipfuzz(a[1], a[2], int(a[3]), int(a[4]), int(a[5]))
        return
    if a[0] == "kinds":
        print("\n".join(KINDS))
        return
    raise SystemExit(__doc__)


if __name__ == "__main__":
    main(sys.argv[1:])
