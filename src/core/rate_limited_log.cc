#include "core/rate_limited_log.h"

#include <chrono>
#include <vector>

namespace telecollect {

bool RateLimitedLog::Report(std::initializer_list<LogField> fields) {
  auto now = std::chrono::duration_cast<std::chrono::milliseconds>(
                 std::chrono::steady_clock::now().time_since_epoch())
                 .count();
  return ReportAt(now, fields);
}

bool RateLimitedLog::ReportAt(int64_t now_ms, std::initializer_list<LogField> fields) {
  since_line_.fetch_add(1, std::memory_order_relaxed);
  total_.fetch_add(1, std::memory_order_relaxed);
  int64_t next = next_line_ms_.load(std::memory_order_relaxed);
  if (now_ms < next) return false;
  // One thread wins the interval; the others have only counted.
  if (!next_line_ms_.compare_exchange_strong(next, now_ms + interval_ms_, std::memory_order_relaxed)) return false;
  std::vector<LogField> line;
  line.reserve(fields.size() + 1);
  line.emplace_back("count", std::to_string(since_line_.exchange(0, std::memory_order_relaxed)));
  line.insert(line.end(), fields.begin(), fields.end());
  LogLevel level = level_ == Level::kInfo ? LogLevel::kInfo : level_ == Level::kWarn ? LogLevel::kWarn : LogLevel::kError;
  LogAt(level, event_, line);
  return true;
}

}  // namespace telecollect
