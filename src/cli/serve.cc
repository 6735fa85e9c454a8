#include <csignal>
#include <filesystem>
#include <optional>
#include <cstdio>
#include <pthread.h>
#include <thread>
#include <unistd.h>

#include "cli/cli_util.h"
#include "cli/commands.h"
#include "cli/exit_codes.h"
#include "core/clock.h"
#include "core/log.h"
#include "core/thread_name.h"
#include "files/connector.h"
#include "mqtt/mqtt_subscriber.h"
#include "pull/http_client.h"
#include "pull/pull_run.h"
#include "pull/request_builder.h"
#include "pull/stored_token.h"
#include "push/auth.h"
#include "push/background_decoder.h"
#include "push/configured_envelope.h"
#include "push/decoder_catalog.h"
#include "push/envelope_catalog.h"
#include "push/push_service.h"
#include "schedule/scheduler.h"
#include "server/api.h"
#include "server/http_server.h"
#include "store/group_commit.h"

namespace telecollect::cli {
namespace {

// Loads the connectors and hands them to the scheduler and the MQTT subscribers.
void LoadConnectorsInto(const Config& config, schedule::Scheduler& scheduler, mqtt::MqttSubscribers& subscribers) {
  files::ConnectorSet set = files::LoadConnectors(config.ConnectorDirs(), config.SecretsFile());
  for (const auto& c : set.connectors) LogInfo("connector_loaded", {{"connector", c.name}, {"source", c.source.url}});
  pull::ApiConnectorSet apis = pull::LoadApiConnectors(config.ConnectorDirs(), config.SecretsFile(), config.StateKeyFile());
  for (const auto& c : apis.connectors) LogInfo("connector_loaded", {{"connector", c.name}, {"source", pull::DisplayUrl(c)}});
  mqtt::MqttConnectorSet subs = mqtt::LoadMqttConnectors(config.ConnectorDirs(), config.SecretsFile());
  for (const auto& c : subs.connectors) LogInfo("connector_loaded", {{"connector", c.name}, {"source", c.BrokerUrl()}});
  set.refused.insert(set.refused.end(), apis.refused.begin(), apis.refused.end());
  set.refused.insert(set.refused.end(), subs.refused.begin(), subs.refused.end());
  for (const auto& [file, why] : set.refused) LogWarn("connector_refused", {{"file", file}, {"reason", why}});
  scheduler.SetConnectors(set.connectors, apis.connectors);
  subscribers.SetConnectors(subs.connectors);
}

void LogDecoderReport(const decode::LoadReport& report) {
  for (const auto& a : report.active) LogInfo("decoder_active", {{"devicetype", a}});
  for (const auto& [file, why] : report.rejected) LogWarn("decoder_refused", {{"file", file}, {"reason", why}});
}

// Platform envelopes from <decoder dir>/envelopes/*.toml, beside the built-in ones.
void ReloadEnvelopes(const Config& config) {
  const push::EnvelopeLoadReport report = push::ReloadConfiguredEnvelopes(config.DecoderDirs());
  for (const auto& a : report.active) LogInfo("envelope_active", {{"envelope", a}});
  for (const auto& [file, why] : report.rejected) LogWarn("envelope_refused", {{"file", file}, {"reason", why}});
}

}  // namespace

int RunServe(Config config, const ServeArgs& args) {
  if (!args.listen.empty()) config.server.listen = args.listen;
  if (args.threads >= 0) config.server.threads = args.threads;
  InitLogging(config.log);
  // SIGHUP reloads the decoder directories, on a dedicated thread. Block it
  // before any thread exists (store, committer, JavaScript helpers) so that
  // every thread inherits the mask and none is killed by the default action.
  sigset_t hup;
  sigemptyset(&hup);
  sigaddset(&hup, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &hup, nullptr);

  // Said in the log; OpenStore then finds nothing left to narrow.
  Status private_dir = PrepareDataDir(config, [](const std::string& line) { LogWarn("data_dir_modes_narrowed", {{"what", line}}); });
  if (!private_dir.ok()) {
    LogError("data_dir_unusable", {{"error", private_dir.message()}});
    return kExitFailure;
  }
  auto opened = OpenStore(config);
  if (!opened.ok()) {
    LogError("store_open_failed", {{"store", StoreLocation(config)}, {"error", opened.status().message()}});
    return kExitFailure;
  }
  std::unique_ptr<store::Store> db = std::move(opened).value();
  // Refresh tokens stored in clear by an older version are sealed now, not at
  // their connector's next run.
  {
    auto sealed = pull::SealStoredRefreshTokens(
        *db, pull::LoadApiConnectors(config.ConnectorDirs(), config.SecretsFile(), config.StateKeyFile()).connectors);
    if (!sealed.ok()) LogWarn("refresh_token_unsealable", {{"error", sealed.status().message()}});
    else if (*sealed > 0) LogInfo("refresh_tokens_sealed", {{"count", std::to_string(*sealed)}});
  }

  Metrics metrics;
  SystemClock clock;
  std::unique_ptr<decode::DecoderRegistry> registry_ptr = MakeRegistry(config);
  decode::DecoderRegistry& registry = *registry_ptr;
  LogDecoderReport(registry.LoadDirectories(config.DecoderDirs()));
  ReloadEnvelopes(config);
  std::string active_versions;   // signature of the decoder versions active in the store
  std::string active_envelopes;  // and of the envelope versions
  auto refresh_versions = [&] {
    auto problems = push::LoadActiveDecoderVersions(*db, registry, &active_versions);
    if (!problems.ok()) {
      LogWarn("decoder_versions_unreadable", {{"error", problems.status().message()}});
    } else {
      for (const auto& p : *problems) LogWarn("decoder_version_refused", {{"reason", p}});
    }
    // Envelopes uploaded per tenant and env, activated here or by another process on this store.
    auto envelopes = push::LoadActiveEnvelopeVersions(*db, &active_envelopes);
    if (!envelopes.ok()) {
      LogWarn("envelope_versions_unreadable", {{"error", envelopes.status().message()}});
    } else {
      for (const auto& p : *envelopes) LogWarn("envelope_version_refused", {{"reason", p}});
    }
  };
  refresh_versions();

  store::GroupCommitter committer(
      *db, config.store.queue_capacity, config.store.max_group_rows,
      [&metrics](size_t, size_t rows, double seconds, bool ok) {
        metrics.commit_batch.With({}).Observe(static_cast<double>(rows));
        metrics.commit_latency.With({}).Observe(seconds);
        if (!ok) metrics.commit_failures.With({}).Inc();
      });
  push::Authenticator auth(*db, clock, config.auth.cache_ttl_ms);
  push::DeviceDirectory devices(*db, clock, config.push.device_cache_ttl_ms);
  // Frames a push deferred (its decode budget used) are decoded here, off the HTTP threads.
  push::BackgroundDecoder background(*db, registry);
  background.Start();
  push::PushService push_service(registry, committer, metrics, config.push, clock, &devices,
                                 [&background](const Scope& scope) { background.Notify(scope); });
  auto api_connectors = [&config](const std::string& name) -> Result<pull::ApiConnector> {
    pull::ApiConnectorSet set = pull::LoadApiConnectors(config.ConnectorDirs(), config.SecretsFile(), config.StateKeyFile());
    for (auto& c : set.connectors) {
      if (c.name == name) return std::move(c);
    }
    for (const auto& [file, why] : set.refused) {
      if (std::filesystem::path(file).stem() == name) return Status::InvalidArgument(why);
    }
    return Status::NotFound("no API connector " + name);
  };
  // Where a connector reads, for the console: scheme and host, never a user, a password or a server path.
  auto where = [](const std::string& url) -> std::string {
    const size_t scheme = url.find("://");
    if (scheme == std::string::npos) return "local inbox";
    std::string host = url.substr(scheme + 3);
    host = host.substr(0, host.find('/'));
    if (const size_t at = host.rfind('@'); at != std::string::npos) host = host.substr(at + 1);
    return url.substr(0, scheme + 3) + host;
  };
  auto list_connectors = [&config, where]() {
    std::vector<server::ConnectorInfo> out;
    for (const auto& c : files::LoadConnectors(config.ConnectorDirs(), config.SecretsFile()).connectors) {
      out.push_back({c.name, "files", c.scope, c.schedule, c.enabled, c.source.is_local() ? "local inbox" : where(c.source.url)});
    }
    for (const auto& c : pull::LoadApiConnectors(config.ConnectorDirs(), config.SecretsFile(), config.StateKeyFile()).connectors) {
      out.push_back({c.name, "api", c.scope, c.schedule, c.enabled, where(c.url)});
    }
    for (const auto& c : mqtt::LoadMqttConnectors(config.ConnectorDirs(), config.SecretsFile()).connectors) {
      out.push_back({c.name, "mqtt", c.scope, "", c.enabled, c.BrokerUrl()});
    }
    return out;
  };
  schedule::Scheduler scheduler(*db, clock, config.SpoolDir(), config.cluster.lease_ttl_ms);
  // "Run now" from the API: the scope's connector, queued on the scheduler.
  auto run_connector = [&config, &scheduler](const Scope& scope, const std::string& name) -> Status {
    auto mine = [&](const auto& c) { return c.name == name && c.scope.tenant == scope.tenant && c.scope.env == scope.env; };
    std::optional<schedule::Scheduler::AnyConnector> found;
    for (auto& c : files::LoadConnectors(config.ConnectorDirs(), config.SecretsFile()).connectors) {
      if (mine(c)) found = std::move(c);
    }
    for (auto& c : pull::LoadApiConnectors(config.ConnectorDirs(), config.SecretsFile(), config.StateKeyFile()).connectors) {
      if (mine(c)) found = std::move(c);
    }
    if (!found) {
      for (const auto& c : mqtt::LoadMqttConnectors(config.ConnectorDirs(), config.SecretsFile()).connectors) {
        if (mine(c)) {
          return Status::InvalidArgument("connector \"" + name + "\" is an MQTT subscription: it has no runs to start, "
                                         "the server stays subscribed; its state is in GET /v1/connectors");
        }
      }
      return Status::NotFound("no connector \"" + name + "\" for this token's tenant and env");
    }
    if (!config.files.scheduler) {
      return Status::Unavailable("connectors are not run by this server ([files] scheduler = false): "
                                 "use telecollect connector run");
    }
    scheduler.RunSoon(std::move(*found));
    return Status::Ok();
  };
  // MQTT subscriptions: messages through the push path, acknowledged once committed.
  mqtt::MqttSubscribers subscribers(*db, push_service, metrics, clock, config.cluster.lease_ttl_ms);
  auto mqtt_health = [&subscribers] {
    std::string out = "[";
    for (const mqtt::MqttStatus& s : subscribers.Statuses()) out += (out.size() > 1 ? "," : "") + s.ToJson();
    return out + "]";
  };
  auto mqtt_live = [&subscribers](const std::string& name) -> std::optional<std::string> {
    for (const mqtt::MqttStatus& s : subscribers.Statuses()) {
      if (s.connector == name && s.state != "standby") return s.ToJson();
    }
    return std::nullopt;
  };
  server::Api api({*db, committer, registry, auth, push_service, devices, metrics, clock, api_connectors, config.workers,
                   list_connectors, run_connector, mqtt_health, mqtt_live});
  server::HttpServer http(config.server, api, metrics);

  if (config.files.scheduler) {
    LoadConnectorsInto(config, scheduler, subscribers);
    scheduler.Start();
  }

  std::atomic<bool> stopping{false};
  std::thread reloader([&] {
    NameThisThread("tc-reload");
    const int64_t refresh_ms = std::max<int64_t>(config.decoders.refresh_ms, 100);
    timespec every{static_cast<time_t>(refresh_ms / 1000), static_cast<long>(refresh_ms % 1000) * 1000000};
    while (true) {
      // Wakes on SIGHUP (reload everything) or every decoders.refresh (decoder
      // versions activated by another process on this store).
      const int sig = sigtimedwait(&hup, nullptr, &every);
      if (stopping) return;
      if (sig != SIGHUP) {
        refresh_versions();
        continue;
      }
      LogInfo("decoders_reload");
      LogDecoderReport(registry.LoadDirectories(config.DecoderDirs()));
      ReloadEnvelopes(config);
      active_versions.clear();
      active_envelopes.clear();
      refresh_versions();
      if (config.files.scheduler) LoadConnectorsInto(config, scheduler, subscribers);
    }
  });
  auto stop_reloader = [&] {
    stopping = true;
    pthread_kill(reloader.native_handle(), SIGHUP);
    reloader.join();
  };

  Status bound = http.Bind();
  if (!bound.ok()) {
    LogError("listen_failed", {{"error", bound.message()}});
    scheduler.Stop();
    subscribers.Stop();
    stop_reloader();
    return kExitCannotServe;
  }
  const std::string host = config.server.listen.substr(0, config.server.listen.rfind(':'));
  LogInfo("listening", {{"address", host + ":" + std::to_string(http.port())},
                        {"store", config.StorePath()},
                        {"threads", std::to_string(config.server.threads)}});
  std::printf("telecollect listening on %s:%d\n", host.c_str(), http.port());
  std::fflush(stdout);

  http.Run(/*handle_signals=*/true);
  // Every connection is answered or closed; finish the connector run under
  // way, commit what is queued, then stop.
  // MQTT first: the last messages read are committed and acknowledged, then DISCONNECT.
  subscribers.Stop();
  scheduler.Stop();
  committer.Stop();
  stop_reloader();
  LogInfo("stopped");
  return kExitOk;
}

}  // namespace telecollect::cli
