#!/usr/bin/env python3
"""Writes the seed corpora of tests/fuzz/corpus/<target>/seed-* (deterministic; rerun after
changing a harness's input format). Regression inputs (regress-*) are added by hand."""
import json, os, struct, sys

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus")

def csum(b):
    if len(b) % 2: b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16: s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff

def ip(a): return bytes(int(x) for x in a.split("."))

def ipv4(src, dst, proto, payload, opts=b"", ttl=64, ident=1, flags=0):
    ihl = 5 + len(opts) // 4
    h = struct.pack("!BBHHHBBH4s4s", 0x40 | ihl, 0, ihl * 4 + len(payload), ident, flags, ttl,
                    proto, 0, ip(src), ip(dst)) + opts
    h = h[:10] + struct.pack("!H", csum(h)) + h[12:]
    return h + payload

def icmp(t, c, rest, data):
    m = struct.pack("!BBHI", t, c, 0, rest) + data
    return m[:2] + struct.pack("!H", csum(m)) + m[4:]

def pseudo(src, dst, proto, n): return ip(src) + ip(dst) + struct.pack("!BBH", 0, proto, n)

def udp(src, dst, sp, dp, payload, zero=False):
    u = struct.pack("!HHHH", sp, dp, 8 + len(payload), 0) + payload
    if not zero:
        c = csum(pseudo(src, dst, 17, len(u)) + u) or 0xffff
        u = u[:6] + struct.pack("!H", c) + u[8:]
    return u

def tcp(src, dst, flags, opts=b"", payload=b"", seq=1000, ack=0, dport=80):
    while len(opts) % 4: opts += b"\0"
    off = (20 + len(opts)) // 4
    t = struct.pack("!HHIIBBHHH", 40000, dport, seq, ack, off << 4, flags, 65535, 0, 0) + opts + payload
    c = csum(pseudo(src, dst, 6, len(t)) + t)
    return t[:16] + struct.pack("!H", c) + t[18:]

MAC_A = bytes.fromhex("020000000101")
MAC_B = bytes.fromhex("020000000202")
BCAST = b"\xff" * 6

def arp(op, smac, sip, tmac, tip):
    return struct.pack("!HHBBH6s4s6s4s", 1, 0x0800, 6, 4, op, smac, ip(sip), tmac, ip(tip))

def eth(dst, src, et, payload): return dst + src + struct.pack("!H", et) + payload

seeds = {}
def add(target, name, data):
    seeds.setdefault(target, []).append((name, data if isinstance(data, bytes) else data.encode()))

