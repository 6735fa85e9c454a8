// Parses arbitrary text as a declarative decoder spec; when it loads, runs its
// vectors and decodes a few fixed payloads with it. Never crashes.
#include <cstdint>
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
      (void)dt->decoder->Decode({p, port, 0});
    }
  }
  (void)dt->ModuleId("dev", "field");
  return 0;
}
