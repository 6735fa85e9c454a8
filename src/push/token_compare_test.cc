// docs/push.md: "a token is compared in constant time". No timing here (the machine
// is shared): this binary interposes OpenSSL's CRYPTO_memcmp, the constant-time
// routine, and checks that token hashes are compared through it, over their full 32
// bytes, wherever they first differ, both in TokenHashEquals and on the two paths of
// Authenticator (the store and the cache). A comparison rewritten with ==, memcmp or
// std::equal (which stop at the first differing byte) makes no call and fails here.
#include <openssl/crypto.h>

#include <gtest/gtest.h>

#include <atomic>
#include <cstddef>

#include "core/token.h"
#include "push/auth.h"
#include "store/store_test_util.h"

namespace {
std::atomic<int> full_length_calls{0};
std::atomic<int> other_calls{0};
}  // namespace

// Defined in the executable, so it is the one the linker binds token.cc's call to
// (and libcrypto's own, through its PLT). Still a constant-time comparison: every
// byte is read and folded, whatever the result.
extern "C" int CRYPTO_memcmp(const void* in_a, const void* in_b, size_t len) {
  (len == 32 ? full_length_calls : other_calls).fetch_add(1);
  const volatile unsigned char* a = static_cast<const volatile unsigned char*>(in_a);
  const volatile unsigned char* b = static_cast<const volatile unsigned char*>(in_b);
  unsigned char x = 0;
  for (size_t i = 0; i < len; ++i) x = static_cast<unsigned char>(x | (a[i] ^ b[i]));
  return x;
}

namespace telecollect::push {
namespace {

TEST(TokenCompareTest, HashesAreComparedByTheConstantTimeRoutineOverAll32Bytes) {
  const TokenHash h = HashToken("tc_pre_0123456789abcdefghijklmnopqrstuv");
  TokenHash first = h, last = h;
  first[0] ^= 0x01;
  last[31] ^= 0x80;
  full_length_calls = 0;
  EXPECT_TRUE(TokenHashEquals(h, h));
  EXPECT_FALSE(TokenHashEquals(h, first));
  EXPECT_FALSE(TokenHashEquals(h, last));
  EXPECT_FALSE(TokenHashEquals(first, last));
  EXPECT_EQ(full_length_calls.load(), 4) << "each comparison must be one CRYPTO_memcmp over the 32 bytes";
}

TEST(TokenCompareTest, AuthenticatorComparesThroughItOnTheStoreAndTheCachePaths) {
  store::TempDir dir;
  auto s = store::OpenSqliteStore(dir.path() + "/a.db");
  ASSERT_TRUE(s.ok());
  const std::string token = GenerateToken("preprod");
  ASSERT_TRUE((*s)->CreateToken({0, {"acme", Env::kPreprod}, "", HashToken(token), 1, {}}).ok());
  ManualClock clock(1000);
  Authenticator auth(**s, clock, 60000);
  full_length_calls = 0;
  ASSERT_TRUE(auth.Authenticate("Bearer " + token).ok());  // found in the store
  EXPECT_GE(full_length_calls.load(), 1);
  full_length_calls = 0;
  ASSERT_TRUE(auth.Authenticate("Bearer " + token).ok());  // found in the cache
  EXPECT_GE(full_length_calls.load(), 1);
}

}  // namespace
}  // namespace telecollect::push
