// The request parser: RFC 9112 sections 2-7 as far as an origin server needs
// them. Lenient only where the RFC allows a recipient to be (a bare LF ends a
// line, empty lines before the request line); strict wherever framing could be
// read two ways, since a proxy in front may read it the other way.
#include <algorithm>
#include <charconv>

#include "daemon/http/http.h"
#include "daemon/http/syntax.h"

namespace lifeline::http {
namespace {

constexpr size_t kMaxChunkLine = 1024;

bool IsTchar(unsigned char c) {
  if (std::isalnum(c)) return true;
  return std::string_view("!#$%&'*+-.^_`|~").find(static_cast<char>(c)) != std::string_view::npos;
}

bool IsToken(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](unsigned char c) { return IsTchar(c); });
}

// Field values: visible bytes, obs-text, SP and HTAB; no other control byte.
bool IsFieldValue(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](unsigned char c) { return c == '\t' || (c >= 0x20 && c != 0x7F); });
}

// The request-target: visible ASCII only, origin-form.
bool IsOriginForm(std::string_view s) {
  if (s.empty() || s.front() != '/') return false;
  return std::all_of(s.begin(), s.end(), [](unsigned char c) { return c > 0x20 && c < 0x7F; });
}

bool HasToken(std::string_view list, std::string_view token) {
  while (!list.empty()) {
    size_t comma = list.find(',');
    if (syntax::AsciiLower(syntax::TrimOws(list.substr(0, comma))) == token) return true;
    list = comma == std::string_view::npos ? std::string_view() : list.substr(comma + 1);
  }
  return false;
}

// Content-Length as one number: repeated fields or a list must all agree
// (RFC 9112 6.3 point 5); anything else is an error.
std::optional<size_t> ContentLength(const Headers& headers, bool* invalid) {
  std::optional<size_t> length;
  for (const auto& [name, value] : headers.fields()) {
    if (name != "content-length") continue;
    std::string_view list = value;
    while (true) {
      size_t comma = list.find(',');
      std::string_view item = syntax::TrimOws(list.substr(0, comma));
      size_t n = 0;
      auto [p, ec] = std::from_chars(item.data(), item.data() + item.size(), n);
      if (item.empty() || ec != std::errc() || p != item.data() + item.size() || (length && *length != n)) {
        *invalid = true;
        return std::nullopt;
      }
      length = n;
      if (comma == std::string_view::npos) break;
      list = list.substr(comma + 1);
    }
  }
  return length;
}

}  // namespace

void RequestParser::Reset() { *this = RequestParser(std::move(body_limit_)); }

void RequestParser::Fail(int status, std::string why) {
  state_ = State::kError;
  error_status_ = status;
  error_ = std::move(why);
}

size_t RequestParser::Feed(std::string_view data) {
  size_t used = 0;
  while (state_ == State::kNeedMore && used < data.size()) {
    std::string_view rest = data.substr(used);
    switch (phase_) {
      case Phase::kHead: used += FeedHead(rest); break;
      case Phase::kBody: used += FeedBody(rest); break;
      case Phase::kChunked: used += FeedChunked(rest); break;
    }
  }
  return used;
}

size_t RequestParser::FeedHead(std::string_view data) {
  size_t end = data.find('\n');
  size_t take = end == std::string_view::npos ? data.size() : end + 1;
  // Empty lines before the request line are ignored (RFC 9112 2.2).
  if (head_.empty() && (data.substr(0, take) == "\r\n" || data.substr(0, take) == "\n")) return take;
  // A method starts with a token character; anything else (a TLS ClientHello
  // on a plain port) is refused at once rather than after a timeout.
  if (head_.empty() && !IsTchar(static_cast<unsigned char>(data[0])) && data[0] != '\r' && data[0] != '\n') {
    Fail(400, "not an HTTP request");
    return 1;
  }
  head_.append(data.substr(0, take));
  if (head_ == "\r\n" || head_ == "\n") {  // the same empty line, arrived in pieces
    head_.clear();
    return take;
  }
  if (head_.size() > kMaxHeadBytes) {
    Fail(431, "request head larger than 16 KiB");
    return take;
  }
  bool ended = head_.size() >= 2 && head_.compare(head_.size() - 2, 2, "\n\n") == 0;
  ended = ended || (head_.size() >= 3 && head_.compare(head_.size() - 3, 3, "\n\r\n") == 0);
  if (ended) ParseHead();
  return take;
}

size_t RequestParser::FeedBody(std::string_view data) {
  size_t take = std::min(body_needed_, data.size());
  request_.body.append(data.substr(0, take));
  body_needed_ -= take;
  if (body_needed_ == 0) state_ = State::kComplete;
  return take;
}

size_t RequestParser::FeedChunked(std::string_view data) {
  size_t used = chunked_.Feed(data, &request_.body);
  if (chunked_.state() == ChunkedDecoder::State::kError) Fail(chunked_.error_status(), chunked_.error());
  if (chunked_.state() == ChunkedDecoder::State::kComplete) state_ = State::kComplete;
  return used;
}

void ChunkedDecoder::Fail(int status, std::string why) {
  state_ = State::kError;
  error_status_ = status;
  error_ = std::move(why);
}

size_t ChunkedDecoder::Feed(std::string_view data, std::string* body) {
  size_t used = 0;
  while (state_ == State::kNeedMore && used < data.size()) {
    std::string_view rest = data.substr(used);
    if (phase_ == Phase::kData) {
      size_t take = std::min(needed_, rest.size());
      body->append(rest.substr(0, take));
      needed_ -= take;
      used += take;
      if (needed_ == 0) phase_ = Phase::kDataEnd;
      continue;
    }
    size_t end = rest.find('\n');
    size_t take = end == std::string_view::npos ? rest.size() : end + 1;
    line_.append(rest.substr(0, take));
    used += take;
    if (line_.size() > (phase_ == Phase::kTrailer ? kMaxHeadBytes : kMaxChunkLine)) {
      Fail(phase_ == Phase::kTrailer ? 431 : 400, "chunk framing line too long");
    } else if (end != std::string_view::npos) {
      OnLine(syntax::StripCr(std::string_view(line_).substr(0, line_.size() - 1)), body->size());
      line_.clear();
    }
  }
  return used;
}

