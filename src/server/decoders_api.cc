#include "server/decoders_api.h"

#include <simdjson.h>

#include "core/json_writer.h"
#include "core/multipart.h"
#include "core/time_util.h"
#include "push/decoder_catalog.h"
#include "server/json_error.h"

namespace telecollect::server {

HttpResponse DecodersApi::Versions(const Scope& scope, const std::string& device_type) const {
  const std::string name = decode::NormalizeDeviceType(device_type);
  auto versions = store.ListDecoderVersions(scope, name, false);
  if (!versions.ok()) return StatusError(versions.status());
  auto shared = registry.Find(name);
  JsonWriter w;
  w.BeginObject().Key("devicetype").String(name).Key("shared");
  if (shared) {
    w.BeginObject().Key("version").String(shared->version).Key("kind").String(shared->decoder->kind())
        .Key("origin").String(shared->origin).EndObject();
  } else {
    w.Null();
  }
  w.Key("versions").BeginArray();
  for (const auto& v : *versions) {
    w.BeginObject().Key("version").String(v.version).Key("uploaded_at").String(FormatIso8601(v.uploaded_at))
        .Key("active").Bool(v.activated_at.has_value());
    if (v.activated_at) w.Key("active_since").String(FormatIso8601(*v.activated_at));
    w.EndObject();
  }
  w.EndArray().EndObject();
  return {200, "application/json", w.Take(), {}};
}

HttpResponse DecodersApi::Upload(const Scope& scope, const std::string& device_type, const HttpRequest& req,
                                 bool activate) const {
  std::string spec, script;
  const std::string_view type = req.Header("content-type");
  if (type.starts_with("multipart/form-data")) {
    auto parts = ParseMultipart(type, req.body);
    if (!parts.ok()) return JsonError(400, parts.status().message());
    bool has_spec = false;
    for (const FormPart& p : *parts) {
      if (p.name == "spec") {
        spec = std::string(p.data);
        has_spec = true;
      } else if (p.name == "script") {
        script = std::string(p.data);
      } else {
        return JsonError(400, "unknown multipart field \"" + p.name + "\" (spec, script)");
      }
    }
    if (!has_spec) return JsonError(400, "multipart field \"spec\" (the TOML spec) is missing");
  } else if (type.empty() || type.starts_with("application/toml") || type.starts_with("text/plain")) {
    spec = req.body;
  } else {
    return JsonError(415, "send the spec as application/toml (or text/plain), or multipart/form-data with parts spec "
                          "and script; not " + std::string(type));
  }
  auto up = push::UploadDecoderVersion(store, registry, scope, spec, script, device_type, activate, clock.NowMs());
  if (!up.ok()) return StatusError(up.status());
  JsonWriter w;
  w.BeginObject().Key("devicetype").String(up->device_type).Key("version").String(up->version)
      .Key("kind").String(up->kind).Key("vectors").Int(static_cast<int64_t>(up->vectors))
      .Key("active").Bool(up->activated).EndObject();
  return {201, "application/json", w.Take(), {}};
}

HttpResponse DecodersApi::Activate(const Scope& scope, const std::string& device_type, const std::string& version) const {
  Status s = push::ActivateDecoderVersion(store, registry, scope, device_type, version, clock.NowMs());
  if (!s.ok()) return JsonError(HttpStatusFor(s), s.message());
  JsonWriter w;
  w.BeginObject().Key("devicetype").String(decode::NormalizeDeviceType(device_type)).Key("active");
  if (version.empty()) w.Null(); else w.String(version);
  w.EndObject();
  return {200, "application/json", w.Take(), {}};
}

HttpResponse DecodersApi::Aliases(const Scope& scope) const {
  auto aliases = store.ListTypeAliases(scope);
  if (!aliases.ok()) return StatusError(aliases.status());
  JsonWriter w;
  w.BeginObject().Key("aliases").BeginArray();
  for (const auto& a : *aliases) w.BeginObject().Key("alias").String(a.alias).Key("devicetype").String(a.device_type).EndObject();
  w.EndArray().EndObject();
  return {200, "application/json", w.Take(), {}};
}

HttpResponse DecodersApi::SetAlias(const Scope& scope, const std::string& alias, const std::string& body,
                                   bool remove) const {
  std::string device_type;
  if (!remove) {
    simdjson::dom::parser parser;
    simdjson::dom::element root;
    std::string_view type;
    if (parser.parse(body).get(root) || root["devicetype"].get(type) || type.empty()) {
      return JsonError(400, "the body must be {\"devicetype\": \"...\"}");
    }
    device_type = std::string(type);
  }
  Status s = push::SetTypeAlias(store, registry, scope, alias, device_type);
  if (!s.ok()) return JsonError(HttpStatusFor(s), s.message());
  JsonWriter w;
  w.BeginObject().Key("alias").String(decode::NormalizeDeviceType(alias)).Key("devicetype");
  if (remove) w.Null(); else w.String(decode::NormalizeDeviceType(device_type));
  w.EndObject();
  return {200, "application/json", w.Take(), {}};
}

}  // namespace telecollect::server
