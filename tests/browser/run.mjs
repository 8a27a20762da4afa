// The console in a real browser (Debian's Chromium, headless, driven by
// playwright-core) against a real lifelined with site-sim, modem-sim and
// fax-line on a 60-second "hour": log in (keyboard only); file a report with
// mistakes and see each at its field, file it right; revise it (level
// change); cut the site and see the outage banner and the countdowns; see the
// SMS and the fax confirmed on the report's page (the fax page as sent);
// confirm the phone task; see the late submission once the site is back;
// a drill from the library; an auditor who can read but not change; the
// record taken through stages 2 and 3 (the API), the CISO's approval and the
// reporter's signature on the sign-off page; the dashboard following a change made elsewhere;
// English and a phone's screen; the cookie's flags and 403 without the CSRF
// token; log out. Text from reports carries markup in every free-text field
// and must show as text everywhere. Screenshots of every page go to
// <out>/screenshots. Waits are bounded; nothing here asserts a duration.
// Every HTTP answer of 400 or more the page receives fails the run unless the
// step that caused it expects it (a 422 for a mistake made on purpose).
//
// node tests/browser/run.mjs --build BUILD_DIR --source SOURCE_DIR --out OUT_DIR [--screenshots DIR]
// --screenshots DIR also copies the screenshots the README shows into DIR
// (docs/screenshots: `bash tools/dev.sh screenshots`).
import { createRequire } from "node:module";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { Box, until } from "./box.mjs";

const args = Object.fromEntries(process.argv.slice(2).reduce((a, v, i, all) =>
  (v.startsWith("--") ? [...a, [v.slice(2), all[i + 1]]] : a), []));
const build = path.resolve(args.build || "build");
const source = path.resolve(args.source || ".");
const out = path.resolve(args.out || path.join(build, "tests/browser"));
const shots = path.join(out, "screenshots");
const readmeShots = args.screenshots ? path.resolve(args.screenshots) : null;
// The README's pictures, by the name the test gives them.
const README_SHOTS = ["02-report-form-errors", "04-dashboard-outage", "05-phone-task",
                      "06-report-evidence", "10-signoff", "11-dashboard-english-phone", "14-by-hand", "15-fleet"];

// playwright-core from tests/browser/node_modules (npm ci there; tools/dev.sh does it).
const here = path.dirname(fileURLToPath(import.meta.url));
let chromium;
try {
  ({ chromium } = createRequire(path.join(here, "package.json"))("playwright-core"));
} catch (e) {
  console.error("FAILED: playwright-core is not installed in " + here + "/node_modules: run " +
                "`npm ci --prefix " + here + "` (tools/dev.sh does)\n" + e.message);
  process.exit(1);
}
if (!fs.existsSync("/usr/bin/chromium")) {
  console.error("FAILED: /usr/bin/chromium is missing: apt-get install chromium (tools/dev.sh does)");
  process.exit(1);
}

const WAIT = 20000;      // an ordinary page change
const STORY_WAIT = 90000; // a step of the outage story (escalation, fax at 8x, replay)

// Markup in every free-text field: it must come back as text, never as HTML.
const XSS = '<img src=x data-xss="1" onerror="window.__xss=1"><script data-xss="1">window.__xss=2</script>';

let step = "start";
function check(cond, message) {
  if (!cond) throw new Error("[" + step + "] " + message);
}

// HTTP answers of 400 or more the page got, and those the current step
// expects (set by expectHttp, cleared at each step's end by expectHttp()).
const httpFailures = [];
let expectedStatuses = new Set();
function expectHttp(...statuses) { expectedStatuses = new Set(statuses); }
function watchHttp(page) {
  page.on("response", (r) => {
    if (r.status() < 400 || expectedStatuses.has(r.status())) return;
    httpFailures.push("[" + step + "] " + r.request().method() + " " + new URL(r.url()).pathname + " -> " + r.status());
  });
}

async function shot(page, name, opts = {}) {
  await page.screenshot({ path: path.join(shots, name + ".png"), fullPage: opts.fullPage !== false });
}

