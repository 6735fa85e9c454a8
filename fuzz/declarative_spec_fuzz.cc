// Parses arbitrary text as a declarative decoder spec; when it loads, runs its
// vectors and decodes a few fixed payloads with it. Never crashes; a refusal says why;
// a decode is deterministic (the same frame twice gives the same values, bit for bit)
// and names each field once, with a name the spec allows ([A-Za-z0-9_-], not empty).
#include <cstdint>
#include <cstring>
#include <set>
#include <string>

#include "decode/device_type.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace telecollect;
  const std::string text(reinterpret_cast<const char*>(data), size);
  auto dt = decode::LoadDeclarativeSpec(text, "fuzz.toml");
  if (!dt.ok()) {
    if (dt.status().message().empty()) __builtin_trap();
    return 0;
  }
  (void)decode::RunTestVectors(*dt);
  static const Bytes kPayloads[] = {{}, {0x01}, {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff},
                                    Bytes(255, 0x80)};
  for (const Bytes& p : kPayloads) {
    for (std::optional<int> port : {std::optional<int>(), std::optional<int>(1), std::optional<int>(2)}) {
      auto first = dt->decoder->Decode({p, port, 0});
      auto again = dt->decoder->Decode({p, port, 0});
      if (first.ok() != again.ok()) __builtin_trap();
      if (!first.ok()) {
        if (first.status().message().empty() || first.status().message() != again.status().message()) __builtin_trap();
        continue;
      }
      if (first->size() != again->size()) __builtin_trap();
      std::set<std::string> names;
      for (size_t i = 0; i < first->size(); ++i) {
        const auto& v = (*first)[i];
        const auto& w = (*again)[i];
        if (v.field != w.field || v.unit != w.unit || std::memcmp(&v.value, &w.value, sizeof v.value) != 0) __builtin_trap();
        if (v.field.empty() || v.field.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-") !=
                                   std::string::npos) {
          __builtin_trap();
        }
        if (!names.insert(v.field).second) __builtin_trap();
      }
    }
  }
  (void)dt->ModuleId("dev", "field");
  return 0;
}
