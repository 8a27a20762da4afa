// HTTP/1.1 messages (RFC 9112) for every server and test client in the tree:
// incremental request and response parsers that are pure functions over the
// bytes received so far (fuzzed), writers, and one status-text table. The
// parsers enforce limits (head 16 KiB, a body cap the server chooses per
// route) and refuse ambiguous framing (two different Content-Length values,
// Content-Length with Transfer-Encoding) with 400. Session runs keep-alive
// request/response exchanges over any Asio stream (Unix socket, TCP, TLS) on
// one io_context thread. Plain values; not thread-safe.
#pragma once

#include <cstddef>
// <asio.hpp> after <cstddef>: see daemon/channels/sms/at_engine.h.
#include <asio.hpp>
#include <array>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace lifeline::http {

inline constexpr size_t kMaxHeadBytes = 16 * 1024;
inline constexpr size_t kDefaultMaxBodyBytes = 1024 * 1024;

// Header fields in arrival order; names are compared case-insensitively and
// stored lower-cased. Repeated fields (Set-Cookie) stay separate entries.
class Headers {
 public:
  // The first value of `name`, or nullptr.
  const std::string* Get(std::string_view name) const;
  std::string GetOr(std::string_view name, std::string_view fallback) const;
  bool Has(std::string_view name) const { return Get(name) != nullptr; }
  void Add(std::string_view name, std::string_view value);
  // Replaces every field of that name with one.
  void Set(std::string_view name, std::string_view value);
  const std::vector<std::pair<std::string, std::string>>& fields() const { return fields_; }

 private:
  std::vector<std::pair<std::string, std::string>> fields_;
};

struct Request {
  std::string method;
  std::string target;  // origin-form: path plus optional ?query
  int minor_version = 1;
  Headers headers;
  std::string body;
  bool keep_alive = true;

  std::string Path() const;
  // The %-decoded value of `name` in the query string; nullopt if absent.
  std::optional<std::string> Query(std::string_view name) const;
  // "/v1/reports/abc" -> {"v1", "reports", "abc"}.
  std::vector<std::string> PathSegments() const;
};

struct Response {
  int status = 200;
  Headers headers;  // Content-Length is written by the writer
  std::string body;
  bool close = false;  // send Connection: close and end the session
};

// Decodes %XX and (for form bodies) '+'. Invalid escapes are kept as they are.
std::string PercentDecode(std::string_view s, bool plus_is_space = false);
// "a=1&b=two" -> pairs, each %-decoded.
std::vector<std::pair<std::string, std::string>> ParseFormBody(std::string_view body);

// One status-text table for the tree: "Not Found" for 404, "Status" if unknown.
std::string_view ReasonPhrase(int status);
// IMF-fixdate, "Fri, 21 Nov 2026 02:00:00 GMT".
std::string FormatHttpDate(std::chrono::system_clock::time_point t);

std::string SerializeResponse(const Response& r);
// A request with Content-Length (when a body or a POST/PUT) and Host.
std::string SerializeRequest(const Request& r, std::string_view host);

// Decides the body cap once the head is parsed: a server gives each route its own.
using BodyLimit = std::function<size_t(const Request& head)>;

// The chunked transfer coding (RFC 9112 7.1), decoded into a body with a cap.
// Trailer fields are read and dropped.
class ChunkedDecoder {
 public:
  enum class State { kNeedMore, kComplete, kError };
  explicit ChunkedDecoder(size_t cap = kDefaultMaxBodyBytes) : cap_(cap) {}
  size_t Feed(std::string_view data, std::string* body);
  State state() const { return state_; }
  int error_status() const { return error_status_; }  // 400, 413 or 431
  const std::string& error() const { return error_; }

 private:
  enum class Phase { kSize, kData, kDataEnd, kTrailer };
  void Fail(int status, std::string why);
  void OnLine(std::string_view line, size_t body_size);

  size_t cap_;
  State state_ = State::kNeedMore;
  Phase phase_ = Phase::kSize;
  std::string line_;
  size_t needed_ = 0, trailer_bytes_ = 0;
  int error_status_ = 0;
  std::string error_;
};

class RequestParser {
 public:
  enum class State { kNeedMore, kComplete, kError };
  explicit RequestParser(BodyLimit body_limit = nullptr) : body_limit_(std::move(body_limit)) {}

  // Consumes bytes; returns how many were used. After kComplete, request()
  // holds the request and the unused bytes belong to the next one.
  size_t Feed(std::string_view data);
  State state() const { return state_; }
  const Request& request() const { return request_; }
  Request& request() { return request_; }
  // For kError: the status to answer with (400, 411, 413, 431, 501, 505) and why.
  int error_status() const { return error_status_; }
  const std::string& error() const { return error_; }
  // Ready for the next request on the same connection.
  void Reset();

 private:
  enum class Phase { kHead, kBody, kChunked };
  size_t FeedHead(std::string_view data);
  size_t FeedBody(std::string_view data);
  size_t FeedChunked(std::string_view data);
  void ParseHead();
  void Fail(int status, std::string why);