// No markup from a report ran or became an element, on whatever page is open.
async function expectEscaped(page) {
  const injected = await page.evaluate(() => ({ ran: window.__xss || 0,
                                                 elements: document.querySelectorAll("[data-xss]").length }));
  check(injected.ran === 0 && injected.elements === 0, "report text was parsed as HTML: " + JSON.stringify(injected));
}

async function login(page, box, user, password) {
  step = "login";
  await page.goto(box.url + "/");
  await page.waitForURL(/\/login/, { timeout: WAIT });
  await shot(page, "01-login");
  check(await page.evaluate(() => document.activeElement.id) === "user", "the user field has the focus");
  await page.keyboard.type(user);
  await page.keyboard.press("Tab");
  await page.keyboard.type("wrong password!");
  expectHttp(401);
  await page.keyboard.press("Enter");
  await page.locator("#login-error").filter({ hasText: /帳號或密碼錯誤/ }).waitFor({ timeout: WAIT });
  expectHttp();
  await page.keyboard.type(password);  // the page put the focus back on the emptied password
  await page.keyboard.press("Enter");
  await page.waitForURL(box.url + "/", { timeout: WAIT });
  await page.locator("#health-site").waitFor({ timeout: WAIT });
  await page.keyboard.press("Tab");
  check(await page.evaluate(() => document.activeElement.classList.contains("skip")), "the skip link comes first");
}

const id = (p) => "#f" + p.replace(/[^a-z0-9]+/gi, "-");

// Fills the stage-1 form; `mistakes` leaves a required field empty and
// writes an address that is no e-mail address.
async function fillReport(page, { availability, mistakes }) {
  await page.locator(id("/agency/name")).waitFor({ timeout: WAIT });
  await page.fill(id("/agency/name"), "測試機關 " + XSS);
  await page.fill(id("/agency/reviewing_agency"), "上級機關 " + XSS);
  await page.fill(id("/reporter/name"), "王小明 " + XSS);
  await page.fill(id("/reporter/phone"), "07-5550000#12");
  await page.fill(id("/reporter/email"), mistakes ? "not-an-address" : "it@example.gov.tw");
  await page.check(id("/on_behalf_of") + "-false");
  await page.check(id("/soc") + "-outsourced");
  await page.fill(id("/soc/vendor"), "SOC 廠商 " + XSS);
  await page.fill(id("/maintenance_vendor"), mistakes ? "" : "維護廠商 " + XSS);
  await page.check(id("/category") + "-intrusion");
  await page.check(id("/anomalies") + "-malware_implanted");
  await page.check(id("/anomalies") + "-abnormal_connection");
  await page.fill(id("/description"), "伺服器遭植入後門 " + XSS);
  await page.check(id("/affects_others") + "-false");
  await page.check(id("/source") + "-self-discovered");
  await page.check(id("/impact/confidentiality") + "-2");
  await page.check(id("/impact/integrity") + "-none");
  await page.check(id("/impact/availability") + "-" + availability);
  await page.check(id("/support") + "-true");
  await page.fill(id("/support/content"), "請協助分析 " + XSS);
}

async function fieldError(page, pointer) {
  const e = page.locator('[data-path="' + pointer + '"] > .field-error');
  await e.waitFor({ state: "visible", timeout: WAIT });
  return e.innerText();
}

async function reportCount(box) {
  const r = await box.call("GET", "/v1/reports");
  return r.body.reports.length;
}

// The report's page lists every deadline of its latest revision, as the API
// has them (times in +08:00), each with a running countdown; one far enough
// ahead that it cannot run out during the check reads as time left.
function agencyTime(iso) {
  const shifted = new Date(Date.parse(iso) + 480 * 60000).toISOString();
  return shifted.slice(0, 10) + " " + shifted.slice(11, 19) + " +08:00";
}
async function expectDeadlines(page, box, reportId) {
  const report = (await box.call("GET", "/v1/reports/" + reportId)).body;
  const latest = report.revisions[report.revisions.length - 1];
  const wanted = (latest.schedule || {}).deadlines || [];
  check(wanted.length > 0, "the API gives the report deadlines");
  const rows = page.locator("table.deadlines tbody tr");
  await until("the deadlines of revision " + latest.revision, WAIT, async () => (await rows.count()) === wanted.length);
  for (let i = 0; i < wanted.length; ++i) {
    const cells = await rows.nth(i).locator("td").allInnerTexts();
    check(cells[1] === agencyTime(wanted[i].at), "deadline " + i + " at " + agencyTime(wanted[i].at) + ", shown " + cells[1]);
    check(/^\d+:\d\d:\d\d /.test(cells[2]) || /\d+:\d\d:\d\d$/.test(cells[2]), "deadline " + i + " counts down: " + cells[2]);
    if (Date.parse(wanted[i].at) - Date.now() > 120000) check(cells[2].includes("剩餘"), "deadline " + i + " has time left: " + cells[2]);
  }
}

