// Drills (/drills): the scenario library (GET /v1/drill-scenarios) with what
// this box can simulate of each, a drill started the way `lifeline drill
// start` does (a fresh report, aware now, marked DRILL; POST /v1/drills), the
// drills run, and one drill's time record (/drills?drill=ID, GET
// /v1/drills/{id}, followed live until it completes).
"use strict";
(function () {
  const { el, T, P, api, localTime } = Console;

  // The scenario's report as the drill files it now (drill::DrillReport).
  function drillReport(s) {
    const now = Console.fromLocalInput(Console.nowLocalInput());
    return Object.assign({}, s.report, { id: crypto.randomUUID(), revision: 1, drill: true,
                                         aware_at: now, filed_at: now, discovered_at: now });
  }

  function startForm(s) {
    const desk = s.desk || {};
    const id = "sc-" + s.id;
    const name = el("input", { id: id + "-name", name: "name", maxlength: "200", "aria-describedby": "err-" + id + "-name" });
    name.value = s.name;
    const partial = (desk.not_simulated || []).length > 0;
    const allow = el("input", { type: "checkbox", id: id + "-partial" });
    const button = el("button", { type: "submit", id: id + "-start" }, T("drills.start"));
    const form = el("form", { class: "drill-start", novalidate: true, "aria-label": I18n.t("drills.start") + ": " + s.name },
      el("div", { class: "error-summary", role: "alert", hidden: true, tabindex: "-1" }),
      el("div", { class: "field", dataset: { path: "/name" } }, el("label", { for: name.id }, T("drills.name")), name,
         el("p", { class: "field-error", id: "err-" + name.id, hidden: true })),
      el("div", { class: "field", dataset: { path: "/report" } }, el("p", { class: "field-error", hidden: true })),
      el("div", { class: "field", dataset: { path: "/outage_seconds" } }, el("p", { class: "field-error", hidden: true })),
      partial ? el("p", {}, allow, " ", el("label", { for: allow.id }, T("drills.allow_partial"))) : "",
      el("p", {}, button));
    form.addEventListener("submit", async (e) => {
      e.preventDefault();
      Console.clearProblems(form);
      if (partial && !allow.checked) {
        return Console.showProblems(form, [{ path: "", zh: I18n.entry("drills.allow_partial")[0],
                                             en: I18n.entry("drills.allow_partial")[1] }]);
      }
      const body = { name: name.value.trim(), scenario: s.text, outage_seconds: desk.outage_seconds, faults: desk.faults || [], report: drillReport(s) };
      button.disabled = true;
      const r = await api("POST", "/v1/drills", body).catch(() => null);
      button.disabled = false;
      if (r && r.status === 201) return location.assign("/drills?drill=" + encodeURIComponent(r.data.id));
      const problems = r && r.status === 422 && Array.isArray(r.data.problems) ? r.data.problems
                                                                              : [Console.errorOf(r || { status: 0, data: {} })];
      Console.showProblems(form, problems, r ? I18n.pick(r.data.message_zh, r.data.message) : I18n.t("error.network"));
    });
    return form;
  }

  function scenarioCard(s) {
    const desk = s.desk || {};
    const list = (key, items) => (items && items.length ? el("div", {}, el("strong", {}, T(key)), el("ul", {},
      items.map((x) => el("li", {}, x)))) : "");
    return el("article", { class: "panel scenario", dataset: { scenario: s.id }, "aria-labelledby": "sc-h-" + s.id },
      el("h3", { id: "sc-h-" + s.id }, s.name, " ", el("span", { class: "muted" }, T("report.level", { n: s.level }), " · ", s.category)),
      s.description ? el("p", {}, s.description) : "",
      el("p", { class: "muted" }, T("drills.faults"), ": ",
         (s.faults || []).map((f) => f.kind + " +" + f.start_seconds + " s / " + f.duration_seconds + " s").join("; ")),
      desk.error ? el("p", { class: "bad" }, T("drills.cannot"), ": ", desk.error)
                 : [el("p", {}, T("drills.outage", { s: desk.outage_seconds })),
                    list("drills.approximated", desk.approximated), list("drills.not_simulated", desk.not_simulated),
                    Console.canChange() ? startForm(s) : ""]);
  }

  async function library() {
    const r = await api("GET", "/v1/drill-scenarios");
    const section = el("section", { class: "panel", id: "library", "aria-labelledby": "lib-h" },
      el("h2", { id: "lib-h" }, T("drills.library")), el("p", { class: "muted" }, T("drills.only_drill")));
    if (!r.ok) section.append(el("p", { class: "bad" }, P(Console.errorOf(r).zh, Console.errorOf(r).en)));
    else if (!r.data.configured) section.append(el("p", { class: "muted" }, T("drills.no_library")));
    else section.append(...r.data.scenarios.map(scenarioCard));
    return section;
  }

  function drillsList(drills) {
    return el("section", { class: "panel", id: "drill-list", "aria-labelledby": "dl-h" }, el("h2", { id: "dl-h" }, T("drills.list")),
      drills.length ? el("ul", {}, drills.map((d) => el("li", { dataset: { drill: d.id } },
        el("a", { href: "/drills?drill=" + encodeURIComponent(d.id), dataset: { key: "d-" + d.id } }, d.name), " — ",
        localTime(d.started_at), " — ", T(d.complete ? "drills.complete" : "drills.running"),
        d.results_due_at ? [" — ", el("span", { class: "results-due" }, T("drills.results_due"), " ", localTime(d.results_due_at))] : "")))
                    : el("p", { class: "muted" }, T("drills.none")));
  }

  function timeline(main, id) {
    Console.poll(2000, async () => {
      const r = await api("GET", "/v1/drills/" + encodeURIComponent(id));
      return r.ok ? r.data : { error: Console.errorOf(r) };
    }, (d) => {
      if (d.error) return main.replaceChildren(el("h1", {}, T("not_found")), el("p", { class: "bad" }, P(d.error.zh, d.error.en)));
      Console.redraw(main, [
        el("h1", {}, T("drills.timeline"), ": ", d.name, " ", el("span", { class: "badge drill" }, T("drill.badge"))),
        el("p", { id: "drill-state", dataset: { complete: String(d.complete) } },
           T(d.complete ? "drills.complete" : "drills.running"), " · ", T("drills.report_state"), ": ",
           T("state." + d.report_state), " · ", el("a", { href: "/reports/" + d.report_id }, T("report.open_page")),
           d.results_due_at ? [" · ", el("span", { class: "results-due", id: "drill-results-due" }, T("drills.results_due"), " ",
                                         localTime(d.results_due_at))] : ""),
        el("div", { class: "table-wrap" }, el("table", { class: "timeline" },
          el("thead", {}, el("tr", {}, el("th", { scope: "col" }, T("rec.time")), el("th", { scope: "col" }, T("rec.what")))),
          el("tbody", {}, (d.timeline || []).map((s) => el("tr", { dataset: { seq: String(s.seq), type: s.type } },
            el("td", { class: "nowrap" }, localTime(s.at)), el("td", {}, s.text)))))),
        el("p", {}, el("a", { href: "/drills" }, T("drills.list")))]);
    });
  }

  async function view(main) {
    const id = new URLSearchParams(location.search).get("drill");
    if (id) return timeline(main, id);
    const lib = await library();
    const listBox = el("div", {});
    main.replaceChildren(el("h1", {}, T("drills.title")), listBox, lib);
    Console.poll(3000, async () => {
      const r = await api("GET", "/v1/drills");
      if (!r.ok) throw new Error("drills " + r.status);
      return r.data.drills;
    }, (drills) => Console.redraw(listBox, drillsList(drills)));
  }

  Console.page({ path: "/drills", name: "drills", nav: "nav.drills", view });
})();
