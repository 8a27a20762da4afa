#include "tests/fault/store/faultsim_vfs.h"

#include <sqlite3.h>

#include <atomic>
#include <cstring>

namespace lifeline::faultsim {
namespace {

std::atomic<int> countdown{0};  // 0: disarmed
std::atomic<bool> persistent{false}, injected{false}, failing{false};
std::atomic<Target> target{Target::kWriteOrSync};
std::atomic<Error> error{Error::kIoError};

sqlite3_vfs* real_vfs = nullptr;
sqlite3_vfs shim_vfs;

struct ShimFile {
  sqlite3_file base;
  sqlite3_file* real;  // follows this struct in the same allocation
};

sqlite3_file* Real(sqlite3_file* f) { return reinterpret_cast<ShimFile*>(f)->real; }

bool ShouldFail(Target what) {
  if (target != Target::kWriteOrSync && target != what) return false;
  if (failing) return true;
  if (countdown <= 0) return false;
  if (--countdown == 0) {
    injected = true;
    if (persistent) failing = true;
    return true;
  }
  return false;
}

int WriteError() { return error == Error::kDiskFull ? SQLITE_FULL : SQLITE_IOERR_WRITE; }

int Close(sqlite3_file* f) { return Real(f)->pMethods->xClose(Real(f)); }
int Read(sqlite3_file* f, void* b, int n, sqlite3_int64 o) { return Real(f)->pMethods->xRead(Real(f), b, n, o); }
int Write(sqlite3_file* f, const void* b, int n, sqlite3_int64 o) {
  if (ShouldFail(Target::kWrite)) return WriteError();
  return Real(f)->pMethods->xWrite(Real(f), b, n, o);
}
int Truncate(sqlite3_file* f, sqlite3_int64 s) { return Real(f)->pMethods->xTruncate(Real(f), s); }
int Sync(sqlite3_file* f, int flags) {
  if (ShouldFail(Target::kSync)) return SQLITE_IOERR_FSYNC;
  return Real(f)->pMethods->xSync(Real(f), flags);
}
int FileSize(sqlite3_file* f, sqlite3_int64* s) { return Real(f)->pMethods->xFileSize(Real(f), s); }
int Lock(sqlite3_file* f, int l) { return Real(f)->pMethods->xLock(Real(f), l); }
int Unlock(sqlite3_file* f, int l) { return Real(f)->pMethods->xUnlock(Real(f), l); }
int CheckLock(sqlite3_file* f, int* r) { return Real(f)->pMethods->xCheckReservedLock(Real(f), r); }
int FileControl(sqlite3_file* f, int op, void* a) { return Real(f)->pMethods->xFileControl(Real(f), op, a); }
int SectorSize(sqlite3_file* f) { return Real(f)->pMethods->xSectorSize(Real(f)); }
int DeviceChars(sqlite3_file* f) { return Real(f)->pMethods->xDeviceCharacteristics(Real(f)); }
int ShmMap(sqlite3_file* f, int i, int sz, int e, void volatile** p) {
  return Real(f)->pMethods->xShmMap(Real(f), i, sz, e, p);
}
int ShmLock(sqlite3_file* f, int o, int n, int fl) { return Real(f)->pMethods->xShmLock(Real(f), o, n, fl); }
void ShmBarrier(sqlite3_file* f) { Real(f)->pMethods->xShmBarrier(Real(f)); }
int ShmUnmap(sqlite3_file* f, int d) { return Real(f)->pMethods->xShmUnmap(Real(f), d); }
int Fetch(sqlite3_file* f, sqlite3_int64 o, int n, void** p) { return Real(f)->pMethods->xFetch(Real(f), o, n, p); }
int Unfetch(sqlite3_file* f, sqlite3_int64 o, void* p) { return Real(f)->pMethods->xUnfetch(Real(f), o, p); }

const sqlite3_io_methods kMethods = {3, Close, Read, Write, Truncate, Sync, FileSize, Lock, Unlock,
                                     CheckLock, FileControl, SectorSize, DeviceChars, ShmMap, ShmLock,
                                     ShmBarrier, ShmUnmap, Fetch, Unfetch};

int Open(sqlite3_vfs*, const char* name, sqlite3_file* f, int flags, int* out_flags) {
  auto* shim = reinterpret_cast<ShimFile*>(f);
  shim->real = reinterpret_cast<sqlite3_file*>(shim + 1);
  int rc = real_vfs->xOpen(real_vfs, name, shim->real, flags, out_flags);
  shim->base.pMethods = rc == SQLITE_OK && shim->real->pMethods ? &kMethods : nullptr;
  return rc;
}

int Delete(sqlite3_vfs*, const char* n, int s) { return real_vfs->xDelete(real_vfs, n, s); }
int Access(sqlite3_vfs*, const char* n, int f, int* r) { return real_vfs->xAccess(real_vfs, n, f, r); }
int FullPath(sqlite3_vfs*, const char* n, int sz, char* out) { return real_vfs->xFullPathname(real_vfs, n, sz, out); }
void* DlOpen(sqlite3_vfs*, const char* n) { return real_vfs->xDlOpen(real_vfs, n); }
void DlError(sqlite3_vfs*, int n, char* m) { real_vfs->xDlError(real_vfs, n, m); }
void (*DlSym(sqlite3_vfs*, void* h, const char* s))(void) { return real_vfs->xDlSym(real_vfs, h, s); }
void DlClose(sqlite3_vfs*, void* h) { real_vfs->xDlClose(real_vfs, h); }
int Randomness(sqlite3_vfs*, int n, char* out) { return real_vfs->xRandomness(real_vfs, n, out); }
int Sleep(sqlite3_vfs*, int us) { return real_vfs->xSleep(real_vfs, us); }
int CurrentTime(sqlite3_vfs*, double* t) { return real_vfs->xCurrentTime(real_vfs, t); }
int LastError(sqlite3_vfs*, int n, char* m) { return real_vfs->xGetLastError(real_vfs, n, m); }
int CurrentTime64(sqlite3_vfs*, sqlite3_int64* t) { return real_vfs->xCurrentTimeInt64(real_vfs, t); }

}  // namespace

void Register() {
  if (real_vfs) return;
  real_vfs = sqlite3_vfs_find(nullptr);
  std::memset(&shim_vfs, 0, sizeof shim_vfs);
  shim_vfs.iVersion = 2;
  shim_vfs.szOsFile = static_cast<int>(sizeof(ShimFile)) + real_vfs->szOsFile;
  shim_vfs.mxPathname = real_vfs->mxPathname;
  shim_vfs.zName = "faultsim";
  shim_vfs.xOpen = Open;
  shim_vfs.xDelete = Delete;
  shim_vfs.xAccess = Access;
  shim_vfs.xFullPathname = FullPath;
  shim_vfs.xDlOpen = DlOpen;
  shim_vfs.xDlError = DlError;
  shim_vfs.xDlSym = DlSym;
  shim_vfs.xDlClose = DlClose;
  shim_vfs.xRandomness = Randomness;
  shim_vfs.xSleep = Sleep;
  shim_vfs.xCurrentTime = CurrentTime;
  shim_vfs.xGetLastError = LastError;
  shim_vfs.xCurrentTimeInt64 = CurrentTime64;
  sqlite3_vfs_register(&shim_vfs, 0);
}

void Arm(int nth, Target t, Error e, bool p) {
  target = t;
  error = e;
  persistent = p;
  failing = false;
  injected = false;
  countdown = nth;
}

void Disarm() {
  countdown = 0;
  failing = false;
}

bool Injected() { return injected; }

}  // namespace lifeline::faultsim
