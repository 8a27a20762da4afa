// The Debian package as CPack builds it from this tree: its files, its
// conffiles (every file under /etc, nothing else), its Depends, maintainer
// scripts that parse, the configuration it ships accepted by lifelined, the
// unit passing `systemd-analyze verify` without a finding and scoring 2.0 or
// lower in `systemd-analyze security --offline=true` (the bound; the
// figure itself is printed). Installing with dpkg -i is left to CI's machine.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>

#include "daemon/core/uuid.h"
#include "tests/support/command.h"
#include "tests/support/skip.h"

namespace lifeline {
namespace {

namespace fs = std::filesystem;
using testing_support::RunCommand;

std::set<std::string> Lines(const std::string& text) {
  std::set<std::string> out;
  std::istringstream in(text);
  for (std::string l; std::getline(in, l);) {
    if (!l.empty()) out.insert(l);
  }
  return out;
}

class PackageTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new std::string(fs::path(::testing::TempDir()) / ("package-" + NewUuidV4().value()));
    fs::create_directories(*dir_);
    auto r = RunCommand("cd " + *dir_ + " && cpack -G DEB --config " LIFELINE_BINARY_DIR "/CPackConfig.cmake -B " +
                        *dir_ + "/out 2>&1");
    built_ = new testing_support::CommandResult(r);
    for (const auto& e : fs::directory_iterator(*dir_ + "/out")) {
      if (e.path().extension() == ".deb") deb_ = new std::string(e.path().string());
    }
    if (deb_) RunCommand("dpkg-deb -x " + *deb_ + " " + *dir_ + "/root && dpkg-deb -e " + *deb_ + " " + *dir_ + "/control");
  }
  static void TearDownTestSuite() { fs::remove_all(*dir_); }
  void SetUp() override { ASSERT_NE(deb_, nullptr) << "no .deb built:\n" << built_->output; }
  static std::string Root() { return *dir_ + "/root"; }
  // The packaged unit `name`.service with its ExecStart pointed at the
  // unpacked program (verify checks that it is executable), checked by
  // `systemd-analyze verify`, which must find nothing; returns its path.
  static std::string VerifiedUnit(const std::string& name) {
    const std::string unit = *dir_ + "/" + name + ".service";
    RunCommand("sed 's|^ExecStart=/usr/bin/" + name + "|ExecStart=" + Root() + "/usr/bin/" + name + "|' " + Root() +
               "/usr/lib/systemd/system/" + name + ".service > " + unit);
    auto v = RunCommand("systemd-analyze verify --man=no " + unit + " 2>&1");
    EXPECT_EQ(v.exit_code, 0) << v.output;
    EXPECT_EQ(v.output, "") << "systemd-analyze verify findings";
    return unit;
  }
  // `systemd-analyze security --offline=true` of the unit file at `path`;
  // a failure (and 10, the worst) when its score cannot be read.
  static double ExposureScore(const std::string& path, const std::string& name) {
    auto s = RunCommand("systemd-analyze security --offline=true " + path + " 2>&1");
    std::smatch m;
    if (!std::regex_search(s.output, m, std::regex("Overall exposure level for " + name + "\\.service: ([0-9.]+)"))) {
      ADD_FAILURE() << "no exposure level for " << name << ":\n" << s.output;
      return 10;
    }
    if (std::stod(m[1]) > 2.0) std::cout << s.output;
    return std::stod(m[1]);
  }

  static std::string* dir_;
  static std::string* deb_;
  static testing_support::CommandResult* built_;
};
std::string* PackageTest::dir_ = nullptr;
std::string* PackageTest::deb_ = nullptr;
testing_support::CommandResult* PackageTest::built_ = nullptr;

TEST_F(PackageTest, HoldsTheProgramsUnitConfigurationAndUdevRule) {
  auto c = RunCommand("dpkg-deb -c " + *deb_);
  ASSERT_EQ(c.exit_code, 0) << c.output;
  for (const char* path : {"./usr/bin/lifelined", "./usr/bin/lifeline", "./usr/lib/systemd/system/lifelined.service",
                           "./usr/lib/lifeline/lifeline-pdf",
                           "./usr/bin/lifeline-fleet", "./usr/lib/systemd/system/lifeline-fleet.service",
                           "./etc/lifeline/fleet.toml",
                           "./etc/lifeline/lifeline.toml", "./etc/lifeline/recipients.toml",
                           "./etc/lifeline/templates.toml", "./etc/lifeline/rules/tw-2021.toml",
                           "./etc/udev/rules.d/60-lifeline-modems.rules", "./usr/share/doc/lifeline/appliance.md",
                           "./usr/share/doc/lifeline/lifeline.toml.defaults",
                           "./usr/share/lifeline/drills/network-loss.toml"}) {
    EXPECT_NE(c.output.find(std::string(path) + "\n"), std::string::npos) << path << " missing:\n" << c.output;
  }
  EXPECT_TRUE(fs::exists(Root() + "/usr/bin/lifelined"));
  EXPECT_EQ(fs::status(Root() + "/usr/bin/lifelined").permissions() & fs::perms::owner_exec, fs::perms::owner_exec);
}

