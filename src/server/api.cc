#include "server/api.h"

#include <algorithm>

#include "core/json_writer.h"
#include "server/admin_api.h"
#include "server/console.h"
#include "server/decoders_api.h"
#include "server/envelopes_api.h"
#include "server/files_api.h"
#include "server/json_error.h"
#include "server/request_target.h"

namespace telecollect::server {

// One request on its way through a route: owns what the handler borrows, so
// that a handler on the worker pool outlives the I/O thread's call.
struct CallState {
  CallState(HttpRequest r, Target t)
      : request(std::move(r)), target(std::move(t)), params(target.params, &target.pairs), call{request, target, params, {}, nullptr} {}
  HttpRequest request;
  Target target;
  QueryParams params;  // reads target.params
  Scope scope;
  RouteCall call;
};

namespace {

constexpr size_t kJsonBodyLimit = 64 << 10;  // small JSON control bodies

// Adapts a handler that answers at once.
RouteHandler Sync(Api* api, HttpResponse (Api::*f)(RouteCall&)) {
  return [api, f](RouteCall& call, const Reply& reply) { reply((api->*f)(call)); };
}

std::string Bounded(std::string_view s) { return std::string(s.substr(0, 160)); }

bool HasRetryAfter(const HttpResponse& r) {
  return std::any_of(r.headers.begin(), r.headers.end(), [](const auto& h) { return h.first == "Retry-After"; });
}

// The worker pool's refusal (its queue is full), not a failure of the request.
bool IsQueueFull(const HttpResponse& r) {
  return r.status == 503 && std::any_of(r.headers.begin(), r.headers.end(), [](const auto& h) {
           return h.first == "X-Telecollect-Queue" && h.second == "full";
         });
}

}  // namespace

HttpResponse ParamErrorResponse(const ParamError& e) {
  JsonWriter w;
  w.BeginObject().Key("error").String(e.message).Key("parameter").String(e.parameter).Key("allowed").String(e.allowed)
      .EndObject();
  return {400, "application/json", w.Take(), {}};
}

Api::Api(Deps deps) : d_(std::move(deps)), table_(Routes(this)), pool_(d_.workers.threads, d_.workers.queue) {}

std::vector<Route> Api::Routes(Api* api) {
  auto lifecycle = [api](auto f) -> RouteHandler {
    return [api, f](RouteCall& call, const Reply& reply) {
      reply(f(DecodersApi{api->d_.store, api->d_.registry, api->d_.clock}, call));
    };
  };
  auto envelopes = [api](auto f) -> RouteHandler {
    return [api, f](RouteCall& call, const Reply& reply) { reply(f(EnvelopesApi{api->d_.store, api->d_.clock}, call)); };
  };
  return {
      {"GET", "/healthz", Auth::kNone, kServerBodyLimit, false, "", Sync(api, &Api::Health), "liveness, the store's reachability, queue depths"},
      {"GET", "/metrics", Auth::kNone, kServerBodyLimit, false, "", Sync(api, &Api::MetricsText), "Prometheus text"},
      {"GET", "/console/{path...}", Auth::kNone, kServerBodyLimit, false, "/console",
       [](RouteCall& c, const Reply& r) { r(ConsoleFile(c.request.target, c.Arg("path"))); }, "the web console's files"},
      {"POST", "/", Auth::kToken, kServerBodyLimit, false, "",
       [api](RouteCall& c, const Reply& r) { api->Push(c, r); }, "push frames, source in the `source` header"},
      {"POST", "/v1/push/{source}/{subpath...}", Auth::kToken, kServerBodyLimit, false, "/v1/push/{source}",
       [api](RouteCall& c, const Reply& r) { api->Push(c, r); }, "push frames, source in the path"},
      {"GET", "/v1/modules", Auth::kToken, kServerBodyLimit, false, "", Sync(api, &Api::Modules), "modules"},
      {"GET", "/v1/modules/{id}/measurements", Auth::kToken, kServerBodyLimit, false, "",
       Sync(api, &Api::Measurements), "one module's values"},
      {"GET", "/v1/measurements", Auth::kToken, kServerBodyLimit, false, "", Sync(api, &Api::ManyMeasurements),
       "many modules' values"},
      {"GET", "/v1/latest", Auth::kToken, kServerBodyLimit, false, "", Sync(api, &Api::Latest),
       "each module's latest point"},
      {"GET", "/v1/frames", Auth::kToken, kServerBodyLimit, false, "", Sync(api, &Api::Frames), "the frame journal"},
      {"GET", "/v1/devicetypes", Auth::kToken, kServerBodyLimit, false, "", Sync(api, &Api::DeviceTypes),
       "decoders that apply"},
      {"POST", "/v1/devicetypes/{t}/decode", Auth::kToken, kJsonBodyLimit, true, "", Sync(api, &Api::TryDecode),
       "try a payload"},
      {"GET", "/v1/devicetypes/{t}/versions", Auth::kToken, kServerBodyLimit, false, "",
       lifecycle([](const DecodersApi& d, RouteCall& c) { return d.Versions(*c.scope, c.Arg("t")); }),
       "decoder versions"},
      {"POST", "/v1/devicetypes/{t}/versions", Auth::kToken, kServerBodyLimit, true, "",
       lifecycle([](const DecodersApi& d, RouteCall& c) {
         const bool activate = c.params.Flag("activate");
         if (c.params.error()) return ParamErrorResponse(*c.params.error());
         return d.Upload(*c.scope, c.Arg("t"), c.request, activate);
       }),
       "upload a decoder version"},
      {"POST", "/v1/devicetypes/{t}/versions/{v}/activate", Auth::kToken, kJsonBodyLimit, false, "",
       lifecycle([](const DecodersApi& d, RouteCall& c) { return d.Activate(*c.scope, c.Arg("t"), c.Arg("v")); }),
       "activate a version"},
      {"POST", "/v1/devicetypes/{t}/deactivate", Auth::kToken, kJsonBodyLimit, false, "",
       lifecycle([](const DecodersApi& d, RouteCall& c) { return d.Activate(*c.scope, c.Arg("t"), ""); }),
       "back to the shared decoder"},
      {"GET", "/v1/devicetype-aliases", Auth::kToken, kServerBodyLimit, false, "",
       lifecycle([](const DecodersApi& d, RouteCall& c) { return d.Aliases(*c.scope); }), "device type aliases"},
      {"PUT", "/v1/devicetype-aliases/{name}", Auth::kToken, kJsonBodyLimit, false, "/v1/devicetype-aliases",
       lifecycle([](const DecodersApi& d, RouteCall& c) { return d.SetAlias(*c.scope, c.Arg("name"), c.request.body, false); }),
       "set an alias"},
      {"DELETE", "/v1/devicetype-aliases/{name}", Auth::kToken, kJsonBodyLimit, false, "/v1/devicetype-aliases",
       lifecycle([](const DecodersApi& d, RouteCall& c) { return d.SetAlias(*c.scope, c.Arg("name"), "", true); }),
       "remove an alias"},
      {"GET", "/v1/envelopes", Auth::kToken, kServerBodyLimit, false, "",
       envelopes([](const EnvelopesApi& e, RouteCall& c) { return e.List(*c.scope); }), "envelopes this token can push to"},
      {"GET", "/v1/envelopes/{name}/versions", Auth::kToken, kServerBodyLimit, false, "",
       envelopes([](const EnvelopesApi& e, RouteCall& c) { return e.Versions(*c.scope, c.Arg("name")); }),
       "uploaded envelope versions"},
      {"POST", "/v1/envelopes/{name}/versions", Auth::kToken, kJsonBodyLimit, true, "",
       envelopes([](const EnvelopesApi& e, RouteCall& c) {
         const bool activate = c.params.Flag("activate");
         if (c.params.error()) return ParamErrorResponse(*c.params.error());
         return e.Upload(*c.scope, c.Arg("name"), c.request, activate);
       }),
       "upload an envelope version"},
      {"POST", "/v1/envelopes/{name}/versions/{v}/activate", Auth::kToken, kJsonBodyLimit, false, "",
       envelopes([](const EnvelopesApi& e, RouteCall& c) { return e.Activate(*c.scope, c.Arg("name"), c.Arg("v")); }),
       "activate an envelope version"},
      {"POST", "/v1/envelopes/{name}/deactivate", Auth::kToken, kJsonBodyLimit, false, "",
       envelopes([](const EnvelopesApi& e, RouteCall& c) { return e.Activate(*c.scope, c.Arg("name"), ""); }),
       "no uploaded version of this envelope"},
      {"GET", "/v1/devices", Auth::kToken, kServerBodyLimit, false, "", Sync(api, &Api::ListDevices), "the device registry"},
      {"POST", "/v1/devices", Auth::kToken, kServerBodyLimit, true, "", Sync(api, &Api::ImportDevices),
       "import devices (CSV)"},
      {"PUT", "/v1/devices/{id}", Auth::kToken, kJsonBodyLimit, false, "/v1/devices", Sync(api, &Api::PutDevice),
       "set one device (JSON)"},
      {"POST", "/v1/redecode", Auth::kToken, kJsonBodyLimit, true, "", Sync(api, &Api::Redecode),
       "re-run the decoders over journaled frames"},
      {"POST", "/v1/files/validate", Auth::kToken, kServerBodyLimit, true, "",
       [](RouteCall& c, const Reply& r) { r(ValidateUpload(c.request)); }, "validate a sample file"},
      {"GET", "/v1/files", Auth::kToken, kServerBodyLimit, false, "",
       [api](RouteCall& c, const Reply& r) { r(FilesJournal(api->d_.store, *c.scope, c.params)); }, "the file journal"},
      {"GET", "/v1/connectors", Auth::kToken, kServerBodyLimit, false, "",
       [api](RouteCall& c, const Reply& r) { r(ListConnectors(api->d_.store, api->d_.connectors, *c.scope, api->d_.mqtt_live)); },
       "the connectors and their last runs"},
      {"GET", "/v1/connectors/{name}/runs", Auth::kToken, kServerBodyLimit, false, "",
       [api](RouteCall& c, const Reply& r) {
         r(ConnectorRuns(api->d_.store, api->d_.connectors, *c.scope, c.Arg("name"), c.params));
       },
       "one connector's runs"},
      {"POST", "/v1/connectors/{name}/run", Auth::kToken, kJsonBodyLimit, false, "",
       [api](RouteCall& c, const Reply& r) { r(RunConnectorNow(api->d_.run_connector, *c.scope, c.Arg("name"))); },
       "run a connector now"},
      {"POST", "/v1/connectors/{name}/try", Auth::kToken, kJsonBodyLimit, true, "",
       [api](RouteCall& c, const Reply& r) {
         const Deps& d = api->d_;
         if (!d.api_connectors) return r(JsonError(404, "API connectors are not served here"));
         r(TryConnector(d.store, d.clock, d.api_connectors, *c.scope, c.Arg("name"), c.params));
       },
       "try an API connector"},
      {"GET", "/v1/admin/tokens", Auth::kAdmin, kServerBodyLimit, false, "",
       [api](RouteCall& c, const Reply& r) {
         const std::string tenant(c.params.Text("tenant"));
         if (c.params.error()) return r(ParamErrorResponse(*c.params.error()));
         r(AdminApi{api->d_.store, api->d_.clock}.ListTokens(tenant));
       },
       "every tenant's tokens (fingerprints)"},
      {"POST", "/v1/admin/tokens", Auth::kAdmin, kJsonBodyLimit, false, "",
       [api](RouteCall& c, const Reply& r) { r(AdminApi{api->d_.store, api->d_.clock}.CreateToken(c.request.body)); },
       "create a tenant token"},
      {"DELETE", "/v1/admin/tokens/{id}", Auth::kAdmin, kJsonBodyLimit, false, "/v1/admin/tokens",
       [api](RouteCall& c, const Reply& r) { r(AdminApi{api->d_.store, api->d_.clock}.RevokeToken(c.Arg("id"))); },
       "revoke a token"},
  };
  // (clang's analyzer loses the std::function targets once the initializer list is copied
  // into the vector, and reports them leaked here.)
}  // NOLINT(clang-analyzer-cplusplus.NewDeleteLeaks)

const RouteTable& ApiRoutesForDocs() {
  static const RouteTable table(Api::Routes(nullptr));
  return table;
}

std::string Api::RouteLabel(const HttpRequest& r) const {
  auto t = ParseTarget(r.target);
  if (!t.ok()) return "other";
  const RouteMatch m = table_.Find(r.method, t->segments);
  return m.route ? std::string(m.route->Label()) : "other";
}

void Api::LogRefusal(const HttpRequest& req, std::string_view label, const HttpResponse& r,
                     const std::optional<ParamError>& param) {
  if (r.status < 400) return;
  const std::string status = std::to_string(r.status);
  const std::string route(label);
  RateLimitedLog* log = r.status < 500 ? &unprocessable_ : &failed_;
  switch (r.status) {
    case 401: log = &unauthenticated_; break;
    case 403: log = &forbidden_; break;
    case 404: log = &not_found_; break;
    case 405: log = &method_not_allowed_; break;
    case 413: log = &too_large_; break;
    case 400: log = param ? &bad_parameter_ : &bad_request_; break;
    case 503: log = IsQueueFull(r) ? &pool_full_ : &unavailable_; break;
    default: break;
  }
  // No token nor body in the line: the route, the status, and why (parameter name, or the error's first words).
  if (param) {
    log->Report({{"method", req.method}, {"route", route}, {"status", status}, {"parameter", param->parameter},
                 {"remote", req.remote}});
  } else {
    log->Report({{"method", req.method}, {"route", route}, {"status", status}, {"remote", req.remote},
                 {"reason", r.status == 401 ? std::string() : Bounded(r.body)}});
  }
}

void Api::Handle(HttpRequest req, std::function<void(HttpResponse)> reply) {
  auto target = ParseTarget(req.target);
  if (!target.ok()) {
    HttpResponse r = JsonError(400, target.status().message());
    LogRefusal(req, "other", r, std::nullopt);
    return reply(std::move(r));
  }
  RouteMatch m = table_.Find(req.method, target->segments);
  if (m.route == nullptr) {
    HttpResponse r = m.allow.empty()
                         ? JsonError(404, "no route for " + req.method + " " + Bounded(req.target) + " (see docs/api.md)")
                         : JsonError(405, "method " + req.method + " not allowed on " + Bounded(req.target) +
                                              " (allowed: " + m.allow + ")");
    if (!m.allow.empty()) r.headers.emplace_back("Allow", m.allow);
    LogRefusal(req, "other", r, std::nullopt);
    return reply(std::move(r));
  }
  const Route& route = *m.route;
  auto state = std::make_shared<CallState>(std::move(req), std::move(*target));
  state->call.args = std::move(m.args);
  Reply logged = [this, state, label = route.Label(), tenant_route = route.auth != Auth::kNone,
                 reply = std::move(reply)](HttpResponse r) {
    // A failure of a route that needs the store (every route behind a token)
    // while the database cannot be reached gets the outage's answer, whatever
    // the handler made of it: 503, Retry-After, no libpq words. (A 503 with
    // Retry-After is already one: the outage's, or a full queue's.)
    if (tenant_route && r.status >= 500 && !HasRetryAfter(r) && !d_.store.Health().reachable) r = StoreUnavailable();
    LogRefusal(state->request, label, r, state->params.error());
    reply(std::move(r));
  };
  if (route.max_body != kServerBodyLimit && state->request.body.size() > route.max_body) {
    return logged(JsonError(413, "body of " + std::to_string(state->request.body.size()) + " bytes exceeds the " +
                                     std::to_string(route.max_body) + " bytes " + std::string(route.pattern) + " accepts"));
  }
  if (route.auth != Auth::kNone) {
    // The one place where a token's scope is checked against the request.
    Result<Scope> scope = d_.auth.Authenticate(state->request.Header("authorization"));
    if (!scope.ok()) return logged(StatusError(scope.status()));
    state->scope = std::move(scope).value();
    state->call.scope = &state->scope;
    const bool admin = push::IsAdminScope(state->scope);
    if (route.auth == Auth::kAdmin && !admin) return logged(JsonError(403, "this route needs an admin token"));
    if (route.auth == Auth::kToken && admin) {
      return logged(JsonError(403, "an admin token reads and writes no tenant's data: use a tenant token"));
    }
  }
  if (route.auth == Auth::kToken) {
    if (std::optional<Env> wanted = state->params.EnvParam("env"); wanted && *wanted != state->scope.env) {
      const bool writes = route.method != "GET";
      return logged(JsonError(403, std::string("this token belongs to ") + EnvName(state->scope.env) + "; it cannot " +
                                       (writes ? "write" : "read") + " " + EnvName(*wanted) + " data"));
    }
    if (state->params.error()) return logged(ParamErrorResponse(*state->params.error()));
    if (auto tenant = state->params.Text("tenant"); !tenant.empty() && tenant != state->scope.tenant) {
      return logged(JsonError(403, "this token belongs to another tenant"));
    }
  }
  auto run = [&route, state, logged]() {
    try {
      route.handler(state->call, logged);
    } catch (const std::exception&) {
      logged(JsonError(500, "internal error"));
    }
  };
  if (!route.on_pool) return route.handler(state->call, logged);  // the I/O thread's catch covers it
  if (!pool_.TrySubmit(run)) {
    HttpResponse r = JsonError(503, "the server is busy with other heavy requests (validate, try, upload, redecode); "
                                    "retry in a moment");
    r.headers.emplace_back("Retry-After", "1");
    r.headers.emplace_back("X-Telecollect-Queue", "full");
    logged(std::move(r));
  }
}

std::string_view HttpRequest::Header(std::string_view name) const {
  for (const auto& [k, v] : headers) {
    if (k == name) return v;
  }
  return {};
}

}  // namespace telecollect::server
