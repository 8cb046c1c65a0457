#!/usr/bin/env python3
"""Small, bounded network probes for the integration tests (standard library only).

  tcp-recv ADDR PORT                 accept one connection, read to EOF; print "BYTES SHA256"
  tcp-send ADDR PORT BYTES SEED      send BYTES deterministic bytes (seeded PRNG); print "BYTES SHA256"
  tcp-refused ADDR PORT              exit 0 if connect() fails with ECONNREFUSED
  udp-echo ADDR PORT                 echo UDP datagrams back until idle for the timeout
  udp-ping ADDR PORT COUNT SIZE      send COUNT datagrams of SIZE bytes, print how many came back
                                     intact; exit 0 only if all did
  udp-refused ADDR PORT              exit 0 if a connected UDP socket gets ECONNREFUSED (ICMP port
                                     unreachable) after sending
  marker IFACE                       send one sniffer-readiness marker frame out IFACE (see
                                     MARKER_* below; lib.sh's sniffer_start/sniffer_stop)

Every operation gives up after --timeout seconds (default 20), exiting 2.
"""
import argparse
import hashlib
import random
import socket
import sys

CHUNK = 1 << 16


def deterministic_data(nbytes, seed):
    # One buffer from a seeded PRNG: a reordered, lost or corrupted segment changes the digest.
    return random.Random(seed).randbytes(nbytes)


def tcp_recv(a):
    with socket.create_server((a.addr, a.port)) as srv:
        srv.settimeout(a.timeout)
        conn, _ = srv.accept()
        with conn:
            conn.settimeout(a.timeout)
            h = hashlib.sha256()
            total = 0
            while True:
                b = conn.recv(1 << 20)
                if not b:
                    break
                h.update(b)
                total += len(b)
    print(total, h.hexdigest(), flush=True)
    return 0


def tcp_send(a):
    data = deterministic_data(a.bytes, a.seed)
    with socket.create_connection((a.addr, a.port), timeout=a.timeout) as s:
        view = memoryview(data)
        for off in range(0, len(data), CHUNK):
            s.sendall(view[off:off + CHUNK])
        s.shutdown(socket.SHUT_WR)
        # wait for the receiver to close: everything was read
        while s.recv(4096):
            pass
    print(len(data), hashlib.sha256(data).hexdigest(), flush=True)
    return 0


def tcp_refused(a):
    try:
        socket.create_connection((a.addr, a.port), timeout=a.timeout).close()
    except ConnectionRefusedError:
        print("refused")
        return 0
    except OSError as e:
        print("unexpected:", e)
        return 1
    print("unexpectedly connected")
    return 1


def udp_echo(a):
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind((a.addr, a.port))
        s.settimeout(a.timeout)
        n = 0
        try:
            while True:
                b, peer = s.recvfrom(65535)
                s.sendto(b, peer)
                n += 1
        except socket.timeout:
            pass
    print("echoed", n, flush=True)
    return 0


def udp_ping(a):
    ok = 0
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.connect((a.addr, a.port))
        s.settimeout(2.0)
        for i in range(a.count):
            payload = bytes((i + j) & 0xFF for j in range(a.size))
            s.send(payload)
            try:
                if s.recv(65535) == payload:
                    ok += 1
            except (socket.timeout, ConnectionRefusedError):
                pass
    print(ok, "of", a.count, "echoed", flush=True)
    return 0 if ok == a.count else 1


def udp_refused(a):
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.connect((a.addr, a.port))
        s.settimeout(a.timeout)
        s.send(b"anyone there?")
        try:
            s.recv(2048)
        except ConnectionRefusedError:
            print("refused")
            return 0
        except socket.timeout:
            print("no ICMP error before the timeout")
            return 1
    print("unexpected answer")
    return 1


# The sniffer-readiness marker: an Ethernet frame with the IEEE local-experimental EtherType
# 0x88b5 to a locally administered unicast MAC (02:73:6f:61:6c:21). A router's interface drops it
# (not_for_us) without an answer, so it changes nothing a test checks; a capture of the
# interface sees it leave. Keep in sync with SHOAL_MARKER_* in lib.sh and icmp_probe.py.
MARKER_ETHERTYPE = 0x88B5
MARKER_DST = bytes.fromhex("02736f616c21")  # 02:73:6f:61:6c:21
MARKER_PAYLOAD = b"shoal-sniffer-marker".ljust(46, b"\0")


def marker(a):
    with socket.socket(socket.AF_PACKET, socket.SOCK_RAW) as s:
        s.bind((a.iface, 0))
        src = s.getsockname()[4][:6]
        s.send(MARKER_DST + src + MARKER_ETHERTYPE.to_bytes(2, "big") + MARKER_PAYLOAD)
    return 0


def main():
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--timeout", type=float, default=20.0)
    sub = p.add_subparsers(dest="cmd", required=True)
    for name, fn, extra in (("tcp-recv", tcp_recv, ()),
                            ("tcp-send", tcp_send, (("bytes", int), ("seed", int))),
                            ("tcp-refused", tcp_refused, ()),
                            ("udp-echo", udp_echo, ()),
                            ("udp-ping", udp_ping, (("count", int), ("size", int))),
                            ("udp-refused", udp_refused, ())):
        sp = sub.add_parser(name)
        sp.add_argument("addr")
        sp.add_argument("port", type=int)
        for arg, typ in extra:
            sp.add_argument(arg, type=typ)
        sp.set_defaults(fn=fn)
    sp = sub.add_parser("marker")
    sp.add_argument("iface")
    sp.set_defaults(fn=marker)
    a = p.parse_args()
    try:
        return a.fn(a)
    except socket.timeout:
        print(a.cmd + ": timed out", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
