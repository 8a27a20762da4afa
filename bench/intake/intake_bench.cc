// bench/intake: durable reports per second through lifelined's socket API,
// with 1 and with 8 clients on keep-alive connections, printed beside the
// physical limit measured in the same run on the same filesystem: raw SQLite
// single-row commits per second (WAL, synchronous=FULL), each row the size of a
// report, and what one fsync (fdatasync of a 4 KiB write) costs on that disk.
// It also shows where one client's time goes: the store alone in-process (with
// the WAL pages each commit writes), the flush's share of a commit (FULL
// against OFF, for a report's commit and for a raw one), a bare socket round
// trip, and lifelined's CPU per report.
// The reports are filed in time (aware just now), as the daemon normally
// receives them: a report filed after its later deadlines also makes the
// escalation engine record a reminder for each, a commit of its own.
// Usage: intake_bench [REPORTS_PER_CLIENT] (default 1000).
#include <signal.h>
#include <sqlite3.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <fcntl.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "daemon/http/http.h"
#include "daemon/rules/rules.h"
#include "daemon/store/store.h"
#include "tests/support/daemon_harness.h"
#include "tests/support/report_factory.h"

namespace {

using Clock = std::chrono::steady_clock;
using lifeline::testing_support::DaemonProcess;
using lifeline::testing_support::AwareNow;
using lifeline::testing_support::NewDocument;

double Seconds(Clock::time_point since) {
  return std::chrono::duration<double>(Clock::now() - since).count();
}

// Counts the WAL frames (pages) each commit appends, from SQLite's WAL hook,
// which reports the frames in the log after every commit (the log restarts
// after a checkpoint).
struct WalFrames {
  long frames = 0, commits = 0;
  int in_log = 0;
  double PerCommit() const { return commits ? static_cast<double>(frames) / static_cast<double>(commits) : 0; }
  void Watch(sqlite3* db) { sqlite3_wal_hook(db, &WalFrames::Hook, this); }
  static int Hook(void* self, sqlite3*, const char*, int in_log) {
    auto* w = static_cast<WalFrames*>(self);
    w->frames += in_log > w->in_log ? in_log - w->in_log : in_log;
    w->in_log = in_log;
    w->commits++;
    return SQLITE_OK;
  }
};
// The default checkpoint (at 1000 frames) also runs from the hook it replaces.
void Checkpoint(sqlite3* db, const WalFrames& w) {
  if (w.in_log >= 1000) sqlite3_wal_checkpoint_v2(db, nullptr, SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr);
}

// `synchronous` is FULL for the baseline; OFF (no fsync at all) only to tell
// the flush's share of a commit from the CPU's.
double RawSqliteCommitsPerSecond(const std::string& dir, int commits, size_t row_bytes, const char* synchronous,
                                 WalFrames* wal) {
  sqlite3* db = nullptr;
  std::string path = dir + "/raw-" + synchronous + ".db";
  sqlite3_open(path.c_str(), &db);
  std::string setup = std::string("PRAGMA journal_mode=WAL; PRAGMA synchronous=") + synchronous +
                      "; CREATE TABLE t(id INTEGER PRIMARY KEY, body TEXT NOT NULL)";
  sqlite3_exec(db, setup.c_str(), nullptr, nullptr, nullptr);
  sqlite3_stmt* st = nullptr;
  sqlite3_prepare_v2(db, "INSERT INTO t(body) VALUES (?)", -1, &st, nullptr);
  std::string body(row_bytes, 'x');
  wal->Watch(db);
  auto start = Clock::now();
  for (int i = 0; i < commits; ++i) {
    sqlite3_bind_text(st, 1, body.data(), static_cast<int>(body.size()), SQLITE_STATIC);
    if (sqlite3_step(st) != SQLITE_DONE) std::fprintf(stderr, "raw insert failed\n");
    sqlite3_reset(st);
    Checkpoint(db, *wal);
  }
  double rate = commits / Seconds(start);
  sqlite3_finalize(st);
  sqlite3_close(db);
  return rate;
}

// Median time of one fdatasync after a 4 KiB write at the end of a file, in milliseconds.
double FsyncMillis(const std::string& dir, int samples) {
  std::string path = dir + "/fsync.probe";
  int fd = open(path.c_str(), O_CREAT | O_WRONLY | O_TRUNC, 0600);
  if (fd < 0) return 0;
  std::string page(4096, 'x');
  std::vector<double> ms;
  for (int i = 0; i < samples; ++i) {
    if (pwrite(fd, page.data(), page.size(), static_cast<off_t>((i % 64) * page.size())) < 0) break;
    auto start = Clock::now();
    if (fdatasync(fd) != 0) break;
    ms.push_back(1000 * Seconds(start));
  }
  close(fd);
  unlink(path.c_str());
  if (ms.empty()) return 0;
  std::nth_element(ms.begin(), ms.begin() + ms.size() / 2, ms.end());
  return ms[ms.size() / 2];
}

// The store alone, in-process: validated reports submitted one per commit, as
// the intake does with a single client, without the socket and the HTTP.
double StoreSubmitsPerSecond(const std::string& dir, int commits, const char* synchronous, WalFrames* wal) {
  lifeline::SystemClock clock;
  lifeline::StoreOptions options;
  options.db_path = dir + "/store-" + synchronous + ".db";
  options.key_path = dir + "/store.key";
  auto store = lifeline::Store::Open(options, clock);
  if (!store.ok()) {
    std::fprintf(stderr, "store: %s\n", store.status().ToString().c_str());
    return 0;
  }
  (*store)->db().Exec(std::string("PRAGMA synchronous=") + synchronous).IgnoreError();
  auto loaded = lifeline::DefaultRuleSet();
  if (!loaded.ok()) return 0;
  const lifeline::RuleSet& rules = *loaded;
  std::vector<lifeline::Report> reports;
  for (int i = 0; i < commits; ++i) reports.push_back(lifeline::testing_support::ToReport(AwareNow(NewDocument())));
  sqlite3* db = (*store)->db().raw();
  wal->Watch(db);
  auto start = Clock::now();
  for (const auto& r : reports) {
    auto schedule = lifeline::ComputeSchedule(rules, {r.Level(), r.aware_at, r.affects_others});
    auto stored = (*store)->Submit(r, rules.id, lifeline::ScheduleToJson(*schedule));
    if (!stored.ok()) std::fprintf(stderr, "store: %s\n", stored.status().ToString().c_str());
    Checkpoint(db, *wal);
  }
  return commits / Seconds(start);
}

// CPU seconds (user + system) the process has used so far, from /proc/PID/stat.
double CpuSeconds(int pid) {
  FILE* f = std::fopen(("/proc/" + std::to_string(pid) + "/stat").c_str(), "r");
  if (!f) return 0;
  char buf[4096];
  size_t n = std::fread(buf, 1, sizeof buf - 1, f);
  std::fclose(f);
  buf[n] = 0;
  const char* after_name = std::strrchr(buf, ')');  // the command name may hold spaces
  if (!after_name) return 0;
  unsigned long utime = 0, stime = 0;
  // Fields 14 and 15 (utime, stime) follow the name; field 3 is the first after it.
  if (std::sscanf(after_name + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &utime, &stime) != 2) {
    return 0;
  }
  return static_cast<double>(utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

// One keep-alive connection; Post() returns the HTTP status.
class Connection {
 public:
  explicit Connection(const std::string& path) : fd_(socket(AF_UNIX, SOCK_STREAM, 0)) {
    sockaddr_un a{};
    a.sun_family = AF_UNIX;
    std::strncpy(a.sun_path, path.c_str(), sizeof(a.sun_path) - 1);
    if (connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) std::perror("connect");
  }
  ~Connection() { close(fd_); }
  int Post(const std::string& body, const char* target = "/v1/reports") { return Send("POST", target, body); }
  int Get(const char* target) { return Send("GET", target, ""); }
  int Send(const char* method, const char* target, const std::string& body) {
    lifeline::http::Request request;
    request.method = method;
    request.target = target;
    request.body = body;
    std::string req = lifeline::http::SerializeRequest(request, "bench");
    if (write(fd_, req.data(), req.size()) != static_cast<ssize_t>(req.size())) return 0;
    lifeline::http::ResponseParser parser;
    char buf[8192];
    while (parser.state() == lifeline::http::ResponseParser::State::kNeedMore) {
      ssize_t n = read(fd_, buf, sizeof buf);
      if (n <= 0) return 0;
      parser.Feed(std::string_view(buf, static_cast<size_t>(n)));
    }
    return parser.state() == lifeline::http::ResponseParser::State::kComplete ? parser.response().status : 0;
  }

 private:
  int fd_;
};

// The floor of any request: GET /v1/health round trips on one connection.
double HealthRoundTripsPerSecond(const std::string& socket, int count) {
  Connection conn(socket);
  auto start = Clock::now();
  for (int i = 0; i < count; ++i) {
    if (conn.Get("/v1/health") != 200) std::fprintf(stderr, "health check failed\n");
  }
  return count / Seconds(start);
}

double IntakePerSecond(const std::string& socket, int clients, int per_client) {
  std::vector<std::vector<std::string>> bodies(clients);
  for (auto& b : bodies) {
    for (int i = 0; i < per_client; ++i) b.push_back(AwareNow(NewDocument()).dump());
  }
  std::vector<int> failures(clients, 0);
  auto start = Clock::now();
  std::vector<std::thread> threads;
  for (int c = 0; c < clients; ++c) {
    threads.emplace_back([&, c] {
      Connection conn(socket);
      for (const auto& body : bodies[c]) failures[c] += conn.Post(body) != 201;
    });
  }
  for (auto& t : threads) t.join();
  double rate = clients * per_client / Seconds(start);
  for (int f : failures) {
    if (f) std::fprintf(stderr, "%d submissions were not acknowledged\n", f);
  }
  return rate;
}

}  // namespace

int main(int argc, char** argv) {
  int per_client = argc > 1 ? std::atoi(argv[1]) : 1000;
  std::string dir = (std::filesystem::temp_directory_path() / ("lifeline-bench-" + lifeline::NewUuidV4().value())).string();
  std::filesystem::create_directories(dir);
  size_t report_bytes = AwareNow(NewDocument()).dump().size();
  double fsync_before = FsyncMillis(dir, 200);
  WalFrames raw_wal, store_wal, unused;
  double raw = RawSqliteCommitsPerSecond(dir, per_client, report_bytes, "FULL", &raw_wal);
  double raw_unsynced = RawSqliteCommitsPerSecond(dir, per_client, report_bytes, "OFF", &unused);
  double store_only = StoreSubmitsPerSecond(dir, per_client, "FULL", &store_wal);
  double store_unsynced = StoreSubmitsPerSecond(dir, per_client, "OFF", &unused);
  DaemonProcess daemon(dir + "/state");
  if (!daemon.Start()) {
    std::fprintf(stderr, "lifelined did not start:\n%s", daemon.log().c_str());
    return 1;
  }
  double health = HealthRoundTripsPerSecond(daemon.socket_path(), per_client);
  double cpu_start = CpuSeconds(daemon.pid());
  double one = IntakePerSecond(daemon.socket_path(), 1, per_client);
  double cpu_one = CpuSeconds(daemon.pid());
  double eight = IntakePerSecond(daemon.socket_path(), 8, per_client);
  double cpu_eight = CpuSeconds(daemon.pid());
  daemon.Kill(SIGTERM);
  double fsync_after = FsyncMillis(dir, 200);
  std::filesystem::remove_all(dir);
  std::printf("bench/intake (%d reports per client, %zu-byte reports)\n", per_client, report_bytes);
  std::printf("  disk: fdatasync of a 4 KiB write, median: %.2f ms before, %.2f ms after\n", fsync_before,
              fsync_after);
  std::printf("  baseline: raw SQLite single-row commits, WAL + synchronous=FULL: %8.0f /s  (%.1f WAL pages a commit)\n",
              raw, raw_wal.PerCommit());
  std::printf("  where a report's time goes (1 client):\n");
  std::printf("    the store alone, in-process (validated report, schedule, journal, commit): %8.0f /s  (%6.0f us, %.1f WAL pages a commit)\n",
              store_only, 1e6 / store_only, store_wal.PerCommit());
  std::printf("    the flush (synchronous=FULL against OFF): %.0f us a report commit, %.0f us a raw commit\n",
              1e6 / store_only - 1e6 / store_unsynced, 1e6 / raw - 1e6 / raw_unsynced);
  std::printf("    socket round trip, GET /v1/health:                                          %8.0f /s  (%6.0f us)\n",
              health, 1e6 / health);
  std::printf("  lifeline intake, 1 client  (durable acks over the socket):   %8.0f /s  (%3.0f%% of raw)\n", one,
              100 * one / raw);
  std::printf("  lifeline intake, 8 clients (group commit):                    %8.0f /s  (%3.0f%% of raw)\n",
              eight, 100 * eight / raw);
  std::printf("  lifelined CPU per report: %.0f us with 1 client, %.0f us with 8 (both threads)\n",
              1e6 * (cpu_one - cpu_start) / per_client, 1e6 * (cpu_eight - cpu_one) / (8.0 * per_client));
  return 0;
}
