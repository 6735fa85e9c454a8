#pragma once

#include "decode/decoder.h"

namespace telecollect::decode {

// Dragino LHT65 temperature/humidity sensor (fPort 2, 11 bytes), from
// Dragino's LHT65 user manual: battery (status bits 15-14, millivolts), the
// built-in SHT20 temperature and humidity, then byte 6 says what the external
// connector carries (low nibble; bit 7 = probe not connected, bit 6 = datalog
// poll reply) and bytes 7-10 its value: DS18B20 temperature (1), interrupt
// level and flag (4), illuminance (5), ADC voltage (6), 16- or 32-bit pulse
// count (7, 8), datalog temperature with timestamp (9), probe id (15).
class DraginoLht65Decoder final : public Decoder {
 public:
  Result<std::vector<DecodedValue>> Decode(const DecodeInput& input) const override;
  const char* kind() const override { return "native"; }
};

}  // namespace telecollect::decode
