#include "decode/vendor_examples.h"

#include <gtest/gtest.h>

namespace telecollect::decode {
namespace {

// A codec file in the TTN device repository's format (written for this test).
constexpr const char* kCodec = R"(# Uplink decoder of a made-up sensor
uplinkDecoder:
  fileName: acme-th.js
  examples:
    - description: Periodic reading
      input:
        fPort: 2
        bytes: [0x01, 0xE1, 0x32, 255]
      output:
        data:
          temperature: 48.1
          humidity: 50
          heater: true
          mode: "eco"
          device_id: 17
          co2: {displayName: CO2, unit: ppm, value: 612}
          probes: [{t: -3.5}, {t: .5e1}]
        errors: []
        warnings: []
      normalizedOutput:
        data:
          - air:
              temperature: 48.1
              relativeHumidity: 50
          - battVolt: 3
    - description: 'Unknown port'
      input:
        fPort: 9
        bytes: []
      output:
        errors:
          - unknown FPort
)";

TEST(VendorExamples, TtnCodecYamlBecomesVectors) {
  auto v = ReadTtnExamplesYaml(kCodec, "acme-th-codec.yaml");
  ASSERT_TRUE(v.ok()) << v.status().message();
  ASSERT_EQ(v->size(), 2u);
  const TestVector& a = (*v)[0];
  EXPECT_EQ(a.description, "Periodic reading");
  EXPECT_EQ(a.fport, 2);
  EXPECT_EQ(a.payload, (Bytes{0x01, 0xE1, 0x32, 0xFF}));
  // Flattened as a script decoder's data is; device_id (an identifier) and strings left out;
  // the vocabulary values of normalizedOutput added (battVolt is outside it).
  const std::map<std::string, double> want = {{"temperature", 48.1}, {"humidity", 50},       {"heater", 1},
                                              {"co2", 612},          {"probes_0_t", -3.5},   {"probes_1_t", 5},
                                              {"air.temperature", 48.1}, {"air.relativeHumidity", 50}};
  EXPECT_EQ(a.expect, want);
  EXPECT_FALSE(a.subset);
  EXPECT_FALSE(a.tolerance);
  const TestVector& b = (*v)[1];
  EXPECT_EQ(b.fport, 9);
  EXPECT_TRUE(b.payload.empty());
  EXPECT_EQ(b.expect_error, "unknown FPort");

  // keep_identifiers keeps device_id; only = a subset check of those fields, with a tolerance.
  ExampleOptions o;
  o.keep_identifiers = true;
  EXPECT_EQ(ReadTtnExamplesYaml(kCodec, "c.yaml", o)->at(0).expect.count("device_id"), 1u);
  o.only = {"temperature", "co2"};
  o.tolerance = 0.05;
  auto some = ReadTtnExamplesYaml(kCodec, "c.yaml", o);
  ASSERT_TRUE(some.ok());
  EXPECT_EQ(some->at(0).expect, (std::map<std::string, double>{{"temperature", 48.1}, {"co2", 612}}));
  EXPECT_TRUE(some->at(0).subset);
  EXPECT_EQ(some->at(0).tolerance, 0.05);
}

TEST(VendorExamples, VectorsRunWithSubsetAndTolerance) {
  auto dt = LoadDeclarativeSpec(R"(devicetype = "acme-th"
[[variant]]
  [[variant.field]]
  name = "temperature"
  offset = 0
  type = "u16"
  scale = 0.1
  [[variant.field]]
  name = "humidity"
  offset = 2
  type = "u8"
)", "acme.toml");
  ASSERT_TRUE(dt.ok()) << dt.status().message();
  auto v = ReadExamplesJsonLines(
      "{\"fPort\": 2, \"bytes_hex\": \"01e132\", \"expected\": {\"data\": {\"temperature\": 48.12}}}\n", "x.jsonl");
  ASSERT_TRUE(v.ok()) << v.status().message();
  dt->tests = *v;
  Status exact = RunTestVectors(*dt);  // the exact set, no tolerance: humidity unexpected, 48.1 ≠ 48.12
  ASSERT_FALSE(exact.ok());
  EXPECT_NE(exact.message().find("temperature = 48.1, want 48.12;"), std::string::npos) << exact.message();
  EXPECT_NE(exact.message().find("unexpected humidity = 50;"), std::string::npos) << exact.message();
  ExampleOptions o;
  o.subset = true;
  o.tolerance = 0.05;
  dt->tests = *ReadExamplesJsonLines(
      "{\"fPort\": 2, \"bytes_hex\": \"01e132\", \"expected\": {\"data\": {\"temperature\": 48.12}}}\n", "x.jsonl", o);
  EXPECT_TRUE(RunTestVectors(*dt).ok()) << RunTestVectors(*dt).message();
  o.tolerance = 0.01;
  dt->tests = *ReadExamplesJsonLines(
      "{\"fPort\": 2, \"bytes_hex\": \"01e132\", \"expected\": {\"data\": {\"temperature\": 48.12}}}\n", "x.jsonl", o);
  Status tight = RunTestVectors(*dt);
  ASSERT_FALSE(tight.ok());
  EXPECT_NE(tight.message().find("temperature = 48.1, want 48.12 ± 0.01;"), std::string::npos) << tight.message();
}

TEST(VendorExamples, JsonLinesInEveryShape) {
  auto v = ReadExamplesJsonLines(
      "{\"vendor\": \"x\", \"fPort\": 1, \"bytes_hex\": \"0a\", \"expected\": {\"data\": {\"a\": 1}}}\n"
      "\n"
      "{\"description\": \"d\", \"input\": {\"fPort\": 3, \"bytes\": [1, 2]}, \"output\": {\"data\": {\"b\": 2}}}\r\n"
      "{\"fport\": 4, \"bytes\": \"ff00\", \"output\": {\"data\": null, \"errors\": [\"bad\"]}}\n",
      "v.jsonl");
  ASSERT_TRUE(v.ok()) << v.status().message();
  ASSERT_EQ(v->size(), 3u);
  EXPECT_EQ((*v)[0].expect.at("a"), 1);
  EXPECT_EQ((*v)[1].description, "d");
  EXPECT_EQ((*v)[1].payload, (Bytes{1, 2}));
  EXPECT_EQ((*v)[1].fport, 3);
  EXPECT_EQ((*v)[2].payload, (Bytes{0xff, 0x00}));
  EXPECT_EQ((*v)[2].expect_error, "bad");
}

std::string YamlError(const std::string& text) {
  auto v = ReadTtnExamplesYaml(text, "c.yaml");
  return v.ok() ? "" : v.status().message();
}

TEST(VendorExamples, BadExamplesNameTheLine) {
  EXPECT_EQ(YamlError("examples:\n  - input: {fPort: 1, bytes: [1, 256]}\n    output: {data: {}}\n"),
            "c.yaml:2: example 1: input.bytes[1] must be a byte (0..255)");
  EXPECT_EQ(YamlError("examples:\n  - input: {fPort: 1, bytes: [1]}\n    output: {data: {}}\n"
                      "  - input: {fPort: 300, bytes: [1]}\n    output: {data: {}}\n"),
            "c.yaml:4: example 2: input.fPort must be 0..255");
  EXPECT_EQ(YamlError("examples:\n  - input: {fPort: 1}\n    output: {data: {}}\n"), "c.yaml:2: example 1: input.bytes is missing");
  EXPECT_EQ(YamlError("examples:\n  - input: {bytes: [1]}\n"), "c.yaml:2: example 1: output (data, errors) is missing");
  EXPECT_EQ(YamlError("uplinkDecoder:\n  fileName: x.js\n"),
            "c.yaml:1: no examples: expected uplinkDecoder.examples (a TTN codec file), examples, or a list of examples");
  EXPECT_EQ(YamlError("examples:\n  - input: [\n").rfind("c.yaml:", 0), 0u);  // a YAML syntax error: its line
  EXPECT_NE(YamlError("examples:\n  - input: [\n").find("YAML"), std::string::npos);
}

TEST(VendorExamples, AliasesCannotExplodeOrLoop) {
  // An alias to its own ancestor, and a billion laughs: refused, bounded.
  EXPECT_NE(YamlError("examples:\n  - &a\n    input: {bytes: [1]}\n    output: {data: {x: *a}}\n"), "");
  std::string laughs = "a0: &a0 [1, 1, 1, 1, 1, 1, 1, 1, 1, 1]\n";
  for (int i = 1; i < 9; ++i) {
    laughs += "a" + std::to_string(i) + ": &a" + std::to_string(i) + " [";
    for (int j = 0; j < 10; ++j) laughs += (j ? ", *a" : "*a") + std::to_string(i - 1);
    laughs += "]\n";
  }
  laughs += "examples:\n  - input: {bytes: [1]}\n    output: {data: {x: *a8}}\n";
  EXPECT_NE(YamlError(laughs).find("too large once its aliases are expanded"), std::string::npos) << YamlError(laughs);
}

TEST(VendorExamples, TomlReadsBackToTheSameVectors) {
  ExampleOptions o;
  o.tolerance = 0.25;
  o.subset = true;
  auto v = ReadTtnExamplesYaml(kCodec, "c.yaml", o);
  ASSERT_TRUE(v.ok());
  const std::string toml = "devicetype = \"x\"\n[[variant]]\n" + VectorsToToml(*v);
  auto dt = LoadDeclarativeSpec(toml, "x.toml");
  ASSERT_TRUE(dt.ok()) << dt.status().message() << "\n" << toml;
  ASSERT_EQ(dt->tests.size(), v->size());
  for (size_t i = 0; i < v->size(); ++i) {
    EXPECT_EQ(dt->tests[i].payload, (*v)[i].payload);
    EXPECT_EQ(dt->tests[i].fport, (*v)[i].fport);
    EXPECT_EQ(dt->tests[i].expect, (*v)[i].expect);
    EXPECT_EQ(dt->tests[i].expect_error, (*v)[i].expect_error);
    EXPECT_EQ(dt->tests[i].description, (*v)[i].description);
    EXPECT_EQ(dt->tests[i].subset, (*v)[i].subset);
    EXPECT_EQ(dt->tests[i].tolerance, (*v)[i].tolerance);
  }
  EXPECT_NE(toml.find("\"air.temperature\" = 48.1"), std::string::npos) << toml;
}

}  // namespace
}  // namespace telecollect::decode
