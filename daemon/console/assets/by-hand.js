// A notice sent by hand (/reports/:id/by-hand): when the box's own channel
// could not reach a recipient and an operator did — the paper form faxed from
// the office's machine, a call from a mobile phone — they record it here with
// what shows it arrived (POST /v1/reports/{id}/notifications/{recipient}/by-hand).
// The box confirms the recipient with it, closes what was still open for
// them, and keeps the statement with the operator's name as the evidence. The
// page is drawn once, so a form being filled in is never redrawn.
"use strict";
(function () {
  const { el, T, P, api } = Console;

  const OPEN = ["pending", "in_progress", "failed"];

  function field(path, id, labelKey, control, required) {
    return el("div", { class: "field", dataset: { path } },
      el("label", { for: id }, required ? el("span", { class: "req", "aria-hidden": "true" }, "◎ ") : "", T(labelKey)),
      control, el("p", { class: "field-error", id: "err-" + id, hidden: true }));
  }

  function form(id, open, chosen) {
    const recipient = el("select", { id: "bh-recipient", name: "recipient", "aria-describedby": "err-bh-recipient" },
      open.map((n) => el("option", { value: n.recipient, selected: n.recipient === chosen ? "" : undefined },
                         n.name || n.recipient)));
    const channel = el("select", { id: "bh-channel", name: "channel", "aria-describedby": "err-bh-channel" },
      ["fax", "phone", "sms", "email"].map((c) => el("option", { value: c }, T("byhand.channel." + c))));
    const at = el("input", { id: "bh-sent-at", name: "sent_at", type: "datetime-local", step: "1",
                             "aria-describedby": "err-bh-sent-at" });
    at.value = Console.nowLocalInput();
    const proof = el("input", { id: "bh-proof", name: "proof", maxlength: "500", autocomplete: "off",
                                placeholder: I18n.t("byhand.proof_example"), "aria-describedby": "err-bh-proof" });
    const from = el("input", { id: "bh-from", name: "from", maxlength: "200", autocomplete: "off",
                               "aria-describedby": "err-bh-from" });
    const note = el("textarea", { id: "bh-note", name: "note", rows: "3", maxlength: "2000",
                                  "aria-describedby": "err-bh-note" });
    const button = el("button", { type: "submit", id: "bh-submit" }, T("byhand.submit"));
    const f = el("form", { id: "by-hand-form", class: "panel", novalidate: true, "aria-labelledby": "bh-h" },
      el("h2", { id: "bh-h" }, T("byhand.form")),
      el("div", { class: "error-summary", role: "alert", hidden: true, tabindex: "-1" }),
      field("/recipient", "bh-recipient", "byhand.recipient", recipient, true),
      field("/channel", "bh-channel", "byhand.channel", channel, true),
      field("/sent_at", "bh-sent-at", "byhand.sent_at", at, true),
      field("/proof", "bh-proof", "byhand.proof", proof, true),
      field("/from", "bh-from", "byhand.from", from, false),
      field("/note", "bh-note", "rec.note", note, false),
      el("p", {}, button));
    f.addEventListener("submit", async (e) => {
      e.preventDefault();
      Console.clearProblems(f);
      const body = { channel: channel.value, sent_at: Console.fromLocalInput(at.value), proof: proof.value.trim() };
      if (!at.value) delete body.sent_at;
      if (!body.proof) delete body.proof;
      if (from.value.trim()) body.from = from.value.trim();
      if (note.value.trim()) body.note = note.value;
      button.disabled = true;
      const r = await api("POST", "/v1/reports/" + encodeURIComponent(id) + "/notifications/" +
                                  encodeURIComponent(recipient.value) + "/by-hand", body).catch(() => null);
      button.disabled = false;
      if (r && r.ok) {
        location.assign("/reports/" + encodeURIComponent(id) + "?by_hand=" + encodeURIComponent(String(r.data.attempt)));
        return;
      }
      const problems = r && r.status === 422 && Array.isArray(r.data.problems) ? r.data.problems
                                                                              : [Console.errorOf(r || { status: 0, data: {} })];
      Console.showProblems(f, problems, r ? I18n.pick(r.data.message_zh, r.data.message) : I18n.t("error.network"));
    });
    return f;
  }

  async function view(main, { id }) {
    const rec = await api("GET", "/v1/reports/" + encodeURIComponent(id) + "/record");
    const back = el("p", {}, el("a", { href: "/reports/" + encodeURIComponent(id) }, T("signoff.back")));
    if (!rec.ok) {
      const err = Console.errorOf(rec);
      return main.replaceChildren(el("h1", {}, T("not_found")), el("p", { class: "bad" }, P(err.zh, err.en)));
    }
    const latest = Math.max(0, ...rec.data.notifications.map((n) => n.revision));
    const open = rec.data.notifications.filter((n) => n.revision === latest && OPEN.includes(n.state));
    const chosen = new URLSearchParams(location.search).get("recipient");
    main.replaceChildren(el("h1", {}, T("byhand.title")), el("p", { class: "muted" }, T("byhand.help")),
      open.length ? form(id, open, chosen) : el("p", { class: "ok", id: "by-hand-none" }, T("byhand.none")), back);
  }

  Console.page({ path: "/reports/:id/by-hand", name: "by-hand", changes: true, view });
})();
