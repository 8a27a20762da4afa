// POSIX ustar archives (IEEE Std 1003.1, "pax" interchange format, ustar
// headers only): regular files, written deterministically and read strictly.
// Pure functions over bytes; the reader refuses anything it would not write
// (bad checksum, unknown type, non-zero padding, data after the end), so a
// changed byte anywhere is an error with its offset. Thread-compatible.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "daemon/core/status.h"

namespace lifeline::evidence {

struct TarMember {
  std::string name;  // relative path, '/'-separated, at most 255 bytes
  std::string data;
};

// Whether `name` can be stored in a ustar header (100-byte name, or a
// 155-byte prefix and a 100-byte name split at a '/').
bool FitsUstar(std::string_view name);

// Every member as a regular file, mode 0644, owner 0/0 "lifeline", mtime
// `mtime_seconds`; then the two zero blocks that end an archive. Names must
// satisfy FitsUstar (checked by the caller).
std::string WriteUstar(const std::vector<TarMember>& members, int64_t mtime_seconds);

// The members in archive order. Fails (Corruption) on a truncated archive, a
// header whose checksum, magic, type or octal fields are wrong, non-zero
// padding, a missing end, or anything but zero padding after the end.
Result<std::vector<TarMember>> ReadUstar(std::string_view archive);

}  // namespace lifeline::evidence
