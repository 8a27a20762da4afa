// The appliance parts of the real lifelined, against the real site-sim:
// systemd's notify protocol on a datagram socket standing in for the manager
// (READY=1, WATCHDOG=1 from the loop, STOPPING=1 on SIGTERM, the pings stop
// when the loop stalls); the metrics served on loopback, checked by promtool
// and by value; a hook program that records what it got, and one whose
// output is garbage; `lifeline backup` while reports are being filed, then
// `lifeline restore` into a fresh state directory that lifelined serves.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <set>
#include <sstream>
#include <thread>

#include "tests/support/command.h"
#include "tests/support/daemon_harness.h"
#include "tests/support/report_factory.h"
#include "tests/support/site_sim_harness.h"
#include "tests/support/skip.h"

namespace lifeline {
namespace {

namespace fs = std::filesystem;
using testing_support::AwareNow;
using testing_support::DaemonProcess;
using testing_support::HttpOverUnix;
using testing_support::NewDocument;
using testing_support::RunCommand;
using testing_support::SiteSim;

bool WaitFor(const std::function<bool()>& done, int seconds = 30) {
  for (int i = 0; i < seconds * 20; ++i) {
    if (done()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return false;
}

std::string ReadAll(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// A port the kernel had free a moment ago, for the metrics listener.
int FreePort() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  socklen_t len = sizeof a;
  getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  close(fd);
  return ntohs(a.sin_port);
}

// GET /metrics with curl: status line, headers and body as curl prints them.
testing_support::CommandResult Scrape(int port, const std::string& out) {
  return RunCommand("curl -sS --max-time 10 -o " + out + " -w '%{http_code} %{content_type}' http://127.0.0.1:" +
                    std::to_string(port) + "/metrics 2>&1");
}

double Sample(const std::string& text, const std::string& series) {
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (line.rfind(series + " ", 0) == 0) return std::stod(line.substr(series.size() + 1));
  }
  return -1;
}

// The service manager's side of NOTIFY_SOCKET.
class Manager {
 public:
  explicit Manager(std::string path) : path_(std::move(path)) {
    unlink(path_.c_str());
    fd_ = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_un a{};
    a.sun_family = AF_UNIX;
    std::strncpy(a.sun_path, path_.c_str(), sizeof a.sun_path - 1);
    EXPECT_EQ(bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a), 0) << path_;
  }
  ~Manager() { close(fd_); }
  const std::string& path() const { return path_; }
  std::string Next(int ms) {
    pollfd p{fd_, POLLIN, 0};
    if (poll(&p, 1, ms) != 1) return "";
    char buf[1024];
    ssize_t n = recv(fd_, buf, sizeof buf, 0);
    return n > 0 ? std::string(buf, static_cast<size_t>(n)) : "";
  }
  // Messages until one starts with `prefix`; "" when none came in `seconds`.
  std::string Until(const std::string& prefix, int seconds = 20) {
    for (int i = 0; i < seconds * 10; ++i) {
      std::string m = Next(100);
      if (m.rfind(prefix, 0) == 0) return m;
    }
    return "";
  }

 private:
  std::string path_;
  int fd_ = -1;
};

class ApplianceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // Short: a unix socket path has room for 107 bytes.
    dir_ = "/tmp/appl-" + NewUuidV4().value().substr(0, 8);
    fs::create_directories(dir_);
    sim_ = std::make_unique<SiteSim>(dir_ + "/sim");
    ASSERT_TRUE(sim_->Start());
    port_ = FreePort();
  }
  void TearDown() override {
    daemon_.reset();
    sim_.reset();
    fs::remove_all(dir_);
  }
  std::string Config(const std::string& extra = "") {
    return sim_->DaemonConfig() + "[console]\nenabled = false\n[metrics]\nloopback_port = " + std::to_string(port_) +
           "\n[watch]\nenabled = false\n" + extra;
  }
  std::unique_ptr<DaemonProcess> NewDaemon(const std::string& state, const std::string& extra = "") {
    return std::make_unique<DaemonProcess>(dir_ + "/" + state, std::vector<std::string>{}, Config(extra));
  }
  std::string Submit(DaemonProcess& d) {
    nlohmann::json doc = AwareNow(NewDocument());
    auto r = HttpOverUnix(d.socket_path(), "POST", "/v1/reports", doc.dump());
    EXPECT_EQ(r.status, 201) << r.body.dump();
    return r.status == 201 ? doc["id"].get<std::string>() : "";
  }
  std::string State(DaemonProcess& d, const std::string& id) {
    auto r = HttpOverUnix(d.socket_path(), "GET", "/v1/reports/" + id, "");
    return r.status == 200 ? r.body["revisions"].back().value("state", "") : "";
  }
  testing_support::CommandResult Cli(const std::string& state, const std::string& args) {
    return RunCommand(std::string(LIFELINE_BINARY_DIR "/tools/lifeline/lifeline --config ") + dir_ + "/" + state +
                      "/test-config.toml " + args + " 2>&1");
  }
  std::string Script(const std::string& name, const std::string& body) {
    const std::string path = dir_ + "/" + name;
    std::ofstream(path) << "#!/bin/sh\n" << body;
    fs::permissions(path, fs::perms::owner_all);
    return path;
  }
  // A count from the daemon's journal, read with sqlite3 beside the running daemon.
  int JournalCount(const std::string& state, const std::string& where) {
    auto r = RunCommand("sqlite3 " + dir_ + "/" + state + "/lifeline.db \"SELECT COUNT(*) FROM journal WHERE " + where +
                        "\" 2>&1");
    return r.exit_code == 0 ? std::atoi(r.output.c_str()) : -1;
  }
  std::string HookRuns(const std::string& state) {
    return RunCommand("sqlite3 " + dir_ + "/" + state + "/lifeline.db \"SELECT payload FROM journal WHERE type = 'hook.ran'\" 2>&1").output;
  }

