// Printable documents: a small model (title, headings, paragraphs, tables,
// signature blocks, a page header and footer) and its renderers: PDF (cairo +
// pango, A4, fonts found by fontconfig, zh-TW first, "第 N 頁／共 M 頁" on each
// page), self-contained HTML (escaped, printable CSS, no external assets), and
// CSV (UTF-8 with BOM, RFC 4180 quoting) for tables. Rendering is a pure
// function of the document; no global state; any thread.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "daemon/core/status.h"

namespace lifeline::print {

struct Table {
  std::vector<std::string> header;
  std::vector<std::vector<std::string>> rows;  // each as long as `header`
  std::vector<double> widths;  // relative column widths; empty = equal
};

struct Block {
  enum class Kind { kHeading, kParagraph, kTable, kSignatures };
  Kind kind = Kind::kParagraph;
  std::string text;                  // heading or paragraph ("\n" breaks lines)
  Table table;                       // kTable
  std::vector<std::string> signers;  // kSignatures: roles, e.g. 通報人員, 通報主管, 資通安全長
  std::vector<std::string> signed_text;  // kSignatures: per role, who signed and when ("" = blank to sign)
};

struct Document {
  std::string title;            // first page, large; also the PDF's and HTML's title
  std::string subtitle;         // under the title ("" = none)
  std::string header;           // every page's running head ("" = none)
  std::string footer;           // every page's foot, left; the page number is on the right
  std::string lang = "zh-TW";
  // When it was made, as the PDF's CreationDate ("2026-11-21T10:06:00+08:00";
  // "" = the time of rendering): the same document then renders to the same bytes.
  std::string created;
  std::vector<Block> blocks;

  void Heading(std::string text);
  void Paragraph(std::string text);
  void AddTable(Table table);
  // One box per role; `filled[i]`, when given and not empty, is printed in
  // role i's box instead of the blank lines to sign on.
  void Signatures(std::vector<std::string> roles, std::vector<std::string> filled = {});
};

// The PDF's bytes, made by the PDF helper (pdf_helper.h), a program started
// for each call that blocks the calling thread until it ends. Fails when the
// helper cannot be started, fails or is stuck (an Internal error naming why)
// or cairo cannot make a PDF surface.
Result<std::string> RenderPdf(const Document& doc);
// One HTML file, everything escaped, its CSS inline.
std::string RenderHtml(const Document& doc);
// Text for HTML content or attribute values: & < > " ' escaped.
std::string HtmlEscape(std::string_view text);

// A CSV file: UTF-8 BOM (so Excel reads UTF-8), CRLF rows, fields quoted when
// they hold a comma, quote, CR or LF, or start or end with a space. A field that
// a spreadsheet would take as a formula (=, +, -, @ first, not a number) gets a
// leading apostrophe, so an imported text never runs as one.
std::string Csv(const std::vector<std::vector<std::string>>& rows);

// A monochrome page image (a fax page as sent), 1 = black, row-major.
struct Bitmap {
  int width = 0, height = 0;
  double x_dpi = 204, y_dpi = 196;
  std::vector<uint8_t> pixels;  // width * height
};
// One PDF page per image, each scaled to its own size at its resolution
// (an A4 fax page prints as A4). Fails on an empty or inconsistent image.
Result<std::string> RenderBitmapsPdf(const std::vector<Bitmap>& pages);

// Writes bytes to `path` (replaced whole: a temporary file, then rename).
Status WriteFile(const std::string& path, std::string_view bytes);

}  // namespace lifeline::print
