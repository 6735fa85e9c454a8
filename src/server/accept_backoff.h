#pragma once
// How long the accept loop pauses after a failed accept (EMFILE, ENFILE,
// ENOBUFS, ...): 10 ms, doubling up to 1 s, back to 10 ms after a success.
// Not thread-safe: owned by the accept loop.

#include <algorithm>
#include <chrono>

namespace telecollect::server {

class AcceptBackoff {
 public:
  static constexpr std::chrono::milliseconds kFirst{10};
  static constexpr std::chrono::milliseconds kMax{1000};

  // The pause before the next attempt, after a failure.
  std::chrono::milliseconds Failed() {
    const auto pause = next_;
    next_ = std::min(next_ * 2, kMax);
    return pause;
  }
  void Succeeded() { next_ = kFirst; }

 private:
  std::chrono::milliseconds next_ = kFirst;
};

}  // namespace telecollect::server
