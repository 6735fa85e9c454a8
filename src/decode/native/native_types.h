#pragma once

#include <vector>

#include "decode/device_type.h"

namespace telecollect::decode {

// The device types telecollect decodes natively (C++), with their vectors.
// Always present in the registry; a spec file of the same name overrides one.
std::vector<DeviceType> NativeDeviceTypes();

}  // namespace telecollect::decode
