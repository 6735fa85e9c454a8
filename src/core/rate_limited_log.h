#pragma once

#include <atomic>
#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>

#include "core/log.h"

namespace telecollect {

// One class of refused or failed event (a bad request, a decoder over its
// budget, a full disk): logged at most once per interval, each line with the
// number of events since the previous one (`count=`), the first event's
// fields as given. Thread-safe and lock-free; meant to be a static or a member
// that lives as long as the code that reports through it.
class RateLimitedLog {
 public:
  enum class Level { kInfo, kWarn, kError };

  explicit RateLimitedLog(std::string event, int64_t interval_ms = 10'000, Level level = Level::kWarn)
      : event_(std::move(event)), interval_ms_(interval_ms), level_(level) {}

  // Counts one event; writes a line when the interval since the last line
  // has passed. Returns whether it wrote one.
  bool Report(std::initializer_list<LogField> fields = {});
  // The same with the time given (steady milliseconds), for tests.
  bool ReportAt(int64_t now_ms, std::initializer_list<LogField> fields = {});

  // Events counted in total (for tests and metrics).
  uint64_t total() const { return total_.load(std::memory_order_relaxed); }

 private:
  std::string event_;
  int64_t interval_ms_;
  Level level_;
  std::atomic<uint64_t> since_line_{0};
  std::atomic<uint64_t> total_{0};
  std::atomic<int64_t> next_line_ms_{INT64_MIN};
};

}  // namespace telecollect
