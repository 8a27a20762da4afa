// Every AT reply parser over arbitrary lines: none may crash, hang or read out
// of bounds, whatever a noisy serial line delivers.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "daemon/channels/sms/sms.h"

using namespace lifeline::sms;

static void ParseAll(std::string_view line) {
  (void)ParseFinalResult(line);
  (void)ParseCsq(line);
  (void)ParseRegistration(line, RegForm::kQueryResponse);
  (void)ParseRegistration(line, RegForm::kUnsolicited);
  (void)ParseCpin(line);
  (void)ParseCmgs(line);
  (void)ParseCsca(line);
  (void)ParseCmti(line);
  (void)ParseCdsHeader(line);
  (void)ClassifyUrc(line);
  (void)SplitFields(line);
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view all(reinterpret_cast<const char*>(data), size);
  ParseAll(all);
  while (!all.empty()) {  // also line by line, as the engine feeds them
    const size_t end = all.find_first_of("\r\n");
    ParseAll(all.substr(0, end));
    if (end == std::string_view::npos) break;
    all.remove_prefix(end + 1);
  }
  return 0;
}
