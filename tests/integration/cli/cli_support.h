// What the CLI tests share: the binaries under test, the source tree, and a
// command run through the shell with its stderr folded into its output.
#pragma once

#include <string>

#include "tests/support/command.h"

namespace lifeline::cli_testing {

using lifeline::testing_support::CommandResult;

inline const std::string kCli = LIFELINE_BINARY_DIR "/tools/lifeline/lifeline";
inline const std::string kDaemon = LIFELINE_BINARY_DIR "/daemon/lifelined";
inline const std::string kSrc = LIFELINE_SOURCE_DIR;

inline CommandResult Exec(const std::string& cmd) { return lifeline::testing_support::RunCommand(cmd + " 2>&1"); }

}  // namespace lifeline::cli_testing
