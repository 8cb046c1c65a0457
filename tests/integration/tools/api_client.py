#!/usr/bin/python3
"""HTTP API test client for the Shoal integration tests (Python standard library only, plus
Debian's python3-yaml for the `openapi` command). Run inside the router namespace:

    ip netns exec NS /usr/bin/python3 api_client.py [--port P] [--token T] COMMAND [ARGS]

Commands (each prints a result and exits 0 when its own checks pass, 1 otherwise):
  early413              POST with Content-Length 1 GiB and no body: prints the status of the
                        answer that must come before the body is sent ("timeout" if none)
  raw_nul_static, raw_nul_api, raw_dotdot_static, raw_absolute_static
                        raw request lines curl cannot send; prints "STATUS BODY"
  concurrency N OPS SEED
                        N clients run OPS random route operations each (owned prefixes with an
                        exact model, contested prefixes with the add/delete alternation rule),
                        then compare the final GET /api/v1/routes with what the successful
                        answers imply; prints a JSON summary (the final table in "routes")
  add_one N             POST N routes 10.128.0.0/24 upward one by one on one keep-alive
                        connection; prints routes/s (every answer must be 201)
  add_batch N B         add N routes 10.160.0.0/24 upward in batches of B; prints routes/s
  del_batch N B BASE    delete N routes from BASE (second octet, 128 or 160) in batches of B
  add_wide N B          add N routes 11.0.0.0/24 upward (256 per /16, up to 3M) in batches
                        of B; prints routes/s
  pace RATE SECONDS PATH
                        GETs of PATH at a fixed RATE per second for SECONDS (one keep-alive
                        connection); prints the achieved requests/s
  latency SECONDS PATH  sequential GETs of PATH for SECONDS; prints "p50_ms p99_ms count"
  openapi FILE          every path and method of the OpenAPI document answers (not 404/405),
                        with a status the document lists, JSON errors, and 401 without a token
                        where the operation is secured
"""
import argparse
import http.client
import json
import random
import socket
import sys
import threading
import time
import urllib.parse

HOST = "127.0.0.1"


def conn_open(port, timeout=30):
    return http.client.HTTPConnection(HOST, port, timeout=timeout)


def request(conn, method, path, token, body=None, ctype="application/json"):
    """One request on a keep-alive connection; returns (status, headers dict, parsed body)."""
    headers = {}
    if token is not None:
        headers["Authorization"] = "Bearer " + token
    data = None
    if body is not None:
        data = body if isinstance(body, (bytes, str)) else json.dumps(body)
        if isinstance(data, str):
            data = data.encode()
        headers["Content-Type"] = ctype
    conn.request(method, path, body=data, headers=headers)
    resp = conn.getresponse()
    raw = resp.read()
    hdrs = {k.lower(): v for k, v in resp.getheaders()}
    parsed = None
    if raw:
        try:
            parsed = json.loads(raw)
        except ValueError:
            parsed = raw.decode("utf-8", "replace")
    return resp.status, hdrs, parsed


# ------------------------------------------------------------------ raw requests

def raw_exchange(port, payload, read_timeout=5.0):
    s = socket.create_connection((HOST, port), timeout=read_timeout)
    try:
        s.sendall(payload)
        chunks = []
        while True:
            try:
                b = s.recv(65536)
            except socket.timeout:
                break
            if not b:
                break
            chunks.append(b)
            if b"\r\n\r\n" in b"".join(chunks) and len(b"".join(chunks)) > 65536:
                break
        return b"".join(chunks)
    finally:
        s.close()


def status_of(resp):
    line = resp.split(b"\r\n", 1)[0].decode("latin-1")
    parts = line.split()
    if len(parts) >= 2 and parts[0].startswith("HTTP/"):
        return parts[1]
    return "none"


def cmd_early413(args):
    s = socket.create_connection((HOST, args.port), timeout=10)
    try:
        s.sendall((f"POST /api/v1/routes HTTP/1.1\r\nHost: {HOST}\r\n"
                   f"Authorization: Bearer {args.token}\r\nContent-Type: application/json\r\n"
                   f"Content-Length: {1 << 30}\r\n\r\n").encode() + b'{"prefix":')
        s.settimeout(5)
        try:
            data = s.recv(65536)
        except socket.timeout:
            print("timeout")
            return 1
        st = status_of(data)
        print(st)
        return 0 if st == "413" else 1
    finally:
        s.close()


