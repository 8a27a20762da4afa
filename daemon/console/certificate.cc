// The console's device certificate, with OpenSSL 3: an ECDSA P-256 key and a
// self-signed certificate made once, written whole or not at all (a temporary
// file, fsync, rename), the key with mode 0600 from the moment it exists.
#include <fcntl.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <memory>

#include "daemon/console/console.h"

namespace lifeline {
namespace {

template <typename T, void (*F)(T*)>
struct Deleter {
  void operator()(T* p) const { F(p); }
};
using PKey = std::unique_ptr<EVP_PKEY, Deleter<EVP_PKEY, EVP_PKEY_free>>;
using Cert = std::unique_ptr<X509, Deleter<X509, X509_free>>;
using Ext = std::unique_ptr<X509_EXTENSION, Deleter<X509_EXTENSION, X509_EXTENSION_free>>;

std::string SslError(const std::string& what) {
  char buf[256] = "unknown error";
  unsigned long e = ERR_get_error();
  if (e) ERR_error_string_n(e, buf, sizeof buf);
  return what + ": " + buf;
}

Status AddExtension(X509* cert, int nid, const std::string& value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, cert, cert, nullptr, nullptr, 0);
  Ext ext(X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str()));
  if (!ext || !X509_add_ext(cert, ext.get(), -1)) return Internal(SslError("certificate extension " + value));
  return Status::Ok();
}

// "DNS:localhost,IP:127.0.0.1,..." for the names the box answers to.
std::string SubjectAltNames(const std::vector<std::string>& names) {
  std::string san = "DNS:localhost,IP:127.0.0.1,IP:::1";
  for (const auto& n : names) {
    bool ip = n.find_first_not_of("0123456789.:abcdefABCDEF") == std::string::npos && n.find_first_of(".:") != n.npos;
    if (n.empty() || n == "localhost" || n == "127.0.0.1" || n == "0.0.0.0" || n == "::") continue;
    san += (ip ? ",IP:" : ",DNS:") + n;
  }
  return san;
}

Result<Cert> SelfSigned(EVP_PKEY* key, const std::vector<std::string>& names) {
  Cert cert(X509_new());
  if (!cert) return Internal(SslError("X509_new"));
  X509_set_version(cert.get(), 2);
  std::unique_ptr<BIGNUM, Deleter<BIGNUM, BN_free>> serial(BN_new());
  if (!serial || !BN_rand(serial.get(), 127, BN_RAND_TOP_ANY, BN_RAND_BOTTOM_ANY) ||
      !BN_to_ASN1_INTEGER(serial.get(), X509_get_serialNumber(cert.get()))) {
    return Internal(SslError("serial number"));
  }
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), 10L * 366 * 86400);
  X509_set_pubkey(cert.get(), key);
  X509_NAME* name = X509_get_subject_name(cert.get());
  X509_NAME_add_entry_by_txt(name, "O", MBSTRING_UTF8, reinterpret_cast<const unsigned char*>("lifeline"), -1, -1, 0);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, reinterpret_cast<const unsigned char*>("lifeline console"),
                             -1, -1, 0);
  X509_set_issuer_name(cert.get(), name);
  LIFELINE_RETURN_IF_ERROR(AddExtension(cert.get(), NID_basic_constraints, "critical,CA:FALSE"));
  LIFELINE_RETURN_IF_ERROR(AddExtension(cert.get(), NID_key_usage, "critical,digitalSignature"));
  LIFELINE_RETURN_IF_ERROR(AddExtension(cert.get(), NID_ext_key_usage, "serverAuth"));
  LIFELINE_RETURN_IF_ERROR(AddExtension(cert.get(), NID_subject_alt_name, SubjectAltNames(names)));
  if (!X509_sign(cert.get(), key, EVP_sha256())) return Internal(SslError("signing the certificate"));
  return cert;
}

// Writes a PEM file through `write` into a temporary with `mode`, then renames it.
template <typename Write>
Status WritePem(const std::string& path, mode_t mode, Write write) {
  const std::string tmp = path + ".new";
  int fd = open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
  if (fd < 0) return IoError("cannot create " + tmp);
  FILE* f = fdopen(fd, "w");
  if (!f) {
    close(fd);
    return IoError("cannot open " + tmp);
  }
  bool ok = write(f) == 1;
  ok = fflush(f) == 0 && ok;
  ok = fsync(fileno(f)) == 0 && ok;
  ok = fclose(f) == 0 && ok;
  if (!ok || rename(tmp.c_str(), path.c_str()) != 0) {
    unlink(tmp.c_str());
    return IoError(SslError("cannot write " + path));
  }
  return Status::Ok();
}

Status CreateDeviceCertificate(const std::string& cert_file, const std::string& key_file,
                               const std::vector<std::string>& names) {
  PKey key(EVP_EC_gen("P-256"));
  if (!key) return Internal(SslError("generating the P-256 key"));
  auto cert = SelfSigned(key.get(), names);
  if (!cert.ok()) return cert.status();
  LIFELINE_RETURN_IF_ERROR(WritePem(key_file, 0600, [&](FILE* f) {
    return PEM_write_PrivateKey(f, key.get(), nullptr, nullptr, 0, nullptr, nullptr);
  }));
  return WritePem(cert_file, 0644, [&](FILE* f) { return PEM_write_X509(f, cert->get()); });
}

}  // namespace

Result<std::string> CertificateFingerprint(const std::string& cert_file) {
  FILE* f = fopen(cert_file.c_str(), "r");
  if (!f) return NotFound("cannot read " + cert_file);
  Cert cert(PEM_read_X509(f, nullptr, nullptr, nullptr));
  fclose(f);
  if (!cert) return InvalidArgument(SslError(cert_file + " is not a PEM certificate"));
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  if (!X509_digest(cert.get(), EVP_sha256(), digest, &n)) return Internal(SslError("X509_digest"));
  static const char* kHex = "0123456789ABCDEF";
  std::string out;
  for (unsigned int i = 0; i < n; ++i) {
    if (i) out += ':';
    out += kHex[digest[i] >> 4];
    out += kHex[digest[i] & 15];
  }
  return out;
}

Result<DeviceCertificate> LoadOrCreateDeviceCertificate(const ConsoleOptions& o) {
  DeviceCertificate d;
  if (o.cert_file.empty() != o.key_file.empty()) {
    return InvalidArgument("console.cert_file and console.key_file go together: set both or neither");
  }
  d.cert_file = o.cert_file.empty() ? o.state_dir + "/console-cert.pem" : o.cert_file;
  d.key_file = o.key_file.empty() ? o.state_dir + "/console-key.pem" : o.key_file;
  std::error_code ec;
  const bool have = std::filesystem::exists(d.cert_file, ec) && std::filesystem::exists(d.key_file, ec);
  if (!have && !o.cert_file.empty()) return NotFound("console certificate " + d.cert_file + " or its key is missing");
  if (!have) {
    LIFELINE_RETURN_IF_ERROR(CreateDeviceCertificate(d.cert_file, d.key_file, o.names));
    d.created = true;
  }
  struct stat st {};
  if (stat(d.key_file.c_str(), &st) == 0 && (st.st_mode & 077) != 0) {
    return Status(StatusCode::kPermissionDenied,
                  "console key " + d.key_file + " is readable by others; it must have mode 0600");
  }
  auto fp = CertificateFingerprint(d.cert_file);
  if (!fp.ok()) return fp.status();
  d.fingerprint = *fp;
  return d;
}

}  // namespace lifeline
