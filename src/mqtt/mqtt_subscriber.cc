#include "mqtt/mqtt_subscriber.h"

#include <chrono>
#include <random>

#include "core/json_writer.h"
#include "core/log.h"
#include "core/rate_limited_log.h"
#include "core/thread_name.h"
#include "mqtt/message_route.h"
#include "mqtt/mqtt_session.h"
#include "push/envelope.h"
#include "schedule/lease.h"

namespace telecollect::mqtt {
namespace {

constexpr int64_t kStandbyRetryMs = 5000;  // at most: a shorter lease_ttl is looked at every ttl
constexpr int kOpenTimeoutMs = 30000;
constexpr int kTurnMs = 200;

int64_t SteadyMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

// Everything that makes a connector different: a changed one is restarted.
std::string Fingerprint(const MqttConnector& c) {
  std::string f = c.origin + '\n' + c.scope.tenant + '\n' + EnvName(c.scope.env) + '\n' + (c.enabled ? "1" : "0") + '\n' +
                  c.BrokerUrl() + '\n' + c.username + '\n' + c.password + '\n' + c.client_id + '\n' +
                  std::to_string(c.keepalive_s) + '\n' + c.ca_file + '\n' + c.client_cert + '\n' + c.client_key + '\n' +
                  std::to_string(c.reconnect_min_ms) + '\n' + std::to_string(c.reconnect_max_ms) + '\n' +
                  std::to_string(c.max_message_bytes) + '\n';
  for (const auto& s : c.subscriptions) f += s.topic + '\t' + s.envelope + '\n';
  return f;
}

}  // namespace

std::string MqttStatus::ToJson() const {
  JsonWriter w;
  w.BeginObject().Key("connector").String(connector).Key("broker").String(broker).Key("state").String(state);
  w.Key("since").String(since ? FormatIso8601(since) : "").Key("holder").String(holder);
  w.Key("last_error").String(last_error).Key("granted_qos").BeginArray();
  for (int q : granted_qos) w.Int(q);
  w.EndArray().Key("messages").Int(static_cast<int64_t>(messages)).Key("rejected").Int(static_cast<int64_t>(rejected));
  w.Key("last_message").String(last_message ? FormatIso8601(last_message) : "");
  w.Key("reconnects").Int(static_cast<int64_t>(reconnects)).EndObject();
  return w.Take();
}

// One connector's thread: lease, connect, subscribe, turn, reconnect.
class MqttSubscribers::Runner {
 public:
  Runner(MqttSubscribers& owner, MqttConnector connector)
      : owner_(owner), c_(std::move(connector)), fingerprint_(Fingerprint(c_)), lease_("connector:" + c_.name) {
    status_.connector = c_.name;
    status_.broker = c_.BrokerUrl();
    status_.state = "connecting";
    status_.since = owner_.clock_.NowMs();
    thread_ = std::thread([this] {
      NameThisThread("tc-mqtt");
      Run();
    });
  }
  ~Runner() { Stop(); }

  void Stop() TC_EXCLUDES(mu_) {
    {
      MutexLock lock(mu_);
      stop_ = true;
      cv_.NotifyAll();
    }
    if (thread_.joinable()) thread_.join();
  }
  const std::string& name() const { return c_.name; }
  const std::string& fingerprint() const { return fingerprint_; }
  MqttStatus status() const TC_EXCLUDES(mu_) {
    MutexLock lock(mu_);
    return status_;
  }

 private:
  void Run();
  // Subscribed until stopped, the connection is lost (why) or the lease is lost.
  struct End {
    bool lease_lost = false;
    Status why;
  };
  End Subscribed(MqttSession& session) TC_EXCLUDES(mu_);
  void Handle(Message message, Committed committed);
  // Sleeps `ms` unless stopped; false when stopped.
  bool SleepFor(int64_t ms) TC_EXCLUDES(mu_);
  bool stopping() const TC_EXCLUDES(mu_) {
    MutexLock lock(mu_);
    return stop_;
  }
  void SetState(const std::string& state, const std::string& error = "", const std::string& holder = "")
      TC_EXCLUDES(mu_);
  void SaveStatus() TC_EXCLUDES(mu_);

