#pragma once

#include "decode/decoder.h"

namespace telecollect::decode {

// Nexelec Insafe+ Carbon (CO2, temperature, humidity) and Insafe+ Origin
// (smoke alarm with temperature and humidity), LoRaWAN, from Nexelec's
// published frame descriptions. Frames are bit fields, most significant bit
// first. Carbon: 4-bit product code 0x7, 4-bit message type (real time 2,
// status 3, datalog 5, temperature alert 6, CO2 alert 7). Origin: product byte
// 0xA2, message byte (status 0, smoke alarm 3, daily air quality 4, real time
// 5, temperature alert 8). Configuration, push-button and keep-alive messages
// store nothing; a value at its error code is left out.
class NexelecDecoder final : public Decoder {
 public:
  enum class Model { kCarbon, kOrigin };
  explicit NexelecDecoder(Model model) : model_(model) {}
  Result<std::vector<DecodedValue>> Decode(const DecodeInput& input) const override;
  const char* kind() const override { return "native"; }

 private:
  Model model_;
};

}  // namespace telecollect::decode
