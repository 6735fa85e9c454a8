#pragma once

#include <cstddef>
#include <deque>
#include <functional>
#include <thread>
#include <vector>

#include "core/mutex.h"
#include "core/thread_annotations.h"

namespace telecollect::server {

// A fixed set of threads that run the API's heavy requests, so that an I/O
// thread never waits for one. Bounded: past `queue_limit` waiting tasks,
// TrySubmit refuses at once (the caller answers 503) instead of queueing
// without end. Thread-safe. The destructor runs what is queued, then joins.
class WorkerPool {
 public:
  WorkerPool(int threads, size_t queue_limit);
  ~WorkerPool();
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  // Queues `task`; false (task dropped, not run) when queue_limit tasks wait already.
  bool TrySubmit(std::function<void()> task);

  // Tasks waiting, and tasks running now (for tests and metrics).
  size_t queued() const;
  size_t running() const;

 private:
  void Work();

  const size_t queue_limit_;
  mutable Mutex mu_;
  CondVar ready_;
  std::deque<std::function<void()>> tasks_ TC_GUARDED_BY(mu_);
  size_t running_ TC_GUARDED_BY(mu_) = 0;
  bool stopping_ TC_GUARDED_BY(mu_) = false;
  std::vector<std::thread> threads_;  // constant after construction
};

}  // namespace telecollect::server
