// Envelope TOML files → ConfiguredEnvelope (configured_envelope.h); the
// envelopes/ folders of the decoder directories.
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <toml++/toml.h>

#include "core/connector_files.h"
#include "files/local_time.h"
#include "files/timestamp_format.h"
#include "push/configured_envelope.h"

namespace telecollect::push {

std::shared_ptr<const Envelope> MakeConfiguredEnvelope(EnvelopeSpec spec, files::TimestampFormat format,
                                                       files::Zone zone);

namespace {

bool IsNameChar(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_'; }
bool IsVersionChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '-' || c == '_';
}


// Reads the keys of an envelope file; every error names the file, the line and the key.
class SpecReader {
 public:
  SpecReader(const toml::table& t, const std::string& origin, EnvelopeSpecError* where)
      : t_(t), origin_(origin), where_(where) {}

  Status Fail(std::string_view key, const std::string& reason) const {
    const toml::node* n = t_.get(key);
    const int line = n ? static_cast<int>(n->source().begin.line) : 0;
    Where(line, key);
    return Status::InvalidArgument(origin_ + (line ? ": line " + std::to_string(line) : std::string()) + ": " +
                                   std::string(key) + ": " + reason);
  }
  Status String(std::string_view key, std::string& out, bool required = false) {
    taken_.emplace_back(key);
    const toml::node* n = t_.get(key);
    if (!n && required) {
      Where(0, key);
      return Status::InvalidArgument(origin_ + ": " + std::string(key) + " is required");
    }
    if (!n) return Status::Ok();
    if (!n->is_string()) return Fail(key, "must be a string");
    out = *n->value<std::string>();
    return Status::Ok();
  }
  Status Path(std::string_view key, std::optional<JsonPath>& out, bool required = false) {
    std::string text;
    TC_RETURN_IF_ERROR(String(key, text, required));
    if (!t_.get(key)) return Status::Ok();
    auto p = JsonPath::Parse(text);
    if (!p.ok()) return Fail(key, p.status().message());
    out = std::move(p).value();
    return Status::Ok();
  }
  Status Bool(std::string_view key, bool& out) {
    taken_.emplace_back(key);
    const toml::node* n = t_.get(key);
    if (!n) return Status::Ok();
    if (!n->is_boolean()) return Fail(key, "must be true or false");
    out = *n->value<bool>();
    return Status::Ok();
  }
  Status Strings(std::string_view key, std::vector<std::string>& out) {
    taken_.emplace_back(key);
    const toml::node* n = t_.get(key);
    if (!n) return Status::Ok();
    const toml::array* a = n->as_array();
    if (!a) return Fail(key, "must be an array of strings");
    for (const auto& e : *a) {
      if (!e.is_string()) return Fail(key, "must be an array of strings");
      out.push_back(*e.value<std::string>());
    }
    return Status::Ok();
  }
  Status StringMap(std::string_view key, std::map<std::string, std::string>& out) {
    taken_.emplace_back(key);
    const toml::node* n = t_.get(key);
    if (!n) return Status::Ok();
    const toml::table* m = n->as_table();
    if (!m) return Fail(key, "must be a table of \"value\" = \"device type\"");
    for (const auto& [k, v] : *m) {
      if (!v.is_string()) return Fail(key, "\"" + std::string(k.str()) + "\" must map to a device type string");
      out[std::string(k.str())] = *v.value<std::string>();
    }
    return Status::Ok();
  }
  Status Leftovers() const {
    for (const auto& [k, v] : t_) {
      if (std::find(taken_.begin(), taken_.end(), k.str()) == taken_.end()) {
        Where(static_cast<int>(v.source().begin.line), k.str());
        return Status::InvalidArgument(origin_ + ": line " + std::to_string(v.source().begin.line) + ": unknown key " +
                                       std::string(k.str()));
      }
    }
    return Status::Ok();
  }

  void Where(int line, std::string_view key) const {
    if (where_) *where_ = EnvelopeSpecError{line, std::string(key)};
  }

