#include "push/generic_sensors.h"

#include <charconv>

#include "push/json_batch.h"

namespace telecollect::push {
namespace {

using simdjson::dom::element;
using simdjson::dom::element_type;

constexpr size_t kMaxDeviceIdLength = 128;
constexpr size_t kMaxPayloadHexLength = 2 * 65536;

bool AllDigits(std::string_view s) {
  if (s.empty()) return false;
  bool dot = false;
  for (char c : s) {
    if (c == '.' && !dot) dot = true;
    else if (c < '0' || c > '9') return false;
  }
  return true;
}

Result<EpochMs> ReadTime(element v) {
  switch (v.type()) {
    case element_type::STRING: {
      std::string_view s = v.get_string().value_unsafe();
      if (AllDigits(s)) {
        double d = 0;
        auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), d);
        if (ec != std::errc() || p != s.data() + s.size()) return Status::InvalidArgument("not a number");
        return EpochFromNumber(d);
      }
      return ParseIso8601(s);
    }
    case element_type::INT64: return EpochFromNumber(static_cast<double>(v.get_int64().value_unsafe()));
    case element_type::UINT64: return EpochFromNumber(static_cast<double>(v.get_uint64().value_unsafe()));
    case element_type::DOUBLE: return EpochFromNumber(v.get_double().value_unsafe());
    default:
      return Status::InvalidArgument(std::string("must be an ISO-8601 string or epoch number, got ") + JsonTypeName(v.type()));
  }
}

std::optional<ItemError> ParseItem(size_t i, element item, const PushRequest& req, Frame& f) {
  bool has_time = false, has_device = false, has_payload = false;
  const simdjson::dom::object object = item.get_object().value_unsafe();
  for (auto [key, v] : object) {
    if (key == "timestamp") {
      auto t = ReadTime(v);
      if (!t.ok()) return FieldError(i, key, t.status().message());
      if (*t > req.received_at + req.max_future_skew_ms) {
        return FieldError(i, key, FormatIso8601(*t) + " is more than push.max_future_skew ahead of the server clock (" +
                                      FormatIso8601(req.received_at) + ")");
      }
      f.event_time = *t;
      has_time = true;
    } else if (key == "deviceid") {
      if (v.type() == element_type::STRING) {
        f.device_id = std::string(v.get_string().value_unsafe());
      } else if (v.type() == element_type::INT64 || v.type() == element_type::UINT64) {
        f.device_id = simdjson::minify(v);
      } else {
        return FieldError(i, key, std::string("must be a string, got ") + JsonTypeName(v.type()));
      }
      if (f.device_id.empty()) return FieldError(i, key, "is empty");
      if (f.device_id.size() > kMaxDeviceIdLength) return FieldError(i, key, "is longer than 128 characters");
      for (char c : f.device_id) {
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7F) return FieldError(i, key, "contains a control character");
      }
      has_device = true;
    } else if (key == "payload") {
      if (v.type() != element_type::STRING) {
        return FieldError(i, key, std::string("must be a hex string, got ") + JsonTypeName(v.type()));
      }
      std::string_view hex = v.get_string().value_unsafe();
      if (hex.size() > kMaxPayloadHexLength) return FieldError(i, key, "is longer than 64 KiB");
      auto bytes = DecodeHex(hex);
      if (!bytes.ok()) return FieldError(i, key, bytes.status().message());
      f.payload = std::move(bytes).value();
      has_payload = true;
    } else if (key == "devicetype") {
      if (v.type() == element_type::NULL_VALUE) continue;
      if (v.type() != element_type::STRING) {
        return FieldError(i, key, std::string("must be a string, got ") + JsonTypeName(v.type()));
      }
      f.device_type = std::string(v.get_string().value_unsafe());
    } else if (key == "fport" || key == "fPort") {
      if (v.type() == element_type::NULL_VALUE) continue;
      int64_t port = -1;
      if (v.type() == element_type::INT64) port = v.get_int64().value_unsafe();
      else if (v.type() == element_type::UINT64) port = 256;
      if (port < 0 || port > 255) return FieldError(i, key, "must be an integer from 0 to 255");
      f.fport = static_cast<int>(port);
    } else if (key == "metadata") {
      if (v.type() == element_type::NULL_VALUE) continue;
      if (v.type() != element_type::OBJECT) {
        return FieldError(i, key, std::string("must be an object, got ") + JsonTypeName(v.type()));
      }
      f.metadata_json = simdjson::minify(v);
    }
    // Other keys are ignored: platforms add their own.
  }
  if (!has_time) return FieldError(i, "timestamp", "is missing");
  if (!has_device) return FieldError(i, "deviceid", "is missing");
  if (!has_payload) return FieldError(i, "payload", "is missing");
  return std::nullopt;
}

}  // namespace

ParsedFrames GenericSensorsEnvelope::Parse(const PushRequest& req) const {
  ParsedFrames out;
  out.error = ForEachJsonItem(req, [&](size_t index, element item) -> std::optional<ItemError> {
    Frame f;
    f.source = "generic-sensors";
    f.received_at = req.received_at;
    if (auto e = ParseItem(index, item, req, f)) return e;
    out.frames.push_back(std::move(f));
    return std::nullopt;
  });
  if (out.error) out.frames.clear();
  return out;
}

}  // namespace telecollect::push
