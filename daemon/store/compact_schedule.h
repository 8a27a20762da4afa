// The stored form of a computed schedule. Every report under the same rule set
// and level shares the schedule's text (keys, titles, sources, anchors: its
// "shape"); only the instants differ (each deadline's "at", each obligation's
// "due"). The shape is stored once, named by its SHA-256, and each report keeps
// only its instants, so a report row stays within one page. Pure functions.
#pragma once

#include <nlohmann/json.hpp>

#include <optional>
#include <string>

namespace lifeline {

struct CompactSchedule {
  std::string shape;  // the schedule's JSON text with every instant set to null
  std::string times;  // JSON array of the instants: deadlines' "at", then obligations' "due"
};

// nullopt when `schedule` is not in ScheduleToJson's shape: it is then stored whole.
std::optional<CompactSchedule> SplitSchedule(const nlohmann::json& schedule);
// SplitSchedule's `times`, and in place of its `shape` an exact key for the
// shape: every value but the instants, length-prefixed, without escaping the
// text, so that a cache of shapes can skip building the shape's text again.
struct ScheduleParts {
  std::string shape_key;
  std::string times;
};
std::optional<ScheduleParts> DescribeSchedule(const nlohmann::json& schedule);

// The schedule as given to SplitSchedule; a discarded value when the parts do not fit.
nlohmann::json JoinSchedule(const std::string& shape, const std::string& times);

}  // namespace lifeline
