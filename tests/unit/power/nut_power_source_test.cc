// NutPowerSource against a scripted upsd on loopback, for what the real upsd will not do on
// demand: garbage, silence, hanging up, ERR replies. The real upsd is in the integration test.
#include <gtest/gtest.h>

#include <asio.hpp>
#include <functional>
#include <memory>
#include <vector>

#include "daemon/power/power.h"

namespace lifeline {
namespace {

using namespace std::chrono_literals;

std::string ListReply(std::string_view status, int runtime) {
  return "BEGIN LIST VAR ups\nVAR ups battery.runtime \"" + std::to_string(runtime) +
         "\"\nVAR ups ups.status \"" + std::string(status) + "\"\nEND LIST VAR ups\n";
}

// Answers every request line with `reply`; silent when `reply` is empty; hangs up after
// answering when `hang_up` is set.
class ScriptedUpsd {
 public:
  explicit ScriptedUpsd(asio::io_context& io)
      : acceptor_(io, asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)) {
    Accept();
  }
  uint16_t port() const { return acceptor_.local_endpoint().port(); }

  std::string reply;
  bool hang_up = false;
  int requests = 0;
  int connections = 0;

 private:
  struct Conn {
    explicit Conn(asio::ip::tcp::socket s) : socket(std::move(s)) {}
    asio::ip::tcp::socket socket;
    std::string in;
    std::string out;
  };

  void Accept() {
    acceptor_.async_accept([this](const asio::error_code& ec, asio::ip::tcp::socket socket) {
      if (ec) return;
      ++connections;
      Read(std::make_shared<Conn>(std::move(socket)));
      Accept();
    });
  }

  void Read(std::shared_ptr<Conn> c) {
    asio::async_read_until(c->socket, asio::dynamic_buffer(c->in), '\n',
                           [this, c](const asio::error_code& ec, size_t n) {
                             if (ec) return;
                             c->in.erase(0, n);
                             ++requests;
                             if (reply.empty()) return Read(c);  // swallow the request
                             c->out = reply;
                             asio::async_write(c->socket, asio::buffer(c->out),
                                               [this, c](const asio::error_code& wec, size_t) {
                                                 if (wec) return;
                                                 if (hang_up) return c->socket.close();
                                                 Read(c);
                                               });
                           });
  }

  asio::ip::tcp::acceptor acceptor_;
};

class NutPowerSourceTest : public ::testing::Test {
 protected:
  NutOptions Options(uint16_t port) {
    NutOptions o;
    o.port = port;
    o.poll_interval = 20ms;
    o.request_timeout = 2s;  // roomy: only the silence test wants a timeout to happen
    return o;
  }
  // Runs the loop until `done` or a generous bound; the assertions are on states, never time.
  bool RunUntil(const std::function<bool()>& done) {
    for (int i = 0; i < 500 && !done(); ++i) io_.run_for(20ms);
    return done();
  }
  void Watch(NutPowerSource& source) {
    source.OnChange([this](const PowerState& s) { reports_.push_back(s); });
  }

