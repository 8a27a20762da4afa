// The roster (config/roster.toml): the reviewing bureau and the units it may
// draw for a drill, each with its responsibility level (資通安全責任等級) and the
// roster's source and date. Parsing is pure and names file, line and key.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "daemon/core/status.h"

namespace lifeline::drill {

struct RosterUnit {
  std::string id;     // [a-z0-9-], stable across roster revisions
  std::string name;   // as in the source, e.g. 高雄市鼓山戶政事務所
  std::string level;  // A-E
  bool bureau = false;  // the planning bureau itself: never drawn
};

struct Roster {
  std::string name, source, recorded;  // recorded: YYYY-MM-DD
  std::vector<RosterUnit> units;       // in file order
  std::string origin, sha256;          // the file and the hex SHA-256 of its bytes

  // The units a drill draws from (every unit but the bureau), in file order.
  std::vector<RosterUnit> Drawable() const;
};

Result<Roster> ParseRoster(std::string_view text, const std::string& origin);
Result<Roster> LoadRosterFile(const std::string& path);

}  // namespace lifeline::drill
