#!/usr/bin/python3
"""Drives the dashboard (web/) in Debian's headless Chromium through chromium-driver and
python3-selenium, against a running shoald. Run it inside the router's namespace (where the API
listens): `ip netns exec R /usr/bin/python3 web_check.py ...`. Prints one line per check,
"ok   - ..." or "FAIL - ...", and exits 1 when any failed (test_web.sh counts them).

Every wait is a poll with a bound; nothing sleeps a fixed time waiting for readiness.
"""
import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

from selenium import webdriver
from selenium.common.exceptions import WebDriverException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

PASSED = 0
FAILED = 0


def ok(desc):
    global PASSED
    PASSED += 1
    print(f"ok   - {desc}", flush=True)


def bad(desc, *details):
    global FAILED
    FAILED += 1
    print(f"FAIL - {desc}", flush=True)
    for d in details:
        print(f"       {d}"[:2000], flush=True)


def check(desc, cond, *details):
    if cond:
        ok(desc)
    else:
        bad(desc, *details)
    return bool(cond)


def wait(fn, timeout, step=0.05):
    """fn() until truthy (returned) or timeout seconds (returns the last value)."""
    end = time.monotonic() + timeout
    while True:
        try:
            v = fn()
        except (WebDriverException, KeyError, IndexError, ValueError):
            v = None
        if v or time.monotonic() >= end:
            return v
        time.sleep(step)


class Api:
    def __init__(self, base, token):
        self.base, self.token = base.rstrip("/"), token

    def call(self, method, path, body=None):
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(self.base + path, data=data, method=method)
        req.add_header("Authorization", "Bearer " + self.token)
        if data is not None:
            req.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(req, timeout=10) as r:
                text = r.read().decode()
                return r.status, json.loads(text) if text.strip() else None
        except urllib.error.HTTPError as e:
            text = e.read().decode()
            return e.code, json.loads(text) if text.strip() else None


def chromium(profile):
    """Debian's headless Chromium with its console log kept."""
    opts = webdriver.ChromeOptions()
    opts.binary_location = "/usr/bin/chromium"
    for a in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
              "--window-size=1280,900", f"--user-data-dir={profile}", "--no-first-run",
              "--disable-background-networking", "--disable-extensions"):
        opts.add_argument(a)
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    drv = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=opts)
    drv.set_page_load_timeout(20)
    return drv


