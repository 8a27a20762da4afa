// The PDF helper: lifeline-pdf, a program of its own (built from pdf.cc,
// bitmap_pdf.cc and pdf_helper_main.cc with cairo and pango) that makes one
// PDF and exits. A daemon that makes a PDF a few times a year should not
// carry cairo, pango, fontconfig, harfbuzz and glib, nor the font caches they
// fill on the first PDF (about 26 MB of private memory), for the rest of its
// life (packaging/README.md, Footprint): RenderPdf and RenderBitmapsPdf
// (pdf_runner.cc) start the helper, write it the request on stdin, read the
// answer from stdout and wait for its end; what it held goes with it.
//
// The request and the answer are encoded here, for both sides. A request
// opens with the build's version, which the helper checks: a helper from
// another build (a package half upgraded) refuses, never guesses. Internal to
// daemon/print.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "daemon/core/status.h"
#include "daemon/print/print.h"

namespace lifeline::print {

// The renderers themselves, in the helper.
Result<std::string> RenderPdfHere(const Document& doc);
Result<std::string> RenderBitmapsPdfHere(const std::vector<Bitmap>& pages);

// What the helper is asked to make: a document, or page images.
struct PdfRequest {
  std::optional<Document> document;
  std::vector<Bitmap> bitmaps;  // when there is no document
};

// `version` names the build (LIFELINE_PDF_VERSION on both sides).
std::string EncodePdfRequest(std::string_view version, const Document& doc);
std::string EncodePdfRequest(std::string_view version, const std::vector<Bitmap>& pages);
// InvalidArgument on anything cut short, too long or of another version.
Result<PdfRequest> DecodePdfRequest(std::string_view version, std::string_view bytes);

// The helper's answer on stdout: the PDF, or the Status that refused it.
std::string EncodePdfAnswer(const Result<std::string>& pdf);
// Internal when the answer is not one (the helper crashed mid-write).
Result<std::string> DecodePdfAnswer(std::string_view bytes);

}  // namespace lifeline::print
