// PDF through cairo and pango. Two passes: the blocks are laid out into pages
// first (pango layouts measured on the PDF surface's own context, paragraphs
// split between lines, table rows kept whole with the header row repeated),
// then each page is drawn with its running head and "第 N 頁／共 M 頁", now
// that the page count is known. cairo embeds font subsets with their Unicode
// maps, so the text extracts (pdftotext) and searches.
#include <cairo-pdf.h>
#include <cairo.h>
#include <pango/pangocairo.h>

#include <algorithm>
#include <memory>

#include "daemon/print/cairo_sink.h"
#include "daemon/print/pdf_helper.h"
#include "daemon/print/print.h"

namespace lifeline::print {
namespace {

constexpr double kPageW = 595.276, kPageH = 841.890;  // A4, points
constexpr double kLeft = 50, kRight = kPageW - 50, kTop = 62, kBottom = kPageH - 62;
constexpr double kWidth = kRight - kLeft;
constexpr double kCellPad = 3;
constexpr const char* kFamily = "Noto Sans CJK TC";

struct Style {
  double size = 10.5;
  bool bold = false;
  PangoAlignment align = PANGO_ALIGN_LEFT;
};

// One thing to draw: a layout line at a baseline, or a rectangle (stroked, or
// filled grey).
struct Op {
  PangoLayout* layout = nullptr;
  int line = -1;  // -1: the whole layout, its top-left at (x, y)
  double x = 0, y = 0, w = 0, h = 0;
  bool rect = false, fill = false;
};

class Pages {
 public:
  explicit Pages(cairo_t* cr) : cr_(cr) { pages_.emplace_back(); }
  ~Pages() {
    for (auto* l : owned_) g_object_unref(l);
  }
  Pages(const Pages&) = delete;
  Pages& operator=(const Pages&) = delete;

  PangoLayout* Layout(const std::string& text, const Style& s, double width);
  void Flow(const std::string& text, const Style& s, double space_before);
  void AddTable(const Table& t);
  void AddSignatures(const std::vector<std::string>& roles, const std::vector<std::string>& filled);
  void Draw(const Document& doc);

 private:
  void NewPage() {
    pages_.emplace_back();
    y_ = kTop;
  }
  void Ensure(double h) {
    if (y_ + h > kBottom && y_ > kTop) NewPage();
  }
  std::vector<double> Columns(const Table& t) const;
  double RowHeight(const std::vector<std::string>& cells, const std::vector<double>& cols, bool bold,
                   std::vector<PangoLayout*>* out);
  void PlaceRow(const std::vector<PangoLayout*>& cells, const std::vector<double>& cols, double h, bool fill);
  void DrawOp(const Op& op);
  void DrawFurniture(const Document& doc, size_t page);

