// Test PKI for site-sim, generated with OpenSSL on first start and reused after:
// a trusted test CA, a server certificate for localhost/127.0.0.1 (and the
// --host address, if any), one for a wrong host name signed by the same CA, and
// one for the right name signed by a rogue CA nobody trusts. Files only; no
// process state. Not thread-safe.
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
// A non-empty `host_ip` (a specific IPv4/IPv6 address) is also named by the right-name
// certificates; when they already exist without it, that is an error (use a fresh dir).
bool EnsureCerts(const std::string& dir, CertPaths* out, std::string* error,
                 const std::string& host_ip = "");

}  // namespace sitesim
