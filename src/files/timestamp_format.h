#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "files/local_time.h"

namespace telecollect::files {

// How a profile's timestamps are written. One of:
//   "iso8601"   2026-03-29T01:00:00, with or without fraction and offset
//               (a bare date 2026-03-29 is local midnight)
//   "epoch"     seconds or milliseconds since 1970 (by magnitude), "epoch_s", "epoch_ms"
//   a strftime-style pattern: %Y %y %m %d %e %H %I %p %M %S %f %z %j %b %T %F %%;
//   numeric fields take 1 or 2 digits (Excel writes 1/3/2026 0:10), %S also
//   reads an optional fraction, a space matches one or more spaces, hour 24:00
//   is the next midnight, %b reads English and French month abbreviations.
// A time read with an offset (or an epoch) is absolute; otherwise it is a
// local wall time, resolved in the profile's zone by the caller.
class TimestampFormat {
 public:
  static Result<TimestampFormat> Parse(std::string_view spec);

  struct Value {
    bool absolute = false;
    EpochMs utc = 0;     // when absolute
    LocalMs local = 0;   // when not
  };
  Result<Value> Read(std::string_view text) const;

  const std::string& spec() const { return spec_; }
  bool is_epoch() const { return kind_ == Kind::kEpoch || kind_ == Kind::kEpochS || kind_ == Kind::kEpochMs; }

 private:
  enum class Kind { kIso8601, kEpoch, kEpochS, kEpochMs, kPattern };
  enum class Op : char { kLiteral, kSpace, kYear4, kYear2, kMonth, kDay, kHour24, kHour12, kAmPm, kMinute, kSecond,
                         kFraction, kOffset, kDayOfYear, kMonthName };
  struct Step {
    Op op;
    char literal = 0;
  };
  Result<Value> ReadIso(std::string_view text) const;
  Result<Value> ReadPattern(std::string_view text) const;

  std::string spec_;
  Kind kind_ = Kind::kIso8601;
  std::vector<Step> steps_;
};

}  // namespace telecollect::files
