// modem-sim's command interpreter over arbitrary DTE bytes and control lines:
// a test client (or gammu) sending junk must never crash the simulator.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "tools/modem-sim/sim_modem.h"

using namespace lifeline::modemsim;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  SimModem modem(SimConfig{});
  SimTime now{};
  // A first line starting with '!' is a control command, the rest goes to the modem.
  if (!in.empty() && in.front() == '!') {
    const size_t nl = in.find('\n');
    (void)modem.Control(in.substr(1, nl == std::string_view::npos ? in.npos : nl - 1), now);
    in.remove_prefix(nl == std::string_view::npos ? in.size() : nl + 1);
  }
  modem.Feed(in, now);
  for (int i = 0; i < 4; ++i) {
    now += milliseconds(500);
    modem.Tick(now);
  }
  (void)modem.TakeOutput();
  (void)modem.TakeSubmits();
  return 0;
}
