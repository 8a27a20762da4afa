#include "daemon/evidence/device_key.h"

#include <fcntl.h>
#include <mbedtls/ecp.h>
#include <mbedtls/pk.h>
#include <mbedtls/platform_util.h>
#include <mbedtls/sha256.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace lifeline::evidence {

struct PublicKey::Handle {
  mbedtls_pk_context pk;
  Handle() { mbedtls_pk_init(&pk); }
  ~Handle() { mbedtls_pk_free(&pk); }
  Handle(const Handle&) = delete;
  Handle& operator=(const Handle&) = delete;
};

namespace {

using Handle = PublicKey::Handle;

// mbedTLS's random source: the kernel's.
int Random(void*, unsigned char* out, size_t n) {
  while (n > 0) {
    ssize_t got = getrandom(out, n, 0);
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) return MBEDTLS_ERR_ECP_RANDOM_FAILED;
    out += got;
    n -= static_cast<size_t>(got);
  }
  return 0;
}

std::string MbedError(int rc) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "mbedTLS error -0x%04x", static_cast<unsigned>(-rc));
  return buf;
}

std::string Hex(const unsigned char* p, size_t n) {
  static const char* kHex = "0123456789abcdef";
  std::string s;
  for (size_t i = 0; i < n; ++i) {
    s += kHex[p[i] >> 4];
    s += kHex[p[i] & 15];
  }
  return s;
}

bool IsP256(const mbedtls_pk_context& pk) {
  return mbedtls_pk_get_type(&pk) == MBEDTLS_PK_ECKEY &&
         mbedtls_pk_ec(pk)->grp.id == MBEDTLS_ECP_DP_SECP256R1;
}

// mbedTLS parses PEM only with its terminating NUL counted.
std::string WithNul(std::string_view pem) { return std::string(pem) + '\0'; }

Result<std::unique_ptr<Handle>> PublicOf(const mbedtls_pk_context& priv) {
  unsigned char der[256];
  int n = mbedtls_pk_write_pubkey_der(const_cast<mbedtls_pk_context*>(&priv), der, sizeof der);
  if (n <= 0) return Internal("cannot export the public key: " + MbedError(n));
  auto h = std::make_unique<Handle>();
  int rc = mbedtls_pk_parse_public_key(&h->pk, der + sizeof der - n, static_cast<size_t>(n));
  if (rc != 0) return Internal("cannot re-read the public key: " + MbedError(rc));
  return h;
}

Status Errno(const std::string& what) { return IoError(what + ": " + std::strerror(errno)); }

// Writes `text` to `path` as 0600, via a temporary file renamed into place
// and a directory fsync, so the key exists whole or not at all.
Status WriteKeyFile(const std::string& path, const std::string& text) {
  std::string tmp = path + ".new";
  int fd = open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return Errno("create " + tmp);
  bool ok = write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()) && fsync(fd) == 0;
  close(fd);
  if (!ok || rename(tmp.c_str(), path.c_str()) != 0) return Errno("write " + path);
  std::string dir = std::filesystem::path(path).parent_path().string();
  int dfd = open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd < 0) return Errno("open " + dir);
  int rc = fsync(dfd);
  close(dfd);
  return rc == 0 ? Status::Ok() : Errno("fsync " + dir);
}

}  // namespace

std::string Sha256Hex(std::string_view bytes) {
  unsigned char out[32];
  mbedtls_sha256_ret(reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size(), out, 0);
  return Hex(out, sizeof out);
}

PublicKey::PublicKey(std::unique_ptr<Handle> h) : h_(std::move(h)) {}
PublicKey::PublicKey(PublicKey&&) noexcept = default;
PublicKey& PublicKey::operator=(PublicKey&&) noexcept = default;
PublicKey::~PublicKey() = default;

Result<PublicKey> PublicKey::FromPem(std::string_view pem) {
  auto h = std::make_unique<Handle>();
  std::string text = WithNul(pem);
  int rc = mbedtls_pk_parse_public_key(&h->pk, reinterpret_cast<const unsigned char*>(text.data()), text.size());
  if (rc != 0) return InvalidArgument("not a PEM public key (" + MbedError(rc) + ")");
  if (!IsP256(h->pk)) return InvalidArgument("not an ECDSA P-256 public key");
  return PublicKey(std::move(h));
}

Status PublicKey::Verify(std::string_view message, std::string_view signature) const {
  unsigned char hash[32];
  mbedtls_sha256_ret(reinterpret_cast<const unsigned char*>(message.data()), message.size(), hash, 0);
  int rc = mbedtls_pk_verify(&h_->pk, MBEDTLS_MD_SHA256, hash, sizeof hash,
                             reinterpret_cast<const unsigned char*>(signature.data()), signature.size());
  if (rc != 0) return Corruption("the signature does not verify with this key (" + MbedError(rc) + ")");
  return Status::Ok();
}

