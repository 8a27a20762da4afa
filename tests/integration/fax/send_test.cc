// The fax channel end to end against tools/fax-line: lifeline's Class 1 front
// end and spandsp's T.30 on one side of a pty, spandsp's T.31 modem and an
// answering fax machine on the other. Each call's evidence and
// the retry decision that follows it are checked, and a delivered form must
// arrive pixel for pixel. The long calls run on a line 8 times faster than real
// time (the same call sample for sample); a call at the real pace is
// fax_efax_interop_test's, and bench/fax's without --speed.
#include <gtest/gtest.h>

#include <fstream>
#include <optional>
#include <sstream>

#include "daemon/channels/fax/fax.h"
#include "tests/integration/fax/fax_line_process.h"

namespace lifeline::fax {
namespace {

using lifeline::testing::FaxLineProcess;
using lifeline::testing::FreshTestDir;
using std::chrono::seconds;

Report SampleReport() {
  std::ifstream in(std::string(LIFELINE_SOURCE_DIR) + "/config/sample-report.json");
  std::stringstream ss;
  ss << in.rdbuf();
  auto outcome = ValidateReport(ss.str());
  EXPECT_TRUE(outcome.ok()) << outcome.Describe();
  return *outcome.report;
}

FaxSendOptions OptionsFor(const FaxLineProcess& line) {
  FaxSendOptions o;
  o.device = line.modem();
  o.local_ident = "+886 7 7995600";
  o.dial_timeout = seconds(30);
  o.call_timeout = seconds(240);
  return o;
}

// The record fax-line kept of its only call.
nlohmann::json OnlyCall(FaxLineProcess& line) {
  auto calls = line.Calls(1, seconds(10));
  EXPECT_EQ(calls.size(), 1u);
  return calls.empty() ? nlohmann::json::object() : calls[0];
}

TEST(FaxSend, RenderedFormArrivesPixelForPixelWithEvidence) {
  const std::string dir = FreshTestDir("send-form");
  FaxLineProcess line(dir);
  ASSERT_TRUE(line.Start({"--speed=8"}));
  const Report report = SampleReport();
  FaxNotice notice;
  notice.reason = "機關對外網路中斷，無法連線國家資通安全通報應變網站";
  auto ev = RunFaxTest(OptionsFor(line), "0227331655", &report, notice, dir + "/out");
  ASSERT_TRUE(ev.ok()) << ev.status().ToString();
  std::ofstream(dir + "/evidence.json") << ev->ToJson().dump(2);  // for people reading the run
  SCOPED_TRACE(ev->ToJson().dump());
  EXPECT_TRUE(ev->success());
  EXPECT_EQ(ev->dial, DialResult::kAnswered);
  EXPECT_EQ(ev->t30_code, 0);
  EXPECT_EQ(ev->t30_text, "OK");
  EXPECT_NE(ev->remote_csi.find("2733"), std::string::npos);  // fax-line's default CSI
  EXPECT_TRUE(ev->ecm);  // on by default, and the answering machine offers it
  EXPECT_EQ(ev->bit_rate, 14400);
  EXPECT_EQ(ev->coding, "T.6 (MMR)");  // the best both sides support
  EXPECT_GE(ev->pages_in_document, 2);
  EXPECT_EQ(ev->pages_sent, ev->pages_in_document);
  EXPECT_EQ(ev->pages_confirmed, ev->pages_in_document);
  ASSERT_EQ(ev->pages.size(), static_cast<size_t>(ev->pages_in_document));
  for (const auto& p : ev->pages) EXPECT_EQ(p.response, "MCF");
  EXPECT_LE(ev->started_at, ev->ended_at);

  const auto call = OnlyCall(line);
  EXPECT_EQ(call["outcome"], "received");
  EXPECT_EQ(call["remote_ident"], "+886 7 7995600");
  auto sent = ReadTiffPages(ev->tiff_sent);
  auto received = ReadTiffPages(call["rx_file"].get<std::string>());
  ASSERT_TRUE(sent.ok() && received.ok());
  ASSERT_EQ(received->size(), sent->size());
  for (size_t i = 0; i < sent->size(); ++i) {
    EXPECT_EQ((*received)[i].width, (*sent)[i].width);
    EXPECT_EQ((*received)[i].height, (*sent)[i].height);
    EXPECT_TRUE((*received)[i].pixels == (*sent)[i].pixels) << "page " << i + 1 << " differs";
  }
  const auto d = DecideRetry(*ev, 1, seconds(60), ev->bit_rate, RetryPolicy{});
  EXPECT_EQ(d.action, RetryAction::kDone);
}

// The received pages equal the sent ones, pixel for pixel.
void ExpectSamePages(const std::string& sent_tiff, const std::string& received_tiff) {
  auto sent = ReadTiffPages(sent_tiff);
  auto received = ReadTiffPages(received_tiff);
  ASSERT_TRUE(sent.ok() && received.ok());
  ASSERT_EQ(received->size(), sent->size());
  for (size_t i = 0; i < sent->size(); ++i) {
    EXPECT_TRUE((*received)[i].pixels == (*sent)[i].pixels) << "page " << i + 1 << " differs";
  }
}

// Each coding the sender can be limited to is the one the call uses, as both
// ends record it, and the form still arrives pixel for pixel. On an 8x line.
TEST(FaxSend, EachOfferedCodingIsUsedAndArrivesPixelForPixel) {
  const std::string dir = FreshTestDir("send-codings");
  FaxLineProcess line(dir);
  ASSERT_TRUE(line.Start({"--speed=8", "--answer-delay-ms=0"}));
  const std::string tiff = dir + "/form.tif";
  ASSERT_TRUE(RenderFormTiff(SampleReport(), FaxNotice{}, {}, tiff).ok());
  struct Case {
    Coding best;
    bool ecm;
    const char* ours;
    const char* theirs;
  };
  const std::vector<Case> cases = {{Coding::kMh, true, "T.4 1-D (MH)", "T.4 1-D"},
                                   {Coding::kMr, true, "T.4 2-D (MR)", "T.4 2-D"},
                                   {Coding::kT6, false, "T.4 2-D (MR)", "T.4 2-D"},  // no ECM, no T.6
                                   {Coding::kT6, true, "T.6 (MMR)", "T.6"}};
  for (size_t i = 0; i < cases.size(); ++i) {
    FaxSendOptions o = OptionsFor(line);
    o.best_coding = cases[i].best;
    o.ecm = cases[i].ecm;
    AttemptEvidence ev = SendFaxAttempt(o, "0227331655", tiff);
    SCOPED_TRACE(ev.ToJson().dump());
    ASSERT_TRUE(ev.success());
    EXPECT_EQ(ev.coding, cases[i].ours);
    EXPECT_EQ(ev.ToJson()["coding"], cases[i].ours) << "the coding is in the journaled evidence";
    auto calls = line.Calls(i + 1, seconds(10));
    ASSERT_EQ(calls.size(), i + 1);
    EXPECT_EQ(calls[i]["coding"], cases[i].theirs) << "the receiver's own record agrees";
    ExpectSamePages(tiff, calls[i]["rx_file"].get<std::string>());
  }
}

TEST(FaxSend, BusyLineIsRecordedAndRetriedAfterTheBusyDelay) {
  FaxLineProcess line(FreshTestDir("send-busy"));
  ASSERT_TRUE(line.Start());
  auto ev = RunFaxTest(OptionsFor(line), "1111", nullptr, {}, line.rx_dir() + "/../out");
  ASSERT_TRUE(ev.ok());
  SCOPED_TRACE(ev->ToJson().dump());
  EXPECT_EQ(ev->dial, DialResult::kBusy);
  EXPECT_EQ(ev->modem_result, "BUSY");
  EXPECT_EQ(ev->t30_code, -1);
  EXPECT_EQ(ev->pages_confirmed, 0);
  EXPECT_FALSE(ev->success());
  EXPECT_EQ(OnlyCall(line)["outcome"], "busy");
  RetryPolicy policy;
  const auto d = DecideRetry(*ev, 1, seconds(0), 14400, policy);
  EXPECT_EQ(d.action, RetryAction::kRetry);
  EXPECT_EQ(d.delay, policy.busy_delay);
}

TEST(FaxSend, NoAnswerIsRecordedAndRetriedAfterTheNoAnswerDelay) {
  FaxLineProcess line(FreshTestDir("send-noanswer"));
  ASSERT_TRUE(line.Start({"--no-answer-ms=3000"}));
  auto ev = RunFaxTest(OptionsFor(line), "2222", nullptr, {}, line.rx_dir() + "/../out");
  ASSERT_TRUE(ev.ok());
  SCOPED_TRACE(ev->ToJson().dump());
  EXPECT_EQ(ev->dial, DialResult::kNoAnswer);
  EXPECT_EQ(ev->modem_result, "NO ANSWER");
  EXPECT_EQ(ev->t30_code, -1);
  EXPECT_EQ(OnlyCall(line)["outcome"], "no_answer");
  RetryPolicy policy;
  auto d = DecideRetry(*ev, 2, seconds(600), 14400, policy);
  EXPECT_EQ(d.action, RetryAction::kRetry);
  EXPECT_EQ(d.delay, policy.no_answer_delay);
  // The same failure with the budget nearly spent is given up, saying why.
  d = DecideRetry(*ev, 2, policy.budget - seconds(60), 14400, policy);
  EXPECT_EQ(d.action, RetryAction::kGiveUp);
  EXPECT_NE(d.reason.find("budget"), std::string::npos);
}

TEST(FaxSend, LineCutMidPageLeavesPagesUnconfirmedAndRetriesSlower) {
  const std::string dir = FreshTestDir("send-cut");
  FaxLineProcess line(dir);
  ASSERT_TRUE(line.Start({"--speed=8"}));  // dead 3 s of line time after the answering machine's CFR
  FaxSendOptions o = OptionsFor(line);
  o.ecm = false;  // off on request; the cut then falls in plain T.4 page data
  RenderOptions standard;
  standard.resolution = Resolution::kStandard;  // half the rows: a shorter call
  const std::string tiff = dir + "/form.tif";
  auto pages = RenderFormTiff(SampleReport(), FaxNotice{}, standard, tiff);
  ASSERT_TRUE(pages.ok());
  std::optional<AttemptEvidence> ev = SendFaxAttempt(o, "3333", tiff);
  std::ofstream(dir + "/evidence.json") << ev->ToJson().dump(2);
  SCOPED_TRACE(ev->ToJson().dump());
  EXPECT_EQ(ev->dial, DialResult::kAnswered);
  EXPECT_FALSE(ev->success());
  EXPECT_FALSE(ev->ecm);
  EXPECT_EQ(ev->pages_in_document, *pages);
  EXPECT_EQ(ev->pages_confirmed, 0);
  EXPECT_TRUE(ev->error.empty()) << "the modem side did not fail; T.30 did";
  // A T.30 failure, not a modem or dialling one: the page went out, nothing came back.
  EXPECT_EQ(ev->t30_text, "No response after sending a page");
  const auto call = OnlyCall(line);
  EXPECT_EQ(call["outcome"], "cut");
  EXPECT_EQ(call["pages_received"], 0);
  RetryPolicy policy;
  const auto d = DecideRetry(*ev, 1, seconds(120), 14400, policy);
  EXPECT_EQ(d.action, RetryAction::kRetry);
  EXPECT_EQ(d.delay, policy.call_failed_delay);
  EXPECT_EQ(d.next_max_bit_rate, 9600);
}

TEST(FaxSend, NoDialToneIsRecorded) {
  FaxLineProcess line(FreshTestDir("send-nodialtone"));
  ASSERT_TRUE(line.Start());
  auto ev = RunFaxTest(OptionsFor(line), "4444", nullptr, {}, line.rx_dir() + "/../out");
  ASSERT_TRUE(ev.ok());
  EXPECT_EQ(ev->dial, DialResult::kNoDialtone) << ev->ToJson().dump();
  RetryPolicy policy;
  EXPECT_EQ(DecideRetry(*ev, 1, seconds(0), 14400, policy).delay, policy.no_dialtone_delay);
}

}  // namespace
}  // namespace lifeline::fax
