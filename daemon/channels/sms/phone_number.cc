#include "daemon/channels/sms/phone_number.h"

namespace lifeline::sms {
namespace {

bool IsSeparator(char c) { return c == ' ' || c == '-' || c == '.'; }

}  // namespace

Result<PhoneNumber> ParsePhoneNumber(std::string_view text) {
  PhoneNumber n;
  size_t i = 0;
  while (i < text.size() && text[i] == ' ') ++i;
  if (i < text.size() && text[i] == '+') {
    n.international = true;
    ++i;
  }
  for (; i < text.size(); ++i) {
    const char c = text[i];
    if (c >= '0' && c <= '9') {
      n.digits += c;
    } else if (!IsSeparator(c)) {
      return InvalidArgument("phone number \"" + std::string(text) + "\" has invalid character '" +
                             std::string(1, c) + "' at position " + std::to_string(i));
    }
  }
  const size_t len = n.digits.size();
  if (n.international && (len < 7 || len > 15)) {
    return InvalidArgument("international number \"" + std::string(text) +
                           "\" must have 7 to 15 digits after '+', has " + std::to_string(len));
  }
  if (!n.international && (len < 3 || len > 20)) {
    return InvalidArgument("national number \"" + std::string(text) +
                           "\" must have 3 to 20 digits, has " + std::to_string(len));
  }
  if (n.international && n.digits[0] == '0') {
    return InvalidArgument("international number \"" + std::string(text) +
                           "\" cannot start with 0 after '+' (country codes never do)");
  }
  return n;
}

}  // namespace lifeline::sms
