// Runs dummy-ups and upsd as children with NUT_CONFPATH/NUT_STATEPATH pointing at a temp
// dir (Debian's /usr/sbin/upsd wrapper insists on /etc/nut/nut.conf, so the binaries under
// /lib/nut are run directly). Children die with the test process (PR_SET_PDEATHSIG).
#include "tests/integration/power/nut_processes.h"

#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <asio.hpp>
#include <fstream>
#include <sstream>
#include <thread>

namespace lifeline::testing {
namespace {

constexpr const char* kNutDir = "/lib/nut";

uint16_t FreeLoopbackPort() {
  asio::io_context io;
  asio::ip::tcp::acceptor a(io, asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  return a.local_endpoint().port();
}

bool Accepts(uint16_t port) {
  asio::io_context io;
  asio::ip::tcp::socket s(io);
  asio::error_code ec;
  s.connect(asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), port), ec);
  return !ec;
}

Status WriteFile(const std::filesystem::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::trunc);
  out << text;
  out.close();
  if (!out) return IoError("cannot write " + path.string());
  return Status::Ok();
}

std::string ReadFile(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace

NutProcesses::NutProcesses() {
  std::string tmpl = (std::filesystem::temp_directory_path() / "lifeline-nut-XXXXXX").string();
  if (::mkdtemp(tmpl.data()) != nullptr) dir_ = tmpl;
}

NutProcesses::~NutProcesses() {
  Kill(upsd_);
  Kill(driver_);
  std::error_code ec;
  if (!dir_.empty()) std::filesystem::remove_all(dir_, ec);
}

void NutProcesses::Kill(pid_t& pid) {
  if (pid <= 0) return;
  ::kill(pid, SIGTERM);
  for (int i = 0; i < 100; ++i) {  // bounded: 5 s, then no more asking
    if (::waitpid(pid, nullptr, WNOHANG) == pid) {
      pid = -1;
      return;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ::kill(pid, SIGKILL);
  ::waitpid(pid, nullptr, 0);
  pid = -1;
}

Status NutProcesses::WriteConfig() {
  if (dir_.empty()) return IoError("cannot create a temp dir for NUT");
  port_ = FreeLoopbackPort();
  // pollinterval 1: the driver looks at the .dev file every second instead of every two.
  LIFELINE_RETURN_IF_ERROR(WriteFile(dir_ / "ups.conf", std::string("[") + kUps +
                                         "]\n  driver = dummy-ups\n  port = " +
                                         (dir_ / "ups.dev").string() +
                                         "\n  pollinterval = 1\n  desc = \"lifeline test\"\n"));
  LIFELINE_RETURN_IF_ERROR(WriteFile(dir_ / "upsd.conf", "LISTEN 127.0.0.1 " + std::to_string(port_) + "\n"));
  LIFELINE_RETURN_IF_ERROR(WriteFile(dir_ / "upsd.users", ""));
  std::filesystem::permissions(dir_ / "upsd.users", std::filesystem::perms::owner_read |
                                                        std::filesystem::perms::owner_write);
  return Status::Ok();
}

Status NutProcesses::SetDevice(const NutDevice& device) {
  // The driver passes values to upsd in file order: runtime before status, so a client
  // that sees the new status sees the new runtime with it.
  std::filesystem::path tmp = dir_ / "ups.dev.tmp";
  LIFELINE_RETURN_IF_ERROR(WriteFile(tmp, "battery.runtime: " + std::to_string(device.runtime) +
                                              "\nbattery.charge: " + std::to_string(device.charge) +
                                              "\nups.status: " + device.status + "\n"));
  // dummy-once rereads on an mtime change; two writes inside one second must still differ.
  std::error_code ec;
  auto when = std::filesystem::file_time_type::clock::now() + std::chrono::seconds(10 * ++device_writes_);
  std::filesystem::last_write_time(tmp, when, ec);
  if (ec) return IoError("cannot set the .dev file's mtime: " + ec.message());
  std::filesystem::rename(tmp, dir_ / "ups.dev", ec);
  if (ec) return IoError("cannot replace the .dev file: " + ec.message());
  return Status::Ok();
}

Result<pid_t> NutProcesses::Spawn(const std::string& program, const std::vector<std::string>& args,
                                  const std::string& log_name) {
  std::string path = std::string(kNutDir) + "/" + program;
  if (::access(path.c_str(), X_OK) != 0) {
    return FailedPrecondition(path + " is missing: install Debian's nut-server");
  }
  std::vector<std::string> words = {path};
  words.insert(words.end(), args.begin(), args.end());
  if (::geteuid() == 0) words.insert(words.end(), {"-u", "root"});  // else it drops to user nut
  std::vector<char*> argv;
  for (auto& w : words) argv.push_back(w.data());
  argv.push_back(nullptr);
  std::string conf = "NUT_CONFPATH=" + dir_.string(), state = "NUT_STATEPATH=" + dir_.string();
  char* envp[] = {conf.data(), state.data(), nullptr};
  std::string log = (dir_ / log_name).string();
  int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return IoError("cannot open " + log);
  pid_t pid = ::fork();
  if (pid == 0) {
    ::prctl(PR_SET_PDEATHSIG, SIGTERM);
    ::dup2(fd, 1);
    ::dup2(fd, 2);
    ::execve(argv[0], argv.data(), envp);
    ::_exit(127);
  }
  ::close(fd);
  if (pid < 0) return IoError("fork failed");
  return pid;
}

Status NutProcesses::WaitFor(const std::string& what, pid_t pid, bool (*ready)(const NutProcesses&)) {
  for (int i = 0; i < 200; ++i) {  // bounded: 10 s
    if (ready(*this)) return Status::Ok();
    if (::waitpid(pid, nullptr, WNOHANG) == pid) {
      return Unavailable(what + " exited before it was ready:\n" + Logs());
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return Unavailable(what + " was not ready within 10 s:\n" + Logs());
}

Status NutProcesses::Start(const NutDevice& initial) {
  LIFELINE_RETURN_IF_ERROR(WriteConfig());
  LIFELINE_RETURN_IF_ERROR(SetDevice(initial));
  Result<pid_t> driver = Spawn("dummy-ups", {"-a", kUps, "-F"}, "dummy-ups.log");
  if (!driver.ok()) return driver.status();
  driver_ = *driver;
  // The driver's socket in the state dir is what upsd connects to.
  LIFELINE_RETURN_IF_ERROR(WaitFor("dummy-ups", driver_, [](const NutProcesses& n) {
    return std::filesystem::exists(n.dir_ / (std::string("dummy-ups-") + kUps));
  }));
  return StartUpsd();
}

Status NutProcesses::StartUpsd() {
  Result<pid_t> upsd = Spawn("upsd", {"-F"}, "upsd.log");
  if (!upsd.ok()) return upsd.status();
  upsd_ = *upsd;
  return WaitFor("upsd", upsd_, [](const NutProcesses& n) { return Accepts(n.port_); });
}

void NutProcesses::StopUpsd() { Kill(upsd_); }
void NutProcesses::StopDriver() { Kill(driver_); }

std::string NutProcesses::Logs() const {
  return "--- dummy-ups ---\n" + ReadFile(dir_ / "dummy-ups.log") + "--- upsd ---\n" +
         ReadFile(dir_ / "upsd.log");
}

}  // namespace lifeline::testing
