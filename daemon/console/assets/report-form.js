// Filing a report (/reports/new) and its next revision (/reports/{id}/revise,
// 續行通報): the paper form's stage 1 (附件3 壹、事件通報) in its order and
// wording, labels from the schema the box validates with (GET
// /v1/schema/report), the JSON document built here, and every 422 problem
// shown at its field. The box is the one validator: nothing is checked here
// that it does not check, and nothing is stored unless it says 201.
"use strict";
(function () {
  const { el, T, P, api } = Console;
  const IMPACTS = ["confidentiality", "integrity", "availability"];
  let schemaPromise = null;
  const schema = () => (schemaPromise = schemaPromise || api("GET", "/v1/schema/report").then((r) => r.data));

  const slug = (path) => "f" + path.replace(/[^a-z0-9]+/gi, "-");

  // A field's label: the schema's title (the form's zh-TW wording), English
  // from the dictionary; the dictionary's zh-TW wins where the form words a
  // sub-field differently from the schema's title.
  function titleAt(s, path) {
    let node = s;
    for (const seg of path.split("/").slice(1)) {
      node = node && node.properties ? node.properties[seg] : null;
    }
    return node ? node.title || "" : "";
  }
  function label(s, path, key) {
    const [zh, en] = I18n.entry(key || "f." + path);
    return P(zh || titleAt(s, path), en || titleAt(s, path));
  }

  function errorSlot(path) {
    return el("p", { class: "field-error", id: "err-" + slug(path), hidden: true, "aria-live": "polite" });
  }
  const req = () => el("span", { class: "req", "aria-hidden": "true" }, "◎ ");

  function input(s, path, type, opts = {}) {
    const id = slug(path);
    const attrs = { id, name: path, type, "aria-describedby": "err-" + id + (opts.hint ? " hint-" + id : ""),
                    autocomplete: opts.autocomplete || "off" };
    if (opts.max) attrs.maxlength = String(opts.max);
    if (type === "datetime-local") attrs.step = "1";
    const control = type === "textarea" ? el("textarea", { ...attrs, type: undefined, rows: opts.rows || 6 })
                                        : el("input", attrs);
    const box = el("div", { class: "field", dataset: { path } },
      el("label", { for: id }, opts.required ? req() : "", label(s, path, opts.key)),
      opts.hint ? el("p", { class: "hint muted", id: "hint-" + id }, opts.hint) : "", control, errorSlot(path));
    if (opts.max && type === "textarea") {
      const counter = el("p", { class: "hint muted counter", "aria-live": "off" });
      const update = () => { counter.textContent = I18n.t("form.chars", { n: control.value.length, max: opts.max }); };
      control.addEventListener("input", update);
      document.addEventListener("langchange", update);
      update();
      box.insertBefore(counter, box.lastChild);
    }
    return box;
  }

  // A single choice as a fieldset of radio buttons; `options` are
  // [value, labelNode] in the form's order.
  function radios(path, name, legend, options, opts = {}) {
    const id = slug(path);
    const set = el("fieldset", { class: "field choice", dataset: { path }, "aria-describedby": "err-" + id },
      el("legend", {}, opts.required === false ? "" : req(), legend));
    options.forEach(([value, text, extra]) => {
      const rid = id + "-" + String(value).replace(/[^a-z0-9]+/gi, "-");
      set.append(el("div", { class: "option" },
        el("input", { type: "radio", name, id: rid, value: String(value) }),
        el("label", { for: rid }, text), extra || ""));
    });
    set.append(errorSlot(path));
    return set;
  }
  function checkboxes(name, options, category) {
    return el("div", { class: "checks", dataset: category ? { category } : {} }, options.map(([value, text]) => {
      const cid = slug("/" + name) + "-" + value;
      return el("span", { class: "option" }, el("input", { type: "checkbox", name, id: cid, value }),
                el("label", { for: cid }, text));
    }));
  }
  const yesNo = (path, name, legend, yes, no) =>
    radios(path, name, legend, [["true", yes || T("yes")], ["false", no || T("no")]]);
  const labelled = (labels) => Object.entries(labels).filter(([k]) => k !== "description")
    .map(([k, v]) => [k, P(v.zh, v.en)]);

  function step(title, ...children) {
    return el("fieldset", { class: "step panel" }, el("legend", {}, T(title)), ...children);
  }

  function categoryBlock(s) {
    const labels = s.$defs.labels;
    const anomaliesOf = (c) => Object.entries(labels.anomalies).filter(([, v]) => v.category === c)
      .map(([k, v]) => [k, P(v.zh, v.en)]);
    const options = Object.entries(labels.categories).map(([c, v]) =>
      [c, P(v.zh, v.en), c === "other" ? "" : checkboxes("anomalies", anomaliesOf(c), c)]);
    return [radios("/category", "category", label(s, "/category"), options),
            el("div", { class: "field sub", dataset: { path: "/anomalies" } }, errorSlot("/anomalies")),
            input(s, "/other_description", "text", { max: 200 })];
  }

  function impactBlock(s) {
    const labels = s.$defs.labels.impact;
    const sets = IMPACTS.map((dim) => {
      const l = labels[dim];
      const options = ["4", "3", "2", "1"].map((n) => [n, P(l.levels[n].zh, l.levels[n].en)]);
      options.push(["none", P(l.none, l.none_en)]);
      return radios("/impact/" + dim, "impact-" + dim, label(s, "/impact/" + dim), options);
    });
    const level = el("p", { class: "level-now", id: "level-now", "aria-live": "polite" });
    return el("div", { class: "field", dataset: { path: "/impact" } },
      el("p", { class: "hint muted" }, T("form.step3.hint")), ...sets, level, errorSlot("/impact"));
  }

  function buildForm(s) {
    const labels = s.$defs.labels;
    const form = el("form", { id: "report-form", class: "report-form", novalidate: true },
      el("div", { class: "error-summary", role: "alert", hidden: true, tabindex: "-1" }),
      input(s, "/filed_at", "datetime-local", { required: true }),
      step("form.step1", el("h3", {}, T("form.step1.contact")),
        input(s, "/agency/name", "text", { required: true, max: 100, autocomplete: "organization" }),
        input(s, "/agency/reviewing_agency", "text", { required: true, max: 100 }),
        input(s, "/reporter/name", "text", { required: true, max: 50, autocomplete: "name" }),
        input(s, "/reporter/phone", "tel", { required: true, max: 32, autocomplete: "tel" }),
        input(s, "/reporter/fax", "tel", { max: 32 }),
        input(s, "/reporter/email", "email", { required: true, max: 254, autocomplete: "email" }),
        yesNo("/on_behalf_of", "on_behalf", label(s, "/on_behalf_of")),
        input(s, "/on_behalf_of/agency_name", "text", { max: 100 }),
        radios("/soc", "soc", label(s, "/soc"), labelled(labels.soc)),
        input(s, "/soc/vendor", "text", { max: 100 }),
        input(s, "/maintenance_vendor", "text", { required: true, max: 100 })),
      step("form.step2",
        input(s, "/discovered_at", "datetime-local", { required: true }),
        input(s, "/aware_at", "datetime-local", { required: true, hint: T("form.aware_hint") }),
        ...categoryBlock(s),
        input(s, "/description", "textarea", { required: true, max: 4000, hint: T("form.description_hint"), rows: 8 }),
        yesNo("/affects_others", "affected", label(s, "/affects_others")),
        el("fieldset", { class: "field", dataset: { path: "/affects_others/sectors" } },
           el("legend", {}, label(s, "/affects_others/sectors")), checkboxes("sectors", labelled(labels.sectors)),
           errorSlot("/affects_others/sectors")),
        radios("/source", "source", label(s, "/source"), labelled(labels.source)),
        input(s, "/source/alert_id", "text", { max: 50 }),
        input(s, "/source/detail", "text", { max: 200 })),
      step("form.step3", impactBlock(s)),
      step("form.step4",
        yesNo("/support", "support", label(s, "/support", "f./support/requested"), T("f./support/yes"),
              T("f./support/no")),
        input(s, "/support/content", "textarea", { max: 200, rows: 4 })),
      el("p", {}, el("button", { type: "submit", id: "submit" }, T("form.submit"))));
    wireConditions(form);
    return form;
  }

  // Fields that only apply to one choice are disabled otherwise (and left
  // out of the document), as the paper form's "□是，該單位名稱____" reads.
  function wireConditions(form) {
    const rules = [["on_behalf", "true", ["/on_behalf_of/agency_name"]], ["soc", "outsourced", ["/soc/vendor"]],
                   ["source", "alert", ["/source/alert_id"]], ["source", "external_intel", ["/source/detail"]],
                   ["category", "other", ["/other_description"]], ["support", "true", ["/support/content"]]];
    const update = () => {
      for (const [name, value, paths] of rules) {
        const on = radioValue(form, name) === value;
        for (const p of paths) form.querySelector("#" + slug(p)).disabled = !on;
      }
      const category = radioValue(form, "category");
      form.querySelectorAll('input[name="anomalies"]').forEach((box) => {
        box.disabled = box.closest(".checks").dataset.category !== category;
      });
      form.querySelectorAll('input[name="sectors"]').forEach((box) => { box.disabled = radioValue(form, "affected") !== "true"; });
      showLevel(form);
    };
    form.addEventListener("change", update);
    form.updateConditions = update;
    update();
  }

  function radioValue(form, name) {
    const r = form.querySelector('input[name="' + name + '"]:checked');
    return r ? r.value : null;
  }
  const value = (form, path) => {
    const c = form.querySelector("#" + slug(path));
    return c && !c.disabled && c.value.trim() !== "" ? c.value : undefined;
  };
  const checked = (form, name) =>
    [...form.querySelectorAll('input[name="' + name + '"]:checked')].filter((b) => !b.disabled).map((b) => b.value);
  const bool = (v) => (v === null ? undefined : v === "true");
  const time = (form, path) => { const v = value(form, path); return v ? Console.fromLocalInput(v) : undefined; };

  function levelOf(form) {
    const levels = IMPACTS.map((d) => radioValue(form, "impact-" + d)).filter((v) => v && v !== "none").map(Number);
    return levels.length ? Math.max(...levels) : null;
  }
  function showLevel(form) {
    const out = form.querySelector("#level-now");
    const l = levelOf(form);
    out.replaceChildren(T("form.level_now"), " ", l ? el("strong", {}, T("report.level", { n: l })) : T("form.level_none"));
  }

  // The JSON document from the form; empty fields are left out, so the box
  // names each missing one at its own path.
  function buildDocument(form, base) {
    const clean = (o) => { for (const k of Object.keys(o)) if (o[k] === undefined) delete o[k]; return o; };
    const impact = {};
    for (const d of IMPACTS) {
      const v = radioValue(form, "impact-" + d);
      if (v) impact[d] = v === "none" ? "none" : Number(v);
    }
    return clean({
      schema_version: "lifeline.report/1", id: base.id, revision: base.revision, drill: base.drill || false,
      filed_at: time(form, "/filed_at"), aware_at: time(form, "/aware_at"),
      agency: clean({ name: value(form, "/agency/name"), reviewing_agency: value(form, "/agency/reviewing_agency") }),
      reporter: clean({ name: value(form, "/reporter/name"), phone: value(form, "/reporter/phone"),
                        fax: value(form, "/reporter/fax"), email: value(form, "/reporter/email") }),
      on_behalf_of: clean({ is_on_behalf: bool(radioValue(form, "on_behalf")),
                            agency_name: value(form, "/on_behalf_of/agency_name") }),
      soc: clean({ type: radioValue(form, "soc") || undefined, vendor: value(form, "/soc/vendor") }),
      maintenance_vendor: value(form, "/maintenance_vendor"),
      discovered_at: time(form, "/discovered_at"),
      category: radioValue(form, "category") || undefined,
      anomalies: checked(form, "anomalies"),
      other_description: value(form, "/other_description"),
      description: value(form, "/description"),
      affects_others: clean({ affected: bool(radioValue(form, "affected")), sectors: checked(form, "sectors") }),
      source: clean({ type: radioValue(form, "source") || undefined, alert_id: value(form, "/source/alert_id"),
                      detail: value(form, "/source/detail") }),
      impact,
      support: clean({ requested: bool(radioValue(form, "support")), content: value(form, "/support/content") }),
    });
  }

  // Puts a stored document back into the form (for a revision).
  function fill(form, doc) {
    const set = (path, v) => { const c = form.querySelector("#" + slug(path)); if (c && v !== undefined) c.value = v; };
    const pickRadio = (name, v) => {
      const r = form.querySelector('input[name="' + name + '"][value="' + CSS.escape(String(v)) + '"]');
      if (r) r.checked = true;
    };
    const tick = (name, values) => (values || []).forEach((v) => {
      const b = form.querySelector('input[name="' + name + '"][value="' + CSS.escape(v) + '"]');
      if (b) b.checked = true;
    });
    const o = (k) => doc[k] || {};
    set("/aware_at", Console.toLocalInput(doc.aware_at));
    set("/discovered_at", Console.toLocalInput(doc.discovered_at));
    set("/agency/name", o("agency").name); set("/agency/reviewing_agency", o("agency").reviewing_agency);
    for (const k of ["name", "phone", "fax", "email"]) set("/reporter/" + k, o("reporter")[k]);
    pickRadio("on_behalf", o("on_behalf_of").is_on_behalf); set("/on_behalf_of/agency_name", o("on_behalf_of").agency_name);
    pickRadio("soc", o("soc").type); set("/soc/vendor", o("soc").vendor);
    set("/maintenance_vendor", doc.maintenance_vendor);
    pickRadio("category", doc.category); tick("anomalies", doc.anomalies);
    set("/other_description", doc.other_description); set("/description", doc.description);
    pickRadio("affected", o("affects_others").affected); tick("sectors", o("affects_others").sectors);
    pickRadio("source", o("source").type); set("/source/alert_id", o("source").alert_id); set("/source/detail", o("source").detail);
    for (const d of IMPACTS) pickRadio("impact-" + d, o("impact")[d]);
    pickRadio("support", o("support").requested); set("/support/content", o("support").content);
    form.querySelectorAll("textarea").forEach((t) => t.dispatchEvent(new Event("input")));
    form.updateConditions();
  }

  async function submit(form, base, target) {
    const button = form.querySelector("#submit");
    Console.clearProblems(form);
    button.disabled = true;
    button.replaceChildren(T("form.sending"));
    let r;
    try {
      r = await api("POST", target, buildDocument(form, base));
    } catch (_) {
      r = { status: 0, ok: false, data: { message: "network", message_zh: I18n.t("error.network") } };
    }
    button.disabled = false;
    button.replaceChildren(T(base.revision > 1 ? "form.submit_revision" : "form.submit"));
    if (r.status === 201 || r.status === 200) {
      location.assign("/reports/" + encodeURIComponent(base.id) + "?stored=" + base.revision);
      return;
    }
    const problems = r.status === 422 && Array.isArray(r.data.problems) ? r.data.problems : [Console.errorOf(r)];
    Console.showProblems(form, problems, I18n.pick(r.data.message_zh, r.data.message));
  }

  async function newView(main) {
    const s = await schema();
    const form = buildForm(s);
    const now = Console.nowLocalInput();
    for (const p of ["/filed_at", "/discovered_at", "/aware_at"]) form.querySelector("#" + slug(p)).value = now;
    // One id for this form: submitting again after an error or a lost answer
    // can never store the report twice.
    const base = { id: crypto.randomUUID(), revision: 1 };
    form.addEventListener("submit", (e) => { e.preventDefault(); submit(form, base, "/v1/reports"); });
    main.replaceChildren(el("h1", {}, T("form.new")), form);
  }

  async function reviseView(main, { id }) {
    const [s, r] = await Promise.all([schema(), api("GET", "/v1/reports/" + encodeURIComponent(id))]);
    if (!r.ok) {
      main.replaceChildren(el("h1", {}, T("not_found")), el("p", { class: "bad" }, Console.errorOf(r).en));
      return;
    }
    const latest = r.data.revisions[r.data.revisions.length - 1];
    const form = buildForm(s);
    fill(form, latest.document);
    form.querySelector("#" + slug("/filed_at")).value = Console.nowLocalInput();
    const base = { id, revision: latest.revision + 1, drill: latest.drill };
    form.querySelector("#submit").replaceChildren(T("form.submit_revision"));
    form.addEventListener("submit", (e) => {
      e.preventDefault();
      submit(form, base, "/v1/reports/" + encodeURIComponent(id) + "/revisions");
    });
    main.replaceChildren(el("h1", {}, T("form.revise", { n: base.revision })),
      el("p", {}, T("form.revise_hint", { l: latest.level }), " ",
         el("a", { href: "/reports/" + encodeURIComponent(id) }, T("report.open_page"))), form);
  }

  Console.page({ path: "/reports/new", name: "report-new", nav: "nav.file", changes: true, view: newView });
  Console.page({ path: "/reports/:id/revise", name: "report-revise", changes: true, view: reviseView });
})();
