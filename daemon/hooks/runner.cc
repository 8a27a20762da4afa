// HookRunner: one child per event, started with posix_spawn (no copy of the
// daemon's memory), the event written to its stdin and its output read
// through pipes on the loop, its exit seen through a pidfd. At the timeout
// its process group gets SIGTERM, and SIGKILL two seconds later.
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <asio/posix/stream_descriptor.hpp>
#include <asio/read.hpp>
#include <asio/write.hpp>

#include <array>
#include <cstring>

#include "daemon/core/log.h"
#include "daemon/hooks/hooks.h"

namespace lifeline {
namespace {

constexpr size_t kKeptOutput = 1024;  // of the program's output, for the journal
constexpr auto kKillGrace = std::chrono::seconds(2);

int PidfdOpen(pid_t pid) { return static_cast<int>(syscall(SYS_pidfd_open, pid, 0)); }

struct Pipe {
  int read = -1, write = -1;
  ~Pipe() {
    if (read >= 0) close(read);
    if (write >= 0) close(write);
  }
};

// The program's argv is [program, event]; its environment is small and fixed,
// so nothing of the daemon's own environment (NOTIFY_SOCKET, ...) leaks to it.
Result<pid_t> Spawn(const std::string& program, const std::string& event, Pipe& in, Pipe& out) {
  if (pipe2(&in.read, O_CLOEXEC) != 0 || pipe2(&out.read, O_CLOEXEC) != 0) {
    return IoError(std::string("pipe: ") + std::strerror(errno));
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, in.read, 0);
  posix_spawn_file_actions_adddup2(&actions, out.write, 1);
  posix_spawn_file_actions_adddup2(&actions, out.write, 2);
  posix_spawn_file_actions_addclosefrom_np(&actions, 3);
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  sigset_t all, none;
  sigfillset(&all);
  sigemptyset(&none);
  posix_spawnattr_setsigdefault(&attr, &all);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setpgroup(&attr, 0);  // its own group: a timeout kills what it started too
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETPGROUP);
  std::string env_event = "LIFELINE_EVENT=" + event;
  const char* argv[] = {program.c_str(), event.c_str(), nullptr};
  const char* envp[] = {"PATH=/usr/local/bin:/usr/bin:/bin", "LANG=C.UTF-8", env_event.c_str(), nullptr};
  pid_t pid = -1;
  int rc = posix_spawn(&pid, program.c_str(), &actions, &attr, const_cast<char* const*>(argv),
                       const_cast<char* const*>(envp));
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  if (rc != 0) return IoError("cannot start " + program + ": " + std::strerror(rc));
  close(in.read);
  in.read = -1;
  close(out.write);
  out.write = -1;
  return pid;
}

}  // namespace

std::string JournalSafeOutput(std::string_view bytes) {
  const std::string quoted = nlohmann::json(std::string(bytes)).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  return nlohmann::json::parse(quoted).get<std::string>();
}

struct HookRunner::Child {
  Child(asio::io_context& io, int in_fd, int out_fd)
      : stdin_pipe(io, in_fd), output(io), exit_watch(io), timer(io), poll(io) {
    output.assign(out_fd);
  }
  pid_t pid = -1;
  asio::posix::stream_descriptor stdin_pipe, output, exit_watch;
  asio::steady_timer timer, poll;  // poll: only where the kernel has no pidfd
  std::string input, kept;
  std::array<char, 512> buf{};
  std::chrono::steady_clock::time_point started = std::chrono::steady_clock::now();
  bool timed_out = false, finished = false;
  std::function<void(const HookOutcome&)> done;
};

// Keeps the first kKeptOutput bytes and reads the rest to the end, so a
// chatty program never blocks on a full pipe.
void HookRunner::ReadOutput(const std::shared_ptr<Child>& child) {
  child->output.async_read_some(asio::buffer(child->buf), [child](std::error_code ec, size_t n) {
    if (ec) return;
    if (child->kept.size() < kKeptOutput) {
      child->kept.append(child->buf.data(), std::min(n, kKeptOutput - child->kept.size()));
    }
    ReadOutput(child);
  });
}

HookRunner::HookRunner(asio::io_context& io, HookOptions options) : io_(io), options_(std::move(options)) {}

