#include "core/token.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include <memory>
#include <stdexcept>

#include "core/hex.h"

namespace telecollect {

TokenHash HashToken(std::string_view token) {
  // Every authenticated request hashes its token. SHA256() looks the
  // algorithm up and allocates a context on each call, most of the cost for a
  // short input: the algorithm is fetched once, the context kept per thread.
  static EVP_MD* const sha256 = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  thread_local const std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), &EVP_MD_CTX_free);
  TokenHash out;
  unsigned int length = 0;
  if (sha256 != nullptr && ctx != nullptr && EVP_DigestInit_ex2(ctx.get(), sha256, nullptr) == 1 &&
      EVP_DigestUpdate(ctx.get(), token.data(), token.size()) == 1 && EVP_DigestFinal_ex(ctx.get(), out.data(), &length) == 1 &&
      length == out.size()) {
    return out;
  }
  SHA256(reinterpret_cast<const unsigned char*>(token.data()), token.size(), out.data());
  return out;
}

bool TokenHashEquals(const TokenHash& a, const TokenHash& b) {
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

std::string GenerateToken(std::string_view env_name) {
  static constexpr char kAlphabet[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
  // "tc_prod_", "tc_pre_", or "tc_admin_" for an admin token (token create --admin).
  const char* kind = env_name == "prod" ? "prod" : env_name == "admin" ? "admin" : "pre";
  std::string token = "tc_" + std::string(kind) + "_";
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
