#pragma once

#include <atomic>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "core/clock.h"
#include "core/mutex.h"
#include <variant>

#include "files/connector.h"
#include "pull/api_connector.h"
#include "schedule/lease_keeper.h"
#include "schedule/schedule.h"
#include "store/store.h"

namespace telecollect::schedule {

// Runs connectors (file drops and API pulls) on their schedules, one at a time, on its own thread. Each
// run holds a lease in the store ("connector:<name>", schedule/lease.h), kept
// by a LeaseKeeper while it runs, so several nodes on one database never run a
// connector twice; a run whose lease is lost stops (status lease_lost). Files still being uploaded bring the
// next run forward to when they should be stable.
class Scheduler {
 public:
  // `lease_ttl_ms`: [cluster] lease_ttl. While another node holds a due
  // connector's lease, the scheduler looks again every lease_ttl_ms and takes
  // it over once it expired (its holder killed or stalled: the run resumes
  // here); a lease released meanwhile means that node's run is done.
  Scheduler(store::Store& store, const Clock& clock, std::string spool_dir, int64_t lease_ttl_ms);
  ~Scheduler();

  // Replaces the connectors (at start and on reload). Connectors without a
  // schedule or disabled are only run by hand.
  void SetConnectors(const std::vector<files::Connector>& connectors, const std::vector<pull::ApiConnector>& apis)
      TC_EXCLUDES(mu_);
  void Start();
  void Stop() TC_EXCLUDES(mu_);

  // "Run now": runs `connector` once, on the scheduler's thread, after the run
  // under way (under its lease, recorded like a scheduled run). A connector
  // already waiting to run now is not queued twice. Needs Start().
  using AnyConnector = std::variant<files::Connector, pull::ApiConnector>;
  void RunSoon(AnyConnector connector) TC_EXCLUDES(mu_);

 private:
  struct Job {
    std::variant<files::Connector, pull::ApiConnector> connector;
    Schedule schedule;
    EpochMs next = 0;
    bool lease_held_elsewhere = false;  // at its last look (at `looked_at`): another node held the lease
    EpochMs looked_at = 0;
    const std::string& name() const {
      return std::visit([](const auto& c) -> const std::string& { return c.name; }, connector);
    }
  };
  // Runs the connector while `keeper` keeps its lease; returns when to look
  // again at the latest (files still uploading).
  EpochMs RunFiles(const files::Connector& c, LeaseKeeper& keeper);
  void RunApi(const pull::ApiConnector& c, LeaseKeeper& keeper);
  void Loop() TC_EXCLUDES(mu_);
  void RunJob(Job& job) TC_EXCLUDES(mu_);
  // Runs a connector under its lease: when to look again at the latest (files
  // still uploading, or the store could not be asked for the lease), and
  // whether another holder had the lease (nothing ran).
  struct Ran {
    EpochMs again = INT64_MAX;
    bool held_elsewhere = false;
  };
  Ran RunLeased(const AnyConnector& connector) TC_EXCLUDES(mu_);
  // After a lease the store could not answer (kUnavailable: the database is
  // unreachable): the pause before the next try, 1 s doubling to 60 s, back
  // to 1 s once a lease is answered. Scheduler thread only.
  static constexpr int64_t kLeaseRetryMinMs = 1000;
  static constexpr int64_t kLeaseRetryMaxMs = 60000;
  int64_t lease_retry_ms_ = kLeaseRetryMinMs;

  store::Store& store_;
  const Clock& clock_;
  const std::string spool_dir_;
  const int64_t lease_ttl_ms_;
  Mutex mu_;
  CondVar cv_;
  std::vector<Job> jobs_ TC_GUARDED_BY(mu_);
  std::vector<AnyConnector> soon_ TC_GUARDED_BY(mu_);  // RunSoon's, oldest first
  bool stopping_ TC_GUARDED_BY(mu_) = false;
  std::atomic<bool> stop_requested_{false};  // read by a run under way (API pulls stop between windows)
  bool changed_ TC_GUARDED_BY(mu_) = false;
  std::thread thread_;
};

}  // namespace telecollect::schedule
