#include "files/read_ahead.h"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include <openssl/evp.h>

#include "core/thread_name.h"

namespace telecollect::files {
namespace {
constexpr size_t kFirstBlock = 64 << 10;
constexpr size_t kLargestBlock = 1 << 20;
}  // namespace

ReadAhead::ReadAhead(int fd, std::string path, evp_md_ctx_st* digest)
    : fd_(fd), path_(std::move(path)), digest_(digest), thread_([this] {
        NameThisThread("tc-read-ahead");
        Run();
      }) {}

ReadAhead::~ReadAhead() {
  {
    MutexLock lock(mu_);
    stop_ = true;
  }
  cv_.NotifyAll();
  thread_.join();
}

void ReadAhead::Run() {
  size_t size = kFirstBlock;
  while (true) {
    std::string block;
    {
      MutexLock lock(mu_);
      // Blocks waiting, the consumer's and the one about to be read: at most kMaxBlocks.
      while (!stop_ && ready_.size() + (current_.empty() ? 0 : 1) >= kMaxBlocks) cv_.Wait(lock);
      if (stop_) return;
      if (!free_.empty()) {
        block = std::move(free_.back());
        free_.pop_back();
      }
    }
    block.resize(size);
    size_t got = 0;
    bool end = false;
    Status error;
    while (got < size) {
      const ssize_t r = ::read(fd_, block.data() + got, size - got);
      if (r < 0 && errno == EINTR) continue;
      if (r < 0) {
        error = Status::IoError("cannot read " + path_ + ": " + std::strerror(errno));
        break;
      }
      if (r == 0) {
        end = true;
        break;
      }
      got += static_cast<size_t>(r);
    }
    block.resize(got);
    if (got > 0 && digest_ != nullptr) EVP_DigestUpdate(digest_, block.data(), got);
    size = std::min(size * 2, kLargestBlock);
    const bool last = end || !error.ok();
    {
      MutexLock lock(mu_);
      if (got > 0) ready_.push_back(std::move(block));
      if (!error.ok()) error_ = std::move(error);
      done_ = last;
    }
    cv_.NotifyAll();
    if (last) return;
  }
}

Result<size_t> ReadAhead::Read(char* buf, size_t n) {
  if (n == 0) return size_t{0};
  while (current_pos_ >= current_.size()) {
    MutexLock lock(mu_);
    if (!current_.empty()) {  // used up: back to the reader
      free_.push_back(std::move(current_));
      current_.clear();
      current_pos_ = 0;
      cv_.NotifyAll();
    }
    while (ready_.empty() && !done_) cv_.Wait(lock);
    if (ready_.empty()) {
      if (!error_.ok()) return error_;
      return size_t{0};
    }
    current_ = std::move(ready_.front());
    ready_.pop_front();
    current_pos_ = 0;
  }
  const size_t take = std::min(n, current_.size() - current_pos_);
  std::memcpy(buf, current_.data() + current_pos_, take);
  current_pos_ += take;
  return take;
}

}  // namespace telecollect::files
