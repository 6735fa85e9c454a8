#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/status.h"

namespace telecollect {

// Seals short secrets kept at rest (a rotated OAuth2 refresh token in the
// store) with AES-256-GCM, under a 32-byte key kept in a file of the data dir.
//
// A sealed value is text: "tcs1:" <key id, 8 hex> ":" base64(nonce[12] ||
// ciphertext || tag[16]). The key id (the first 4 bytes of SHA-256 of the key)
// tells a value sealed under another key from a damaged one. `context` is
// authenticated, not stored: a value opens only with the context it was sealed
// with (say, its connector and key), so it cannot be moved to another row.
class SecretBox {
 public:
  static constexpr size_t kKeyBytes = 32;
  using Key = std::array<uint8_t, kKeyBytes>;

  explicit SecretBox(const Key& key);

  // The key in `path` (64 hex digits and a newline), created on first need:
  // random (RAND_bytes), mode 0600, written whole before it appears under its
  // name (a process creating it at the same time reads the same key). An
  // existing file readable by group or others is set to 0600 (`tightened`).
  // kIoError (naming the file's base name, not its directory) when it cannot
  // be read or created; kInvalidArgument when its content is not a key.
  static Result<SecretBox> FromKeyFile(const std::string& path, bool* tightened = nullptr);

  // Whether `value` has the sealed form (otherwise it is a plain value kept
  // from before sealing).
  static bool IsSealed(std::string_view value);

  std::string Seal(std::string_view plain, std::string_view context) const;
  // kPermissionDenied when it was sealed under another key; kInvalidArgument
  // when it is malformed, altered, or sealed with another `context`.
  Result<std::string> Open(std::string_view sealed, std::string_view context) const;

  const std::string& key_id() const { return key_id_; }

 private:
  Key key_;
  std::string key_id_;  // 8 hex digits
};

}  // namespace telecollect
