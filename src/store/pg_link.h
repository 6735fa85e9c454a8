#pragma once
// PgStore's link to PostgreSQL (internal): new connections, and what happens
// when the server cannot be reached.

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "core/mutex.h"
#include "core/status.h"
#include "core/thread_annotations.h"
#include "store/pg_db.h"
#include "store/store.h"

namespace telecollect::store {

// `why` (a libpq error) made fit for a log line: the password replaced by
// "***" wherever it appears, and on one line. Hosts and ports stay: operators
// need them, and log lines never reach a client.
std::string ScrubConnectError(std::string why, std::string_view password);

// Connects to PostgreSQL, and spaces out the attempts once it cannot: after a
// failed connect the link is down, and one connect is attempted per backoff
// interval (kMinBackoffMs, doubling up to kMaxBackoffMs, back to the start on
// success). Meanwhile, and while that one attempt runs, Connect fails at once
// with StoreUnreachable(). A connection lost in use (Lost) makes one connect
// due at once, the others waiting for it: if it fails, the outage starts (a
// server that only ended one session costs no outage). An outage logs
// `store_unreachable` once when it starts (with the libpq reason, scrubbed of
// the password) and `store_reconnected` once when it ends (with how long it
// lasted and how many attempts failed). Thread-safe.
class PgLink {
 public:
  static constexpr int64_t kMinBackoffMs = 250;
  static constexpr int64_t kMaxBackoffMs = 5000;

  // One connect attempt: a connection, or a failure whose message is libpq's
  // reason (for the log only, never returned by Connect).
  using ConnectFn = std::function<Result<PgConnPtr>()>;
  // Monotonic milliseconds (steady clock in production; tests set it).
  using NowFn = std::function<int64_t()>;

  PgLink(ConnectFn connect, std::string password, NowFn now = SteadyNowMs);

  // A new connection; StoreUnreachable() when the attempt failed or was not
  // made (the link is down and its next attempt is not due yet, or another
  // caller's attempt is under way).
  Result<PgConnPtr> Connect() TC_EXCLUDES(mu_);

  // A connection in use was found broken (`why`: libpq's words): the next
  // Connect tries at once, and any other one meanwhile fails at once; if that
  // try fails, the outage starts. No-op while down.
  void Lost(std::string_view why) TC_EXCLUDES(mu_);

  // Whether the link is down now (an outage started: a connect failed), since
  // when (NowFn's time); and whether a Connect now would try to connect.
  struct State {
    bool down = false;
    int64_t down_since_ms = 0;
    bool attempt_due = true;
  };
  State state() const TC_EXCLUDES(mu_);

  // Connect attempts made so far (failed or not): tests count them.
  int64_t attempts() const TC_EXCLUDES(mu_);

  static int64_t SteadyNowMs() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now().time_since_epoch())
        .count();
  }

 private:
  // A connect failed at `now` (`why`: libpq's words) while no outage was
  // logged: the outage starts, logged, its first wait kMinBackoffMs.
  void Confirm(int64_t now, std::string_view why) TC_REQUIRES(mu_);

  // Constant after construction.
  const ConnectFn connect_;
  const std::string password_;
  const NowFn now_;

  mutable Mutex mu_;
  bool down_ TC_GUARDED_BY(mu_) = false;       // connects one at a time, when due
  bool confirmed_ TC_GUARDED_BY(mu_) = false;  // down and logged: a connect failed
  std::string lost_why_ TC_GUARDED_BY(mu_);    // the lost connection's words, until the next connect
  bool attempting_ TC_GUARDED_BY(mu_) = false;  // a connect while down is under way
  int64_t down_since_ TC_GUARDED_BY(mu_) = 0;
  int64_t backoff_ms_ TC_GUARDED_BY(mu_) = kMinBackoffMs;
  int64_t next_attempt_ TC_GUARDED_BY(mu_) = 0;
  int64_t failed_in_outage_ TC_GUARDED_BY(mu_) = 0;
  int64_t attempts_ TC_GUARDED_BY(mu_) = 0;
};

}  // namespace telecollect::store
