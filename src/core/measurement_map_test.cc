#include "core/measurement_map.h"

#include <gtest/gtest.h>
#include <toml++/toml.h>

namespace telecollect {
namespace {

MeasurementMap Parse(const std::string& text) {
  auto m = ParseMeasurementMap(text, "m.toml");
  EXPECT_TRUE(m.ok()) << m.status().message();
  return m.ok() ? *m : MeasurementMap{};
}

std::string ErrorOf(const std::string& text) {
  auto m = ParseMeasurementMap(text, "m.toml");
  return m.ok() ? "" : m.status().message();
}

TEST(MeasurementMap, RenamesSetsUnitScalesAndOffsets) {
  MeasurementMap m = Parse(R"(map = " Acme-TH "
version = "2"
[field.temperature]
name = "air_temperature"
unit = "°C"
scale = 0.1
offset = -40
[field."values.energy"]
name = "energy"
unit = "kWh"
)");
  EXPECT_EQ(m.name, "acme-th");
  EXPECT_EQ(m.version, "2");
  std::string name = "temperature", unit;
  double v = 617;
  ASSERT_TRUE(m.Apply(name, v, unit));
  EXPECT_EQ(name, "air_temperature");
  EXPECT_EQ(unit, "°C");
  EXPECT_EQ(v, 21.7);  // 15 significant digits, not 21.700000000000003
  name = "values.energy";
  unit = "Wh";
  v = 3;
  ASSERT_TRUE(m.Apply(name, v, unit));
  EXPECT_EQ(name, "energy");
  EXPECT_EQ(unit, "kWh");
  EXPECT_EQ(v, 3);
  name = "humidity";  // no rule: as it was
  unit = "%";
  v = 40;
  ASSERT_TRUE(m.Apply(name, v, unit));
  EXPECT_EQ(name, "humidity");
  EXPECT_EQ(unit, "%");
}

TEST(MeasurementMap, KeepOnlyThenExcludeOnIncomingNamesWithPrefixes) {
  MeasurementMap m = Parse(R"(map = "x"
keep_only = ["temperature", "rssi*", "status"]
exclude = ["rssi_2", "status"]
[field.temperature]
name = "t"
)");
  EXPECT_TRUE(m.Keeps("temperature"));
  EXPECT_TRUE(m.Keeps("rssi_1"));
  EXPECT_FALSE(m.Keeps("rssi_2"));
  EXPECT_FALSE(m.Keeps("status"));
  EXPECT_FALSE(m.Keeps("humidity"));
  EXPECT_FALSE(m.Keeps("t"));  // the new name is not what keep_only lists
  std::string name = "humidity", unit;
  double v = 1;
  EXPECT_FALSE(m.Apply(name, v, unit));
}

TEST(MeasurementMap, BadMapsNameFileLineAndKey) {
  EXPECT_EQ(ErrorOf("version = \"1\"\n"), "m.toml:1: map is missing: a map file names itself with map = \"NAME\" "
                                          "(the device type it applies to, or the name a connector gives)");
  EXPECT_EQ(ErrorOf("map = \"x\"\n[field.temperature]\nscale = \"ten\"\n"),
            "m.toml:3: field.temperature.scale must be a number");
  EXPECT_EQ(ErrorOf("map = \"x\"\n\n[field.\"a.b\"]\nscale = 0\n"),
            "m.toml:4: field.\"a.b\".scale must not be 0 (to leave a measurement out, use exclude)");
  EXPECT_EQ(ErrorOf("map = \"x\"\n[field.t]\nrename = \"u\"\n"),
            "m.toml:3: field.t.rename is not a key of a field rule (name, unit, scale, offset)");
  EXPECT_EQ(ErrorOf("map = \"x\"\nkeep = [\"a\"]\n"),
            "m.toml:2: keep is not a map key (map, version, description, keep_only, exclude, field)");
  EXPECT_EQ(ErrorOf("map = \"x\"\nexclude = [\"a*b\"]\n"), "m.toml:2: exclude \"a*b\": '*' may only end a name (a prefix)");
  EXPECT_EQ(ErrorOf("map = \"x\"\nkeep_only = []\n"),
            "m.toml:2: keep_only is empty: it would keep nothing (leave it out to keep every name)");
  EXPECT_EQ(ErrorOf("map = \"x\"\n[field.a]\nname = \"c\"\n[field.b]\nname = \"c\"\n"),
            "m.toml: field.a and field.b both become \"c\"");
  EXPECT_EQ(ErrorOf("map = \"x\"\n[field.a]\nname = \"has space\"\n"),
            "m.toml:3: field.a.name must be 1 to 200 characters without spaces or control characters");
  EXPECT_EQ(ErrorOf("map = \"x\"\n[field]\na = 1\n"), "m.toml:3: field.a must be a table (name, unit, scale, offset)");
  EXPECT_EQ(ErrorOf("map = \"x\"\nfield = [\n").rfind("m.toml:", 0), 0u);  // a syntax error: file and line
}

TEST(MeasurementMap, InlineTableRefusesMapAndVersionAndNamesItsPrefix) {
  toml::table t = toml::parse("[map]\nexclude = [\"a\"]\n[map.field.b]\nunit = 3\n");
  auto m = ReadMeasurementMapTable(*t["map"].as_table(), "p.toml", "map");
  ASSERT_FALSE(m.ok());
  EXPECT_EQ(m.status().message(), "p.toml:4: map.field.b.unit must be a string");
  toml::table u = toml::parse("[map]\nversion = \"1\"\n");
  auto n = ReadMeasurementMapTable(*u["map"].as_table(), "p.toml", "map");
  ASSERT_FALSE(n.ok());
  EXPECT_EQ(n.status().message(), "p.toml:2: map.version is not a map key (description, keep_only, exclude, field)");
}

TEST(MeasurementMap, TellsMapFilesFromSpecs) {
  EXPECT_TRUE(LooksLikeMeasurementMap("map = \"acme-th\"\n"));
  EXPECT_FALSE(LooksLikeMeasurementMap("devicetype = \"acme-th\"\n"));
  EXPECT_FALSE(LooksLikeMeasurementMap("[map]\nexclude = []\n"));
  EXPECT_FALSE(LooksLikeMeasurementMap("map = \n"));
}

}  // namespace
}  // namespace telecollect
