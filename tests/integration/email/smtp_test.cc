// SendEmail against a real SMTP server (aiosmtpd) on 127.0.0.1: a Chinese
// message arrives byte-exact; refusals and failures get the right verdict;
// TLS is verified and never skipped.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "daemon/channels/email/email.h"
#include "daemon/core/text.h"
#include "tests/integration/email/smtp_server_process.h"
#include "tests/unit/email/mime_decode.h"

namespace lifeline::email {
namespace {

using testing::ServerOptions;
using testing::SmtpServerProcess;
using testing_mime::DecodeBase64;
using testing_mime::DecodeEncodedWords;
using testing_mime::HeaderValue;
using testing_mime::SplitMessage;

std::unique_ptr<SmtpServerProcess> StartServer(const std::string& name, ServerOptions o = {}) {
  auto server = SmtpServerProcess::Start(name, o);
  EXPECT_TRUE(server.ok()) << server.status().ToString();
  return server.ok() ? std::move(server).value() : nullptr;
}

ServerOptions Replying(std::string rcpt_reply, std::string data_reply) {
  ServerOptions o;
  o.rcpt_reply = std::move(rcpt_reply);
  o.data_reply = std::move(data_reply);
  return o;
}

ServerOptions WithTls(bool smtps) {
  ServerOptions o;
  o.tls = true;
  o.smtps = smtps;
  return o;
}

SmtpOptions To(const SmtpServerProcess& server, SmtpSecurity security = SmtpSecurity::kPlain) {
  SmtpOptions o;
  o.host = "127.0.0.1";
  o.port = server.port();
  o.security = security;
  o.connect_timeout = std::chrono::seconds(5);
  o.total_timeout = std::chrono::seconds(30);
  return o;
}

EmailMessage Chinese() {
  EmailMessage m;
  m.from = "lifeline@agency.gov.tw";
  m.from_name = "資安事件通報系統";
  m.to = {"window@superior.gov.tw", "soc@nccst.gov.tw"};
  m.subject = "【資安事件通報】第3級 某某機關 網頁置換（因網路中斷改以電子郵件通報）";
  m.body = "機關：某某機關\n等級：3\n知悉時間：2026-11-21 09:58 (+08:00)\n"
           ".開頭是點的行（SMTP 需要加點）\n\n原因：網路中斷\n";
  return m;
}

Result<EmailEvidence> Send(const SmtpOptions& o, const EmailMessage& m = Chinese()) {
  SystemClock clock;
  return SendEmail(m, o, clock);
}

TEST(EmailSmtp, ChineseMessageIsAcceptedAndArrivesByteExact) {
  auto server = StartServer("accept");
  ASSERT_TRUE(server);
  EmailMessage m = Chinese();
  Result<EmailEvidence> e = Send(To(*server), m);
  ASSERT_TRUE(e.ok()) << e.status().ToString();
  EXPECT_TRUE(e->accepted()) << e->failure_class << " " << e->smtp_reply << " " << e->curl_error;
  EXPECT_EQ(e->smtp_code, 250);
  EXPECT_EQ(e->smtp_reply, "250 2.0.0 Ok: queued as LL0001");
  EXPECT_EQ(e->accepted_recipients, m.to);
  EXPECT_LE(e->started_at, e->ended_at);

  auto got = server->Messages();
  ASSERT_EQ(got.size(), 1u);
  EXPECT_NE(got[0].envelope_json.find("window@superior.gov.tw"), std::string::npos);
  auto parts = SplitMessage(got[0].message);
  EXPECT_EQ(HeaderValue(parts.headers, "Message-ID"), e->message_id);
  EXPECT_EQ(DecodeEncodedWords(HeaderValue(parts.headers, "Subject")), m.subject);
  std::string canonical = "機關：某某機關\r\n等級：3\r\n知悉時間：2026-11-21 09:58 (+08:00)\r\n"
                          ".開頭是點的行（SMTP 需要加點）\r\n\r\n原因：網路中斷\r\n";
  EXPECT_EQ(DecodeBase64(parts.body), canonical);
}

TEST(EmailSmtp, RecipientRefusedWith5xxIsPermanent) {
  auto server = StartServer("rcpt5xx", Replying("550 5.1.1 Recipient address rejected", ""));
  ASSERT_TRUE(server);
  Result<EmailEvidence> e = Send(To(*server));
  ASSERT_TRUE(e.ok()) << e.status().ToString();
  EXPECT_EQ(e->verdict, Verdict::kPermanent);
  EXPECT_EQ(e->failure_class, "rcpt");
  EXPECT_EQ(e->smtp_code, 550);
  EXPECT_EQ(e->smtp_reply, "550 5.1.1 Recipient address rejected");
  EXPECT_TRUE(e->accepted_recipients.empty());
  EXPECT_TRUE(server->Messages().empty());
}

TEST(EmailSmtp, RecipientDeferredWith4xxIsTemporary) {
  auto server = StartServer("rcpt4xx", Replying("450 4.2.1 Mailbox busy, try later", ""));
  ASSERT_TRUE(server);
  Result<EmailEvidence> e = Send(To(*server));
  ASSERT_TRUE(e.ok()) << e.status().ToString();
  EXPECT_EQ(e->verdict, Verdict::kTemporary);
  EXPECT_EQ(e->failure_class, "rcpt");
  EXPECT_EQ(e->smtp_code, 450);
}

// A server whose replies are not text (invalid UTF-8, a control byte): the verdict is read
// from the code as ever, and the evidence keeps the bytes as text plus their hex, so it can
// be stored and journaled.
TEST(EmailSmtp, RepliesThatAreNotTextKeepTheirVerdictAndBecomeEvidenceThatIsText) {
  ServerOptions accept;
  accept.accept_reply = "250 2.0.0 Ok \\xff\\xfe\\x01 queued";
  auto accepting = StartServer("acceptgarbage", accept);
  auto refusing = StartServer("refusegarbage", Replying("", "554 5.6.0 \\xc3\\x28 rejected\\x1b[0m"));
  ASSERT_TRUE(accepting && refusing);
  Result<EmailEvidence> e = Send(To(*accepting));
  ASSERT_TRUE(e.ok()) << e.status().ToString();
  EXPECT_EQ(e->verdict, Verdict::kAccepted);
  EXPECT_EQ(e->smtp_reply, std::string("250 2.0.0 Ok \xff\xfe\x01 queued")) << "the reply's bytes as sent";
  nlohmann::json j = e->ToJson();
  ASSERT_TRUE(j["smtp_reply"].is_object()) << j.dump();
  EXPECT_EQ(j["smtp_reply"]["hex"], HexBytes(e->smtp_reply));
  EXPECT_TRUE(IsValidUtf8(j["smtp_reply"]["text"].get<std::string>()));
  EXPECT_NO_THROW((void)j.dump());

  e = Send(To(*refusing));
  ASSERT_TRUE(e.ok()) << e.status().ToString();
  EXPECT_EQ(e->verdict, Verdict::kPermanent);
  EXPECT_EQ(e->smtp_code, 554);
  EXPECT_NO_THROW((void)e->ToJson().dump());
  EXPECT_TRUE(IsValidUtf8(e->ToJson()["smtp_reply"]["text"].get<std::string>()));
}

TEST(EmailSmtp, DataRefusedWith5xxIsPermanentAnd4xxTemporary) {
  auto refuse = StartServer("data5xx", Replying("", "554 5.6.0 Message content rejected"));
  auto defer = StartServer("data4xx", Replying("", "451 4.3.0 Local error, try later"));
  ASSERT_TRUE(refuse && defer);
  Result<EmailEvidence> e = Send(To(*refuse));
  ASSERT_TRUE(e.ok()) << e.status().ToString();
  EXPECT_EQ(e->verdict, Verdict::kPermanent);
  EXPECT_EQ(e->failure_class, "data");
  EXPECT_EQ(e->smtp_reply, "554 5.6.0 Message content rejected");
  EXPECT_EQ(e->accepted_recipients.size(), 2u);  // RCPT was fine; DATA was not
  e = Send(To(*defer));
  ASSERT_TRUE(e.ok()) << e.status().ToString();
  EXPECT_EQ(e->verdict, Verdict::kTemporary);
  EXPECT_EQ(e->failure_class, "data");
  EXPECT_EQ(e->smtp_code, 451);
}

TEST(EmailSmtp, ServerGoneIsTemporaryConnect) {
  auto server = StartServer("gone");
  ASSERT_TRUE(server);
  SmtpOptions o = To(*server);
  server->Stop();
  Result<EmailEvidence> e = Send(o);
  ASSERT_TRUE(e.ok()) << e.status().ToString();
  EXPECT_EQ(e->verdict, Verdict::kTemporary);
  EXPECT_EQ(e->failure_class, "connect");
  EXPECT_FALSE(e->curl_error.empty());
}

// A listening socket nobody accepts from: the kernel completes the TCP
// handshake, but no greeting ever comes, as with a hung relay.
TEST(EmailSmtp, SilentServerIsTemporaryTimeout) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(fd, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&addr), len), 0);
  ASSERT_EQ(listen(fd, 4), 0);
  ASSERT_EQ(getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len), 0);
  SmtpOptions o;
  o.host = "127.0.0.1";
  o.port = ntohs(addr.sin_port);
  o.security = SmtpSecurity::kPlain;
  o.total_timeout = std::chrono::milliseconds(500);
  Result<EmailEvidence> e = Send(o);
  close(fd);
  ASSERT_TRUE(e.ok()) << e.status().ToString();
  EXPECT_EQ(e->verdict, Verdict::kTemporary);
  EXPECT_EQ(e->failure_class, "timeout") << e->curl_error;
}

