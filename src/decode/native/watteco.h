#pragma once

#include "decode/decoder.h"

namespace telecollect::decode {

// nke Watteco sensors, "standard report" frames (fPort 125), from Watteco's
// published ZCL-like frame description: byte 0 frame control (bit 0 set for a
// standard report; the endpoint in bits 7-5 and 2-1), byte 1 command (0x0A
// report, 0x8A alarm report, 0x01 read-attribute answer), bytes 2-3 cluster,
// bytes 4-5 attribute, then the attribute type byte and the value. Known
// clusters: temperature, humidity, illuminance, pressure, occupancy,
// concentration (CO2/VOC), binary input (state and pulse index), on/off,
// analog and multistate input, differential pressure, power source voltages,
// energy/power and voltage/current metering. Values on endpoint N > 0 get the
// suffix _epN. Configuration answers store nothing; batch (compressed)
// reports and unknown clusters fail with a reason, and stay in the journal
// for a script decoder and redecode.
class WattecoDecoder final : public Decoder {
 public:
  Result<std::vector<DecodedValue>> Decode(const DecodeInput& input) const override;
  const char* kind() const override { return "native"; }
};

}  // namespace telecollect::decode
