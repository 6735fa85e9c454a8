#include "store/store.h"

namespace telecollect::store {

Result<Aggregate> ParseAggregate(std::string_view t) {
  if (t == "avg") return Aggregate::kAvg;
  if (t == "min") return Aggregate::kMin;
  if (t == "max") return Aggregate::kMax;
  if (t == "sum") return Aggregate::kSum;
  if (t == "last") return Aggregate::kLast;
  if (t == "count") return Aggregate::kCount;
  if (t == "none" || t == "raw") return Aggregate::kNone;
  return Status::InvalidArgument("agg must be one of avg, min, max, sum, last, count; got \"" + std::string(t) + "\"");
}

namespace {
constexpr std::string_view kLeaseLost = "lease lost: ";
}

Status LeaseLost(const Fence& fence) {
  // Names the lease, never its holders (host names) nor the store.
  return Status::Aborted(std::string(kLeaseLost) + fence.lease + " changed hands (fencing token " +
                         std::to_string(fence.token) + " is stale): nothing of this commit was stored");
}

bool IsLeaseLost(const Status& status) {
  return status.code() == StatusCode::kAborted && status.message().starts_with(kLeaseLost);
}

}  // namespace telecollect::store

namespace telecollect::store {

std::map<std::string, std::string> RedecodedUnits(std::span<const Redecoded> results) {
  std::map<std::string, std::string> out;
  for (const Redecoded& r : results) {
    for (const Measurement& m : r.measurements) {
      if (!m.unit.empty()) out[m.module] = m.unit;
    }
  }
  return out;
}

}  // namespace telecollect::store
