// Evidence bundles: the device key, the ustar archive, the signed manifest and
// the verifier; the golden bundle and its corrupt variants; and the auditor's
// steps from proto/evidence-bundle.md run with the real openssl, tar and
// sha256sum on bundles the writer made, and on altered ones.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <sys/stat.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "daemon/evidence/evidence.h"
#include "daemon/evidence/ustar.h"
#include "tests/support/command.h"

namespace lifeline::evidence {
namespace {

namespace fs = std::filesystem;
using testing_support::RunCommand;

const fs::path kFixtures = fs::path(LIFELINE_SOURCE_DIR) / "tests/fixtures/evidence";

std::string Read(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void Write(const fs::path& p, const std::string& bytes) {
  std::ofstream(p, std::ios::binary) << bytes;
}

// A fresh folder per test.
fs::path TempDir() {
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  fs::path dir = fs::path(::testing::TempDir()) / (std::string("evidence_") + info->name());
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

const DeviceKey& TestKey() {
  static const DeviceKey key = [] {
    auto k = DeviceKey::FromPem(Read(kFixtures / "test-device-key.pem"));
    EXPECT_TRUE(k.ok()) << k.status().ToString();
    return std::move(*k);
  }();
  return key;
}

OffsetTime T(const char* s) { return *ParseRfc3339(s); }

BundleMeta GoldenMeta() {
  return {"7c1e2f40-5b7a-4d3e-9a51-2f0c8e6d4b10", T("2026-12-18T16:05:00+08:00"),
          {412, std::string(64, 'a')}};
}

// The golden bundle's files: text, Chinese JSON, binary with NULs, an empty
// file, and a path long enough to need the ustar prefix.
BundleBuilder GoldenFiles() {
  BundleBuilder b;
  EXPECT_TRUE(b.Add("report/r1.json", R"({"id":"7c1e2f40-5b7a-4d3e-9a51-2f0c8e6d4b10","category":"intrusion","description":"檔案伺服器遭植入後門程式"})" "\n").ok());
  EXPECT_TRUE(b.Add("report/r2.json", R"({"revision":2,"impact":{"confidentiality":3}})" "\n").ok());
  EXPECT_TRUE(b.Add("fax/attempt-3/page-1.tif", std::string("II*\0\x08\0\0\0\0\xff\x00\x01", 12)).ok());
  EXPECT_TRUE(b.Add("sms/attempt-2/part-1.pdu", "0051000A8109123456780008A70A4E0B5348").ok());
  EXPECT_TRUE(b.Add("journal/entries.jsonl", "{\"seq\":411,\"type\":\"site.attempt.start\"}\n{\"seq\":412,\"type\":\"report.state\"}\n").ok());
  EXPECT_TRUE(b.Add("notes/empty.txt", "").ok());
  EXPECT_TRUE(b.Add("phone/attempt-4/" + std::string(90, 'c') + "/call-card-confirmed-by-operator.txt", "王小明 10:05").ok());
  return b;
}

std::string GoldenBundle() {
  auto bytes = GoldenFiles().Finish(GoldenMeta(), TestKey());
  EXPECT_TRUE(bytes.ok()) << bytes.status().ToString();
  return bytes.ok() ? *bytes : "";
}

// ---- the device key ----

TEST(DeviceKeyTest, CreatedOnceWithMode0600ThenLoaded) {
  fs::path path = TempDir() / "evidence-key.pem";
  bool created = false;
  auto first = DeviceKey::LoadOrCreate(path.string(), &created);
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  EXPECT_TRUE(created);
  struct stat st {};
  ASSERT_EQ(stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  auto second = DeviceKey::LoadOrCreate(path.string(), &created);
  ASSERT_TRUE(second.ok());
  EXPECT_FALSE(created);
  EXPECT_EQ(first->public_key().Fingerprint(), second->public_key().Fingerprint());
  EXPECT_EQ(first->public_key().Fingerprint().size(), 64u);
  EXPECT_FALSE(fs::exists(path.string() + ".new"));
}

TEST(DeviceKeyTest, RefusesAKeyOthersCanRead) {
  fs::path path = TempDir() / "evidence-key.pem";
  Write(path, Read(kFixtures / "test-device-key.pem"));
  chmod(path.c_str(), 0644);
  auto k = DeviceKey::Load(path.string());
  ASSERT_FALSE(k.ok());
  EXPECT_EQ(k.status().code(), StatusCode::kPermissionDenied);
  EXPECT_NE(k.status().message().find("0600"), std::string::npos);
}

TEST(DeviceKeyTest, RefusesWhatIsNotAP256Key) {
  fs::path dir = TempDir();
  Write(dir / "garbage.pem", "-----BEGIN EC PRIVATE KEY-----\nAAAA\n-----END EC PRIVATE KEY-----\n");
  chmod((dir / "garbage.pem").c_str(), 0600);
  EXPECT_EQ(DeviceKey::Load((dir / "garbage.pem").string()).status().code(), StatusCode::kCorruption);
  ASSERT_EQ(RunCommand("openssl ecparam -name secp384r1 -genkey -noout -out " + (dir / "p384.pem").string()).exit_code, 0);
  EXPECT_FALSE(DeviceKey::FromPem(Read(dir / "p384.pem")).ok());
  EXPECT_FALSE(PublicKey::FromPem("not a key").ok());
  EXPECT_EQ(DeviceKey::Load((dir / "absent.pem").string()).status().code(), StatusCode::kNotFound);
}

TEST(DeviceKeyTest, FingerprintAndPemMatchOpenssl) {
  fs::path dir = TempDir();
  Write(dir / "pub.pem", TestKey().public_key().Pem());
  auto r = RunCommand("openssl pkey -pubin -in " + (dir / "pub.pem").string() + " -outform DER | sha256sum");
  ASSERT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.output.substr(0, 64), TestKey().public_key().Fingerprint());
  EXPECT_EQ(TestKey().public_key().Pem(), Read(kFixtures / "test-device-key.pub.pem"));
}

TEST(DeviceKeyTest, SignaturesAreDeterministicDerThatOpensslVerifies) {
  auto a = TestKey().Sign("manifest bytes"), b = TestKey().Sign("manifest bytes");
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(*a, *b);
  EXPECT_EQ(static_cast<unsigned char>((*a)[0]), 0x30u);  // DER SEQUENCE
  EXPECT_TRUE(TestKey().public_key().Verify("manifest bytes", *a).ok());
  EXPECT_FALSE(TestKey().public_key().Verify("manifest bytez", *a).ok());
  fs::path dir = TempDir();
  Write(dir / "msg", "manifest bytes");
  Write(dir / "sig", *a);
  auto r = RunCommand("openssl dgst -sha256 -verify " + (kFixtures / "test-device-key.pub.pem").string() +
                      " -signature " + (dir / "sig").string() + " " + (dir / "msg").string() + " 2>&1");
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("Verified OK"), std::string::npos);
}

// ---- the archive ----

TEST(UstarTest, RoundTripAndLongNames) {
  std::vector<TarMember> in = {{"a.txt", "hello"}, {"b/" + std::string(120, 'x') + "/c.bin", std::string(1000, '\0')},
                               {"empty", ""}};
  std::string bytes = WriteUstar(in, 1765000000);
  EXPECT_EQ(bytes.size() % 512, 0u);
  auto out = ReadUstar(bytes);
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  ASSERT_EQ(out->size(), 3u);
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_EQ((*out)[i].name, in[i].name);
    EXPECT_EQ((*out)[i].data, in[i].data);
  }
  EXPECT_FALSE(FitsUstar(std::string(101, 'x')));  // no '/' to split at
  EXPECT_TRUE(FitsUstar(std::string(150, 'x') + "/" + std::string(100, 'y')));
  EXPECT_FALSE(FitsUstar(std::string(156, 'x') + "/y"));
}

TEST(UstarTest, GnuTarListsAndExtractsWhatTheWriterWrote) {
  fs::path dir = TempDir();
  Write(dir / "bundle.tar", GoldenBundle());
  auto list = RunCommand("tar -tvf " + (dir / "bundle.tar").string() + " 2>&1");
  ASSERT_EQ(list.exit_code, 0) << list.output;
  EXPECT_NE(list.output.find("lifeline/lifeline"), std::string::npos) << list.output;
  EXPECT_NE(list.output.find("2026-12-18 08:05"), std::string::npos) << list.output;  // mtime, UTC
  EXPECT_EQ(list.output.find("warning"), std::string::npos) << list.output;
  auto x = RunCommand("cd " + dir.string() + " && mkdir x && tar -xf bundle.tar -C x 2>&1");
  ASSERT_EQ(x.exit_code, 0) << x.output;
  EXPECT_EQ(Read(dir / "x/files/notes/empty.txt"), "");
  EXPECT_EQ(Read(dir / "x/files/fax/attempt-3/page-1.tif"), std::string("II*\0\x08\0\0\0\0\xff\x00\x01", 12));
}

TEST(UstarTest, ReadsUstarThatGnuTarWrote) {
  fs::path dir = TempDir();
  Write(dir / "bundle.tar", GoldenBundle());
  // Extract, then have GNU tar pack the same members again, in another order.
  std::string cmd = "cd " + dir.string() + " && mkdir x && tar -xf bundle.tar -C x && cd x && "
                    "tar --format=ustar --owner=0 --group=0 -cf ../repacked.tar SHA256SUMS $(cut -c67- SHA256SUMS | sed 's|^|files/|') "
                    "manifest.json manifest.sig device-key.pub.pem 2>&1";
  auto r = RunCommand(cmd);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  BundleVerdict v = VerifyBundle(Read(dir / "repacked.tar"), {Read(kFixtures / "test-device-key.pub.pem")});
  EXPECT_TRUE(v.ok) << v.member << ": " << v.en;
}

// ---- bundles ----

TEST(BundleTest, RoundTrip) {
  std::string bytes = GoldenBundle();
  BundleVerdict v = VerifyBundle(bytes, {Read(kFixtures / "test-device-key.pub.pem")});
  ASSERT_TRUE(v.ok) << v.member << ": " << v.en;
  EXPECT_TRUE(v.pinned);
  EXPECT_EQ(v.key_fingerprint, TestKey().public_key().Fingerprint());
  EXPECT_EQ(v.manifest.report_id, "7c1e2f40-5b7a-4d3e-9a51-2f0c8e6d4b10");
  EXPECT_EQ(FormatRfc3339(v.manifest.created_at), "2026-12-18T16:05:00+08:00");
  EXPECT_EQ(v.manifest.journal_head.seq, 412);
  ASSERT_EQ(v.manifest.files.size(), 7u);
  EXPECT_EQ(v.manifest.files[0].path, "fax/attempt-3/page-1.tif");  // sorted
  EXPECT_EQ(v.manifest.files[0].size, 12u);
  EXPECT_EQ(v.manifest.files[0].sha256, Sha256Hex(std::string("II*\0\x08\0\0\0\0\xff\x00\x01", 12)));
  // Without a pinned key it verifies too, but says so.
  BundleVerdict unpinned = VerifyBundle(bytes, {});
  EXPECT_TRUE(unpinned.ok);
  EXPECT_FALSE(unpinned.pinned);
}

TEST(BundleTest, WriterReproducesTheGoldenBundle) {
  std::string bytes = GoldenBundle();
  if (std::getenv("LIFELINE_WRITE_GOLDEN")) Write(kFixtures / "golden.tar", bytes);
  EXPECT_EQ(Sha256Hex(bytes), Sha256Hex(Read(kFixtures / "golden.tar")))
      << "the bundle format changed; if on purpose, bump its version and regenerate with "
         "LIFELINE_WRITE_GOLDEN=1, then tests/fixtures/evidence/make_corrupt.py";
}

// Offsets of each member's header and data in an archive the writer made.
struct Span {
  std::string name;
  size_t header, data, size;
};
std::vector<Span> Layout(const std::string& archive) {
  std::vector<Span> spans;
  auto members = ReadUstar(archive);
  size_t at = 0;
  for (const auto& m : *members) {
    spans.push_back({m.name, at, at + 512, m.data.size()});
    at += 512 + (m.data.size() + 511) / 512 * 512;
  }
  return spans;
}

TEST(BundleTest, OneFlippedByteInAnyMemberIsRejectedNamingIt) {
  std::string golden = GoldenBundle();
  for (const Span& s : Layout(golden)) {
    if (s.size == 0) continue;
    for (size_t at : {s.data, s.data + s.size / 2, s.data + s.size - 1}) {
      std::string bytes = golden;
      bytes[at] ^= 0x01;
      BundleVerdict v = VerifyBundle(bytes, {});
      EXPECT_FALSE(v.ok) << s.name << " byte " << at << " of " << s.data << "+" << s.size;
      EXPECT_FALSE(v.en.empty());
      EXPECT_FALSE(v.zh.empty());
      if (s.name.rfind("files/", 0) == 0 || s.name == "SHA256SUMS") {
        EXPECT_EQ(v.member, s.name) << v.en;
      }
      if (s.name == "manifest.json") {
        EXPECT_EQ(v.member, "manifest.sig") << v.en;  // the signature no longer matches it
      }
    }
  }
}

TEST(BundleTest, AFlippedByteAnywhereIsRejected) {
  std::string golden = GoldenBundle();
  std::vector<size_t> positions;
  for (const Span& s : Layout(golden)) {
    for (size_t field : {0u, 100u, 124u, 130u, 136u, 148u, 154u, 156u, 257u, 263u, 265u, 345u, 500u, 511u}) {
      positions.push_back(s.header + field);  // name, mode, size, mtime, checksum, type, magic, names, padding
    }
    if (s.size % 512) positions.push_back(s.data + s.size);  // zero padding after the data
  }
  positions.push_back(golden.size() - 1024);  // the end-of-archive blocks
  positions.push_back(golden.size() - 1);
  for (size_t at = 0; at < golden.size(); at += 61) positions.push_back(at);  // and a sweep
  for (size_t at : positions) {
    std::string bytes = golden;
    bytes[at] ^= 0x20;
    BundleVerdict v = VerifyBundle(bytes, {});
    EXPECT_FALSE(v.ok) << "byte " << at << " of " << golden.size();
  }
}

TEST(BundleTest, TruncatedArchivesAreRejectedWithoutCrashing) {
  std::string golden = GoldenBundle();
  for (size_t n = 0; n < golden.size(); n += n < 2048 ? 1 : 509) {
    BundleVerdict v = VerifyBundle(std::string_view(golden).substr(0, n), {});
    EXPECT_FALSE(v.ok) << n;
    EXPECT_FALSE(v.en.empty()) << n;
  }
  BundleVerdict v = VerifyBundle(std::string_view(golden).substr(0, golden.size() - 512), {});
  EXPECT_NE(v.en.find("truncated"), std::string::npos) << v.en;
}

std::vector<TarMember> Members(const std::string& archive) { return *ReadUstar(archive); }

TEST(BundleTest, ExtraMissingOrRepeatedMembersAreRejected) {
  auto members = Members(GoldenBundle());
  auto with = [&](auto edit) {
    auto copy = members;
    edit(copy);
    return VerifyBundle(WriteUstar(copy, 0), {});
  };
  BundleVerdict extra = with([](auto& m) { m.push_back({"files/unlisted.txt", "x"}); });
  EXPECT_EQ(extra.member, "files/unlisted.txt");
  BundleVerdict stray = with([](auto& m) { m.push_back({"README", "x"}); });
  EXPECT_EQ(stray.member, "README");
  BundleVerdict missing = with([](auto& m) { m.pop_back(); });
  EXPECT_FALSE(missing.ok);
  EXPECT_EQ(missing.en, "listed in the manifest but missing");
  BundleVerdict no_sig = with([](auto& m) { m.erase(m.begin() + 1); });
  EXPECT_EQ(no_sig.member, "manifest.sig");
  BundleVerdict twice = with([](auto& m) { m.push_back(m[4]); });
  EXPECT_EQ(twice.member, members[4].name);
  EXPECT_FALSE(with([](auto& m) { m[4].name = "files/../escape"; }).ok);
}

TEST(BundleTest, AnotherKeyIsRefusedWhenPinnedAndItsFingerprintNamed) {
  auto other = DeviceKey::FromPem(Read(kFixtures / "other-key.pem"));
  ASSERT_TRUE(other.ok());
  std::string theirs = *GoldenFiles().Finish(GoldenMeta(), *other);
  EXPECT_TRUE(VerifyBundle(theirs, {}).ok);  // any key can sign: only pinning tells whose
  BundleVerdict pinned = VerifyBundle(theirs, {Read(kFixtures / "test-device-key.pub.pem")});
  EXPECT_FALSE(pinned.ok);
  EXPECT_EQ(pinned.member, "device-key.pub.pem");
  EXPECT_NE(pinned.en.find(other->public_key().Fingerprint()), std::string::npos) << pinned.en;
  // The device's manifest, re-signed by another key with that key put in: the
  // manifest still names the device's key.
  auto members = Members(GoldenBundle());
  members[1].data = *other->Sign(members[0].data);
  members[2].data = other->public_key().Pem();
  BundleVerdict swapped = VerifyBundle(WriteUstar(members, 0), {});
  EXPECT_FALSE(swapped.ok);
  EXPECT_EQ(swapped.member, "manifest.json");
  EXPECT_FALSE(VerifyBundle(GoldenBundle(), {"not a key"}).ok);
}

TEST(BundleTest, BuilderRefusesPathsTarOrSha256sumCouldReadTwoWays) {
  BundleBuilder b;
  for (const char* bad : {"", "/etc/passwd", "../up", "a/../b", "a//b", "a/./b", "a b", "a\nb", "a\\b", "ü.txt", "a/"}) {
    EXPECT_FALSE(b.Add(bad, "x").ok()) << bad;
  }
  EXPECT_FALSE(b.Add(std::string(201, 'a'), "x").ok());
  EXPECT_TRUE(b.Add("report/r1.json", "x").ok());
  EXPECT_EQ(b.Add("report/r1.json", "y").code(), StatusCode::kAlreadyExists);
  EXPECT_EQ(BundleBuilder().Finish(GoldenMeta(), TestKey()).status().code(), StatusCode::kFailedPrecondition);
}

TEST(ManifestTest, CanonicalTextParsesBackAndStrangersAreRefused) {
  auto members = Members(GoldenBundle());
  auto m = ParseManifest(members[0].data);
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  EXPECT_EQ(ManifestText(*m), members[0].data);
  std::string text = members[0].data;
  for (const auto& [from, to] : std::vector<std::pair<std::string, std::string>>{
           {"lifeline.evidence-bundle/1", "lifeline.evidence-bundle/2"},
           {"\"seq\": 412", "\"seq\": -1"},
           {"\"report_id\"", "\"report\""},
           {"\"size\": 12", "\"size\": 12.5"},
           {"{\n", "{\n \"extra\": 1,\n"}}) {
    std::string bad = text;
    bad.replace(bad.find(from), from.size(), to);
    EXPECT_FALSE(ParseManifest(bad).ok()) << to;
  }
  EXPECT_FALSE(ParseManifest(text.substr(0, text.size() / 2)).ok());
}

// ---- golden and corrupt fixtures ----

TEST(FixturesTest, GoldenVerifiesAndEveryCorruptOneIsRejectedAtItsMember) {
  std::string pin = Read(kFixtures / "test-device-key.pub.pem");
  EXPECT_TRUE(VerifyBundle(Read(kFixtures / "golden.tar"), {pin}).ok);
  auto expectations = nlohmann::json::parse(Read(kFixtures / "corrupt/expectations.json"));
  size_t files = 0;
  for (const auto& e : fs::directory_iterator(kFixtures / "corrupt")) {
    if (e.path().extension() != ".tar") continue;
    ++files;
    std::string name = e.path().filename().string();
    ASSERT_TRUE(expectations.contains(name)) << name;
    const auto& want = expectations[name];
    BundleVerdict unpinned = VerifyBundle(Read(e.path()), {});
    BundleVerdict pinned = VerifyBundle(Read(e.path()), {pin});
    EXPECT_FALSE(pinned.ok) << name;
    EXPECT_EQ(pinned.member, want.value("pinned_member", want.value("member", ""))) << name << ": " << pinned.en;
    if (want.contains("member")) {
      EXPECT_FALSE(unpinned.ok) << name;
      EXPECT_EQ(unpinned.member, want["member"].get<std::string>()) << name << ": " << unpinned.en;
    } else {
      EXPECT_TRUE(unpinned.ok) << name << " verifies without a pin: " << unpinned.en;
    }
  }
  EXPECT_EQ(files, expectations.size());
  EXPECT_GE(files, 15u);
}

// ---- the auditor's steps, as proto/evidence-bundle.md writes them ----

std::string AuditorScript() {
  std::string doc = Read(fs::path(LIFELINE_SOURCE_DIR) / "proto/evidence-bundle.md");
  size_t begin = doc.find("<!-- auditor-steps:begin -->"), end = doc.find("<!-- auditor-steps:end -->");
  EXPECT_NE(begin, std::string::npos);
  EXPECT_NE(end, std::string::npos);
  std::string block = doc.substr(begin, end - begin);
  size_t code = block.find("```sh\n") + 6;
  return block.substr(code, block.rfind("```") - code);
}

testing_support::CommandResult RunAuditor(const fs::path& bundle, const std::string& fingerprint) {
  fs::path script = bundle.parent_path() / "audit.sh";
  Write(script, AuditorScript());
  return RunCommand("BUNDLE=" + bundle.string() + " FINGERPRINT=" + fingerprint + " bash " + script.string() + " 2>&1");
}

TEST(AuditorStepsTest, OpensslTarAndSha256sumVerifyWhatTheWriterMade) {
  fs::path dir = TempDir();
  Write(dir / "bundle.tar", GoldenBundle());
  auto r = RunAuditor(dir / "bundle.tar", TestKey().public_key().Fingerprint());
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("Verified OK"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("report/r1.json: OK"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("BUNDLE VERIFIED"), std::string::npos) << r.output;
}

TEST(AuditorStepsTest, TheStepsRefuseAlteredBundles) {
  fs::path dir = TempDir();
  std::string golden = GoldenBundle();
  std::string fp = TestKey().public_key().Fingerprint();
  std::vector<Span> layout = Layout(golden);
  auto data_of = [&](const std::string& name) {
    for (const Span& s : layout) {
      if (s.name == name) return s;
    }
    return Span{};
  };
  struct Case {
    const char* name;
    std::string bytes;
  };
  std::vector<Case> cases;
  for (const char* member : {"files/report/r1.json", "manifest.json", "manifest.sig", "SHA256SUMS"}) {
    std::string bytes = golden;
    Span s = data_of(member);
    bytes[s.data + s.size / 2] ^= 0x01;
    cases.push_back({member, bytes});
  }
  auto other = DeviceKey::FromPem(Read(kFixtures / "other-key.pem"));
  cases.push_back({"signed by another key", *GoldenFiles().Finish(GoldenMeta(), *other)});
  for (const auto& c : cases) {
    Write(dir / "bundle.tar", c.bytes);
    auto r = RunAuditor(dir / "bundle.tar", fp);
    EXPECT_NE(r.exit_code, 0) << c.name << "\n" << r.output;
    EXPECT_EQ(r.output.find("BUNDLE VERIFIED"), std::string::npos) << c.name;
  }
  // A member appended by GNU tar itself: tar and sha256sum are content, the list is not.
  Write(dir / "bundle.tar", golden);
  Write(dir / "extra.txt", "added later");
  ASSERT_EQ(RunCommand("cd " + dir.string() + " && tar --format=ustar -rf bundle.tar extra.txt").exit_code, 0);
  auto r = RunAuditor(dir / "bundle.tar", fp);
  EXPECT_NE(r.exit_code, 0) << r.output;
  BundleVerdict v = VerifyBundle(Read(dir / "bundle.tar"), {});
  EXPECT_FALSE(v.ok);
  EXPECT_EQ(v.member, "extra.txt") << v.en;
}

}  // namespace
}  // namespace lifeline::evidence
