#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/model.h"
#include "pull/api_connector.h"
#include "server/http_types.h"
#include "server/query_params.h"
#include "store/store.h"

namespace telecollect::server {

// Finds an API connector by name in the connector directories (as loaded now).
using ApiConnectorLookup = std::function<Result<pull::ApiConnector>(const std::string& name)>;

// A connector as the console lists it (files or API), from its file.
struct ConnectorInfo {
  std::string name;
  std::string kind;  // "files" | "api" | "mqtt"
  Scope scope;
  std::string schedule;  // empty: by hand only
  bool enabled = true;
  std::string source;  // where it reads, without user, password nor server path: "sftp://host", "local inbox"
};
// Every connector of the connector directories (as loaded now).
using ConnectorLister = std::function<std::vector<ConnectorInfo>()>;

// Queues a run of the connector `name` of `scope` now ("run now"): NotFound when
// the scope has no such connector, Unavailable when connectors are not run here.
using ConnectorRunner = std::function<Status(const Scope& scope, const std::string& name)>;

// POST /v1/connectors/{name}/run — 202 {"connector", "queued": true}; the run
// shows in GET /v1/connectors when done.
HttpResponse RunConnectorNow(const ConnectorRunner& runner, const Scope& scope, const std::string& name);

// An MQTT connector's status JSON as this node's subscriber has it now, when
// this node subscribes (not in standby); none: the store's word is read.
using MqttLiveStatus = std::function<std::optional<std::string>(const std::string& name)>;

// GET /v1/connectors — the connectors of the token's tenant and env, by name,
// each with its last runs (newest first) from the store; an MQTT connector with
// its `state` (live from `live` when this node subscribes, else as the node that
// subscribes last wrote it in the store).
HttpResponse ListConnectors(store::Store& store, const ConnectorLister& lister, const Scope& scope,
                            const MqttLiveStatus& live = nullptr);
// GET /v1/connectors/{name}/runs?limit=&before=: one connector's runs, newest first, paged by id.
HttpResponse ConnectorRuns(store::Store& store, const ConnectorLister& lister, const Scope& scope,
                           const std::string& name, QueryParams& params);

// POST /v1/connectors/{name}/try?from=&to=&meter= — fetches [from, to) from
// the vendor API (every page) and answers what would be stored, per window,
// storing nothing (a rotated OAuth2 refresh token excepted). The connector
// must belong to the token's tenant and env (else 404). 200 even when a
// window failed: the report says why; 400 on bad bounds.
HttpResponse TryConnector(store::Store& store, const Clock& clock, const ApiConnectorLookup& lookup, const Scope& scope,
                          const std::string& name, QueryParams& params);

}  // namespace telecollect::server
