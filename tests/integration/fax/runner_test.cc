// FaxRunner end to end against tools/fax-line at --speed=8 (the same calls as
// fax_send_test, eight times faster): a notice is rendered, sent and confirmed
// pixel for pixel; a busy number is retried with progress, then failed; a
// cancelled job never calls back, whether queued or sleeping between retries;
// Stop mid-call returns and the line sees the call hung up.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdio>
#include <filesystem>
#include <functional>
#include <thread>

#include "daemon/channels/fax/fax_runner.h"
#include "tests/integration/fax/fax_line_process.h"
#include "tests/support/report_factory.h"

namespace lifeline::fax {
namespace {

using lifeline::testing::FaxLineProcess;
using lifeline::testing::FreshTestDir;
using std::chrono::seconds;

// What the runner reported for one job, and on which thread.
struct Record {
  std::vector<std::pair<std::string, nlohmann::json>> progress;
  std::vector<NoticeOutcome> done;
  std::vector<std::string> order;  // "progress" / "done", as they came
  std::vector<std::thread::id> threads;

  ChannelRunner::Progress OnProgress() {
    return [this](const std::string& s, const nlohmann::json& e) {
      progress.emplace_back(s, e);
      order.push_back("progress");
      threads.push_back(std::this_thread::get_id());
    };
  }
  ChannelRunner::Done OnDone() {
    return [this](const NoticeOutcome& o) {
      done.push_back(o);
      order.push_back("done");
      threads.push_back(std::this_thread::get_id());
    };
  }
};

// Runs the io_context (kept alive by a work guard) until `pred` or `limit`.
bool RunUntil(asio::io_context& io, const std::function<bool()>& pred, seconds limit) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (!pred() && std::chrono::steady_clock::now() < deadline) {
    io.run_for(std::chrono::milliseconds(50));
    if (io.stopped()) io.restart();
  }
  return pred();
}

FaxSendOptions OptionsFor(const FaxLineProcess& line) {
  FaxSendOptions o;
  o.device = line.modem();
  o.local_ident = "+886 7 7995600";
  o.dial_timeout = seconds(30);
  o.call_timeout = seconds(120);
  return o;
}

NoticeJob FaxJob(int64_t attempt_id, const std::string& number) {
  NoticeJob j;
  j.attempt_id = attempt_id;
  j.report = testing_support::NewDocument();
  j.report_id = j.report["id"].get<std::string>();
  j.revision = 1;
  j.recipient_key = "national_centre";
  j.recipient_name = "國家資通安全會報技術服務中心";
  j.address = {"fax", number, ""};
  j.reason_zh = "機關對外網路中斷，無法連線國家資通安全通報應變網站";
  j.due_at = "2026-11-21T10:58:00+08:00";
  j.rule_label = "知悉後1小時內";
  return j;
}

RetryPolicy QuickPolicy(int max_attempts, seconds busy_delay) {
  RetryPolicy p;
  p.max_attempts = max_attempts;
  p.busy_delay = busy_delay;
  return p;
}

TEST(FaxRunner, NoticeIsConfirmedAndArrivesPixelForPixel) {
  const std::string dir = FreshTestDir("runner-form");
  FaxLineProcess line(dir);
  ASSERT_TRUE(line.Start({"--speed=8"}));
  asio::io_context io;
  auto guard = asio::make_work_guard(io);
  FaxRunner runner(io, OptionsFor(line), RetryPolicy{}, dir + "/work", "某某機關資訊室",
                   "王小明 07-7995600");
  Record rec;
  runner.Start(FaxJob(41, "(02)2733-1655"), rec.OnProgress(), rec.OnDone());
  ASSERT_TRUE(RunUntil(io, [&] { return !rec.done.empty(); }, seconds(180)));
  const NoticeOutcome& out = rec.done[0];
  SCOPED_TRACE(out.evidence.dump());
  EXPECT_EQ(out.kind, NoticeOutcome::Kind::kConfirmed) << out.summary;
  EXPECT_NE(out.summary.find("confirmed"), std::string::npos);
  // The simulated line runs in real time (8x): on a starved machine a call may
  // fail its training and be retried at a lower rate, which is the channel
  // doing its job. Each retried attempt was announced as progress; the last
  // attempt is the one that delivered.
  ASSERT_GE(out.evidence["attempts"].size(), 1u);
  const size_t attempts = out.evidence["attempts"].size();
  EXPECT_EQ(rec.progress.size(), attempts - 1);
  for (auto id : rec.threads) EXPECT_EQ(id, std::this_thread::get_id());  // posted to io
  const std::string tiff = dir + "/work/attempt-41.tif";
  EXPECT_EQ(out.evidence["tiff"], tiff);
  const auto& attempt = out.evidence["attempts"][attempts - 1];
  EXPECT_EQ(attempt["success"], true);
  EXPECT_EQ(attempt["number"], "0227331655");
  EXPECT_EQ(attempt["tiff_sent"], tiff);
  std::printf("full form at --speed=8: %s -> %s (%zu attempt(s))\n", attempt["started_at"].get<std::string>().c_str(),
              attempt["ended_at"].get<std::string>().c_str(), attempts);

  auto calls = line.Calls(attempts);
  ASSERT_EQ(calls.size(), attempts);
  const auto& delivered = calls[attempts - 1];
  EXPECT_EQ(delivered["outcome"], "received");
  auto sent = ReadTiffPages(tiff);
  auto received = ReadTiffPages(delivered["rx_file"].get<std::string>());
  ASSERT_TRUE(sent.ok() && received.ok());
  ASSERT_EQ(received->size(), sent->size());
  EXPECT_GE(sent->size(), 2u);
  for (size_t i = 0; i < sent->size(); ++i) {
    EXPECT_EQ((*received)[i].height, (*sent)[i].height);
    EXPECT_TRUE((*received)[i].pixels == (*sent)[i].pixels) << "page " << i + 1 << " differs";
  }
}

TEST(FaxRunner, BusyNumberIsRetriedWithProgressThenFailed) {
  const std::string dir = FreshTestDir("runner-busy");
  FaxLineProcess line(dir);
  ASSERT_TRUE(line.Start({"--speed=8"}));
  asio::io_context io;
  auto guard = asio::make_work_guard(io);
  FaxRunner runner(io, OptionsFor(line), QuickPolicy(2, seconds(1)), dir + "/work", "", "");
  Record rec;
  runner.Start(FaxJob(7, "1111"), rec.OnProgress(), rec.OnDone());
  ASSERT_TRUE(RunUntil(io, [&] { return !rec.done.empty(); }, seconds(60)));
  SCOPED_TRACE(rec.done[0].evidence.dump());
  EXPECT_EQ(rec.order, (std::vector<std::string>{"progress", "done"}));
  ASSERT_EQ(rec.progress.size(), 1u);
  EXPECT_EQ(rec.progress[0].second["dial"], "busy");
  EXPECT_EQ(rec.progress[0].second["retry_reason"], "busy");
  EXPECT_NE(rec.progress[0].first.find("busy"), std::string::npos);
  EXPECT_EQ(rec.done[0].kind, NoticeOutcome::Kind::kFailed);
  EXPECT_NE(rec.done[0].summary.find("attempts exhausted"), std::string::npos);
  ASSERT_EQ(rec.done[0].evidence["attempts"].size(), 2u);
  for (const auto& a : rec.done[0].evidence["attempts"]) EXPECT_EQ(a["modem_result"], "BUSY");
  auto calls = line.Calls(2);
  ASSERT_EQ(calls.size(), 2u);
  for (const auto& c : calls) EXPECT_EQ(c["outcome"], "busy");
}

TEST(FaxRunner, InvalidReportFailsWithoutCalling) {
  const std::string dir = FreshTestDir("runner-invalid");
  asio::io_context io;
  auto guard = asio::make_work_guard(io);
  FaxSendOptions o;
  o.device = dir + "/no-modem-here";
  FaxRunner runner(io, o, RetryPolicy{}, dir + "/work", "", "");
  NoticeJob job = FaxJob(9, "0227331655");
  job.report.erase("agency");
  Record rec;
  runner.Start(job, rec.OnProgress(), rec.OnDone());
  ASSERT_TRUE(RunUntil(io, [&] { return !rec.done.empty(); }, seconds(30)));
  EXPECT_EQ(rec.done[0].kind, NoticeOutcome::Kind::kFailed);
  EXPECT_NE(rec.done[0].summary.find("not valid"), std::string::npos) << rec.done[0].summary;
  EXPECT_TRUE(rec.progress.empty());
  EXPECT_FALSE(std::filesystem::exists(dir + "/work/attempt-9.tif"));
}

TEST(FaxRunner, CancelledQueuedJobNeverCallsBackNorDials) {
  const std::string dir = FreshTestDir("runner-cancel-queued");
  FaxLineProcess line(dir);
  ASSERT_TRUE(line.Start({"--speed=8"}));
  asio::io_context io;
  auto guard = asio::make_work_guard(io);
  FaxRunner runner(io, OptionsFor(line), QuickPolicy(1, seconds(1)), dir + "/work", "", "");
  Record first, cancelled, last;
  runner.Start(FaxJob(1, "1111"), first.OnProgress(), first.OnDone());
  runner.Start(FaxJob(2, "0227331655"), cancelled.OnProgress(), cancelled.OnDone());
  runner.Cancel(2);
  runner.Start(FaxJob(3, "1111"), last.OnProgress(), last.OnDone());
  // FIFO: had job 2 not been dropped it would have been called before job 3.
  ASSERT_TRUE(RunUntil(io, [&] { return !last.done.empty(); }, seconds(60)));
  EXPECT_EQ(first.done.size(), 1u);
  EXPECT_TRUE(cancelled.order.empty());
  auto calls = line.Calls(2);
  ASSERT_EQ(calls.size(), 2u);
  for (const auto& c : calls) EXPECT_EQ(c["number"], "1111");
}

TEST(FaxRunner, CancelDuringRetryDelayEndsTheJobSilently) {
  const std::string dir = FreshTestDir("runner-cancel-sleeping");
  FaxLineProcess line(dir);
  ASSERT_TRUE(line.Start({"--speed=8"}));
  asio::io_context io;
  auto guard = asio::make_work_guard(io);
  // A ten-minute busy delay: the cancelled job must not call again when it ends.
  FaxRunner runner(io, OptionsFor(line), QuickPolicy(3, seconds(600)), dir + "/work", "", "");
  Record sleeping, next;
  runner.Start(FaxJob(5, "1111"), sleeping.OnProgress(), sleeping.OnDone());
  ASSERT_TRUE(RunUntil(io, [&] { return !sleeping.progress.empty(); }, seconds(60)));
  runner.Cancel(5);
  runner.Start(FaxJob(6, "1111"), next.OnProgress(), next.OnDone());
  ASSERT_TRUE(RunUntil(io, [&] { return !next.progress.empty(); }, seconds(60)));
  EXPECT_TRUE(sleeping.done.empty());
  EXPECT_EQ(sleeping.progress.size(), 1u);
}

// One recipient's busy number waits out its retry delay in the queue, not on
// the line: another recipient's notice queued behind it is called and
// confirmed meanwhile, and the busy one is tried again after.
TEST(FaxRunner, ABusyNumbersRetryWaitLeavesTheLineToTheNextNotice) {
  const std::string dir = FreshTestDir("runner-busy-waits-aside");
  FaxLineProcess line(dir);
  ASSERT_TRUE(line.Start({"--speed=8", "--busy=1111"}));
  asio::io_context io;
  auto guard = asio::make_work_guard(io);
  FaxRunner runner(io, OptionsFor(line), QuickPolicy(2, seconds(5)), dir + "/work", "", "");
  Record busy, good;
  runner.Start(FaxJob(21, "1111"), busy.OnProgress(), busy.OnDone());
  runner.Start(FaxJob(22, "0227331655"), good.OnProgress(), good.OnDone());
  ASSERT_TRUE(RunUntil(io, [&] { return !good.done.empty() && !busy.done.empty(); }, seconds(180)));
  EXPECT_EQ(good.done[0].kind, NoticeOutcome::Kind::kConfirmed) << good.done[0].summary;
  EXPECT_EQ(busy.done[0].kind, NoticeOutcome::Kind::kFailed);
  EXPECT_EQ(busy.done[0].evidence["attempts"].size(), 2u) << "both tries of the busy number kept";
  // The good call began after the busy number's first try and before its second.
  const auto& tries = busy.done[0].evidence["attempts"];
  const auto& call = good.done[0].evidence["attempts"].back();
  const std::string first_try_ended = tries[0].value("ended_at", ""), good_began = call.value("started_at", "");
  const std::string good_ended = call.value("ended_at", ""), second_try_began = tries[1].value("started_at", "");
  EXPECT_LT(first_try_ended, good_began);
  EXPECT_LT(good_began, second_try_began) << "the good number was called while the busy one waited to try again";
  EXPECT_LE(good_ended, second_try_began);
}

TEST(FaxRunner, StopMidCallReturnsHangsUpAndCallsNothing) {
  const std::string dir = FreshTestDir("runner-stop");
  FaxLineProcess line(dir);
  ASSERT_TRUE(line.Start({"--speed=8"}));
  asio::io_context io;
  auto guard = asio::make_work_guard(io);
  FaxRunner runner(io, OptionsFor(line), RetryPolicy{}, dir + "/work", "", "");
  Record rec;
  runner.Start(FaxJob(11, "0227331655"), rec.OnProgress(), rec.OnDone());
  // The answering machine opens its TIFF when T.30 reaches the document phase.
  const std::string rx = line.rx_dir() + "/call-1.tif";
  ASSERT_TRUE(RunUntil(io, [&] { return std::filesystem::exists(rx); }, seconds(60)));
  runner.Stop();
  io.poll();  // anything posted before Stop must stay silent
  EXPECT_TRUE(rec.order.empty());
  auto calls = line.Calls(1);
  ASSERT_EQ(calls.size(), 1u) << "the line never saw the call end";
  EXPECT_NE(calls[0]["outcome"], "received");
  // A stopped runner takes no new work and stays silent.
  runner.Start(FaxJob(12, "1111"), rec.OnProgress(), rec.OnDone());
  io.poll();
  EXPECT_TRUE(rec.order.empty());
}

}  // namespace
}  // namespace lifeline::fax

