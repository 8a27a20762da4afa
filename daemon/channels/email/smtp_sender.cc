// SendEmail: one blocking libcurl SMTP transfer. A debug callback keeps the
// SMTP dialogue's replies, because libcurl only reports the last code and the
// evidence must name the DATA-phase reply and which recipients were accepted.
#include <curl/curl.h>

#include <cstring>
#include <memory>

#include "daemon/channels/email/email.h"
#include "daemon/core/text.h"

namespace lifeline::email {
namespace {

struct CurlDeleter {
  void operator()(CURL* c) const { curl_easy_cleanup(c); }
  void operator()(curl_slist* l) const { curl_slist_free_all(l); }
};
using EasyPtr = std::unique_ptr<CURL, CurlDeleter>;
using ListPtr = std::unique_ptr<curl_slist, CurlDeleter>;

// What the server said, command by command, as seen through the debug callback.
struct Dialogue {
  std::string phase = "connect";  // the command whose reply is awaited
  std::string pending_rcpt;
  std::vector<std::string> accepted;
  std::string last_reply;  // last complete reply line
  std::string data_reply;  // the reply to the message body
  bool quitting = false;   // QUIT and its reply say nothing about the outcome
};

struct Transfer {
  std::string_view message;
  size_t sent = 0;
  Dialogue dialogue;
  const std::atomic<bool>* cancel = nullptr;
};

// libcurl calls this at least once a second, also while connecting or waiting
// for a reply, so a cancel is seen without waiting for total_timeout.
int OnProgress(void* user, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
  const Transfer& t = *static_cast<Transfer*>(user);
  return t.cancel != nullptr && t.cancel->load() ? 1 : 0;
}

std::string_view TrimLine(std::string_view s) {
  while (!s.empty() && (s.back() == '\r' || s.back() == '\n')) s.remove_suffix(1);
  return s;
}

// Commands are ASCII verbs; the part after the verb is only used for RCPT.
void OnCommand(Dialogue& d, std::string_view line) {
  auto is = [&](std::string_view verb) { return line.substr(0, verb.size()) == verb; };
  if (is("EHLO") || is("HELO")) d.phase = "ehlo";
  else if (is("STARTTLS")) d.phase = "tls";
  else if (is("AUTH")) d.phase = "auth";
  else if (is("MAIL")) d.phase = "mail";
  else if (is("DATA")) d.phase = "data";
  else if (is("QUIT")) d.quitting = true;
  else if (is("RCPT TO:<")) {
    d.phase = "rcpt";
    line.remove_prefix(9);
    d.pending_rcpt = std::string(line.substr(0, line.find('>')));
  }
}

// Only the last line of a multi-line reply ("250 ", not "250-") ends it.
void OnReply(Dialogue& d, std::string_view line) {
  if (d.quitting || line.size() < 3 || (line.size() > 3 && line[3] != ' ')) return;
  d.last_reply = std::string(line);
  char klass = line[0];
  if (d.phase == "connect") d.phase = "greeting";
  if (d.phase == "rcpt" && klass == '2') d.accepted.push_back(d.pending_rcpt);
  if (d.phase == "data" && line.substr(0, 3) == "354") d.phase = "body";
  else if (d.phase == "body") d.data_reply = d.last_reply;
}

int OnDebug(CURL*, curl_infotype type, char* data, size_t size, void* user) {
  if (type != CURLINFO_HEADER_IN && type != CURLINFO_HEADER_OUT) return 0;
  Dialogue& d = static_cast<Transfer*>(user)->dialogue;
  std::string_view text(data, size);
  while (!text.empty()) {  // a chunk may hold several lines
    size_t end = text.find('\n');
    std::string_view line = TrimLine(text.substr(0, end == text.npos ? text.size() : end + 1));
    if (type == CURLINFO_HEADER_OUT) OnCommand(d, line);
    else OnReply(d, line);
    text.remove_prefix(end == text.npos ? text.size() : end + 1);
  }
  return 0;
}

size_t OnRead(char* buffer, size_t size, size_t count, void* user) {
  Transfer& t = *static_cast<Transfer*>(user);
  size_t n = std::min(size * count, t.message.size() - t.sent);
  std::memcpy(buffer, t.message.data() + t.sent, n);
  t.sent += n;
  return n;
}

bool IsLoopback(std::string_view host) {
  return host == "127.0.0.1" || host == "::1" || host == "[::1]" || host == "localhost";
}

Status CheckOptions(const SmtpOptions& o) {
  if (o.host.empty() || o.port <= 0 || o.port > 65535) {
    return InvalidArgument("smtp: host and a port in 1..65535 are required");
  }
  if (o.security == SmtpSecurity::kPlain && !IsLoopback(o.host)) {
    return InvalidArgument("smtp: plain SMTP without TLS is allowed on loopback only");
  }
  if (o.helo_name.empty() || !IsValidAddress("x@" + o.helo_name)) {
    return InvalidArgument("smtp: helo_name must be a host name");
  }
  return Status::Ok();
}

std::string Url(const SmtpOptions& o) {
  std::string scheme = o.security == SmtpSecurity::kSmtps ? "smtps://" : "smtp://";
  std::string host = o.host.find(':') != std::string::npos && o.host.front() != '['
                         ? "[" + o.host + "]" : o.host;
  // The URL's path is the name libcurl sends in EHLO.
  return scheme + host + ":" + std::to_string(o.port) + "/" + o.helo_name;
}

// Verification is never switched off: an SMTP server we cannot authenticate
// could swallow the notification and the evidence would be a lie.
void ConfigureTls(CURL* c, const SmtpOptions& o) {
  bool plain = o.security == SmtpSecurity::kPlain;
  curl_easy_setopt(c, CURLOPT_USE_SSL, plain ? (long)CURLUSESSL_NONE : (long)CURLUSESSL_ALL);
  curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);
  curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L);
  if (!o.ca_file.empty()) curl_easy_setopt(c, CURLOPT_CAINFO, o.ca_file.c_str());
}

