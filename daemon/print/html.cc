// HTML: one self-contained file. Every text of the document is escaped; the CSS
// is inline and prints on A4 (running head and page numbers where the browser
// supports page margin boxes, table headers repeated on each page).
#include <cstdio>

#include "daemon/print/print.h"

namespace lifeline::print {
namespace {

constexpr const char* kStyle = R"(
body { font-family: "Noto Sans CJK TC", "Noto Sans TC", "Microsoft JhengHei", "PingFang TC", sans-serif;
  font-size: 10.5pt; line-height: 1.5; color: #000; max-width: 180mm; margin: 0 auto; padding: 8mm 0; }
header.run, footer.run { font-size: 9pt; color: #555; }
footer.run { border-top: 1px solid #999; margin-top: 12mm; padding-top: 2mm; }
h1 { font-size: 17pt; text-align: center; margin: 4mm 0 1mm; }
p.subtitle { text-align: center; margin: 0 0 6mm; }
h2 { font-size: 13pt; margin: 6mm 0 2mm; border-bottom: 1px solid #000; break-after: avoid; }
p { margin: 1.5mm 0; white-space: pre-wrap; }
table { border-collapse: collapse; width: 100%; margin: 2mm 0 4mm; font-size: 9.5pt; }
th, td { border: 1px solid #000; padding: 1mm 1.5mm; vertical-align: top; text-align: left; white-space: pre-wrap; }
th { background: #e8e8e8; }
thead { display: table-header-group; }
tr { break-inside: avoid; }
.signatures { display: flex; gap: 6mm; margin-top: 8mm; break-inside: avoid; }
.signatures div { flex: 1; border: 1px solid #000; padding: 2mm; min-height: 24mm; }
.signatures span { display: block; margin-top: 6mm; }
@media print { body { padding: 0; max-width: none; } header.run, footer.run { display: none; } }
)";

void AppendTable(const Table& t, std::string& out) {
  out += "<table>\n";
  if (!t.widths.empty()) {
    double sum = 0;
    for (double w : t.widths) sum += w;
    out += "<colgroup>";
    for (double w : t.widths) out += "<col style=\"width:" + std::to_string(static_cast<int>(100 * w / sum)) + "%\">";
    out += "</colgroup>\n";
  }
  out += "<thead><tr>";
  for (const auto& h : t.header) out += "<th>" + HtmlEscape(h) + "</th>";
  out += "</tr></thead>\n<tbody>\n";
  for (const auto& row : t.rows) {
    out += "<tr>";
    for (const auto& c : row) out += "<td>" + HtmlEscape(c) + "</td>";
    out += "</tr>\n";
  }
  out += "</tbody></table>\n";
}

void AppendBlock(const Block& b, std::string& out) {
  switch (b.kind) {
    case Block::Kind::kHeading: out += "<h2>" + HtmlEscape(b.text) + "</h2>\n"; break;
    case Block::Kind::kParagraph: out += "<p>" + HtmlEscape(b.text) + "</p>\n"; break;
    case Block::Kind::kTable: AppendTable(b.table, out); break;
    case Block::Kind::kSignatures:
      out += "<div class=\"signatures\">";
      for (size_t i = 0; i < b.signers.size(); ++i) {
        const bool filled = i < b.signed_text.size() && !b.signed_text[i].empty();
        out += "<div>" + HtmlEscape(b.signers[i]) +
               (filled ? "<span>" + HtmlEscape(b.signed_text[i]) + "</span>" : "<span>簽章：</span><span>日期：</span>") +
               "</div>";
      }
      out += "</div>\n";
      break;
  }
}

// A CSS string literal inside <style>, where HTML entities mean nothing: every
// character that could end the string or the element is a CSS hex escape.
std::string CssString(const std::string& s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    if (c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' || c == '\'' || c < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\%x ", c);
      out += buf;
    } else {
      out += static_cast<char>(c);
    }
  }
  return out + "\"";
}

// A4 pages with the running head and "第 N 頁／共 M 頁" in the margins.
std::string PageRule(const Document& doc) {
  return "@page { size: A4; margin: 18mm 15mm 20mm 15mm;\n  @top-left { content: " + CssString(doc.header) +
         "; font-size: 9pt; color: #555; }\n  @bottom-left { content: " + CssString(doc.footer) +
         "; font-size: 9pt; }\n  @bottom-right { content: \"第 \" counter(page) \" 頁／共 \" counter(pages) \" 頁\"; "
         "font-size: 9pt; } }\n";
}

}  // namespace

std::string HtmlEscape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return out;
}

std::string RenderHtml(const Document& doc) {
  std::string out = "<!DOCTYPE html>\n<html lang=\"" + HtmlEscape(doc.lang) + "\">\n<head>\n<meta charset=\"utf-8\">\n";
  out += "<title>" + HtmlEscape(doc.title) + "</title>\n<style>\n" + PageRule(doc) + kStyle +
         "</style>\n</head>\n<body>\n";
  if (!doc.header.empty()) out += "<header class=\"run\">" + HtmlEscape(doc.header) + "</header>\n";
  out += "<h1>" + HtmlEscape(doc.title) + "</h1>\n";
  if (!doc.subtitle.empty()) out += "<p class=\"subtitle\">" + HtmlEscape(doc.subtitle) + "</p>\n";
  for (const auto& b : doc.blocks) AppendBlock(b, out);
  if (!doc.footer.empty()) out += "<footer class=\"run\">" + HtmlEscape(doc.footer) + "</footer>\n";
  out += "</body>\n</html>\n";
  return out;
}

}  // namespace lifeline::print
