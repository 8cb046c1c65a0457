#!/usr/bin/python3
"""Hostile segments for the tcp plugin's tests (run in the client namespace, as root).

  synflood DST PORT COUNT     COUNT SYNs from spoofed sources 172.16.0.0/16 (random ports and
                              sequence numbers) through a raw socket; prints "sent COUNT SECONDS"
  rstinject DST PORT          opens a connection to the echo service, learns the sequence
                              numbers with a sniffer, injects an RST whose SEG.SEQ is inside the
                              window but not RCV.NXT (RFC 5961 §3.2), expects a challenge ACK
                              from DST (an ACK for the expected sequence number), then checks the
                              connection still echoes; prints "challenge-ack ok"
Exit 0 only when every check held.
"""
import random
import socket
import struct
import sys
import time


def csum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def syn(src, dst, sport, dport, seq):
    tcp = struct.pack("!HHIIBBHHH", sport, dport, seq, 0, 5 << 4, 0x02, 64240, 0, 0)
    pseudo = socket.inet_aton(src) + socket.inet_aton(dst) + struct.pack("!BBH", 0, 6, len(tcp))
    tcp = tcp[:16] + struct.pack("!H", csum(pseudo + tcp)) + tcp[18:]
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp), 0, 0, 64, 6, 0,
                     socket.inet_aton(src), socket.inet_aton(dst))
    ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
    return ip + tcp


def synflood(dst, port, count):
    rnd = random.Random(4987)
    s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 1 << 22)
    start = time.monotonic()
    for i in range(count):
        src = "172.16.%d.%d" % (rnd.randrange(256), rnd.randrange(1, 255))
        pkt = syn(src, dst, rnd.randrange(1024, 65535), port, rnd.getrandbits(32))
        while True:
            try:
                s.sendto(pkt, (dst, 0))
                break
            except (BlockingIOError, OSError):
                time.sleep(0.0005)
    print("sent %d %.2f" % (count, time.monotonic() - start))
    return 0


def rstinject(dst, port):
    from scapy.all import AsyncSniffer, IP, TCP, send, conf  # noqa: E402
    conf.verb = 0
    c = socket.create_connection((dst, port), timeout=5)
    c.settimeout(5)
    lport = c.getsockname()[1]
    flt = "tcp and host %s and port %d and port %d" % (dst, port, lport)
    import threading
    ready = threading.Event()
    seen = []
    sn = AsyncSniffer(iface=conf.route.route(dst)[0], filter=flt, store=False, prn=seen.append, started_callback=ready.set)
    sn.start()
    if not ready.wait(5):
        print("sniffer did not start", file=sys.stderr)
        return 1
    c.sendall(b"hello")
    if c.recv(5) != b"hello":
        print("no echo before the RST", file=sys.stderr)
        return 1
    # our SND.NXT = the ack of the router's last segment; its RCV.NXT equals it
    # the sniffer thread hands packets over asynchronously: poll, bounded
    deadline = time.monotonic() + 3
    pk = []
    while not pk and time.monotonic() < deadline:
        pk = [p for p in seen if p.haslayer(TCP) and p[IP].src == dst and len(p[TCP].payload)]
        time.sleep(0.02)
    if not pk:
        sn.stop()
        print("sniffer saw nothing", file=sys.stderr)
        return 1
    rcv_nxt = pk[-1][TCP].ack
    n_before = len(seen)
    send(IP(src=c.getsockname()[0], dst=dst) /
         TCP(sport=lport, dport=port, flags="R", seq=(rcv_nxt + 1000) & 0xFFFFFFFF))
    deadline = time.monotonic() + 3
    ok = False
    while time.monotonic() < deadline and not ok:
        for p in seen[n_before:]:
            if (p.haslayer(TCP) and p[IP].src == dst and p[TCP].flags == "A" and
                    p[TCP].ack == rcv_nxt and len(p[TCP].payload) == 0):
                ok = True
        time.sleep(0.05)
    sn.stop()
    if not ok:
        print("no challenge ACK seen", file=sys.stderr)
        return 1
    c.sendall(b"still alive")
    got = b""
    while len(got) < 11:
        d = c.recv(11 - len(got))
        if not d:
            break
        got += d
    c.close()
    if got != b"still alive":
        print("connection did not survive the RST: %r" % got, file=sys.stderr)
        return 1
    print("challenge-ack ok")
    return 0


def main():
    if sys.argv[1] == "synflood":
        return synflood(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))
    if sys.argv[1] == "rstinject":
        return rstinject(sys.argv[2], int(sys.argv[3]))
    return 2


if __name__ == "__main__":
    sys.exit(main())
