#pragma once

#include <simdjson.h>

#include <functional>
#include <optional>

#include "push/envelope.h"

namespace telecollect::push {

// Calls `visit(index, element)` for each item of a JSON body that is one
// object, an array of objects, or NDJSON (one object per line). Stops at the
// first error (bad JSON, too many items, or an error returned by `visit`).
std::optional<ItemError> ForEachJsonItem(
    const PushRequest& request,
    const std::function<std::optional<ItemError>(size_t index, simdjson::dom::element item)>& visit);

// Helpers for envelope parsers: typed field access with precise errors.
std::optional<ItemError> FieldError(size_t index, std::string_view field, std::string reason);
const char* JsonTypeName(simdjson::dom::element_type t);

}  // namespace telecollect::push
