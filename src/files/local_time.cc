#include "files/local_time.h"

#include <chrono>

#include <date/tz.h>
#include <fmt/format.h>

namespace telecollect::files {
namespace {

constexpr int64_t kHourMs = 3600000;
constexpr size_t kCacheSize = 4096;  // hours: about half a year of distinct hours

int64_t FloorDiv(int64_t a, int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); }

}  // namespace

LocalMs MakeLocalMs(int year, int month, int day, int hour, int minute, int second, int millis) {
  const std::chrono::year_month_day ymd{std::chrono::year{year}, std::chrono::month{unsigned(month)},
                                        std::chrono::day{unsigned(day)}};
  const int64_t days = std::chrono::sys_days(ymd).time_since_epoch().count();
  return ((days * 24 + hour) * 60 + minute) * 60000LL + second * 1000LL + millis;
}

std::string FormatLocal(LocalMs local) {
  const int64_t days = FloorDiv(local, 86400000);
  const int64_t in_day = local - days * 86400000;
  const std::chrono::year_month_day ymd{std::chrono::sys_days{std::chrono::days{days}}};
  const int64_t s = in_day / 1000, ms = in_day % 1000;
  std::string out = fmt::format("{:04d}-{:02d}-{:02d} {:02d}:{:02d}:{:02d}", int(ymd.year()), unsigned(ymd.month()),
                                unsigned(ymd.day()), s / 3600, s / 60 % 60, s % 60);
  if (ms != 0) out += fmt::format(".{:03d}", ms);
  return out;
}

Result<Zone> Zone::Locate(std::string_view iana) {
  Zone z;
  z.name_ = std::string(iana);
  try {
    z.tz_ = date::locate_zone(z.name_);
  } catch (const std::exception& e) {
    return Status::InvalidArgument("unknown time zone \"" + z.name_ + "\" (an IANA name such as Europe/Paris or UTC)");
  }
  z.cache_.resize(kCacheSize);
  return z;
}

LocalResolution Zone::ResolveSlow(LocalMs local) const {
  using namespace std::chrono;
  const int64_t secs = FloorDiv(local, 1000);
  const date::local_seconds ls{seconds{secs}};
  const date::local_info info = tz_->get_info(ls);
  LocalResolution r;
  const int64_t first_off = info.first.offset.count() * 1000;
  switch (info.result) {
    case date::local_info::unique:
      r.kind = LocalResolution::kUnique;
      r.first = r.second = local - first_off;
      break;
    case date::local_info::ambiguous:
      r.kind = LocalResolution::kAmbiguous;
      r.first = local - first_off;
      r.second = local - info.second.offset.count() * 1000;
      break;
    default:
      r.kind = LocalResolution::kGap;
      break;
  }
  return r;
}

LocalResolution Zone::Resolve(LocalMs local) const {
  const int64_t hour = FloorDiv(local, kHourMs);
  HourEntry& e = cache_[static_cast<uint64_t>(hour) % kCacheSize];
  if (e.hour == hour) return {LocalResolution::kUnique, local - e.offset_ms, local - e.offset_ms};
  const LocalResolution start = ResolveSlow(hour * kHourMs);
  const LocalResolution end = ResolveSlow(hour * kHourMs + kHourMs - 1000);
  if (start.kind == LocalResolution::kUnique && end.kind == LocalResolution::kUnique &&
      start.first - hour * kHourMs == end.first - (hour * kHourMs + kHourMs - 1000)) {
    // One offset for the whole hour: remember it.
    e.hour = hour;
    e.offset_ms = hour * kHourMs - start.first;
    return {LocalResolution::kUnique, local - e.offset_ms, local - e.offset_ms};
  }
  return ResolveSlow(local);
}

LocalMs Zone::ToLocal(EpochMs utc) const {
  using namespace std::chrono;
  const date::sys_seconds secs{seconds{FloorDiv(utc, 1000)}};
  return utc + tz_->get_info(secs).offset.count() * 1000;
}

Result<ResolvedTime> ResolveInSeries(const Zone& zone, LocalMs local, SeriesClock& series) {
  const LocalResolution r = zone.Resolve(local);
  ResolvedTime out;
  switch (r.kind) {
    case LocalResolution::kUnique:
      out.utc = r.first;
      break;
    case LocalResolution::kAmbiguous:
      out.was_ambiguous = true;
      if (series.last != INT64_MIN && r.first <= series.last) {
        out.utc = r.second;
        out.second_occurrence = true;
      } else {
        out.utc = r.first;
      }
      break;
    case LocalResolution::kGap:
      return Status::InvalidArgument("local time " + FormatLocal(local) + " does not exist in " + zone.name() +
                                     " (clocks jump forward at the start of summer time)");
  }
  series.last = out.utc;
  return out;
}

}  // namespace telecollect::files
