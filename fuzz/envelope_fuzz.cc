// Feeds arbitrary bytes to one envelope parser (TELECOLLECT_ENVELOPE, one
// binary per source: envelope_<source>_fuzz) as JSON and as NDJSON.
// Invariants: never crashes; frames and an error never come together; every
// frame has a device id and a time in range.
#include <cstdint>
#include <string_view>

#include "core/time_util.h"
#include "push/envelope.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace telecollect;
  using namespace telecollect::push;
  static const auto envelope = FindEnvelope(TELECOLLECT_ENVELOPE);
  if (!envelope) __builtin_trap();  // the build names an unknown source
  const std::string_view body(reinterpret_cast<const char*>(data), size);
  for (std::string_view ct : {"application/json", "application/x-ndjson"}) {
    PushRequest req;
    req.body = body;
    req.content_type = ct;
    req.received_at = 1700000000000;
    req.max_items = 1000;
    req.query["event"] = size % 2 ? "up" : "join";  // ChirpStack: both branches
    ParsedFrames p = envelope->Parse(req);
    if (p.error) {
      if (!p.frames.empty()) __builtin_trap();
      (void)p.error->ToString();
    } else {
      if (p.frames.empty() && p.ignored == 0) __builtin_trap();
      for (const auto& f : p.frames) {
        // Every event time lies in the reading range [1970-01-01, 2100-01-01) (docs/push.md).
        if (f.device_id.empty() || f.event_time < kMinEpochMs || f.event_time >= kMaxEpochMs) __builtin_trap();
      }
    }
  }
  return 0;
}
