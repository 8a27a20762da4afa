// Walks a report document against the schema's structure. Leaf rules (types,
// lengths, patterns, enumerations) are read from the schema itself; the
// cross-field rules of the form (vendor when outsourced, anomalies of the
// chosen category, ...) are spelled out here with messages people understand.
#include <cmath>
#include <set>

#include "daemon/report/report.h"
#include "daemon/report/schema_access.h"

namespace lifeline {
namespace {

using nlohmann::json;
using report_internal::Node;

size_t CodePoints(const std::string& s) {
  size_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;
  return n;
}

std::string Quote(const json& v) {
  std::string s = v.is_string() ? v.get<std::string>() : v.dump();
  if (CodePoints(s) > 40) s = s.substr(0, 40) + "…";
  return "「" + s + "」";
}

std::string Title(const json& node) { return node.value("title", std::string()); }

class Checker {
 public:
  void Problem(const std::string& path, std::string zh, std::string en) {
    problems_.push_back({path, std::move(zh), std::move(en)});
  }
  std::vector<ValidationProblem> TakeProblems() { return std::move(problems_); }
  bool clean() const { return problems_.empty(); }

  // Checks an object against the schema node at `schema_ptr`: type, required
  // keys, unknown keys. Returns false when it is not an object at all.
  bool CheckObject(const json& v, const std::string& path, const std::string& schema_ptr);
  // Checks a leaf value against the (resolved) schema node at `schema_ptr`.
  void CheckLeaf(const json& v, const std::string& path, const std::string& schema_ptr);
  void CheckArrayOfEnum(const json& v, const std::string& path, const std::string& schema_ptr);

