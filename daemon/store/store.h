// The durable store: report revisions, required notifications, channel
// attempts with evidence and replay status, in one SQLite file (WAL,
// synchronous=FULL), with every state change journaled in the same
// transaction. A call returns success only after COMMIT returned. A failed
// COMMIT is reported as kUnknownOutcome: the caller retries with the same
// report revision, which can never create a second copy (its idempotency key is
// UNIQUE). Store is used by one thread; AsyncStore runs it on a worker thread
// with group commit and posts results back to an io_context.
#pragma once

#include <asio/io_context.hpp>
#include <nlohmann/json.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <condition_variable>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "daemon/core/clock.h"
#include "daemon/core/status.h"
#include "daemon/journal/journal.h"
#include "daemon/report/report.h"
#include "daemon/store/sqlite.h"

namespace lifeline {

inline constexpr int kStoreSchemaVersion = 8;

// Report revision: queued -> accepted (site receipt in time)
//                  queued -> fallback (other channels used) -> accepted_late (補行通報)
//                  accepted | accepted_late -> closed (stage 3 recorded; the latest revision only)
enum class ReportState { kQueued, kAccepted, kFallback, kAcceptedLate, kClosed };
// Notification of one recipient: pending -> in_progress -> confirmed | failed;
// pending | in_progress -> cancelled (the site accepted first); failed -> in_progress (retry).
enum class NotificationState { kPending, kInProgress, kConfirmed, kFailed, kCancelled };

std::string_view Name(ReportState s);
std::string_view Name(NotificationState s);
Result<ReportState> ParseReportState(std::string_view s);
Result<NotificationState> ParseNotificationState(std::string_view s);
// kFailedPrecondition naming both states when the move is not allowed.
Status CheckTransition(ReportState from, ReportState to);
Status CheckTransition(NotificationState from, NotificationState to);

struct StoreOptions {
  std::string db_path;
  std::string key_path;
  std::string vfs;                          // "" = default; fault tests pass a shim
  int migrate_to = kStoreSchemaVersion;     // tests build old databases
  // The SMS part ledger's own file from before schema version 5: when it
  // exists it is copied in at open and then renamed to <path>.imported.
  std::string legacy_sms_ledger;
};

struct StoredRevision {
  std::string id;
  int revision = 0;
  int level = 0;
  bool drill = false;
  std::string state;
  std::string aware_at;
  std::string received_at;
  std::string idempotency_key;
  std::string document_sha256;
  std::string site_receipt;
  std::string rules_id;
  nlohmann::json schedule;  // the deadlines as computed at receipt
  nlohmann::json document;
};

// What a listing reads of each revision in the document's place: the whole
// document, nothing (null), or only the facts the escalation plan needs
// ({agency: {name}, category, reporter: {phone}, aware_at, affects_others: {affected}}).
enum class RevisionContent { kWhole, kNoDocument, kPlanFacts };

inline constexpr size_t kMaxPageSize = 1000;

struct PageQuery {
  std::string cursor;  // "" = the first page, else the previous page's `next`
  size_t limit = 100;  // 1 to kMaxPageSize
  RevisionContent content = RevisionContent::kNoDocument;
  bool open_only = false;  // only what the site has not accepted (queued, fallback)
};

// Where a batch of ListUnacknowledged ends: the last revision it listed.
struct UnacknowledgedAfter {
  int64_t aware_at_us = INT64_MIN;
  std::string report_id;
  int revision = 0;
};

struct RevisionPage {
  std::vector<StoredRevision> revisions;
  std::string next;  // "" when this was the last page
};

struct SubmitResult {
  StoredRevision stored;
  bool already_stored = false;  // the same revision was stored before: nothing new written
};

struct NotificationRow {
  int64_t id = 0;
  std::string report_id, recipient, state, due_at;
  int revision = 0;
  bool loud = false;  // the deadline came near unconfirmed: every channel at once
};

struct AttemptRow {
  int64_t id = 0;
  int64_t notification_id = 0;
  std::string channel, address, started_at, ended_at, outcome;  // ended_at "" while open
  nlohmann::json evidence;
};

// A call an operator must make, with the card to read from. Confirmed only by
// a person saying who answered and when.
struct PhoneTask {
  int64_t id = 0;
  int64_t attempt_id = 0;
  std::string report_id;
  int revision = 0;
  bool drill = false;
  std::string recipient, recipient_name, number, hours, script, reason, due_at, created_at;
  std::string state;  // open | confirmed | cancelled
  std::string answered_by, answered_at, note, confirmed_at;
  int reminders = 0;
};

// One SMS part as the ledger stores it (store_sms.cc). The SMS channel keeps
// its own types; these rows keep the store free of them.
struct SmsPartRow {
  int index = 1;
  std::string state = "not_sent";  // not_sent | sending | sent | failed
  std::string pdu_hex;
  int tpdu_length = 0;
  int attempts = 0;
  std::optional<int> message_ref;
  std::optional<int64_t> sent_at_us;
  std::optional<int> error_code;
  std::string error_detail;
  std::string delivery;  // "" until a status report: delivered | pending | failed
  std::optional<int> report_status;
  std::string discharge_time;
};

struct SmsMessageRow {
  std::string id, recipient, text;
  int concat_ref = 0;
  std::vector<SmsPartRow> parts;
};

// A change of one part's state; fields left empty keep their value.
struct SmsPartChange {
  std::string state;  // sending (attempts + 1) | sent | not_sent (a retry) | failed
  std::optional<int> message_ref;
  std::optional<int64_t> sent_at_us;
  std::optional<int> error_code;
  std::optional<std::string> error_detail;
};

// A status report as received, matched or not: evidence either way.
struct SmsReportRow {
  int message_ref = 0;
  std::string recipient;  // the number it is about, as the parts store it
  std::string delivery;   // delivered | pending | failed
  int status = 0;         // TP-ST
  std::string discharge_time, pdu_hex;
};

struct SmsReportMatch {
  SmsMessageRow message;
  int part_index = 0;
};

// A console account. The hash is a PHC argon2id string; it never leaves the box.
struct UserRow {
  std::string name, role, password_hash, created_at, changed_at;
  bool disabled = false;
};

// An API client (a script, the SOC): its token is stored only as a SHA-256.
struct TokenRow {
  std::string name, role, token_sha256, created_at;
  bool disabled = false;
};

// What the store holds, counted for the metrics (store_counts.cc).
struct StoreCounts {
  std::map<std::pair<std::string, bool>, int64_t> reports;              // (state, drill) of the latest revisions
  std::map<std::string, int64_t> notifications;                         // by state
  std::map<std::pair<std::string, std::string>, int64_t> attempts;      // (channel, outcome; "open" while open)
  int64_t journal_entries = 0;
  int64_t phone_tasks_open = 0;
  std::optional<int64_t> oldest_unaccepted_aware_at_us;  // revisions without a site receipt, drills aside
};

// A stage of the report's record: 2 (damage-control, 損害控制或復原) or 3
// (closing, 結案). Each distinct document of a stage is a version of its own,
// stored with the report's deadlines as recomputed then, and the site's
// receipt once the site has it.
struct StoredStage {
  std::string report_id;
  std::string stage;  // "damage-control" | "closing" (StageName)
  int version = 0;
  int report_revision = 0;
  std::string at;     // what the document records: completion (stage 2), submission (stage 3)
  std::string received_at, idempotency_key, document_sha256, site_receipt;
  std::string aware_at;         // the report's, for the replay's order
  bool report_on_site = false;  // the site holds some revision of the report: a stage may follow
  nlohmann::json document;
  nlohmann::json schedule;  // the report's deadlines with this stage on record
};

struct StageSubmitResult {
  StoredStage stored;
  bool already_stored = false;  // the same document was stored before: nothing new written
};

// The CISO's approval of a revision's level ("approval"), or one of the three
// signatures of the record ("reporter" 通報人員, "supervisor" 通報主管, "ciso"
// 資通安全長), with who, in which role, through what, when, and the digest of
// the record as it stood.
struct SignoffRow {
  int64_t id = 0;
  std::string report_id, kind;
  int revision = 0, level = 0;
  std::string user, role, via, at, record_sha256, note;
};

struct DrillRow {
  std::string id, report_id, name, scenario, started_at, outage_until, ended_at;
};

class Store {
 public:
  static Result<std::unique_ptr<Store>> Open(const StoreOptions& options, const Clock& clock);

