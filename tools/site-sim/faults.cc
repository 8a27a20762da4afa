#include "tools/site-sim/faults.h"

#include "daemon/core/text.h"

#include <algorithm>
#include <cctype>

namespace sitesim {
namespace {

// Takes one from a counter: -1 (always) stays, N > 0 decrements.
bool Consume(int* counter) {
  if (*counter == 0) return false;
  if (*counter > 0) --*counter;
  return true;
}

template <typename T>
bool Read(const nlohmann::json& j, const char* name, T* out, std::string* error) {
  auto it = j.find(name);
  if (it == j.end()) return true;
  try {
    *out = it->get<T>();
    return true;
  } catch (const nlohmann::json::exception&) {
    *error = std::string("field ") + name + " has the wrong type";
    return false;
  }
}

bool Validate(const Faults& f, std::string* error) {
  if (f.error_status < 500 || f.error_status > 599) *error = "error_status must be 5xx";
  else if (f.error_rate < 0 || f.error_rate > 1) *error = "error_rate must be in [0, 1]";
  else if (f.retry_after_form != "seconds" && f.retry_after_form != "http-date")
    *error = "retry_after_form must be \"seconds\" or \"http-date\"";
  else if (f.retry_after_seconds < 0) *error = "retry_after_seconds must be >= 0";
  else if (f.slow_ms < 0 || f.slow_ms > 600000) *error = "slow_ms must be in [0, 600000]";
  else if (f.cert != "good" && f.cert != "wrong-host" && f.cert != "untrusted")
    *error = "cert must be good, wrong-host or untrusted";
  else if (f.garble_status < 100 || f.garble_status > 599) *error = "garble_status must be 100-599";
  else if (f.stall < -1 || f.reset < -1 || f.error_count < -1 || f.throttle_count < -1 || f.garble < -1)
    *error = "counters must be >= -1";
  else return true;
  return false;
}

// "ff fe 1b" or "fffe1b" -> the bytes; false on anything but hex digit pairs.
bool FromHex(const std::string& hex, std::string* out) {
  std::string digits;
  for (char c : hex) {
    if (c == ' ') continue;
    if (!std::isxdigit(static_cast<unsigned char>(c))) return false;
    digits += c;
  }
  if (digits.size() % 2 != 0) return false;
  out->clear();
  for (size_t i = 0; i < digits.size(); i += 2) {
    out->push_back(static_cast<char>(std::stoi(digits.substr(i, 2), nullptr, 16)));
  }
  return true;
}


}  // namespace

bool ApplyFaults(const nlohmann::json& j, Faults* f, std::string* error) {
  if (!j.is_object()) {
    *error = "faults must be a JSON object";
    return false;
  }
  static const char* kKnown[] = {"refuse", "stall", "reset", "error_count", "error_status",
                                 "error_rate", "throttle_count", "retry_after_seconds",
                                 "retry_after_form", "slow_ms", "cert", "tls", "health",
                                 "garble", "garble_status", "garble_body_hex"};
  for (const auto& [k, v] : j.items()) {
    if (std::find(std::begin(kKnown), std::end(kKnown), k) == std::end(kKnown)) {
      *error = "unknown fault: " + k;
      return false;
    }
  }
  Faults n = *f;
  bool ok = Read(j, "refuse", &n.refuse, error) && Read(j, "stall", &n.stall, error) &&
            Read(j, "reset", &n.reset, error) && Read(j, "error_count", &n.error_count, error) &&
            Read(j, "error_status", &n.error_status, error) &&
            Read(j, "error_rate", &n.error_rate, error) &&
            Read(j, "throttle_count", &n.throttle_count, error) &&
            Read(j, "retry_after_seconds", &n.retry_after_seconds, error) &&
            Read(j, "retry_after_form", &n.retry_after_form, error) &&
            Read(j, "slow_ms", &n.slow_ms, error) && Read(j, "cert", &n.cert, error) &&
            Read(j, "tls", &n.tls, error) && Read(j, "health", &n.health, error) &&
            Read(j, "garble", &n.garble, error) && Read(j, "garble_status", &n.garble_status, error) &&
            Validate(n, error);
  if (ok && j.contains("garble_body_hex")) {
    std::string hex;
    ok = Read(j, "garble_body_hex", &hex, error);
    if (ok && !FromHex(hex, &n.garble_body)) {
      *error = "garble_body_hex must be pairs of hex digits";
      ok = false;
    }
  }
  if (ok) *f = n;
  return ok;
}

nlohmann::json FaultsToJson(const Faults& f) {
  return {{"refuse", f.refuse},
          {"stall", f.stall},
          {"reset", f.reset},
          {"error_count", f.error_count},
          {"error_status", f.error_status},
          {"error_rate", f.error_rate},
          {"throttle_count", f.throttle_count},
          {"retry_after_seconds", f.retry_after_seconds},
          {"retry_after_form", f.retry_after_form},
          {"slow_ms", f.slow_ms},
          {"cert", f.cert},
          {"tls", f.tls},
          {"health", f.health},
          {"garble", f.garble},
          {"garble_status", f.garble_status},
          {"garble_body_hex", lifeline::HexBytes(f.garble_body)}};
}

FaultDecision DecideFault(Faults* f, bool is_health, std::mt19937_64* rng) {
  FaultDecision d;
  if (is_health && !f->health) return d;
  d.delay_ms = f->slow_ms;
  if (Consume(&f->stall)) {
    d.action = FaultAction::kStall;
  } else if (Consume(&f->error_count)) {
    d.action = FaultAction::kError;
  } else if (f->error_rate > 0 &&
             std::uniform_real_distribution<double>(0, 1)(*rng) < f->error_rate) {
    d.action = FaultAction::kError;
  } else if (Consume(&f->throttle_count)) {
    d.action = FaultAction::kThrottle;
  } else if (Consume(&f->garble)) {
    d.garble_after_commit = true;
  } else {
    d.reset_after_commit = Consume(&f->reset);
  }
  return d;
}

}  // namespace sitesim
