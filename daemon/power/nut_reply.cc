// Pure parsers for upsd's replies (NUT network protocol, docs/net-protocol.txt) and for
// the ups.status flag word. Nothing here does I/O; every input, however broken, ends in a
// value or a Status.
#include <charconv>
#include <cmath>
#include <string>
#include <vector>

#include "daemon/power/power.h"

namespace lifeline {
namespace {

std::vector<std::string_view> SplitWords(std::string_view s) {
  std::vector<std::string_view> words;
  size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && s[i] == ' ') ++i;
    size_t start = i;
    while (i < s.size() && s[i] != ' ') ++i;
    if (i > start) words.push_back(s.substr(start, i - start));
  }
  return words;
}

bool IsFlag(std::string_view word) {
  if (word.empty() || word.size() > 16) return false;
  for (char c : word) {
    if (c < 'A' || c > 'Z') return false;
  }
  return true;
}

// Shows untrusted text in an error message without letting control bytes through.
std::string Quote(std::string_view s) {
  std::string out = "'";
  for (char c : s.substr(0, 80)) out += (c >= 0x20 && c < 0x7f) ? c : '?';
  if (s.size() > 80) out += "...";
  return out + "'";
}

// Takes the next space-free word off `rest`; empty when there is none.
std::string_view TakeWord(std::string_view& rest) {
  size_t end = rest.find(' ');
  std::string_view word = rest.substr(0, end);
  rest = end == std::string_view::npos ? std::string_view() : rest.substr(end + 1);
  return word;
}

// A double-quoted value with \" and \\ escapes; the quotes must close the line.
Result<std::string> UnquoteValue(std::string_view s) {
  if (s.size() < 2 || s.front() != '"') return InvalidArgument("value is not quoted: " + Quote(s));
  std::string value;
  for (size_t i = 1; i < s.size(); ++i) {
    char c = s[i];
    if (c == '"') {
      if (i + 1 != s.size()) return InvalidArgument("text after the closing quote: " + Quote(s));
      return value;
    }
    if (c == '\\') {
      if (++i == s.size()) break;
      c = s[i];
    }
    value += c;
  }
  return InvalidArgument("unterminated quoted value: " + Quote(s));
}

Status ErrReply(std::string_view line) {
  std::string_view rest = line.substr(4);
  return Unavailable("upsd replied ERR " + Quote(TakeWord(rest)));
}

bool StartsWith(std::string_view s, std::string_view prefix) { return s.substr(0, prefix.size()) == prefix; }

std::optional<double> ParseNumber(std::string_view s) {
  double v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size() || !std::isfinite(v)) return std::nullopt;
  return v;
}

// Reads an optional numeric variable; an unreadable one is left out and said in `detail`.
std::optional<double> NumberVar(const std::map<std::string, std::string>& vars, const std::string& name,
                                double max, std::string& detail) {
  auto it = vars.find(name);
  if (it == vars.end()) return std::nullopt;
  std::optional<double> v = ParseNumber(it->second);
  if (!v || *v < 0 || *v > max) {
    detail += (detail.empty() ? "" : "; ") + name + " unreadable: " + Quote(it->second);
    return std::nullopt;
  }
  return v;
}

}  // namespace

std::string DescribePowerState(const PowerState& state) {
  if (!state.known) return "unknown (" + state.detail + ")";
  std::string s = state.on_battery ? "on battery" : "on mains";
  if (state.low_battery) s += ", battery low";
  if (state.runtime) s += ", runtime " + std::to_string(state.runtime->count()) + " s";
  if (state.charge_percent) s += ", charge " + std::to_string(*state.charge_percent) + "%";
  return s + " [" + state.status + "]";
}

