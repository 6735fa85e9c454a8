#include "decode/flatten.h"

#include <simdjson.h>

#include "core/ascii.h"

namespace telecollect::decode {
namespace {

using simdjson::dom::element;
using simdjson::dom::element_type;

void AppendName(std::string& name, std::string_view part) {
  if (!name.empty()) name += '_';
  for (char c : part) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
    name += ok ? c : '_';
  }
}

bool IsNumber(element e) {
  const element_type t = e.type();
  return t == element_type::INT64 || t == element_type::UINT64 || t == element_type::DOUBLE || t == element_type::BOOL;
}

double NumberOf(element e) {
  switch (e.type()) {
    case element_type::INT64: return static_cast<double>(e.get_int64().value_unsafe());
    case element_type::UINT64: return static_cast<double>(e.get_uint64().value_unsafe());
    case element_type::BOOL: return e.get_bool().value_unsafe() ? 1.0 : 0.0;
    default: return e.get_double().value_unsafe();
  }
}

// {value, unit}, {displayName, unit, value}: a numeric `value` whose other
// members are strings (or null). Sets `unit` from the `unit` member.
bool IsValueWithUnit(simdjson::dom::object object, std::string& unit) {
  bool has_value = false;
  unit.clear();
  for (auto [k, v] : object) {
    if (k == "value") {
      if (!IsNumber(v)) return false;
      has_value = true;
    } else if (v.type() == element_type::STRING) {
      if (k == "unit") unit = std::string(v.get_string().value_unsafe());
    } else if (v.type() != element_type::NULL_VALUE) {
      return false;
    }
  }
  return has_value;
}

bool EndsWith(std::string_view s, std::string_view tail) {
  return s.size() >= tail.size() && s.substr(s.size() - tail.size()) == tail;
}

}  // namespace

bool IsIdentifierKey(std::string_view key) {
  std::string k;  // lower case, without separators: "Device-ID", "device_id", "deviceId" → "deviceid"
  for (char c : key) {
    if (c != '-' && c != '_' && c != ' ' && c != '.') k += AsciiLower(c);
  }
  if (k == "id" || k == "sn" || k == "serial" || k == "serialnumber" || k == "deveui" || k == "eui" ||
      k == "devaddr" || EndsWith(k, "version") || EndsWith(key, "_ver")) {
    return true;
  }
  // "..._id", "...-id", "...Id" (not "humid", "valid", "liquid")
  return EndsWith(key, "_id") || EndsWith(key, "-id") || EndsWith(key, "_ID") || EndsWith(key, "Id") ||
         EndsWith(key, "ID");
}

namespace {

// Members of these objects are the vendor's metadata (counters, ids), not measurements.
bool IsMetadataKey(std::string_view key) {
  std::string k;
  for (char c : key) k += AsciiLower(c);
  return k == "metadata" || k == "meta" || k == "_meta";
}

void Walk(element e, std::string& name, std::string_view key, bool identifier, std::vector<DecodedValue>& out,
          int depth) {
  if (depth > 16) return;  // no decoder nests that deep; stop rather than recurse without bound
  switch (e.type()) {
    case element_type::OBJECT: {
      const simdjson::dom::object object = e.get_object().value_unsafe();
      std::string unit;
      if (depth > 0 && IsValueWithUnit(object, unit)) {
        DecodedValue& v = out.emplace_back();
        v.field = name;
        v.value = NumberOf(object["value"].value_unsafe());
        v.unit = std::move(unit);
        v.identifier = identifier;
        break;
      }
      for (auto [k, v] : object) {
        const size_t keep = name.size();
        AppendName(name, k);
        Walk(v, name, k, identifier || IsIdentifierKey(k) || IsMetadataKey(k), out, depth + 1);
        name.resize(keep);
      }
      break;
    }
    case element_type::ARRAY: {
      const simdjson::dom::array array = e.get_array().value_unsafe();
      size_t i = 0;
      for (element v : array) {
        const size_t keep = name.size();
        AppendName(name, std::to_string(i++));
        Walk(v, name, key, identifier, out, depth + 1);
        name.resize(keep);
      }
      break;
    }
    case element_type::INT64:
    case element_type::UINT64:
    case element_type::DOUBLE:
    case element_type::BOOL: {
      DecodedValue& v = out.emplace_back();
      v.field = name;
      v.value = NumberOf(e);
      v.identifier = identifier;
      break;
    }
    default: break;  // strings, nulls
  }
}

}  // namespace

void FlattenJsonObject(simdjson::dom::element object, std::vector<DecodedValue>& out) {
  out.reserve(out.size() + 8);
  std::string name;
  Walk(object, name, {}, false, out, 0);
}

Result<std::vector<DecodedValue>> FlattenJsonData(std::string_view json) {
  // simdjson copies the input first: an empty view (data() may be null) is refused here.
  if (json.empty()) return Status::InvalidArgument("decoder output is not JSON: it is empty");
  simdjson::dom::parser parser;
  element root;
  if (auto err = parser.parse(json.data(), json.size()).get(root)) {
    return Status::InvalidArgument(std::string("decoder output is not JSON: ") + simdjson::error_message(err));
  }
  if (root.type() != element_type::OBJECT) return Status::InvalidArgument("decoder data is not an object");
  std::vector<DecodedValue> out;
  FlattenJsonObject(root, out);
  return out;
}

}  // namespace telecollect::decode
