#pragma once

#include <chrono>
#include <optional>
#include <string_view>

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
//
// `not_after`, when set, bounds the time spent: a frame whose turn comes
// after it, or whose decoder could not get a worker before it, is not decoded
// but left pending with a reason starting with kDeferredPrefix; the
// background decoder (push/background_decoder.h) picks those up.
FrameDecoding DecodeFrame(const DecoderRegistry& registry, const Scope& scope, const Frame& frame,
                          std::string_view module_template = {},
                          std::optional<std::chrono::steady_clock::time_point> not_after = std::nullopt);

// Applies a measurement map to a decoder's values (renames, units, scale and
// offset, keep_only, exclude); values left out are removed.
void ApplyMap(const MeasurementMap& map, std::vector<DecodedValue>& values);

inline constexpr std::string_view kDeferredPrefix = "deferred: ";
inline bool IsDeferred(const FrameDecoding& d) {
  return d.status == DecodeStatus::kNoDecoder && d.reason.compare(0, kDeferredPrefix.size(), kDeferredPrefix) == 0;
}

}  // namespace telecollect::decode
