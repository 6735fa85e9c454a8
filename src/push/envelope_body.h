#pragma once

#include <string>
#include <string_view>

#include "core/status.h"

namespace telecollect::push {

// Bodies that are not JSON, as the JSON document a configured envelope's paths
// read (configured_envelope.h, `body = "form"` or `body = "xml"`).

// application/x-www-form-urlencoded (a Sigfox callback's default): one object
// of string values, {"device": "2C4F1A", "time": "1741594502", ...}. '+' is a
// space, %XX a byte; values must be UTF-8. A bad escape, an empty key or a key
// given twice is refused with the field's place.
Result<std::string> FormBodyToJson(std::string_view body);

// XML (ThingPark's XML content type): the root element as {"<root>": value}.
// An element with neither attributes nor child elements is its text (trimmed);
// otherwise an object: attributes as "@name", child elements by local name
// (namespace prefixes dropped; one child a value, repeated children an array),
// and its own non-blank text as "#text". The body must be UTF-8; at most 64
// levels of elements. Refusals say what and at which byte offset.
Result<std::string> XmlBodyToJson(std::string_view body);

}  // namespace telecollect::push
