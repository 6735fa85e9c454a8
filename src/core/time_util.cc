#include "core/time_util.h"

#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdio>

namespace telecollect {
namespace {

// Reads exactly `n` digits at `pos`, advancing it.
bool ReadDigits(std::string_view s, size_t& pos, int n, int& out) {
  if (pos + n > s.size()) return false;
  int v = 0;
  for (int i = 0; i < n; ++i) {
    const char c = s[pos + i];
    if (c < '0' || c > '9') return false;
    v = v * 10 + (c - '0');
  }
  out = v;
  pos += n;
  return true;
}

bool Expect(std::string_view s, size_t& pos, char c) {
  if (pos < s.size() && s[pos] == c) {
    ++pos;
    return true;
  }
  return false;
}

Status TimeError(std::string_view text, const std::string& why) {
  return Status::InvalidArgument("timestamp \"" + std::string(text.substr(0, 64)) + "\": " + why);
}

}  // namespace

Status CheckReadingRange(EpochMs ms) {
  if (ms < kMinEpochMs) return Status::InvalidArgument("timestamp is before 1970-01-01T00:00:00Z");
  if (ms >= kMaxEpochMs) return Status::InvalidArgument("timestamp is after 2100-01-01T00:00:00Z");
  return Status::Ok();
}

Result<EpochMs> ParseIso8601(std::string_view text) {
  size_t p = 0;
  int year, month, day, hour, minute, second = 0;
  if (!ReadDigits(text, p, 4, year)) return TimeError(text, "expected a 4-digit year");
  if (!Expect(text, p, '-') || !ReadDigits(text, p, 2, month)) return TimeError(text, "expected -MM month");
  if (!Expect(text, p, '-') || !ReadDigits(text, p, 2, day)) return TimeError(text, "expected -DD day");
  if (!Expect(text, p, 'T') && !Expect(text, p, 't') && !Expect(text, p, ' '))
    return TimeError(text, "expected 'T' between date and time");
  if (!ReadDigits(text, p, 2, hour)) return TimeError(text, "expected HH hour");
  if (!Expect(text, p, ':') || !ReadDigits(text, p, 2, minute)) return TimeError(text, "expected :MM minutes");
  if (Expect(text, p, ':')) {
    if (!ReadDigits(text, p, 2, second)) return TimeError(text, "expected :SS seconds");
  }
  int millis = 0;
  if (p < text.size() && (text[p] == '.' || text[p] == ',')) {
    ++p;
    int digits = 0;
    while (p < text.size() && text[p] >= '0' && text[p] <= '9') {
      if (digits < 3) millis = millis * 10 + (text[p] - '0');
      ++digits;
      ++p;
    }
    if (digits == 0) return TimeError(text, "expected digits after the decimal point");
    for (int d = digits; d < 3; ++d) millis *= 10;
  }
  int offset_minutes = 0;
  if (p >= text.size()) return TimeError(text, "no UTC offset ('Z' or +hh:mm); a local time is ambiguous");
  if (text[p] == 'Z' || text[p] == 'z') {
    ++p;
  } else if (text[p] == '+' || text[p] == '-') {
    const int sign = text[p] == '-' ? -1 : 1;
    ++p;
    int oh = 0, om = 0;
    if (!ReadDigits(text, p, 2, oh)) return TimeError(text, "expected hh in the UTC offset");
    if (p < text.size()) {
      Expect(text, p, ':');
      if (!ReadDigits(text, p, 2, om)) return TimeError(text, "expected mm in the UTC offset");
    }
    if (oh > 23 || om > 59) return TimeError(text, "UTC offset out of range");
    offset_minutes = sign * (oh * 60 + om);
  } else {
    return TimeError(text, "unexpected character '" + std::string(1, text[p]) + "' at position " + std::to_string(p));
  }
  if (p != text.size()) return TimeError(text, "trailing characters at position " + std::to_string(p));
  if (month < 1 || month > 12) return TimeError(text, "month out of range");
  const std::chrono::year_month_day ymd{std::chrono::year{year}, std::chrono::month{unsigned(month)},
                                        std::chrono::day{unsigned(day)}};
  if (!ymd.ok()) return TimeError(text, "no such day in that month");
  if (hour > 24 || minute > 59 || second > 60) return TimeError(text, "time of day out of range");
  if (hour == 24 && (minute != 0 || second != 0 || millis != 0)) return TimeError(text, "24:00 must be exactly midnight");
  if (second == 60) second = 59;  // leap second: clamp into the same minute
  const int64_t days = std::chrono::sys_days(ymd).time_since_epoch().count();
  const int64_t ms = ((days * 24 + hour) * 60 + minute - offset_minutes) * 60000LL + second * 1000LL + millis;
  Status range = CheckReadingRange(ms);
  if (!range.ok()) return range.WithContext("timestamp \"" + std::string(text) + "\"");
  return ms;
}

Result<EpochMs> EpochFromNumber(double value) {
  if (!std::isfinite(value)) return Status::InvalidArgument("timestamp is not a finite number");
  const double ms = std::fabs(value) < 1e11 ? value * 1000.0 : value;
  if (ms < static_cast<double>(kMinEpochMs)) return Status::InvalidArgument("timestamp is before 1970-01-01T00:00:00Z");
  if (ms >= static_cast<double>(kMaxEpochMs)) return Status::InvalidArgument("timestamp is after 2100-01-01T00:00:00Z");
  return static_cast<EpochMs>(std::floor(ms));
}

Result<EpochMs> ParseTimeBound(std::string_view name, std::string_view v) {
  Result<EpochMs> r = Status::InvalidArgument("empty");
  if (v.size() == 10 && v[4] == '-' && v[7] == '-') {
    r = ParseIso8601(std::string(v) + "T00:00:00Z");
  } else if (!v.empty() && v.find_first_not_of("0123456789.") == std::string_view::npos) {
    double d = 0;
    auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), d);
    r = (ec == std::errc() && p == v.data() + v.size()) ? EpochFromNumber(d)
                                                       : Result<EpochMs>(Status::InvalidArgument("not a number"));
  } else {
    r = ParseIso8601(v);
  }
  if (!r.ok()) return r.status().WithContext(std::string(name));
  return r;
}

