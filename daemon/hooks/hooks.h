// Event hooks: the agency's own program, run on named events (a report
// accepted, fallback started, a recipient confirmed, a recipient's deadline
// missed, a late submission accepted, an outage, a recovery, a contact
// channel down or back) with the event as one JSON object on its standard
// input, the way gammu-smsd's RunOnSent or HylaFAX's notify scripts let sites
// wire their own alerts. Events are read from the journal after each commit,
// so a hook hears what the store recorded, once. The program runs beside the
// loop (posix_spawn; its pipes and its exit, through a pidfd, are watched by
// Asio and never waited on), is killed at its timeout, and every run's
// outcome is journaled. io_context thread only, except OnCommit (the store's
// worker).
#pragma once

#include <asio/io_context.hpp>
#include <asio/steady_timer.hpp>
#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "daemon/core/clock.h"
#include "daemon/journal/journal.h"
#include "daemon/store/store.h"

namespace lifeline {

// The events a hook may be given, by name.
inline constexpr const char* kHookEvents[] = {
    "report_accepted",    "fallback_started", "recipient_confirmed", "recipient_missed_deadline",
    "late_submission_accepted", "outage", "recovery", "contact_channel_down", "contact_channel_restored"};
bool IsHookEvent(std::string_view name);

struct HookEvent {
  std::string name;      // one of kHookEvents
  nlohmann::json event;  // what the program reads: {event, seq, at, report_id?, ...}
};

// What a journal entry means to a hook; nullopt for entries no hook hears.
// `on_battery` carries the mains state between power entries (an outage is
// the change to battery, a recovery the change back). Pure.
std::optional<HookEvent> HookEventFor(const JournalEntry& entry, std::optional<bool>* on_battery);

// A program's output as the journal keeps it: bytes that are not UTF-8 (a
// binary blob, a multi-byte character cut at the kept length) become U+FFFD,
// so recording the outcome can never fail on what the program wrote. Pure.
std::string JournalSafeOutput(std::string_view bytes);

struct HookOptions {
  std::string program;             // "" = no hooks
  std::set<std::string> events;    // empty = every event
  std::chrono::seconds timeout{30};
  size_t max_running = 4;          // programs at once; more wait
  size_t max_waiting = 64;         // beyond this an event is dropped (journaled as not_started)
};

// How a run ended, as journaled.
struct HookOutcome {
  std::string outcome;  // ok | failed | timeout | not_started
  int exit_status = -1; // when it exited
  int signal = 0;       // when it was killed
  std::string detail;   // why it did not start, or the start of its stderr
  std::chrono::milliseconds elapsed{0};
};

// Runs the program for events, a bounded number at a time.
class HookRunner {
 public:
  HookRunner(asio::io_context& io, HookOptions options);
  ~HookRunner();  // kills what still runs
  void Run(const HookEvent& event, std::function<void(const HookOutcome&)> done);
  size_t running() const { return running_; }

 private:
  struct Child;
  void StartNext();
  void Launch(const HookEvent& event, std::function<void(const HookOutcome&)> done);
  void WatchExit(const std::shared_ptr<Child>& child, std::function<void()> finish);
  static void ReadOutput(const std::shared_ptr<Child>& child);

  asio::io_context& io_;
  HookOptions options_;
  size_t running_ = 0;
  std::deque<std::pair<HookEvent, std::function<void(const HookOutcome&)>>> waiting_;
  std::set<std::shared_ptr<Child>> children_;
};

// The daemon's hooks: follows the journal, watches the notifications' due
// times to record each missed deadline once, and runs the program.
class EventHooks {
 public:
  EventHooks(asio::io_context& io, AsyncStore& store, const Clock& clock, HookOptions options);
  ~EventHooks();
  // Reads where the journal ends now (older entries are not replayed) and
  // arms the deadline watch.
  void Start();
  // For AsyncStore::SetCommitObserver: on the worker after each commit, new
  // journal entries become events, posted to the loop. It may outlive this
  // object (it holds what it needs), so it may be set once and left.
  std::function<void(Store&)> CommitObserver();
  struct Follower;  // the worker's side: where the journal was read up to, the mains (follower.cc)

  // Runs so far, by (event, outcome), for the metrics.
  const std::map<std::pair<std::string, std::string>, uint64_t>& runs() const { return runs_; }

 private:
  void Dispatch(HookEvent event);
  void WatchDeadlines();
  void ArmWatch(std::optional<WallTime> next);

  asio::io_context& io_;
  AsyncStore& store_;
  const Clock& clock_;
  HookOptions options_;
  HookRunner runner_;
  asio::steady_timer watch_;
  WallTime started_at_{};
  std::set<int64_t> missed_;  // notifications whose missed deadline is recorded (journal, this run or before)
  std::map<std::pair<std::string, std::string>, uint64_t> runs_;
  std::shared_ptr<Follower> follower_;
  bool watch_pending_ = false;
  bool missed_loaded_ = false;
  std::shared_ptr<int> alive_ = std::make_shared<int>(0);
};

}  // namespace lifeline
