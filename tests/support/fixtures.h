// Test helper: a state directory made from a committed fixture
// (tests/fixtures/store/<name>): the files copied, the journal key given mode
// 0600 as lifeline requires (git keeps no modes but the executable bit).
#pragma once

#include <filesystem>
#include <string>

namespace lifeline::testing_support {

inline void CopyStateFixture(const std::string& name, const std::filesystem::path& dest) {
  namespace fs = std::filesystem;
  const fs::path from = fs::path(LIFELINE_SOURCE_DIR) / "tests/fixtures/store" / name;
  fs::create_directories(dest);
  for (const auto& entry : fs::directory_iterator(from)) {
    fs::copy_file(entry.path(), dest / entry.path().filename(), fs::copy_options::overwrite_existing);
  }
  fs::permissions(dest / "journal.key", fs::perms::owner_read | fs::perms::owner_write);
}

}  // namespace lifeline::testing_support
