// Evidence bundles: one POSIX ustar archive holding a report's evidence files
// and manifest.json (each file's path, size and SHA-256; the report; the
// journal head; when), signed by the device key (manifest.sig, ECDSA P-256,
// DER) with the public key beside it, so that an auditor verifies it on
// another machine with openssl, tar and sha256sum (proto/evidence-bundle.md).
// Building and verifying are pure functions over bytes; only DeviceKey touches
// the disk. This is the module's public header.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "daemon/core/status.h"
#include "daemon/core/time_format.h"
#include "daemon/evidence/device_key.h"
#include "daemon/evidence/manifest.h"
#include "daemon/evidence/ustar.h"  // the archive format, also used by backups

namespace lifeline::evidence {

// The archive's members besides the evidence, which sits under files/.
inline constexpr std::string_view kManifestMember = "manifest.json";
inline constexpr std::string_view kSignatureMember = "manifest.sig";
inline constexpr std::string_view kPublicKeyMember = "device-key.pub.pem";
inline constexpr std::string_view kSumsMember = "SHA256SUMS";
inline constexpr std::string_view kFilesDir = "files/";

// Where lifelined and the CLI keep the device key: <state dir>/evidence-key.pem.
inline std::string DeviceKeyPath(const std::string& state_dir) { return state_dir + "/evidence-key.pem"; }

// What the bundle is about, beside its files.
struct BundleMeta {
  std::string report_id;
  OffsetTime created_at;  // also every member's mtime
  JournalHead journal_head;
};

// Collects a bundle's files one by one (an export adds each revision, fax
// page, SMS PDU and journal extract as it reads them), then signs.
class BundleBuilder {
 public:
  // `path` as IsBundlePath allows, once each; stored as files/<path>.
  Status Add(std::string path, std::string bytes);
  size_t file_count() const { return files_.size(); }
  // The archive, signed with `key`: manifest.json, manifest.sig,
  // device-key.pub.pem, SHA256SUMS, then files/ in path order. The same files,
  // meta and key give the same bytes (deterministic ECDSA).
  Result<std::string> Finish(const BundleMeta& meta, const DeviceKey& key) const;

 private:
  std::vector<std::pair<std::string, std::string>> files_;
};

struct VerifyOptions {
  // The key the auditor trusts (PEM), e.g. as `lifeline evidence key` printed
  // it at enrolment; without it, only the key inside the bundle is checked.
  std::optional<std::string> pinned_public_key_pem;
};

struct BundleVerdict {
  bool ok = false;
  std::string member;  // the member at fault ("" for the archive as a whole)
  std::string zh, en;  // why, for people
  Manifest manifest;   // as signed (set when ok)
  std::string key_fingerprint;  // of the key that signed (set when the signature verified)
  bool pinned = false;          // the signing key is the pinned one
};

// Checks everything: the archive's structure, exactly the expected members,
// the signature over manifest.json's exact bytes with the included key (and
// the pinned one when given), the key named in the manifest, SHA256SUMS, and
// every file's size and SHA-256. The first problem found is the verdict.
BundleVerdict VerifyBundle(std::string_view archive, const VerifyOptions& options);

}  // namespace lifeline::evidence
