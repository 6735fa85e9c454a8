#include "server/api.h"

#include <charconv>
#include <map>

#include "core/json_writer.h"
#include "decode/decode_frame.h"
#include "decode/decode_report.h"
#include "push/device_csv.h"
#include "push/json_batch.h"
#include "push/json_fields.h"
#include "push/redecode.h"
#include "server/decoders_api.h"
#include "server/files_api.h"
#include "server/json_error.h"
#include "server/request_target.h"

namespace telecollect::server {
namespace {

using push::ErrorJson;

HttpResponse Json(int status, std::string body) { return {status, "application/json", std::move(body), {}}; }
HttpResponse Error(int status, std::string_view message) { return Json(status, ErrorJson(message)); }

HttpResponse FromStatus(const Status& s) {
  HttpResponse r = Error(HttpStatusFor(s), s.message());
  if (s.code() == StatusCode::kUnauthenticated) r.headers.emplace_back("WWW-Authenticate", "Basic realm=\"telecollect\"");
  if (HttpStatusFor(s) == 503) r.headers.emplace_back("Retry-After", "1");
  return r;
}

Result<size_t> ParseLimit(const Target& t, size_t dflt, size_t max) {
  auto it = t.params.find("limit");
  if (it == t.params.end()) return dflt;
  size_t v = 0;
  auto [p, ec] = std::from_chars(it->second.data(), it->second.data() + it->second.size(), v);
  if (ec != std::errc() || p != it->second.data() + it->second.size() || v == 0 || v > max) {
    return Status::InvalidArgument("limit must be an integer from 1 to " + std::to_string(max));
  }
  return v;
}

std::string_view Param(const Target& t, const std::string& k) {
  auto it = t.params.find(k);
  return it == t.params.end() ? std::string_view() : std::string_view(it->second);
}

bool IsPush(const HttpRequest& r, const Target& t) {
  return r.method == "POST" && (t.segments.empty() || (t.segments.size() >= 3 && t.segments[0] == "v1" &&
                                                       t.segments[1] == "push"));
}

}  // namespace

std::string Api::RouteLabel(const HttpRequest& r) const {
  auto t = ParseTarget(r.target);
  if (!t.ok()) return "other";
  const auto& s = t->segments;
  if (s.empty()) return "/";
  if (s.size() == 1 && (s[0] == "healthz" || s[0] == "metrics")) return "/" + s[0];
  if (s.size() >= 2 && s[0] == "v1") {
    if (s[1] == "push") return "/v1/push/{source}";
    if (s[1] == "modules") return s.size() == 4 ? "/v1/modules/{id}/measurements" : "/v1/modules";
    if (s[1] == "frames") return "/v1/frames";
    if (s[1] == "devices") return "/v1/devices";
    if (s[1] == "redecode") return "/v1/redecode";
    if (s[1] == "files") return s.size() == 3 ? "/v1/files/validate" : "/v1/files";
    if (s[1] == "connectors") return "/v1/connectors/{name}/try";
    if (s[1] == "devicetype-aliases") return "/v1/devicetype-aliases";
    if (s[1] == "devicetypes") {
      if (s.size() == 2) return "/v1/devicetypes";
      if (s.size() == 4 && s[3] == "decode") return "/v1/devicetypes/{t}/decode";
      if (s.size() == 4 && s[3] == "deactivate") return "/v1/devicetypes/{t}/deactivate";
      if (s.size() == 6) return "/v1/devicetypes/{t}/versions/{v}/activate";
      return "/v1/devicetypes/{t}/versions";
    }
  }
  return "other";
}

void Api::Handle(HttpRequest req, std::function<void(HttpResponse)> reply) {
  auto target = ParseTarget(req.target);
  if (!target.ok()) return reply(Error(400, target.status().message()));
  const Target& t = *target;
  const auto& seg = t.segments;

  if (req.method == "GET" && seg.size() == 1 && seg[0] == "healthz") {
    JsonWriter w;
    w.BeginObject().Key("status").String("ok").Key("write_queue").Int(static_cast<int64_t>(d_.committer.depth()))
        .EndObject();
    return reply(Json(200, w.Take()));
  }
  if (req.method == "GET" && seg.size() == 1 && seg[0] == "metrics") {
    d_.metrics.queue_depth.Set(static_cast<double>(d_.committer.depth()));
    return reply({200, "text/plain; version=0.0.4", d_.metrics.Render(), {}});
  }

  const bool push = IsPush(req, t);
  const bool known_get = req.method == "GET" && seg.size() >= 2 && seg[0] == "v1" &&
                         (seg[1] == "modules" || seg[1] == "frames" || seg[1] == "devicetypes" ||
                          (seg[1] == "files" && seg.size() == 2));
  const bool try_decode = req.method == "POST" && seg.size() == 4 && seg[0] == "v1" && seg[1] == "devicetypes" &&
                          seg[3] == "decode";
  const bool devices = seg.size() >= 2 && seg.size() <= 3 && seg[0] == "v1" && seg[1] == "devices" &&
                       ((req.method == "GET" && seg.size() == 2) || (req.method == "POST" && seg.size() == 2) ||
                        (req.method == "PUT" && seg.size() == 3));
  const bool redecode = req.method == "POST" && seg.size() == 2 && seg[0] == "v1" && seg[1] == "redecode";
  const bool validate = req.method == "POST" && seg.size() == 3 && seg[0] == "v1" && seg[1] == "files" &&
                        seg[2] == "validate";
  const bool try_connector = req.method == "POST" && seg.size() == 4 && seg[0] == "v1" && seg[1] == "connectors" &&
                             seg[3] == "try";
  // The decoder lifecycle (decoders_api.h).
  const bool on_type = seg.size() >= 4 && seg[0] == "v1" && seg[1] == "devicetypes";
  const bool list_versions = req.method == "GET" && on_type && seg.size() == 4 && seg[3] == "versions";
  const bool upload_version = req.method == "POST" && on_type && seg.size() == 4 && seg[3] == "versions";
  const bool activate_version = req.method == "POST" && on_type && seg.size() == 6 && seg[3] == "versions" &&
                                seg[5] == "activate";
  const bool deactivate = req.method == "POST" && on_type && seg.size() == 4 && seg[3] == "deactivate";
  const bool aliases = seg.size() >= 2 && seg.size() <= 3 && seg[0] == "v1" && seg[1] == "devicetype-aliases" &&
                       ((req.method == "GET" && seg.size() == 2) ||
                        ((req.method == "PUT" || req.method == "DELETE") && seg.size() == 3));
  const bool lifecycle = list_versions || upload_version || activate_version || deactivate || aliases;
  if (!push && !known_get && !try_decode && !devices && !redecode && !validate && !try_connector && !lifecycle) {
    if (seg.empty() || (seg.size() >= 2 && seg[0] == "v1")) {
      return reply(Error(405, "method " + req.method + " not allowed on " + req.target));
    }
    return reply(Error(404, "no route for " + req.method + " " + req.target + " (see docs/api.md)"));
  }

  // Every data route needs a token; its scope bounds what can be written or read.
  auto scope = d_.auth.Authenticate(req.Header("authorization"));
  if (!scope.ok()) return reply(FromStatus(scope.status()));
  if (auto env = Param(t, "env"); !env.empty()) {
    auto wanted = ParseEnv(env);
    if (!wanted.ok()) return reply(Error(400, wanted.status().message()));
    if (*wanted != scope->env) {
      return reply(Error(403, std::string("this token belongs to ") + EnvName(scope->env) + "; it cannot " +
                                  (push ? "write" : "read") + " " + EnvName(*wanted) + " data"));
    }
  }
  if (auto tenant = Param(t, "tenant"); !tenant.empty() && tenant != scope->tenant) {
    return reply(Error(403, "this token belongs to another tenant"));
  }
  if (validate) return reply(ValidateUpload(req));
  if (lifecycle) {
    const DecodersApi decoders{d_.store, d_.registry, d_.clock};
    if (aliases) {
      if (seg.size() == 2) return reply(decoders.Aliases(*scope));
      return reply(decoders.SetAlias(*scope, seg[2], req.body, req.method == "DELETE"));
    }
    if (list_versions) return reply(decoders.Versions(*scope, seg[2]));
    if (upload_version) return reply(decoders.Upload(*scope, seg[2], req, Param(t, "activate") == "true"));
    return reply(decoders.Activate(*scope, seg[2], deactivate ? std::string() : seg[4]));
  }
  if (try_connector) {
    if (!d_.api_connectors) return reply(Error(404, "API connectors are not served here"));
    return reply(TryConnector(d_.store, d_.clock, d_.api_connectors, *scope, seg[2], t.params));
  }
  if (req.method == "GET" && seg.size() == 2 && seg[1] == "files") return reply(FilesJournal(d_.store, *scope, t.params));

  if (push) {
    push::PushService::Route route;
    route.source_from_path = !seg.empty();
    route.source = route.source_from_path ? seg[2] : std::string(req.Header("source"));
    if (seg.size() > 3) route.subpath.assign(seg.begin() + 3, seg.end());
    route.query = t.params;
    route.default_device_type = std::string(Param(t, "devicetype").empty() ? req.Header("devicetype")
                                                                             : Param(t, "devicetype"));
    d_.push.Push(*scope, route, req.Header("content-type"), req.body, [reply](push::PushResponse r) {
      HttpResponse resp = Json(r.status, std::move(r.body));
      if (r.retry_after_s > 0) resp.headers.emplace_back("Retry-After", std::to_string(r.retry_after_s));
      reply(std::move(resp));
    });
    return;
  }

  if (redecode) {
    // Re-runs the current decoders over this scope's journaled frames. Runs in
    // the request (bounded by the filter); idempotent.
    push::RedecodeFilter filter;
    filter.scopes = {*scope};
    if (auto v = Param(t, "devicetype"); !v.empty()) filter.device_type = decode::NormalizeDeviceType(v);
    if (auto v = Param(t, "deviceid"); !v.empty()) filter.device_id = std::string(v);
    if (auto v = Param(t, "status"); v == "all") {
      filter.statuses = {DecodeStatus::kNoDecoder, DecodeStatus::kFailed, DecodeStatus::kDecoded};
    } else if (!v.empty()) {
      auto st = ParseDecodeStatus(v);
      if (!st.ok()) return reply(FromStatus(st.status()));
      filter.statuses = {*st};
    }
    for (const char* bound : {"from", "to"}) {
      if (auto v = Param(t, bound); !v.empty()) {
        auto r = ParseTimeBound(bound, v);
        if (!r.ok()) return reply(FromStatus(r.status()));
        (std::string_view(bound) == "from" ? filter.from : filter.to) = *r;
      }
    }
    filter.dry_run = Param(t, "dry_run") == "true";
    auto report = push::Redecode(d_.store, d_.registry, filter);
    if (!report.ok()) return reply(FromStatus(report.status()));
    JsonWriter w;
    w.BeginObject().Key("scanned").Int(static_cast<int64_t>(report->scanned))
        .Key("decoded").Int(static_cast<int64_t>(report->decoded))
        .Key("pending").Int(static_cast<int64_t>(report->pending))
        .Key("failed").Int(static_cast<int64_t>(report->failed))
        .Key("measurements").Int(static_cast<int64_t>(filter.dry_run ? 0 : report->measurements))
        .Key("dry_run").Bool(filter.dry_run).EndObject();
    return reply(Json(200, w.Take()));
  }

  if (devices) {
    if (req.method == "GET") {
      auto limit = ParseLimit(t, 1000, 100000);
      if (!limit.ok()) return reply(FromStatus(limit.status()));
      auto list = d_.store.ListDevices(*scope, Param(t, "prefix"), *limit);
      if (!list.ok()) return reply(FromStatus(list.status()));
      JsonWriter w;
      w.BeginObject().Key("devices").BeginArray();
      for (const auto& dev : *list) {
        w.BeginObject().Key("deviceid").String(dev.device_id).Key("devicetype").String(dev.device_type)
            .Key("label").String(dev.label).Key("module").String(dev.module_template).EndObject();
      }
      w.EndArray().EndObject();
      return reply(Json(200, w.Take()));
    }
    std::vector<store::Device> batch;
    if (req.method == "POST") {  // bulk import, CSV
      auto parsed = push::ParseDeviceCsv(req.body);
      if (!parsed.ok()) return reply(FromStatus(parsed.status()));
      batch = std::move(parsed).value();
    } else {  // PUT /v1/devices/{id}, JSON
      store::Device dev;
      dev.device_id = seg[2];
      push::PushRequest body_req;
      body_req.body = req.body;
      body_req.max_items = 1;
      auto err = push::ForEachJsonItem(body_req, [&](size_t index, simdjson::dom::element item) {
        push::ItemReader r(index, item);
        dev.device_type = decode::NormalizeDeviceType(r.String("devicetype").value_or(""));
        dev.label = r.String("label").value_or("");
        dev.module_template = r.String("module").value_or("");
        if (!dev.module_template.empty() && dev.module_template.find("{field}") == std::string::npos) {
          r.Fail("module", "must contain {field}");
        }
        return r.error();
      });
      if (err) return reply(Json(400, ErrorJson(err->ToString())));
      batch.push_back(std::move(dev));
    }
    Status s = d_.devices.Update(*scope, batch);
    if (!s.ok()) return reply(FromStatus(s));
    JsonWriter w;
    w.BeginObject().Key("updated").Int(static_cast<int64_t>(batch.size())).EndObject();
    return reply(Json(200, w.Take()));
  }

  if (try_decode) {
    // The preprod validation step: what would this payload become?
    auto type = d_.registry.Find(*scope, seg[2]);
    if (!type) return reply(Error(404, "no active decoder for device type \"" + seg[2] + "\" (GET /v1/devicetypes)"));
    push::PushRequest body_req;
    body_req.body = req.body;
    body_req.content_type = req.Header("content-type");
    body_req.max_items = 1;
    std::optional<Bytes> payload;
    std::optional<int64_t> fport;
    std::string device_id = "DEVICE";
    auto err = push::ForEachJsonItem(body_req, [&](size_t index, simdjson::dom::element item) {
      push::ItemReader r(index, item);
      payload = r.Hex("payload");
      r.Require(payload, "payload");
      fport = r.Integer("fport", 0, 255);
      if (auto d = r.String("deviceid")) device_id = *d;
      return r.error();
    });
    if (err) {
      JsonWriter w;
      w.BeginObject().Key("error").String(err->ToString()).Key("field").String(err->field).EndObject();
      return reply(Json(400, w.Take()));
    }
    bool ok = false;
    std::optional<int> port;
    if (fport) port = static_cast<int>(*fport);
    std::string report = decode::DecodeReportJson(*type, *payload, port, device_id, &ok);
    return reply(Json(ok ? 200 : 422, std::move(report)));  // 422: a valid request the decoder refuses
  }

  if (seg[1] == "devicetypes" && seg.size() == 2) {
    // What applies to this token's frames: a version uploaded for its scope, else the shared decoder.
    std::map<std::string, std::pair<std::shared_ptr<const decode::DeviceType>, bool>> types;
    for (const auto& [name, dt] : *d_.registry.Snapshot()) {
      if (name == dt->name) types[name] = {dt, false};  // not an alias
    }
    for (const auto& scoped : d_.registry.ScopedTypes(*scope)) types[scoped.type->name] = {scoped.type, true};
    JsonWriter w;
    w.BeginObject().Key("devicetypes").BeginArray();
    for (const auto& [name, entry] : types) {
      const auto& dt = entry.first;
      w.BeginObject().Key("devicetype").String(name).Key("version").String(dt->version)
          .Key("kind").String(dt->decoder->kind()).Key("description").String(dt->description)
          .Key("module").String(dt->module_template).Key("tests").Int(static_cast<int64_t>(dt->tests.size()))
          .Key("uploaded").Bool(entry.second).EndObject();
    }
    w.EndArray().EndObject();
    return reply(Json(200, w.Take()));
  }

  if (seg[1] == "modules" && seg.size() == 2) {
    auto limit = ParseLimit(t, 1000, 100000);
    if (!limit.ok()) return reply(FromStatus(limit.status()));
    auto mods = d_.store.ListModules(*scope, Param(t, "prefix"), *limit);
    if (!mods.ok()) return reply(FromStatus(mods.status()));
    JsonWriter w;
    w.BeginObject().Key("tenant").String(scope->tenant).Key("env").String(EnvName(scope->env))
        .Key("modules").BeginArray();
    for (const auto& m : *mods) {
      w.BeginObject().Key("id").String(m.name).Key("unit").String(m.unit)
          .Key("first_seen").String(FormatIso8601(m.created_at)).EndObject();
    }
    w.EndArray().EndObject();
    return reply(Json(200, w.Take()));
  }

  if (seg[1] == "modules" && seg.size() == 4 && seg[3] == "measurements") {
    store::MeasurementQuery q;
    q.scope = *scope;
    q.module = seg[2];
    if (auto v = Param(t, "from"); !v.empty()) {
      auto r = ParseTimeBound("from", v);
      if (!r.ok()) return reply(FromStatus(r.status()));
      q.from = *r;
    }
    if (auto v = Param(t, "to"); !v.empty()) {
      auto r = ParseTimeBound("to", v);
      if (!r.ok()) return reply(FromStatus(r.status()));
      q.to = *r;
    }
    if (q.from >= q.to) return reply(Error(400, "from must be before to"));
    std::string step_text(Param(t, "step"));
    if (!step_text.empty()) {
      auto step = ParseDurationMs(step_text);
      if (!step.ok() || *step <= 0) return reply(Error(400, "step must be a duration such as 10m, 1h or 1d"));
      q.step_ms = *step;
    }
    std::string agg_text(Param(t, "agg"));
    if (!agg_text.empty()) {
      auto agg = store::ParseAggregate(agg_text);
      if (!agg.ok()) return reply(FromStatus(agg.status()));
      q.agg = *agg;
      if (q.step_ms == 0 && q.agg != store::Aggregate::kNone) return reply(Error(400, "agg needs a step (e.g. step=1h)"));
    }
    auto limit = ParseLimit(t, 100000, 1000000);
    if (!limit.ok()) return reply(FromStatus(limit.status()));
    q.limit = *limit;
    const std::string format(Param(t, "format").empty() ? "json" : Param(t, "format"));
    if (format != "json" && format != "csv") return reply(Error(400, "format must be json or csv"));
    auto points = d_.store.QueryMeasurements(q);
    if (!points.ok()) return reply(FromStatus(points.status()));
    const bool aggregated = q.step_ms > 0 && q.agg != store::Aggregate::kNone;
    if (format == "csv") {
      std::string csv = "timestamp,value\n";
      for (const auto& p : *points) {
        csv += FormatIso8601(p.ts);
        csv += ',';
        AppendJsonNumber(csv, p.value);
        csv += '\n';
      }
      return reply({200, "text/csv; charset=utf-8", std::move(csv), {}});
    }
    JsonWriter w;
    w.BeginObject().Key("module").String(q.module);
    if (aggregated) w.Key("step").String(step_text).Key("agg").String(agg_text.empty() ? "avg" : agg_text);
    w.Key("points").BeginArray();
    for (const auto& p : *points) {
      w.BeginObject().Key("ts").String(FormatIso8601(p.ts)).Key("value").Number(p.value);
      if (!aggregated && p.quality) w.Key("quality").Int(p.quality);
      w.EndObject();
    }
    w.EndArray().EndObject();
    return reply(Json(200, w.Take()));
  }

  if (seg[1] == "frames" && seg.size() == 2) {
    store::FrameQuery q;
    q.scope = *scope;
    if (auto v = Param(t, "deviceid"); !v.empty()) q.device_id = std::string(v);
    if (auto v = Param(t, "devicetype"); !v.empty()) q.device_type = decode::NormalizeDeviceType(v);
    if (auto v = Param(t, "status"); !v.empty()) {
      auto s = ParseDecodeStatus(v);
      if (!s.ok()) return reply(FromStatus(s.status()));
      q.status = *s;
    }
    for (const char* bound : {"from", "to"}) {
      if (auto v = Param(t, bound); !v.empty()) {
        auto r = ParseTimeBound(bound, v);
        if (!r.ok()) return reply(FromStatus(r.status()));
        (std::string_view(bound) == "from" ? q.from : q.to) = *r;
      }
    }
    if (auto v = Param(t, "before"); !v.empty()) {
      int64_t id = 0;
      auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), id);
      if (ec != std::errc() || p != v.data() + v.size()) return reply(Error(400, "before must be a frame id"));
      q.before_id = id;
    }
    auto limit = ParseLimit(t, 100, 1000);
    if (!limit.ok()) return reply(FromStatus(limit.status()));
    q.limit = *limit;
    auto frames = d_.store.QueryFrames(q);
    if (!frames.ok()) return reply(FromStatus(frames.status()));
    JsonWriter w;
    w.BeginObject().Key("frames").BeginArray();
    for (const auto& f : *frames) {
      w.BeginObject().Key("id").Int(f.id).Key("source").String(f.frame.source).Key("deviceid").String(f.frame.device_id)
          .Key("devicetype").String(f.frame.device_type).Key("timestamp").String(FormatIso8601(f.frame.event_time))
          .Key("received_at").String(FormatIso8601(f.frame.received_at)).Key("payload").String(EncodeHex(f.frame.payload));
      if (f.frame.fport) w.Key("fport").Int(*f.frame.fport);
      if (!f.frame.metadata_json.empty()) w.Key("metadata").Raw(f.frame.metadata_json);
      w.Key("status").String(DecodeStatusName(f.status));
      if (!f.reason.empty()) w.Key("reason").String(f.reason);
      if (f.status == DecodeStatus::kDecoded) {
        // What the decoder makes of it now: the preprod validation view.
        decode::FrameDecoding now = decode::DecodeFrame(d_.registry, *scope, f.frame);
        w.Key("values").BeginObject();
        for (const auto& m : now.measurements) w.Key(m.module).Number(m.value);
        w.EndObject();
      }
      w.EndObject();
    }
    w.EndArray();
    if (frames->size() == q.limit) w.Key("next_before").Int(frames->back().id);
    w.EndObject();
    return reply(Json(200, w.Take()));
  }

  reply(Error(404, "no route for " + req.method + " " + req.target + " (see docs/api.md)"));
}

std::string_view HttpRequest::Header(std::string_view name) const {
  for (const auto& [k, v] : headers) {
    if (k == name) return v;
  }
  return {};
}

}  // namespace telecollect::server
