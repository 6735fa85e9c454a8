#pragma once

#include <optional>
#include <string>

#include "decode/device_type.h"

namespace telecollect::decode {

// What a decoder makes of one payload, as shown to a person validating a
// device type (CLI `decode`, POST /v1/devicetypes/{t}/decode):
//   {"devicetype", "version", "data": {field: value}, "measurements": [{module, value, unit}]}
// or, when decoding fails, {"devicetype", "version", "errors": ["..."]} with *ok = false.
std::string DecodeReportJson(const DeviceType& type, const Bytes& payload, std::optional<int> fport,
                             std::string_view device_id, bool* ok);

}  // namespace telecollect::decode
