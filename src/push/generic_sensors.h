#pragma once

#include "push/envelope.h"

namespace telecollect::push {

// The product's own envelope (the brief's curl example):
//   {"timestamp": "2019-04-28T12:59:36.599Z", "deviceid": "123124",
//    "payload": "2367A3B3C1DEFE", "devicetype": "..."}
// plus optional "fport" (0..255) and "metadata" (object, kept verbatim).
// timestamp: ISO-8601 with Z or an offset, or epoch seconds/milliseconds
// (number or digits in a string). See docs/push.md.
class GenericSensorsEnvelope final : public Envelope {
 public:
  std::string_view source() const override { return "generic-sensors"; }
  ParsedFrames Parse(const PushRequest& request) const override;
};

}  // namespace telecollect::push