  std::string dir_;
  std::unique_ptr<SiteSim> sim_;
  std::unique_ptr<DaemonProcess> daemon_;
  int port_ = 0;
};

// Starts the daemon with `env` set for it alone.
bool StartWith(DaemonProcess& d, const std::vector<std::pair<const char*, std::string>>& env) {
  for (const auto& [k, v] : env) setenv(k, v.c_str(), 1);
  bool started = d.Start();
  for (const auto& [k, v] : env) unsetenv(k);
  return started;
}

TEST_F(ApplianceTest, NotifyReadyWatchdogFromTheLoopAndStoppingOnTerm) {
  Manager manager(dir_ + "/notify");
  daemon_ = NewDaemon("state");
  ASSERT_TRUE(StartWith(*daemon_, {{"NOTIFY_SOCKET", manager.path()}, {"WATCHDOG_USEC", "400000"}})) << daemon_->log();
  const std::string ready = manager.Until("READY=1");
  ASSERT_NE(ready, "") << daemon_->log();
  EXPECT_NE(ready.find("STATUS=serving"), std::string::npos) << ready;
  // READY comes once the socket answers: the harness saw /v1/health before, and it answers now.
  EXPECT_EQ(HttpOverUnix(daemon_->socket_path(), "GET", "/v1/health", "").status, 200);
  EXPECT_EQ(manager.Until("WATCHDOG=1"), "WATCHDOG=1");
  EXPECT_EQ(manager.Until("WATCHDOG=1"), "WATCHDOG=1");
  // One SIGTERM, as systemd sends it; the datagram waits in the socket.
  const int status = daemon_->Kill(SIGTERM);
  EXPECT_EQ(manager.Until("STOPPING=1"), "STOPPING=1\nSTATUS=stopping");
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "wait status " << status << "\n" << daemon_->log();
}

