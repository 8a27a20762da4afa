#include "tests/unit/sms/gammu_check.h"

#include <unistd.h>

#include <cstdio>
#include <fstream>

namespace lifeline::sms::testing {

Result<std::vector<nlohmann::json>> GammuDecode(const std::vector<std::string>& pdus_hex) {
  char path[] = "/tmp/lifeline-sms-pdus-XXXXXX";
  const int fd = mkstemp(path);
  if (fd < 0) return IoError("mkstemp failed");
  close(fd);
  {
    std::ofstream out(path);
    for (const std::string& p : pdus_hex) out << p << "\n";
  }
  const std::string cmd = std::string("/usr/bin/python3 ") + LIFELINE_SOURCE_DIR +
                          "/tests/unit/sms/gammu_decode.py < " + path;
  FILE* pipe = popen(cmd.c_str(), "r");
  if (pipe == nullptr) return IoError("cannot run " + cmd);
  std::vector<nlohmann::json> out;
  std::string line;
  for (int c; (c = fgetc(pipe)) != EOF;) {
    if (c != '\n') {
      line += static_cast<char>(c);
      continue;
    }
    out.push_back(nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false));
    line.clear();
  }
  const int rc = pclose(pipe);
  unlink(path);
  if (rc != 0) return IoError("gammu_decode.py exited with " + std::to_string(rc));
  if (out.size() != pdus_hex.size()) return IoError("gammu_decode.py answered for too few PDUs");
  return out;
}

}  // namespace lifeline::sms::testing
