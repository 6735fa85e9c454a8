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
    if (down_) {
      LogInfo("store_reconnected", {{"backend", "postgres"},
                                    {"outage_ms", std::to_string(now - down_since_)},
                                    {"failed_attempts", std::to_string(failed_in_outage_)}});
      down_ = false;
      backoff_ms_ = kMinBackoffMs;
      failed_in_outage_ = 0;
    }
    return conn;
  }
  // An attempt begun before the link went down (not claimed) changes nothing
  // more: the outage is already logged and its backoff running.
  if (!down_ || claimed) Down(now, conn.status().message(), true);
  return StoreUnreachable();
}

void PgLink::Lost(std::string_view why) {
  const int64_t now = now_();
  MutexLock lock(mu_);
  if (!down_) Down(now, why, false);
}

void PgLink::Down(int64_t now, std::string_view why, bool failed_attempt) {
  if (!down_) {
    down_ = true;
    down_since_ = now;
    backoff_ms_ = kMinBackoffMs;
    failed_in_outage_ = failed_attempt ? 1 : 0;
    LogWarn("store_unreachable", {{"backend", "postgres"},
                                  {"reason", ScrubConnectError(std::string(why), password_)},
                                  {"retry_ms", std::to_string(backoff_ms_)}});
  } else if (failed_attempt) {
    ++failed_in_outage_;
    backoff_ms_ = std::min(backoff_ms_ * 2, kMaxBackoffMs);
  }
  next_attempt_ = now + backoff_ms_;
}

PgLink::State PgLink::state() const {
  const int64_t now = now_();
  MutexLock lock(mu_);
  return {down_, down_since_, !down_ || (!attempting_ && now >= next_attempt_)};
}

int64_t PgLink::attempts() const {
  MutexLock lock(mu_);
  return attempts_;
}

}  // namespace telecollect::store
