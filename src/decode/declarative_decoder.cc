#include "decode/declarative_decoder.h"

#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "core/ascii.h"

namespace telecollect::decode {
namespace {

using Type = DeclarativeDecoder::Type;

bool IsSigned(Type t) {
  return t == Type::kI8 || t == Type::kI16 || t == Type::kI24 || t == Type::kI32 || t == Type::kI64;
}

uint64_t ReadUnsigned(const uint8_t* p, size_t width, bool little_endian) {
  uint64_t v = 0;
  for (size_t i = 0; i < width; ++i) {
    const uint8_t b = little_endian ? p[width - 1 - i] : p[i];
    v = (v << 8) | b;
  }
  return v;
}

int64_t SignExtend(uint64_t v, int bits) {
  if (bits >= 64) return static_cast<int64_t>(v);
  const uint64_t sign = uint64_t{1} << (bits - 1);
  v &= (uint64_t{1} << bits) - 1;
  return static_cast<int64_t>((v ^ sign) - sign);
}

// Scaled values such as 2829 * 0.3 come out as 848.6999999999999; keep the
// 15 significant digits a double can represent faithfully. (Scales of the form
// 1/n are applied as a division, which is exact to the last digit: no tidying.)
double Tidy(double v) {
  char buf[32];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::general, 15);
  double out = v;
  std::from_chars(buf, end, out);
  return out;
}

std::string Hex2(uint8_t b) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "0x%02x", b);
  return buf;
}

}  // namespace

size_t DeclarativeDecoder::TypeWidth(Type t) {
  switch (t) {
    case Type::kU8: case Type::kI8: return 1;
    case Type::kU16: case Type::kI16: return 2;
    case Type::kU24: case Type::kI24: return 3;
    case Type::kU32: case Type::kI32: case Type::kF32: return 4;
    case Type::kU64: case Type::kI64: case Type::kF64: return 8;
  }
  return 0;
}

Result<std::vector<DecodedValue>> DeclarativeDecoder::Decode(const DecodeInput& in) const {
  const Bytes& b = in.bytes;
  const Variant* chosen = nullptr;
  for (const Variant& v : variants_) {
    if (!v.fports.empty()) {
      if (!in.fport) continue;
      bool hit = false;
      for (int p : v.fports) hit |= (p == *in.fport);
      if (!hit) continue;
    }
    bool matches = true;
    for (const ByteMatch& m : v.match) {
      if (m.offset >= b.size() || (b[m.offset] & m.mask) != m.value) {
        matches = false;
        break;
      }
    }
    if (matches) {
      chosen = &v;
      break;
    }
  }
  if (!chosen) {
    std::string what = "no layout matches this frame (";
    what += in.fport ? "fPort " + std::to_string(*in.fport) : "no fPort";
    what += b.empty() ? ", empty payload)" : ", first byte " + Hex2(b[0]) + ", " + std::to_string(b.size()) + " bytes)";
    return Status::InvalidArgument(what);
  }
  if (b.size() < chosen->min_length) {
    return Status::InvalidArgument("payload is " + std::to_string(b.size()) + " bytes, layout \"" + chosen->name +
                                   "\" needs at least " + std::to_string(chosen->min_length));
  }
  std::vector<DecodedValue> out;
  out.reserve(chosen->fields.size());
  for (const Field& f : chosen->fields) {
    const size_t width = TypeWidth(f.type);
    if (f.offset + width > b.size()) {
      return Status::InvalidArgument("field \"" + f.name + "\" needs bytes " + std::to_string(f.offset) + ".." +
                                     std::to_string(f.offset + width - 1) + " but the payload is " +
                                     std::to_string(b.size()) + " bytes");
    }
    const uint64_t raw_bits = ReadUnsigned(b.data() + f.offset, width, f.little_endian);
    double value;
    if (f.type == Type::kF32) {
      float fl;
      const uint32_t u = static_cast<uint32_t>(raw_bits);
      std::memcpy(&fl, &u, sizeof fl);
      value = fl;
    } else if (f.type == Type::kF64) {
      std::memcpy(&value, &raw_bits, sizeof value);
    } else {
      const int total_bits = static_cast<int>(width * 8);
      const int bits = f.bits ? f.bits : total_bits;
      uint64_t field_bits = raw_bits >> f.bit_offset;
      if (bits < 64) field_bits &= (uint64_t{1} << bits) - 1;
      int64_t raw = IsSigned(f.type) ? SignExtend(field_bits, bits) : static_cast<int64_t>(field_bits);
      if (f.invalid && raw == *f.invalid) continue;
      value = IsSigned(f.type) ? static_cast<double>(raw) : static_cast<double>(field_bits);
    }
    if (!std::isfinite(value)) {
      return Status::InvalidArgument("field \"" + f.name + "\" at byte " + std::to_string(f.offset) + " is not a finite number");
    }
    if (f.divisor != 0) {
      value = value / f.divisor;
      if (f.add != 0) value = Tidy(value + f.add);
    } else if (f.scale != 1 || f.add != 0) {
      value = Tidy(value * f.scale + f.add);
    }
    AddValue(out, f.name, value, f.unit);
  }
  return out;
}

std::string NormalizeDeviceType(std::string_view text) {
  size_t a = 0, e = text.size();
  while (a < e && std::isspace(static_cast<unsigned char>(text[a]))) ++a;
  while (e > a && std::isspace(static_cast<unsigned char>(text[e - 1]))) --e;
  std::string out(text.substr(a, e - a));
  AsciiLowerInPlace(out);
  return out;
}

}  // namespace telecollect::decode
