#include "files/number_format.h"

#include <gtest/gtest.h>

#include <cstring>
#include <random>

namespace telecollect::files {
namespace {

double Num(std::string_view t, NumberFormat f) {
  double v = -999;
  EXPECT_TRUE(ParseNumber(t, f, v)) << t;
  return v;
}

bool Bad(std::string_view t, NumberFormat f) {
  double v = 0;
  return !ParseNumber(t, f, v);
}

TEST(NumberFormat, DecimalPointAndComma) {
  EXPECT_EQ(Num("12.5", {'.', 0}), 12.5);
  EXPECT_EQ(Num(" -0.25 ", {'.', 0}), -0.25);
  EXPECT_EQ(Num("+3", {'.', 0}), 3);
  EXPECT_EQ(Num("1e3", {'.', 0}), 1000);
  EXPECT_EQ(Num("12,5", {',', 0}), 12.5);
  EXPECT_TRUE(Bad("12,5", {'.', 0}));
  EXPECT_TRUE(Bad("12.5", {',', 0}));
}

TEST(NumberFormat, ThousandsSeparators) {
  EXPECT_EQ(Num("1 234,5", {',', ' '}), 1234.5);
  EXPECT_EQ(Num("1\xC2\xA0" "234,5", {',', ' '}), 1234.5);      // no-break space
  EXPECT_EQ(Num("1\xE2\x80\xAF" "234 567", {',', ' '}), 1234567);  // narrow no-break space
  EXPECT_EQ(Num("1.234.567,8", {',', '.'}), 1234567.8);
  EXPECT_EQ(Num("1,234.5", {'.', ','}), 1234.5);
  EXPECT_TRUE(Bad("1  234", {',', ' '}));  // separator not between digits
  EXPECT_TRUE(Bad(",5", {'.', ','}));
}

TEST(NumberFormat, NoBreakSpaceAt) {
  EXPECT_EQ(NoBreakSpaceAt("1\xC2\xA0" "2", 1), 2u);
  EXPECT_EQ(NoBreakSpaceAt("1\xE2\x80\xAF" "2", 1), 3u);
  EXPECT_EQ(NoBreakSpaceAt("1 2", 1), 0u);
  EXPECT_EQ(NoBreakSpaceAt("1\xC2", 1), 0u);          // cut short at the end
  EXPECT_EQ(NoBreakSpaceAt("1\xE2\x80", 1), 0u);
  EXPECT_EQ(NoBreakSpaceAt("\xC3\xA9", 0), 0u);      // another two-byte character (é)
}

TEST(NumberFormat, RejectsNonNumbers) {
  for (const char* t : {"", " ", "abc", "12abc", "N/A", "-", "nan", "inf", "1e999"}) EXPECT_TRUE(Bad(t, {'.', 0})) << t;
}

}  // namespace
}  // namespace telecollect::files

namespace telecollect::files {
namespace {

TEST(NumberFormat, FastPathMatchesTheFullParser) {
  // Every value the fast path takes must equal what fast_float gives.
  for (const char* t : {"0", "-0", "1", "12,5", "0,1", "0,3", "123456789012345", "1234567890,12345", "-99999,99999",
                        "3,14159265358979", "0,000000000000001", "1,", ",5", "--1", "1,2,3"}) {
    double fast = 0, slow = 0;
    const bool a = ParseNumber(t, {',', 0}, fast);
    std::string dotted(t);
    for (char& c : dotted) {
      if (c == ',') c = '.';
    }
    const bool b = ParseNumber(dotted + "e0", {'.', 0}, slow);  // "e0": not the fast path
    EXPECT_EQ(a, b) << t;
    if (a && b) {
      EXPECT_EQ(fast, slow) << t;
    }
  }
  // Random decimals of 1 to 16 digits, the decimal comma anywhere: bit for bit.
  std::mt19937_64 rng(7);
  for (int i = 0; i < 200000; ++i) {
    const int digits = 1 + static_cast<int>(rng() % 16);
    std::string t = (rng() % 4 == 0) ? "-" : "";
    for (int d = 0; d < digits; ++d) t += static_cast<char>('0' + rng() % 10);
    const size_t comma = rng() % (t.size() + 1);
    if (comma > (t[0] == '-' ? 1u : 0u) || rng() % 2) t.insert(comma, ",");
    double fast = 0, slow = 0;
    const bool a = ParseNumber(t, {',', 0}, fast);
    std::string dotted = t;
    for (char& c : dotted) {
      if (c == ',') c = '.';
    }
    const bool b = ParseNumber(dotted + "e0", {'.', 0}, slow);
    ASSERT_EQ(a, b) << t;
    if (a) {
      ASSERT_EQ(std::memcmp(&fast, &slow, sizeof fast), 0) << t;
    }
  }
}

}  // namespace
}  // namespace telecollect::files
