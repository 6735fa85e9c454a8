#include "decode/native/netvox.h"

#include <bit>
#include <cmath>
#include <cstdio>
#include <cstring>

#include "decode/native/big_endian.h"

namespace telecollect::decode {
namespace {

// How a model's data reports are laid out.
enum class Layout {
  kTempHumi,       // Temp 1/100 °C, Humi 1/100 %
  kTempHumiPm25,   // + PM2.5
  kTemp100,        // Temp 1/100 °C
  kTemp10,         // Temp 1/10 °C
  kTwoTemps10,     // Temp1, Temp2 1/10 °C
  kStatus,         // one contact / presence / tilt state
  kTwoStatus,      // two of them
  kOnOff,
  kIlluminance16,
  kIlluminance32,  // 32-bit lux, battery byte without low flag
  kWaterLeak,
  kTwoWaterLeaks,
  kPulse,
  kTwoPulses,
  kAdc,
  kCurrentKa,      // R718KA: mA and tenths
  kTwoCurrentsKa,  // R718KA2
  kCurrentN1,      // R718N1: current and multiplier
  kCurrentN3,      // R718N3: three currents (report 1), multipliers (report 2)
  kRadio,          // R718MA/R311D: RSSI, SNR, heartbeat interval
  kWorkCount,
  kWorkDuration,
  kAlarm,
  kDoorbell,
  kOccupancy,      // RB11E: Temp, Illuminance, Occupy, DisassembledAlarm
  kSiren,          // R602A: heartbeat time, warning state (no battery byte)
  kDistanceSwitch, // R311LA: state and raw sensing, battery without low flag
  kVibration,      // R718E: acceleration (report 1), velocity and Temp (report 2)
  kPlug,           // R809A/R816B: state, energy, alarms (1); voltage, current, power (2)
  kAirQuality,     // RA07/R726 series: report type selects the sensor pair/triple
};

struct Model {
  uint8_t device_type;
  const char* name;
  Layout layout;
};

// Device type bytes as Netvox documents them.
constexpr Model kModels[] = {
    {0x01, "R711", Layout::kTempHumi},        {0x02, "R311A", Layout::kOnOff},
    {0x03, "RB11E", Layout::kOccupancy},      {0x04, "R311G", Layout::kIlluminance16},
    {0x05, "RA07", Layout::kAirQuality},      {0x06, "R311W", Layout::kTwoWaterLeaks},
    {0x09, "R726", Layout::kAirQuality},      {0x0B, "R718A", Layout::kTempHumi},
    {0x0D, "RA07Y", Layout::kAirQuality},     {0x0E, "R809A", Layout::kPlug},
    {0x10, "RB02I", Layout::kAlarm},          {0x12, "R718WB", Layout::kWaterLeak},
    {0x13, "R718AB", Layout::kTempHumi},      {0x14, "R718B2", Layout::kTwoTemps10},
    {0x16, "R718CK2", Layout::kTwoTemps10},   {0x17, "R718CT2", Layout::kTwoTemps10},
    {0x1A, "R718DA", Layout::kStatus},        {0x1B, "R718DB", Layout::kStatus},
    {0x1C, "R718E", Layout::kVibration},      {0x1D, "R718F", Layout::kOnOff},
    {0x1E, "R718G", Layout::kIlluminance32},  {0x1F, "R718H", Layout::kPulse},
    {0x20, "R718IA", Layout::kAdc},           {0x21, "R718J", Layout::kStatus},
    {0x22, "R718KA", Layout::kCurrentKa},     {0x25, "R718LB", Layout::kStatus},
    {0x26, "R718MA", Layout::kRadio},         {0x27, "R718MBA", Layout::kStatus},
    {0x2A, "R718IB", Layout::kAdc},           {0x2B, "R718MBB", Layout::kWorkCount},
    {0x2C, "R718MBC", Layout::kWorkDuration}, {0x2F, "R718DA2", Layout::kTwoStatus},
    {0x31, "R718T", Layout::kAlarm},          {0x32, "R718WA", Layout::kWaterLeak},
    {0x35, "RA0716", Layout::kTempHumiPm25},  {0x36, "R72616", Layout::kTempHumiPm25},
    {0x37, "R72716", Layout::kTempHumiPm25},  {0x3D, "R718DB2", Layout::kTwoStatus},
    {0x3E, "R718F2", Layout::kTwoStatus},     {0x3F, "R718H2", Layout::kTwoPulses},
    {0x43, "R718J2", Layout::kTwoStatus},     {0x44, "R718KA2", Layout::kTwoCurrentsKa},
    {0x45, "R718LB2", Layout::kTwoStatus},    {0x49, "R718N1", Layout::kCurrentN1},
    {0x4A, "R718N3", Layout::kCurrentN3},     {0x4B, "R311B", Layout::kIlluminance16},
    {0x4C, "R311CA", Layout::kTwoStatus},     {0x4D, "R312A", Layout::kAlarm},
    {0x4E, "R311D", Layout::kRadio},          {0x4F, "R311FA", Layout::kStatus},
    {0x50, "R311FB", Layout::kWorkCount},     {0x51, "R311FC", Layout::kWorkDuration},
    {0x55, "R312", Layout::kDoorbell},        {0x56, "R311CB", Layout::kTwoStatus},
    {0x5B, "R718Q", Layout::kStatus},         {0x69, "R602A", Layout::kSiren},
    {0x6A, "R72616A", Layout::kTempHumiPm25}, {0x6C, "R311CC", Layout::kTwoStatus},
    {0x6E, "R720A", Layout::kTempHumi},       {0x73, "R816B", Layout::kPlug},
    {0x81, "R730MA", Layout::kRadio},         {0x82, "R730MBA", Layout::kStatus},
    {0x89, "R730DA", Layout::kStatus},        {0x8B, "R730DB", Layout::kStatus},
    {0x8D, "R730LB", Layout::kStatus},        {0x90, "R718CJ", Layout::kTemp10},
    {0x91, "R718CK", Layout::kTemp10},        {0x92, "R718CT", Layout::kTemp10},
    {0x93, "R718CR", Layout::kTemp10},        {0x94, "R718CE", Layout::kTemp10},
    {0x95, "R718B", Layout::kTemp10},         {0x97, "R718QA", Layout::kStatus},
    {0x9C, "R718AD", Layout::kTemp100},       {0xA8, "R311DA", Layout::kStatus},
    {0xA9, "R311DB", Layout::kStatus},        {0xAA, "R311LA", Layout::kDistanceSwitch},
    {0xB7, "R720F", Layout::kStatus},         {0xBC, "R711A", Layout::kTemp100},
};

const Model* FindModel(uint8_t device_type) {
  for (const Model& m : kModels) {
    if (m.device_type == device_type) return &m;
  }
  return nullptr;
}

std::string Hex(uint8_t b) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "0x%02x", b);
  return buf;
}

