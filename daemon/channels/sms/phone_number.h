// Destination numbers for SMS: international ("+886912345678") or national
// ("0912345678") forms, validated before anything is queued so a typo in the
// recipient list fails loudly at configuration time, not at 3 a.m. on battery.
// Pure value type.
#pragma once

#include <string>
#include <string_view>

#include "daemon/core/status.h"

namespace lifeline::sms {

struct PhoneNumber {
  std::string digits;          // without "+", spaces or dashes
  bool international = false;  // E.164 with country code

  // "+886912345678" or "0912345678".
  std::string ToString() const { return (international ? "+" : "") + digits; }
  friend bool operator==(const PhoneNumber&, const PhoneNumber&) = default;
};

// Accepts "+" then 7..15 digits (E.164), or 3..20 digits (national; the SMS
// address field holds at most 20). Spaces, dashes and dots between digits are
// dropped; anything else is an InvalidArgument naming the offending character.
Result<PhoneNumber> ParsePhoneNumber(std::string_view text);

}  // namespace lifeline::sms
