#pragma once

#include <functional>
#include <string>

#include "core/clock.h"
#include "files/connector.h"
#include "store/store.h"

namespace telecollect::files {

struct RunOptions {
  std::string spool_dir;  // where remote files are downloaded before import
  // Called for each file dealt with (imported, duplicate, rejected, failed)
  // with a one-line summary: logs and the CLI's output.
  std::function<void(const std::string& line)> on_file;
  // Asked before each file: a non-empty answer ("lease lost: ...") says the
  // lease the run holds is lost (schedule/lease_keeper.h). The run stops
  // there, with status "lease_lost": another node may run the connector now.
  std::function<std::string()> lease_lost;
  // The lease the run holds: its commits (files, journal records, closing
  // interrupted runs) are fenced by it. nullopt: not under a lease (tests).
  std::optional<store::Fence> fence;
};

// One run of a connector: list, skip what the journal already holds (redoing
// a delete/move that did not happen), wait for files to be stable, fetch,
// import each file in its own transaction, then delete/archive it — or
// quarantine it with its report when rejected. The run is recorded (start,
// end, counts, first failure); a failing file does not stop the others, a
// failing store does, and so does a lost lease (status "lease_lost"). Returns
// the finished run record.
store::RunRecord RunConnector(store::Store& store, const Connector& connector, const Clock& clock,
                              const RunOptions& options);

}  // namespace telecollect::files
