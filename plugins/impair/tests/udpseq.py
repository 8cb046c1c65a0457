#!/usr/bin/env python3
"""Numbered UDP datagrams for the impair test, and the impair plugin's decision model.

  send HOST PORT N            N datagrams "seq:<i>" (i = 0..N-1), paced by a 1 ms gap
  recv PORT N TIMEOUT         prints the sorted received sequence numbers (comma-separated)
                              once N arrived or TIMEOUT seconds passed without traffic
  recvseq PORT QUIET          prints the received sequence numbers in arrival order,
                              duplicates included, once QUIET seconds passed without traffic
  model SEED PCT N            the indices the plugin's generator (xorshift64*, seeded) drops
                              when each datagram takes one draw with probability PCT percent
  model_held SEED SKIP LOSS DUP REORDER N
                              the arrival order the plugin gives N datagrams on a direction
                              with loss, duplicate and reorder percent and a delay longer than
                              the whole send (after SKIP earlier draws of the generator): the
                              duplicates and the reordered ones at once, in sending order,
                              then the delayed ones in sending order; then a line
                              "lost duplicated reordered delayed" counts
"""
import socket
import sys
import time

M64 = (1 << 64) - 1


class Rng:
    """impair.c's xorshift64* and impair_chance (no draw for a zero percentage)."""

    def __init__(self, seed):
        self.x = seed if seed else 0x9E3779B97F4A7C15

    def next(self):
        x = self.x
        x ^= x >> 12
        x ^= (x << 25) & M64
        x ^= x >> 27
        self.x = x
        return (x * 0x2545F4914F6CDD1D) & M64

    def chance(self, pct):
        if pct <= 0:
            return False
        return (self.next() >> 11) * (1.0 / 9007199254740992.0) * 100.0 < pct


def model(seed, pct, n):
    rng = Rng(seed)
    return [i for i in range(n) if rng.chance(pct)]


def model_held(seed, skip, loss, dup, reorder, n):
    """impair_step's draws per datagram: loss, (corrupt 0: none), duplicate, reorder."""
    rng = Rng(seed)
    for _ in range(skip):
        rng.next()
    early, late = [], []
    counts = [0, 0, 0, 0]
    for i in range(n):
        if rng.chance(loss):
            counts[0] += 1
            continue
        if rng.chance(dup):
            counts[1] += 1
            early.append(i)  # the copy goes back at once
        if rng.chance(reorder):
            counts[2] += 1
            early.append(i)  # skips the delay
        else:
            counts[3] += 1
            late.append(i)
    return early + late, counts


def main():
    cmd = sys.argv[1]
    if cmd == "send":
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        for i in range(int(sys.argv[4])):
            s.sendto(b"seq:%d" % i, (sys.argv[2], int(sys.argv[3])))
            time.sleep(0.001)  # pacing between datagrams, not a readiness wait
        return 0
    if cmd == "recv":
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.bind(("0.0.0.0", int(sys.argv[2])))
        s.settimeout(float(sys.argv[4]))
        print("ready", file=sys.stderr, flush=True)
        got = set()
        try:
            while len(got) < int(sys.argv[3]):
                d, _ = s.recvfrom(100)
                got.add(int(d.split(b":")[1]))
        except socket.timeout:
            pass
        print(",".join(str(i) for i in sorted(got)))
        return 0
    if cmd == "recvseq":
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.bind(("0.0.0.0", int(sys.argv[2])))
        s.settimeout(float(sys.argv[3]))
        print("ready", file=sys.stderr, flush=True)
        got = []
        try:
            while True:
                d, _ = s.recvfrom(100)
                got.append(int(d.split(b":")[1]))
        except socket.timeout:
            pass
        print(",".join(str(i) for i in got))
        return 0
    if cmd == "model_held":
        a = sys.argv
        order, counts = model_held(int(a[2]), int(a[3]), float(a[4]), float(a[5]),
                                   float(a[6]), int(a[7]))
        print(",".join(str(i) for i in order))
        print(" ".join(str(c) for c in counts))
        return 0
    if cmd == "model":
        n = int(sys.argv[4])
        lost = set(model(int(sys.argv[2]), float(sys.argv[3]), n))
        print(",".join(str(i) for i in range(n) if i not in lost))
        return 0
    return 2


if __name__ == "__main__":
    sys.exit(main())
