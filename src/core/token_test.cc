#include "core/token.h"

#include <gtest/gtest.h>

#include <set>
#include <thread>

#include "core/hex.h"

namespace telecollect {
namespace {

TEST(TokenTest, GeneratedTokensAreDistinctAndPrefixed) {
  std::set<std::string> seen;
  for (int i = 0; i < 100; ++i) {
    std::string t = GenerateToken("preprod");
    EXPECT_EQ(t.rfind("tc_pre_", 0), 0u);
    EXPECT_EQ(t.size(), 7u + 32u);
    EXPECT_TRUE(seen.insert(t).second);
  }
  EXPECT_EQ(GenerateToken("prod").rfind("tc_prod_", 0), 0u);
}

TEST(TokenTest, HashCompare) {
  EXPECT_TRUE(TokenHashEquals(HashToken("abc"), HashToken("abc")));
  EXPECT_FALSE(TokenHashEquals(HashToken("abc"), HashToken("abd")));
  EXPECT_EQ(TokenFingerprint(HashToken("abc")), "ba7816bf");
}

// SHA-256 itself (FIPS 180-2 vectors), call after call and on another thread
// (the digest context is kept per thread).
TEST(TokenTest, HashIsSha256) {
  const auto hex = [](const TokenHash& h) { return EncodeHex(h.data(), h.size()); };
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(hex(HashToken("abc")), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    EXPECT_EQ(hex(HashToken("")), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  }
  std::string other;
  std::thread([&] { other = hex(HashToken("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")); }).join();
  EXPECT_EQ(other, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

}  // namespace
}  // namespace telecollect
