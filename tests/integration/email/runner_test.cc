// EmailRunner against a real SMTP server (aiosmtpd) on 127.0.0.1: an accepted
// notice is confirmed with the server's reply as evidence; a refused recipient
// fails at once; a server that is down is retried with progress, then failed;
// a cancelled job never calls back and Stop ends a job sleeping before a retry.
#include <gtest/gtest.h>

#include <functional>
#include <thread>

#include "daemon/channels/email/email_runner.h"
#include "tests/integration/email/smtp_server_process.h"

namespace lifeline::email {
namespace {

using testing::ServerOptions;
using testing::SmtpServerProcess;
using std::chrono::milliseconds;
using std::chrono::seconds;

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
    io.run_for(milliseconds(50));
    if (io.stopped()) io.restart();
  }
  return pred();
}

std::unique_ptr<SmtpServerProcess> StartServer(const std::string& name, ServerOptions o = {}) {
  auto server = SmtpServerProcess::Start(name, o);
  EXPECT_TRUE(server.ok()) << server.status().ToString();
  return server.ok() ? std::move(server).value() : nullptr;
}

SmtpOptions To(int port) {
  SmtpOptions o;
  o.host = "127.0.0.1";
  o.port = port;
  o.security = SmtpSecurity::kPlain;
  o.connect_timeout = seconds(5);
  o.total_timeout = seconds(30);
  return o;
}

NoticeJob MailJob(int64_t attempt_id) {
  NoticeJob j;
  j.attempt_id = attempt_id;
  j.report_id = "7f1d7a52-2f1e-4d7a-9a55-0c1b7e0f3a11";
  j.recipient_key = "superior";
  j.recipient_name = "上級機關資安窗口";
  j.address = {"email", "window@superior.gov.tw", ""};
  j.subject = "【資安事件通報】第3級 某某機關 網頁置換（因網路中斷改以電子郵件通報）";
  j.text = "機關：某某機關\n等級：3\n原因：網路中斷\n";
  return j;
}

EmailRunner MakeRunner(asio::io_context& io, int port, int max_attempts = 3,
                       milliseconds retry_delay = milliseconds(200)) {
  return EmailRunner(io, To(port), "lifeline@agency.gov.tw", "資安事件通報系統", max_attempts,
                     retry_delay);
}

// The configured server is the recipients' own domain's ([email]
// relay_is_recipient_domain): its acceptance confirms.
TEST(EmailRunner, AcceptedByTheRecipientsDomainIsConfirmedWithTheServersReply) {
  auto server = StartServer("runner-accept");
  ASSERT_TRUE(server);
  asio::io_context io;
  auto guard = asio::make_work_guard(io);
  EmailRunner runner(io, To(server->port()), "lifeline@agency.gov.tw", "資安事件通報系統", 3, seconds(60),
                     EmailConfirmation{true});
  Record rec;
  runner.Start(MailJob(21), rec.OnProgress(), rec.OnDone());
  ASSERT_TRUE(RunUntil(io, [&] { return !rec.done.empty(); }, seconds(60)));
  const NoticeOutcome& out = rec.done[0];
  SCOPED_TRACE(out.evidence.dump());
  EXPECT_EQ(out.kind, NoticeOutcome::Kind::kConfirmed) << out.summary;
  EXPECT_EQ(out.evidence["verdict"], "accepted");
  EXPECT_EQ(out.evidence["smtp_code"], 250);
  EXPECT_EQ(out.evidence["smtp_reply"], "250 2.0.0 Ok: queued as LL0001");
  EXPECT_EQ(out.evidence["accepted_recipients"],
            nlohmann::json::array({"window@superior.gov.tw"}));
  EXPECT_EQ(out.evidence["attempt"], 1);
  EXPECT_NE(out.summary.find("250 2.0.0 Ok: queued as LL0001"), std::string::npos);
  EXPECT_TRUE(rec.progress.empty());
  for (auto id : rec.threads) EXPECT_EQ(id, std::this_thread::get_id());  // posted to io
  auto messages = server->Messages();
  ASSERT_EQ(messages.size(), 1u);
  EXPECT_NE(messages[0].envelope_json.find("window@superior.gov.tw"), std::string::npos);
  EXPECT_NE(out.evidence["message_id"].get<std::string>().find("@agency.gov.tw>"),
            std::string::npos);
}