namespace lifeline::fax {
namespace {

// A far-end machine whose identity (CSI) is not text: invalid UTF-8 and an
// escape byte. The call is confirmed, its evidence written as safe text with
// the raw bytes beside it, through the runner and through `lifeline fax
// test` (which once ended with an uncaught JSON type_error 316 here).
TEST(FaxRunner, AnIdentityThatIsNotTextIsKeptAsBytes) {
  const std::string dir = FreshTestDir("runner-odd-csi");
  FaxLineProcess line(dir);
  ASSERT_TRUE(line.Start({"--speed=8", "--csi-hex=2b383836ff1b3232c3"}));
  asio::io_context io;
  auto guard = asio::make_work_guard(io);
  FaxRunner runner(io, OptionsFor(line), RetryPolicy{}, dir + "/work", "機關", "07-7995600");
  Record rec;
  runner.Start(FaxJob(51, "(02)2733-1655"), rec.OnProgress(), rec.OnDone());
  ASSERT_TRUE(RunUntil(io, [&] { return !rec.done.empty(); }, seconds(180)));
  const NoticeOutcome& out = rec.done[0];
  EXPECT_EQ(out.kind, NoticeOutcome::Kind::kConfirmed) << out.summary;
  const auto& attempt = out.evidence["attempts"].back();
  EXPECT_EQ(attempt.value("remote_csi_hex", ""), "2b383836ff1b3232c3") << attempt.dump();
  EXPECT_NO_THROW(out.evidence.dump()) << "the evidence is valid UTF-8";
  EXPECT_NE(out.summary.find("\\x1b"), std::string::npos) << out.summary;

  const std::string cmd = std::string(LIFELINE_BINARY_DIR) + "/tools/lifeline/lifeline --state-dir " + dir +
                          "/cli fax test 0227331655 --device " + line.modem() + " 2>&1";
  FILE* p = popen(cmd.c_str(), "r");
  ASSERT_NE(p, nullptr);
  std::string output;
  char buf[512];
  while (fgets(buf, sizeof buf, p)) output += buf;
  int rc = pclose(p);
  EXPECT_TRUE(WIFEXITED(rc) && WEXITSTATUS(rc) == 0) << output;
  EXPECT_NE(output.find("2b383836ff1b3232c3"), std::string::npos) << output;
  EXPECT_EQ(output.find("terminate called"), std::string::npos) << output;
}

}  // namespace
}  // namespace lifeline::fax
