// Any bytes into the firmware's UART receiver, and every request it decodes
// through the firmware's handler on the host board: none may crash, and every
// answer must itself be a well-formed frame.
#include <cstddef>
#include <cstdint>
#include <cstdlib>

extern "C" {
#include "host_board.h"
#include "supervisor.h"
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static supervisor s;
  host_board_reset();
  sup_init(&s, BOARD_HOST_SIM, 0);
  wire_rx rx;
  wire_rx_init(&rx);
  wire_frame req, resp;
  uint8_t out[WIRE_MAX_FRAME];
  for (size_t i = 0; i < size; ++i) {
    if (wire_rx_feed(&rx, data[i], &req) != WIRE_FRAME) continue;
    size_t n = sup_handle(&s, &req, uint32_t(i), out, sizeof out);
    if (n == 0 || out[n - 1] != 0 || wire_decode(out, n - 1, &resp) != WIRE_FRAME) std::abort();
    if (resp.seq != req.seq) std::abort();
  }
  return 0;
}
