#include "decode/declarative_decoder.h"

#include <gtest/gtest.h>

#include "decode/device_type.h"

namespace telecollect::decode {
namespace {

DeviceType MustLoad(const std::string& text) {
  auto dt = LoadDeclarativeSpec(text, "spec.toml");
  EXPECT_TRUE(dt.ok()) << dt.status().ToString();
  return dt.ok() ? std::move(dt).value() : DeviceType{};
}

std::map<std::string, double> DecodeMap(const DeviceType& dt, const std::string& hex, std::optional<int> fport = {}) {
  Bytes b = *DecodeHex(hex);
  auto r = dt.decoder->Decode({b, fport, 0});
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  std::map<std::string, double> m;
  if (r.ok()) for (auto& v : *r) m[v.field] = v.value;
  return m;
}

TEST(DeclarativeDecoderTest, IntegerTypesAndEndianness) {
  DeviceType dt = MustLoad(R"(
devicetype = "T"
[[variant]]
  [[variant.field]]
  name = "a"
  offset = 0
  type = "u16"
  [[variant.field]]
  name = "b"
  offset = 0
  type = "u16"
  endian = "little"
  [[variant.field]]
  name = "c"
  offset = 2
  type = "i24"
  [[variant.field]]
  name = "d"
  offset = 5
  type = "i8"
  [[variant.field]]
  name = "e"
  offset = 6
  type = "f32"
  [[variant.field]]
  name = "f"
  offset = 10
  type = "u32"
  endian = "little"
)");
  auto m = DecodeMap(dt, "0102" "fffffe" "80" "41480000" "78563412");
  EXPECT_EQ(m["a"], 0x0102);
  EXPECT_EQ(m["b"], 0x0201);
  EXPECT_EQ(m["c"], -2);
  EXPECT_EQ(m["d"], -128);
  EXPECT_EQ(m["e"], 12.5);
  EXPECT_EQ(m["f"], 0x12345678);
}

TEST(DeclarativeDecoderTest, BitFieldsScaleAddInvalid) {
  DeviceType dt = MustLoad(R"(
devicetype = "T"
[[variant]]
  [[variant.field]]
  name = "hi"
  offset = 0
  type = "u8"
  bit_offset = 4
  bits = 4
  [[variant.field]]
  name = "lo_signed"
  offset = 0
  type = "i8"
  bits = 4
  [[variant.field]]
  name = "t"
  offset = 1
  type = "i16"
  scale = 0.1
  add = -40
  [[variant.field]]
  name = "gone"
  offset = 3
  type = "u16"
  invalid = 0xFFFF
)");
  auto m = DecodeMap(dt, "a9" "01f4" "ffff");
  EXPECT_EQ(m["hi"], 0xa);
  EXPECT_EQ(m["lo_signed"], -7);
  EXPECT_DOUBLE_EQ(m["t"], 10.0);
  EXPECT_EQ(m.count("gone"), 0u);
}

TEST(DeclarativeDecoderTest, VariantSelectionByFportAndBytes) {
  DeviceType dt = MustLoad(R"(
devicetype = "T"
[[variant]]
fport = [1, 2]
first_byte = 0x10
  [[variant.field]]
  name = "x"
  offset = 1
  type = "u8"
[[variant]]
fport = 2
match = [{ offset = 0, value = 0x20, mask = 0xF0 }]
  [[variant.field]]
  name = "y"
  offset = 1
  type = "u8"
)");
  EXPECT_EQ(DecodeMap(dt, "1005", 1)["x"], 5);
  EXPECT_EQ(DecodeMap(dt, "2a07", 2)["y"], 7);
  Bytes b = *DecodeHex("3005");
  auto r = dt.decoder->Decode({b, 2, 0});
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("no layout matches this frame (fPort 2, first byte 0x30, 2 bytes)"), std::string::npos)
      << r.status().message();
  auto none = dt.decoder->Decode({b, std::nullopt, 0});
  EXPECT_FALSE(none.ok());
}

TEST(DeclarativeDecoderTest, ShortPayloadNamesTheLength) {
  DeviceType dt = MustLoad(R"(
devicetype = "T"
[[variant]]
  [[variant.field]]
  name = "x"
  offset = 2
  type = "u32"
)");
  Bytes b = *DecodeHex("0102");
  auto r = dt.decoder->Decode({b, {}, 0});
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("payload is 2 bytes"), std::string::npos) << r.status().message();
}

