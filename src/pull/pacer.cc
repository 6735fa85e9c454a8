#include "pull/pacer.h"

#include <algorithm>
#include <charconv>
#include <limits>
#include <ctime>
#include <map>
#include <memory>

namespace telecollect::pull {

Result<int64_t> Pacer::Reserve(EpochMs now) {
  MutexLock lock(mu_);
  while (!hour_.empty() && hour_.front() <= now - 3600000) hour_.pop_front();
  if (limits_.per_hour > 0 && static_cast<int64_t>(hour_.size()) >= limits_.per_hour) {
    return Status::ResourceExhausted("hourly quota of " + std::to_string(limits_.per_hour) +
                                     " requests reached: the next run resumes from the watermark");
  }
  EpochMs at = now;
  if (limits_.per_second > 0 && last_ != INT64_MIN) {
    const auto gap = static_cast<int64_t>(1000.0 / limits_.per_second);
    at = std::max(now, last_ + gap);
  }
  last_ = at;
  hour_.push_back(at);
  return at - now;
}

int64_t Pacer::Backoff(int attempt) {
  MutexLock lock(mu_);
  int64_t d = limits_.backoff_ms;
  for (int i = 1; i < attempt && d < limits_.backoff_max_ms; ++i) d *= 2;
  d = std::min(d, limits_.backoff_max_ms);
  std::uniform_real_distribution<double> jitter(0.5, 1.0);
  return static_cast<int64_t>(static_cast<double>(d) * jitter(rng_));
}

Pacer& Pacer::For(const std::string& connector, const Limits& limits) {
  struct Pacers {
    Mutex mu;
    std::map<std::string, std::unique_ptr<Pacer>> by_name TC_GUARDED_BY(mu);
  };
  static Pacers pacers;
  MutexLock lock(pacers.mu);
  auto& p = pacers.by_name[connector];
  // A reloaded connector with other limits gets a fresh pacer.
  if (!p || p->limits_.per_second != limits.per_second || p->limits_.per_hour != limits.per_hour ||
      p->limits_.backoff_ms != limits.backoff_ms || p->limits_.backoff_max_ms != limits.backoff_max_ms) {
    p = std::make_unique<Pacer>(limits);
  }
  return *p;
}

int64_t ParseRetryAfterMs(const std::string& value, EpochMs now) {
  if (value.empty()) return -1;
  int64_t secs = 0;
  auto [ptr, ec] = std::from_chars(value.data(), value.data() + value.size(), secs);
  // A delay past the int64 range of milliseconds (a vendor's "Retry-After: 115555555555555555")
  // is clamped, never wrapped: it is longer than any retry_after_max and stops the run.
  constexpr int64_t kMaxSeconds = std::numeric_limits<int64_t>::max() / 1000 / 2;
  if (ec == std::errc() && ptr == value.data() + value.size()) return secs < 0 ? -1 : std::min(secs, kMaxSeconds) * 1000;
  // IMF-fixdate: Sun, 06 Nov 1994 08:49:37 GMT
  std::tm tm{};
  const char* end = strptime(value.c_str(), "%a, %d %b %Y %H:%M:%S GMT", &tm);
  if (end == nullptr) return -1;
  const int64_t at_s = static_cast<int64_t>(timegm(&tm));
  if (at_s == -1 && tm.tm_year != 69) return -1;  // not representable
  const int64_t at = std::clamp<int64_t>(at_s, -kMaxSeconds, kMaxSeconds) * 1000;
  return std::max<int64_t>(0, at - now);
}

}  // namespace telecollect::pull
