// ReturnFreeMemory against glibc's real allocator: memory a burst freed in
// the middle of the heap (where it cannot be trimmed from the top) leaves the
// process's private resident memory once trimmed, and a quiet heap is left
// alone; and with the mmap threshold fixed, a large block freed leaves the
// resident memory at once, however many came before it.
#include "daemon/core/memory.h"

#include <gtest/gtest.h>
#include <cstring>

#include <cstdlib>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

namespace lifeline {
namespace {

// The compiler may leave out a malloc and free with nothing between them that
// reads the block: a block kept here is read.
char* volatile g_kept = nullptr;
void Keep(char* block) { g_kept = block; }

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

// glibc would raise its threshold past a freed block and grow an arena for
// the next one, which then stays resident once freed; fixed, each block is a
// mapping of its own and leaves with its free, round after round. The blocks
// are larger than the earlier tests' burst, so that no free space they left
// in the heap can hold one (it would be used, mapped or not).
TEST(MemoryTest, ALargeBlockLeavesResidentMemoryWithItsFreeEveryTime) {
  KeepLargeBlocksOutOfTheArenas();
  ReturnFreeMemory(0);
  constexpr size_t kLarge = 28u << 20;  // glibc moves its threshold for blocks up to 32 MiB
  for (int round = 0; round < 3; ++round) {
    const long before = RssAnonKiB();
    char* block = static_cast<char*>(std::malloc(kLarge));
    ASSERT_NE(block, nullptr);
    std::memset(block, 'x', kLarge);
    Keep(block);
    EXPECT_GE(RssAnonKiB(), before + 27 * 1024) << "round " << round << ": the block is not resident";
    std::free(block);
    EXPECT_LT(RssAnonKiB(), before + 1024) << "round " << round << ": the freed block is still resident";
  }
}

}  // namespace
}  // namespace lifeline
