#!/usr/bin/python3
"""Dashboard benchmark driver (tests/bench/bench_web.sh runs it inside the router namespace).

  routes RUNS        open /#/routes RUNS times (fresh navigation, token already in the tab's
                     sessionStorage) and report, from the page's performance marks relative to
                     the navigation start: routes-fetched (the first page, GET /api/v1/routes?limit=200,
                     answered and parsed), routes-rendered (first rows in the DOM),
                     routes-interactive (main thread free after the first paint), routes-complete
                     (the whole table loaded, sorted and drawn), and the reference measured in the same browser and
                     run: a bare fetch + JSON.parse of /api/v1/routes from a blank page.
                     Then scroll to the middle and to the end and time each redraw, and time a
                     filter typed into the box.
  memory SECONDS SPEED
                     open /?speed=SPEED#/interfaces (the page's 1 s clock SPEED times faster: charts
                     get SPEED samples per second) and sample the JS heap (after a forced GC) and
                     the DOM node count every SECONDS/10; print them as JSON.
"""
import json
import statistics
import sys
import tempfile
import time

from selenium import webdriver
from selenium.webdriver.chrome.service import Service


def browser():
    opts = webdriver.ChromeOptions()
    opts.binary_location = "/usr/bin/chromium"
    for a in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
              "--window-size=1280,900", f"--user-data-dir={tempfile.mkdtemp(prefix='shoal-bench-web-')}",
              "--no-first-run", "--disable-background-networking", "--disable-extensions",
              "--enable-precise-memory-info", "--js-flags=--expose-gc",
              "--disable-background-timer-throttling", "--disable-renderer-backgrounding"):
        opts.add_argument(a)
    return webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=opts)


def poll(fn, timeout):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        v = fn()
        if v:
            return v
        time.sleep(0.02)
    raise TimeoutError("timed out")


def mark(drv, name):
    return drv.execute_script(
        "const m = performance.getEntriesByName(arguments[0]); return m.length ? m[0].startTime : null", name)


def cmd_routes(drv, url, token, runs):
    drv.get(url)
    drv.execute_script("sessionStorage.setItem('shoal.token', arguments[0])", token)
    res = {"fetched": [], "rendered": [], "interactive": [], "complete": [], "reference_fetch_parse": [],
           "scroll_middle": [], "scroll_end": [], "filter": []}
    n_routes = None
    for _ in range(runs):
        drv.get("about:blank")
        drv.get(url + "#/routes")
        poll(lambda: mark(drv, "routes-interactive") is not None and mark(drv, "routes-complete") is not None, 60)
        for k in ("fetched", "rendered", "interactive", "complete"):
            res[k].append(mark(drv, "routes-" + k))
        n_routes = drv.execute_script("return Routes.all.length")
        # Redraw after a jump (what a user sees while dragging the scrollbar).
        for where, frac in (("scroll_middle", 0.5), ("scroll_end", 1.0)):
            t = drv.execute_script("""
                const b = document.querySelector('#rt-body'); const t0 = performance.now();
                b.scrollTop = b.scrollHeight * arguments[0]; b.dispatchEvent(new Event('scroll'));
                routesRender(); return performance.now() - t0;""", frac)
            res[where].append(t)
        # A filter typed: "30.1" (server-side ?prefix=30.1.0.0/16), until the count shows.
        t = drv.execute_async_script("""
            const done = arguments[arguments.length - 1]; const t0 = performance.now();
            Routes.filter = '30.1'; routesApplyFilter(false).then(() => done(performance.now() - t0));""")
        res["filter"].append(t)
        # Reference: the bare data transfer and parse in the same browser.
        drv.get("about:blank")
        drv.get(url + "style.css")  # same origin, no script of its own
        t = drv.execute_async_script("""
            const done = arguments[arguments.length - 1]; const t0 = performance.now();
            fetch('/api/v1/routes', {headers: {Authorization: 'Bearer ' + arguments[0]}})
              .then(r => r.text()).then(t => { JSON.parse(t); done(performance.now() - t0); });""", token)
        res["reference_fetch_parse"].append(t)
    out = {"routes": n_routes, "runs": runs}
    for k, v in res.items():
        out[k + "_ms_median"] = round(statistics.median(v), 1)
        out[k + "_ms_all"] = [round(x, 1) for x in v]
    print(json.dumps(out))


def cmd_memory(drv, url, token, seconds, speed):
    drv.get(url)
    drv.execute_script("sessionStorage.setItem('shoal.token', arguments[0])", token)
    drv.get(url + f"?speed={speed}#/interfaces")
    poll(lambda: drv.execute_script("return document.querySelectorAll('.ifcard canvas').length") >= 2, 20)
    samples = []
    t0 = time.monotonic()
    step = seconds / 10
    for i in range(11):
        while time.monotonic() < t0 + i * step:
            time.sleep(min(1.0, t0 + i * step - time.monotonic()))
        s = drv.execute_script("""
            if (window.gc) gc();
            const h = S.hist.get('lan0') || [];
            const c = Chart.getChart(document.querySelector('.ifcard canvas'));
            return {heap: performance.memory.usedJSHeapSize, nodes: document.getElementsByTagName('*').length,
                    samples: h.length, chart_points: c ? c.data.datasets[0].data.length : 0};""")
        s["t_s"] = round(time.monotonic() - t0, 1)
        samples.append(s)
        print(json.dumps(s), file=sys.stderr, flush=True)
    print(json.dumps({"seconds": seconds, "speed": speed, "samples": samples}))


def main():
    url, token, what = sys.argv[1], sys.argv[2], sys.argv[3]
    drv = browser()
    try:
        if what == "routes":
            cmd_routes(drv, url, token, int(sys.argv[4]))
        else:
            cmd_memory(drv, url, token, float(sys.argv[4]), int(sys.argv[5]))
    finally:
        drv.quit()


if __name__ == "__main__":
    main()
