// Minimal HTTP/1.1 for the intake API: an incremental request parser (pure,
// over bytes; fuzzed) and a response writer. Supports Content-Length bodies
// only; chunked uploads get 411. Limits keep a bad client from exhausting
// memory: headers 16 KiB, body 1 MiB.
#pragma once

#include <cstddef>
#include <map>
#include <string>
#include <string_view>

namespace lifeline::http {

inline constexpr size_t kMaxHeaderBytes = 16 * 1024;
inline constexpr size_t kMaxBodyBytes = 1024 * 1024;

struct Request {
  std::string method, target, version;
  std::map<std::string, std::string> headers;  // names lower-cased
  std::string body;
  bool keep_alive = true;
};

struct Response {
  int status = 200;
  std::string content_type = "application/json; charset=utf-8";
  std::string body;
  bool close = false;
};

class RequestParser {
 public:
  enum class State { kNeedMore, kComplete, kError };

  // Consumes bytes from `data`; returns how many were used. After kComplete,
  // request() holds the request and unused bytes belong to the next one.
  size_t Feed(std::string_view data);
  State state() const { return state_; }
  const Request& request() const { return request_; }
  // For kError: the status to answer with and why.
  int error_status() const { return error_status_; }
  const std::string& error() const { return error_; }
  void Reset();

 private:
  void ParseHead();
  void Fail(int status, std::string why);

  State state_ = State::kNeedMore;
  std::string head_;
  size_t body_needed_ = 0;
  bool in_body_ = false;
  Request request_;
  int error_status_ = 0;
  std::string error_;
};

std::string_view ReasonPhrase(int status);
std::string Serialize(const Response& r);

}  // namespace lifeline::http