  MqttSubscribers& owner_;
  const MqttConnector c_;
  const std::string fingerprint_;
  const std::string lease_;
  int64_t token_ = 0;  // the lease's fencing token while held (the runner's thread only)
  RateLimitedLog rejected_log_{"mqtt_message_rejected"};
  RateLimitedLog not_stored_log_{"mqtt_message_not_stored"};
  mutable Mutex mu_;
  CondVar cv_;
  bool stop_ TC_GUARDED_BY(mu_) = false;
  MqttStatus status_ TC_GUARDED_BY(mu_);
  std::thread thread_;
};

void MqttSubscribers::Runner::SetState(const std::string& state, const std::string& error, const std::string& holder) {
  std::string json;
  {
    MutexLock lock(mu_);
    const bool changed = status_.state != state || status_.last_error != error || status_.holder != holder;
    if (!changed) return;
    if (status_.state != state) status_.since = owner_.clock_.NowMs();
    status_.state = state;
    if (!error.empty() || state == "connected") status_.last_error = error;
    status_.holder = holder;
    if (state != "connected") status_.granted_qos.clear();
    json = status_.ToJson();
  }
  owner_.metrics_.mqtt_connected.With({c_.name}).Set(state == "connected" ? 1 : 0);
  // Kept in the store for `telecollect connector status` (any node, any process),
  // by the node that holds the lease: a node in standby leaves the holder's word.
  if (state != "standby") (void)owner_.store_.PutState(c_.name, kStatusStateKey, json, std::nullopt);
}

void MqttSubscribers::Runner::SaveStatus() {
  std::string json;
  {
    MutexLock lock(mu_);
    json = status_.ToJson();
  }
  (void)owner_.store_.PutState(c_.name, kStatusStateKey, json, std::nullopt);
}

bool MqttSubscribers::Runner::SleepFor(int64_t ms) {
  MutexLock lock(mu_);
  cv_.WaitFor(lock, std::chrono::milliseconds(ms), [&]() TC_REQUIRES(mu_) { return stop_; });
  return !stop_;
}

void MqttSubscribers::Runner::Run() {
  std::mt19937_64 rng(std::random_device{}());
  int64_t backoff = c_.reconnect_min_ms;
  bool held = false;
  while (!stopping()) {
    // One subscriber per connector in a cluster: the lease first.
    Result<std::optional<store::Fence>> got =
        schedule::TakeLease(owner_.store_, lease_, owner_.clock_.NowMs(), owner_.lease_ttl_ms_);
    if (!got.ok() || !*got) {
      if (!got.ok()) {
        SetState("standby", "lease: " + got.status().message());
      } else {
        auto holder = owner_.store_.LeaseHolder(lease_);
        SetState("standby", "", holder.ok() && *holder ? **holder : "");
      }
      if (!SleepFor(std::min(kStandbyRetryMs, owner_.lease_ttl_ms_))) break;
      continue;
    }
    held = true;
    token_ = (*got)->token;
    std::string missing;
    for (const Subscription& s : c_.subscriptions) {
      if (!push::FindEnvelope(c_.scope, s.envelope)) missing += (missing.empty() ? "" : ", ") + s.envelope;
    }
    if (!missing.empty()) {
      // Not subscribed, so nothing is acknowledged: messages wait at the broker
      // until the envelope is loaded (SIGHUP) or the connector fixed.
      SetState("error", "envelope not loaded: " + missing, schedule::ThisHolder());
      if (!SleepFor(c_.reconnect_max_ms)) break;
      continue;
    }
    SetState("connecting", "", schedule::ThisHolder());
    Result<std::unique_ptr<MqttSession>> session =
        MqttSession::Open(c_, [this](Message m, Committed done) { Handle(std::move(m), std::move(done)); }, kOpenTimeoutMs);
    Status ended;
    bool lease_lost = false;
    if (session.ok()) {
      owner_.metrics_.mqtt_connects.With({c_.name, "ok"}).Inc();
      backoff = c_.reconnect_min_ms;
      End end = Subscribed(**session);
      lease_lost = end.lease_lost;
      ended = std::move(end.why);
      (*session)->Close();
    } else {
      owner_.metrics_.mqtt_connects.With({c_.name, "failed"}).Inc();
      ended = session.status();
    }
    if (stopping()) break;
    {
      MutexLock lock(mu_);
      ++status_.reconnects;
    }
    if (lease_lost) continue;  // standby
    LogWarn("mqtt_disconnected", {{"connector", c_.name}, {"broker", c_.BrokerUrl()}, {"error", ended.message()},
                                  {"retry_ms", std::to_string(backoff)}});
    SetState("backoff", ended.message(), schedule::ThisHolder());
    // Full jitter over the upper half: nodes that lost a broker together do not come back in step.
    const int64_t wait = backoff / 2 + static_cast<int64_t>(rng() % static_cast<uint64_t>(backoff / 2 + 1));
    if (!SleepFor(wait)) break;
    backoff = std::min(backoff * 2, c_.reconnect_max_ms);
  }
  if (held) (void)owner_.store_.ReleaseLease(lease_, schedule::ThisHolder());
  SetState("stopped");
}

MqttSubscribers::Runner::End MqttSubscribers::Runner::Subscribed(MqttSession& session) {
  {
    MutexLock lock(mu_);
    status_.granted_qos = session.granted_qos();
  }
  SetState("connected", "", schedule::ThisHolder());
  bool at_most_once = false;
  for (int q : session.granted_qos()) at_most_once = at_most_once || q == 0;
  LogInfo("mqtt_subscribed", {{"connector", c_.name},
                              {"broker", c_.BrokerUrl()},
                              {"client_id", c_.client_id},
                              {"session_present", session.session_present() ? "yes" : "no"}});
  if (at_most_once)
    LogWarn("mqtt_qos0_granted", {{"connector", c_.name},
                                  {"meaning", "the broker delivers at most once: messages sent while disconnected are lost"}});
  const int64_t renew_every = owner_.lease_ttl_ms_ / 4;
  int64_t renew_at = SteadyMs() + renew_every;
  while (!stopping()) {
    if (Status s = session.Turn(kTurnMs); !s.ok()) return {false, s};
    if (SteadyMs() >= renew_at) {
      Result<std::optional<int64_t>> kept =
          owner_.store_.TryLease(lease_, schedule::ThisHolder(), owner_.clock_.NowMs(), owner_.lease_ttl_ms_);
      // Another token: the lease changed hands meanwhile (expired while this
      // node was stalled), even if it is ours again.
      if (!kept.ok() || !*kept || **kept != token_) {
        LogWarn("mqtt_lease_lost", {{"connector", c_.name}, {"error", kept.ok() ? "held elsewhere" : kept.status().message()}});
        return {true, Status::Unavailable("lease lost")};
      }
      renew_at = SteadyMs() + renew_every;
      SaveStatus();  // the counts, for `connector status`
    }
  }
  return {};
}

void MqttSubscribers::Runner::Handle(Message message, Committed committed) {
  Metrics& metrics = owner_.metrics_;
  metrics.mqtt_messages.With({c_.name, "received"}).Inc();
  auto reject = [&](const std::string& why) {
    metrics.mqtt_messages.With({c_.name, "rejected"}).Inc();
    {
      MutexLock lock(mu_);
      ++status_.rejected;
    }
    rejected_log_.Report({{"connector", c_.name}, {"topic", message.topic}, {"error", why}});
    committed(true);  // acknowledged: the broker would only deliver it again, refused again
  };
  if (message.payload.size() > c_.max_message_bytes) {
    reject("message of " + std::to_string(message.payload.size()) + " bytes, over broker.max_message_bytes");
    return;
  }
  const std::optional<push::PushService::Route> route = RouteForTopic(c_, message.topic);
  if (!route) {
    reject("topic matches no subscription");
    return;
  }
  const std::string topic = message.topic;
  // MQTT 3.1.1 carries no content type: the envelope reads its own format (JSON, or form fields, XML).
  owner_.push_.Push(c_.scope, *route, "", message.payload,
                    [this, topic, committed = std::move(committed)](push::PushResponse r) {
                      Metrics& m = owner_.metrics_;
                      if (r.status == 200) {
                        m.mqtt_messages.With({c_.name, "stored"}).Inc();
                        const EpochMs now = owner_.clock_.NowMs();
                        MutexLock lock(mu_);
                        ++status_.messages;
                        status_.last_message = now;
                      } else if (r.status == 400 || r.status == 413 || r.status == 415) {
                        m.mqtt_messages.With({c_.name, "rejected"}).Inc();
                        {
                          MutexLock lock(mu_);
                          ++status_.rejected;
                        }
                        rejected_log_.Report({{"connector", c_.name}, {"topic", topic}, {"error", r.body}});
                      } else {
                        m.mqtt_messages.With({c_.name, "not_stored"}).Inc();
                        not_stored_log_.Report({{"connector", c_.name}, {"topic", topic}, {"error", r.body}});
                        committed(false);
                        return;
                      }
                      committed(true);
                    });
}

MqttSubscribers::MqttSubscribers(store::Store& store, push::PushService& push, Metrics& metrics, const Clock& clock,
                                 int64_t lease_ttl_ms)
    : store_(store), push_(push), metrics_(metrics), clock_(clock), lease_ttl_ms_(lease_ttl_ms) {}

MqttSubscribers::~MqttSubscribers() { Stop(); }

void MqttSubscribers::SetConnectors(const std::vector<MqttConnector>& connectors) {
  MutexLock lock(mu_);
  std::vector<std::unique_ptr<Runner>> kept;
  for (const MqttConnector& c : connectors) {
    if (!c.enabled) continue;
    const std::string f = Fingerprint(c);
    std::unique_ptr<Runner> runner;
    for (auto& r : runners_) {
      if (r && r->name() == c.name && r->fingerprint() == f) runner = std::move(r);
    }
    if (!runner) {
      for (auto& r : runners_) {
        if (r && r->name() == c.name) r.reset();  // changed: stopped (lease released) before the new one starts
      }
      LogInfo("mqtt_connector_started", {{"connector", c.name}, {"broker", c.BrokerUrl()}});
      runner = std::make_unique<Runner>(*this, c);
    }
    kept.push_back(std::move(runner));
  }
  runners_.clear();  // those gone: stopped
  runners_ = std::move(kept);
}

void MqttSubscribers::Stop() {
  MutexLock lock(mu_);
  runners_.clear();
}

std::vector<MqttStatus> MqttSubscribers::Statuses() const {
  MutexLock lock(mu_);
  std::vector<MqttStatus> out;
  for (const auto& r : runners_) out.push_back(r->status());
  return out;
}

}  // namespace telecollect::mqtt
