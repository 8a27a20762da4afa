#include "daemon/intake/http.h"

#include <algorithm>
#include <charconv>

namespace lifeline::http {
namespace {

std::string Lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::tolower(c); });
  return out;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

bool IsToken(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (c <= 32 || c >= 127 || c == ':' || c == '(' || c == ')' || c == '"') return false;
  }
  return true;
}

}  // namespace

void RequestParser::Reset() { *this = RequestParser(); }

void RequestParser::Fail(int status, std::string why) {
  state_ = State::kError;
  error_status_ = status;
  error_ = std::move(why);
}

size_t RequestParser::Feed(std::string_view data) {
  size_t used = 0;
  while (state_ == State::kNeedMore && used < data.size()) {
    if (in_body_) {
      size_t take = std::min(body_needed_, data.size() - used);
      request_.body.append(data.substr(used, take));
      used += take;
      body_needed_ -= take;
    } else {
      size_t end = data.find('\n', used);
      size_t take = (end == std::string_view::npos ? data.size() : end + 1) - used;
      head_.append(data.substr(used, take));
      used += take;
      if (head_.size() > kMaxHeaderBytes) {
        Fail(431, "request headers larger than 16 KiB");
        break;
      }
      bool blank_line = head_.size() >= 2 && head_.compare(head_.size() - 2, 2, "\n\n") == 0;
      bool blank_crlf = head_.size() >= 4 && head_.compare(head_.size() - 4, 4, "\r\n\r\n") == 0;
      if (!blank_line && !blank_crlf) continue;
      ParseHead();
      if (state_ == State::kError) break;
      in_body_ = true;
    }
    if (in_body_ && body_needed_ == 0) state_ = State::kComplete;
  }
  return used;
}

void RequestParser::ParseHead() {
  std::string_view head = head_;
  size_t eol = head.find('\n');
  std::string_view line = Trim(head.substr(0, eol));
  size_t sp1 = line.find(' '), sp2 = line.rfind(' ');
  if (sp1 == std::string_view::npos || sp1 == sp2) return Fail(400, "malformed request line");
  request_.method = std::string(line.substr(0, sp1));
  request_.target = std::string(line.substr(sp1 + 1, sp2 - sp1 - 1));
  request_.version = std::string(line.substr(sp2 + 1));
  if (!IsToken(request_.method) || request_.target.empty() || request_.target[0] != '/') {
    return Fail(400, "malformed request line");
  }
  if (request_.version != "HTTP/1.1" && request_.version != "HTTP/1.0") {
    return Fail(505, "only HTTP/1.0 and HTTP/1.1 are supported");
  }
  for (size_t pos = eol + 1; pos < head.size();) {
    size_t next = head.find('\n', pos);
    std::string_view h = Trim(head.substr(pos, next - pos));
    pos = next == std::string_view::npos ? head.size() : next + 1;
    if (h.empty()) continue;
    size_t colon = h.find(':');
    if (colon == std::string_view::npos || !IsToken(h.substr(0, colon))) {
      return Fail(400, "malformed header line");
    }
    request_.headers[Lower(h.substr(0, colon))] = std::string(Trim(h.substr(colon + 1)));
  }
  auto conn = request_.headers.find("connection");
  std::string connection = conn == request_.headers.end() ? "" : Lower(conn->second);
  request_.keep_alive = request_.version == "HTTP/1.1" ? connection != "close" : connection == "keep-alive";
  if (request_.headers.count("transfer-encoding")) {
    return Fail(411, "chunked bodies are not accepted; send Content-Length");
  }
  auto cl = request_.headers.find("content-length");
  if (cl == request_.headers.end()) return;
  const std::string& v = cl->second;
  size_t n = 0;
  auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
  if (ec != std::errc() || p != v.data() + v.size()) return Fail(400, "bad Content-Length");
  if (n > kMaxBodyBytes) return Fail(413, "body larger than 1 MiB");
  body_needed_ = n;
  request_.body.reserve(n);
}

std::string_view ReasonPhrase(int status) {
  switch (status) {
    case 200: return "OK";
    case 201: return "Created";
    case 400: return "Bad Request";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 409: return "Conflict";
    case 411: return "Length Required";
    case 413: return "Content Too Large";
    case 415: return "Unsupported Media Type";
    case 422: return "Unprocessable Content";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 503: return "Service Unavailable";
    case 505: return "HTTP Version Not Supported";
    case 507: return "Insufficient Storage";
    default: return "Status";
  }
}

std::string Serialize(const Response& r) {
  std::string out = "HTTP/1.1 " + std::to_string(r.status) + " " + std::string(ReasonPhrase(r.status)) + "\r\n";
  out += "Content-Type: " + r.content_type + "\r\n";
  out += "Content-Length: " + std::to_string(r.body.size()) + "\r\n";
  out += "Cache-Control: no-store\r\n";
  if (r.close) out += "Connection: close\r\n";
  out += "\r\n";
  out += r.body;
  return out;
}

}  // namespace lifeline::http