Result<PowerState> ParseUpsStatus(std::string_view status) {
  std::vector<std::string_view> flags = SplitWords(status);
  if (flags.empty()) return InvalidArgument("ups.status is empty");
  PowerState state;
  for (std::string_view flag : flags) {
    if (!IsFlag(flag)) return InvalidArgument("ups.status has a malformed flag: " + Quote(status));
    if (flag == "OL") state.mains_ok = true;
    if (flag == "OB") state.on_battery = true;
    if (flag == "LB" || flag == "FSD") state.low_battery = true;
  }
  if (state.mains_ok == state.on_battery) {
    return InvalidArgument("ups.status needs exactly one of OL and OB: " + Quote(status));
  }
  state.known = true;
  state.status = std::string(status);
  return state;
}

Result<NutVar> ParseVarLine(std::string_view line) {
  if (StartsWith(line, "ERR ")) return ErrReply(line);
  std::string_view rest = line;
  if (TakeWord(rest) != "VAR") return InvalidArgument("not a VAR line: " + Quote(line));
  NutVar var;
  var.ups = std::string(TakeWord(rest));
  var.name = std::string(TakeWord(rest));
  if (var.ups.empty() || var.name.empty()) return InvalidArgument("VAR line lacks a name: " + Quote(line));
  Result<std::string> value = UnquoteValue(rest);
  if (!value.ok()) return value.status();
  var.value = std::move(*value);
  return var;
}

Result<std::map<std::string, std::string>> ParseVarList(std::string_view reply, std::string_view ups) {
  const std::string begin = "BEGIN LIST VAR " + std::string(ups);
  const std::string end = "END LIST VAR " + std::string(ups);
  std::map<std::string, std::string> vars;
  bool begun = false;
  while (!reply.empty()) {
    size_t nl = reply.find('\n');
    if (nl == std::string_view::npos) return InvalidArgument("LIST VAR reply is truncated mid-line");
    std::string_view line = reply.substr(0, nl);
    reply.remove_prefix(nl + 1);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (StartsWith(line, "ERR ")) return ErrReply(line);
    if (!begun) {
      if (line != begin) return InvalidArgument("expected " + Quote(begin) + ", got " + Quote(line));
      begun = true;
      continue;
    }
    if (line == end) return vars;
    Result<NutVar> var = ParseVarLine(line);
    if (!var.ok()) return var.status();
    if (var->ups != ups) return InvalidArgument("VAR line for another UPS: " + Quote(line));
    vars[var->name] = std::move(var->value);
  }
  return InvalidArgument(begun ? "LIST VAR reply ends before " + Quote(end) : "LIST VAR reply is empty");
}

Result<PowerState> PowerStateFromVars(const std::map<std::string, std::string>& vars) {
  auto status = vars.find("ups.status");
  if (status == vars.end()) return NotFound("upsd gave no ups.status");
  Result<PowerState> state = ParseUpsStatus(status->second);
  if (!state.ok()) return state.status();
  // A week of runtime is already beyond any UPS; more is a driver's garbage.
  if (auto runtime = NumberVar(vars, "battery.runtime", 7 * 24 * 3600.0, state->detail)) {
    state->runtime = std::chrono::seconds(static_cast<int64_t>(std::llround(*runtime)));
  }
  if (auto charge = NumberVar(vars, "battery.charge", 100.0, state->detail)) {
    state->charge_percent = static_cast<int>(std::lround(*charge));
  }
  return state;
}

bool IsReportableChange(const PowerState& last, const PowerState& next, std::chrono::seconds runtime_step) {
  if (last.known != next.known) return true;
  if (!next.known) return false;  // a different reason for not knowing is not news
  if (last.mains_ok != next.mains_ok || last.on_battery != next.on_battery ||
      last.low_battery != next.low_battery) {
    return true;
  }
  if (last.runtime.has_value() != next.runtime.has_value()) return true;
  if (!last.runtime) return false;
  std::chrono::seconds moved = *last.runtime > *next.runtime ? *last.runtime - *next.runtime
                                                             : *next.runtime - *last.runtime;
  return moved >= runtime_step;
}

}  // namespace lifeline
