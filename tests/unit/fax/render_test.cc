#include <gtest/gtest.h>
#include <png.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "daemon/channels/fax/fax.h"
#include "daemon/channels/fax/form_content.h"
#include "daemon/channels/fax/line_break.h"

namespace lifeline::fax {
namespace {

Report SampleReport() {
  std::ifstream in(std::string(LIFELINE_SOURCE_DIR) + "/config/sample-report.json");
  std::stringstream ss;
  ss << in.rdbuf();
  auto outcome = ValidateReport(ss.str());
  EXPECT_TRUE(outcome.ok()) << outcome.Describe();
  return *outcome.report;
}

FaxNotice SampleNotice() {
  FaxNotice n;
  n.reason = "機關對外網路中斷（中華電信專線故障），無法連線國家資通安全通報應變網站";
  n.deadline = ParseRfc3339("2026-11-21T10:58:00+08:00").value();
  n.rule_label = "知悉後1小時內";
  n.recipient = "國家資通安全會報技術服務中心";
  return n;
}

std::string TmpDir() {
  std::string dir = std::string(LIFELINE_BINARY_DIR) + "/test-tmp/fax/render";
  std::filesystem::create_directories(dir);
  return dir;
}

bool RowsBlank(const FaxPage& p, int from, int to) {
  for (int y = from; y < to; ++y) {
    for (int x = 0; x < p.width; ++x) {
      if (p.Black(x, y)) return false;
    }
  }
  return true;
}

TEST(Render, FinePagesAreA4AndNothingRunsIntoTheMargins) {
  auto pages = RenderForm(SampleReport(), SampleNotice(), {});
  ASSERT_TRUE(pages.ok()) << pages.status().ToString();
  ASSERT_GE(pages->size(), 1u);
  for (const auto& p : *pages) {
    EXPECT_EQ(p.width, 1728);
    EXPECT_EQ(p.height, 2292);
    EXPECT_GT(p.BlackCount(), 10000);
    EXPECT_TRUE(RowsBlank(p, 0, 40));                    // top margin
    EXPECT_TRUE(RowsBlank(p, p.height - 40, p.height));  // bottom margin
  }
}

TEST(Render, StandardResolutionHalvesTheRows) {
  RenderOptions opt;
  opt.resolution = Resolution::kStandard;
  auto pages = RenderForm(SampleReport(), SampleNotice(), opt);
  ASSERT_TRUE(pages.ok());
  EXPECT_EQ(pages->front().height, 1146);
}

TEST(Render, LongDescriptionFlowsOntoMorePages) {
  Report r = SampleReport();
  auto short_pages = RenderForm(r, SampleNotice(), {});
  std::string long_text;
  for (int i = 0; i < 60; ++i) {
    long_text += "第" + std::to_string(i) + "段：伺服器 db-01.example.gov.tw 出現異常連線，已隔離並保全證據。";
  }
  r.description = long_text;
  auto long_pages = RenderForm(r, SampleNotice(), {});
  ASSERT_TRUE(short_pages.ok() && long_pages.ok());
  EXPECT_GT(long_pages->size(), short_pages->size());
}

TEST(Render, ContentHasEveryOptionOfTheFormAndTheNotice) {
  const Report r = SampleReport();
  const FormContent c = BuildStage1Form(r, SampleNotice());
  std::string all;
  for (const auto& p : c.paragraphs) all += p.text + "\n";
  for (const char* label : {"資通安全事件通報單", "【壹、事件通報】", "STEP1.", "STEP2.", "STEP3.", "STEP4.",
                            "網頁置換", "網站個資外洩", "設備遺失", "高科技園區", "緊急救援與醫院",
                            "無資料遭洩漏(無需通報)", "無系統或設備運作受影響(無需通報)",
                            "期望支援內容", "替代通報", "無法連線國家資通安全通報應變網站", r.id.c_str(),
                            "資安事件影響等級：3 級", "2026年11月21日09時41分",
                            "知悉後1小時內（2026年11月21日10時58分 前）", "國家資通安全會報技術服務中心"}) {
    EXPECT_NE(all.find(label), std::string::npos) << label;
  }
  // Two anomalies of "intrusion" checked, three left unchecked; one category chosen.
  const std::string checked = Box(true);
  int boxes = 0;
  for (size_t pos = all.find(checked); pos != std::string::npos; pos = all.find(checked, pos + 1)) ++boxes;
  // anomalies 2 + behalf(no) 1 + soc 1 + affects(no) 1 + source 1 + C/I/A 3 + support 1
  EXPECT_EQ(boxes, 10);
  EXPECT_NE(all.find(Radio(true) + "非法入侵"), std::string::npos);
}

nlohmann::json StageFixture(const std::string& stage, const std::string& name) {
  std::ifstream in(std::string(LIFELINE_SOURCE_DIR) + "/tests/fixtures/stages/" + stage + "/valid/" + name);
  std::stringstream ss;
  ss << in.rdbuf();
  return nlohmann::json::parse(ss.str());
}

std::string AllText(const FormContent& c) {
  std::string all;
  for (const auto& p : c.paragraphs) all += p.text + "\n";
  return all;
}

// Stages 2 and 3 on paper (issue 17): the category's pages with the document's answers checked.
TEST(Render, StagePagesCarryTheCategorysBoxesAndTheAnswers) {
  const Report r = SampleReport();
  const std::string dc = AllText(BuildStageForm(Stage::kDamageControl, r, StageFixture("damage-control", "intrusion_full.json"),
                                                SampleNotice()));
  const std::string closing = AllText(BuildStageForm(Stage::kClosing, r, StageFixture("closing", "intrusion_full.json"),
                                                     FaxNotice{}));
  for (const std::string& want :
       {std::string("表單第 P24-P25 頁"), std::string("【貳、損害控制或復原】"), std::string("STEP5."),
        std::string("指定通報方式無法使用之原因"), Box(true) + "中斷受害主機網路連線行為至主機無安全性疑慮",
        Radio(true) + "已完成損害控制並復原，恢復資安事件造成的損害", Radio(false) + "已完成損害控制，未有擴大損害情形",
        std::string("完成損害控制或復原時間：2026年11月22日15時30分")}) {
    EXPECT_NE(dc.find(want), std::string::npos) << want << "\n" << dc;
  }
  for (const std::string& want :
       {std::string("表單第 P26-P27 頁"), std::string("【參、調查、處理及改善報告】"), std::string("STEP6."),
        Radio(true) + "社交工程", Radio(false) + "系統遭入侵", std::string("登錄結報時間：2026年12月18日16時00分")}) {
    EXPECT_NE(closing.find(want), std::string::npos) << want << "\n" << closing;
  }
  EXPECT_EQ(closing.find("指定通報方式無法使用之原因"), std::string::npos) << "no reason given, none printed";
  int chosen = 0;
  for (size_t at = closing.find(Radio(true)); at != std::string::npos; at = closing.find(Radio(true), at + 1)) ++chosen;
  EXPECT_EQ(chosen, 1) << "the cause is one choice";
  auto pages = RenderStageForm(Stage::kClosing, r, StageFixture("closing", "intrusion_full.json"), FaxNotice{},
                               RenderOptions{});
  ASSERT_TRUE(pages.ok()) << pages.status().ToString();
  ASSERT_FALSE(pages->empty());
  EXPECT_EQ((*pages)[0].width, 1728);
}

TEST(Render, TiffRoundTripIsPixelExactAndPngIsWritten) {
  const std::string tiff = TmpDir() + "/form.tif";
  auto png = RenderFormToFiles(SampleReport(), SampleNotice(), {}, tiff);
  ASSERT_TRUE(png.ok()) << png.status().ToString();
  EXPECT_GT(std::filesystem::file_size(*png), 1000u);
  auto pages = RenderForm(SampleReport(), SampleNotice(), {});
  auto back = ReadTiffPages(tiff);
  ASSERT_TRUE(back.ok());
  ASSERT_EQ(back->size(), pages->size());
  for (size_t i = 0; i < pages->size(); ++i) EXPECT_EQ((*back)[i].pixels, (*pages)[i].pixels);
}

// Decodes a PNG (8-bit grey) into rows of bytes, with libpng's simplified API.
bool DecodeGreyPng(const std::string& bytes, int* width, int* height, std::vector<uint8_t>* pixels) {
  png_image image{};
  image.version = PNG_IMAGE_VERSION;
  if (!png_image_begin_read_from_memory(&image, bytes.data(), bytes.size())) return false;
  image.format = PNG_FORMAT_GRAY;
  pixels->resize(PNG_IMAGE_SIZE(image));
  *width = static_cast<int>(image.width);
  *height = static_cast<int>(image.height);
  return png_image_finish_read(&image, nullptr, pixels->data(), 0, nullptr) != 0;
}

// The console's page preview: one page, black where the page is black, and
// standard resolution doubled to the paper's proportions.
TEST(Render, OnePagePngIsThePageAsSent) {
  const std::string tiff = TmpDir() + "/preview.tif";
  auto pages = RenderForm(SampleReport(), SampleNotice(), {});
  ASSERT_TRUE(pages.ok());
  ASSERT_TRUE(WriteTiffF(*pages, Resolution::kFine, tiff).ok());
  EXPECT_EQ(ReadTiffResolution(tiff).value(), Resolution::kFine);
  const FaxPage& page = (*pages)[1];
  auto png = EncodePngPreview({page}, Resolution::kFine, 0);
  ASSERT_TRUE(png.ok()) << png.status().ToString();
  int w = 0, h = 0;
  std::vector<uint8_t> grey;
  ASSERT_TRUE(DecodeGreyPng(*png, &w, &h, &grey));
  ASSERT_EQ(w, page.width);
  ASSERT_EQ(h, page.height);
  int differ = 0;
  for (int y = 0; y < h; ++y) {
    for (int x = 0; x < w; ++x) differ += (grey[static_cast<size_t>(y) * w + x] == 0) != page.Black(x, y);
  }
  EXPECT_EQ(differ, 0);
  const std::string standard = TmpDir() + "/standard.tif";
  ASSERT_TRUE(WriteTiffF({page}, Resolution::kStandard, standard).ok());
  EXPECT_EQ(ReadTiffResolution(standard).value(), Resolution::kStandard);
  auto tall = EncodePngPreview({page}, Resolution::kStandard, 0);
  ASSERT_TRUE(DecodeGreyPng(*tall, &w, &h, &grey));
  EXPECT_EQ(h, 2 * page.height);
  EXPECT_FALSE(EncodePngPreview({}, Resolution::kFine, 0).ok());
  EXPECT_FALSE(ReadTiffResolution("/nonexistent.tif").ok());
}

TEST(Render, BadInputGivesErrorsNotCrashes) {
  RenderOptions opt;
  opt.font_path = "/nonexistent/font.ttc";
  EXPECT_FALSE(RenderForm(SampleReport(), SampleNotice(), opt).ok());
  EXPECT_FALSE(ReadTiffPages("/nonexistent.tif").ok());
  const std::string junk = TmpDir() + "/junk.tif";
  std::ofstream(junk) << "II*\0garbage";
  EXPECT_FALSE(ReadTiffPages(junk).ok());
  EXPECT_FALSE(WriteTiffF({}, Resolution::kFine, TmpDir() + "/empty.tif").ok());
}

}  // namespace
}  // namespace lifeline::fax
