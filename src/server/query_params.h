#pragma once
// Typed query parameters, each read against a documented range (docs/api.md,
// "Query parameters"). Library-free: also built for the query_params fuzzer.

#include <cstdint>
#include <initializer_list>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/model.h"
#include "core/time_util.h"

namespace telecollect::server {

// A refused parameter: which one, why (a whole sentence), and what it accepts.
struct ParamError {
  std::string parameter;
  std::string message;
  std::string allowed;
};

// Accepted ranges.
inline constexpr int64_t kMinStepMs = 1;  // step: a bucket of 1 ms at least
inline constexpr int64_t kMaxFrameId = INT64_MAX;
inline constexpr size_t kMaxModulesPerRequest = 1000;  // module=... repeated (latest, measurements)
// What a timestamp parameter accepts, in words (the reading range).
inline constexpr std::string_view kTimeRange =
    "1970-01-01T00:00:00Z to 2100-01-01T00:00:00Z (exclusive): ISO-8601 with an offset, YYYY-MM-DD, or epoch s/ms";

// Reads one request's parameters. An absent (or empty) parameter gives the
// default; a present one must be valid, else the first refusal is kept in
// error() and the reader returns the default: a handler reads every
// parameter, then answers 400 if error() is set. Not thread-safe.
class QueryParams {
 public:
  explicit QueryParams(const std::map<std::string, std::string>& params,
                       const std::vector<std::pair<std::string, std::string>>* pairs = nullptr)
      : params_(params), pairs_(pairs) {}

  // The raw value, or "" when absent.
  std::string_view Text(std::string_view key) const;
  // An instant in the reading range.
  std::optional<EpochMs> Time(std::string_view key);
  // A duration in [min_ms, max_ms] (ms, s, m, h, d or ISO 8601).
  std::optional<int64_t> Duration(std::string_view key, int64_t min_ms, int64_t max_ms);
  // A count in [1, max].
  size_t Limit(std::string_view key, size_t dflt, size_t max);
  // A frame id in [1, kMaxFrameId].
  std::optional<int64_t> Id(std::string_view key);
  // "true" or "false".
  bool Flag(std::string_view key);
  // "preprod" or "prod".
  std::optional<Env> EnvParam(std::string_view key);
  // A decode status (decoded, no-decoder or pending, failed); "all" too when `allow_all`
  // (returned as nullopt with *all set).
  std::optional<DecodeStatus> StatusParam(std::string_view key, bool allow_all = false, bool* all = nullptr);
  // Every value of a repeated parameter (?module=a&module=b), in order: at most
  // `max` of them, none empty. Reads the pairs given to the constructor.
  std::vector<std::string> List(std::string_view key, size_t max);
  // One of `choices` (for closed sets such as format=json|csv).
  std::string_view Choice(std::string_view key, std::string_view dflt, std::initializer_list<std::string_view> choices);

  // Reports a refusal found by the caller (e.g. from >= to), unless one is kept already.
  void Refuse(std::string parameter, std::string message, std::string allowed);
  const std::optional<ParamError>& error() const { return error_; }

 private:
  const std::map<std::string, std::string>& params_;
  const std::vector<std::pair<std::string, std::string>>* pairs_;
  std::optional<ParamError> error_;
};

}  // namespace telecollect::server
