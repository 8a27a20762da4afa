// The loop alternates between what T.30 wants next (transmit a burst, or wait
// for frames) and feeding it time. T.30 callbacks only record requests; all
// I/O happens in the loop, never inside a spandsp callback.
#include "daemon/channels/fax/t30_session.h"

#include <spandsp.h>

#include <cstdio>

namespace lifeline::fax {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;
using std::chrono::seconds;

T30Session* Self(void* p) { return static_cast<T30Session*>(p); }
void SetRx(void* u, int type, int rate, int st, int hdlc) { Self(u)->OnSetRx(type, rate, st, hdlc); }
void SetTx(void* u, int type, int rate, int st, int hdlc) { Self(u)->OnSetTx(type, rate, st, hdlc); }
void SendHdlc(void* u, const uint8_t* msg, int len) { Self(u)->OnSendHdlc(msg, len); }
int PhaseB(t30_state_t*, void* u, int) { return Self(u)->OnPhaseB(), T30_ERR_OK; }
int PhaseD(t30_state_t*, void* u, int r) { return Self(u)->OnPhaseD(r), T30_ERR_OK; }
void PhaseE(t30_state_t*, void* u, int code) { Self(u)->OnPhaseE(code); }
void Underflow(void* u) { Self(u)->OnHdlcUnderflow(); }
void TraceLog(int, const char* text) { std::fputs(text, stderr); }

bool IsTransmitType(int type) {
  return type == T30_MODEM_V21 || type == T30_MODEM_V27TER || type == T30_MODEM_V29 ||
         type == T30_MODEM_V17 || type == T30_MODEM_PAUSE;
}

int SupportedModems(int max_bit_rate) {
  if (max_bit_rate >= 12000) return T30_SUPPORT_V17 | T30_SUPPORT_V29 | T30_SUPPORT_V27TER;
  if (max_bit_rate >= 7200) return T30_SUPPORT_V29 | T30_SUPPORT_V27TER;
  return T30_SUPPORT_V27TER;
}

}  // namespace

int OfferedCompressions(const FaxSendOptions& o) {
  int mask = T30_SUPPORT_T4_1D_COMPRESSION;
  if (o.best_coding != Coding::kMh) mask |= T30_SUPPORT_T4_2D_COMPRESSION;
  if (o.best_coding == Coding::kT6 && o.ecm) mask |= T30_SUPPORT_T6_COMPRESSION;
  return mask;
}

std::string CodingOfEncoding(int encoding) {
  switch (encoding) {
    case T4_COMPRESSION_ITU_T4_1D: return std::string(CodingName(Coding::kMh));
    case T4_COMPRESSION_ITU_T4_2D: return std::string(CodingName(Coding::kMr));
    case T4_COMPRESSION_ITU_T6: return std::string(CodingName(Coding::kT6));
    default: return "";
  }
}

int ModulationCode(int type, int bit_rate, bool short_train) {
  switch (type) {
    case T30_MODEM_V21: return 3;
    case T30_MODEM_V27TER: return bit_rate == 2400 ? 24 : 48;
    case T30_MODEM_V29: return bit_rate == 7200 ? 72 : 96;
    case T30_MODEM_V17: {
      const int base = bit_rate == 7200 ? 73 : bit_rate == 9600 ? 97 : bit_rate == 12000 ? 121 : 145;
      return base + (short_train ? 1 : 0);
    }
    default: return -1;
  }
}

T30Session::T30Session(Class1Modem& modem, const FaxSendOptions& options, AttemptEvidence* ev)
    : modem_(modem), options_(options), ev_(ev) {}

T30Session::~T30Session() {
  if (hdlc_tx_) hdlc_tx_free(hdlc_tx_);
  if (t30_) {
    t30_release(t30_);
    t30_free(t30_);
  }
}

void T30Session::OnSetRx(int type, int bit_rate, int short_train, int hdlc) {
  rx_ = {type, bit_rate, short_train, hdlc != 0};
}

void T30Session::OnSetTx(int type, int bit_rate, int short_train, int hdlc) {
  tx_ = {type, bit_rate, short_train, hdlc != 0};
  tx_requested_ = IsTransmitType(type);
}