  asio::io_context io_;
  std::vector<PowerState> reports_;
};

TEST_F(NutPowerSourceTest, ReportsEachChangeOnce) {
  ScriptedUpsd upsd(io_);
  upsd.reply = ListReply("OL", 1800);
  NutPowerSource source(io_, Options(upsd.port()));
  Watch(source);
  ASSERT_TRUE(source.Start().ok());
  ASSERT_TRUE(RunUntil([&] { return reports_.size() == 1; }));
  EXPECT_TRUE(reports_[0].mains_ok);
  upsd.reply = ListReply("OB DISCHRG", 1790);  // a small runtime move is not news
  ASSERT_TRUE(RunUntil([&] { return reports_.size() == 2; }));
  EXPECT_TRUE(reports_[1].on_battery);
  EXPECT_EQ(reports_[1].runtime, 1790s);
  int seen = upsd.requests;
  ASSERT_TRUE(RunUntil([&] { return upsd.requests >= seen + 5; }));
  EXPECT_EQ(reports_.size(), 2u);
  EXPECT_EQ(upsd.connections, 1);  // one kept connection
  EXPECT_TRUE(source.Current().on_battery);
}

TEST_F(NutPowerSourceTest, GarbageMakesTheStateUnknown) {
  ScriptedUpsd upsd(io_);
  upsd.reply = ListReply("OL", 1800);
  NutPowerSource source(io_, Options(upsd.port()));
  Watch(source);
  ASSERT_TRUE(source.Start().ok());
  ASSERT_TRUE(RunUntil([&] { return reports_.size() == 1; }));
  upsd.reply = "HTTP/1.1 400 Bad Request\r\n\r\n";
  ASSERT_TRUE(RunUntil([&] { return reports_.size() == 2; }));
  EXPECT_FALSE(reports_[1].known);
  EXPECT_FALSE(reports_[1].mains_ok);
  EXPECT_NE(reports_[1].detail.find("BEGIN LIST VAR"), std::string::npos) << reports_[1].detail;
}

TEST_F(NutPowerSourceTest, StaleDriverMakesTheStateUnknown) {
  ScriptedUpsd upsd(io_);
  upsd.reply = ListReply("OB", 600);
  NutPowerSource source(io_, Options(upsd.port()));
  Watch(source);
  ASSERT_TRUE(source.Start().ok());
  ASSERT_TRUE(RunUntil([&] { return reports_.size() == 1; }));
  upsd.reply = "ERR DATA-STALE\n";
  ASSERT_TRUE(RunUntil([&] { return reports_.size() == 2; }));
  EXPECT_FALSE(reports_[1].known);
  EXPECT_NE(reports_[1].detail.find("DATA-STALE"), std::string::npos) << reports_[1].detail;
}

TEST_F(NutPowerSourceTest, SilenceTimesOutToUnknownAndRecovers) {
  ScriptedUpsd upsd(io_);
  upsd.reply = ListReply("OL", 1800);
  NutOptions options = Options(upsd.port());
  options.request_timeout = 300ms;
  NutPowerSource source(io_, options);
  Watch(source);
  ASSERT_TRUE(source.Start().ok());
  ASSERT_TRUE(RunUntil([&] { return reports_.size() == 1; }));
  upsd.reply.clear();
  ASSERT_TRUE(RunUntil([&] { return reports_.size() == 2; }));
  EXPECT_FALSE(reports_[1].known);
  EXPECT_NE(reports_[1].detail.find("timeout"), std::string::npos) << reports_[1].detail;
  upsd.reply = ListReply("OL", 1800);
  ASSERT_TRUE(RunUntil([&] { return reports_.size() == 3; }));
  EXPECT_TRUE(reports_[2].mains_ok);
  EXPECT_GE(upsd.connections, 2);  // the silent connection was dropped
}

TEST_F(NutPowerSourceTest, HangingUpDoesNotFlapTheState) {
  ScriptedUpsd upsd(io_);
  upsd.reply = ListReply("OB", 600);
  upsd.hang_up = true;
  NutPowerSource source(io_, Options(upsd.port()));
  Watch(source);
  ASSERT_TRUE(source.Start().ok());
  ASSERT_TRUE(RunUntil([&] { return upsd.connections >= 5; }));
  ASSERT_EQ(reports_.size(), 1u);
  EXPECT_TRUE(reports_[0].on_battery);
}

TEST_F(NutPowerSourceTest, NobodyListeningIsUnknownNotMainsOk) {
  uint16_t port = 0;
  {
    ScriptedUpsd gone(io_);  // takes a free port and gives it back
    port = gone.port();
  }
  NutPowerSource source(io_, Options(port));
  Watch(source);
  ASSERT_TRUE(source.Start().ok());
  ASSERT_TRUE(RunUntil([&] { return source.Current().detail.find("connect") != std::string::npos; }));
  EXPECT_FALSE(source.Current().known);
  EXPECT_FALSE(source.Current().mains_ok);
  EXPECT_TRUE(reports_.empty());  // unknown from the start is not a change
}

TEST_F(NutPowerSourceTest, StopSilencesTheCallback) {
  ScriptedUpsd upsd(io_);
  upsd.reply = ListReply("OL", 1800);
  NutPowerSource source(io_, Options(upsd.port()));
  Watch(source);
  ASSERT_TRUE(source.Start().ok());
  ASSERT_TRUE(RunUntil([&] { return reports_.size() == 1; }));
  source.Stop();
  upsd.reply = ListReply("OB", 1800);
  io_.run_for(100ms);  // a request already on the wire may still arrive
  int seen = upsd.requests;
  io_.run_for(200ms);
  EXPECT_EQ(upsd.requests, seen);
  EXPECT_EQ(reports_.size(), 1u);
}

TEST_F(NutPowerSourceTest, StartRejectsOptionsThatCannotWork) {
  NutOptions bad_host = Options(3493);
  bad_host.host = "ups.example";
  EXPECT_EQ(NutPowerSource(io_, bad_host).Start().code(), StatusCode::kInvalidArgument);
  NutOptions bad_name = Options(3493);
  bad_name.ups = "ups\nLOGOUT";
  EXPECT_EQ(NutPowerSource(io_, bad_name).Start().code(), StatusCode::kInvalidArgument);
  NutOptions bad_interval = Options(3493);
  bad_interval.poll_interval = 0ms;
  EXPECT_EQ(NutPowerSource(io_, bad_interval).Start().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace lifeline
