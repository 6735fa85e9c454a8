#pragma once

#include "core/clock.h"
#include "core/metrics.h"
#include "decode/registry.h"
#include "push/auth.h"
#include "push/device_directory.h"
#include "push/push_service.h"
#include "server/http_types.h"
#include "store/group_commit.h"
#include "server/connectors_api.h"
#include "store/store.h"

namespace telecollect::server {

// The HTTP API: push, queries, health and metrics (docs/api.md).
// Borrows every collaborator; they must outlive it. Thread-safe.
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
  };
  explicit Api(Deps deps) : d_(deps) {}

  void Handle(HttpRequest request, std::function<void(HttpResponse)> reply) override;
  std::string RouteLabel(const HttpRequest& request) const override;

 private:
  Deps d_;
};

}  // namespace telecollect::server
