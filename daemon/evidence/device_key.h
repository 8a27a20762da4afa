// The device's signing key: an ECDSA P-256 key pair (mbedTLS), generated once
// into a 0600 PEM file in the state directory; and public keys as an auditor
// holds them (PEM SubjectPublicKeyInfo). Signatures are ECDSA with SHA-256 in
// DER, exactly what `openssl dgst -sha256 -sign/-verify` makes and checks;
// the fingerprint is SHA-256 of the public key's DER. Movable, not copyable;
// one key is used by one thread at a time.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "daemon/core/status.h"

namespace lifeline::evidence {

class PublicKey {
 public:
  // A PEM "PUBLIC KEY" of an EC P-256 key; any other key or text is refused.
  static Result<PublicKey> FromPem(std::string_view pem);
  PublicKey(PublicKey&&) noexcept;
  PublicKey& operator=(PublicKey&&) noexcept;
  ~PublicKey();

  // Ok when `signature` (DER) is this key's ECDSA signature of SHA-256(message).
  Status Verify(std::string_view message, std::string_view signature) const;
  std::string Pem() const;          // "-----BEGIN PUBLIC KEY-----\n..."
  std::string Fingerprint() const;  // lowercase hex SHA-256 of the DER SubjectPublicKeyInfo

  struct Handle;  // the mbedTLS context

 private:
  explicit PublicKey(std::unique_ptr<Handle> h);
  std::unique_ptr<Handle> h_;
  friend class DeviceKey;
};

class DeviceKey {
 public:
  // Loads the key at `path`, or generates one and writes it there (mode 0600,
  // written whole or not at all) when there is none. `created` says which.
  static Result<DeviceKey> LoadOrCreate(const std::string& path, bool* created = nullptr);
  // Refuses a file readable by group or others, or one that is not a P-256 key.
  static Result<DeviceKey> Load(const std::string& path);
  // From PEM text (tests, and keys held elsewhere).
  static Result<DeviceKey> FromPem(std::string_view private_pem);
  DeviceKey(DeviceKey&&) noexcept;
  DeviceKey& operator=(DeviceKey&&) noexcept;
  ~DeviceKey();

  // ECDSA P-256 over SHA-256(message), DER. Deterministic (RFC 6979): the
  // same key and message give the same bytes.
  Result<std::string> Sign(std::string_view message) const;
  const PublicKey& public_key() const { return public_; }

 private:
  DeviceKey(std::unique_ptr<PublicKey::Handle> priv, PublicKey pub);
  std::unique_ptr<PublicKey::Handle> h_;
  PublicKey public_;
};

// Lowercase hex SHA-256 of `bytes`.
std::string Sha256Hex(std::string_view bytes);

}  // namespace lifeline::evidence
