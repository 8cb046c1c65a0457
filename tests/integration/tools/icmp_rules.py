#!/usr/bin/python3
"""Sends crafted datagrams from a host namespace through the router and counts what the
router sends back about them. Run with Debian's /usr/bin/python3 (scapy).

  icmp_rules.py IFACE DST COUNT [--ttl N] [--src A] [--until N] [--deadline S]

Sends COUNT UDP datagrams (port 9) to DST with the given TTL (default 64) and source
(default IFACE's address), as one burst. Prints "ERRORS TIME_EXCEEDED HOST_UNREACH
NET_UNREACH ARP_FOR_SRC SEND_SECONDS": the ICMP errors from the gateway (.1 of IFACE's /24)
by kind, and the ARP requests the gateway broadcast for the probes' source address.

No fixed sleeps: the sniffer is ready once it has seen a marker frame we send (to a MAC
nobody owns, so the router ignores it); the count is complete once the router has answered
an echo request sent after the probes (it handles datagrams in order), or, with --until N,
once N errors arrived (errors that come later, as host unreachable after ARP gives up),
bounded by --deadline seconds (default 10).
"""
import argparse
import sys
import threading
import time

from scapy.all import ARP, ICMP, IP, UDP, AsyncSniffer, Ether, conf, get_if_addr, getmacbyip, sendp

conf.verb = 0
MARKER_PORT = 47999
ECHO_ID = 0x5151

ap = argparse.ArgumentParser()
ap.add_argument("iface")
ap.add_argument("dst")
ap.add_argument("count", type=int)
ap.add_argument("--ttl", type=int, default=64)
ap.add_argument("--src")
ap.add_argument("--until", type=int)
ap.add_argument("--deadline", type=float, default=10.0)
a = ap.parse_args()

me = get_if_addr(a.iface)
src = a.src or me
gw = ".".join(me.split(".")[:3]) + ".1"
gw_mac = getmacbyip(gw)
if gw_mac is None:
    sys.exit("no ARP answer from " + gw)

seen_marker = threading.Event()
seen_echo = threading.Event()
counts = {"errors": 0, "te": 0, "host": 0, "net": 0, "arp": 0}
lock = threading.Lock()


def on_packet(p):
    if UDP in p and p[UDP].dport == MARKER_PORT:
        seen_marker.set()
        return
    if ARP in p and p[ARP].op == 1 and p[ARP].psrc == gw and p[ARP].pdst == src:
        with lock:
            counts["arp"] += 1
        return
    if IP not in p or ICMP not in p or p[IP].src != gw:
        return
    t, c = p[ICMP].type, p[ICMP].code
    if t == 0 and p[ICMP].id == ECHO_ID:
        seen_echo.set()
    elif t in (3, 11):
        with lock:
            counts["errors"] += 1
            if t == 11:
                counts["te"] += 1
            elif c == 1:
                counts["host"] += 1
            elif c == 0:
                counts["net"] += 1


sniffer = AsyncSniffer(iface=a.iface, prn=on_packet, store=False,
                       filter="arp or icmp or (udp and port %d)" % MARKER_PORT)
sniffer.start()
marker = Ether(dst="02:00:00:00:00:fe") / IP(src=me, dst=me) / UDP(sport=MARKER_PORT,
                                                                   dport=MARKER_PORT)
end = time.monotonic() + 5
while not seen_marker.is_set():
    if time.monotonic() > end:
        sys.exit("the sniffer never saw the marker")
    sendp(marker, iface=a.iface)
    seen_marker.wait(0.05)

frames = [Ether(dst=gw_mac) / IP(src=src, dst=a.dst, ttl=a.ttl, id=i) /
          UDP(sport=40000, dport=9) / b"probe" for i in range(a.count)]
t0 = time.monotonic()
sendp(frames, iface=a.iface)
send_s = time.monotonic() - t0

deadline = time.monotonic() + a.deadline
echo = Ether(dst=gw_mac) / IP(src=me, dst=gw) / ICMP(type=8, id=ECHO_ID)
while not seen_echo.is_set() and time.monotonic() < deadline:
    sendp(echo, iface=a.iface)
    seen_echo.wait(0.2)
if a.until is not None:
    while time.monotonic() < deadline:
        with lock:
            if counts["errors"] >= a.until:
                break
        time.sleep(0.02)
sniffer.stop()
if not seen_echo.is_set():
    sys.exit("the router never answered the end marker")
print(counts["errors"], counts["te"], counts["host"], counts["net"], counts["arp"],
      "%.2f" % send_s)
