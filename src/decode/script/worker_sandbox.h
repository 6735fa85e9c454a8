#pragma once

#include <cstdint>

#include "core/status.h"

namespace telecollect::decode::worker {

// What a decode-worker may use once it has started (worker_main.h).
struct SandboxLimits {
  // RLIMIT_DATA: the private writable memory the whole process may map.
  // (RLIMIT_AS is not used: SpiderMonkey reserves gigabytes of address space
  // it never touches, for its JIT and GC; RLIMIT_DATA counts what it makes
  // writable, which is what a script can fill.)
  uint64_t data_bytes = 0;
  // RLIMIT_CPU: a backstop only (the parent's per-frame deadline comes first);
  // SIGXCPU at the soft limit, SIGKILL one second later.
  uint64_t cpu_seconds = 0;
};

// Applies to the calling process, for good: RLIMIT_DATA, RLIMIT_CPU,
// RLIMIT_CORE 0, RLIMIT_NOFILE (the fds already open, no more: nothing is
// opened after start), RLIMIT_FSIZE 0; then a seccomp filter allowing only
// what a started SpiderMonkey needs (read/write on open fds, memory mapping,
// futexes, clocks, threads through clone with CLONE_THREAD, exit). Any other
// system call (open, socket, connect, execve, fork, kill, ptrace, ...) kills
// the process with SIGSYS. Call it single-threaded or before the threads that
// must be covered exist: the filter is installed with TSYNC on every thread.
Status ApplySandbox(const SandboxLimits& limits);

}  // namespace telecollect::decode::worker