# --- wire formats
ping = ipv4("10.0.1.2", "10.0.2.2", 1, icmp(8, 0, 0x12340001, b"abcdefgh"))
add("eth", "ipv4", eth(MAC_A, MAC_B, 0x0800, ping))
add("eth", "arp", eth(BCAST, MAC_B, 0x0806, arp(1, MAC_B, "10.0.1.2", b"\0" * 6, "10.0.1.1")))
add("eth", "short", MAC_A + MAC_B + b"\x08")
add("eth", "mac-text", "02:00:00:00:01:0A")
add("arp", "request", arp(1, MAC_B, "10.0.1.2", b"\0" * 6, "10.0.1.1"))
add("arp", "reply-padded", arp(2, MAC_A, "10.0.1.1", MAC_B, "10.0.1.2") + b"\0" * 18)
add("arp", "bad-hlen", arp(1, MAC_B, "10.0.1.2", b"\0" * 6, "10.0.1.1")[:4] + b"\x08\x04" + b"\0" * 22)
add("ipv4", "plain", ping)
add("ipv4", "opt-rr", ipv4("10.0.1.2", "10.0.2.2", 17, b"x" * 8, opts=bytes([7, 11, 4]) + b"\0" * 8 + b"\1"))
add("ipv4", "opt-lsrr", ipv4("10.0.1.2", "10.0.2.2", 17, b"", opts=bytes([131, 11, 4]) + ip("10.0.1.1") + ip("10.0.2.2") + b"\1"))
add("ipv4", "opt-ssrr", ipv4("10.0.1.2", "10.0.2.2", 6, b"", opts=bytes([137, 7, 4]) + ip("10.0.2.2") + b"\0"))
add("ipv4", "opt-ts", ipv4("10.0.1.2", "10.0.2.2", 1, b"", opts=bytes([68, 12, 5, 0]) + b"\0" * 8))
add("ipv4", "opt-ra-nop-eol", ipv4("10.0.1.2", "224.0.0.22", 2, b"", opts=bytes([148, 4, 0, 0, 1, 1, 0, 0])))
add("ipv4", "opt-max", ipv4("10.0.1.2", "10.0.2.2", 17, b"", opts=bytes([7, 39, 4]) + b"\0" * 36 + b"\0"))
add("ipv4", "frag-ttl0", ipv4("10.0.1.2", "10.0.2.2", 17, b"y" * 16, ttl=0, flags=0x2001))
add("ipv4", "text-addr", "10.0.1.1")
add("ipv4", "text-prefix", "10.2.0.0/16")
add("ipv4", "text-default", "0.0.0.0/0")
add("icmp", "echo", icmp(8, 0, 0x12340001, b"abcdefgh"))
add("icmp", "frag-needed", icmp(3, 4, 1400, ping[:28]))
add("icmp", "build-error", bytes([3, 4, 0x05, 0xdc]) + ping)
add("icmp", "build-error-opts", bytes([11, 0, 0, 0]) + ipv4("10.0.1.2", "10.0.2.2", 17, b"z" * 20, opts=b"\1\1\1\0"))
add("udp", "dns", ip("10.0.1.2") + ip("10.0.2.2") + udp("10.0.1.2", "10.0.2.2", 5353, 53, b"\x12\x34\x01\x00" + b"\0" * 8))
add("udp", "no-checksum", ip("10.0.1.2") + ip("10.0.2.2") + udp("10.0.1.2", "10.0.2.2", 1, 2, b"hello", zero=True))
add("udp", "padded", ip("10.0.1.2") + ip("10.0.2.2") + udp("10.0.1.2", "10.0.2.2", 7, 7, b"") + b"\0" * 6)
syn_opts = bytes([2, 4, 0x05, 0xb4, 4, 2, 8, 10]) + struct.pack("!II", 1, 0) + bytes([1, 3, 3, 7])
add("tcp", "syn", ip("10.0.1.2") + ip("10.0.2.2") + tcp("10.0.1.2", "10.0.2.2", 0x02, syn_opts))
add("tcp", "data", ip("10.0.1.2") + ip("10.0.2.2") + tcp("10.0.1.2", "10.0.2.2", 0x18, bytes([1, 1, 8, 10]) + struct.pack("!II", 5, 6), b"GET / HTTP/1.1\r\n\r\n", ack=1))
add("tcp", "sack", ip("10.0.1.2") + ip("10.0.2.2") + tcp("10.0.1.2", "10.0.2.2", 0x10, bytes([1, 1, 5, 10]) + struct.pack("!II", 100, 200), ack=50))
add("tcp", "unknown-opt", ip("10.0.1.2") + ip("10.0.2.2") + tcp("10.0.1.2", "10.0.2.2", 0x11, bytes([30, 6, 1, 2, 3, 4, 0])))

# --- netif operation stream (see fuzz_netif.c for the encoding)
RECV_ARP, RECV_IP, RECV_RAW, SEND, SEND_INPLACE, TICK, STATIC, DELETE, FLUSH, POP = range(10)
ZC = 0x80
def op(code, *args): return bytes([code]) + bytes(args)
def tick(ms): return bytes([TICK]) + struct.pack("!H", ms)
# send to .2 (ARP request, queued), .2 answers (queue flushed), send again (direct)
resolve = (op(SEND, 2, 10) + op(SEND, 2, 20) + op(RECV_ARP, 0x80 | 1, 2, 0, 2, 2)
           + op(SEND, 2, 30) + op(SEND_INPLACE, 2, 250))
add("netif", "resolve", resolve)
# queue until full, time out, re-request
add("netif", "timeout", op(SEND, 3, 1) * 5 + op(SEND, 4, 1) * 4 + tick(1500) + op(SEND, 3, 1) + tick(4000) + tick(4000))
# learn, age out, statics, delete, flush
add("netif", "cache", op(RECV_ARP, 1, 3, 5, 5, 7) + op(RECV_ARP, 0x80 | 2, 4, 6, 6, 0x80)
    + op(STATIC, 9, 3) + op(STATIC, 5, 4) + op(DELETE, 6) + tick(5000) + op(FLUSH)
    + op(SEND, 9, 5) + op(DELETE, 9))
# receive datagrams (copy and zero-copy), overflow the rx queue, pop, raw junk
add("netif", "receive", op(RECV_IP, 0, 1, 10) * 5 + op(RECV_IP | ZC, 1, 1, 90) + op(POP) * 2
    + op(RECV_RAW, 20) + bytes(20) + op(RECV_IP, 0x40, 2, 100))
# fill the cache with pending entries
add("netif", "pending-flood", b"".join(op(SEND, i, 1) for i in range(16)) + op(RECV_ARP, 0, 7, 1, 15, 15))

