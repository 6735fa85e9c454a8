#include "files/row_mapper.h"

#include <algorithm>

#include <fmt/format.h>

#include "files/number_format.h"
#include "files/text_reader.h"

namespace telecollect::files {

RowMapper::RowMapper(const Profile& profile, const Zone& zone, const TimestampFormat& format, ReadingSink& sink,
                     ImportReport& report)
    : profile_(profile), zone_(zone), format_(format), sink_(sink), report_(report) {
  chunk_.reserve(4096);  // grows to kChunk on big files only
}

void RowMapper::RowError(const Row& row, const std::string& field, std::string message) {
  if (!row_failed_) ++report_.rows_rejected;
  row_failed_ = true;
  report_.AddError({std::string(row.part), row.line, field, std::move(message)});
}

void RowMapper::Warn(const char* kind, const Row& row, const std::string& field, std::string message) {
  report_.AddWarning(kind, {std::string(row.part), row.line, field, std::move(message)});
}

bool RowMapper::RowTime(const Row& row, SeriesClock& clock, EpochMs& utc, LocalMs& local, bool& is_local) {
  std::string_view text;
  if (row.ts_count == 1) {
    text = TrimSpaces(row.ts[0]);
  } else {
    scratch_.clear();
    for (int i = 0; i < row.ts_count; ++i) {
      if (i) scratch_ += ' ';
      scratch_ += TrimSpaces(row.ts[i]);
    }
    text = scratch_;
  }
  if (text.empty()) {
    RowError(row, ts_field_, "empty timestamp");
    return false;
  }
  const bool same_text = have_last_ts_ && SameText(text, last_ts_text_);
  if (same_text && last_ts_settled_) {
    // The same text as the last row, which read as one instant whatever the
    // series (absolute, or a local time outside a DST change) and passed the
    // step and range checks: the same outcome, without redoing them.
    is_local = !last_ts_value_.absolute;
    local = last_ts_value_.local;
    utc = last_ts_utc_;
    if (is_local) clock.last = last_ts_clock_;
    row_step_ = profile_.interval_ms;
    return true;
  }
  last_ts_settled_ = false;
  Result<TimestampFormat::Value> v = same_text ? Result<TimestampFormat::Value>(last_ts_value_) : format_.Read(text);
  if (!v.ok()) {
    RowError(row, ts_field_, v.status().message());
    return false;
  }
  if (!same_text) {
    last_ts_text_.assign(text);
    last_ts_value_ = *v;
    have_last_ts_ = true;
  }
  is_local = !v->absolute;
  bool settled = profile_.interval_field.empty();  // the step comes from the profile
  if (v->absolute) {
    utc = v->utc;
  } else {
    local = v->local;
    Result<ResolvedTime> r = ResolveInSeries(zone_, v->local, clock);
    if (!r.ok()) {
      RowError(row, ts_field_, r.status().message());
      return false;
    }
    utc = r->utc;
    last_ts_clock_ = r->utc;
    settled = settled && !r->was_ambiguous;
    if (r->was_ambiguous) {
      Warn("dst_ambiguous", row, ts_field_,
           fmt::format("{} occurs twice in {}: read as the {} occurrence, {}", FormatLocal(v->local), zone_.name(),
                       r->second_occurrence ? "second" : "first", FormatIso8601(utc)));
    }
  }
  if (!RowStep(row, row_step_)) return false;
  if (profile_.shift_to_start) utc -= row_step_;
  Status range = CheckReadingRange(utc);
  if (!range.ok()) {
    RowError(row, ts_field_, range.message());
    return false;
  }
  last_ts_settled_ = settled;
  last_ts_utc_ = utc;
  return true;
}

bool RowMapper::RowStep(const Row& row, int64_t& step_ms) {
  step_ms = profile_.interval_ms;
  if (profile_.interval_field.empty()) return true;
  const std::string_view text = TrimSpaces(row.interval);
  if (text.empty()) {
    if (step_ms > 0) return true;  // the profile's interval stands in
    RowError(row, "interval", "no interval in this record");
    return false;
  }
  Result<int64_t> v = ParseDurationMs(text);
  if (!v.ok() || *v <= 0) {
    RowError(row, "interval", v.ok() ? "the interval must be positive" : v.status().message());
    return false;
  }
  step_ms = *v;
  return true;
}

bool RowMapper::Intern(const Row& row, std::string_view raw_name, std::string_view unit, uint32_t& index) {
  // The same module as the last row, or the next one in order: no hashing.
  if (!raw_names_.empty()) {
    if (SameText(raw_names_[last_index_], raw_name)) {
      index = last_index_;
      return true;
    }
    const uint32_t next = last_index_ + 1 < raw_names_.size() ? last_index_ + 1 : 0;
    if (SameText(raw_names_[next], raw_name)) {
      index = last_index_ = next;
      return true;
    }
  }
  auto it = module_index_.find(raw_name);
  if (it == module_index_.end()) {
    const std::string_view trimmed = TrimSpaces(raw_name);
    if (trimmed.empty()) {
      RowError(row, module_field_, "empty module name");
      return false;
    }
    if (std::any_of(trimmed.begin(), trimmed.end(), [](char c) { return static_cast<unsigned char>(c) < 0x20; })) {
      RowError(row, module_field_, "module name contains a control character (line break, tab)");
      return false;
    }
    if (!IsValidUtf8(trimmed)) {
      RowError(row, module_field_, "module name is not valid UTF-8: set encoding = \"windows-1252\" (or the file's encoding) in the profile");
      return false;
    }
    ModuleDef def;
    def.unit = unit.empty() ? profile_.unit : std::string(TrimSpaces(unit));
    std::string_view base = trimmed;
    const MeasurementMap::Rule* rule = nullptr;
    if (profile_.map) {  // the measurement map, on the raw name
      if (excluded_.find(raw_name) != excluded_.end()) return false;
      if (!profile_.map->Keeps(trimmed)) {
        excluded_.emplace(std::string(raw_name), true);
        return false;
      }
      rule = profile_.map->Find(trimmed);
      if (rule && !rule->name.empty()) base = rule->name;
      if (rule && rule->unit) def.unit = *rule->unit;
    }
    if (profile_.layout == Profile::Layout::kWide) {
      std::string name = profile_.module_name;
      name.replace(name.find("{column}"), 8, base);
      def.name = profile_.module_prefix + name;
    } else {
      def.name = profile_.module_prefix + std::string(base);
    }
    it = module_index_.emplace(std::string(raw_name), static_cast<uint32_t>(modules_.size())).first;
    raw_names_.emplace_back(raw_name);
    rules_.push_back(rule);
    modules_.push_back(std::move(def));
    series_.emplace_back();
  }
  index = last_index_ = it->second;
  return true;
}

template <typename FieldName>
bool RowMapper::ReadValue(const Row& row, std::string_view text, bool is_number, const double* parsed,
                          const FieldName& field, double& v) {
  if (parsed != nullptr) {
    v = *parsed;
  } else if (TrimSpaces(text).empty()) {
    if (profile_.empty_is_error) RowError(row, field(), "empty value");
    else Warn("empty_value", row, field(), "no value: no reading");
    return false;
  }
  static constexpr NumberFormat kJsonNumber{'.', 0};
  if (parsed == nullptr && !ParseNumber(text, is_number ? kJsonNumber : profile_.number, v)) {
    std::string hint;
    if (profile_.number.decimal == '.' && text.find(',') != std::string_view::npos) hint = " (decimal comma? set decimal = \",\")";
    RowError(row, field(), "\"" + std::string(text.substr(0, 64)) + "\" is not a number" + hint);
    return false;
  }
  if ((profile_.min_value && v < *profile_.min_value) || (profile_.max_value && v > *profile_.max_value)) {
    Warn("out_of_range", row, field(), fmt::format("{} is outside the plausible range", v));
  }
  return true;
}

void RowMapper::Emit(const Row& row, uint32_t module, EpochMs utc, LocalMs local, bool is_local, double value) {
  if (const MeasurementMap::Rule* rule = rules_[module]) value = MeasurementMap::Scaled(*rule, value);
  Series& s = series_[module];
  if (s.last_ts == INT64_MIN) {
    ++report_.modules;  // counted with its first reading, as the store creates it
  } else {
    if (utc == s.last_ts) {
      Warn("duplicate_timestamp", row, ts_field_,
           fmt::format("{} has two readings at {}: the later row wins", modules_[module].name, FormatIso8601(utc)));
    } else if (row_step_ > 0 && utc - s.last_ts > row_step_) {
      Warn("gap", row, ts_field_,
           fmt::format("{}: {} missing step(s) between {} and {}", modules_[module].name,
                       (utc - s.last_ts) / row_step_ - 1, FormatIso8601(s.last_ts), FormatIso8601(utc)));
    }
  }
  s.last_ts = utc;
  chunk_.push_back({module, utc, value});
  if (report_.readings == 0 || utc < report_.first_ts) report_.first_ts = utc;
  if (report_.readings == 0 || utc > report_.last_ts) report_.last_ts = utc;
  ++report_.readings;
  if (report_.sample.size() < ImportReport::kSampleSize) {
    report_.sample.push_back({modules_[module].name, utc, is_local ? FormatLocal(local) : "", value,
                              modules_[module].unit, row.line});
  }
}

Status RowMapper::Map(const Row& row) {
  ++report_.rows;
  row_failed_ = false;
  if (!row.missing.empty()) {
    RowError(row, "", row.missing);
    return Status::Ok();
  }
  EpochMs utc = 0;
  LocalMs local = 0;
  bool is_local = false;
  if (profile_.layout == Profile::Layout::kLong) {
    uint32_t module = 0;
    if (!Intern(row, row.module, row.has_unit ? row.unit : std::string_view(), module)) return Status::Ok();
    if (!RowTime(row, series_[module].clock, utc, local, is_local)) return Status::Ok();
    double v = 0;
    if (!ReadValue(row, row.value, row.value_is_number, row.value_parsed ? &row.value_number : nullptr,
                   [&] { return value_field_; }, v))
      return Status::Ok();
    Emit(row, module, utc, local, is_local, v);
  } else {
    if (!RowTime(row, row_clock_, utc, local, is_local)) return Status::Ok();
    // Parse every cell first: with on_row_error = "reject" a bad cell must not
    // leave half of its row emitted.
    struct Parsed { uint32_t module; double v; };
    thread_local std::vector<Parsed> parsed;
    parsed.clear();
    for (const Row::Cell& c : row.cells) {
      const auto field = [&] {
        return c.index > 0 ? fmt::format("column {} ({})", c.index, c.column) : std::string(c.column);
      };
      // A column the measurement map leaves out is not read at all (it may hold text).
      if (profile_.map && !profile_.map->Keeps(TrimSpaces(c.column))) continue;
      double v = 0;
      if (!ReadValue(row, c.value, c.is_number, c.parsed ? &c.number : nullptr, field, v)) continue;
      uint32_t module = 0;
      if (!Intern(row, c.column, c.unit, module)) continue;
      parsed.push_back({module, v});
    }
    if (row_failed_) return Status::Ok();
    for (const Parsed& p : parsed) Emit(row, p.module, utc, local, is_local, p.v);
  }
  if (chunk_.size() >= kChunk) return Flush();
  return Status::Ok();
}

Status RowMapper::Flush() {
  if (chunk_.empty()) return Status::Ok();
  Status s = sink_.Add(modules_, chunk_);
  chunk_.clear();
  return s;
}

}  // namespace telecollect::files
