// The response parser for clients (tests, tools): status line, fields, and a
// body framed by Content-Length, chunked, or the connection's end.
#include <algorithm>
#include <charconv>

#include "daemon/http/http.h"
#include "daemon/http/syntax.h"

namespace lifeline::http {

void ResponseParser::Fail(std::string why) {
  state_ = State::kError;
  error_ = std::move(why);
}

size_t ResponseParser::Feed(std::string_view data) {
  size_t used = 0;
  while (state_ == State::kNeedMore && used < data.size()) {
    std::string_view rest = data.substr(used);
    if (!in_body_) {
      size_t end = rest.find('\n');
      size_t take = end == std::string_view::npos ? rest.size() : end + 1;
      head_.append(rest.substr(0, take));
      used += take;
      if (head_.size() > kMaxHeadBytes) {
        Fail("response head larger than 16 KiB");
        break;
      }
      bool ended = head_.size() >= 2 && head_.compare(head_.size() - 2, 2, "\n\n") == 0;
      ended = ended || (head_.size() >= 3 && head_.compare(head_.size() - 3, 3, "\n\r\n") == 0);
      if (ended) ParseHead();
    } else if (chunked_) {
      used += chunked_->Feed(rest, &response_.body);
      if (chunked_->state() == ChunkedDecoder::State::kError) Fail(chunked_->error());
      if (chunked_->state() == ChunkedDecoder::State::kComplete) state_ = State::kComplete;
    } else {
      size_t take = until_close_ ? rest.size() : std::min(body_needed_, rest.size());
      if (response_.body.size() + take > max_body_) {
        Fail("response body too large");
        break;
      }
      response_.body.append(rest.substr(0, take));
      used += take;
      if (!until_close_) body_needed_ -= take;
      if (!until_close_ && body_needed_ == 0) state_ = State::kComplete;
    }
  }
  return used;
}

void ResponseParser::Finish() {
  if (state_ != State::kNeedMore) return;
  if (in_body_ && until_close_) {
    state_ = State::kComplete;
    response_.keep_alive = false;
  } else {
    Fail("connection closed before the response was complete");
  }
}

void ResponseParser::ParseHead() {
  std::string_view head = head_;
  size_t eol = head.find('\n');
  std::string_view line = syntax::StripCr(head.substr(0, eol));
  if (line.size() < 12 || line.substr(0, 7) != "HTTP/1." || line[8] != ' ') return Fail("malformed status line");
  int status = 0;
  auto [p, ec] = std::from_chars(line.data() + 9, line.data() + 12, status);
  if (ec != std::errc() || p != line.data() + 12 || status < 100) return Fail("malformed status line");
  response_.status = status;
  response_.reason = std::string(syntax::TrimOws(line.substr(12)));
  for (size_t pos = eol + 1; pos < head.size();) {
    size_t next = head.find('\n', pos);
    std::string_view field = syntax::StripCr(head.substr(pos, next - pos));
    pos = next == std::string_view::npos ? head.size() : next + 1;
    if (field.empty()) break;
    size_t colon = field.find(':');
    if (colon == std::string_view::npos || colon == 0) return Fail("malformed header field");
    response_.headers.Add(field.substr(0, colon), syntax::TrimOws(field.substr(colon + 1)));
  }
  std::string connection = syntax::AsciiLower(response_.headers.GetOr("connection", ""));
  response_.keep_alive = line[7] == '1' ? connection.find("close") == std::string::npos
                                        : connection.find("keep-alive") != std::string::npos;
  in_body_ = true;
  if (status < 200 || status == 204 || status == 304) {
    state_ = State::kComplete;
  } else if (const std::string* te = response_.headers.Get("transfer-encoding")) {
    if (syntax::AsciiLower(syntax::TrimOws(*te)) != "chunked") return Fail("unsupported transfer coding");
    chunked_.emplace(max_body_);
  } else if (const std::string* cl = response_.headers.Get("content-length")) {
    auto [q, ec2] = std::from_chars(cl->data(), cl->data() + cl->size(), body_needed_);
    if (ec2 != std::errc() || q != cl->data() + cl->size()) return Fail("bad Content-Length");
    if (body_needed_ > max_body_) return Fail("response body too large");
    if (body_needed_ == 0) state_ = State::kComplete;
  } else {
    until_close_ = true;
  }
}

}  // namespace lifeline::http
