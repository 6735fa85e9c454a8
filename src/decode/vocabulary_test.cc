#include "decode/vocabulary.h"

#include <gtest/gtest.h>

#include <map>

namespace telecollect::decode {
namespace {

struct Normalized {
  std::map<std::string, DecodedValue> values;
  std::vector<std::string> notes;
};

Normalized Normalize(const std::string& json) {
  simdjson::dom::parser parser;
  simdjson::dom::element e = parser.parse(json).value();
  std::vector<DecodedValue> out;
  Normalized n;
  NormalizedToValues(e, out, n.notes);
  for (auto& v : out) n.values[v.field + (v.at ? "@" + std::to_string(v.at) : "")] = v;
  return n;
}

TEST(VocabularyTest, NormalizedMeasurementsGetTheVocabularyNamesAndUnits) {
  auto n = Normalize(R"({"air": {"temperature": 21.5, "relativeHumidity": 40, "co2": 612, "location": "indoor"},
                   "battery": 3.6, "water": {"leak": "true"}, "action": {"contactState": "closed"}})");
  EXPECT_TRUE(n.notes.empty()) << n.notes[0];
  EXPECT_EQ(n.values["air.temperature"].unit, "°C");
  EXPECT_EQ(n.values["air.relativeHumidity"].unit, "%");
  EXPECT_EQ(n.values["air.co2"].unit, "ppm");
  EXPECT_EQ(n.values["battery"].unit, "V");
  EXPECT_EQ(n.values["water.leak"].value, 1);
  EXPECT_EQ(n.values["action.contactState"].value, 0);
  EXPECT_EQ(n.values.size(), 6u);
}

TEST(VocabularyTest, OutOfRangeAndUnknownFieldsAreLeftOutWithAWarning) {
  auto n = Normalize(R"({"air": {"relativeHumidity": 104, "pressure": 1013}, "mood": 3})");
  EXPECT_EQ(n.values.size(), 1u);
  EXPECT_EQ(n.values["air.pressure"].value, 1013);
  ASSERT_EQ(n.notes.size(), 2u);
  EXPECT_EQ(n.notes[0], "air.relativeHumidity = 104 is out of its range: left out");
  EXPECT_EQ(n.notes[1], "mood is not in the normalized payload vocabulary: left out");
}

TEST(VocabularyTest, AnArrayOfMeasurementsKeepsEachTime) {
  auto n = Normalize(R"([{"time": "2026-01-01T00:00:00Z", "air": {"temperature": 20}},
                   {"time": "2026-01-01T00:10:00Z", "air": {"temperature": 21}}])");
  ASSERT_EQ(n.values.size(), 2u);
  EXPECT_EQ(n.values["air.temperature@1767225600000"].value, 20);
  EXPECT_EQ(n.values["air.temperature@1767226200000"].value, 21);
}

TEST(VocabularyTest, NativeFieldsGetTheirVocabularyNames) {
  std::vector<DecodedValue> v = {{"temperature", 21.5, "°C"}, {"vdd", 3600, "mV"}, {"x", 1, ""}};
  AddVocabularyNames(NativeFamily("elsys-ers-co2"), v);
  ASSERT_EQ(v.size(), 5u);
  EXPECT_EQ(v[3].field, "air.temperature");
  EXPECT_EQ(v[4].field, "battery");
  EXPECT_DOUBLE_EQ(v[4].value, 3.6);
  EXPECT_EQ(v[4].unit, "V");
  EXPECT_EQ(NativeFamily("acme-th"), "");
}

}  // namespace
}  // namespace telecollect::decode
