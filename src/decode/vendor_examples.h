#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "decode/device_type.h"

namespace telecollect::decode {

// A vendor's published examples, read as test vectors (docs/decoders.md
// "Vendor examples as vectors"). Two formats:
//   - The Things Network device repository's codec YAML: `uplinkDecoder:
//     examples:` (or a top-level `examples:`, or a bare list), each example
//     `{description, input: {bytes: [..], fPort}, output: {data, errors,
//     warnings}, normalizedOutput: {data}}`;
//   - JSON lines, one example a line: the same object, or `{fPort, bytes_hex
//     (or bytes: [..] / "hex"), expected (or output), normalizedOutput,
//     description}` (the shape of ttn-vectors/uplink-vectors.jsonl).
// An example's expected measurements are its output `data` flattened as a
// script decoder's is (decode/flatten.h: `{value, unit}` objects, booleans
// 1/0, strings left out, identifiers left out unless `keep_identifiers`),
// plus the vocabulary values of `normalizedOutput` (vocabulary.h). Non-empty
// `errors` make the vector expect that error (its first one). `warnings` are
// not checked.
struct ExampleOptions {
  bool keep_identifiers = false;   // the spec's keep_identifiers
  std::vector<std::string> only;   // keep only these fields (then the vector is a subset check)
  bool subset = false;             // extra decoder fields pass
  std::optional<double> tolerance;  // absolute tolerance of every value
};

// Caps on what one file may hold (the importer also runs in the fuzzer).
inline constexpr size_t kMaxExampleFileBytes = 8 << 20;
inline constexpr size_t kMaxExamples = 10000;

// Errors name the origin and the line ("em300-th-codec.yaml:12: example 1:
// input.bytes[3] must be a byte (0..255)").
Result<std::vector<TestVector>> ReadTtnExamplesYaml(std::string_view text, const std::string& origin,
                                                   const ExampleOptions& options = {});
Result<std::vector<TestVector>> ReadExamplesJsonLines(std::string_view text, const std::string& origin,
                                                     const ExampleOptions& options = {});
// By the file name: .yaml/.yml → YAML, anything else → JSON lines.
Result<std::vector<TestVector>> ReadVendorExamplesFile(const std::string& path, const ExampleOptions& options = {});

// The vectors as [[test]] tables to put in a spec (declarative_spec.cc reads
// them back to the same vectors).
std::string VectorsToToml(const std::vector<TestVector>& vectors);

}  // namespace telecollect::decode