namespace {

// Any instant, through the C library's formatter (years outside 0000-9999 too).
std::string FormatIso8601Printf(EpochMs ms) {
  using namespace std::chrono;
  int64_t days = ms >= 0 ? ms / 86400000 : (ms - 86399999) / 86400000;
  int64_t rem = ms - days * 86400000;
  const year_month_day ymd{sys_days{std::chrono::days{days}}};
  char buf[40];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02uT%02d:%02d:%02d.%03dZ", int(ymd.year()), unsigned(ymd.month()),
                unsigned(ymd.day()), int(rem / 3600000), int(rem / 60000 % 60), int(rem / 1000 % 60), int(rem % 1000));
  return buf;
}

// The days from 1970-01-01 of 0000-01-01 and of 9999-12-31.
constexpr int64_t kFirstFastDay = -719528;
constexpr int64_t kLastFastDay = 2932896;

inline void Put2(char* p, unsigned v) {
  p[0] = static_cast<char>('0' + v / 10);
  p[1] = static_cast<char>('0' + v % 10);
}

}  // namespace

void AppendIso8601(std::string& out, EpochMs ms) {
  if (ms < kFirstFastDay * 86400000 || ms >= (kLastFastDay + 1) * 86400000) {
    out += FormatIso8601Printf(ms);
    return;
  }
  const int64_t days = ms >= 0 ? ms / 86400000 : (ms - 86399999) / 86400000;
  const auto rem = static_cast<unsigned>(ms - days * 86400000);
  // The civil date of a day count (the proleptic Gregorian calendar, eras of 400 years).
  const int64_t z = days + 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const auto doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  const unsigned day = doy - (153 * mp + 2) / 5 + 1;
  const unsigned month = mp < 10 ? mp + 3 : mp - 9;
  const auto year = static_cast<unsigned>(static_cast<int64_t>(yoe) + era * 400 + (month <= 2 ? 1 : 0));
  char b[24] = {0, 0, 0, 0, '-', 0, 0, '-', 0, 0, 'T', 0, 0, ':', 0, 0, ':', 0, 0, '.', 0, 0, 0, 'Z'};
  Put2(b, year / 100);
  Put2(b + 2, year % 100);
  Put2(b + 5, month);
  Put2(b + 8, day);
  Put2(b + 11, rem / 3600000);
  Put2(b + 14, rem / 60000 % 60);
  Put2(b + 17, rem / 1000 % 60);
  const unsigned milli = rem % 1000;
  b[20] = static_cast<char>('0' + milli / 100);
  Put2(b + 21, milli % 100);
  out.append(b, sizeof b);
}

std::string FormatIso8601(EpochMs ms) {
  std::string out;
  AppendIso8601(out, ms);
  return out;
}

