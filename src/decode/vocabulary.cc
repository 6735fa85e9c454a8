#include "decode/vocabulary.h"

#include <cmath>
#include <limits>

namespace telecollect::decode {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr double kAbsZero = -273.15;

using simdjson::dom::element;
using simdjson::dom::element_type;

// How a native decoder's field maps onto the vocabulary.
struct NativeName {
  std::string_view family;
  std::string_view field;
  std::string_view name;
  double scale;
};

const NativeName kNativeNames[] = {
    {"dragino", "temperature", "air.temperature", 1},
    {"dragino", "humidity", "air.relativeHumidity", 1},
    {"dragino", "battery_voltage", "battery", 1},
    {"dragino", "illuminance", "air.lightIntensity", 1},
    {"elsys", "temperature", "air.temperature", 1},
    {"elsys", "humidity", "air.relativeHumidity", 1},
    {"elsys", "co2", "air.co2", 1},
    {"elsys", "light", "air.lightIntensity", 1},
    {"elsys", "pressure", "air.pressure", 1},
    {"elsys", "vdd", "battery", 0.001},  // mV
    {"elsys", "waterleak", "water.leak", 1},
    {"elsys", "motion", "action.motion.count", 1},
    {"milesight", "temperature", "air.temperature", 1},
    {"milesight", "humidity", "air.relativeHumidity", 1},
    {"milesight", "co2", "air.co2", 1},
    {"milesight", "pressure", "air.pressure", 1},
    {"milesight", "illumination", "air.lightIntensity", 1},
    // milesight `battery` is a percentage: the vocabulary's battery is in volts.
    {"netvox", "Temp", "air.temperature", 1},
    {"netvox", "Humi", "air.relativeHumidity", 1},
    {"netvox", "Volt", "battery", 1},
    {"netvox", "CO2", "air.co2", 1},
    {"netvox", "Illuminance", "air.lightIntensity", 1},
    {"netvox", "WaterLeak", "water.leak", 1},
    {"nexelec", "temperature", "air.temperature", 1},
    {"nexelec", "humidity", "air.relativeHumidity", 1},
    {"nexelec", "co2", "air.co2", 1},
    {"adeunis", "temperature", "air.temperature", 1},
    {"adeunis", "humidity", "air.relativeHumidity", 1},
    {"adeunis", "co2", "air.co2", 1},
    {"watteco", "temperature", "air.temperature", 1},
    {"watteco", "humidity", "air.relativeHumidity", 1},
    {"watteco", "pressure", "air.pressure", 1},
    {"watteco", "illuminance", "air.lightIntensity", 1},
};

void Walk(element e, std::string& name, std::vector<DecodedValue>& values, std::vector<std::string>& notes,
          int depth) {
  if (depth > 8) return;
  if (e.type() == element_type::OBJECT) {
    const simdjson::dom::object object = e.get_object().value_unsafe();
    for (auto [k, v] : object) {
      if (depth == 0 && k == "time") continue;  // read by the caller
      const size_t keep = name.size();
      if (!name.empty()) name += '.';
      name.append(k.data(), k.size());
      Walk(v, name, values, notes, depth + 1);
      name.resize(keep);
    }
    return;
  }
  if (e.type() == element_type::NULL_VALUE) return;
  const VocabularyField* f = FindVocabularyField(name);
  if (!f) {
    // air.location is a string of the vocabulary that no series holds.
    if (name != "air.location") notes.push_back(name + " is not in the normalized payload vocabulary: left out");
    return;
  }
  double value = 0;
  switch (e.type()) {
    case element_type::INT64: value = static_cast<double>(e.get_int64().value_unsafe()); break;
    case element_type::UINT64: value = static_cast<double>(e.get_uint64().value_unsafe()); break;
    case element_type::DOUBLE: value = e.get_double().value_unsafe(); break;
    case element_type::BOOL: value = e.get_bool().value_unsafe() ? 1 : 0; break;
    case element_type::STRING: {
      const std::string_view s = e.get_string().value_unsafe();
      if (name == "water.leak" && (s == "true" || s == "false")) value = s == "true" ? 1 : 0;
      else if (name == "action.contactState" && (s == "open" || s == "closed")) value = s == "open" ? 1 : 0;
      else {
        notes.push_back(name + " = \"" + std::string(s.substr(0, 40)) + "\" is not a value of the vocabulary: left out");
        return;
      }
      break;
    }
    default: notes.push_back(name + " is not a number: left out"); return;
  }
  if (!(value >= f->min && value <= f->max)) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.15g", value);
    notes.push_back(name + " = " + buf + " is out of its range: left out");
    return;
  }
  DecodedValue& v = values.emplace_back();
  v.field = name;
  v.value = value;
  v.unit = std::string(f->unit);
}

}  // namespace

