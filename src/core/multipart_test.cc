#include "core/multipart.h"

#include <gtest/gtest.h>

namespace telecollect {
namespace {

TEST(Multipart, FileAndTextParts) {
  const std::string body =
      "--XyZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"export.csv\"\r\nContent-Type: text/csv\r\n\r\n"
      "a;b\r\n1;2\r\n"
      "\r\n--XyZ\r\nContent-Disposition: form-data; name=\"profile\"\r\n\r\nformat = \"csv\"\r\n--XyZ--\r\n";
  auto parts = ParseMultipart("multipart/form-data; boundary=XyZ", body);
  ASSERT_TRUE(parts.ok()) << parts.status().message();
  ASSERT_EQ(parts->size(), 2u);
  EXPECT_EQ((*parts)[0].name, "file");
  EXPECT_EQ((*parts)[0].filename, "export.csv");
  EXPECT_EQ((*parts)[0].content_type, "text/csv");
  EXPECT_EQ((*parts)[0].data, "a;b\r\n1;2\r\n");
  EXPECT_EQ((*parts)[1].name, "profile");
  EXPECT_EQ((*parts)[1].data, "format = \"csv\"");
}

TEST(Multipart, QuotedBoundaryAndErrors) {
  auto ok = ParseMultipart("multipart/form-data; boundary=\"a b\"", "--a b\r\nContent-Disposition: form-data; name=x\r\n\r\nv\r\n--a b--");
  ASSERT_TRUE(ok.ok()) << ok.status().message();
  EXPECT_EQ((*ok)[0].name, "x");
  EXPECT_EQ(ParseMultipart("application/json", "{}").status().code(), StatusCode::kUnsupported);
  EXPECT_FALSE(ParseMultipart("multipart/form-data", "x").ok());
  EXPECT_FALSE(ParseMultipart("multipart/form-data; boundary=B", "--B\r\nContent-Disposition: form-data; name=x\r\n\r\nno end").ok());
  EXPECT_FALSE(ParseMultipart("multipart/form-data; boundary=B", "nothing").ok());
}

}  // namespace
}  // namespace telecollect