// One framing line: a chunk size, the CRLF after a chunk's data, or a trailer field.
void ChunkedDecoder::OnLine(std::string_view line, size_t body_size) {
  if (phase_ == Phase::kDataEnd) {
    if (!line.empty()) return Fail(400, "chunk data longer than its size");
    phase_ = Phase::kSize;
    return;
  }
  if (phase_ == Phase::kTrailer) {
    trailer_bytes_ += line.size() + 2;
    if (trailer_bytes_ > kMaxHeadBytes) return Fail(431, "trailer larger than 16 KiB");
    if (line.empty()) state_ = State::kComplete;
    return;
  }
  std::string_view size_text = syntax::TrimOws(line.substr(0, line.find(';')));
  size_t n = 0;
  auto [p, ec] = std::from_chars(size_text.data(), size_text.data() + size_text.size(), n, 16);
  if (size_text.empty() || ec != std::errc() || p != size_text.data() + size_text.size()) {
    return Fail(400, "bad chunk size");
  }
  if (n > cap_ - std::min(cap_, body_size)) return Fail(413, "body larger than this endpoint accepts");
  needed_ = n;
  phase_ = n == 0 ? Phase::kTrailer : Phase::kData;
}

namespace {

// "METHOD origin-form HTTP/1.x" into `out`; the status to refuse it with
// (400, 505) and why, or 0.
std::pair<int, const char*> ParseRequestLine(std::string_view line, Request* out) {
  size_t sp1 = line.find(' ');
  size_t sp2 = sp1 == std::string_view::npos ? sp1 : line.find(' ', sp1 + 1);
  if (sp2 == std::string_view::npos || line.find(' ', sp2 + 1) != std::string_view::npos) {
    return {400, "malformed request line"};
  }
  std::string_view method = line.substr(0, sp1), target = line.substr(sp1 + 1, sp2 - sp1 - 1);
  std::string_view version = line.substr(sp2 + 1);
  if (!IsToken(method) || !IsOriginForm(target)) return {400, "malformed request line"};
  if (version.size() != 8 || version.substr(0, 5) != "HTTP/" || !std::isdigit((unsigned char)version[5]) ||
      version[6] != '.' || !std::isdigit((unsigned char)version[7])) {
    return {400, "malformed request line"};
  }
  if (version != "HTTP/1.1" && version != "HTTP/1.0") return {505, "only HTTP/1.0 and HTTP/1.1 are supported"};
  out->method = std::string(method);
  out->target = std::string(target);
  out->minor_version = version[7] - '0';
  return {0, ""};
}

}  // namespace

// Request line and fields, then how the body is framed.
void RequestParser::ParseHead() {
  std::string_view head = head_;
  size_t eol = head.find('\n');
  if (auto [status, why] = ParseRequestLine(syntax::StripCr(head.substr(0, eol)), &request_); status != 0) {
    return Fail(status, why);
  }
  for (size_t pos = eol + 1; pos < head.size();) {
    size_t next = head.find('\n', pos);
    std::string_view field = syntax::StripCr(head.substr(pos, next - pos));
    pos = next == std::string_view::npos ? head.size() : next + 1;
    if (field.empty()) break;
    if (field.front() == ' ' || field.front() == '\t') return Fail(400, "obsolete line folding is not accepted");
    size_t colon = field.find(':');
    if (colon == std::string_view::npos || !IsToken(field.substr(0, colon))) {
      return Fail(400, "malformed header field");
    }
    std::string_view value = syntax::TrimOws(field.substr(colon + 1));
    if (!IsFieldValue(value)) return Fail(400, "control character in a header field");
    request_.headers.Add(field.substr(0, colon), value);
  }
  const Headers& h = request_.headers;
  const bool http11 = request_.minor_version == 1;
  int hosts = 0;
  for (const auto& f : h.fields()) hosts += f.first == "host";
  if (http11 && hosts != 1) return Fail(400, "an HTTP/1.1 request needs exactly one Host field");
  std::string connection = h.GetOr("connection", "");
  request_.keep_alive = http11 ? !HasToken(connection, "close") : HasToken(connection, "keep-alive");
  const size_t body_cap = body_limit_ ? body_limit_(request_) : kDefaultMaxBodyBytes;
  bool bad_length = false;
  std::optional<size_t> length = ContentLength(h, &bad_length);
  if (bad_length) return Fail(400, "invalid or conflicting Content-Length");
  if (const std::string* te = h.Get("transfer-encoding")) {
    if (length) return Fail(400, "both Content-Length and Transfer-Encoding");
    if (!http11) return Fail(400, "Transfer-Encoding in an HTTP/1.0 request");
    if (syntax::AsciiLower(syntax::TrimOws(*te)) != "chunked") {
      return Fail(501, "only the chunked transfer coding is supported");
    }
    chunked_ = ChunkedDecoder(body_cap);
    phase_ = Phase::kChunked;
    return;
  }
  if (length.value_or(0) > body_cap) return Fail(413, "body larger than this endpoint accepts");
  body_needed_ = length.value_or(0);
  request_.body.reserve(body_needed_);
  phase_ = Phase::kBody;
  if (body_needed_ == 0) state_ = State::kComplete;
}

}  // namespace lifeline::http