std::string PublicKey::Pem() const {
  unsigned char buf[512] = {};
  if (mbedtls_pk_write_pubkey_pem(&h_->pk, buf, sizeof buf) != 0) return "";
  return reinterpret_cast<const char*>(buf);
}

std::string PublicKey::Fingerprint() const {
  unsigned char der[256];
  int n = mbedtls_pk_write_pubkey_der(&h_->pk, der, sizeof der);
  if (n <= 0) return "";
  return Sha256Hex(std::string_view(reinterpret_cast<const char*>(der + sizeof der - n), static_cast<size_t>(n)));
}

DeviceKey::DeviceKey(std::unique_ptr<Handle> priv, PublicKey pub) : h_(std::move(priv)), public_(std::move(pub)) {}
DeviceKey::DeviceKey(DeviceKey&&) noexcept = default;
DeviceKey& DeviceKey::operator=(DeviceKey&&) noexcept = default;
DeviceKey::~DeviceKey() = default;

Result<DeviceKey> DeviceKey::FromPem(std::string_view private_pem) {
  auto h = std::make_unique<Handle>();
  std::string text = WithNul(private_pem);
  int rc = mbedtls_pk_parse_key(&h->pk, reinterpret_cast<const unsigned char*>(text.data()), text.size(), nullptr, 0);
  if (rc != 0) return InvalidArgument("not a PEM private key (" + MbedError(rc) + ")");
  if (!IsP256(h->pk)) return InvalidArgument("not an ECDSA P-256 private key");
  auto pub = PublicOf(h->pk);
  if (!pub.ok()) return pub.status();
  return DeviceKey(std::move(h), PublicKey(std::move(*pub)));
}

Result<DeviceKey> DeviceKey::Load(const std::string& path) {
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return errno == ENOENT ? NotFound("no device key at " + path) : Errno("open " + path);
  struct stat st {};
  std::string text;
  char buf[4096];
  ssize_t n = 0;
  bool stat_ok = fstat(fd, &st) == 0;
  while ((n = read(fd, buf, sizeof buf)) > 0 && text.size() < 65536) text.append(buf, static_cast<size_t>(n));
  close(fd);
  if (!stat_ok || n < 0) return Errno("read " + path);
  if ((st.st_mode & 077) != 0) {
    return Status(StatusCode::kPermissionDenied,
                  "device key " + path + " is readable by others; it must have mode 0600");
  }
  auto key = FromPem(text);
  if (!key.ok()) return Corruption("device key " + path + ": " + key.status().message());
  return key;
}

Result<DeviceKey> DeviceKey::LoadOrCreate(const std::string& path, bool* created) {
  if (created) *created = false;
  auto existing = Load(path);
  if (existing.ok() || existing.status().code() != StatusCode::kNotFound) return existing;
  auto h = std::make_unique<Handle>();
  int rc = mbedtls_pk_setup(&h->pk, mbedtls_pk_info_from_type(MBEDTLS_PK_ECKEY));
  if (rc == 0) rc = mbedtls_ecp_gen_key(MBEDTLS_ECP_DP_SECP256R1, mbedtls_pk_ec(h->pk), Random, nullptr);
  if (rc != 0) return Internal("cannot generate the device key: " + MbedError(rc));
  unsigned char pem[1024] = {};
  rc = mbedtls_pk_write_key_pem(&h->pk, pem, sizeof pem);
  std::string text(reinterpret_cast<const char*>(pem));
  mbedtls_platform_zeroize(pem, sizeof pem);
  if (rc != 0) return Internal("cannot encode the device key: " + MbedError(rc));
  LIFELINE_RETURN_IF_ERROR(WriteKeyFile(path, text));
  if (created) *created = true;
  return Load(path);  // what is on disk is what signs
}

Result<std::string> DeviceKey::Sign(std::string_view message) const {
  unsigned char hash[32];
  mbedtls_sha256_ret(reinterpret_cast<const unsigned char*>(message.data()), message.size(), hash, 0);
  unsigned char sig[MBEDTLS_PK_SIGNATURE_MAX_SIZE];
  size_t len = 0;
  int rc = mbedtls_pk_sign(&h_->pk, MBEDTLS_MD_SHA256, hash, sizeof hash, sig, &len, Random, nullptr);
  if (rc != 0) return Internal("cannot sign: " + MbedError(rc));
  return std::string(reinterpret_cast<const char*>(sig), len);
}

}  // namespace lifeline::evidence