  BodyLimit body_limit_;
  State state_ = State::kNeedMore;
  Phase phase_ = Phase::kHead;
  std::string head_;
  size_t body_needed_ = 0;
  ChunkedDecoder chunked_;
  Request request_;
  int error_status_ = 0;
  std::string error_;
};

struct ParsedResponse {
  int status = 0;
  std::string reason;
  Headers headers;
  std::string body;
  bool keep_alive = true;
};

// For clients: a response, framed by Content-Length, chunked, or the end of
// the connection (Finish()). Responses to HEAD are not supported.
class ResponseParser {
 public:
  enum class State { kNeedMore, kComplete, kError };
  explicit ResponseParser(size_t max_body = 64 * 1024 * 1024) : max_body_(max_body) {}
  size_t Feed(std::string_view data);
  // The peer closed: a body framed by the connection's end is complete.
  void Finish();
  State state() const { return state_; }
  const ParsedResponse& response() const { return response_; }
  const std::string& error() const { return error_; }

 private:
  void ParseHead();
  void Fail(std::string why);

  size_t max_body_;
  State state_ = State::kNeedMore;
  bool in_body_ = false, until_close_ = false;
  std::string head_;
  size_t body_needed_ = 0;
  std::optional<ChunkedDecoder> chunked_;
  ParsedResponse response_;
  std::string error_;
};

// One request/response exchange at a time per connection, keep-alive until the
// client closes, a response says close, or the connection idles past
// `idle_timeout`. The handler runs on the stream's executor and answers once
// through Reply (possibly later, after a store job).
struct SessionOptions {
  BodyLimit body_limit;  // nullptr: kDefaultMaxBodyBytes for every route
  std::chrono::seconds idle_timeout{60};
  // Added to every response that lacks them (security headers, no-store).
  std::vector<std::pair<std::string, std::string>> default_headers;
};

using Reply = std::function<void(Response)>;
using Handler = std::function<void(Request&, Reply)>;

// The response to a request the parser refused.
Response ParseErrorResponse(int status, std::string_view why);

template <typename Stream>
class Session : public std::enable_shared_from_this<Session<Stream>> {
 public:
  Session(Stream stream, Handler handler, SessionOptions options)
      : stream_(std::move(stream)),
        handler_(std::move(handler)),
        options_(std::move(options)),
        parser_(options_.body_limit),
        idle_(stream_.get_executor()) {}

  void Start() { Read(); }
  Stream& stream() { return stream_; }

 private:
  void Read() {
    ArmIdle();
    auto self = this->shared_from_this();
    stream_.async_read_some(asio::buffer(buf_), [this, self](std::error_code ec, size_t n) {
      idle_.cancel();
      if (ec) return Close();
      pending_.append(buf_.data(), n);
      Process();
    });
  }

  void Process() {
    size_t used = parser_.Feed(pending_);
    pending_.erase(0, used);
    switch (parser_.state()) {
      case RequestParser::State::kNeedMore:
        return Read();
      case RequestParser::State::kError:
        return Write(ParseErrorResponse(parser_.error_status(), parser_.error()), true);
      case RequestParser::State::kComplete:
        break;
    }
    auto self = this->shared_from_this();
    const bool keep = parser_.request().keep_alive;
    // The reply may come later; a second one for the same request is ignored.
    auto answered = std::make_shared<bool>(false);
    handler_(parser_.request(), [this, self, keep, answered](Response r) {
      if (*answered) return;
      *answered = true;
      const bool close = r.close || !keep;
      Write(std::move(r), close);
    });
  }

  void Write(Response r, bool close) {
    r.close = close;
    for (const auto& [name, value] : options_.default_headers) {
      if (!r.headers.Has(name)) r.headers.Add(name, value);
    }
    auto data = std::make_shared<std::string>(SerializeResponse(r));
    auto self = this->shared_from_this();
    asio::async_write(stream_, asio::buffer(*data), [this, self, data, close](std::error_code ec, size_t) {
      if (ec || close) return Close();
      parser_.Reset();
      Process();
    });
  }

  void ArmIdle() {
    idle_.expires_after(options_.idle_timeout);
    std::weak_ptr<Session> weak = this->shared_from_this();
    idle_.async_wait([weak](std::error_code ec) {
      if (ec) return;
      if (auto self = weak.lock()) self->Close();
    });
  }

  void Close() {
    std::error_code ignored;
    idle_.cancel();
    auto& lowest = stream_.lowest_layer();
    lowest.shutdown(asio::socket_base::shutdown_both, ignored);
    lowest.close(ignored);
  }

  Stream stream_;
  Handler handler_;
  SessionOptions options_;
  RequestParser parser_;
  asio::steady_timer idle_;
  std::array<char, 16384> buf_{};
  std::string pending_;
};

}  // namespace lifeline::http