HookRunner::~HookRunner() {
  for (const auto& c : children_) {
    if (c->pid > 0 && !c->finished) {
      kill(-c->pid, SIGKILL);
      waitpid(c->pid, nullptr, 0);
    }
  }
}

void HookRunner::Run(const HookEvent& event, std::function<void(const HookOutcome&)> done) {
  if (running_ >= options_.max_running) {
    if (waiting_.size() >= options_.max_waiting) {
      return done({"not_started", -1, 0, "too many hook runs waiting (" + std::to_string(waiting_.size()) + ")", {}});
    }
    waiting_.emplace_back(event, std::move(done));
    return;
  }
  Launch(event, std::move(done));
}

void HookRunner::StartNext() {
  while (running_ < options_.max_running && !waiting_.empty()) {
    auto next = std::move(waiting_.front());
    waiting_.pop_front();
    Launch(next.first, std::move(next.second));
  }
}

// The exit is seen through a pidfd (readable once the child has exited);
// without one, a 100 ms poll of waitpid.
void HookRunner::WatchExit(const std::shared_ptr<Child>& child, std::function<void()> finish) {
  int pidfd = PidfdOpen(child->pid);
  if (pidfd >= 0) {
    child->exit_watch.assign(pidfd);
    child->exit_watch.async_wait(asio::posix::stream_descriptor::wait_read, [finish](std::error_code) { finish(); });
    return;
  }
  child->poll.expires_after(std::chrono::milliseconds(100));
  child->poll.async_wait([this, child, finish](std::error_code ec) {
    if (ec || child->finished) return;
    finish();
    if (!child->finished) WatchExit(child, finish);
  });
}

void HookRunner::Launch(const HookEvent& event, std::function<void(const HookOutcome&)> done) {
  Pipe in, out;
  auto pid = Spawn(options_.program, event.name, in, out);
  if (!pid.ok()) return done({"not_started", -1, 0, pid.status().message(), {}});
  auto child = std::make_shared<Child>(io_, std::exchange(in.write, -1), std::exchange(out.read, -1));
  child->pid = *pid;
  child->done = std::move(done);
  child->input = event.event.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
  children_.insert(child);
  ++running_;

  auto finish = [this, child] {
    if (child->finished) return;
    int status = 0;
    if (waitpid(child->pid, &status, WNOHANG) != child->pid) return;  // not yet
    child->finished = true;
    child->timer.cancel();
    child->poll.cancel();
    std::error_code ignored;
    // What the program wrote just before it exited may still be in the pipe.
    child->output.non_blocking(true, ignored);
    while (child->kept.size() < kKeptOutput) {
      size_t n = child->output.read_some(asio::buffer(child->buf), ignored);
      if (ignored || n == 0) break;
      child->kept.append(child->buf.data(), std::min(n, kKeptOutput - child->kept.size()));
    }
    child->output.close(ignored);
    child->stdin_pipe.close(ignored);
    child->exit_watch.close(ignored);
    HookOutcome o;
    o.elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - child->started);
    o.detail = JournalSafeOutput(child->kept);
    if (WIFEXITED(status)) o.exit_status = WEXITSTATUS(status);
    if (WIFSIGNALED(status)) o.signal = WTERMSIG(status);
    o.outcome = child->timed_out ? "timeout" : o.exit_status == 0 ? "ok" : "failed";
    --running_;
    children_.erase(child);
    child->done(o);
    StartNext();
  };

  asio::async_write(child->stdin_pipe, asio::buffer(child->input), [child](std::error_code, size_t) {
    std::error_code ignored;
    child->stdin_pipe.close(ignored);  // EOF for the program; a program that ignores stdin gets EPIPE, not us
  });
  ReadOutput(child);
  WatchExit(child, finish);
  child->timer.expires_after(options_.timeout);
  child->timer.async_wait([child](std::error_code ec) {
    if (ec || child->finished) return;
    child->timed_out = true;
    kill(-child->pid, SIGTERM);
    child->timer.expires_after(kKillGrace);
    child->timer.async_wait([child](std::error_code ec2) {
      if (ec2 || child->finished) return;
      kill(-child->pid, SIGKILL);
    });
  });
}

}  // namespace lifeline
