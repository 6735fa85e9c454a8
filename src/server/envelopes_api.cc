#include "server/envelopes_api.h"

#include "core/json_writer.h"
#include "core/time_util.h"
#include "push/envelope.h"
#include "push/envelope_catalog.h"
#include "server/json_error.h"

namespace telecollect::server {
namespace {

HttpResponse Json(int status, std::string body) { return {status, "application/json", std::move(body), {}}; }

}  // namespace

HttpResponse EnvelopesApi::List(const Scope& scope) const {
  auto uploaded = store.ListEnvelopeVersions(scope, "", true);
  if (!uploaded.ok()) return StatusError(uploaded.status());
  JsonWriter w;
  w.BeginObject().Key("envelopes").BeginArray();
  for (const std::string& name : push::KnownSources(scope)) {
    const auto e = push::FindEnvelope(scope, name);
    if (!e) continue;  // reloaded meanwhile
    std::string origin = push::IsBuiltinSource(name) ? "built-in" : "decoder directory";
    for (const auto& v : *uploaded) {
      if (v.name == name) origin = "uploaded";
    }
    w.BeginObject().Key("name").String(name).Key("origin").String(origin);
    if (!e->version().empty()) w.Key("version").String(e->version());
    w.EndObject();
  }
  w.EndArray().EndObject();
  return Json(200, w.Take());
}

HttpResponse EnvelopesApi::Versions(const Scope& scope, const std::string& name) const {
  auto versions = store.ListEnvelopeVersions(scope, name, false);
  if (!versions.ok()) return StatusError(versions.status());
  JsonWriter w;
  w.BeginObject().Key("envelope").String(name).Key("versions").BeginArray();
  for (const auto& v : *versions) {
    w.BeginObject().Key("version").String(v.version).Key("uploaded_at").String(FormatIso8601(v.uploaded_at))
        .Key("active").Bool(v.activated_at.has_value());
    if (v.activated_at) w.Key("active_since").String(FormatIso8601(*v.activated_at));
    w.EndObject();
  }
  w.EndArray().EndObject();
  return Json(200, w.Take());
}

HttpResponse EnvelopesApi::Upload(const Scope& scope, const std::string& name, const HttpRequest& req,
                                  bool activate) const {
  const std::string_view type = req.Header("content-type");
  if (!type.empty() && !type.starts_with("application/toml") && !type.starts_with("text/plain")) {
    return JsonError(415, "send the envelope as application/toml (or text/plain); not " + std::string(type));
  }
  push::EnvelopeSpecError where;
  auto up = push::UploadEnvelopeVersion(store, scope, req.body, name, activate, clock.NowMs(), &where);
  if (!up.ok()) {
    if (up.status().code() != StatusCode::kInvalidArgument) return StatusError(up.status());
    JsonWriter w;
    w.BeginObject().Key("error").String(up.status().message());
    if (where.line > 0) w.Key("line").Int(where.line);
    if (!where.key.empty()) w.Key("field").String(where.key);
    w.EndObject();
    return Json(400, w.Take());
  }
  JsonWriter w;
  w.BeginObject().Key("envelope").String(up->name).Key("version").String(up->version).Key("active").Bool(up->activated)
      .EndObject();
  return Json(201, w.Take());
}

HttpResponse EnvelopesApi::Activate(const Scope& scope, const std::string& name, const std::string& version) const {
  Status s = push::ActivateEnvelopeVersion(store, scope, name, version, clock.NowMs());
  if (!s.ok()) return StatusError(s);
  JsonWriter w;
  w.BeginObject().Key("envelope").String(name).Key("active");
  if (version.empty()) w.Null(); else w.String(version);
  w.EndObject();
  return Json(200, w.Take());
}

}  // namespace telecollect::server
