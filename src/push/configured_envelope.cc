#include "push/configured_envelope.h"

#include <filesystem>
#include <fstream>
#include <sstream>

#include <toml++/toml.h>

#include "core/json_writer.h"
#include "files/local_time.h"
#include "files/timestamp_format.h"
#include "core/ascii.h"
#include "push/envelope_body.h"
#include "push/json_batch.h"
#include "push/json_fields.h"
#include "push/platform_envelope.h"

namespace telecollect::push {
namespace {

using simdjson::dom::element;
using simdjson::dom::element_type;

// A frame's place in the body: the body item, and the frame within it.
struct Where {
  size_t item = 0;
  std::string prefix;  // "rxpk[2]." when the frame is an element of the frames array
  std::string Field(const JsonPath& p) const { return p.from_body ? p.text : prefix + p.text; }
};

}  // namespace

std::shared_ptr<const Envelope> MakeConfiguredEnvelope(EnvelopeSpec spec, files::TimestampFormat format,
                                                       files::Zone zone);

namespace {

class ConfiguredEnvelope final : public Envelope {
 public:
  ConfiguredEnvelope(EnvelopeSpec spec, files::TimestampFormat format, files::Zone zone)
      : spec_(std::move(spec)), format_(std::move(format)), zone_(std::move(zone)) {}
  std::string_view source() const override { return spec_.name; }
  std::string_view version() const override { return spec_.version; }
  bool Accepts(std::string_view content_type) const override;
  std::string_view MediaTypes() const override;
  ParsedFrames Parse(const PushRequest& request) const override;

 private:
  ParsedFrames ParseJson(const PushRequest& request) const;
  // Fills `f` and sets `kind` (kUplink or kIgnored), or says where and why the frame is refused.
  std::optional<ItemError> ReadFrame(const Where& where, element frame, element body, files::Zone& zone, Frame& f,
                                     ItemKind* kind) const;

