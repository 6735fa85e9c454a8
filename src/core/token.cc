#include "core/token.h"

#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include <stdexcept>

#include "core/hex.h"

namespace telecollect {

TokenHash HashToken(std::string_view token) {
  TokenHash out;
  SHA256(reinterpret_cast<const unsigned char*>(token.data()), token.size(), out.data());
  return out;
}

bool TokenHashEquals(const TokenHash& a, const TokenHash& b) {
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

std::string GenerateToken(std::string_view env_name) {
  static constexpr char kAlphabet[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
  std::string token = "tc_" + std::string(env_name == "prod" ? "prod" : "pre") + "_";
  unsigned char raw[64];
  size_t produced = 0;
  while (produced < 32) {
    if (RAND_bytes(raw, sizeof raw) != 1) throw std::runtime_error("RAND_bytes failed");
    for (unsigned char b : raw) {
      if (b >= 248) continue;  // 248 = 4 * 62: reject to avoid modulo bias
      token += kAlphabet[b % 62];
      if (++produced == 32) break;
    }
  }
  return token;
}

std::string TokenFingerprint(const TokenHash& hash) { return EncodeHex(hash.data(), 4); }

}  // namespace telecollect
