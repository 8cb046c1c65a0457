#!/usr/bin/python3
"""The dashboard in Debian's Firefox ESR, headless, driven over Firefox's own Marionette
protocol (Debian 12 packages no geckodriver): log in, overview with both interfaces, a chart,
the routes table, and no uncaught error. Prints "ok   - ..." / "FAIL - ..." lines like
web_check.py; run inside the router namespace. Usage: web_firefox.py URL TOKEN SCREENSHOT.png
"""
import base64
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time

FAILED = 0


def report(desc, cond, detail=""):
    global FAILED
    if cond:
        print(f"ok   - {desc}", flush=True)
    else:
        FAILED += 1
        print(f"FAIL - {desc}", flush=True)
        if detail:
            print(f"       {detail}"[:2000], flush=True)


class Marionette:
    def __init__(self, port):
        end = time.monotonic() + 30
        while True:
            try:
                self.s = socket.create_connection(("127.0.0.1", port), timeout=30)
                break
            except OSError:
                if time.monotonic() > end:
                    raise
                time.sleep(0.1)
        self.buf = b""
        self.id = 0
        self.read()  # the server's hello

    def read(self):
        while b":" not in self.buf:
            self.buf += self.s.recv(65536)
        n, rest = self.buf.split(b":", 1)
        n = int(n)
        while len(rest) < n:
            rest += self.s.recv(65536)
        self.buf = rest[n:]
        return json.loads(rest[:n])

    def cmd(self, name, params=None):
        self.id += 1
        data = json.dumps([0, self.id, name, params or {}]).encode()
        self.s.sendall(str(len(data)).encode() + b":" + data)
        while True:
            msg = self.read()
            if msg[0] == 1 and msg[1] == self.id:
                if msg[2]:
                    raise RuntimeError(f"{name}: {msg[2]}")
                return msg[3]

    def js(self, script, *args):
        return self.cmd("WebDriver:ExecuteScript", {"script": script, "args": list(args)}).get("value")


def poll(fn, timeout):
    end = time.monotonic() + timeout
    while True:
        try:
            v = fn()
        except RuntimeError:
            v = None
        if v or time.monotonic() > end:
            return v
        time.sleep(0.1)


def main():
    url, token, shot = sys.argv[1], sys.argv[2], sys.argv[3]
    profile = tempfile.mkdtemp(prefix="shoal-web-firefox-")
    port = 2828
    with open(os.path.join(profile, "user.js"), "w") as f:
        f.write(f'user_pref("marionette.port", {port});\n'
                'user_pref("browser.shell.checkDefaultBrowser", false);\n'
                'user_pref("datareporting.policy.dataSubmissionEnabled", false);\n'
                'user_pref("app.update.enabled", false);\n')
    ff = subprocess.Popen(["/usr/bin/firefox-esr", "--headless", "--marionette", "--no-remote",
                           "--profile", profile, "--width", "1280", "--height", "900"],
                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                          env=dict(os.environ, MOZ_HEADLESS="1"))
    try:
        m = Marionette(port)
        m.cmd("WebDriver:NewSession", {"capabilities": {"alwaysMatch": {"acceptInsecureCerts": True}}})
        m.cmd("WebDriver:Navigate", {"url": url})
        # Collect uncaught errors from here on (the page's own scripts ran at load: a syntax
        # or load-time error shows as a missing login form or a failed step below).
        m.js("window.__errs = []; addEventListener('error', e => __errs.push(String(e.message)));"
             "addEventListener('unhandledrejection', e => __errs.push(String(e.reason)));")
        report("firefox: the login screen shows", poll(lambda: m.js(
            "return !document.querySelector('#login').hidden"), 10))
        m.js("document.querySelector('#login-token').value = arguments[0];"
             "document.querySelector('#login-form').requestSubmit()", token)
        rows = poll(lambda: m.js("return [...document.querySelectorAll('#ov-ifaces tr[data-if]')]"
                                 ".map(r => r.dataset.if).join(' ')"), 10)
        report(f"firefox: logged in, overview shows both interfaces ({rows})",
               rows and "lan0" in rows and "lan1" in rows)
        m.js("location.hash = '#/interfaces'")
        pts = poll(lambda: m.js("const c = window.Chart && Chart.getChart(document.querySelector('.ifcard canvas'));"
                                "return c && c.data.datasets[0].data.length >= 2 && c.data.datasets[0].data.length"), 10)
        report(f"firefox: the interfaces page draws charts ({pts} points)", pts)
        m.js("location.hash = '#/routes'")
        n = poll(lambda: m.js("return document.querySelectorAll('#rt-rows [data-prefix]').length"), 10)
        report(f"firefox: the routes table shows rows ({n})", n and n >= 2)
        png = m.cmd("WebDriver:TakeScreenshot", {"full": False}).get("value")
        with open(shot, "wb") as f:
            f.write(base64.b64decode(png))
        errs = m.js("return window.__errs")
        report("firefox: no uncaught errors", not errs, f"{errs}")
        m.cmd("WebDriver:DeleteSession")
    except (OSError, RuntimeError, ValueError) as e:
        report("firefox: drive the dashboard over Marionette", False, repr(e))
    finally:
        ff.terminate()
        try:
            ff.wait(10)
        except subprocess.TimeoutExpired:
            ff.kill()
        shutil.rmtree(profile, ignore_errors=True)
    return 1 if FAILED else 0


if __name__ == "__main__":
    sys.exit(main())
