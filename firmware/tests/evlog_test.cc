// The event log on the host board's NOR flash: records survive a reboot, the
// ring wraps, and a power loss at every point of a write (each word, and within
// the commit word) leaves a log that reads back every record completed before it
// and takes new ones after it. Flash that is neither erased nor a log is formatted.
#include <gtest/gtest.h>

#include <vector>

#include "evlog.h"
#include "host_board.h"

namespace {

std::vector<evlog_entry> ReadAll(const evlog& log) {
  std::vector<evlog_entry> out;
  evlog_entry buf[4];
  uint32_t from = 0;
  for (int guard = 0; guard < 1000; ++guard) {
    unsigned n = evlog_read(&log, from, buf, 4);
    if (n == 0) break;
    out.insert(out.end(), buf, buf + n);
    from = buf[n - 1].seq + 1;
  }
  return out;
}

struct EvlogTest : ::testing::Test {
  void SetUp() override { host_board_reset(); }
};

TEST_F(EvlogTest, RecordsSurviveReboot) {
  evlog log;
  evlog_init(&log);
  EXPECT_EQ(log.next_seq, 1u);
  for (uint32_t i = 0; i < 10; ++i) ASSERT_TRUE(evlog_append(&log, EV_MAINS_LOST, 1000 + i, i));
  evlog again;
  evlog_init(&again);
  EXPECT_EQ(again.next_seq, 11u);
  EXPECT_EQ(again.first_seq, 1u);
  auto all = ReadAll(again);
  ASSERT_EQ(all.size(), 10u);
  EXPECT_EQ(all[3].seq, 4u);
  EXPECT_EQ(all[3].time, 1003u);
  EXPECT_EQ(all[3].arg, 3u);
  EXPECT_EQ(all[3].code, EV_MAINS_LOST);
}

TEST_F(EvlogTest, RingWrapsDroppingTheOldestPage) {
  evlog log;
  evlog_init(&log);
  const uint32_t total = uint32_t(HAL_LOG_PAGES) * uint32_t(EVLOG_SLOTS_PER_PAGE);
  for (uint32_t i = 0; i < total + 10; ++i) ASSERT_TRUE(evlog_append(&log, EV_DRILL_BUTTON, 0, i));
  evlog again;
  evlog_init(&again);
  EXPECT_EQ(again.next_seq, total + 11);
  auto all = ReadAll(again);
  ASSERT_FALSE(all.empty());
  EXPECT_EQ(all.back().seq, total + 10);
  EXPECT_EQ(all.front().seq, again.first_seq);
  EXPECT_EQ(all.size(), total - uint32_t(EVLOG_SLOTS_PER_PAGE) + 10);  // one page of the oldest went
  for (size_t i = 1; i < all.size(); ++i) EXPECT_EQ(all[i].seq, all[i - 1].seq + 1);
  // Reading from before the oldest starts at the oldest.
  evlog_entry e;
  ASSERT_EQ(evlog_read(&again, 1, &e, 1), 1u);
  EXPECT_EQ(e.seq, again.first_seq);
}

// Power loss after k more words, for every k across several records, with the
// ring near a page boundary so erases are torn too.
TEST_F(EvlogTest, TornWritesAtEveryWordRecover) {
  for (long k = 0; k < 4 * 6; ++k) {
    host_board_reset();
    evlog log;
    evlog_init(&log);
    for (int i = 0; i < EVLOG_SLOTS_PER_PAGE - 3; ++i) ASSERT_TRUE(evlog_append(&log, EV_BOOT, 0, i));
    uint32_t done_before = log.next_seq - 1;
    g_board.power_loss_after_words = k;
    uint32_t completed = done_before;
    for (int i = 0; i < 6; ++i) {
      bool was_on = !g_board.powered_off;
      evlog_append(&log, EV_MAINS_BACK, 7, 100 + i);
      if (was_on && !g_board.powered_off) completed = log.next_seq - 1;
    }
    host_board_power_on(false);
    evlog again;
    evlog_init(&again);
    auto all = ReadAll(again);
    ASSERT_EQ(all.size(), completed) << "power lost after " << k << " words";
    for (size_t i = 0; i < all.size(); ++i) EXPECT_EQ(all[i].seq, i + 1) << k;
    EXPECT_EQ(again.next_seq, completed + 1) << k;
    // And the log goes on: new records after the torn one read back.
    for (int i = 0; i < 5; ++i) ASSERT_TRUE(evlog_append(&again, EV_DRILL_BUTTON, 9, i)) << k;
    evlog third;
    evlog_init(&third);
    EXPECT_EQ(ReadAll(third).size(), completed + 5) << k;
  }
}

TEST_F(EvlogTest, GarbageFlashIsFormatted) {
  for (auto& w : g_board.flash) w = 0;  // QEMU's flash beyond the image reads 0
  evlog log;
  evlog_init(&log);
  auto all = ReadAll(log);
  ASSERT_EQ(all.size(), 1u);
  EXPECT_EQ(all[0].code, EV_LOG_FORMAT);
  EXPECT_TRUE(evlog_append(&log, EV_BOOT, 0, 0));
}

TEST_F(EvlogTest, RefusedWritesAreCountedNotFatal) {
  evlog log;
  evlog_init(&log);
  g_board.refuse_writes = true;
  EXPECT_FALSE(evlog_append(&log, EV_BOOT, 0, 0));
  EXPECT_GT(log.write_failures, 0u);
  g_board.refuse_writes = false;
  EXPECT_TRUE(evlog_append(&log, EV_BOOT, 0, 0));
  EXPECT_EQ(ReadAll(log).size(), 1u);
}

}  // namespace