Status Configure(CURL* c, const SmtpOptions& o, const EmailMessage& m, curl_slist* rcpts,
                 Transfer& t, char* error_buffer) {
  std::string url = Url(o);
  bool ok = curl_easy_setopt(c, CURLOPT_URL, url.c_str()) == CURLE_OK &&
            curl_easy_setopt(c, CURLOPT_MAIL_FROM, ("<" + m.from + ">").c_str()) == CURLE_OK &&
            curl_easy_setopt(c, CURLOPT_MAIL_RCPT, rcpts) == CURLE_OK;
  if (!ok) return Internal("smtp: libcurl refused the URL or envelope");
  ConfigureTls(c, o);
  if (!o.username.empty()) {
    curl_easy_setopt(c, CURLOPT_USERNAME, o.username.c_str());
    curl_easy_setopt(c, CURLOPT_PASSWORD, o.password.c_str());
  }
  curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);  // runs on a worker thread
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(o.connect_timeout.count()));
  curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, static_cast<long>(o.total_timeout.count()));
  curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
  curl_easy_setopt(c, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(t.message.size()));
  curl_easy_setopt(c, CURLOPT_READFUNCTION, OnRead);
  curl_easy_setopt(c, CURLOPT_READDATA, &t);
  curl_easy_setopt(c, CURLOPT_DEBUGFUNCTION, OnDebug);
  curl_easy_setopt(c, CURLOPT_DEBUGDATA, &t);
  curl_easy_setopt(c, CURLOPT_VERBOSE, 1L);  // feeds OnDebug; nothing reaches stderr
  curl_easy_setopt(c, CURLOPT_ERRORBUFFER, error_buffer);
  curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
  curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, OnProgress);
  curl_easy_setopt(c, CURLOPT_XFERINFODATA, &t);
  return Status::Ok();
}

// The transport-level outcome, before any SMTP reply is looked at.
const char* TransportClass(CURLcode rc) {
  switch (rc) {
    case CURLE_COULDNT_RESOLVE_HOST: return "dns";
    case CURLE_COULDNT_CONNECT: return "connect";
    case CURLE_OPERATION_TIMEDOUT: return "timeout";
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH: return "tls_identity";
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_USE_SSL_FAILED:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CIPHER: return "tls";
    case CURLE_OUT_OF_MEMORY:
    case CURLE_FAILED_INIT: return "local";
    case CURLE_ABORTED_BY_CALLBACK: return "cancelled";
    default: return nullptr;
  }
}

