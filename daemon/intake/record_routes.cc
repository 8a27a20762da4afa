// The report's record for its page (proto/console-api.yaml): GET
// /v1/reports/{id}/record answers with the report's journal in order (times
// also in the report's own offset), every notification and channel attempt
// with its evidence, its phone tasks and each revision's fallback reason;
// GET /v1/attempts/{id}/fax/{page}.png renders one page of the TIFF-F copy a
// fax attempt sent. Read only: nothing here changes state.
#include <charconv>
#include <filesystem>
#include <list>

#include "daemon/channels/fax/fax.h"
#include "daemon/core/time_format.h"
#include "daemon/drill/drill.h"
#include "daemon/intake/intake.h"

namespace lifeline {
namespace {

using nlohmann::json;
namespace fs = std::filesystem;

struct Record {
  std::vector<StoredRevision> revisions;
  std::vector<json> fallbacks;  // per revision, null when it never fell back
  std::vector<JournalEntry> entries;
  std::vector<NotificationRow> notifications;
  std::vector<AttemptRow> attempts;
  std::vector<PhoneTask> tasks;
};

Status ReadRecord(Store& st, const std::string& id, Record* r) {
  auto revisions = st.GetReport(id);
  if (!revisions.ok()) return revisions.status();
  if (revisions->empty()) return NotFound("no report " + id);
  r->revisions = std::move(*revisions);
  for (const auto& rev : r->revisions) {
    auto fallback = st.FallbackOf(id, rev.revision);
    if (!fallback.ok()) return fallback.status();
    r->fallbacks.push_back(std::move(*fallback));
  }
  auto entries = ReadJournal(st.db(), id);
  auto notifications = st.Notifications(id);
  auto attempts = st.Attempts(id);
  auto tasks = st.PhoneTasks(false);
  for (const Status& s : {entries.status(), notifications.status(), attempts.status(), tasks.status()}) {
    if (!s.ok()) return s;
  }
  r->entries = std::move(*entries);
  r->notifications = std::move(*notifications);
  r->attempts = std::move(*attempts);
  for (auto& t : *tasks) {
    if (t.report_id == id) r->tasks.push_back(std::move(t));
  }
  return Status::Ok();
}

// A journal time in the report's own offset (the agency's: +08:00 in Taiwan).
std::string Local(const std::string& utc, int offset_minutes) {
  auto t = ParseRfc3339(utc);
  return t.ok() ? FormatRfc3339(WithOffset(t->instant, offset_minutes)) : utc;
}

json TimelineToJson(const Record& r, WallTime aware, int offset_minutes) {
  json steps = json::array();
  for (const auto& e : r.entries) {
    json payload = json::parse(e.payload, nullptr, false);
    json step = {{"seq", e.seq}, {"at", e.wall_time}, {"at_local", Local(e.wall_time, offset_minutes)},
                 {"type", e.type}, {"text", TimelineLine(e, aware, offset_minutes)}, {"payload", payload}};
    if (payload.is_object() && payload.contains("by")) step["by"] = payload["by"];
    steps.push_back(std::move(step));
  }
  return steps;
}

// The fax pages an attempt sent, each with the post-page response of the last
// call and where its picture is.
json FaxPages(const AttemptRow& a) {
  const json channel = a.evidence.is_object() ? a.evidence.value("evidence", json::object()) : json::object();
  const json calls = channel.is_object() ? channel.value("attempts", json::array()) : json::array();
  if (!channel.is_object() || !channel.contains("tiff") || !calls.is_array() || calls.empty()) return json::array();
  const json& last = calls.back();
  json pages = json::array();
  const int count = last.value("pages_in_document", 0);
  const json results = last.value("pages", json::array());
  for (int page = 1; page <= count && page <= 64; ++page) {
    json p = {{"page", page}, {"response", "none"}, {"confirmed", false},
              {"png", "/v1/attempts/" + std::to_string(a.id) + "/fax/" + std::to_string(page) + ".png"}};
    for (const auto& res : results) {
      if (res.value("page", 0) != page) continue;
      p["response"] = res.value("response", "none");
      p["confirmed"] = res.value("confirmed", false);
    }
    pages.push_back(std::move(p));
  }
  return pages;
}

json AttemptsToJson(const Record& r) {
  std::map<int64_t, std::string> recipient_of;
  for (const auto& n : r.notifications) recipient_of[n.id] = n.recipient;
  json out = json::array();
  for (const auto& a : r.attempts) {
    const bool has = a.evidence.is_object();
    json j = {{"id", a.id}, {"notification_id", a.notification_id}, {"recipient", recipient_of[a.notification_id]},
              {"channel", a.channel}, {"address", a.address}, {"started_at", a.started_at},
              {"ended_at", a.ended_at}, {"outcome", a.outcome},
              {"summary", has ? a.evidence.value("summary", "") : ""},
              {"evidence", has ? a.evidence.value("evidence", json(nullptr)) : json(nullptr)}};
    if (a.channel == "fax") j["fax_pages"] = FaxPages(a);
    out.push_back(std::move(j));
  }
  return out;
}

// Builds the record's JSON in the order of its schema (proto/console-api.yaml
// Record); the two journal scans (receipts, missed deadlines) feed one field each.
json RecordToJson(const Record& r, const std::map<std::string, std::string>& names) {
  const StoredRevision& first = r.revisions.front();
  auto aware = ParseRfc3339(first.aware_at);
  const int offset = aware.ok() ? aware->offset_minutes : 8 * 60;
  // When the site gave each revision its receipt: a receipt within the
  // revision's hour is on time, even when the fallback had begun (the state
  // then reads accepted_late: accepted after other means were used).
  std::map<int, std::string> receipt_at;
  for (const auto& e : r.entries) {
    if (e.type != "report.site_receipt") continue;
    json p = json::parse(e.payload, nullptr, false);
    if (p.is_object() && p.contains("revision") && p["revision"].is_number_integer()) {
      receipt_at.emplace(p["revision"].get<int>(), e.wall_time);
    }
  }
  json revisions = json::array();
  for (size_t i = 0; i < r.revisions.size(); ++i) {
    const StoredRevision& rev = r.revisions[i];
    json j = RevisionToJson(rev, false);
    j["fallback"] = r.fallbacks[i];
    auto got = receipt_at.find(rev.revision);
    if (got != receipt_at.end()) {
      j["site_receipt_at"] = Local(got->second, offset);
      std::optional<WallTime> hour;
      const json deadlines = rev.schedule.is_object() ? rev.schedule.value("deadlines", json::array()) : json::array();
      for (const auto& d : deadlines) {
        if (d.is_object() && d.value("key", "") == "notify_by") {
          if (auto at = ParseRfc3339(d.value("at", "")); at.ok()) hour = at->instant;
        }
      }
      auto at = ParseRfc3339(got->second);
      if (hour && at.ok()) j["site_in_time"] = at->instant <= *hour;
    }
    revisions.push_back(std::move(j));
  }
  // A due time that passed unconfirmed stays on the record as the journal has
  // it, whatever the notification became afterwards (confirmed late, or
  // cancelled once the site accepted the late submission).
  std::map<int64_t, std::string> missed_at;
  for (const auto& e : r.entries) {
    if (e.type != "notification.deadline_missed") continue;
    json p = json::parse(e.payload, nullptr, false);
    if (p.is_object() && p.contains("notification") && p["notification"].is_number_integer()) {
      missed_at.emplace(p["notification"].get<int64_t>(), Local(e.wall_time, offset));
    }
  }
  json notifications = json::array();
  for (const auto& n : r.notifications) {
    auto name = names.find(n.recipient);
    json j = {{"id", n.id}, {"revision", n.revision}, {"recipient", n.recipient},
              {"name", name == names.end() ? n.recipient : name->second}, {"state", n.state},
              {"due_at", n.due_at}, {"loud", n.loud}};
    auto missed = missed_at.find(n.id);
    if (missed != missed_at.end()) j["missed_at"] = missed->second;
    notifications.push_back(std::move(j));
  }
  json tasks = json::array();
  for (const auto& t : r.tasks) tasks.push_back(PhoneTaskToJson(t));
  return {{"id", first.id},
          {"offset_minutes", offset},
          {"revisions", revisions},
          {"notifications", notifications},
          {"attempts", AttemptsToJson(r)},
          {"phone_tasks", tasks},
          {"timeline", TimelineToJson(r, aware.ok() ? aware->instant : WallTime{}, offset)}};
}

void GetRecord(IntakeApi& api, AsyncStore& store, const std::string& id, http::Reply reply) {
  auto record = std::make_shared<Record>();
  store.Run([id, record](Store& st) { return ReadRecord(st, id, record.get()); },
            [&api, record, reply](Status s) {
              if (!s.ok()) return reply(ResponseFromStatus(s));
              reply(JsonResponse(200, RecordToJson(*record, api.recipient_names())));
            });
}

std::optional<int64_t> PositiveNumber(std::string_view text) {
  int64_t v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || end != text.data() + text.size() || v <= 0) return std::nullopt;
  return v;
}

// Rendered pages, by attempt and page: the TIFF is evidence and never changes.
class PngCache {
 public:
  const std::string* Find(int64_t attempt, int64_t page) const {
    for (const auto& e : entries_) {
      if (e.attempt == attempt && e.page == page) return &e.png;
    }
    return nullptr;
  }
  void Add(int64_t attempt, int64_t page, std::string png) {
    entries_.push_front({attempt, page, std::move(png)});
    if (entries_.size() > 16) entries_.pop_back();
  }

