// Which fax copies the console may render: only files inside the state
// directory's fax folder, whatever path an attempt's evidence names.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "daemon/intake/intake.h"

namespace lifeline {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

json Evidence(const std::string& tiff) { return {{"summary", "fax"}, {"evidence", {{"tiff", tiff}}}}; }

class FaxCopy : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = std::string(LIFELINE_BINARY_DIR) + "/test-tmp/intake/fax-copy";
    fs::remove_all(root_);
    fs::create_directories(root_ + "/state/fax");
    fs::create_directories(root_ + "/state/other");
    std::ofstream(root_ + "/state/fax/attempt-1.tif") << "II*";
    std::ofstream(root_ + "/state/other/secret.tif") << "II*";
    std::ofstream(root_ + "/state/fax-evil.tif") << "II*";
    fs::create_symlink(root_ + "/state/other/secret.tif", root_ + "/state/fax/link.tif");
    fs::create_directory_symlink(root_ + "/state/other", root_ + "/state/fax/dir");
  }
  std::string fax() const { return root_ + "/state/fax"; }
  std::string root_;
};

TEST_F(FaxCopy, AFileInTheFaxFolderIsServed) {
  auto p = FaxCopyInside(Evidence(fax() + "/attempt-1.tif"), fax());
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_EQ(*p, fs::canonical(fax() + "/attempt-1.tif").string());
}

TEST_F(FaxCopy, EveryWayOutOfTheFolderIsRefused) {
  for (const std::string& path : {fax() + "/../other/secret.tif", root_ + "/state/other/secret.tif",
                                  fax() + "/link.tif", fax() + "/dir/secret.tif", root_ + "/state/fax-evil.tif",
                                  std::string("/etc/passwd"), fax(), fax() + "/."}) {
    auto p = FaxCopyInside(Evidence(path), fax());
    EXPECT_FALSE(p.ok()) << path;
    EXPECT_EQ(p.status().code(), StatusCode::kPermissionDenied) << path << ": " << p.status().ToString();
  }
}

TEST_F(FaxCopy, NoCopyOrAMissingOneIsNotFound) {
  for (const json& e : {json(nullptr), json::object(), json{{"evidence", {{"attempts", json::array()}}}},
                        json{{"evidence", {{"tiff", 42}}}}, Evidence(fax() + "/attempt-2.tif")}) {
    EXPECT_EQ(FaxCopyInside(e, fax()).status().code(), StatusCode::kNotFound) << e.dump();
  }
  EXPECT_EQ(FaxCopyInside(Evidence(fax() + "/attempt-1.tif"), root_ + "/nowhere").status().code(),
            StatusCode::kNotFound);
}

}  // namespace
}  // namespace lifeline