async function fileReports(page, box) {
  step = "file a report with mistakes";
  await page.click('nav a[href="/reports/new"]');
  await fillReport(page, { availability: 3, mistakes: true });
  expectHttp(422);
  await page.click("#submit");
  const email = await fieldError(page, "/reporter/email");
  const vendor = await fieldError(page, "/maintenance_vendor");
  expectHttp();
  check(/@/.test(email) || /e-mail|電子郵件|格式|pattern/i.test(email), "the e-mail problem is named: " + email);
  check(vendor.length > 0, "the missing vendor is named");
  check(await page.locator(".error-summary li").count() >= 2, "the summary lists every problem");
  check(await reportCount(box) === 0, "nothing was stored");
  await shot(page, "02-report-form-errors");

  step = "file it right";
  await page.fill(id("/reporter/email"), "it@example.gov.tw");
  await page.fill(id("/maintenance_vendor"), "維護廠商 " + XSS);
  await page.click("#submit");
  await page.waitForURL(/\/reports\/[0-9a-f-]{36}\?stored=1/, { timeout: WAIT });
  const reportId = /\/reports\/([0-9a-f-]{36})/.exec(page.url())[1];
  await page.locator('#site tr[data-state="accepted"] .receipt').filter({ hasText: /\S/ }).waitFor({ timeout: STORY_WAIT });
  await page.locator("#document").waitFor({ timeout: WAIT });
  check((await page.locator("#document").innerText()).includes('<script data-xss="1">'), "the markup shows as text");
  await expectDeadlines(page, box, reportId);
  await expectEscaped(page);
  await shot(page, "03-report-accepted");

  step = "revise with a mistake, then right";
  await page.click('a[href$="/revise"]');
  await page.locator(id("/reporter/name")).waitFor({ timeout: WAIT });
  check(await page.inputValue(id("/description")) === "伺服器遭植入後門 " + XSS, "the revision starts from the stored text");
  await page.fill(id("/reporter/name"), "");
  await page.check(id("/impact/availability") + "-4");
  expectHttp(422);
  await page.click("#submit");
  await fieldError(page, "/reporter/name");
  expectHttp();
  check((await box.call("GET", "/v1/reports/" + reportId)).body.revisions.length === 1, "no revision was stored");
  await page.fill(id("/reporter/name"), "王小明");
  await page.click("#submit");
  await page.waitForURL(/\?stored=2/, { timeout: WAIT });
  await page.locator('#site tr[data-revision="2"]').waitFor({ timeout: WAIT });
  check((await page.locator(".facts .level").innerText()).trim() === "4", "revision 2 is level 4");
  await expectDeadlines(page, box, reportId);
  return reportId;
}

