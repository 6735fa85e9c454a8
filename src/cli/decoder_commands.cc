// telecollect decoders upload | versions | activate: the decoder lifecycle per tenant and env.
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "cli/cli_util.h"
#include "cli/commands.h"
#include "cli/exit_codes.h"
#include "core/clock.h"
#include "core/toml_reader.h"
#include "decode/registry.h"
#include "push/decoder_catalog.h"

namespace telecollect::cli {
namespace {

Result<std::string> ReadWholeFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::NotFound("cannot open " + path);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

const char* kRunningServers = "running servers serve it within decoders.refresh, or at once on SIGHUP";

}  // namespace

int RunDecoderUpload(const Config& config, const DecoderVersionArgs& a) {
  auto scope = ScopeFrom(a.tenant, a.env);
  if (!scope.ok()) return Fail(scope.status());
  auto spec = ReadWholeFile(a.spec);
  if (!spec.ok()) return Fail(spec.status());
  std::string script;
  if (!a.script.empty()) {
    auto text = ReadWholeFile(a.script);
    if (!text.ok()) return Fail(text.status());
    script = std::move(text).value();
  } else {
    // As `decode --spec` does: a script spec's script is read next to the spec.
    auto root = ParseTomlFile(a.spec);
    const toml::node* named = root.ok() ? root->get("script") : nullptr;
    if (named && named->is_string()) {
      const std::string file = *named->value<std::string>();
      const std::filesystem::path next_to = std::filesystem::path(a.spec).parent_path() / file;
      auto text = ReadWholeFile(next_to.string());
      if (!text.ok()) {
        return Fail(Status::InvalidArgument(a.spec + ": script = \"" + file + "\" is not next to the spec (" +
                                            next_to.string() + "); give it with --script FILE.js"));
      }
      script = std::move(text).value();
    }
  }
  auto db = OpenStore(config);
  if (!db.ok()) return Fail(db.status());
  auto registry = MakeRegistry(config);
  SystemClock clock;
  auto up = push::UploadDecoderVersion(**db, *registry, *scope, *spec, script, a.devicetype, a.activate, clock.NowMs());
  if (!up.ok()) return Fail(up.status().WithContext(a.spec));  // the file named, then where in it
  if (up->kind == "map") {
    std::printf("%s version %s (measurement map) stored for %s/%s%s\n", up->device_type.c_str(), up->version.c_str(),
                scope->tenant.c_str(), EnvName(scope->env), up->activated ? ", active" : "");
  } else {
    std::printf("%s version %s (%s, %zu test vectors pass) stored for %s/%s%s\n", up->device_type.c_str(),
                up->version.c_str(), up->kind.c_str(), up->vectors, scope->tenant.c_str(), EnvName(scope->env),
                up->activated ? ", active" : "");
  }
  if (up->activated) std::fprintf(stderr, "%s\n", kRunningServers);
  return kExitOk;
}

int RunDecoderVersions(const Config& config, const DecoderVersionArgs& a) {
  auto scope = ScopeFrom(a.tenant, a.env);
  if (!scope.ok()) return Fail(scope.status());
  auto db = OpenStore(config);
  if (!db.ok()) return Fail(db.status());
  auto versions = (*db)->ListDecoderVersions(*scope, decode::NormalizeDeviceType(a.devicetype), false);
  if (!versions.ok()) return Fail(versions.status());
  std::printf("devicetype,version,uploaded,active_since\n");
  for (const auto& v : *versions) {
    std::printf("%s,%s,%s,%s\n", v.device_type.c_str(), v.version.c_str(), FormatIso8601(v.uploaded_at).c_str(),
                v.activated_at ? FormatIso8601(*v.activated_at).c_str() : "");
  }
  return kExitOk;
}

int RunDecoderActivate(const Config& config, const DecoderVersionArgs& a) {
  auto scope = ScopeFrom(a.tenant, a.env);
  if (!scope.ok()) return Fail(scope.status());
  if (a.none == !a.version.empty()) return Fail(Status::InvalidArgument("give exactly one of --version V or --none"));
  auto db = OpenStore(config);
  if (!db.ok()) return Fail(db.status());
  auto registry = MakeRegistry(config);
  SystemClock clock;
  Status s = push::ActivateDecoderVersion(**db, *registry, *scope, a.devicetype, a.version, clock.NowMs());
  if (!s.ok()) return Fail(s);
  if (a.none) {
    std::printf("%s: no uploaded version active for %s/%s (the shared decoder applies)\n",
                decode::NormalizeDeviceType(a.devicetype).c_str(), scope->tenant.c_str(), EnvName(scope->env));
  } else {
    std::printf("%s version %s active for %s/%s\n", decode::NormalizeDeviceType(a.devicetype).c_str(), a.version.c_str(),
                scope->tenant.c_str(), EnvName(scope->env));
  }
  std::fprintf(stderr, "%s\n", kRunningServers);
  return kExitOk;
}

int RunTypeAliasSet(const Config& config, const DecoderVersionArgs& a) {
  auto scope = ScopeFrom(a.tenant, a.env);
  if (!scope.ok()) return Fail(scope.status());
  if (a.remove == !a.devicetype.empty()) return Fail(Status::InvalidArgument("give exactly one of --devicetype T or --remove"));
  auto db = OpenStore(config);
  if (!db.ok()) return Fail(db.status());
  auto registry = MakeRegistry(config);
  registry->LoadDirectories(config.DecoderDirs());
  auto loaded = push::LoadActiveDecoderVersions(**db, *registry);
  if (!loaded.ok()) return Fail(loaded.status());
  Status s = push::SetTypeAlias(**db, *registry, *scope, a.alias, a.remove ? std::string() : a.devicetype);
  if (!s.ok()) return Fail(s);
  if (a.remove) {
    std::printf("alias \"%s\" removed for %s/%s\n", decode::NormalizeDeviceType(a.alias).c_str(), scope->tenant.c_str(),
                EnvName(scope->env));
  } else {
    std::printf("frames of %s/%s with device type \"%s\" are decoded as %s\n", scope->tenant.c_str(), EnvName(scope->env),
                decode::NormalizeDeviceType(a.alias).c_str(), decode::NormalizeDeviceType(a.devicetype).c_str());
  }
  std::fprintf(stderr, "%s\n", kRunningServers);
  return kExitOk;
}

int RunTypeAliasList(const Config& config, const DecoderVersionArgs& a) {
  auto scope = ScopeFrom(a.tenant, a.env);
  if (!scope.ok()) return Fail(scope.status());
  auto db = OpenStore(config);
  if (!db.ok()) return Fail(db.status());
  auto aliases = (*db)->ListTypeAliases(*scope);
  if (!aliases.ok()) return Fail(aliases.status());
  std::printf("alias,devicetype\n");
  for (const auto& al : *aliases) std::printf("\"%s\",%s\n", al.alias.c_str(), al.device_type.c_str());
  return kExitOk;
}

}  // namespace telecollect::cli
