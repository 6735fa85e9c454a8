// Reads arbitrary text as a vendor's examples file (TTN device repository codec
// YAML, through libyaml). Never crashes, never runs away on aliases (bounded
// depth, visits and output); a refusal says why; what it reads, written as
// [[test]] vectors (VectorsToToml), loads back into a spec as the same vectors:
// payload, fPort, every expected value bit for bit, error, description, subset
// and tolerance.
#include <cstdint>
#include <cstring>
#include <string>

#include "decode/vendor_examples.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace telecollect;
  const std::string text(reinterpret_cast<const char*>(data), size);
  decode::ExampleOptions options;
  options.tolerance = size % 3 == 0 ? std::optional<double>(0.5) : std::nullopt;
  options.subset = size % 2 == 0;
  auto vectors = decode::ReadTtnExamplesYaml(text, "fuzz.yaml", options);
  if (!vectors.ok()) {
    if (vectors.status().message().empty()) __builtin_trap();
    return 0;
  }
  const std::string toml = "devicetype = \"fuzz\"\n[[variant]]\n" + decode::VectorsToToml(*vectors);
  auto spec = decode::LoadDeclarativeSpec(toml, "fuzz.toml");
  if (!spec.ok() || spec->tests.size() != vectors->size()) __builtin_trap();
  for (size_t i = 0; i < vectors->size(); ++i) {
    const decode::TestVector& want = (*vectors)[i];
    const decode::TestVector& got = spec->tests[i];
    if (got.payload != want.payload || got.fport != want.fport || got.expect_error != want.expect_error ||
        got.description != want.description || got.subset != want.subset || got.tolerance != want.tolerance ||
        got.expect.size() != want.expect.size()) {
      __builtin_trap();
    }
    for (const auto& [name, value] : want.expect) {
      auto it = got.expect.find(name);
      if (it == got.expect.end() || std::memcmp(&it->second, &value, sizeof value) != 0) __builtin_trap();
    }
  }
  return 0;
}
