// bench/replay: drains N stored submissions into a real site-sim over HTTPS
// with the Replayer (libcurl multi on Asio, reused connections) and prints
// reports/s beside a baseline measured in the same run: the `curl` command run
// once per report, as a shell loop would. Exits non-zero if any record is
// missing or duplicated in the site's ledger.
//   replay_bench [--reports N] [--baseline N] [--concurrency K]
#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <asio.hpp>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "daemon/core/clock.h"
#include "daemon/site/site.h"
#include "daemon/site/wire.h"

extern char** environ;

namespace {

using Clock = std::chrono::steady_clock;

int Run(const std::vector<std::string>& argv) {
  std::vector<char*> args;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid;
  if (posix_spawnp(&pid, args[0], nullptr, nullptr, args.data(), environ) != 0) return -1;
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

lifeline::Submission Make(int i, const char* group) {
  char id[40];
  std::snprintf(id, sizeof id, "00000000-0000-4000-%s-%012d", group, i);
  lifeline::Submission s;
  s.report_id = id;
  s.aware_at = *lifeline::ParseRfc3339("2026-11-21T09:58:00+08:00");
  s.aware_at.instant += std::chrono::seconds(i);
  s.report_json = R"({"schema_version":"lifeline.report/1","description":"bench 測試"})";
  return s;
}

class Memory : public lifeline::PendingSubmissions {
 public:
  lifeline::Result<std::vector<lifeline::Submission>> ListUnacknowledged() override { return all; }
  lifeline::Status MarkAcknowledged(const lifeline::Submission&,
                                    const lifeline::SiteReceipt&) override {
    ++acked;
    return lifeline::Status::Ok();
  }
  std::vector<lifeline::Submission> all;
  size_t acked = 0;
};

struct Sim {
  pid_t pid = -1;
  nlohmann::json info;
  std::string dir;
};

Sim StartSim() {
  Sim sim;
  sim.dir = (std::filesystem::temp_directory_path() / ("replay-bench-" + std::to_string(getpid())))
                .string();
  std::filesystem::remove_all(sim.dir);
  std::filesystem::create_directories(sim.dir);
  std::string bin = std::string(LIFELINE_BINARY_DIR) + "/tools/site-sim/site-sim";
  std::vector<std::string> argv = {bin, "serve", "--log-level", "warn", "--dir", sim.dir + "/pki",
                                   "--ledger", sim.dir + "/ledger.sqlite", "--ready-file",
                                   sim.dir + "/ready.json"};
  std::vector<char*> args;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  posix_spawn_file_actions_t quiet;  // its ready line goes to the file, not our table
  posix_spawn_file_actions_init(&quiet);
  posix_spawn_file_actions_addopen(&quiet, 1, "/dev/null", O_WRONLY, 0);
  int rc = posix_spawn(&sim.pid, bin.c_str(), &quiet, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&quiet);
  if (rc != 0) return sim;
  for (int i = 0; i < 200 && !std::filesystem::exists(sim.dir + "/ready.json"); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  std::ifstream in(sim.dir + "/ready.json");
  sim.info = nlohmann::json::parse(in, nullptr, false);
  return sim;
}

// The baseline: one `curl` process per report, sequentially.
double Baseline(const Sim& sim, int n, int* failures) {
  std::string url = "https://127.0.0.1:" + std::to_string(sim.info.value("api_port", 0)) +
                    "/v1/reports";
  std::vector<std::string> bodies;
  for (int i = 0; i < n; ++i) {
    std::string path = sim.dir + "/body-" + std::to_string(i) + ".json";
    std::ofstream(path) << *lifeline::site_internal::BuildBody(Make(i, "b000"));
    bodies.push_back(path);
  }
  auto t0 = Clock::now();
  for (int i = 0; i < n; ++i) {
    lifeline::Submission s = Make(i, "b000");
    std::string key = lifeline::MakeIdempotencyKey(s.report_id, 1, s.kind);
    int rc = Run({"curl", "-sS", "-o", "/dev/null", "--fail", "--cacert",
                  sim.info.value("ca", ""), "-H", "Content-Type: application/json", "-H",
                  "Idempotency-Key: " + key, "--data-binary", "@" + bodies[i], url});
    if (rc != 0) ++*failures;
  }
  return n / std::chrono::duration<double>(Clock::now() - t0).count();
}

double Replay(const Sim& sim, int n, int concurrency, size_t* acked) {
  asio::io_context io;
  lifeline::SystemClock clock;
  lifeline::SiteOptions o;
  o.base_url = "https://127.0.0.1:" + std::to_string(sim.info.value("api_port", 0));
  o.ca_file = sim.info.value("ca", "");
  o.max_connections = concurrency;
  auto client = lifeline::SiteClient::Create(io, clock, o, nullptr);
  if (!client.ok()) return 0;
  Memory pending;
  for (int i = 0; i < n; ++i) pending.all.push_back(Make(i, "a000"));
  lifeline::Replayer replayer(**client, pending, lifeline::ReplayOptions{concurrency, false});
  auto t0 = Clock::now();
  replayer.Drain([&](const lifeline::ReplaySummary&) { io.stop(); });
  io.run();
  *acked = pending.acked;
  return n / std::chrono::duration<double>(Clock::now() - t0).count();
}

int64_t LedgerTotal(const Sim& sim) {
  std::string out = sim.dir + "/stats.json";
  std::string url = "http://127.0.0.1:" + std::to_string(sim.info.value("admin_port", 0)) +
                    "/admin/stats";
  if (Run({"curl", "-sS", "-o", out, url}) != 0) return -1;
  std::ifstream in(out);
  auto j = nlohmann::json::parse(in, nullptr, false);
  return j.is_object() ? j.value("records", int64_t{-1}) : -1;
}

}  // namespace

int main(int argc, char** argv) {
  int reports = 10000, baseline = 200, concurrency = 16;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string flag = argv[i];
    int v = std::atoi(argv[i + 1]);
    if (v <= 0) return std::fprintf(stderr, "bad value for %s\n", argv[i]), 2;
    if (flag == "--reports") reports = v;
    else if (flag == "--baseline") baseline = v;
    else if (flag == "--concurrency") concurrency = v;
    else return std::fprintf(stderr, "unknown option %s\n", argv[i]), 2;
  }
  Sim sim = StartSim();
  if (!sim.info.is_object()) return std::fprintf(stderr, "site-sim did not start\n"), 1;
  int curl_failures = 0;
  double base_rate = Baseline(sim, baseline, &curl_failures);
  size_t acked = 0;
  double rate = Replay(sim, reports, concurrency, &acked);
  int64_t total = LedgerTotal(sim);
  kill(sim.pid, SIGTERM);
  waitpid(sim.pid, nullptr, 0);
  std::filesystem::remove_all(sim.dir);
  std::printf("replay bench (site-sim over HTTPS on loopback)\n");
  std::printf("  baseline: curl command per report   %6d reports  %10.1f reports/s\n", baseline,
              base_rate);
  std::printf("  lifeline Replayer, concurrency %-3d  %6d reports  %10.1f reports/s\n",
              concurrency, reports, rate);
  std::printf("  speed-up                                          %10.1fx (target >= 50x)\n",
              rate / base_rate);
  std::printf("  ledger records %lld (expected %d); acknowledged %zu; curl failures %d\n",
              static_cast<long long>(total), reports + baseline, acked, curl_failures);
  bool ok = total == reports + baseline && acked == static_cast<size_t>(reports) &&
            curl_failures == 0;
  return ok ? 0 : 1;
}
