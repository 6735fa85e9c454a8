// Every vendor example (TTN device repository, ../shared/testdata/ttn-vectors,
// copied to src/decode/testdata/) of the devices decoded natively: the values
// stored must be the vendor decoder's output, field for field.
//
// The vendor output is turned into the measurements it stands for by these
// rules, the same for every vendor:
//   - numbers are measurements (booleans are 1/0);
//   - state words are 1/0: Leak/NoLeak, ON/OFF, Alarm/No alarm, Warning/No warning;
//   - "NoSensor" (an empty sensor slot) is no measurement;
//   - other strings (model names, command names, "Success") are not measurements;
//   - a vendor error ("unknown FPort") must be an error here too;
//   - frames a decoder documents as carrying nothing to store (Netvox firmware
//     version reports and configuration answers) must decode to nothing.
#include <gtest/gtest.h>
#include <simdjson.h>

#include <cmath>
#include <cstdlib>
#include <functional>
#include <map>

#include "decode/native/dragino_lht65.h"
#include "decode/native/elsys.h"
#include "decode/native/milesight.h"
#include "decode/native/netvox.h"

namespace telecollect::decode {
namespace {

std::string SourceDir() {
  const char* d = std::getenv("TELECOLLECT_SOURCE_DIR");
  return d ? d : ".";
}

const std::map<std::string, double, std::less<>> kStateWords = {
    {"Leak", 1}, {"NoLeak", 0}, {"ON", 1}, {"OFF", 0}, {"Alarm", 1}, {"No alarm", 0}, {"Warning", 1}, {"No warning", 0}};

struct VectorRules {
  // True for frames that carry nothing to store.
  std::function<bool(int fport, const Bytes& bytes)> stores_nothing = [](int, const Bytes&) { return false; };
  // Keys misspelled in the vendor's example, and the name the decoder gives them.
  std::map<std::string, std::string, std::less<>> renamed;
};

std::map<std::string, double> ExpectedMeasurements(simdjson::dom::object data, const VectorRules& rules) {
  std::map<std::string, double> out;
  for (auto [key, value] : data) {
    std::string name(key);
    if (auto r = rules.renamed.find(name); r != rules.renamed.end()) name = r->second;
    if (value.is_number()) {
      out[name] = value.is_double() ? value.get_double().value()
                  : value.is_int64() ? static_cast<double>(value.get_int64().value())
                                     : static_cast<double>(value.get_uint64().value());
    } else if (value.is_bool()) {
      out[name] = value.get_bool().value() ? 1 : 0;
    } else if (value.is_string()) {
      auto word = kStateWords.find(value.get_string().value());
      if (word != kStateWords.end()) out[name] = word->second;
    } else {
      ADD_FAILURE() << key << ": nested values are not expected in these vendors' examples";
    }
  }
  return out;
}

// Returns how many vectors of `file` were checked.
int CheckVectors(const Decoder& decoder, const std::string& file, const VectorRules& rules = {}) {
  simdjson::dom::parser parser;
  simdjson::dom::document_stream stream;
  EXPECT_EQ(parser.load_many(SourceDir() + "/src/decode/testdata/" + file).get(stream), simdjson::SUCCESS) << file;
  int checked = 0;
  for (auto doc : stream) {
    simdjson::dom::element v = doc.value();
    const std::string hex(v["bytes_hex"].get_string().value());
    const int fport = static_cast<int>(v["fPort"].get_int64().value());
    Bytes bytes = *DecodeHex(hex);
    ++checked;
    auto got = decoder.Decode({bytes, fport, 0});
    simdjson::dom::array errors;
    if (v["expected"]["errors"].get_array().get(errors) == simdjson::SUCCESS && errors.size() > 0) {
      EXPECT_FALSE(got.ok()) << hex << " (fPort " << fport << "): the vendor's decoder fails, this one decodes";
      continue;
    }
    EXPECT_TRUE(got.ok()) << hex << ": " << got.status().ToString();
    if (!got.ok()) continue;
    std::map<std::string, double> values;
    for (const auto& d : *got) values[d.field] = d.value;
    std::map<std::string, double> expected;
    if (!rules.stores_nothing(fport, bytes)) expected = ExpectedMeasurements(v["expected"]["data"].get_object().value(), rules);
    for (const auto& [key, w] : expected) {
      auto it = values.find(key);
      EXPECT_NE(it, values.end()) << hex << " (fPort " << fport << "): missing " << key;
      if (it == values.end()) continue;
      EXPECT_NEAR(it->second, w, 1e-6 * std::max(1.0, std::fabs(w))) << hex << ": " << key;
    }
    for (const auto& [key, value] : values) {
      EXPECT_TRUE(expected.count(key)) << hex << " (fPort " << fport << "): " << key << " = " << value
                                       << " is not in the vendor's output";
    }
  }
  return checked;
}

TEST(VendorVectorsTest, Elsys) { EXPECT_EQ(CheckVectors(ElsysDecoder(), "elsys_vectors.jsonl"), 13); }
TEST(VendorVectorsTest, Milesight) { EXPECT_EQ(CheckVectors(MilesightDecoder(), "milesight_vectors.jsonl"), 3); }

TEST(VendorVectorsTest, DraginoLht65) {
  VectorRules rules;
  // telecollect's names for the LHT65 (those of its first declarative spec, kept for stored modules).
  rules.renamed = {{"BatV", "battery_voltage"}, {"Bat_status", "battery_status"}, {"TempC_SHT", "temperature"},
                   {"Hum_SHT", "humidity"}, {"TempC_DS", "ext_temperature"}};
  EXPECT_EQ(CheckVectors(DraginoLht65Decoder(), "dragino_lht65_vectors.jsonl", rules), 2);
}

TEST(VendorVectorsTest, Netvox) {
  VectorRules rules;
  // Firmware version reports (fPort 6, report type 0) and answers to configuration commands.
  rules.stores_nothing = [](int fport, const Bytes& b) { return fport != 6 || (b.size() > 2 && b[2] == 0); };
  // The RA07/R726 examples name the third gas of report 5 "false"; Netvox's documents call it NO.
  rules.renamed = {{"false", "NO"}};
  EXPECT_EQ(CheckVectors(NetvoxDecoder(), "netvox_vectors.jsonl", rules), 393);
}

}  // namespace
}  // namespace telecollect::decode
