// GET /v1/reports/{id}/record.pdf and /evidence.tar: the printable record for
// the agency's files and the signed evidence bundle for auditors. Both are
// made on the store worker from one consistent read; the export journals
// evidence.exported with the bundle's SHA-256 in the same transaction, so
// the bundle leaves only once that entry committed.
#include <memory>

#include "daemon/core/log.h"
#include "daemon/export/export.h"
#include "daemon/intake/intake.h"
#include "daemon/record/record.h"

namespace lifeline {
namespace {

http::Response Bytes(std::string content_type, std::string body, const std::string& filename) {
  http::Response r;
  r.headers.Add("content-type", std::move(content_type));
  r.headers.Add("content-disposition", "attachment; filename=\"" + filename + "\"");
  r.body = std::move(body);
  return r;
}

bool Get(const http::Request& req, const std::vector<std::string>& p, const http::Reply& reply) {
  if (p.size() == 4 && (req.method == "GET" || req.method == "HEAD")) return true;
  reply(ErrorResponse(405, "method_not_allowed", req.method + " is not allowed on " + req.target, "不支援此方法"));
  return false;
}

void RecordPdf(IntakeApi& api, AsyncStore& store, const std::string& id, http::Reply reply) {
  auto pdf = std::make_shared<std::string>();
  store.Run(
      [&rules = api.rules(), id, pdf, now = api.clock().Now()](Store& s) -> Status {
        auto view = record::LoadRecord(s, id);
        if (!view.ok()) return view.status();
        auto bytes = print::RenderPdf(record::RecordDocument(*view, rules, now));
        if (!bytes.ok()) return bytes.status();
        *pdf = std::move(*bytes);
        return Status::Ok();
      },
      [id, pdf, reply](Status s) {
        if (!s.ok()) return reply(ResponseFromStatus(s));
        reply(Bytes("application/pdf", std::move(*pdf), "record-" + id + ".pdf"));
      });
}

Status Export(Store& s, const RuleSet& rules, const std::string& key_path, const std::string& id, WallTime now,
              evidence_export::Exported* out) {
  auto key = evidence::DeviceKey::LoadOrCreate(key_path);
  if (!key.ok()) return key.status();
  auto e = evidence_export::ExportEvidence(s, id, rules, *key, now);
  if (!e.ok()) return e.status();
  *out = std::move(*e);
  return s.RecordEvent("evidence.exported", id,
                       {{"sha256", out->sha256}, {"size", out->bundle.size()}, {"files", out->files},
                        {"journal_head", {{"seq", out->journal_head.seq}, {"mac", out->journal_head.mac}}},
                        {"device_key_sha256", key->public_key().Fingerprint()}, {"missing", out->missing}});
}

void EvidenceTar(IntakeApi& api, AsyncStore& store, const std::string& key_path, const std::string& id,
                 const Principal& who, http::Reply reply) {
  auto bundle = std::make_shared<evidence_export::Exported>();
  store.Run(
      [&rules = api.rules(), key_path, id, bundle, actor = who.name, now = api.clock().Now()](Store& s) {
        Store::ActorScope by(s, actor);
        return Export(s, rules, key_path, id, now, bundle.get());
      },
      [id, bundle, reply](Status s) {
        if (!s.ok()) return reply(ResponseFromStatus(s));
        spdlog::info("report {}: evidence bundle exported, {} files, SHA-256 {}", id, bundle->files, bundle->sha256);
        http::Response r = Bytes("application/x-tar", std::move(bundle->bundle), "evidence-" + id + ".tar");
        r.headers.Add("x-bundle-sha256", bundle->sha256);
        reply(std::move(r));
      });
}

}  // namespace

void AddExportRoutes(IntakeApi& api, AsyncStore& store, std::string state_dir) {
  api.AddReportAction("record.pdf", [&api, &store](const http::Request& req, const std::vector<std::string>& p,
                                                   const Principal&, http::Reply reply) {
    if (Get(req, p, reply)) RecordPdf(api, store, p[2], std::move(reply));
  });
  api.AddReportAction("evidence.tar", [&api, &store, key = evidence::DeviceKeyPath(state_dir)](
                                          const http::Request& req, const std::vector<std::string>& p,
                                          const Principal& who, http::Reply reply) {
    if (Get(req, p, reply)) EvidenceTar(api, store, key, p[2], who, std::move(reply));
  });
}

}  // namespace lifeline
