// Differential: whatever the flat-object reader takes, simdjson reads too,
// with the same members, kinds and values (bit for bit); and the object the
// reader finds at the start of the input reads the same on its own.
#include <cstdint>
#include <cstring>
#include <string_view>
#include <vector>

#include <simdjson.h>

#include "files/json_flat_object.h"

namespace {

using telecollect::files::JsonMember;
using Kind = telecollect::files::JsonValue::Kind;

void CheckAgainstSimdjson(std::string_view text, const std::vector<JsonMember>& members) {
  static simdjson::dom::parser parser;
  const simdjson::padded_string padded(text);
  simdjson::dom::object obj;
  if (parser.parse(padded).get_object().get(obj) != simdjson::SUCCESS) __builtin_trap();
  size_t i = 0;
  for (simdjson::dom::key_value_pair kv : obj) {
    if (i >= members.size()) __builtin_trap();
    const JsonMember& m = members[i++];
    if (kv.key != m.key) __builtin_trap();
    const simdjson::dom::element e = kv.value;
    using T = simdjson::dom::element_type;
    switch (m.value.kind) {
      case Kind::kString:
        if (e.type() != T::STRING || e.get_string().value_unsafe() != m.value.text) __builtin_trap();
        break;
      case Kind::kInt64:
        if (e.type() != T::INT64 || e.get_int64().value_unsafe() != m.value.i64) __builtin_trap();
        break;
      case Kind::kUint64:
        if (e.type() != T::UINT64 || e.get_uint64().value_unsafe() != m.value.u64) __builtin_trap();
        break;
      case Kind::kDouble:
        if (e.type() != T::DOUBLE) __builtin_trap();
        break;
      case Kind::kNull: if (e.type() != T::NULL_VALUE) __builtin_trap(); break;
      case Kind::kTrue: if (e.type() != T::BOOL || !e.get_bool().value_unsafe()) __builtin_trap(); break;
      case Kind::kFalse: if (e.type() != T::BOOL || e.get_bool().value_unsafe()) __builtin_trap(); break;
      case Kind::kObjectOrArray: __builtin_trap();
    }
    if (m.value.kind == Kind::kInt64 || m.value.kind == Kind::kUint64 || m.value.kind == Kind::kDouble) {
      const double want = e.get_double().value_unsafe();
      if (std::memcmp(&want, &m.value.number, sizeof want) != 0) __builtin_trap();
    }
  }
  if (i != members.size()) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  std::vector<JsonMember> members;
  if (telecollect::files::ParseFlatJsonObject(text, members)) CheckAgainstSimdjson(text, members);
  int64_t lines = 0;
  if (!text.empty() && text.front() == '{') {
    const size_t length = telecollect::files::ReadFlatJsonObject(text, members, lines);
    if (length > text.size()) __builtin_trap();
    if (length > 0) {
      std::vector<JsonMember> alone;
      if (!telecollect::files::ParseFlatJsonObject(text.substr(0, length), alone) || alone.size() != members.size()) __builtin_trap();
      CheckAgainstSimdjson(text.substr(0, length), members);
    }
  }
  return 0;
}
