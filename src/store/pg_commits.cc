// PgStore: Write's commits in flight. The COMMIT of a group is sent and left
// to PostgreSQL (its WAL flush, and a synchronous standby's answer) while the
// next group is built on another connection; Sync() waits for them before the
// group committer acknowledges anything.
#include <algorithm>
#include <cstring>

#include "store/pg_store_internal.h"

namespace telecollect::store {

uint64_t PgStore::CommitLater(PgConnPtr conn, Created created) {
  size_t n = 0;
  uint64_t number = 0;
  {
    MutexLock lock(commits_mu_);
    number = ++commits_sent_;
    in_flight_.push_back({std::move(conn), std::move(created), number});
    n = in_flight_.size();
  }
  if (n > kMaxCommitsInFlight) AwaitCommits();
  return number;
}

void PgStore::AwaitCommits() {
  MutexLock waiting(await_mu_);
  std::vector<InFlight> commits;
  {
    MutexLock lock(commits_mu_);
    commits.swap(in_flight_);
  }
  std::map<uint64_t, Status> failed;
  for (InFlight& c : commits) {
    Status s;
    bool answered = false;
    // The log row sent with the COMMIT (Tx::TakeDeferredLog) answers first.
    std::string last;
    while (PGresult* r = PQgetResult(c.conn.get())) {
      PgResult result(r);
      answered = true;
      if (s.ok() && PQresultStatus(r) != PGRES_COMMAND_OK) s = PgError(c.conn.get(), r, "COMMIT");
      last = PQcmdStatus(r);
    }
    // A transaction that failed would answer ROLLBACK to its COMMIT.
    if (answered && s.ok() && last != "COMMIT") s = Status::Unavailable("COMMIT answered " + last);
    if (!answered && s.ok()) s = PgError(c.conn.get(), nullptr, "COMMIT");
    if (s.ok()) {
      Remember(std::move(c.created));
    } else {
      failed.emplace(c.seq, s);
    }
    Release(std::move(c.conn));
  }
  if (!failed.empty()) {
    MutexLock lock(commits_mu_);
    failed_.merge(failed);
  }
}

Status PgStore::TakeFailuresThrough(uint64_t through) {
  MutexLock lock(commits_mu_);
  Status first;
  auto end = failed_.upper_bound(through);
  if (failed_.begin() != end) first = failed_.begin()->second;
  failed_.erase(failed_.begin(), end);
  return first;
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
  return TakeFailuresThrough(sent);
}

Status PgStore::SyncThrough(uint64_t commit) {
  AwaitCommits();  // every commit sent so far answered, `commit` among them
  return TakeFailuresThrough(commit);
}

}  // namespace telecollect::store