async function outageStory(page, box) {
  step = "cut the site";
  await box.siteFault({ refuse: true });
  await page.goto(box.url + "/");
  await page.locator("#banner").filter({ hasText: /通報應變網站無法使用/ }).waitFor({ timeout: STORY_WAIT });
  step = "file during the outage";
  await page.goto(box.url + "/reports/new");
  await fillReport(page, { availability: 3, mistakes: false });
  await page.click("#submit");
  await page.waitForURL(/\?stored=1/, { timeout: WAIT });
  const reportId = /\/reports\/([0-9a-f-]{36})/.exec(page.url())[1];

  step = "the dashboard in the outage";
  await page.goto(box.url + "/");
  const card = page.locator('article[data-report="' + reportId + '"]');
  await card.locator(".countdown").first().waitFor({ timeout: WAIT });
  await page.locator("#phone-banner a").waitFor({ timeout: STORY_WAIT });
  await card.locator('[data-recipient="superior"]').waitFor({ timeout: STORY_WAIT });
  check(await page.locator("#health-site .bad").count() === 1, "the site's link shows its outage");
  await expectEscaped(page);
  await shot(page, "04-dashboard-outage");

  step = "confirm the phone task";
  await page.click("#phone-banner a");
  await page.waitForURL("**/phone", { timeout: WAIT });
  const task = page.locator("article.call-card").first();
  await task.waitFor({ timeout: WAIT });
  await expectEscaped(page);
  await shot(page, "05-phone-task");
  const taskId = await task.getAttribute("data-task");
  expectHttp(422);
  await task.locator('button[type="submit"]').click();
  await fieldError(page, "/answered_by");
  expectHttp();
  check((await box.call("GET", "/v1/phone-tasks/" + taskId)).body.state === "open", "the bad confirmation changed nothing");
  await task.locator('input[name="answered_by"]').focus();
  await page.keyboard.type("林值班（上級機關資安窗口）");
  await page.keyboard.press("Enter");
  await page.locator("#phone-status").filter({ hasText: /林值班/ }).waitFor({ timeout: WAIT });
  check((await box.call("GET", "/v1/phone-tasks/" + taskId)).body.state === "confirmed", "the task is confirmed");

  step = "SMS and fax confirmed on the report's page";
  await page.goto(box.url + "/reports/" + reportId);
  await page.locator('#sms h3[data-outcome="confirmed"]').waitFor({ timeout: STORY_WAIT });
  await page.locator('#sms tr[data-delivery="delivered"]').first().waitFor({ timeout: WAIT });
  await page.locator('#fax h3[data-outcome="confirmed"]').first().waitFor({ timeout: STORY_WAIT });
  const img = page.locator("#fax figure.fax-page img").first();
  await img.scrollIntoViewIfNeeded();
  await until("the fax page's picture", WAIT, () => img.evaluate((i) => i.complete && i.naturalWidth === 1728));
  check(await page.locator('#fax figure[data-response="MCF"]').count() >= 1, "a page confirmed by MCF");
  check(await page.locator('#phone tr[data-state="confirmed"]').count() === 1, "the phone confirmation is shown");
  await expectDeadlines(page, box, reportId);
  await expectEscaped(page);
  await shot(page, "06-report-evidence");

  step = "the late submission";
  await box.siteFault(null);
  await page.locator('#site tr[data-state="accepted_late"] .receipt').filter({ hasText: /\S/ }).waitFor({ timeout: STORY_WAIT });
  await page.locator('#timeline tr[data-type="report.site_receipt"]').first().waitFor({ timeout: WAIT });
  await shot(page, "07-report-late-submission");
  return reportId;
}

async function drills(page, box) {
  step = "a drill from the library";
  await page.goto(box.url + "/drills");
  const scenario = page.locator('article[data-scenario="network-loss"]');
  await scenario.waitFor({ timeout: WAIT });
  await shot(page, "08-drills");
  const before = (await box.call("GET", "/v1/drills")).body.drills.length;
  await scenario.locator('input[name="name"]').fill("");
  expectHttp(422);
  await scenario.locator('button[type="submit"]').click();
  await scenario.locator('[data-path="/name"] > .field-error').waitFor({ state: "visible", timeout: WAIT });
  expectHttp();
  check((await box.call("GET", "/v1/drills")).body.drills.length === before, "the bad drill started nothing");
  await scenario.locator('input[name="name"]').fill("網路中斷演練 " + XSS);
  await scenario.locator('button[type="submit"]').click();
  await page.waitForURL(/\/drills\?drill=/, { timeout: WAIT });
  await page.locator('#main tr[data-type="drill.start"]').waitFor({ timeout: WAIT });
  await expectEscaped(page);
  await shot(page, "09-drill-timeline");
}

