#include "push/device_csv.h"

#include <gtest/gtest.h>

namespace telecollect::push {
namespace {

TEST(DeviceCsvTest, ColumnsInAnyOrderQuotesBomCrlf) {
  auto d = ParseDeviceCsv("\xEF\xBB\xBFlabel;deviceid;devicetype\r\n\"Salle 12; 2e\";70B3D5E75E001122; Dragino-LHT65 \r\n\r\n"
                          "\"dit \"\"x\"\"\";A2;\r\n");
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  ASSERT_EQ(d->size(), 2u);
  EXPECT_EQ((*d)[0].device_id, "70B3D5E75E001122");
  EXPECT_EQ((*d)[0].device_type, "dragino-lht65");
  EXPECT_EQ((*d)[0].label, "Salle 12; 2e");
  EXPECT_EQ((*d)[1].label, "dit \"x\"");
  EXPECT_EQ((*d)[1].device_type, "");
}

TEST(DeviceCsvTest, ErrorsNameLineAndColumn) {
  struct Case { const char* text; const char* why; } cases[] = {
    {"", "empty file"},
    {"devicetype,label\nx,y\n", "line 1: the header needs a deviceid column"},
    {"deviceid,color\nA,red\n", "line 1, column 2: unknown column \"color\""},
    {"deviceid,deviceid\n", "appears twice"},
    {"deviceid,devicetype\nA\n", "line 2: 1 fields, the header has 2"},
    {"deviceid,devicetype\n,x\n", "line 2, column 1: empty deviceid"},
    {"deviceid,label\nA,\"open\n", "line 2, column 3: badly quoted field"},
    {"deviceid,label\nA,\"x\"y\n", "line 2, column 6: badly quoted field"},
    {"deviceid,module\nA,{deviceid}\n", "module template must contain {field}"},
  };
  for (const auto& c : cases) {
    auto d = ParseDeviceCsv(c.text);
    ASSERT_FALSE(d.ok()) << c.text;
    EXPECT_NE(d.status().message().find(c.why), std::string::npos) << c.text << " → " << d.status().message();
  }
}

// Every bad line is named, one per line of the message, and nothing is imported.
TEST(DeviceCsvTest, EveryBadLineIsNamed) {
  auto d = ParseDeviceCsv("deviceid,devicetype\nA,x\n,y\nB\nC,z\nD,\"q\n");
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.status().message(),
            "3 bad lines, nothing imported:\nline 3, column 1: empty deviceid\nline 4: 1 fields, the header has 2\n"
            "line 6, column 3: badly quoted field");
}

}  // namespace
}  // namespace telecollect::push
