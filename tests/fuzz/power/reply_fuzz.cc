// Fuzzes the parsers of what upsd sends back: a LIST VAR reply, one VAR line, and the
// ups.status word. None may crash or throw, and a state they accept must be self-consistent.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "daemon/power/power.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  auto vars = lifeline::ParseVarList(in, "ups");
  if (vars.ok()) {
    auto state = lifeline::PowerStateFromVars(*vars);
    if (state.ok() && (!state->known || state->mains_ok == state->on_battery)) __builtin_trap();
    if (state.ok()) (void)lifeline::DescribePowerState(*state);
  }
  (void)lifeline::ParseVarLine(in).ok();
  auto status = lifeline::ParseUpsStatus(in);
  if (status.ok() && status->mains_ok == status->on_battery) __builtin_trap();
  return 0;
}