// A notice sent by hand: the drill's national centre has a fax that is always
// busy here (fax-line --busy), so the operator faxes the form from the
// office's machine and records it; the record confirms the recipient with
// that statement and the operator's name, and the phone task for it ends.
async function byHand(page, box) {
  step = "a notice sent by hand";
  const drillId = new URL(page.url()).searchParams.get("drill");
  const reportId = (await box.call("GET", "/v1/drills/" + drillId)).body.report_id;
  check(/^[0-9a-f-]{36}$/.test(reportId || ""), "the drill has its report: " + reportId);
  await page.goto(box.url + "/reports/" + reportId);
  const link = page.locator('#notifications a[data-recipient="national_centre"]');
  await link.waitFor({ timeout: STORY_WAIT });
  await link.click();
  await page.locator("#by-hand-form").waitFor({ timeout: WAIT });
  check(await page.inputValue("#bh-recipient") === "national_centre", "the recipient chosen on the record's page");
  const byHandAttempts = async () => (await box.call("GET", "/v1/reports/" + reportId + "/record")).body.attempts
    .filter((a) => a.evidence && a.evidence.by_hand).length;
  await page.fill("#bh-sent-at", "2099-01-01T10:00:00");
  expectHttp(422);
  await page.click("#bh-submit");
  const future = await fieldError(page, "/sent_at");
  await fieldError(page, "/proof");
  expectHttp();
  check(/future|晚於現在/.test(future), "a time in the future is named: " + future);
  check(await byHandAttempts() === 0, "the refused notice recorded nothing");
  await page.fill("#bh-sent-at", await page.evaluate(() => Console.nowLocalInput()));
  await page.selectOption("#bh-channel", "fax");
  await page.fill("#bh-proof", "傳真發送報表 OK，共 2 頁 " + XSS);
  await page.fill("#bh-from", "辦公室傳真機 07-5550009");
  await page.click("#bh-submit");
  await page.waitForURL(/\?by_hand=\d+/, { timeout: WAIT });
  await page.locator('#by-hand h3[data-outcome="confirmed"]').waitFor({ timeout: WAIT });
  await page.locator('#notifications tr[data-recipient="national_centre"][data-state="confirmed"]').waitFor({ timeout: WAIT });
  check((await page.locator("#by-hand .by-hand-statement").innerText()).includes('<script data-xss="1">'),
        "the statement shows as text");
  const record = (await box.call("GET", "/v1/reports/" + reportId + "/record")).body;
  const kept = record.attempts.filter((a) => a.evidence && a.evidence.by_hand);
  check(kept.length === 1 && kept[0].outcome === "confirmed" && kept[0].evidence.recorded_by === "operator",
        "one confirmed attempt with who recorded it: " + JSON.stringify(kept));
  check(!record.phone_tasks.some((t) => t.recipient === "national_centre" && t.state === "open"),
        "no phone task is left open for the national centre");
  await expectEscaped(page);
  await shot(page, "14-by-hand");
}

// An auditor reads everything and changes nothing: no form is offered (a
// read-only note instead) and the API refuses its POST with 403, CSRF token
// and all.
async function auditor(browser, box, reportId, password) {
  step = "an auditor reads only";
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: "zh-TW", timezoneId: "UTC" });
  const page = await context.newPage();
  watchHttp(page);
  const errors = [];
  page.on("pageerror", (e) => errors.push(e.message));
  await page.goto(box.url + "/login");
  await page.fill("#user", "auditor");
  await page.fill("#password", password);
  await page.press("#password", "Enter");
  await page.waitForURL(box.url + "/", { timeout: WAIT });
  await page.locator("article[data-report]").first().waitFor({ timeout: WAIT });
  check(await page.locator('nav a[href="/reports/new"]').count() === 0, "no 'file a report' in the auditor's menu");
  check(await page.locator('#main a[href$="/revise"]').count() === 0, "no revise link on the auditor's dashboard");
  await page.goto(box.url + "/reports/" + reportId);
  await page.locator("table.deadlines tbody tr").first().waitFor({ timeout: WAIT });
  check(await page.locator('#main a[href$="/revise"]').count() === 0, "no revise link on the auditor's record page");
  await page.goto(box.url + "/reports/new");
  await page.locator("#read-only").waitFor({ timeout: WAIT });
  check(await page.locator("#report-form").count() === 0, "no report form for an auditor");
  await shot(page, "13-auditor-read-only");
  const before = await reportCount(box);
  expectHttp(403);
  const status = await page.evaluate(async () => (await fetch("/v1/reports", {
    method: "POST", headers: { "Content-Type": "application/json", "X-CSRF-Token": sessionStorage.getItem("csrf") || "" },
    body: "{}" })).status);
  expectHttp();
  check(status === 403, "the auditor's POST is refused with 403: " + status);
  check(await reportCount(box) === before, "the auditor's POST stored nothing");
  check(errors.length === 0, "no script error on the auditor's pages: " + errors.join(" | "));
  await context.close();
}

