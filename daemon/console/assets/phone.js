// Phone tasks (/phone): each open task as a call card (the number, when it
// answers, the script to read aloud, the reason, the due time counting down)
// with the form that records who answered, when, and a note; that record is
// the phone channel's evidence (POST /v1/phone-tasks/{id}/confirm). New
// tasks appear by themselves; a card being filled in is never redrawn.
"use strict";
(function () {
  const { el, T, api, localTime } = Console;

  function confirmForm(task, onDone) {
    const id = "t" + task.id;
    const field = (path, labelKey, control) => el("div", { class: "field", dataset: { path } },
      el("label", { for: control.id }, labelKey === "phone.note" ? "" : el("span", { class: "req", "aria-hidden": "true" }, "◎ "),
         T(labelKey)), control,
      el("p", { class: "field-error", id: "err-" + control.id, hidden: true }));
    const by = el("input", { id: id + "-by", name: "answered_by", maxlength: "200", autocomplete: "off",
                             "aria-describedby": "err-" + id + "-by" });
    const at = el("input", { id: id + "-at", name: "answered_at", type: "datetime-local", step: "1",
                             "aria-describedby": "err-" + id + "-at" });
    at.value = Console.nowLocalInput();
    const note = el("textarea", { id: id + "-note", name: "note", rows: "2", maxlength: "2000",
                                  "aria-describedby": "err-" + id + "-note" });
    const button = el("button", { type: "submit", id: id + "-submit" }, T("phone.submit"));
    const form = el("form", { class: "confirm", novalidate: true, "aria-label": I18n.t("phone.confirm") + " #" + task.id },
      el("div", { class: "error-summary", role: "alert", hidden: true, tabindex: "-1" }),
      field("/answered_by", "phone.answered_by", by), field("/answered_at", "phone.answered_at", at),
      field("/note", "phone.note", note), el("p", {}, button));
    form.addEventListener("submit", async (e) => {
      e.preventDefault();
      Console.clearProblems(form);
      const body = { answered_by: by.value.trim(), answered_at: Console.fromLocalInput(at.value) };
      if (note.value.trim()) body.note = note.value;
      if (!body.answered_by) delete body.answered_by;
      if (!at.value) delete body.answered_at;
      button.disabled = true;
      const r = await api("POST", "/v1/phone-tasks/" + task.id + "/confirm", body).catch(() => null);
      button.disabled = false;
      if (r && r.ok) return onDone(r.data);
      const problems = r && r.status === 422 && Array.isArray(r.data.problems) ? r.data.problems
                                                                              : [Console.errorOf(r || { status: 0, data: {} })];
      Console.showProblems(form, problems, r ? I18n.pick(r.data.message_zh, r.data.message) : I18n.t("error.network"));
    });
    return form;
  }

  function card(task, onDone) {
    return el("article", { class: "panel call-card alert-panel", id: "task-" + task.id, dataset: { task: String(task.id) },
                           "aria-labelledby": "task-h-" + task.id },
      el("h2", { id: "task-h-" + task.id }, T("phone.call"), " ", el("a", { class: "number", href: "tel:" + task.number }, task.number),
         " — ", task.recipient_name || task.recipient, task.drill ? el("span", { class: "badge drill" }, T("drill.badge")) : ""),
      el("dl", { class: "facts" },
        el("dt", {}, T("phone.hours")), el("dd", {}, task.hours || T("phone.any_time")),
        el("dt", {}, T("phone.due")), el("dd", {}, localTime(task.due_at), " ", Console.countdown(task.due_at)),
        el("dt", {}, T("phone.reason")), el("dd", { class: "reason" }, task.reason),
        el("dt", {}, T("phone.report")), el("dd", {}, el("a", { href: "/reports/" + task.report_id }, task.report_id)),
        task.reminders ? [el("dt", {}, ""), el("dd", { class: "warn" }, T("phone.reminders", { n: task.reminders }))] : []),
      el("h3", {}, T("phone.script")), el("p", { class: "script" }, task.script),
      Console.canChange() ? [el("h3", {}, T("phone.confirm")), confirmForm(task, onDone)]
                          : el("p", { class: "muted read-only" }, T("readonly.text")));
  }

  function doneList(tasks) {
    const done = tasks.filter((t) => t.state !== "open");
    return el("section", { class: "panel", id: "done", "aria-labelledby": "done-h" }, el("h2", { id: "done-h" }, T("phone.done")),
      done.length ? el("ul", {}, done.map((t) => el("li", { dataset: { task: String(t.id), state: t.state } },
        "#" + t.id, " ", t.number, " — ", t.recipient_name || t.recipient, " — ", T("state." + t.state),
        t.answered_by ? [": ", t.answered_by, " ", localTime(t.answered_at)] : "")))
                  : el("p", { class: "muted" }, T("rec.none")));
  }

  function view(main) {
    const cards = new Map();
    const open = el("div", { id: "open-tasks" });
    const status = el("p", { id: "phone-status", class: "ok", role: "status" });
    const none = el("p", { class: "muted", id: "no-tasks" }, T("phone.none"));
    const done = el("div", {});
    main.replaceChildren(el("h1", {}, T("phone.title")), status, none, open, done);
    const onDone = (t) => {
      status.replaceChildren(T("phone.confirmed", { who: t.answered_by, at: localTime(t.answered_at) }));
      const c = cards.get(t.id);
      if (c) c.remove();
      cards.delete(t.id);
      none.hidden = cards.size > 0;
      status.focus();
    };
    status.tabIndex = -1;
    Console.poll(2000, async () => {
      const r = await api("GET", "/v1/phone-tasks?state=all");
      if (!r.ok) throw new Error("phone " + r.status);
      return r.data.tasks;
    }, (tasks) => {
      const openNow = new Set(tasks.filter((t) => t.state === "open").map((t) => t.id));
      for (const [id, c] of cards) if (!openNow.has(id)) { c.remove(); cards.delete(id); }
      for (const t of tasks) {
        if (t.state !== "open" || cards.has(t.id)) continue;
        const c = card(t, onDone);
        cards.set(t.id, c);
        open.append(c);
      }
      none.hidden = cards.size > 0;
      done.replaceChildren(doneList(tasks));
      if (location.hash && !view.scrolled) {
        const target = document.querySelector(location.hash);
        if (target) { target.scrollIntoView(); view.scrolled = true; }
      }
    });
  }

  Console.page({ path: "/phone", name: "phone", nav: "nav.phone", view });
})();
