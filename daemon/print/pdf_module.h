// The PDF module (lifeline_pdf.so, built from pdf.cc and bitmap_pdf.cc with
// cairo and pango) and its loader (pdf_loader.cc). A daemon that makes a PDF
// a few times a year should not carry cairo, pango, fontconfig, harfbuzz and
// glib in its resident memory the rest of the time (packaging/README.md,
// Footprint): RenderPdf and RenderBitmapsPdf load the module on their first
// call and keep it (glib cannot be unloaded).
//
// The entry points have C names for dlsym and take C++ types: the module and
// its loader come from the same build, which lifeline_pdf_module_version
// checks (a module from another version is refused, never called).
// Internal to daemon/print.
#pragma once

#include <string>
#include <vector>

#include "daemon/core/status.h"
#include "daemon/print/print.h"

#define LIFELINE_PDF_ENTRY __attribute__((visibility("default")))

namespace lifeline::print {

// The renderers themselves, in the module.
Result<std::string> RenderPdfHere(const Document& doc);
Result<std::string> RenderBitmapsPdfHere(const std::vector<Bitmap>& pages);

}  // namespace lifeline::print

extern "C" {
using LifelinePdfRenderDocument = void (*)(const lifeline::print::Document*, lifeline::Result<std::string>*);
using LifelinePdfRenderBitmaps = void (*)(const std::vector<lifeline::print::Bitmap>*, lifeline::Result<std::string>*);
using LifelinePdfModuleVersion = const char* (*)();
}
