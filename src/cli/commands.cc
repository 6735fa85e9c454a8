#include "cli/commands.h"

#include <charconv>
#include <cstdio>
#include <fstream>
#include <sstream>

#include "cli/cli_util.h"
#include "cli/csv_out.h"
#include "cli/exit_codes.h"
#include "core/clock.h"
#include "core/json_writer.h"
#include "decode/decode_frame.h"
#include "decode/decode_report.h"
#include "decode/script/script_factory.h"
#include "push/auth.h"
#include "push/decoder_catalog.h"
#include "push/device_csv.h"
#include "push/redecode.h"
#include "server/series_query.h"

namespace telecollect::cli {
namespace {

// Fills `from`/`to` from the --from/--to arguments, when given.
Status ReadRange(const std::string& from_text, const std::string& to_text, std::optional<EpochMs>& from,
                 std::optional<EpochMs>& to) {
  if (!from_text.empty()) {
    TC_ASSIGN_OR_RETURN(from, ParseTimeBound("--from", from_text));
  }
  if (!to_text.empty()) {
    TC_ASSIGN_OR_RETURN(to, ParseTimeBound("--to", to_text));
  }
  return Status::Ok();
}

std::string Number(double v) {
  std::string s;
  AppendJsonNumber(s, v);
  return s;
}

}  // namespace

decode::ScriptLimits ScriptLimitsFrom(const Config& config) {
  decode::ScriptLimits limits;
  limits.timeout_ms = config.decoders.script_timeout_ms;
  limits.heap_bytes = static_cast<uint32_t>(config.decoders.script_heap_mb) << 20;
  limits.workers = static_cast<size_t>(config.decoders.script_workers);
  return limits;
}

std::unique_ptr<decode::DecoderRegistry> MakeRegistry(const Config& config) {
  return std::make_unique<decode::DecoderRegistry>(decode::MakeScriptFactory(ScriptLimitsFrom(config)),
                                                   config.decoders.vocabulary);
}

int RunTokenCreate(const Config& config, const TokenCreateArgs& args) {
  if (args.admin && !(args.tenant.empty() && args.env.empty())) {
    return Fail(Status::InvalidArgument("an admin token has no --tenant nor --env"));
  }
  auto scope = args.admin ? Result<Scope>(Scope{std::string(push::kAdminTenant), Env::kProd}) : ScopeFrom(args.tenant, args.env);
  if (!scope.ok()) return Fail(scope.status());
  auto db = OpenStore(config);
  if (!db.ok()) return Fail(db.status());
  SystemClock clock;
  if (args.replace) {
    auto tokens = (*db)->ListTokens(args.tenant);
    if (!tokens.ok()) return Fail(tokens.status());
    for (const auto& t : *tokens) {
      if (t.scope == *scope && t.label == args.label && !t.revoked_at) {
        Status s = (*db)->RevokeToken(std::to_string(t.id), clock.NowMs());
        if (!s.ok()) return Fail(s);
      }
    }
  }
  const std::string token = GenerateToken(args.admin ? "admin" : EnvName(scope->env));
  store::TokenRecord rec{0, *scope, args.label, HashToken(token), clock.NowMs(), {}};
  auto id = (*db)->CreateToken(rec);
  if (!id.ok()) return Fail(id.status());
  std::printf("%s\n", token.c_str());
  if (args.admin) {
    std::fprintf(stderr, "admin token %lld (fingerprint %s): the admin routes only; shown once, stored hashed\n",
                 static_cast<long long>(*id), TokenFingerprint(rec.hash).c_str());
  } else {
    std::fprintf(stderr, "token %lld (fingerprint %s) for tenant %s, env %s; shown once, stored hashed\n",
                 static_cast<long long>(*id), TokenFingerprint(rec.hash).c_str(), scope->tenant.c_str(),
                 EnvName(scope->env));
  }
  return kExitOk;
}

int RunTokenList(const Config& config, const std::optional<std::string>& tenant) {
  auto db = OpenStore(config);
  if (!db.ok()) return Fail(db.status());
  auto tokens = (*db)->ListTokens(tenant);
  if (!tokens.ok()) return Fail(tokens.status());
  std::printf("%-6s %-10s %-16s %-8s %-24s %-24s %s\n", "id", "fingerprt", "tenant", "env", "created", "revoked", "label");
  for (const auto& t : *tokens) {
    std::printf("%-6lld %-10s %-16s %-8s %-24s %-24s %s\n", static_cast<long long>(t.id),
                TokenFingerprint(t.hash).c_str(), t.scope.tenant.c_str(), EnvName(t.scope.env),
                FormatIso8601(t.created_at).c_str(), t.revoked_at ? FormatIso8601(*t.revoked_at).c_str() : "-",
                t.label.c_str());
  }
  return kExitOk;
}

int RunTokenRevoke(const Config& config, const std::string& id) {
  auto db = OpenStore(config);
  if (!db.ok()) return Fail(db.status());
  SystemClock clock;
  Status s = (*db)->RevokeToken(id, clock.NowMs());
  if (!s.ok()) return Fail(s);
  std::fprintf(stderr, "revoked %s (running servers stop accepting it within auth.cache_ttl)\n", id.c_str());
  return kExitOk;
}

int RunQuery(const Config& config, const QueryArgs& a) {
  auto scope = ScopeFrom(a.tenant, a.env);
  if (!scope.ok()) return Fail(scope.status());
  auto db = OpenStore(config);
  if (!db.ok()) return Fail(db.status());
  // A cut list says so on stderr with the option that gives the next page.
  auto more = [](const std::string& option) { std::fprintf(stderr, "truncated: continue with %s\n", option.c_str()); };
  if (a.what == "modules" || a.what == "latest") {
    const size_t limit = a.limit ? a.limit : 100000;
    Result<std::vector<store::ModuleInfo>> mods = std::vector<store::ModuleInfo>();
    if (a.what == "latest" && !a.modules.empty()) mods = (*db)->FindModules(*scope, a.modules);
    else mods = (*db)->ListModules(*scope, a.prefix, a.after, limit + 1);
    if (!mods.ok()) return Fail(mods.status());
    const bool truncated = mods->size() > limit;
    if (truncated) mods->resize(limit);
    if (a.what == "latest") std::printf("module,timestamp,value\n");
    for (const auto& m : *mods) {
      if (a.what == "modules") {
        std::printf("%s\t%s\n", m.name.c_str(), m.unit.c_str());
      } else {
        std::printf("%s,%s,%s\n", CsvField(m.name).c_str(), m.last ? FormatIso8601(m.last->ts).c_str() : "",
                    m.last ? Number(m.last->value).c_str() : "");
      }
    }
    if (truncated) more("--after " + mods->back().name);
    return kExitOk;
  }
  if (a.what == "measurements") {
    if (a.modules.empty()) return Fail(Status::InvalidArgument("query measurements needs --module"));
    server::SeriesRequest q;
    q.scope = *scope;
    q.modules = a.modules;
    std::optional<EpochMs> from, to;
    if (Status s = ReadRange(a.from, a.to, from, to); !s.ok()) return Fail(s);
    q.from = from.value_or(q.from);
    q.to = to.value_or(q.to);
    if (!a.step.empty()) {
      auto step = ParseDurationMs(a.step);
      if (!step.ok()) return Fail(step.status());
      q.step_ms = *step;
    }
    if (!a.agg.empty()) {
      auto agg = store::ParseAggregate(a.agg);
      if (!agg.ok()) return Fail(agg.status());
      q.agg = *agg;
    }
    if (a.limit) q.limit = a.limit;
    auto answer = server::QuerySeries(**db, q);
    if (!answer.ok()) return Fail(answer.status());
    const server::SeriesLayout layout = a.format == "csv-wide" ? server::SeriesLayout::kWide
                                        : a.modules.size() == 1 ? server::SeriesLayout::kOneModule
                                                                : server::SeriesLayout::kLong;
    std::fputs(server::SeriesCsv(*answer, layout).c_str(), stdout);
    if (answer->truncated) more("--from " + FormatIso8601(answer->next_from));
    return kExitOk;
  }
  store::FrameQuery q;
  q.scope = *scope;
  if (!a.deviceid.empty()) q.device_id = a.deviceid;
  if (!a.status.empty()) {
    auto s = ParseDecodeStatus(a.status);
    if (!s.ok()) return Fail(s.status());
    q.status = *s;
  }
  if (Status s = ReadRange(a.from, a.to, q.from, q.to); !s.ok()) return Fail(s);
  const size_t limit = a.limit ? a.limit : 100;
  q.limit = limit + 1;
  if (a.before > 0) q.before_id = a.before;
  auto frames = (*db)->QueryFrames(q);
  if (!frames.ok()) return Fail(frames.status());
  const bool truncated = frames->size() > limit;
  if (truncated) frames->resize(limit);
  for (const auto& f : *frames) {
    std::printf("%lld\t%s\t%s\t%s\t%s\t%s\t%s\n", static_cast<long long>(f.id), FormatIso8601(f.frame.event_time).c_str(),
                f.frame.device_id.c_str(), f.frame.device_type.c_str(), EncodeHex(f.frame.payload).c_str(),
                DecodeStatusName(f.status), f.reason.c_str());
  }
  if (truncated) more("--before " + std::to_string(frames->back().id));
  return kExitOk;
}

int RunRedecode(const Config& config, const RedecodeArgs& a) {
  push::RedecodeFilter filter;
  if (!a.tenant.empty() || !a.env.empty()) {
    if (a.tenant.empty() || a.env.empty()) return Fail(Status::InvalidArgument("--tenant and --env go together"));
    auto scope = ScopeFrom(a.tenant, a.env);
    if (!scope.ok()) return Fail(scope.status());
    filter.scopes.push_back(*scope);
  }
  if (!a.devicetype.empty()) filter.device_type = decode::NormalizeDeviceType(a.devicetype);
  if (!a.deviceid.empty()) filter.device_id = a.deviceid;
  if (a.status == "all") {
    filter.statuses = {DecodeStatus::kNoDecoder, DecodeStatus::kFailed, DecodeStatus::kDecoded};
  } else if (!a.status.empty()) {
    auto s = ParseDecodeStatus(a.status);
    if (!s.ok()) return Fail(s.status());
    filter.statuses = {*s};
  }
  if (Status s = ReadRange(a.from, a.to, filter.from, filter.to); !s.ok()) return Fail(s);
  filter.dry_run = a.dry_run;
  auto registry_ptr = MakeRegistry(config);
  decode::DecoderRegistry& registry = *registry_ptr;
  auto report = registry.LoadDirectories(config.DecoderDirs());
  for (const auto& [file, why] : report.rejected) std::fprintf(stderr, "decoder refused: %s\n", why.c_str());
  auto db = OpenStore(config);
  if (!db.ok()) return Fail(db.status());
  auto versions = push::LoadActiveDecoderVersions(**db, registry);  // each tenant's uploaded versions
  if (!versions.ok()) return Fail(versions.status());
  for (const auto& p : *versions) std::fprintf(stderr, "decoder version refused: %s\n", p.c_str());
  auto r = push::Redecode(**db, registry, filter);
  if (!r.ok()) return Fail(r.status());
  std::printf("%s%zu frames scanned: %zu decoded, %zu still without decoder, %zu failed; %zu measurements written\n",
              a.dry_run ? "(dry run) " : "", r->scanned, r->decoded, r->pending, r->failed,
              a.dry_run ? size_t{0} : r->measurements);
  return kExitOk;
}

namespace {

struct BatchPayload {
  Bytes bytes;
  std::optional<int> fport;
  std::string hex;
};

// Reads `HEX[,FPORT]` lines (blank lines, `#` comments and a `payload,fport`
// header skipped); the first bad line is an error naming it.
Result<std::vector<BatchPayload>> ReadPayloadLines(const std::string& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) return Status::NotFound("cannot open " + file);
  std::vector<BatchPayload> out;
  std::string line;
  for (int number = 1; std::getline(in, line); ++number) {
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.pop_back();
    if (line.empty() || line[0] == '#' || (number == 1 && line.rfind("payload", 0) == 0)) continue;
    const auto where = [&](const std::string& what) {
      return Status::InvalidArgument(file + ":" + std::to_string(number) + ": " + what);
    };
    BatchPayload p;
    const size_t comma = line.find(',');
    p.hex = line.substr(0, comma);
    auto bytes = DecodeHex(p.hex);
    if (!bytes.ok()) return where("payload: " + bytes.status().message());
    p.bytes = std::move(bytes).value();
    if (comma != std::string::npos) {
      const std::string port = line.substr(comma + 1);
      int value = -1;
      const auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
      if (ec != std::errc() || end != port.data() + port.size() || value < 0 || value > 255) {
        return where("fport: \"" + port + "\" is not a number from 0 to 255");
      }
      p.fport = value;
    }
    out.push_back(std::move(p));
  }
  return out;
}

// One JSON line per payload; exit 0 when every payload decoded.
int DecodeBatch(const decode::DeviceType& type, const DecodeArgs& a) {
  auto payloads = ReadPayloadLines(a.payloads);
  if (!payloads.ok()) return Fail(payloads.status());
  size_t failed = 0;
  for (const auto& p : *payloads) {
    bool ok = false;
    const std::string report = decode::DecodeReportJson(type, p.bytes, p.fport, a.deviceid, &ok);
    failed += !ok;
    JsonWriter w;
    w.BeginObject().Key("payload").String(p.hex).Key("fport");
    if (p.fport) w.Int(*p.fport); else w.Null();
    w.Key("result").Raw(report).EndObject();
    std::printf("%s\n", w.Take().c_str());
  }
  std::fprintf(stderr, "%zu payloads, %zu decoded, %zu failed\n", payloads->size(), payloads->size() - failed, failed);
  return failed == 0 ? kExitOk : kExitUsage;
}

}  // namespace

