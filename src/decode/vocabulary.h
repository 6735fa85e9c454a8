#pragma once

#include <simdjson.h>

#include <string>
#include <string_view>
#include <vector>

#include "decode/decoder.h"

namespace telecollect::decode {

// One vocabulary across vendors: The Things Stack's normalized payload fields
// (air.temperature in °C, air.relativeHumidity in %, air.co2 in ppm, battery
// in V, water.leak, action.contactState…), extended for energy metering in
// the same style (metering.electricity.*, metering.gas.*, metering.heat.*).
// docs/decoders.md lists them.
struct VocabularyField {
  std::string_view name;
  std::string_view unit;
  double min;
  double max;
};
// Null for a name outside the vocabulary.
const VocabularyField* FindVocabularyField(std::string_view name);
const std::vector<VocabularyField>& VocabularyFields();

// normalizeUplink's `data` (one measurement object, or an array of them) →
// values named by the vocabulary, with its units. Booleans are 1/0,
// water.leak also reads "true"/"false", action.contactState "open" (1) /
// "closed" (0); a measurement's `time` (RFC 3339) stamps its values
// (DecodedValue::at). As The Things Stack does, a value out of its range is
// left out with a warning; a field outside the vocabulary is left out with a
// warning too (it is not a normalized measurement). Warnings go to `notes`.
void NormalizedToValues(simdjson::dom::element data, std::vector<DecodedValue>& out, std::vector<std::string>& notes);

// The vocabulary names of a native decoder's fields (family: "dragino",
// "elsys", "milesight", "netvox", "nexelec", "adeunis", "watteco"): appends
// one value per field that has one (a Dragino `temperature` also becomes
// `air.temperature`). Fields the vocabulary cannot express are left as they are.
void AddVocabularyNames(std::string_view family, std::vector<DecodedValue>& values);
// The native family of a device type name ("netvox-r718a" → "netvox"), "" if none.
std::string_view NativeFamily(std::string_view device_type);

}  // namespace telecollect::decode
