// A SQLite VFS shim for fault tests, in the manner of SQLite's own
// test_syscall/faultsim: it wraps the default VFS and makes the Nth write or
// sync fail (once, or from then on), as an I/O error or as a full disk.
// Register once, then open databases with vfs name "faultsim".
#pragma once

namespace lifeline::faultsim {

enum class Target { kWrite, kSync, kWriteOrSync };
enum class Error { kIoError, kDiskFull };

void Register();
// The `nth` matching call from now fails; with `persistent`, every later one too.
void Arm(int nth, Target target, Error error, bool persistent);
void Disarm();
// Whether any call failed since the last Arm.
bool Injected();

}  // namespace lifeline::faultsim
