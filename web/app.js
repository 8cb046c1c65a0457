/* Shoal dashboard: one page, no build step, talks only to the public API (/api/v1) with the
 * bearer token kept in sessionStorage. Pages are hash routes (#/overview, #/routes, ...).
 *
 * Live rates are computed here from the interface counters polled every second (deltas), so
 * the overview works with no plugin loaded; when the stats plugin is loaded the charts start
 * from its last hour (GET /api/v1/stats/history), otherwise from what this page sampled.
 * Every history buffer is bounded (HISTORY_POINTS samples per interface), so a page left open
 * keeps a flat memory. ?speed=N (in the URL's query) runs the 1 s clock N times faster: the
 * memory benchmark uses it to live an hour in six minutes. */
"use strict";

const TOKEN_KEY = "shoal.token";
const HISTORY_POINTS = 3600; // one hour of 1 s samples
const SPEED = Math.max(1, Math.min(100, Number(new URLSearchParams(location.search).get("speed")) || 1));
const TICK_MS = 1000 / SPEED;
const ROW_H = 30; // px, must match --row in style.css

const $ = (sel) => document.querySelector(sel);
const esc = (v) => String(v ?? "").replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);

const S = {
  token: null,
  page: null,
  timer: null,
  tick: 0,
  ifaces: [], // last GET /api/v1/interfaces rows
  prev: new Map(), // name -> {t, rx_bytes, tx_bytes, rx_packets, tx_packets, drops}
  rates: new Map(), // name -> latest rates
  hist: new Map(), // name -> [{t, rx_bps, tx_bps, rx_pps, tx_pps, drops_ps}], oldest first
  charts: new Map(), // name -> [Chart, Chart] while the interfaces page is shown
  plugins: [],
  health: null,
  historyFrom: null, // "stats" | "page"
  statsPoints: new Map(), // name -> samples the charts took from the stats history
  vclock0: Date.now(),
};

/* The virtual clock: real time, or faster with ?speed=N. */
const vnow = () => S.vclock0 + (Date.now() - S.vclock0) * SPEED;

/* ---- formatting ------------------------------------------------------------------------ */

function si(v, unit) {
  if (v == null || !isFinite(v)) return "—";
  const steps = ["", "k", "M", "G", "T"];
  let i = 0;
  while (Math.abs(v) >= 1000 && i < steps.length - 1) { v /= 1000; i++; }
  return (i === 0 ? (Number.isInteger(v) ? String(v) : v.toFixed(1)) : v.toFixed(v < 10 ? 2 : 1)) + " " + steps[i] + unit;
}
const fmtBits = (v) => si(v, "bit/s");
const fmtRate = (v) => (v == null || !isFinite(v) ? "—" : v < 100 ? v.toFixed(1) : si(Math.round(v), ""));
const fmtInt = (v) => (v == null ? "—" : Number(v).toLocaleString("en-US"));
function fmtDuration(ms) {
  if (ms == null) return "—";
  let s = Math.max(0, Math.round(ms / 1000));
  const d = Math.floor(s / 86400); s -= d * 86400;
  const h = Math.floor(s / 3600); s -= h * 3600;
  const m = Math.floor(s / 60); s -= m * 60;
  if (d) return `${d} d ${h} h`;
  if (h) return `${h} h ${m} min`;
  if (m) return `${m} min ${s} s`;
  return `${s} s`;
}
const clock = (t) => new Date(t).toLocaleTimeString("en-GB", { hour12: false });

/* ---- API --------------------------------------------------------------------------------- */

class ApiError extends Error {
  constructor(status, code, message, body) { super(message); this.status = status; this.code = code; this.body = body; }
}

/* One request; resolves to the parsed body (null for 204), rejects with ApiError carrying the
 * API's own code and message. A 401 while logged in ends the session. */
async function api(method, path, body, token = S.token) {
  const headers = {};
  if (token) headers.Authorization = "Bearer " + token;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  let resp;
  try {
    resp = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), cache: "no-store" });
  } catch (e) {
    throw new ApiError(0, "unreachable", "cannot reach shoald (" + e.message + ")");
  }
  let data = null;
  const text = await resp.text();
  if (text) { try { data = JSON.parse(text); } catch { data = null; } }
  if (!resp.ok) {
    const err = data && data.error ? data.error : { code: "http_" + resp.status, message: resp.status + " " + resp.statusText };
    if (resp.status === 401 && token && token === S.token) logout("shoald refused the token (401): " + err.message);
    throw new ApiError(resp.status, err.code, err.message, data);
  }
  return data;
}

const hasPlugin = (name) => S.plugins.some((p) => p.name === name);

/* ---- login / logout ---------------------------------------------------------------------- */

function showLogin(message) {
  $("#app").hidden = true;
  $("#login").hidden = false;
  $("#login-error").textContent = message || "";
  $("#login-token").value = "";
  $("#login-token").focus();
}

async function tryLogin(token, fromStorage) {
  try {
    await api("GET", "/api/v1/plugins", undefined, token);
  } catch (e) {
    const why = e.status === 401
      ? "Wrong token: shoald answered 401 (" + e.message + ")."
      : "Cannot log in: " + e.message;
    sessionStorage.removeItem(TOKEN_KEY);
    showLogin(fromStorage ? "The saved token no longer works. " + why : why);
    return;
  }
  S.token = token;
  sessionStorage.setItem(TOKEN_KEY, token);
  $("#login").hidden = true;
  $("#app").hidden = false;
  start();
}

function logout(message) {
  S.token = null;
  sessionStorage.removeItem(TOKEN_KEY);
  clearTimeout(S.timer);
  S.timer = null;
  destroyCharts();
  S.prev.clear(); S.rates.clear(); S.hist.clear(); S.statsPoints.clear();
  S.historyFrom = null;
  Routes.all = []; Routes.view = []; Routes.loaded = false; Routes.complete = false; Routes.loadSeq++;
  showLogin(message || "Logged out.");
}

/* ---- the 1 s poll ------------------------------------------------------------------------ */

function start() {
  S.tick = 0;
  S.vclock0 = Date.now();
  route();
  loop();
}

