// The small pieces of HTTP/1.1's grammar that the request parser, the response
// parser and the message helpers share: field names compare case-insensitively
// in ASCII (RFC 9110 §5.1), optional whitespace is spaces and tabs (§5.6.3), and
// lines end in CRLF, the CR optional on input (RFC 9112 §2.2). Internal to
// daemon/http.
#pragma once

#include <string>
#include <string_view>

namespace lifeline::http::syntax {

// ASCII letters lowered, every other byte kept: no locale, no UTF-8 decoding.
inline std::string AsciiLower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

inline std::string_view TrimOws(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

inline std::string_view StripCr(std::string_view line) {
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  return line;
}

}  // namespace lifeline::http::syntax
