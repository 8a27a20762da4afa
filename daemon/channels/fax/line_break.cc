// Greedy line filling with break opportunities decided pair by pair (UAX #14
// simplified to what the form needs: CJK, Latin words, spaces, kinsoku rules).
#include "daemon/channels/fax/line_break.h"

namespace lifeline::fax {
namespace {

bool IsSpace(char32_t c) { return c == U' ' || c == U'\t' || c == 0x3000; }
bool IsBox(char32_t c) { return c >= kBoxUnchecked && c <= kRadioOn; }

// May a line break fall between text[i-1] and text[i]?
bool CanBreakBefore(const std::u32string& t, size_t i) {
  if (i == 0 || i >= t.size()) return false;
  const char32_t a = t[i - 1], b = t[i];
  if (IsClosingPunct(b) || IsOpeningPunct(a)) return false;
  if (IsBox(a)) return false;
  if (IsSpace(b) || IsSpace(a)) return true;
  return IsCjk(a) || IsCjk(b) || IsBox(b);
}

size_t SkipSpaces(const std::u32string& t, size_t i) {
  while (i < t.size() && IsSpace(t[i])) ++i;
  return i;
}

size_t TrimEnd(const std::u32string& t, size_t begin, size_t end) {
  while (end > begin && IsSpace(t[end - 1])) --end;
  return end;
}

// A forced break inside an over-long run must still not strand closing
// punctuation at the start of the next line.
size_t AdjustForcedBreak(const std::u32string& t, size_t begin, size_t at) {
  while (at > begin + 1 && at < t.size() && IsClosingPunct(t[at])) --at;
  return at;
}

}  // namespace

bool IsClosingPunct(char32_t c) {
  static const std::u32string kClosing =
      U"，。、）」』】〕〉》！？：；,.)]}!?:;%．｝］’”・ー…";
  return kClosing.find(c) != std::u32string::npos;
}

bool IsOpeningPunct(char32_t c) {
  static const std::u32string kOpening = U"（「『【〔〈《([{‘“";
  return kOpening.find(c) != std::u32string::npos;
}

bool IsCjk(char32_t c) {
  return (c >= 0x2E80 && c <= 0x9FFF) || (c >= 0xF900 && c <= 0xFAFF) ||
         (c >= 0xFF00 && c <= 0xFFEF) || (c >= 0x20000 && c <= 0x3FFFF) ||
         (c >= 0x3000 && c <= 0x303F);
}

std::vector<LineSpan> BreakLines(const std::u32string& text,
                                 const std::function<int(char32_t)>& width, int max_width) {
  std::vector<LineSpan> lines;
  size_t begin = SkipSpaces(text, 0);
  while (begin < text.size()) {
    int used = 0;
    size_t last_break = 0;  // 0: no opportunity yet on this line
    size_t i = begin;
    for (; i < text.size() && text[i] != U'\n'; ++i) {
      if (i > begin && CanBreakBefore(text, i)) last_break = i;
      used += width(text[i]);
      if (used > max_width && i > begin && !IsSpace(text[i])) break;
    }
    size_t end = i;
    if (i < text.size() && text[i] != U'\n') {
      end = last_break > begin ? last_break : AdjustForcedBreak(text, begin, i);
    }
    lines.push_back({begin, TrimEnd(text, begin, end)});
    if (end < text.size() && text[end] == U'\n') ++end;
    begin = SkipSpaces(text, end);
    if (end == text.size() && begin == end) break;
  }
  return lines;
}

std::u32string DecodeUtf8(std::string_view s) {
  std::u32string out;
  for (size_t i = 0; i < s.size();) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    int len = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
    char32_t cp = len == 1 ? c : len == 2 ? (c & 0x1F) : len == 3 ? (c & 0x0F) : (c & 0x07);
    bool ok = len > 0 && i + len <= s.size();
    for (int k = 1; ok && k < len; ++k) {
      const unsigned char cc = static_cast<unsigned char>(s[i + k]);
      ok = (cc & 0xC0) == 0x80;
      cp = (cp << 6) | (cc & 0x3F);
    }
    out.push_back(ok ? cp : 0xFFFD);
    i += ok ? len : 1;
  }
  return out;
}

}  // namespace lifeline::fax
