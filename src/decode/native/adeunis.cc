#include "decode/native/adeunis.h"

#include <cstdio>

#include "decode/native/big_endian.h"

namespace telecollect::decode {
namespace {

using Model = AdeunisDecoder::Model;

const char* ModelName(Model m) {
  switch (m) {
    case Model::kComfort: return "Comfort";
    case Model::kComfort2: return "Comfort 2";
    case Model::kComfortCo2: return "Comfort CO2";
    case Model::kTemp: return "Temp";
    case Model::kTemp3: return "Temp 3";
    case Model::kTemp4: return "Temp 4";
    case Model::kPulse: return "Pulse";
    case Model::kPulse3: return "Pulse 3";
    case Model::kPulse4: return "Pulse 4";
  }
  return "?";
}

const char* DataFrames(Model m) {
  switch (m) {
    case Model::kComfort: case Model::kComfort2: return "0x4c, 0x4d";
    case Model::kComfortCo2: return "0x6a, 0x6b";
    case Model::kTemp: return "0x43";
    case Model::kTemp3: case Model::kTemp4: return "0x57, 0x58";
    case Model::kPulse: return "0x46, 0x47, 0x48";
    case Model::kPulse3: case Model::kPulse4: return "0x46, 0x47, 0x5a, 0x5b";
  }
  return "";
}

// Models whose status byte bit 2 announces a timestamp in the frame's last 4 bytes.
bool HasTimestamp(Model m) {
  return m == Model::kComfort2 || m == Model::kComfortCo2 || m == Model::kTemp4 || m == Model::kPulse4;
}

// Frames that carry settings, registers or daily keep-alive summaries: the
// status byte is all that becomes a measurement.
bool IsServiceFrame(uint8_t code) { return (code >= 0x10 && code <= 0x3f) || code == 0x51 || code == 0x52; }

std::string FrameName(uint8_t code) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "0x%02x frame", code);
  return buf;
}

// A temperature in tenths of °C; 0x8000 (-3276.8) means "no probe".
void AddTemperature(std::vector<DecodedValue>& out, std::string_view field, const uint8_t* p) {
  const int32_t raw = BeS16(p);
  if (raw != -32768) AddValue(out, field, raw / 10.0, "°C");
}

// Temp 3/4 alarm status: 1 high threshold, 2 low threshold, else none (0).
double ThresholdAlarm(uint8_t v) { return v == 1 || v == 2 ? v : 0; }

}  // namespace

