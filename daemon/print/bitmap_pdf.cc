// Page images as a PDF: each monochrome bitmap becomes a cairo A1 mask painted
// black on its own page, sized from its resolution, so a fax page as sent
// prints at its real size. cairo stores the mask losslessly (Flate).
#include <cairo-pdf.h>
#include <cairo.h>

#include <bit>
#include <cstring>

#include "daemon/print/cairo_sink.h"
#include "daemon/print/pdf_helper.h"
#include "daemon/print/print.h"

namespace lifeline::print {
namespace {

Status Check(const Bitmap& b) {
  if (b.width <= 0 || b.height <= 0 || b.width > 20000 || b.height > 40000) {
    return InvalidArgument("a page image must be 1 to 20000 by 1 to 40000 pixels");
  }
  if (b.pixels.size() != static_cast<size_t>(b.width) * static_cast<size_t>(b.height)) {
    return InvalidArgument("a page image's pixels do not match its size");
  }
  if (b.x_dpi <= 0 || b.y_dpi <= 0) return InvalidArgument("a page image needs a resolution");
  return Status::Ok();
}

// The bitmap as an A1 surface: one bit a pixel, set = black. Within each
// 32-bit word the leftmost pixel is the low bit on little-endian machines.
cairo_surface_t* MaskOf(const Bitmap& b) {
  cairo_surface_t* s = cairo_image_surface_create(CAIRO_FORMAT_A1, b.width, b.height);
  if (cairo_surface_status(s) != CAIRO_STATUS_SUCCESS) return s;
  cairo_surface_flush(s);
  unsigned char* data = cairo_image_surface_get_data(s);
  const int stride = cairo_image_surface_get_stride(s);
  std::memset(data, 0, static_cast<size_t>(stride) * b.height);
  for (int y = 0; y < b.height; ++y) {
    auto* row = reinterpret_cast<uint32_t*>(data + static_cast<size_t>(stride) * y);
    for (int x = 0; x < b.width; ++x) {
      if (!b.pixels[static_cast<size_t>(y) * b.width + x]) continue;
      const int bit = std::endian::native == std::endian::little ? x % 32 : 31 - x % 32;
      row[x / 32] |= uint32_t{1} << bit;
    }
  }
  cairo_surface_mark_dirty(s);
  return s;
}

void DrawPage(cairo_t* cr, cairo_surface_t* pdf, const Bitmap& b, cairo_surface_t* mask) {
  cairo_pdf_surface_set_size(pdf, b.width * 72.0 / b.x_dpi, b.height * 72.0 / b.y_dpi);
  cairo_save(cr);
  cairo_scale(cr, 72.0 / b.x_dpi, 72.0 / b.y_dpi);
  cairo_set_source_rgb(cr, 0, 0, 0);
  cairo_mask_surface(cr, mask, 0, 0);
  cairo_restore(cr);
  cairo_show_page(cr);
}

}  // namespace

Result<std::string> RenderBitmapsPdfHere(const std::vector<Bitmap>& pages) {
  if (pages.empty()) return InvalidArgument("no page images");
  for (const Bitmap& b : pages) LIFELINE_RETURN_IF_ERROR(Check(b));
  std::string out;
  cairo_surface_t* pdf = cairo_pdf_surface_create_for_stream(AppendToString, &out, 595.276, 841.890);
  cairo_pdf_surface_set_metadata(pdf, CAIRO_PDF_METADATA_CREATOR, "lifeline");
  cairo_t* cr = cairo_create(pdf);
  cairo_status_t st = cairo_status(cr);
  for (const Bitmap& b : pages) {
    if (st != CAIRO_STATUS_SUCCESS) break;
    cairo_surface_t* mask = MaskOf(b);
    st = cairo_surface_status(mask);
    if (st == CAIRO_STATUS_SUCCESS) DrawPage(cr, pdf, b, mask);
    cairo_surface_destroy(mask);
    if (st == CAIRO_STATUS_SUCCESS) st = cairo_status(cr);
  }
  cairo_destroy(cr);
  cairo_surface_finish(pdf);
  if (st == CAIRO_STATUS_SUCCESS) st = cairo_surface_status(pdf);
  cairo_surface_destroy(pdf);
  if (st != CAIRO_STATUS_SUCCESS) return Internal(std::string("cairo: ") + cairo_status_to_string(st));
  return out;
}

}  // namespace lifeline::print
