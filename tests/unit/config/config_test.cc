#include "daemon/config/config.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>

namespace lifeline {
namespace {

TEST(ConfigTest, EmbeddedDefaultsNeedNoFile) {
  auto c = LoadConfig(std::nullopt, "");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->state_dir, "lifeline-state");
  EXPECT_EQ(c->socket_path, "lifeline-state/lifelined.sock");
  EXPECT_EQ(c->log_level, "info");
  EXPECT_EQ(c->rules_file, "");
  EXPECT_EQ(c->fax.device, "");
  EXPECT_TRUE(c->fax.ecm);
  EXPECT_EQ(c->fax.busy_retry_seconds, 90);
  EXPECT_EQ(c->supervisor.drill_button_scenario, "network-loss");
}

TEST(ConfigTest, FileOverridesOnlyTheKeysItSets) {
  auto c = LoadConfig("[daemon]\nstate_dir = \"/var/lib/lifeline\"\nlog_level = \"debug\"\n", "x.toml");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->state_dir, "/var/lib/lifeline");
  EXPECT_EQ(c->socket_path, "/var/lib/lifeline/lifelined.sock");
  EXPECT_EQ(c->log_level, "debug");
  EXPECT_EQ(c->socket_group, "");
}

// A socket path too long for sun_path is refused at the line that made it so:
// the state directory when the file set only that, the socket when it set it
// (found by config_fuzz; its input is in the corpus).
TEST(ConfigTest, ATooLongSocketPathNamesTheLineThatMadeIt) {
  const std::string dir(120, 'p');
  auto by_dir = LoadConfig("[daemon]\n\nstate_dir = \"" + dir + "\"\n", "x.toml");
  ASSERT_FALSE(by_dir.ok());
  EXPECT_EQ(by_dir.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(by_dir.status().message().find("x.toml:3: daemon.state_dir"), std::string::npos) << by_dir.status().message();
  auto by_socket = LoadConfig("[daemon]\nsocket = \"/run/" + dir + ".sock\"\n", "x.toml");
  ASSERT_FALSE(by_socket.ok());
  EXPECT_NE(by_socket.status().message().find("x.toml:2: daemon.socket"), std::string::npos) << by_socket.status().message();
  auto relative = LoadConfig("[daemon]\nsocket = \"" + dir + ".sock\"\n", "x.toml");
  ASSERT_FALSE(relative.ok());
  EXPECT_NE(relative.status().message().find("x.toml:2: daemon.socket"), std::string::npos) << relative.status().message();
}

// Secrets (the SIM PIN, the SMTP password) in files only lifeline can read:
// read from a 0600 file, refused from a file others can read, never shown in
// an error.
class SecretsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::path(::testing::TempDir()) / ("secrets-" + std::to_string(getpid()));
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string Write(const std::string& name, const std::string& text, mode_t mode) {
    const std::string path = (dir_ / name).string();
    std::ofstream(path) << text;
    chmod(path.c_str(), mode);
    return path;
  }
  std::filesystem::path dir_;
};

TEST_F(SecretsTest, ReadFromAFileOnlyTheOwnerCanRead) {
  const std::string pin = Write("pin", "80514273\n", 0600);
  const std::string pw = Write("smtp", "Secr3t-smtp-ZX9q\n", 0400);
  auto c = LoadConfig("[sms]\npin_file = \"" + pin + "\"\n[email]\npassword_file = \"" + pw + "\"\n", "x.toml");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->sms.pin, "80514273");
  EXPECT_EQ(c->email.password, "Secr3t-smtp-ZX9q");
}

TEST_F(SecretsTest, AFileOthersCanReadIsRefusedWithoutShowingTheSecret) {
  const std::string pin = Write("pin", "80514273\n", 0644);
  auto c = LoadConfig("[sms]\npin_file = \"" + pin + "\"\n", "x.toml");
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.status().message().find("pin_file"), std::string::npos) << c.status().message();
  EXPECT_NE(c.status().message().find("0644"), std::string::npos) << c.status().message();
  EXPECT_EQ(c.status().message().find("80514273"), std::string::npos) << "the PIN in an error";

  const std::string bad_pin = Write("bad", "12ab\n", 0600);
  c = LoadConfig("[sms]\npin_file = \"" + bad_pin + "\"\n", "x.toml");
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.status().message().find("4 to 8 digits"), std::string::npos) << c.status().message();
  EXPECT_EQ(c.status().message().find("12ab"), std::string::npos);

  const std::string both = Write("both", "1234\n", 0600);
  c = LoadConfig("[sms]\npin = \"1234\"\npin_file = \"" + both + "\"\n", "x.toml");
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.status().message().find("sms.pin"), std::string::npos) << c.status().message();
}

