#pragma once

#include "core/clock.h"
#include "core/config.h"
#include "core/metrics.h"
#include "core/rate_limited_log.h"
#include "decode/registry.h"
#include "push/auth.h"
#include "push/device_directory.h"
#include "push/push_service.h"
#include "server/connectors_api.h"
#include "server/http_types.h"
#include "server/routes.h"
#include "server/worker_pool.h"
#include "store/group_commit.h"
#include "store/store.h"

namespace telecollect::server {

// The HTTP API: push, queries, the decoder lifecycle, file validation,
// health and metrics (docs/api.md). Every route is a row of one table
// (Routes()); Handle finds it, answers 404 or 405 (with Allow), checks the
// body limit and the token's scope, then runs the handler on the I/O thread
// or, for heavy routes, on the worker pool (503 + Retry-After when its queue
// is full). Every refused or failed request is counted in a rate-limited log
// line per class. Borrows every collaborator; they must outlive it.
// Thread-safe.
class Api final : public HttpHandler {
 public:
  struct Deps {
    store::Store& store;
    store::GroupCommitter& committer;
    decode::DecoderRegistry& registry;
    push::Authenticator& auth;
    push::PushService& push;
    push::DeviceDirectory& devices;
    Metrics& metrics;
    const Clock& clock;
    ApiConnectorLookup api_connectors;  // for POST /v1/connectors/{name}/try
    WorkerOptions workers = {};
    ConnectorLister connectors = {};  // for GET /v1/connectors
    ConnectorRunner run_connector = {};  // for POST /v1/connectors/{name}/run
    // The MQTT connectors of this node as a JSON array (/healthz "mqtt"); none: [].
    std::function<std::string()> mqtt_status = nullptr;
    // One MQTT connector's status when this node subscribes (GET /v1/connectors).
    MqttLiveStatus mqtt_live = nullptr;
  };
  explicit Api(Deps deps);

  void Handle(HttpRequest request, std::function<void(HttpResponse)> reply) override;
  std::string RouteLabel(const HttpRequest& request) const override;

  // Every route, its handler bound to `api` (null: a table to read, never to call).
  static std::vector<Route> Routes(Api* api);

 private:
  void LogRefusal(const HttpRequest& request, std::string_view label, const HttpResponse& response,
                  const std::optional<ParamError>& param);

  // Handlers (query_api.cc, devices_api.cc): read the call's parameters, answer.
  HttpResponse Health(RouteCall& call);
  HttpResponse MetricsText(RouteCall& call);
  void Push(RouteCall& call, const Reply& reply);
  HttpResponse Modules(RouteCall& call);
  HttpResponse Measurements(RouteCall& call);
  HttpResponse ManyMeasurements(RouteCall& call);
  HttpResponse Latest(RouteCall& call);
  HttpResponse Frames(RouteCall& call);
  HttpResponse DeviceTypes(RouteCall& call);
  HttpResponse ListDevices(RouteCall& call);
  HttpResponse ImportDevices(RouteCall& call);
  HttpResponse PutDevice(RouteCall& call);
  HttpResponse TryDecode(RouteCall& call);
  HttpResponse Redecode(RouteCall& call);

  Deps d_;
  RouteTable table_;

  // One line per interval per class of refusal, with its count.
  RateLimitedLog unauthenticated_{"api_unauthenticated"};
  RateLimitedLog forbidden_{"api_forbidden"};
  RateLimitedLog not_found_{"api_not_found"};
  RateLimitedLog method_not_allowed_{"api_method_not_allowed"};
  RateLimitedLog bad_parameter_{"api_bad_parameter"};
  RateLimitedLog bad_request_{"api_bad_request"};
  RateLimitedLog too_large_{"api_body_too_large"};
  RateLimitedLog unprocessable_{"api_unprocessable"};
  RateLimitedLog pool_full_{"api_worker_queue_full"};
  RateLimitedLog unavailable_{"api_unavailable"};
  RateLimitedLog failed_{"api_failed", 10'000, RateLimitedLog::Level::kError};

  // Last, so that it is destroyed first: its threads finish their requests
  // while everything they use is still there.
  WorkerPool pool_;
};

// The API's route table with no server behind it: for docs and tests.
const RouteTable& ApiRoutesForDocs();

}  // namespace telecollect::server
