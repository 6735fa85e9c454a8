#include "push/json_batch.h"

namespace telecollect::push {
namespace {

std::string_view TrimLeft(std::string_view s) {
  size_t i = 0;
  while (i < s.size() && (s[i] == ' ' || s[i] == '\t' || s[i] == '\r' || s[i] == '\n')) ++i;
  if (s.substr(i, 3) == "\xEF\xBB\xBF") return TrimLeft(s.substr(i + 3));  // UTF-8 BOM
  return s.substr(i);
}

simdjson::dom::parser& ThreadParser() {
  thread_local simdjson::dom::parser parser;
  return parser;
}

// Parses `text` with the thread's parser. simdjson reads SIMDJSON_PADDING
// bytes past the end: rather than let it allocate a padded copy for every
// request, the text is copied into a buffer of this thread, kept from one
// parse to the next (at most the largest body, server.max_body_bytes).
simdjson::simdjson_result<simdjson::dom::element> ParsePadded(std::string_view text) {
  thread_local std::string padded;
  if (padded.capacity() < text.size() + simdjson::SIMDJSON_PADDING) padded.reserve(text.size() + simdjson::SIMDJSON_PADDING);
  padded.assign(text);
  return ThreadParser().parse(padded.data(), padded.size(), false);
}

std::optional<ItemError> BodyError(std::string reason) { return ItemError{std::nullopt, "", std::move(reason), false}; }

std::optional<ItemError> TooMany(size_t max) {
  return ItemError{std::nullopt, "", "batch has more than " + std::to_string(max) + " items (push.max_batch_items)",
                   true};
}

std::optional<ItemError> VisitObject(size_t index, simdjson::dom::element e,
                                     const std::function<std::optional<ItemError>(size_t, simdjson::dom::element)>& visit) {
  if (e.type() != simdjson::dom::element_type::OBJECT) {
    return ItemError{index, "", std::string("item is a JSON ") + JsonTypeName(e.type()) + ", expected an object", false};
  }
  return visit(index, e);
}

}  // namespace

const char* JsonTypeName(simdjson::dom::element_type t) {
  using T = simdjson::dom::element_type;
  switch (t) {
    case T::ARRAY: return "array";
    case T::OBJECT: return "object";
    case T::INT64: case T::UINT64: case T::DOUBLE: return "number";
    case T::STRING: return "string";
    case T::BOOL: return "boolean";
    case T::NULL_VALUE: return "null";
  }
  return "value";
}

std::optional<ItemError> FieldError(size_t index, std::string_view field, std::string reason) {
  return ItemError{index, std::string(field), std::move(reason), false};
}

std::optional<ItemError> ForEachJsonItem(
    const PushRequest& request,
    const std::function<std::optional<ItemError>(size_t, simdjson::dom::element)>& visit) {
  bool ndjson = false;
  IsJsonMediaType(request.content_type, &ndjson);
  const std::string_view body = TrimLeft(request.body);
  if (body.empty()) return BodyError("empty body: expected a JSON object, an array of objects, or NDJSON");

  if (!ndjson && body[0] == '[') {
    simdjson::dom::element doc;
    if (auto err = ParsePadded(body).get(doc)) {
      return BodyError(std::string("body is not valid JSON: ") + simdjson::error_message(err));
    }
    simdjson::dom::array arr = doc.get_array().value_unsafe();
    if (arr.size() > request.max_items) return TooMany(request.max_items);
    size_t i = 0;
    for (simdjson::dom::element e : arr) {
      if (auto err = VisitObject(i++, e, visit)) return err;
    }
    if (i == 0) return BodyError("empty batch: the array has no items");
    return std::nullopt;
  }
  if (!ndjson) {
    // One object, unless more follows it: then the body is NDJSON without the media type.
    simdjson::dom::element doc;
    auto err = ParsePadded(body).get(doc);
    if (!err) return VisitObject(0, doc, visit);
    if (body.find('\n') == std::string_view::npos) {
      return BodyError(std::string("body is not valid JSON: ") + simdjson::error_message(err));
    }
  }
  // NDJSON: one JSON object per line; blank lines are skipped.
  size_t index = 0, line_no = 0, pos = 0;
  while (pos < body.size()) {
    size_t end = body.find('\n', pos);
    if (end == std::string_view::npos) end = body.size();
    std::string_view line = body.substr(pos, end - pos);
    pos = end + 1;
    ++line_no;
    if (TrimLeft(line).empty()) continue;
    if (index >= request.max_items) return TooMany(request.max_items);
    simdjson::dom::element doc;
    if (auto err = ParsePadded(line).get(doc)) {
      return ItemError{index, "", "line " + std::to_string(line_no) + " is not valid JSON: " + simdjson::error_message(err),
                       false};
    }
    if (auto e = VisitObject(index, doc, visit)) return e;
    ++index;
  }
  if (index == 0) return BodyError("empty batch: no JSON object in the body");
  return std::nullopt;
}

}  // namespace telecollect::push