TEST_F(SecretsTest, AnInlineSecretNeedsAConfigFileOthersCannotRead) {
  const std::string open_config = Write("open.toml", "[email]\npassword = \"Secr3t-smtp-ZX9q\"\n", 0644);
  auto c = LoadConfigFile(open_config);
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.status().message().find("email.password"), std::string::npos) << c.status().message();
  EXPECT_EQ(c.status().message().find("Secr3t"), std::string::npos);
  const std::string closed = Write("closed.toml", "[email]\npassword = \"Secr3t-smtp-ZX9q\"\n", 0640);
  EXPECT_TRUE(LoadConfigFile(closed).ok()) << "owner and lifeline's group only";
}

struct BadConfig {
  const char* text;
  const char* expect;
};

class BadConfigTest : public ::testing::TestWithParam<BadConfig> {};

TEST_P(BadConfigTest, NamesFileLineAndKey) {
  auto c = LoadConfig(GetParam().text, "site.toml");
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.status().message().find(GetParam().expect), std::string::npos) << c.status().message();
}

INSTANTIATE_TEST_SUITE_P(
    Cases, BadConfigTest,
    ::testing::Values(
        BadConfig{"[daemon]\nstate_dri = \"x\"\n", "site.toml:2: daemon.state_dri: unknown key"},
        BadConfig{"[deamon]\n", "site.toml:1: deamon: unknown key"},
        BadConfig{"[daemon]\nlog_level = 3\n", "site.toml:2: daemon.log_level: wrong type (expected string)"},
        BadConfig{"[daemon]\nlog_level = \"loud\"\n", "site.toml:2: daemon.log_level: 'loud' is not one of"},
        BadConfig{"[daemon]\nstate_dir = \"\"\n", "site.toml:2: daemon.state_dir: must not be empty"},
        BadConfig{"[daemon\n", "site.toml:1:"},
        BadConfig{"daemon = 1\n", "site.toml:1: daemon: wrong type (expected table)"},
        BadConfig{"[fax]\nmax_bit_rate = 12000\n", "site.toml:2: fax.max_bit_rate: must be 14400, 9600 or 4800"},
        BadConfig{"[site]\nbase_url = \"http://x\"\n", "site.toml:2: site.base_url: must start with https://"},
        BadConfig{"[monitor]\noutage_after_failures = 0\n", "site.toml:2: monitor.outage_after_failures: must be 1-100"},
        BadConfig{"[fax]\necm = \"yes\"\n", "site.toml:2: fax.ecm: wrong type (expected boolean)"},
        BadConfig{"[supervisor]\ndrill_button_scenario = \"../x\"\n",
                  "site.toml:2: supervisor.drill_button_scenario: must be a scenario id"}));

INSTANTIATE_TEST_SUITE_P(
    FleetCases, BadConfigTest,
    ::testing::Values(
        BadConfig{"[fleet]\nenabled = true\nagency = \"kcg\"\nunit = \"u/1\"\n",
                  "site.toml:4: fleet.unit: must be 1-64 printable ASCII characters without '/', '+' or '#'"},
        BadConfig{"[fleet]\nenabled = true\nagency = \"kcg\"\nunit = \"u1\"\n",
                  "fleet.host: must be set when fleet.enabled is true"},
        BadConfig{"[fleet]\nwindow = 0\n", "site.toml:2: fleet.window: must be 1-10000"}));

// A box without a broker: the fleet is off unless configured.
TEST(ConfigTest, TheFleetIsOffByDefault) {
  auto c = LoadConfig(std::nullopt, "");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_FALSE(c->fleet.enabled);
  EXPECT_EQ(c->fleet.port, 8883);
  EXPECT_EQ(c->fleet.window, 64);
}

}  // namespace
}  // namespace lifeline
