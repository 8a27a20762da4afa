// The drill plan: which units are drilled and on which scenario, drawn at random
// from a seed, reproducibly (DrawStream), and sealed. At least the rule set's
// fraction of the roster's drawable units is drawn (drill_units_fraction, "1/3":
// rounded up); each drawn unit gets a scenario, the library shuffled and dealt
// out so no scenario repeats until every one has been used. Pure functions.
//
// Sealing: commitment = SHA-256(nonce || canonical plan bytes), the nonce 32
// random bytes. The commitment is journaled before the drill; the plan and nonce
// are revealed after it, and CheckSeal/CheckDraw let an auditor confirm that
// the reveal is what was sealed and that it is the draw of its seed.
// Formats: proto/drills.md.
#pragma once

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

#include "daemon/core/status.h"
#include "daemon/drill/roster.h"
#include "daemon/drill/scenario.h"
#include "daemon/rules/rules.h"

namespace lifeline::drill {

inline constexpr const char* kPlanFormat = "lifeline.drill-plan/1";
inline constexpr const char* kSealedPlanFormat = "lifeline.drill-plan-sealed/1";
inline constexpr const char* kSealFormat = "lifeline.drill-seal/1";

// "1/3" as the rule set writes it.
struct Fraction {
  int numerator = 1, denominator = 3;
  std::string text = "1/3";
  std::string source;  // the figure's legal source
};
Result<Fraction> UnitsFractionFrom(const RuleSet& rules);  // figure drill_units_fraction
// ceil(n * fraction).
int UnitsToDraw(int n, const Fraction& f);

struct PlanOptions {
  std::string seed;      // any text; the same seed gives the same plan
  std::string drawn_at;  // RFC 3339, recorded in the plan
  Fraction fraction;
  int min_units = 0;     // draw more than the fraction asks (0 = just the fraction)
};

// Canonical JSON (keys sorted, no whitespace): the plan as drawn.
//   {format, seed, drawn_at, units_fraction:{value, source},
//    roster:{name, source, recorded, sha256, units_drawable},
//    library:[{id, sha256, level, category}] (by id),
//    units_drawn, assignments:[{unit_id, unit, responsibility_level,
//    scenario, scenario_name, level, category}] (roster order)}
Result<nlohmann::json> DrawPlan(const Roster& roster, const std::vector<Scenario>& scenarios,
                                const PlanOptions& options);

// The bytes the commitment covers: RFC 8785 (JCS) for this JSON subset
// (integers, strings, ASCII keys): sorted keys, no whitespace, UTF-8 as is.
std::string CanonicalBytes(const nlohmann::json& plan);
// Hex SHA-256 of nonce || CanonicalBytes(plan); `nonce_hex` is 64 hex digits.
Result<std::string> Commitment(const nlohmann::json& plan, const std::string& nonce_hex);

// {format: sealed, commitment, nonce, plan}: the sealed file kept by the
// inspection group (督察組), with a fresh nonce from the kernel.
Result<nlohmann::json> SealPlan(const nlohmann::json& plan);
// What is journaled before the drill; it reveals nothing of the assignments:
// {format: seal, commitment, sealed_at, units_drawn, roster_sha256, library:[sha256...]}.
nlohmann::json SealOf(const nlohmann::json& sealed);

// The sealed file's plan and nonce hash to its commitment, and to
// `expected_commitment` (the one journaled) when that is not empty.
Status CheckSeal(const nlohmann::json& sealed, const std::string& expected_commitment);
// The revealed plan is exactly the draw of its seed over this roster and library
// (same files, by SHA-256, same fraction and drawn_at).
Status CheckDraw(const nlohmann::json& plan, const Roster& roster, const std::vector<Scenario>& scenarios);

}  // namespace lifeline::drill