const std::vector<VocabularyField>& VocabularyFields() {
  static const std::vector<VocabularyField> kFields = {
      // The Things Stack normalized payload (schema.thethings.network/devicerepository/1/payload/schema).
      {"battery", "V", 0, kInf},
      {"soil.depth", "cm", 0, kInf},
      {"soil.moisture", "%", 0, 100},
      {"soil.temperature", "°C", kAbsZero, kInf},
      {"soil.ec", "dS/m", 0, 621},
      {"soil.pH", "", 0, 14},
      {"soil.n", "ppm", 0, 1e6},
      {"soil.p", "ppm", 0, 1e6},
      {"soil.k", "ppm", 0, 1e6},
      {"air.temperature", "°C", kAbsZero, kInf},
      {"air.relativeHumidity", "%", 0, 100},
      {"air.pressure", "hPa", 900, 1100},
      {"air.co2", "ppm", 0, 1e6},
      {"air.lightIntensity", "lx", 0, kInf},
      {"wind.speed", "m/s", 0, kInf},
      {"wind.direction", "°", 0, 359.999999},
      {"rain.intensity", "mm/h", 0, kInf},
      {"rain.cumulative", "mm", 0, kInf},
      {"water.leak", "", 0, 1},
      {"water.temperature.min", "°C", kAbsZero, kInf},
      {"water.temperature.max", "°C", kAbsZero, kInf},
      {"water.temperature.avg", "°C", kAbsZero, kInf},
      {"water.temperature.current", "°C", kAbsZero, kInf},
      {"metering.water.total", "L", 0, kInf},
      {"action.motion.detected", "", 0, 1},
      {"action.motion.count", "", 0, kInf},
      {"action.contactState", "", 0, 1},
      {"position.latitude", "°", -90, 90},
      {"position.longitude", "°", -180, 180},
      // telecollect's extension for energy (the schema has no metering of energy).
      {"metering.electricity.activeEnergy", "Wh", 0, kInf},
      {"metering.electricity.reactiveEnergy", "varh", 0, kInf},
      {"metering.electricity.activePower", "W", -kInf, kInf},
      {"metering.electricity.reactivePower", "var", -kInf, kInf},
      {"metering.electricity.voltage", "V", 0, kInf},
      {"metering.electricity.current", "A", -kInf, kInf},
      {"metering.gas.total", "m³", 0, kInf},
      {"metering.gas.energy", "kWh", 0, kInf},
      {"metering.heat.energy", "kWh", 0, kInf},
      {"metering.pulse.count", "", 0, kInf},
  };
  return kFields;
}

const VocabularyField* FindVocabularyField(std::string_view name) {
  for (const VocabularyField& f : VocabularyFields()) {
    if (f.name == name) return &f;
  }
  return nullptr;
}

void NormalizedToValues(element data, std::vector<DecodedValue>& out, std::vector<std::string>& notes) {
  auto one = [&](element m, size_t index) {
    if (m.type() != element_type::OBJECT) {
      notes.push_back("measurement " + std::to_string(index + 1) + " is not an object: left out");
      return;
    }
    EpochMs at = 0;
    element time;
    if (!m["time"].get(time)) {
      std::string_view text;
      Result<EpochMs> t = time.get(text) ? Status::InvalidArgument("not a string") : ParseIso8601(text);
      if (t.ok()) at = *t;
      else notes.push_back("measurement " + std::to_string(index + 1) + ": time is not an RFC 3339 date: the frame's time is used");
    }
    const size_t first = out.size();
    std::string name;
    Walk(m, name, out, notes, 0);
    for (size_t i = first; i < out.size(); ++i) out[i].at = at;
  };
  if (data.type() == element_type::ARRAY) {
    size_t i = 0;
    const simdjson::dom::array array = data.get_array().value_unsafe();
    for (element m : array) one(m, i++);
  } else {
    one(data, 0);
  }
}

std::string_view NativeFamily(std::string_view device_type) {
  for (std::string_view family : {"dragino", "elsys", "milesight", "netvox", "nexelec", "adeunis", "watteco"}) {
    if (device_type.substr(0, family.size()) == family) return family;
  }
  if (device_type == "lht65") return "dragino";
  if (device_type.substr(0, 7) == "insafe-" || device_type.substr(0, 4) == "nke-") {
    return device_type[0] == 'i' ? "nexelec" : "watteco";
  }
  return {};
}

void AddVocabularyNames(std::string_view family, std::vector<DecodedValue>& values) {
  if (family.empty()) return;
  const size_t n = values.size();
  for (size_t i = 0; i < n; ++i) {
    for (const NativeName& m : kNativeNames) {
      if (m.family != family || m.field != values[i].field) continue;
      const VocabularyField* f = FindVocabularyField(m.name);
      const double value = m.scale == 1 ? values[i].value : std::round(values[i].value * m.scale * 1e12) / 1e12;
      if (!f || !(value >= f->min && value <= f->max)) break;
      DecodedValue v;
      v.field = std::string(m.name);
      v.value = value;
      v.unit = std::string(f->unit);
      v.at = values[i].at;
      values.push_back(std::move(v));
      break;
    }
  }
}

}  // namespace telecollect::decode
