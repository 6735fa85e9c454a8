#include "store/group_commit.h"

#include <chrono>

namespace telecollect::store {

GroupCommitter::GroupCommitter(Store& store, size_t queue_capacity, size_t max_group_rows, CommitObserver observer)
    : store_(store), capacity_(queue_capacity), max_group_rows_(max_group_rows), observer_(std::move(observer)) {
  writer_ = std::thread([this] { Run(); });
}

GroupCommitter::~GroupCommitter() { Stop(); }

Status GroupCommitter::Submit(WriteBatch batch, Callback done) {
  size_t rows = batch.measurements.size();
  for (const auto& f : batch.frames) rows += 1 + f.measurements.size();
  {
    std::lock_guard lock(mu_);
    if (stopping_) return Status::Unavailable("server is shutting down");
    if (queue_.size() >= capacity_) {
      return Status::ResourceExhausted("write queue is full (" + std::to_string(capacity_) + " requests waiting)");
    }
    queue_.push_back({std::move(batch), std::move(done), rows});
  }
  cv_.notify_one();
  return Status::Ok();
}

void GroupCommitter::Stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (writer_.joinable()) writer_.join();
}

size_t GroupCommitter::depth() const {
  std::lock_guard lock(mu_);
  return queue_.size();
}

void GroupCommitter::Run() {
  std::vector<Pending> group;
  std::vector<const WriteBatch*> batches;
  while (true) {
    group.clear();
    {
      std::unique_lock lock(mu_);
      cv_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping and drained
      size_t rows = 0;
      while (!queue_.empty() && (group.empty() || rows + queue_.front().rows <= max_group_rows_)) {
        rows += queue_.front().rows;
        group.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
    }
    batches.clear();
    size_t rows = 0;
    for (const auto& p : group) {
      batches.push_back(&p.batch);
      rows += p.rows;
    }
    const auto start = std::chrono::steady_clock::now();
    auto results = store_.Write(batches);
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (observer_) observer_(group.size(), rows, seconds, results.ok());
    for (size_t i = 0; i < group.size(); ++i) {
      if (results.ok()) group[i].done(std::move((*results)[i]));
      else group[i].done(results.status());
    }
  }
}

}  // namespace telecollect::store
