#pragma once

#include "core/model.h"
#include "decode/registry.h"

namespace telecollect::decode {

// Runs the frame's decoder, if its device type has one, and names the values
// as modules. Never fails: the outcome is in the status (decoded, no-decoder,
// failed + reason; a decoded frame's reason holds what a script decoder
// logged or warned). Measurements are stamped with the frame's event time.
struct FrameDecoding {
  DecodeStatus status = DecodeStatus::kNoDecoder;
  std::string reason;
  std::vector<Measurement> measurements;
};
// `module_template`, when not empty, overrides the device type's (a device
// registered with its own module naming). A decoder version activated for the
// frame's `scope` comes before the shared one.
FrameDecoding DecodeFrame(const DecoderRegistry& registry, const Scope& scope, const Frame& frame,
                          std::string_view module_template = {});

}  // namespace telecollect::decode
