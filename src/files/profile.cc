#include "files/profile.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <fmt/format.h>
#include <toml++/toml.h>

#include "core/ascii.h"
#include "core/toml_reader.h"

namespace telecollect::files {
namespace {

Result<char> OneChar(const std::string& key, const std::string& v, bool allow_empty) {
  if (v.empty() && allow_empty) return char{0};
  if (v == "\\t" || v == "tab") return '\t';
  if (v == "space") return ' ';
  if (v.size() != 1) return Status::InvalidArgument(key + " must be one character, got \"" + v + "\"");
  return v[0];
}

Status ReadFieldRef(TableReader& r, const char* key, FieldRef& out) {
  const toml::node* n = r.Node(key);
  if (!n) return Status::Ok();
  if (n->is_string()) {
    out.name = *n->value<std::string>();
    if (out.name.empty()) return Status::InvalidArgument(r.Name(key) + " is empty");
    return Status::Ok();
  }
  if (n->is_integer()) {
    const int64_t i = *n->value<int64_t>();
    if (i < 1 || i > 100000) return Status::InvalidArgument(r.Name(key) + " column number must be 1 or more");
    out.index = static_cast<int>(i);
    return Status::Ok();
  }
  return r.TypeError(key, "a field name (string) or a 1-based column number (integer)");
}

Status ReadFieldRefs(TableReader& r, const char* key, std::vector<FieldRef>& out) {
  const toml::node* n = r.Node(key);
  if (!n) return Status::Ok();
  out.clear();
  auto one = [&](const toml::node& e) -> Status {
    FieldRef f;
    if (e.is_string()) f.name = *e.value<std::string>();
    else if (e.is_integer() && *e.value<int64_t>() >= 1) f.index = static_cast<int>(*e.value<int64_t>());
    else return r.TypeError(key, "field names or 1-based column numbers");
    if (f.empty()) return Status::InvalidArgument(r.Name(key) + " has an empty field name");
    out.push_back(std::move(f));
    return Status::Ok();
  };
  if (const toml::array* a = n->as_array()) {
    for (const auto& e : *a) TC_RETURN_IF_ERROR(one(e));
    return Status::Ok();
  }
  return one(*n);
}

Status FillProfile(const toml::table& root, Profile& p, bool module_given) {
  TableReader r(&root, "");
  std::string s;
  TC_RETURN_IF_ERROR(r.String("format", s));
  if (s == "csv" || s.empty()) p.format = Profile::Format::kCsv;
  else if (s == "json") p.format = Profile::Format::kJson;
  else if (s == "ndjson" || s == "jsonl") p.format = Profile::Format::kNdjson;
  else if (s == "xml") p.format = Profile::Format::kXml;
  else return Status::InvalidArgument("format must be csv, json, ndjson or xml; got \"" + s + "\"");
  s.clear();
  TC_RETURN_IF_ERROR(r.String("layout", s));
  if (s == "long" || s.empty()) p.layout = Profile::Layout::kLong;
  else if (s == "wide") p.layout = Profile::Layout::kWide;
  else return Status::InvalidArgument("layout must be long or wide; got \"" + s + "\"");
  s = "auto";
  TC_RETURN_IF_ERROR(r.String("encoding", s));
  TC_ASSIGN_OR_RETURN(p.encoding, ParseEncoding(s));

  s = p.delimiter ? std::string(1, p.delimiter) : "auto";
  TC_RETURN_IF_ERROR(r.String("delimiter", s));
  if (s == "auto") {
    p.delimiter = 0;
  } else {
    TC_ASSIGN_OR_RETURN(p.delimiter, OneChar("delimiter", s, false));
  }
  s = std::string(1, p.quote);
  TC_RETURN_IF_ERROR(r.String("quote", s));
  TC_ASSIGN_OR_RETURN(p.quote, OneChar("quote", s, true));
  TC_RETURN_IF_ERROR(r.Integer("skip_rows", p.skip_rows, 0));
  TC_RETURN_IF_ERROR(r.Bool("header", p.header));
  TC_RETURN_IF_ERROR(r.Bool("units_row", p.units_row));

  s = std::string(1, p.number.decimal);
  TC_RETURN_IF_ERROR(r.String("decimal", s));
  TC_ASSIGN_OR_RETURN(p.number.decimal, OneChar("decimal", s, false));
  if (p.number.decimal != '.' && p.number.decimal != ',') return Status::InvalidArgument("decimal must be \".\" or \",\"");
  s = p.number.thousands ? std::string(1, p.number.thousands) : "";
  TC_RETURN_IF_ERROR(r.String("thousands", s));
  TC_ASSIGN_OR_RETURN(p.number.thousands, OneChar("thousands", s, true));
  if (p.number.thousands != 0 && p.number.thousands == p.number.decimal)
    return Status::InvalidArgument("thousands and decimal separators must differ");

  TC_RETURN_IF_ERROR(r.String("timestamp_format", p.timestamp_format));
  TC_RETURN_IF_ERROR(TimestampFormat::Parse(p.timestamp_format).status());
  TC_RETURN_IF_ERROR(r.String("timezone", p.timezone));
  TC_RETURN_IF_ERROR(Zone::Locate(p.timezone).status());
  TC_RETURN_IF_ERROR(r.Duration("interval", p.interval_ms));
  s = p.end_stamped ? "end" : "start";
  TC_RETURN_IF_ERROR(r.String("timestamp_marks", s));
  if (s == "start") p.end_stamped = false;
  else if (s == "end") p.end_stamped = true;
  else return Status::InvalidArgument("timestamp_marks must be start or end; got \"" + s + "\"");
  TC_RETURN_IF_ERROR(r.Bool("shift_to_start", p.shift_to_start));
  const bool has_interval_field = r.Table("fields") != nullptr && r.Table("fields")->contains("interval");
  if (p.shift_to_start && (!p.end_stamped || (p.interval_ms <= 0 && !has_interval_field)))
    return Status::InvalidArgument("shift_to_start needs timestamp_marks = \"end\" and an interval (interval = \"10m\", "
                                   "or fields.interval for a step given by each record)");
  TC_RETURN_IF_ERROR(r.String("unit", p.unit));
  TC_RETURN_IF_ERROR(r.String("module_prefix", p.module_prefix));
  s = p.skip_bad_rows ? "skip" : "reject";
  TC_RETURN_IF_ERROR(r.String("on_row_error", s));
  if (s == "reject") p.skip_bad_rows = false;
  else if (s == "skip") p.skip_bad_rows = true;
  else return Status::InvalidArgument("on_row_error must be reject or skip; got \"" + s + "\"");
  s = p.empty_is_error ? "error" : "skip";
  TC_RETURN_IF_ERROR(r.String("on_empty_value", s));
  if (s == "skip") p.empty_is_error = false;
  else if (s == "error") p.empty_is_error = true;
  else return Status::InvalidArgument("on_empty_value must be skip or error; got \"" + s + "\"");
  double v = 0;
  if (root.get("min_value")) { TC_RETURN_IF_ERROR(r.Double("min_value", v)); p.min_value = v; }
  if (root.get("max_value")) { TC_RETURN_IF_ERROR(r.Double("max_value", v)); p.max_value = v; }
  TC_RETURN_IF_ERROR(r.String("records", p.records));
  TC_RETURN_IF_ERROR(r.CheckTable("namespaces"));
  if (const toml::table* ns = r.Table("namespaces")) {
    for (const auto& [k, v] : *ns) {
      const std::string prefix(k.str());
      const std::optional<std::string> uri = v.value<std::string>();
      if (!uri || uri->empty()) return Status::InvalidArgument("namespaces." + prefix + " must be the namespace URI (a string)");
      if (prefix.empty() || prefix.find(':') != std::string::npos || prefix == "xmlns")
        return Status::InvalidArgument("namespaces: \"" + prefix + "\" is not a usable prefix");
      p.xml_namespaces.emplace_back(prefix, *uri);
    }
  }

  TC_RETURN_IF_ERROR(r.CheckTable("fields"));
  {
    TableReader f(r.Table("fields"), "fields");
    TC_RETURN_IF_ERROR(ReadFieldRef(f, "module", p.module));
    TC_RETURN_IF_ERROR(ReadFieldRefs(f, "timestamp", p.timestamp));
    TC_RETURN_IF_ERROR(ReadFieldRef(f, "value", p.value));
    TC_RETURN_IF_ERROR(ReadFieldRef(f, "unit", p.unit_field));
    TC_RETURN_IF_ERROR(ReadFieldRef(f, "interval", p.interval_field));
    TC_RETURN_IF_ERROR(ReadFieldRefs(f, "columns", p.columns));
    TC_RETURN_IF_ERROR(f.StringArray("exclude", p.exclude));
    TC_RETURN_IF_ERROR(f.String("module_name", p.module_name));
    TC_RETURN_IF_ERROR(f.Leftovers());
  }
  if (const toml::node* m = r.Node("map")) {
    if (m->is_string()) {
      p.map_name = *m->value<std::string>();
      AsciiLowerInPlace(p.map_name);
      if (p.map_name.empty()) return Status::InvalidArgument("map is empty: name a measurement map, or give a [map] table");
    } else if (const toml::table* t = m->as_table()) {
      TC_ASSIGN_OR_RETURN(MeasurementMap map, ReadMeasurementMapTable(*t, "", "map"));
      p.map = std::make_shared<const MeasurementMap>(std::move(map));
    } else {
      return Status::InvalidArgument("map must be the name of a measurement map (a string) or a [map] table");
    }
  }
  TC_RETURN_IF_ERROR(r.Leftovers());

  // Coherence.
  if (p.timestamp.empty()) return Status::InvalidArgument("fields.timestamp is required");
  if (p.layout == Profile::Layout::kLong) {
    if (p.module.empty() && !module_given) return Status::InvalidArgument("fields.module is required for layout = \"long\"");
    if (p.value.empty()) return Status::InvalidArgument("fields.value is required for layout = \"long\"");
    if (!p.columns.empty()) return Status::InvalidArgument("fields.columns is for layout = \"wide\"");
    // The long layout takes its modules from fields.module: a list of fields that are not
    // modules means nothing there, and would be dropped from the profile the API proposes back.
    if (!p.exclude.empty()) return Status::InvalidArgument("fields.exclude is for layout = \"wide\"");
  } else {
    if (!p.module.empty() || !p.value.empty())
      return Status::InvalidArgument("layout = \"wide\" takes modules from the columns: remove fields.module and fields.value");
    if (p.module_name.find("{column}") == std::string::npos)
      return Status::InvalidArgument("fields.module_name must contain {column}");
  }
  const bool csv = p.format == Profile::Format::kCsv;
  if (p.units_row && (!csv || !p.header))
    return Status::InvalidArgument("units_row is for CSV files with a header: the line after it gives each column's unit");
  auto check_ref = [&](const FieldRef& f, const char* key) -> Status {
    if (f.empty()) return Status::Ok();
    if (!csv && f.index > 0) return Status::InvalidArgument(std::string("fields.") + key + ": column numbers are for CSV; use a path");
    if (csv && !p.header && f.index == 0)
      return Status::InvalidArgument(std::string("fields.") + key + ": header = false, so fields are column numbers (1, 2, ...)");
    return Status::Ok();
  };
  TC_RETURN_IF_ERROR(check_ref(p.module, "module"));
  TC_RETURN_IF_ERROR(check_ref(p.value, "value"));
  TC_RETURN_IF_ERROR(check_ref(p.unit_field, "unit"));
  TC_RETURN_IF_ERROR(check_ref(p.interval_field, "interval"));
  if (!p.interval_field.empty() && p.format != Profile::Format::kJson && p.format != Profile::Format::kNdjson)
    return Status::InvalidArgument("fields.interval is read from JSON records only; give CSV and XML files interval = \"...\"");
  for (const auto& f : p.timestamp) TC_RETURN_IF_ERROR(check_ref(f, "timestamp"));
  for (const auto& f : p.columns) TC_RETURN_IF_ERROR(check_ref(f, "columns"));
  if (p.format == Profile::Format::kXml && p.records.empty())
    return Status::InvalidArgument("records is required for XML: the path of the repeating element, e.g. \"/export/reading\" or \"//reading\"");
  if (!p.xml_namespaces.empty() && p.format != Profile::Format::kXml)
    return Status::InvalidArgument("namespaces are for format = \"xml\"");
  if (p.format == Profile::Format::kXml) {
    // Every prefix named in records and fields must be declared.
    auto check_names = [&](const std::string& path, const std::string& what) -> Status {
      size_t start = 0;
      while (start <= path.size()) {
        size_t end = path.find('/', start);
        if (end == std::string::npos) end = path.size();
        std::string_view step(path.data() + start, end - start);
        if (!step.empty() && step.front() == '@') step.remove_prefix(1);
        const size_t colon = step.find(':');
        if (colon != std::string_view::npos) {
          const std::string prefix(step.substr(0, colon));
          const bool known = std::any_of(p.xml_namespaces.begin(), p.xml_namespaces.end(),
                                         [&](const auto& b) { return b.first == prefix; });
          if (!known)
            return Status::InvalidArgument(fmt::format("{}: prefix \"{}\" is not declared; add it under [namespaces] "
                                                       "(e.g. {} = \"urn:...\") or write the local name alone",
                                                       what, prefix, prefix));
        }
        start = end + 1;
      }
      return Status::Ok();
    };
    TC_RETURN_IF_ERROR(check_names(p.records, "records"));
    for (const FieldRef* f : {&p.module, &p.value, &p.unit_field}) TC_RETURN_IF_ERROR(check_names(f->name, "fields"));
    for (const auto& f : p.timestamp) TC_RETURN_IF_ERROR(check_names(f.name, "fields.timestamp"));
    for (const auto& f : p.columns) TC_RETURN_IF_ERROR(check_names(f.name, "fields.columns"));
  }
  return Status::Ok();
}

// A TOML basic string: quotes, backslashes and control characters escaped;
// bytes that are not UTF-8 (TOML must be) become U+FFFD.
std::string TomlString(const std::string& s) {
  std::string out = "\"";
  for (size_t i = 0; i < s.size(); ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c == '\t') {
      out += "\\t";
    } else if (c < 0x20 || c == 0x7F) {
      out += fmt::format("\\u{:04X}", c);
    } else if (c < 0x80) {
      out += static_cast<char>(c);
    } else {
      // One UTF-8 sequence, if valid.
      const size_t len = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 1;
      if (len > 1 && i + len <= s.size() && IsValidUtf8(std::string_view(s).substr(i, len))) {
        out.append(s, i, len);
        i += len - 1;
      } else {
        out += "\xEF\xBF\xBD";
      }
    }
  }
  return out + "\"";
}

std::string TomlRef(const FieldRef& f) { return f.index > 0 ? std::to_string(f.index) : TomlString(f.name); }

std::string TomlChar(char c) { return c == 0 ? "\"\"" : c == '\t' ? "\"\\t\"" : TomlString(std::string(1, c)); }

}  // namespace

