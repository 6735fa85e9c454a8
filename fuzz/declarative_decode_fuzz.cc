// Decodes arbitrary payloads with every shipped decoder (native and declarative specs).
// First byte: fPort (0xFF = none); the rest: the payload.
#include <cmath>
#include <cstdint>
#include <fstream>
#include <sstream>

#include "decode/registry.h"

namespace {

// Shipped specs are compiled in through the corpus-independent path below, so
// the target does not depend on the working directory.
const telecollect::decode::DecoderRegistry& Registry() {
  static telecollect::decode::DecoderRegistry* reg = [] {
    auto* r = new telecollect::decode::DecoderRegistry();
    r->LoadDirectories({TELECOLLECT_DECODERS_DIR});
    return r;
  }();
  return *reg;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace telecollect;
  if (size == 0) return 0;
  std::optional<int> fport;
  if (data[0] != 0xFF) fport = data[0];
  const Bytes payload(data + 1, data + size);
  auto table = Registry().Snapshot();
  if (table->empty()) __builtin_trap();  // the specs must load
  for (const auto& [name, type] : *table) {
    auto r = type->decoder->Decode({payload, fport, 0});
    if (r.ok()) {
      for (const auto& v : *r) {
        if (!std::isfinite(v.value) || v.field.empty()) __builtin_trap();
      }
    } else if (r.status().message().empty()) {
      __builtin_trap();
    }
  }
  return 0;
}
