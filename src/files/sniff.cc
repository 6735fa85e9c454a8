#include "files/sniff.h"
#include "files/xml_tokenizer.h"

#include <algorithm>
#include <filesystem>
#include <functional>
#include <map>
#include <set>
#include <unordered_map>

#include <fmt/format.h>
#include <simdjson.h>

#include "files/csv_reader.h"
#include "files/input_file.h"
#include "files/number_format.h"
#include "files/text_reader.h"
#include "files/timestamp_format.h"

namespace telecollect::files {
namespace {

constexpr size_t kSampleBytes = 8 << 20;
constexpr size_t kSampleRows = 200;

// One candidate field and some of its values.
struct Column {
  std::string ref;  // how the profile names it: header, index, JSON path, XML path
  std::vector<std::string> values;
  int index = 0;    // CSV column number (0 for JSON and XML paths)
  bool named = true;  // false for a CSV column without a header name, or an empty or repeated one: use the index
};

// Whether a profile field reference designates this column.
bool Designates(const FieldRef& r, const Column& c) { return r.index > 0 ? c.index == r.index : c.ref == r.name; }

// ---- names ------------------------------------------------------------------

// Lower case, accents folded (UTF-8 é è ê à ç ô û → e e e a c o u), separators as spaces.
std::string Fold(std::string_view s) {
  std::string o;
  for (size_t i = 0; i < s.size(); ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c == 0xC3 && i + 1 < s.size()) {
      const auto d = static_cast<unsigned char>(s[++i]) | 0x20;  // lower-case the Latin-1 letter
      if (d >= 0xA8 && d <= 0xAB) o += 'e';
      else if (d >= 0xA0 && d <= 0xA5) o += 'a';
      else if (d == 0xA7) o += 'c';
      else if (d >= 0xB2 && d <= 0xB6) o += 'o';
      else if (d >= 0xB9 && d <= 0xBC) o += 'u';
      else if (d >= 0xAC && d <= 0xAF) o += 'i';
      continue;
    }
    if (std::isalnum(c)) o += static_cast<char>(std::tolower(c));
    else if (!o.empty() && o.back() != ' ') o += ' ';
  }
  while (!o.empty() && o.back() == ' ') o.pop_back();
  return o;
}

bool HasWord(const std::string& folded, std::initializer_list<const char*> words) {
  std::string padded = " " + folded + " ";
  for (const char* w : words) {
    if (padded.find(std::string(" ") + w + " ") != std::string::npos) return true;
    // Glued names: "dateheure", "meterid", "valeur_kwh" already split; "timestamp" whole.
    if (folded == w) return true;
  }
  return false;
}

bool NamedTime(const std::string& n) {
  return HasWord(Fold(n), {"date", "horodatage", "horodate", "heure", "time", "timestamp", "datetime", "ts", "periode", "period",
                           "debut", "fin", "start", "end", "instant", "jour", "day", "t", "dateheure"});
}
bool NamedModule(const std::string& n) {
  return HasWord(Fold(n), {"point", "compteur", "module", "meter", "id", "prm", "pdl", "pce", "capteur", "sensor",
                           "device", "deviceid", "equipement", "name", "nom", "reference", "ref", "serial", "serie",
                           "code", "channel", "voie", "tag", "variable", "mesure id", "sensorid", "meterid"});
}
bool NamedValue(const std::string& n) {
  return HasWord(Fold(n), {"valeur", "value", "val", "v", "mesure", "measure", "index", "consommation", "conso",
                           "puissance", "power", "energie", "energy", "kwh", "wh", "kw", "reading", "releve",
                           "quantite", "quantity", "volume", "temperature", "temp"});
}
bool NamedUnit(const std::string& n) { return HasWord(Fold(n), {"unite", "unit", "units", "uom"}); }

// ---- values -----------------------------------------------------------------

const char* const kDateTimeFormats[] = {
    "iso8601",           "%d/%m/%Y %H:%M:%S", "%d/%m/%Y %H:%M", "%d/%m/%Y",       "%d-%m-%Y %H:%M:%S",
    "%d-%m-%Y %H:%M",    "%d-%m-%Y",          "%d.%m.%Y %H:%M:%S", "%d.%m.%Y %H:%M", "%d.%m.%Y",
    "%Y/%m/%d %H:%M:%S", "%Y/%m/%d %H:%M",    "%Y/%m/%d",       "%m/%d/%Y %H:%M:%S", "%m/%d/%Y %H:%M",
    "%m/%d/%Y",          "%d/%m/%y %H:%M",    "%d/%m/%y",       "%Y%m%d%H%M%S",   "%Y%m%d%H%M",
    "%Y%m%d"};

// A sample may hold the very errors validation is to report: a column is of a
// kind when more than half of its non-empty values are.
bool Mostly(const std::vector<std::string>& values, const std::function<bool(std::string_view)>& pred) {
  size_t n = 0, ok = 0;
  for (const std::string& v : values) {
    const std::string_view t = TrimSpaces(v);
    if (t.empty()) continue;
    ++n;
    if (pred(t)) ++ok;
  }
  return ok * 2 > n;
}

bool IsWholeNumber(std::string_view v) {
  return std::all_of(v.begin(), v.end(), [](char c) { return std::isdigit(static_cast<unsigned char>(c)); });
}

size_t DistinctValues(const std::vector<std::string>& values) {
  std::set<std::string_view> seen;
  for (const std::string& v : values) seen.insert(TrimSpaces(v));
  return seen.size();
}

bool AllParse(const TimestampFormat& f, const std::vector<std::string>& values) {
  return Mostly(values, [&](std::string_view t) { return f.Read(t).ok(); });
}

// The first format that reads every value; "" if none.
std::string TimeFormatOf(const std::vector<std::string>& values) {
  for (const char* spec : kDateTimeFormats) {
    if (AllParse(*TimestampFormat::Parse(spec), values)) return spec;
  }
  // Epoch seconds or milliseconds: plausible 2000..2100 magnitudes, integers.
  bool all = true;
  int n = 0;
  for (const std::string& v : values) {
    const std::string_view t = TrimSpaces(v);
    if (t.empty()) continue;
    double d = 0;
    if (!ParseNumber(t, {'.', 0}, d) || !((d >= 9.4e8 && d < 4.2e9) || (d >= 9.4e11 && d < 4.2e12))) all = false;
    ++n;
  }
  return all && n > 0 ? "epoch" : "";
}

bool IsTimeOfDay(std::string_view t) {
  t = TrimSpaces(t);
  int h = 0, m = 0;
  size_t p = 0;
  auto digits = [&](int& out, size_t max) {
    size_t n = 0;
    out = 0;
    while (p < t.size() && n < max && std::isdigit(static_cast<unsigned char>(t[p]))) {
      out = out * 10 + (t[p++] - '0');
      ++n;
    }
    return n > 0;
  };
  if (!digits(h, 2) || p >= t.size() || (t[p] != ':' && t[p] != 'h')) return false;
  ++p;
  if (!digits(m, 2)) return false;
  if (p < t.size() && t[p] == ':') {
    int s = 0;
    ++p;
    if (!digits(s, 2) || s > 59) return false;
  }
  return p == t.size() && h <= 24 && m <= 59;
}

bool AllMatch(const std::vector<std::string>& values, const std::function<bool(std::string_view)>& pred) {
  int n = 0;
  for (const std::string& v : values) {
    const std::string_view t = TrimSpaces(v);
    if (t.empty()) continue;
    if (!pred(t)) return false;
    ++n;
  }
  return n > 0;
}

enum class Kind { kEmpty, kNumber, kTime, kDate, kTimeOfDay, kIdentifier, kText };

struct Typed {
  Kind kind = Kind::kText;
  std::string time_format;  // kTime / kDate
};

Typed Classify(const std::vector<std::string>& values, const NumberFormat& nf) {
  if (std::all_of(values.begin(), values.end(), [](const std::string& v) { return TrimSpaces(v).empty(); }))
    return {Kind::kEmpty, ""};
  // Long digit strings of one length are meter identifiers (PRM, PDL: 14 digits), not values.
  const bool ident = AllMatch(values, [&](std::string_view v) {
    return v.size() >= 9 && v.size() == TrimSpaces(values.front()).size() &&
           std::all_of(v.begin(), v.end(), [](char c) { return std::isdigit(static_cast<unsigned char>(c)); });
  });
  const std::string fmt = TimeFormatOf(values);
  if (!fmt.empty() && fmt != "epoch") {
    const bool date_only = AllMatch(values, [](std::string_view v) { return v.find(':') == std::string_view::npos; });
    return {date_only && fmt != "iso8601" && fmt.find("%H") == std::string::npos ? Kind::kDate : Kind::kTime, fmt};
  }
  if (ident && fmt.empty()) return {Kind::kIdentifier, ""};
  if (Mostly(values, [&](std::string_view v) { double d; return ParseNumber(v, nf, d); })) {
    if (fmt == "epoch") return {Kind::kTime, fmt};
    return {Kind::kNumber, ""};
  }
  if (AllMatch(values, IsTimeOfDay)) return {Kind::kTimeOfDay, ""};
  return {Kind::kText, ""};
}

// Decimal and thousands separators seen in the values.
// `json`: numbers came from JSON numbers (always '.'), so only commas tell.
NumberFormat GuessNumbers(const std::vector<Column>& cols, char delimiter, std::vector<std::string>& notes, bool json = false) {
  int comma = 0, dot = 0, space_groups = 0;
  std::string spaced;
  for (const Column& c : cols) {
    for (const std::string& v : c.values) {
      // The no-break spaces spreadsheets group digits with (U+00A0, U+202F) count as spaces.
      spaced.clear();
      for (size_t i = 0; i < v.size(); ++i) {
        const size_t nbsp = NoBreakSpaceAt(v, i);
        spaced += nbsp > 0 ? ' ' : v[i];
        if (nbsp > 0) i += nbsp - 1;
      }
      const std::string_view t = TrimSpaces(spaced);
      // Only number-like values: digits, separators, sign, exponent.
      if (t.empty() || !std::all_of(t.begin(), t.end(), [](char ch) {
            return std::isdigit(static_cast<unsigned char>(ch)) || ch == ',' || ch == '.' || ch == ' ' || ch == '-' ||
                   ch == '+' || ch == 'e' || ch == 'E';
          }))
        continue;
      for (size_t i = 1; i + 1 < t.size(); ++i) {
        const bool around = std::isdigit(static_cast<unsigned char>(t[i - 1])) && std::isdigit(static_cast<unsigned char>(t[i + 1]));
        if (!around) continue;
        if (t[i] == ',') ++comma;
        if (t[i] == '.') ++dot;
        if (t[i] == ' ') ++space_groups;
      }
    }
  }
  NumberFormat nf;
  if (comma > 0 && delimiter != ',' && (json || comma >= dot)) {
    nf.decimal = ',';
    notes.push_back(fmt::format("decimal comma: {} values like 12,5", comma));
    if (space_groups > 0) {
      nf.thousands = ' ';
      notes.push_back("thousands separator: space");
    }
  }
  return nf;
}

// ---- roles --------------------------------------------------------------------

Status AssignRoles(std::vector<Column>& cols, Profile& p, std::vector<std::string>& notes, bool header,
                   const std::vector<std::string>& parent_refs) {
  std::vector<Typed> types;
  for (const Column& c : cols) types.push_back(Classify(c.values, p.number));
  auto ref_of = [&](size_t i) {
    FieldRef r;
    if (cols[i].named) r.name = cols[i].ref;
    else r.index = cols[i].index;
    return r;
  };
  auto describe = [&](size_t i) { return ref_of(i).Describe(); };

  // Timestamp: a date-time column (named like one first), or a date and a time-of-day column.
  // Of several date-time columns, the one whose values vary the most: an export's period
  // (Enedis "Date de début" / "Date de fin") is the same on every row, the reading's own
  // time ("Horodate") is not. On a tie, the first.
  int ts = -1, date_col = -1, time_col = -1;
  for (int pass = 0; pass < 2 && ts < 0; ++pass) {
    size_t most = 0;
    for (size_t i = 0; i < cols.size(); ++i) {
      if (types[i].kind != Kind::kTime || (pass == 0 && !NamedTime(cols[i].ref))) continue;
      const size_t distinct = DistinctValues(cols[i].values);
      if (ts < 0 || distinct > most) {
        ts = static_cast<int>(i);
        most = distinct;
      }
    }
  }
  if (ts < 0) {
    for (size_t i = 0; i < cols.size(); ++i) {
      if (types[i].kind == Kind::kDate && date_col < 0) date_col = static_cast<int>(i);
      if (types[i].kind == Kind::kTimeOfDay && time_col < 0) time_col = static_cast<int>(i);
    }
    if (date_col >= 0 && time_col >= 0) {
      p.timestamp = {ref_of(date_col), ref_of(time_col)};
      const bool secs = AllMatch(cols[time_col].values, [](std::string_view v) { return std::count(v.begin(), v.end(), ':') == 2; });
      p.timestamp_format = types[date_col].time_format + (secs ? " %H:%M:%S" : " %H:%M");
      notes.push_back(fmt::format("timestamp: date {} + time {}, format \"{}\"", describe(date_col), describe(time_col),
                                  p.timestamp_format));
    } else if (date_col >= 0) {
      ts = date_col;
    }
  }
  if (ts >= 0) {
    p.timestamp = {ref_of(ts)};
    p.timestamp_format = types[ts].time_format;
    notes.push_back(fmt::format("timestamp: {}, format \"{}\"", describe(ts), p.timestamp_format));
  }
  if (p.timestamp.empty()) return Status::InvalidArgument("no field reads as a timestamp; write the profile by hand (docs/files.md)");
  const std::vector<int> used_ts = ts >= 0 ? std::vector<int>{ts} : std::vector<int>{date_col, time_col};
  auto is_ts = [&](size_t i) { return std::find(used_ts.begin(), used_ts.end(), static_cast<int>(i)) != used_ts.end(); };

  // Module: a text or identifier column, preferring module-like names.
  int module = -1, unit = -1;
  for (size_t i = 0; i < cols.size(); ++i) {
    if (is_ts(i)) continue;
    if ((types[i].kind == Kind::kText) && NamedUnit(cols[i].ref)) { unit = static_cast<int>(i); continue; }
  }
  // A text column not named like a module is one only if it names things seen more than once:
  // a value that repeats (a meter read at several instants) or an instant several rows share
  // (several meters); a free-text column (a note per reading) does neither.
  const bool times_repeat =
      std::any_of(used_ts.begin(), used_ts.end(), [&](int t) { return DistinctValues(cols[t].values) < cols[t].values.size(); });
  const auto repeats = [&](size_t i) { return times_repeat || DistinctValues(cols[i].values) < cols[i].values.size(); };
  for (int pass = 0; pass < 3 && module < 0; ++pass) {
    for (size_t i = 0; i < cols.size(); ++i) {
      if (is_ts(i) || static_cast<int>(i) == unit) continue;
      const Kind k = types[i].kind;
      const bool named = NamedModule(cols[i].ref);
      // A module is never empty: a text column with blanks is a comment, not a module.
      const bool blanks = std::any_of(cols[i].values.begin(), cols[i].values.end(),
                                      [](const std::string& v) { return TrimSpaces(v).empty(); });
      if (blanks) continue;
      // Short meter numbers read as integers: named like a module (compteur, PRM, id) and
      // not like a value, whole numbers only, such a column is the module.
      const bool numbered = k == Kind::kNumber && named && !NamedValue(cols[i].ref) && Mostly(cols[i].values, IsWholeNumber);
      if ((pass == 0 && (k == Kind::kText || k == Kind::kIdentifier || numbered) && named) ||
          (pass == 1 && k == Kind::kIdentifier) || (pass == 2 && k == Kind::kText && repeats(i))) {
        module = static_cast<int>(i);
        break;
      }
    }
  }
  std::vector<size_t> numbers;
  for (size_t i = 0; i < cols.size(); ++i) {
    if (!is_ts(i) && static_cast<int>(i) != module && types[i].kind == Kind::kNumber) numbers.push_back(i);
  }
  // A unit beside the module id, in the enclosing object or element ({"id": "EM-01", "unit": "kWh",
  // "values": [...]}, <Meter id="EM-01" unit="kWh">): "../unit", "../@unit".
  std::string parent_unit;
  const auto ref_name = [](const std::string& ref) { return ref.substr(ref.find_last_of("./@") + 1); };
  for (const std::string& ref : parent_refs) {
    if (NamedUnit(ref_name(ref))) {
      parent_unit = ref;
      break;
    }
  }
  std::string parent_module;
  for (const std::string& ref : parent_refs) {
    if (ref != parent_unit && parent_module.empty()) parent_module = ref;
  }
  if (module >= 0 || !parent_module.empty()) {
    // Long: one value column (named like one, else the first number).
    p.layout = Profile::Layout::kLong;
    if (module >= 0) {
      p.module = ref_of(module);
      notes.push_back(fmt::format("module: {}", describe(module)));
    } else {
      p.module.name = parent_module;
      notes.push_back(fmt::format("module: {} (from the enclosing element)", parent_module));
    }
    if (numbers.empty()) return Status::InvalidArgument("no numeric field for the value; write the profile by hand (docs/files.md)");
    size_t value = numbers.front();
    for (size_t i : numbers) {
      if (NamedValue(cols[i].ref)) {
        value = i;
        break;
      }
    }
    p.value = ref_of(value);
    notes.push_back(fmt::format("value: {}", describe(value)));
    if (numbers.size() > 1) notes.push_back(fmt::format("{} other numeric fields ignored (layout long)", numbers.size() - 1));
    if (unit >= 0) {
      p.unit_field = ref_of(unit);
      notes.push_back(fmt::format("unit: {}", describe(unit)));
    } else if (!parent_unit.empty()) {
      p.unit_field.name = parent_unit;
      notes.push_back(fmt::format("unit: {} (beside the module id, in the enclosing element)", parent_unit));
    }
    return Status::Ok();
  }
  if (numbers.empty()) return Status::InvalidArgument("no numeric field; write the profile by hand (docs/files.md)");
  p.layout = Profile::Layout::kWide;
  notes.push_back(fmt::format("layout wide: {} numeric columns, one module each", numbers.size()));
  // Module names come from the header: a column without a usable name (empty or repeated) can
  // be no module, so the columns are then listed instead of taken all but the excluded.
  const bool all_named = std::all_of(cols.begin(), cols.end(), [](const Column& c) { return c.named; });
  if (!all_named) {
    for (size_t i : numbers) {
      if (header && !cols[i].named) {
        notes.push_back(fmt::format("column {} ignored: its header name is empty or repeated", cols[i].index));
        continue;
      }
      p.columns.push_back(ref_of(i));
    }
    if (p.columns.empty()) return Status::InvalidArgument("no numeric column has a usable header name; write the profile by hand (docs/files.md)");
    return Status::Ok();
  }
  for (size_t i = 0; i < cols.size(); ++i) {
    if (!is_ts(i) && types[i].kind != Kind::kNumber && types[i].kind != Kind::kEmpty) p.exclude.push_back(cols[i].ref);
  }
  return Status::Ok();
}

int64_t GuessInterval(const std::vector<std::string>& times, const TimestampFormat& f) {
  std::map<int64_t, int> deltas;
  int64_t prev = INT64_MIN;
  for (const std::string& t : times) {
    auto v = f.Read(TrimSpaces(t));
    if (!v.ok()) continue;
    const int64_t ms = v->absolute ? v->utc : v->local;
    if (prev != INT64_MIN && ms > prev) ++deltas[ms - prev];
    prev = ms;
  }
  if (deltas.empty()) return 0;
  return std::max_element(deltas.begin(), deltas.end(), [](auto& a, auto& b) { return a.second < b.second; })->first;
}

// ---- CSV ----------------------------------------------------------------------

struct SampleRecord {
  std::vector<std::string> fields;
};

// The sample's records, through the importer's own CSV reader. A sample cut
// by the 8 MiB limit loses its last record (and stops at a quote it cut).
// The reader's error is the answer only when not one record came before it
// (a first line wider than kMaxCsvFields): otherwise validation reports it.
Result<std::vector<SampleRecord>> SplitSample(std::string_view text, char delim, bool truncated) {
  CsvReader reader(text, {delim, '"'});
  std::vector<SampleRecord> out;
  std::vector<std::string_view> fields;
  int64_t line = 0;
  while (true) {
    Result<bool> more = reader.Next(fields, line);
    if (!more.ok() && out.empty()) return more.status();
    if (!more.ok() || !*more) break;
    out.push_back({std::vector<std::string>(fields.begin(), fields.end())});
  }
  if (truncated && !out.empty()) out.pop_back();
  return out;
}

// Whether each name occurs exactly once among `names` (linear: one count per name).
std::vector<bool> UniqueNames(const std::vector<std::string>& names) {
  std::unordered_map<std::string_view, size_t> count;
  count.reserve(names.size());
  for (const std::string& n : names) ++count[n];
  std::vector<bool> unique(names.size());
  for (size_t i = 0; i < names.size(); ++i) unique[i] = count[names[i]] == 1;
  return unique;
}

Status SniffCsv(std::string_view text, bool truncated, SniffResult& r) {
  Profile& p = r.profile;
  p.format = Profile::Format::kCsv;
  p.delimiter = DetectDelimiter(text, '"');
  if (p.delimiter == 0) return Status::InvalidArgument("no delimiter splits the lines into columns (tried ; , TAB |)");
  r.notes.push_back(fmt::format("delimiter: {}", p.delimiter == '\t' ? "TAB" : std::string(1, p.delimiter)));
  TC_ASSIGN_OR_RETURN(std::vector<SampleRecord> recs, SplitSample(text, p.delimiter, truncated));
  if (recs.size() < 2) return Status::InvalidArgument("fewer than two lines: nothing to learn from");
  // The most common field count; preamble lines before the first such line are skipped.
  std::map<size_t, int> counts;
  for (const auto& rec : recs) {
    if (rec.fields.size() >= 2) ++counts[rec.fields.size()];
  }
  if (counts.empty()) return Status::InvalidArgument("no line has two fields or more");
  const size_t width = std::max_element(counts.begin(), counts.end(), [](auto& a, auto& b) { return a.second < b.second; })->first;
  size_t first = 0;
  while (first < recs.size() && recs[first].fields.size() != width) ++first;
  p.skip_rows = static_cast<int>(first);
  if (first > 0) r.notes.push_back(fmt::format("skip_rows: {} preamble line(s)", first));
  // Header: the first full line has no number and no timestamp in it.
  auto no_number_nor_time = [](const SampleRecord& rec) {
    for (const std::string& f : rec.fields) {
      double d;
      if (ParseNumber(f, {'.', 0}, d) || ParseNumber(f, {',', 0}, d) || !TimeFormatOf({f}).empty()) return false;
    }
    return true;
  };
  const SampleRecord& head = recs[first];
  const bool header = no_number_nor_time(head);
  p.header = header;
  r.notes.push_back(header ? "header: line " + std::to_string(first + 1) : "no header: fields are column numbers");
  // Units: a second such line of short words ("°C", "kWh") before the data.
  if (header && first + 2 < recs.size() && recs[first + 1].fields.size() == width && no_number_nor_time(recs[first + 1])) {
    const auto& units = recs[first + 1].fields;
    const bool short_words = std::all_of(units.begin(), units.end(), [](const std::string& u) { return TrimSpaces(u).size() <= 12; });
    if (short_words && std::any_of(units.begin(), units.end(), [](const std::string& u) { return !TrimSpaces(u).empty(); })) {
      p.units_row = true;
      r.notes.push_back(fmt::format("units_row: line {} gives each column's unit", first + 2));
    }
  }
  std::vector<Column> cols(width);
  for (size_t i = 0; i < width; ++i) {
    cols[i].ref = header ? std::string(TrimSpaces(head.fields[i])) : std::to_string(i + 1);
    cols[i].index = static_cast<int>(i + 1);
  }
  std::vector<std::string> refs(width);
  for (size_t i = 0; i < width; ++i) refs[i] = cols[i].ref;
  const std::vector<bool> unique = UniqueNames(refs);
  for (size_t i = 0; i < width; ++i) cols[i].named = header && !cols[i].ref.empty() && unique[i];
  const size_t data = first + (header ? 1 : 0) + (p.units_row ? 1 : 0);
  for (size_t k = data; k < recs.size() && k < data + kSampleRows; ++k) {
    if (recs[k].fields.size() != width) continue;
    for (size_t i = 0; i < width; ++i) cols[i].values.push_back(recs[k].fields[i]);
  }
  p.number = GuessNumbers(cols, p.delimiter, r.notes);
  TC_RETURN_IF_ERROR(AssignRoles(cols, p, r.notes, header, {}));
  // A last line without a timestamp, when the sample is the whole file, is a
  // total or a footer ("Total;;1234"): such rows are skipped and reported.
  if (!truncated && recs.size() > data + 1) {
    const SampleRecord& last = recs.back();
    const bool untimed = std::all_of(p.timestamp.begin(), p.timestamp.end(), [&](const FieldRef& f) {
      for (const Column& c : cols) {
        if (Designates(f, c)) return c.index > static_cast<int>(last.fields.size()) || TrimSpaces(last.fields[c.index - 1]).empty();
      }
      return false;
    });
    if (untimed) {
      p.skip_bad_rows = true;
      r.notes.push_back("on_row_error: skip (the last record has no timestamp: a total or a footer)");
    }
  }
  if (p.timestamp.size() == 1) {
    for (const Column& c : cols) {
      if (Designates(p.timestamp[0], c)) {
        std::vector<std::string> times = c.values;
        if (p.layout == Profile::Layout::kLong) {
          // One module's times: the module of the first row.
          const Column* m = nullptr;
          for (const Column& mc : cols) if (Designates(p.module, mc)) m = &mc;
          if (m != nullptr) {
            times.clear();
            for (size_t i = 0; i < c.values.size(); ++i) if (m->values[i] == m->values.front()) times.push_back(c.values[i]);
          }
        }
        p.interval_ms = GuessInterval(times, *TimestampFormat::Parse(p.timestamp_format));
      }
    }
  }
  return Status::Ok();
}

// ---- JSON ---------------------------------------------------------------------

struct JsonCandidate {
  std::string path;
  std::vector<simdjson::dom::object> objects;
  std::vector<std::string> parent_strings;  // "../key" of string members of the enclosing object
};

void FindArrays(simdjson::dom::element e, const std::string& path, std::vector<std::string> parent_strings,
                std::vector<JsonCandidate>& out, int depth) {
  using T = simdjson::dom::element_type;
  if (depth > 16) return;
  if (e.type() == T::OBJECT) {
    std::vector<std::string> strings;
    const simdjson::dom::object obj = e.get_object().value_unsafe();
    for (auto kv : obj) {
      if (kv.value.type() == T::STRING) strings.push_back("../" + std::string(kv.key));
    }
    for (auto kv : obj) {
      FindArrays(kv.value, path + "/" + std::string(kv.key), strings, out, depth + 1);
    }
  } else if (e.type() == T::ARRAY) {
    JsonCandidate c;
    c.path = path;
    c.parent_strings = parent_strings;
    bool nested_done = false;
    const simdjson::dom::array arr = e.get_array().value_unsafe();
    for (auto item : arr) {
      if (item.type() == T::OBJECT) {
        if (c.objects.size() < kSampleRows) c.objects.push_back(item.get_object().value_unsafe());
        if (!nested_done) {
          FindArrays(item, path + "/*", {}, out, depth + 1);
          nested_done = true;  // one element is enough to find nested arrays
        }
      }
    }
    if (!c.objects.empty()) out.push_back(std::move(c));
  }
}

// The records' scalar members, and those of nested objects named with dots
// ("values.temp"), as the reader's fields and wide columns name them.
void JsonColumns(const std::vector<simdjson::dom::object>& objects, std::vector<Column>& cols) {
  using T = simdjson::dom::element_type;
  std::map<std::string, size_t> index;
  const auto members = [&](const auto& self, simdjson::dom::object o, const std::string& prefix, int depth) -> void {
    for (auto kv : o) {
      const std::string name = prefix.empty() ? std::string(kv.key) : prefix + "." + std::string(kv.key);
      std::string v;
      switch (kv.value.type()) {
        case T::STRING: v = std::string(kv.value.get_string().value_unsafe()); break;
        case T::INT64: case T::UINT64: case T::DOUBLE: v = simdjson::to_string(kv.value); break;
        case T::NULL_VALUE: break;
        case T::OBJECT:
          if (depth < kMaxJsonNesting) self(self, kv.value.get_object().value_unsafe(), name, depth + 1);
          continue;
        default: continue;  // an array: not a field
      }
      auto [it, fresh] = index.emplace(name, cols.size());
      if (fresh) cols.push_back({name, {}, 0});
      cols[it->second].values.push_back(std::move(v));
    }
  };
  for (const auto& o : objects) members(members, o, "", 0);
}

Status SniffJson(std::string_view text, bool truncated, SniffResult& r) {
  Profile& p = r.profile;
  simdjson::dom::parser parser;
  simdjson::padded_string padded(text);
  simdjson::dom::element doc;
  // NDJSON: several lines, the first a whole object.
  const size_t nl = text.find('\n');
  bool ndjson = false;
  if (nl != std::string_view::npos && TrimSpaces(text.substr(nl)).size() > 1) {
    simdjson::dom::parser line_parser;
    simdjson::padded_string first_line(text.substr(0, nl));
    simdjson::dom::element e;
    ndjson = line_parser.parse(first_line).get(e) == simdjson::SUCCESS && e.type() == simdjson::dom::element_type::OBJECT;
  }
  std::vector<Column> cols;
  std::vector<std::string> parents;
  if (ndjson) {
    p.format = Profile::Format::kNdjson;
    r.notes.push_back("format: ndjson (one object per line)");
    std::vector<simdjson::dom::object> objects;
    std::vector<std::unique_ptr<simdjson::dom::parser>> parsers;  // each line's document stays alive
    size_t start = 0;
    while (start < text.size() && objects.size() < kSampleRows) {
      size_t end = text.find('\n', start);
      if (end == std::string_view::npos) {
        if (truncated) break;
        end = text.size();
      }
      const std::string_view line = TrimSpaces(text.substr(start, end - start));
      start = end + 1;
      if (line.empty() || line == "\r") continue;
      parsers.push_back(std::make_unique<simdjson::dom::parser>());
      simdjson::dom::element e;
      if (parsers.back()->parse(line.data(), line.size()).get(e) == simdjson::SUCCESS &&
          e.type() == simdjson::dom::element_type::OBJECT)
        objects.push_back(e.get_object().value_unsafe());
    }
    JsonColumns(objects, cols);
  } else {
    p.format = Profile::Format::kJson;
    if (parser.parse(padded).get(doc) != simdjson::SUCCESS) {
      return Status::InvalidArgument(truncated ? "the JSON document is larger than the 8 MiB sniffing sample; give a smaller sample file"
                                               : "not valid JSON");
    }
    std::vector<JsonCandidate> cands;
    FindArrays(doc, "", {}, cands, 0);
    if (doc.type() == simdjson::dom::element_type::OBJECT && cands.empty()) {
      cands.push_back({"", {doc.get_object().value_unsafe()}, {}});
    }
    if (cands.empty()) return Status::InvalidArgument("no array of objects (records) in the document");
    // Prefer records holding a timestamp-like field, then the most records.
    const JsonCandidate* best = nullptr;
    int best_score = -1;
    for (const JsonCandidate& c : cands) {
      std::vector<Column> cc;
      JsonColumns(c.objects, cc);
      bool has_time = false;
      for (const Column& col : cc) has_time = has_time || !TimeFormatOf(col.values).empty();
      const int score = (has_time ? 1000000 : 0) + static_cast<int>(c.objects.size());
      if (score > best_score) {
        best_score = score;
        best = &c;
      }
    }
    p.records = best->path == "" ? "" : best->path;
    r.notes.push_back(best->path.empty() ? "records: the top-level array" : "records: " + best->path);
    JsonColumns(best->objects, cols);
    p.number = GuessNumbers(cols, 0, r.notes, true);
    parents = best->parent_strings;
    // The enclosing object's string fields are candidates for the module only
    // when the records carry no text field themselves.
    bool record_has_text = false;
    for (const Column& c : cols) record_has_text = record_has_text || Classify(c.values, p.number).kind == Kind::kText ||
                                                   Classify(c.values, p.number).kind == Kind::kIdentifier;
    if (record_has_text) parents.clear();
    std::stable_sort(parents.begin(), parents.end(), [](const std::string& a, const std::string& b) {
      return NamedModule(a.substr(3)) > NamedModule(b.substr(3));
    });
  }
  if (ndjson) p.number = GuessNumbers(cols, 0, r.notes, true);
  return AssignRoles(cols, p, r.notes, true, parents);
}

// ---- XML ----------------------------------------------------------------------

struct XmlSniffer final : public XmlTokenizer::Handler {
  struct Node {
    std::string path;
    std::map<std::string, std::string> attrs;
    std::vector<std::pair<std::string, std::string>> children;  // simple children: name, text
    std::string text;
    bool has_children = false;
  };
  std::vector<Node> stack;
  std::map<std::string, int> counts;                    // element path → occurrences
  std::map<std::string, std::vector<Column>> samples;   // element path → its fields
  std::map<std::string, std::vector<std::string>> parent_attrs;

