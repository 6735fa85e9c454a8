// Every vendor example (TTN device repository) of the devices decoded natively:
// the decoded values must equal the vendor decoder's output, field for field.
#include <gtest/gtest.h>
#include <simdjson.h>

#include <cmath>
#include <cstdlib>
#include <map>

#include "decode/native/elsys.h"
#include "decode/native/milesight.h"

namespace telecollect::decode {
namespace {

std::string SourceDir() {
  const char* d = std::getenv("TELECOLLECT_SOURCE_DIR");
  return d ? d : ".";
}

// Returns how many vectors of `file` were checked.
int CheckVectors(const Decoder& decoder, const std::string& file) {
  simdjson::dom::parser parser;
  simdjson::dom::document_stream stream;
  EXPECT_EQ(parser.load_many(SourceDir() + "/src/decode/testdata/" + file).get(stream), simdjson::SUCCESS) << file;
  int checked = 0;
  for (auto doc : stream) {
    simdjson::dom::element v = doc.value();
    const std::string hex(v["bytes_hex"].get_string().value());
    Bytes bytes = *DecodeHex(hex);
    auto got = decoder.Decode({bytes, static_cast<int>(v["fPort"].get_int64().value()), 0});
    EXPECT_TRUE(got.ok()) << hex << ": " << got.status().ToString();
    if (!got.ok()) continue;
    std::map<std::string, double> values;
    for (const auto& d : *got) values[d.field] = d.value;
    size_t n = 0;
    const simdjson::dom::object expected = v["expected"]["data"].get_object().value();
    for (auto [key, want] : expected) {
      ++n;
      auto it = values.find(std::string(key));
      EXPECT_NE(it, values.end()) << hex << ": missing " << key;
      if (it == values.end()) continue;
      const double w = want.is_double() ? want.get_double().value() : static_cast<double>(want.get_int64().value());
      EXPECT_NEAR(it->second, w, 1e-6 * std::max(1.0, std::fabs(w))) << hex << ": " << key;
    }
    EXPECT_EQ(n, values.size()) << hex << ": decoded fields the vendor does not";
    ++checked;
  }
  return checked;
}

TEST(VendorVectorsTest, Elsys) { EXPECT_EQ(CheckVectors(ElsysDecoder(), "elsys_vectors.jsonl"), 13); }
TEST(VendorVectorsTest, Milesight) { EXPECT_EQ(CheckVectors(MilesightDecoder(), "milesight_vectors.jsonl"), 3); }

}  // namespace
}  // namespace telecollect::decode
