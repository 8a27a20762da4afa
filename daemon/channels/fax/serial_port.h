// SerialPort: the byte pipe to a modem. PosixSerialPort opens a tty (or a pty)
// raw, 8N1, non-blocking, and waits with poll(). Reads and writes take a
// deadline; nothing blocks forever. One owner, one thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "daemon/core/status.h"

namespace lifeline::fax {

using Deadline = std::chrono::steady_clock::time_point;

class SerialPort {
 public:
  virtual ~SerialPort() = default;
  // Reads what is available, waiting until `deadline` for at least one byte.
  // Returns 0 bytes on timeout; an error if the port is gone.
  virtual Result<size_t> Read(uint8_t* buf, size_t cap, Deadline deadline) = 0;
  // Writes all of `len` bytes, waiting for the modem's flow control up to `deadline`.
  virtual Status Write(const uint8_t* buf, size_t len, Deadline deadline) = 0;
  // Drops unread input (stale replies from a previous program).
  virtual void DiscardInput() = 0;
};

class PosixSerialPort final : public SerialPort {
 public:
  ~PosixSerialPort() override;
  static Result<std::unique_ptr<SerialPort>> Open(const std::string& device);

  Result<size_t> Read(uint8_t* buf, size_t cap, Deadline deadline) override;
  Status Write(const uint8_t* buf, size_t len, Deadline deadline) override;
  void DiscardInput() override;

 private:
  explicit PosixSerialPort(int fd) : fd_(fd) {}
  int fd_;
};

}  // namespace lifeline::fax
