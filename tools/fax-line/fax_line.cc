// Implementation of FaxLine. The audio path mirrors a real call: whatever the
// answering machine transmits is what the modem receives and vice versa, one
// 20 ms chunk at a time. Line time (`line_now`) advances 20 ms per chunk and
// drives the exchange's own delays; the monotonic clock only paces the chunks,
// 20 ms / speed apart, so a sped-up call is the same call sample for sample.
#include "tools/fax-line/fax_line.h"

#include <fcntl.h>
#include <poll.h>
#include <pty.h>
#include <termios.h>
#include <unistd.h>

#include <cerrno>
#include <algorithm>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <thread>

#include <nlohmann/json.hpp>

#include <spandsp.h>
#include <spandsp/t30_fcf.h>

namespace lifeline::faxline {
namespace {

constexpr int kChunk = 160;  // 20 ms at 8000 samples/s
constexpr int kSpanLogLevel = static_cast<int>(SPAN_LOG_FLOW) | static_cast<int>(SPAN_LOG_SHOW_TAG);
constexpr auto kTick = std::chrono::milliseconds(20);
using Mono = std::chrono::steady_clock;

std::string Digits(const char* num) {
  std::string out;
  for (const char* p = num ? num : ""; *p; ++p) {
    if (*p >= '0' && *p <= '9') out.push_back(*p);
  }
  return out;
}

std::string Errno(const std::string& what) { return what + ": " + std::strerror(errno); }

}  // namespace

// What the simulated exchange does with the current call.
enum class CallState { kIdle, kRinging, kConnected, kEnding };
enum class Fate { kAnswer, kBusy, kNoAnswer, kNoDialtone, kCut };

struct FaxLine::Impl {
  LineOptions opt;
  int master_fd = -1;
  std::string slave_name;
  t31_state_t* t31 = nullptr;
  fax_state_t* fax = nullptr;
  bool cts_on = true;

  Mono::time_point line_now{};  // line time: 20 ms per audio chunk since Open

  // The current call.
  CallState state = CallState::kIdle;
  Fate fate = Fate::kAnswer;
  int call_no = 0;
  std::string number;
  Mono::time_point state_since;
  Mono::time_point cfr_at;
  bool cfr_sent = false;
  bool line_dead = false;
  int pages_received = 0;
  int phase_e_code = -1;
  int encoding = -1;  // spandsp's T4_COMPRESSION_ITU_* of the received pages
  std::string remote_ident;
  std::string rx_file;
  int ending_ticks = 0;
  std::string outcome;

