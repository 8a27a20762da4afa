#include "daemon/config/config.h"

#include <gtest/gtest.h>

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
}

TEST(ConfigTest, FileOverridesOnlyTheKeysItSets) {
  auto c = LoadConfig("[daemon]\nstate_dir = \"/var/lib/lifeline\"\nlog_level = \"debug\"\n", "x.toml");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->state_dir, "/var/lib/lifeline");
  EXPECT_EQ(c->socket_path, "/var/lib/lifeline/lifelined.sock");
  EXPECT_EQ(c->log_level, "debug");
  EXPECT_EQ(c->socket_group, "");
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
        BadConfig{"[fax]\necm = \"yes\"\n", "site.toml:2: fax.ecm: wrong type (expected boolean)"}));

}  // namespace
}  // namespace lifeline
