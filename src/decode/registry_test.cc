#include "decode/registry.h"

#include "decode/decode_frame.h"

#include "decode/native/native_types.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

namespace telecollect::decode {
namespace {

std::string SourceDir() {
  const char* d = std::getenv("TELECOLLECT_SOURCE_DIR");
  return d ? d : ".";
}

TEST(RegistryTest, ShippedDecodersLoadAndPassTheirVectors) {
  DecoderRegistry reg;
  LoadReport report = reg.LoadDirectories({SourceDir() + "/decoders"});
  for (const auto& [file, why] : report.rejected) ADD_FAILURE() << file << ": " << why;
  ASSERT_GE(report.active.size(), 2u);
  auto lht = reg.Find(" Dragino-LHT65");
  ASSERT_NE(lht, nullptr);
  Bytes b = *DecodeHex("cbf60b0d0376010add7fff");
  auto values = lht->decoder->Decode({b, 2, 0});
  ASSERT_TRUE(values.ok());
  EXPECT_EQ(values->size(), 5u);
  EXPECT_NE(reg.Find("netvox-r718a"), nullptr);
  EXPECT_EQ(reg.Find("nope"), nullptr);
}

TEST(RegistryTest, NativeDecodersAddTheVocabularyNamesWhenAskedTo) {
  Frame f;
  f.device_id = "d";
  f.device_type = "dragino-lht65";
  f.payload = *DecodeHex("cbf60b0d0376010add7fff");
  f.fport = 2;
  for (bool vocabulary : {false, true}) {
    DecoderRegistry reg({}, vocabulary);
    reg.LoadDirectories({});
    FrameDecoding d = DecodeFrame(reg, Scope{"t", Env::kPreprod}, f);
    std::map<std::string, Measurement> m;
    for (auto& x : d.measurements) m[x.module] = x;
    EXPECT_EQ(m.size(), vocabulary ? 8u : 5u);
    EXPECT_EQ(m.count("d.air.temperature"), vocabulary ? 1u : 0u);
    if (vocabulary) {
      EXPECT_DOUBLE_EQ(m["d.air.temperature"].value, 28.29);
      EXPECT_EQ(m["d.air.relativeHumidity"].unit, "%");
      EXPECT_DOUBLE_EQ(m["d.battery"].value, 3.062);
      EXPECT_EQ(m["d.battery"].unit, "V");
    }
  }
}

TEST(RegistryTest, FailingVectorsKeepASpecInactive) {
  namespace fs = std::filesystem;
  fs::path dir = fs::temp_directory_path() / ("tc_registry_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  std::ofstream(dir / "bad.toml") << "devicetype='bad'\n[[variant]]\n[[variant.field]]\nname='x'\noffset=0\ntype='u8'\n"
                                     "[[test]]\npayload='01'\nexpect={x=2}\n";
  std::ofstream(dir / "good.toml") << "devicetype='good'\n[[variant]]\n[[variant.field]]\nname='x'\noffset=0\ntype='u8'\n";
  std::ofstream(dir / "broken.toml") << "devicetype='broken'\n[[variant\n";
  DecoderRegistry reg;
  LoadReport report = reg.LoadDirectories({dir.string(), (dir / "missing").string()});
  EXPECT_EQ(report.active.size(), 1u + NativeDeviceTypes().size());  // good.toml and the native types
  EXPECT_EQ(report.rejected.size(), 2u);
  EXPECT_EQ(reg.Find("bad"), nullptr);
  EXPECT_NE(reg.Find("good"), nullptr);
  fs::remove_all(dir);
}

}  // namespace
}  // namespace telecollect::decode