  Status Open();
  Status Run(const std::atomic<bool>& stop);
  void ReadFromDte();
  void Tick();
  void Audio();
  void OnDial(const char* num);
  void OnHangup();
  void StartAnswering();
  void FinishCall();
  void Log(const std::string& line) const;
  Status WriteToDte(const uint8_t* buf, size_t len);
};

namespace {

int AtTx(at_state_t*, void* user, const uint8_t* buf, size_t len) {
  static_cast<FaxLine::Impl*>(user)->WriteToDte(buf, len).IgnoreError();
  return 0;
}

int ModemControl(t31_state_t*, void* user, int op, const char* num) {
  auto* s = static_cast<FaxLine::Impl*>(user);
  switch (op) {
    case AT_MODEM_CONTROL_CALL:
      s->OnDial(num);
      break;
    case AT_MODEM_CONTROL_HANGUP:
    case AT_MODEM_CONTROL_ONHOOK:
      s->OnHangup();
      break;
    case AT_MODEM_CONTROL_CTS:
      // T.31 asks the DTE to pause: stop reading the pty so its buffer fills and
      // the sender's writes block, as RTS/CTS would on a real serial line.
      s->cts_on = (num != nullptr);
      break;
    default:
      break;
  }
  return 0;
}

// Watches the answering machine's own frames: its first CFR (ready to receive)
// marks the start of the image phase, which is where a line cut is placed.
void RealTimeFrame(t30_state_t*, void* user, int incoming, const uint8_t* msg, int len) {
  auto* s = static_cast<FaxLine::Impl*>(user);
  if (!incoming && len >= 3 && (msg[2] & 0xFE) == T30_CFR && !s->cfr_sent) {
    s->cfr_sent = true;
    s->cfr_at = s->line_now;
  }
}

int PhaseD(t30_state_t* t30, void* user, int) {
  auto* s = static_cast<FaxLine::Impl*>(user);
  t30_stats_t st;
  t30_get_transfer_statistics(t30, &st);
  s->pages_received = st.pages_rx;
  return T30_ERR_OK;
}

void PhaseE(t30_state_t* t30, void* user, int code) {
  auto* s = static_cast<FaxLine::Impl*>(user);
  t30_stats_t st;
  t30_get_transfer_statistics(t30, &st);
  s->pages_received = st.pages_rx;
  s->phase_e_code = code;
  s->encoding = st.encoding;
  const char* ident = t30_get_rx_ident(t30);
  s->remote_ident = ident ? ident : "";
}

}  // namespace

void FaxLine::Impl::Log(const std::string& line) const {
  if (opt.verbose) fprintf(stderr, "fax-line: %s\n", line.c_str());
}

Status FaxLine::Impl::WriteToDte(const uint8_t* buf, size_t len) {
  while (len > 0) {
    ssize_t n = write(master_fd, buf, len);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN) {
      // Nobody is reading the serial port; wait briefly rather than lose replies.
      pollfd p{master_fd, POLLOUT, 0};
      if (poll(&p, 1, 200) <= 0) return IoError("pty full, dropped modem output");
      continue;
    }
    if (n < 0) return IoError(Errno("write pty"));
    buf += n;
    len -= static_cast<size_t>(n);
  }
  return Status::Ok();
}

Status FaxLine::Impl::Open() {
  int slave_fd = -1;
  char name[256];
  if (openpty(&master_fd, &slave_fd, name, nullptr, nullptr) != 0) return IoError(Errno("openpty"));
  slave_name = name;
  termios tio;
  if (tcgetattr(slave_fd, &tio) == 0) {
    cfmakeraw(&tio);
    tcsetattr(slave_fd, TCSANOW, &tio);
  }
  close(slave_fd);
  int flags = fcntl(master_fd, F_GETFL);
  fcntl(master_fd, F_SETFL, flags | O_NONBLOCK);
  if (!opt.link_path.empty()) {
    std::error_code ec;
    std::filesystem::remove(opt.link_path, ec);
    std::filesystem::create_symlink(slave_name, opt.link_path, ec);
    if (ec) return IoError("symlink " + opt.link_path + ": " + ec.message());
  }
  std::error_code ec;
  std::filesystem::create_directories(opt.rx_dir, ec);
  if (ec) return IoError("rx dir " + opt.rx_dir + ": " + ec.message());
  t31 = t31_init(nullptr, AtTx, this, ModemControl, this, nullptr, nullptr);
  if (t31 == nullptr) return Internal("t31_init failed");
  if (opt.verbose) {
    span_log_set_level(t31_get_logging_state(t31), kSpanLogLevel);
    span_log_set_tag(t31_get_logging_state(t31), "T.31");
  }
  return Status::Ok();
}

void FaxLine::Impl::OnDial(const char* num) {
  number = Digits(num);
  ++call_no;
  state = CallState::kRinging;
  state_since = line_now;
  fate = Fate::kAnswer;
  if (number == opt.busy_number) fate = Fate::kBusy;
  if (number == opt.no_answer_number) fate = Fate::kNoAnswer;
  if (number == opt.no_dialtone_number) fate = Fate::kNoDialtone;
  if (number == opt.cut_number) fate = Fate::kCut;
  cfr_sent = false;
  line_dead = false;
  pages_received = 0;
  phase_e_code = -1;
  encoding = -1;
  remote_ident.clear();
  rx_file.clear();
  outcome.clear();
  Log("call " + std::to_string(call_no) + " to " + number);
}

