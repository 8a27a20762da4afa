// Line breaking for mixed Chinese/Latin text on the fax form: a pure function
// over code points. Breaks between CJK characters, keeps Latin words whole
// (splitting only a word wider than the line), never starts a line with closing
// punctuation (，。、）」 …) nor ends one with opening punctuation (（「 …), and
// keeps a drawn checkbox with the label after it. Thread-compatible, no state.
#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace lifeline::fax {

// Private-use code points that the renderer draws as shapes.
inline constexpr char32_t kBoxUnchecked = 0xE000;  // ☐
inline constexpr char32_t kBoxChecked = 0xE001;    // ☑
inline constexpr char32_t kRadioOff = 0xE002;      // ○
inline constexpr char32_t kRadioOn = 0xE003;       // ◉

struct LineSpan {
  size_t begin = 0;  // index of the first code point on the line
  size_t end = 0;    // one past the last; trailing spaces excluded
};

// Splits `text` into lines no wider than `max_width` (as measured by `width` of
// each code point). '\n' forces a break. A single code point wider than the
// line still gets a line of its own, so the result always covers the text.
std::vector<LineSpan> BreakLines(const std::u32string& text,
                                 const std::function<int(char32_t)>& width, int max_width);

// UTF-8 to code points; invalid bytes become U+FFFD (never throws).
std::u32string DecodeUtf8(std::string_view utf8);

bool IsClosingPunct(char32_t c);
bool IsOpeningPunct(char32_t c);
bool IsCjk(char32_t c);

}  // namespace lifeline::fax
