#include "decode/native/adeunis.h"

#include <gtest/gtest.h>

#include <map>

#include "decode/registry.h"

namespace telecollect::decode {
namespace {

using Model = AdeunisDecoder::Model;

std::map<std::string, double> Decode(Model model, const char* hex) {
  Bytes bytes = *DecodeHex(hex);
  auto got = AdeunisDecoder(model).Decode({bytes, 1, 0});
  EXPECT_TRUE(got.ok()) << hex << ": " << got.status().message();
  std::map<std::string, double> out;
  if (got.ok()) for (const auto& v : *got) out[v.field] = v.value;
  return out;
}

std::string Error(Model model, const char* hex) {
  Bytes bytes = *DecodeHex(hex);
  auto got = AdeunisDecoder(model).Decode({bytes, 1, 0});
  EXPECT_FALSE(got.ok()) << hex;
  return got.ok() ? "" : got.status().message();
}

TEST(AdeunisTest, CurrentValueOfAHistoryFrameAndItsAlarms) {
  // Comfort 2 data frame with a timestamp: 7 samples, the first is now.
  EXPECT_EQ(Decode(Model::kComfort2, "4c9600c51f00c72000c82100ca2200cc2300cd2414ABA3E9"),
            (std::map<std::string, double>{{"temperature", 19.7}, {"humidity", 31}, {"low_battery", 1}}));
  // Comfort CO2 alarm: temperature and CO2 thresholds crossed, humidity not.
  EXPECT_EQ(Decode(Model::kComfortCo2, "6b0030ff380f03e8"),
            (std::map<std::string, double>{{"temperature", -20}, {"humidity", 15}, {"co2", 1000},
                                           {"alarm_temperature", 1}, {"alarm_humidity", 0}, {"alarm_co2", 1},
                                           {"low_battery", 0}}));
}

TEST(AdeunisTest, DisconnectedOrDeactivatedProbesAreLeftOut) {
  // Temp 3, two probes, the second reads 0x8000 (no probe).
  EXPECT_EQ(Decode(Model::kTemp3, "571000fa8000"),
            (std::map<std::string, double>{{"temperature_1", 25}, {"low_battery", 0}}));
  // Temp v1: probe 2 deactivated (byte 5 bit 0 clear, firmware with states).
  EXPECT_EQ(Decode(Model::kTemp, "43401100f4200000"),
            (std::map<std::string, double>{{"temperature_1", 24.4}, {"low_battery", 0}}));
  // Old firmware (byte 5 low nibble 2): no states, both probes read.
  EXPECT_EQ(Decode(Model::kTemp, "43401000f4220064"),
            (std::map<std::string, double>{{"temperature_1", 24.4}, {"temperature_2", 10}, {"low_battery", 0}}));
}

TEST(AdeunisTest, PulseIndexesAndServiceFrames) {
  EXPECT_EQ(Decode(Model::kPulse4, "5b8400000127000100020003000414ABA3E9"),
            (std::map<std::string, double>{{"index_b", 295}, {"low_battery", 0}}));
  EXPECT_EQ(Decode(Model::kPulse, "4820000000010000000200000100020003000400050006000700080009000a"),
            (std::map<std::string, double>{{"index_a", 256}, {"index_b", 512}, {"low_battery", 0}}));
  // A keep-alive or configuration frame: the status alone.
  EXPECT_EQ(Decode(Model::kPulse3, "30220000"), (std::map<std::string, double>{{"low_battery", 1}}));
}

TEST(AdeunisTest, ErrorsNameTheFrameAndWhatIsMissing) {
  EXPECT_EQ(Error(Model::kComfort, "4c"), "an Adeunis frame starts with a frame code and a status byte; this one has 1 byte(s)");
  EXPECT_EQ(Error(Model::kPulse4, "4604000000010000"), "0x46 frame of the Adeunis Pulse 4 needs 14 bytes (with its timestamp), got 8");
  EXPECT_EQ(Error(Model::kComfortCo2, "6a0001b33e01"),
            "0x6a frame of the Adeunis Comfort CO2: 4 data byte(s) from byte 2 are not whole 5-byte samples");
  // Frames of another product: the wrong device type was registered.
  EXPECT_EQ(Error(Model::kComfort, "46800000009f00000002"),
            "0x46 frame is not a frame of the Adeunis Comfort (its data frames: 0x4c, 0x4d)");
  EXPECT_EQ(Error(Model::kPulse, "5a20000001270001"),
            "0x5a frame is not a frame of the Adeunis Pulse (its data frames: 0x46, 0x47, 0x48)");
}

TEST(AdeunisTest, RegisteredUnderTheCodecTypeNames) {
  DecoderRegistry reg;
  reg.LoadDirectories({});
  for (const char* name : {"adeunis-comfort", "adeunis-comfort2", "adeunis-comfortco2", "adeunis-comfort-co2",
                           "adeunis-temp", "adeunis-temp3", "adeunis-temp4", "adeunis-pulse", "adeunis-pulse3",
                           "Adeunis-Pulse4"}) {
    auto t = reg.Find(name);
    ASSERT_NE(t, nullptr) << name;
    EXPECT_STREQ(t->decoder->kind(), "native");
  }
}

}  // namespace
}  // namespace telecollect::decode
