#pragma once

#include <cstdint>
#include <deque>
#include <random>
#include <string>

#include "core/clock.h"
#include "core/mutex.h"
#include "core/status.h"
#include "pull/api_connector.h"

namespace telecollect::pull {

// Keeps one connector's calls within its quotas (per second, per hour) across
// runs in this process, and computes retry delays: Retry-After when the API
// gives one, else exponential backoff with jitter.
class Pacer {
 public:
  explicit Pacer(Limits limits) : limits_(limits), rng_(std::random_device{}()) {}

  // How long to wait before the next call (0: go now); kResourceExhausted
  // when the hourly quota is spent (the run stops and resumes next time).
  Result<int64_t> Reserve(EpochMs now) TC_EXCLUDES(mu_);
  // Delay before retry number `attempt` (1-based): backoff × 2^(attempt−1),
  // capped, times a random factor in [0.5, 1].
  int64_t Backoff(int attempt) TC_EXCLUDES(mu_);

  // The pacer of a connector (one per name and process).
  static Pacer& For(const std::string& connector, const Limits& limits);

 private:
  const Limits limits_;
  Mutex mu_;
  std::deque<EpochMs> hour_ TC_GUARDED_BY(mu_);  // calls of the last hour
  EpochMs last_ TC_GUARDED_BY(mu_) = INT64_MIN;
  std::mt19937 rng_ TC_GUARDED_BY(mu_);
};

// Retry-After as seconds or an HTTP date; nullopt-like -1 when absent or unreadable.
int64_t ParseRetryAfterMs(const std::string& value, EpochMs now);

}  // namespace telecollect::pull
