// ReturnFreeMemory against glibc's real allocator: memory a burst freed in
// the middle of the heap (where it cannot be trimmed from the top) leaves the
// process's private resident memory once trimmed, and a quiet heap is left
// alone.
#include "daemon/core/memory.h"

#include <gtest/gtest.h>

#include <fstream>
#include <memory>
#include <string>
#include <vector>

namespace lifeline {
namespace {

// The process's private resident memory (RssAnon), in KiB.
long RssAnonKiB() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("RssAnon:", 0) == 0) return std::stol(line.substr(8));
  }
  return -1;
}

TEST(MemoryTest, WhatABurstFreedInTheMiddleOfTheHeapIsGivenBack) {
  ReturnFreeMemory(0);  // start from a trimmed heap
  // 24 MiB in blocks below the mmap threshold, each written so it is resident.
  constexpr size_t kBlock = 1000, kBlocks = 24 * 1024;
  std::vector<std::unique_ptr<char[]>> blocks(kBlocks);
  for (auto& b : blocks) {
    b.reset(new char[kBlock]);
    std::fill(b.get(), b.get() + kBlock, 'x');
  }
  const long full = RssAnonKiB();
  // Free all but every 64th block and the last: the holes are in the middle
  // of the heap, where freeing alone gives nothing back.
  for (size_t i = 0; i + 1 < kBlocks; ++i) {
    if (i % 64 != 0) blocks[i].reset();
  }
  const long after_free = RssAnonKiB();
  ASSERT_GT(AllocatorFreeBytes(), size_t{16} << 20);
  EXPECT_GT(after_free, full - 4 * 1024) << "freeing alone gave most of it back: nothing for the trim to show";

  EXPECT_GT(ReturnFreeMemory(size_t{1} << 20), size_t{16} << 20);
  const long trimmed = RssAnonKiB();
  EXPECT_LT(trimmed, after_free - 12 * 1024) << "full " << full << " KiB, freed " << after_free << " KiB, trimmed "
                                             << trimmed << " KiB";
  blocks.clear();
}

TEST(MemoryTest, AHeapWithLittleFreeIsNotTrimmed) {
  ReturnFreeMemory(0);
  EXPECT_EQ(ReturnFreeMemory(size_t{64} << 20), 0u);
}

}  // namespace
}  // namespace lifeline
