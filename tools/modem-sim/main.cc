// modem-sim: a simulated cellular modem on a pseudo-terminal, for tests and
// drills. Prints one JSON line {"pty":...,"link":...,"control":...} when ready
// (and again after each re-plug); takes fault commands on a Unix socket; logs
// every AT+CMGS it receives as a JSON line. See README.md.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <termios.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include "tools/modem-sim/sim_modem.h"

namespace lifeline::modemsim {
namespace {

volatile sig_atomic_t g_stop = 0;
void OnSignal(int) { g_stop = 1; }

struct Options {
  std::string link;
  std::string control;
  std::string log;
  bool die_with_parent = false;  // tests: a crashed test must not leave a modem behind
  SimConfig config;
};

constexpr size_t kMaxPendingOutput = 64 * 1024;

int Usage() {
  std::cerr
      << "usage: modem-sim [--link PATH] [--control SOCKET] [--log FILE] [--pin PIN]\n"
         "                 [--lte-only] [--report delivered|failed|none] [--report-delay-ms N]\n"
         "                 [--no-report-memory] [--die-with-parent]\n";
  return 2;
}

bool ParseArgs(int argc, char** argv, Options* o) {
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    const bool has_value = i + 1 < argc;
    if (a == "--lte-only") {
      o->config.lte_only = true;
    } else if (a == "--no-report-memory") {
      o->config.report_memory = false;
    } else if (a == "--die-with-parent") {
      o->die_with_parent = true;
    } else if (!has_value) {
      return false;
    } else if (a == "--link") {
      o->link = argv[++i];
    } else if (a == "--control") {
      o->control = argv[++i];
    } else if (a == "--log") {
      o->log = argv[++i];
    } else if (a == "--pin") {
      o->config.pin = argv[++i];
    } else if (a == "--report") {
      const std::string v = argv[++i];
      o->config.report_status = v == "delivered" ? 0 : v == "failed" ? 0x41 : -1;
      if (v != "delivered" && v != "failed" && v != "none") return false;
    } else if (a == "--report-delay-ms") {
      o->config.report_delay = milliseconds(std::atoi(argv[++i]));
    } else {
      return false;
    }
  }
  return true;
}

// The pty pair. We keep the slave open ourselves so the master never sees a
// hang-up when a client closes, exactly as a modem's port stays when idle.
class Pty {
 public:
  bool Open(const std::string& link) {
    master_ = posix_openpt(O_RDWR | O_NOCTTY);
    if (master_ < 0 || grantpt(master_) != 0 || unlockpt(master_) != 0) return false;
    path_ = ptsname(master_);
    slave_ = open(path_.c_str(), O_RDWR | O_NOCTTY);
    if (slave_ < 0) return false;
    termios t{};
    tcgetattr(slave_, &t);
    cfmakeraw(&t);
    tcsetattr(slave_, TCSANOW, &t);
    fcntl(master_, F_SETFL, fcntl(master_, F_GETFL) | O_NONBLOCK);
    if (!link.empty()) {
      unlink(link.c_str());
      if (symlink(path_.c_str(), link.c_str()) != 0) return false;
    }
    return true;
  }
  void Close(const std::string& link) {
    if (master_ >= 0) close(master_);
    if (slave_ >= 0) close(slave_);
    master_ = slave_ = -1;
    if (!link.empty()) unlink(link.c_str());
  }
  int master() const { return master_; }
  const std::string& path() const { return path_; }

