// Parses arbitrary text as a device import CSV. Never crashes; a parsed
// device always has a non-empty id and a module template with {field} if any.
#include <cstdint>
#include <string_view>

#include "push/device_csv.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace telecollect;
  auto devices = push::ParseDeviceCsv(std::string_view(reinterpret_cast<const char*>(data), size));
  if (!devices.ok()) {
    if (devices.status().message().empty()) __builtin_trap();
    return 0;
  }
  for (const auto& d : *devices) {
    if (d.device_id.empty()) __builtin_trap();
    if (!d.module_template.empty() && d.module_template.find("{field}") == std::string::npos) __builtin_trap();
  }
  return 0;
}