async function loop() {
  if (!S.token) return;
  const began = Date.now();
  try {
    await pollInterfaces();
    if (S.tick % 5 === 0) await Promise.all([pollHealth(), pollPlugins()]);
    await refreshPage(false);
  } catch (e) {
    if (!(e instanceof ApiError)) console.warn(e); // unexpected: keep polling
    setStatus(null, e.message);
  }
  S.tick++;
  if (S.token) S.timer = setTimeout(loop, Math.max(0, TICK_MS - (Date.now() - began)));
}

async function pollInterfaces() {
  const data = await api("GET", "/api/v1/interfaces");
  const now = Date.now();
  const t = vnow();
  S.ifaces = data.interfaces || [];
  for (const i of S.ifaces) {
    const c = i.counters || {};
    const drops = Object.values(i.drops || {}).reduce((a, b) => a + b, 0);
    const cur = { t: now, rx_bytes: c.rx_bytes, tx_bytes: c.tx_bytes, rx_packets: c.rx_packets, tx_packets: c.tx_packets, drops };
    const p = S.prev.get(i.name);
    S.prev.set(i.name, cur);
    if (!p || now <= p.t) continue;
    const dt = (now - p.t) / 1000 * SPEED; // virtual seconds, so ?speed keeps 1 sample = 1 s
    const d = (k) => Math.max(0, cur[k] - p[k]) / dt;
    const s = { t, rx_bps: d("rx_bytes") * 8, tx_bps: d("tx_bytes") * 8, rx_pps: d("rx_packets"), tx_pps: d("tx_packets"), drops_ps: d("drops") };
    S.rates.set(i.name, s);
    pushSample(i.name, s);
  }
  const names = S.ifaces.map((i) => `<option value="${esc(i.name)}">`).join("");
  if ($("#iface-names").innerHTML !== names) $("#iface-names").innerHTML = names;
}

function pushSample(name, s) {
  let h = S.hist.get(name);
  if (!h) { h = []; S.hist.set(name, h); }
  h.push(s);
  if (h.length > HISTORY_POINTS) h.splice(0, h.length - HISTORY_POINTS);
  const charts = S.charts.get(name);
  if (!charts) return;
  for (const ch of charts) {
    for (const ds of ch.data.datasets) {
      ds.data.push({ x: s.t, y: s[ds.key] });
      if (ds.data.length > HISTORY_POINTS) ds.data.splice(0, ds.data.length - HISTORY_POINTS);
    }
  }
  S.chartsDirty = true;
}

/* Charts are redrawn at most once a second (real time), however fast the samples come. */
function chartsRedraw() {
  if (!S.chartsDirty) return;
  S.chartsDirty = false;
  for (const charts of S.charts.values()) {
    for (const ch of charts) {
      chartWindow(ch);
      ch.update("none");
    }
  }
}

async function pollHealth() {
  let h;
  try {
    h = await api("GET", "/api/v1/health", undefined, null);
  } catch (e) {
    // 503 with the health body: degraded (e.g. the data plane not responsive).
    h = e.status === 503 && e.body && e.body.status ? e.body
      : { status: e.status === 503 ? "degraded" : "unreachable", error: e.message };
  }
  S.health = h;
  setStatus(h);
}

function setStatus(h, problem) {
  h = h || S.health;
  const el = $("#status");
  if (!h) { el.textContent = problem || ""; return; }
  const ok = h.status === "ok";
  const dp = h.dataplane;
  el.innerHTML = `<span class="${ok ? "ok" : "bad"}">● ${esc(h.status)}</span>` +
    (h.version ? ` · v${esc(h.version)}` : "") + (h.uptime_s != null ? ` · up ${esc(fmtDuration(h.uptime_s * 1000))}` : "") +
    (dp ? ` · data plane ${dp.responsive ? "responsive" : '<span class="bad">not responsive</span>'}` : "") +
    (problem ? ` · <span class="bad">${esc(problem)}</span>` : "");
}

async function pollPlugins() {
  const data = await api("GET", "/api/v1/plugins");
  S.plugins = data.plugins || [];
  for (const name of ["nat", "tcp"]) {
    document.querySelector(`nav a[data-page="${name}"]`).hidden = !hasPlugin(name);
  }
  if (hasPlugin("stats") && S.historyFrom !== "stats") await loadHistory();
  else if (!hasPlugin("stats")) S.historyFrom = "page";
  if ((S.page === "nat" && !hasPlugin("nat")) || (S.page === "tcp" && !hasPlugin("tcp"))) location.hash = "#/plugins";
}

/* The last hour from the stats plugin, merged before what this page sampled itself. */
async function loadHistory() {
  S.historyFrom = "stats";
  for (const i of S.ifaces) {
    let data;
    try {
      data = await api("GET", `/api/v1/stats/history?interface=${encodeURIComponent(i.name)}&seconds=3600`);
    } catch (e) {
      if (e.status === 404) { S.historyFrom = "page"; return; }
      throw e;
    }
    const own = S.hist.get(i.name) || [];
    const first = own.length ? own[0].t : Infinity;
    const old = (data.samples || []).filter((s) => s.t < first);
    const merged = old.concat(own).slice(-HISTORY_POINTS);
    S.hist.set(i.name, merged);
    S.statsPoints.set(i.name, Math.min(old.length, merged.length));
  }
  if (S.page === "interfaces") { destroyCharts(); Pages.interfaces.render(); }
}

/* ---- page switching ---------------------------------------------------------------------- */

const PAGES = ["overview", "interfaces", "routes", "arp", "nat", "tcp", "plugins"];

