#include "decode/script/worker_sandbox.h"

#include <sched.h>
#include <sys/prctl.h>
#include <unistd.h>
#include <seccomp.h>
#include <sys/resource.h>

#include <cerrno>
#include <cstring>
#include <memory>

namespace telecollect::decode::worker {
namespace {

Status SetLimit(int resource, rlim_t soft, rlim_t hard, const char* name) {
  rlimit rl{soft, hard};
  if (::setrlimit(resource, &rl) != 0) {
    return Status::Internal(std::string("setrlimit(") + name + "): " + std::strerror(errno));
  }
  return Status::Ok();
}

// The system calls a started SpiderMonkey makes while compiling and running
// scripts (seen with strace over the vendor corpus and the hostile tests).
constexpr int kAllowed[] = {
    SCMP_SYS(read),          SCMP_SYS(write),        SCMP_SYS(sendto),        SCMP_SYS(recvfrom),        SCMP_SYS(readv),         SCMP_SYS(writev),
    SCMP_SYS(close),         SCMP_SYS(mmap),         SCMP_SYS(munmap),        SCMP_SYS(mremap),
    SCMP_SYS(mprotect),      SCMP_SYS(madvise),      SCMP_SYS(brk),           SCMP_SYS(futex),
    SCMP_SYS(clock_gettime), SCMP_SYS(clock_getres), SCMP_SYS(gettimeofday),  SCMP_SYS(nanosleep),
    SCMP_SYS(clock_nanosleep), SCMP_SYS(sched_yield), SCMP_SYS(sched_getaffinity), SCMP_SYS(getpid),
    SCMP_SYS(gettid),        SCMP_SYS(getrusage),    SCMP_SYS(rt_sigprocmask), SCMP_SYS(rt_sigreturn),
    SCMP_SYS(sigaltstack),   SCMP_SYS(set_robust_list), SCMP_SYS(rseq),
    SCMP_SYS(getrandom),     SCMP_SYS(membarrier),   SCMP_SYS(exit),          SCMP_SYS(exit_group),
    SCMP_SYS(poll),          SCMP_SYS(fstat),        SCMP_SYS(newfstatat),    SCMP_SYS(lseek),
    SCMP_SYS(rt_sigaction),
};

// The first system call argument equals `value`.
scmp_arg_cmp EqualArg0(scmp_datum_t value) { return scmp_arg_cmp{0, SCMP_CMP_EQ, value, 0}; }

}  // namespace

Status ApplySandbox(const SandboxLimits& limits) {
  TC_RETURN_IF_ERROR(SetLimit(RLIMIT_CORE, 0, 0, "RLIMIT_CORE"));
  TC_RETURN_IF_ERROR(SetLimit(RLIMIT_FSIZE, 0, 0, "RLIMIT_FSIZE"));
  TC_RETURN_IF_ERROR(SetLimit(RLIMIT_NOFILE, 8, 8, "RLIMIT_NOFILE"));
  if (limits.data_bytes) TC_RETURN_IF_ERROR(SetLimit(RLIMIT_DATA, limits.data_bytes, limits.data_bytes, "RLIMIT_DATA"));
  if (limits.cpu_seconds) {
    TC_RETURN_IF_ERROR(SetLimit(RLIMIT_CPU, limits.cpu_seconds, limits.cpu_seconds + 1, "RLIMIT_CPU"));
  }

  std::unique_ptr<void, void (*)(scmp_filter_ctx)> ctx(seccomp_init(SCMP_ACT_KILL_PROCESS), seccomp_release);
  if (!ctx) return Status::Internal("seccomp_init failed");
  int rc = seccomp_attr_set(ctx.get(), SCMP_FLTATR_CTL_TSYNC, 1);
  for (int sys : kAllowed) {
    if (rc == 0) rc = seccomp_rule_add(ctx.get(), SCMP_ACT_ALLOW, sys, 0);
  }
  // Threads, not processes: clone only with CLONE_THREAD. clone3 passes its
  // flags in memory the filter cannot read, so it answers ENOSYS and glibc
  // falls back to clone.
  if (rc == 0) {
    rc = seccomp_rule_add(ctx.get(), SCMP_ACT_ALLOW, SCMP_SYS(clone), 1,
                          SCMP_A0(SCMP_CMP_MASKED_EQ, CLONE_THREAD, CLONE_THREAD));
  }
  if (rc == 0) rc = seccomp_rule_add(ctx.get(), SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(clone3), 0);
  // Naming its own threads; signalling only itself (abort()).
  // (Argument comparisons spelled out: SCMP_A0(SCMP_CMP_EQ, x) leaves datum_b
  // unset, which clang's -Wmissing-field-initializers refuses.)
  if (rc == 0) rc = seccomp_rule_add(ctx.get(), SCMP_ACT_ALLOW, SCMP_SYS(prctl), 1, EqualArg0(PR_SET_NAME));
  if (rc == 0) {
    rc = seccomp_rule_add(ctx.get(), SCMP_ACT_ALLOW, SCMP_SYS(tgkill), 1,
                          EqualArg0(static_cast<scmp_datum_t>(::getpid())));
  }
  if (rc == 0) rc = seccomp_load(ctx.get());
  if (rc != 0) return Status::Internal(std::string("seccomp: ") + std::strerror(-rc));
  return Status::Ok();
}

}  // namespace telecollect::decode::worker
