// Header fields, targets, the status table and the writers.
#include <algorithm>
#include <cstdio>
#include <ctime>

#include "daemon/http/http.h"
#include "daemon/http/syntax.h"

namespace lifeline::http {
namespace {

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

void WriteHeaders(const Headers& headers, std::string* out) {
  for (const auto& [name, value] : headers.fields()) {
    if (name == "content-length") continue;  // the writer's own
    *out += name;
    *out += ": ";
    *out += value;
    *out += "\r\n";
  }
}

}  // namespace

const std::string* Headers::Get(std::string_view name) const {
  std::string key = syntax::AsciiLower(name);
  for (const auto& [n, v] : fields_) {
    if (n == key) return &v;
  }
  return nullptr;
}

std::string Headers::GetOr(std::string_view name, std::string_view fallback) const {
  const std::string* v = Get(name);
  return v ? *v : std::string(fallback);
}

void Headers::Add(std::string_view name, std::string_view value) {
  fields_.emplace_back(syntax::AsciiLower(name), std::string(value));
}

void Headers::Set(std::string_view name, std::string_view value) {
  std::string key = syntax::AsciiLower(name);
  fields_.erase(std::remove_if(fields_.begin(), fields_.end(), [&](const auto& f) { return f.first == key; }),
                fields_.end());
  fields_.emplace_back(std::move(key), std::string(value));
}

std::string Request::Path() const { return target.substr(0, target.find('?')); }

std::optional<std::string> Request::Query(std::string_view name) const {
  size_t q = target.find('?');
  if (q == std::string::npos) return std::nullopt;
  for (auto& [k, v] : ParseFormBody(std::string_view(target).substr(q + 1))) {
    if (k == name) return v;
  }
  return std::nullopt;
}

std::vector<std::string> Request::PathSegments() const {
  std::string path = Path();
  std::vector<std::string> parts;
  for (size_t pos = 1; pos <= path.size();) {
    size_t next = path.find('/', pos);
    if (next == std::string::npos) next = path.size();
    if (next > pos) parts.push_back(PercentDecode(std::string_view(path).substr(pos, next - pos)));
    pos = next + 1;
  }
  return parts;
}

std::string PercentDecode(std::string_view s, bool plus_is_space) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '+' && plus_is_space) {
      out += ' ';
    } else if (s[i] == '%' && i + 2 < s.size() && HexValue(s[i + 1]) >= 0 && HexValue(s[i + 2]) >= 0) {
      out += static_cast<char>(HexValue(s[i + 1]) * 16 + HexValue(s[i + 2]));
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

std::vector<std::pair<std::string, std::string>> ParseFormBody(std::string_view body) {
  std::vector<std::pair<std::string, std::string>> out;
  while (!body.empty()) {
    size_t amp = body.find('&');
    std::string_view pair = body.substr(0, amp);
    body = amp == std::string_view::npos ? std::string_view() : body.substr(amp + 1);
    if (pair.empty()) continue;
    size_t eq = pair.find('=');
    std::string_view key = pair.substr(0, eq);
    std::string_view value = eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1);
    out.emplace_back(PercentDecode(key, true), PercentDecode(value, true));
  }
  return out;
}

std::string_view ReasonPhrase(int status) {
  switch (status) {
    case 200: return "OK";
    case 201: return "Created";
    case 202: return "Accepted";
    case 204: return "No Content";
    case 301: return "Moved Permanently";
    case 302: return "Found";
    case 303: return "See Other";
    case 304: return "Not Modified";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 408: return "Request Timeout";
    case 409: return "Conflict";
    case 411: return "Length Required";
    case 413: return "Content Too Large";
    case 415: return "Unsupported Media Type";
    case 422: return "Unprocessable Content";
    case 429: return "Too Many Requests";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
    case 505: return "HTTP Version Not Supported";
    case 507: return "Insufficient Storage";
    default: return "Status";
  }
}

std::string FormatHttpDate(std::chrono::system_clock::time_point t) {
  static const char* kDays[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                  "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  std::time_t tt = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%s, %02d %s %04d %02d:%02d:%02d GMT", kDays[tm.tm_wday], tm.tm_mday,
                kMonths[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
  return buf;
}

std::string SerializeResponse(const Response& r) {
  std::string out = "HTTP/1.1 " + std::to_string(r.status) + " ";
  out += ReasonPhrase(r.status);
  out += "\r\n";
  WriteHeaders(r.headers, &out);
  if (!r.headers.Has("connection")) out += r.close ? "connection: close\r\n" : "connection: keep-alive\r\n";
  out += "content-length: " + std::to_string(r.body.size()) + "\r\n\r\n";
  out += r.body;
  return out;
}

std::string SerializeRequest(const Request& r, std::string_view host) {
  std::string out = r.method + " " + r.target + " HTTP/1.1\r\n";
  if (!r.headers.Has("host")) out += "host: " + std::string(host) + "\r\n";
  WriteHeaders(r.headers, &out);
  if (!r.body.empty() || r.method == "POST" || r.method == "PUT" || r.method == "PATCH") {
    out += "content-length: " + std::to_string(r.body.size()) + "\r\n";
  }
  out += "\r\n";
  out += r.body;
  return out;
}

Response ParseErrorResponse(int status, std::string_view why) {
  Response r;
  r.status = status;
  r.headers.Add("content-type", "application/json; charset=utf-8");
  // `why` is the parser's own text (ASCII), never the client's bytes.
  r.body = "{\"error\":\"bad_request\",\"message\":\"" + std::string(why) + "\"}";
  r.close = true;
  return r;
}

}  // namespace lifeline::http