// Netvox's 16-bit floats are the top half of an IEEE float32 (1 sign, 8
// exponent, 7 fraction bits), sent little-endian; Netvox rounds them to 6 decimals.
double HalfOfFloat32(const uint8_t* p) {
  const uint32_t bits = (static_cast<uint32_t>(p[1]) << 8 | p[0]) << 16;
  const double v = std::bit_cast<float>(bits);
  return std::round(v * 1e6) / 1e6;
}

class Report {
 public:
  Report(const Bytes& b, std::vector<DecodedValue>& out) : b_(b), out_(out) {}
  const uint8_t* at(size_t i) const { return b_.data() + i; }
  uint8_t byte(size_t i) const { return b_[i]; }
  void Put(std::string_view field, double value, std::string_view unit) {
    if (std::isfinite(value)) AddValue(out_, field, value, unit);
  }
  // A 16-bit sensor slot; all ones means no sensor there.
  void PutSlot(std::string_view field, size_t i, double scale, bool is_signed, std::string_view unit) {
    const uint32_t raw = BeU16(at(i));
    if (raw == 0xFFFF) return;
    Put(field, (is_signed ? BeS16(at(i)) : static_cast<int32_t>(raw)) * scale, unit);
  }
  void Battery(bool has_low_flag) { Put("Volt", (has_low_flag ? b_[3] & 0x7F : b_[3]) / 10.0, "V"); }