TEST(DeclarativeSpecTest, RejectsBadSpecsWithPlace) {
  struct Case { const char* text; const char* why; } cases[] = {
    {"devicetype = 'T'\n", "at least one [[variant]]"},
    {"[[variant]]\n", "\"devicetype\" is required"},
    {"devicetype='T'\n[[variant]]\n[[variant.field]]\nname='a'\noffset=0\ntype='u9'\n", "variant[0] field[0] (\"a\"): type \"u9\""},
    {"devicetype='T'\n[[variant]]\n[[variant.field]]\nname='a'\noffset=300\ntype='u8'\n", "\"offset\" must be in [0, 255]"},
    {"devicetype='T'\n[[variant]]\n[[variant.field]]\nname='a'\noffset=0\ntype='u8'\nbits=9\n", "\"bits\" must be in [1, 8]"},
    {"devicetype='T'\n[[variant]]\n[[variant.field]]\nname='a'\noffset=0\ntype='u8'\nbit_offset=6\nbits=4\n", "exceeds the 8-bit type"},
    {"devicetype='T'\n[[variant]]\n[[variant.field]]\nname='a'\noffset=0\ntype='f32'\nbits=4\n", "integer types only"},
    {"devicetype='T'\n[[variant]]\n[[variant.field]]\nname='a'\noffset=0\ntype='u8'\n[[variant.field]]\nname='a'\noffset=1\ntype='u8'\n", "duplicate field name"},
    {"devicetype='T'\n[[variant]]\n[[variant.field]]\nname='a b'\noffset=0\ntype='u8'\n", "\"name\" must be"},
    {"devicetype='T'\n[[variant]]\n[[variant.field]]\nname='a'\noffset=0\ntype='u8'\nscal=2\n", "unknown key \"scal\" (line 7)"},
    {"devicetype='T'\nmodule='{deviceid}'\n[[variant]]\n", "must contain {field}"},
    {"devicetype='T'\n[[variant]]\n[[test]]\npayload='0'\nexpect={}\n", "odd number"},
    {"devicetype='T'\n[[variant]]\n[[test]]\npayload='00'\n", "needs \"expect\" or \"expect_error\""},
    {"devicetype='T'\n[[variant\n", "spec.toml:2:"},
  };
  for (const auto& c : cases) {
    auto dt = LoadDeclarativeSpec(c.text, "spec.toml");
    ASSERT_FALSE(dt.ok()) << c.text;
    EXPECT_NE(dt.status().message().find(c.why), std::string::npos) << c.text << "\n→ " << dt.status().message();
  }
}

TEST(DeclarativeSpecTest, TestVectorsMustPass) {
  DeviceType dt = MustLoad(R"(
devicetype = "T"
[[variant]]
  [[variant.field]]
  name = "x"
  offset = 0
  type = "u8"
  scale = 0.5
[[test]]
payload = "04"
expect = { x = 2 }
[[test]]
payload = "04"
expect = { x = 3 }
[[test]]
payload = ""
expect_error = "needs at least 1"
)");
  Status s = RunTestVectors(dt);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("1 of 3 test vectors fail"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("test[1] payload 04:  x = 2, want 3"), std::string::npos) << s.message();
}

TEST(DeviceTypeTest, ModuleTemplate) {
  DeviceType dt;
  dt.name = "lht";
  EXPECT_EQ(dt.ModuleId("A1", "temperature"), "A1.temperature");
  dt.module_template = "{devicetype}/{deviceid}/{field}";
  EXPECT_EQ(dt.ModuleId("A1", "t"), "lht/A1/t");
  EXPECT_EQ(NormalizeDeviceType("  Dragino-LHT65 "), "dragino-lht65");
}

}  // namespace
}  // namespace telecollect::decode
