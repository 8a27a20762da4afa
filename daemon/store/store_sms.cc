// The SMS part ledger in the store: every message's parts with their PDUs,
// states, network references and status reports, so a message resumes after a
// crash at its first unsent part with the same PDUs and concatenation
// reference. Each write is journaled in its transaction, under the report the
// message belongs to ("attempt-<id>" messages), so a part handed to the modem
// is on record before it leaves.
#include <filesystem>
#include <set>

#include "daemon/store/store.h"

namespace lifeline {
namespace {

using nlohmann::json;

constexpr const char* kPartColumns =
    "SELECT idx, state, pdu, tpdu_length, attempts, message_ref, sent_at_us, error_code,"
    " COALESCE(error_detail,''), COALESCE(delivery,''), report_status, COALESCE(discharge_time,'')"
    " FROM sms_part WHERE message_id = ? ORDER BY idx";

SmsPartRow ReadPart(const sql::Stmt& st) {
  SmsPartRow p;
  p.index = static_cast<int>(st.Int(0));
  p.state = st.Text(1);
  p.pdu_hex = st.Text(2);
  p.tpdu_length = static_cast<int>(st.Int(3));
  p.attempts = static_cast<int>(st.Int(4));
  if (!st.IsNull(5)) p.message_ref = static_cast<int>(st.Int(5));
  if (!st.IsNull(6)) p.sent_at_us = st.Int(6);
  if (!st.IsNull(7)) p.error_code = static_cast<int>(st.Int(7));
  p.error_detail = st.Text(8);
  p.delivery = st.Text(9);
  if (!st.IsNull(10)) p.report_status = static_cast<int>(st.Int(10));
  p.discharge_time = st.Text(11);
  return p;
}

json PartEntry(const std::string& id, const SmsPartRow& p) {
  json j = {{"message_id", id}, {"part", p.index}, {"state", p.state}, {"attempts", p.attempts}};
  if (p.message_ref) j["message_ref"] = *p.message_ref;
  if (p.error_code) j["error_code"] = *p.error_code;
  if (!p.error_detail.empty()) j["error"] = p.error_detail;
  return j;
}

bool KnownState(const std::string& s) {
  static const std::set<std::string> kStates = {"sending", "sent", "not_sent", "failed"};
  return kStates.count(s) > 0;
}

}  // namespace

// "attempt-<id>" is the escalation engine's message for that attempt; its
// journal entries belong to the attempt's report. Other messages (a manual
// test) belong to none.
std::string Store::ReportOfSmsMessage(const std::string& message_id) {
  constexpr std::string_view kPrefix = "attempt-";
  if (message_id.compare(0, kPrefix.size(), kPrefix) != 0) return "";
  int64_t attempt = 0;
  try {
    attempt = std::stoll(message_id.substr(kPrefix.size()));
  } catch (const std::exception&) {
    return "";
  }
  auto st = db_->Prepare(
      "SELECT n.report_id FROM attempts a JOIN notifications n ON n.id = a.notification_id WHERE a.id = ?");
  if (!st.ok()) return "";
  st->Bind(1, attempt);
  auto row = st->Step();
  return row.ok() && *row ? st->Text(0) : "";
}

Result<SmsMessageRow> Store::SmsLoad(const std::string& id) {
  auto msg = db_->Prepare("SELECT recipient, text, concat_ref FROM sms_message WHERE id = ?");
  if (!msg.ok()) return msg.status();
  msg->Bind(1, id);
  auto found = msg->Step();
  if (!found.ok()) return found.status();
  if (!*found) return NotFound("no sms message " + id);
  SmsMessageRow m{id, msg->Text(0), msg->Text(1), static_cast<int>(msg->Int(2)), {}};
  auto parts = db_->Prepare(kPartColumns);
  if (!parts.ok()) return parts.status();
  parts->Bind(1, id);
  for (;;) {
    auto row = parts->Step();
    if (!row.ok()) return row.status();
    if (!*row) break;
    m.parts.push_back(ReadPart(*parts));
  }
  if (m.parts.empty()) return Corruption("sms message " + id + " has no parts");
  return m;
}

Result<SmsMessageRow> Store::SmsCreate(const std::string& id, const std::string& recipient, const std::string& text,
                                       const SmsEncoder& encode) {
  Status s = InTransaction([&]() -> Status {
    auto exists = db_->Prepare("SELECT 1 FROM sms_message WHERE id = ?");
    if (!exists.ok()) return exists.status();
    exists->Bind(1, id);
    auto row = exists->Step();
    if (!row.ok()) return row.status();
    if (*row) return AlreadyExists("sms message " + id + " exists");
    auto next = db_->QueryInt("SELECT COALESCE((SELECT value FROM sms_meta WHERE key = 'next_concat_ref'), 1)");
    if (!next.ok()) return next.status();
    const int ref = static_cast<int>(*next % 256);
    auto parts = encode(ref);
    if (!parts.ok()) return parts.status();
    if (parts->empty()) return InvalidArgument("sms message " + id + " has no parts");
    auto meta = db_->Prepare("INSERT OR REPLACE INTO sms_meta(key, value) VALUES ('next_concat_ref', ?)");
    if (!meta.ok()) return meta.status();
    LIFELINE_RETURN_IF_ERROR(meta->Bind(1, (ref + 1) % 256).Run());
    auto ins = db_->Prepare(
        "INSERT INTO sms_message(id, recipient, text, concat_ref, part_count) VALUES (?, ?, ?, ?, ?)");
    if (!ins.ok()) return ins.status();
    LIFELINE_RETURN_IF_ERROR(
        ins->Bind(1, id).Bind(2, recipient).Bind(3, text).Bind(4, ref).Bind(5, int64_t(parts->size())).Run());
    auto part = db_->Prepare(
        "INSERT INTO sms_part(message_id, idx, pdu, tpdu_length, state) VALUES (?, ?, ?, ?, 'not_sent')");
    if (!part.ok()) return part.status();
    for (const SmsPartRow& p : *parts) {
      LIFELINE_RETURN_IF_ERROR(part->Reset());
      LIFELINE_RETURN_IF_ERROR(part->Bind(1, id).Bind(2, p.index).Bind(3, p.pdu_hex).Bind(4, p.tpdu_length).Run());
    }
    json pdus = json::array();
    for (const SmsPartRow& p : *parts) pdus.push_back(p.pdu_hex);
    return Journal("sms.message", ReportOfSmsMessage(id),
                   {{"message_id", id}, {"recipient", recipient}, {"concat_ref", ref}, {"pdus", pdus}})
        .status();
  });
  if (!s.ok()) return s;
  return SmsLoad(id);
}

Result<SmsMessageRow> Store::SmsChangePart(const std::string& id, int index, const SmsPartChange& c) {
  if (!KnownState(c.state)) return InvalidArgument("unknown sms part state '" + c.state + "'");
  Status s = InTransaction([&]() -> Status {
    // A part the network accepted never goes back to sending.
    const char* guard = c.state == "sending" ? " AND state IN ('not_sent','sending')" : "";
    auto up = db_->Prepare(std::string("UPDATE sms_part SET state = ?, attempts = attempts + ?,"
                                       " message_ref = COALESCE(?, message_ref), sent_at_us = COALESCE(?, sent_at_us),"
                                       " error_code = COALESCE(?, error_code), error_detail = COALESCE(?, error_detail)"
                                       " WHERE message_id = ? AND idx = ?") +
                           guard);
    if (!up.ok()) return up.status();
    up->Bind(1, c.state).Bind(2, c.state == "sending" ? 1 : 0);
    c.message_ref ? up->Bind(3, *c.message_ref) : up->BindNull(3);
    c.sent_at_us ? up->Bind(4, *c.sent_at_us) : up->BindNull(4);
    c.error_code ? up->Bind(5, *c.error_code) : up->BindNull(5);
    c.error_detail ? up->Bind(6, *c.error_detail) : up->BindNull(6);
    LIFELINE_RETURN_IF_ERROR(up->Bind(7, id).Bind(8, index).Run());
    if (sqlite3_changes(db_->raw()) == 0) {
      return NotFound("no sms part " + std::to_string(index) + " of " + id + " that can become " + c.state);
    }
    auto m = SmsLoad(id);
    if (!m.ok()) return m.status();
    return Journal("sms.part", ReportOfSmsMessage(id), PartEntry(id, m->parts[size_t(index - 1)])).status();
  });
  if (!s.ok()) return s;
  return SmsLoad(id);
}

Result<std::optional<SmsReportMatch>> Store::SmsRecordReport(const SmsReportRow& r) {
  std::optional<SmsReportMatch> match;
  Status s = InTransaction([&]() -> Status {
    auto find = db_->Prepare(
        "SELECT p.message_id, p.idx FROM sms_part p JOIN sms_message m ON m.id = p.message_id"
        " WHERE p.message_ref = ? AND p.state = 'sent' AND m.recipient = ? ORDER BY p.sent_at_us DESC LIMIT 1");
    if (!find.ok()) return find.status();
    find->Bind(1, r.message_ref).Bind(2, r.recipient);
    auto row = find->Step();
    if (!row.ok()) return row.status();
    json entry = {{"message_ref", r.message_ref}, {"recipient", r.recipient}, {"delivery", r.delivery},
                  {"tp_st", r.status},           {"discharge_time", r.discharge_time}, {"pdu", r.pdu_hex}};
    // A report for no part we know is kept as evidence all the same.
    if (!*row) return Journal("sms.report.unmatched", "", entry).status();
    const std::string id = find->Text(0);
    const int index = static_cast<int>(find->Int(1));
    auto up = db_->Prepare(
        "UPDATE sms_part SET delivery = ?, report_status = ?, discharge_time = ? WHERE message_id = ? AND idx = ?");
    if (!up.ok()) return up.status();
    LIFELINE_RETURN_IF_ERROR(
        up->Bind(1, r.delivery).Bind(2, r.status).Bind(3, r.discharge_time).Bind(4, id).Bind(5, index).Run());
    entry["message_id"] = id;
    entry["part"] = index;
    LIFELINE_RETURN_IF_ERROR(Journal("sms.report", ReportOfSmsMessage(id), entry).status());
    auto m = SmsLoad(id);
    if (!m.ok()) return m.status();
    match = SmsReportMatch{std::move(*m), index};
    return Status::Ok();
  });
  if (!s.ok()) return s;
  return match;
}

// Copies the attached legacy ledger's rows and journals how many.
Status Store::CopySmsLedger(const std::string& path) {
  LIFELINE_RETURN_IF_ERROR(db_->Exec(
      "INSERT OR IGNORE INTO sms_message SELECT id, recipient, text, concat_ref, part_count"
      " FROM legacy.sms_message;"
      "INSERT OR IGNORE INTO sms_part SELECT message_id, idx, pdu, tpdu_length, state, attempts,"
      " message_ref, sent_at_us, error_code, error_detail, delivery, report_status,"
      " discharge_time FROM legacy.sms_part;"
      "INSERT OR REPLACE INTO sms_meta SELECT key, value FROM legacy.sms_meta;"));
  auto messages = db_->QueryInt("SELECT count(*) FROM legacy.sms_message");
  auto parts = db_->QueryInt("SELECT count(*) FROM legacy.sms_part");
  if (!messages.ok()) return messages.status();
  if (!parts.ok()) return parts.status();
  return Journal("sms.ledger.imported", "",
                 {{"from", path}, {"messages", *messages}, {"parts", *parts}, {"renamed_to", path + ".imported"}})
      .status();
}

// The ledger file of schema version 1 (before it moved into the store): its
// rows are copied in one transaction with a journal entry, then the file is
// renamed, so a second start does not copy it again. A crash between the
// commit and the rename copies nothing twice (INSERT OR IGNORE).
Status Store::ImportSmsLedger(const std::string& path) {
  std::error_code ec;
  if (path.empty() || !std::filesystem::exists(path, ec)) return Status::Ok();
  auto attach = db_->Prepare("ATTACH DATABASE ? AS legacy");
  if (!attach.ok()) return attach.status();
  LIFELINE_RETURN_IF_ERROR(attach->Bind(1, path).Run());
  auto version = db_->QueryInt("PRAGMA legacy.user_version");
  Status s = version.status();
  if (s.ok() && *version != 1) {
    s = FailedPrecondition(path + " has SMS ledger schema version " + std::to_string(*version) +
                           "; only version 1 can be imported");
  }
  if (s.ok()) s = InTransaction([&] { return CopySmsLedger(path); });
  db_->Exec("DETACH DATABASE legacy").IgnoreError();  // the import's verdict is `s`
  if (!s.ok()) return s;
  std::filesystem::rename(path, path + ".imported", ec);
  if (ec) return IoError("imported " + path + " but cannot rename it: " + ec.message());
  for (const char* suffix : {"-wal", "-shm"}) std::filesystem::remove(path + suffix, ec);
  return Status::Ok();
}

}  // namespace lifeline
