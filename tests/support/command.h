// Test helper: runs a shell command and returns its exit status and standard
// output (append " 2>&1" to capture standard error too). Header-only so any
// test binary can use it without linking the support library.
#pragma once

#include <sys/wait.h>

#include <cstdio>
#include <string>

namespace lifeline::testing_support {

struct CommandResult {
  int exit_code = -1;  // -1: could not run, or killed by a signal
  std::string output;
};

inline CommandResult RunCommand(const std::string& command) {
  CommandResult r;
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) return r;
  char buf[4096];
  for (size_t n; (n = fread(buf, 1, sizeof buf, pipe)) > 0;) r.output.append(buf, n);
  const int status = pclose(pipe);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

}  // namespace lifeline::testing_support