RAW = {
    "nul_static": b"GET /index.html\x00/../../outside/secret.txt HTTP/1.1\r\nHost: x\r\n"
                  b"Connection: close\r\n\r\n",
    "nul_api": b"DELETE /api/v1/routes/10.0.1.0\x00/24 HTTP/1.1\r\nHost: x\r\n"
               b"Authorization: Bearer %TOKEN%\r\nConnection: close\r\n\r\n",
    "dotdot_static": b"GET /sub/./../.././outside/secret.txt HTTP/1.1\r\nHost: x\r\n"
                     b"Connection: close\r\n\r\n",
    "absolute_static": b"GET http://127.0.0.1/../outside/secret.txt HTTP/1.1\r\nHost: x\r\n"
                       b"Connection: close\r\n\r\n",
}


def cmd_raw(args, which):
    payload = RAW[which].replace(b"%TOKEN%", (args.token or "").encode())
    resp = raw_exchange(args.port, payload)
    body = resp.split(b"\r\n\r\n", 1)[1] if b"\r\n\r\n" in resp else b""
    print(status_of(resp), body[:300].decode("utf-8", "replace").replace("\n", " "))
    return 0


# ------------------------------------------------------------------ concurrency

CONNECTED = [
    {"prefix": "10.0.1.0/24", "next_hop": None, "interface": "lan0", "origin": "connected"},
    {"prefix": "10.0.2.0/24", "next_hop": None, "interface": "lan1", "origin": "connected"},
]
NEXT_HOPS = ["10.0.2.2", "10.0.2.3", None]  # None: on-link through lan1
CONTESTED = [f"10.200.{k}.0/24" for k in range(5)]


def route_obj(prefix, nh):
    return {"prefix": prefix, "next_hop": nh, "interface": "lan1", "origin": "static"}


def route_body(prefix, nh, with_prefix=True):
    b = {"prefix": prefix} if with_prefix else {}
    if nh is None:
        b["interface"] = "lan1"
    else:
        b["next_hop"] = nh
    return b


def prefix_key(p):
    a, ln = p.split("/")
    return tuple(int(x) for x in a.split(".")) + (int(ln),)


