// NutPowerSource against Debian's real upsd and dummy-ups driver on loopback: the UPS goes
// OL -> OB -> OB LB -> OL by rewriting the driver's .dev file, and upsd or the driver goes
// away and comes back; bytes that are not text (invalid UTF-8, control bytes) reach it through
// the driver and upsd as a UPS's garbage would. Waits are bounded; assertions are on the states
// reported.
#include <gtest/gtest.h>

#include <asio.hpp>
#include <functional>
#include <vector>

#include "daemon/power/power.h"
#include "tests/integration/power/nut_processes.h"

namespace lifeline {
namespace {

using namespace std::chrono_literals;
using testing::NutDevice;
using testing::NutProcesses;

class NutIntegrationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Status started = nut_.Start({"OL", 1800, 100});
    ASSERT_TRUE(started.ok()) << "NUT did not start, so nothing here can be tested: "
                              << started.ToString();
    NutOptions options;
    options.port = nut_.port();
    options.ups = NutProcesses::kUps;
    options.poll_interval = 200ms;
    options.request_timeout = 2s;
    // Only flag changes count here: the driver may hand upsd a new runtime a poll before
    // the new status, and that alone is not a transition under test.
    options.runtime_step = 24h;
    source_ = std::make_unique<NutPowerSource>(io_, options);
    source_->OnChange([this](const PowerState& s) { reports_.push_back(s); });
    ASSERT_TRUE(source_->Start().ok());
  }

  // Runs the loop until `n` reports have arrived; bounded at 30 s, generous for a driver
  // that looks at its file once a second.
  bool AwaitReports(size_t n) {
    for (int i = 0; i < 300 && reports_.size() < n; ++i) io_.run_for(100ms);
    return reports_.size() >= n;
  }

  std::string Reports() const {
    std::string s;
    for (const PowerState& r : reports_) s += "\n  " + DescribePowerState(r);
    return s;
  }

  void Drive(const NutDevice& device) {
    Status set = nut_.SetDevice(device);
    ASSERT_TRUE(set.ok()) << set.ToString();
    size_t want = reports_.size() + 1;
    ASSERT_TRUE(AwaitReports(want)) << "no report after ups.status " << device.status
                                    << "; reports so far:" << Reports() << "\n" << nut_.Logs();
  }

  NutProcesses nut_;
  asio::io_context io_;
  std::unique_ptr<NutPowerSource> source_;
  std::vector<PowerState> reports_;
};

TEST_F(NutIntegrationTest, ReportsOlObLowBatteryAndBackOnceEach) {
  ASSERT_TRUE(AwaitReports(1)) << nut_.Logs();
  EXPECT_TRUE(reports_[0].mains_ok);
  EXPECT_EQ(reports_[0].runtime, 1800s);

  ASSERT_NO_FATAL_FAILURE(Drive({"OB DISCHRG", 1200, 80}));
  EXPECT_TRUE(reports_[1].on_battery);
  EXPECT_FALSE(reports_[1].low_battery);
  EXPECT_EQ(reports_[1].runtime, 1200s);
  EXPECT_EQ(reports_[1].charge_percent, 80);

  ASSERT_NO_FATAL_FAILURE(Drive({"OB LB", 120, 10}));
  EXPECT_TRUE(reports_[2].on_battery);
  EXPECT_TRUE(reports_[2].low_battery);
  EXPECT_EQ(reports_[2].runtime, 120s);

  ASSERT_NO_FATAL_FAILURE(Drive({"OL CHRG", 1500, 40}));
  EXPECT_TRUE(reports_[3].mains_ok);
  EXPECT_FALSE(reports_[3].low_battery);
  EXPECT_EQ(reports_[3].runtime, 1500s);

  // Several more polls of an unchanged UPS add nothing.
  for (int i = 0; i < 15; ++i) io_.run_for(100ms);
  EXPECT_EQ(reports_.size(), 4u) << Reports();
  EXPECT_TRUE(source_->Current().mains_ok);
}

TEST_F(NutIntegrationTest, UpsdGoneIsUnknownAndItsReturnIsNoticed) {
  ASSERT_TRUE(AwaitReports(1)) << nut_.Logs();
  ASSERT_NO_FATAL_FAILURE(Drive({"OB", 900, 50}));

  nut_.StopUpsd();
  ASSERT_TRUE(AwaitReports(3)) << "no report after upsd stopped:" << Reports();
  EXPECT_FALSE(reports_[2].known);
  EXPECT_FALSE(reports_[2].mains_ok);  // unknown is never "mains ok"
  EXPECT_FALSE(source_->Current().known);

  Status restarted = nut_.StartUpsd();
  ASSERT_TRUE(restarted.ok()) << restarted.ToString();
  ASSERT_TRUE(AwaitReports(4)) << "no report after upsd came back:" << Reports() << "\n" << nut_.Logs();
  EXPECT_TRUE(reports_[3].on_battery);
  EXPECT_EQ(reports_[3].runtime, 900s);
}

