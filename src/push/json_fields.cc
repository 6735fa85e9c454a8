#include "push/json_fields.h"

#include <charconv>

#include "core/json_writer.h"
#include "push/json_batch.h"

namespace telecollect::push {
namespace {

using simdjson::dom::element;
using simdjson::dom::element_type;

bool IsNumberText(std::string_view s) {
  if (s.empty()) return false;
  size_t i = (s[0] == '-' || s[0] == '+') ? 1 : 0;
  bool digit = false, dot = false;
  for (; i < s.size(); ++i) {
    if (s[i] >= '0' && s[i] <= '9') digit = true;
    else if (s[i] == '.' && !dot) dot = true;
    else return false;
  }
  return digit;
}

// A JSON number, or a string holding one.
std::optional<double> AsNumber(element v) {
  switch (v.type()) {
    case element_type::INT64: return static_cast<double>(v.get_int64().value_unsafe());
    case element_type::UINT64: return static_cast<double>(v.get_uint64().value_unsafe());
    case element_type::DOUBLE: return v.get_double().value_unsafe();
    case element_type::STRING: {
      std::string_view s = v.get_string().value_unsafe();
      while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
      while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
      if (!s.empty() && s.front() == '+') s.remove_prefix(1);
      if (!IsNumberText(s)) return std::nullopt;
      double d = 0;
      auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), d);
      if (ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
      return d;
    }
    default: return std::nullopt;
  }
}

}  // namespace

std::optional<element> ItemReader::Find(std::string_view path) const {
  element cur = item_;
  while (!path.empty()) {
    const size_t dot = path.find('.');
    const std::string_view key = path.substr(0, dot);
    path = dot == std::string_view::npos ? std::string_view() : path.substr(dot + 1);
    if (cur.type() != element_type::OBJECT) return std::nullopt;
    element next;
    if (cur.get_object().value_unsafe().at_key(key).get(next)) return std::nullopt;
    cur = next;
  }
  if (cur.type() == element_type::NULL_VALUE) return std::nullopt;
  return cur;
}

void ItemReader::Fail(std::string_view path, std::string reason) {
  if (!error_) error_ = ItemError{index_, std::string(path), std::move(reason), false};
}

std::optional<std::string> ItemReader::String(std::string_view path) {
  auto v = Find(path);
  if (!v) return std::nullopt;
  if (v->type() == element_type::STRING) return std::string(v->get_string().value_unsafe());
  if (v->type() == element_type::INT64 || v->type() == element_type::UINT64) return simdjson::minify(*v);
  Fail(path, std::string("must be a string, got ") + JsonTypeName(v->type()));
  return std::nullopt;
}

std::optional<int64_t> ItemReader::Integer(std::string_view path, int64_t min, int64_t max) {
  auto v = Find(path);
  if (!v) return std::nullopt;
  auto d = AsNumber(*v);
  // Range first: casting an out-of-range double to an integer is undefined.
  if (!d || !(*d >= static_cast<double>(min) && *d <= static_cast<double>(max)) ||
      *d != static_cast<double>(static_cast<int64_t>(*d))) {
    Fail(path, "must be an integer from " + std::to_string(min) + " to " + std::to_string(max));
    return std::nullopt;
  }
  return static_cast<int64_t>(*d);
}

std::optional<bool> ItemReader::Bool(std::string_view path) {
  auto v = Find(path);
  if (!v) return std::nullopt;
  if (v->type() == element_type::BOOL) return v->get_bool().value_unsafe();
  if (v->type() == element_type::STRING) {
    std::string_view s = v->get_string().value_unsafe();
    if (s == "true") return true;
    if (s == "false") return false;
  }
  Fail(path, std::string("must be a boolean, got ") + JsonTypeName(v->type()));
  return std::nullopt;
}

std::optional<EpochMs> ItemReader::Time(std::string_view path) {
  auto v = Find(path);
  if (!v) return std::nullopt;
  Result<EpochMs> t = Status::InvalidArgument("must be an ISO-8601 time or an epoch number");
  if (auto d = AsNumber(*v)) t = EpochFromNumber(*d);
  else if (v->type() == element_type::STRING) t = ParseIso8601(v->get_string().value_unsafe());
  if (!t.ok()) {
    Fail(path, t.status().message());
    return std::nullopt;
  }
  return *t;
}

std::optional<EpochMs> ItemReader::EpochMillis(std::string_view path) {
  auto v = Find(path);
  if (!v) return std::nullopt;
  auto d = AsNumber(*v);
  if (!d) {
    Fail(path, std::string("must be epoch milliseconds, got ") + JsonTypeName(v->type()));
    return std::nullopt;
  }
  if (!(*d >= static_cast<double>(kMinEpochMs) && *d < static_cast<double>(kMaxEpochMs))) {
    Fail(path, "epoch milliseconds outside [1970-01-01, 2100-01-01)");
    return std::nullopt;
  }
  return static_cast<EpochMs>(*d);
}

std::optional<Bytes> ItemReader::Encoded(std::string_view path, const char* encoding,
                                         Result<Bytes> (*decode)(std::string_view)) {
  auto v = Find(path);
  if (!v) return std::nullopt;
  if (v->type() != element_type::STRING) {
    Fail(path, std::string("must be a ") + encoding + " string, got " + JsonTypeName(v->type()));
    return std::nullopt;
  }
  auto b = decode(v->get_string().value_unsafe());
  if (!b.ok()) {
    Fail(path, b.status().message());
    return std::nullopt;
  }
  return std::move(b).value();
}

std::optional<Bytes> ItemReader::Hex(std::string_view path) { return Encoded(path, "hex", &DecodeHex); }
std::optional<Bytes> ItemReader::Base64(std::string_view path) { return Encoded(path, "base64", &DecodeBase64); }

std::string ItemReader::Metadata(std::initializer_list<std::string_view> paths) const {
  JsonWriter w;
  w.BeginObject();
  bool any = false;
  for (std::string_view p : paths) {
    if (auto v = Find(p)) {
      w.Key(p).Raw(simdjson::minify(*v));
      any = true;
    }
  }
  w.EndObject();
  return any ? w.Take() : std::string();
}

std::string NormalizeDeviceId(std::string_view raw) {
  constexpr std::string_view kLiveObjects = "urn:lo:nsid:lora:";
  if (raw.substr(0, kLiveObjects.size()) == kLiveObjects) raw.remove_prefix(kLiveObjects.size());
  std::string out;
  out.reserve(raw.size());
  for (char c : raw) {
    if (c == '-' || c == ':' || c == ' ') continue;
    out += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  }
  return out;
}

}  // namespace telecollect::push
