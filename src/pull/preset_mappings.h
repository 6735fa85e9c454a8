#pragma once
// Fixtures shared by the pull unit tests, the fuzz target and bench/pull_bench.
//
// The [mapping] tables of the shipped Enedis 2026 load-curve and GRDF ADICT
// presets (presets/*.toml), as text: the answer shapes they map. The Enedis
// one names no module (the preset's `module` template gives it:
// LoadProfileString(..., true)).
#include <vector>

#include "core/model.h"

namespace telecollect::pull {

// Keeps every reading a mapping writes, and the modules they refer to.
struct CollectingWriter final : ReadingWriter {
  Status Add(const std::vector<ModuleDef>& m, std::span<const Reading> rs) override {
    modules = m;
    readings.insert(readings.end(), rs.begin(), rs.end());
    return Status::Ok();
  }
  std::vector<ModuleDef> modules;
  std::vector<Reading> readings;
};

inline constexpr const char* kEnedisLoadCurveMapping = R"(format = "json"
records = "/grandeur/*/points"
timestamp_format = "iso8601"
timezone = "Europe/Paris"
timestamp_marks = "end"
shift_to_start = true
[fields]
timestamp = "d"
value = "v"
unit = "../unite"
interval = "p"
)";

inline constexpr const char* kGrdfAdictMapping = R"(format = "ndjson"
timestamp_format = "iso8601"
unit = "kWh"
[fields]
module = "/pce/id_pce"
timestamp = "/consommation/date_debut_consommation"
value = "/consommation/energie"
)";

}  // namespace telecollect::pull
