// What a +CMS ERROR code means for the next step: give up on this number,
// try again later, or suspect the modem itself. Codes from 3GPP TS 27.005
// §3.2.5 (0..127 network causes of 24.011, 128..255 TP-FCS of 23.040, 300+ ME/SIM).
// Pure; unknown codes are treated as temporary, since guessing "fatal" loses reports.
#pragma once

#include <string_view>

namespace lifeline::sms {

enum class CmsClass {
  kPermanent,     // this number (or this PDU) will not work: fail the message, go on
  kTemporary,     // network or recipient busy: retry the same part later
  kModemTrouble,  // the ME/SIM is unwell: counts toward a reset after K in a row
};

CmsClass ClassifyCmsError(int code);
std::string_view CmsClassName(CmsClass c);
// A short English description for logs and the console ("unassigned number").
std::string_view CmsErrorText(int code);

}  // namespace lifeline::sms
