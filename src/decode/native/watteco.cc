#include "decode/native/watteco.h"

#include <bit>
#include <cmath>
#include <cstdio>

#include "decode/native/big_endian.h"

namespace telecollect::decode {
namespace {

std::string Hex16(uint32_t v) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "0x%04x", v);
  return buf;
}

// Size of a ZCL attribute value of `type` at `p` (`left` bytes there), or -1.
int ValueSize(uint8_t type, const uint8_t* p, size_t left) {
  switch (type) {
    case 0x08: case 0x10: case 0x18: case 0x20: case 0x28: case 0x30: return 1;
    case 0x09: case 0x19: case 0x21: case 0x29: case 0x31: return 2;
    case 0x22: case 0x2A: return 3;
    case 0x23: case 0x2B: case 0x39: return 4;
    case 0x41: case 0x42: return left < 1 ? -1 : 1 + p[0];
    default: return -1;
  }
}

// The numeric value of a fixed-size attribute.
double Number(uint8_t type, const uint8_t* p) {
  switch (type) {
    case 0x28: return static_cast<int8_t>(p[0]);
    case 0x29: return BeS16(p);
    case 0x2A: return static_cast<int32_t>(BeU24(p) << 8) >> 8;
    case 0x2B: return BeS32(p);
    case 0x39: return std::bit_cast<float>(BeU32(p));
    case 0x09: case 0x19: case 0x21: case 0x31: return BeU16(p);
    case 0x22: return BeU24(p);
    case 0x23: return BeU32(p);
    default: return p[0];
  }
}

struct Attribute {
  uint16_t cluster, attribute;
  const char* name;
  double divisor;
  const char* unit;
};

constexpr Attribute kAttributes[] = {
    {0x0402, 0x0000, "temperature", 100, "°C"},
    {0x0405, 0x0000, "humidity", 100, "%RH"},
    {0x0400, 0x0000, "illuminance", 1, "lux"},
    {0x0403, 0x0000, "pressure", 1, "hPa"},
    {0x0406, 0x0000, "occupancy", 1, ""},
    {0x800C, 0x0000, "concentration", 1, "ppm"},
    {0x000F, 0x0402, "index", 1, ""},
    {0x000F, 0x0055, "pin_state", 1, ""},
    {0x0006, 0x0000, "on_off", 1, ""},
    {0x000C, 0x0055, "analog", 1, ""},
    {0x0013, 0x0055, "multistate", 1, ""},
    {0x8008, 0x0000, "differential_pressure", 1, "Pa"},
};

class Out {
 public:
  Out(std::vector<DecodedValue>& out, int endpoint) : out_(out), suffix_(endpoint ? "_ep" + std::to_string(endpoint) : "") {}
  void Put(std::string_view name, double value, std::string_view unit) {
    if (!std::isfinite(value)) return;  // a float attribute reading NaN: no measurement
    if (suffix_.empty()) {
      AddValue(out_, name, value, unit);
    } else {
      AddValue(out_, std::string(name) + suffix_, value, unit);
    }
  }

 private:
  std::vector<DecodedValue>& out_;
  std::string suffix_;
};

