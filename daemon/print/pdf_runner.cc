// RenderPdf and RenderBitmapsPdf through the PDF helper (pdf_helper.h). The
// helper is the one this build made when the running program is one of this
// build tree's, else the one the package installs.
#include <filesystem>

#include "daemon/core/child_process.h"
#include "daemon/print/pdf_helper.h"
#include "daemon/print/print.h"

namespace lifeline::print {
namespace {

// A record of many pages renders in well under a second; a helper still
// running after this is stuck (a font cache being rebuilt on a full disk)
// and is killed rather than holding the store's worker.
constexpr auto kHelperTimeout = std::chrono::seconds(60);
constexpr size_t kMaxPdf = 256u << 20;

std::string HelperPath() {
  std::error_code ec;
  const std::string exe = std::filesystem::read_symlink("/proc/self/exe", ec).string();
  const std::string build_dir = LIFELINE_PDF_BUILD_TREE;
  if (!ec && exe.rfind(build_dir + "/", 0) == 0) return LIFELINE_PDF_HELPER_BUILT;
  return LIFELINE_PDF_HELPER_INSTALLED;
}

Result<std::string> RunHelper(const std::string& request) {
  ChildSpec spec;
  spec.argv = {HelperPath()};
  spec.env = InheritedEnvironment();
  auto run = RunChild(spec, request, kHelperTimeout, kMaxPdf + 1024);
  if (!run.ok()) return Internal("the PDF helper: " + run.status().message());
  const std::string why = run->err.empty() ? "" : ": " + run->err.substr(0, 300);
  if (run->timed_out) return Internal(spec.argv[0] + " did not finish in " + std::to_string(kHelperTimeout.count()) + " s");
  if (run->signal != 0) return Internal(spec.argv[0] + " was ended by signal " + std::to_string(run->signal) + why);
  if (run->exit_status != 0) return Internal(spec.argv[0] + " failed with status " + std::to_string(run->exit_status) + why);
  return DecodePdfAnswer(run->out);
}

}  // namespace

Result<std::string> RenderPdf(const Document& doc) { return RunHelper(EncodePdfRequest(LIFELINE_PDF_VERSION, doc)); }

Result<std::string> RenderBitmapsPdf(const std::vector<Bitmap>& pages) {
  return RunHelper(EncodePdfRequest(LIFELINE_PDF_VERSION, pages));
}

}  // namespace lifeline::print