TEST_F(ApplianceTest, AStalledLoopStopsFeedingTheWatchdog) {
  Manager manager(dir_ + "/notify");
  daemon_ = NewDaemon("state");
  ASSERT_TRUE(StartWith(*daemon_, {{"NOTIFY_SOCKET", manager.path()},
                                   {"WATCHDOG_USEC", "200000"},
                                   {"LIFELINE_TEST_STALL_AFTER_MS", "1000"}}))
      << daemon_->log();
  ASSERT_NE(manager.Until("READY=1"), "");
  ASSERT_EQ(manager.Until("WATCHDOG=1"), "WATCHDOG=1");
  // Pings every 100 ms until the stall; then none at all, so a silence of
  // twenty intervals comes (bounded: 20 s) and no ping follows it.
  bool silent = false;
  for (int i = 0; i < 200 && !silent; ++i) silent = manager.Next(2000) == "";
  ASSERT_TRUE(silent) << "the pings never stopped";
  EXPECT_EQ(manager.Next(1000), "");
  EXPECT_NE(daemon_->log().find("stalls now"), std::string::npos) << daemon_->log();
}

TEST_F(ApplianceTest, MetricsAreServedOnLoopbackAndPassPromtool) {
  daemon_ = NewDaemon("state");
  ASSERT_TRUE(daemon_->Start()) << daemon_->log();
  const std::string id = Submit(*daemon_);
  ASSERT_TRUE(WaitFor([&] { return State(*daemon_, id) == "accepted"; })) << daemon_->log();
  const std::string out = dir_ + "/metrics.txt";
  // The link is "unknown" until the monitor's first probes say up.
  ASSERT_TRUE(WaitFor([&] { return Scrape(port_, out).output.substr(0, 3) == "200" &&
                                   Sample(ReadAll(out), "lifeline_site_link_up") == 1; }))
      << ReadAll(out) << daemon_->log();
  auto r = Scrape(port_, out);
  ASSERT_EQ(r.output, "200 text/plain; version=0.0.4; charset=utf-8") << daemon_->log();
  const std::string text = ReadAll(out);
  EXPECT_EQ(Sample(text, "lifeline_reports{state=\"accepted\",drill=\"false\"}"), 1) << text;
  EXPECT_EQ(Sample(text, "lifeline_reports{state=\"queued\",drill=\"false\"}"), 0);
  EXPECT_EQ(Sample(text, "lifeline_site_link_up"), 1);
  EXPECT_GT(Sample(text, "lifeline_store_commit_seconds_count"), 0);
  EXPECT_GT(Sample(text, "lifeline_journal_entries"), 0);
  EXPECT_GT(Sample(text, "process_resident_memory_bytes"), 0);
  // Anything but GET /metrics is refused, and the daemon goes on.
  auto other = RunCommand("curl -s -o /dev/null -w '%{http_code}' http://127.0.0.1:" + std::to_string(port_) + "/admin");
  EXPECT_EQ(other.output, "404");
  auto junk = RunCommand("printf 'GARBAGE\\r\\n\\r\\n' | timeout 5 nc -q 2 127.0.0.1 " + std::to_string(port_) +
                         " >/dev/null 2>&1; true");
  EXPECT_EQ(HttpOverUnix(daemon_->socket_path(), "GET", "/v1/health", "").status, 200);
  if (RunCommand("command -v promtool >/dev/null").exit_code != 0) {
    LIFELINE_SKIP_OR_FAIL("promtool (Debian package prometheus) is not installed");
  }
  auto check = RunCommand("promtool check metrics < " + out + " 2>&1");
  EXPECT_EQ(check.exit_code, 0) << check.output;
  EXPECT_EQ(check.output, "");
}

