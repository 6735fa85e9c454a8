#include "server/transfer_coding.h"

#include <gtest/gtest.h>

namespace telecollect::server {
namespace {

int StatusOf(std::vector<std::string> values) { return JudgeTransferEncoding(values).status; }

TEST(TransferCoding, ChunkedAloneIsAccepted) {
  EXPECT_EQ(StatusOf({"chunked"}), 0);
  EXPECT_EQ(StatusOf({"Chunked"}), 0);
  EXPECT_EQ(StatusOf({" chunked\t"}), 0);
  EXPECT_EQ(StatusOf({", chunked,"}), 0);  // empty list elements are ignored
  EXPECT_TRUE(JudgeTransferEncoding({"chunked"}).message.empty());
}

TEST(TransferCoding, ChunkedAbsentOrNotLastIs400) {
  EXPECT_EQ(StatusOf({"identity"}), 400);
  EXPECT_EQ(StatusOf({"gzip"}), 400);
  EXPECT_EQ(StatusOf({"chunked, identity"}), 400);
  EXPECT_EQ(StatusOf({"chunked", "gzip"}), 400);  // two fields form one list
  EXPECT_EQ(StatusOf({"chunked, chunked"}), 400);
  EXPECT_EQ(StatusOf({"chunked", "chunked"}), 400);
  EXPECT_EQ(StatusOf({"chunked;foo=bar"}), 400);
  EXPECT_NE(JudgeTransferEncoding({"chunked, identity"}).message.find("\"identity\""), std::string::npos);
}

TEST(TransferCoding, OtherCodingBeforeChunkedIs501) {
  EXPECT_EQ(StatusOf({"gzip, chunked"}), 501);
  EXPECT_EQ(StatusOf({"gzip", "chunked"}), 501);
  EXPECT_EQ(StatusOf({"x-custom;level=1, chunked"}), 501);
  EXPECT_EQ(StatusOf({"deflate;q=\"a \\\" b\", chunked"}), 501);
  const auto v = JudgeTransferEncoding({"br, chunked"});
  EXPECT_NE(v.message.find("\"br\" is not implemented"), std::string::npos) << v.message;
}

TEST(TransferCoding, MalformedListIs400) {
  EXPECT_EQ(StatusOf({""}), 400);
  EXPECT_EQ(StatusOf({" , ,"}), 400);
  EXPECT_EQ(StatusOf({"chu nked"}), 400);
  EXPECT_EQ(StatusOf({"\"chunked\""}), 400);
  EXPECT_EQ(StatusOf({"gzip;, chunked"}), 400);
  EXPECT_EQ(StatusOf({"gzip;level, chunked"}), 400);
  EXPECT_EQ(StatusOf({"gzip;l=\"open, chunked"}), 400);
  EXPECT_NE(JudgeTransferEncoding({"a@b, chunked"}).message.find("malformed"), std::string::npos);
}

TEST(TransferCoding, LongNamesAreCutInTheMessage) {
  const auto v = JudgeTransferEncoding({std::string(5000, 'x') + ", chunked"});
  EXPECT_EQ(v.status, 501);
  EXPECT_LT(v.message.size(), 200u);
}

}  // namespace
}  // namespace telecollect::server
