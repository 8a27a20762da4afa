// `lifeline evidence key` and `lifeline evidence verify FILE [--key PEM]`: the
// device key that signs evidence bundles, and a bundle checked the way an
// auditor would (proto/evidence-bundle.md), on this box or any other.
#include <filesystem>
#include <iostream>

#include "daemon/evidence/evidence.h"
#include "tools/lifeline/commands.h"

namespace lifeline::cli {

int EvidenceKey(const Context& ctx) {
  auto config = LoadCliConfig(ctx);
  if (!config.ok()) return EnvError(config.status());
  std::error_code ec;
  std::filesystem::create_directories(config->state_dir, ec);
  if (ec) return EnvError(IoError("cannot create the state directory " + config->state_dir + ": " + ec.message()));
  std::string path = evidence::DeviceKeyPath(config->state_dir);
  bool created = false;
  auto key = evidence::DeviceKey::LoadOrCreate(path, &created);
  if (!key.ok()) return EnvError(key.status());
  std::cout << "Device key 設備金鑰 (ECDSA P-256): " << path
            << (created ? "  [created now 新建立]" : "  [existing 既有]") << "\n"
            << "SHA-256 fingerprint 指紋: " << key->public_key().Fingerprint() << "\n"
            << "  (record it where auditors can trust it: `lifeline evidence verify --key`, or FINGERPRINT\n"
            << "   in proto/evidence-bundle.md's steps, checks a bundle against it)\n"
            << key->public_key().Pem();
  return 0;
}

int EvidenceVerify(const Context&, const std::string& file, const std::string& key_file) {
  auto bytes = ReadFile(file);
  if (!bytes.ok()) return EnvError(bytes.status());
  evidence::VerifyOptions options;
  if (!key_file.empty()) {
    auto pem = ReadFile(key_file);
    if (!pem.ok()) return EnvError(pem.status());
    options.pinned_public_key_pem = *pem;
  }
  evidence::BundleVerdict v = evidence::VerifyBundle(*bytes, options);
  if (!v.ok) {
    std::cout << "REJECTED 驗證失敗: " << file << "\n  member 成員: " << (v.member.empty() ? "(archive)" : v.member)
              << "\n      " << v.zh << "\n      " << v.en << "\n";
    return 1;
  }
  const evidence::Manifest& m = v.manifest;
  std::cout << "VERIFIED 驗證通過: " << file << "\n"
            << "  Report 通報單: " << m.report_id << "\n"
            << "  Created 建立時間: " << FormatHuman(m.created_at) << "\n"
            << "  Journal head 日誌: #" << m.journal_head.seq << " " << m.journal_head.mac << "\n"
            << "  Signed by 簽署金鑰: " << v.key_fingerprint
            << (v.pinned ? "  (the pinned key 與指定金鑰相符)\n"
                         : "\n  NOT PINNED 未指定金鑰: any key can sign; give --key with the device's public key\n")
            << "  " << m.files.size() << " file(s) 個檔案:\n";
  for (const auto& f : m.files) std::cout << "    " << f.sha256 << "  " << f.size << "  " << f.path << "\n";
  return 0;
}

}  // namespace lifeline::cli
