/* wire: the supervisor link's framing (proto/supervisor.md). A frame body is
 * type, seq, payload (0..64 bytes) and a big-endian CRC-16 over the rest; on the
 * wire it is COBS-encoded and ended by one 0x00. Pure functions and a byte-fed
 * receiver with a fixed buffer; bytes from the wire are never trusted. */
#ifndef SUP_WIRE_H
#define SUP_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

enum {
  WIRE_MAX_PAYLOAD = 64,
  WIRE_MAX_BODY = 2 + WIRE_MAX_PAYLOAD + 2,  /* type, seq, payload, crc */
  WIRE_MAX_ENCODED = WIRE_MAX_BODY + 2,      /* COBS overhead for <254 bytes is 1 */
  WIRE_MAX_FRAME = WIRE_MAX_ENCODED + 1,     /* plus the 0x00 delimiter */
};

typedef struct {
  uint8_t type;
  uint8_t seq;
  uint8_t len;
  uint8_t payload[WIRE_MAX_PAYLOAD];
} wire_frame;

typedef enum {
  WIRE_NONE = 0,     /* nothing complete yet */
  WIRE_FRAME,        /* a good frame */
  WIRE_ERR_COBS,     /* a zero-length code or a code running past the end */
  WIRE_ERR_SHORT,    /* fewer than type, seq and CRC */
  WIRE_ERR_CRC,      /* check failed */
  WIRE_ERR_LONG,     /* more than WIRE_MAX_ENCODED bytes before a delimiter */
} wire_result;

/* COBS: returns the encoded length, or 0 when `cap` is too small. */
size_t wire_cobs_encode(const uint8_t *in, size_t len, uint8_t *out, size_t cap);
/* Returns the decoded length, or -1 for malformed input or a too-small `cap`. */
int wire_cobs_decode(const uint8_t *in, size_t len, uint8_t *out, size_t cap);

/* Encodes one frame with its delimiter; returns bytes written (0: payload too long). */
size_t wire_encode(uint8_t type, uint8_t seq, const uint8_t *payload, size_t len,
                   uint8_t *out, size_t cap);
/* Decodes one COBS-encoded frame without its delimiter. */
wire_result wire_decode(const uint8_t *encoded, size_t len, wire_frame *frame);

typedef struct {
  uint8_t buf[WIRE_MAX_ENCODED];
  size_t len;
  bool overflow;
} wire_rx;

void wire_rx_init(wire_rx *rx);
/* Feeds one byte; at a delimiter returns the outcome for the bytes before it
 * (empty runs of delimiters give WIRE_NONE), otherwise WIRE_NONE. */
wire_result wire_rx_feed(wire_rx *rx, uint8_t byte, wire_frame *frame);

/* Little-endian field helpers for payloads. */
void wire_put_u16(uint8_t *p, uint16_t v);
void wire_put_u32(uint8_t *p, uint32_t v);
uint16_t wire_get_u16(const uint8_t *p);
uint32_t wire_get_u32(const uint8_t *p);

#ifdef __cplusplus
}
#endif

#endif