 private:
  const Bytes& b_;
  std::vector<DecodedValue>& out_;
};

// The last byte each layout reads, for its length check.
size_t LastByte(Layout layout, uint8_t report) {
  switch (layout) {
    case Layout::kStatus: case Layout::kOnOff: case Layout::kWaterLeak: case Layout::kAlarm:
    case Layout::kDoorbell: return 4;
    case Layout::kTwoStatus: case Layout::kTwoWaterLeaks: case Layout::kTemp100: case Layout::kTemp10:
    case Layout::kIlluminance16: case Layout::kPulse: case Layout::kAdc: case Layout::kCurrentKa: case Layout::kSiren:
      return 5;
    case Layout::kCurrentN1: case Layout::kDistanceSwitch: return 6;
    case Layout::kTempHumi: case Layout::kTwoTemps10: case Layout::kIlluminance32: case Layout::kTwoPulses:
    case Layout::kTwoCurrentsKa: case Layout::kWorkCount: case Layout::kWorkDuration: return 7;
    case Layout::kRadio: return 8;
    case Layout::kTempHumiPm25: case Layout::kOccupancy: return 9;
    case Layout::kCurrentN3: return report == 2 ? 5 : 10;
    case Layout::kVibration: return report == 1 ? 9 : 10;
    case Layout::kPlug: return report == 1 ? 10 : 8;
    case Layout::kAirQuality: return report == 10 ? 10 : 9;
  }
  return 10;
}

Status DecodeAirQuality(Report& r, uint8_t report) {
  struct Slot {
    const char* name;
    double scale;
    bool is_signed;
    const char* unit;
  };
  struct Row {
    Slot slots[3];
  };
  // Report types 1-14: three 16-bit slots at bytes 4, 6, 8 (fewer for some).
  static const Row kRows[] = {
      {{{"PM1_0", 1, false, "µg/m³"}, {"PM2_5", 1, false, "µg/m³"}, {"PM10", 1, false, "µg/m³"}}},
      {{{"PM1_0", 1, false, "µg/m³"}, {"PM2_5", 1, false, "µg/m³"}, {"PM10", 1, false, "µg/m³"}}},
      {{{"um0_3", 1, false, ""}, {"um0_5", 1, false, ""}, {"um1_0", 1, false, ""}}},
      {{{"um2_5", 1, false, ""}, {"um5_0", 1, false, ""}, {"um10", 1, false, ""}}},
      {{{"O3", 0.1, false, "ppm"}, {"CO", 0.1, false, "ppm"}, {"NO", 0.1, false, "ppm"}}},
      {{{"NO2", 0.1, false, "ppm"}, {"SO2", 0.1, false, "ppm"}, {"H2S", 0.1, false, "ppm"}}},
      {{{"CO2", 0.1, false, "ppm"}, {"NH3", 0.1, false, "ppm"}, {"Noise", 0.1, false, "dB"}}},
      {{{"PH", 0.01, false, "pH"}, {"TempPH", 0.01, true, "°C"}, {"ORP", 1, true, "mV"}}},
      {{{"NTU", 0.1, false, "NTU"}, {"TempNTU", 0.01, true, "°C"}, {"EC5SoildHumi", 0.01, false, "%"}}},
      {{{"SoildHumi5TE", 0.01, false, "%"}, {"SoildTemp5TE", 0.01, true, "°C"}, {"WaterLevel", 1, false, "cm"}}},
      {{{"TempLDO", 0.01, true, "°C"}, {"LDO_DO", 0.01, false, "mg/L"}, {"LDO_Sat", 0.1, false, "%"}}},
      {{{"Temperature", 0.01, true, "°C"}, {"Humidity", 0.01, false, "%RH"}, {"WindSpeed", 0.01, false, "m/s"}}},
      {{{"WindDirection", 1, false, "°"}, {nullptr, 0, false, ""}, {nullptr, 0, false, ""}}},
      {{{"VOC", 0.1, false, "ppm"}, {nullptr, 0, false, ""}, {nullptr, 0, false, ""}}},
  };
  if (report < 1 || report > 14) return Status::InvalidArgument("unknown air quality report type " + Hex(report));
  r.Battery(true);
  const Row& row = kRows[report - 1];
  for (int i = 0; i < 3; ++i) {
    const Slot& s = row.slots[i];
    if (s.name) r.PutSlot(s.name, 4 + 2 * i, s.scale, s.is_signed, s.unit);
  }
  if (report == 10 && r.byte(10) != 0xFF) r.Put("EC5TE", r.byte(10) / 10.0, "dS/m");
  if (report == 13 && BeU32(r.at(6)) != 0xFFFFFFFF) r.Put("Atomsphere", BeU32(r.at(6)) / 100.0, "hPa");
  return Status::Ok();
}

}  // namespace