void FaxLine::Impl::StartAnswering() {
  fax = fax_init(nullptr, 0);
  t30_state_t* t30 = fax_get_t30_state(fax);
  rx_file = opt.rx_dir + "/call-" + std::to_string(call_no) + ".tif";
  t30_set_rx_file(t30, rx_file.c_str(), -1);
  t30_set_tx_ident(t30, opt.csi.c_str());
  t30_set_ecm_capability(t30, opt.ecm ? 1 : 0);
  t30_set_supported_modems(t30, T30_SUPPORT_V27TER | T30_SUPPORT_V29 | T30_SUPPORT_V17);
  t30_set_supported_compressions(t30, T30_SUPPORT_T4_1D_COMPRESSION |
                                          T30_SUPPORT_T4_2D_COMPRESSION |
                                          T30_SUPPORT_T6_COMPRESSION);
  t30_set_real_time_frame_handler(t30, RealTimeFrame, this);
  t30_set_phase_d_handler(t30, PhaseD, this);
  t30_set_phase_e_handler(t30, PhaseE, this);
  fax_set_transmit_on_idle(fax, 1);
  if (opt.verbose) {
    span_log_set_level(t30_get_logging_state(t30), kSpanLogLevel);
    span_log_set_tag(t30_get_logging_state(t30), "RX-FAX");
  }
  state = CallState::kConnected;
  state_since = line_now;
  t31_call_event(t31, AT_CALL_EVENT_CONNECTED);
}

void FaxLine::Impl::OnHangup() {
  if (state == CallState::kConnected) {
    // Let the answering machine hear the last of the line before it goes quiet.
    state = CallState::kEnding;
    ending_ticks = 15;
    line_dead = true;
  } else if (state == CallState::kRinging) {
    outcome = "abandoned";
    FinishCall();
  }
}

