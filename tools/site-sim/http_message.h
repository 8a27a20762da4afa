// HTTP/1.1 request parsing and response writing for site-sim: just enough of
// RFC 9112 for the site API (Content-Length bodies, keep-alive). The parser is
// a pure function over the bytes received so far, so it is fuzzed and tested
// without sockets. Not thread-safe; plain values.
#pragma once

#include <chrono>
#include <cstddef>
#include <map>
#include <string>
#include <string_view>

namespace sitesim {

inline constexpr size_t kMaxHeaderBytes = 16 * 1024;
inline constexpr size_t kMaxBodyBytes = 4 * 1024 * 1024;

struct HttpRequest {
  std::string method;
  std::string target;  // path plus optional ?query
  std::map<std::string, std::string> headers;  // names lower-cased
  std::string body;
  bool keep_alive = true;

  std::string Path() const;
  // Value of `name` in the query string ("" if absent); no %-decoding beyond %3A.
  std::string Query(std::string_view name) const;
  const std::string* Header(std::string_view lower_name) const;
};

enum class ParseState { kNeedMore, kComplete, kError };

struct ParseResult {
  ParseState state = ParseState::kNeedMore;
  size_t consumed = 0;   // bytes of the input that made the request (kComplete)
  int error_status = 0;  // 400, 411, 413, 431, 501 (kError)
  std::string error;     // for people
};

// Parses one request from the front of `in`. Never reads past `in`.
ParseResult ParseHttpRequest(std::string_view in, HttpRequest* out);

struct HttpResponse {
  int status = 200;
  std::map<std::string, std::string> headers;
  std::string body;  // JSON unless headers say otherwise
};

std::string SerializeResponse(const HttpResponse& r, bool keep_alive);
std::string_view ReasonPhrase(int status);
// IMF-fixdate: "Fri, 21 Nov 2026 02:00:00 GMT".
std::string FormatHttpDate(std::chrono::system_clock::time_point t);

// {"error": code, "message": message} with the given status.
HttpResponse ErrorResponse(int status, std::string_view code, std::string_view message);

}  // namespace sitesim
