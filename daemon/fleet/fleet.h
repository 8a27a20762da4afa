// The box's side of the supervising agency's view (issue 19): the journal,
// read from a durable cursor, published to the agency's MQTT broker as
// summaries (lifeline.fleet/1, proto/fleet.md) at QoS 1 in a persistent
// session over TLS with the box's own certificate. The journal is the outbox:
// nothing is held but a bounded window of entries in flight, and the cursor in
// the store moves only past entries the broker acknowledged. The broker is
// never waited on: the MQTT session runs on its own thread (mqtt_link.h).
// FleetPublisher is used on the io_context thread only, except the observer
// it hands out (the store's worker).
#pragma once

#include <asio/io_context.hpp>
#include <asio/steady_timer.hpp>
#include <nlohmann/json.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "daemon/core/clock.h"
#include "daemon/core/status.h"
#include "daemon/fleet/mqtt_link.h"
#include "daemon/journal/journal.h"
#include "daemon/store/store.h"

namespace lifeline {

inline constexpr const char* kFleetSchema = "lifeline.fleet/1";

// Who the box is on the broker and how it gets there.
struct FleetOptions {
  std::string agency, unit;  // topic lifeline/<agency>/<unit>/...; the certificate's CN is the unit
  // The broker and this box's TLS files; its client_id is fixed, so the broker
  // keeps the session ("" = lifeline-<agency>-<unit>).
  MqttLinkOptions broker;
  std::chrono::seconds heartbeat{60};
  size_t window = 64;  // journal entries read and not yet acknowledged, at most
};

// What a journal entry becomes on the wire.
struct FleetMessage {
  std::string topic;    // lifeline/<agency>/<unit>/<kind>[/<report id>]
  std::string payload;  // JSON, lifeline.fleet/1
};

// What the journal reader adds from the report's row of the entry's revision
// (the latest when the entry names none), for report and notice messages.
struct ReportContext {
  std::string category;
  int level = 0;  // 0 = not known (no such row)
  bool drill = false;
};

// The message for `entry`, or nullopt for an entry the supervising agency
// does not hear (an attempt's progress, an account change). `after_seq` >= 0
// says no entry the agency hears lies between it and this one, so the view
// can tell a gap (a message the broker dropped) from entries it never hears;
// < 0 leaves it out. Pure.
std::optional<FleetMessage> FleetMessageFor(const FleetOptions& box, const JournalEntry& entry,
                                            const ReportContext& report, int64_t after_seq = -1);
// The liveness message sent every `heartbeat` while connected (QoS 0, never
// queued): it carries the last acknowledged sequence and, when >= 0, the last
// heard entry published (`heard_seq`), not one of its own. Pure.
FleetMessage FleetHeartbeat(const FleetOptions& box, WallTime now, int64_t acked_seq, int64_t heard_seq = -1);

// The replay request the agency's view sends on lifeline/<agency>/<unit>/replay
// when it finds a gap: publish again from `from_seq`. Refused (with the
// reason) unless a small lifeline.fleet/1 object with an integer from_seq >= 1.
FleetMessage FleetReplayRequest(const std::string& agency, const std::string& unit, int64_t from_seq);
Result<int64_t> ParseFleetReplayRequest(std::string_view payload);

// Journal entries after `seq`, at most `limit`, with their report context.
struct FleetEntry {
  JournalEntry entry;
  ReportContext report;
};
Result<std::vector<FleetEntry>> ReadFleetEntries(Store& store, int64_t after_seq, size_t limit);

class MqttLink;

class FleetPublisher {
 public:
  FleetPublisher(asio::io_context& io, AsyncStore& store, const Clock& clock, FleetOptions options);
  ~FleetPublisher();
  // Reads the cursor and starts the MQTT session; a broker that cannot be
  // reached is retried on the MQTT thread, never reported as a failure here.
  Status Start();
  void Stop();
  // For AsyncStore::SetCommitObserver: notices on the worker that the journal
  // grew, and tells the loop. Safe to keep after Stop.
  std::function<void(Store&)> CommitObserver();

  struct Counters {
    uint64_t published = 0, acked = 0, skipped = 0, replays = 0;
    int64_t cursor = 0;
    bool connected = false;
  };
  const Counters& counters() const { return counters_; }

 private:
  struct Shared;  // what the observer and the MQTT thread's callbacks share with the loop
  struct InFlight {
    int64_t seq;
    bool done;  // acknowledged, or not published at all
  };
  void Pull();
  void Take(std::vector<FleetEntry> entries);
  void OnAcked(int64_t seq);
  void AdvanceCursor();
  void WriteCursor();
  void Beat();
  void OnReplayRequest(int64_t from_seq);

  asio::io_context& io_;
  AsyncStore& store_;
  const Clock& clock_;
  FleetOptions options_;
  std::shared_ptr<Shared> shared_;
  std::unique_ptr<MqttLink> link_;
  asio::steady_timer heartbeat_;
  std::deque<InFlight> window_;  // in journal order
  int64_t read_up_to_ = -1;       // -1 until the cursor is read
  // The last entry published that the agency hears, or where this reading of
  // the journal began: what the next message's after_seq says.
  int64_t last_heard_ = 0;
  int64_t replay_from_ = 0;       // a replay the view asked for, begun once the window is empty; 0 = none
  int64_t cursor_ = 0;            // acknowledged through here (the store's copy may lag by one write)
  int64_t cursor_written_ = 0;   // what the store holds
  bool cursor_writing_ = false;
  bool pulling_ = false;
  Counters counters_;
  std::shared_ptr<int> alive_ = std::make_shared<int>(0);
};

}  // namespace lifeline
