// kill -9 loop: clients submit reports concurrently while lifelined is killed
// at random points. After every kill: every acknowledged report is stored
// exactly once, PRAGMA integrity_check is ok, and the journal verifies. A
// submission cut off by the kill (no answer) is retried after the restart with
// the same document and must not create a second copy.
// LIFELINE_KILL_LOOPS sets the number of kills (default 200).
#include <gtest/gtest.h>
#include <signal.h>

#include <atomic>
#include <cstdlib>
#include <deque>
#include <filesystem>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <thread>

#include "daemon/store/store.h"
#include "tests/support/daemon_harness.h"
#include "tests/support/report_factory.h"

namespace lifeline {
namespace {

using testing_support::DaemonProcess;
using testing_support::HttpOverUnix;
using testing_support::NewDocument;

int Loops() {
  const char* env = std::getenv("LIFELINE_KILL_LOOPS");
  return env ? std::max(1, std::atoi(env)) : 200;
}

// Shared by the client threads of one test.
struct Ledger {
  std::mutex mu;  // guards everything below; client threads and the test thread
  std::set<std::string> acked;
  std::deque<nlohmann::json> unanswered;  // to retry after the restart
  std::vector<std::string> failures;
  int answers = 0;

  int Answers() {
    std::lock_guard<std::mutex> lock(mu);
    return answers;
  }
  nlohmann::json Next() {
    std::lock_guard<std::mutex> lock(mu);
    if (unanswered.empty()) return NewDocument();
    nlohmann::json doc = unanswered.front();
    unanswered.pop_front();
    return doc;
  }
  void Record(const nlohmann::json& doc, const testing_support::HttpReply& r) {
    std::lock_guard<std::mutex> lock(mu);
    if (r.status == 200 || r.status == 201) {
      acked.insert(doc["id"].get<std::string>());
      ++answers;
    } else if (r.status == 0 || r.status == 503) {
      unanswered.push_back(doc);  // outcome unknown: the same document goes again
    } else {
      failures.push_back("HTTP " + std::to_string(r.status) + ": " + r.body.dump());
    }
  }
};

void Client(const std::string& socket, Ledger* ledger, const std::atomic<bool>* stop) {
  while (!stop->load()) {
    nlohmann::json doc = ledger->Next();
    auto reply = HttpOverUnix(socket, "POST", "/v1/reports", doc.dump(), 2000);
    ledger->Record(doc, reply);
    if (reply.status == 0) return;  // the daemon is gone
  }
}

// Opens the database the dead daemon left and checks the promise.
void CheckStore(const std::string& dir, const Ledger& ledger, int cycle) {
  SystemClock clock;
  auto store = Store::Open({dir + "/lifeline.db", dir + "/journal.key", "", kStoreSchemaVersion, ""}, clock);
  ASSERT_TRUE(store.ok()) << "cycle " << cycle << ": " << store.status().ToString();
  ASSERT_EQ(*(*store)->IntegrityCheck(), "ok") << "cycle " << cycle;
  JournalVerdict v = (*store)->VerifyJournal();
  ASSERT_TRUE(v.ok) << "cycle " << cycle << ": " << v.reason;
  auto st = (*store)->db().Prepare("SELECT report_id, COUNT(*) FROM reports GROUP BY report_id");
  ASSERT_TRUE(st.ok());
  std::map<std::string, int64_t> counts;
  while (*st->Step()) counts[st->Text(0)] = st->Int(1);
  for (const auto& id : ledger.acked) {
    ASSERT_EQ(counts[id], 1) << "cycle " << cycle << ": acknowledged report " << id << " stored "
                             << counts[id] << " times";
  }
  auto journaled = (*store)->db().QueryInt("SELECT COUNT(*) FROM journal WHERE type = 'report.received'");
  ASSERT_EQ(*journaled, static_cast<int64_t>(counts.size())) << "cycle " << cycle;
}

TEST(Kill9Test, AcknowledgedReportsSurviveEveryKill) {
  std::string dir = (std::filesystem::path(::testing::TempDir()) / ("kill9-" + NewUuidV4().value())).string();
  std::random_device rd;
  unsigned seed = rd();
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int> pause_us(0, 40000);
  Ledger ledger;
  const int loops = Loops();
  for (int cycle = 0; cycle < loops; ++cycle) {
    DaemonProcess daemon(dir);
    ASSERT_TRUE(daemon.Start()) << "cycle " << cycle << " (seed " << seed << ")\n" << daemon.log();
    std::atomic<bool> stop{false};
    std::vector<std::thread> clients;
    int answers_before = ledger.Answers();
    for (int c = 0; c < 4; ++c) clients.emplace_back(Client, daemon.socket_path(), &ledger, &stop);
    // Each cycle gets at least one acknowledgement before the kill, however
    // slow the build (sanitizers), so every cycle tests something.
    for (int i = 0; i < 1000 && ledger.Answers() == answers_before; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    std::this_thread::sleep_for(std::chrono::microseconds(pause_us(rng)));
    daemon.Kill(SIGKILL);
    stop = true;
    for (auto& t : clients) t.join();
    CheckStore(dir, ledger, cycle);
    if (HasFatalFailure()) {
      ADD_FAILURE() << "seed " << seed;
      return;
    }
  }
  // A last clean run retries everything still unanswered, then checks again.
  DaemonProcess daemon(dir);
  ASSERT_TRUE(daemon.Start());
  while (!ledger.unanswered.empty()) {
    nlohmann::json doc = ledger.Next();
    ledger.Record(doc, HttpOverUnix(daemon.socket_path(), "POST", "/v1/reports", doc.dump()));
  }
  daemon.Kill(SIGTERM);
  CheckStore(dir, ledger, loops);
  EXPECT_TRUE(ledger.failures.empty()) << ledger.failures.front();
  EXPECT_GE(ledger.acked.size(), static_cast<size_t>(loops)) << "every cycle should acknowledge a report";
  std::printf("kills: %d, acknowledged reports: %zu, seed %u\n", loops, ledger.acked.size(), seed);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace lifeline
