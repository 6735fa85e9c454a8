#include "store/aggregate.h"

#include <algorithm>

namespace telecollect::store {

bool PointAggregator::Add(const SeriesPoint& p) {
  const size_t limit = query_.limit;
  if (out_.size() >= limit) return false;
  if (raw()) {
    out_.push_back({p.ts, p.value, p.quality});
    return out_.size() < limit;
  }
  const int64_t step = query_.step_ms;
  const EpochMs b = p.ts - ((p.ts % step) + step) % step;
  if (count_ == 0 || b != bucket_) {
    Close();
    if (out_.size() >= limit) return false;
    bucket_ = b;
    count_ = 0;
    acc_ = p.value;
  } else {
    switch (query_.agg) {
      case Aggregate::kMin: acc_ = std::min(acc_, p.value); break;
      case Aggregate::kMax: acc_ = std::max(acc_, p.value); break;
      case Aggregate::kLast: acc_ = p.value; break;
      default: acc_ += p.value; break;  // avg, sum (count ignores acc)
    }
  }
  ++count_;
  return true;
}

void PointAggregator::Close() {
  if (count_ == 0) return;
  double v = acc_;
  if (query_.agg == Aggregate::kAvg) v = acc_ / static_cast<double>(count_);
  else if (query_.agg == Aggregate::kCount) v = static_cast<double>(count_);
  out_.push_back({bucket_, v, 0});
  count_ = 0;
}

std::vector<Point> PointAggregator::Finish() {
  if (!raw() && out_.size() < query_.limit) Close();
  return std::move(out_);
}

}  // namespace telecollect::store
