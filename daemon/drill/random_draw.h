// DrawStream: reproducible random draws from a seed, the same on every platform
// and compiler (std distributions are implementation-defined). Block i of the
// stream is HMAC-SHA256(key = seed, "lifeline.drill-draw/1" || i as 8 bytes
// big-endian); draws take 4 bytes big-endian at a time, and Uniform(n) rejects
// the lowest 2^32 mod n values (as arc4random_uniform), so every outcome is
// equally likely. An auditor can recompute a draw with any HMAC tool.
#pragma once

#include <array>
#include <cstdint>
#include <string>

namespace lifeline::drill {

class DrawStream {
 public:
  explicit DrawStream(std::string seed) : seed_(std::move(seed)) {}
  uint32_t Next32();
  // Uniform in [0, n); n >= 1.
  uint32_t Uniform(uint32_t n);

 private:
  std::string seed_;
  uint64_t counter_ = 0;
  std::array<unsigned char, 32> block_{};
  size_t used_ = 32;  // bytes of block_ consumed
};

}  // namespace lifeline::drill
