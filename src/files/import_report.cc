#include "files/import_report.h"

#include <fmt/format.h>

#include "core/json_writer.h"

namespace telecollect::files {
namespace {

void WriteIssue(JsonWriter& w, const FileIssue& i) {
  w.BeginObject();
  if (!i.part.empty()) w.Key("part").String(i.part);
  w.Key("line").Int(i.line);
  if (!i.field.empty()) w.Key("field").String(i.field);
  w.Key("message").String(i.message);
  w.EndObject();
}

std::string Where(const FileIssue& i) {
  std::string s;
  if (!i.part.empty()) s += i.part + ": ";
  if (i.line > 0) s += "line " + std::to_string(i.line);
  if (!i.field.empty()) s += (s.empty() || s.back() == ' ' ? "" : ", ") + i.field;
  return s.empty() ? "file" : s;
}

}  // namespace

void ImportReport::AddError(FileIssue issue) {
  ++error_count;
  if (errors.size() < kMaxListed) errors.push_back(std::move(issue));
}

void ImportReport::AddWarning(const std::string& kind, FileIssue issue) {
  ++warning_counts[kind];
  auto& list = warnings[kind];
  if (list.size() < kMaxListed) list.push_back(std::move(issue));
}

std::string ImportReport::ToJson() const {
  JsonWriter w;
  w.BeginObject();
  w.Key("file").String(file);
  w.Key("profile").String(profile);
  w.Key("format").String(format);
  w.Key("compression").String(compression);
  w.Key("encoding").String(encoding);
  w.Key("bom").Bool(bom);
  if (!delimiter.empty()) w.Key("delimiter").String(delimiter);
  w.Key("timezone").String(timezone);
  w.Key("bytes").Int(bytes);
  w.Key("rows").Int(rows);
  w.Key("rows_rejected").Int(rows_rejected);
  w.Key("readings").Int(readings);
  w.Key("modules").Int(modules);
  if (readings > 0) {
    w.Key("first").String(FormatIso8601(first_ts));
    w.Key("last").String(FormatIso8601(last_ts));
  }
  w.Key("error_count").Int(error_count);
  w.Key("errors").BeginArray();
  for (const auto& e : errors) WriteIssue(w, e);
  w.EndArray();
  w.Key("warnings").BeginObject();
  for (const auto& [kind, list] : warnings) {
    w.Key(kind).BeginObject();
    w.Key("count").Int(warning_counts.at(kind));
    w.Key("examples").BeginArray();
    for (const auto& e : list) WriteIssue(w, e);
    w.EndArray();
    w.EndObject();
  }
  w.EndObject();
  w.Key("sample").BeginArray();
  for (const auto& s : sample) {
    w.BeginObject();
    w.Key("module").String(s.module);
    w.Key("ts").String(FormatIso8601(s.utc));
    if (!s.local.empty()) w.Key("local").String(s.local);
    w.Key("value").Number(s.value);
    if (!s.unit.empty()) w.Key("unit").String(s.unit);
    w.Key("line").Int(s.line);
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
  return w.Take();
}

std::string ImportReport::ToText() const {
  std::string o;
  o += fmt::format("file:        {}\n", file);
  o += fmt::format("profile:     {}\n", profile);
  o += fmt::format("format:      {}{}, encoding {}{}{}\n", format, compression == "none" ? "" : " (" + compression + ")",
                   encoding, bom ? " with BOM" : "", delimiter.empty() ? "" : ", delimiter " + delimiter);
  o += fmt::format("timezone:    {}\n", timezone);
  o += fmt::format("rows:        {} read, {} rejected\n", rows, rows_rejected);
  o += fmt::format("readings:    {} over {} modules", readings, modules);
  if (readings > 0) o += fmt::format(", {} .. {}", FormatIso8601(first_ts), FormatIso8601(last_ts));
  o += "\n";
  if (!sample.empty()) {
    o += "\nfirst readings:\n";
    o += fmt::format("  {:<6} {:<28} {:<24} {:<20} {:>14} {}\n", "line", "module", "utc", "local", "value", "unit");
    for (const auto& s : sample) {
      o += fmt::format("  {:<6} {:<28} {:<24} {:<20} {:>14} {}\n", s.line, s.module, FormatIso8601(s.utc), s.local,
                       fmt::format("{}", s.value), s.unit);
    }
  }
  if (error_count > 0) {
    o += fmt::format("\nerrors ({}):\n", error_count);
    for (const auto& e : errors) o += fmt::format("  {}: {}\n", Where(e), e.message);
    if (error_count > static_cast<int64_t>(errors.size()))
      o += fmt::format("  ... and {} more\n", error_count - static_cast<int64_t>(errors.size()));
  }
  for (const auto& [kind, list] : warnings) {
    const int64_t n = warning_counts.at(kind);
    o += fmt::format("\nwarning {} ({}):\n", kind, n);
    for (size_t i = 0; i < list.size() && i < 10; ++i) o += fmt::format("  {}: {}\n", Where(list[i]), list[i].message);
    if (n > 10) o += fmt::format("  ... and {} more\n", n - 10);
  }
  return o;
}

}  // namespace telecollect::files