  // Stores a validated revision with its computed schedule. Revision 1 starts a
  // report; revision N+1 must follow the latest stored N (a level change).
  Result<SubmitResult> Submit(const Report& report, const std::string& rules_id, nlohmann::json schedule);
  Result<std::vector<StoredRevision>> GetReport(const std::string& id);
  // The latest revision of every report, newest awareness last.
  Result<std::vector<StoredRevision>> ListLatest();
  // The latest revision of every report a page at a time, in the order they
  // were stored, so memory holds one page however large the store grows.
  Result<RevisionPage> ListLatestPage(const PageQuery& query);
  // The latest revision of the reports still in hand: not accepted by the
  // site, or aware of since `since` (their later deadlines run), and not
  // closed; newest awareness first, at most `limit`.
  Result<std::vector<StoredRevision>> OpenReports(WallTime since, size_t limit);
  // Every revision the national site has not acknowledged yet (no receipt), oldest awareness first.
  Result<std::vector<StoredRevision>> ListUnacknowledged();
  // The same a batch at a time: at most `limit` after `after`, in that order.
  Result<std::vector<StoredRevision>> ListUnacknowledged(const UnacknowledgedAfter& after, size_t limit);
  Status TransitionReport(const std::string& id, int revision, ReportState to,
                          const nlohmann::json& detail);
  Status SetSiteReceipt(const std::string& id, int revision, const std::string& receipt);

