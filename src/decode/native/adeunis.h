#pragma once

#include "decode/decoder.h"

namespace telecollect::decode {

// Adeunis LoRaWAN/Sigfox sensors, from Adeunis's published frame formats
// (the same products and frame codes as Adeunis's own codec library,
// @adeunis/codecs, whose codec type names the model here). Every frame starts
// with a frame code and a status byte (bit 1: low battery; bit 2: a 4-byte
// timestamp ends the frame on the models that have one).
//
// Measurements are the current value of each data frame (t=0). The history
// that data frames repeat (t-1, t-2, ...) is not stored: its spacing is the
// device's configured period, which the frame does not carry, and those
// values were stored when their own frames arrived. Configuration, keep-alive
// and register frames decode to the status alone (low_battery).
class AdeunisDecoder final : public Decoder {
 public:
  enum class Model { kComfort, kComfort2, kComfortCo2, kTemp, kTemp3, kTemp4, kPulse, kPulse3, kPulse4 };
  explicit AdeunisDecoder(Model model) : model_(model) {}
  Result<std::vector<DecodedValue>> Decode(const DecodeInput& input) const override;
  const char* kind() const override { return "native"; }

 private:
  Model model_;
};

}  // namespace telecollect::decode