def stats_history(args):
    """The second scenario (--stats-history): the stats plugin is loaded and h1 pings (both
    done by test_web.sh, which waited for samples with traffic in the history). A fresh page
    opens the interfaces page: it must fetch GET /api/v1/stats/history for each interface
    (seen in its resource timing entries), say how many samples it took from it, and plot
    those samples, with their values as the API gives them, before the page existed; the
    rx rate they plot is non-zero."""
    api = Api(args.url, args.token)
    profile = tempfile.mkdtemp(prefix="shoal-web-chromium-")
    drv = chromium(profile)
    js = drv.execute_script
    try:
        drv.get(args.url)
        wait(lambda: drv.find_elements(By.ID, "login-token") and drv.find_element(By.ID, "login-token").is_displayed(), 10)
        drv.find_element(By.ID, "login-token").send_keys(args.token)
        drv.find_element(By.ID, "login-submit").click()
        check("stats: logged in", wait(lambda: drv.find_element(By.ID, "app").is_displayed(), 10))
        drv.find_element(By.CSS_SELECTOR, 'nav a[data-page="interfaces"]').click()
        # the history is loaded with the first plugins poll; the cards are redrawn after it
        pts = wait(lambda: (lambda n: n > 0 and n)(int(js(
            "const c = document.querySelector('.ifcard[data-if=lan0]');"
            "return c && document.querySelectorAll('.ifcard canvas').length >= 4 ? c.dataset.statsPoints : 0") or 0)), 10)
        check(f"stats: the page took lan0's chart history from the stats plugin ({pts} samples)",
              pts and pts >= 5, f"data-stats-points: {pts}")
        note = js("return document.querySelector('#if-history-note').textContent")
        check("stats: the page says the charts start from the stats plugin's history",
              re.search(r"from the stats plugin \(\d+ samples\)", note or ""), note)
        fetched = js("return performance.getEntriesByType('resource').map((e) => e.name)"
                     ".filter((n) => n.includes('/api/v1/stats/history'))")
        for name in ("lan0", "lan1"):
            check(f"stats: the page fetched GET /api/v1/stats/history for {name}",
                  any(f"interface={name}&" in u for u in fetched), fetched)
        # The chart's points from before the page opened can only be the plugin's samples.
        drawn = js("""
            const cv = document.querySelectorAll('.ifcard[data-if=lan0] canvas');  // bit/s, packets/s
            const c = Chart.getChart(cv[0]), p = Chart.getChart(cv[1]);
            const before = (ch, key) => ch.data.datasets.find((d) => d.key === key).data
              .filter((q) => q.x < performance.timeOrigin).map((q) => [q.x, q.y]);
            return {rx_bps: before(c, 'rx_bps'), rx_pps: before(p, 'rx_pps')};""")
        st, hist = api.call("GET", "/api/v1/stats/history?interface=lan0&seconds=3600")
        by_t = {s["t"]: s for s in (hist or {}).get("samples", [])} if st == 200 else {}
        for key in ("rx_bps", "rx_pps"):
            pts_k = drawn[key]
            same = [p for p in pts_k if p[0] in by_t and by_t[p[0]][key] == p[1]]
            check(f"stats: lan0's {key} chart plots the history's samples from before the page opened "
                  f"({len(same)} of {len(pts_k)} equal to GET /api/v1/stats/history)",
                  len(pts_k) >= 5 and len(same) == len(pts_k), f"chart: {pts_k[:5]}", f"history status {st}")
            top = max((p[1] for p in pts_k), default=0)
            check(f"stats: the plotted {key} from the history is non-zero (max {top:g})", top > 0)
        drv.save_screenshot(os.path.join(args.shots, "interfaces-stats.png"))
        errors = [f'{e["level"]} {e.get("source")}: {e["message"]}' for e in drv.get_log("browser")
                  if e["level"] in ("SEVERE", "WARNING")]
        check("stats: no errors in the browser console", not errors, *errors[:10])
    finally:
        drv.quit()
        subprocess.run(["rm", "-rf", profile])
    print(f"web_check: {PASSED} passed, {FAILED} failed", flush=True)
    return 1 if FAILED else 0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--url", required=True)
    ap.add_argument("--token", required=True)
    ap.add_argument("--h1", required=True, help="namespace of h1 (10.0.1.2)")
    ap.add_argument("--shots", required=True, help="directory for the screenshots")
    ap.add_argument("--nat", action="store_true", help="the nat plugin is loaded (outside lan1)")
    ap.add_argument("--example", action="store_true", help="example.so can be loaded")
    ap.add_argument("--stats-history", action="store_true",
                    help="only the scenario with the stats plugin loaded (see stats_history)")
    args = ap.parse_args()
    os.makedirs(args.shots, exist_ok=True)
    if args.stats_history:
        return stats_history(args)
    api = Api(args.url, args.token)
    profile = tempfile.mkdtemp(prefix="shoal-web-chromium-")

    drv = chromium(profile)
    log = []  # every browser console entry, with the step it came in
    step = ["start"]

    def drain():
        for e in drv.get_log("browser"):
            e["step"] = step[0]
            log.append(e)

    def at(name):  # a new step: the console entries so far belong to the previous one
        drain()
        step[0] = name

    def shot(name):
        drv.save_screenshot(os.path.join(args.shots, name + ".png"))

    def js(code, *a):
        return drv.execute_script(code, *a)

    def text(sel):  # read in the page: polled tables are re-rendered under our feet
        return js("const e = document.querySelector(arguments[0]); return e ? e.innerText.trim() : ''", sel)

    def click(sel):  # a button of a polled table (see text)
        return js("const e = document.querySelector(arguments[0]); if (e) e.click(); return !!e", sel)

    def visible(sel):
        els = drv.find_elements(By.CSS_SELECTOR, sel)
        return bool(els) and els[0].is_displayed()

    def go(page):
        drv.find_element(By.CSS_SELECTOR, f'nav a[data-page="{page}"]').click()
        return wait(lambda: visible(f"#page-{page}"), 5)

    def fill(sel, value):
        el = drv.find_element(By.CSS_SELECTOR, sel)
        el.clear()
        el.send_keys(value)

    ping = None
    try:
        # ---- login: a wrong token is refused with the reason, the right one gets in
        at("wrong token")
        drv.get(args.url)
        check("the login screen shows first", wait(lambda: visible("#login-token"), 10))
        fill("#login-token", "0" * 64)
        drv.find_element(By.ID, "login-submit").click()
        msg = wait(lambda: text("#login-error"), 5)
        check("wrong token: the login screen says so", msg and "Wrong token" in msg and "401" in msg,
              f"message: {msg!r}")
        check("wrong token: still on the login screen", visible("#login-token") and not visible("#app"))
        shot("login")
        drain()

        at("login")
        fill("#login-token", args.token)
        drv.find_element(By.ID, "login-submit").click()
        check("logged in: the dashboard replaces the login screen", wait(lambda: visible("#app"), 10))
        check("the token is kept in sessionStorage",
              js("return sessionStorage.getItem('shoal.token')") == args.token)

        # ---- overview
        at("overview")
        rows = wait(lambda: len(drv.find_elements(By.CSS_SELECTOR, "#ov-ifaces tr[data-if]")) >= 2 and
                    [r.get_attribute("data-if") for r in drv.find_elements(By.CSS_SELECTOR, "#ov-ifaces tr[data-if]")], 10)
        check("overview shows both interfaces", rows and {"lan0", "lan1"} <= set(rows), f"rows: {rows}")
        ov = text("#ov-ifaces")
        check("overview shows address, MAC and MTU", "10.0.1.1/24" in ov and "02:00:00:00:01:01" in ov and "1500" in ov, ov)
        facts = text("#ov-facts")
        check("overview shows health, version, uptime and the data plane",
              re.search(r"Health\s+ok", facts) and "Version" in facts and "Uptime" in facts and "Data plane" in facts, facts)

        def lan0_rx():
            v = text('#ov-ifaces tr[data-if="lan0"] td[data-k="rx_pps"]')
            return v if re.match(r"^[0-9.]+", v) and float(v.split()[0]) > 0 else None

        t0 = time.monotonic()
        ping = subprocess.Popen(["ip", "netns", "exec", args.h1, "ping", "-q", "-i", "0.2", "10.0.2.2"],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        v = wait(lan0_rx, 3)
        dt = time.monotonic() - t0
        check(f"a ping in h1 makes lan0's rx rate non-zero within 3 s ({v} pkt/s after {dt:.1f} s)", v)
        bps = text('#ov-ifaces tr[data-if="lan0"] td[data-k="rx_bps"]')
        check(f"lan0 rx bit/s shown ({bps})", "bit/s" in bps and not bps.startswith("0 "), bps)
        shot("overview")

        # ---- interfaces: counters, drops by reason, charts fed every second
        at("interfaces")
        check("interfaces page opens", go("interfaces"))
        n = wait(lambda: js("return document.querySelectorAll('.ifcard canvas').length") >= 4 and
                 js("return document.querySelectorAll('.ifcard canvas').length"), 5)
        check(f"a bit/s and a packets/s chart per interface ({n} canvases)", n == 4)
        pts = lambda: js("const c = Chart.getChart(document.querySelector('.ifcard[data-if=lan0] canvas'));"
                         "return c ? c.data.datasets[0].data.length : 0")
        p0 = pts()
        p1 = wait(lambda: pts() > p0 and pts(), 3)
        left_at, left_pts = time.monotonic(), pts()  # the samples the page takes from now on
        check(f"lan0's chart grows every second without reloading ({p0} -> {p1} points)", p1)
        note = text("#if-history-note")
        check("the page says where the chart history comes from", "stats plugin" in note, note)
        check("drops by reason listed", "no_route" in js("return document.querySelector('.ifcard [data-role=drops]').textContent"))
        shot("interfaces")

        # ---- routes: add through the form, bad prefix, lookup, filter, delete
        at("routes")
        check("routes page opens", go("routes"))
        check("the connected routes are listed",
              wait(lambda: drv.find_elements(By.CSS_SELECTOR, '#rt-rows [data-prefix="10.0.1.0/24"]'), 10))
        fill("#rt-prefix", "10.0.9.0/24")
        fill("#rt-nexthop", "10.0.2.2")
        fill("#rt-iface", "")
        drv.find_element(By.ID, "rt-add").click()
        m = wait(lambda: "Added" in text("#rt-form-msg") and text("#rt-form-msg"), 5)
        check("add route through the form: success shown", m, text("#rt-form-msg"))
        st, body = api.call("GET", "/api/v1/routes")
        got = [r for r in (body or {}).get("routes", []) if r["prefix"] == "10.0.9.0/24"]
        check("the added route is in GET /api/v1/routes",
              got and got[0]["next_hop"] == "10.0.2.2" and got[0]["interface"] == "lan1", f"{st} {body}")
        check("the added route shows in the table",
              wait(lambda: drv.find_elements(By.CSS_SELECTOR, '#rt-rows [data-prefix="10.0.9.0/24"]'), 3))

        # Replace in place: the same prefix on-link through lan1 (PUT).
        fill("#rt-prefix", "10.0.9.0/24")
        fill("#rt-nexthop", "")
        fill("#rt-iface", "lan1")
        drv.find_element(By.ID, "rt-replace").click()
        wait(lambda: "Replaced" in text("#rt-form-msg"), 5)
        st, body = api.call("GET", "/api/v1/routes/10.0.9.0/24")
        check("replace a route through the form (PUT): now on-link via lan1",
              st == 200 and body["next_hop"] is None and body["interface"] == "lan1", f"{st} {body}")
        check("the table shows the replaced route",
              wait(lambda: "on-link" in text('#rt-rows [data-prefix="10.0.9.0/24"]'), 3))
        fill("#rt-nexthop", "10.0.2.2")
        fill("#rt-iface", "")
        fill("#rt-prefix", "10.0.9.1/16")
        drv.find_element(By.ID, "rt-add").click()
        shown = wait(lambda: text("#rt-prefix-err"), 5)
        st, want = api.call("POST", "/api/v1/routes", {"prefix": "10.0.9.1/16", "next_hop": "10.0.2.2"})
        want_msg = (want or {}).get("error", {}).get("message")
        check("a bad prefix shows the API's message next to the prefix field",
              shown and shown == want_msg and "did you mean 10.0.0.0/16?" in shown, f"shown {shown!r}, API {st} {want_msg!r}")
        check("the bad prefix field is marked invalid", js("return document.querySelector('#rt-prefix').getAttribute('aria-invalid')") == "true")

        fill("#rt-lookup", "10.0.9.77" + Keys.ENTER)
        res = wait(lambda: "10.0.9.0/24" in text("#rt-lookup-result") and text("#rt-lookup-result"), 5)
        check(f"lookup names the route ({res})", res)
        check("lookup highlights the route",
              wait(lambda: drv.find_elements(By.CSS_SELECTOR, '#rt-rows .vrow.hl[data-prefix="10.0.9.0/24"]'), 3))

        fill("#rt-filter", "10.0.9")
        f = wait(lambda: (lambda ps: ps == ["10.0.9.0/24"] and ps)(
            [e.get_attribute("data-prefix") for e in drv.find_elements(By.CSS_SELECTOR, "#rt-rows [data-prefix]")]), 5)
        check("filter as you type (10.0.9 -> inside 10.0.9.0/24, by shoald)", f, text("#rt-count"))
        shot("routes")
        drv.find_element(By.ID, "rt-filter").send_keys(Keys.CONTROL + "a", Keys.BACKSPACE)
        wait(lambda: len(drv.find_elements(By.CSS_SELECTOR, "#rt-rows [data-prefix]")) >= 3, 5)
        check("connected routes have no delete button",
              not drv.find_elements(By.CSS_SELECTOR, '#rt-rows button[data-del="10.0.1.0/24"]'))
        click('#rt-rows button[data-del="10.0.9.0/24"]')
        check("delete: success shown", wait(lambda: "Deleted 10.0.9.0/24" in text("#rt-form-msg"), 5), text("#rt-form-msg"))
        st, body = api.call("GET", "/api/v1/routes")
        check("the deleted route is gone from GET /api/v1/routes",
              st == 200 and not any(r["prefix"] == "10.0.9.0/24" for r in body["routes"]), f"{st} {body}")

        # ---- NAT (plugin loaded): h1's ping to 10.0.2.2 is a session
        if args.nat:
            at("nat")
            check("the NAT page is offered (nat plugin loaded)", wait(lambda: visible('nav a[data-page="nat"]'), 6))
            check("NAT page opens", go("nat"))
            row = wait(lambda: [r for r in text("#ns-table tbody").split("\n") if "10.0.1.2:" in r], 6)
            check("a NAT session appears after h1 talks to the outside", row and "icmp" in row[0], text("#ns-table"))
            fill("#pf-port", "8080")
            fill("#pf-inside", "10.0.1.2:80")
            drv.find_element(By.ID, "pf-add").click()
            wait(lambda: "Forwarding" in text("#pf-msg"), 5)
            st, body = api.call("GET", "/api/v1/nat/port-forwards")
            check("port forward added through the form", st == 200 and any(
                f["outside_port"] == 8080 and f["inside"] == "10.0.1.2:80" for f in body["port_forwards"]), f"{st} {body}")
            shot("nat")
            wait(lambda: click('#pf-table button[data-del="tcp/8080"]'), 5)
            wait(lambda: "Deleted forward" in text("#pf-msg"), 5)
            st, body = api.call("GET", "/api/v1/nat/port-forwards")
            check("port forward deleted through the page", st == 200 and not body["port_forwards"], f"{st} {body}")
        else:
            check("no NAT page without the nat plugin", not visible('nav a[data-page="nat"]'))

        ping.terminate()
        ping.wait(5)
        ping = None

        # ---- ARP: add static, expires-in counts down, flush dynamic, delete static
        at("arp")
        check("ARP page opens", go("arp"))
        dyn = wait(lambda: [r for r in text("#arp-table tbody").split("\n") if "dynamic" in r and "10.0.1.2\t" in r], 5)
        check("the dynamic entry of h1 is listed", dyn)
        if dyn:
            e1 = text('#arp-table tr[data-ip="10.0.1.2"] td[data-k="expires"]')
            e2 = wait(lambda: (lambda v: v != e1 and v)(text('#arp-table tr[data-ip="10.0.1.2"] td[data-k="expires"]')), 3)
            check(f"expires-in counts down ({e1} -> {e2})", e2 and "never" not in e1)
        fill("#arp-ip", "10.0.1.50")
        fill("#arp-mac", "02:00:00:00:00:50")
        drv.find_element(By.ID, "arp-add").click()
        wait(lambda: "Static entry" in text("#arp-msg"), 5)
        st, body = api.call("GET", "/api/v1/arp/10.0.1.50")
        check("static ARP entry added through the form", st == 200 and body["state"] == "static" and
              body["mac"] == "02:00:00:00:00:50", f"{st} {body}")
        fill("#arp-ip", "10.0.1.51")
        fill("#arp-mac", "02:00:00:00:00:zz")
        drv.find_element(By.ID, "arp-add").click()
        shown = wait(lambda: text("#arp-mac-err"), 5)
        st, want = api.call("POST", "/api/v1/arp", {"ip": "10.0.1.51", "mac": "02:00:00:00:00:zz"})
        check("a bad MAC shows the API's message next to the field",
              shown and shown == (want or {}).get("error", {}).get("message"), f"shown {shown!r}, API {st} {want}")
        shot("arp")
        drv.find_element(By.ID, "arp-flush").click()
        wait(lambda: "Flushed" in text("#arp-msg"), 5)
        st, body = api.call("GET", "/api/v1/arp")
        states = sorted(e["state"] for e in body["entries"])
        check("flush dynamic: only the static entry is left", states == ["static"], f"{body}")
        wait(lambda: click('#arp-table button[data-del="10.0.1.50"]'), 5)
        wait(lambda: "Deleted 10.0.1.50" in text("#arp-msg"), 5)
        st, _ = api.call("GET", "/api/v1/arp/10.0.1.50")
        check("static entry deleted through the page", st == 404, f"status {st}")

        # ---- plugins: the host's error message on a failed load; load and unload
        at("plugins")
        check("plugins page opens", go("plugins"))
        fill("#pl-name", "no_such_plugin")
        drv.find_element(By.ID, "pl-load").click()
        shown = wait(lambda: "bad" in drv.find_element(By.ID, "pl-err").get_attribute("class") and text("#pl-err"), 5)
        st, want = api.call("POST", "/api/v1/plugins", {"name": "no_such_plugin"})
        check("a failed load shows the host's message", shown and shown == (want or {}).get("error", {}).get("message"),
              f"shown {shown!r}, API {st} {want}")
        if args.example:
            fill("#pl-name", "example")
            drv.find_element(By.ID, "pl-load").click()
            check("load a plugin from the page", wait(lambda: drv.find_elements(By.CSS_SELECTOR, '[data-plugin="example"]'), 5))
            shot("plugins")
            click('button[data-unload="example"]')
            wait(lambda: "Unloaded" in text("#pl-err"), 5)
            st, _ = api.call("GET", "/api/v1/plugins/example")
            check("unload a plugin from the page", st == 404, f"status {st}")
        else:
            shot("plugins")

        # ---- the charts again, with the samples of the whole run (the README's picture)
        at("interfaces again")
        check("interfaces page opens again", go("interfaces"))
        # one sample a second went on while the other pages were shown: at least the seconds
        # away less two (the first and the last may fall outside) were kept
        away = int(time.monotonic() - left_at)
        n = wait(lambda: (lambda k: k >= left_pts + away - 2 and k)(pts()), 5)
        check(f"the charts keep the samples taken while other pages were shown "
              f"({left_pts} points when left, {n} after {away} s away)", n)
        shot("interfaces-history")

        # ---- keyboard: Tab to a nav link, Enter opens the page
        at("keyboard")
        drv.find_element(By.CSS_SELECTOR, 'nav a[data-page="overview"]').click()
        wait(lambda: visible("#page-overview"), 5)
        drv.find_element(By.TAG_NAME, "body").click()
        js("document.activeElement.blur(); window.scrollTo(0, 0)")
        reached = False
        for _ in range(20):
            drv.switch_to.active_element.send_keys(Keys.TAB)
            if drv.switch_to.active_element.get_attribute("data-page") == "routes":
                reached = True
                break
        if reached:
            drv.switch_to.active_element.send_keys(Keys.ENTER)
        check("keyboard: Tab reaches the Routes link and Enter opens it",
              reached and wait(lambda: visible("#page-routes"), 5))

        # ---- phone width: readable, no sideways scrolling of the page
        at("phone")
        drv.set_window_size(390, 844)
        drv.find_element(By.CSS_SELECTOR, 'nav a[data-page="overview"]').click()
        wait(lambda: visible("#page-overview"), 5)
        over = wait(lambda: (lambda w: w if w <= 1 else None)(js("return document.documentElement.scrollWidth - window.innerWidth")), 3)
        check("phone width (390 px): the page does not scroll sideways",
              over is not None, js("return [document.documentElement.scrollWidth, window.innerWidth]"))
        shot("overview-phone")
        drv.set_window_size(1280, 900)

        # ---- logout forgets the token
        at("logout")
        drv.find_element(By.ID, "logout").click()
        check("logout shows the login screen", wait(lambda: visible("#login-token"), 5))
        check("logout forgets the token", js("return sessionStorage.getItem('shoal.token')") is None)
        drain()

        # ---- the browser console: nothing but the refusals the test provoked on purpose
        provoked = {"wrong token": {401}, "routes": {400}, "arp": {400}, "plugins": {404, 422, 400}}
        errors = []
        for e in log:
            if e["level"] not in ("SEVERE", "WARNING"):
                continue
            m = re.search(r"status of (\d{3})", e["message"])
            if e.get("source") == "network" and m and int(m.group(1)) in provoked.get(e["step"], set()):
                continue
            errors.append(f'{e["step"]}: {e["level"]} {e.get("source")}: {e["message"]}')
        check(f"no errors in the browser console ({len(log)} entries read)", not errors, *errors[:10])
    finally:
        if ping:
            ping.terminate()
        drv.quit()
        subprocess.run(["rm", "-rf", profile])
    print(f"web_check: {PASSED} passed, {FAILED} failed", flush=True)
    return 1 if FAILED else 0


if __name__ == "__main__":
    sys.exit(main())
