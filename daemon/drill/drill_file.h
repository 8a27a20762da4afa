// What the drill files (scenarios, the roster) share besides the TOML reader:
// reading a file's bytes whole, since a sealed plan commits to their SHA-256,
// and the form of the ids they give scenarios and units. Pure but for the read.
#pragma once

#include <string>
#include <string_view>

#include "daemon/core/status.h"

namespace lifeline::drill {

// A whole file's bytes; NotFound when it cannot be opened.
Result<std::string> ReadTextFile(const std::string& path);
// An id as the drill files write them: 1-64 of [a-z0-9-], not starting with '-'.
bool IsSlugId(std::string_view s);

}  // namespace lifeline::drill
