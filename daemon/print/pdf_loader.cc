// RenderPdf and RenderBitmapsPdf through the PDF module (pdf_module.h). The
// module is looked for where this build put it when the running program is
// one of this build tree's, else where the package installs it.
#include <dlfcn.h>

#include <filesystem>
#include <mutex>

#include "daemon/print/pdf_module.h"
#include "daemon/print/print.h"

namespace lifeline::print {
namespace {

struct PdfModule {
  LifelinePdfRenderDocument document = nullptr;
  LifelinePdfRenderBitmaps bitmaps = nullptr;
  std::string unavailable;  // why not, when the entry points are null
};

std::string ModulePath() {
  std::error_code ec;
  const std::string exe = std::filesystem::read_symlink("/proc/self/exe", ec).string();
  const std::string build_dir = LIFELINE_PDF_BUILD_TREE;
  if (!ec && exe.rfind(build_dir + "/", 0) == 0) return LIFELINE_PDF_MODULE_BUILT;
  return LIFELINE_PDF_MODULE_INSTALLED;
}

PdfModule Load() {
  PdfModule m;
  const std::string path = ModulePath();
  void* handle = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!handle) {
    const char* why = dlerror();
    m.unavailable = "the PDF module cannot be loaded: " + std::string(why ? why : path);
    return m;
  }
  auto version = reinterpret_cast<LifelinePdfModuleVersion>(dlsym(handle, "lifeline_pdf_module_version"));
  const std::string v = version ? version() : "";
  if (v != LIFELINE_PDF_MODULE_VERSION) {
    m.unavailable = "the PDF module " + path + " is of version '" + v + "', not " LIFELINE_PDF_MODULE_VERSION;
    return m;  // left loaded, never called: unloading what it brought is not safe
  }
  m.document = reinterpret_cast<LifelinePdfRenderDocument>(dlsym(handle, "lifeline_pdf_render_document"));
  m.bitmaps = reinterpret_cast<LifelinePdfRenderBitmaps>(dlsym(handle, "lifeline_pdf_render_bitmaps"));
  if (!m.document || !m.bitmaps) {
    m.document = nullptr;
    m.bitmaps = nullptr;
    m.unavailable = "the PDF module " + path + " lacks its entry points";
  }
  return m;
}

const PdfModule& Module() {
  static const PdfModule module = Load();  // once, on first use, from any thread
  return module;
}

}  // namespace

Result<std::string> RenderPdf(const Document& doc) {
  const PdfModule& m = Module();
  if (!m.document) return Internal(m.unavailable);
  Result<std::string> out = Internal("the PDF module gave no answer");
  m.document(&doc, &out);
  return out;
}

Result<std::string> RenderBitmapsPdf(const std::vector<Bitmap>& pages) {
  const PdfModule& m = Module();
  if (!m.bitmaps) return Internal(m.unavailable);
  Result<std::string> out = Internal("the PDF module gave no answer");
  m.bitmaps(&pages, &out);
  return out;
}

}  // namespace lifeline::print
