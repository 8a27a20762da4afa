// manifest.json of an evidence bundle (proto/evidence-bundle.md): what the
// bundle holds and for which report, in the exact bytes the device signs.
// The writer's text is canonical (one file a line, sorted); the parser takes
// only that shape and says what is wrong. Pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "daemon/core/status.h"
#include "daemon/core/time_format.h"

namespace lifeline::evidence {

inline constexpr std::string_view kBundleFormat = "lifeline.evidence-bundle/1";

struct ManifestFile {
  std::string path;  // under files/ in the archive
  uint64_t size = 0;
  std::string sha256;  // lowercase hex
};

// The journal's last entry when the bundle was made: its sequence and MAC.
struct JournalHead {
  int64_t seq = 0;
  std::string mac;  // lowercase hex HMAC-SHA256, 64 digits
};

struct Manifest {
  std::string report_id;
  OffsetTime created_at;
  JournalHead journal_head;
  std::string device_key_sha256;  // fingerprint of the signing key
  std::string sha256sums_sha256;  // SHA-256 of the SHA256SUMS member
  std::vector<ManifestFile> files;  // sorted by path
};

// The canonical text; files must already be sorted by path.
std::string ManifestText(const Manifest& m);
// Parses a manifest, refusing unknown or missing keys and wrong types.
Result<Manifest> ParseManifest(std::string_view text);
// SHA256SUMS: "<sha256>  <path>\n" per file, as sha256sum writes and checks it.
std::string Sha256Sums(const std::vector<ManifestFile>& files);
// A path a bundle may hold: '/'-separated parts of A-Z a-z 0-9 . _ -, none
// of them "." or "..", at most 200 bytes.
bool IsBundlePath(std::string_view path);

}  // namespace lifeline::evidence
