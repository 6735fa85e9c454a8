#include "decode/flatten.h"

#include <gtest/gtest.h>

#include <map>

namespace telecollect::decode {
namespace {

std::map<std::string, DecodedValue> ByField(const std::string& json) {
  auto r = FlattenJsonData(json);
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  std::map<std::string, DecodedValue> m;
  if (r.ok()) for (auto& v : *r) m[v.field] = v;
  return m;
}

TEST(FlattenTest, AValueWithUnitObjectIsOneMeasurementNamedAfterItsKey) {
  // The Decentlab shape: {displayName, unit, value}, and a bare {value, unit}.
  auto m = ByField(R"({"air_temperature": {"displayName": "Air temperature", "unit": "°C", "value": 21.5},
                       "co2_concentration": {"value": 612, "unit": "ppm"},
                       "battery_voltage": {"displayName": "Battery voltage", "value": 3.1}})");
  ASSERT_EQ(m.size(), 3u);
  EXPECT_EQ(m["air_temperature"].value, 21.5);
  EXPECT_EQ(m["air_temperature"].unit, "°C");
  EXPECT_EQ(m["co2_concentration"].unit, "ppm");
  EXPECT_EQ(m["battery_voltage"].unit, "");
  EXPECT_EQ(m.count("air_temperature_value"), 0u);
}

TEST(FlattenTest, AnObjectWithOtherNumbersIsWalkedAsBefore) {
  auto m = ByField(R"({"ch": {"value": 3, "count": 4}, "list": [{"value": 1, "unit": "V"}]})");
  EXPECT_EQ(m.count("ch_value"), 1u);
  EXPECT_EQ(m.count("ch_count"), 1u);
  EXPECT_EQ(m["list_0"].unit, "V");  // array items are named by their index
}

TEST(FlattenTest, IdentifiersVersionsAndMetadataAreMarked) {
  auto m = ByField(R"({"device_id": 4711, "protocol_version": 2, "deviceId": 3, "firmwareVersion": 12,
                       "humidity": 40, "valid": true, "meta": {"frame_count": 12},
                       "serial": {"value": 99, "unit": ""}})");
  EXPECT_TRUE(m["device_id"].identifier);
  EXPECT_TRUE(m["protocol_version"].identifier);
  EXPECT_TRUE(m["deviceId"].identifier);
  EXPECT_TRUE(m["firmwareVersion"].identifier);
  EXPECT_TRUE(m["meta_frame_count"].identifier);
  EXPECT_TRUE(m["serial"].identifier);
  EXPECT_FALSE(m["humidity"].identifier);  // ends in "id" but is no identifier
  EXPECT_FALSE(m["valid"].identifier);
}

TEST(FlattenTest, IdentifierKeys) {
  for (const char* k : {"id", "device_id", "dev_eui", "DevEUI", "sensorId", "protocol_version", "fw_ver", "HW-Version"}) {
    EXPECT_TRUE(IsIdentifierKey(k)) << k;
  }
  for (const char* k : {"humid", "liquid", "valid", "temperature", "co2", "battery_voltage"}) {
    EXPECT_FALSE(IsIdentifierKey(k)) << k;
  }
}

}  // namespace
}  // namespace telecollect::decode
