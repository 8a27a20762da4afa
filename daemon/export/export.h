// The evidence export of one report (issue 17): every revision and stage, the
// fax pages as sent (TIFF-F and PDF) with their T.30 results, the SMS PDUs and
// status reports, phone confirmations, e-mail server replies, the site's
// receipts and the late submission's evidence, the report's journal entries
// with their neighbours' MACs, the record and a summary against each deadline
// (PDF), signed by the device key as proto/evidence-bundle.md says. Reads the
// store in the caller's transaction and the fax copies from disk; writes
// nothing (the caller journals evidence.exported). Call it on the store worker.
#pragma once

#include <string>
#include <vector>

#include "daemon/core/status.h"
#include "daemon/evidence/evidence.h"
#include "daemon/rules/rules.h"
#include "daemon/store/store.h"

namespace lifeline::evidence_export {

struct Exported {
  std::string bundle;  // the archive's bytes
  std::string sha256;  // of `bundle`
  evidence::JournalHead journal_head;
  size_t files = 0;
  std::vector<std::string> missing;  // evidence named by the store but not found (a deleted fax copy)
};

// NotFound for an unknown report. The same store state, key and `now` give the same bytes.
Result<Exported> ExportEvidence(Store& store, const std::string& report_id, const RuleSet& rules,
                                const evidence::DeviceKey& key, WallTime now);

}  // namespace lifeline::evidence_export
