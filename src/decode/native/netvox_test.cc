#include "decode/native/netvox.h"

#include <gtest/gtest.h>

#include <map>

#include "decode/native/dragino_lht65.h"
#include "decode/registry.h"

namespace telecollect::decode {
namespace {

std::map<std::string, double> Values(const Decoder& decoder, const char* hex, int fport) {
  Bytes bytes = *DecodeHex(hex);
  auto got = decoder.Decode({bytes, fport, 0});
  EXPECT_TRUE(got.ok()) << hex << ": " << got.status().message();
  std::map<std::string, double> out;
  if (got.ok()) for (const auto& v : *got) out[v.field] = v.value;
  return out;
}

std::string Error(const Decoder& decoder, const char* hex, int fport) {
  Bytes bytes = *DecodeHex(hex);
  auto got = decoder.Decode({bytes, fport, 0});
  EXPECT_FALSE(got.ok()) << hex;
  return got.ok() ? "" : got.status().message();
}

TEST(NetvoxTest, LowBatteryFlagNegativeTemperatureAndEmptySensorSlots) {
  NetvoxDecoder d;
  // R718A, battery byte 0xa4: low flag set, 3.6 V; -10.5 °C.
  EXPECT_EQ(Values(d, "010b01a4fbe61a90000000", 6),
            (std::map<std::string, double>{{"Volt", 3.6}, {"Temp", -10.5}, {"Humi", 68}}));
  // RA07 report 7: CO2 present, NH3 and noise slots empty.
  EXPECT_EQ(Values(d, "010507781388ffffffff00", 6), (std::map<std::string, double>{{"Volt", 12}, {"CO2", 500}}));
  // Configuration answers and version reports: nothing to store.
  EXPECT_TRUE(Values(d, "820b003c0e100100000000", 7).empty());
  EXPECT_TRUE(Values(d, "010b00640b202004240000", 6).empty());
}

TEST(NetvoxTest, ErrorsNameTheModelAndTheMissingBytes) {
  NetvoxDecoder d;
  EXPECT_EQ(Error(d, "010b0124", 6), "Netvox R718A report 0x01 needs 8 bytes, got 4");
  EXPECT_EQ(Error(d, "01fe0124", 6), "unknown Netvox device type 0xfe (byte 1)");
  EXPECT_EQ(Error(d, "0105ff78006400c802bc00", 6), "unknown air quality report type 0xff");
  EXPECT_EQ(Error(d, "010b01", 9), "fPort 9 is not a Netvox port (6 reports; 7, 13, 14 answers)");
}

TEST(NetvoxTest, ModelAliasesFindTheNativeDecoder) {
  DecoderRegistry reg;
  reg.LoadDirectories({});
  for (const char* name : {"netvox", "Netvox-R718DA", "netvox-r311w", "netvox-ra07", "netvox-r809a"}) {
    auto t = reg.Find(name);
    ASSERT_NE(t, nullptr) << name;
    EXPECT_EQ(t->name, "netvox");
  }
}

TEST(DraginoLht65Test, ExternalSensorModes) {
  DraginoLht65Decoder d;
  // Illumination sensor (mode 5): 300 lux.
  EXPECT_EQ(Values(d, "cbf60b0d037605012c0000", 2),
            (std::map<std::string, double>{{"battery_voltage", 3.062}, {"battery_status", 3}, {"temperature", 28.29},
                                           {"humidity", 88.6}, {"illuminance", 300}}));
  // 32-bit counting (mode 8).
  EXPECT_EQ(Values(d, "0bb8ff380258080001e240", 2)["count"], 123456);
  // DS18B20 marked not connected (bit 7): no ext_temperature.
  EXPECT_EQ(Values(d, "cbf60b0d0376810add7fff", 2).count("ext_temperature"), 0u);
  EXPECT_EQ(Error(d, "cbf60b0d0376410add7fff", 2), "datalog poll replies (byte 6 bit 6) are not decoded");
}

}  // namespace
}  // namespace telecollect::decode
