// The report's journal entries, each with its chain fields, and the entries
// just before and after each (their MACs only: other reports' details stay
// out), so the chain can be followed through the report's part of it; and the
// site's side of the record: every submission, attempt and receipt.
#include <map>
#include <set>

#include "daemon/export/parts.h"

namespace lifeline::evidence_export {
namespace {

using nlohmann::json;

Result<evidence::JournalHead> Head(sql::Db& db) {
  auto st = db.Prepare("SELECT seq, mac FROM journal ORDER BY seq DESC LIMIT 1");
  if (!st.ok()) return st.status();
  auto row = st->Step();
  if (!row.ok()) return row.status();
  if (!*row) return FailedPrecondition("the journal is empty");
  std::vector<uint8_t> mac = st->Blob(1);
  Mac m{};
  if (mac.size() != m.size()) return Corruption("journal entry " + std::to_string(st->Int(0)) + " has no 32-byte MAC");
  std::copy(mac.begin(), mac.end(), m.begin());
  return evidence::JournalHead{st->Int(0), HexMac(m)};
}

std::string Hex(const std::vector<uint8_t>& bytes) {
  Mac m{};
  if (bytes.size() != m.size()) return "";
  std::copy(bytes.begin(), bytes.end(), m.begin());
  return HexMac(m);
}

// A neighbour: where it sits in the chain, not what it says.
Result<std::optional<json>> Neighbour(sql::Db& db, int64_t seq) {
  auto st = db.Prepare("SELECT seq, wall_time, type, prev_mac, mac FROM journal WHERE seq = ?");
  if (!st.ok()) return st.status();
  st->Bind(1, seq);
  auto row = st->Step();
  if (!row.ok()) return row.status();
  if (!*row) return std::optional<json>();
  return std::optional<json>(json{{"seq", st->Int(0)}, {"wall_time", st->Text(1)}, {"type", st->Text(2)},
                                  {"prev_mac", Hex(st->Blob(3))}, {"mac", Hex(st->Blob(4))}, {"of_report", false}});
}

json EntryLine(const JournalEntry& e) {
  return {{"seq", e.seq},           {"wall_time", e.wall_time}, {"mono_us", e.mono_us},
          {"clock_source", e.clock_source}, {"type", e.type}, {"report_id", e.report_id},
          {"payload", e.payload},   {"prev_mac", HexMac(e.prev_mac)}, {"mac", HexMac(e.mac)},
          {"of_report", true}};
}

Status AddEntries(Store& store, const record::RecordView& r, int64_t head_seq, Collector& out) {
  std::set<int64_t> own, around;
  for (const auto& e : r.journal) own.insert(e.seq);
  for (int64_t s : own) {
    for (int64_t n : {s - 1, s + 1}) {
      if (n >= 1 && n <= head_seq && !own.count(n)) around.insert(n);
    }
  }
  std::map<int64_t, json> lines;
  for (const auto& e : r.journal) lines[e.seq] = EntryLine(e);
  for (int64_t n : around) {
    auto j = Neighbour(store.db(), n);
    if (!j.ok()) return j.status();
    if (*j) lines[n] = std::move(**j);
  }
  std::string text;
  for (const auto& [seq, line] : lines) text += line.dump(-1, ' ', false, json::error_handler_t::replace) + "\n";
  return out.Add("journal/entries.jsonl", std::move(text),
                 "the report's journal entries (payload as MAC'd) and each one's neighbours' chain fields");
}

Status AddSite(Store& store, const record::RecordView& r, Collector& out) {
  static const std::set<std::string> kSite = {"site.submit", "site.attempt.start", "site.attempt.end",
                                              "report.site_receipt", "report.stage_receipt", "report.state"};
  json steps = json::array();
  for (const auto& e : r.journal) {
    if (!kSite.count(e.type)) continue;
    steps.push_back({{"journal_seq", e.seq}, {"at", e.wall_time}, {"type", e.type},
                     {"detail", json::parse(e.payload, nullptr, false)}});
  }
  json late = json::array();
  for (const StoredRevision& rev : r.revisions) {
    auto fallback = store.FallbackOf(rev.id, rev.revision);
    if (!fallback.ok()) return fallback.status();
    if (fallback->is_null()) continue;
    late.push_back({{"revision", rev.revision}, {"state", rev.state}, {"site_receipt", rev.site_receipt},
                    {"fallback", *fallback}});
  }
  json receipts = json::array();
  for (const StoredRevision& rev : r.revisions) {
    receipts.push_back({{"revision", rev.revision}, {"idempotency_key", rev.idempotency_key},
                        {"site_receipt", rev.site_receipt}});
  }
  for (const StoredStage& s : r.stages) {
    receipts.push_back({{"stage", s.stage}, {"version", s.version}, {"idempotency_key", s.idempotency_key},
                        {"site_receipt", s.site_receipt}});
  }
  return out.Add("site/submissions.json",
                 JsonFile({{"receipts", receipts}, {"late_submissions", late}, {"steps", steps}}),
                 "the site's receipts, each late submission's reason, every submission and attempt");
}

}  // namespace

Result<evidence::JournalHead> AddJournal(Store& store, const record::RecordView& r, Collector& out) {
  auto head = Head(store.db());
  if (!head.ok()) return head.status();
  LIFELINE_RETURN_IF_ERROR(AddEntries(store, r, head->seq, out));
  LIFELINE_RETURN_IF_ERROR(AddSite(store, r, out));
  return head;
}

}  // namespace lifeline::evidence_export
