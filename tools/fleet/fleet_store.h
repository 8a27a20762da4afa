// The supervising agency's own store (SQLite): its units, their reports and
// fallback notices with the agency's review deadline, recipients' states, box
// health, reviews, and every message taken once by (unit, seq). Ingest is one
// transaction per message, so a repeat or a failure changes nothing. Schema
// versioned by PRAGMA user_version like the box's store. Not thread-safe: one
// connection per thread (the MQTT thread ingests; a command reads).
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "daemon/core/status.h"
#include "daemon/core/time_format.h"
#include "daemon/rules/rules.h"
#include "daemon/store/sqlite.h"
#include "tools/fleet/message_parser.h"

namespace lifeline::fleet {

inline constexpr int kFleetSchemaVersion = 2;

// The review figures, from the rule set (deadline "review_by" per level,
// figure "reviewer_level_change_notice"), counted from this agency's receipt.
struct ReviewRules {
  int64_t review_after_seconds[5] = {0, 0, 0, 0, 0};  // by level 1-4
  int64_t level_change_notice_seconds = 0;
  std::string rules_id;
};
Result<ReviewRules> ReviewRulesFrom(const RuleSet& rules);

enum class IngestOutcome { kApplied, kRepeat };

struct UnitView {
  std::string unit;
  std::string first_seen, last_seen;  // this agency's receipt times (UTC)
  int64_t last_seq = 0;
  int64_t heard_through = 0;  // every entry the box published up to here is in the view
  nlohmann::json health;  // the latest of each health type, by type
  bool silent = false;    // last_seen older than the silence limit (or never seen)
};

struct ReportView {
  std::string unit, report_id, category, state, aware_at;
  int revision = 0, level = 0;
  bool drill = false, fallback = false;
  std::string received_at;  // this agency's receipt of the revision, or of the notice
  std::string review_due;   // received_at + the review figure of its level
  std::string reviewed_at;  // "" until reviewed
  int reviewed_level = 0;
  std::string authority_notice_due;  // when the review changed the level
  nlohmann::json recipients;         // recipient -> {state, due_at}
};

// A reminder or alarm the view raised (review_due_soon, review_overdue,
// unit_silent, unit_heard_again, replay_asked), once per subject.
struct AlertView {
  std::string event, subject, at;
  nlohmann::json detail;
  std::string outcome;  // the agency's program's: ok | failed | timeout | not_started; "" = none configured
};

struct ReviewInput {
  std::string unit, report_id, reason, by;
  std::optional<int> new_level;  // nullopt: the level is kept
};

class FleetStore {
 public:
  static Result<std::unique_ptr<FleetStore>> Open(const std::string& path, ReviewRules rules);
  // For reading only (the console's fleet page): no migration; a store of
  // another schema version is an error.
  static Result<std::unique_ptr<FleetStore>> OpenReadOnly(const std::string& path);

  // A parsed message, taken once: a repeat of (unit, seq) is kRepeat and changes nothing.
  Result<IngestOutcome> Ingest(const UnitMessage& m, WallTime received);
  // After Ingest of `m` (applied or a repeat): moves the unit's heard_through
  // on when `m` joins what the view holds (its after_seq within it). Returns
  // the sequence to ask the box to publish again from when the view lacks
  // entries (a message after a gap, a heartbeat past what is held), else 0.
  Result<int64_t> Follow(const UnitMessage& m);
  // Records an alert once by (event, subject): true when it is new (and so to
  // be raised), false when it was raised before, by this run or an earlier one.
  Result<bool> ClaimAlert(const std::string& event, const std::string& subject, const nlohmann::json& detail,
                          WallTime at);
  Status RecordAlertOutcome(const std::string& event, const std::string& subject, const std::string& outcome,
                            const std::string& detail);
  Result<std::vector<AlertView>> Alerts();
  // Counts a refused message by reason (the view itself is untouched).
  Status CountRejected(const std::string& reason, WallTime at);
  // Records the review of a report's latest revision: the level kept or changed, with the reason.
  Status RecordReview(const ReviewInput& review, WallTime at);

  // `known_units` are listed even before they speak; silent when not heard for `silent_after`.
  Result<std::vector<UnitView>> Units(const std::vector<std::string>& known_units, WallTime now,
                                      std::chrono::seconds silent_after);
  Result<std::vector<ReportView>> Reports();
  Result<std::vector<std::pair<std::string, int64_t>>> Rejections();
  // Messages taken per unit (for tests and the bench).
  Result<int64_t> MessageCount(const std::string& unit);

  sql::Db& db() { return *db_; }

 private:
  FleetStore(std::unique_ptr<sql::Db> db, ReviewRules rules) : db_(std::move(db)), rules_(std::move(rules)) {}
  Status Apply(const UnitMessage& m, const std::string& now, WallTime received);
  Status ApplyReport(const UnitMessage& m, const std::string& now, WallTime received);
  std::string DueAfter(WallTime from, int level) const;

  std::unique_ptr<sql::Db> db_;
  ReviewRules rules_;
};

}  // namespace lifeline::fleet
