// Input: a request target's query ("a=1&step=10m&..."). Taking it apart and
// reading every parameter the API reads never crashes, and what is accepted
// holds: a duration lies in its range and re-formats to text that parses
// back to the same value; an instant lies in the reading range; a limit in
// [1, max]; an id is positive; a repeated parameter keeps its values in order
// up to its maximum; a refusal names its parameter and its range.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "server/query_params.h"
#include "server/request_target.h"

namespace {

using namespace telecollect;
using namespace telecollect::server;

void Check(bool ok) {
  if (!ok) __builtin_trap();
}

// A refusal names the parameter read (possibly "", a key the client left empty), why, and the range.
void CheckRefusal(const QueryParams& p, const std::string& key) {
  if (p.error()) Check(p.error()->parameter == key && !p.error()->message.empty() && !p.error()->allowed.empty());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string target = "/v1/x?" + std::string(reinterpret_cast<const char*>(data), size);
  Result<Target> t = ParseTarget(target);
  if (!t.ok()) {
    Check(!t.status().message().empty());
    return 0;
  }
  for (const auto& [key, value] : t->params) {
    // Every reader on every parameter, each with its own reader so that one refusal does not hide the next.
    {
      QueryParams p(t->params);
      if (auto d = p.Duration(key, kMinStepMs, kMaxDurationMs)) {
        Check(*d >= kMinStepMs && *d <= kMaxDurationMs);
        Result<int64_t> again = ParseDurationMs(FormatDurationMs(*d));
        Check(again.ok() && *again == *d);
      }
      CheckRefusal(p, key);
    }
    {
      QueryParams p(t->params);
      if (auto v = p.Time(key)) Check(CheckReadingRange(*v).ok());
      CheckRefusal(p, key);
    }
    {
      QueryParams p(t->params);
      const size_t n = p.Limit(key, 7, 1000);
      Check(n >= 1 && n <= 1000);
      if (auto id = p.Id(key)) Check(*id >= 1);
      CheckRefusal(p, key);
    }
    {
      QueryParams p(t->params);
      bool all = false;
      p.StatusParam(key, true, &all);
      p.EnvParam(key);
      p.Flag(key);
      const std::string_view agg = p.Choice(key, "", {"avg", "min", "max", "sum", "last", "count", "none", "raw"});
      Check(agg.empty() || agg == value);
      CheckRefusal(p, key);
    }
    {
      // A repeated parameter (module=a&module=b): at most its maximum, none empty, in request order.
      QueryParams p(t->params, &t->pairs);
      const std::vector<std::string> list = p.List(key, 3);
      Check(list.size() <= 3);
      size_t at = 0;
      for (const std::string& v : list) {
        Check(!v.empty());
        while (at < t->pairs.size() && !(t->pairs[at].first == key && t->pairs[at].second == v)) ++at;
        Check(at++ < t->pairs.size());
      }
      Check(list.empty() || p.error() || list.back() == value);
      CheckRefusal(p, key);
    }
  }
  // The raw duration parser on the whole input too.
  const std::string_view raw(reinterpret_cast<const char*>(data), size);
  if (Result<int64_t> d = ParseDurationMs(raw); d.ok()) {
    Check(*d >= 0 && *d <= kMaxDurationMs);
    Result<int64_t> again = ParseDurationMs(FormatDurationMs(*d));
    Check(again.ok() && *again == *d);
  }
  return 0;
}
