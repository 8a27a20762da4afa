// Test helper: valid reports made from config/sample-report.json with a fresh
// id (or a given one), revision and impacts, for store, intake and fault tests.
#pragma once

#include <nlohmann/json.hpp>

#include <chrono>
#include <fstream>
#include <sstream>
#include <string>

#include "daemon/core/time_format.h"
#include "daemon/core/uuid.h"
#include "daemon/report/report.h"

namespace lifeline::testing_support {

inline nlohmann::json SampleDocument() {
  std::ifstream in(LIFELINE_SOURCE_DIR "/config/sample-report.json");
  std::stringstream ss;
  ss << in.rdbuf();
  return nlohmann::json::parse(ss.str());
}

inline nlohmann::json NewDocument(int revision = 1, std::string id = "") {
  nlohmann::json doc = SampleDocument();
  doc["id"] = id.empty() ? NewUuidV4().value() : id;
  doc["revision"] = revision;
  return doc;
}

// The document as if the agency became aware of the incident just now (+08:00),
// so its deadlines lie ahead, as for a report filed in time.
inline nlohmann::json AwareNow(nlohmann::json doc) {
  auto now = std::chrono::time_point_cast<std::chrono::microseconds>(std::chrono::system_clock::now());
  std::string stamp = FormatRfc3339(WithOffset(now, 8 * 60));
  doc["aware_at"] = doc["filed_at"] = doc["discovered_at"] = stamp;
  return doc;
}

inline Report ToReport(const nlohmann::json& doc) {
  ValidationOutcome o = ValidateReportJson(doc);
  if (!o.ok()) throw std::runtime_error(o.Describe());
  return *o.report;
}

}  // namespace lifeline::testing_support
