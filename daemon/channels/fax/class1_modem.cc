// The reply parser accepts both verbose codes and the few modems that add
// spaces; numeric (ATV0) replies are not used because init sends ATE0 only.
#include "daemon/channels/fax/class1_modem.h"

#include <spandsp.h>

#include <cstdio>

namespace lifeline::fax {
namespace {

using Clock = std::chrono::steady_clock;
constexpr auto kPollEvery = std::chrono::milliseconds(20);

std::string Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\r' || s.front() == '\n')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\r' || s.back() == '\n')) s.remove_suffix(1);
  return std::string(s);
}

}  // namespace

std::string_view ModemReplyName(ModemReply r) {
  switch (r) {
    case ModemReply::kOk: return "OK";
    case ModemReply::kConnect: return "CONNECT";
    case ModemReply::kError: return "ERROR";
    case ModemReply::kNoCarrier: return "NO CARRIER";
    case ModemReply::kBusy: return "BUSY";
    case ModemReply::kNoAnswer: return "NO ANSWER";
    case ModemReply::kNoDialtone: return "NO DIALTONE";
    case ModemReply::kFcError: return "+FCERROR";
    case ModemReply::kTimeout: return "(timeout)";
    case ModemReply::kAborted: return "(aborted)";
  }
  return "?";
}

bool ParseFinalResult(std::string_view raw, ModemReply* reply) {
  const std::string line = Trim(raw);
  struct Code {
    const char* text;
    ModemReply reply;
  };
  static constexpr Code kCodes[] = {
      {"OK", ModemReply::kOk},           {"CONNECT", ModemReply::kConnect},
      {"ERROR", ModemReply::kError},     {"NO CARRIER", ModemReply::kNoCarrier},
      {"BUSY", ModemReply::kBusy},       {"NO ANSWER", ModemReply::kNoAnswer},
      {"NO DIALTONE", ModemReply::kNoDialtone}, {"NO DIAL TONE", ModemReply::kNoDialtone},
      {"+FCERROR", ModemReply::kFcError}, {"+F4", ModemReply::kFcError},
  };
  for (const auto& c : kCodes) {
    const std::string_view t = c.text;
    // "CONNECT 14400" style suffixes are allowed; "OKAY" is not a code.
    if (line == t || (line.size() > t.size() && line.compare(0, t.size(), t) == 0 &&
                      line[t.size()] == ' ')) {
      *reply = c.reply;
      return true;
    }
  }
  return false;
}

std::vector<uint8_t> StuffDle(const uint8_t* data, size_t len) {
  std::vector<uint8_t> out;
  out.reserve(len + len / 16 + 2);
  for (size_t i = 0; i < len; ++i) {
    out.push_back(data[i]);
    if (data[i] == kDle) out.push_back(kDle);
  }
  return out;
}

void Class1Modem::Trace(std::string_view dir, std::string_view text) const {
  if (trace_) std::fprintf(stderr, "modem %.*s %.*s\n", static_cast<int>(dir.size()), dir.data(),
                           static_cast<int>(text.size()), text.data());
}

Result<int> Class1Modem::NextByte(Deadline deadline, bool abortable) {
  for (;;) {
    if (cancelled()) return Status(StatusCode::kUnavailable, "call cancelled");
    const auto now = Clock::now();
    if (poll_ && now - last_poll_ >= kPollEvery) {
      last_poll_ = now;
      if (poll_() && abortable) return -2;
    }
    if (pos_ < buf_.size()) return static_cast<int>(buf_[pos_++]);
    if (now >= deadline) return -1;
    buf_.resize(4096);
    pos_ = 0;
    auto n = port_.Read(buf_.data(), buf_.size(), std::min<Deadline>(deadline, now + kPollEvery));
    if (!n.ok()) {
      buf_.clear();
      return n.status();
    }
    buf_.resize(*n);
  }
}

Result<std::string> Class1Modem::ReadLine(Deadline deadline, bool abortable, bool* aborted) {
  std::string line;
  for (;;) {
    auto b = NextByte(deadline, abortable);
    if (!b.ok()) return b.status();
    if (*b == -2) {
      *aborted = true;
      return line;
    }
    if (*b == -1) return Status(StatusCode::kDeadlineExceeded, "no reply from modem");
    if (*b == '\n' || *b == '\r') {
      if (!line.empty()) return line;
      continue;
    }
    line.push_back(static_cast<char>(*b));
  }
}

Result<ModemReply> Class1Modem::WaitReply(std::chrono::milliseconds timeout, bool abortable,
                                          std::string* literal) {
  const Deadline deadline = Clock::now() + timeout;
  for (;;) {
    bool aborted = false;
    auto line = ReadLine(deadline, abortable, &aborted);
    if (aborted) return ModemReply::kAborted;
    if (!line.ok()) {
      if (line.status().code() == StatusCode::kDeadlineExceeded) return ModemReply::kTimeout;
      return line.status();
    }
    Trace("<-", *line);
    ModemReply reply;
    if (ParseFinalResult(*line, &reply)) {
      if (literal) *literal = Trim(*line);
      return reply;
    }
  }
}

