// The read routes of Api: health, metrics, modules, measurements, frames, device types.
#include <map>

#include "core/hex.h"
#include "core/json_writer.h"
#include "decode/decode_frame.h"
#include "server/api.h"
#include "server/json_error.h"

namespace telecollect::server {
namespace {

HttpResponse Json(std::string body) { return {200, "application/json", std::move(body), {}}; }

}  // namespace

HttpResponse Api::Health(RouteCall&) {
  JsonWriter w;
  w.BeginObject().Key("status").String("ok").Key("write_queue").Int(static_cast<int64_t>(d_.committer.depth()))
      .Key("worker_queue").Int(static_cast<int64_t>(pool_.queued())).EndObject();
  return Json(w.Take());
}

HttpResponse Api::MetricsText(RouteCall&) {
  d_.metrics.queue_depth.Set(static_cast<double>(d_.committer.depth()));
  return {200, "text/plain; version=0.0.4", d_.metrics.Render(), {}};
}

HttpResponse Api::Modules(RouteCall& c) {
  const size_t limit = c.params.Limit("limit", 1000, 100000);
  if (c.params.error()) return ParamErrorResponse(*c.params.error());
  auto mods = d_.store.ListModules(*c.scope, c.params.Text("prefix"), limit);
  if (!mods.ok()) return StatusError(mods.status());
  JsonWriter w;
  w.BeginObject().Key("tenant").String(c.scope->tenant).Key("env").String(EnvName(c.scope->env))
      .Key("modules").BeginArray();
  for (const auto& m : *mods) {
    w.BeginObject().Key("id").String(m.name).Key("unit").String(m.unit)
        .Key("first_seen").String(FormatIso8601(m.created_at)).EndObject();
  }
  w.EndArray().EndObject();
  return Json(w.Take());
}

HttpResponse Api::Measurements(RouteCall& c) {
  store::MeasurementQuery q;
  q.scope = *c.scope;
  q.module = c.Arg("id");
  QueryParams& p = c.params;
  if (auto from = p.Time("from")) q.from = *from;
  if (auto to = p.Time("to")) q.to = *to;
  if (!p.error() && q.from >= q.to) p.Refuse("from", "from must be before to", std::string(kTimeRange));
  if (auto step = p.Duration("step", kMinStepMs, kMaxDurationMs)) q.step_ms = *step;
  const std::string_view agg_text = p.Choice("agg", "", {"avg", "min", "max", "sum", "last", "count", "none", "raw"});
  if (!agg_text.empty()) q.agg = *store::ParseAggregate(agg_text);
  if (!p.error() && !agg_text.empty() && q.step_ms == 0 && q.agg != store::Aggregate::kNone)
    p.Refuse("agg", "agg needs a step (e.g. step=1h)", "with step: avg, min, max, sum, last, count");
  q.limit = p.Limit("limit", 100000, 1000000);
  const std::string_view format = p.Choice("format", "json", {"json", "csv"});
  if (p.error()) return ParamErrorResponse(*p.error());
  auto points = d_.store.QueryMeasurements(q);
  if (!points.ok()) return StatusError(points.status());
  const bool aggregated = q.step_ms > 0 && q.agg != store::Aggregate::kNone;
  if (format == "csv") {
    std::string csv = "timestamp,value\n";
    for (const auto& pt : *points) {
      csv += FormatIso8601(pt.ts);
      csv += ',';
      AppendJsonNumber(csv, pt.value);
      csv += '\n';
    }
    return {200, "text/csv; charset=utf-8", std::move(csv), {}};
  }
  JsonWriter w;
  w.BeginObject().Key("module").String(q.module);
  if (aggregated) {
    w.Key("step").String(std::string(p.Text("step"))).Key("agg").String(agg_text.empty() ? "avg" : std::string(agg_text));
  }
  w.Key("points").BeginArray();
  for (const auto& pt : *points) {
    w.BeginObject().Key("ts").String(FormatIso8601(pt.ts)).Key("value").Number(pt.value);
    if (!aggregated && pt.quality) w.Key("quality").Int(pt.quality);
    w.EndObject();
  }
  w.EndArray().EndObject();
  return Json(w.Take());
}

HttpResponse Api::Frames(RouteCall& c) {
  store::FrameQuery q;
  q.scope = *c.scope;
  QueryParams& p = c.params;
  if (auto v = p.Text("deviceid"); !v.empty()) q.device_id = std::string(v);
  if (auto v = p.Text("devicetype"); !v.empty()) q.device_type = decode::NormalizeDeviceType(v);
  if (auto s = p.StatusParam("status")) q.status = *s;
  if (auto from = p.Time("from")) q.from = *from;
  if (auto to = p.Time("to")) q.to = *to;
  if (auto id = p.Id("before")) q.before_id = *id;
  q.limit = p.Limit("limit", 100, 1000);
  if (p.error()) return ParamErrorResponse(*p.error());
  auto frames = d_.store.QueryFrames(q);
  if (!frames.ok()) return StatusError(frames.status());
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
      // What the decoder made of it, as stored: a read never runs a decoder.
      w.Key("values").Raw(f.values_json.empty() ? std::string_view("{}") : std::string_view(f.values_json));
    }
    w.EndObject();
  }
  w.EndArray();
  if (frames->size() == q.limit) w.Key("next_before").Int(frames->back().id);
  w.EndObject();
  return Json(w.Take());
}

HttpResponse Api::DeviceTypes(RouteCall& c) {
  // What applies to this token's frames: a version uploaded for its scope, else the shared decoder.
  std::map<std::string, std::pair<std::shared_ptr<const decode::DeviceType>, bool>> types;
  for (const auto& [name, dt] : *d_.registry.Snapshot()) {
    if (name == dt->name) types[name] = {dt, false};  // not an alias
  }
  for (const auto& scoped : d_.registry.ScopedTypes(*c.scope)) types[scoped.type->name] = {scoped.type, true};
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
  return Json(w.Take());
}

}  // namespace telecollect::server