TEST(EmailSmtp, StartTlsWithTheServersCaIsAccepted) {
  auto server = StartServer("starttls", WithTls(false));
  ASSERT_TRUE(server);
  SmtpOptions o = To(*server, SmtpSecurity::kStartTls);
  o.ca_file = server->ca_file();
  Result<EmailEvidence> e = Send(o);
  ASSERT_TRUE(e.ok()) << e.status().ToString();
  EXPECT_TRUE(e->accepted()) << e->failure_class << " " << e->curl_error;
  auto got = server->Messages();
  ASSERT_EQ(got.size(), 1u);
  EXPECT_NE(got[0].envelope_json.find("\"tls\": true"), std::string::npos);
}

TEST(EmailSmtp, SmtpsWithTheServersCaIsAccepted) {
  auto server = StartServer("smtps", WithTls(true));
  ASSERT_TRUE(server);
  SmtpOptions o = To(*server, SmtpSecurity::kSmtps);
  o.ca_file = server->ca_file();
  Result<EmailEvidence> e = Send(o);
  ASSERT_TRUE(e.ok()) << e.status().ToString();
  EXPECT_TRUE(e->accepted()) << e->failure_class << " " << e->curl_error;
  EXPECT_EQ(server->Messages().size(), 1u);
}

TEST(EmailSmtp, UntrustedCertificateIsRefusedAsTlsIdentity) {
  auto server = StartServer("untrusted", WithTls(false));
  ASSERT_TRUE(server);
  Result<EmailEvidence> e = Send(To(*server, SmtpSecurity::kStartTls));  // system CAs only
  ASSERT_TRUE(e.ok()) << e.status().ToString();
  EXPECT_EQ(e->verdict, Verdict::kTemporary);
  EXPECT_EQ(e->failure_class, "tls_identity") << e->curl_error;
  EXPECT_TRUE(server->Messages().empty());
}

TEST(EmailSmtp, ServerWithoutStartTlsIsNotUsedInTheClear) {
  auto server = StartServer("nostarttls");
  ASSERT_TRUE(server);
  Result<EmailEvidence> e = Send(To(*server, SmtpSecurity::kStartTls));
  ASSERT_TRUE(e.ok()) << e.status().ToString();
  EXPECT_EQ(e->verdict, Verdict::kTemporary);
  EXPECT_EQ(e->failure_class, "tls") << e->curl_error;
  EXPECT_TRUE(server->Messages().empty());
}

}  // namespace
}  // namespace lifeline::email
