#include "store/pg_link.h"

#include <algorithm>

#include "core/log.h"

namespace telecollect::store {

std::string ScrubConnectError(std::string why, std::string_view password) {
  if (!password.empty()) {
    for (size_t at = why.find(password); at != std::string::npos; at = why.find(password, at + 3)) {
      why.replace(at, password.size(), "***");
    }
  }
  // libpq's messages span lines (one per host tried, hints indented by a tab).
  std::string line;
  line.reserve(why.size());
  bool gap = false;
  for (char c : why) {
    if (c == '\n' || c == '\r' || c == '\t') {
      gap = true;
      continue;
    }
    if (gap && !line.empty()) line += c == ' ' ? ";" : "; ";
    gap = false;
    line += c;
  }
  return line;
}

PgLink::PgLink(ConnectFn connect, std::string password, NowFn now)
    : connect_(std::move(connect)), password_(std::move(password)), now_(std::move(now)) {}

Result<PgConnPtr> PgLink::Connect() {
  bool claimed = false;  // this call is the attempt of a link that is down
  {
    MutexLock lock(mu_);
    if (down_) {
      if (attempting_ || now_() < next_attempt_) return StoreUnreachable();
      attempting_ = claimed = true;
    }
    ++attempts_;
  }
  Result<PgConnPtr> conn = connect_();
  const int64_t now = now_();
  MutexLock lock(mu_);
  if (claimed) attempting_ = false;
  if (conn.ok()) {
    if (down_ && confirmed_) {
      LogInfo("store_reconnected", {{"backend", "postgres"},
                                    {"outage_ms", std::to_string(now - down_since_)},
                                    {"failed_attempts", std::to_string(failed_in_outage_)}});
    }
    down_ = confirmed_ = false;
    backoff_ms_ = kMinBackoffMs;
    failed_in_outage_ = 0;
    lost_why_.clear();
    return conn;
  }
  if (!down_) {
    down_since_ = now;
    Confirm(now, conn.status().message());
  } else if (claimed && !confirmed_) {
    Confirm(now, conn.status().message());  // a connection was lost, and the server cannot be reached either
  } else if (claimed) {
    ++failed_in_outage_;
    backoff_ms_ = std::min(backoff_ms_ * 2, kMaxBackoffMs);
    next_attempt_ = now + backoff_ms_;
  }
  // (An attempt begun before the link went down, not claimed, changes nothing:
  // the attempt that was claimed decides.)
  return StoreUnreachable();
}

void PgLink::Lost(std::string_view why) {
  const int64_t now = now_();
  MutexLock lock(mu_);
  if (down_) return;
  // Not an outage yet (the server may only have ended that session): the
  // next connect is due at once, and the others wait for what it finds.
  down_ = true;
  confirmed_ = false;
  down_since_ = now;
  next_attempt_ = now;
  backoff_ms_ = kMinBackoffMs;
  failed_in_outage_ = 0;
  lost_why_ = std::string(why);
}

void PgLink::Confirm(int64_t now, std::string_view why) {
  down_ = confirmed_ = true;
  backoff_ms_ = kMinBackoffMs;
  failed_in_outage_ = 1;
  next_attempt_ = now + backoff_ms_;
  std::string reason(why);
  if (!lost_why_.empty()) reason = "connection lost: " + lost_why_ + "; connecting again: " + reason;
  LogWarn("store_unreachable", {{"backend", "postgres"},
                                {"reason", ScrubConnectError(std::move(reason), password_)},
                                {"retry_ms", std::to_string(backoff_ms_)}});
}

PgLink::State PgLink::state() const {
  const int64_t now = now_();
  MutexLock lock(mu_);
  return {down_ && confirmed_, down_since_, !down_ || (!attempting_ && now >= next_attempt_)};
}

int64_t PgLink::attempts() const {
  MutexLock lock(mu_);
  return attempts_;
}

}  // namespace telecollect::store
