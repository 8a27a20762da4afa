// Child processes: a large input and a large output at once do not deadlock,
// stdout and stderr stay apart, the exit status and an ending signal are
// reported, a child past its timeout is killed, output beyond the limit is
// read and dropped, and a child that never reads its input does not take the
// caller down with a SIGPIPE.
#include "daemon/core/child_process.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <stdlib.h>

#include <algorithm>

namespace lifeline {
namespace {

ChildSpec Shell(const std::string& script) {
  ChildSpec spec;
  spec.argv = {"/bin/sh", "-c", script};
  spec.env = {"PATH=/usr/bin:/bin"};
  return spec;
}

TEST(ChildProcess, LargeInputAndOutputAtOnceRoundTrip) {
  std::string input(8u << 20, '\0');
  for (size_t i = 0; i < input.size(); ++i) input[i] = static_cast<char>(i * 131 + i / 4096);
  ChildSpec spec;
  spec.argv = {"/bin/cat"};
  auto run = RunChild(spec, input, std::chrono::seconds(60), input.size());
  ASSERT_TRUE(run.ok()) << run.status().ToString();
  EXPECT_TRUE(run->exited_ok());
  EXPECT_EQ(run->out.size(), input.size());
  EXPECT_TRUE(run->out == input);
  EXPECT_TRUE(run->err.empty());
}

TEST(ChildProcess, StdoutAndStderrStayApartAndTheExitStatusIsKept) {
  auto run = RunChild(Shell("echo out; echo err >&2; exit 7"), "", std::chrono::seconds(60), 1024);
  ASSERT_TRUE(run.ok());
  EXPECT_EQ(run->out, "out\n");
  EXPECT_EQ(run->err, "err\n");
  EXPECT_EQ(run->exit_status, 7);
  EXPECT_FALSE(run->exited_ok());
}

TEST(ChildProcess, StderrCanShareStdout) {
  ChildSpec spec = Shell("echo out; echo err >&2");
  spec.stderr_to_stdout = true;
  auto run = RunChild(spec, "", std::chrono::seconds(60), 1024);
  ASSERT_TRUE(run.ok());
  EXPECT_EQ(run->out, "out\nerr\n");
  EXPECT_TRUE(run->err.empty());
}

TEST(ChildProcess, AnEndingSignalIsReported) {
  auto run = RunChild(Shell("kill -SEGV $$"), "", std::chrono::seconds(60), 1024);
  ASSERT_TRUE(run.ok());
  EXPECT_EQ(run->signal, SIGSEGV);
  EXPECT_EQ(run->exit_status, -1);
}

TEST(ChildProcess, OneThatOutlivesItsTimeoutIsKilledWithWhatItStarted) {
  ChildSpec spec = Shell("sleep 600 & sleep 600");
  spec.own_process_group = true;
  auto run = RunChild(spec, "", std::chrono::milliseconds(300), 1024);
  ASSERT_TRUE(run.ok());
  EXPECT_TRUE(run->timed_out);
  EXPECT_EQ(run->signal, SIGKILL);
}

TEST(ChildProcess, OutputBeyondTheLimitIsReadAndDropped) {
  auto run = RunChild(Shell("head -c 3000000 /dev/zero"), "", std::chrono::seconds(60), 1000);
  ASSERT_TRUE(run.ok());
  EXPECT_TRUE(run->exited_ok());  // it was never blocked on a full pipe
  EXPECT_EQ(run->out, std::string(1000, '\0'));
}

TEST(ChildProcess, AChildThatIgnoresItsInputDoesNotRaiseSigpipeHere) {
  // The default action of SIGPIPE would end this test program.
  struct sigaction dfl {}, old {};
  dfl.sa_handler = SIG_DFL;
  sigaction(SIGPIPE, &dfl, &old);
  auto run = RunChild(Shell("exit 0"), std::string(4u << 20, 'x'), std::chrono::seconds(60), 1024);
  sigaction(SIGPIPE, &old, nullptr);
  ASSERT_TRUE(run.ok());
  EXPECT_TRUE(run->exited_ok());
  sigset_t pending;
  sigpending(&pending);
  EXPECT_FALSE(sigismember(&pending, SIGPIPE));
}

TEST(ChildProcess, AProgramThatCannotStartIsAnError) {
  ChildSpec spec;
  spec.argv = {"/nonexistent/lifeline-helper"};
  auto run = RunChild(spec, "", std::chrono::seconds(5), 1024);
  EXPECT_FALSE(run.ok());
  EXPECT_NE(run.status().message().find("/nonexistent/lifeline-helper"), std::string::npos);
  EXPECT_FALSE(RunChild(ChildSpec{}, "", std::chrono::seconds(5), 1024).ok());
}

TEST(ChildProcess, TheInheritedEnvironmentLeavesOutWhatIsTheCallers) {
  setenv("NOTIFY_SOCKET", "/run/systemd/notify", 1);
  setenv("WATCHDOG_USEC", "20000000", 1);
  setenv("LIFELINE_CHILD_TEST", "kept", 1);
  const auto env = InheritedEnvironment();
  unsetenv("NOTIFY_SOCKET");
  unsetenv("WATCHDOG_USEC");
  unsetenv("LIFELINE_CHILD_TEST");
  auto has_prefix = [&](const std::string& p) {
    return std::any_of(env.begin(), env.end(), [&](const std::string& e) { return e.rfind(p, 0) == 0; });
  };
  EXPECT_TRUE(has_prefix("LIFELINE_CHILD_TEST=kept"));
  EXPECT_FALSE(has_prefix("NOTIFY_SOCKET="));
  EXPECT_FALSE(has_prefix("WATCHDOG_USEC="));
}

}  // namespace
}  // namespace lifeline
