// PgStore: Write's commits in flight. The COMMIT of a group is sent and left
// to PostgreSQL (its WAL flush, and a synchronous standby's answer) while the
// next group is built on another connection; Sync() waits for them before the
// group committer acknowledges anything.
#include <algorithm>
#include <cstring>

#include "store/pg_store_internal.h"

namespace telecollect::store {

void PgStore::CommitLater(PgConnPtr conn, Created created) {
  size_t n = 0;
  {
    MutexLock lock(commits_mu_);
    in_flight_.push_back({std::move(conn), std::move(created), ++commits_sent_});
    n = in_flight_.size();
  }
  if (n > kMaxCommitsInFlight) AwaitCommits();
}

void PgStore::AwaitCommits() {
  MutexLock waiting(await_mu_);
  std::vector<InFlight> commits;
  {
    MutexLock lock(commits_mu_);
    commits.swap(in_flight_);
  }
  Status failed;
  uint64_t failed_seq = 0;
  for (InFlight& c : commits) {
    Status s;
    bool answered = false;
    while (PGresult* r = PQgetResult(c.conn.get())) {
      PgResult result(r);
      answered = true;
      // A transaction that failed would answer ROLLBACK to its COMMIT.
      if (s.ok() && (PQresultStatus(r) != PGRES_COMMAND_OK || std::strcmp(PQcmdStatus(r), "COMMIT") != 0)) {
        s = PQresultStatus(r) != PGRES_COMMAND_OK ? PgError(c.conn.get(), r, "COMMIT")
                                                    : Status::Unavailable("COMMIT answered " + std::string(PQcmdStatus(r)));
      }
    }
    if (!answered && s.ok()) s = PgError(c.conn.get(), nullptr, "COMMIT");
    if (s.ok()) {
      Remember(std::move(c.created));
    } else {
      if (failed.ok()) failed = s;
      failed_seq = std::max(failed_seq, c.seq);
    }
    Release(std::move(c.conn));
  }
  if (!failed.ok()) {
    MutexLock lock(commits_mu_);
    if (commit_failure_.ok()) commit_failure_ = failed;
    failed_through_ = std::max(failed_through_, failed_seq);
  }
}

Status PgStore::Sync() {
  uint64_t sent = 0;
  {
    MutexLock lock(commits_mu_);
    sent = commits_sent_;
  }
  // Every commit up to `sent` is answered once this returns: waited for here,
  // or by an earlier caller that noted its failure before letting us in.
  AwaitCommits();
  MutexLock lock(commits_mu_);
  Status s = commit_failure_;
  if (failed_through_ <= sent) commit_failure_ = Status::Ok();
  return s;
}

}  // namespace telecollect::store