// An RFC 3339 time now in the agency's offset (+08:00), as the stages' forms state them.
function nowTaipei() {
  return new Date(Date.now() + 8 * 3600e3).toISOString().slice(0, 19) + "+08:00";
}

// The record from stage 1 to the first signature: the sign-off page says
// what comes next; the printable record downloads; stages 2 and 3 go in
// through the API (the form's fixtures); the operator is told the CISO
// approves; the CISO approves on the page; the operator signs as the
// reporter on the page, and the record shows each.
async function signoff(browser, box, page, reportId) {
  step = "the sign-off page before stage 2";
  const signoffUrl = box.url + "/reports/" + reportId + "/signoff";
  await page.goto(signoffUrl);
  await page.locator('#record[data-phase="reported"]').waitFor({ timeout: WAIT });
  await page.locator("#signoff-stage").waitFor({ timeout: WAIT });
  const pdf = await page.evaluate(async (href) => {
    const r = await fetch(href);
    const head = new Uint8Array(await r.arrayBuffer()).slice(0, 5);
    return { status: r.status, type: r.headers.get("content-type"), head: String.fromCharCode(...head) };
  }, await page.locator('a[data-key="record-pdf"]').getAttribute("href"));
  check(pdf.status === 200 && pdf.type === "application/pdf" && pdf.head === "%PDF-",
        "the record's PDF downloads: " + JSON.stringify(pdf));

  step = "stages 2 and 3 through the API";
  for (const stage of ["damage-control", "closing"]) {
    const doc = JSON.parse(fs.readFileSync(path.join(source, "tests/fixtures/stages", stage, "valid/intrusion_full.json"), "utf8"));
    doc.report_id = reportId;
    if (stage === "damage-control") doc.completion.completed_at = nowTaipei();
    else doc.submitted_at = nowTaipei();
    const r = await box.call("POST", "/v1/reports/" + reportId + "/" + stage, doc);
    check(r.status === 201, stage + " stored: " + r.status + " " + JSON.stringify(r.body));
  }
  await page.goto(signoffUrl);
  await page.locator('#record[data-phase="closed"]').waitFor({ timeout: WAIT });
  await page.locator("#signoff-ciso-only").waitFor({ timeout: WAIT });
  check(await page.locator("table.stages tbody tr").count() === 2, "both stages on the record");

  step = "the CISO approves on the page";
  const cisoPassword = await box.addUser("ciso.chen", "ciso");
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: "zh-TW", timezoneId: "UTC" });
  const ciso = await context.newPage();
  watchHttp(ciso);
  const errors = [];
  ciso.on("pageerror", (e) => errors.push(e.message));
  await ciso.goto(box.url + "/login");
  await ciso.fill("#user", "ciso.chen");
  await ciso.fill("#password", cisoPassword);
  await ciso.press("#password", "Enter");
  await ciso.waitForURL(box.url + "/", { timeout: WAIT });
  await ciso.goto(signoffUrl);
  await ciso.locator("#approve-form").waitFor({ timeout: WAIT });
  await ciso.fill("#approve-note", "核定 " + XSS);
  await ciso.click('#approve-form button[type="submit"]');
  await ciso.locator('#record .approval.ok').waitFor({ timeout: WAIT });
  await ciso.locator('#sign-form[data-as="reporter"]').waitFor({ timeout: WAIT });
  await expectEscaped(ciso);
  check(errors.length === 0, "no script error on the CISO's pages: " + errors.join(" | "));
  await context.close();

  step = "the reporter signs on the page";
  await page.goto(signoffUrl);
  await page.locator('#sign-form[data-as="reporter"]').waitFor({ timeout: WAIT });
  await page.click('#sign-form button[type="submit"]');
  await page.locator('table.signatures tr[data-as="reporter"][data-signed="yes"]').waitFor({ timeout: WAIT });
  await page.locator('#signoff-needs-role[data-as="supervisor"]').waitFor({ timeout: WAIT });
  await shot(page, "10-signoff");
  const approvals = (await box.call("GET", "/v1/reports/" + reportId)).body.record;
  check(approvals.approval.approved && approvals.approval.user === "ciso.chen", "approved by the CISO: " + JSON.stringify(approvals.approval));
  check(approvals.signatures.length === 1 && approvals.signatures[0].as === "reporter" && approvals.signatures[0].user === "operator",
        "the reporter's signature is the operator's: " + JSON.stringify(approvals.signatures));
}

