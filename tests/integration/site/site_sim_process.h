// Test helper: runs tools/site-sim as a child process on loopback, reads its
// ready file, and talks to its admin port (faults, ledger counts) with plain
// blocking libcurl. Stops the child in the destructor. One per test.
#pragma once

#include <curl/curl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>

namespace lifeline::testing {

class SiteSimProcess {
 public:
  // `extra` is appended to the command line (e.g. "--plain").
  explicit SiteSimProcess(std::string extra = "") {
    dir_ = std::filesystem::temp_directory_path() /
           ("site-sim-test-" + std::to_string(::getpid()) + "-" + std::to_string(counter_++));
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    std::string ready = (dir_ / "ready.json").string();
    pid_ = ::fork();
    if (pid_ == 0) {
      std::string bin = std::string(LIFELINE_BINARY_DIR) + "/tools/site-sim/site-sim";
      std::string cmd = "exec " + bin + " serve --log-level warn --dir " + (dir_ / "pki").string() +
                        " --ledger " + (dir_ / "ledger.sqlite").string() + " --ready-file " +
                        ready + " " + extra + " >/dev/null";
      ::execl("/bin/sh", "sh", "-c", cmd.c_str(), static_cast<char*>(nullptr));
      ::_exit(127);
    }
    // Bounded wait for the ready file (certificate generation takes a moment).
    for (int i = 0; i < 200 && !std::filesystem::exists(ready); ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    std::ifstream in(ready);
    info_ = nlohmann::json::parse(in, nullptr, false);
  }
  ~SiteSimProcess() {
    if (pid_ > 0) {
      ::kill(pid_, SIGTERM);
      ::waitpid(pid_, nullptr, 0);
    }
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }

  bool ready() const { return info_.is_object() && info_.contains("api_port"); }
  int api_port() const { return info_.value("api_port", 0); }
  std::string base_url(const char* scheme = "https", const char* host = "127.0.0.1") const {
    return std::string(scheme) + "://" + host + ":" + std::to_string(api_port());
  }
  std::string ca() const { return info_.value("ca", ""); }
  std::string pin() const { return info_.value("pin", ""); }
  std::string dir() const { return dir_.string(); }

  // POST /admin/faults with `faults` (JSON); returns the HTTP status.
  long SetFaults(const std::string& faults) { return Admin("POST", "/admin/faults", faults).first; }
  long ClearFaults() { return Admin("DELETE", "/admin/faults", "").first; }
  int64_t CountKey(const std::string& key) {
    std::string k = key;
    for (size_t p; (p = k.find(':')) != std::string::npos;) k.replace(p, 1, "%3A");
    return Count("key=" + k);
  }
  int64_t CountReport(const std::string& id) { return Count("report_id=" + id); }
  nlohmann::json Stats() {
    return nlohmann::json::parse(Admin("GET", "/admin/stats", "").second, nullptr, false);
  }

 private:
  int64_t Count(const std::string& query) {
    auto j = nlohmann::json::parse(Admin("GET", "/admin/count?" + query, "").second, nullptr, false);
    return j.is_object() ? j.value("records", int64_t{-1}) : -1;
  }
  static size_t Collect(char* d, size_t s, size_t n, void* out) {
    static_cast<std::string*>(out)->append(d, s * n);
    return s * n;
  }
  std::pair<long, std::string> Admin(const char* method, const std::string& path,
                                     const std::string& body) {
    CURL* e = curl_easy_init();
    std::string url = "http://127.0.0.1:" + std::to_string(info_.value("admin_port", 0)) + path;
    std::string out;
    curl_easy_setopt(e, CURLOPT_URL, url.c_str());
    curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, method);
    if (!body.empty()) curl_easy_setopt(e, CURLOPT_POSTFIELDS, body.c_str());
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, &Collect);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, &out);
    curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, 5000L);
    long status = 0;
    if (curl_easy_perform(e) == CURLE_OK) curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &status);
    curl_easy_cleanup(e);
    return {status, out};
  }

  static inline int counter_ = 0;
  std::filesystem::path dir_;
  pid_t pid_ = -1;
  nlohmann::json info_;
};

}  // namespace lifeline::testing
