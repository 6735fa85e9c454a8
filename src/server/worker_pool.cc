#include "server/worker_pool.h"

#include "core/thread_name.h"

namespace telecollect::server {

WorkerPool::WorkerPool(int threads, size_t queue_limit) : queue_limit_(queue_limit) {
  for (int i = 0; i < (threads > 0 ? threads : 1); ++i) threads_.emplace_back([this] { Work(); });
}

WorkerPool::~WorkerPool() {
  {
    MutexLock lock(mu_);
    stopping_ = true;
  }
  ready_.NotifyAll();
  for (std::thread& t : threads_) t.join();
}

bool WorkerPool::TrySubmit(std::function<void()> task) {
  {
    MutexLock lock(mu_);
    if (stopping_ || tasks_.size() >= queue_limit_) return false;
    tasks_.push_back(std::move(task));
  }
  ready_.NotifyOne();
  return true;
}

size_t WorkerPool::queued() const {
  MutexLock lock(mu_);
  return tasks_.size();
}

size_t WorkerPool::running() const {
  MutexLock lock(mu_);
  return running_;
}

void WorkerPool::Work() {
  NameThisThread("tc-worker");
  MutexLock lock(mu_);
  while (true) {
    ready_.Wait(lock, [this]() TC_REQUIRES(mu_) { return stopping_ || !tasks_.empty(); });
    if (tasks_.empty()) return;  // stopping, nothing left
    std::function<void()> task = std::move(tasks_.front());
    tasks_.pop_front();
    ++running_;
    lock.Unlock();
    task();
    task = nullptr;  // what it holds is released outside the lock
    lock.Lock();
    --running_;
  }
}

}  // namespace telecollect::server
