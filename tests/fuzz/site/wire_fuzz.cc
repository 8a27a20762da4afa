// Fuzzes the site client's parsers of what the site sends back: the receipt
// body, an error body, and Retry-After in both forms. None may crash or throw.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "daemon/site/wire.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  auto receipt = lifeline::site_internal::ParseReceipt(in);
  if (receipt.ok() && receipt->receipt_no.empty()) __builtin_trap();
  (void)lifeline::site_internal::ParseErrorCode(in);
  lifeline::WallTime now{};
  (void)lifeline::site_internal::ParseRetryAfter(in, now).ok();
  (void)lifeline::site_internal::ParseHttpDate(in).ok();
  return 0;
}
