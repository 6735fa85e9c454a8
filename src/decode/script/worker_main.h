#pragma once

#include <cstdint>

namespace telecollect::decode::worker {

// The decode-worker process: what a program linking tc_script becomes when it
// is started as
//   <program> --tc-decode-worker <fd> <heap_bytes> <cpu_seconds> <console_lines> <console_bytes>
// (worker_pool.cc execs /proc/self/exe so). A hook that runs before main()
// sees that argument, runs the worker on fd and exits; main() never runs.
//
// The worker starts SpiderMonkey, applies its sandbox (worker_sandbox.h) and
// answers requests (worker_protocol.h) one at a time until the pipe closes.
// Each frame runs in a new global (a new realm with its own intrinsics): the
// decoder's compiled script (kept per decoder id) is instantiated in it, so
// nothing a frame changes (JSON.stringify, a prototype, Date, Math, a global)
// is seen by the next one.
const char* WorkerFlag();

struct WorkerSettings {
  uint32_t heap_bytes = 64u << 20;   // JSGC_MAX_BYTES, and the memory a frame may add (RLIMIT_DATA)
  uint64_t cpu_seconds = 3600;       // RLIMIT_CPU backstop
  uint32_t console_lines = 100;      // console lines kept per frame; more fail the frame
  uint32_t console_bytes = 16u << 10;  // console text kept per frame; more fail the frame
};

// Runs the worker on `fd` until end of input; the process's exit code.
int RunWorker(int fd, const WorkerSettings& settings);

}  // namespace telecollect::decode::worker
