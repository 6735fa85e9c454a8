#pragma once

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "core/clock.h"
#include "core/metrics.h"
#include "core/mutex.h"
#include "mqtt/mqtt_connector.h"
#include "push/push_service.h"
#include "store/store.h"

namespace telecollect::mqtt {

// What one MQTT connector is doing on this node.
struct MqttStatus {
  std::string connector;
  std::string broker;  // mqtts://host:port
  // connecting | connected | backoff (waiting to reconnect) | standby (another
  // node holds the lease) | error (configuration: unknown envelope) | stopped
  std::string state;
  EpochMs since = 0;             // when it entered this state
  std::string holder;            // the lease holder ("host:pid"), this node when it runs
  std::string last_error;        // the latest connection or storage failure (no secret)
  std::vector<int> granted_qos;  // per subscription, when connected
  uint64_t messages = 0;         // stored (committed, duplicates included)
  EpochMs last_message = 0;      // when the latest of them was committed (0: none yet)
  uint64_t rejected = 0;         // refused for good (bad body, too large): acknowledged, not stored
  uint64_t reconnects = 0;
  std::string ToJson() const;
};

// The MQTT subscriptions of `serve`: one thread per enabled connector, each
// holding the connector's lease ("connector:<name>", schedule/lease.h) while
// it is subscribed, so that one node of a cluster subscribes; the others wait
// in standby and take over when the lease expires. Messages go through the
// push path (PushService: envelope, decode, journal, group commit) and are
// acknowledged once committed (mqtt_session.h). Reconnects with exponential
// backoff and jitter (broker.reconnect_min..reconnect_max). Its state is kept
// in memory (Statuses, /healthz, metrics) and in the store (connector state
// "mqtt.status", read by `telecollect connector status`). Thread-safe.
class MqttSubscribers {
 public:
  // `lease_ttl_ms`: [cluster] lease_ttl; the lease is renewed every quarter of it.
  MqttSubscribers(store::Store& store, push::PushService& push, Metrics& metrics, const Clock& clock,
                  int64_t lease_ttl_ms);
  ~MqttSubscribers();

  // Starts the new connectors, restarts the changed ones, stops those gone.
  void SetConnectors(const std::vector<MqttConnector>& connectors) TC_EXCLUDES(mu_);
  // Stops every subscription (graceful DISCONNECT; the lease released).
  void Stop() TC_EXCLUDES(mu_);
  std::vector<MqttStatus> Statuses() const TC_EXCLUDES(mu_);

 private:
  class Runner;
  store::Store& store_;
  push::PushService& push_;
  Metrics& metrics_;
  const Clock& clock_;
  const int64_t lease_ttl_ms_;
  mutable Mutex mu_;
  std::vector<std::unique_ptr<Runner>> runners_ TC_GUARDED_BY(mu_);
};

// The key under which a connector's status is kept (store::ConnectorState).
inline constexpr const char* kStatusStateKey = "mqtt.status";

}  // namespace telecollect::mqtt
