#include "tests/support/site_sim_harness.h"

#include "tests/support/command.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

namespace lifeline::testing_support {

SiteSim::SiteSim(std::string dir, SiteSimOptions options) : dir_(std::move(dir)), options_(std::move(options)) {
  std::filesystem::create_directories(dir_);
}

SiteSim::~SiteSim() { Stop(); }

bool SiteSim::Start() {
  std::string ready = dir_ + "/ready.json";
  std::filesystem::remove(ready);
  std::vector<std::string> argv = options_.wrapper;
  for (const char* a : {LIFELINE_BINARY_DIR "/tools/site-sim/site-sim", "serve", "--dir"}) argv.push_back(a);
  argv.push_back(dir_);
  argv.push_back("--ready-file");
  argv.push_back(ready);
  if (!options_.host.empty()) {
    argv.push_back("--host");
    argv.push_back(options_.host);
  }
  pid_ = fork();
  if (pid_ == 0) {
    std::string log = dir_ + "/site-sim.log";
    freopen(log.c_str(), "a", stdout);
    freopen(log.c_str(), "a", stderr);
    std::vector<char*> args;
    for (auto& a : argv) args.push_back(a.data());
    args.push_back(nullptr);
    execvp(args[0], args.data());
    _exit(127);
  }
  for (int i = 0; i < 200; ++i) {
    std::ifstream in(ready);
    auto j = nlohmann::json::parse(in, nullptr, false);
    if (j.is_object()) {
      api_port_ = j.value("api_port", 0);
      admin_port_ = j.value("admin_port", 0);
      return api_port_ > 0;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return false;
}

bool SiteSim::Stop() {
  if (pid_ <= 0) return true;
  kill(pid_, SIGTERM);
  int status = 0;
  waitpid(pid_, &status, 0);
  pid_ = -1;
  return status == 0;
}

std::string SiteSim::Admin(const std::string& method, const std::string& path, const std::string& body) {
  // The admin port listens where the API does, so curl runs under the same prefix
  // (inside site-sim's network namespace, say).
  std::string prefix;
  for (const auto& w : options_.wrapper) prefix += "'" + w + "' ";
  std::string cmd = prefix + "curl -s --max-time 10 -X " + method + " 'http://" + UrlHost() + ":" +
                    std::to_string(admin_port_) + path + "'" + (body.empty() ? "" : " -d '" + body + "'");
  return RunCommand(cmd).output;
}

std::string SiteSim::UrlHost() const {
  if (options_.host.empty()) return "127.0.0.1";
  return options_.host.find(':') == std::string::npos ? options_.host : "[" + options_.host + "]";
}

bool SiteSim::SetFaults(const nlohmann::json& faults) {
  std::string r = faults.is_null() ? Admin("DELETE", "/admin/faults", "") : Admin("POST", "/admin/faults", faults.dump());
  auto j = nlohmann::json::parse(r, nullptr, false);
  return j.is_object() && !j.contains("error");
}

nlohmann::json SiteSim::Faults() {
  auto j = nlohmann::json::parse(Admin("GET", "/admin/faults", ""), nullptr, false);
  return j.is_object() ? j : nlohmann::json();
}

int SiteSim::Count(const std::string& report_id) {
  auto j = nlohmann::json::parse(Admin("GET", "/admin/count?report_id=" + report_id, ""), nullptr, false);
  return j.is_object() ? j.value("records", -1) : -1;
}

int SiteSim::CountStage(const std::string& report_id, const std::string& stage) {
  auto j = nlohmann::json::parse(Admin("GET", "/admin/count?report_id=" + report_id + "&stage=" + stage, ""), nullptr,
                                 false);
  return j.is_object() ? j.value("records", -1) : -1;
}

std::string SiteSim::DaemonConfig() const {
  std::ostringstream c;
  c << "[site]\nbase_url = \"" << base_url() << "\"\nca_file = \"" << ca() << "\"\n"
    << "connect_timeout_ms = 1000\ntotal_timeout_ms = 3000\nmax_attempts = 4\nreplay_interval_seconds = 2\n"
    << "[monitor]\noutage_after_failures = 2\noutage_min_span_seconds = 1\nrecovered_after_successes = 1\n"
    << "probe_interval_seconds = 1\nprobe_interval_in_outage_seconds = 1\n";
  return c.str();
}

}  // namespace lifeline::testing_support
