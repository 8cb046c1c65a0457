#!/usr/bin/env python3
"""Linux-side clients for the tcp plugin's tests (plain sockets, bounded by --timeout).

  echo HOST PORT BYTES          send BYTES of seeded pseudo-random data, read them back,
                                compare (sha256 both ways); prints "echo ok BYTES SECONDS"
  discard HOST PORT BYTES       send BYTES, close, wait for the server's FIN; prints rate
  chargen HOST PORT BYTES       read BYTES and check them against the RFC 864 pattern
  concurrent HOST PORT N BYTES  N connections open at once, each echoes BYTES; all intact
  hold HOST PORT SECONDS        open a connection to echo, print "open", keep it SECONDS
  latency HOST PORT N           N 1-byte echo round trips: prints "p50_us p99_us"
Exit status 0 only when everything checked out.
"""
import argparse
import hashlib
import os
import random
import selectors
import socket
import sys
import time


def pattern(seed, n):
    rnd = random.Random(seed)
    return rnd.randbytes(n)


def chargen_stream(n):
    lines = []
    for line in range(95):
        lines.append(bytes(32 + (line + j) % 95 for j in range(72)) + b"\r\n")
    period = b"".join(lines)
    reps = n // len(period) + 1
    return (period * reps)[:n]


def connect(host, port, timeout):
    s = socket.create_connection((host, port), timeout=timeout)
    s.settimeout(timeout)
    return s


def do_echo(a):
    total = a.bytes
    chunk = pattern(1, 1 << 20)
    s = connect(a.host, a.port, a.timeout)
    s.setblocking(False)
    sel = selectors.DefaultSelector()
    sel.register(s, selectors.EVENT_READ | selectors.EVENT_WRITE)
    sent = 0
    recvd = 0
    hs = hashlib.sha256()
    hr = hashlib.sha256()
    start = time.monotonic()
    deadline = start + a.timeout
    shut = False
    while recvd < total:
        if time.monotonic() > deadline:
            print(f"timeout: sent {sent} received {recvd}", file=sys.stderr)
            return 1
        for key, ev in sel.select(timeout=1):
            if ev & selectors.EVENT_WRITE and sent < total:
                off = sent % len(chunk)
                n = min(len(chunk) - off, total - sent)
                try:
                    w = s.send(chunk[off:off + n])
                except BlockingIOError:
                    w = 0
                hs.update(chunk[off:off + w])
                sent += w
            if sent >= total and not shut:
                s.shutdown(socket.SHUT_WR)
                shut = True
                sel.modify(s, selectors.EVENT_READ)
            if ev & selectors.EVENT_READ:
                try:
                    d = s.recv(1 << 20)
                except BlockingIOError:
                    continue
                if not d:
                    print(f"early EOF after {recvd}", file=sys.stderr)
                    return 1
                hr.update(d)
                recvd += len(d)
    s.setblocking(True)
    s.settimeout(a.timeout)
    tail = s.recv(1)
    s.close()
    el = time.monotonic() - start
    if tail:
        print("extra data after the echo", file=sys.stderr)
        return 1
    if hs.digest() != hr.digest():
        print("echo data differs", file=sys.stderr)
        return 1
    print(f"echo ok {total} {el:.2f}s {total * 8 / el / 1e6:.1f} Mbit/s")
    return 0


def do_discard(a):
    chunk = pattern(2, 1 << 20)
    s = connect(a.host, a.port, a.timeout)
    start = time.monotonic()
    sent = 0
    while sent < a.bytes:
        n = min(len(chunk), a.bytes - sent)
        s.sendall(chunk[:n])
        sent += n
    s.shutdown(socket.SHUT_WR)
    if s.recv(1) != b"":
        print("discard sent data", file=sys.stderr)
        return 1
    el = time.monotonic() - start
    s.close()
    print(f"discard ok {sent} {el:.2f}s {sent * 8 / el / 1e6:.1f} Mbit/s")
    return 0


def do_chargen(a):
    want = chargen_stream(a.bytes)
    s = connect(a.host, a.port, a.timeout)
    got = bytearray()
    while len(got) < a.bytes:
        d = s.recv(min(1 << 20, a.bytes - len(got)))
        if not d:
            print(f"chargen EOF after {len(got)}", file=sys.stderr)
            return 1
        got += d
    s.close()
    if bytes(got) != want:
        print("chargen pattern differs", file=sys.stderr)
        return 1
    print(f"chargen ok {a.bytes}")
    return 0


def do_concurrent(a):
    socks = []
    for i in range(a.n):
        s = connect(a.host, a.port, a.timeout)
        socks.append(s)
    print(f"open {len(socks)}", flush=True)
    if a.hold_file:
        deadline = time.monotonic() + a.timeout
        while not os.path.exists(a.hold_file) and time.monotonic() < deadline:
            time.sleep(0.05)
    bad = 0
    for i, s in enumerate(socks):
        msg = (b"%06d:" % i) * (a.bytes // 7 + 1)
        msg = msg[:a.bytes]
        s.sendall(msg)
    for i, s in enumerate(socks):
        msg = ((b"%06d:" % i) * (a.bytes // 7 + 1))[:a.bytes]
        got = b""
        while len(got) < len(msg):
            d = s.recv(len(msg) - len(got))
            if not d:
                break
            got += d
        if got != msg:
            bad += 1
        s.close()
    if bad:
        print(f"{bad} connections echoed wrong data", file=sys.stderr)
        return 1
    print(f"concurrent ok {a.n}")
    return 0


def do_latency(a):
    s = connect(a.host, a.port, a.timeout)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    lat = []
    for i in range(a.n):
        t = time.perf_counter_ns()
        s.sendall(b"x")
        if s.recv(1) != b"x":
            return 1
        lat.append((time.perf_counter_ns() - t) / 1000)
    s.close()
    lat.sort()
    print(f"{lat[len(lat) // 2]:.0f} {lat[min(len(lat) - 1, len(lat) * 99 // 100)]:.0f}")
    return 0


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--timeout", type=float, default=60)
    sub = p.add_subparsers(dest="cmd", required=True)
    for name in ("echo", "discard", "chargen"):
        sp = sub.add_parser(name)
        sp.add_argument("host")
        sp.add_argument("port", type=int)
        sp.add_argument("bytes", type=int)
    sp = sub.add_parser("concurrent")
    sp.add_argument("host")
    sp.add_argument("port", type=int)
    sp.add_argument("n", type=int)
    sp.add_argument("bytes", type=int)
    sp.add_argument("--hold-file", default="")
    sp = sub.add_parser("latency")
    sp.add_argument("host")
    sp.add_argument("port", type=int)
    sp.add_argument("n", type=int)
    a = p.parse_args()
    return {"echo": do_echo, "discard": do_discard, "chargen": do_chargen,
            "concurrent": do_concurrent, "latency": do_latency}[a.cmd](a)


if __name__ == "__main__":
    sys.exit(main())
