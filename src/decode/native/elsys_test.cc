#include "decode/native/elsys.h"

#include <gtest/gtest.h>
#include <simdjson.h>

#include <cmath>
#include <cstdlib>
#include <map>

#include "decode/registry.h"

namespace telecollect::decode {
namespace {

std::string SourceDir() {
  const char* d = std::getenv("TELECOLLECT_SOURCE_DIR");
  return d ? d : ".";
}

// Every Elsys example of the TTN device repository (testdata/elsys_vectors.jsonl):
// the decoded values must equal the vendor decoder's output, field for field.
TEST(ElsysTest, VendorVectors) {
  simdjson::dom::parser parser;
  simdjson::dom::document_stream stream;
  ASSERT_EQ(parser.load_many(SourceDir() + "/src/decode/testdata/elsys_vectors.jsonl").get(stream), simdjson::SUCCESS);
  ElsysDecoder decoder;
  int checked = 0;
  for (auto doc : stream) {
    simdjson::dom::element v = doc.value();
    std::string_view hex = v["bytes_hex"].get_string().value();
    const int64_t fport = v["fPort"].get_int64().value();
    Bytes bytes = *DecodeHex(hex);
    auto got = decoder.Decode({bytes, static_cast<int>(fport), 0});
    ASSERT_TRUE(got.ok()) << hex << ": " << got.status().ToString();
    std::map<std::string, double> values;
    for (const auto& d : *got) values[d.field] = d.value;
    simdjson::dom::object expected = v["expected"]["data"].get_object().value();
    size_t n = 0;
    for (auto [key, want] : expected) {
      ++n;
      auto it = values.find(std::string(key));
      ASSERT_NE(it, values.end()) << hex << ": missing " << key;
      double w = 0;
      if (want.is_double()) w = want.get_double().value();
      else if (want.is_int64()) w = static_cast<double>(want.get_int64().value());
      else FAIL() << hex << ": " << key << " is not a number";
      EXPECT_NEAR(it->second, w, 1e-6 * std::max(1.0, std::fabs(w))) << hex << ": " << key;
    }
    EXPECT_EQ(n, values.size()) << hex << ": decoded fields the vendor does not";
    ++checked;
  }
  EXPECT_EQ(checked, 13);
}

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
