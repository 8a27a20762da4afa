// Text codecs for SMS user data: UTF-8 <-> code points, the GSM 03.38 default
// alphabet with its extension table, septet packing, and UTF-16 (UCS-2 on the
// air). Pure functions over bytes; no state, safe from any thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "daemon/core/status.h"

namespace lifeline::sms {

// Strict UTF-8 decoding: overlongs, surrogates and bytes past U+10FFFF are errors.
Result<std::u32string> DecodeUtf8(std::string_view text);
std::string EncodeUtf8(std::u32string_view text);

// The septets for one character in the default alphabet: one for the basic
// table, two (ESC + code) for the extension table, nothing if not representable.
std::optional<std::vector<uint8_t>> GsmSeptetsFor(char32_t c);
// True when every character of `text` is in the default alphabet or its extension.
bool FitsGsm7(std::u32string_view text);
// Septets back to text; an unknown extension code reads as its basic character,
// as 23.038 asks of receivers.
Result<std::u32string> GsmSeptetsToText(const std::vector<uint8_t>& septets);

// Packs septets LSB-first after `fill_bits` zero bits (0..6) that align the
// first septet after a user-data header on a septet boundary.
std::vector<uint8_t> PackSeptets(const std::vector<uint8_t>& septets, int fill_bits);
// Inverse of PackSeptets: `count` septets read after `fill_bits`.
Result<std::vector<uint8_t>> UnpackSeptets(const uint8_t* data, size_t size, size_t count,
                                           int fill_bits);

// UTF-16 code units (surrogate pairs for characters beyond the BMP).
std::u16string ToUtf16(std::u32string_view text);
Result<std::u32string> FromUtf16(std::u16string_view units);

}  // namespace lifeline::sms