int RunDecode(const Config& config, const DecodeArgs& a) {
  if ((!a.devicetype.empty()) + (!a.spec.empty()) + (!a.script.empty()) != 1) {
    return Fail(Status::InvalidArgument("decode needs exactly one of --devicetype, --spec or --script"));
  }
  std::optional<Bytes> bytes;
  if (!a.payload.empty()) {
    auto b = DecodeHex(a.payload);
    if (!b.ok()) return Fail(b.status().WithContext("--payload"));
    bytes = std::move(b).value();
  }
  const decode::ScriptLimits limits = ScriptLimitsFrom(config);
  if (!a.script.empty()) {
    // A vendor's decodeUplink file, tried before it is registered: its raw result.
    std::ifstream in(a.script, std::ios::binary);
    if (!in) return Fail(Status::NotFound("cannot open " + a.script));
    std::ostringstream text;
    text << in.rdbuf();
    auto script = std::make_shared<const decode::ScriptDecoder>(text.str(), a.script, limits);
    if (Status s = script->Check(); !s.ok()) return Fail(s);
    if (!bytes) return Fail(Status::InvalidArgument("--payload is required"));
    auto raw = script->Run({*bytes, a.fport, 0});
    if (!raw.ok()) return Fail(raw.status());
    std::printf("{\"decodeUplink\":%s,\"console\":%s}\n", raw->result_json.c_str(), raw->log.c_str());
    decode::DeviceType type;
    type.name = "script";
    type.decoder = script;  // the same, already compiled
    bool ok = false;
    std::printf("%s\n", decode::DecodeReportJson(type, *bytes, a.fport, a.deviceid, &ok).c_str());
    return ok ? kExitOk : kExitUsage;
  }
  std::shared_ptr<const decode::DeviceType> type;
  if (!a.spec.empty()) {
    std::ifstream in(a.spec, std::ios::binary);
    if (!in) return Fail(Status::NotFound("cannot open " + a.spec));
    std::ostringstream text;
    text << in.rdbuf();
    auto dt = decode::LoadDeclarativeSpec(text.str(), a.spec, decode::MakeScriptFactory(limits));
    if (!dt.ok()) return Fail(dt.status());
    Status vectors = decode::RunTestVectors(*dt);
    if (!vectors.ok()) std::fprintf(stderr, "%s\n", vectors.message().c_str());
    else std::fprintf(stderr, "%s: %zu test vectors pass\n", a.spec.c_str(), dt->tests.size());
    if (!bytes) return vectors.ok() ? kExitOk : kExitUsage;
    type = std::make_shared<const decode::DeviceType>(std::move(dt).value());
  } else {
    auto registry = MakeRegistry(config);
    registry->LoadDirectories(config.DecoderDirs());
    if (!a.tenant.empty() || !a.env.empty()) {
      // The decoder that applies to that tenant and env's frames: its uploaded version first.
      auto scope = ScopeFrom(a.tenant, a.env);
      if (!scope.ok()) return Fail(scope.status());
      auto db = OpenStore(config);
      if (!db.ok()) return Fail(db.status());
      auto versions = push::LoadActiveDecoderVersions(**db, *registry);
      if (!versions.ok()) return Fail(versions.status());
      type = registry->Find(*scope, a.devicetype);
    } else {
      type = registry->Find(a.devicetype);
    }
    if (!type) return Fail(Status::NotFound("no active decoder for device type \"" + a.devicetype + "\""));
  }
  if (!a.payloads.empty()) return DecodeBatch(*type, a);
  if (!bytes) return Fail(Status::InvalidArgument("--payload is required"));
  bool ok = false;
  std::printf("%s\n", decode::DecodeReportJson(*type, *bytes, a.fport, a.deviceid, &ok).c_str());
  return ok ? kExitOk : kExitUsage;
}

