// Test PKI for site-sim, generated with OpenSSL on first start and reused after:
// a trusted test CA, a server certificate for localhost/127.0.0.1, one for a
// wrong host name signed by the same CA, and one for the right name signed by
// a rogue CA nobody trusts. Files only; no process state. Not thread-safe.
#pragma once

#include <string>

namespace sitesim {

struct CertPaths {
  std::string ca;              // the CA clients should trust
  std::string server_cert, server_key;
  std::string wrong_host_cert, wrong_host_key;
  std::string untrusted_cert, untrusted_key;  // right name, rogue CA
  std::string pin;             // "sha256//<base64>" of the server key, for CURLOPT_PINNEDPUBLICKEY
};

// Creates `dir` and any missing file in it; returns false with `*error` set on failure.
bool EnsureCerts(const std::string& dir, CertPaths* out, std::string* error);

}  // namespace sitesim
