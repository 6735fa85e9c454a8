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
// measurements and are skipped. kInvalidArgument if `json` is not an object.
Result<std::vector<DecodedValue>> FlattenJsonData(std::string_view json);
// The same over an already parsed object.
void FlattenJsonObject(simdjson::dom::element object, std::vector<DecodedValue>& out);

}  // namespace telecollect::decode
