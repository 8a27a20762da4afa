#include "tools/site-sim/http_message.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>
#include <ctime>

namespace sitesim {
namespace {

std::string Lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

ParseResult Fail(int status, std::string why) {
  ParseResult r;
  r.state = ParseState::kError;
  r.error_status = status;
  r.error = std::move(why);
  return r;
}

bool IsToken(std::string_view s) {
  if (s.empty()) return false;
  return std::all_of(s.begin(), s.end(), [](unsigned char c) {
    return c > 0x20 && c < 0x7F && c != ':' && c != '(' && c != ')' && c != ',' && c != '"';
  });
}

// Parses "METHOD SP target SP HTTP/1.x".
bool ParseRequestLine(std::string_view line, HttpRequest* out, bool* http10) {
  size_t a = line.find(' ');
  if (a == std::string_view::npos) return false;
  size_t b = line.find(' ', a + 1);
  if (b == std::string_view::npos) return false;
  std::string_view method = line.substr(0, a), target = line.substr(a + 1, b - a - 1);
  std::string_view version = line.substr(b + 1);
  if (!IsToken(method) || target.empty() || target.front() != '/') return false;
  if (version != "HTTP/1.1" && version != "HTTP/1.0") return false;
  if (target.find_first_of(" \t\r\n") != std::string_view::npos) return false;
  out->method = method;
  out->target = target;
  *http10 = version == "HTTP/1.0";
  return true;
}

// Parses header lines (each without CRLF) into `out->headers`.
ParseResult ParseHeaderBlock(std::string_view block, HttpRequest* out) {
  while (!block.empty()) {
    size_t eol = block.find("\r\n");
    std::string_view line = block.substr(0, eol);
    block = eol == std::string_view::npos ? std::string_view() : block.substr(eol + 2);
    size_t colon = line.find(':');
    if (colon == std::string_view::npos || !IsToken(line.substr(0, colon))) {
      return Fail(400, "malformed header line");
    }
    std::string name = Lower(line.substr(0, colon));
    std::string_view value = Trim(line.substr(colon + 1));
    if (out->headers.count(name) && name == "content-length") {
      return Fail(400, "repeated Content-Length");
    }
    out->headers[name] = std::string(value);
  }
  return ParseResult{};
}

bool ParseLength(const std::string& s, size_t* out) {
  if (s.empty() || s.size() > 10) return false;
  size_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + static_cast<size_t>(c - '0');
  }
  *out = v;
  return true;
}

}  // namespace

std::string HttpRequest::Path() const { return target.substr(0, target.find('?')); }

std::string HttpRequest::Query(std::string_view name) const {
  size_t q = target.find('?');
  if (q == std::string::npos) return "";
  std::string_view rest = std::string_view(target).substr(q + 1);
  while (!rest.empty()) {
    size_t amp = rest.find('&');
    std::string_view pair = rest.substr(0, amp);
    rest = amp == std::string_view::npos ? std::string_view() : rest.substr(amp + 1);
    size_t eq = pair.find('=');
    if (pair.substr(0, eq) != name || eq == std::string_view::npos) continue;
    std::string v(pair.substr(eq + 1));
    for (size_t p; (p = v.find("%3A")) != std::string::npos;) v.replace(p, 3, ":");
    return v;
  }
  return "";
}

const std::string* HttpRequest::Header(std::string_view lower_name) const {
  auto it = headers.find(std::string(lower_name));
  return it == headers.end() ? nullptr : &it->second;
}

ParseResult ParseHttpRequest(std::string_view in, HttpRequest* out) {
  // A method starts with a letter; anything else (a TLS ClientHello on the
  // plain port) gets its 400 at once rather than after a timeout.
  if (!in.empty() && !std::isalpha(static_cast<unsigned char>(in[0]))) {
    return Fail(400, "not an HTTP request");
  }
  size_t end = in.find("\r\n\r\n");
  if (end == std::string_view::npos) {
    if (in.size() > kMaxHeaderBytes) return Fail(431, "request head too large");
    return ParseResult{};
  }
  if (end > kMaxHeaderBytes) return Fail(431, "request head too large");
  *out = HttpRequest{};
  std::string_view head = in.substr(0, end);
  size_t eol = head.find("\r\n");
  bool http10 = false;
  if (!ParseRequestLine(head.substr(0, eol), out, &http10)) return Fail(400, "bad request line");
  if (eol != std::string_view::npos) {
    ParseResult h = ParseHeaderBlock(head.substr(eol + 2), out);
    if (h.state == ParseState::kError) return h;
  }
  if (out->Header("transfer-encoding")) return Fail(501, "Transfer-Encoding is not supported");
  size_t length = 0;
  if (const std::string* cl = out->Header("content-length")) {
    if (!ParseLength(*cl, &length)) return Fail(400, "bad Content-Length");
  } else if (out->method == "POST" || out->method == "PUT") {
    return Fail(411, "Content-Length required");
  }
  if (length > kMaxBodyBytes) return Fail(413, "body too large");
  if (in.size() - (end + 4) < length) return ParseResult{};
  out->body = std::string(in.substr(end + 4, length));
  const std::string* conn = out->Header("connection");
  std::string c = conn ? Lower(*conn) : "";
  out->keep_alive = http10 ? c == "keep-alive" : c != "close";
  ParseResult r;
  r.state = ParseState::kComplete;
  r.consumed = end + 4 + length;
  return r;
}

std::string_view ReasonPhrase(int status) {
  switch (status) {
    case 200: return "OK";
    case 201: return "Created";
    case 204: return "No Content";
    case 400: return "Bad Request";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 409: return "Conflict";
    case 411: return "Length Required";
    case 413: return "Content Too Large";
    case 422: return "Unprocessable Content";
    case 429: return "Too Many Requests";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
    default: return "Status";
  }
}

std::string SerializeResponse(const HttpResponse& r, bool keep_alive) {
  std::string out = "HTTP/1.1 " + std::to_string(r.status) + " ";
  out += ReasonPhrase(r.status);
  out += "\r\n";
  bool has_type = false;
  for (const auto& [k, v] : r.headers) {
    out += k + ": " + v + "\r\n";
    has_type |= Lower(k) == "content-type";
  }
  if (!has_type) out += "Content-Type: application/json\r\n";
  out += "Content-Length: " + std::to_string(r.body.size()) + "\r\n";
  out += keep_alive ? "Connection: keep-alive\r\n\r\n" : "Connection: close\r\n\r\n";
  out += r.body;
  return out;
}

std::string FormatHttpDate(std::chrono::system_clock::time_point t) {
  static const char* kDays[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                  "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  std::time_t tt = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%s, %02d %s %04d %02d:%02d:%02d GMT", kDays[tm.tm_wday],
                tm.tm_mday, kMonths[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min,
                tm.tm_sec);
  return buf;
}

HttpResponse ErrorResponse(int status, std::string_view code, std::string_view message) {
  HttpResponse r;
  r.status = status;
  r.body = nlohmann::json{{"error", code}, {"message", message}}.dump(
      -1, ' ', false, nlohmann::json::error_handler_t::replace);
  return r;
}

}  // namespace sitesim
