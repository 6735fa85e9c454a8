#pragma once

#include <atomic>
#include <chrono>

#include "core/time_util.h"

namespace telecollect {

// The one seam to wall-clock time, so that tests set time instead of sleeping.
class Clock {
 public:
  virtual ~Clock() = default;
  virtual EpochMs NowMs() const = 0;
};

class SystemClock final : public Clock {
 public:
  EpochMs NowMs() const override {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
  }
};

class ManualClock final : public Clock {
 public:
  explicit ManualClock(EpochMs now) : now_(now) {}
  EpochMs NowMs() const override { return now_.load(); }
  void Advance(int64_t ms) { now_ += ms; }
  void Set(EpochMs now) { now_ = now; }

 private:
  std::atomic<EpochMs> now_;
};

}  // namespace telecollect
