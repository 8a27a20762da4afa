// NutPowerSource: a NUT network-protocol client that polls upsd with LIST VAR on one TCP
// connection. Each poll is connect-if-needed, write, read until END/ERR, under one deadline;
// any failure drops the connection so the next poll starts clean.
#include <asio.hpp>

#include "daemon/core/log.h"
#include "daemon/power/power.h"

namespace lifeline {
namespace {

constexpr size_t kMaxLine = 4096;        // upsd's own lines are far shorter
constexpr size_t kMaxReply = 256 * 1024; // a UPS with thousands of variables is not a UPS

}  // namespace

class NutPowerSource::Session : public std::enable_shared_from_this<Session> {
 public:
  Session(asio::io_context& io, NutOptions options)
      : options_(std::move(options)), socket_(io), poll_timer_(io), deadline_(io) {
    current.detail = "upsd not polled yet";
  }

  void Start(asio::ip::address address) {
    endpoint_ = asio::ip::tcp::endpoint(address, options_.port);
    Poll();
  }
  void Stop();

  PowerState current;
  ChangeCallback callback;
  bool started = false;
  bool stopped = false;

 private:
  void Poll();
  void Send();
  bool RetryOnFreshConnection();
  void ReadLine();
  void OnLine(std::string line);
  void ArmDeadline();
  void Finish(Result<PowerState> reading);
  void Report(PowerState next);
  void ScheduleNext();

