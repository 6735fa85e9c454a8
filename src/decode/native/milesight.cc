#include "decode/native/milesight.h"

#include <cstdio>

namespace telecollect::decode {
namespace {

uint32_t U16(const uint8_t* p) { return p[0] | p[1] << 8; }
int32_t S16(const uint8_t* p) { return static_cast<int16_t>(U16(p)); }

std::string Hex(uint8_t b) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "0x%02x", b);
  return buf;
}

// Length of a device-information record's value (channel 0xFF), by type.
int InfoLength(uint8_t type) {
  switch (type) {
    case 0x01: case 0x0b: case 0x0f: return 1;  // protocol version, power on, class
    case 0x09: case 0x0a: return 2;             // hardware, firmware version
    case 0x16: return 8;                        // serial number
    default: return -1;
  }
}

}  // namespace

Result<std::vector<DecodedValue>> MilesightDecoder::Decode(const DecodeInput& in) const {
  const Bytes& b = in.bytes;
  std::vector<DecodedValue> out;
  out.reserve(8);
  size_t i = 0;
  while (i < b.size()) {
    if (i + 2 > b.size()) return Status::InvalidArgument("record at byte " + std::to_string(i) + " is cut short");
    const uint8_t channel = b[i], type = b[i + 1];
    const uint8_t* p = b.data() + i + 2;
    const size_t left = b.size() - i - 2;
    size_t len = 0;
    auto need = [&](size_t n) -> Status {
      len = n;
      if (n > left) {
        return Status::InvalidArgument("channel " + Hex(channel) + " type " + Hex(type) + " at byte " +
                                       std::to_string(i) + " needs " + std::to_string(n) + " bytes, " +
                                       std::to_string(left) + " left");
      }
      return Status::Ok();
    };
    if (channel == 0xFF) {
      const int n = InfoLength(type);
      if (n < 0) return Status::InvalidArgument("unknown device information type " + Hex(type) + " at byte " + std::to_string(i));
      TC_RETURN_IF_ERROR(need(static_cast<size_t>(n)));
    } else if (type == 0x75) {
      TC_RETURN_IF_ERROR(need(1));
      AddValue(out, "battery", static_cast<double>(p[0]), "%");
    } else if (type == 0x67) {
      TC_RETURN_IF_ERROR(need(2));
      AddValue(out, "temperature", S16(p) / 10.0, "°C");
    } else if (type == 0x68) {
      TC_RETURN_IF_ERROR(need(1));
      AddValue(out, "humidity", p[0] / 2.0, "%RH");
    } else if (type == 0x6A) {
      TC_RETURN_IF_ERROR(need(2));
      AddValue(out, "activity", static_cast<double>(U16(p)), "");
    } else if (type == 0x65) {
      TC_RETURN_IF_ERROR(need(6));
      AddValue(out, "illumination", static_cast<double>(U16(p)), "lx");
      AddValue(out, "infrared_and_visible", static_cast<double>(U16(p + 2)), "");
      AddValue(out, "infrared", static_cast<double>(U16(p + 4)), "");
    } else if (type == 0x7D && (channel == 0x07 || channel == 0x08)) {
      TC_RETURN_IF_ERROR(need(2));
      AddValue(out, channel == 0x07 ? "co2" : "tvoc", static_cast<double>(U16(p)), channel == 0x07 ? "ppm" : "");
    } else if (type == 0x73) {
      TC_RETURN_IF_ERROR(need(2));
      AddValue(out, "pressure", U16(p) / 10.0, "hPa");
    } else {
      return Status::InvalidArgument("unknown Milesight channel " + Hex(channel) + " type " + Hex(type) + " at byte " +
                                     std::to_string(i));
    }
    i += 2 + len;
  }
  return out;
}

}  // namespace telecollect::decode
