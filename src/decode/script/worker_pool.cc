#include "decode/script/worker_pool.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <map>
#include <tuple>

extern char** environ;

namespace telecollect::decode::worker {
namespace {

// What ended a worker, from its wait status and peak memory.
std::string DeathReason(int status, const rusage& usage, const PoolSettings& settings) {
  const std::string limit_mb = std::to_string(settings.worker.heap_bytes >> 20);
  const std::string peak = ", peak memory " + std::to_string(usage.ru_maxrss >> 10) + " MiB";
  if (WIFSIGNALED(status)) {
    const int sig = WTERMSIG(status);
    if (sig == SIGSYS) return "made a system call the decoder sandbox forbids; its worker process was killed";
    if (sig == SIGXCPU) return "used up its worker process's CPU time backstop (RLIMIT_CPU); the process was killed";
    return "its worker process crashed (signal " + std::to_string(sig) + " " + strsignal(sig) + peak +
           "; the memory limit is " + limit_mb + " MiB, decoders.script_heap_mb)";
  }
  if (WIFEXITED(status)) {
    return "its worker process exited (code " + std::to_string(WEXITSTATUS(status)) + peak + ")";
  }
  return "its worker process ended";
}

// CPU time the process's main thread (the one running scripts) has used, in
// ms; -1 if unknown.
int64_t MainThreadCpuMs(pid_t pid) {
  char path[64];
  std::snprintf(path, sizeof path, "/proc/%d/schedstat", static_cast<int>(pid));
  FILE* f = std::fopen(path, "r");
  if (!f) return -1;
  unsigned long long ns = 0;
  const int n = std::fscanf(f, "%llu", &ns);
  std::fclose(f);
  return n == 1 ? static_cast<int64_t>(ns / 1000000) : -1;
}

}  // namespace

WorkerPool::WorkerPool(PoolSettings settings) : settings_(std::move(settings)) {}

WorkerPool::~WorkerPool() {
  // Finishers first (they free their slot under mu_, so not with it held):
  // each ends within its frame's wall-clock bound.
  std::vector<Slot*> all;
  {
    MutexLock lock(mu_);
    for (auto& slot : slots_) all.push_back(slot.get());
  }
  for (Slot* slot : all) {
    if (slot->finisher.joinable()) slot->finisher.join();
  }
  MutexLock lock(mu_);
  for (auto& slot : slots_) {
    if (slot->pid > 0) Retire(*slot, false);
  }
}

WorkerPool& WorkerPool::Shared(const PoolSettings& s) {
  static Mutex mu;
  // Never destroyed: decoders may be used until exit; the workers end when
  // the process does (their pipe closes).
  static auto* pools = new std::map<std::tuple<uint32_t, uint64_t, uint32_t, uint32_t, size_t, int64_t>,
                                    std::unique_ptr<WorkerPool>>();
  MutexLock lock(mu);
  auto key = std::make_tuple(s.worker.heap_bytes, s.worker.cpu_seconds, s.worker.console_lines,
                             s.worker.console_bytes, s.max_workers, s.frame_timeout_ms);
  auto& pool = (*pools)[key];
  if (!pool) pool = std::make_unique<WorkerPool>(s);
  return *pool;
}

std::vector<pid_t> WorkerPool::Pids() const {
  MutexLock lock(mu_);
  std::vector<pid_t> out;
  for (const auto& slot : slots_) {
    if (slot->pid > 0) out.push_back(slot->pid);
  }
  return out;
}

WorkerPool::Slot* WorkerPool::Acquire(std::optional<Deadline> wait_until) {
  MutexLock lock(mu_);
  auto find = [&]() -> Slot* {
    mu_.AssertHeld();
    Slot* fresh = nullptr;
    for (auto& slot : slots_) {
      if (slot->busy) continue;
      if (slot->pid > 0) return slot.get();  // a running worker first: no start-up cost
      if (!fresh) fresh = slot.get();
    }
    if (fresh) return fresh;
    if (slots_.size() < std::max<size_t>(1, settings_.max_workers)) {
      slots_.push_back(std::make_unique<Slot>());
      return slots_.back().get();
    }
    return nullptr;
  };
  Slot* slot = nullptr;
  auto ready = [&] { return (slot = find()) != nullptr; };
  if (wait_until) {
    if (!idle_.WaitUntil(lock, *wait_until, ready)) return nullptr;
  } else {
    idle_.Wait(lock, ready);
  }
  slot->busy = true;
  return slot;
}

void WorkerPool::HandOff(Slot& slot, std::function<void()> finish) {
  // Under mu_: the finisher frees the slot (Release takes mu_) only once its
  // handle is stored, so the slot's next user finds it there to join.
  MutexLock lock(mu_);
  slot.finisher = std::thread([this, &slot, finish = std::move(finish)] {
    finish();
    Release(&slot);
  });
}

void WorkerPool::Release(Slot* slot) {
  {
    MutexLock lock(mu_);
    slot->busy = false;
  }
  idle_.NotifyOne();
}

Status WorkerPool::Spawn(Slot& slot, std::optional<Deadline> give_up, bool* handed_off) {
  int sv[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) {
    return Status::Internal(std::string("cannot start a decode worker: socketpair: ") + std::strerror(errno));
  }
  const std::string heap = std::to_string(settings_.worker.heap_bytes);
  // The CPU backstop covers a worker's whole life: every frame at its full time limit, plus start-up.
  const uint64_t cpu = settings_.worker.cpu_seconds
                           ? settings_.worker.cpu_seconds
                           : settings_.frames_per_worker * static_cast<uint64_t>(settings_.frame_timeout_ms) / 1000 + 30;
  const std::string cpu_text = std::to_string(cpu);
  const std::string lines = std::to_string(settings_.worker.console_lines);
  const std::string bytes = std::to_string(settings_.worker.console_bytes);
  const char* argv[] = {"telecollect-decode-worker", WorkerFlag(), "3", heap.c_str(), cpu_text.c_str(),
                        lines.c_str(), bytes.c_str(), nullptr};
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, sv[1], 3);  // dup2 clears close-on-exec, even onto itself
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  sigset_t none, all;
  sigemptyset(&none);
  sigfillset(&all);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setsigdefault(&attr, &all);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  pid_t pid = 0;
  const int rc = ::posix_spawn(&pid, "/proc/self/exe", &actions, &attr, const_cast<char* const*>(argv), environ);
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  ::close(sv[1]);
  if (rc != 0) {
    ::close(sv[0]);
    return Status::Internal(std::string("cannot start a decode worker: ") + std::strerror(rc));
  }
  ::fcntl(sv[0], F_SETFL, ::fcntl(sv[0], F_GETFL) | O_NONBLOCK);
  slot.pid = pid;
  slot.fd = sv[0];
  slot.served = 0;
  slot.known.clear();
  // Start-up (exec, engine, sandbox) is not a frame's time: wait for "ready",
  // in the caller's time if it has that long, else on a finisher thread.
  const Deadline started_by = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  const bool caller_first = give_up && *give_up < started_by;
  auto ready = ReadMessageUntil(slot.fd, 64, caller_first ? *give_up : started_by);
  auto settle = [this, &slot](const Result<std::string>& ready) -> Status {
    if (ready.ok()) return Status::Ok();
    const bool slow = ready.status().code() == StatusCode::kUnavailable;
    const std::string why = Retire(slot, slow);
    return Status::Internal("a decode worker did not start: " + (why.empty() ? "no answer within 20 s" : why));
  };
  if (caller_first && !ready.ok() && ready.status().code() == StatusCode::kUnavailable) {
    *handed_off = true;
    HandOff(slot, [&slot, settle, started_by] { (void)settle(ReadMessageUntil(slot.fd, 64, started_by)); });
    return Status::Unavailable("a decode worker process was still starting when the request's decoding time ran out");
  }
  return settle(ready);
}

