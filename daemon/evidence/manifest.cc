#include "daemon/evidence/manifest.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <set>

namespace lifeline::evidence {
namespace {

using nlohmann::json;

bool IsHex64(const json& v) {
  if (!v.is_string() || v.get_ref<const std::string&>().size() != 64) return false;
  const auto& s = v.get_ref<const std::string&>();
  return std::all_of(s.begin(), s.end(), [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

Status Bad(const std::string& what) { return Corruption("manifest.json: " + what); }

Status OnlyKeys(const json& obj, std::initializer_list<const char*> keys, const std::string& where) {
  for (const char* k : keys) {
    if (!obj.contains(k)) return Bad(where + "\"" + k + "\" is missing");
  }
  if (obj.size() != keys.size()) return Bad(where + "has keys the format does not define");
  return Status::Ok();
}

Result<ManifestFile> ParseFile(const json& f, size_t i) {
  std::string where = "files[" + std::to_string(i) + "]: ";
  if (!f.is_object()) return Bad(where + "not an object");
  LIFELINE_RETURN_IF_ERROR(OnlyKeys(f, {"path", "size", "sha256"}, where));
  if (!f["path"].is_string() || !IsBundlePath(f["path"].get<std::string>())) return Bad(where + "bad path");
  if (!f["size"].is_number_unsigned()) return Bad(where + "size is not a whole number");
  if (!IsHex64(f["sha256"])) return Bad(where + "sha256 is not 64 lowercase hex digits");
  return ManifestFile{f["path"].get<std::string>(), f["size"].get<uint64_t>(), f["sha256"].get<std::string>()};
}

Status ParseHead(const json& doc, Manifest* m) {
  const json& head = doc["journal_head"];
  if (!head.is_object()) return Bad("journal_head is not an object");
  LIFELINE_RETURN_IF_ERROR(OnlyKeys(head, {"seq", "mac"}, "journal_head: "));
  if (!head["seq"].is_number_unsigned()) return Bad("journal_head.seq is not a whole number");
  if (!IsHex64(head["mac"])) return Bad("journal_head.mac is not 64 lowercase hex digits");
  m->journal_head = {head["seq"].get<int64_t>(), head["mac"].get<std::string>()};
  return Status::Ok();
}

}  // namespace

bool IsBundlePath(std::string_view path) {
  if (path.empty() || path.size() > 200) return false;
  size_t start = 0;
  while (start <= path.size()) {
    size_t end = std::min(path.find('/', start), path.size());
    std::string_view part = path.substr(start, end - start);
    if (part.empty() || part == "." || part == "..") return false;
    for (char c : part) {
      bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' ||
                c == '_' || c == '-';
      if (!ok) return false;
    }
    start = end + 1;
  }
  return true;
}

std::string ManifestText(const Manifest& m) {
  // Built by hand so the signed bytes are the same on every build: one key
  // a line, one file a line, in this order.
  std::string s = "{\n";
  s += " \"format\": " + json(kBundleFormat).dump() + ",\n";
  s += " \"report_id\": " + json(m.report_id).dump() + ",\n";
  s += " \"created_at\": " + json(FormatRfc3339(m.created_at)).dump() + ",\n";
  s += " \"journal_head\": {\"seq\": " + std::to_string(m.journal_head.seq) +
       ", \"mac\": " + json(m.journal_head.mac).dump() + "},\n";
  s += " \"device_key_sha256\": " + json(m.device_key_sha256).dump() + ",\n";
  s += " \"sha256sums_sha256\": " + json(m.sha256sums_sha256).dump() + ",\n";
  s += " \"files\": [";
  for (size_t i = 0; i < m.files.size(); ++i) {
    const auto& f = m.files[i];
    s += std::string(i ? "," : "") + "\n  {\"path\": " + json(f.path).dump() + ", \"size\": " +
         std::to_string(f.size) + ", \"sha256\": " + json(f.sha256).dump() + "}";
  }
  s += m.files.empty() ? "]\n}\n" : "\n ]\n}\n";
  return s;
}

Result<Manifest> ParseManifest(std::string_view text) {
  json doc = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!doc.is_object()) return Bad("not a JSON object");
  LIFELINE_RETURN_IF_ERROR(OnlyKeys(doc, {"format", "report_id", "created_at", "journal_head",
                                          "device_key_sha256", "sha256sums_sha256", "files"}, ""));
  if (doc["format"] != kBundleFormat) return Bad("format is not " + std::string(kBundleFormat));
  Manifest m;
  if (!doc["report_id"].is_string() || doc["report_id"].get<std::string>().empty()) return Bad("report_id is not a string");
  m.report_id = doc["report_id"].get<std::string>();
  auto created = doc["created_at"].is_string() ? ParseRfc3339(doc["created_at"].get<std::string>())
                                               : Result<OffsetTime>(InvalidArgument("not a string"));
  if (!created.ok()) return Bad("created_at: " + created.status().message());
  m.created_at = *created;
  LIFELINE_RETURN_IF_ERROR(ParseHead(doc, &m));
  if (!IsHex64(doc["device_key_sha256"])) return Bad("device_key_sha256 is not 64 lowercase hex digits");
  if (!IsHex64(doc["sha256sums_sha256"])) return Bad("sha256sums_sha256 is not 64 lowercase hex digits");
  m.device_key_sha256 = doc["device_key_sha256"].get<std::string>();
  m.sha256sums_sha256 = doc["sha256sums_sha256"].get<std::string>();
  if (!doc["files"].is_array()) return Bad("files is not a list");
  for (size_t i = 0; i < doc["files"].size(); ++i) {
    auto f = ParseFile(doc["files"][i], i);
    if (!f.ok()) return f.status();
    if (!m.files.empty() && m.files.back().path >= f->path) return Bad("files are not sorted by path, or repeat one");
    m.files.push_back(std::move(*f));
  }
  return m;
}

std::string Sha256Sums(const std::vector<ManifestFile>& files) {
  std::string s;
  for (const auto& f : files) s += f.sha256 + "  " + f.path + "\n";
  return s;
}

}  // namespace lifeline::evidence
