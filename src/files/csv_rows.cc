// The CSV format reader: header resolution, then one Row per record.
#include <algorithm>
#include <unordered_map>
#include <unordered_set>

#include <fmt/format.h>

#include "files/csv_reader.h"
#include "files/file_parser.h"
#include "files/number_format.h"

namespace telecollect::files {
namespace {

std::string Lower(std::string_view s) {
  std::string o(TrimSpaces(s));
  std::transform(o.begin(), o.end(), o.begin(), [](unsigned char c) { return char(std::tolower(c)); });
  return o;
}

std::string ColumnName(const std::vector<std::string>& header, size_t i) {
  if (i < header.size() && !header[i].empty()) return fmt::format("column {} ({})", i + 1, header[i]);
  return fmt::format("column {}", i + 1);
}

std::string DelimiterName(char d) {
  switch (d) {
    case '\t': return "TAB";
    case ' ': return "space";
    default: return std::string(1, d);
  }
}

}  // namespace

Status ReadCsvPart(TextReader& text, const Profile& profile, std::string_view part, RowMapper& mapper,
                   ImportReport& report) {
  CsvReader reader(text, {profile.delimiter, profile.quote});
  std::vector<std::string_view> fields;
  int64_t line = 0;
  for (int i = 0; i < profile.skip_rows; ++i) {
    TC_ASSIGN_OR_RETURN(bool more, reader.Next(fields, line));
    if (!more) return Status::InvalidArgument("the file ends within the " + std::to_string(profile.skip_rows) + " rows to skip");
  }
  std::vector<std::string> header;
  if (profile.header) {
    TC_ASSIGN_OR_RETURN(bool more, reader.Next(fields, line));
    if (!more) return Status::InvalidArgument("empty file: no header line");
    for (std::string_view f : fields) header.emplace_back(TrimSpaces(f));
  }
  if (report.delimiter.empty()) report.delimiter = DelimiterName(reader.delimiter());
  // A second header line with each column's unit (building-management exports: "°C", "kWh").
  std::vector<std::string> units;
  if (profile.units_row) {
    TC_ASSIGN_OR_RETURN(bool more, reader.Next(fields, line));
    if (!more) return Status::InvalidArgument("the file ends before its units row (units_row = true)");
    for (std::string_view f : fields) units.emplace_back(TrimSpaces(f));
  }
  auto unit_of = [&](size_t col) { return col < units.size() ? std::string_view(units[col]) : std::string_view(); };

  // Resolve the profile's fields to column indexes: by number, or by name
  // (case-insensitive; the first column of that name), through one map so
  // that a wide header with as many references costs linear time.
  std::unordered_map<std::string, size_t> column_of;
  column_of.reserve(header.size());
  for (size_t i = 0; i < header.size(); ++i) column_of.emplace(Lower(header[i]), i);
  auto resolve = [&](const FieldRef& ref, size_t& out) -> Status {
    if (ref.index > 0) {
      out = static_cast<size_t>(ref.index - 1);
      if (profile.header && out >= header.size())
        return Status::InvalidArgument(fmt::format("line {}: the header has {} columns; column {} does not exist", line,
                                                   header.size(), ref.index));
      return Status::Ok();
    }
    if (auto it = column_of.find(Lower(ref.name)); it != column_of.end()) {
      out = it->second;
      return Status::Ok();
    }
    std::string names;
    for (size_t i = 0; i < header.size() && i < 30; ++i) names += (i ? ", " : "") + header[i];
    return Status::InvalidArgument(fmt::format("line {}: the header has no column \"{}\" (columns: {}; delimiter {})",
                                               line, ref.name, names, DelimiterName(reader.delimiter())));
  };
  std::vector<size_t> ts_cols;
  for (const FieldRef& r : profile.timestamp) {
    size_t c = 0;
    TC_RETURN_IF_ERROR(resolve(r, c));
    ts_cols.push_back(c);
  }
  if (ts_cols.size() > 4) return Status::InvalidArgument("fields.timestamp: at most 4 columns");
  std::string ts_name;
  for (size_t c : ts_cols) ts_name += (ts_name.empty() ? "" : " + ") + ColumnName(header, c);

  size_t module_col = 0, value_col = 0, unit_col = 0;
  const bool has_unit = !profile.unit_field.empty();
  std::vector<size_t> wide_cols;
  std::vector<std::string> wide_names;
  if (profile.layout == Profile::Layout::kLong) {
    TC_RETURN_IF_ERROR(resolve(profile.module, module_col));
    TC_RETURN_IF_ERROR(resolve(profile.value, value_col));
    if (has_unit) TC_RETURN_IF_ERROR(resolve(profile.unit_field, unit_col));
    mapper.SetFieldNames(ColumnName(header, module_col), ColumnName(header, value_col), ts_name);
  } else {
    if (!profile.columns.empty()) {
      for (const FieldRef& r : profile.columns) {
        size_t c = 0;
        TC_RETURN_IF_ERROR(resolve(r, c));
        wide_cols.push_back(c);
      }
    } else {
      if (!profile.header) return Status::InvalidArgument("layout = \"wide\" without a header needs fields.columns");
      std::unordered_set<std::string> excluded;
      for (const std::string& e : profile.exclude) excluded.insert(Lower(e));
      for (size_t i = 0; i < header.size(); ++i) {
        if (std::find(ts_cols.begin(), ts_cols.end(), i) != ts_cols.end() || header[i].empty()) continue;
        if (excluded.contains(Lower(header[i]))) continue;
        wide_cols.push_back(i);
      }
      if (wide_cols.empty()) return Status::InvalidArgument("layout = \"wide\": the header has no module column besides the timestamp");
    }
    for (size_t c : wide_cols) wide_names.push_back(c < header.size() && !header[c].empty() ? header[c] : std::to_string(c + 1));
    mapper.SetFieldNames("", "", ts_name);
  }

  size_t needed = 0;
  for (size_t c : ts_cols) needed = std::max(needed, c + 1);
  if (profile.layout == Profile::Layout::kLong) {
    needed = std::max({needed, module_col + 1, value_col + 1, has_unit ? unit_col + 1 : 0});
  }
  // Long layout without fields.unit: the units row's unit under the value column, if any.
  const std::string_view value_unit = has_unit || profile.layout != Profile::Layout::kLong ? std::string_view() : unit_of(value_col);
  Row row;
  row.part = part;
  while (true) {
    TC_ASSIGN_OR_RETURN(bool more, reader.Next(fields, line));
    if (!more) break;
    row.line = line;
    row.missing.clear();
    // More fields than the header names (beyond trailing empty ones): a
    // delimiter inside an unquoted value, e.g. a decimal comma with ','.
    size_t extra = fields.size();
    while (profile.header && extra > header.size() && TrimSpaces(fields[extra - 1]).empty()) --extra;
    if (profile.header && extra > header.size()) {
      row.missing = fmt::format("{} fields where the header has {} (a delimiter inside an unquoted value?)", extra,
                                header.size());
      TC_RETURN_IF_ERROR(mapper.Map(row));
      continue;
    }
    if (fields.size() < needed) {
      row.missing = fmt::format("incomplete record: {} field(s), {} needed (truncated line?)", fields.size(), needed);
      TC_RETURN_IF_ERROR(mapper.Map(row));
      continue;
    }
    row.ts_count = static_cast<int>(ts_cols.size());
    for (size_t i = 0; i < ts_cols.size(); ++i) row.ts[i] = fields[ts_cols[i]];
    if (profile.layout == Profile::Layout::kLong) {
      row.module = fields[module_col];
      row.value = fields[value_col];
      row.has_unit = has_unit || !value_unit.empty();
      row.unit = has_unit ? fields[unit_col] : value_unit;
    } else {
      row.cells.clear();
      for (size_t i = 0; i < wide_cols.size(); ++i) {
        const size_t c = wide_cols[i];
        row.cells.push_back({wide_names[i], c < fields.size() ? fields[c] : std::string_view(), static_cast<int>(c + 1),
                             false, false, 0, unit_of(c)});
      }
    }
    TC_RETURN_IF_ERROR(mapper.Map(row));
  }
  return Status::Ok();
}

}  // namespace telecollect::files
