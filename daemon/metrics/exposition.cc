#include <cmath>
#include <cstdio>
#include <fstream>
#include <sstream>

#include "daemon/metrics/metrics.h"

namespace lifeline {
namespace {

std::string EscapeLabel(std::string_view v) {
  std::string out;
  for (char c : v) {
    if (c == '\\') out += "\\\\";
    else if (c == '"') out += "\\\"";
    else if (c == '\n') out += "\\n";
    else out += c;
  }
  return out;
}

std::string FormatValue(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  if (v == std::floor(v) && std::fabs(v) < 1e15) return std::to_string(static_cast<long long>(v));
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.6g", v);
  return buf;
}

}  // namespace

void Exposition::Family(std::string_view name, std::string_view type, std::string_view help) {
  text_ += "# HELP ";
  text_ += name;
  text_ += ' ';
  text_ += help;
  text_ += "\n# TYPE ";
  text_ += name;
  text_ += ' ';
  text_ += type;
  text_ += '\n';
}

void Exposition::Sample(std::string_view name, const MetricLabels& labels, double value) {
  text_ += name;
  if (!labels.empty()) {
    text_ += '{';
    for (size_t i = 0; i < labels.size(); ++i) {
      if (i) text_ += ',';
      text_ += labels[i].first + "=\"" + EscapeLabel(labels[i].second) + "\"";
    }
    text_ += '}';
  }
  text_ += ' ';
  text_ += FormatValue(value);
  text_ += '\n';
}

void Histogram::Observe(std::chrono::microseconds d) {
  const double s = static_cast<double>(d.count()) / 1e6;
  size_t i = 0;
  while (i < kBounds.size() && s > kBounds[i]) ++i;
  buckets_[i].fetch_add(1, std::memory_order_relaxed);
  count_.fetch_add(1, std::memory_order_relaxed);
  sum_us_.fetch_add(static_cast<uint64_t>(d.count()), std::memory_order_relaxed);
}

void Histogram::Write(Exposition& out, std::string_view name, std::string_view help) const {
  const std::string n(name);
  out.Family(n, "histogram", help);
  uint64_t cumulative = 0;
  for (size_t i = 0; i < kBounds.size(); ++i) {
    cumulative += buckets_[i].load(std::memory_order_relaxed);
    out.Sample(n + "_bucket", {{"le", FormatValue(kBounds[i])}}, static_cast<double>(cumulative));
  }
  cumulative += buckets_[kBounds.size()].load(std::memory_order_relaxed);
  out.Sample(n + "_bucket", {{"le", "+Inf"}}, static_cast<double>(cumulative));
  out.Sample(n + "_sum", static_cast<double>(sum_us_.load(std::memory_order_relaxed)) / 1e6);
  out.Sample(n + "_count", static_cast<double>(cumulative));
}

ProcessMemory ParseProcStatus(std::string_view text) {
  ProcessMemory m;
  std::istringstream in{std::string(text)};
  for (std::string line; std::getline(in, line);) {
    size_t colon = line.find(':');
    if (colon == std::string::npos) continue;
    std::string key = line.substr(0, colon);
    uint64_t kb = std::strtoull(line.c_str() + colon + 1, nullptr, 10);
    if (key == "VmRSS") m.rss = kb * 1024;
    else if (key == "RssAnon") m.rss_anon = kb * 1024;
    else if (key == "RssFile") m.rss_file = kb * 1024;
    else if (key == "RssShmem") m.rss_shmem = kb * 1024;
    else if (key == "VmHWM") m.vm_hwm = kb * 1024;
  }
  return m;
}

ProcessMemory ReadProcessMemory() {
  std::ifstream in("/proc/self/status");
  std::stringstream ss;
  ss << in.rdbuf();
  return ParseProcStatus(ss.str());
}

}  // namespace lifeline
