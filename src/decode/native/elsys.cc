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

}  // namespace

Result<std::vector<DecodedValue>> ElsysDecoder::Decode(const DecodeInput& in) const {
  const Bytes& b = in.bytes;
  std::vector<DecodedValue> out;
  out.reserve(8);
  size_t i = 0;
  auto need = [&](size_t n, const char* what) -> Status {
    if (i + 1 + n > b.size()) {
      return Status::InvalidArgument(std::string(what) + " at byte " + std::to_string(i) + " needs " +
                                     std::to_string(n) + " bytes, " + std::to_string(b.size() - i - 1) + " left");
    }
    return Status::Ok();
  };
  auto put = [&](std::string_view field, double value, std::string_view unit) { AddValue(out, field, value, unit); };
  while (i < b.size()) {
    const uint8_t type = b[i];
    const uint8_t* p = b.data() + i + 1;
    size_t len = 0;
    switch (type) {
      case 0x01: TC_RETURN_IF_ERROR(need(len = 2, "temperature")); put("temperature", Tenths(S(p, 2)), "°C"); break;
      case 0x02: TC_RETURN_IF_ERROR(need(len = 1, "humidity")); put("humidity", p[0], "%RH"); break;
      case 0x03:
        TC_RETURN_IF_ERROR(need(len = 3, "acceleration"));
        put("x", S(p, 1), "");
        put("y", S(p + 1, 1), "");
        put("z", S(p + 2, 1), "");
        break;
      case 0x04: TC_RETURN_IF_ERROR(need(len = 2, "light")); put("light", U(p, 2), "lx"); break;
      case 0x05: TC_RETURN_IF_ERROR(need(len = 1, "motion")); put("motion", p[0], ""); break;
      case 0x06: TC_RETURN_IF_ERROR(need(len = 2, "co2")); put("co2", U(p, 2), "ppm"); break;
      case 0x07: TC_RETURN_IF_ERROR(need(len = 2, "vdd")); put("vdd", U(p, 2), "mV"); break;
      case 0x08: TC_RETURN_IF_ERROR(need(len = 2, "analog1")); put("analog1", U(p, 2), "mV"); break;
      case 0x09:
        TC_RETURN_IF_ERROR(need(len = 6, "gps"));
        put("lat", S(p, 3) / 10000.0, "°");
        put("long", S(p + 3, 3) / 10000.0, "°");
        break;
      case 0x0A: TC_RETURN_IF_ERROR(need(len = 2, "pulse1")); put("pulse1", U(p, 2), ""); break;
      case 0x0B: TC_RETURN_IF_ERROR(need(len = 4, "pulseAbs")); put("pulseAbs", U(p, 4), ""); break;
      case 0x0C:
        TC_RETURN_IF_ERROR(need(len = 2, "externalTemperature"));
        put("externalTemperature", Tenths(S(p, 2)), "°C");
        break;
      case 0x0D: TC_RETURN_IF_ERROR(need(len = 1, "digital")); put("digital", p[0], ""); break;
      case 0x0E: TC_RETURN_IF_ERROR(need(len = 2, "distance")); put("distance", U(p, 2), "mm"); break;
      case 0x0F: TC_RETURN_IF_ERROR(need(len = 1, "accMotion")); put("accMotion", p[0], ""); break;
      case 0x10:
        TC_RETURN_IF_ERROR(need(len = 4, "irTemperature"));
        put("irInternalTemperature", Tenths(S(p, 2)), "°C");
        put("irExternalTemperature", Tenths(S(p + 2, 2)), "°C");
        break;
      case 0x11: TC_RETURN_IF_ERROR(need(len = 1, "occupancy")); put("occupancy", p[0], ""); break;
      case 0x12: TC_RETURN_IF_ERROR(need(len = 1, "waterleak")); put("waterleak", p[0], ""); break;
      case 0x13: TC_RETURN_IF_ERROR(need(len = 65, "grideye")); put("grideyeReference", p[0], "°C"); break;
      case 0x14: TC_RETURN_IF_ERROR(need(len = 4, "pressure")); put("pressure", U(p, 4) / 1000.0, "hPa"); break;
      case 0x15:
        TC_RETURN_IF_ERROR(need(len = 2, "sound"));
        put("soundPeak", p[0], "dB");
        put("soundAvg", p[1], "dB");
        break;
      case 0x16: TC_RETURN_IF_ERROR(need(len = 2, "pulse2")); put("pulse2", U(p, 2), ""); break;
      case 0x17: TC_RETURN_IF_ERROR(need(len = 4, "pulseAbs2")); put("pulseAbs2", U(p, 4), ""); break;
      case 0x18: TC_RETURN_IF_ERROR(need(len = 2, "analog2")); put("analog2", U(p, 2), "mV"); break;
      case 0x19:
        TC_RETURN_IF_ERROR(need(len = 2, "externalTemperature2"));
        put("externalTemperature2", Tenths(S(p, 2)), "°C");
        break;
      case 0x1A: TC_RETURN_IF_ERROR(need(len = 1, "digital2")); put("digital2", p[0], ""); break;
      case 0x1B: TC_RETURN_IF_ERROR(need(len = 4, "analogUv")); put("analogUv", S(p, 4), "µV"); break;
      case 0x1C: TC_RETURN_IF_ERROR(need(len = 2, "tvoc")); put("tvoc", U(p, 2), "ppb"); break;
      case 0x3D: TC_RETURN_IF_ERROR(need(len = 4, "debug")); break;  // not a measurement
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
