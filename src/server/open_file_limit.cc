#include "server/open_file_limit.h"

#include <sys/resource.h>

#include <algorithm>

namespace telecollect::server {

uint64_t RaiseOpenFileLimit() {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0) return 0;
  if (limit.rlim_cur < limit.rlim_max) {
    rlimit raised = limit;
    raised.rlim_cur = limit.rlim_max;
    // An infinite hard limit is refused (fs.nr_open caps it): step down until the kernel agrees.
    for (rlim_t want = limit.rlim_max; want > limit.rlim_cur; want /= 2) {
      raised.rlim_cur = want;
      if (setrlimit(RLIMIT_NOFILE, &raised) == 0) break;
    }
    getrlimit(RLIMIT_NOFILE, &limit);
  }
  return limit.rlim_cur == RLIM_INFINITY ? UINT64_MAX : static_cast<uint64_t>(limit.rlim_cur);
}

uint64_t AutoMaxConnections(uint64_t open_file_limit) {
  return std::clamp<uint64_t>(open_file_limit / 2, 1, 4096);
}

}  // namespace telecollect::server
