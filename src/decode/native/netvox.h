#pragma once

#include <string_view>

#include "decode/decoder.h"

namespace telecollect::decode {

// Netvox LoRaWAN sensors (R711/R718/R311/R312/R72x/RA07/R602/R809/RB...): one
// decoder for the family, from Netvox's published application command
// documents. Reports arrive on fPort 6: byte 0 version, byte 1 device type
// (which model, hence the layout), byte 2 report type (0 = firmware version
// report), then big-endian values. fPort 7, 13 and 14 carry answers to
// configuration commands: decoded, nothing to store. Field names are
// Netvox's own (Volt, Temp, Humi, ...); on/off, leak and alarm states are 1/0;
// a sensor slot reading all ones (0xFFFF, "NoSensor") is left out.
class NetvoxDecoder final : public Decoder {
 public:
  Result<std::vector<DecodedValue>> Decode(const DecodeInput& input) const override;
  const char* kind() const override { return "native"; }
  // The model Netvox names a device type byte ("R718A"), or empty when unknown.
  static std::string_view ModelName(uint8_t device_type);
};

}  // namespace telecollect::decode
