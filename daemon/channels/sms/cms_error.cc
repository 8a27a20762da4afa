#include "daemon/channels/sms/cms_error.h"

namespace lifeline::sms {
namespace {

struct CmsEntry {
  int code;
  CmsClass cls;
  std::string_view text;
};

constexpr CmsEntry kTable[] = {
    {1, CmsClass::kPermanent, "unassigned (unallocated) number"},
    {8, CmsClass::kPermanent, "operator determined barring"},
    {10, CmsClass::kPermanent, "call barred"},
    {17, CmsClass::kTemporary, "network failure"},
    {21, CmsClass::kPermanent, "short message transfer rejected"},
    {22, CmsClass::kTemporary, "memory capacity exceeded / congestion"},
    {27, CmsClass::kTemporary, "destination out of service"},
    {28, CmsClass::kPermanent, "unidentified subscriber"},
    {29, CmsClass::kPermanent, "facility rejected"},
    {30, CmsClass::kPermanent, "unknown subscriber"},
    {38, CmsClass::kTemporary, "network out of order"},
    {41, CmsClass::kTemporary, "temporary failure"},
    {42, CmsClass::kTemporary, "congestion"},
    {47, CmsClass::kTemporary, "resources unavailable, unspecified"},
    {50, CmsClass::kPermanent, "requested facility not subscribed"},
    {69, CmsClass::kPermanent, "requested facility not implemented"},
    {81, CmsClass::kTemporary, "invalid short message transfer reference value"},
    {95, CmsClass::kPermanent, "invalid message, unspecified"},
    {96, CmsClass::kPermanent, "invalid mandatory information"},
    {97, CmsClass::kPermanent, "message type non-existent or not implemented"},
    {111, CmsClass::kTemporary, "protocol error, unspecified"},
    {127, CmsClass::kTemporary, "interworking, unspecified"},
    {300, CmsClass::kModemTrouble, "ME failure"},
    {301, CmsClass::kModemTrouble, "SMS service of ME reserved"},
    {302, CmsClass::kModemTrouble, "operation not allowed"},
    {303, CmsClass::kModemTrouble, "operation not supported"},
    {304, CmsClass::kPermanent, "invalid PDU mode parameter"},
    {305, CmsClass::kPermanent, "invalid text mode parameter"},
    {310, CmsClass::kModemTrouble, "SIM not inserted"},
    {311, CmsClass::kModemTrouble, "SIM PIN required"},
    {312, CmsClass::kModemTrouble, "PH-SIM PIN required"},
    {313, CmsClass::kModemTrouble, "SIM failure"},
    {314, CmsClass::kTemporary, "SIM busy"},
    {315, CmsClass::kModemTrouble, "SIM wrong"},
    {316, CmsClass::kModemTrouble, "SIM PUK required"},
    {320, CmsClass::kModemTrouble, "memory failure"},
    {330, CmsClass::kModemTrouble, "SMSC address unknown"},
    {331, CmsClass::kTemporary, "no network service"},
    {332, CmsClass::kTemporary, "network timeout"},
    {500, CmsClass::kTemporary, "unknown error"},
};

const CmsEntry* Find(int code) {
  for (const CmsEntry& e : kTable) {
    if (e.code == code) return &e;
  }
  return nullptr;
}

}  // namespace

CmsClass ClassifyCmsError(int code) {
  if (const CmsEntry* e = Find(code)) return e->cls;
  // 128..255 are TP-FCS: the SMSC refused this TPDU (bad PID/DCS/address); resending is futile.
  if (code >= 128 && code <= 255) return CmsClass::kPermanent;
  return CmsClass::kTemporary;
}

std::string_view CmsClassName(CmsClass c) {
  switch (c) {
    case CmsClass::kPermanent:
      return "permanent";
    case CmsClass::kTemporary:
      return "temporary";
    case CmsClass::kModemTrouble:
      return "modem-trouble";
  }
  return "unknown";
}

std::string_view CmsErrorText(int code) {
  if (const CmsEntry* e = Find(code)) return e->text;
  if (code >= 128 && code <= 255) return "TP failure cause from the SMSC";
  return "unlisted error";
}

}  // namespace lifeline::sms