void FaxLine::Impl::FinishCall() {
  if (fax != nullptr) {
    fax_release(fax);
    fax_free(fax);
    fax = nullptr;
  }
  if (outcome.empty()) {
    if (fate == Fate::kCut) outcome = "cut";
    else outcome = phase_e_code == T30_ERR_OK ? "received" : "failed";
  }
  nlohmann::json j = {
      {"call", call_no},
      {"number", number},
      {"outcome", outcome},
      {"pages_received", pages_received},
      {"phase_e_code", phase_e_code},
      {"phase_e_text", phase_e_code >= 0 ? t30_completion_code_to_str(phase_e_code) : ""},
      {"remote_ident", remote_ident},
      {"rx_file", pages_received > 0 ? rx_file : ""},
      {"coding", pages_received == 0 ? "" : encoding == T4_COMPRESSION_ITU_T6 ? "T.6"
                                        : encoding == T4_COMPRESSION_ITU_T4_2D ? "T.4 2-D"
                                        : encoding == T4_COMPRESSION_ITU_T4_1D ? "T.4 1-D" : "other"},
  };
  std::ofstream out(opt.rx_dir + "/calls.jsonl", std::ios::app);
  out << j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
  out.flush();
  Log("call " + std::to_string(call_no) + " ended: " + j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
  state = CallState::kIdle;
}

void FaxLine::Impl::ReadFromDte() {
  char buf[1024];
  ssize_t n = read(master_fd, buf, sizeof(buf));
  if (n > 0) t31_at_rx(t31, buf, static_cast<int>(n));
}

void FaxLine::Impl::Audio() {
  int16_t to_modem[kChunk] = {};
  int16_t from_modem[kChunk] = {};
  const bool live = fax != nullptr && !line_dead;
  if (live) {
    int n = fax_tx(fax, to_modem, kChunk);
    if (n < kChunk) std::memset(to_modem + n, 0, sizeof(int16_t) * (kChunk - n));
  }
  t31_rx(t31, to_modem, kChunk);
  int n = t31_tx(t31, from_modem, kChunk);
  if (n < kChunk || !live) std::memset(from_modem + (live ? n : 0), 0,
                                       sizeof(int16_t) * (kChunk - (live ? n : 0)));
  if (fax != nullptr) fax_rx(fax, from_modem, kChunk);
}

void FaxLine::Impl::Tick() {
  line_now += kTick;
  const auto now = line_now;
  const auto in_state = now - state_since;
  if (state == CallState::kRinging) {
    if (fate == Fate::kNoDialtone) {
      outcome = "no_dialtone";
      t31_call_event(t31, AT_CALL_EVENT_NO_DIALTONE);
      FinishCall();
    } else if (fate == Fate::kBusy && in_state >= std::chrono::milliseconds(500)) {
      outcome = "busy";
      t31_call_event(t31, AT_CALL_EVENT_BUSY);
      FinishCall();
    } else if (fate == Fate::kNoAnswer && in_state >= opt.no_answer_after) {
      outcome = "no_answer";
      t31_call_event(t31, AT_CALL_EVENT_NO_ANSWER);
      FinishCall();
    } else if ((fate == Fate::kAnswer || fate == Fate::kCut) && in_state >= opt.answer_delay) {
      StartAnswering();
    }
  }
  if (state == CallState::kConnected && fate == Fate::kCut && cfr_sent && !line_dead &&
      now - cfr_at >= opt.cut_after) {
    Log("line goes dead");
    line_dead = true;
  }
  Audio();
  if (state == CallState::kEnding && --ending_ticks <= 0) FinishCall();
}

Status FaxLine::Impl::Run(const std::atomic<bool>& stop) {
  // At 16x a chunk is 1.25 ms apart: ppoll's nanosecond timeout keeps the pace
  // without spinning, where poll's whole milliseconds would.
  const auto pace = std::chrono::duration_cast<Mono::duration>(kTick) / std::max(1, opt.speed);
  auto next = Mono::now() + pace;
  while (!stop.load()) {
    auto now = Mono::now();
    const auto wait = std::chrono::duration_cast<std::chrono::nanoseconds>(
        std::max<Mono::duration>(next - now, Mono::duration::zero()));
    const timespec ts{static_cast<time_t>(wait.count() / 1000000000),
                      static_cast<long>(wait.count() % 1000000000)};
    pollfd p{master_fd, static_cast<short>(cts_on ? POLLIN : 0), 0};
    int r = ppoll(&p, 1, &ts, nullptr);
    if (r < 0 && errno != EINTR) return IoError(Errno("ppoll"));
    if (r > 0 && (p.revents & POLLIN)) {
      ReadFromDte();
    } else if (r > 0 && (p.revents & POLLHUP)) {
      // No program has the serial port open: a dropped DTR hangs up any call.
      if (state == CallState::kConnected || state == CallState::kRinging) OnHangup();
      std::this_thread::sleep_until(next);
    }
    now = Mono::now();
    if (now >= next) {
      Tick();
      next += pace;
      if (now - next > std::chrono::seconds(1)) next = now + pace;  // never race to catch up
    }
  }
  return Status::Ok();
}

FaxLine::FaxLine(LineOptions options) : impl_(std::make_unique<Impl>()) {
  impl_->opt = std::move(options);
}

FaxLine::~FaxLine() {
  if (impl_->fax != nullptr) {
    fax_release(impl_->fax);
    fax_free(impl_->fax);
  }
  if (impl_->t31 != nullptr) t31_free(impl_->t31);
  if (impl_->master_fd >= 0) close(impl_->master_fd);
  if (!impl_->opt.link_path.empty()) {
    std::error_code ec;
    std::filesystem::remove(impl_->opt.link_path, ec);
  }
}

Status FaxLine::Open() { return impl_->Open(); }
Status FaxLine::Run(const std::atomic<bool>& stop) { return impl_->Run(stop); }

}  // namespace lifeline::faxline
