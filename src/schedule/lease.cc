#include "schedule/lease.h"

#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>

namespace telecollect::schedule {
namespace {

std::string HostName() {
  char host[256] = {0};
  gethostname(host, sizeof host - 1);
  return host;
}

// Whether `holder` names a process of this host that is gone.
bool IsDeadLocalHolder(const std::string& holder) {
  const size_t colon = holder.rfind(':');
  if (colon == std::string::npos || holder.substr(0, colon) != HostName()) return false;
  int pid = 0;
  auto [p, ec] = std::from_chars(holder.data() + colon + 1, holder.data() + holder.size(), pid);
  if (ec != std::errc() || p != holder.data() + holder.size() || pid <= 0 || pid == getpid()) return false;
  return ::kill(pid, 0) != 0 && errno == ESRCH;
}

}  // namespace

std::string ThisHolder() { return HostName() + ":" + std::to_string(getpid()); }

Result<std::optional<store::Fence>> TakeLease(store::Store& store, const std::string& name, EpochMs now,
                                              int64_t ttl_ms) {
  const std::string me = ThisHolder();
  auto fence = [&](std::optional<int64_t> token) -> std::optional<store::Fence> {
    if (!token) return std::nullopt;
    return store::Fence{name, me, *token};
  };
  TC_ASSIGN_OR_RETURN(std::optional<int64_t> token, store.TryLease(name, me, now, ttl_ms));
  if (token) return fence(token);
  TC_ASSIGN_OR_RETURN(std::optional<std::string> holder, store.LeaseHolder(name));
  if (!holder || !IsDeadLocalHolder(*holder)) return std::optional<store::Fence>();
  TC_RETURN_IF_ERROR(store.ReleaseLease(name, *holder));
  TC_ASSIGN_OR_RETURN(token, store.TryLease(name, me, now, ttl_ms));
  return fence(token);
}

}  // namespace telecollect::schedule
