// The one HTTP/1.1 layer: request parsing byte by byte and pipelined, every
// refusal with its status (RFC 9112's framing rules among them), chunked
// bodies, per-route body caps, the response parser, the writers, and a
// keep-alive Session over a real socket pair.
#include "daemon/http/http.h"

#include <gtest/gtest.h>

#include <asio/local/connect_pair.hpp>
#include <asio/local/stream_protocol.hpp>

namespace lifeline::http {
namespace {

using State = RequestParser::State;

TEST(RequestParserTest, ParsesARequestInOnePiece) {
  RequestParser p;
  std::string req = "POST /v1/reports?x=1 HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}";
  EXPECT_EQ(p.Feed(req), req.size());
  ASSERT_EQ(p.state(), State::kComplete);
  EXPECT_EQ(p.request().method, "POST");
  EXPECT_EQ(p.request().target, "/v1/reports?x=1");
  EXPECT_EQ(p.request().Path(), "/v1/reports");
  EXPECT_EQ(p.request().body, "{}");
  EXPECT_EQ(*p.request().headers.Get("HOST"), "x");
  EXPECT_TRUE(p.request().keep_alive);
}

TEST(RequestParserTest, ParsesByteByByteWithBareLineFeeds) {
  RequestParser p;
  std::string req = "\r\nGET /v1/health HTTP/1.0\nConnection: keep-alive\n\n";
  for (char c : req) {
    ASSERT_EQ(p.state(), State::kNeedMore);
    p.Feed(std::string_view(&c, 1));
  }
  ASSERT_EQ(p.state(), State::kComplete);
  EXPECT_TRUE(p.request().keep_alive);
  EXPECT_EQ(p.request().minor_version, 0);
}

TEST(RequestParserTest, LeavesThePipelinedNextRequest) {
  RequestParser p;
  std::string two = "GET /a HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\nGET /b HTTP/1.1\r\nHost: h\r\n\r\n";
  size_t used = p.Feed(two);
  ASSERT_EQ(p.state(), State::kComplete);
  EXPECT_EQ(p.request().target, "/a");
  EXPECT_FALSE(p.request().keep_alive);
  p.Reset();
  EXPECT_EQ(p.Feed(std::string_view(two).substr(used)), two.size() - used);
  ASSERT_EQ(p.state(), State::kComplete);
  EXPECT_EQ(p.request().target, "/b");
}

TEST(RequestParserTest, DecodesAChunkedBodySplitAnywhere) {
  std::string req =
      "POST /x HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
      "5;ext=1\r\nhello\r\n1\r\n \r\n5\r\nworld\r\n0\r\nX-Trailer: t\r\n\r\nGET";
  for (size_t split = 0; split <= req.size(); ++split) {
    RequestParser p;
    size_t used = p.Feed(std::string_view(req).substr(0, split));
    if (p.state() == State::kNeedMore) used += p.Feed(std::string_view(req).substr(used));
    ASSERT_EQ(p.state(), State::kComplete) << split;
    EXPECT_EQ(p.request().body, "hello world") << split;
    EXPECT_EQ(used, req.size() - 3) << split;
  }
}

TEST(RequestParserTest, SameContentLengthTwiceIsOneLength) {
  RequestParser p;
  p.Feed("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 2\r\nContent-Length: 2, 2\r\n\r\nok");
  ASSERT_EQ(p.state(), State::kComplete);
  EXPECT_EQ(p.request().body, "ok");
}

TEST(RequestParserTest, EachRouteHasItsOwnBodyCap) {
  BodyLimit limit = [](const Request& head) { return head.Path() == "/small" ? size_t{4} : size_t{100}; };
  RequestParser small(limit), large(limit);
  small.Feed("POST /small HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\n");
  large.Feed("POST /large HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\n12345");
  EXPECT_EQ(small.state(), State::kError);
  EXPECT_EQ(small.error_status(), 413);
  EXPECT_EQ(large.state(), State::kComplete);
  RequestParser chunked(limit);
  chunked.Feed("POST /small HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n");
  EXPECT_EQ(chunked.state(), State::kError);
  EXPECT_EQ(chunked.error_status(), 413);
}

TEST(RequestParserTest, QueryAndPathAreDecoded) {
  RequestParser p;
  p.Feed("GET /v1/reports/a%20b?state=open&q=%E4%B8%AD+x&flag HTTP/1.1\r\nHost: h\r\n\r\n");
  ASSERT_EQ(p.state(), State::kComplete);
  EXPECT_EQ(p.request().PathSegments(), (std::vector<std::string>{"v1", "reports", "a b"}));
  EXPECT_EQ(p.request().Query("q"), "中 x");
  EXPECT_EQ(p.request().Query("flag"), "");
  EXPECT_EQ(p.request().Query("none"), std::nullopt);
}

struct Bad {
  std::string name, text;
  int status;
};

class RequestRejectTest : public ::testing::TestWithParam<Bad> {};

TEST_P(RequestRejectTest, AnswersWithTheRightStatus) {
  RequestParser p;
  p.Feed(GetParam().text);
  ASSERT_EQ(p.state(), State::kError) << GetParam().text;
  EXPECT_EQ(p.error_status(), GetParam().status);
  EXPECT_FALSE(p.error().empty());
  // Once refused, more bytes change nothing.
  EXPECT_EQ(p.Feed("GET / HTTP/1.1\r\nHost: h\r\n\r\n"), 0u);
  EXPECT_EQ(p.state(), State::kError);
}

const std::string kH = "Host: h\r\n";

INSTANTIATE_TEST_SUITE_P(
    Cases, RequestRejectTest,
    ::testing::Values(
        Bad{"garbage", "GARBAGE\r\n\r\n", 400}, Bad{"tls_hello", "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\n\n", 400},
        Bad{"no_slash", "GET nopath HTTP/1.1\r\n" + kH + "\r\n", 400},
        Bad{"two_spaces", "GET  / HTTP/1.1\r\n" + kH + "\r\n", 400},
        Bad{"raw_utf8_target", "GET /\xe4\xb8\xad HTTP/1.1\r\n" + kH + "\r\n", 400},
        Bad{"http2", "GET / HTTP/2.0\r\n" + kH + "\r\n", 505}, Bad{"http_short", "GET / HTTP/2\r\n\r\n", 400},
        Bad{"no_host", "GET / HTTP/1.1\r\n\r\n", 400},
        Bad{"two_hosts", "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400},
        Bad{"no_colon", "GET / HTTP/1.1\r\n" + kH + "no colon\r\n\r\n", 400},
        Bad{"space_before_colon", "GET / HTTP/1.1\r\n" + kH + "X-A : b\r\n\r\n", 400},
        Bad{"obs_fold", "GET / HTTP/1.1\r\n" + kH + "X-A: b\r\n c\r\n\r\n", 400},
        Bad{"nul_in_value", std::string("GET / HTTP/1.1\r\nHost: h\r\nX: a") + '\0' + "b\r\n\r\n", 400},
        Bad{"bad_length", "POST / HTTP/1.1\r\n" + kH + "Content-Length: x\r\n\r\n", 400},
        Bad{"negative_length", "POST / HTTP/1.1\r\n" + kH + "Content-Length: -1\r\n\r\n", 400},
        Bad{"two_lengths", "POST / HTTP/1.1\r\n" + kH + "Content-Length: 2\r\nContent-Length: 3\r\n\r\nabc", 400},
        Bad{"length_list", "POST / HTTP/1.1\r\n" + kH + "Content-Length: 2, 3\r\n\r\nabc", 400},
        Bad{"length_and_chunked",
            "POST / HTTP/1.1\r\n" + kH + "Content-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n", 400},
        Bad{"gzip_coding", "POST / HTTP/1.1\r\n" + kH + "Transfer-Encoding: gzip, chunked\r\n\r\n", 501},
        Bad{"chunked_in_10", "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n", 400},
        Bad{"bad_chunk_size", "POST / HTTP/1.1\r\n" + kH + "Transfer-Encoding: chunked\r\n\r\nzz\r\n", 400},
        Bad{"chunk_overrun", "POST / HTTP/1.1\r\n" + kH + "Transfer-Encoding: chunked\r\n\r\n1\r\nab\r\n", 400},
        Bad{"too_large", "POST / HTTP/1.1\r\n" + kH + "Content-Length: 99999999\r\n\r\n", 413},
        Bad{"huge_head", "GET / HTTP/1.1\r\nX: " + std::string(17000, 'a'), 431}),
    [](const ::testing::TestParamInfo<Bad>& info) { return info.param.name; });

TEST(WriterTest, WritesStatusLengthHeadersAndClose) {
  Response r;
  r.status = 507;
  r.headers.Add("Content-Type", "application/json");
  r.headers.Add("Set-Cookie", "a=1");
  r.headers.Add("Set-Cookie", "b=2");
  r.body = "{}";
  r.close = true;
  std::string out = SerializeResponse(r);
  EXPECT_EQ(out.rfind("HTTP/1.1 507 Insufficient Storage\r\n", 0), 0u);
  EXPECT_NE(out.find("content-length: 2\r\n"), std::string::npos);
  EXPECT_NE(out.find("connection: close\r\n"), std::string::npos);
  EXPECT_NE(out.find("set-cookie: a=1\r\nset-cookie: b=2\r\n"), std::string::npos);
  EXPECT_EQ(out.substr(out.size() - 6), "\r\n\r\n{}");
}

TEST(WriterTest, ReasonPhrasesComeFromOneTable) {
  EXPECT_EQ(ReasonPhrase(404), "Not Found");
  EXPECT_EQ(ReasonPhrase(422), "Unprocessable Content");
  EXPECT_EQ(ReasonPhrase(429), "Too Many Requests");
  EXPECT_EQ(ReasonPhrase(799), "Status");
}

TEST(ResponseParserTest, ReadsWhatTheWriterWrote) {
  Response r;
  r.status = 201;
  r.headers.Add("X-Id", "7");
  r.body = "{\"a\":1}";
  std::string wire = SerializeResponse(r);
  for (size_t split = 0; split <= wire.size(); ++split) {
    ResponseParser p;
    size_t used = p.Feed(std::string_view(wire).substr(0, split));
    if (p.state() == ResponseParser::State::kNeedMore) used += p.Feed(std::string_view(wire).substr(used));
    ASSERT_EQ(p.state(), ResponseParser::State::kComplete) << split;
    EXPECT_EQ(used, wire.size());
    EXPECT_EQ(p.response().status, 201);
    EXPECT_EQ(p.response().reason, "Created");
    EXPECT_EQ(*p.response().headers.Get("x-id"), "7");
    EXPECT_EQ(p.response().body, r.body);
    EXPECT_TRUE(p.response().keep_alive);
  }
}

TEST(ResponseParserTest, ChunkedAndUntilClose) {
  ResponseParser chunked;
  chunked.Feed("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n");
  ASSERT_EQ(chunked.state(), ResponseParser::State::kComplete);
  EXPECT_EQ(chunked.response().body, "abc");
  ResponseParser open;
  open.Feed("HTTP/1.0 200 OK\r\n\r\nsome bytes");
  EXPECT_EQ(open.state(), ResponseParser::State::kNeedMore);
  open.Finish();
  ASSERT_EQ(open.state(), ResponseParser::State::kComplete);
  EXPECT_EQ(open.response().body, "some bytes");
  ResponseParser cut;
  cut.Feed("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc");
  cut.Finish();
  EXPECT_EQ(cut.state(), ResponseParser::State::kError);
  ResponseParser garbage;
  garbage.Feed("SSH-2.0-OpenSSH\r\n\r\n");
  EXPECT_EQ(garbage.state(), ResponseParser::State::kError);
}

TEST(FormTest, DecodesPairs) {
  auto pairs = ParseFormBody("user=%E7%8E%8B+a&password=p%26w&empty=&flag");
  ASSERT_EQ(pairs.size(), 4u);
  EXPECT_EQ(pairs[0], (std::pair<std::string, std::string>{"user", "王 a"}));
  EXPECT_EQ(pairs[1].second, "p&w");
  EXPECT_EQ(pairs[2].second, "");
  EXPECT_EQ(pairs[3].first, "flag");
  EXPECT_EQ(PercentDecode("%zz%4"), "%zz%4");
}

// A Session over a real socket pair: two pipelined requests answered in
// order on one connection, the second one later (as after a store job), then
// a refused request answered with its status and the connection closed.
TEST(SessionTest, KeepsAliveAnswersInOrderAndClosesOnError) {
  asio::io_context io;
  asio::local::stream_protocol::socket server(io), client(io);
  asio::local::connect_pair(server, client);
  std::vector<std::string> seen;
  Handler handler = [&](Request& req, Reply reply) {
    seen.push_back(req.target);
    Response r;
    r.body = req.target;
    if (req.target == "/later") {
      asio::post(io, [reply, r] { reply(r); });
    } else {
      reply(r);
    }
  };
  SessionOptions options;
  options.default_headers = {{"x-frame-options", "DENY"}};
  auto session = std::make_shared<Session<asio::local::stream_protocol::socket>>(std::move(server), handler, options);
  session->Start();
  session.reset();  // kept alive by its own pending operations
  std::string wire = "GET /first HTTP/1.1\r\nHost: h\r\n\r\nGET /later HTTP/1.1\r\nHost: h\r\n\r\nBAD\r\n\r\n";
  asio::write(client, asio::buffer(wire));
  std::string got;
  std::array<char, 4096> buf;
  std::thread runner([&] { io.run_for(std::chrono::seconds(10)); });
  std::error_code ec;
  while (!ec) {
    size_t n = client.read_some(asio::buffer(buf), ec);
    got.append(buf.data(), n);
  }
  runner.join();
  EXPECT_EQ(seen, (std::vector<std::string>{"/first", "/later"}));
  std::vector<int> statuses;
  std::string_view rest = got;
  while (!rest.empty()) {
    ResponseParser p;
    rest.remove_prefix(p.Feed(rest));
    ASSERT_EQ(p.state(), ResponseParser::State::kComplete) << got;
    statuses.push_back(p.response().status);
    EXPECT_EQ(p.response().headers.GetOr("x-frame-options", ""), "DENY");
    if (statuses.size() == 1) {
      EXPECT_EQ(p.response().body, "/first");
    } else if (statuses.size() == 2) {
      EXPECT_EQ(p.response().body, "/later");
    }
  }
  EXPECT_EQ(statuses, (std::vector<int>{200, 200, 400}));
}

// A connection that sends nothing is closed after the idle timeout.
TEST(SessionTest, ClosesAnIdleConnection) {
  asio::io_context io;
  asio::local::stream_protocol::socket server(io), client(io);
  asio::local::connect_pair(server, client);
  SessionOptions options;
  options.idle_timeout = std::chrono::seconds(1);
  std::make_shared<Session<asio::local::stream_protocol::socket>>(
      std::move(server), [](Request&, Reply reply) { reply(Response{}); }, options)
      ->Start();
  std::thread runner([&] { io.run_for(std::chrono::seconds(20)); });
  std::array<char, 64> buf;
  std::error_code ec;
  size_t n = client.read_some(asio::buffer(buf), ec);
  runner.join();
  EXPECT_EQ(n, 0u);
  EXPECT_EQ(ec, asio::error::eof);
}

}  // namespace
}  // namespace lifeline::http
