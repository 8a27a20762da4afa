// Bytes from outside (a fax machine's identity, a modem's reply, a server's
// error text, a UPS's status) as text lifeline can store, journal and show:
// never trusted to be UTF-8. SafeText keeps valid UTF-8, replaces each
// invalid sequence with U+FFFD and writes control bytes as \xNN; HexBytes
// keeps the raw bytes where they are evidence. DumpJson never throws: a
// string that is not UTF-8 is written with U+FFFD. Pure functions.
#pragma once

#include <nlohmann/json.hpp>

#include <cstddef>
#include <string>
#include <string_view>

namespace lifeline {

bool IsValidUtf8(std::string_view bytes);
// At most `max_bytes` of the result (cut at a character boundary, "…" added).
std::string SafeText(std::string_view bytes, size_t max_bytes = 2048);
// "2b38 3836" style: lower-case hex, two digits a byte, no separators.
std::string HexBytes(std::string_view bytes);
// {"text": SafeText, "hex": HexBytes} when the bytes needed changing, else the text alone.
nlohmann::json TextEvidence(std::string_view bytes);
// nlohmann's dump, compact, with invalid UTF-8 replaced instead of thrown.
std::string DumpJson(const nlohmann::json& j, int indent = -1);

}  // namespace lifeline
