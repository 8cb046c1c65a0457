#!/usr/bin/env python3
"""Numbered UDP datagrams for the impair test, and the impair plugin's decision model.

  send HOST PORT N            N datagrams "seq:<i>" (i = 0..N-1), paced by a 1 ms gap
  recv PORT N TIMEOUT         prints the sorted received sequence numbers (comma-separated)
                              once N arrived or TIMEOUT seconds passed without traffic
  model SEED PCT N            the indices the plugin's generator (xorshift64*, seeded) drops
                              when each datagram takes one draw with probability PCT percent
"""
import socket
import sys
import time

M64 = (1 << 64) - 1


def model(seed, pct, n):
    x = seed if seed else 0x9E3779B97F4A7C15
    lost = []
    for i in range(n):
        x ^= x >> 12
        x ^= (x << 25) & M64
        x ^= x >> 27
        r = (x * 0x2545F4914F6CDD1D) & M64
        if (r >> 11) * (1.0 / 9007199254740992.0) * 100.0 < pct:
            lost.append(i)
    return lost


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
    if cmd == "model":
        n = int(sys.argv[4])
        lost = set(model(int(sys.argv[2]), float(sys.argv[3]), n))
        print(",".join(str(i) for i in range(n) if i not in lost))
        return 0
    return 2


if __name__ == "__main__":
    sys.exit(main())