TEST_F(ApplianceTest, MetricsShowAnOutageByValue) {
  daemon_ = NewDaemon("state");
  ASSERT_TRUE(daemon_->Start()) << daemon_->log();
  ASSERT_TRUE(sim_->SetFaults({{"refuse", true}}));
  const std::string id = Submit(*daemon_);
  ASSERT_TRUE(WaitFor([&] { return daemon_->log().find("link up -> outage") != std::string::npos; })) << daemon_->log();
  const std::string out = dir_ + "/metrics.txt";
  ASSERT_EQ(Scrape(port_, out).output.substr(0, 3), "200");
  std::string text = ReadAll(out);
  EXPECT_EQ(Sample(text, "lifeline_site_link_up"), 0) << text;
  EXPECT_EQ(Sample(text, "lifeline_reports{state=\"queued\",drill=\"false\"}"), 1);
  EXPECT_GE(Sample(text, "lifeline_oldest_unaccepted_report_age_seconds"), 0);
  EXPECT_NE(text.find("lifeline_nearest_deadline_seconds "), std::string::npos) << "an open deadline";
  ASSERT_TRUE(sim_->SetFaults(nullptr));
  ASSERT_TRUE(WaitFor([&] { return State(*daemon_, id) == "accepted"; })) << daemon_->log();
  ASSERT_EQ(Scrape(port_, out).output.substr(0, 3), "200");
  text = ReadAll(out);
  EXPECT_EQ(Sample(text, "lifeline_site_link_up"), 1);
  EXPECT_EQ(Sample(text, "lifeline_reports{state=\"queued\",drill=\"false\"}"), 0);
}

TEST_F(ApplianceTest, WithTheConsoleMetricsAreOnItsPortForATokenOnly) {
  // The harness enables the console on a port of the kernel's choosing when the config names none.
  daemon_ = std::make_unique<DaemonProcess>(dir_ + "/state", std::vector<std::string>{},
                                            sim_->DaemonConfig() + "[metrics]\nloopback_port = " + std::to_string(port_) +
                                                "\n[watch]\nenabled = false\n");
  ASSERT_TRUE(daemon_->Start()) << daemon_->log();
  std::string url;
  ASSERT_TRUE(WaitFor([&] {
    url = ReadAll(daemon_->state_dir() + "/console.url");
    return !url.empty();
  })) << daemon_->log();
  url = url.substr(0, url.find('\n')) + "metrics";
  auto token = HttpOverUnix(daemon_->socket_path(), "POST", "/v1/tokens", R"({"name":"prometheus","role":"auditor"})");
  ASSERT_EQ(token.status, 201) << token.body.dump();
  const std::string secret = token.body.value("token", "");
  const std::string out = dir_ + "/metrics.txt";
  auto anonymous = RunCommand("curl -sk -o /dev/null -w '%{http_code}' --max-time 10 " + url);
  EXPECT_EQ(anonymous.output, "401");
  auto wrong = RunCommand("curl -sk -o /dev/null -w '%{http_code}' --max-time 10 -H 'Authorization: Bearer nope' " + url);
  EXPECT_NE(wrong.output, "200");
  auto scraped = RunCommand("curl -sk -o " + out + " -w '%{http_code}' --max-time 10 -H 'Authorization: Bearer " + secret +
                            "' " + url);
  ASSERT_EQ(scraped.output, "200") << daemon_->log();
  EXPECT_GE(Sample(ReadAll(out), "lifeline_journal_entries"), 1);
  // With the console up, no plain-HTTP listener on loopback.
  EXPECT_NE(Scrape(port_, dir_ + "/none.txt").output.substr(0, 3), "200");
  if (RunCommand("command -v promtool >/dev/null").exit_code == 0) {
    auto check = RunCommand("promtool check metrics < " + out + " 2>&1");
    EXPECT_EQ(check.exit_code, 0) << check.output;
  }
}

TEST_F(ApplianceTest, HookHearsTheAcceptedReportAndItsOutcomeIsJournaled) {
  const std::string log = dir_ + "/hook.log";
  const std::string hook = Script("hook.sh", "{ echo \"$1\"; cat; } >> " + log + "\n");
  daemon_ = NewDaemon("state", "[hooks]\nprogram = \"" + hook + "\"\nevents = [\"report_accepted\"]\n");
  ASSERT_TRUE(daemon_->Start()) << daemon_->log();
  const std::string id = Submit(*daemon_);
  ASSERT_TRUE(WaitFor([&] { return ReadAll(log).find(id) != std::string::npos; })) << daemon_->log();
  std::istringstream lines(ReadAll(log));
  std::string name, json;
  std::getline(lines, name);
  std::getline(lines, json);
  EXPECT_EQ(name, "report_accepted");
  auto event = nlohmann::json::parse(json);
  EXPECT_EQ(event["event"], "report_accepted");
  EXPECT_EQ(event["report_id"], id);
  EXPECT_GT(event["seq"].get<int>(), 0);
  ASSERT_TRUE(WaitFor([&] { return JournalCount("state", "type = 'hook.ran' AND json_extract(payload, '$.outcome') = 'ok'") == 1; }))
      << HookRuns("state") << daemon_->log();
}