  static std::string Local(std::string_view n) { return std::string(XmlLocalName(n)); }
  Status OnStart(std::string_view name, std::span<const XmlTokenizer::Attribute> attrs) override {
    Start(name, attrs);
    return Status::Ok();
  }
  Status OnEnd(std::string_view) override {
    End();
    return Status::Ok();
  }
  Status OnText(std::string_view text) override {
    Text(text);
    return Status::Ok();
  }
  void Start(std::string_view name, std::span<const XmlTokenizer::Attribute> attrs) {
    if (!stack.empty()) {
      stack.back().has_children = true;
      stack.back().text.clear();
    }
    Node n;
    n.path = (stack.empty() ? "" : stack.back().path) + "/" + Local(name);
    for (const auto& a : attrs) {
      if (!XmlIsNamespaceDeclaration(a.name)) n.attrs["@" + Local(a.name)] = std::string(a.value);
    }
    stack.push_back(std::move(n));
  }
  void Text(std::string_view t) {
    if (!stack.empty() && !stack.back().has_children && stack.back().text.size() < 4096) stack.back().text.append(t);
  }
  void End() {
    Node n = std::move(stack.back());
    stack.pop_back();
    if (!n.has_children && !stack.empty()) {
      const std::string name = n.path.substr(n.path.rfind('/') + 1);
      stack.back().children.emplace_back(name, std::string(TrimSpaces(n.text)));
      for (auto& [a, v] : n.attrs) stack.back().children.emplace_back(name + "/" + a, v);
    }
    if (n.attrs.empty() && n.children.empty()) return;
    if (++counts[n.path] > static_cast<int>(kSampleRows)) return;
    auto& cols = samples[n.path];
    auto add = [&](const std::string& ref, const std::string& v) {
      for (Column& c : cols) if (c.ref == ref) { c.values.push_back(v); return; }
      cols.push_back({ref, {v}, 0});
    };
    for (auto& [a, v] : n.attrs) add(a, v);
    for (auto& [c, v] : n.children) add(c, v);
    if (!stack.empty() && parent_attrs[n.path].empty()) {
      for (auto& [a, v] : stack.back().attrs) parent_attrs[n.path].push_back("../" + a);
    }
  }
};

Status SniffXml(std::string_view text, SniffResult& r) {
  Profile& p = r.profile;
  p.format = Profile::Format::kXml;
  XmlSniffer s;
  XmlTokenizer tokenizer(s);
  // A cut sample ends in an error (the document is not finished): what came before counts.
  (void)tokenizer.ParseText(text);
  if (s.counts.empty()) return Status::InvalidArgument("no repeating element with attributes or fields found");
  std::string best;
  int best_count = 0;
  for (const auto& [path, n] : s.counts) {
    bool has_time = false;
    for (const Column& c : s.samples[path]) has_time = has_time || !TimeFormatOf(c.values).empty();
    const int score = n + (has_time ? 1000000 : 0);
    if (score > best_count) {
      best_count = score;
      best = path;
    }
  }
  p.records = best;
  r.notes.push_back(fmt::format("records: {} ({} in the sample)", best, s.counts[best]));
  std::vector<Column> cols = s.samples[best];
  p.number = GuessNumbers(cols, 0, r.notes);
  bool has_text = false;
  for (const Column& c : cols) {
    const Kind k = Classify(c.values, p.number).kind;
    has_text = has_text || k == Kind::kText || k == Kind::kIdentifier;
  }
  std::vector<std::string> parents = has_text ? std::vector<std::string>{} : s.parent_attrs[best];
  return AssignRoles(cols, p, r.notes, true, parents);
}

}  // namespace

