// Sigfox backend DATA callbacks with a JSON body template. The template is the
// integrator's: {time} may come quoted or not, so numbers-as-strings are read.
#include "push/platform_envelope.h"

namespace telecollect::push {

ParsedFrames SigfoxEnvelope::Parse(const PushRequest& req) const {
  return ParsePlatformItems(req, source(), [](ItemReader& r, Frame& f) {
    auto device = r.String("device");
    if (!r.Require(device, "device")) return ItemKind::kUplink;
    f.device_id = NormalizeDeviceId(*device);
    auto t = r.Time("time");  // epoch seconds
    if (!r.Require(t, "time")) return ItemKind::kUplink;
    f.event_time = *t;
    auto data = r.Hex("data");
    if (!r.Require(data, "data")) return ItemKind::kUplink;
    f.payload = std::move(*data);
    if (f.payload.size() > 12) r.Fail("data", "Sigfox uplinks carry at most 12 bytes");
    if (auto type = r.String("devicetype"); type && f.device_type.empty()) f.device_type = *type;
    f.metadata_json = r.Metadata({"seqNumber", "station", "rssi", "snr", "avgSnr", "duplicate", "lat", "lng"});
    return ItemKind::kUplink;
  });
}

}  // namespace telecollect::push