TEST_F(NutIntegrationTest, DriverGoneIsUnknown) {
  ASSERT_TRUE(AwaitReports(1)) << nut_.Logs();
  nut_.StopDriver();
  ASSERT_TRUE(AwaitReports(2)) << "no report after the driver stopped:" << Reports() << "\n" << nut_.Logs();
  // upsd says DRIVER-NOT-CONNECTED, or first passes on the driver's parting "WAIT" status;
  // either way it is no reading of the mains.
  EXPECT_FALSE(reports_[1].known) << reports_[1].detail;
  EXPECT_FALSE(reports_[1].mains_ok);
  EXPECT_FALSE(reports_[1].detail.empty());
}

// A upsd that answers each LIST VAR with the reply the test sets: the lowest level at which
// bytes that are not text can reach the client, since Debian's driver and upsd pass on
// printable values only (a garbled UPS is cleaned before upsd serves it).
class ScriptedUpsd {
 public:
  explicit ScriptedUpsd(asio::io_context& io) : acceptor_(io, {asio::ip::make_address("127.0.0.1"), 0}) {
    Accept();
  }
  uint16_t port() const { return acceptor_.local_endpoint().port(); }
  std::string reply;  // the whole answer to one LIST VAR, sent as bytes

 private:
  struct Connection {
    explicit Connection(asio::ip::tcp::socket s) : socket(std::move(s)) {}
    asio::ip::tcp::socket socket;
    asio::streambuf in;
    std::string out;
  };
  void Accept() {
    acceptor_.async_accept([this](std::error_code ec, asio::ip::tcp::socket s) {
      if (ec) return;
      Serve(std::make_shared<Connection>(std::move(s)));
      Accept();
    });
  }
  void Serve(std::shared_ptr<Connection> c) {
    asio::async_read_until(c->socket, c->in, '\n', [this, c](std::error_code ec, size_t n) {
      if (ec) return;
      c->in.consume(n);
      c->out = reply;
      asio::async_write(c->socket, asio::buffer(c->out), [this, c](std::error_code e, size_t) {
        if (!e) Serve(c);
      });
    });
  }
  asio::ip::tcp::acceptor acceptor_;
};

std::string ListVar(const std::string& vars) {
  return "BEGIN LIST VAR test\n" + vars + "END LIST VAR test\n";
}

// Bytes that are not text from upsd (invalid UTF-8, control bytes, NUL): the reading is
// unknown (never "mains ok"), its reason is printable ASCII, and the next good reading is
// taken again.
TEST(NutScriptedUpsdTest, BytesThatAreNotTextAreAnUnknownReadingWithAPrintableReason) {
  asio::io_context io;
  ScriptedUpsd upsd(io);
  const std::string good = ListVar("VAR test ups.status \"OB\"\nVAR test battery.runtime \"500\"\n");
  upsd.reply = good;
  NutOptions options;
  options.port = upsd.port();
  options.ups = "test";
  options.poll_interval = 100ms;
  options.request_timeout = 2s;
  options.runtime_step = 24h;
  NutPowerSource source(io, options);
  std::vector<PowerState> reports;
  source.OnChange([&](const PowerState& s) { reports.push_back(s); });
  ASSERT_TRUE(source.Start().ok());
  auto await = [&](size_t n) {
    for (int i = 0; i < 100 && reports.size() < n; ++i) io.run_for(100ms);
    return reports.size() >= n;
  };
  auto printable = [](const std::string& s) {
    for (unsigned char c : s) {
      if (c < 0x20 || c >= 0x7f) return false;
    }
    return true;
  };
  ASSERT_TRUE(await(1));
  ASSERT_TRUE(reports[0].known && reports[0].on_battery) << DescribePowerState(reports[0]);

  const std::string garbage[] = {
      ListVar("VAR test ups.status \"OB \xff\xfe\x01LB\"\n"),
      std::string("\xff\xfe\x00\x01\x1b[2J\n", 9),
      ListVar(std::string("VAR test ups.status \"O\0B\"\n", 26)),
  };
  for (const std::string& reply : garbage) {
    upsd.reply = reply;
    ASSERT_TRUE(await(reports.size() + 1)) << "no report after a reply that is not text";
    const PowerState& bad = reports.back();
    EXPECT_FALSE(bad.known) << DescribePowerState(bad);
    EXPECT_FALSE(bad.mains_ok);
    EXPECT_FALSE(bad.detail.empty());
    EXPECT_TRUE(printable(bad.detail)) << bad.detail;
    EXPECT_TRUE(printable(DescribePowerState(bad))) << DescribePowerState(bad);
    upsd.reply = good;
    ASSERT_TRUE(await(reports.size() + 1)) << "the good reading was not taken again";
    EXPECT_TRUE(reports.back().known && reports.back().on_battery) << DescribePowerState(reports.back());
  }
}

}  // namespace
}  // namespace lifeline