const char* FormatName(Profile::Format f) {
  switch (f) {
    case Profile::Format::kCsv: return "csv";
    case Profile::Format::kJson: return "json";
    case Profile::Format::kNdjson: return "ndjson";
    case Profile::Format::kXml: return "xml";
  }
  return "?";
}

Result<Profile> LoadProfileString(const std::string& text, const std::string& origin, bool module_given) {
  toml::table root;
  try {
    root = toml::parse(text, origin);
  } catch (const toml::parse_error& e) {
    return Status::InvalidArgument(origin + ": line " + std::to_string(e.source().begin.line) + ": " +
                                   std::string(e.description()));
  }
  return LoadProfileTable(root, origin, module_given);
}

Result<Profile> LoadProfileTable(const toml::table& table, const std::string& origin, bool module_given) {
  Profile p;
  p.name = std::filesystem::path(origin).stem().string();
  Status s = FillProfile(table, p, module_given);
  if (!s.ok()) return s.WithContext("profile " + origin);
  return p;
}

Result<Profile> LoadProfileFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::NotFound("cannot read profile " + path);
  std::stringstream ss;
  ss << in.rdbuf();
  return LoadProfileString(ss.str(), path);
}

std::string ProfileToToml(const Profile& p) {
  std::string o;
  o += fmt::format("format = {}\n", TomlString(FormatName(p.format)));
  o += fmt::format("layout = {}\n", TomlString(p.layout == Profile::Layout::kLong ? "long" : "wide"));
  o += fmt::format("encoding = {}\n", TomlString(EncodingName(p.encoding)));
  if (p.format == Profile::Format::kCsv) {
    o += fmt::format("delimiter = {}\n", p.delimiter == 0 ? "\"auto\"" : TomlChar(p.delimiter));
    if (p.quote != '"') o += fmt::format("quote = {}\n", TomlChar(p.quote));
    if (p.skip_rows > 0) o += fmt::format("skip_rows = {}\n", p.skip_rows);
    o += fmt::format("header = {}\n", p.header ? "true" : "false");
    if (p.units_row) o += "units_row = true\n";
  }
  if (!p.records.empty()) o += fmt::format("records = {}\n", TomlString(p.records));
  std::string namespaces;
  for (const auto& [prefix, uri] : p.xml_namespaces) namespaces += fmt::format("{} = {}\n", prefix, TomlString(uri));
  o += fmt::format("decimal = {}\n", TomlChar(p.number.decimal));
  if (p.number.thousands) o += fmt::format("thousands = {}\n", TomlChar(p.number.thousands));
  o += fmt::format("timestamp_format = {}\n", TomlString(p.timestamp_format));
  o += fmt::format("timezone = {}\n", TomlString(p.timezone));
  if (p.interval_ms > 0) o += fmt::format("interval = \"{}s\"\n", p.interval_ms / 1000);
  if (p.end_stamped) o += "timestamp_marks = \"end\"\n";
  if (p.shift_to_start) o += "shift_to_start = true\n";
  if (!p.unit.empty()) o += fmt::format("unit = {}\n", TomlString(p.unit));
  if (!p.module_prefix.empty()) o += fmt::format("module_prefix = {}\n", TomlString(p.module_prefix));
  o += fmt::format("on_row_error = {}\n", TomlString(p.skip_bad_rows ? "skip" : "reject"));
  if (p.empty_is_error) o += "on_empty_value = \"error\"\n";
  if (p.min_value) o += fmt::format("min_value = {}\n", *p.min_value);
  if (p.max_value) o += fmt::format("max_value = {}\n", *p.max_value);
  if (!p.map_name.empty()) o += fmt::format("map = {}\n", TomlString(p.map_name));
  o += "\n[fields]\n";
  auto refs = [](const std::vector<FieldRef>& v) {
    if (v.size() == 1) return TomlRef(v[0]);
    std::string s = "[";
    for (size_t i = 0; i < v.size(); ++i) s += (i ? ", " : "") + TomlRef(v[i]);
    return s + "]";
  };
  if (!p.module.empty()) o += fmt::format("module = {}\n", TomlRef(p.module));
  o += fmt::format("timestamp = {}\n", refs(p.timestamp));
  if (!p.value.empty()) o += fmt::format("value = {}\n", TomlRef(p.value));
  if (!p.unit_field.empty()) o += fmt::format("unit = {}\n", TomlRef(p.unit_field));
  if (!p.interval_field.empty()) o += fmt::format("interval = {}\n", TomlRef(p.interval_field));
  if (p.layout == Profile::Layout::kWide) {
    if (!p.columns.empty()) o += fmt::format("columns = {}\n", refs(p.columns));
    if (!p.exclude.empty()) {
      std::string s = "[";
      for (size_t i = 0; i < p.exclude.size(); ++i) s += (i ? ", " : "") + TomlString(p.exclude[i]);
      o += fmt::format("exclude = {}]\n", s);
    }
    o += fmt::format("module_name = {}\n", TomlString(p.module_name));
  }
  if (!namespaces.empty()) o += "\n[namespaces]\n" + namespaces;
  if (p.map) {
    auto names = [](const std::vector<std::string>& v) {
      std::string s = "[";
      for (size_t i = 0; i < v.size(); ++i) s += (i ? ", " : "") + TomlString(v[i]);
      return s + "]";
    };
    o += "\n[map]\n";
    if (!p.map->keep_only.empty()) o += fmt::format("keep_only = {}\n", names(p.map->keep_only));
    if (!p.map->exclude.empty()) o += fmt::format("exclude = {}\n", names(p.map->exclude));
    for (const auto& [field, rule] : p.map->fields) {
      o += fmt::format("[map.field.{}]\n", TomlString(field));
      if (!rule.name.empty()) o += fmt::format("name = {}\n", TomlString(rule.name));
      if (rule.unit) o += fmt::format("unit = {}\n", TomlString(*rule.unit));
      if (rule.scale != 1) o += fmt::format("scale = {}\n", rule.scale);
      if (rule.offset != 0) o += fmt::format("offset = {}\n", rule.offset);
    }
  }
  return o;
}

}  // namespace telecollect::files
