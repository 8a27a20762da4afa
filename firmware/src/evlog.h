/* evlog: the supervisor's event log, a ring of 16-byte records over the HAL's
 * flash pages. A record is four words: seq, time, arg, and a commit word (code,
 * marker 0xA5, CRC-16 of the other 13 bytes) programmed last, so a write torn by
 * a power loss is never read as a record. Recovery scans every slot; the next
 * write goes to the first erased slot after the newest record, and a page is
 * erased before its first slot is used. No allocation; one instance. */
#ifndef SUP_EVLOG_H
#define SUP_EVLOG_H

#include <stdbool.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

enum {
  EVLOG_SLOT_WORDS = 4,
  EVLOG_SLOTS_PER_PAGE = 64, /* HAL_LOG_PAGE_WORDS / EVLOG_SLOT_WORDS */
  EVLOG_MARKER = 0xA5,
};

typedef enum {
  EV_BOOT = 1,             /* arg: reset cause | boot count << 8 */
  EV_MAINS_LOST = 2,       /* arg: mains sense mV */
  EV_MAINS_BACK = 3,       /* arg: mains sense mV */
  EV_BATTERY_LOW = 4,      /* arg: percent | battery mV << 8 */
  EV_BATTERY_OK = 5,       /* arg: percent | battery mV << 8 */
  EV_HOST_SILENT = 6,      /* arg: seconds since the last heartbeat */
  EV_HOST_RESET = 7,       /* arg: host resets in the last hour, this one included */
  EV_HOST_RESET_LIMIT = 8, /* arg: resets in the last hour; this one withheld */
  EV_HOST_BACK = 9,        /* arg: seconds without heartbeats */
  EV_MODEM_CYCLE = 10,     /* arg: 0 */
  EV_MODEM_DONE = 11,      /* arg: MODEM_RESULT_* */
  EV_RTC_SET = 12,         /* arg: the previous time (0 when it was not valid) */
  EV_ACK_BUTTON = 13,      /* arg: the alarm pattern silenced */
  EV_DRILL_BUTTON = 14,    /* arg: 0 */
  EV_LOG_FORMAT = 15,      /* arg: pages erased */
  EV_WATCHDOG_SET = 16,    /* arg: timeout s | max resets an hour << 16 */
} evlog_code;

typedef struct {
  uint32_t seq;
  uint32_t time; /* RTC seconds since 1970, 0 when the RTC was not valid */
  uint8_t code;
  uint32_t arg;
} evlog_entry;

typedef struct {
  uint32_t next_seq;
  uint32_t first_seq; /* the oldest record still held (== next_seq when empty) */
  uint32_t head;      /* the slot the next record goes to */
  uint32_t write_failures;
  uint32_t last_boot_count; /* from the newest EV_BOOT record, 0 when none */
} evlog;

/* Scans the flash and finds the head; formats the region when nothing in it is
 * a record and it is not erased. */
void evlog_init(evlog *log);
/* Appends a record; false when the flash refused (counted, the slot skipped). */
bool evlog_append(evlog *log, uint8_t code, uint32_t time, uint32_t arg);
/* Copies up to `max` records with seq >= from, oldest first; returns how many. */
unsigned evlog_read(const evlog *log, uint32_t from, evlog_entry *out, unsigned max);

#ifdef __cplusplus
}
#endif

#endif
