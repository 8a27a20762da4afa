// SupervisorLink: one request in flight at a time, each with a fresh seq; an
// unanswered request is resent with the same seq (the firmware answers a resend
// from its cache without acting twice) and after `retransmits` resends the link
// is down: queued requests fail, power becomes unknown, and the handshake starts
// again. The log is read from the cursor whenever a heartbeat's status shows
// entries past it; each entry is handed on and the cursor moves only once the
// owner says it is journaled.
#include <cstddef>
// <asio.hpp> after <cstddef>: see daemon/channels/sms/at_engine.h.
#include <asio.hpp>
#include <deque>

#include "daemon/core/log.h"
#include "daemon/supervisor/supervisor.h"

namespace lifeline::supervisor {

class SupervisorLink::Session : public std::enable_shared_from_this<Session> {
 public:
  Session(asio::io_context& io, LinkOptions o, SupervisorLink* owner)
      : o_(std::move(o)), owner_(owner), port_(io), reply_timer_(io), beat_timer_(io), retry_timer_(io) {}

  void Start() { Open(); }
  void Stop();
  void Send(MsgType type, std::vector<uint8_t> payload, std::function<void(Result<Frame>)> done);
  bool up() const { return up_; }
  uint64_t bad_frames() const { return bad_frames_; }
  const std::optional<StatusReply>& status() const { return status_; }

 private:
  struct Request {
    MsgType type;
    std::vector<uint8_t> payload;
    std::function<void(Result<Frame>)> done;
  };

  void Open();
  void ScheduleRetry(bool reopen);
  void ReadMore();
  void OnFrame(const Frame& f);
  void Pump();
  void Transmit();
  void OnTimeout(uint8_t seq);
  void Complete(Result<Frame> r);
  void LinkDown(const Status& why, bool close_port);
  void Handshake();
  void OnHello(const HelloReply& h);
  void Beat();
  void OnStatus(const StatusReply& s);
  void ReadLog();
  void Deliver(std::vector<LogEntry> entries, size_t i);
  void ReportPower(const PowerReading& p);
  void OnBadFrame(const Status& why);

