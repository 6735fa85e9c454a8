#include "decode/decode_frame.h"

namespace telecollect::decode {

FrameDecoding DecodeFrame(const DecoderRegistry& registry, const Frame& frame) {
  FrameDecoding out;
  if (frame.encrypted) {
    out.status = DecodeStatus::kFailed;
    out.reason = "payload is encrypted (the network server has no application key): kept, not decoded";
    return out;
  }
  if (frame.device_type.empty()) {
    out.reason = "no device type";
    return out;
  }
  auto type = registry.Find(frame.device_type);
  if (!type) {
    out.reason = "no decoder for device type \"" + frame.device_type + "\"";
    return out;
  }
  auto values = type->decoder->Decode({frame.payload, frame.fport, frame.received_at});
  if (!values.ok()) {
    out.status = DecodeStatus::kFailed;
    out.reason = type->name + " v" + type->version + ": " + values.status().message();
    return out;
  }
  out.status = DecodeStatus::kDecoded;
  out.measurements.reserve(values->size());
  for (auto& v : *values) {
    out.measurements.push_back({type->ModuleId(frame.device_id, v.field), frame.event_time, v.value, std::move(v.unit), 0});
  }
  return out;
}

}  // namespace telecollect::decode
