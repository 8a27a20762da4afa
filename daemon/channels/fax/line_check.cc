// CheckLine: the contact watch's check of the fax line. Dialling with a
// trailing ';' (V.250 6.3.1) makes the modem go off-hook, wait for dial tone
// and return to command mode without calling anyone: OK means the line has
// dial tone, NO DIALTONE that it is dead. X4 enables the dial tone detection.
#include <map>
#include <memory>

#include "daemon/channels/fax/class1_modem.h"
#include "daemon/channels/fax/fax.h"
#include "daemon/channels/fax/serial_port.h"

namespace lifeline::fax {

std::mutex& DeviceMutex(const std::string& device) {
  static std::mutex guard;
  static std::map<std::string, std::unique_ptr<std::mutex>> by_device;
  std::lock_guard lock(guard);
  auto& m = by_device[device];
  if (!m) m = std::make_unique<std::mutex>();
  return *m;
}

Result<LineCheck> CheckLine(const std::string& device, std::chrono::seconds timeout) {
  std::unique_lock in_use(DeviceMutex(device), std::try_to_lock);
  if (!in_use.owns_lock()) return LineCheck{true, "in use by a fax call"};  // a call needs a working line
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
