// The console over real HTTPS against a real lifelined: the device
// certificate made on first start (key 0600, fingerprint as the CLI shows it),
// TLS 1.2+ only and no page for plain HTTP, login with the session cookie's
// flags, 401 without a session, 403 without or with a wrong CSRF token, 403
// for an auditor's change, the sixth wrong password in a minute slowed down,
// a bearer token for scripts, logout, and every login, failure and logout in
// the journal. A blocking libcurl client; every wait is bounded.
#include <curl/curl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <thread>

#include "daemon/core/uuid.h"
#include "tests/support/command.h"
#include "tests/support/daemon_harness.h"

namespace lifeline {
namespace {

using nlohmann::json;
using testing_support::DaemonProcess;
using testing_support::HttpOverUnix;

struct Answer {
  long status = 0;
  std::string body, headers;
  json Json() const { return json::parse(body, nullptr, false); }
  std::string Header(const std::string& lower) const {
    std::string h = headers;
    for (auto& c : h) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    size_t at = h.find("\n" + lower + ":");
    if (at == std::string::npos) return "";
    size_t start = at + lower.size() + 2, end = headers.find('\r', start);
    std::string v = headers.substr(start, end - start);
    return v.substr(v.find_first_not_of(' '));
  }
};

size_t Collect(char* p, size_t size, size_t n, void* out) {
  static_cast<std::string*>(out)->append(p, size * n);
  return size * n;
}

class ConsoleTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = (std::filesystem::path(::testing::TempDir()) / ("console-" + NewUuidV4().value())).string();
    daemon_ = std::make_unique<DaemonProcess>(dir_);
    ASSERT_TRUE(daemon_->Start()) << daemon_->log();
    for (int i = 0; i < 100 && url_.empty(); ++i) {
      std::ifstream(dir_ + "/console.url") >> url_;
      if (url_.empty()) std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    ASSERT_FALSE(url_.empty()) << daemon_->log();
    AddUser("alice", "operator", "correct horse battery");
    AddUser("audrey", "auditor", "auditor's own password");
  }
  void TearDown() override {
    if (daemon_) daemon_->Kill(SIGTERM);
    if (!HasFailure()) std::filesystem::remove_all(dir_);
  }

  void AddUser(const std::string& name, const std::string& role, const std::string& password) {
    json body = {{"name", name}, {"role", role}, {"password", password}};
    auto r = HttpOverUnix(daemon_->socket_path(), "POST", "/v1/users", body.dump(), 20000);
    ASSERT_EQ(r.status, 201) << r.body.dump();
  }

  // One HTTPS request; `cookie` and extra headers as given. The device
  // certificate is pinned by file (the test trusts it as an operator would).
  Answer Call(const std::string& method, const std::string& path, const std::string& body = "",
              std::vector<std::string> headers = {}) {
    Answer a;
    CURL* c = curl_easy_init();
    std::string url = url_.substr(0, url_.size() - 1) + path;
    curl_easy_setopt(c, CURLOPT_URL, url.c_str());
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method.c_str());
    curl_easy_setopt(c, CURLOPT_CAINFO, (dir_ + "/console-cert.pem").c_str());
    curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 30000L);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, Collect);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &a.body);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, Collect);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, &a.headers);
    if (!body.empty()) {
      curl_easy_setopt(c, CURLOPT_POSTFIELDS, body.c_str());
      headers.push_back("Content-Type: application/json");
    }
    if (!cookie_.empty()) headers.push_back("Cookie: " + cookie_);
    curl_slist* list = nullptr;
    for (const auto& h : headers) list = curl_slist_append(list, h.c_str());
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, list);
    CURLcode rc = curl_easy_perform(c);
    if (rc == CURLE_OK) curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &a.status);
    curl_slist_free_all(list);
    curl_easy_cleanup(c);
    return a;
  }

  Answer Login(const std::string& user, const std::string& password) {
    Answer a = Call("POST", "/v1/session", json{{"user", user}, {"password", password}}.dump());
    std::string set = a.Header("set-cookie");
    if (a.status == 200) {
      cookie_ = set.substr(0, set.find(';'));
      csrf_ = a.Json().value("csrf", "");
    }
    return a;
  }

  int JournalCount(const std::string& type) {
    auto r = testing_support::RunCommand(std::string(LIFELINE_BINARY_DIR) + "/tools/lifeline/lifeline --state-dir " +
                                         dir_ + " journal show 2>&1");
    int n = 0;
    for (size_t at = 0; (at = r.output.find("]  " + type + "\n", at)) != std::string::npos; ++at) ++n;
    return n;
  }

  std::string dir_, url_, cookie_, csrf_;
  std::unique_ptr<DaemonProcess> daemon_;
};

