#include "daemon/core/memory.h"

#include <malloc.h>

namespace lifeline {

void KeepLargeBlocksOutOfTheArenas() { mallopt(M_MMAP_THRESHOLD, 256 * 1024); }

size_t AllocatorFreeBytes() { return mallinfo2().fordblks; }

size_t ReturnFreeMemory(size_t threshold) {
  const size_t free_bytes = AllocatorFreeBytes();
  if (free_bytes <= threshold) return 0;
  malloc_trim(0);
  return free_bytes;
}

}  // namespace lifeline
