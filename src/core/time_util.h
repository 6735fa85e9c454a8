#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/status.h"

namespace telecollect {

// Instants are UTC epoch milliseconds everywhere in telecollect.
using EpochMs = int64_t;

// Bounds of an acceptable reading time, and of every timestamp parameter:
// [1970-01-01, 2100-01-01) UTC.
inline constexpr EpochMs kMinEpochMs = 0;
inline constexpr EpochMs kMaxEpochMs = 4102444800000;  // 2100-01-01T00:00:00Z

// Parses an ISO-8601 / RFC 3339 date-time with a UTC designator or offset:
//   2019-04-28T12:59:36.599Z, 2019-04-28 12:59:36+02:00, 2019-04-28T12:59:36.123456789+0200
// Any number of fraction digits (truncated to milliseconds). A time without
// an offset is rejected: it would be ambiguous. Errors say which part is wrong.
Result<EpochMs> ParseIso8601(std::string_view text);

// Reads a numeric epoch: values below 1e11 in magnitude are seconds (possibly
// fractional), others milliseconds. The result must lie in the reading range.
Result<EpochMs> EpochFromNumber(double value);

// A query bound as people type it: ISO-8601 with an offset, a bare date
// YYYY-MM-DD (UTC midnight), or epoch seconds/milliseconds. Errors are prefixed
// with `name` (e.g. "from").
Result<EpochMs> ParseTimeBound(std::string_view name, std::string_view text);

// Checks that `ms` lies in [kMinEpochMs, kMaxEpochMs).
Status CheckReadingRange(EpochMs ms);

// 2019-04-28T12:59:36.599Z
std::string FormatIso8601(EpochMs ms);
// The same, appended to `out` (24 characters for the years 0000 to 9999): a
// series answer writes one per point, without a formatter's parsing.
void AppendIso8601(std::string& out, EpochMs ms);

// The longest duration anything accepts: the span of the reading range
// (47,482 days). Longer ones, and any whose arithmetic would overflow, are
// refused, never wrapped.
inline constexpr int64_t kMaxDurationMs = kMaxEpochMs - kMinEpochMs;

// Parses a duration such as "10m", "1h", "1d", "30s", "500ms" (a bare number
// is seconds) — or ISO 8601 "PT30M", "PT1H", "P1D", "P1W", "PT0.5S" (weeks,
// days, hours, minutes, seconds; no years or months) — into milliseconds in
// [0, kMaxDurationMs]. Errors quote the text and say what is wrong.
Result<int64_t> ParseDurationMs(std::string_view text);

// The duration in its largest exact unit ("90m", "1d", "1500ms"); reads back
// through ParseDurationMs to the same value. `ms` must be >= 0.
std::string FormatDurationMs(int64_t ms);

}  // namespace telecollect
