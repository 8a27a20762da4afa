// Random (version 4) UUIDs for report ids, from the kernel's CSPRNG.
#pragma once

#include <string>
#include <string_view>

#include "daemon/core/status.h"

namespace lifeline {

Result<std::string> NewUuidV4();
// True for the canonical lower- or upper-case 8-4-4-4-12 hex form.
bool IsUuid(std::string_view s);

}  // namespace lifeline
