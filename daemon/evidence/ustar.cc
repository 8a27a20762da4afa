#include "daemon/evidence/ustar.h"

#include <algorithm>
#include <cstring>

namespace lifeline::evidence {
namespace {

constexpr size_t kBlock = 512;
// The largest member the reader accepts: fax pages and journals are far
// smaller, and a forged size field cannot make it allocate more.
constexpr uint64_t kMaxMemberBytes = uint64_t{1} << 32;

// Offsets of the ustar header fields (POSIX pax, "ustar Interchange Format").
struct Field {
  size_t at, len;
};
constexpr Field kName{0, 100}, kMode{100, 8}, kUid{108, 8}, kGid{116, 8}, kSize{124, 12},
    kMtime{136, 12}, kChksum{148, 8}, kType{156, 1}, kMagic{257, 6}, kVersion{263, 2},
    kUname{265, 32}, kGname{297, 32}, kPrefix{345, 155};

void PutOctal(char* h, Field f, uint64_t value) {
  // len-1 octal digits, zero-padded, then NUL.
  for (size_t i = f.len - 1; i-- > 0; value >>= 3) h[f.at + i] = static_cast<char>('0' + (value & 7));
  h[f.at + f.len - 1] = '\0';
}

void PutString(char* h, Field f, std::string_view s) { std::memcpy(h + f.at, s.data(), std::min(s.size(), f.len)); }

unsigned Checksum(const char* h) {
  unsigned sum = 0;
  for (size_t i = 0; i < kBlock; ++i) {
    bool in_field = i >= kChksum.at && i < kChksum.at + kChksum.len;
    sum += in_field ? ' ' : static_cast<unsigned char>(h[i]);
  }
  return sum;
}

// Where to split `name` into prefix and name, or npos when it fits whole.
size_t SplitAt(std::string_view name) {
  if (name.size() <= kName.len) return std::string_view::npos;
  for (size_t i = std::min(name.size() - 1, kPrefix.len); i > 0; --i) {
    if (name[i] == '/' && name.size() - i - 1 <= kName.len && name.size() - i - 1 > 0) return i;
  }
  return 0;  // does not fit; FitsUstar says so
}

std::string Header(const TarMember& m, int64_t mtime) {
  std::string block(kBlock, '\0');
  char* h = block.data();
  size_t split = SplitAt(m.name);
  if (split == std::string_view::npos) {
    PutString(h, kName, m.name);
  } else {
    PutString(h, kPrefix, std::string_view(m.name).substr(0, split));
    PutString(h, kName, std::string_view(m.name).substr(split + 1));
  }
  PutOctal(h, kMode, 0644);
  PutOctal(h, kUid, 0);
  PutOctal(h, kGid, 0);
  PutOctal(h, kSize, m.data.size());
  PutOctal(h, kMtime, static_cast<uint64_t>(std::max<int64_t>(0, mtime)));
  h[kType.at] = '0';
  PutString(h, kMagic, std::string_view("ustar\0", 6));
  PutString(h, kVersion, "00");
  PutString(h, kUname, "lifeline");
  PutString(h, kGname, "lifeline");
  // The checksum field: six octal digits, NUL, space (as POSIX and GNU tar write it).
  unsigned sum = Checksum(h);
  for (int i = 5; i >= 0; --i, sum >>= 3) h[kChksum.at + i] = static_cast<char>('0' + (sum & 7));
  h[kChksum.at + 6] = '\0';
  h[kChksum.at + 7] = ' ';
  return block;
}

Status Bad(size_t offset, const std::string& what) {
  return Corruption("archive byte " + std::to_string(offset) + ": " + what);
}

// An octal field exactly as the writer (and GNU tar, and python's tarfile)
// puts it: `digits` octal digits, then NUL. One spelling only, so that no byte
// of a header can change without the archive being refused.
bool ReadOctal(const char* h, size_t at, size_t digits, uint64_t* out) {
  uint64_t v = 0;
  for (size_t i = 0; i < digits; ++i) {
    char c = h[at + i];
    if (c < '0' || c > '7') return false;
    v = (v << 3) | static_cast<uint64_t>(c - '0');  // at most 11 digits: no overflow
  }
  if (h[at + digits] != '\0') return false;
  *out = v;
  return true;
}

bool ReadOctal(const char* h, Field f, uint64_t* out) { return ReadOctal(h, f.at, f.len - 1, out); }

// A NUL-padded text field: its text, and whether everything after it is NUL.
bool ReadText(const char* h, Field f, std::string* out) {
  const char* begin = h + f.at;
  const char* end = std::find(begin, begin + f.len, '\0');
  *out = std::string(begin, end);
  return std::all_of(end, begin + f.len, [](char c) { return c == '\0'; });
}

bool AllZero(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) { return c == '\0'; });
}

