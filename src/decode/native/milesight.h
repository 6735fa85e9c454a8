#pragma once

#include "decode/decoder.h"

namespace telecollect::decode {

// Milesight ambience sensors (AM102/AM104/AM107, AM307/AM308/AM319, EM300-TH):
// a sequence of (channel id, channel type, value) records, values
// little-endian, from Milesight's published uplink documentation. Field names
// are those of Milesight's own decoder. Device-information records (channel
// 0xFF) carry no measurement and are skipped.
class MilesightDecoder final : public Decoder {
 public:
  Result<std::vector<DecodedValue>> Decode(const DecodeInput& input) const override;
  const char* kind() const override { return "native"; }
};

}  // namespace telecollect::decode
