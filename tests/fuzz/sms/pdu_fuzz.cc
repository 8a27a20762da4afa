// The PDU decoders over arbitrary bytes (as binary and as hex text), and the
// encoder over arbitrary text: whatever encodes must decode strictly back to
// the same text, or the target aborts.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "daemon/channels/sms/sms.h"

using namespace lifeline::sms;

static void CheckRoundTrip(std::string_view text) {
  static const PhoneNumber kTo = *ParsePhoneNumber("+886912345678");
  SubmitOptions options;
  options.max_parts = 255;
  auto msg = EncodeSubmit(kTo, text, 0x5A, options);
  if (!msg.ok()) return;
  std::string joined;
  for (const SubmitPart& part : msg->parts) {
    auto bytes = FromHex(part.pdu_hex);
    if (!bytes.ok()) abort();
    auto decoded = DecodeSubmitPdu(*bytes);
    if (!decoded.ok() || decoded->tpdu_length != part.tpdu_length) abort();
    joined += EncodeUtf8(decoded->text);
  }
  if (joined != text) abort();
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::vector<uint8_t> bytes(data, data + size);
  (void)DecodeSubmitPdu(bytes);
  (void)DecodeStatusReportPdu(bytes);
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  if (auto hex = FromHex(text); hex.ok()) {
    (void)DecodeSubmitPdu(*hex);
    (void)DecodeStatusReportPdu(*hex);
  }
  if (size <= 2048) CheckRoundTrip(text);
  return 0;
}