namespace {

// a * b + c into `out` when it stays within [0, kMaxDurationMs]; a, b, c >= 0.
bool DurationTerm(int64_t a, int64_t b, int64_t c, int64_t& out) {
  if (b != 0 && a > (kMaxDurationMs - c) / b) return false;
  out = a * b + c;
  return true;
}

Status DurationTooLong(std::string_view text) {
  return Status::InvalidArgument("duration \"" + std::string(text.substr(0, 64)) + "\": longer than " +
                                 FormatDurationMs(kMaxDurationMs) + ", the longest accepted");
}

// ISO 8601 duration with fixed-length parts: P[nW][nD][T[nH][nM][n[.f]S]] (P1D = 24 h; no years
// or months, which have no fixed length).
Result<int64_t> ParseIsoDurationMs(std::string_view text) {
  auto bad = [&](const char* why) {
    return Status::InvalidArgument("duration \"" + std::string(text.substr(0, 64)) + "\": " + why +
                                   " (ISO 8601 such as PT30M, PT1H, P1D)");
  };
  size_t i = 1;
  bool in_time = false, any = false;
  int64_t total = 0;
  while (i < text.size()) {
    if (text[i] == 'T') {
      if (in_time) return bad("two T");
      in_time = true;
      ++i;
      continue;
    }
    if (text[i] < '0' || text[i] > '9') return bad("expected a number");
    int64_t n = 0;
    auto [ptr, ec] = std::from_chars(text.data() + i, text.data() + text.size(), n);
    if (ec == std::errc::result_out_of_range) return DurationTooLong(text);
    if (ec != std::errc()) return bad("expected a number");
    i = static_cast<size_t>(ptr - text.data());
    int64_t frac_ms = 0;
    if (i < text.size() && (text[i] == '.' || text[i] == ',')) {  // fraction of seconds only
      ++i;
      int64_t scale = 100;
      while (i < text.size() && text[i] >= '0' && text[i] <= '9') {
        frac_ms += (text[i] - '0') * scale;
        scale /= 10;
        ++i;
      }
      if (i >= text.size() || text[i] != 'S') return bad("a fraction is allowed on seconds only");
    }
    if (i >= text.size()) return bad("a number without its unit");
    const char u = text[i++];
    int64_t mult = 0;
    if (!in_time && u == 'D') mult = 86400000;
    else if (!in_time && u == 'W') mult = 7 * 86400000LL;
    else if (in_time && u == 'H') mult = 3600000;
    else if (in_time && u == 'M') mult = 60000;
    else if (in_time && u == 'S') mult = 1000;
    else if (!in_time && (u == 'Y' || u == 'M')) return bad("years and months have no fixed length");
    else return bad("unknown unit");
    if (!DurationTerm(n, mult, frac_ms + total, total)) return DurationTooLong(text);
    any = true;
  }
  if (!any) return bad("no part");
  return total;
}

}  // namespace

Result<int64_t> ParseDurationMs(std::string_view text) {
  if (text.size() > 1 && text[0] == 'P') return ParseIsoDurationMs(text);
  const auto usage = [&] {
    return Status::InvalidArgument("duration \"" + std::string(text.substr(0, 64)) +
                                   "\": expected a number then a unit (ms, s, m, h, d)");
  };
  if (text.empty() || text[0] < '0' || text[0] > '9') return usage();
  int64_t n = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  if (ec == std::errc::result_out_of_range) return DurationTooLong(text);
  if (ec != std::errc()) return usage();
  const std::string_view unit(ptr, text.data() + text.size() - ptr);
  int64_t mult = 0;
  if (unit == "ms") mult = 1;
  else if (unit == "s" || unit.empty()) mult = 1000;
  else if (unit == "m" || unit == "min") mult = 60000;
  else if (unit == "h") mult = 3600000;
  else if (unit == "d") mult = 86400000;
  else return Status::InvalidArgument("duration \"" + std::string(text.substr(0, 64)) + "\": unknown unit \"" +
                                      std::string(unit.substr(0, 16)) + "\" (ms, s, m, h, d)");
  int64_t ms = 0;
  if (!DurationTerm(n, mult, 0, ms)) return DurationTooLong(text);
  return ms;
}

std::string FormatDurationMs(int64_t ms) {
  static constexpr std::pair<int64_t, const char*> kUnits[] = {
      {86400000, "d"}, {3600000, "h"}, {60000, "m"}, {1000, "s"}};
  for (const auto& [size, name] : kUnits) {
    if (ms != 0 && ms % size == 0) return std::to_string(ms / size) + name;
  }
  return std::to_string(ms) + "ms";
}

}  // namespace telecollect