std::string WorkerPool::Retire(Slot& slot, bool killed_for_time) {
  ::close(slot.fd);
  slot.fd = -1;
  // A worker that died on its own has its status ready; one that did not is killed.
  int status = 0;
  rusage usage{};
  pid_t r = ::wait4(slot.pid, &status, WNOHANG, &usage);
  if (r == 0) {
    // Give a dying process a moment to finish dying (a SIGSYS in flight), then kill.
    for (int i = 0; i < 20 && r == 0 && !killed_for_time; ++i) {
      ::usleep(1000);
      r = ::wait4(slot.pid, &status, WNOHANG, &usage);
    }
    if (r == 0) {
      ::kill(slot.pid, SIGKILL);
      do r = ::wait4(slot.pid, &status, 0, &usage);
      while (r < 0 && errno == EINTR);
      killed_for_time = true;
    }
  }
  slot.pid = 0;
  slot.known.clear();
  if (killed_for_time) return "";
  return DeathReason(status, usage, settings_);
}

Result<std::string> WorkerPool::AwaitAnswer(Slot& slot, const InFlight& flight, std::optional<Deadline> give_up,
                                             bool* gave_up) {
  // The limit is the decoder's CPU time: on a loaded machine a worker that was
  // waiting for a CPU gets more wall time, up to `hard` (then it is killed
  // whatever it used).
  const auto limit = std::chrono::milliseconds(settings_.frame_timeout_ms);
  Deadline deadline = flight.start + limit;
  while (true) {
    const bool caller_first = give_up && *give_up < deadline;
    auto answer = ReadMessageUntil(slot.fd, flight.max_bytes, caller_first ? *give_up : deadline);
    if (answer.ok() || answer.status().code() != StatusCode::kUnavailable) return answer;
    const auto now = std::chrono::steady_clock::now();
    if (now < deadline) {  // the caller's deadline came first: the frame is still within its limit
      *gave_up = true;
      return answer;
    }
    const int64_t used = flight.cpu_at_start < 0 ? -1 : MainThreadCpuMs(slot.pid) - flight.cpu_at_start;
    if (used < 0 || used >= settings_.frame_timeout_ms || now >= flight.hard) return answer;
    // Starved, not busy: wait for the CPU time it has left.
    deadline =
        std::min(flight.hard, now + std::chrono::milliseconds(std::max<int64_t>(5, settings_.frame_timeout_ms - used)));
  }
}

