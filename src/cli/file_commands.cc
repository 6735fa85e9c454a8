// Flat-file commands: validate, import, files (the journal).
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>

#include <fmt/format.h>
#include <simdjson.h>

#include "cli/cli_util.h"
#include "cli/commands.h"
#include "cli/csv_out.h"
#include "cli/exit_codes.h"
#include "core/clock.h"
#include "core/json_writer.h"
#include "files/connector_run.h"
#include "mqtt/mqtt_subscriber.h"
#include "pull/http_client.h"
#include "schedule/lease.h"
#include "schedule/lease_keeper.h"
#include "pull/pull_run.h"
#include "pull/request_builder.h"
#include "files/file_import.h"
#include "files/sniff.h"

namespace telecollect::cli {

int RunValidate(const Config&, const ValidateArgs& args) {
  files::Profile profile;
  std::vector<std::string> notes;
  if (args.profile.empty()) {
    Result<files::SniffResult> sniffed = files::SniffProfile(args.file);
    if (!sniffed.ok()) return Fail(sniffed.status());
    profile = sniffed->profile;
    notes = sniffed->notes;
  } else {
    Result<files::Profile> loaded = files::LoadProfileFile(args.profile);
    if (!loaded.ok()) return Fail(loaded.status());
    profile = std::move(loaded).value();
  }
  const files::ImportReport report = files::ValidateFile(args.file, profile);
  const std::string toml = files::ProfileToToml(profile);
  if (!args.write_profile.empty()) {
    std::ofstream out(args.write_profile, std::ios::binary);
    out << "# Proposed by `telecollect validate` from " << std::filesystem::path(args.file).filename().string()
        << ": check it, then use it with --profile.\n"
        << toml;
    if (!out) return Fail(Status::IoError("cannot write " + args.write_profile));
  }
  if (args.json) {
    JsonWriter w;
    w.BeginObject();
    w.Key("report").Raw(report.ToJson());
    if (args.profile.empty()) {
      w.Key("profile").String(toml);
      w.Key("notes").BeginArray();
      for (const auto& n : notes) w.String(n);
      w.EndArray();
    }
    w.EndObject();
    std::printf("%s\n", w.str().c_str());
  } else {
    if (args.profile.empty()) {
      std::printf("No profile given: proposed from the file.\n");
      for (const auto& n : notes) std::printf("  - %s\n", n.c_str());
      std::printf("\n--- profile%s ---\n%s---\n\n", args.write_profile.empty() ? "" : (" (saved to " + args.write_profile + ")").c_str(),
                  toml.c_str());
    }
    std::printf("%s", report.ToText().c_str());
    std::printf("\n%s\n", report.error_count == 0 ? "OK: the file would be imported whole."
                          : profile.skip_bad_rows ? "The rows in error would be skipped (on_row_error = \"skip\"), the others imported."
                                                  : "The file would be REJECTED (on_row_error = \"reject\"): nothing of it imported.");
  }
  return report.error_count == 0 ? kExitOk : kExitUsage;
}

namespace {

void PrintImported(const std::string& path, const files::ImportOutcome& o) {
  std::printf("%s: %s, %lld rows, %lld readings written, %lld errors\n", path.c_str(), files::OutcomeName(o.kind),
              static_cast<long long>(o.report.rows), static_cast<long long>(o.kind == files::ImportOutcome::Kind::kImported ? o.report.readings : 0),
              static_cast<long long>(o.report.error_count));
  for (const auto& e : o.report.errors) {
    std::printf("  %sline %lld%s: %s\n", e.part.empty() ? "" : (e.part + ": ").c_str(), static_cast<long long>(e.line),
                e.field.empty() ? "" : (", " + e.field).c_str(), e.message.c_str());
  }
  if (o.kind == files::ImportOutcome::Kind::kDuplicate) {
    std::printf("  same content as %s, imported %s: nothing written\n", o.record.path.c_str(), FormatIso8601(o.record.at).c_str());
  }
}

// Files are committed one transaction each and made durable together: one
// Sync (fdatasync) per group, and a file is reported only after the Sync that
// covers it. A group ends after this many files or this long.
constexpr size_t kSyncGroupFiles = 64;
constexpr auto kSyncGroupTime = std::chrono::seconds(2);

}  // namespace

int RunImport(const Config& config, const ImportArgs& args) {
  Result<Scope> scope = ScopeFrom(args.tenant, args.env);
  if (!scope.ok()) return Fail(scope.status());
  Result<files::Profile> profile = files::LoadProfileFile(args.profile);
  if (!profile.ok()) return Fail(profile.status());
  auto store = OpenStore(config);
  if (!store.ok()) return Fail(store.status());
  int rc = kExitOk;
  std::vector<std::pair<std::string, files::ImportOutcome>> pending;
  auto group_start = std::chrono::steady_clock::now();
  const auto report = [&]() -> Status {
    if (pending.empty()) return Status::Ok();
    TC_RETURN_IF_ERROR((*store)->Sync());
    for (const auto& [path, o] : pending) PrintImported(path, o);
    std::fflush(stdout);
    pending.clear();
    return Status::Ok();
  };
  for (const std::string& path : args.files) {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) {
      std::fprintf(stderr, "%s: cannot stat\n", path.c_str());
      rc = kExitNotFound;
      continue;
    }
    files::FileListing listing;
    listing.path = std::filesystem::absolute(path).string();
    listing.size = st.st_size;
    listing.mtime_ms = int64_t(st.st_mtim.tv_sec) * 1000 + st.st_mtim.tv_nsec / 1000000;
    if (pending.empty()) group_start = std::chrono::steady_clock::now();
    Result<files::ImportOutcome> out = files::ImportFile(**store, *scope, *profile, path, listing, SystemClock().NowMs(),
                                                         store::Durability::kAtNextSync);
    if (!out.ok()) {
      // What was imported before is reported once durable; then the failure.
      if (Status s = report(); !s.ok()) return Fail(s);
      return Fail(out.status());
    }
    if (out->kind == files::ImportOutcome::Kind::kRejected) rc = kExitUsage;
    pending.emplace_back(path, std::move(*out));
    if (pending.size() >= kSyncGroupFiles || std::chrono::steady_clock::now() - group_start >= kSyncGroupTime) {
      if (Status s = report(); !s.ok()) return Fail(s);
    }
  }
  if (Status s = report(); !s.ok()) return Fail(s);
  return rc;
}