  LinkOptions o_;
  SupervisorLink* owner_;  // null once stopped
  asio::serial_port port_;
  asio::steady_timer reply_timer_, beat_timer_, retry_timer_;
  std::array<uint8_t, 256> rx_{};
  FrameDecoder decoder_;
  std::deque<Request> queue_;
  std::optional<Request> current_;
  std::vector<uint8_t> current_bytes_;
  uint8_t seq_ = 0, current_seq_ = 0;
  int resends_ = 0;
  bool stopped_ = false, up_ = false, log_busy_ = false;
  uint64_t generation_ = 0;  // bumps on every link loss: stale continuations stop
  uint32_t cursor_ = 0;
  std::optional<StatusReply> status_;
  std::optional<PowerReading> last_power_;
  int drill_seen_ = -1;
  uint64_t bad_frames_ = 0;
  std::optional<std::chrono::steady_clock::time_point> bad_frames_reported_;
};

void SupervisorLink::Session::Stop() {
  stopped_ = true;
  owner_ = nullptr;
  asio::error_code ignored;
  port_.close(ignored);
  reply_timer_.cancel();
  beat_timer_.cancel();
  retry_timer_.cancel();
  // Queued requests hold continuations that hold this session; answering them now breaks the cycle
  // so the session is freed once the pending handlers have run.
  std::deque<Request> pending;
  pending.swap(queue_);
  if (current_) pending.push_front(std::move(*current_));
  current_.reset();
  for (auto& r : pending) {
    if (r.done) r.done(Unavailable("supervisor link stopped"));
  }
}

void SupervisorLink::Session::Open() {
  if (stopped_) return;
  asio::error_code ec;
  port_.open(o_.device, ec);
  if (!ec) port_.set_option(asio::serial_port_base::baud_rate(115200), ec);
  if (!ec) port_.set_option(asio::serial_port_base::character_size(8), ec);
  if (ec) {
    asio::error_code ignored;
    port_.close(ignored);
    spdlog::warn("supervisor: cannot open {}: {}", o_.device, ec.message());
    return ScheduleRetry(true);
  }
  decoder_ = FrameDecoder();
  ReadMore();
  Handshake();
}

void SupervisorLink::Session::ScheduleRetry(bool reopen) {
  retry_timer_.expires_after(o_.reopen_delay);
  retry_timer_.async_wait([self = shared_from_this(), reopen](const asio::error_code& ec) {
    if (ec || self->stopped_) return;
    if (reopen || !self->port_.is_open()) return self->Open();
    self->Handshake();
  });
}

void SupervisorLink::Session::ReadMore() {
  port_.async_read_some(asio::buffer(rx_), [self = shared_from_this()](const asio::error_code& ec, size_t n) {
    if (self->stopped_) return;
    if (ec) return self->LinkDown(IoError("supervisor port: " + ec.message()), true);
    for (auto& r : self->decoder_.Feed(self->rx_.data(), n)) {
      if (r.ok()) self->OnFrame(*r);
      else self->OnBadFrame(r.status());
    }
    if (self->port_.is_open()) self->ReadMore();
  });
}

// Noise is dropped and counted; the frame it spoiled, if any, is resent on its
// timeout. Reported at the first and then once a minute, so a noisy line is
// seen in the log and the journal without filling either.
void SupervisorLink::Session::OnBadFrame(const Status& why) {
  ++bad_frames_;
  const auto now = std::chrono::steady_clock::now();
  if (bad_frames_reported_ && now - *bad_frames_reported_ < std::chrono::minutes(1)) return;
  bad_frames_reported_ = now;
  spdlog::warn("supervisor: {} bad frames dropped since the link started (the last: {})", bad_frames_,
               why.message());
  if (owner_ && owner_->on_bad_frames) owner_->on_bad_frames(bad_frames_, why);
}

void SupervisorLink::Session::Send(MsgType type, std::vector<uint8_t> payload,
                                   std::function<void(Result<Frame>)> done) {
  queue_.push_back({type, std::move(payload), std::move(done)});
  Pump();
}

void SupervisorLink::Session::Pump() {
  if (current_ || queue_.empty() || !port_.is_open() || stopped_) return;
  current_ = std::move(queue_.front());
  queue_.pop_front();
  current_seq_ = seq_++;
  resends_ = 0;
  auto bytes = EncodeFrame({uint8_t(current_->type), current_seq_, current_->payload});
  if (!bytes.ok()) return Complete(bytes.status());
  current_bytes_ = std::move(*bytes);
  Transmit();
}

void SupervisorLink::Session::Transmit() {
  auto buf = std::make_shared<std::vector<uint8_t>>(current_bytes_);
  asio::async_write(port_, asio::buffer(*buf), [self = shared_from_this(), buf](const asio::error_code& ec, size_t) {
    if (!self->stopped_ && ec) self->LinkDown(IoError("supervisor port write: " + ec.message()), true);
  });
  reply_timer_.expires_after(o_.reply_timeout);
  reply_timer_.async_wait([self = shared_from_this(), seq = current_seq_](const asio::error_code& ec) {
    if (!ec && !self->stopped_) self->OnTimeout(seq);
  });
}

void SupervisorLink::Session::OnTimeout(uint8_t seq) {
  if (!current_ || seq != current_seq_) return;
  if (resends_++ < o_.retransmits) return Transmit();  // same bytes, same seq
  Complete(Status(StatusCode::kDeadlineExceeded, "the supervisor did not answer"));
  LinkDown(Unavailable("the supervisor did not answer " + std::to_string(o_.retransmits + 1) + " sends"), false);
}

void SupervisorLink::Session::OnFrame(const Frame& f) {
  if (!current_ || f.seq != current_seq_) return;  // late answer to a request already given up
  bool error = f.type == (uint8_t(MsgType::kError) | kResponse);
  if (!error && f.type != (uint8_t(current_->type) | kResponse)) return;
  reply_timer_.cancel();
  if (!error) return Complete(f);
  bool no_hello = f.payload.size() == 2 && f.payload[1] == 1;
  Complete(FailedPrecondition(DescribeError(f.payload)));
  // The supervisor restarted and forgot us: shake hands again.
  if (no_hello && up_) LinkDown(Unavailable("the supervisor restarted"), false);
}

void SupervisorLink::Session::Complete(Result<Frame> r) {
  if (!current_) return;
  auto done = std::move(current_->done);
  current_.reset();
  if (done) done(std::move(r));
  Pump();
}

void SupervisorLink::Session::LinkDown(const Status& why, bool close_port) {
  ++generation_;
  reply_timer_.cancel();
  beat_timer_.cancel();
  std::deque<Request> pending;
  pending.swap(queue_);
  if (current_) pending.push_front(std::move(*current_));
  current_.reset();
  for (auto& r : pending) {
    if (r.done) r.done(Unavailable("supervisor link down: " + why.message()));
  }
  bool was_up = up_;
  up_ = false;
  log_busy_ = false;
  if (close_port) {
    asio::error_code ignored;
    port_.close(ignored);
  }
  if (was_up) {
    spdlog::warn("supervisor: link lost: {}", why.ToString());
    ReportPower({false, false, false, false, std::nullopt, std::nullopt, "supervisor link lost: " + why.message()});
    if (owner_ && owner_->on_lost) owner_->on_lost(why);
  }
  if (!stopped_) ScheduleRetry(close_port);
}

void SupervisorLink::Session::Handshake() {
  if (up_ || stopped_) return;
  Send(MsgType::kHello, HelloRequest(), [self = shared_from_this()](Result<Frame> r) {
    if (self->stopped_) return;
    Result<HelloReply> h = r.ok() ? ParseHello(r->payload) : Result<HelloReply>(r.status());
    if (!h.ok()) {
      spdlog::warn("supervisor: handshake failed: {}", h.status().ToString());
      if (r.ok()) self->ScheduleRetry(false);  // an answer we cannot use; timeouts retry by themselves
      return;
    }
    self->OnHello(*h);
  });
}

void SupervisorLink::Session::OnHello(const HelloReply& h) {
  up_ = true;
  cursor_ = h.log_first;
  if (!o_.cursor_file.empty()) {
    auto c = ReadCursor(o_.cursor_file);
    // A cursor past the supervisor's end means its log was wiped: start again at its oldest.
    if (c.ok() && *c >= h.log_first && *c <= h.log_next) cursor_ = *c;
  }
  spdlog::info("supervisor: connected: firmware {}.{}, board {}, boot {}, log {}..{}", h.fw_major, h.fw_minor,
               h.board, h.boot_count, h.log_first, h.log_next);
  if (owner_ && owner_->on_connected) owner_->on_connected(h);
  auto self = shared_from_this();
  Send(MsgType::kConfig, ConfigRequest(o_.watchdog), [self](Result<Frame> r) {
    if (!r.ok()) spdlog::warn("supervisor: watchdog configuration failed: {}", r.status().ToString());
  });
  Send(MsgType::kRtcGet, {}, [self](Result<Frame> r) {
    auto rtc = r.ok() ? ParseRtc(r->payload) : Result<RtcReply>(r.status());
    if (rtc.ok() && self->owner_ && self->owner_->on_rtc) self->owner_->on_rtc(*rtc);
  });
  Beat();
}

void SupervisorLink::Session::Beat() {
  if (!up_ || stopped_) return;
  uint64_t gen = generation_;
  Send(MsgType::kHeartbeat, {}, [self = shared_from_this(), gen](Result<Frame> r) {
    if (self->stopped_ || gen != self->generation_) return;
    auto s = r.ok() ? ParseStatus(r->payload) : Result<StatusReply>(r.status());
    if (s.ok()) self->OnStatus(*s);
    else if (r.ok()) spdlog::warn("supervisor: {}", s.status().ToString());
    self->beat_timer_.expires_after(self->o_.heartbeat_interval);
    self->beat_timer_.async_wait([self, gen](const asio::error_code& ec) {
      if (!ec && gen == self->generation_) self->Beat();
    });
  });
}

void SupervisorLink::Session::OnStatus(const StatusReply& s) {
  status_ = s;
  ReportPower(PowerFromStatus(s));
  if (drill_seen_ >= 0 && s.drill_presses != drill_seen_ && owner_ && owner_->on_drill_button) {
    owner_->on_drill_button();
  }
  drill_seen_ = s.drill_presses;
  if (!log_busy_ && int32_t(s.log_next - cursor_) > 0) ReadLog();
}

void SupervisorLink::Session::ReadLog() {
  log_busy_ = true;
  uint64_t gen = generation_;
  Send(MsgType::kLogRead, LogReadRequest(cursor_, 4), [self = shared_from_this(), gen](Result<Frame> r) {
    if (self->stopped_ || gen != self->generation_) return;
    auto entries = r.ok() ? ParseLog(r->payload) : Result<std::vector<LogEntry>>(r.status());
    if (!entries.ok() || entries->empty()) {
      self->log_busy_ = false;  // the next heartbeat tries again
      return;
    }
    self->Deliver(std::move(*entries), 0);
  });
}

void SupervisorLink::Session::Deliver(std::vector<LogEntry> entries, size_t i) {
  if (i == entries.size()) {
    log_busy_ = false;
    if (status_ && int32_t(status_->log_next - cursor_) > 0) ReadLog();
    return;
  }
  LogEntry e = entries[i];
  uint64_t gen = generation_;
  auto advance = [self = shared_from_this(), entries = std::move(entries), i, gen, e](bool committed) mutable {
    if (self->stopped_ || gen != self->generation_) return;
    if (!committed) {
      self->log_busy_ = false;
      return;
    }
    self->cursor_ = e.seq + 1;
    if (!self->o_.cursor_file.empty()) {
      Status s = WriteCursor(self->o_.cursor_file, self->cursor_);
      if (!s.ok()) spdlog::warn("supervisor: {}", s.ToString());
    }
    self->Deliver(std::move(entries), i + 1);
  };
  if (e.seq < cursor_) return advance(true);  // already journaled before a restart
  if (owner_ && owner_->on_log) owner_->on_log(e, std::move(advance));
  else advance(true);
}

void SupervisorLink::Session::ReportPower(const PowerReading& p) {
  if (last_power_ && !IsPowerChange(*last_power_, p, o_.runtime_step)) return;
  last_power_ = p;
  if (owner_ && owner_->on_power) owner_->on_power(p);
}

// ---- the public face ----

SupervisorLink::SupervisorLink(asio::io_context& io, LinkOptions options)
    : session_(std::make_shared<Session>(io, std::move(options), this)) {}

SupervisorLink::~SupervisorLink() { Stop(); }

Status SupervisorLink::Start() {
  session_->Start();
  return Status::Ok();
}

void SupervisorLink::Stop() { session_->Stop(); }

bool SupervisorLink::connected() const { return session_->up(); }

uint64_t SupervisorLink::bad_frames() const { return session_->bad_frames(); }

std::optional<StatusReply> SupervisorLink::last_status() const { return session_->status(); }

void SupervisorLink::RequestModemPowerCycle(std::function<void(Result<bool>)> done) {
  session_->Send(MsgType::kModemCycle, {}, [done = std::move(done)](Result<Frame> r) {
    if (!done) return;
    if (!r.ok()) return done(r.status());
    if (r->payload.size() != 1) return done(InvalidArgument("MODEM_CYCLE reply of the wrong length"));
    done(r->payload[0] == 1);
  });
}

void SupervisorLink::SetAlarm(AlarmPattern pattern, std::function<void(Status)> done) {
  session_->Send(MsgType::kAlarm, AlarmRequest(int(pattern)), [done = std::move(done)](Result<Frame> r) {
    if (done) done(r.ok() ? Status::Ok() : r.status());
  });
}

void SupervisorLink::ReadRtc(std::function<void(Result<RtcReply>)> done) {
  session_->Send(MsgType::kRtcGet, {}, [done = std::move(done)](Result<Frame> r) {
    if (done) done(r.ok() ? ParseRtc(r->payload) : Result<RtcReply>(r.status()));
  });
}

void SupervisorLink::SetRtc(uint32_t unix_seconds, std::function<void(Status)> done) {
  session_->Send(MsgType::kRtcSet, RtcSetRequest(unix_seconds), [done = std::move(done)](Result<Frame> r) {
    if (!done) return;
    done(r.ok() ? ParseRtc(r->payload).status() : r.status());
  });
}

}  // namespace lifeline::supervisor
