// A test that cannot run on this host (no network namespaces, no QEMU) skips,
// and ctest shows it as skipped (lifeline_add_test sets the skip pattern).
// Where every test must run, a skip is a failure: the README's test command
// (and so CI, as root with everything installed) sets
// LIFELINE_REQUIRE_ALL_TESTS=1.
#pragma once

#include <gtest/gtest.h>

#include <cstdlib>

#define LIFELINE_SKIP_OR_FAIL(why)                                                      \
  do {                                                                                  \
    if (std::getenv("LIFELINE_REQUIRE_ALL_TESTS")) FAIL() << "must run here: " << (why); \
    GTEST_SKIP() << (why);                                                              \
  } while (0)