  NutOptions options_;
  asio::ip::tcp::endpoint endpoint_;
  asio::ip::tcp::socket socket_;
  asio::steady_timer poll_timer_;
  asio::steady_timer deadline_;
  std::string request_;
  std::string inbuf_;
  std::string reply_;
  bool timed_out_ = false;
  bool reused_ = false;   // this poll started on a connection an earlier poll opened
  bool retried_ = false;  // this poll already gave a stale connection its second chance
  // Names the request a deadline belongs to: an expiry already queued when its request
  // finished must not close the connection the next request is using.
  uint64_t request_id_ = 0;
  PowerState last_reported_;
};

void NutPowerSource::Session::Stop() {
  stopped = true;
  asio::error_code ignored;
  socket_.close(ignored);
  poll_timer_.cancel();
  deadline_.cancel();
}

void NutPowerSource::Session::Poll() {
  if (stopped) return;
  timed_out_ = false;
  reply_.clear();
  ArmDeadline();
  reused_ = socket_.is_open();
  if (reused_) return Send();
  inbuf_.clear();
  socket_.async_connect(endpoint_, [self = shared_from_this()](const asio::error_code& ec) {
    if (self->stopped) return;
    if (ec) return self->Finish(Unavailable("cannot connect to upsd: " + ec.message()));
    self->Send();
  });
}

void NutPowerSource::Session::Send() {
  request_ = "LIST VAR " + options_.ups + "\n";
  asio::async_write(socket_, asio::buffer(request_),
                    [self = shared_from_this()](const asio::error_code& ec, size_t) {
                      if (self->stopped) return;
                      if (ec) return self->Finish(Unavailable("writing to upsd: " + ec.message()));
                      self->ReadLine();
                    });
}

void NutPowerSource::Session::ReadLine() {
  asio::async_read_until(
      socket_, asio::dynamic_buffer(inbuf_, kMaxLine), '\n',
      [self = shared_from_this()](const asio::error_code& ec, size_t n) {
        if (self->stopped) return;
        if (ec) {
          std::string why = ec == asio::error::eof ? "upsd closed the connection" : ec.message();
          return self->Finish(Unavailable("reading from upsd: " + why));
        }
        std::string line = self->inbuf_.substr(0, n);
        self->inbuf_.erase(0, n);
        self->OnLine(std::move(line));
      });
}

void NutPowerSource::Session::OnLine(std::string line) {
  reply_ += line;
  if (reply_.size() > kMaxReply) return Finish(Unavailable("upsd's reply is implausibly long"));
  std::string_view text(line);
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.remove_suffix(1);
  // Any line that cannot continue a LIST VAR reply ends it, so garbage fails now rather
  // than at the request timeout.
  bool first = reply_.size() == line.size();
  bool continues = first ? text == "BEGIN LIST VAR " + options_.ups
                         : text.substr(0, 4) == "VAR ";
  if (continues) return ReadLine();
  Result<std::map<std::string, std::string>> vars = ParseVarList(reply_, options_.ups);
  if (!vars.ok()) return Finish(vars.status());
  Finish(PowerStateFromVars(*vars));
}

void NutPowerSource::Session::ArmDeadline() {
  deadline_.expires_after(options_.request_timeout);
  deadline_.async_wait([self = shared_from_this(), id = ++request_id_](const asio::error_code& ec) {
    if (ec || self->stopped || id != self->request_id_) return;  // the request finished in time
    // Closing aborts the pending operation, whose handler then finishes the poll.
    self->timed_out_ = true;
    asio::error_code ignored;
    self->socket_.close(ignored);
  });
}

// upsd restarting, or dropping idle clients, leaves a kept connection dead without our
// knowing; that alone must not flap the state to unknown, so such a poll gets one retry.
bool NutPowerSource::Session::RetryOnFreshConnection() {
  if (!reused_ || retried_ || timed_out_ || !reply_.empty()) return false;
  retried_ = true;
  asio::error_code ignored;
  socket_.close(ignored);
  Poll();
  return true;
}

void NutPowerSource::Session::Finish(Result<PowerState> reading) {
  ++request_id_;
  deadline_.cancel();
  if (!reading.ok() && RetryOnFreshConnection()) return;
  retried_ = false;
  if (reading.ok()) {
    Report(std::move(*reading));
  } else {
    // Whatever went wrong, the connection may hold half a reply: start the next one afresh.
    asio::error_code ignored;
    socket_.close(ignored);
    PowerState unknown;
    unknown.detail = timed_out_ ? "upsd did not answer within the request timeout"
                                : reading.status().ToString();
    Report(std::move(unknown));
  }
  ScheduleNext();
}

void NutPowerSource::Session::Report(PowerState next) {
  current = next;
  if (!IsReportableChange(last_reported_, next, options_.runtime_step)) return;
  last_reported_ = next;
  if (next.known) {
    spdlog::info("power: {}", DescribePowerState(next));
  } else {
    spdlog::warn("power: {}", DescribePowerState(next));
  }
  if (callback) callback(next);
}

void NutPowerSource::Session::ScheduleNext() {
  if (stopped) return;
  poll_timer_.expires_after(options_.poll_interval);
  poll_timer_.async_wait([self = shared_from_this()](const asio::error_code& ec) {
    if (!ec) self->Poll();
  });
}

NutPowerSource::NutPowerSource(asio::io_context& io, NutOptions options)
    : options_(std::move(options)), session_(std::make_shared<Session>(io, options_)) {}

NutPowerSource::~NutPowerSource() { Stop(); }

Status NutPowerSource::Start() {
  if (session_->started) return FailedPrecondition("the NUT power source was already started");
  if (options_.ups.empty() || options_.ups.find_first_of(" \r\n\"") != std::string::npos) {
    return InvalidArgument("NUT ups name is empty or has spaces, quotes or line breaks");
  }
  if (options_.poll_interval.count() <= 0 || options_.request_timeout.count() <= 0) {
    return InvalidArgument("NUT poll_interval and request_timeout must be positive");
  }
  asio::error_code ec;
  asio::ip::address address = asio::ip::make_address(options_.host, ec);
  if (ec) return InvalidArgument("NUT host must be an IP address: '" + options_.host + "'");
  session_->started = true;
  session_->Start(address);
  return Status::Ok();
}

void NutPowerSource::Stop() {
  session_->callback = nullptr;
  session_->Stop();
}

PowerState NutPowerSource::Current() const { return session_->current; }

void NutPowerSource::OnChange(ChangeCallback callback) { session_->callback = std::move(callback); }

}  // namespace lifeline