TEST_F(PackageTest, EveryFileUnderEtcIsAConffileAndNothingElse) {
  std::set<std::string> etc;
  for (const auto& e : fs::recursive_directory_iterator(Root() + "/etc")) {
    if (e.is_regular_file()) etc.insert(e.path().string().substr(Root().size()));
  }
  std::ifstream in(*dir_ + "/control/conffiles");
  std::stringstream ss;
  ss << in.rdbuf();
  EXPECT_EQ(Lines(ss.str()), etc);
}

TEST_F(PackageTest, DependsOnTheFontAdduserAndTheLibrariesItLinks) {
  auto d = RunCommand("dpkg-deb -f " + *deb_ + " Depends");
  ASSERT_EQ(d.exit_code, 0);
  for (const char* dep : {"fonts-noto-cjk", "adduser", "libsqlite3-0", "libcurl4", "libmbedcrypto7", "libspandsp2"}) {
    EXPECT_NE(d.output.find(dep), std::string::npos) << dep << " not in Depends: " << d.output;
  }
  EXPECT_EQ(RunCommand("dpkg-deb -f " + *deb_ + " Package").output, "lifeline\n");
}

TEST_F(PackageTest, MaintainerScriptsParseAndTheConfigurationIsAccepted) {
  for (const char* script : {"postinst", "prerm", "postrm"}) {
    const std::string p = *dir_ + "/control/" + script;
    ASSERT_TRUE(fs::exists(p)) << script;
    EXPECT_EQ(RunCommand("sh -n " + p + " 2>&1").exit_code, 0) << script;
    EXPECT_NE(fs::status(p).permissions() & fs::perms::owner_exec, fs::perms::none) << script;
  }
  // The shipped configuration, with its paths pointing into the unpacked tree.
  const std::string cfg = *dir_ + "/lifeline.toml";
  auto r = RunCommand("sed 's|/etc/lifeline/|" + Root() + "/etc/lifeline/|' " + Root() + "/etc/lifeline/lifeline.toml > " +
                      cfg + " && " + Root() + "/usr/bin/lifelined --check-config " + cfg + " 2>&1");
  EXPECT_EQ(r.exit_code, 0) << r.output;
  // The agency's view's configuration too, its store moved into the test's folder.
  const std::string fleet_cfg = *dir_ + "/fleet.toml";
  r = RunCommand("sed 's|^store = .*|store = \"" + *dir_ + "/fleet.db\"|' " + Root() + "/etc/lifeline/fleet.toml > " +
                 fleet_cfg + " && " + Root() + "/usr/bin/lifeline-fleet --config " + fleet_cfg + " status 2>&1");
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("agency kcg-civil: 0 units"), std::string::npos) << r.output;
}

TEST_F(PackageTest, TheFleetUnitVerifiesWithoutFindingsAndScoresAtMostTwo) {
  if (RunCommand("command -v systemd-analyze >/dev/null").exit_code != 0) LIFELINE_SKIP_OR_FAIL("no systemd-analyze");
  const std::string unit = VerifiedUnit("lifeline-fleet");
  const double score = ExposureScore(unit, "lifeline-fleet");
  std::cout << "lifeline-fleet.service: systemd-analyze security --offline=true: " << score << "\n";
  EXPECT_LE(score, 2.0);
}

TEST_F(PackageTest, UnitVerifiesWithoutFindings) {
  if (RunCommand("command -v systemd-analyze >/dev/null").exit_code != 0) LIFELINE_SKIP_OR_FAIL("no systemd-analyze");
  const std::string unit = VerifiedUnit("lifelined");
  for (const char* key : {"Type=notify", "WatchdogSec=", "Restart=on-failure", "User=lifeline", "ProtectSystem=strict",
                          "DevicePolicy=closed", "SystemCallFilter=@system-service", "MemoryDenyWriteExecute=yes"}) {
    EXPECT_EQ(RunCommand("grep -q '^" + std::string(key) + "' " + unit).exit_code, 0) << key;
  }
}

TEST_F(PackageTest, UnitExposureIsAtMostTwo) {
  if (RunCommand("command -v systemd-analyze >/dev/null").exit_code != 0) LIFELINE_SKIP_OR_FAIL("no systemd-analyze");
  const double score = ExposureScore(Root() + "/usr/lib/systemd/system/lifelined.service", "lifelined");
  std::cout << "systemd-analyze security --offline=true: " << score << "\n";
  EXPECT_LE(score, 2.0);
}

}  // namespace
}  // namespace lifeline