class Client(threading.Thread):
    def __init__(self, idx, args, seed, start_evt):
        super().__init__(daemon=True)
        self.idx, self.args, self.start_evt = idx, args, start_evt
        self.rng = random.Random(seed * 1000 + idx)
        self.owned = [f"10.100.{idx}.0/24", f"10.101.{idx}.0/24"]
        self.batch_prefixes = [f"10.102.{idx}.{q * 64}/26" for q in range(4)]
        self.model = {}  # prefix -> next hop (None = on-link) for owned and batch prefixes
        self.errors = []
        self.contested = {p: [0, 0] for p in CONTESTED}  # [adds, deletes] that succeeded
        self.unavailable = 0
        self.requests = 0

    def call(self, method, path, body=None):
        for attempt in range(3):
            try:
                st, _, b = request(self.conn, method, path, self.args.token, body)
                self.requests += 1
                return st, b
            except (http.client.HTTPException, OSError) as e:
                self.conn.close()
                self.conn = conn_open(self.args.port)
                if attempt == 2:
                    self.errors.append(f"{method} {path}: {e!r}")
                    return None, None
        return None, None

    def expect(self, what, st, want, body):
        if st == 503:
            self.unavailable += 1
            return False
        if st != want:
            self.errors.append(f"client {self.idx}: {what}: expected {want}, got {st} {body}")
            return False
        return True

    def op_owned(self):
        p = self.rng.choice(self.owned)
        nh = self.rng.choice(NEXT_HOPS)
        kind = self.rng.choice(["post", "put", "delete"])
        present = p in self.model
        if kind == "post":
            st, b = self.call("POST", "/api/v1/routes", route_body(p, nh))
            if self.expect(f"POST {p}", st, 409 if present else 201, b) and not present:
                if table_row(b) != route_obj(p, nh):
                    self.errors.append(f"POST {p} answered {b}")
                self.model[p] = nh
        elif kind == "put":
            st, b = self.call("PUT", "/api/v1/routes/" + p, route_body(p, nh, self.rng.random() < .5))
            if self.expect(f"PUT {p}", st, 200 if present else 201, b):
                self.model[p] = nh
        else:
            st, b = self.call("DELETE", "/api/v1/routes/" + p)
            if self.expect(f"DELETE {p}", st, 204 if present else 404, b) and present:
                del self.model[p]

    def op_batch(self):
        ops = []
        after = dict(self.model)
        for p in self.batch_prefixes:
            if p in after:
                ops.append({"op": "delete", "prefix": p})
                del after[p]
            else:
                nh = self.rng.choice(NEXT_HOPS)
                o = route_body(p, nh)
                o["op"] = "add"
                ops.append(o)
                after[p] = nh
        # Sometimes make the batch fail on its last op: nothing may be applied.
        fail = self.rng.random() < 0.25
        if fail:
            ops.append({"op": "delete", "prefix": f"10.103.{self.idx}.0/24"})
        st, b = self.call("POST", "/api/v1/routes:batch", {"operations": ops})
        if fail:
            self.expect("failing batch", st, 404, b)
        elif self.expect("batch", st, 200, b):
            if not isinstance(b, dict) or b.get("applied") != len(ops):
                self.errors.append(f"batch answered {b}, {len(ops)} ops")
            self.model = after

    def op_contested(self):
        p = self.rng.choice(CONTESTED)
        if self.rng.random() < 0.5:
            st, b = self.call("POST", "/api/v1/routes", route_body(p, "10.0.2.2"))
            if st == 201:
                self.contested[p][0] += 1
            elif st not in (409, 503):
                self.errors.append(f"contested POST {p}: {st} {b}")
        else:
            st, b = self.call("DELETE", "/api/v1/routes/" + p)
            if st == 204:
                self.contested[p][1] += 1
            elif st not in (404, 503):
                self.errors.append(f"contested DELETE {p}: {st} {b}")
        if st == 503:
            self.unavailable += 1

    def run(self):
        self.conn = conn_open(self.args.port)
        self.start_evt.wait()
        try:
            for _ in range(self.args.ops):
                r = self.rng.random()
                if r < 0.45:
                    self.op_owned()
                elif r < 0.6:
                    self.op_batch()
                else:
                    self.op_contested()
        except Exception as e:  # report, never hang the test
            self.errors.append(f"client {self.idx} crashed: {e!r}")
        finally:
            self.conn.close()


def cmd_concurrency(args):
    start_evt = threading.Event()
    clients = [Client(i, args, args.seed, start_evt) for i in range(args.clients)]
    for c in clients:
        c.start()
    t0 = time.monotonic()
    start_evt.set()
    for c in clients:
        c.join(timeout=240)
    elapsed = time.monotonic() - t0
    problems = [f"client {c.idx} still running" for c in clients if c.is_alive()]
    for c in clients:
        problems += c.errors
    conn = conn_open(args.port)
    st, _, final = request(conn, "GET", "/api/v1/routes", args.token)
    if st != 200:
        problems.append(f"final GET /api/v1/routes: {st} {final}")
        final = {"routes": []}
    routes = [table_row(r) for r in final["routes"]]
    expected = list(CONNECTED)
    for c in clients:
        expected += [route_obj(p, nh) for p, nh in c.model.items()]
    contested_present = []
    for p in CONTESTED:
        adds = sum(c.contested[p][0] for c in clients)
        dels = sum(c.contested[p][1] for c in clients)
        if adds - dels not in (0, 1):
            problems.append(f"{p}: {adds} successful adds and {dels} successful deletes")
        if adds - dels == 1:
            contested_present.append(p)
            expected.append(route_obj(p, "10.0.2.2"))
    expected.sort(key=lambda r: prefix_key(r["prefix"]))
    keys = [prefix_key(r["prefix"]) for r in routes]
    if keys != sorted(keys):
        problems.append("final table not sorted by (prefix, length)")
    got = sorted(routes, key=lambda r: prefix_key(r["prefix"]))
    if got != expected:
        gs = {json.dumps(r, sort_keys=True) for r in got}
        es = {json.dumps(r, sort_keys=True) for r in expected}
        problems.append(f"final table differs: unexpected {sorted(gs - es)[:10]}, "
                        f"missing {sorted(es - gs)[:10]}")
    summary = {
        "clients": args.clients, "ops_per_client": args.ops,
        "requests": sum(c.requests for c in clients), "seconds": round(elapsed, 2),
        "unavailable_503": sum(c.unavailable for c in clients),
        "final_routes": len(routes), "contested_present": contested_present,
        "problems": problems[:40], "routes": routes,
    }
    print(json.dumps(summary))
    return 0 if not problems else 1


