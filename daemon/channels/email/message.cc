// BuildMessage: the RFC 5322 / MIME text of one message. Every header is either
// fixed ASCII or checked and encoded here, so no caller text can add a header.
#include <array>
#include <chrono>
#include <cstdio>

#include "daemon/channels/email/email.h"
#include "daemon/core/uuid.h"

namespace lifeline::email {
namespace {

constexpr std::string_view kCrlf = "\r\n";
// 36 bytes of UTF-8 become 48 base64 characters, a 60-character encoded word:
// "Subject: " plus one word stays under RFC 5322's 78-column line limit.
constexpr size_t kWordBytes = 36;
constexpr size_t kBodyColumns = 76;  // RFC 2045 base64 line length

bool HasLineBreak(std::string_view s) { return s.find_first_of("\r\n") != std::string_view::npos; }

// Length of the UTF-8 sequence starting with `lead`, 0 if `lead` cannot start one.
size_t Utf8Length(unsigned char lead) {
  if (lead < 0x80) return 1;
  if (lead >= 0xC2 && lead <= 0xDF) return 2;
  if (lead >= 0xE0 && lead <= 0xEF) return 3;
  if (lead >= 0xF0 && lead <= 0xF4) return 4;
  return 0;
}

bool IsValidUtf8(std::string_view s) {
  for (size_t i = 0; i < s.size();) {
    size_t n = Utf8Length(static_cast<unsigned char>(s[i]));
    if (n == 0 || i + n > s.size()) return false;
    for (size_t k = 1; k < n; ++k) {
      if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) return false;
    }
    i += n;
  }
  return true;
}

std::string Base64(std::string_view in) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((in.size() + 2) / 3 * 4);
  for (size_t i = 0; i < in.size(); i += 3) {
    uint32_t v = static_cast<unsigned char>(in[i]) << 16;
    if (i + 1 < in.size()) v |= static_cast<unsigned char>(in[i + 1]) << 8;
    if (i + 2 < in.size()) v |= static_cast<unsigned char>(in[i + 2]);
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += i + 1 < in.size() ? kAlphabet[(v >> 6) & 63] : '=';
    out += i + 2 < in.size() ? kAlphabet[v & 63] : '=';
  }
  return out;
}

// RFC 2047 "B" words, each cut on a character boundary (a word must hold whole
// characters, RFC 2047 §5).
std::vector<std::string> EncodedWords(std::string_view text) {
  std::vector<std::string> words;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = start;
    while (end < text.size()) {
      size_t n = Utf8Length(static_cast<unsigned char>(text[end]));
      if (end + n - start > kWordBytes) break;
      end += n;
    }
    words.push_back("=?UTF-8?B?" + Base64(text.substr(start, end - start)) + "?=");
    start = end;
  }
  return words;
}

// "Name: w1\r\n w2\r\n": folding whitespace between encoded words is not part
// of the decoded text (RFC 2047 §6.2), so this round-trips exactly.
std::string FoldedHeader(std::string_view name, const std::vector<std::string>& parts,
                         std::string_view separator) {
  std::string out(name);
  out += ": ";
  for (size_t i = 0; i < parts.size(); ++i) {
    if (i > 0) {
      out += separator;
      out += "\r\n ";
    }
    out += parts[i];
  }
  out += kCrlf;
  return out;
}

std::string FormatDate(const OffsetTime& t) {
  using namespace std::chrono;
  static constexpr std::array<const char*, 7> kDays = {"Sun", "Mon", "Tue", "Wed",
                                                       "Thu", "Fri", "Sat"};
  static constexpr std::array<const char*, 12> kMonths = {
      "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  auto local = floor<seconds>(t.instant) + minutes(t.offset_minutes);
  auto day = floor<days>(local);
  year_month_day ymd(day);
  hh_mm_ss hms(local - day);
  int off = t.offset_minutes < 0 ? -t.offset_minutes : t.offset_minutes;
  char buf[64];
  std::snprintf(buf, sizeof buf, "%s, %u %s %d %02d:%02d:%02d %c%02d%02d",
                kDays[weekday(day).c_encoding()], static_cast<unsigned>(ymd.day()),
                kMonths[static_cast<unsigned>(ymd.month()) - 1], static_cast<int>(ymd.year()),
                static_cast<int>(hms.hours().count()), static_cast<int>(hms.minutes().count()),
                static_cast<int>(hms.seconds().count()), t.offset_minutes < 0 ? '-' : '+',
                off / 60, off % 60);
  return buf;
}

// Text in MIME canonical form: every line break is CRLF (RFC 2045 §6.8), so the
// reader decodes the same bytes whichever line convention the template had.
std::string CanonicalLines(std::string_view text) {
  std::string out;
  out.reserve(text.size() + text.size() / 32);
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\r') {
      out += kCrlf;
      if (i + 1 < text.size() && text[i + 1] == '\n') ++i;
    } else if (text[i] == '\n') {
      out += kCrlf;
    } else {
      out += text[i];
    }
  }
  return out;
}

