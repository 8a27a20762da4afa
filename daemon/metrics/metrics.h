// Metrics for the agency's monitoring: Prometheus' text exposition format
// (version 0.0.4), rendered on demand from what the store counts and what the
// daemon knows now (the link, the mains, the modem, the nearest deadline, the
// contact channels, the hooks). Nothing is sampled in the background: a
// scrape costs one store job and no timer wakes the box when nobody asks.
// Served on the console's port behind a bearer token, or on a loopback
// listener when the console is disabled. io_context thread only, except
// Histogram::Observe, which any thread may call.
#pragma once

#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>

#include <array>
#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "daemon/core/clock.h"
#include "daemon/core/status.h"
#include "daemon/store/store.h"

namespace lifeline {

using MetricLabels = std::vector<std::pair<std::string, std::string>>;

// Writes families in the text format: each name's HELP and TYPE once, then
// its samples; label values escaped (\\, \", \n).
class Exposition {
 public:
  void Family(std::string_view name, std::string_view type, std::string_view help);
  void Sample(std::string_view name, const MetricLabels& labels, double value);
  void Sample(std::string_view name, double value) { Sample(name, {}, value); }
  const std::string& text() const { return text_; }

 private:
  std::string text_;
};

// A latency histogram with fixed buckets, in seconds. Observe is lock-free
// (the store's worker calls it after each commit).
class Histogram {
 public:
  static constexpr std::array<double, 12> kBounds = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                                      0.05,   0.1,   0.25,   0.5,   1.0,  2.5};
  void Observe(std::chrono::microseconds d);
  void Write(Exposition& out, std::string_view name, std::string_view help) const;

 private:
  std::array<std::atomic<uint64_t>, kBounds.size() + 1> buckets_{};  // the last: +Inf only
  std::atomic<uint64_t> count_{0}, sum_us_{0};
};

// Resident memory as /proc/self/status tells it, in bytes.
struct ProcessMemory {
  uint64_t rss = 0, rss_anon = 0, rss_file = 0, rss_shmem = 0, vm_hwm = 0;
};
ProcessMemory ParseProcStatus(std::string_view status_text);
ProcessMemory ReadProcessMemory();

// What the daemon knows now, gathered by the wiring at each scrape.
struct LiveState {
  std::string site_state = "unknown";  // up | outage | unknown | not_configured
  std::string site_reason;
  bool power_known = false, on_battery = false, low_battery = false;
  std::optional<double> battery_runtime_seconds, battery_charge_percent;
  struct Modem {
    bool ready = false, registered = false;
    std::optional<int> signal_dbm;
  };
  std::optional<Modem> modem;  // nullopt: no SMS modem configured
  std::optional<WallTime> nearest_deadline;
  struct Contact {
    std::string channel;
    bool up = true;
    std::optional<double> down_seconds;
    bool alerted = false;
  };
  std::vector<Contact> contacts;
  std::map<std::pair<std::string, std::string>, uint64_t> hook_runs;  // (event, outcome)
  uint64_t store_background_failures = 0;
};

// The whole exposition from the store's counts, the live state and memory; pure.
std::string RenderMetrics(const StoreCounts& counts, const LiveState& live, const ProcessMemory& memory,
                          const Histogram& commit_latency, WallTime now, std::string_view version);

class DaemonMetrics {
 public:
  DaemonMetrics(AsyncStore& store, const Clock& clock, std::function<LiveState()> live);
  // Observed by the store's worker after each commit; shared, as the
  // worker may finish a batch after this object is gone.
  std::shared_ptr<Histogram> commit_latency() const { return commit_latency_; }
  // Counts on the store's worker, then the rest here; `done` gets the text.
  void Render(std::function<void(Result<std::string>)> done);

 private:
  AsyncStore& store_;
  const Clock& clock_;
  std::function<LiveState()> live_;
  std::shared_ptr<Histogram> commit_latency_ = std::make_shared<Histogram>();
  std::shared_ptr<int> alive_ = std::make_shared<int>(0);
};

// GET /metrics on a loopback address, plain HTTP, for boxes whose console is
// disabled: only processes on the box reach it, so it asks for no token.
class MetricsServer {
 public:
  static Result<std::unique_ptr<MetricsServer>> Listen(asio::io_context& io, const std::string& address,
                                                       uint16_t port, DaemonMetrics& metrics);
  ~MetricsServer();
  uint16_t port() const { return port_; }

 private:
  MetricsServer(asio::io_context& io, DaemonMetrics& metrics) : acceptor_(io), metrics_(metrics) {}
  void Accept();

  asio::ip::tcp::acceptor acceptor_;
  DaemonMetrics& metrics_;
  uint16_t port_ = 0;
};

// The content type of the text format.
inline constexpr const char* kMetricsContentType = "text/plain; version=0.0.4; charset=utf-8";

}  // namespace lifeline
