// Test-only readers for what BuildMessage writes: header split, base64 and
// RFC 2047 "B" word decoding. Kept naive on purpose: an independent reading,
// not a copy of the encoder's logic.
#pragma once

#include <string>
#include <string_view>

namespace lifeline::email::testing_mime {

struct MessageParts {
  std::string headers;  // everything before the blank line, CRLFs kept
  std::string body;
};

inline MessageParts SplitMessage(const std::string& text) {
  size_t blank = text.find("\r\n\r\n");
  if (blank == std::string::npos) return {text, ""};
  return {text.substr(0, blank + 2), text.substr(blank + 4)};
}

// The raw value of header `name` (folds kept as "\r\n "), "" if absent.
inline std::string HeaderValue(const std::string& headers, const std::string& name) {
  std::string key = "\r\n" + name + ": ";
  std::string all = "\r\n" + headers;  // so the first header is found like the rest
  size_t at = all.find(key);
  if (at == std::string::npos) return "";
  const std::string& h = all;
  size_t start = at + key.size();
  size_t end = start;
  while (true) {
    end = h.find("\r\n", end);
    if (end == std::string::npos || end + 2 >= h.size() || h[end + 2] != ' ') break;
    end += 2;
  }
  return h.substr(start, end - start);
}

inline std::string DecodeBase64(std::string_view in) {
  std::string out;
  unsigned value = 0;
  int bits = 0;
  for (char c : in) {
    int v = c >= 'A' && c <= 'Z' ? c - 'A' : c >= 'a' && c <= 'z' ? c - 'a' + 26
          : c >= '0' && c <= '9' ? c - '0' + 52 : c == '+' ? 62 : c == '/' ? 63 : -1;
    if (v < 0) continue;
    value = (value << 6) | static_cast<unsigned>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((value >> bits) & 0xFF);
    }
  }
  return out;
}

// Concatenates the decoded words; whitespace between words is dropped (RFC
// 2047 §6.2), text outside words is kept.
inline std::string DecodeEncodedWords(std::string_view value) {
  std::string out;
  while (!value.empty()) {
    size_t open = value.find("=?UTF-8?B?");
    if (open == std::string_view::npos) {
      bool blank = value.find_first_not_of("\r\n ") == std::string_view::npos;
      return blank ? out : out + std::string(value);
    }
    std::string_view between = value.substr(0, open);
    if (between.find_first_not_of("\r\n ") != std::string_view::npos) out += between;
    size_t close = value.find("?=", open + 10);
    if (close == std::string_view::npos) return out + "<unterminated>";
    out += DecodeBase64(value.substr(open + 10, close - open - 10));
    value.remove_prefix(close + 2);
  }
  return out;
}

}  // namespace lifeline::email::testing_mime