std::string_view NetvoxDecoder::ModelName(uint8_t device_type) {
  const Model* m = FindModel(device_type);
  return m ? m->name : "";
}

Result<std::vector<DecodedValue>> NetvoxDecoder::Decode(const DecodeInput& in) const {
  const Bytes& b = in.bytes;
  const int fport = in.fport.value_or(6);
  std::vector<DecodedValue> out;
  if (fport == 7 || fport == 13 || fport == 14) return out;  // configuration answers
  if (fport != 6) return Status::InvalidArgument("fPort " + std::to_string(fport) + " is not a Netvox port (6 reports; 7, 13, 14 answers)");
  if (b.size() < 3) {
    return Status::InvalidArgument("a Netvox report has version, device type and report type bytes; this one has " +
                                   std::to_string(b.size()) + " byte(s)");
  }
  const Model* model = FindModel(b[1]);
  if (!model) return Status::InvalidArgument("unknown Netvox device type " + Hex(b[1]) + " (byte 1)");
  const uint8_t report = b[2];
  if (report == 0) return out;  // firmware version report
  const size_t need = LastByte(model->layout, report) + 1;
  if (b.size() < need) {
    return Status::InvalidArgument(std::string("Netvox ") + model->name + " report " + Hex(report) + " needs " +
                                   std::to_string(need) + " bytes, got " + std::to_string(b.size()));
  }
  out.reserve(6);
  Report r(b, out);
  auto state = [&](std::string_view field, size_t i) { r.Put(field, b[i] != 0, ""); };
  switch (model->layout) {
    case Layout::kTempHumi:
    case Layout::kTempHumiPm25:
      r.Battery(true);
      r.Put("Temp", BeS16(r.at(4)) / 100.0, "°C");
      r.Put("Humi", BeU16(r.at(6)) / 100.0, "%RH");
      if (model->layout == Layout::kTempHumiPm25) r.Put("PM25", BeU16(r.at(8)), "µg/m³");
      break;
    case Layout::kTemp100: r.Battery(true); r.Put("Temp", BeS16(r.at(4)) / 100.0, "°C"); break;
    case Layout::kTemp10: r.Battery(true); r.Put("Temp", BeS16(r.at(4)) / 10.0, "°C"); break;
    case Layout::kTwoTemps10:
      r.Battery(true);
      r.Put("Temp1", BeS16(r.at(4)) / 10.0, "°C");
      r.Put("Temp2", BeS16(r.at(6)) / 10.0, "°C");
      break;
    case Layout::kStatus: r.Battery(true); r.Put("status", b[4], ""); break;
    case Layout::kTwoStatus: r.Battery(true); r.Put("status1", b[4], ""); r.Put("status2", b[5], ""); break;
    case Layout::kOnOff: r.Battery(true); r.Put("OnOff", b[4], ""); break;
    case Layout::kIlluminance16: r.Battery(true); r.Put("Illuminance", BeU16(r.at(4)), "lux"); break;
    case Layout::kIlluminance32: r.Battery(false); r.Put("Illuminance", BeU32(r.at(4)), "lux"); break;
    case Layout::kWaterLeak: r.Battery(true); state("WaterLeak", 4); break;
    case Layout::kTwoWaterLeaks: r.Battery(true); state("WaterLeak_1", 4); state("WaterLeak_2", 5); break;
    case Layout::kPulse: r.Battery(true); r.Put("PulseCount", BeU16(r.at(4)), ""); break;
    case Layout::kTwoPulses:
      r.Battery(true);
      r.Put("PulseCount1", BeU16(r.at(4)), "");
      r.Put("PulseCount2", BeU16(r.at(6)), "");
      break;
    case Layout::kAdc: r.Battery(true); r.Put("ADCRaw", BeU16(r.at(4)), ""); break;
    case Layout::kCurrentKa: r.Battery(true); r.Put("Current", b[4], "mA"); r.Put("FineCurrent", b[5] / 10.0, "mA"); break;
    case Layout::kTwoCurrentsKa:
      r.Battery(true);
      r.Put("Current_1", b[4], "mA");
      r.Put("Current_2", b[5], "mA");
      r.Put("FineCurrent_1", b[6] / 10.0, "mA");
      r.Put("FineCurrent_2", b[7] / 10.0, "mA");
      break;
    case Layout::kCurrentN1: r.Battery(true); r.Put("Current", BeU16(r.at(4)), "mA"); r.Put("Multiplier", b[6], ""); break;
    case Layout::kCurrentN3:
      r.Battery(true);
      if (report == 2) {
        r.Put("Multiplier2", b[4], "");
        r.Put("Multiplier3", b[5], "");
      } else {
        r.Put("Current1", BeU16(r.at(4)), "mA");
        r.Put("Current2", BeU16(r.at(6)), "mA");
        r.Put("Current3", BeU16(r.at(8)), "mA");
        r.Put("Multiplier1", b[10], "");
      }
      break;
    case Layout::kRadio:
      r.Battery(true);
      r.Put("Rssi", BeS16(r.at(4)), "dBm");
      r.Put("Snr", b[6], "dB");
      r.Put("HeartInterval", BeU16(r.at(7)), "");
      break;
    case Layout::kWorkCount: r.Battery(true); r.Put("WorkCount", BeU32(r.at(4)), ""); break;
    case Layout::kWorkDuration: r.Battery(true); r.Put("WorkDurationTime", BeU32(r.at(4)), ""); break;
    case Layout::kAlarm: r.Battery(true); r.Put("Alarm", b[4], ""); break;
    case Layout::kDoorbell: r.Battery(true); r.Put("Doorbell", b[4], ""); break;
    case Layout::kOccupancy:
      r.Battery(true);
      r.Put("Temp", BeS16(r.at(4)) / 100.0, "°C");
      r.Put("Illuminance", BeU16(r.at(6)), "lux");
      r.Put("Occupy", b[8], "");
      r.Put("DisassembledAlarm", b[9], "");
      break;
    case Layout::kSiren: r.Put("HeartBeatTime", BeU16(r.at(3)), ""); state("WarningStatus", 5); break;
    case Layout::kDistanceSwitch:
      r.Battery(false);
      state("Status", 4);
      r.Put("RawSenseData", BeU16(r.at(5)), "");
      break;
    case Layout::kVibration:
      if (report == 1) {
        r.Battery(true);
        r.Put("AccelerationX", HalfOfFloat32(r.at(4)), "m/s²");
        r.Put("AccelerationY", HalfOfFloat32(r.at(6)), "m/s²");
        r.Put("AccelerationZ", HalfOfFloat32(r.at(8)), "m/s²");
      } else {
        r.Put("VelocityX", HalfOfFloat32(r.at(3)), "mm/s");
        r.Put("VelocityY", HalfOfFloat32(r.at(5)), "mm/s");
        r.Put("VelocityZ", HalfOfFloat32(r.at(7)), "mm/s");
        r.Put("Temp", BeS16(r.at(9)) / 10.0, "°C");
      }
      break;
    case Layout::kPlug:
      if (report == 1) {
        state("OnOff", 3);
        r.Put("Energy", BeU32(r.at(4)), "");
        state("OverCurrentAlarm", 8);
        state("DashCurrentAlarm", 9);
        state("PowerOffAlarm", 10);
      } else {
        r.Put("Vol", BeU16(r.at(3)), "V");
        r.Put("Current", BeU16(r.at(5)), "mA");
        r.Put("Power", BeU16(r.at(7)), "W");
      }
      break;
    case Layout::kAirQuality: TC_RETURN_IF_ERROR(DecodeAirQuality(r, report)); break;
  }
  return out;
}

}  // namespace telecollect::decode
