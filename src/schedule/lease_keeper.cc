#include "schedule/lease_keeper.h"

#include <algorithm>
#include <chrono>

#include "core/log.h"
#include "core/thread_name.h"
#include "core/time_util.h"

namespace telecollect::schedule {
LeaseKeeper::LeaseKeeper(store::ConnectorState& store, const Clock& clock, store::Fence fence, int64_t ttl_ms)
    : store_(store), clock_(clock), fence_(std::move(fence)), ttl_ms_(ttl_ms), last_renewed_(clock.NowMs()) {}

LeaseKeeper::~LeaseKeeper() {
  {
    MutexLock lock(mu_);
    stopping_ = true;
    cv_.NotifyAll();
  }
  if (thread_.joinable()) thread_.join();
}

void LeaseKeeper::Start() {
  if (thread_.joinable()) return;
  thread_ = std::thread([this] {
    NameThisThread("tc-lease");
    Loop();
  });
}

void LeaseKeeper::Loop() {
  const auto every = std::chrono::milliseconds(std::max<int64_t>(ttl_ms_ / 3, 1));
  MutexLock lock(mu_);
  while (!stopping_ && !lost_) {
    cv_.WaitFor(lock, every, [&]() TC_REQUIRES(mu_) { return stopping_; });
    if (stopping_) break;
    lock.Unlock();
    (void)Renew();
    lock.Lock();
  }
}

bool LeaseKeeper::Renew() {
  {
    MutexLock lock(mu_);
    if (lost_) return false;
  }
  const EpochMs now = clock_.NowMs();
  Result<std::optional<int64_t>> token = store_.TryLease(fence_.lease, fence_.holder, now, ttl_ms_);
  MutexLock lock(mu_);
  if (lost_) return false;
  if (token.ok() && *token && **token == fence_.token) {
    // Ours all along, even after an expiry: nobody held it in between (the token would have grown).
    last_renewed_ = std::max(last_renewed_, now);
    return true;
  }
  if (token.ok() && !*token) {
    MarkLost("lease lost: " + fence_.lease + " is held by another holder");
  } else if (token.ok()) {
    MarkLost("lease lost: " + fence_.lease + " changed hands meanwhile (fencing token " + std::to_string(**token) +
             ", this run's " + std::to_string(fence_.token) + ")");
  } else {
    LogWarn("lease_renewal_failed", {{"lease", fence_.lease}, {"error", token.status().message()}});
    if (Expired()) {
      MarkLost("lease lost: " + fence_.lease + " was not renewed for " + FormatDurationMs(ttl_ms_) +
               " (lease_ttl): another node may have taken it over");
    }
  }
  return !lost_;
}

bool LeaseKeeper::lost() {
  {
    MutexLock lock(mu_);
    if (lost_ || !Expired()) return lost_;
  }
  return !Renew();  // a whole ttl without a renewal: one more try decides
}

std::string LeaseKeeper::why() {
  (void)lost();
  MutexLock lock(mu_);
  return why_;
}

void LeaseKeeper::MarkLost(const std::string& why) {
  if (lost_) return;
  lost_ = true;
  why_ = why;
  LogWarn("lease_lost", {{"lease", fence_.lease}, {"why", why}});
}

}  // namespace telecollect::schedule
