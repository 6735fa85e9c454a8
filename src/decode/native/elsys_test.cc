#include "decode/native/elsys.h"

#include <gtest/gtest.h>


#include "decode/native/milesight.h"
#include "decode/registry.h"

namespace telecollect::decode {
namespace {

TEST(ElsysTest, TruncatedAndUnknownTypesAreErrorsWithTheOffset) {
  ElsysDecoder decoder;
  Bytes trunc = *DecodeHex("0100e20601");
  auto t = decoder.Decode({trunc, 1, 0});
  ASSERT_FALSE(t.ok());
  EXPECT_NE(t.status().message().find("co2 at byte 3 needs 2 bytes, 1 left"), std::string::npos) << t.status().message();
  Bytes unknown = *DecodeHex("0100e2ff00");
  auto u = decoder.Decode({unknown, 1, 0});
  ASSERT_FALSE(u.ok());
  EXPECT_NE(u.status().message().find("unknown Elsys data type 0xff at byte 3"), std::string::npos);
  Bytes negative = *DecodeHex("01ff9c");
  EXPECT_DOUBLE_EQ((*decoder.Decode({negative, 1, 0}))[0].value, -10.0);
}

TEST(ElsysTest, RegisteredUnderItsModelNames) {
  DecoderRegistry reg;
  reg.LoadDirectories({});
  auto t = reg.Find("Elsys-ERS-CO2");
  ASSERT_NE(t, nullptr);
  EXPECT_EQ(t->name, "elsys");
  EXPECT_STREQ(t->decoder->kind(), "native");
}

}  // namespace
}  // namespace telecollect::decode

namespace telecollect::decode {
namespace {

TEST(MilesightTest, InfoRecordsSkippedUnknownChannelsReported) {
  MilesightDecoder decoder;
  Bytes info_and_temp = *DecodeHex("ff0bffff0101ff166136c19146050000" "0367f6ff");
  auto r = decoder.Decode({info_and_temp, 85, 0});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->size(), 1u);
  EXPECT_DOUBLE_EQ((*r)[0].value, -1.0);
  Bytes unknown = *DecodeHex("0175640e7701");
  auto u = decoder.Decode({unknown, 85, 0});
  ASSERT_FALSE(u.ok());
  EXPECT_NE(u.status().message().find("unknown Milesight channel 0x0e type 0x77 at byte 3"), std::string::npos)
      << u.status().message();
}

}  // namespace
}  // namespace telecollect::decode
