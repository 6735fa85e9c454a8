#pragma once

#include <array>
#include <bitset>
#include <string>
#include <string_view>

#include "core/status.h"
#include "core/time_util.h"
#include "files/local_time.h"

namespace telecollect::schedule {

// When a connector runs. Forms (times of day in the zone, Europe/Paris by default):
//   "every 10m"            every interval, aligned on multiples of it since midnight UTC
//   "hourly"               every hour at :00
//   "daily 06:30"          once a day at that local time
//   "cron M H DOM MON DOW" five cron fields: *, */n, a-b, a,b,c (DOW 0-7, 0 and 7 = Sunday)
// A local time in the spring gap fires at the first instant after it; one in
// the repeated autumn hour fires once (its first occurrence).
class Schedule {
 public:
  static Result<Schedule> Parse(std::string_view spec, const std::string& zone = "Europe/Paris");
  // The first firing time strictly after `after`.
  EpochMs Next(EpochMs after) const;
  const std::string& spec() const { return spec_; }

 private:
  enum class Kind { kEvery, kCron };
  std::string spec_;
  Kind kind_ = Kind::kEvery;
  int64_t every_ms_ = 0;
  std::bitset<60> minutes_;
  std::bitset<24> hours_;
  std::bitset<32> days_;    // 1..31
  std::bitset<13> months_;  // 1..12
  std::bitset<7> weekdays_; // 0 = Sunday
  bool dom_any_ = true, dow_any_ = true;
  files::Zone zone_;
};

}  // namespace telecollect::schedule
