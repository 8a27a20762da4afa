// Child processes, started with posix_spawn: no copy of the caller's memory
// is made, so a threaded daemon may start one from any thread. The child gets
// every signal at its default and none blocked, its stdin and stdout (and
// stderr, unless it shares stdout) as pipes the caller holds, and none of the
// caller's other descriptors. The caller's ends are close-on-exec, so another
// child started meanwhile never inherits them.
//
// StartChild only starts it: the caller watches the pipes and reaps it (the
// hooks do so on the loop). RunChild runs one to its end from a blocking
// thread: the input written and the output read at the same time (neither a
// large input nor a large output can deadlock the two), the child killed at
// its timeout, and reaped. Both are safe from any thread.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

#include "daemon/core/status.h"

namespace lifeline {

struct ChildSpec {
  std::vector<std::string> argv;   // argv[0]: the program's path (not searched on PATH)
  std::vector<std::string> env;    // its whole environment, "NAME=value"
  bool own_process_group = false;  // so that a kill of -pid reaches what it started
  bool stderr_to_stdout = false;   // else stderr is a pipe of its own
};

// The caller's ends of the pipes (-1 where there is none) and the pid.
struct StartedChild {
  pid_t pid = -1;
  int stdin_fd = -1, stdout_fd = -1, stderr_fd = -1;
};

Result<StartedChild> StartChild(const ChildSpec& spec);

struct ChildRun {
  int exit_status = -1;  // when it exited
  int signal = 0;        // when a signal ended it
  bool timed_out = false;
  std::string out, err;  // what it wrote, each cut at max_output bytes
  bool exited_ok() const { return exit_status == 0 && !timed_out; }
};

// Fails only when the child cannot be started or watched; how the child
// itself ended is in the ChildRun. A child that outlives `timeout` is killed
// (SIGKILL, its group when it has one) and reported as timed out.
Result<ChildRun> RunChild(const ChildSpec& spec, std::string_view input, std::chrono::milliseconds timeout,
                          size_t max_output);

// The caller's environment without what belongs to the caller alone
// (NOTIFY_SOCKET, LISTEN_FDS and its kin, WATCHDOG_*): a child must never
// speak to systemd in the daemon's name.
std::vector<std::string> InheritedEnvironment();

}  // namespace lifeline
