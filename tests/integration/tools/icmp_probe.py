#!/usr/bin/python3
"""Sends crafted datagrams from a host namespace to the router and counts the ICMP errors
that come back. Run with Debian's /usr/bin/python3 (scapy).

  icmp_probe.py IFACE KIND DST [COUNT]

KIND: udp (a plain UDP datagram: an ICMP error is expected), icmp-error (an ICMP destination
unreachable message), frag (a non-first fragment), bcast (UDP to DST, a broadcast address),
mcast-src (source 224.0.0.5). Prints the number of ICMP errors received from the router
(exit 3 when the capture could not be shown to be running, or not fenced, within 10 s).
"""
import random
import sys
import threading
import time

from scapy.all import ICMP, IP, UDP, conf, get_if_addr, sendp, AsyncSniffer, Ether, getmacbyip

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

# Readiness, not a sleep: the sniffer also captures the marker frames (EtherType 0x88b5 to
# 02:73:6f:61:6c:21, dropped by the router as not_for_us without an answer; the same marker as
# nettool.py's); markers are sent until the sniffer has seen one. After the probes, an echo
# request to the router fences the capture: the router handles one link's frames in order and
# does not rate-limit echo replies, so once the reply is in, every error about an earlier probe
# has been sent and captured. Both waits are bounded (exit 3: no result).
MARKER_ETHERTYPE = 0x88B5
MARKER_DST = "02:73:6f:61:6c:21"
BOUND_S = 10.0
fence_id = random.randrange(1, 0xFFFF)
marker_seen = threading.Event()
fence_seen = threading.Event()
errors = []


def on_packet(p):
    if Ether in p and p[Ether].type == MARKER_ETHERTYPE:
        marker_seen.set()
    elif ICMP in p and p[ICMP].type in (3, 11):
        errors.append(p)
    elif ICMP in p and p[ICMP].type == 0 and p[ICMP].id == fence_id:
        fence_seen.set()


def wait_for(event, send, what):
    deadline = time.monotonic() + BOUND_S
    while not event.is_set():
        if time.monotonic() > deadline:
            print("no " + what + " within %.0f s" % BOUND_S, file=sys.stderr)
            sniffer.stop()
            sys.exit(3)
        send()
        event.wait(0.05)


sniffer = AsyncSniffer(iface=iface, store=False, prn=on_packet,
                       filter="(icmp and src host %s) or ether proto 0x%04x" % (gw, MARKER_ETHERTYPE))
sniffer.start()
marker = Ether(dst=MARKER_DST, type=MARKER_ETHERTYPE) / (b"shoal-sniffer-marker".ljust(46, b"\0"))
wait_for(marker_seen, lambda: sendp(marker, iface=iface), "marker in the capture")

frame = Ether(dst=gw_mac) / pkt
for _ in range(count):
    sendp(frame, iface=iface)
    time.sleep(0.005)  # pacing a burst, not a wait

seq = [0]


def send_fence():
    seq[0] += 1
    sendp(Ether(dst=gw_mac) / IP(src=src, dst=gw) / ICMP(type=8, id=fence_id, seq=seq[0]),
          iface=iface)


wait_for(fence_seen, send_fence, "echo reply from %s (fence)" % gw)
sniffer.stop()
print(len(errors))
