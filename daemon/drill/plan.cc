#include "daemon/drill/plan.h"

#include <sys/random.h>

#include <algorithm>
#include <charconv>
#include <cerrno>
#include <cstring>
#include <numeric>

#include "daemon/drill/random_draw.h"

namespace lifeline::drill {
namespace {

using nlohmann::json;

Result<Fraction> ParseFraction(const std::string& text) {
  const auto slash = text.find('/');
  int p = 0, q = 0;
  const char* end = text.data() + text.size();
  bool ok = slash != std::string::npos;
  if (ok) {
    auto a = std::from_chars(text.data(), text.data() + slash, p);
    auto b = std::from_chars(text.data() + slash + 1, end, q);
    ok = a.ec == std::errc() && a.ptr == text.data() + slash && b.ec == std::errc() && b.ptr == end;
  }
  if (!ok) return InvalidArgument("'" + text + "' is not a fraction like 1/3");
  if (p < 1 || q < 1 || p > q) return InvalidArgument("'" + text + "' must be a fraction from 1/n to 1");
  return Fraction{p, q, text, ""};
}

std::string Hex(const unsigned char* b, size_t n) {
  static const char* kHex = "0123456789abcdef";
  std::string out;
  for (size_t i = 0; i < n; ++i) {
    out.push_back(kHex[b[i] >> 4]);
    out.push_back(kHex[b[i] & 15]);
  }
  return out;
}

Result<std::string> Unhex(const std::string& hex) {
  std::string out;
  auto nibble = [](char c) { return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1; };
  if (hex.size() % 2 != 0) return InvalidArgument("odd number of hex digits");
  for (size_t i = 0; i < hex.size(); i += 2) {
    int hi = nibble(hex[i]), lo = nibble(hex[i + 1]);
    if (hi < 0 || lo < 0) return InvalidArgument("not lower-case hex");
    out.push_back(static_cast<char>(hi * 16 + lo));
  }
  return out;
}

// Indices 0..n-1 shuffled (Fisher-Yates from the top, as Knuth's algorithm P).
std::vector<size_t> Shuffled(size_t n, DrawStream& draw) {
  std::vector<size_t> v(n);
  std::iota(v.begin(), v.end(), 0);
  for (size_t i = n; i > 1; --i) std::swap(v[i - 1], v[draw.Uniform(static_cast<uint32_t>(i))]);
  return v;
}

json LibraryJson(const std::vector<const Scenario*>& lib) {
  json out = json::array();
  for (const auto* s : lib) {
    out.push_back({{"id", s->id}, {"sha256", s->sha256}, {"level", s->level}, {"category", s->category}});
  }
  return out;
}

json RosterJson(const Roster& r) {
  return {{"name", r.name}, {"source", r.source}, {"recorded", r.recorded}, {"sha256", r.sha256},
          {"units_drawable", r.Drawable().size()}};
}

// A member that must be a string, as read from a file anyone may have edited:
// "" when absent or of another type (json::value would throw for the latter).
std::string StringMember(const json& object, const char* key) {
  auto it = object.find(key);
  return it != object.end() && it->is_string() ? it->get<std::string>() : "";
}

}  // namespace

Result<Fraction> UnitsFractionFrom(const RuleSet& rules) {
  for (const auto& f : rules.figures) {
    if (f.key != "drill_units_fraction") continue;
    auto fr = ParseFraction(f.value);
    if (!fr.ok()) return InvalidArgument(rules.origin + ": figure drill_units_fraction: " + fr.status().message());
    fr->source = f.source;
    return fr;
  }
  return NotFound(rules.origin + ": no figure drill_units_fraction");
}

int UnitsToDraw(int n, const Fraction& f) { return (n * f.numerator + f.denominator - 1) / f.denominator; }

Result<json> DrawPlan(const Roster& roster, const std::vector<Scenario>& scenarios, const PlanOptions& o) {
  const auto units = roster.Drawable();
  if (units.empty()) return InvalidArgument(roster.origin + ": no unit to draw");
  if (scenarios.empty()) return InvalidArgument("no scenario to assign");
  if (o.seed.empty()) return InvalidArgument("a seed is required");
  const int n = static_cast<int>(units.size());
  const int m = std::max(UnitsToDraw(n, o.fraction), o.min_units);
  if (m > n) return InvalidArgument(std::to_string(m) + " units asked for, the roster has " + std::to_string(n));
  // The library in a canonical order (by id), whatever order it was loaded in.
  std::vector<const Scenario*> lib;
  for (const auto& s : scenarios) lib.push_back(&s);
  std::sort(lib.begin(), lib.end(), [](const Scenario* a, const Scenario* b) { return a->id < b->id; });
  DrawStream draw(o.seed);
  std::vector<size_t> drawn = Shuffled(units.size(), draw);
  drawn.resize(static_cast<size_t>(m));
  std::sort(drawn.begin(), drawn.end());
  json assignments = json::array();
  std::vector<size_t> deck;
  for (size_t u : drawn) {
    if (deck.empty()) deck = Shuffled(lib.size(), draw);
    const Scenario& s = *lib[deck.front()];
    deck.erase(deck.begin());
    assignments.push_back({{"unit_id", units[u].id}, {"unit", units[u].name},
                           {"responsibility_level", units[u].level}, {"scenario", s.id},
                           {"scenario_name", s.name}, {"level", s.level}, {"category", s.category}});
  }
  return json{{"format", kPlanFormat}, {"seed", o.seed}, {"drawn_at", o.drawn_at},
              {"units_fraction", {{"value", o.fraction.text}, {"source", o.fraction.source}}},
              {"roster", RosterJson(roster)}, {"library", LibraryJson(lib)}, {"units_drawn", m},
              {"assignments", assignments}};
}

std::string CanonicalBytes(const json& plan) { return plan.dump(-1, ' ', false, json::error_handler_t::strict); }

Result<std::string> Commitment(const json& plan, const std::string& nonce_hex) {
  auto nonce = Unhex(nonce_hex);
  if (!nonce.ok() || nonce->size() != 32) return InvalidArgument("nonce: must be 64 lower-case hex digits");
  std::string bytes;
  try {
    bytes = *nonce + CanonicalBytes(plan);
  } catch (const json::exception& e) {
    return InvalidArgument(std::string("plan: not canonical JSON: ") + e.what());
  }
  return Sha256Hex(bytes);
}

Result<json> SealPlan(const json& plan) {
  unsigned char nonce[32];
  if (getrandom(nonce, sizeof nonce, 0) != sizeof nonce) {
    return IoError(std::string("getrandom failed: ") + std::strerror(errno));
  }
  const std::string nonce_hex = Hex(nonce, sizeof nonce);
  auto c = Commitment(plan, nonce_hex);
  if (!c.ok()) return c.status();
  return json{{"format", kSealedPlanFormat}, {"commitment", *c}, {"nonce", nonce_hex}, {"plan", plan}};
}

json SealOf(const json& sealed) {
  const json& plan = sealed.at("plan");
  json library = json::array();
  for (const auto& s : plan.at("library")) library.push_back(s.at("sha256"));
  return {{"format", kSealFormat}, {"commitment", sealed.at("commitment")}, {"sealed_at", plan.at("drawn_at")},
          {"units_drawn", plan.at("units_drawn")}, {"roster_sha256", plan.at("roster").at("sha256")},
          {"library", library}};
}

Status CheckSeal(const json& sealed, const std::string& expected) {
  if (!sealed.is_object() || StringMember(sealed, "format") != kSealedPlanFormat) {
    return InvalidArgument(std::string("not a sealed drill plan (format ") + kSealedPlanFormat + ")");
  }
  if (!sealed.contains("plan") || !sealed["plan"].is_object()) return InvalidArgument("plan: missing");
  if (!sealed.contains("nonce") || !sealed["nonce"].is_string()) return InvalidArgument("nonce: missing");
  auto c = Commitment(sealed["plan"], sealed["nonce"].get<std::string>());
  if (!c.ok()) return c.status();
  const std::string stated = StringMember(sealed, "commitment");
  if (*c != stated) {
    return Corruption("the plan and nonce hash to " + *c + ", not to the file's commitment " + stated +
                      ": the plan or the nonce was changed after sealing");
  }
  if (!expected.empty() && expected != stated) {
    return Corruption("the file's commitment " + stated + " is not the one sealed before the drill (" + expected + ")");
  }
  return Status::Ok();
}

Status CheckDraw(const json& plan, const Roster& roster, const std::vector<Scenario>& scenarios) {
  PlanOptions o;
  try {
    o.seed = plan.at("seed").get<std::string>();
    o.drawn_at = plan.at("drawn_at").get<std::string>();
    auto fr = ParseFraction(plan.at("units_fraction").at("value").get<std::string>());
    if (!fr.ok()) return InvalidArgument("units_fraction: " + fr.status().message());
    o.fraction = *fr;
    o.fraction.source = plan.at("units_fraction").at("source").get<std::string>();
    o.min_units = plan.at("units_drawn").get<int>();
  } catch (const json::exception& e) {
    return InvalidArgument(std::string("not a drill plan: ") + e.what());
  }
  if (!plan.contains("roster") || !plan["roster"].is_object() || StringMember(plan["roster"], "sha256") != roster.sha256) {
    return FailedPrecondition(roster.origin + " is not the roster the plan was drawn from (SHA-256 differs)");
  }
  auto redrawn = DrawPlan(roster, scenarios, o);
  if (!redrawn.ok()) return redrawn.status();
  if (!plan.contains("library") || (*redrawn)["library"] != plan["library"]) {
    return FailedPrecondition("the scenario library is not the one the plan was drawn from (ids or SHA-256 differ)");
  }
  if (*redrawn != plan) {
    return Corruption("the plan is not the draw of its seed: redrawing seed '" + o.seed + "' gives other assignments");
  }
  return Status::Ok();
}

}  // namespace lifeline::drill
