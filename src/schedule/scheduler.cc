#include "schedule/scheduler.h"

#include <algorithm>
#include <chrono>

#include "core/log.h"
#include "core/thread_name.h"
#include "files/connector_run.h"
#include "pull/pull_run.h"
#include "schedule/lease.h"

namespace telecollect::schedule {

Scheduler::Scheduler(store::Store& store, const Clock& clock, std::string spool_dir, int64_t lease_ttl_ms)
    : store_(store), clock_(clock), spool_dir_(std::move(spool_dir)), lease_ttl_ms_(lease_ttl_ms) {}

Scheduler::~Scheduler() { Stop(); }

void Scheduler::SetConnectors(const std::vector<files::Connector>& connectors,
                              const std::vector<pull::ApiConnector>& apis) {
  std::vector<Job> jobs;
  const EpochMs now = clock_.NowMs();
  auto add = [&](const auto& c, const std::string& timezone) {
    if (!c.enabled || c.schedule.empty()) return;
    Result<Schedule> s = Schedule::Parse(c.schedule, timezone);
    if (!s.ok()) {
      LogWarn("connector_schedule_invalid", {{"connector", c.name}, {"error", s.status().message()}});
      return;
    }
    Job j{c, *s, 0};
    j.next = j.schedule.Next(now);
    LogInfo("connector_scheduled", {{"connector", c.name}, {"schedule", c.schedule}, {"next", FormatIso8601(j.next)}});
    jobs.push_back(std::move(j));
  };
  for (const files::Connector& c : connectors) add(c, c.profile.timezone);
  for (const pull::ApiConnector& c : apis) add(c, c.window.timezone);
  MutexLock lock(mu_);
  jobs_ = std::move(jobs);
  changed_ = true;
  cv_.NotifyAll();
}

void Scheduler::Start() {
  if (!thread_.joinable()) {
    thread_ = std::thread([this] {
      NameThisThread("tc-scheduler");
      Loop();
    });
  }
}

void Scheduler::Stop() {
  {
    MutexLock lock(mu_);
    stopping_ = true;
    stop_requested_ = true;
    cv_.NotifyAll();
  }
  if (thread_.joinable()) thread_.join();
}

void Scheduler::RunJob(Job& job) {
  if (job.lease_held_elsewhere && job.schedule.Next(job.looked_at) > clock_.NowMs()) {
    // A look again, no tick since the last look: another node held the lease
    // then. Released since: its run ended, and served the tick. Still held:
    // taken over below once expired (that run stopped without releasing it:
    // killed, frozen, cut off).
    Result<std::optional<std::string>> holder = store_.LeaseHolder("connector:" + job.name());
    if (holder.ok() && !*holder) {
      job.lease_held_elsewhere = false;
      job.next = job.schedule.Next(clock_.NowMs());
      return;
    }
  }
  const Ran ran = RunLeased(job.connector);
  const EpochMs now = clock_.NowMs();
  job.lease_held_elsewhere = ran.held_elsewhere;
  job.looked_at = now;
  job.next = std::min(job.schedule.Next(now), ran.held_elsewhere ? now + lease_ttl_ms_ : ran.again);
}

Scheduler::Ran Scheduler::RunLeased(const AnyConnector& connector) {
  const std::string& name = std::visit([](const auto& c) -> const std::string& { return c.name; }, connector);
  const std::string lease = "connector:" + name;
  Result<std::optional<store::Fence>> got = TakeLease(store_, lease, clock_.NowMs(), lease_ttl_ms_);
  if (got.ok()) lease_retry_ms_ = kLeaseRetryMinMs;
  if (!got.ok()) {
    LogWarn("connector_lease_failed", {{"connector", name}, {"error", got.status().message()}});
    if (got.status().code() == StatusCode::kUnavailable) {
      // The store cannot answer now: paused, tried again after a growing wait.
      const int64_t wait = lease_retry_ms_;
      lease_retry_ms_ = std::min(lease_retry_ms_ * 2, kLeaseRetryMaxMs);
      return {clock_.NowMs() + wait, false};
    }
    return {INT64_MAX, true};  // looked at again within a ttl
  }
  if (!*got) {
    Result<std::optional<std::string>> holder = store_.LeaseHolder(lease);
    LogInfo("connector_lease_held", {{"connector", name},
                                     {"holder", holder.ok() && *holder ? **holder : ""},
                                     {"look_again_in", FormatDurationMs(lease_ttl_ms_)}});
    return {INT64_MAX, true};  // another node runs it
  }
  EpochMs again = INT64_MAX;
  {
    LeaseKeeper keeper(store_, clock_, **got, lease_ttl_ms_);
    keeper.Start();
    if (const auto* f = std::get_if<files::Connector>(&connector)) again = RunFiles(*f, keeper);
    else RunApi(std::get<pull::ApiConnector>(connector), keeper);
  }
  (void)store_.ReleaseLease(lease, ThisHolder());  // only if still ours
  return {again, false};
}

void Scheduler::RunSoon(AnyConnector connector) {
  auto name = [](const AnyConnector& c) { return std::visit([](const auto& x) { return x.name; }, c); };
  MutexLock lock(mu_);
  for (const AnyConnector& c : soon_) {
    if (name(c) == name(connector)) return;
  }
  LogInfo("connector_run_requested", {{"connector", name(connector)}});
  soon_.push_back(std::move(connector));
  cv_.NotifyAll();
}

EpochMs Scheduler::RunFiles(const files::Connector& c, LeaseKeeper& keeper) {
  files::RunOptions o;
  o.spool_dir = spool_dir_;
  o.lease_lost = [&keeper] { return keeper.why(); };
  o.fence = keeper.fence();
  o.on_file = [&](const std::string& line) { LogInfo("connector_file", {{"connector", c.name}, {"what", line}}); };
  const store::RunRecord run = files::RunConnector(store_, c, clock_, o);
  const std::initializer_list<LogField> fields = {
      {"connector", c.name},
      {"status", run.status},
      {"imported", std::to_string(run.files_imported)},
      {"rejected", std::to_string(run.files_rejected)},
      {"skipped", std::to_string(run.files_skipped)},
      {"waiting", std::to_string(run.files_waiting)},
      {"rows", std::to_string(run.rows)},
      {"row_errors", std::to_string(run.row_errors)},
      {"readings", std::to_string(run.readings)},
      {"seconds", std::to_string((run.finished - run.started) / 1000.0)},
      {"message", run.message}};
  if (run.status == "ok") LogInfo("connector_run", fields);
  else LogWarn("connector_run", fields);
  // Files being uploaded: look again once they should be stable.
  return run.files_waiting > 0 ? clock_.NowMs() + c.source.stable_for_ms + 1000 : INT64_MAX;
}

void Scheduler::RunApi(const pull::ApiConnector& c, LeaseKeeper& keeper) {
  pull::PullOptions o;
  o.should_stop = [this] { return stop_requested_.load(); };
  o.lease_lost = [&keeper] { return keeper.why(); };
  o.fence = keeper.fence();
  o.on_event = [&](const std::string& line) { LogInfo("connector_window", {{"connector", c.name}, {"what", line}}); };
  const store::RunRecord run = pull::RunApiConnector(store_, c, clock_, o).run;
  const std::initializer_list<LogField> fields = {
      {"connector", c.name},
      {"status", run.status},
      {"windows", std::to_string(run.windows)},
      {"windows_failed", std::to_string(run.windows_failed)},
      {"requests", std::to_string(run.requests)},
      {"readings", std::to_string(run.readings)},
      {"seconds", std::to_string((run.finished - run.started) / 1000.0)},
      {"message", run.message}};
  if (run.status == "ok") LogInfo("connector_run", fields);
  else LogWarn("connector_run", fields);
}

void Scheduler::Loop() {
  MutexLock lock(mu_);
  while (!stopping_) {
    if (!soon_.empty()) {
      AnyConnector c = std::move(soon_.front());
      soon_.erase(soon_.begin());
      lock.Unlock();
      RunLeased(c);
      lock.Lock();
      continue;
    }
    EpochMs soonest = INT64_MAX;
    Job* due = nullptr;
    const EpochMs now = clock_.NowMs();
    for (Job& j : jobs_) {
      if (j.next <= now && (due == nullptr || j.next < due->next)) due = &j;
      soonest = std::min(soonest, j.next);
    }
    if (due != nullptr) {
      Job job = *due;
      lock.Unlock();
      RunJob(job);
      lock.Lock();
      // The set may have been replaced meanwhile: update the same connector if it is still there.
      for (Job& j : jobs_) {
        if (j.name() == job.name() && !changed_) {
          j.next = job.next;
          j.lease_held_elsewhere = job.lease_held_elsewhere;
          j.looked_at = job.looked_at;
        }
      }
      changed_ = false;
      continue;
    }
    changed_ = false;
    const int64_t wait_ms = soonest == INT64_MAX ? 60000 : std::min<int64_t>(soonest - now, 60000);
    cv_.WaitFor(lock, std::chrono::milliseconds(std::max<int64_t>(wait_ms, 10)),
                [&]() TC_REQUIRES(mu_) { return stopping_ || changed_ || !soon_.empty(); });
  }
}

}  // namespace telecollect::schedule