int RunFilesList(const Config& config, const FilesArgs& args) {
  auto store = OpenStore(config);
  if (!store.ok()) return Fail(store.status());
  store::FileQuery query;
  if (!args.connector.empty()) query.connector = args.connector;
  if (args.id > 0) {
    // The report GET /v1/files?report=true gives: where each row failed (line, field) and why.
    query.limit = 1;
    query.before_id = args.id + 1;
    auto one = (*store)->ListFiles(query);
    if (!one.ok()) return Fail(one.status());
    if (one->empty() || one->front().id != args.id) {
      return Fail(Status::NotFound("no file with id " + std::to_string(args.id) + " in the journal (telecollect files lists them)"));
    }
    std::printf("%s\n", one->front().report_json.empty() ? "{}" : one->front().report_json.c_str());
    return kExitOk;
  }
  query.limit = args.limit + 1;
  if (args.before > 0) query.before_id = args.before;
  auto files = (*store)->ListFiles(query);
  if (!files.ok()) return Fail(files.status());
  const bool truncated = files->size() > args.limit;
  if (truncated) files->resize(args.limit);
  std::printf("id,at,tenant,env,connector,path,size,status,rows,readings,errors,sha256\n");
  for (const auto& f : *files) {
    std::printf("%lld,%s,%s,%s,%s,%s,%lld,%s,%lld,%lld,%lld,%s\n", static_cast<long long>(f.id), FormatIso8601(f.at).c_str(),
                CsvField(f.scope.tenant).c_str(), EnvName(f.scope.env), CsvField(f.connector).c_str(), CsvField(f.path).c_str(),
                static_cast<long long>(f.size), f.status.c_str(), static_cast<long long>(f.rows),
                static_cast<long long>(f.readings), static_cast<long long>(f.errors), f.sha256.c_str());
  }
  if (truncated) std::fprintf(stderr, "truncated: continue with --before %lld\n", static_cast<long long>(files->back().id));
  return kExitOk;
}

}  // namespace telecollect::cli

