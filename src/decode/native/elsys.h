#pragma once

#include "decode/decoder.h"

namespace telecollect::decode {

// Elsys (ERS, ERS CO2, ERS Lite, ERS Sound, ERS Eye, EMS, ELT...) uplinks: a
// sequence of (type byte, value) records, the same for every model, from
// Elsys' published payload specification. Field names are those of Elsys'
// own decoder (temperature, humidity, co2, pulseAbs, ...), so modules match
// what integrators already know. Unknown types stop decoding with an error
// naming the byte offset.
class ElsysDecoder final : public Decoder {
 public:
  Result<std::vector<DecodedValue>> Decode(const DecodeInput& input) const override;
  const char* kind() const override { return "native"; }
};

}  // namespace telecollect::decode
