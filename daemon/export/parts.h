// The export's parts, one function per kind of evidence, each adding its
// files to the bundle (module-internal; export.h is the public header).
#pragma once

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

#include "daemon/evidence/evidence.h"
#include "daemon/record/record.h"
#include "daemon/store/store.h"

namespace lifeline::evidence_export {

// What the parts write into, and what they could not find.
struct Collector {
  evidence::BundleBuilder builder;
  nlohmann::json index = nlohmann::json::array();  // every file with what it is
  std::vector<std::string> missing;
  Status Add(std::string path, std::string bytes, std::string what);
};

// Fax copies (TIFF-F + PDF + T.30 results), SMS ledger rows, e-mail replies, phone tasks.
Status AddChannelEvidence(Store& store, const record::RecordView& r, Collector& out);
// journal/entries.jsonl (the report's entries with the neighbours of each)
// and site/submissions.json; returns the journal's head.
Result<evidence::JournalHead> AddJournal(Store& store, const record::RecordView& r, Collector& out);

// Compact JSON with a final newline, as every JSON file of the bundle.
std::string JsonFile(const nlohmann::json& j);

}  // namespace lifeline::evidence_export
