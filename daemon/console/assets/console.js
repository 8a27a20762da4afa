// The console's pages, drawn from the JSON API. Text from reports and from
// outside is only ever set with textContent, never parsed as HTML.
"use strict";
const Console = (function () {
  const csrf = () => sessionStorage.getItem("csrf") || "";

  async function api(method, path, body) {
    const init = { method, credentials: "same-origin", headers: {} };
    if (body !== undefined) {
      init.headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    if (method !== "GET") init.headers["X-CSRF-Token"] = csrf();
    const r = await fetch(path, init);
    if (r.status === 401) {
      location.assign("/login?next=" + encodeURIComponent(location.pathname));
      throw new Error("login required");
    }
    const data = await r.json().catch(() => ({}));
    return { status: r.status, ok: r.ok, data };
  }

  // el("td", {class: "x"}, "text", child...) with text as text nodes only.
  function el(tag, attrs, ...children) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (k === "dataset") Object.assign(e.dataset, v);
      else e.setAttribute(k, v);
    }
    for (const c of children) e.append(c instanceof Node ? c : document.createTextNode(c == null ? "" : String(c)));
    return e;
  }

  function countdown(at, now) {
    const ms = Date.parse(at) - now;
    const s = Math.abs(Math.round(ms / 1000));
    const text = Math.floor(s / 3600) + ":" + String(Math.floor(s / 60) % 60).padStart(2, "0") + ":" +
                 String(s % 60).padStart(2, "0");
    return ms >= 0 ? { text: text + " " + I18n.t("deadline.left"), cls: ms < 600000 ? "warn" : "ok" }
                   : { text: I18n.t("deadline.overdue") + " " + text, cls: "bad" };
  }

  const views = {};
  views.dashboard = function (main) {
    let last = null;
    async function refresh() {
      try {
        const r = await api("GET", "/v1/dashboard");
        if (r.ok) last = r.data;
      } catch (_) { /* the next poll tries again */ }
      draw();
    }
    function draw() {
      if (!last) return;
      const banner = document.getElementById("banner");
      const contactAlerts = (last.box && last.box.contact_alerts) || [];
      banner.hidden = !last.outage && contactAlerts.length === 0;
      banner.textContent = (last.outage ? I18n.t("outage.banner") + " (" + (last.box.site.reason || "") + ") " : "") +
        contactAlerts.map((a) => a.message).join(" ");
      main.replaceChildren(healthPanel(last.box), reportsPanel(last.reports, last.phone_tasks_open));
    }
    refresh();
    setInterval(refresh, 1000);
    setInterval(draw, 1000);
  };

  function healthPanel(box) {
    const site = box.site || {};
    const cls = site.state === "up" ? "ok" : site.state === "outage" ? "bad" : "warn";
    const power = box.power || {};
    const sms = (box.channels || {}).sms;
    const fax = (box.channels || {}).fax;
    return el("section", { class: "panel health", id: "health", "aria-label": "health" },
      el("div", { id: "health-site" }, el("div", { class: "muted" }, I18n.t("box.site")),
         el("div", { class: cls }, I18n.t("site." + (site.state || "unknown")) + (site.reason ? " — " + site.reason : ""))),
      el("div", { id: "health-power" }, el("div", { class: "muted" }, I18n.t("box.power")),
         el("div", { class: power.on_battery ? "bad" : power.known ? "ok" : "muted" },
            power.known ? (power.on_battery ? "battery " + (power.runtime_seconds ? Math.round(power.runtime_seconds / 60) + " min" : "")
                                            : "mains") : "—")),
      el("div", { id: "health-sms" }, el("div", { class: "muted" }, I18n.t("box.sms")),
         el("div", {}, sms ? JSON.stringify(sms.signal || sms.configured || sms) : "—")),
      el("div", { id: "health-fax" }, el("div", { class: "muted" }, I18n.t("box.fax")),
         el("div", {}, fax ? "configured" : "—")));
  }

  function reportsPanel(reports, tasks) {
    const now = Date.now();
    const section = el("section", { class: "panel", id: "reports" }, el("h2", {}, I18n.t("reports.open")));
    if (tasks > 0) section.append(el("p", { class: "bad" }, el("a", { href: "/phone" }, tasks + " " + I18n.t("phone.open"))));
    if (!reports.length) section.append(el("p", { class: "muted" }, I18n.t("reports.none")));
    for (const r of reports) {
      const card = el("article", { class: "panel report", dataset: { report: r.id } },
        el("h3", {}, el("a", { href: "/reports/" + r.id }, (r.agency || "") + " — " + (r.category_zh || r.category)),
           " ", el("span", { class: "muted" }, "L" + r.level + " r" + r.revision + " " + r.state)));
      const rows = el("table", { class: "deadlines" });
      for (const d of (r.schedule && r.schedule.deadlines) || []) {
        const c = countdown(d.at, now);
        rows.append(el("tr", {}, el("td", {}, I18n.pick(d.title, d.title_en)), el("td", {}, d.at),
                       el("td", { class: "countdown " + c.cls }, c.text)));
      }
      card.append(rows);
      const who = el("table", { class: "recipients" });
      for (const n of r.recipients || []) {
        const lastAttempt = (n.attempts || [])[n.attempts.length - 1];
        who.append(el("tr", { dataset: { recipient: n.key } }, el("td", {}, n.name),
          el("td", { class: n.state === "confirmed" ? "ok" : n.state === "missed" ? "bad" : "warn" }, I18n.t("state." + n.state)),
          el("td", {}, lastAttempt ? lastAttempt.channel + " " + (lastAttempt.summary || lastAttempt.outcome || "") : "")));
      }
      card.append(who);
      section.append(card);
    }
    return section;
  }

  async function start() {
    I18n.apply(document);
    const who = await api("GET", "/v1/session").catch(() => null);
    if (who && who.ok) {
      sessionStorage.setItem("csrf", who.data.csrf);
      document.getElementById("who").textContent = who.data.user + " (" + who.data.role + ")";
    }
    document.getElementById("logout").addEventListener("click", async () => {
      await api("DELETE", "/v1/session").catch(() => null);
      sessionStorage.removeItem("csrf");
      location.assign("/login");
    });
    const main = document.getElementById("main");
    const path = location.pathname;
    if (path === "/") return views.dashboard(main);
    main.textContent = path;
  }
  document.addEventListener("DOMContentLoaded", start);
  return { api, el, countdown, views };
})();
