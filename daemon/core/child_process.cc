// StartChild and RunChild (child_process.h).
#include "daemon/core/child_process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>

extern char** environ;

namespace lifeline {
namespace {

struct Pipe {
  int read = -1, write = -1;
  Pipe() = default;
  Pipe(const Pipe&) = delete;
  Pipe& operator=(const Pipe&) = delete;
  ~Pipe() {
    if (read >= 0) close(read);
    if (write >= 0) close(write);
  }
  bool Open() { return pipe2(&read, O_CLOEXEC) == 0; }
};

void CloseFd(int& fd) {
  if (fd >= 0) close(fd);
  fd = -1;
}

std::vector<char*> Pointers(const std::vector<std::string>& strings) {
  std::vector<char*> out;
  out.reserve(strings.size() + 1);
  for (const std::string& s : strings) out.push_back(const_cast<char*>(s.c_str()));
  out.push_back(nullptr);
  return out;
}

bool Reaped(pid_t pid, int* status, int flags) {
  for (;;) {
    const pid_t r = waitpid(pid, status, flags);
    if (r == pid) return true;
    if (r < 0 && errno == EINTR) continue;
    return false;
  }
}

}  // namespace

Result<StartedChild> StartChild(const ChildSpec& spec) {
  if (spec.argv.empty() || spec.argv[0].empty()) return InvalidArgument("no program to start");
  Pipe in, out, err;
  if (!in.Open() || !out.Open() || (!spec.stderr_to_stdout && !err.Open())) {
    return IoError(std::string("pipe: ") + std::strerror(errno));
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, in.read, 0);
  posix_spawn_file_actions_adddup2(&actions, out.write, 1);
  posix_spawn_file_actions_adddup2(&actions, spec.stderr_to_stdout ? out.write : err.write, 2);
  posix_spawn_file_actions_addclosefrom_np(&actions, 3);
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  sigset_t all, none;
  sigfillset(&all);
  sigemptyset(&none);
  posix_spawnattr_setsigdefault(&attr, &all);
  posix_spawnattr_setsigmask(&attr, &none);
  short flags = POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK;
  if (spec.own_process_group) {
    posix_spawnattr_setpgroup(&attr, 0);
    flags |= POSIX_SPAWN_SETPGROUP;
  }
  posix_spawnattr_setflags(&attr, flags);
  std::vector<char*> argv = Pointers(spec.argv), envp = Pointers(spec.env);
  pid_t pid = -1;
  const int rc = posix_spawn(&pid, spec.argv[0].c_str(), &actions, &attr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  if (rc != 0) return IoError("cannot start " + spec.argv[0] + ": " + std::strerror(rc));
  StartedChild child;
  child.pid = pid;
  child.stdin_fd = std::exchange(in.write, -1);
  child.stdout_fd = std::exchange(out.read, -1);
  child.stderr_fd = std::exchange(err.read, -1);
  return child;
}

Result<ChildRun> RunChild(const ChildSpec& spec, std::string_view input, std::chrono::milliseconds timeout,
                          size_t max_output) {
  auto started = StartChild(spec);
  if (!started.ok()) return started.status();
  StartedChild c = *started;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  ChildRun run;

  // A child that exits without reading its input makes the write fail with
  // EPIPE: the SIGPIPE that comes with it is held for this thread and taken
  // back below, so it neither ends a caller that did not ignore it nor
  // reaches another thread.
  sigset_t pipe_signal, old_mask;
  sigemptyset(&pipe_signal);
  sigaddset(&pipe_signal, SIGPIPE);
  pthread_sigmask(SIG_BLOCK, &pipe_signal, &old_mask);
  bool broke_pipe = false;
  if (input.empty()) CloseFd(c.stdin_fd);
  if (c.stdin_fd >= 0) fcntl(c.stdin_fd, F_SETFL, O_NONBLOCK);

  std::array<char, 65536> buf;
  auto drain = [&](int& fd, std::string& into) {
    const ssize_t n = read(fd, buf.data(), buf.size());
    if (n > 0) {
      into.append(buf.data(), std::min(static_cast<size_t>(n), max_output - std::min(max_output, into.size())));
    } else if (n == 0 || (errno != EINTR && errno != EAGAIN)) {
      CloseFd(fd);
    }
  };
  while (c.stdout_fd >= 0 || c.stderr_fd >= 0) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      run.timed_out = true;
      break;
    }
    std::array<pollfd, 3> fds{};
    nfds_t n = 0;
    int* owner[3];
    for (int* fd : {&c.stdin_fd, &c.stdout_fd, &c.stderr_fd}) {
      if (*fd < 0) continue;
      fds[n] = {*fd, static_cast<short>(fd == &c.stdin_fd ? POLLOUT : POLLIN), 0};
      owner[n++] = fd;
    }
    const int ready = poll(fds.data(), n, static_cast<int>(std::min<int64_t>(left.count(), 60'000)));
    if (ready < 0 && errno != EINTR) break;
    for (nfds_t i = 0; ready > 0 && i < n; ++i) {
      if (fds[i].revents == 0) continue;
      if (owner[i] == &c.stdin_fd) {
        const ssize_t w = write(c.stdin_fd, input.data(), input.size());
        if (w > 0) input.remove_prefix(static_cast<size_t>(w));
        if (w < 0 && errno == EPIPE) broke_pipe = true;
        if ((w < 0 && errno != EINTR && errno != EAGAIN) || input.empty()) CloseFd(c.stdin_fd);
      } else {
        drain(*owner[i], owner[i] == &c.stdout_fd ? run.out : run.err);
      }
    }
  }
  CloseFd(c.stdin_fd);
  CloseFd(c.stdout_fd);
  CloseFd(c.stderr_fd);
  if (broke_pipe) {
    const timespec now{};
    sigtimedwait(&pipe_signal, nullptr, &now);
  }
  pthread_sigmask(SIG_SETMASK, &old_mask, nullptr);

  // Its output is closed; it should be gone a moment later. One that lingers
  // past the deadline is killed.
  int status = 0;
  bool reaped = false;
  while (!run.timed_out && !(reaped = Reaped(c.pid, &status, WNOHANG))) {
    if (std::chrono::steady_clock::now() >= deadline) {
      run.timed_out = true;
      break;
    }
    usleep(2000);
  }
  if (!reaped) {
    kill(spec.own_process_group ? -c.pid : c.pid, SIGKILL);
    if (!Reaped(c.pid, &status, 0)) return Internal("cannot reap " + spec.argv[0] + ": " + std::strerror(errno));
  }
  if (WIFEXITED(status)) run.exit_status = WEXITSTATUS(status);
  if (WIFSIGNALED(status)) run.signal = WTERMSIG(status);
  return run;
}

std::vector<std::string> InheritedEnvironment() {
  static constexpr std::string_view kCallersOwn[] = {"NOTIFY_SOCKET=", "LISTEN_FDS=", "LISTEN_PID=",
                                                     "LISTEN_FDNAMES=", "WATCHDOG_USEC=", "WATCHDOG_PID="};
  std::vector<std::string> env;
  for (char** e = environ; e && *e; ++e) {
    const std::string_view entry(*e);
    bool own = false;
    for (std::string_view prefix : kCallersOwn) own = own || entry.substr(0, prefix.size()) == prefix;
    if (!own) env.emplace_back(entry);
  }
  return env;
}

}  // namespace lifeline
