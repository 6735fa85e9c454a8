#include "push/decoder_catalog.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "decode/decode_frame.h"
#include "store/store_test_util.h"

namespace telecollect::push {
namespace {

std::string Spec(const std::string& version, double scale, const std::string& expect) {
  return "devicetype = 'acme-t'\nversion = '" + version + "'\n[[variant]]\n[[variant.field]]\nname = 't'\noffset = 0\n"
         "type = 'u8'\nscale = " + std::to_string(scale) + "\n[[test]]\npayload = '0a'\nexpect = { t = " + expect + " }\n";
}

double DecodeOne(const decode::DecoderRegistry& reg, const Scope& scope) {
  Frame f;
  f.device_id = "D";
  f.device_type = "acme-t";
  f.payload = {10};
  auto d = decode::DecodeFrame(reg, scope, f);
  return d.status == DecodeStatus::kDecoded ? d.measurements.at(0).value : -1;
}

TEST(DecoderCatalogTest, UploadActivateRollBackPerScope) {
  store::TempDir dir;
  auto s = store::OpenSqliteStore(dir.path() + "/c.db");
  ASSERT_TRUE(s.ok());
  store::Store& st = **s;
  decode::DecoderRegistry reg;
  reg.LoadDirectories({});
  const Scope preprod{"acme", Env::kPreprod}, prod{"acme", Env::kProd};

  auto v1 = UploadDecoderVersion(st, reg, preprod, Spec("1", 1, "10"), "", "acme-t", true, 1000);
  ASSERT_TRUE(v1.ok()) << v1.status().ToString();
  EXPECT_TRUE(v1->activated);
  EXPECT_EQ(DecodeOne(reg, preprod), 10);
  EXPECT_EQ(DecodeOne(reg, prod), -1);  // prod has no decoder for it yet

  // Version 2 uploaded, not active; then active; then back to 1.
  ASSERT_TRUE(UploadDecoderVersion(st, reg, preprod, Spec("2", 0.5, "5"), "", "", false, 2000).ok());
  EXPECT_EQ(DecodeOne(reg, preprod), 10);
  ASSERT_TRUE(ActivateDecoderVersion(st, reg, preprod, "acme-t", "2", 3000).ok());
  EXPECT_EQ(DecodeOne(reg, preprod), 5);
  ASSERT_TRUE(ActivateDecoderVersion(st, reg, preprod, "ACME-T", "1", 4000).ok());
  EXPECT_EQ(DecodeOne(reg, preprod), 10);

  auto listed = st.ListDecoderVersions(preprod, "acme-t", false);
  ASSERT_TRUE(listed.ok());
  ASSERT_EQ(listed->size(), 2u);
  EXPECT_TRUE((*listed)[0].activated_at.has_value());
  EXPECT_FALSE((*listed)[1].activated_at.has_value());

  // A fresh registry (another server) sees the same active versions.
  decode::DecoderRegistry other;
  auto problems = LoadActiveDecoderVersions(st, other);
  ASSERT_TRUE(problems.ok());
  EXPECT_TRUE(problems->empty());
  EXPECT_EQ(DecodeOne(other, preprod), 10);

  // None active: the shared table applies again (here: no decoder).
  ASSERT_TRUE(ActivateDecoderVersion(st, reg, preprod, "acme-t", "", 5000).ok());
  EXPECT_EQ(DecodeOne(reg, preprod), -1);
}

TEST(DecoderCatalogTest, RefusedUploadsStoreNothing) {
  store::TempDir dir;
  auto s = store::OpenSqliteStore(dir.path() + "/c.db");
  ASSERT_TRUE(s.ok());
  store::Store& st = **s;
  decode::DecoderRegistry reg;
  const Scope scope{"acme", Env::kPreprod};

  auto failing = UploadDecoderVersion(st, reg, scope, Spec("1", 1, "11"), "", "", true, 1);
  ASSERT_FALSE(failing.ok());
  EXPECT_NE(failing.status().message().find("test"), std::string::npos) << failing.status().message();
  auto wrong_type = UploadDecoderVersion(st, reg, scope, Spec("1", 1, "10"), "", "other-t", true, 1);
  EXPECT_EQ(wrong_type.status().message(), "upload:acme/preprod/other-t: the spec is for device type \"acme-t\", not \"other-t\"");
  auto no_tests = UploadDecoderVersion(st, reg, scope, "devicetype='x'\n[[variant]]\n", "", "", true, 1);
  EXPECT_FALSE(no_tests.ok());
  auto script_without_script = UploadDecoderVersion(st, reg, scope, "devicetype='x'\nkind='script'\nscript='x.js'\n", "", "", true, 1);
  EXPECT_FALSE(script_without_script.ok());
  EXPECT_TRUE(st.ListDecoderVersions(std::nullopt, "", false)->empty());

  // Same version, same content: accepted again; other content: refused.
  ASSERT_TRUE(UploadDecoderVersion(st, reg, scope, Spec("1", 1, "10"), "", "", false, 1).ok());
  ASSERT_TRUE(UploadDecoderVersion(st, reg, scope, Spec("1", 1, "10"), "", "", false, 2).ok());
  auto changed = UploadDecoderVersion(st, reg, scope, Spec("1", 2, "20"), "", "", false, 3);
  EXPECT_EQ(changed.status().code(), StatusCode::kAlreadyExists);
  EXPECT_EQ(ActivateDecoderVersion(st, reg, scope, "acme-t", "9", 4).code(), StatusCode::kNotFound);
}

// Measurement maps are versioned as the device type "map:NAME", and DecodeFrame
// applies the active one after the decoder; redecode gives the journaled
// frames the new names, values and units.
TEST(DecoderCatalogTest, MeasurementMapVersionsApplyAfterTheDecoderAndRedecode) {
  store::TempDir dir;
  auto s = store::OpenSqliteStore(dir.path() + "/c.db");
  ASSERT_TRUE(s.ok());
  store::Store& st = **s;
  decode::DecoderRegistry reg;
  reg.LoadDirectories({});
  const Scope preprod{"acme", Env::kPreprod}, prod{"acme", Env::kProd};
  ASSERT_TRUE(UploadDecoderVersion(st, reg, preprod, Spec("1", 1, "10"), "", "", true, 1).ok());
  ASSERT_TRUE(UploadDecoderVersion(st, reg, prod, Spec("1", 1, "10"), "", "", true, 1).ok());

  const std::string map1 = "map = 'acme-t'\nversion = 'a'\n[field.t]\nname = 'temperature'\nunit = '°C'\nscale = 0.5\n";
  auto up = UploadDecoderVersion(st, reg, preprod, map1, "", "map:acme-t", true, 2);
  ASSERT_TRUE(up.ok()) << up.status().ToString();
  EXPECT_EQ(up->device_type, "map:acme-t");
  EXPECT_EQ(up->kind, "map");
  Frame f;
  f.device_id = "D";
  f.device_type = "acme-t";
  f.payload = {10};
  auto d = decode::DecodeFrame(reg, preprod, f);
  ASSERT_EQ(d.measurements.size(), 1u);
  EXPECT_EQ(d.measurements[0].module, "D.temperature");
  EXPECT_EQ(d.measurements[0].value, 5);
  EXPECT_EQ(d.measurements[0].unit, "°C");
  EXPECT_EQ(decode::DecodeFrame(reg, prod, f).measurements.at(0).module, "D.t");  // prod has no map

  // A bad map is refused with its line and key, and nothing is stored.
  auto bad = UploadDecoderVersion(st, reg, preprod, "map = 'acme-t'\nversion = 'b'\n[field.t]\nscale = 'x'\n", "", "", true, 3);
  EXPECT_EQ(bad.status().message(), "upload:acme/preprod/map:4: field.t.scale must be a number");
  EXPECT_EQ(st.ListDecoderVersions(preprod, "map:acme-t", false)->size(), 1u);
  auto wrong = UploadDecoderVersion(st, reg, preprod, map1, "", "acme-t", true, 3);
  EXPECT_FALSE(wrong.ok());

  // Version b excludes t: activated, the frame decodes to nothing; rolled back to a.
  ASSERT_TRUE(UploadDecoderVersion(st, reg, preprod, "map = 'acme-t'\nversion = 'b'\nexclude = ['t']\n", "", "", false, 4).ok());
  EXPECT_EQ(decode::DecodeFrame(reg, preprod, f).measurements.size(), 1u);
  ASSERT_TRUE(ActivateDecoderVersion(st, reg, preprod, "map:acme-t", "b", 5).ok());
  EXPECT_EQ(decode::DecodeFrame(reg, preprod, f).measurements.size(), 0u);
  decode::DecoderRegistry other;  // another server loads the same active map
  ASSERT_TRUE(LoadActiveDecoderVersions(st, other).ok());
  EXPECT_EQ(decode::DecodeFrame(other, preprod, f).measurements.size(), 0u);
  ASSERT_TRUE(ActivateDecoderVersion(st, reg, preprod, "map:acme-t", "a", 6).ok());
  EXPECT_EQ(decode::DecodeFrame(reg, preprod, f).measurements.at(0).module, "D.temperature");
  ASSERT_TRUE(ActivateDecoderVersion(st, reg, preprod, "map:acme-t", "", 7).ok());
  EXPECT_EQ(decode::DecodeFrame(reg, preprod, f).measurements.at(0).module, "D.t");
  // A decoder may not take the maps' names.
  auto named_map = UploadDecoderVersion(st, reg, preprod, "devicetype = 'map:x'\n[[variant]]\n[[test]]\npayload = '00'\nexpect = {}\n", "", "", false, 8);
  EXPECT_NE(named_map.status().message().find("may not start with \"map:\""), std::string::npos) << named_map.status().message();
}

TEST(DecoderCatalogTest, SharedMapsFromTheMapsFolderOfDecoderDirectories) {
  store::TempDir dir;
  std::filesystem::create_directories(dir.path() + "/maps");
  {
    std::ofstream(dir.path() + "/acme.toml") << Spec("1", 1, "10");
    std::ofstream(dir.path() + "/maps/acme.toml") << "map = 'acme-t'\nkeep_only = ['x']\n";
    std::ofstream(dir.path() + "/maps/bad.toml") << "map = 'other'\n\nexclude = 'x'\n";
  }
  decode::DecoderRegistry reg;
  auto report = reg.LoadDirectories({dir.path()});
  ASSERT_EQ(report.rejected.size(), 1u);
  EXPECT_EQ(report.rejected[0].second, dir.path() + "/maps/bad.toml:3: exclude must be an array of names");
  Frame f;
  f.device_id = "D";
  f.device_type = "acme-t";
  f.payload = {10};
  EXPECT_EQ(decode::DecodeFrame(reg, {"acme", Env::kProd}, f).measurements.size(), 0u);  // keep_only x: t is left out
}

}  // namespace
}  // namespace telecollect::push
