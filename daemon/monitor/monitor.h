// The link monitor: is the national site reachable? From health probes and real
// submission outcomes: OUTAGE after N failures spanning >= T, RECOVERED after M
// successes, with the reason class. LinkStateMachine is the pure decision;
// LinkMonitor probes on the io_context (single-threaded) and tells a LinkObserver.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "daemon/core/clock.h"
#include "daemon/site/site.h"

namespace asio {
class io_context;
}

namespace lifeline {

enum class LinkState { kUp, kOutage };
std::string_view LinkStateName(LinkState s);  // "up", "outage"

// Why the link failed. Names match proto/site-api.yaml's FallbackEvidence.reason_class.
enum class LinkReason {
  kNone,  // the sample shows a working link
  kDns, kConnect, kTimeout, kTls, kTlsIdentity, kTransport, kHttp5xx, kHttp429,
};
std::string_view LinkReasonName(LinkReason r);  // "dns", ..., "http_5xx", "http_429"

// kNone for a working link (any answer but 5xx, 408, 429); nullopt when the
// outcome says nothing about the link (our own setup failed, breaker open).
std::optional<LinkReason> ReasonFor(AttemptClass outcome, int http_status);

struct LinkOptions {
  int outage_after_failures = 3;                  // N
  std::chrono::seconds outage_min_span{60};       // T: first to last failure of the run
  int recovered_after_successes = 2;              // M
  std::chrono::milliseconds probe_interval{30000};
  std::chrono::milliseconds probe_interval_in_outage{10000};
};

struct LinkSample {
  MonoTime at;
  WallTime wall;
  LinkReason reason = LinkReason::kNone;  // kNone: success
};

struct LinkChange {
  LinkState from = LinkState::kUp, to = LinkState::kUp;
  LinkReason reason = LinkReason::kNone;  // the dominant failure class of the run
  std::map<LinkReason, int> failures_by_reason;
  WallTime failing_since;  // wall time of the run's first failure (the outage start)
  WallTime at;             // wall time of the deciding sample
  int consecutive = 0;     // failures (OUTAGE) or successes (RECOVERED) that decided it
};

class LinkStateMachine {
 public:
  explicit LinkStateMachine(LinkOptions options) : options_(options) {}
  // Feeds one sample; returns the change it causes, if any.
  std::optional<LinkChange> Observe(const LinkSample& s);
  LinkState state() const { return state_; }

 private:
  std::optional<LinkChange> ObserveFailure(const LinkSample& s);
  std::optional<LinkChange> ObserveSuccess(const LinkSample& s);
  LinkReason Dominant() const;

  LinkOptions options_;
  LinkState state_ = LinkState::kUp;
  int failures_ = 0, successes_ = 0;
  MonoTime first_failure_{};
  WallTime first_failure_wall_{};
  std::map<LinkReason, int> by_reason_;
  LinkReason last_reason_ = LinkReason::kNone;
  std::optional<LinkChange> outage_;  // the change that opened the current outage
};

// Implemented by the journal / escalation: told of every OUTAGE and RECOVERED.
class LinkObserver {
 public:
  virtual ~LinkObserver() = default;
  virtual void OnLinkChange(const LinkChange& change) = 0;
};

// Probes through the SiteClient and also listens to its submission attempts
// (the client's observer passes them on).
class LinkMonitor final : public SiteAttemptObserver {
 public:
  LinkMonitor(asio::io_context& io, const Clock& clock, LinkOptions options, SiteClient& client,
              LinkObserver* observer);
  ~LinkMonitor() override;

  void Start();  // first probe at once, then on the schedule
  void Stop();
  LinkState state() const { return machine_.state(); }

  void OnAttemptStart(const SiteAttempt&, std::function<void()> proceed) override { proceed(); }
  void OnAttemptEnd(const SiteAttemptResult& r) override;

 private:
  struct Timer;
  void Feed(LinkReason reason);
  void ProbeNow();
  void ScheduleProbe();

  const Clock& clock_;
  LinkOptions options_;
  SiteClient& client_;
  LinkObserver* observer_;
  LinkStateMachine machine_;
  std::unique_ptr<Timer> timer_;
  bool running_ = false;
  std::shared_ptr<int> alive_ = std::make_shared<int>(0);
};

}  // namespace lifeline
