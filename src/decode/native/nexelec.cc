#include "decode/native/nexelec.h"

#include <cmath>

namespace telecollect::decode {
namespace {

// Reads fields of n bits, most significant bit first.
class Bits {
 public:
  explicit Bits(const Bytes& b) : b_(b) {}
  uint32_t Take(int n) {
    uint32_t v = 0;
    for (int i = 0; i < n; ++i, ++pos_) v = v << 1 | ((b_[pos_ / 8] >> (7 - pos_ % 8)) & 1);
    return v;
  }
  void Skip(int n) { pos_ += static_cast<size_t>(n); }

 private:
  const Bytes& b_;
  size_t pos_ = 0;
};

// Rounds to one decimal, as Nexelec shows its readings.
double Tenths(double v) { return std::round(v * 10) / 10; }

// Air quality levels: 0 excellent .. 4 bad; the error code leaves the level out.
void AddLevel(std::vector<DecodedValue>& out, std::string_view field, uint32_t level) {
  if (level <= 4) AddValue(out, field, level, "");
}

Status NeedBytes(const Bytes& b, size_t n, const char* what) {
  if (b.size() >= n) return Status::Ok();
  return Status::InvalidArgument(std::string(what) + " needs " + std::to_string(n) + " bytes, got " + std::to_string(b.size()));
}

Result<std::vector<DecodedValue>> DecodeCarbon(const Bytes& b) {
  std::vector<DecodedValue> out;
  if (b.empty() || (b[0] >> 4) != 0x7) {
    return Status::InvalidArgument("not an Insafe+ Carbon frame (first 4 bits are not 0x7)");
  }
  Bits bits(b);
  bits.Skip(4);
  const uint32_t type = bits.Take(4);
  switch (type) {
    case 0x2:  // real time: CO2 ×20 ppm, temperature ×0.2 °C, humidity ×0.5 %, indexes
      TC_RETURN_IF_ERROR(NeedBytes(b, 7, "Carbon real-time message"));
      AddValue(out, "co2", 20.0 * bits.Take(8), "ppm");
      AddValue(out, "temperature", Tenths(0.2 * bits.Take(8)), "°C");
      AddValue(out, "humidity", 0.5 * bits.Take(8), "%RH");
      AddLevel(out, "iaq_global", bits.Take(3));
      bits.Skip(4);  // which indicator drives the global one
      AddLevel(out, "iaq_co2", bits.Take(3));
      AddLevel(out, "iaq_dryness", bits.Take(3));
      AddLevel(out, "iaq_mould", bits.Take(3));
      AddLevel(out, "iaq_dust_mites", bits.Take(3));
      break;
    case 0x3:  // product status: battery level 0 high, 1 medium, 2 critical; hardware fault
      TC_RETURN_IF_ERROR(NeedBytes(b, 2, "Carbon status message"));
      AddValue(out, "battery_level", bits.Take(2), "");
      AddValue(out, "hardware_fault", bits.Take(1), "");
      break;
    case 0x5: {  // datalog: three samples, the last one is now
      TC_RETURN_IF_ERROR(NeedBytes(b, 11, "Carbon datalog message"));
      bits.Skip(48);
      AddValue(out, "co2", 20.0 * bits.Take(8), "ppm");
      AddValue(out, "temperature", Tenths(0.2 * bits.Take(8)), "°C");
      AddValue(out, "humidity", 0.5 * bits.Take(8), "%RH");
      break;
    }
    case 0x6:  // temperature alert
      TC_RETURN_IF_ERROR(NeedBytes(b, 3, "Carbon temperature alert"));
      AddValue(out, "temperature", Tenths(0.2 * bits.Take(8)), "°C");
      AddValue(out, "temperature_threshold_1", bits.Take(1), "");
      AddValue(out, "temperature_threshold_2", bits.Take(1), "");
      break;
    case 0x7: {  // CO2 alert
      TC_RETURN_IF_ERROR(NeedBytes(b, 3, "Carbon CO2 alert"));
      AddValue(out, "co2", 20.0 * bits.Take(8), "ppm");
      bits.Skip(3);  // frame index
      AddValue(out, "co2_threshold_1", bits.Take(1), "");
      AddValue(out, "co2_threshold_2", bits.Take(1), "");
      break;
    }
    case 0x4: case 0x8: case 0x9: case 0xA: break;  // push button, configuration, keep-alive
    default: return Status::InvalidArgument("unknown Insafe+ Carbon message type " + std::to_string(type));
  }
  return out;
}

// Origin temperature: 9 bits of 0.1 °C; above 500 is an error code.
void AddOriginTemperature(std::vector<DecodedValue>& out, std::string_view field, uint32_t raw) {
  if (raw <= 500) AddValue(out, field, Tenths(0.1 * raw), "°C");
}

Result<std::vector<DecodedValue>> DecodeOrigin(const Bytes& b) {
  std::vector<DecodedValue> out;
  if (b.size() < 2 || b[0] != 0xA2) return Status::InvalidArgument("not an Insafe+ Origin frame (first byte is not 0xa2)");
  Bits bits(b);
  bits.Skip(16);
  switch (b[1]) {
    case 0x00:  // product status
      TC_RETURN_IF_ERROR(NeedBytes(b, 9, "Origin status message"));
      bits.Skip(16);  // hardware and software revisions
      AddValue(out, "remaining_lifetime", bits.Take(8), "months");
      AddValue(out, "smoke_sensor_fault", bits.Take(1), "");
      AddValue(out, "temperature_humidity_sensor_fault", bits.Take(1), "");
      bits.Skip(6);
      AddValue(out, "battery1_voltage", (bits.Take(8) * 5 + 2000) / 1000.0, "V");
      AddValue(out, "battery2_voltage", (bits.Take(8) * 5 + 2000) / 1000.0, "V");
      AddValue(out, "battery_level", bits.Take(2), "");
      break;
    case 0x03:  // smoke alarm status
      TC_RETURN_IF_ERROR(NeedBytes(b, 3, "Origin smoke alarm message"));
      AddValue(out, "smoke_alarm", bits.Take(1), "");
      AddValue(out, "smoke_alarm_hush", bits.Take(1), "");
      AddValue(out, "smoke_test", bits.Take(1), "");
      AddValue(out, "maintenance_alarm", bits.Take(1), "");
      AddValue(out, "humidity_alarm", bits.Take(1), "");
      AddValue(out, "temperature_alarm", bits.Take(1), "");
      break;
    case 0x04: {  // daily air quality: min, max, mean temperature (×0.2 °C) and humidity (×0.5 %)
      TC_RETURN_IF_ERROR(NeedBytes(b, 9, "Origin daily air quality message"));
      AddLevel(out, "iaq_global", bits.Take(3));
      bits.Skip(5);
      static const char* kTemperatures[] = {"temperature_min", "temperature_max", "temperature_mean"};
      static const char* kHumidities[] = {"humidity_min", "humidity_max", "humidity_mean"};
      for (const char* name : kTemperatures) {
        const uint32_t raw = bits.Take(8);
        if (raw != 255) AddValue(out, name, Tenths(0.2 * raw), "°C");
      }
      for (const char* name : kHumidities) {
        const uint32_t raw = bits.Take(8);
        if (raw != 255) AddValue(out, name, 0.5 * raw, "%RH");
      }
      break;
    }
    case 0x05: {  // real time
      TC_RETURN_IF_ERROR(NeedBytes(b, 7, "Origin real-time message"));
      AddLevel(out, "iaq_global", bits.Take(3));
      bits.Skip(4);
      AddLevel(out, "iaq_dryness", bits.Take(3));
      AddLevel(out, "iaq_mould", bits.Take(3));
      AddLevel(out, "iaq_dust_mites", bits.Take(3));
      AddOriginTemperature(out, "temperature", bits.Take(9));
      const uint32_t rh = bits.Take(8);
      if (rh != 255) AddValue(out, "humidity", 0.5 * rh, "%RH");
      break;
    }
    case 0x08:  // temperature alert
      TC_RETURN_IF_ERROR(NeedBytes(b, 4, "Origin temperature alert"));
      AddOriginTemperature(out, "temperature", bits.Take(9));
      AddValue(out, "temperature_threshold_1", bits.Take(1), "");
      AddValue(out, "temperature_threshold_2", bits.Take(1), "");
      break;
    case 0x01: case 0x02: case 0x06: case 0x07: break;  // configuration, keep-alive, datalogs
    default: return Status::InvalidArgument("unknown Insafe+ Origin message type " + std::to_string(b[1]));
  }
  return out;
}

}  // namespace

Result<std::vector<DecodedValue>> NexelecDecoder::Decode(const DecodeInput& in) const {
  return model_ == Model::kCarbon ? DecodeCarbon(in.bytes) : DecodeOrigin(in.bytes);
}

}  // namespace telecollect::decode
