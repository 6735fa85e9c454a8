#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/hex.h"
#include "core/status.h"
#include "core/time_util.h"

namespace telecollect::decode {

// What a decoder sees of one frame.
struct DecodeInput {
  const Bytes& bytes;
  std::optional<int> fport;
  EpochMs received_at = 0;
  // When set, a decoder may leave here what it logged or warned while
  // decoding (a script's console and decodeUplink warnings): the frame's
  // decode record keeps it.
  std::string* notes = nullptr;
  // When set, a decoder that would have to wait for a shared resource (a
  // script decode worker) past this instant answers kUnavailable instead, and
  // the frame is left pending for the background decoder.
  std::optional<std::chrono::steady_clock::time_point> not_after = std::nullopt;
};

// One named numeric value produced by a decoder.
struct DecodedValue {
  std::string field;  // stable name, becomes part of the module id
  double value = 0;
  std::string unit;
  // An identifier or version the payload carries (device id, protocol
  // version, a vendor's metadata counters): not stored as a series unless the
  // device type keeps them (ShapeValues, keep_identifiers).
  bool identifier = false;
  // The measurement's own time (a normalized measurement with `time`); 0: the frame's.
  EpochMs at = 0;
};

// Appends one value without temporaries (the hot path of native decoders).
inline void AddValue(std::vector<DecodedValue>& out, std::string_view field, double value, std::string_view unit) {
  DecodedValue& v = out.emplace_back();
  v.field.assign(field.data(), field.size());
  v.value = value;
  v.unit.assign(unit.data(), unit.size());
}

// Turns payload bytes into named values. Implementations are immutable once
// built and safe to call from any number of threads at once.
class Decoder {
 public:
  virtual ~Decoder() = default;
  // Decoding failures (too short, no matching layout, ...) are
  // kInvalidArgument with a message naming the byte offset or field.
  virtual Result<std::vector<DecodedValue>> Decode(const DecodeInput& input) const = 0;
  // "declarative", "native", "script".
  virtual const char* kind() const = 0;
};

// Device types are matched trimmed and case-insensitively: " Dragino-LHT65 "
// and "dragino-lht65" name the same decoder.
std::string NormalizeDeviceType(std::string_view text);

}  // namespace telecollect::decode