void Classify(CURLcode rc, long code, const Dialogue& d, EmailEvidence& e) {
  e.smtp_code = static_cast<int>(code);
  e.smtp_reply = d.data_reply.empty() ? d.last_reply : d.data_reply;
  e.accepted_recipients = d.accepted;
  if (rc == CURLE_OK && !d.data_reply.empty() && d.data_reply[0] == '2') {
    e.verdict = Verdict::kAccepted;
    return;
  }
  // TLS and transport faults are judged before reply codes: a 5xx seen
  // earlier in a dialogue that then broke is not the server's verdict.
  const char* transport = TransportClass(rc);
  std::string phase = d.phase == "body" ? "data" : d.phase;
  if (transport) {
    e.failure_class = transport;
    e.verdict = Verdict::kTemporary;
  } else if (code >= 500 && code < 600) {
    e.failure_class = phase;
    e.verdict = Verdict::kPermanent;
  } else {
    e.failure_class = code >= 400 && code < 500 ? phase : "transport";
    e.verdict = Verdict::kTemporary;
  }
}

Result<ListPtr> RecipientList(const std::vector<std::string>& to) {
  ListPtr list;
  for (const std::string& address : to) {
    // curl_slist_append returns the same head, or null leaving the list intact.
    curl_slist* head = curl_slist_append(list.get(), ("<" + address + ">").c_str());
    if (!head) return ResourceExhausted("smtp: out of memory for recipients");
    (void)list.release();
    list.reset(head);
  }
  return list;
}

}  // namespace

std::string_view VerdictName(Verdict v) {
  switch (v) {
    case Verdict::kAccepted: return "accepted";
    case Verdict::kPermanent: return "permanent";
    case Verdict::kTemporary: return "temporary";
  }
  return "unknown";
}

nlohmann::json EmailEvidence::ToJson() const {
  // The server's reply is its bytes, not necessarily text: as text, with the
  // raw bytes beside it when they needed changing (TextEvidence).
  return {{"verdict", VerdictName(verdict)}, {"failure_class", failure_class},
          {"smtp_code", smtp_code}, {"smtp_reply", TextEvidence(smtp_reply)}, {"curl_error", SafeText(curl_error)},
          {"message_id", message_id}, {"accepted_recipients", accepted_recipients},
          {"started_at", FormatUtcMicros(started_at)}, {"ended_at", FormatUtcMicros(ended_at)}};
}

Result<EmailEvidence> SendEmail(const EmailMessage& message, const SmtpOptions& options,
                                const Clock& clock, const std::atomic<bool>* cancel) {
  LIFELINE_RETURN_IF_ERROR(CheckOptions(options));
  Result<std::string> id = NewMessageId(message.from);
  if (!id.ok()) return id.status();
  EmailEvidence e;
  e.started_at = clock.Now();
  MessageStamp stamp{WithOffset(e.started_at, message.date_offset_minutes), *id};
  Result<std::string> text = BuildMessage(message, stamp);
  if (!text.ok()) return text.status();
  e.message_id = *id;

  Result<ListPtr> rcpts = RecipientList(message.to);
  if (!rcpts.ok()) return rcpts.status();
  EasyPtr easy(curl_easy_init());
  if (!easy) return Internal("smtp: curl_easy_init failed");
  Transfer t{*text, 0, {}, cancel};
  char error_buffer[CURL_ERROR_SIZE] = {0};
  LIFELINE_RETURN_IF_ERROR(
      Configure(easy.get(), options, message, rcpts->get(), t, error_buffer));
  CURLcode rc = curl_easy_perform(easy.get());
  long code = 0;
  curl_easy_getinfo(easy.get(), CURLINFO_RESPONSE_CODE, &code);
  e.ended_at = clock.Now();
  e.curl_error = rc == CURLE_OK ? "" : error_buffer[0] ? error_buffer : curl_easy_strerror(rc);
  Classify(rc, code, t.dialogue, e);
  return e;
}

}  // namespace lifeline::email
