#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <sys/types.h>
#include <vector>

#include "core/mutex.h"
#include "core/status.h"
#include "decode/script/worker_main.h"
#include "decode/script/worker_protocol.h"

namespace telecollect::decode::worker {

struct PoolSettings {
  WorkerSettings worker;
  size_t max_workers = 4;       // processes started at most (on demand)
  int64_t frame_timeout_ms = 100;  // wall clock per request, enforced here with SIGKILL
  uint64_t frames_per_worker = 100000;  // a worker is replaced after this many requests
};

// The server's side of the decode workers: up to `max_workers` child
// processes (the program itself, exec'd in decode-worker mode; worker_main.h),
// started when first needed, each serving one request at a time. Thread-safe:
// a caller takes an idle worker (or waits for one), sends its request and
// waits for the answer until the frame's deadline. A worker that does not
// answer in time is killed (SIGKILL) and replaced at its next use; a worker
// that dies (sandbox violation, CPU backstop, crash) is reaped and the frame
// fails with the reason. One bad frame never affects another's.
class WorkerPool {
 public:
  explicit WorkerPool(PoolSettings settings);
  ~WorkerPool();  // kills the workers
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  // The pool shared by every decoder built with these settings.
  static WorkerPool& Shared(const PoolSettings& settings);

  // Runs `request` (its `source` is filled from `source` only when the
  // worker does not have the decoder yet). kOk/kError answers are returned as
  // such; a worker that overran or died is kInvalidArgument with the reason;
  // no free worker before `wait_until` is kUnavailable; a worker that cannot
  // start is kInternal.
  Result<Response> Call(Request request, const std::string& source,
                        std::optional<Deadline> wait_until = std::nullopt);

  // Process ids of the running workers (tests, operations).
  std::vector<pid_t> Pids() const;

 private:
  struct Slot {
    pid_t pid = 0;
    int fd = -1;
    uint64_t served = 0;
    std::vector<uint64_t> known;  // decoder ids this worker has compiled (as far as we know)
    bool busy = false;
  };
  Slot* Acquire(std::optional<Deadline> wait_until);
  void Release(Slot* slot);
  Status Spawn(Slot& slot);
  // Ends the worker (SIGKILL unless it already died) and reaps it; the reason
  // it ended, for the frame's message.
  std::string Retire(Slot& slot, bool killed_for_time);
  Result<Response> Exchange(Slot& slot, Request& request, const std::string& source);

  const PoolSettings settings_;
  mutable Mutex mu_;
  CondVar idle_;
  std::vector<std::unique_ptr<Slot>> slots_ TC_GUARDED_BY(mu_);
};

}  // namespace telecollect::decode::worker