  Result<int64_t> AddNotification(const std::string& id, int revision, const std::string& recipient,
                                  const std::string& due_at);
  Status TransitionNotification(int64_t notification_id, NotificationState to,
                                const nlohmann::json& detail);
  Result<std::vector<NotificationRow>> Notifications(const std::string& id);
  // A channel attempt: journaled before it starts and when it ends.
  Result<int64_t> StartAttempt(int64_t notification_id, const std::string& channel, const std::string& address,
                               const nlohmann::json& detail);
  Status FinishAttempt(int64_t attempt_id, const std::string& outcome, const nlohmann::json& evidence);

  // Escalation state (store_escalation.cc). Every write is journaled.
  // queued -> fallback, keeping why (reason, class, outage start) for the late submission.
  Status EscalateReport(const std::string& id, int revision, const nlohmann::json& fallback);
  Result<nlohmann::json> FallbackOf(const std::string& id, int revision);  // null when none
  Result<ReportState> StateOf(const std::string& id, int revision);
  Status MarkNotificationLoud(int64_t notification_id, const std::string& why);
  // Every attempt for the report's notifications, oldest first.
  Result<std::vector<AttemptRow>> Attempts(const std::string& id);
  // One attempt by its id, with the report it belongs to; NotFound when none.
  Result<std::pair<AttemptRow, std::string>> GetAttempt(int64_t attempt_id);
  // Progress on an open attempt (an SMS accepted by the network, a fax to be retried).
  Status NoteAttempt(int64_t attempt_id, const std::string& summary, const nlohmann::json& evidence);

  // Idempotent on attempt_id: the existing task is returned after a restart.
  Result<PhoneTask> AddPhoneTask(const PhoneTask& task);
  Result<std::vector<PhoneTask>> PhoneTasks(bool open_only);
  Result<PhoneTask> GetPhoneTask(int64_t task_id);
  // open -> confirmed. NotFound / FailedPrecondition (already confirmed or cancelled).
  Result<PhoneTask> ConfirmPhoneTask(int64_t task_id, const std::string& answered_by,
                                     const std::string& answered_at, const std::string& note);
  Status CancelPhoneTask(int64_t attempt_id, const std::string& why);
  Status RemindPhoneTask(int64_t task_id);

  // A reminder of a later deadline, given once ("ahead" or "due"); false when already given.
  Result<bool> RecordReminder(const std::string& id, int revision, const std::string& deadline,
                              const std::string& kind, const nlohmann::json& payload);
  Result<std::vector<std::string>> RemindersGiven(const std::string& id, int revision);  // "key/kind"