Result<std::vector<DecodedValue>> AdeunisDecoder::Decode(const DecodeInput& in) const {
  const Bytes& b = in.bytes;
  const size_t n = b.size();
  if (n < 2) {
    return Status::InvalidArgument("an Adeunis frame starts with a frame code and a status byte; this one has " +
                                   std::to_string(n) + " byte(s)");
  }
  const uint8_t code = b[0];
  const bool stamped = HasTimestamp(model_) && (b[1] & 0x04);
  const size_t body = stamped ? (n >= 6 ? n - 4 : 2) : n;  // bytes before the timestamp
  auto need = [&](size_t bytes) -> Status {
    if (n >= bytes) return Status::Ok();
    return Status::InvalidArgument(FrameName(code) + " of the Adeunis " + ModelName(model_) + " needs " +
                                   std::to_string(bytes) + " bytes" + (stamped ? " (with its timestamp)" : "") +
                                   ", got " + std::to_string(n));
  };
  // History frames: samples of `size` bytes from byte `from` up to the timestamp.
  auto samples = [&](size_t from, size_t size) -> Status {
    if (stamped && n < 6) return need(6);
    if (body >= from && (body - from) % size == 0) return Status::Ok();
    return Status::InvalidArgument(FrameName(code) + " of the Adeunis " + ModelName(model_) + ": " +
                                   std::to_string(body > from ? body - from : 0) + " data byte(s) from byte " +
                                   std::to_string(from) + " are not whole " + std::to_string(size) + "-byte samples");
  };

  std::vector<DecodedValue> out;
  out.reserve(6);
  const uint8_t* p = b.data();
  bool known = IsServiceFrame(code);
  switch (model_) {
    case Model::kComfort:
    case Model::kComfort2:
      if (code == 0x4c) {
        known = true;
        TC_RETURN_IF_ERROR(samples(2, 3));
        if (body >= 5) {
          AddValue(out, "temperature", BeS16(p + 2) / 10.0, "°C");
          AddValue(out, "humidity", p[4], "%RH");
        }
      } else if (code == 0x4d) {
        known = true;
        TC_RETURN_IF_ERROR(need(stamped ? 10 : 6));
        AddValue(out, "temperature", BeS16(p + 3) / 10.0, "°C");
        AddValue(out, "humidity", p[5], "%RH");
        AddValue(out, "alarm_temperature", (p[2] >> 4) != 0, "");
        AddValue(out, "alarm_humidity", p[2] & 0x01, "");
      }
      break;
    case Model::kComfortCo2:
      if (code == 0x6a) {
        known = true;
        TC_RETURN_IF_ERROR(samples(2, 5));
        if (body >= 7) {
          AddValue(out, "temperature", BeS16(p + 2) / 10.0, "°C");
          AddValue(out, "humidity", p[4], "%RH");
          AddValue(out, "co2", BeU16(p + 5), "ppm");
        }
      } else if (code == 0x6b) {
        known = true;
        TC_RETURN_IF_ERROR(need(8));
        AddValue(out, "temperature", BeS16(p + 3) / 10.0, "°C");
        AddValue(out, "humidity", p[5], "%RH");
        AddValue(out, "co2", BeS16(p + 6), "ppm");  // signed in the alarm frame, as Adeunis reads it
        AddValue(out, "alarm_temperature", (p[2] & 0x10) != 0, "");
        AddValue(out, "alarm_humidity", p[2] & 0x01, "");
        AddValue(out, "alarm_co2", (p[2] & 0x20) != 0, "");
      }
      break;
    case Model::kTemp:
      if (code == 0x43) {
        known = true;
        TC_RETURN_IF_ERROR(need(8));
        // Firmware after 1.3.8 says whether each probe is activated (bit 0 of
        // its id byte); older firmware marks itself with 2 in byte 5's low nibble.
        const bool has_state = (p[5] & 0x0F) != 2;
        if (!has_state || (p[2] & 0x01)) AddTemperature(out, "temperature_1", p + 3);
        if (!has_state || (p[5] & 0x01)) AddTemperature(out, "temperature_2", p + 6);
      }
      break;
    case Model::kTemp3:
    case Model::kTemp4: {
      const bool two = p[1] & 0x10;
      if (code == 0x57) {
        known = true;
        TC_RETURN_IF_ERROR(samples(2, two ? 4 : 2));
        if (body >= (two ? 6u : 4u)) {
          AddTemperature(out, "temperature_1", p + 2);
          if (two) AddTemperature(out, "temperature_2", p + 4);
        }
      } else if (code == 0x58) {
        known = true;
        TC_RETURN_IF_ERROR(need((two ? 8 : 5) + (stamped ? 4 : 0)));
        AddTemperature(out, "temperature_1", p + 3);
        AddValue(out, "alarm_temperature_1", ThresholdAlarm(p[2]), "");
        if (two) {
          AddTemperature(out, "temperature_2", p + 6);
          AddValue(out, "alarm_temperature_2", ThresholdAlarm(p[5]), "");
        }
      }
      break;
    }
    case Model::kPulse:
    case Model::kPulse3:
    case Model::kPulse4:
      if (code == 0x46) {
        known = true;
        TC_RETURN_IF_ERROR(need(stamped ? 14 : 10));
        AddValue(out, "index_a", BeU32(p + 2), "");
        AddValue(out, "index_b", BeU32(p + 6), "");
      } else if (code == 0x47) {
        known = true;
        TC_RETURN_IF_ERROR(need(stamped ? 10 : 6));
        AddValue(out, "flow_a", BeU16(p + 2), "");
        AddValue(out, "flow_b", BeU16(p + 4), "");
      } else if (code == 0x48 && model_ == Model::kPulse) {
        // Historic deltas; the first frame of a series also carries both indexes.
        known = true;
        TC_RETURN_IF_ERROR(need(3));
        const size_t from = p[2] == 0 ? 11 : 3;
        TC_RETURN_IF_ERROR(need(from));
        TC_RETURN_IF_ERROR(samples(from, 4));
        if (p[2] == 0) {
          AddValue(out, "index_a", BeU32(p + 3), "");
          AddValue(out, "index_b", BeU32(p + 7), "");
        }
      } else if ((code == 0x5a || code == 0x5b) && model_ != Model::kPulse) {
        known = true;
        TC_RETURN_IF_ERROR(need(stamped ? 10 : 6));
        TC_RETURN_IF_ERROR(samples(6, 2));
        AddValue(out, code == 0x5a ? "index_a" : "index_b", BeU32(p + 2), "");
      }
      break;
  }
  if (!known) {
    return Status::InvalidArgument(FrameName(code) + " is not a frame of the Adeunis " + ModelName(model_) +
                                   " (its data frames: " + DataFrames(model_) + ")");
  }
  AddValue(out, "low_battery", (p[1] & 0x02) != 0, "");
  return out;
}

}  // namespace telecollect::decode
