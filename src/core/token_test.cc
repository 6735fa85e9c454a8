#include "core/token.h"

#include <gtest/gtest.h>

#include <set>

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

}  // namespace
}  // namespace telecollect
