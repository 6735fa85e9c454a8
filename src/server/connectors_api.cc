#include "server/connectors_api.h"

#include "core/json_writer.h"
#include "core/time_util.h"
#include "pull/pull_run.h"
#include "server/json_error.h"
#include "server/routes.h"

namespace telecollect::server {

HttpResponse TryConnector(store::Store& store, const Clock& clock, const ApiConnectorLookup& lookup, const Scope& scope,
                          const std::string& name, QueryParams& params) {
  Result<pull::ApiConnector> c = lookup(name);
  if (!c.ok() && c.status().code() != StatusCode::kNotFound) return JsonError(400, c.status().message());
  if (!c.ok() || c->scope.tenant != scope.tenant || c->scope.env != scope.env)
    return JsonError(404, "no API connector \"" + name + "\" for this token's tenant and env");
  pull::PullOptions o;
  o.preview = true;
  o.meter = std::string(params.Text("meter"));
  if (params.Text("from").empty()) params.Refuse("from", "from is required (ISO-8601 or epoch ms)", std::string(kTimeRange));
  if (auto from = params.Time("from")) o.from = *from;
  if (auto to = params.Time("to")) o.to = *to;
  if (params.error()) return ParamErrorResponse(*params.error());
  const pull::PullResult r = pull::RunApiConnector(store, *c, clock, o);
  return {200, "application/json", pull::PullResultJson(c->name, r), {}};
}

}  // namespace telecollect::server
