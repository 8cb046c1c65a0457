#!/usr/bin/env python3
"""Holds abusive connections open against shoald's API and times a normal client meanwhile.

  api_abuse.py --port P [--idle N] [--slowloris N] [--per-addr K] [--first-addr 0]
               [--requests M] [--hold S] [--byte-every S] [--timeout S] [--json]

Idle connections (connect, send nothing) and slowloris connections (a request line, then one
header byte every --byte-every seconds, never finishing) are spread over source addresses
127.0.0.2, 127.0.0.3, ... (offset by --first-addr) (K connections per address, so the server's per-address limit does
not refuse them); whatever the server closes is reopened at once, so the counts are held for
the whole run. After --hold seconds of attack, --requests normal requests
(GET /api/v1/health, one connection each) from 127.0.0.1 are timed one after another.
Prints one line of figures (or JSON with --json) and exits 0 when every normal request got
an HTTP answer within --timeout seconds, 1 otherwise. Stdlib only.
"""
import argparse
import json
import resource
import selectors
import socket
import sys
import threading
import time


def addr_of(i, per, first):
    n = first + i // per  # never 127.0.0.1: that is the normal client
    return "127.0.%d.%d" % (n // 250, n % 250 + 2)


class Attack:
    def __init__(self, a):
        self.a = a
        self.stop = threading.Event()
        self.lock = threading.Lock()
        self.opened = 0
        self.reopened = 0
        self.failed = 0
        self.cut_slow = 0
        self.sel = selectors.DefaultSelector()
        self.slow = {}  # sock -> (index, bytes sent)

    def open(self, i, slow):
        src = addr_of(i, self.a.per_addr, self.a.first_addr)
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((src, 0))
            s.connect(("127.0.0.1", self.a.port))
        except OSError:
            s.close()
            self.failed += 1
            return
        s.setblocking(False)
        if slow:
            try:
                s.send(b"GET /api/v1/health HTTP/1.1\r\n")
            except OSError:
                pass
        self.sel.register(s, selectors.EVENT_READ, (i, slow))
        if slow:
            self.slow[s] = i
        self.opened += 1

    def run(self):
        total = self.a.idle + self.a.slowloris
        for i in range(total):
            self.open(i, i >= self.a.idle)
        next_byte = time.monotonic() + self.a.byte_every
        while not self.stop.is_set():
            for key, _ in self.sel.select(timeout=0.1):
                s = key.fileobj
                i, slow = key.data
                try:
                    data = s.recv(4096)
                except OSError:
                    data = b""
                if data:
                    continue
                self.sel.unregister(s)
                self.slow.pop(s, None)
                s.close()
                if slow:
                    self.cut_slow += 1
                self.reopened += 1
                self.open(i, slow)
            if time.monotonic() >= next_byte:
                next_byte += self.a.byte_every
                for s in list(self.slow):
                    try:
                        s.send(b"X")
                    except OSError:
                        pass
        for key in list(self.sel.get_map().values()):
            key.fileobj.close()


def normal_request(port, timeout):
    t0 = time.monotonic()
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
            s.settimeout(timeout)
            s.sendall(b"GET /api/v1/health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            data = s.recv(64)
    except OSError:
        return None
    if not data.startswith(b"HTTP/1.1 "):
        return None
    return time.monotonic() - t0


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--idle", type=int, default=1000)
    p.add_argument("--slowloris", type=int, default=300)
    p.add_argument("--per-addr", type=int, default=50)
    p.add_argument("--first-addr", type=int, default=0)
    p.add_argument("--requests", type=int, default=100)
    p.add_argument("--hold", type=float, default=2.0)
    p.add_argument("--byte-every", type=float, default=4.0)
    p.add_argument("--timeout", type=float, default=5.0)
    p.add_argument("--json", action="store_true")
    a = p.parse_args()
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    need = a.idle + a.slowloris + 256
    if soft < need:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(need, hard), hard))
    att = Attack(a)
    th = threading.Thread(target=att.run, daemon=True)
    th.start()
    time.sleep(a.hold)  # attack time before measuring, not a readiness wait
    held = len(att.sel.get_map())
    lat = []
    failed = 0
    for _ in range(a.requests):
        t = normal_request(a.port, a.timeout)
        if t is None:
            failed += 1
        else:
            lat.append(t)
    held_end = len(att.sel.get_map())
    att.stop.set()
    th.join(10)
    lat.sort()

    def pct(q):
        return lat[min(len(lat) - 1, int(q * len(lat)))] * 1000 if lat else float("nan")

    res = {
        "held_at_start": held, "held_at_end": held_end, "opened": att.opened,
        "reopened": att.reopened, "connect_failed": att.failed, "slowloris_cut": att.cut_slow,
        "requests": a.requests, "answered": len(lat), "failed": failed,
        "p50_ms": round(pct(0.50), 2), "p99_ms": round(pct(0.99), 2),
        "max_ms": round(lat[-1] * 1000, 2) if lat else None,
    }
    if a.json:
        print(json.dumps(res))
    else:
        print(" ".join("%s=%s" % kv for kv in res.items()))
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
