#include "crc16.h"

/* Bitwise: 256 bytes of table would cost more flash than the few cycles it saves
 * on frames of at most 68 bytes. */
uint16_t crc16_update(uint16_t crc, const uint8_t *data, size_t len) {
  for (size_t i = 0; i < len; ++i) {
    crc ^= (uint16_t)((uint16_t)data[i] << 8);
    for (int b = 0; b < 8; ++b) {
      crc = (crc & 0x8000u) ? (uint16_t)((crc << 1) ^ 0x1021u) : (uint16_t)(crc << 1);
    }
  }
  return crc;
}

uint16_t crc16_compute(const uint8_t *data, size_t len) { return crc16_update(0xFFFFu, data, len); }
