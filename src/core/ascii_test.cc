#include "core/ascii.h"

#include <gtest/gtest.h>

namespace telecollect {
namespace {

TEST(Ascii, CaseOfLettersOnly) {
  EXPECT_EQ(AsciiLower('A'), 'a');
  EXPECT_EQ(AsciiLower('Z'), 'z');
  EXPECT_EQ(AsciiLower('@'), '@');  // just below 'A'
  EXPECT_EQ(AsciiLower('['), '[');  // just above 'Z'
  EXPECT_EQ(AsciiLower('\xC9'), '\xC9');  // not ASCII: unchanged, whatever the locale
  EXPECT_TRUE(AsciiEqualsIgnoreCase("Application/JSON", "application/json"));
  EXPECT_FALSE(AsciiEqualsIgnoreCase("application/json", "application/jso"));
  EXPECT_FALSE(AsciiEqualsIgnoreCase("a@", "a`"));  // '@' + 32 is '`': only letters fold
  EXPECT_TRUE(AsciiStartsWithIgnoreCase("Bearer abc", "bearer "));
  EXPECT_FALSE(AsciiStartsWithIgnoreCase("Bear", "bearer "));
  std::string s = "Content-Type: X";
  AsciiLowerInPlace(s);
  EXPECT_EQ(s, "content-type: x");
}

}  // namespace
}  // namespace telecollect
