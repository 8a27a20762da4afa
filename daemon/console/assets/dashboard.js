// The dashboard: the box's health, the outage and phone-task banners, and
// every open report with a live countdown to each deadline and, per required
// recipient, the notification's state with its channels and evidence. Polls
// /v1/dashboard each second; redraws only what changed.
"use strict";
(function () {
  const { el, T, P, localTime, countdown, redraw } = Console;

  // Rebuilds `node` only when what it shows (`key`) changed: the dashboard
  // redraws each second during an escalation, and a link replaced between a
  // press and its release is a click lost.
  function renewIf(node, key, build) {
    if (node.dataset.shows === key) return;
    node.dataset.shows = key;
    node.replaceChildren();
    build();
  }

  // The banners, on every page: the site's outage with its reason, and open
  // phone tasks (a call is the one channel that waits for a person).
  function banners(d) {
    const banner = document.getElementById("banner");
    const site = (d.box && d.box.site) || {};
    // The agency's own contact channels down for long (seed 001 肆.五): said as loudly.
    const contactAlerts = (d.box && d.box.contact_alerts) || [];
    banner.hidden = !d.outage && contactAlerts.length === 0;
    const lang = document.documentElement.lang;
    renewIf(banner, JSON.stringify([lang, !!d.outage, site.reason, site.since, contactAlerts]), () => {
      if (d.outage) {
        banner.append(T("outage.banner"), " — ", T("outage.reason"), ": ", site.reason || "?",
                      site.since ? el("span", {}, " (", T("box.since"), " ", localTime(site.since), ")") : "");
      }
      for (const a of contactAlerts) banner.append(el("div", { class: "contact-alert" }, a.message || ""));
    });
    const phone = document.getElementById("phone-banner");
    const n = d.phone_tasks_open || 0;
    phone.hidden = n === 0;
    renewIf(phone, JSON.stringify([lang, n]), () => {
      if (n > 0) phone.append(el("a", { href: "/phone", id: "phone-banner-link" }, T("phone.banner", { n })));
    });
  }

  function healthItem(id, label, cls, ...value) {
    return el("div", { id, class: "health-item" }, el("div", { class: "muted" }, T(label)),
              el("div", { class: cls }, ...value));
  }

  function smsHealth(sms) {
    if (!sms) return healthItem("health-sms", "box.sms", "muted", T("channel.none"));
    if (!("ready" in sms)) return healthItem("health-sms", "box.sms", "warn", T("sms.waiting"));
    const signal = sms.signal_dbm === null || sms.signal_dbm === undefined ? "" : T("sms.signal", { d: sms.signal_dbm });
    return healthItem("health-sms", "box.sms", sms.ready ? "ok" : "bad", T(sms.ready ? "sms.ready" : "sms.not_ready"),
                      signal ? " · " : "", signal, sms.problem ? el("div", { class: "muted" }, sms.problem) : "");
  }

  // The fax line reports no health of its own: its configuration and the
  // last call any open report made.
  function faxHealth(fax, reports) {
    if (!fax) return healthItem("health-fax", "box.fax", "muted", T("channel.none"));
    let last = null;
    for (const r of reports) {
      for (const n of r.recipients || []) {
        for (const a of n.attempts || []) {
          if (a.channel === "fax" && a.ended_at && (!last || a.ended_at > last.ended_at)) last = a;
        }
      }
    }
    return healthItem("health-fax", "box.fax", last && last.outcome === "failed" ? "bad" : "ok", T("fax.configured"),
                      fax.device ? " (" + fax.device + ")" : "",
                      last ? el("div", { class: "muted" }, T("fax.last"), last.summary || last.outcome) : "");
  }

  function powerHealth(power) {
    if (!power || !power.known) return healthItem("health-power", "box.power", "muted", T("power.unknown"));
    const runtime = power.runtime_seconds ? T("power.runtime", { m: Math.round(power.runtime_seconds / 60) }) : "";
    return healthItem("health-power", "box.power", power.on_battery ? "bad" : "ok",
                      T(power.on_battery ? "power.battery" : "power.mains"), runtime ? " · " : "", runtime);
  }

  function healthPanel(d) {
    const box = d.box || {};
    const site = box.site || {};
    const cls = site.state === "up" ? "ok" : site.state === "outage" ? "bad" : "warn";
    const channels = box.channels || {};
    return el("section", { class: "panel", id: "health", "aria-labelledby": "health-h" },
      el("h2", { id: "health-h" }, T("box.title")),
      el("div", { class: "health" },
        healthItem("health-site", "box.site", cls, T("site." + (site.state || "unknown")),
                   site.reason ? " — " + site.reason : "",
                   site.since ? el("div", { class: "muted" }, T("box.since"), " ", localTime(site.since)) : ""),
        powerHealth(box.power), smsHealth(channels.sms), faxHealth(channels.fax, d.reports || [])));
  }

  // What a recipient's notification is, the way an operator asks it: a due
  // time that passed unconfirmed is missed, whatever the channels still try.
  function recipientState(n, now) {
    if (n.state === "confirmed" || n.state === "cancelled") return n.state;
    if (n.due_at && Date.parse(n.due_at) < now) return "missed";
    return n.state;
  }
  const stateClass = (s) => (s === "confirmed" || s === "cancelled" ? "ok" : s === "missed" ? "bad" : "warn");

  function deadlineRows(r) {
    const rows = el("table", { class: "deadlines" },
      el("caption", { class: "sr-only" }, T("report.deadlines")));
    const allConfirmed = (r.recipients || []).length > 0 &&
                         r.recipients.every((n) => n.state === "confirmed" || n.state === "cancelled");
    const siteMet = r.state === "accepted";
    for (const d of (r.schedule && r.schedule.deadlines) || []) {
      const met = (siteMet && ["escalate_at", "notify_by", "fallback_notify_by"].includes(d.key)) ||
                  (allConfirmed && d.key === "fallback_notify_by");
      rows.append(el("tr", { dataset: { key: "dl-" + r.id + "-" + d.key } },
        el("th", { scope: "row" }, P(d.title, d.title_en)),
        el("td", {}, localTime(d.at)),
        el("td", {}, met ? el("span", { class: "ok" }, T("deadline.met")) : countdown(d.at))));
    }
    return rows;
  }

  function recipientRows(r, now) {
    const who = el("table", { class: "recipients" }, el("caption", {}, T("report.recipients")));
    for (const n of r.recipients || []) {
      const state = recipientState(n, now);
      const attempts = el("ul", { class: "attempts" });
      for (const a of n.attempts || []) {
        attempts.append(el("li", {}, el("strong", {}, a.channel), " ", a.address, " — ",
                           T("outcome." + (a.ended_at ? a.outcome : "open")), a.summary ? ": " + a.summary : ""));
      }
      who.append(el("tr", { dataset: { recipient: n.key, state } },
        el("th", { scope: "row" }, n.name),
        el("td", { class: stateClass(state) }, T("state." + state), n.loud ? " ⚠" : ""),
        el("td", {}, n.due_at ? localTime(n.due_at) : ""),
        el("td", {}, attempts)));
    }
    return who;
  }

  function reportCard(r, now) {
    const title = (r.agency || "") + " — " + (I18n.lang === "en" ? r.category : r.category_zh || r.category);
    return el("article", { class: "panel report", dataset: { report: r.id }, "aria-labelledby": "h-" + r.id },
      el("h3", { id: "h-" + r.id },
         el("a", { href: "/reports/" + r.id, dataset: { key: "open-" + r.id } }, title), " ",
         r.drill ? el("span", { class: "badge drill" }, T("drill.badge")) : ""),
      el("p", { class: "meta" }, el("span", { class: "level" }, T("report.level", { n: r.level })), " · ",
         T("report.revision", { n: r.revision }), " · ",
         el("span", { class: "report-state " + (r.state === "fallback" ? "warn" : "ok"), dataset: { state: r.state } },
            T("state." + r.state)),
         r.site_receipt ? el("span", {}, " · ", T("report.receipt"), " ", r.site_receipt) : ""),
      deadlineRows(r), recipientRows(r, now),
      Console.canChange() ? el("p", { class: "actions" },
         el("a", { href: "/reports/" + r.id + "/revise", dataset: { key: "revise-" + r.id } }, T("report.revise"))) : "");
  }

  function phonePanel(d) {
    if (!(d.phone_tasks || []).length) return null;
    return el("section", { class: "panel alert-panel", id: "phone-tasks", "aria-labelledby": "phone-h" },
      el("h2", { id: "phone-h" }, T("phone.banner", { n: d.phone_tasks.length })),
      el("ul", {}, d.phone_tasks.map((t) =>
        el("li", {}, el("a", { href: "/phone#task-" + t.id, dataset: { key: "task-" + t.id } },
                        T("phone.call"), " ", t.number, " — ", t.recipient_name || ""),
           " ", T("phone.due"), " ", localTime(t.due_at), " ", countdown(t.due_at)))));
  }

  function reportsPanel(d) {
    const now = Date.now();
    const reports = d.reports || [];
    return el("section", { class: "panel", id: "reports", "aria-labelledby": "reports-h" },
      el("h2", { id: "reports-h" }, T("reports.open")),
      reports.length ? reports.map((r) => reportCard(r, now)) : el("p", { class: "muted" }, T("reports.none")));
  }

  function view(main) {
    Console.poll(1000, async () => {
      const r = await Console.api("GET", "/v1/dashboard");
      if (!r.ok) throw new Error("dashboard " + r.status);
      return r.data;
    }, (d) => {
      banners(d);
      redraw(main, [el("h1", { class: "sr-only" }, T("nav.dashboard")), phonePanel(d), healthPanel(d),
                    reportsPanel(d)].filter(Boolean));
    });
  }

  Console.banners = banners;
  Console.page({ path: "/", name: "dashboard", nav: "nav.dashboard", ownBanners: true, view });
})();
