#pragma once

#include "decode/decoder.h"

namespace telecollect::decode {

// Payloads that are already decoded: the JSON object text a configured
// envelope journals for `payload_encoding = "json"` (docs/push.md). Its
// numbers (and booleans as 1/0) are the values, nested keys joined with '_'
// as for script decoders (flatten.h); strings are skipped.
class JsonValuesDecoder final : public Decoder {
 public:
  Result<std::vector<DecodedValue>> Decode(const DecodeInput& input) const override;
  const char* kind() const override { return "native"; }
};

}  // namespace telecollect::decode
