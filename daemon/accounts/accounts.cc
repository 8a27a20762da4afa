#include "daemon/accounts/accounts.h"

#include <argon2.h>
#include <mbedtls/md.h>
#include <sys/mman.h>
#include <sys/random.h>

#include <asio/post.hpp>
#include <charconv>
#include <vector>

namespace lifeline {
namespace {

constexpr uint32_t kMemoryKiB = 19456;
constexpr uint32_t kPasses = 2;
constexpr uint32_t kLanes = 1;
constexpr size_t kSaltBytes = 16, kHashBytes = 32;

constexpr char kB64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
constexpr char kB64Url[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

// Base64 without padding, as PHC strings and URL-safe tokens write it.
std::string Base64(const uint8_t* data, size_t n, const char* alphabet) {
  std::string out;
  for (size_t i = 0; i < n; i += 3) {
    uint32_t v = uint32_t(data[i]) << 16 | (i + 1 < n ? uint32_t(data[i + 1]) << 8 : 0) | (i + 2 < n ? data[i + 2] : 0);
    out += alphabet[v >> 18 & 63];
    out += alphabet[v >> 12 & 63];
    if (i + 1 < n) out += alphabet[v >> 6 & 63];
    if (i + 2 < n) out += alphabet[v & 63];
  }
  return out;
}

std::optional<std::vector<uint8_t>> Unbase64(std::string_view s) {
  std::vector<uint8_t> out;
  uint32_t acc = 0;
  int bits = 0;
  for (char c : s) {
    const char* p = std::char_traits<char>::find(kB64, 64, c);
    if (!p) return std::nullopt;
    acc = acc << 6 | uint32_t(p - kB64);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<uint8_t>(acc >> bits & 0xFF));
    }
  }
  return out;
}

Status Random(uint8_t* out, size_t n) {
  for (size_t got = 0; got < n;) {
    ssize_t r = getrandom(out + got, n - got, 0);
    if (r <= 0) return IoError("getrandom failed");
    got += static_cast<size_t>(r);
  }
  return Status::Ok();
}

// argon2's 19 MiB of working memory comes straight from the kernel and goes
// straight back, so a login never leaves the allocator holding it.
int MapMemory(uint8_t** memory, size_t bytes) {
  void* p = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) return ARGON2_MEMORY_ALLOCATION_ERROR;
  *memory = static_cast<uint8_t*>(p);
  return ARGON2_OK;
}

void UnmapMemory(uint8_t* memory, size_t bytes) { munmap(memory, bytes); }

Result<std::vector<uint8_t>> Argon2id(std::string_view password, const std::vector<uint8_t>& salt, uint32_t m,
                                      uint32_t t, uint32_t p) {
  std::vector<uint8_t> out(kHashBytes);
  std::vector<uint8_t> pwd(password.begin(), password.end());  // argon2 may clear it: a copy
  argon2_context ctx{};
  ctx.out = out.data();
  ctx.outlen = static_cast<uint32_t>(out.size());
  ctx.pwd = pwd.data();
  ctx.pwdlen = static_cast<uint32_t>(pwd.size());
  ctx.salt = const_cast<uint8_t*>(salt.data());
  ctx.saltlen = static_cast<uint32_t>(salt.size());
  ctx.t_cost = t;
  ctx.m_cost = m;
  ctx.lanes = ctx.threads = p;
  ctx.version = ARGON2_VERSION_13;
  ctx.allocate_cbk = MapMemory;
  ctx.free_cbk = UnmapMemory;
  ctx.flags = ARGON2_FLAG_CLEAR_PASSWORD;
  int rc = argon2id_ctx(&ctx);
  if (rc != ARGON2_OK) return Internal(std::string("argon2id: ") + argon2_error_message(rc));
  return out;
}

// "$argon2id$v=19$m=19456,t=2,p=1$<salt>$<hash>" into its parts.
struct Phc {
  uint32_t m = 0, t = 0, p = 0;
  std::vector<uint8_t> salt, hash;
};

