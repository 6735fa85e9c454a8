#include "store/group_commit.h"

#include <algorithm>
#include <chrono>

#include "core/thread_name.h"

namespace telecollect::store {

GroupCommitter::GroupCommitter(Store& store, size_t queue_capacity, size_t max_group_rows, CommitObserver observer)
    : store_(store), capacity_(queue_capacity), max_group_rows_(max_group_rows), observer_(std::move(observer)) {
  writer_ = std::thread([this] {
    NameThisThread("tc-commit");
    Run();
  });
  syncer_ = std::thread([this] {
    NameThisThread("tc-fsync");
    RunSyncer();
  });
}

GroupCommitter::~GroupCommitter() { Stop(); }

Status GroupCommitter::Submit(WriteBatch batch, Callback done) {
  size_t rows = batch.measurements.size();
  for (const auto& f : batch.frames) rows += 1 + f.measurements.size();
  {
    MutexLock lock(mu_);
    if (stopping_) return Status::Unavailable("server is shutting down");
    if (queue_.size() >= capacity_) {
      return Status::ResourceExhausted("write queue is full (" + std::to_string(capacity_) + " requests waiting)");
    }
    queue_.push_back({std::move(batch), std::move(done), rows});
  }
  cv_.NotifyOne();
  return Status::Ok();
}

void GroupCommitter::Stop() {
  {
    MutexLock lock(mu_);
    stopping_ = true;
  }
  cv_.NotifyAll();
  if (writer_.joinable()) writer_.join();
  {
    MutexLock lock(sync_mu_);
    writer_done_ = true;
  }
  sync_cv_.NotifyAll();
  if (syncer_.joinable()) syncer_.join();
}

size_t GroupCommitter::depth() const {
  MutexLock lock(mu_);
  return queue_.size();
}

void GroupCommitter::Run() {
  std::vector<const WriteBatch*> batches;
  while (true) {
    std::vector<Pending> group;
    size_t rows = 0;
    {
      MutexLock lock(mu_);
      while (!stopping_ && queue_.empty()) cv_.Wait(lock);
      if (queue_.empty()) return;  // stopping and drained
      while (!queue_.empty() && (group.empty() || rows + queue_.front().rows <= max_group_rows_)) {
        rows += queue_.front().rows;
        group.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
    }
    batches.clear();
    for (const auto& p : group) batches.push_back(&p.batch);
    const auto start = std::chrono::steady_clock::now();
    auto results = store_.Write(batches);
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (observer_) observer_(group.size(), rows, seconds, results.ok());
    if (!results.ok()) {  // nothing of the group was stored: answer at once
      for (auto& p : group) p.done(results.status());
      continue;
    }
    Committed committed{{}, std::move(results)};
    committed.done.reserve(group.size());
    for (auto& p : group) committed.done.push_back(std::move(p.done));
    {
      MutexLock lock(sync_mu_);
      to_sync_.push_back(std::move(committed));
    }
    sync_cv_.NotifyOne();
    group.clear();  // the batches, freed here while the syncer fsyncs
  }
}

void GroupCommitter::RunSyncer() {
  std::vector<Committed> committed;
  while (true) {
    {
      MutexLock lock(sync_mu_);
      while (!writer_done_ && to_sync_.empty()) sync_cv_.Wait(lock);
      if (to_sync_.empty()) return;  // writer finished and everything is answered
      committed.swap(to_sync_);
    }
    // One fsync covers every group committed before it started; a commit left
    // in flight (PostgreSQL) is confirmed by its number: the latest of these groups'.
    uint64_t through = 0;
    for (const Committed& c : committed) {
      for (const WriteResult& r : *c.results) through = std::max(through, r.commit);
    }
    const Status synced = store_.SyncThrough(through);
    for (Committed& c : committed) {
      for (size_t i = 0; i < c.done.size(); ++i) {
        if (synced.ok()) c.done[i](std::move((*c.results)[i]));
        else c.done[i](synced.WithContext("committed but not confirmed durable; resend (idempotent)"));
      }
    }
    committed.clear();
  }
}
}  // namespace telecollect::store
