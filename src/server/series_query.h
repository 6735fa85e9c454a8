#pragma once
// Measurements of one or many modules over one range, cut at one instant when
// there are more than the limit: what is given is complete for every module
// up to `next_from` (exclusive), and a request from `next_from` gives the rest.

#include <string>
#include <vector>

#include "store/store.h"

namespace telecollect::server {

struct SeriesRequest {
  Scope scope;
  std::vector<std::string> modules;
  EpochMs from = kMinEpochMs;  // inclusive
  EpochMs to = kMaxEpochMs;    // exclusive
  int64_t step_ms = 0;         // 0 = raw points
  store::Aggregate agg = store::Aggregate::kAvg;
  size_t limit = 100000;  // points (or buckets) of every module together
};

struct Series {
  std::string module;
  std::vector<store::Point> points;
};

struct SeriesAnswer {
  std::vector<Series> series;  // in the order asked
  bool truncated = false;
  EpochMs next_from = 0;  // when truncated: the first instant not given
};

// kNotFound names the first module that is not one of the scope's.
Result<SeriesAnswer> QuerySeries(store::Queries& store, const SeriesRequest& request);

enum class SeriesLayout {
  kOneModule,  // timestamp,value
  kLong,       // timestamp,module,value: one line per point
  kWide,       // timestamp,<module>,<module>...: one line per instant, empty where a module has none
};
// The answer as CSV; a cut answer ends with "# truncated: continue with from=<instant>".
std::string SeriesCsv(const SeriesAnswer& answer, SeriesLayout layout);

}  // namespace telecollect::server
