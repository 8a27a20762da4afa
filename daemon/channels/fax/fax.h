// lifeline's fax channel: renders stage 1 of the incident form (資通安全事件通報單)
// to fax pages and sends it through a Class 1 modem with spandsp's T.30, keeping
// per-attempt evidence (T.30 result, remote CSI, pages confirmed, TIFF sent).
// Every call is blocking and self-contained; run it on the daemon's worker, not
// the io_context thread. No global state; safe to use from one thread at a time.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "daemon/channels/fax/fax_image.h"
#include "daemon/core/status.h"
#include "daemon/core/time_format.h"
#include "daemon/report/report.h"

namespace lifeline::fax {

// What the notice block on the first page says about this alternative notification.
struct FaxNotice {
  std::string reason;            // why the designated method (the national site) failed
  std::string recipient;         // e.g. "國家資通安全會報技術服務中心"; empty = not shown
  std::string sender_agency;     // empty = the report's agency
  std::string sender_contact;    // empty = the report's reporter (name, phone, fax, e-mail)
};

struct RenderOptions {
  Resolution resolution = Resolution::kFine;
  std::string font_path;  // empty: Noto Sans CJK, then WenQuanYi, from Debian's paths
  int font_face = -1;     // face in a .ttc; -1: the Traditional Chinese face if present
};

// Renders the form to pages in memory.
Result<std::vector<FaxPage>> RenderForm(const Report& report, const FaxNotice& notice,
                                        const RenderOptions& options);
// Renders and writes a TIFF-F at `tiff_path`; returns the number of pages.
Result<int> RenderFormTiff(const Report& report, const FaxNotice& notice,
                           const RenderOptions& options, const std::string& tiff_path);
// For `lifeline fax render`: writes `tiff_path` and a PNG preview next to it
// (same name, extension .png). Returns the PNG's path.
Result<std::string> RenderFormToFiles(const Report& report, const FaxNotice& notice,
                                      const RenderOptions& options, const std::string& tiff_path);

}  // namespace lifeline::fax