TEST_F(ConsoleTest, TheDeviceCertificateIsMadeOnceWithAPrivateKeyAndItsFingerprintShown) {
  struct stat st {};
  ASSERT_EQ(stat((dir_ + "/console-key.pem").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  auto fp = testing_support::RunCommand(std::string(LIFELINE_BINARY_DIR) + "/tools/lifeline/lifeline --state-dir " +
                                        dir_ + " console fingerprint");
  EXPECT_EQ(fp.exit_code, 0) << fp.output;
  auto openssl = testing_support::RunCommand("openssl x509 -in " + dir_ + "/console-cert.pem -noout -fingerprint -sha256");
  ASSERT_EQ(openssl.exit_code, 0);
  std::string expected = openssl.output.substr(openssl.output.find('=') + 1);
  expected.erase(expected.find_last_not_of("\n") + 1);
  EXPECT_NE(fp.output.find(expected), std::string::npos) << fp.output << " vs " << expected;
  EXPECT_NE(daemon_->log().find(expected), std::string::npos) << "printed at start";
}

TEST_F(ConsoleTest, OnlyModernTlsAndNoPageForPlainHttp) {
  std::string host = url_.substr(8, url_.size() - 9);
  auto old = testing_support::RunCommand("echo | openssl s_client -connect " + host + " -tls1_1 2>&1");
  EXPECT_EQ(old.output.find("BEGIN CERTIFICATE"), std::string::npos) << "TLS 1.1 was accepted";
  auto tls13 = testing_support::RunCommand("echo | openssl s_client -connect " + host + " -tls1_3 2>&1");
  EXPECT_NE(tls13.output.find("TLSv1.3"), std::string::npos) << tls13.output;
  auto plain = testing_support::RunCommand("curl -s -m 15 -o - -w '%{http_code}' http://" + host + "/login");
  EXPECT_EQ(plain.output.find("lifeline"), std::string::npos) << plain.output;
  EXPECT_EQ(plain.output.find("200"), std::string::npos) << plain.output;
}

TEST_F(ConsoleTest, WithoutASessionPagesGoToLoginAndTheApiSays401) {
  EXPECT_EQ(Call("GET", "/").status, 303);
  EXPECT_EQ(Call("GET", "/v1/dashboard").status, 401);
  EXPECT_EQ(Call("GET", "/login").status, 200);
  EXPECT_EQ(Call("GET", "/assets/console.css").status, 200);
}

TEST_F(ConsoleTest, TheSessionCookieIsHttpOnlySecureAndStrict) {
  Answer a = Login("alice", "correct horse battery");
  ASSERT_EQ(a.status, 200) << a.body;
  std::string set = a.Header("set-cookie");
  for (const char* flag : {"HttpOnly", "Secure", "SameSite=Strict", "Path=/"}) {
    EXPECT_NE(set.find(flag), std::string::npos) << flag << " in " << set;
  }
  EXPECT_FALSE(csrf_.empty());
  EXPECT_EQ(Call("GET", "/v1/dashboard").status, 200);
  EXPECT_EQ(Call("GET", "/").status, 200);
  EXPECT_NE(a.Header("content-security-policy").find("script-src 'self'"), std::string::npos);
  EXPECT_EQ(a.Header("x-frame-options"), "DENY");
}

TEST_F(ConsoleTest, ChangesNeedTheCsrfTokenAndAnAuditorMayNotChangeAnything) {
  ASSERT_EQ(Login("alice", "correct horse battery").status, 200);
  const std::string drill = R"({"name":"x","outage_seconds":5,"report":{}})";
  EXPECT_EQ(Call("POST", "/v1/drills", drill).status, 403) << "no CSRF token";
  EXPECT_EQ(Call("POST", "/v1/drills", drill, {"X-CSRF-Token: wrong"}).status, 403);
  EXPECT_EQ(Call("POST", "/v1/drills", drill, {"X-CSRF-Token: " + csrf_}).status, 422) << "through: bad drill";
  cookie_.clear();
  ASSERT_EQ(Login("audrey", "auditor's own password").status, 200);
  EXPECT_EQ(Call("GET", "/v1/dashboard").status, 200);
  Answer refused = Call("POST", "/v1/drills", drill, {"X-CSRF-Token: " + csrf_});
  EXPECT_EQ(refused.status, 403) << refused.body;
  EXPECT_EQ(refused.Json().value("error", ""), "forbidden");
  EXPECT_EQ(Call("POST", "/v1/users", R"({"name":"eve","role":"ciso","password":"0123456789ab"})",
                 {"X-CSRF-Token: " + csrf_}).status,
            403) << "accounts are managed on the box only";
}

TEST_F(ConsoleTest, TheSixthWrongPasswordInAMinuteIsSlowedDown) {
  for (int i = 0; i < 5; ++i) EXPECT_EQ(Login("alice", "wrong password " + std::to_string(i)).status, 401) << i;
  Answer sixth = Login("alice", "correct horse battery");
  EXPECT_EQ(sixth.status, 429) << "even the right password waits";
  EXPECT_FALSE(sixth.Header("retry-after").empty());
  EXPECT_EQ(Login("nobody", "whatever 123").status, 429) << "the address is slowed too";
  EXPECT_GE(JournalCount("login.failed"), 5);
  EXPECT_GE(JournalCount("login.throttled"), 1);
}

TEST_F(ConsoleTest, ABearerTokenServesScriptsWithItsRole) {
  auto made = HttpOverUnix(daemon_->socket_path(), "POST", "/v1/tokens", R"({"name":"soc","role":"auditor"})");
  ASSERT_EQ(made.status, 201) << made.body.dump();
  const std::string token = made.body.value("token", "");
  EXPECT_EQ(Call("GET", "/v1/dashboard", "", {"Authorization: Bearer " + token}).status, 200);
  EXPECT_EQ(Call("GET", "/v1/dashboard", "", {"Authorization: Bearer not-a-token"}).status, 401);
  EXPECT_EQ(Call("POST", "/v1/drills", "{}", {"Authorization: Bearer " + token}).status, 403) << "an auditor's token";
}

TEST_F(ConsoleTest, LoginAndLogoutAreJournaledAndLogoutEndsTheSession) {
  ASSERT_EQ(Login("alice", "correct horse battery").status, 200);
  EXPECT_EQ(Call("DELETE", "/v1/session", "", {"X-CSRF-Token: " + csrf_}).status, 200);
  EXPECT_EQ(Call("GET", "/v1/dashboard").status, 401);
  EXPECT_EQ(JournalCount("login"), 1);
  EXPECT_EQ(JournalCount("logout"), 1);
  EXPECT_GE(JournalCount("user.added"), 2);
  auto journal = testing_support::RunCommand(std::string(LIFELINE_BINARY_DIR) + "/tools/lifeline/lifeline --state-dir " +
                                             dir_ + " journal show");
  EXPECT_EQ(journal.output.find("correct horse"), std::string::npos) << "a password in the journal";
  EXPECT_EQ(journal.output.find("$argon2id$"), std::string::npos) << "a hash in the journal";
}

}  // namespace
}  // namespace lifeline
