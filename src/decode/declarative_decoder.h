#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "decode/decoder.h"

namespace telecollect::decode {

// A decoder described by a TOML byte-layout spec (docs/decoders.md):
// variants selected by fPort and/or byte values, each a list of fields at
// byte/bit offsets with a type, endianness, scale, offset and unit.
class DeclarativeDecoder final : public Decoder {
 public:
  enum class Type { kU8, kI8, kU16, kI16, kU24, kI24, kU32, kI32, kU64, kI64, kF32, kF64 };

  struct Field {
    std::string name;
    size_t offset = 0;
    Type type = Type::kU8;
    bool little_endian = false;
    int bit_offset = 0;  // from the least significant bit of the read integer
    int bits = 0;        // 0 = the whole integer
    double scale = 1;
    double divisor = 0;  // 1/scale when that is a whole number (0.01 → 100): dividing rounds exactly
    double add = 0;
    std::string unit;
    std::optional<int64_t> invalid;  // raw value meaning "no reading": field omitted
  };
  struct ByteMatch {
    size_t offset = 0;
    uint8_t value = 0;
    uint8_t mask = 0xFF;
  };
  struct Variant {
    std::string name;
    std::vector<int> fports;  // empty = any
    std::vector<ByteMatch> match;
    size_t min_length = 0;
    std::vector<Field> fields;
  };

  explicit DeclarativeDecoder(std::vector<Variant> variants) : variants_(std::move(variants)) {}

  Result<std::vector<DecodedValue>> Decode(const DecodeInput& input) const override;
  const char* kind() const override { return "declarative"; }

  const std::vector<Variant>& variants() const { return variants_; }

  static size_t TypeWidth(Type t);

 private:
  std::vector<Variant> variants_;
};

}  // namespace telecollect::decode
