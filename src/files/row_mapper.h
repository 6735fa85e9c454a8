#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/model.h"
#include "core/string_map.h"
#include "core/status.h"
#include "files/import_report.h"
#include "files/local_time.h"
#include "files/profile.h"
#include "files/timestamp_format.h"

namespace telecollect::files {

// Where readings go, in chunks of bounded size: an import transaction
// (store::ReadingWriter), or nowhere for validation.
using ReadingSink = ReadingWriter;

// A record as a format reader extracts it, before any interpretation.
struct Row {
  std::string_view part;  // zip entry
  int64_t line = 0;
  // Long layout.
  std::string_view module, value, unit;
  bool value_is_number = false;  // a JSON number: '.' decimal whatever the profile says
  bool value_parsed = false;     // the reader already has the number (value_number); `value` may be empty
  double value_number = 0;
  bool has_unit = false;
  // The record's own step (fields.interval), empty when the profile's applies.
  std::string_view interval;
  // Timestamp parts (date and time columns), joined with one space.
  std::string_view ts[4];
  int ts_count = 0;
  // Wide layout: (column name, value).
  struct Cell {
    std::string_view column;
    std::string_view value;
    int index = 0;  // CSV column number, 0 otherwise
    bool is_number = false;
    bool parsed = false;  // the reader already has the number
    double number = 0;
    std::string_view unit = {};  // the column's unit (CSV units_row), empty if none
  };
  std::vector<Cell> cells;
  // Why the reader could not take the row apart (missing field, bad record); reported as its error.
  std::string missing;
};

// Turns rows into readings under one profile: numbers with the profile's
// separators, local times through the zone with the DST rule, end-stamp
// shift, module names (prefix, wide-layout rule). Row problems go to the
// report as errors (with line and field) or warnings; readings go to the sink
// every kChunk readings.
class RowMapper {
 public:
  static constexpr size_t kChunk = 65536;

  RowMapper(const Profile& profile, const Zone& zone, const TimestampFormat& format, ReadingSink& sink,
            ImportReport& report);

  // How fields are named in errors ("column 3 (valeur)"), set by the reader.
  void SetFieldNames(std::string module, std::string value, std::string timestamp) {
    module_field_ = std::move(module);
    value_field_ = std::move(value);
    ts_field_ = std::move(timestamp);
  }
  Status Map(const Row& row);  // non-ok only when the sink fails
  Status Flush();              // hands the last readings to the sink
  const std::vector<ModuleDef>& modules() const { return modules_; }

 private:
  struct Series {
    SeriesClock clock;
    EpochMs last_ts = INT64_MIN;
  };
  // Resolves a row's instant; false (with the error reported) if it cannot.
  bool RowTime(const Row& row, SeriesClock& clock, EpochMs& utc, LocalMs& local, bool& is_local);
  // The row's step: its own (fields.interval) or the profile's; false (reported) if unreadable.
  bool RowStep(const Row& row, int64_t& step_ms);
  bool Intern(const Row& row, std::string_view raw_name, std::string_view unit, uint32_t& index);
  // `field` is called for the field's name only when there is something to report.
  template <typename FieldName>
  // `parsed`: the number the reader already has, if any.
  bool ReadValue(const Row& row, std::string_view text, bool is_number, const double* parsed, const FieldName& field,
                 double& v);
  void Emit(const Row& row, uint32_t module, EpochMs utc, LocalMs local, bool is_local, double value);
  int64_t row_step_ = 0;  // the current row's step (RowStep)
  void RowError(const Row& row, const std::string& field, std::string message);
  void Warn(const char* kind, const Row& row, const std::string& field, std::string message);

  const Profile& profile_;
  const Zone& zone_;
  const TimestampFormat& format_;
  ReadingSink& sink_;
  ImportReport& report_;
  std::string module_field_ = "module", value_field_ = "value", ts_field_ = "timestamp";

  std::vector<ModuleDef> modules_;
  std::vector<Series> series_;
  // Raw name (before prefix and rule) → index; looked up by string_view.
  StringMap<uint32_t> module_index_;
  std::vector<std::string> raw_names_;  // by index
  // The measurement map's rule of each module (by index; nullptr: none), and
  // the raw names it leaves out (skipped, no error).
  std::vector<const MeasurementMap::Rule*> rules_;
  StringMap<bool> excluded_;
  uint32_t last_index_ = 0;             // rows usually repeat a module or cycle through them in order
  // The last timestamp text and what it read as: files list many modules per instant.
  std::string last_ts_text_;
  TimestampFormat::Value last_ts_value_;
  bool have_last_ts_ = false;
  // The last text's outcome, when any row with that text reads the same
  // (RowTime's fast path): its instant and what the series clock records.
  bool last_ts_settled_ = false;
  EpochMs last_ts_utc_ = 0, last_ts_clock_ = 0;
  SeriesClock row_clock_;  // wide layout: one clock for the timestamp column
  std::vector<Reading> chunk_;
  std::string scratch_;
  bool row_failed_ = false;
};

}  // namespace telecollect::files
