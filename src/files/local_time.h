#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "core/time_util.h"

namespace date {
class time_zone;
}

namespace telecollect::files {

// A wall-clock time with no offset, as milliseconds since 1970-01-01T00:00
// *local*. Hour 24:00 is accepted by the parsers and lands on the next day.
using LocalMs = int64_t;

LocalMs MakeLocalMs(int year, int month, int day, int hour, int minute, int second, int millis);
std::string FormatLocal(LocalMs local);  // 2026-10-25 02:30:00

// What a local time is in one IANA zone.
struct LocalResolution {
  enum Kind { kUnique, kAmbiguous, kGap } kind = kUnique;
  EpochMs first = 0;   // unique: the instant; ambiguous: first occurrence (summer time)
  EpochMs second = 0;  // ambiguous: second occurrence (winter time)
};

// Converts local times of one zone with the OS tz database. Conversions are
// cached per local hour, so a series costs one tz lookup per hour it spans.
// Not thread-safe (the cache); cheap to copy.
class Zone {
 public:
  static Result<Zone> Locate(std::string_view iana);  // "Europe/Paris", "UTC"
  const std::string& name() const { return name_; }
  LocalResolution Resolve(LocalMs local) const;
  // The wall time of an instant.
  LocalMs ToLocal(EpochMs utc) const;

 private:
  struct HourEntry {
    int64_t hour = INT64_MIN;
    int64_t offset_ms = 0;  // valid when the whole hour is unique with one offset
  };
  LocalResolution ResolveSlow(LocalMs local) const;
  std::string name_;
  const date::time_zone* tz_ = nullptr;
  mutable std::vector<HourEntry> cache_;
};

// The DST rule for one time-ordered series (one module), documented in
// docs/files.md: an ambiguous local time (the repeated autumn hour) is read as
// its first occurrence, unless the series already reached or passed that
// instant — then it is the second occurrence (the series stepped back one
// hour). A local time in the spring gap does not exist: an error.
struct SeriesClock {
  EpochMs last = INT64_MIN;
};

struct ResolvedTime {
  EpochMs utc = 0;
  bool was_ambiguous = false;
  bool second_occurrence = false;
};

Result<ResolvedTime> ResolveInSeries(const Zone& zone, LocalMs local, SeriesClock& series);

}  // namespace telecollect::files
