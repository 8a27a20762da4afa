#include "wire.h"

#include <string.h>

#include "crc16.h"

size_t wire_cobs_encode(const uint8_t *in, size_t len, uint8_t *out, size_t cap) {
  /* Worst case: one code byte per 254 data bytes, plus the first. */
  if (cap < len + len / 254 + 1) return 0;
  size_t code_at = 0, o = 1;
  uint8_t code = 1;
  for (size_t i = 0; i < len; ++i) {
    if (in[i] != 0) {
      out[o++] = in[i];
      ++code;
    }
    if (in[i] == 0 || code == 0xFF) {
      out[code_at] = code;
      code_at = o++;
      code = 1;
    }
  }
  out[code_at] = code;
  return o;
}

int wire_cobs_decode(const uint8_t *in, size_t len, uint8_t *out, size_t cap) {
  size_t i = 0, o = 0;
  while (i < len) {
    uint8_t code = in[i++];
    if (code == 0 || i + (size_t)code - 1 > len) return -1;
    for (uint8_t k = 1; k < code; ++k) {
      if (in[i] == 0 || o >= cap) return -1;
      out[o++] = in[i++];
    }
    if (code != 0xFF && i < len) {
      if (o >= cap) return -1;
      out[o++] = 0;
    }
  }
  return (int)o;
}

size_t wire_encode(uint8_t type, uint8_t seq, const uint8_t *payload, size_t len,
                   uint8_t *out, size_t cap) {
  uint8_t body[WIRE_MAX_BODY];
  if (len > WIRE_MAX_PAYLOAD) return 0;
  body[0] = type;
  body[1] = seq;
  if (len > 0) memcpy(body + 2, payload, len);
  uint16_t crc = crc16_compute(body, len + 2);
  body[len + 2] = (uint8_t)(crc >> 8);
  body[len + 3] = (uint8_t)crc;
  size_t n = wire_cobs_encode(body, len + 4, out, cap);
  if (n == 0 || n >= cap) return 0;
  out[n] = 0;
  return n + 1;
}

wire_result wire_decode(const uint8_t *encoded, size_t len, wire_frame *frame) {
  uint8_t body[WIRE_MAX_BODY];
  if (len > WIRE_MAX_ENCODED) return WIRE_ERR_LONG;
  int n = wire_cobs_decode(encoded, len, body, sizeof body);
  if (n < 0) return WIRE_ERR_COBS;
  if (n < 4) return WIRE_ERR_SHORT;
  uint16_t want = (uint16_t)((body[n - 2] << 8) | body[n - 1]);
  if (crc16_compute(body, (size_t)n - 2) != want) return WIRE_ERR_CRC;
  frame->type = body[0];
  frame->seq = body[1];
  frame->len = (uint8_t)(n - 4);
  memcpy(frame->payload, body + 2, frame->len);
  return WIRE_FRAME;
}

void wire_rx_init(wire_rx *rx) {
  rx->len = 0;
  rx->overflow = false;
}

wire_result wire_rx_feed(wire_rx *rx, uint8_t byte, wire_frame *frame) {
  if (byte != 0) {
    if (rx->len < sizeof rx->buf) {
      rx->buf[rx->len++] = byte;
    } else {
      rx->overflow = true;
    }
    return WIRE_NONE;
  }
  wire_result r = WIRE_NONE;
  if (rx->overflow) {
    r = WIRE_ERR_LONG;
  } else if (rx->len > 0) {
    r = wire_decode(rx->buf, rx->len, frame);
  }
  wire_rx_init(rx);
  return r;
}

void wire_put_u16(uint8_t *p, uint16_t v) {
  p[0] = (uint8_t)v;
  p[1] = (uint8_t)(v >> 8);
}

void wire_put_u32(uint8_t *p, uint32_t v) {
  for (int i = 0; i < 4; ++i) p[i] = (uint8_t)(v >> (8 * i));
}

uint16_t wire_get_u16(const uint8_t *p) { return (uint16_t)(p[0] | (p[1] << 8)); }

uint32_t wire_get_u32(const uint8_t *p) {
  return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}
