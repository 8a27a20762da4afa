#include "daemon/drill/random_draw.h"

#include <mbedtls/md.h>

#include <string_view>

namespace lifeline::drill {

namespace {
constexpr std::string_view kLabel = "lifeline.drill-draw/1";
}  // namespace

uint32_t DrawStream::Next32() {
  if (used_ + 4 > block_.size()) {
    std::string msg(kLabel);
    for (int i = 7; i >= 0; --i) msg.push_back(static_cast<char>((counter_ >> (8 * i)) & 0xff));
    ++counter_;
    // HMAC-SHA256 cannot fail for a valid digest type and in-memory buffers.
    mbedtls_md_hmac(mbedtls_md_info_from_type(MBEDTLS_MD_SHA256),
                    reinterpret_cast<const unsigned char*>(seed_.data()), seed_.size(),
                    reinterpret_cast<const unsigned char*>(msg.data()), msg.size(), block_.data());
    used_ = 0;
  }
  uint32_t v = 0;
  for (int i = 0; i < 4; ++i) v = (v << 8) | block_[used_++];
  return v;
}

uint32_t DrawStream::Uniform(uint32_t n) {
  if (n <= 1) return 0;
  // 2^32 mod n, computed without 64-bit overflow concerns: values below it are rejected.
  const uint32_t reject_below = static_cast<uint32_t>((uint64_t{1} << 32) % n);
  for (;;) {
    const uint32_t v = Next32();
    if (v >= reject_below) return v % n;
  }
}

}  // namespace lifeline::drill
