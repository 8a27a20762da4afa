// The metrics exposition from a real store: every sample read back by a
// small parser of the text format and compared with what the store holds,
// label values escaped, the histogram cumulative, /proc/self/status parsed,
// and the whole text passed through Prometheus' own `promtool check metrics`
// (Debian's prometheus package) when it is installed.
#include "daemon/metrics/metrics.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "tests/support/command.h"
#include "tests/support/report_factory.h"
#include "tests/support/skip.h"

namespace lifeline {
namespace {

namespace fs = std::filesystem;
using testing_support::NewDocument;
using testing_support::ToReport;

// "name{a=\"x\",b=\"y\"}" -> value, as written (labels in their order).
std::map<std::string, double> Samples(const std::string& text) {
  std::map<std::string, double> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (line.empty() || line[0] == '#') continue;
    const size_t space = line.rfind(' ');
    out[line.substr(0, space)] = std::stod(line.substr(space + 1));
  }
  return out;
}

class MetricsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::path(::testing::TempDir()) / ("metrics-" + NewUuidV4().value());
    fs::create_directories(dir_);
    StoreOptions o{(dir_ / "lifeline.db").string(), (dir_ / "journal.key").string(), "", kStoreSchemaVersion, ""};
    auto s = Store::Open(o, clock_);
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    store_ = std::move(*s);
  }
  void TearDown() override { fs::remove_all(dir_); }
  Report Submit() {
    Report r = ToReport(NewDocument());
    EXPECT_TRUE(store_->Submit(r, "tw-2021", nlohmann::json::array()).ok());
    return r;
  }

  fs::path dir_;
  SimulatedClock clock_{ParseRfc3339("2026-11-21T10:05:00+08:00")->instant};
  std::unique_ptr<Store> store_;
};

TEST_F(MetricsTest, ReportsAndNotificationsAreCountedFromTheStore) {
  Report a = Submit(), b = Submit(), c = Submit();
  ASSERT_TRUE(store_->TransitionReport(a.id, 1, ReportState::kAccepted, {}).ok());
  ASSERT_TRUE(store_->SetSiteReceipt(a.id, 1, "NCCST-1").ok());
  ASSERT_TRUE(store_->AddNotification(b.id, 1, "superior", "2026-11-21T10:58:00+08:00").ok());
  auto counts = store_->Counts();
  ASSERT_TRUE(counts.ok()) << counts.status().ToString();
  Histogram h;
  const std::string text = RenderMetrics(*counts, {}, {}, h, clock_.Now(), "0.1.0");
  auto s = Samples(text);
  EXPECT_EQ(s["lifeline_reports{state=\"queued\",drill=\"false\"}"], 2);
  EXPECT_EQ(s["lifeline_reports{state=\"accepted\",drill=\"false\"}"], 1);
  EXPECT_EQ(s.count("lifeline_reports{state=\"fallback\",drill=\"true\"}"), 1u) << "known states are written at zero";
  EXPECT_EQ(s["lifeline_notifications{state=\"pending\"}"], 1);
  EXPECT_EQ(s["lifeline_journal_entries"], static_cast<double>(*store_->db().QueryInt("SELECT MAX(seq) FROM journal")));
  // The sample report's awareness lies before the store's clock; the age is the difference.
  const double age = s["lifeline_oldest_unaccepted_report_age_seconds"];
  const WallTime aware = ParseRfc3339(b.document["aware_at"].get<std::string>())->instant;
  EXPECT_DOUBLE_EQ(age, std::chrono::duration<double>(clock_.Now() - aware).count());
  EXPECT_EQ(s["lifeline_build_info{version=\"0.1.0\"}"], 1);
}

