// BuildMessage: header encoding and folding, CRLF discipline, body transfer
// encoding, and refusal of bad addresses and header injection.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "daemon/channels/email/email.h"
#include "tests/unit/email/mime_decode.h"

namespace lifeline::email {
namespace {

using testing_mime::DecodeBase64;
using testing_mime::DecodeEncodedWords;
using testing_mime::HeaderValue;
using testing_mime::SplitMessage;

MessageStamp Stamp() {
  Result<OffsetTime> t = ParseRfc3339("2026-11-21T09:58:07+08:00");
  EXPECT_TRUE(t.ok());
  return {*t, "<3f0c1d2e-1111-4222-8333-444455556666@agency.gov.tw>"};
}

EmailMessage Chinese() {
  EmailMessage m;
  m.from = "lifeline@agency.gov.tw";
  m.from_name = "資安事件通報系統";
  m.to = {"window@superior.gov.tw"};
  m.subject = "【資安事件通報】第3級 某某機關 網頁置換 — 通報單號 2026-0042，因網路中斷改以其他方式通報";
  m.body = "機關：某某機關\n等級：3\n知悉時間：2026-11-21 09:58 (+08:00)\n.以點開頭的行\n";
  return m;
}

std::string Build(const EmailMessage& m) {
  Result<std::string> r = BuildMessage(m, Stamp());
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  return r.ok() ? *r : "";
}

TEST(BuildMessage, EveryLineEndsInCrlfAndFitsSeventyEightColumns) {
  std::string text = Build(Chinese());
  ASSERT_FALSE(text.empty());
  ASSERT_EQ(text.substr(text.size() - 2), "\r\n");
  size_t start = 0;
  while (start < text.size()) {
    size_t lf = text.find('\n', start);
    ASSERT_NE(lf, std::string::npos);
    EXPECT_EQ(text[lf - 1], '\r') << "bare LF at " << lf;
    EXPECT_LE(lf - 1 - start, 78u) << text.substr(start, lf - start);
    start = lf + 1;
  }
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\r') {
      EXPECT_EQ(text[i + 1], '\n') << "bare CR at " << i;
    }
    EXPECT_LT(static_cast<unsigned char>(text[i]), 0x80) << "8-bit byte at " << i;
  }
}

TEST(BuildMessage, FixedHeadersAreThere) {
  auto parts = SplitMessage(Build(Chinese()));
  EXPECT_EQ(HeaderValue(parts.headers, "Date"), "Sat, 21 Nov 2026 09:58:07 +0800");
  EXPECT_EQ(HeaderValue(parts.headers, "Message-ID"),
            "<3f0c1d2e-1111-4222-8333-444455556666@agency.gov.tw>");
  EXPECT_EQ(HeaderValue(parts.headers, "MIME-Version"), "1.0");
  EXPECT_EQ(HeaderValue(parts.headers, "Content-Type"), "text/plain; charset=UTF-8");
  EXPECT_EQ(HeaderValue(parts.headers, "Content-Transfer-Encoding"), "base64");
  EXPECT_EQ(HeaderValue(parts.headers, "To"), "window@superior.gov.tw");
}

TEST(BuildMessage, ChineseSubjectIsFoldedUtf8EncodedWords) {
  EmailMessage m = Chinese();
  auto parts = SplitMessage(Build(m));
  std::string raw = HeaderValue(parts.headers, "Subject");
  EXPECT_NE(raw.find("\r\n "), std::string::npos) << "a long subject is folded";
  EXPECT_EQ(raw.rfind("=?UTF-8?B?", 0), 0u);
  EXPECT_EQ(DecodeEncodedWords(raw), m.subject);
}

TEST(BuildMessage, DisplayNameIsEncodedBeforeTheAddress) {
  EmailMessage m = Chinese();
  std::string from = HeaderValue(SplitMessage(Build(m)).headers, "From");
  ASSERT_GE(from.size(), m.from.size() + 2);
  EXPECT_EQ(from.substr(from.size() - m.from.size() - 2), "<" + m.from + ">");
  EXPECT_EQ(DecodeEncodedWords(from.substr(0, from.rfind(" <"))), m.from_name);
}

TEST(BuildMessage, SeveralRecipientsFoldOnePerLine) {
  EmailMessage m = Chinese();
  m.to = {"a@x.gov.tw", "b@y.gov.tw", "c@z.gov.tw"};
  std::string to = HeaderValue(SplitMessage(Build(m)).headers, "To");
  EXPECT_EQ(to, "a@x.gov.tw,\r\n b@y.gov.tw,\r\n c@z.gov.tw");
}

TEST(BuildMessage, BodyIsBase64InSeventySixColumnsOfCanonicalText) {
  EmailMessage m = Chinese();
  m.body += std::string(300, 'x');
  m.body += "\r\nlast line without break";
  auto parts = SplitMessage(Build(m));
  std::string joined;
  for (size_t start = 0; start < parts.body.size();) {
    size_t end = parts.body.find("\r\n", start);
    ASSERT_NE(end, std::string::npos);
    EXPECT_LE(end - start, 76u);
    joined += parts.body.substr(start, end - start);
    start = end + 2;
  }
  std::string expected = "機關：某某機關\r\n等級：3\r\n知悉時間：2026-11-21 09:58 (+08:00)\r\n"
                         ".以點開頭的行\r\n" + std::string(300, 'x') + "\r\nlast line without break";
  EXPECT_EQ(DecodeBase64(joined), expected);
}

