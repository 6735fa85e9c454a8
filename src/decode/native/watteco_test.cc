#include "decode/native/watteco.h"

#include <gtest/gtest.h>

#include <map>

#include "decode/native/nexelec.h"

namespace telecollect::decode {
namespace {

Result<std::map<std::string, double>> DecodeHexFrame(const Decoder& d, const char* hex, int fport) {
  Bytes bytes = *DecodeHex(hex);
  auto got = d.Decode({bytes, fport, 0});
  if (!got.ok()) return got.status();
  std::map<std::string, double> out;
  for (const auto& v : *got) out[v.field] = v.value;
  return out;
}

TEST(WattecoTest, ReportsReadAnswersAlarmsAndEndpoints) {
  WattecoDecoder d;
  // Alarm report (0x8A) of a binary input index on endpoint 0, with its alarm criteria after the value.
  EXPECT_EQ(*DecodeHexFrame(d, "118a000f0402230000000aa0d00000000a0000000001", 125), (std::map<std::string, double>{{"index", 10}}));
  // Read-attribute answer: status byte, then type and value; a failed read stores nothing.
  EXPECT_EQ(*DecodeHexFrame(d, "1101040200000029fc18", 125), (std::map<std::string, double>{{"temperature", -10}}));
  EXPECT_TRUE(DecodeHexFrame(d, "1101040200008c", 125)->empty());
  // Endpoint 2 (0x51): the field says so.
  EXPECT_EQ(*DecodeHexFrame(d, "510a04020000290998", 125), (std::map<std::string, double>{{"temperature_ep2", 24.56}}));
  // Energy and power metering: eight signed 32-bit values in an octet string.
  auto m = *DecodeHexFrame(d, "110a800a0000412000000064ffffff9c000000010000000200000fa000000000000000030000000400", 125);
  EXPECT_EQ(m["positive_active_energy"], 100);
  EXPECT_EQ(m["negative_active_energy"], -100);
  EXPECT_EQ(m["positive_active_power"], 4000);
}

TEST(WattecoTest, ErrorsNameClusterAttributeAndBytes) {
  WattecoDecoder d;
  EXPECT_EQ(DecodeHexFrame(d, "110a040200002909", 125).status().message(),
            "cluster 0x0402 attribute 0x0000: the value needs 2 bytes, 1 left");
  EXPECT_EQ(DecodeHexFrame(d, "110a04020000ee0998", 125).status().message(),
            "cluster 0x0402 attribute 0x0000: unknown attribute type 0x00ee");
  EXPECT_EQ(DecodeHexFrame(d, "110a04020000290998", 2).status().message(), "fPort 2 is not Watteco's report port (125)");
  EXPECT_EQ(DecodeHexFrame(d, "110a0402", 125).status().message(), "a Watteco report needs 7 bytes before its value, got 4");
}

TEST(NexelecTest, WrongProductAndShortFrames) {
  NexelecDecoder carbon(NexelecDecoder::Model::kCarbon);
  EXPECT_EQ(DecodeHexFrame(carbon, "a20500506bad00", 1).status().message(), "not an Insafe+ Carbon frame (first 4 bits are not 0x7)");
  EXPECT_EQ(DecodeHexFrame(carbon, "7b", 1).status().message(), "unknown Insafe+ Carbon message type 11");
  EXPECT_TRUE(DecodeHexFrame(carbon, "7a", 1)->empty());  // keep-alive
  NexelecDecoder origin(NexelecDecoder::Model::kOrigin);
  EXPECT_EQ(DecodeHexFrame(origin, "a20800", 1).status().message(), "Origin temperature alert needs 4 bytes, got 3");
  // Temperature alert: 21.5 °C, threshold 1 reached.
  EXPECT_EQ(*DecodeHexFrame(origin, "a2086bc000", 1),
            (std::map<std::string, double>{{"temperature", 21.5}, {"temperature_threshold_1", 1}, {"temperature_threshold_2", 0}}));
}

}  // namespace
}  // namespace telecollect::decode
