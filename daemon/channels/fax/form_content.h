// FormContent: the paper form (資通安全事件通報單, stages 1 to 3) as neutral, styled
// paragraphs, and the mapping from a validated Report to it. Checkboxes are
// private-use code points (line_break.h) that the renderer draws. Pure
// functions; nothing here knows about pixels or fonts.
#pragma once

#include <string>
#include <vector>

#include "daemon/channels/fax/fax.h"
#include "daemon/report/report.h"

namespace lifeline::fax {

enum class TextStyle { kTitle, kSubtitle, kHeading, kBody, kSmall, kRule };

struct FormParagraph {
  TextStyle style = TextStyle::kBody;
  std::string text;     // UTF-8; '\n' forces a line break
  int indent_em = 0;    // left indent of every line, in body-size em
  bool boxed = false;   // framed (the notice block, free-text answers)
  int hanging_em = 0;   // extra indent of continuation lines (text after a checkbox)
};

struct FormContent {
  std::string running_header;  // printed at the top of every page
  std::vector<FormParagraph> paragraphs;
};

// UTF-8 of a drawn checkbox / radio button.
std::string Box(bool checked);
std::string Radio(bool on);

// "2026年11月21日10時05分" in the time's own offset, as the form writes times.
std::string FormTime(const OffsetTime& t);

// Stage 1 of the form with every option of STEP1-STEP4 (checked or not), the
// computed level and the alternative-notification notice first.
FormContent BuildStage1Form(const Report& report, const FaxNotice& notice);

// Stage 2 (STEP5, 損害控制或復原) or 3 (STEP6, 結案) of the form for `report`'s
// category (pages P20-P35), every box of those pages with the document's
// answers; `document` was validated against `report`. With a reason in
// `notice`, a block first says why it comes by fax or post.
FormContent BuildStageForm(Stage stage, const Report& report, const nlohmann::json& document, const FaxNotice& notice);

}  // namespace lifeline::fax