TEST(BuildMessage, AsciiAndEmptySubjects) {
  EmailMessage m = Chinese();
  m.subject = "Incident report";
  EXPECT_EQ(DecodeEncodedWords(HeaderValue(SplitMessage(Build(m)).headers, "Subject")),
            "Incident report");
  m.subject.clear();
  EXPECT_EQ(HeaderValue(SplitMessage(Build(m)).headers, "Subject"), "");
}

TEST(BuildMessage, DateUsesTheGivenOffset) {
  EmailMessage m = Chinese();
  MessageStamp s = Stamp();
  s.date = WithOffset(s.date.instant, -330);
  Result<std::string> r = BuildMessage(m, s);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(HeaderValue(SplitMessage(*r).headers, "Date"), "Fri, 20 Nov 2026 20:28:07 -0530");
}

TEST(BuildMessage, HeaderInjectionIsRefused) {
  for (std::string evil : {"Hi\r\nBcc: x@evil.example", "Hi\nBcc: x@evil.example", "Hi\r"}) {
    EmailMessage m = Chinese();
    m.subject = evil;
    EXPECT_EQ(BuildMessage(m, Stamp()).status().code(), StatusCode::kInvalidArgument) << evil;
    m = Chinese();
    m.from_name = evil;
    EXPECT_EQ(BuildMessage(m, Stamp()).status().code(), StatusCode::kInvalidArgument) << evil;
    m = Chinese();
    m.to = {"a@b.gov.tw\r\nBcc: x@evil.example"};
    EXPECT_EQ(BuildMessage(m, Stamp()).status().code(), StatusCode::kInvalidArgument) << evil;
  }
  MessageStamp s = Stamp();
  s.message_id = "<a@b>\r\nBcc: x@evil.example";
  EXPECT_EQ(BuildMessage(Chinese(), s).status().code(), StatusCode::kInvalidArgument);
}

TEST(BuildMessage, RecipientsAreValidated) {
  EmailMessage m = Chinese();
  m.to.clear();
  EXPECT_EQ(BuildMessage(m, Stamp()).status().code(), StatusCode::kInvalidArgument);
  m.to = {"ok@agency.gov.tw", "not an address"};
  EXPECT_EQ(BuildMessage(m, Stamp()).status().code(), StatusCode::kInvalidArgument);
  m = Chinese();
  m.from = "lifeline";
  EXPECT_EQ(BuildMessage(m, Stamp()).status().code(), StatusCode::kInvalidArgument);
}

TEST(BuildMessage, InvalidUtf8IsRefused) {
  EmailMessage m = Chinese();
  m.subject = "\xE8\xB3";  // a three-byte character cut short
  EXPECT_EQ(BuildMessage(m, Stamp()).status().code(), StatusCode::kInvalidArgument);
  m = Chinese();
  m.body = "ok \xC0\xAF";  // overlong '/'
  EXPECT_EQ(BuildMessage(m, Stamp()).status().code(), StatusCode::kInvalidArgument);
}

TEST(IsValidAddress, AcceptsOrdinaryAndRefusesSmtpSpecials) {
  for (const char* good : {"a@b.tw", "first.last+tag@mail.agency.gov.tw", "o'neil@x.org"}) {
    EXPECT_TRUE(IsValidAddress(good)) << good;
  }
  for (const char* bad : {"", "@b.tw", "a@", "a b@c.tw", "a@b..tw", ".a@b.tw", "a.@b.tw",
                          "<a@b.tw>", "a@b.tw>", "a@b.tw\r\n", "a@-b.tw", "a@b.tw.",
                          "使用者@機關.tw", "a@b@c.tw:"}) {
    EXPECT_FALSE(IsValidAddress(bad)) << bad;
  }
}

TEST(NewMessageId, TakesTheSendersDomain) {
  Result<std::string> id = NewMessageId("lifeline@agency.gov.tw");
  ASSERT_TRUE(id.ok());
  EXPECT_EQ(id->front(), '<');
  EXPECT_EQ(id->substr(id->size() - 15), "@agency.gov.tw>");
  EXPECT_EQ(id->size(), 1 + 36 + 15u);
}

// These are refused before any connection is tried, so they need no server.
TEST(SendEmail, PlainSmtpIsRefusedOffLoopback) {
  SmtpOptions o;
  o.host = "192.0.2.1";  // TEST-NET-1: never contacted, the check comes first
  o.port = 25;
  o.security = SmtpSecurity::kPlain;
  SystemClock clock;
  EXPECT_EQ(SendEmail(Chinese(), o, clock).status().code(), StatusCode::kInvalidArgument);
}

TEST(SendEmail, BadMessageOrOptionsSendNothing) {
  SmtpOptions o;
  o.host = "127.0.0.1";
  o.port = 1;
  o.security = SmtpSecurity::kPlain;
  SystemClock clock;
  EmailMessage m = Chinese();
  m.subject = "x\r\nBcc: y@evil.example";
  EXPECT_EQ(SendEmail(m, o, clock).status().code(), StatusCode::kInvalidArgument);
  o.port = 70000;
  EXPECT_EQ(SendEmail(Chinese(), o, clock).status().code(), StatusCode::kInvalidArgument);
  o.port = 25;
  o.helo_name = "bad name\r\n";
  EXPECT_EQ(SendEmail(Chinese(), o, clock).status().code(), StatusCode::kInvalidArgument);
}

TEST(VerdictName, NamesEveryVerdict) {
  EXPECT_EQ(VerdictName(Verdict::kAccepted), "accepted");
  EXPECT_EQ(VerdictName(Verdict::kPermanent), "permanent");
  EXPECT_EQ(VerdictName(Verdict::kTemporary), "temporary");
}

}  // namespace
}  // namespace lifeline::email