TEST_F(MetricsTest, LiveStateIsRenderedWithEscapedLabels) {
  auto counts = store_->Counts();
  ASSERT_TRUE(counts.ok());
  LiveState live;
  live.site_state = "outage";
  live.site_reason = "dns \"site.example\" failed\nthen \\ timeout";
  live.power_known = live.on_battery = true;
  live.battery_charge_percent = 64;
  live.modem = LiveState::Modem{true, true, -71};
  live.nearest_deadline = clock_.Now() + std::chrono::seconds(1500);
  live.contacts.push_back({"fax", false, 4000.0, true});
  live.hook_runs[{"outage", "timeout"}] = 2;
  Histogram h;
  const std::string text = RenderMetrics(*counts, live, {}, h, clock_.Now(), "0.1.0");
  auto s = Samples(text);
  EXPECT_EQ(s["lifeline_site_link_up"], 0);
  EXPECT_EQ(s["lifeline_site_link_state{state=\"outage\",reason=\"dns \\\"site.example\\\" failed\\nthen \\\\ timeout\"}"], 1)
      << text;
  EXPECT_EQ(s["lifeline_power_on_battery"], 1);
  EXPECT_DOUBLE_EQ(s["lifeline_battery_charge_ratio"], 0.64);
  EXPECT_EQ(s["lifeline_modem_signal_dbm"], -71);
  EXPECT_EQ(s["lifeline_nearest_deadline_seconds"], 1500);
  EXPECT_EQ(s["lifeline_contact_channel_up{channel=\"fax\"}"], 0);
  EXPECT_EQ(s["lifeline_contact_channel_alert{channel=\"fax\"}"], 1);
  EXPECT_EQ(s["lifeline_hook_runs_total{event=\"outage\",outcome=\"timeout\"}"], 2);
}

TEST(Histogram, BucketsAreCumulativeAndCountTheObservations) {
  Histogram h;
  for (int us : {100, 700, 3000, 3000, 5'000'000}) h.Observe(std::chrono::microseconds(us));
  Exposition out;
  h.Write(out, "t_seconds", "test");
  auto s = Samples(out.text());
  EXPECT_EQ(s["t_seconds_bucket{le=\"0.0005\"}"], 1);
  EXPECT_EQ(s["t_seconds_bucket{le=\"0.001\"}"], 2);
  EXPECT_EQ(s["t_seconds_bucket{le=\"0.005\"}"], 4);
  EXPECT_EQ(s["t_seconds_bucket{le=\"2.5\"}"], 4);
  EXPECT_EQ(s["t_seconds_bucket{le=\"+Inf\"}"], 5);
  EXPECT_EQ(s["t_seconds_count"], 5);
  EXPECT_DOUBLE_EQ(s["t_seconds_sum"], 5.0068);
}

TEST(ProcStatus, ResidentFiguresAreReadInBytesAndMissingLinesAreZero) {
  auto m = ParseProcStatus("Name:\tlifelined\nVmHWM:\t   21000 kB\nVmRSS:\t   20000 kB\nRssAnon:\t    6200 kB\n"
                           "RssFile:\t   13800 kB\nRssShmem:\t       0 kB\n");
  EXPECT_EQ(m.rss, 20000u * 1024);
  EXPECT_EQ(m.rss_anon, 6200u * 1024);
  EXPECT_EQ(m.rss_file, 13800u * 1024);
  EXPECT_EQ(m.vm_hwm, 21000u * 1024);
  auto empty = ParseProcStatus("garbage\nVmRSS: lots\n");
  EXPECT_EQ(empty.rss, 0u);
  EXPECT_GT(ReadProcessMemory().rss, 0u);
}

TEST_F(MetricsTest, PromtoolAcceptsTheExposition) {
  if (testing_support::RunCommand("command -v promtool >/dev/null").exit_code != 0) {
    LIFELINE_SKIP_OR_FAIL("promtool (Debian package prometheus) is not installed");
  }
  Submit();
  auto counts = store_->Counts();
  ASSERT_TRUE(counts.ok());
  LiveState live;
  live.site_state = "outage";
  live.site_reason = "connect \"refused\"";
  live.modem = LiveState::Modem{false, false, std::nullopt};
  live.contacts.push_back({"sms", false, 10.0, false});
  live.hook_runs[{"report_accepted", "ok"}] = 1;
  Histogram h;
  h.Observe(std::chrono::microseconds(1200));
  const std::string path = (dir_ / "metrics.txt").string();
  std::ofstream(path) << RenderMetrics(*counts, live, ReadProcessMemory(), h, clock_.Now(), "0.1.0");
  auto r = testing_support::RunCommand("promtool check metrics < " + path + " 2>&1");
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(r.output, "") << "promtool's lint findings";
}

}  // namespace
}  // namespace lifeline
