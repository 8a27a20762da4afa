// Entry points for the CLI (`lifeline fax test`, `lifeline fax render`): thin
// compositions of rendering and one send attempt.
#include <filesystem>

#include "daemon/channels/fax/fax.h"
#include "daemon/channels/fax/page_renderer.h"

namespace lifeline::fax {
namespace {

FormContent TestPage(const std::string& number, const FaxSendOptions& o) {
  FormContent c;
  c.running_header = "lifeline 傳真測試頁（非通報）";
  c.paragraphs.push_back({TextStyle::kTitle, "傳真線路測試", 0, false, 0});
  c.paragraphs.push_back(
      {TextStyle::kBody,
       "本頁由 lifeline 資安事件通報系統發送，用以確認傳真通報管道可用，並非資安事件通報。"
       "\nThis is a test page from lifeline, checking that the fax channel works. It is not an incident report."
       "\n撥號：" + number + "　本機識別：" + o.local_ident,
       0, true, 0});
  return c;
}

}  // namespace

Result<AttemptEvidence> RunFaxTest(const FaxSendOptions& options, const std::string& number,
                                   const Report* report, const FaxNotice& notice,
                                   const std::string& work_dir) {
  std::error_code ec;
  std::filesystem::create_directories(work_dir, ec);
  if (ec) return IoError("cannot create " + work_dir + ": " + ec.message());
  const std::string tiff = work_dir + "/" + (report ? report->id : std::string("fax-test")) + ".tif";
  RenderOptions render;
  if (report != nullptr) {
    auto n = RenderFormTiff(*report, notice, render, tiff);
    if (!n.ok()) return n.status();
  } else {
    auto pages = RenderContent(TestPage(number, options), render);
    if (!pages.ok()) return pages.status();
    LIFELINE_RETURN_IF_ERROR(WriteTiffF(*pages, render.resolution, tiff));
  }
  return SendFaxAttempt(options, number, tiff);
}

}  // namespace lifeline::fax
