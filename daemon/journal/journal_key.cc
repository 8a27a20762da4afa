#include <fcntl.h>
#include <mbedtls/md.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <algorithm>
#include <filesystem>

#include "daemon/journal/journal.h"

namespace lifeline {
namespace {

Status Errno(const std::string& what) { return IoError(what + ": " + std::strerror(errno)); }

Status SyncDir(const std::string& file) {
  std::string dir = std::filesystem::path(file).parent_path().string();
  int fd = open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY);
  if (fd < 0) return Errno("open " + dir);
  int rc = fsync(fd);
  close(fd);
  return rc == 0 ? Status::Ok() : Errno("fsync " + dir);
}

}  // namespace

Result<JournalKey> JournalKey::Load(const std::string& path) {
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return errno == ENOENT ? NotFound("no journal key at " + path) : Errno("open " + path);
  struct stat st {};
  JournalKey k;
  uint8_t buf[33];  // one byte more than a key, to notice a longer file
  ssize_t n = -1;
  if (fstat(fd, &st) == 0) n = read(fd, buf, sizeof buf);
  close(fd);
  if ((st.st_mode & 077) != 0) {
    return Status(StatusCode::kPermissionDenied,
                  "journal key " + path + " is readable by others; it must have mode 0600");
  }
  if (n != static_cast<ssize_t>(k.key_.size())) {
    return Corruption("journal key " + path + " is not 32 bytes long");
  }
  std::copy(buf, buf + k.key_.size(), k.key_.begin());
  return k;
}

Result<JournalKey> JournalKey::LoadOrCreate(const std::string& path) {
  auto existing = Load(path);
  if (existing.ok() || existing.status().code() != StatusCode::kNotFound) return existing;
  JournalKey k;
  if (getrandom(k.key_.data(), k.key_.size(), 0) != static_cast<ssize_t>(k.key_.size())) {
    return Errno("getrandom");
  }
  std::string tmp = path + ".new";
  int fd = open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return Errno("create " + tmp);
  bool ok = write(fd, k.key_.data(), k.key_.size()) == static_cast<ssize_t>(k.key_.size()) &&
            fsync(fd) == 0;
  close(fd);
  // Rename makes the key appear whole or not at all, even across a crash.
  if (!ok || rename(tmp.c_str(), path.c_str()) != 0) return Errno("write " + path);
  LIFELINE_RETURN_IF_ERROR(SyncDir(path));
  return k;
}

Mac JournalKey::Sign(const std::vector<uint8_t>& message) const {
  Mac out{};
  mbedtls_md_hmac(mbedtls_md_info_from_type(MBEDTLS_MD_SHA256), key_.data(), key_.size(),
                  message.data(), message.size(), out.data());
  return out;
}

std::string HexMac(const Mac& mac) {
  static const char* kHex = "0123456789abcdef";
  std::string s;
  for (uint8_t b : mac) {
    s += kHex[b >> 4];
    s += kHex[b & 15];
  }
  return s;
}

}  // namespace lifeline
