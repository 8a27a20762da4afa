#include "daemon/channels/sms/gsm7.h"

#include <array>

namespace lifeline::sms {
namespace {

// 3GPP TS 23.038 §6.2.1, basic character set; 0x1B is the escape to the extension table.
constexpr std::array<char32_t, 128> kBasic = {
    U'@', U'£', U'$', U'¥', U'è', U'é', U'ù', U'ì', U'ò', U'Ç',  U'\n', U'Ø', U'ø', U'\r', U'Å',
    U'å', U'Δ', U'_', U'Φ', U'Γ', U'Λ', U'Ω', U'Π', U'Ψ', U'Σ',  U'Θ',  U'Ξ', 0x1B, U'Æ',  U'æ',
    U'ß', U'É', U' ', U'!', U'"', U'#', U'¤', U'%', U'&', U'\'', U'(',  U')', U'*', U'+',  U',',
    U'-', U'.', U'/', U'0', U'1', U'2', U'3', U'4', U'5', U'6',  U'7',  U'8', U'9', U':',  U';',
    U'<', U'=', U'>', U'?', U'¡', U'A', U'B', U'C', U'D', U'E',  U'F',  U'G', U'H', U'I',  U'J',
    U'K', U'L', U'M', U'N', U'O', U'P', U'Q', U'R', U'S', U'T',  U'U',  U'V', U'W', U'X',  U'Y',
    U'Z', U'Ä', U'Ö', U'Ñ', U'Ü', U'§', U'¿', U'a', U'b', U'c',  U'd',  U'e', U'f', U'g',  U'h',
    U'i', U'j', U'k', U'l', U'm', U'n', U'o', U'p', U'q', U'r',  U's',  U't', U'u', U'v',  U'w',
    U'x', U'y', U'z', U'ä', U'ö', U'ñ', U'ü', U'à',
};

struct ExtEntry {
  uint8_t code;
  char32_t ch;
};
// §6.2.1.1, the extension table as the default single-shift; each costs two septets.
constexpr std::array<ExtEntry, 10> kExtension = {{
    {0x0A, U'\f'},
    {0x14, U'^'},
    {0x28, U'{'},
    {0x29, U'}'},
    {0x2F, U'\\'},
    {0x3C, U'['},
    {0x3D, U'~'},
    {0x3E, U']'},
    {0x40, U'|'},
    {0x65, U'€'},
}};
constexpr uint8_t kEscape = 0x1B;

bool IsContinuation(uint8_t b) { return (b & 0xC0) == 0x80; }

// Length and initial bits of a UTF-8 sequence from its lead byte; 0 if invalid.
int SequenceLength(uint8_t lead, char32_t* bits) {
  if (lead < 0x80) {
    *bits = lead;
    return 1;
  }
  if ((lead & 0xE0) == 0xC0) {
    *bits = lead & 0x1F;
    return 2;
  }
  if ((lead & 0xF0) == 0xE0) {
    *bits = lead & 0x0F;
    return 3;
  }
  if ((lead & 0xF8) == 0xF0) {
    *bits = lead & 0x07;
    return 4;
  }
  return 0;
}

bool IsShortestForm(char32_t c, int len) {
  constexpr char32_t kMin[] = {0, 0, 0x80, 0x800, 0x10000};
  return c >= kMin[len];
}

}  // namespace

Result<std::u32string> DecodeUtf8(std::string_view text) {
  std::u32string out;
  for (size_t i = 0; i < text.size();) {
    char32_t c = 0;
    const int len = SequenceLength(static_cast<uint8_t>(text[i]), &c);
    if (len == 0 || i + len > text.size()) {
      return InvalidArgument("text is not valid UTF-8 at byte " + std::to_string(i));
    }
    for (int k = 1; k < len; ++k) {
      const uint8_t b = static_cast<uint8_t>(text[i + k]);
      if (!IsContinuation(b))
        return InvalidArgument("bad UTF-8 continuation at byte " + std::to_string(i + k));
      c = (c << 6) | (b & 0x3F);
    }
    if (!IsShortestForm(c, len) || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF)) {
      return InvalidArgument("invalid UTF-8 code point at byte " + std::to_string(i));
    }
    out.push_back(c);
    i += len;
  }
  return out;
}

