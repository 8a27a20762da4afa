#include "daemon/journal/journal.h"
#include "daemon/core/text.h"

namespace lifeline {
namespace {

void PutU64(std::vector<uint8_t>& out, uint64_t v) {
  for (int i = 7; i >= 0; --i) out.push_back(static_cast<uint8_t>(v >> (i * 8)));
}

void PutField(std::vector<uint8_t>& out, std::string_view s) {
  PutU64(out, s.size());
  out.insert(out.end(), s.begin(), s.end());
}

// The exact bytes an entry's MAC covers: every field, length-prefixed, then
// the previous entry's MAC, so no field can be shifted into another.
std::vector<uint8_t> SignedBytes(const JournalEntry& e) {
  std::vector<uint8_t> out;
  PutField(out, "lifeline.journal/1");
  PutU64(out, static_cast<uint64_t>(e.seq));
  PutField(out, e.wall_time);
  PutU64(out, static_cast<uint64_t>(e.mono_us));
  PutField(out, e.clock_source);
  PutField(out, e.type);
  PutField(out, e.report_id);
  PutField(out, e.payload);
  out.insert(out.end(), e.prev_mac.begin(), e.prev_mac.end());
  return out;
}

Mac HeadMac(const JournalKey& key, int64_t seq, const Mac& last) {
  std::vector<uint8_t> m;
  PutField(m, "lifeline.journal.head/1");
  PutU64(m, static_cast<uint64_t>(seq));
  m.insert(m.end(), last.begin(), last.end());
  return key.Sign(m);
}

Mac ToMac(const std::vector<uint8_t>& v) {
  Mac m{};
  if (v.size() == m.size()) std::copy(v.begin(), v.end(), m.begin());
  return m;
}

std::vector<uint8_t> FromMac(const Mac& m) { return std::vector<uint8_t>(m.begin(), m.end()); }

struct Head {
  int64_t seq = 0;
  Mac last{}, mac{};
};

Result<Head> ReadHead(sql::Db& db) {
  auto st = db.Cached("SELECT seq, last_mac, head_mac FROM journal_head WHERE id = 1");
  if (!st.ok()) return st.status();
  auto row = (*st)->Step();
  if (!row.ok()) return row.status();
  Head h;
  if (*row) h = Head{(*st)->Int(0), ToMac((*st)->Blob(1)), ToMac((*st)->Blob(2))};
  (*st)->Reset().IgnoreError();  // release the read before the writes below
  return h;
}

}  // namespace

Status CreateJournalTables(sql::Db& db) {
  return db.Exec(
      "CREATE TABLE journal ("
      "  seq INTEGER PRIMARY KEY, wall_time TEXT NOT NULL, mono_us INTEGER NOT NULL,"
      "  clock_source TEXT NOT NULL, type TEXT NOT NULL, report_id TEXT NOT NULL,"
      "  payload TEXT NOT NULL, prev_mac BLOB NOT NULL, mac BLOB NOT NULL);"
      "CREATE INDEX journal_by_report ON journal(report_id, seq);"
      "CREATE TABLE journal_head ("
      "  id INTEGER PRIMARY KEY CHECK (id = 1), seq INTEGER NOT NULL,"
      "  last_mac BLOB NOT NULL, head_mac BLOB NOT NULL);");
}

Result<int64_t> AppendJournal(sql::Db& db, const JournalKey& key, const Clock& clock,
                              std::string_view type, std::string_view report_id,
                              const nlohmann::json& payload) {
  auto head = ReadHead(db);
  if (!head.ok()) return head.status();
  JournalEntry e;
  e.seq = head->seq + 1;
  e.wall_time = FormatUtcMicros(clock.Now());
  e.mono_us = std::chrono::duration_cast<std::chrono::microseconds>(
                  clock.Monotonic().time_since_epoch()).count();
  e.clock_source = std::string(clock.Source());
  e.type = std::string(type);
  e.report_id = std::string(report_id);
  e.payload = DumpJson(payload);  // never throws: evidence from outside may not be UTF-8
  e.prev_mac = head->last;
  e.mac = key.Sign(SignedBytes(e));
  auto ins = db.Cached(
      "INSERT INTO journal (seq, wall_time, mono_us, clock_source, type, report_id, payload,"
      " prev_mac, mac) VALUES (?,?,?,?,?,?,?,?,?)");
  if (!ins.ok()) return ins.status();
  (*ins)->Bind(1, e.seq).Bind(2, e.wall_time).Bind(3, e.mono_us).Bind(4, e.clock_source);
  (*ins)->Bind(5, e.type).Bind(6, e.report_id).Bind(7, e.payload).Bind(8, FromMac(e.prev_mac));
  (*ins)->Bind(9, FromMac(e.mac));
  LIFELINE_RETURN_IF_ERROR((*ins)->Run());
  auto up = db.Cached("INSERT OR REPLACE INTO journal_head (id, seq, last_mac, head_mac) VALUES (1,?,?,?)");
  if (!up.ok()) return up.status();
  (*up)->Bind(1, e.seq).Bind(2, FromMac(e.mac)).Bind(3, FromMac(HeadMac(key, e.seq, e.mac)));
  LIFELINE_RETURN_IF_ERROR((*up)->Run());
  return e.seq;
}

Result<std::vector<JournalEntry>> ReadJournal(sql::Db& db, std::optional<std::string> report_id) {
  auto st = db.Prepare(
      "SELECT seq, wall_time, mono_us, clock_source, type, report_id, payload, prev_mac, mac "
      "FROM journal WHERE ?1 IS NULL OR report_id = ?1 ORDER BY seq");
  if (!st.ok()) return st.status();
  if (report_id) st->Bind(1, *report_id); else st->BindNull(1);
  std::vector<JournalEntry> out;
  for (;;) {
    auto row = st->Step();
    if (!row.ok()) return row.status();
    if (!*row) break;
    out.push_back({st->Int(0), st->Text(1), st->Int(2), st->Text(3), st->Text(4), st->Text(5),
                   st->Text(6), ToMac(st->Blob(7)), ToMac(st->Blob(8))});
  }
  return out;
}

JournalVerdict VerifyJournal(sql::Db& db, const JournalKey& key) {
  JournalVerdict v;
  auto entries = ReadJournal(db, std::nullopt);
  auto head = ReadHead(db);
  if (!entries.ok() || !head.ok()) {
    v.reason = "cannot read the journal: " + (entries.ok() ? head.status() : entries.status()).ToString();
    return v;
  }
  Mac prev{};
  int64_t expected = 1;
  for (const JournalEntry& e : *entries) {
    auto bad = [&](int64_t seq, std::string why) {
      v.first_bad = seq;
      v.reason = std::move(why);
      return v;
    };
    if (e.seq > expected) {
      return bad(expected, "entry " + std::to_string(expected) + " is missing (the chain jumps from " +
                               std::to_string(expected - 1) + " to " + std::to_string(e.seq) + ")");
    }
    if (e.prev_mac != prev) {
      return bad(e.seq, "entry " + std::to_string(e.seq) +
                            " does not follow entry " + std::to_string(e.seq - 1) +
                            " (reordered, or an entry before it was replaced)");
    }
    if (key.Sign(SignedBytes(e)) != e.mac) {
      return bad(e.seq, "entry " + std::to_string(e.seq) + " was modified (its MAC does not verify)");
    }
    prev = e.mac;
    ++expected;
    ++v.entries;
  }
  if (head->seq == 0 && v.entries == 0) {
    v.ok = true;
    return v;
  }
  if (HeadMac(key, head->seq, head->last) != head->mac) {
    v.first_bad = v.entries + 1;
    v.reason = "the journal head record was modified";
    return v;
  }
  if (head->seq != v.entries || head->last != prev) {
    v.first_bad = v.entries + 1;
    v.reason = "the journal was truncated: it ends at entry " + std::to_string(v.entries) +
               " but its head names entry " + std::to_string(head->seq);
    return v;
  }
  v.ok = true;
  return v;
}

}  // namespace lifeline
