// HookRunner: one child per event, started with posix_spawn (no copy of the
// daemon's memory), the event written to its stdin and its output read
// through pipes on the loop, its exit seen through a pidfd. At the timeout
// its process group gets SIGTERM, and SIGKILL two seconds later.
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <asio/posix/stream_descriptor.hpp>
#include <asio/read.hpp>
#include <asio/write.hpp>

#include <array>
#include <cstring>

#include "daemon/core/child_process.h"
#include "daemon/core/log.h"
#include "daemon/hooks/hooks.h"

namespace lifeline {
namespace {

constexpr size_t kKeptOutput = 1024;  // of the program's output, for the journal
constexpr auto kKillGrace = std::chrono::seconds(2);

int PidfdOpen(pid_t pid) { return static_cast<int>(syscall(SYS_pidfd_open, pid, 0)); }

// The program's argv is [program, event]; its environment is small and fixed,
// so nothing of the daemon's own environment (NOTIFY_SOCKET, ...) leaks to it.
// Its stderr shares the pipe of its stdout; its own process group lets a
// timeout kill what it started too.
Result<StartedChild> Spawn(const std::string& program, const std::string& event) {
  ChildSpec spec;
  spec.argv = {program, event};
  spec.env = {"PATH=/usr/local/bin:/usr/bin:/bin", "LANG=C.UTF-8", "LIFELINE_EVENT=" + event};
  spec.own_process_group = true;
  spec.stderr_to_stdout = true;
  return StartChild(spec);
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
  auto started = Spawn(options_.program, event.name);
  if (!started.ok()) return done({"not_started", -1, 0, started.status().message(), {}});
  auto child = std::make_shared<Child>(io_, started->stdin_fd, started->stdout_fd);
  child->pid = started->pid;
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
