#!/usr/bin/env python3
"""NAT probes for plugins/nat/tests/test_nat.sh (standard library only, every call bounded).

  whoami-server ADDR PORT [--prime SERVER:PORT]
                                    answer each UDP datagram with the sender's "ip:port" (with
                                    --prime: first ask SERVER from the same socket, so a NAT in
                                    front has a mapping for ADDR:PORT; prints "PRIMED ip:port")
  whoami LPORT SERVER:PORT...       from ONE socket bound to LPORT, ask each server what it sees;
                                    print one "ip:port" line per server; exit 0 if all answered
  wait-unsolicited LPORT SERVER:PORT SECONDS
                                    bind LPORT, ask SERVER (prints "MAPPED ip:port"), then wait for
                                    a datagram from anyone else: prints "GOT ip:port" (exit 0) or
                                    "NONE" (exit 1)
  send-from SADDR SPORT DEST:PORT   send one datagram "unsolicited" from SADDR:SPORT
  flows LPORT0 COUNT SERVER:PORT    COUNT sockets from LPORT0.. each sends once; print how many
                                    got an answer
  icmp-echo ID DEST COUNT           COUNT echo requests with identifier ID (raw socket); exit 0
                                    when each got its reply
  tcp-simopen LADDR:LPORT PEER:PORT bind LADDR:LPORT and connect() to PEER (the other side does
                                    the same towards us: a simultaneous open when the SYNs
                                    cross); once connected send our LADDR:LPORT, read the peer's
                                    line; print "ESTABLISHED <peer's line>" (exit 0);
                                    --hold S: stay connected S seconds after that
"""
import argparse
import socket
import struct
import sys
import time


def endpoint(text):
    host, port = text.rsplit(":", 1)
    return host, int(port)


def whoami_server(a):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((a.addr, a.port))
    if a.prime:
        print("PRIMED " + ask(s, endpoint(a.prime), 3), flush=True)
    s.settimeout(a.timeout)
    try:
        while True:
            data, peer = s.recvfrom(2048)
            s.sendto(f"{peer[0]}:{peer[1]}".encode(), peer)
    except socket.timeout:
        return 0


def ask(s, server, timeout):
    s.sendto(b"who", server)
    s.settimeout(timeout)
    while True:
        data, peer = s.recvfrom(2048)
        if peer == server:
            return data.decode()


def whoami(a):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("0.0.0.0", a.lport))
    for srv in a.servers:
        try:
            print(ask(s, endpoint(srv), 3), flush=True)
        except socket.timeout:
            print("TIMEOUT", flush=True)
            return 1
    return 0


def wait_unsolicited(a):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("0.0.0.0", a.lport))
    server = endpoint(a.server)
    try:
        print("MAPPED " + ask(s, server, 3), flush=True)
    except socket.timeout:
        print("TIMEOUT", flush=True)
        return 2
    s.settimeout(0.2)
    deadline = time.monotonic() + a.seconds
    while time.monotonic() < deadline:
        try:
            data, peer = s.recvfrom(2048)
        except socket.timeout:
            continue
        if peer != server:
            print(f"GOT {peer[0]}:{peer[1]}", flush=True)
            return 0
    print("NONE", flush=True)
    return 1


def send_from(a):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((a.saddr, a.sport))
    for _ in range(3):
        s.sendto(b"unsolicited", endpoint(a.dest))
        time.sleep(0.05)
    return 0


def flows(a):
    server = endpoint(a.server)
    socks = []
    for i in range(a.count):
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.bind(("0.0.0.0", a.lport0 + i))
        s.sendto(b"who", server)
        socks.append(s)
    answered = 0
    for s in socks:
        s.settimeout(1.0)
        try:
            s.recvfrom(2048)
            answered += 1
        except socket.timeout:
            pass
    print(answered, flush=True)
    return 0


def checksum(b):
    if len(b) % 2:
        b += b"\0"
    total = sum(struct.unpack(f"!{len(b) // 2}H", b))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def icmp_echo(a):
    s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
    s.settimeout(0.5)
    got = set()
    deadline = time.monotonic() + a.timeout
    for seq in range(a.count):
        payload = b"shoal-nat-echo"
        hdr = struct.pack("!BBHHH", 8, 0, 0, a.id, seq)
        csum = checksum(hdr + payload)
        s.sendto(struct.pack("!BBHHH", 8, 0, csum, a.id, seq) + payload, (a.dest, 0))
        while seq not in got and time.monotonic() < deadline:
            try:
                data, peer = s.recvfrom(2048)
            except socket.timeout:
                break
            ihl = (data[0] & 15) * 4
            typ, _, _, ident, rseq = struct.unpack("!BBHHH", data[ihl:ihl + 8])
            if typ == 0 and ident == a.id and peer[0] == a.dest:
                got.add(rseq)
    print(len(got), flush=True)
    return 0 if len(got) == a.count else 1


def tcp_simopen(a):
    laddr = endpoint(a.local)
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(laddr)
    s.settimeout(a.timeout)
    s.connect(endpoint(a.peer))  # SYN_SENT; a SYN from the peer makes it SYN_RECV, then ESTABLISHED
    s.sendall(f"{a.local}\n".encode())
    line = b""
    while not line.endswith(b"\n"):
        chunk = s.recv(256)
        if not chunk:
            break
        line += chunk
    print("ESTABLISHED", line.decode().strip(), flush=True)
    time.sleep(a.hold)  # connected while the caller looks at the NAT's session
    s.close()
    return 0 if line.endswith(b"\n") else 1


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--timeout", type=float, default=10)
    sub = p.add_subparsers(dest="cmd", required=True)
    x = sub.add_parser("whoami-server")
    x.add_argument("addr")
    x.add_argument("port", type=int)
    x.add_argument("--prime")
    x = sub.add_parser("whoami")
    x.add_argument("lport", type=int)
    x.add_argument("servers", nargs="+")
    x = sub.add_parser("wait-unsolicited")
    x.add_argument("lport", type=int)
    x.add_argument("server")
    x.add_argument("seconds", type=float)
    x = sub.add_parser("send-from")
    x.add_argument("saddr")
    x.add_argument("sport", type=int)
    x.add_argument("dest")
    x = sub.add_parser("flows")
    x.add_argument("lport0", type=int)
    x.add_argument("count", type=int)
    x.add_argument("server")
    x = sub.add_parser("icmp-echo")
    x.add_argument("id", type=int)
    x.add_argument("dest")
    x.add_argument("count", type=int)
    x = sub.add_parser("tcp-simopen")
    x.add_argument("local")
    x.add_argument("peer")
    x.add_argument("--hold", type=float, default=0, help="seconds to stay connected")
    a = p.parse_args()
    fn = {"whoami-server": whoami_server, "whoami": whoami, "wait-unsolicited": wait_unsolicited,
          "send-from": send_from, "flows": flows, "icmp-echo": icmp_echo, "tcp-simopen": tcp_simopen}[a.cmd]
    return fn(a)


if __name__ == "__main__":
    sys.exit(main())