function route() {
  if (!S.token) return;
  let page = (location.hash.match(/^#\/(\w+)/) || [])[1];
  if (!PAGES.includes(page)) page = "overview";
  if (page !== S.page) {
    if (S.page === "interfaces") destroyCharts();
    S.page = page;
    for (const p of PAGES) $("#page-" + p).hidden = p !== page;
    for (const a of document.querySelectorAll("nav a")) {
      if (a.dataset.page === page) a.setAttribute("aria-current", "page"); else a.removeAttribute("aria-current");
    }
    if (Pages[page].enter) Pages[page].enter();
  }
  refreshPage(true).catch((e) => setStatus(null, e.message));
}

async function refreshPage(first) {
  const p = Pages[S.page];
  if (p && p.refresh) await p.refresh(first);
}

let firstRender = false;
function markFirstRender() {
  if (firstRender) return;
  firstRender = true;
  performance.mark("shoal-first-render");
}

/* ---- pages ------------------------------------------------------------------------------- */

const Pages = {};

Pages.overview = {
  async refresh(first) {
    if (first || !S.health) await pollHealth();
    const h = S.health || {};
    const dp = h.dataplane;
    const facts = [
      ["Health", `<span class="${h.status === "ok" ? "ok" : "bad"}">${esc(h.status || "?")}</span>`],
      ["Version", esc(h.version || "—")],
      ["Uptime", esc(h.uptime_s != null ? fmtDuration(h.uptime_s * 1000) : "—")],
      ["Data plane", dp ? (dp.responsive ? `<span class="ok">responsive</span>` : `<span class="bad">not responsive</span>`) +
        (dp.last_loop_ms != null ? ` (last loop ${esc(dp.last_loop_ms)} ms ago)` : "") : "— (not reported by this shoald)"],
    ];
    $("#ov-facts").innerHTML = facts.map(([k, v]) => `<div><dt>${k}</dt><dd>${v}</dd></div>`).join("");
    const rows = S.ifaces.map((i) => {
      const r = S.rates.get(i.name) || {};
      return `<tr data-if="${esc(i.name)}"><td class="name"><b>${esc(i.name)}</b> <span class="note">${esc(i.kind)}</span></td>
        <td class="mono" data-label="Address">${esc(i.address)}</td>
        <td class="mono" data-label="MAC">${esc(i.mac || "—")}</td><td data-label="MTU">${esc(i.mtu)}</td>
        <td class="${i.up ? "state-up" : "state-down"}" data-label="State">${i.up ? "up" : "down"}</td>
        <td class="num" data-label="rx bit/s" data-k="rx_bps">${fmtBits(r.rx_bps)}</td><td class="num" data-label="tx bit/s" data-k="tx_bps">${fmtBits(r.tx_bps)}</td>
        <td class="num" data-label="rx pkt/s" data-k="rx_pps">${fmtRate(r.rx_pps)}</td><td class="num" data-label="tx pkt/s" data-k="tx_pps">${fmtRate(r.tx_pps)}</td>
        <td class="num" data-label="drops/s" data-k="drops_ps">${fmtRate(r.drops_ps)}</td></tr>`;
    }).join("");
    $("#ov-ifaces tbody").innerHTML = rows || `<tr><td colspan="10" class="empty">no interfaces</td></tr>`;
    $("#ov-plugins").innerHTML = S.plugins.length
      ? S.plugins.map((p) => `<a href="#/plugins"><b>${esc(p.name)}</b></a> ${esc(p.version)}`).join(" · ")
      : `<span class="note">none loaded</span> (<a href="#/plugins">load one</a>)`;
    markFirstRender();
  },
};

/* Interfaces: counters, drops by reason, two charts each (bit/s; packets/s and drops/s). */
const SERIES = [
  [{ key: "rx_bps", label: "rx bit/s", color: "#1f6feb" }, { key: "tx_bps", label: "tx bit/s", color: "#d97706" }],
  [{ key: "rx_pps", label: "rx pkt/s", color: "#1f6feb" }, { key: "tx_pps", label: "tx pkt/s", color: "#d97706" }, { key: "drops_ps", label: "drops/s", color: "#b42318" }],
];

/* The x axis spans the samples, at least a minute, ending now. */
function chartWindow(ch) {
  const d = ch.data.datasets[0].data;
  const last = d.length ? d[d.length - 1].x : vnow();
  ch.options.scales.x.max = last;
  ch.options.scales.x.min = Math.min(d.length ? d[0].x : last, last - 60000);
}

function destroyCharts() {
  for (const charts of S.charts.values()) for (const c of charts) c.destroy();
  S.charts.clear();
}

function makeChart(canvas, series, name, title, fmt) {
  const h = S.hist.get(name) || [];
  const ch = new Chart(canvas, {
    type: "line",
    data: {
      datasets: series.map((s) => ({
        key: s.key, label: s.label, borderColor: s.color, backgroundColor: s.color,
        borderWidth: 1.5, pointRadius: 0, tension: 0, data: h.map((p) => ({ x: p.t, y: p[s.key] })),
      })),
    },
    options: {
      animation: false, parsing: false, normalized: true, responsive: true, maintainAspectRatio: false,
      interaction: { mode: "nearest", axis: "x", intersect: false },
      scales: {
        x: { type: "linear", ticks: { maxTicksLimit: 6, maxRotation: 0, callback: (v) => clock(v) } },
        y: { beginAtZero: true, ticks: { maxTicksLimit: 5, callback: (v) => fmt(v) } },
      },
      plugins: {
        title: { display: true, text: title, align: "start" },
        legend: { labels: { boxWidth: 10 } },
        tooltip: { callbacks: { title: (items) => items.length ? clock(items[0].parsed.x) : "", label: (c) => `${c.dataset.label}: ${fmt(c.parsed.y)}` } },
      },
    },
  });
  chartWindow(ch);
  ch.update("none");
  return ch;
}

Pages.interfaces = {
  enter() { this.render(); },
  render() {
    destroyCharts();
    const loaded = [...S.statsPoints.values()].reduce((a, b) => Math.max(a, b), 0);
    const note = S.historyFrom === "stats"
      ? `Charts: the last hour from the stats plugin (${loaded} samples), then this page's own 1 s samples.`
      : "History needs the stats plugin (not loaded): the charts start from what this page has sampled since it was opened.";
    $("#if-history-note").textContent = note;
    $("#if-cards").innerHTML = S.ifaces.map((i) => `
      <article class="ifcard" data-if="${esc(i.name)}" data-stats-points="${S.statsPoints.get(i.name) || 0}" aria-labelledby="ifc-${esc(i.name)}">
        <h3 id="ifc-${esc(i.name)}">${esc(i.name)} <span class="note">${esc(i.kind)} · ${esc(i.address)} · ${esc(i.mac || "no MAC")} · MTU ${esc(i.mtu)} · ${i.up ? "up" : "down"}</span></h3>
        <p class="counters" data-role="counters"></p>
        <details><summary>Drops by reason (<span data-role="dropsum"></span>)</summary><div class="drops" data-role="drops"></div></details>
        ${window.Chart ? `<div class="charts"><div class="chartbox"><canvas aria-label="${esc(i.name)} bit/s chart" role="img"></canvas></div>
        <div class="chartbox"><canvas aria-label="${esc(i.name)} packets/s and drops/s chart" role="img"></canvas></div></div>`
        : `<p class="error">Charts need Chart.js (Debian package libjs-chart.js, served from /javascript/).</p>`}
      </article>`).join("");
    if (window.Chart) {
      for (const i of S.ifaces) {
        const cv = document.querySelectorAll(`.ifcard[data-if="${CSS.escape(i.name)}"] canvas`);
        S.charts.set(i.name, [makeChart(cv[0], SERIES[0], i.name, "bit/s", (v) => si(v, "bit/s")),
          makeChart(cv[1], SERIES[1], i.name, "packets/s, drops/s", (v) => si(v, ""))]);
      }
    }
    this.refresh();
  },
  refresh() {
    if (S.ifaces.length !== document.querySelectorAll(".ifcard").length) return this.render();
    for (const i of S.ifaces) {
      const card = document.querySelector(`.ifcard[data-if="${CSS.escape(i.name)}"]`);
      if (!card) continue;
      const c = i.counters || {};
      const r = S.rates.get(i.name) || {};
      card.querySelector('[data-role="counters"]').innerHTML =
        `rx <b>${fmtInt(c.rx_packets)}</b> pkts / ${fmtInt(c.rx_bytes)} bytes · tx <b>${fmtInt(c.tx_packets)}</b> pkts / ${fmtInt(c.tx_bytes)} bytes` +
        ` · now rx ${fmtBits(r.rx_bps)}, tx ${fmtBits(r.tx_bps)}`;
      const drops = Object.entries(i.drops || {}).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
      card.querySelector('[data-role="dropsum"]').textContent = fmtInt(drops.reduce((a, [, v]) => a + v, 0)) + " total";
      card.querySelector('[data-role="drops"]').innerHTML = drops.map(([k, v]) => `<span class="${v ? "" : "zero"}">${esc(k)}: ${fmtInt(v)}</span>`).join("");
    }
  },
};

/* Routes: every route in memory, only the visible rows in the DOM. Filtering goes to the
 * server when the text is an address prefix (?prefix=), otherwise it matches next hop,
 * interface and origin here. */
const Routes = { all: [], view: [], loaded: false, complete: false, sort: { key: "prefix", dir: 1 }, filter: "", hl: null, seq: 0, loadSeq: 0 };

function ipNum(s) {
  const m = /^(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(s || "");
  return m ? (((+m[1] << 24) >>> 0) + (+m[2] << 16) + (+m[3] << 8) + +m[4]) : -1;
}
function keyed(r) {
  const [a, l] = r.prefix.split("/");
  r._a = ipNum(a); r._l = +l; r._nh = r.next_hop ? ipNum(r.next_hop) : -1;
  return r;
}
/* "10", "10.2", "10.2.3." or "10.2.0.0/16" as a prefix for ?prefix=, or null. */
function filterPrefix(t) {
  if (/^\d{1,3}(\.\d{1,3}){3}\/\d{1,2}$/.test(t)) return t;
  const m = /^(\d{1,3}(?:\.\d{1,3}){0,2})\.?$/.exec(t);
  if (!m) return null;
  const parts = m[1].split(".");
  const len = parts.length * 8;
  while (parts.length < 4) parts.push("0");
  return parts.join(".") + "/" + len;
}

function routeCmp(key, dir) {
  const byPrefix = (a, b) => a._a - b._a || a._l - b._l;
  const f = {
    prefix: byPrefix,
    next_hop: (a, b) => a._nh - b._nh || byPrefix(a, b),
    interface: (a, b) => a.interface.localeCompare(b.interface) || byPrefix(a, b),
    origin: (a, b) => a.origin.localeCompare(b.origin) || byPrefix(a, b),
    packets: (a, b) => (a.packets ?? -1) - (b.packets ?? -1) || byPrefix(a, b),
    bytes: (a, b) => (a.bytes ?? -1) - (b.bytes ?? -1) || byPrefix(a, b),
  }[key];
  return (a, b) => dir * f(a, b);
}

/* The first page (?limit=) is drawn at once; the whole table follows in the background. */
const ROUTES_FIRST_PAGE = 200;

async function routesLoad() {
  const seq = ++Routes.loadSeq;
  const data = await api("GET", "/api/v1/routes?limit=" + ROUTES_FIRST_PAGE);
  if (seq !== Routes.loadSeq) return;
  performance.mark("routes-fetched");
  Routes.all = (data.routes || []).map(keyed);
  Routes.loaded = true;
  Routes.complete = data.next_after == null;
  await routesApplyFilter(true);
  if (Routes.complete) performance.mark("routes-complete");
  else routesLoadRest(seq).catch((e) => setStatus(null, e.message));
}

async function routesLoadRest(seq) {
  const data = await api("GET", "/api/v1/routes");
  if (seq !== Routes.loadSeq) return;
  Routes.all = (data.routes || []).map(keyed);
  Routes.complete = true;
  await routesApplyFilter(true);
  performance.mark("routes-complete");
}

async function routesApplyFilter(keepScroll) {
  const t = Routes.filter.trim();
  const pfx = t ? filterPrefix(t) : null;
  let rows = Routes.all;
  $("#rt-count").classList.remove("bad");
  if (pfx) {
    const seq = ++Routes.seq;
    try {
      const data = await api("GET", "/api/v1/routes?prefix=" + encodeURIComponent(pfx));
      if (seq !== Routes.seq) return;
      rows = (data.routes || []).map(keyed);
    } catch (e) {
      if (seq !== Routes.seq) return;
      $("#rt-count").textContent = "Filter " + pfx + ": " + e.message;
      $("#rt-count").classList.add("bad");
      Routes.view = [];
      routesRender();
      return;
    }
  } else if (t) {
    const q = t.toLowerCase();
    rows = rows.filter((r) => r.prefix.startsWith(q) || (r.next_hop || "").startsWith(q) || r.interface.toLowerCase().includes(q) || r.origin.startsWith(q));
  }
  Routes.view = pfx || t ? rows.slice().sort(routeCmp(Routes.sort.key, Routes.sort.dir))
    : (Routes.sort.key === "prefix" && Routes.sort.dir === 1 ? rows : rows.slice().sort(routeCmp(Routes.sort.key, Routes.sort.dir)));
  $("#rt-count").textContent = `${fmtInt(Routes.view.length)} of ${Routes.complete || pfx ? "" : "the first "}${fmtInt(Routes.all.length)} routes` +
    (pfx ? ` (inside ${pfx}, filtered by shoald)` : t ? ` (matching “${t}”)` : "") + (Routes.complete ? "" : "; loading the rest…");
  if (!keepScroll) $("#rt-body").scrollTop = 0;
  routesRender();
}

function routesRender() {
  const body = $("#rt-body");
  $("#rt-spacer").style.height = Routes.view.length * ROW_H + "px";
  const first = Math.max(0, Math.floor(body.scrollTop / ROW_H) - 5);
  const last = Math.min(Routes.view.length, Math.ceil((body.scrollTop + (body.clientHeight || 600)) / ROW_H) + 5);
  let html = "";
  for (let k = first; k < last; k++) {
    const r = Routes.view[k];
    html += `<div class="vrow${r.prefix === Routes.hl ? " hl" : ""}" role="row" data-prefix="${esc(r.prefix)}">` +
      `<span role="cell" class="mono">${esc(r.prefix)}</span><span role="cell" class="mono">${esc(r.next_hop || "on-link")}</span>` +
      `<span role="cell">${esc(r.interface)}</span><span role="cell">${esc(r.origin)}</span>` +
      `<span role="cell" class="c-num">${r.packets == null ? "—" : fmtInt(r.packets)}</span><span role="cell" class="c-num">${r.bytes == null ? "—" : fmtInt(r.bytes)}</span>` +
      `<span role="cell">${r.origin === "connected" ? "" : `<button type="button" class="danger" data-del="${esc(r.prefix)}" aria-label="Delete route ${esc(r.prefix)}">Delete</button>`}</span></div>`;
  }
  const rowsEl = $("#rt-rows");
  rowsEl.style.transform = `translateY(${first * ROW_H}px)`;
  setHtml(rowsEl, html || (Routes.loaded ? `<div class="vrow"><span class="note">no routes</span></div>` : `<div class="vrow"><span class="note">loading…</span></div>`));
}

function fieldError(prefix, map, err) {
  // map: [[regex on code/message, field id], ...]; the first match gets the message.
  const text = (err.code || "") + " " + (err.message || "");
  for (const [re, id] of map) {
    if (re.test(text)) {
      $("#" + id + "-err").textContent = err.message;
      $("#" + id).setAttribute("aria-invalid", "true");
      $("#" + id).focus();
      return;
    }
  }
  const m = $(prefix);
  m.textContent = err.message;
  m.className = "msg full bad";
}
function clearErrors(form) {
  for (const e of form.querySelectorAll(".error")) e.textContent = "";
  for (const i of form.querySelectorAll("[aria-invalid]")) i.removeAttribute("aria-invalid");
  const m = form.querySelector(".msg");
  if (m) { m.textContent = ""; m.className = "msg full"; }
}
function okMsg(sel, text) { const m = $(sel); m.textContent = text; m.className = "msg full good"; }

const ROUTE_FIELDS = [
  [/next_hop|next hop|next-hop/i, "rt-nexthop"],
  [/interface/i, "rt-iface"],
  [/prefix|route|did you mean/i, "rt-prefix"],
  [/invalid_address/i, "rt-nexthop"],
];

function routeUpsert(r) {
  keyed(r);
  const i = Routes.all.findIndex((x) => x.prefix === r.prefix);
  if (i >= 0) Routes.all[i] = r; else {
    let lo = 0, hi = Routes.all.length; // keep (prefix, length) order
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((Routes.all[mid]._a - r._a || Routes.all[mid]._l - r._l) < 0) lo = mid + 1; else hi = mid;
    }
    Routes.all.splice(lo, 0, r);
  }
}

Pages.routes = {
  enter() { if (!Routes.loaded) routesRender(); },
  async refresh(first) {
    if (first && !Routes.loaded) {
      await routesLoad();
      performance.mark("routes-rendered");
      markFirstRender();
      // Interactive: the main thread is free again after the first rows are painted.
      requestAnimationFrame(() => setTimeout(() => performance.mark("routes-interactive"), 0));
    }
  },
};

function setupRoutes() {
  let pending = null;
  $("#rt-filter").addEventListener("input", (e) => {
    Routes.filter = e.target.value;
    clearTimeout(pending);
    pending = setTimeout(() => routesApplyFilter(false).catch((x) => setStatus(null, x.message)), 120);
  });
  let raf = 0;
  $("#rt-body").addEventListener("scroll", () => { if (!raf) raf = requestAnimationFrame(() => { raf = 0; routesRender(); }); });
  window.addEventListener("resize", () => { if (S.page === "routes") routesRender(); });
  for (const b of document.querySelectorAll(".vhead [data-sort]")) {
    b.addEventListener("click", () => {
      const key = b.dataset.sort;
      Routes.sort = { key, dir: Routes.sort.key === key ? -Routes.sort.dir : 1 };
      for (const o of document.querySelectorAll(".vhead [data-sort]")) o.removeAttribute("aria-sort");
      b.setAttribute("aria-sort", Routes.sort.dir > 0 ? "ascending" : "descending");
      routesApplyFilter(false);
    });
  }
  $('.vhead [data-sort="prefix"]').setAttribute("aria-sort", "ascending");

  $("#rt-form").addEventListener("submit", async (e) => {
    e.preventDefault();
    const form = e.target;
    clearErrors(form);
    const replace = e.submitter && e.submitter.id === "rt-replace";
    const prefix = $("#rt-prefix").value.trim();
    const nh = $("#rt-nexthop").value.trim();
    const ifc = $("#rt-iface").value.trim();
    const body = {};
    if (!replace) body.prefix = prefix;
    if (nh) body.next_hop = nh;
    if (ifc) body.interface = ifc;
    try {
      let r;
      if (replace) {
        if (!/^[\d.]+\/\d+$/.test(prefix)) throw new ApiError(400, "invalid_prefix", "prefix: give A.B.C.D/LEN");
        r = await api("PUT", "/api/v1/routes/" + prefix, body);
      } else {
        r = await api("POST", "/api/v1/routes", body);
      }
      routeUpsert(r);
      Routes.hl = r.prefix;
      okMsg("#rt-form-msg", `${replace ? "Replaced" : "Added"} ${r.prefix} ${r.next_hop ? "via " + r.next_hop : "on-link"} on ${r.interface}.`);
      await routesApplyFilter(true);
      routeScrollTo(r.prefix);
    } catch (err) {
      if (!(err instanceof ApiError)) throw err;
      fieldError("#rt-form-msg", ROUTE_FIELDS, err);
    }
  });

  $("#rt-rows").addEventListener("click", async (e) => {
    const b = e.target.closest("button[data-del]");
    if (!b) return;
    const prefix = b.dataset.del;
    clearErrors($("#rt-form"));
    try {
      await api("DELETE", "/api/v1/routes/" + prefix);
      Routes.all = Routes.all.filter((r) => r.prefix !== prefix);
      okMsg("#rt-form-msg", `Deleted ${prefix}.`);
      await routesApplyFilter(true);
    } catch (err) {
      if (!(err instanceof ApiError)) throw err;
      const m = $("#rt-form-msg"); m.textContent = `${prefix}: ${err.message}`; m.className = "msg full bad";
    }
  });

  $("#rt-lookup-form").addEventListener("submit", async (e) => {
    e.preventDefault();
    const a = $("#rt-lookup").value.trim();
    const out = $("#rt-lookup-result");
    out.className = "msg";
    try {
      const r = await api("GET", "/api/v1/routes/lookup?address=" + encodeURIComponent(a));
      out.textContent = `${a} → ${r.prefix} ${r.next_hop ? "via " + r.next_hop : "on-link"} on ${r.interface}`;
      out.className = "msg good";
      Routes.hl = r.prefix;
      if (!Routes.view.some((x) => x.prefix === r.prefix)) { Routes.filter = ""; $("#rt-filter").value = ""; await routesApplyFilter(false); }
      routeScrollTo(r.prefix);
    } catch (err) {
      if (!(err instanceof ApiError)) throw err;
      out.textContent = err.message;
      out.className = "msg bad";
    }
  });
}

function routeScrollTo(prefix) {
  const k = Routes.view.findIndex((r) => r.prefix === prefix);
  const body = $("#rt-body");
  if (k >= 0 && (k * ROW_H < body.scrollTop || (k + 1) * ROW_H > body.scrollTop + body.clientHeight)) {
    body.scrollTop = Math.max(0, k * ROW_H - body.clientHeight / 3);
  }
  routesRender();
}

/* ARP: polled every second while shown; expires-in counts down between polls. */
const Arp = { entries: [], at: 0 };
const ARP_FIELDS = [[/mac/i, "arp-mac"], [/interface/i, "arp-iface"], [/ip|address|on.link/i, "arp-ip"]];

Pages.arp = {
  async refresh() {
    const data = await api("GET", "/api/v1/arp");
    Arp.entries = data.entries || [];
    Arp.at = Date.now();
    arpRender();
  },
};

/* Replaces container.innerHTML, keeping the keyboard focus on the button with the same
 * data-* key when it is still there (tables re-render while polled). */
function setHtml(container, html) {
  const a = document.activeElement;
  const key = a && container.contains(a) && a.tagName === "BUTTON" ? [...a.attributes].find((x) => x.name.startsWith("data-")) : null;
  if (container.innerHTML === html) return;
  container.innerHTML = html;
  if (key) {
    const again = container.querySelector(`button[${key.name}="${CSS.escape(key.value)}"]`);
    if (again) again.focus({ preventScroll: true });
  }
}

function arpCountdown() {
  const since = Date.now() - Arp.at;
  for (const td of document.querySelectorAll('#arp-table td[data-k="expires"][data-ms]')) {
    td.textContent = fmtDuration(Math.max(0, Number(td.dataset.ms) - since * SPEED));
  }
}

function arpRender() {
  const since = Date.now() - Arp.at;
  setHtml($("#arp-table tbody"), Arp.entries.map((e) => `<tr data-ip="${esc(e.ip)}" class="${e.state === "pending" ? "pending" : ""}">
      <td>${esc(e.interface)}</td><td class="mono">${esc(e.ip)}</td><td class="mono">${esc(e.mac || "—")}</td><td>${esc(e.state)}</td>
      <td class="num" data-k="expires"${e.expires_in_ms == null ? "" : ` data-ms="${e.expires_in_ms}"`}>${e.expires_in_ms == null ? "never" : fmtDuration(Math.max(0, e.expires_in_ms - since * SPEED))}</td>
      <td class="num">${e.state === "pending" ? fmtInt(e.queued ?? 0) : ""}</td>
      <td><button type="button" class="danger" data-del="${esc(e.ip)}" aria-label="Delete ARP entry ${esc(e.ip)}">Delete</button></td></tr>`).join("") ||
    `<tr><td colspan="7" class="empty">the ARP caches are empty</td></tr>`);
}

function setupArp() {
  $("#arp-form").addEventListener("submit", async (e) => {
    e.preventDefault();
    clearErrors(e.target);
    const body = { ip: $("#arp-ip").value.trim(), mac: $("#arp-mac").value.trim() };
    const ifc = $("#arp-iface").value.trim();
    if (ifc) body.interface = ifc;
    try {
      const r = await api("POST", "/api/v1/arp", body);
      okMsg("#arp-msg", `Static entry ${r.ip} → ${r.mac} on ${r.interface}.`);
      await Pages.arp.refresh();
    } catch (err) {
      if (!(err instanceof ApiError)) throw err;
      fieldError("#arp-msg", ARP_FIELDS, err);
    }
  });
  $("#arp-flush").addEventListener("click", async () => {
    clearErrors($("#arp-form"));
    try {
      const r = await api("DELETE", "/api/v1/arp");
      okMsg("#arp-msg", `Flushed ${r.flushed} dynamic entr${r.flushed === 1 ? "y" : "ies"}.`);
      await Pages.arp.refresh();
    } catch (err) {
      if (!(err instanceof ApiError)) throw err;
      const m = $("#arp-msg"); m.textContent = err.message; m.className = "msg full bad";
    }
  });
  $("#arp-table").addEventListener("click", async (e) => {
    const b = e.target.closest("button[data-del]");
    if (!b) return;
    clearErrors($("#arp-form"));
    try {
      await api("DELETE", "/api/v1/arp/" + b.dataset.del);
      okMsg("#arp-msg", `Deleted ${b.dataset.del}.`);
      await Pages.arp.refresh();
    } catch (err) {
      if (!(err instanceof ApiError)) throw err;
      const m = $("#arp-msg"); m.textContent = `${b.dataset.del}: ${err.message}`; m.className = "msg full bad";
    }
  });
  setInterval(() => { if (S.page === "arp" && S.token) arpCountdown(); }, 250);
}

/* NAT (plugin "nat"). */
Pages.nat = {
  async refresh(first) {
    if (!hasPlugin("nat")) return;
    if (!first && S.tick % 2) return;
    const inside = $("#ns-inside").value.trim();
    const proto = $("#ns-proto").value;
    let q = "?limit=500";
    if (inside) q += "&inside=" + encodeURIComponent(inside);
    if (proto) q += "&protocol=" + encodeURIComponent(proto);
    const [sum, pf] = await Promise.all([api("GET", "/api/v1/nat"), api("GET", "/api/v1/nat/port-forwards")]);
    const c = sum.counts || {};
    $("#nat-counts").innerHTML = Object.entries(c).map(([k, v]) => `<div><dt>${esc(k.replace(/_/g, " "))}</dt><dd data-k="${esc(k)}">${fmtInt(v)}</dd></div>`).join("") +
      `<div><dt>outside</dt><dd>${esc((sum.outside || []).map((o) => o.interface + " " + o.address).join(", "))}</dd></div>` +
      `<div><dt>drops</dt><dd>${esc(Object.entries(sum.drops || {}).filter(([, v]) => v).map(([k, v]) => k + " " + v).join(", ") || "none")}</dd></div>`;
    setHtml($("#pf-table tbody"), (pf.port_forwards || []).map((f) => `<tr><td>${esc(f.protocol)}</td><td class="num">${esc(f.outside_port)}</td><td class="mono">${esc(f.inside)}</td>
      <td><button type="button" class="danger" data-del="${esc(f.protocol)}/${esc(f.outside_port)}" aria-label="Delete forward ${esc(f.protocol)} ${esc(f.outside_port)}">Delete</button></td></tr>`).join("") ||
      `<tr><td colspan="4" class="empty">no port forwards</td></tr>`);
    const msg = $("#ns-msg");
    try {
      const s = await api("GET", "/api/v1/nat/sessions" + q);
      msg.textContent = `${(s.sessions || []).length} shown${s.next_cursor != null ? " (first 500)" : ""}`;
      msg.className = "msg";
      $("#ns-table tbody").innerHTML = (s.sessions || []).map((x) => `<tr><td>${esc(x.protocol)}</td><td class="mono">${esc(x.inside)}</td><td class="mono">${esc(x.outside)}</td>
        <td class="mono">${esc(x.remote)}</td><td>${esc(x.state)}${x.static ? " (static)" : ""}</td><td class="num">${fmtDuration(x.idle_ms)}</td>
        <td class="num">${fmtDuration(x.expires_in_ms)}</td><td class="num">${fmtInt(x.packets_out)} / ${fmtInt(x.packets_in)}</td>
        <td class="num">${fmtInt(x.bytes_out)} / ${fmtInt(x.bytes_in)}</td></tr>`).join("") || `<tr><td colspan="9" class="empty">no sessions</td></tr>`;
    } catch (err) {
      if (!(err instanceof ApiError)) throw err;
      msg.textContent = err.message;
      msg.className = "msg bad";
    }
  },
};

function setupNat() {
  $("#ns-form").addEventListener("submit", (e) => { e.preventDefault(); Pages.nat.refresh(true); });
  $("#ns-inside").addEventListener("input", () => { clearTimeout(setupNat.t); setupNat.t = setTimeout(() => Pages.nat.refresh(true), 250); });
  $("#ns-proto").addEventListener("change", () => Pages.nat.refresh(true));
  $("#pf-form").addEventListener("submit", async (e) => {
    e.preventDefault();
    clearErrors(e.target);
    const port = $("#pf-port").value.trim();
    const body = { protocol: $("#pf-proto").value, outside_port: /^\d+$/.test(port) ? Number(port) : port, inside: $("#pf-inside").value.trim() };
    try {
      await api("POST", "/api/v1/nat/port-forwards", body);
      okMsg("#pf-msg", `Forwarding ${body.protocol} ${body.outside_port} to ${body.inside}.`);
      await Pages.nat.refresh(true);
    } catch (err) {
      if (!(err instanceof ApiError)) throw err;
      const m = $("#pf-msg"); m.textContent = err.message; m.className = "msg full bad";
    }
  });
  $("#pf-table").addEventListener("click", async (e) => {
    const b = e.target.closest("button[data-del]");
    if (!b) return;
    try {
      await api("DELETE", "/api/v1/nat/port-forwards/" + b.dataset.del);
      okMsg("#pf-msg", `Deleted forward ${b.dataset.del}.`);
      await Pages.nat.refresh(true);
    } catch (err) {
      if (!(err instanceof ApiError)) throw err;
      const m = $("#pf-msg"); m.textContent = err.message; m.className = "msg full bad";
    }
  });
}

/* TCP (plugin "tcp"): shown generically, columns from the API's own keys. */
function genericTable(sel, rows) {
  const t = $(sel);
  if (!rows || !rows.length) { t.tHead.innerHTML = ""; t.tBodies[0].innerHTML = `<tr><td class="empty">none</td></tr>`; return; }
  const keys = [...new Set(rows.flatMap((r) => Object.keys(r)))];
  const cell = (v) => (v !== null && typeof v === "object" ? JSON.stringify(v) : v);
  t.tHead.innerHTML = "<tr>" + keys.map((k) => `<th class="${typeof rows[0][k] === "number" ? "num" : ""}">${esc(k)}</th>`).join("") + "</tr>";
  t.tBodies[0].innerHTML = rows.map((r) => "<tr>" + keys.map((k) => `<td class="${typeof r[k] === "number" ? "num" : ""}" data-k="${esc(k)}">${esc(cell(r[k]))}</td>`).join("") + "</tr>").join("");
}

Pages.tcp = {
  async refresh(first) {
    if (!hasPlugin("tcp")) return;
    if (!first && S.tick % 2) return;
    const [sum, conns] = await Promise.all([api("GET", "/api/v1/tcp"), api("GET", "/api/v1/tcp/connections")]);
    const scalars = Object.entries(sum || {}).filter(([, v]) => v === null || typeof v !== "object");
    const objects = Object.entries(sum || {}).filter(([k, v]) => v && typeof v === "object" && !Array.isArray(v));
    $("#tcp-summary").innerHTML = scalars.concat(objects.flatMap(([k, o]) => Object.entries(o).filter(([, v]) => typeof v !== "object").map(([kk, v]) => [k + " " + kk, v])))
      .map(([k, v]) => `<div><dt>${esc(k.replace(/_/g, " "))}</dt><dd>${esc(typeof v === "number" ? fmtInt(v) : v)}</dd></div>`).join("");
    genericTable("#tcp-listeners", (sum && sum.listeners) || (conns && conns.listeners) || []);
    const list = Array.isArray(conns) ? conns : (conns && (conns.connections || Object.values(conns).find(Array.isArray))) || [];
    genericTable("#tcp-conns", list.filter((c) => c.state !== "LISTEN" && c.state !== "listen"));
  },
};

/* Plugins: load and unload with the host's error messages. */
Pages.plugins = {
  async refresh(first) {
    if (!first && S.tick % 2) return;
    if (!first) await pollPlugins();
    setHtml($("#pl-list"), S.plugins.map((p) => `<article class="plugin" data-plugin="${esc(p.name)}">
        <header><h3>${esc(p.name)}</h3><span>${esc(p.version)} · ABI ${esc(p.abi)}</span>
        <button type="button" class="danger" data-unload="${esc(p.name)}" aria-label="Unload plugin ${esc(p.name)}">Unload</button></header>
        <p>${esc(p.description)}</p>
        <p class="kv">hooks: ${esc(Object.entries(p.hooks || {}).map(([k, v]) => k + " " + fmtInt(v)).join(", "))}</p>
        <p class="kv">counters: ${esc(Object.entries(p.counters || {}).map(([k, v]) => k + " " + fmtInt(v)).join(", ") || "none")}
          · drops: ${esc(Object.entries(p.drops || {}).map(([k, v]) => k + " " + fmtInt(v)).join(", ") || "none")}</p>
        <p class="kv">${esc(p.path)}</p></article>`).join("") || `<p class="note">No plugin loaded.</p>`);
  },
};

function setupPlugins() {
  $("#pl-form").addEventListener("submit", async (e) => {
    e.preventDefault();
    clearErrors(e.target);
    const body = { name: $("#pl-name").value.trim() };
    const cfg = $("#pl-config").value.trim();
    const m = $("#pl-err");
    if (cfg) {
      try { body.config = JSON.parse(cfg); } catch (x) { m.textContent = "config is not JSON: " + x.message; m.className = "msg full bad"; return; }
    }
    try {
      await api("POST", "/api/v1/plugins", body);
      okMsg("#pl-err", `Loaded ${body.name}.`);
      await pollPlugins();
      await Pages.plugins.refresh(true);
    } catch (err) {
      if (!(err instanceof ApiError)) throw err;
      m.textContent = err.message; m.className = "msg full bad";
    }
  });
  $("#pl-list").addEventListener("click", async (e) => {
    const b = e.target.closest("button[data-unload]");
    if (!b) return;
    const m = $("#pl-err");
    try {
      await api("DELETE", "/api/v1/plugins/" + b.dataset.unload);
      okMsg("#pl-err", `Unloaded ${b.dataset.unload}.`);
      await pollPlugins();
      await Pages.plugins.refresh(true);
    } catch (err) {
      if (!(err instanceof ApiError)) throw err;
      m.textContent = err.message; m.className = "msg full bad";
    }
  });
}

/* ---- boot -------------------------------------------------------------------------------- */

function boot() {
  $("#login-form").addEventListener("submit", (e) => {
    e.preventDefault();
    const t = $("#login-token").value.trim();
    if (!t) { $("#login-error").textContent = "Enter the token."; return; }
    tryLogin(t, false);
  });
  $("#logout").addEventListener("click", () => logout("Logged out: the token is forgotten."));
  window.addEventListener("hashchange", () => { route(); $("#main").focus({ preventScroll: true }); });
  setupRoutes();
  setupArp();
  setupNat();
  setupPlugins();
  setInterval(chartsRedraw, 1000);
  const saved = sessionStorage.getItem(TOKEN_KEY);
  if (saved) tryLogin(saved, true); else showLogin("");
}

document.addEventListener("DOMContentLoaded", boot);