 private:
  const toml::table& t_;
  const std::string& origin_;
  EnvelopeSpecError* const where_;
  std::vector<std::string> taken_;
};

}  // namespace

Result<JsonPath> JsonPath::Parse(std::string_view text) {
  JsonPath p;
  p.text = std::string(text);
  if (text.substr(0, 2) == "$.") {
    p.from_body = true;
    text.remove_prefix(2);
  }
  if (text.empty()) return Status::InvalidArgument("empty path");
  size_t i = 0;
  while (i < text.size()) {
    // A key: up to '.', '[' or the end.
    const size_t end = text.find_first_of(".[", i);
    const std::string_view key = text.substr(i, end == std::string_view::npos ? std::string_view::npos : end - i);
    if (key.empty() && (end == std::string_view::npos || text[end] == '.')) {
      return Status::InvalidArgument("empty key at character " + std::to_string(i + 1) + " of \"" + p.text + "\"");
    }
    if (!key.empty()) p.steps.push_back({std::string(key), 0});
    i = end == std::string_view::npos ? text.size() : end;
    // Indices: [N] any number of times.
    while (i < text.size() && text[i] == '[') {
      const size_t close = text.find(']', i);
      if (close == std::string_view::npos || close == i + 1 || close - i > 10) {
        return Status::InvalidArgument("bad array index at character " + std::to_string(i + 1) + " of \"" + p.text + "\"");
      }
      size_t index = 0;
      for (size_t k = i + 1; k < close; ++k) {
        if (text[k] < '0' || text[k] > '9') {
          return Status::InvalidArgument("array index must be digits, at character " + std::to_string(k + 1) + " of \"" +
                                         p.text + "\"");
        }
        index = index * 10 + static_cast<size_t>(text[k] - '0');
      }
      p.steps.push_back({"", index});
      i = close + 1;
    }
    if (i < text.size()) {
      if (text[i] != '.' || i + 1 == text.size()) {
        return Status::InvalidArgument("expected '.' or '[' at character " + std::to_string(i + 1) + " of \"" + p.text + "\"");
      }
      ++i;
    }
  }
  return p;
}

Result<std::shared_ptr<const Envelope>> LoadEnvelopeSpec(const std::string& toml_text, const std::string& origin,
                                                         EnvelopeSpecError* where) {
  toml::table t;
  try {
    t = toml::parse(toml_text, origin);
  } catch (const toml::parse_error& e) {
    if (where) *where = EnvelopeSpecError{static_cast<int>(e.source().begin.line), ""};
    return Status::InvalidArgument(origin + ": line " + std::to_string(e.source().begin.line) + ": " +
                                   std::string(e.description()));
  }
  SpecReader r(t, origin, where);
  EnvelopeSpec s;
  s.origin = origin;
  std::optional<JsonPath> device_id, payload;
  std::string encoding = "hex", body = "json";
  std::vector<std::string> metadata;
  TC_RETURN_IF_ERROR(r.String("name", s.name, true));
  TC_RETURN_IF_ERROR(r.String("version", s.version));
  TC_RETURN_IF_ERROR(r.String("description", s.description));
  TC_RETURN_IF_ERROR(r.String("body", body));
  TC_RETURN_IF_ERROR(r.Path("frames", s.frames));
  TC_RETURN_IF_ERROR(r.Path("device_id", device_id, true));
  TC_RETURN_IF_ERROR(r.Bool("normalize_device_id", s.normalize_device_id));
  TC_RETURN_IF_ERROR(r.Path("time", s.time));
  TC_RETURN_IF_ERROR(r.String("time_format", s.time_format));
  TC_RETURN_IF_ERROR(r.String("time_zone", s.time_zone));
  TC_RETURN_IF_ERROR(r.Path("payload", payload, true));
  TC_RETURN_IF_ERROR(r.String("payload_encoding", encoding));
  TC_RETURN_IF_ERROR(r.Path("fport", s.fport));
  TC_RETURN_IF_ERROR(r.String("device_type", s.device_type));
  TC_RETURN_IF_ERROR(r.Path("device_type_path", s.device_type_path));
  TC_RETURN_IF_ERROR(r.StringMap("device_type_map", s.device_type_map));
  TC_RETURN_IF_ERROR(r.Strings("metadata", metadata));
  TC_RETURN_IF_ERROR(r.Path("uplink_path", s.uplink_path));
  TC_RETURN_IF_ERROR(r.Strings("uplink_values", s.uplink_values));
  TC_RETURN_IF_ERROR(r.Leftovers());

  if (s.name.empty() || !std::all_of(s.name.begin(), s.name.end(), IsNameChar)) {
    return r.Fail("name", "must be lower-case letters, digits, '-' or '_'");
  }
  if (t.get("version") && (s.version.empty() || s.version.size() > 64 ||
                           !std::all_of(s.version.begin(), s.version.end(), IsVersionChar))) {
    return r.Fail("version", "must be 1 to 64 letters, digits, '.', '-' or '_'");
  }
  if (IsBuiltinSource(s.name)) return r.Fail("name", "\"" + s.name + "\" is a built-in envelope; choose another name");
  s.device_id = std::move(*device_id);
  s.payload = std::move(*payload);
  if (encoding == "hex") s.payload_encoding = PayloadEncoding::kHex;
  else if (encoding == "base64") s.payload_encoding = PayloadEncoding::kBase64;
  else if (encoding == "json") s.payload_encoding = PayloadEncoding::kJson;
  else return r.Fail("payload_encoding", "must be hex, base64 or json");
  if (body == "json") s.body = BodyFormat::kJson;
  else if (body == "form") s.body = BodyFormat::kForm;
  else if (body == "xml") s.body = BodyFormat::kXml;
  else return r.Fail("body", "must be json, form or xml");
  auto format = files::TimestampFormat::Parse(s.time_format);
  if (!format.ok()) return r.Fail("time_format", format.status().message());
  auto zone = files::Zone::Locate(s.time_zone);
  if (!zone.ok()) return r.Fail("time_zone", zone.status().message());
  if (!s.device_type_map.empty() && !s.device_type_path) return r.Fail("device_type_map", "needs device_type_path");
  if (s.uplink_path.has_value() != !s.uplink_values.empty()) {
    return r.Fail(s.uplink_path ? "uplink_path" : "uplink_values", "uplink_path and uplink_values go together");
  }
  for (const std::string& m : metadata) {
    auto p = JsonPath::Parse(m);
    if (!p.ok()) return r.Fail("metadata", p.status().message());
    s.metadata.push_back(std::move(p).value());
  }
  // "$." reads the body item around the frames array: only with `frames`.
  for (const JsonPath* p : {&s.device_id, &s.payload}) {
    if (p->from_body && !s.frames) return r.Fail(p == &s.device_id ? "device_id" : "payload", "\"$.\" needs frames");
  }
  if (s.frames && s.frames->from_body) return r.Fail("frames", "is read from the body item: no \"$.\"");
  return MakeConfiguredEnvelope(std::move(s), std::move(format).value(), std::move(zone).value());
}

EnvelopeLoadReport LoadEnvelopeDirectories(const std::vector<std::string>& decoder_dirs,
                                           std::vector<std::shared_ptr<const Envelope>>* out) {
  namespace fs = std::filesystem;
  struct Loaded {
    std::string name, file;
    std::shared_ptr<const Envelope> envelope;
  };
  std::vector<std::string> dirs;
  for (const std::string& d : decoder_dirs) dirs.push_back((fs::path(d) / "envelopes").string());
  std::vector<Loaded> loaded;
  EnvelopeLoadReport report;
  LoadConnectorFiles<Loaded>(
      dirs, [](const std::string& file) { return fs::is_regular_file(file); },
      [](const std::string& file) -> Result<Loaded> {
        std::ifstream in(file, std::ios::binary);
        std::ostringstream text;
        text << in.rdbuf();
        // Errors name the file by its place under the decoder directory, not the server path.
        auto e = LoadEnvelopeSpec(text.str(), "envelopes/" + fs::path(file).filename().string());
        if (!e.ok()) return e.status();
        std::string name((*e)->source());
        return Loaded{std::move(name), file, std::move(e).value()};
      },
      loaded, report.rejected);
  for (Loaded& l : loaded) {
    report.active.push_back(l.name + " (" + l.file + ")");
    out->push_back(std::move(l.envelope));
  }
  return report;
}

EnvelopeLoadReport ReloadConfiguredEnvelopes(const std::vector<std::string>& decoder_dirs) {
  std::vector<std::shared_ptr<const Envelope>> envelopes;
  EnvelopeLoadReport report = LoadEnvelopeDirectories(decoder_dirs, &envelopes);
  SetConfiguredEnvelopes(std::move(envelopes));
  return report;
}

}  // namespace telecollect::push
