#include "evlog.h"

#include "crc16.h"
#include "hal.h"

enum { TOTAL_SLOTS = HAL_LOG_PAGES * EVLOG_SLOTS_PER_PAGE };

static uint16_t record_crc(uint32_t seq, uint32_t time, uint32_t arg, uint8_t code) {
  uint8_t b[13];
  for (int i = 0; i < 4; ++i) {
    b[i] = (uint8_t)(seq >> (8 * i));
    b[4 + i] = (uint8_t)(time >> (8 * i));
    b[8 + i] = (uint8_t)(arg >> (8 * i));
  }
  b[12] = code;
  return crc16_compute(b, sizeof b);
}

static bool slot_read(uint32_t slot, evlog_entry *e) {
  const volatile uint32_t *w = hal_log_words() + slot * EVLOG_SLOT_WORDS;
  uint32_t commit = w[3];
  if (((commit >> 8) & 0xFFu) != EVLOG_MARKER) return false;
  e->seq = w[0];
  e->time = w[1];
  e->arg = w[2];
  e->code = (uint8_t)commit;
  return (uint16_t)(commit >> 16) == record_crc(e->seq, e->time, e->arg, e->code);
}

static bool slot_erased(uint32_t slot) {
  const volatile uint32_t *w = hal_log_words() + slot * EVLOG_SLOT_WORDS;
  return w[0] == 0xFFFFFFFFu && w[1] == 0xFFFFFFFFu && w[2] == 0xFFFFFFFFu && w[3] == 0xFFFFFFFFu;
}

static bool region_erased(void) {
  for (uint32_t s = 0; s < TOTAL_SLOTS; ++s) {
    if (!slot_erased(s)) return false;
  }
  return true;
}

/* Serial-number order, so the ring keeps working past 2^32 records. */
static bool seq_after(uint32_t a, uint32_t b) { return (int32_t)(a - b) > 0; }

static void format(evlog *log) {
  for (uint32_t p = 0; p < HAL_LOG_PAGES; ++p) {
    if (!hal_log_erase_page(p)) ++log->write_failures;
  }
  log->head = 0;
}

void evlog_init(evlog *log) {
  evlog_entry e;
  bool any = false;
  uint32_t newest_slot = 0, newest = 0, oldest = 0, boot_seq = 0;
  log->write_failures = 0;
  log->last_boot_count = 0;
  for (uint32_t s = 0; s < TOTAL_SLOTS; ++s) {
    if (!slot_read(s, &e)) continue;
    if (!any || seq_after(e.seq, newest)) {
      newest = e.seq;
      newest_slot = s;
    }
    if (!any || seq_after(oldest, e.seq)) oldest = e.seq;
    if (e.code == EV_BOOT && (log->last_boot_count == 0 || seq_after(e.seq, boot_seq))) {
      boot_seq = e.seq;
      log->last_boot_count = e.arg >> 8;
    }
    any = true;
  }
  if (!any) {
    log->next_seq = log->first_seq = 1;
    if (!region_erased()) {
      format(log);
      evlog_append(log, EV_LOG_FORMAT, 0, HAL_LOG_PAGES);
    } else {
      log->head = 0;
    }
    return;
  }
  log->next_seq = newest + 1;
  log->first_seq = oldest;
  log->head = (newest_slot + 1) % TOTAL_SLOTS;
}

/* Moves the head to a slot that can take a record, erasing a page on entry. */
static bool claim_slot(evlog *log) {
  for (uint32_t tries = 0; tries <= TOTAL_SLOTS; ++tries) {
    if (log->head % EVLOG_SLOTS_PER_PAGE == 0) {
      uint32_t page = log->head / EVLOG_SLOTS_PER_PAGE;
      /* Erased already (a fresh region) needs no second erase. */
      bool clean = true;
      for (uint32_t s = 0; s < EVLOG_SLOTS_PER_PAGE && clean; ++s) {
        clean = slot_erased(log->head + s);
      }
      if (!clean && !hal_log_erase_page(page)) {
        ++log->write_failures;
        log->head = (log->head + EVLOG_SLOTS_PER_PAGE) % TOTAL_SLOTS;
        continue;
      }
    }
    if (slot_erased(log->head)) return true;
    log->head = (log->head + 1) % TOTAL_SLOTS; /* a torn write: skip it */
  }
  return false;
}

static void update_first(evlog *log) {
  evlog_entry e;
  uint32_t oldest = log->next_seq;
  for (uint32_t s = 0; s < TOTAL_SLOTS; ++s) {
    if (slot_read(s, &e) && seq_after(oldest, e.seq)) oldest = e.seq;
  }
  log->first_seq = oldest;
}

bool evlog_append(evlog *log, uint8_t code, uint32_t time, uint32_t arg) {
  if (!claim_slot(log)) {
    ++log->write_failures;
    return false;
  }
  bool entered_page = log->head % EVLOG_SLOTS_PER_PAGE == 0;
  uint32_t base = log->head * EVLOG_SLOT_WORDS;
  uint32_t seq = log->next_seq;
  uint32_t commit = code | ((uint32_t)EVLOG_MARKER << 8) |
                    ((uint32_t)record_crc(seq, time, arg, code) << 16);
  bool ok = hal_log_program(base, seq) && hal_log_program(base + 1, time) &&
            hal_log_program(base + 2, arg) && hal_log_program(base + 3, commit);
  log->head = (log->head + 1) % TOTAL_SLOTS;
  if (!ok) {
    ++log->write_failures;
    return false;
  }
  log->next_seq = seq + 1;
  if (entered_page || seq == 1) update_first(log); /* a page of old records went */
  return true;
}

unsigned evlog_read(const evlog *log, uint32_t from, evlog_entry *out, unsigned max) {
  unsigned n = 0;
  (void)log;
  /* Records are found by seq, not by slot: a skipped torn slot leaves no gap in seq. */
  for (uint32_t want = from; n < max && seq_after(log->next_seq, want); ++want) {
    bool found = false;
    for (uint32_t s = 0; s < TOTAL_SLOTS && !found; ++s) {
      found = slot_read(s, &out[n]) && out[n].seq == want;
    }
    if (found) {
      ++n;
    } else if (seq_after(log->first_seq, want)) {
      want = log->first_seq - 1; /* older than the ring holds: jump to the oldest */
    }
  }
  return n;
}