 private:
  int master_ = -1;
  int slave_ = -1;
  std::string path_;
};

int ListenUnix(const std::string& path) {
  const int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (fd < 0 || path.size() >= sizeof(addr.sun_path)) return -1;
  std::strncpy(addr.sun_path, path.c_str(), sizeof(addr.sun_path) - 1);
  unlink(path.c_str());
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 || listen(fd, 4) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

class Host {
 public:
  Host(Options options) : o_(std::move(options)), modem_(o_.config) {}
  int Run();

 private:
  bool Plug();
  void Announce();
  void ServeControl(size_t index, SimTime now);
  void PumpModem(SimTime now);
  void WriteLog(const std::vector<SubmitRecord>& records);
  int TimeoutMs(SimTime now) const;

  Options o_;
  SimModem modem_;
  Pty pty_;
  bool plugged_ = false;
  std::optional<SimTime> replug_at_;
  int listen_fd_ = -1;
  std::vector<int> clients_;
  std::vector<std::string> client_bufs_;
  std::string pending_;
  std::ofstream log_;
};

bool Host::Plug() {
  if (!pty_.Open(o_.link)) {
    std::perror("modem-sim: cannot create pty");
    return false;
  }
  plugged_ = true;
  Announce();
  return true;
}

void Host::Announce() {
  std::printf("{\"pty\":\"%s\",\"link\":\"%s\",\"control\":\"%s\"}\n", pty_.path().c_str(),
              o_.link.c_str(), o_.control.c_str());
  std::fflush(stdout);
}

void Host::WriteLog(const std::vector<SubmitRecord>& records) {
  for (const SubmitRecord& r : records) {
    if (!log_.is_open()) continue;
    log_ << "{\"seq\":" << r.seq << ",\"result\":\"" << r.result << "\",\"mr\":" << r.mr
         << ",\"pdu\":\"" << r.pdu_hex << "\"}\n";
    log_.flush();
  }
}

void Host::PumpModem(SimTime now) {
  modem_.Tick(now);
  pending_ += modem_.TakeOutput();
  if (pending_.size() > kMaxPendingOutput) pending_.erase(0, pending_.size() - kMaxPendingOutput);
  WriteLog(modem_.TakeSubmits());
  if (plugged_ && !pending_.empty()) {
    const ssize_t n = write(pty_.master(), pending_.data(), pending_.size());
    if (n > 0) pending_.erase(0, size_t(n));
  }
  if (auto unplug = modem_.TakeUnplugRequest()) {
    pty_.Close(o_.link);
    plugged_ = false;
    pending_.clear();
    if (unplug->count() > 0) replug_at_ = now + *unplug;
  }
  if (replug_at_ && now >= *replug_at_) {
    replug_at_.reset();
    modem_.PowerOn(now);
    if (!Plug()) g_stop = 1;
  }
}

void Host::ServeControl(size_t i, SimTime now) {
  char buf[512];
  const ssize_t n = read(clients_[i], buf, sizeof(buf));
  if (n <= 0) {
    close(clients_[i]);
    clients_[i] = -1;
    return;
  }
  client_bufs_[i].append(buf, size_t(n));
  for (size_t nl; (nl = client_bufs_[i].find('\n')) != std::string::npos;) {
    const std::string cmd = client_bufs_[i].substr(0, nl);
    client_bufs_[i].erase(0, nl + 1);
    const std::string reply = modem_.Control(cmd, now) + "\n";
    std::fprintf(stderr, "modem-sim: control \"%s\" -> %s", cmd.c_str(), reply.c_str());
    if (write(clients_[i], reply.data(), reply.size()) < 0) break;
  }
}

int Host::TimeoutMs(SimTime now) const {
  std::optional<SimTime> next = modem_.NextDeadline();
  if (replug_at_ && (!next || *replug_at_ < *next)) next = replug_at_;
  if (!pending_.empty()) return 10;
  if (!next) return 1000;
  const auto ms = std::chrono::ceil<milliseconds>(*next - now).count();
  return int(std::clamp<int64_t>(ms, 0, 1000));
}

int Host::Run() {
  if (!o_.log.empty()) log_.open(o_.log, std::ios::app);
  if (!o_.control.empty() && (listen_fd_ = ListenUnix(o_.control)) < 0) {
    std::perror("modem-sim: cannot listen on control socket");
    return 1;
  }
  if (!Plug()) return 1;
  while (!g_stop) {
    std::vector<pollfd> fds = {{plugged_ ? pty_.master() : -1, POLLIN, 0}, {listen_fd_, POLLIN, 0}};
    for (int c : clients_) fds.push_back({c, POLLIN, 0});
    if (poll(fds.data(), fds.size(), TimeoutMs(SimClock::now())) < 0 && errno != EINTR) break;
    const SimTime now = SimClock::now();
    if (fds[0].revents & POLLIN) {
      char buf[1024];
      const ssize_t n = read(pty_.master(), buf, sizeof(buf));
      if (n > 0) modem_.Feed(std::string_view(buf, size_t(n)), now);
    }
    if (fds[1].revents & POLLIN) {
      clients_.push_back(accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC));
      client_bufs_.emplace_back();
    }
    for (size_t i = 0; i + 2 < fds.size(); ++i) {
      if (fds[i + 2].revents & (POLLIN | POLLHUP)) ServeControl(i, now);
    }
    PumpModem(now);
  }
  pty_.Close(o_.link);
  if (!o_.control.empty()) unlink(o_.control.c_str());
  return 0;
}

}  // namespace
}  // namespace lifeline::modemsim

int main(int argc, char** argv) {
  lifeline::modemsim::Options options;
  if (!lifeline::modemsim::ParseArgs(argc, argv, &options)) return lifeline::modemsim::Usage();
  if (options.die_with_parent) {
    const pid_t parent = getppid();
    prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (getppid() != parent) return 0;  // the parent is already gone
  }
  signal(SIGPIPE, SIG_IGN);
  signal(SIGTERM, lifeline::modemsim::OnSignal);
  signal(SIGINT, lifeline::modemsim::OnSignal);
  lifeline::modemsim::Host host(std::move(options));
  return host.Run();
}
