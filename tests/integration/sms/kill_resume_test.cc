// kill -9 in the middle of a five-part message, then a restart with the same
// message id: the new process must resume at the part that was in flight,
// with the same concatenation reference, and never resend a part the modem
// had accepted. Drives the real `lifeline sms test` against modem-sim; the
// parts are read from the store (lifeline.db) the command writes.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>

#include <sqlite3.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <thread>

#include "tests/integration/sms/sim_process.h"

extern char** environ;

namespace lifeline::sms::testing {
namespace {

std::string FivePartText() {
  std::string t;
  for (int i = 0; i < 20; ++i) t += "第" + std::to_string(i % 10) + "項：資通安全事件通報內容。";
  return t;
}

// The CLI's configuration: the state directory and the SMS retry settings.
std::string WriteConfig(const std::string& dir) {
  const std::string path = dir + "/lifeline.toml";
  std::ofstream(path) << "[daemon]\nstate_dir = \"" << dir << "\"\n[sms]\nmax_attempts_per_part = 5\n"
                      << "retry_delay_ms = 200\n";
  return path;
}

std::vector<std::string> SenderArgs(const SimProcess& sim, const std::string& dir) {
  return {std::string(LIFELINE_BINARY_DIR) + "/tools/lifeline/lifeline",
          "--config",
          WriteConfig(dir),
          "sms",
          "test",
          "--device",
          sim.link(),
          "--id",
          "kill-1",
          "--wait-reports",
          "20",
          "+886912345678",
          FivePartText()};
}

// The parts of message kill-1 as the store holds them: (state, delivery) by index.
std::vector<std::pair<std::string, std::string>> StoredParts(const std::string& dir) {
  std::vector<std::pair<std::string, std::string>> parts;
  sqlite3* db = nullptr;
  if (sqlite3_open_v2((dir + "/lifeline.db").c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK) {
    sqlite3_busy_timeout(db, 2000);
    sqlite3_stmt* st = nullptr;
    if (sqlite3_prepare_v2(db, "SELECT state, COALESCE(delivery,'') FROM sms_part WHERE message_id = 'kill-1'"
                               " ORDER BY idx", -1, &st, nullptr) == SQLITE_OK) {
      while (sqlite3_step(st) == SQLITE_ROW) {
        parts.emplace_back(reinterpret_cast<const char*>(sqlite3_column_text(st, 0)),
                           reinterpret_cast<const char*>(sqlite3_column_text(st, 1)));
      }
    }
    sqlite3_finalize(st);
  }
  sqlite3_close(db);
  return parts;
}

pid_t Spawn(std::vector<std::string> args, const std::string& out_path) {
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 1, out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  pid_t pid = -1;
  const int rc = posix_spawn(&pid, argv[0], &fa, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  return rc == 0 ? pid : -1;
}

// Waits (bounded) until the store shows `n` leading parts delivered.
// True once the first n parts are in `state` ("sent") in the ledger.
bool WaitPartsIn(const std::string& dir, size_t n, const std::string& state) {
  for (int i = 0; i < 500; ++i) {
    auto parts = StoredParts(dir);
    size_t done = 0;
    while (done < parts.size() && parts[done].first == state) ++done;
    if (done >= n) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return false;
}

TEST(KillResumeTest, ResumesAtTheInFlightPartWithoutResendingSentOnes) {
  const std::string dir = ScratchDir("kill-resume");
  auto sim = SimProcess::Start(dir, {});
  ASSERT_TRUE(sim.ok()) << sim.status().ToString();
  ASSERT_TRUE((*sim)->Control("silent-at 3").ok());  // part 3 is swallowed: the sender hangs there

  const pid_t first = Spawn(SenderArgs(**sim, dir), dir + "/first.out");
  ASSERT_GT(first, 0);
  // The status reports of parts 1 and 2 wait in the modem's memory: the sender
  // reads them only after the hung part 3, so the kill leaves them unread there.
  const bool reached = (*sim)->WaitForSubmits(3, 30000) && WaitPartsIn(dir, 2, "sent");
  kill(first, SIGKILL);
  int status = 0;
  waitpid(first, &status, 0);
  ASSERT_TRUE(reached) << "the first sender never got to part 3";
  ASSERT_TRUE(WIFSIGNALED(status)) << "the first sender finished before it was killed";

  {
    auto parts = StoredParts(dir);
    ASSERT_EQ(parts.size(), 5u);
    EXPECT_EQ(parts[0].first, "sent");
    EXPECT_EQ(parts[1].first, "sent");
    EXPECT_EQ(parts[2].first, "sending") << "in flight when killed";
    EXPECT_EQ(parts[3].first, "not_sent");
    EXPECT_EQ(parts[0].second, "") << "its report is still in the modem";
  }

  ASSERT_TRUE((*sim)->Control("silent off").ok());
  std::string cmd;
  for (const std::string& a : SenderArgs(**sim, dir)) cmd += "'" + a + "' ";
  const CommandResult second = RunCommand(cmd);
  EXPECT_EQ(second.exit_code, 0) << second.output;
  EXPECT_NE(second.output.find("result: sent, confirmed"), std::string::npos) << second.output;

  const auto submits = (*sim)->Submits();
  std::map<int, int> sends_per_part;
  std::set<int> refs;
  for (const LoggedSubmit& s : submits) {
    ASSERT_TRUE(s.decoded_ok) << s.pdu_hex;
    ASSERT_TRUE(s.decoded.concat.has_value());
    ++sends_per_part[s.decoded.concat->seq];
    refs.insert(s.decoded.concat->ref);
  }
  EXPECT_EQ(refs.size(), 1u) << "one concatenation reference across the crash";
  EXPECT_EQ(sends_per_part[1], 1);
  EXPECT_EQ(sends_per_part[2], 1);
  EXPECT_EQ(sends_per_part[3], 2) << "the in-flight part is sent again (its outcome was unknown)";
  EXPECT_EQ(sends_per_part[4], 1);
  EXPECT_EQ(sends_per_part[5], 1);
  if (!HasFailure()) std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace lifeline::sms::testing
