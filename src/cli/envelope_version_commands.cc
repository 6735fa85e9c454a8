// telecollect envelope upload | versions | activate: envelopes uploaded per tenant and env.
#include <cstdio>
#include <fstream>
#include <sstream>

#include "cli/cli_util.h"
#include "cli/commands.h"
#include "cli/exit_codes.h"
#include "core/clock.h"
#include "core/time_util.h"
#include "push/envelope_catalog.h"

namespace telecollect::cli {
namespace {

const char* kRunningServers = "running servers use it within decoders.refresh, or at once on SIGHUP";

}  // namespace

int RunEnvelopeUpload(const Config& config, const EnvelopeVersionArgs& a) {
  auto scope = ScopeFrom(a.tenant, a.env);
  if (!scope.ok()) return Fail(scope.status());
  std::ifstream in(a.file, std::ios::binary);
  if (!in) return Fail(Status::NotFound("cannot read the envelope file " + a.file));
  std::ostringstream text;
  text << in.rdbuf();
  auto db = OpenStore(config);
  if (!db.ok()) return Fail(db.status());
  SystemClock clock;
  auto up = push::UploadEnvelopeVersion(**db, *scope, text.str(), a.name, a.activate, clock.NowMs());
  if (!up.ok()) return Fail(up.status());
  std::printf("envelope %s version %s stored for %s/%s%s\n", up->name.c_str(), up->version.c_str(),
              scope->tenant.c_str(), EnvName(scope->env), up->activated ? ", active" : "");
  if (up->activated) std::fprintf(stderr, "%s\n", kRunningServers);
  return kExitOk;
}

int RunEnvelopeVersions(const Config& config, const EnvelopeVersionArgs& a) {
  auto scope = ScopeFrom(a.tenant, a.env);
  if (!scope.ok()) return Fail(scope.status());
  auto db = OpenStore(config);
  if (!db.ok()) return Fail(db.status());
  auto versions = (*db)->ListEnvelopeVersions(*scope, a.name, false);
  if (!versions.ok()) return Fail(versions.status());
  std::printf("envelope,version,uploaded,active_since\n");
  for (const auto& v : *versions) {
    std::printf("%s,%s,%s,%s\n", v.name.c_str(), v.version.c_str(), FormatIso8601(v.uploaded_at).c_str(),
                v.activated_at ? FormatIso8601(*v.activated_at).c_str() : "");
  }
  return kExitOk;
}

int RunEnvelopeActivate(const Config& config, const EnvelopeVersionArgs& a) {
  auto scope = ScopeFrom(a.tenant, a.env);
  if (!scope.ok()) return Fail(scope.status());
  if (a.none == !a.version.empty()) return Fail(Status::InvalidArgument("give exactly one of --version V or --none"));
  auto db = OpenStore(config);
  if (!db.ok()) return Fail(db.status());
  SystemClock clock;
  Status s = push::ActivateEnvelopeVersion(**db, *scope, a.name, a.version, clock.NowMs());
  if (!s.ok()) return Fail(s);
  if (a.none) {
    std::printf("envelope %s: no uploaded version active for %s/%s\n", a.name.c_str(), scope->tenant.c_str(),
                EnvName(scope->env));
  } else {
    std::printf("envelope %s version %s active for %s/%s\n", a.name.c_str(), a.version.c_str(), scope->tenant.c_str(),
                EnvName(scope->env));
  }
  std::fprintf(stderr, "%s\n", kRunningServers);
  return kExitOk;
}

}  // namespace telecollect::cli