# ------------------------------------------------------------------ OpenAPI walk

METHODS = ["get", "post", "put", "patch", "delete"]
PARAM_VALUES = [  # (path contains, parameter name contains, value), first match wins
    ("/routes/", "len", "24"), ("/routes/", "", "10.0.9.0"), ("/arp/", "", "10.0.2.50"),
    ("/plugins/", "", "example"), ("", "plugin", "example"), ("", "subpath", "stats"),
    ("", "interface", "lan1"), ("/port-forwards/", "protocol", "udp"),
    ("/port-forwards/", "port", "5353"),
]
QUERY_VALUES = {"address": "10.0.9.1", "prefix": "10.0.0.0/8", "interface": "lan1"}


def param_value(path, name):
    for psub, nsub, v in PARAM_VALUES:
        if psub in path and nsub in name.lower():
            return v
    return None


def is_mount(path):
    return path.startswith("/api/v1/{plugin}")


def op_order(o):
    """POSTs on collections first (they create what the others use), then the other reads and
    writes and the plugin mount, then item DELETEs, then collection DELETEs."""
    path, m = o[0], o[1]
    if is_mount(path):
        return (1, path, m)
    if m == "post" and "{" not in path:
        return (0, path, m)
    if m != "delete":
        return (1, path, m)
    return (2 if "{" in path else 3, path, m)


def body_for(path, method):
    if path.endswith("routes:batch"):
        return {"operations": [{"op": "add", "prefix": "10.0.7.0/24", "next_hop": "10.0.2.2"},
                               {"op": "delete", "prefix": "10.0.7.0/24"}]}
    if path.endswith("/routes") and method == "post":
        return {"prefix": "10.0.9.0/24", "next_hop": "10.0.2.2"}
    if "/routes/" in path and method == "put":
        return {"next_hop": "10.0.2.2"}
    if path.endswith("/arp") and method == "post":
        return {"ip": "10.0.2.50", "mac": "02:00:00:00:00:50"}
    if path.endswith("/plugins") and method == "post":
        return {"name": "example", "config": {}}
    if path.endswith("/nat/port-forwards") and method == "post":
        return {"protocol": "udp", "outside_port": 5353, "inside": "10.0.1.2:53"}
    return {}


def resolve(doc, obj):
    while isinstance(obj, dict) and "$ref" in obj:
        ref = obj["$ref"]
        node = doc
        for part in ref.lstrip("#/").split("/"):
            node = node[part.replace("~1", "/").replace("~0", "~")]
        obj = node
    return obj


def table_row(r):
    """A route as the table holds it: without its traffic counters (packets, bytes)."""
    if not isinstance(r, dict):
        return r
    return {k: v for k, v in r.items() if k not in ("packets", "bytes")}