async function lastPages(browser, page, box, reportId) {

  step = "the dashboard follows a change by itself";
  await page.goto(box.url + "/");
  const card = page.locator('article[data-report="' + reportId + '"]');
  await card.waitFor({ timeout: WAIT });
  const stored = (await box.call("GET", "/v1/reports/" + reportId)).body;
  const next = stored.revisions.length + 1;
  const doc = { ...stored.revisions[stored.revisions.length - 1].document, revision: next };
  const posted = await box.call("POST", "/v1/reports/" + reportId + "/revisions", doc);
  check(posted.status === 201, "revision " + next + " through the API: " + JSON.stringify(posted.body));
  await card.locator(".meta").filter({ hasText: "第 " + next + " 版" }).waitFor({ timeout: WAIT });

  await signoff(browser, box, page, reportId);

  step = "English on a phone's screen";
  await page.setViewportSize({ width: 390, height: 844 });
  await page.goto(box.url + "/");
  await page.click("#lang-toggle");
  await page.locator("#health-h").filter({ hasText: "The box" }).waitFor({ timeout: WAIT });
  await expectEscaped(page);
  const wide = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  check(wide <= 0, "the dashboard fits a phone's width (" + wide + " px too wide)");
  await shot(page, "11-dashboard-english-phone", { fullPage: false });
  // Every page fits the phone's width (wide tables scroll inside their own box).
  for (const [where, ready] of [["/reports/new", id("/agency/name")], ["/reports/" + reportId, "table.deadlines tbody tr"],
                                ["/phone", "#done"], ["/drills", "#library"]]) {
    await page.goto(box.url + where);
    await page.locator(ready).first().waitFor({ timeout: WAIT });
    const over = await page.evaluate(() => {
      const name = (e) => e.tagName.toLowerCase() + (e.id ? "#" + e.id : "") + (e.className ? "." + String(e.className).split(" ").join(".") : "");
      // The outermost elements that stick out: those whose parent fits.
      const sticksOut = (e) => e.getBoundingClientRect().right > window.innerWidth + 0.5;
      const wide = [...document.querySelectorAll("body *")].filter((e) => sticksOut(e) && !sticksOut(e.parentElement));
      return { px: document.documentElement.scrollWidth - window.innerWidth, wide: wide.slice(0, 4).map(name) };
    });
    check(over.px <= 0, where + " fits a phone's width (" + over.px + " px too wide: " + over.wide.join(", ") + ")");
  }
  await page.goto(box.url + "/");
  await page.locator("#health-h").waitFor({ timeout: WAIT });
  await page.click("#lang-toggle");
  await page.setViewportSize({ width: 1280, height: 900 });

  step = "the session's cookie and CSRF token, as the browser holds them";
  const cookies = await page.context().cookies(box.url);
  check(cookies.length === 1, "one cookie: " + cookies.map((c) => c.name).join(", "));
  check(cookies[0].httpOnly && cookies[0].secure && cookies[0].sameSite === "Strict",
        "the session cookie is HttpOnly, Secure, SameSite=Strict: " + JSON.stringify(cookies[0]));
  check(await page.evaluate(() => document.cookie) === "", "page scripts cannot read the session cookie");
  const before = await reportCount(box);
  expectHttp(403);
  const refused = await page.evaluate(async () => {
    const post = (headers) => fetch("/v1/reports", { method: "POST", body: "{}",
                                                     headers: { "Content-Type": "application/json", ...headers } });
    return [(await post({})).status, (await post({ "X-CSRF-Token": "not-the-token" })).status];
  });
  expectHttp();
  check(refused[0] === 403 && refused[1] === 403, "without or with a wrong CSRF token a POST gets 403: " + refused);
  check(await reportCount(box) === before, "the refused POSTs stored nothing");

  step = "log out";
  expectHttp(401);  // the page's own polls, and the check below, after the session ended
  await page.click("#logout");
  await page.waitForURL(/\/login\?logged_out=1/, { timeout: WAIT });
  await page.locator("#login-status").filter({ hasText: "已登出" }).waitFor({ timeout: WAIT });
  await shot(page, "12-logged-out");
  await page.goto(box.url + "/reports/" + reportId);
  await page.waitForURL(/\/login\?next=/, { timeout: WAIT });
  const api = await page.evaluate(async () => (await fetch("/v1/dashboard")).status);
  check(api === 401, "the API refuses the ended session: " + api);
}

