// RFC 3339 timestamps with a mandatory UTC offset, as reports carry them
// ("2026-11-21T09:58:00+08:00"). Parsing is a pure function over text; a time
// without an offset is an error, because a deadline computed from it would be
// off by the host's zone. Calendar arithmetic keeps the original offset.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "daemon/core/status.h"

namespace lifeline {

using WallTime = std::chrono::sys_time<std::chrono::microseconds>;

// An instant plus the offset it was written in, so that it prints back in the
// writer's local time (Taiwan: +08:00).
struct OffsetTime {
  WallTime instant;        // UTC
  int offset_minutes = 0;  // east of UTC

  friend bool operator==(const OffsetTime&, const OffsetTime&) = default;
};

// Parses "YYYY-MM-DDTHH:MM[:SS[.frac]](Z|±HH:MM)". Rejects impossible dates
// (Feb 30, Feb 29 outside leap years), hours >= 24 and offsets beyond ±23:59.
Result<OffsetTime> ParseRfc3339(std::string_view text);

// "2026-11-21T09:58:00+08:00" (seconds precision; fractions are dropped).
std::string FormatRfc3339(const OffsetTime& t);
// The instant as it reads in that offset, in the same form.
std::string FormatRfc3339(WallTime instant, int offset_minutes);
// UTC form with microseconds, for the journal: "2026-11-21T01:58:00.000000Z".
std::string FormatUtcMicros(WallTime t);
// Human form in the time's own offset: "2026-11-21 09:58 (+08:00)".
std::string FormatHuman(const OffsetTime& t);

// The same local wall time `months` calendar months later, clamped to the last
// day of the target month (Jan 31 + 1 month = Feb 28/29), same offset.
OffsetTime AddCalendarMonths(const OffsetTime& t, int months);

// Same instant, shown in another offset.
OffsetTime WithOffset(WallTime instant, int offset_minutes);

}  // namespace lifeline
