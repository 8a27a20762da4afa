// `lifeline backup` and `lifeline restore`: the state directory in one ustar
// archive (mode 0600: it holds the journal key and every report). The
// database is copied with SQLite's online backup while lifelined runs; the
// copy's journal is verified with the key before the archive is written, and
// again after a restore.
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <ctime>
#include <filesystem>
#include <fstream>
#include <iostream>

#include "daemon/evidence/evidence.h"
#include "daemon/journal/journal.h"
#include "daemon/store/store.h"
#include "tools/lifeline/commands.h"

namespace lifeline::cli {
namespace {

namespace fs = std::filesystem;

// What a backup holds besides the database: the keys that make its journal
// verifiable and the box's identity (evidence signing key, console certificate).
constexpr const char* kStateFiles[] = {"journal.key", "evidence-key.pem", "console-cert.pem", "console-key.pem"};
constexpr const char* kManifest = "lifeline-backup.json";

Status WriteFile0600(const std::string& path, const std::string& data) {
  const std::string tmp = path + ".tmp";
  int fd = open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return IoError("cannot create " + tmp);
  size_t done = 0;
  while (done < data.size()) {
    ssize_t n = write(fd, data.data() + done, data.size() - done);
    if (n <= 0) {
      close(fd);
      unlink(tmp.c_str());
      return IoError("cannot write " + tmp);
    }
    done += static_cast<size_t>(n);
  }
  if (fsync(fd) != 0 || close(fd) != 0) return IoError("cannot sync " + tmp);
  if (rename(tmp.c_str(), path.c_str()) != 0) return IoError("cannot rename " + tmp + " to " + path);
  return Status::Ok();
}

// The journal of the database at `db_path`, checked with the key in `key_path`.
Result<JournalVerdict> VerifyCopy(const std::string& db_path, const std::string& key_path) {
  auto key = JournalKey::Load(key_path);
  if (!key.ok()) return key.status();
  auto db = sql::Db::Open(db_path, {});
  if (!db.ok()) return db.status();
  return VerifyJournal(**db, *key);
}

// Held while lifelined runs (main.cc LockStateDir): a restore under it would
// replace the database under the daemon.
bool DaemonRuns(const std::string& state_dir) {
  int fd = open((state_dir + "/lifelined.lock").c_str(), O_RDWR | O_CLOEXEC);
  if (fd < 0) return false;
  bool held = flock(fd, LOCK_EX | LOCK_NB) != 0;
  close(fd);
  return held;
}

}  // namespace

int Backup(const Context& ctx, const std::string& out) {
  auto config = LoadCliConfig(ctx);
  if (!config.ok()) return EnvError(config.status());
  const std::string dir = config->state_dir;
  // An earlier backup is never replaced: the operator names a new file.
  struct stat existing{};
  if (lstat(out.c_str(), &existing) == 0) return EnvError(AlreadyExists("--out " + out + " exists; choose a new file"));
  const std::string copy = out + ".db.tmp";
  unlink(copy.c_str());
  Status s = BackupDatabase(dir + "/lifeline.db", copy);
  if (!s.ok()) return EnvError(s);
  auto verdict = VerifyCopy(copy, dir + "/journal.key");
  auto db_bytes = ReadFile(copy);
  unlink(copy.c_str());
  if (!verdict.ok()) return EnvError(verdict.status());
  if (!db_bytes.ok()) return EnvError(db_bytes.status());
  if (!verdict->ok) {
    std::cout << "BAD: the copy's journal does not verify: entry #" << verdict->first_bad << ": " << verdict->reason
              << "\n  no backup written\n";
    return 1;
  }
  std::vector<evidence::TarMember> members;
  nlohmann::json files = nlohmann::json::array({"lifeline.db"});
  members.push_back({"lifeline.db", std::move(*db_bytes)});
  for (const char* name : kStateFiles) {
    auto bytes = ReadFile(dir + "/" + name);
    if (!bytes.ok()) continue;  // not made yet (no console, no evidence key)
    files.push_back(name);
    members.push_back({name, std::move(*bytes)});
  }
  const int64_t now = static_cast<int64_t>(std::time(nullptr));
  nlohmann::json manifest = {{"format", "lifeline-backup/1"},   {"created_unix", now},
                             {"state_dir", dir},                {"journal_entries", verdict->entries},
                             {"schema_version", kStoreSchemaVersion}, {"files", files}};
  members.insert(members.begin(), {kManifest, manifest.dump(2) + "\n"});
  s = WriteFile0600(out, evidence::WriteUstar(members, now));
  if (!s.ok()) return EnvError(s);
  std::cout << "backup written: " << out << " (mode 0600: it holds the journal key)\n"
            << "  " << verdict->entries << " journal entries verify in the copy; files:";
  for (const auto& f : files) std::cout << " " << f.get<std::string>();
  std::cout << "\n";
  return 0;
}

int Restore(const Context& ctx, const std::string& file, bool replace) {
  auto config = LoadCliConfig(ctx);
  if (!config.ok()) return EnvError(config.status());
  const std::string dir = config->state_dir;
  auto bytes = ReadFile(file);
  if (!bytes.ok()) return EnvError(bytes.status());
  auto members = evidence::ReadUstar(*bytes);
  if (!members.ok()) return EnvError(members.status());
  if (members->empty() || (*members)[0].name != kManifest) {
    return EnvError(InvalidArgument(file + " is not a lifeline backup (no " + std::string(kManifest) + ")"));
  }
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (DaemonRuns(dir)) return EnvError(FailedPrecondition("lifelined is running on " + dir + ": stop it first"));
  if (fs::exists(dir + "/lifeline.db") && !replace) {
    return EnvError(AlreadyExists(dir + " already has a database; --replace moves it aside (*.before-restore)"));
  }
  struct stat owner{};
  const bool chown_to_dir = geteuid() == 0 && stat(dir.c_str(), &owner) == 0;
  for (const char* extra : {"lifeline.db", "lifeline.db-wal", "lifeline.db-shm"}) {
    const std::string p = dir + "/" + extra;
    if (fs::exists(p)) fs::rename(p, p + ".before-restore", ec);
  }
  for (size_t i = 1; i < members->size(); ++i) {
    const auto& m = (*members)[i];
    if (m.name.find('/') != std::string::npos || m.name.rfind(".", 0) == 0) {
      return EnvError(InvalidArgument("unexpected member " + m.name + " in " + file));
    }
    const std::string path = dir + "/" + m.name;
    if (fs::exists(path)) fs::rename(path, path + ".before-restore", ec);
    Status s = WriteFile0600(path, m.data);
    if (!s.ok()) return EnvError(s);
    // Restored by root for the daemon's user: the files belong to whoever owns the state directory.
    if (chown_to_dir && chown(path.c_str(), owner.st_uid, owner.st_gid) != 0) {
      return EnvError(IoError("cannot give " + path + " to the state directory's owner"));
    }
  }
  auto verdict = VerifyCopy(dir + "/lifeline.db", dir + "/journal.key");
  if (!verdict.ok()) return EnvError(verdict.status());
  std::cout << "restored " << members->size() - 1 << " files into " << dir << "\n"
            << (verdict->ok ? "OK: " : "BAD: ") << verdict->entries << " journal entries verify"
            << (verdict->ok ? "" : " before entry #" + std::to_string(verdict->first_bad) + ": " + verdict->reason)
            << "\n";
  return verdict->ok ? 0 : 1;
}

}  // namespace lifeline::cli
