#pragma once
// The [mapping] tables of the shipped Enedis 2026 load-curve and GRDF ADICT
// presets (presets/*.toml), as text: the answer shapes the unit tests, the
// fuzz target and bench/pull_bench map. The Enedis one names no module (the
// preset's `module` template gives it: LoadProfileString(..., true)).
namespace telecollect::pull {

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
