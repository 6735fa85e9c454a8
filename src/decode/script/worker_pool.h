#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <sys/types.h>
#include <thread>
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
//
// A caller with a deadline of its own (a push's decode budget) stops waiting
// at it: a worker still running the frame (or still starting) is left to
// finish on a finisher thread, under the frame's own time limit (killed only
// if it overruns that), and is free again afterwards; its answer is dropped
// (the caller keeps the frame for the background decoder).
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
  // no free worker before `wait_until`, or no answer (or no started worker)
  // by then, is kUnavailable; a worker that cannot start is kInternal.
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
    // Finishes a request whose caller stopped waiting, then frees the slot.
    // Set under mu_ while the slot is busy; joined by the slot's next user
    // (after Acquire) or by the destructor.
    std::thread finisher;
  };
  // A request sent to a worker: what its answer is awaited with.
  struct InFlight {
    Deadline start;       // when it was first sent: the frame's time limit counts from here
    Deadline hard;        // the wall-clock bound, whatever CPU time it used
    int64_t cpu_at_start;  // the worker's CPU time then (ms; -1 if unknown)
    uint32_t max_bytes;   // bound on the answer's size
  };
  Slot* Acquire(std::optional<Deadline> wait_until);
  void Release(Slot* slot);
  // Starts a worker and waits for its "ready" until `give_up` (if sooner
  // than the start-up bound); past it, the start is finished on a finisher
  // thread, *handed_off is set and the answer is kUnavailable.
  Status Spawn(Slot& slot, std::optional<Deadline> give_up, bool* handed_off);
  // Ends the worker (SIGKILL unless it already died) and reaps it; the reason
  // it ended, for the frame's message.
  std::string Retire(Slot& slot, bool killed_for_time);
  // Sends `request` and waits for the answer under the frame's time limit,
  // or until `give_up` when that comes first: then the rest of the wait is
  // handed to a finisher thread, *handed_off is set and the answer is
  // kUnavailable. A handed-off slot is freed by its finisher, not the caller.
  Result<Response> Exchange(Slot& slot, Request& request, const std::string& source, std::optional<Deadline> give_up,
                            bool* handed_off);
  // Reads the answer to the request in flight on `slot`: kUnavailable when
  // the frame overran its limit, or (with *gave_up set) when `give_up` came
  // first and the worker is still within its limit.
  Result<std::string> AwaitAnswer(Slot& slot, const InFlight& flight, std::optional<Deadline> give_up, bool* gave_up);
  // Runs `finish` on slot.finisher, which then frees the slot.
  void HandOff(Slot& slot, std::function<void()> finish);

  const PoolSettings settings_;
  mutable Mutex mu_;
  CondVar idle_;
  std::vector<std::unique_ptr<Slot>> slots_ TC_GUARDED_BY(mu_);
};

}  // namespace telecollect::decode::worker
