#include "push/redecode.h"

#include "core/clock.h"
#include "decode/decode_frame.h"
#include "push/device_directory.h"

namespace telecollect::push {

Result<RedecodeReport> Redecode(store::Store& store, const decode::DecoderRegistry& registry,
                                const RedecodeFilter& filter) {
  RedecodeReport report;
  static const SystemClock clock;
  DeviceDirectory devices(store, clock, 60000);
  std::vector<Scope> scopes = filter.scopes;
  if (scopes.empty()) {
    TC_ASSIGN_OR_RETURN(scopes, store.ListScopes());
  }
  for (const Scope& scope : scopes) {
    for (DecodeStatus status : filter.statuses) {
      store::FrameQuery q;
      q.scope = scope;
      q.status = status;
      q.device_type = filter.device_type;
      q.device_id = filter.device_id;
      q.from = filter.from;
      q.to = filter.to;
      q.oldest_first = true;
      q.limit = 1000;
      q.after_id = 0;
      while (true) {
        TC_ASSIGN_OR_RETURN(std::vector<store::FrameRecord> page, store.QueryFrames(q));
        if (page.empty()) break;
        std::vector<store::Redecoded> results;
        results.reserve(page.size());
        for (const auto& rec : page) {
          if (filter.deferred_only && rec.reason.compare(0, decode::kDeferredPrefix.size(), decode::kDeferredPrefix) != 0) {
            continue;
          }
          Frame frame = rec.frame;
          std::string module_template;
          if (auto device = devices.Find(scope, frame.device_id)) {
            if (frame.device_type.empty()) frame.device_type = device->device_type;
            module_template = std::move(device->module_template);
          }
          decode::FrameDecoding d = decode::DecodeFrame(registry, scope, frame, module_template);
          ++report.scanned;
          switch (d.status) {
            case DecodeStatus::kDecoded: ++report.decoded; break;
            case DecodeStatus::kNoDecoder:
              ++report.pending;
              if (d.reason.compare(0, decode::kDeferredPrefix.size(), decode::kDeferredPrefix) == 0) ++report.deferred;
              break;
            case DecodeStatus::kFailed: ++report.failed; break;
          }
          report.measurements += d.measurements.size();
          results.push_back({rec.id, d.status, std::move(d.reason), std::move(d.measurements), frame.device_type});
        }
        if (!filter.dry_run && !results.empty()) TC_RETURN_IF_ERROR(store.Redecode(scope, results));
        q.after_id = page.back().id;
        if (page.size() < q.limit) break;
      }
    }
  }
  return report;
}

}  // namespace telecollect::push