def cmd_openapi(args):
    import yaml  # Debian python3-yaml
    with open(args.file) as f:
        doc = yaml.safe_load(f)
    problems = []
    if not str(doc.get("openapi", "")).startswith("3.1"):
        problems.append(f"openapi version is {doc.get('openapi')!r}, not 3.1.x")
    servers = doc.get("servers") or [{"url": ""}]
    base = urllib.parse.urlparse(servers[0].get("url", "")).path.rstrip("/")
    global_security = doc.get("security")
    ops = []
    conn = conn_open(args.port)
    st, _, b = request(conn, "GET", base.rstrip("/") + "/api/v1/plugins", args.token, None)
    loaded = {p["name"] for p in (b or {}).get("plugins", [])} if st == 200 else set()
    not_loaded = 0
    for path, item in (doc.get("paths") or {}).items():
        item = resolve(doc, item)
        plugin = item.get("x-shoal-plugin")
        if args.plugin and plugin != args.plugin:
            continue
        if plugin and plugin not in loaded:  # served by a plugin this shoald has not loaded
            not_loaded += sum(1 for m in METHODS if m in item)
            continue
        for m in METHODS:
            if m in item:
                ops.append((path, m, resolve(doc, item[m]), item.get("parameters", [])))
    if not ops:
        problems.append("no operations in the document")
    ops.sort(key=op_order)
    lines = [f"# {not_loaded} operations of plugins not loaded here (x-shoal-plugin) left out; "
             f"loaded: {sorted(loaded)}"]
    for path, m, op, common in ops:
        url = base.rstrip("/") + path
        query = []
        unknown = False
        for prm in list(common) + list(op.get("parameters", [])):
            prm = resolve(doc, prm)
            if prm.get("in") == "path":
                v = param_value(path, prm["name"])
                if v is None:
                    ex = prm.get("example", (prm.get("schema") or {}).get("example"))
                    v = str(ex) if ex is not None else None
                if v is None:
                    unknown = True
                    problems.append(f"{m.upper()} {path}: no value for path parameter {prm['name']}")
                    continue
                url = url.replace("{" + prm["name"] + "}", v)
            elif prm.get("in") == "query" and prm.get("required"):
                query.append(f"{prm['name']}={QUERY_VALUES.get(prm['name'], 'x')}")
        if unknown:
            continue
        if "{" in url:
            problems.append(f"{m.upper()} {path}: unresolved template in {url}")
            continue
        if query:
            url += "?" + "&".join(query)
        body = body_for(path, m) if m in ("post", "put", "patch") else None
        try:
            st, hdrs, b = request(conn, m.upper(), url, args.token, body)
        except (http.client.HTTPException, OSError) as e:
            conn.close()
            conn = conn_open(args.port)
            problems.append(f"{m.upper()} {url}: {e!r}")
            continue
        documented = {str(k) for k in (op.get("responses") or {})}
        lines.append(f"{m.upper()} {url} -> {st}")
        if is_mount(path):
            # The plugin's own answer: the example plugin serves GET stats only.
            if m == "get" and st != 200:
                problems.append(f"GET {url} (plugin mount): {st} {b}")
            if st == 404 and isinstance(b, dict) and \
                    b.get("error", {}).get("code") == "plugin_not_found":
                problems.append(f"{m.upper()} {url}: the mount did not reach the plugin: {b}")
        else:
            if st in (404, 405):
                problems.append(f"{m.upper()} {url} (documented {path}): {st} {b}")
            if str(st) not in documented and f"{str(st)[0]}XX" not in documented \
                    and "default" not in documented:
                problems.append(f"{m.upper()} {path}: status {st} not among documented "
                                f"{sorted(documented)}")
        if b is not None and not hdrs.get("content-type", "").startswith(("application/json", "text/")):
            problems.append(f"{m.upper()} {url}: Content-Type {hdrs.get('content-type')}")
        if st >= 400 and not (isinstance(b, dict) and "error" in b):
            problems.append(f"{m.upper()} {url}: error without an error object: {b}")
        security = op.get("security", global_security)
        if security:  # a non-empty list: the operation needs the token
            st2, _, b2 = request(conn, m.upper(), url, None, body)
            if st2 != 401:
                problems.append(f"{m.upper()} {url} without a token: {st2}, not 401")
    print(json.dumps({"operations": len(ops), "answers": lines, "problems": problems}, indent=1))
    return 0 if not problems else 1


# ------------------------------------------------------------------ benchmark helpers

def nth_prefix(base, i):
    return f"10.{base + (i >> 8)}.{i & 255}.0/24"


def cmd_add_one(args):
    conn = conn_open(args.port)
    t0 = time.monotonic()
    for i in range(args.n):
        st, _, b = request(conn, "POST", "/api/v1/routes", args.token,
                           {"prefix": nth_prefix(128, i), "next_hop": "10.0.2.2"})
        if st != 201:
            print(f"POST {nth_prefix(128, i)}: {st} {b}", file=sys.stderr)
            return 1
    dt = time.monotonic() - t0
    print(f"{args.n / dt:.1f}")
    return 0


