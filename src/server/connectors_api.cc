#include "server/connectors_api.h"

#include <algorithm>

#include "core/json_writer.h"
#include "core/time_util.h"
#include "mqtt/mqtt_subscriber.h"
#include "pull/pull_run.h"
#include "pull/request_builder.h"
#include "server/json_error.h"
#include "server/routes.h"

namespace telecollect::server {
namespace {

constexpr size_t kRunsPerConnector = 10;
constexpr size_t kTryPointsPerWindow = 100000;  // ?points=true: readings listed per window (a year of 10-minute data fits)

void RunJson(JsonWriter& w, const store::RunRecord& r) {
  w.BeginObject().Key("id").Int(r.id).Key("started").String(FormatIso8601(r.started));
  if (r.finished != 0) w.Key("finished").String(FormatIso8601(r.finished));
  w.Key("status").String(r.status).Key("files_imported").Int(r.files_imported).Key("files_rejected").Int(r.files_rejected)
      .Key("files_skipped").Int(r.files_skipped).Key("rows").Int(r.rows).Key("row_errors").Int(r.row_errors)
      .Key("readings").Int(r.readings).Key("requests").Int(r.requests).Key("windows").Int(r.windows)
      .Key("windows_failed").Int(r.windows_failed).Key("message").String(r.message).EndObject();
}

}  // namespace

HttpResponse RunConnectorNow(const ConnectorRunner& runner, const Scope& scope, const std::string& name) {
  if (!runner) return JsonError(503, "connectors are not run by this server");
  Status s = runner(scope, name);
  if (!s.ok()) return StatusError(s);
  JsonWriter w;
  w.BeginObject().Key("connector").String(name).Key("queued").Bool(true).EndObject();
  return {202, "application/json", w.Take(), {}};
}

HttpResponse ListConnectors(store::Store& store, const ConnectorLister& lister, const Scope& scope,
                            const MqttLiveStatus& live) {
  std::vector<ConnectorInfo> all = lister ? lister() : std::vector<ConnectorInfo>{};
  std::sort(all.begin(), all.end(), [](const auto& a, const auto& b) { return a.name < b.name; });
  JsonWriter w;
  w.BeginObject().Key("connectors").BeginArray();
  for (const ConnectorInfo& c : all) {
    if (c.scope.tenant != scope.tenant || c.scope.env != scope.env) continue;
    auto runs = store.ListRuns(c.name, kRunsPerConnector + 1, std::nullopt);
    if (!runs.ok()) return StatusError(runs.status());
    const bool truncated = runs->size() > kRunsPerConnector;
    if (truncated) runs->resize(kRunsPerConnector);
    w.BeginObject().Key("name").String(c.name).Key("kind").String(c.kind).Key("schedule").String(c.schedule)
        .Key("enabled").Bool(c.enabled).Key("source").String(c.source);
    if (c.kind == "mqtt") {
      // A subscription has no runs: its state, live when this node subscribes, else as the
      // node holding it last wrote it (docs/mqtt.md).
      if (std::optional<std::string> now = live ? live(c.name) : std::nullopt) {
        w.Key("state").Raw(*now);
      } else {
        auto state = store.GetState(c.name, mqtt::kStatusStateKey);
        if (!state.ok()) return StatusError(state.status());
        w.Key("state").Raw(*state ? std::string_view(**state) : std::string_view("null"));
      }
    }
    w.Key("runs").BeginArray();
    for (const auto& r : *runs) RunJson(w, r);
    // Older runs: GET /v1/connectors/{name}/runs?before=<runs_next_before>.
    w.EndArray().Key("runs_truncated").Bool(truncated);
    if (truncated) w.Key("runs_next_before").Int(runs->back().id);
    w.EndObject();
  }
  w.EndArray().EndObject();
  return {200, "application/json", w.Take(), {}};
}

HttpResponse ConnectorRuns(store::Store& store, const ConnectorLister& lister, const Scope& scope,
                           const std::string& name, QueryParams& params) {
  const size_t limit = params.Limit("limit", 50, 1000);
  const std::optional<int64_t> before = params.Id("before");
  if (params.error()) return ParamErrorResponse(*params.error());
  const std::vector<ConnectorInfo> all = lister ? lister() : std::vector<ConnectorInfo>{};
  const bool mine = std::any_of(all.begin(), all.end(), [&](const ConnectorInfo& c) {
    return c.name == name && c.scope.tenant == scope.tenant && c.scope.env == scope.env;
  });
  if (!mine) return JsonError(404, "no connector \"" + name + "\" for this tenant and env");
  auto runs = store.ListRuns(name, limit + 1, before);
  if (!runs.ok()) return StatusError(runs.status());
  const bool truncated = runs->size() > limit;
  if (truncated) runs->resize(limit);
  JsonWriter w;
  w.BeginObject().Key("connector").String(name).Key("runs").BeginArray();
  for (const auto& r : *runs) RunJson(w, r);
  w.EndArray().Key("truncated").Bool(truncated);
  if (truncated) w.Key("next_before").Int(runs->back().id);
  w.EndObject();
  return {200, "application/json", w.Take(), {}};
}

HttpResponse TryConnector(store::Store& store, const Clock& clock, const ApiConnectorLookup& lookup, const Scope& scope,
                          const std::string& name, QueryParams& params) {
  Result<pull::ApiConnector> c = lookup(name);
  if (!c.ok() && c.status().code() != StatusCode::kNotFound) return JsonError(400, c.status().message());
  if (!c.ok() || c->scope.tenant != scope.tenant || c->scope.env != scope.env)
    return JsonError(404, "no API connector \"" + name + "\" for this token's tenant and env");
  pull::PullOptions o;
  o.preview = true;
  o.meter = std::string(params.Text("meter"));
  if (params.Flag("points")) o.keep_points = kTryPointsPerWindow;
  if (params.Text("from").empty()) params.Refuse("from", "from is required (ISO-8601 or epoch ms)", std::string(kTimeRange));
  if (params.error()) return ParamErrorResponse(*params.error());
  // A bare date is local midnight in the connector's zone (pull::ParseTryBound), as for the CLI.
  for (const char* key : {"from", "to"}) {
    const std::string text(params.Text(key));
    if (text.empty()) continue;
    Result<EpochMs> t = pull::ParseTryBound(key, text, c->window);
    if (!t.ok()) {
      params.Refuse(key, t.status().message(), std::string(kTimeRange));
      return ParamErrorResponse(*params.error());
    }
    (std::string_view(key) == "from" ? o.from : o.to) = *t;
  }
  const pull::PullResult r = pull::RunApiConnector(store, *c, clock, o);
  return {200, "application/json", pull::PullResultJson(c->name, r), {}};
}

}  // namespace telecollect::server
