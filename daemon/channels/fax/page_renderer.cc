// Layout happens in two passes: place every line on pages (so the page count
// is known), then draw, because each page's footer names the total.
#include "daemon/channels/fax/page_renderer.h"

#include <ft2build.h>
#include FT_FREETYPE_H

#include <cmath>
#include <filesystem>
#include <map>
#include <memory>

#include "daemon/channels/fax/line_break.h"

namespace lifeline::fax {
namespace {

constexpr double kXDpi = 204.0;

double PointSize(TextStyle s) {
  switch (s) {
    case TextStyle::kTitle: return 18;
    case TextStyle::kSubtitle: return 12.5;
    case TextStyle::kHeading: return 12;
    case TextStyle::kSmall: return 9;
    default: return 10.5;
  }
}

bool IsBold(TextStyle s) { return s == TextStyle::kTitle || s == TextStyle::kSubtitle || s == TextStyle::kHeading; }

class Typesetter {
 public:
  ~Typesetter() {
    if (face_) FT_Done_Face(face_);
    if (lib_) FT_Done_FreeType(lib_);
  }

  Status Open(const std::string& path, int face_index, int ydpi) {
    ydpi_ = ydpi;
    if (FT_Init_FreeType(&lib_) != 0) return Internal("FreeType init failed");
    FT_Face probe = nullptr;
    if (FT_New_Face(lib_, path.c_str(), -1, &probe) != 0) return NotFound("cannot read font " + path);
    const long faces = probe->num_faces;
    FT_Done_Face(probe);
    if (face_index < 0) face_index = FindTraditionalChineseFace(path, faces);
    if (face_index >= faces) return InvalidArgument("font has no face " + std::to_string(face_index));
    if (FT_New_Face(lib_, path.c_str(), face_index, &face_) != 0) return NotFound("cannot load font " + path);
    return Status::Ok();
  }

  void SetSize(double pt) {
    pt_ = pt;
    FT_Set_Char_Size(face_, 0, static_cast<FT_F26Dot6>(pt * 64), static_cast<FT_UInt>(kXDpi),
                     static_cast<FT_UInt>(ydpi_));
  }
  int EmX() const { return static_cast<int>(std::lround(pt_ * kXDpi / 72)); }
  int EmY() const { return static_cast<int>(std::lround(pt_ * ydpi_ / 72)); }
  int ydpi() const { return ydpi_; }

  int Advance(char32_t c) {
    if (c >= kBoxUnchecked && c <= kRadioOn) return EmX();
    auto key = std::make_pair(pt_, c);
    if (auto it = advances_.find(key); it != advances_.end()) return it->second;
    int adv = EmX() / 2;
    if (FT_Load_Char(face_, c, FT_LOAD_DEFAULT | FT_LOAD_TARGET_MONO) == 0) {
      adv = static_cast<int>(face_->glyph->advance.x >> 6);
    }
    advances_[key] = adv;
    return adv;
  }

  void Draw(FaxPage& page, int x, int baseline, char32_t c, bool bold) {
    if (c >= kBoxUnchecked && c <= kRadioOn) return DrawShape(page, x, baseline, c);
    if (FT_Load_Char(face_, c, FT_LOAD_RENDER | FT_LOAD_TARGET_MONO) != 0) return;
    const FT_GlyphSlot g = face_->glyph;
    const FT_Bitmap& bm = g->bitmap;
    for (unsigned row = 0; row < bm.rows; ++row) {
      for (unsigned col = 0; col < bm.width; ++col) {
        if (!((bm.buffer[row * bm.pitch + col / 8] >> (7 - col % 8)) & 1)) continue;
        const int px = x + g->bitmap_left + static_cast<int>(col);
        const int py = baseline - g->bitmap_top + static_cast<int>(row);
        page.Set(px, py);
        if (bold) page.Set(px + 1, py);
      }
    }
  }

 private:
  int FindTraditionalChineseFace(const std::string& path, long faces) {
    for (long i = 0; i < faces; ++i) {
      FT_Face f = nullptr;
      if (FT_New_Face(lib_, path.c_str(), i, &f) != 0) continue;
      const std::string family = f->family_name ? f->family_name : "";
      FT_Done_Face(f);
      if (family.find(" TC") != std::string::npos) return static_cast<int>(i);
    }
    return 0;
  }

  void Thick(FaxPage& p, double x0, double y0, double x1, double y1, int w) {
    const int steps = static_cast<int>(std::max(std::fabs(x1 - x0), std::fabs(y1 - y0))) + 1;
    for (int i = 0; i <= steps; ++i) {
      const double t = static_cast<double>(i) / steps;
      p.FillRect(static_cast<int>(x0 + (x1 - x0) * t) - w / 2,
                 static_cast<int>(y0 + (y1 - y0) * t) - w / 2, w, w);
    }
  }

