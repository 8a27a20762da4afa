#include <algorithm>
#include <map>
#include <set>

#include "daemon/evidence/evidence.h"
#include "daemon/evidence/ustar.h"

namespace lifeline::evidence {
namespace {

BundleVerdict Reject(std::string member, std::string zh, std::string en) {
  BundleVerdict v;
  v.member = std::move(member);
  v.zh = std::move(zh);
  v.en = std::move(en);
  return v;
}

int64_t UnixSeconds(const OffsetTime& t) {
  return std::chrono::duration_cast<std::chrono::seconds>(t.instant.time_since_epoch()).count();
}

// The archive's members by name; fails on a repeated name or one outside the format.
Result<std::map<std::string, std::string, std::less<>>> Members(std::vector<TarMember> list,
                                                                 std::string* bad_member) {
  std::map<std::string, std::string, std::less<>> by_name;
  for (auto& m : list) {
    *bad_member = m.name;
    bool control = m.name == kManifestMember || m.name == kSignatureMember || m.name == kPublicKeyMember ||
                   m.name == kSumsMember;
    bool file = m.name.rfind(kFilesDir, 0) == 0 && IsBundlePath(std::string_view(m.name).substr(kFilesDir.size()));
    if (!control && !file) return Corruption("unexpected member");
    if (!by_name.emplace(m.name, std::move(m.data)).second) return Corruption("member appears twice");
  }
  for (auto name : {kManifestMember, kSignatureMember, kPublicKeyMember, kSumsMember}) {
    *bad_member = std::string(name);
    if (!by_name.count(name)) return NotFound("member is missing");
  }
  bad_member->clear();
  return by_name;
}

// The files against the manifest: each listed file present with its size and
// digest, and no file the manifest does not list.
BundleVerdict CheckFiles(const Manifest& m, const std::map<std::string, std::string, std::less<>>& members) {
  std::set<std::string, std::less<>> listed;
  for (const auto& f : m.files) {
    listed.insert(f.path);
    std::string name = std::string(kFilesDir) + f.path;
    auto it = members.find(name);
    if (it == members.end()) return Reject(name, "清單列出的檔案不在封包中", "listed in the manifest but missing");
    if (it->second.size() != f.size) {
      return Reject(name, "檔案大小與清單不符", "size " + std::to_string(it->second.size()) +
                                                  " differs from the manifest's " + std::to_string(f.size));
    }
    if (Sha256Hex(it->second) != f.sha256) return Reject(name, "檔案內容已遭變更（SHA-256 不符）", "SHA-256 differs from the manifest");
  }
  for (const auto& [name, _] : members) {
    if (name.rfind(kFilesDir, 0) != 0 || listed.count(std::string_view(name).substr(kFilesDir.size()))) continue;
    return Reject(name, "封包中有清單未列出的檔案", "in the archive but not in the manifest");
  }
  BundleVerdict ok;
  ok.ok = true;
  return ok;
}

}  // namespace

Status BundleBuilder::Add(std::string path, std::string bytes) {
  if (!IsBundlePath(path) || !FitsUstar(std::string(kFilesDir) + path)) {
    return InvalidArgument("'" + path.substr(0, 80) + "' is not a bundle path (parts of A-Z a-z 0-9 . _ -, at most 200 bytes)");
  }
  for (const auto& f : files_) {
    if (f.first == path) return AlreadyExists("the bundle already has " + path);
  }
  files_.emplace_back(std::move(path), std::move(bytes));
  return Status::Ok();
}

Result<std::string> BundleBuilder::Finish(const BundleMeta& meta, const DeviceKey& key) const {
  // An auditor's `cd files` needs the folder; a bundle about nothing is a mistake anyway.
  if (files_.empty()) return FailedPrecondition("a bundle needs at least one file");
  std::vector<const std::pair<std::string, std::string>*> sorted;
  for (const auto& f : files_) sorted.push_back(&f);
  std::sort(sorted.begin(), sorted.end(), [](auto* a, auto* b) { return a->first < b->first; });
  Manifest m;
  m.report_id = meta.report_id;
  m.created_at = meta.created_at;
  m.journal_head = meta.journal_head;
  m.device_key_sha256 = key.public_key().Fingerprint();
  for (const auto* f : sorted) m.files.push_back({f->first, f->second.size(), Sha256Hex(f->second)});
  std::string sums = Sha256Sums(m.files);
  m.sha256sums_sha256 = Sha256Hex(sums);
  std::string text = ManifestText(m);
  auto sig = key.Sign(text);
  if (!sig.ok()) return sig.status();
  std::vector<TarMember> members = {{std::string(kManifestMember), text},
                                    {std::string(kSignatureMember), *sig},
                                    {std::string(kPublicKeyMember), key.public_key().Pem()},
                                    {std::string(kSumsMember), sums}};
  for (const auto* f : sorted) members.push_back({std::string(kFilesDir) + f->first, f->second});
  return WriteUstar(members, UnixSeconds(meta.created_at));
}

BundleVerdict VerifyBundle(std::string_view archive, const VerifyOptions& options) {
  auto list = ReadUstar(archive);
  if (!list.ok()) return Reject("", "封包不是完整的 ustar 檔案：" + list.status().message(), list.status().message());
  std::string at;
  auto members = Members(std::move(*list), &at);
  if (!members.ok()) {
    bool missing = members.status().code() == StatusCode::kNotFound;
    return Reject(at, missing ? "封包缺少此成員" : "封包不應有此成員或成員重複", members.status().message());
  }
  auto& by_name = *members;
  const std::string& pem = by_name.find(kPublicKeyMember)->second;
  auto key = PublicKey::FromPem(pem);
  if (!key.ok()) return Reject(std::string(kPublicKeyMember), "公鑰無法讀取", key.status().message());
  // PEM readers skip text around the armour; the writer's exact text is the only one accepted.
  if (key->Pem() != pem) {
    return Reject(std::string(kPublicKeyMember), "公鑰檔案內容已遭變更", "is not the key's canonical PEM text");
  }
  const std::string& text = by_name.find(kManifestMember)->second;
  Status sig = key->Verify(text, by_name.find(kSignatureMember)->second);
  if (!sig.ok()) return Reject(std::string(kSignatureMember), "簽章與 manifest.json 不符（內容或簽章已遭變更）", sig.message());
  BundleVerdict v;
  v.key_fingerprint = key->Fingerprint();
  if (options.pinned_public_key_pem) {
    auto pinned = PublicKey::FromPem(*options.pinned_public_key_pem);
    if (!pinned.ok()) return Reject("", "指定的公鑰無法讀取", "the pinned key: " + pinned.status().message());
    if (pinned->Fingerprint() != v.key_fingerprint) {
      return Reject(std::string(kPublicKeyMember), "封包非由指定之設備金鑰簽署",
                    "signed by key " + v.key_fingerprint + ", not the pinned key " + pinned->Fingerprint());
    }
    v.pinned = true;
  }
  auto manifest = ParseManifest(text);
  if (!manifest.ok()) return Reject(std::string(kManifestMember), "清單格式不正確", manifest.status().message());
  if (manifest->files.empty()) return Reject(std::string(kManifestMember), "清單未列任何檔案", "lists no file");
  if (manifest->device_key_sha256 != v.key_fingerprint) {
    return Reject(std::string(kManifestMember), "清單所載金鑰指紋與封包內公鑰不符",
                  "names key " + manifest->device_key_sha256 + " but the bundle carries " + v.key_fingerprint);
  }
  const std::string& sums = by_name.find(kSumsMember)->second;
  if (Sha256Hex(sums) != manifest->sha256sums_sha256 || sums != Sha256Sums(manifest->files)) {
    return Reject(std::string(kSumsMember), "SHA256SUMS 與清單不符", "does not match the manifest");
  }
  BundleVerdict files = CheckFiles(*manifest, by_name);
  if (!files.ok) return files;
  v.ok = true;
  v.manifest = std::move(*manifest);
  return v;
}

}  // namespace lifeline::evidence
