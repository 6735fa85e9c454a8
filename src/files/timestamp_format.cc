#include "files/timestamp_format.h"

#include <chrono>
#include <cmath>
#include <optional>

#include <fast_float/fast_float.h>

namespace telecollect::files {
namespace {

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// Reads between min_digits and max_digits digits.
bool ReadNumber(std::string_view t, size_t& p, int min_digits, int max_digits, int& out) {
  int n = 0, v = 0;
  while (n < max_digits && p < t.size() && IsDigit(t[p])) {
    v = v * 10 + (t[p] - '0');
    ++p;
    ++n;
  }
  out = v;
  return n >= min_digits;
}

// Reads ".123" or ",123" (any number of digits, kept to milliseconds).
bool ReadFraction(std::string_view t, size_t& p, int& millis) {
  if (p >= t.size() || (t[p] != '.' && t[p] != ',')) return false;
  size_t q = p + 1;
  int digits = 0, v = 0;
  while (q < t.size() && IsDigit(t[q])) {
    if (digits < 3) v = v * 10 + (t[q] - '0');
    ++digits;
    ++q;
  }
  if (digits == 0) return false;
  for (int d = digits; d < 3; ++d) v *= 10;
  millis = v;
  p = q;
  return true;
}

// "Z", "+02:00", "+0200", "+02", "-05:30".
bool ReadOffset(std::string_view t, size_t& p, int& minutes) {
  if (p < t.size() && (t[p] == 'Z' || t[p] == 'z')) {
    ++p;
    minutes = 0;
    return true;
  }
  if (p >= t.size() || (t[p] != '+' && t[p] != '-')) return false;
  const int sign = t[p] == '-' ? -1 : 1;
  ++p;
  int h = 0, m = 0;
  size_t q = p;
  if (!ReadNumber(t, q, 2, 2, h)) return false;
  if (q < t.size() && t[q] == ':') ++q;
  if (q < t.size() && IsDigit(t[q]) && !ReadNumber(t, q, 2, 2, m)) return false;
  if (h > 23 || m > 59) return false;
  p = q;
  minutes = sign * (h * 60 + m);
  return true;
}

// English and French month abbreviations and names, lower case.
int ReadMonthName(std::string_view t, size_t& p) {
  static constexpr const char* kNames[12][4] = {
      {"january", "janvier", "jan", "janv"},   {"february", "fevrier", "feb", "fevr"},
      {"march", "mars", "mar", ""},            {"april", "avril", "apr", "avr"},
      {"may", "mai", "", ""},                  {"june", "juin", "jun", ""},
      {"july", "juillet", "jul", "juil"},      {"august", "aout", "aug", "aou"},
      {"september", "septembre", "sep", "sept"}, {"october", "octobre", "oct", ""},
      {"november", "novembre", "nov", ""},     {"december", "decembre", "dec", ""}};
  // Fold the word to ASCII lower case; é/û (UTF-8) are read as e/u.
  std::string word;
  size_t q = p;
  while (q < t.size()) {
    const unsigned char c = static_cast<unsigned char>(t[q]);
    if (c >= 'A' && c <= 'Z') { word += char(c + 32); ++q; }
    else if (c >= 'a' && c <= 'z') { word += char(c); ++q; }
    else if (c == 0xC3 && q + 1 < t.size()) {
      const unsigned char d = static_cast<unsigned char>(t[q + 1]);
      if (d == 0xA9 || d == 0x89) word += 'e';
      else if (d == 0xBB || d == 0x9B) word += 'u';
      else break;
      q += 2;
    } else break;
  }
  if (q < t.size() && t[q] == '.') ++q;  // "janv."
  for (int m = 0; m < 12; ++m) {
    for (const char* name : kNames[m]) {
      if (*name && word == name) {
        p = q;
        return m + 1;
      }
    }
  }
  return 0;
}

Status Mismatch(std::string_view text, const std::string& spec, size_t pos, const char* what) {
  return Status::InvalidArgument("timestamp \"" + std::string(text) + "\" does not match \"" + spec + "\": expected " +
                                 what + " at position " + std::to_string(pos + 1));
}

}  // namespace

Result<TimestampFormat> TimestampFormat::Parse(std::string_view spec) {
  TimestampFormat f;
  f.spec_ = std::string(spec);
  if (spec == "iso8601" || spec == "iso") { f.kind_ = Kind::kIso8601; return f; }
  if (spec == "epoch") { f.kind_ = Kind::kEpoch; return f; }
  if (spec == "epoch_s") { f.kind_ = Kind::kEpochS; return f; }
  if (spec == "epoch_ms") { f.kind_ = Kind::kEpochMs; return f; }
  if (spec.empty()) return Status::InvalidArgument("timestamp_format is empty");
  f.kind_ = Kind::kPattern;
  bool has_year = false, has_month = false, has_day = false, has_doy = false, has_12h = false, has_ampm = false;
  for (size_t i = 0; i < spec.size(); ++i) {
    const char c = spec[i];
    if (c == ' ') { f.steps_.push_back({Op::kSpace}); continue; }
    if (c != '%') { f.steps_.push_back({Op::kLiteral, c}); continue; }
    if (++i >= spec.size()) return Status::InvalidArgument("timestamp_format \"" + f.spec_ + "\" ends with a lone %");
    switch (spec[i]) {
      case 'Y': f.steps_.push_back({Op::kYear4}); has_year = true; break;
      case 'y': f.steps_.push_back({Op::kYear2}); has_year = true; break;
      case 'm': f.steps_.push_back({Op::kMonth}); has_month = true; break;
      case 'd': case 'e': f.steps_.push_back({Op::kDay}); has_day = true; break;
      case 'H': f.steps_.push_back({Op::kHour24}); break;
      case 'I': f.steps_.push_back({Op::kHour12}); has_12h = true; break;
      case 'p': f.steps_.push_back({Op::kAmPm}); has_ampm = true; break;
      case 'M': f.steps_.push_back({Op::kMinute}); break;
      case 'S': f.steps_.push_back({Op::kSecond}); break;
      case 'f': f.steps_.push_back({Op::kFraction}); break;
      case 'z': f.steps_.push_back({Op::kOffset}); break;
      case 'j': f.steps_.push_back({Op::kDayOfYear}); has_doy = true; break;
      case 'b': case 'B': case 'h': f.steps_.push_back({Op::kMonthName}); has_month = true; break;
      case 'T':
        f.steps_.insert(f.steps_.end(), {{Op::kHour24}, {Op::kLiteral, ':'}, {Op::kMinute}, {Op::kLiteral, ':'}, {Op::kSecond}});
        break;
      case 'F':
        f.steps_.insert(f.steps_.end(), {{Op::kYear4}, {Op::kLiteral, '-'}, {Op::kMonth}, {Op::kLiteral, '-'}, {Op::kDay}});
        has_year = has_month = has_day = true;
        break;
      case '%': f.steps_.push_back({Op::kLiteral, '%'}); break;
      default:
        return Status::InvalidArgument("timestamp_format \"" + f.spec_ + "\": unsupported conversion %" +
                                       std::string(1, spec[i]) + " (supported: %Y %y %m %d %e %H %I %p %M %S %f %z %j %b %T %F %%)");
    }
  }
  if (!has_year || !(has_doy || (has_month && has_day)))
    return Status::InvalidArgument("timestamp_format \"" + f.spec_ + "\" needs a year (%Y or %y) and a date (%m and %d, or %j)");
  if (has_12h != has_ampm)
    return Status::InvalidArgument("timestamp_format \"" + f.spec_ + "\": %I (12-hour clock) and %p (AM/PM) go together");
  return f;
}

namespace {
// The value of 1 to 12 decimal digits (exact as a double, and times 1000 too); nullopt otherwise.
std::optional<int64_t> ShortDigits(std::string_view text) {
  if (text.empty() || text.size() > 12) return std::nullopt;
  int64_t n = 0;
  for (const char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    n = n * 10 + (c - '0');
  }
  return n;
}
}  // namespace

Result<TimestampFormat::Value> TimestampFormat::Read(std::string_view text) const {
  switch (kind_) {
    case Kind::kIso8601: return ReadIso(text);
    case Kind::kPattern: return ReadPattern(text);
    default: break;
  }
  double v = 0;
  if (const std::optional<int64_t> n = ShortDigits(text)) {
    // Up to 12 plain digits (epoch seconds or milliseconds as files carry them):
    // the double they read as, exactly, without the float parser.
    v = static_cast<double>(*n);
  } else {
    const auto [end, ec] = fast_float::from_chars(text.data(), text.data() + text.size(), v);
    if (ec != std::errc() || end != text.data() + text.size() || text.empty())
      return Status::InvalidArgument("timestamp \"" + std::string(text) + "\" is not a number (format " + spec_ + ")");
  }
  Value out;
  out.absolute = true;
  if (kind_ == Kind::kEpoch) {
    TC_ASSIGN_OR_RETURN(out.utc, EpochFromNumber(v));
    return out;
  }
  const double ms = kind_ == Kind::kEpochS ? v * 1000.0 : v;
  if (!std::isfinite(ms)) return Status::InvalidArgument("timestamp \"" + std::string(text) + "\" is out of range");
  out.utc = static_cast<EpochMs>(std::llround(ms));
  Status range = CheckReadingRange(out.utc);
  if (!range.ok()) return range.WithContext("timestamp \"" + std::string(text) + "\"");
  return out;
}

namespace {
Status CheckFields(std::string_view text, int year, int month, int day, int hour, int minute, int second, int millis) {
  if (month < 1 || month > 12) return Status::InvalidArgument("timestamp \"" + std::string(text) + "\": month out of range");
  const std::chrono::year_month_day ymd{std::chrono::year{year}, std::chrono::month{unsigned(month)},
                                        std::chrono::day{unsigned(day)}};
  if (!ymd.ok()) return Status::InvalidArgument("timestamp \"" + std::string(text) + "\": no such day in that month");
  if (hour > 24 || minute > 59 || second > 60)
    return Status::InvalidArgument("timestamp \"" + std::string(text) + "\": time of day out of range");
  if (hour == 24 && (minute != 0 || second != 0 || millis != 0))
    return Status::InvalidArgument("timestamp \"" + std::string(text) + "\": 24:00 must be exactly midnight");
  return Status::Ok();
}

Result<TimestampFormat::Value> Finish(std::string_view text, int year, int month, int day, int hour, int minute,
                                      int second, int millis, bool has_offset, int offset_minutes) {
  TC_RETURN_IF_ERROR(CheckFields(text, year, month, day, hour, minute, second, millis));
  if (second == 60) second = 59;  // leap second: clamp into the minute
  TimestampFormat::Value v;
  const LocalMs local = MakeLocalMs(year, month, day, hour, minute, second, millis);
  if (has_offset) {
    v.absolute = true;
    v.utc = local - offset_minutes * 60000LL;
    Status range = CheckReadingRange(v.utc);
    if (!range.ok()) return range.WithContext("timestamp \"" + std::string(text) + "\"");
  } else {
    v.local = local;
    // A generous pre-check; the zone conversion checks the exact range.
    if (local < kMinEpochMs - 86400000 || local >= kMaxEpochMs + 86400000)
      return Status::InvalidArgument("timestamp \"" + std::string(text) + "\" is outside 1970..2099");
  }
  return v;
}
}  // namespace

Result<TimestampFormat::Value> TimestampFormat::ReadIso(std::string_view t) const {
  size_t p = 0;
  int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0, millis = 0, off = 0;
  if (!ReadNumber(t, p, 4, 4, year)) return Mismatch(t, spec_, p, "a 4-digit year");
  if (p >= t.size() || t[p] != '-' || !ReadNumber(t, ++p, 2, 2, month)) return Mismatch(t, spec_, p, "-MM");
  if (p >= t.size() || t[p] != '-' || !ReadNumber(t, ++p, 2, 2, day)) return Mismatch(t, spec_, p, "-DD");
  bool has_offset = false;
  if (p < t.size()) {
    if (t[p] != 'T' && t[p] != 't' && t[p] != ' ') return Mismatch(t, spec_, p, "'T' between date and time");
    ++p;
    if (!ReadNumber(t, p, 2, 2, hour)) return Mismatch(t, spec_, p, "HH");
    if (p >= t.size() || t[p] != ':' || !ReadNumber(t, ++p, 2, 2, minute)) return Mismatch(t, spec_, p, ":MM");
    if (p < t.size() && t[p] == ':' && !ReadNumber(t, ++p, 2, 2, second)) return Mismatch(t, spec_, p, ":SS");
    ReadFraction(t, p, millis);
    if (p < t.size()) {
      if (!ReadOffset(t, p, off)) return Mismatch(t, spec_, p, "an offset (Z or +hh:mm) or the end");
      has_offset = true;
    }
    if (p != t.size()) return Mismatch(t, spec_, p, "the end");
  }
  return Finish(t, year, month, day, hour, minute, second, millis, has_offset, off);
}

Result<TimestampFormat::Value> TimestampFormat::ReadPattern(std::string_view t) const {
  size_t p = 0;
  int year = 0, month = 1, day = 1, hour = 0, minute = 0, second = 0, millis = 0, off = 0, doy = 0;
  bool has_offset = false, pm = false, has_ampm = false;
  for (const Step& s : steps_) {
    switch (s.op) {
      case Op::kLiteral:
        if (p >= t.size() || t[p] != s.literal) {
          const std::string what = "'" + std::string(1, s.literal) + "'";
          return Mismatch(t, spec_, p, what.c_str());
        }
        ++p;
        break;
      case Op::kSpace:
        if (p >= t.size() || (t[p] != ' ' && t[p] != 'T')) return Mismatch(t, spec_, p, "a space");
        if (t[p] == 'T') { ++p; break; }
        while (p < t.size() && t[p] == ' ') ++p;
        break;
      case Op::kYear4: if (!ReadNumber(t, p, 4, 4, year)) return Mismatch(t, spec_, p, "a 4-digit year"); break;
      case Op::kYear2:
        if (!ReadNumber(t, p, 2, 2, year)) return Mismatch(t, spec_, p, "a 2-digit year");
        year += 2000;
        break;
      case Op::kMonth: if (!ReadNumber(t, p, 1, 2, month)) return Mismatch(t, spec_, p, "a month"); break;
      case Op::kDay: if (!ReadNumber(t, p, 1, 2, day)) return Mismatch(t, spec_, p, "a day"); break;
      case Op::kHour24: case Op::kHour12:
        if (!ReadNumber(t, p, 1, 2, hour)) return Mismatch(t, spec_, p, "an hour");
        break;
      case Op::kAmPm: {
        if (p + 1 >= t.size()) return Mismatch(t, spec_, p, "AM or PM");
        const char a = char(t[p] | 0x20), m = char(t[p + 1] | 0x20);
        if ((a != 'a' && a != 'p') || m != 'm') return Mismatch(t, spec_, p, "AM or PM");
        pm = a == 'p';
        has_ampm = true;
        p += 2;
        break;
      }
      case Op::kMinute: if (!ReadNumber(t, p, 1, 2, minute)) return Mismatch(t, spec_, p, "minutes"); break;
      case Op::kSecond:
        if (!ReadNumber(t, p, 1, 2, second)) return Mismatch(t, spec_, p, "seconds");
        ReadFraction(t, p, millis);
        break;
      case Op::kFraction: {
        int digits = 0, v = 0;
        while (p < t.size() && IsDigit(t[p])) {
          if (digits < 3) v = v * 10 + (t[p] - '0');
          ++digits;
          ++p;
        }
        if (digits == 0) return Mismatch(t, spec_, p, "fraction digits");
        for (int d = digits; d < 3; ++d) v *= 10;
        millis = v;
        break;
      }
      case Op::kOffset:
        if (!ReadOffset(t, p, off)) return Mismatch(t, spec_, p, "a UTC offset (Z or +hh:mm)");
        has_offset = true;
        break;
      case Op::kDayOfYear:
        if (!ReadNumber(t, p, 1, 3, doy) || doy < 1 || doy > 366) return Mismatch(t, spec_, p, "a day of the year");
        break;
      case Op::kMonthName:
        month = ReadMonthName(t, p);
        if (month == 0) return Mismatch(t, spec_, p, "a month name");
        break;
    }
  }
  if (p != t.size()) return Mismatch(t, spec_, p, "the end");
  if (has_ampm) {
    if (hour < 1 || hour > 12) return Status::InvalidArgument("timestamp \"" + std::string(t) + "\": 12-hour clock hour out of range");
    hour = hour % 12 + (pm ? 12 : 0);
  }
  if (doy > 0) {
    const std::chrono::sys_days d = std::chrono::sys_days(std::chrono::year{year} / 1 / 1) + std::chrono::days{doy - 1};
    const std::chrono::year_month_day ymd{d};
    if (int(ymd.year()) != year) return Status::InvalidArgument("timestamp \"" + std::string(t) + "\": day of year past the end of the year");
    month = int(unsigned(ymd.month()));
    day = int(unsigned(ymd.day()));
  }
  return Finish(t, year, month, day, hour, minute, second, millis, has_offset, off);
}

}  // namespace telecollect::files