// The fleet page (the agency's own machine): the units its view expects, never
// heard, flagged silent; in the menu only because this box shows a fleet.
async function fleet(page, box) {
  step = "the fleet page";
  await page.goto(box.url + "/");
  await page.locator('#nav a[href="/fleet"]:not([hidden])').waitFor({ timeout: WAIT });
  await page.locator('#nav a[href="/fleet"]').click();
  await page.waitForURL(/\/fleet$/, { timeout: WAIT });
  for (const unit of ["hr-qianjin", "hr-zuoying"]) {
    await page.locator(`#fleet-units tr[data-unit="${unit}"][data-silent="true"]`).waitFor({ timeout: WAIT });
  }
  const view = (await box.call("GET", "/v1/fleet")).body;
  check(view.fleet_view === true && view.units.length === 2, "the API's view is the page's: " + JSON.stringify(view).slice(0, 300));
  await page.locator("#fleet-no-reports").waitFor({ timeout: WAIT });
  await shot(page, "15-fleet");
}

async function main() {
  fs.rmSync(shots, { recursive: true, force: true });
  fs.mkdirSync(shots, { recursive: true });
  const box = new Box({ build, source, dir: path.join(out, "run") });
  let browser = null;
  let page = null;
  const started = Date.now();
  try {
    await box.start();
    const password = await box.addUser("operator", "operator");
    const auditorPassword = await box.addUser("auditor", "auditor");
    browser = await chromium.launch({
      executablePath: "/usr/bin/chromium", headless: true,
      args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
             "--disable-component-update", "--disable-sync", "--ignore-certificate-errors-spki-list=" + box.spki()],
    });
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: "zh-TW",
                                               timezoneId: "UTC" });
    page = await context.newPage();
    const problems = [];
    page.on("pageerror", (e) => problems.push("page error: " + e.message));
    // Chromium logs every 4xx as a console error; those are judged by watchHttp.
    page.on("console", (m) => {
      if (m.type() === "error" && !/^Failed to load resource: the server responded/.test(m.text())) {
        problems.push("console: " + m.text());
      }
    });
    watchHttp(page);
    await login(page, box, "operator", password);
    const first = await fileReports(page, box);
    await outageStory(page, box);
    await drills(page, box);
    await byHand(page, box);
    await fleet(page, box);
    await auditor(browser, box, first, auditorPassword);
    await lastPages(browser, page, box, first);
    step = "the page's own errors";
    check(problems.length === 0, "no script error or CSP refusal: " + problems.join(" | "));
    check(httpFailures.length === 0, "no unexpected HTTP error: " + httpFailures.join(" | "));
    if (readmeShots) {
      fs.mkdirSync(readmeShots, { recursive: true });
      for (const name of README_SHOTS) fs.copyFileSync(path.join(shots, name + ".png"), path.join(readmeShots, name + ".png"));
      console.log("README screenshots copied to " + readmeShots);
    }
    console.log("browser story passed in " + Math.round((Date.now() - started) / 1000) + " s; screenshots in " + shots);
  } catch (e) {
    console.error("FAILED [" + step + "]: " + e.message);
    if (page) await shot(page, "failure").catch(() => {});
    console.error("--- lifelined (last 60 lines) ---\n" + box.log().split("\n").slice(-60).join("\n"));
    process.exitCode = 1;
  } finally {
    if (browser) await browser.close().catch(() => {});
    await box.stop();
  }
}

main();
