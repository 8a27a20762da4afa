// POSIX tty access. RTS/CTS hardware flow control is requested because real
// Class 1 modems pace page data with it; on a pty the kernel buffer paces instead.
#include "daemon/channels/fax/serial_port.h"

#include <fcntl.h>
#include <poll.h>
#include <termios.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace lifeline::fax {
namespace {

int MillisUntil(Deadline d) {
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(d - std::chrono::steady_clock::now());
  return ms.count() < 0 ? 0 : static_cast<int>(std::min<long long>(ms.count(), 1 << 30));
}

}  // namespace

PosixSerialPort::~PosixSerialPort() { close(fd_); }

Result<std::unique_ptr<SerialPort>> PosixSerialPort::Open(const std::string& device) {
  int fd = open(device.c_str(), O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) return Unavailable("cannot open modem " + device + ": " + std::strerror(errno));
  termios tio;
  if (tcgetattr(fd, &tio) != 0) {
    close(fd);
    return InvalidArgument(device + " is not a serial port");
  }
  cfmakeraw(&tio);
  cfsetispeed(&tio, B115200);
  cfsetospeed(&tio, B115200);
  tio.c_cflag |= CLOCAL | CREAD | CRTSCTS;
  tio.c_cc[VMIN] = 0;
  tio.c_cc[VTIME] = 0;
  tcsetattr(fd, TCSANOW, &tio);
  tcflush(fd, TCIOFLUSH);
  return std::unique_ptr<SerialPort>(new PosixSerialPort(fd));
}

Result<size_t> PosixSerialPort::Read(uint8_t* buf, size_t cap, Deadline deadline) {
  for (;;) {
    ssize_t n = read(fd_, buf, cap);
    if (n > 0) return static_cast<size_t>(n);
    if (n < 0 && errno != EAGAIN && errno != EINTR) {
      return IoError(std::string("modem read: ") + std::strerror(errno));
    }
    pollfd p{fd_, POLLIN, 0};
    int r = poll(&p, 1, MillisUntil(deadline));
    if (r == 0) return size_t{0};
    if (r < 0 && errno != EINTR) return IoError(std::string("poll: ") + std::strerror(errno));
    if (p.revents & (POLLHUP | POLLERR)) return IoError("modem went away (hangup on serial port)");
  }
}

Status PosixSerialPort::Write(const uint8_t* buf, size_t len, Deadline deadline) {
  while (len > 0) {
    ssize_t n = write(fd_, buf, len);
    if (n > 0) {
      buf += n;
      len -= static_cast<size_t>(n);
      continue;
    }
    if (n < 0 && errno != EAGAIN && errno != EINTR) {
      return IoError(std::string("modem write: ") + std::strerror(errno));
    }
    pollfd p{fd_, POLLOUT, 0};
    int r = poll(&p, 1, MillisUntil(deadline));
    if (r == 0) return Status(StatusCode::kDeadlineExceeded, "modem did not accept data in time");
    if (r < 0 && errno != EINTR) return IoError(std::string("poll: ") + std::strerror(errno));
  }
  return Status::Ok();
}

void PosixSerialPort::DiscardInput() { tcflush(fd_, TCIFLUSH); }

}  // namespace lifeline::fax
