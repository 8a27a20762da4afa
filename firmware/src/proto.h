/* proto: the message numbers and payload sizes of proto/supervisor.md, version 1.
 * A response is the request's type with bit 7 set and the request's seq. */
#ifndef SUP_PROTO_H
#define SUP_PROTO_H

#ifdef __cplusplus
extern "C" {
#endif

enum {
  PROTO_VERSION = 1,
  PROTO_RESPONSE = 0x80,

  MSG_HELLO = 0x01,
  MSG_HEARTBEAT = 0x02,
  MSG_STATUS = 0x03,
  MSG_RTC_GET = 0x04,
  MSG_RTC_SET = 0x05,
  MSG_MODEM_CYCLE = 0x06,
  MSG_ALARM = 0x07,
  MSG_CONFIG = 0x08,
  MSG_LOG_READ = 0x09,
  MSG_ERROR = 0x7F,

  ERR_NO_HELLO = 1,
  ERR_VERSION = 2,
  ERR_UNKNOWN = 3,
  ERR_LENGTH = 4,
  ERR_VALUE = 5,

  HELLO_REQ_LEN = 2,
  HELLO_RESP_LEN = 19,
  STATUS_LEN = 26,
  RTC_GET_RESP_LEN = 5,
  RTC_SET_REQ_LEN = 4,
  RTC_SET_RESP_LEN = 5,
  MODEM_RESP_LEN = 1,
  ALARM_LEN = 1,
  CONFIG_LEN = 9,
  LOG_READ_REQ_LEN = 5,
  LOG_ENTRY_LEN = 13,
  LOG_READ_MAX = 4,

  STATUS_MAINS_KNOWN = 1 << 0,
  STATUS_MAINS_OK = 1 << 1,
  STATUS_BATTERY_KNOWN = 1 << 2,
  STATUS_BATTERY_LOW = 1 << 3,
  STATUS_RTC_VALID = 1 << 4,
  STATUS_WATCHDOG_ARMED = 1 << 5,
  STATUS_MODEM_CYCLING = 1 << 6,
  STATUS_SILENCED = 1 << 7,
  STATUS_HOST_RELAY = 1 << 8,
  STATUS_LOG_FAULT = 1 << 9,

  BOARD_MICROBIT = 1,
  BOARD_HOST_SIM = 2,

  SUP_RESET_POWER_ON = 0,
  SUP_RESET_PIN = 1,
  SUP_RESET_WATCHDOG = 2,
  SUP_RESET_SOFTWARE = 3,
  SUP_RESET_LOCKUP = 4,
  SUP_RESET_OTHER = 5,

  FW_MAJOR = 1,
  FW_MINOR = 0,
};

#ifdef __cplusplus
}
#endif

#endif
