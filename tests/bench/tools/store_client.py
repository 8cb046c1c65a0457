#!/usr/bin/env python3
"""Client for tests/bench/bench_store.sh: durable route writes through the HTTP API.

  fsync_rate DIR SECONDS     small appends + fdatasync per second in DIR (the disk's reference)
  one N                      POST N /24 routes from 20.0.0.0 one by one on one keep-alive connection;
                             prints "first_1000_rate last_1000_rate overall_rate" (routes/s)
  concurrent C N             C clients (threads, one connection each) POST N /24 routes from 40.0.0.0
                             in all; prints routes/s
  batch N B                  POST N /24 routes from 60.0.0.0 in batches of B; prints
                             "first_batches_rate last_batches_rate overall_rate" (routes/s;
                             first/last = the first and last 10% of the batches)
Every answer must be 201/200 (the route is on disk then); anything else is an error (exit 1).
"""
import argparse
import http.client
import json
import os
import sys
import threading
import time

HOST = "127.0.0.1"


def prefix(base, i):
    """The i-th /24 from base.0.0.0 upward (base, base+1, ... as first octet)."""
    return f"{base + (i >> 16)}.{(i >> 8) & 255}.{i & 255}.0/24"


class Client:
    def __init__(self, port, token):
        self.conn = http.client.HTTPConnection(HOST, port, timeout=60)
        self.headers = {"Authorization": "Bearer " + token, "Content-Type": "application/json"}

    def post(self, path, body):
        self.conn.request("POST", path, body=body, headers=self.headers)
        r = self.conn.getresponse()
        data = r.read()
        return r.status, data


def cmd_fsync_rate(a):
    path = os.path.join(a.dir, "fsync-reference.tmp")
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND | os.O_TRUNC, 0o600)
    n = 0
    t0 = time.monotonic()
    end = t0 + a.seconds
    while time.monotonic() < end:
        os.write(fd, b"x" * 100)
        os.fdatasync(fd)
        n += 1
    dt = time.monotonic() - t0
    os.close(fd)
    os.unlink(path)
    print(f"{n / dt:.0f}")
    return 0


def route_body(p):
    return json.dumps({"prefix": p, "next_hop": "10.0.2.2"}).encode()


def cmd_one(a):
    c = Client(a.port, a.token)
    marks = []
    t0 = time.monotonic()
    for i in range(a.n):
        if i in (0, min(1000, a.n), max(a.n - 1000, 0)):
            marks.append((i, time.monotonic()))
        st, data = c.post("/api/v1/routes", route_body(prefix(20, i)))
        if st != 201:
            print(f"POST {prefix(20, i)}: {st} {data[:300]!r}", file=sys.stderr)
            return 1
    t1 = time.monotonic()
    first_n = min(1000, a.n)
    t_first = next(t for i, t in marks if i == first_n) if a.n > 1000 else t1
    t_last0 = next(t for i, t in marks if i == max(a.n - 1000, 0))
    print(f"{first_n / (t_first - t0):.0f} {min(1000, a.n) / (t1 - t_last0):.0f} "
          f"{a.n / (t1 - t0):.0f}")
    return 0


def cmd_concurrent(a):
    errors = []
    per = a.n // a.c
    start = threading.Barrier(a.c + 1)

    def run(k):
        c = Client(a.port, a.token)
        start.wait()
        for j in range(per):
            i = k * per + j
            st, data = c.post("/api/v1/routes", route_body(prefix(40, i)))
            if st != 201:
                errors.append(f"POST {prefix(40, i)}: {st} {data[:300]!r}")
                return

    threads = [threading.Thread(target=run, args=(k,)) for k in range(a.c)]
    for t in threads:
        t.start()
    start.wait()
    t0 = time.monotonic()
    for t in threads:
        t.join()
    dt = time.monotonic() - t0
    if errors:
        print(errors[0], file=sys.stderr)
        return 1
    print(f"{per * a.c / dt:.0f}")
    return 0


def cmd_batch(a):
    c = Client(a.port, a.token)
    bodies = []
    for s in range(0, a.n, a.b):
        ops = [{"op": "add", "prefix": prefix(60, i), "next_hop": "10.0.2.2"}
               for i in range(s, min(a.n, s + a.b))]
        bodies.append((len(ops), json.dumps({"operations": ops}).encode()))
    times = []
    for n, body in bodies:
        t = time.monotonic()
        st, data = c.post("/api/v1/routes:batch", body)
        times.append((n, time.monotonic() - t))
        if st != 200:
            print(f"batch: {st} {data[:300]!r}", file=sys.stderr)
            return 1
    k = max(1, len(times) // 10)
    rate = lambda ts: sum(n for n, _ in ts) / sum(d for _, d in ts)
    print(f"{rate(times[:k]):.0f} {rate(times[-k:]):.0f} {rate(times):.0f}")
    return 0


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--port", type=int, default=8144)
    p.add_argument("--token", default="")
    sub = p.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("fsync_rate")
    s.add_argument("dir")
    s.add_argument("seconds", type=float)
    s = sub.add_parser("one")
    s.add_argument("n", type=int)
    s = sub.add_parser("concurrent")
    s.add_argument("c", type=int)
    s.add_argument("n", type=int)
    s = sub.add_parser("batch")
    s.add_argument("n", type=int)
    s.add_argument("b", type=int)
    a = p.parse_args()
    return {"fsync_rate": cmd_fsync_rate, "one": cmd_one, "concurrent": cmd_concurrent,
            "batch": cmd_batch}[a.cmd](a)


if __name__ == "__main__":
    sys.exit(main())
