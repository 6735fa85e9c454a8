#pragma once

#include <cstddef>
#include <deque>
#include <string>
#include <thread>
#include <vector>

#include "core/mutex.h"
#include "core/status.h"

struct evp_md_ctx_st;

namespace telecollect::files {

// Reads a file descriptor to its end on a thread of its own, a few blocks
// ahead of the consumer, and feeds each block to a digest there: the parsing
// thread only copies bytes out of memory, the read system calls and the
// SHA-256 run beside it (two cores). Blocks grow from 64 KiB to 1 MiB (a small
// file costs little) and at most kMaxBlocks wait: memory is bounded whatever
// the file. The bytes are read once, so the digest is that of the bytes parsed.
class ReadAhead {
 public:
  static constexpr size_t kMaxBlocks = 4;

  // `fd` stays owned by the caller and must outlive this object; `digest`
  // (may be null) is updated on the reading thread until Read returns 0 or
  // this object is destroyed.
  ReadAhead(int fd, std::string path, evp_md_ctx_st* digest);
  ~ReadAhead();
  ReadAhead(const ReadAhead&) = delete;
  ReadAhead& operator=(const ReadAhead&) = delete;

  // Up to n bytes, in file order; 0 at the end of the file (the reading
  // thread has then finished with the digest); the read error if one occurred.
  Result<size_t> Read(char* buf, size_t n) TC_EXCLUDES(mu_);

 private:
  void Run() TC_EXCLUDES(mu_);

  const int fd_;
  const std::string path_;
  evp_md_ctx_st* const digest_;
  Mutex mu_;
  CondVar cv_;
  std::deque<std::string> ready_ TC_GUARDED_BY(mu_);  // blocks read, in order
  std::vector<std::string> free_ TC_GUARDED_BY(mu_);  // blocks handed back, for reuse
  bool done_ TC_GUARDED_BY(mu_) = false;              // the thread read the end, or failed
  bool stop_ TC_GUARDED_BY(mu_) = false;              // the consumer is gone
  Status error_ TC_GUARDED_BY(mu_);
  // The consumer's block (never empty while held: only blocks with bytes are
  // ready); assigned under mu_, which the reader takes to count it. Not
  // TC_GUARDED_BY: the consumer, its only writer, reads it without the lock.
  std::string current_;
  size_t current_pos_ = 0;
  std::thread thread_;
};

}  // namespace telecollect::files
