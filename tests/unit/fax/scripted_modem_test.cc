// The sender against modems that misbehave, scripted on a real pty: a modem
// that refuses Class 1, one that never answers, and one that hangs up mid-dial.
// Each must end in evidence (modem_error with the reason), never a hang.
#include <fcntl.h>
#include <poll.h>
#include <pty.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <functional>
#include <string>
#include <thread>

#include "daemon/channels/fax/fax.h"

namespace lifeline::fax {
namespace {

// Reads commands (CR-terminated) from the pty master and answers with `reply`.
class ScriptedModem {
 public:
  explicit ScriptedModem(std::function<std::string(const std::string&)> reply)
      : reply_(std::move(reply)) {
    char name[256];
    int slave = -1;
    EXPECT_EQ(openpty(&master_, &slave, name, nullptr, nullptr), 0);
    close(slave);
    device_ = name;
    thread_ = std::thread([this] { Loop(); });
  }
  ~ScriptedModem() {
    stop_ = true;
    thread_.join();
    close(master_);
  }
  const std::string& device() const { return device_; }

 private:
  void Loop() {
    std::string line;
    while (!stop_) {
      pollfd p{master_, POLLIN, 0};
      if (poll(&p, 1, 20) <= 0 || !(p.revents & POLLIN)) continue;
      char c;
      if (read(master_, &c, 1) != 1) continue;
      if (c != '\r') {
        line.push_back(c);
        continue;
      }
      const std::string out = reply_(line);
      line.clear();
      if (!out.empty() && write(master_, out.data(), out.size()) < 0) return;
    }
  }

  std::function<std::string(const std::string&)> reply_;
  int master_ = -1;
  std::string device_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

std::string OnePageTiff() {
  const std::string dir = std::string(LIFELINE_BINARY_DIR) + "/test-tmp/fax/scripted";
  std::filesystem::create_directories(dir);
  const std::string tiff = dir + "/one.tif";
  EXPECT_TRUE(WriteTiffF({FaxPage(kPageWidth, 100)}, Resolution::kFine, tiff).ok());
  return tiff;
}

TEST(ScriptedModem, ModemWithoutClass1IsAModemError) {
  ScriptedModem modem([](const std::string& cmd) {
    return cmd == "AT+FCLASS=1" ? std::string("\r\nERROR\r\n") : std::string("\r\nOK\r\n");
  });
  FaxSendOptions o;
  o.device = modem.device();
  const auto ev = SendFaxAttempt(o, "0227331655", OnePageTiff());
  EXPECT_EQ(ev.dial, DialResult::kModemError);
  EXPECT_NE(ev.error.find("AT+FCLASS=1 answered ERROR"), std::string::npos) << ev.error;
  EXPECT_EQ(ev.t30_code, -1);
}

TEST(ScriptedModem, SilentModemTimesOutWithAReason) {
  ScriptedModem modem([](const std::string&) { return std::string(); });
  FaxSendOptions o;
  o.device = modem.device();
  const auto ev = SendFaxAttempt(o, "0227331655", OnePageTiff());
  EXPECT_EQ(ev.dial, DialResult::kModemError);
  EXPECT_NE(ev.error.find("ATZ answered (timeout)"), std::string::npos) << ev.error;
}

TEST(ScriptedModem, NoCarrierAfterDialIsRecordedAsSuch) {
  ScriptedModem modem([](const std::string& cmd) {
    return cmd.rfind("ATD", 0) == 0 ? std::string("\r\nNO CARRIER\r\n") : std::string("\r\nOK\r\n");
  });
  FaxSendOptions o;
  o.device = modem.device();
  const auto ev = SendFaxAttempt(o, "0227331655", OnePageTiff());
  EXPECT_EQ(ev.dial, DialResult::kNoCarrier);
  EXPECT_EQ(ev.modem_result, "NO CARRIER");
  const auto d = DecideRetry(ev, 1, std::chrono::seconds(0), 14400, {});
  EXPECT_EQ(d.action, RetryAction::kRetry);
  EXPECT_EQ(d.delay, RetryPolicy{}.no_carrier_delay);
}

}  // namespace
}  // namespace lifeline::fax
