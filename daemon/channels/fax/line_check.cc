// CheckLine: the contact watch's check of the fax line. Dialling with a
// trailing ';' (V.250 6.3.1) makes the modem go off-hook, wait for dial tone
// and return to command mode without calling anyone: OK means the line has
// dial tone, NO DIALTONE that it is dead. X4 enables the dial tone detection.
#include "daemon/channels/fax/class1_modem.h"
#include "daemon/channels/fax/fax.h"
#include "daemon/channels/fax/serial_port.h"

namespace lifeline::fax {

Result<LineCheck> CheckLine(const std::string& device, std::chrono::seconds timeout) {
  auto port = PosixSerialPort::Open(device);
  if (!port.ok()) return LineCheck{false, port.status().message()};
  Class1Modem modem(**port, false);
  using std::chrono::milliseconds;
  for (const char* init : {"ATZ", "ATE0"}) {
    auto r = modem.Command(init, milliseconds(3000));
    if (!r.ok() || *r != ModemReply::kOk) return LineCheck{false, std::string("modem does not answer ") + init};
  }
  modem.Command("ATX4", milliseconds(3000)).status().IgnoreError();  // some modems detect dial tone without it
  std::string literal;
  auto dial = modem.Command("ATDT;", std::chrono::duration_cast<milliseconds>(timeout), false, &literal);
  modem.Command("ATH0", milliseconds(3000)).status().IgnoreError();
  if (!dial.ok()) return LineCheck{false, "dial tone check: " + dial.status().message()};
  if (*dial == ModemReply::kOk) return LineCheck{true, "dial tone"};
  return LineCheck{false, literal.empty() ? std::string(ModemReplyName(*dial)) : literal};
}

}  // namespace lifeline::fax
