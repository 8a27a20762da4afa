// ParseUnitMessage: the checks in the order that costs least first (size,
// UTF-8, JSON), then the topic, then each field against the topic.
#include "tools/fleet/message_parser.h"

#include <vector>

#include "daemon/core/text.h"

namespace lifeline::fleet {

using nlohmann::json;

namespace {

std::vector<std::string_view> Levels(std::string_view topic) {
  std::vector<std::string_view> out;
  for (size_t start = 0;;) {
    size_t slash = topic.find('/', start);
    out.push_back(topic.substr(start, slash == std::string_view::npos ? std::string_view::npos : slash - start));
    if (slash == std::string_view::npos) return out;
    start = slash + 1;
  }
}

bool IsKind(std::string_view k) { return k == "report" || k == "notice" || k == "health" || k == "drill"; }

Status Bad(const std::string& why) { return InvalidArgument(why); }

// The fields every message has, checked against the topic's agency, unit and kind.
Status CheckEnvelope(const json& m, const std::vector<std::string_view>& t, UnitMessage* out) {
  if (m.at("schema") != "lifeline.fleet/1") return Bad("schema is not lifeline.fleet/1");
  for (const char* key : {"agency", "unit", "kind", "at"}) {
    if (!m.contains(key) || !m.at(key).is_string()) return Bad(std::string(key) + " is missing or not a string");
  }
  if (m.at("agency") != std::string(t[1]) || m.at("unit") != std::string(t[2])) {
    return Bad("agency or unit differs from the topic's");
  }
  out->unit = std::string(t[2]);
  out->kind = m.at("kind").get<std::string>();
  out->at = m.at("at").get<std::string>();
  const std::string_view topic_kind = t[3];
  const bool heartbeat = out->kind == "heartbeat";
  if (heartbeat ? topic_kind != "health" : out->kind != topic_kind) return Bad("kind differs from the topic's");
  return Status::Ok();
}

Status CheckEntry(const json& m, const std::vector<std::string_view>& t, UnitMessage* out) {
  if (!m.contains("seq") || !m.at("seq").is_number_integer() || m.at("seq").get<int64_t>() < 1) {
    return Bad("seq is missing or not a positive integer");
  }
  out->seq = m.at("seq").get<int64_t>();
  if (!m.contains("type") || !m.at("type").is_string() || m.at("type").get_ref<const std::string&>().empty()) {
    return Bad("type is missing or not a string");
  }
  out->type = m.at("type").get<std::string>();
  if (!m.contains("detail") || !m.at("detail").is_object()) return Bad("detail is missing or not an object");
  out->detail = m.at("detail");
  if (m.contains("after_seq")) {
    const json& a = m.at("after_seq");
    if (!a.is_number_integer() || a.get<int64_t>() < 0 || a.get<int64_t>() >= out->seq) {
      return Bad("after_seq is not an integer from 0 to below seq");
    }
    out->after_seq = a.get<int64_t>();
  }
  const bool about_report = out->kind == "report" || out->kind == "notice";
  if (about_report != (t.size() == 5)) return Bad("a report's or notice's topic ends in its id, and only theirs");
  if (!about_report) return Status::Ok();
  if (!m.contains("report_id") || m.at("report_id") != std::string(t[4])) return Bad("report_id differs from the topic's");
  out->report_id = std::string(t[4]);
  if (m.contains("category") && !m.at("category").is_string()) return Bad("category is not a string");
  out->category = m.value("category", "");
  if (m.contains("level")) {
    if (!m.at("level").is_number_integer() || m.at("level") < 1 || m.at("level") > 4) return Bad("level is not 1-4");
    out->level = m.at("level").get<int>();
  }
  if (m.contains("drill") && !m.at("drill").is_boolean()) return Bad("drill is not true or false");
  out->drill = m.value("drill", false);
  return Status::Ok();
}

}  // namespace

Result<UnitMessage> ParseUnitMessage(std::string_view topic, std::string_view payload, const ParseLimits& limits) {
  if (payload.size() > limits.max_bytes) {
    return Bad("payload of " + std::to_string(payload.size()) + " bytes, more than " + std::to_string(limits.max_bytes));
  }
  if (!IsValidUtf8(payload) || !IsValidUtf8(topic)) return Bad("not UTF-8");
  const std::vector<std::string_view> t = Levels(topic);
  if (t.size() < 4 || t.size() > 5 || t[0] != "lifeline" || !IsKind(t[3])) return Bad("not a lifeline topic");
  if (t[1] != limits.agency) return Bad("topic of another agency");
  if (t[2].empty() || (t.size() == 5 && t[4].empty())) return Bad("empty topic level");
  json m = json::parse(payload, nullptr, false);
  if (m.is_discarded()) return Bad("not JSON");
  if (!m.is_object()) return Bad("not a JSON object");
  UnitMessage out;
  if (!m.contains("schema") || !m.at("schema").is_string()) return Bad("schema is missing");
  LIFELINE_RETURN_IF_ERROR(CheckEnvelope(m, t, &out));
  if (out.kind == "heartbeat") {
    if (t.size() != 4) return Bad("a heartbeat's topic is the unit's health");
    if (m.contains("heard_seq")) {
      if (!m.at("heard_seq").is_number_integer() || m.at("heard_seq").get<int64_t>() < 0) {
        return Bad("heard_seq is not an integer >= 0");
      }
      out.heard_seq = m.at("heard_seq").get<int64_t>();
    }
  } else {
    LIFELINE_RETURN_IF_ERROR(CheckEntry(m, t, &out));
  }
  out.payload = std::string(payload);
  return out;
}

}  // namespace lifeline::fleet
