// The intake: lifelined's JSON API (proto/console-api.yaml), the one layer
// that knows HTTP. IntakeApi turns a request into validation, a schedule from
// the rules and a store job (a report is acknowledged with 201 only after its
// transaction committed), and routes phone tasks and drills to their modules.
// IntakeServer serves it as HTTP/1.1 on a Unix socket. Nothing else in the
// daemon includes this header but main. io_context thread only.
#pragma once

#include <asio/io_context.hpp>
#include <asio/local/stream_protocol.hpp>
#include <nlohmann/json.hpp>

#include <functional>
#include <map>
#include <vector>
#include <memory>
#include <string>

#include "daemon/channels/phone/phone.h"
#include "daemon/core/clock.h"
#include "daemon/drill/drill.h"
#include "daemon/http/http.h"
#include "daemon/rules/rules.h"
#include "daemon/store/store.h"

namespace lifeline {

class IntakeApi {
 public:
  using Reply = http::Reply;
  IntakeApi(AsyncStore& store, const RuleSet& rules) : store_(store), rules_(rules) {}
  void Handle(const http::Request& request, Reply reply);
  // Files a report (revision_of empty) or a revision of report `revision_of`
  // from its JSON text, answering as POST /v1/reports does.
  void FileReport(const std::string& body, const std::string& revision_of, Reply reply);

  // Called on the io thread for each revision stored for the first time (after its commit).
  std::function<void(StoredRevision)> on_stored;

  // Another module's endpoints under /v1/<collection>[/...]; `path` is the
  // split path ("v1", collection, ...).
  using Handler = std::function<void(const http::Request&, const std::vector<std::string>& path, Reply)>;
  void AddCollection(const std::string& collection, Handler handler) { collections_[collection] = std::move(handler); }

 private:
  void GetReport(const std::string& id, Reply reply);
  void ListReports(Reply reply);

  AsyncStore& store_;
  const RuleSet& rules_;
  std::map<std::string, Handler> collections_;
};

// Responses in the API's shape: JSON bodies; errors carry a code and the
// message in English and zh-TW; a Status maps to its HTTP status.
http::Response JsonResponse(int status, const nlohmann::json& body);
http::Response ErrorResponse(int status, std::string_view code, const std::string& en, const std::string& zh);
http::Response ResponseFromStatus(const Status& s);

// The phone tasks' endpoints: GET /v1/phone-tasks [?state=all],
// GET /v1/phone-tasks/{id}, POST /v1/phone-tasks/{id}/confirm with
// {answered_by, answered_at (RFC 3339 with offset), note?}.
void AddPhoneRoutes(IntakeApi& api, AsyncStore& store, PhoneRunner& runner);
// The drills' endpoints: POST /v1/drills {name, scenario, outage_seconds,
// report}; GET /v1/drills; GET /v1/drills/{id} with the timeline.
void AddDrillRoutes(IntakeApi& api, DrillDesk& desk, const Clock& clock);

// JSON of a stored revision as the API returns it.
nlohmann::json RevisionToJson(const StoredRevision& r, bool include_document);

class IntakeServer {
 public:
  // Binds `socket_path` (mode 0660, group `group` when not empty). A live
  // socket at that path means another lifelined runs: that is an error.
  static Result<std::unique_ptr<IntakeServer>> Listen(asio::io_context& io, const std::string& socket_path,
                                                      const std::string& group, IntakeApi& api);
  ~IntakeServer();

 private:
  IntakeServer(asio::io_context& io, IntakeApi& api, std::string path)
      : acceptor_(io), api_(api), path_(std::move(path)) {}
  void Accept();

  asio::local::stream_protocol::acceptor acceptor_;
  IntakeApi& api_;
  std::string path_;
};

}  // namespace lifeline
