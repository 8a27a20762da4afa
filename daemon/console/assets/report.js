// A report's page (/reports/{id}): what was filed, every revision with the
// site's receipt or the fallback's reason and the late submission, each
// recipient's notification with its evidence (the SMS parts and their status
// reports, the fax pages as sent with the T.30 result per page, the phone
// confirmations), and the journal's timeline in the report's own offset.
// Polls the record every two seconds. Its record: the phase, each deadline
// met or not, the stages at the site, the CISO's approval and the three
// signatures, with the printable record and the evidence bundle to download.
// And the sign-off page (/reports/{id}/signoff), which offers what the record
// needs next to the one whose role may give it.
"use strict";
(function () {
  const { el, T, P, api, localTime } = Console;
  let schemaPromise = null;
  const schema = () => (schemaPromise = schemaPromise || api("GET", "/v1/schema/report").then((r) => r.data));

  const outcomeClass = (o) => (o === "confirmed" ? "ok" : o === "failed" ? "bad" : "warn");

  function table(cls, heads, rows) {
    return el("div", { class: "table-wrap" }, el("table", { class: cls },
      el("thead", {}, el("tr", {}, heads.map((h) => el("th", { scope: "col" }, typeof h === "string" ? T(h) : h)))),
      el("tbody", {}, rows)));
  }

  function summary(doc, latest, rec) {
    const off = rec.offset_minutes;
    return el("section", { class: "panel", "aria-labelledby": "sum-h" }, el("h2", { id: "sum-h" }, T("rec.summary")),
      el("dl", { class: "facts" },
        el("dt", {}, T("rec.aware")), el("dd", {}, localTime(latest.aware_at, off)),
        el("dt", {}, T("rec.level")), el("dd", { class: "level" }, String(latest.level)),
        el("dt", {}, T("rec.revision")), el("dd", {}, String(latest.revision)),
        el("dt", {}, T("rec.state")),
        el("dd", { class: "report-state", dataset: { state: latest.state } }, T("state." + latest.state)),
        latest.site_receipt ? [el("dt", {}, T("report.receipt")), el("dd", { id: "receipt" }, latest.site_receipt)] : []),
      el("h3", {}, T("report.deadlines")),
      table("deadlines", ["rec.what", "rec.due", "rec.time"], ((latest.schedule || {}).deadlines || []).map((d) =>
        el("tr", {}, el("td", {}, P(d.title, d.title_en)), el("td", {}, localTime(d.at, off)),
           el("td", {}, Console.countdown(d.at))))),
      el("p", { class: "actions" },
        Console.canChange() ? [el("a", { href: "/reports/" + rec.id + "/revise", dataset: { key: "revise" } },
                                  T("report.revise")), " · "] : "",
        el("a", { href: "/reports/" + rec.id + "/signoff", dataset: { key: "signoff" } }, T("report.signoff"))));
  }

  function revisions(rec) {
    const off = rec.offset_minutes;
    return el("section", { class: "panel", id: "site", "aria-labelledby": "site-h" },
      el("h2", { id: "site-h" }, T("rec.revisions")),
      table("revisions", ["rec.revision", "rec.state", "report.receipt", "rec.fallback"], rec.revisions.map((r) => {
        const f = r.fallback;
        return el("tr", { dataset: { revision: String(r.revision), state: r.state } },
          el("td", {}, String(r.revision), " (", T("report.level", { n: r.level }), ")"),
          el("td", { class: r.state === "fallback" ? "warn" : "ok" }, T("state." + r.state),
             r.state === "accepted_late" ? el("div", { class: r.site_in_time ? "ok" : "late", dataset: { inTime: String(!!r.site_in_time) } },
                                              T(r.site_in_time ? "rec.in_time_after_fallback" : "rec.late")) : ""),
          el("td", { class: "receipt" }, r.site_receipt || "—"),
          el("td", {}, f ? [P(f.reason_zh, f.reason), el("div", { class: "muted" }, f.why || "", " ",
                                                            f.escalated_at ? localTime(f.escalated_at, off) : "")]
                         : "—"));
      })));
  }

  const SIGN_ORDER = ["reporter", "supervisor", "ciso"];

  function downloads(id) {
    const base = "/v1/reports/" + encodeURIComponent(id);
    return el("p", { class: "actions downloads" },
      el("a", { href: base + "/record.pdf", download: "", dataset: { key: "record-pdf" } }, T("record.pdf")), " · ",
      el("a", { href: base + "/evidence.tar", download: "", dataset: { key: "evidence" } }, T("record.evidence")));
  }

  // The record as GET /v1/reports/{id} carries it (proto/console-api.yaml, Record).
  function recordSection(id, record, off) {
    const signed = {};
    for (const s of record.signatures || []) signed[s.as] = s;
    const a = record.approval || {};
    return el("section", { class: "panel", id: "record", "aria-labelledby": "record-h",
                           dataset: { phase: record.phase, next: (record.next || {}).action || "" } },
      el("h2", { id: "record-h" }, T("record.title")),
      el("dl", { class: "facts" },
        el("dt", {}, T("record.phase")), el("dd", { class: "phase" }, T("phase." + record.phase)),
        el("dt", {}, T("record.approval")),
        el("dd", { class: a.approved ? "ok approval" : "warn approval" },
           a.approved ? T("record.approved", { level: a.level, user: a.user }) : T("record.not_approved"),
           a.approved ? " · " + localTime(a.at, off) : "", a.note ? el("div", { class: "muted note" }, a.note) : "")),
      el("h3", {}, T("record.deadlines")),
      table("record-deadlines", ["rec.what", "rec.due", "rec.state", "record.met_at"], (record.deadlines || []).map((d) =>
        el("tr", { dataset: { key: d.key, state: d.state } }, el("td", {}, P(d.title, d.title_en)),
           el("td", {}, d.at ? localTime(d.at, off) : "—"),
           el("td", { class: d.state === "met" ? "ok" : d.state === "overdue" || d.state === "met_late" ? "bad" : "" },
              T("dstate." + d.state)),
           el("td", {}, d.met_at ? localTime(d.met_at, off) : "—")))),
      el("h3", {}, T("record.stages")),
      (record.stages || []).length
        ? table("stages", ["record.stage", "rec.revision", "rec.time", "report.receipt"], record.stages.map((s) =>
          el("tr", { dataset: { stage: s.stage } }, el("td", {}, T("stage." + s.stage)), el("td", {}, String(s.version)),
             el("td", {}, localTime(s.at, off)), el("td", { class: "receipt" }, s.site_receipt || T("record.at_site_pending")))))
        : el("p", { class: "muted" }, T("rec.none")),
      el("h3", {}, T("record.signatures")),
      table("signatures", ["record.sign_as", "rec.who", "rec.time"], SIGN_ORDER.map((as) => {
        const s = signed[as];
        return el("tr", { dataset: { as, signed: s ? "yes" : "no" } }, el("td", {}, T("sign." + as)),
          el("td", { class: s ? "ok" : "muted" }, s ? s.user : T("record.unsigned")), el("td", {}, s ? localTime(s.at, off) : "—"));
      })),
      downloads(id));
  }

  function smsParts(a) {
    const parts = ((a.evidence || {}).parts) || [];
    if (!parts.length) return el("p", { class: "muted" }, a.summary || T("outcome.open"));
    return table("sms-parts", ["rec.part", "rec.tp_mr", "rec.sent_at", "rec.delivery", "rec.discharge"], parts.map((p) =>
      el("tr", { dataset: { part: String(p.index), delivery: p.delivery || "" } },
        el("td", {}, p.index + "/" + parts.length), el("td", {}, p.message_ref === undefined ? "—" : String(p.message_ref)),
        el("td", {}, p.sent_at ? localTime(p.sent_at) : p.state),
        el("td", { class: p.delivery === "delivered" ? "ok" : p.delivery === "failed" ? "bad" : "warn" },
           p.delivery ? p.delivery + " (TP-ST " + p.tp_st + ")" : "—", p.error ? el("div", { class: "bad" }, p.error) : ""),
        el("td", {}, p.discharge_time ? localTime(p.discharge_time) : "—"))));
  }

  function faxCalls(a) {
    const calls = ((a.evidence || {}).attempts) || [];
    return el("ol", { class: "fax-calls" }, calls.map((c) =>
      el("li", {}, T("rec.call"), " ", c.number, ": ", c.dial, " ", c.modem_result ? "(" + c.modem_result + ")" : "",
         " · ", T("rec.t30"), " ", String(c.t30_code), " ", c.t30_text || "", c.remote_csi ? [" · ", T("rec.remote_csi"),
         " '", c.remote_csi, "'"] : "", c.bit_rate ? " · " + c.bit_rate + " bps" : "", c.coding ? " · " + c.coding : "",
         c.ecm ? " · ECM" : "", c.error ? el("div", { class: "bad" }, c.error) : "")));
  }

  function faxPages(a) {
    return el("div", { class: "fax-pages" }, (a.fax_pages || []).map((p) =>
      el("figure", { class: "fax-page", dataset: { page: String(p.page), response: p.response } },
        el("img", { src: p.png, alt: I18n.t("rec.page_alt", { n: p.page }), loading: "lazy", width: "432",
                    height: "560" }),
        el("figcaption", {}, T("rec.page", { n: p.page }), " — ", T("rec.t30"), " ",
           el("strong", { class: p.confirmed ? "ok" : "bad" }, p.response)))));
  }

  function attemptHead(a, names) {
    return el("h3", { dataset: { attempt: String(a.id), outcome: a.outcome || "open" } },
      names[a.recipient] || a.recipient, " — ", a.channel, " ", a.address, " — ",
      el("span", { class: outcomeClass(a.outcome) }, T("outcome." + (a.ended_at ? a.outcome : "open"))),
      a.evidence && a.evidence.by_hand ? el("span", { class: "badge by-hand" }, T("byhand.badge")) : "");
  }

  // What the operator stated of a notice sent by hand, as it is kept.
  function statement(a, off) {
    const e = a.evidence || {};
    return el("dl", { class: "facts by-hand-statement" },
      el("dt", {}, T("byhand.sent_at")), el("dd", {}, e.sent_at ? localTime(e.sent_at, off) : "—"),
      el("dt", {}, T("byhand.proof")), el("dd", {}, e.proof || ""),
      e.from ? [el("dt", {}, T("byhand.from")), el("dd", {}, e.from)] : [],
      e.note ? [el("dt", {}, T("rec.note")), el("dd", {}, e.note)] : [],
      el("dt", {}, T("byhand.recorded_by")), el("dd", {}, e.recorded_by || ""));
  }

  function channelSection(id, title, attempts, names, body) {
    return el("section", { class: "panel", id, "aria-labelledby": id + "-h" }, el("h2", { id: id + "-h" }, T(title)),
      attempts.length ? attempts.map((a) => el("article", { class: "attempt" }, attemptHead(a, names),
        a.summary ? el("p", { class: "summary" }, a.summary) : "", body(a)))
                      : el("p", { class: "muted" }, T("rec.none")));
  }

  function notifications(rec) {
    return el("section", { class: "panel", id: "notifications", "aria-labelledby": "n-h" },
      el("h2", { id: "n-h" }, T("rec.notifications")),
      table("recipients", ["report.recipients", "rec.state", "rec.due", "rec.revision"], rec.notifications.map((n) =>
        el("tr", { dataset: { recipient: n.recipient, state: n.state } }, el("td", {}, n.name),
          el("td", { class: n.missed_at ? "bad" : outcomeClass(n.state) }, T("state." + n.state),
            n.missed_at ? el("div", { class: "missed" }, T("state.missed"), " ", localTime(n.missed_at, rec.offset_minutes)) : null),
          el("td", {}, localTime(n.due_at, rec.offset_minutes)),
          el("td", {}, String(n.revision))))),
      byHandLink(rec));
  }

  // A recipient still waiting may have been reached by other means: the
  // operator records that on its own page (by-hand.js).
  function byHandLink(rec) {
    const latest = Math.max(0, ...rec.notifications.map((n) => n.revision));
    const waiting = rec.notifications.filter((n) => n.revision === latest && ["pending", "in_progress", "failed"].includes(n.state));
    if (!waiting.length || !Console.canChange()) return "";
    return el("ul", { class: "by-hand-links" }, waiting.map((n) => el("li", {},
      el("a", { href: "/reports/" + encodeURIComponent(rec.id) + "/by-hand?recipient=" + encodeURIComponent(n.recipient),
                dataset: { recipient: n.recipient } }, n.name || n.recipient, ": ", T("byhand.link")))));
  }

  function phoneSection(rec) {
    return el("section", { class: "panel", id: "phone", "aria-labelledby": "phone-h" },
      el("h2", { id: "phone-h" }, T("rec.phone")),
      rec.phone_tasks.length ? table("phone-tasks", ["rec.address", "rec.outcome", "rec.answered_by", "rec.answered_at", "rec.note"],
        rec.phone_tasks.map((t) => el("tr", { dataset: { task: String(t.id), state: t.state } },
          el("td", {}, t.number, el("div", { class: "muted" }, t.recipient_name || t.recipient)),
          el("td", { class: t.state === "confirmed" ? "ok" : t.state === "open" ? "bad" : "muted" },
             t.state === "open" ? el("a", { href: "/phone#task-" + t.id }, T("state.open")) : T("state." + t.state)),
          el("td", {}, t.answered_by || "—"), el("td", {}, t.answered_at ? localTime(t.answered_at, rec.offset_minutes) : "—"),
          el("td", {}, t.note || ""))))
        : el("p", { class: "muted" }, T("rec.none")));
  }

  function timeline(rec) {
    return el("section", { class: "panel", id: "timeline", "aria-labelledby": "tl-h" },
      el("h2", { id: "tl-h" }, T("rec.timeline")),
      table("timeline", ["rec.time", "rec.what", "rec.who"], rec.timeline.map((e) =>
        el("tr", { dataset: { seq: String(e.seq), type: e.type } },
          el("td", { class: "nowrap" }, (e.at_local || "").replace("T", " ").slice(0, 19)),
          el("td", {}, el("code", {}, e.type), " ", e.text.replace(/^(\S+)\s+\S+\s+/, "$1  ")),
          el("td", {}, typeof e.by === "string" ? e.by : "")))));
  }

  // The document as filed, every field with its form label; values as text.
  function documentSection(s, doc) {
    const labels = s.$defs.labels;
    const lab = (group, v) => (labels[group] && labels[group][v] ? P(labels[group][v].zh, labels[group][v].en) : String(v));
    const rows = [];
    const walk = (node, value, path) => {
      if (value === undefined || value === null) return;
      const title = node && node.title ? node.title : path;
      if (node && node.properties && typeof value === "object" && !Array.isArray(value)) {
        for (const [k, v] of Object.entries(value)) walk(node.properties[k], v, path + "/" + k);
        return;
      }
      let shown = value;
      if (node && node["x-labels"]) shown = lab(node["x-labels"], value);
      else if (Array.isArray(value)) shown = value.map((v) => lab(node.items && node.items["x-labels"], v)).flatMap((x, i) => (i ? [", ", x] : [x]));
      else if (typeof value === "boolean") shown = T(value ? "yes" : "no");
      else if (path.endsWith("_at")) shown = localTime(value, Console.offsetOf(value)) + " (" + value + ")";
      rows.push(el("dt", {}, title), el("dd", { dataset: { path } }, shown));
    };
    walk(s, doc, "");
    return el("section", { class: "panel", id: "document", "aria-labelledby": "doc-h" },
      el("h2", { id: "doc-h" }, T("rec.document")), el("dl", { class: "facts document" }, rows));
  }

  function draw(main, s, report, rec) {
    const latest = report.revisions[report.revisions.length - 1];
    const doc = latest.document;
    const names = {};
    for (const n of rec.notifications) names[n.recipient] = n.name;
    const byHandOf = (a) => !!(a.evidence && a.evidence.by_hand);
    const of = (c) => rec.attempts.filter((a) => a.channel === c && !byHandOf(a));
    const byHandAttempts = rec.attempts.filter(byHandOf);
    const stored = new URLSearchParams(location.search).get("stored");
    const byHand = new URLSearchParams(location.search).get("by_hand");
    Console.redraw(main, [
      el("h1", {}, T("rec.title"), ": ", doc.agency ? doc.agency.name : "", " — ",
         P(s.$defs.labels.categories[doc.category].zh, s.$defs.labels.categories[doc.category].en),
         latest.drill ? el("span", { class: "badge drill" }, T("drill.badge")) : ""),
      stored ? el("p", { class: "ok notice", role: "status" }, T("form.stored"), " — ", T("report.revision", { n: stored })) : "",
      byHand ? el("p", { class: "ok notice", role: "status", id: "by-hand-recorded" }, T("byhand.recorded", { n: byHand })) : "",
      summary(doc, latest, rec), report.record ? recordSection(rec.id, report.record, rec.offset_minutes) : "",
      revisions(rec), notifications(rec),
      channelSection("sms", "rec.sms", of("sms"), names, smsParts),
      channelSection("fax", "rec.fax", of("fax"), names, (a) => [faxCalls(a), faxPages(a)]),
      phoneSection(rec),
      of("email").length ? channelSection("email", "rec.email", of("email"), names, () => "") : "",
      byHandAttempts.length ? channelSection("by-hand", "byhand.section", byHandAttempts, names, (a) => statement(a, rec.offset_minutes)) : "",
      timeline(rec), documentSection(s, doc)]);
  }

  async function view(main, { id }) {
    const s = await schema();
    const path = "/v1/reports/" + encodeURIComponent(id);
    let report = null;
    Console.poll(2000, async () => {
      const [r, rec] = await Promise.all([api("GET", path), api("GET", path + "/record")]);
      if (!r.ok || !rec.ok) return { error: Console.errorOf(r.ok ? rec : r) };
      report = r.data;
      return rec.data;
    }, (rec) => {
      if (rec.error) return main.replaceChildren(el("h1", {}, T("not_found")), el("p", { class: "bad" }, P(rec.error.zh, rec.error.en)));
      draw(main, s, report, rec);
    });
  }

  // What the record needs next, offered to the one whose role may give it:
  // the CISO approves the level; each signs as their own part, in order. The
  // console's signer is the logged-in person (the API asks no password of a
  // session). Stages 2 and 3 are filed with `lifeline report damage-control`
  // and `lifeline report close` (or the API), so the page says so.
  const refusal = (r) => (r.data && r.data.problems && r.data.problems.length ? r.data.problems : [Console.errorOf(r)]);

  function nextAction(id, record, after) {
    const next = record.next || {};
    const role = Console.role();
    if (next.action === "none") return el("p", { class: "ok", id: "signoff-done" }, T("signoff.done"));
    if (next.action === "damage-control" || next.action === "closing") {
      return el("p", { class: "note", id: "signoff-stage" }, T("signoff.stage." + next.action, { id }));
    }
    if (!Console.canChange()) return el("p", { class: "muted", id: "signoff-readonly" }, T("readonly.text"));
    if (next.action === "approval") {
      if (role !== "ciso") return el("p", { class: "note", id: "signoff-ciso-only" }, T("signoff.ciso_only"));
      const level = el("select", { id: "approve-level", name: "level" },
        [1, 2, 3, 4].map((n) => el("option", { value: String(n), selected: n === record.approval.level ? "" : undefined },
                                   T("report.level", { n }))));
      const note = el("input", { id: "approve-note", name: "note", maxlength: "500" });
      const form = el("form", { id: "approve-form", class: "panel" },
        el("h2", {}, T("signoff.approve")),
        el("div", { class: "error-summary", role: "alert", hidden: true, tabindex: "-1" }),
        el("p", { class: "muted" }, T("signoff.approve_help")),
        el("div", { class: "field", dataset: { path: "/level" } }, el("label", { for: "approve-level" }, T("rec.level")), level,
           el("p", { class: "field-error", hidden: true })),
        el("div", { class: "field", dataset: { path: "/note" } }, el("label", { for: "approve-note" }, T("rec.note")), note,
           el("p", { class: "field-error", hidden: true })),
        el("button", { type: "submit" }, T("signoff.approve_button")));
      form.addEventListener("submit", async (e) => {
        e.preventDefault();
        Console.clearProblems(form);
        const body = { level: Number(level.value) };
        if (note.value.trim()) body.note = note.value.trim();
        const r = await api("POST", "/v1/reports/" + encodeURIComponent(id) + "/approval", body);
        if (!r.ok) return Console.showProblems(form, refusal(r));
        after();
      });
      return form;
    }
    const as = next.as;
    // The roles that may sign as each (record::RoleMaySign); the API decides, this only spares a refusal.
    const mayBe = { reporter: ["operator", "supervisor", "ciso"], supervisor: ["supervisor", "ciso"], ciso: ["ciso"] };
    if (!(mayBe[as] || []).includes(role)) {
      return el("p", { class: "note", id: "signoff-needs-role", dataset: { as } },
                T("signoff.needs_role", { as: I18n.t("sign." + as) }));
    }
    const form = el("form", { id: "sign-form", class: "panel", dataset: { as } },
      el("h2", {}, T("signoff.sign_as", { as: I18n.t("sign." + as) })),
      el("div", { class: "error-summary", role: "alert", hidden: true, tabindex: "-1" }),
      el("p", { class: "muted" }, T("signoff.sign_help")),
      el("button", { type: "submit" }, T("signoff.sign_button")));
    form.addEventListener("submit", async (e) => {
      e.preventDefault();
      Console.clearProblems(form);
      const r = await api("POST", "/v1/reports/" + encodeURIComponent(id) + "/signatures", { as });
      if (!r.ok) return Console.showProblems(form, refusal(r));
      after();
    });
    return form;
  }

  async function signoff(main, { id }) {
    const path = "/v1/reports/" + encodeURIComponent(id);
    const load = async () => {
      const [r, rec] = await Promise.all([api("GET", path), api("GET", path + "/record")]);
      if (!r.ok || !rec.ok) {
        const err = Console.errorOf(r.ok ? rec : r);
        return main.replaceChildren(el("h1", {}, T("not_found")), el("p", { class: "bad" }, P(err.zh, err.en)));
      }
      Console.redraw(main, [el("h1", {}, T("signoff.title")),
        nextAction(id, r.data.record, load),
        recordSection(id, r.data.record, rec.data.offset_minutes),
        el("p", {}, el("a", { href: "/reports/" + encodeURIComponent(id) }, T("signoff.back")))]);
    };
    await load();
  }

  Console.page({ path: "/reports/:id", name: "report", view });
  Console.page({ path: "/reports/:id/signoff", name: "signoff", view: signoff });
})();
