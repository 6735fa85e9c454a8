#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>

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
  Status Submit(WriteBatch batch, Callback done);

  // Stops accepting, commits everything queued, joins the writer. Idempotent.
  void Stop();

  size_t depth() const;

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
  void Run();
  void RunSyncer();

  Store& store_;
  const size_t capacity_;
  const size_t max_group_rows_;
  const CommitObserver observer_;

  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Pending> queue_;  // guarded by mu_
  bool stopping_ = false;      // guarded by mu_
  std::thread writer_;

  std::mutex sync_mu_;
  std::condition_variable sync_cv_;
  std::vector<Committed> to_sync_;  // guarded by sync_mu_
  bool writer_done_ = false;        // guarded by sync_mu_
  std::thread syncer_;
};

}  // namespace telecollect::store
