// Test helper: valid reports made from config/sample-report.json with a fresh
// id (or a given one), revision and impacts, for store, intake and fault tests.
#pragma once

#include <nlohmann/json.hpp>

#include <fstream>
#include <sstream>
#include <string>

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

inline Report ToReport(const nlohmann::json& doc) {
  ValidationOutcome o = ValidateReportJson(doc);
  if (!o.ok()) throw std::runtime_error(o.Describe());
  return *o.report;
}

}  // namespace lifeline::testing_support
