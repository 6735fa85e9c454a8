#pragma once

#include <thread>
#include <vector>

#include "core/model.h"
#include "core/mutex.h"
#include "core/status.h"

namespace telecollect::files {

// Hands an import's chunks of readings to `inner` on a thread of its own, so
// that the store writes one chunk while the parser reads the next (two cores:
// the import takes the longer of the two, not their sum). At most one chunk
// waits: memory stays two chunks whatever the file.
//
// A failure of `inner` is returned by a later Add (the parse then stops) or by
// Close; chunks after a failure are not written. Close (or the destructor)
// must run before `inner` is used again by the calling thread: until then the
// worker may be using it.
class PipelinedWriter final : public ReadingWriter {
 public:
  explicit PipelinedWriter(ReadingWriter& inner);
  ~PipelinedWriter() override;

  Status Add(const std::vector<ModuleDef>& modules, std::span<const Reading> readings) override
      TC_EXCLUDES(mu_);
  // Waits until every chunk handed over is written; the first failure, if any.
  Status Close() TC_EXCLUDES(mu_);

 private:
  void Run() TC_EXCLUDES(mu_);

  ReadingWriter& inner_;
  Mutex mu_;
  CondVar cv_;
  // The chunk handed over and not yet taken, with the modules that are new
  // since the last one (modules only ever grow).
  std::vector<Reading> pending_ TC_GUARDED_BY(mu_);
  std::vector<ModuleDef> pending_modules_ TC_GUARDED_BY(mu_);
  bool has_pending_ TC_GUARDED_BY(mu_) = false;
  bool closing_ TC_GUARDED_BY(mu_) = false;
  Status failure_ TC_GUARDED_BY(mu_);
  size_t modules_handed_ = 0;             // the caller's side
  std::vector<ModuleDef> worker_modules_;  // the worker's side
  std::thread worker_;
};

}  // namespace telecollect::files
