// BackupDatabase: SQLite's online backup API copying every page in one step,
// so the copy is one consistent snapshot (one read transaction on the
// source) while lifelined goes on writing; the WAL's committed frames are
// part of what it reads.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sqlite3.h>

#include "daemon/store/store.h"

namespace lifeline {

Status BackupDatabase(const std::string& db_path, const std::string& out_path) {
  struct stat st;
  if (stat(db_path.c_str(), &st) != 0) return NotFound("no database at " + db_path);
  if (lstat(out_path.c_str(), &st) == 0) return AlreadyExists(out_path + " exists; choose a new file");
  // The copy holds every report: owner only, from the first byte.
  int fd = open(out_path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) return IoError("cannot create " + out_path);
  close(fd);
  sqlite3* src = nullptr;
  sqlite3* dst = nullptr;
  auto fail = [&](const std::string& what, sqlite3* db) {
    Status s = IoError(what + ": " + (db ? sqlite3_errmsg(db) : "out of memory"));
    if (src) sqlite3_close(src);
    if (dst) sqlite3_close(dst);
    unlink(out_path.c_str());
    return s;
  };
  if (sqlite3_open_v2(db_path.c_str(), &src, SQLITE_OPEN_READWRITE, nullptr) != SQLITE_OK) {
    return fail("cannot open " + db_path, src);
  }
  sqlite3_busy_timeout(src, 5000);
  if (sqlite3_open_v2(out_path.c_str(), &dst, SQLITE_OPEN_READWRITE, nullptr) != SQLITE_OK) {
    return fail("cannot open " + out_path, dst);
  }
  sqlite3_backup* b = sqlite3_backup_init(dst, "main", src, "main");
  if (!b) return fail("cannot start the backup", dst);
  int rc = sqlite3_backup_step(b, -1);
  sqlite3_backup_finish(b);
  if (rc != SQLITE_DONE) return fail("backup of " + db_path + " failed", dst);
  // The copy is a single file: no WAL beside it.
  if (sqlite3_exec(dst, "PRAGMA journal_mode=DELETE", nullptr, nullptr, nullptr) != SQLITE_OK) {
    return fail("cannot finish " + out_path, dst);
  }
  sqlite3_close(dst);
  sqlite3_close(src);
  return Status::Ok();
}

}  // namespace lifeline
