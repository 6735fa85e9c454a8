// Envelopes as configuration (push/configured_envelope.h). An input holding a
// line "====" is an envelope TOML (before it) and a body (after): the config
// loader is fuzzed, and the body goes through what it loaded. Any other input
// is a body, parsed by two fixed envelopes (one frame per item; an array of
// frames with "$." paths, a time pattern in a zone, a device type map, an
// uplink filter) as JSON and as NDJSON, and by a form-encoded and an XML one
// (frames repeated or given once, [0] on an element given once).
// Invariants: never crashes; frames and an error never come together; every
// frame has a device id and a time in range.
#include <cstdint>
#include <string>
#include <string_view>

#include "push/configured_envelope.h"

namespace {

using namespace telecollect::push;

std::shared_ptr<const Envelope> Fixed(const char* toml) {
  auto e = LoadEnvelopeSpec(toml, "fuzz.toml");
  if (!e.ok()) __builtin_trap();  // the fixed configs are valid
  return *e;
}

void Check(const Envelope& envelope, std::string_view body) {
  for (std::string_view ct : {"application/json", "application/x-ndjson"}) {
    PushRequest req;
    req.body = body;
    req.content_type = ct;
    req.received_at = 1700000000000;
    req.max_items = 1000;
    ParsedFrames p = envelope.Parse(req);
    if (p.error) {
      if (!p.frames.empty()) __builtin_trap();
      (void)p.error->ToString();
      continue;
    }
    for (const auto& f : p.frames) {
      if (f.device_id.empty() || f.event_time < 0 || f.event_time >= 4102444800000) __builtin_trap();
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const auto one = Fixed(R"(
name = "fuzz-one"
device_id = "EUI"
time = "ts"
time_format = "epoch"
payload = "data"
fport = "port"
device_type_path = "model"
metadata = ["rssi", "gws[0].snr", "missing.key"]
)");
  static const auto frames = Fixed(R"(
name = "fuzz-frames"
frames = "rxpk"
device_id = "$.gateway"
time = "time"
time_format = "%d/%m/%Y %H:%M:%S"
time_zone = "Europe/Paris"
payload = "data"
payload_encoding = "base64"
device_type_path = "eep"
device_type_map = { "D2-01-08" = "x" }
device_type = "y"
metadata = ["$.site", "rssi"]
uplink_path = "stat"
uplink_values = ["1"]
)");
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const size_t split = input.find("\n====\n");
  if (split != std::string_view::npos) {
    auto loaded = LoadEnvelopeSpec(std::string(input.substr(0, split)), "fuzz.toml");
    if (loaded.ok()) Check(**loaded, input.substr(split + 6));
    return 0;
  }
  static const auto form = Fixed(R"(
name = "fuzz-form"
body = "form"
device_id = "device"
time = "time"
time_format = "epoch_s"
payload = "data"
fport = "port"
metadata = ["seqNumber", "rssi"]
)");
  static const auto xml = Fixed(R"(
name = "fuzz-xml"
body = "xml"
frames = "batch.frame"
device_id = "$.batch.@gateway"
time = "Time"
payload = "payload_hex"
fport = "FPort"
metadata = ["Lrrs.Lrr[0].Lrrid", "@kind", "#text"]
uplink_path = "MType"
uplink_values = ["2"]
)");
  Check(*one, input);
  Check(*frames, input);
  Check(*form, input);
  Check(*xml, input);
  return 0;
}