std::string Base64Lines(std::string_view data) {
  std::string b64 = Base64(data);
  std::string out;
  for (size_t i = 0; i < b64.size(); i += kBodyColumns) {
    out += b64.substr(i, kBodyColumns);
    out += kCrlf;
  }
  return out;
}

bool IsValidMessageId(std::string_view id) {
  if (id.size() < 5 || id.front() != '<' || id.back() != '>') return false;
  std::string_view inner = id.substr(1, id.size() - 2);
  if (inner.find('@') == std::string_view::npos) return false;
  for (char c : inner) {
    if (c <= ' ' || c >= 0x7F || c == '<' || c == '>') return false;
  }
  return true;
}

Status Validate(const EmailMessage& m, const MessageStamp& stamp) {
  if (!IsValidAddress(m.from)) return InvalidArgument("from: not a valid address: " + m.from);
  if (m.to.empty()) return InvalidArgument("to: at least one recipient is needed");
  for (const std::string& to : m.to) {
    if (!IsValidAddress(to)) return InvalidArgument("to: not a valid address: " + to);
  }
  if (HasLineBreak(m.from_name) || HasLineBreak(m.subject)) {
    return InvalidArgument("a header field holds CR or LF (header injection refused)");
  }
  if (!IsValidUtf8(m.from_name) || !IsValidUtf8(m.subject) || !IsValidUtf8(m.body)) {
    return InvalidArgument("from_name, subject and body must be valid UTF-8");
  }
  if (!IsValidMessageId(stamp.message_id)) {
    return InvalidArgument("message id must look like <id@domain>: " + stamp.message_id);
  }
  return Status::Ok();
}

std::string FromHeader(const EmailMessage& m) {
  std::vector<std::string> parts;
  if (!m.from_name.empty()) parts = EncodedWords(m.from_name);
  parts.push_back("<" + m.from + ">");
  return FoldedHeader("From", parts, "");
}

}  // namespace

bool IsValidAddress(std::string_view a) {
  size_t at = a.rfind('@');
  if (at == std::string_view::npos || at == 0 || at + 1 >= a.size() || a.size() > 254) {
    return false;
  }
  std::string_view local = a.substr(0, at), domain = a.substr(at + 1);
  if (local.size() > 64 || local.front() == '.' || local.back() == '.') return false;
  for (char c : local) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              std::string_view("!#$%&'*+-/=?^_`{|}~.").find(c) != std::string_view::npos;
    if (!ok) return false;
  }
  if (domain.front() == '.' || domain.back() == '.' || domain.front() == '-') return false;
  for (size_t i = 0; i < domain.size(); ++i) {
    char c = domain[i];
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-' || (c == '.' && domain[i - 1] != '.');
    if (!ok) return false;
  }
  return true;
}

Result<std::string> NewMessageId(std::string_view from) {
  if (!IsValidAddress(from)) return InvalidArgument("from: not a valid address");
  Result<std::string> uuid = NewUuidV4();
  if (!uuid.ok()) return uuid.status();
  return "<" + *uuid + std::string(from.substr(from.rfind('@'))) + ">";
}

Result<std::string> BuildMessage(const EmailMessage& m, const MessageStamp& stamp) {
  LIFELINE_RETURN_IF_ERROR(Validate(m, stamp));
  std::string out;
  out += "Date: " + FormatDate(stamp.date) + std::string(kCrlf);
  out += FromHeader(m);
  out += FoldedHeader("To", m.to, ",");
  // An empty subject still gets the header; an empty encoded word would be odd.
  out += m.subject.empty() ? std::string("Subject: \r\n")
                           : FoldedHeader("Subject", EncodedWords(m.subject), "");
  out += "Message-ID: " + stamp.message_id + std::string(kCrlf);
  out += "MIME-Version: 1.0\r\n";
  out += "Content-Type: text/plain; charset=UTF-8\r\n";
  out += "Content-Transfer-Encoding: base64\r\n";
  out += kCrlf;
  out += Base64Lines(CanonicalLines(m.body));
  return out;
}

}  // namespace lifeline::email
