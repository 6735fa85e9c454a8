// Any bytes as a multipart/form-data body. Never crashes; parts lie within the body.
#include <cstdint>
#include <string_view>

#include "core/multipart.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view body(reinterpret_cast<const char*>(data), size);
  auto parts = telecollect::ParseMultipart("multipart/form-data; boundary=B", body);
  if (!parts.ok()) {
    if (parts.status().message().empty()) __builtin_trap();
    return 0;
  }
  for (const auto& p : *parts) {
    if (p.data.data() < body.data() || p.data.data() + p.data.size() > body.data() + body.size()) __builtin_trap();
  }
  return 0;
}
