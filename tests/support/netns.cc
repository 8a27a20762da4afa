#include "tests/support/netns.h"

#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <fstream>
#include <sstream>

namespace lifeline::testing_support {
namespace {

constexpr const char* kPrefix = "lifeline-test-";
constexpr int kCapNetAdmin = 12;  // linux/capability.h

std::string ShellQuote(const std::string& s) {
  std::string q = "'";
  for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

// Runs `ip ARGS`; on failure says what ran and what ip printed.
bool Ip(const std::string& args, std::string* error) {
  CommandResult r = RunCommand("ip " + args + " 2>&1");
  if (r.exit_code == 0) return true;
  if (error) *error = "ip " + args + " failed: " + r.output;
  return false;
}

bool HasCapNetAdmin() {
  std::ifstream in("/proc/self/status");
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("CapEff:", 0) != 0) continue;
    unsigned long long caps = std::stoull(line.substr(7), nullptr, 16);
    return (caps >> kCapNetAdmin) & 1;
  }
  return false;
}

// Kills what still runs inside (so the namespace really goes), then deletes it.
void Destroy(const std::string& name) {
  std::istringstream pids(RunCommand("ip netns pids " + name + " 2>/dev/null").output);
  for (pid_t pid; pids >> pid;) kill(pid, SIGKILL);
  (void)Ip("netns del " + name, nullptr);
}

// Namespaces of test processes that died (SIGKILL, crash) before their destructor ran.
void DeleteStale() {
  std::istringstream list(RunCommand("ip netns list 2>/dev/null").output);
  for (std::string line; std::getline(list, line);) {
    std::string name = line.substr(0, line.find(' '));
    if (name.rfind(kPrefix, 0) != 0) continue;
    pid_t owner = static_cast<pid_t>(std::atol(name.c_str() + std::string(kPrefix).size()));
    if (owner > 0 && kill(owner, 0) != 0 && errno == ESRCH) Destroy(name);
  }
}

std::string Probe() {
  if (RunCommand("ip -V 2>&1").exit_code != 0) return "iproute2's ip command is not installed";
  if (geteuid() != 0 && !HasCapNetAdmin()) return "not root and without CAP_NET_ADMIN";
  std::string name = kPrefix + std::to_string(getpid()) + "-probe", error;
  if (!Ip("netns add " + name, &error)) return "cannot create a network namespace (" + error + ")";
  bool entered = Ip("netns exec " + name + " true", &error);
  Destroy(name);
  return entered ? "" : "cannot enter a network namespace (" + error + ")";
}

}  // namespace

bool NetnsPair::Available(std::string* why) {
  static const std::string kReason = Probe();
  if (why) *why = kReason;
  return kReason.empty();
}

std::unique_ptr<NetnsPair> NetnsPair::Create(std::string* error) {
  DeleteStale();
  std::unique_ptr<NetnsPair> pair(new NetnsPair);
  // On failure the destructor removes whatever Build made.
  if (!pair->Build(error)) return nullptr;
  return pair;
}

bool NetnsPair::Build(std::string* error) {
  static int serial = 0;
  const int n = serial++;
  const std::string base = kPrefix + std::to_string(getpid()) + "-" + std::to_string(n);
  name_a_ = base + "-a";
  name_b_ = base + "-b";
  // Any subnet would do inside fresh namespaces; 10.231/16 just reads as "test" in logs.
  const std::string net = "10.231." + std::to_string((getpid() + n) % 256) + ".";
  address_a_ = net + "1";
  address_b_ = net + "2";
  // The veth ends are created directly inside their namespaces, so their names
  // cannot clash with the host's interfaces or another test's.
  return Ip("netns add " + name_a_, error) && Ip("netns add " + name_b_, error) &&
         Ip("link add veth-a netns " + name_a_ + " type veth peer name veth-b netns " + name_b_, error) &&
         Ip("-n " + name_a_ + " addr add " + address_a_ + "/30 dev veth-a", error) &&
         Ip("-n " + name_b_ + " addr add " + address_b_ + "/30 dev veth-b", error) &&
         Ip("-n " + name_a_ + " link set lo up", error) && Ip("-n " + name_b_ + " link set lo up", error) &&
         SetLink("up", error);
}

NetnsPair::~NetnsPair() {
  // Names are set before anything is made, so a half-built pair is cleaned up too.
  if (!name_a_.empty()) Destroy(name_a_);
  if (!name_b_.empty()) Destroy(name_b_);
}

std::vector<std::string> NetnsPair::Wrapper(Side s) const { return {"ip", "netns", "exec", name(s)}; }

CommandResult NetnsPair::Run(Side s, const std::string& shell_command) const {
  return RunCommand("ip netns exec " + name(s) + " sh -c " + ShellQuote(shell_command));
}

bool NetnsPair::LinkDown(std::string* error) { return SetLink("down", error); }

bool NetnsPair::LinkUp(std::string* error) { return SetLink("up", error); }

bool NetnsPair::SetLink(const char* state, std::string* error) {
  return Ip("-n " + name_a_ + " link set veth-a " + state, error) &&
         Ip("-n " + name_b_ + " link set veth-b " + state, error);
}

}  // namespace lifeline::testing_support