  void DrawShape(FaxPage& p, int x, int baseline, char32_t c) {
    const int w = EmX() * 78 / 100, h = EmY() * 78 / 100;
    const int left = x + EmX() / 10, top = baseline - EmY() * 80 / 100;
    const int stroke = std::max(2, EmX() / 14);
    if (c == kBoxUnchecked || c == kBoxChecked) {
      p.FillRect(left, top, w, stroke);
      p.FillRect(left, top + h - stroke, w, stroke);
      p.FillRect(left, top, stroke, h);
      p.FillRect(left + w - stroke, top, stroke, h);
      if (c == kBoxChecked) {
        Thick(p, left + w * 0.2, top + h * 0.5, left + w * 0.42, top + h * 0.78, stroke + 1);
        Thick(p, left + w * 0.42, top + h * 0.78, left + w * 0.85, top + h * 0.18, stroke + 1);
      }
      return;
    }
    const double cx = left + w / 2.0, cy = top + h / 2.0, r = w / 2.0, sy = kXDpi / ydpi_;
    for (int yy = top - 1; yy <= top + h + 1; ++yy) {
      for (int xx = left - 1; xx <= left + w + 1; ++xx) {
        const double d = std::hypot(xx - cx, (yy - cy) * sy);
        if (std::fabs(d - r + stroke / 2.0) <= stroke / 2.0 || (c == kRadioOn && d <= r * 0.45)) {
          p.Set(xx, yy);
        }
      }
    }
  }

  FT_Library lib_ = nullptr;
  FT_Face face_ = nullptr;
  int ydpi_ = 196;
  double pt_ = 10;
  std::map<std::pair<double, char32_t>, int> advances_;
};

struct PlacedLine {
  TextStyle style;
  std::u32string text;
  int x = 0;
  int baseline = 0;
};
struct Frame {
  int x, y, w, h;
};
struct PageLayout {
  std::vector<PlacedLine> lines;
  std::vector<Frame> frames;
};

class Layout {
 public:
  Layout(Typesetter& ts, Resolution res) : ts_(ts), rows_(A4Rows(res)), ydpi_(YDpi(res)) {
    margin_x_ = static_cast<int>(12 / 25.4 * kXDpi);
    top_ = Rows(16);
    bottom_ = rows_ - Rows(16);
    NewPage();
  }
  int Rows(double mm) const { return static_cast<int>(std::lround(mm / 25.4 * ydpi_)); }
  int rows() const { return rows_; }
  int margin_x() const { return margin_x_; }
  std::vector<PageLayout>& pages() { return pages_; }

  void Place(const FormParagraph& p) {
    if (p.style == TextStyle::kRule) return;
    ts_.SetSize(PointSize(p.style));
    const int pad = p.boxed ? ts_.EmX() / 2 : 0;
    ts_.SetSize(PointSize(TextStyle::kBody));
    const int indent = p.indent_em * ts_.EmX();
    const int hang = p.hanging_em * ts_.EmX();
    ts_.SetSize(PointSize(p.style));
    const int width = kPageWidth - 2 * margin_x_ - indent - 2 * pad - hang;
    const std::u32string text = DecodeUtf8(p.text);
    const auto spans = BreakLines(text, [&](char32_t c) { return ts_.Advance(c); }, width);
    const int advance = ts_.EmY() * 3 / 2;
    const int keep = (p.style == TextStyle::kHeading || p.style == TextStyle::kSubtitle) ? 2 : 1;
    if (y_ + advance * keep > bottom_) NewPage();
    y_ += p.style == TextStyle::kHeading ? ts_.EmY() / 2 : 0;
    int frame_top = y_;
    for (const auto& s : spans) {
      if (y_ + advance + pad > bottom_) {
        CloseFrame(p.boxed, indent, frame_top, pad);
        NewPage();
        frame_top = y_;
      }
      int x = margin_x_ + indent + pad + (&s == &spans.front() ? 0 : hang);
      std::u32string line = text.substr(s.begin, s.end - s.begin);
      if (p.style == TextStyle::kTitle) x = (kPageWidth - Width(line)) / 2;
      y_ += advance;
      pages_.back().lines.push_back({p.style, std::move(line), x, y_ - advance / 4 + (p.boxed ? pad / 2 : 0)});
    }
    CloseFrame(p.boxed, indent, frame_top, pad);
  }

 private:
  int Width(const std::u32string& s) {
    int w = 0;
    for (char32_t c : s) w += ts_.Advance(c);
    return w;
  }
  void CloseFrame(bool boxed, int indent, int top, int pad) {
    if (!boxed) return;
    y_ += pad;
    pages_.back().frames.push_back(
        {margin_x_ + indent, top + 2, kPageWidth - 2 * margin_x_ - indent, y_ - top});
    y_ += pad / 2;
  }
  void NewPage() {
    pages_.emplace_back();
    y_ = top_;
  }