void T30Session::OnSendHdlc(const uint8_t* msg, int len) {
  frames_.emplace_back(msg != nullptr && len > 0 ? std::vector<uint8_t>(msg, msg + len)
                                                 : std::vector<uint8_t>{});
}

void T30Session::OnPhaseB() {
  const char* ident = t30_get_rx_ident(t30_);
  if (ident != nullptr) ev_->remote_csi = ident;
}

void T30Session::OnPhaseD(int result) {
  PageEvidence page;
  page.page = static_cast<int>(ev_->pages.size()) + 1;
  page.response = t30_frametype(static_cast<uint8_t>(result));
  page.confirmed = result == T30_MCF || result == T30_RTP || result == T30_PIP;
  ev_->pages.push_back(page);
  if (page.confirmed) ++ev_->pages_confirmed;
}

void T30Session::OnPhaseE(int code) {
  t30_stats_t st;
  t30_get_transfer_statistics(t30_, &st);
  ev_->t30_code = code;
  ev_->t30_text = t30_completion_code_to_str(code);
  ev_->pages_sent = st.pages_tx;
  ev_->bit_rate = st.bit_rate;
  ev_->ecm = st.error_correcting_mode != 0;
  if (st.pages_tx > 0) ev_->coding = CodingOfEncoding(st.encoding);
  if (ev_->remote_csi.empty() && t30_get_rx_ident(t30_)) ev_->remote_csi = t30_get_rx_ident(t30_);
  done_ = true;
}

void T30Session::Configure(const std::string& tiff_path) {
  t30_ = t30_init(nullptr, 1, SetRx, this, SetTx, this, SendHdlc, this);
  t30_set_tx_file(t30_, tiff_path.c_str(), -1, -1);
  t30_set_tx_ident(t30_, options_.local_ident.c_str());
  t30_set_ecm_capability(t30_, options_.ecm ? 1 : 0);
  t30_set_supported_modems(t30_, SupportedModems(options_.max_bit_rate));
  t30_set_supported_compressions(t30_, OfferedCompressions(options_));
  t30_set_phase_b_handler(t30_, PhaseB, this);
  t30_set_phase_d_handler(t30_, PhaseD, this);
  t30_set_phase_e_handler(t30_, PhaseE, this);
  if (options_.trace) {
    logging_state_t* log = t30_get_logging_state(t30_);
    span_log_set_level(log, static_cast<int>(SPAN_LOG_FLOW) | static_cast<int>(SPAN_LOG_SHOW_TAG));
    span_log_set_tag(log, "T.30");
    span_log_set_message_handler(log, TraceLog);
  }
  t30_restart(t30_);
  last_timer_update_ = Clock::now();
}

bool T30Session::UpdateTimers() {
  const auto now = Clock::now();
  const auto us = std::chrono::duration_cast<std::chrono::microseconds>(now - last_timer_update_);
  const int samples = static_cast<int>(us.count() * 8 / 1000);  // 8000 samples/s
  if (samples > 0) {
    t30_timer_update(t30_, samples);
    last_timer_update_ += std::chrono::microseconds(static_cast<int64_t>(samples) * 1000 / 8);
  }
  return WantsTransmit() || done_;
}

bool T30Session::WantsTransmit() const { return tx_requested_; }

void T30Session::StepComplete() { t30_front_end_status(t30_, T30_FRONT_END_SEND_STEP_COMPLETE); }

void T30Session::FailCall(const Status& why) {
  if (ev_->error.empty()) ev_->error = why.ToString();
  if (!done_) t30_terminate(t30_);
  done_ = true;  // t30_terminate reports phase E; this guards a second report
}

Status T30Session::StartCarrier(const char* cmd) {
  // T.30 wants 75 +- 20 ms of silence between carriers, or the far end misses
  // the change (it is still listening to V.21 when training begins).
  auto quiet = modem_.Command("AT+FTS=8", seconds(5));
  if (!quiet.ok()) return quiet.status();
  auto r = modem_.Command(cmd, seconds(10));
  if (!r.ok()) return r.status();
  if (*r != ModemReply::kConnect) {
    return Unavailable(std::string(cmd) + " answered " + std::string(ModemReplyName(*r)));
  }
  return Status::Ok();
}