 private:
  void CheckString(const std::string& s, const std::string& path, const json& node);
  std::vector<ValidationProblem> problems_;
};

bool IsInteger(const json& v) {
  if (v.is_number_integer()) return true;
  return v.is_number_float() && std::isfinite(v.get<double>()) &&
         v.get<double>() == std::floor(v.get<double>());
}

std::string TypeOf(const json& v) {
  if (v.is_string()) return "string";
  if (v.is_boolean()) return "boolean";
  if (IsInteger(v)) return "integer";
  if (v.is_number()) return "number";
  if (v.is_object()) return "object";
  if (v.is_array()) return "array";
  return "null";
}

std::string TypeZh(const std::string& t) {
  if (t == "string") return "文字";
  if (t == "boolean") return "是/否 (true/false)";
  if (t == "integer") return "整數";
  if (t == "object") return "物件";
  if (t == "array") return "清單";
  return t;
}

bool Checker::CheckObject(const json& v, const std::string& path, const std::string& schema_ptr) {
  const json& node = Node(schema_ptr);
  if (!v.is_object()) {
    Problem(path, "應為物件（" + Title(node) + "）", "must be an object, not " + TypeOf(v));
    return false;
  }
  const json& props = node.at("properties");
  for (const auto& key : node.value("required", json::array())) {
    if (!v.contains(key.get<std::string>())) {
      std::string k = key.get<std::string>();
      Problem(path + "/" + k, "必填欄位未填寫（" + Title(Node(schema_ptr + "/properties/" + k)) + "）",
              "required field is missing");
    }
  }
  for (const auto& [k, _] : v.items()) {
    if (!props.contains(k)) {
      Problem(path + "/" + k, "表單沒有此欄位", "unknown field: the form has no such item");
    }
  }
  return true;
}

void Checker::CheckString(const std::string& s, const std::string& path, const json& node) {
  size_t n = CodePoints(s);
  if (node.contains("minLength") && n < node["minLength"].get<size_t>()) {
    Problem(path, Title(node) + "不可空白", "must not be empty");
    return;
  }
  if (node.contains("maxLength") && n > node["maxLength"].get<size_t>()) {
    size_t max = node["maxLength"].get<size_t>();
    Problem(path,
            Title(node) + "超過 " + std::to_string(max) + " 字（目前 " + std::to_string(n) + " 字）",
            "longer than " + std::to_string(max) + " characters (" + std::to_string(n) + " given)");
    return;
  }
  // Patterns only constrain short fields; a runaway string is refused before
  // the regex sees it, so matching cost stays bounded.
  if (node.contains("pattern")) {
    bool matched = s.size() <= 512 && std::regex_search(s, report_internal::Pattern(node["pattern"]));
    if (!matched) {
      std::string desc = node.value("description", std::string());
      Problem(path, Title(node) + "格式不正確：" + Quote(s),
              "does not have the expected form" + (desc.empty() ? "" : " (" + desc + ")"));
    }
  }
}

void Checker::CheckLeaf(const json& v, const std::string& path, const std::string& schema_ptr) {
  const json& node = Node(schema_ptr);
  if (node.contains("const") && v != node["const"]) {
    Problem(path, "應為 " + node["const"].dump(), "must be " + node["const"].dump());
    return;
  }
  if (node.contains("enum")) {
    if (std::find(node["enum"].begin(), node["enum"].end(), v) == node["enum"].end()) {
      std::string allowed;
      for (const auto& e : node["enum"]) allowed += (allowed.empty() ? "" : ", ") + e.dump();
      Problem(path, Quote(v) + "不是" + Title(node) + "的選項", "not one of: " + allowed);
    }
    return;
  }
  std::string want = node.value("type", std::string());
  if (!want.empty() && TypeOf(v) != want) {
    Problem(path, Title(node) + "應為" + TypeZh(want), "must be " + want + ", not " + TypeOf(v));
    return;
  }
  if (want == "string") CheckString(v.get<std::string>(), path, node);
  if (want == "integer") {
    double d = v.get<double>();
    if ((node.contains("minimum") && d < node["minimum"].get<double>()) ||
        (node.contains("maximum") && d > node["maximum"].get<double>())) {
      Problem(path, Title(node) + "超出範圍", "out of range");
    }
  }
}

void Checker::CheckArrayOfEnum(const json& v, const std::string& path,
                               const std::string& schema_ptr) {
  if (!v.is_array()) {
    Problem(path, "應為清單", "must be a list, not " + TypeOf(v));
    return;
  }
  std::set<json> seen;
  for (size_t i = 0; i < v.size(); ++i) {
    std::string item_path = path + "/" + std::to_string(i);
    if (!seen.insert(v[i]).second) Problem(item_path, "重複勾選" + Quote(v[i]), "listed twice");
    CheckLeaf(v[i], item_path, schema_ptr + "/items");
  }
}

void CheckReportShape(Checker& c, const json& doc) {
  static const char* kLeaves[] = {"schema_version", "id",           "revision",    "drill",
                                  "filed_at",       "aware_at",     "discovered_at",
                                  "maintenance_vendor", "category", "other_description",
                                  "description"};
  for (const char* key : kLeaves) {
    if (doc.contains(key)) c.CheckLeaf(doc[key], std::string("/") + key, std::string("/properties/") + key);
  }
  struct Nested {
    const char* key;
    std::vector<const char*> leaves;
  };
  static const Nested kObjects[] = {
      {"agency", {"name", "reviewing_agency"}},
      {"reporter", {"name", "phone", "fax", "email"}},
      {"on_behalf_of", {"is_on_behalf", "agency_name"}},
      {"soc", {"type", "vendor"}},
      {"affects_others", {"affected"}},
      {"source", {"type", "alert_id", "detail"}},
      {"impact", {"confidentiality", "integrity", "availability"}},
      {"support", {"requested", "content"}},
  };
  for (const auto& o : kObjects) {
    if (!doc.contains(o.key)) continue;
    std::string path = std::string("/") + o.key, sptr = std::string("/properties/") + o.key;
    if (!c.CheckObject(doc[o.key], path, sptr)) continue;
    for (const char* leaf : o.leaves) {
      if (doc[o.key].contains(leaf)) {
        c.CheckLeaf(doc[o.key][leaf], path + "/" + leaf, sptr + "/properties/" + leaf);
      }
    }
  }
  if (doc.contains("anomalies")) c.CheckArrayOfEnum(doc["anomalies"], "/anomalies", "/properties/anomalies");
  const json* ao = doc.contains("affects_others") ? &doc["affects_others"] : nullptr;
  if (ao && ao->is_object() && ao->contains("sectors")) {
    c.CheckArrayOfEnum((*ao)["sectors"], "/affects_others/sectors",
                       "/properties/affects_others/properties/sectors");
  }
}

// A key that must be present when `when` holds and absent otherwise.
void Conditional(Checker& c, const json& obj, const std::string& path, const char* key, bool when,
                 const std::string& zh_when, const std::string& en_when) {
  if (!obj.is_object()) return;
  bool present = obj.contains(key);
  if (when && !present) c.Problem(path + "/" + key, "必填：" + zh_when, "required " + en_when);
  if (!when && present) c.Problem(path + "/" + key, "只在" + zh_when + "時填寫", "only allowed " + en_when);
}

bool BoolAt(const json& doc, const char* obj, const char* key) {
  return doc.contains(obj) && doc[obj].is_object() && doc[obj].contains(key) &&
         doc[obj][key].is_boolean() && doc[obj][key].get<bool>();
}

std::string StringAt(const json& doc, const char* obj, const char* key) {
  if (!doc.contains(obj) || !doc[obj].is_object() || !doc[obj].contains(key)) return "";
  const json& v = doc[obj][key];
  return v.is_string() ? v.get<std::string>() : "";
}

void CheckConditionals(Checker& c, const json& doc) {
  if (doc.contains("on_behalf_of")) {
    Conditional(c, doc["on_behalf_of"], "/on_behalf_of", "agency_name",
                BoolAt(doc, "on_behalf_of", "is_on_behalf"), "代其他機關通報（該單位名稱）",
                "when filing on behalf of another agency (its name)");
  }
  if (doc.contains("soc")) {
    Conditional(c, doc["soc"], "/soc", "vendor", StringAt(doc, "soc", "type") == "outsourced",
                "SOC 委外建置（該廠商名稱）", "when the SOC is outsourced (the vendor's name)");
  }
  if (doc.contains("source")) {
    std::string type = StringAt(doc, "source", "type");
    Conditional(c, doc["source"], "/source", "alert_id", type == "alert", "警訊通知（發布編號）",
                "when the source is an alert (its number)");
    Conditional(c, doc["source"], "/source", "detail", type == "external_intel",
                "其他外部情資（情資來源）", "when the source is external intelligence (what it is)");
  }
  if (doc.contains("support")) {
    Conditional(c, doc["support"], "/support", "content", BoolAt(doc, "support", "requested"),
                "需要支援（期望支援內容）", "when support is requested (what support)");
  }
  const json* ao = doc.contains("affects_others") ? &doc["affects_others"] : nullptr;
  if (ao && ao->is_object() && ao->contains("sectors") && (*ao)["sectors"].is_array()) {
    bool affected = BoolAt(doc, "affects_others", "affected");
    size_t n = (*ao)["sectors"].size();
    if (affected && n == 0) {
      c.Problem("/affects_others/sectors", "已勾選影響其他機關或重要民生設施，請勾選至少一個領域",
                "affected is true: name at least one sector");
    }
    if (!affected && n > 0) {
      c.Problem("/affects_others/sectors", "未影響其他機關或重要民生設施時，不可勾選領域",
                "affected is false: no sector may be listed");
    }
  }
}

void CheckCategory(Checker& c, const json& doc) {
  if (!doc.contains("category") || !doc["category"].is_string()) return;
  std::string category = doc["category"].get<std::string>();
  const json& labels = report_internal::Schema()["$defs"]["labels"];
  if (!labels["categories"].contains(category)) return;  // already reported as not an option
  bool other = category == "other";
  if (doc.contains("other_description") != other) {
    if (other) {
      c.Problem("/other_description", "事件分類為「其他」時必填說明", "required when the category is other");
    } else {
      c.Problem("/other_description", "只在事件分類為「其他」時填寫", "only allowed when the category is other");
    }
  }
  if (!doc.contains("anomalies") || !doc["anomalies"].is_array()) return;
  const json& anomalies = doc["anomalies"];
  if (!other && anomalies.empty()) {
    c.Problem("/anomalies", "請勾選至少一項「" + LabelZh("categories", category) + "」的異常狀況",
              "choose at least one anomaly of category " + category);
  }
  for (size_t i = 0; i < anomalies.size(); ++i) {
    if (!anomalies[i].is_string()) continue;
    auto it = labels["anomalies"].find(anomalies[i].get<std::string>());
    if (it == labels["anomalies"].end()) continue;  // reported by the enum check
    if ((*it)["category"] != category) {
      c.Problem("/anomalies/" + std::to_string(i),
                Quote(anomalies[i]) + "（" + (*it)["zh"].get<std::string>() + "）不屬於事件分類「" +
                    LabelZh("categories", category) + "」",
                "anomaly " + anomalies[i].get<std::string>() + " belongs to category " +
                    (*it)["category"].get<std::string>() + ", not " + category);
    }
  }
}

void CheckLevel(Checker& c, const json& doc) {
  if (!doc.contains("impact") || !doc["impact"].is_object()) return;
  const json& impact = doc["impact"];
  for (const char* k : {"confidentiality", "integrity", "availability"}) {
    if (!impact.contains(k) || impact[k] != "none") return;
  }
  c.Problem("/impact",
            "機密性、完整性、可用性衝擊皆為「無」：此事件無需通報",
            "confidentiality, integrity and availability impacts are all none: no notification is "
            "required for this event");
}

void CheckImpacts(Checker& c, const json& doc) {
  if (!doc.contains("impact") || !doc["impact"].is_object()) return;
  for (const char* k : {"confidentiality", "integrity", "availability"}) {
    if (!doc["impact"].contains(k)) continue;
    const json& v = doc["impact"][k];
    bool level = IsInteger(v) && v.get<double>() >= 1 && v.get<double>() <= 4;
    if (!level && v != "none") {
      c.Problem(std::string("/impact/") + k, LabelZh("impact", k) + "應為 1 至 4 級，或 \"none\"（無需通報）",
                "must be a level 1-4 or \"none\"");
    }
  }
}

}  // namespace

static std::vector<ValidationProblem> CheckDocument(const json& doc) {
  Checker c;
  if (!c.CheckObject(doc, "", "")) return c.TakeProblems();
  CheckReportShape(c, doc);
  CheckConditionals(c, doc);
  CheckCategory(c, doc);
  CheckImpacts(c, doc);
  CheckLevel(c, doc);
  return c.TakeProblems();
}

namespace {

ImpactLevel ImpactOf(const json& v) {
  if (v == "none") return std::nullopt;
  return static_cast<int>(v.get<double>());
}

template <typename T>
std::optional<T> Optional(const json& obj, const char* key) {
  if (!obj.contains(key)) return std::nullopt;
  return obj[key].get<T>();
}

OffsetTime TimeAt(const json& doc, const char* key) {
  // The pattern already matched, so this parse cannot fail; a failure would be
  // a schema/parser mismatch, surfaced as the epoch rather than a crash.
  auto t = ParseRfc3339(doc[key].get<std::string>());
  return t.ok() ? *t : OffsetTime{};
}

Report BuildReport(const json& doc) {
  Report r;
  r.id = doc["id"];
  r.revision = static_cast<int>(doc["revision"].get<double>());
  r.drill = doc.value("drill", false);
  r.filed_at = TimeAt(doc, "filed_at");
  r.aware_at = TimeAt(doc, "aware_at");
  r.discovered_at = TimeAt(doc, "discovered_at");
  r.agency_name = doc["agency"]["name"];
  r.reviewing_agency = doc["agency"]["reviewing_agency"];
  r.reporter_name = doc["reporter"]["name"];
  r.reporter_phone = doc["reporter"]["phone"];
  r.reporter_email = doc["reporter"]["email"];
  r.reporter_fax = Optional<std::string>(doc["reporter"], "fax");
  r.on_behalf_of = Optional<std::string>(doc["on_behalf_of"], "agency_name");
  r.soc_type = doc["soc"]["type"];
  r.soc_vendor = Optional<std::string>(doc["soc"], "vendor");
  r.maintenance_vendor = doc["maintenance_vendor"];
  r.category = doc["category"];
  r.anomalies = doc["anomalies"].get<std::vector<std::string>>();
  r.other_description = Optional<std::string>(doc, "other_description");
  r.description = doc["description"];
  r.affects_others = doc["affects_others"]["affected"];
  r.sectors = doc["affects_others"]["sectors"].get<std::vector<std::string>>();
  r.source_type = doc["source"]["type"];
  r.source_alert_id = Optional<std::string>(doc["source"], "alert_id");
  r.source_detail = Optional<std::string>(doc["source"], "detail");
  r.confidentiality = ImpactOf(doc["impact"]["confidentiality"]);
  r.integrity = ImpactOf(doc["impact"]["integrity"]);
  r.availability = ImpactOf(doc["impact"]["availability"]);
  r.support_requested = doc["support"]["requested"];
  r.support_content = Optional<std::string>(doc["support"], "content");
  r.document = doc;
  return r;
}

}  // namespace

ValidationOutcome ValidateReportJson(const json& document) {
  ValidationOutcome out;
  out.problems = CheckDocument(document);
  if (out.problems.empty()) out.report = BuildReport(document);
  return out;
}

ValidationOutcome ValidateReport(std::string_view text) {
  json doc;
  try {
    doc = json::parse(text);
  } catch (const json::exception& e) {
    // parse_error knows the byte; out_of_range (a number too large) does not.
    auto* pe = dynamic_cast<const json::parse_error*>(&e);
    std::string where = pe ? " (byte " + std::to_string(pe->byte) + ")" : " (a number is out of range)";
    ValidationOutcome out;
    out.problems.push_back({"", "不是有效的 JSON 文件" + where, "not a valid JSON document" + where});
    return out;
  }
  return ValidateReportJson(doc);
}

int Report::Level() const {
  int level = 0;
  for (const ImpactLevel& i : {confidentiality, integrity, availability}) {
    if (i && *i > level) level = *i;
  }
  return level;
}

std::string Report::IdempotencyKey() const { return id + "/r" + std::to_string(revision); }

std::string ValidationOutcome::Describe() const {
  std::string s;
  for (const auto& p : problems) {
    s += (p.path.empty() ? "(document)" : p.path) + ": " + p.zh + " — " + p.en + "\n";
  }
  return s;
}

json ValidationOutcome::ToJson() const {
  json list = json::array();
  for (const auto& p : problems) list.push_back({{"path", p.path}, {"zh", p.zh}, {"en", p.en}});
  return {{"problems", list}};
}

}  // namespace lifeline