// Structured attributes: an octet string whose bytes follow `p` (length at p[0]).
Status DecodeStructured(uint16_t cluster, const uint8_t* p, size_t size, Out& out) {
  const uint8_t* v = p + 1;
  const size_t n = size - 1;
  auto need = [&](size_t bytes, const char* what) -> Status {
    if (n >= bytes) return Status::Ok();
    return Status::InvalidArgument(std::string(what) + " needs " + std::to_string(bytes) + " bytes, the string has " +
                                   std::to_string(n));
  };
  if (cluster == 0x0050) {  // node power descriptor: a mask of sources, then 1/1000 V each
    TC_RETURN_IF_ERROR(need(2, "power descriptor"));
    static const char* kSources[] = {"main_or_external_voltage", "rechargeable_battery_voltage",
                                     "disposable_battery_voltage", "solar_harvesting_voltage", "tic_harvesting_voltage"};
    size_t at = 2;
    for (int bit = 0; bit < 5; ++bit) {
      if (!(v[1] & (1 << bit))) continue;
      TC_RETURN_IF_ERROR(need(at + 2, "power descriptor"));
      out.Put(kSources[bit], BeU16(v + at) / 1000.0, "V");
      at += 2;
    }
    return Status::Ok();
  }
  if (cluster == 0x800A) {  // energy and power metering, 8 signed 32-bit values
    TC_RETURN_IF_ERROR(need(32, "energy and power metering"));
    static const char* kNames[] = {"positive_active_energy", "negative_active_energy", "positive_reactive_energy",
                                   "negative_reactive_energy", "positive_active_power", "negative_active_power",
                                   "positive_reactive_power", "negative_reactive_power"};
    static const char* kUnits[] = {"Wh", "Wh", "varh", "varh", "W", "W", "var", "var"};
    for (int i = 0; i < 8; ++i) out.Put(kNames[i], BeS32(v + 4 * i), kUnits[i]);
    return Status::Ok();
  }
  // 0x800B voltage and current metering
  TC_RETURN_IF_ERROR(need(6, "voltage and current metering"));
  out.Put("vrms", BeS16(v) / 10.0, "V");
  out.Put("irms", BeS16(v + 2) / 10.0, "A");
  out.Put("phase_angle", BeS16(v + 4), "°");
  return Status::Ok();
}

}  // namespace

Result<std::vector<DecodedValue>> WattecoDecoder::Decode(const DecodeInput& in) const {
  const Bytes& b = in.bytes;
  const int fport = in.fport.value_or(125);
  if (fport != 125) return Status::InvalidArgument("fPort " + std::to_string(fport) + " is not Watteco's report port (125)");
  if (b.size() < 2) return Status::InvalidArgument("a Watteco frame has at least 2 bytes, got " + std::to_string(b.size()));
  if (!(b[0] & 0x01)) {
    return Status::InvalidArgument("batch (compressed) reports are not decoded natively: use Watteco's batch decoder as a script");
  }
  std::vector<DecodedValue> out;
  const uint8_t command = b[1];
  if (command != 0x0A && command != 0x8A && command != 0x01) return out;  // configuration answers
  // A read-attribute answer whose status byte (6) is not 0 carries no value.
  if (command == 0x01 && b.size() >= 7 && b[6] != 0) return out;
  const size_t value_at = command == 0x01 ? 8 : 7;
  if (b.size() < value_at) {
    return Status::InvalidArgument("a Watteco report needs " + std::to_string(value_at) + " bytes before its value, got " +
                                   std::to_string(b.size()));
  }
  const uint16_t cluster = static_cast<uint16_t>(BeU16(b.data() + 2));
  const uint16_t attribute = static_cast<uint16_t>(BeU16(b.data() + 4));
  const uint8_t type = b[value_at - 1];
  const uint8_t* value = b.data() + value_at;
  const size_t left = b.size() - value_at;
  const int size = ValueSize(type, value, left);
  // Errors name the cluster and attribute (built only when one happens).
  auto error = [&](const std::string& what) {
    return Status::InvalidArgument("cluster " + Hex16(cluster) + " attribute " + Hex16(attribute) + what);
  };
  if (size < 0) return error(": unknown attribute type " + Hex16(type));
  if (static_cast<size_t>(size) > left) {
    return error(": the value needs " + std::to_string(size) + " bytes, " + std::to_string(left) + " left");
  }
  const int endpoint = ((b[0] & 0xE0) >> 5) | ((b[0] & 0x06) << 2);
  Out put(out, endpoint);
  const bool is_string = type == 0x41 || type == 0x42;
  const bool structured = (attribute == 0x0000 && (cluster == 0x800A || cluster == 0x800B)) ||
                          (cluster == 0x0050 && attribute == 0x0006);
  if (structured && is_string) {
    TC_RETURN_IF_ERROR(DecodeStructured(cluster, value, static_cast<size_t>(size), put));
    return out;
  }
  for (const Attribute& a : kAttributes) {
    if (a.cluster != cluster || a.attribute != attribute) continue;
    if (is_string) return error(": a string where a number is expected");
    put.Put(a.name, Number(type, value) / a.divisor, a.unit);
    return out;
  }
  if (cluster == 0x0050 || cluster == 0x0000) return out;  // configuration and basic clusters: nothing to store
  return error(" is not decoded natively (a script decoder can take it)");
}

}  // namespace telecollect::decode
