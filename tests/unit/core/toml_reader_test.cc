// The one TOML reader: typed values with file, line and key in every error,
// unknown keys refused, tables and lists of tables named by index, and an
// override laid onto defaults whose errors point at the override's line.
#include "daemon/core/toml_reader.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

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

TEST(TomlReaderTest, TextHasALengthLimit) {
  auto doc = TomlDocument::Parse("id = \"web-l1\"\nempty = \"\"\nname = \"網頁\"\n", "t.toml");
  ASSERT_TRUE(doc.ok());
  TomlTable t = doc->root();
  std::string s;
  ASSERT_TRUE(t.Text("id", 6, &s).ok());
  EXPECT_EQ(s, "web-l1");
  EXPECT_EQ(t.Text("id", 5, &s).message(), "t.toml:1: id: must be 1-5 bytes of text");
  EXPECT_EQ(t.Text("empty", 5, &s, Need::kOptional).message(), "t.toml:2: empty: must be 1-5 bytes of text");
  EXPECT_EQ(t.Text("name", 5, &s).message(), "t.toml:3: name: must be 1-5 bytes of text") << "bytes, not characters";
  s = "kept";
  ASSERT_TRUE(t.Text("nope", 5, &s, Need::kOptional).ok());
  EXPECT_EQ(s, "kept");
  EXPECT_EQ(t.Text("nope", 5, &s).message(), "t.toml:1: nope: missing");
}

TEST(TomlReaderTest, TablesCanBeNumberedFromOne) {
  TomlTable t = Root();
  auto recipients = t.Tables("recipient", Need::kRequired, Numbering::kFromOne);
  ASSERT_TRUE(recipients.ok());
  ASSERT_EQ(recipients->size(), 2u);
  EXPECT_EQ((*recipients)[0].path(), "recipient[1]");
  EXPECT_EQ((*recipients)[1].Where("key"), "t.toml:16: recipient[2].key");
  auto none = t.Tables("simulate", Need::kOptional, Numbering::kFromOne);
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->empty());
}

TEST(TomlReaderTest, ValuesAsJson) {
  auto doc = TomlDocument::Parse(R"([set]
category = "dos"
anomalies = ["a", "b"]
impact = { confidentiality = "none", integrity = 2, ratio = 0.5, ok = true }
nested = [[1, 2], [{ x = 1 }]]
aware_at = 2026-09-15T10:00:00+08:00
dates = ["x", { at = 2026-09-15 }]
)",
                                 "t.toml");
  ASSERT_TRUE(doc.ok()) << doc.status().ToString();
  auto set = doc->root().Table("set");
  ASSERT_TRUE(set.ok());
  const TomlTable& t = **set;
  auto category = t.ToJson("category");
  ASSERT_TRUE(category.ok());
  EXPECT_EQ(*category, nlohmann::json("dos"));
  auto anomalies = t.ToJson("anomalies");
  ASSERT_TRUE(anomalies.ok());
  EXPECT_EQ(*anomalies, nlohmann::json::parse(R"(["a","b"])"));
  auto impact = t.ToJson("impact");
  ASSERT_TRUE(impact.ok());
  EXPECT_EQ(*impact, nlohmann::json::parse(R"({"confidentiality":"none","integrity":2,"ratio":0.5,"ok":true})"));
  EXPECT_TRUE((*impact)["integrity"].is_number_integer());
  auto nested = t.ToJson("nested");
  ASSERT_TRUE(nested.ok());
  EXPECT_EQ(*nested, nlohmann::json::parse(R"([[1,2],[{"x":1}]])"));
  EXPECT_EQ(t.ToJson("aware_at").status().message(),
            "t.toml:6: set.aware_at: dates and times must be written as RFC 3339 strings with an offset");
  EXPECT_EQ(t.ToJson("dates").status().message(),
            "t.toml:7: set.dates: dates and times must be written as RFC 3339 strings with an offset")
      << "a date anywhere inside is refused, named by the key that holds it";
  EXPECT_EQ(t.ToJson("nope").status().message(), "t.toml:1: set.nope: missing");
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
