#include "schedule/schedule.h"

#include <chrono>
#include <sstream>
#include <vector>

namespace telecollect::schedule {
namespace {

template <size_t N>
Status ParseField(const std::string& field, int lo, int hi, std::bitset<N>& out, const char* name) {
  auto bad = [&](const std::string& why) {
    return Status::InvalidArgument(std::string("cron ") + name + " field \"" + field + "\": " + why);
  };
  std::stringstream parts(field);
  std::string part;
  while (std::getline(parts, part, ',')) {
    int step = 1, a = lo, b = hi;
    const size_t slash = part.find('/');
    std::string range = part.substr(0, slash);
    if (slash != std::string::npos) {
      try {
        step = std::stoi(part.substr(slash + 1));
      } catch (...) {
        return bad("bad step");
      }
      if (step < 1) return bad("step must be 1 or more");
    }
    if (range != "*") {
      const size_t dash = range.find('-');
      try {
        a = std::stoi(range.substr(0, dash));
        b = dash == std::string::npos ? (slash == std::string::npos ? a : hi) : std::stoi(range.substr(dash + 1));
      } catch (...) {
        return bad("expected a number, a range a-b, * or */n");
      }
    }
    if (a < lo || b > hi || a > b) return bad("out of range " + std::to_string(lo) + "-" + std::to_string(hi));
    for (int v = a; v <= b; v += step) out.set(static_cast<size_t>(v));
  }
  return Status::Ok();
}

}  // namespace

Result<Schedule> Schedule::Parse(std::string_view spec_view, const std::string& zone) {
  Schedule s;
  s.spec_ = std::string(spec_view);
  TC_ASSIGN_OR_RETURN(s.zone_, files::Zone::Locate(zone));
  std::stringstream in(s.spec_);
  std::vector<std::string> w;
  for (std::string t; in >> t;) w.push_back(t);
  const Status usage = Status::InvalidArgument("schedule \"" + s.spec_ +
                                               "\": expected \"every 10m\", \"hourly\", \"daily 06:30\" or \"cron M H DOM MON DOW\"");
  if (w.empty()) return usage;
  if (w[0] == "every" && w.size() == 2) {
    TC_ASSIGN_OR_RETURN(s.every_ms_, ParseDurationMs(w[1]));
    if (s.every_ms_ < 1000) return Status::InvalidArgument("schedule \"" + s.spec_ + "\": at least every 1s");
    s.kind_ = Kind::kEvery;
    return s;
  }
  s.kind_ = Kind::kCron;
  std::vector<std::string> cron;
  if (w[0] == "hourly" && w.size() == 1) {
    cron = {"0", "*", "*", "*", "*"};
  } else if (w[0] == "daily" && w.size() == 2) {
    const size_t colon = w[1].find(':');
    if (colon == std::string::npos) return usage;
    cron = {w[1].substr(colon + 1), w[1].substr(0, colon), "*", "*", "*"};
  } else if (w[0] == "cron" && w.size() == 6) {
    cron.assign(w.begin() + 1, w.end());
  } else {
    return usage;
  }
  TC_RETURN_IF_ERROR(ParseField(cron[0], 0, 59, s.minutes_, "minute"));
  TC_RETURN_IF_ERROR(ParseField(cron[1], 0, 23, s.hours_, "hour"));
  TC_RETURN_IF_ERROR(ParseField(cron[2], 1, 31, s.days_, "day-of-month"));
  TC_RETURN_IF_ERROR(ParseField(cron[3], 1, 12, s.months_, "month"));
  std::bitset<8> dow;
  TC_RETURN_IF_ERROR(ParseField(cron[4], 0, 7, dow, "day-of-week"));
  for (int d = 0; d < 7; ++d) s.weekdays_[d] = dow[d] || (d == 0 && dow[7]);
  s.dom_any_ = cron[2] == "*";
  s.dow_any_ = cron[4] == "*";
  return s;
}

EpochMs Schedule::Next(EpochMs after) const {
  if (kind_ == Kind::kEvery) return (after / every_ms_ + 1) * every_ms_;
  using namespace std::chrono;
  // Walk local minutes from the one after `after`'s wall time; days and hours
  // that cannot match are skipped whole. Bounded: a year and a day.
  const files::LocalMs local = zone_.ToLocal(after);
  files::LocalMs t = (local / 60000 + 1) * 60000;
  const files::LocalMs limit = t + 367LL * 86400000;
  while (t < limit) {
    const int64_t days = t / 86400000;
    const year_month_day ymd{sys_days{std::chrono::days{days}}};
    const unsigned weekday = static_cast<unsigned>(((days + 4) % 7 + 7) % 7);  // 1970-01-01 was a Thursday
    const bool dom = days_[unsigned(ymd.day())], dow = weekdays_[weekday];
    const bool day_ok = months_[unsigned(ymd.month())] &&
                        (dom_any_ && dow_any_ ? true : dom_any_ ? dow : dow_any_ ? dom : (dom || dow));
    if (!day_ok) {
      t = (days + 1) * 86400000;
      continue;
    }
    const int hour = static_cast<int>(t / 3600000 % 24);
    if (!hours_[static_cast<size_t>(hour)]) {
      t = (t / 3600000 + 1) * 3600000;
      continue;
    }
    const int minute = static_cast<int>(t / 60000 % 60);
    if (!minutes_[static_cast<size_t>(minute)]) {
      t += 60000;
      continue;
    }
    const files::LocalResolution r = zone_.Resolve(t);
    if (r.kind == files::LocalResolution::kGap) {
      // Clocks jumped over it: fire at the first instant after the gap.
      files::LocalMs u = t;
      while (zone_.Resolve(u).kind == files::LocalResolution::kGap) u += 60000;
      const EpochMs at = zone_.Resolve(u).first;
      if (at > after) return at;
    } else if (r.first > after) {
      return r.first;
    }
    t += 60000;
  }
  return after + 86400000;  // unreachable for a valid schedule
}

}  // namespace telecollect::schedule
