#pragma once
// A JSON object whose members are all scalars, {"a":"x","b":1.5,"c":null}: the
// shape of nearly every record of a long-layout export. It is read in one pass
// over its bytes, with no document built, when it is in the subset below;
// anything else is "not flat" and the caller parses it with simdjson, which
// also says what is wrong with an invalid one. Every object read here is one
// simdjson accepts, with the same members and values (fuzz/json_flat_object_fuzz
// compares the two on every input).
//
// Not flat: a nested object or array, a string with an escape, a number
// simdjson rejects or that does not fit its integer or double types, bytes
// around the object other than JSON whitespace, invalid UTF-8 in a string.

#include <cstdint>
#include <string_view>
#include <vector>

namespace telecollect::files {

// A member's value, as the records' readers use it. The flat reader gives
// scalars only; kObjectOrArray stands for a nested value read by simdjson.
struct JsonValue {
  enum class Kind : uint8_t { kString, kInt64, kUint64, kDouble, kNull, kTrue, kFalse, kObjectOrArray };
  Kind kind = Kind::kNull;
  std::string_view text;  // kString: the string's bytes, between its quotes
  int64_t i64 = 0;        // kInt64
  uint64_t u64 = 0;       // kUint64
  double number = 0;      // every number: the value as a double (as simdjson's get_double gives it)
};

struct JsonMember {
  std::string_view key;
  JsonValue value;
};

// Reads the flat object that `text` starts with ('{' its first byte): the
// number of bytes it takes, up to its closing brace; 0 when it is not a flat
// object or `text` ends before it closes. `members` receives its members in
// order (duplicates kept), as views into `text`; `newlines` the line feeds
// inside it.
size_t ReadFlatJsonObject(std::string_view text, std::vector<JsonMember>& members, int64_t& newlines);

// Reads `text`, all of it one JSON value (whitespace around allowed): true
// when it is a flat object, then `members` holds its members as above.
bool ParseFlatJsonObject(std::string_view text, std::vector<JsonMember>& members);

}  // namespace telecollect::files