  // The report's record (store_record.cc); every write is journaled. A stage
  // document already stored for its stage comes back as stored; another is
  // that stage's next version. The report must have the revision it follows.
  Result<StageSubmitResult> AddStage(const StageRecord& record, const nlohmann::json& schedule);
  Result<std::vector<StoredStage>> Stages(const std::string& id);  // by stage, then version
  // Stages the site has not acknowledged, oldest awareness first.
  Result<std::vector<StoredStage>> ListUnacknowledgedStages();
  Status SetStageReceipt(const std::string& id, const std::string& stage, int version, const std::string& receipt);
  Status AddSignoff(const SignoffRow& row);  // its id and `at` are set here
  Result<std::vector<SignoffRow>> Signoffs(const std::string& id);  // in the order given
  // The deadlines as they stand: the schedule stored with the report's newest
  // revision or stage, whichever came last; null for an unknown report.
  Result<nlohmann::json> CurrentSchedule(const std::string& id);

  Status StartDrill(const DrillRow& drill);
  Status EndDrill(const std::string& id);
  Result<std::vector<DrillRow>> Drills();

  // The SMS part ledger (store_sms.cc); every write is journaled with the
  // report the message belongs to. Create allocates a concatenation reference
  // not used by the last 255 messages and hands it to `encode`; AlreadyExists
  // if the id is taken. The others return the message as stored after them.
  using SmsEncoder = std::function<Result<std::vector<SmsPartRow>>(int concat_ref)>;
  Result<SmsMessageRow> SmsCreate(const std::string& id, const std::string& recipient, const std::string& text,
                                  const SmsEncoder& encode);
  Result<SmsMessageRow> SmsLoad(const std::string& id);  // NotFound if absent
  Result<SmsMessageRow> SmsChangePart(const std::string& id, int index, const SmsPartChange& change);
  // Attaches the report to the most recently sent part with its reference and
  // recipient; nullopt when none matches. Journaled either way.
  Result<std::optional<SmsReportMatch>> SmsRecordReport(const SmsReportRow& report);

  // Accounts and API tokens (store_accounts.cc). Every change is journaled
  // with `actor`, the person or process that made it; no hash or token is.
  Status AddUser(const UserRow& user, const std::string& actor);  // AlreadyExists
  Result<UserRow> GetUser(const std::string& name);                // NotFound
  Result<std::vector<UserRow>> Users();
  Status SetUserDisabled(const std::string& name, bool disabled, const std::string& actor);
  Status SetUserPassword(const std::string& name, const std::string& password_hash, const std::string& actor);
  Status AddToken(const TokenRow& token, const std::string& actor);
  Result<std::optional<TokenRow>> TokenBySha256(const std::string& token_sha256);
  Result<std::vector<TokenRow>> Tokens();
  Status SetTokenDisabled(const std::string& name, bool disabled, const std::string& actor);

  // A fact with no state change (daemon start/stop, clock step...), journaled.
  Status RecordEvent(std::string_view type, std::string_view report_id, const nlohmann::json& payload);

  Result<StoreCounts> Counts();
  // The last journal sequence the supervising agency's broker acknowledged
  // (0 = none yet), and its advance; the cursor never moves back.
  Result<int64_t> FleetCursor();
  Status AdvanceFleetCursor(int64_t acked_seq);
  // Notifications not yet confirmed or cancelled, of every report, with whether it is a drill's.
  Result<std::vector<std::pair<NotificationRow, bool>>> OpenNotifications();

  // "ok" or SQLite's list of problems.
  Result<std::string> IntegrityCheck();
  JournalVerdict VerifyJournal();
  Result<int64_t> SchemaVersion();

  // Group commit: Begin, several calls inside savepoints, Commit.
  Status Begin();
  Status Commit();  // kUnknownOutcome on failure; the connection is reopened
  void Rollback();
  Status Savepoint();
  void RollbackSavepoint();
  Status ReleaseSavepoint();

  sql::Db& db() { return *db_; }

