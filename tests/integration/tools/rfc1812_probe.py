#!/usr/bin/python3
"""RFC 1812 filtering probes (test_rfc1812_filter.sh). Run with Debian's /usr/bin/python3 (scapy).

  rfc1812_probe.py send IFACE ROUTER_MAC   send the probes below out IFACE (h1, lan0), control last
  rfc1812_probe.py read PCAP               one line per probe seen in PCAP (h2, lan1):
                                           "PORT DST OPTIONS-HEX" (plus
                                           " bad-header-checksum" when the IPv4 header checksum
                                           does not verify); then "ARP-FOR-SELF N"

Probes (UDP, destination port = probe number unless said otherwise):
  5001 src 10.0.2.77 (a lan1 source arriving on lan0)   5002 src 192.0.2.7 (no route back)
  5003 src 10.0.1.1 (the router's own address)          5004 src 10.0.1.255 (directed broadcast)
  5005 ICMP echo src 10.0.2.1 (ours) to 10.0.1.1: must get no answer and no ARP for 10.0.2.1
  5006 LSRR via 10.0.1.1 to 10.0.2.2                    5007 SSRR via 10.0.1.1 to 10.0.2.2
  5008 SSRR via 10.0.1.1 to 10.9.9.9 (behind a gateway: source route failed)
  5009 Record Route, 2 free slots                       5010 Timestamp flag 1, 1 free slot
  5011 Timestamp flag 0, full (overflow count 0 -> 1)   5099 control, sent last
"""
import sys

from scapy.all import ARP, ICMP, IP, UDP, Ether, IPOption, conf, rdpcap, sendp
from scapy.utils import checksum

conf.verb = 0


def send(iface, router_mac):
    e = Ether(src="02:00:00:00:01:02", dst=router_mac)
    h1 = "10.0.1.2"

    def udp(src, dst, port, options=None):
        ip = IP(src=src, dst=dst, options=options) if options else IP(src=src, dst=dst)
        return e / ip / UDP(sport=port, dport=port) / b"rfc1812"

    lsrr = IPOption(b"\x83\x07\x04" + bytes([10, 0, 2, 2]) + b"\x01")  # + NOP to 8
    ssrr = IPOption(b"\x89\x07\x04" + bytes([10, 0, 2, 2]) + b"\x01")
    ssrr_far = IPOption(b"\x89\x07\x04" + bytes([10, 9, 9, 9]) + b"\x01")
    rr = IPOption(b"\x07\x0b\x04" + b"\x00" * 8 + b"\x01")  # 11 bytes + NOP
    ts1 = IPOption(b"\x44\x0c\x05\x01" + b"\x00" * 8)
    ts_full = IPOption(b"\x44\x08\x09\x00" + bytes([1, 2, 3, 4]))
    pkts = [
        udp("10.0.2.77", "10.0.2.2", 5001),
        udp("192.0.2.7", "10.0.2.2", 5002),
        udp("10.0.1.1", "10.0.2.2", 5003),
        udp("10.0.1.255", "10.0.2.2", 5004),
        e / IP(src="10.0.2.1", dst="10.0.1.1") / ICMP(id=5005),
        udp(h1, "10.0.1.1", 5006, [lsrr]),
        udp(h1, "10.0.1.1", 5007, [ssrr]),
        udp(h1, "10.0.1.1", 5008, [ssrr_far]),
        udp(h1, "10.0.2.2", 5009, [rr]),
        udp(h1, "10.0.2.2", 5010, [ts1]),
        udp(h1, "10.0.2.2", 5011, [ts_full]),
        udp(h1, "10.0.2.2", 5099),
    ]
    sendp(pkts, iface=iface)
    print("sent", len(pkts))


def read(pcap):
    arp_self = 0
    for p in rdpcap(pcap):
        if ARP in p and p[ARP].op == 1 and p[ARP].pdst == "10.0.2.1":
            arp_self += 1
        if IP not in p or UDP not in p:
            continue
        raw = bytes(p[IP])
        ihl = (raw[0] & 0x0f) * 4
        line = "%d %s %s" % (p[UDP].dport, p[IP].dst, raw[20:ihl].hex() or "-")
        if checksum(raw[:ihl]) != 0:
            line += " bad-header-checksum"
        print(line)
    print("ARP-FOR-SELF", arp_self)


if sys.argv[1] == "send":
    send(sys.argv[2], sys.argv[3])
else:
    read(sys.argv[2])