TEST_F(ApplianceTest, HookWithGarbageOutputAndAFailureLeavesTheDaemonServing) {
  const std::string hook = Script("bad.sh", "head -c 5000 /dev/urandom\nprintf '\\377\\300\\000'\nexit 7\n");
  daemon_ = NewDaemon("state", "[hooks]\nprogram = \"" + hook + "\"\n");
  ASSERT_TRUE(daemon_->Start()) << daemon_->log();
  std::vector<std::string> ids;
  for (int i = 0; i < 3; ++i) ids.push_back(Submit(*daemon_));
  for (const auto& id : ids) ASSERT_TRUE(WaitFor([&] { return State(*daemon_, id) == "accepted"; })) << daemon_->log();
  ASSERT_TRUE(WaitFor([&] {
    return JournalCount("state", "type = 'hook.ran' AND json_extract(payload, '$.outcome') = 'failed'") >= 3;
  })) << HookRuns("state") << daemon_->log();
  EXPECT_EQ(HttpOverUnix(daemon_->socket_path(), "GET", "/v1/health", "").status, 200);
  EXPECT_EQ(Cli("state", "journal verify").exit_code, 0);
}

TEST_F(ApplianceTest, BackupWhileReportsAreFiledRestoresIntoAVerifiedState) {
  daemon_ = NewDaemon("state");
  ASSERT_TRUE(daemon_->Start()) << daemon_->log();
  std::atomic<bool> stop{false};
  std::mutex mu;
  std::set<std::string> filed;
  std::thread writer([&] {
    while (!stop) {
      nlohmann::json doc = AwareNow(NewDocument());
      if (HttpOverUnix(daemon_->socket_path(), "POST", "/v1/reports", doc.dump()).status == 201) {
        std::lock_guard<std::mutex> lock(mu);
        filed.insert(doc["id"].get<std::string>());
      }
    }
  });
  ASSERT_TRUE(WaitFor([&] {
    std::lock_guard<std::mutex> lock(mu);
    return filed.size() >= 5;
  }));
  const std::string archive = dir_ + "/box.backup";
  auto backup = Cli("state", "backup --out " + archive);
  // More filed after the copy, which the copy must not hold.
  WaitFor([&] {
    std::lock_guard<std::mutex> lock(mu);
    return filed.size() >= 10;
  });
  stop = true;
  writer.join();
  ASSERT_EQ(backup.exit_code, 0) << backup.output;
  EXPECT_NE(backup.output.find("journal entries verify in the copy"), std::string::npos) << backup.output;
  EXPECT_EQ(fs::status(archive).permissions() & fs::perms::all, fs::perms::owner_read | fs::perms::owner_write);
  EXPECT_NE(Cli("state", "backup --out " + archive).exit_code, 0) << "an existing archive is never overwritten";

  // Restore refuses while a daemon holds the state, then fills a fresh one.
  EXPECT_NE(Cli("state", "restore " + archive).exit_code, 0);
  auto restored = NewDaemon("restored");
  auto restore = Cli("restored", "restore " + archive);
  ASSERT_EQ(restore.exit_code, 0) << restore.output;
  EXPECT_NE(restore.output.find("OK: "), std::string::npos) << restore.output;
  auto verify = Cli("restored", "journal verify");
  EXPECT_EQ(verify.exit_code, 0) << verify.output;
  ASSERT_TRUE(restored->Start()) << restored->log();
  auto list = HttpOverUnix(restored->socket_path(), "GET", "/v1/reports?limit=1000", "");
  ASSERT_EQ(list.status, 200) << list.body.dump();
  std::set<std::string> in_copy;
  for (const auto& r : list.body["reports"]) in_copy.insert(r["id"].get<std::string>());
  EXPECT_GE(in_copy.size(), 5u);
  for (const auto& id : in_copy) EXPECT_EQ(filed.count(id), 1u) << id << " was never filed";
  EXPECT_LE(in_copy.size(), filed.size());
}