Result<Response> WorkerPool::Exchange(Slot& slot, Request& request, const std::string& source,
                                      std::optional<Deadline> give_up, bool* handed_off) {
  const bool known = std::find(slot.known.begin(), slot.known.end(), request.decoder_id) != slot.known.end();
  if (!known) request.source = source;
  const auto start = std::chrono::steady_clock::now();
  const auto limit = std::chrono::milliseconds(settings_.frame_timeout_ms);
  const InFlight flight{start, start + std::max<std::chrono::milliseconds>(10 * limit, std::chrono::seconds(1)),
                        MainThreadCpuMs(slot.pid), request.max_output_bytes + (64u << 10)};
  // What an answer (or its absence) does to the worker: the answer, or why the
  // frame failed, the worker then retired.
  auto settle = [this, &slot, decoder_id = request.decoder_id, known](Result<std::string> answer) -> Result<Response> {
    if (!answer.ok()) {
      const bool overran = answer.status().code() == StatusCode::kUnavailable;
      std::string why = Retire(slot, overran);
      if (overran || why.empty()) {
        return Status::InvalidArgument("decoder ran longer than its " + std::to_string(settings_.frame_timeout_ms) +
                                       " ms limit (decoders.script_timeout); its worker process was killed");
      }
      return Status::InvalidArgument("decoder stopped: " + why);
    }
    auto response = DecodeResponse(*answer);
    if (!response.ok()) {
      Retire(slot, false);
      return Status::Internal("decode worker answered garbage: " + response.status().message());
    }
    if (!known && response->code != Code::kNeedSource) {
      if (slot.known.size() >= 64) slot.known.clear();
      slot.known.push_back(decoder_id);
    }
    return response;
  };
  for (int attempt = 0; attempt < 2; ++attempt) {
    Status s = WriteMessageUntil(slot.fd, EncodeRequest(request), flight.hard);
    // A Result is never built from an ok Status (status.h asserts it): until the answer is
    // read it holds the write's error.
    Result<std::string> answer = s.ok() ? Result<std::string>(std::string()) : Result<std::string>(s);
    if (s.ok()) {
      bool gave_up = false;
      answer = AwaitAnswer(slot, flight, give_up, &gave_up);
      if (gave_up) {
        // Merely slow so far: it finishes (or overruns its own limit) on a finisher thread.
        *handed_off = true;
        HandOff(slot, [this, &slot, flight, settle] {
          bool unused = false;
          (void)settle(AwaitAnswer(slot, flight, std::nullopt, &unused));
        });
        return Status::Unavailable("the request's decoding time ran out while its decoder was running");
      }
    }
    TC_ASSIGN_OR_RETURN(Response response, settle(std::move(answer)));
    if (response.code == Code::kNeedSource && request.source.empty()) {
      request.source = source;  // it evicted the decoder: once more with the source
      continue;
    }
    return response;
  }
  return Status::Internal("decode worker keeps asking for the decoder's source");
}

Result<Response> WorkerPool::Call(Request request, const std::string& source, std::optional<Deadline> wait_until) {
  Slot* slot = Acquire(wait_until);
  if (!slot) {
    return Status::Unavailable("all " + std::to_string(settings_.max_workers) + " decoder worker processes are busy");
  }
  // A finisher that had this slot freed it as its last step: it has ended or is ending.
  if (slot->finisher.joinable()) slot->finisher.join();
  bool handed_off = false;
  if (slot->pid <= 0 || slot->served >= settings_.frames_per_worker) {
    if (slot->pid > 0) Retire(*slot, true);
    if (Status s = Spawn(*slot, wait_until, &handed_off); !s.ok()) {
      if (!handed_off) Release(slot);
      return s;
    }
  }
  ++slot->served;
  Result<Response> out = Exchange(*slot, request, source, wait_until, &handed_off);
  if (!handed_off) Release(slot);
  return out;
}

}  // namespace telecollect::decode::worker
