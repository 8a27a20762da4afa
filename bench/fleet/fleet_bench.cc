// bench/fleet: N simulated boxes (libmosquitto clients over TLS, persistent
// sessions, QoS 1, all driven by one poll loop so a thousand cost no
// threads) each publish M real lifeline.fleet/1 messages (FleetMessageFor of
// a report's journal entries) to one mosquitto on this machine, and the real
// lifeline-fleet ingests them into its SQLite view. Prints messages per second
// from the first publish to the last message in the view, and the 99th
// percentile of the delay from a message's journal time (stamped as the
// simulated box sends it, so a box's own journal write is not in it) to its
// commit in the view; beside it, mosquitto's own throughput through its bundled tools in the
// same run (mosquitto_pub -l into mosquitto_sub, QoS 1, TLS). Exits non-zero
// when the view does not hold every message exactly once.
//   fleet_bench [--boxes N] [--messages M] [--baseline K]
#include <mosquitto.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <signal.h>
#include <sqlite3.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "daemon/core/clock.h"
#include "daemon/core/uuid.h"
#include "daemon/fleet/fleet.h"
#include "tests/support/command.h"
#include "tests/support/mosquitto_harness.h"

namespace {

using Steady = std::chrono::steady_clock;
using lifeline::testing_support::MosquittoBroker;

struct Box {
  mosquitto* mosq = nullptr;
  lifeline::FleetOptions who;
  int sent = 0, acked = 0, inflight = 0;
};

void OnPublish(mosquitto*, void* obj, int) {
  Box* b = static_cast<Box*>(obj);
  ++b->acked;
  --b->inflight;
}

std::string Payload(Box& b, int i) {
  lifeline::JournalEntry e;
  e.seq = i + 1;
  e.wall_time = lifeline::FormatUtcMicros(lifeline::SystemClock().Now());
  e.report_id = "bench-" + b.who.unit;
  e.type = i == 0 ? "report.received" : "notification.state";
  e.payload = i == 0 ? R"({"revision":1,"level":3,"aware_at":"2026-11-21T09:58:00+08:00"})"
                     : R"({"notification":1,"from":"pending","to":"in_progress"})";
  return lifeline::FleetMessageFor(b.who, e, {"intrusion", 3, false})->payload;
}

std::vector<double> Column(const std::string& db, const std::string& sql) {
  std::vector<double> out;
  sqlite3* h = nullptr;
  sqlite3_open_v2(db.c_str(), &h, SQLITE_OPEN_READONLY, nullptr);
  sqlite3_busy_timeout(h, 5000);
  sqlite3_stmt* st = nullptr;
  if (sqlite3_prepare_v2(h, sql.c_str(), -1, &st, nullptr) == SQLITE_OK) {
    while (sqlite3_step(st) == SQLITE_ROW) out.push_back(sqlite3_column_double(st, 0));
  }
  sqlite3_finalize(st);
  sqlite3_close(h);
  return out;
}

bool ConnectAll(std::vector<Box>& boxes, const MosquittoBroker& broker, const lifeline::testing_support::ClientCert& c) {
  for (Box& b : boxes) {
    b.mosq = mosquitto_new(("bench-" + b.who.unit).c_str(), false, &b);
    mosquitto_tls_set(b.mosq, broker.ca_file().c_str(), nullptr, c.cert.c_str(), c.key.c_str(), nullptr);
    mosquitto_publish_callback_set(b.mosq, OnPublish);
    mosquitto_max_inflight_messages_set(b.mosq, 20);
    // A long keepalive: the first boxes wait unserviced while the last ones make their TLS handshakes.
    if (mosquitto_connect(b.mosq, "localhost", broker.port(), 3600) != MOSQ_ERR_SUCCESS) {
      std::fprintf(stderr, "box %s cannot connect\n", b.who.unit.c_str());
      return false;
    }
  }
  return true;
}

// Publishes every box's messages, 20 in flight per box, until all are
// acknowledged: one poll over every socket (select, inside mosquitto_loop,
// stops at descriptor 1024, and a thousand clients hold more), and what TLS
// has already buffered read out after each read, since poll cannot see it.
bool PublishAll(std::vector<Box>& boxes, int messages) {
  std::vector<pollfd> fds(boxes.size());
  const auto give_up = Steady::now() + std::chrono::minutes(5);
  auto last_misc = Steady::now();
  while (Steady::now() < give_up) {
    bool done = true;
    for (size_t i = 0; i < boxes.size(); ++i) {
      Box& b = boxes[i];
      while (b.sent < messages && b.inflight < 20) {
        std::string p = Payload(b, b.sent);
        std::string topic = "lifeline/bench/" + b.who.unit + "/report/bench-" + b.who.unit;
        if (mosquitto_publish(b.mosq, nullptr, topic.c_str(), static_cast<int>(p.size()), p.data(), 1, false)) break;
        ++b.sent;
        ++b.inflight;
      }
      done = done && b.acked >= messages;
      fds[i] = {mosquitto_socket(b.mosq), static_cast<short>(POLLIN | (mosquitto_want_write(b.mosq) ? POLLOUT : 0)), 0};
    }
    if (done) return true;
    poll(fds.data(), fds.size(), 100);
    for (size_t i = 0; i < boxes.size(); ++i) {
      mosquitto* m = boxes[i].mosq;
      if (fds[i].revents & POLLOUT) mosquitto_loop_write(m, 1);
      if (!(fds[i].revents & POLLIN)) continue;
      mosquitto_loop_read(m, 1);
      auto* ssl = static_cast<SSL*>(mosquitto_ssl_get(m));
      for (int k = 0; k < 256 && ssl && SSL_pending(ssl) > 0; ++k) mosquitto_loop_read(m, 1);
    }
    if (Steady::now() - last_misc > std::chrono::seconds(1)) {
      for (Box& b : boxes) mosquitto_loop_misc(b.mosq);
      last_misc = Steady::now();
    }
  }
  std::fprintf(stderr, "not every message was acknowledged within 5 minutes\n");
  return false;
}

// mosquitto_pub -l (one connection, a message a line) into mosquitto_sub, both QoS 1 over TLS, as
// a box and the view would be by the ACL.
double Baseline(const MosquittoBroker& broker, const lifeline::testing_support::ClientCert& pub_cert,
                const lifeline::testing_support::ClientCert& sub_cert, int count, const std::string& dir) {
  const std::string common = " -h localhost -p " + std::to_string(broker.port()) + " --cafile " + broker.ca_file() + " -q 1 ";
  const std::string pub_tls = common + "--cert " + pub_cert.cert + " --key " + pub_cert.key + " ";
  const std::string sub_tls = common + "--cert " + sub_cert.cert + " --key " + sub_cert.key + " ";
  {
    std::ofstream lines(dir + "/lines");
    Box sample;
    sample.who.agency = "bench";
    sample.who.unit = "baseline";
    const std::string line = Payload(sample, 1);
    for (int i = 0; i < count; ++i) lines << line << "\n";
  }
  pid_t sub = fork();
  if (sub == 0) {
    execl("/bin/sh", "sh", "-c", ("exec mosquitto_sub" + sub_tls + "-t lifeline/bench/baseline/# -C " +
                                  std::to_string(count) + " > /dev/null").c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(500));  // subscribed before the first publish
  const auto start = Steady::now();
  lifeline::testing_support::RunCommand("mosquitto_pub" + pub_tls + "-t lifeline/bench/baseline/health -l < " + dir + "/lines");
  int status = 0;
  waitpid(sub, &status, 0);
  return count / std::chrono::duration<double>(Steady::now() - start).count();
}

}  // namespace

int main(int argc, char** argv) {
  int boxes_n = 1000, messages = 5, baseline = 20000;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--boxes")) boxes_n = std::atoi(argv[i + 1]);
    if (!std::strcmp(argv[i], "--messages")) messages = std::atoi(argv[i + 1]);
    if (!std::strcmp(argv[i], "--baseline")) baseline = std::atoi(argv[i + 1]);
  }
  rlimit nofile{};
  getrlimit(RLIMIT_NOFILE, &nofile);
  nofile.rlim_cur = nofile.rlim_max;  // a socket per box, here and in mosquitto (which inherits it)
  setrlimit(RLIMIT_NOFILE, &nofile);
  signal(SIGPIPE, SIG_IGN);
  const std::string dir = (std::filesystem::temp_directory_path() / ("fleet-bench-" + lifeline::NewUuidV4().value())).string();
  std::filesystem::create_directories(dir);
  MosquittoBroker broker(dir + "/broker", "user fleet\ntopic read lifeline/bench/#\n\nuser bench-box\ntopic write lifeline/bench/#\n");
  if (!broker.MakeCertificates({"fleet", "bench-box"}) || !broker.Start()) {
    std::fprintf(stderr, "broker: %s\n", broker.error().c_str());
    return 2;
  }
  const auto fleet_cert = broker.Client("fleet");
  std::ofstream(dir + "/fleet.toml") << "[fleet]\nstore = \"" << dir << "/fleet.db\"\nagency = \"bench\"\n"
                                     << "[broker]\nhost = \"localhost\"\nport = " << broker.port() << "\nca_file = \""
                                     << broker.ca_file() << "\"\ncert_file = \"" << fleet_cert.cert
                                     << "\"\nkey_file = \"" << fleet_cert.key << "\"\n";
  const std::string fleet_log = dir + "/fleet.log";
  pid_t fleet = fork();
  if (fleet == 0) {
    prctl(PR_SET_PDEATHSIG, SIGTERM);
    freopen(fleet_log.c_str(), "a", stderr);
    const std::string bin = LIFELINE_BINARY_DIR "/tools/fleet/lifeline-fleet";
    execl(bin.c_str(), bin.c_str(), "--config", (dir + "/fleet.toml").c_str(), "--log-level", "info", "run",
          static_cast<char*>(nullptr));
    _exit(127);
  }
  // Published before the view's subscription, a message would have no session to wait in.
  for (int i = 0; i < 100 && lifeline::testing_support::RunCommand("grep -q 'fleet: subscribed' " + fleet_log).exit_code != 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  mosquitto_lib_init();
  std::vector<Box> boxes(static_cast<size_t>(boxes_n));
  for (int i = 0; i < boxes_n; ++i) {
    boxes[i].who.agency = "bench";
    boxes[i].who.unit = "box" + std::to_string(i);
  }
  const auto box_cert = broker.Client("bench-box");
  if (!ConnectAll(boxes, broker, box_cert)) return 2;
  std::fprintf(stderr, "%d boxes connected; publishing\n", boxes_n);
  if (!PublishAll(boxes, messages)) return 1;
  std::fprintf(stderr, "acknowledged; waiting for the view\n");
  const std::string db = dir + "/fleet.db";
  const double total = static_cast<double>(boxes_n) * messages;
  for (int i = 0; i < 600 && Column(db, "SELECT count(*) FROM messages")[0] < total; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  const double taken = Column(db, "SELECT count(*) FROM messages")[0];
  if (taken < total) std::fprintf(stderr, "the view's log:\n%s\n", lifeline::testing_support::RunCommand("tail -20 " + fleet_log).output.c_str());
  std::vector<double> delay = Column(db,
      "SELECT (julianday(received_at) - julianday(json_extract(payload, '$.at'))) * 86400000.0 FROM messages");
  std::vector<double> span = Column(db,
      "SELECT (julianday(MAX(received_at)) - julianday(MIN(json_extract(payload, '$.at')))) * 86400.0 FROM messages");
  for (Box& b : boxes) mosquitto_disconnect(b.mosq), mosquitto_destroy(b.mosq);
  kill(fleet, SIGTERM);
  waitpid(fleet, nullptr, 0);
  const double tools = Baseline(broker, box_cert, fleet_cert, baseline, dir);
  std::sort(delay.begin(), delay.end());
  const double p99 = delay.empty() ? 0 : delay[static_cast<size_t>(0.99 * (delay.size() - 1))];
  std::printf("fleet: %d boxes x %d messages: %.0f of %.0f in the view, %.0f msg/s sustained, p99 delay %.1f ms\n",
              boxes_n, messages, taken, total, span.empty() || span[0] <= 0 ? 0.0 : taken / span[0], p99);
  std::printf("baseline: mosquitto_pub -l into mosquitto_sub, QoS 1, TLS, same broker: %.0f msg/s (%d messages)\n",
              tools, baseline);
  broker.Stop();
  std::filesystem::remove_all(dir);
  return taken == total ? 0 : 1;
}