namespace telecollect::cli {
namespace {

files::ConnectorSet LoadAllConnectors(const Config& config) {
  return files::LoadConnectors(config.ConnectorDirs(), config.SecretsFile());
}

}  // namespace

int RunConnectorList(const Config& config) {
  files::ConnectorSet set = LoadAllConnectors(config);
  pull::ApiConnectorSet apis = pull::LoadApiConnectors(config.ConnectorDirs(), config.SecretsFile(), config.StateKeyFile());
  std::printf("name,type,tenant,env,source,pattern,schedule,enabled,file\n");
  for (const auto& c : set.connectors) {
    std::printf("%s,files,%s,%s,%s,%s,%s,%s,%s\n", CsvField(c.name).c_str(), CsvField(c.scope.tenant).c_str(),
                EnvName(c.scope.env), CsvField(c.source.url).c_str(), CsvField(c.source.pattern).c_str(),
                CsvField(c.schedule).c_str(), c.enabled ? "yes" : "no", CsvField(c.origin).c_str());
  }
  for (const auto& c : apis.connectors) {
    std::printf("%s,api,%s,%s,%s,%zu meter(s),%s,%s,%s\n", c.name.c_str(), c.scope.tenant.c_str(), EnvName(c.scope.env),
                pull::DisplayUrl(c).c_str(), std::max<size_t>(1, c.meters.size()), c.schedule.c_str(),
                c.enabled ? "yes" : "no", c.origin.c_str());
  }
  // MQTT: the topics as pattern; no schedule (subscribed while `serve` runs).
  mqtt::MqttConnectorSet subs = mqtt::LoadMqttConnectors(config.ConnectorDirs(), config.SecretsFile());
  for (const auto& c : subs.connectors) {
    std::string topics;
    for (const auto& s : c.subscriptions) topics += (topics.empty() ? "" : " ") + s.topic + " (" + s.envelope + ")";
    std::printf("%s,mqtt,%s,%s,%s,%s,,%s,%s\n", CsvField(c.name).c_str(), CsvField(c.scope.tenant).c_str(),
                EnvName(c.scope.env), CsvField(c.BrokerUrl()).c_str(), CsvField(topics).c_str(), c.enabled ? "yes" : "no",
                CsvField(c.origin).c_str());
  }
  set.refused.insert(set.refused.end(), apis.refused.begin(), apis.refused.end());
  set.refused.insert(set.refused.end(), subs.refused.begin(), subs.refused.end());
  for (const auto& [file, why] : set.refused) std::fprintf(stderr, "refused %s: %s\n", file.c_str(), why.c_str());
  return set.refused.empty() ? kExitOk : kExitUsage;
}

namespace {

// The connector file named `name` in the directories, loaded or refused.
Status NoConnector(const Config& config, const std::string& name,
                   const std::vector<std::pair<std::string, std::string>>& refused) {
  for (const auto& [file, why] : refused) {
    if (std::filesystem::path(file).stem() == name) return Status::InvalidArgument(why);
  }
  std::string dirs;
  for (const auto& d : config.ConnectorDirs()) dirs += (dirs.empty() ? "" : ", ") + d;
  return Status::NotFound("no connector \"" + name + "\" in " + dirs);
}

// Runs `body` holding the connector's lease (the scheduler's), kept while it
// runs: never two runs at once.
int WithLease(const Config& config, store::Store& store, const std::string& name,
              const std::function<int(schedule::LeaseKeeper&)>& body) {
  SystemClock clock;
  const std::string lease = "connector:" + name;
  const int64_t ttl_ms = config.cluster.lease_ttl_ms;
  Result<std::optional<store::Fence>> got = schedule::TakeLease(store, lease, clock.NowMs(), ttl_ms);
  if (!got.ok()) return Fail(got.status());
  if (!*got) return Fail(Status::Unavailable("connector " + name + " is running elsewhere (lease " + lease + " held); try again later"));
  int rc = 0;
  {
    schedule::LeaseKeeper keeper(store, clock, **got, ttl_ms);
    keeper.Start();
    rc = body(keeper);
  }
  (void)store.ReleaseLease(lease, schedule::ThisHolder());
  return rc;
}

// As `import`: 2 when a file was rejected (bad input) and nothing else went
// wrong, 1 when a transfer or the store failed.
int FilesRunExitCode(const store::RunRecord& run) {
  if (run.status == "ok") return kExitOk;
  if (run.status == "rejected") return kExitUsage;
  return kExitFailure;
}

int RunApiConnectorNow(const Config& config, const pull::ApiConnector& c) {
  auto store = OpenStore(config);
  if (!store.ok()) return Fail(store.status());
  return WithLease(config, **store, c.name, [&](schedule::LeaseKeeper& keeper) {
    SystemClock clock;
    pull::PullOptions o;
    o.lease_lost = [&keeper] { return keeper.why(); };
    o.fence = keeper.fence();
    o.on_event = [](const std::string& line) { std::printf("  %s\n", line.c_str()); };
    std::printf("%s: %s\n", c.name.c_str(), pull::DisplayUrl(c).c_str());
    const pull::PullResult r = pull::RunApiConnector(**store, c, clock, o);
    const store::RunRecord& run = r.run;
    std::printf("run %lld %s: %lld window(s) committed, %lld failed, %lld request(s), %lld readings, %.1f s%s%s\n",
                static_cast<long long>(run.id), run.status.c_str(), static_cast<long long>(run.windows),
                static_cast<long long>(run.windows_failed), static_cast<long long>(run.requests),
                static_cast<long long>(run.readings), (run.finished - run.started) / 1000.0, run.message.empty() ? "" : ": ",
                run.message.c_str());
    return run.status == "ok" ? kExitOk : kExitFailure;
  });
}

}  // namespace

int RunConnectorRun(const Config& config, const std::string& name) {
  pull::ApiConnectorSet apis = pull::LoadApiConnectors(config.ConnectorDirs(), config.SecretsFile(), config.StateKeyFile());
  for (const auto& a : apis.connectors) {
    if (a.name == name) return RunApiConnectorNow(config, a);
  }
  files::ConnectorSet set = LoadAllConnectors(config);
  const files::Connector* c = nullptr;
  for (const auto& x : set.connectors) {
    if (x.name == name) c = &x;
  }
  if (c == nullptr) {
    mqtt::MqttConnectorSet subs = mqtt::LoadMqttConnectors(config.ConnectorDirs(), config.SecretsFile());
    for (const auto& m : subs.connectors) {
      if (m.name == name) {
        // A subscription is not run: it lasts as long as `serve`.
        return Fail(Status::InvalidArgument(
            "connector \"" + name + "\" is an MQTT subscription (" + m.BrokerUrl() +
            "): it has no runs to start; `telecollect serve` stays subscribed while it runs" +
            (m.enabled ? "" : " (this one has enabled = false)") + ". Its state: telecollect connector status " + name +
            " (or GET /v1/connectors, GET /healthz)"));
      }
    }
    set.refused.insert(set.refused.end(), apis.refused.begin(), apis.refused.end());
    set.refused.insert(set.refused.end(), subs.refused.begin(), subs.refused.end());
    return Fail(NoConnector(config, name, set.refused));
  }
  auto store = OpenStore(config);
  if (!store.ok()) return Fail(store.status());
  return WithLease(config, **store, c->name, [&](schedule::LeaseKeeper& keeper) {
    SystemClock clock;
    files::RunOptions o;
    o.spool_dir = config.SpoolDir();
    o.lease_lost = [&keeper] { return keeper.why(); };
    o.fence = keeper.fence();
    o.on_file = [](const std::string& line) { std::printf("  %s\n", line.c_str()); };
    std::printf("%s: %s\n", c->name.c_str(), c->source.url.c_str());
    const store::RunRecord run = files::RunConnector(**store, *c, clock, o);
    std::printf("run %lld %s: %lld imported, %lld rejected, %lld skipped, %lld waiting, %lld readings, %.1f s%s%s\n",
                static_cast<long long>(run.id), run.status.c_str(), static_cast<long long>(run.files_imported),
                static_cast<long long>(run.files_rejected), static_cast<long long>(run.files_skipped),
                static_cast<long long>(run.files_waiting), static_cast<long long>(run.readings),
                (run.finished - run.started) / 1000.0, run.message.empty() ? "" : ": ", run.message.c_str());
    return FilesRunExitCode(run);
  });
}

int RunConnectorRetry(const Config& config, const std::string& name, const std::string& file) {
  files::ConnectorSet set = LoadAllConnectors(config);
  const files::Connector* c = nullptr;
  for (const auto& x : set.connectors) {
    if (x.name == name) c = &x;
  }
  if (c == nullptr) return Fail(NoConnector(config, name, set.refused));
  auto store = OpenStore(config);
  if (!store.ok()) return Fail(store.status());
  return WithLease(config, **store, c->name, [&](schedule::LeaseKeeper& keeper) {
    Result<std::unique_ptr<files::Transport>> t = files::MakeTransport(c->source);
    if (!t.ok()) return Fail(t.status());
    files::Transport& transport = **t;
    const std::string base = std::filesystem::path(file).filename().string();
    files::RemoteFile quarantined{c->source.quarantine_dir + "/" + base};
    files::RemoteFile source{file};
    if (transport.Stat(quarantined).ok()) {
      // Its name there is <stamp>-<name>, the stamp 20261126T101500.123Z (20261126T101500Z
      // before milliseconds were added): back under <name>.
      const size_t z = base.find("Z-");
      const bool stamped = (z == 15 || z == 19) && base.size() > 8 && base[8] == 'T';
      const std::string original = stamped ? base.substr(z + 2) : base;
      Status moved = transport.Move(quarantined, ".", original);
      if (!moved.ok()) return Fail(moved);
      (void)transport.Remove(files::RemoteFile{quarantined.path + ".report.txt"});
      source = files::RemoteFile{original};
    }
    Status st = transport.Stat(source);
    if (!st.ok()) {
      return Fail(Status::NotFound("no file " + base + " in " + c->source.quarantine_dir + "/ nor " + file +
                                   " in the source folder of connector " + name));
    }
    // A journal entry newer than the rejection: the next run reads the file again.
    store::FileRecord retry;
    retry.scope = c->scope;
    retry.connector = c->name;
    retry.path = source.path;
    retry.size = source.size;
    retry.mtime_ms = source.mtime_ms;
    retry.status = "retry";
    retry.at = SystemClock().NowMs();
    Status recorded = (*store)->RecordFile(retry, keeper.fence());
    if (!recorded.ok()) return Fail(recorded);
    std::printf("%s: in the source folder; the next run of %s reads it again (telecollect connector run %s)\n",
                source.path.c_str(), name.c_str(), name.c_str());
    return kExitOk;
  });
}

int RunConnectorTry(const Config& config, const TryArgs& args) {
  pull::ApiConnectorSet apis = pull::LoadApiConnectors(config.ConnectorDirs(), config.SecretsFile(), config.StateKeyFile());
  const pull::ApiConnector* c = nullptr;
  for (const auto& a : apis.connectors) {
    if (a.name == args.name) c = &a;
  }
  if (c == nullptr) return Fail(NoConnector(config, args.name, apis.refused));
  pull::PullOptions o;
  o.preview = true;
  o.meter = args.meter;
  auto from = pull::ParseTryBound("from", args.from, c->window);
  if (!from.ok()) return Fail(from.status());
  o.from = *from;
  if (!args.to.empty()) {
    auto to = pull::ParseTryBound("to", args.to, c->window);
    if (!to.ok()) return Fail(to.status());
    o.to = *to;
  }
  if (!args.json) o.on_event = [](const std::string& line) { std::printf("  %s\n", line.c_str()); };
  auto store = OpenStore(config);  // for a rotated refresh token and the watermarks: nothing else is written
  if (!store.ok()) return Fail(store.status());
  SystemClock clock;
  const pull::PullResult r = pull::RunApiConnector(**store, *c, clock, o);
  const bool ok = r.run.status == "ok";
  if (args.json) {
    std::printf("%s\n", pull::PullResultJson(c->name, r).c_str());
  } else {
    for (const auto& w : r.windows) {
      std::printf("\n%s", w.report.ToText().c_str());
      if (!w.error.empty()) std::printf("FAILED: %s\n", w.error.c_str());
    }
    std::printf("\n%s: %lld request(s); nothing stored (preview)%s%s\n", ok ? "OK" : "FAILED",
                static_cast<long long>(r.run.requests), r.run.message.empty() ? "" : ": ", r.run.message.c_str());
  }
  return ok ? kExitOk : kExitFailure;
}

namespace {

// The MQTT connectors' state as their subscriber last wrote it in the store
// (on whichever node holds the lease), one CSV row each.
int PrintMqttStatus(store::Store& store, const std::vector<mqtt::MqttConnector>& connectors) {
  std::printf("connector,broker,state,since,holder,messages,rejected,reconnects,granted_qos,last_error\n");
  for (const auto& c : connectors) {
    auto state = store.GetState(c.name, mqtt::kStatusStateKey);
    if (!state.ok()) return Fail(state.status());
    if (!*state) {
      std::printf("%s,%s,never started,,,,,,,\n", CsvField(c.name).c_str(), CsvField(c.BrokerUrl()).c_str());
      continue;
    }
    simdjson::dom::parser parser;
    simdjson::dom::element e;
    if (parser.parse(**state).get(e)) continue;
    auto text = [&](const char* key) {
      std::string_view v;
      return e[key].get_string().get(v) ? std::string() : std::string(v);
    };
    auto number = [&](const char* key) {
      int64_t v = 0;
      return e[key].get_int64().get(v) ? std::string() : std::to_string(v);
    };
    std::string qos;
    simdjson::dom::array granted;
    if (!e["granted_qos"].get_array().get(granted)) {
      for (auto q : granted) qos += (qos.empty() ? "" : " ") + std::to_string(int64_t(q));
    }
    std::printf("%s,%s,%s,%s,%s,%s,%s,%s,%s,%s\n", CsvField(c.name).c_str(), CsvField(text("broker")).c_str(),
                CsvField(text("state")).c_str(), CsvField(text("since")).c_str(), CsvField(text("holder")).c_str(),
                number("messages").c_str(), number("rejected").c_str(), number("reconnects").c_str(), qos.c_str(),
                CsvField(text("last_error")).c_str());
  }
  return kExitOk;
}

}  // namespace

int RunConnectorStatus(const Config& config, const std::string& name, size_t limit, int64_t before) {
  auto store = OpenStore(config);
  if (!store.ok()) return Fail(store.status());
  std::vector<mqtt::MqttConnector> subs = mqtt::LoadMqttConnectors(config.ConnectorDirs(), config.SecretsFile()).connectors;
  if (!name.empty()) {
    std::erase_if(subs, [&](const mqtt::MqttConnector& c) { return c.name != name; });
    if (!subs.empty()) return PrintMqttStatus(**store, subs);
  }
  auto runs = (*store)->ListRuns(name.empty() ? std::nullopt : std::optional(name), limit + 1,
                                 before > 0 ? std::optional(before) : std::nullopt);
  if (!runs.ok()) return Fail(runs.status());
  const bool truncated = runs->size() > limit;
  if (truncated) runs->resize(limit);
  std::printf("run,connector,started,finished,status,imported,rejected,skipped,waiting,rows,row_errors,readings,requests,"
              "windows,windows_failed,message\n");
  for (const auto& r : *runs) {
    std::printf("%lld,%s,%s,%s,%s,%lld,%lld,%lld,%lld,%lld,%lld,%lld,%lld,%lld,%lld,%s\n", static_cast<long long>(r.id), CsvField(r.connector).c_str(),
                FormatIso8601(r.started).c_str(), r.finished ? FormatIso8601(r.finished).c_str() : "",
                r.status.c_str(), static_cast<long long>(r.files_imported), static_cast<long long>(r.files_rejected),
                static_cast<long long>(r.files_skipped), static_cast<long long>(r.files_waiting),
                static_cast<long long>(r.rows), static_cast<long long>(r.row_errors), static_cast<long long>(r.readings),
                static_cast<long long>(r.requests), static_cast<long long>(r.windows), static_cast<long long>(r.windows_failed),
                CsvField(r.message).c_str());
  }
  // A cut list says so on stderr with the option that gives the next page.
  if (truncated) std::fprintf(stderr, "truncated: continue with --before %lld\n", static_cast<long long>(runs->back().id));
  if (subs.empty()) return kExitOk;
  std::printf("\n");  // then the MQTT connectors, which have no runs
  return PrintMqttStatus(**store, subs);
}

}  // namespace telecollect::cli
