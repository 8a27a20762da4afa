// Test helper: the files of a fixture folder with valid/ and invalid/
// subfolders, and reading one, for the report module's tests.
#pragma once

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace lifeline::testing_support {

inline std::string ReadFixture(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// "valid/<name>" and "invalid/<name>", sorted.
inline std::vector<std::string> FixtureNames(const std::filesystem::path& root) {
  std::vector<std::string> names;
  for (const char* sub : {"valid", "invalid"}) {
    for (const auto& e : std::filesystem::directory_iterator(root / sub)) {
      names.push_back(std::string(sub) + "/" + e.path().filename().string());
    }
  }
  std::sort(names.begin(), names.end());
  return names;
}

}  // namespace lifeline::testing_support