def nth_wide(i):
    return f"{11 + (i >> 16)}.{(i >> 8) & 255}.{i & 255}.0/24"


def batches(args, base, op, prefix=None):
    prefix = prefix or (lambda i: nth_prefix(base, i))
    conn = conn_open(args.port)
    t0 = time.monotonic()
    for start in range(0, args.n, args.b):
        ops = []
        for i in range(start, min(args.n, start + args.b)):
            o = {"op": op, "prefix": prefix(i)}
            if op == "add":
                o["next_hop"] = "10.0.2.2"
            ops.append(o)
        st, _, b = request(conn, "POST", "/api/v1/routes:batch", args.token, {"operations": ops})
        if st != 200:
            print(f"batch at {start}: {st} {str(b)[:300]}", file=sys.stderr)
            return 1
    dt = time.monotonic() - t0
    print(f"{args.n / dt:.1f}")
    return 0


def cmd_pace(args):
    conn = conn_open(args.port)
    n = 0
    t0 = time.monotonic()
    end = t0 + args.seconds
    while True:
        now = time.monotonic()
        if now >= end:
            break
        due = t0 + n / args.rate
        if due > now:
            time.sleep(due - now)
        st, _, _ = request(conn, "GET", args.path, args.token)
        if st != 200:
            print(f"GET {args.path}: {st}", file=sys.stderr)
            return 1
        n += 1
    print(f"{n / (time.monotonic() - t0):.1f}")
    return 0


def cmd_latency(args):
    conn = conn_open(args.port)
    lat = []
    end = time.monotonic() + args.seconds
    while time.monotonic() < end:
        t = time.monotonic()
        st, _, _ = request(conn, "GET", args.path, args.token)
        lat.append(time.monotonic() - t)
        if st != 200:
            print(f"GET {args.path}: {st}", file=sys.stderr)
            return 1
    lat.sort()
    p = lambda q: lat[min(len(lat) - 1, int(q * len(lat)))] * 1000
    print(f"{p(0.5):.3f} {p(0.99):.3f} {len(lat)}")
    return 0


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--port", type=int, default=8144)
    ap.add_argument("--token", default=None)
    sub = ap.add_subparsers(dest="cmd", required=True)
    sub.add_parser("early413")
    for k in RAW:
        sub.add_parser("raw_" + k)
    c = sub.add_parser("concurrency")
    c.add_argument("clients", type=int)
    c.add_argument("ops", type=int)
    c.add_argument("seed", type=int)
    a = sub.add_parser("add_one")
    a.add_argument("n", type=int)
    a = sub.add_parser("add_batch")
    a.add_argument("n", type=int)
    a.add_argument("b", type=int)
    a = sub.add_parser("add_wide")
    a.add_argument("n", type=int)
    a.add_argument("b", type=int)
    a = sub.add_parser("del_batch")
    a.add_argument("n", type=int)
    a.add_argument("b", type=int)
    a.add_argument("base", type=int)
    a = sub.add_parser("pace")
    a.add_argument("rate", type=float)
    a.add_argument("seconds", type=float)
    a.add_argument("path")
    a = sub.add_parser("latency")
    a.add_argument("seconds", type=float)
    a.add_argument("path")
    o = sub.add_parser("openapi")
    o.add_argument("file")
    o.add_argument("--plugin", help="walk only the operations marked x-shoal-plugin: PLUGIN")
    args = ap.parse_args()
    if args.cmd == "early413":
        return cmd_early413(args)
    if args.cmd.startswith("raw_"):
        return cmd_raw(args, args.cmd[4:])
    if args.cmd == "add_one":
        return cmd_add_one(args)
    if args.cmd == "add_batch":
        return batches(args, 160, "add")
    if args.cmd == "add_wide":
        return batches(args, 0, "add", nth_wide)
    if args.cmd == "del_batch":
        return batches(args, args.base, "delete")
    if args.cmd == "pace":
        return cmd_pace(args)
    if args.cmd == "latency":
        return cmd_latency(args)
    if args.cmd == "concurrency":
        return cmd_concurrency(args)
    return cmd_openapi(args)


if __name__ == "__main__":
    sys.exit(main())
