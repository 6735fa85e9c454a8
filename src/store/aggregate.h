#pragma once

#include <vector>

#include "store/series_codec.h"
#include "store/store.h"

namespace telecollect::store {

// Reduces a module's points, fed in ts order, to what a MeasurementQuery
// asks: the raw points (step_ms <= 0 or agg kNone), or one point per bucket of
// step_ms counted from the epoch (floor, also before 1970) holding the
// bucket's avg, min, max, sum, last or count. At most query.limit points.
// Every backend answers QueryMeasurements with it.
class PointAggregator {
 public:
  explicit PointAggregator(const MeasurementQuery& query) : query_(query) {}
  // False once the limit is reached (the caller stops feeding).
  bool Add(const SeriesPoint& p);
  std::vector<Point> Finish();

 private:
  bool raw() const { return query_.step_ms <= 0 || query_.agg == Aggregate::kNone; }
  void Close();

  const MeasurementQuery& query_;
  std::vector<Point> out_;
  EpochMs bucket_ = 0;
  double acc_ = 0;
  int64_t count_ = 0;
};

}  // namespace telecollect::store