TEST_F(ApplianceTest, ListingsArePagedAndBadPagingIsAFieldError) {
  daemon_ = NewDaemon("state");
  ASSERT_TRUE(daemon_->Start()) << daemon_->log();
  std::set<std::string> filed;
  for (int i = 0; i < 5; ++i) filed.insert(Submit(*daemon_));
  std::set<std::string> listed;
  std::string after;
  int pages = 0;
  do {
    auto r = HttpOverUnix(daemon_->socket_path(), "GET", "/v1/reports?limit=2" + (after.empty() ? "" : "&after=" + after), "");
    ASSERT_EQ(r.status, 200) << r.body.dump();
    EXPECT_LE(r.body["reports"].size(), 2u);
    for (const auto& rep : r.body["reports"]) EXPECT_TRUE(listed.insert(rep["id"].get<std::string>()).second) << "listed twice";
    after = r.body.value("next", "");
    ++pages;
  } while (!after.empty() && pages < 10);
  EXPECT_EQ(listed, filed);
  EXPECT_EQ(pages, 3);
  for (const char* bad : {"limit=0", "limit=1001", "limit=ten", "after=not-a-cursor", "after=-4"}) {
    auto r = HttpOverUnix(daemon_->socket_path(), "GET", std::string("/v1/reports?") + bad, "");
    EXPECT_EQ(r.status, 400) << bad << " " << r.body.dump();
  }
  auto cli = Cli("state", "report list --limit 3");
  EXPECT_EQ(cli.exit_code, 0) << cli.output;
  EXPECT_NE(cli.output.find("3 report(s)"), std::string::npos) << cli.output;
  cli = Cli("state", "report list");
  EXPECT_NE(cli.output.find("5 report(s)"), std::string::npos) << cli.output;
  EXPECT_EQ(HttpOverUnix(daemon_->socket_path(), "GET", "/v1/health", "").status, 200);
}

TEST_F(ApplianceTest, RestoreRefusesWhatIsNotABackup) {
  auto target = NewDaemon("restored");
  const std::string junk = dir_ + "/junk";
  std::ofstream(junk) << "this is not a tar archive";
  auto r = Cli("restored", "restore " + junk);
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_FALSE(fs::exists(dir_ + "/restored/lifeline.db"));
  EXPECT_NE(Cli("restored", "restore " + dir_ + "/absent").exit_code, 0);
}

TEST_F(ApplianceTest, BadApplianceSettingsAreRefusedByField) {
  const std::string cfg = dir_ + "/bad.toml";
  for (const auto& [setting, field] : std::vector<std::pair<std::string, std::string>>{
           {"[hooks]\ntimeout_seconds = 0\n", "hooks.timeout_seconds"},
           {"[hooks]\nprogram = \"relative/hook\"\n", "hooks.program"},
           {"[hooks]\nevents = [\"report_acepted\"]\n", "hooks.events"},
           {"[metrics]\nloopback_port = 70000\n", "metrics.loopback_port"},
           {"[daemon]\nlog_retention_days = 30\n", "daemon.log_retention_days"},
           {"[watch]\ninterval_seconds = -1\n", "watch.interval_seconds"}}) {
    std::ofstream(cfg) << setting;
    auto r = RunCommand(std::string(LIFELINE_BINARY_DIR "/daemon/lifelined --check-config ") + cfg + " 2>&1");
    EXPECT_EQ(r.exit_code, 1) << setting << r.output;
    EXPECT_NE(r.output.find(field), std::string::npos) << setting << r.output;
  }
}

}  // namespace
}  // namespace lifeline
