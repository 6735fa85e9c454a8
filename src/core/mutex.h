#pragma once

#include <condition_variable>
#include <mutex>

#include "core/thread_annotations.h"

namespace telecollect {

// std::mutex as a capability, so that clang checks every TC_GUARDED_BY member
// is touched under its lock. Lock with MutexLock; wait with CondVar.
class TC_CAPABILITY("mutex") Mutex {
 public:
  void Lock() TC_ACQUIRE() { mu_.lock(); }
  void Unlock() TC_RELEASE() { mu_.unlock(); }
  bool TryLock() TC_TRY_ACQUIRE(true) { return mu_.try_lock(); }
  // For the analysis only: states that the caller holds the lock.
  void AssertHeld() const TC_THREAD_ANNOTATION(assert_capability(this)) {}

 private:
  friend class CondVar;
  std::mutex mu_;
};

// Holds a Mutex for its scope. Unlock()/Lock() let a scope drop it around
// slow work it must not hold the lock for.
class TC_SCOPED_CAPABILITY MutexLock {
 public:
  explicit MutexLock(Mutex& mu) TC_ACQUIRE(mu) : mu_(mu) { mu_.Lock(); }
  ~MutexLock() TC_RELEASE() {
    if (held_) mu_.Unlock();
  }
  MutexLock(const MutexLock&) = delete;
  MutexLock& operator=(const MutexLock&) = delete;

  void Unlock() TC_RELEASE() {
    mu_.Unlock();
    held_ = false;
  }
  void Lock() TC_ACQUIRE() {
    mu_.Lock();
    held_ = true;
  }

 private:
  friend class CondVar;
  Mutex& mu_;
  bool held_ = true;
};

// A condition variable over Mutex. Wait() must be called with the lock held
// (through the MutexLock given); it returns with it held again.
class CondVar {
 public:
  void Wait(MutexLock& lock) { Wait(lock, [] { return true; }, true); }
  template <class Pred>
  void Wait(MutexLock& lock, Pred pred) {
    Wait(lock, pred, false);
  }
  // Returns pred() at the end: false when the deadline passed first.
  template <class Clock, class Duration, class Pred>
  bool WaitUntil(MutexLock& lock, const std::chrono::time_point<Clock, Duration>& deadline, Pred pred) {
    std::unique_lock<std::mutex> ul(lock.mu_.mu_, std::adopt_lock);
    bool ok = cv_.wait_until(ul, deadline, pred);
    ul.release();
    return ok;
  }
  template <class Rep, class Period, class Pred>
  bool WaitFor(MutexLock& lock, const std::chrono::duration<Rep, Period>& timeout, Pred pred) {
    return WaitUntil(lock, std::chrono::steady_clock::now() + timeout, pred);
  }
  void NotifyOne() { cv_.notify_one(); }
  void NotifyAll() { cv_.notify_all(); }

 private:
  template <class Pred>
  void Wait(MutexLock& lock, Pred pred, bool once) {
    std::unique_lock<std::mutex> ul(lock.mu_.mu_, std::adopt_lock);
    if (once) cv_.wait(ul);
    else cv_.wait(ul, pred);
    ul.release();
  }
  std::condition_variable cv_;
};

}  // namespace telecollect
