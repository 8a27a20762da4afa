// Fault controls for site-sim, set at run time through the admin endpoint:
// what the next requests should suffer (stall, 5xx, 429, reset, delay, an
// answer of arbitrary bytes) and how
// the listener behaves (refuse, certificate, TLS or plain). Counters are
// consumed per request; -1 means "every request until cleared". Plain value.
#pragma once

#include <nlohmann/json.hpp>

#include <random>
#include <string>

namespace sitesim {

struct Faults {
  bool refuse = false;      // close the listener and every open connection
  int stall = 0;            // hold the request, never answer, nothing recorded
  int reset = 0;            // record, then cut the connection halfway through the response
  int error_count = 0;      // answer error_status, nothing recorded
  int error_status = 503;
  double error_rate = 0.0;  // probability of error_status per request, after error_count
  int throttle_count = 0;   // answer 429 with Retry-After
  int retry_after_seconds = 1;
  std::string retry_after_form = "seconds";  // or "http-date"
  int slow_ms = 0;          // delay before answering; the key is "in flight" meanwhile
  std::string cert = "good";  // "good", "wrong-host", "untrusted" (new connections)
  bool tls = true;          // false: new connections speak plain HTTP
  bool health = true;       // request faults apply to /v1/health too
  // Record, then answer garble_status with garble_body's bytes (given as hex,
  // any bytes: not UTF-8, control bytes, NUL) in place of the site's answer.
  int garble = 0;
  int garble_status = 201;
  std::string garble_body;  // raw bytes
};

// Applies the fields present in `j` (unknown fields are errors); on error `*f` is unchanged.
bool ApplyFaults(const nlohmann::json& j, Faults* f, std::string* error);
nlohmann::json FaultsToJson(const Faults& f);

enum class FaultAction { kServe, kStall, kError, kThrottle };

struct FaultDecision {
  FaultAction action = FaultAction::kServe;
  bool reset_after_commit = false;
  bool garble_after_commit = false;
  int delay_ms = 0;
};

// Decides what the next request suffers and consumes the counters it used.
FaultDecision DecideFault(Faults* f, bool is_health, std::mt19937_64* rng);

}  // namespace sitesim
