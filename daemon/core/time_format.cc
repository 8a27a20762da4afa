#include "daemon/core/time_format.h"

#include <cstdio>

namespace lifeline {
namespace {

using std::chrono::days;
using std::chrono::hours;
using std::chrono::microseconds;
using std::chrono::minutes;
using std::chrono::seconds;

bool ReadDigits(std::string_view s, size_t pos, size_t count, int* out) {
  if (pos + count > s.size()) return false;
  int v = 0;
  for (size_t i = pos; i < pos + count; ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    v = v * 10 + (s[i] - '0');
  }
  *out = v;
  return true;
}

Status Bad(std::string_view text, std::string_view why) {
  std::string m = "'";
  m.append(text.substr(0, 64));
  m += "' is not an RFC 3339 time with offset: ";
  m += why;
  return InvalidArgument(std::move(m));
}

}  // namespace

Result<OffsetTime> ParseRfc3339(std::string_view s) {
  int y, mo, d, h, mi, sec = 0;
  if (!ReadDigits(s, 0, 4, &y) || s.size() < 16 || s[4] != '-' || !ReadDigits(s, 5, 2, &mo) ||
      s[7] != '-' || !ReadDigits(s, 8, 2, &d) || s[10] != 'T' || !ReadDigits(s, 11, 2, &h) ||
      s[13] != ':' || !ReadDigits(s, 14, 2, &mi)) {
    return Bad(s, "expected YYYY-MM-DDTHH:MM");
  }
  size_t pos = 16;
  long micros = 0;
  if (pos < s.size() && s[pos] == ':') {
    if (!ReadDigits(s, pos + 1, 2, &sec)) return Bad(s, "bad seconds");
    pos += 3;
    if (pos < s.size() && s[pos] == '.') {
      size_t start = ++pos;
      long scale = 100000;
      while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
        micros += (s[pos] - '0') * scale;
        scale /= 10;
        ++pos;
      }
      if (pos == start) return Bad(s, "empty fraction of a second");
    }
  }
  int offset = 0;
  if (pos >= s.size()) return Bad(s, "missing UTC offset (add +08:00 for Taiwan, or Z)");
  if (s[pos] == 'Z') {
    ++pos;
  } else if (s[pos] == '+' || s[pos] == '-') {
    int oh, om;
    if (!ReadDigits(s, pos + 1, 2, &oh) || pos + 3 >= s.size() || s[pos + 3] != ':' ||
        !ReadDigits(s, pos + 4, 2, &om)) {
      return Bad(s, "offset must be ±HH:MM");
    }
    if (oh > 23 || om > 59) return Bad(s, "offset out of range");
    offset = (oh * 60 + om) * (s[pos] == '-' ? -1 : 1);
    pos += 6;
  } else {
    return Bad(s, "missing UTC offset (add +08:00 for Taiwan, or Z)");
  }
  if (pos != s.size()) return Bad(s, "unexpected text after the offset");
  if (mo < 1 || mo > 12) return Bad(s, "month out of range");
  if (h > 23 || mi > 59 || sec > 59) return Bad(s, "time of day out of range");
  std::chrono::year_month_day ymd{std::chrono::year{y}, std::chrono::month{unsigned(mo)},
                                  std::chrono::day{unsigned(d)}};
  if (!ymd.ok()) return Bad(s, "no such day in that month");
  WallTime local = std::chrono::sys_days{ymd} + hours{h} + minutes{mi} + seconds{sec} +
                   microseconds{micros};
  return OffsetTime{local - minutes{offset}, offset};
}

static std::string FormatOffset(int offset_minutes) {
  if (offset_minutes == 0) return "Z";
  char buf[24];
  int a = offset_minutes < 0 ? -offset_minutes : offset_minutes;
  std::snprintf(buf, sizeof buf, "%c%02d:%02d", offset_minutes < 0 ? '-' : '+', a / 60, a % 60);
  return buf;
}

namespace {
struct Civil {
  int y;
  unsigned mo, d;
  long h, mi, s, us;
};
Civil ToCivil(WallTime t) {
  auto day = std::chrono::floor<days>(t);
  std::chrono::year_month_day ymd{day};
  auto rest = t - day;
  Civil c{int(ymd.year()), unsigned(ymd.month()), unsigned(ymd.day()), 0, 0, 0, 0};
  c.us = rest.count() % 1000000;
  long secs = long(rest.count() / 1000000);
  c.h = secs / 3600;
  c.mi = secs / 60 % 60;
  c.s = secs % 60;
  return c;
}
}  // namespace

std::string FormatRfc3339(const OffsetTime& t) {
  Civil c = ToCivil(t.instant + minutes{t.offset_minutes});
  char buf[40];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02uT%02ld:%02ld:%02ld", c.y, c.mo, c.d, c.h, c.mi, c.s);
  return std::string(buf) + FormatOffset(t.offset_minutes);
}

std::string FormatUtcMicros(WallTime t) {
  Civil c = ToCivil(t);
  char buf[48];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02uT%02ld:%02ld:%02ld.%06ldZ", c.y, c.mo, c.d, c.h,
                c.mi, c.s, c.us);
  return buf;
}

std::string FormatHuman(const OffsetTime& t) {
  Civil c = ToCivil(t.instant + minutes{t.offset_minutes});
  char buf[40];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02u %02ld:%02ld", c.y, c.mo, c.d, c.h, c.mi);
  std::string off = FormatOffset(t.offset_minutes);
  return std::string(buf) + " (" + (off == "Z" ? "UTC" : off) + ")";
}

OffsetTime AddCalendarMonths(const OffsetTime& t, int months) {
  WallTime local = t.instant + minutes{t.offset_minutes};
  auto day = std::chrono::floor<days>(local);
  auto time_of_day = local - day;
  std::chrono::year_month_day ymd{day};
  std::chrono::year_month_day target = ymd + std::chrono::months{months};
  if (!target.ok()) {
    target = std::chrono::year_month_day_last{target.year(),
                                              std::chrono::month_day_last{target.month()}};
  }
  WallTime shifted = std::chrono::sys_days{target} + time_of_day;
  return OffsetTime{shifted - minutes{t.offset_minutes}, t.offset_minutes};
}

std::string FormatRfc3339(WallTime instant, int offset_minutes) {
  return FormatRfc3339(WithOffset(instant, offset_minutes));
}

OffsetTime WithOffset(WallTime instant, int offset_minutes) {
  return OffsetTime{instant, offset_minutes};
}

}  // namespace lifeline
