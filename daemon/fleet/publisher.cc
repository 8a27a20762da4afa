// FleetPublisher: a window over the journal. Entries are read after the
// cursor (at most `window` not yet acknowledged), published in order, and the
// cursor moves past the longest acknowledged prefix; entries the supervising
// agency does not hear count as acknowledged at once. Everything here runs on
// the loop; the store's worker and the MQTT thread only post to it.
#include <asio/post.hpp>
#include <spdlog/spdlog.h>

#include <algorithm>

#include "daemon/fleet/fleet.h"
#include "daemon/core/text.h"
#include "daemon/fleet/mqtt_link.h"

namespace lifeline {

struct FleetPublisher::Shared {
  std::atomic<int64_t> journal_end{0};  // the highest sequence the worker saw committed
};

FleetPublisher::FleetPublisher(asio::io_context& io, AsyncStore& store, const Clock& clock, FleetOptions options)
    : io_(io),
      store_(store),
      clock_(clock),
      options_(std::move(options)),
      shared_(std::make_shared<Shared>()),
      heartbeat_(io) {
  if (options_.broker.client_id.empty()) options_.broker.client_id = "lifeline-" + options_.agency + "-" + options_.unit;
  options_.window = std::max<size_t>(options_.window, 1);
}

FleetPublisher::~FleetPublisher() { Stop(); }

Status FleetPublisher::Start() {
  const MqttLinkOptions& o = options_.broker;
  std::weak_ptr<int> alive = alive_;
  MqttCallbacks cb;
  cb.on_state = [this, alive, &io = io_](bool up, const std::string& why) {
    asio::post(io, [this, alive, up, why] {
      if (alive.expired()) return;
      counters_.connected = up;
      if (up) spdlog::info("fleet: connected to {}:{} as {}", options_.broker.host, options_.broker.port,
                          options_.broker.client_id);
      else spdlog::warn("fleet: broker lost ({}); the journal keeps what is not yet acknowledged", why);
      if (up) Beat();
    });
  };
  cb.on_acked = [this, alive, &io = io_](int64_t seq) {
    asio::post(io, [this, alive, seq] {
      if (!alive.expired()) OnAcked(seq);
    });
  };
  // The view's replay requests (a gap it found) come on the box's own replay topic.
  cb.on_message = [this, alive, &io = io_](const std::string& topic, const std::string& payload) {
    auto from = ParseFleetReplayRequest(payload);
    if (!from.ok()) {
      return spdlog::warn("fleet: ignored a message on {}: {}", SafeText(topic, 200), from.status().message());
    }
    asio::post(io, [this, alive, seq = *from] {
      if (!alive.expired()) OnReplayRequest(seq);
    });
  };
  MqttLinkOptions with_replay = o;
  with_replay.subscriptions.push_back("lifeline/" + options_.agency + "/" + options_.unit + "/replay");
  auto link = MqttLink::Start(std::move(with_replay), std::move(cb));
  if (!link.ok()) return link.status();
  link_ = std::move(*link);
  auto cursor = std::make_shared<int64_t>(0);
  store_.Run(
      [cursor](Store& st) {
        auto c = st.FleetCursor();
        if (!c.ok()) return c.status();
        *cursor = *c;
        return Status::Ok();
      },
      [this, alive, cursor](Status s) {
        if (alive.expired()) return;
        if (!s.ok()) return spdlog::error("fleet: cannot read the cursor: {}; nothing is published", s.ToString());
        // Entries up to the cursor were acknowledged, heard or not: the view, if it
        // has fewer, asks for them again (OnReplayRequest).
        read_up_to_ = last_heard_ = cursor_ = cursor_written_ = counters_.cursor = *cursor;
        spdlog::info("fleet: publishing the journal after entry {}", cursor_);
        Pull();
      });
  return Status::Ok();
}

void FleetPublisher::Stop() {
  heartbeat_.cancel();
  if (link_) link_->Stop();
  link_.reset();
}

std::function<void(Store&)> FleetPublisher::CommitObserver() {
  return [shared = shared_, &io = io_, this, alive = std::weak_ptr<int>(alive_)](Store& st) {
    auto end = st.db().QueryInt("SELECT COALESCE(MAX(seq), 0) FROM journal");
    if (!end.ok() || *end <= shared->journal_end.load()) return;
    shared->journal_end.store(*end);
    asio::post(io, [this, alive] {
      if (!alive.expired()) Pull();
    });
  };
}

void FleetPublisher::Pull() {
  if (read_up_to_ < 0 || pulling_ || !link_) return;
  if (replay_from_ > 0) {
    if (!window_.empty()) return;  // no more read until what is in flight is acknowledged
    // Read again from the entry the view lacks. Nothing is in flight, so the
    // window stays in journal order; the cursor never moves back.
    if (replay_from_ - 1 < read_up_to_) {
      spdlog::info("fleet: the agency's view asked for entries from {}; publishing them again", replay_from_);
      read_up_to_ = last_heard_ = replay_from_ - 1;
      ++counters_.replays;
    }
    replay_from_ = 0;
  }
  if (window_.size() >= options_.window) return;
  pulling_ = true;
  const size_t room = options_.window - window_.size();
  auto read = std::make_shared<std::vector<FleetEntry>>();
  store_.Run(
      [read, after = read_up_to_, room](Store& st) {
        auto entries = ReadFleetEntries(st, after, room);
        if (!entries.ok()) return entries.status();
        *read = std::move(*entries);
        return Status::Ok();
      },
      [this, read, room, alive = std::weak_ptr<int>(alive_)](Status s) {
        if (alive.expired()) return;
        pulling_ = false;
        if (!s.ok()) return spdlog::warn("fleet: cannot read the journal: {}", s.ToString());
        const bool full = read->size() == room;
        Take(std::move(*read));
        if (full || replay_from_ > 0 || shared_->journal_end.load() > read_up_to_) Pull();
      });
}

void FleetPublisher::Take(std::vector<FleetEntry> entries) {
  for (FleetEntry& f : entries) {
    auto message = FleetMessageFor(options_, f.entry, f.report, last_heard_);
    window_.push_back({f.entry.seq, !message});
    read_up_to_ = f.entry.seq;
    if (!message) {
      ++counters_.skipped;
      continue;
    }
    ++counters_.published;
    last_heard_ = f.entry.seq;
    link_->Publish(std::move(message->topic), std::move(message->payload), 1, f.entry.seq);
  }
  AdvanceCursor();
}

void FleetPublisher::OnAcked(int64_t seq) {
  auto it = std::lower_bound(window_.begin(), window_.end(), seq,
                             [](const InFlight& f, int64_t s) { return f.seq < s; });
  if (it == window_.end() || it->seq != seq || it->done) return;  // a repeat PUBACK after a resend
  it->done = true;
  ++counters_.acked;
  AdvanceCursor();
  Pull();
}

void FleetPublisher::AdvanceCursor() {
  const int64_t before = cursor_;
  while (!window_.empty() && window_.front().done) {
    cursor_ = std::max(cursor_, window_.front().seq);
    window_.pop_front();
  }
  if (cursor_ == before) return;
  counters_.cursor = cursor_;
  WriteCursor();
}

// One write of the cursor at a time: acknowledgements that come while it
// commits are written together by the next, so a fast broker costs the box's
// disk one commit per batch, not one per message.
void FleetPublisher::WriteCursor() {
  if (cursor_writing_ || cursor_ <= cursor_written_) return;
  cursor_writing_ = true;
  const int64_t seq = cursor_;
  store_.Run([seq](Store& st) { return st.AdvanceFleetCursor(seq); },
             [this, seq, alive = std::weak_ptr<int>(alive_)](Status s) {
               if (alive.expired()) return;
               cursor_writing_ = false;
               if (s.ok()) cursor_written_ = seq;
               else spdlog::warn("fleet: cannot record the cursor at {}: {}", seq, s.ToString());
               if (s.ok()) WriteCursor();
             });
}

void FleetPublisher::Beat() {
  if (!link_ || !counters_.connected) return;
  FleetMessage hb = FleetHeartbeat(options_, clock_.Now(), cursor_, last_heard_);
  link_->Publish(std::move(hb.topic), std::move(hb.payload), 0, -1);
  heartbeat_.cancel();
  heartbeat_.expires_after(options_.heartbeat);
  heartbeat_.async_wait([this, alive = std::weak_ptr<int>(alive_)](const std::error_code& ec) {
    if (!ec && !alive.expired()) Beat();
  });
}

// One replay at a time, from the earliest entry asked for; it begins when
// what is in flight is acknowledged (Pull). A request past what was read asks
// for nothing that was sent.
void FleetPublisher::OnReplayRequest(int64_t from_seq) {
  replay_from_ = replay_from_ > 0 ? std::min(replay_from_, from_seq) : from_seq;
  Pull();
}

}  // namespace lifeline