// Reads the header at `at`; sets *member's name and *size.
Status ReadHeader(std::string_view archive, size_t at, TarMember* member, uint64_t* size) {
  const char* h = archive.data() + at;
  uint64_t sum = 0, mode = 0, uid = 0, gid = 0, mtime = 0;
  // The checksum: six digits, NUL, space.
  if (!ReadOctal(h, kChksum.at, 6, &sum) || h[kChksum.at + 7] != ' ' || sum != Checksum(h)) {
    return Bad(at, "header checksum does not match");
  }
  if (std::memcmp(h + kMagic.at, "ustar\0" "00", 8) != 0) return Bad(at, "not a ustar header");
  if (h[kType.at] != '0' && h[kType.at] != '\0') return Bad(at, "member is not a regular file");
  if (!ReadOctal(h, kSize, size) || *size > kMaxMemberBytes) return Bad(at, "bad size field");
  if (!ReadOctal(h, kMode, &mode) || !ReadOctal(h, kUid, &uid) || !ReadOctal(h, kGid, &gid) ||
      !ReadOctal(h, kMtime, &mtime)) {
    return Bad(at, "bad numeric field");
  }
  std::string name, prefix, ignored;
  if (!ReadText(h, kName, &name) || !ReadText(h, kPrefix, &prefix) || !ReadText(h, kUname, &ignored) ||
      !ReadText(h, kGname, &ignored)) {
    return Bad(at, "text field not NUL-padded");
  }
  // Link name and device numbers are unused for regular files; the bytes
  // after the prefix are padding.
  if (!AllZero(archive.substr(at + 157, 100)) || !AllZero(archive.substr(at + 500, 12))) {
    return Bad(at, "unused header bytes are not zero");
  }
  if (name.empty()) return Bad(at, "member without a name");
  member->name = prefix.empty() ? name : prefix + "/" + name;
  return Status::Ok();
}

}  // namespace

bool FitsUstar(std::string_view name) {
  return !name.empty() && name.size() <= kPrefix.len + 1 + kName.len && SplitAt(name) != 0;
}

std::string WriteUstar(const std::vector<TarMember>& members, int64_t mtime_seconds) {
  std::string out;
  for (const auto& m : members) {
    out += Header(m, mtime_seconds);
    out += m.data;
    out.append((kBlock - m.data.size() % kBlock) % kBlock, '\0');
  }
  out.append(2 * kBlock, '\0');
  return out;
}

Result<std::vector<TarMember>> ReadUstar(std::string_view archive) {
  std::vector<TarMember> members;
  size_t at = 0;
  for (;;) {
    if (archive.size() - at < kBlock) return Bad(at, "archive is truncated (no end-of-archive blocks)");
    if (AllZero(archive.substr(at, kBlock))) break;
    TarMember m;
    uint64_t size = 0;
    LIFELINE_RETURN_IF_ERROR(ReadHeader(archive, at, &m, &size));
    uint64_t padded = (size + kBlock - 1) / kBlock * kBlock;
    if (archive.size() - at - kBlock < padded) return Bad(at, "archive is truncated inside " + m.name);
    m.data = std::string(archive.substr(at + kBlock, size));
    if (!AllZero(archive.substr(at + kBlock + size, padded - size))) {
      return Bad(at + kBlock + size, "padding after " + m.name + " is not zero");
    }
    at += kBlock + padded;
    members.push_back(std::move(m));
  }
  // The end: a second zero block, then nothing but zeros (record padding).
  if (archive.size() - at < 2 * kBlock) return Bad(at, "archive is truncated (one end-of-archive block)");
  if (!AllZero(archive.substr(at))) return Bad(at, "data after the end of the archive");
  if (archive.size() % kBlock != 0) return Bad(archive.size(), "archive is not a whole number of blocks");
  return members;
}

}  // namespace lifeline::evidence
