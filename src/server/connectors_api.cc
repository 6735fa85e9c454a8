#include "server/connectors_api.h"

#include "core/json_writer.h"
#include "core/time_util.h"
#include "pull/pull_run.h"
#include "server/json_error.h"

namespace telecollect::server {
namespace {

std::string Param(const std::map<std::string, std::string>& params, const char* key) {
  auto it = params.find(key);
  return it == params.end() ? "" : it->second;
}

}  // namespace

HttpResponse TryConnector(store::Store& store, const Clock& clock, const ApiConnectorLookup& lookup, const Scope& scope,
                          const std::string& name, const std::map<std::string, std::string>& params) {
  Result<pull::ApiConnector> c = lookup(name);
  if (!c.ok() && c.status().code() != StatusCode::kNotFound) return JsonError(400, c.status().message());
  if (!c.ok() || c->scope.tenant != scope.tenant || c->scope.env != scope.env)
    return JsonError(404, "no API connector \"" + name + "\" for this token's tenant and env");
  pull::PullOptions o;
  o.preview = true;
  o.meter = Param(params, "meter");
  const std::string from = Param(params, "from"), to = Param(params, "to");
  if (from.empty()) return JsonError(400, "from is required (ISO-8601 or epoch ms)");
  Result<EpochMs> f = ParseTimeBound("from", from);
  if (!f.ok()) return JsonError(400, f.status().message());
  o.from = *f;
  if (!to.empty()) {
    Result<EpochMs> t = ParseTimeBound("to", to);
    if (!t.ok()) return JsonError(400, t.status().message());
    o.to = *t;
  }
  const pull::PullResult r = pull::RunApiConnector(store, *c, clock, o);
  return {200, "application/json", pull::PullResultJson(c->name, r), {}};
}

}  // namespace telecollect::server
