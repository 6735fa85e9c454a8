#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/measurement_map.h"
#include "core/status.h"
#include "files/number_format.h"
#include "files/text_reader.h"
#include "files/timestamp_format.h"

namespace toml {
inline namespace v3 {
class table;
}
}  // namespace toml

namespace telecollect::files {

// Which field of a record: a CSV header name or 1-based column number, a
// JSON path relative to the record ("/a/b" or "a.b"), or an XML path relative
// to the record element ("@id", "Value", "Meter/@id", "../@id", ".").
struct FieldRef {
  std::string name;
  int index = 0;  // CSV column number when > 0
  bool empty() const { return name.empty() && index == 0; }
  std::string Describe() const { return index > 0 ? "column " + std::to_string(index) : "\"" + name + "\""; }
};

// JSON wide layout: members of objects nested this deep in a record are columns
// too, named with dots ("values.temp"); the reader and the sniffer both go this far.
inline constexpr int kMaxJsonNesting = 4;

// How to read one kind of flat file into measurements. Loaded from TOML; every
// key is documented in docs/files.md.
struct Profile {
  enum class Format { kCsv, kJson, kNdjson, kXml };
  enum class Layout { kLong, kWide };

  std::string name;  // for reports: the file stem or "sniffed"
  Format format = Format::kCsv;
  Layout layout = Layout::kLong;
  Encoding encoding = Encoding::kAuto;
  // CSV
  char delimiter = 0;  // 0 = detect
  char quote = '"';
  int skip_rows = 0;   // lines before the header (or before the data when header = false)
  bool header = true;
  bool units_row = false;  // the line after the header gives each column's unit
  // Values and time
  NumberFormat number;
  std::string timestamp_format = "iso8601";
  std::string timezone = "Europe/Paris";
  int64_t interval_ms = 0;      // the step of the series; needed for shift_to_start, used for gap warnings
  bool end_stamped = false;     // timestamp_marks = "end": a timestamp closes its interval
  bool shift_to_start = false;  // store end-stamped readings at their interval start
  std::string unit;             // every module's unit unless fields.unit says otherwise
  std::string module_prefix;
  bool skip_bad_rows = false;   // on_row_error = "skip" (default "reject": one bad row rejects the file)
  bool empty_is_error = false;  // on_empty_value = "error" (default "skip": an empty cell is no reading)
  std::optional<double> min_value, max_value;  // plausible range: outside → warning
  // JSON and XML: where the records are.
  std::string records;
  // XML: [namespaces] prefix → URI. With it, a prefixed name in records and
  // fields matches that namespace whatever prefix the file uses; without it,
  // names match on their local part (prefixes and URIs ignored).
  std::vector<std::pair<std::string, std::string>> xml_namespaces;
  // Long layout
  FieldRef module;
  std::vector<FieldRef> timestamp;  // several: joined with one space (date + time columns)
  FieldRef value;
  FieldRef unit_field;
  FieldRef interval_field;  // JSON: the record's own step ("PT30M", seconds): for shift_to_start and gaps
  // Long layout without fields.module: every record is this module (set by an
  // API connector from its `module` template, per meter; not a profile key).
  std::string module_fixed;
  // JSON records carrying this member are control records (an API's status
  // lines), not data: skipped. Set by an API connector ([response]).
  std::string skip_records_with;
  // Wide layout
  std::vector<FieldRef> columns;     // empty = every field but the timestamp's
  std::vector<std::string> exclude;  // never modules
  std::string module_name = "{column}";
  // Measurement map (docs/decoders.md): given inline ([map]) or by name
  // (map = "NAME", a map uploaded and active for the import's tenant and env,
  // resolved by ResolveProfileMap before the import). It applies to each
  // module's raw name (the long layout's module field, the wide layout's column)
  // before module_prefix and module_name.
  std::shared_ptr<const MeasurementMap> map;
  std::string map_name;

  bool is_csv() const { return format == Format::kCsv; }
};

const char* FormatName(Profile::Format f);

Result<Profile> LoadProfileFile(const std::string& path);
Result<Profile> LoadProfileString(const std::string& toml_text, const std::string& origin, bool module_given = false);
// A profile from a TOML table already parsed (an API connector's [mapping]).
// `module_given`: the caller names the module (Profile::module_fixed), so
// fields.module is not required.
Result<Profile> LoadProfileTable(const toml::table& table, const std::string& origin, bool module_given);
// A profile as TOML that LoadProfileString reads back to the same profile.
std::string ProfileToToml(const Profile& p);

}  // namespace telecollect::files
