#include "decode/flatten.h"

#include <simdjson.h>

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

void Walk(element e, std::string& name, std::vector<DecodedValue>& out, int depth) {
  if (depth > 16) return;  // no decoder nests that deep; stop rather than recurse without bound
  switch (e.type()) {
    case element_type::OBJECT: {
      const simdjson::dom::object object = e.get_object().value_unsafe();
      for (auto [k, v] : object) {
        const size_t keep = name.size();
        AppendName(name, k);
        Walk(v, name, out, depth + 1);
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
        Walk(v, name, out, depth + 1);
        name.resize(keep);
      }
      break;
    }
    case element_type::INT64: out.push_back({name, static_cast<double>(e.get_int64().value_unsafe()), ""}); break;
    case element_type::UINT64: out.push_back({name, static_cast<double>(e.get_uint64().value_unsafe()), ""}); break;
    case element_type::DOUBLE: out.push_back({name, e.get_double().value_unsafe(), ""}); break;
    case element_type::BOOL: out.push_back({name, e.get_bool().value_unsafe() ? 1.0 : 0.0, ""}); break;
    default: break;  // strings, nulls
  }
}

}  // namespace

void FlattenJsonObject(simdjson::dom::element object, std::vector<DecodedValue>& out) {
  out.reserve(out.size() + 8);
  std::string name;
  Walk(object, name, out, 0);
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
  std::string name;
  Walk(root, name, out, 0);
  return out;
}

}  // namespace telecollect::decode