Result<ModemReply> Class1Modem::Command(std::string_view cmd, std::chrono::milliseconds timeout,
                                        bool abortable, std::string* literal) {
  Trace("->", cmd);
  std::string line(cmd);
  line.push_back('\r');
  LIFELINE_RETURN_IF_ERROR(port_.Write(reinterpret_cast<const uint8_t*>(line.data()), line.size(),
                                       Clock::now() + std::chrono::seconds(5)));
  return WaitReply(timeout, abortable, literal);
}

Status Class1Modem::SendData(const uint8_t* data, size_t len, std::chrono::milliseconds timeout) {
  const auto stuffed = StuffDle(data, len);
  const Deadline deadline = Clock::now() + timeout;
  // Writes go in slices so the poll hook (T.30 timers) runs while flow control holds us.
  for (size_t off = 0; off < stuffed.size();) {
    if (cancelled()) return Status(StatusCode::kUnavailable, "call cancelled");
    const size_t n = std::min<size_t>(256, stuffed.size() - off);
    LIFELINE_RETURN_IF_ERROR(port_.Write(stuffed.data() + off, n, deadline));
    off += n;
    if (poll_ && Clock::now() - last_poll_ >= kPollEvery) {
      last_poll_ = Clock::now();
      poll_();
    }
  }
  return Status::Ok();
}

Status Class1Modem::SendEnd(std::chrono::milliseconds timeout) {
  const uint8_t end[2] = {kDle, kEtx};
  return port_.Write(end, 2, Clock::now() + timeout);
}

Result<HdlcFrame> Class1Modem::ReceiveFrame(std::chrono::milliseconds timeout) {
  const Deadline deadline = Clock::now() + timeout;
  HdlcFrame frame;
  for (bool dle = false;;) {
    auto b = NextByte(deadline, true);
    if (!b.ok()) return b.status();
    if (*b == -2) return Status(StatusCode::kUnavailable, "frame reception abandoned");
    if (*b < 0) return Status(StatusCode::kDeadlineExceeded, "HDLC frame did not end");
    if (dle) {
      dle = false;
      if (*b == kEtx) break;
      if (*b == kDle) frame.bytes.push_back(kDle);
      continue;  // other <DLE>x pairs are modem status we do not use
    }
    if (*b == kDle) {
      dle = true;
      continue;
    }
    // The CR LF closing "CONNECT" may still be queued; a frame starts with 0xFF.
    if (frame.bytes.empty() && (*b == '\r' || *b == '\n')) continue;
    frame.bytes.push_back(static_cast<uint8_t>(*b));
    if (frame.bytes.size() > 1024) return Corruption("HDLC frame longer than any T.30 frame");
  }
  auto verdict = WaitReply(std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()) +
                           std::chrono::seconds(1));
  if (!verdict.ok()) return verdict.status();
  frame.fcs_ok = *verdict == ModemReply::kOk;
  // T.31 passes the two FCS octets through; drop them when they check out.
  if (frame.bytes.size() >= 5 &&
      crc_itu16_check(frame.bytes.data(), static_cast<int>(frame.bytes.size()))) {
    frame.bytes.resize(frame.bytes.size() - 2);
  }
  Trace("<- frame", std::to_string(frame.bytes.size()) + (frame.fcs_ok ? " bytes OK" : " bytes ERROR"));
  return frame;
}

Status Class1Modem::Abort() {
  Trace("->", "<CAN>");
  const uint8_t can = kCan;
  LIFELINE_RETURN_IF_ERROR(port_.Write(&can, 1, Clock::now() + std::chrono::seconds(2)));
  auto r = WaitReply(std::chrono::seconds(3));
  if (!r.ok()) return r.status();
  return Status::Ok();
}

Status Class1Modem::HangUpFromAnyState() {
  Trace("->", "<DLE><ETX><CAN> (hang up)");
  cancel_ = nullptr;  // the hang-up itself must be allowed to wait
  const uint8_t out[3] = {kDle, kEtx, kCan};
  LIFELINE_RETURN_IF_ERROR(port_.Write(out, sizeof(out), Clock::now() + std::chrono::seconds(1)));
  // Whatever the modem says to that (OK, NO CARRIER, or nothing in command mode).
  auto ended = WaitReply(std::chrono::seconds(1));
  (void)ended;
  buf_.clear();
  pos_ = 0;
  port_.DiscardInput();
  auto r = Command("ATH0", std::chrono::seconds(2));
  if (!r.ok()) return r.status();
  return Status::Ok();
}

}  // namespace lifeline::fax
