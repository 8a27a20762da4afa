// The fleet (/fleet), on the supervising agency's own machine: every unit's
// box at a glance (heard or silent, when last heard, its health as last
// reported), the units' reports and fallback notices with the time left to
// the agency's own review, and the alerts its view raised (GET /v1/fleet,
// lifeline-fleet's view). In the menu only where this box shows a fleet.
"use strict";
(function () {
  const { el, T, api, localTime } = Console;

  // The health entries a box reports, each by its journal type, as one line.
  function healthText(health) {
    const parts = [];
    for (const [type, h] of Object.entries(health || {})) {
      const d = (h && h.detail) || {};
      const state = d.to || d.state || d.status || (d.on_battery === true ? "battery" : d.on_battery === false ? "mains" : "");
      parts.push(type + (state ? ": " + state : ""));
    }
    return parts.length ? parts.join(" · ") : "—";
  }

  function unitsTable(units) {
    if (!units.length) return el("p", { class: "muted", id: "fleet-no-units" }, T("fleet.no_units"));
    return el("div", { class: "table-wrap" }, el("table", { class: "fleet-units", id: "fleet-units" },
      el("thead", {}, el("tr", {}, ["fleet.unit", "fleet.state", "fleet.last_heard", "fleet.health"].map((k) =>
        el("th", { scope: "col" }, T(k))))),
      el("tbody", {}, units.map((u) => el("tr", { dataset: { unit: u.unit, silent: String(u.silent) } },
        el("td", {}, u.unit),
        el("td", {}, u.silent ? el("span", { class: "badge bad" }, T("fleet.silent")) : el("span", { class: "badge ok" }, T("fleet.heard"))),
        el("td", { class: "nowrap" }, u.last_seen ? localTime(u.last_seen) : T("fleet.never")),
        el("td", {}, healthText(u.health)))))));
  }

  function reportsTable(reports) {
    const open = reports.filter((r) => !r.reviewed_at);
    if (!reports.length) return el("p", { class: "muted", id: "fleet-no-reports" }, T("fleet.no_reports"));
    return el("div", { class: "table-wrap" }, el("table", { class: "fleet-reports", id: "fleet-reports" },
      el("thead", {}, el("tr", {}, ["fleet.unit", "fleet.report", "fleet.level", "fleet.state", "fleet.received", "fleet.review"]
        .map((k) => el("th", { scope: "col" }, T(k))))),
      el("tbody", {}, open.concat(reports.filter((r) => r.reviewed_at)).map((r) =>
        el("tr", { dataset: { unit: r.unit, report: r.report_id } },
          el("td", {}, r.unit),
          el("td", {}, r.report_id, r.fallback ? el("span", { class: "badge" }, T("fleet.notice")) : "",
             r.drill ? el("span", { class: "badge drill" }, T("drill.badge")) : ""),
          el("td", {}, String(r.level)),
          el("td", {}, r.state),
          el("td", { class: "nowrap" }, localTime(r.received_at)),
          el("td", { class: "nowrap" }, r.reviewed_at
            ? [T(r.reviewed_level === r.level ? "fleet.level_kept" : "fleet.level_changed"), " ", localTime(r.reviewed_at)]
            : [localTime(r.review_due), " ", Console.countdown(r.review_due)]))))));
  }

  function alertsList(alerts) {
    if (!alerts.length) return el("p", { class: "muted" }, T("fleet.no_alerts"));
    return el("ul", { class: "fleet-alerts", id: "fleet-alerts" }, alerts.slice(-50).reverse().map((a) =>
      el("li", { dataset: { event: a.event } }, localTime(a.at), " ", T("fleet.alert." + a.event), " — ", a.subject,
         a.outcome ? " (" + a.outcome + ")" : "")));
  }

  async function view(main) {
    const box = el("div", {});
    main.replaceChildren(el("h1", {}, T("fleet.title")), box);
    Console.poll(5000, async () => {
      const r = await api("GET", "/v1/fleet");
      if (!r.ok) throw new Error("fleet " + r.status);
      return r.data.fleet_view ? r.data : null;
    }, (v) => Console.redraw(box, v === null ? el("p", { class: "panel" }, T("fleet.not_here")) : [
      el("p", { class: "muted" }, T("fleet.agency"), " ", v.agency, " · ",
         T("fleet.silent_after", { s: v.silent_after_seconds })),
      el("section", { "aria-labelledby": "fleet-h-units" }, el("h2", { id: "fleet-h-units" }, T("fleet.units")), unitsTable(v.units)),
      el("section", { "aria-labelledby": "fleet-h-reports" }, el("h2", { id: "fleet-h-reports" }, T("fleet.reports")),
         reportsTable(v.reports)),
      el("section", { "aria-labelledby": "fleet-h-alerts" }, el("h2", { id: "fleet-h-alerts" }, T("fleet.alerts")),
         alertsList(v.alerts || []))]));
  }

  Console.page({ path: "/fleet", name: "fleet", nav: "nav.fleet", probe: { path: "/v1/fleet", field: "fleet_view" }, view });
})();
