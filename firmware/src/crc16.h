/* crc16: CRC-16/CCITT-FALSE (poly 0x1021, init 0xFFFF, no reflection, no final XOR),
 * the check of every supervisor frame. Pure; check value of "123456789" is 0x29B1. */
#ifndef SUP_CRC16_H
#define SUP_CRC16_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

uint16_t crc16_update(uint16_t crc, const uint8_t *data, size_t len);
uint16_t crc16_compute(const uint8_t *data, size_t len);

#ifdef __cplusplus
}
#endif

#endif