Status T30Session::Run(const std::string& tiff_path) {
  Configure(tiff_path);
  modem_.set_poll_hook([this] { return UpdateTimers(); });
  const auto deadline = Clock::now() + options_.call_timeout;
  // ATD's CONNECT leaves the modem receiving V.21 HDLC, as after +FRH=3.
  bool connected = true;
  while (!done_) {
    if (modem_.cancelled()) {
      FailCall(Status(StatusCode::kUnavailable, "call cancelled"));
      break;
    }
    if (Clock::now() > deadline) {
      FailCall(Status(StatusCode::kDeadlineExceeded, "call exceeded its time limit"));
      break;
    }
    UpdateTimers();
    Status st;
    if (WantsTransmit()) {
      st = Transmit();
    } else if (rx_.type == T30_MODEM_V21 && rx_.hdlc) {
      st = Receive(connected);
    } else {
      auto r = modem_.WaitReply(milliseconds(20), true);  // idle: let time pass
      st = r.status();
    }
    connected = false;
    if (!st.ok()) FailCall(st);
  }
  modem_.set_poll_hook(nullptr);
  return Status::Ok();
}

Status T30Session::Transmit() {
  tx_requested_ = false;
  switch (tx_.type) {
    case T30_MODEM_PAUSE: {
      auto r = modem_.Command("AT+FTS=" + std::to_string(std::max(1, tx_.short_train / 10)), seconds(5));
      if (!r.ok()) return r.status();
      StepComplete();
      return Status::Ok();
    }
    case T30_MODEM_V21:
      return TransmitV21Frames();
    default:
      return tx_.hdlc ? TransmitEcmFrames() : TransmitImageData();
  }
}

bool T30Session::WaitForFrame() {
  // T.30 may announce the carrier a moment before it hands over the frame.
  for (int i = 0; i < 50 && frames_.empty() && !done_; ++i) {
    auto r = modem_.WaitReply(milliseconds(20), true);
    if (!r.ok()) return false;
  }
  return !frames_.empty();
}

Status T30Session::TransmitV21Frames() {
  if (!WaitForFrame()) return Status::Ok();
  LIFELINE_RETURN_IF_ERROR(StartCarrier("AT+FTH=3"));
  bool carrier_off = false;
  for (int guard = 0; guard < 64; ++guard) {
    if (!WaitForFrame()) return Internal("T.30 asked for V.21 but queued no frame");
    std::vector<uint8_t> f = std::move(frames_.front());
    frames_.pop_front();
    if (f.empty()) {  // end of this transmission
      if (!carrier_off) {
        LIFELINE_RETURN_IF_ERROR(modem_.SendEnd(seconds(2)));
        auto r = modem_.WaitReply(seconds(5));
        if (!r.ok()) return r.status();
      }
      StepComplete();
      return Status::Ok();
    }
    LIFELINE_RETURN_IF_ERROR(modem_.SendData(f.data(), f.size(), seconds(5)));
    LIFELINE_RETURN_IF_ERROR(modem_.SendEnd(seconds(2)));
    auto r = modem_.WaitReply(seconds(10));
    if (!r.ok()) return r.status();
    if (*r != ModemReply::kConnect && *r != ModemReply::kOk) {
      return Unavailable("modem ended HDLC transmission with " + std::string(ModemReplyName(*r)));
    }
    carrier_off = *r == ModemReply::kOk;
    StepComplete();
  }
  return Internal("too many frames in one V.21 burst");
}

Status T30Session::TransmitImageData() {
  const int code = ModulationCode(tx_.type, tx_.bit_rate, tx_.short_train != 0);
  if (code < 0) return Internal("unknown modem type " + std::to_string(tx_.type));
  LIFELINE_RETURN_IF_ERROR(StartCarrier(("AT+FTM=" + std::to_string(code)).c_str()));
  uint8_t buf[256];
  for (;;) {
    const int n = t30_non_ecm_get_chunk(t30_, buf, sizeof(buf));
    if (n > 0) LIFELINE_RETURN_IF_ERROR(modem_.SendData(buf, static_cast<size_t>(n), seconds(30)));
    if (n < static_cast<int>(sizeof(buf))) break;
  }
  LIFELINE_RETURN_IF_ERROR(modem_.SendEnd(seconds(30)));
  // The modem answers once its buffer has gone down the line.
  auto r = modem_.WaitReply(seconds(120));
  if (!r.ok()) return r.status();
  if (*r != ModemReply::kOk) return Unavailable("page data ended with " + std::string(ModemReplyName(*r)));
  StepComplete();
  return Status::Ok();
}