// A relay's 250 is not the recipient's: "sent", which ends the attempt
// without confirming, unless the address itself says the relay is its domain's.
TEST(EmailRunner, AcceptedByARelayIsSentNotConfirmedUnlessTheAddressSaysOtherwise) {
  auto server = StartServer("runner-relay");
  ASSERT_TRUE(server);
  asio::io_context io;
  auto guard = asio::make_work_guard(io);
  EmailRunner runner = MakeRunner(io, server->port());
  Record rec;
  runner.Start(MailJob(24), rec.OnProgress(), rec.OnDone());
  NoticeJob own = MailJob(25);
  own.address.relay_is_recipient_domain = true;
  runner.Start(own, rec.OnProgress(), rec.OnDone());
  ASSERT_TRUE(RunUntil(io, [&] { return rec.done.size() == 2; }, seconds(60)));
  EXPECT_EQ(rec.done[0].kind, NoticeOutcome::Kind::kSent) << rec.done[0].summary;
  EXPECT_EQ(rec.done[0].evidence["verdict"], "accepted");
  EXPECT_EQ(rec.done[0].evidence["confirmation"], "accepted by a relay: sent, not confirmed");
  EXPECT_NE(rec.done[0].summary.find("not confirmed"), std::string::npos);
  EXPECT_EQ(rec.done[1].kind, NoticeOutcome::Kind::kConfirmed) << rec.done[1].summary;
  EXPECT_EQ(server->Messages().size(), 2u);
}

TEST(EmailRunner, RefusedRecipientFailsAtOnce) {
  ServerOptions o;
  o.rcpt_reply = "550 5.1.1 No such user";
  auto server = StartServer("runner-refused", o);
  ASSERT_TRUE(server);
  asio::io_context io;
  auto guard = asio::make_work_guard(io);
  EmailRunner runner = MakeRunner(io, server->port());
  Record rec;
  runner.Start(MailJob(22), rec.OnProgress(), rec.OnDone());
  ASSERT_TRUE(RunUntil(io, [&] { return !rec.done.empty(); }, seconds(60)));
  const NoticeOutcome& out = rec.done[0];
  SCOPED_TRACE(out.evidence.dump());
  EXPECT_EQ(out.kind, NoticeOutcome::Kind::kFailed);
  EXPECT_EQ(out.evidence["verdict"], "permanent");
  EXPECT_EQ(out.evidence["failure_class"], "rcpt");
  EXPECT_EQ(out.evidence["smtp_reply"], "550 5.1.1 No such user");
  EXPECT_EQ(out.evidence["attempt"], 1);
  EXPECT_NE(out.summary.find("refused permanently"), std::string::npos) << out.summary;
  EXPECT_TRUE(rec.progress.empty());
  EXPECT_TRUE(server->Messages().empty());
}

TEST(EmailRunner, ServerDownIsRetriedWithProgressThenFailed) {
  auto server = StartServer("runner-down");
  ASSERT_TRUE(server);
  const int port = server->port();
  server->Stop();  // the port now refuses connections
  asio::io_context io;
  auto guard = asio::make_work_guard(io);
  EmailRunner runner = MakeRunner(io, port, 3, milliseconds(100));
  Record rec;
  runner.Start(MailJob(23), rec.OnProgress(), rec.OnDone());
  ASSERT_TRUE(RunUntil(io, [&] { return !rec.done.empty(); }, seconds(60)));
  const NoticeOutcome& out = rec.done[0];
  SCOPED_TRACE(out.evidence.dump());
  EXPECT_EQ(rec.order, (std::vector<std::string>{"progress", "progress", "done"}));
  for (const auto& [summary, evidence] : rec.progress) {
    EXPECT_EQ(evidence["verdict"], "temporary");
    EXPECT_EQ(evidence["failure_class"], "connect");
  }
  EXPECT_EQ(out.kind, NoticeOutcome::Kind::kFailed);
  EXPECT_EQ(out.evidence["attempt"], 3);
  EXPECT_EQ(out.evidence["failure_class"], "connect");
  EXPECT_NE(out.summary.find("gave up after 3 attempts"), std::string::npos) << out.summary;
}

TEST(EmailRunner, CancelledJobsNeverCallBack) {
  auto server = StartServer("runner-cancel");
  ASSERT_TRUE(server);
  const int down_port = [] {
    auto s = SmtpServerProcess::Start("runner-cancel-down", {});
    if (!s.ok()) return 0;
    const int p = (*s)->port();
    (*s)->Stop();
    return p;
  }();
  ASSERT_NE(down_port, 0);
  asio::io_context io;
  auto guard = asio::make_work_guard(io);
  // A ten-minute retry delay: only an interrupted sleep lets the next job run.
  EmailRunner down = MakeRunner(io, down_port, 3, std::chrono::minutes(10));
  Record sleeping, queued;
  down.Start(MailJob(31), sleeping.OnProgress(), sleeping.OnDone());
  down.Start(MailJob(32), queued.OnProgress(), queued.OnDone());
  down.Cancel(32);
  ASSERT_TRUE(RunUntil(io, [&] { return !sleeping.progress.empty(); }, seconds(30)));
  down.Cancel(31);
  Record after;
  down.Start(MailJob(33), after.OnProgress(), after.OnDone());
  ASSERT_TRUE(RunUntil(io, [&] { return !after.progress.empty(); }, seconds(30)));
  EXPECT_TRUE(queued.order.empty());
  EXPECT_EQ(sleeping.order, std::vector<std::string>{"progress"});
  down.Stop();  // job 33 is sleeping for ten minutes: Stop must not wait for it
  io.poll();
  EXPECT_EQ(after.order, std::vector<std::string>{"progress"});
}

}  // namespace
}  // namespace lifeline::email
