// Form-encoded and XML bodies as the JSON documents configured envelopes read.
#include "push/envelope_body.h"

#include <gtest/gtest.h>

namespace telecollect::push {
namespace {

TEST(FormBodyTest, FieldsBecomeStrings) {
  auto j = FormBodyToJson("device=2C4F1A&time=1741594502&data=0100e6&note=a+b%2Fc%C3%A9&empty=&flag\r\n");
  ASSERT_TRUE(j.ok()) << j.status().message();
  EXPECT_EQ(*j, R"({"device":"2C4F1A","time":"1741594502","data":"0100e6","note":"a b/cé","empty":"","flag":""})");
  EXPECT_EQ(*FormBodyToJson("a=1&&b=2&"), R"({"a":"1","b":"2"})");
  EXPECT_EQ(*FormBodyToJson("q=%22%5C"), R"({"q":"\"\\"})");
}

TEST(FormBodyTest, RefusalsSayWhere) {
  auto e = FormBodyToJson("a=1&data=0%4");
  ASSERT_FALSE(e.ok());
  EXPECT_EQ(e.status().message(), "form field 2 (\"data\"): bad %-escape at byte 11 (% must be followed by two hex digits)");
  e = FormBodyToJson("a=1&%zz=2");
  ASSERT_FALSE(e.ok());
  EXPECT_EQ(e.status().message(), "form field 2 (name): bad %-escape at byte 5 (% must be followed by two hex digits)");
  e = FormBodyToJson("a=1&=2");
  ASSERT_FALSE(e.ok());
  EXPECT_EQ(e.status().message(), "form field 2: empty name (at byte 5)");
  e = FormBodyToJson("a=1&b=2&a=3");
  ASSERT_FALSE(e.ok());
  EXPECT_EQ(e.status().message(), "form field 3: \"a\" is given twice (field 1 too)");
  e = FormBodyToJson("a=%ff");
  ASSERT_FALSE(e.ok());
  EXPECT_EQ(e.status().message(), "form field 1 (\"a\"): not UTF-8 once decoded, at byte 3");
  EXPECT_FALSE(FormBodyToJson("").ok());
  EXPECT_FALSE(FormBodyToJson("&&\n").ok());
}

TEST(XmlBodyTest, ElementsAttributesAndRepeats) {
  auto j = XmlBodyToJson(R"(<?xml version="1.0"?>
<r:Report xmlns:r="urn:x" kind="up"><Id> 0A1B </Id><Empty/><g><v>1</v></g><g><v>2</v></g>
<n a="1">text</n><![CDATA[<raw>]]></r:Report>)");
  ASSERT_TRUE(j.ok()) << j.status().message();
  EXPECT_EQ(*j, R"({"Report":{"@kind":"up","Id":"0A1B","Empty":"","g":[{"v":"1"},{"v":"2"}],"n":{"@a":"1","#text":"text"},"#text":"<raw>"}})");
  EXPECT_EQ(*XmlBodyToJson("<a>x &amp; y</a>"), R"({"a":"x & y"})");
}

TEST(XmlBodyTest, RefusalsSayWhat) {
  auto e = XmlBodyToJson("<a><b></a>");
  ASSERT_FALSE(e.ok());
  EXPECT_NE(e.status().message().find("body is not valid XML: "), std::string::npos);
  EXPECT_NE(e.status().message().find(" at byte "), std::string::npos) << e.status().message();
  e = XmlBodyToJson("<a>\xff</a>");
  ASSERT_FALSE(e.ok());
  EXPECT_EQ(e.status().message(), "XML body is not UTF-8 (send it as UTF-8)");
  std::string deep;
  for (int i = 0; i < 65; ++i) deep += "<e>";
  for (int i = 0; i < 65; ++i) deep += "</e>";
  e = XmlBodyToJson(deep);
  ASSERT_FALSE(e.ok());
  EXPECT_EQ(e.status().message(), "XML elements nested deeper than 64 levels");
  std::string ok_depth;
  for (int i = 0; i < 64; ++i) ok_depth += "<e>";
  for (int i = 0; i < 64; ++i) ok_depth += "</e>";
  EXPECT_TRUE(XmlBodyToJson(ok_depth).ok());
  EXPECT_FALSE(XmlBodyToJson("").ok());
  EXPECT_FALSE(XmlBodyToJson("just text").ok());
}

}  // namespace
}  // namespace telecollect::push
