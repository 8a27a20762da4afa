// zh-TW first, English beside it: one dictionary, the choice kept per browser.
// Every text goes into the page as text (textContent), never as HTML.
"use strict";
const I18n = (function () {
  const dict = {
    "app.title": ["資安事件通報備援系統", "Incident notification fallback"],
    "lang.toggle": ["English", "中文"],
    "login.user": ["帳號", "User"],
    "login.password": ["密碼", "Password"],
    "login.submit": ["登入", "Log in"],
    "login.failed": ["帳號或密碼錯誤", "Wrong user or password"],
    "login.throttled": ["密碼錯誤次數過多，請於 {s} 秒後再試", "Too many wrong passwords; try again in {s} s"],
    "login.logged_out": ["已登出", "Logged out"],
    "error.network": ["無法連線至本機", "Cannot reach the box"],
    "error.unexpected": ["本機回應錯誤", "The box answered with an error"],
    "error.goto": ["前往此欄", "go to the field"],
    "error.summary": ["請修正下列問題（未儲存任何資料）", "Fix these problems (nothing was stored)"],
    "nav.skip": ["跳至主要內容", "Skip to the main content"],
    "nav.dashboard": ["儀表板", "Dashboard"],
    "nav.file": ["填寫通報", "File a report"],
    "nav.phone": ["電話任務", "Phone tasks"],
    "nav.drills": ["演練", "Drills"],
    "nav.logout": ["登出", "Log out"],
    "nav.main": ["主選單", "Main menu"],
    "loading": ["載入中…", "Loading…"],
    "not_found": ["無此頁面", "No such page"],
    "yes": ["是", "Yes"],
    "no": ["否", "No"],
    "required": ["◎ 必填", "◎ required"],
    "drill.badge": ["演練 DRILL", "DRILL"],

    "box.title": ["本機狀態", "The box"],
    "box.site": ["通報網站連線", "Link to the national site"],
    "box.power": ["電力", "Power"],
    "box.sms": ["簡訊數據機", "SMS modem"],
    "box.fax": ["傳真線路", "Fax line"],
    "box.since": ["自", "since"],
    "site.up": ["正常", "up"],
    "site.outage": ["中斷", "OUTAGE"],
    "site.unknown": ["未知（尚未探測）", "unknown (not probed yet)"],
    "site.not_configured": ["未設定", "not configured"],
    "power.mains": ["市電供電", "on mains"],
    "power.battery": ["電池供電", "ON BATTERY"],
    "power.runtime": ["剩餘約 {m} 分鐘", "about {m} min left"],
    "power.unknown": ["未接 UPS／無資料", "no UPS data"],
    "sms.ready": ["已註冊網路", "registered"],
    "sms.not_ready": ["無法使用", "NOT READY"],
    "sms.signal": ["訊號 {d} dBm", "signal {d} dBm"],
    "sms.waiting": ["已設定，等待數據機回報", "configured, waiting for the modem"],
    "fax.configured": ["已設定", "configured"],
    "fax.last": ["最近一次：", "last call: "],
    "channel.none": ["未設定", "not configured"],
    "outage.banner": ["通報應變網站無法使用，已啟動備援通報（簡訊、傳真、電話）", "The national site is unreachable: fallback notification (SMS, fax, phone) is running"],
    "outage.reason": ["原因", "reason"],
    "phone.banner": ["有 {n} 件電話任務待撥打：請立即撥打並記錄接聽者", "{n} phone task(s) to call now: call and record who answered"],

    "reports.open": ["處理中的通報", "Open reports"],
    "reports.none": ["目前沒有處理中的通報", "No open report"],
    "report.level": ["第 {n} 級", "level {n}"],
    "report.revision": ["第 {n} 版", "revision {n}"],
    "report.deadlines": ["期限", "Deadlines"],
    "report.recipients": ["應通知對象", "Required recipients"],
    "report.open_page": ["通報紀錄", "Record"],
    "report.revise": ["續行通報（變更等級）", "Revise (level change)"],
    "report.signoff": ["簽核與證據", "Sign-off and evidence"],
    "report.receipt": ["通報網站收執編號", "Site receipt"],
    "deadline.left": ["剩餘", "left"],
    "deadline.overdue": ["已逾時", "overdue"],
    "deadline.met": ["已完成", "met"],
    "state.queued": ["待送通報網站", "queued for the site"],
    "state.accepted": ["通報網站已受理", "accepted by the site"],
    "state.fallback": ["備援通報中（網站無法使用）", "fallback (site unreachable)"],
    "state.accepted_late": ["已補行通報", "accepted late (補行通報)"],
    "state.pending": ["待通知", "pending"],
    "state.in_progress": ["通知中", "in progress"],
    "state.confirmed": ["已確認", "confirmed"],
    "state.failed": ["失敗（重試中）", "failed (retrying)"],
    "state.cancelled": ["免通知（網站已受理）", "not needed (site accepted)"],
    "state.missed": ["已逾期未確認", "MISSED"],
    "state.open": ["待撥打", "to call"],
    "outcome.confirmed": ["已確認", "confirmed"],
    "outcome.failed": ["失敗", "failed"],
    "outcome.cancelled": ["已取消", "cancelled"],
    "outcome.open": ["進行中", "in progress"],

    "form.new": ["填寫資通安全事件通報單（壹、事件通報）", "File an incident report (stage 1)"],
    "form.revise": ["續行通報：第 {n} 版", "Revision {n} of the report"],
    "form.revise_hint": ["等級變更須再行通報。目前為第 {l} 級；送出後以新版本通報。", "A level change must be reported again. The report is now level {l}; this sends a new revision."],
    "form.submit": ["送出通報", "Submit the report"],
    "form.submit_revision": ["送出續行通報", "Submit the revision"],
    "form.sending": ["送出中…", "Sending…"],
    "form.level_now": ["依所選衝擊，事件等級為", "From the impacts chosen, the level is"],
    "form.level_none": ["（尚未選擇衝擊等級）", "(no impact chosen yet)"],
    "form.stored": ["已儲存", "Stored"],
    "form.local_time": ["時間以 +08:00（臺灣）計", "times are +08:00 (Taiwan)"],
    "form.chars": ["{n}／{max} 字", "{n}/{max} characters"],
    "form.step1": ["STEP1. 事件相關基本資料", "STEP 1. Basic data"],
    "form.step1.contact": ["一、發生資通安全事件之機關(機構)聯絡資料", "1. The agency where the incident happened"],
    "form.step2": ["STEP2. 事件發生過程", "STEP 2. What happened"],
    "form.step3": ["STEP3. 評估事件影響等級", "STEP 3. Impact"],
    "form.step3.hint": ["資安事件影響等級為機密性、完整性及可用性衝擊最嚴重者（數字最大者）", "The incident level is the worst of the three impacts (the largest number)"],
    "form.step4": ["STEP4. 期望支援項目", "STEP 4. Support wanted"],
    "form.description_hint": ["請說明事件發生經過，如機關如何發現此事件、處理情形等", "How it happened, how the agency found it, what is being done"],
    "form.aware_hint": ["本系統另記：所有期限自知悉時間起算（通報單僅載發現時間）", "lifeline's own line: every deadline counts from awareness (the paper form has only the discovery time)"],
    "form.none_label": ["無", "none"],
    "f./filed_at": [null, "Filing time"],
    "f./agency/name": [null, "Agency name"],
    "f./agency/reviewing_agency": [null, "Reviewing agency"],
    "f./reporter/name": [null, "Reporter"],
    "f./reporter/phone": [null, "Phone"],
    "f./reporter/fax": [null, "Fax"],
    "f./reporter/email": [null, "E-mail"],
    "f./on_behalf_of": [null, "Filed on behalf of another agency"],
    "f./on_behalf_of/agency_name": ["該單位名稱", "Its name"],
    "f./soc": [null, "Security operations centre (SOC)"],
    "f./soc/vendor": ["該廠商名稱", "Vendor's name"],
    "f./maintenance_vendor": [null, "Security maintenance vendor"],
    "f./discovered_at": [null, "Discovery time"],
    "f./aware_at": [null, "Awareness time (知悉)"],
    "f./category": ["事件分類與異常狀況（事件分類為單選項；異常狀況為複選項）", "Category and anomalies (one category; any anomalies)"],
    "f./other_description": ["其他（說明）", "Other (what it is)"],
    "f./description": [null, "Description and scope"],
    "f./affects_others": [null, "Affects other agencies or critical infrastructure"],
    "f./affects_others/sectors": ["承上，影響機關(構)重要民生設施領域名稱", "If so, the sectors affected"],
    "f./source": [null, "Source of this report"],
    "f./source/alert_id": ["發布編號", "Alert number"],
    "f./source/detail": ["情資來源", "What intelligence"],
    "f./impact/confidentiality": [null, "Confidentiality impact"],
    "f./impact/integrity": [null, "Integrity impact"],
    "f./impact/availability": [null, "Availability impact"],
    "f./support": [null, "Support wanted"],
    "f./support/requested": ["是否需要支援", "Is support needed"],
    "f./support/content": [null, "Support wanted (at most 200 characters)"],
    "f./support/yes": ["是（請續填期望支援內容）", "Yes (say what support)"],
    "f./support/no": ["否（免填期望支援內容）", "No"],

    "rec.title": ["通報紀錄", "The report's record"],
    "rec.summary": ["摘要", "Summary"],
    "rec.level": ["等級", "Level"],
    "rec.revision": ["版次", "Revision"],
    "rec.state": ["狀態", "State"],
    "rec.email": ["電子郵件", "E-mail"],
    "rec.aware": ["知悉時間", "Aware at"],
    "rec.revisions": ["版本與通報網站", "Revisions and the national site"],
    "rec.fallback": ["備援原因", "Why the fallback"],
    "rec.late": ["補行通報", "late submission (補行通報)"],
    "rec.notifications": ["通知對象與證據", "Recipients and evidence"],
    "rec.sms": ["簡訊（分段與狀態回報）", "SMS (parts and status reports)"],
    "rec.fax": ["傳真（送出之通報單與 T.30 結果）", "Fax (the form as sent, T.30 result)"],
    "rec.phone": ["電話確認", "Phone confirmations"],
    "rec.timeline": ["時間紀錄（+08:00）", "Timeline (+08:00)"],
    "rec.document": ["通報單內容", "The report as filed"],
    "rec.none": ["無", "none"],
    "rec.part": ["分段", "part"],
    "rec.tp_mr": ["TP-MR", "TP-MR"],
    "rec.sent_at": ["送出", "sent"],
    "rec.delivery": ["狀態回報", "status report"],
    "rec.discharge": ["送達時間", "delivered at"],
    "rec.page": ["第 {n} 頁", "page {n}"],
    "rec.page_alt": ["傳真第 {n} 頁（送出之影像）", "Fax page {n} as sent"],
    "rec.t30": ["T.30 結果", "T.30 result"],
    "rec.call": ["撥號", "call"],
    "rec.remote_csi": ["對方 CSI", "remote CSI"],
    "rec.answered_by": ["接聽者", "answered by"],
    "rec.answered_at": ["接聽時間", "answered at"],
    "rec.note": ["備註", "note"],
    "rec.recorded_by": ["記錄者", "recorded by"],
    "rec.time": ["時間", "time"],
    "rec.what": ["事項", "what"],
    "rec.who": ["執行者", "by"],
    "rec.channel": ["管道", "channel"],
    "rec.address": ["號碼", "number"],
    "rec.outcome": ["結果", "outcome"],
    "rec.due": ["期限", "due"],

    "readonly.title": ["僅供檢視", "Read only"],
    "readonly.text": ["您的角色（稽核人員）僅能檢視與匯出：不能填寫或變更通報、確認電話或啟動演練。",
                      "Your role (auditor) reads and exports only: it cannot file or change reports, confirm calls or start drills."],
    "signoff.title": ["簽核與證據匯出", "Sign-off and evidence export"],
    "signoff.placeholder": ["此頁將隨「紀錄核定與簽章」功能提供：資通安全長核定等級、通報人員、通報主管與資通安全長三方簽章，以及可離線驗證之證據包匯出。後端 API 尚在開發中，目前此頁不提供任何操作。",
                           "This page arrives with the record's approval and signatures: the CISO's approval of the level, the signatures of the reporter, their supervisor and the CISO, and the export of an evidence bundle verifiable offline. Its API is being built; nothing can be done here yet."],
    "signoff.marker": ["尚未提供", "NOT YET AVAILABLE"],
    "signoff.back": ["回到通報紀錄", "Back to the record"],

    "phone.title": ["電話任務", "Phone tasks"],
    "phone.none": ["目前沒有待撥打的電話", "No call to make"],
    "phone.open": ["待撥電話任務", "open phone tasks"],
    "phone.call": ["請撥打", "CALL"],
    "phone.hours": ["可接聽時段", "answers"],
    "phone.any_time": ["全天", "any time"],
    "phone.script": ["請照念（通報內容）", "Read aloud"],
    "phone.reason": ["無法以通報網站通報之原因", "Why the site could not be used"],
    "phone.due": ["須於此時前完成", "due by"],
    "phone.reminders": ["已提醒 {n} 次", "reminded {n} time(s)"],
    "phone.confirm": ["記錄接聽", "Record the answer"],
    "phone.answered_by": ["接聽者（姓名、單位）", "Who answered (name, unit)"],
    "phone.answered_at": ["接聽時間", "When it was answered"],
    "phone.note": ["備註（選填）", "Note (optional)"],
    "phone.submit": ["確認已通知", "Confirm the call"],
    "phone.confirmed": ["已確認：{who}，{at}", "Confirmed: {who}, {at}"],
    "phone.done": ["已完成的電話任務", "Calls done"],
    "phone.report": ["所屬通報", "report"],

    "drills.title": ["演練", "Drills"],
    "drills.library": ["演練情境庫", "Scenario library"],
    "drills.no_library": ["未設定演練情境庫（設定檔 [console] drill_scenarios）；仍可以 lifeline drill start --scenario FILE 啟動演練。", "No scenario library is configured ([console] drill_scenarios); drills still start with lifeline drill start --scenario FILE."],
    "drills.start": ["開始演練", "Start the drill"],
    "drills.name": ["演練名稱", "Drill name"],
    "drills.outage": ["模擬網站中斷 {s} 秒（本機時鐘）", "the site is treated as lost for {s} s (this box's clock)"],
    "drills.approximated": ["以「網站無法連線」模擬", "simulated as the site unreachable"],
    "drills.not_simulated": ["本機無法模擬", "not simulated by this box"],
    "drills.allow_partial": ["了解無法完整模擬，仍要開始", "I understand it is only partly simulated; start anyway"],
    "drills.cannot": ["此情境無法於本機演練", "This scenario cannot run on this box"],
    "drills.started": ["演練已開始", "Drill started"],
    "drills.list": ["演練紀錄", "Drills run"],
    "drills.none": ["尚無演練", "No drill yet"],
    "drills.running": ["進行中", "running"],
    "drills.complete": ["已完成", "complete"],
    "drills.follow": ["時間紀錄", "time record"],
    "drills.timeline": ["演練時間紀錄", "Drill time record"],
    "drills.report_state": ["通報單狀態", "report state"],
    "drills.only_drill": ["僅通知演練對象，訊息皆標示【演練 DRILL】；不影響本機網路。", "Only drill recipients are notified, every message marked 【演練 DRILL】; the box's network is untouched."],
    "drills.faults": ["模擬狀況", "simulated faults"],
  };
  let lang = localStorage.getItem("lang") || "zh";
  function t(key, vars) {
    const e = dict[key];
    let s = e ? (lang === "en" ? e[1] : e[0]) || e[1] : key;
    for (const [k, v] of Object.entries(vars || {})) s = s.split("{" + k + "}").join(String(v));
    return s;
  }
  function has(key) { return key in dict; }
  // Both languages of an entry, [zh, en] (null where the dictionary has none).
  function entry(key) { return dict[key] ? [dict[key][0], dict[key][1]] : [null, null]; }
  function pick(zh, en) { return lang === "en" ? (en || zh) : (zh || en); }
  // A text that follows the language switch: a span with its key (and the
  // values put into it), or with both languages when they come from data.
  function node(key, vars) {
    const s = document.createElement("span");
    s.dataset.t = key;
    if (vars) s.dataset.v = JSON.stringify(vars);
    s.textContent = t(key, vars);
    return s;
  }
  function pair(zh, en) {
    const s = document.createElement("span");
    s.dataset.zh = zh || en || "";
    s.dataset.en = en || zh || "";
    s.textContent = pick(zh, en);
    return s;
  }
  // Fills every [data-t] and [data-zh] element's text; never HTML.
  function apply(root) {
    document.documentElement.lang = lang === "en" ? "en" : "zh-Hant-TW";
    root.querySelectorAll("[data-t]").forEach((el) => {
      el.textContent = t(el.dataset.t, el.dataset.v ? JSON.parse(el.dataset.v) : undefined);
    });
    root.querySelectorAll("[data-zh]").forEach((el) => { el.textContent = pick(el.dataset.zh, el.dataset.en); });
    root.querySelectorAll("[data-t-label]").forEach((el) => { el.setAttribute("aria-label", t(el.dataset.tLabel)); });
    const toggle = root.getElementById ? root.getElementById("lang-toggle") : null;
    if (toggle && !toggle.dataset.bound) {
      toggle.dataset.bound = "1";
      toggle.addEventListener("click", () => {
        lang = lang === "en" ? "zh" : "en";
        localStorage.setItem("lang", lang);
        apply(document);
        document.dispatchEvent(new Event("langchange"));
      });
    }
  }
  return { t, has, entry, pick, node, pair, apply, get lang() { return lang; } };
})();