  cairo_t* cr_;
  std::vector<std::vector<Op>> pages_;
  std::vector<PangoLayout*> owned_;
  double y_ = kTop;
};

PangoLayout* Pages::Layout(const std::string& text, const Style& s, double width) {
  PangoLayout* l = pango_cairo_create_layout(cr_);
  owned_.push_back(l);
  PangoContext* ctx = pango_layout_get_context(l);
  // The PDF surface's unit is the point: 72 per inch, not pango's default 96.
  pango_cairo_context_set_resolution(ctx, 72);
  pango_context_set_language(ctx, pango_language_from_string("zh-tw"));
  pango_layout_context_changed(l);
  PangoFontDescription* fd = pango_font_description_new();
  pango_font_description_set_family(fd, kFamily);
  pango_font_description_set_size(fd, static_cast<int>(s.size * PANGO_SCALE));
  pango_font_description_set_weight(fd, s.bold ? PANGO_WEIGHT_BOLD : PANGO_WEIGHT_NORMAL);
  pango_layout_set_font_description(l, fd);
  pango_font_description_free(fd);
  pango_layout_set_width(l, static_cast<int>(width * PANGO_SCALE));
  pango_layout_set_wrap(l, PANGO_WRAP_WORD_CHAR);
  pango_layout_set_alignment(l, s.align);
  pango_layout_set_text(l, text.c_str(), static_cast<int>(text.size()));
  return l;
}

// A paragraph line by line, so a long one continues on the next page.
void Pages::Flow(const std::string& text, const Style& s, double space_before) {
  PangoLayout* l = Layout(text, s, kWidth);
  y_ += space_before;
  PangoLayoutIter* it = pango_layout_get_iter(l);
  int index = 0;
  do {
    PangoRectangle logical;
    pango_layout_iter_get_line_extents(it, nullptr, &logical);
    const double top = static_cast<double>(logical.y) / PANGO_SCALE;
    const double h = static_cast<double>(logical.height) / PANGO_SCALE;
    const double baseline = static_cast<double>(pango_layout_iter_get_baseline(it)) / PANGO_SCALE - top;
    Ensure(h);
    pages_.back().push_back({l, index, kLeft + static_cast<double>(logical.x) / PANGO_SCALE, y_ + baseline, 0, 0});
    y_ += h;
    ++index;
  } while (pango_layout_iter_next_line(it));
  pango_layout_iter_free(it);
}

std::vector<double> Pages::Columns(const Table& t) const {
  const size_t n = std::max<size_t>(1, t.header.size());
  std::vector<double> w = t.widths.size() == n ? t.widths : std::vector<double>(n, 1.0);
  double sum = 0;
  for (double v : w) sum += v;
  for (double& v : w) v = v / sum * kWidth;
  return w;
}

double Pages::RowHeight(const std::vector<std::string>& cells, const std::vector<double>& cols, bool bold,
                        std::vector<PangoLayout*>* out) {
  double h = 0;
  for (size_t i = 0; i < cols.size(); ++i) {
    PangoLayout* l = Layout(i < cells.size() ? cells[i] : "", {8.5, bold}, cols[i] - 2 * kCellPad);
    int lw = 0, lh = 0;
    pango_layout_get_size(l, &lw, &lh);
    h = std::max(h, static_cast<double>(lh) / PANGO_SCALE);
    out->push_back(l);
  }
  return h + 2 * kCellPad;
}

void Pages::PlaceRow(const std::vector<PangoLayout*>& cells, const std::vector<double>& cols, double h, bool fill) {
  double x = kLeft;
  for (size_t i = 0; i < cols.size(); ++i) {
    if (fill) pages_.back().push_back({nullptr, -1, x, y_, cols[i], h, true, true});
    pages_.back().push_back({nullptr, -1, x, y_, cols[i], h, true, false});
    pages_.back().push_back({cells[i], -1, x + kCellPad, y_ + kCellPad, 0, 0});
    x += cols[i];
  }
  y_ += h;
}

// Rows are kept whole (a row taller than a page runs past its foot); the header
// row starts every page the table is on.
void Pages::AddTable(const Table& t) {
  const auto cols = Columns(t);
  std::vector<PangoLayout*> head;
  const double head_h = RowHeight(t.header, cols, true, &head);
  y_ += 4;
  Ensure(head_h * 2);
  PlaceRow(head, cols, head_h, true);
  for (const auto& row : t.rows) {
    std::vector<PangoLayout*> cells;
    const double h = RowHeight(row, cols, false, &cells);
    if (y_ + h > kBottom) {
      NewPage();
      std::vector<PangoLayout*> again;
      RowHeight(t.header, cols, true, &again);
      PlaceRow(again, cols, head_h, true);
    }
    PlaceRow(cells, cols, h, false);
  }
  y_ += 6;
}

void Pages::AddSignatures(const std::vector<std::string>& roles, const std::vector<std::string>& filled) {
  if (roles.empty()) return;
  constexpr double kBoxH = 78, kGap = 10;
  const double w = (kWidth - kGap * static_cast<double>(roles.size() - 1)) / static_cast<double>(roles.size());
  y_ += 14;
  Ensure(kBoxH);
  double x = kLeft;
  for (size_t i = 0; i < roles.size(); ++i) {
    const std::string text = i < filled.size() && !filled[i].empty() ? filled[i] : "簽章：\n\n日期：";
    pages_.back().push_back({nullptr, -1, x, y_, w, kBoxH, true, false});
    pages_.back().push_back({Layout(roles[i], {10, true}, w - 2 * kCellPad), -1, x + kCellPad, y_ + kCellPad, 0, 0});
    pages_.back().push_back({Layout(text, {9}, w - 2 * kCellPad), -1, x + kCellPad, y_ + 28, 0, 0});
    x += w + kGap;
  }
  y_ += kBoxH + 6;
}

void Pages::DrawOp(const Op& op) {
  if (op.rect) {
    cairo_rectangle(cr_, op.x, op.y, op.w, op.h);
    if (op.fill) {
      cairo_set_source_rgb(cr_, 0.91, 0.91, 0.91);
      cairo_fill(cr_);
      cairo_set_source_rgb(cr_, 0, 0, 0);
    } else {
      cairo_set_line_width(cr_, 0.6);
      cairo_stroke(cr_);
    }
    return;
  }
  cairo_move_to(cr_, op.x, op.y);
  if (op.line < 0) {
    pango_cairo_show_layout(cr_, op.layout);
  } else {
    pango_cairo_show_layout_line(cr_, pango_layout_get_line_readonly(op.layout, op.line));
  }
}

void Pages::DrawFurniture(const Document& doc, size_t page) {
  const std::string number =
      "第 " + std::to_string(page + 1) + " 頁／共 " + std::to_string(pages_.size()) + " 頁";
  DrawOp({Layout(doc.header, {8.5}, kWidth), -1, kLeft, 30, 0, 0});
  DrawOp({Layout(doc.footer, {8.5}, kWidth * 0.7), -1, kLeft, kPageH - 44, 0, 0});
  DrawOp({Layout(number, {8.5, false, PANGO_ALIGN_RIGHT}, kWidth * 0.3), -1, kLeft + kWidth * 0.7, kPageH - 44, 0, 0});
  cairo_set_line_width(cr_, 0.4);
  cairo_move_to(cr_, kLeft, 46);
  cairo_line_to(cr_, kRight, 46);
  cairo_move_to(cr_, kLeft, kPageH - 48);
  cairo_line_to(cr_, kRight, kPageH - 48);
  cairo_stroke(cr_);
}

void Pages::Draw(const Document& doc) {
  cairo_set_source_rgb(cr_, 0, 0, 0);
  for (size_t p = 0; p < pages_.size(); ++p) {
    DrawFurniture(doc, p);
    for (const auto& op : pages_[p]) DrawOp(op);
    cairo_show_page(cr_);
  }
}

void Lay(const Document& doc, Pages& pages) {
  pages.Flow(doc.title, {17, true, PANGO_ALIGN_CENTER}, 0);
  if (!doc.subtitle.empty()) pages.Flow(doc.subtitle, {10.5, false, PANGO_ALIGN_CENTER}, 4);
  for (const auto& b : doc.blocks) {
    switch (b.kind) {
      case Block::Kind::kHeading: pages.Flow(b.text, {13, true}, 12); break;
      case Block::Kind::kParagraph: pages.Flow(b.text, {10.5}, 4); break;
      case Block::Kind::kTable: pages.AddTable(b.table); break;
      case Block::Kind::kSignatures: pages.AddSignatures(b.signers, b.signed_text); break;
    }
  }
}

}  // namespace

Result<std::string> RenderPdfHere(const Document& doc) {
  std::string out;
  cairo_surface_t* surface = cairo_pdf_surface_create_for_stream(AppendToString, &out, kPageW, kPageH);
  if (cairo_surface_status(surface) != CAIRO_STATUS_SUCCESS) {
    const std::string why = cairo_status_to_string(cairo_surface_status(surface));
    cairo_surface_destroy(surface);
    return Internal("cairo cannot make a PDF surface: " + why);
  }
  cairo_pdf_surface_set_metadata(surface, CAIRO_PDF_METADATA_TITLE, doc.title.c_str());
  cairo_pdf_surface_set_metadata(surface, CAIRO_PDF_METADATA_CREATOR, "lifeline");
  if (!doc.created.empty()) {
    cairo_pdf_surface_set_metadata(surface, CAIRO_PDF_METADATA_CREATE_DATE, doc.created.c_str());
    cairo_pdf_surface_set_metadata(surface, CAIRO_PDF_METADATA_MOD_DATE, doc.created.c_str());
  }
  cairo_t* cr = cairo_create(surface);
  {
    Pages pages(cr);
    Lay(doc, pages);
    pages.Draw(doc);
  }
  const cairo_status_t st = cairo_status(cr);
  cairo_destroy(cr);
  cairo_surface_finish(surface);
  cairo_surface_destroy(surface);
  if (st != CAIRO_STATUS_SUCCESS) return Internal(std::string("cairo: ") + cairo_status_to_string(st));
  return out;
}

}  // namespace lifeline::print
