// Free memory handed back to the kernel. glibc's allocator keeps what a burst
// of work freed (the escalation engine's start-up load, a listing of every
// report, a large request) in its arenas, where it still counts as the
// daemon's resident memory until something reuses it; malloc_trim gives the
// free pages back, from the middle of each arena as well as its top.
//
// ReturnFreeMemory trims only when the arenas hold more than `threshold`
// bytes free, so a quiet daemon pays one mallinfo2 walk and nothing else.
//
// KeepLargeBlocksOutOfTheArenas fixes glibc's mmap threshold: a block of 256
// KiB or more (a fax page's bitmap, a PDF, a listing's reply) that the arenas
// have no free space for is a mapping of its own, returned to the kernel when
// freed, instead of growing an arena. Left to itself, glibc raises the
// threshold to the size of the largest block freed so far, and the next
// blocks of that size grow the arenas, where they stay resident after they
// are freed until the next trim (a fax of the form took a worker's arena to
// 8.8 MB that way). Call it first thing in main, before the threads start.
// Both functions are safe from any thread (glibc locks each arena in turn);
// under a sanitizer's allocator they see nothing and do nothing.
#pragma once

#include <cstddef>

namespace lifeline {

// Bytes the allocator holds free (mallinfo2's fordblks, every arena).
size_t AllocatorFreeBytes();

void KeepLargeBlocksOutOfTheArenas();

// Trims when more than `threshold` bytes are free; returns the bytes held
// free before the trim, or 0 when it did not trim.
size_t ReturnFreeMemory(size_t threshold);

}  // namespace lifeline