std::optional<uint32_t> Param(std::string_view s, std::string_view name) {
  if (s.substr(0, name.size()) != name) return std::nullopt;
  uint32_t v = 0;
  auto [end, ec] = std::from_chars(s.data() + name.size(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
  return v;
}

std::optional<Phc> ParsePhc(std::string_view s) {
  std::vector<std::string_view> parts;
  while (!s.empty()) {
    size_t d = s.find('$', 1);
    parts.push_back(s.substr(1, d == std::string_view::npos ? s.npos : d - 1));
    s = d == std::string_view::npos ? std::string_view() : s.substr(d);
  }
  if (parts.size() != 5 || parts[0] != "argon2id" || parts[1] != "v=19") return std::nullopt;
  std::string_view params = parts[2];
  size_t c1 = params.find(','), c2 = params.rfind(',');
  if (c1 == std::string_view::npos || c1 == c2) return std::nullopt;
  auto m = Param(params.substr(0, c1), "m="), t = Param(params.substr(c1 + 1, c2 - c1 - 1), "t=");
  auto p = Param(params.substr(c2 + 1), "p=");
  auto salt = Unbase64(parts[3]), hash = Unbase64(parts[4]);
  if (!m || !t || !p || !salt || !hash || hash->empty()) return std::nullopt;
  // Bounds, so a stored string cannot make a login take minutes or gigabytes.
  if (*m < 8 || *m > 262144 || *t < 1 || *t > 16 || *p != 1 || salt->size() < 8) return std::nullopt;
  return Phc{*m, *t, *p, std::move(*salt), std::move(*hash)};
}

}  // namespace

std::string_view RoleName(Role r) {
  switch (r) {
    case Role::kOperator: return "operator";
    case Role::kSupervisor: return "supervisor";
    case Role::kCiso: return "ciso";
    case Role::kAuditor: return "auditor";
    case Role::kAdmin: return "admin";
  }
  return "auditor";
}

std::optional<Role> ParseRole(std::string_view name) {
  for (Role r : {Role::kOperator, Role::kSupervisor, Role::kCiso, Role::kAuditor}) {
    if (RoleName(r) == name) return r;
  }
  return std::nullopt;
}

bool CanRead(Role) { return true; }
bool CanOperate(Role r) { return r != Role::kAuditor; }
bool CanSignAsSupervisor(Role r) { return r == Role::kSupervisor || r == Role::kCiso || r == Role::kAdmin; }
bool CanApproveAndSignAsCiso(Role r) { return r == Role::kCiso || r == Role::kAdmin; }
bool CanAdminister(Role r) { return r == Role::kAdmin; }

Status CheckPasswordPolicy(std::string_view password) {
  if (password.size() < 10) return InvalidArgument("密碼至少 10 個字元 — the password needs at least 10 characters");
  if (password.size() > 256) return InvalidArgument("密碼至多 256 位元組 — the password is longer than 256 bytes");
  for (unsigned char c : password) {
    if (c < 0x20 || c == 0x7F) return InvalidArgument("密碼不可含控制字元 — the password contains a control character");
  }
  return Status::Ok();
}

Result<std::string> HashPassword(std::string_view password) {
  std::vector<uint8_t> salt(kSaltBytes);
  LIFELINE_RETURN_IF_ERROR(Random(salt.data(), salt.size()));
  auto hash = Argon2id(password, salt, kMemoryKiB, kPasses, kLanes);
  if (!hash.ok()) return hash.status();
  return "$argon2id$v=19$m=" + std::to_string(kMemoryKiB) + ",t=" + std::to_string(kPasses) +
         ",p=" + std::to_string(kLanes) + "$" + Base64(salt.data(), salt.size(), kB64) + "$" +
         Base64(hash->data(), hash->size(), kB64);
}

Result<bool> VerifyPassword(std::string_view password, std::string_view phc) {
  auto parsed = ParsePhc(phc);
  if (!parsed) return InvalidArgument("not an argon2id PHC string this box writes");
  auto hash = Argon2id(password, parsed->salt, parsed->m, parsed->t, parsed->p);
  if (!hash.ok()) return hash.status();
  if (hash->size() != parsed->hash.size()) return false;
  uint8_t diff = 0;  // every byte compared: the time says nothing of where they differ
  for (size_t i = 0; i < hash->size(); ++i) diff |= (*hash)[i] ^ parsed->hash[i];
  return diff == 0;
}

Result<std::string> NewSecret(size_t bytes) {
  std::vector<uint8_t> raw(bytes);
  LIFELINE_RETURN_IF_ERROR(Random(raw.data(), raw.size()));
  return Base64(raw.data(), raw.size(), kB64Url);
}

std::string Sha256Hex(std::string_view data) {
  unsigned char digest[32];
  mbedtls_md(mbedtls_md_info_from_type(MBEDTLS_MD_SHA256), reinterpret_cast<const unsigned char*>(data.data()),
             data.size(), digest);
  static const char* kHex = "0123456789abcdef";
  std::string out;
  for (unsigned char b : digest) {
    out += kHex[b >> 4];
    out += kHex[b & 15];
  }
  return out;
}

HashWorker::HashWorker(asio::io_context& io, size_t max_queue)
    : io_(io), max_queue_(max_queue), thread_([this] { Loop(); }) {}

HashWorker::~HashWorker() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
    queue_.clear();
  }
  cv_.notify_one();
  thread_.join();
}

void HashWorker::Enqueue(std::function<void()> job, std::function<void()> refused) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (queue_.size() < max_queue_ && !stopping_) {
      queue_.push_back(std::move(job));
      cv_.notify_one();
      return;
    }
  }
  asio::post(io_, std::move(refused));
}

void HashWorker::Hash(std::string password, std::function<void(Result<std::string>)> done) {
  Enqueue(
      [this, password = std::move(password), done] {
        auto r = HashPassword(password);
        asio::post(io_, [done, r = std::move(r)]() mutable { done(std::move(r)); });
      },
      [done] { done(ResourceExhausted("too many password operations waiting; try again")); });
}

void HashWorker::Verify(std::string password, std::string phc, std::function<void(Result<bool>)> done) {
  Enqueue(
      [this, password = std::move(password), phc = std::move(phc), done] {
        auto r = VerifyPassword(password, phc);
        asio::post(io_, [done, r = std::move(r)]() mutable { done(std::move(r)); });
      },
      [done] { done(ResourceExhausted("too many password operations waiting; try again")); });
}

void HashWorker::Loop() {
  for (;;) {
    std::function<void()> job;
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (stopping_) return;
      job = std::move(queue_.front());
      queue_.pop_front();
    }
    job();
  }
}

}  // namespace lifeline
