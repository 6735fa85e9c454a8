#pragma once
// A request target ("/v1/frames?deviceid=a&limit=10") taken apart: decoded
// path segments and query parameters.

#include <map>
#include <utility>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace telecollect::server {

struct Target {
  std::vector<std::string> segments;          // decoded path segments, without a trailing empty one
  std::map<std::string, std::string> params;  // decoded query (last value wins)
  // Every (key, value) pair in request order, repeated keys too (?module=a&module=b).
  std::vector<std::pair<std::string, std::string>> pairs;
};

// Origin-form targets (RFC 9112); anything else is kInvalidArgument. A plain
// path (letters, digits, "-._~" and "/", no query: every push) is split here;
// others go through Boost.URL, which decodes percent-escapes and the query.
Result<Target> ParseTarget(std::string_view target);

}  // namespace telecollect::server
