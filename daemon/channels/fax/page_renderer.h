// Typesets FormContent onto A4 fax pages: FreeType with a CJK font, monochrome
// glyphs at 204 dpi across and 196 (fine) or 98 (standard) dpi down, wrapped
// with line_break.h, a running header and "第 n 頁，共 N 頁" on every page.
// Stateless between calls; each call loads the font afresh.
#pragma once

#include <vector>

#include "daemon/channels/fax/fax.h"
#include "daemon/channels/fax/form_content.h"

namespace lifeline::fax {

Result<std::vector<FaxPage>> RenderContent(const FormContent& content, const RenderOptions& options);

// The font file used when options.font_path is empty (first that exists).
Result<std::string> DefaultFontPath();

}  // namespace lifeline::fax
