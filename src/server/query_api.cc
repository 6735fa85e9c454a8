// The read routes of Api: health, metrics, modules, measurements, frames, device types.
#include <algorithm>
#include <charconv>
#include <map>

#include "core/hex.h"
#include "core/json_writer.h"
#include "decode/decode_frame.h"
#include "server/api.h"
#include "server/json_error.h"
#include "server/series_query.h"

namespace telecollect::server {
namespace {

HttpResponse Json(std::string body) { return {200, "application/json", std::move(body), {}}; }

}  // namespace

HttpResponse Api::Health(RouteCall&) {
  // 503 while the database cannot be reached: a load balancer sends elsewhere,
  // an operator reads why. Never a host or port: the store's reason only.
  const store::StoreHealth store = d_.store.Health();
  JsonWriter w;
  w.BeginObject().Key("status").String(store.reachable ? "ok" : "unavailable");
  if (!store.reachable) {
    w.Key("reason").String(store.reason).Key("unreachable_for_s").Int(store.down_for_ms / 1000);
  }
  w.Key("write_queue").Int(static_cast<int64_t>(d_.committer.depth()))
      .Key("worker_queue").Int(static_cast<int64_t>(pool_.queued()));
  w.Key("mqtt").Raw(d_.mqtt_status ? d_.mqtt_status() : "[]").EndObject();
  HttpResponse r = Json(w.Take());
  if (!store.reachable) {
    r.status = 503;
    r.headers.emplace_back("Retry-After", "1");
  }
  return r;
}

HttpResponse Api::MetricsText(RouteCall&) {
  d_.metrics.queue_depth.Set(static_cast<double>(d_.committer.depth()));
  return {200, "text/plain; version=0.0.4", d_.metrics.Render(), {}};
}

namespace {

// A module's latest point: "last_seen" and "last_value" (null when it has none).
void WriteLast(JsonWriter& w, const store::ModuleInfo& m, std::string_view ts_key, std::string_view value_key) {
  if (m.last) {
    w.Key(ts_key).String(FormatIso8601(m.last->ts)).Key(value_key).Number(m.last->value);
    if (m.last->quality) w.Key("quality").Int(m.last->quality);
  } else {
    w.Key(ts_key).Null().Key(value_key).Null();
  }
}

// A module list page: `limit` of `mods` (which holds one more when there are more).
void WriteModulePage(JsonWriter& w, std::vector<store::ModuleInfo>& mods, size_t limit, bool latest) {
  const bool truncated = mods.size() > limit;
  if (truncated) mods.resize(limit);
  w.Key("modules").BeginArray();
  for (const auto& m : mods) {
    w.BeginObject().Key("id").String(m.name).Key("unit").String(m.unit);
    if (latest) {
      WriteLast(w, m, "ts", "value");
    } else {
      w.Key("first_seen").String(FormatIso8601(m.first_seen));
      WriteLast(w, m, "last_seen", "last_value");
    }
    w.EndObject();
  }
  w.EndArray().Key("truncated").Bool(truncated);
  if (truncated) w.Key("next_after").String(mods.back().name);
}

// A cut CSV answer says so in its last line (SeriesCsv) and in headers.
HttpResponse Csv(const SeriesAnswer& a, std::string body) {
  HttpResponse r{200, "text/csv; charset=utf-8", std::move(body), {}};
  if (a.truncated) {
    r.headers.emplace_back("X-Truncated", "true");
    r.headers.emplace_back("X-Next-From", FormatIso8601(a.next_from));
  }
  return r;
}

void WritePoints(JsonWriter& w, const std::vector<store::Point>& points, bool aggregated) {
  // {"ts":"2025-01-01T00:00:00.000Z","value":12345.678} and a comma: about 56 bytes a point.
  w.Reserve(points.size() * 56);
  w.Key("points").BeginArray();
  // Each point written whole (its keys need no escaping), then added as one piece.
  std::string item;
  for (const auto& pt : points) {
    item.assign("{\"ts\":\"");
    AppendIso8601(item, pt.ts);
    item += "\",\"value\":";
    AppendJsonNumber(item, pt.value);
    if (!aggregated && pt.quality) {
      item += ",\"quality\":";
      char digits[16];
      item.append(digits, std::to_chars(digits, digits + sizeof digits, pt.quality).ptr);
    }
    item += '}';
    w.Raw(item);
  }
  w.EndArray();
}

void WriteTruncation(JsonWriter& w, const SeriesAnswer& a) {
  w.Key("truncated").Bool(a.truncated);
  if (a.truncated) w.Key("next_from").String(FormatIso8601(a.next_from));
}

}  // namespace

HttpResponse Api::Modules(RouteCall& c) {
  const size_t limit = c.params.Limit("limit", 1000, 100000);
  if (c.params.error()) return ParamErrorResponse(*c.params.error());
  auto mods = d_.store.ListModules(*c.scope, c.params.Text("prefix"), c.params.Text("after"), limit + 1);
  if (!mods.ok()) return StatusError(mods.status());
  JsonWriter w;
  w.BeginObject().Key("tenant").String(c.scope->tenant).Key("env").String(EnvName(c.scope->env));
  WriteModulePage(w, *mods, limit, false);
  w.EndObject();
  return Json(w.Take());
}

HttpResponse Api::Latest(RouteCall& c) {
  QueryParams& p = c.params;
  const std::vector<std::string> names = p.List("module", kMaxModulesPerRequest);
  const size_t limit = p.Limit("limit", 1000, 100000);
  const std::string_view prefix = p.Text("prefix");
  if (!p.error() && !names.empty() && !prefix.empty()) {
    p.Refuse("prefix", "module and prefix together", "module (repeated) or prefix, not both");
  }
  if (p.error()) return ParamErrorResponse(*p.error());
  JsonWriter w;
  w.BeginObject();
  if (!names.empty()) {
    auto mods = d_.store.FindModules(*c.scope, names);
    if (!mods.ok()) return StatusError(mods.status());
    WriteModulePage(w, *mods, mods->size(), true);
    // Names that are no module of this scope, as asked.
    w.Key("unknown").BeginArray();
    for (const std::string& n : names) {
      if (std::none_of(mods->begin(), mods->end(), [&](const store::ModuleInfo& m) { return m.name == n; })) w.String(n);
    }
    w.EndArray();
  } else {
    auto mods = d_.store.ListModules(*c.scope, prefix, p.Text("after"), limit + 1);
    if (!mods.ok()) return StatusError(mods.status());
    WriteModulePage(w, *mods, limit, true);
  }
  w.EndObject();
  return Json(w.Take());
}

namespace {
// Reads from, to, step, agg, limit and format into `r`; false (and the refusal in p.error()) if one is wrong.
bool ReadSeriesParams(QueryParams& p, SeriesRequest& r, std::string_view& agg_text, std::string_view& format,
                      std::initializer_list<std::string_view> formats) {
  if (auto from = p.Time("from")) r.from = *from;
  if (auto to = p.Time("to")) r.to = *to;
  if (!p.error() && r.from >= r.to) p.Refuse("from", "from must be before to", std::string(kTimeRange));
  if (auto step = p.Duration("step", kMinStepMs, kMaxDurationMs)) r.step_ms = *step;
  agg_text = p.Choice("agg", "", {"avg", "min", "max", "sum", "last", "count", "none", "raw"});
  if (!agg_text.empty()) r.agg = *store::ParseAggregate(agg_text);
  if (!p.error() && !agg_text.empty() && r.step_ms == 0 && r.agg != store::Aggregate::kNone)
    p.Refuse("agg", "agg needs a step (e.g. step=1h)", "with step: avg, min, max, sum, last, count");
  r.limit = p.Limit("limit", 100000, 1000000);
  format = p.Choice("format", "json", formats);
  return !p.error();
}
}  // namespace

HttpResponse Api::Measurements(RouteCall& c) {
  SeriesRequest r;
  r.scope = *c.scope;
  r.modules = {c.Arg("id")};
  QueryParams& p = c.params;
  std::string_view agg_text, format;
  if (!ReadSeriesParams(p, r, agg_text, format, {"json", "csv"})) return ParamErrorResponse(*p.error());
  auto answer = QuerySeries(d_.store, r);
  if (!answer.ok()) return StatusError(answer.status());
  const bool aggregated = r.step_ms > 0 && r.agg != store::Aggregate::kNone;
  if (format == "csv") return Csv(*answer, SeriesCsv(*answer, SeriesLayout::kOneModule));
  JsonWriter w;
  w.BeginObject().Key("module").String(r.modules.front());
  if (aggregated) {
    w.Key("step").String(std::string(p.Text("step"))).Key("agg").String(agg_text.empty() ? "avg" : std::string(agg_text));
  }
  WritePoints(w, answer->series.front().points, aggregated);
  WriteTruncation(w, *answer);
  w.EndObject();
  return Json(w.Take());
}

HttpResponse Api::ManyMeasurements(RouteCall& c) {
  SeriesRequest r;
  r.scope = *c.scope;
  QueryParams& p = c.params;
  r.modules = p.List("module", kMaxModulesPerRequest);
  if (!p.error() && r.modules.empty()) p.Refuse("module", "name one module or more (module=a&module=b)", "module ids");
  std::string_view agg_text, format;
  if (!ReadSeriesParams(p, r, agg_text, format, {"json", "csv", "csv-wide"})) return ParamErrorResponse(*p.error());
  auto answer = QuerySeries(d_.store, r);
  if (!answer.ok()) return StatusError(answer.status());
  const bool aggregated = r.step_ms > 0 && r.agg != store::Aggregate::kNone;
  if (format == "csv") return Csv(*answer, SeriesCsv(*answer, SeriesLayout::kLong));
  if (format == "csv-wide") return Csv(*answer, SeriesCsv(*answer, SeriesLayout::kWide));
  JsonWriter w;
  w.BeginObject();
  if (aggregated) {
    w.Key("step").String(std::string(p.Text("step"))).Key("agg").String(agg_text.empty() ? "avg" : std::string(agg_text));
  }
  w.Key("series").BeginArray();
  for (const Series& s : answer->series) {
    w.BeginObject().Key("module").String(s.module);
    WritePoints(w, s.points, aggregated);
    w.EndObject();
  }
  w.EndArray();
  WriteTruncation(w, *answer);
  w.EndObject();
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
  const size_t limit = p.Limit("limit", 100, 1000);
  q.limit = limit + 1;  // one more: whether there are more
  if (p.error()) return ParamErrorResponse(*p.error());
  auto frames = d_.store.QueryFrames(q);
  if (!frames.ok()) return StatusError(frames.status());
  const bool truncated = frames->size() > limit;
  if (truncated) frames->resize(limit);
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
  w.EndArray().Key("truncated").Bool(truncated);
  if (truncated) w.Key("next_before").Int(frames->back().id);
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