  // Who the next writes are for: while an ActorScope lives, every journal
  // entry names them ("by"), unless the entry already does.
  class ActorScope {
   public:
    ActorScope(Store& store, std::string actor) : store_(store), previous_(std::move(store.actor_)) {
      store_.actor_ = std::move(actor);
    }
    ~ActorScope() { store_.actor_ = std::move(previous_); }
    ActorScope(const ActorScope&) = delete;
    ActorScope& operator=(const ActorScope&) = delete;

   private:
    Store& store_;
    std::string previous_;
  };

 private:
  Store(StoreOptions o, const Clock& c, JournalKey k) : options_(std::move(o)), clock_(c), key_(k) {}
  Status OpenDb();
  Status Run(const char* statement);  // a cached statement without parameters
  // Runs `body` in its own transaction unless a batch is already open.
  Status InTransaction(const std::function<Status()>& body);
  Result<int64_t> Journal(std::string_view type, std::string_view report_id, const nlohmann::json& p);
  Status InsertRevision(const StoredRevision& row, const Report& report, const std::string& document,
                        const nlohmann::json& schedule);
  Status ImportSmsLedger(const std::string& path);
  Status CopySmsLedger(const std::string& path);
  std::string ReportOfSmsMessage(const std::string& message_id);

  StoreOptions options_;
  const Clock& clock_;
  JournalKey key_;
  std::unique_ptr<sql::Db> db_;
  bool in_batch_ = false;
  bool compact_schedules_ = false;
  std::string actor_;  // see ActorScope  // schema version 4 or later
  struct KnownShape {
    std::string sha256, text;
  };
  const KnownShape* ShapeOf(const std::string& shape_key, const nlohmann::json& schedule);
  std::map<std::string, KnownShape> shapes_;  // DescribeSchedule's shape_key -> the shape (a pure function's memo)
};

// A consistent copy of the database at `db_path`, taken while lifelined may
// be writing it (SQLite's online backup), into the new file `out_path` (mode
// 0600, no WAL: one self-contained file). The journal key is not in it.
Status BackupDatabase(const std::string& db_path, const std::string& out_path);

// Runs a Store on its own worker thread. Jobs queued while a commit is in
// progress are committed together (group commit); each job runs in its own
// savepoint so one failure does not fail its neighbours. Completions are
// posted to `io`. Submit/Run may be called from any thread.
class AsyncStore {
 public:
  using Job = std::function<Status(Store&)>;
  using Done = std::function<void(Status)>;

  AsyncStore(std::unique_ptr<Store> store, asio::io_context& io);
  ~AsyncStore();  // finishes queued jobs, then joins the worker

  // Queues `job`; `done` runs on `io` after the job's batch committed (or failed).
  // A job that throws fails with kInternal; the worker goes on.
  void Run(Job job, Done done);
  // A job no caller waits on (a journal fact, a reminder given): a failure is
  // logged naming `what` and counted, never dropped silently.
  void RunInBackground(std::string what, Job job);
  // Failed background jobs since start, for metrics and tests.
  uint64_t background_failures() const { return background_failures_->load(); }
  // Runs on the worker after each batch that committed, with how long its
  // COMMIT took: the metrics' latency histogram and the hooks' journal
  // follower. It must be quick and must not throw; it may read the store.
  using CommitObserver = std::function<void(Store&, std::chrono::microseconds commit)>;
  void SetCommitObserver(CommitObserver observer);

 private:
  struct Pending {
    Job job;
    Done done;
  };
  void WorkerLoop();
  void RunBatch(std::vector<Pending>& batch, const CommitObserver* observer);

  std::unique_ptr<Store> store_;
  asio::io_context& io_;
  std::mutex mu_;  // guards queue_ and stopping_, shared by the io thread and the worker
  std::condition_variable cv_;
  std::deque<Pending> queue_;
  bool stopping_ = false;
  std::shared_ptr<const CommitObserver> observer_;  // guarded by mu_; the worker takes a copy per batch
  // Shared with the completions, which may outlive this object in a stopped io_context's queue.
  std::shared_ptr<std::atomic<uint64_t>> background_failures_ = std::make_shared<std::atomic<uint64_t>>(0);
  std::thread worker_;
};

}  // namespace lifeline
