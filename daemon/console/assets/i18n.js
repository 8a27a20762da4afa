// zh-TW first, English beside it: one dictionary, the choice kept per browser.
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
    "error.network": ["無法連線至本機", "Cannot reach the box"],
    "nav.dashboard": ["儀表板", "Dashboard"],
    "nav.file": ["填寫通報", "File a report"],
    "nav.phone": ["電話任務", "Phone tasks"],
    "nav.drills": ["演練", "Drills"],
    "nav.logout": ["登出", "Log out"],
    "box.site": ["通報網站連線", "Link to the national site"],
    "box.power": ["電力", "Power"],
    "box.sms": ["簡訊數據機", "SMS modem"],
    "box.fax": ["傳真線路", "Fax line"],
    "site.up": ["正常", "up"],
    "site.outage": ["中斷", "OUTAGE"],
    "site.unknown": ["未知", "unknown"],
    "site.not_configured": ["未設定", "not configured"],
    "outage.banner": ["通報應變網站無法使用：已啟動備援通報", "The national site is unreachable: fallback notification is running"],
    "reports.open": ["處理中的通報", "Open reports"],
    "reports.none": ["目前沒有處理中的通報", "No open report"],
    "deadline.left": ["剩餘", "left"],
    "deadline.overdue": ["已逾時", "overdue"],
    "state.pending": ["待通知", "pending"],
    "state.in_progress": ["通知中", "in progress"],
    "state.confirmed": ["已確認", "confirmed"],
    "state.failed": ["失敗", "failed"],
    "state.cancelled": ["已取消", "cancelled"],
    "state.missed": ["已逾期", "missed"],
    "phone.open": ["待撥電話任務", "open phone tasks"],
  };
  let lang = localStorage.getItem("lang") || "zh";
  function t(key) {
    const e = dict[key];
    return e ? e[lang === "en" ? 1 : 0] : key;
  }
  function pick(zh, en) { return lang === "en" ? (en || zh) : (zh || en); }
  // Fills every [data-t] element's text; never HTML.
  function apply(root) {
    document.documentElement.lang = lang === "en" ? "en" : "zh-Hant-TW";
    root.querySelectorAll("[data-t]").forEach((el) => { el.textContent = t(el.dataset.t); });
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
  return { t, pick, apply, get lang() { return lang; } };
})();