  const EnvelopeSpec spec_;
  const files::TimestampFormat format_;
  const files::Zone zone_;
  const bool xml_ = spec_.body == BodyFormat::kXml;
};

// `xml`: an element given once is not an array, yet is the first of its kind: [0] reads it.
std::optional<element> Resolve(const JsonPath& path, element frame, element body, bool xml) {
  element cur = path.from_body ? body : frame;
  for (const JsonPath::Step& s : path.steps) {
    element next;
    if (s.key.empty()) {
      if (xml && s.index == 0 && cur.type() != element_type::ARRAY) continue;
      simdjson::dom::array a;
      if (cur.get_array().get(a) || a.at(s.index).get(next)) return std::nullopt;
    } else {
      simdjson::dom::object o;
      if (cur.get_object().get(o) || o.at_key(s.key).get(next)) return std::nullopt;
    }
    cur = next;
  }
  if (cur.type() == element_type::NULL_VALUE) return std::nullopt;
  return cur;
}

ItemError At(const Where& where, const JsonPath& path, std::string reason) {
  return ItemError{where.item, where.Field(path), std::move(reason), false};
}

// Runs one typed ItemReader conversion over an element already found; its
// error, if any, is given the field's full path.
template <typename T, typename Read>
Result<T> Convert(const Where& where, const JsonPath& path, element value, Read read, std::optional<ItemError>* error) {
  ItemReader r(where.item, value);
  std::optional<T> out = read(r);
  if (r.error() || !out) {
    *error = At(where, path, r.error() ? r.error()->reason : "has no usable value");
    return Status::InvalidArgument(error->value().reason);
  }
  return std::move(*out);
}

std::string ValueText(element v) {
  return v.type() == element_type::STRING ? std::string(v.get_string().value_unsafe()) : simdjson::minify(v);
}

}  // namespace

std::optional<ItemError> ConfiguredEnvelope::ReadFrame(const Where& where, element frame, element body,
                                                       files::Zone& zone, Frame& f, ItemKind* kind) const {
  std::optional<ItemError> error;
  auto fail = [&](const JsonPath& p, std::string reason) { return At(where, p, std::move(reason)); };
  auto failed = [&] { return error; };
  *kind = ItemKind::kUplink;
  if (spec_.uplink_path) {
    auto v = Resolve(*spec_.uplink_path, frame, body, xml_);
    const std::string text = v ? ValueText(*v) : std::string();
    bool match = false;
    for (const auto& u : spec_.uplink_values) match = match || (v && u == text);
    if (!match) {
      *kind = ItemKind::kIgnored;
      return std::nullopt;
    }
  }
  // Device id.
  auto id = Resolve(spec_.device_id, frame, body, xml_);
  if (!id) return fail(spec_.device_id, "is missing (device id)");
  auto id_text = Convert<std::string>(where, spec_.device_id, *id, [](ItemReader& r) { return r.String(""); }, &error);
  if (!id_text.ok()) return failed();
  f.device_id = spec_.normalize_device_id ? NormalizeDeviceId(*id_text) : std::move(id_text).value();
  // Event time.
  if (spec_.time) {
    if (auto t = Resolve(*spec_.time, frame, body, xml_)) {
      if (t->type() != element_type::STRING && t->type() != element_type::INT64 && t->type() != element_type::UINT64 &&
          t->type() != element_type::DOUBLE) {
        return fail(*spec_.time, std::string("must be a time (") + spec_.time_format + "), got " + JsonTypeName(t->type()));
      }
      auto read = format_.Read(ValueText(*t));
      if (!read.ok()) return fail(*spec_.time, "is not a " + spec_.time_format + " time: " + read.status().message());
      EpochMs ms = read->utc;
      if (!read->absolute) {
        const files::LocalResolution r = zone.Resolve(read->local);
        if (r.kind == files::LocalResolution::kGap) {
          return fail(*spec_.time, "local time does not exist in " + spec_.time_zone + " (daylight saving gap)");
        }
        ms = r.first;  // the repeated autumn hour: its first occurrence
      }
      if (!CheckReadingRange(ms).ok()) return fail(*spec_.time, "is outside [1970-01-01, 2100-01-01)");
      f.event_time = ms;
    }
  }
  // Payload.
  auto payload = Resolve(spec_.payload, frame, body, xml_);
  if (!payload) return fail(spec_.payload, "is missing (payload)");
  switch (spec_.payload_encoding) {
    case PayloadEncoding::kHex: {
      auto b = Convert<Bytes>(where, spec_.payload, *payload, [](ItemReader& r) { return r.Hex(""); }, &error);
      if (!b.ok()) return failed();
      f.payload = std::move(b).value();
      break;
    }
    case PayloadEncoding::kBase64: {
      auto b = Convert<Bytes>(where, spec_.payload, *payload, [](ItemReader& r) { return r.Base64(""); }, &error);
      if (!b.ok()) return failed();
      f.payload = std::move(b).value();
      break;
    }
    case PayloadEncoding::kJson: {
      if (payload->type() != element_type::OBJECT) {
        return fail(spec_.payload, std::string("must be a JSON object of values, got ") + JsonTypeName(payload->type()));
      }
      const std::string json = simdjson::minify(*payload);
      f.payload.assign(json.begin(), json.end());
      if (f.device_type.empty()) f.device_type = "json-values";
      break;
    }
  }
  // fPort.
  if (spec_.fport) {
    if (auto p = Resolve(*spec_.fport, frame, body, xml_)) {
      auto port = Convert<int64_t>(where, *spec_.fport, *p, [](ItemReader& r) { return r.Integer("", 0, 255); }, &error);
      if (!port.ok()) return failed();
      f.fport = static_cast<int>(*port);
    }
  }
  // Device type: a constant, a field, or a field's value mapped.
  std::string type = spec_.device_type;
  if (spec_.device_type_path) {
    if (auto v = Resolve(*spec_.device_type_path, frame, body, xml_)) {
      const std::string text = ValueText(*v);
      if (spec_.device_type_map.empty()) {
        type = text;
      } else if (auto it = spec_.device_type_map.find(text); it != spec_.device_type_map.end()) {
        type = it->second;
      }
    }
  }
  if (!type.empty()) f.device_type = type;
  // Metadata, keyed by the paths as written.
  if (!spec_.metadata.empty()) {
    JsonWriter w;
    w.BeginObject();
    bool any = false;
    for (const JsonPath& p : spec_.metadata) {
      if (auto v = Resolve(p, frame, body, xml_)) {
        w.Key(p.text).Raw(simdjson::minify(*v));
        any = true;
      }
    }
    w.EndObject();
    if (any) f.metadata_json = w.Take();
  }
  return std::nullopt;
}

bool ConfiguredEnvelope::Accepts(std::string_view content_type) const {
  bool ndjson = false;
  if (spec_.body == BodyFormat::kJson) return IsJsonMediaType(content_type, &ndjson);
  const std::string_view mt = content_type.substr(0, content_type.find(';'));
  std::string lower;
  for (char c : mt) {
    if (c != ' ' && c != '\t') lower += AsciiLower(c);
  }
  if (lower.empty() || lower == "text/plain") return true;  // none (MQTT), or a platform that says no more
  if (spec_.body == BodyFormat::kForm) return lower == "application/x-www-form-urlencoded";
  return lower == "application/xml" || lower == "text/xml" || lower.ends_with("+xml");
}

std::string_view ConfiguredEnvelope::MediaTypes() const {
  switch (spec_.body) {
    case BodyFormat::kForm: return "application/x-www-form-urlencoded";
    case BodyFormat::kXml: return "application/xml or text/xml";
    case BodyFormat::kJson: break;
  }
  return Envelope::MediaTypes();
}

ParsedFrames ConfiguredEnvelope::Parse(const PushRequest& req) const {
  if (spec_.body == BodyFormat::kJson) return ParseJson(req);
  // Form fields and XML are read as the JSON document they make.
  Result<std::string> json = spec_.body == BodyFormat::kForm ? FormBodyToJson(req.body) : XmlBodyToJson(req.body);
  if (!json.ok()) {
    ParsedFrames out;
    out.error = ItemError{std::nullopt, "", json.status().message(), false};
    return out;
  }
  PushRequest as_json = req;
  as_json.body = *json;
  as_json.content_type = "application/json";
  return ParseJson(as_json);
}

ParsedFrames ConfiguredEnvelope::ParseJson(const PushRequest& req) const {
  ParsedFrames out;
  files::Zone zone = zone_;  // its cache is not thread-safe: one copy per request
  size_t frames_seen = 0;
  auto one = [&](const Where& where, element frame, element body) -> std::optional<ItemError> {
    if (++frames_seen > req.max_items) {
      return ItemError{std::nullopt, "", "batch has more than " + std::to_string(req.max_items) +
                                             " frames (push.max_batch_items)", true};
    }
    Frame f;
    f.source = spec_.name;
    f.received_at = req.received_at;
    f.event_time = -1;
    if (frame.type() != element_type::OBJECT) {
      return ItemError{where.item, where.prefix.empty() ? "" : where.prefix.substr(0, where.prefix.size() - 1),
                       std::string("frame is a JSON ") + JsonTypeName(frame.type()) + ", expected an object", false};
    }
    ItemKind kind = ItemKind::kUplink;
    if (auto e = ReadFrame(where, frame, body, zone, f, &kind)) return e;
    if (kind == ItemKind::kIgnored) {
      ++out.ignored;
      return std::nullopt;
    }
    if (auto e = CheckFrame(req, where.item, f)) return e;
    out.frames.push_back(std::move(f));
    return std::nullopt;
  };
  out.error = ForEachJsonItem(req, [&](size_t index, element item) -> std::optional<ItemError> {
    if (!spec_.frames) return one(Where{index, ""}, item, item);
    auto arr = Resolve(*spec_.frames, item, item, xml_);
    if (!arr) return ItemError{index, spec_.frames->text, "is missing (the array of frames)", false};
    if (xml_ && arr->type() == element_type::OBJECT) return one(Where{index, spec_.frames->text + "[0]."}, *arr, item);
    if (arr->type() != element_type::ARRAY) {
      return ItemError{index, spec_.frames->text, std::string("must be an array of frames, got ") + JsonTypeName(arr->type()),
                       false};
    }
    simdjson::dom::array frames;
    if (arr->get_array().get(frames)) return ItemError{index, spec_.frames->text, "must be an array of frames", false};
    size_t i = 0;
    for (element frame : frames) {
      if (auto e = one(Where{index, spec_.frames->text + "[" + std::to_string(i++) + "]."}, frame, item)) return e;
    }
    return std::nullopt;
  });
  if (out.error) {
    out.frames.clear();
    out.ignored = 0;
  }
  return out;
}

std::shared_ptr<const Envelope> MakeConfiguredEnvelope(EnvelopeSpec spec, files::TimestampFormat format,
                                                       files::Zone zone) {
  return std::make_shared<const ConfiguredEnvelope>(std::move(spec), std::move(format), std::move(zone));
}

}  // namespace telecollect::push
