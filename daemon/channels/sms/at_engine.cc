#include "daemon/channels/sms/at_engine.h"

#include "daemon/core/log.h"

namespace lifeline::sms {
namespace {

constexpr char kCtrlZ = 0x1A;
constexpr size_t kMaxPendingBytes = 4096;  // a line longer than this is noise, not a reply


}  // namespace

AtEngine::AtEngine(asio::io_context& io, AtEngineOptions options)
    : options_(std::move(options)), port_(io), command_timer_(io), reopen_timer_(io) {}

AtEngine::~AtEngine() {
  *alive_ = false;
  asio::error_code ignored;
  port_.close(ignored);
}

Status AtEngine::Start() {
  stopped_ = false;
  Status s = OpenPort();
  if (!s.ok()) ScheduleReopen();
  return s;
}

void AtEngine::Stop() {
  stopped_ = true;
  reopen_timer_.cancel();
  asio::error_code ignored;
  port_.close(ignored);
  FailAll(Unavailable("AT engine stopped"));
}

Status AtEngine::OpenPort() {
  asio::error_code ec;
  port_.open(options_.device, ec);
  if (!ec) port_.set_option(asio::serial_port_base::baud_rate(options_.baud), ec);
  if (ec) {
    asio::error_code ignored;
    port_.close(ignored);
    return Unavailable("cannot open modem port " + options_.device + ": " + ec.message());
  }
  rx_.clear();
  awaiting_cds_pdu_ = false;
  consecutive_timeouts_ = 0;
  spdlog::info("sms: modem port {} open", options_.device);
  ReadMore();
  if (on_link_) on_link_(true, Status::Ok());
  StartNext();
  return Status::Ok();
}

void AtEngine::ScheduleReopen() {
  if (stopped_) return;
  reopen_timer_.expires_after(options_.reopen_delay);
  reopen_timer_.async_wait([this, alive = alive_](const asio::error_code& ec) {
    if (!*alive || ec || stopped_ || port_.is_open()) return;
    ++reopen_count_;
    Status s = OpenPort();
    if (!s.ok()) {
      spdlog::debug("sms: {}", s.ToString());
      ScheduleReopen();
    }
  });
}

void AtEngine::Reopen(const Status& why) { LinkLost(why); }

void AtEngine::LinkLost(const Status& why) {
  spdlog::warn("sms: modem link lost: {}", why.ToString());
  asio::error_code ignored;
  port_.close(ignored);
  FailAll(why);
  if (on_link_) on_link_(false, why);
  ScheduleReopen();
}

void AtEngine::ReadMore() {
  port_.async_read_some(asio::buffer(read_buf_),
                        [this, alive = alive_](const asio::error_code& ec, size_t n) {
                          if (*alive) OnRead(ec, n);
                        });
}

void AtEngine::OnRead(const asio::error_code& ec, size_t n) {
  if (ec == asio::error::operation_aborted) return;
  if (ec) return LinkLost(Unavailable("modem port read failed: " + ec.message()));
  rx_.append(read_buf_.data(), n);
  for (;;) {
    if (MaybeHandlePrompt()) continue;
    const size_t nl = rx_.find('\n');
    if (nl == std::string::npos) break;
    std::string line = rx_.substr(0, nl);
    rx_.erase(0, nl + 1);
    while (!line.empty() && (line.back() == '\r' || line.front() == '\r')) {
      if (line.back() == '\r')
        line.pop_back();
      else
        line.erase(0, 1);
    }
    if (!line.empty()) HandleLine(line);
  }
  if (rx_.size() > kMaxPendingBytes) {
    ++noise_lines_;
    rx_.clear();
  }
  ReadMore();
}

// The "> " prompt of AT+CMGS has no line ending; it is found in the raw bytes.
bool AtEngine::MaybeHandlePrompt() {
  if (!awaiting_prompt_ || !current_) return false;
  const size_t p = rx_.find("> ");
  if (p == std::string::npos || rx_.find('\n') < p) return false;
  rx_.erase(0, p + 2);
  awaiting_prompt_ = false;
  Write(*current_->command.pdu + kCtrlZ);
  return true;
}

void AtEngine::HandleLine(const std::string& line) {
  if (awaiting_cds_pdu_) {
    awaiting_cds_pdu_ = false;
    if (on_urc_) on_urc_(Urc{UrcKind::kStatusReport, cds_header_, line});
    return;
  }
  if (current_ && awaiting_response_pdu_) {
    awaiting_response_pdu_ = false;
    partial_.lines.push_back(line);
    return;
  }
  if (current_) {
    const AtCommand& c = current_->command;
    if (line == c.text || (c.pdu && line.find(*c.pdu) != std::string::npos)) return;  // echo
    if (auto final = ParseFinalResult(line)) {
      partial_.final = *final;
      return Complete(std::move(partial_));
    }
    if (!c.response_prefix.empty() && line.starts_with(c.response_prefix)) {
      partial_.lines.push_back(line);
      awaiting_response_pdu_ = c.pdu_lines;
      return;
    }
  }
  const UrcKind kind = ClassifyUrc(line);
  if (kind == UrcKind::kStatusReport) {
    awaiting_cds_pdu_ = true;
    cds_header_ = line;
  } else if (kind != UrcKind::kNone) {
    if (on_urc_) on_urc_(Urc{kind, line, {}});
  } else if (current_ && current_->command.response_prefix.empty()) {
    partial_.lines.push_back(line);  // ATI, +CGMI and the like answer without a prefix
  } else {
    ++noise_lines_;  // a late OK after a timeout, or line noise
    spdlog::debug("sms: unexpected line from modem: {}", line);
  }
}

void AtEngine::Submit(AtCommand command, Callback done) {
  if (stopped_) {
    done(Unavailable("AT engine stopped"));
    return;
  }
  queue_.push_back({std::move(command), std::move(done)});
  StartNext();
}

void AtEngine::StartNext() {
  if (current_ || queue_.empty() || !port_.is_open()) return;
  current_ = std::move(queue_.front());
  queue_.pop_front();
  partial_ = AtResponse{};
  awaiting_response_pdu_ = false;
  awaiting_prompt_ = current_->command.pdu.has_value();
  const uint64_t id = ++command_id_;
  command_timer_.expires_after(current_->command.timeout);
  command_timer_.async_wait([this, id, alive = alive_](const asio::error_code& ec) {
    if (*alive && !ec) OnTimeout(id);
  });
  Write(current_->command.text + "\r");
}

void AtEngine::Write(std::string bytes) {
  auto buf = std::make_shared<std::string>(std::move(bytes));
  asio::async_write(port_, asio::buffer(*buf),
                    [this, buf, alive = alive_](const asio::error_code& ec, size_t) {
                      if (!*alive || ec == asio::error::operation_aborted || !ec) return;
                      LinkLost(Unavailable("modem port write failed: " + ec.message()));
                    });
}

void AtEngine::Complete(Result<AtResponse> result) {
  if (!current_) return;
  command_timer_.cancel();
  Callback done = std::move(current_->done);
  current_.reset();
  awaiting_prompt_ = false;
  if (result.ok()) consecutive_timeouts_ = 0;
  done(std::move(result));
  StartNext();
}

void AtEngine::OnTimeout(uint64_t id) {
  if (!current_ || id != command_id_) return;
  std::string text = current_->command.text;
  if (text.starts_with("AT+CPIN=")) text = "AT+CPIN=<pin>";  // a PIN never reaches a log
  ++consecutive_timeouts_;
  if (current_->command.pdu) Write(std::string(1, 0x1B));  // leave PDU input mode if stuck there
  Complete(Status(StatusCode::kDeadlineExceeded, "no answer to " + text));
  if (consecutive_timeouts_ >= options_.timeouts_before_reopen && port_.is_open()) {
    LinkLost(Unavailable("modem silent: " + std::to_string(consecutive_timeouts_) +
                         " commands unanswered"));
  }
}

void AtEngine::AbandonCurrent(const Status& why) {
  if (!current_) return;
  if (current_->command.pdu && awaiting_prompt_) Write(std::string(1, 0x1B));  // in case it still waits for the PDU
  Complete(why);
}

void AtEngine::FailAll(const Status& why) {
  if (current_) {
    command_timer_.cancel();
    Callback done = std::move(current_->done);
    current_.reset();
    done(why);
  }
  std::deque<Pending> queue = std::move(queue_);
  queue_.clear();
  for (Pending& p : queue) p.done(why);
}

}  // namespace lifeline::sms
