#pragma once

#include <deque>
#include <functional>
#include <thread>

#include "core/mutex.h"
#include "store/store.h"

namespace telecollect::store {

// Serialises writes into one writer thread and groups whatever is queued into
// one transaction, so that N concurrent requests cost one commit. Durability is
// pipelined: a syncer thread calls Store::Sync() (one fsync) for every group
// committed so far while the writer commits the next one. Each submitter's
// callback runs only after the transaction holding its batch has committed and
// been synced (or failed): acknowledging only what is durable.
class GroupCommitter {
 public:
  using Callback = std::function<void(Result<WriteResult>)>;
  // Called after each transaction with its size and duration (for metrics).
  using CommitObserver = std::function<void(size_t batches, size_t rows, double seconds, bool ok)>;

  GroupCommitter(Store& store, size_t queue_capacity, size_t max_group_rows, CommitObserver observer = {});
  ~GroupCommitter();  // Stop()s

  // Queues `batch`. kResourceExhausted when the queue is full, kUnavailable
  // once stopping; then `done` is not called. Otherwise `done` is called
  // exactly once, on the writer thread.
  Status Submit(WriteBatch batch, Callback done) TC_EXCLUDES(mu_);

  // Stops accepting, commits everything queued, joins the writer. Idempotent.
  void Stop() TC_EXCLUDES(mu_, sync_mu_);

  size_t depth() const TC_EXCLUDES(mu_);

 private:
  struct Pending {
    WriteBatch batch;
    Callback done;
    size_t rows;
  };
  // What the syncer needs of a committed group: the callbacks and their
  // results. The batches stay with the writer, which frees them once the
  // group is handed over: freeing every frame's strings is not fsync work.
  struct Committed {
    std::vector<Callback> done;
    Result<std::vector<WriteResult>> results;
  };
  void Run() TC_EXCLUDES(mu_, sync_mu_);
  void RunSyncer() TC_EXCLUDES(sync_mu_);

  Store& store_;
  const size_t capacity_;
  const size_t max_group_rows_;
  const CommitObserver observer_;

  mutable Mutex mu_;
  CondVar cv_;
  std::deque<Pending> queue_ TC_GUARDED_BY(mu_);
  bool stopping_ TC_GUARDED_BY(mu_) = false;
  std::thread writer_;

  Mutex sync_mu_;
  CondVar sync_cv_;
  std::vector<Committed> to_sync_ TC_GUARDED_BY(sync_mu_);
  bool writer_done_ TC_GUARDED_BY(sync_mu_) = false;
  std::thread syncer_;
};

}  // namespace telecollect::store