Result<SniffResult> SniffProfile(const std::string& path) {
  TC_ASSIGN_OR_RETURN(std::unique_ptr<InputFile> file, InputFile::Open(path, /*hash=*/false));
  return SniffInput(*file);
}

Result<SniffResult> SniffInput(InputFile& file) {
  const std::string& path = file.path();
  std::string part;
  TC_ASSIGN_OR_RETURN(bool any, file.NextPart(part));
  if (!any) return Status::InvalidArgument(path + ": the archive holds no file");
  TextReader reader(file, Encoding::kAuto);
  std::string text(kSampleBytes, '\0');
  size_t n = 0;
  while (n < text.size()) {
    TC_ASSIGN_OR_RETURN(size_t got, reader.Read(text.data() + n, text.size() - n));
    if (got == 0) break;
    n += got;
  }
  const bool truncated = n == text.size();
  text.resize(n);
  SniffResult r;
  r.profile.name = "sniffed";
  r.profile.encoding = reader.encoding();
  r.notes.push_back(fmt::format("encoding: {}{}", EncodingName(reader.encoding()), reader.had_bom() ? " (BOM)" : ""));
  // Format: the extension (under .gz/.zip), else the first character.
  std::filesystem::path name = part.empty() ? std::filesystem::path(path) : std::filesystem::path(part);
  std::string ext = name.extension().string();
  if (ext == ".gz" || ext == ".zip") ext = name.stem().extension().string();
  for (char& c : ext) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  const std::string_view body = TrimSpaces(std::string_view(text).substr(0, 4096));
  const char first = body.empty() ? 0 : body.find_first_not_of("\r\n") == std::string_view::npos ? 0 : body[body.find_first_not_of("\r\n")];
  Status s;
  if (ext == ".xml" || first == '<') s = SniffXml(text, r);
  else if (ext == ".json" || ext == ".ndjson" || ext == ".jsonl" || first == '{' || first == '[') s = SniffJson(text, truncated, r);
  else s = SniffCsv(text, truncated, r);
  if (!s.ok()) {
    std::string seen;
    for (const auto& n : r.notes) seen += "; " + n;
    return Status::InvalidArgument("cannot propose a profile for " + path + ": " + s.message() + " (found so far" +
                                   seen + ")");
  }
  // Times without an offset are Paris local time.
  const bool absolute = r.profile.timestamp_format == "epoch" ||
                        r.profile.timestamp_format.find("%z") != std::string::npos;
  r.profile.timezone = "Europe/Paris";
  if (!absolute) r.notes.push_back("timezone: Europe/Paris (times without an offset); times with one are read as such");
  if (r.profile.interval_ms > 0) r.notes.push_back(fmt::format("interval: {} s between readings", r.profile.interval_ms / 1000));
  return r;
}

}  // namespace telecollect::files