Status T30Session::TransmitEcmFrames() {
  const int code = ModulationCode(tx_.type, tx_.bit_rate, tx_.short_train != 0);
  if (code < 0) return Internal("unknown modem type " + std::to_string(tx_.type));
  if (!WaitForFrame()) return Status::Ok();
  LIFELINE_RETURN_IF_ERROR(StartCarrier(("AT+FTM=" + std::to_string(code)).c_str()));
  if (hdlc_tx_) hdlc_tx_free(hdlc_tx_);
  hdlc_tx_ = hdlc_tx_init(nullptr, 0, 2, 0, Underflow, this);
  hdlc_tx_flags(hdlc_tx_, tx_.bit_rate / 40);  // ~200 ms of flags before the first frame
  std::vector<uint8_t> out;
  for (int guard = 0; guard < 4096; ++guard) {
    if (!WaitForFrame()) return Internal("T.30 asked for ECM data but queued no frame");
    std::vector<uint8_t> f = std::move(frames_.front());
    frames_.pop_front();
    const bool end = f.empty();
    hdlc_tx_frame(hdlc_tx_, end ? nullptr : f.data(), f.size());
    hdlc_underflow_ = false;
    out.clear();
    for (int i = 0; i < 8192 && !hdlc_underflow_; ++i) {
      const int b = hdlc_tx_get_byte(hdlc_tx_);
      if (b < 0 || b > 0xFF) break;
      // spandsp packs HDLC bits MSB first; Class 1 sends each octet LSB first.
      out.push_back(bit_reverse8(static_cast<uint8_t>(b)));
    }
    LIFELINE_RETURN_IF_ERROR(modem_.SendData(out.data(), out.size(), seconds(30)));
    if (end) break;
    StepComplete();
  }
  LIFELINE_RETURN_IF_ERROR(modem_.SendEnd(seconds(30)));
  auto r = modem_.WaitReply(seconds(120));
  if (!r.ok()) return r.status();
  if (*r != ModemReply::kOk) return Unavailable("ECM block ended with " + std::string(ModemReplyName(*r)));
  StepComplete();
  return Status::Ok();
}

Status T30Session::Receive(bool already_connected) {
  if (!already_connected) {
    auto r = modem_.Command("AT+FRH=3", seconds(60), /*abortable=*/true);
    if (!r.ok()) return r.status();
    if (*r == ModemReply::kAborted) return modem_.Abort();  // T.30 wants to speak instead
    if (*r != ModemReply::kConnect) return Status::Ok();    // NO CARRIER etc.: T.30's timers decide
  }
  t30_hdlc_accept(t30_, nullptr, SIG_STATUS_CARRIER_UP, 1);
  t30_hdlc_accept(t30_, nullptr, SIG_STATUS_FRAMING_OK, 1);
  return DeliverFrames();
}

Status T30Session::DeliverFrames() {
  for (int guard = 0; guard < 64; ++guard) {
    auto frame = modem_.ReceiveFrame(seconds(5));
    if (!frame.ok()) {
      // A frame that never ends is a carrier lost mid-frame; T.30's own timers
      // (T4A/T2A) judge that, so stop listening and report the carrier gone.
      if (frame.status().code() == StatusCode::kIoError) return frame.status();
      LIFELINE_RETURN_IF_ERROR(modem_.Abort());
      break;
    }
    const auto& b = frame->bytes;
    const bool final_frame = b.size() >= 2 && (b[1] & 0x10);
    t30_hdlc_accept(t30_, b.data(), static_cast<int>(b.size()), frame->fcs_ok ? 1 : 0);
    if (final_frame || done_) break;
    if (WantsTransmit()) return Status::Ok();
    auto r = modem_.Command("AT+FRH=3", seconds(5));
    if (!r.ok()) return r.status();
    if (*r != ModemReply::kConnect) break;
  }
  // The carrier drop is what releases T.30's queued phase change.
  t30_hdlc_accept(t30_, nullptr, SIG_STATUS_CARRIER_DOWN, 1);
  return Status::Ok();
}

}  // namespace lifeline::fax
