#include "daemon/intake/http.h"

#include <gtest/gtest.h>

namespace lifeline::http {
namespace {

using State = RequestParser::State;

TEST(HttpParserTest, ParsesARequestInOnePiece) {
  RequestParser p;
  std::string req = "POST /v1/reports HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}";
  EXPECT_EQ(p.Feed(req), req.size());
  ASSERT_EQ(p.state(), State::kComplete);
  EXPECT_EQ(p.request().method, "POST");
  EXPECT_EQ(p.request().target, "/v1/reports");
  EXPECT_EQ(p.request().body, "{}");
  EXPECT_EQ(p.request().headers.at("host"), "x");
  EXPECT_TRUE(p.request().keep_alive);
}

TEST(HttpParserTest, ParsesByteByByte) {
  RequestParser p;
  std::string req = "GET /v1/health HTTP/1.0\nConnection: keep-alive\n\n";
  for (char c : req) {
    ASSERT_NE(p.state(), State::kError);
    p.Feed(std::string_view(&c, 1));
  }
  ASSERT_EQ(p.state(), State::kComplete);
  EXPECT_TRUE(p.request().keep_alive);
  EXPECT_EQ(p.request().body, "");
}

TEST(HttpParserTest, LeavesThePipelinedNextRequest) {
  RequestParser p;
  std::string two = "GET /a HTTP/1.1\r\n\r\nGET /b HTTP/1.1\r\n\r\n";
  size_t used = p.Feed(two);
  ASSERT_EQ(p.state(), State::kComplete);
  EXPECT_EQ(p.request().target, "/a");
  p.Reset();
  p.Feed(std::string_view(two).substr(used));
  ASSERT_EQ(p.state(), State::kComplete);
  EXPECT_EQ(p.request().target, "/b");
}

struct Bad {
  std::string text;
  int status;
};

class HttpRejectTest : public ::testing::TestWithParam<Bad> {};

TEST_P(HttpRejectTest, AnswersWithTheRightStatus) {
  RequestParser p;
  p.Feed(GetParam().text);
  ASSERT_EQ(p.state(), State::kError) << GetParam().text;
  EXPECT_EQ(p.error_status(), GetParam().status);
  EXPECT_FALSE(p.error().empty());
}

INSTANTIATE_TEST_SUITE_P(
    Cases, HttpRejectTest,
    ::testing::Values(Bad{"GARBAGE\r\n\r\n", 400}, Bad{"GET nopath HTTP/1.1\r\n\r\n", 400},
                      Bad{"GET / HTTP/2.0\r\n\r\n", 505}, Bad{"GET / HTTP/1.1\r\nno colon\r\n\r\n", 400},
                      Bad{"POST / HTTP/1.1\r\nContent-Length: x\r\n\r\n", 400},
                      Bad{"POST / HTTP/1.1\r\nContent-Length: 99999999\r\n\r\n", 413},
                      Bad{"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n", 411},
                      Bad{"GET / HTTP/1.1\r\nX: " + std::string(17000, 'a'), 431}));

TEST(HttpSerializeTest, WritesStatusLengthAndClose) {
  Response r;
  r.status = 507;
  r.body = "{}";
  r.close = true;
  std::string out = Serialize(r);
  EXPECT_EQ(out.rfind("HTTP/1.1 507 Insufficient Storage\r\n", 0), 0u);
  EXPECT_NE(out.find("Content-Length: 2\r\n"), std::string::npos);
  EXPECT_NE(out.find("Connection: close\r\n"), std::string::npos);
}

}  // namespace
}  // namespace lifeline::http
