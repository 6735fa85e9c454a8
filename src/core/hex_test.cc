#include "core/hex.h"

#include <gtest/gtest.h>

namespace telecollect {
namespace {

TEST(HexTest, DecodesEitherCaseAndPrefix) {
  auto b = DecodeHex("2367A3b3C1DEFE");
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(EncodeHex(*b), "2367a3b3c1defe");
  auto p = DecodeHex("0x0aFF");
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(*p, (Bytes{0x0a, 0xff}));
  auto e = DecodeHex("");
  ASSERT_TRUE(e.ok());
  EXPECT_TRUE(e->empty());
}

TEST(HexTest, OddLengthIsRejectedWithTheCount) {
  auto b = DecodeHex("abc");
  ASSERT_FALSE(b.ok());
  EXPECT_NE(b.status().message().find("odd number of digits (3)"), std::string::npos);
}

TEST(HexTest, NonHexNamesThePosition) {
  auto b = DecodeHex("00zz");
  ASSERT_FALSE(b.ok());
  EXPECT_NE(b.status().message().find("position 2"), std::string::npos);
  auto c = DecodeHex("0g");
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.status().message().find("position 1"), std::string::npos);
}

TEST(Base64Test, RoundTripsAllLengths) {
  std::string data;
  for (int i = 0; i < 40; ++i) {
    auto decoded = DecodeBase64(EncodeBase64(data));
    ASSERT_TRUE(decoded.ok());
    EXPECT_EQ(std::string(decoded->begin(), decoded->end()), data);
    data.push_back(static_cast<char>(i * 37));
  }
  auto known = DecodeBase64("y/YLDQN2AQrdf/8=");
  ASSERT_TRUE(known.ok());
  EXPECT_EQ(EncodeHex(*known), "cbf60b0d0376010add7fff");
}

TEST(Base64Test, RejectsInvalidCharacters) {
  EXPECT_FALSE(DecodeBase64("ab$d").ok());
  EXPECT_FALSE(DecodeBase64("a").ok());
}

}  // namespace
}  // namespace telecollect
