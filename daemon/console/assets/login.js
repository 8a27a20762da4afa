// The login page: posts the user and password as JSON; on success the
// session's CSRF token is kept for this tab and the page asked for opens.
"use strict";
(function () {
  const form = document.getElementById("login-form");
  const error = document.getElementById("login-error");
  // Only a path on this box: never an address elsewhere.
  function next() {
    const n = new URLSearchParams(location.search).get("next") || "/";
    return n.startsWith("/") && !n.startsWith("//") ? n : "/";
  }
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    error.textContent = "";
    const body = { user: form.user.value.trim(), password: form.password.value };
    let r;
    try {
      r = await fetch("/v1/session", { method: "POST", headers: { "Content-Type": "application/json" },
                                       body: JSON.stringify(body), credentials: "same-origin" });
    } catch (_) {
      error.textContent = I18n.t("error.network");
      return;
    }
    const data = await r.json().catch(() => ({}));
    if (r.ok) {
      sessionStorage.setItem("csrf", data.csrf);
      location.assign(next());
      return;
    }
    if (r.status === 429) {
      error.textContent = I18n.t("login.throttled").replace("{s}", r.headers.get("Retry-After") || "60");
    } else {
      error.textContent = I18n.pick(data.message_zh, data.message) || I18n.t("login.failed");
    }
    form.password.value = "";
    form.password.focus();
  });
  if (new URLSearchParams(location.search).get("logged_out")) {
    const done = document.getElementById("login-status");
    done.hidden = false;
    done.dataset.t = "login.logged_out";
  }
  I18n.apply(document);
})();