# --- configuration
full = {"interfaces": [
            {"name": "lan0", "kind": "tap", "address": "10.0.1.1/24", "mac": "02:00:00:00:01:01", "mtu": 1500, "offload": True},
            {"name": "lan1", "kind": "tap", "address": "10.0.2.1/24"},
            {"name": "up0", "kind": "tun", "address": "169.254.144.2/30", "mtu": 9000, "offload": False}],
        "routes": [{"prefix": "0.0.0.0/0", "next_hop": "169.254.144.1", "interface": "up0"},
                   {"prefix": "10.9.0.0/16", "next_hop": "10.0.2.7"},
                   {"prefix": "10.8.0.0/16", "interface": "lan1"}],
        "plugins": [{"name": "example", "config": {"label": "x", "drop_protocol": 17}}],
        "plugin_dir": "/usr/lib/shoal/plugins",
        "api": {"listen": "127.0.0.1:8144", "token_file": "/var/lib/shoal/api.token"},
        "state_dir": "/var/lib/shoal", "web_dir": "/usr/share/shoal/web",
        "icmp": {"rate_per_s": 1000, "burst": 50}}
add("config", "full", json.dumps(full, indent=1))
add("config", "minimal", json.dumps({"interfaces": [{"name": "lan0", "kind": "tap", "address": "10.0.1.1/24"}]}))
bad = json.loads(json.dumps(full))
bad["interfaces"][1]["address"] = "10.0.1.300/24"
bad["routes"].append({"prefix": "10.9.1.0/16", "next_hop": "10.0.1.1"})
bad["extra"] = 1
add("config", "errors", json.dumps(bad))

# --- state.json import
state = {"version": 1,
         "routes": [{"prefix": "10.2.0.0/16", "next_hop": "10.0.1.2", "interface": "lan0"},
                    {"prefix": "10.3.0.0/16", "next_hop": "10.0.1.3"},
                    {"prefix": "0.0.0.0/0", "interface": "up0"}],
         "deleted_routes": ["10.9.0.0/16"],
         "arp": [{"interface": "lan0", "ip": "10.0.1.5", "mac": "02:00:00:00:00:05"}]}
add("state", "full", json.dumps(state, indent=2) + "\n")
add("state", "empty", '{"version": 1}')

# --- API request targets
for i, t in enumerate(["/api/v1/health", "/api/v1/routes?prefix=10.0.0.0%2F8",
                       "/api/v1/routes/10.2.0.0/16", "/api/v1/routes/10.2.3.0%2F16",
                       "/api/v1/routes:batch", "/api/v1/routes/lookup?address=10.2.3.4",
                       "/api/v1/arp?interface=lan0", "/api/v1/arp/10.0.1.5?interface=lan0",
                       "/api/v1/plugins/example", "/api/v1/example/stats?x=1&y=a+b",
                       "/index.html", "/css/app.css", "/../etc/passwd", "/out", "/api/v2/x",
                       "/api/v1/arp/%c3%a9%c3", "/a%2"]):
    add("api_target", "t%02d" % i, t)

# --- API bodies: selector byte (0 route POST, 1 route PUT, 2 batch, 3 ARP, 4 plugin) + body
def body(sel, obj): return bytes([sel]) + (obj if isinstance(obj, str) else json.dumps(obj)).encode()
add("api_body", "route-post", body(0, {"prefix": "10.2.0.0/16", "next_hop": "10.0.1.2", "interface": "lan0"}))
add("api_body", "route-put", body(1, {"next_hop": "10.0.1.2", "interface": None}))
add("api_body", "batch", body(2, {"operations": [{"op": "add", "prefix": "10.2.0.0/16", "next_hop": "10.0.1.2"},
                                                  {"op": "put", "prefix": "10.3.0.0/16", "interface": "lan1"},
                                                  {"op": "delete", "prefix": "10.4.0.0/16"}]}))
add("api_body", "arp", body(3, {"ip": "10.0.1.5", "mac": "02:00:00:00:00:05", "interface": "lan0"}))
add("api_body", "plugin", body(4, {"name": "example", "config": {"drop_protocol": 17, "label": "é"}}))
add("api_body", "bad-utf8-cut", body(0, {"prefix": "10.2.0.0/16", "next_hop": "é" * 40}))
add("api_body", "dup-key", body(3, '{"ip":"10.0.1.5","ip":"10.0.1.6","mac":"02:00:00:00:00:05"}'))

# --- plugin example: method byte, config \0 subpath \0 body
add("plugin_example", "stats", b"\0" + b'{"label":"fuzz","drop_protocol":17}' + b"\0stats\0" + ping)
add("plugin_example", "post", b"\1{}\0stats\0{}")
add("plugin_example", "bad-config", b"\0" + b'{"drop_protocol":"x"}' + b"\0\0")
add("plugin_example", "other", b"\2" + b'{"drop_protocol":1}' + b"\0nope/x\0" + ping)

