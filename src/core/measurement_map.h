#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace toml {
inline namespace v3 {
class table;
}
}  // namespace toml

namespace telecollect {

// A measurement map: what becomes of the values a decoder, an API connector's
// channels or a file's columns give, by their name — renamed, given a unit,
// scaled and offset, excluded, or only the listed ones kept. Format and order
// of operations: docs/decoders.md "Measurement maps". Immutable once loaded.
struct MeasurementMap {
  struct Rule {
    std::string name;                // new name; empty: the name stays
    std::optional<std::string> unit;  // set: the value's unit becomes this ("" clears it)
    double scale = 1;                // value = value * scale + offset
    double offset = 0;
  };
  std::string name;  // the map's name (map = "…", normalised: trimmed, lower-cased); empty for an inline map
  std::string version = "1";
  std::string origin;  // the file or upload it came from
  std::vector<std::string> keep_only;  // patterns ("name" or "prefix*"); empty: every name
  std::vector<std::string> exclude;    // patterns
  std::map<std::string, Rule, std::less<>> fields;  // by the incoming name

  // Applies the map to one value: false when it is left out (keep_only,
  // exclude); otherwise its name, unit and value are as the map says.
  bool Apply(std::string& name, double& value, std::string& unit) const;
  // Whether `name` is kept, and its rule (nullptr: none).
  bool Keeps(std::string_view name) const;
  const Rule* Find(std::string_view name) const;
  // value * scale + offset, kept to 15 significant digits (as declarative
  // scaling: 217 * 0.1 is 21.7, not 21.700000000000003).
  static double Scaled(const Rule& rule, double value);
};

// Map versions are stored as the versions of the device type "map:NAME".
inline constexpr std::string_view kMapTypePrefix = "map:";

// A map file (or upload): `map = "NAME"` is required. Errors name the origin,
// the line and the key ("acme.toml:7: field.temperature.scale must be a number").
Result<MeasurementMap> ParseMeasurementMap(const std::string& toml_text, const std::string& origin);
// A map given inline in a profile or connector (`[map]`, `[mapping.map]`):
// the same keys but `map` and `version`. `prefix` names the table in errors;
// an empty `origin` gives "line N: …" (the caller names the file).
Result<MeasurementMap> ReadMeasurementMapTable(const toml::table& table, const std::string& origin,
                                               const std::string& prefix);
// Whether a TOML text is a map file (a top-level `map` string) rather than a
// decoder spec; false when it does not parse.
bool LooksLikeMeasurementMap(const std::string& toml_text);

}  // namespace telecollect
