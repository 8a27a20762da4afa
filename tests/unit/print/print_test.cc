// Printable documents: the PDF is valid and its text extracts (pdfinfo and
// pdftotext from poppler-utils read it back), HTML escapes everything it prints,
// CSV quotes as RFC 4180 says and opens in Excel as UTF-8. The PDF helper's
// request carries every field and every byte, and anything cut short or of
// another build is refused.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "daemon/print/pdf_helper.h"
#include "daemon/print/print.h"
#include "tests/support/command.h"

namespace lifeline::print {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using testing_support::RunCommand;

std::string TempDir() {
  auto dir = std::filesystem::temp_directory_path() / ("print_test." + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  return dir.string();
}

// A document long enough for three pages: paragraphs, a 60-row table, signatures.
Document Sample() {
  Document d;
  d.title = "演練時間紀錄表";
  d.subtitle = "114 年度資通安全事件通報及應變演練";
  d.header = "高雄市政府民政局　演練時間紀錄表";
  d.footer = "lifeline 產製";
  d.Heading("一、演練單位");
  d.Paragraph("高雄市鼓山戶政事務所：網路中斷演練。知悉時間 2026-09-15 10:00:00，通報時間 10:05:12。");
  Table t;
  t.header = {"時間", "步驟", "說明"};
  t.widths = {2, 2, 5};
  for (int i = 0; i < 60; ++i) {
    t.rows.push_back({"10:" + std::string(i < 10 ? "0" : "") + std::to_string(i) + ":00", "網站嘗試 " + std::to_string(i + 1),
                      "連線逾時（timeout），重試中；此列文字較長以測試換行與分頁是否正確處理。"});
  }
  d.AddTable(t);
  d.Heading("二、簽核");
  d.Signatures({"通報人員", "通報主管", "資通安全長"});
  return d;
}

TEST(Pdf, IsValidAndItsTextExtracts) {
  auto pdf = RenderPdf(Sample());
  ASSERT_TRUE(pdf.ok()) << pdf.status().ToString();
  ASSERT_EQ(pdf->rfind("%PDF-", 0), 0u);
  EXPECT_NE(pdf->find("%%EOF"), std::string::npos);
  const std::string dir = TempDir(), path = dir + "/sample.pdf";
  ASSERT_TRUE(WriteFile(path, *pdf).ok());
  auto info = RunCommand("pdfinfo " + path + " 2>&1");
  ASSERT_EQ(info.exit_code, 0) << info.output;
  EXPECT_THAT(info.output, HasSubstr("Title:           演練時間紀錄表"));
  EXPECT_THAT(info.output, HasSubstr("Page size:       595.276 x 841.89 pts (A4)"));
  EXPECT_THAT(info.output, ::testing::ContainsRegex("Pages: +[3-9]"));
  auto text = RunCommand("pdftotext -enc UTF-8 " + path + " - 2>&1");
  ASSERT_EQ(text.exit_code, 0) << text.output;
  for (const char* s : {"演練時間紀錄表", "一、演練單位", "二、簽核", "10:05:12", "10:59:00", "網站嘗試 60",
                        "高雄市政府民政局", "第 1 頁／共", "資通安全長", "簽章："}) {
    EXPECT_THAT(text.output, HasSubstr(s)) << s;
  }
  // The table's header row is repeated on the page it continues on.
  auto page2 = RunCommand("pdftotext -enc UTF-8 -f 2 -l 2 " + path + " - 2>&1");
  EXPECT_THAT(page2.output, HasSubstr("說明"));
  EXPECT_THAT(page2.output, HasSubstr("第 2 頁／共"));
  std::filesystem::remove_all(dir);
}

TEST(Pdf, EmptyDocumentIsOnePage) {
  Document d;
  d.title = "空白";
  auto pdf = RenderPdf(d);
  ASSERT_TRUE(pdf.ok());
  const std::string dir = TempDir(), path = dir + "/empty.pdf";
  ASSERT_TRUE(WriteFile(path, *pdf).ok());
  auto info = RunCommand("pdfinfo " + path + " 2>&1");
  EXPECT_THAT(info.output, ::testing::ContainsRegex("Pages: +1\n"));
  std::filesystem::remove_all(dir);
}

TEST(Html, EscapesEverythingItPrints) {
  Document d;
  d.title = "<script>alert('t')</script>";
  d.header = "</style><script>alert('h')</script>";
  d.footer = "\"'&";
  d.Paragraph("步驟 <script>alert(1)</script> & <b>粗</b>");
  d.AddTable({{"<th>"}, {{"<img src=x onerror=alert(2)>"}}, {}});
  d.Signatures({"<i>通報人員</i>"});
  const std::string html = RenderHtml(d);
  EXPECT_THAT(html, Not(HasSubstr("<script")));
  EXPECT_THAT(html, Not(HasSubstr("<img")));
  EXPECT_THAT(html, Not(HasSubstr("<b>")));
  EXPECT_THAT(html, Not(HasSubstr("<i>")));
  EXPECT_THAT(html, HasSubstr("&lt;script&gt;alert(1)&lt;/script&gt; &amp; &lt;b&gt;粗&lt;/b&gt;"));
  EXPECT_THAT(html, HasSubstr("<td>&lt;img src=x onerror=alert(2)&gt;</td>"));
  EXPECT_THAT(html, HasSubstr("<title>&lt;script&gt;alert(&#39;t&#39;)&lt;/script&gt;</title>"));
  // The running head also goes into the CSS, where only CSS escapes work.
  size_t styles = 0;
  for (size_t at = 0; (at = html.find("</style>", at)) != std::string::npos; ++at) ++styles;
  EXPECT_EQ(styles, 1u);
  EXPECT_THAT(html, HasSubstr("<html lang=\"zh-TW\">"));
  EXPECT_THAT(html, Not(HasSubstr("http://")));
  EXPECT_THAT(html, Not(HasSubstr("https://")));
}

TEST(Html, EscapeTable) {
  EXPECT_EQ(HtmlEscape("a<b>&\"'c"), "a&lt;b&gt;&amp;&quot;&#39;c");
  EXPECT_EQ(HtmlEscape("中文"), "中文");
}

TEST(Csv, QuotesAsRfc4180WithBom) {
  const std::string csv = Csv({{"時間", "說明"},
                               {"10:05", "a,b"},
                               {"say \"hi\"", "line1\nline2"},
                               {" padded", "plain"},
                               {"=HYPERLINK(\"x\")", "-312"},
                               {"@SUM(A1)", "+5"},
                               {"-00:05", ""}});
  EXPECT_EQ(csv,
            "\xEF\xBB\xBF"
            "時間,說明\r\n"
            "10:05,\"a,b\"\r\n"
            "\"say \"\"hi\"\"\",\"line1\nline2\"\r\n"
            "\" padded\",plain\r\n"
            "\"'=HYPERLINK(\"\"x\"\")\",-312\r\n"
            "'@SUM(A1),+5\r\n"
            "'-00:05,\r\n");
}

TEST(WriteFile, ReplacesWholeAndReportsErrors) {
  const std::string dir = TempDir(), path = dir + "/f.txt";
  ASSERT_TRUE(WriteFile(path, "one").ok());
  ASSERT_TRUE(WriteFile(path, "two").ok());
  std::ifstream in(path);
  std::string s;
  std::getline(in, s);
  EXPECT_EQ(s, "two");
  Status bad = WriteFile(dir + "/no/such/dir/f.txt", "x");
  EXPECT_EQ(bad.code(), StatusCode::kIoError);
  EXPECT_THAT(bad.message(), HasSubstr("no/such/dir/f.txt.tmp"));
  std::filesystem::remove_all(dir);
}

// Every field, with bytes that are not UTF-8, survives the trip to the helper.
TEST(PdfRequest, ADocumentRoundTripsWithEveryFieldAndByte) {
  Document d = Sample();
  d.created = "2026-11-21T10:06:00+08:00";
  d.lang = "en";
  d.Paragraph(std::string("CSI \xff\xfe\x01 end\0after", 17));
  d.Signatures({"通報人員", "資通安全長"}, {"王小明 2026-11-21 10:06", ""});
  const std::string bytes = EncodePdfRequest("test-1", d);
  auto back = DecodePdfRequest("test-1", bytes);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  ASSERT_TRUE(back->document.has_value());
  const Document& e = *back->document;
  EXPECT_EQ(e.title, d.title);
  EXPECT_EQ(e.subtitle, d.subtitle);
  EXPECT_EQ(e.header, d.header);
  EXPECT_EQ(e.footer, d.footer);
  EXPECT_EQ(e.lang, d.lang);
  EXPECT_EQ(e.created, d.created);
  ASSERT_EQ(e.blocks.size(), d.blocks.size());
  for (size_t i = 0; i < d.blocks.size(); ++i) {
    EXPECT_EQ(e.blocks[i].kind, d.blocks[i].kind) << i;
    EXPECT_EQ(e.blocks[i].text, d.blocks[i].text) << i;
    EXPECT_EQ(e.blocks[i].table.header, d.blocks[i].table.header) << i;
    EXPECT_EQ(e.blocks[i].table.rows, d.blocks[i].table.rows) << i;
    EXPECT_EQ(e.blocks[i].table.widths, d.blocks[i].table.widths) << i;
    EXPECT_EQ(e.blocks[i].signers, d.blocks[i].signers) << i;
    EXPECT_EQ(e.blocks[i].signed_text, d.blocks[i].signed_text) << i;
  }
  EXPECT_EQ(EncodePdfRequest("test-1", e), bytes);
}

TEST(PdfRequest, PageImagesRoundTripPixelForPixel) {
  std::vector<Bitmap> pages(2);
  pages[0] = {13, 7, 204, 98, {}};
  pages[1] = {1728, 3, 204, 196, {}};
  for (Bitmap& b : pages) {
    b.pixels.resize(static_cast<size_t>(b.width) * b.height);
    for (size_t i = 0; i < b.pixels.size(); ++i) b.pixels[i] = (i * 7 + i / 5) % 3 == 0;
  }
  auto back = DecodePdfRequest("test-1", EncodePdfRequest("test-1", pages));
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_FALSE(back->document.has_value());
  ASSERT_EQ(back->bitmaps.size(), 2u);
  for (size_t i = 0; i < 2; ++i) {
    EXPECT_EQ(back->bitmaps[i].width, pages[i].width);
    EXPECT_EQ(back->bitmaps[i].height, pages[i].height);
    EXPECT_EQ(back->bitmaps[i].x_dpi, pages[i].x_dpi);
    EXPECT_EQ(back->bitmaps[i].y_dpi, pages[i].y_dpi);
    EXPECT_EQ(back->bitmaps[i].pixels, pages[i].pixels);
  }
}

TEST(PdfRequest, AnythingCutShortLongerOrOfAnotherBuildIsRefused) {
  const std::string bytes = EncodePdfRequest("test-1", Sample());
  for (size_t n = 0; n < bytes.size(); n += 1 + n / 64) {
    auto r = DecodePdfRequest("test-1", bytes.substr(0, n));
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument) << n;
  }
  EXPECT_FALSE(DecodePdfRequest("test-1", bytes + "x").ok());
  auto other = DecodePdfRequest("test-2", bytes);
  EXPECT_EQ(other.status().code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(other.status().message(), HasSubstr("test-1"));
  // A count no input could hold is refused before anything is made for it.
  std::string huge = "lifeline-pdf test-1\nB";
  huge += std::string("\xff\xff\xff\x7f", 4);
  EXPECT_FALSE(DecodePdfRequest("test-1", huge).ok());
}

TEST(PdfAnswer, CarriesThePdfOrTheRefusalWithItsCode) {
  auto ok = DecodePdfAnswer(EncodePdfAnswer(std::string("%PDF-1.5 \0 bytes", 16)));
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(*ok, std::string("%PDF-1.5 \0 bytes", 16));
  auto refused = DecodePdfAnswer(EncodePdfAnswer(InvalidArgument("no page images")));
  EXPECT_EQ(refused.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(refused.status().message(), "no page images");
  for (std::string_view junk : {std::string_view(""), std::string_view("E\x01"), std::string_view("garbage")}) {
    EXPECT_EQ(DecodePdfAnswer(junk).status().code(), StatusCode::kInternal);
  }
}

// Through the helper: a refusal keeps its code, and page images come back as
// one PDF page each.
TEST(PdfHelper, RefusesAnInconsistentImageWithItsOwnCode) {
  Bitmap b{10, 10, 204, 196, std::vector<uint8_t>(99, 0)};
  auto pdf = RenderBitmapsPdf({b});
  EXPECT_EQ(pdf.status().code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(pdf.status().message(), HasSubstr("do not match its size"));
  EXPECT_EQ(RenderBitmapsPdf({}).status().code(), StatusCode::kInvalidArgument);
}

TEST(PdfHelper, MakesOnePagePerImage) {
  Bitmap b{1728, 2200, 204, 196, std::vector<uint8_t>(1728 * 2200, 0)};
  for (int y = 100; y < 200; ++y) std::fill_n(b.pixels.begin() + y * 1728 + 100, 800, 1);
  auto pdf = RenderBitmapsPdf({b, b, b});
  ASSERT_TRUE(pdf.ok()) << pdf.status().ToString();
  const std::string dir = TempDir(), path = dir + "/pages.pdf";
  ASSERT_TRUE(WriteFile(path, *pdf).ok());
  auto info = RunCommand("pdfinfo " + path + " 2>&1");
  EXPECT_THAT(info.output, ::testing::ContainsRegex("Pages: +3\n"));
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace lifeline::print
