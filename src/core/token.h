#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

namespace telecollect {

// SHA-256 of a push token: what is stored at rest. Tokens are 190+ bits of
// randomness, so a fast hash is enough (no password-style stretching needed).
using TokenHash = std::array<uint8_t, 32>;

TokenHash HashToken(std::string_view token);

// Constant-time equality (CRYPTO_memcmp).
bool TokenHashEquals(const TokenHash& a, const TokenHash& b);

// A fresh random token: "tc_<env>_" followed by 32 base62 characters.
std::string GenerateToken(std::string_view env_name);

// Short, non-secret fingerprint for logs and listings (first 8 hex of the hash).
std::string TokenFingerprint(const TokenHash& hash);

}  // namespace telecollect
