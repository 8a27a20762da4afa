// The one TOML reader: typed values with file, line and key in every error,
// unknown keys refused, tables and lists of tables named by index, and an
// override laid onto defaults whose errors point at the override's line.
#include "daemon/core/toml_reader.h"

#include <gtest/gtest.h>

namespace lifeline {
namespace {

constexpr const char* kText = R"(title = "規則"
count = 3
ratio = 0.5
on = true
names = ["a", "b"]

[site]
url = "https://x"
timeout_ms = 5000

[[recipient]]
key = "superior"
channels = [{ kind = "sms", address = "+886912" }, { kind = "fax", address = "02" }]

[[recipient]]
key = 7
)";

TomlTable Root() {
  auto doc = TomlDocument::Parse(kText, "t.toml");
  EXPECT_TRUE(doc.ok()) << doc.status().ToString();
  return doc->root();
}

TEST(TomlReaderTest, ReadsTypedValues) {
  TomlTable t = Root();
  std::string title;
  int64_t count = 0;
  double ratio = 0;
  bool on = false;
  std::vector<std::string> names;
  ASSERT_TRUE(t.Get("title", &title).ok());
  ASSERT_TRUE(t.Get("count", &count).ok());
  ASSERT_TRUE(t.Get("ratio", &ratio).ok());
  ASSERT_TRUE(t.Get("on", &on).ok());
  ASSERT_TRUE(t.Get("names", &names).ok());
  EXPECT_EQ(title, "規則");
  EXPECT_EQ(count, 3);
  EXPECT_EQ(ratio, 0.5);
  EXPECT_TRUE(on);
  EXPECT_EQ(names, (std::vector<std::string>{"a", "b"}));
  double from_int = 0;
  ASSERT_TRUE(t.Get("count", &from_int).ok());
  EXPECT_EQ(from_int, 3.0);
}

TEST(TomlReaderTest, ErrorsNameFileLineAndKey) {
  TomlTable t = Root();
  int64_t n = 0;
  Status wrong = t.Get("title", &n);
  EXPECT_EQ(wrong.message(), "t.toml:1: title: must be an integer (found string)");
  std::string s;
  EXPECT_EQ(t.Get("nope", &s).message(), "t.toml:1: nope: missing");
  EXPECT_TRUE(t.Get("nope", &s, Need::kOptional).ok());
  EXPECT_EQ(t.InRange("count", 5, 9, &n).message(), "t.toml:2: count: must be 5-9");
  auto site = t.Table("site");
  ASSERT_TRUE(site.ok() && site->has_value());
  int timeout = 0;
  ASSERT_TRUE((*site)->Get("timeout_ms", &timeout).ok());
  EXPECT_EQ(timeout, 5000);
  EXPECT_EQ((*site)->OnlyKeys({"url"}).message(), "t.toml:9: site.timeout_ms: unknown key");
  auto recipients = t.Tables("recipient");
  ASSERT_TRUE(recipients.ok());
  ASSERT_EQ(recipients->size(), 2u);
  EXPECT_EQ((*recipients)[1].Get("key", &s).message(), "t.toml:16: recipient[1].key: must be a string (found integer)");
  auto channels = (*recipients)[0].Tables("channels");
  ASSERT_TRUE(channels.ok());
  ASSERT_EQ(channels->size(), 2u);
  EXPECT_EQ((*channels)[1].Error("kind", "bad").message(), "t.toml:13: recipient[0].channels[1].kind: bad");
  EXPECT_FALSE(t.Tables("names").ok());
  EXPECT_FALSE(t.Table("title").ok());
}

TEST(TomlReaderTest, ParseErrorsNameTheLine) {
  auto bad = TomlDocument::Parse("a = 1\nb = = 2\n", "bad.toml");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().message().rfind("bad.toml:2: ", 0), 0u) << bad.status().message();
  EXPECT_EQ(TomlDocument::ParseFile("/nonexistent/x.toml").status().code(), StatusCode::kNotFound);
}

TEST(TomlReaderTest, OverlayChecksKeysAndTypesAndKeepsTheOverridesLine) {
  auto base = TomlDocument::Parse("[site]\nurl = \"\"\ntimeout_ms = 5000\n", "defaults.toml");
  ASSERT_TRUE(base.ok());
  auto over = TomlDocument::Parse("\n\n[site]\ntimeout_ms = 1\n", "box.toml");
  ASSERT_TRUE(over.ok());
  ASSERT_TRUE(base->Overlay(*over).ok());
  auto site = base->root().Table("site");
  int timeout = 0;
  ASSERT_TRUE((*site)->InRange("timeout_ms", 100, 9000, &timeout).code() == StatusCode::kInvalidArgument);
  EXPECT_EQ((*site)->InRange("timeout_ms", 100, 9000, &timeout).message(), "box.toml:4: site.timeout_ms: must be 100-9000");
  EXPECT_EQ((*site)->LineOf("url"), 2);
  EXPECT_EQ((*site)->OriginOf("url"), "defaults.toml");
  auto unknown = TomlDocument::Parse("[site]\nproxy = \"x\"\n", "box.toml");
  EXPECT_EQ(base->Overlay(*unknown).message(), "box.toml:2: site.proxy: unknown key");
  auto typed = TomlDocument::Parse("[site]\ntimeout_ms = \"fast\"\n", "box.toml");
  EXPECT_EQ(base->Overlay(*typed).message(), "box.toml:2: site.timeout_ms: wrong type (expected integer)");
}

}  // namespace
}  // namespace lifeline