 private:
  struct Entry {
    int64_t attempt, page;
    std::string png;
  };
  std::list<Entry> entries_;
};

// Runs on the store's worker, the daemon's one thread for blocking work: a
// page decodes and encodes in tens of milliseconds, once (PngCache).
Result<std::string> RenderFaxPage(Store& st, int64_t attempt_id, int64_t page, const std::string& fax_dir) {
  auto attempt = st.GetAttempt(attempt_id);
  if (!attempt.ok()) return attempt.status();
  if (attempt->first.channel != "fax") return NotFound("attempt " + std::to_string(attempt_id) + " is no fax");
  auto path = FaxCopyInside(attempt->first.evidence, fax_dir);
  if (!path.ok()) return path.status();
  auto pages = fax::ReadTiffPages(*path);
  if (!pages.ok()) return pages.status();
  if (page > static_cast<int64_t>(pages->size())) {
    return NotFound("the fax has " + std::to_string(pages->size()) + " page(s)");
  }
  auto res = fax::ReadTiffResolution(*path);
  if (!res.ok()) return res.status();
  return fax::EncodePngPreview({(*pages)[page - 1]}, *res, 0);
}

void GetFaxPage(AsyncStore& store, const std::shared_ptr<PngCache>& cache, const std::string& fax_dir,
                const std::vector<std::string>& p, http::Reply reply) {
  const std::string& file = p[4];
  auto attempt = PositiveNumber(p[2]);
  auto page = file.size() > 4 && file.ends_with(".png") ? PositiveNumber(file.substr(0, file.size() - 4))
                                                        : std::nullopt;
  if (!attempt || !page) {
    return reply(ErrorResponse(404, "not_found", "use /v1/attempts/{id}/fax/{page}.png (positive numbers)",
                               "查無此傳真頁面"));
  }
  auto png_reply = [reply](const std::string& png) {
    http::Response r;
    r.status = 200;
    r.headers.Add("content-type", "image/png");
    r.body = png;
    reply(r);
  };
  if (const std::string* hit = cache->Find(*attempt, *page)) return png_reply(*hit);
  auto png = std::make_shared<std::string>();
  store.Run(
      [a = *attempt, n = *page, fax_dir, png](Store& st) {
        auto r = RenderFaxPage(st, a, n, fax_dir);
        if (r.ok()) *png = std::move(*r);
        return r.status();
      },
      [cache, a = *attempt, n = *page, png, png_reply, reply](Status s) {
        if (!s.ok()) return reply(ResponseFromStatus(s));
        cache->Add(a, n, *png);
        png_reply(*png);
      });
}

}  // namespace