  Typesetter& ts_;
  int rows_, ydpi_;
  int margin_x_ = 0, top_ = 0, bottom_ = 0, y_ = 0;
  std::vector<PageLayout> pages_;
};

void DrawText(Typesetter& ts, FaxPage& page, TextStyle style, const std::u32string& text, int x,
              int baseline) {
  ts.SetSize(PointSize(style));
  for (char32_t c : text) {
    ts.Draw(page, x, baseline, c, IsBold(style));
    x += ts.Advance(c);
  }
}

void DrawFurniture(Typesetter& ts, Layout& layout, FaxPage& page, const std::string& header,
                   int index, int count) {
  const int mx = layout.margin_x();
  DrawText(ts, page, TextStyle::kSmall, DecodeUtf8(header), mx, layout.Rows(10));
  page.FillRect(mx, layout.Rows(12), kPageWidth - 2 * mx, 2);
  const std::string footer =
      "第 " + std::to_string(index + 1) + " 頁，共 " + std::to_string(count) + " 頁";
  const std::u32string f = DecodeUtf8(footer);
  ts.SetSize(PointSize(TextStyle::kSmall));
  int w = 0;
  for (char32_t c : f) w += ts.Advance(c);
  DrawText(ts, page, TextStyle::kSmall, f, (kPageWidth - w) / 2, layout.rows() - layout.Rows(8));
}

}  // namespace

Result<std::string> DefaultFontPath() {
  static const char* kCandidates[] = {
      "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
      "/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc",
      "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
      "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
  };
  for (const char* p : kCandidates) {
    std::error_code ec;
    if (std::filesystem::exists(p, ec)) return std::string(p);
  }
  return NotFound("no CJK font found; install fonts-noto-cjk or fonts-wqy-microhei");
}

Result<std::vector<FaxPage>> RenderContent(const FormContent& content, const RenderOptions& options) {
  std::string font = options.font_path;
  if (font.empty()) {
    auto found = DefaultFontPath();
    if (!found.ok()) return found.status();
    font = *found;
  }
  Typesetter ts;
  LIFELINE_RETURN_IF_ERROR(ts.Open(font, options.font_face, YDpi(options.resolution)));
  Layout layout(ts, options.resolution);
  for (const auto& p : content.paragraphs) layout.Place(p);
  std::vector<FaxPage> pages;
  const int count = static_cast<int>(layout.pages().size());
  for (int i = 0; i < count; ++i) {
    FaxPage page(kPageWidth, layout.rows());
    for (const auto& l : layout.pages()[i].lines) DrawText(ts, page, l.style, l.text, l.x, l.baseline);
    for (const auto& f : layout.pages()[i].frames) {
      page.FillRect(f.x, f.y, f.w, 2);
      page.FillRect(f.x, f.y + f.h, f.w, 2);
      page.FillRect(f.x, f.y, 2, f.h);
      page.FillRect(f.x + f.w - 2, f.y, 2, f.h + 2);
    }
    DrawFurniture(ts, layout, page, content.running_header, i, count);
    pages.push_back(std::move(page));
  }
  return pages;
}

Result<std::vector<FaxPage>> RenderForm(const Report& report, const FaxNotice& notice,
                                        const RenderOptions& options) {
  return RenderContent(BuildStage1Form(report, notice), options);
}

Result<int> RenderFormTiff(const Report& report, const FaxNotice& notice,
                           const RenderOptions& options, const std::string& tiff_path) {
  auto pages = RenderForm(report, notice, options);
  if (!pages.ok()) return pages.status();
  LIFELINE_RETURN_IF_ERROR(WriteTiffF(*pages, options.resolution, tiff_path));
  return static_cast<int>(pages->size());
}

Result<std::string> RenderFormToFiles(const Report& report, const FaxNotice& notice,
                                      const RenderOptions& options, const std::string& tiff_path) {
  auto pages = RenderForm(report, notice, options);
  if (!pages.ok()) return pages.status();
  LIFELINE_RETURN_IF_ERROR(WriteTiffF(*pages, options.resolution, tiff_path));
  std::string png = std::filesystem::path(tiff_path).replace_extension(".png").string();
  LIFELINE_RETURN_IF_ERROR(WritePngPreview(*pages, options.resolution, png));
  return png;
}

Result<std::vector<FaxPage>> RenderStageForm(Stage stage, const Report& report, const nlohmann::json& document,
                                             const FaxNotice& notice, const RenderOptions& options) {
  return RenderContent(BuildStageForm(stage, report, document, notice), options);
}

Result<std::string> RenderStageToFiles(Stage stage, const Report& report, const nlohmann::json& document,
                                       const FaxNotice& notice, const RenderOptions& options,
                                       const std::string& tiff_path) {
  auto pages = RenderStageForm(stage, report, document, notice, options);
  if (!pages.ok()) return pages.status();
  LIFELINE_RETURN_IF_ERROR(WriteTiffF(*pages, options.resolution, tiff_path));
  std::string png = std::filesystem::path(tiff_path).replace_extension(".png").string();
  LIFELINE_RETURN_IF_ERROR(WritePngPreview(*pages, options.resolution, png));
  return png;
}

}  // namespace lifeline::fax