# --- plugin nat (the harness offers lan0 10.0.1.1/24 and lan1 192.0.2.1/24)
nat_cfg = (b'{"outside":["lan1"],"max_sessions":64,"max_sessions_per_host":8,'
           b'"port_forwards":[{"protocol":"tcp","outside_port":8080,"inside":"10.0.1.2:80"}]}')
add("plugin_nat", "summary", b"\0" + nat_cfg + b"\0\0" + ping)
add("plugin_nat", "sessions", b"\0" + nat_cfg + b"\0sessions\0" + ping)
add("plugin_nat", "forward-post", b"\1" + nat_cfg +
    b'\0port-forwards\0{"protocol":"udp","outside_port":53,"inside":"10.0.1.3:53"}')
add("plugin_nat", "forward-delete", b"\3" + nat_cfg + b"\0port-forwards/tcp/8080\0")
add("plugin_nat", "bad-config", b"\0" + b'{"outside":["wan9"]}' + b"\0\0")
add("plugin_nat", "sessions-query", b"\0" + nat_cfg + b"\0sessions?protocol=icmp&limit=2&inside=10.0.1.2\0" + ping)
# control byte 0x80: the harness makes the datagram's lengths and checksums right (here a UDP
# datagram whose checksum the seed leaves wrong)
add("plugin_nat", "fix-csum-udp", b"\x80" + nat_cfg + b"\0\0" +
    ipv4("10.0.1.2", "198.51.100.7", 17, struct.pack("!HHHH", 5000, 53, 12, 0) + b"abcd"))

# --- plugin tcp: listeners on the router's 10.0.1.1 (the proxy's socket lives in the harness's
# own empty network namespace)
tcp_cfg = (b'{"listen":[{"port":7,"service":"echo"},{"port":9,"service":"discard"},'
           b'{"port":19,"service":"chargen"},{"port":80,"service":"proxy","to":"127.0.0.1:8144"}],'
           b'"max_connections":16,"syn_backlog":4}')
add("plugin_tcp", "syn-echo", b"\0" + tcp_cfg + b"\0\0" +
    ipv4("10.0.1.2", "10.0.1.1", 6, tcp("10.0.1.2", "10.0.1.1", 0x02, syn_opts, dport=7)))
add("plugin_tcp", "syn-proxy", b"\0" + tcp_cfg + b"\0connections\0" +
    ipv4("10.0.1.2", "10.0.1.1", 6, tcp("10.0.1.2", "10.0.1.1", 0x02, syn_opts)))
add("plugin_tcp", "ack-closed", b"\x80" + tcp_cfg + b"\0\0" +
    ipv4("10.0.1.2", "10.0.1.1", 6, tcp("10.0.1.2", "10.0.1.1", 0x18, payload=b"hi", dport=25)))
add("plugin_tcp", "bad-config", b"\0" + b'{"listen":[{"port":0,"service":"echo"}]}' + b"\0\0")

# --- plugin stats
stats_cfg = b'{"history_s":10,"route_metrics":"top:5","metrics_auth":false,"runtime":true}'
add("plugin_stats", "summary", b"\0" + stats_cfg + b"\0\0")
add("plugin_stats", "history", b"\0" + stats_cfg + b"\0history?interface=lan0&seconds=5\0")
add("plugin_stats", "runtime-put", b"\2" + stats_cfg + b'\0runtime\0{"enabled":false}')
add("plugin_stats", "bad-config", b"\0" + b'{"history_s":0}' + b"\0\0")

# --- plugin impair: held datagrams come back through the harness's timers
impair_cfg = (b'{"seed":7,"queue_max":8,"interfaces":{"lan0":{"ingress":{"loss":10,"reorder":5,'
              b'"delay_ms":20}},"lan1":{"egress":{"delay_ms":20,"jitter_ms":2,"duplicate":10,'
              b'"corrupt":10,"rate_bps":1000000}}}}')
add("plugin_impair", "summary", b"\0" + impair_cfg + b"\0\0" + ping)
add("plugin_impair", "interface", b"\0" + impair_cfg + b"\0lan1\0" + ping)
add("plugin_impair", "put", b"\2" + impair_cfg + b'\0lan0\0{"egress":{"loss":1,"delay_ms":5}}')
add("plugin_impair", "bad-config", b"\0" + b'{"interfaces":{"eth9":{}}}' + b"\0\0")

for target, items in seeds.items():
    d = os.path.join(OUT, target)
    os.makedirs(d, exist_ok=True)
    for name, data in items:
        with open(os.path.join(d, "seed-" + name), "wb") as f:
            f.write(data)
total = sum(len(x) for items in seeds.values() for _, x in items)
print("wrote %d seeds, %d bytes" % (sum(len(v) for v in seeds.values()), total), file=sys.stderr)
