#include "tools/site-sim/certs.h"

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <cstdio>
#include <filesystem>
#include <memory>
#include <vector>

namespace sitesim {
namespace {

struct KeyFree { void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); } };
struct CertFree { void operator()(X509* c) const { X509_free(c); } };
using Key = std::unique_ptr<EVP_PKEY, KeyFree>;
using Cert = std::unique_ptr<X509, CertFree>;

struct Identity {
  Key key;
  Cert cert;
};

bool AddExt(X509* cert, X509* issuer, int nid, const char* value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
  if (!ext) return false;
  bool ok = X509_add_ext(cert, ext, -1) == 1;
  X509_EXTENSION_free(ext);
  return ok;
}

// Makes a certificate for `cn` signed by `issuer` (self-signed when null).
Identity MakeCert(const char* cn, const char* san, const Identity* issuer, long serial) {
  Identity id;
  id.key.reset(EVP_EC_gen("P-256"));
  id.cert.reset(X509_new());
  X509* c = id.cert.get();
  if (!id.key || !c) return Identity{};
  X509_set_version(c, 2);
  ASN1_INTEGER_set(X509_get_serialNumber(c), serial);
  X509_gmtime_adj(X509_getm_notBefore(c), -3600);
  X509_gmtime_adj(X509_getm_notAfter(c), 10L * 365 * 24 * 3600);
  X509_set_pubkey(c, id.key.get());
  X509_NAME* name = X509_get_subject_name(c);
  X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>("lifeline site-sim"), -1, -1, 0);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>(cn),
                             -1, -1, 0);
  X509* signer = issuer ? issuer->cert.get() : c;
  X509_set_issuer_name(c, X509_get_subject_name(signer));
  bool ok = san ? AddExt(c, signer, NID_subject_alt_name, san) &&
                      AddExt(c, signer, NID_basic_constraints, "critical,CA:FALSE") &&
                      AddExt(c, signer, NID_ext_key_usage, "serverAuth")
                : AddExt(c, signer, NID_basic_constraints, "critical,CA:TRUE") &&
                      AddExt(c, signer, NID_key_usage, "critical,keyCertSign,cRLSign");
  ok = ok && AddExt(c, signer, NID_subject_key_identifier, "hash");
  EVP_PKEY* signing_key = issuer ? issuer->key.get() : id.key.get();
  if (!ok || X509_sign(c, signing_key, EVP_sha256()) == 0) return Identity{};
  return id;
}

bool WritePem(const std::string& path, X509* cert, EVP_PKEY* key) {
  FILE* f = std::fopen(path.c_str(), "wx");
  if (!f) return false;
  bool ok = cert ? PEM_write_X509(f, cert) == 1
                 : PEM_write_PrivateKey(f, key, nullptr, nullptr, 0, nullptr, nullptr) == 1;
  return std::fclose(f) == 0 && ok;
}

bool Save(const Identity& id, const std::string& cert_path, const std::string& key_path) {
  if (!id.cert) return false;
  return WritePem(key_path, nullptr, id.key.get()) && WritePem(cert_path, id.cert.get(), nullptr);
}

bool Generate(const CertPaths& p, const std::string& host_ip, std::string* error) {
  std::string san = "DNS:localhost,IP:127.0.0.1";
  if (!host_ip.empty() && host_ip != "127.0.0.1") san += ",IP:" + host_ip;
  Identity ca = MakeCert("lifeline site-sim test CA", nullptr, nullptr, 1);
  Identity rogue = MakeCert("lifeline site-sim rogue CA", nullptr, nullptr, 2);
  Identity server = MakeCert("localhost", san.c_str(), &ca, 3);
  Identity wrong = MakeCert("wrong-host.invalid", "DNS:wrong-host.invalid", &ca, 4);
  Identity untrusted = MakeCert("localhost", san.c_str(), &rogue, 5);
  if (!ca.cert || !rogue.cert || !server.cert || !wrong.cert || !untrusted.cert) {
    *error = "OpenSSL failed to generate the test certificates";
    return false;
  }
  if (!Save(server, p.server_cert, p.server_key) || !Save(wrong, p.wrong_host_cert, p.wrong_host_key) ||
      !Save(untrusted, p.untrusted_cert, p.untrusted_key) ||
      !WritePem(p.ca, ca.cert.get(), nullptr)) {
    *error = "cannot write the test certificates (partial files? remove the directory)";
    return false;
  }
  return true;
}

bool ComputePin(const std::string& key_path, std::string* pin) {
  FILE* f = std::fopen(key_path.c_str(), "r");
  if (!f) return false;
  Key key(PEM_read_PrivateKey(f, nullptr, nullptr, nullptr));
  std::fclose(f);
  if (!key) return false;
  int len = i2d_PUBKEY(key.get(), nullptr);
  if (len <= 0) return false;
  std::vector<unsigned char> der(static_cast<size_t>(len));
  unsigned char* p = der.data();
  i2d_PUBKEY(key.get(), &p);
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int dlen = 0;
  EVP_Digest(der.data(), der.size(), digest, &dlen, EVP_sha256(), nullptr);
  unsigned char b64[4 * EVP_MAX_MD_SIZE];
  int n = EVP_EncodeBlock(b64, digest, static_cast<int>(dlen));
  *pin = "sha256//" + std::string(reinterpret_cast<char*>(b64), static_cast<size_t>(n));
  return true;
}

// A PKI made for another --host would make every TLS handshake fail with a
// name mismatch; saying so at start is clearer than that.
bool NamesHost(const std::string& cert_path, const std::string& host_ip) {
  FILE* f = std::fopen(cert_path.c_str(), "r");
  if (!f) return false;
  Cert cert(PEM_read_X509(f, nullptr, nullptr, nullptr));
  std::fclose(f);
  return cert && X509_check_ip_asc(cert.get(), host_ip.c_str(), 0) == 1;
}

}  // namespace

bool EnsureCerts(const std::string& dir, CertPaths* out, std::string* error, const std::string& host_ip) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) {
    *error = "cannot create " + dir + ": " + ec.message();
    return false;
  }
  CertPaths p;
  p.ca = dir + "/ca.pem";
  p.server_cert = dir + "/server.pem";
  p.server_key = dir + "/server.key";
  p.wrong_host_cert = dir + "/wrong-host.pem";
  p.wrong_host_key = dir + "/wrong-host.key";
  p.untrusted_cert = dir + "/untrusted.pem";
  p.untrusted_key = dir + "/untrusted.key";
  // ca.pem is written last, so its presence means the set is complete.
  if (!std::filesystem::exists(p.ca) && !Generate(p, host_ip, error)) return false;
  if (!host_ip.empty() && !NamesHost(p.server_cert, host_ip)) {
    *error = p.server_cert + " does not name " + host_ip + " (made for another --host): use a fresh --dir";
    return false;
  }
  if (!ComputePin(p.server_key, &p.pin)) {
    *error = "cannot read " + p.server_key;
    return false;
  }
  *out = p;
  return true;
}

}  // namespace sitesim
