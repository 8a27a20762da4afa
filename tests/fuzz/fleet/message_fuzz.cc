// Fuzzes what the supervising agency takes from the wire: the input's first
// line is the topic, the rest the payload. A message the checks accept is
// then applied to a store in memory, and applied again, which must be a
// repeat, and followed (heard_through). Nothing may crash or throw; a refusal must leave the store as it was.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string_view>

#include "daemon/rules/rules.h"
#include "tools/fleet/fleet_store.h"
#include "tools/fleet/message_parser.h"

namespace {

lifeline::fleet::FleetStore& Store() {
  static std::unique_ptr<lifeline::fleet::FleetStore> store = []() -> std::unique_ptr<lifeline::fleet::FleetStore> {
    auto rules = lifeline::fleet::ReviewRulesFrom(*lifeline::DefaultRuleSet());
    auto opened = lifeline::fleet::FleetStore::Open(":memory:", *rules);
    if (!opened.ok()) __builtin_trap();
    return std::move(*opened);
  }();
  return *store;
}

int64_t Messages() { return *Store().db().QueryInt("SELECT count(*) FROM messages"); }
int64_t HeardThrough() { return *Store().db().QueryInt("SELECT COALESCE(SUM(heard_through), 0) FROM units"); }

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  const size_t newline = in.find('\n');
  const std::string_view topic = in.substr(0, newline);
  const std::string_view payload = newline == std::string_view::npos ? std::string_view() : in.substr(newline + 1);
  auto m = lifeline::fleet::ParseUnitMessage(topic, payload, {"kcg", 4096});
  if (!m.ok()) return 0;
  const lifeline::WallTime now{};
  const int64_t before = Messages();
  auto first = Store().Ingest(*m, now);
  if (!first.ok() && Messages() != before) __builtin_trap();  // a refused detail claimed its sequence
  if (!first.ok()) return 0;
  // Following the sequence never fails on a taken message, never moves back,
  // and asks for a replay only from past what it holds.
  const int64_t held = HeardThrough();
  auto lacking = Store().Follow(*m);
  if (!lacking.ok() || HeardThrough() < held || *lacking < 0) __builtin_trap();
  if (m->kind == "heartbeat") return 0;
  auto again = Store().Ingest(*m, now);
  if (!again.ok() || *again != lifeline::fleet::IngestOutcome::kRepeat) __builtin_trap();
  return 0;
}
