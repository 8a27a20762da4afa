// The site API's bytes (proto/site-api.yaml v1) as pure functions: the request
// path and canonical JSON body of a Submission, the receipt in a 2xx body, the
// error code in a 4xx/5xx body, and Retry-After in both of its forms. No I/O;
// safe from any thread. Parsers never throw: bad input is a Status.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "daemon/core/status.h"
#include "daemon/core/time_format.h"
#include "daemon/site/site.h"

namespace lifeline::site_internal {

// "/v1/reports", "/v1/reports/{id}/revisions", "/v1/reports/{id}/late-submissions",
// or "/v1/reports/{id}/stages/{damage-control|closing}".
std::string RequestPath(const Submission& s);
// Canonical JSON (sorted keys, no spaces), so a retry or a replay after a
// restart sends the same bytes. Fails on a report that is not a JSON object,
// a late submission without evidence, or a bad id/revision.
Result<std::string> BuildBody(const Submission& s);

struct ParsedReceipt {
  std::string receipt_no;
  std::string received_at;
};
Result<ParsedReceipt> ParseReceipt(std::string_view body);
// The "error" member of an Error body, or "" when there is none.
std::string ParseErrorCode(std::string_view body);

// RFC 9110 HTTP-date: IMF-fixdate, and the obsolete RFC 850 and asctime forms.
Result<WallTime> ParseHttpDate(std::string_view text);
// delay-seconds or HTTP-date; a date in the past gives zero.
Result<std::chrono::milliseconds> ParseRetryAfter(std::string_view value, WallTime now);

}  // namespace lifeline::site_internal
