#pragma once

#include <simdjson.h>

#include <string_view>
#include <vector>

#include "decode/decoder.h"

namespace telecollect::decode {

// Flattens a decoder's JSON `data` object into named numeric values with
// stable names: nested keys and array indices are joined with '_'
// ({"channels": [{"value": 3}]} → channels_0_value), characters outside
// [A-Za-z0-9_-] become '_', booleans become 1/0, strings and nulls are not
// measurements and are skipped. A `{value, unit}` object (any other members
// strings: displayName, …) is one value named after its key, with that unit.
// Leaves under an identifier key (IsIdentifierKey) or a `metadata`/`meta`
// object are marked `identifier`. kInvalidArgument if `json` is not an object.
Result<std::vector<DecodedValue>> FlattenJsonData(std::string_view json);
// The same over an already parsed object.
void FlattenJsonObject(simdjson::dom::element object, std::vector<DecodedValue>& out);

// A key naming an identifier or a version rather than a quantity: id, sn,
// serial(_number), dev_eui, devaddr, anything ending in "_id"/"Id" or
// "version" (device_id, deviceId, protocol_version, firmwareVersion).
bool IsIdentifierKey(std::string_view key);

}  // namespace telecollect::decode
