#include "decode/native/elsys.h"

#include <cmath>
#include <cstdio>

namespace telecollect::decode {
namespace {

// Reads big-endian unsigned/signed integers of `n` bytes at `p`.
uint32_t U(const uint8_t* p, int n) {
  uint32_t v = 0;
  for (int i = 0; i < n; ++i) v = v << 8 | p[i];
  return v;
}
int32_t S(const uint8_t* p, int n) {
  const uint32_t v = U(p, n);
  const int bits = 8 * n;
  if (bits < 32 && (v & (1u << (bits - 1)))) return static_cast<int32_t>(v) - (1 << bits);
  return static_cast<int32_t>(v);
}

double Tenths(int32_t v) { return std::round(v) / 10.0; }

// The error of a record cut short, built only when it happens.
[[gnu::cold]] Status Truncated(const char* what, size_t at, size_t needs, size_t size) {
  return Status::InvalidArgument(std::string(what) + " at byte " + std::to_string(at) + " needs " + std::to_string(needs) +
                                 " bytes, " + std::to_string(size - at - 1) + " left");
}

}  // namespace

Result<std::vector<DecodedValue>> ElsysDecoder::Decode(const DecodeInput& in) const {
  const Bytes& b = in.bytes;
  std::vector<DecodedValue> out;
  out.reserve(8);
  size_t i = 0;
  // True when the record at i has fewer than n value bytes (then Truncated says so).
  auto short_of = [&](size_t n) { return i + 1 + n > b.size(); };
  auto put = [&](std::string_view field, double value, std::string_view unit) { AddValue(out, field, value, unit); };
  while (i < b.size()) {
    const uint8_t type = b[i];
    const uint8_t* p = b.data() + i + 1;
    size_t len = 0;
    switch (type) {
      case 0x01: if (short_of(len = 2)) return Truncated("temperature", i, len, b.size()); put("temperature", Tenths(S(p, 2)), "°C"); break;
      case 0x02: if (short_of(len = 1)) return Truncated("humidity", i, len, b.size()); put("humidity", p[0], "%RH"); break;
      case 0x03:
        if (short_of(len = 3)) return Truncated("acceleration", i, len, b.size());
        put("x", S(p, 1), "");
        put("y", S(p + 1, 1), "");
        put("z", S(p + 2, 1), "");
        break;
      case 0x04: if (short_of(len = 2)) return Truncated("light", i, len, b.size()); put("light", U(p, 2), "lx"); break;
      case 0x05: if (short_of(len = 1)) return Truncated("motion", i, len, b.size()); put("motion", p[0], ""); break;
      case 0x06: if (short_of(len = 2)) return Truncated("co2", i, len, b.size()); put("co2", U(p, 2), "ppm"); break;
      case 0x07: if (short_of(len = 2)) return Truncated("vdd", i, len, b.size()); put("vdd", U(p, 2), "mV"); break;
      case 0x08: if (short_of(len = 2)) return Truncated("analog1", i, len, b.size()); put("analog1", U(p, 2), "mV"); break;
      case 0x09:
        if (short_of(len = 6)) return Truncated("gps", i, len, b.size());
        put("lat", S(p, 3) / 10000.0, "°");
        put("long", S(p + 3, 3) / 10000.0, "°");
        break;
      case 0x0A: if (short_of(len = 2)) return Truncated("pulse1", i, len, b.size()); put("pulse1", U(p, 2), ""); break;
      case 0x0B: if (short_of(len = 4)) return Truncated("pulseAbs", i, len, b.size()); put("pulseAbs", U(p, 4), ""); break;
      case 0x0C:
        if (short_of(len = 2)) return Truncated("externalTemperature", i, len, b.size());
        put("externalTemperature", Tenths(S(p, 2)), "°C");
        break;
      case 0x0D: if (short_of(len = 1)) return Truncated("digital", i, len, b.size()); put("digital", p[0], ""); break;
      case 0x0E: if (short_of(len = 2)) return Truncated("distance", i, len, b.size()); put("distance", U(p, 2), "mm"); break;
      case 0x0F: if (short_of(len = 1)) return Truncated("accMotion", i, len, b.size()); put("accMotion", p[0], ""); break;
      case 0x10:
        if (short_of(len = 4)) return Truncated("irTemperature", i, len, b.size());
        put("irInternalTemperature", Tenths(S(p, 2)), "°C");
        put("irExternalTemperature", Tenths(S(p + 2, 2)), "°C");
        break;
      case 0x11: if (short_of(len = 1)) return Truncated("occupancy", i, len, b.size()); put("occupancy", p[0], ""); break;
      case 0x12: if (short_of(len = 1)) return Truncated("waterleak", i, len, b.size()); put("waterleak", p[0], ""); break;
      case 0x13: if (short_of(len = 65)) return Truncated("grideye", i, len, b.size()); put("grideyeReference", p[0], "°C"); break;
      case 0x14: if (short_of(len = 4)) return Truncated("pressure", i, len, b.size()); put("pressure", U(p, 4) / 1000.0, "hPa"); break;
      case 0x15:
        if (short_of(len = 2)) return Truncated("sound", i, len, b.size());
        put("soundPeak", p[0], "dB");
        put("soundAvg", p[1], "dB");
        break;
      case 0x16: if (short_of(len = 2)) return Truncated("pulse2", i, len, b.size()); put("pulse2", U(p, 2), ""); break;
      case 0x17: if (short_of(len = 4)) return Truncated("pulseAbs2", i, len, b.size()); put("pulseAbs2", U(p, 4), ""); break;
      case 0x18: if (short_of(len = 2)) return Truncated("analog2", i, len, b.size()); put("analog2", U(p, 2), "mV"); break;
      case 0x19:
        if (short_of(len = 2)) return Truncated("externalTemperature2", i, len, b.size());
        put("externalTemperature2", Tenths(S(p, 2)), "°C");
        break;
      case 0x1A: if (short_of(len = 1)) return Truncated("digital2", i, len, b.size()); put("digital2", p[0], ""); break;
      case 0x1B: if (short_of(len = 4)) return Truncated("analogUv", i, len, b.size()); put("analogUv", S(p, 4), "µV"); break;
      case 0x1C: if (short_of(len = 2)) return Truncated("tvoc", i, len, b.size()); put("tvoc", U(p, 2), "ppb"); break;
      case 0x3D: if (short_of(len = 4)) return Truncated("debug", i, len, b.size()); break;  // not a measurement
      case 0x3E: return out;  // settings: the rest of the frame is configuration, not data
      default: {
        char hex[8];
        std::snprintf(hex, sizeof hex, "0x%02x", type);
        return Status::InvalidArgument(std::string("unknown Elsys data type ") + hex + " at byte " + std::to_string(i));
      }
    }
    i += 1 + len;
  }
  return out;
}

}  // namespace telecollect::decode
