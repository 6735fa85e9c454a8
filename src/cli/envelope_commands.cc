// `telecollect envelope try`: a platform body through an envelope, nothing stored.
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "cli/cli_util.h"
#include "cli/commands.h"
#include "cli/exit_codes.h"
#include "core/clock.h"
#include "core/hex.h"
#include "core/time_util.h"
#include "push/configured_envelope.h"
#include "push/envelope.h"
#include "push/envelope_catalog.h"

namespace telecollect::cli {
namespace {

Result<std::string> ReadWholeFile(const std::string& path, const char* what) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::NotFound(std::string("cannot read the ") + what + " file " + path);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace

int RunEnvelopeTry(const Config& config, const EnvelopeTryArgs& args) {
  (void)config;
  std::shared_ptr<const push::Envelope> envelope;
  if (!std::filesystem::exists(args.envelope) && push::IsBuiltinSource(args.envelope)) {
    envelope = push::FindEnvelope(args.envelope);
  } else if (!std::filesystem::exists(args.envelope) && !args.tenant.empty()) {
    // The version a tenant uploaded and activated for its env (envelope_catalog.h).
    auto scope = ScopeFrom(args.tenant, args.env);
    if (!scope.ok()) return Fail(scope.status());
    auto db = OpenStore(config);
    if (!db.ok()) return Fail(db.status());
    auto active = (*db)->ListEnvelopeVersions(*scope, args.envelope, true);
    if (!active.ok()) return Fail(active.status());
    if (active->empty()) {
      return Fail(Status::NotFound("no uploaded envelope \"" + args.envelope + "\" active for " + scope->tenant + "/" +
                                   EnvName(scope->env) + " (telecollect envelope versions)"));
    }
    auto built = push::BuildEnvelopeVersion(active->front());
    if (!built.ok()) return Fail(built.status());
    envelope = std::move(built).value();
  } else {
    auto text = ReadWholeFile(args.envelope, "envelope");
    if (!text.ok()) return Fail(text.status());
    auto loaded = push::LoadEnvelopeSpec(*text, std::filesystem::path(args.envelope).filename().string());
    if (!loaded.ok()) return Fail(loaded.status());
    envelope = std::move(loaded).value();
  }
  auto body = ReadWholeFile(args.body, "body");
  if (!body.ok()) return Fail(body.status());
  std::string content_type = args.content_type;
  if (content_type.empty()) {
    const std::string ext = std::filesystem::path(args.body).extension().string();
    content_type = ext == ".ndjson" || ext == ".jsonl" ? "application/x-ndjson"
                   : ext == ".xml"                    ? "application/xml"
                   : ext == ".form"                   ? "application/x-www-form-urlencoded"
                                                      : "application/json";
  }
  push::PushRequest req;
  req.body = *body;
  req.content_type = content_type;
  req.received_at = SystemClock().NowMs();
  req.max_items = config.push.max_batch_items;
  req.max_future_skew_ms = config.push.max_future_skew_ms;
  if (!envelope->Accepts(content_type)) {
    std::fprintf(stderr, "telecollect: refused (HTTP 415): Content-Type %s is not accepted by envelope %s: send %s\n",
                 content_type.c_str(), std::string(envelope->source()).c_str(),
                 std::string(envelope->MediaTypes()).c_str());
    return kExitUsage;
  }
  push::ParsedFrames parsed = envelope->Parse(req);
  if (parsed.error) {
    std::fprintf(stderr, "telecollect: refused (HTTP %d): %s\n", parsed.error->too_many_items ? 413 : 400,
                 parsed.error->ToString().c_str());
    return kExitUsage;
  }
  for (size_t i = 0; i < parsed.frames.size(); ++i) {
    const Frame& f = parsed.frames[i];
    std::printf("frame %zu: device %s, time %s%s, payload %s, fport %s, devicetype %s%s\n", i, f.device_id.c_str(),
                FormatIso8601(f.event_time).c_str(), f.event_time == f.received_at ? " (received)" : "",
                f.payload.empty() ? "(empty)" : EncodeHex(f.payload).c_str(),
                f.fport ? std::to_string(*f.fport).c_str() : "none", f.device_type.empty() ? "none" : f.device_type.c_str(),
                f.encrypted ? ", encrypted" : "");
    if (!f.metadata_json.empty()) std::printf("  metadata %s\n", f.metadata_json.c_str());
  }
  std::printf("%zu frame%s, %zu ignored (envelope %s)\n", parsed.frames.size(), parsed.frames.size() == 1 ? "" : "s",
              parsed.ignored, std::string(envelope->source()).c_str());
  return kExitOk;
}

}  // namespace telecollect::cli
