#pragma once

#include <chrono>
#include <cstdint>
#include <thread>
#include <vector>

#include "core/mutex.h"
#include "decode/registry.h"
#include "store/store.h"

namespace telecollect::push {

// Decodes, off the HTTP threads, the frames a push left pending because its
// decode budget was used or no script worker was free (reason "deferred: …",
// decode_frame.h). One thread: told which scope has such frames (Notify),
// it re-runs the decoders over that scope's deferred frames, oldest first,
// and stores the outcome (decoded, failed with its reason, or pending again).
// A scope whose frames were deferred again (no script worker free) or whose
// pass failed is worked on again after `retry_after`, until none is left.
// At Start it looks at every scope once: frames deferred before a restart.
// Thread-safe.
class BackgroundDecoder {
 public:
  BackgroundDecoder(store::Store& store, const decode::DecoderRegistry& registry,
                    std::chrono::milliseconds retry_after = std::chrono::seconds(1));
  ~BackgroundDecoder();  // stops and joins the thread (the frame in hand is finished first)
  BackgroundDecoder(const BackgroundDecoder&) = delete;
  BackgroundDecoder& operator=(const BackgroundDecoder&) = delete;

  void Start();
  void Notify(const Scope& scope);

  // Frames decoded (or failed) so far, for tests and metrics.
  uint64_t done() const;
  // Waits until no scope is queued or being worked on; false on timeout.
  bool WaitIdle(std::chrono::milliseconds timeout);

 private:
  void Run();

  store::Store& store_;
  const decode::DecoderRegistry& registry_;
  const std::chrono::milliseconds retry_after_;
  mutable Mutex mu_;
  CondVar wake_;
  CondVar idle_;
  std::vector<Scope> queued_ TC_GUARDED_BY(mu_);
  bool all_scopes_ TC_GUARDED_BY(mu_) = false;
  bool working_ TC_GUARDED_BY(mu_) = false;
  bool stop_ TC_GUARDED_BY(mu_) = false;
  uint64_t done_ TC_GUARDED_BY(mu_) = 0;
  std::thread thread_;
};

}  // namespace telecollect::push
