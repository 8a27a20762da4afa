// The console's core: the API client, DOM building, times in the agency's
// offset, live countdowns, the problems of a 422 put at their fields, and the
// page table. Each page is one view registered with Console.page({path, nav,
// view, changes, probe}); app.html is the one shell and the view is chosen from
// location.pathname; a page marked `changes` is left out of the menu and
// replaced by a read-only note for a role that may not change state. Text from reports and from outside is only ever set with
// textContent or as text nodes, never parsed as HTML.
"use strict";
const Console = (function () {
  const csrf = () => sessionStorage.getItem("csrf") || "";
  // The logged-in person ({user, role, csrf}); an auditor reads and exports
  // only, so the pages leave out what would change state (the API refuses it
  // anyway: 403).
  let session = null;
  const canChange = () => !!session && session.role !== "auditor";
  const role = () => (session ? session.role : "");
  // Taiwan keeps +08:00 all year; a report's own offset wins where it has one.
  const AGENCY_OFFSET_MINUTES = 480;

  async function api(method, path, body) {
    const init = { method, credentials: "same-origin", headers: { Accept: "application/json" } };
    if (body !== undefined) {
      init.headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    if (method !== "GET") init.headers["X-CSRF-Token"] = csrf();
    const r = await fetch(path, init);
    if (r.status === 401) {
      location.assign("/login?next=" + encodeURIComponent(location.pathname + location.search));
      throw new Error("login required");
    }
    const data = await r.json().catch(() => ({}));
    return { status: r.status, ok: r.ok, data };
  }

  // el("td", {class: "x"}, "text", child...): strings become text nodes only.
  function el(tag, attrs, ...children) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === undefined || v === null || v === false) continue;
      if (k === "dataset") Object.assign(e.dataset, v);
      else if (k.startsWith("on")) e.addEventListener(k.slice(2), v);
      else e.setAttribute(k, v === true ? "" : v);
    }
    append(e, children);
    return e;
  }
  function append(e, children) {
    for (const c of children.flat()) {
      if (c === undefined || c === null || c === false) continue;
      e.append(c instanceof Node ? c : document.createTextNode(String(c)));
    }
    return e;
  }
  const T = (key, vars) => I18n.node(key, vars);
  const P = (zh, en) => I18n.pair(zh, en);

  // "2026-11-21 10:05:12 +08:00" for an RFC 3339 time, in `offset` minutes.
  function offsetOf(iso) {
    const m = /([+-])(\d\d):(\d\d)$/.exec(iso || "");
    return m ? (m[1] === "-" ? -1 : 1) * (Number(m[2]) * 60 + Number(m[3])) : AGENCY_OFFSET_MINUTES;
  }
  function localTime(iso, offset) {
    const ms = Date.parse(iso);
    if (!iso || Number.isNaN(ms)) return iso || "—";
    const off = offset === undefined ? AGENCY_OFFSET_MINUTES : offset;
    const shifted = new Date(ms + off * 60000).toISOString();
    const sign = off < 0 ? "-" : "+";
    const a = Math.abs(off);
    const tz = sign + String(Math.floor(a / 60)).padStart(2, "0") + ":" + String(a % 60).padStart(2, "0");
    return shifted.slice(0, 10) + " " + shifted.slice(11, 19) + " " + tz;
  }
  // The value of a datetime-local input (step 1: seconds) for now, in the agency's offset.
  function nowLocalInput() {
    return new Date(Date.now() + AGENCY_OFFSET_MINUTES * 60000).toISOString().slice(0, 19);
  }
  const OFFSET_TEXT = (AGENCY_OFFSET_MINUTES < 0 ? "-" : "+") +
                      String(Math.floor(Math.abs(AGENCY_OFFSET_MINUTES) / 60)).padStart(2, "0") + ":" +
                      String(Math.abs(AGENCY_OFFSET_MINUTES) % 60).padStart(2, "0");
  // A datetime-local value ("2026-11-21T10:05[:30]") as RFC 3339 in the agency's offset.
  function fromLocalInput(v) {
    if (!v) return "";
    return (v.length === 16 ? v + ":00" : v.slice(0, 19)) + OFFSET_TEXT;
  }
  function toLocalInput(iso) {
    const ms = Date.parse(iso);
    if (Number.isNaN(ms)) return "";
    return new Date(ms + AGENCY_OFFSET_MINUTES * 60000).toISOString().slice(0, 19);
  }

  // Countdowns are <span data-deadline="ISO">; one ticker rewrites them all.
  function countdownText(at, now) {
    const ms = Date.parse(at) - now;
    const s = Math.abs(Math.round(ms / 1000));
    const text = Math.floor(s / 3600) + ":" + String(Math.floor(s / 60) % 60).padStart(2, "0") + ":" +
                 String(s % 60).padStart(2, "0");
    return ms >= 0 ? { text: text + " " + I18n.t("deadline.left"), cls: ms < 600000 ? "warn" : "ok" }
                   : { text: I18n.t("deadline.overdue") + " " + text, cls: "bad" };
  }
  function countdown(at) {
    const s = el("span", { class: "countdown", dataset: { deadline: at } });
    tickOne(s, Date.now());
    return s;
  }
  function tickOne(s, now) {
    const c = countdownText(s.dataset.deadline, now);
    s.textContent = c.text;
    s.className = "countdown " + c.cls;
  }
  setInterval(() => {
    const now = Date.now();
    document.querySelectorAll("[data-deadline]").forEach((s) => tickOne(s, now));
  }, 1000);

  // Redraws `container` with `draw()`'s nodes, keeping the focused element
  // (by its data-key or id) focused, so a keyboard user is not thrown out by
  // a live update.
  function redraw(container, nodes) {
    const active = document.activeElement;
    const key = active && container.contains(active) ? active.dataset.key || active.id : null;
    container.replaceChildren(...[].concat(nodes));
    if (!key) return;
    const again = container.querySelector('[data-key="' + CSS.escape(key) + '"]') ||
                  document.getElementById(key);
    if (again) again.focus({ preventScroll: true });
  }

  // Polls `load` every `ms` and calls `show(data)` only when the answer changed.
  function poll(ms, load, show) {
    let last = null;
    let stopped = false;
    async function once() {
      try {
        const r = await load();
        const text = JSON.stringify(r);
        if (text !== last) {
          last = text;
          show(r);
        }
      } catch (e) {
        if (String(e.message) === "login required") stopped = true;
      }
      if (!stopped) setTimeout(once, ms);
    }
    once();
    document.addEventListener("langchange", () => { last = null; });
  }

  // The problems of a 422 at their fields. Every field of a form has
  // data-path (a JSON Pointer); a problem goes to the deepest field whose path
  // is a prefix of its own ("/anomalies/0" to "/anomalies"), and every problem
  // is also listed in the summary at the top, linked to its field.
  function clearProblems(form) {
    form.querySelectorAll(".field-error").forEach((e) => { e.replaceChildren(); e.hidden = true; });
    form.querySelectorAll("[aria-invalid]").forEach((e) => e.removeAttribute("aria-invalid"));
    const summary = form.querySelector(".error-summary");
    if (summary) { summary.replaceChildren(); summary.hidden = true; }
  }
  function fieldFor(form, path) {
    const segments = (path || "").split("/");
    for (let n = segments.length; n > 0; --n) {
      const p = segments.slice(0, n).join("/");
      const f = form.querySelector('[data-path="' + CSS.escape(p) + '"]');
      if (f) return f;
    }
    return null;
  }
  // The first control of a field that is not inside a nested field.
  function ownControl(field) {
    for (const c of field.querySelectorAll("input, select, textarea")) {
      if (c.closest("[data-path]") === field && !c.disabled) return c;
    }
    return null;
  }
  function problemText(p) {
    const first = I18n.lang === "en" ? p.en : p.zh;
    const second = I18n.lang === "en" ? p.zh : p.en;
    return el("span", { class: "problem" }, el("span", { lang: I18n.lang === "en" ? "en" : "zh-Hant-TW" }, first),
              second && second !== first ? el("span", { class: "muted other-lang" }, " — " + second) : null);
  }
  function showProblems(form, problems, message) {
    clearProblems(form);
    const summary = form.querySelector(".error-summary");
    const list = el("ul", {});
    for (const p of problems || []) {
      const field = fieldFor(form, p.path);
      const err = field && field.querySelector(":scope > .field-error");
      const target = field ? ownControl(field) : null;
      if (err) {
        err.hidden = false;
        err.append(problemText(p));
        if (target) target.setAttribute("aria-invalid", "true");
      }
      const item = el("li", { dataset: { path: p.path } }, el("code", {}, p.path || "/"), " ", problemText(p));
      if (target && target.id) {
        item.append(" ", el("a", { href: "#" + target.id, onclick: (e) => { e.preventDefault(); target.focus(); } },
                            I18n.t("error.goto")));
      }
      list.append(item);
    }
    if (summary) {
      summary.hidden = false;
      summary.append(el("h2", { tabindex: "-1" }, message || I18n.t("error.summary")), list);
      summary.querySelector("h2").focus();
    }
  }
  // A failure without problems (403, 409, 503 ...) in both languages.
  function errorOf(r) {
    const d = r.data || {};
    return { path: "", zh: d.message_zh || I18n.t("error.unexpected") + " (" + r.status + ")",
             en: d.message || "HTTP " + r.status };
  }

  // The page table: one view per path pattern (":id" matches one segment).
  const pages = [];
  function page(p) { pages.push(p); }
  function match(pattern, path) {
    const a = pattern.split("/"), b = path.replace(/\/+$/, "").split("/");
    if (pattern === "/") return path === "/" ? {} : null;
    if (a.length !== b.length) return null;
    const params = {};
    for (let i = 0; i < a.length; ++i) {
      if (a[i].startsWith(":")) params[a[i].slice(1)] = decodeURIComponent(b[i]);
      else if (a[i] !== b[i]) return null;
    }
    return params;
  }

  function buildNav() {
    const nav = document.getElementById("nav");
    const path = location.pathname;
    for (const p of pages.filter((p) => p.nav && (!p.changes || canChange()))) {
      const a = el("a", { href: p.path }, T(p.nav));
      if (match(p.path, path)) a.setAttribute("aria-current", "page");
      nav.append(a);
      // A page of something not every box has (the fleet view) is in the menu
      // only where its API answers.
      if (p.probe) {
        a.hidden = true;
        api("GET", p.probe.path).then((r) => { a.hidden = !(r.ok && r.data && r.data[p.probe.field]); }).catch(() => {});
      }
    }
  }

  // Every page shows the outage and the open phone tasks, not only the dashboard.
  function watchBanners() {
    poll(2000, async () => {
      const r = await api("GET", "/v1/dashboard");
      if (!r.ok) throw new Error("dashboard " + r.status);
      return { outage: r.data.outage, box: { site: r.data.box.site }, phone_tasks_open: r.data.phone_tasks_open };
    }, (d) => Console.banners(d));
  }

  // A page that changes state, opened by someone whose role may not.
  function readOnly(main) {
    main.replaceChildren(el("h1", {}, T("readonly.title")),
      el("p", { class: "panel", id: "read-only", role: "note" }, T("readonly.text")),
      el("p", {}, el("a", { href: "/" }, T("nav.dashboard"))));
  }

  async function start() {
    const who = await api("GET", "/v1/session").catch(() => null);
    if (who && who.ok) {
      session = who.data;
      sessionStorage.setItem("csrf", who.data.csrf);
      document.getElementById("who").textContent = who.data.user + " (" + who.data.role + ")";
    }
    buildNav();
    I18n.apply(document);
    document.getElementById("logout").addEventListener("click", async () => {
      await api("DELETE", "/v1/session").catch(() => null);
      sessionStorage.removeItem("csrf");
      location.assign("/login?logged_out=1");
    });
    const main = document.getElementById("main");
    // Literal paths first: /reports/new is not the report "new".
    const ordered = [...pages].sort((a, b) => a.path.includes(":") - b.path.includes(":"));
    for (const p of ordered) {
      const params = match(p.path, location.pathname);
      if (params) {
        document.body.dataset.page = p.name || p.path;
        if (!p.ownBanners && Console.banners) watchBanners();
        if (p.changes && !canChange()) return readOnly(main);
        return p.view(main, params);
      }
    }
    main.replaceChildren(el("h1", {}, T("not_found")));
  }
  document.addEventListener("DOMContentLoaded", start);
  return { api, el, append, T, P, offsetOf, localTime, nowLocalInput, fromLocalInput, toLocalInput, countdown,
           redraw, poll, clearProblems, showProblems, errorOf, page, canChange, role };
})();
