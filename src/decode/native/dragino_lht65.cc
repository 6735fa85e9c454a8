#include "decode/native/dragino_lht65.h"

#include "decode/native/big_endian.h"

namespace telecollect::decode {

Result<std::vector<DecodedValue>> DraginoLht65Decoder::Decode(const DecodeInput& in) const {
  const Bytes& b = in.bytes;
  const int fport = in.fport.value_or(2);
  if (fport != 2) return Status::InvalidArgument("fPort " + std::to_string(fport) + " is not the LHT65's uplink port (2)");
  if (b.size() < 11) return Status::InvalidArgument("an LHT65 uplink has 11 bytes, got " + std::to_string(b.size()));
  const uint8_t ext = b[6] & 0x0F;
  const bool unplugged = b[6] & 0x80;
  if (b[6] & 0x40) return Status::InvalidArgument("datalog poll replies (byte 6 bit 6) are not decoded");
  std::vector<DecodedValue> out;
  out.reserve(6);
  if (ext == 0x09) {
    // Datalog mode: bytes 0-1 carry the probe temperature instead of the battery.
    AddValue(out, "battery_status", b[4] >> 6, "");
  } else {
    AddValue(out, "battery_voltage", (BeU16(b.data()) & 0x3FFF) / 1000.0, "V");
    AddValue(out, "battery_status", b[0] >> 6, "");
  }
  if (ext != 0x0F) {
    AddValue(out, "temperature", BeS16(b.data() + 2) / 100.0, "°C");
    AddValue(out, "humidity", (BeU16(b.data() + 4) & 0x0FFF) / 10.0, "%RH");
  }
  const uint8_t* v = b.data() + 7;
  auto probe_temperature = [&](const uint8_t* p) {
    // 0x7FFF: no probe answered.
    if (!unplugged && BeU16(p) != 0x7FFF) AddValue(out, "ext_temperature", BeS16(p) / 100.0, "°C");
  };
  switch (ext) {
    case 0x01: probe_temperature(v); break;
    case 0x04:
      AddValue(out, "interrupt_level", v[0] != 0, "");
      AddValue(out, "interrupt_status", v[1] != 0, "");
      break;
    case 0x05: AddValue(out, "illuminance", BeU16(v), "lux"); break;
    case 0x06: AddValue(out, "adc_voltage", BeU16(v) / 1000.0, "V"); break;
    case 0x07: AddValue(out, "count", BeU16(v), ""); break;
    case 0x08: AddValue(out, "count", BeU32(v), ""); break;
    case 0x09: probe_temperature(b.data()); break;
    default: break;  // no external sensor (0), probe id (15), or a mode without a value
  }
  return out;
}

}  // namespace telecollect::decode