int RunDecodersCheck(const Config& config) {
  auto registry = MakeRegistry(config);
  auto report = registry->LoadDirectories(config.DecoderDirs());
  for (const auto& a : report.active) std::printf("active  %s\n", a.c_str());
  for (const auto& [file, why] : report.rejected) std::printf("REFUSED %s\n  %s\n", file.c_str(), why.c_str());
  return report.rejected.empty() ? kExitOk : kExitUsage;
}

int RunDeviceSet(const Config& config, const DeviceArgs& a) {
  auto scope = ScopeFrom(a.tenant, a.env);
  if (!scope.ok()) return Fail(scope.status());
  if (!a.module.empty() && a.module.find("{field}") == std::string::npos) {
    return Fail(Status::InvalidArgument("--module must contain {field}"));
  }
  auto db = OpenStore(config);
  if (!db.ok()) return Fail(db.status());
  std::vector<store::Device> d = {{a.deviceid, decode::NormalizeDeviceType(a.devicetype), a.label, a.module}};
  Status s = (*db)->UpsertDevices(*scope, d);
  if (!s.ok()) return Fail(s);
  std::fprintf(stderr, "device %s registered (running servers see it within push.device_cache_ttl)\n", a.deviceid.c_str());
  return kExitOk;
}

int RunDeviceList(const Config& config, const DeviceArgs& a) {
  auto scope = ScopeFrom(a.tenant, a.env);
  if (!scope.ok()) return Fail(scope.status());
  auto db = OpenStore(config);
  if (!db.ok()) return Fail(db.status());
  auto list = (*db)->ListDevices(*scope, a.prefix, 1000000);
  if (!list.ok()) return Fail(list.status());
  std::printf("deviceid,devicetype,label,module\n");
  for (const auto& d : *list) {
    std::printf("%s,%s,\"%s\",%s\n", d.device_id.c_str(), d.device_type.c_str(), d.label.c_str(), d.module_template.c_str());
  }
  return kExitOk;
}

int RunDeviceImport(const Config& config, const DeviceArgs& a) {
  auto scope = ScopeFrom(a.tenant, a.env);
  if (!scope.ok()) return Fail(scope.status());
  std::ifstream in(a.file, std::ios::binary);
  if (!in) return Fail(Status::NotFound("cannot open " + a.file));
  std::ostringstream text;
  text << in.rdbuf();
  auto devices = push::ParseDeviceCsv(text.str());
  if (!devices.ok()) return Fail(devices.status().WithContext(a.file));
  auto db = OpenStore(config);
  if (!db.ok()) return Fail(db.status());
  Status s = (*db)->UpsertDevices(*scope, *devices);
  if (!s.ok()) return Fail(s);
  std::printf("%zu devices imported into %s/%s\n", devices->size(), scope->tenant.c_str(), EnvName(scope->env));
  return kExitOk;
}

}  // namespace telecollect::cli
