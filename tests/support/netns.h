// Test helper: two fresh network namespaces, "a" and "b" (names carry the pid),
// joined only by a veth pair (10.231.X.1/30 in a, .2/30 in b), lo up in both, no
// default route and no other interface: with the veth down there is no path
// between them at all, and nothing inside ever reaches the host's network.
// Programs run inside through `ip netns exec NAME` (Wrapper() gives the argv
// prefix the harnesses take). The destructor kills whatever still runs inside
// and deletes both namespaces, which removes the veth. Needs root (CAP_NET_ADMIN
// and CAP_SYS_ADMIN) and iproute2: check Available() and skip otherwise.
// Not thread-safe; one owner.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "tests/support/command.h"

namespace lifeline::testing_support {

class NetnsPair {
 public:
  enum class Side { kA, kB };

  // True when namespaces can be made and entered here; otherwise false with a
  // sentence saying why (not root, no CAP_NET_ADMIN, no iproute2, ...) in `*why`.
  // Probes once per process.
  static bool Available(std::string* why = nullptr);
  // Builds the pair; null with `*error` set on failure (anything half-made is removed).
  // Also deletes namespaces left by an earlier test process that died before cleaning up.
  static std::unique_ptr<NetnsPair> Create(std::string* error);

  ~NetnsPair();
  NetnsPair(const NetnsPair&) = delete;
  NetnsPair& operator=(const NetnsPair&) = delete;

  const std::string& name(Side s) const { return s == Side::kA ? name_a_ : name_b_; }
  const std::string& address(Side s) const { return s == Side::kA ? address_a_ : address_b_; }
  // {"ip", "netns", "exec", NAME}: prepend to an argv to run it inside (execs in place,
  // so the pid a harness forks is the program's own).
  std::vector<std::string> Wrapper(Side s) const;
  // Runs `shell_command` with sh inside the namespace; append " 2>&1" for stderr too.
  CommandResult Run(Side s, const std::string& shell_command) const;

  // Both ends of the veth down (every route between the namespaces goes) or up again.
  [[nodiscard]] bool LinkDown(std::string* error = nullptr);
  [[nodiscard]] bool LinkUp(std::string* error = nullptr);

 private:
  NetnsPair() = default;
  bool Build(std::string* error);
  bool SetLink(const char* state, std::string* error);

  std::string name_a_, name_b_, address_a_, address_b_;
};

}  // namespace lifeline::testing_support
