// The e-mail channel: builds one RFC 5322 text/plain UTF-8 message (a pure
// function) and sends it over SMTP, SMTPS or SMTP+STARTTLS with libcurl. The
// server accepting the DATA phase is the evidence. SendEmail blocks for at
// most the configured timeouts: run it on the worker, never on the io thread.
#pragma once

#include <atomic>
#include <chrono>
#include <string>
#include <string_view>
#include <vector>

#include "daemon/core/clock.h"
#include "daemon/core/status.h"
#include "daemon/core/time_format.h"

#include <nlohmann/json.hpp>

namespace lifeline::email {

// Subject and body arrive already rendered from the [email] templates.
struct EmailMessage {
  std::string from;               // addr-spec: "lifeline@agency.gov.tw"
  std::string from_name;          // display name, UTF-8; may be empty
  std::vector<std::string> to;    // addr-specs, at least one
  std::string subject;            // UTF-8, one line
  std::string body;               // UTF-8; LF or CRLF line ends
  int date_offset_minutes = 8 * 60;  // the Date header's zone; agencies read +0800
};

// What the builder needs besides the message, so that it stays pure.
struct MessageStamp {
  OffsetTime date;           // shown in its own offset (+08:00 in Taiwan)
  std::string message_id;    // "<id@domain>", angle brackets included
};

// The message as it goes on the wire: CRLF line ends only, no line over 78
// characters, subject as RFC 2047 UTF-8 base64 words, body base64 in 76-column
// lines. InvalidArgument for a malformed address, invalid UTF-8, or CR/LF in any
// header field (header injection).
Result<std::string> BuildMessage(const EmailMessage& message, const MessageStamp& stamp);

// True for a plain ASCII addr-spec (local@domain) with nothing that could end
// or extend a header or an SMTP command.
bool IsValidAddress(std::string_view address);

// "<uuid@domain-of-from>".
Result<std::string> NewMessageId(std::string_view from);

enum class SmtpSecurity {
  kSmtps,     // TLS from the first byte (port 465)
  kStartTls,  // plain connect, STARTTLS required before MAIL (port 587/25)
  kPlain,     // no TLS at all; only for tests on loopback, never the default
};

struct SmtpOptions {
  std::string host;
  int port = 587;
  SmtpSecurity security = SmtpSecurity::kStartTls;
  std::string ca_file;       // PEM bundle; empty = the system's trust store
  std::string username;      // AUTH only when set
  std::string password;
  std::string helo_name = "lifeline";  // the name we give in EHLO
  std::chrono::milliseconds connect_timeout{10000};
  std::chrono::milliseconds total_timeout{60000};
};

enum class Verdict {
  kAccepted,   // the server took responsibility for the message (2xx to DATA)
  kPermanent,  // 5xx, or a refused address: sending the same again will not help
  kTemporary,  // 4xx, DNS, connect, timeout, TLS, dropped connection: retry later
};
std::string_view VerdictName(Verdict v);  // "accepted", "permanent", "temporary"

struct EmailEvidence {
  Verdict verdict = Verdict::kTemporary;
  // Empty when accepted; else where it ended: "connect", "dns", "timeout", "tls", "tls_identity",
  // "greeting", "ehlo", "auth", "mail", "rcpt", "data", "transport", "local".
  std::string failure_class;
  int smtp_code = 0;          // CURLINFO_RESPONSE_CODE: the last reply code (0: none)
  // Accepted: the reply to DATA as sent ("250 2.0.0 Ok: queued as 4F2A1");
  // otherwise the last reply before the failure. A reply lost after the body
  // was sent leaves the outcome unknown: classed temporary, so a retry may
  // deliver twice, which beats not at all.
  std::string smtp_reply;
  std::string curl_error;     // libcurl's words on failure
  std::string message_id;
  std::vector<std::string> accepted_recipients;  // RCPT TO answered 2xx
  WallTime started_at;
  WallTime ended_at;

  bool accepted() const { return verdict == Verdict::kAccepted; }
  // Every field, times as UTC RFC 3339 with microseconds; stored with the attempt.
  nlohmann::json ToJson() const;
};

// Builds (stamped with `clock` and a fresh Message-ID) and sends one message.
// A non-OK Status means nothing was sent because the message or the options are
// wrong (InvalidArgument: permanent); every outcome of talking to a server,
// good or bad, is an EmailEvidence. `cancel` (not owned), when it becomes true
// on another thread, aborts the transfer within about a second: the evidence
// is then temporary with failure_class "cancelled".
Result<EmailEvidence> SendEmail(const EmailMessage& message, const SmtpOptions& options,
                                const Clock& clock, const std::atomic<bool>* cancel = nullptr);

}  // namespace lifeline::email
