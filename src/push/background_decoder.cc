#include "push/background_decoder.h"

#include <algorithm>

#include "core/rate_limited_log.h"
#include "core/thread_name.h"
#include "push/redecode.h"

namespace telecollect::push {

BackgroundDecoder::BackgroundDecoder(store::Store& store, const decode::DecoderRegistry& registry,
                                     std::chrono::milliseconds retry_after)
    : store_(store), registry_(registry), retry_after_(retry_after) {}

BackgroundDecoder::~BackgroundDecoder() {
  {
    MutexLock lock(mu_);
    stop_ = true;
  }
  wake_.NotifyAll();
  if (thread_.joinable()) thread_.join();
}

void BackgroundDecoder::Start() {
  {
    MutexLock lock(mu_);
    all_scopes_ = true;
  }
  thread_ = std::thread([this] {
    NameThisThread("tc-bg-decode");
    Run();
  });
}

void BackgroundDecoder::Notify(const Scope& scope) {
  {
    MutexLock lock(mu_);
    if (std::find(queued_.begin(), queued_.end(), scope) == queued_.end()) queued_.push_back(scope);
  }
  wake_.NotifyOne();
}

uint64_t BackgroundDecoder::done() const {
  MutexLock lock(mu_);
  return done_;
}

bool BackgroundDecoder::WaitIdle(std::chrono::milliseconds timeout) {
  MutexLock lock(mu_);
  return idle_.WaitFor(lock, timeout, [&] {
    mu_.AssertHeld();
    return queued_.empty() && !all_scopes_ && !working_;
  });
}

void BackgroundDecoder::Run() {
  static RateLimitedLog failed("background_decode_failed");
  MutexLock lock(mu_);
  while (true) {
    wake_.Wait(lock, [&] {
      mu_.AssertHeld();
      return stop_ || all_scopes_ || !queued_.empty();
    });
    if (stop_) return;
    RedecodeFilter filter;
    filter.statuses = {DecodeStatus::kNoDecoder};
    filter.deferred_only = true;
    if (all_scopes_) {
      all_scopes_ = false;  // filter.scopes empty: every scope
      queued_.clear();
    } else {
      filter.scopes = {queued_.front()};
      queued_.erase(queued_.begin());
    }
    working_ = true;
    lock.Unlock();
    auto report = Redecode(store_, registry_, filter);
    if (!report.ok()) failed.Report({{"error", report.status().message()}});
    lock.Lock();
    if (report.ok()) done_ += report->decoded + report->failed;
    // Frames deferred once more (every script worker busy) or a pass that
    // failed (the store unavailable) are tried again after a pause: no push
    // may come to notify their scope again, and none may stay pending for good.
    if (!report.ok() || report->deferred > 0) {
      wake_.WaitFor(lock, retry_after_, [&] {
        mu_.AssertHeld();
        return stop_;
      });
      if (stop_) return;
      if (filter.scopes.empty()) {
        all_scopes_ = true;
      } else if (std::find(queued_.begin(), queued_.end(), filter.scopes[0]) == queued_.end()) {
        queued_.push_back(filter.scopes[0]);
      }
    }
    working_ = false;
    if (queued_.empty() && !all_scopes_) idle_.NotifyAll();
  }
}

}  // namespace telecollect::push
