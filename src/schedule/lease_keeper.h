#pragma once

#include <string>
#include <thread>

#include "core/clock.h"
#include "core/mutex.h"
#include "core/thread_annotations.h"
#include "store/store.h"

namespace telecollect::schedule {

// Keeps a lease while a run needs it: renews it (TryLease by the same holder,
// which keeps the same fencing token) every ttl/3, and declares it lost once
// another holder has it, or once it comes back with another token (it changed
// hands meanwhile). A whole ttl without a successful renewal (the store did
// not answer, or this process was stalled) means the lease may have expired
// and been taken over: lost() then tries one renewal at once, and the lease is
// lost unless that renewal gets it back under the same token (nobody took it
// meanwhile: an SQLite writer busy with a long file, a process stopped while
// it was alone). A lost lease stays lost: the run stops at its next check of
// lost(), and its commits, fenced, are refused by the store anyway
// (store::Fence).
//
// The renewals run on a thread of its own once Start() is called; Renew() does
// one by hand (tests, with a ManualClock). Times are read from `clock`; the
// pause between renewals is real time. The lease itself is not released: the
// caller does that. Thread-safe.
class LeaseKeeper {
 public:
  // `fence`: the lease as taken (TakeLease) at `clock.NowMs()`, for `ttl_ms`.
  LeaseKeeper(store::ConnectorState& store, const Clock& clock, store::Fence fence, int64_t ttl_ms);
  ~LeaseKeeper();  // stops the renewing thread
  LeaseKeeper(const LeaseKeeper&) = delete;
  LeaseKeeper& operator=(const LeaseKeeper&) = delete;

  void Start() TC_EXCLUDES(mu_);
  // One renewal at clock.NowMs(); false once the lease is lost.
  bool Renew() TC_EXCLUDES(mu_);
  // Whether the lease is lost (a whole ttl since the last renewal: after one
  // more attempt, made here).
  bool lost() TC_EXCLUDES(mu_);
  // Why it was lost ("lease lost: <lease> ..."), empty while held; checks as lost() does.
  std::string why() TC_EXCLUDES(mu_);
  const store::Fence& fence() const { return fence_; }

 private:
  void Loop() TC_EXCLUDES(mu_);
  // Lost for `why`, unless it already was.
  void MarkLost(const std::string& why) TC_REQUIRES(mu_);
  // A whole ttl since the last renewal that succeeded.
  bool Expired() const TC_REQUIRES(mu_) { return clock_.NowMs() - last_renewed_ >= ttl_ms_; }

  // Constant after construction.
  store::ConnectorState& store_;
  const Clock& clock_;
  const store::Fence fence_;
  const int64_t ttl_ms_;

  mutable Mutex mu_;
  CondVar cv_;
  EpochMs last_renewed_ TC_GUARDED_BY(mu_);
  bool lost_ TC_GUARDED_BY(mu_) = false;
  std::string why_ TC_GUARDED_BY(mu_);
  bool stopping_ TC_GUARDED_BY(mu_) = false;
  std::thread thread_;
};

}  // namespace telecollect::schedule
