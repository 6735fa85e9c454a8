#include "files/pipelined_writer.h"

#include "core/thread_name.h"

namespace telecollect::files {

PipelinedWriter::PipelinedWriter(ReadingWriter& inner)
    : inner_(inner), worker_([this] {
        NameThisThread("tc-file-write");
        Run();
      }) {}

PipelinedWriter::~PipelinedWriter() { (void)Close(); }

Status PipelinedWriter::Add(const std::vector<ModuleDef>& modules, std::span<const Reading> readings) {
  MutexLock lock(mu_);
  // One chunk waits at most: the parser is held here while the store is behind.
  while (has_pending_ && failure_.ok()) cv_.Wait(lock);
  if (!failure_.ok()) return failure_;
  pending_.assign(readings.begin(), readings.end());
  pending_modules_.assign(modules.begin() + static_cast<std::ptrdiff_t>(modules_handed_), modules.end());
  modules_handed_ = modules.size();
  has_pending_ = true;
  cv_.NotifyAll();
  return Status::Ok();
}

Status PipelinedWriter::Close() {
  {
    MutexLock lock(mu_);
    closing_ = true;
    cv_.NotifyAll();
  }
  if (worker_.joinable()) worker_.join();
  MutexLock lock(mu_);
  return failure_;
}

void PipelinedWriter::Run() {
  std::vector<Reading> chunk;
  MutexLock lock(mu_);
  while (true) {
    while (!has_pending_ && !closing_) cv_.Wait(lock);
    if (!has_pending_) return;  // closing, everything written
    chunk.swap(pending_);
    worker_modules_.insert(worker_modules_.end(), std::make_move_iterator(pending_modules_.begin()),
                           std::make_move_iterator(pending_modules_.end()));
    pending_modules_.clear();
    has_pending_ = false;
    cv_.NotifyAll();  // the parser may hand over the next chunk
    lock.Unlock();
    Status s = inner_.Add(worker_modules_, chunk);
    lock.Lock();
    if (!s.ok()) {
      failure_ = std::move(s);
      has_pending_ = false;  // what follows a failure is not written
      cv_.NotifyAll();
      return;
    }
  }
}

}  // namespace telecollect::files