Result<std::string> FaxCopyInside(const json& evidence, const std::string& fax_dir) {
  const json* channel = evidence.is_object() && evidence.contains("evidence") ? &evidence["evidence"] : nullptr;
  if (!channel || !channel->is_object() || !channel->contains("tiff") || !(*channel)["tiff"].is_string()) {
    return NotFound("this attempt kept no copy of the fax");
  }
  std::error_code ec;
  const fs::path dir = fs::canonical(fax_dir, ec);
  if (ec) return NotFound("no fax folder " + fax_dir);
  const fs::path file = fs::weakly_canonical((*channel)["tiff"].get<std::string>(), ec);
  if (ec) return NotFound("the fax copy is gone");
  const fs::path rel = file.lexically_relative(dir);
  if (rel.empty() || rel.is_absolute() || *rel.begin() == ".." || *rel.begin() == ".") {
    return Status(StatusCode::kPermissionDenied, "the attempt's copy is not in the fax folder");
  }
  if (!fs::is_regular_file(file, ec)) return NotFound("the fax copy is gone");
  return file.string();
}

void AddRecordRoutes(IntakeApi& api, AsyncStore& store, const std::string& state_dir) {
  // Sub-resources of a report that IntakeApi does not answer itself.
  api.AddCollection("reports", [&api, &store](const http::Request& req, const std::vector<std::string>& p,
                                              const Principal&, http::Reply reply) {
    if (p.size() == 4 && p[3] == "record" && req.method == "GET") return GetRecord(api, store, p[2], reply);
    const bool known = p.size() <= 3 || (p.size() == 4 && (p[3] == "record" || p[3] == "revisions"));
    if (known) {
      return reply(ErrorResponse(405, "method_not_allowed", req.method + " is not allowed on " + req.target,
                                 "不支援此方法"));
    }
    reply(ErrorResponse(404, "not_found", "no such endpoint: " + req.target, "無此路徑"));
  });
  auto cache = std::make_shared<PngCache>();
  api.AddCollection("attempts", [&store, cache, fax_dir = state_dir + "/fax"](
                                    const http::Request& req, const std::vector<std::string>& p, const Principal&,
                                    http::Reply reply) {
    if (p.size() == 5 && p[3] == "fax" && req.method == "GET") return GetFaxPage(store, cache, fax_dir, p, reply);
    reply(ErrorResponse(404, "not_found", "no such endpoint: " + req.target, "無此路徑"));
  });
}

}  // namespace lifeline
