#include "push/push_service.h"

#include <chrono>
#include <optional>

#include "core/json_writer.h"
#include "decode/decode_frame.h"
#include "push/envelope.h"

namespace telecollect::push {

std::string ErrorJson(std::string_view message) {
  JsonWriter w;
  w.BeginObject().Key("error").String(message).EndObject();
  return w.Take();
}

std::string StoreUnavailableJson() {
  JsonWriter w;
  w.BeginObject()
      .Key("error").String("storage unavailable, retry later: nothing is acknowledged until it is stored")
      .Key("reason").String(store::kStoreUnreachable)
      .EndObject();
  return w.Take();
}

void PushService::Push(const Scope& scope, const Route& route, std::string_view content_type, std::string_view body,
                       Done done) {
  const std::string& source = route.source;
  if (source.empty()) {
    done({400, ErrorJson("no source: send a \"source\" header (e.g. source: generic-sensors) or POST /v1/push/{source}")});
    return;
  }
  const std::shared_ptr<const Envelope> envelope = FindEnvelope(scope, source);
  if (!envelope) {
    std::string known;
    for (auto s : KnownSources(scope)) known += (known.empty() ? "" : ", ") + std::string(s);
    done({route.source_from_path ? 404 : 400, ErrorJson("unknown source \"" + source + "\"; known: " + known)});
    return;
  }
  if (!envelope->Accepts(content_type)) {
    done({415, ErrorJson("Content-Type \"" + std::string(content_type) + "\" is not accepted by envelope " +
                         std::string(envelope->source()) + ": send " + std::string(envelope->MediaTypes()))});
    return;
  }
  PushRequest req{body,          content_type, clock_.NowMs(), options_.max_batch_items, options_.max_future_skew_ms,
                  route.subpath, route.query};
  ParsedFrames parsed = envelope->Parse(req);
  const std::string source_name(envelope->source());
  if (parsed.error) {
    const ItemError& e = *parsed.error;
    metrics_.frames.With({source_name, "rejected"}).Inc();
    JsonWriter w;
    w.BeginObject().Key("error").String(e.ToString());
    if (e.index) w.Key("index").Int(static_cast<int64_t>(*e.index));
    if (!e.field.empty()) w.Key("field").String(e.field);
    w.Key("reason").String(e.reason).EndObject();
    done({e.too_many_items ? 413 : 400, w.Take()});
    return;
  }

  store::WriteBatch batch;
  batch.scope = scope;
  batch.frames.reserve(parsed.frames.size());
  // Consecutive frames of one device (a batch from a gateway or a backfill)
  // resolve its type and module template once.
  struct Resolved {
    std::string device_id, body_type, device_type, module_template;
  };
  std::optional<Resolved> last;
  // Past the budget, frames are kept pending and decoded in the background:
  // an HTTP thread is never held for seconds by slow decoders.
  const auto budget_end = std::chrono::steady_clock::now() + std::chrono::milliseconds(options_.decode_budget_ms);
  size_t deferred = 0;
  for (Frame& f : parsed.frames) {
    // Device type: the body's, else the device registry's, else the URL's.
    if (!last || last->device_id != f.device_id || last->body_type != f.device_type) {
      Resolved r{f.device_id, f.device_type, f.device_type, {}};
      if (devices_) {
        if (auto device = devices_->Find(scope, f.device_id)) {
          if (r.device_type.empty()) r.device_type = device->device_type;
          r.module_template = std::move(device->module_template);
        }
      }
      if (r.device_type.empty()) r.device_type = route.default_device_type;
      r.device_type = decode::NormalizeDeviceType(r.device_type);
      last = std::move(r);
    }
    f.device_type = last->device_type;
    decode::FrameDecoding d = decode::DecodeFrame(registry_, scope, f, last->module_template, budget_end);
    if (decode::IsDeferred(d)) ++deferred;
    batch.frames.push_back({std::move(f), d.status, std::move(d.reason), std::move(d.measurements)});
  }
  std::vector<DecodeStatus> statuses;
  statuses.reserve(batch.frames.size());
  for (const auto& f : batch.frames) statuses.push_back(f.status);
  std::vector<std::string> failed_types;
  for (const auto& f : batch.frames) {
    if (f.status == DecodeStatus::kFailed) failed_types.push_back(f.frame.device_type);
  }

  const size_t ignored = parsed.ignored;
  if (ignored) metrics_.frames.With({source_name, "ignored"}).Inc(ignored);
  Status s = committer_.Submit(
      std::move(batch), [this, done, statuses = std::move(statuses), source_name, ignored, deferred, scope,
                         failed_types = std::move(failed_types)](Result<store::WriteResult> r) {
        if (!r.ok()) {
          metrics_.frames.With({source_name, "store_error"}).Inc(statuses.size());
          // The database's whereabouts and libpq's words never reach a client.
          done({503,
                store::IsStoreUnreachable(r.status())
                    ? StoreUnavailableJson()
                    : ErrorJson("storage unavailable, nothing was stored: " + r.status().message()),
                1});
          return;
        }
        size_t decoded = 0, pending = 0, failed = 0, measurements = r->measurements_written;
        for (size_t i = 0; i < statuses.size(); ++i) {
          if (r->duplicate[i]) continue;
          switch (statuses[i]) {
            case DecodeStatus::kDecoded: ++decoded; break;
            case DecodeStatus::kNoDecoder: ++pending; break;
            case DecodeStatus::kFailed: ++failed; break;
          }
        }
        if (decoded) metrics_.frames.With({source_name, "decoded"}).Inc(decoded);
        if (pending) metrics_.frames.With({source_name, "pending"}).Inc(pending);
        if (failed) metrics_.frames.With({source_name, "failed"}).Inc(failed);
        if (r->frames_duplicate) metrics_.frames.With({source_name, "duplicate"}).Inc(r->frames_duplicate);
        for (const auto& t : failed_types) metrics_.decode_failures.With({t}).Inc();
        if (measurements) metrics_.measurements.With({"push"}).Inc(measurements);
        JsonWriter w;
        w.BeginObject()
            .Key("accepted").Int(static_cast<int64_t>(r->frames_new))
            .Key("duplicates").Int(static_cast<int64_t>(r->frames_duplicate))
            .Key("decoded").Int(static_cast<int64_t>(decoded))
            .Key("pending").Int(static_cast<int64_t>(pending))
            .Key("failed").Int(static_cast<int64_t>(failed))
            .Key("measurements").Int(static_cast<int64_t>(measurements));
        if (ignored) w.Key("ignored").Int(static_cast<int64_t>(ignored));
        // Of `pending`, those a decoder exists for, decoded in the background.
        if (deferred) w.Key("deferred").Int(static_cast<int64_t>(deferred));
        w.EndObject();
        if (deferred && deferred_) deferred_(scope);  // committed: the background decoder may start on them
        done({200, w.Take()});
      });
  if (!s.ok()) {
    metrics_.frames.With({source_name, "refused_busy"}).Inc();
    done({503, ErrorJson(s.message() + "; retry later, nothing was stored"), 1});
  }
}

}  // namespace telecollect::push
