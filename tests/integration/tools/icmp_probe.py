#!/usr/bin/python3
"""Sends crafted datagrams from a host namespace to the router and counts the ICMP errors
that come back. Run with Debian's /usr/bin/python3 (scapy).

  icmp_probe.py IFACE KIND DST [COUNT]

KIND: udp (a plain UDP datagram: an ICMP error is expected), icmp-error (an ICMP destination
unreachable message), frag (a non-first fragment), bcast (UDP to DST, a broadcast address),
mcast-src (source 224.0.0.5). Prints the number of ICMP errors received from the router.
"""
import sys

from scapy.all import ICMP, IP, UDP, conf, get_if_addr, sendp, AsyncSniffer, Ether, getmacbyip
import time

conf.verb = 0
iface, kind, dst = sys.argv[1], sys.argv[2], sys.argv[3]
count = int(sys.argv[4]) if len(sys.argv) > 4 else 1
src = get_if_addr(iface)
gw = ".".join(src.split(".")[:3]) + ".1"
gw_mac = getmacbyip(gw)
if gw_mac is None:
    print("no ARP answer from", gw, file=sys.stderr)
    sys.exit(2)

if kind == "udp":
    pkt = IP(src=src, dst=dst) / UDP(sport=40000, dport=9) / b"probe"
elif kind == "icmp-error":
    inner = IP(src=dst, dst=src) / UDP(sport=9, dport=40000)
    pkt = IP(src=src, dst=dst) / ICMP(type=3, code=3) / bytes(inner)[:28]
elif kind == "frag":
    pkt = IP(src=src, dst=dst, frag=100, flags=0) / (b"x" * 64)
elif kind == "bcast":
    pkt = IP(src=src, dst=dst) / UDP(sport=40000, dport=9) / b"probe"
elif kind == "mcast-src":
    pkt = IP(src="224.0.0.5", dst=dst) / UDP(sport=40000, dport=9) / b"probe"
else:
    sys.exit("unknown kind " + kind)

sniffer = AsyncSniffer(iface=iface, filter="icmp and src host %s" % gw, store=True)
sniffer.start()
time.sleep(0.3)
frame = Ether(dst=gw_mac) / pkt
for _ in range(count):
    sendp(frame, iface=iface)
    time.sleep(0.005)
time.sleep(0.8)
got = sniffer.stop()
errors = [p for p in got if ICMP in p and p[ICMP].type in (3, 11)]
print(len(errors))
