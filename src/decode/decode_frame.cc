#include "decode/decode_frame.h"

namespace telecollect::decode {

void ApplyMap(const MeasurementMap& map, std::vector<DecodedValue>& values) {
  std::erase_if(values, [&](DecodedValue& v) { return !map.Apply(v.field, v.value, v.unit); });
}

FrameDecoding DecodeFrame(const DecoderRegistry& registry, const Scope& scope, const Frame& frame,
                          std::string_view module_template,
                          std::optional<std::chrono::steady_clock::time_point> not_after) {
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
  auto type = registry.Find(scope, frame.device_type);
  if (!type) {
    out.reason = "no decoder for device type \"" + frame.device_type + "\"";
    return out;
  }
  if (not_after && std::chrono::steady_clock::now() >= *not_after) {
    out.reason = std::string(kDeferredPrefix) + "the request's decoding time (push.decode_budget) was used; " +
                 "decoded in the background";
    return out;
  }
  std::string notes;  // what a script logged or warned: kept in the frame's record
  auto values = type->decoder->Decode({frame.payload, frame.fport, frame.received_at, &notes, not_after});
  if (!values.ok() && values.status().code() == StatusCode::kUnavailable) {
    out.reason = std::string(kDeferredPrefix) + values.status().message() + "; decoded in the background";
    return out;
  }
  if (!values.ok()) {
    out.status = DecodeStatus::kFailed;
    out.reason = type->name + " v" + type->version + ": " + values.status().message();
    if (!notes.empty()) out.reason += " (" + notes + ")";
    return out;
  }
  type->Shape(*values);
  // The device type's measurement map, after the decoder and the vocabulary.
  if (auto map = registry.FindMap(scope, type->name)) ApplyMap(*map, *values);
  out.status = DecodeStatus::kDecoded;
  out.reason = std::move(notes);
  out.measurements.reserve(values->size());
  for (auto& v : *values) {
    std::string module = module_template.empty()
                             ? type->ModuleId(frame.device_id, v.field)
                             : ExpandModuleTemplate(module_template, frame.device_id, type->name, v.field);
    out.measurements.push_back({std::move(module), v.at ? v.at : frame.event_time, v.value, std::move(v.unit), 0});
  }
  return out;
}

}  // namespace telecollect::decode