std::string EncodeUtf8(std::u32string_view text) {
  std::string out;
  for (char32_t c : text) {
    if (c < 0x80) {
      out += static_cast<char>(c);
    } else if (c < 0x800) {
      out += static_cast<char>(0xC0 | (c >> 6));
      out += static_cast<char>(0x80 | (c & 0x3F));
    } else if (c < 0x10000) {
      out += static_cast<char>(0xE0 | (c >> 12));
      out += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (c & 0x3F));
    } else {
      out += static_cast<char>(0xF0 | (c >> 18));
      out += static_cast<char>(0x80 | ((c >> 12) & 0x3F));
      out += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (c & 0x3F));
    }
  }
  return out;
}

std::optional<std::vector<uint8_t>> GsmSeptetsFor(char32_t c) {
  for (size_t i = 0; i < kBasic.size(); ++i) {
    if (kBasic[i] == c && i != kEscape) return std::vector<uint8_t>{static_cast<uint8_t>(i)};
  }
  for (const ExtEntry& e : kExtension) {
    if (e.ch == c) return std::vector<uint8_t>{kEscape, e.code};
  }
  return std::nullopt;
}

bool FitsGsm7(std::u32string_view text) {
  for (char32_t c : text) {
    if (!GsmSeptetsFor(c)) return false;
  }
  return true;
}

Result<std::u32string> GsmSeptetsToText(const std::vector<uint8_t>& septets) {
  std::u32string out;
  for (size_t i = 0; i < septets.size(); ++i) {
    const uint8_t s = septets[i];
    if (s > 0x7F) return InvalidArgument("septet out of range");
    if (s != kEscape) {
      out.push_back(kBasic[s]);
      continue;
    }
    if (++i == septets.size()) return InvalidArgument("escape septet at end of text");
    char32_t c = kBasic[septets[i] & 0x7F];
    for (const ExtEntry& e : kExtension) {
      if (e.code == septets[i]) c = e.ch;
    }
    out.push_back(c);
  }
  return out;
}

std::vector<uint8_t> PackSeptets(const std::vector<uint8_t>& septets, int fill_bits) {
  std::vector<uint8_t> out((fill_bits + septets.size() * 7 + 7) / 8, 0);
  size_t bit = fill_bits;
  for (uint8_t s : septets) {
    for (int k = 0; k < 7; ++k, ++bit) {
      if (s & (1 << k)) out[bit / 8] |= static_cast<uint8_t>(1 << (bit % 8));
    }
  }
  return out;
}

Result<std::vector<uint8_t>> UnpackSeptets(const uint8_t* data, size_t size, size_t count,
                                           int fill_bits) {
  if ((fill_bits + count * 7 + 7) / 8 > size) {
    return InvalidArgument("user data shorter than its septet count");
  }
  std::vector<uint8_t> out(count, 0);
  size_t bit = fill_bits;
  for (size_t i = 0; i < count; ++i) {
    for (int k = 0; k < 7; ++k, ++bit) {
      if (data[bit / 8] & (1 << (bit % 8))) out[i] |= static_cast<uint8_t>(1 << k);
    }
  }
  return out;
}

std::u16string ToUtf16(std::u32string_view text) {
  std::u16string out;
  for (char32_t c : text) {
    if (c < 0x10000) {
      out.push_back(static_cast<char16_t>(c));
    } else {
      const char32_t v = c - 0x10000;
      out.push_back(static_cast<char16_t>(0xD800 + (v >> 10)));
      out.push_back(static_cast<char16_t>(0xDC00 + (v & 0x3FF)));
    }
  }
  return out;
}

Result<std::u32string> FromUtf16(std::u16string_view units) {
  std::u32string out;
  for (size_t i = 0; i < units.size(); ++i) {
    const char16_t u = units[i];
    if (u >= 0xDC00 && u <= 0xDFFF) return InvalidArgument("lone low surrogate");
    if (u < 0xD800 || u > 0xDBFF) {
      out.push_back(u);
      continue;
    }
    if (i + 1 == units.size() || units[i + 1] < 0xDC00 || units[i + 1] > 0xDFFF) {
      return InvalidArgument("high surrogate without its low half");
    }
    out.push_back(0x10000 + ((char32_t(u) - 0xD800) << 10) + (units[i + 1] - 0xDC00));
    ++i;
  }
  return out;
}

}  // namespace lifeline::sms
